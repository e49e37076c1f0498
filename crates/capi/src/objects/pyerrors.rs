//! `pyerrors.h`: the error indicator and exception objects.

use rustpython_vm::builtins::{PyBaseException, PyBaseExceptionRef, PyType};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::{cbool, cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, errors, system_error, type_error};

/// Makes an exception instance from a type and a value, as `PyErr_SetObject` does.
fn make_exception(vm: &VirtualMachine, ty: PyObjectRef, value: Option<PyObjectRef>) -> PyResult<PyBaseExceptionRef> {
    let not_exc = |o: &PyObjectRef| {
        let r = o.repr(vm).map(|r| r.as_wtf8().to_string()).unwrap_or_else(|_| "?".into());
        system_error(vm, format!("_PyErr_SetObject: exception {r} is not a BaseException subclass"))
    };
    let ty = match ty.clone().downcast::<PyType>() {
        Ok(t) if t.fast_issubclass(vm.ctx.exceptions.base_exception_type) => t,
        _ => return Err(not_exc(&ty)),
    };
    if let Some(v) = &value {
        if let Ok(e) = v.clone().downcast::<PyBaseException>() {
            if e.class().fast_issubclass(&ty) {
                return Ok(e);
            }
        }
    }
    let args: Vec<PyObjectRef> = match value {
        None => vec![],
        Some(v) if vm.is_none(&v) => vec![],
        Some(v) => match v.downcast_ref::<rustpython_vm::builtins::PyTuple>() {
            Some(t) => t.as_slice().to_vec(),
            None => vec![v],
        },
    };
    let e = ty.as_object().call(args, vm)?;
    e.downcast::<PyBaseException>().map_err(|_| type_error(vm, "calling the exception type did not return an exception"))
}

fn set_from(vm: &VirtualMachine, ty: *mut PyObject, value: Option<PyObjectRef>) -> PyResult<()> {
    let exc = make_exception(vm, rp(vm, ty)?, value)?;
    errors::set(exc);
    Ok(())
}

/// Sets the error indicator to `type(value)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetObject(ty: *mut PyObject, value: *mut PyObject) {
    api("PyErr_SetObject", |vm| {
        let v = if value.is_null() { None } else { Some(rp(vm, value)?) };
        set_from(vm, ty, v)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetString(ty: *mut PyObject, msg: *const c_char) {
    api("PyErr_SetString", |vm| {
        let m = vm.ctx.new_str(cstr(vm, msg)?).into();
        set_from(vm, ty, Some(m))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetNone(ty: *mut PyObject) {
    api("PyErr_SetNone", |vm| set_from(vm, ty, None))
}

/// Borrowed reference to the current exception's type, or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_Occurred() -> *mut PyObject {
    api_noerr("PyErr_Occurred", std::ptr::null_mut(), |vm| match errors::peek() {
        Some(e) => bridge::type_ptr(vm, e.class()).cast(),
        None => std::ptr::null_mut(),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_Clear() {
    errors::restore(None);
}

/// New reference to the current exception (clearing the indicator), or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_GetRaisedException() -> *mut PyObject {
    api_noerr("PyErr_GetRaisedException", std::ptr::null_mut(), |vm| match errors::take() {
        Some(e) => bridge::to_c(vm, e.as_object()),
        None => std::ptr::null_mut(),
    })
}

/// Sets the indicator to `exc` (stolen; NULL clears).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_SetRaisedException(exc: *mut PyObject) {
    api_noerr("PyErr_SetRaisedException", (), |vm| {
        if exc.is_null() {
            errors::restore(None);
            return;
        }
        let r = rp(vm, exc);
        // SAFETY: the reference was stolen.
        unsafe { bridge::decref(exc) };
        match r.map(|o| o.downcast::<PyBaseException>()) {
            Ok(Ok(e)) => errors::set(e),
            _ => errors::set(type_error(vm, "PyErr_SetRaisedException: exception must derive from BaseException")),
        }
    })
}

/// Legacy triple: new references to type, value, traceback (clears).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_Fetch(ptype: *mut *mut PyObject, pvalue: *mut *mut PyObject, ptb: *mut *mut PyObject) {
    api_noerr("PyErr_Fetch", (), |vm| {
        let e = errors::take();
        // SAFETY: out pointers from C.
        unsafe {
            *ptype = std::ptr::null_mut();
            *pvalue = std::ptr::null_mut();
            *ptb = std::ptr::null_mut();
            if let Some(e) = e {
                *ptype = bridge::to_c(vm, e.class().as_object());
                if let Some(tb) = e.__traceback__() {
                    *ptb = bridge::to_c(vm, tb.as_object());
                }
                *pvalue = bridge::to_c(vm, e.as_object());
            }
        }
    })
}

/// Legacy restore: steals all three.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_Restore(ty: *mut PyObject, value: *mut PyObject, tb: *mut PyObject) {
    api_noerr("PyErr_Restore", (), |vm| {
        let r = (|| -> PyResult<Option<PyBaseExceptionRef>> {
            if ty.is_null() {
                return Ok(None);
            }
            let v = if value.is_null() { None } else { Some(rp(vm, value)?) };
            let e = make_exception(vm, rp(vm, ty)?, v)?;
            if !tb.is_null() {
                let tb = rp(vm, tb)?;
                if let Ok(tb) = tb.downcast() {
                    e.set_traceback(Some(tb));
                }
            }
            Ok(Some(e))
        })();
        // SAFETY: all three references were stolen.
        unsafe {
            bridge::xdecref(ty);
            bridge::xdecref(value);
            bridge::xdecref(tb);
        }
        match r {
            Ok(e) => errors::restore(e),
            Err(e) => errors::set(e),
        }
    })
}

/// The indicator always holds normalized exceptions; nothing to do but keep
/// the triple consistent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_NormalizeException(ty: *mut *mut PyObject, value: *mut *mut PyObject, _tb: *mut *mut PyObject) {
    api_noerr("PyErr_NormalizeException", (), |vm| {
        // SAFETY: in/out pointers from C.
        unsafe {
            if (*ty).is_null() {
                return;
            }
            let v = if (*value).is_null() { None } else { rp(vm, *value).ok() };
            if let Ok(t) = rp(vm, *ty) {
                if let Ok(e) = make_exception(vm, t, v) {
                    bridge::xdecref(*value);
                    *value = bridge::to_c(vm, e.as_object());
                }
            }
        }
    })
}

/// 1 if `given` (an exception instance or class) matches `exc` (a class or tuple).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_GivenExceptionMatches(given: *mut PyObject, exc: *mut PyObject) -> c_int {
    api_noerr("PyErr_GivenExceptionMatches", 0, |vm| {
        if given.is_null() || exc.is_null() {
            return 0;
        }
        let (Ok(g), Ok(e)) = (rp(vm, given), rp(vm, exc)) else { return 0 };
        let cls: PyObjectRef = if g.downcast_ref::<PyBaseException>().is_some() { g.class().to_owned().into() } else { g };
        if let Some(t) = e.downcast_ref::<rustpython_vm::builtins::PyTuple>() {
            return cbool(t.as_slice().iter().any(|x| matches(vm, &cls, x)));
        }
        cbool(matches(vm, &cls, &e))
    })
}

fn matches(vm: &VirtualMachine, cls: &PyObjectRef, exc: &PyObjectRef) -> bool {
    match (cls.downcast_ref::<PyType>(), exc.downcast_ref::<PyType>()) {
        (Some(c), Some(e)) => c.fast_issubclass(e),
        _ => cls.is(exc) || vm.bool_eq(cls, exc).unwrap_or(false),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_ExceptionMatches(exc: *mut PyObject) -> c_int {
    let cur = PyErr_Occurred();
    if cur.is_null() { 0 } else { PyErr_GivenExceptionMatches(cur, exc) }
}

/// New exception class `module.Name` deriving from `base` (default Exception).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_NewExceptionWithDoc(name: *const c_char, doc: *const c_char, base: *mut PyObject, dict: *mut PyObject) -> *mut PyObject {
    new_ref("PyErr_NewExceptionWithDoc", |vm| {
        let full = cstr(vm, name)?;
        let (module, short) = full
            .rsplit_once('.')
            .ok_or_else(|| system_error(vm, "PyErr_NewException: name must be module.class"))?;
        let bases: PyObjectRef = if base.is_null() {
            vm.ctx.new_tuple(vec![vm.ctx.exceptions.exception_type.to_owned().into()]).into()
        } else {
            let b = rp(vm, base)?;
            if b.downcast_ref::<rustpython_vm::builtins::PyTuple>().is_some() { b } else { vm.ctx.new_tuple(vec![b]).into() }
        };
        let ns = if dict.is_null() { vm.ctx.new_dict() } else { rp(vm, dict)?.downcast().map_err(|_| type_error(vm, "dict must be a dict"))? };
        if ns.get_item_opt("__module__", vm)?.is_none() {
            ns.set_item("__module__", vm.ctx.new_str(module).into(), vm)?;
        }
        if !doc.is_null() {
            ns.set_item("__doc__", vm.ctx.new_str(cstr(vm, doc)?).into(), vm)?;
        }
        vm.ctx.types.type_type.as_object().call((short, bases, ns), vm)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_NewException(name: *const c_char, base: *mut PyObject, dict: *mut PyObject) -> *mut PyObject {
    PyErr_NewExceptionWithDoc(name, std::ptr::null(), base, dict)
}

/// Reports the current exception through `sys.unraisablehook` and clears it.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_WriteUnraisable(obj: *mut PyObject) {
    api_noerr("PyErr_WriteUnraisable", (), |vm| {
        if let Some(e) = errors::take() {
            let o = if obj.is_null() { vm.ctx.none() } else { rp(vm, obj).unwrap_or_else(|_| vm.ctx.none()) };
            vm.run_unraisable(e, None, o);
        }
    })
}

/// Prints the current exception to `sys.stderr` and clears it.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_PrintEx(set_sys_last_vars: c_int) {
    api_noerr("PyErr_PrintEx", (), |vm| {
        if let Some(e) = errors::take() {
            if set_sys_last_vars != 0 {
                let _ = vm.sys_module.set_attr("last_exc", e.clone(), vm);
                let _ = vm.sys_module.set_attr("last_value", e.clone(), vm);
            }
            vm.print_exception(&e);
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_Print() {
    PyErr_PrintEx(1)
}

/// Sets MemoryError; returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_NoMemory() -> *mut PyObject {
    api("PyErr_NoMemory", |vm| Err::<*mut PyObject, _>(vm.new_exception_empty(vm.ctx.exceptions.memory_error.to_owned())))
}

/// `PyErr_BadArgument`: TypeError; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_BadArgument() -> c_int {
    api("PyErr_BadArgument", |vm| Err::<c_int, _>(type_error(vm, "bad argument type for built-in operation")));
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn PyErr_BadInternalCall() {
    api("PyErr_BadInternalCall", |vm| Err::<(), _>(system_error(vm, "bad argument to internal function")))
}

/// Checks for pending signals; always 0 (RustPython handles signals itself).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_CheckSignals() -> c_int {
    api("PyErr_CheckSignals", |vm| vm.check_signals().map(|_| 0))
}

/// Issues a warning of `category` with `message`; -1 if it became an error.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_WarnEx(category: *mut PyObject, message: *const c_char, stack_level: Py_ssize_t) -> c_int {
    api("PyErr_WarnEx", |vm| {
        let cat = if category.is_null() { vm.ctx.exceptions.runtime_warning.to_owned().into() } else { rp(vm, category)? };
        let msg = cstr(vm, message)?;
        super::py(vm, || vm.import("warnings", 0)?.get_attr("warn", vm)?.call((msg, cat, stack_level.max(1)), vm))?;
        Ok(0)
    })
}

// ---- exception objects ----------------------------------------------------------

fn exc(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<PyBaseExceptionRef> {
    rp(vm, o)?.downcast::<PyBaseException>().map_err(|_| type_error(vm, "expected an exception instance"))
}

fn opt_obj(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<Option<PyObjectRef>> {
    if p.is_null() { Ok(None) } else { rp(vm, p).map(|o| if vm.is_none(&o) { None } else { Some(o) }) }
}

/// New reference to `exc.__traceback__` or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyException_GetTraceback(o: *mut PyObject) -> *mut PyObject {
    api("PyException_GetTraceback", |vm| Ok(exc(vm, o)?.__traceback__().map_or(std::ptr::null_mut(), |t| bridge::to_c(vm, t.as_object()))))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyException_SetTraceback(o: *mut PyObject, tb: *mut PyObject) -> c_int {
    api("PyException_SetTraceback", |vm| {
        let e = exc(vm, o)?;
        let tb = opt_obj(vm, tb)?.map(|t| t.downcast().map_err(|_| type_error(vm, "__traceback__ must be a traceback or None"))).transpose()?;
        e.set_traceback(tb);
        bridge::refresh_now(vm, o, e.as_object());
        Ok(0)
    })
}

/// New reference to `exc.__cause__` or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyException_GetCause(o: *mut PyObject) -> *mut PyObject {
    api("PyException_GetCause", |vm| Ok(exc(vm, o)?.__cause__().map_or(std::ptr::null_mut(), |c| bridge::to_c(vm, c.as_object()))))
}

/// Sets `exc.__cause__` (stolen reference, NULL clears) and `__suppress_context__`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyException_SetCause(o: *mut PyObject, cause: *mut PyObject) {
    api("PyException_SetCause", |vm| {
        let c = opt_obj(vm, cause);
        // SAFETY: the reference was stolen.
        unsafe { bridge::xdecref(cause) };
        let c = c?.map(|c| c.downcast::<PyBaseException>().map_err(|_| type_error(vm, "exception cause must be None or derive from BaseException"))).transpose()?;
        let e = exc(vm, o)?;
        e.set_cause(c);
        bridge::refresh_now(vm, o, e.as_object());
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyException_GetContext(o: *mut PyObject) -> *mut PyObject {
    api("PyException_GetContext", |vm| Ok(exc(vm, o)?.__context__().map_or(std::ptr::null_mut(), |c| bridge::to_c(vm, c.as_object()))))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyException_SetContext(o: *mut PyObject, ctx: *mut PyObject) {
    api("PyException_SetContext", |vm| {
        let c = opt_obj(vm, ctx);
        // SAFETY: the reference was stolen.
        unsafe { bridge::xdecref(ctx) };
        let c = c?.map(|c| c.downcast::<PyBaseException>().map_err(|_| type_error(vm, "exception context must be None or derive from BaseException"))).transpose()?;
        let e = exc(vm, o)?;
        e.set_context(c);
        bridge::refresh_now(vm, o, e.as_object());
        Ok(())
    })
}

/// New reference to `exc.args`.
#[unsafe(no_mangle)]
pub extern "C" fn PyException_GetArgs(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyException_GetArgs", |vm| Ok(exc(vm, o)?.args().into()))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyException_SetArgs(o: *mut PyObject, args: *mut PyObject) {
    api("PyException_SetArgs", |vm| {
        let a = rp(vm, args)?;
        let e = exc(vm, o)?;
        e.as_object().set_attr("args", a, vm)?;
        bridge::refresh_now(vm, o, e.as_object());
        Ok(())
    })
}

/// Writes traceback `tb` to `file` as the interpreter prints it: the
/// "Traceback (most recent call last):" line, then the entries. 0 for NULL;
/// SystemError if `tb` is not a traceback.
#[unsafe(no_mangle)]
pub extern "C" fn PyTraceBack_Print(tb: *mut PyObject, file: *mut PyObject) -> c_int {
    if tb.is_null() {
        return 0;
    }
    api("PyTraceBack_Print", |vm| {
        let tb = rp(vm, tb)?;
        if !tb.class().is(vm.ctx.types.traceback_type) {
            return Err(system_error(vm, "PyTraceBack_Print: bad internal call (not a traceback)"));
        }
        let file = rp(vm, file)?;
        vm.call_method(&file, "write", ("Traceback (most recent call last):\n",))?;
        let traceback = vm.import("traceback", 0)?;
        traceback.get_attr("print_tb", vm)?.call((tb, vm.ctx.none(), file), vm)?;
        Ok(0)
    })
}

// ---- errno ------------------------------------------------------------------------

/// Raises `ty(errno, strerror(errno)[, filename, None, filename2])` from the
/// C library's current `errno`, as `PyErr_SetFromErrno*` (OSError picks the
/// subclass for the errno). Always returns NULL.
fn set_from_errno(name: &str, ty: *mut PyObject, filename: Option<PyObjectRef>, filename2: Option<PyObjectRef>) -> *mut PyObject {
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    api(name, |vm| -> PyResult<*mut PyObject> {
        let msg = if errno != 0 {
            // SAFETY: strerror returns a NUL-terminated string.
            unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno)) }.to_string_lossy().into_owned()
        } else {
            "Error".to_owned()
        };
        let mut args: Vec<PyObjectRef> = vec![vm.ctx.new_int(errno).into(), vm.ctx.new_str(msg).into()];
        if let Some(f) = filename {
            args.push(f);
            if let Some(f2) = filename2 {
                args.push(vm.ctx.none());
                args.push(f2);
            }
        }
        set_from(vm, ty, Some(vm.ctx.new_tuple(args).into()))?;
        Ok(std::ptr::null_mut())
    })
}

/// Always NULL, with `ty(errno, strerror(errno))` raised.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetFromErrno(ty: *mut PyObject) -> *mut PyObject {
    set_from_errno("PyErr_SetFromErrno", ty, None, None)
}

/// Always NULL, with `ty(errno, strerror(errno), filename)` raised (NULL filename: none).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetFromErrnoWithFilenameObject(ty: *mut PyObject, filename: *mut PyObject) -> *mut PyObject {
    PyErr_SetFromErrnoWithFilenameObjects(ty, filename, std::ptr::null_mut())
}

/// Always NULL, with `ty(errno, strerror(errno), filename, None, filename2)` raised.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetFromErrnoWithFilenameObjects(ty: *mut PyObject, filename: *mut PyObject, filename2: *mut PyObject) -> *mut PyObject {
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let objs = api_noerr("PyErr_SetFromErrnoWithFilenameObjects", None, |vm| {
        Some((opt_obj(vm, filename).ok()?, opt_obj(vm, filename2).ok()?))
    });
    // Converting the filenames must not clobber errno.
    // SAFETY: errno location of this thread.
    unsafe { *libc::__errno_location() = errno };
    let (f1, f2) = objs.unwrap_or((None, None));
    set_from_errno("PyErr_SetFromErrnoWithFilenameObjects", ty, f1, f2)
}

/// Always NULL, with `ty(errno, strerror(errno), filename)` raised; the
/// filename is decoded with the filesystem encoding (NULL: none).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetFromErrnoWithFilename(ty: *mut PyObject, filename: *const c_char) -> *mut PyObject {
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    // SAFETY: a NUL-terminated C string when not NULL.
    let name = (!filename.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(filename) }.to_bytes().to_vec());
    let obj = name.and_then(|b| {
        api_noerr("PyErr_SetFromErrnoWithFilename", None, |vm| {
            let s = vm.ctx.new_bytes(b);
            vm.import("os", 0).ok()?.get_attr("fsdecode", vm).ok()?.call((s,), vm).ok()
        })
    });
    // SAFETY: errno location of this thread.
    unsafe { *libc::__errno_location() = errno };
    set_from_errno("PyErr_SetFromErrnoWithFilename", ty, obj, None)
}

// ---- UnicodeDecodeError / UnicodeEncodeError / UnicodeTranslateError ---------------

/// New `UnicodeDecodeError(encoding, object[:length], start, end, reason)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeDecodeError_Create(
    encoding: *const c_char,
    object: *const c_char,
    length: Py_ssize_t,
    start: Py_ssize_t,
    end: Py_ssize_t,
    reason: *const c_char,
) -> *mut PyObject {
    new_ref("PyUnicodeDecodeError_Create", |vm| {
        let obj = vm.ctx.new_bytes(super::bytes_arg(vm, object, length)?.to_vec());
        let args: Vec<PyObjectRef> = vec![
            vm.ctx.new_str(cstr(vm, encoding)?).into(),
            obj.into(),
            vm.ctx.new_int(start).into(),
            vm.ctx.new_int(end).into(),
            vm.ctx.new_str(cstr(vm, reason)?).into(),
        ];
        vm.ctx.exceptions.unicode_decode_error.as_object().call(args, vm)
    })
}

/// An attribute of a Unicode error that must be of one type (`bytes` or `str`).
fn uerr_attr(vm: &VirtualMachine, exc: *mut PyObject, attr: &'static str, want_bytes: bool) -> PyResult<PyObjectRef> {
    let v = rp(vm, exc)?.get_attr(attr, vm)?;
    let ok = if want_bytes { v.downcast_ref::<rustpython_vm::builtins::PyBytes>().is_some() } else { v.downcast_ref::<rustpython_vm::builtins::PyStr>().is_some() };
    if !ok {
        return Err(type_error(vm, format!("{attr} attribute must be {}", if want_bytes { "bytes" } else { "unicode" })));
    }
    Ok(v)
}

fn uerr_len(vm: &VirtualMachine, exc: *mut PyObject, bytes: bool) -> PyResult<isize> {
    Ok(uerr_attr(vm, exc, "object", bytes)?.length(vm)? as isize)
}

fn uerr_index(vm: &VirtualMachine, exc: *mut PyObject, attr: &'static str) -> PyResult<isize> {
    let v = rp(vm, exc)?.get_attr(attr, vm)?;
    Ok(isize::try_from(v.try_index(vm)?.as_bigint()).unwrap_or(isize::MAX))
}

/// `start` clamped into the object (CPython 3.14: `[0, len-1]`, 0 when empty).
fn uerr_get_start(vm: &VirtualMachine, exc: *mut PyObject, bytes: bool, out: *mut Py_ssize_t) -> PyResult<c_int> {
    let len = uerr_len(vm, exc, bytes)?;
    let s = uerr_index(vm, exc, "start")?.max(0);
    let s = if s >= len { (len - 1).max(0) } else { s };
    // SAFETY: out is a valid pointer.
    unsafe { *out = s };
    Ok(0)
}

/// `end` clamped into the object (CPython 3.14: `[1, len]`, 0 when empty).
fn uerr_get_end(vm: &VirtualMachine, exc: *mut PyObject, bytes: bool, out: *mut Py_ssize_t) -> PyResult<c_int> {
    let len = uerr_len(vm, exc, bytes)?;
    let e = uerr_index(vm, exc, "end")?.max(1).min(len);
    // SAFETY: out is a valid pointer.
    unsafe { *out = e };
    Ok(0)
}

fn uerr_set(vm: &VirtualMachine, exc: *mut PyObject, attr: &'static str, v: PyObjectRef) -> PyResult<c_int> {
    rp(vm, exc)?.set_attr(attr, v, vm)?;
    Ok(0)
}

/// The getters and setters of one Unicode error class; `bytes`: its
/// `object` is bytes (decode errors) rather than str.
macro_rules! unicode_error_api {
    ($bytes:expr, $get_start:ident, $get_end:ident, $set_start:ident, $set_end:ident, $get_object:ident, $get_reason:ident, $set_reason:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $get_start(exc: *mut PyObject, start: *mut Py_ssize_t) -> c_int {
            api(stringify!($get_start), |vm| uerr_get_start(vm, exc, $bytes, start))
        }
        #[unsafe(no_mangle)]
        pub extern "C" fn $get_end(exc: *mut PyObject, end: *mut Py_ssize_t) -> c_int {
            api(stringify!($get_end), |vm| uerr_get_end(vm, exc, $bytes, end))
        }
        #[unsafe(no_mangle)]
        pub extern "C" fn $set_start(exc: *mut PyObject, start: Py_ssize_t) -> c_int {
            api(stringify!($set_start), |vm| uerr_set(vm, exc, "start", vm.ctx.new_int(start).into()))
        }
        #[unsafe(no_mangle)]
        pub extern "C" fn $set_end(exc: *mut PyObject, end: Py_ssize_t) -> c_int {
            api(stringify!($set_end), |vm| uerr_set(vm, exc, "end", vm.ctx.new_int(end).into()))
        }
        /// New reference to the `object` attribute.
        #[unsafe(no_mangle)]
        pub extern "C" fn $get_object(exc: *mut PyObject) -> *mut PyObject {
            new_ref(stringify!($get_object), |vm| uerr_attr(vm, exc, "object", $bytes))
        }
        /// New reference to the `reason` attribute.
        #[unsafe(no_mangle)]
        pub extern "C" fn $get_reason(exc: *mut PyObject) -> *mut PyObject {
            new_ref(stringify!($get_reason), |vm| uerr_attr(vm, exc, "reason", false))
        }
        #[unsafe(no_mangle)]
        pub extern "C" fn $set_reason(exc: *mut PyObject, reason: *const c_char) -> c_int {
            api(stringify!($set_reason), |vm| uerr_set(vm, exc, "reason", vm.ctx.new_str(cstr(vm, reason)?).into()))
        }
    };
}

unicode_error_api!(
    true,
    PyUnicodeDecodeError_GetStart,
    PyUnicodeDecodeError_GetEnd,
    PyUnicodeDecodeError_SetStart,
    PyUnicodeDecodeError_SetEnd,
    PyUnicodeDecodeError_GetObject,
    PyUnicodeDecodeError_GetReason,
    PyUnicodeDecodeError_SetReason
);
unicode_error_api!(
    false,
    PyUnicodeEncodeError_GetStart,
    PyUnicodeEncodeError_GetEnd,
    PyUnicodeEncodeError_SetStart,
    PyUnicodeEncodeError_SetEnd,
    PyUnicodeEncodeError_GetObject,
    PyUnicodeEncodeError_GetReason,
    PyUnicodeEncodeError_SetReason
);
unicode_error_api!(
    false,
    PyUnicodeTranslateError_GetStart,
    PyUnicodeTranslateError_GetEnd,
    PyUnicodeTranslateError_SetStart,
    PyUnicodeTranslateError_SetEnd,
    PyUnicodeTranslateError_GetObject,
    PyUnicodeTranslateError_GetReason,
    PyUnicodeTranslateError_SetReason
);

/// New reference to the `encoding` attribute of a decode error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeDecodeError_GetEncoding(exc: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicodeDecodeError_GetEncoding", |vm| uerr_attr(vm, exc, "encoding", false))
}

/// New reference to the `encoding` attribute of an encode error.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnicodeEncodeError_GetEncoding(exc: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnicodeEncodeError_GetEncoding", |vm| uerr_attr(vm, exc, "encoding", false))
}

// ---- the handled exception (`sys.exception()`) and interrupts ------------------------

/// New reference to the exception being handled (`sys.exception()`), or NULL
/// (no error set) when there is none.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_GetHandledException() -> *mut PyObject {
    api_noerr("PyErr_GetHandledException", std::ptr::null_mut(), |vm| {
        vm.current_exception().map_or(std::ptr::null_mut(), |e| bridge::to_c(vm, e.as_object()))
    })
}

/// Sets the exception being handled to `exc` (NULL or None: none).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetHandledException(exc: *mut PyObject) {
    api("PyErr_SetHandledException", |vm| {
        let e = opt_obj(vm, exc)?.map(|o| o.downcast::<PyBaseException>()).transpose().map_err(|_| type_error(vm, "must be an exception"))?;
        vm.set_exception(e);
        Ok(())
    })
}

/// `sys.exc_info()` as three new references (NULLs when nothing is handled).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_GetExcInfo(ptype: *mut *mut PyObject, pvalue: *mut *mut PyObject, ptb: *mut *mut PyObject) {
    api_noerr("PyErr_GetExcInfo", (), |vm| {
        let (t, v, tb) = match vm.current_exception() {
            Some(e) => {
                let tb = e.__traceback__().map(|t| t.into());
                (Some(e.class().to_owned().into()), Some(e.clone().into()), tb)
            }
            None => (None, None, None),
        };
        let out = |o: Option<PyObjectRef>| o.map_or(std::ptr::null_mut(), |o| bridge::to_c(vm, &o));
        // SAFETY: valid out pointers.
        unsafe {
            *ptype = out(t);
            *pvalue = out(v);
            *ptb = out(tb);
        }
    })
}

/// Sets the handled exception to `value` (stolen, as are `ty` and `tb`,
/// which CPython 3.11+ ignores as well).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_SetExcInfo(ty: *mut PyObject, value: *mut PyObject, tb: *mut PyObject) {
    PyErr_SetHandledException(value);
    // SAFETY: the three references were stolen.
    unsafe {
        bridge::xdecref(ty);
        bridge::xdecref(value);
        bridge::xdecref(tb);
    }
}

/// The `tp_name` of exception class `cls` (borrowed C string).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyExceptionClass_Name(cls: *mut PyObject) -> *const c_char {
    // SAFETY: cls is a type object (CPython does not check either).
    unsafe { (*cls.cast::<PyTypeObject>()).tp_name }
}

/// Simulates the arrival of `signum` (`_thread.interrupt_main`): the Python
/// handler runs at the main thread's next check. 0, or -1 for an invalid
/// signal number (no exception set).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetInterruptEx(signum: c_int) -> c_int {
    if !(1..64).contains(&signum) {
        return -1;
    }
    api_noerr("PyErr_SetInterruptEx", -1, |vm| {
        let r = vm.import("_thread", 0).and_then(|t| t.get_attr("interrupt_main", vm)).and_then(|f| f.call((signum,), vm));
        match r {
            Ok(_) => 0,
            // An ignored or default handler: nothing to run, as in CPython.
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.value_error) => 0,
            Err(_) => -1,
        }
    })
}

/// `PyErr_SetInterruptEx(SIGINT)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetInterrupt() {
    PyErr_SetInterruptEx(libc::SIGINT);
}

// ---- syntax error locations and program text ------------------------------------------------

/// Line `lineno` (1-based) of file `filename`, decoded as UTF-8 with
/// "replace", with its line ending; `None` if the file or line is missing.
fn program_text(vm: &VirtualMachine, filename: &PyObjectRef, lineno: c_int) -> Option<PyObjectRef> {
    if lineno <= 0 {
        return None;
    }
    let path = filename.downcast_ref::<rustpython_vm::builtins::PyStr>()?.to_str()?.to_owned();
    let data = std::fs::read(path).ok()?;
    let line = data.split_inclusive(|&c| c == b'\n').nth(lineno as usize - 1)?;
    Some(vm.ctx.new_str(String::from_utf8_lossy(line).into_owned()).into())
}

/// New reference to line `lineno` of the file named by `filename` (a str),
/// or NULL (no exception set) if it cannot be read.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_ProgramTextObject(filename: *mut PyObject, lineno: c_int) -> *mut PyObject {
    program_text_c("PyErr_ProgramTextObject", filename.is_null(), lineno, |vm| rp(vm, filename).ok())
}

/// `PyErr_ProgramTextObject` for a C file name.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_ProgramText(filename: *const c_char, lineno: c_int) -> *mut PyObject {
    program_text_c("PyErr_ProgramText", filename.is_null(), lineno, |vm| cstr(vm, filename).ok().map(|f| vm.ctx.new_str(f).into()))
}

/// The body of both `PyErr_ProgramText*`: NULL (no exception) for a NULL
/// name, a line number below 1, or a line that cannot be read.
fn program_text_c(name: &str, null: bool, lineno: c_int, filename: impl FnOnce(&VirtualMachine) -> Option<PyObjectRef>) -> *mut PyObject {
    if null || lineno <= 0 {
        return std::ptr::null_mut();
    }
    api_noerr(name, std::ptr::null_mut(), |vm| {
        filename(vm).and_then(|f| program_text(vm, &f, lineno)).map_or(std::ptr::null_mut(), |t| bridge::to_c(vm, &t))
    })
}

/// Sets the location attributes of the current exception (a SyntaxError,
/// normally): `lineno`, `offset`, `end_lineno`, `end_offset` (None when
/// negative), and with a filename `filename` and `text`; non-SyntaxError
/// exceptions also get `msg` and `print_file_and_line` if missing. Failures
/// to set an attribute are ignored, as in CPython.
fn syntax_location(vm: &VirtualMachine, filename: Option<PyObjectRef>, lineno: c_int, col: c_int, end_lineno: c_int, end_col: c_int) {
    let Some(e) = errors::take() else { return };
    let o = e.as_object();
    let int_or_none = |v: c_int| if v >= 0 { vm.ctx.new_int(v).into() } else { vm.ctx.none() };
    let _ = o.set_attr("lineno", vm.ctx.new_int(lineno), vm);
    let _ = o.set_attr("offset", int_or_none(col), vm);
    let _ = o.set_attr("end_lineno", int_or_none(end_lineno), vm);
    let _ = o.set_attr("end_offset", int_or_none(end_col), vm);
    if let Some(f) = filename {
        let _ = o.set_attr("filename", f.clone(), vm);
        if let Some(t) = program_text(vm, &f, lineno) {
            let _ = o.set_attr("text", t, vm);
        }
    }
    if !e.class().is(vm.ctx.exceptions.syntax_error) {
        if matches!(vm.get_attribute_opt(o, "msg"), Ok(None)) {
            if let Ok(s) = o.str(vm) {
                let _ = o.set_attr("msg", s, vm);
            }
        }
        if matches!(vm.get_attribute_opt(o, "print_file_and_line"), Ok(None)) {
            let _ = o.set_attr("print_file_and_line", vm.ctx.none(), vm);
        }
    }
    errors::set(e);
}

/// Adds a location `lineno`..`end_lineno`, `col_offset`..`end_col_offset`
/// (negative: None) in `filename` (borrowed, may be NULL) to the current exception.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_RangedSyntaxLocationObject(filename: *mut PyObject, lineno: c_int, col_offset: c_int, end_lineno: c_int, end_col_offset: c_int) {
    api_noerr("PyErr_RangedSyntaxLocationObject", (), |vm| {
        let f = if filename.is_null() { None } else { rp(vm, filename).ok() };
        syntax_location(vm, f, lineno, col_offset, end_lineno, end_col_offset)
    })
}

/// `PyErr_RangedSyntaxLocationObject(filename, lineno, col_offset, lineno, -1)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SyntaxLocationObject(filename: *mut PyObject, lineno: c_int, col_offset: c_int) {
    PyErr_RangedSyntaxLocationObject(filename, lineno, col_offset, lineno, -1)
}

/// `PyErr_SyntaxLocationObject` for a C file name (may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SyntaxLocationEx(filename: *const c_char, lineno: c_int, col_offset: c_int) {
    api_noerr("PyErr_SyntaxLocationEx", (), |vm| {
        let f = if filename.is_null() { None } else { cstr(vm, filename).ok().map(|s| vm.ctx.new_str(s).into()) };
        syntax_location(vm, f, lineno, col_offset, lineno, -1)
    })
}

/// `PyErr_SyntaxLocationEx(filename, lineno, -1)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SyntaxLocation(filename: *const c_char, lineno: c_int) {
    PyErr_SyntaxLocationEx(filename, lineno, -1)
}

// ---- ImportError -----------------------------------------------------------------------------

/// Raises `exception(msg, name=name, path=path)` (an ImportError subclass;
/// NULL name/path: None); always returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetImportErrorSubclass(exception: *mut PyObject, msg: *mut PyObject, name: *mut PyObject, path: *mut PyObject) -> *mut PyObject {
    api("PyErr_SetImportErrorSubclass", |vm| {
        let ty = rp(vm, exception)?;
        let ok = ty.downcast_ref::<PyType>().is_some_and(|t| t.fast_issubclass(vm.ctx.exceptions.import_error));
        if !ok {
            return Err(type_error(vm, "expected a subclass of ImportError"));
        }
        if msg.is_null() {
            return Err(type_error(vm, "expected a message argument"));
        }
        let m = rp(vm, msg)?;
        let kw = rustpython_vm::function::KwArgs::from_iter([("name".to_owned(), opt_obj(vm, name)?.unwrap_or_else(|| vm.ctx.none())), ("path".to_owned(), opt_obj(vm, path)?.unwrap_or_else(|| vm.ctx.none()))]);
        let e = super::py(vm, || ty.call(rustpython_vm::function::FuncArgs::new(vec![m], kw), vm))?;
        let e = e.downcast::<PyBaseException>().map_err(|_| type_error(vm, "calling the exception type did not return an exception"))?;
        Err::<*mut PyObject, _>(e)
    })
}

/// `PyErr_SetImportErrorSubclass(PyExc_ImportError, msg, name, path)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_SetImportError(msg: *mut PyObject, name: *mut PyObject, path: *mut PyObject) -> *mut PyObject {
    let ie = api_noerr("PyErr_SetImportError", std::ptr::null_mut(), |vm| bridge::type_ptr(vm, vm.ctx.exceptions.import_error).cast());
    PyErr_SetImportErrorSubclass(ie, msg, name, path)
}

// ---- unraisable exceptions ---------------------------------------------------------------------

/// Reports the current exception through `sys.unraisablehook` with a message
/// formatted as `PyUnicode_FromFormat` (NULL format: the default message)
/// and clears it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_FormatUnraisable(format: *const c_char, args: ...) {
    let msg = if format.is_null() {
        std::ptr::null_mut()
    } else {
        // Formatting must not disturb the exception being reported.
        let saved = errors::take();
        // SAFETY: the caller's arguments match the format.
        let m = unsafe { super::modsupport::PyUnicode_FromFormatV(format, args) };
        errors::restore(saved);
        m
    };
    api_noerr("PyErr_FormatUnraisable", (), |vm| {
        let text = if msg.is_null() { None } else { rp(vm, msg).ok().and_then(|m| m.str(vm).ok()).map(|s| s.as_wtf8().to_string()) };
        if let Some(e) = errors::take() {
            vm.run_unraisable(e, text, vm.ctx.none());
        }
    });
    // SAFETY: the reference the formatter made.
    unsafe { bridge::xdecref(msg) };
}

// ---- except* -------------------------------------------------------------------------------

const PREP_RERAISE_STAR: &str = r#"
def _prep_reraise_star(orig, excs):
    if not excs:
        return None
    if not isinstance(orig, BaseExceptionGroup):
        return excs[0]
    def same(a, b):
        return (getattr(a, '__notes__', None) is getattr(b, '__notes__', None)
                and a.__traceback__ is b.__traceback__
                and a.__cause__ is b.__cause__ and a.__context__ is b.__context__)
    def leaf_ids(e, ids):
        if isinstance(e, BaseExceptionGroup):
            for x in e.exceptions:
                leaf_ids(x, ids)
        else:
            ids.add(id(e))
    raised, reraised = [], []
    for e in excs:
        if e is None:
            continue
        (reraised if same(e, orig) else raised).append(e)
    if reraised:
        ids = set()
        for e in reraised:
            leaf_ids(e, ids)
        reraised_eg = orig.split(lambda leaf: id(leaf) in ids)[0]
    else:
        reraised_eg = None
    if not raised:
        return reraised_eg
    if reraised_eg is not None:
        raised.append(reraised_eg)
    if len(raised) > 1:
        return ExceptionGroup("", raised)
    return raised[0]
"#;

static PREP: parking_lot::Mutex<Option<PyObjectRef>> = parking_lot::Mutex::new(None);

/// New reference to the exception an `except*` statement re-raises, given
/// the caught `orig` (raised, so with a traceback) and the list `excs` of
/// exceptions (or None) its clauses raised or re-raised; None if nothing.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Exc_PrepReraiseStar(orig: *mut PyObject, excs: *mut PyObject) -> *mut PyObject {
    new_ref("PyUnstable_Exc_PrepReraiseStar", |vm| {
        let o = if orig.is_null() { None } else { rp(vm, orig)?.downcast::<PyBaseException>().ok() };
        let o = o.ok_or_else(|| type_error(vm, "orig must be an exception instance"))?;
        let l = if excs.is_null() { None } else { rp(vm, excs)?.downcast::<rustpython_vm::builtins::PyList>().ok() };
        let l = l.ok_or_else(|| type_error(vm, "excs must be a list of exception instances"))?;
        for (i, x) in l.borrow_vec().iter().enumerate() {
            if !(vm.is_none(x) || x.downcast_ref::<PyBaseException>().is_some()) {
                return Err(type_error(vm, format!("item {i} of excs is not an exception")));
            }
        }
        if o.__traceback__().is_none() {
            return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, "orig must be a raised exception"));
        }
        let cached = PREP.lock().clone();
        let f = match cached {
            Some(f) => f,
            None => {
                let scope = vm.new_scope_with_builtins();
                vm.run_string(scope.clone(), PREP_RERAISE_STAR, "<except*>")?;
                let f = scope.globals.get_item("_prep_reraise_star", vm)?;
                *PREP.lock() = Some(f.clone());
                f
            }
        };
        super::py(vm, || f.call((o, l), vm))
    })
}

// ---- interpreter errors ------------------------------------------------------------------------

/// `concurrent.interpreters.InterpreterError` (CPython 3.14; RustPython has
/// no subinterpreters, so nothing raises it, but C can test and raise it).
#[unsafe(no_mangle)]
pub static mut PyExc_InterpreterError: *mut PyObject = std::ptr::null_mut();
/// `concurrent.interpreters.InterpreterNotFoundError` (an InterpreterError).
#[unsafe(no_mangle)]
pub static mut PyExc_InterpreterNotFoundError: *mut PyObject = std::ptr::null_mut();

/// Makes the two interpreter exception classes; called once at install.
pub(crate) fn install_interpreter_errors(vm: &VirtualMachine) {
    let make = |name: &str, base: PyObjectRef| -> Option<PyObjectRef> {
        let ns = vm.ctx.new_dict();
        ns.set_item("__module__", vm.ctx.new_str("concurrent.interpreters").into(), vm).ok()?;
        vm.ctx.types.type_type.as_object().call((name, vm.ctx.new_tuple(vec![base]), ns), vm).ok()
    };
    let Some(ie) = make("InterpreterError", vm.ctx.exceptions.exception_type.to_owned().into()) else { return };
    let Some(nf) = make("InterpreterNotFoundError", ie.clone()) else { return };
    // SAFETY: written once at install, before any extension is loaded; type
    // objects are immortal, so the pointers stay valid.
    unsafe {
        PyExc_InterpreterError = bridge::to_c(vm, &ie);
        PyExc_InterpreterNotFoundError = bridge::to_c(vm, &nf);
    }
}
