//! A C-style extension written against raw `pyo3-ffi` (no PyO3 runtime):
//! the way C extensions use the API, including CPython's inline macros
//! (`PyTuple_GET_ITEM`, `PyList_SET_ITEM`, `PyFloat_AS_DOUBLE`, `Py_TYPE`,
//! `tp_flags` checks, singleton pointers). One shared object exports several
//! `PyInit_*` functions; `modules.txt` installs it under each name.
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::{c_int, c_void, CStr};
use std::ptr::{null, null_mut};

unsafe fn err(ty: *mut PyObject, msg: &CStr) -> *mut PyObject {
    PyErr_SetString(ty, msg.as_ptr());
    null_mut()
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr, $doc:literal) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: $doc.as_ptr() }
    };
}

// ---- METH_* conventions ------------------------------------------------------

/// New int: the sum of `n` items fetched by `item(i)` (NULL if one is not an int).
unsafe fn sum_items(n: Py_ssize_t, item: impl Fn(Py_ssize_t) -> *mut PyObject) -> *mut PyObject {
    let mut total: i64 = 0;
    for i in 0..n {
        let v = PyLong_AsLong(item(i));
        if v == -1 && !PyErr_Occurred().is_null() {
            return null_mut();
        }
        total += v;
    }
    PyLong_FromLong(total)
}

/// METH_VARARGS: sum(*args) through PyTuple_Size / PyTuple_GetItem.
unsafe extern "C" fn va_sum(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    sum_items(PyTuple_Size(args), |i| PyTuple_GetItem(args, i))
}

/// METH_VARARGS | METH_KEYWORDS: (len(args), sorted(kwargs)) via PyDict_Next.
unsafe extern "C" fn va_kw(_m: *mut PyObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    let keys = PyList_New(0);
    if !kw.is_null() {
        let (mut pos, mut k, mut v) = (0, null_mut(), null_mut());
        while PyDict_Next(kw, &mut pos, &mut k, &mut v) != 0 {
            if PyList_Append(keys, k) < 0 {
                Py_DECREF(keys);
                return null_mut();
            }
        }
    }
    if PyList_Sort(keys) < 0 {
        Py_DECREF(keys);
        return null_mut();
    }
    let t = PyTuple_New(2);
    PyTuple_SET_ITEM(t, 0, PyLong_FromSsize_t(PyTuple_GET_SIZE(args)));
    PyTuple_SET_ITEM(t, 1, keys);
    t
}

/// METH_O: Py_TYPE(x)->tp_name.
unsafe extern "C" fn type_name(_m: *mut PyObject, x: *mut PyObject) -> *mut PyObject {
    PyUnicode_FromString((*Py_TYPE(x)).tp_name)
}

/// METH_NOARGS: increments an i64 counter kept in the module state.
unsafe extern "C" fn state_incr(m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    let s = PyModule_GetState(m) as *mut i64;
    if s.is_null() {
        return err(PyExc_SystemError, c"module has no state");
    }
    *s += 1;
    PyLong_FromLongLong(*s)
}

/// METH_FASTCALL: the number of positional arguments.
unsafe extern "C" fn fc_count(_m: *mut PyObject, _args: *mut *mut PyObject, nargs: Py_ssize_t) -> *mut PyObject {
    PyLong_FromSsize_t(nargs)
}

/// METH_FASTCALL | METH_KEYWORDS: (nargs, kwnames or None, last value).
unsafe extern "C" fn fc_kw(_m: *mut PyObject, args: *const *mut PyObject, nargsf: Py_ssize_t, kwnames: *mut PyObject) -> *mut PyObject {
    let nargs = PyVectorcall_NARGS(nargsf as usize);
    let nkw = if kwnames.is_null() { 0 } else { PyTuple_GET_SIZE(kwnames) };
    let t = PyTuple_New(3);
    PyTuple_SET_ITEM(t, 0, PyLong_FromSsize_t(nargs));
    PyTuple_SET_ITEM(t, 1, Py_NewRef(if kwnames.is_null() { Py_None() } else { kwnames }));
    let total = nargs + nkw;
    PyTuple_SET_ITEM(t, 2, Py_NewRef(if total == 0 { Py_None() } else { *args.offset(total - 1) }));
    t
}

// ---- inline struct access --------------------------------------------------------

/// The subclass bits (24..31) of type(x)'s tp_flags, read inline.
unsafe extern "C" fn subclass_bits(_m: *mut PyObject, x: *mut PyObject) -> *mut PyObject {
    PyLong_FromUnsignedLong(((*Py_TYPE(x)).tp_flags >> 24) & 0xff)
}

/// Which Py*_Check / *_CheckExact macros accept x, as a tuple of bools.
unsafe extern "C" fn checks(_m: *mut PyObject, x: *mut PyObject) -> *mut PyObject {
    let results = [
        PyLong_Check(x),
        PyLong_CheckExact(x),
        PyBool_Check(x),
        PyFloat_Check(x),
        PyUnicode_Check(x),
        PyUnicode_CheckExact(x),
        PyBytes_Check(x),
        PyTuple_Check(x),
        PyTuple_CheckExact(x),
        PyList_Check(x),
        PyList_CheckExact(x),
        PyDict_Check(x),
        PyDict_CheckExact(x),
        PyType_Check(x),
        PyExceptionInstance_Check(x),
        PyExceptionClass_Check(x),
    ];
    let t = PyTuple_New(results.len() as Py_ssize_t);
    for (i, r) in results.iter().enumerate() {
        PyTuple_SET_ITEM(t, i as Py_ssize_t, PyBool_FromLong((*r != 0) as _));
    }
    t
}

/// PyFloat_AS_DOUBLE(x) * 2, read inline.
unsafe extern "C" fn float_double(_m: *mut PyObject, x: *mut PyObject) -> *mut PyObject {
    if PyFloat_Check(x) == 0 {
        return err(PyExc_TypeError, c"float required");
    }
    PyFloat_FromDouble(PyFloat_AS_DOUBLE(x) * 2.0)
}

/// Sum of a list of ints through PyList_GET_SIZE / PyList_GET_ITEM.
unsafe extern "C" fn list_sum(_m: *mut PyObject, l: *mut PyObject) -> *mut PyObject {
    if PyList_Check(l) == 0 {
        return err(PyExc_TypeError, c"list required");
    }
    sum_items(PyList_GET_SIZE(l), |i| PyList_GET_ITEM(l, i))
}

/// Appends through the API, then reads the new last item inline.
unsafe extern "C" fn list_append_inline(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let l = PyTuple_GET_ITEM(args, 0);
    let v = PyTuple_GET_ITEM(args, 1);
    if PyList_Append(l, v) < 0 {
        return null_mut();
    }
    let n = PyList_GET_SIZE(l);
    Py_NewRef(PyList_GET_ITEM(l, n - 1))
}

/// Whether a list's `ob_item` array stays put across a Python callback and
/// an API call on the list, and its first item read through the saved array.
unsafe extern "C" fn list_array_stable(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let l = PyTuple_GET_ITEM(args, 0);
    let f = PyTuple_GET_ITEM(args, 1);
    let before = (*l.cast::<PyListObject>()).ob_item;
    let r = PyObject_CallNoArgs(f);
    if r.is_null() {
        return null_mut();
    }
    Py_DECREF(r);
    if PyList_GetItem(l, 0).is_null() {
        return null_mut();
    }
    let after = (*l.cast::<PyListObject>()).ob_item;
    let t = PyTuple_New(2);
    PyTuple_SET_ITEM(t, 0, PyBool_FromLong((before == after) as _));
    PyTuple_SET_ITEM(t, 1, Py_NewRef(*before));
    t
}

/// Items of a tuple read with PyTuple_GET_ITEM, returned in reverse.
unsafe extern "C" fn tuple_reverse(_m: *mut PyObject, t: *mut PyObject) -> *mut PyObject {
    if PyTuple_Check(t) == 0 {
        return err(PyExc_TypeError, c"tuple required");
    }
    let n = PyTuple_GET_SIZE(t);
    let r = PyTuple_New(n);
    for i in 0..n {
        PyTuple_SET_ITEM(r, n - 1 - i, Py_NewRef(PyTuple_GET_ITEM(t, i)));
    }
    r
}

/// Sum of the bytes of a bytes object through PyBytes_AS_STRING / Py_SIZE.
unsafe extern "C" fn bytes_sum(_m: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    if PyBytes_Check(b) == 0 {
        return err(PyExc_TypeError, c"bytes required");
    }
    let p = PyBytes_AS_STRING(b) as *const u8;
    let s: u64 = (0..Py_SIZE(b)).map(|i| *p.offset(i) as u64).sum();
    PyLong_FromUnsignedLongLong(s)
}

/// (PyUnicode_GET_LENGTH, PyUnicode_KIND, UTF-8 byte length, the code
/// points read inline through PyUnicode_DATA as C extensions read them).
unsafe extern "C" fn unicode_info(_m: *mut PyObject, s: *mut PyObject) -> *mut PyObject {
    if PyUnicode_Check(s) == 0 {
        return err(PyExc_TypeError, c"str required");
    }
    let mut size: Py_ssize_t = 0;
    if PyUnicode_AsUTF8AndSize(s, &mut size).is_null() {
        return null_mut();
    }
    let n = PyUnicode_GET_LENGTH(s);
    let (kind, data) = (PyUnicode_KIND(s), PyUnicode_DATA(s));
    let chars = PyList_New(n);
    for i in 0..n {
        let c: u32 = match kind {
            1 => *data.cast::<u8>().offset(i) as u32,
            2 => *data.cast::<u16>().offset(i) as u32,
            _ => *data.cast::<u32>().offset(i),
        };
        PyList_SET_ITEM(chars, i, PyLong_FromUnsignedLong(c as _));
    }
    let t = PyTuple_New(4);
    PyTuple_SET_ITEM(t, 0, PyLong_FromSsize_t(n));
    PyTuple_SET_ITEM(t, 1, PyLong_FromLong(kind as _));
    PyTuple_SET_ITEM(t, 2, PyLong_FromSsize_t(size));
    PyTuple_SET_ITEM(t, 3, chars);
    t
}

/// CPython's inline bytearray layout (`PyByteArray_GET_SIZE`/`AS_STRING`
/// as macros): returns the bytes read through `ob_start`, after upper-casing
/// them in place through the same pointer.
unsafe extern "C" fn bytearray_inline(_m: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    if PyByteArray_Check(b) == 0 {
        return err(PyExc_TypeError, c"bytearray required");
    }
    let n = Py_SIZE(b);
    let start = *b.cast::<u8>().add(40).cast::<*mut u8>();
    let seen = PyBytes_FromStringAndSize(if n == 0 { c"".as_ptr() } else { start.cast() }, n);
    for i in 0..n as usize {
        *start.add(i) = (*start.add(i)).to_ascii_uppercase();
    }
    seen
}

/// The protocol tables C reads inline from `Py_TYPE(o)`: (PyIndex_Check as
/// the macro tests it, nb_int(o), nb_add(o, o), sq_item(o, 0), sq_length(o),
/// sq_contains(o, key), mp_subscript(o, key)); None for an absent slot.
unsafe extern "C" fn type_slots(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (o, key) = (PyTuple_GetItem(args, 0), PyTuple_GetItem(args, 1));
    if o.is_null() || key.is_null() {
        return null_mut();
    }
    let tp = Py_TYPE(o);
    let (nb, sq, mp) = ((*tp).tp_as_number, (*tp).tp_as_sequence, (*tp).tp_as_mapping);
    let none = || Py_NewRef(Py_None());
    let index_check = !nb.is_null() && (*nb).nb_index.is_some();
    let t = PyTuple_New(7);
    let items: [*mut PyObject; 7] = [
        PyBool_FromLong(index_check as _),
        match nb.as_ref().and_then(|n| n.nb_int) { Some(f) => f(o), None => none() },
        match nb.as_ref().and_then(|n| n.nb_add) { Some(f) => f(o, o), None => none() },
        match sq.as_ref().and_then(|s| s.sq_item) { Some(f) => f(o, 0), None => none() },
        match sq.as_ref().and_then(|s| s.sq_length) { Some(f) => PyLong_FromSsize_t(f(o)), None => none() },
        match sq.as_ref().and_then(|s| s.sq_contains) { Some(f) => PyLong_FromLong(f(o, key) as _), None => none() },
        match mp.as_ref().and_then(|m| m.mp_subscript) { Some(f) => f(o, key), None => none() },
    ];
    for (i, it) in items.iter().enumerate() {
        if it.is_null() {
            Py_DECREF(t);
            return null_mut();
        }
        PyTuple_SET_ITEM(t, i as Py_ssize_t, *it);
    }
    t
}

/// `((PyASCIIObject*)s)->hash` read inline, as Cython's keyword matching
/// compares names (-1: not computed yet).
unsafe extern "C" fn str_inline_hash(_m: *mut PyObject, s: *mut PyObject) -> *mut PyObject {
    PyLong_FromSsize_t((*s.cast::<PyASCIIObject>()).hash)
}

/// The writing slots of a type object, called directly as Cython does:
/// `sq_ass_item(o, 0, v)`, `sq_ass_item(o, 1, NULL)` (delete), then
/// `sq_repeat(o, 2)` and `Py_SIZE(o)` read inline; for a mapping,
/// `mp_ass_subscript(o, k, v)` and `mp_ass_subscript(o, k2, NULL)`.
unsafe extern "C" fn type_slot_writes(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (o, v) = (PyTuple_GetItem(args, 0), PyTuple_GetItem(args, 1));
    if o.is_null() || v.is_null() {
        return null_mut();
    }
    let tp = Py_TYPE(o);
    let (sq, mp) = ((*tp).tp_as_sequence, (*tp).tp_as_mapping);
    if let Some(set) = sq.as_ref().and_then(|s| s.sq_ass_item) {
        if set(o, 0, v) < 0 || set(o, 1, null_mut()) < 0 {
            return null_mut();
        }
        let Some(repeat) = (*sq).sq_repeat else { return PyErr_Format(PyExc_AssertionError, c"no sq_repeat".as_ptr()) };
        return Py_BuildValue(c"(Nn)".as_ptr(), repeat(o, 2), Py_SIZE(o));
    }
    if let Some(set) = mp.as_ref().and_then(|m| m.mp_ass_subscript) {
        let (k, k2) = (PyUnicode_FromString(c"new".as_ptr()), PyUnicode_FromString(c"old".as_ptr()));
        let r = if set(o, k, v) < 0 || set(o, k2, null_mut()) < 0 { null_mut() } else { Py_NewRef(o) };
        Py_DECREF(k);
        Py_DECREF(k2);
        return r;
    }
    Py_NewRef(Py_None())
}

/// Objects built in place: a tuple and a list filled with SET_ITEM, strs from
/// PyUnicode_New (1- and 4-byte kinds) and bytes from FromStringAndSize(NULL, n).
unsafe extern "C" fn build(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    let tuple = PyTuple_New(2);
    PyTuple_SET_ITEM(tuple, 0, PyLong_FromLong(1));
    PyTuple_SET_ITEM(tuple, 1, PyUnicode_FromString(c"x".as_ptr()));
    let list = PyList_New(3);
    for i in 0..3 {
        PyList_SET_ITEM(list, i, PyLong_FromLong(i as _));
    }
    let ascii = PyUnicode_New(3, 127);
    let d = PyUnicode_DATA(ascii) as *mut u8;
    for (i, c) in b"abc".iter().enumerate() {
        *d.add(i) = *c;
    }
    let wide = PyUnicode_New(2, 0x1F40D);
    let d = PyUnicode_DATA(wide) as *mut u32;
    *d = 0x1F40D;
    *d.add(1) = 'é' as u32;
    let bytes = PyBytes_FromStringAndSize(null(), 4);
    let p = PyBytes_AS_STRING(bytes) as *mut u8;
    for i in 0..4 {
        *p.add(i) = b'0' + i as u8;
    }
    let r = PyTuple_New(5);
    PyTuple_SET_ITEM(r, 0, tuple);
    PyTuple_SET_ITEM(r, 1, list);
    PyTuple_SET_ITEM(r, 2, ascii);
    PyTuple_SET_ITEM(r, 3, wide);
    PyTuple_SET_ITEM(r, 4, bytes);
    r
}

/// (None, True, False, Ellipsis, NotImplemented) from the exported singletons.
unsafe extern "C" fn singletons(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    let t = PyTuple_New(5);
    for (i, o) in [Py_None(), Py_True(), Py_False(), Py_Ellipsis(), Py_NotImplemented()].into_iter().enumerate() {
        PyTuple_SET_ITEM(t, i as Py_ssize_t, Py_NewRef(o));
    }
    t
}

/// True if x is the None singleton (pointer comparison).
unsafe extern "C" fn is_none(_m: *mut PyObject, x: *mut PyObject) -> *mut PyObject {
    PyBool_FromLong((x == Py_None()) as _)
}

/// Py_REFCNT(x) change across an inline INCREF (1 for mortal objects).
unsafe extern "C" fn incref_delta(_m: *mut PyObject, x: *mut PyObject) -> *mut PyObject {
    let before = Py_REFCNT(x);
    Py_INCREF(x);
    let after = Py_REFCNT(x);
    Py_DECREF(x);
    PyLong_FromSsize_t(after - before)
}

/// PyDict_GetItem (borrowed) turned into a new reference, or None.
unsafe extern "C" fn dict_get_borrowed(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let r = PyDict_GetItem(PyTuple_GET_ITEM(args, 0), PyTuple_GET_ITEM(args, 1));
    Py_NewRef(if r.is_null() { Py_None() } else { r })
}

// ---- errors -------------------------------------------------------------------------

/// Calls f(); if it raises KeyError returns "KeyError" (cleared), else propagates.
unsafe extern "C" fn catch_key_error(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let r = PyObject_CallNoArgs(f);
    if !r.is_null() {
        return r;
    }
    if PyErr_ExceptionMatches(PyExc_KeyError) != 0 {
        PyErr_Clear();
        return PyUnicode_FromString(c"KeyError".as_ptr());
    }
    null_mut()
}

/// Calls f(), which must raise; returns (type, value, has_traceback) through
/// the legacy PyErr_Fetch / PyErr_NormalizeException API.
unsafe extern "C" fn legacy_fetch(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let r = PyObject_CallNoArgs(f);
    if !r.is_null() {
        Py_DECREF(r);
        return err(PyExc_AssertionError, c"callable did not raise");
    }
    let (mut t, mut v, mut tb) = (null_mut(), null_mut(), null_mut());
    PyErr_Fetch(&mut t, &mut v, &mut tb);
    PyErr_NormalizeException(&mut t, &mut v, &mut tb);
    if !PyErr_Occurred().is_null() {
        return err(PyExc_AssertionError, c"indicator not cleared by PyErr_Fetch");
    }
    let out = PyTuple_New(3);
    PyTuple_SET_ITEM(out, 0, t);
    PyTuple_SET_ITEM(out, 1, v);
    PyTuple_SET_ITEM(out, 2, PyBool_FromLong((!tb.is_null()) as _));
    Py_XDECREF(tb);
    out
}

/// Raises `ty(msg)` via PyErr_SetString, with ty and msg from args.
unsafe extern "C" fn raise_with(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let ty = PyTuple_GET_ITEM(args, 0);
    let msg = PyUnicode_AsUTF8(PyTuple_GET_ITEM(args, 1));
    if msg.is_null() {
        return null_mut();
    }
    PyErr_SetString(ty, msg);
    null_mut()
}

/// Returns NULL without setting an exception (a bug CPython reports as SystemError).
unsafe extern "C" fn null_no_error(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    null_mut()
}

// ---- variadic functions -------------------------------------------------------------

/// PyErr_Format with %s, %d, %R, %S and %%.
unsafe extern "C" fn fmt_error(_m: *mut PyObject, obj: *mut PyObject) -> *mut PyObject {
    PyErr_Format(PyExc_ValueError, c"bad %s: %d (%R) %S 100%%".as_ptr(), c"thing".as_ptr(), 42 as c_int, obj, obj)
}

/// PyUnicode_FromFormat with widths, precisions and length modifiers.
unsafe extern "C" fn fmt_str(_m: *mut PyObject, obj: *mut PyObject) -> *mut PyObject {
    PyUnicode_FromFormat(
        c"[%5s|%-4d|%.3s|%c|%zd|%U|%x|%lld|%03u]".as_ptr(),
        c"ab".as_ptr(),
        7 as c_int,
        c"abcdef".as_ptr(),
        0x1F40D as c_int,
        -5 as Py_ssize_t,
        obj,
        255 as std::ffi::c_uint,
        -(1i64 << 40) as std::ffi::c_longlong,
        7 as std::ffi::c_uint,
    )
}

/// Py_BuildValue with nested containers, s#, z, N and O.
unsafe extern "C" fn build_value(_m: *mut PyObject, obj: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(
        c"(iOs#[dd]{s:i}zN)".as_ptr(),
        1 as c_int,
        obj,
        c"xyz".as_ptr(),
        2 as Py_ssize_t,
        1.5f64,
        2.5f64,
        c"k".as_ptr(),
        3 as c_int,
        null::<std::ffi::c_char>(),
        PyLong_FromLong(9),
    )
}

/// Py_BuildValue for 1 item (not a tuple), 0 items (None) and "()".
unsafe extern "C" fn build_shapes(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    let one = Py_BuildValue(c"i".as_ptr(), 5 as c_int);
    let none = Py_BuildValue(c"".as_ptr());
    let empty = Py_BuildValue(c"()".as_ptr());
    let t = PyTuple_Pack(3, one, none, empty);
    Py_DECREF(one);
    Py_DECREF(none);
    Py_DECREF(empty);
    t
}

/// PyArg_ParseTupleAndKeywords("s|i$d:parse").
/// METH_VARARGS|METH_KEYWORDS: (args, kwargs or None) exactly as received.
unsafe extern "C" fn echo_call(_m: *mut PyObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(OO)".as_ptr(), args, if kw.is_null() { Py_None() } else { kw })
}

/// (tp_mro, tp_bases) of a type, read inline (PyO3's `PyType::mro`/`bases`).
unsafe extern "C" fn mro_bases(_m: *mut PyObject, t: *mut PyObject) -> *mut PyObject {
    let tp = t.cast::<PyTypeObject>();
    Py_BuildValue(c"(OO)".as_ptr(), (*tp).tp_mro, (*tp).tp_bases)
}

/// PyObject_Call(f, args, kwargs) from C (kwargs None: NULL).
unsafe extern "C" fn call_object(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let kw = PyTuple_GetItem(a, 2);
    PyObject_Call(PyTuple_GetItem(a, 0), PyTuple_GetItem(a, 1), if kw == Py_None() { null_mut() } else { kw })
}

unsafe extern "C" fn parse_kw(_m: *mut PyObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    let mut kwlist: [*const std::ffi::c_char; 4] =
        [c"name".as_ptr(), c"count".as_ptr(), c"scale".as_ptr(), null()];
    let mut name: *const std::ffi::c_char = null();
    let mut count: c_int = 10;
    let mut scale: f64 = 1.0;
    if PyArg_ParseTupleAndKeywords(args, kw, c"s|i$d:parse".as_ptr(), kwlist.as_mut_ptr(), &mut name, &mut count, &mut scale) == 0 {
        return null_mut();
    }
    Py_BuildValue(c"(sid)".as_ptr(), name, count, scale)
}

/// PyArg_ParseTuple("Oy#|p:parse_pos").
unsafe extern "C" fn parse_pos(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let mut o: *mut PyObject = null_mut();
    let mut buf: *const std::ffi::c_char = null();
    let mut len: Py_ssize_t = 0;
    let mut flag: c_int = 0;
    if PyArg_ParseTuple(args, c"Oy#|p:parse_pos".as_ptr(), &mut o, &mut buf, &mut len, &mut flag) == 0 {
        return null_mut();
    }
    Py_BuildValue(c"(Oni)".as_ptr(), o, len, flag)
}

/// PyArg_ParseTupleAndKeywords("y*|w*z*D:parse_buffers"): the buffer units
/// (each a Py_buffer the caller releases) and `D`; returns
/// (bytes of the first, bytes of the second or None, z* length or None, complex).
unsafe extern "C" fn parse_buffers(_m: *mut PyObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    let mut kwlist: [*const std::ffi::c_char; 5] = [c"data".as_ptr(), c"out".as_ptr(), c"opt".as_ptr(), c"c".as_ptr(), null()];
    let mut a: Py_buffer = std::mem::zeroed();
    let mut w: Py_buffer = std::mem::zeroed();
    let mut z: Py_buffer = std::mem::zeroed();
    let mut c = Py_complex { real: 0.0, imag: 0.0 };
    if PyArg_ParseTupleAndKeywords(args, kw, c"y*|w*z*D:parse_buffers".as_ptr(), kwlist.as_mut_ptr(), &mut a, &mut w, &mut z, &mut c) == 0 {
        return null_mut();
    }
    // Write through the writable buffer, as a C reader would.
    if !w.buf.is_null() && w.len > 0 {
        *w.buf.cast::<u8>() = b'!';
    }
    let first = PyBytes_FromStringAndSize(a.buf.cast(), a.len);
    let second = if w.obj.is_null() { Py_NewRef(Py_None()) } else { PyBytes_FromStringAndSize(w.buf.cast(), w.len) };
    let third = if z.obj.is_null() && z.buf.is_null() { Py_NewRef(Py_None()) } else { PyLong_FromSsize_t(z.len) };
    for b in [&mut a, &mut w, &mut z] {
        if !b.obj.is_null() || !b.buf.is_null() {
            PyBuffer_Release(b);
        }
    }
    let r = Py_BuildValue(c"(NNND)".as_ptr(), first, second, third, &c as *const Py_complex);
    r
}

/// Bytes from a PyMem_Malloc'd buffer an 'es'/'et' unit filled, which the
/// caller owns and frees (None for NULL).
unsafe fn take_encoded(buf: *mut std::ffi::c_char, len: Option<Py_ssize_t>) -> *mut PyObject {
    if buf.is_null() {
        return Py_NewRef(Py_None());
    }
    let n = len.unwrap_or_else(|| CStr::from_ptr(buf).to_bytes().len() as Py_ssize_t);
    let r = PyBytes_FromStringAndSize(buf, n);
    PyMem_Free(buf.cast());
    r
}

/// PyArg_ParseTupleAndKeywords("es|et#(i(sd))n:parse_encoded"): `text`
/// encoded to Latin-1 ('es'), `raw` to UTF-8 or taken as bytes ('et#'), a
/// nested group and an index. Returns (text, raw, (i, s, d), n).
unsafe extern "C" fn parse_encoded(_m: *mut PyObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    let mut kwlist: [*const std::ffi::c_char; 5] = [c"text".as_ptr(), c"raw".as_ptr(), c"group".as_ptr(), c"n".as_ptr(), null()];
    let (mut text, mut raw): (*mut std::ffi::c_char, *mut std::ffi::c_char) = (null_mut(), null_mut());
    let mut raw_len: Py_ssize_t = 0;
    let (mut i, mut s, mut d, mut n): (c_int, *const std::ffi::c_char, f64, Py_ssize_t) = (-1, null(), 0.0, -1);
    if PyArg_ParseTupleAndKeywords(
        args, kw, c"es|et#(i(sd))n:parse_encoded".as_ptr(), kwlist.as_mut_ptr(),
        c"latin-1".as_ptr(), &mut text, null::<std::ffi::c_char>(), &mut raw, &mut raw_len, &mut i, &mut s, &mut d, &mut n,
    ) == 0
    {
        // A failed parse frees what it allocated and resets the pointers.
        if !text.is_null() || !raw.is_null() {
            return err(PyExc_AssertionError, c"a failed parse left an encoded buffer allocated");
        }
        return null_mut();
    }
    let group = if s.is_null() { Py_NewRef(Py_None()) } else { Py_BuildValue(c"(isd)".as_ptr(), i, s, d) };
    let raw_len = if raw.is_null() { None } else { Some(raw_len) };
    Py_BuildValue(c"(NNNn)".as_ptr(), take_encoded(text, None), take_encoded(raw, raw_len), group, n)
}

/// PyArg_ParseTuple("es#:parse_into") into the caller's 8-byte buffer, as
/// CPython's "es#" with a non-NULL *buffer: returns the bytes written.
unsafe extern "C" fn parse_into(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let mut storage = [0x55 as std::ffi::c_char; 8];
    let mut buf = storage.as_mut_ptr();
    let mut len: Py_ssize_t = storage.len() as Py_ssize_t;
    if PyArg_ParseTuple(args, c"es#:parse_into".as_ptr(), c"utf-8".as_ptr(), &mut buf, &mut len) == 0 {
        return null_mut();
    }
    if buf != storage.as_mut_ptr() || storage[len as usize] != 0 {
        return err(PyExc_AssertionError, c"es# did not write into the caller's buffer");
    }
    PyBytes_FromStringAndSize(buf, len)
}

/// PyArg_ParseTuple("ckKY:parse_misc"): a byte from bytes or bytearray,
/// bitfields (ints only) and a bytearray object.
unsafe extern "C" fn parse_misc(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut c, mut k, mut kk, mut y): (std::ffi::c_char, std::ffi::c_ulong, std::ffi::c_ulonglong, *mut PyObject) = (0, 0, 0, null_mut());
    if PyArg_ParseTuple(args, c"ckKY:parse_misc".as_ptr(), &mut c, &mut k, &mut kk, &mut y) == 0 {
        return null_mut();
    }
    Py_BuildValue(c"(ikKO)".as_ptr(), c as c_int, k, kk, y)
}

/// What Cython-compiled code reads and writes inline (CPython 3.13 and
/// 3.14 share these offsets): calls `f`, which must raise, then fetches the
/// error from `tstate->current_exception` (0x70) as `__Pyx_ErrFetch` does,
/// reads the exception's `traceback` field, restores it inline, and also
/// writes `tp_dict` of the static type and reads a code object's
/// `co_firstlineno` (68). Returns (exception, tb is set, cleared-state
/// PyErr_Occurred() is NULL, restored PyErr_Occurred() is its type,
/// Static.added, co_firstlineno).
unsafe extern "C" fn cython_inline(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    if !PyObject_CallNoArgs(f).is_null() {
        PyErr_SetString(PyExc_AssertionError, c"the callable did not raise".as_ptr());
        return null_mut();
    }
    let slot = PyThreadState_GetUnchecked().cast::<u8>().add(0x70).cast::<*mut PyObject>();
    let exc = *slot;
    *slot = null_mut();
    let cleared = PyErr_Occurred().is_null();
    let tb = (*exc.cast::<PyBaseExceptionObject>()).traceback;
    *slot = exc;
    let restored = PyErr_Occurred() == Py_TYPE(exc).cast();
    let exc = PyErr_GetRaisedException();
    let tp = &raw mut STATIC_TYPE;
    let added = PyLong_FromLong(42);
    if (*tp).tp_dict.is_null() || PyDict_SetItemString((*tp).tp_dict, c"added".as_ptr(), added) < 0 {
        Py_DECREF(added);
        Py_DECREF(exc);
        PyErr_SetString(PyExc_AssertionError, c"no tp_dict".as_ptr());
        return null_mut();
    }
    Py_DECREF(added);
    PyType_Modified(tp);
    let via_attr = PyObject_GetAttrString(tp.cast(), c"added".as_ptr());
    let code = PyCode_NewEmpty(c"f.py".as_ptr(), c"g".as_ptr(), 17);
    if via_attr.is_null() || code.is_null() {
        Py_DECREF(exc);
        return null_mut();
    }
    let first = *code.cast::<u8>().add(68).cast::<c_int>();
    Py_DECREF(code.cast());
    Py_BuildValue(c"(NiiiNi)".as_ptr(), exc, !tb.is_null() as c_int, cleared as c_int, restored as c_int, via_attr, first)
}

/// PyArg_UnpackTuple(args, "unpack", 1, 2).
unsafe extern "C" fn unpack(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut a, mut b): (*mut PyObject, *mut PyObject) = (null_mut(), Py_None());
    if PyArg_UnpackTuple(args, c"unpack".as_ptr(), 1, 2, &mut a, &mut b) == 0 {
        return null_mut();
    }
    PyTuple_Pack(2, a, b)
}

/// PyObject_CallFunction(f, "is", 3, "x") and PyObject_CallFunctionObjArgs(f, f, NULL).
unsafe extern "C" fn call_variadic(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let a = PyObject_CallFunction(f, c"is".as_ptr(), 3 as c_int, c"x".as_ptr());
    if a.is_null() {
        return null_mut();
    }
    let b = PyObject_CallFunctionObjArgs(f, f, null_mut::<PyObject>());
    if b.is_null() {
        Py_DECREF(a);
        return null_mut();
    }
    let t = PyTuple_Pack(2, a, b);
    Py_DECREF(a);
    Py_DECREF(b);
    t
}

// ---- a static type readied with PyType_Ready ------------------------------------------------

#[repr(C)]
struct StaticObj {
    ob_base: PyObject,
    value: std::ffi::c_long,
}

static mut STATIC_TYPE: PyTypeObject = unsafe { std::mem::zeroed() };
static mut STATIC_NUMBER: PyNumberMethods = unsafe { std::mem::zeroed() };
static mut STATIC_METHODS: [PyMethodDef; 2] = [
    meth!(c"value", static_value, PyCFunction, METH_NOARGS, c"the wrapped value"),
    PyMethodDef::zeroed(),
];
static mut STATIC_MEMBERS: [PyMemberDef; 2] = [
    PyMemberDef { name: c"raw".as_ptr(), type_code: Py_T_LONG, offset: 16, flags: Py_READONLY, doc: null() },
    PyMemberDef { name: null(), type_code: 0, offset: 0, flags: 0, doc: null() },
];

unsafe fn new_static(tp: *mut PyTypeObject, v: std::ffi::c_long) -> *mut PyObject {
    let alloc = (*tp).tp_alloc.unwrap();
    let o = alloc(tp, 0);
    if !o.is_null() {
        (*o.cast::<StaticObj>()).value = v;
    }
    o
}

unsafe extern "C" fn static_new(tp: *mut PyTypeObject, args: *mut PyObject, _kw: *mut PyObject) -> *mut PyObject {
    let mut v: std::ffi::c_long = 0;
    if PyArg_ParseTuple(args, c"|l:Static".as_ptr(), &mut v) == 0 {
        return null_mut();
    }
    new_static(tp, v)
}

unsafe extern "C" fn static_dealloc(o: *mut PyObject) {
    let free = (*Py_TYPE(o)).tp_free.unwrap();
    free(o.cast());
}

unsafe extern "C" fn static_repr(o: *mut PyObject) -> *mut PyObject {
    PyUnicode_FromFormat(c"Static(%ld)".as_ptr(), (*o.cast::<StaticObj>()).value)
}

unsafe extern "C" fn static_add(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    let tp = &raw mut STATIC_TYPE;
    if PyObject_TypeCheck(a, tp) == 0 || PyObject_TypeCheck(b, tp) == 0 {
        return Py_NewRef(Py_NotImplemented());
    }
    new_static(Py_TYPE(a), (*a.cast::<StaticObj>()).value + (*b.cast::<StaticObj>()).value)
}

unsafe extern "C" fn static_value(o: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    PyLong_FromLong((*o.cast::<StaticObj>()).value)
}

/// (PyType_GetTypeDataSize(type), value read through PyObject_GetTypeData).
unsafe extern "C" fn type_data(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let tp = &raw mut STATIC_TYPE;
    if PyObject_TypeCheck(o, tp) == 0 {
        return err(PyExc_TypeError, c"Static instance required");
    }
    let size = PyType_GetTypeDataSize(tp);
    let value = *PyObject_GetTypeData(o, tp).cast::<std::ffi::c_long>();
    Py_BuildValue(c"(nl)".as_ptr(), size, value)
}

// ---- capsules ---------------------------------------------------------------------------

static mut CAP_VALUE: std::ffi::c_long = 4242;
static DTOR_COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Reads the long behind a capsule named "rawmulti.CAP".
unsafe extern "C" fn cap_read(_m: *mut PyObject, c: *mut PyObject) -> *mut PyObject {
    let p = PyCapsule_GetPointer(c, c"rawmulti.CAP".as_ptr()).cast::<std::ffi::c_long>();
    if p.is_null() {
        return null_mut();
    }
    PyLong_FromLong(*p)
}

/// Reads the same long through PyCapsule_Import("rawmulti.CAP").
unsafe extern "C" fn cap_import(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    let p = PyCapsule_Import(c"rawmulti.CAP".as_ptr(), 0).cast::<std::ffi::c_long>();
    if p.is_null() {
        return null_mut();
    }
    PyLong_FromLong(*p)
}

unsafe extern "C" fn cap_destructor(c: *mut PyObject) {
    if PyCapsule_IsValid(c, c"rawmulti.tmp".as_ptr()) == 1 {
        DTOR_COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A capsule with a destructor; (capsule, destructor runs so far).
unsafe extern "C" fn cap_with_dtor(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    PyCapsule_New((&raw mut CAP_VALUE).cast(), c"rawmulti.tmp".as_ptr(), Some(cap_destructor))
}

unsafe extern "C" fn dtor_count(_m: *mut PyObject, _unused: *mut PyObject) -> *mut PyObject {
    PyLong_FromSize_t(DTOR_COUNT.load(std::sync::atomic::Ordering::SeqCst))
}

unsafe fn ready_static_type() -> c_int {
    let t = &raw mut STATIC_TYPE;
    if (*t).tp_name.is_null() {
        (*t).tp_name = c"rawmulti.Static".as_ptr();
        (*t).tp_basicsize = std::mem::size_of::<StaticObj>() as Py_ssize_t;
        (*t).tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE;
        (*t).tp_doc = c"A static type.".as_ptr();
        (*t).tp_new = Some(static_new);
        (*t).tp_dealloc = Some(static_dealloc);
        (*t).tp_repr = Some(static_repr);
        (*t).tp_methods = (&raw mut STATIC_METHODS).cast();
        (*t).tp_members = (&raw mut STATIC_MEMBERS).cast();
        STATIC_NUMBER.nb_add = Some(static_add);
        (*t).tp_as_number = &raw mut STATIC_NUMBER;
    }
    PyType_Ready(t)
}

// ---- threads, locks, TSS, memory domains, version, complex --------------------------

extern "C" {
    fn PyThread_allocate_lock() -> *mut c_void;
    fn PyThread_free_lock(lock: *mut c_void);
    fn PyThread_acquire_lock(lock: *mut c_void, waitflag: c_int) -> c_int;
    fn PyThread_acquire_lock_timed(lock: *mut c_void, microseconds: i64, intr: c_int) -> c_int;
    fn PyThread_release_lock(lock: *mut c_void);
    fn PyThread_start_joinable_thread(f: unsafe extern "C" fn(*mut c_void), arg: *mut c_void, ident: *mut std::ffi::c_ulong, handle: *mut usize) -> c_int;
    fn PyThread_join_thread(handle: usize) -> c_int;
    fn PyThread_create_key() -> c_int;
    fn PyThread_set_key_value(key: c_int, value: *mut c_void) -> c_int;
    fn PyThread_get_key_value(key: c_int) -> *mut c_void;
    fn PyThread_delete_key(key: c_int);
    fn PyThread_ParseTimeoutArg(arg: *mut PyObject, blocking: c_int, timeout: *mut i64) -> c_int;
}

unsafe extern "C" fn release_from_thread(lock: *mut c_void) {
    // A lock is a binary semaphore: another thread may release it.
    PyThread_release_lock(lock);
}

/// (acquire, try-again, timed-out, acquired after another thread released, TSS round trip ok, old key API ok)
unsafe extern "C" fn thread_api(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let lock = PyThread_allocate_lock();
    let first = PyThread_acquire_lock(lock, 1);
    let again = PyThread_acquire_lock(lock, 0);
    let timed = PyThread_acquire_lock_timed(lock, 1000, 0);
    let (mut ident, mut handle) = (0, 0usize);
    let started = PyThread_start_joinable_thread(release_from_thread, lock, &mut ident, &mut handle);
    let after = PyThread_acquire_lock_timed(lock, 10_000_000, 0);
    let joined = if started == 0 { PyThread_join_thread(handle) } else { -1 };
    PyThread_release_lock(lock);
    PyThread_free_lock(lock);
    let key = PyThread_tss_alloc();
    let mut tss_ok = PyThread_tss_is_created(key) == 0 && PyThread_tss_create(key) == 0 && PyThread_tss_is_created(key) == 1;
    tss_ok &= PyThread_tss_get(key).is_null();
    tss_ok &= PyThread_tss_set(key, 42usize as *mut c_void) == 0 && PyThread_tss_get(key) as usize == 42;
    PyThread_tss_free(key);
    let k = PyThread_create_key();
    let old_ok = k >= 0 && PyThread_set_key_value(k, 7usize as *mut c_void) == 0 && PyThread_get_key_value(k) as usize == 7;
    PyThread_delete_key(k);
    let idents_ok = ident != 0 && PyThread_get_thread_ident() != 0;
    Py_BuildValue(
        c"(iiiiiOOO)".as_ptr(),
        first,
        again,
        timed,
        after,
        joined,
        PyBool_FromLong(tss_ok as _),
        PyBool_FromLong(old_ok as _),
        PyBool_FromLong(idents_ok as _),
    )
}

/// PyThread_ParseTimeoutArg(arg, blocking) -> microseconds.
unsafe extern "C" fn parse_timeout(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut arg, mut blocking): (*mut PyObject, c_int) = (null_mut(), 1);
    if PyArg_ParseTuple(args, c"|Oi".as_ptr(), &mut arg, &mut blocking) == 0 {
        return null_mut();
    }
    let mut t: i64 = 0;
    if PyThread_ParseTimeoutArg(arg, blocking, &mut t) < 0 {
        return null_mut();
    }
    PyLong_FromLongLong(t)
}

/// Allocates, fills, grows and frees in each domain; (raw ok, mem ok, obj ok, zero-size non-NULL).
unsafe extern "C" fn mem_domains(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    unsafe fn check(
        malloc: unsafe extern "C" fn(usize) -> *mut c_void,
        calloc: unsafe extern "C" fn(usize, usize) -> *mut c_void,
        realloc: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void,
        free: unsafe extern "C" fn(*mut c_void),
    ) -> bool {
        let p = malloc(16).cast::<u8>();
        std::ptr::write_bytes(p, 7, 16);
        let p = realloc(p.cast(), 4096).cast::<u8>();
        let kept = (0..16).all(|i| *p.add(i) == 7);
        free(p.cast());
        let z = calloc(8, 8).cast::<u8>();
        let zeroed = (0..64).all(|i| *z.add(i) == 0);
        free(z.cast());
        let e = malloc(0);
        let nonnull = !e.is_null();
        free(e);
        kept && zeroed && nonnull
    }
    let raw = check(PyMem_RawMalloc, PyMem_RawCalloc, PyMem_RawRealloc, PyMem_RawFree);
    let mem = check(PyMem_Malloc, PyMem_Calloc, PyMem_Realloc, PyMem_Free);
    let obj = check(PyObject_Malloc, PyObject_Calloc, PyObject_Realloc, PyObject_Free);
    let overflow = PyMem_RawCalloc(usize::MAX, 16).is_null();
    Py_BuildValue(c"(OOOO)".as_ptr(), PyBool_FromLong(raw as _), PyBool_FromLong(mem as _), PyBool_FromLong(obj as _), PyBool_FromLong(overflow as _))
}

/// (Py_GetVersion(), Py_Version)
unsafe extern "C" fn version(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(sk)".as_ptr(), Py_GetVersion(), Py_Version)
}

/// (real, imag, AsCComplex, FromCComplex(conj), inline cval of a complex)
unsafe extern "C" fn complex_parts(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let re = PyComplex_RealAsDouble(o);
    if re == -1.0 && !PyErr_Occurred().is_null() {
        return null_mut();
    }
    let im = PyComplex_ImagAsDouble(o);
    let c = PyComplex_AsCComplex(o);
    if c.real == -1.0 && !PyErr_Occurred().is_null() {
        return null_mut();
    }
    let conj = PyComplex_FromCComplex(Py_complex { real: c.real, imag: -c.imag });
    let inline = if PyComplex_Check(o) != 0 { PyFloat_FromDouble((*o.cast::<PyComplexObject>()).cval.imag) } else { Py_NewRef(Py_None()) };
    Py_BuildValue(c"(ddNNN)".as_ptr(), re, im, PyComplex_FromDoubles(c.real, c.imag), conj, inline)
}

// ---- errno and Unicode errors -----------------------------------------------------------

extern "C" {
    fn __errno_location() -> *mut c_int;
}

/// errno_error(errno, filename or None): PyErr_SetFromErrno[WithFilenameObject](OSError).
unsafe extern "C" fn errno_error(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut code, mut name): (c_int, *mut PyObject) = (0, null_mut());
    if PyArg_ParseTuple(args, c"iO".as_ptr(), &mut code, &mut name) == 0 {
        return null_mut();
    }
    *__errno_location() = code;
    if name == Py_None() {
        PyErr_SetFromErrno(PyExc_OSError)
    } else {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, name)
    }
}

/// Builds a UnicodeDecodeError and reads it back through the getters, then
/// moves start/end/reason through the setters.
unsafe extern "C" fn decode_error(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let e = PyUnicodeDecodeError_Create(c"utf-8".as_ptr(), c"ab\xff\xfe".as_ptr(), 4, 2, 3, c"invalid start byte".as_ptr());
    if e.is_null() {
        return null_mut();
    }
    let (mut start, mut end) = (0, 0);
    PyUnicodeDecodeError_GetStart(e, &mut start);
    PyUnicodeDecodeError_GetEnd(e, &mut end);
    let first = Py_BuildValue(
        c"(NNnnN)".as_ptr(),
        PyUnicodeDecodeError_GetEncoding(e),
        PyUnicodeDecodeError_GetObject(e),
        start,
        end,
        PyUnicodeDecodeError_GetReason(e),
    );
    PyUnicodeDecodeError_SetStart(e, 3);
    PyUnicodeDecodeError_SetEnd(e, 99);
    PyUnicodeDecodeError_SetReason(e, c"changed".as_ptr());
    PyUnicodeDecodeError_GetStart(e, &mut start);
    PyUnicodeDecodeError_GetEnd(e, &mut end);
    Py_BuildValue(c"(NNnnN)".as_ptr(), e, first, start, end, PyUnicodeDecodeError_GetReason(e))
}

/// (start, end, object, reason[, encoding]) of an encode or translate error.
unsafe extern "C" fn unicode_error_parts(_m: *mut PyObject, e: *mut PyObject) -> *mut PyObject {
    let (mut start, mut end) = (0, 0);
    if PyObject_TypeCheck(e, PyExc_UnicodeEncodeError.cast()) != 0 {
        if PyUnicodeEncodeError_GetStart(e, &mut start) < 0 || PyUnicodeEncodeError_GetEnd(e, &mut end) < 0 {
            return null_mut();
        }
        let obj = PyUnicodeEncodeError_GetObject(e);
        if obj.is_null() {
            return null_mut();
        }
        return Py_BuildValue(c"(nnNNN)".as_ptr(), start, end, obj, PyUnicodeEncodeError_GetReason(e), PyUnicodeEncodeError_GetEncoding(e));
    }
    if PyUnicodeTranslateError_GetStart(e, &mut start) < 0 || PyUnicodeTranslateError_GetEnd(e, &mut end) < 0 {
        return null_mut();
    }
    let obj = PyUnicodeTranslateError_GetObject(e);
    if obj.is_null() {
        return null_mut();
    }
    Py_BuildValue(c"(nnNN)".as_ptr(), start, end, obj, PyUnicodeTranslateError_GetReason(e))
}

extern "C" {
    fn _PyBytes_Resize(pv: *mut *mut PyObject, newsize: Py_ssize_t) -> c_int;
}

/// bytes_resize(n, m, shared): n bytes 'a','b',... resized to m, new tail 'z'.
unsafe extern "C" fn bytes_resize(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut n, mut m, mut shared): (Py_ssize_t, Py_ssize_t, c_int) = (0, 0, 0);
    if PyArg_ParseTuple(args, c"nn|p".as_ptr(), &mut n, &mut m, &mut shared) == 0 {
        return null_mut();
    }
    let mut b = PyBytes_FromStringAndSize(null(), n);
    let p = PyBytes_AS_STRING(b).cast::<u8>().cast_mut();
    for i in 0..n as usize {
        *p.add(i) = b'a' + (i % 26) as u8;
    }
    let extra = if shared != 0 { Py_NewRef(b) } else { null_mut() };
    if _PyBytes_Resize(&mut b, m) < 0 {
        assert!(b.is_null());
        Py_XDECREF(extra);
        return null_mut();
    }
    let q = PyBytes_AS_STRING(b).cast::<u8>().cast_mut();
    for i in n.min(m) as usize..m as usize {
        *q.add(i) = b'z';
    }
    b
}

extern "C" {
    fn PyErr_GetHandledException() -> *mut PyObject;
    fn PyErr_SetInterruptEx(signum: c_int) -> c_int;
    fn PyExceptionClass_Name(cls: *mut PyObject) -> *const std::ffi::c_char;
}

/// The handled exception, or None.
unsafe extern "C" fn handled(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let e = PyErr_GetHandledException();
    if e.is_null() { Py_NewRef(Py_None()) } else { e }
}

/// PyErr_GetExcInfo as a tuple (None for NULL).
unsafe extern "C" fn exc_info(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let (mut t, mut v, mut tb) = (null_mut(), null_mut(), null_mut());
    PyErr_GetExcInfo(&mut t, &mut v, &mut tb);
    let none = |o: *mut PyObject| if o.is_null() { Py_NewRef(Py_None()) } else { o };
    Py_BuildValue(c"(NNN)".as_ptr(), none(t), none(v), none(tb))
}

/// PyExceptionClass_Name(cls).
unsafe extern "C" fn exc_class_name(_m: *mut PyObject, cls: *mut PyObject) -> *mut PyObject {
    PyUnicode_FromString(PyExceptionClass_Name(cls))
}

/// PyErr_SetInterruptEx(signum) -> 0 / -1.
unsafe extern "C" fn set_interrupt(_m: *mut PyObject, signum: *mut PyObject) -> *mut PyObject {
    PyLong_FromLong(PyErr_SetInterruptEx(PyLong_AsLong(signum) as c_int) as _)
}

/// strtod(bytes, partial, overflow_exc_or_None) -> (value, bytes used)
unsafe extern "C" fn strtod(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut s, mut partial, mut exc): (*const std::ffi::c_char, c_int, *mut PyObject) = (null(), 0, null_mut());
    if PyArg_ParseTuple(args, c"ypO".as_ptr(), &mut s, &mut partial, &mut exc) == 0 {
        return null_mut();
    }
    let exc = if exc == Py_None() { null_mut() } else { exc };
    let mut end: *mut std::ffi::c_char = null_mut();
    let v = PyOS_string_to_double(s, if partial != 0 { &mut end } else { null_mut() }, exc);
    if v == -1.0 && !PyErr_Occurred().is_null() {
        return null_mut();
    }
    let used = if partial != 0 { end.offset_from(s) } else { -1 };
    Py_BuildValue(c"(dn)".as_ptr(), v, used)
}

/// dtoa(value, code, precision, flags) -> (text, type)
unsafe extern "C" fn dtoa(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut v, mut code, mut prec, mut flags): (f64, std::ffi::c_char, c_int, c_int) = (0.0, 0, 0, 0);
    if PyArg_ParseTuple(args, c"dcii".as_ptr(), &mut v, &mut code, &mut prec, &mut flags) == 0 {
        return null_mut();
    }
    let mut ty: c_int = -1;
    let p = PyOS_double_to_string(v, code, prec, flags, &mut ty);
    if p.is_null() {
        return null_mut();
    }
    let r = Py_BuildValue(c"(si)".as_ptr(), p, ty);
    PyMem_Free(p.cast());
    r
}

extern "C" {
    fn PyOS_mystrnicmp(a: *const std::ffi::c_char, b: *const std::ffi::c_char, n: Py_ssize_t) -> c_int;
    fn PyOS_mystricmp(a: *const std::ffi::c_char, b: *const std::ffi::c_char) -> c_int;
}

/// stricmp(a, b, n) -> (sign of mystricmp, sign of mystrnicmp(n))
unsafe extern "C" fn stricmp(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let (mut a, mut b, mut n): (*const std::ffi::c_char, *const std::ffi::c_char, Py_ssize_t) = (null(), null(), 0);
    if PyArg_ParseTuple(args, c"yyn".as_ptr(), &mut a, &mut b, &mut n) == 0 {
        return null_mut();
    }
    Py_BuildValue(c"(ii)".as_ptr(), PyOS_mystricmp(a, b).signum(), PyOS_mystrnicmp(a, b, n).signum())
}

// ---- module definitions ----------------------------------------------------------------


const NMETHODS: usize = 65;
static mut METHODS: [PyMethodDef; NMETHODS] = [
    meth!(c"va_sum", va_sum, PyCFunction, METH_VARARGS, c"va_sum(*args)\n--\n\nSum of the arguments."),
    meth!(c"va_kw", va_kw, PyCFunctionWithKeywords, METH_VARARGS | METH_KEYWORDS, c"(len(args), sorted keyword names)"),
    meth!(c"type_name", type_name, PyCFunction, METH_O, c"tp_name of type(x)"),
    meth!(c"state_incr", state_incr, PyCFunction, METH_NOARGS, c"increment the module-state counter"),
    meth!(c"fc_count", fc_count, PyCFunctionFast, METH_FASTCALL, c"number of positional arguments"),
    meth!(c"fc_kw", fc_kw, PyCFunctionFastWithKeywords, METH_FASTCALL | METH_KEYWORDS, c"(nargs, kwnames, last value)"),
    meth!(c"subclass_bits", subclass_bits, PyCFunction, METH_O, c"tp_flags >> 24"),
    meth!(c"checks", checks, PyCFunction, METH_O, c"Py*_Check results"),
    meth!(c"float_double", float_double, PyCFunction, METH_O, c"PyFloat_AS_DOUBLE * 2"),
    meth!(c"list_sum", list_sum, PyCFunction, METH_O, c"sum through PyList_GET_ITEM"),
    meth!(c"list_append_inline", list_append_inline, PyCFunction, METH_VARARGS, c"append, then read inline"),
    meth!(c"tuple_reverse", tuple_reverse, PyCFunction, METH_O, c"reverse through PyTuple_GET_ITEM"),
    meth!(c"list_array_stable", list_array_stable, PyCFunction, METH_VARARGS, c"ob_item stability"),
    meth!(c"type_data", type_data, PyCFunction, METH_O, c"PEP 697 type data"),
    meth!(c"cap_read", cap_read, PyCFunction, METH_O, c"PyCapsule_GetPointer"),
    meth!(c"cap_import", cap_import, PyCFunction, METH_NOARGS, c"PyCapsule_Import"),
    meth!(c"cap_with_dtor", cap_with_dtor, PyCFunction, METH_NOARGS, c"capsule with destructor"),
    meth!(c"dtor_count", dtor_count, PyCFunction, METH_NOARGS, c"capsule destructor runs"),
    meth!(c"bytes_sum", bytes_sum, PyCFunction, METH_O, c"sum through PyBytes_AS_STRING"),
    meth!(c"unicode_info", unicode_info, PyCFunction, METH_O, c"(length, kind, utf8 size)"),
    meth!(c"type_slots", type_slots, PyCFunction, METH_VARARGS, c"protocol slots read inline from the type"),
    meth!(c"bytearray_inline", bytearray_inline, PyCFunction, METH_O, c"bytes read through ob_start; upper-cases in place"),
    meth!(c"build", build, PyCFunction, METH_NOARGS, c"objects built in place"),
    meth!(c"singletons", singletons, PyCFunction, METH_NOARGS, c"the exported singletons"),
    meth!(c"is_none", is_none, PyCFunction, METH_O, c"x is Py_None"),
    meth!(c"incref_delta", incref_delta, PyCFunction, METH_O, c"refcount delta of Py_INCREF"),
    meth!(c"dict_get_borrowed", dict_get_borrowed, PyCFunction, METH_VARARGS, c"PyDict_GetItem"),
    meth!(c"catch_key_error", catch_key_error, PyCFunction, METH_O, c"PyErr_ExceptionMatches"),
    meth!(c"legacy_fetch", legacy_fetch, PyCFunction, METH_O, c"PyErr_Fetch"),
    meth!(c"raise_with", raise_with, PyCFunction, METH_VARARGS, c"PyErr_SetString"),
    meth!(c"null_no_error", null_no_error, PyCFunction, METH_NOARGS, c"NULL without an exception"),
    meth!(c"fmt_error", fmt_error, PyCFunction, METH_O, c"PyErr_Format"),
    meth!(c"fmt_str", fmt_str, PyCFunction, METH_O, c"PyUnicode_FromFormat"),
    meth!(c"build_value", build_value, PyCFunction, METH_O, c"Py_BuildValue"),
    meth!(c"build_shapes", build_shapes, PyCFunction, METH_NOARGS, c"Py_BuildValue result shapes"),
    meth!(c"parse_kw", parse_kw, PyCFunctionWithKeywords, METH_VARARGS | METH_KEYWORDS, c"PyArg_ParseTupleAndKeywords"),
    meth!(c"parse_pos", parse_pos, PyCFunction, METH_VARARGS, c"PyArg_ParseTuple"),
    meth!(c"cython_inline", cython_inline, PyCFunction, METH_O, c"Cython's inline thread-state, exception, tp_dict and code accesses"),
    meth!(c"type_slot_writes", type_slot_writes, PyCFunction, METH_VARARGS, c"sq_ass_item, sq_repeat, mp_ass_subscript called directly"),
    meth!(c"str_inline_hash", str_inline_hash, PyCFunction, METH_O, c"the hash field of a str, read inline"),
    meth!(c"parse_buffers", parse_buffers, PyCFunctionWithKeywords, METH_VARARGS | METH_KEYWORDS, c"PyArg_ParseTupleAndKeywords buffer units"),
    meth!(c"mro_bases", mro_bases, PyCFunction, METH_O, c"(tp_mro, tp_bases) read inline"),
    meth!(c"echo_call", echo_call, PyCFunctionWithKeywords, METH_VARARGS | METH_KEYWORDS, c"(args, kwargs) as received"),
    meth!(c"call_object", call_object, PyCFunction, METH_VARARGS, c"PyObject_Call(f, args, kwargs)"),
    meth!(c"parse_encoded", parse_encoded, PyCFunctionWithKeywords, METH_VARARGS | METH_KEYWORDS, c"PyArg_ParseTupleAndKeywords es, et#, nested groups"),
    meth!(c"parse_into", parse_into, PyCFunction, METH_VARARGS, c"PyArg_ParseTuple es# into a caller buffer"),
    meth!(c"parse_misc", parse_misc, PyCFunction, METH_VARARGS, c"PyArg_ParseTuple c, k, K, Y"),
    meth!(c"unpack", unpack, PyCFunction, METH_VARARGS, c"PyArg_UnpackTuple"),
    meth!(c"call_variadic", call_variadic, PyCFunction, METH_O, c"PyObject_CallFunction[ObjArgs]"),
    meth!(c"thread_api", thread_api, PyCFunction, METH_NOARGS, c"PyThread_* locks, threads and keys"),
    meth!(c"parse_timeout", parse_timeout, PyCFunction, METH_VARARGS, c"PyThread_ParseTimeoutArg"),
    meth!(c"mem_domains", mem_domains, PyCFunction, METH_NOARGS, c"PyMem_Raw*/PyMem_*/PyObject_* allocators"),
    meth!(c"version", version, PyCFunction, METH_NOARGS, c"Py_GetVersion, Py_Version"),
    meth!(c"complex_parts", complex_parts, PyCFunction, METH_O, c"PyComplex_*"),
    meth!(c"errno_error", errno_error, PyCFunction, METH_VARARGS, c"PyErr_SetFromErrno*"),
    meth!(c"decode_error", decode_error, PyCFunction, METH_NOARGS, c"PyUnicodeDecodeError_*"),
    meth!(c"unicode_error_parts", unicode_error_parts, PyCFunction, METH_O, c"PyUnicodeEncodeError_* / TranslateError_*"),
    meth!(c"bytes_resize", bytes_resize, PyCFunction, METH_VARARGS, c"_PyBytes_Resize"),
    meth!(c"handled", handled, PyCFunction, METH_NOARGS, c"PyErr_GetHandledException"),
    meth!(c"exc_info", exc_info, PyCFunction, METH_NOARGS, c"PyErr_GetExcInfo"),
    meth!(c"exc_class_name", exc_class_name, PyCFunction, METH_O, c"PyExceptionClass_Name"),
    meth!(c"set_interrupt", set_interrupt, PyCFunction, METH_O, c"PyErr_SetInterruptEx"),
    meth!(c"strtod", strtod, PyCFunction, METH_VARARGS, c"PyOS_string_to_double"),
    meth!(c"dtoa", dtoa, PyCFunction, METH_VARARGS, c"PyOS_double_to_string"),
    meth!(c"stricmp", stricmp, PyCFunction, METH_VARARGS, c"PyOS_mystr[n]icmp"),
];
static mut SENTINEL_METHODS: [PyMethodDef; NMETHODS + 1] = [PyMethodDef::zeroed(); NMETHODS + 1];

unsafe fn methods() -> *mut PyMethodDef {
    for (i, m) in METHODS.iter().enumerate() {
        SENTINEL_METHODS[i] = *m;
    }
    SENTINEL_METHODS.as_mut_ptr()
}

unsafe extern "C" fn multi_create(spec: *mut PyObject, _def: *mut PyModuleDef) -> *mut PyObject {
    let name = PyObject_GetAttrString(spec, c"name".as_ptr());
    if name.is_null() {
        return null_mut();
    }
    let m = PyModule_NewObject(name);
    Py_DECREF(name);
    if m.is_null() {
        return null_mut();
    }
    let v = PyUnicode_FromString(c"Py_mod_create".as_ptr());
    let r = PyModule_AddObjectRef(m, c"CREATED_BY".as_ptr(), v);
    Py_DECREF(v);
    if r < 0 {
        Py_DECREF(m);
        return null_mut();
    }
    m
}

unsafe extern "C" fn multi_exec(m: *mut PyObject) -> c_int {
    if PyModule_AddIntConstant(m, c"EXEC_COUNT".as_ptr(), 1) < 0 {
        return -1;
    }
    if ready_static_type() < 0 || PyModule_AddObjectRef(m, c"Static".as_ptr(), (&raw mut STATIC_TYPE).cast()) < 0 {
        return -1;
    }
    let cap = PyCapsule_New((&raw mut CAP_VALUE).cast(), c"rawmulti.CAP".as_ptr(), None);
    if cap.is_null() || PyModule_AddObjectRef(m, c"CAP".as_ptr(), cap) < 0 {
        return -1;
    }
    Py_DECREF(cap);
    PyModule_AddStringConstant(m, c"KIND".as_ptr(), c"multi-phase".as_ptr())
}

unsafe extern "C" fn multi_exec_second(m: *mut PyObject) -> c_int {
    // Exec slots run in order: the first one has already run.
    let d = PyModule_GetDict(m);
    let first = PyDict_GetItemString(d, c"EXEC_COUNT".as_ptr());
    if first.is_null() {
        PyErr_SetString(PyExc_AssertionError, c"exec slots ran out of order".as_ptr());
        return -1;
    }
    let two = PyLong_FromLong(2);
    let r = PyDict_SetItemString(d, c"EXEC_COUNT".as_ptr(), two);
    Py_DECREF(two);
    r
}

unsafe extern "C" fn exec_fails(_m: *mut PyObject) -> c_int {
    PyErr_SetString(PyExc_ValueError, c"exec slot failed on purpose".as_ptr());
    -1
}

static mut MULTI_SLOTS: [PyModuleDef_Slot; 5] = [
    PyModuleDef_Slot { slot: Py_mod_create, value: multi_create as *mut c_void },
    PyModuleDef_Slot { slot: Py_mod_exec, value: multi_exec as *mut c_void },
    PyModuleDef_Slot { slot: Py_mod_exec, value: multi_exec_second as *mut c_void },
    PyModuleDef_Slot { slot: Py_mod_gil, value: Py_MOD_GIL_USED },
    PyModuleDef_Slot { slot: 0, value: null_mut() },
];

static mut FAIL_SLOTS: [PyModuleDef_Slot; 2] = [
    PyModuleDef_Slot { slot: Py_mod_exec, value: exec_fails as *mut c_void },
    PyModuleDef_Slot { slot: 0, value: null_mut() },
];

static mut SUB_SLOTS: [PyModuleDef_Slot; 2] = [
    PyModuleDef_Slot { slot: Py_mod_exec, value: multi_exec as *mut c_void },
    PyModuleDef_Slot { slot: 0, value: null_mut() },
];

const fn def(name: &'static CStr, doc: &'static CStr, size: Py_ssize_t) -> PyModuleDef {
    PyModuleDef {
        m_base: PyModuleDef_HEAD_INIT,
        m_name: name.as_ptr(),
        m_doc: doc.as_ptr(),
        m_size: size,
        m_methods: null_mut(),
        m_slots: null_mut(),
        m_traverse: None,
        m_clear: None,
        m_free: None,
    }
}

static mut MULTI: PyModuleDef = def(c"rawmulti", c"multi-phase raw module", 8);
static mut SINGLE: PyModuleDef = def(c"rawsingle", c"single-phase raw module", 8);
static mut SUB: PyModuleDef = def(c"rawpkg.rawsub", c"a submodule of a package", 0);
static mut EXECFAIL: PyModuleDef = def(c"rawexecfail", c"", 0);

#[no_mangle]
pub unsafe extern "C" fn PyInit_rawmulti() -> *mut PyObject {
    MULTI.m_methods = methods();
    MULTI.m_slots = MULTI_SLOTS.as_mut_ptr();
    PyModuleDef_Init(&raw mut MULTI)
}

#[no_mangle]
pub unsafe extern "C" fn PyInit_rawsingle() -> *mut PyObject {
    SINGLE.m_methods = methods();
    let m = PyModule_Create(&raw mut SINGLE);
    if m.is_null() {
        return null_mut();
    }
    if PyModule_AddStringConstant(m, c"KIND".as_ptr(), c"single-phase".as_ptr()) < 0 {
        Py_DECREF(m);
        return null_mut();
    }
    m
}

#[no_mangle]
pub unsafe extern "C" fn PyInit_rawsub() -> *mut PyObject {
    SUB.m_slots = SUB_SLOTS.as_mut_ptr();
    PyModuleDef_Init(&raw mut SUB)
}

#[no_mangle]
pub unsafe extern "C" fn PyInit_rawexecfail() -> *mut PyObject {
    EXECFAIL.m_slots = FAIL_SLOTS.as_mut_ptr();
    PyModuleDef_Init(&raw mut EXECFAIL)
}

/// Returns NULL without an exception: CPython raises SystemError.
#[no_mangle]
pub unsafe extern "C" fn PyInit_rawnull() -> *mut PyObject {
    null_mut()
}

/// Returns NULL with RuntimeError set: the import raises it.
#[no_mangle]
pub unsafe extern "C" fn PyInit_rawinitraise() -> *mut PyObject {
    PyErr_SetString(PyExc_RuntimeError, c"init raised on purpose".as_ptr());
    null_mut()
}

