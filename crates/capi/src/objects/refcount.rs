//! `cpython/object.h` / `refcount.h` runtime helpers: immortality,
//! `PyUnstable_TryIncRef`, uniqueness checks, deferred reference counts,
//! weak-reference clearing, type version tags, the reference tracer, and
//! `PyUnstable_ExecutableKinds`.
//!
//! A facade object's C reference count counts C's references only; the
//! RustPython object behind a mirror may have other holders, so
//! "uniquely referenced" also requires that the mirror is its only holder.

use std::ffi::{c_int, c_void};

use parking_lot::Mutex;

use super::{cbool, rp};
use crate::abi::{PyObject, PyTypeObject};
use crate::bridge;
use crate::runtime::{Shared, api, errors};

/// 1 if `op` is immortal (statics: singletons, builtin types).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_IsImmortal(op: *mut PyObject) -> c_int {
    cbool(bridge::is_immortal(op))
}

/// Takes a new reference to `op` if it is still alive (GIL build: its
/// count is positive); 1 if taken, else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_TryIncRef(op: *mut PyObject) -> c_int {
    // SAFETY: C passes an object whose memory is still valid.
    unsafe {
        if (*op).ob_refcnt > 0 {
            bridge::incref(op);
            1
        } else {
            0
        }
    }
}

/// No-op: only the free-threaded build needs objects prepared for
/// `PyUnstable_TryIncRef`.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_EnableTryIncRef(_op: *mut PyObject) {}

fn uniquely_referenced(op: *mut PyObject) -> bool {
    // SAFETY: C passes a valid object.
    if bridge::is_immortal(op) || unsafe { (*op).ob_refcnt } != 1 {
        return false;
    }
    // Natives and their RustPython twins refer to each other: not provably
    // unique. A mirror is unique when its object's only other holder is the
    // mirror itself (the count below includes our own temporary handle).
    if bridge::is_native(op) {
        return false;
    }
    // A builder C is still filling has no Python object yet.
    if bridge::builders::is_unrealised(op) {
        return true;
    }
    crate::runtime::api_noerr("PyUnstable_Object_IsUniquelyReferenced", false, |vm| {
        let Ok(o) = rp(vm, op) else { return false };
        let n = o.strong_count();
        drop(o);
        errors::take();
        n <= 2
    })
}

/// 1 if `op` has exactly one reference (the caller's).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Object_IsUniquelyReferenced(op: *mut PyObject) -> c_int {
    cbool(uniquely_referenced(op))
}

/// 1 if `op` is a temporary only the interpreter's operand stack holds.
/// An argument passed from Python is also held by RustPython's frame, so
/// this is 1 only for objects no Python frame holds (CPython also answers
/// 0 whenever it cannot tell).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Object_IsUniqueReferencedTemporary(op: *mut PyObject) -> c_int {
    cbool(uniquely_referenced(op))
}

/// 0: deferred reference counting exists only in the free-threaded build.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Object_EnableDeferredRefcount(_op: *mut PyObject) -> c_int {
    0
}

/// Clears the weak references to `obj` without calling their callbacks.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Object_ClearWeakRefsNoCallbacks(obj: *mut PyObject) {
    api("PyUnstable_Object_ClearWeakRefsNoCallbacks", |vm| {
        let o = rp(vm, obj)?;
        drop(o.gc_clear_weakrefs_collect_callbacks());
        Ok(())
    })
}

/// 1 if `type` has a valid version tag. The facade assigns none (it
/// cannot invalidate one when the type changes), so this is 1 only for a
/// tag the type already carries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_Type_AssignVersionTag(tp: *mut PyTypeObject) -> c_int {
    // SAFETY: C passes a valid type.
    cbool(unsafe { (*tp).tp_version_tag } != 0)
}

/// `PyRefTracer`.
type RefTracer = unsafe extern "C" fn(*mut PyObject, c_int, *mut c_void);

static TRACER: Mutex<Shared<(Option<RefTracer>, *mut c_void)>> = Mutex::new(Shared((None, std::ptr::null_mut())));

/// Registers `tracer(obj, event, data)` (NULL: none); always 0. The
/// facade records it but does not deliver creation/destruction events.
#[unsafe(no_mangle)]
pub extern "C" fn PyRefTracer_SetTracer(tracer: Option<RefTracer>, data: *mut c_void) -> c_int {
    *TRACER.lock() = Shared((tracer, data));
    0
}

/// The registered tracer (NULL: none), its data in `*data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyRefTracer_GetTracer(data: *mut *mut c_void) -> Option<RefTracer> {
    let t = *TRACER.lock();
    if !data.is_null() {
        // SAFETY: C passes a writable pointer slot.
        unsafe { *data = t.0.1 };
    }
    t.0.0
}

/// A `const PyTypeObject *` in exported static data.
#[repr(transparent)]
pub struct TypeEntry(*const PyTypeObject);
// SAFETY: points at immortal static type objects, never written through.
unsafe impl Sync for TypeEntry {}

/// `PyUnstable_ExecutableKinds`: the type of each `PyUnstable_EXECUTABLE_KIND_*`.
#[unsafe(no_mangle)]
pub static PyUnstable_ExecutableKinds: [TypeEntry; 6] = [
    TypeEntry(crate::types::_PyNone_Type.get().cast_const()),
    TypeEntry(crate::types::PyCode_Type.get().cast_const()),
    TypeEntry(std::ptr::null()),
    TypeEntry(crate::types::PyMethod_Type.get().cast_const()),
    TypeEntry(crate::types::PyMethodDescr_Type.get().cast_const()),
    TypeEntry(std::ptr::null()),
];
