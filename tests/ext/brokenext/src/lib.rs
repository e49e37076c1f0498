//! Imports `PyFacade_NoSuchSymbol`, which neither CPython nor pyfacade
//! exports; with BIND_NOW the dlopen itself must fail.
use std::ffi::c_void;

extern "C" {
    fn PyFacade_NoSuchSymbol() -> *mut c_void;
}

#[no_mangle]
pub unsafe extern "C" fn PyInit_brokenext() -> *mut c_void {
    PyFacade_NoSuchSymbol()
}
