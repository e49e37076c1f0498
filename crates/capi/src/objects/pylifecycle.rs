//! `pylifecycle.h` / `patchlevel.h`: the interpreter's version.

use std::ffi::{CString, c_char, c_int};
use std::sync::OnceLock;

/// `PY_VERSION_HEX` of the CPython version the facade implements (3.14.0 final).
#[unsafe(no_mangle)]
pub static Py_Version: std::ffi::c_ulong = 0x030E_00F0;

static VERSION: OnceLock<CString> = OnceLock::new();

/// Records `sys.version` for `Py_GetVersion` (at install).
pub fn set_version(v: &str) {
    let _ = VERSION.set(CString::new(v).unwrap_or_default());
}

/// `sys.version` as a C string owned by the interpreter.
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetVersion() -> *const c_char {
    VERSION.get_or_init(|| CString::new("3.14.0 (pyfacade)").unwrap_or_default()).as_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn Py_IsInitialized() -> c_int {
    crate::is_installed() as c_int
}

#[unsafe(no_mangle)]
pub extern "C" fn Py_IsFinalizing() -> c_int {
    0
}
