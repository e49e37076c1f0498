//! The exported C-API, one file per CPython header family.
#![allow(non_snake_case)]

pub mod abstract_;
pub mod boolobject;
pub mod bytesobject;
pub mod cellobject;
pub mod ceval;
pub mod ceval_gil;
pub mod classobject;
pub mod codecs;
pub mod codeobject;
pub mod compile;
pub mod complexobject;
pub mod context;
pub mod datetime;
pub mod descrobject;
pub mod dictobject;
pub mod fileobject;
pub mod fileutils;
pub mod floatobject;
pub mod frameobject;
pub mod funcobject;
pub mod gcmodule;
pub mod genericaliasobject;
pub mod genobject;
pub mod getbuildinfo;
pub mod import;
pub mod initconfig;
pub mod inittab;
pub mod intrcheck;
pub mod iterobject;
pub mod listobject;
pub mod lock;
pub mod longobject;
pub mod marshal;
pub mod methodobject;
pub mod modsupport;
pub mod moduleobject;
pub mod monitoring;
pub mod myreadline;
pub mod mysnprintf;
pub mod mystrtoul;
pub mod object;
pub mod odictobject;
pub mod perfmaps;
pub mod picklebufobject;
pub mod pybuffer;
pub mod pycapsule;
pub mod pyctype;
pub mod pydebug;
pub mod pyerrors;
pub mod pyfatal;
pub mod pyhash;
pub mod pylifecycle;
pub mod pymem;
pub mod pystate;
pub mod pystrtod;
pub mod pythonrun;
pub mod pythread;
pub mod pytime;
pub mod refcount;
pub mod setobject;
pub mod sliceobject;
pub mod structseq;
pub mod sysmodule;
pub mod traceback;
pub mod tracemalloc;
pub mod tupleobject;
pub mod typeobject;
pub mod unicodectype;
pub mod unicodeobject;
pub mod warnings;
pub mod weakrefobject;

use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{CStr, c_char};

use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, system_error};

/// Body of a C-API function returning a new reference.
pub(crate) fn new_ref(name: &str, f: impl FnOnce(&VirtualMachine) -> PyResult<PyObjectRef>) -> *mut PyObject {
    api(name, |vm| f(vm).map(|o| bridge::to_c_new(vm, o)))
}

/// Runs a RustPython operation that may execute Python code (`__getattr__`,
/// `__eq__`, `__hash__`, iterators, imports, calls) with the GIL released, as
/// CPython lets other threads run during Python code: a thread that waits
/// there for one that needs the GIL would otherwise deadlock. Containers C
/// holds may have changed afterwards, so a new refresh epoch starts and the
/// lists that recently crossed into C are brought up to date.
pub(crate) fn py<R>(vm: &VirtualMachine, f: impl FnOnce() -> R) -> R {
    let depth = crate::runtime::gil::save();
    let r = f();
    crate::runtime::gil::restore(Some(vm), depth);
    bridge::bump_epoch();
    bridge::recent::recheck(vm);
    r
}

/// The RustPython object behind a `PyObject*` argument.
pub(crate) fn rp(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    bridge::to_rp(vm, p)
}

/// A NUL-terminated UTF-8 C string argument.
pub(crate) fn cstr<'a>(vm: &VirtualMachine, s: *const c_char) -> PyResult<&'a str> {
    if s.is_null() {
        return Err(system_error(vm, "NULL string passed to a C-API function"));
    }
    // SAFETY: C passes a NUL-terminated string that outlives the call.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|e| vm.new_exception_msg(vm.ctx.exceptions.unicode_decode_error.to_owned(), format!("'utf-8' codec can't decode C string: {e}").into()))
}

/// `(const char*, size)` as bytes.
pub(crate) fn bytes_arg<'a>(vm: &VirtualMachine, s: *const c_char, n: isize) -> PyResult<&'a [u8]> {
    if n < 0 {
        return Err(system_error(vm, "Negative size passed to a C-API function"));
    }
    if s.is_null() {
        if n == 0 {
            return Ok(&[]);
        }
        return Err(system_error(vm, "NULL buffer passed to a C-API function"));
    }
    // SAFETY: C guarantees n readable bytes at s.
    Ok(unsafe { std::slice::from_raw_parts(s.cast::<u8>(), n as usize) })
}

/// `0`/`1` for a C boolean result.
pub(crate) fn cbool(b: bool) -> i32 {
    b as i32
}
