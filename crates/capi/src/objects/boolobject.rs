//! `boolobject.h`.

use std::ffi::c_long;

use crate::abi::PyObject;
use crate::types::{_Py_FalseStruct, _Py_TrueStruct};

/// New reference to `True` or `False` (immortal).
#[unsafe(no_mangle)]
pub extern "C" fn PyBool_FromLong(v: c_long) -> *mut PyObject {
    if v != 0 { _Py_TrueStruct.get().cast() } else { _Py_FalseStruct.get().cast() }
}
