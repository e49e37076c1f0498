//! Parked mirrors: persistent mirrors whose `ob_refcnt` reached zero while
//! their RustPython object is still held elsewhere. They stay registered and
//! keep their inline data, so that the next crossing costs one map lookup;
//! a sweep frees those whose RustPython object nobody else holds any more.
//!
//! The queue holds each parked mirror once (`QUEUED` flag). A mirror revived
//! by a crossing stays queued until the next sweep drops it from the queue;
//! while queued it is freed only by a sweep, never by `dealloc`.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{Kind, QUEUED, free, header};
use crate::abi::PyObject;

static QUEUE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// Container mirrors parked since the last entry into extension code, not
/// yet in the queue (see [`check_fresh`]); at most [`FRESH_MAX`], oldest first.
static FRESH: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static FRESH_ANY: AtomicBool = AtomicBool::new(false);
const FRESH_MAX: usize = 16;
static THRESHOLD: AtomicUsize = AtomicUsize::new(MIN_THRESHOLD);
static DUE: AtomicBool = AtomicBool::new(false);
const MIN_THRESHOLD: usize = 4096;

/// Parks mirror `p` (refcount 0): the borrowed references it handed out
/// lapse with C's last reference to it; the mirror itself is freed at once
/// if it is its RustPython object's only holder, else queued.
///
/// # Safety
/// `p` must be a persistent mirror at refcount 0.
pub(super) unsafe fn park(p: *mut PyObject) {
    // SAFETY: guaranteed by the caller.
    let h = unsafe { header(p) };
    if !h.aux.is_null() {
        // SAFETY: aux is owned by the header.
        unsafe { (*h.aux).release_on_park() };
    }
    if h.flags & QUEUED != 0 {
        return;
    }
    if h.rp.as_ref().is_some_and(|o| o.strong_count() == 1) {
        // SAFETY: p is at refcount 0 and not queued.
        drop(unsafe { free(p) });
        return;
    }
    h.flags |= QUEUED;
    if matches!(h.kind, Kind::Tuple | Kind::List | Kind::Dict | Kind::Set) {
        let evicted = {
            let mut f = FRESH.lock();
            let evicted = (f.len() == FRESH_MAX).then(|| f.remove(0));
            f.push(p as usize);
            evicted
        };
        FRESH_ANY.store(true, Ordering::Relaxed);
        if let Some(a) = evicted {
            enqueue(a);
        }
        return;
    }
    enqueue(p as usize);
}

/// Adds parked mirror `a` (flagged `QUEUED`) to the queue.
fn enqueue(a: usize) {
    let n = {
        let mut q = QUEUE.lock();
        q.push(a);
        q.len()
    };
    if n >= THRESHOLD.load(Ordering::Relaxed) {
        DUE.store(true, Ordering::Relaxed);
    }
}

/// Looks again at the containers parked since the last entry into extension
/// code: C let go of them while Python still held them (the call's
/// arguments), and by the next entry Python has usually dropped them too.
/// One that only its mirror holds now is freed at once — with what only it
/// held, so that `{key: 1}` passed to an extension and dropped releases
/// `key` before the next call, as on CPython; the others join the queue.
/// One load when there are none. Called at safe points (entries into
/// extension code, `sys.getrefcount`) with the GIL held.
pub(crate) fn check_fresh() {
    if !FRESH_ANY.load(Ordering::Relaxed) {
        return;
    }
    let mut left = std::mem::take(&mut *FRESH.lock());
    FRESH_ANY.store(false, Ordering::Relaxed);
    // Freeing a container can leave one parked before it (a tuple a dict
    // held) with no other holder: passes repeat while they free any.
    loop {
        let before = left.len();
        let mut kept = Vec::with_capacity(before);
        // Most recently parked first: containers tend to park before their container.
        for a in left.into_iter().rev() {
            let p = a as *mut PyObject;
            // SAFETY: fresh mirrors are alive (only this function and sweeps
            // free them, and neither sees the ones taken here).
            let h = unsafe { header(p) };
            // SAFETY: p is alive.
            if unsafe { (*p).ob_refcnt } > 0 {
                // Revived by a crossing: parked again when C lets go again.
                h.flags &= !QUEUED;
            } else if h.rp.as_ref().is_none_or(|o| o.strong_count() == 1) {
                h.flags &= !QUEUED;
                // SAFETY: refcount 0, no longer queued. Dropping the object
                // can run Python code (finalisers), which cannot reach the
                // mirrors taken here.
                drop(unsafe { free(p) });
            } else {
                kept.push(a);
            }
        }
        kept.reverse();
        left = kept;
        if left.is_empty() || left.len() == before {
            break;
        }
    }
    for a in left {
        enqueue(a);
    }
}

/// Runs a sweep if the queue has doubled since the last one. Called at safe
/// points (entries into extension code), never from inside `dealloc`.
pub(super) fn sweep_if_due() {
    if DUE.load(Ordering::Relaxed) && DUE.swap(false, Ordering::Relaxed) {
        rustpython_vm::vm::thread::try_with_current_vm(|vm| sweep(vm, false));
    }
}

/// Frees parked mirrors whose RustPython object has no other holder (and
/// every parked container mirror if `full`), repeating until a pass frees nothing (freeing a
/// container releases its items). Returns how many were freed.
pub fn sweep(vm: &rustpython_vm::VirtualMachine, full: bool) -> usize {
    let _g = crate::runtime::gil::ensure(vm);
    super::typemirror::promote_referenced();
    let mut total = 0;
    let fresh = std::mem::take(&mut *FRESH.lock());
    FRESH_ANY.store(false, Ordering::Relaxed);
    QUEUE.lock().extend(fresh);
    loop {
        let candidates = std::mem::take(&mut *QUEUE.lock());
        let mut kept = Vec::with_capacity(candidates.len());
        let mut dropped = Vec::new();
        for a in candidates {
            let p = a as *mut PyObject;
            // SAFETY: queued mirrors are alive until a sweep frees them.
            let h = unsafe { header(p) };
            // SAFETY: p is alive.
            if unsafe { (*p).ob_refcnt } > 0 {
                // Revived by a crossing: it is queued again when parked again.
                h.flags &= !QUEUED;
            } else if (full && !h.is_persistent_leaf()) || h.rp.as_ref().is_none_or(|o| o.strong_count() == 1) {
                h.flags &= !QUEUED;
                // SAFETY: refcount 0 and no longer queued.
                dropped.push(unsafe { free(p) });
            } else {
                kept.push(a);
            }
        }
        let freed = dropped.len();
        let n_kept = kept.len();
        QUEUE.lock().extend(kept);
        THRESHOLD.store((2 * n_kept).max(MIN_THRESHOLD), Ordering::Relaxed);
        // Dropping can run Python code (finalisers) and park further mirrors.
        drop(dropped);
        total += freed;
        if freed == 0 {
            return total;
        }
    }
}

/// Number of parked mirrors in the queue (for tests).
pub fn parked() -> usize {
    QUEUE.lock().len() + FRESH.lock().len()
}
