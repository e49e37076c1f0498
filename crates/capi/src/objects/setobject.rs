//! `setobject.h`.

use rustpython_vm::builtins::{PyFrozenSet, PySet};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::c_int;

use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, system_error};

fn any_set(vm: &VirtualMachine, o: *mut PyObject, f: &str) -> PyResult<PyObjectRef> {
    let obj = rp(vm, o)?;
    if obj.downcast_ref::<PySet>().is_some() || obj.downcast_ref::<PyFrozenSet>().is_some() {
        Ok(obj)
    } else {
        Err(system_error(vm, format!("{f}: bad argument (expected set or frozenset, got {})", obj.class().name())))
    }
}

fn from_iterable(vm: &VirtualMachine, ty: &rustpython_vm::Py<rustpython_vm::builtins::PyType>, it: *mut PyObject) -> PyResult<PyObjectRef> {
    if it.is_null() { ty.as_object().call((), vm) } else { ty.as_object().call((rp(vm, it)?,), vm) }
}

/// New set from an iterable (or empty for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PySet_New(it: *mut PyObject) -> *mut PyObject {
    new_ref("PySet_New", |vm| from_iterable(vm, vm.ctx.types.set_type, it))
}

/// New frozenset from an iterable; for NULL a new empty one that C may
/// fill with `PySet_Add` before anything else sees it.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrozenSet_New(it: *mut PyObject) -> *mut PyObject {
    new_ref("PyFrozenSet_New", |vm| {
        let items: Vec<PyObjectRef> = if it.is_null() { Vec::new() } else { rp(vm, it)?.try_to_value(vm)? };
        bridge::builders::new_frozenset(vm, items)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PySet_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PySet_Size", |vm| Ok(any_set(vm, o, "PySet_Size")?.length(vm)? as isize))
}

fn call_and_sync(vm: &VirtualMachine, o: *mut PyObject, f: &str, meth: &str, key: *mut PyObject) -> PyResult<PyObjectRef> {
    let s = any_set(vm, o, f)?;
    let r = vm.call_method(&s, meth, (rp(vm, key)?,))?;
    bridge::refresh_now(vm, o, s.as_object());
    Ok(r)
}

/// Adds `key` to a set, or to a new frozenset only C holds (CPython allows
/// filling a brand new frozenset this way); SystemError for other frozensets.
#[unsafe(no_mangle)]
pub extern "C" fn PySet_Add(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PySet_Add", |vm| {
        if bridge::builders::add_to_new_frozenset(vm, o, rp(vm, key)?)? {
            return Ok(0);
        }
        if rp(vm, o)?.downcast_ref::<rustpython_vm::builtins::PyFrozenSet>().is_some() {
            return Err(system_error(vm, "PySet_Add: bad internal call (a frozenset can only be filled while new)"));
        }
        call_and_sync(vm, o, "PySet_Add", "add", key).map(|_| 0)
    })
}

/// 1 if found and removed, 0 if absent, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PySet_Discard(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PySet_Discard", |vm| {
        let present = PySet_Contains(o, key);
        if present < 0 {
            return Err(crate::runtime::errors::take().unwrap_or_else(|| system_error(vm, "PySet_Discard failed")));
        }
        call_and_sync(vm, o, "PySet_Discard", "discard", key)?;
        Ok(present)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PySet_Contains(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PySet_Contains", |vm| {
        let s = any_set(vm, o, "PySet_Contains")?;
        Ok(vm.call_method(&s, "__contains__", (rp(vm, key)?,))?.is_true(vm)? as c_int)
    })
}

/// New reference to an arbitrary element, removed from the set.
#[unsafe(no_mangle)]
pub extern "C" fn PySet_Pop(o: *mut PyObject) -> *mut PyObject {
    new_ref("PySet_Pop", |vm| {
        let s = any_set(vm, o, "PySet_Pop")?;
        let r = vm.call_method(&s, "pop", ())?;
        bridge::refresh_now(vm, o, s.as_object());
        Ok(r)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PySet_Clear(o: *mut PyObject) -> c_int {
    api("PySet_Clear", |vm| {
        let s = any_set(vm, o, "PySet_Clear")?;
        vm.call_method(&s, "clear", ())?;
        bridge::refresh_now(vm, o, s.as_object());
        Ok(0)
    })
}
