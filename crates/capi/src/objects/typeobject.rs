//! `object.h` type functions (`PyType_*`) on any type object; creating
//! extension types lives in `types/heaptype.rs`.

use rustpython_vm::builtins::PyType;
use rustpython_vm::{AsObject, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_int, c_ulong};

use super::{cbool, new_ref, rp};
use crate::abi::*;
use crate::runtime::{api_noerr, type_error};

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

/// Invalidates caches after a type changed; RustPython keeps no C-side cache.
#[unsafe(no_mangle)]
pub extern "C" fn PyType_Modified(_t: *mut PyTypeObject) {}

/// `PyObject_GC_UnTrack`: the facade has no CPython cycle collector; RustPython's
/// own collector tracks the twin. Nothing to do, as for an untracked object.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GC_UnTrack(_o: *mut std::ffi::c_void) {}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GC_Track(_o: *mut std::ffi::c_void) {}

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
