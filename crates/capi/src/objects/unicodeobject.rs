//! `unicodeobject.h`: str mirrors, `PyUnicode_New` builders and `PyUnicode_*`.
//!
//! Mirror layout: an ASCII string is a compact ASCII object with its bytes
//! inline at offset 40 (which is also its UTF-8). A non-ASCII string is a
//! compact object header (`PyCompactUnicodeObject`, 56 bytes) whose UTF-8
//! (`utf8`/`utf8_length`) and fixed-width data (`PyUnicode_DATA`) are made on
//! first request and owned by the mirror. A `PyUnicode_New` builder has its
//! fixed-width data inline (offset 40 or 56) as CPython lays it out.

use rustpython_vm::AsObject as _;
use rustpython_vm::builtins::PyStr;
use rustpython_vm::common::wtf8::{CodePoint, Wtf8Buf};
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_void};

use super::{bytes_arg, cbool, cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge::layout::{inline_data, state};
use crate::bridge;
use crate::runtime::{api, api_noerr, system_error, type_error};

/// The str behind `o`, with a TypeError naming the function otherwise.
fn str_of(vm: &VirtualMachine, o: *mut PyObject, func: &str) -> PyResult<rustpython_vm::PyRef<PyStr>> {
    rp(vm, o)?
        .downcast::<PyStr>()
        .map_err(|x| type_error(vm, format!("{func}: expected str, got '{}'", x.class().name())))
}

/// New reference to a str decoded from UTF-8 (`size` bytes).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromStringAndSize(s: *const c_char, size: Py_ssize_t) -> *mut PyObject {
    if s.is_null() && size > 0 {
        return api("PyUnicode_FromStringAndSize", |vm| {
            Err(system_error(vm, "PyUnicode_FromStringAndSize(NULL, n) is not supported; use PyUnicode_New"))
        });
    }
    new_ref("PyUnicode_FromStringAndSize", |vm| decode_utf8(vm, bytes_arg(vm, s, size)?, "strict"))
}

fn decode_utf8(vm: &VirtualMachine, b: &[u8], errors: &str) -> PyResult<PyObjectRef> {
    match std::str::from_utf8(b) {
        Ok(s) => Ok(vm.ctx.new_str(s).into()),
        Err(_) => {
            let bytes = vm.ctx.new_bytes(b.to_vec());
            vm.call_method(bytes.as_ref(), "decode", ("utf-8", errors))
        }
    }
}

/// New reference to a str decoded from a NUL-terminated UTF-8 string.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromString(s: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_FromString", |vm| Ok(vm.ctx.new_str(cstr(vm, s)?).into()))
}

/// `PyUnicode_DecodeUTF8(s, size, errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF8(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_DecodeUTF8", |vm| {
        let errors = if errors.is_null() { "strict" } else { cstr(vm, errors)? };
        decode_utf8(vm, bytes_arg(vm, s, size)?, errors)
    })
}

/// UTF-8 of `o`, owned by the str's mirror (valid while the str lives);
/// `*size` gets its length. UnicodeEncodeError for lone surrogates.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUTF8AndSize(o: *mut PyObject, size: *mut Py_ssize_t) -> *const c_char {
    api("PyUnicode_AsUTF8AndSize", |vm| {
        let s = str_of(vm, o, "PyUnicode_AsUTF8AndSize")?;
        // After to_rp, o is a realised mirror of s.
        let (ptr, len) = utf8_of(vm, o, &s)?;
        if !size.is_null() {
            // SAFETY: size is a valid out pointer.
            unsafe { *size = len as isize };
        }
        Ok(ptr)
    })
}

fn utf8_of(vm: &VirtualMachine, o: *mut PyObject, s: &rustpython_vm::Py<PyStr>) -> PyResult<(*const c_char, usize)> {
    let (_, ascii) = state(o);
    if ascii {
        // SAFETY: str layout.
        let len = unsafe { (*o.cast::<PyASCIIObject>()).length } as usize;
        return Ok((inline_data(o).cast(), len));
    }
    let c = o.cast::<PyCompactUnicodeObject>();
    // SAFETY: non-ASCII strs have the compact header.
    unsafe {
        if !(*c).utf8.is_null() {
            return Ok(((*c).utf8, (*c).utf8_length as usize));
        }
    }
    let text = s.to_str().ok_or_else(|| {
        let pos = s.as_wtf8().code_points().position(|c| c.to_char().is_none()).unwrap_or(0);
        vm.new_unicode_encode_error(
            vm.ctx.new_str("utf-8"),
            s.to_owned(),
            pos,
            pos + 1,
            vm.ctx.new_str("surrogates not allowed"),
        )
    })?;
    let mut buf = Vec::with_capacity(text.len() + 1);
    buf.extend_from_slice(text.as_bytes());
    buf.push(0);
    let buf = buf.into_boxed_slice();
    let ptr = buf.as_ptr().cast::<c_char>();
    // SAFETY: o is facade-allocated; the buffer is owned by its aux block.
    unsafe {
        bridge::aux(o).buffers.push(buf);
        (*c).utf8 = ptr.cast_mut();
        (*c).utf8_length = text.len() as isize;
    }
    Ok((ptr, text.len()))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUTF8(o: *mut PyObject) -> *const c_char {
    PyUnicode_AsUTF8AndSize(o, std::ptr::null_mut())
}

/// New reference to the UTF-8 bytes of `o`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUTF8String(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_AsUTF8String", |vm| vm.call_method(str_of(vm, o, "PyUnicode_AsUTF8String")?.as_ref(), "encode", ("utf-8",)))
}

/// New reference to `o.encode(encoding, errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsEncodedString(o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_AsEncodedString", |vm| {
        let s = str_of(vm, o, "PyUnicode_AsEncodedString")?;
        let enc = if encoding.is_null() { "utf-8" } else { cstr(vm, encoding)? };
        let err = if errors.is_null() { "strict" } else { cstr(vm, errors)? };
        vm.call_method(s.as_ref(), "encode", (enc, err))
    })
}

/// New reference to `bytes` decoded with `encoding`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Decode(s: *const c_char, size: Py_ssize_t, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_Decode", |vm| {
        let b = vm.ctx.new_bytes(bytes_arg(vm, s, size)?.to_vec());
        let enc = if encoding.is_null() { "utf-8" } else { cstr(vm, encoding)? };
        let err = if errors.is_null() { "strict" } else { cstr(vm, errors)? };
        vm.call_method(b.as_ref(), "decode", (enc, err))
    })
}

/// `os.fsencode(o)`: UTF-8 with surrogateescape.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_EncodeFSDefault(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_EncodeFSDefault", |vm| {
        vm.call_method(str_of(vm, o, "PyUnicode_EncodeFSDefault")?.as_ref(), "encode", ("utf-8", "surrogateescape"))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeFSDefaultAndSize(s: *const c_char, size: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_DecodeFSDefaultAndSize", |vm| decode_utf8(vm, bytes_arg(vm, s, size)?, "surrogateescape"))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeFSDefault(s: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_DecodeFSDefault", |vm| {
        let b = cstr_bytes(vm, s)?;
        decode_utf8(vm, b, "surrogateescape")
    })
}

fn cstr_bytes<'a>(vm: &VirtualMachine, s: *const c_char) -> PyResult<&'a [u8]> {
    if s.is_null() {
        return Err(system_error(vm, "NULL string passed to a C-API function"));
    }
    // SAFETY: NUL-terminated C string.
    Ok(unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes())
}

/// A `PyUnicode_New` builder for `size` characters up to `maxchar`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_New(size: Py_ssize_t, maxchar: u32) -> *mut PyObject {
    api("PyUnicode_New", |vm| {
        if size < 0 {
            return Err(system_error(vm, "Negative size passed to PyUnicode_New"));
        }
        if maxchar > 0x10ffff {
            return Err(system_error(vm, "invalid maximum character passed to PyUnicode_New"));
        }
        if size == 0 {
            // The empty string is a singleton, as in CPython (and RustPython).
            return Ok(bridge::to_c(vm, vm.ctx.empty_str.as_object()));
        }
        Ok(bridge::builders::new_str(crate::types::static_type!(PyUnicode_Type), size as usize, maxchar))
    })
}

/// Pointer to the fixed-width characters of `o` (`PyUnicode_KIND` bytes
/// each), inline in the mirror as in CPython's compact strings.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DATA(o: *mut PyObject) -> *mut c_void {
    api("PyUnicode_DATA", |vm| {
        // A `PyUnicode_New` builder is still being filled: no type check (it
        // would realise it).
        if !bridge::builders::is_unrealised(o) {
            str_of(vm, o, "PyUnicode_DATA")?;
        }
        Ok(inline_data(o).cast())
    })
}

/// `PyUnicode_KIND`: 1, 2 or 4.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_KIND(o: *mut PyObject) -> u32 {
    state(o).0
}

/// Number of code points.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_GetLength(o: *mut PyObject) -> Py_ssize_t {
    api("PyUnicode_GetLength", |vm| Ok(str_of(vm, o, "PyUnicode_GetLength")?.char_len() as isize))
}

/// `PyUnicode_ReadChar(o, i)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_ReadChar(o: *mut PyObject, i: Py_ssize_t) -> u32 {
    api("PyUnicode_ReadChar", |vm| {
        let s = str_of(vm, o, "PyUnicode_ReadChar")?;
        usize::try_from(i)
            .ok()
            .and_then(|i| s.as_wtf8().code_points().nth(i))
            .map(|c| c.to_u32())
            .ok_or_else(|| vm.new_exception_msg(vm.ctx.exceptions.index_error.to_owned(), "string index out of range".into()))
    })
}

/// Interns `*p` in place (steals and replaces the reference).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_InternInPlace(p: *mut *mut PyObject) {
    api("PyUnicode_InternInPlace", |vm| {
        // SAFETY: p points to an owned str reference.
        let o = unsafe { *p };
        let s = str_of(vm, o, "PyUnicode_InternInPlace")?;
        let interned: PyObjectRef = vm.ctx.intern_str(s.as_wtf8()).to_owned().into();
        let q = bridge::to_c(vm, &interned);
        // SAFETY: replace the caller's reference with one to the interned str.
        unsafe {
            bridge::decref(o);
            *p = q;
        }
        Ok(())
    })
}

/// New reference to the interned str for a UTF-8 C string.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_InternFromString(s: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_InternFromString", |vm| Ok(vm.ctx.intern_str(cstr(vm, s)?).to_owned().into()))
}

/// 1 if `o` equals the UTF-8 string `s[:size]`, else 0; never raises.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_EqualToUTF8AndSize(o: *mut PyObject, s: *const c_char, size: Py_ssize_t) -> c_int {
    api_noerr("PyUnicode_EqualToUTF8AndSize", 0, |vm| {
        let (Ok(obj), Ok(b)) = (rp(vm, o), bytes_arg(vm, s, size)) else { return 0 };
        obj.downcast_ref::<PyStr>().map_or(0, |x| cbool(x.as_bytes() == b && x.to_str().is_some()))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_EqualToUTF8(o: *mut PyObject, s: *const c_char) -> c_int {
    if s.is_null() {
        return 0;
    }
    // SAFETY: NUL-terminated C string.
    let n = unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes().len();
    PyUnicode_EqualToUTF8AndSize(o, s, n as isize)
}

/// -1, 0, 1 comparing two strs by code point.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Compare(a: *mut PyObject, b: *mut PyObject) -> c_int {
    api("PyUnicode_Compare", |vm| {
        let (a, b) = (str_of(vm, a, "PyUnicode_Compare")?, str_of(vm, b, "PyUnicode_Compare")?);
        Ok(match a.as_wtf8().cmp(b.as_wtf8()) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_CompareWithASCIIString(a: *mut PyObject, s: *const c_char) -> c_int {
    api_noerr("PyUnicode_CompareWithASCIIString", -1, |vm| {
        let (Ok(a), Ok(b)) = (rp(vm, a), cstr_bytes(vm, s)) else { return -1 };
        let Some(a) = a.downcast_ref::<PyStr>() else { return -1 };
        match a.as_bytes().cmp(b) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }
    })
}

/// New reference to `a + b`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Concat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_Concat", |vm| {
        let (a, b) = (str_of(vm, a, "PyUnicode_Concat")?, str_of(vm, b, "PyUnicode_Concat")?);
        let mut buf = a.as_wtf8().to_owned();
        buf.push_wtf8(b.as_wtf8());
        Ok(vm.ctx.new_str(buf).into())
    })
}

/// New reference to `chr(ch)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromOrdinal(ch: c_int) -> *mut PyObject {
    new_ref("PyUnicode_FromOrdinal", |vm| {
        let cp = u32::try_from(ch).ok().and_then(CodePoint::from_u32).ok_or_else(|| {
            vm.new_exception_msg(vm.ctx.exceptions.value_error.to_owned(), "chr() arg not in range(0x110000)".into())
        })?;
        let mut b = Wtf8Buf::new();
        b.push(cp);
        Ok(vm.ctx.new_str(b).into())
    })
}

/// `PyUnicode_FromEncodedObject(obj, encoding, errors)` for bytes-like objects.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromEncodedObject(o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_FromEncodedObject", |vm| {
        let enc = if encoding.is_null() { "utf-8" } else { cstr(vm, encoding)? };
        let err = if errors.is_null() { "strict" } else { cstr(vm, errors)? };
        vm.call_method(&*rp(vm, o)?, "decode", (enc, err))
    })
}

// ---- PyUnicodeWriter (3.14) --------------------------------------------------------

struct Writer(Wtf8Buf);

/// A new writer (free with `PyUnicodeWriter_Finish` or `_Discard`).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_Create(length: Py_ssize_t) -> *mut c_void {
    api("PyUnicodeWriter_Create", |vm| {
        if length < 0 {
            return Err(vm.new_exception_msg(vm.ctx.exceptions.value_error.to_owned(), "length must be positive".into()));
        }
        Ok(Box::into_raw(Box::new(Writer(Wtf8Buf::with_capacity(length as usize)))).cast())
    })
}

fn writer<'a>(w: *mut c_void) -> &'a mut Writer {
    // SAFETY: w came from PyUnicodeWriter_Create and is not yet finished.
    unsafe { &mut *w.cast::<Writer>() }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_Discard(w: *mut c_void) {
    if !w.is_null() {
        // SAFETY: w came from PyUnicodeWriter_Create.
        drop(unsafe { Box::from_raw(w.cast::<Writer>()) });
    }
}

/// New reference to the written str; frees the writer.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_Finish(w: *mut c_void) -> *mut PyObject {
    // SAFETY: w came from PyUnicodeWriter_Create.
    let w = unsafe { Box::from_raw(w.cast::<Writer>()) };
    new_ref("PyUnicodeWriter_Finish", |vm| Ok(vm.ctx.new_str(w.0).into()))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteChar(w: *mut c_void, ch: u32) -> c_int {
    api("PyUnicodeWriter_WriteChar", |vm| {
        let cp = CodePoint::from_u32(ch).ok_or_else(|| vm.new_exception_msg(vm.ctx.exceptions.value_error.to_owned(), "character must be in range(0x110000)".into()))?;
        writer(w).0.push(cp);
        Ok(0)
    })
}

fn written_len(s: *const c_char, size: Py_ssize_t) -> Py_ssize_t {
    if size < 0 && !s.is_null() {
        // SAFETY: size -1 means NUL-terminated.
        unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes().len() as isize
    } else {
        size
    }
}

/// Appends UTF-8 (`size` -1: NUL-terminated); UnicodeDecodeError if invalid.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteUTF8(w: *mut c_void, s: *const c_char, size: Py_ssize_t) -> c_int {
    api("PyUnicodeWriter_WriteUTF8", |vm| {
        let b = bytes_arg(vm, s, written_len(s, size))?;
        let d = decode_utf8(vm, b, "strict")?;
        writer(w).0.push_wtf8(d.downcast_ref::<PyStr>().map(|s| s.as_wtf8()).unwrap_or_default());
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteASCII(w: *mut c_void, s: *const c_char, size: Py_ssize_t) -> c_int {
    PyUnicodeWriter_WriteUTF8(w, s, size)
}

fn write_obj(w: *mut c_void, o: PyResult<PyObjectRef>) -> PyResult<c_int> {
    let o = o?;
    if let Some(s) = o.downcast_ref::<PyStr>() {
        writer(w).0.push_wtf8(s.as_wtf8());
    }
    Ok(0)
}

/// Appends `str(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteStr(w: *mut c_void, o: *mut PyObject) -> c_int {
    api("PyUnicodeWriter_WriteStr", |vm| write_obj(w, rp(vm, o)?.str(vm).map(Into::into)))
}

/// Appends `repr(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteRepr(w: *mut c_void, o: *mut PyObject) -> c_int {
    api("PyUnicodeWriter_WriteRepr", |vm| write_obj(w, rp(vm, o)?.repr(vm).map(Into::into)))
}
