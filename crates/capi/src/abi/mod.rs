//! `#[repr(C)]` CPython 3.14 (x86_64, GIL build) structures and constants.
//!
//! Offsets are the byte-level contract listed in `shared/abi/layout-cp314.txt`
//! and `inline-struct-access.md`; `tests` below check every one of them.
#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

pub type Py_ssize_t = isize;
pub type Py_hash_t = isize;

#[repr(C)]
pub struct PyObject {
    pub ob_refcnt: Py_ssize_t,
    pub ob_type: *mut PyTypeObject,
}

#[repr(C)]
pub struct PyVarObject {
    pub ob_base: PyObject,
    pub ob_size: Py_ssize_t,
}

pub type unaryfunc = unsafe extern "C" fn(*mut PyObject) -> *mut PyObject;
pub type binaryfunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject;
pub type ternaryfunc =
    unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> *mut PyObject;
pub type inquiry = unsafe extern "C" fn(*mut PyObject) -> c_int;
pub type lenfunc = unsafe extern "C" fn(*mut PyObject) -> Py_ssize_t;
pub type ssizeargfunc = unsafe extern "C" fn(*mut PyObject, Py_ssize_t) -> *mut PyObject;
pub type ssizeobjargproc = unsafe extern "C" fn(*mut PyObject, Py_ssize_t, *mut PyObject) -> c_int;
pub type objobjargproc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> c_int;
pub type objobjproc = unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> c_int;
pub type destructor = unsafe extern "C" fn(*mut PyObject);
pub type reprfunc = unsafe extern "C" fn(*mut PyObject) -> *mut PyObject;
pub type hashfunc = unsafe extern "C" fn(*mut PyObject) -> Py_hash_t;
pub type richcmpfunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, c_int) -> *mut PyObject;
pub type getiterfunc = unsafe extern "C" fn(*mut PyObject) -> *mut PyObject;
pub type iternextfunc = unsafe extern "C" fn(*mut PyObject) -> *mut PyObject;
pub type getattrofunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject;
pub type setattrofunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> c_int;
pub type descrgetfunc =
    unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> *mut PyObject;
pub type descrsetfunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> c_int;
pub type initproc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> c_int;
pub type newfunc =
    unsafe extern "C" fn(*mut PyTypeObject, *mut PyObject, *mut PyObject) -> *mut PyObject;
pub type allocfunc = unsafe extern "C" fn(*mut PyTypeObject, Py_ssize_t) -> *mut PyObject;
pub type freefunc = unsafe extern "C" fn(*mut c_void);
pub type visitproc = unsafe extern "C" fn(*mut PyObject, *mut c_void) -> c_int;
pub type traverseproc = unsafe extern "C" fn(*mut PyObject, visitproc, *mut c_void) -> c_int;
pub type vectorcallfunc = unsafe extern "C" fn(
    *mut PyObject,
    *const *mut PyObject,
    usize,
    *mut PyObject,
) -> *mut PyObject;
pub type getbufferproc = unsafe extern "C" fn(*mut PyObject, *mut Py_buffer, c_int) -> c_int;
pub type releasebufferproc = unsafe extern "C" fn(*mut PyObject, *mut Py_buffer);
pub type sendfunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut *mut PyObject) -> c_int;

#[repr(C)]
pub struct PyNumberMethods {
    pub nb_add: Option<binaryfunc>,
    pub nb_subtract: Option<binaryfunc>,
    pub nb_multiply: Option<binaryfunc>,
    pub nb_remainder: Option<binaryfunc>,
    pub nb_divmod: Option<binaryfunc>,
    pub nb_power: Option<ternaryfunc>,
    pub nb_negative: Option<unaryfunc>,
    pub nb_positive: Option<unaryfunc>,
    pub nb_absolute: Option<unaryfunc>,
    pub nb_bool: Option<inquiry>,
    pub nb_invert: Option<unaryfunc>,
    pub nb_lshift: Option<binaryfunc>,
    pub nb_rshift: Option<binaryfunc>,
    pub nb_and: Option<binaryfunc>,
    pub nb_xor: Option<binaryfunc>,
    pub nb_or: Option<binaryfunc>,
    pub nb_int: Option<unaryfunc>,
    pub nb_reserved: *mut c_void,
    pub nb_float: Option<unaryfunc>,
    pub nb_inplace_add: Option<binaryfunc>,
    pub nb_inplace_subtract: Option<binaryfunc>,
    pub nb_inplace_multiply: Option<binaryfunc>,
    pub nb_inplace_remainder: Option<binaryfunc>,
    pub nb_inplace_power: Option<ternaryfunc>,
    pub nb_inplace_lshift: Option<binaryfunc>,
    pub nb_inplace_rshift: Option<binaryfunc>,
    pub nb_inplace_and: Option<binaryfunc>,
    pub nb_inplace_xor: Option<binaryfunc>,
    pub nb_inplace_or: Option<binaryfunc>,
    pub nb_floor_divide: Option<binaryfunc>,
    pub nb_true_divide: Option<binaryfunc>,
    pub nb_inplace_floor_divide: Option<binaryfunc>,
    pub nb_inplace_true_divide: Option<binaryfunc>,
    pub nb_index: Option<unaryfunc>,
    pub nb_matrix_multiply: Option<binaryfunc>,
    pub nb_inplace_matrix_multiply: Option<binaryfunc>,
}

#[repr(C)]
pub struct PySequenceMethods {
    pub sq_length: Option<lenfunc>,
    pub sq_concat: Option<binaryfunc>,
    pub sq_repeat: Option<ssizeargfunc>,
    pub sq_item: Option<ssizeargfunc>,
    pub was_sq_slice: *mut c_void,
    pub sq_ass_item: Option<ssizeobjargproc>,
    pub was_sq_ass_slice: *mut c_void,
    pub sq_contains: Option<objobjproc>,
    pub sq_inplace_concat: Option<binaryfunc>,
    pub sq_inplace_repeat: Option<ssizeargfunc>,
}

#[repr(C)]
pub struct PyMappingMethods {
    pub mp_length: Option<lenfunc>,
    pub mp_subscript: Option<binaryfunc>,
    pub mp_ass_subscript: Option<objobjargproc>,
}

#[repr(C)]
pub struct PyAsyncMethods {
    pub am_await: Option<unaryfunc>,
    pub am_aiter: Option<unaryfunc>,
    pub am_anext: Option<unaryfunc>,
    pub am_send: Option<sendfunc>,
}

#[repr(C)]
pub struct PyBufferProcs {
    pub bf_getbuffer: Option<getbufferproc>,
    pub bf_releasebuffer: Option<releasebufferproc>,
}

#[repr(C)]
pub struct PyTypeObject {
    pub ob_base: PyVarObject,
    pub tp_name: *const c_char,
    pub tp_basicsize: Py_ssize_t,
    pub tp_itemsize: Py_ssize_t,
    pub tp_dealloc: Option<destructor>,
    pub tp_vectorcall_offset: Py_ssize_t,
    pub tp_getattr: *mut c_void,
    pub tp_setattr: *mut c_void,
    pub tp_as_async: *mut PyAsyncMethods,
    pub tp_repr: Option<reprfunc>,
    pub tp_as_number: *mut PyNumberMethods,
    pub tp_as_sequence: *mut PySequenceMethods,
    pub tp_as_mapping: *mut PyMappingMethods,
    pub tp_hash: Option<hashfunc>,
    pub tp_call: Option<ternaryfunc>,
    pub tp_str: Option<reprfunc>,
    pub tp_getattro: Option<getattrofunc>,
    pub tp_setattro: Option<setattrofunc>,
    pub tp_as_buffer: *mut PyBufferProcs,
    pub tp_flags: c_ulong,
    pub tp_doc: *const c_char,
    pub tp_traverse: Option<traverseproc>,
    pub tp_clear: Option<inquiry>,
    pub tp_richcompare: Option<richcmpfunc>,
    pub tp_weaklistoffset: Py_ssize_t,
    pub tp_iter: Option<getiterfunc>,
    pub tp_iternext: Option<iternextfunc>,
    pub tp_methods: *mut PyMethodDef,
    pub tp_members: *mut c_void,
    pub tp_getset: *mut c_void,
    pub tp_base: *mut PyTypeObject,
    pub tp_dict: *mut PyObject,
    pub tp_descr_get: Option<descrgetfunc>,
    pub tp_descr_set: Option<descrsetfunc>,
    pub tp_dictoffset: Py_ssize_t,
    pub tp_init: Option<initproc>,
    pub tp_alloc: Option<allocfunc>,
    pub tp_new: Option<newfunc>,
    pub tp_free: Option<freefunc>,
    pub tp_is_gc: Option<inquiry>,
    pub tp_bases: *mut PyObject,
    pub tp_mro: *mut PyObject,
    pub tp_cache: *mut PyObject,
    pub tp_subclasses: *mut c_void,
    pub tp_weaklist: *mut PyObject,
    pub tp_del: Option<destructor>,
    pub tp_version_tag: c_uint,
    pub tp_finalize: Option<destructor>,
    pub tp_vectorcall: Option<vectorcallfunc>,
    pub tp_watched: u8,
    pub tp_versions_used: u16,
}

/// `PyHeapTypeObject`: a type object followed by its own slot tables.
#[repr(C)]
pub struct PyHeapTypeObject {
    pub ht_type: PyTypeObject,
    pub as_async: PyAsyncMethods,
    pub as_number: PyNumberMethods,
    pub as_mapping: PyMappingMethods,
    pub as_sequence: PySequenceMethods,
    pub as_buffer: PyBufferProcs,
    pub ht_name: *mut PyObject,
    pub ht_slots: *mut PyObject,
    pub ht_qualname: *mut PyObject,
    pub ht_cached_keys: *mut c_void,
    pub ht_module: *mut PyObject,
    pub _ht_tpname: *mut c_char,
    pub ht_token: *mut c_void,
    /// `_spec_cache` (3.14: getitem, getitem_version, init).
    pub _spec_cache: [*mut c_void; 3],
}

#[repr(C)]
pub struct PyTupleObject {
    pub ob_base: PyVarObject,
    pub ob_hash: Py_hash_t,
    pub ob_item: [*mut PyObject; 1],
}
/// Offset of `ob_item` in a tuple; the array is inline from here.
pub const TUPLE_ITEMS_OFFSET: usize = 32;

#[repr(C)]
pub struct PyListObject {
    pub ob_base: PyVarObject,
    pub ob_item: *mut *mut PyObject,
    pub allocated: Py_ssize_t,
}

#[repr(C)]
pub struct PyFloatObject {
    pub ob_base: PyObject,
    pub ob_fval: f64,
}

#[repr(C)]
pub struct PyComplexObject {
    pub ob_base: PyObject,
    pub real: f64,
    pub imag: f64,
}

#[repr(C)]
pub struct PyBytesObject {
    pub ob_base: PyVarObject,
    pub ob_shash: Py_hash_t,
    pub ob_sval: [c_char; 1],
}
pub const BYTES_SVAL_OFFSET: usize = 32;

#[repr(C)]
pub struct PyByteArrayObject {
    pub ob_base: PyVarObject,
    pub ob_alloc: Py_ssize_t,
    pub ob_bytes: *mut c_char,
    pub ob_start: *mut c_char,
    pub ob_exports: Py_ssize_t,
}

#[repr(C)]
pub struct PyASCIIObject {
    pub ob_base: PyObject,
    pub length: Py_ssize_t,
    pub hash: Py_hash_t,
    /// interned:2, kind:3, compact:1, ascii:1, statically_allocated:1
    pub state: u32,
    pub _pad: u32,
}

#[repr(C)]
pub struct PyCompactUnicodeObject {
    pub _base: PyASCIIObject,
    pub utf8_length: Py_ssize_t,
    pub utf8: *mut c_char,
}

pub const UNICODE_STATE_KIND_SHIFT: u32 = 2;
pub const UNICODE_STATE_COMPACT: u32 = 1 << 5;
pub const UNICODE_STATE_ASCII: u32 = 1 << 6;
pub const UNICODE_STATE_STATIC: u32 = 1 << 7;
pub const PyUnicode_1BYTE_KIND: u32 = 1;
pub const PyUnicode_2BYTE_KIND: u32 = 2;
pub const PyUnicode_4BYTE_KIND: u32 = 4;

/// `PyLongObject` header: `lv_tag` = ndigits << 3 | sign (0 +, 1 zero, 2 -).
#[repr(C)]
pub struct PyLongObject {
    pub ob_base: PyObject,
    pub lv_tag: usize,
    pub ob_digit: [u32; 1],
}
pub const LONG_DIGITS_OFFSET: usize = 24;
pub const PYLONG_SHIFT: u32 = 30;

#[repr(C)]
pub struct PyDictObject {
    pub ob_base: PyObject,
    pub ma_used: Py_ssize_t,
    pub _ma_watcher_tag: u64,
    pub ma_keys: *mut c_void,
    pub ma_values: *mut c_void,
}

#[repr(C)]
pub struct PySetObject {
    pub ob_base: PyObject,
    pub fill: Py_ssize_t,
    pub used: Py_ssize_t,
    pub mask: Py_ssize_t,
    pub table: *mut c_void,
    pub hash: Py_hash_t,
    pub finger: Py_ssize_t,
    pub smalltable: [[usize; 2]; 8],
    pub weakreflist: *mut PyObject,
}

#[repr(C)]
pub struct PyBaseExceptionObject {
    pub ob_base: PyObject,
    pub dict: *mut PyObject,
    pub args: *mut PyObject,
    pub notes: *mut PyObject,
    pub traceback: *mut PyObject,
    pub context: *mut PyObject,
    pub cause: *mut PyObject,
    pub suppress_context: u8,
}

/// `_PyErr_StackItem`: one entry of a thread's stack of handled exceptions.
#[repr(C)]
pub struct PyErrStackItem {
    pub exc_value: *mut PyObject,
    pub previous_item: *mut PyErrStackItem,
}

/// The head of CPython 3.14's `struct _ts` (`PyThreadState`), through the
/// fields compiled extensions read and write inline: Cython's fast thread
/// state (on by default for CPython) keeps the error indicator in
/// `current_exception` and the handled-exception stack at `exc_info`, and
/// reads `interp`. Offsets measured in cp314 Cython wheels (0x10, 0x70, 0x78).
#[repr(C)]
pub struct PyThreadStateHead {
    pub prev: *mut c_void,
    pub next: *mut c_void,
    pub interp: *mut c_void,
    /// eval_breaker, _status, recursion counters, tracing, current_frame,
    /// trace/profile functions and objects: CPython-internal, never read.
    pub _internal: [u8; 88],
    pub current_exception: *mut PyObject,
    pub exc_info: *mut PyErrStackItem,
}

#[repr(C)]
pub struct PyCFunctionObject {
    pub ob_base: PyObject,
    pub m_ml: *mut PyMethodDef,
    pub m_self: *mut PyObject,
    pub m_module: *mut PyObject,
    pub m_weakreflist: *mut PyObject,
    pub vectorcall: Option<vectorcallfunc>,
}

#[repr(C)]
pub struct PyMethodDef {
    pub ml_name: *const c_char,
    pub ml_meth: *mut c_void,
    pub ml_flags: c_int,
    pub ml_doc: *const c_char,
}

pub const METH_VARARGS: c_int = 0x0001;
pub const METH_KEYWORDS: c_int = 0x0002;
pub const METH_NOARGS: c_int = 0x0004;
pub const METH_O: c_int = 0x0008;
pub const METH_CLASS: c_int = 0x0010;
pub const METH_STATIC: c_int = 0x0020;
pub const METH_COEXIST: c_int = 0x0040;
pub const METH_FASTCALL: c_int = 0x0080;
pub const METH_METHOD: c_int = 0x0200;

#[repr(C)]
pub struct PyModuleDef_Base {
    pub ob_base: PyObject,
    pub m_init: Option<unsafe extern "C" fn() -> *mut PyObject>,
    pub m_index: Py_ssize_t,
    pub m_copy: *mut PyObject,
}

#[repr(C)]
pub struct PyModuleDef_Slot {
    pub slot: c_int,
    pub value: *mut c_void,
}
pub const Py_mod_create: c_int = 1;
pub const Py_mod_exec: c_int = 2;
pub const Py_mod_multiple_interpreters: c_int = 3;
pub const Py_mod_gil: c_int = 4;

#[repr(C)]
pub struct PyModuleDef {
    pub m_base: PyModuleDef_Base,
    pub m_name: *const c_char,
    pub m_doc: *const c_char,
    pub m_size: Py_ssize_t,
    pub m_methods: *mut PyMethodDef,
    pub m_slots: *mut PyModuleDef_Slot,
    pub m_traverse: Option<traverseproc>,
    pub m_clear: Option<inquiry>,
    pub m_free: Option<freefunc>,
}

#[repr(C)]
pub struct Py_buffer {
    pub buf: *mut c_void,
    pub obj: *mut PyObject,
    pub len: Py_ssize_t,
    pub itemsize: Py_ssize_t,
    pub readonly: c_int,
    pub ndim: c_int,
    pub format: *mut c_char,
    pub shape: *mut Py_ssize_t,
    pub strides: *mut Py_ssize_t,
    pub suboffsets: *mut Py_ssize_t,
    pub internal: *mut c_void,
}

// tp_flags
pub const Py_TPFLAGS_MANAGED_WEAKREF: c_ulong = 1 << 3;
pub const Py_TPFLAGS_MANAGED_DICT: c_ulong = 1 << 4;
pub const Py_TPFLAGS_SEQUENCE: c_ulong = 1 << 5;
pub const Py_TPFLAGS_MAPPING: c_ulong = 1 << 6;
pub const Py_TPFLAGS_DISALLOW_INSTANTIATION: c_ulong = 1 << 7;
pub const Py_TPFLAGS_IMMUTABLETYPE: c_ulong = 1 << 8;
pub const Py_TPFLAGS_HEAPTYPE: c_ulong = 1 << 9;
pub const Py_TPFLAGS_BASETYPE: c_ulong = 1 << 10;
pub const Py_TPFLAGS_HAVE_VECTORCALL: c_ulong = 1 << 11;
pub const Py_TPFLAGS_READY: c_ulong = 1 << 12;
pub const Py_TPFLAGS_READYING: c_ulong = 1 << 13;
pub const Py_TPFLAGS_HAVE_GC: c_ulong = 1 << 14;
pub const Py_TPFLAGS_METHOD_DESCRIPTOR: c_ulong = 1 << 17;
pub const Py_TPFLAGS_VALID_VERSION_TAG: c_ulong = 1 << 19;
pub const Py_TPFLAGS_IS_ABSTRACT: c_ulong = 1 << 20;
pub const Py_TPFLAGS_LONG_SUBCLASS: c_ulong = 1 << 24;
pub const Py_TPFLAGS_LIST_SUBCLASS: c_ulong = 1 << 25;
pub const Py_TPFLAGS_TUPLE_SUBCLASS: c_ulong = 1 << 26;
pub const Py_TPFLAGS_BYTES_SUBCLASS: c_ulong = 1 << 27;
pub const Py_TPFLAGS_UNICODE_SUBCLASS: c_ulong = 1 << 28;
pub const Py_TPFLAGS_DICT_SUBCLASS: c_ulong = 1 << 29;
pub const Py_TPFLAGS_BASE_EXC_SUBCLASS: c_ulong = 1 << 30;
pub const Py_TPFLAGS_TYPE_SUBCLASS: c_ulong = 1 << 31;
pub const Py_TPFLAGS_DEFAULT: c_ulong = 0;

/// Refcount of immortal objects (`_Py_IMMORTAL_INITIAL_REFCNT`, 64-bit).
pub const IMMORTAL_REFCNT: Py_ssize_t = 0xC000_0000;

// rich comparison ops
pub const Py_LT: c_int = 0;
pub const Py_LE: c_int = 1;
pub const Py_EQ: c_int = 2;
pub const Py_NE: c_int = 3;
pub const Py_GT: c_int = 4;
pub const Py_GE: c_int = 5;

/// `PY_VECTORCALL_ARGUMENTS_OFFSET`
pub const PY_VECTORCALL_ARGUMENTS_OFFSET: usize = 1 << (usize::BITS - 1);

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Every size and offset listed in shared/abi/layout-cp314.txt (pyo3-ffi 0.30, 3.14).
    #[test]
    fn layout_matches_cpython_314() {
        assert_eq!(size_of::<PyObject>(), 16);
        assert_eq!(offset_of!(PyObject, ob_type), 8);
        assert_eq!(size_of::<PyVarObject>(), 24);
        assert_eq!(offset_of!(PyVarObject, ob_size), 16);
        assert_eq!(size_of::<PyTypeObject>(), 416);
        let t = [
            (offset_of!(PyTypeObject, tp_name), 24),
            (offset_of!(PyTypeObject, tp_basicsize), 32),
            (offset_of!(PyTypeObject, tp_itemsize), 40),
            (offset_of!(PyTypeObject, tp_dealloc), 48),
            (offset_of!(PyTypeObject, tp_vectorcall_offset), 56),
            (offset_of!(PyTypeObject, tp_as_async), 80),
            (offset_of!(PyTypeObject, tp_repr), 88),
            (offset_of!(PyTypeObject, tp_as_number), 96),
            (offset_of!(PyTypeObject, tp_as_sequence), 104),
            (offset_of!(PyTypeObject, tp_as_mapping), 112),
            (offset_of!(PyTypeObject, tp_hash), 120),
            (offset_of!(PyTypeObject, tp_call), 128),
            (offset_of!(PyTypeObject, tp_str), 136),
            (offset_of!(PyTypeObject, tp_getattro), 144),
            (offset_of!(PyTypeObject, tp_setattro), 152),
            (offset_of!(PyTypeObject, tp_as_buffer), 160),
            (offset_of!(PyTypeObject, tp_flags), 168),
            (offset_of!(PyTypeObject, tp_doc), 176),
            (offset_of!(PyTypeObject, tp_traverse), 184),
            (offset_of!(PyTypeObject, tp_clear), 192),
            (offset_of!(PyTypeObject, tp_richcompare), 200),
            (offset_of!(PyTypeObject, tp_weaklistoffset), 208),
            (offset_of!(PyTypeObject, tp_iter), 216),
            (offset_of!(PyTypeObject, tp_iternext), 224),
            (offset_of!(PyTypeObject, tp_methods), 232),
            (offset_of!(PyTypeObject, tp_members), 240),
            (offset_of!(PyTypeObject, tp_getset), 248),
            (offset_of!(PyTypeObject, tp_base), 256),
            (offset_of!(PyTypeObject, tp_dict), 264),
            (offset_of!(PyTypeObject, tp_descr_get), 272),
            (offset_of!(PyTypeObject, tp_descr_set), 280),
            (offset_of!(PyTypeObject, tp_dictoffset), 288),
            (offset_of!(PyTypeObject, tp_init), 296),
            (offset_of!(PyTypeObject, tp_alloc), 304),
            (offset_of!(PyTypeObject, tp_new), 312),
            (offset_of!(PyTypeObject, tp_free), 320),
            (offset_of!(PyTypeObject, tp_is_gc), 328),
            (offset_of!(PyTypeObject, tp_bases), 336),
            (offset_of!(PyTypeObject, tp_mro), 344),
            (offset_of!(PyTypeObject, tp_cache), 352),
            (offset_of!(PyTypeObject, tp_subclasses), 360),
            (offset_of!(PyTypeObject, tp_weaklist), 368),
            (offset_of!(PyTypeObject, tp_del), 376),
            (offset_of!(PyTypeObject, tp_version_tag), 384),
            (offset_of!(PyTypeObject, tp_finalize), 392),
            (offset_of!(PyTypeObject, tp_vectorcall), 400),
            (offset_of!(PyTypeObject, tp_watched), 408),
            (offset_of!(PyTypeObject, tp_versions_used), 410),
        ];
        for (i, (got, want)) in t.iter().enumerate() {
            assert_eq!(got, want, "PyTypeObject field #{i}");
        }
        assert_eq!(size_of::<PyHeapTypeObject>(), 936);
        assert_eq!(offset_of!(PyHeapTypeObject, as_async), 416);
        assert_eq!(offset_of!(PyHeapTypeObject, as_number), 448);
        assert_eq!(offset_of!(PyHeapTypeObject, as_mapping), 736);
        assert_eq!(offset_of!(PyHeapTypeObject, as_sequence), 760);
        assert_eq!(offset_of!(PyHeapTypeObject, as_buffer), 840);
        assert_eq!(offset_of!(PyHeapTypeObject, ht_name), 856);
        assert_eq!(offset_of!(PyHeapTypeObject, ht_slots), 864);
        assert_eq!(offset_of!(PyHeapTypeObject, ht_qualname), 872);
        assert_eq!(offset_of!(PyHeapTypeObject, ht_cached_keys), 880);
        assert_eq!(offset_of!(PyHeapTypeObject, ht_module), 888);
        assert_eq!(offset_of!(PyHeapTypeObject, ht_token), 904);
        assert_eq!(size_of::<PyNumberMethods>(), 288);
        assert_eq!(offset_of!(PyNumberMethods, nb_bool), 72);
        assert_eq!(size_of::<PySequenceMethods>(), 80);
        assert_eq!(offset_of!(PySequenceMethods, sq_item), 24);
        assert_eq!(size_of::<PyMappingMethods>(), 24);
        assert_eq!(size_of::<PyAsyncMethods>(), 32);
        assert_eq!(size_of::<PyBufferProcs>(), 16);
        assert_eq!(size_of::<PyTupleObject>(), 40);
        assert_eq!(offset_of!(PyTupleObject, ob_hash), 24);
        assert_eq!(offset_of!(PyTupleObject, ob_item), TUPLE_ITEMS_OFFSET);
        assert_eq!(size_of::<PyListObject>(), 40);
        assert_eq!(offset_of!(PyListObject, ob_item), 24);
        assert_eq!(offset_of!(PyListObject, allocated), 32);
        assert_eq!(size_of::<PyFloatObject>(), 24);
        assert_eq!(offset_of!(PyFloatObject, ob_fval), 16);
        assert_eq!(size_of::<PyComplexObject>(), 32);
        assert_eq!(size_of::<PyBytesObject>(), 40);
        assert_eq!(offset_of!(PyBytesObject, ob_shash), 24);
        assert_eq!(offset_of!(PyBytesObject, ob_sval), BYTES_SVAL_OFFSET);
        assert_eq!(size_of::<PyByteArrayObject>(), 56);
        assert_eq!(offset_of!(PyByteArrayObject, ob_start), 40);
        assert_eq!(offset_of!(PyByteArrayObject, ob_exports), 48);
        assert_eq!(size_of::<PyASCIIObject>(), 40);
        assert_eq!(offset_of!(PyASCIIObject, length), 16);
        assert_eq!(offset_of!(PyASCIIObject, hash), 24);
        assert_eq!(offset_of!(PyASCIIObject, state), 32);
        assert_eq!(size_of::<PyCompactUnicodeObject>(), 56);
        assert_eq!(offset_of!(PyCompactUnicodeObject, utf8_length), 40);
        assert_eq!(offset_of!(PyCompactUnicodeObject, utf8), 48);
        assert_eq!(offset_of!(PyLongObject, ob_digit), LONG_DIGITS_OFFSET);
        assert_eq!(size_of::<PyDictObject>(), 48);
        assert_eq!(offset_of!(PyDictObject, ma_used), 16);
        assert_eq!(offset_of!(PyDictObject, ma_keys), 32);
        assert_eq!(offset_of!(PyDictObject, ma_values), 40);
        assert_eq!(size_of::<PySetObject>(), 200);
        assert_eq!(offset_of!(PySetObject, used), 24);
        assert_eq!(offset_of!(PySetObject, table), 40);
        assert_eq!(offset_of!(PySetObject, weakreflist), 192);
        assert_eq!(size_of::<PyBaseExceptionObject>(), 72);
        assert_eq!(offset_of!(PyBaseExceptionObject, args), 24);
        assert_eq!(offset_of!(PyBaseExceptionObject, cause), 56);
        assert_eq!(offset_of!(PyBaseExceptionObject, suppress_context), 64);
        assert_eq!(offset_of!(PyBaseExceptionObject, traceback), 40);
        assert_eq!(offset_of!(PyThreadStateHead, interp), 0x10);
        assert_eq!(offset_of!(PyThreadStateHead, current_exception), 0x70);
        assert_eq!(offset_of!(PyThreadStateHead, exc_info), 0x78);
        assert_eq!(size_of::<PyCFunctionObject>(), 56);
        assert_eq!(offset_of!(PyCFunctionObject, m_ml), 16);
        assert_eq!(offset_of!(PyCFunctionObject, m_self), 24);
        assert_eq!(offset_of!(PyCFunctionObject, m_module), 32);
        assert_eq!(size_of::<PyMethodDef>(), 32);
        assert_eq!(size_of::<PyModuleDef_Base>(), 40);
        assert_eq!(size_of::<PyModuleDef>(), 104);
        assert_eq!(offset_of!(PyModuleDef, m_name), 40);
        assert_eq!(offset_of!(PyModuleDef, m_size), 56);
        assert_eq!(offset_of!(PyModuleDef, m_methods), 64);
        assert_eq!(offset_of!(PyModuleDef, m_slots), 72);
        assert_eq!(size_of::<PyModuleDef_Slot>(), 16);
        assert_eq!(size_of::<Py_buffer>(), 80);
    }
}
