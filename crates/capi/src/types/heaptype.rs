//! Extension types: `PyType_FromSpec*` builds a C heap type object (the
//! authority for layout and slots) and a RustPython *twin type* whose
//! behaviour comes from those slots, exposed as CPython exposes them: slot
//! wrappers (`__repr__`, `__add__`/`__radd__`, `__getitem__`, ...), method
//! descriptors for `tp_methods`, properties for `tp_getset` and `tp_members`.
//! Instances are made in `alloc`, slot wrappers in `slots`, methods and
//! members in `members`.

use parking_lot::Mutex;
use rustpython_vm::builtins::{PyTuple, PyType, PyTypeRef};
use rustpython_vm::function::{FuncArgs, ItemDoc};
use rustpython_vm::types::{PyTypeFlags, PyTypeSlots};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{CStr, c_char, c_int, c_void};
use std::mem::offset_of;
use std::sync::LazyLock;

use crate::abi::*;
use crate::bridge::{self, Kind};
use crate::runtime::{api, system_error, type_error};
pub(super) use super::alloc::*;
pub(super) use super::members::*;
pub(super) use super::slots::*;

#[repr(C)]
pub struct PyType_Slot {
    pub slot: c_int,
    pub pfunc: *mut c_void,
}

#[repr(C)]
pub struct PyType_Spec {
    pub name: *const c_char,
    pub basicsize: c_int,
    pub itemsize: c_int,
    pub flags: u32,
    pub slots: *mut PyType_Slot,
}

#[repr(C)]
pub struct PyGetSetDef {
    pub name: *const c_char,
    pub get: Option<unsafe extern "C" fn(*mut PyObject, *mut c_void) -> *mut PyObject>,
    pub set: Option<unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut c_void) -> c_int>,
    pub doc: *const c_char,
    pub closure: *mut c_void,
}

#[repr(C)]
pub struct PyMemberDef {
    pub name: *const c_char,
    pub type_code: c_int,
    pub offset: Py_ssize_t,
    pub flags: c_int,
    pub doc: *const c_char,
}

pub(super) const Py_READONLY: c_int = 1;

/// C type objects whose instances are native objects (created by
/// `PyType_FromSpec*`, or Python classes deriving from one).
pub(super) static NATIVE_TYPES: LazyLock<Mutex<bridge::AddrSet>> = LazyLock::new(Default::default);

/// Native types asked about recently, so that the question asked on every
/// instance creation (`object.__new__`) takes no lock. Set and forgotten only
/// under [`NATIVE_TYPES`]' lock, with a type that set holds: it never names
/// a freed type.
static NATIVE_SEEN: bridge::directmap::DirectMap<64> = bridge::directmap::DirectMap::new();

pub fn is_native_type(tp: *mut PyTypeObject) -> bool {
    if NATIVE_SEEN.get(tp as usize).is_some() {
        return true;
    }
    let set = NATIVE_TYPES.lock();
    let native = set.contains(&(tp as usize));
    if native {
        NATIVE_SEEN.set(tp as usize, 1);
    }
    native
}

/// Drops a freed type object from [`NATIVE_TYPES`].
pub(super) fn forget_native_type(tp: *mut PyTypeObject) {
    let mut set = NATIVE_TYPES.lock();
    set.remove(&(tp as usize));
    NATIVE_SEEN.forget(tp as usize);
}

// ---- slot ids (CPython 3.14 numbering) -> offsets in PyHeapTypeObject ----------------

pub(super) const HT_TYPE: usize = 0;
pub(super) const AS_ASYNC: usize = offset_of!(PyHeapTypeObject, as_async);
pub(super) const AS_NUMBER: usize = offset_of!(PyHeapTypeObject, as_number);
pub(super) const AS_MAPPING: usize = offset_of!(PyHeapTypeObject, as_mapping);
pub(super) const AS_SEQUENCE: usize = offset_of!(PyHeapTypeObject, as_sequence);
pub(super) const AS_BUFFER: usize = offset_of!(PyHeapTypeObject, as_buffer);

macro_rules! tp {
    ($f:ident) => {
        HT_TYPE + offset_of!(PyTypeObject, $f)
    };
}
macro_rules! nb {
    ($f:ident) => {
        AS_NUMBER + offset_of!(PyNumberMethods, $f)
    };
}
macro_rules! sq {
    ($f:ident) => {
        AS_SEQUENCE + offset_of!(PySequenceMethods, $f)
    };
}
macro_rules! mp {
    ($f:ident) => {
        AS_MAPPING + offset_of!(PyMappingMethods, $f)
    };
}
macro_rules! am {
    ($f:ident) => {
        AS_ASYNC + offset_of!(PyAsyncMethods, $f)
    };
}
pub(super) use {am, mp, nb, sq, tp};

/// `pyslot_offsets`: where slot `id` lives in a `PyHeapTypeObject` (None for
/// slots handled specially: base, bases, doc, methods, members, getset, token).
pub(super) fn slot_offset(id: c_int) -> Option<usize> {
    Some(match id {
        1 => AS_BUFFER + offset_of!(PyBufferProcs, bf_getbuffer),
        2 => AS_BUFFER + offset_of!(PyBufferProcs, bf_releasebuffer),
        3 => mp!(mp_ass_subscript),
        4 => mp!(mp_length),
        5 => mp!(mp_subscript),
        6 => nb!(nb_absolute),
        7 => nb!(nb_add),
        8 => nb!(nb_and),
        9 => nb!(nb_bool),
        10 => nb!(nb_divmod),
        11 => nb!(nb_float),
        12 => nb!(nb_floor_divide),
        13 => nb!(nb_index),
        14 => nb!(nb_inplace_add),
        15 => nb!(nb_inplace_and),
        16 => nb!(nb_inplace_floor_divide),
        17 => nb!(nb_inplace_lshift),
        18 => nb!(nb_inplace_multiply),
        19 => nb!(nb_inplace_or),
        20 => nb!(nb_inplace_power),
        21 => nb!(nb_inplace_remainder),
        22 => nb!(nb_inplace_rshift),
        23 => nb!(nb_inplace_subtract),
        24 => nb!(nb_inplace_true_divide),
        25 => nb!(nb_inplace_xor),
        26 => nb!(nb_int),
        27 => nb!(nb_invert),
        28 => nb!(nb_lshift),
        29 => nb!(nb_multiply),
        30 => nb!(nb_negative),
        31 => nb!(nb_or),
        32 => nb!(nb_positive),
        33 => nb!(nb_power),
        34 => nb!(nb_remainder),
        35 => nb!(nb_rshift),
        36 => nb!(nb_subtract),
        37 => nb!(nb_true_divide),
        38 => nb!(nb_xor),
        39 => sq!(sq_ass_item),
        40 => sq!(sq_concat),
        41 => sq!(sq_contains),
        42 => sq!(sq_inplace_concat),
        43 => sq!(sq_inplace_repeat),
        44 => sq!(sq_item),
        45 => sq!(sq_length),
        46 => sq!(sq_repeat),
        47 => tp!(tp_alloc),
        50 => tp!(tp_call),
        51 => tp!(tp_clear),
        52 => tp!(tp_dealloc),
        53 => tp!(tp_del),
        54 => tp!(tp_descr_get),
        55 => tp!(tp_descr_set),
        57 => tp!(tp_getattr),
        58 => tp!(tp_getattro),
        59 => tp!(tp_hash),
        60 => tp!(tp_init),
        61 => tp!(tp_is_gc),
        62 => tp!(tp_iter),
        63 => tp!(tp_iternext),
        65 => tp!(tp_new),
        66 => tp!(tp_repr),
        67 => tp!(tp_richcompare),
        68 => tp!(tp_setattr),
        69 => tp!(tp_setattro),
        70 => tp!(tp_str),
        71 => tp!(tp_traverse),
        74 => tp!(tp_free),
        75 => nb!(nb_matrix_multiply),
        76 => nb!(nb_inplace_matrix_multiply),
        77 => am!(am_await),
        78 => am!(am_aiter),
        79 => am!(am_anext),
        80 => tp!(tp_finalize),
        81 => am!(am_send),
        82 => tp!(tp_vectorcall),
        _ => return None,
    })
}

/// Reads the slot at heap-layout offset `off` of any type object: `tp_*`
/// slots directly, the others through the type's `tp_as_*` table pointer
/// (a heap type's tables are inline; a static type's are the extension's).
pub(super) fn read_slot(tp: *mut PyTypeObject, off: usize) -> *mut c_void {
    // SAFETY: tp is a full type object; table pointers are NULL or valid tables.
    unsafe {
        if off < size_of::<PyTypeObject>() {
            return *tp.cast::<u8>().add(off).cast::<*mut c_void>();
        }
        let t = &*tp;
        let (table, base) = if off >= AS_BUFFER {
            (t.tp_as_buffer.cast::<u8>(), AS_BUFFER)
        } else if off >= AS_SEQUENCE {
            (t.tp_as_sequence.cast::<u8>(), AS_SEQUENCE)
        } else if off >= AS_MAPPING {
            (t.tp_as_mapping.cast::<u8>(), AS_MAPPING)
        } else if off >= AS_NUMBER {
            (t.tp_as_number.cast::<u8>(), AS_NUMBER)
        } else {
            (t.tp_as_async.cast::<u8>(), AS_ASYNC)
        };
        if table.is_null() { std::ptr::null_mut() } else { *table.add(off - base).cast::<*mut c_void>() }
    }
}

pub(super) fn write_slot(tp: *mut PyTypeObject, off: usize, v: *mut c_void) {
    // SAFETY: as above.
    unsafe { *tp.cast::<u8>().add(off).cast::<*mut c_void>() = v };
}

// ---- PyType_FromSpec --------------------------------------------------------------------

pub(super) fn cstr_static(p: *const c_char) -> Option<&'static str> {
    // SAFETY: spec strings are static data of the extension (never unloaded).
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?"))
}

/// Splits CPython's `Name(sig)\n--\n\n` doc into (text signature, body).
pub(super) fn split_doc<'a>(name: &str, doc: &'a str) -> (Option<&'a str>, &'a str) {
    if let Some(rest) = doc.strip_prefix(name) {
        if rest.starts_with('(') {
            if let Some(end) = rest.find(")\n--\n\n") {
                return (Some(&rest[..=end]), &rest[end + 6..]);
            }
        }
    }
    (None, doc)
}

pub(super) fn bases_of(vm: &VirtualMachine, bases: *mut PyObject, base_slot: *mut c_void, bases_slot: *mut c_void) -> PyResult<Vec<PyTypeRef>> {
    let obj = if !bases.is_null() {
        bases
    } else if !bases_slot.is_null() {
        bases_slot.cast()
    } else if !base_slot.is_null() {
        base_slot.cast()
    } else {
        return Ok(vec![vm.ctx.types.object_type.to_owned()]);
    };
    let o = bridge::to_rp(vm, obj)?;
    let items: Vec<PyObjectRef> = match o.downcast_ref::<PyTuple>() {
        Some(t) => t.as_slice().to_vec(),
        None => vec![o],
    };
    items
        .into_iter()
        .map(|b| b.downcast::<PyType>().map_err(|_| type_error(vm, "bases must be types")))
        .collect()
}

/// `PyType_FromMetaclass`: every `PyType_FromSpec*` variant ends here.
/// New reference to the C type; its twin type is registered in the bridge.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_FromMetaclass(
    meta: *mut PyTypeObject,
    module: *mut PyObject,
    spec: *mut PyType_Spec,
    bases: *mut PyObject,
) -> *mut PyObject {
    api("PyType_FromMetaclass", |vm| {
        // SAFETY: spec is the extension's static type spec.
        let spec = unsafe { &*spec };
        from_spec(vm, meta, module, spec, bases).map(|t| t.cast())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_FromModuleAndSpec(module: *mut PyObject, spec: *mut PyType_Spec, bases: *mut PyObject) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_FromMetaclass(std::ptr::null_mut(), module, spec, bases) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_FromSpecWithBases(spec: *mut PyType_Spec, bases: *mut PyObject) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_FromMetaclass(std::ptr::null_mut(), std::ptr::null_mut(), spec, bases) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_FromSpec(spec: *mut PyType_Spec) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_FromMetaclass(std::ptr::null_mut(), std::ptr::null_mut(), spec, std::ptr::null_mut()) }
}

pub(super) fn from_spec(
    vm: &VirtualMachine,
    meta: *mut PyTypeObject,
    module: *mut PyObject,
    spec: &PyType_Spec,
    bases_arg: *mut PyObject,
) -> PyResult<*mut PyTypeObject> {
    let full_name = cstr_static(spec.name).ok_or_else(|| system_error(vm, "Type spec does not define the name field."))?;
    let (modname, name) = match full_name.rsplit_once('.') {
        Some((m, n)) => (Some(m), n),
        None => (None, full_name),
    };
    // Collect the slots.
    let mut slots: Vec<(c_int, *mut c_void)> = vec![];
    let (mut base_slot, mut bases_slot) = (std::ptr::null_mut(), std::ptr::null_mut());
    let mut s = spec.slots;
    // SAFETY: the slot array ends with slot 0.
    unsafe {
        while !s.is_null() && (*s).slot != 0 {
            match (*s).slot {
                48 => base_slot = (*s).pfunc,
                49 => bases_slot = (*s).pfunc,
                id => slots.push((id, (*s).pfunc)),
            }
            s = s.add(1);
        }
    }
    let rp_bases = bases_of(vm, bases_arg, base_slot, bases_slot)?;
    let c_base = bridge::type_ptr(vm, &rp_bases[0]);

    // The C type object: inherit the base's layout and slots, then apply the spec.
    let tp: *mut PyTypeObject = bridge::alloc(size_of::<PyHeapTypeObject>(), Kind::Type, std::ptr::null_mut(), None).cast();
    // SAFETY: tp is a fresh, zeroed PyHeapTypeObject owned by the facade; types are immortal.
    unsafe {
        bridge::make_immortal(tp.cast());
        let b = &*c_base;
        let t = &mut *tp;
        t.ob_base.ob_base.ob_type = if meta.is_null() { crate::types::static_type!(PyType_Type) } else { meta };
        t.tp_name = spec.name;
        // PEP 697: a negative basicsize extends the base by that many bytes.
        t.tp_basicsize = match spec.basicsize {
            n if n > 0 => n as isize,
            0 => b.tp_basicsize,
            n => align8(b.tp_basicsize) + (-n) as isize,
        };
        t.tp_itemsize = if spec.itemsize > 0 { spec.itemsize as isize } else { b.tp_itemsize };
        t.tp_flags = spec.flags as std::ffi::c_ulong | Py_TPFLAGS_HEAPTYPE | Py_TPFLAGS_READY | (b.tp_flags & 0xFF00_0000);
        t.tp_base = c_base;
        t.tp_alloc = Some(PyType_GenericAlloc);
        t.tp_free = Some(crate::objects::pymem::PyObject_Free);
        t.tp_new = b.tp_new;
        t.tp_dealloc = b.tp_dealloc;
        t.tp_dictoffset = b.tp_dictoffset;
        t.tp_weaklistoffset = b.tp_weaklistoffset;
        let ht = tp.cast::<PyHeapTypeObject>();
        t.tp_as_async = &raw mut (*ht).as_async;
        t.tp_as_number = &raw mut (*ht).as_number;
        t.tp_as_sequence = &raw mut (*ht).as_sequence;
        t.tp_as_mapping = &raw mut (*ht).as_mapping;
        t.tp_as_buffer = &raw mut (*ht).as_buffer;
        (*ht).ht_module = module;
    }
    let mut doc: Option<&'static str> = None;
    for &(id, f) in &slots {
        // SAFETY: tp is the fresh PyHeapTypeObject above; f is the spec's
        // static data (doc string, method/member/getset tables, token).
        let t = unsafe { &mut *tp.cast::<PyHeapTypeObject>() };
        match id {
            56 => {
                doc = cstr_static(f.cast());
                t.ht_type.tp_doc = f.cast();
            }
            64 => t.ht_type.tp_methods = f.cast(),
            72 => t.ht_type.tp_members = f,
            73 => t.ht_type.tp_getset = f,
            83 => t.ht_token = f,
            _ => match slot_offset(id) {
                Some(off) => write_slot(tp, off, f),
                None => return Err(system_error(vm, format!("invalid slot offset {id} in type spec of {full_name}"))),
            },
        }
    }
    // tp_members carries the special offsets.
    let members = member_defs(tp);
    for m in &members {
        // SAFETY: tp is the fresh type object above, exclusively ours here.
        let t = unsafe { &mut *tp };
        match cstr_static(m.name) {
            Some("__dictoffset__") => t.tp_dictoffset = m.offset,
            Some("__weaklistoffset__") => t.tp_weaklistoffset = m.offset,
            Some("__vectorcalloffset__") => t.tp_vectorcall_offset = m.offset,
            _ => {}
        }
    }
    NATIVE_TYPES.lock().insert(tp as usize);
    let metaclass = if meta.is_null() {
        vm.ctx.types.type_type.to_owned()
    } else {
        bridge::to_rp(vm, meta.cast())?.downcast::<PyType>().map_err(|_| type_error(vm, "metaclass must be a type"))?
    };
    make_twin(vm, tp, modname, name, doc, rp_bases, metaclass, true)?;
    Ok(tp)
}

/// Builds and registers the RustPython twin of C type `tp` and installs its
/// slot wrappers, methods, getsets and members. `heap`: `tp` was allocated by
/// the facade (pre-header) rather than being an extension's static object.
#[allow(clippy::too_many_arguments)]
pub(super) fn make_twin(
    vm: &VirtualMachine,
    tp: *mut PyTypeObject,
    modname: Option<&str>,
    name: &str,
    doc: Option<&'static str>,
    rp_bases: Vec<PyTypeRef>,
    metaclass: PyTypeRef,
    heap: bool,
) -> PyResult<()> {
    let members = member_defs(tp);

    // The twin type.
    // SAFETY: tp was filled above.
    let (cflags, dictoffset) = unsafe { ((*tp).tp_flags, (*tp).tp_dictoffset) };
    let mut bits = vec![PyTypeFlags::HEAPTYPE];
    for (c, r) in [
        (Py_TPFLAGS_BASETYPE, PyTypeFlags::BASETYPE),
        (Py_TPFLAGS_DISALLOW_INSTANTIATION, PyTypeFlags::DISALLOW_INSTANTIATION),
        (Py_TPFLAGS_SEQUENCE, PyTypeFlags::SEQUENCE),
        (Py_TPFLAGS_MAPPING, PyTypeFlags::MAPPING),
    ] {
        if cflags & c != 0 {
            bits.push(r);
        }
    }
    // An instance dict (weak references) by offset, or managed by the
    // runtime (Py_TPFLAGS_MANAGED_DICT/MANAGED_WEAKREF): the twin keeps it.
    if dictoffset != 0 || cflags & Py_TPFLAGS_MANAGED_DICT != 0 {
        bits.push(PyTypeFlags::HAS_DICT);
    }
    // SAFETY: as above.
    if unsafe { (*tp).tp_weaklistoffset } != 0 || cflags & Py_TPFLAGS_MANAGED_WEAKREF != 0 {
        bits.push(PyTypeFlags::HAS_WEAKREF);
    }
    let mut tslots = PyTypeSlots::new(leak_str(name), PyTypeFlags::from_slice(&bits));
    // RustPython derives `__text_signature__` from the internal doc
    // (`Name(sig)\n--\n\n...`); `__doc__` itself is set below without it.
    if let Some(d) = doc {
        tslots.doc = ItemDoc::static_text(d);
    }
    let twin = PyType::new_heap(name, rp_bases, Default::default(), tslots, metaclass, &vm.ctx).map_err(|e| type_error(vm, e))?;
    // Written into the type's dict, as CPython's PyType_FromMetaclass does:
    // through `type.__setattr__` they would reach data descriptors of the
    // metaclass (Cython's shared metatype defines a read-only `__module__`).
    let set = |name: &str, value: PyObjectRef| twin.set_attr(vm.ctx.intern_str(name), value);
    set("__module__", vm.ctx.new_str(modname.unwrap_or("builtins")).into());
    set("__qualname__", vm.ctx.new_str(name).into());
    match doc {
        // `__text_signature__` is served from the internal doc.
        Some(d) => set("__doc__", vm.ctx.new_str(split_doc(name, d).1).into()),
        None => set("__doc__", vm.ctx.none()),
    }
    // `__new__` (CPython's tp_new_wrapper): RustPython dispatches
    // instantiation and its argument checks through this attribute.
    // SAFETY: tp was filled above.
    if unsafe { (*tp).tp_new }.is_some() && cflags & Py_TPFLAGS_DISALLOW_INSTANTIATION == 0 {
        let new = vm.new_function("__new__", |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            if args.args.is_empty() {
                return Err(type_error(vm, "__new__(): not enough arguments"));
            }
            let cls = args.args.remove(0).downcast::<PyType>().map_err(|o| {
                type_error(vm, format!("__new__(X): X is not a type object ({})", o.class().name()))
            })?;
            native_new(cls, args, vm)
        });
        twin.as_object().set_attr("__new__", vm.ctx.types.staticmethod_type.as_object().call((new,), vm)?, vm)?;
        // Instantiation calls the C `tp_new` directly, as CPython's
        // `type_call` does, not through the attribute set above (which made
        // RustPython's slot look `__new__` up and call it on every
        // instantiation); subclasses inherit the slot. Not for types
        // deriving from a builtin other than object: their `tp_new` reaches
        // the builtin's `__new__`, whose safety check needs RustPython's own
        // slot here.
        if solid_base_is_object(vm, &twin) {
            twin.slots.new.store(Some(native_new));
        }
    }
    if heap {
        // SAFETY: tp is facade-allocated; the header owns the twin (types live forever).
        unsafe { bridge::header(tp.cast()).set_rp(twin.clone().into()) };
        bridge::register_mirror(twin.as_object(), tp.cast());
    } else {
        bridge::register_static(tp.cast(), twin.clone().into());
    }
    // SAFETY: the tuple mirrors are owned by the immortal type.
    unsafe {
        let bases: Vec<PyObjectRef> = twin.bases.read().iter().map(|b| b.clone().into()).collect();
        (*tp).tp_bases = bridge::to_c(vm, vm.ctx.new_tuple(bases).as_object());
        let mro: Vec<PyObjectRef> = std::iter::once(twin.clone().into()).chain(twin.mro.read().iter().map(|t| t.clone().into())).collect();
        (*tp).tp_mro = bridge::to_c(vm, vm.ctx.new_tuple(mro).as_object());
    }
    if !read_slot(tp, AS_BUFFER + offset_of!(PyBufferProcs, bf_getbuffer)).is_null() {
        twin.slots.as_buffer.store(Some(crate::objects::pybuffer::native_as_buffer));
    }
    let leaked: &'static Py<PyType> = Box::leak(Box::new(twin.clone()));
    install_slot_wrappers(vm, leaked, tp)?;
    install_methods(vm, leaked, tp)?;
    install_getsets(vm, leaked, tp)?;
    install_members(vm, leaked, &members)?;
    if dictoffset > 0 {
        install_dict_slot(vm, leaked, dictoffset);
    }
    publish_dict(vm, &twin, tp)?;
    // No `tp_init` of its own: instantiation skips `object.__init__`, whose
    // only work — rejecting arguments when `tp_new` is object's — cannot
    // apply to a type with a C `tp_new` (CPython's object_init returns at
    // once then). RustPython calls no init slot at all when there is none.
    let object_init = vm.ctx.types.object_type.slots.init.load().map(|f| f as usize);
    if twin.slots.new.load().map(|f| f as usize) == Some(native_new as *const () as usize) && twin.slots.init.load().map(|f| f as usize) == object_init {
        twin.slots.init.store(None);
        // Nothing but `tp_new` to call: instantiation takes the argument
        // vector straight to it (a vectorcall slot of a type whose instances
        // are not callable is its constructor's, and is not inherited).
        if twin.slots.call.load().is_none() {
            twin.slots.vectorcall.store(Some(native_new_vectorcall));
        }
    }
    // Static types are immutable, as in CPython; heap types when their spec
    // says so (Cython's shared types do). Set last: the attributes and slot
    // wrappers above go through `type.__setattr__`, which refuses immutable types.
    if !heap || cflags & Py_TPFLAGS_IMMUTABLETYPE != 0 {
        twin.slots.flags.insert(PyTypeFlags::IMMUTABLETYPE);
    }
    Ok(())
}

/// Whether the first builtin (non-heap) class in `twin`'s MRO is `object`:
/// its instances have no builtin payload whose `__new__`/`__init__` matter.
fn solid_base_is_object(vm: &VirtualMachine, twin: &PyTypeRef) -> bool {
    let solid = twin.mro.read().iter().find(|t| !t.slots.flags.has_feature(PyTypeFlags::HEAPTYPE)).cloned();
    solid.is_none_or(|t| t.is(vm.ctx.types.object_type))
}

/// Points `tp_dict` at the twin's namespace dict, which C may read and write
/// (Cython stores `__pyx_vtable__` and `__reduce__` there, then calls
/// `PyType_Modified`). Entries of a `tp_dict` C filled before `PyType_Ready`
/// are moved into the type first, as CPython keeps them.
fn publish_dict(vm: &VirtualMachine, twin: &PyTypeRef, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp is the type being made.
    let pre = unsafe { (*tp).tp_dict };
    if !pre.is_null() {
        let d = bridge::to_rp(vm, pre)?.downcast::<rustpython_vm::builtins::PyDict>().map_err(|_| type_error(vm, "tp_dict must be a dict"))?;
        for (k, v) in &d {
            twin.as_object().set_attr(&k.str(vm)?, v, vm)?;
        }
    }
    if let Some(d) = twin.attributes.as_dict() {
        // SAFETY: types live forever and own the new reference; a dict C
        // set before PyType_Ready was copied into the namespace above, so the
        // type's reference to it is released (CPython would keep that dict
        // itself; here the namespace dict is the one RustPython reads).
        unsafe {
            (*tp).tp_dict = bridge::to_c(vm, d.as_object());
            bridge::xdecref(pre);
        }
    }
    Ok(())
}

pub(super) fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

pub(super) fn member_defs(tp: *mut PyTypeObject) -> Vec<&'static PyMemberDef> {
    let mut out = vec![];
    // SAFETY: tp_members is a static array ending with a NULL name.
    unsafe {
        let mut m = (*tp).tp_members.cast::<PyMemberDef>();
        while !m.is_null() && !(*m).name.is_null() {
            out.push(&*m);
            m = m.add(1);
        }
    }
    out
}

/// The `new` slot of every twin type: finds the C type of `cls` and calls its `tp_new`.
// ---- type queries ----------------------------------------------------------------------------

/// `PyType_GetSlot`: the function stored for slot `id` (NULL if none).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetSlot(tp: *mut PyTypeObject, id: c_int) -> *mut c_void {
    api("PyType_GetSlot", |vm| {
        // SAFETY: tp is a full type object from C.
        let t = unsafe { &*tp };
        let heap = t.tp_flags & Py_TPFLAGS_HEAPTYPE != 0;
        Ok(match id {
            48 => t.tp_base.cast(),
            49 => t.tp_bases.cast(),
            56 => t.tp_doc.cast_mut().cast(),
            64 => t.tp_methods.cast(),
            72 => t.tp_members,
            73 => t.tp_getset,
            // SAFETY: only heap types have ht_token (checked by the guard).
            83 if heap => unsafe { (*tp.cast::<PyHeapTypeObject>()).ht_token },
            _ => match slot_offset(id) {
                Some(off) => read_slot(tp, off),
                None => return Err(system_error(vm, format!("PyType_GetSlot: invalid slot {id}"))),
            },
        })
    })
}

/// Borrowed reference to the module a type was created with (`PyType_FromModuleAndSpec`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetModule(tp: *mut PyTypeObject) -> *mut PyObject {
    api("PyType_GetModule", |vm| {
        // SAFETY: tp is a type object.
        if unsafe { (*tp).tp_flags } & Py_TPFLAGS_HEAPTYPE == 0 || !is_native_type(tp) {
            return Err(type_error(vm, "PyType_GetModule: type is not a heap type created from a spec"));
        }
        // SAFETY: heap types created by from_spec have the heap layout.
        let m = unsafe { (*tp.cast::<PyHeapTypeObject>()).ht_module };
        if m.is_null() {
            return Err(type_error(vm, "PyType_GetModule: type has no associated module"));
        }
        Ok(m)
    })
}

/// The module state of `PyType_GetModule(tp)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetModuleState(tp: *mut PyTypeObject) -> *mut c_void {
    // SAFETY: forwarded.
    let m = unsafe { PyType_GetModule(tp) };
    if m.is_null() { std::ptr::null_mut() } else { crate::objects::moduleobject::PyModule_GetState(m) }
}

/// Borrowed reference to the first module in the MRO created from `def`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetModuleByDef(tp: *mut PyTypeObject, def: *mut PyModuleDef) -> *mut PyObject {
    api("PyType_GetModuleByDef", |vm| {
        let mut t = tp;
        while !t.is_null() {
            if is_native_type(t) {
                // SAFETY: native types have the heap layout.
                let m = unsafe { (*t.cast::<PyHeapTypeObject>()).ht_module };
                if !m.is_null() && crate::objects::moduleobject::PyModule_GetDef(m) == def {
                    return Ok(m);
                }
            }
            // SAFETY: walking tp_base of valid types.
            t = unsafe { (*t).tp_base };
        }
        Err(type_error(vm, "PyType_GetModuleByDef: No superclass of the type has the given module definition"))
    })
}

/// Makes the type immutable (`PyType_Freeze`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_Freeze(tp: *mut PyTypeObject) -> c_int {
    api("PyType_Freeze", |vm| {
        let ty = bridge::to_rp(vm, tp.cast())?.downcast::<PyType>().map_err(|_| type_error(vm, "PyType_Freeze expects a type"))?;
        ty.slots.flags.insert(PyTypeFlags::IMMUTABLETYPE);
        // SAFETY: tp is a type object.
        unsafe { (*tp).tp_flags |= Py_TPFLAGS_IMMUTABLETYPE };
        Ok(0)
    })
}

/// `PyType_Ready` for a static type object defined by an extension: fills
/// inherited slots from `tp_base` (default `object`), marks it ready and
/// immortal, and gives it a twin type (a foreign static in the bridge).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_Ready(tp: *mut PyTypeObject) -> c_int {
    api("PyType_Ready", |vm| ready(vm, tp).map(|_| 0))
}

pub(super) fn ready(vm: &VirtualMachine, tp: *mut PyTypeObject) -> PyResult<()> {
    if tp.is_null() {
        return Err(system_error(vm, "PyType_Ready(NULL)"));
    }
    // SAFETY: tp is an extension's static PyTypeObject.
    let t = unsafe { &mut *tp };
    if t.tp_flags & Py_TPFLAGS_READY != 0 || bridge::to_rp(vm, tp.cast()).is_ok_and(|o| o.downcast_ref::<PyType>().is_some()) {
        return Ok(());
    }
    let full_name = cstr_static(t.tp_name).ok_or_else(|| system_error(vm, "Type does not define the tp_name field."))?;
    if t.tp_base.is_null() {
        t.tp_base = crate::types::static_type!(PyBaseObject_Type);
    }
    ready(vm, t.tp_base)?;
    // SAFETY: the base is ready (a full type object).
    let b = unsafe { &*t.tp_base };
    if t.ob_base.ob_base.ob_type.is_null() {
        t.ob_base.ob_base.ob_type = b.ob_base.ob_base.ob_type;
    }
    // SAFETY: static types are immortal from here on.
    unsafe { bridge::make_immortal(tp.cast()) };
    if t.tp_basicsize == 0 {
        t.tp_basicsize = b.tp_basicsize;
    }
    if t.tp_itemsize == 0 {
        t.tp_itemsize = b.tp_itemsize;
    }
    t.tp_alloc = t.tp_alloc.or(Some(PyType_GenericAlloc));
    t.tp_free = t.tp_free.or(Some(crate::objects::pymem::PyObject_Free));
    t.tp_dealloc = t.tp_dealloc.or(b.tp_dealloc);
    if t.tp_new.is_none() {
        if t.tp_base == crate::types::static_type!(PyBaseObject_Type) {
            t.tp_flags |= Py_TPFLAGS_DISALLOW_INSTANTIATION;
        } else {
            t.tp_new = b.tp_new;
        }
    }
    if t.tp_dictoffset == 0 {
        t.tp_dictoffset = b.tp_dictoffset;
    }
    if t.tp_weaklistoffset == 0 {
        t.tp_weaklistoffset = b.tp_weaklistoffset;
    }
    t.tp_flags |= Py_TPFLAGS_READY | (b.tp_flags & 0xFF00_0000);
    t.tp_flags &= !Py_TPFLAGS_HEAPTYPE;
    NATIVE_TYPES.lock().insert(tp as usize);
    let rp_base = bridge::to_rp(vm, t.tp_base.cast())?.downcast::<PyType>().map_err(|_| type_error(vm, "tp_base is not a type"))?;
    let (modname, name) = match full_name.rsplit_once('.') {
        Some((m, n)) => (Some(m), n),
        None => (None, full_name),
    };
    let doc = cstr_static(t.tp_doc);
    let meta = bridge::to_rp(vm, t.ob_base.ob_base.ob_type.cast())?.downcast::<PyType>().map_err(|_| type_error(vm, "metatype is not a type"))?;
    make_twin(vm, tp, modname, name, doc, vec![rp_base], meta, false)
}

pub(super) fn align8(n: isize) -> isize {
    (n + 7) & !7
}

/// `PyObject_GetTypeData` (PEP 697): the part of `o` that `cls` added to its base.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_GetTypeData(o: *mut PyObject, cls: *mut PyTypeObject) -> *mut c_void {
    // SAFETY: cls is a type of o with a base type.
    unsafe { o.cast::<u8>().offset(align8((*(*cls).tp_base).tp_basicsize)).cast() }
}

/// `PyType_GetTypeDataSize` (PEP 697).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetTypeDataSize(cls: *mut PyTypeObject) -> Py_ssize_t {
    // SAFETY: cls is a type object with a base.
    unsafe { ((*cls).tp_basicsize - align8((*(*cls).tp_base).tp_basicsize)).max(0) }
}

/// `PyType_GetBaseByToken` (3.14): 1 and a new reference in `*result` to the
/// first type in `tp`'s MRO created with `Py_tp_token == token`; 0 if none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GetBaseByToken(tp: *mut PyTypeObject, token: *mut c_void, result: *mut *mut PyTypeObject) -> c_int {
    api("PyType_GetBaseByToken", |vm| {
        if !result.is_null() {
            // SAFETY: out pointer.
            unsafe { *result = std::ptr::null_mut() };
        }
        if token.is_null() {
            return Err(system_error(vm, "PyType_GetBaseByToken called with token=NULL"));
        }
        let ty = bridge::to_rp(vm, tp.cast())?.downcast::<PyType>().map_err(|_| type_error(vm, "expected a type"))?;
        for t in ty.mro_map_collect(|t| t.to_owned()) {
            let c = bridge::type_ptr(vm, &t);
            // SAFETY: heap types created from specs have the heap layout.
            if is_native_type(c) && unsafe { (*c).tp_flags } & Py_TPFLAGS_HEAPTYPE != 0 && unsafe { (*c.cast::<PyHeapTypeObject>()).ht_token } == token {
                if !result.is_null() {
                    // SAFETY: out pointer; types are immortal (the reference is nominal).
                    unsafe { *result = c };
                }
                return Ok(1);
            }
        }
        Ok(0)
    })
}

/// Inherits the native layout and allocation slots from a native base, for
/// type objects of Python classes deriving from an extension type.
pub(crate) fn inherit_native(tp: *mut PyTypeObject) {
    // SAFETY: tp and its base are valid type objects.
    unsafe {
        let base = (*tp).tp_base;
        if base.is_null() || !is_native_type(base) {
            return;
        }
        let b = &*base;
        let t = &mut *tp;
        t.tp_basicsize = b.tp_basicsize;
        t.tp_itemsize = b.tp_itemsize;
        t.tp_dealloc = b.tp_dealloc;
        t.tp_alloc = b.tp_alloc;
        t.tp_new = b.tp_new;
        t.tp_free = b.tp_free;
        t.tp_init = b.tp_init;
        t.tp_traverse = b.tp_traverse;
        t.tp_clear = b.tp_clear;
        t.tp_dictoffset = b.tp_dictoffset;
        t.tp_weaklistoffset = b.tp_weaklistoffset;
        t.tp_as_number = b.tp_as_number;
        t.tp_as_sequence = b.tp_as_sequence;
        t.tp_as_mapping = b.tp_as_mapping;
        t.tp_as_async = b.tp_as_async;
        t.tp_as_buffer = b.tp_as_buffer;
    }
    NATIVE_TYPES.lock().insert(tp as usize);
}
