//! The lists that most recently crossed into C, re-checked after each C-API
//! call that ran Python code (`objects::py`): C often reads a list it got
//! from a call (`warnings.catch_warnings().__enter__()`'s log) inline with
//! `PyList_GET_SIZE`/`GET_ITEM` after another API call let Python change it.
//!
//! Cost: a list mirror in the ring carries the [`RECENT`] flag, so crossing
//! a list already there is one flag test, and a new one one slot store (the
//! evicted list loses its flag); freeing a list mirror scans the ring only
//! if it is in it. Each check is O(1) for an unchanged list (its mutation
//! count), and a changed list is re-synchronised only if it has at most
//! [`MAX_ITEMS`] items, so that Python code growing a long list between API
//! calls stays linear. The ring and the flags change under the GIL.

use std::sync::atomic::{AtomicUsize, Ordering};

use rustpython_vm::VirtualMachine;

use super::{Kind, RECENT, header};
use crate::abi::{PyObject, PyVarObject};

/// How many recent lists are kept (all threads share them: enough for a few
/// lists per thread while many threads cross lists at once).
pub const SLOTS: usize = 64;
/// The largest list (as C last saw it) re-checked.
pub const MAX_ITEMS: isize = 4096;

static RING: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// How many slots hold a list, so that [`recheck`] with none costs one load.
static OCCUPIED: AtomicUsize = AtomicUsize::new(0);

/// Records that list mirror `p` crossed into C.
pub(super) fn note(p: *mut PyObject) {
    // SAFETY: p is a live list mirror.
    let h = unsafe { header(p) };
    if h.flags & RECENT != 0 {
        return;
    }
    h.flags |= RECENT;
    let old = RING[NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS].swap(p as usize, Ordering::Relaxed);
    if old != 0 {
        // SAFETY: a slot holds a live list mirror (`forget` clears it first).
        unsafe { header(old as *mut PyObject) }.flags &= !RECENT;
    } else {
        OCCUPIED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Forgets list mirror `p` (being freed; `flags` its header's flags).
pub(super) fn forget(p: *mut PyObject, flags: u16) {
    if flags & RECENT == 0 {
        return;
    }
    let a = p as usize;
    for s in &RING {
        if s.compare_exchange(a, 0, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            OCCUPIED.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Brings the recent lists C holds up to date (called with the GIL held,
/// after Python code ran).
pub fn recheck(vm: &VirtualMachine) {
    if OCCUPIED.load(Ordering::Relaxed) == 0 {
        return;
    }
    for s in &RING {
        let p = s.load(Ordering::Relaxed) as *mut PyObject;
        if p.is_null() {
            continue;
        }
        // SAFETY: a slot holds a live list mirror: `free` clears it first,
        // under the GIL this thread holds.
        let (held, small) = unsafe { ((*p).ob_refcnt > 0, (*p.cast::<PyVarObject>()).ob_size <= MAX_ITEMS) };
        // SAFETY: as above.
        if held && small && unsafe { header(p) }.kind == Kind::List {
            super::refresh(vm, p);
        }
    }
}
