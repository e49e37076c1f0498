//! Probes for the C-API family group 'abstract': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_abstract.py can compare pyfacade with CPython 3.13.
//! Functions CPython declares but pyo3-ffi 0.30 does not are declared in
//! the `extern "C"` block below.
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ptr::null_mut;

extern "C" {}

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
    PyModule_Create(&raw mut MODULE)
}
