//! Probes for the datetime C-API: the capsule (`PyDateTime_IMPORT`), its
//! constructors, the type checks, and the inline field accessors C
//! extensions and PyO3's non-abi3 builds use (pyo3-ffi's versions of
//! CPython's macros read the struct fields directly).
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::c_int;
use std::ptr::null_mut;

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

unsafe fn api() -> *mut PyDateTime_CAPI {
    PyDateTimeAPI()
}

/// A tuple of C ints.
unsafe fn ints(v: &[c_int]) -> *mut PyObject {
    let t = PyTuple_New(v.len() as Py_ssize_t);
    for (i, x) in v.iter().enumerate() {
        PyTuple_SET_ITEM(t, i as Py_ssize_t, PyLong_FromLong(*x as _));
    }
    t
}

/// `None` for NULL, else a new reference.
unsafe fn or_none(p: *mut PyObject) -> *mut PyObject {
    Py_NewRef(if p.is_null() { Py_None() } else { p })
}

/// METH_O: the fields C reads inline, by the most specific type check:
/// ("datetime", y, mo, d, h, mi, s, us, fold, tzinfo), ("date", y, m, d),
/// ("time", h, m, s, us, fold, tzinfo), ("delta", days, s, us), or None.
unsafe extern "C" fn fields(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let (kind, vals, tz): (&std::ffi::CStr, Vec<c_int>, Option<*mut PyObject>) = if PyDateTime_Check(o) != 0 {
        (
            c"datetime",
            vec![
                PyDateTime_GET_YEAR(o),
                PyDateTime_GET_MONTH(o),
                PyDateTime_GET_DAY(o),
                PyDateTime_DATE_GET_HOUR(o),
                PyDateTime_DATE_GET_MINUTE(o),
                PyDateTime_DATE_GET_SECOND(o),
                PyDateTime_DATE_GET_MICROSECOND(o),
                PyDateTime_DATE_GET_FOLD(o) as c_int,
            ],
            Some(PyDateTime_DATE_GET_TZINFO(o)),
        )
    } else if PyDate_Check(o) != 0 {
        (c"date", vec![PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o)], None)
    } else if PyTime_Check(o) != 0 {
        (
            c"time",
            vec![
                PyDateTime_TIME_GET_HOUR(o),
                PyDateTime_TIME_GET_MINUTE(o),
                PyDateTime_TIME_GET_SECOND(o),
                PyDateTime_TIME_GET_MICROSECOND(o),
                PyDateTime_TIME_GET_FOLD(o) as c_int,
            ],
            Some(PyDateTime_TIME_GET_TZINFO(o)),
        )
    } else if PyDelta_Check(o) != 0 {
        (
            c"delta",
            vec![PyDateTime_DELTA_GET_DAYS(o), PyDateTime_DELTA_GET_SECONDS(o), PyDateTime_DELTA_GET_MICROSECONDS(o)],
            None,
        )
    } else {
        return Py_NewRef(Py_None());
    };
    let n = 1 + vals.len() + tz.is_some() as usize;
    let t = PyTuple_New(n as Py_ssize_t);
    PyTuple_SET_ITEM(t, 0, PyUnicode_FromString(kind.as_ptr()));
    for (i, v) in vals.iter().enumerate() {
        PyTuple_SET_ITEM(t, 1 + i as Py_ssize_t, PyLong_FromLong(*v as _));
    }
    if let Some(tz) = tz {
        // The accessors return a borrowed reference (Py_None when naive).
        PyTuple_SET_ITEM(t, n as Py_ssize_t - 1, or_none(tz));
    }
    t
}

/// METH_O: (PyDate_Check, PyDate_CheckExact, PyDateTime_Check, PyDateTime_CheckExact,
/// PyTime_Check, PyTime_CheckExact, PyDelta_Check, PyDelta_CheckExact, PyTZInfo_Check, PyTZInfo_CheckExact).
unsafe extern "C" fn checks(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    ints(&[
        PyDate_Check(o),
        PyDate_CheckExact(o),
        PyDateTime_Check(o),
        PyDateTime_CheckExact(o),
        PyTime_Check(o),
        PyTime_CheckExact(o),
        PyDelta_Check(o),
        PyDelta_CheckExact(o),
        PyTZInfo_Check(o),
        PyTZInfo_CheckExact(o),
    ])
}

/// METH_NOARGS: the capsule's five types and `TimeZone_UTC` (new references).
unsafe extern "C" fn capi_objects(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let a = api();
    let objs: [*mut PyObject; 6] = [
        (*a).DateType.cast(),
        (*a).DateTimeType.cast(),
        (*a).TimeType.cast(),
        (*a).DeltaType.cast(),
        (*a).TZInfoType.cast(),
        PyDateTime_TimeZone_UTC(),
    ];
    let t = PyTuple_New(6);
    for (i, o) in objs.iter().enumerate() {
        PyTuple_SET_ITEM(t, i as Py_ssize_t, Py_NewRef(*o));
    }
    t
}

/// Parses `args` as `n` C ints then optional objects, into `out`/`objs`.
unsafe fn int_args(args: *mut PyObject, out: &mut [c_int], objs: &mut [*mut PyObject]) -> bool {
    let n = PyTuple_GET_SIZE(args) as usize;
    if n < out.len() || n > out.len() + objs.len() {
        PyErr_SetString(PyExc_TypeError, c"wrong number of arguments".as_ptr());
        return false;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        let v = PyLong_AsLong(PyTuple_GET_ITEM(args, i as Py_ssize_t));
        if v == -1 && !PyErr_Occurred().is_null() {
            return false;
        }
        *slot = v as c_int;
    }
    for (j, slot) in objs.iter_mut().enumerate() {
        let i = out.len() + j;
        *slot = if i < n { PyTuple_GET_ITEM(args, i as Py_ssize_t) } else { null_mut() };
    }
    true
}

/// The type to construct: the last optional argument, else the capsule's.
fn pick(ty: *mut PyObject, default: *mut PyTypeObject) -> *mut PyTypeObject {
    if ty.is_null() { default } else { ty.cast() }
}

/// METH_VARARGS: Date_FromDate(y, m, d[, type]).
unsafe extern "C" fn make_date(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut v, mut o) = ([0; 3], [null_mut(); 1]);
    if !int_args(args, &mut v, &mut o) {
        return null_mut();
    }
    ((*api()).Date_FromDate)(v[0], v[1], v[2], pick(o[0], (*api()).DateType))
}

/// METH_VARARGS: DateTime_FromDateAndTimeAndFold(y, mo, d, h, mi, s, us, fold[, tzinfo[, type]]).
unsafe extern "C" fn make_datetime(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut v, mut o) = ([0; 8], [null_mut(); 2]);
    if !int_args(args, &mut v, &mut o) {
        return null_mut();
    }
    let tz = if o[0].is_null() { Py_None() } else { o[0] };
    let ty = pick(o[1], (*api()).DateTimeType);
    if v[7] == 0 {
        ((*api()).DateTime_FromDateAndTime)(v[0], v[1], v[2], v[3], v[4], v[5], v[6], tz, ty)
    } else {
        ((*api()).DateTime_FromDateAndTimeAndFold)(v[0], v[1], v[2], v[3], v[4], v[5], v[6], tz, v[7], ty)
    }
}

/// METH_VARARGS: Time_FromTimeAndFold(h, m, s, us, fold[, tzinfo[, type]]).
unsafe extern "C" fn make_time(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut v, mut o) = ([0; 5], [null_mut(); 2]);
    if !int_args(args, &mut v, &mut o) {
        return null_mut();
    }
    let tz = if o[0].is_null() { Py_None() } else { o[0] };
    let ty = pick(o[1], (*api()).TimeType);
    if v[4] == 0 {
        ((*api()).Time_FromTime)(v[0], v[1], v[2], v[3], tz, ty)
    } else {
        ((*api()).Time_FromTimeAndFold)(v[0], v[1], v[2], v[3], tz, v[4], ty)
    }
}

/// METH_VARARGS: Delta_FromDelta(days, seconds, us, normalize[, type]).
unsafe extern "C" fn make_delta(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut v, mut o) = ([0; 4], [null_mut(); 1]);
    if !int_args(args, &mut v, &mut o) {
        return null_mut();
    }
    ((*api()).Delta_FromDelta)(v[0], v[1], v[2], v[3], pick(o[0], (*api()).DeltaType))
}

/// METH_VARARGS: TimeZone_FromTimeZone(offset[, name]).
unsafe extern "C" fn make_timezone(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let n = PyTuple_GET_SIZE(args);
    let name = if n > 1 { PyTuple_GET_ITEM(args, 1) } else { null_mut() };
    ((*api()).TimeZone_FromTimeZone)(PyTuple_GET_ITEM(args, 0), name)
}

/// METH_VARARGS | METH_KEYWORDS: DateTime_FromTimestamp(type, args, kwargs) with the datetime type.
unsafe extern "C" fn datetime_from_timestamp(_m: *mut PyObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    ((*api()).DateTime_FromTimestamp)((*api()).DateTimeType.cast(), args, kw)
}

/// METH_VARARGS: Date_FromTimestamp(type, args) with the date type.
unsafe extern "C" fn date_from_timestamp(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    ((*api()).Date_FromTimestamp)((*api()).DateType.cast(), args)
}

/// METH_O: Py_REFCNT(tzinfo) change across reading it through the accessor
/// (0: the accessor's result is borrowed).
unsafe extern "C" fn tzinfo_borrowed(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let tz = PyDateTime_DATE_GET_TZINFO(o);
    let before = Py_REFCNT(tz);
    let again = PyDateTime_DATE_GET_TZINFO(o);
    PyLong_FromLong((Py_REFCNT(again) - before) as _)
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"fields", fields, PyCFunction, METH_O),
        meth!(c"checks", checks, PyCFunction, METH_O),
        meth!(c"capi_objects", capi_objects, PyCFunction, METH_NOARGS),
        meth!(c"make_date", make_date, PyCFunction, METH_VARARGS),
        meth!(c"make_datetime", make_datetime, PyCFunction, METH_VARARGS),
        meth!(c"make_time", make_time, PyCFunction, METH_VARARGS),
        meth!(c"make_delta", make_delta, PyCFunction, METH_VARARGS),
        meth!(c"make_timezone", make_timezone, PyCFunction, METH_VARARGS),
        meth!(c"datetime_from_timestamp", datetime_from_timestamp, PyCFunctionWithKeywords, METH_VARARGS | METH_KEYWORDS),
        meth!(c"date_from_timestamp", date_from_timestamp, PyCFunction, METH_VARARGS),
        meth!(c"tzinfo_borrowed", tzinfo_borrowed, PyCFunction, METH_O),
    ]
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_datetime".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_datetime() -> *mut PyObject {
    PyDateTime_IMPORT();
    if PyDateTimeAPI().is_null() {
        return null_mut();
    }
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
