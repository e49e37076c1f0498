//! Type objects of classes created at run time (classes defined in Python,
//! exception classes made through the API, their metaclasses).
//!
//! CPython frees such a class with its last reference; the facade's type
//! object for it must neither keep it alive past that nor outlive it as a
//! leak. So a *mortal* type mirror:
//! * holds its class strongly only while C holds references to the mirror
//!   (`ob_refcnt > 0`: references made through the API, the ones
//!   `tp_alloc` gives each instance of a heap type, the `tp_bases`/`tp_mro`
//!   entries of a subclass's mirror). When the count reaches zero
//!   ([`super::dealloc`]) it lets go of the class and stays valid as a
//!   borrowed pointer (`Py_TYPE(o)` of an instance, which holds the class);
//! * is freed when the class dies, from a weak-reference callback, which
//!   RustPython runs both when the last reference goes and when the
//!   collector frees a cycle through the class;
//! * lists itself in `tp_mro` without a reference (the release hook clears
//!   that entry), so that it does not keep itself alive.
//!
//! C may also take a reference inline (`Py_INCREF(Py_TYPE(o))`) while the
//! mirror does not hold its class; the facade sees it at the next crossing
//! of the class, when C passes the mirror to the API, and at every sweep
//! (which runs before each collection). If the class dies before any of
//! those, the mirror is unregistered but kept allocated, and passing it to
//! the API raises SystemError rather than reaching freed memory.

use rustpython_vm::{AsObject, PyObjectRef, VirtualMachine, builtins::PyType};
use std::sync::OnceLock;

use super::{MORTAL_TYPE, addrmap::AddrSet, aux, header, rp_key};
use crate::abi::PyObject;

/// Mortal type mirrors alive (for the sweep's promotion pass).
static MORTAL: parking_lot::Mutex<Option<AddrSet>> = parking_lot::Mutex::new(None);

/// Releases what the types layer put into a type object (its name, its
/// `tp_mro` and `tp_bases` tuples, its entry in the native-type set) before
/// the bridge frees the allocation; set when the facade is installed.
static RELEASE: OnceLock<unsafe fn(*mut PyObject)> = OnceLock::new();

/// Installs the release hook of type objects.
pub fn set_type_release(release: unsafe fn(*mut PyObject)) {
    let _ = RELEASE.set(release);
}

/// Makes `p`, the freshly made and registered type object of heap type
/// `ty`, mortal: it starts with no C reference and not holding `ty`, and is
/// freed when `ty` dies. False if `ty` cannot be weakly referenced (the
/// mirror then stays immortal, holding its class).
pub fn make_mortal(vm: &VirtualMachine, p: *mut PyObject, ty: &rustpython_vm::Py<PyType>) -> bool {
    let addr = p as usize;
    // The class can die on any thread (a pure-Python one too): the type
    // object is released under the GIL, like every bridge operation.
    let callback = vm.new_function("type_object_release", move |_weak: PyObjectRef| {
        crate::runtime::gil::with_gil_if_attached(|| class_died(addr as *mut PyObject))
    });
    let Ok(weak) = ty.as_object().downgrade(Some(callback.into()), vm) else { return false };
    // SAFETY: p is a live facade type object with a pre-header.
    unsafe {
        aux(p).class = Some((weak, rp_key(ty.as_object())));
        let h = header(p);
        h.flags |= MORTAL_TYPE;
        drop(h.rp.take());
        (*p).ob_refcnt = 0;
    }
    MORTAL.lock().get_or_insert_with(Default::default).insert(addr);
    true
}

/// Whether `p` is a mortal type object that does not hold its class now.
pub(super) fn is_weak(h: &super::PreHeader) -> bool {
    h.flags & MORTAL_TYPE != 0 && h.rp.is_none()
}

/// The class of mortal type object `p` while it lives: held again if C holds
/// references to `p`. None once the class is gone.
pub(super) fn class_of(p: *mut PyObject) -> Option<PyObjectRef> {
    // SAFETY: p is a live mortal type object.
    let h = unsafe { header(p) };
    if let Some(c) = &h.rp {
        return Some(c.clone());
    }
    // SAFETY: aux is owned by the header.
    let class = unsafe { h.aux.as_ref() }?.class.as_ref()?.0.upgrade()?;
    // SAFETY: p is alive.
    if unsafe { (*p).ob_refcnt } > 0 {
        h.set_rp(class.clone());
    }
    Some(class)
}

/// Called when C's last reference to mortal type object `p` went: lets go
/// of the class. Returns it for the caller to drop (which may free `p`).
pub(super) fn release_class(p: *mut PyObject) -> Option<PyObjectRef> {
    // SAFETY: p is a live mortal type object.
    unsafe { header(p) }.rp.take()
}

/// Holds the classes of weak mortal type objects that C referenced inline
/// since they let go (run by every sweep, before each collection).
pub(super) fn promote_referenced() {
    let list: Vec<usize> = MORTAL.lock().as_ref().map(|s| s.iter().copied().collect()).unwrap_or_default();
    for a in list {
        let p = a as *mut PyObject;
        // SAFETY: members of MORTAL are live mortal type objects.
        if unsafe { (*p).ob_refcnt } > 0 && is_weak(unsafe { header(p) }) {
            class_of(p);
        }
    }
}

/// The weak-reference callback: the class of `p` is being freed.
fn class_died(p: *mut PyObject) {
    if !MORTAL.lock().as_mut().is_some_and(|s| s.remove(&(p as usize))) {
        return;
    }
    // SAFETY: p was in MORTAL, so it is a live mortal type object.
    let h = unsafe { header(p) };
    // SAFETY: aux is owned by the header.
    let key = unsafe { h.aux.as_mut() }.and_then(|a| a.class.take()).map(|(_, key)| key);
    if let Some(key) = key {
        super::unregister_addr(key, p);
    }
    // SAFETY: p is alive.
    if unsafe { (*p).ob_refcnt } > 0 {
        // C still holds references it took inline: keep the memory, which
        // the API now refuses (see the module docs).
        return;
    }
    if let Some(release) = RELEASE.get() {
        // SAFETY: p is a type object nobody references any more.
        unsafe { release(p) };
    }
    // SAFETY: refcount 0, not queued (type objects are never parked).
    drop(unsafe { super::free(p) });
}

/// Number of mortal type objects alive (for leak tests).
pub fn mortal_types() -> usize {
    MORTAL.lock().as_ref().map_or(0, |s| s.len())
}

