//! `fileobject.h`: file objects through the `io` module, the `open_code`
//! hook, and the bootstrap `stderrprinter` (`PyStdPrinter_Type`, a small
//! Python class in the `module_types!` table).

use parking_lot::Mutex;
use rustpython_vm::builtins::{PyBytes, PyStr};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_void};

use super::{cstr, new_ref, rp};
use crate::abi::PyObject;
use crate::runtime::{api, errors, new_error, system_error, type_error};

/// `Py_PRINT_RAW`: write `str(obj)` rather than `repr(obj)`.
const PY_PRINT_RAW: c_int = 1;

/// An optional C string as str or None.
fn opt_str(vm: &VirtualMachine, s: *const c_char) -> PyResult<PyObjectRef> {
    if s.is_null() { Ok(vm.ctx.none()) } else { Ok(vm.ctx.new_str(cstr(vm, s)?).into()) }
}

/// New reference to `io.open(fd, mode, buffering, encoding, errors, newline,
/// closefd)` (`name` is ignored, as in CPython; NULL strings: defaults).
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_FromFd(fd: c_int, _name: *const c_char, mode: *const c_char, buffering: c_int, encoding: *const c_char, errors: *const c_char, newline: *const c_char, closefd: c_int) -> *mut PyObject {
    new_ref("PyFile_FromFd", |vm| {
        let mode: PyObjectRef = if mode.is_null() { vm.ctx.new_str("r").into() } else { opt_str(vm, mode)? };
        let args: Vec<PyObjectRef> = vec![
            vm.ctx.new_int(fd).into(),
            mode,
            vm.ctx.new_int(buffering).into(),
            opt_str(vm, encoding)?,
            opt_str(vm, errors)?,
            opt_str(vm, newline)?,
            vm.ctx.new_bool(closefd != 0).into(),
        ];
        super::py(vm, || vm.import("io", 0)?.get_attr("open", vm)?.call(args, vm))
    })
}

/// New reference to a line of `f`: `f.readline()` for `n` = 0,
/// `f.readline(n)` for `n` > 0; for `n` < 0 one line without its trailing
/// newline, and EOFError at end of file.
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_GetLine(f: *mut PyObject, n: c_int) -> *mut PyObject {
    new_ref("PyFile_GetLine", |vm| {
        if f.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let file = rp(vm, f)?;
        let line = super::py(vm, || if n > 0 { vm.call_method(&file, "readline", (n,)) } else { vm.call_method(&file, "readline", ()) })?;
        let is_bytes = line.downcast_ref::<PyBytes>().is_some();
        if !is_bytes && line.downcast_ref::<PyStr>().is_none() {
            return Err(type_error(vm, "object.readline() returned non-string"));
        }
        if n >= 0 {
            return Ok(line);
        }
        if line.length(vm)? == 0 {
            return Err(new_error(vm, vm.ctx.exceptions.eof_error, "EOF when reading a line"));
        }
        let nl: PyObjectRef = if is_bytes { vm.ctx.new_bytes(b"\n".to_vec()).into() } else { vm.ctx.new_str("\n").into() };
        vm.call_method(&line, "removesuffix", (nl,))
    })
}

/// Writes `repr(obj)` (or `str(obj)` with `Py_PRINT_RAW`) to `f` with its
/// `write` method: 0, or -1 with an exception.
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_WriteObject(obj: *mut PyObject, f: *mut PyObject, flags: c_int) -> c_int {
    api("PyFile_WriteObject", |vm| {
        if f.is_null() {
            return Err(type_error(vm, "writeobject with NULL file"));
        }
        let file = rp(vm, f)?;
        let o = rp(vm, obj)?;
        super::py(vm, || -> PyResult<()> {
            let v: PyObjectRef = if flags & PY_PRINT_RAW != 0 { o.str(vm)?.into() } else { o.repr(vm)?.into() };
            vm.call_method(&file, "write", (v,))?;
            Ok(())
        })?;
        Ok(0)
    })
}

/// Writes the UTF-8 string `s` to `f`: 0, or -1 (also if an exception is
/// already set, or SystemError for a NULL file).
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_WriteString(s: *const c_char, f: *mut PyObject) -> c_int {
    if errors::peek().is_some() {
        return -1;
    }
    api("PyFile_WriteString", |vm| {
        if f.is_null() {
            return Err(system_error(vm, "null file for PyFile_WriteString"));
        }
        let file = rp(vm, f)?;
        let v = vm.ctx.new_str(cstr(vm, s)?);
        super::py(vm, || vm.call_method(&file, "write", (v,)))?;
        Ok(0)
    })
}

// ---- open_code ------------------------------------------------------------------------------

type OpenCodeHook = unsafe extern "C" fn(*mut PyObject, *mut c_void) -> *mut PyObject;
/// The hook and its user data, set once per process.
static OPEN_CODE_HOOK: Mutex<Option<(usize, usize)>> = Mutex::new(None);

/// Installs the hook `PyFile_OpenCodeObject` calls; only one per process:
/// 0, or -1 (SystemError once the interpreter runs) if one is already set.
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_SetOpenCodeHook(hook: Option<OpenCodeHook>, user_data: *mut c_void) -> c_int {
    let set = |h: &mut Option<(usize, usize)>| -> bool {
        if h.is_some() {
            return false;
        }
        *h = hook.map(|f| (f as usize, user_data as usize));
        true
    };
    let running = rustpython_vm::vm::thread::try_with_current_vm(|_| ()).is_some();
    if !running {
        return if set(&mut OPEN_CODE_HOOK.lock()) { 0 } else { -1 };
    }
    api("PyFile_SetOpenCodeHook", |vm| {
        super::py(vm, || vm.audit("setopencodehook", Vec::new))?;
        if !set(&mut OPEN_CODE_HOOK.lock()) {
            return Err(system_error(vm, "failed to change existing open_code hook"));
        }
        Ok(0)
    })
}

/// New reference to `path` (a str) opened for reading code: the hook's
/// result if one is set, else `io.open(path, "rb")`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_OpenCodeObject(path: *mut PyObject) -> *mut PyObject {
    let hook = *OPEN_CODE_HOOK.lock();
    let checked = api("PyFile_OpenCodeObject", |vm| {
        let p = rp(vm, path)?;
        if p.downcast_ref::<PyStr>().is_none() {
            return Err(type_error(vm, format!("'path' must be 'str', not '{}'", p.class().name())));
        }
        Ok(1)
    });
    if checked < 0 {
        return std::ptr::null_mut();
    }
    if let Some((h, data)) = hook {
        // SAFETY: stored from the C hook pointer.
        let h: OpenCodeHook = unsafe { std::mem::transmute::<usize, OpenCodeHook>(h) };
        // SAFETY: the hook's contract: a borrowed path and its user data.
        return unsafe { h(path, data as *mut c_void) };
    }
    new_ref("PyFile_OpenCodeObject", |vm| {
        let p = rp(vm, path)?;
        super::py(vm, || vm.import("io", 0)?.get_attr("open", vm)?.call((p, "rb"), vm))
    })
}

/// `PyFile_OpenCodeObject` for a UTF-8 path.
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_OpenCode(utf8path: *const c_char) -> *mut PyObject {
    let p = new_ref("PyFile_OpenCode", |vm| Ok(vm.ctx.new_str(cstr(vm, utf8path)?).into()));
    if p.is_null() {
        return p;
    }
    let r = PyFile_OpenCodeObject(p);
    // SAFETY: the reference made above.
    unsafe { crate::bridge::decref(p) };
    r
}

/// New reference to a minimal writer on file descriptor 1 or 2 (an
/// instance of `PyStdPrinter_Type`) for use before `sys.stderr` exists;
/// SystemError for another descriptor.
#[unsafe(no_mangle)]
pub extern "C" fn PyFile_NewStdPrinter(fd: c_int) -> *mut PyObject {
    new_ref("PyFile_NewStdPrinter", |vm| {
        if fd != 1 && fd != 2 {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let ty = rp(vm, crate::types::static_type!(PyStdPrinter_Type).cast())?;
        ty.call((fd,), vm)
    })
}
