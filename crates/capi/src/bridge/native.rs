//! Native objects (instances of extension types, allocated by `tp_alloc`)
//! and their RustPython twins.
//!
//! The C memory is authoritative. When a native object first crosses into
//! Python it gets a twin: an instance of the type's twin type whose payload
//! stands for the native object. As for every mirror, `ob_refcnt` counts C's
//! references only, and the pair follows them:
//!
//! - **linked** (`ob_refcnt > 0`): the native object's pre-header holds its
//!   twin strongly, so identity is stable while C holds the object: an
//!   object kept alive only by extension code keeps its twin (and `id()`,
//!   `__dict__`, weak references).
//! - **weak** (C's last reference went, [`dealloc_object`] at `ob_refcnt ==
//!   0`, whether by the bridge's `decref`, `Py_DecRef` or an inline
//!   `Py_DECREF` calling `_Py_Dealloc`): the native object stops holding its
//!   twin, which Python may still hold; the twin's payload keeps the native
//!   object's memory. When the twin dies, `tp_dealloc` runs at once, as on
//!   CPython, and a twin kept only by a cycle through its own `__dict__` is
//!   ordinary RustPython garbage. When C takes a reference through the
//!   bridge again, the link is restored ([`promote`]).
//!
//! Cycles among native objects (kept by C references they hold on each
//! other) are found through `tp_traverse` and broken with `tp_clear` by
//! [`collect`], which runs when the number of linked pairs doubles and on
//! every `gc.collect()`.
//!
//! Every pointer the facade gives C is a reference it holds (arguments,
//! results, borrowed results held by their owner), so a native object in the
//! weak state is one C holds no reference to. Only C that keeps a pointer
//! without a reference and later `Py_INCREF`s it inline while Python still
//! holds the object (legal on CPython, if unusual) can outlive the twin: the
//! native object then survives and gets a new twin when it next crosses (a
//! new `id()`, and an empty `__dict__`). RustPython cannot resurrect the
//! twin instead: it calls a `del` slot only for classes with a `__del__`.
//!
//! Instances with a builtin payload (exceptions, dicts: `NativeBuiltin`)
//! cannot point to their native object; their reference is counted in
//! `ob_refcnt` (virtual) and released by [`collect`].

use parking_lot::Mutex;
use rustpython_vm::builtins::PyType;
use rustpython_vm::types::PyTypeFlags;
use rustpython_vm::{AsObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{PRE, PreHeader, TRACKED, header, register_mirror};
use crate::abi::PyObject;
use crate::runtime::{gil, system_error};

/// The collector's state of a native object, allocated in front of its
/// pre-header (zeroed by `alloc`: no twin in the weak state, no slot).
#[repr(C)]
pub(super) struct NativeExtra {
    /// The twin's address while the object is in the weak state, else 0.
    weak: usize,
    /// 1 + the object's index in [`CANDIDATES`], or 0. Written under that
    /// lock; whether it is 0 changes only by operations on this object, so
    /// they may read that without the lock.
    slot: AtomicUsize,
}

/// Size of [`NativeExtra`]; keeps objects 16-byte aligned.
pub(super) const EXTRA: usize = size_of::<NativeExtra>();
const _: () = assert!(EXTRA % 16 == 0);

/// # Safety
/// `p` must be a native object allocated by `alloc` (kind `Native` or
/// `NativeBuiltin`), alive or kept by its twin.
unsafe fn extra<'a>(p: *mut PyObject) -> &'a mut NativeExtra {
    // SAFETY: alloc() places a NativeExtra EXTRA bytes before such an object's pre-header.
    unsafe { &mut *p.cast::<u8>().sub(PRE + EXTRA).cast::<NativeExtra>() }
}

/// The payload of a twin: its native object, whose memory it keeps.
#[rustpython_vm::pyclass(module = false, name = "pyfacade_native")]
#[derive(Debug, PyPayload)]
pub struct NativeTwin {
    ptr: usize,
    /// The twin's own address (its identity-map key), set once made.
    me: AtomicUsize,
}

#[rustpython_vm::pyclass]
impl NativeTwin {}

impl Drop for NativeTwin {
    fn drop(&mut self) {
        let p = self.ptr as *mut PyObject;
        let me = self.me.load(Ordering::Relaxed);
        // tp_dealloc runs extension code: hold the GIL for it.
        gil::with_gil_if_attached(|| {
            // A weak-state native forgets this twin before it is released.
            // SAFETY: the twin keeps p's memory.
            let e = unsafe { extra(p) };
            if e.weak == me {
                e.weak = 0;
            }
            // SAFETY: the twin keeps p's memory. At refcount 0 with no other
            // twin, nothing else can reach p: deallocate it.
            unsafe {
                if (*p).ob_refcnt == 0 && !has_twin(p) {
                    super::run_tp_dealloc(p);
                }
            }
        });
    }
}

/// The collector's candidates: native objects linked to their twin (the
/// pre-header holds it) or tracked for cycle collection (GC types). Each
/// knows its index ([`NativeExtra::slot`]): O(1) to add and remove.
static CANDIDATES: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static THRESHOLD: AtomicUsize = AtomicUsize::new(MIN_THRESHOLD);
const MIN_THRESHOLD: usize = 1024;

/// Adds native `p` to [`CANDIDATES`] or removes it, as its state says;
/// returns the number of candidates.
fn update(p: *mut PyObject) -> usize {
    // SAFETY: p is a live native object.
    let (h, e) = unsafe { (header(p), extra(p)) };
    let wanted = h.rp.is_some() || h.flags & TRACKED != 0;
    // Nothing to change (the common case: linking a tracked object, or
    // weakening a twin that stays a candidate): no lock.
    if wanted == (e.slot.load(Ordering::Relaxed) != 0) {
        return CANDIDATE_COUNT.load(Ordering::Relaxed);
    }
    let mut c = CANDIDATES.lock();
    if wanted && e.slot.load(Ordering::Relaxed) == 0 {
        c.push(p as usize);
        e.slot.store(c.len(), Ordering::Relaxed);
    } else if !wanted && e.slot.load(Ordering::Relaxed) != 0 {
        remove_candidate(&mut c, e);
    }
    CANDIDATE_COUNT.store(c.len(), Ordering::Relaxed);
    c.len()
}

/// `CANDIDATES.len()`, readable without the lock.
static CANDIDATE_COUNT: AtomicUsize = AtomicUsize::new(0);

fn remove_candidate(c: &mut Vec<usize>, e: &mut NativeExtra) {
    let i = e.slot.load(Ordering::Relaxed) - 1;
    c.swap_remove(i);
    if let Some(&moved) = c.get(i) {
        // SAFETY: candidates are live native objects.
        unsafe { extra(moved as *mut PyObject) }.slot.store(i + 1, Ordering::Relaxed);
    }
    e.slot.store(0, Ordering::Relaxed);
    CANDIDATE_COUNT.store(c.len(), Ordering::Relaxed);
}

/// The twin of native object `p` in the weak state, if it is still alive.
fn weak_twin(p: *mut PyObject) -> Option<PyObjectRef> {
    // SAFETY: p is a live native object.
    let e = unsafe { extra(p) };
    if e.weak == 0 {
        return None;
    }
    // SAFETY: a weak-state twin is alive or inside its own drop, which
    // needs the GIL we hold to free it: its memory is still there.
    let t = unsafe { rustpython_vm::PyObject::try_to_owned_from_ptr(e.weak as *mut rustpython_vm::PyObject) };
    if t.is_none() {
        // The twin is being destroyed: its drop will find the field changed.
        e.weak = 0;
    }
    t
}

/// The twin of native object `p`: its existing twin if it is in the weak
/// state and the twin is alive, else a new one.
pub(super) fn realise(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    if let Some(t) = weak_twin(p) {
        // SAFETY: p is a live native object.
        if unsafe { (*p).ob_refcnt } > 0 {
            promote(p, &t);
        }
        return Ok(t);
    }
    // SAFETY: p is a live or dying native object.
    if unsafe { (*p).ob_refcnt } == 0 {
        // Inside its tp_dealloc (extension code calling the API on itself):
        // a new twin would keep memory about to be freed.
        return Err(system_error(vm, format!("the native object at {p:p} is being deallocated")));
    }
    let twin = new_twin(vm, p)?;
    // SAFETY: p is facade-allocated.
    unsafe { header(p) }.set_rp(twin.clone());
    link(vm, p);
    Ok(twin)
}

/// The twin of native object `p` whose last C reference the caller is
/// about to release (a new object C returns, see `dying_object`): made in
/// the weak state at once, rather than linked and then let go. `None` if
/// `p` already has a twin.
pub(super) fn realise_dying(vm: &VirtualMachine, p: *mut PyObject) -> Option<PyResult<PyObjectRef>> {
    // SAFETY: p is a live native object.
    if unsafe { header(p) }.rp.is_some() || unsafe { extra(p) }.weak != 0 {
        return None;
    }
    Some(new_twin(vm, p).inspect(|t| {
        // SAFETY: as above.
        unsafe { extra(p) }.weak = t.as_object() as *const rustpython_vm::PyObject as usize;
    }))
}

/// A new twin for native object `p`; a twin needs no identity entry (it
/// points to `p`).
fn new_twin(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    // SAFETY: p is a native object; its type pointer is a full type object.
    let tp = unsafe { (*p).ob_type };
    let cls = super::to_rp(vm, tp.cast())?
        .downcast::<PyType>()
        .map_err(|_| system_error(vm, "native object's ob_type is not a type"))?;
    let dict = cls.slots.flags.has_feature(PyTypeFlags::HAS_DICT).then(|| vm.ctx.new_dict());
    let twin: PyObjectRef = PyRef::new_ref(NativeTwin { ptr: p as usize, me: AtomicUsize::new(0) }, cls, dict).into();
    if let Some(t) = twin.downcast_ref::<NativeTwin>() {
        t.me.store(twin.as_object() as *const rustpython_vm::PyObject as usize, Ordering::Relaxed);
    }
    Ok(twin)
}

/// `_Py_Dealloc` of a native object (`Kind::Native`) with a twin: C's last
/// reference went, the native object stops holding its twin (weak state;
/// dropping the twin may deallocate `p` at once). Returns false for one
/// without a twin, which the caller deallocates; after true, `p` must not be
/// touched.
pub(super) fn release_twin(p: *mut PyObject) -> bool {
    // SAFETY: p is a native object at refcount 0.
    match unsafe { header(p) }.rp.take() {
        Some(twin) => {
            weaken(p, &twin);
            drop(twin);
            true
        }
        // SAFETY: as above.
        None => unsafe { extra(p) }.weak != 0,
    }
}

/// Puts native `p`, whose link to `twin` the caller has taken, in the weak
/// state: it no longer holds `twin` (the caller drops that reference), and
/// finds it again through [`NativeExtra::weak`].
fn weaken(p: *mut PyObject, twin: &PyObjectRef) {
    // SAFETY: p is a live native object.
    unsafe { extra(p) }.weak = twin.as_object() as *const rustpython_vm::PyObject as usize;
    update(p);
}

/// Whether native `p` has a twin (held, or alive in the weak state).
pub(super) fn has_twin(p: *mut PyObject) -> bool {
    // SAFETY: p is a native object.
    unsafe { header(p) }.rp.is_some() || unsafe { extra(p) }.weak != 0
}

/// Restores the link of weak-state native `p` to its live twin `twin`.
pub(super) fn promote(p: *mut PyObject, twin: &rustpython_vm::PyObject) {
    // SAFETY: p is a live native object.
    let (h, e) = unsafe { (header(p), extra(p)) };
    if h.rp.is_none() && e.weak != 0 {
        e.weak = 0;
        h.set_rp(twin.to_owned());
        update(p);
    }
}

/// Records that `p` holds its twin (and the twin, really or virtually, `p`).
fn link(vm: &VirtualMachine, p: *mut PyObject) {
    if update(p) >= THRESHOLD.load(Ordering::Relaxed) {
        collect(vm);
    }
}

/// A native object of C type `tp` (size `tp_basicsize`) whose RustPython
/// side is `instance`, an instance with a builtin payload (exception, dict).
/// `instance` cannot carry a reference to the native object, so that
/// reference is virtual: counted in `ob_refcnt` and released by the collector.
/// Returns a new reference.
pub fn new_builtin_based(vm: &VirtualMachine, tp: *mut crate::abi::PyTypeObject, instance: PyObjectRef) -> *mut PyObject {
    // SAFETY: tp is a native type object with a valid basicsize.
    let size = unsafe { (*tp).tp_basicsize }.max(16) as usize;
    let p = super::alloc(size, super::Kind::NativeBuiltin, tp, Some(instance.clone()));
    register_mirror(&instance, p);
    super::mirror::sync_builtin_base(vm, p, &instance);
    // SAFETY: the virtual reference of the instance.
    unsafe { super::incref(p) };
    link(vm, p);
    p
}

/// The native object a twin stands for, if `obj` is a twin.
pub fn native_of(obj: &rustpython_vm::PyObject) -> Option<*mut PyObject> {
    obj.downcast_ref::<NativeTwin>().map(|t| t.ptr as *mut PyObject)
}

/// Frees every unreachable native/twin pair; returns how many were freed.
/// Freeing a pair can release the last reference to another pair (a native
/// object's fields hold references), so passes repeat until none is found.
pub fn collect(vm: &VirtualMachine) -> usize {
    // Python code (gc.collect) runs without the GIL: other threads' C code
    // must not free or link natives while the sets and counts are read.
    let _g = gil::ensure(vm);
    let mut total = 0;
    loop {
        let mut freed = collect_pass(vm);
        if freed == 0 {
            freed = collect_cycles(vm);
        }
        total += freed;
        if freed == 0 {
            return total;
        }
    }
}

/// Twin links taken from garbage native objects, released together.
#[derive(Default)]
struct Unlinked {
    twins: Vec<PyObjectRef>,
    /// Natives whose twin has a builtin payload: their reference is virtual.
    virtual_refs: Vec<*mut PyObject>,
}

impl Unlinked {
    /// Takes garbage native `p`'s link to its twin and its identity entry.
    fn take(&mut self, p: *mut PyObject) {
        // SAFETY: p is a linked native, still alive (nothing was released yet).
        let h: &mut PreHeader = unsafe { header(p) };
        if let Some(t) = h.rp.take() {
            if h.kind == super::Kind::NativeBuiltin {
                super::unregister(&t, p);
                update(p);
                self.virtual_refs.push(p);
            } else {
                // Weak state: released C references cannot free p before
                // its twin goes, and the twin's drop deallocates it.
                weaken(p, &t);
            }
            self.twins.push(t);
        }
    }

    /// Drops the twins (each releases its native object, running
    /// `tp_dealloc`), then the builtin-payload twins' virtual references.
    fn release(self, vm: &VirtualMachine) {
        drop(self.twins);
        let _g = gil::ensure(vm);
        for p in self.virtual_refs {
            // SAFETY: the virtual reference the builtin-payload instance held.
            unsafe { super::decref(p) };
        }
    }
}

unsafe extern "C" fn visit_decref(o: *mut PyObject, arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    // SAFETY: arg is the map passed by collect_cycles.
    let refs = unsafe { &mut *arg.cast::<std::collections::HashMap<usize, isize>>() };
    if let Some(n) = refs.get_mut(&(o as usize)) {
        *n -= 1;
    }
    0
}

unsafe extern "C" fn visit_collect(o: *mut PyObject, arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    // SAFETY: arg is the vector passed by collect_cycles.
    let out = unsafe { &mut *arg.cast::<Vec<usize>>() };
    out.push(o as usize);
    0
}

fn traverse(p: *mut PyObject, visit: crate::abi::visitproc, arg: *mut std::ffi::c_void) {
    // SAFETY: p is a live native object; tp_traverse follows CPython's contract.
    unsafe {
        if let Some(t) = (*(*p).ob_type).tp_traverse {
            t(p, visit, arg);
        }
    }
}

/// CPython's cycle detection over native objects (those with a twin, and
/// those of GC types tracked since `tp_alloc` or `PyObject_GC_Track`):
/// references native objects hold on each other (reported by
/// `tp_traverse`) are internal; C references from elsewhere and Python's
/// references to a twin are external. What is not reachable from an object
/// with external references is garbage: it is unlinked from its twins and
/// `tp_clear`ed, which breaks the cycles, and freed as its counts reach 0.
/// Cycles that pass through RustPython objects (a twin's `__dict__` holding
/// another native object) are kept. The caller ([`collect`]) holds the GIL.
fn collect_cycles(vm: &VirtualMachine) -> usize {
    use std::collections::{HashMap, HashSet};
    let candidates: HashSet<usize> = CANDIDATES.lock().iter().copied().collect();
    if candidates.is_empty() {
        return 0;
    }
    let mut refs: HashMap<usize, isize> = HashMap::with_capacity(candidates.len());
    for &a in &candidates {
        let p = a as *mut PyObject;
        // SAFETY: linked and tracked natives are alive.
        let h = unsafe { header(p) };
        // Python holding the twin (a linked one held by more than its native
        // object, or one in the weak state) is an external reference; a
        // builtin-payload instance's virtual reference is counted in ob_refcnt.
        let external_twin = match &h.rp {
            Some(t) => t.strong_count() > 1,
            // SAFETY: as above.
            None => unsafe { extra(p) }.weak != 0,
        } as isize;
        let virtual_ref = (h.kind == super::Kind::NativeBuiltin) as isize;
        // SAFETY: as above.
        refs.insert(a, unsafe { (*p).ob_refcnt } - virtual_ref + external_twin);
    }
    let arg = (&raw mut refs).cast();
    for &a in &candidates {
        traverse(a as *mut PyObject, visit_decref, arg);
    }
    let mut reachable: HashSet<usize> = HashSet::new();
    let mut stack: Vec<usize> = refs.iter().filter(|&(_, &n)| n > 0).map(|(&a, _)| a).collect();
    while let Some(a) = stack.pop() {
        if !reachable.insert(a) {
            continue;
        }
        let mut next: Vec<usize> = vec![];
        traverse(a as *mut PyObject, visit_collect, (&raw mut next).cast());
        stack.extend(next.into_iter().filter(|x| refs.contains_key(x) && !reachable.contains(x)));
    }
    let garbage: Vec<*mut PyObject> = candidates.into_iter().filter(|a| !reachable.contains(a)).map(|a| a as *mut PyObject).collect();
    if garbage.is_empty() {
        return 0;
    }
    // As CPython's delete_garbage: every object stays alive (our reference)
    // while the cycles are broken, then goes as its count reaches 0 (twinless
    // ones at once, the others when their twins are released).
    let mut unlinked = Unlinked::default();
    for &p in &garbage {
        // SAFETY: p is alive; released below.
        unsafe { super::incref(p) };
        unlinked.take(p);
    }
    for &p in &garbage {
        // SAFETY: p is alive; tp_clear follows CPython's contract.
        unsafe {
            if let Some(clear) = (*(*p).ob_type).tp_clear {
                clear(p);
                crate::runtime::errors::restore(None);
            }
        }
    }
    for &p in &garbage {
        // SAFETY: the reference taken above.
        unsafe { super::decref(p) };
    }
    unlinked.release(vm);
    garbage.len()
}

/// Tracks native `p` for cycle collection (a GC type's instance).
pub fn track(p: *mut PyObject) {
    set_tracked(p, true);
}

/// Stops tracking native `p` (`PyObject_GC_UnTrack`).
pub fn untrack(p: *mut PyObject) {
    set_tracked(p, false);
}

fn set_tracked(p: *mut PyObject, on: bool) {
    if !super::is_native(p) {
        return;
    }
    // SAFETY: p is a live native object.
    let h = unsafe { header(p) };
    if on {
        h.flags |= TRACKED;
    } else {
        h.flags &= !TRACKED;
    }
    update(p);
}

/// Whether native `p` is tracked for cycle collection.
pub fn is_tracked(p: *mut PyObject) -> bool {
    // SAFETY: callers pass live objects.
    super::is_native(p) && unsafe { header(p) }.flags & TRACKED != 0
}

/// Native `p` is being freed: it leaves the candidates.
pub(super) fn forget(p: *mut PyObject) {
    // SAFETY: p is a native object being freed.
    let e = unsafe { extra(p) };
    if e.slot.load(Ordering::Relaxed) != 0 {
        remove_candidate(&mut CANDIDATES.lock(), e);
    }
}

fn collect_pass(vm: &VirtualMachine) -> usize {
    let candidates: Vec<usize> = CANDIDATES.lock().clone();
    let mut unlinked = Unlinked::default();
    for addr in candidates {
        let p = addr as *mut PyObject;
        // SAFETY: linked natives are alive (C, or for a builtin-payload
        // native its instance, holds a reference).
        let h: &PreHeader = unsafe { header(p) };
        // A builtin-payload pair referenced only by each other (a native
        // object's only C reference is the instance's virtual one).
        let dead = h.kind == super::Kind::NativeBuiltin
            // SAFETY: as above.
            && unsafe { (*p).ob_refcnt } == 1
            && h.rp.as_ref().is_some_and(|t| t.strong_count() == 1);
        if dead {
            unlinked.take(p);
        }
    }
    let freed = unlinked.twins.len();
    let kept = CANDIDATES.lock().len();
    THRESHOLD.store((kept * 2).max(MIN_THRESHOLD), Ordering::Relaxed);
    unlinked.release(vm);
    freed
}

/// Number of native objects linked to a twin (for tests).
pub fn linked() -> usize {
    // SAFETY: candidates are live native objects.
    CANDIDATES.lock().iter().filter(|&&a| unsafe { header(a as *mut PyObject) }.rp.is_some()).count()
}

