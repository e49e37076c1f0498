//! Probes for the C-API family group 'unicode': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_unicode.py can compare pyfacade with CPython 3.13.
//! Every function probed is declared in the `extern "C"` block below with
//! CPython's exact signature (shadowing pyo3-ffi's where it has one). Functions
//! new in 3.14 (`PyUnicodeWriter_*`, `PyUnicode_Equal`) are looked up with
//! `dlsym` so that the module still loads on CPython 3.13.
//!
//! Conventions: `None` stands for a NULL `PyObject*` or `const char*`;
//! `const char*` arguments are passed as bytes.
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::{c_char, c_int, c_void};
use std::ptr::{null, null_mut};

type Op = *mut PyObject;

extern "C" {
    fn PyUnicode_New(size: Py_ssize_t, maxchar: u32) -> Op;
    fn PyUnicode_FromObject(o: Op) -> Op;
    fn PyUnicode_AsUTF16String(o: Op) -> Op;
    fn PyUnicode_AsUTF32String(o: Op) -> Op;
    fn PyUnicode_AsLatin1String(o: Op) -> Op;
    fn PyUnicode_AsASCIIString(o: Op) -> Op;
    fn PyUnicode_AsUnicodeEscapeString(o: Op) -> Op;
    fn PyUnicode_AsRawUnicodeEscapeString(o: Op) -> Op;
    fn PyUnicode_BuildEncodingMap(o: Op) -> Op;
    fn PyUnicode_AsCharmapString(o: Op, mapping: Op) -> Op;
    fn PyCodec_StrictErrors(exc: Op) -> Op;
    fn PyCodec_IgnoreErrors(exc: Op) -> Op;
    fn PyCodec_ReplaceErrors(exc: Op) -> Op;
    fn PyCodec_XMLCharRefReplaceErrors(exc: Op) -> Op;
    fn PyCodec_BackslashReplaceErrors(exc: Op) -> Op;
    fn PyCodec_NameReplaceErrors(exc: Op) -> Op;
    fn PyUnicode_Partition(s: Op, sep: Op) -> Op;
    fn PyUnicode_RPartition(s: Op, sep: Op) -> Op;
    fn PyUnicode_Join(sep: Op, seq: Op) -> Op;
    fn PyUnicode_Format(format: Op, args: Op) -> Op;
    fn PyUnicode_Contains(container: Op, element: Op) -> c_int;
    fn PyUnicode_Split(s: Op, sep: Op, maxsplit: Py_ssize_t) -> Op;
    fn PyUnicode_RSplit(s: Op, sep: Op, maxsplit: Py_ssize_t) -> Op;
    fn PyUnicode_Splitlines(s: Op, keepends: c_int) -> Op;
    fn PyUnicode_Replace(s: Op, substr: Op, replstr: Op, maxcount: Py_ssize_t) -> Op;
    fn PyUnicode_Translate(s: Op, table: Op, errors: *const c_char) -> Op;
    fn PyUnicode_RichCompare(a: Op, b: Op, op: c_int) -> Op;
    fn PyUnicode_Find(s: Op, substr: Op, start: Py_ssize_t, end: Py_ssize_t, direction: c_int) -> Py_ssize_t;
    fn PyUnicode_Count(s: Op, substr: Op, start: Py_ssize_t, end: Py_ssize_t) -> Py_ssize_t;
    fn PyUnicode_Tailmatch(s: Op, substr: Op, start: Py_ssize_t, end: Py_ssize_t, direction: c_int) -> Py_ssize_t;
    fn PyUnicode_FindChar(s: Op, ch: u32, start: Py_ssize_t, end: Py_ssize_t, direction: c_int) -> Py_ssize_t;
    fn PyUnicode_Substring(s: Op, start: Py_ssize_t, end: Py_ssize_t) -> Op;
    fn PyUnicode_IsIdentifier(s: Op) -> c_int;
    fn PyUnicode_DecodeUTF7(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeLatin1(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeASCII(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeUnicodeEscape(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeRawUnicodeEscape(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeLocaleAndSize(s: *const c_char, size: Py_ssize_t, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeLocale(s: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_EncodeLocale(s: Op, errors: *const c_char) -> Op;
    fn PyUnicode_DecodeUTF7Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, consumed: *mut Py_ssize_t) -> Op;
    fn PyUnicode_DecodeUTF8Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, consumed: *mut Py_ssize_t) -> Op;
    fn PyUnicode_DecodeUTF16(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int) -> Op;
    fn PyUnicode_DecodeUTF32(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int) -> Op;
    fn PyUnicode_DecodeUTF16Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int, consumed: *mut Py_ssize_t) -> Op;
    fn PyUnicode_DecodeUTF32Stateful(s: *const c_char, size: Py_ssize_t, errors: *const c_char, byteorder: *mut c_int, consumed: *mut Py_ssize_t) -> Op;
    fn PyUnicode_DecodeCharmap(s: *const c_char, size: Py_ssize_t, mapping: Op, errors: *const c_char) -> Op;
    fn PyUnicode_AsDecodedObject(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_AsDecodedUnicode(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_AsEncodedObject(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_AsEncodedUnicode(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_FromKindAndData(kind: c_int, buffer: *const c_void, size: Py_ssize_t) -> Op;
    fn PyUnicode_FromWideChar(w: *const u32, size: Py_ssize_t) -> Op;
    fn PyUnicode_AsWideChar(o: Op, w: *mut u32, size: Py_ssize_t) -> Py_ssize_t;
    fn PyUnicode_AsWideCharString(o: Op, size: *mut Py_ssize_t) -> *mut u32;
    fn PyUnicode_AsUCS4(o: Op, buffer: *mut u32, buflen: Py_ssize_t, copy_null: c_int) -> *mut u32;
    fn PyUnicode_AsUCS4Copy(o: Op) -> *mut u32;
    fn PyUnicode_WriteChar(o: Op, index: Py_ssize_t, ch: u32) -> c_int;
    fn PyUnicode_Fill(o: Op, start: Py_ssize_t, length: Py_ssize_t, ch: u32) -> Py_ssize_t;
    fn PyUnicode_CopyCharacters(to: Op, to_start: Py_ssize_t, from: Op, from_start: Py_ssize_t, how_many: Py_ssize_t) -> Py_ssize_t;
    fn PyUnicode_Resize(p: *mut Op, length: Py_ssize_t) -> c_int;
    fn PyUnicode_GetLength(o: Op) -> Py_ssize_t;
    fn PyUnicode_ReadChar(o: Op, index: Py_ssize_t) -> u32;
    fn PyUnicode_Append(p: *mut Op, right: Op);
    fn PyUnicode_AppendAndDel(p: *mut Op, right: Op);
    fn PyUnicode_InternImmortal(p: *mut Op);
    fn PyUnicode_GetDefaultEncoding() -> *const c_char;
    fn PyUnicode_GetSize(o: Op) -> Py_ssize_t;
    fn PyUnicode_FSConverter(o: Op, result: *mut c_void) -> c_int;
    fn PyUnicode_FSDecoder(o: Op, result: *mut c_void) -> c_int;
    fn PyCodec_Register(f: Op) -> c_int;
    fn PyCodec_Unregister(f: Op) -> c_int;
    fn PyCodec_KnownEncoding(encoding: *const c_char) -> c_int;
    fn PyCodec_Encode(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyCodec_Decode(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyCodec_Encoder(encoding: *const c_char) -> Op;
    fn PyCodec_Decoder(encoding: *const c_char) -> Op;
    fn PyCodec_IncrementalEncoder(encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyCodec_IncrementalDecoder(encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyCodec_StreamReader(encoding: *const c_char, stream: Op, errors: *const c_char) -> Op;
    fn PyCodec_StreamWriter(encoding: *const c_char, stream: Op, errors: *const c_char) -> Op;
    fn PyCodec_RegisterError(name: *const c_char, error: Op) -> c_int;
    fn PyCodec_LookupError(name: *const c_char) -> Op;
    fn PyMem_Free(p: *mut c_void);
    static Py_hexdigits: *const c_char;
    fn PyUnicode_AsEncodedString(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_Decode(s: *const c_char, size: Py_ssize_t, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_FromEncodedObject(o: Op, encoding: *const c_char, errors: *const c_char) -> Op;
    fn PyUnicode_EncodeFSDefault(o: Op) -> Op;
    fn PyUnicode_AsUTF8String(o: Op) -> Op;
    fn PyUnicode_FromStringAndSize(s: *const c_char, size: Py_ssize_t) -> Op;
    fn PyUnicode_Compare(a: Op, b: Op) -> c_int;
    fn PyUnicode_Concat(a: Op, b: Op) -> Op;
    fn PyUnicode_AsUTF8AndSize(o: Op, size: *mut Py_ssize_t) -> *const c_char;
    fn PyUnicode_InternInPlace(p: *mut Op);
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

// ---- argument helpers ---------------------------------------------------------------

/// Item `i` of the argument tuple (borrowed); `None` becomes NULL.
unsafe fn arg(a: Op, i: isize) -> Op {
    let o = PyTuple_GetItem(a, i);
    if o == Py_None() { null_mut() } else { o }
}
/// Bytes item `i` as `const char*` (`None`: NULL).
unsafe fn cs(a: Op, i: isize) -> *const c_char {
    let o = arg(a, i);
    if o.is_null() { null() } else { PyBytes_AsString(o) }
}
/// Bytes item `i` as (pointer, length).
unsafe fn buf(a: Op, i: isize) -> (*const c_char, Py_ssize_t) {
    let o = arg(a, i);
    (PyBytes_AsString(o), PyBytes_Size(o))
}
unsafe fn n(a: Op, i: isize) -> Py_ssize_t {
    PyLong_AsSsize_t(PyTuple_GetItem(a, i))
}
/// The probe's first argument: the name of the function to call.
unsafe fn name(a: Op) -> String {
    let mut len = 0;
    let p = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(a, 0), &mut len);
    String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len as usize)).into_owned()
}
unsafe fn int(v: isize) -> Op {
    PyLong_FromSsize_t(v)
}
/// A list of ints from `n` UCS4 units.
unsafe fn units(p: *const u32, len: usize) -> Op {
    let l = PyList_New(0);
    for i in 0..len {
        let v = PyLong_FromSsize_t(*p.add(i) as isize);
        PyList_Append(l, v);
        Py_DECREF(v);
    }
    l
}
unsafe fn unknown(name: &str) -> Op {
    let msg = std::ffi::CString::new(format!("unknown probe {name}")).unwrap();
    PyErr_SetString(PyExc_ValueError, msg.as_ptr());
    null_mut()
}
/// An int result, NULL if an exception is set (for -1/-2 returns).
unsafe fn int_or_err(v: isize) -> Op {
    if !PyErr_Occurred().is_null() { null_mut() } else { int(v) }
}

// ---- probes ---------------------------------------------------------------------------

/// call1(name, o): a `PyObject* f(PyObject*)` function.
unsafe extern "C" fn call1(_m: Op, a: Op) -> Op {
    let f: unsafe extern "C" fn(Op) -> Op = match name(a).as_str() {
        "FromObject" => PyUnicode_FromObject,
        "AsUTF16String" => PyUnicode_AsUTF16String,
        "AsUTF32String" => PyUnicode_AsUTF32String,
        "AsLatin1String" => PyUnicode_AsLatin1String,
        "AsASCIIString" => PyUnicode_AsASCIIString,
        "AsUnicodeEscapeString" => PyUnicode_AsUnicodeEscapeString,
        "AsRawUnicodeEscapeString" => PyUnicode_AsRawUnicodeEscapeString,
        "BuildEncodingMap" => PyUnicode_BuildEncodingMap,
        "StrictErrors" => PyCodec_StrictErrors,
        "IgnoreErrors" => PyCodec_IgnoreErrors,
        "ReplaceErrors" => PyCodec_ReplaceErrors,
        "XMLCharRefReplaceErrors" => PyCodec_XMLCharRefReplaceErrors,
        "BackslashReplaceErrors" => PyCodec_BackslashReplaceErrors,
        "NameReplaceErrors" => PyCodec_NameReplaceErrors,
        n => return unknown(n),
    };
    f(arg(a, 1))
}

/// call2(name, a, b): a `PyObject* f(PyObject*, PyObject*)` function.
unsafe extern "C" fn call2(_m: Op, a: Op) -> Op {
    let f: unsafe extern "C" fn(Op, Op) -> Op = match name(a).as_str() {
        "Partition" => PyUnicode_Partition,
        "RPartition" => PyUnicode_RPartition,
        "Join" => PyUnicode_Join,
        "Format" => PyUnicode_Format,
        "AsCharmapString" => PyUnicode_AsCharmapString,
        n => return unknown(n),
    };
    f(arg(a, 1), arg(a, 2))
}

/// Split/RSplit(s, sep, maxsplit).
unsafe extern "C" fn split(_m: Op, a: Op) -> Op {
    let f = if name(a) == "RSplit" { PyUnicode_RSplit } else { PyUnicode_Split };
    f(arg(a, 1), arg(a, 2), n(a, 3))
}

unsafe extern "C" fn splitlines(_m: Op, a: Op) -> Op {
    PyUnicode_Splitlines(arg(a, 0), n(a, 1) as c_int)
}

unsafe extern "C" fn replace(_m: Op, a: Op) -> Op {
    PyUnicode_Replace(arg(a, 0), arg(a, 1), arg(a, 2), n(a, 3))
}

unsafe extern "C" fn translate(_m: Op, a: Op) -> Op {
    PyUnicode_Translate(arg(a, 0), arg(a, 1), cs(a, 2))
}

unsafe extern "C" fn richcompare(_m: Op, a: Op) -> Op {
    PyUnicode_RichCompare(arg(a, 0), arg(a, 1), n(a, 2) as c_int)
}

unsafe extern "C" fn contains(_m: Op, a: Op) -> Op {
    int_or_err(PyUnicode_Contains(arg(a, 0), arg(a, 1)) as isize)
}

/// find(s, sub, start, end, direction): the raw return value (-2 on error, exception cleared
/// into a tuple so the test sees both).
unsafe fn raw_result(v: isize) -> Op {
    let exc = PyErr_GetRaisedException();
    let e = if exc.is_null() { Py_NewRef(Py_None()) } else { exc };
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, int(v));
    PyTuple_SetItem(t, 1, e);
    t
}

unsafe extern "C" fn find(_m: Op, a: Op) -> Op {
    raw_result(PyUnicode_Find(arg(a, 0), arg(a, 1), n(a, 2), n(a, 3), n(a, 4) as c_int))
}

unsafe extern "C" fn findchar(_m: Op, a: Op) -> Op {
    raw_result(PyUnicode_FindChar(arg(a, 0), n(a, 1) as u32, n(a, 2), n(a, 3), n(a, 4) as c_int))
}

unsafe extern "C" fn count(_m: Op, a: Op) -> Op {
    raw_result(PyUnicode_Count(arg(a, 0), arg(a, 1), n(a, 2), n(a, 3)))
}

unsafe extern "C" fn tailmatch(_m: Op, a: Op) -> Op {
    raw_result(PyUnicode_Tailmatch(arg(a, 0), arg(a, 1), n(a, 2), n(a, 3), n(a, 4) as c_int))
}

unsafe extern "C" fn substring(_m: Op, a: Op) -> Op {
    PyUnicode_Substring(arg(a, 0), n(a, 1), n(a, 2))
}

unsafe extern "C" fn isidentifier(_m: Op, a: Op) -> Op {
    int(PyUnicode_IsIdentifier(arg(a, 0)) as isize)
}

/// decode(name, data, errors): one-shot decoders.
unsafe extern "C" fn decode(_m: Op, a: Op) -> Op {
    let (s, len) = buf(a, 1);
    let errors = cs(a, 2);
    match name(a).as_str() {
        "UTF7" => PyUnicode_DecodeUTF7(s, len, errors),
        "Latin1" => PyUnicode_DecodeLatin1(s, len, errors),
        "ASCII" => PyUnicode_DecodeASCII(s, len, errors),
        "UnicodeEscape" => PyUnicode_DecodeUnicodeEscape(s, len, errors),
        "RawUnicodeEscape" => PyUnicode_DecodeRawUnicodeEscape(s, len, errors),
        "Locale" => PyUnicode_DecodeLocale(s, errors),
        "LocaleAndSize" => PyUnicode_DecodeLocaleAndSize(s, len, errors),
        n => unknown(n),
    }
}

/// decode_stateful(name, data, errors, want_consumed): (str, consumed or None).
unsafe extern "C" fn decode_stateful(_m: Op, a: Op) -> Op {
    let (s, len) = buf(a, 1);
    let mut consumed: Py_ssize_t = -7;
    let c = if n(a, 3) != 0 { &mut consumed as *mut _ } else { null_mut() };
    let r = match name(a).as_str() {
        "UTF7" => PyUnicode_DecodeUTF7Stateful(s, len, cs(a, 2), c),
        "UTF8" => PyUnicode_DecodeUTF8Stateful(s, len, cs(a, 2), c),
        n => return unknown(n),
    };
    if r.is_null() {
        return r;
    }
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, r);
    PyTuple_SetItem(t, 1, if c.is_null() { Py_NewRef(Py_None()) } else { int(consumed) });
    t
}

/// decode_wide(name, data, errors, byteorder or None, want_consumed):
/// (str, byteorder after, consumed or None).
unsafe extern "C" fn decode_wide(_m: Op, a: Op) -> Op {
    let (s, len) = buf(a, 1);
    let errors = cs(a, 2);
    let mut bo: c_int = 0;
    let bop = if arg(a, 3).is_null() { null_mut() } else { bo = n(a, 3) as c_int; &mut bo as *mut _ };
    let mut consumed: Py_ssize_t = -7;
    let c = if n(a, 4) != 0 { &mut consumed as *mut _ } else { null_mut() };
    let r = match name(a).as_str() {
        "UTF16" => PyUnicode_DecodeUTF16(s, len, errors, bop),
        "UTF32" => PyUnicode_DecodeUTF32(s, len, errors, bop),
        "UTF16Stateful" => PyUnicode_DecodeUTF16Stateful(s, len, errors, bop, c),
        "UTF32Stateful" => PyUnicode_DecodeUTF32Stateful(s, len, errors, bop, c),
        n => return unknown(n),
    };
    if r.is_null() {
        return r;
    }
    let t = PyTuple_New(3);
    PyTuple_SetItem(t, 0, r);
    PyTuple_SetItem(t, 1, if bop.is_null() { Py_NewRef(Py_None()) } else { int(bo as isize) });
    PyTuple_SetItem(t, 2, if c.is_null() { Py_NewRef(Py_None()) } else { int(consumed) });
    t
}

unsafe extern "C" fn decode_charmap(_m: Op, a: Op) -> Op {
    let (s, len) = buf(a, 0);
    PyUnicode_DecodeCharmap(s, len, arg(a, 1), cs(a, 2))
}

unsafe extern "C" fn encode_locale(_m: Op, a: Op) -> Op {
    PyUnicode_EncodeLocale(arg(a, 0), cs(a, 1))
}

/// coded(name, o, encoding, errors): the deprecated As{De,En}coded{Object,Unicode}.
unsafe extern "C" fn coded(_m: Op, a: Op) -> Op {
    let f = match name(a).as_str() {
        "AsDecodedObject" => PyUnicode_AsDecodedObject,
        "AsDecodedUnicode" => PyUnicode_AsDecodedUnicode,
        "AsEncodedObject" => PyUnicode_AsEncodedObject,
        "AsEncodedUnicode" => PyUnicode_AsEncodedUnicode,
        n => return unknown(n),
    };
    f(arg(a, 1), cs(a, 2), cs(a, 3))
}

/// from_kind(kind, data, size).
unsafe extern "C" fn from_kind(_m: Op, a: Op) -> Op {
    let (s, _) = buf(a, 1);
    PyUnicode_FromKindAndData(n(a, 0) as c_int, s.cast(), n(a, 2))
}

/// from_wide(data or None, size): data holds native UCS4 units (plus a NUL unit).
unsafe extern "C" fn from_wide(_m: Op, a: Op) -> Op {
    let p = cs(a, 0);
    PyUnicode_FromWideChar(p.cast(), n(a, 1))
}

/// as_wide(s, size): (return value, units written) into a buffer of `size`
/// units pre-filled with 0x2a (-1: NULL buffer).
unsafe extern "C" fn as_wide(_m: Op, a: Op) -> Op {
    let size = n(a, 1);
    let mut b = vec![0x2a_u32; size.max(0) as usize];
    let p = if size < 0 { null_mut() } else { b.as_mut_ptr() };
    let r = PyUnicode_AsWideChar(arg(a, 0), p, size.max(0));
    if r == -1 && !PyErr_Occurred().is_null() {
        return null_mut();
    }
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, int(r));
    PyTuple_SetItem(t, 1, units(b.as_ptr(), b.len()));
    t
}

/// as_wide_string(s, want_size): (units incl. NUL, size or None).
unsafe extern "C" fn as_wide_string(_m: Op, a: Op) -> Op {
    let mut size: Py_ssize_t = -7;
    let sp = if n(a, 1) != 0 { &mut size as *mut _ } else { null_mut() };
    let p = PyUnicode_AsWideCharString(arg(a, 0), sp);
    if p.is_null() {
        return null_mut();
    }
    let mut len = 0;
    while *p.add(len) != 0 {
        len += 1;
    }
    let l = units(p, len + 1);
    PyMem_Free(p.cast());
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, l);
    PyTuple_SetItem(t, 1, if sp.is_null() { Py_NewRef(Py_None()) } else { int(size) });
    t
}

/// as_ucs4(s, buflen, copy_null): (returned the buffer?, buffer units) — the
/// buffer is pre-filled with 0x2a; on error the exception is raised.
unsafe extern "C" fn as_ucs4(_m: Op, a: Op) -> Op {
    let buflen = n(a, 1);
    let mut b = vec![0x2a_u32; buflen.max(0) as usize];
    let r = PyUnicode_AsUCS4(arg(a, 0), b.as_mut_ptr(), buflen, n(a, 2) as c_int);
    if r.is_null() {
        // The test checks what was written before the error, too.
        let exc = PyErr_GetRaisedException();
        let t = PyTuple_New(2);
        PyTuple_SetItem(t, 0, exc);
        PyTuple_SetItem(t, 1, units(b.as_ptr(), b.len()));
        return t;
    }
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, PyBool_FromLong((r == b.as_mut_ptr()) as _));
    PyTuple_SetItem(t, 1, units(b.as_ptr(), b.len()));
    t
}

/// as_ucs4_copy(s): units incl. the NUL.
unsafe extern "C" fn as_ucs4_copy(_m: Op, a: Op) -> Op {
    let o = arg(a, 0);
    let p = PyUnicode_AsUCS4Copy(o);
    if p.is_null() {
        return null_mut();
    }
    let l = units(p, PyUnicode_GetLength(o) as usize + 1);
    PyMem_Free(p.cast());
    l
}

/// A fresh `PyUnicode_New(size, maxchar)` filled with `fill`.
unsafe fn fresh(size: isize, maxchar: u32, fill: u32) -> Op {
    let u = PyUnicode_New(size, maxchar);
    if !u.is_null() && size > 0 && PyUnicode_Fill(u, 0, size, fill) < 0 {
        Py_DECREF(u);
        return null_mut();
    }
    u
}

/// Returns (ret, u) releasing u, or raises.
unsafe fn ret_and(r: isize, u: Op) -> Op {
    if r == -1 && !PyErr_Occurred().is_null() {
        Py_XDECREF(u);
        return null_mut();
    }
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, int(r));
    PyTuple_SetItem(t, 1, u);
    t
}

/// write_char(size, maxchar, index, ch): on a fresh string filled with '.'.
unsafe extern "C" fn write_char(_m: Op, a: Op) -> Op {
    let u = fresh(n(a, 0), n(a, 1) as u32, '.' as u32);
    if u.is_null() {
        return u;
    }
    // Reading the length and a character must not make it shared.
    let len = PyUnicode_GetLength(u);
    let _ = PyUnicode_ReadChar(u, 0);
    let r = PyUnicode_WriteChar(u, n(a, 2), n(a, 3) as u32);
    let _ = len;
    ret_and(r as isize, u)
}

/// fill(size, maxchar, start, length, ch): on a fresh string filled with '.'.
unsafe extern "C" fn fill(_m: Op, a: Op) -> Op {
    let u = fresh(n(a, 0), n(a, 1) as u32, '.' as u32);
    if u.is_null() {
        return u;
    }
    ret_and(PyUnicode_Fill(u, n(a, 2), n(a, 3), n(a, 4) as u32), u)
}

/// copy_chars(size, maxchar, to_start, from, from_start, how_many): into a fresh '.' string.
unsafe extern "C" fn copy_chars(_m: Op, a: Op) -> Op {
    let u = fresh(n(a, 0), n(a, 1) as u32, '.' as u32);
    if u.is_null() {
        return u;
    }
    ret_and(PyUnicode_CopyCharacters(u, n(a, 2), arg(a, 3), n(a, 4), n(a, 5)), u)
}

/// modify_shared(name, s): WriteChar/Fill/CopyCharacters on a str another
/// reference also holds (CPython: SystemError).
unsafe extern "C" fn modify_shared(_m: Op, a: Op) -> Op {
    let s = arg(a, 1);
    Py_INCREF(s);
    let r = match name(a).as_str() {
        "WriteChar" => PyUnicode_WriteChar(s, 0, 'x' as u32) as isize,
        "Fill" => PyUnicode_Fill(s, 0, 1, 'x' as u32),
        "CopyCharacters" => PyUnicode_CopyCharacters(s, 0, s, 1, 1),
        n => {
            Py_DECREF(s);
            return unknown(n);
        }
    };
    Py_DECREF(s);
    int_or_err(r)
}

/// resize_fresh(size, maxchar, newlen): a fresh 'x' string resized, then
/// its new tail written with 'y': the result str.
unsafe extern "C" fn resize_fresh(_m: Op, a: Op) -> Op {
    let size = n(a, 0);
    let mut u = fresh(size, n(a, 1) as u32, 'x' as u32);
    if u.is_null() {
        return u;
    }
    let newlen = n(a, 2);
    if PyUnicode_Resize(&mut u, newlen) < 0 {
        Py_XDECREF(u);
        return null_mut();
    }
    if newlen > size && PyUnicode_Fill(u, size, newlen - size, 'y' as u32) < 0 {
        Py_DECREF(u);
        return null_mut();
    }
    u
}

/// resize_shared(s, newlen): (resized result, s unchanged, s's refcount delta).
unsafe extern "C" fn resize_shared(_m: Op, a: Op) -> Op {
    let s = arg(a, 0);
    let before = Py_REFCNT(s);
    let mut p = Py_NewRef(s);
    if PyUnicode_Resize(&mut p, n(a, 1)) < 0 {
        return null_mut();
    }
    let newlen = n(a, 1);
    let have = PyUnicode_GetLength(s).min(newlen);
    // The new tail is undefined in CPython: fill it so the result is comparable.
    if newlen > have && PyUnicode_Fill(p, have, newlen - have, 'y' as u32) < 0 {
        Py_DECREF(p);
        return null_mut();
    }
    let t = PyTuple_New(3);
    PyTuple_SetItem(t, 0, p);
    PyTuple_SetItem(t, 1, Py_NewRef(s));
    PyTuple_SetItem(t, 2, int(Py_REFCNT(s) - before - 1));
    t
}

/// resize_bad(): Resize(NULL) and a negative length: both SystemError; returns the messages.
unsafe extern "C" fn resize_bad(_m: Op, _a: Op) -> Op {
    let l = PyList_New(0);
    let r1 = PyUnicode_Resize(null_mut(), 1);
    let e1 = PyErr_GetRaisedException();
    let mut s = PyUnicode_FromString(c"abc".as_ptr());
    let r2 = PyUnicode_Resize(&mut s, -1);
    let e2 = PyErr_GetRaisedException();
    Py_XDECREF(s);
    for (r, e) in [(r1, e1), (r2, e2)] {
        let t = PyTuple_New(2);
        PyTuple_SetItem(t, 0, int(r as isize));
        PyTuple_SetItem(t, 1, if e.is_null() { Py_NewRef(Py_None()) } else { e });
        PyList_Append(l, t);
        Py_DECREF(t);
    }
    l
}

/// append(left, right, del): (result or exception, refcount delta of right).
unsafe extern "C" fn append(_m: Op, a: Op) -> Op {
    let left = arg(a, 0);
    let right = arg(a, 1);
    let mut p = if left.is_null() { null_mut() } else { Py_NewRef(left) };
    let before = if right.is_null() { 0 } else { Py_REFCNT(right) };
    if n(a, 2) != 0 {
        if !right.is_null() {
            Py_INCREF(right);
        }
        PyUnicode_AppendAndDel(&mut p, right);
    } else {
        PyUnicode_Append(&mut p, right);
    }
    let res = if p.is_null() { PyErr_GetRaisedException() } else { p };
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, res);
    PyTuple_SetItem(t, 1, int(if right.is_null() { 0 } else { Py_REFCNT(right) - before }));
    t
}

/// intern_immortal(s): the interned str (is it `s`'s interned twin?).
unsafe extern "C" fn intern_immortal(_m: Op, a: Op) -> Op {
    let mut p = Py_NewRef(arg(a, 0));
    PyUnicode_InternImmortal(&mut p);
    p
}

unsafe extern "C" fn default_encoding(_m: Op, _a: Op) -> Op {
    PyBytes_FromString(PyUnicode_GetDefaultEncoding())
}

unsafe extern "C" fn get_size(_m: Op, a: Op) -> Op {
    int_or_err(PyUnicode_GetSize(arg(a, 0)))
}

unsafe extern "C" fn hexdigits(_m: Op, _a: Op) -> Op {
    PyBytes_FromString(Py_hexdigits)
}

/// fs(name, obj): (return flag, converted object); then the cleanup call
/// (NULL) must release it and reset the slot.
unsafe extern "C" fn fs(_m: Op, a: Op) -> Op {
    let f = if name(a) == "FSConverter" { PyUnicode_FSConverter } else { PyUnicode_FSDecoder };
    let mut out: Op = null_mut();
    let r = f(arg(a, 1), (&mut out as *mut Op).cast());
    if r == 0 {
        return null_mut();
    }
    let t = PyTuple_New(3);
    PyTuple_SetItem(t, 0, int(r as isize));
    PyTuple_SetItem(t, 1, Py_NewRef(out));
    let r2 = f(null_mut(), (&mut out as *mut Op).cast());
    PyTuple_SetItem(t, 2, PyBool_FromLong((r2 == 1 && out.is_null()) as _));
    t
}

/// codec(name, ...): the PyCodec_* registry functions.
unsafe extern "C" fn codec(_m: Op, a: Op) -> Op {
    match name(a).as_str() {
        "Register" => int_or_err(PyCodec_Register(arg(a, 1)) as isize),
        "Unregister" => int_or_err(PyCodec_Unregister(arg(a, 1)) as isize),
        "KnownEncoding" => int(PyCodec_KnownEncoding(cs(a, 1)) as isize),
        "Encode" => PyCodec_Encode(arg(a, 1), cs(a, 2), cs(a, 3)),
        "Decode" => PyCodec_Decode(arg(a, 1), cs(a, 2), cs(a, 3)),
        "Encoder" => PyCodec_Encoder(cs(a, 1)),
        "Decoder" => PyCodec_Decoder(cs(a, 1)),
        "IncrementalEncoder" => PyCodec_IncrementalEncoder(cs(a, 1), cs(a, 2)),
        "IncrementalDecoder" => PyCodec_IncrementalDecoder(cs(a, 1), cs(a, 2)),
        "StreamReader" => PyCodec_StreamReader(cs(a, 1), arg(a, 2), cs(a, 3)),
        "StreamWriter" => PyCodec_StreamWriter(cs(a, 1), arg(a, 2), cs(a, 3)),
        "RegisterError" => int_or_err(PyCodec_RegisterError(cs(a, 1), arg(a, 2)) as isize),
        "LookupError" => PyCodec_LookupError(cs(a, 1)),
        n => unknown(n),
    }
}

/// refdelta(name, o): refcount change of `o` across a call that returns it
/// (1: a new reference to the same object) and whether it is the same object.
unsafe extern "C" fn refdelta(_m: Op, a: Op) -> Op {
    let o = arg(a, 1);
    let before = Py_REFCNT(o);
    let r = match name(a).as_str() {
        "FromObject" => PyUnicode_FromObject(o),
        "Substring" => PyUnicode_Substring(o, 0, PyUnicode_GetLength(o)),
        // `o` is the handler registered as "capi_unicode_h" / utf-8's encode function.
        "LookupError" => PyCodec_LookupError(c"capi_unicode_h".as_ptr()),
        "Encoder" => PyCodec_Encoder(c"utf-8".as_ptr()),
        n => return unknown(n),
    };
    if r.is_null() {
        return r;
    }
    let d = Py_REFCNT(o) - before;
    let same = r == o;
    Py_DECREF(r);
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, int(d));
    PyTuple_SetItem(t, 1, PyBool_FromLong(same as _));
    t
}

/// existing(name, ...): the functions exported before this group, on the
/// inputs whose CPython behaviour they were reviewed for.
unsafe extern "C" fn existing(_m: Op, a: Op) -> Op {
    match name(a).as_str() {
        "AsEncodedString" => PyUnicode_AsEncodedString(arg(a, 1), cs(a, 2), cs(a, 3)),
        "Decode" => {
            let (p, len) = buf(a, 1);
            PyUnicode_Decode(p, len, cs(a, 2), cs(a, 3))
        }
        "FromEncodedObject" => PyUnicode_FromEncodedObject(arg(a, 1), cs(a, 2), cs(a, 3)),
        "EncodeFSDefault" => PyUnicode_EncodeFSDefault(arg(a, 1)),
        "AsUTF8String" => PyUnicode_AsUTF8String(arg(a, 1)),
        "FromStringAndSize" => PyUnicode_FromStringAndSize(cs(a, 1), n(a, 2)),
        "Compare" => int_or_err(PyUnicode_Compare(arg(a, 1), arg(a, 2)) as isize),
        "Concat" => PyUnicode_Concat(arg(a, 1), arg(a, 2)),
        "AsUTF8AndSize" => {
            let mut len: Py_ssize_t = -7;
            let p = PyUnicode_AsUTF8AndSize(arg(a, 1), &mut len);
            if p.is_null() { null_mut() } else { PyBytes_FromStringAndSize(p, len) }
        }
        "GetLength" => int_or_err(PyUnicode_GetLength(arg(a, 1))),
        "ReadChar" => {
            let r = PyUnicode_ReadChar(arg(a, 1), n(a, 2));
            if r == u32::MAX && !PyErr_Occurred().is_null() { null_mut() } else { int(r as isize) }
        }
        "InternInPlace" => {
            // A non-str is left alone, without an error.
            let mut p = Py_NewRef(arg(a, 1));
            PyUnicode_InternInPlace(&mut p);
            if !PyErr_Occurred().is_null() { Py_DECREF(p); return null_mut(); }
            p
        }
        n => unknown(n),
    }
}

/// A 3.14-only symbol, or NULL on 3.13.
unsafe fn sym(name: &std::ffi::CStr) -> *mut c_void {
    dlsym(null_mut(), name.as_ptr())
}

/// equal(a, b): PyUnicode_Equal (3.14), None if absent.
unsafe extern "C" fn equal(_m: Op, a: Op) -> Op {
    let p = sym(c"PyUnicode_Equal");
    if p.is_null() {
        return Py_NewRef(Py_None());
    }
    let f: unsafe extern "C" fn(Op, Op) -> c_int = std::mem::transmute(p);
    int_or_err(f(arg(a, 0), arg(a, 1)) as isize)
}

/// writer(): a PyUnicodeWriter session (3.14) exercising the new write
/// functions; returns (result, consumed, [errors]) or None if absent.
unsafe extern "C" fn writer(_m: Op, _a: Op) -> Op {
    let create = sym(c"PyUnicodeWriter_Create");
    if create.is_null() {
        return Py_NewRef(Py_None());
    }
    type W = *mut c_void;
    let create: unsafe extern "C" fn(Py_ssize_t) -> W = std::mem::transmute(create);
    let finish: unsafe extern "C" fn(W) -> Op = std::mem::transmute(sym(c"PyUnicodeWriter_Finish"));
    let ucs4: unsafe extern "C" fn(W, *const u32, Py_ssize_t) -> c_int = std::mem::transmute(sym(c"PyUnicodeWriter_WriteUCS4"));
    let wide: unsafe extern "C" fn(W, *const u32, Py_ssize_t) -> c_int = std::mem::transmute(sym(c"PyUnicodeWriter_WriteWideChar"));
    let sub: unsafe extern "C" fn(W, Op, Py_ssize_t, Py_ssize_t) -> c_int = std::mem::transmute(sym(c"PyUnicodeWriter_WriteSubstring"));
    let dec: unsafe extern "C" fn(W, *const c_char, Py_ssize_t, *const c_char, *mut Py_ssize_t) -> c_int =
        std::mem::transmute(sym(c"PyUnicodeWriter_DecodeUTF8Stateful"));
    let format: unsafe extern "C" fn(W, *const c_char, ...) -> c_int = std::mem::transmute(sym(c"PyUnicodeWriter_Format"));
    let w = create(0);
    let errs = PyList_New(0);
    let note = |r: c_int| {
        if r < 0 {
            let e = PyErr_GetRaisedException();
            PyList_Append(errs, e);
            Py_DECREF(e);
        }
    };
    let u = [0x41_u32, 0x1F600, 0x42];
    note(ucs4(w, u.as_ptr(), 3));
    let wz = [0x63_u32, 0xe9, 0];
    note(wide(w, wz.as_ptr(), -1));
    note(wide(w, wz.as_ptr(), 1));
    let s = PyUnicode_FromString(c"hello".as_ptr());
    note(sub(w, s, 1, 3));
    note(sub(w, s, 3, 2)); // ValueError: invalid start argument
    note(sub(w, s, 0, 9)); // ValueError: invalid end argument
    note(sub(w, Py_None(), 0, 0)); // TypeError: expect str, not NoneType
    Py_DECREF(s);
    let mut consumed: Py_ssize_t = -7;
    note(dec(w, c"x\xc3\xa9\xe2\x82".as_ptr(), 5, null(), &mut consumed));
    note(dec(w, c"\xff".as_ptr(), 1, c"replace".as_ptr(), null_mut()));
    note(format(w, c"<%d:%s>".as_ptr(), 42 as c_int, c"ok".as_ptr()));
    note(ucs4(w, u.as_ptr(), -1)); // ValueError
    let r = finish(w);
    if r.is_null() {
        Py_DECREF(errs);
        return null_mut();
    }
    let t = PyTuple_New(3);
    PyTuple_SetItem(t, 0, r);
    PyTuple_SetItem(t, 1, int(consumed));
    PyTuple_SetItem(t, 2, errs);
    t
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"ping", ping, PyCFunction, METH_NOARGS),
        meth!(c"call1", call1, PyCFunction, METH_VARARGS),
        meth!(c"call2", call2, PyCFunction, METH_VARARGS),
        meth!(c"split", split, PyCFunction, METH_VARARGS),
        meth!(c"splitlines", splitlines, PyCFunction, METH_VARARGS),
        meth!(c"replace", replace, PyCFunction, METH_VARARGS),
        meth!(c"translate", translate, PyCFunction, METH_VARARGS),
        meth!(c"richcompare", richcompare, PyCFunction, METH_VARARGS),
        meth!(c"contains", contains, PyCFunction, METH_VARARGS),
        meth!(c"find", find, PyCFunction, METH_VARARGS),
        meth!(c"findchar", findchar, PyCFunction, METH_VARARGS),
        meth!(c"count", count, PyCFunction, METH_VARARGS),
        meth!(c"tailmatch", tailmatch, PyCFunction, METH_VARARGS),
        meth!(c"substring", substring, PyCFunction, METH_VARARGS),
        meth!(c"isidentifier", isidentifier, PyCFunction, METH_VARARGS),
        meth!(c"decode", decode, PyCFunction, METH_VARARGS),
        meth!(c"decode_stateful", decode_stateful, PyCFunction, METH_VARARGS),
        meth!(c"decode_wide", decode_wide, PyCFunction, METH_VARARGS),
        meth!(c"decode_charmap", decode_charmap, PyCFunction, METH_VARARGS),
        meth!(c"encode_locale", encode_locale, PyCFunction, METH_VARARGS),
        meth!(c"coded", coded, PyCFunction, METH_VARARGS),
        meth!(c"from_kind", from_kind, PyCFunction, METH_VARARGS),
        meth!(c"from_wide", from_wide, PyCFunction, METH_VARARGS),
        meth!(c"as_wide", as_wide, PyCFunction, METH_VARARGS),
        meth!(c"as_wide_string", as_wide_string, PyCFunction, METH_VARARGS),
        meth!(c"as_ucs4", as_ucs4, PyCFunction, METH_VARARGS),
        meth!(c"as_ucs4_copy", as_ucs4_copy, PyCFunction, METH_VARARGS),
        meth!(c"write_char", write_char, PyCFunction, METH_VARARGS),
        meth!(c"fill", fill, PyCFunction, METH_VARARGS),
        meth!(c"copy_chars", copy_chars, PyCFunction, METH_VARARGS),
        meth!(c"modify_shared", modify_shared, PyCFunction, METH_VARARGS),
        meth!(c"resize_fresh", resize_fresh, PyCFunction, METH_VARARGS),
        meth!(c"resize_shared", resize_shared, PyCFunction, METH_VARARGS),
        meth!(c"resize_bad", resize_bad, PyCFunction, METH_NOARGS),
        meth!(c"append", append, PyCFunction, METH_VARARGS),
        meth!(c"intern_immortal", intern_immortal, PyCFunction, METH_VARARGS),
        meth!(c"default_encoding", default_encoding, PyCFunction, METH_NOARGS),
        meth!(c"get_size", get_size, PyCFunction, METH_VARARGS),
        meth!(c"hexdigits", hexdigits, PyCFunction, METH_NOARGS),
        meth!(c"fs", fs, PyCFunction, METH_VARARGS),
        meth!(c"codec", codec, PyCFunction, METH_VARARGS),
        meth!(c"refdelta", refdelta, PyCFunction, METH_VARARGS),
        meth!(c"equal", equal, PyCFunction, METH_VARARGS),
        meth!(c"writer", writer, PyCFunction, METH_NOARGS),
        meth!(c"existing", existing, PyCFunction, METH_VARARGS),
    ]
}

/// METH_NOARGS: True (the module loaded).
unsafe extern "C" fn ping(_m: Op, _a: Op) -> Op {
    Py_NewRef(Py_True())
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_unicode".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_unicode() -> Op {
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
