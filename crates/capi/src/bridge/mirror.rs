//! Mirrors: CPython-layout views of RustPython objects.

use rustpython_vm::builtins::{
    PyBaseException, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyStr, PyTuple,
    PyType,
};
use rustpython_vm::{AsObject, Py, PyObject as RpObject, PyObjectRef, VirtualMachine};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{EPOCH, Kind, NESTED, PERSISTENT, alloc, aux, header, incref, lookup, register_mirror, to_c, xdecref};
use crate::abi::*;

/// The `PyTypeObject*` for a RustPython type (borrowed; a type object lives
/// as long as its type). A heap type remembers it in its type data, so that
/// instantiating an extension type or mirroring an instance of a class
/// needs no identity lookup.
pub fn type_ptr(vm: &VirtualMachine, ty: &Py<PyType>) -> *mut PyTypeObject {
    if let Some(p) = super::common_type(ty.as_object()) {
        return p.cast();
    }
    let key = ty.as_object() as *const rustpython_vm::PyObject as usize;
    if let Some(p) = TYPE_OBJECTS.get(key) {
        return p as *mut PyTypeObject;
    }
    if let Some(d) = ty.get_type_data::<TypeObjectOf>() {
        TYPE_OBJECTS.set(key, d.tp);
        return d.tp as *mut PyTypeObject;
    }
    let p = match lookup(ty.as_object()) {
        Some(p) => p.cast(),
        None => match TYPE_MIRROR.get() {
            Some(make) => make(vm, ty),
            None => return std::ptr::null_mut(),
        },
    };
    if ty.heaptype_ext.is_some() && !p.is_null() {
        // Fails only if the type's data slot is taken (by another user): the
        // lookup above then stays the way.
        let _ = ty.init_type_data(TypeObjectOf { tp: p as usize, class: key });
    }
    p
}

/// The type data the facade gives a heap type: its type object's address.
/// Dropped with the class, when it leaves [`TYPE_OBJECTS`].
struct TypeObjectOf {
    tp: usize,
    class: usize,
}

impl Drop for TypeObjectOf {
    fn drop(&mut self) {
        TYPE_OBJECTS.forget(self.class);
    }
}

/// Heap types' type objects, found without the type-data lock (taken on
/// every instance creation): a class is cached only from its
/// [`TypeObjectOf`], whose drop forgets it.
static TYPE_OBJECTS: super::directmap::DirectMap<256> = super::directmap::DirectMap::new();

/// Makes the type object of a RustPython type that has no static one; set
/// by the types layer when the facade is installed (the bridge does not
/// depend on how type objects are filled).
static TYPE_MIRROR: OnceLock<fn(&VirtualMachine, &Py<PyType>) -> *mut PyTypeObject> = OnceLock::new();

/// Installs the maker of type objects for [`type_ptr`].
pub fn set_type_mirror_maker(make: fn(&VirtualMachine, &Py<PyType>) -> *mut PyTypeObject) {
    let _ = TYPE_MIRROR.set(make);
}

/// A RustPython type whose instances C reads inline with a layout the bridge
/// does not define itself (the datetime types, registered by the objects
/// layer): the mirror of an instance of `ty` or of a subclass has `size`
/// bytes, whose fields past the object header `fill` writes once, when the
/// mirror is made (the instances are immutable).
pub struct InlineLayout {
    pub ty: rustpython_vm::PyRef<PyType>,
    pub size: usize,
    pub fill: fn(&VirtualMachine, &RpObject, *mut PyObject),
}

static INLINE_LAYOUTS: parking_lot::RwLock<Vec<&'static InlineLayout>> = parking_lot::RwLock::new(Vec::new());

/// Adds inline layouts (at install; each objects family registers its own).
/// Within one call, list the most derived type first.
pub fn set_inline_layouts(layouts: Vec<InlineLayout>) {
    let mut all = INLINE_LAYOUTS.write();
    for l in layouts {
        if !all.iter().any(|o| o.ty.is(&l.ty)) {
            all.push(Box::leak(Box::new(l)));
        }
    }
}

/// The inline layout instances of `ty` have, if one is registered.
pub fn inline_layout(ty: &Py<PyType>) -> Option<&'static InlineLayout> {
    INLINE_LAYOUTS.read().iter().copied().find(|l| ty.fast_issubclass(&l.ty))
}

/// How [`create`] makes a mirror (see the bridge docs).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Registered, persistent if its type allows.
    Persistent,
    /// Registered, freed with C's last reference.
    Transient,
    /// Not registered (an int, float, str or bytes only the mirror holds).
    Hidden,
}

/// Creates the mirror of `obj` (a new reference) and registers it unless
/// `mode` is [`Mode::Hidden`].
pub(super) fn create(vm: &VirtualMachine, obj: &RpObject, mode: Mode) -> *mut PyObject {
    let persist = mode == Mode::Persistent;
    if let Some(ty) = obj.downcast_ref::<PyType>() {
        let p = type_ptr(vm, ty);
        super::incref_type(p);
        return p.cast();
    }
    let ty = type_ptr(vm, obj.class());
    let owned = Some(obj.to_owned());
    let p = if let Some(t) = obj.downcast_ref::<PyTuple>() {
        // Items first: a tuple cannot contain itself.
        let items: Vec<*mut PyObject> = t.as_slice().iter().map(|i| to_c(vm, i)).collect();
        let p = alloc(TUPLE_ITEMS_OFFSET + 8 * items.len(), Kind::Tuple, ty, owned);
        // SAFETY: p has room for items.len() item slots after the header.
        unsafe {
            let v = p.cast::<PyVarObject>();
            (*v).ob_size = items.len() as isize;
            (*p.cast::<PyTupleObject>()).ob_hash = -1;
            let slots = p.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast::<*mut PyObject>();
            for (i, &it) in items.iter().enumerate() {
                *slots.add(i) = it;
            }
        }
        set_nested(p, &items);
        p
    } else if obj.downcast_ref::<PyList>().is_some() {
        let p = alloc(size_of::<PyListObject>(), Kind::List, ty, owned);
        if persist {
            mark_persistent(vm, p, obj);
        }
        // A list can contain itself: register before filling.
        register_mirror(obj, p);
        sync(vm, p, obj);
        return p;
    } else if let Some(c) = obj.downcast_ref::<rustpython_vm::builtins::PyComplex>() {
        let p = alloc(size_of::<PyComplexObject>(), Kind::Plain, ty, owned);
        let v = c.to_complex();
        // SAFETY: complex layout (`cval` inline, read by C as in CPython).
        unsafe {
            (*p.cast::<PyComplexObject>()).real = v.re;
            (*p.cast::<PyComplexObject>()).imag = v.im;
        }
        p
    } else if let Some(f) = obj.downcast_ref::<PyFloat>() {
        let p = alloc(size_of::<PyFloatObject>(), Kind::Float, ty, owned);
        // SAFETY: float layout.
        unsafe { (*p.cast::<PyFloatObject>()).ob_fval = f.to_f64() };
        p
    } else if let Some(b) = obj.downcast_ref::<PyBytes>() {
        let data = b.as_bytes();
        let p = alloc(BYTES_SVAL_OFFSET + data.len() + 1, Kind::Bytes, ty, owned);
        // SAFETY: room for data plus the NUL terminator (already zero).
        unsafe {
            (*p.cast::<PyVarObject>()).ob_size = data.len() as isize;
            (*p.cast::<PyBytesObject>()).ob_shash = -1;
            std::ptr::copy_nonoverlapping(data.as_ptr(), p.cast::<u8>().add(BYTES_SVAL_OFFSET), data.len());
        }
        p
    } else if let Some(s) = obj.downcast_ref::<PyStr>() {
        // RustPython caches a str's hash: computed at most once per string.
        super::layout::str_mirror(s, obj.hash(vm).unwrap_or(-1) as isize, ty, owned)
    } else if let Some(i) = obj.downcast_ref::<PyInt>() {
        let small = i64::try_from(i.as_bigint()).ok();
        let (big, inline);
        let (sign, digits): (usize, &[u32]) = match small {
            Some(v) => {
                inline = super::layout::small_digits(v);
                (inline.0, &inline.1[..inline.2])
            }
            None => {
                big = super::layout::to_digits(i.as_bigint());
                (big.0, &big.1)
            }
        };
        // RustPython keeps its cached small ints alive forever: their mirrors
        // can be immortal too (no allocation per crossing).
        let cached = obj.class().is(vm.ctx.types.int_type)
            && small.is_some_and(|v| (-5..=256).contains(&v) && vm.ctx.new_int(v).is(obj));
        let p = alloc(LONG_DIGITS_OFFSET + 4 * digits.len().max(1), Kind::Int, ty, owned);
        // SAFETY: room for the digits.
        unsafe {
            (*p.cast::<PyLongObject>()).lv_tag = (digits.len() << 3) | sign;
            let d = p.cast::<u8>().add(LONG_DIGITS_OFFSET).cast::<u32>();
            for (k, v) in digits.iter().enumerate() {
                *d.add(k) = *v;
            }
            if cached {
                super::make_immortal(p);
            }
        }
        if cached {
            super::register_small_int(small.unwrap_or(0), obj, p);
        }
        p
    } else if obj.downcast_ref::<PyDict>().is_some() {
        let p = alloc(size_of::<PyDictObject>(), Kind::Dict, ty, owned);
        sync(vm, p, obj);
        p
    } else if obj.downcast_ref::<PySet>().is_some() || obj.downcast_ref::<PyFrozenSet>().is_some() {
        let p = alloc(size_of::<PySetObject>(), Kind::Set, ty, owned);
        sync(vm, p, obj);
        p
    } else if obj.downcast_ref::<PyByteArray>().is_some() {
        let p = alloc(size_of::<PyByteArrayObject>(), Kind::ByteArray, ty, owned);
        sync(vm, p, obj);
        p
    } else if obj.downcast_ref::<PyBaseException>().is_some() {
        // Filled once registered (below): its fields may lead back to it.
        alloc(size_of::<PyBaseExceptionObject>(), Kind::Exception, ty, owned)
    } else if obj.downcast_ref::<rustpython_vm::builtins::PyModule>().is_some() {
        // Room for PyModuleObject (md_dict, md_def, md_state, ...).
        alloc(80, Kind::Module, ty, owned)
    } else if let Some(l) = inline_layout(obj.class()) {
        let p = alloc(l.size, Kind::Plain, ty, owned);
        (l.fill)(vm, obj, p);
        p
    } else {
        alloc(size_of::<PyObject>(), Kind::Plain, ty, owned)
    };
    // SAFETY: p was just allocated by the facade.
    if obj.is_immortal() && matches!(unsafe { header(p) }.kind, Kind::Str | Kind::Int | Kind::Float | Kind::Bytes) {
        // RustPython keeps this object for good (a one-character or interned
        // str, a cached int): so can its mirror, instead of being made and
        // freed again each time C takes the object and lets it go.
        // SAFETY: p is never freed from now on.
        unsafe { super::make_immortal(p) };
        super::remember_immortal(obj, p);
    }
    if persist {
        mark_persistent(vm, p, obj);
    }
    if mode == Mode::Hidden {
        super::hide(p);
        return p;
    }
    register_mirror(obj, p);
    // SAFETY: p was just allocated by the facade.
    if unsafe { header(p) }.kind == Kind::Exception {
        sync(vm, p, obj);
    }
    p
}

/// Marks mirror `p` persistent (parked, not freed, at refcount 0) if `obj` is
/// of an exact builtin type that can neither be weakly referenced nor have a
/// finaliser, so that keeping it alive a while longer is unobservable.
pub(crate) fn mark_persistent(vm: &VirtualMachine, p: *mut PyObject, obj: &RpObject) {
    let t = &vm.ctx.types;
    let cls = obj.class();
    let exact = [
        t.tuple_type, t.list_type, t.dict_type, t.set_type, t.frozenset_type, t.bytes_type, t.str_type, t.int_type,
        t.float_type,
    ];
    if !super::is_immortal(p) && exact.iter().any(|e| cls.is(*e)) {
        // SAFETY: p is facade-allocated.
        unsafe { header(p) }.flags |= PERSISTENT;
    }
}

/// Whether crossing the container that holds `c` must re-check `c`.
fn needs_check(c: *mut PyObject) -> bool {
    // SAFETY: items of a mirror's item array are live objects or NULL.
    unsafe { super::mortal_header(c) }.is_some_and(|h| {
        matches!(h.kind, Kind::List | Kind::Dict | Kind::Set | Kind::ByteArray | Kind::Exception | Kind::NativeBuiltin)
            || h.flags & NESTED != 0
    })
}

/// Records which of a container mirror's items must be re-checked when it
/// crosses (lists, dicts, sets, and containers holding them).
fn set_nested(p: *mut PyObject, items: &[*mut PyObject]) {
    // SAFETY: p is a facade-allocated container mirror.
    let h = unsafe { header(p) };
    let had = h.flags & NESTED != 0;
    let mut nested: Vec<usize> = items.iter().filter(|&&c| c != p && needs_check(c)).map(|&c| c as usize).collect();
    if nested.is_empty() {
        h.flags &= !NESTED;
        if had {
            // SAFETY: p has an aux block (NESTED was set).
            unsafe { aux(p) }.nested = Vec::new();
        }
        return;
    }
    nested.dedup();
    h.flags |= NESTED;
    // SAFETY: p is facade-allocated.
    unsafe { aux(p) }.nested = nested;
}

/// Notes that `item` was added to container mirror `p`'s item array.
fn add_nested(p: *mut PyObject, item: *mut PyObject) {
    if item != p && needs_check(item) {
        // SAFETY: p is facade-allocated.
        unsafe {
            header(p).flags |= NESTED;
            aux(p).nested.push(item as usize);
        }
    }
}

/// Brings the inline fields of `p` and of the containers nested in it up to
/// date, once per epoch: O(1) for an unchanged container plus O(1) for each
/// nested mutable container.
pub fn refresh(vm: &VirtualMachine, p: *mut PyObject) {
    if super::is_immortal(p) {
        return;
    }
    // SAFETY: non-immortal objects from the map are facade-allocated.
    let h = unsafe { header(p) };
    let own = matches!(h.kind, Kind::List | Kind::Dict | Kind::Set | Kind::ByteArray | Kind::Exception | Kind::NativeBuiltin);
    if !own && h.flags & NESTED == 0 {
        return;
    }
    let now = EPOCH.load(Ordering::Relaxed);
    // An exception changes without any C entry (its traceback grows as it
    // propagates through Python frames): it is re-read whenever it crosses.
    if h.epoch == now && h.kind != Kind::Exception {
        return;
    }
    h.epoch = now;
    check(vm, p);
    if h.flags & NESTED == 0 {
        return;
    }
    // SAFETY: NESTED implies an aux block.
    let mut stack: Vec<usize> = unsafe { aux(p) }.nested.clone();
    while let Some(c) = stack.pop() {
        let c = c as *mut PyObject;
        // SAFETY: nested items are owned by their container's item array.
        let ch = unsafe { header(c) };
        if ch.epoch == now {
            continue;
        }
        ch.epoch = now;
        check(vm, c);
        if ch.flags & NESTED != 0 {
            // SAFETY: as above.
            stack.extend(unsafe { aux(c) }.nested.iter().copied());
        }
    }
}

/// Re-reads one mirror's own inline fields if its object may have changed.
fn check(vm: &VirtualMachine, p: *mut PyObject) {
    // SAFETY: p is a facade-allocated mirror.
    let h = unsafe { header(p) };
    let Some(rp) = h.rp.clone() else { return };
    match h.kind {
        Kind::List => ensure_synced(vm, p, &rp),
        Kind::Dict | Kind::Set | Kind::ByteArray | Kind::Exception | Kind::NativeBuiltin => sync(vm, p, &rp),
        _ => {}
    }
}

/// Offset of RustPython's private `PyList::mutation_counter`, found once by
/// probing: it is the only 32-bit word of a `PyList` that `borrow_vec_mut`
/// increments. RustPython bumps it on every mutation except `list.sort`
/// (see [`install_sort_hook`]). `None` if the probe finds no unique word: then
/// lists are compared item by item on every crossing (correct, O(n)).
fn counter_offset() -> Option<usize> {
    static OFFSET: OnceLock<Option<usize>> = OnceLock::new();
    *OFFSET.get_or_init(|| {
        let l = PyList::from(Vec::new());
        let base = (&raw const l).cast::<u8>();
        let words = size_of::<PyList>() / 4;
        let snap = || -> Vec<u32> {
            // SAFETY: reads within the PyList value, 4-aligned (PyList is 8-aligned).
            (0..words).map(|i| unsafe { std::ptr::read_volatile(base.add(4 * i).cast::<u32>()) }).collect()
        };
        let a = snap();
        drop(l.borrow_vec_mut());
        let b = snap();
        drop(l.borrow_vec_mut());
        drop(l.borrow_vec_mut());
        let c = snap();
        let hits: Vec<usize> = (0..words)
            .filter(|&i| b[i] == a[i].wrapping_add(1) && c[i] == b[i].wrapping_add(2))
            .collect();
        let others_stable = (0..words).all(|i| hits.contains(&i) || (a[i] == b[i] && b[i] == c[i]));
        (hits.len() == 1 && others_stable).then(|| 4 * hits[0])
    })
}

/// The mutation count of `list` (see [`counter_offset`]).
fn list_version(list: &PyList) -> Option<u32> {
    let off = counter_offset()?;
    // SAFETY: off is the offset of an AtomicU32 field inside PyList.
    Some(unsafe { &*(&raw const *list).cast::<u8>().add(off).cast::<AtomicU32>() }.load(Ordering::Relaxed))
}

/// Whether list mirror `p` still shows its list: same mutation count and length.
fn list_in_sync(p: *mut PyObject, obj: &RpObject) -> bool {
    let Some(list) = obj.downcast_ref::<PyList>() else { return true };
    let guard = list.borrow_vec();
    // SAFETY: p has the list layout.
    let (h, n) = unsafe { (header(p), (*p.cast::<PyListObject>()).ob_base.ob_size) };
    list_version(list).is_some_and(|v| v == h.version) && guard.len() as isize == n
}

/// Re-synchronises list mirror `p` if its list changed (O(1) if it did not).
pub fn ensure_synced(vm: &VirtualMachine, p: *mut PyObject, obj: &RpObject) {
    if !super::is_immortal(p) && !list_in_sync(p, obj) {
        sync(vm, p, obj);
    }
}

/// The RustPython object address an item slot's mirror stands for.
fn item_rp(c: *mut PyObject) -> usize {
    // SAFETY: items of a mirror's item array are live objects or NULL.
    unsafe { super::mortal_header(c) }.and_then(|h| h.rp.as_deref()).map_or(0, |o| o as *const RpObject as usize)
}

/// Makes a container mirror's inline fields match its RustPython object now.
pub fn sync(vm: &VirtualMachine, p: *mut PyObject, obj: &RpObject) {
    // SAFETY: p is a facade-allocated mirror of obj with the layout of its kind.
    let h = unsafe { header(p) };
    h.epoch = EPOCH.load(Ordering::Relaxed);
    match h.kind {
        Kind::List => {
            let Some(list) = obj.downcast_ref::<PyList>() else { return };
            // SAFETY: list layout; the array and the references in it are ours.
            let l = p.cast::<PyListObject>();
            let old: Vec<*mut PyObject> = unsafe {
                let n = (*l).ob_base.ob_size.max(0) as usize;
                if n == 0 { Vec::new() } else { std::slice::from_raw_parts((*l).ob_item, n).to_vec() }
            };
            // Under the read lock: reuse the slots that still hold the same
            // object (their references move over), take the rest to convert.
            let (version, mut new, changed) = {
                let items = list.borrow_vec();
                let mut new: Vec<*mut PyObject> = Vec::with_capacity(items.len());
                let mut changed: Vec<(usize, PyObjectRef)> = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    match old.get(i) {
                        Some(&o) if item_rp(o) == (&**it as *const RpObject as usize) => new.push(o),
                        _ => {
                            new.push(std::ptr::null_mut());
                            changed.push((i, it.clone()));
                        }
                    }
                }
                (list_version(list), new, changed)
            };
            for (i, it) in changed {
                new[i] = to_c(vm, &it);
            }
            // References of old slots that were not reused are released.
            let mut released: Vec<*mut PyObject> = Vec::new();
            for (i, &o) in old.iter().enumerate() {
                if new.get(i) != Some(&o) {
                    released.push(o);
                }
            }
            // SAFETY: list layout. As in CPython, the array only moves when the
            // list outgrows it, so C code holding `ob_item` across a call keeps
            // a valid pointer.
            unsafe {
                reserve(l, new.len());
                if !new.is_empty() {
                    std::ptr::copy_nonoverlapping(new.as_ptr(), (*l).ob_item, new.len());
                }
                (*l).ob_base.ob_size = new.len() as isize;
            }
            h.version = version.unwrap_or(h.version.wrapping_add(1));
            set_nested(p, &new);
            // SAFETY: each released slot held one reference.
            unsafe { release_items(released.as_mut_ptr(), released.len()) };
        }
        Kind::Dict => {
            if let Some(d) = obj.downcast_ref::<PyDict>() {
                // SAFETY: dict layout.
                unsafe { (*p.cast::<PyDictObject>()).ma_used = d.__len__() as isize };
            }
        }
        Kind::NativeBuiltin => sync_builtin_base(vm, p, obj),
        Kind::Set => {
            let n = obj.length(vm).unwrap_or(0);
            // SAFETY: set layout.
            unsafe {
                let s = p.cast::<PySetObject>();
                (*s).used = n as isize;
                (*s).fill = n as isize;
            }
        }
        Kind::Exception => {
            let Some(e) = obj.downcast_ref::<PyBaseException>() else { return };
            // The fields Cython reads inline (`traceback` in its error
            // fetch/restore), lent by the exception's mirror.
            let lend = |o: Option<&RpObject>| o.map_or(std::ptr::null_mut(), |o| super::borrow_from(vm, p, o));
            let (tb, ctx, cause) = (e.__traceback__(), e.__context__(), e.__cause__());
            let suppress = obj.get_attr("__suppress_context__", vm).is_ok_and(|v| v.try_to_bool(vm).unwrap_or(false));
            // SAFETY: exception layout.
            unsafe {
                let x = p.cast::<PyBaseExceptionObject>();
                (*x).args = super::borrow_from(vm, p, e.args().as_object());
                (*x).traceback = lend(tb.as_ref().map(|t| t.as_object()));
                (*x).context = lend(ctx.as_ref().map(|c| c.as_object()));
                (*x).cause = lend(cause.as_ref().map(|c| c.as_object()));
                (*x).suppress_context = suppress as u8;
            }
        }
        Kind::ByteArray => {
            let Some(b) = obj.downcast_ref::<PyByteArray>() else { return };
            let buf = b.borrow_buf();
            // SAFETY: bytearray layout. `ob_start` points into RustPython's
            // buffer: valid, as in CPython, until the bytearray is resized
            // (C writes through it change the bytearray in place).
            unsafe {
                let a = p.cast::<PyByteArrayObject>();
                (*a).ob_base.ob_size = buf.len() as isize;
                (*a).ob_alloc = buf.len() as isize;
                (*a).ob_bytes = buf.as_ptr().cast_mut().cast();
                (*a).ob_start = (*a).ob_bytes;
            }
        }
        _ => {}
    }
}

/// Grows list `l`'s item array to hold `n` items, with CPython's
/// over-allocation (amortised O(1) appends).
///
/// # Safety
/// `l` must be a facade list object.
unsafe fn reserve(l: *mut PyListObject, n: usize) {
    // SAFETY: per the contract.
    unsafe {
        if n as isize <= (*l).allocated && !(*l).ob_item.is_null() {
            return;
        }
        if n == 0 {
            return;
        }
        let cap = (n + (n >> 3) + 6) & !3;
        let a = libc::realloc((*l).ob_item.cast(), 8 * cap).cast::<*mut PyObject>();
        if a.is_null() {
            std::process::abort();
        }
        (*l).ob_item = a;
        (*l).allocated = cap as isize;
    }
}

/// Inserts a new reference to `item` at `at` in the item array of list
/// mirror or builder `l`, moving the items after it up one slot (amortised
/// O(1) at the end, as CPython).
///
/// # Safety
/// `l` must be a facade list object with `ob_size` items and `at <= ob_size`.
pub(super) unsafe fn insert_item(l: *mut PyListObject, at: usize, item: *mut PyObject) {
    // SAFETY: per the contract; room is reserved before the items move.
    unsafe {
        let n = (*l).ob_base.ob_size as usize;
        reserve(l, n + 1);
        let a = (*l).ob_item.add(at);
        std::ptr::copy(a, a.add(1), n - at);
        incref(item);
        *a = item;
        (*l).ob_base.ob_size = n as isize + 1;
    }
}

/// An in-place edit of a list, applied to the RustPython list and, if it was
/// in sync, to the mirror's item array with CPython's cost.
pub enum ListEdit {
    /// Append (the array takes a new reference to the item).
    Append,
    /// Insert at an index clamped as `list.insert` does (new reference).
    Insert(isize),
    /// Replace the item at an index (the array takes the caller's reference).
    Set(usize),
}

/// Applies `edit` with `value` (whose mirror is `item`) to list `list` and its
/// mirror `p`; `Err(())` if a `Set` index is out of range. When the mirror
/// was not in sync, it is re-synchronised in full instead.
pub fn list_edit(vm: &VirtualMachine, p: *mut PyObject, list: &Py<PyList>, edit: ListEdit, value: PyObjectRef, item: *mut PyObject) -> Result<(), ()> {
    let l = p.cast::<PyListObject>();
    // SAFETY: p is the facade list mirror of `list`.
    let h = unsafe { header(p) };
    let (in_sync, released) = {
        let mut v = list.borrow_vec_mut();
        // borrow_vec_mut bumped the count: in sync if nothing else did since.
        let version = list_version(list);
        // SAFETY: list layout.
        let n = unsafe { (*l).ob_base.ob_size };
        let in_sync = version.is_some_and(|x| x.wrapping_sub(1) == h.version) && v.len() as isize == n;
        let mut released = std::ptr::null_mut();
        // Where an appended or inserted item lands (None: a replacement).
        let inserted_at = match edit {
            ListEdit::Append => {
                v.push(value);
                Some(v.len() - 1)
            }
            ListEdit::Insert(i) => {
                let len = v.len() as isize;
                let at = (if i < 0 { (i + len).max(0) } else { i.min(len) }) as usize;
                v.insert(at, value);
                Some(at)
            }
            ListEdit::Set(i) => {
                let Some(slot) = v.get_mut(i) else { return Err(()) };
                *slot = value;
                if in_sync {
                    // SAFETY: i < n (in sync); the array takes the caller's reference.
                    unsafe {
                        let s = (*l).ob_item.add(i);
                        released = *s;
                        *s = item;
                    }
                }
                None
            }
        };
        if in_sync {
            if let Some(at) = inserted_at {
                // SAFETY: a list mirror in sync: n items, at <= n.
                unsafe { insert_item(l, at, item) };
            }
            h.version = version.unwrap_or(0);
        }
        (in_sync, released)
    };
    if in_sync {
        add_nested(p, item);
        if needs_check(released) {
            // The replaced item may be listed in `nested`: recompute the list
            // from the array before the item's reference goes.
            // SAFETY: list layout, in sync.
            let items = unsafe { std::slice::from_raw_parts((*l).ob_item, (*l).ob_base.ob_size as usize) };
            set_nested(p, items);
        }
        // SAFETY: the replaced slot's reference.
        unsafe { xdecref(released) };
    } else {
        if let ListEdit::Set(_) = edit {
            // The caller's reference was meant for the array; sync takes its own.
            // SAFETY: stolen reference.
            unsafe { xdecref(item) };
        }
        sync(vm, p, list.as_object());
    }
    Ok(())
}

/// Replaces `list[lo..hi]` (clamped) with `values`, whose mirrors `items`
/// the array takes over (one reference each), in the list and — if the
/// mirror was in sync — in its item array at CPython's cost (the tail moves
/// once); otherwise the mirror is re-synchronised in full. Items removed are
/// released after the list's lock is dropped.
pub fn list_splice(vm: &VirtualMachine, p: *mut PyObject, list: &Py<PyList>, lo: usize, hi: usize, values: Vec<PyObjectRef>, items: Vec<*mut PyObject>) {
    let l = p.cast::<PyListObject>();
    // SAFETY: p is the facade list mirror of `list`.
    let h = unsafe { header(p) };
    let (in_sync, removed, _dropped) = {
        let mut v = list.borrow_vec_mut();
        let version = list_version(list);
        // SAFETY: list layout.
        let n = unsafe { (*l).ob_base.ob_size };
        let in_sync = version.is_some_and(|x| x.wrapping_sub(1) == h.version) && v.len() as isize == n;
        let hi = hi.min(v.len());
        let lo = lo.min(hi);
        let k = items.len();
        let dropped: Vec<PyObjectRef> = v.splice(lo..hi, values).collect();
        let mut removed = Vec::new();
        if in_sync {
            // SAFETY: list layout, in sync: slots lo..hi hold the removed
            // items; room is reserved before the tail moves.
            unsafe {
                let n = n as usize;
                if hi > lo {
                    removed.extend_from_slice(std::slice::from_raw_parts((*l).ob_item.add(lo), hi - lo));
                }
                let m = n - (hi - lo) + k;
                reserve(l, m);
                let a = (*l).ob_item;
                if !a.is_null() {
                    std::ptr::copy(a.add(hi), a.add(lo + k), n - hi);
                    std::ptr::copy_nonoverlapping(items.as_ptr(), a.add(lo), k);
                }
                (*l).ob_base.ob_size = m as isize;
            }
            h.version = version.unwrap_or(0);
        }
        (in_sync, removed, dropped)
    };
    if in_sync {
        for &it in &items {
            add_nested(p, it);
        }
        if removed.iter().any(|&r| needs_check(r)) {
            // SAFETY: list layout, in sync.
            let now = unsafe {
                let m = (*l).ob_base.ob_size as usize;
                if m == 0 { &[][..] } else { std::slice::from_raw_parts((*l).ob_item, m) }
            };
            set_nested(p, now);
        }
        for r in removed {
            // SAFETY: the removed slots' references.
            unsafe { xdecref(r) };
        }
    } else {
        for it in items {
            // SAFETY: references meant for the array; sync takes its own.
            unsafe { xdecref(it) };
        }
        sync(vm, p, list.as_object());
    }
}

/// Initialises a realised list builder's mirror state (version, nested items).
pub(crate) fn adopt_list(p: *mut PyObject, list: &Py<PyList>) {
    // SAFETY: p is the list builder just realised as `list`'s mirror.
    unsafe {
        let l = p.cast::<PyListObject>();
        let n = (*l).ob_base.ob_size.max(0) as usize;
        let items = if n == 0 { &[][..] } else { std::slice::from_raw_parts((*l).ob_item, n) };
        header(p).version = {
            let _g = list.borrow_vec();
            list_version(list).unwrap_or(0)
        };
        set_nested(p, items);
    }
}

/// Initialises a realised tuple builder's mirror state (nested items).
pub(crate) fn adopt_tuple(p: *mut PyObject) {
    // SAFETY: p is a tuple builder with ob_size filled slots.
    unsafe {
        let n = (*p.cast::<PyVarObject>()).ob_size.max(0) as usize;
        set_nested(p, std::slice::from_raw_parts(p.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast(), n));
    }
}

/// Makes `list.sort` (the one mutation RustPython does not count) bump the
/// list's mutation count, so that a sorted list is never mistaken for an
/// unchanged one. The replacement is a method descriptor with the same name,
/// signature and doc that calls the original one.
pub fn install_sort_hook(vm: &VirtualMachine) {
    crate::runtime::wrap_builtin_method(vm, vm.ctx.types.list_type, "sort", |orig, args, vm| {
        let zelf = args.args.first().cloned();
        let r = orig.call(args, vm);
        if let Some(l) = zelf.as_ref().and_then(|z| z.downcast_ref::<PyList>()) {
            drop(l.borrow_vec_mut());
        }
        r
    });
}

/// Writes the builtin base part of a native object deriving from a builtin
/// (the fields C reads inline: `ma_used`, `used`, `ob_fval`, `cval`).
pub fn sync_builtin_base(vm: &VirtualMachine, p: *mut PyObject, obj: &RpObject) {
    // SAFETY: p's memory starts with the base builtin's layout (its type's
    // basicsize includes it).
    unsafe {
        if let Some(d) = obj.downcast_ref::<PyDict>() {
            (*p.cast::<PyDictObject>()).ma_used = d.__len__() as isize;
        } else if obj.downcast_ref::<PySet>().is_some() || obj.downcast_ref::<PyFrozenSet>().is_some() {
            let n = obj.length(vm).unwrap_or(0) as isize;
            (*p.cast::<PySetObject>()).used = n;
            (*p.cast::<PySetObject>()).fill = n;
        } else if let Some(f) = obj.downcast_ref::<PyFloat>() {
            (*p.cast::<PyFloatObject>()).ob_fval = f.to_f64();
        } else if let Some(c) = obj.downcast_ref::<rustpython_vm::builtins::PyComplex>() {
            let v = c.to_complex();
            (*p.cast::<PyComplexObject>()).real = v.re;
            (*p.cast::<PyComplexObject>()).imag = v.im;
        }
    }
}

/// # Safety
/// `arr` must hold `n` owned references (or NULLs).
unsafe fn release_items(arr: *mut *mut PyObject, n: usize) {
    for i in 0..n {
        // SAFETY: per the contract.
        unsafe { super::xdecref(*arr.add(i)) };
    }
}

/// Releases the references and buffers held inline by an object of `kind`.
///
/// # Safety
/// `p` must have the layout of `kind`.
pub(super) unsafe fn release_body(p: *mut PyObject, kind: Kind) {
    // SAFETY: per the contract.
    unsafe {
        match kind {
            Kind::Tuple => {
                let n = (*p.cast::<PyVarObject>()).ob_size as usize;
                release_items(p.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast(), n);
            }
            Kind::List => {
                let l = p.cast::<PyListObject>();
                release_items((*l).ob_item, (*l).ob_base.ob_size as usize);
                libc::free((*l).ob_item.cast());
                (*l).ob_item = std::ptr::null_mut();
            }
            _ => {}
        }
    }
}
