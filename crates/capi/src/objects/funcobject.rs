//! `funcobject.h`: `PyFunction_*`, `PyClassMethod_New`, `PyStaticMethod_New`.

use rustpython_vm::builtins::{PyDict, PyTuple};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_int, c_void};

use super::codeobject::Watchers;
use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, api_noerr, not_implemented, system_error};

/// `op` as a Python function; SystemError (`PyErr_BadInternalCall`) otherwise.
fn func_arg(vm: &VirtualMachine, op: *mut PyObject) -> PyResult<PyObjectRef> {
    let f = rp(vm, op)?;
    if !f.class().is(vm.ctx.types.function_type) {
        return Err(system_error(vm, "bad argument to internal function"));
    }
    Ok(f)
}

// ---- watchers -----------------------------------------------------------------

static FUNC_WATCHERS: Watchers = Watchers::new("func", "invalid func watcher ID", "no func watcher set for ID");

const EVENT_CREATE: c_int = 0;
const EVENT_MODIFY_DEFAULTS: c_int = 3;
const EVENT_MODIFY_KWDEFAULTS: c_int = 4;

type FuncWatchCallback = unsafe extern "C" fn(c_int, *mut PyObject, *mut PyObject) -> c_int;

/// Delivers `event` for function `func` (new value `new`, may be NULL).
fn notify(vm: &VirtualMachine, event: c_int, func: *mut PyObject, new: *mut PyObject) {
    for cb in FUNC_WATCHERS.active() {
        // SAFETY: registered as a PyFunction_WatchCallback.
        let r = unsafe { std::mem::transmute::<*mut c_void, FuncWatchCallback>(cb)(event, func, new) };
        if r < 0 {
            if let Some(e) = crate::runtime::errors::take() {
                vm.run_unraisable(e, Some("Exception ignored in function watcher callback".to_owned()), vm.ctx.none());
            }
        }
    }
}

/// Registers a function watcher; its id (0-7), or -1 with RuntimeError.
/// Events are delivered for what goes through the C-API (`PyFunction_New*`,
/// `PyFunction_SetDefaults`/`SetKwDefaults`): RustPython has no hook for
/// functions Python code makes or changes.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_AddWatcher(callback: *mut c_void) -> c_int {
    FUNC_WATCHERS.add("PyFunction_AddWatcher", callback)
}

/// Unregisters function watcher `watcher_id`: 0, or -1 with ValueError.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_ClearWatcher(watcher_id: c_int) -> c_int {
    FUNC_WATCHERS.clear("PyFunction_ClearWatcher", watcher_id)
}

// ---- construction -------------------------------------------------------------------

/// New reference to a function running `code` in `globals`, with
/// `__qualname__` `qualname` (NULL: the code's) and `__module__` `globals['__name__']`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_NewWithQualName(code: *mut PyObject, globals: *mut PyObject, qualname: *mut PyObject) -> *mut PyObject {
    let f = new_ref("PyFunction_NewWithQualName", |vm| {
        let c = super::codeobject::code_arg(vm, code)?;
        let g = rp(vm, globals)?;
        if g.downcast_ref::<PyDict>().is_none() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let f = super::py(vm, || vm.ctx.types.function_type.as_object().call((c, g), vm))?;
        if !qualname.is_null() {
            let q = rp(vm, qualname)?;
            super::py(vm, || f.set_attr("__qualname__", q, vm))?;
        }
        Ok(f)
    });
    if !f.is_null() {
        api_noerr("PyFunction_New", (), |vm| notify(vm, EVENT_CREATE, f, std::ptr::null_mut()));
    }
    f
}

/// New reference to a function running `code` in `globals`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_New(code: *mut PyObject, globals: *mut PyObject) -> *mut PyObject {
    PyFunction_NewWithQualName(code, globals, std::ptr::null_mut())
}

// ---- getters (borrowed) -------------------------------------------------------------

/// Borrowed reference to attribute `attr` of function `op`, owned by `op`;
/// NULL without an exception when it is None and `none_is_null`.
fn borrowed_attr(name: &str, op: *mut PyObject, attr: &'static str, none_is_null: bool) -> *mut PyObject {
    api(name, |vm| {
        let f = func_arg(vm, op)?;
        let v = f.get_attr(attr, vm)?;
        if none_is_null && vm.is_none(&v) {
            return Ok(std::ptr::null_mut());
        }
        Ok(bridge::borrow_from(vm, op, &v))
    })
}

/// Borrowed reference to the function's code object.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetCode(op: *mut PyObject) -> *mut PyObject {
    borrowed_attr("PyFunction_GetCode", op, "__code__", false)
}

/// Borrowed reference to the function's globals.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetGlobals(op: *mut PyObject) -> *mut PyObject {
    borrowed_attr("PyFunction_GetGlobals", op, "__globals__", false)
}

/// Borrowed reference to the function's `__module__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetModule(op: *mut PyObject) -> *mut PyObject {
    borrowed_attr("PyFunction_GetModule", op, "__module__", false)
}

/// Borrowed reference to the defaults tuple, or NULL (no exception) if none.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetDefaults(op: *mut PyObject) -> *mut PyObject {
    borrowed_attr("PyFunction_GetDefaults", op, "__defaults__", true)
}

/// Borrowed reference to the keyword-only defaults dict, or NULL (no exception) if none.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetKwDefaults(op: *mut PyObject) -> *mut PyObject {
    borrowed_attr("PyFunction_GetKwDefaults", op, "__kwdefaults__", true)
}

/// Borrowed reference to the closure tuple of cells, or NULL (no exception) if none.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetClosure(op: *mut PyObject) -> *mut PyObject {
    borrowed_attr("PyFunction_GetClosure", op, "__closure__", true)
}

/// Borrowed reference to the annotations dict, or NULL (no exception) if
/// the function has no annotations.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_GetAnnotations(op: *mut PyObject) -> *mut PyObject {
    api("PyFunction_GetAnnotations", |vm| {
        let f = func_arg(vm, op)?;
        let v = super::py(vm, || f.get_attr("__annotations__", vm))?;
        if vm.is_none(&v) || v.downcast_ref::<PyDict>().is_some_and(|d| d.is_empty()) {
            return Ok(std::ptr::null_mut());
        }
        Ok(bridge::borrow_from(vm, op, &v))
    })
}

// ---- setters --------------------------------------------------------------------

/// Sets attribute `attr` of function `op` to `v` (None clears it), which
/// must pass `ok`, else SystemError(`msg`) (NULL too, as CPython): 0, or -1.
fn set_attr(name: &str, op: *mut PyObject, v: *mut PyObject, attr: &'static str, ok: fn(&PyObjectRef) -> bool, msg: &str, event: Option<c_int>) -> c_int {
    api(name, |vm| {
        let f = func_arg(vm, op)?;
        if v.is_null() {
            return Err(system_error(vm, msg));
        }
        let value = rp(vm, v)?;
        if !vm.is_none(&value) && !ok(&value) {
            return Err(system_error(vm, msg));
        }
        if let Some(e) = event {
            notify(vm, e, op, v);
        }
        super::py(vm, || f.set_attr(attr, value, vm))?;
        Ok(0)
    })
}

/// Sets `__defaults__` (a tuple, or None): 0, or -1 with SystemError.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_SetDefaults(op: *mut PyObject, defaults: *mut PyObject) -> c_int {
    set_attr("PyFunction_SetDefaults", op, defaults, "__defaults__", |o| o.downcast_ref::<PyTuple>().is_some(), "non-tuple default args", Some(EVENT_MODIFY_DEFAULTS))
}

/// Sets `__kwdefaults__` (a dict, or None): 0, or -1 with SystemError.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_SetKwDefaults(op: *mut PyObject, defaults: *mut PyObject) -> c_int {
    set_attr("PyFunction_SetKwDefaults", op, defaults, "__kwdefaults__", |o| o.downcast_ref::<PyDict>().is_some(), "non-dict keyword only default args", Some(EVENT_MODIFY_KWDEFAULTS))
}

/// Sets `__annotations__` (a dict, or None): 0, or -1 with SystemError.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_SetAnnotations(op: *mut PyObject, annotations: *mut PyObject) -> c_int {
    set_attr("PyFunction_SetAnnotations", op, annotations, "__annotations__", |o| o.downcast_ref::<PyDict>().is_some(), "non-dict annotations", None)
}

/// Sets the closure (a tuple of cells, or None). RustPython fixes a
/// function's closure at creation: setting the one it has (or None on a
/// function without free variables) succeeds, anything else is
/// SystemError("PyFunction_SetClosure is not implemented").
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_SetClosure(op: *mut PyObject, closure: *mut PyObject) -> c_int {
    api("PyFunction_SetClosure", |vm| {
        let f = func_arg(vm, op)?;
        let value = rp(vm, closure)?;
        if !vm.is_none(&value) && value.downcast_ref::<PyTuple>().is_none() {
            return Err(system_error(vm, format!("expected tuple for closure, got '{}'", value.class().name())));
        }
        let cur = f.get_attr("__closure__", vm)?;
        let same = cur.is(&value) || (vm.is_none(&value) && vm.is_none(&cur)) || vm.bool_eq(&cur, &value)?;
        if !same {
            return Err(not_implemented(vm, "PyFunction_SetClosure"));
        }
        Ok(0)
    })
}

/// No-op: RustPython functions are called through their own code; a C
/// vectorcall cannot replace it.
#[unsafe(no_mangle)]
pub extern "C" fn PyFunction_SetVectorcall(_func: *mut PyObject, _vectorcall: *mut c_void) {}

// ---- classmethod / staticmethod -------------------------------------------------------

/// New reference to `classmethod(callable)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyClassMethod_New(callable: *mut PyObject) -> *mut PyObject {
    new_ref("PyClassMethod_New", |vm| {
        let c = rp(vm, callable)?;
        super::py(vm, || vm.ctx.types.classmethod_type.as_object().call((c,), vm))
    })
}

/// New reference to `staticmethod(callable)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyStaticMethod_New(callable: *mut PyObject) -> *mut PyObject {
    new_ref("PyStaticMethod_New", |vm| {
        let c = rp(vm, callable)?;
        super::py(vm, || vm.ctx.types.staticmethod_type.as_object().call((c,), vm))
    })
}
