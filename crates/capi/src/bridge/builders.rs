//! Builders: objects C allocates through the facade and fills in place
//! (`PyTuple_New`, `PyList_New`, `PyBytes_FromStringAndSize(NULL, n)`,
//! `PyUnicode_New`). The C memory is authoritative until the object first
//! crosses into Python, when it is *realised*: the RustPython object is made
//! from the inline data and the builder becomes its mirror. Such a mirror is
//! not persistent (see the bridge docs): C made the object for Python, and it
//! is freed with C's last reference, so that what it contains is released as
//! promptly as on CPython; if it crosses back into C, it gets a new mirror.

use rustpython_vm::{AsObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};

use super::{Kind, alloc, header, register_mirror_if_absent, to_rp, type_ptr};
use crate::abi::*;
use crate::runtime::system_error;

/// Makes the struct sequence (`PyStructSequence_New`, the one tuple subclass
/// built in place) of type `tp` from a realised builder's items.
pub type StructSeqMaker = fn(&VirtualMachine, *mut PyObject, *mut PyTypeObject, Vec<PyObjectRef>) -> PyResult<PyObjectRef>;

static STRUCT_SEQ: std::sync::OnceLock<StructSeqMaker> = std::sync::OnceLock::new();

/// Installs the maker of struct sequences (by the objects layer, at start).
pub fn set_struct_seq_maker(make: StructSeqMaker) {
    let _ = STRUCT_SEQ.set(make);
}

/// A tuple builder of type `ty` (`PyTuple_Type`) with `n` NULL items.
pub fn new_tuple(ty: *mut PyTypeObject, n: usize) -> *mut PyObject {
    let p = alloc(TUPLE_ITEMS_OFFSET + 8 * n, Kind::Tuple, ty, None);
    // SAFETY: tuple layout.
    unsafe {
        (*p.cast::<PyVarObject>()).ob_size = n as isize;
        (*p.cast::<PyTupleObject>()).ob_hash = -1;
    }
    p
}

/// A list builder of type `ty` (`PyList_Type`) with `n` NULL items.
pub fn new_list(ty: *mut PyTypeObject, n: usize) -> *mut PyObject {
    let p = alloc(size_of::<PyListObject>(), Kind::List, ty, None);
    // SAFETY: list layout; calloc zeroes the item array.
    unsafe {
        let l = p.cast::<PyListObject>();
        (*l).ob_base.ob_size = n as isize;
        (*l).allocated = n as isize;
        (*l).ob_item = if n == 0 { std::ptr::null_mut() } else { libc::calloc(n, 8).cast() };
    }
    p
}

/// `PyList_Insert(p, at, item)` (`at` clamped as `list.insert` does;
/// `None`: `PyList_Append`) on list builder `p`, in its item array with
/// CPython's cost: the array takes a new reference to `item`, which stays
/// C's until the list is realised.
pub fn list_builder_insert(p: *mut PyObject, at: Option<isize>, item: *mut PyObject) {
    let l = p.cast::<PyListObject>();
    // SAFETY: p is a list builder (list layout, C-owned item array).
    let n = unsafe { (*l).ob_base.ob_size };
    let at = match at {
        None => n,
        Some(i) if i < 0 => (i + n).max(0),
        Some(i) => i.min(n),
    };
    // SAFETY: as above; 0 <= at <= n.
    unsafe { super::mirror::insert_item(l, at as usize, item) };
}

/// Whether `p` is a list builder not yet realised.
pub fn is_list_builder(p: *mut PyObject) -> bool {
    // SAFETY: callers pass valid objects.
    unsafe { super::mortal_header(p) }.is_some_and(|h| h.rp.is_none() && h.kind == Kind::List)
}

/// A bytes builder of type `ty` (`PyBytes_Type`) of `n` bytes (zeroed, NUL-terminated).
pub fn new_bytes(ty: *mut PyTypeObject, n: usize) -> *mut PyObject {
    let p = alloc(BYTES_SVAL_OFFSET + n + 1, Kind::Bytes, ty, None);
    // SAFETY: bytes layout.
    unsafe {
        (*p.cast::<PyVarObject>()).ob_size = n as isize;
        (*p.cast::<PyBytesObject>()).ob_shash = -1;
    }
    p
}

/// A str builder of type `ty` (`PyUnicode_Type`) for `n` characters up to
/// `maxchar`, its fixed-width data inline as CPython lays it out.
pub fn new_str(ty: *mut PyTypeObject, n: usize, maxchar: u32) -> *mut PyObject {
    let ascii = maxchar < 128;
    let kind = super::layout::kind_for(maxchar);
    let size = if ascii { super::layout::ASCII_DATA + n + 1 } else { super::layout::COMPACT_DATA + (n + 1) * kind as usize };
    let p = alloc(size, Kind::Str, ty, None);
    // SAFETY: str layout.
    unsafe {
        let a = p.cast::<PyASCIIObject>();
        (*a).length = n as isize;
        (*a).hash = -1;
        (*a).state = (kind << UNICODE_STATE_KIND_SHIFT) | UNICODE_STATE_COMPACT | if ascii { UNICODE_STATE_ASCII } else { 0 };
    }
    p
}

/// `PySet_Add` on a frozenset that only C holds (one C reference, no
/// holder in RustPython but its mirror): CPython allows filling a brand new
/// frozenset so. RustPython's frozensets cannot change, so the items gather
/// in a set (O(1) per add; `used` is kept current for C), and the frozenset
/// is made from it once, when `p` is next used ([`finish_frozenset`], from
/// `to_rp`). False if `p` is not such a frozenset.
pub fn add_to_new_frozenset(vm: &VirtualMachine, p: *mut PyObject, item: PyObjectRef) -> PyResult<bool> {
    // SAFETY: callers pass valid objects.
    let Some(h) = (unsafe { super::mortal_header(p) }) else { return Ok(false) };
    // SAFETY: p is valid.
    let unique = unsafe { (*p).ob_refcnt } == 1;
    let fresh = h.rp.as_ref().is_some_and(|fs| {
        fs.class().is(vm.ctx.types.frozenset_type) && (h.flags & super::FROZEN_PENDING != 0 || fs.strong_count() == 1)
    });
    if h.kind != Kind::Set || !unique || !fresh {
        return Ok(false);
    }
    let first = h.flags & super::FROZEN_PENDING == 0;
    // SAFETY: p has a pre-header.
    let a = unsafe { super::aux(p) };
    let pending = match &a.pending {
        Some(s) => s.clone(),
        None => {
            let s = vm.ctx.types.set_type.as_object().call((h.rp.clone().expect("checked above"),), vm)?;
            a.pending = Some(s.clone());
            s
        }
    };
    vm.call_method(&pending, "add", (item,))?;
    if first {
        h.flags |= super::FROZEN_PENDING;
    }
    let n = pending.length(vm)?;
    // SAFETY: a set mirror has PySetObject's layout.
    unsafe {
        let s = p.cast::<PySetObject>();
        (*s).used = n as isize;
        (*s).fill = n as isize;
    }
    Ok(true)
}

/// Makes the frozenset C filled through [`add_to_new_frozenset`] and makes
/// `p` its mirror (nothing else held the one it replaces).
pub(super) fn finish_frozenset(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    // SAFETY: called by to_rp for a mirror with FROZEN_PENDING set.
    let h = unsafe { header(p) };
    h.flags &= !super::FROZEN_PENDING;
    // SAFETY: p has a pre-header.
    let pending = unsafe { super::aux(p) }.pending.take();
    let items = match &pending {
        Some(s) => s.try_to_value::<Vec<PyObjectRef>>(vm)?,
        None => Vec::new(),
    };
    let fs = new_frozenset(vm, items)?;
    if let Some(old) = h.rp.take() {
        super::unregister(&old, p);
    }
    h.set_rp(fs.clone());
    super::register_mirror(&fs, p);
    Ok(fs)
}

/// A new frozenset of `items`, a new object even when empty (RustPython's
/// `frozenset()` is a shared singleton, which C could not fill).
pub fn new_frozenset(vm: &VirtualMachine, items: Vec<PyObjectRef>) -> PyResult<PyObjectRef> {
    Ok(rustpython_vm::builtins::PyFrozenSet::from_iter(vm, items)?.into_ref(&vm.ctx).into())
}

/// Whether `p` is a builder not yet realised (C may still fill it in place).
pub fn is_unrealised(p: *mut PyObject) -> bool {
    // SAFETY: callers pass valid objects.
    unsafe { super::mortal_header(p) }.is_some_and(|h| h.rp.is_none())
}

/// Turns a builder into a real RustPython object; `p` becomes its mirror.
pub fn realise(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    realise_with(vm, p, false)
}

/// [`realise`] for an exact tuple or list builder whose last reference C is
/// handing over ([`super::dying_object`]): items only the builder holds are
/// taken without identity entries, and so is the builder, as all of them
/// are freed with it. `None` for other builders.
pub(super) fn realise_dying(vm: &VirtualMachine, p: *mut PyObject) -> Option<PyResult<PyObjectRef>> {
    // SAFETY: a builder keeps its type pointer.
    let tp = unsafe { (*p).ob_type };
    let exact = tp == type_ptr(vm, vm.ctx.types.tuple_type) || tp == type_ptr(vm, vm.ctx.types.list_type);
    exact.then(|| realise_with(vm, p, true))
}

fn realise_with(vm: &VirtualMachine, p: *mut PyObject, dying: bool) -> PyResult<PyObjectRef> {
    // SAFETY: callers checked that p is facade-allocated with no rp yet.
    let h = unsafe { header(p) };
    let obj: PyObjectRef = match h.kind {
        Kind::Tuple => {
            // SAFETY: tuple layout with ob_size slots.
            let items = unsafe {
                let n = (*p.cast::<PyVarObject>()).ob_size as usize;
                item_objects(vm, p.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast(), n, "tuple", dying)?
            };
            super::mirror::adopt_tuple(p);
            // SAFETY: a builder keeps its type pointer.
            let tp = unsafe { (*p).ob_type };
            if tp == type_ptr(vm, vm.ctx.types.tuple_type) {
                vm.ctx.new_tuple(items).into()
            } else {
                let make = STRUCT_SEQ.get().ok_or_else(|| system_error(vm, "a tuple builder of a subclass of tuple"))?;
                make(vm, p, tp, items)?
            }
        }
        Kind::List => {
            // SAFETY: list layout.
            let items = unsafe {
                let l = p.cast::<PyListObject>();
                item_objects(vm, (*l).ob_item, (*l).ob_base.ob_size as usize, "list", dying)?
            };
            let l = vm.ctx.new_list(items);
            super::mirror::adopt_list(p, &l);
            l.into()
        }
        Kind::Bytes => {
            // SAFETY: bytes layout with ob_size bytes.
            let data = unsafe {
                let n = (*p.cast::<PyVarObject>()).ob_size as usize;
                std::slice::from_raw_parts(p.cast::<u8>().add(BYTES_SVAL_OFFSET), n).to_vec()
            };
            vm.ctx.new_bytes(data).into()
        }
        Kind::Str => super::layout::realise_str(vm, p)?,
        k => return Err(system_error(vm, format!("cannot realise a {k:?} object"))),
    };
    h.rp = Some(obj.clone());
    if dying {
        super::hide(p);
    } else if obj.strong_count() == 2 {
        // A new object (held here and by `p`), handed to Python: an escaped
        // hidden mirror, registered only if it lives on.
        super::hide(p);
        super::escape(p, h);
    } else {
        // RustPython may hand back a cached object (the empty tuple, a
        // one-character str) that already has a mirror: that mirror keeps the
        // identity entry and `p` stays a valid alias of it, as a filled
        // `PyUnicode_New` result is a distinct object in CPython too.
        register_mirror_if_absent(&obj, p);
    }
    Ok(obj)
}

/// # Safety
/// `arr` must point to `n` item slots.
unsafe fn item_objects(
    vm: &VirtualMachine,
    arr: *mut *mut PyObject,
    n: usize,
    what: &str,
    dying: bool,
) -> PyResult<Vec<PyObjectRef>> {
    (0..n)
        .map(|i| {
            // SAFETY: i < n.
            let it = unsafe { *arr.add(i) };
            if it.is_null() {
                return Err(system_error(vm, format!("{what} item {i} is NULL when the {what} is used")));
            }
            // An item only a dying builder holds dies with it.
            match dying.then(|| super::dying_object(vm, it)).flatten() {
                Some(o) => o,
                None => to_rp(vm, it),
            }
        })
        .collect()
}
