//! Instances of extension types: `tp_alloc`/`tp_new` defaults, `PyObject_Init`,
//! `_PyObject_New*`, and the `__new__` of twin types. Instances are native
//! objects; their RustPython twins are made in `bridge::native`.

use rustpython_vm::builtins::{PyType, PyTypeRef};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::types::PyTypeFlags;
use rustpython_vm::{AsObject, PyResult, VirtualMachine};
use std::ffi::c_void;

use crate::abi::*;
use crate::bridge::{self, Kind};
use crate::objects::methodobject::{c_args_kwargs, c_result, c_vector_args};
use crate::runtime::{api, gil, type_error};
use super::heaptype::*;

// ---- object allocation ---------------------------------------------------------------

/// `tp_alloc` default: a zeroed instance of `basicsize + nitems * itemsize`
/// bytes with refcount 1 (a native object; its twin is made when it crosses),
/// tracked for cycle collection if its type is a GC type.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyType_GenericAlloc(tp: *mut PyTypeObject, nitems: Py_ssize_t) -> *mut PyObject {
    // SAFETY: forwarded.
    let p = unsafe { new_native(tp, nitems) };
    // SAFETY: tp is a valid type object.
    if unsafe { (*tp).tp_flags } & Py_TPFLAGS_HAVE_GC != 0 {
        bridge::native::track(p);
    }
    p
}

/// A zeroed native object of `tp` with `nitems` items, refcount 1, untracked.
///
/// # Safety
/// `tp` must be a valid type object.
unsafe fn new_native(tp: *mut PyTypeObject, nitems: Py_ssize_t) -> *mut PyObject {
    // SAFETY: tp is a valid type object.
    let (basic, item) = unsafe { ((*tp).tp_basicsize.max(16) as usize, (*tp).tp_itemsize.max(0) as usize) };
    let n = nitems.max(0) as usize;
    // CPython allocates one extra item for variable-size objects (sentinel).
    let size = basic + item * (n + if item > 0 { 1 } else { 0 });
    let p = bridge::alloc(size, Kind::Native, tp, None);
    // CPython: an instance of a heap type holds a reference to its type,
    // which the type's tp_dealloc releases (PyO3's does).
    // SAFETY: tp is a valid type object.
    if unsafe { (*tp).tp_flags } & Py_TPFLAGS_HEAPTYPE != 0 {
        bridge::incref_type(tp);
    }
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
        if !h.reset_native() {
            return Err(crate::runtime::not_implemented(vm, "PyObject_Init on memory not allocated by tp_alloc"));
        }
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
    // SAFETY: forwarded. Untracked until PyObject_GC_Track, as on CPython.
    unsafe { new_native(tp, 0) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyObject_GC_NewVar(tp: *mut PyTypeObject, n: Py_ssize_t) -> *mut PyObject {
    // SAFETY: forwarded. Untracked until PyObject_GC_Track, as on CPython.
    unsafe { new_native(tp, n) }
}

/// `PyObject_GC_Del`: frees a native object (its `tp_free`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_GC_Del(o: *mut c_void) {
    // SAFETY: forwarded.
    unsafe { crate::objects::pymem::PyObject_Free(o) }
}

/// Weak references to a native object live on its twin and are cleared by
/// RustPython when the twin dies; nothing is left to clear in C.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_ClearWeakRefs(_o: *mut PyObject) {}

pub(super) fn native_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    new_with(vm, &cls, || c_args_kwargs(vm, args))
}

/// The constructor vectorcall of an extension type whose instantiation is
/// its C `tp_new` alone (solid base `object`, no `tp_init`, instances not
/// callable; RustPython's `type.__call__` uses it for such a type, not for
/// its subclasses): the argument vector becomes the C argument tuple and
/// keyword dict directly, with no `FuncArgs` in between.
pub(super) fn native_new_vectorcall(
    zelf: &rustpython_vm::PyObject,
    args: Vec<rustpython_vm::PyObjectRef>,
    nargs: usize,
    kwnames: Option<&[rustpython_vm::PyObjectRef]>,
    vm: &VirtualMachine,
) -> PyResult {
    let cls = zelf.downcast_ref::<PyType>().ok_or_else(|| type_error(vm, "descriptor '__call__' requires a type"))?;
    new_with(vm, cls, || c_vector_args(vm, &args, nargs, kwnames))
}

/// Calls the C `tp_new` of `cls` with the argument tuple and keyword dict
/// `make_args` returns.
fn new_with(vm: &VirtualMachine, cls: &rustpython_vm::Py<PyType>, make_args: impl FnOnce() -> PyResult<(*mut PyObject, *mut PyObject)>) -> PyResult {
    let tp = bridge::type_ptr(vm, cls);
    // SAFETY: tp is a full type object.
    let Some(new) = (unsafe { (*tp).tp_new }) else {
        return Err(type_error(vm, format!("cannot create '{}' instances", cls.slot_name())));
    };
    // Every crossing and refcount change below happens under the GIL.
    let _g = gil::ensure(vm);
    bridge::bump_epoch();
    let (a, k) = make_args()?;
    // SAFETY: newfunc contract; a/k are new references we release below.
    let r = unsafe { new(tp, a, k) };
    release2(a, k);
    c_result(vm, r, NewOf(cls))
}

/// Names `cls.__new__` in an error message, formatted only if one is made.
struct NewOf<'a>(&'a rustpython_vm::Py<PyType>);

impl std::fmt::Display for NewOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.__new__", self.0.slot_name())
    }
}

pub(super) fn release2(a: *mut PyObject, b: *mut PyObject) {
    // SAFETY: both are new references (or NULL) owned by the caller.
    unsafe {
        bridge::xdecref(a);
        bridge::xdecref(b);
    }
}

