//! The bridge: every rule about `PyObject*` lifetimes lives here.
//!
//! Kinds of `PyObject*` the facade hands to C (see DESIGN.md):
//! * **mirrors** of RustPython objects, allocated on first crossing with the
//!   CPython 3.14 layout of their type (tuple items, list items, float value,
//!   bytes data, str header and data, int digits, dict/set sizes) and a hidden
//!   [`PreHeader`] in front holding the strong RustPython reference;
//! * **builders** (`PyTuple_New`, `PyList_New`, `PyBytes_FromStringAndSize(NULL, n)`,
//!   `PyUnicode_New`) that C fills in place; they carry a pre-header with no
//!   RustPython object yet and are *realised* when they first cross into
//!   Python, becoming mirrors of the new object;
//! * **statics** (singletons, builtin type objects), immortal, found in a map;
//! * **native objects** (instances of extension types), see [`native`].
//!
//! Identity: one map from RustPython object address to `PyObject*`; an entry
//! lives exactly as long as its mirror, except for hidden mirrors.
//!
//! # Hidden mirrors
//!
//! Identity only matters for an object Python can hand back to C while C
//! holds its mirror. An object C makes through the API (`PyLong_FromLong`,
//! `PyUnicode_FromStringAndSize`, a call's result) that nothing but its
//! mirror holds cannot be handed back: when it is an exact int, float, str,
//! bytes or dict (no weak references, no finaliser), its mirror is *hidden*
//! ([`to_c_new`]): it has no identity entry, which saves two operations on a
//! large hash map per object. The object escapes when C hands it to Python
//! ([`to_rp`]; the `PyDict_*` functions operate on their dict without
//! handing it over, [`operand`]; a dict can also be reached through the
//! collector, see [`hidden`]): the mirror is then
//! listed as *escaped* (a short list that lookups search after the map, so
//! identity stays exact) and registered for good only if it lives on while
//! the list fills up; most such mirrors are freed first (C set the object
//! into a dict and released it). A result C returns with its last reference
//! ([`to_rp_steal`]) needs no entry at all, and neither do the items of a
//! tuple or list builder that C returns so, when only the builder held them:
//! they are freed with it, before Python runs. Together with builders
//! (`PyList_New` + `PyList_Append` fills the C item array; the RustPython
//! list is made once, when the list crosses), a list of new objects built by
//! C and returned costs no identity-map operation at all.
//!
//! # Mirror lifetime and cost model
//!
//! A mirror holds its RustPython object strongly while it is registered. What
//! happens when C's last reference goes (`ob_refcnt` reaches 0) depends on the
//! object:
//! * **Persistent mirrors** — mirrors made for Python objects of the exact
//!   types `tuple`, `list`, `dict`, `set`, `frozenset`, `bytes`, `str`, `int`
//!   and `float` when they cross into C as call arguments (and the items of
//!   those) — are *parked*: they stay registered, keep
//!   their inline data (item arrays, bytes, characters), and are reused by the
//!   next crossing at no cost. If the mirror was the RustPython object's only
//!   holder it is freed at once instead; the last few containers parked are
//!   looked at again at the next entry into extension code, by which time
//!   Python has usually dropped the call's arguments ([`parked::check_fresh`]). A parked mirror is freed by a *sweep*
//!   once its RustPython object has no other holder. Sweeps run when the number
//!   of parked mirrors has doubled since the last one (amortised O(1) per park)
//!   and at the start of every RustPython garbage collection; a full collection
//!   (`gc.collect()`) frees every parked container mirror, so that reference
//!   cycles through parked objects can be collected (ints, floats, strs and
//!   bytes hold nothing, so their mirrors are freed only as sole holders). Consequence (documented in the
//!   README): objects reachable only through a container that crossed into C
//!   and was then dropped by Python are finalised at the next sweep or
//!   collection rather than at once — none of these types can be weakly
//!   referenced or have `__del__` themselves.
//! * **Type objects** of classes created at run time live as long as their
//!   class and hold it only while C holds references to them (see
//!   [`typemirror`]); those of builtin and extension types are immortal.
//! * **Other mirrors** (instances of Python classes and of builtin
//!   subclasses, functions, exceptions, ..., and objects C made through the
//!   API ([`to_c_transient`]) or built in place and handed to Python —
//!   realised builders) are freed at once, so that
//!   `__del__` and weak references behave as on CPython.
//!
//! Costs:
//! * crossing an object whose mirror exists: one map lookup, no allocation
//!   (none for small ints, singletons and other immortal objects, whose
//!   mirrors are immortal and kept in direct-mapped slots);
//! * first crossing: one allocation; tuples and lists convert their items,
//!   bytes and str copy their data — once per object, not per crossing;
//! * a list mirror records RustPython's mutation count of the list: crossing
//!   an unchanged list is O(1); one changed by Python since is re-synchronised
//!   in O(n) pointer comparisons plus one conversion per changed item;
//! * container mirrors remember which of their items are themselves mutable
//!   containers (`nested`); only those are re-checked when the container
//!   crosses (once per epoch);
//! * `PyList_Append`/`Insert`/`SetItem` edit the mirror in place (amortised
//!   O(1) / O(n) / O(1), as CPython; on a list builder only its C array);
//!   `PyList_GetItem` is O(1); `PyDict_Next` is O(1) per step; dict and set
//!   sizes are O(1);
//! * a new object C makes and returns, or puts in a list or tuple it
//!   returns: no identity-map operation (hidden mirrors, above); an
//!   extension object's creation and release: none either ([`native`]).
//!
//! What remains costly is the identity map itself in a process with many
//! live mirrors: each insertion, removal or lookup of an object that is not
//! hidden is a hash-table access that misses the cache once the table
//! outgrows it (a dict C creates, the items `PyDict_Next` lends).
//!
//! Borrowed references (`PyDict_GetItem`, `PyDict_Next`, `PyModule_GetDict`,
//! ...) to persistent int/float/str/bytes mirrors need no owner: those
//! mirrors live while anything else holds their object. Other borrowed
//! references are owned by the container's mirror ([`borrow_from`]), so they stay
//! valid as long as C holds the container, at least as long as CPython
//! promises; they are released when the container's mirror is parked, and a
//! dict's set of them is pruned to its current keys and values whenever it
//! has grown past twice the dict's size. Tuple and list items are owned by the
//! inline item arrays.
//!
//! Mutable containers: RustPython's list/dict/set is authoritative. Their
//! inline fields (`ob_size`/`ob_item`, `ma_used`, `used`) are checked when
//! the object crosses into C, after every C-API call on it, and for every
//! mirror nested in a crossing container once per *epoch* (each entry into
//! extension code starts one). The last few lists that crossed into C are
//! also re-checked after every C-API call that ran Python code ([`recent`]):
//! a list C got from a call and Python then changed through another API call
//! (a `catch_warnings` log that `PyErr_WarnEx` appends to) is up to date when
//! C reads it inline. Staleness window: Python code that mutates an older or
//! larger list while C holds its pointer without any C-API call on it is seen
//! on the next crossing, not before.

mod addrmap;
pub mod directmap;
pub mod builders;
pub mod hidden;
pub mod layout;
pub(crate) mod mirror;
pub mod native;
mod parked;
pub mod recent;
mod typemirror;

use parking_lot::Mutex;
use rustpython_vm::{PyObject as RpObject, PyObjectRef, PyResult, VirtualMachine};
use std::collections::HashSet;
use std::sync::LazyLock;

pub use addrmap::{AddrMap, AddrSet};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::abi::{IMMORTAL_REFCNT, PyObject, PyTypeObject};
use crate::runtime::system_error;

pub use mirror::{InlineLayout, inline_layout, refresh, set_inline_layouts, set_type_mirror_maker, type_ptr};
pub use parked::{parked, sweep};
pub use typemirror::{make_mortal, mortal_types, set_type_release};

/// What the inline body of an allocation holds, so that deallocation knows
/// which owned references and buffers to release.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Kind {
    Plain = 1,
    Tuple,
    List,
    Bytes,
    Str,
    Float,
    Int,
    Dict,
    Set,
    /// A bytearray: `ob_size`/`ob_start` point into RustPython's buffer.
    ByteArray,
    Type,
    Exception,
    Module,
    /// An instance of an extension type (`tp_alloc`); C memory is authoritative.
    Native,
    /// An instance of an extension type deriving from a builtin (exception,
    /// dict): the RustPython instance has the builtin's payload, and the
    /// reference it "holds" on the native object is tracked by the collector.
    NativeBuiltin,
}

const MAGIC: u32 = 0x5046_4143; // "PFAC"

/// `PreHeader::flags`: the mirror is parked at refcount 0 instead of freed.
pub(crate) const PERSISTENT: u16 = 1;
/// `PreHeader::flags`: the mirror is in the parked queue (owned by the sweep).
pub(crate) const QUEUED: u16 = 2;
/// `PreHeader::flags`: `Aux::nested` lists items to re-check on crossing.
pub(crate) const NESTED: u16 = 4;
/// `PreHeader::flags`: a list mirror in [`recent`]'s ring.
pub(crate) const RECENT: u16 = 8;
/// `PreHeader::flags`: a native object whose `tp_finalize` has run (CPython's
/// `_PyGC_FINALIZED`), so that the twin's `__del__` and
/// `PyObject_CallFinalizer` run it once between them.
pub(crate) const FINALIZED: u16 = 16;
/// `PreHeader::flags`: the type object of a class created at run time,
/// freed with its class (see [`typemirror`]).
pub(crate) const MORTAL_TYPE: u16 = 32;
/// `PreHeader::flags`: a new frozenset C is filling with `PySet_Add`; its
/// items wait in `Aux::pending` (see [`builders::add_to_new_frozenset`]).
pub(crate) const FROZEN_PENDING: u16 = 64;
/// `PreHeader::flags`: the mirror is not in the identity map (see
/// "Hidden mirrors" in the module docs).
pub(crate) const HIDDEN: u16 = 128;
/// `PreHeader::flags`: a hidden mirror whose object Python may have seen,
/// listed in `Maps::escaped` until it is registered or freed.
pub(crate) const ESCAPED: u16 = 256;
/// `PreHeader::flags`: a native object tracked for cycle collection (a GC
/// type's instance, see [`native`]).
pub(crate) const TRACKED: u16 = 512;
/// `PreHeader::flags`: a hidden dict made empty by `PyDict_New` whose keys
/// are all exact strs so far (see [`hidden::is_str_keyed`]).
pub(crate) const STR_KEYS: u16 = 1024;

/// Marks native object `p` finalised; false if it already was.
pub(crate) fn set_finalized(p: *mut PyObject) -> bool {
    // SAFETY: p is a facade-allocated native object.
    let h = unsafe { header(p) };
    let first = h.flags & FINALIZED == 0;
    h.flags |= FINALIZED;
    first
}

/// Hidden header in front of every object the facade allocates.
#[repr(C)]
pub struct PreHeader {
    magic: u32,
    kind: Kind,
    /// Size class of the allocation (`addrmap::class_of`; 0: not pooled).
    class: u8,
    flags: u16,
    /// Epoch of the last refresh of the inline fields (containers). Wraps
    /// after 2^32 entries into extension code; a mirror untouched for exactly
    /// that long skips one refresh.
    epoch: u32,
    /// List mirrors: the list's mutation count when `ob_item` was last
    /// synced. Persistent int/float/str/bytes mirrors: the references dicts'
    /// lent-entry caches hold on them ([`PreHeader::lent`]). Hidden dict
    /// mirrors: their index in [`hidden`]'s list.
    version: u32,
    /// The RustPython object; `None` for a builder not yet realised.
    rp: Option<PyObjectRef>,
    aux: *mut Aux,
}
pub const PRE: usize = std::mem::size_of::<PreHeader>();
// CPython objects are 16-byte aligned; calloc'd blocks are, so PRE must keep it.
const _: () = assert!(PRE == 32);

impl PreHeader {
    /// Attaches the RustPython object (a realised builder's value, a native
    /// object's twin, a type's twin type).
    pub fn set_rp(&mut self, o: PyObjectRef) {
        self.rp = Some(o);
    }

    /// A persistent mirror of an int, float, str or bytes object.
    pub(crate) fn is_persistent_leaf(&self) -> bool {
        self.flags & PERSISTENT != 0 && matches!(self.kind, Kind::Int | Kind::Float | Kind::Str | Kind::Bytes)
    }

    /// Of a persistent leaf mirror's C references, how many dict mirrors'
    /// [`Aux::entries`] hold (kept in `version`, which only lists use):
    /// caches, not references CPython would have, so `sys.getrefcount`
    /// leaves them out.
    fn lent(&self) -> usize {
        if self.is_persistent_leaf() { self.version as usize } else { 0 }
    }

    /// Counts (`by` 1) or uncounts (`by` -1) a reference held by a dict's
    /// entries on a persistent leaf mirror.
    fn count_lent(&mut self, by: i32) {
        if self.is_persistent_leaf() {
            self.version = self.version.wrapping_add_signed(by);
        }
    }

    /// Makes a recycled native allocation (a `tp_alloc` result that
    /// `tp_dealloc` kept, as PyO3's freelists do) a fresh native object with
    /// no twin; false for memory the facade did not allocate as a native object.
    pub fn reset_native(&mut self) -> bool {
        if !matches!(self.kind, Kind::Native | Kind::NativeBuiltin) {
            return false;
        }
        self.kind = Kind::Native;
        self.flags = 0;
        self.rp = None;
        self.epoch = EPOCH.load(Ordering::Relaxed);
        true
    }
}

/// Out-of-line state of an object: borrowed references it owns, lazily made
/// buffers (the UTF-8 copy of a non-ASCII str), the items of a container
/// mirror that must be re-checked when it crosses, and the slot
/// `_PyObject_GetDictPtr` points C at.
#[derive(Default)]
pub struct Aux {
    pub borrowed: AddrSet,
    pub buffers: Vec<Box<[u8]>>,
    pub nested: Vec<usize>,
    pub dict_slot: Option<Box<*mut PyObject>>,
    /// Mortal type objects: a weak reference to the class (whose callback
    /// frees the type object) and the class's identity key.
    pub class: Option<(rustpython_vm::PyRef<rustpython_vm::object::PyWeak>, usize)>,
    /// A new frozenset being filled: a set of its items so far.
    pub pending: Option<PyObjectRef>,
    /// Dict mirrors iterated with `PyDict_Next`: the mirrors lent for the
    /// key (`2i`) and value (`2i + 1`) of entry `i`, one reference each (0:
    /// none), so that the next iteration lends them without a lookup. When
    /// the dict's mirror is parked, those of persistent ints, floats, strs
    /// and bytes stay (they live while the dict holds their objects anyway);
    /// the others are released, as borrowed references are.
    pub entries: Vec<usize>,
}

impl Aux {
    /// Releases the borrowed references this object holds (each entry owns one).
    fn release_borrowed(&mut self) {
        for b in std::mem::take(&mut self.borrowed) {
            // SAFETY: each entry holds a reference; releasing it can park or
            // free other objects, never the owner (which it does not reference).
            unsafe { decref(b as *mut PyObject) };
        }
    }

    /// Releases the references [`Aux::entries`] holds.
    fn release_entries(&mut self) {
        for e in std::mem::take(&mut self.entries) {
            if e != 0 {
                // SAFETY: each non-zero slot holds a reference.
                unsafe { release_entry(e as *mut PyObject) };
            }
        }
    }

    /// What parking releases: the borrowed references, and the entries
    /// other than persistent int/float/str/bytes mirrors.
    pub(super) fn release_on_park(&mut self) {
        self.release_borrowed();
        for e in self.entries.iter_mut().filter(|e| **e != 0) {
            // SAFETY: each non-zero slot holds a reference to a live mirror.
            if !unsafe { header(*e as *mut PyObject) }.is_persistent_leaf() {
                // SAFETY: as above; releasing it cannot free the owner (never lent to itself).
                unsafe { release_entry(std::mem::replace(e, 0) as *mut PyObject) };
            }
        }
    }
}

struct Maps {
    /// RustPython object address -> `PyObject*` (mirrors and statics).
    rp2c: AddrMap<usize>,
    /// Static objects (no pre-header): `PyObject*` -> RustPython object.
    statics: AddrMap<PyObjectRef>,
    /// Hidden mirrors whose objects escaped to Python and may be looked up:
    /// `(RustPython address, PyObject*)`, oldest first, at most [`ESCAPED_MAX`].
    escaped: Vec<(usize, usize)>,
}

/// How many escaped hidden mirrors wait before the oldest half is registered.
const ESCAPED_MAX: usize = 32;

impl Maps {
    /// The `PyObject*` of the RustPython object at `key`: its identity
    /// entry, or an escaped hidden mirror, which is registered now that
    /// Python shares it with C.
    fn get(&mut self, key: usize) -> Option<usize> {
        if let Some(&p) = self.rp2c.get(&key) {
            return Some(p);
        }
        let i = self.escaped.iter().rposition(|&(k, _)| k == key)?;
        let (_, p) = self.escaped.remove(i);
        self.settle(key, p);
        Some(p)
    }

    /// Gives hidden mirror `p` of the object at `key` its identity entry.
    fn settle(&mut self, key: usize, p: usize) {
        // SAFETY: hidden mirrors in `escaped` are alive (free removes them).
        unsafe { header(p as *mut PyObject) }.flags &= !(HIDDEN | ESCAPED);
        HIDDEN_LIVE.fetch_sub(1, Ordering::Relaxed);
        self.rp2c.insert(key, p);
    }

    /// Lists hidden mirror `p` of the object at `key` as escaped; when the
    /// list is full, its older half is registered.
    fn escape(&mut self, key: usize, p: usize) {
        if self.escaped.len() == ESCAPED_MAX {
            let old: Vec<(usize, usize)> = self.escaped.drain(..ESCAPED_MAX / 2).collect();
            for (k, q) in old {
                self.settle(k, q);
            }
        }
        self.escaped.push((key, p));
    }
}

/// Number of live hidden mirrors (not in `rp2c`), for [`live_mirrors`].
static HIDDEN_LIVE: AtomicUsize = AtomicUsize::new(0);

static MAPS: LazyLock<Mutex<Maps>> =
    LazyLock::new(|| Mutex::new(Maps { rp2c: AddrMap::default(), statics: AddrMap::default(), escaped: Vec::new() }));
static EPOCH: AtomicU32 = AtomicU32::new(1);

/// Starts a new refresh epoch (each entry into extension code): mirrors
/// reached from now on re-check their RustPython object before C sees them
/// again. Also a safe point for a due sweep of parked mirrors.
pub fn bump_epoch() {
    EPOCH.fetch_add(1, Ordering::Relaxed);
    parked::check_fresh();
    parked::sweep_if_due();
}

fn rp_key(obj: &RpObject) -> usize {
    obj as *const RpObject as usize
}

/// # Safety
/// `p` must be an object allocated by [`alloc`].
pub unsafe fn header<'a>(p: *mut PyObject) -> &'a mut PreHeader {
    // SAFETY: alloc() places a PreHeader PRE bytes before every object it returns.
    unsafe { &mut *(p.cast::<u8>().sub(PRE).cast::<PreHeader>()) }
}

/// The pre-header of `p` if `p` was allocated by the facade.
///
/// # Safety
/// `p` must point to a readable `PyObject`.
pub unsafe fn try_header<'a>(p: *mut PyObject) -> Option<&'a mut PreHeader> {
    // SAFETY: every PyObject the facade does not allocate is a static that is
    // registered in MAPS.statics and never reaches here (see to_rp); reading
    // the 32 bytes before a foreign object is checked by the magic number.
    let h = unsafe { header(p) };
    (h.magic == MAGIC).then_some(h)
}

/// The pre-header of `p` if `p` is a mortal facade object: NULL and immortal
/// objects (statics, cached small ints) give `None` without a read in front
/// of them.
///
/// # Safety
/// `p` must be NULL or point to a readable `PyObject`.
pub unsafe fn mortal_header<'a>(p: *mut PyObject) -> Option<&'a mut PreHeader> {
    if p.is_null() || is_immortal(p) {
        return None;
    }
    // SAFETY: mortal objects given to the bridge are facade-allocated or
    // foreign objects with readable memory in front (checked by the magic).
    unsafe { try_header(p) }
}

/// Allocates a zeroed object of `size` bytes (plus pre-header) with refcount 1.
pub fn alloc(size: usize, kind: Kind, ty: *mut PyTypeObject, rp: Option<PyObjectRef>) -> *mut PyObject {
    let extra = extra_size(kind);
    let class = addrmap::class_of(extra + PRE + size);
    // Zeroed, 16-byte aligned memory (a block of its size class, pooled or
    // from the global allocator; calloc for larger objects). Native objects
    // have their collector state in front of the pre-header (zeroed: none).
    let block = addrmap::alloc_block(extra + PRE + size, class);
    if block.is_null() {
        std::process::abort();
    }
    // SAFETY: block points to extra + PRE + size writable bytes.
    unsafe {
        let base = block.add(extra);
        base.cast::<PreHeader>().write(PreHeader {
            magic: MAGIC,
            kind,
            class,
            flags: 0,
            epoch: EPOCH.load(Ordering::Relaxed),
            version: 0,
            rp,
            aux: std::ptr::null_mut(),
        });
        let p = base.add(PRE).cast::<PyObject>();
        (*p).ob_refcnt = 1;
        (*p).ob_type = ty;
        if holds_its_type(kind) && !ty.is_null() {
            incref_type(ty);
        }
        p
    }
}

/// Whether an object of `kind` holds a reference to its type object, as
/// CPython's instances of heap types do (taken by [`alloc`], released by
/// [`free`]; a no-op for immortal types), so that C can take one inline from
/// `Py_TYPE(o)` while a mortal type object holds its class. Native objects'
/// references are their `tp_alloc`'s and `tp_dealloc`'s business.
fn holds_its_type(kind: Kind) -> bool {
    !matches!(kind, Kind::Native | Kind::NativeBuiltin | Kind::Type)
}

/// Bytes allocated in front of the pre-header of an object of `kind`.
const fn extra_size(kind: Kind) -> usize {
    if matches!(kind, Kind::Native | Kind::NativeBuiltin) { native::EXTRA } else { 0 }
}

/// The aux block of `p`, created on first use.
///
/// # Safety
/// `p` must be a facade-allocated object.
pub unsafe fn aux<'a>(p: *mut PyObject) -> &'a mut Aux {
    // SAFETY: caller guarantees p has a pre-header.
    let h = unsafe { header(p) };
    if h.aux.is_null() {
        h.aux = Box::into_raw(Box::default());
    }
    // SAFETY: aux was allocated by Box and is owned by the header.
    unsafe { &mut *h.aux }
}

/// Whether `p` is a native object (an instance of an extension type).
pub fn is_native(p: *mut PyObject) -> bool {
    // SAFETY: callers pass valid objects.
    unsafe { mortal_header(p) }.is_some_and(|h| matches!(h.kind, Kind::Native | Kind::NativeBuiltin))
}

/// Whether `p` is a native object inside its `tp_dealloc` (refcount 0 and
/// no twin): it must not be given a new twin.
pub fn is_dying_native(p: *mut PyObject) -> bool {
    // SAFETY: callers pass valid objects (a dying one is still readable).
    is_native(p) && unsafe { (*p).ob_refcnt } == 0 && !native::has_twin(p)
}

pub fn is_immortal(p: *mut PyObject) -> bool {
    // SAFETY: callers pass valid objects; the low 32 bits encode immortality.
    unsafe { ((*p).ob_refcnt as i32) < 0 }
}

/// `Py_INCREF`.
///
/// # Safety
/// `p` must be a valid object.
pub unsafe fn incref(p: *mut PyObject) {
    if !is_immortal(p) {
        // SAFETY: valid object.
        unsafe { (*p).ob_refcnt += 1 };
    }
}

/// `Py_DECREF`: at zero, `_Py_Dealloc`.
///
/// # Safety
/// `p` must be a valid object the caller owns a reference to.
pub unsafe fn decref(p: *mut PyObject) {
    if is_immortal(p) {
        return;
    }
    // SAFETY: valid object with a reference owned by the caller.
    unsafe {
        (*p).ob_refcnt -= 1;
        if (*p).ob_refcnt == 0 {
            dealloc_object(p);
        }
    }
}

/// # Safety
/// `p` is NULL or as for [`decref`].
pub unsafe fn xdecref(p: *mut PyObject) {
    if !p.is_null() {
        // SAFETY: forwarded.
        unsafe { decref(p) }
    }
}

/// The address range of the registered statics (exported data symbols), so
/// that `to_rp` looks a pointer up in the map only when it can be one.
static STATIC_LO: AtomicUsize = AtomicUsize::new(usize::MAX);
static STATIC_HI: AtomicUsize = AtomicUsize::new(0);

/// Objects found without the map: RustPython's cached small ints (their
/// mirrors are immortal) and the singletons. `(RustPython address, PyObject*)`.
const SMALL_INT_MIN: i64 = -5;
const SMALL_INT_MAX: i64 = 256;
static SMALL_INTS: [(AtomicUsize, AtomicUsize); (SMALL_INT_MAX - SMALL_INT_MIN + 1) as usize] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; (SMALL_INT_MAX - SMALL_INT_MIN + 1) as usize];
static SINGLETONS: [(AtomicUsize, AtomicUsize); 6] = [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 6];

/// Registers a static object (singleton or exported type) for `rp`.
pub fn register_static(p: *mut PyObject, rp: PyObjectRef) {
    let mut m = MAPS.lock();
    m.rp2c.insert(rp_key(&rp), p as usize);
    m.statics.insert(p as usize, rp);
    STATIC_LO.fetch_min(p as usize, Ordering::Relaxed);
    STATIC_HI.fetch_max(p as usize, Ordering::Relaxed);
}

/// Registers singleton `p` (None, True, ...) for the map-free fast path.
pub fn register_singleton(p: *mut PyObject, rp: PyObjectRef) {
    fill_slot(&SINGLETONS, p, &rp);
    register_static(p, rp);
}

/// Makes the mirror of RustPython singleton `obj` (the empty tuple)
/// immortal, as CPython's is, and found without the map.
pub fn pin_singleton(vm: &VirtualMachine, obj: &RpObject) -> *mut PyObject {
    let p = to_c(vm, obj);
    // SAFETY: p is a live mirror; immortal from now on, it is never freed.
    unsafe { make_immortal(p) };
    fill_slot(&SINGLETONS, p, obj);
    p
}

/// Type objects found without the map: the builtin types whose instances
/// cross most (mirror creation looks their type up).
static COMMON_TYPES: [(AtomicUsize, AtomicUsize); 12] = [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 12];

/// Registers static type object `p` of `rp` for the map-free fast path
/// (after [`register_static`]); ignored once the table is full.
pub fn register_common_type(p: *mut PyObject, rp: &RpObject) {
    if COMMON_TYPES.iter().any(|(r, _)| r.load(Ordering::Relaxed) == 0) {
        fill_slot(&COMMON_TYPES, p, rp);
    }
}

fn fill_slot(table: &[(AtomicUsize, AtomicUsize)], p: *mut PyObject, rp: &RpObject) {
    let slot = table.iter().find(|(r, _)| r.load(Ordering::Relaxed) == 0).expect("a free slot");
    slot.1.store(p as usize, Ordering::Relaxed);
    slot.0.store(rp_key(rp), Ordering::Release);
}

/// The `PyObject*` a fast-path table holds for RustPython object `key`.
fn slot_get(table: &[(AtomicUsize, AtomicUsize)], key: usize) -> Option<*mut PyObject> {
    table.iter().find(|(r, _)| r.load(Ordering::Acquire) == key).map(|(_, p)| p.load(Ordering::Relaxed) as *mut PyObject)
}

/// The type object of a common builtin type, without the map's lock.
pub(crate) fn common_type(ty: &RpObject) -> Option<*mut PyObject> {
    slot_get(&COMMON_TYPES, rp_key(ty))
}

/// The immortal mirror of a cached small int, or of a singleton, without
/// taking the map's lock.
fn fast_lookup(obj: &RpObject) -> Option<*mut PyObject> {
    let key = rp_key(obj);
    if let Some(i) = obj.downcast_ref::<rustpython_vm::builtins::PyInt>() {
        let small = i64::try_from(i.as_bigint()).ok().filter(|v| (SMALL_INT_MIN..=SMALL_INT_MAX).contains(v));
        if let Some(v) = small {
            let (r, p) = &SMALL_INTS[(v - SMALL_INT_MIN) as usize];
            if r.load(Ordering::Acquire) == key {
                return Some(p.load(Ordering::Relaxed) as *mut PyObject);
            }
        }
    }
    if obj.downcast_ref::<rustpython_vm::builtins::PyType>().is_some() {
        return common_type(obj);
    }
    if obj.is_immortal() {
        if let Some(p) = IMMORTALS.get(key) {
            return Some(p as *mut PyObject);
        }
    }
    slot_get(&SINGLETONS, key)
}

/// Immortal mirrors of RustPython's immortal objects (one-character and
/// interned strs, singletons, ...), direct-mapped by object address, so that
/// crossing one (jiter hands over a one-character str per "a") takes no
/// lock and no probe of the large identity map. A slot keeps the last such
/// mirror seen for its index; the identity map keeps them all.
static IMMORTALS: directmap::DirectMap<1024> = directmap::DirectMap::new();

/// Remembers `p`, the immortal mirror of immortal object `obj`, in [`IMMORTALS`].
pub(crate) fn remember_immortal(obj: &RpObject, p: *mut PyObject) {
    IMMORTALS.set(rp_key(obj), p as usize);
}

/// Records the immortal mirror `p` of RustPython's cached small int `v`.
pub(crate) fn register_small_int(v: i64, obj: &RpObject, p: *mut PyObject) {
    if (SMALL_INT_MIN..=SMALL_INT_MAX).contains(&v) {
        let (r, q) = &SMALL_INTS[(v - SMALL_INT_MIN) as usize];
        q.store(p as usize, Ordering::Relaxed);
        r.store(rp_key(obj), Ordering::Release);
    }
}

/// Registers a facade-allocated object as the mirror of its RustPython object.
pub(crate) fn register_mirror(rp: &RpObject, p: *mut PyObject) {
    MAPS.lock().rp2c.insert(rp_key(rp), p as usize);
}

/// Registers `p` as the mirror of `rp` unless `rp` already has one.
pub(crate) fn register_mirror_if_absent(rp: &RpObject, p: *mut PyObject) {
    let mut m = MAPS.lock();
    if m.get(rp_key(rp)).is_none() {
        m.rp2c.insert(rp_key(rp), p as usize);
    }
}

/// Makes `p`, a new mirror of a RustPython object that only it holds (or
/// a builder about to be freed), hidden: not registered (see the module docs).
pub(crate) fn hide(p: *mut PyObject) {
    // SAFETY: p is a live facade mirror.
    let h = unsafe { header(p) };
    h.flags |= HIDDEN;
    HIDDEN_LIVE.fetch_add(1, Ordering::Relaxed);
    hidden::list(p, h);
}

/// Hidden mirror `p` hands its object to Python: from now on a lookup of
/// the object must find `p`.
pub(super) fn escape(p: *mut PyObject, h: &mut PreHeader) {
    if h.flags & ESCAPED == 0 {
        if let Some(rp) = &h.rp {
            hidden::unlist(p, h);
            h.flags |= ESCAPED;
            MAPS.lock().escape(rp_key(rp), p as usize);
        }
    }
}

/// Registers the hidden mirrors `ps` (taken from [`hidden`]'s list).
fn settle_all(ps: Vec<usize>) {
    if ps.is_empty() {
        return;
    }
    let mut m = MAPS.lock();
    for p in ps {
        // SAFETY: listed hidden mirrors are alive and hold their object.
        if let Some(rp) = &unsafe { header(p as *mut PyObject) }.rp {
            m.settle(rp_key(rp), p);
        }
    }
}

/// Removes `rp`'s identity entry if it still names `p`.
pub(crate) fn unregister(rp: &RpObject, p: *mut PyObject) {
    unregister_addr(rp_key(rp), p);
}

/// Removes the identity entry of the RustPython object at `key` if it still names `p`.
pub(crate) fn unregister_addr(key: usize, p: *mut PyObject) {
    let mut m = MAPS.lock();
    if m.rp2c.get(&key) == Some(&(p as usize)) {
        m.rp2c.remove(&key);
    }
}

fn lookup(rp: &RpObject) -> Option<*mut PyObject> {
    MAPS.lock().get(rp_key(rp)).map(|p| p as *mut PyObject)
}

/// `sys.getrefcount(obj)` as CPython counts: RustPython's strong count, less
/// the one reference a mirror (or a native object) holds for C, plus C's
/// references (`ob_refcnt`). Immortal objects and objects without a mortal
/// mirror are unchanged.
pub fn cpython_refcount(obj: &RpObject) -> usize {
    // Containers C let go of and Python dropped since no longer hold `obj`.
    rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        let _g = crate::runtime::gil::ensure(vm);
        parked::check_fresh();
    });
    let n = obj.strong_count();
    if obj.is_immortal() {
        return n;
    }
    let Some(p) = native::native_of(obj).or_else(|| lookup(obj)) else { return n };
    // SAFETY: a registered mirror is alive while its object is (a twin's
    // native object while the twin is).
    let Some(h) = (unsafe { mortal_header(p) }) else { return n };
    let held = h.rp.as_ref().is_some_and(|r| rustpython_vm::AsObject::is(r, obj)) as usize;
    // SAFETY: as above.
    let c = unsafe { (*p).ob_refcnt }.max(0) as usize;
    (n + c).saturating_sub(held + h.lent())
}

/// A new reference to the `PyObject*` of `obj`, creating its mirror if needed.
/// O(1) for an object that has a mirror (parked or not).
pub fn to_c(vm: &VirtualMachine, obj: &RpObject) -> *mut PyObject {
    to_c_with(vm, obj, true, false)
}

/// Like [`to_c`] for an object C made through the API (`PyLong_FromLong`,
/// `PyDict_New`, results of calls and lookups): a new mirror is not
/// persistent, since C made the object for itself or for Python rather than
/// received it from Python.
pub fn to_c_transient(vm: &VirtualMachine, obj: &RpObject) -> *mut PyObject {
    to_c_with(vm, obj, false, false)
}

/// Like [`to_c_transient`] for an object handed over to C: if nothing else
/// holds it and it is an exact int, float, str, bytes or dict, its mirror
/// is hidden (no identity entry until Python can see the object again).
pub fn to_c_new(vm: &VirtualMachine, obj: PyObjectRef) -> *mut PyObject {
    let sole = obj.strong_count() == 1;
    if sole && is_hideable(vm, &obj) {
        return mirror::create(vm, &obj, mirror::Mode::Hidden);
    }
    // Only the caller held it: it has no mirror (a mirror holds its object),
    // so there is nothing to look up.
    to_c_with(vm, &obj, false, sole)
}

/// Exact builtin types whose instances cannot be weakly referenced and
/// have no finaliser: an instance only its mirror holds is unreachable from
/// Python. Ints, floats, strs and bytes hold nothing and are not tracked by
/// RustPython's collector; dicts are, and [`hidden`] covers the ways
/// Python reaches what the collector tracks.
fn is_hideable(vm: &VirtualMachine, obj: &RpObject) -> bool {
    let t = obj.class();
    let ts = &vm.ctx.types;
    use rustpython_vm::AsObject;
    t.is(ts.int_type) || t.is(ts.str_type) || t.is(ts.float_type) || t.is(ts.bytes_type) || (t.is(ts.dict_type) && hidden::dicts_hideable())
}

/// [`to_c`] (`persist`) or [`to_c_transient`]; `unmirrored` when the object
/// is known to have no mirror, which skips the identity lookup.
fn to_c_with(vm: &VirtualMachine, obj: &RpObject, persist: bool, unmirrored: bool) -> *mut PyObject {
    if let Some(p) = fast_lookup(obj) {
        return p;
    }
    if let Some(p) = native::native_of(obj) {
        // A twin points to its native object, which needs no identity entry.
        // SAFETY: the twin keeps its native object's memory alive.
        unsafe { incref(p) };
        hold_again(p, obj);
        return p;
    }
    let found = if unmirrored { None } else { lookup(obj) };
    if let Some(p) = found.filter(|&p| is_immortal(p) && obj.is_immortal()) {
        // Found in the map, not in the direct-mapped slot: next time there.
        remember_immortal(obj, p);
        return p;
    }
    let p = if let Some(p) = found {
        // SAFETY: p is registered, hence alive (an entry lives as long as its
        // mirror); a parked mirror (refcount 0) is revived by this reference.
        unsafe { incref(p) };
        refresh(vm, p);
        hold_again(p, obj);
        p
    } else {
        mirror::create(vm, obj, if persist { mirror::Mode::Persistent } else { mirror::Mode::Transient })
    };
    if obj.downcast_ref::<rustpython_vm::builtins::PyList>().is_some() {
        recent::note(p);
    }
    p
}

/// After C took a reference to `p` (the object of `obj`): a native object
/// or mortal type object that had let go of its RustPython side holds it again.
fn hold_again(p: *mut PyObject, obj: &RpObject) {
    // SAFETY: p is a live object.
    let Some(h) = (unsafe { mortal_header(p) }) else { return };
    if h.rp.is_some() {
        return;
    }
    if h.kind == Kind::Native {
        native::promote(p, obj);
    } else if typemirror::is_weak(h) {
        h.set_rp(obj.to_owned());
    }
}

/// `Py_INCREF` of type object `p` by the facade (a new reference to a type,
/// an instance's hold on its type): a mortal type object holds its class again.
pub fn incref_type(p: *mut PyTypeObject) {
    let p = p.cast::<PyObject>();
    // SAFETY: p is a live type object.
    unsafe { incref(p) };
    // SAFETY: as above.
    if unsafe { mortal_header(p) }.is_some_and(|h| typemirror::is_weak(h)) {
        typemirror::class_of(p);
    }
}

/// After a C-API call mutated `obj`, brings the inline fields of its mirror
/// `p` (if it is a container mirror) up to date.
pub fn refresh_now(vm: &VirtualMachine, p: *mut PyObject, obj: &RpObject) {
    if !p.is_null() && !is_immortal(p) {
        mirror::sync(vm, p, obj);
    }
}

/// Like [`to_c`] for an owned reference.
pub fn to_c_owned(vm: &VirtualMachine, obj: PyObjectRef) -> *mut PyObject {
    to_c(vm, &obj)
}

/// `to_c` for a result: `Ok` becomes a new reference, `Err` is passed on.
pub fn to_c_result(vm: &VirtualMachine, r: PyResult) -> PyResult<*mut PyObject> {
    r.map(|o| to_c(vm, &o))
}

/// The RustPython object behind `p` (realising a builder if needed).
pub fn to_rp(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    to_rp_with(vm, p, true)
}

/// Like [`to_rp`] for the object an API function operates on without
/// handing it to Python code (the dict of `PyDict_SetItem`, `PyDict_Next`,
/// ...): a hidden mirror stays hidden.
pub fn operand(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    to_rp_with(vm, p, false)
}

fn to_rp_with(vm: &VirtualMachine, p: *mut PyObject, escapes: bool) -> PyResult<PyObjectRef> {
    if p.is_null() {
        return Err(system_error(vm, "NULL object passed to a C-API function"));
    }
    let a = p as usize;
    if is_immortal(p) && (STATIC_LO.load(Ordering::Relaxed)..=STATIC_HI.load(Ordering::Relaxed)).contains(&a) {
        if let Some(o) = MAPS.lock().statics.get(&a) {
            return Ok(o.clone());
        }
    }
    // SAFETY: p is non-null and, not being a registered static, must be facade-allocated.
    let Some(h) = (unsafe { try_header(p) }) else {
        return Err(system_error(vm, format!("object at {p:p} was not created by pyfacade")));
    };
    match &h.rp {
        Some(_) if h.flags & FROZEN_PENDING != 0 => builders::finish_frozenset(vm, p),
        Some(o) => {
            let o = o.clone();
            if escapes && h.flags & HIDDEN != 0 {
                escape(p, h);
            }
            Ok(o)
        }
        None if h.kind == Kind::Native => native::realise(vm, p),
        None if h.kind == Kind::Type => typemirror::class_of(p)
            .ok_or_else(|| system_error(vm, format!("type object at {p:p} was used after its class was freed"))),
        None => builders::realise(vm, p),
    }
}

/// The RustPython object behind `p`, taking over C's reference to `p` (a
/// result C returned). A hidden mirror or a builder that C no longer holds
/// otherwise is freed here without ever being registered, and the items
/// only such a builder held with it.
pub fn to_rp_steal(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    let o = match dying_object(vm, p) {
        Some(o) => o,
        None => to_rp(vm, p),
    };
    // SAFETY: the caller's reference, handed over.
    unsafe { xdecref(p) };
    o
}

/// The RustPython object of `p` when C's reference about to be released
/// is its last one and `p` is a hidden mirror, a tuple or list builder
/// (realised with its dying items, see [`builders::realise_dying`]) or a
/// native object with no twin yet (whose twin is made in the weak state,
/// [`native::realise_dying`]); `None` otherwise. The caller releases that reference at once, with no Python
/// code in between, so the object never needs an identity entry.
pub(crate) fn dying_object(vm: &VirtualMachine, p: *mut PyObject) -> Option<PyResult<PyObjectRef>> {
    // SAFETY: p is NULL or a live object.
    if p.is_null() || is_immortal(p) || unsafe { (*p).ob_refcnt } != 1 {
        return None;
    }
    // SAFETY: a mortal object given to the bridge.
    let h = unsafe { try_header(p) }?;
    match &h.rp {
        Some(o) if h.flags & HIDDEN != 0 => Some(Ok(o.clone())),
        None if matches!(h.kind, Kind::Tuple | Kind::List) => builders::realise_dying(vm, p),
        None if h.kind == Kind::Native => native::realise_dying(vm, p),
        _ => None,
    }
}

/// Borrowed reference to `obj`'s `PyObject*`, owned by `owner`'s mirror: valid
/// for as long as C holds `owner`. Returns the reference and whether it was
/// new to `owner`.
pub fn borrow_from(vm: &VirtualMachine, owner: *mut PyObject, obj: &RpObject) -> *mut PyObject {
    let p = to_c(vm, obj);
    if is_immortal(p) {
        return p;
    }
    // SAFETY: p is a live facade mirror (to_c's new reference).
    if unsafe { header(p) }.is_persistent_leaf() {
        // A persistent int/float/str/bytes mirror lives as long as anything
        // else holds its object (sweeps free it only when the mirror is the
        // sole holder, and it cannot be part of a cycle): the owner's hold on
        // the object keeps the pointer valid without an entry of its own.
        // SAFETY: to_c's reference; the mirror is parked, not freed.
        unsafe { decref(p) };
        return p;
    }
    // SAFETY: owner is a live object (callers pass objects they just used).
    if unsafe { mortal_header(owner) }.is_none() {
        // An immortal owner (a builtin type object, a singleton) lives for
        // the whole process: so does what it lends, one reference per object.
        if !STATIC_LENT.lock().insert(p as usize) {
            // SAFETY: p holds the reference kept the first time.
            unsafe { decref(p) };
        }
        return p;
    }
    // SAFETY: owner is a live facade object with a pre-header (checked above).
    let a = unsafe { aux(owner) };
    if !a.borrowed.insert(p as usize) {
        // Already owned once by this owner: give back the extra reference.
        // SAFETY: p has at least the reference `owner` holds.
        unsafe { decref(p) };
    }
    p
}

/// Releases the reference a dict's entries slot held on `p`.
///
/// # Safety
/// `p` must be a mortal facade mirror the slot held a reference to.
unsafe fn release_entry(p: *mut PyObject) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        header(p).count_lent(-1);
        decref(p);
    }
}

/// Borrowed reference to `obj`, the key (`which` 0) or value (1) of entry
/// `index` of dict mirror `owner` (`PyDict_Next`): the mirror lent for that
/// entry before if it is still `obj`'s, found without a lookup, else
/// `obj`'s, which `owner` keeps for that entry. Valid while C holds `owner`
/// and the entry holds `obj`.
pub fn borrow_entry(vm: &VirtualMachine, owner: *mut PyObject, index: usize, which: usize, obj: &RpObject) -> *mut PyObject {
    // SAFETY: owner is a live object (the caller just used it).
    if unsafe { mortal_header(owner) }.is_none() {
        return borrow_from(vm, owner, obj);
    }
    let i = 2 * index + which;
    // SAFETY: owner is a live facade mirror (checked above).
    let a = unsafe { aux(owner) };
    if let Some(&c) = a.entries.get(i).filter(|&&c| c != 0) {
        // SAFETY: a slot's reference keeps its mirror alive.
        let same = unsafe { header(c as *mut PyObject) }.rp.as_deref().is_some_and(|r| std::ptr::eq(r, obj));
        if same {
            return c as *mut PyObject;
        }
    }
    let p = to_c(vm, obj);
    if is_immortal(p) || p == owner {
        // Immortal objects need no owner; a dict lending itself is held by C.
        // SAFETY: to_c's reference (a no-op for immortal objects).
        unsafe { decref(p) };
        return p;
    }
    if a.entries.len() <= i {
        a.entries.resize(i + 1, 0);
    }
    // SAFETY: p is a live mortal mirror (to_c's reference, kept by the slot).
    unsafe { header(p) }.count_lent(1);
    let old = std::mem::replace(&mut a.entries[i], p as usize);
    if old != 0 {
        // SAFETY: the reference the slot held; the owner is not it (above).
        unsafe { release_entry(old as *mut PyObject) };
    }
    p
}

/// Objects lent by static owners (see [`borrow_from`]), one reference each.
static STATIC_LENT: LazyLock<Mutex<AddrSet>> = LazyLock::new(|| Mutex::new(AddrSet::default()));

/// Number of borrowed references `owner` holds.
pub fn borrowed_count(owner: *mut PyObject) -> usize {
    // SAFETY: owner is a live object.
    unsafe { mortal_header(owner) }.filter(|h| !h.aux.is_null()).map_or(0, |h| {
        // SAFETY: aux is owned by the header.
        unsafe { (*h.aux).borrowed.len() }
    })
}

/// Releases the borrowed references `owner` holds on objects for which
/// `keep` (given the RustPython object) is false.
pub fn prune_borrowed(owner: *mut PyObject, keep: impl Fn(&RpObject) -> bool) {
    // SAFETY: owner is a live object; immortal ones lend through STATIC_LENT.
    let Some(h) = (unsafe { mortal_header(owner) }) else { return };
    if h.aux.is_null() {
        return;
    }
    // SAFETY: aux is owned by the header.
    let a = unsafe { &mut *h.aux };
    let mut dropped = Vec::new();
    a.borrowed.retain(|&b| {
        // SAFETY: each entry holds a reference, so the object is alive.
        let alive = unsafe { try_header(b as *mut PyObject) }.and_then(|bh| bh.rp.as_deref()).is_some_and(&keep);
        if !alive {
            dropped.push(b);
        }
        alive
    });
    for b in dropped {
        // SAFETY: the reference the set held.
        unsafe { decref(b as *mut PyObject) };
    }
}

thread_local! {
    /// Borrowed references owned by the thread (e.g. `PyErr_Occurred`'s type).
    static THREAD_BORROWED: std::cell::RefCell<HashSet<usize>> = std::cell::RefCell::new(HashSet::new());
}

/// Borrowed reference owned by the current thread state.
pub fn borrow_for_thread(vm: &VirtualMachine, obj: &RpObject) -> *mut PyObject {
    let p = to_c(vm, obj);
    if is_immortal(p) {
        return p;
    }
    let fresh = THREAD_BORROWED.with(|b| b.borrow_mut().insert(p as usize));
    if !fresh {
        // SAFETY: the thread already owns one reference to p.
        unsafe { decref(p) };
    }
    p
}

/// `_Py_Dealloc`: runs the type's `tp_dealloc` (the facade's own for
/// mirrors); a native object with a twin lets go of it instead (its
/// `tp_dealloc` runs when the twin goes, see [`native`]).
///
/// # Safety
/// `p` must be a valid object at refcount 0.
pub unsafe fn dealloc_object(p: *mut PyObject) {
    // SAFETY: as below.
    if unsafe { try_header(p) }.is_some_and(|h| h.kind == Kind::Native) && native::release_twin(p) {
        return;
    }
    // SAFETY: forwarded.
    unsafe { run_tp_dealloc(p) }
}

/// Runs `p`'s `tp_dealloc` (the facade's own for mirrors).
///
/// # Safety
/// `p` must be a valid object at refcount 0 that nothing can reach.
pub(crate) unsafe fn run_tp_dealloc(p: *mut PyObject) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        let tp = (*p).ob_type;
        match (*tp).tp_dealloc {
            Some(d) => d(p),
            None => dealloc(p),
        }
    }
}

/// `tp_dealloc` of every mirror type: called when `ob_refcnt` reaches zero.
/// Persistent mirrors are parked (see the module docs); others are freed.
///
/// # Safety
/// `p` must be facade-allocated with refcount 0 and no other users.
pub unsafe extern "C" fn dealloc(p: *mut PyObject) {
    // SAFETY: guaranteed by the caller.
    let h = unsafe { header(p) };
    if h.flags & PERSISTENT != 0 && h.rp.is_some() {
        // SAFETY: p is a mirror at refcount 0.
        unsafe { parked::park(p) };
    } else if h.flags & MORTAL_TYPE != 0 {
        // A type object lives as long as its class; C's last reference
        // going only lets go of the class (dropping it may free p).
        drop(typemirror::release_class(p));
    } else {
        // SAFETY: forwarded.
        drop(unsafe { free(p) });
    }
}

/// Unregisters and frees `p`, releasing everything its body and aux block
/// own; returns its RustPython object for the caller to drop (dropping it
/// can run arbitrary Python code, so callers do it after their bookkeeping).
///
/// # Safety
/// `p` must be facade-allocated with refcount 0, not queued for a sweep.
pub(crate) unsafe fn free(p: *mut PyObject) -> Option<PyObjectRef> {
    // SAFETY: guaranteed by the caller.
    let h = unsafe { header(p) };
    if h.flags & HIDDEN != 0 {
        HIDDEN_LIVE.fetch_sub(1, Ordering::Relaxed);
        hidden::unlist(p, h);
        if h.flags & ESCAPED != 0 {
            let mut m = MAPS.lock();
            if let Some(i) = m.escaped.iter().rposition(|&(_, q)| q == p as usize) {
                m.escaped.remove(i);
            }
        }
    } else if let Some(rp) = &h.rp {
        unregister(rp, p);
    }
    match h.kind {
        Kind::Native | Kind::NativeBuiltin => native::forget(p),
        Kind::List => recent::forget(p, h.flags),
        _ => {}
    }
    // SAFETY: the layout of p is the one its kind says.
    unsafe { mirror::release_body(p, h.kind) };
    release_aux(h);
    let rp = h.rp.take();
    // SAFETY: p is still allocated.
    let tp = unsafe { (*p).ob_type }.cast::<PyObject>();
    let held_type = holds_its_type(h.kind) && !tp.is_null();
    h.magic = 0;
    let class = h.class;
    // SAFETY: the block was allocated by alloc() with this class, `extra`
    // bytes in front of the pre-header for its kind.
    unsafe { addrmap::free_block(p.cast::<u8>().sub(PRE + extra_size(h.kind)), class) };
    if held_type {
        // SAFETY: the reference alloc() took (a no-op for immortal types).
        // The class is still held by `rp`, so this cannot free the type object.
        unsafe { decref(tp) };
    }
    rp
}

/// Frees the aux block and the borrowed references it owns.
fn release_aux(h: &mut PreHeader) {
    if h.aux.is_null() {
        return;
    }
    // SAFETY: aux was made by Box::into_raw in aux().
    let mut a = unsafe { Box::from_raw(h.aux) };
    h.aux = std::ptr::null_mut();
    h.flags &= !NESTED;
    a.release_borrowed();
    a.release_entries();
}

/// Number of live mirrors, parked ones included (for leak tests).
pub fn live_mirrors() -> usize {
    let m = MAPS.lock();
    m.rp2c.len() - m.statics.len() + HIDDEN_LIVE.load(Ordering::Relaxed)
}

/// Marks `p` as immortal (types, pinned modules).
///
/// # Safety
/// `p` must be a valid object that is never freed afterwards.
pub unsafe fn make_immortal(p: *mut PyObject) {
    // SAFETY: valid object.
    unsafe { (*p).ob_refcnt = IMMORTAL_REFCNT };
}
