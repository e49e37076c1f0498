//! `tupleobject.h`.

use rustpython_vm::AsObject as _;
use rustpython_vm::builtins::PyTuple;

use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge::{self, builders};
use crate::runtime::{api, system_error};
use std::sync::atomic::{AtomicPtr, Ordering};

static EMPTY: AtomicPtr<PyObject> = AtomicPtr::new(std::ptr::null_mut());

/// Records the immortal mirror of the empty tuple (when the facade is installed).
pub(crate) fn set_empty(p: *mut PyObject) {
    EMPTY.store(p, Ordering::Release);
}

/// A new tuple of `n` NULL items for C to fill with `PyTuple_SET_ITEM`
/// (new reference; for 0, the immortal empty tuple).
#[unsafe(no_mangle)]
pub extern "C" fn PyTuple_New(n: Py_ssize_t) -> *mut PyObject {
    if n == 0 {
        // The immortal empty tuple (PyO3 asks for it on every instance creation).
        let p = EMPTY.load(Ordering::Acquire);
        if !p.is_null() {
            return p;
        }
    }
    api("PyTuple_New", |vm| {
        if n < 0 {
            return Err(system_error(vm, "Negative size passed to PyTuple_New"));
        }
        if n == 0 {
            // The empty tuple is a singleton, as in CPython (and RustPython).
            return Ok(bridge::to_c(vm, vm.ctx.empty_tuple.as_object()));
        }
        Ok(builders::new_tuple(crate::types::static_type!(PyTuple_Type), n as usize))
    })
}

fn tuple_size(vm: &rustpython_vm::VirtualMachine, o: *mut PyObject, f: &str) -> rustpython_vm::PyResult<usize> {
    if builders::is_unrealised(o) {
        // SAFETY: a tuple builder.
        return Ok(unsafe { (*o.cast::<PyVarObject>()).ob_size } as usize);
    }
    let obj = rp(vm, o)?;
    obj.downcast_ref::<PyTuple>()
        .map(|t| t.len())
        .ok_or_else(|| system_error(vm, format!("{f}: bad argument (expected tuple, got {})", obj.class().name())))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyTuple_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyTuple_Size", |vm| Ok(tuple_size(vm, o, "PyTuple_Size")? as isize))
}

fn slot(o: *mut PyObject, i: usize) -> *mut *mut PyObject {
    // SAFETY: tuple layout; callers check i < size.
    unsafe { o.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast::<*mut PyObject>().add(i) }
}

/// Borrowed reference to item `i` (owned by the tuple).
#[unsafe(no_mangle)]
pub extern "C" fn PyTuple_GetItem(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    api("PyTuple_GetItem", |vm| {
        let n = tuple_size(vm, o, "PyTuple_GetItem")?;
        if i < 0 || i as usize >= n {
            return Err(vm.new_exception_msg(vm.ctx.exceptions.index_error.to_owned(), "tuple index out of range".into()));
        }
        // SAFETY: in range.
        Ok(unsafe { *slot(o, i as usize) })
    })
}

/// Stores `v` (stolen) at `i` of a tuple that is still being built.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyTuple_SetItem(o: *mut PyObject, i: Py_ssize_t, v: *mut PyObject) -> i32 {
    api("PyTuple_SetItem", |vm| {
        if !builders::is_unrealised(o) {
            // SAFETY: the reference was stolen.
            unsafe { bridge::xdecref(v) };
            return Err(system_error(vm, "PyTuple_SetItem: tuple is already in use (immutable)"));
        }
        let n = tuple_size(vm, o, "PyTuple_SetItem")?;
        if i < 0 || i as usize >= n {
            // SAFETY: stolen.
            unsafe { bridge::xdecref(v) };
            return Err(vm.new_exception_msg(vm.ctx.exceptions.index_error.to_owned(), "tuple assignment index out of range".into()));
        }
        // SAFETY: in range; the old item (if any) is released.
        unsafe {
            let s = slot(o, i as usize);
            let old = *s;
            *s = v;
            bridge::xdecref(old);
        }
        Ok(0)
    })
}

/// New reference to `o[low:high]`.
#[unsafe(no_mangle)]
pub extern "C" fn PyTuple_GetSlice(o: *mut PyObject, low: Py_ssize_t, high: Py_ssize_t) -> *mut PyObject {
    new_ref("PyTuple_GetSlice", |vm| {
        let obj = rp(vm, o)?;
        let t = obj.downcast_ref::<PyTuple>().ok_or_else(|| system_error(vm, "PyTuple_GetSlice: bad argument"))?;
        let n = t.len() as isize;
        let lo = low.clamp(0, n) as usize;
        let hi = high.clamp(lo as isize, n) as usize;
        Ok(vm.ctx.new_tuple(t.as_slice()[lo..hi].to_vec()).into())
    })
}
