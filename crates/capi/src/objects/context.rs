//! `context.h`: `contextvars` from C, on RustPython's `_contextvars`
//! (`Context`, `ContextVar`, `Token`). The current context is the top of the
//! thread's context stack (`vm.context_stack`), which `PyContext_Enter`/`Exit`
//! push and pop as `Context.run` does.

use parking_lot::Mutex;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::c_int;

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, new_error, type_error};

/// `_contextvars.<name>`.
fn cv_type(vm: &VirtualMachine, name: &'static str) -> PyResult<PyObjectRef> {
    vm.import("_contextvars", 0)?.get_attr(name, vm)
}

/// `o` if it is an instance of `_contextvars.<ty>`, else TypeError
/// ("an instance of <ty> was expected", as CPython).
fn checked(vm: &VirtualMachine, o: *mut PyObject, ty: &'static str, what: &str) -> PyResult<PyObjectRef> {
    let obj = rp(vm, o)?;
    let t = cv_type(vm, ty)?;
    if !obj.class().as_object().is(&t) {
        return Err(type_error(vm, format!("an instance of {what} was expected")));
    }
    Ok(obj)
}

/// New reference to a new, empty context.
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_New() -> *mut PyObject {
    new_ref("PyContext_New", |vm| cv_type(vm, "Context")?.call((), vm))
}

/// New reference to a shallow copy of context `ctx`.
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_Copy(ctx: *mut PyObject) -> *mut PyObject {
    new_ref("PyContext_Copy", |vm| { let c = checked(vm, ctx, "Context", "Context")?; vm.call_method(&c, "copy", ()) })
}

/// New reference to a copy of the current context (`contextvars.copy_context()`).
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_CopyCurrent() -> *mut PyObject {
    new_ref("PyContext_CopyCurrent", |vm| vm.import("_contextvars", 0)?.get_attr("copy_context", vm)?.call((), vm))
}

// ---- watchers ------------------------------------------------------------------------------

type ContextWatchCallback = unsafe extern "C" fn(c_int, *mut PyObject) -> c_int;
const CONTEXT_MAX_WATCHERS: usize = 8;
/// `Py_CONTEXT_SWITCHED` (CPython 3.14's only context event).
const PY_CONTEXT_SWITCHED: c_int = 1;
static WATCHERS: Mutex<[Option<usize>; CONTEXT_MAX_WATCHERS]> = Mutex::new([None; CONTEXT_MAX_WATCHERS]);

/// Registers a context watcher: its id (0..8), or -1 with ValueError when all are taken.
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_AddWatcher(callback: Option<ContextWatchCallback>) -> c_int {
    api("PyContext_AddWatcher", |vm| {
        watch_context_run(vm)?;
        let mut w = WATCHERS.lock();
        match w.iter().position(Option::is_none) {
            Some(i) => {
                w[i] = callback.map(|c| c as usize);
                Ok(i as c_int)
            }
            None => Err(new_error(vm, vm.ctx.exceptions.value_error, "no more context watcher IDs available")),
        }
    })
}

/// Unregisters watcher `id`: 0, or -1 with ValueError for a bad or unused id.
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_ClearWatcher(id: c_int) -> c_int {
    api("PyContext_ClearWatcher", |vm| {
        if !(0..CONTEXT_MAX_WATCHERS as c_int).contains(&id) {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, format!("Invalid context watcher ID {id}")));
        }
        let mut w = WATCHERS.lock();
        if w[id as usize].is_none() {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, format!("No context watcher set for ID {id}")));
        }
        w[id as usize] = None;
        Ok(0)
    })
}

/// Makes `Context.run` — the switches RustPython makes itself (asyncio's
/// callbacks, `contextvars.Context().run(f)`) — tell the watchers, as
/// CPython's does: the replacement method calls the original between a
/// notification of the entered context and one of the context current
/// after it. Installed with the first watcher, so that programs without
/// watchers keep the original method.
fn watch_context_run(vm: &VirtualMachine) -> PyResult<()> {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    let ty = cv_type(vm, "Context")?
        .downcast::<rustpython_vm::builtins::PyType>()
        .map_err(|_| type_error(vm, "_contextvars.Context is not a type"))?;
    INSTALLED.call_once(|| {
        // The type lives as long as the process; the method keeps a 'static reference.
        let ty: &'static rustpython_vm::Py<rustpython_vm::builtins::PyType> = Box::leak(Box::new(ty));
        crate::runtime::wrap_builtin_method(vm, ty, "run", |orig, args, vm| {
            let ctx = args.args.first().cloned();
            let watched = WATCHERS.lock().iter().any(Option::is_some);
            if let (true, Some(c)) = (watched, &ctx) {
                notify(vm, c.clone());
            }
            let r = orig.call(args, vm);
            if watched {
                let now = vm.context_stack.borrow().last().cloned().unwrap_or_else(|| vm.ctx.none());
                notify(vm, now);
            }
            r
        });
    });
    Ok(())
}

/// Tells the watchers the current context switched to `ctx` (None: none);
/// a failing watcher's exception goes to `sys.unraisablehook`.
fn notify(vm: &VirtualMachine, ctx: PyObjectRef) {
    let ws: Vec<usize> = WATCHERS.lock().iter().flatten().copied().collect();
    if ws.is_empty() {
        return;
    }
    let p = bridge::to_c(vm, &ctx);
    for w in ws {
        // SAFETY: stored from a C callback pointer.
        let cb: ContextWatchCallback = unsafe { std::mem::transmute::<usize, ContextWatchCallback>(w) };
        // SAFETY: the callback contract; p is a live reference.
        if unsafe { cb(PY_CONTEXT_SWITCHED, p) } < 0 {
            if let Some(e) = crate::runtime::errors::take() {
                let msg = format!("Exception ignored in Py_CONTEXT_SWITCHED watcher callback for {}", ctx.repr(vm).map(|r| r.as_wtf8().to_string()).unwrap_or_default());
                vm.run_unraisable(e, Some(msg), vm.ctx.none());
            }
        }
    }
    // SAFETY: the reference to_c gave.
    unsafe { bridge::decref(p) };
}

// ---- entering and leaving ---------------------------------------------------------------------

/// Makes `ctx` the current context: 0, or -1 with RuntimeError if it is
/// already entered (by C or by a running `Context.run`).
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_Enter(ctx: *mut PyObject) -> c_int {
    api("PyContext_Enter", |vm| {
        let c = checked(vm, ctx, "Context", "Context")?;
        if vm.context_stack.borrow().iter().any(|x| x.is(&c)) {
            let r = c.repr(vm)?;
            return Err(new_error(vm, vm.ctx.exceptions.runtime_error, format!("cannot enter context: {} is already entered", r.as_wtf8())));
        }
        vm.context_stack.borrow_mut().push(c.clone());
        notify(vm, c);
        Ok(0)
    })
}

/// Restores the context that was current before `PyContext_Enter(ctx)`:
/// 0, or -1 with RuntimeError if `ctx` is not the current entered context.
#[unsafe(no_mangle)]
pub extern "C" fn PyContext_Exit(ctx: *mut PyObject) -> c_int {
    api("PyContext_Exit", |vm| {
        let c = checked(vm, ctx, "Context", "Context")?;
        let top = vm.context_stack.borrow().last().cloned();
        match top {
            Some(t) if t.is(&c) => {}
            _ if vm.context_stack.borrow().iter().any(|x| x.is(&c)) => {
                return Err(new_error(vm, vm.ctx.exceptions.runtime_error, "cannot exit context: thread state references a different context object"));
            }
            _ => {
                let r = c.repr(vm)?;
                return Err(new_error(vm, vm.ctx.exceptions.runtime_error, format!("cannot exit context: {} has not been entered", r.as_wtf8())));
            }
        }
        vm.context_stack.borrow_mut().pop();
        let now = vm.context_stack.borrow().last().cloned().unwrap_or_else(|| vm.ctx.none());
        notify(vm, now);
        Ok(0)
    })
}

// ---- context variables ----------------------------------------------------------------------

/// New reference to `ContextVar(name)` (with `default=def` unless NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PyContextVar_New(name: *const std::ffi::c_char, def: *mut PyObject) -> *mut PyObject {
    new_ref("PyContextVar_New", |vm| {
        let n = vm.ctx.new_str(super::cstr(vm, name)?);
        let t = cv_type(vm, "ContextVar")?;
        if def.is_null() {
            t.call((n,), vm)
        } else {
            let kw = rustpython_vm::function::KwArgs::from_iter([("default".to_owned(), rp(vm, def)?)]);
            t.call(rustpython_vm::function::FuncArgs::new(vec![n.into()], kw), vm)
        }
    })
}

/// `*value` = new reference to the variable's value in the current context,
/// else `default_value`, else the variable's default, else NULL: 0; -1 with
/// an exception (TypeError for a non-ContextVar).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyContextVar_Get(var: *mut PyObject, default_value: *mut PyObject, value: *mut *mut PyObject) -> c_int {
    // SAFETY: value is a valid out pointer.
    unsafe { *value = std::ptr::null_mut() };
    api("PyContextVar_Get", |vm| {
        let v = checked(vm, var, "ContextVar", "ContextVar")?;
        let r = if default_value.is_null() { vm.call_method(&v, "get", ()) } else { vm.call_method(&v, "get", (rp(vm, default_value)?,)) };
        match r {
            Ok(o) => {
                // SAFETY: as above.
                unsafe { *value = bridge::to_c(vm, &o) };
                Ok(0)
            }
            Err(e) if e.class().is(vm.ctx.exceptions.lookup_error) => Ok(0),
            Err(e) => Err(e),
        }
    })
}

/// Sets the variable in the current context; new reference to the Token
/// that `PyContextVar_Reset` takes.
#[unsafe(no_mangle)]
pub extern "C" fn PyContextVar_Set(var: *mut PyObject, value: *mut PyObject) -> *mut PyObject {
    new_ref("PyContextVar_Set", |vm| {
        let v = checked(vm, var, "ContextVar", "ContextVar")?;
        vm.call_method(&v, "set", (rp(vm, value)?,))
    })
}

/// Restores the variable to its state before the `set` that made `token`: 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyContextVar_Reset(var: *mut PyObject, token: *mut PyObject) -> c_int {
    api("PyContextVar_Reset", |vm| {
        let v = checked(vm, var, "ContextVar", "ContextVar")?;
        let t = checked(vm, token, "Token", "Token")?;
        vm.call_method(&v, "reset", (t,))?;
        Ok(0)
    })
}
