//! Probes for the C-API family group 'scalars': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_scalars.py can compare pyfacade with CPython 3.13.
//! Functions are declared in module `c` with CPython's exact signatures;
//! those CPython 3.13 lacks (3.14 additions) are looked up with `dlsym` and
//! the probe returns None when they are absent.
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::{c_char, c_int, c_long, c_void, CStr};
use std::ptr::null_mut;

#[repr(C)]
pub struct Field {
    name: *const c_char,
    doc: *const c_char,
}
#[repr(C)]
pub struct Desc {
    name: *const c_char,
    doc: *const c_char,
    fields: *mut Field,
    n_in_sequence: c_int,
}
#[repr(C)]
pub struct HashFuncDef {
    hash: unsafe extern "C" fn(*const c_void, Py_ssize_t) -> Py_hash_t,
    name: *const c_char,
    hash_bits: c_int,
    seed_bits: c_int,
}

mod c {
    use super::*;
    extern "C" {
        pub fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
        pub fn PyFloat_Pack2(x: f64, p: *mut c_char, le: c_int) -> c_int;
        pub fn PyFloat_Pack4(x: f64, p: *mut c_char, le: c_int) -> c_int;
        pub fn PyFloat_Pack8(x: f64, p: *mut c_char, le: c_int) -> c_int;
        pub fn PyFloat_Unpack2(p: *const c_char, le: c_int) -> f64;
        pub fn PyFloat_Unpack4(p: *const c_char, le: c_int) -> f64;
        pub fn PyFloat_Unpack8(p: *const c_char, le: c_int) -> f64;
        pub fn PyFloat_GetInfo() -> *mut PyObject;
        pub fn PyLong_GetInfo() -> *mut PyObject;
        pub fn PyLong_FromVoidPtr(p: *mut c_void) -> *mut PyObject;
        pub fn PyLong_AsVoidPtr(o: *mut PyObject) -> *mut c_void;
        pub fn PyUnstable_Long_IsCompact(o: *const PyObject) -> c_int;
        pub fn PyUnstable_Long_CompactValue(o: *const PyObject) -> Py_ssize_t;
        pub fn Py_IsTrue(o: *mut PyObject) -> c_int;
        pub fn Py_IsFalse(o: *mut PyObject) -> c_int;
        pub fn Py_IsNone(o: *mut PyObject) -> c_int;
        pub fn Py_HashPointer(p: *const c_void) -> Py_hash_t;
        pub fn PyHash_GetFuncDef() -> *const HashFuncDef;
        pub fn PyBytes_FromFormat(f: *const c_char, ...) -> *mut PyObject;
        pub fn PyBytes_DecodeEscape(s: *const c_char, n: Py_ssize_t, e: *const c_char, u: Py_ssize_t, r: *const c_char) -> *mut PyObject;
        pub fn PyBytes_Repr(o: *mut PyObject, smart: c_int) -> *mut PyObject;
        pub fn PyBytes_FromObject(o: *mut PyObject) -> *mut PyObject;
        pub fn PyBytes_Concat(pv: *mut *mut PyObject, w: *mut PyObject);
        pub fn PyBytes_ConcatAndDel(pv: *mut *mut PyObject, w: *mut PyObject);
        pub fn PyByteArray_Concat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject;
        pub fn PyByteArray_Resize(a: *mut PyObject, n: Py_ssize_t) -> c_int;
        pub fn PyCapsule_SetName(o: *mut PyObject, n: *const c_char) -> c_int;
        pub fn PyCapsule_SetDestructor(o: *mut PyObject, d: Option<unsafe extern "C" fn(*mut PyObject)>) -> c_int;
        pub fn PyModule_AddType(m: *mut PyObject, t: *mut PyTypeObject) -> c_int;
        pub fn PyModule_GetFilename(m: *mut PyObject) -> *const c_char;
        pub fn PyWeakref_NewRef(o: *mut PyObject, cb: *mut PyObject) -> *mut PyObject;
        pub fn PyWeakref_NewProxy(o: *mut PyObject, cb: *mut PyObject) -> *mut PyObject;
        pub fn PyWeakref_GetObject(r: *mut PyObject) -> *mut PyObject;
        pub fn PyStructSequence_NewType(d: *mut Desc) -> *mut PyTypeObject;
        pub fn PyStructSequence_InitType2(t: *mut PyTypeObject, d: *mut Desc) -> c_int;
        pub fn PyStructSequence_New(t: *mut PyTypeObject) -> *mut PyObject;
        pub fn PyStructSequence_SetItem(o: *mut PyObject, i: Py_ssize_t, v: *mut PyObject);
        pub fn PyStructSequence_GetItem(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject;
        pub static PyStructSequence_UnnamedField: *const c_char;
        pub fn PyContext_New() -> *mut PyObject;
        pub fn PyContext_Copy(c: *mut PyObject) -> *mut PyObject;
        pub fn PyContext_CopyCurrent() -> *mut PyObject;
        pub fn PyContext_Enter(c: *mut PyObject) -> c_int;
        pub fn PyContext_Exit(c: *mut PyObject) -> c_int;
        pub fn PyContextVar_New(n: *const c_char, d: *mut PyObject) -> *mut PyObject;
        pub fn PyContextVar_Get(v: *mut PyObject, d: *mut PyObject, out: *mut *mut PyObject) -> c_int;
        pub fn PyContextVar_Set(v: *mut PyObject, x: *mut PyObject) -> *mut PyObject;
        pub fn PyContextVar_Reset(v: *mut PyObject, t: *mut PyObject) -> c_int;
        pub fn PyErr_WarnExplicit(c: *mut PyObject, m: *const c_char, f: *const c_char, l: c_int, md: *const c_char, r: *mut PyObject) -> c_int;
        pub fn PyErr_WarnExplicitObject(c: *mut PyObject, m: *mut PyObject, f: *mut PyObject, l: c_int, md: *mut PyObject, r: *mut PyObject) -> c_int;
        pub fn PyErr_WarnExplicitFormat(c: *mut PyObject, f: *const c_char, l: c_int, md: *const c_char, r: *mut PyObject, fmt: *const c_char, ...) -> c_int;
        pub fn PyErr_ResourceWarning(s: *mut PyObject, level: Py_ssize_t, fmt: *const c_char, ...) -> c_int;
        pub fn PyErr_SyntaxLocation(f: *const c_char, l: c_int);
        pub fn PyErr_SyntaxLocationEx(f: *const c_char, l: c_int, col: c_int);
        pub fn PyErr_SyntaxLocationObject(f: *mut PyObject, l: c_int, col: c_int);
        pub fn PyErr_RangedSyntaxLocationObject(f: *mut PyObject, l: c_int, col: c_int, el: c_int, ec: c_int);
        pub fn PyErr_ProgramText(f: *const c_char, l: c_int) -> *mut PyObject;
        pub fn PyErr_ProgramTextObject(f: *mut PyObject, l: c_int) -> *mut PyObject;
        pub fn PyErr_SetImportError(m: *mut PyObject, n: *mut PyObject, p: *mut PyObject) -> *mut PyObject;
        pub fn PyErr_SetImportErrorSubclass(e: *mut PyObject, m: *mut PyObject, n: *mut PyObject, p: *mut PyObject) -> *mut PyObject;
        pub fn PyUnstable_Exc_PrepReraiseStar(o: *mut PyObject, e: *mut PyObject) -> *mut PyObject;
        pub fn PyFile_FromFd(fd: c_int, n: *const c_char, m: *const c_char, b: c_int, e: *const c_char, er: *const c_char, nl: *const c_char, cl: c_int) -> *mut PyObject;
        pub fn PyFile_GetLine(f: *mut PyObject, n: c_int) -> *mut PyObject;
        pub fn PyFile_WriteObject(o: *mut PyObject, f: *mut PyObject, flags: c_int) -> c_int;
        pub fn PyFile_WriteString(s: *const c_char, f: *mut PyObject) -> c_int;
        pub fn PyFile_OpenCode(p: *const c_char) -> *mut PyObject;
        pub fn PyFile_OpenCodeObject(p: *mut PyObject) -> *mut PyObject;
        pub fn PyFile_NewStdPrinter(fd: c_int) -> *mut PyObject;
        pub fn PyFile_SetOpenCodeHook(h: Option<unsafe extern "C" fn(*mut PyObject, *mut c_void) -> *mut PyObject>, d: *mut c_void) -> c_int;
        pub fn PyStructSequence_InitType(t: *mut PyTypeObject, d: *mut Desc);
        pub static mut PyStdPrinter_Type: PyTypeObject;
        pub fn Py_GenericAlias(o: *mut PyObject, a: *mut PyObject) -> *mut PyObject;
    }
}

/// A C-API function by name, if this interpreter exports it (3.14 additions).
macro_rules! dl {
    ($name:literal as $t:ty) => {{
        let p = c::dlsym(null_mut(), $name.as_ptr());
        if p.is_null() { None } else { Some(std::mem::transmute::<*mut c_void, $t>(p)) }
    }};
}

macro_rules! meth {
    ($name:literal, $f:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { PyCFunction: $f }, ml_flags: METH_VARARGS, ml_doc: std::ptr::null() }
    };
}

unsafe fn arg(a: *mut PyObject, i: isize) -> *mut PyObject {
    PyTuple_GetItem(a, i)
}
unsafe fn int(a: *mut PyObject, i: isize) -> i64 {
    PyLong_AsLongLong(arg(a, i))
}
unsafe fn long(v: i64) -> *mut PyObject {
    PyLong_FromLongLong(v)
}
unsafe fn none() -> *mut PyObject {
    Py_NewRef(Py_None())
}
/// A tuple of new references (stolen).
unsafe fn tup(items: &[*mut PyObject]) -> *mut PyObject {
    let t = PyTuple_New(items.len() as isize);
    for (i, &x) in items.iter().enumerate() {
        if x.is_null() {
            Py_DecRef(t);
            return null_mut();
        }
        PyTuple_SetItem(t, i as isize, x);
    }
    t
}
/// `None` for NULL (and any error cleared), else the object.
unsafe fn or_none(p: *mut PyObject) -> *mut PyObject {
    if p.is_null() {
        PyErr_Clear();
        none()
    } else {
        p
    }
}
/// A UTF-8 argument (NULL for None).
unsafe fn s(a: *mut PyObject, i: isize) -> *const c_char {
    let o = arg(a, i);
    if o == Py_None() { std::ptr::null() } else { PyUnicode_AsUTF8(o) }
}
/// An object argument (NULL for None).
unsafe fn o(a: *mut PyObject, i: isize) -> *mut PyObject {
    let x = arg(a, i);
    if x == Py_None() { null_mut() } else { x }
}

// ---- floats and ints ---------------------------------------------------------------

/// (size, x, le) -> the packed bytes (or the exception).
unsafe extern "C" fn float_pack(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (n, x, le) = (int(a, 0), PyFloat_AsDouble(arg(a, 1)), int(a, 2) as c_int);
    let mut buf = [0u8; 8];
    let p = buf.as_mut_ptr().cast();
    let r = match n {
        2 => c::PyFloat_Pack2(x, p, le),
        4 => c::PyFloat_Pack4(x, p, le),
        _ => c::PyFloat_Pack8(x, p, le),
    };
    if r < 0 {
        return null_mut();
    }
    PyBytes_FromStringAndSize(p, n as isize)
}

/// (bytes, le) -> the float unpacked from 2, 4 or 8 bytes.
unsafe extern "C" fn float_unpack(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let b = arg(a, 0);
    let p = PyBytes_AsString(b);
    let le = int(a, 1) as c_int;
    let x = match PyBytes_Size(b) {
        2 => c::PyFloat_Unpack2(p, le),
        4 => c::PyFloat_Unpack4(p, le),
        _ => c::PyFloat_Unpack8(p, le),
    };
    PyFloat_FromDouble(x)
}

unsafe extern "C" fn infos(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    tup(&[c::PyFloat_GetInfo(), c::PyLong_GetInfo()])
}

/// (obj) -> PyLong_FromVoidPtr(PyLong_AsVoidPtr(obj)).
unsafe extern "C" fn voidptr(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let p = c::PyLong_AsVoidPtr(arg(a, 0));
    if p.is_null() && !PyErr_Occurred().is_null() {
        return null_mut();
    }
    c::PyLong_FromVoidPtr(p)
}

/// (obj) -> (IsPositive, IsNegative, IsZero, GetSign) (None without 3.14); raises on -1.
unsafe extern "C" fn long_sign(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type F = unsafe extern "C" fn(*mut PyObject) -> c_int;
    type G = unsafe extern "C" fn(*mut PyObject, *mut c_int) -> c_int;
    let (Some(p), Some(n), Some(z), Some(g)) = (dl!(c"PyLong_IsPositive" as F), dl!(c"PyLong_IsNegative" as F), dl!(c"PyLong_IsZero" as F), dl!(c"PyLong_GetSign" as G)) else {
        return none();
    };
    let x = arg(a, 0);
    let mut out = [0; 4];
    for (i, f) in [p, n, z].iter().enumerate() {
        out[i] = f(x);
        if out[i] == -1 {
            return null_mut();
        }
    }
    let mut sign = 9;
    if g(x, &mut sign) < 0 {
        return null_mut();
    }
    out[3] = sign;
    tup(&[long(out[0] as i64), long(out[1] as i64), long(out[2] as i64), long(out[3] as i64)])
}

/// (int) -> (IsCompact, CompactValue or None).
unsafe extern "C" fn compact(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let x = arg(a, 0);
    let c = c::PyUnstable_Long_IsCompact(x);
    tup(&[long(c as i64), if c != 0 { long(c::PyUnstable_Long_CompactValue(x) as i64) } else { none() }])
}

unsafe extern "C" fn is_checks(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let x = arg(a, 0);
    tup(&[long(c::Py_IsTrue(x) as i64), long(c::Py_IsFalse(x) as i64), long(c::Py_IsNone(x) as i64)])
}

// ---- hashing -----------------------------------------------------------------------

/// (address) -> Py_HashPointer((void *)address).
unsafe extern "C" fn hash_pointer(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let p = PyLong_AsUnsignedLongLong(arg(a, 0)) as usize as *const c_void;
    long(c::Py_HashPointer(p) as i64)
}

/// (bytes) -> (Py_HashBuffer or None, PyHash_GetFuncDef()->hash, name, hash_bits, seed_bits).
unsafe extern "C" fn hash_buffer(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type H = unsafe extern "C" fn(*const c_void, Py_ssize_t) -> Py_hash_t;
    let b = arg(a, 0);
    let (p, n) = (PyBytes_AsString(b).cast::<c_void>(), PyBytes_Size(b));
    let hb = match dl!(c"Py_HashBuffer" as H) {
        Some(h) => long(h(p, n) as i64),
        None => none(),
    };
    let d = &*c::PyHash_GetFuncDef();
    tup(&[hb, long((d.hash)(p, n) as i64), PyUnicode_FromString(d.name), long(d.hash_bits as i64), long(d.seed_bits as i64)])
}

// ---- bytes -------------------------------------------------------------------------

/// () -> results of PyBytes_FromFormat over its format units.
unsafe extern "C" fn bytes_format(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let r = [
        c::PyBytes_FromFormat(c"%d|%u|%ld|%lu|%zd|%zu|%i|%x|%%".as_ptr(), -5 as c_int, 7 as u32, -9 as c_long, 11 as u64, -13 as isize, 15 as usize, 17 as c_int, 255 as c_int),
        c::PyBytes_FromFormat(c"[%s][%.3s][%5s][%c]".as_ptr(), c"hello".as_ptr(), c"abcdef".as_ptr(), c"xy".as_ptr(), 200 as c_int),
        c::PyBytes_FromFormat(c"%p".as_ptr(), 0x1234usize as *const c_void),
        c::PyBytes_FromFormat(c"a%qb %d".as_ptr(), 1 as c_int),
        c::PyBytes_FromFormat(c"%c".as_ptr(), 256 as c_int),
    ];
    let err = if r[4].is_null() {
        let e = PyErr_GetRaisedException();
        let t = tup(&[Py_NewRef(Py_TYPE(e).cast()), PyObject_Str(e)]);
        Py_DecRef(e);
        t
    } else {
        r[4]
    };
    tup(&[r[0], r[1], r[2], r[3], err])
}

/// (bytes, errors) -> PyBytes_DecodeEscape.
unsafe extern "C" fn decode_escape(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let b = arg(a, 0);
    c::PyBytes_DecodeEscape(PyBytes_AsString(b), PyBytes_Size(b), s(a, 1), 0, std::ptr::null())
}

unsafe extern "C" fn bytes_repr(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyBytes_Repr(arg(a, 0), int(a, 1) as c_int)
}

/// (sep, iterable) -> PyBytes_Join, or None without it.
unsafe extern "C" fn bytes_join(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type J = unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject;
    match dl!(c"PyBytes_Join" as J) {
        Some(j) => j(arg(a, 0), arg(a, 1)),
        None => none(),
    }
}

unsafe extern "C" fn bytes_from_object(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyBytes_FromObject(arg(a, 0))
}

/// (a, b, del) -> (result or the exception, refcount delta of b); `*pv` starts as a new ref to a.
unsafe extern "C" fn bytes_concat(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (x, y, del) = (arg(a, 0), o(a, 1), int(a, 2));
    let mut pv = Py_NewRef(x);
    let before = if y.is_null() { 0 } else { Py_REFCNT(y) };
    if !y.is_null() {
        Py_IncRef(y); // the reference ConcatAndDel steals, or one we drop after Concat
    }
    if del != 0 {
        c::PyBytes_ConcatAndDel(&mut pv, y);
    } else {
        c::PyBytes_Concat(&mut pv, y);
    }
    let delta = if y.is_null() { 0 } else { Py_REFCNT(y) - before };
    if del == 0 && !y.is_null() {
        Py_DecRef(y);
    }
    let res = if pv.is_null() {
        if PyErr_Occurred().is_null() {
            none()
        } else {
            let e = PyErr_GetRaisedException();
            let t = tup(&[Py_NewRef(Py_TYPE(e).cast()), PyObject_Str(e)]);
            Py_DecRef(e);
            t
        }
    } else {
        pv
    };
    tup(&[res, long(delta as i64)])
}

unsafe extern "C" fn bytearray_concat(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyByteArray_Concat(arg(a, 0), arg(a, 1))
}

/// (bytearray, n) -> None after PyByteArray_Resize.
unsafe extern "C" fn bytearray_resize(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    if c::PyByteArray_Resize(arg(a, 0), int(a, 1) as isize) < 0 {
        return null_mut();
    }
    none()
}

// ---- capsules and modules ------------------------------------------------------------

static mut DESTROYED: i64 = 0;
unsafe extern "C" fn count_destroy(_c: *mut PyObject) {
    DESTROYED += 1;
}

/// () -> a capsule renamed to "renamed.cap" with a destructor set afterwards.
unsafe extern "C" fn capsule_new(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let cap = PyCapsule_New(8 as *mut c_void, c"orig.cap".as_ptr(), None);
    if c::PyCapsule_SetName(cap, c"renamed.cap".as_ptr()) < 0 || c::PyCapsule_SetDestructor(cap, Some(count_destroy)) < 0 {
        return null_mut();
    }
    cap
}

/// (capsule) -> (GetName, IsValid(new name), IsValid(old name), destroyed count, SetName on a non-capsule raises?).
unsafe extern "C" fn capsule_info(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let cap = arg(a, 0);
    let n = PyCapsule_GetName(cap);
    let bad = c::PyCapsule_SetName(Py_None(), c"x".as_ptr());
    let bad_exc = if bad < 0 { PyErr_GetRaisedException() } else { none() };
    let exc_type = Py_NewRef(Py_TYPE(bad_exc).cast());
    Py_DecRef(bad_exc);
    tup(&[
        PyUnicode_FromString(n),
        long(PyCapsule_IsValid(cap, c"renamed.cap".as_ptr()) as i64),
        long(PyCapsule_IsValid(cap, c"orig.cap".as_ptr()) as i64),
        long(DESTROYED),
        long(bad as i64),
        exc_type,
    ])
}

unsafe extern "C" fn destroyed(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    long(DESTROYED)
}

/// (module, type) -> PyModule_AddType's result (refcount delta of the type).
unsafe extern "C" fn module_add_type(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let t = arg(a, 1);
    let before = Py_REFCNT(t);
    if c::PyModule_AddType(arg(a, 0), t.cast()) < 0 {
        return null_mut();
    }
    long((Py_REFCNT(t) - before) as i64)
}

unsafe extern "C" fn module_filename(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = c::PyModule_GetFilename(arg(a, 0));
    if f.is_null() {
        return null_mut();
    }
    PyUnicode_FromString(f)
}

// ---- weak references ---------------------------------------------------------------

unsafe extern "C" fn weak_new(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    if int(a, 2) != 0 { c::PyWeakref_NewProxy(arg(a, 0), o(a, 1)) } else { c::PyWeakref_NewRef(arg(a, 0), o(a, 1)) }
}

/// (ref) -> (GetRef rc, referent or None, referent refcount delta of GetRef, IsDead or None).
unsafe extern "C" fn weak_get(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type G = unsafe extern "C" fn(*mut PyObject, *mut *mut PyObject) -> c_int;
    type D = unsafe extern "C" fn(*mut PyObject) -> c_int;
    let r = arg(a, 0);
    let mut out = null_mut();
    let Some(get) = dl!(c"PyWeakref_GetRef" as G) else { return none() };
    let rc = get(r, &mut out);
    if rc < 0 {
        return null_mut();
    }
    let obj = if out.is_null() { none() } else { out };
    let dead = match dl!(c"PyWeakref_IsDead" as D) {
        Some(d) => {
            let v = d(r);
            if v < 0 {
                return null_mut();
            }
            long(v as i64)
        }
        None => none(),
    };
    tup(&[long(rc as i64), obj, dead])
}

/// (ref) -> (PyWeakref_GetObject's borrowed referent, refcount delta of the call).
unsafe extern "C" fn weak_getobject(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let r = arg(a, 0);
    let first = c::PyWeakref_GetObject(r);
    if first.is_null() {
        return null_mut();
    }
    let before = Py_REFCNT(first);
    let again = c::PyWeakref_GetObject(r);
    let delta = Py_REFCNT(again) - before;
    tup(&[Py_NewRef(again), long(delta as i64), long((first == again) as i64)])
}

/// (obj) -> the exception PyWeakref_GetRef/IsDead raise for it.
unsafe extern "C" fn weak_bad(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type G = unsafe extern "C" fn(*mut PyObject, *mut *mut PyObject) -> c_int;
    let mut out = 1 as *mut PyObject;
    let Some(get) = dl!(c"PyWeakref_GetRef" as G) else { return none() };
    let rc = get(arg(a, 0), &mut out);
    let e = PyErr_GetRaisedException();
    let t = tup(&[long(rc as i64), long(out.is_null() as i64), Py_NewRef(Py_TYPE(e).cast()), PyObject_Str(e)]);
    Py_DecRef(e);
    t
}

// ---- struct sequences ----------------------------------------------------------------

static mut FIELDS: [Field; 5] = [
    Field { name: c"alpha".as_ptr(), doc: c"first".as_ptr() },
    Field { name: c"beta".as_ptr(), doc: std::ptr::null() },
    Field { name: std::ptr::null(), doc: std::ptr::null() }, // set to PyStructSequence_UnnamedField
    Field { name: c"gamma".as_ptr(), doc: c"hidden".as_ptr() },
    Field { name: std::ptr::null(), doc: std::ptr::null() },
];
static mut DESC: Desc = Desc { name: c"capi_scalars.Rec".as_ptr(), doc: c"A record.".as_ptr(), fields: null_mut(), n_in_sequence: 3 };
static mut DESC2: Desc = Desc { name: c"capi_scalars.Static".as_ptr(), doc: std::ptr::null(), fields: null_mut(), n_in_sequence: 3 };
static mut STATIC_TYPE: std::mem::MaybeUninit<PyTypeObject> = std::mem::MaybeUninit::zeroed();
static mut STATIC_TYPE2: std::mem::MaybeUninit<PyTypeObject> = std::mem::MaybeUninit::zeroed();
static mut DESC3: Desc = Desc { name: c"capi_scalars.Void".as_ptr(), doc: std::ptr::null(), fields: null_mut(), n_in_sequence: 3 };

unsafe fn desc(d: *mut Desc) -> *mut Desc {
    FIELDS[2].name = c::PyStructSequence_UnnamedField;
    (*d).fields = FIELDS.as_mut_ptr();
    d
}

/// () -> a new struct-sequence type (alpha, beta, <unnamed> visible; gamma hidden).
/// (o) -> Py_REFCNT(o), read inline (the argument tuple's reference included).
unsafe extern "C" fn refcnt(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    long(Py_REFCNT(arg(a, 0)) as i64)
}

unsafe extern "C" fn ss_newtype(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    c::PyStructSequence_NewType(desc(&raw mut DESC)).cast()
}

/// () -> the static type filled by InitType2 (twice: the second fails).
unsafe extern "C" fn ss_static(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let t = STATIC_TYPE.as_mut_ptr();
    if (*t).tp_name.is_null() && c::PyStructSequence_InitType2(t, desc(&raw mut DESC2)) < 0 {
        return null_mut();
    }
    Py_NewRef(t.cast())
}

/// () -> the static type filled by PyStructSequence_InitType (void).
unsafe extern "C" fn ss_static_void(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let t = STATIC_TYPE2.as_mut_ptr();
    if (*t).tp_name.is_null() {
        c::PyStructSequence_InitType(t, desc(&raw mut DESC3));
        if !PyErr_Occurred().is_null() {
            return null_mut();
        }
    }
    Py_NewRef(t.cast())
}

/// (type, a, b, c, d) -> (instance, items read back with GetItem and PyTuple_GET_ITEM
/// before the instance is used, refcount delta of a stored value).
unsafe extern "C" fn ss_new(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let t = arg(a, 0).cast::<PyTypeObject>();
    let inst = c::PyStructSequence_New(t);
    if inst.is_null() {
        return null_mut();
    }
    let v1 = arg(a, 1);
    let before = Py_REFCNT(v1);
    for i in 0..4 {
        c::PyStructSequence_SetItem(inst, i, Py_NewRef(arg(a, i + 1)));
    }
    let stolen = Py_REFCNT(v1) - before; // 1: the reference we gave was stolen
    let g0 = c::PyStructSequence_GetItem(inst, 0);
    let g3 = c::PyStructSequence_GetItem(inst, 3);
    let t1 = PyTuple_GET_ITEM(inst, 1);
    let size = Py_SIZE(inst);
    tup(&[inst, Py_NewRef(g0), Py_NewRef(g3), Py_NewRef(t1), long(size as i64), long(stolen as i64)])
}

/// (instance, i) -> PyStructSequence_GetItem (borrowed) on an instance Python made.
unsafe extern "C" fn ss_get(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let x = c::PyStructSequence_GetItem(arg(a, 0), int(a, 1) as isize);
    if x.is_null() {
        return null_mut();
    }
    Py_NewRef(x)
}

// ---- contexts ----------------------------------------------------------------------

unsafe extern "C" fn ctx_new(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    match int(a, 0) {
        0 => c::PyContext_New(),
        1 => c::PyContext_CopyCurrent(),
        _ => c::PyContext_Copy(arg(a, 1)),
    }
}

/// (ctx, var) -> value of var seen inside ctx entered from C (or the exception on enter/exit).
unsafe extern "C" fn ctx_enter(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (ctx, var, twice) = (arg(a, 0), arg(a, 1), int(a, 2));
    if c::PyContext_Enter(ctx) < 0 {
        return null_mut();
    }
    if twice != 0 {
        let r = c::PyContext_Enter(ctx);
        let e = if r < 0 { PyErr_GetRaisedException() } else { null_mut() };
        c::PyContext_Exit(ctx);
        if e.is_null() {
            return none();
        }
        let t = tup(&[long(r as i64), Py_NewRef(Py_TYPE(e).cast()), PyObject_Str(e)]);
        Py_DecRef(e);
        return t;
    }
    let mut v = null_mut();
    let r = c::PyContextVar_Get(var, null_mut(), &mut v);
    let tok = c::PyContextVar_Set(var, PyUnicode_FromString(c"inside".as_ptr()));
    if tok.is_null() || c::PyContext_Exit(ctx) < 0 {
        return null_mut();
    }
    Py_DecRef(tok);
    tup(&[long(r as i64), or_none(v)])
}

/// (ctx) -> the exception PyContext_Exit raises for a context not entered.
unsafe extern "C" fn ctx_exit_bad(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let r = c::PyContext_Exit(arg(a, 0));
    let e = PyErr_GetRaisedException();
    let t = tup(&[long(r as i64), Py_NewRef(Py_TYPE(e).cast())]);
    Py_DecRef(e);
    t
}

unsafe extern "C" fn cvar_new(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyContextVar_New(s(a, 0), o(a, 1))
}

/// (var, default or None) -> (rc, value or None).
unsafe extern "C" fn cvar_get(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let mut v = 1 as *mut PyObject;
    let r = c::PyContextVar_Get(arg(a, 0), o(a, 1), &mut v);
    if r < 0 {
        return null_mut();
    }
    tup(&[long(r as i64), or_none(v)])
}

unsafe extern "C" fn cvar_set(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyContextVar_Set(arg(a, 0), arg(a, 1))
}

unsafe extern "C" fn cvar_reset(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    if c::PyContextVar_Reset(arg(a, 0), arg(a, 1)) < 0 {
        return null_mut();
    }
    none()
}

static mut EVENTS: Vec<(c_int, *mut PyObject)> = Vec::new();
unsafe extern "C" fn watcher(ev: c_int, ctx: *mut PyObject) -> c_int {
    EVENTS.push((ev, Py_NewRef(ctx)));
    0
}

/// (ctx[, f]) -> (watcher id, [(event, ctx) seen while entering and exiting
/// ctx, or while f() runs], clear rc, bad-clear exc).
unsafe extern "C" fn ctx_watch(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type A = unsafe extern "C" fn(unsafe extern "C" fn(c_int, *mut PyObject) -> c_int) -> c_int;
    type C = unsafe extern "C" fn(c_int) -> c_int;
    let (Some(add), Some(clear)) = (dl!(c"PyContext_AddWatcher" as A), dl!(c"PyContext_ClearWatcher" as C)) else { return none() };
    let id = add(watcher);
    if id < 0 {
        return null_mut();
    }
    let ctx = arg(a, 0);
    EVENTS.clear();
    if PyTuple_Size(a) > 1 {
        let r = PyObject_CallNoArgs(arg(a, 1));
        if r.is_null() {
            clear(id);
            return null_mut();
        }
        Py_DecRef(r);
    } else {
        c::PyContext_Enter(ctx);
        c::PyContext_Exit(ctx);
    }
    let l = PyList_New(0);
    for (ev, c) in EVENTS.drain(..) {
        let t = tup(&[long(ev as i64), c]);
        PyList_Append(l, t);
        Py_DecRef(t);
    }
    let rc = clear(id);
    let rc2 = clear(id);
    let e = PyErr_GetRaisedException();
    let t = tup(&[long(id as i64), l, long(rc as i64), long(rc2 as i64), Py_NewRef(Py_TYPE(e).cast()), PyObject_Str(e)]);
    Py_DecRef(e);
    t
}

// ---- errors and warnings -------------------------------------------------------------

/// (kind, category, message, filename, lineno, module, registry) -> rc of the warning call.
unsafe extern "C" fn warn_explicit(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (kind, cat, lineno, reg) = (int(a, 0), o(a, 1), int(a, 4) as c_int, o(a, 6));
    let r = match kind {
        0 => c::PyErr_WarnExplicit(cat, s(a, 2), s(a, 3), lineno, s(a, 5), reg),
        1 => c::PyErr_WarnExplicitObject(cat, arg(a, 2), arg(a, 3), lineno, o(a, 5), reg),
        _ => c::PyErr_WarnExplicitFormat(cat, s(a, 3), lineno, s(a, 5), reg, c"%s-%d".as_ptr(), s(a, 2), 42 as c_int),
    };
    if r < 0 {
        return null_mut();
    }
    long(r as i64)
}

/// (get, act, msg) -> (size, size): `PyList_GET_SIZE` of the list `get()`
/// returns, read inline before and after `act()` (or, if `act` is None, a
/// `PyErr_WarnEx(UserWarning, msg)`) let Python change it.
unsafe extern "C" fn list_size_around(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let l = PyObject_CallNoArgs(arg(a, 0));
    if l.is_null() {
        return null_mut();
    }
    let before = PyList_GET_SIZE(l);
    let act = arg(a, 1);
    let ok = if act == Py_None() {
        PyErr_WarnEx(PyExc_UserWarning, s(a, 2), 1) == 0
    } else {
        let r = PyObject_CallNoArgs(act);
        Py_XDECREF(r);
        !r.is_null()
    };
    let after = PyList_GET_SIZE(l);
    Py_DECREF(l);
    if !ok {
        return null_mut();
    }
    tup(&[long(before as i64), long(after as i64)])
}

/// (held, act, n) -> None: calls `act()` n times while holding `held`.
unsafe extern "C" fn call_n_holding(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (act, n) = (arg(a, 1), int(a, 2));
    for _ in 0..n {
        let r = PyObject_CallNoArgs(act);
        if r.is_null() {
            return null_mut();
        }
        Py_DECREF(r);
    }
    none()
}

unsafe extern "C" fn resource_warning(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    if c::PyErr_ResourceWarning(o(a, 0), 1, c"unclosed %s".as_ptr(), c"thing".as_ptr()) < 0 {
        return null_mut();
    }
    none()
}

/// (kind, exc, filename, lineno, col, end_lineno, end_col) -> exc after setting its location.
unsafe extern "C" fn syntax_location(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (kind, exc) = (int(a, 0), arg(a, 1));
    let (l, col, el, ec) = (int(a, 3) as c_int, int(a, 4) as c_int, int(a, 5) as c_int, int(a, 6) as c_int);
    PyErr_SetRaisedException(Py_NewRef(exc));
    match kind {
        0 => c::PyErr_SyntaxLocation(s(a, 2), l),
        1 => c::PyErr_SyntaxLocationEx(s(a, 2), l, col),
        2 => c::PyErr_SyntaxLocationObject(o(a, 2), l, col),
        _ => c::PyErr_RangedSyntaxLocationObject(o(a, 2), l, col, el, ec),
    }
    let e = PyErr_GetRaisedException();
    if e.is_null() { none() } else { e }
}

unsafe extern "C" fn program_text(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let l = int(a, 1) as c_int;
    let r = if int(a, 2) != 0 { c::PyErr_ProgramTextObject(o(a, 0), l) } else { c::PyErr_ProgramText(s(a, 0), l) };
    let err = !PyErr_Occurred().is_null();
    tup(&[or_none(r), long(err as i64)])
}

/// (exc class or None, msg, name, path) -> the exception set (NULL args for None).
unsafe extern "C" fn import_error(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let r = match o(a, 0) {
        None_ if None_.is_null() => c::PyErr_SetImportError(o(a, 1), o(a, 2), o(a, 3)),
        e => c::PyErr_SetImportErrorSubclass(e, o(a, 1), o(a, 2), o(a, 3)),
    };
    assert!(r.is_null());
    PyErr_GetRaisedException()
}

/// (exc, with_format) -> None after reporting exc through PyErr_FormatUnraisable.
unsafe extern "C" fn format_unraisable(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    type F = unsafe extern "C" fn(*const c_char, ...);
    let Some(f) = dl!(c"PyErr_FormatUnraisable" as F) else { return none() };
    PyErr_SetRaisedException(Py_NewRef(arg(a, 0)));
    if int(a, 1) != 0 {
        f(c"Exception ignored in %s #%d".as_ptr(), c"probe".as_ptr(), 7 as c_int);
    } else {
        f(std::ptr::null());
    }
    tup(&[long(!PyErr_Occurred().is_null() as i64)])
}

unsafe extern "C" fn prep_reraise_star(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyUnstable_Exc_PrepReraiseStar(o(a, 0), o(a, 1))
}

/// () -> (PyExc_InterpreterError, PyExc_InterpreterNotFoundError) or None.
unsafe extern "C" fn interp_errors(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let (e, n) = (c::dlsym(null_mut(), c"PyExc_InterpreterError".as_ptr()), c::dlsym(null_mut(), c"PyExc_InterpreterNotFoundError".as_ptr()));
    if e.is_null() || n.is_null() {
        return none();
    }
    tup(&[Py_NewRef(*e.cast::<*mut PyObject>()), Py_NewRef(*n.cast::<*mut PyObject>())])
}

// ---- files -------------------------------------------------------------------------

unsafe extern "C" fn file_from_fd(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyFile_FromFd(int(a, 0) as c_int, std::ptr::null(), s(a, 1), -1, s(a, 2), std::ptr::null(), std::ptr::null(), int(a, 3) as c_int)
}

unsafe extern "C" fn file_getline(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::PyFile_GetLine(arg(a, 0), int(a, 1) as c_int)
}

/// (kind, obj-or-str, file, flags) -> None after writing.
unsafe extern "C" fn file_write(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let r = if int(a, 0) == 0 { c::PyFile_WriteObject(arg(a, 1), o(a, 2), int(a, 3) as c_int) } else { c::PyFile_WriteString(s(a, 1), o(a, 2)) };
    if r < 0 {
        return null_mut();
    }
    none()
}

unsafe extern "C" fn open_code(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    if int(a, 1) != 0 { c::PyFile_OpenCodeObject(arg(a, 0)) } else { c::PyFile_OpenCode(s(a, 0)) }
}

/// (fd) -> (PyFile_NewStdPrinter(fd), &PyStdPrinter_Type).
unsafe extern "C" fn std_printer(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let p = c::PyFile_NewStdPrinter(int(a, 0) as c_int);
    if p.is_null() {
        return null_mut();
    }
    tup(&[p, Py_NewRef((&raw mut c::PyStdPrinter_Type).cast())])
}

static mut HOOK_CALLS: i64 = 0;
unsafe extern "C" fn open_hook(path: *mut PyObject, data: *mut c_void) -> *mut PyObject {
    HOOK_CALLS += 1;
    assert_eq!(data as usize, 0x5ca1);
    let io = PyImport_ImportModule(c"io".as_ptr());
    let open = PyObject_GetAttrString(io, c"open".as_ptr());
    let args = tup(&[Py_NewRef(path), PyUnicode_FromString(c"rb".as_ptr())]);
    let r = PyObject_Call(open, args, null_mut());
    Py_DecRef(args);
    Py_DecRef(open);
    Py_DecRef(io);
    r
}

/// () -> (first SetOpenCodeHook rc (0, or -1 if already set), a second one's rc and exception type).
unsafe extern "C" fn set_open_code_hook(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let first = if HOOK_CALLS < 0 { -1 } else { c::PyFile_SetOpenCodeHook(Some(open_hook), 0x5ca1 as *mut c_void) };
    if first < 0 {
        PyErr_Clear();
    }
    let second = c::PyFile_SetOpenCodeHook(Some(open_hook), 0x5ca1 as *mut c_void);
    let e = PyErr_GetRaisedException();
    let t = if e.is_null() { none() } else { Py_NewRef(Py_TYPE(e).cast()) };
    Py_XDECREF(e);
    tup(&[long(first as i64), long(second as i64), t])
}

unsafe extern "C" fn hook_calls(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    long(HOOK_CALLS)
}

/// The exception type and message of the pending error (cleared), or None.
unsafe fn exc_info() -> *mut PyObject {
    let e = PyErr_GetRaisedException();
    if e.is_null() {
        return none();
    }
    let t = tup(&[Py_NewRef(Py_TYPE(e).cast()), PyObject_Str(e)]);
    Py_DecRef(e);
    t
}

/// (obj) -> PyFloat_FromString(obj) or its exception.
unsafe extern "C" fn float_from_string(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let r = PyFloat_FromString(arg(a, 0));
    if r.is_null() { exc_info() } else { r }
}

/// () -> (PyBytes_FromString of non-UTF-8 bytes, PyByteArray_FromStringAndSize(NULL, -1)'s
/// exception, PyCapsule_Import of a non-capsule's exception).
unsafe extern "C" fn legacy_checks(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let b = PyBytes_FromString(c"\xff\xfeok".as_ptr());
    let ba = PyByteArray_FromStringAndSize(std::ptr::null(), -1);
    let ba = if ba.is_null() { exc_info() } else { ba };
    let cap = PyCapsule_Import(c"sys.path".as_ptr(), 0);
    let cap = if cap.is_null() { exc_info() } else { none() };
    tup(&[b, ba, cap])
}

unsafe extern "C" fn generic_alias(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    c::Py_GenericAlias(arg(a, 0), arg(a, 1))
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"float_pack", float_pack),
        meth!(c"float_unpack", float_unpack),
        meth!(c"infos", infos),
        meth!(c"voidptr", voidptr),
        meth!(c"long_sign", long_sign),
        meth!(c"compact", compact),
        meth!(c"is_checks", is_checks),
        meth!(c"hash_pointer", hash_pointer),
        meth!(c"hash_buffer", hash_buffer),
        meth!(c"bytes_format", bytes_format),
        meth!(c"decode_escape", decode_escape),
        meth!(c"bytes_repr", bytes_repr),
        meth!(c"bytes_join", bytes_join),
        meth!(c"bytes_from_object", bytes_from_object),
        meth!(c"bytes_concat", bytes_concat),
        meth!(c"bytearray_concat", bytearray_concat),
        meth!(c"bytearray_resize", bytearray_resize),
        meth!(c"capsule_new", capsule_new),
        meth!(c"capsule_info", capsule_info),
        meth!(c"destroyed", destroyed),
        meth!(c"module_add_type", module_add_type),
        meth!(c"module_filename", module_filename),
        meth!(c"weak_new", weak_new),
        meth!(c"weak_get", weak_get),
        meth!(c"weak_getobject", weak_getobject),
        meth!(c"weak_bad", weak_bad),
        meth!(c"refcnt", refcnt),
        meth!(c"ss_newtype", ss_newtype),
        meth!(c"ss_static", ss_static),
        meth!(c"ss_new", ss_new),
        meth!(c"ss_get", ss_get),
        meth!(c"ctx_new", ctx_new),
        meth!(c"ctx_enter", ctx_enter),
        meth!(c"ctx_exit_bad", ctx_exit_bad),
        meth!(c"cvar_new", cvar_new),
        meth!(c"cvar_get", cvar_get),
        meth!(c"cvar_set", cvar_set),
        meth!(c"cvar_reset", cvar_reset),
        meth!(c"ctx_watch", ctx_watch),
        meth!(c"warn_explicit", warn_explicit),
        meth!(c"resource_warning", resource_warning),
        meth!(c"list_size_around", list_size_around),
        meth!(c"call_n_holding", call_n_holding),
        meth!(c"syntax_location", syntax_location),
        meth!(c"program_text", program_text),
        meth!(c"import_error", import_error),
        meth!(c"format_unraisable", format_unraisable),
        meth!(c"prep_reraise_star", prep_reraise_star),
        meth!(c"interp_errors", interp_errors),
        meth!(c"file_from_fd", file_from_fd),
        meth!(c"file_getline", file_getline),
        meth!(c"file_write", file_write),
        meth!(c"open_code", open_code),
        meth!(c"std_printer", std_printer),
        meth!(c"generic_alias", generic_alias),
        meth!(c"float_from_string", float_from_string),
        meth!(c"legacy_checks", legacy_checks),
        meth!(c"set_open_code_hook", set_open_code_hook),
        meth!(c"hook_calls", hook_calls),
        meth!(c"ss_static_void", ss_static_void),
    ]
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_scalars".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_scalars() -> *mut PyObject {
    let _ = CStr::from_ptr(c"".as_ptr());
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
