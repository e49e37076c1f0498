//! `object.h` type functions (`PyType_*`) on any type object; creating
//! extension types lives in `types/heaptype.rs`.

use rustpython_vm::builtins::PyType;
use rustpython_vm::{AsObject, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_int, c_uint, c_ulong};

use super::object::Watchers;
use super::{cbool, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, type_error};

fn ty(vm: &VirtualMachine, t: *mut PyTypeObject) -> PyResult<PyRef<PyType>> {
    rp(vm, t.cast())?.downcast::<PyType>().map_err(|o| type_error(vm, format!("expected a type, got '{}'", o.class().name())))
}

/// 1 if `a` is `b` or a subtype of it (by MRO).
#[unsafe(no_mangle)]
pub extern "C" fn PyType_IsSubtype(a: *mut PyTypeObject, b: *mut PyTypeObject) -> c_int {
    if a == b {
        return 1;
    }
    api_noerr("PyType_IsSubtype", 0, |vm| match (ty(vm, a), ty(vm, b)) {
        (Ok(a), Ok(b)) => cbool(a.fast_issubclass(&b)),
        _ => 0,
    })
}

/// New reference to `type.__name__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_GetName(t: *mut PyTypeObject) -> *mut PyObject {
    new_ref("PyType_GetName", |vm| ty(vm, t)?.as_object().get_attr("__name__", vm))
}

/// New reference to `type.__qualname__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_GetQualName(t: *mut PyTypeObject) -> *mut PyObject {
    new_ref("PyType_GetQualName", |vm| ty(vm, t)?.as_object().get_attr("__qualname__", vm))
}

/// New reference to `type.__module__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_GetModuleName(t: *mut PyTypeObject) -> *mut PyObject {
    new_ref("PyType_GetModuleName", |vm| ty(vm, t)?.as_object().get_attr("__module__", vm))
}

/// New reference to `module.qualname` (just `qualname` for builtins).
#[unsafe(no_mangle)]
pub extern "C" fn PyType_GetFullyQualifiedName(t: *mut PyTypeObject) -> *mut PyObject {
    new_ref("PyType_GetFullyQualifiedName", |vm| {
        let t = ty(vm, t)?;
        let q = t.as_object().get_attr("__qualname__", vm)?.str(vm)?;
        let m = t.as_object().get_attr("__module__", vm)?.str(vm)?;
        let m = m.as_wtf8().to_string();
        Ok(if m == "builtins" || m == "__main__" { q.into() } else { vm.ctx.new_str(format!("{m}.{}", q.as_wtf8())).into() })
    })
}

/// `tp_flags` of the type object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetFlags(t: *mut PyTypeObject) -> c_ulong {
    // SAFETY: every type object the facade hands out is a full PyTypeObject.
    unsafe { (*t).tp_flags }
}

/// Invalidates caches after a type changed (RustPython keeps no C-side
/// cache) and reports the change to the watchers of the type and of its
/// subclasses (subclasses first, as CPython's `type_modified_unlocked`).
#[unsafe(no_mangle)]
pub extern "C" fn PyType_Modified(t: *mut PyTypeObject) {
    api_noerr("PyType_Modified", (), |vm| {
        if let Ok(t) = ty(vm, t) {
            // C may have written `tp_dict` directly: drop RustPython's
            // attribute caches for the type and its subclasses.
            t.modified();
            if WATCHERS.active() {
                modified(vm, &t);
            }
        }
    })
}

/// Calls the watchers of `t` and of its subclasses, subclasses first; a
/// failing callback is reported as unraisable.
fn modified(vm: &VirtualMachine, t: &rustpython_vm::Py<PyType>) {
    let subs: Vec<PyRef<PyType>> = t.subclasses.read().iter().filter_map(|w| w.upgrade()).filter_map(|s| s.downcast::<PyType>().ok()).collect();
    for s in subs {
        modified(vm, &s);
    }
    let p = bridge::type_ptr(vm, t);
    for (i, cb) in WATCHERS.callbacks_with_ids(p as usize) {
        let saved = crate::runtime::errors::take();
        // SAFETY: the watcher's callback with CPython's contract.
        if super::py(vm, || unsafe { cb(p) }) < 0 {
            if let Some(e) = crate::runtime::errors::take() {
                let msg = format!("Exception ignored in type watcher callback #{i} for <class '{}'>", t.name());
                vm.run_unraisable(e, Some(msg), vm.ctx.none());
            }
        }
        crate::runtime::errors::restore(saved);
    }
}

// ---- watchers ---------------------------------------------------------------------

/// `PyType_WatchCallback`.
#[allow(non_camel_case_types)]
pub type PyType_WatchCallback = unsafe extern "C" fn(*mut PyTypeObject) -> c_int;

static WATCHERS: Watchers<PyType_WatchCallback> = Watchers::new("type", 0);

/// A new type watcher id (0..7) for `callback`; RuntimeError when all are used.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_AddWatcher(callback: Option<PyType_WatchCallback>) -> c_int {
    api("PyType_AddWatcher", |vm| match callback {
        Some(cb) => WATCHERS.add(vm, cb),
        None => Err(crate::runtime::system_error(vm, "PyType_AddWatcher: NULL callback")),
    })
}

/// Frees watcher `id`: 0, or -1 with ValueError for an invalid or unset id.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_ClearWatcher(id: c_int) -> c_int {
    api("PyType_ClearWatcher", |vm| WATCHERS.clear(vm, id))
}

fn watch(vm: &VirtualMachine, id: c_int, t: *mut PyObject, on: bool) -> PyResult<c_int> {
    if rp(vm, t)?.downcast_ref::<PyType>().is_none() {
        return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, "Cannot watch non-type"));
    }
    WATCHERS.watch(vm, id, t as usize, on)
}

/// Reports modifications of type `t` (and of its bases) to watcher `id`:
/// delivered for `PyType_Modified` calls. Not delivered: changes made by
/// Python code (`C.x = 1`, `__bases__`): RustPython's `type.__setattr__` has
/// no hook, and replacing its slot breaks `type.__setattr__` calls from
/// metaclasses (RustPython checks the slot's identity). Unlike CPython, each
/// call is reported (CPython skips types not looked up since the last one).
#[unsafe(no_mangle)]
pub extern "C" fn PyType_Watch(id: c_int, t: *mut PyObject) -> c_int {
    api("PyType_Watch", |vm| watch(vm, id, t, true))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyType_Unwatch(id: c_int, t: *mut PyObject) -> c_int {
    api("PyType_Unwatch", |vm| watch(vm, id, t, false))
}

/// `PyType_ClearCache`: RustPython has no global method cache to clear; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_ClearCache() -> c_uint {
    0
}

/// New reference: the type's namespace. Types created at run time keep
/// theirs in a real dict, which is returned itself (changes show through,
/// after `PyType_Modified`, as in CPython); RustPython's builtin types keep
/// attributes in a table, not a dict, and get a snapshot copy.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_GetDict(t: *mut PyTypeObject) -> *mut PyObject {
    new_ref("PyType_GetDict", |vm| {
        let t = ty(vm, t)?;
        if let Some(d) = t.attributes.as_dict() {
            return Ok(d.to_owned().into());
        }
        let proxy = t.as_object().get_attr("__dict__", vm)?;
        vm.ctx.types.dict_type.as_object().call((proxy,), vm)
    })
}

/// 1 if instances of `t` can be weakly referenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_SUPPORTS_WEAKREFS(t: *mut PyTypeObject) -> c_int {
    // SAFETY: a full PyTypeObject.
    if unsafe { (*t).tp_weaklistoffset } != 0 {
        return 1;
    }
    api_noerr("PyType_SUPPORTS_WEAKREFS", 0, |vm| {
        ty(vm, t).map(|t| cbool(t.slots.flags.has_feature(rustpython_vm::types::PyTypeFlags::HAS_WEAKREF))).unwrap_or(0)
    })
}

/// `PyObject_GC_UnTrack`: a native object leaves the facade's cycle
/// collection (RustPython's own collector tracks everything else).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GC_UnTrack(o: *mut std::ffi::c_void) {
    if !o.is_null() && bridge::is_native(o.cast()) {
        bridge::native::untrack(o.cast());
    }
}

/// `PyObject_GC_Track`: a native object joins the facade's cycle collection
/// (its `tp_traverse` reports the references it holds).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GC_Track(o: *mut std::ffi::c_void) {
    if !o.is_null() && bridge::is_native(o.cast()) {
        bridge::native::track(o.cast());
    }
}

/// `_PyType_Lookup`: borrowed reference to `name` looked up in the type's
/// MRO dicts (no descriptor is called), or NULL without an exception. The
/// reference is owned by the type object, which holds the attribute.
#[unsafe(no_mangle)]
pub extern "C" fn _PyType_Lookup(t: *mut PyTypeObject, name: *mut PyObject) -> *mut PyObject {
    api_noerr("_PyType_Lookup", std::ptr::null_mut(), |vm| {
        let (Ok(ty), Ok(name)) = (ty(vm, t), rp(vm, name)) else { return std::ptr::null_mut() };
        let Ok(name) = name.downcast::<rustpython_vm::builtins::PyStr>() else { return std::ptr::null_mut() };
        match ty.get_attr(vm.ctx.intern_str(name.as_wtf8())) {
            Some(v) => crate::bridge::borrow_from(vm, t.cast(), &v),
            None => std::ptr::null_mut(),
        }
    })
}
