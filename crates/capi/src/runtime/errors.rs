//! The error indicator (`PyErr_Occurred` and friends).
//!
//! Since CPython 3.12 the indicator holds one normalized exception, in the
//! current thread state's `current_exception` field — where compiled
//! extensions read and write it inline (Cython's `__Pyx_PyErr_Occurred`,
//! `__Pyx_ErrFetch`/`__Pyx_ErrRestore`). So does this one: the field holds
//! one owned reference to the exception's `PyObject*`, and these functions
//! convert at the edge. Checking it is a load; setting it makes (or reuses)
//! the exception's mirror.

use rustpython_vm::builtins::{PyBaseException, PyBaseExceptionRef};
use rustpython_vm::vm::thread::try_with_current_vm;
use rustpython_vm::{AsObject, VirtualMachine};

use crate::abi::PyObject;
use crate::bridge;
use crate::objects::pystate;

/// The current thread state's `current_exception` field.
fn slot() -> *mut *mut PyObject {
    // SAFETY: the current thread state is live while its thread runs.
    unsafe { &raw mut (*pystate::current()).head.current_exception }
}

/// Replaces the field's value with `p` (an owned reference or NULL) and
/// returns the old one (owned by the caller).
fn swap(p: *mut PyObject) -> *mut PyObject {
    // SAFETY: the slot belongs to this thread's current state.
    unsafe { std::mem::replace(&mut *slot(), p) }
}

/// The exception behind an indicator value. C can store anything there
/// inline: a non-exception becomes a SystemError.
fn exception_of(vm: &VirtualMachine, p: *mut PyObject) -> PyBaseExceptionRef {
    bridge::to_rp(vm, p)
        .ok()
        .and_then(|o| o.downcast::<PyBaseException>().ok())
        .unwrap_or_else(|| vm.new_system_error("the error indicator holds an object that is not an exception".to_owned()))
}

/// Sets the indicator, replacing (and releasing) any exception already set.
pub fn set(exc: PyBaseExceptionRef) {
    let Some(p) = try_with_current_vm(|vm| bridge::to_c(vm, exc.as_object())) else {
        // No interpreter on this thread: nothing could ever report it.
        return;
    };
    release(swap(p));
}

/// Takes the exception out of the indicator, clearing it.
pub fn take() -> Option<PyBaseExceptionRef> {
    let p = swap(std::ptr::null_mut());
    if p.is_null() {
        return None;
    }
    try_with_current_vm(|vm| {
        let exc = exception_of(vm, p);
        release(p);
        exc
    })
}

/// The current exception, without clearing it.
pub fn peek() -> Option<PyBaseExceptionRef> {
    // SAFETY: as in `swap`.
    let p = unsafe { *slot() };
    if p.is_null() {
        return None;
    }
    try_with_current_vm(|vm| exception_of(vm, p))
}

pub fn is_set() -> bool {
    // SAFETY: as in `swap`.
    unsafe { !(*slot()).is_null() }
}

/// Restores a previously taken value (or clears the indicator with `None`).
pub fn restore(exc: Option<PyBaseExceptionRef>) {
    match exc {
        Some(e) => set(e),
        None => release(swap(std::ptr::null_mut())),
    }
}

/// Releases a reference the indicator held (NULL: none).
fn release(old: *mut PyObject) {
    if !old.is_null() {
        // SAFETY: the indicator's reference to a value no longer in it.
        unsafe { bridge::decref(old) };
    }
}
