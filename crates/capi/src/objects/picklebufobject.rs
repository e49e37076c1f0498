//! `picklebufobject.h`: `PyPickleBuffer_*`. RustPython has no
//! `_pickle.PickleBuffer`, so `PyPickleBuffer_Type` is the facade's own
//! class (types/mod.rs): it wraps a memoryview of the base object, exports
//! its buffer through `__buffer__`, and has `raw()` and `release()`. The
//! `Py_buffer` that `PyPickleBuffer_GetBuffer` returns lives in a capsule
//! the object holds, so it lasts exactly as long as the object (or until
//! `release()`).

use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_int, c_void};

use super::{new_ref, py, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, new_error, type_error};

/// The PickleBuffer class.
fn class(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    rp(vm, crate::types::static_type!(PyPickleBuffer_Type).cast())
}

/// `o` if it is a PickleBuffer, else TypeError as CPython words it.
fn checked(vm: &VirtualMachine, o: *mut PyObject) -> PyResult<PyObjectRef> {
    let obj = rp(vm, o)?;
    let cls = class(vm)?;
    if !obj.class().as_object().is(&cls) && !obj.class().fast_issubclass(&*cls) {
        return Err(type_error(vm, format!("expected PickleBuffer, {} found", obj.class().name())));
    }
    Ok(obj)
}

fn released(vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
    new_error(vm, vm.ctx.exceptions.value_error, "operation forbidden on released PickleBuffer object")
}

/// New PickleBuffer over `base`'s buffer (TypeError if it has none).
#[unsafe(no_mangle)]
pub extern "C" fn PyPickleBuffer_FromObject(base: *mut PyObject) -> *mut PyObject {
    new_ref("PyPickleBuffer_FromObject", |vm| {
        let (cls, b) = (class(vm)?, rp(vm, base)?);
        py(vm, || cls.call((b,), vm))
    })
}

/// Releases the `Py_buffer` a capsule holds (the capsule's destructor).
unsafe extern "C" fn free_view(cap: *mut PyObject) {
    // SAFETY: the capsule made by PyPickleBuffer_GetBuffer holds a Box<Py_buffer>.
    unsafe {
        let p = super::pycapsule::PyCapsule_GetPointer(cap, std::ptr::null()).cast::<Py_buffer>();
        if !p.is_null() {
            let mut b = Box::from_raw(p);
            super::pybuffer::PyBuffer_Release(&mut *b);
        }
    }
}

/// Pointer to the wrapped buffer's `Py_buffer`, valid while the PickleBuffer
/// lives and is not released; NULL with TypeError / ValueError (released).
#[unsafe(no_mangle)]
pub extern "C" fn PyPickleBuffer_GetBuffer(o: *mut PyObject) -> *const Py_buffer {
    api("PyPickleBuffer_GetBuffer", |vm| -> PyResult<*mut c_void> {
        let pb = checked(vm, o)?;
        let view = pb.get_attr("_view", vm)?;
        if vm.is_none(&view) {
            return Err(released(vm));
        }
        let cached = pb.get_attr("_c", vm)?;
        if !vm.is_none(&cached) {
            let c = bridge::to_c(vm, &cached);
            // SAFETY: our capsule; the object keeps it alive after the decref.
            let p = unsafe {
                let p = super::pycapsule::PyCapsule_GetPointer(c, std::ptr::null());
                bridge::decref(c);
                p
            };
            return Ok(p);
        }
        // SAFETY: a zeroed Py_buffer is the expected input; the view keeps its own reference to the memoryview.
        let mut b: Box<Py_buffer> = Box::new(unsafe { std::mem::zeroed() });
        let v = bridge::to_c(vm, &view);
        // SAFETY: a live memoryview.
        let r = unsafe { super::pybuffer::PyObject_GetBuffer(v, &mut *b, 0x011c) };
        // SAFETY: the reference taken above.
        unsafe { bridge::decref(v) };
        if r < 0 {
            return Err(crate::runtime::errors::take().unwrap_or_else(|| released(vm)));
        }
        let p = Box::into_raw(b);
        // SAFETY: a non-NULL pointer and our destructor.
        let cap = unsafe { super::pycapsule::PyCapsule_New(p.cast::<c_void>(), std::ptr::null(), Some(free_view)) };
        if cap.is_null() {
            // SAFETY: not handed out; release it here.
            unsafe { free_view_box(p) };
            return Err(crate::runtime::errors::take().unwrap_or_else(|| released(vm)));
        }
        let capsule = rp(vm, cap)?;
        // SAFETY: the object now holds the capsule.
        unsafe { bridge::decref(cap) };
        object_setattr(vm, &pb, "_c", capsule)?;
        Ok(p.cast())
    })
    .cast_const()
    .cast()
}

/// Releases a `Py_buffer` that never reached a capsule.
unsafe fn free_view_box(p: *mut Py_buffer) {
    // SAFETY: a Box<Py_buffer> filled by PyObject_GetBuffer.
    unsafe {
        let mut b = Box::from_raw(p);
        super::pybuffer::PyBuffer_Release(&mut *b);
    }
}

fn object_setattr(vm: &VirtualMachine, o: &PyObjectRef, name: &str, v: PyObjectRef) -> PyResult<()> {
    let setattr = vm.ctx.types.object_type.as_object().get_attr("__setattr__", vm)?;
    setattr.call((o.clone(), name, v), vm).map(drop)
}

/// Releases the wrapped buffer (`pb.release()`): 0, or -1 with TypeError.
#[unsafe(no_mangle)]
pub extern "C" fn PyPickleBuffer_Release(o: *mut PyObject) -> c_int {
    api("PyPickleBuffer_Release", |vm| {
        let pb = checked(vm, o)?;
        py(vm, || vm.call_method(&pb, "release", ()))?;
        Ok(0)
    })
}
