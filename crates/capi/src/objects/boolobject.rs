//! `boolobject.h`.

use std::ffi::c_long;

use crate::abi::PyObject;
use crate::types::{_Py_FalseStruct, _Py_TrueStruct};

/// New reference to `True` or `False` (immortal).
#[unsafe(no_mangle)]
pub extern "C" fn PyBool_FromLong(v: c_long) -> *mut PyObject {
    if v != 0 { _Py_TrueStruct.get().cast() } else { _Py_FalseStruct.get().cast() }
}

/// `Py_IsTrue(x)`: 1 if `x` is the `True` singleton (identity, no truth test).
#[unsafe(no_mangle)]
pub extern "C" fn Py_IsTrue(x: *mut PyObject) -> std::ffi::c_int {
    (x == _Py_TrueStruct.get().cast()) as std::ffi::c_int
}

/// `Py_IsFalse(x)`: 1 if `x` is the `False` singleton.
#[unsafe(no_mangle)]
pub extern "C" fn Py_IsFalse(x: *mut PyObject) -> std::ffi::c_int {
    (x == _Py_FalseStruct.get().cast()) as std::ffi::c_int
}

/// `Py_IsNone(x)`: 1 if `x` is `None`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_IsNone(x: *mut PyObject) -> std::ffi::c_int {
    (x == crate::types::_Py_NoneStruct.get()) as std::ffi::c_int
}
