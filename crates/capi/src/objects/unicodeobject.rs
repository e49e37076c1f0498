//! `unicodeobject.h`: str mirrors, `PyUnicode_New` builders and `PyUnicode_*`.
//!
//! Mirror layout: an ASCII string is a compact ASCII object with its bytes
//! inline at offset 40 (which is also its UTF-8). A non-ASCII string is a
//! compact object header (`PyCompactUnicodeObject`, 56 bytes) whose UTF-8
//! (`utf8`/`utf8_length`) and fixed-width data (`PyUnicode_DATA`) are made on
//! first request and owned by the mirror. A `PyUnicode_New` builder has its
//! fixed-width data inline (offset 40 or 56) as CPython lays it out.

use rustpython_vm::AsObject as _;
use rustpython_vm::builtins::{PyStr, PyTuple};
use super::codecs::{codecs_call, errors_arg};
use rustpython_vm::common::wtf8::{CodePoint, Wtf8Buf};
use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyObjectRef, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_void};

use super::{bytes_arg, cbool, cstr, new_ref, py, rp};
use crate::abi::*;
use crate::bridge::layout::{inline_data, state};
use crate::bridge;
use crate::runtime::{api, api_noerr, system_error, type_error};

/// New reference to a str decoded from UTF-8 (`size` bytes).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromStringAndSize(s: *const c_char, size: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_FromStringAndSize", |vm| {
        if size < 0 {
            return Err(system_error(vm, "Negative size passed to PyUnicode_FromStringAndSize"));
        }
        if s.is_null() && size > 0 {
            return Err(system_error(vm, "NULL string with positive size with NULL passed to PyUnicode_FromStringAndSize"));
        }
        decode_utf8(vm, bytes_arg(vm, s, size)?, "strict")
    })
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
        let s = str_or_bad_argument(vm, o)?;
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

/// UTF-8 of `o`, owned by the str (borrowed buffer, valid while the str lives).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUTF8(o: *mut PyObject) -> *const c_char {
    PyUnicode_AsUTF8AndSize(o, std::ptr::null_mut())
}

/// New reference to the UTF-8 bytes of `o`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUTF8String(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_AsUTF8String", |vm| encode_text(vm, o, c"utf-8".as_ptr(), std::ptr::null()))
}

/// New reference to `o.encode(encoding, errors)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsEncodedString(o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_AsEncodedString", |vm| encode_text(vm, o, encoding, errors))
}

/// `str.encode(encoding, errors)` for a text codec (NULL encoding: UTF-8);
/// `PyErr_BadArgument` for a non-str.
fn encode_text(vm: &VirtualMachine, o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> PyResult {
    let s = str_or_bad_argument(vm, o)?;
    let enc = if encoding.is_null() { "utf-8" } else { cstr(vm, encoding)? };
    let errors = if errors.is_null() { None } else { Some(vm.ctx.new_utf8_str(cstr(vm, errors)?)) };
    Ok(py(vm, || vm.state.codec_registry.encode_text(s, enc, errors, vm))?.into())
}

/// `bytes-like.decode(encoding, errors)` for a text codec (NULL encoding: UTF-8).
fn decode_text(vm: &VirtualMachine, b: PyObjectRef, encoding: *const c_char, errors: *const c_char) -> PyResult {
    let enc = if encoding.is_null() { "utf-8" } else { cstr(vm, encoding)? };
    let errors = if errors.is_null() { None } else { Some(vm.ctx.new_utf8_str(cstr(vm, errors)?)) };
    Ok(py(vm, || vm.state.codec_registry.decode_text_object(b, enc, errors, vm))?.into())
}

/// New reference to `bytes` decoded with `encoding`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Decode(s: *const c_char, size: Py_ssize_t, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_Decode", |vm| decode_text(vm, vm.ctx.new_bytes(bytes_arg(vm, s, size)?.to_vec()).into(), encoding, errors))
}

/// `os.fsencode(o)`: UTF-8 with surrogateescape.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_EncodeFSDefault(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_EncodeFSDefault", |vm| {
        encode_text(vm, o, c"utf-8".as_ptr(), c"surrogateescape".as_ptr())
    })
}

/// New str from the FS encoding (UTF-8, surrogateescape).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeFSDefaultAndSize(s: *const c_char, size: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_DecodeFSDefaultAndSize", |vm| decode_utf8(vm, bytes_arg(vm, s, size)?, "surrogateescape"))
}

/// New str from a NUL-terminated string in the FS encoding (UTF-8, surrogateescape).
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
            str_or_bad_argument(vm, o)?;
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
    api("PyUnicode_GetLength", |vm| Ok(length_of(vm, o)? as isize))
}

/// `PyUnicode_ReadChar(o, i)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_ReadChar(o: *mut PyObject, i: Py_ssize_t) -> u32 {
    api("PyUnicode_ReadChar", |vm| {
        let n = length_of(vm, o)?;
        let i = usize::try_from(i).ok().filter(|&i| i < n);
        if is_builder(o) {
            return i.map(|i| builder_read(o, i)).ok_or_else(|| index_error(vm));
        }
        let s = str_or_bad_argument(vm, o)?;
        i.and_then(|i| s.as_wtf8().code_points().nth(i))
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
        // CPython ignores anything but a str here (the function cannot fail).
        let Ok(s) = rp(vm, o)?.downcast::<PyStr>() else { return Ok(()) };
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
    // An ASCII str compares its inline characters (jiter's key cache asks
    // this for every object key it parses).
    if let Some(chars) = bridge::layout::ascii_chars(o).filter(|_| !s.is_null() && size >= 0) {
        // SAFETY: s points to size readable bytes (the caller's contract).
        return cbool(chars == unsafe { std::slice::from_raw_parts(s.cast::<u8>(), size as usize) });
    }
    api_noerr("PyUnicode_EqualToUTF8AndSize", 0, |vm| {
        let (Ok(obj), Ok(b)) = (rp(vm, o), bytes_arg(vm, s, size)) else { return 0 };
        obj.downcast_ref::<PyStr>().map_or(0, |x| cbool(x.as_bytes() == b && x.to_str().is_some()))
    })
}

/// 1 if `o` equals the NUL-terminated UTF-8 string `s`, else 0; never raises.
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
        let (a, b) = (rp(vm, a)?, rp(vm, b)?);
        let (Some(a), Some(b)) = (a.downcast_ref::<PyStr>(), b.downcast_ref::<PyStr>()) else {
            return Err(type_error(vm, format!("Can't compare {} and {}", a.class().name(), b.class().name())));
        };
        Ok(match a.as_wtf8().cmp(b.as_wtf8()) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        })
    })
}

/// -1, 0, 1 comparing `a` with an ASCII C string; never raises.
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
        let a = ensure(vm, a)?;
        let b = rp(vm, b)?
            .downcast::<PyStr>()
            .map_err(|x| type_error(vm, format!("can only concatenate str (not \"{}\") to str", x.class().name())))?;
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
        let o = rp(vm, o)?;
        if o.downcast_ref::<PyStr>().is_some() {
            return Err(type_error(vm, "decoding str is not supported"));
        }
        let b = <rustpython_vm::function::ArgBytesLike as rustpython_vm::TryFromObject>::try_from_object(vm, o.clone())
            .map_err(|_| type_error(vm, format!("decoding to str: need a bytes-like object, {} found", o.class().name())))?;
        let b = vm.ctx.new_bytes(b.borrow_buf().to_vec());
        decode_text(vm, b.into(), encoding, errors)
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

/// Frees a writer without making a str (NULL allowed).
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

/// Appends one character; ValueError outside range(0x110000).
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

/// Appends ASCII (`size` -1: NUL-terminated).
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

/// Appends `str(o)` (`"<NULL>"` for NULL, as `PyObject_Str`).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteStr(w: *mut c_void, o: *mut PyObject) -> c_int {
    api("PyUnicodeWriter_WriteStr", |vm| write_obj(w, null_text(vm, o).map_or_else(|| { let o = rp(vm, o)?; py(vm, || o.str(vm)).map(Into::into) }, Ok)))
}

/// Appends `repr(o)` (`"<NULL>"` for NULL, CPython 3.14.4).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteRepr(w: *mut c_void, o: *mut PyObject) -> c_int {
    api("PyUnicodeWriter_WriteRepr", |vm| write_obj(w, null_text(vm, o).map_or_else(|| { let o = rp(vm, o)?; py(vm, || o.repr(vm)).map(Into::into) }, Ok)))
}

/// `"<NULL>"` for a NULL object, as `PyObject_Str`/`Repr` write it.
fn null_text(vm: &VirtualMachine, o: *mut PyObject) -> Option<PyObjectRef> {
    o.is_null().then(|| vm.ctx.new_str("<NULL>").into())
}

// ---- argument checks shared by the functions below ---------------------------------

/// CPython's `PyErr_BadArgument()`.
fn bad_argument(vm: &VirtualMachine) -> PyBaseExceptionRef {
    type_error(vm, "bad argument type for built-in operation")
}

/// CPython's `PyErr_BadInternalCall()`.
fn bad_internal_call(vm: &VirtualMachine) -> PyBaseExceptionRef {
    system_error(vm, "bad argument to internal function")
}

fn index_error(vm: &VirtualMachine) -> PyBaseExceptionRef {
    vm.new_exception_msg(vm.ctx.exceptions.index_error.to_owned(), "string index out of range".into())
}

fn value_error(vm: &VirtualMachine, msg: &str) -> PyBaseExceptionRef {
    vm.new_exception_msg(vm.ctx.exceptions.value_error.to_owned(), msg.to_owned().into())
}

/// CPython's `ensure_unicode`: `TypeError("must be str, not T")`.
fn ensure(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<PyRef<PyStr>> {
    rp(vm, o)?.downcast::<PyStr>().map_err(|x| type_error(vm, format!("must be str, not {}", x.class().name())))
}

/// The str `o`, or `PyErr_BadArgument()`'s TypeError.
fn str_or_bad_argument(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<PyRef<PyStr>> {
    if o.is_null() {
        return Err(bad_internal_call(vm));
    }
    rp(vm, o)?.downcast::<PyStr>().map_err(|_| bad_argument(vm))
}

fn new_str_from(vm: &VirtualMachine, cps: impl IntoIterator<Item = u32>) -> PyResult<PyObjectRef> {
    let mut buf = Wtf8Buf::new();
    for c in cps {
        buf.push(CodePoint::from_u32(c).ok_or_else(|| value_error(vm, &format!("character U+{c:x} is not in range [U+0000; U+10ffff]")))?);
    }
    Ok(vm.ctx.new_str(buf).into())
}

// ---- builders: in-place writes on a fresh PyUnicode_New string ----------------------

/// Whether `o` is a `PyUnicode_New` result not yet seen by Python (its inline
/// data is authoritative and may be written).
fn is_builder(o: *mut PyObject) -> bool {
    // SAFETY: o is a valid object; only its type pointer is read.
    !o.is_null() && unsafe { (*o).ob_type } == crate::types::static_type!(PyUnicode_Type) && bridge::builders::is_unrealised(o)
}

fn builder_len(o: *mut PyObject) -> usize {
    // SAFETY: str layout.
    unsafe { (*o.cast::<PyASCIIObject>()).length as usize }
}

/// `PyUnicode_MAX_CHAR_VALUE(o)`.
fn max_char_value(o: *mut PyObject) -> u32 {
    match state(o) {
        (_, true) => 0x7f,
        (PyUnicode_1BYTE_KIND, _) => 0xff,
        (PyUnicode_2BYTE_KIND, _) => 0xffff,
        _ => 0x10ffff,
    }
}

/// Code point `i` of a builder's inline data.
fn builder_read(o: *mut PyObject, i: usize) -> u32 {
    let data = inline_data(o);
    // SAFETY: i < length; units of the builder's kind.
    unsafe {
        match state(o).0 {
            PyUnicode_1BYTE_KIND => *data.add(i) as u32,
            PyUnicode_2BYTE_KIND => *data.cast::<u16>().add(i) as u32,
            _ => *data.cast::<u32>().add(i),
        }
    }
}

/// Stores `ch` (within the builder's maximum) at index `i`.
fn builder_write(o: *mut PyObject, i: usize, ch: u32) {
    let data = inline_data(o);
    // SAFETY: i < length; ch fits the kind (callers check max_char_value).
    unsafe {
        match state(o).0 {
            PyUnicode_1BYTE_KIND => *data.add(i) = ch as u8,
            PyUnicode_2BYTE_KIND => *data.cast::<u16>().add(i) = ch as u16,
            _ => *data.cast::<u32>().add(i) = ch,
        }
    }
}

/// The code points of a str or builder; a builder is read in place (not realised).
fn code_points(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<Vec<u32>> {
    if is_builder(o) {
        return Ok((0..builder_len(o)).map(|i| builder_read(o, i)).collect());
    }
    Ok(str_or_bad_argument(vm, o)?.as_wtf8().code_points().map(|c| c.to_u32()).collect())
}

/// Whether `o` is a str (builders included), without realising a builder.
fn is_str(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<bool> {
    if o.is_null() {
        return Ok(false);
    }
    Ok(is_builder(o) || rp(vm, o)?.downcast_ref::<PyStr>().is_some())
}

/// Length of a str or builder, without realising a builder.
fn length_of(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<usize> {
    if is_builder(o) { Ok(builder_len(o)) } else { Ok(str_or_bad_argument(vm, o)?.char_len()) }
}

/// CPython's `unicode_check_modifiable`: only a fresh, unshared string may be
/// written in place (here: a builder C alone holds).
fn check_modifiable(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<()> {
    // SAFETY: o is a valid object.
    if is_builder(o) && unsafe { (*o).ob_refcnt } == 1 {
        Ok(())
    } else {
        Err(system_error(vm, "Cannot modify a string currently used"))
    }
}

/// Writes `ch` at `index` of a fresh string; 0, or -1 (IndexError, SystemError if shared, ValueError).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_WriteChar(unicode: *mut PyObject, index: Py_ssize_t, ch: u32) -> c_int {
    api("PyUnicode_WriteChar", |vm| {
        if !is_str(vm, unicode)? {
            return Err(bad_argument(vm));
        }
        if index < 0 || index as usize >= length_of(vm, unicode)? {
            return Err(index_error(vm));
        }
        check_modifiable(vm, unicode)?;
        if ch > max_char_value(unicode) {
            return Err(value_error(vm, "character out of range"));
        }
        builder_write(unicode, index as usize, ch);
        Ok(0)
    })
}

/// Fills `length` characters from `start` with `fill_char`; the number written.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Fill(unicode: *mut PyObject, start: Py_ssize_t, length: Py_ssize_t, fill_char: u32) -> Py_ssize_t {
    api("PyUnicode_Fill", |vm| {
        if !is_str(vm, unicode)? {
            return Err(bad_internal_call(vm));
        }
        check_modifiable(vm, unicode)?;
        if start < 0 {
            return Err(index_error(vm));
        }
        if fill_char > max_char_value(unicode) {
            return Err(value_error(vm, "fill character is bigger than the string maximum character"));
        }
        let length = length.min(builder_len(unicode) as isize - start);
        if length <= 0 {
            return Ok(0);
        }
        for i in start..start + length {
            builder_write(unicode, i as usize, fill_char);
        }
        Ok(length)
    })
}

fn kind_name(o: *mut PyObject) -> &'static str {
    match state(o) {
        (_, true) => "ascii",
        (PyUnicode_1BYTE_KIND, _) => "latin1",
        (PyUnicode_2BYTE_KIND, _) => "UCS2",
        _ => "UCS4",
    }
}

/// Copies `how_many` characters of `from[from_start:]` into the fresh string
/// `to` at `to_start`; the number copied.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_CopyCharacters(to: *mut PyObject, to_start: Py_ssize_t, from: *mut PyObject, from_start: Py_ssize_t, how_many: Py_ssize_t) -> Py_ssize_t {
    api("PyUnicode_CopyCharacters", |vm| {
        if !is_str(vm, from)? || !is_str(vm, to)? {
            return Err(bad_internal_call(vm));
        }
        let src = code_points(vm, from)?;
        let to_len = length_of(vm, to)?;
        if from_start as usize > src.len() || to_start as usize > to_len {
            return Err(index_error(vm));
        }
        if how_many < 0 {
            return Err(system_error(vm, "how_many cannot be negative"));
        }
        let n = how_many.min((src.len() - from_start as usize) as isize);
        if to_start + n > to_len as isize {
            return Err(system_error(vm, format!("Cannot write {n} characters at {to_start} in a string of {to_len} characters")));
        }
        if n == 0 {
            return Ok(0);
        }
        check_modifiable(vm, to)?;
        let part = &src[from_start as usize..(from_start + n) as usize];
        // As CPython, only a wider source kind is checked against the target's maximum.
        let from_kind = if is_builder(from) { kind_name(from) } else {
            match src.iter().copied().max().unwrap_or(0) { 0..=0x7f => "ascii", 0x80..=0xff => "latin1", 0x100..=0xffff => "UCS2", _ => "UCS4" }
        };
        let width = |k: &str| match k { "ascii" | "latin1" => 1, "UCS2" => 2, _ => 4 };
        if width(from_kind) > state(to).0 && part.iter().any(|&c| c > max_char_value(to)) {
            return Err(system_error(vm, format!("Cannot copy {from_kind} characters into a string of {} characters", kind_name(to))));
        }
        for (i, &c) in part.iter().enumerate() {
            builder_write(to, to_start as usize + i, c);
        }
        Ok(n)
    })
}

/// Resizes `*p_unicode` to `length` characters: in place for a fresh string,
/// else replaces (and releases) it with a resized fresh copy. 0, or -1.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_Resize(p_unicode: *mut *mut PyObject, length: Py_ssize_t) -> c_int {
    api("PyUnicode_Resize", |vm| {
        if p_unicode.is_null() {
            return Err(bad_internal_call(vm));
        }
        // SAFETY: p_unicode points to an owned reference.
        let old = unsafe { *p_unicode };
        if old.is_null() || length < 0 || !is_str(vm, old)? {
            return Err(bad_internal_call(vm));
        }
        let cps = code_points(vm, old)?;
        if cps.len() == length as usize {
            return Ok(0);
        }
        let new = if length == 0 {
            bridge::to_c(vm, vm.ctx.empty_str.as_object())
        } else {
            let maxchar = if is_builder(old) { max_char_value(old) } else { cps.iter().copied().max().unwrap_or(0) };
            let new = bridge::builders::new_str(crate::types::static_type!(PyUnicode_Type), length as usize, maxchar);
            for (i, &c) in cps.iter().take(length as usize).enumerate() {
                builder_write(new, i, c);
            }
            new
        };
        // SAFETY: replace the caller's reference.
        unsafe {
            bridge::decref(old);
            *p_unicode = new;
        }
        Ok(0)
    })
}

/// New reference to `str[start:end]` (the same object when that is all of an exact str).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Substring(s: *mut PyObject, start: Py_ssize_t, end: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_Substring", |vm| {
        let cps = code_points(vm, s)?;
        if start < 0 || end < 0 {
            return Err(index_error(vm));
        }
        let end = (end as usize).min(cps.len());
        let start = start as usize;
        let o = rp(vm, s)?;
        if start == 0 && end == cps.len() {
            if o.class().is(vm.ctx.types.str_type) {
                return Ok(o);
            }
        } else if start >= cps.len() || end < start {
            return Ok(vm.ctx.empty_str.to_owned().into());
        }
        new_str_from(vm, cps[start..end].iter().copied())
    })
}

/// Index of `ch` in `str[start:end]` (slice rules), -1 if absent, -2 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FindChar(s: *mut PyObject, ch: u32, start: Py_ssize_t, end: Py_ssize_t, direction: c_int) -> Py_ssize_t {
    api_find("PyUnicode_FindChar", |vm| {
        let cps = code_points(vm, s)?;
        let (start, end) = adjust_indices(start, end, cps.len());
        if end - start < 1 {
            return Ok(-1);
        }
        let part = &cps[start as usize..end as usize];
        let found = if direction > 0 { part.iter().position(|&c| c == ch) } else { part.iter().rposition(|&c| c == ch) };
        Ok(found.map_or(-1, |i| i as isize + start))
    })
}

/// [`api`] for the search functions, whose error value is -2.
fn api_find(name: &str, f: impl FnOnce(&VirtualMachine) -> PyResult<isize>) -> isize {
    api(name, |vm| f(vm).map(Some)).unwrap_or(-2)
}

/// CPython's `ADJUST_INDICES`.
fn adjust_indices(start: isize, end: isize, len: usize) -> (isize, isize) {
    let len = len as isize;
    let end = if end > len { len } else if end < 0 { (end + len).max(0) } else { end };
    let start = if start < 0 { (start + len).max(0) } else { start };
    (start, end)
}

// ---- str methods -------------------------------------------------------------------

/// Calls method `name` of the str `s` (its arguments may run Python code).
fn str_method(vm: &VirtualMachine, s: PyRef<PyStr>, name: &'static str, args: Vec<PyObjectRef>) -> PyResult {
    let args = FuncArgs::from(args);
    let s: PyObjectRef = s.into();
    py(vm, || vm.call_method(&s, name, args))
}

fn opt_str(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<PyObjectRef> {
    if o.is_null() { Ok(vm.ctx.none()) } else { Ok(ensure(vm, o)?.into()) }
}

/// Index of `substr` in `str[start:end]` (`direction` > 0: first, else last), -1 absent, -2 error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Find(s: *mut PyObject, substr: *mut PyObject, start: Py_ssize_t, end: Py_ssize_t, direction: c_int) -> Py_ssize_t {
    api_find("PyUnicode_Find", |vm| {
        let (s, sub) = (ensure(vm, s)?, ensure(vm, substr)?);
        let m = if direction > 0 { "find" } else { "rfind" };
        str_method(vm, s, m, vec![sub.into(), vm.new_pyobj(start), vm.new_pyobj(end)])?.try_into_value(vm)
    })
}

/// Number of non-overlapping `substr` in `str[start:end]`, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Count(s: *mut PyObject, substr: *mut PyObject, start: Py_ssize_t, end: Py_ssize_t) -> Py_ssize_t {
    api("PyUnicode_Count", |vm| {
        let (s, sub) = (ensure(vm, s)?, ensure(vm, substr)?);
        str_method(vm, s, "count", vec![sub.into(), vm.new_pyobj(start), vm.new_pyobj(end)])?.try_into_value(vm)
    })
}

/// 1 if `substr` matches `str[start:end]` at its start (`direction` -1) or end, else 0; -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Tailmatch(s: *mut PyObject, substr: *mut PyObject, start: Py_ssize_t, end: Py_ssize_t, direction: c_int) -> Py_ssize_t {
    api("PyUnicode_Tailmatch", |vm| {
        let (s, sub) = (ensure(vm, s)?, ensure(vm, substr)?);
        let m = if direction == -1 { "startswith" } else { "endswith" };
        Ok(str_method(vm, s, m, vec![sub.into(), vm.new_pyobj(start), vm.new_pyobj(end)])?.try_to_bool(vm)? as isize)
    })
}

/// 1 if `element` (a str) occurs in `container`, else 0; -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Contains(container: *mut PyObject, element: *mut PyObject) -> c_int {
    api("PyUnicode_Contains", |vm| {
        let e = rp(vm, element)?
            .downcast::<PyStr>()
            .map_err(|x| type_error(vm, format!("'in <string>' requires string as left operand, not {}", x.class().name())))?;
        let c = ensure(vm, container)?;
        Ok(cbool(c.as_wtf8().find(e.as_wtf8()).is_some()))
    })
}

/// New list: `s.split(sep, maxsplit)` (NULL sep: whitespace).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Split(s: *mut PyObject, sep: *mut PyObject, maxsplit: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_Split", |vm| {
        let (s, sep) = (ensure(vm, s)?, opt_str(vm, sep)?);
        str_method(vm, s, "split", vec![sep, vm.new_pyobj(maxsplit)])
    })
}

/// New list: `s.rsplit(sep, maxsplit)` (NULL sep: whitespace).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_RSplit(s: *mut PyObject, sep: *mut PyObject, maxsplit: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_RSplit", |vm| {
        let (s, sep) = (ensure(vm, s)?, opt_str(vm, sep)?);
        str_method(vm, s, "rsplit", vec![sep, vm.new_pyobj(maxsplit)])
    })
}

/// New list: `s.splitlines(keepends)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Splitlines(s: *mut PyObject, keepends: c_int) -> *mut PyObject {
    new_ref("PyUnicode_Splitlines", |vm| str_method(vm, ensure(vm, s)?, "splitlines", vec![vm.new_pyobj(keepends != 0)]))
}

/// New 3-tuple: `s.partition(sep)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Partition(s: *mut PyObject, sep: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_Partition", |vm| {
        let (s, sep) = (ensure(vm, s)?, ensure(vm, sep)?);
        str_method(vm, s, "partition", vec![sep.into()])
    })
}

/// New 3-tuple: `s.rpartition(sep)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_RPartition(s: *mut PyObject, sep: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_RPartition", |vm| {
        let (s, sep) = (ensure(vm, s)?, ensure(vm, sep)?);
        str_method(vm, s, "rpartition", vec![sep.into()])
    })
}

/// New reference to `separator.join(seq)` (NULL separator: a space).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Join(separator: *mut PyObject, seq: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_Join", |vm| {
        let seq = rp(vm, seq)?;
        let items: Vec<PyObjectRef> = py(vm, || seq.try_to_value(vm)).map_err(|e| {
            if e.fast_isinstance(vm.ctx.exceptions.type_error) { type_error(vm, "can only join an iterable") } else { e }
        })?;
        // As CPython: one exact str is the result, whatever the separator.
        if let [only] = items.as_slice()
            && only.class().is(vm.ctx.types.str_type)
        {
            return Ok(only.clone());
        }
        let sep = if separator.is_null() {
            vm.ctx.new_str(" ")
        } else {
            rp(vm, separator)?
                .downcast::<PyStr>()
                .map_err(|x| type_error(vm, format!("separator: expected str instance, {} found", x.class().name())))?
        };
        str_method(vm, sep, "join", vec![vm.ctx.new_list(items).into()])
    })
}

/// New reference to `s.replace(substr, replstr, maxcount)` (-1: all).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Replace(s: *mut PyObject, substr: *mut PyObject, replstr: *mut PyObject, maxcount: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_Replace", |vm| {
        let (s, a, b) = (ensure(vm, s)?, ensure(vm, substr)?, ensure(vm, replstr)?);
        str_method(vm, s, "replace", vec![a.into(), b.into(), vm.new_pyobj(maxcount)])
    })
}

/// New reference to `format % args`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Format(format: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_Format", |vm| {
        if format.is_null() || args.is_null() {
            return Err(bad_internal_call(vm));
        }
        let f = ensure(vm, format)?;
        str_method(vm, f, "__mod__", vec![rp(vm, args)?])
    })
}

/// New reference to `str` mapped through `table` (ord -> ord/str/None):
/// unmapped characters are kept; `None` is an error for the `errors` handler
/// (NULL: strict), as CPython's charmap translation does.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Translate(s: *mut PyObject, table: *mut PyObject, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_Translate", |vm| {
        let s = ensure(vm, s)?;
        let table = rp(vm, table)?;
        let errors = super::codecs::errors_arg(vm, errors)?;
        py(vm, || translate(vm, &s, &table, errors))
    })
}

fn translate(vm: &VirtualMachine, s: &PyRef<PyStr>, table: &PyObjectRef, errors: &str) -> PyResult {
    let cps: Vec<CodePoint> = s.as_wtf8().code_points().collect();
    let mut out = Wtf8Buf::with_capacity(cps.len());
    let mut i = 0;
    while i < cps.len() {
        let mapped = match table.get_item(vm.ctx.new_int(cps[i].to_u32()).as_object(), vm) {
            Ok(v) => Some(v),
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.lookup_error) => None,
            Err(e) => return Err(e),
        };
        match mapped {
            None => out.push(cps[i]),
            Some(v) if vm.is_none(&v) => {
                if errors == "ignore" {
                    i += 1;
                    continue;
                }
                let exc = vm.invoke_exception(
                    vm.ctx.exceptions.unicode_translate_error,
                    vec![s.clone().into(), vm.ctx.new_int(i).into(), vm.ctx.new_int(i + 1).into(), vm.ctx.new_str("character maps to <undefined>").into()],
                )?;
                let handler = vm.state.codec_registry.lookup_error(errors, vm)?;
                let r = handler.call((exc,), vm)?;
                let t = r.downcast::<rustpython_vm::builtins::PyTuple>().ok().filter(|t| t.len() == 2).ok_or_else(|| {
                    type_error(vm, "encoding error handler must return (str, int) tuple")
                })?;
                let rep = t[0].downcast_ref::<PyStr>().ok_or_else(|| type_error(vm, "encoding error handler must return (str, int) tuple"))?;
                out.push_wtf8(rep.as_wtf8());
                let pos: isize = t[1].clone().try_into_value(vm)?;
                let pos = if pos < 0 { pos + cps.len() as isize } else { pos };
                if pos < 0 || pos as usize > cps.len() {
                    return Err(vm.new_exception_msg(vm.ctx.exceptions.index_error.to_owned(), format!("position {pos} from error handler out of bounds").into()));
                }
                i = pos as usize;
                continue;
            }
            Some(v) => {
                if let Some(r) = v.downcast_ref::<PyStr>() {
                    out.push_wtf8(r.as_wtf8());
                } else {
                    let n: i64 = v.try_into_value(vm).map_err(|_| type_error(vm, "character mapping must return integer, None or str"))?;
                    let cp = u32::try_from(n).ok().and_then(CodePoint::from_u32).ok_or_else(|| value_error(vm, "character mapping must be in range(0x110000)"))?;
                    out.push(cp);
                }
            }
        }
        i += 1;
    }
    Ok(vm.ctx.new_str(out).into())
}

/// New reference: `True`/`False` for `a <op> b` on two strs, else `NotImplemented`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_RichCompare(a: *mut PyObject, b: *mut PyObject, op: c_int) -> *mut PyObject {
    new_ref("PyUnicode_RichCompare", |vm| {
        let (a, b) = (rp(vm, a)?, rp(vm, b)?);
        let (Some(x), Some(y)) = (a.downcast_ref::<PyStr>(), b.downcast_ref::<PyStr>()) else {
            return Ok(vm.ctx.not_implemented());
        };
        let o = x.as_wtf8().cmp(y.as_wtf8());
        let r = match op {
            0 => o.is_lt(),
            1 => o.is_le(),
            2 => o.is_eq(),
            3 => o.is_ne(),
            4 => o.is_gt(),
            5 => o.is_ge(),
            _ => return Err(bad_argument(vm)),
        };
        Ok(vm.ctx.new_bool(r).into())
    })
}

/// 1 if the two strs are equal, else 0; TypeError if either is not a str (3.14).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_Equal(a: *mut PyObject, b: *mut PyObject) -> c_int {
    api("PyUnicode_Equal", |vm| {
        let a = rp(vm, a)?.downcast::<PyStr>().map_err(|x| type_error(vm, format!("first argument must be str, not {}", x.class().name())))?;
        let b = rp(vm, b)?.downcast::<PyStr>().map_err(|x| type_error(vm, format!("second argument must be str, not {}", x.class().name())))?;
        Ok(cbool(a.as_wtf8() == b.as_wtf8()))
    })
}

/// 1 if `s` is a valid identifier, else 0 (0 for non-str).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_IsIdentifier(s: *mut PyObject) -> c_int {
    api_noerr("PyUnicode_IsIdentifier", 0, |vm| {
        let Ok(Ok(s)) = rp(vm, s).map(|o| o.downcast::<PyStr>()) else { return 0 };
        str_method(vm, s, "isidentifier", vec![]).and_then(|r| r.try_to_bool(vm)).map_or(0, cbool)
    })
}

/// New reference: `obj` itself for an exact str, an exact copy of a str
/// subclass instance; TypeError otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromObject(obj: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_FromObject", |vm| {
        let o = rp(vm, obj)?;
        if o.class().is(vm.ctx.types.str_type) {
            return Ok(o);
        }
        match o.downcast_ref::<PyStr>() {
            Some(s) => Ok(vm.ctx.new_str(s.as_wtf8().to_owned()).into()),
            None => Err(type_error(vm, format!("Can't convert '{}' object to str implicitly", o.class().name()))),
        }
    })
}

/// `"utf-8"`, a static string.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_GetDefaultEncoding() -> *const c_char {
    c"utf-8".as_ptr()
}

/// Removed in CPython 3.12 but still exported: always RuntimeError, as CPython does.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_GetSize(_unicode: *mut PyObject) -> Py_ssize_t {
    api("PyUnicode_GetSize", |vm| Err(vm.new_exception_msg(vm.ctx.exceptions.runtime_error.to_owned(), "PyUnicode_GetSize has been removed.".into())))
}

/// Deprecated alias of `PyUnicode_InternInPlace` (strs are not immortal here).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_InternImmortal(p: *mut *mut PyObject) {
    // SAFETY: forwarded unchanged.
    unsafe { PyUnicode_InternInPlace(p) }
}

/// `*p_left = *p_left + right`, releasing the old `*p_left` (right borrowed);
/// on error `*p_left` is released and set to NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_Append(p_left: *mut *mut PyObject, right: *mut PyObject) {
    api("PyUnicode_Append", |vm| {
        if p_left.is_null() {
            if !crate::runtime::errors::is_set() {
                return Err(bad_internal_call(vm));
            }
            return Ok(());
        }
        // SAFETY: p_left points to an owned reference (or NULL).
        let left = unsafe { *p_left };
        let r = (|| {
            if left.is_null() || right.is_null() || !is_str(vm, left)? || !is_str(vm, right)? {
                return Err(crate::runtime::errors::take().unwrap_or_else(|| bad_internal_call(vm)));
            }
            let (a, b) = (ensure(vm, left)?, ensure(vm, right)?);
            let mut buf = a.as_wtf8().to_owned();
            buf.push_wtf8(b.as_wtf8());
            Ok(bridge::to_c_owned(vm, vm.ctx.new_str(buf).into()))
        })();
        // SAFETY: release the old reference; store the new one (or NULL).
        unsafe {
            if !left.is_null() {
                bridge::decref(left);
            }
            *p_left = *r.as_ref().unwrap_or(&std::ptr::null_mut());
        }
        r.map(|_| ())
    })
}

/// `PyUnicode_Append`, then releases `right` (stolen).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_AppendAndDel(p_left: *mut *mut PyObject, right: *mut PyObject) {
    // SAFETY: forwarded; right is an owned reference (or NULL).
    unsafe {
        PyUnicode_Append(p_left, right);
        if !right.is_null() {
            bridge::decref(right);
        }
    }
}

// ---- fixed-width input and output ---------------------------------------------------

/// New str from `size` units of `kind` (1, 2 or 4 bytes) at `buffer`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromKindAndData(kind: c_int, buffer: *const c_void, size: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_FromKindAndData", |vm| {
        if size < 0 {
            return Err(value_error(vm, "size must be positive"));
        }
        if !matches!(kind, 1 | 2 | 4) {
            return Err(system_error(vm, "invalid kind"));
        }
        let b = bytes_arg(vm, buffer.cast(), size * kind as isize)?;
        let cps: Vec<u32> = match kind {
            1 => b.iter().map(|&c| c as u32).collect(),
            2 => b.chunks_exact(2).map(|c| u16::from_ne_bytes([c[0], c[1]]) as u32).collect(),
            _ => b.chunks_exact(4).map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect(),
        };
        if cps.iter().any(|&c| c > 0x10ffff) {
            return Err(system_error(vm, "invalid maximum character passed to PyUnicode_New"));
        }
        new_str_from(vm, cps)
    })
}

/// New str from `size` wchar_t (UCS4 on Linux; -1: NUL-terminated).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_FromWideChar(w: *const u32, size: Py_ssize_t) -> *mut PyObject {
    new_ref("PyUnicode_FromWideChar", |vm| {
        if w.is_null() && size != 0 {
            return Err(bad_internal_call(vm));
        }
        let size = if size == -1 { wcslen(w) } else { size };
        if size < 0 {
            return Err(bad_internal_call(vm));
        }
        let units = if size == 0 { &[][..] } else {
            // SAFETY: C passes size readable wchar_t.
            unsafe { std::slice::from_raw_parts(w, size as usize) }
        };
        new_str_from(vm, units.iter().copied())
    })
}

fn wcslen(w: *const u32) -> isize {
    let mut n = 0;
    // SAFETY: a NUL-terminated wide string.
    while unsafe { *w.add(n) } != 0 {
        n += 1;
    }
    n as isize
}

/// Copies the characters of `unicode` into `w` (at most `size`, NUL added if
/// room); the number copied without the NUL. With `w` NULL: the size needed incl. NUL.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsWideChar(unicode: *mut PyObject, w: *mut u32, size: Py_ssize_t) -> Py_ssize_t {
    api("PyUnicode_AsWideChar", |vm| {
        let cps = code_points(vm, unicode)?;
        let res = cps.len() as isize;
        if w.is_null() {
            return Ok(res + 1);
        }
        let (n, res) = if size > res { (res + 1, res) } else { (size.max(0), size) };
        for i in 0..n as usize {
            // SAFETY: C provides `size` writable wchar_t at w.
            unsafe { *w.add(i) = cps.get(i).copied().unwrap_or(0) };
        }
        Ok(res)
    })
}

/// `PyMem_Malloc`'d NUL-terminated wide copy (free with `PyMem_Free`); `*size`
/// gets its length, or if `size` is NULL an embedded NUL is a ValueError.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsWideCharString(unicode: *mut PyObject, size: *mut Py_ssize_t) -> *mut u32 {
    api("PyUnicode_AsWideCharString", |vm| {
        let cps = code_points(vm, unicode)?;
        if size.is_null() && cps.contains(&0) {
            return Err(value_error(vm, "embedded null character"));
        }
        let p = ucs4_copy(vm, &cps)?;
        if !size.is_null() {
            // SAFETY: valid out pointer.
            unsafe { *size = cps.len() as isize };
        }
        Ok(p.cast::<c_void>())
    })
    .cast()
}

/// A `PyMem_Malloc`'d NUL-terminated copy of `cps`.
fn ucs4_copy(vm: &VirtualMachine, cps: &[u32]) -> PyResult<*mut u32> {
    let p = super::pymem::PyMem_Malloc((cps.len() + 1) * 4).cast::<u32>();
    if p.is_null() {
        return Err(vm.new_memory_error(String::new()));
    }
    // SAFETY: room for len + 1 units.
    unsafe {
        std::ptr::copy_nonoverlapping(cps.as_ptr(), p, cps.len());
        *p.add(cps.len()) = 0;
    }
    Ok(p)
}

/// Copies `string` into `buffer` (UCS4, `buflen` units, NUL if `copy_null`);
/// `buffer`, or NULL with SystemError if it is too small.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUCS4(string: *mut PyObject, buffer: *mut u32, buflen: Py_ssize_t, copy_null: c_int) -> *mut u32 {
    api("PyUnicode_AsUCS4", |vm| {
        let cps = code_points(vm, string)?;
        if buffer.is_null() || buflen < 0 {
            return Err(bad_internal_call(vm));
        }
        let need = cps.len() as isize + (copy_null != 0) as isize;
        if buflen < need {
            if copy_null != 0 && buflen > 0 {
                // SAFETY: buflen > 0 units are writable.
                unsafe { *buffer = 0 };
            }
            return Err(system_error(vm, "string is longer than the buffer"));
        }
        // SAFETY: need <= buflen units are writable.
        unsafe {
            std::ptr::copy_nonoverlapping(cps.as_ptr(), buffer, cps.len());
            if copy_null != 0 {
                *buffer.add(cps.len()) = 0;
            }
        }
        Ok(buffer.cast::<c_void>())
    })
    .cast()
}

/// `PyMem_Malloc`'d NUL-terminated UCS4 copy of `string` (free with `PyMem_Free`).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsUCS4Copy(string: *mut PyObject) -> *mut u32 {
    api("PyUnicode_AsUCS4Copy", |vm| Ok(ucs4_copy(vm, &code_points(vm, string)?)?.cast::<c_void>())).cast()
}

// ---- codecs ------------------------------------------------------------------------

/// `_codecs.<func>(bytes, errors, *extra)`: the items of its result tuple.
fn decode_with(vm: &VirtualMachine, func: &'static str, s: *const c_char, size: Py_ssize_t, errors: *const c_char, extra: Vec<PyObjectRef>) -> PyResult<Vec<PyObjectRef>> {
    let b = vm.ctx.new_bytes(bytes_arg(vm, s, size)?.to_vec());
    let mut args = vec![b.into(), vm.ctx.new_str(errors_arg(vm, errors)?).into()];
    args.extend(extra);
    result_items(vm, codecs_call(vm, func, args)?)
}

fn result_items(vm: &VirtualMachine, r: PyObjectRef) -> PyResult<Vec<PyObjectRef>> {
    Ok(r.downcast::<PyTuple>().map_err(|_| type_error(vm, "codec must return a tuple"))?.as_slice().to_vec())
}

/// Stores a codec's `consumed` count if the caller asked for it.
fn store(vm: &VirtualMachine, out: *mut Py_ssize_t, v: &PyObjectRef) -> PyResult<()> {
    if !out.is_null() {
        // SAFETY: valid out pointer.
        unsafe { *out = v.clone().try_into_value(vm)? };
    }
    Ok(())
}

/// A stateful decoder: `final` unless the caller wants `consumed`.
fn decode_stateful(name: &str, func: &'static str, s: *const c_char, size: Py_ssize_t, errors: *const c_char, consumed: *mut Py_ssize_t) -> *mut PyObject {
    new_ref(name, |vm| {
        let r = decode_with(vm, func, s, size, errors, vec![vm.ctx.new_bool(consumed.is_null()).into()])?;
        store(vm, consumed, &r[1])?;
        Ok(r[0].clone())
    })
}

/// A UTF-16/32 decoder with CPython's byteorder convention: `*byteorder`
/// -1 little, 1 big, 0 detect a BOM (and report it back).
fn decode_wide(name: &str, func: &'static str, s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int, consumed: *mut Py_ssize_t) -> *mut PyObject {
    new_ref(name, |vm| {
        // SAFETY: byteorder is NULL or a valid in/out pointer.
        let bo = if byteorder.is_null() { 0 } else { unsafe { *byteorder } };
        let r = decode_with(vm, func, s, size, errors, vec![vm.new_pyobj(bo), vm.ctx.new_bool(consumed.is_null()).into()])
            .map_err(|e| name_byte_order(vm, e, func, bytes_arg(vm, s, size).unwrap_or_default(), bo))?;
        store(vm, consumed, &r[1])?;
        if !byteorder.is_null() {
            let out: c_int = r[2].clone().try_into_value(vm)?;
            // SAFETY: as above.
            unsafe { *byteorder = out };
        }
        Ok(r[0].clone())
    })
}

/// CPython reports UTF-16/32 errors under the byte order actually used
/// ("utf-16-le", ...); RustPython's codec says "utf-16": rename it.
fn name_byte_order(vm: &VirtualMachine, e: PyBaseExceptionRef, func: &str, b: &[u8], bo: c_int) -> PyBaseExceptionRef {
    if !e.fast_isinstance(vm.ctx.exceptions.unicode_decode_error) {
        return e;
    }
    let (base, le_bom, be_bom): (&str, &[u8], &[u8]) =
        if func.starts_with("utf_16") { ("utf-16", b"\xff\xfe", b"\xfe\xff") } else { ("utf-32", b"\xff\xfe\0\0", b"\0\0\xfe\xff") };
    let bo = match bo {
        0 if b.starts_with(be_bom) => 1,
        0 if b.starts_with(le_bom) => -1,
        bo => bo,
    };
    let is_base = e.as_object().get_attr("encoding", vm).ok().and_then(|x| x.downcast::<PyStr>().ok()).is_some_and(|x| x.as_bytes() == base.as_bytes());
    if is_base {
        let name = format!("{base}-{}", if bo == 1 { "be" } else { "le" });
        let _ = e.as_object().set_attr("encoding", vm.ctx.new_str(name), vm);
    }
    e
}

/// A one-shot decoder `_codecs.<func>(bytes, errors)`.
fn decode_simple(name: &str, func: &'static str, s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> *mut PyObject {
    new_ref(name, |vm| Ok(decode_with(vm, func, s, size, errors, vec![])?[0].clone()))
}

/// `_codecs.<func>(str, *extra)[0]`; `PyErr_BadArgument` for a non-str.
fn encode_simple(name: &str, func: &'static str, o: *mut PyObject, extra: impl FnOnce(&VirtualMachine) -> PyResult<Vec<PyObjectRef>>) -> *mut PyObject {
    new_ref(name, |vm| {
        let s = str_or_bad_argument(vm, o)?;
        let mut args = vec![s.into()];
        args.extend(extra(vm)?);
        Ok(result_items(vm, codecs_call(vm, func, args)?)?[0].clone())
    })
}

/// New str from UTF-7.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF7(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> *mut PyObject {
    decode_stateful("PyUnicode_DecodeUTF7", "utf_7_decode", s, size, errors, std::ptr::null_mut())
}

/// New str from UTF-7; `*consumed` (if not NULL) gets the bytes used, an incomplete tail left.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF7Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, consumed: *mut Py_ssize_t) -> *mut PyObject {
    decode_stateful("PyUnicode_DecodeUTF7Stateful", "utf_7_decode", s, size, errors, consumed)
}

/// New str from UTF-8; `*consumed` (if not NULL) gets the bytes used, an incomplete tail left.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF8Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, consumed: *mut Py_ssize_t) -> *mut PyObject {
    decode_stateful("PyUnicode_DecodeUTF8Stateful", "utf_8_decode", s, size, errors, consumed)
}

/// New str from UTF-16 (`*byteorder`: -1 LE, 1 BE, 0 BOM/native; updated from a BOM).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF16(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int) -> *mut PyObject {
    decode_wide("PyUnicode_DecodeUTF16", "utf_16_ex_decode", s, size, errors, byteorder, std::ptr::null_mut())
}

/// `PyUnicode_DecodeUTF16`; `*consumed` (if not NULL) gets the bytes used, an incomplete tail left.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF16Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int, consumed: *mut Py_ssize_t) -> *mut PyObject {
    decode_wide("PyUnicode_DecodeUTF16Stateful", "utf_16_ex_decode", s, size, errors, byteorder, consumed)
}

/// New str from UTF-32 (`*byteorder`: -1 LE, 1 BE, 0 BOM/native; updated from a BOM).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF32(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int) -> *mut PyObject {
    decode_wide("PyUnicode_DecodeUTF32", "utf_32_ex_decode", s, size, errors, byteorder, std::ptr::null_mut())
}

/// `PyUnicode_DecodeUTF32`; `*consumed` (if not NULL) gets the bytes used, an incomplete tail left.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeUTF32Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int, consumed: *mut Py_ssize_t) -> *mut PyObject {
    decode_wide("PyUnicode_DecodeUTF32Stateful", "utf_32_ex_decode", s, size, errors, byteorder, consumed)
}

macro_rules! decoders {
    ($($f:ident => $func:literal;)*) => {$(
        /// New str decoded by the codec of the same name (`errors` NULL: strict).
        #[unsafe(no_mangle)]
        pub extern "C" fn $f(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> *mut PyObject {
            decode_simple(stringify!($f), $func, s, size, errors)
        }
    )*};
}

decoders! {
    PyUnicode_DecodeLatin1 => "latin_1_decode";
    PyUnicode_DecodeASCII => "ascii_decode";
    PyUnicode_DecodeUnicodeEscape => "unicode_escape_decode";
    PyUnicode_DecodeRawUnicodeEscape => "raw_unicode_escape_decode";
}

/// New str decoded through `mapping` (byte -> ord/str/None; NULL: Latin-1).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeCharmap(s: *const c_char, size: Py_ssize_t, mapping: *mut PyObject, errors: *const c_char) -> *mut PyObject {
    if mapping.is_null() {
        return PyUnicode_DecodeLatin1(s, size, errors);
    }
    new_ref("PyUnicode_DecodeCharmap", |vm| Ok(decode_with(vm, "charmap_decode", s, size, errors, vec![rp(vm, mapping)?])?[0].clone()))
}

macro_rules! encoders {
    ($($(#[$m:meta])* $f:ident => $func:literal;)*) => {$(
        $(#[$m])*
        #[unsafe(no_mangle)]
        pub extern "C" fn $f(o: *mut PyObject) -> *mut PyObject {
            encode_simple(stringify!($f), $func, o, |_| Ok(vec![]))
        }
    )*};
}

encoders! {
    /// New bytes: UTF-16 with a BOM, native order.
    PyUnicode_AsUTF16String => "utf_16_encode";
    /// New bytes: UTF-32 with a BOM, native order.
    PyUnicode_AsUTF32String => "utf_32_encode";
    /// New bytes: Latin-1, strict.
    PyUnicode_AsLatin1String => "latin_1_encode";
    /// New bytes: ASCII, strict.
    PyUnicode_AsASCIIString => "ascii_encode";
    /// New bytes: the `unicode_escape` codec.
    PyUnicode_AsUnicodeEscapeString => "unicode_escape_encode";
    /// New bytes: the `raw_unicode_escape` codec.
    PyUnicode_AsRawUnicodeEscapeString => "raw_unicode_escape_encode";
}

/// New bytes encoded through `mapping` (ord -> int/bytes/None); TypeError if NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_AsCharmapString(o: *mut PyObject, mapping: *mut PyObject) -> *mut PyObject {
    encode_simple("PyUnicode_AsCharmapString", "charmap_encode", o, |vm| {
        if mapping.is_null() {
            return Err(bad_argument(vm));
        }
        Ok(vec![vm.ctx.new_str("strict").into(), rp(vm, mapping)?])
    })
}

/// New reference to an encoding map for `charmap_encode` built from a 256-char decoding table.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_BuildEncodingMap(string: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicode_BuildEncodingMap", |vm| {
        let s = str_or_bad_argument(vm, string)?;
        codecs_call(vm, "charmap_build", vec![s.into()])
    })
}

// ---- locale and file system encodings (UTF-8 here, as in CPython's UTF-8 mode) -------

/// `errors` for the locale codec: strict (NULL) or surrogateescape only.
fn locale_errors(vm: &VirtualMachine, errors: *const c_char) -> PyResult<bool> {
    match errors_arg(vm, errors)? {
        "strict" => Ok(false),
        "surrogateescape" => Ok(true),
        _ => Err(value_error(vm, "unsupported error handler")),
    }
}

fn decode_locale(vm: &VirtualMachine, b: &[u8], errors: *const c_char) -> PyResult {
    let escape = locale_errors(vm, errors)?;
    match std::str::from_utf8(b) {
        Ok(s) => Ok(vm.ctx.new_str(s).into()),
        Err(_) if escape => decode_utf8(vm, b, "surrogateescape"),
        Err(e) => {
            let pos = e.valid_up_to();
            Err(vm.new_unicode_decode_error(
                vm.ctx.new_str("locale"),
                vm.ctx.new_bytes(b.to_vec()),
                pos,
                pos + 1,
                vm.ctx.new_str("decoding error"),
            ))
        }
    }
}

/// New str from the locale encoding of `str[:len]` (which must be NUL-terminated there).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeLocaleAndSize(s: *const c_char, len: Py_ssize_t, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_DecodeLocaleAndSize", |vm| {
        let b = bytes_arg(vm, s, len)?;
        // SAFETY: CPython requires str[len] to be the terminating NUL.
        if b.contains(&0) || unsafe { *s.add(len as usize) } != 0 {
            return Err(value_error(vm, "embedded null byte"));
        }
        decode_locale(vm, b, errors)
    })
}

/// New str from a NUL-terminated string in the locale encoding.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_DecodeLocale(s: *const c_char, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_DecodeLocale", |vm| decode_locale(vm, cstr_bytes(vm, s)?, errors))
}

/// New bytes: `unicode` in the locale encoding (strict or surrogateescape).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicode_EncodeLocale(unicode: *mut PyObject, errors: *const c_char) -> *mut PyObject {
    new_ref("PyUnicode_EncodeLocale", |vm| {
        let s = str_or_bad_argument(vm, unicode)?;
        let escape = locale_errors(vm, errors)?;
        if s.as_wtf8().code_points().any(|c| c.to_u32() == 0) {
            return Err(value_error(vm, "embedded null character"));
        }
        let mut out = Vec::with_capacity(s.as_bytes().len());
        for (i, c) in s.as_wtf8().code_points().enumerate() {
            match c.to_char() {
                Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                None if escape && (0xdc80..=0xdcff).contains(&c.to_u32()) => out.push((c.to_u32() - 0xdc00) as u8),
                None => {
                    return Err(vm.new_unicode_encode_error(vm.ctx.new_str("locale"), s.clone(), i, i + 1, vm.ctx.new_str("encoding error")));
                }
            }
        }
        Ok(vm.ctx.new_bytes(out).into())
    })
}

/// `Py_CLEANUP_SUPPORTED`: a converter that is called again with NULL to clean up.
const PY_CLEANUP_SUPPORTED: c_int = 0x20000;

/// `O&` converter: `*result` = new bytes path from str/bytes/os.PathLike
/// (encoded with the FS encoding); with `arg` NULL releases `*result`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_FSConverter(arg: *mut PyObject, result: *mut c_void) -> c_int {
    fs_convert("PyUnicode_FSConverter", arg, result, true)
}

/// `O&` converter: `*result` = new str path from str/bytes/os.PathLike
/// (decoded with the FS encoding); with `arg` NULL releases `*result`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicode_FSDecoder(arg: *mut PyObject, result: *mut c_void) -> c_int {
    fs_convert("PyUnicode_FSDecoder", arg, result, false)
}

fn fs_convert(name: &str, arg: *mut PyObject, result: *mut c_void, to_bytes: bool) -> c_int {
    let out = result.cast::<*mut PyObject>();
    if arg.is_null() {
        // SAFETY: cleanup call: *result holds the reference made before.
        unsafe {
            let p = std::ptr::replace(out, std::ptr::null_mut());
            if !p.is_null() {
                bridge::decref(p);
            }
        }
        return 1;
    }
    let r = new_ref(name, |vm| {
        let o = rp(vm, arg)?;
        let os = py(vm, || vm.import("os", 0))?;
        let path = py(vm, || os.get_attr("fspath", vm)?.call((o,), vm))?;
        let v = if to_bytes {
            if let Some(s) = path.downcast_ref::<PyStr>() {
                py(vm, || vm.call_method(s.as_object(), "encode", ("utf-8", "surrogateescape")))?
            } else {
                path
            }
        } else if let Some(b) = path.downcast_ref::<rustpython_vm::builtins::PyBytes>() {
            decode_utf8(vm, b.as_bytes(), "surrogateescape")?
        } else {
            path
        };
        let has_nul = if let Some(b) = v.downcast_ref::<rustpython_vm::builtins::PyBytes>() {
            b.as_bytes().contains(&0)
        } else if let Some(s) = v.downcast_ref::<PyStr>() {
            s.as_bytes().contains(&0)
        } else {
            false
        };
        if has_nul {
            return Err(value_error(vm, if to_bytes { "embedded null byte" } else { "embedded null character" }));
        }
        Ok(v)
    });
    if r.is_null() {
        return 0;
    }
    // SAFETY: result points to a PyObject* slot.
    unsafe { *out = r };
    PY_CLEANUP_SUPPORTED
}

// ---- deprecated generic codec calls --------------------------------------------------

fn deprecated_codec(name: &str, o: *mut PyObject, encoding: *const c_char, errors: *const c_char, warning: &str, encode: bool, want_str: bool) -> *mut PyObject {
    new_ref(name, |vm| {
        let s = str_or_bad_argument(vm, o)?;
        py(vm, || {
            rustpython_vm::warn::warn(vm.ctx.new_str(warning).into(), Some(vm.ctx.exceptions.deprecation_warning.to_owned()), 1, None, vm)
        })?;
        let enc = if encoding.is_null() { "utf-8" } else { cstr(vm, encoding)? };
        let r = super::codecs::codec_call(vm, s.into(), enc, errors, encode)?;
        if want_str && r.downcast_ref::<PyStr>().is_none() {
            let (what, f) = if encode { ("encoder", "codecs.encode() to encode") } else { ("decoder", "codecs.decode() to decode") };
            return Err(type_error(vm, format!("'{enc}' {what} returned '{}' instead of 'str'; use {f} to arbitrary types", r.class().name())));
        }
        Ok(r)
    })
}

macro_rules! deprecated_codecs {
    ($($(#[$m:meta])* $f:ident(encode: $enc:literal, want_str: $ws:literal) => $warning:literal;)*) => {$(
        $(#[$m])*
        #[unsafe(no_mangle)]
        pub extern "C" fn $f(o: *mut PyObject, encoding: *const c_char, errors: *const c_char) -> *mut PyObject {
            deprecated_codec(stringify!($f), o, encoding, errors, $warning, $enc, $ws)
        }
    )*};
}

deprecated_codecs! {
    /// Deprecated: new reference to `codecs.decode(unicode, encoding, errors)`.
    PyUnicode_AsDecodedObject(encode: false, want_str: false) =>
        "PyUnicode_AsDecodedObject() is deprecated; use PyCodec_Decode() to decode from str";
    /// Deprecated: new str `codecs.decode(unicode, encoding, errors)`.
    PyUnicode_AsDecodedUnicode(encode: false, want_str: true) =>
        "PyUnicode_AsDecodedUnicode() is deprecated; use PyCodec_Decode() to decode from str to str";
    /// Deprecated: new reference to `codecs.encode(unicode, encoding, errors)`.
    PyUnicode_AsEncodedObject(encode: true, want_str: false) =>
        "PyUnicode_AsEncodedObject() is deprecated; use PyUnicode_AsEncodedString() to encode from str to bytes or PyCodec_Encode() for generic encoding";
    /// Deprecated: new str `codecs.encode(unicode, encoding, errors)`.
    PyUnicode_AsEncodedUnicode(encode: true, want_str: true) =>
        "PyUnicode_AsEncodedUnicode() is deprecated; use PyCodec_Encode() to encode from str to str";
}

// ---- PyUnicodeWriter, continued -------------------------------------------------------

/// Appends UTF-8 decoded with `errors`; `*consumed` (if not NULL) gets the bytes used.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_DecodeUTF8Stateful(w: *mut c_void, string: *const c_char, length: Py_ssize_t, errors: *const c_char, consumed: *mut Py_ssize_t) -> c_int {
    let s = PyUnicode_DecodeUTF8Stateful(string, written_len(string, length), errors, consumed);
    write_owned("PyUnicodeWriter_DecodeUTF8Stateful", w, s)
}

/// Appends the characters of a new str reference `s` (NULL: failure) and releases it.
fn write_owned(name: &str, w: *mut c_void, s: *mut PyObject) -> c_int {
    if s.is_null() {
        return -1;
    }
    let r = api(name, |vm| write_obj(w, rp(vm, s)));
    // SAFETY: s is a new reference this function owns.
    unsafe { bridge::decref(s) };
    r
}

/// Appends `str[start:end]`; TypeError for a non-str, ValueError for bad bounds.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteSubstring(w: *mut c_void, s: *mut PyObject, start: Py_ssize_t, end: Py_ssize_t) -> c_int {
    api("PyUnicodeWriter_WriteSubstring", |vm| {
        if !is_str(vm, s)? {
            return Err(type_error(vm, format!("expect str, not {}", rp(vm, s)?.class().name())));
        }
        let cps = code_points(vm, s)?;
        if start < 0 || start > end {
            return Err(value_error(vm, "invalid start argument"));
        }
        if end as usize > cps.len() {
            return Err(value_error(vm, "invalid end argument"));
        }
        write_obj(w, new_str_from(vm, cps[start as usize..end as usize].iter().copied()))
    })
}

/// Appends `size` UCS4 characters.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteUCS4(w: *mut c_void, s: *const u32, size: Py_ssize_t) -> c_int {
    api("PyUnicodeWriter_WriteUCS4", |vm| {
        if size < 0 {
            return Err(value_error(vm, "size must be positive"));
        }
        let b = bytes_arg(vm, s.cast(), size * 4)?;
        write_obj(w, new_str_from(vm, b.chunks_exact(4).map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))))
    })
}

/// Appends `size` wchar_t (-1: NUL-terminated).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeWriter_WriteWideChar(w: *mut c_void, s: *const u32, size: Py_ssize_t) -> c_int {
    let size = if size < 0 && !s.is_null() { wcslen(s) } else { size };
    write_owned("PyUnicodeWriter_WriteWideChar", w, PyUnicode_FromWideChar(s, size))
}

/// Appends `PyUnicode_FromFormat(format, ...)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnicodeWriter_Format(w: *mut c_void, format: *const c_char, args: ...) -> c_int {
    // SAFETY: the format describes the variadic arguments.
    let s = unsafe { super::modsupport::PyUnicode_FromFormatV(format, args) };
    write_owned("PyUnicodeWriter_Format", w, s)
}
