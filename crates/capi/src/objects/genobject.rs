//! `genobject.h`: `PyGen_*`, `PyCoro_*`, `PyAsyncGen_*`.
//!
//! `PyGen_New*`, `PyCoro_New` and `PyAsyncGen_New` make a generator from a
//! frame whose CPython bytecode it resumes; RustPython cannot build one from
//! a frame (only calling a generator function makes one), so they are stubs.

use rustpython_vm::AsObject;

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::runtime::{api, not_implemented, system_error};

/// New reference to a generator's code object.
#[unsafe(no_mangle)]
pub extern "C" fn PyGen_GetCode(gen_: *mut PyObject) -> *mut PyObject {
    new_ref("PyGen_GetCode", |vm| {
        let g = rp(vm, gen_)?;
        if !g.class().is(vm.ctx.types.generator_type) {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        g.get_attr("gi_code", vm)
    })
}

fn stub(name: &str, frame: *mut PyObject) -> *mut PyObject {
    // The frame reference is stolen, as by CPython: release it.
    // SAFETY: the caller gave us its reference (or NULL).
    unsafe { crate::bridge::xdecref(frame) };
    api(name, |vm| Err::<*mut PyObject, _>(not_implemented(vm, name)))
}

/// Stub (see the module doc); steals `frame`.
#[unsafe(no_mangle)]
pub extern "C" fn PyGen_New(frame: *mut PyObject) -> *mut PyObject {
    stub("PyGen_New", frame)
}

/// Stub (see the module doc); steals `frame`.
#[unsafe(no_mangle)]
pub extern "C" fn PyGen_NewWithQualName(frame: *mut PyObject, _name: *mut PyObject, _qualname: *mut PyObject) -> *mut PyObject {
    stub("PyGen_NewWithQualName", frame)
}

/// Stub (see the module doc); steals `frame`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCoro_New(frame: *mut PyObject, _name: *mut PyObject, _qualname: *mut PyObject) -> *mut PyObject {
    stub("PyCoro_New", frame)
}

/// Stub (see the module doc); steals `frame`.
#[unsafe(no_mangle)]
pub extern "C" fn PyAsyncGen_New(frame: *mut PyObject, _name: *mut PyObject, _qualname: *mut PyObject) -> *mut PyObject {
    stub("PyAsyncGen_New", frame)
}
