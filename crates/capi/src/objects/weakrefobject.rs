//! `weakrefobject.h`: weak references and proxies (RustPython's `weakref`
//! objects; a proxy is a `PyWeak` of another class).

use rustpython_vm::builtins::PyWeak;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::c_int;

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, system_error, type_error};

/// `callback` as an optional object (NULL and None: no callback).
fn callback(vm: &VirtualMachine, cb: *mut PyObject) -> PyResult<PyObjectRef> {
    if cb.is_null() { Ok(vm.ctx.none()) } else { rp(vm, cb) }
}

/// New reference to `weakref.ref(ob, callback)`; TypeError if `ob` cannot be
/// weakly referenced.
#[unsafe(no_mangle)]
pub extern "C" fn PyWeakref_NewRef(ob: *mut PyObject, cb: *mut PyObject) -> *mut PyObject {
    new_ref("PyWeakref_NewRef", |vm| {
        let (o, c) = (rp(vm, ob)?, callback(vm, cb)?);
        vm.ctx.types.weakref_type.as_object().call((o, c), vm)
    })
}

/// New reference to `weakref.proxy(ob, callback)` (a callable proxy for a
/// callable `ob`).
#[unsafe(no_mangle)]
pub extern "C" fn PyWeakref_NewProxy(ob: *mut PyObject, cb: *mut PyObject) -> *mut PyObject {
    new_ref("PyWeakref_NewProxy", |vm| {
        let (o, c) = (rp(vm, ob)?, callback(vm, cb)?);
        let weakref = vm.import("_weakref", 0)?;
        weakref.get_attr("proxy", vm)?.call((o, c), vm)
    })
}

/// The referent of a weakref or proxy (`None` when dead), or `err` for
/// anything else. Drops the references earlier `PyWeakref_GetObject` calls
/// lent through this weakref, so that they keep the referent alive no longer
/// than CPython's borrowed reference would be relied on.
fn referent(vm: &VirtualMachine, r: *mut PyObject, err: impl FnOnce(&PyObjectRef) -> rustpython_vm::builtins::PyBaseExceptionRef) -> PyResult<Option<PyObjectRef>> {
    if r.is_null() {
        return Err(system_error(vm, "bad argument to internal function"));
    }
    let o = rp(vm, r)?;
    let Some(w) = o.downcast_ref::<PyWeak>() else { return Err(err(&o)) };
    // What the weakref lent before lapses now, except the referent itself:
    // a pointer C got from an earlier call stays the same (and valid).
    let current = w.upgrade();
    bridge::prune_borrowed(r, |x| current.as_ref().is_some_and(|c| c.is(x)));
    Ok(current)
}

/// `*pobj` = new reference to the referent: 1, or 0 with NULL if it is
/// dead; -1 with TypeError (and NULL) if `r` is not a weak reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyWeakref_GetRef(r: *mut PyObject, pobj: *mut *mut PyObject) -> c_int {
    // SAFETY: pobj is a valid out pointer.
    unsafe { *pobj = std::ptr::null_mut() };
    api("PyWeakref_GetRef", |vm| {
        let o = referent(vm, r, |_| type_error(vm, "expected a weakref"))?;
        Ok(match o {
            Some(o) => {
                // SAFETY: as above.
                unsafe { *pobj = bridge::to_c(vm, &o) };
                1
            }
            None => 0,
        })
    })
}

/// Borrowed reference to the referent, or `None` if it is dead; SystemError
/// for a non-weakref. The weakref lends the reference (until its next use).
#[unsafe(no_mangle)]
pub extern "C" fn PyWeakref_GetObject(r: *mut PyObject) -> *mut PyObject {
    api("PyWeakref_GetObject", |vm| {
        let o = referent(vm, r, |_| system_error(vm, "bad argument to internal function"))?;
        Ok(match o {
            Some(o) => bridge::borrow_from(vm, r, &o),
            None => bridge::to_c(vm, &vm.ctx.none()),
        })
    })
}

/// 1 if the referent is dead, 0 if alive; -1 with TypeError for a non-weakref.
#[unsafe(no_mangle)]
pub extern "C" fn PyWeakref_IsDead(r: *mut PyObject) -> c_int {
    api("PyWeakref_IsDead", |vm| {
        let o = referent(vm, r, |o| type_error(vm, format!("expected a weakref, got {}", o.class().name())))?;
        Ok(o.is_none() as c_int)
    })
}
