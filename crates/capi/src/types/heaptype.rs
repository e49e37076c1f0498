//! Extension types: `PyType_FromSpec*` builds a C heap type object (the
//! authority for layout and slots) and a RustPython *twin type* whose
//! behaviour comes from those slots, exposed as CPython exposes them: slot
//! wrappers (`__repr__`, `__add__`/`__radd__`, `__getitem__`, ...), method
//! descriptors for `tp_methods`, properties for `tp_getset` and `tp_members`.
//! Instances are native objects (`PyType_GenericAlloc`); their RustPython
//! twins are made in `bridge::native`.

use parking_lot::Mutex;
use rustpython_vm::builtins::{PyGetSet, PyTuple, PyType, PyTypeRef};
use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags, PySetterValue};
use rustpython_vm::types::{PyTypeFlags, PyTypeSlots};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyRef, PyResult, VirtualMachine};
use std::collections::HashSet;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::mem::offset_of;
use std::sync::LazyLock;

use crate::abi::*;
use crate::bridge::{self, Kind};
use crate::objects::methodobject::{c_args_kwargs, c_result, call_def};
use crate::runtime::{Shared, api, errors, gil, system_error, type_error};

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

const Py_READONLY: c_int = 1;

/// C type objects whose instances are native objects (created by
/// `PyType_FromSpec*`, or Python classes deriving from one).
static NATIVE_TYPES: LazyLock<Mutex<HashSet<usize>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

pub fn is_native_type(tp: *mut PyTypeObject) -> bool {
    NATIVE_TYPES.lock().contains(&(tp as usize))
}

// ---- slot ids (CPython 3.14 numbering) -> offsets in PyHeapTypeObject ----------------

const HT_TYPE: usize = 0;
const AS_ASYNC: usize = offset_of!(PyHeapTypeObject, as_async);
const AS_NUMBER: usize = offset_of!(PyHeapTypeObject, as_number);
const AS_MAPPING: usize = offset_of!(PyHeapTypeObject, as_mapping);
const AS_SEQUENCE: usize = offset_of!(PyHeapTypeObject, as_sequence);
const AS_BUFFER: usize = offset_of!(PyHeapTypeObject, as_buffer);

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

/// `pyslot_offsets`: where slot `id` lives in a `PyHeapTypeObject` (None for
/// slots handled specially: base, bases, doc, methods, members, getset, token).
fn slot_offset(id: c_int) -> Option<usize> {
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
fn read_slot(tp: *mut PyTypeObject, off: usize) -> *mut c_void {
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

fn write_slot(tp: *mut PyTypeObject, off: usize, v: *mut c_void) {
    // SAFETY: as above.
    unsafe { *tp.cast::<u8>().add(off).cast::<*mut c_void>() = v };
}

// ---- object allocation ---------------------------------------------------------------

/// `tp_alloc` default: a zeroed instance of `basicsize + nitems * itemsize`
/// bytes with refcount 1 (a native object; its twin is made when it crosses).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GenericAlloc(tp: *mut PyTypeObject, nitems: Py_ssize_t) -> *mut PyObject {
    // SAFETY: tp is a valid type object.
    let (basic, item) = unsafe { ((*tp).tp_basicsize.max(16) as usize, (*tp).tp_itemsize.max(0) as usize) };
    let n = nitems.max(0) as usize;
    // CPython allocates one extra item for variable-size objects (sentinel).
    let size = basic + item * (n + if item > 0 { 1 } else { 0 });
    let p = bridge::alloc(size, Kind::Native, tp, None);
    if item > 0 {
        // SAFETY: a variable-size object starts with PyVarObject.
        unsafe { (*p.cast::<PyVarObject>()).ob_size = nitems };
    }
    p
}

/// `PyType_GenericNew`: `type->tp_alloc(type, 0)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GenericNew(tp: *mut PyTypeObject, _args: *mut PyObject, _kw: *mut PyObject) -> *mut PyObject {
    // SAFETY: tp is a valid type object.
    let alloc = unsafe { (*tp).tp_alloc }.unwrap_or(PyType_GenericAlloc);
    // SAFETY: allocfunc contract.
    unsafe { alloc(tp, 0) }
}

/// `object.__new__` as a C slot (`PyBaseObject_Type.tp_new`): native
/// subtypes are allocated through their `tp_alloc`; others through RustPython.
pub unsafe extern "C" fn object_tp_new(tp: *mut PyTypeObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    if is_native_type(tp) {
        // SAFETY: forwarded.
        return unsafe { PyType_GenericNew(tp, args, kw) };
    }
    crate::objects::new_ref("object.__new__", |vm| {
        let cls = bridge::to_rp(vm, tp.cast())?;
        vm.ctx.types.object_type.as_object().get_attr("__new__", vm)?.call((cls,), vm)
    })
}

/// `tp_new` of builtin types extension types may derive from (exceptions,
/// dict): for a native subtype, the RustPython instance is made by the
/// nearest builtin's `__new__` with the subtype's twin as class, and paired
/// with native memory of the subtype's size; otherwise `cls.__new__`.
pub unsafe extern "C" fn builtin_tp_new(tp: *mut PyTypeObject, args: *mut PyObject, kw: *mut PyObject) -> *mut PyObject {
    api("tp_new", |vm| {
        let cls = bridge::to_rp(vm, tp.cast())?.downcast::<PyType>().map_err(|_| type_error(vm, "tp_new: not a type"))?;
        let mut fa = crate::objects::object::c_call_args(vm, args, kw)?;
        // The nearest base that is not a heap type: the builtin whose payload instances have.
        let builtin = cls.mro_map_collect(|t| t.to_owned()).into_iter().find(|t| !t.slots.flags.has_feature(PyTypeFlags::HEAPTYPE)).unwrap_or_else(|| vm.ctx.types.object_type.to_owned());
        fa.args.insert(0, cls.clone().into());
        let new = builtin.as_object().get_attr("__new__", vm)?;
        let instance = new.call(fa, vm)?;
        if is_native_type(tp) {
            Ok(bridge::native::new_builtin_based(vm, tp, instance))
        } else {
            Ok(bridge::to_c(vm, &instance))
        }
    })
}

/// `PyObject_Init`: (re)initialises an object's header: type, refcount 1.
/// Supported for memory the facade allocated (e.g. recycled by a PyO3
/// `freelist`); raw `PyObject_Malloc` memory has no pre-header to pair it
/// with a RustPython twin and raises SystemError.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_Init(o: *mut PyObject, tp: *mut PyTypeObject) -> *mut PyObject {
    api("PyObject_Init", |vm| {
        if o.is_null() {
            return Err(vm.new_exception_empty(vm.ctx.exceptions.memory_error.to_owned()));
        }
        // SAFETY: o points to at least a PyObject header.
        let Some(h) = (unsafe { bridge::try_header(o) }) else {
            return Err(crate::runtime::not_implemented(vm, "PyObject_Init on memory not allocated by tp_alloc"));
        };
        h.reset_native();
        // SAFETY: o is facade memory of at least tp_basicsize bytes (it came from tp_alloc of this type).
        unsafe {
            (*o).ob_type = tp;
            (*o).ob_refcnt = 1;
        }
        Ok(o)
    })
}

/// `PyObject_InitVar`: `PyObject_Init` plus `ob_size`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_InitVar(o: *mut PyVarObject, tp: *mut PyTypeObject, size: Py_ssize_t) -> *mut PyVarObject {
    // SAFETY: forwarded.
    let r = unsafe { PyObject_Init(o.cast(), tp) };
    if !r.is_null() {
        // SAFETY: a variable-size object.
        unsafe { (*o).ob_size = size };
    }
    r.cast()
}

/// `_PyObject_New` / `PyObject_New`: an instance of `tp` via `PyType_GenericAlloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyObject_New(tp: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_GenericAlloc(tp, 0) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyObject_NewVar(tp: *mut PyTypeObject, n: Py_ssize_t) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_GenericAlloc(tp, n) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyObject_GC_New(tp: *mut PyTypeObject) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_GenericAlloc(tp, 0) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyObject_GC_NewVar(tp: *mut PyTypeObject, n: Py_ssize_t) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { PyType_GenericAlloc(tp, n) }
}

/// `PyObject_GC_Del`: frees a native object (its `tp_free`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_GC_Del(o: *mut c_void) {
    // SAFETY: forwarded.
    unsafe { crate::objects::object::PyObject_Free(o) }
}

/// Weak references to a native object live on its twin and are cleared by
/// RustPython when the twin dies; nothing is left to clear in C.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_ClearWeakRefs(_o: *mut PyObject) {}

// ---- PyType_FromSpec --------------------------------------------------------------------

fn cstr_static(p: *const c_char) -> Option<&'static str> {
    // SAFETY: spec strings are static data of the extension (never unloaded).
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?"))
}

/// Splits CPython's `Name(sig)\n--\n\n` doc into (text signature, body).
fn split_doc<'a>(name: &str, doc: &'a str) -> (Option<&'a str>, &'a str) {
    if let Some(rest) = doc.strip_prefix(name) {
        if rest.starts_with('(') {
            if let Some(end) = rest.find(")\n--\n\n") {
                return (Some(&rest[..=end]), &rest[end + 6..]);
            }
        }
    }
    (None, doc)
}

fn bases_of(vm: &VirtualMachine, bases: *mut PyObject, base_slot: *mut c_void, bases_slot: *mut c_void) -> PyResult<Vec<PyTypeRef>> {
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

fn from_spec(
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
        t.tp_free = Some(crate::objects::object::PyObject_Free);
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
fn make_twin(
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
        (Py_TPFLAGS_IMMUTABLETYPE, PyTypeFlags::IMMUTABLETYPE),
        (Py_TPFLAGS_DISALLOW_INSTANTIATION, PyTypeFlags::DISALLOW_INSTANTIATION),
        (Py_TPFLAGS_SEQUENCE, PyTypeFlags::SEQUENCE),
        (Py_TPFLAGS_MAPPING, PyTypeFlags::MAPPING),
    ] {
        if cflags & c != 0 {
            bits.push(r);
        }
    }
    if dictoffset != 0 {
        bits.push(PyTypeFlags::HAS_DICT);
    }
    // SAFETY: as above.
    if unsafe { (*tp).tp_weaklistoffset } != 0 {
        bits.push(PyTypeFlags::HAS_WEAKREF);
    }
    let mut tslots = PyTypeSlots::new(leak_str(name), PyTypeFlags::from_slice(&bits));
    // RustPython derives `__text_signature__` from the internal doc
    // (`Name(sig)\n--\n\n...`); `__doc__` itself is set below without it.
    if let Some(d) = doc {
        tslots.doc = ItemDoc::static_text(d);
    }
    let twin = PyType::new_heap(name, rp_bases, Default::default(), tslots, metaclass, &vm.ctx).map_err(|e| type_error(vm, e))?;
    let t = twin.as_object();
    t.set_attr("__module__", vm.ctx.new_str(modname.unwrap_or("builtins")), vm)?;
    t.set_attr("__qualname__", vm.ctx.new_str(name), vm)?;
    match doc {
        Some(d) => {
            let (sig, body) = split_doc(name, d);
            t.set_attr("__doc__", vm.ctx.new_str(body), vm)?;
            let _ = sig; // served by `__text_signature__` from the internal doc
        }
        None => t.set_attr("__doc__", vm.ctx.none(), vm)?,
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
        t.set_attr("__new__", vm.ctx.types.staticmethod_type.as_object().call((new,), vm)?, vm)?;
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
    if !heap {
        // Static types are immutable, as in CPython.
        twin.slots.flags.insert(PyTypeFlags::IMMUTABLETYPE);
    }
    Ok(())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn member_defs(tp: *mut PyTypeObject) -> Vec<&'static PyMemberDef> {
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
fn native_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let tp = bridge::type_ptr(vm, &cls);
    // SAFETY: tp is a full type object.
    let Some(new) = (unsafe { (*tp).tp_new }) else {
        return Err(type_error(vm, format!("cannot create '{}' instances", cls.slot_name())));
    };
    // Every crossing and refcount change below happens under the GIL.
    let _g = gil::ensure(vm);
    bridge::bump_epoch();
    let (a, k) = c_args_kwargs(vm, args)?;
    // SAFETY: newfunc contract; a/k are new references we release below.
    let r = unsafe { new(tp, a, k) };
    release2(a, k);
    c_result(vm, r, format_args!("{}.__new__", cls.slot_name()))
}

fn release2(a: *mut PyObject, b: *mut PyObject) {
    // SAFETY: both are new references (or NULL) owned by the caller.
    unsafe {
        bridge::xdecref(a);
        bridge::xdecref(b);
    }
}

// ---- slot wrappers --------------------------------------------------------------------

/// How a dunder wrapper calls its C slot.
#[derive(Clone, Copy)]
enum Call {
    Unary,
    Binary,
    BinaryReflected,
    Ternary,
    TernaryReflected,
    Inquiry,
    Len,
    Hash,
    Call,
    Next,
    RichCmp(c_int),
    SetAttr,
    DelAttr,
    DescrGet,
    DescrSet,
    DescrDelete,
    Init,
    SetItem,
    DelItem,
    SsizeItem,
    SsizeSetItem,
    SsizeDelItem,
    SsizeArg,
    Contains,
    Finalize,
}

fn obj_args(vm: &VirtualMachine, args: &FuncArgs, n: usize, name: &str) -> PyResult<Vec<*mut PyObject>> {
    if args.args.len() != n || !args.kwargs.is_empty() {
        return Err(type_error(vm, format!("{name} expected {} argument{}, got {}", n - 1, if n == 2 { "" } else { "s" }, args.args.len().saturating_sub(1))));
    }
    Ok(args.args.iter().map(|a| bridge::to_c(vm, a)).collect())
}

fn int_result(vm: &VirtualMachine, r: c_int, name: &str) -> PyResult<c_int> {
    if r == -1 {
        if let Some(e) = errors::take() {
            return Err(e);
        }
    }
    let _ = (vm, name);
    Ok(r)
}

fn index_arg(vm: &VirtualMachine, o: &PyObjectRef) -> PyResult<isize> {
    let i = o.try_index(vm)?;
    isize::try_from(i.as_bigint()).map_err(|_| crate::runtime::new_error(vm, vm.ctx.exceptions.index_error, "cannot fit 'int' into an index-sized integer"))
}

/// Calls slot `f` (of kind `call`) for a dunder invocation `args` (self first).
fn call_slot(vm: &VirtualMachine, name: &'static str, call: Call, f: *mut c_void, args: FuncArgs) -> PyResult {
    let _g = gil::ensure(vm);
    bridge::bump_epoch();
    // SAFETY (all arms): f is the C slot the type registered for this dunder,
    // with the signature `call` names; every argument is a new reference we release.
    unsafe {
        macro_rules! with_args {
            ($n:expr, |$a:ident| $body:expr) => {{
                let $a = obj_args(vm, &args, $n, name)?;
                let r = $body;
                for p in &$a {
                    bridge::decref(*p);
                }
                r
            }};
        }
        match call {
            Call::Unary => with_args!(1, |a| c_result(vm, std::mem::transmute::<_, unaryfunc>(f)(a[0]), name)),
            Call::Binary => with_args!(2, |a| c_result(vm, std::mem::transmute::<_, binaryfunc>(f)(a[0], a[1]), name)),
            Call::BinaryReflected => with_args!(2, |a| c_result(vm, std::mem::transmute::<_, binaryfunc>(f)(a[1], a[0]), name)),
            Call::Ternary | Call::TernaryReflected => {
                let mut v = args.args.clone();
                if v.len() == 2 {
                    v.push(vm.ctx.none());
                }
                if v.len() != 3 {
                    return Err(type_error(vm, format!("{name} expected 1 or 2 arguments")));
                }
                let a: Vec<_> = v.iter().map(|x| bridge::to_c(vm, x)).collect();
                let (x, y) = if matches!(call, Call::Ternary) { (a[0], a[1]) } else { (a[1], a[0]) };
                let r = c_result(vm, std::mem::transmute::<_, ternaryfunc>(f)(x, y, a[2]), name);
                a.iter().for_each(|p| bridge::decref(*p));
                r
            }
            Call::Inquiry => with_args!(1, |a| {
                let r = int_result(vm, std::mem::transmute::<_, inquiry>(f)(a[0]), name);
                r.map(|v| vm.ctx.new_bool(v != 0).into())
            }),
            Call::Len => with_args!(1, |a| {
                let r = std::mem::transmute::<_, lenfunc>(f)(a[0]);
                if r < 0 {
                    Err(errors::take().unwrap_or_else(|| system_error(vm, format!("{name} returned a negative length without an exception"))))
                } else {
                    Ok(vm.ctx.new_int(r).into())
                }
            }),
            Call::Hash => with_args!(1, |a| {
                let r = std::mem::transmute::<_, hashfunc>(f)(a[0]);
                match errors::take() {
                    Some(e) if r == -1 => Err(e),
                    _ => Ok(vm.ctx.new_int(r).into()),
                }
            }),
            Call::Call => {
                let mut v = args.args;
                if v.is_empty() {
                    return Err(type_error(vm, format!("{name} needs self")));
                }
                let slf = bridge::to_c(vm, &v.remove(0));
                let (a, k) = c_args_kwargs(vm, FuncArgs::new(v, args.kwargs))?;
                let r = c_result(vm, std::mem::transmute::<_, ternaryfunc>(f)(slf, a, k), name);
                release2(a, k);
                bridge::decref(slf);
                r
            }
            Call::Next => with_args!(1, |a| {
                let r = std::mem::transmute::<_, unaryfunc>(f)(a[0]);
                if r.is_null() && !errors::is_set() {
                    Err(vm.new_exception_empty(vm.ctx.exceptions.stop_iteration.to_owned()))
                } else {
                    c_result(vm, r, name)
                }
            }),
            Call::RichCmp(op) => with_args!(2, |a| c_result(vm, std::mem::transmute::<_, richcmpfunc>(f)(a[0], a[1], op), name)),
            Call::SetAttr => with_args!(3, |a| int_result(vm, std::mem::transmute::<_, setattrofunc>(f)(a[0], a[1], a[2]), name).map(|_| vm.ctx.none())),
            Call::DelAttr => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, setattrofunc>(f)(a[0], a[1], std::ptr::null_mut()), name).map(|_| vm.ctx.none())),
            Call::DescrGet => {
                let mut v = args.args.clone();
                if v.len() == 2 {
                    v.push(vm.ctx.none());
                }
                if v.len() != 3 {
                    return Err(type_error(vm, format!("{name} expected 1 or 2 arguments")));
                }
                let a: Vec<_> = v.iter().map(|x| if vm.is_none(x) { std::ptr::null_mut() } else { bridge::to_c(vm, x) }).collect();
                let r = c_result(vm, std::mem::transmute::<_, descrgetfunc>(f)(a[0], a[1], a[2]), name);
                a.iter().for_each(|p| bridge::xdecref(*p));
                r
            }
            Call::DescrSet => with_args!(3, |a| int_result(vm, std::mem::transmute::<_, descrsetfunc>(f)(a[0], a[1], a[2]), name).map(|_| vm.ctx.none())),
            Call::DescrDelete => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, descrsetfunc>(f)(a[0], a[1], std::ptr::null_mut()), name).map(|_| vm.ctx.none())),
            Call::Init => {
                let mut v = args.args;
                let slf = bridge::to_c(vm, &v.remove(0));
                let (a, k) = c_args_kwargs(vm, FuncArgs::new(v, args.kwargs))?;
                let r = int_result(vm, std::mem::transmute::<_, initproc>(f)(slf, a, k), name);
                release2(a, k);
                bridge::decref(slf);
                r.map(|_| vm.ctx.none())
            }
            Call::SetItem => with_args!(3, |a| int_result(vm, std::mem::transmute::<_, objobjargproc>(f)(a[0], a[1], a[2]), name).map(|_| vm.ctx.none())),
            Call::DelItem => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, objobjargproc>(f)(a[0], a[1], std::ptr::null_mut()), name).map(|_| vm.ctx.none())),
            Call::SsizeItem | Call::SsizeArg => {
                if args.args.len() != 2 {
                    return Err(type_error(vm, format!("{name} expected 1 argument")));
                }
                let i = index_arg(vm, &args.args[1])?;
                let slf = bridge::to_c(vm, &args.args[0]);
                let r = c_result(vm, std::mem::transmute::<_, ssizeargfunc>(f)(slf, i), name);
                bridge::decref(slf);
                r
            }
            Call::SsizeSetItem | Call::SsizeDelItem => {
                let want = if matches!(call, Call::SsizeSetItem) { 3 } else { 2 };
                if args.args.len() != want {
                    return Err(type_error(vm, format!("{name} expected {} argument(s)", want - 1)));
                }
                let i = index_arg(vm, &args.args[1])?;
                let slf = bridge::to_c(vm, &args.args[0]);
                let v = if want == 3 { bridge::to_c(vm, &args.args[2]) } else { std::ptr::null_mut() };
                let r = int_result(vm, std::mem::transmute::<_, ssizeobjargproc>(f)(slf, i, v), name);
                bridge::decref(slf);
                bridge::xdecref(v);
                r.map(|_| vm.ctx.none())
            }
            Call::Contains => with_args!(2, |a| int_result(vm, std::mem::transmute::<_, objobjproc>(f)(a[0], a[1]), name).map(|v| vm.ctx.new_bool(v != 0).into())),
            Call::Finalize => with_args!(1, |a| {
                std::mem::transmute::<_, destructor>(f)(a[0]);
                match errors::take() {
                    Some(e) => Err(e),
                    None => Ok(vm.ctx.none()),
                }
            }),
        }
    }
}


/// Adds a method descriptor `name` to `cls` calling C slot `f` as `call`.
fn add_wrapper(vm: &VirtualMachine, cls: &'static Py<PyType>, name: &'static str, call: Call, f: *mut c_void) -> PyResult<()> {
    let f = Shared(f);
    let def = vm.ctx.new_method_def(
        name,
        move |args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            let f = &f;
            call_slot(vm, name, call, f.0, args)
        },
        PyMethodFlags::METHOD,
        ItemDoc::NONE,
    );
    let descr = def.build_method(cls, vm);
    cls.as_object().set_attr(name, descr, vm)
}

/// CPython's slotdefs: dunder wrappers for the slots the C type defines.
fn install_slot_wrappers(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    let s = |off: usize| read_slot(tp, off);
    let add = |name: &'static str, call: Call, off: usize| -> PyResult<()> {
        let f = s(off);
        if f.is_null() { Ok(()) } else { add_wrapper(vm, cls, name, call, f) }
    };
    add("__repr__", Call::Unary, tp!(tp_repr))?;
    add("__str__", Call::Unary, tp!(tp_str))?;
    add("__hash__", Call::Hash, tp!(tp_hash))?;
    add("__call__", Call::Call, tp!(tp_call))?;
    add("__iter__", Call::Unary, tp!(tp_iter))?;
    add("__next__", Call::Next, tp!(tp_iternext))?;
    if read_slot(tp, tp!(tp_getattro)) != crate::objects::object::PyObject_GenericGetAttr as *mut c_void {
        add("__getattribute__", Call::Binary, tp!(tp_getattro))?;
    }
    if read_slot(tp, tp!(tp_setattro)) != crate::objects::object::PyObject_GenericSetAttr as *mut c_void {
        add("__setattr__", Call::SetAttr, tp!(tp_setattro))?;
        add("__delattr__", Call::DelAttr, tp!(tp_setattro))?;
    }
    for (name, op) in [("__lt__", Py_LT), ("__le__", Py_LE), ("__eq__", Py_EQ), ("__ne__", Py_NE), ("__gt__", Py_GT), ("__ge__", Py_GE)] {
        add(name, Call::RichCmp(op), tp!(tp_richcompare))?;
    }
    add("__get__", Call::DescrGet, tp!(tp_descr_get))?;
    add("__set__", Call::DescrSet, tp!(tp_descr_set))?;
    add("__delete__", Call::DescrDelete, tp!(tp_descr_set))?;
    add("__init__", Call::Init, tp!(tp_init))?;
    add("__del__", Call::Finalize, tp!(tp_finalize))?;
    let binary: [(&'static str, &'static str, usize); 13] = [
        ("__add__", "__radd__", nb!(nb_add)),
        ("__sub__", "__rsub__", nb!(nb_subtract)),
        ("__mul__", "__rmul__", nb!(nb_multiply)),
        ("__mod__", "__rmod__", nb!(nb_remainder)),
        ("__divmod__", "__rdivmod__", nb!(nb_divmod)),
        ("__lshift__", "__rlshift__", nb!(nb_lshift)),
        ("__rshift__", "__rrshift__", nb!(nb_rshift)),
        ("__and__", "__rand__", nb!(nb_and)),
        ("__xor__", "__rxor__", nb!(nb_xor)),
        ("__or__", "__ror__", nb!(nb_or)),
        ("__floordiv__", "__rfloordiv__", nb!(nb_floor_divide)),
        ("__truediv__", "__rtruediv__", nb!(nb_true_divide)),
        ("__matmul__", "__rmatmul__", nb!(nb_matrix_multiply)),
    ];
    for (n, r, off) in binary {
        add(n, Call::Binary, off)?;
        add(r, Call::BinaryReflected, off)?;
    }
    add("__pow__", Call::Ternary, nb!(nb_power))?;
    add("__rpow__", Call::TernaryReflected, nb!(nb_power))?;
    let unary: [(&'static str, usize); 8] = [
        ("__neg__", nb!(nb_negative)),
        ("__pos__", nb!(nb_positive)),
        ("__abs__", nb!(nb_absolute)),
        ("__invert__", nb!(nb_invert)),
        ("__int__", nb!(nb_int)),
        ("__float__", nb!(nb_float)),
        ("__index__", nb!(nb_index)),
        ("__await__", am!(am_await)),
    ];
    for (n, off) in unary {
        add(n, Call::Unary, off)?;
    }
    add("__aiter__", Call::Unary, am!(am_aiter))?;
    add("__anext__", Call::Unary, am!(am_anext))?;
    add("__bool__", Call::Inquiry, nb!(nb_bool))?;
    let inplace: [(&'static str, usize); 13] = [
        ("__iadd__", nb!(nb_inplace_add)),
        ("__isub__", nb!(nb_inplace_subtract)),
        ("__imul__", nb!(nb_inplace_multiply)),
        ("__imod__", nb!(nb_inplace_remainder)),
        ("__ilshift__", nb!(nb_inplace_lshift)),
        ("__irshift__", nb!(nb_inplace_rshift)),
        ("__iand__", nb!(nb_inplace_and)),
        ("__ixor__", nb!(nb_inplace_xor)),
        ("__ior__", nb!(nb_inplace_or)),
        ("__ifloordiv__", nb!(nb_inplace_floor_divide)),
        ("__itruediv__", nb!(nb_inplace_true_divide)),
        ("__imatmul__", nb!(nb_inplace_matrix_multiply)),
        ("__ipow__", nb!(nb_inplace_power)),
    ];
    for (n, off) in inplace {
        if n == "__ipow__" {
            add(n, Call::Ternary, off)?;
        } else {
            add(n, Call::Binary, off)?;
        }
    }
    // Mapping before sequence, as CPython's slotdefs order resolves them.
    if !s(mp!(mp_length)).is_null() {
        add("__len__", Call::Len, mp!(mp_length))?;
    } else {
        add("__len__", Call::Len, sq!(sq_length))?;
    }
    if !s(mp!(mp_subscript)).is_null() {
        add("__getitem__", Call::Binary, mp!(mp_subscript))?;
    } else {
        add("__getitem__", Call::SsizeItem, sq!(sq_item))?;
    }
    if !s(mp!(mp_ass_subscript)).is_null() {
        add("__setitem__", Call::SetItem, mp!(mp_ass_subscript))?;
        add("__delitem__", Call::DelItem, mp!(mp_ass_subscript))?;
    } else {
        add("__setitem__", Call::SsizeSetItem, sq!(sq_ass_item))?;
        add("__delitem__", Call::SsizeDelItem, sq!(sq_ass_item))?;
    }
    add("__contains__", Call::Contains, sq!(sq_contains))?;
    if s(nb!(nb_add)).is_null() {
        add("__add__", Call::Binary, sq!(sq_concat))?;
    }
    if s(nb!(nb_multiply)).is_null() {
        add("__mul__", Call::SsizeArg, sq!(sq_repeat))?;
        add("__rmul__", Call::SsizeArg, sq!(sq_repeat))?;
    }
    if s(nb!(nb_inplace_add)).is_null() {
        add("__iadd__", Call::Binary, sq!(sq_inplace_concat))?;
    }
    if s(nb!(nb_inplace_multiply)).is_null() {
        add("__imul__", Call::SsizeArg, sq!(sq_inplace_repeat))?;
    }
    Ok(())
}

// ---- methods, getsets, members ------------------------------------------------------------

fn install_methods(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp_methods is a static array ending with a NULL name.
    let mut ml = unsafe { (*tp).tp_methods };
    while !ml.is_null() && !unsafe { (*ml).ml_name }.is_null() {
        // SAFETY: within the array.
        let (name, flags, doc) = unsafe { (cstr_static((*ml).ml_name).unwrap_or("?"), (*ml).ml_flags, cstr_static((*ml).ml_doc)) };
        let value: PyObjectRef = if flags & METH_STATIC != 0 {
            let f = crate::objects::methodobject::make_function(vm, ml, std::ptr::null_mut(), None, tp)?;
            vm.ctx.types.staticmethod_type.as_object().call((f,), vm)?
        } else {
            let def = Shared(ml);
            let cls_ptr = tp as usize;
            let is_class = flags & METH_CLASS != 0;
            let func = move |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
                let d = &def;
                if args.args.is_empty() {
                    return Err(type_error(vm, "descriptor needs an argument"));
                }
                let _g = gil::ensure(vm);
                bridge::bump_epoch();
                let slf = bridge::to_c(vm, &args.args.remove(0));
                let r = call_def(vm, d.0, slf, cls_ptr as *mut PyTypeObject, args);
                // SAFETY: our reference from to_c.
                unsafe { bridge::decref(slf) };
                r
            };
            let doc = doc.map_or(ItemDoc::NONE, ItemDoc::static_text);
            if is_class {
                let f = vm.ctx.new_method_def(name, func, PyMethodFlags::empty(), doc).build_function(vm, None);
                vm.ctx.types.classmethod_type.as_object().call((f,), vm)?
            } else {
                vm.ctx.new_method_def(name, func, PyMethodFlags::METHOD, doc).build_method(cls, vm).into()
            }
        };
        // Direct insertion: `type.__setattr__` would run descriptors like `__dict__`.
        cls.set_attr(vm.ctx.intern_str(name), value);
        // SAFETY: next entry.
        ml = unsafe { ml.add(1) };
    }
    Ok(())
}



fn install_getsets(vm: &VirtualMachine, cls: &'static Py<PyType>, tp: *mut PyTypeObject) -> PyResult<()> {
    // SAFETY: tp_getset is a static array ending with a NULL name.
    let mut gs = unsafe { (*tp).tp_getset }.cast::<PyGetSetDef>();
    while !gs.is_null() && !unsafe { (*gs).name }.is_null() {
        let g = Shared(gs.cast_const());
        // SAFETY: within the array.
        let (name, has_get, has_set) = unsafe { (cstr_static((*gs).name).unwrap_or("?"), (*gs).get.is_some(), (*gs).set.is_some()) };
        let mut descr = PyGetSet::new(name, cls, &vm.ctx);
        if has_get {
            descr = descr.with_get(move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
                let g = &g;
                let _gil = gil::ensure(vm);
                bridge::bump_epoch();
                let p = bridge::to_c(vm, &obj);
                // SAFETY: the getter of a static PyGetSetDef.
                let r = unsafe { ((*g.0).get.unwrap())(p, (*g.0).closure) };
                // SAFETY: our reference.
                unsafe { bridge::decref(p) };
                c_result(vm, r, name)
            });
        }
        if has_set {
            descr = descr.with_set(move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
                let g = &g;
                let value = match value {
                    PySetterValue::Assign(v) => Some(v),
                    PySetterValue::Delete => None,
                };
                set_via(vm, g.0, &obj, value.as_ref(), name)
            });
        }
        let descr = PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None);
        cls.set_attr(vm.ctx.intern_str(name), descr.into());
        // SAFETY: next entry.
        gs = unsafe { gs.add(1) };
    }
    Ok(())
}

fn set_via(vm: &VirtualMachine, g: *const PyGetSetDef, obj: &PyObjectRef, value: Option<&PyObjectRef>, name: &str) -> PyResult<()> {
    let _gil = gil::ensure(vm);
    bridge::bump_epoch();
    let p = bridge::to_c(vm, obj);
    let v = value.map_or(std::ptr::null_mut(), |v| bridge::to_c(vm, v));
    // SAFETY: the setter of a static PyGetSetDef.
    let r = unsafe { ((*g).set.unwrap())(p, v, (*g).closure) };
    release2(p, v);
    int_result(vm, r, name).map(drop)
}


fn install_members(vm: &VirtualMachine, cls: &'static Py<PyType>, members: &[&'static PyMemberDef]) -> PyResult<()> {
    for m in members {
        let name = cstr_static(m.name).unwrap_or("?");
        if name.starts_with("__") && name.ends_with("offset__") {
            continue;
        }
        let mem = Shared(*m);
        let mut descr = PyGetSet::new(name, cls, &vm.ctx).with_get(move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
            let m = &mem;
            read_member(vm, m.0, &obj)
        });
        if m.flags & Py_READONLY == 0 {
            descr = descr.with_set(move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
                let m = &mem;
                match value {
                    PySetterValue::Assign(v) => write_member(vm, m.0, &obj, v),
                    PySetterValue::Delete => Err(type_error(vm, "can't delete attribute")),
                }
            });
        }
        let descr = PyRef::new_ref(descr, vm.ctx.types.getset_type.to_owned(), None);
        cls.set_attr(vm.ctx.intern_str(name), descr.into());
    }
    Ok(())
}

/// Address of member `m` inside the native object behind `obj`.
fn member_addr(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef) -> PyResult<(*mut u8, *mut PyObject)> {
    bridge::bump_epoch();
    let p = bridge::to_c(vm, obj);
    // SAFETY: p is a native instance of a type declaring this member.
    Ok((unsafe { p.cast::<u8>().offset(m.offset) }, p))
}

fn read_member(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef) -> PyResult {
    let _g = gil::ensure(vm);
    let (a, p) = member_addr(vm, m, obj)?;
    // SAFETY: a points at a field of the type the member code names.
    let r: PyResult = unsafe {
        match m.type_code {
            0 => Ok(vm.ctx.new_int(*a.cast::<i16>()).into()),
            1 => Ok(vm.ctx.new_int(*a.cast::<i32>()).into()),
            2 | 17 | 19 => Ok(vm.ctx.new_int(*a.cast::<i64>()).into()),
            3 => Ok(vm.ctx.new_float(*a.cast::<f32>() as f64).into()),
            4 => Ok(vm.ctx.new_float(*a.cast::<f64>()).into()),
            7 | 8 => Ok(vm.ctx.new_int(*a.cast::<i8>()).into()),
            9 => Ok(vm.ctx.new_int(*a).into()),
            10 => Ok(vm.ctx.new_int(*a.cast::<u32>()).into()),
            11 => Ok(vm.ctx.new_int(*a.cast::<u16>()).into()),
            12 | 18 => Ok(vm.ctx.new_int(*a.cast::<u64>()).into()),
            14 => Ok(vm.ctx.new_bool(*a != 0).into()),
            6 | 16 => {
                let o = *a.cast::<*mut PyObject>();
                if o.is_null() {
                    if m.type_code == 16 {
                        Err(vm.new_attribute_error(format!("'{}' object has no attribute '{}'", obj.class().name(), cstr_static(m.name).unwrap_or("?"))))
                    } else {
                        Ok(vm.ctx.none())
                    }
                } else {
                    bridge::to_rp(vm, o)
                }
            }
            20 => Ok(vm.ctx.none()),
            code => Err(system_error(vm, format!("bad member type code {code}"))),
        }
    };
    // SAFETY: our reference from member_addr.
    unsafe { bridge::decref(p) };
    r
}

fn write_member(vm: &VirtualMachine, m: &PyMemberDef, obj: &PyObjectRef, value: PyObjectRef) -> PyResult<()> {
    // Convert first: `__index__`, `__float__` and `__bool__` are Python code,
    // which runs without the GIL; the write itself happens under it.
    enum V {
        Int(i64),
        F64(f64),
        Bool(bool),
        Obj,
    }
    let int = |v: &PyObjectRef| -> PyResult<i64> { i64::try_from(v.try_index(vm)?.as_bigint()).map_err(|_| crate::runtime::new_error(vm, vm.ctx.exceptions.overflow_error, "Python int too large")) };
    let v = match m.type_code {
        0 | 1 | 2 | 17 | 19 | 12 | 18 => V::Int(int(&value)?),
        4 => V::F64(value.try_float(vm)?.to_f64()),
        14 => V::Bool(value.clone().is_true(vm)?),
        6 | 16 => V::Obj,
        code => return Err(system_error(vm, format!("cannot set member of type code {code}"))),
    };
    let _g = gil::ensure(vm);
    let (a, p) = member_addr(vm, m, obj)?;
    // SAFETY: a points at a field of the type the member code names.
    unsafe {
        match (m.type_code, v) {
            (0, V::Int(v)) => *a.cast::<i16>() = v as i16,
            (1, V::Int(v)) => *a.cast::<i32>() = v as i32,
            (12 | 18, V::Int(v)) => *a.cast::<u64>() = v as u64,
            (_, V::Int(v)) => *a.cast::<i64>() = v,
            (_, V::F64(f)) => *a.cast::<f64>() = f,
            (_, V::Bool(b)) => *a = b as u8,
            (_, V::Obj) => {
                let new = bridge::to_c(vm, &value);
                let old = std::mem::replace(&mut *a.cast::<*mut PyObject>(), new);
                bridge::xdecref(old);
            }
        }
        // SAFETY: our reference from member_addr.
        bridge::decref(p);
    }
    Ok(())
}

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

fn ready(vm: &VirtualMachine, tp: *mut PyTypeObject) -> PyResult<()> {
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
    t.tp_free = t.tp_free.or(Some(crate::objects::object::PyObject_Free));
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

fn align8(n: isize) -> isize {
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
