//! Probes for the private `_Py*` symbols that popular wheels import
//! (Cython-generated code in aiohttp, yarl, lxml, msgpack, pyyaml, ...;
//! orjson; multidict; regex; simplejson; cffi), called the way they do.
#![allow(non_snake_case, non_upper_case_globals, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::c_int;
use std::ptr::null_mut;

extern "C" {
    fn _PyDict_NewPresized(minused: Py_ssize_t) -> *mut PyObject;
    fn _PyDict_GetItem_KnownHash(d: *mut PyObject, key: *mut PyObject, hash: Py_hash_t) -> *mut PyObject;
    fn _PyDict_SetItem_KnownHash(d: *mut PyObject, key: *mut PyObject, v: *mut PyObject, hash: Py_hash_t) -> c_int;
    fn _PyDict_SetItem_KnownHash_LockHeld(d: *mut PyObject, key: *mut PyObject, v: *mut PyObject, hash: Py_hash_t) -> c_int;
    fn _PyType_Lookup(t: *mut PyTypeObject, name: *mut PyObject) -> *mut PyObject;
    fn _PyObject_GetDictPtr(o: *mut PyObject) -> *mut *mut PyObject;
    fn _PyLong_Copy(v: *mut PyObject) -> *mut PyObject;
    fn _PyLong_Sign(v: *mut PyObject) -> c_int;
    fn _PyLong_NumBits(v: *mut PyObject) -> i64;
    fn _PyLong_AsByteArray(v: *mut PyObject, bytes: *mut u8, n: usize, little: c_int, signed: c_int, with_exc: c_int) -> c_int;
    fn _PyEval_SliceIndex(v: *mut PyObject, pi: *mut Py_ssize_t) -> c_int;
    fn _PyUnicode_ToLowercase(ch: u32) -> u32;
    fn _Py_NewReference(o: *mut PyObject);
    fn _PyUnicode_IsWhitespace(ch: u32) -> c_int;
    static _Py_ctype_tolower: [u8; 256];
    static _Py_ascii_whitespace: [u8; 128];
    static _PyByteArray_empty_string: [std::ffi::c_char; 1];
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

unsafe fn arg(args: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    PyTuple_GET_ITEM(args, i)
}

/// METH_VARARGS (key, value): a presized dict filled with the known-hash
/// setters, then read back with the known-hash getter: (dict, got, missing is NULL
/// without error, refcount delta of the borrowed result).
unsafe extern "C" fn dict_known_hash(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (k, v) = (arg(args, 0), arg(args, 1));
    let h = PyObject_Hash(k);
    if h == -1 {
        return null_mut();
    }
    let d = _PyDict_NewPresized(100);
    if _PyDict_SetItem_KnownHash(d, k, v, h) < 0 || _PyDict_SetItem_KnownHash_LockHeld(d, v, k, PyObject_Hash(v)) < 0 {
        Py_DECREF(d);
        return null_mut();
    }
    let before = Py_REFCNT(v);
    let got = _PyDict_GetItem_KnownHash(d, k, h);
    let delta = Py_REFCNT(v) - before;
    let missing = _PyDict_GetItem_KnownHash(d, Py_None(), PyObject_Hash(Py_None()));
    let missing_ok = missing.is_null() && PyErr_Occurred().is_null();
    let r = (
        d,
        Py_NewRef(got),
        PyBool_FromLong(missing_ok as _),
        PyLong_FromSsize_t(delta),
    );
    let t = PyTuple_New(4);
    PyTuple_SET_ITEM(t, 0, r.0);
    PyTuple_SET_ITEM(t, 1, r.1);
    PyTuple_SET_ITEM(t, 2, r.2);
    PyTuple_SET_ITEM(t, 3, r.3);
    t
}

/// METH_VARARGS (dict, key): `_PyDict_GetItem_KnownHash` with a key whose
/// comparison raises: NULL with the error propagated.
unsafe extern "C" fn dict_known_hash_error(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let h = PyObject_Hash(arg(args, 1));
    if h == -1 {
        return null_mut();
    }
    let r = _PyDict_GetItem_KnownHash(arg(args, 0), arg(args, 1), h);
    if r.is_null() && !PyErr_Occurred().is_null() {
        return null_mut();
    }
    PyErr_SetString(PyExc_AssertionError, c"no error".as_ptr());
    null_mut()
}

/// METH_VARARGS (type, name): `_PyType_Lookup` → the attribute or None if NULL
/// (asserting no exception was set).
unsafe extern "C" fn type_lookup(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let r = _PyType_Lookup(arg(args, 0).cast(), arg(args, 1));
    if !PyErr_Occurred().is_null() {
        return null_mut();
    }
    if r.is_null() {
        return Py_NewRef(Py_None());
    }
    Py_NewRef(r)
}

/// METH_VARARGS (obj, name): Cython's method lookup: `*_PyObject_GetDictPtr(obj)`
/// then the name in it → the value, or the string "no dict" / "not found".
unsafe extern "C" fn dict_ptr_lookup(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let p = _PyObject_GetDictPtr(arg(args, 0));
    if !PyErr_Occurred().is_null() {
        return null_mut();
    }
    if p.is_null() || (*p).is_null() {
        return PyUnicode_FromString(c"no dict".as_ptr());
    }
    let v = PyDict_GetItemWithError(*p, arg(args, 1));
    if v.is_null() {
        if !PyErr_Occurred().is_null() {
            return null_mut();
        }
        return PyUnicode_FromString(c"not found".as_ptr());
    }
    Py_NewRef(v)
}

/// METH_O: (_PyLong_Sign, _PyLong_NumBits, _PyLong_Copy(v), copy is an exact int).
unsafe extern "C" fn long_info(_m: *mut PyObject, v: *mut PyObject) -> *mut PyObject {
    let c = _PyLong_Copy(v);
    if c.is_null() {
        return null_mut();
    }
    let t = PyTuple_New(4);
    PyTuple_SET_ITEM(t, 0, PyLong_FromLong(_PyLong_Sign(v) as _));
    PyTuple_SET_ITEM(t, 1, PyLong_FromLongLong(_PyLong_NumBits(v)));
    PyTuple_SET_ITEM(t, 2, c);
    PyTuple_SET_ITEM(t, 3, PyBool_FromLong((Py_TYPE(c) == &raw mut PyLong_Type) as _));
    t
}

/// METH_VARARGS (v, n, little, signed[, with_exceptions=1]): the bytes, or
/// the string "failed without exception" when -1 came with no error set.
unsafe extern "C" fn as_byte_array(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let n = PyLong_AsSsize_t(arg(args, 1)) as usize;
    let little = PyLong_AsLong(arg(args, 2)) as c_int;
    let signed = PyLong_AsLong(arg(args, 3)) as c_int;
    let with_exc = if PyTuple_GET_SIZE(args) > 4 { PyLong_AsLong(arg(args, 4)) as c_int } else { 1 };
    let mut buf = vec![0u8; n];
    if _PyLong_AsByteArray(arg(args, 0), buf.as_mut_ptr(), n, little, signed, with_exc) < 0 {
        if PyErr_Occurred().is_null() {
            return PyUnicode_FromString(c"failed without exception".as_ptr());
        }
        return null_mut();
    }
    PyBytes_FromStringAndSize(buf.as_ptr().cast(), n as Py_ssize_t)
}

/// METH_O: `_PyEval_SliceIndex(v, &i)` starting from i = 12345 → i.
unsafe extern "C" fn slice_index(_m: *mut PyObject, v: *mut PyObject) -> *mut PyObject {
    let mut i: Py_ssize_t = 12345;
    if _PyEval_SliceIndex(v, &mut i) == 0 {
        return null_mut();
    }
    PyLong_FromSsize_t(i)
}

/// METH_O (str): for each character, (ToLowercase, IsWhitespace).
unsafe extern "C" fn unicode_ctype(_m: *mut PyObject, s: *mut PyObject) -> *mut PyObject {
    let n = PyUnicode_GetLength(s);
    let t = PyTuple_New(n);
    for i in 0..n {
        let ch = PyUnicode_ReadChar(s, i) as u32;
        let pair = PyTuple_New(2);
        PyTuple_SET_ITEM(pair, 0, PyLong_FromUnsignedLong(_PyUnicode_ToLowercase(ch) as _));
        PyTuple_SET_ITEM(pair, 1, PyLong_FromLong(_PyUnicode_IsWhitespace(ch) as _));
        PyTuple_SET_ITEM(t, i, pair);
    }
    t
}

/// METH_NOARGS: (bytes(_Py_ctype_tolower), bytes(_Py_ascii_whitespace), _PyByteArray_empty_string[0]).
unsafe extern "C" fn tables(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let t = PyTuple_New(3);
    PyTuple_SET_ITEM(t, 0, PyBytes_FromStringAndSize(_Py_ctype_tolower.as_ptr().cast(), 256));
    PyTuple_SET_ITEM(t, 1, PyBytes_FromStringAndSize(_Py_ascii_whitespace.as_ptr().cast(), 128));
    PyTuple_SET_ITEM(t, 2, PyLong_FromLong(_PyByteArray_empty_string[0] as _));
    t
}

/// METH_NOARGS: Py_REFCNT of a fresh int after two INCREFs then
/// `_Py_NewReference` (1), which is then released.
unsafe extern "C" fn new_reference(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let p = PyLong_FromLong(123_456_789);
    Py_INCREF(p);
    Py_INCREF(p);
    _Py_NewReference(p);
    let n = Py_REFCNT(p);
    Py_DECREF(p);
    PyLong_FromSsize_t(n)
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"dict_known_hash", dict_known_hash, PyCFunction, METH_VARARGS),
        meth!(c"dict_known_hash_error", dict_known_hash_error, PyCFunction, METH_VARARGS),
        meth!(c"type_lookup", type_lookup, PyCFunction, METH_VARARGS),
        meth!(c"dict_ptr_lookup", dict_ptr_lookup, PyCFunction, METH_VARARGS),
        meth!(c"long_info", long_info, PyCFunction, METH_O),
        meth!(c"as_byte_array", as_byte_array, PyCFunction, METH_VARARGS),
        meth!(c"slice_index", slice_index, PyCFunction, METH_O),
        meth!(c"unicode_ctype", unicode_ctype, PyCFunction, METH_O),
        meth!(c"tables", tables, PyCFunction, METH_NOARGS),
        meth!(c"new_reference", new_reference, PyCFunction, METH_NOARGS),
    ]
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_private".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_private() -> *mut PyObject {
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
