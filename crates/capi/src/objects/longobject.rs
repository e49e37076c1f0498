//! `longobject.h`: `PyLong_*`, with CPython's conversion and overflow rules.

use rustpython_vm::AsObject as _;
use malachite_bigint::{BigInt, Sign};
use rustpython_vm::builtins::PyInt;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_long, c_longlong, c_ulong, c_ulonglong, c_void};

use super::{cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, new_error, system_error, type_error};


fn from_digits(negative: bool, digits: &[u32]) -> BigInt {
    let mut bytes = Vec::with_capacity(digits.len() * 4 + 4);
    let (mut acc, mut nbits): (u64, u32) = (0, 0);
    for d in digits {
        acc |= ((*d & ((1 << PYLONG_SHIFT) - 1)) as u64) << nbits;
        nbits += PYLONG_SHIFT;
        while nbits >= 8 {
            bytes.push(acc as u8);
            acc >>= 8;
            nbits -= 8;
        }
    }
    if nbits > 0 {
        bytes.push(acc as u8);
    }
    BigInt::from_bytes_le(if negative { Sign::Minus } else { Sign::Plus }, &bytes)
}

/// The int value of `o`, calling `__index__` when `use_index` (as
/// `PyLong_AsLong` does) or requiring an int (as `PyLong_AsSsize_t` does).
fn int_value(vm: &VirtualMachine, o: *mut PyObject, use_index: bool) -> PyResult<BigInt> {
    let obj = rp(vm, o)?;
    if let Some(i) = obj.downcast_ref::<PyInt>() {
        return Ok(i.as_bigint().clone());
    }
    if !use_index {
        return Err(type_error(vm, "an integer is required"));
    }
    let r = obj.try_index(vm)?;
    Ok(r.as_bigint().clone())
}

/// The value of `o` read inline when it is an exact int mirror of at most
/// two digits (no VM, no GIL: its memory is immutable while C holds it).
fn compact_value(o: *mut PyObject) -> Option<i64> {
    // SAFETY: C passes NULL or a live object; an exact int is a PyLongObject.
    unsafe { (!o.is_null() && (*o).ob_type == crate::types::PyLong_Type.get()).then(|| bridge::layout::compact_int(o)).flatten() }
}

fn overflow(vm: &VirtualMachine, msg: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    new_error(vm, vm.ctx.exceptions.overflow_error, msg)
}

fn convert<T: TryFrom<BigInt>>(vm: &VirtualMachine, v: BigInt, ctype: &str, unsigned: bool) -> PyResult<T> {
    let neg = v.sign() == Sign::Minus;
    T::try_from(v).map_err(|_| {
        if unsigned && neg {
            overflow(vm, &format!("can't convert negative int to unsigned"))
        } else {
            overflow(vm, &format!("Python int too large to convert to C {ctype}"))
        }
    })
}

macro_rules! as_c {
    ($($name:ident -> $t:ty, $ctype:literal, $index:expr, $unsigned:expr;)*) => {$(
        /// Converts an int (see CPython for whether `__index__` is used);
        /// -1 (or the all-ones value) with OverflowError when out of range.
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(o: *mut PyObject) -> $t {
            if let Some(v) = compact_value(o).and_then(|v| <$t>::try_from(v).ok()) {
                return v;
            }
            api(stringify!($name), |vm| convert::<$t>(vm, int_value(vm, o, $index)?, $ctype, $unsigned))
        }
    )*};
}

as_c! {
    PyLong_AsLong -> c_long, "long", true, false;
    PyLong_AsLongLong -> c_longlong, "long long", true, false;
    PyLong_AsSsize_t -> Py_ssize_t, "ssize_t", false, false;
    PyLong_AsSize_t -> usize, "size_t", false, true;
    PyLong_AsUnsignedLong -> c_ulong, "unsigned long", false, true;
    PyLong_AsUnsignedLongLong -> c_ulonglong, "unsigned long long", false, true;
}

macro_rules! as_fixed {
    ($($name:ident -> $t:ty, $ctype:literal, $unsigned:expr;)*) => {$(
        /// Stores the value in `*out`: 0 on success, -1 with an exception.
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(o: *mut PyObject, out: *mut $t) -> c_int {
            if let Some(v) = compact_value(o).and_then(|v| <$t>::try_from(v).ok()) {
                // SAFETY: out is a valid pointer from C.
                unsafe { *out = v };
                return 0;
            }
            api(stringify!($name), |vm| {
                let v = convert::<$t>(vm, int_value(vm, o, true)?, $ctype, $unsigned)?;
                // SAFETY: out is a valid pointer from C.
                unsafe { *out = v };
                Ok(0)
            })
        }
    )*};
}

as_fixed! {
    PyLong_AsInt32 -> i32, "int32_t", false;
    PyLong_AsInt64 -> i64, "int64_t", false;
    PyLong_AsUInt32 -> u32, "uint32_t", true;
    PyLong_AsUInt64 -> u64, "uint64_t", true;
}

/// `PyLong_AsInt`: C int with overflow checking.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsInt(o: *mut PyObject) -> c_int {
    api("PyLong_AsInt", |vm| convert::<i32>(vm, int_value(vm, o, true)?, "int", false))
}

/// Modular conversions: the value modulo 2**64, never overflow.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsUnsignedLongLongMask(o: *mut PyObject) -> c_ulonglong {
    api("PyLong_AsUnsignedLongLongMask", |vm| {
        let v = int_value(vm, o, true)?;
        let b = v.to_signed_bytes_le();
        let mut buf = [if v.sign() == Sign::Minus { 0xffu8 } else { 0 }; 8];
        for (i, x) in b.iter().take(8).enumerate() {
            buf[i] = *x;
        }
        Ok(u64::from_le_bytes(buf))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsUnsignedLongMask(o: *mut PyObject) -> c_ulong {
    PyLong_AsUnsignedLongLongMask(o)
}

/// `PyLong_AsLongAndOverflow`: sets `*overflow` to ±1 instead of raising.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsLongAndOverflow(o: *mut PyObject, ovf: *mut c_int) -> c_long {
    api("PyLong_AsLongAndOverflow", |vm| {
        let v = int_value(vm, o, true)?;
        // SAFETY: ovf is a valid pointer from C.
        unsafe { *ovf = 0 };
        match i64::try_from(&v) {
            Ok(x) => Ok(x),
            Err(_) => {
                // SAFETY: as above.
                unsafe { *ovf = if v.sign() == Sign::Minus { -1 } else { 1 } };
                Ok(-1)
            }
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsLongLongAndOverflow(o: *mut PyObject, ovf: *mut c_int) -> c_longlong {
    PyLong_AsLongAndOverflow(o, ovf)
}

/// `float(o)` for an int; OverflowError when too large for a double.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsDouble(o: *mut PyObject) -> f64 {
    api("PyLong_AsDouble", |vm| {
        let obj = rp(vm, o)?;
        let i = obj.downcast_ref::<PyInt>().ok_or_else(|| type_error(vm, "an integer is required"))?;
        let f = vm.ctx.types.float_type.as_object().call((i.to_owned(),), vm)?;
        Ok(f.downcast_ref::<rustpython_vm::builtins::PyFloat>().map_or(-1.0, |f| f.to_f64()))
    })
}

fn new_int(vm: &VirtualMachine, v: impl Into<BigInt>) -> PyResult<PyObjectRef> {
    Ok(vm.ctx.new_int(v.into()).into())
}

macro_rules! from_c {
    ($($name:ident($t:ty);)*) => {$(
        /// New reference to an int with this value.
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(v: $t) -> *mut PyObject {
            new_ref(stringify!($name), |vm| new_int(vm, v))
        }
    )*};
}

from_c! {
    PyLong_FromLong(c_long);
    PyLong_FromUnsignedLong(c_ulong);
    PyLong_FromLongLong(c_longlong);
    PyLong_FromUnsignedLongLong(c_ulonglong);
    PyLong_FromSsize_t(Py_ssize_t);
    PyLong_FromSize_t(usize);
    PyLong_FromInt32(i32);
    PyLong_FromUInt32(u32);
    PyLong_FromInt64(i64);
    PyLong_FromUInt64(u64);
}

/// New reference to `int(v)` (truncating); ValueError for NaN, OverflowError for inf.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_FromDouble(v: f64) -> *mut PyObject {
    new_ref("PyLong_FromDouble", |vm| {
        if v.is_nan() {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "cannot convert float NaN to integer"));
        }
        if v.is_infinite() {
            return Err(overflow(vm, "cannot convert float infinity to integer"));
        }
        vm.ctx.types.int_type.as_object().call((vm.ctx.new_float(v),), vm)
    })
}

/// `int(str, base)` from a C string; `*pend` gets the end of the parsed text.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_FromString(s: *const c_char, pend: *mut *mut c_char, base: c_int) -> *mut PyObject {
    new_ref("PyLong_FromString", |vm| {
        let text = cstr(vm, s)?;
        if !pend.is_null() {
            // SAFETY: pend is a valid out pointer; the whole string is consumed.
            unsafe { *pend = s.add(text.len()).cast_mut() };
        }
        vm.ctx.types.int_type.as_object().call((vm.ctx.new_str(text), base), vm)
    })
}

/// `PyLong_FromUnicodeObject(u, base)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_FromUnicodeObject(u: *mut PyObject, base: c_int) -> *mut PyObject {
    new_ref("PyLong_FromUnicodeObject", |vm| vm.ctx.types.int_type.as_object().call((rp(vm, u)?, base), vm))
}

// ---- native bytes (PEP 731 / 3.13) -------------------------------------------------

const ASNATIVEBYTES_UNSIGNED_BUFFER: c_int = 4;
const ASNATIVEBYTES_REJECT_NEGATIVE: c_int = 8;
const ASNATIVEBYTES_ALLOW_INDEX: c_int = 16;

fn little_endian(flags: c_int) -> bool {
    flags == -1 || (flags & 3) != 0
}

/// Copies the value into `buffer` (`n_bytes` two's complement bytes) and
/// returns how many bytes the value needs; more than `n_bytes` means it was
/// truncated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLong_AsNativeBytes(o: *mut PyObject, buffer: *mut c_void, n_bytes: Py_ssize_t, flags: c_int) -> Py_ssize_t {
    api("PyLong_AsNativeBytes", |vm| {
        let flags_v = if flags == -1 { 0 } else { flags };
        let allow_index = flags != -1 && flags_v & ASNATIVEBYTES_ALLOW_INDEX != 0;
        let obj = rp(vm, o)?;
        let v = match obj.downcast_ref::<PyInt>() {
            Some(i) => i.as_bigint().clone(),
            None if allow_index => obj.try_index(vm)?.as_bigint().clone(),
            None => return Err(type_error(vm, "expect int")),
        };
        let negative = v.sign() == Sign::Minus;
        if negative && flags != -1 && flags_v & ASNATIVEBYTES_REJECT_NEGATIVE != 0 {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "Cannot convert negative int"));
        }
        let unsigned = flags != -1 && flags_v & ASNATIVEBYTES_UNSIGNED_BUFFER != 0;
        let mut le = v.to_signed_bytes_le();
        // Minimal signed size, except a non-negative value may use the sign bit
        // when the buffer is declared unsigned.
        let mut needed = le.len();
        if unsigned && !negative && needed > 1 && le[needed - 1] == 0 {
            needed -= 1;
        }
        if n_bytes < 0 {
            return Err(system_error(vm, "negative n_bytes"));
        }
        let n = n_bytes as usize;
        if n > 0 {
            if buffer.is_null() {
                return Err(system_error(vm, "NULL buffer"));
            }
            le.resize(n.max(le.len()), if negative { 0xff } else { 0 });
            let out = &le[..n];
            // SAFETY: buffer has n writable bytes.
            let dst = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), n) };
            if little_endian(flags) {
                dst.copy_from_slice(out);
            } else {
                for (i, b) in out.iter().enumerate() {
                    dst[n - 1 - i] = *b;
                }
            }
        }
        Ok(needed as isize)
    })
}

fn from_native(vm: &VirtualMachine, buffer: *const c_void, n: usize, flags: c_int, signed: bool) -> PyResult<PyObjectRef> {
    if n == 0 {
        return new_int(vm, 0);
    }
    if buffer.is_null() {
        return Err(system_error(vm, "NULL buffer"));
    }
    // SAFETY: buffer holds n readable bytes.
    let src = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), n) };
    let mut le = src.to_vec();
    if !little_endian(flags) {
        le.reverse();
    }
    let v = if signed { BigInt::from_signed_bytes_le(&le) } else { BigInt::from_bytes_le(Sign::Plus, &le) };
    new_int(vm, v)
}

/// New reference to the int stored in `n` bytes (two's complement unless
/// `Py_ASNATIVEBYTES_UNSIGNED_BUFFER`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLong_FromNativeBytes(buffer: *const c_void, n: usize, flags: c_int) -> *mut PyObject {
    let signed = flags == -1 || flags & ASNATIVEBYTES_UNSIGNED_BUFFER == 0;
    new_ref("PyLong_FromNativeBytes", |vm| from_native(vm, buffer, n, flags, signed))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLong_FromUnsignedNativeBytes(buffer: *const c_void, n: usize, flags: c_int) -> *mut PyObject {
    new_ref("PyLong_FromUnsignedNativeBytes", |vm| from_native(vm, buffer, n, flags, false))
}

/// `_PyLong_FromByteArray` (used by PyO3 before 3.13 and by older wheels).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyLong_FromByteArray(bytes: *const u8, n: usize, little: c_int, is_signed: c_int) -> *mut PyObject {
    new_ref("_PyLong_FromByteArray", |vm| from_native(vm, bytes.cast(), n, if little != 0 { 1 } else { 0 }, is_signed != 0))
}

/// `_PyLong_AsByteArray`: `v` as exactly `n` bytes, two's complement when
/// `is_signed`; 0, or -1 with OverflowError when it does not fit (or is
/// negative and unsigned). `with_exceptions` 0 asks for no exception set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyLong_AsByteArray(o: *mut PyObject, bytes: *mut u8, n: usize, little: c_int, is_signed: c_int, with_exceptions: c_int) -> c_int {
    let r = api("_PyLong_AsByteArray", |vm| {
        let v = int_value(vm, o, false)?;
        if is_signed == 0 && v.sign() == Sign::Minus {
            return Err(overflow(vm, "can't convert negative int to unsigned"));
        }
        let mut le = v.to_signed_bytes_le();
        if is_signed == 0 && le.len() == n + 1 && le[n] == 0 {
            le.pop();
        }
        if le.len() > n {
            return Err(overflow(vm, "int too big to convert"));
        }
        le.resize(n, if v.sign() == Sign::Minus { 0xff } else { 0 });
        if little == 0 {
            le.reverse();
        }
        // SAFETY: bytes has n writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(le.as_ptr(), bytes, n) };
        Ok(0)
    });
    if r < 0 && with_exceptions == 0 {
        crate::runtime::errors::take();
    }
    r
}

// ---- export / writer (PEP 757) ------------------------------------------------------

#[repr(C)]
pub struct PyLongLayout {
    pub bits_per_digit: u8,
    pub digit_size: u8,
    pub digits_order: i8,
    pub digit_endianness: i8,
}

static LAYOUT: PyLongLayout = PyLongLayout { bits_per_digit: 30, digit_size: 4, digits_order: -1, digit_endianness: -1 };

/// The native layout of ints: 30-bit digits in `uint32_t`, least significant first.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_GetNativeLayout() -> *const PyLongLayout {
    &LAYOUT
}

#[repr(C)]
pub struct PyLongExport {
    pub value: i64,
    pub negative: u8,
    pub ndigits: Py_ssize_t,
    pub digits: *const c_void,
    pub _reserved: usize,
}

/// Exports an int: `value` when it fits in int64, else a digit array valid
/// until `PyLong_FreeExport`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLong_Export(o: *mut PyObject, out: *mut PyLongExport) -> c_int {
    api("PyLong_Export", |vm| {
        let obj = rp(vm, o)?;
        let i = obj.downcast_ref::<PyInt>().ok_or_else(|| type_error(vm, format!("expect int, got {}", obj.class().name())))?;
        let v = i.as_bigint();
        // SAFETY: out is a valid pointer from C.
        let out = unsafe { &mut *out };
        if let Ok(x) = i64::try_from(v) {
            *out = PyLongExport { value: x, negative: 0, ndigits: 0, digits: std::ptr::null(), _reserved: 0 };
        } else {
            let (tag, digits) = crate::bridge::layout::to_digits(v);
            let boxed: Box<[u32]> = digits.into_boxed_slice();
            let n = boxed.len();
            let ptr = Box::into_raw(boxed);
            *out = PyLongExport { value: 0, negative: (tag == 2) as u8, ndigits: n as isize, digits: ptr.cast::<u32>().cast(), _reserved: n };
        }
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLong_FreeExport(e: *mut PyLongExport) {
    // SAFETY: e was filled by PyLong_Export.
    unsafe {
        let e = &mut *e;
        if !e.digits.is_null() {
            let s = std::ptr::slice_from_raw_parts_mut(e.digits.cast::<u32>().cast_mut(), e._reserved);
            drop(Box::from_raw(s));
            e.digits = std::ptr::null();
        }
    }
}

struct LongWriter {
    negative: bool,
    digits: Vec<u32>,
}

/// Creates a writer of `ndigits` digits that C fills through `*digits`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLongWriter_Create(negative: c_int, ndigits: Py_ssize_t, digits: *mut *mut c_void) -> *mut c_void {
    api("PyLongWriter_Create", |vm| {
        if ndigits <= 0 {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "ndigits must be positive"));
        }
        let mut w = Box::new(LongWriter { negative: negative != 0, digits: vec![0; ndigits as usize] });
        // SAFETY: digits is a valid out pointer; the Vec lives in the Box.
        unsafe { *digits = w.digits.as_mut_ptr().cast() };
        Ok(Box::into_raw(w).cast())
    })
}

/// New reference to the finished int; frees the writer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLongWriter_Finish(w: *mut c_void) -> *mut PyObject {
    // SAFETY: w came from PyLongWriter_Create.
    let w = unsafe { Box::from_raw(w.cast::<LongWriter>()) };
    new_ref("PyLongWriter_Finish", |vm| new_int(vm, from_digits(w.negative, &w.digits)))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyLongWriter_Discard(w: *mut c_void) {
    if !w.is_null() {
        // SAFETY: w came from PyLongWriter_Create.
        drop(unsafe { Box::from_raw(w.cast::<LongWriter>()) });
    }
}

/// `PyLong_GetSign`: -1, 0 or 1 in `*sign`.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_GetSign(o: *mut PyObject, sign: *mut c_int) -> c_int {
    api("PyLong_GetSign", |vm| {
        let s = sign_of(vm, o)?;
        // SAFETY: sign is a valid out pointer.
        unsafe {
            *sign = match s {
                Sign::Minus => -1,
                Sign::NoSign => 0,
                Sign::Plus => 1,
            }
        };
        Ok(0)
    })
}

/// `_PyLong_Sign`: -1, 0 or 1 for an int (CPython asserts the type; here a
/// non-int gives 0 with TypeError set).
#[unsafe(no_mangle)]
pub extern "C" fn _PyLong_Sign(o: *mut PyObject) -> c_int {
    let mut s = 0;
    if PyLong_GetSign(o, &mut s) < 0 {
        return 0;
    }
    s
}

/// `_PyLong_NumBits`: the number of bits of `abs(v)` (0 for 0).
#[unsafe(no_mangle)]
pub extern "C" fn _PyLong_NumBits(o: *mut PyObject) -> i64 {
    api("_PyLong_NumBits", |vm| Ok(int_value(vm, o, false)?.bits() as i64))
}

/// `_PyLong_Copy`: new reference to an int equal to `v` (exact int type).
#[unsafe(no_mangle)]
pub extern "C" fn _PyLong_Copy(o: *mut PyObject) -> *mut PyObject {
    new_ref("_PyLong_Copy", |vm| new_int(vm, int_value(vm, o, false)?))
}

/// New reference to `sys.int_info`.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_GetInfo() -> *mut PyObject {
    new_ref("PyLong_GetInfo", |vm| vm.sys_module.get_attr("int_info", vm))
}

/// New reference to the address `p` as a non-negative int.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_FromVoidPtr(p: *mut c_void) -> *mut PyObject {
    PyLong_FromUnsignedLong(p as usize as c_ulong)
}

/// The pointer an int holds: a negative int as `long`, else as `unsigned
/// long` (no `__index__`); NULL with an exception on failure.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_AsVoidPtr(o: *mut PyObject) -> *mut c_void {
    api("PyLong_AsVoidPtr", |vm| {
        let obj = rp(vm, o)?;
        let neg = obj.downcast_ref::<PyInt>().is_some_and(|i| i.as_bigint().sign() == Sign::Minus);
        let v = if neg {
            convert::<c_long>(vm, int_value(vm, o, true)?, "long", false)? as usize
        } else {
            convert::<c_ulong>(vm, int_value(vm, o, false)?, "unsigned long", true)? as usize
        };
        Ok(v as *mut c_void)
    })
}

/// The sign of an exact int or subclass; TypeError ("expected int, got T") otherwise.
fn sign_of(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<Sign> {
    let obj = rp(vm, o)?;
    match obj.downcast_ref::<PyInt>() {
        Some(i) => Ok(i.as_bigint().sign()),
        None => Err(type_error(vm, format!("expected int, got {}", obj.class().name()))),
    }
}

/// 1 if `o` is an int > 0, 0 if not; -1 with TypeError for a non-int.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_IsPositive(o: *mut PyObject) -> c_int {
    api("PyLong_IsPositive", |vm| Ok((sign_of(vm, o)? == Sign::Plus) as c_int))
}

/// 1 if `o` is an int < 0, 0 if not; -1 with TypeError for a non-int.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_IsNegative(o: *mut PyObject) -> c_int {
    api("PyLong_IsNegative", |vm| Ok((sign_of(vm, o)? == Sign::Minus) as c_int))
}

/// 1 if `o` is the int 0, 0 if not; -1 with TypeError for a non-int.
#[unsafe(no_mangle)]
pub extern "C" fn PyLong_IsZero(o: *mut PyObject) -> c_int {
    api("PyLong_IsZero", |vm| Ok((sign_of(vm, o)? == Sign::NoSign) as c_int))
}

/// The inline `lv_tag` of an int (mirror or static bool): ndigits << 3 | sign.
fn lv_tag(op: *const PyObject) -> usize {
    // SAFETY: C passes an int, whose mirror has CPython's PyLongObject header.
    unsafe { (*op.cast::<PyLongObject>()).lv_tag }
}

/// 1 if the int has at most one 30-bit digit (CPython's "compact" ints), read
/// from the mirror's inline `lv_tag` as CPython's inline function does.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Long_IsCompact(op: *const PyObject) -> c_int {
    (lv_tag(op) < (2 << 3)) as c_int
}

/// The value of a compact int: `(1 - sign) * digit[0]` from the mirror.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Long_CompactValue(op: *const PyObject) -> Py_ssize_t {
    let tag = lv_tag(op);
    // SAFETY: a compact int has its one digit (or an unused zero) inline.
    let d = unsafe { (*op.cast::<PyLongObject>()).ob_digit[0] } as Py_ssize_t;
    (1 - (tag & 3) as Py_ssize_t) * d
}
