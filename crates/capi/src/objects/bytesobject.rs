//! `bytesobject.h` and `bytearrayobject.h`.

use rustpython_vm::{AsObject as _, PyPayload as _};
use rustpython_vm::builtins::{PyByteArray, PyBytes};
use std::ffi::c_char;

use super::{bytes_arg, cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, type_error};

/// New reference: bytes copied from `s[:n]`, or (NULL `s`) a builder of `n`
/// zero bytes that C fills through `PyBytes_AS_STRING` before using it.
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_FromStringAndSize(s: *const c_char, n: Py_ssize_t) -> *mut PyObject {
    if s.is_null() {
        return api("PyBytes_FromStringAndSize", |vm| {
            if n < 0 {
                return Err(crate::runtime::system_error(vm, "Negative size passed to PyBytes_FromStringAndSize"));
            }
            if n == 0 {
                // The empty bytes object is a singleton, as in CPython (and RustPython).
                return Ok(bridge::to_c(vm, vm.ctx.empty_bytes.as_object()));
            }
            Ok(bridge::builders::new_bytes(crate::types::static_type!(PyBytes_Type), n as usize))
        });
    }
    new_ref("PyBytes_FromStringAndSize", |vm| Ok(vm.ctx.new_bytes(bytes_arg(vm, s, n)?.to_vec()).into()))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_FromString(s: *const c_char) -> *mut PyObject {
    new_ref("PyBytes_FromString", |vm| Ok(vm.ctx.new_bytes(cstr_bytes(vm, s)?.to_vec()).into()))
}

/// Pointer to the bytes' inline, NUL-terminated data (owned by the object).
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_AsString(o: *mut PyObject) -> *mut c_char {
    api("PyBytes_AsString", |vm| {
        if !bridge::builders::is_unrealised(o) {
            let obj = rp(vm, o)?;
            if obj.downcast_ref::<PyBytes>().is_none() {
                return Err(type_error(vm, format!("expected bytes, {} found", obj.class().name())));
            }
        }
        // SAFETY: bytes mirrors and builders carry their data inline.
        Ok(unsafe { o.cast::<u8>().add(BYTES_SVAL_OFFSET) }.cast())
    })
}

/// `*buffer`/`*length` of the bytes' inline data.
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_AsStringAndSize(o: *mut PyObject, buffer: *mut *mut c_char, length: *mut Py_ssize_t) -> i32 {
    let p = PyBytes_AsString(o);
    if p.is_null() {
        return -1;
    }
    // SAFETY: out pointers from C; o is a bytes object.
    unsafe {
        *buffer = p;
        if !length.is_null() {
            *length = (*o.cast::<PyVarObject>()).ob_size;
        }
    }
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyBytes_Size", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyBytes>().ok_or_else(|| type_error(vm, format!("expected bytes, {} found", obj.class().name())))?;
        Ok(b.as_bytes().len() as isize)
    })
}

/// New reference to `bytearray(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_FromObject(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyByteArray_FromObject", |vm| vm.ctx.types.bytearray_type.as_object().call((rp(vm, o)?,), vm))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_FromStringAndSize(s: *const c_char, n: Py_ssize_t) -> *mut PyObject {
    new_ref("PyByteArray_FromStringAndSize", |vm| {
        if n < 0 {
            return Err(crate::runtime::system_error(vm, "Negative size passed to PyByteArray_FromStringAndSize"));
        }
        let data = if s.is_null() { vec![0; n as usize] } else { bytes_arg(vm, s, n)?.to_vec() };
        Ok(PyByteArray::from(data).into_ref(&vm.ctx).into())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyByteArray_Size", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyByteArray>().ok_or_else(|| type_error(vm, "expected bytearray"))?;
        Ok(b.borrow_buf().len() as isize)
    })
}

/// Pointer to the bytearray's storage; valid until the bytearray is resized.
#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_AsString(o: *mut PyObject) -> *mut c_char {
    api("PyByteArray_AsString", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyByteArray>().ok_or_else(|| type_error(vm, "expected bytearray"))?;
        let ptr = b.borrow_buf().as_ptr().cast_mut();
        Ok(ptr.cast())
    })
}

/// `_PyBytes_Resize`: resizes the bytes `*pv` that the caller alone owns
/// to `newsize` bytes, keeping the common prefix; `*pv` may move.
/// 0, or -1 with `*pv` released and set to NULL (SystemError for a bad argument).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyBytes_Resize(pv: *mut *mut PyObject, newsize: Py_ssize_t) -> std::ffi::c_int {
    api("_PyBytes_Resize", |vm| {
        // SAFETY: pv points to the caller's owned reference.
        let v = unsafe { *pv };
        let fail = |msg: &str| {
            // SAFETY: the caller's reference is consumed on failure.
            unsafe {
                *pv = std::ptr::null_mut();
                bridge::xdecref(v);
            }
            Err(crate::runtime::system_error(vm, msg))
        };
        if v.is_null() || newsize < 0 {
            return fail("bad argument to internal function");
        }
        let is_bytes = if bridge::builders::is_unrealised(v) {
            // SAFETY: v is a facade object; builders keep their type pointer.
            unsafe { (*v).ob_type == crate::types::static_type!(PyBytes_Type) }
        } else {
            rp(vm, v).is_ok_and(|o| o.downcast_ref::<PyBytes>().is_some())
        };
        if !is_bytes {
            return fail("bad argument to internal function");
        }
        // SAFETY: bytes layout (builder or mirror).
        let old = unsafe { (*v.cast::<PyVarObject>()).ob_size } as usize;
        // As in a CPython release build, a shared object is not refused (the
        // caller is required to own it alone): other holders keep the old one.
        let n = newsize as usize;
        if n == old {
            return Ok(0);
        }
        let new = if n == 0 {
            bridge::to_c(vm, vm.ctx.empty_bytes.as_object())
        } else {
            let b = bridge::builders::new_bytes(crate::types::static_type!(PyBytes_Type), n);
            // SAFETY: both have at least min(old, n) bytes of data inline.
            unsafe {
                std::ptr::copy_nonoverlapping(v.cast::<u8>().add(BYTES_SVAL_OFFSET), b.cast::<u8>().add(BYTES_SVAL_OFFSET), old.min(n));
            }
            b
        };
        // SAFETY: the caller's reference moves to the new object.
        unsafe {
            bridge::decref(v);
            *pv = new;
        }
        Ok(0)
    })
}

/// `_PyByteArray_empty_string`: the storage `PyByteArray_AS_STRING` gives
/// for an empty bytearray (an empty C string).
#[unsafe(no_mangle)]
pub static _PyByteArray_empty_string: [c_char; 1] = [0];
// ---- formatting ----------------------------------------------------------------------

/// CPython's `PyBytes_FromFormatV` units: `%c %d %u %ld %lu %zd %zu %i %x %s %p %%`;
/// a width is ignored, a precision limits `%s`; an unknown unit copies the
/// rest of the format verbatim and stops.
unsafe fn format_bytes(vm: &rustpython_vm::VirtualMachine, format: *const c_char, va: &mut std::ffi::VaList<'_>) -> rustpython_vm::PyResult<Vec<u8>> {
    use std::ffi::{c_int, c_long, c_uint, c_ulong};
    let f = cstr_bytes(vm, format)?;
    let mut out = Vec::with_capacity(f.len());
    let mut i = 0;
    while i < f.len() {
        if f[i] != b'%' {
            out.push(f[i]);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < f.len() && f[i].is_ascii_digit() {
            i += 1;
        }
        let mut prec = 0usize;
        if f.get(i) == Some(&b'.') {
            i += 1;
            while i < f.len() && f[i].is_ascii_digit() {
                prec = prec.saturating_mul(10).saturating_add((f[i] - b'0') as usize);
                i += 1;
            }
        }
        while i < f.len() && f[i] != b'%' && !f[i].is_ascii_alphabetic() {
            i += 1;
        }
        let mut modifier = None;
        if matches!(f.get(i), Some(b'l' | b'z')) && matches!(f.get(i + 1), Some(b'd' | b'u')) {
            modifier = Some(f[i]);
            i += 1;
        }
        // SAFETY (all va.arg calls): the caller passes arguments matching the format.
        match f.get(i) {
            Some(b'c') => {
                let c = unsafe { va.next_arg::<c_int>() };
                let c = u8::try_from(c).map_err(|_| {
                    crate::runtime::new_error(vm, vm.ctx.exceptions.overflow_error, "PyBytes_FromFormatV(): %c format expects an integer in range [0; 255]")
                })?;
                out.push(c);
            }
            Some(b'd') => out.extend(match modifier {
                Some(b'l') => unsafe { va.next_arg::<c_long>() }.to_string(),
                Some(b'z') => unsafe { va.next_arg::<isize>() }.to_string(),
                _ => unsafe { va.next_arg::<c_int>() }.to_string(),
            }.bytes()),
            Some(b'u') => out.extend(match modifier {
                Some(b'l') => unsafe { va.next_arg::<c_ulong>() }.to_string(),
                Some(b'z') => unsafe { va.next_arg::<usize>() }.to_string(),
                _ => unsafe { va.next_arg::<c_uint>() }.to_string(),
            }.bytes()),
            Some(b'i') => out.extend(unsafe { va.next_arg::<c_int>() }.to_string().bytes()),
            Some(b'x') => out.extend(format!("{:x}", unsafe { va.next_arg::<c_int>() }).bytes()),
            Some(b's') => {
                let p = unsafe { va.next_arg::<*const c_char>() };
                let s = cstr_bytes(vm, p)?;
                out.extend_from_slice(if prec > 0 { &s[..s.len().min(prec)] } else { s });
            }
            Some(b'p') => {
                let p = unsafe { va.next_arg::<*const std::ffi::c_void>() };
                // glibc's "%p" (with CPython's forced "0x" prefix): "0x(nil)" for NULL.
                out.extend(if p.is_null() { "0x(nil)".to_owned() } else { format!("{p:p}") }.bytes());
            }
            Some(b'%') => out.push(b'%'),
            _ => {
                out.extend_from_slice(&f[start..]);
                return Ok(out);
            }
        }
        i += 1;
    }
    Ok(out)
}

/// The bytes of a NUL-terminated C string (no UTF-8 requirement).
fn cstr_bytes<'a>(vm: &rustpython_vm::VirtualMachine, s: *const c_char) -> rustpython_vm::PyResult<&'a [u8]> {
    if s.is_null() {
        return Err(crate::runtime::system_error(vm, "NULL string passed to a C-API function"));
    }
    // SAFETY: C passes a NUL-terminated string that outlives the call.
    Ok(unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes())
}

/// New reference to bytes formatted from a `va_list` (see [`format_bytes`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBytes_FromFormatV(format: *const c_char, mut va: std::ffi::VaList<'_>) -> *mut PyObject {
    // SAFETY: the caller's arguments match the format.
    new_ref("PyBytes_FromFormatV", |vm| Ok(vm.ctx.new_bytes(unsafe { format_bytes(vm, format, &mut va) }?).into()))
}

/// New reference to bytes formatted from the variadic arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBytes_FromFormat(format: *const c_char, mut args: ...) -> *mut PyObject {
    // SAFETY: the caller's arguments match the format.
    new_ref("PyBytes_FromFormat", |vm| Ok(vm.ctx.new_bytes(unsafe { format_bytes(vm, format, &mut args) }?).into()))
}

// ---- conversions -------------------------------------------------------------------

/// The bytes object behind `o`, or TypeError as CPython's checked accessors.
fn bytes_obj(vm: &rustpython_vm::VirtualMachine, o: *mut PyObject) -> rustpython_vm::PyResult<rustpython_vm::PyRef<PyBytes>> {
    let obj = rp(vm, o)?;
    obj.downcast::<PyBytes>().map_err(|obj| type_error(vm, format!("expected bytes, {} found", obj.class().name())))
}

/// New reference to the bytes `s[:len]` with backslash escapes decoded
/// (`codecs.escape_decode`); `errors` is "strict" (NULL), "ignore" or
/// "replace". The last two parameters are unused, as in CPython.
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_DecodeEscape(s: *const c_char, len: Py_ssize_t, errors: *const c_char, _unused: Py_ssize_t, _unused2: *const c_char) -> *mut PyObject {
    new_ref("PyBytes_DecodeEscape", |vm| {
        let data = vm.ctx.new_bytes(bytes_arg(vm, s, len)?.to_vec());
        let errors: rustpython_vm::PyObjectRef = if errors.is_null() { vm.ctx.none() } else { vm.ctx.new_str(cstr(vm, errors)?).into() };
        let codecs = vm.import("_codecs", 0)?;
        let r = super::py(vm, || codecs.get_attr("escape_decode", vm)?.call((data, errors), vm))?;
        let t = r.downcast::<rustpython_vm::builtins::PyTuple>().map_err(|_| type_error(vm, "escape_decode must return a tuple"))?;
        Ok(t.as_slice()[0].clone())
    })
}

/// New reference to the repr of bytes `o` as a str: `b'...'`; with
/// `smartquotes`, double quotes when the data has `'` but no `"`.
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_Repr(o: *mut PyObject, smartquotes: std::ffi::c_int) -> *mut PyObject {
    new_ref("PyBytes_Repr", |vm| {
        let b = bytes_obj(vm, o)?;
        let data = b.as_bytes();
        let quote = if smartquotes != 0 && data.contains(&b'\'') && !data.contains(&b'"') { '"' } else { '\'' };
        let mut s = String::with_capacity(data.len() + 3);
        s.push('b');
        s.push(quote);
        for &c in data {
            match c {
                b'\\' => s.push_str("\\\\"),
                b'\t' => s.push_str("\\t"),
                b'\n' => s.push_str("\\n"),
                b'\r' => s.push_str("\\r"),
                c if c as char == quote => {
                    s.push('\\');
                    s.push(quote);
                }
                c if !(32..127).contains(&c) => s.push_str(&format!("\\x{c:02x}")),
                c => s.push(c as char),
            }
        }
        s.push(quote);
        Ok(vm.ctx.new_str(s).into())
    })
}

/// New reference to `sep.join(iterable)` for bytes `sep` (SystemError otherwise).
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_Join(sep: *mut PyObject, iterable: *mut PyObject) -> *mut PyObject {
    new_ref("PyBytes_Join", |vm| {
        let s = rp(vm, sep)?;
        if s.downcast_ref::<PyBytes>().is_none() {
            return Err(crate::runtime::system_error(vm, "bad argument to internal function"));
        }
        let it = rp(vm, iterable)?;
        super::py(vm, || vm.call_method(&s, "join", (it,)))
    })
}

/// New reference to `x` as bytes: an exact bytes as is, a buffer copied, or
/// an iterable of ints (never a str or an int, and never `__bytes__`).
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_FromObject(x: *mut PyObject) -> *mut PyObject {
    new_ref("PyBytes_FromObject", |vm| {
        let o = rp(vm, x)?;
        if o.class().is(vm.ctx.types.bytes_type) {
            return Ok(o);
        }
        let cant = || type_error(vm, format!("cannot convert '{}' object to bytes", o.class().name()));
        if let Ok(buf) = <rustpython_vm::protocol::PyBuffer as rustpython_vm::TryFromBorrowedObject>::try_from_borrowed_object(vm, &o) {
            return Ok(vm.ctx.new_bytes(buf.contiguous_or_collect(|b| b.to_vec())).into());
        }
        if o.downcast_ref::<rustpython_vm::builtins::PyStr>().is_some() {
            return Err(cant());
        }
        super::py(vm, || {
            let it = match o.get_iter(vm) {
                Ok(it) => it,
                Err(e) if e.fast_isinstance(vm.ctx.exceptions.type_error) => return Err(cant()),
                Err(e) => return Err(e),
            };
            vm.ctx.types.bytes_type.as_object().call((it,), vm)
        })
    })
}

/// The data of a bytes-like object, or `None` if it has no buffer.
fn buffer_data(vm: &rustpython_vm::VirtualMachine, o: &rustpython_vm::PyObjectRef) -> Option<Vec<u8>> {
    <rustpython_vm::protocol::PyBuffer as rustpython_vm::TryFromBorrowedObject>::try_from_borrowed_object(vm, o).ok().map(|b| b.contiguous_or_collect(|b| b.to_vec()))
}

/// `a + b` for two bytes-like objects, as `bytes_concat`/`bytearray_concat` do.
fn concat(vm: &rustpython_vm::VirtualMachine, a: &rustpython_vm::PyObjectRef, b: &rustpython_vm::PyObjectRef) -> rustpython_vm::PyResult<Vec<u8>> {
    match (buffer_data(vm, a), buffer_data(vm, b)) {
        (Some(mut x), Some(y)) => {
            x.extend_from_slice(&y);
            Ok(x)
        }
        _ => Err(type_error(vm, format!("can't concat {} to {}", b.class().name(), a.class().name()))),
    }
}

/// `*pv = *pv + w` as a new bytes: the old `*pv` reference is released; on
/// error `*pv` becomes NULL. A NULL `*pv` is left alone; a NULL `w` clears `*pv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBytes_Concat(pv: *mut *mut PyObject, w: *mut PyObject) {
    if pv.is_null() {
        return;
    }
    // SAFETY: pv points to the caller's (possibly NULL) owned reference.
    let v = unsafe { *pv };
    if v.is_null() {
        return;
    }
    if w.is_null() {
        // SAFETY: the caller's reference is released.
        unsafe {
            *pv = std::ptr::null_mut();
            bridge::decref(v);
        }
        return;
    }
    let r = new_ref("PyBytes_Concat", |vm| Ok(vm.ctx.new_bytes(concat(vm, &rp(vm, v)?, &rp(vm, w)?)?).into()));
    // SAFETY: the caller's reference moves to the result (NULL on error).
    unsafe {
        *pv = r;
        bridge::decref(v);
    }
}

/// `PyBytes_Concat`, then releases `w` (stolen).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyBytes_ConcatAndDel(pv: *mut *mut PyObject, w: *mut PyObject) {
    // SAFETY: as PyBytes_Concat; w is the caller's reference, released after.
    unsafe {
        PyBytes_Concat(pv, w);
        bridge::xdecref(w);
    }
}

/// New reference to `bytearray(a) + b` for two bytes-like objects.
#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_Concat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    new_ref("PyByteArray_Concat", |vm| Ok(PyByteArray::from(concat(vm, &rp(vm, a)?, &rp(vm, b)?)?).into_ref(&vm.ctx).into()))
}

/// Resizes a bytearray in place to `len` bytes (new bytes are zero); 0, or
/// -1 with ValueError for a negative size or BufferError while exported.
#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_Resize(o: *mut PyObject, len: Py_ssize_t) -> std::ffi::c_int {
    api("PyByteArray_Resize", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyByteArray>().ok_or_else(|| type_error(vm, "expected bytearray"))?;
        if len < 0 {
            return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, format!("Can only resize to positive sizes, got {len}")));
        }
        let cur = b.borrow_buf().len();
        let n = len as usize;
        if n < cur {
            let tail = vm.ctx.types.slice_type.as_object().call((n, vm.ctx.none()), vm)?;
            obj.del_item(&*tail, vm)?;
        } else if n > cur {
            vm.call_method(&obj, "extend", (vm.ctx.new_bytes(vec![0; n - cur]),))?;
        }
        Ok(0)
    })
}
