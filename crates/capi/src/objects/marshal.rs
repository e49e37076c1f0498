//! `marshal.h`: `PyMarshal_*`, through RustPython's `marshal` module.
//!
//! The data format is RustPython's: for plain data (None, bool, int, float,
//! complex, str, bytes, tuple, list, dict, set, frozenset) it is CPython's
//! marshal format, but code objects hold RustPython bytecode, so marshalled
//! code is not interchangeable with CPython's. What the C-API writes,
//! Python's `marshal.loads` reads, and vice versa.

use rustpython_vm::builtins::PyBytes;
use rustpython_vm::{PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_long};

use super::{bytes_arg, new_ref, py, rp};
use crate::abi::{PyObject, Py_ssize_t};
use crate::runtime::{api, api_noerr};

/// The `marshal` module.
fn marshal(vm: &VirtualMachine) -> PyResult {
    py(vm, || vm.import("marshal", 0))
}

/// New reference to the bytes of `marshal.dumps(x, version)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_WriteObjectToString(x: *mut PyObject, version: c_int) -> *mut PyObject {
    new_ref("PyMarshal_WriteObjectToString", |vm| {
        let o = rp(vm, x)?;
        let m = marshal(vm)?;
        py(vm, || vm.call_method(&m, "dumps", (o, version)))
    })
}

/// New reference to the object `marshal.loads` reads from `len` bytes at `data`.
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_ReadObjectFromString(data: *const c_char, len: Py_ssize_t) -> *mut PyObject {
    new_ref("PyMarshal_ReadObjectFromString", |vm| {
        let b = vm.ctx.new_bytes(bytes_arg(vm, data, len)?.to_vec());
        let m = marshal(vm)?;
        py(vm, || vm.call_method(&m, "loads", (b,)))
    })
}

fn fwrite(fp: *mut libc::FILE, b: &[u8]) {
    if !fp.is_null() && !b.is_empty() {
        // SAFETY: fp is the caller's writable FILE*; b is readable.
        unsafe { libc::fwrite(b.as_ptr().cast(), 1, b.len(), fp) };
    }
}

/// Writes `x` as 4 little-endian bytes (the low 32 bits, as CPython).
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_WriteLongToFile(x: c_long, fp: *mut libc::FILE, _version: c_int) {
    fwrite(fp, &(x as i32).to_le_bytes());
}

/// Writes the marshalled form of `x` to `fp`. Like CPython, it reports no
/// error: an unmarshallable object writes `TYPE_UNKNOWN` (`?`) and leaves no
/// exception.
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_WriteObjectToFile(x: *mut PyObject, fp: *mut libc::FILE, version: c_int) {
    api_noerr("PyMarshal_WriteObjectToFile", (), |vm| {
        let r: PyResult<Vec<u8>> = (|| {
            let o = rp(vm, x)?;
            let m = marshal(vm)?;
            let b = py(vm, || vm.call_method(&m, "dumps", (o, version)))?;
            Ok(b.downcast_ref::<PyBytes>().map(|b| b.as_bytes().to_vec()).unwrap_or_default())
        })();
        fwrite(fp, r.as_deref().unwrap_or(b"?"));
    })
}

/// Reads exactly `n` bytes of `fp`, or `EOFError` as CPython's `r_string`.
fn read_exact(vm: &VirtualMachine, fp: *mut libc::FILE, n: usize) -> PyResult<Vec<u8>> {
    let mut b = vec![0u8; n];
    // SAFETY: fp is the caller's readable FILE*; b has n writable bytes.
    let got = if fp.is_null() { 0 } else { unsafe { libc::fread(b.as_mut_ptr().cast(), 1, n, fp) } };
    if got != n {
        return Err(vm.new_eof_error("EOF read where not expected"));
    }
    Ok(b)
}

/// A 4-byte little-endian signed long from `fp`; -1 with `EOFError` at end of file.
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_ReadLongFromFile(fp: *mut libc::FILE) -> c_long {
    api("PyMarshal_ReadLongFromFile", |vm| {
        let b = read_exact(vm, fp, 4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as c_long)
    })
}

/// A 2-byte little-endian signed short from `fp`; -1 with `EOFError` at end of file.
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_ReadShortFromFile(fp: *mut libc::FILE) -> c_int {
    api("PyMarshal_ReadShortFromFile", |vm| {
        let b = read_exact(vm, fp, 2)?;
        Ok(i16::from_le_bytes([b[0], b[1]]) as c_int)
    })
}

/// New reference to the next marshalled object of `fp`, leaving the stream
/// just after it (as CPython does).
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_ReadObjectFromFile(fp: *mut libc::FILE) -> *mut PyObject {
    new_ref("PyMarshal_ReadObjectFromFile", |vm| {
        if fp.is_null() {
            return Err(crate::runtime::system_error(vm, "bad argument to internal function"));
        }
        // SAFETY: fp is the caller's FILE*.
        let start = unsafe { libc::ftell(fp) };
        let data = super::pythonrun::read_all(fp);
        let m = marshal(vm)?;
        let (obj, used) = py(vm, || -> PyResult<_> {
            let bio = vm.import("io", 0)?.get_attr("BytesIO", vm)?.call((vm.ctx.new_bytes(data),), vm)?;
            let obj = vm.call_method(&m, "load", (bio.clone(),))?;
            let used: i64 = vm.call_method(&bio, "tell", ())?.try_into_value(vm)?;
            Ok((obj, used))
        })?;
        if start >= 0 {
            // SAFETY: a seekable stream: put the position right after the object.
            unsafe { libc::fseek(fp, start + used as libc::c_long, libc::SEEK_SET) };
        }
        Ok(obj)
    })
}

/// New reference to the object marshalled in the rest of `fp` (read whole).
#[unsafe(no_mangle)]
pub extern "C" fn PyMarshal_ReadLastObjectFromFile(fp: *mut libc::FILE) -> *mut PyObject {
    new_ref("PyMarshal_ReadLastObjectFromFile", |vm| {
        if fp.is_null() {
            return Err(crate::runtime::system_error(vm, "bad argument to internal function"));
        }
        let b = vm.ctx.new_bytes(super::pythonrun::read_all(fp));
        let m = marshal(vm)?;
        py(vm, || vm.call_method(&m, "loads", (b,)))
    })
}
