//! `datetime.h`: the datetime C-API capsule (`datetime.datetime_CAPI`) on
//! RustPython's native `_datetime` types, and the inline layouts CPython's
//! accessor macros read (`PyDateTime_GET_YEAR`, `PyDateTime_DATE_GET_FOLD`,
//! `PyDateTime_TIME_GET_TZINFO`, `PyDateTime_DELTA_GET_DAYS`, ...).
//!
//! CPython has no exported datetime functions: everything goes through the
//! capsule, whose constructors here call the type C names (so subclasses
//! work), and through the mirrors' inline fields, which the bridge fills when
//! a date/time/datetime/timedelta (or an instance of a subclass) crosses into
//! C — once per mirror, as the objects are immutable. The field values come
//! from the `_datetime` base type's own pickling methods, so a subclass's
//! overrides cannot change what C reads (as CPython's struct fields).

use rustpython_vm::builtins::{PyBytes, PyCapsule, PyTuple, PyType};
use rustpython_vm::function::{FuncArgs, KwArgs};
use rustpython_vm::{Py, PyObject as RpObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};
use std::sync::OnceLock;

use super::{new_ref, py, rp};
use crate::abi::{Py_hash_t, PyObject, PyTypeObject};
use crate::bridge::{self, InlineLayout};

/// `PyDateTime_Delta`.
#[repr(C)]
pub struct PyDateTime_Delta {
    pub ob_base: PyObject,
    pub hashcode: Py_hash_t,
    pub days: c_int,
    pub seconds: c_int,
    pub microseconds: c_int,
}

/// `PyDateTime_Date`: `data` is year (big-endian, 2 bytes), month, day.
#[repr(C)]
pub struct PyDateTime_Date {
    pub ob_base: PyObject,
    pub hashcode: Py_hash_t,
    pub hastzinfo: c_char,
    pub data: [u8; 4],
}

/// `PyDateTime_Time`: `data` is hour, minute, second, microsecond (3 bytes, big-endian).
#[repr(C)]
pub struct PyDateTime_Time {
    pub ob_base: PyObject,
    pub hashcode: Py_hash_t,
    pub hastzinfo: c_char,
    pub data: [u8; 6],
    pub fold: u8,
    pub tzinfo: *mut PyObject,
}

/// `PyDateTime_DateTime`: `data` is the date's 4 bytes then the time's 6.
#[repr(C)]
pub struct PyDateTime_DateTime {
    pub ob_base: PyObject,
    pub hashcode: Py_hash_t,
    pub hastzinfo: c_char,
    pub data: [u8; 10],
    pub fold: u8,
    pub tzinfo: *mut PyObject,
}

type Ty = *mut PyTypeObject;
type Obj = *mut PyObject;

/// `PyDateTime_CAPI`, the struct the capsule points to.
#[repr(C)]
pub struct PyDateTime_CAPI {
    pub DateType: Ty,
    pub DateTimeType: Ty,
    pub TimeType: Ty,
    pub DeltaType: Ty,
    pub TZInfoType: Ty,
    pub TimeZone_UTC: Obj,
    pub Date_FromDate: unsafe extern "C" fn(c_int, c_int, c_int, Ty) -> Obj,
    pub DateTime_FromDateAndTime: unsafe extern "C" fn(c_int, c_int, c_int, c_int, c_int, c_int, c_int, Obj, Ty) -> Obj,
    pub Time_FromTime: unsafe extern "C" fn(c_int, c_int, c_int, c_int, Obj, Ty) -> Obj,
    pub Delta_FromDelta: unsafe extern "C" fn(c_int, c_int, c_int, c_int, Ty) -> Obj,
    pub TimeZone_FromTimeZone: unsafe extern "C" fn(Obj, Obj) -> Obj,
    pub DateTime_FromTimestamp: unsafe extern "C" fn(Obj, Obj, Obj) -> Obj,
    pub Date_FromTimestamp: unsafe extern "C" fn(Obj, Obj) -> Obj,
    pub DateTime_FromDateAndTimeAndFold:
        unsafe extern "C" fn(c_int, c_int, c_int, c_int, c_int, c_int, c_int, Obj, c_int, Ty) -> Obj,
    pub Time_FromTimeAndFold: unsafe extern "C" fn(c_int, c_int, c_int, c_int, Obj, c_int, Ty) -> Obj,
}

/// RustPython's `_datetime` types, for the layouts' fill functions.
struct Types {
    date: PyRef<PyType>,
    datetime: PyRef<PyType>,
    time: PyRef<PyType>,
    delta: PyRef<PyType>,
}

static TYPES: OnceLock<Types> = OnceLock::new();

/// The state `base`'s pickling method gives for `obj`: `(bytes-or-ints..., [tzinfo])`.
/// `protocol` 4 makes time and datetime encode `fold` in the state bytes.
fn base_state(vm: &VirtualMachine, obj: &RpObject, base: &PyType, protocol: Option<i32>) -> Option<PyRef<PyTuple>> {
    let name = if protocol.is_some() { "__reduce_ex__" } else { "__reduce__" };
    let method = base.get_attr(vm.ctx.intern_str(name))?;
    let r = match protocol {
        Some(p) => method.call((obj.to_owned(), p), vm),
        None => method.call((obj.to_owned(),), vm),
    }
    .ok()?;
    let r = r.downcast::<PyTuple>().ok()?;
    r.as_slice().get(1)?.clone().downcast::<PyTuple>().ok()
}

/// State bytes and tzinfo of a date/time/datetime from `base`'s state.
fn bytes_and_tz(state: &Py<PyTuple>) -> Option<(Vec<u8>, Option<PyObjectRef>)> {
    let data = state.as_slice().first()?.downcast_ref::<PyBytes>()?.as_bytes().to_vec();
    // RustPython's state has a second item only for an aware object.
    Some((data, state.as_slice().get(1).cloned()))
}

/// Writes `hashcode`, `hastzinfo` and `tzinfo` (owned by the mirror, as
/// CPython's object owns its `tzinfo`) at `tz_off`.
fn write_tz(vm: &VirtualMachine, p: Obj, tz: Option<PyObjectRef>, tz_off: usize) {
    // SAFETY: p is a fresh mirror with a date/time/datetime layout of at least tz_off + 8 bytes.
    unsafe {
        let d = p.cast::<PyDateTime_Date>();
        (*d).hashcode = -1;
        if let Some(tz) = tz {
            (*d).hastzinfo = 1;
            *p.cast::<u8>().add(tz_off).cast::<Obj>() = bridge::borrow_from(vm, p, &tz);
        }
    }
}

fn fill_date(vm: &VirtualMachine, obj: &RpObject, p: Obj) {
    let Some(t) = TYPES.get() else { return };
    let Some((data, _)) = base_state(vm, obj, &t.date, None).as_deref().and_then(bytes_and_tz) else { return };
    write_tz(vm, p, None, 0);
    // SAFETY: p has the PyDateTime_Date layout.
    unsafe { (*p.cast::<PyDateTime_Date>()).data.copy_from_slice(&data[..4]) };
}

fn fill_datetime(vm: &VirtualMachine, obj: &RpObject, p: Obj) {
    let Some(t) = TYPES.get() else { return };
    let Some((mut data, tz)) = base_state(vm, obj, &t.datetime, Some(4)).as_deref().and_then(bytes_and_tz) else {
        return;
    };
    // Protocol 4 puts `fold` in the month's high bit.
    let fold = data[2] >> 7;
    data[2] &= 0x7f;
    write_tz(vm, p, tz, std::mem::offset_of!(PyDateTime_DateTime, tzinfo));
    // SAFETY: p has the PyDateTime_DateTime layout.
    unsafe {
        let d = p.cast::<PyDateTime_DateTime>();
        (*d).data.copy_from_slice(&data[..10]);
        (*d).fold = fold;
    }
}

fn fill_time(vm: &VirtualMachine, obj: &RpObject, p: Obj) {
    let Some(t) = TYPES.get() else { return };
    let Some((mut data, tz)) = base_state(vm, obj, &t.time, Some(4)).as_deref().and_then(bytes_and_tz) else {
        return;
    };
    // Protocol 4 puts `fold` in the hour's high bit.
    let fold = data[0] >> 7;
    data[0] &= 0x7f;
    write_tz(vm, p, tz, std::mem::offset_of!(PyDateTime_Time, tzinfo));
    // SAFETY: p has the PyDateTime_Time layout.
    unsafe {
        let d = p.cast::<PyDateTime_Time>();
        (*d).data.copy_from_slice(&data[..6]);
        (*d).fold = fold;
    }
}

fn fill_delta(vm: &VirtualMachine, obj: &RpObject, p: Obj) {
    let Some(t) = TYPES.get() else { return };
    let Some(state) = base_state(vm, obj, &t.delta, None) else { return };
    let field = |i: usize| -> c_int {
        state.as_slice().get(i).and_then(|v| v.try_to_value::<i32>(vm).ok()).unwrap_or(0)
    };
    // SAFETY: p has the PyDateTime_Delta layout.
    unsafe {
        let d = p.cast::<PyDateTime_Delta>();
        (*d).hashcode = -1;
        (*d).days = field(0);
        (*d).seconds = field(1);
        (*d).microseconds = field(2);
    }
}

/// `tzinfo` argument: NULL and `None` mean naive.
fn tz_arg(vm: &VirtualMachine, tz: Obj) -> PyResult<PyObjectRef> {
    if tz.is_null() { Ok(vm.ctx.none()) } else { rp(vm, tz) }
}

/// Calls `cls(*args, **kwargs)` (Python code may run: the GIL is released).
fn construct(vm: &VirtualMachine, cls: Ty, args: Vec<PyObjectRef>, kwargs: Vec<(&str, PyObjectRef)>) -> PyResult {
    let cls = rp(vm, cls.cast())?;
    let kw: KwArgs = kwargs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    py(vm, || cls.call(FuncArgs::new(args, kw), vm))
}

fn ints(vm: &VirtualMachine, v: &[c_int]) -> Vec<PyObjectRef> {
    v.iter().map(|&i| vm.ctx.new_int(i).into()).collect()
}

/// New `type(year, month, day)`.
unsafe extern "C" fn date_from_date(y: c_int, m: c_int, d: c_int, ty: Ty) -> Obj {
    new_ref("PyDate_FromDate", |vm| construct(vm, ty, ints(vm, &[y, m, d]), vec![]))
}

/// New `type(y, mo, d, h, mi, s, us, tzinfo, fold=fold)`.
unsafe extern "C" fn datetime_from_date_and_time_and_fold(
    y: c_int, mo: c_int, d: c_int, h: c_int, mi: c_int, s: c_int, us: c_int, tz: Obj, fold: c_int, ty: Ty,
) -> Obj {
    new_ref("PyDateTime_FromDateAndTimeAndFold", |vm| {
        let mut args = ints(vm, &[y, mo, d, h, mi, s, us]);
        args.push(tz_arg(vm, tz)?);
        construct(vm, ty, args, vec![("fold", vm.ctx.new_int(fold).into())])
    })
}

/// New `type(y, mo, d, h, mi, s, us, tzinfo)`.
unsafe extern "C" fn datetime_from_date_and_time(
    y: c_int, mo: c_int, d: c_int, h: c_int, mi: c_int, s: c_int, us: c_int, tz: Obj, ty: Ty,
) -> Obj {
    // SAFETY: same contract.
    unsafe { datetime_from_date_and_time_and_fold(y, mo, d, h, mi, s, us, tz, 0, ty) }
}

/// New `type(h, m, s, us, tzinfo, fold=fold)`.
unsafe extern "C" fn time_from_time_and_fold(h: c_int, m: c_int, s: c_int, us: c_int, tz: Obj, fold: c_int, ty: Ty) -> Obj {
    new_ref("PyTime_FromTimeAndFold", |vm| {
        let mut args = ints(vm, &[h, m, s, us]);
        args.push(tz_arg(vm, tz)?);
        construct(vm, ty, args, vec![("fold", vm.ctx.new_int(fold).into())])
    })
}

/// New `type(h, m, s, us, tzinfo)`.
unsafe extern "C" fn time_from_time(h: c_int, m: c_int, s: c_int, us: c_int, tz: Obj, ty: Ty) -> Obj {
    // SAFETY: same contract.
    unsafe { time_from_time_and_fold(h, m, s, us, tz, 0, ty) }
}

/// New `type(days, seconds, microseconds)`; the arguments are normalised
/// whatever `normalize` says (CPython requires normalised input when it is 0,
/// so the results agree).
unsafe extern "C" fn delta_from_delta(days: c_int, s: c_int, us: c_int, _normalize: c_int, ty: Ty) -> Obj {
    new_ref("PyDelta_FromDSU", |vm| construct(vm, ty, ints(vm, &[days, s, us]), vec![]))
}

/// New `timezone(offset)` or `timezone(offset, name)` (`name` may be NULL).
unsafe extern "C" fn timezone_from_timezone(offset: Obj, name: Obj) -> Obj {
    new_ref("PyTimeZone_FromOffsetAndName", |vm| {
        let tz = vm.import("_datetime", 0)?.get_attr("timezone", vm)?;
        let mut args = vec![rp(vm, offset)?];
        if !name.is_null() {
            args.push(rp(vm, name)?);
        }
        py(vm, || tz.call(args, vm))
    })
}

/// `cls.fromtimestamp(*args, **kwargs)` (`kwargs` may be NULL).
unsafe extern "C" fn datetime_from_timestamp(cls: Obj, args: Obj, kwargs: Obj) -> Obj {
    new_ref("PyDateTime_FromTimestamp", |vm| {
        let f = rp(vm, cls)?.get_attr("fromtimestamp", vm)?;
        let args = rp(vm, args)?;
        let args = args.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("argument list must be a tuple"))?;
        let kw: KwArgs = if kwargs.is_null() {
            KwArgs::default()
        } else {
            let d = rp(vm, kwargs)?;
            let d = d.downcast_ref::<rustpython_vm::builtins::PyDict>().ok_or_else(|| vm.new_type_error("keyword arguments must be a dict"))?;
            d.into_iter().map(|(k, v)| k.str(vm).map(|k| (k.to_string(), v))).collect::<PyResult<_>>()?
        };
        py(vm, || f.call(FuncArgs::new(args.as_slice().to_vec(), kw), vm))
    })
}

/// `cls.fromtimestamp(*args)`.
unsafe extern "C" fn date_from_timestamp(cls: Obj, args: Obj) -> Obj {
    // SAFETY: same contract, no keywords.
    unsafe { datetime_from_timestamp(cls, args, std::ptr::null_mut()) }
}

/// Registers the inline layouts and publishes `_datetime.datetime_CAPI`
/// (which `datetime` re-exports); does nothing if RustPython has no `_datetime`.
pub fn install(vm: &VirtualMachine) -> PyResult<()> {
    let Ok(m) = vm.import("_datetime", 0) else { return Ok(()) };
    let ty = |n: &'static str| -> PyResult<PyRef<PyType>> {
        m.get_attr(n, vm)?.downcast::<PyType>().map_err(|_| vm.new_type_error(format!("_datetime.{n} is not a type")))
    };
    let types = Types { date: ty("date")?, datetime: ty("datetime")?, time: ty("time")?, delta: ty("timedelta")? };
    let tzinfo = ty("tzinfo")?;
    let utc = m.get_attr("UTC", vm)?;
    // Most derived first: a datetime is a date.
    bridge::set_inline_layouts(vec![
        InlineLayout { ty: types.datetime.clone(), size: size_of::<PyDateTime_DateTime>(), fill: fill_datetime },
        InlineLayout { ty: types.date.clone(), size: size_of::<PyDateTime_Date>(), fill: fill_date },
        InlineLayout { ty: types.time.clone(), size: size_of::<PyDateTime_Time>(), fill: fill_time },
        InlineLayout { ty: types.delta.clone(), size: size_of::<PyDateTime_Delta>(), fill: fill_delta },
    ]);
    let capi = Box::leak(Box::new(PyDateTime_CAPI {
        DateType: bridge::type_ptr(vm, &types.date),
        DateTimeType: bridge::type_ptr(vm, &types.datetime),
        TimeType: bridge::type_ptr(vm, &types.time),
        DeltaType: bridge::type_ptr(vm, &types.delta),
        TZInfoType: bridge::type_ptr(vm, &tzinfo),
        // The capsule's reference: UTC's mirror lives as long as the process.
        TimeZone_UTC: bridge::to_c(vm, &utc),
        Date_FromDate: date_from_date,
        DateTime_FromDateAndTime: datetime_from_date_and_time,
        Time_FromTime: time_from_time,
        Delta_FromDelta: delta_from_delta,
        TimeZone_FromTimeZone: timezone_from_timezone,
        DateTime_FromTimestamp: datetime_from_timestamp,
        Date_FromTimestamp: date_from_timestamp,
        DateTime_FromDateAndTimeAndFold: datetime_from_date_and_time_and_fold,
        Time_FromTimeAndFold: time_from_time_and_fold,
    }));
    // Extension types may derive from these (PyO3's `extends = PyTzInfo`):
    // a native subtype's instance is made by the builtin's `__new__`.
    for tp in [capi.DateType, capi.DateTimeType, capi.TimeType, capi.DeltaType, capi.TZInfoType] {
        // SAFETY: heap type mirrors the facade made just above; C reads tp_new.
        unsafe { (*tp).tp_new = Some(crate::types::alloc::builtin_tp_new) };
    }
    let _ = TYPES.set(types);
    let capsule: PyObjectRef =
        PyCapsule::new((capi as *mut PyDateTime_CAPI).cast(), Some(c"datetime.datetime_CAPI"), None).into_ref(&vm.ctx).into();
    m.set_attr("datetime_CAPI", capsule.clone(), vm)?;
    // `datetime` copies `_datetime`'s names when imported; if it already was, add it there too.
    if let Ok(dt) = vm.sys_module.get_attr("modules", vm).and_then(|mods| mods.get_item("datetime", vm)) {
        dt.set_attr("datetime_CAPI", capsule, vm)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// The offsets of shared/abi/layout-cp314.txt.
    #[test]
    fn layouts_match_cpython_3_14() {
        assert_eq!(size_of::<PyDateTime_CAPI>(), 120);
        assert_eq!(offset_of!(PyDateTime_CAPI, TimeZone_UTC), 40);
        assert_eq!(size_of::<PyDateTime_Date>(), 32);
        assert_eq!(offset_of!(PyDateTime_Date, hastzinfo), 24);
        assert_eq!(offset_of!(PyDateTime_Date, data), 25);
        assert_eq!(size_of::<PyDateTime_DateTime>(), 48);
        assert_eq!(offset_of!(PyDateTime_DateTime, fold), 35);
        assert_eq!(offset_of!(PyDateTime_DateTime, tzinfo), 40);
        assert_eq!(size_of::<PyDateTime_Time>(), 40);
        assert_eq!(offset_of!(PyDateTime_Time, fold), 31);
        assert_eq!(offset_of!(PyDateTime_Time, tzinfo), 32);
        assert_eq!(size_of::<PyDateTime_Delta>(), 40);
        assert_eq!(offset_of!(PyDateTime_Delta, days), 24);
        assert_eq!(offset_of!(PyDateTime_Delta, seconds), 28);
        assert_eq!(offset_of!(PyDateTime_Delta, microseconds), 32);
    }
}
