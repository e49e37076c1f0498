//! `floatobject.h` and `boolobject.h`-adjacent numeric helpers.

use rustpython_vm::AsObject as _;
use rustpython_vm::builtins::PyFloat;

use super::{new_ref, rp};
use crate::abi::*;
use crate::runtime::api;

/// New reference to a float.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_FromDouble(v: f64) -> *mut PyObject {
    new_ref("PyFloat_FromDouble", |vm| Ok(vm.ctx.new_float(v).into()))
}

/// The value of a float, or of `o.__float__()` / `o.__index__()`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_AsDouble(o: *mut PyObject) -> f64 {
    api("PyFloat_AsDouble", |vm| {
        let obj = rp(vm, o)?;
        if let Some(f) = obj.downcast_ref::<PyFloat>() {
            return Ok(f.to_f64());
        }
        let f = vm.ctx.types.float_type.as_object().call((obj,), vm)?;
        Ok(f.downcast_ref::<PyFloat>().map_or(-1.0, |f| f.to_f64()))
    })
}

/// New reference to `float(s)` for a str object.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_FromString(s: *mut PyObject) -> *mut PyObject {
    new_ref("PyFloat_FromString", |vm| vm.ctx.types.float_type.as_object().call((rp(vm, s)?,), vm))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_GetMax() -> f64 {
    f64::MAX
}

#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_GetMin() -> f64 {
    f64::MIN_POSITIVE
}
