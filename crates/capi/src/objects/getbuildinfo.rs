//! `pylifecycle.h` build strings (`Py_GetBuildInfo`, `Py_GetCompiler`,
//! `Py_GetCopyright`, `Py_GetPlatform`), taken from the running
//! interpreter's `sys.version`/`sys.copyright`/`sys.platform` as CPython
//! builds `sys.version` from them; and `Py_PACK_[FULL_]VERSION`.

use std::ffi::{CString, c_char, c_int};
use std::sync::OnceLock;

fn sys_text(name: &'static str) -> Option<String> {
    rustpython_vm::vm::thread::try_with_current_vm(|vm| vm.sys_module.get_attr(name, vm).ok()?.str(vm).ok().map(|s| s.to_string()))
        .flatten()
}

fn cached(cell: &'static OnceLock<CString>, make: impl FnOnce() -> String) -> *const c_char {
    cell.get_or_init(|| CString::new(make()).unwrap_or_default()).as_ptr()
}

/// `sys.version` is "X.Y.Z (buildinfo) [compiler]".
fn version_part(open: char, close: char) -> Option<String> {
    let v = sys_text("version")?;
    let a = v.find(open)?;
    let b = a + v[a..].find(close)?;
    Some(v[a + 1..b].to_owned())
}

/// "branch:revision, date, time" — the parenthesised part of `sys.version`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetBuildInfo() -> *const c_char {
    static S: OnceLock<CString> = OnceLock::new();
    cached(&S, || version_part('(', ')').unwrap_or_default())
}

/// "[compiler]" — the bracketed part of `sys.version`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetCompiler() -> *const c_char {
    static S: OnceLock<CString> = OnceLock::new();
    cached(&S, || version_part('[', ']').map(|c| format!("[{c}]")).unwrap_or_default())
}

/// `sys.copyright`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetCopyright() -> *const c_char {
    static S: OnceLock<CString> = OnceLock::new();
    cached(&S, || sys_text("copyright").unwrap_or_default())
}

/// `sys.platform` ("linux").
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetPlatform() -> *const c_char {
    static S: OnceLock<CString> = OnceLock::new();
    cached(&S, || sys_text("platform").unwrap_or_else(|| "linux".to_owned()))
}

/// `PY_VERSION_HEX`-style number of `x.y.z`, release `level`, `serial`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_PACK_FULL_VERSION(x: c_int, y: c_int, z: c_int, level: c_int, serial: c_int) -> u32 {
    (((x & 0xff) as u32) << 24) | (((y & 0xff) as u32) << 16) | (((z & 0xff) as u32) << 8) | (((level & 0xf) as u32) << 4) | ((serial & 0xf) as u32)
}

/// `Py_PACK_FULL_VERSION(x, y, 0, 0, 0)`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_PACK_VERSION(x: c_int, y: c_int) -> u32 {
    Py_PACK_FULL_VERSION(x, y, 0, 0, 0)
}
