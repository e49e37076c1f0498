//! `ceval.h`: `PyEval_*` (frames, globals, evaluation), recursion guards.

use rustpython_vm::builtins::{PyDict, PyTuple};
use rustpython_vm::function::{FuncArgs, KwArgs};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, TryFromObject, VirtualMachine};
use std::ffi::{CString, VaList, c_char, c_int};

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, api_noerr, not_implemented, system_error, type_error};

/// The Python frame executing on this thread (C functions push none).
fn current_frame(vm: &VirtualMachine) -> Option<PyObjectRef> {
    rustpython_vm::frame::current_thread_frame_materialize(vm).map(Into::into)
}

thread_local! {
    /// References this thread holds for the borrowed frames and locals
    /// snapshots it returned, most recent last.
    static RECENT: std::cell::RefCell<std::collections::VecDeque<usize>> = const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// How many borrowed frames / locals dicts stay valid per thread.
const RECENT_KEPT: usize = 64;

/// A borrowed reference to `obj` for a short-lived object (a frame, a locals
/// snapshot): the thread holds it until `RECENT_KEPT` more have been
/// returned, so that a loop calling `PyEval_GetFrame` keeps nothing alive
/// for long. CPython's is valid while the frame runs; C keeps it no longer.
fn borrow_recent(vm: &VirtualMachine, obj: &PyObjectRef) -> *mut PyObject {
    let p = bridge::to_c(vm, obj);
    let old = RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(i) = r.iter().position(|&q| q == p as usize) {
            // Already held: move it to the back, give back to_c's reference.
            r.remove(i);
            r.push_back(p as usize);
            return Some(p as usize);
        }
        r.push_back(p as usize);
        if r.len() > RECENT_KEPT { r.pop_front() } else { None }
    });
    if let Some(o) = old {
        // SAFETY: a reference the ring held, or to_c's extra one.
        unsafe { bridge::decref(o as *mut PyObject) };
    }
    p
}

/// Borrowed reference to the current frame, or NULL (no exception).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetFrame() -> *mut PyObject {
    api_noerr("PyEval_GetFrame", std::ptr::null_mut(), |vm| current_frame(vm).map_or(std::ptr::null_mut(), |f| borrow_recent(vm, &f)))
}

fn frame_builtins(vm: &VirtualMachine) -> PyObjectRef {
    let b = current_frame(vm).and_then(|f| f.get_attr("f_builtins", vm).ok());
    b.unwrap_or_else(|| vm.builtins.dict().into())
}

/// Borrowed reference to the current frame's builtins (the interpreter's if no frame runs).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetBuiltins() -> *mut PyObject {
    api("PyEval_GetBuiltins", |vm| Ok(bridge::borrow_for_thread(vm, &frame_builtins(vm))))
}

/// New reference to the current frame's builtins (the interpreter's if no frame runs).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetFrameBuiltins() -> *mut PyObject {
    new_ref("PyEval_GetFrameBuiltins", |vm| Ok(frame_builtins(vm)))
}

/// Borrowed reference to the current frame's globals, or NULL (no exception).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetGlobals() -> *mut PyObject {
    api_noerr("PyEval_GetGlobals", std::ptr::null_mut(), |vm| {
        current_frame(vm).and_then(|f| f.get_attr("f_globals", vm).ok()).map_or(std::ptr::null_mut(), |g| bridge::borrow_for_thread(vm, &g))
    })
}

/// New reference to the current frame's globals, or NULL (no exception).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetFrameGlobals() -> *mut PyObject {
    api_noerr("PyEval_GetFrameGlobals", std::ptr::null_mut(), |vm| {
        current_frame(vm).and_then(|f| f.get_attr("f_globals", vm).ok()).map_or(std::ptr::null_mut(), |g| bridge::to_c_transient(vm, &g))
    })
}

/// `locals()` of the current frame: a dict (a snapshot for a function's frame).
pub(crate) fn frame_locals(vm: &VirtualMachine) -> PyResult<Option<PyObjectRef>> {
    let Some(f) = current_frame(vm) else { return Ok(None) };
    let l = super::py(vm, || f.get_attr("f_locals", vm))?;
    if l.downcast_ref::<PyDict>().is_some() {
        return Ok(Some(l));
    }
    Ok(Some(super::py(vm, || vm.ctx.types.dict_type.as_object().call((l,), vm))?))
}

/// Borrowed reference to the current frame's locals; SystemError if no frame runs.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetLocals() -> *mut PyObject {
    api("PyEval_GetLocals", |vm| match frame_locals(vm)? {
        Some(l) => Ok(borrow_recent(vm, &l)),
        None => Err(system_error(vm, "frame does not exist")),
    })
}

/// New reference to `locals()` of the current frame, or NULL (no exception) if none runs.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetFrameLocals() -> *mut PyObject {
    api("PyEval_GetFrameLocals", |vm| Ok(frame_locals(vm)?.map_or(std::ptr::null_mut(), |l| bridge::to_c_transient(vm, &l))))
}

/// `globals` as a dict, `locals` as a mapping (NULL: the globals).
fn scope_args(vm: &VirtualMachine, globals: *mut PyObject, locals: *mut PyObject) -> PyResult<(PyObjectRef, PyObjectRef)> {
    let g = rp(vm, globals)?;
    if g.downcast_ref::<PyDict>().is_none() {
        return Err(system_error(vm, "bad argument to internal function"));
    }
    let l = if locals.is_null() { g.clone() } else { rp(vm, locals)? };
    Ok((g, l))
}

/// Runs `code` in `globals` / `locals` (as CPython, without adding
/// `__builtins__` to the globals).
fn run_code(vm: &VirtualMachine, code: rustpython_vm::PyRef<rustpython_vm::builtins::PyCode>, g: PyObjectRef, l: PyObjectRef) -> PyResult {
    let g = g.downcast::<PyDict>().map_err(|_| system_error(vm, "bad argument to internal function"))?;
    let l = rustpython_vm::function::ArgMapping::try_from_object(vm, l)?;
    super::py(vm, || vm.run_code_obj(code, rustpython_vm::scope::Scope::new(Some(l), g)))
}

/// New reference to the result of running code object `co` in `globals` / `locals`.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_EvalCode(co: *mut PyObject, globals: *mut PyObject, locals: *mut PyObject) -> *mut PyObject {
    new_ref("PyEval_EvalCode", |vm| {
        let code = super::codeobject::code_arg(vm, co)?;
        let (g, l) = scope_args(vm, globals, locals)?;
        run_code(vm, code, g, l)
    })
}

/// `n` borrowed objects at `p` (NULL when `n` is 0).
fn objs(vm: &VirtualMachine, p: *const *mut PyObject, n: c_int) -> PyResult<Vec<PyObjectRef>> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(system_error(vm, "bad argument to internal function"));
    }
    // SAFETY: C passes n readable object pointers.
    unsafe { std::slice::from_raw_parts(p, n as usize) }.iter().map(|&o| rp(vm, o)).collect()
}

/// New reference to the result of running `co` with arguments, keyword
/// arguments (`kwcount` name/value pairs), defaults and closure, as a call
/// of a function made from it.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_EvalCodeEx(
    co: *mut PyObject,
    globals: *mut PyObject,
    locals: *mut PyObject,
    args: *const *mut PyObject,
    argcount: c_int,
    kws: *const *mut PyObject,
    kwcount: c_int,
    defs: *const *mut PyObject,
    defcount: c_int,
    kwdefs: *mut PyObject,
    closure: *mut PyObject,
) -> *mut PyObject {
    new_ref("PyEval_EvalCodeEx", |vm| {
        let code = super::codeobject::code_arg(vm, co)?;
        let (g, l) = scope_args(vm, globals, locals)?;
        let args = objs(vm, args, argcount)?;
        let kws = objs(vm, kws, kwcount.saturating_mul(2))?;
        let defs = objs(vm, defs, defcount)?;
        let newlocals = code.as_object().get_attr("co_flags", vm)?.try_to_value::<u32>(vm)? & 0x2 != 0;
        if !newlocals && args.is_empty() && kws.is_empty() && closure.is_null() {
            return run_code(vm, code, g, l);
        }
        let mut opts: Vec<(rustpython_vm::common::wtf8::Wtf8Buf, PyObjectRef)> = Vec::new();
        if !defs.is_empty() {
            opts.push(("argdefs".into(), vm.ctx.new_tuple(defs).into()));
        }
        if !closure.is_null() {
            opts.push(("closure".into(), rp(vm, closure)?));
        }
        if !kwdefs.is_null() {
            opts.push(("kwdefaults".into(), rp(vm, kwdefs)?));
        }
        let fargs = FuncArgs::new(vec![code.into(), g], opts.into_iter().collect::<KwArgs>());
        let f = super::py(vm, || vm.ctx.types.function_type.as_object().call(fargs, vm))?;
        let mut items = Vec::new();
        for pair in kws.chunks(2) {
            items.push((kw_name(vm, &pair[0])?, pair[1].clone()));
        }
        let kwargs: KwArgs = items.into_iter().collect();
        super::py(vm, || f.call(FuncArgs::new(args, kwargs), vm))
    })
}

/// A keyword argument's name.
fn kw_name(vm: &VirtualMachine, k: &PyObjectRef) -> PyResult<rustpython_vm::common::wtf8::Wtf8Buf> {
    let k = k.downcast_ref::<rustpython_vm::builtins::PyStr>().ok_or_else(|| type_error(vm, "keywords must be strings"))?;
    Ok(k.as_wtf8().to_owned())
}

/// New reference to `callable(*args, **kwargs)`; `args` must be a tuple
/// (NULL: none), `kwargs` a dict or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_CallObjectWithKeywords(callable: *mut PyObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject {
    new_ref("PyEval_CallObjectWithKeywords", |vm| {
        let f = rp(vm, callable)?;
        let a = if args.is_null() { vm.ctx.empty_tuple.clone().into() } else { rp(vm, args)? };
        let Some(t) = a.downcast_ref::<PyTuple>() else {
            return Err(type_error(vm, "argument list must be a tuple"));
        };
        let mut kw = KwArgs::default();
        if !kwargs.is_null() {
            let d = rp(vm, kwargs)?;
            let Some(d) = d.downcast_ref::<PyDict>() else {
                return Err(type_error(vm, "keyword list must be a dictionary"));
            };
            let mut items = Vec::new();
            for (k, v) in d {
                items.push((kw_name(vm, &k)?, v));
            }
            kw = items.into_iter().collect();
        }
        let fa = FuncArgs::new(t.as_slice().to_vec(), kw);
        super::py(vm, || f.call(fa, vm))
    })
}

unsafe extern "C" {
    fn pf_call_function_v(callable: *mut PyObject, format: *const c_char, va: VaList<'_>) -> *mut PyObject;
    fn pf_call_method_v(obj: *mut PyObject, name: *const c_char, format: *const c_char, va: VaList<'_>) -> *mut PyObject;
}

/// New reference to `callable(*Py_BuildValue(format, ...))`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEval_CallFunction(callable: *mut PyObject, format: *const c_char, args: ...) -> *mut PyObject {
    // SAFETY: the worker reads the arguments the format describes.
    unsafe { pf_call_function_v(callable, format, args) }
}

/// New reference to `obj.name(*Py_BuildValue(format, ...))`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEval_CallMethod(obj: *mut PyObject, name: *const c_char, format: *const c_char, args: ...) -> *mut PyObject {
    // SAFETY: the worker reads the arguments the format describes.
    unsafe { pf_call_method_v(obj, name, format, args) }
}

/// NUL-terminated copies of the names `PyEval_GetFuncName` returns, kept for
/// the process's life (CPython's point into the object; ours must outlive it).
static NAMES: std::sync::LazyLock<parking_lot::Mutex<std::collections::HashMap<String, CString>>> = std::sync::LazyLock::new(Default::default);

fn static_cstr(s: &str) -> *const c_char {
    let mut m = NAMES.lock();
    m.entry(s.to_owned()).or_insert_with(|| CString::new(s.replace('\0', "")).unwrap_or_default()).as_ptr()
}

/// What `func` is, for [`PyEval_GetFuncName`] and [`PyEval_GetFuncDesc`].
enum FuncKind {
    Function(String),
    Other(String),
}

fn func_kind(vm: &VirtualMachine, f: &PyObjectRef) -> FuncKind {
    let z = &vm.ctx.types;
    let mut f = f.clone();
    if f.class().is(z.bound_method_type) {
        if let Ok(inner) = f.get_attr("__func__", vm) {
            f = inner;
        }
    }
    let name = || f.get_attr("__name__", vm).ok().map(|n| n.str(vm).map(|s| s.to_string()).unwrap_or_default()).unwrap_or_default();
    if f.class().is(z.function_type) || f.class().is(z.builtin_function_or_method_type) {
        FuncKind::Function(name())
    } else {
        FuncKind::Other(f.class().slot_name().to_string())
    }
}

/// The name of a function or method, else of the object's type (static storage).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetFuncName(func: *mut PyObject) -> *const c_char {
    api_noerr("PyEval_GetFuncName", std::ptr::null(), |vm| {
        let Ok(f) = rp(vm, func) else { return std::ptr::null() };
        match func_kind(vm, &f) {
            FuncKind::Function(n) | FuncKind::Other(n) => static_cstr(&n),
        }
    })
}

/// `"()"` for functions and methods, `" object"` otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_GetFuncDesc(func: *mut PyObject) -> *const c_char {
    api_noerr("PyEval_GetFuncDesc", c" object".as_ptr(), |vm| {
        let Ok(f) = rp(vm, func) else { return c" object".as_ptr() };
        match func_kind(vm, &f) {
            FuncKind::Function(_) => c"()".as_ptr(),
            FuncKind::Other(_) => c" object".as_ptr(),
        }
    })
}

/// `PyCompilerFlags`.
#[repr(C)]
pub struct PyCompilerFlags {
    pub cf_flags: c_int,
    pub cf_feature_version: c_int,
}

/// `PyCF_MASK`: the `CO_FUTURE_*` flags.
const PYCF_MASK: c_int = 0x20000 | 0x40000 | 0x80000 | 0x100000 | 0x200000 | 0x400000 | 0x800000 | 0x1000000;

/// Adds the current frame's `__future__` flags to `cf`; whether any flag is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEval_MergeCompilerFlags(cf: *mut PyCompilerFlags) -> c_int {
    let code_flags = api_noerr("PyEval_MergeCompilerFlags", 0, |vm| {
        current_frame(vm)
            .and_then(|f| f.get_attr("f_code", vm).ok())
            .and_then(|c| c.get_attr("co_flags", vm).ok())
            .and_then(|c| c.try_to_value::<c_int>(vm).ok())
            .unwrap_or(0)
    });
    // SAFETY: C passes a valid PyCompilerFlags.
    unsafe {
        let mut result = ((*cf).cf_flags != 0) as c_int;
        let f = code_flags & PYCF_MASK;
        if f != 0 {
            result = 1;
            (*cf).cf_flags |= f;
        }
        result
    }
}

/// Stub: a frame from `PyFrame_New` has already run its RustPython body,
/// and RustPython cannot resume an arbitrary frame from C; SystemError.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_EvalFrame(_f: *mut PyObject) -> *mut PyObject {
    api("PyEval_EvalFrame", |vm| Err::<*mut PyObject, _>(not_implemented(vm, "PyEval_EvalFrame")))
}

/// Stub, as [`PyEval_EvalFrame`].
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_EvalFrameEx(_f: *mut PyObject, _throwflag: c_int) -> *mut PyObject {
    api("PyEval_EvalFrameEx", |vm| Err::<*mut PyObject, _>(not_implemented(vm, "PyEval_EvalFrameEx")))
}

// ---- recursion guards -----------------------------------------------------------

thread_local! {
    /// Nesting of `Py_EnterRecursiveCall` on this thread.
    static C_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How deep `Py_EnterRecursiveCall` may nest where the native stack guard
/// has not tripped first (CPython 3.13's `Py_C_RECURSION_LIMIT`).
const C_RECURSION_LIMIT: usize = 10_000;

/// Enters a recursive C call: 0, or -1 with `RecursionError("maximum
/// recursion depth exceeded" + where)` when the native stack (RustPython's
/// guard, as CPython 3.14's) or the nesting count runs out.
#[unsafe(no_mangle)]
pub extern "C" fn Py_EnterRecursiveCall(where_: *const c_char) -> c_int {
    api("Py_EnterRecursiveCall", |vm| {
        let too_deep = vm.with_recursion("", || Ok(())).is_err() || C_DEPTH.get() >= C_RECURSION_LIMIT;
        if too_deep {
            let w = if where_.is_null() { String::new() } else { super::cstr(vm, where_)?.to_owned() };
            return Err(vm.new_recursion_error(format!("maximum recursion depth exceeded{w}")));
        }
        C_DEPTH.set(C_DEPTH.get() + 1);
        Ok(0)
    })
}

/// Leaves a recursive C call entered with [`Py_EnterRecursiveCall`].
#[unsafe(no_mangle)]
pub extern "C" fn Py_LeaveRecursiveCall() {
    C_DEPTH.set(C_DEPTH.get().saturating_sub(1));
}

/// The recursion limit (`sys.getrecursionlimit()`).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetRecursionLimit() -> c_int {
    api_noerr("Py_GetRecursionLimit", 0, |vm| vm.recursion_limit.get().min(c_int::MAX as usize) as c_int)
}

/// Sets the recursion limit of the calling thread's interpreter state (RustPython keeps it per thread).
#[unsafe(no_mangle)]
pub extern "C" fn Py_SetRecursionLimit(new_limit: c_int) {
    api_noerr("Py_SetRecursionLimit", (), |vm| vm.recursion_limit.set(new_limit.max(1) as usize))
}
