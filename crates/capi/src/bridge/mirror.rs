//! Mirrors: CPython-layout views of RustPython objects.

use rustpython_vm::builtins::{
    PyBaseException, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyStr, PyTuple,
    PyType,
};
use rustpython_vm::{AsObject, Py, PyObject as RpObject, VirtualMachine};
use std::sync::atomic::Ordering;

use super::{EPOCH, Kind, alloc, decref, header, lookup, register_mirror, to_c};
use crate::abi::*;

/// The `PyTypeObject*` for a RustPython type (borrowed; types are immortal).
pub fn type_ptr(vm: &VirtualMachine, ty: &Py<PyType>) -> *mut PyTypeObject {
    if let Some(p) = lookup(ty.as_object()) {
        return p.cast();
    }
    crate::types::heap_type_mirror(vm, ty)
}

/// Creates and registers the mirror of `obj` (a new reference).
pub(super) fn create(vm: &VirtualMachine, obj: &RpObject) -> *mut PyObject {
    if let Some(ty) = obj.downcast_ref::<PyType>() {
        return type_ptr(vm, ty).cast();
    }
    if let Some(p) = super::native::native_of(obj) {
        // A twin whose identity entry is gone (never expected): its native object.
        // SAFETY: the twin holds a reference, so p is alive.
        unsafe { super::incref(p) };
        return p;
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
            for (i, it) in items.into_iter().enumerate() {
                *slots.add(i) = it;
            }
        }
        p
    } else if obj.downcast_ref::<PyList>().is_some() {
        let p = alloc(size_of::<PyListObject>(), Kind::List, ty, owned);
        // A list can contain itself: register before filling.
        register_mirror(obj, p);
        sync(vm, p, obj);
        return p;
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
        crate::objects::unicodeobject::str_mirror(s, ty, owned)
    } else if let Some(i) = obj.downcast_ref::<PyInt>() {
        let (sign, digits) = crate::objects::longobject::to_digits(i.as_bigint());
        // RustPython keeps its cached small ints alive forever: their mirrors
        // can be immortal too (no allocation per crossing).
        let cached = obj.class().is(vm.ctx.types.int_type)
            && i64::try_from(i.as_bigint()).is_ok_and(|v| (-5..=256).contains(&v) && vm.ctx.new_int(v).is(obj));
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
        p
    } else if obj.downcast_ref::<PyDict>().is_some() {
        let p = alloc(size_of::<PyDictObject>(), Kind::Dict, ty, owned);
        sync(vm, p, obj);
        p
    } else if obj.downcast_ref::<PySet>().is_some() || obj.downcast_ref::<PyFrozenSet>().is_some() {
        let p = alloc(size_of::<PySetObject>(), Kind::Set, ty, owned);
        sync(vm, p, obj);
        p
    } else if obj.downcast_ref::<PyBaseException>().is_some() {
        alloc(size_of::<PyBaseExceptionObject>(), Kind::Exception, ty, owned)
    } else if obj.downcast_ref::<rustpython_vm::builtins::PyModule>().is_some() {
        // Room for PyModuleObject (md_dict, md_def, md_state, ...).
        alloc(80, Kind::Module, ty, owned)
    } else {
        alloc(size_of::<PyObject>(), Kind::Plain, ty, owned)
    };
    register_mirror(obj, p);
    p
}

/// Re-reads a mutable container's inline fields if this epoch has not yet.
pub fn refresh(vm: &VirtualMachine, p: *mut PyObject) {
    if super::is_immortal(p) {
        return;
    }
    // SAFETY: non-immortal objects from the map are facade-allocated.
    let h = unsafe { header(p) };
    if !matches!(h.kind, Kind::List | Kind::Dict | Kind::Set | Kind::NativeBuiltin) {
        return;
    }
    let now = EPOCH.load(Ordering::Relaxed);
    if h.epoch == now {
        return;
    }
    h.epoch = now;
    if let Some(rp) = h.rp.clone() {
        sync(vm, p, &rp);
    }
}

/// Makes a container mirror's inline fields match its RustPython object now.
pub fn sync(vm: &VirtualMachine, p: *mut PyObject, obj: &RpObject) {
    // SAFETY: p is a facade-allocated mirror of obj with the layout of its kind.
    let h = unsafe { header(p) };
    h.epoch = EPOCH.load(Ordering::Relaxed);
    match h.kind {
        Kind::List => {
            let Some(list) = obj.downcast_ref::<PyList>() else { return };
            let items: Vec<_> = list.borrow_vec().to_vec();
            let new: Vec<*mut PyObject> = items.iter().map(|i| to_c(vm, i)).collect();
            // SAFETY: list layout; the array and the references in it are ours.
            // As in CPython, the array only moves when the list outgrows it, so
            // C code holding `ob_item` across a call keeps a valid pointer.
            unsafe {
                let l = p.cast::<PyListObject>();
                let old_n = (*l).ob_base.ob_size.max(0) as usize;
                let old_items: Vec<*mut PyObject> = (0..old_n).map(|i| *(*l).ob_item.add(i)).collect();
                if new.len() > (*l).allocated.max(0) as usize || (*l).ob_item.is_null() && !new.is_empty() {
                    let a = libc::malloc(8 * new.len()).cast::<*mut PyObject>();
                    libc::free((*l).ob_item.cast());
                    (*l).ob_item = a;
                    (*l).allocated = new.len() as isize;
                }
                if !new.is_empty() {
                    std::ptr::copy_nonoverlapping(new.as_ptr(), (*l).ob_item, new.len());
                }
                (*l).ob_base.ob_size = new.len() as isize;
                let mut old = old_items;
                release_items(old.as_mut_ptr(), old.len());
            }
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
        _ => {}
    }
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
    let _ = decref;
}
