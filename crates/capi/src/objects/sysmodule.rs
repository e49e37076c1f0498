//! `sysmodule.h`: `PySys_*`.

use rustpython_vm::builtins::{PyDict, PyList, PyStr, PyStrRef, PyTuple};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{VaList, c_char, c_int, c_void};

use super::{cstr, py, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, api_noerr, errors, gil, type_error};

/// The `sys` module's `__dict__` mirror, which owns the borrowed references
/// `PySys_GetObject` hands out (CPython's sys dict keeps them alive).
fn sys_dict_ptr(vm: &VirtualMachine) -> PyResult<*mut PyObject> {
    static SYS_DICT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if let Some(&p) = SYS_DICT.get() {
        return Ok(p as *mut PyObject);
    }
    let d = vm.sys_module.as_object().get_attr("__dict__", vm)?;
    // The reference to_c returns is held for the life of the process.
    Ok(*SYS_DICT.get_or_init(|| bridge::to_c(vm, &d) as usize) as *mut PyObject)
}

/// Borrowed reference to `sys.<name>`, or NULL without an exception if unset.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_GetObject(name: *const c_char) -> *mut PyObject {
    let saved = errors::take();
    let r = api("PySys_GetObject", |vm| {
        let n = cstr(vm, name)?;
        let d = vm.sys_module.dict();
        let Some(v) = d.get_item_opt(n, vm)? else { return Ok(std::ptr::null_mut()) };
        let owner = sys_dict_ptr(vm)?;
        // Values sys no longer holds need not stay alive (checked now and then).
        if bridge::borrowed_count(owner) > 2 * d.__len__() + 16 {
            let live: std::collections::HashSet<usize> = d.into_iter().map(|(_, x)| x.as_object() as *const _ as *const u8 as usize).collect();
            bridge::prune_borrowed(owner, |o| live.contains(&(o as *const _ as *const u8 as usize)));
        }
        Ok(bridge::borrow_from(vm, owner, &v))
    });
    // CPython never reports an error here: the indicator is left as it was.
    errors::restore(saved);
    r
}

/// Sets `sys.<name>` to `v` (deletes it if `v` is NULL; no error if absent). 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_SetObject(name: *const c_char, v: *mut PyObject) -> c_int {
    api("PySys_SetObject", |vm| {
        let n = vm.ctx.new_str(cstr(vm, name)?);
        let d = vm.sys_module.dict();
        if v.is_null() {
            if d.get_item_opt(&*n, vm)?.is_some() {
                d.del_item(&*n, vm)?;
            }
        } else {
            d.set_item(&*n, rp(vm, v)?, vm)?;
        }
        Ok(0)
    })
}

/// Writes `text` to `sys.<stream>` (falling back to the C stream `fd` if
/// that fails), keeping the caller's error indicator.
fn sys_write(stream: &'static str, fd: c_int, text: &[u8]) {
    let saved = errors::take();
    let ok = api_noerr("PySys_Write", false, |vm| {
        let s = String::from_utf8_lossy(text).into_owned();
        let r: PyResult<()> = py(vm, || {
            let f = vm.sys_module.get_attr(stream, vm)?;
            if vm.is_none(&f) {
                return Err(vm.new_runtime_error(format!("lost sys.{stream}")));
            }
            vm.call_method(&f, "write", (vm.ctx.new_str(s),)).map(drop)
        });
        r.is_ok()
    });
    if !ok {
        // SAFETY: fd is 1 or 2; text is readable.
        unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) };
    }
    errors::restore(saved);
}

unsafe extern "C" {
    fn vsnprintf(buf: *mut c_char, n: usize, format: *const c_char, va: VaList<'_>) -> c_int;
}

/// `sys_write`: printf-formats into 1001 bytes as CPython, marking truncation.
unsafe fn write_printf(stream: &'static str, fd: c_int, format: *const c_char, va: VaList<'_>) {
    let mut buf = [0 as c_char; 1001];
    // SAFETY: the caller's format and arguments; buf has buf.len() bytes.
    let n = unsafe { vsnprintf(buf.as_mut_ptr(), buf.len(), format, va) };
    // SAFETY: vsnprintf NUL-terminated buf.
    let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_bytes();
    sys_write(stream, fd, text);
    if n < 0 || n as usize > 1000 {
        sys_write(stream, fd, b"... truncated");
    }
}

/// `PyUnicode_FromFormatV` to a stream, untruncated.
unsafe fn write_format(stream: &'static str, fd: c_int, format: *const c_char, va: VaList<'_>) {
    let saved = errors::take();
    // SAFETY: the caller's format and arguments.
    let s = unsafe { super::modsupport::PyUnicode_FromFormatV(format, va) };
    if s.is_null() {
        errors::restore(saved);
        return;
    }
    let text = api_noerr("PySys_Format", None, |vm| rp(vm, s).ok().and_then(|o| o.downcast_ref::<PyStr>().map(|x| x.as_wtf8().to_string())));
    // SAFETY: the new reference made above.
    unsafe { bridge::decref(s) };
    errors::restore(saved);
    if let Some(t) = text {
        sys_write(stream, fd, t.as_bytes());
    }
}

/// Defines the variadic `PySys_Write*`/`PySys_Format*` functions.
macro_rules! stream_writers {
    ($($doc:literal $name:ident => $worker:ident($stream:literal, $fd:literal);)*) => {$(
        #[doc = $doc]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(format: *const c_char, args: ...) {
            // SAFETY: forwarded from the caller.
            unsafe { $worker($stream, $fd, format, args) }
        }
    )*};
}

stream_writers! {
    "Writes a printf-formatted message (at most 1000 bytes) to `sys.stdout`."
    PySys_WriteStdout => write_printf("stdout", 1);
    "Writes a printf-formatted message (at most 1000 bytes) to `sys.stderr`."
    PySys_WriteStderr => write_printf("stderr", 2);
    "Writes a `PyUnicode_FromFormat`-formatted message to `sys.stdout`."
    PySys_FormatStdout => write_format("stdout", 1);
    "Writes a `PyUnicode_FromFormat`-formatted message to `sys.stderr`."
    PySys_FormatStderr => write_format("stderr", 2);
}

/// `Py_AuditHookFunction`.
#[allow(non_camel_case_types)]
pub type Py_AuditHookFunction = unsafe extern "C" fn(*const c_char, *mut PyObject, *mut c_void) -> c_int;

/// Hooks added by `PySys_AddAuditHook`, in order, with their user data.
static C_HOOKS: parking_lot::Mutex<Vec<(Py_AuditHookFunction, usize)>> = parking_lot::Mutex::new(Vec::new());

/// Calls the C audit hooks for one event (from the dispatcher installed in
/// `sys`'s hook list, so events from `sys.audit` and RustPython reach them).
fn dispatch(event: PyStrRef, args: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
    let hooks = C_HOOKS.lock().clone();
    if hooks.is_empty() {
        return Ok(());
    }
    let ev = std::ffi::CString::new(event.as_wtf8().to_string()).map_err(|_| vm.new_value_error("embedded null character"))?;
    let _g = gil::ensure(vm);
    let a = bridge::to_c_transient(vm, &args);
    let mut r = Ok(());
    for (hook, data) in hooks {
        // SAFETY: a hook C registered, called with its own user data under the GIL.
        if unsafe { hook(ev.as_ptr(), a, data as *mut c_void) } < 0 {
            r = Err(errors::take().unwrap_or_else(|| crate::runtime::system_error(vm, "audit hook failed without setting an exception")));
            break;
        }
    }
    // SAFETY: the new reference made above.
    unsafe { bridge::decref(a) };
    r
}

/// Raises the audit event `event` with the tuple `args` (NULL: no arguments)
/// to the C hooks and `sys.addaudithook` hooks. 0, or -1 with the hook's exception.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_AuditTuple(event: *const c_char, args: *mut PyObject) -> c_int {
    api("PySys_AuditTuple", |vm| {
        let ev = cstr(vm, event)?;
        let a = if args.is_null() { vm.ctx.empty_tuple.clone().into() } else { rp(vm, args)? };
        let t = a.downcast::<PyTuple>().map_err(|o| type_error(vm, format!("args must be tuple, got {}", o.class().name())))?;
        py(vm, || vm.audit(ev, || t.as_slice().to_vec()))?;
        Ok(0)
    })
}

/// Raises the audit event `event` with arguments built by `Py_BuildValue(format, ...)`
/// (a non-tuple becomes a 1-tuple). 0, or -1 with the hook's exception.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PySys_Audit(event: *const c_char, format: *const c_char, args: ...) -> c_int {
    if format.is_null() || unsafe { *format } == 0 {
        return PySys_AuditTuple(event, std::ptr::null_mut());
    }
    // SAFETY: the caller's format and arguments.
    let v = unsafe { super::modsupport::Py_VaBuildValue(format, args) };
    if v.is_null() {
        return -1;
    }
    let t = api("PySys_Audit", |vm| {
        let o = rp(vm, v)?;
        let t: PyObjectRef = if o.downcast_ref::<PyTuple>().is_some() { o } else { vm.ctx.new_tuple(vec![o]).into() };
        Ok(bridge::to_c_transient(vm, &t))
    });
    // SAFETY: the new reference made above.
    unsafe { bridge::decref(v) };
    if t.is_null() {
        return -1;
    }
    let r = PySys_AuditTuple(event, t);
    // SAFETY: the new reference made above.
    unsafe { bridge::decref(t) };
    r
}

/// Appends a C audit hook (called for every event, with `user_data`). Existing
/// hooks are told first (`sys.addaudithook` event); a RuntimeError from them
/// silently cancels. 0, or -1 with an exception.
///
/// RustPython keeps a single hook list: C hooks run from one dispatcher
/// appended to it when the first C hook is added, so they follow any Python
/// hooks added before that point (CPython runs C hooks first).
#[unsafe(no_mangle)]
pub extern "C" fn PySys_AddAuditHook(hook: Option<Py_AuditHookFunction>, user_data: *mut c_void) -> c_int {
    api("PySys_AddAuditHook", |vm| {
        if let Err(e) = py(vm, || vm.audit("sys.addaudithook", Vec::<PyObjectRef>::new)) {
            if e.fast_isinstance(vm.ctx.exceptions.runtime_error) {
                return Ok(0);
            }
            return Err(e);
        }
        let Some(hook) = hook else { return Ok(0) };
        let first = {
            let mut hooks = C_HOOKS.lock();
            hooks.push((hook, user_data as usize));
            hooks.len() == 1
        };
        if first {
            let f = vm.new_function("_pyfacade_c_audit_hooks", dispatch);
            py(vm, || vm.call_method(vm.sys_module.as_object(), "addaudithook", (f,)))?;
        }
        Ok(0)
    })
}

/// A NUL-terminated `wchar_t*` (UTF-32 on this platform) as a Rust string.
fn wide(vm: &VirtualMachine, s: *const libc::wchar_t) -> PyResult<String> {
    if s.is_null() {
        return Err(crate::runtime::system_error(vm, "NULL string passed to a C-API function"));
    }
    let mut out = String::new();
    for i in 0.. {
        // SAFETY: C passes a NUL-terminated wide string.
        let c = unsafe { *s.add(i) };
        if c == 0 {
            break;
        }
        out.push(char::from_u32(c as u32).ok_or_else(|| vm.new_value_error(format!("character U+{:x} is not in range [U+0000; U+10ffff]", c as u32)))?);
    }
    Ok(out)
}

/// `sys.warnoptions`, replaced by a new list if missing or not a list.
fn warnoptions(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    if let Ok(w) = vm.sys_module.get_attr("warnoptions", vm) {
        if w.downcast_ref::<PyList>().is_some() {
            return Ok(w);
        }
    }
    let w: PyObjectRef = vm.ctx.new_list(vec![]).into();
    vm.sys_module.set_attr("warnoptions", w.clone(), vm)?;
    Ok(w)
}

/// `sys._xoptions`, replaced by a new dict if missing or not a dict.
fn xoptions(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    if let Ok(x) = vm.sys_module.get_attr("_xoptions", vm) {
        if x.downcast_ref::<PyDict>().is_some() {
            return Ok(x);
        }
    }
    let x: PyObjectRef = vm.ctx.new_dict().into();
    vm.sys_module.set_attr("_xoptions", x.clone(), vm)?;
    Ok(x)
}

/// Appends `option` to `sys.warnoptions` (errors are cleared: no return value).
#[unsafe(no_mangle)]
pub extern "C" fn PySys_AddWarnOptionUnicode(option: *mut PyObject) {
    api_noerr("PySys_AddWarnOptionUnicode", (), |vm| {
        let _ = (|| -> PyResult<()> {
            let o = rp(vm, option)?;
            let w = warnoptions(vm)?;
            w.downcast_ref::<PyList>().expect("a list").borrow_vec_mut().push(o);
            Ok(())
        })();
    })
}

/// Appends the wide string `s` to `sys.warnoptions` (deprecated).
#[unsafe(no_mangle)]
pub extern "C" fn PySys_AddWarnOption(s: *const libc::wchar_t) {
    api_noerr("PySys_AddWarnOption", (), |vm| {
        if let Ok(s) = wide(vm, s) {
            let o = vm.ctx.new_str(s);
            let p = bridge::to_c_transient(vm, o.as_object());
            PySys_AddWarnOptionUnicode(p);
            // SAFETY: the new reference made above.
            unsafe { bridge::decref(p) };
        }
    })
}

/// 1 if `sys.warnoptions` is a non-empty list, else 0.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_HasWarnOptions() -> c_int {
    api_noerr("PySys_HasWarnOptions", 0, |vm| {
        let w = vm.sys_module.get_attr("warnoptions", vm).ok();
        w.and_then(|w| w.downcast_ref::<PyList>().map(|l| (!l.borrow_vec().is_empty()) as c_int)).unwrap_or(0)
    })
}

/// Empties `sys.warnoptions` (if it is a list; deprecated).
#[unsafe(no_mangle)]
pub extern "C" fn PySys_ResetWarnOptions() {
    api_noerr("PySys_ResetWarnOptions", (), |vm| {
        if let Some(l) = vm.sys_module.get_attr("warnoptions", vm).ok().and_then(|w| w.downcast::<PyList>().ok()) {
            l.borrow_vec_mut().clear();
        }
    })
}

/// Adds `-X` option `s` (`name` → True, `name=value` → "value") to `sys._xoptions`.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_AddXOption(s: *const libc::wchar_t) {
    api_noerr("PySys_AddXOption", (), |vm| {
        let _ = (|| -> PyResult<()> {
            let s = wide(vm, s)?;
            let (k, v): (&str, PyObjectRef) = match s.split_once('=') {
                Some((k, v)) => (k, vm.ctx.new_str(v).into()),
                None => (&s, vm.ctx.true_value.clone().into()),
            };
            xoptions(vm)?.set_item(k, v, vm)
        })();
    })
}

/// Borrowed reference to `sys._xoptions` (created if missing).
#[unsafe(no_mangle)]
pub extern "C" fn PySys_GetXOptions() -> *mut PyObject {
    api("PySys_GetXOptions", |vm| {
        let x = xoptions(vm)?;
        Ok(bridge::borrow_from(vm, sys_dict_ptr(vm)?, &x))
    })
}

/// Sets `sys.path` to the `:`-separated entries of `path`.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_SetPath(path: *const libc::wchar_t) {
    api_noerr("PySys_SetPath", (), |vm| {
        if let Ok(p) = wide(vm, path) {
            let items = p.split(':').map(|x| vm.ctx.new_str(x).into()).collect();
            let _ = vm.sys_module.set_attr("path", vm.ctx.new_list(items), vm);
        }
    })
}

/// `_PyPathConfig_ComputeSysPath0`: the `sys.path[0]` entry for `argv[0]`.
fn sys_path0(argv0: Option<&str>) -> Option<String> {
    match argv0 {
        Some("-c") | None => Some(String::new()),
        Some("-m") => std::env::current_dir().ok().map(|d| d.to_string_lossy().into_owned()),
        Some(a) => {
            let full = std::fs::canonicalize(a).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| a.to_owned());
            Some(match full.rfind('/') {
                Some(0) => "/".to_owned(),
                Some(i) => full[..i].to_owned(),
                None => String::new(),
            })
        }
    }
}

/// Sets `sys.argv` (`[""]` for no arguments) and, if `updatepath`, prepends
/// the script's directory (`""` for `-c`, the cwd for `-m`) to `sys.path`.
#[unsafe(no_mangle)]
pub extern "C" fn PySys_SetArgvEx(argc: c_int, argv: *mut *mut libc::wchar_t, updatepath: c_int) {
    api_noerr("PySys_SetArgvEx", (), |vm| {
        let args: Vec<String> = if argc < 1 || argv.is_null() {
            vec![String::new()]
        } else {
            // SAFETY: C passes argc valid wide strings.
            match (0..argc as usize).map(|i| wide(vm, unsafe { *argv.add(i) })).collect::<PyResult<Vec<_>>>() {
                Ok(a) => a,
                Err(_) => return,
            }
        };
        let list = vm.ctx.new_list(args.iter().map(|a| vm.ctx.new_str(a.as_str()).into()).collect());
        let _ = vm.sys_module.set_attr("argv", list, vm);
        if updatepath != 0 {
            if let Some(p0) = sys_path0(args.first().map(|s| s.as_str())) {
                if let Some(l) = vm.sys_module.get_attr("path", vm).ok().and_then(|p| p.downcast::<PyList>().ok()) {
                    l.borrow_vec_mut().insert(0, vm.ctx.new_str(p0).into());
                }
            }
        }
    })
}

/// `PySys_SetArgvEx(argc, argv, 1)` (`Py_IsolatedFlag` is never set here).
#[unsafe(no_mangle)]
pub extern "C" fn PySys_SetArgv(argc: c_int, argv: *mut *mut libc::wchar_t) {
    PySys_SetArgvEx(argc, argv, 1)
}
