//! Hidden dicts: the register of hidden dict mirrors that have not escaped.
//!
//! A dict C makes with `PyDict_New` and fills with `PyDict_SetItem` is, like
//! a new int or str, reachable only through its mirror, so its mirror is
//! hidden (see "Hidden mirrors" in the module docs). Unlike those leaves a
//! dict is tracked by RustPython's collector, so Python has one more way to
//! reach it: `gc.get_objects()`, `gc.get_referrers()`, `gc.get_referents()`
//! (a native object's `tp_traverse` visits what C holds) and `gc.garbage`
//! under `DEBUG_SAVEALL`. The bootstrap wraps those calls: while one runs,
//! every hidden dict is registered ([`Exposed`]) and no new dict is hidden.
//! A hidden dict is listed here (its index in the header's `version`) from
//! its creation until it escapes, is registered, or is freed: O(1) each.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ESCAPED, HIDDEN, Kind, PreHeader, STR_KEYS, header};
use crate::abi::PyObject;

/// Hidden dict mirrors not yet escaped; each header's `version` is its index.
static DICTS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// While non-zero, new dicts are not hidden: a gc introspection call is
/// running ([`Exposed`]) or `DEBUG_SAVEALL` is set ([`set_saveall`]).
static EXPOSING: AtomicUsize = AtomicUsize::new(0);

/// Whether new dicts may be hidden now.
pub(super) fn dicts_hideable() -> bool {
    EXPOSING.load(Ordering::Relaxed) == 0
}

/// Lists hidden mirror `p` (header `h`) if it is a dict.
pub(super) fn list(p: *mut PyObject, h: &mut PreHeader) {
    if h.kind == Kind::Dict {
        let mut v = DICTS.lock();
        h.version = v.len() as u32;
        v.push(p as usize);
    }
}

/// Removes hidden mirror `p` (header `h`) from the list, if it is a dict
/// not yet escaped (escaped mirrors left it when they escaped).
pub(super) fn unlist(p: *mut PyObject, h: &PreHeader) {
    if h.kind != Kind::Dict || h.flags & (HIDDEN | ESCAPED) != HIDDEN {
        return;
    }
    let mut v = DICTS.lock();
    let i = h.version as usize;
    debug_assert_eq!(v.get(i), Some(&(p as usize)));
    v.swap_remove(i);
    if let Some(&moved) = v.get(i) {
        // SAFETY: listed mirrors are alive (freeing one unlists it first).
        unsafe { header(moved as *mut PyObject) }.version = i as u32;
    }
}

/// Marks `p`, a new empty dict from `PyDict_New`, as holding exact-str keys
/// only, if it is hidden.
pub fn mark_str_keyed(p: *mut PyObject) {
    // SAFETY: p is NULL (PyDict_New failed) or a new object C is about to get.
    if let Some(h) = unsafe { super::mortal_header(p) }.filter(|h| h.kind == Kind::Dict && h.flags & HIDDEN != 0) {
        h.flags |= STR_KEYS;
    }
}

/// Whether `p` is a dict only C has seen whose keys are all exact strs:
/// storing one more exact-str key into it runs no Python code (hashing and
/// comparing exact strs is native), so `PyDict_SetItem` need not release
/// the GIL around it. Nothing but the `PyDict_*` functions can change it.
pub fn is_str_keyed(p: *mut PyObject) -> bool {
    // SAFETY: p is NULL or a live object (a C-API argument); mortal_header
    // answers None for NULL.
    unsafe { super::mortal_header(p) }.is_some_and(|h| h.flags & (HIDDEN | ESCAPED | STR_KEYS) == HIDDEN | STR_KEYS)
}

/// Dict `p` may now hold keys other than exact strs.
pub fn mixed_keys(p: *mut PyObject) {
    // SAFETY: as in `is_str_keyed`.
    if let Some(h) = unsafe { super::mortal_header(p) } {
        h.flags &= !STR_KEYS;
    }
}

/// Takes every listed hidden dict mirror (the caller registers them).
fn take_all() -> Vec<usize> {
    std::mem::take(&mut *DICTS.lock())
}

/// Registers every hidden dict and keeps new dicts from being hidden while
/// it lives: held around calls that hand Python objects the collector found.
pub struct Exposed(());

impl Exposed {
    /// Call with the facade GIL held (it touches mirror headers).
    pub fn new() -> Exposed {
        EXPOSING.fetch_add(1, Ordering::Relaxed);
        super::settle_all(take_all());
        Exposed(())
    }
}

impl Drop for Exposed {
    fn drop(&mut self) {
        EXPOSING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether `DEBUG_SAVEALL` keeps dicts from being hidden.
static SAVEALL: Mutex<Option<Exposed>> = Mutex::new(None);

/// `gc.set_debug` with `DEBUG_SAVEALL` on (`on`) or off: while it is on,
/// collected objects land in `gc.garbage`, where Python can read them, so
/// no dict is hidden. Call with the facade GIL held.
pub fn set_saveall(on: bool) {
    let mut s = SAVEALL.lock();
    match (on, s.is_some()) {
        (true, false) => *s = Some(Exposed::new()),
        (false, true) => *s = None,
        _ => {}
    }
}
