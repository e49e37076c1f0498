//! The variadic C-API functions (`modsupport.h`: `Py_BuildValue`,
//! `PyArg_Parse*`; plus `PyErr_Format`, `PyUnicode_FromFormat`,
//! `PyObject_CallFunction`/`CallMethod[ObjArgs]`, `PyTuple_Pack`).
//!
//! Each exported symbol is defined here (so the binary and `libpyfacade.so`
//! both export it) and forwards its arguments as a `va_list` to a worker in
//! `csrc/varargs.c`, which walks the list in C.

use std::ffi::{VaList, c_char, c_int};

use crate::abi::{Py_ssize_t, PyObject};
use crate::bridge;

/// Declares the C worker and defines the exported variadic functions (`...`)
/// and `va_list` functions (`V`) that forward to it.
macro_rules! variadic {
    ($( $doc:literal [$($name:ident),*] [$($vname:ident),*] $params:tt -> $r:ty => $worker:ident; )*) => {
        $(
            variadic!(@worker $params -> $r => $worker);
            $( variadic!(@dots $doc $name $params -> $r => $worker); )*
            $( variadic!(@valist $doc $vname $params -> $r => $worker); )*
        )*
    };
    (@worker ($($p:ident : $t:ty),*) -> $r:ty => $worker:ident) => {
        unsafe extern "C" {
            fn $worker($($p: $t,)* va: VaList<'_>) -> $r;
        }
    };
    (@dots $doc:literal $name:ident ($($p:ident : $t:ty),*) -> $r:ty => $worker:ident) => {
        #[doc = $doc]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($p: $t,)* args: ...) -> $r {
            // SAFETY: the worker reads the arguments the format describes.
            unsafe { $worker($($p,)* args) }
        }
    };
    (@valist $doc:literal $name:ident ($($p:ident : $t:ty),*) -> $r:ty => $worker:ident) => {
        #[doc = $doc]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($p: $t,)* va: VaList<'_>) -> $r {
            // SAFETY: as above, for a caller's va_list.
            unsafe { $worker($($p,)* va) }
        }
    };
}

variadic! {
    "New reference to a str formatted with CPython's `%` codes."
    [PyUnicode_FromFormat] [PyUnicode_FromFormatV] (format: *const c_char) -> *mut PyObject => pf_unicode_from_format_v;
    "Sets `exception(formatted message)`; always returns NULL."
    [PyErr_Format] [PyErr_FormatV] (exception: *mut PyObject, format: *const c_char) -> *mut PyObject => pf_err_format_v;
    "Issues a warning with a formatted message."
    [PyErr_WarnFormat] [] (category: *mut PyObject, stack_level: Py_ssize_t, format: *const c_char) -> c_int => pf_err_warn_format_v;
    "New reference built from a `Py_BuildValue` format."
    [Py_BuildValue, _Py_BuildValue_SizeT] [Py_VaBuildValue, _Py_VaBuildValue_SizeT] (format: *const c_char) -> *mut PyObject => pf_build_value_v;
    "New tuple of `n` objects (borrowed arguments)."
    [PyTuple_Pack] [] (n: Py_ssize_t) -> *mut PyObject => pf_tuple_pack_v;
    "New reference to `callable(*Py_BuildValue(format, ...))`."
    [PyObject_CallFunction, _PyObject_CallFunction_SizeT] [] (callable: *mut PyObject, format: *const c_char) -> *mut PyObject => pf_call_function_v;
    "New reference to `obj.name(*Py_BuildValue(format, ...))`."
    [PyObject_CallMethod, _PyObject_CallMethod_SizeT] [] (obj: *mut PyObject, name: *const c_char, format: *const c_char) -> *mut PyObject => pf_call_method_v;
    "New reference to `callable(*args)` for a NULL-terminated list of objects."
    [PyObject_CallFunctionObjArgs] [] (callable: *mut PyObject) -> *mut PyObject => pf_call_function_objargs_v;
    "New reference to `obj.name(*args)` for a NULL-terminated list of objects."
    [PyObject_CallMethodObjArgs] [] (obj: *mut PyObject, name: *mut PyObject) -> *mut PyObject => pf_call_method_objargs_v;
    "Parses a positional-argument tuple; 1 on success, 0 with an exception."
    [PyArg_ParseTuple, _PyArg_ParseTuple_SizeT] [PyArg_VaParse, _PyArg_VaParse_SizeT] (args: *mut PyObject, format: *const c_char) -> c_int => pf_arg_parse_v;
    "Parses positional and keyword arguments; 1 on success, 0 with an exception."
    [PyArg_ParseTupleAndKeywords, _PyArg_ParseTupleAndKeywords_SizeT] [PyArg_VaParseTupleAndKeywords, _PyArg_VaParseTupleAndKeywords_SizeT] (args: *mut PyObject, kw: *mut PyObject, format: *const c_char, kwlist: *mut *mut c_char) -> c_int => pf_arg_parse_kw_v;
    "Parses a single object as if it were the only argument."
    [PyArg_Parse, _PyArg_Parse_SizeT] [] (arg: *mut PyObject, format: *const c_char) -> c_int => pf_arg_parse_single_v;
    "Unpacks `min..=max` borrowed objects from a tuple."
    [PyArg_UnpackTuple] [] (args: *mut PyObject, name: *const c_char, min: Py_ssize_t, max: Py_ssize_t) -> c_int => pf_arg_unpack_tuple_v;
}

/// Kind codes `_pyfacade_kind` reports to the C workers.
const K_OTHER: c_int = 0;
const K_STR: c_int = 1;
const K_BYTES: c_int = 2;
const K_TUPLE: c_int = 3;
const K_BYTEARRAY: c_int = 4;
const K_INT: c_int = 5;

/// The builtin kind of `o` (subclasses included), for the C workers, which
/// see no struct layouts. Never raises.
#[unsafe(no_mangle)]
pub extern "C" fn _pyfacade_kind(o: *mut PyObject) -> c_int {
    use rustpython_vm::builtins::{PyByteArray, PyBytes, PyInt, PyStr, PyTuple};
    if o.is_null() {
        return K_OTHER;
    }
    if bridge::builders::is_unrealised(o) {
        // SAFETY: a builder is a valid object whose type pointer is static.
        let ty = unsafe { (*o).ob_type };
        return if ty == crate::types::static_type!(PyTuple_Type) { K_TUPLE } else { K_OTHER };
    }
    crate::runtime::api_noerr("_pyfacade_kind", K_OTHER, |vm| {
        let Ok(obj) = bridge::to_rp(vm, o) else { return K_OTHER };
        if obj.downcast_ref::<PyStr>().is_some() {
            K_STR
        } else if obj.downcast_ref::<PyBytes>().is_some() {
            K_BYTES
        } else if obj.downcast_ref::<PyTuple>().is_some() {
            K_TUPLE
        } else if obj.downcast_ref::<PyByteArray>().is_some() {
            K_BYTEARRAY
        } else if obj.downcast_ref::<PyInt>().is_some() {
            K_INT
        } else {
            K_OTHER
        }
    })
}
