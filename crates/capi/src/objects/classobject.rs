//! `classobject.h`: `PyMethod_*`, `PyInstanceMethod_*`.
//!
//! RustPython has no `instancemethod`: `PyInstanceMethod_Type` is a small
//! class made at start-up (see `module_types!` in types/mod.rs) with
//! CPython's behaviour: calling it calls the function, and as a class
//! attribute it binds like a function (`__get__`); other attributes are the
//! function's.

use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, system_error};
use crate::types::static_type;

/// New reference to the method binding `func` to `self_` (`types.MethodType`).
#[unsafe(no_mangle)]
pub extern "C" fn PyMethod_New(func: *mut PyObject, self_: *mut PyObject) -> *mut PyObject {
    new_ref("PyMethod_New", |vm| {
        if self_.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let (f, s) = (rp(vm, func)?, rp(vm, self_)?);
        super::py(vm, || vm.ctx.types.bound_method_type.as_object().call((f, s), vm))
    })
}

/// Borrowed reference to attribute `attr` of `op` (owned by `op`) if `op`
/// is an instance of `ty`; SystemError otherwise.
fn part(name: &str, op: *mut PyObject, ty: fn(&VirtualMachine) -> PyResult<PyObjectRef>, attr: &'static str) -> *mut PyObject {
    api(name, |vm| {
        let o = rp(vm, op)?;
        if !o.class().as_object().is(&ty(vm)?) {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let v = o.get_attr(attr, vm)?;
        Ok(bridge::borrow_from(vm, op, &v))
    })
}

fn method_type(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    Ok(vm.ctx.types.bound_method_type.to_owned().into())
}

fn instancemethod_type(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    rp(vm, static_type!(PyInstanceMethod_Type).cast())
}

/// Borrowed reference to a method's function.
#[unsafe(no_mangle)]
pub extern "C" fn PyMethod_Function(im: *mut PyObject) -> *mut PyObject {
    part("PyMethod_Function", im, method_type, "__func__")
}

/// Borrowed reference to a method's `self`.
#[unsafe(no_mangle)]
pub extern "C" fn PyMethod_Self(im: *mut PyObject) -> *mut PyObject {
    part("PyMethod_Self", im, method_type, "__self__")
}

/// New reference to an `instancemethod` wrapping `func` (not checked to be
/// callable: only `instancemethod(func)` from Python checks, as in CPython).
#[unsafe(no_mangle)]
pub extern "C" fn PyInstanceMethod_New(func: *mut PyObject) -> *mut PyObject {
    new_ref("PyInstanceMethod_New", |vm| {
        let f = rp(vm, func)?;
        let t = instancemethod_type(vm)?;
        let obj = vm.ctx.types.object_type.as_object();
        let im = vm.call_method(obj, "__new__", (t,))?;
        vm.call_method(obj, "__setattr__", (im.clone(), "__func__", f))?;
        Ok(im)
    })
}

/// Borrowed reference to an `instancemethod`'s function.
#[unsafe(no_mangle)]
pub extern "C" fn PyInstanceMethod_Function(im: *mut PyObject) -> *mut PyObject {
    part("PyInstanceMethod_Function", im, instancemethod_type, "__func__")
}
