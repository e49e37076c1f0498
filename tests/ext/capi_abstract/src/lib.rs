//! Probes for the C-API family group 'abstract': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_abstract.py can compare pyfacade with CPython 3.13.
//!
//! Most functions are reached through `call(name, sig, *args)`: every symbol
//! under test is declared below with CPython's exact signature, and the
//! dispatcher calls it with the arguments `sig` describes, returning
//! `(result, out_params, exception, refcount_deltas)`. On x86-64 SysV every
//! integer/pointer argument is passed in a register, so a call through the
//! uniform `fn(usize, ...) -> usize` type is the call C makes.
//!
//! `sig` is `"R:ARGS"`. R: `O` new reference, `B` borrowed reference, `i`
//! int, `u` unsigned int, `n` Py_ssize_t, `p` pointer (as int), `v` void.
//! ARGS: `O` object (`NULL` sentinel for NULL), `s` str as UTF-8 (None:
//! NULL), `n`/`i`/`c` integer (`c`: one-character str), `P` raw pointer (int),
//! `&` an out `PyObject**` (reported as `UNTOUCHED` if not written).
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::{CStr, c_char, c_int, c_uint, c_ulong, c_void};
use std::ptr::null_mut;

type DictWatchCallback = unsafe extern "C" fn(c_int, *mut PyObject, *mut PyObject, *mut PyObject) -> c_int;
type TypeWatchCallback = unsafe extern "C" fn(*mut PyTypeObject) -> c_int;

mod c {
    use super::*;
    extern "C" {
        pub fn Py_IsNone(o: *mut PyObject) -> c_int;
        pub fn Py_IsTrue(o: *mut PyObject) -> c_int;
        pub fn Py_IsFalse(o: *mut PyObject) -> c_int;
        pub fn PyAIter_Check(o: *mut PyObject) -> c_int;
        pub fn PyArg_ValidateKeywordArguments(kw: *mut PyObject) -> c_int;
        pub fn PyBuffer_FillContiguousStrides(nd: c_int, shape: *mut Py_ssize_t, strides: *mut Py_ssize_t, itemsize: c_int, order: c_char);
        pub fn PyBuffer_FromContiguous(view: *const Py_buffer, buf: *const c_void, len: Py_ssize_t, fort: c_char) -> c_int;
        pub fn PyBuffer_SizeFromFormat(format: *const c_char) -> Py_ssize_t;
        pub fn PyCallIter_New(callable: *mut PyObject, sentinel: *mut PyObject) -> *mut PyObject;
        pub fn PyDict_AddWatcher(cb: DictWatchCallback) -> c_int;
        pub fn PyDict_ClearWatcher(id: c_int) -> c_int;
        pub fn PyDict_Watch(id: c_int, d: *mut PyObject) -> c_int;
        pub fn PyDict_Unwatch(id: c_int, d: *mut PyObject) -> c_int;
        pub fn PyDict_ContainsString(d: *mut PyObject, key: *const c_char) -> c_int;
        pub fn PyDict_MergeFromSeq2(d: *mut PyObject, seq2: *mut PyObject, override_: c_int) -> c_int;
        pub fn PyDict_Pop(d: *mut PyObject, key: *mut PyObject, result: *mut *mut PyObject) -> c_int;
        pub fn PyDict_PopString(d: *mut PyObject, key: *const c_char, result: *mut *mut PyObject) -> c_int;
        pub fn PyDict_SetDefault(d: *mut PyObject, key: *mut PyObject, default: *mut PyObject) -> *mut PyObject;
        pub fn PyDict_SetDefaultRef(d: *mut PyObject, key: *mut PyObject, default: *mut PyObject, result: *mut *mut PyObject) -> c_int;
        pub fn PyDict_SetItem(d: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int;
        pub fn PyDict_DelItem(d: *mut PyObject, key: *mut PyObject) -> c_int;
        pub fn PyDict_Clear(d: *mut PyObject);
        pub fn PyObject_SetItem(o: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int;
        pub fn PyObject_DelItem(o: *mut PyObject, key: *mut PyObject) -> c_int;
        pub fn PyDict_Merge(a: *mut PyObject, b: *mut PyObject, override_: c_int) -> c_int;
        pub fn PyIter_Send(iter: *mut PyObject, arg: *mut PyObject, presult: *mut *mut PyObject) -> c_int;
        pub fn PyList_Clear(l: *mut PyObject) -> c_int;
        pub fn PyList_Extend(l: *mut PyObject, iterable: *mut PyObject) -> c_int;
        pub fn PyList_SetSlice(l: *mut PyObject, low: Py_ssize_t, high: Py_ssize_t, v: *mut PyObject) -> c_int;
        pub fn PyList_GetItem(l: *mut PyObject, i: Py_ssize_t) -> *mut PyObject;
        pub fn PyList_Size(l: *mut PyObject) -> Py_ssize_t;
        pub fn PyMapping_GetItemString(o: *mut PyObject, key: *const c_char) -> *mut PyObject;
        pub fn PyMapping_GetOptionalItem(o: *mut PyObject, key: *mut PyObject, result: *mut *mut PyObject) -> c_int;
        pub fn PyMapping_GetOptionalItemString(o: *mut PyObject, key: *const c_char, result: *mut *mut PyObject) -> c_int;
        pub fn PyMapping_HasKey(o: *mut PyObject, key: *mut PyObject) -> c_int;
        pub fn PyMapping_HasKeyString(o: *mut PyObject, key: *const c_char) -> c_int;
        pub fn PyMapping_HasKeyStringWithError(o: *mut PyObject, key: *const c_char) -> c_int;
        pub fn PyMapping_HasKeyWithError(o: *mut PyObject, key: *mut PyObject) -> c_int;
        pub fn PyMapping_Length(o: *mut PyObject) -> Py_ssize_t;
        pub fn PyMapping_Size(o: *mut PyObject) -> Py_ssize_t;
        pub fn PySequence_Size(o: *mut PyObject) -> Py_ssize_t;
        pub fn PyMapping_SetItemString(o: *mut PyObject, key: *const c_char, v: *mut PyObject) -> c_int;
        pub fn PyMemoryView_FromBuffer(view: *const Py_buffer) -> *mut PyObject;
        pub fn PyMemoryView_GetContiguous(o: *mut PyObject, buffertype: c_int, order: c_char) -> *mut PyObject;
        pub fn PyNumber_InPlacePower(a: *mut PyObject, b: *mut PyObject, c: *mut PyObject) -> *mut PyObject;
        pub fn PyNumber_ToBase(n: *mut PyObject, base: c_int) -> *mut PyObject;
        pub fn PyODict_New() -> *mut PyObject;
        pub fn PyODict_SetItem(od: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int;
        pub fn PyODict_DelItem(od: *mut PyObject, key: *mut PyObject) -> c_int;
        pub fn PyObject_AsCharBuffer(o: *mut PyObject, buffer: *mut *const c_char, len: *mut Py_ssize_t) -> c_int;
        pub fn PyObject_AsReadBuffer(o: *mut PyObject, buffer: *mut *const c_void, len: *mut Py_ssize_t) -> c_int;
        pub fn PyObject_AsWriteBuffer(o: *mut PyObject, buffer: *mut *mut c_void, len: *mut Py_ssize_t) -> c_int;
        pub fn PyObject_CheckReadBuffer(o: *mut PyObject) -> c_int;
        pub fn PyObject_AsFileDescriptor(o: *mut PyObject) -> c_int;
        pub fn PyObject_CallFinalizer(o: *mut PyObject);
        pub fn PyObject_CallFinalizerFromDealloc(o: *mut PyObject) -> c_int;
        pub fn PyObject_ClearManagedDict(o: *mut PyObject);
        pub fn PyObject_VisitManagedDict(o: *mut PyObject, visit: visitproc, arg: *mut c_void) -> c_int;
        pub fn PyObject_CopyData(dest: *mut PyObject, src: *mut PyObject) -> c_int;
        pub fn PyObject_Dir(o: *mut PyObject) -> *mut PyObject;
        pub fn PyTraceBack_Print(tb: *mut PyObject, file: *mut PyObject) -> c_int;
        pub fn PyObject_DelAttrString(o: *mut PyObject, name: *const c_char) -> c_int;
        pub fn PyObject_DelItemString(o: *mut PyObject, key: *const c_char) -> c_int;
        pub fn PyObject_GET_WEAKREFS_LISTPTR(o: *mut PyObject) -> *mut *mut PyObject;
        pub fn PyObject_GenericHash(o: *mut PyObject) -> Py_hash_t;
        pub fn PyObject_GetAIter(o: *mut PyObject) -> *mut PyObject;
        pub fn PyObject_GetItemData(o: *mut PyObject) -> *mut c_void;
        pub fn PyObject_GetOptionalAttrString(o: *mut PyObject, name: *const c_char, result: *mut *mut PyObject) -> c_int;
        pub fn PyObject_HasAttrString(o: *mut PyObject, name: *const c_char) -> c_int;
        pub fn PyObject_HasAttrStringWithError(o: *mut PyObject, name: *const c_char) -> c_int;
        pub fn PyObject_IS_GC(o: *mut PyObject) -> c_int;
        pub fn PyObject_Print(o: *mut PyObject, fp: *mut c_void, flags: c_int) -> c_int;
        pub fn PyPickleBuffer_FromObject(o: *mut PyObject) -> *mut PyObject;
        pub fn PyPickleBuffer_GetBuffer(o: *mut PyObject) -> *const Py_buffer;
        pub fn PyPickleBuffer_Release(o: *mut PyObject) -> c_int;
        pub static mut PyPickleBuffer_Type: PyTypeObject;
        pub fn PySeqIter_New(seq: *mut PyObject) -> *mut PyObject;
        pub fn PySequence_Concat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject;
        pub fn PySequence_Count(o: *mut PyObject, v: *mut PyObject) -> Py_ssize_t;
        pub fn PySequence_DelItem(o: *mut PyObject, i: Py_ssize_t) -> c_int;
        pub fn PySequence_DelSlice(o: *mut PyObject, i1: Py_ssize_t, i2: Py_ssize_t) -> c_int;
        pub fn PySequence_Fast(o: *mut PyObject, m: *const c_char) -> *mut PyObject;
        pub fn PySequence_GetItem(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject;
        pub fn PySequence_In(o: *mut PyObject, v: *mut PyObject) -> c_int;
        pub fn PySequence_InPlaceConcat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject;
        pub fn PySequence_InPlaceRepeat(o: *mut PyObject, n: Py_ssize_t) -> *mut PyObject;
        pub fn PySequence_Index(o: *mut PyObject, v: *mut PyObject) -> Py_ssize_t;
        pub fn PySequence_Repeat(o: *mut PyObject, n: Py_ssize_t) -> *mut PyObject;
        pub fn PySequence_SetItem(o: *mut PyObject, i: Py_ssize_t, v: *mut PyObject) -> c_int;
        pub fn PySequence_SetSlice(o: *mut PyObject, i1: Py_ssize_t, i2: Py_ssize_t, v: *mut PyObject) -> c_int;
        pub fn PyType_AddWatcher(cb: TypeWatchCallback) -> c_int;
        pub fn PyType_ClearCache() -> c_uint;
        pub fn PyType_ClearWatcher(id: c_int) -> c_int;
        pub fn PyType_GetDict(t: *mut PyTypeObject) -> *mut PyObject;
        pub fn PyType_SUPPORTS_WEAKREFS(t: *mut PyTypeObject) -> c_int;
        pub fn PyType_Watch(id: c_int, t: *mut PyObject) -> c_int;
        pub fn PyType_Unwatch(id: c_int, t: *mut PyObject) -> c_int;
        pub fn PyType_Modified(t: *mut PyTypeObject);
        pub fn PyVectorcall_Call(callable: *mut PyObject, tuple: *mut PyObject, dict: *mut PyObject) -> *mut PyObject;
        pub fn Py_ReprEnter(o: *mut PyObject) -> c_int;
        pub fn Py_ReprLeave(o: *mut PyObject);
        pub fn fopen(path: *const c_char, mode: *const c_char) -> *mut c_void;
        pub fn fclose(f: *mut c_void) -> c_int;
    }
}

macro_rules! table {
    ($($f:ident),* $(,)?) => {
        fn lookup(name: &str) -> Option<usize> {
            match name { $(stringify!($f) => Some(c::$f as *const () as usize),)* _ => None }
        }
    };
}

table!(
    Py_IsNone, Py_IsTrue, Py_IsFalse, PyAIter_Check, PyArg_ValidateKeywordArguments, PyBuffer_SizeFromFormat,
    PyCallIter_New, PyDict_AddWatcher, PyDict_ClearWatcher, PyDict_Watch, PyDict_Unwatch, PyDict_ContainsString,
    PyDict_MergeFromSeq2, PyDict_Pop, PyDict_PopString, PyDict_SetDefault, PyDict_SetDefaultRef, PyDict_SetItem,
    PyDict_DelItem, PyDict_Clear, PyObject_SetItem, PyObject_DelItem, PyDict_Merge, PyIter_Send, PyList_Clear, PyList_Extend, PyList_SetSlice,
    PyList_GetItem, PyList_Size, PyMapping_GetItemString, PyMapping_GetOptionalItem, PyMapping_GetOptionalItemString,
    PyMapping_HasKey, PyMapping_HasKeyString, PyMapping_HasKeyStringWithError, PyMapping_HasKeyWithError,
    PyMapping_Length, PyMapping_Size, PySequence_Size, PyMapping_SetItemString, PyMemoryView_GetContiguous, PyNumber_InPlacePower, PyNumber_ToBase,
    PyODict_New, PyODict_SetItem, PyODict_DelItem, PyObject_CheckReadBuffer, PyObject_AsFileDescriptor,
    PyObject_CallFinalizer, PyObject_ClearManagedDict, PyObject_CopyData, PyObject_DelAttrString,
    PyObject_DelItemString, PyObject_GenericHash, PyObject_GetAIter, PyObject_GetItemData,
    PyObject_GetOptionalAttrString, PyObject_HasAttrString, PyObject_HasAttrStringWithError, PyObject_IS_GC,
    PyPickleBuffer_FromObject, PyPickleBuffer_Release, PySeqIter_New, PySequence_Concat, PySequence_Count,
    PySequence_DelItem, PySequence_DelSlice, PySequence_Fast, PySequence_GetItem, PySequence_In,
    PySequence_InPlaceConcat, PySequence_InPlaceRepeat, PySequence_Index, PySequence_Repeat, PySequence_SetItem,
    PySequence_SetSlice, PyType_AddWatcher, PyType_ClearCache, PyType_ClearWatcher, PyType_GetDict,
    PyType_SUPPORTS_WEAKREFS, PyType_Watch, PyType_Unwatch, PyType_Modified, PyVectorcall_Call, Py_ReprEnter,
    PyObject_CallFinalizerFromDealloc, PyObject_Dir, PyTraceBack_Print,
    Py_ReprLeave,
);

static mut NULL_SENTINEL: *mut PyObject = null_mut();
static mut UNTOUCHED: *mut PyObject = null_mut();
static mut LOG: *mut PyObject = null_mut();

unsafe fn arg(args: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    PyTuple_GetItem(args, i)
}

unsafe fn wrap_ptr(p: *mut PyObject, borrowed: bool) -> *mut PyObject {
    if p.is_null() {
        return Py_NewRef(NULL_SENTINEL);
    }
    if borrowed {
        Py_NewRef(p)
    } else {
        p
    }
}

/// call(name, sig, *args) -> (result, outs, exception or None, refcount deltas of object args)
unsafe extern "C" fn call(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let n = PyTuple_Size(args);
    let name = std::ffi::CStr::from_ptr(PyUnicode_AsUTF8(arg(args, 0))).to_str().unwrap().to_owned();
    let sig = std::ffi::CStr::from_ptr(PyUnicode_AsUTF8(arg(args, 1))).to_str().unwrap().to_owned();
    let Some(f) = lookup(&name) else {
        PyErr_SetString(PyExc_LookupError, c"no such probe symbol".as_ptr());
        return null_mut();
    };
    let (ret, params) = sig.split_once(':').unwrap();
    let params: Vec<char> = params.chars().collect();
    let mut raw: Vec<usize> = Vec::new();
    let mut outs: Vec<Box<*mut PyObject>> = Vec::new();
    let mut out_idx: Vec<usize> = Vec::new();
    let mut objs: Vec<*mut PyObject> = Vec::new();
    let mut j = 2;
    for k in &params {
        if *k == '&' {
            let b = Box::new(UNTOUCHED);
            out_idx.push(raw.len());
            raw.push(&*b as *const *mut PyObject as usize);
            outs.push(b);
            continue;
        }
        let a = arg(args, j);
        j += 1;
        let v = match k {
            'O' => {
                if a == NULL_SENTINEL {
                    0
                } else {
                    objs.push(a);
                    a as usize
                }
            }
            's' => {
                if a == Py_None() {
                    0
                } else {
                    PyUnicode_AsUTF8(a) as usize
                }
            }
            'y' => PyBytes_AsString(a) as usize,
            'c' => *PyUnicode_AsUTF8(a) as u8 as usize,
            'n' | 'i' | 'P' => PyLong_AsSsize_t(a) as usize,
            _ => panic!("bad sig"),
        };
        raw.push(v);
    }
    assert_eq!(j, n);
    let before: Vec<Py_ssize_t> = objs.iter().map(|&o| Py_REFCNT(o)).collect();
    let r = raw;
    let res: usize = match r.len() {
        0 => std::mem::transmute::<usize, extern "C" fn() -> usize>(f)(),
        1 => std::mem::transmute::<usize, extern "C" fn(usize) -> usize>(f)(r[0]),
        2 => std::mem::transmute::<usize, extern "C" fn(usize, usize) -> usize>(f)(r[0], r[1]),
        3 => std::mem::transmute::<usize, extern "C" fn(usize, usize, usize) -> usize>(f)(r[0], r[1], r[2]),
        4 => std::mem::transmute::<usize, extern "C" fn(usize, usize, usize, usize) -> usize>(f)(r[0], r[1], r[2], r[3]),
        _ => panic!("too many args"),
    };
    let deltas = PyTuple_New(objs.len() as Py_ssize_t);
    for (i, &o) in objs.iter().enumerate() {
        PyTuple_SetItem(deltas, i as Py_ssize_t, PyLong_FromSsize_t(Py_REFCNT(o) - before[i]));
    }
    let exc = PyErr_GetRaisedException();
    let exc = if exc.is_null() { Py_NewRef(Py_None()) } else { exc };
    let result = match ret {
        "O" => wrap_ptr(res as *mut PyObject, false),
        "B" => wrap_ptr(res as *mut PyObject, true),
        "i" => PyLong_FromLong(res as u32 as i32 as _),
        "u" => PyLong_FromUnsignedLong(res as u32 as _),
        "n" => PyLong_FromSsize_t(res as isize),
        "p" => PyLong_FromSize_t(res),
        "v" => Py_NewRef(Py_None()),
        _ => panic!("bad ret"),
    };
    let out_t = PyTuple_New(outs.len() as Py_ssize_t);
    for (i, b) in outs.iter().enumerate() {
        let p = **b;
        let v = if p == UNTOUCHED { Py_NewRef(UNTOUCHED) } else { wrap_ptr(p, false) };
        PyTuple_SetItem(out_t, i as Py_ssize_t, v);
    }
    let _ = out_idx;
    let t = PyTuple_New(4);
    PyTuple_SetItem(t, 0, result);
    PyTuple_SetItem(t, 1, out_t);
    PyTuple_SetItem(t, 2, exc);
    PyTuple_SetItem(t, 3, deltas);
    t
}

unsafe fn log(item: *mut PyObject) {
    PyList_Append(LOG, item);
    Py_DecRef(item);
}

unsafe fn or_none(p: *mut PyObject) -> *mut PyObject {
    if p.is_null() {
        Py_None()
    } else {
        p
    }
}

/// A dict watcher: logs (event, dict, key, value); fails (-1 with
/// ValueError) when the key is the string "fail".
unsafe extern "C" fn dict_cb(event: c_int, d: *mut PyObject, k: *mut PyObject, v: *mut PyObject) -> c_int {
    if !k.is_null() && PyUnicode_Check(k) != 0 && PyUnicode_CompareWithASCIIString(k, c"fail".as_ptr()) == 0 {
        PyErr_SetString(PyExc_ValueError, c"watcher failed".as_ptr());
        return -1;
    }
    log(Py_BuildValue(c"(iOOO)".as_ptr(), event, d, or_none(k), or_none(v)));
    0
}

unsafe extern "C" fn type_cb(t: *mut PyTypeObject) -> c_int {
    log(Py_BuildValue(c"(sO)".as_ptr(), c"type".as_ptr(), t));
    0
}

unsafe extern "C" fn addrs(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(nn)".as_ptr(), dict_cb as *const () as Py_ssize_t, type_cb as *const () as Py_ssize_t)
}

/// take_log() -> the events logged by the watchers since the last call.
unsafe extern "C" fn take_log(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let l = LOG;
    LOG = PyList_New(0);
    l
}

/// fill_strides(shape, itemsize, order) -> strides tuple
unsafe extern "C" fn fill_strides(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let shape_t = arg(args, 0);
    let nd = PyTuple_Size(shape_t);
    let mut shape: Vec<Py_ssize_t> = (0..nd).map(|i| PyLong_AsSsize_t(PyTuple_GetItem(shape_t, i))).collect();
    let mut strides = vec![-7; nd as usize];
    let order = *PyUnicode_AsUTF8(arg(args, 2));
    c::PyBuffer_FillContiguousStrides(nd as c_int, shape.as_mut_ptr(), strides.as_mut_ptr(), PyLong_AsLong(arg(args, 1)) as c_int, order);
    let t = PyTuple_New(nd);
    for (i, s) in strides.iter().enumerate() {
        PyTuple_SetItem(t, i as Py_ssize_t, PyLong_FromSsize_t(*s));
    }
    t
}

/// from_contiguous(obj, data, order, flags) -> int (writes data into obj's buffer)
unsafe extern "C" fn from_contiguous(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let mut view: Py_buffer = std::mem::zeroed();
    if PyObject_GetBuffer(arg(args, 0), &mut view, PyLong_AsLong(arg(args, 3)) as c_int) < 0 {
        return null_mut();
    }
    let data = arg(args, 1);
    let r = c::PyBuffer_FromContiguous(&view, PyBytes_AsString(data).cast(), PyBytes_Size(data), *PyUnicode_AsUTF8(arg(args, 2)));
    PyBuffer_Release(&mut view);
    if r < 0 {
        return null_mut();
    }
    PyLong_FromLong(r as _)
}

static mut SHORTS: [i16; 6] = [1, 2, 3, 4, 5, 6];
static mut SHAPE: [Py_ssize_t; 2] = [2, 3];
static mut STRIDES: [Py_ssize_t; 2] = [6, 2];

/// mv_from_buffer(null_buf) -> memoryview over a static 2x3 array of 'h' (writable)
unsafe extern "C" fn mv_from_buffer(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let mut view: Py_buffer = std::mem::zeroed();
    view.buf = if PyObject_IsTrue(arg(args, 0)) != 0 { null_mut() } else { SHORTS.as_mut_ptr().cast() };
    view.len = 12;
    view.itemsize = 2;
    view.readonly = 0;
    view.ndim = 2;
    view.format = c"h".as_ptr() as *mut c_char;
    view.shape = SHAPE.as_mut_ptr();
    view.strides = STRIDES.as_mut_ptr();
    c::PyMemoryView_FromBuffer(&view)
}

/// shorts() -> the static array behind mv_from_buffer
unsafe extern "C" fn shorts(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let t = PyTuple_New(6);
    for i in 0..6 {
        PyTuple_SetItem(t, i, PyLong_FromLong(SHORTS[i as usize] as _));
    }
    t
}

/// old_buffer(kind, obj) -> bytes seen through the old buffer API ('c', 'r', 'w');
/// 'w' also writes b'!' at offset 0.
unsafe extern "C" fn old_buffer(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let kind = *PyUnicode_AsUTF8(arg(args, 0)) as u8;
    let o = arg(args, 1);
    let mut p: *const c_void = null_mut();
    let mut n: Py_ssize_t = -5;
    let before = Py_REFCNT(o);
    let r = match kind {
        b'c' => c::PyObject_AsCharBuffer(o, (&mut p as *mut *const c_void).cast(), &mut n),
        b'r' => c::PyObject_AsReadBuffer(o, &mut p, &mut n),
        _ => c::PyObject_AsWriteBuffer(o, (&mut p as *mut *const c_void).cast(), &mut n),
    };
    if r < 0 {
        return null_mut();
    }
    if kind == b'w' && n > 0 {
        *(p as *mut u8) = b'!';
    }
    Py_BuildValue(c"(y#n)".as_ptr(), p as *const c_char, n, Py_REFCNT(o) - before)
}

/// print_to(obj, path, flags) -> PyObject_Print's result (the file is closed)
unsafe extern "C" fn print_to(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let fp = c::fopen(PyUnicode_AsUTF8(arg(args, 1)), c"w".as_ptr());
    let o = arg(args, 0);
    let o = if o == NULL_SENTINEL { null_mut() } else { o };
    let r = c::PyObject_Print(o, fp, PyLong_AsLong(arg(args, 2)) as c_int);
    c::fclose(fp);
    if r < 0 {
        return null_mut();
    }
    PyLong_FromLong(r as _)
}

/// pickle_view(pb) -> (bytes, readonly, ndim, itemsize, format) of PyPickleBuffer_GetBuffer
unsafe extern "C" fn pickle_view(_m: *mut PyObject, pb: *mut PyObject) -> *mut PyObject {
    let v = c::PyPickleBuffer_GetBuffer(pb);
    if v.is_null() {
        return null_mut();
    }
    let v = &*v;
    let fmt = if v.format.is_null() { c"B".as_ptr() } else { v.format as *const c_char };
    Py_BuildValue(c"(y#iins)".as_ptr(), v.buf as *const c_char, v.len, v.readonly, v.ndim, v.itemsize, fmt)
}

/// pickle_type() -> PyPickleBuffer_Type
unsafe extern "C" fn pickle_type(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_NewRef((&raw mut c::PyPickleBuffer_Type).cast())
}

static mut VISITED: *mut PyObject = null_mut();
unsafe extern "C" fn record_visit(o: *mut PyObject, _arg: *mut c_void) -> c_int {
    VISITED = o;
    7
}

/// visit_dict(o) -> (result, the object visited or None)
unsafe extern "C" fn visit_dict(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    VISITED = null_mut();
    let r = c::PyObject_VisitManagedDict(o, record_visit, null_mut());
    Py_BuildValue(c"(iO)".as_ptr(), r, or_none(VISITED))
}

/// weaklist_is_null(o) -> whether *PyObject_GET_WEAKREFS_LISTPTR(o) is NULL
unsafe extern "C" fn weaklist(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let p = c::PyObject_GET_WEAKREFS_LISTPTR(o);
    PyBool_FromLong((p.is_null() || (*p).is_null()) as _)
}

/// type_ptr(obj) -> the PyTypeObject* of obj as an int (for 'P' arguments)
unsafe extern "C" fn type_addr(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    PyLong_FromSize_t(o as usize)
}

/// repr_guard(o) -> (enter, enter again, enter after leave)
unsafe extern "C" fn repr_guard(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let a = c::Py_ReprEnter(o);
    let b = c::Py_ReprEnter(o);
    let r = PyObject_Repr(o);
    c::Py_ReprLeave(o);
    let c2 = c::Py_ReprEnter(o);
    c::Py_ReprLeave(o);
    if r.is_null() {
        return null_mut();
    }
    Py_BuildValue(c"(iiNi)".as_ptr(), a, b, r, c2)
}

/// grow(list, n, how) -> len: n calls adding one item at the end with
/// PyList_Extend ('e') or PyList_SetSlice ('s'), or n calls of
/// PyDict_MergeFromSeq2 with one pair ('d', on a dict).
unsafe extern "C" fn grow(_m: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    let o = arg(args, 0);
    let n = PyLong_AsSsize_t(arg(args, 1));
    let how = *PyUnicode_AsUTF8(arg(args, 2)) as u8;
    for i in 0..n {
        let x = PyLong_FromSsize_t(i);
        let r = match how {
            b'e' => {
                let t = PyTuple_Pack(1, x);
                let r = c::PyList_Extend(o, t);
                Py_DecRef(t);
                r
            }
            b's' => {
                let t = PyTuple_Pack(1, x);
                let len = c::PyList_Size(o);
                let r = c::PyList_SetSlice(o, len, len, t);
                Py_DecRef(t);
                r
            }
            _ => {
                let pair = PyTuple_Pack(2, x, x);
                let seq = PyTuple_Pack(1, pair);
                let r = c::PyDict_MergeFromSeq2(o, seq, 1);
                Py_DecRef(seq);
                Py_DecRef(pair);
                r
            }
        };
        Py_DecRef(x);
        if r < 0 {
            return null_mut();
        }
    }
    PyLong_FromSsize_t(PyObject_Size(o))
}

static mut RESURRECTED: *mut PyObject = null_mut();
static mut RESURRECT: bool = false;

/// tp_finalize of Fin: logs "fin"; resurrects the object when asked.
unsafe extern "C" fn fin_finalize(o: *mut PyObject) {
    log(PyUnicode_FromString(c"fin".as_ptr()));
    if RESURRECT {
        RESURRECT = false;
        RESURRECTED = Py_NewRef(o);
    }
}

/// tp_dealloc of Fin: runs the finaliser through PyObject_CallFinalizerFromDealloc.
unsafe extern "C" fn fin_dealloc(o: *mut PyObject) {
    let r = c::PyObject_CallFinalizerFromDealloc(o);
    log(Py_BuildValue(c"(si)".as_ptr(), c"dealloc".as_ptr(), r));
    if r < 0 {
        return;
    }
    let tp = Py_TYPE(o);
    PyObject_Free(o.cast());
    Py_DecRef(tp.cast());
}

/// fin_type() -> a heap type whose tp_dealloc uses PyObject_CallFinalizerFromDealloc
unsafe extern "C" fn fin_type(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    spec_type(c"capi_abstract.Fin", Py_TPFLAGS_DEFAULT, vec![
        PyType_Slot { slot: Py_tp_finalize, pfunc: fin_finalize as *mut c_void },
        PyType_Slot { slot: Py_tp_dealloc, pfunc: fin_dealloc as *mut c_void },
    ])
}

/// A heap type of plain `PyObject` instances from `slots` (the terminating
/// slot is added).
unsafe fn spec_type(name: &CStr, flags: c_ulong, mut slots: Vec<PyType_Slot>) -> *mut PyObject {
    slots.push(PyType_Slot { slot: 0, pfunc: null_mut() });
    let mut spec = PyType_Spec {
        name: name.as_ptr(),
        basicsize: std::mem::size_of::<PyObject>() as c_int,
        itemsize: 0,
        flags: flags as _,
        slots: slots.as_mut_ptr(),
    };
    PyType_FromSpec(&mut spec)
}

/// tp_traverse / tp_clear / tp_dealloc of Managed (a GC type with a managed
/// dict), written as CPython's docs prescribe: the dealloc clears the
/// managed dict of the object being freed.
unsafe extern "C" fn managed_traverse(o: *mut PyObject, visit: visitproc, arg: *mut c_void) -> c_int {
    c::PyObject_VisitManagedDict(o, visit, arg)
}

unsafe extern "C" fn managed_clear(o: *mut PyObject) -> c_int {
    c::PyObject_ClearManagedDict(o);
    0
}

unsafe extern "C" fn managed_dealloc(o: *mut PyObject) {
    let tp = Py_TYPE(o);
    PyObject_GC_UnTrack(o.cast());
    c::PyObject_ClearManagedDict(o);
    log(PyUnicode_FromString(c"managed dealloc".as_ptr()));
    PyObject_GC_Del(o.cast());
    Py_DecRef(tp.cast());
}

/// managed_type() -> a heap GC type with Py_TPFLAGS_MANAGED_DICT whose
/// tp_dealloc calls PyObject_ClearManagedDict on itself
unsafe extern "C" fn managed_type(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    // A spec type gets no `__dict__` attribute by itself (CPython adds it for classes only).
    let getset = Box::leak(Box::new([
        PyGetSetDef { name: c"__dict__".as_ptr(), get: Some(PyObject_GenericGetDict), set: Some(PyObject_GenericSetDict), doc: null_mut(), closure: null_mut() },
        PyGetSetDef { name: null_mut(), get: None, set: None, doc: null_mut(), closure: null_mut() },
    ]));
    spec_type(c"capi_abstract.Managed", Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_BASETYPE, vec![
        PyType_Slot { slot: Py_tp_getset, pfunc: getset.as_mut_ptr().cast() },
        PyType_Slot { slot: Py_tp_traverse, pfunc: managed_traverse as *mut c_void },
        PyType_Slot { slot: Py_tp_clear, pfunc: managed_clear as *mut c_void },
        PyType_Slot { slot: Py_tp_dealloc, pfunc: managed_dealloc as *mut c_void },
    ])
}

/// resurrect_next(flag) / take_resurrected() -> the resurrected object (or None)
unsafe extern "C" fn resurrect_next(_m: *mut PyObject, flag: *mut PyObject) -> *mut PyObject {
    RESURRECT = PyObject_IsTrue(flag) != 0;
    Py_NewRef(Py_None())
}

unsafe extern "C" fn take_resurrected(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let r = RESURRECTED;
    RESURRECTED = null_mut();
    if r.is_null() {
        Py_NewRef(Py_None())
    } else {
        r
    }
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

/// METH_NOARGS: True (the module loaded).
unsafe extern "C" fn ping(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_NewRef(Py_True())
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"ping", ping, PyCFunction, METH_NOARGS),
        meth!(c"call", call, PyCFunction, METH_VARARGS),
        meth!(c"addrs", addrs, PyCFunction, METH_NOARGS),
        meth!(c"take_log", take_log, PyCFunction, METH_NOARGS),
        meth!(c"fill_strides", fill_strides, PyCFunction, METH_VARARGS),
        meth!(c"from_contiguous", from_contiguous, PyCFunction, METH_VARARGS),
        meth!(c"mv_from_buffer", mv_from_buffer, PyCFunction, METH_VARARGS),
        meth!(c"shorts", shorts, PyCFunction, METH_NOARGS),
        meth!(c"old_buffer", old_buffer, PyCFunction, METH_VARARGS),
        meth!(c"print_to", print_to, PyCFunction, METH_VARARGS),
        meth!(c"pickle_view", pickle_view, PyCFunction, METH_O),
        meth!(c"pickle_type", pickle_type, PyCFunction, METH_NOARGS),
        meth!(c"visit_dict", visit_dict, PyCFunction, METH_O),
        meth!(c"weaklist_is_null", weaklist, PyCFunction, METH_O),
        meth!(c"addr", type_addr, PyCFunction, METH_O),
        meth!(c"repr_guard", repr_guard, PyCFunction, METH_O),
        meth!(c"grow", grow, PyCFunction, METH_VARARGS),
        meth!(c"fin_type", fin_type, PyCFunction, METH_NOARGS),
        meth!(c"managed_type", managed_type, PyCFunction, METH_NOARGS),
        meth!(c"resurrect_next", resurrect_next, PyCFunction, METH_O),
        meth!(c"take_resurrected", take_resurrected, PyCFunction, METH_NOARGS),
    ]
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_abstract".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_abstract() -> *mut PyObject {
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    let module = PyModule_Create(&raw mut MODULE);
    if module.is_null() {
        return null_mut();
    }
    let builtins = PyEval_GetBuiltins();
    let object = PyDict_GetItemString(builtins, c"object".as_ptr());
    NULL_SENTINEL = PyObject_CallNoArgs(object);
    UNTOUCHED = PyObject_CallNoArgs(object);
    LOG = PyList_New(0);
    PyModule_AddObjectRef(module, c"NULL".as_ptr(), NULL_SENTINEL);
    PyModule_AddObjectRef(module, c"UNTOUCHED".as_ptr(), UNTOUCHED);
    module
}
