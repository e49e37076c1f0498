//! `listobject.h`. RustPython's list is authoritative; the mirror's
//! `ob_item` is checked (O(1)) before items are read and edited in place by
//! `Append`/`Insert`/`SetItem` (see `bridge::mirror::list_edit`); other
//! mutations re-synchronise it.

use rustpython_vm::AsObject as _;
use rustpython_vm::builtins::PyList;
use rustpython_vm::{PyObjectRef, PyRef, PyResult, VirtualMachine};

use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge::mirror::ListEdit;
use crate::bridge::{self, builders};
use crate::runtime::{api, system_error, type_error};

/// A new list of `n` NULL items for C to fill with `PyList_SET_ITEM`.
#[unsafe(no_mangle)]
pub extern "C" fn PyList_New(n: Py_ssize_t) -> *mut PyObject {
    api("PyList_New", |vm| {
        if n < 0 {
            return Err(system_error(vm, "Negative size passed to PyList_New"));
        }
        Ok(builders::new_list(crate::types::static_type!(PyList_Type), n as usize))
    })
}

fn list(vm: &VirtualMachine, o: *mut PyObject, f: &str) -> PyResult<PyRef<PyList>> {
    rp(vm, o)?
        .downcast::<PyList>()
        .map_err(|x| system_error(vm, format!("{f}: bad argument to internal function (expected list, got {})", x.class().name())))
}

fn index_error(vm: &VirtualMachine, msg: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    vm.new_exception_msg(vm.ctx.exceptions.index_error.to_owned(), msg.to_owned().into())
}

/// Runs `f` on the list behind `o`, then refreshes the mirror.
fn mutate<R>(vm: &VirtualMachine, o: *mut PyObject, name: &str, f: impl FnOnce(&PyRef<PyList>) -> PyResult<R>) -> PyResult<R> {
    let l = list(vm, o, name)?;
    let r = f(&l);
    bridge::refresh_now(vm, o, l.as_ref());
    r
}

#[unsafe(no_mangle)]
pub extern "C" fn PyList_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyList_Size", |vm| {
        if builders::is_list_builder(o) {
            // SAFETY: list builder layout.
            return Ok(unsafe { (*o.cast::<PyListObject>()).ob_base.ob_size });
        }
        Ok(list(vm, o, "PyList_Size")?.borrow_vec().len() as isize)
    })
}

/// Borrowed reference to item `i` (owned by the list's item array).
#[unsafe(no_mangle)]
pub extern "C" fn PyList_GetItem(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    api("PyList_GetItem", |vm| {
        if !builders::is_list_builder(o) {
            let l = list(vm, o, "PyList_GetItem")?;
            bridge::mirror::ensure_synced(vm, o, l.as_ref());
        }
        // SAFETY: list layout, just checked.
        let (n, items) = unsafe { ((*o.cast::<PyListObject>()).ob_base.ob_size, (*o.cast::<PyListObject>()).ob_item) };
        if i < 0 || i >= n {
            return Err(index_error(vm, "list index out of range"));
        }
        // SAFETY: in range.
        Ok(unsafe { *items.add(i as usize) })
    })
}

/// New reference to item `i`.
#[unsafe(no_mangle)]
pub extern "C" fn PyList_GetItemRef(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    new_ref("PyList_GetItemRef", |vm| {
        let l = list(vm, o, "PyList_GetItemRef")?;
        let v = l.borrow_vec();
        usize::try_from(i).ok().and_then(|i| v.get(i).cloned()).ok_or_else(|| index_error(vm, "list index out of range"))
    })
}

/// Stores `v` (stolen) at `i`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyList_SetItem(o: *mut PyObject, i: Py_ssize_t, v: *mut PyObject) -> i32 {
    api("PyList_SetItem", |vm| {
        if builders::is_unrealised(o) {
            // SAFETY: list builder layout.
            unsafe {
                let l = o.cast::<PyListObject>();
                if i < 0 || i >= (*l).ob_base.ob_size {
                    bridge::xdecref(v);
                    return Err(index_error(vm, "list assignment index out of range"));
                }
                let s = (*l).ob_item.add(i as usize);
                let old = *s;
                *s = v;
                bridge::xdecref(old);
            }
            return Ok(0);
        }
        let r = (|| {
            let value = rp(vm, v)?;
            let l = list(vm, o, "PyList_SetItem")?;
            let out_of_range = || index_error(vm, "list assignment index out of range");
            let i = usize::try_from(i).map_err(|_| out_of_range())?;
            bridge::mirror::list_edit(vm, o, &l, ListEdit::Set(i), value, v).map_err(|()| out_of_range())
        })();
        if r.is_err() {
            // SAFETY: the reference was stolen; on error nobody keeps it.
            unsafe { bridge::xdecref(v) };
        }
        r.map(|()| 0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyList_Append(o: *mut PyObject, v: *mut PyObject) -> i32 {
    api("PyList_Append", |vm| {
        if builders::is_list_builder(o) && !v.is_null() {
            builders::list_builder_insert(o, None, v);
            return Ok(0);
        }
        let value = rp(vm, v)?;
        let l = list(vm, o, "PyList_Append")?;
        let _ = bridge::mirror::list_edit(vm, o, &l, ListEdit::Append, value, v);
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyList_Insert(o: *mut PyObject, i: Py_ssize_t, v: *mut PyObject) -> i32 {
    api("PyList_Insert", |vm| {
        if builders::is_list_builder(o) && !v.is_null() {
            builders::list_builder_insert(o, Some(i), v);
            return Ok(0);
        }
        let value = rp(vm, v)?;
        let l = list(vm, o, "PyList_Insert")?;
        let _ = bridge::mirror::list_edit(vm, o, &l, ListEdit::Insert(i), value, v);
        Ok(0)
    })
}

/// New reference to `o[low:high]`.
#[unsafe(no_mangle)]
pub extern "C" fn PyList_GetSlice(o: *mut PyObject, low: Py_ssize_t, high: Py_ssize_t) -> *mut PyObject {
    new_ref("PyList_GetSlice", |vm| {
        let l = list(vm, o, "PyList_GetSlice")?;
        let v = l.borrow_vec();
        let n = v.len() as isize;
        let lo = low.clamp(0, n) as usize;
        let hi = high.clamp(lo as isize, n) as usize;
        Ok(vm.ctx.new_list(v[lo..hi].to_vec()).into())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyList_Sort(o: *mut PyObject) -> i32 {
    api("PyList_Sort", |vm| {
        let l = list(vm, o, "PyList_Sort")?;
        vm.call_method(l.as_ref(), "sort", ())?;
        bridge::refresh_now(vm, o, l.as_ref());
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyList_Reverse(o: *mut PyObject) -> i32 {
    api("PyList_Reverse", |vm| mutate(vm, o, "PyList_Reverse", |l| {
        l.borrow_vec_mut().reverse();
        Ok(0)
    }))
}

/// New reference to `tuple(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyList_AsTuple(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyList_AsTuple", |vm| Ok(vm.ctx.new_tuple(list(vm, o, "PyList_AsTuple")?.borrow_vec().to_vec()).into()))
}

/// Replaces `o[low:high]` (indices clamped as CPython does) with the items of
/// `v` (any sequence; NULL deletes), keeping the mirror exact: O(tail + len(v)).
#[unsafe(no_mangle)]
pub extern "C" fn PyList_SetSlice(o: *mut PyObject, low: Py_ssize_t, high: Py_ssize_t, v: *mut PyObject) -> i32 {
    api("PyList_SetSlice", |vm| {
        let l = list(vm, o, "PyList_SetSlice")?;
        let values: Vec<PyObjectRef> = if v.is_null() {
            Vec::new()
        } else {
            let src = rp(vm, v)?;
            if let Some(same) = src.downcast_ref::<PyList>() {
                same.borrow_vec().to_vec()
            } else if let Some(t) = src.downcast_ref::<rustpython_vm::builtins::PyTuple>() {
                t.as_slice().to_vec()
            } else {
                let seq = super::py(vm, || vm.ctx.types.list_type.as_object().call((src.clone(),), vm)).map_err(|e| {
                    if e.fast_isinstance(vm.ctx.exceptions.type_error) {
                        type_error(vm, "can only assign an iterable")
                    } else {
                        e
                    }
                })?;
                seq.downcast::<PyList>().map_err(|_| system_error(vm, "list() did not return a list"))?.borrow_vec().to_vec()
            }
        };
        let n = l.borrow_vec().len() as isize;
        let lo = low.clamp(0, n);
        let hi = high.clamp(lo, n);
        splice(vm, o, &l, lo as usize, hi as usize, values);
        Ok(0)
    })
}

/// `list[lo:hi] = values` on the list and its mirror (see `bridge::mirror::list_splice`).
fn splice(vm: &VirtualMachine, o: *mut PyObject, l: &PyRef<PyList>, lo: usize, hi: usize, values: Vec<PyObjectRef>) {
    let items = values.iter().map(|x| bridge::to_c(vm, x)).collect();
    bridge::mirror::list_splice(vm, o, l, lo, hi, values, items);
}

/// `o.extend(iterable)`: 0, or -1 (SystemError for a non-list `o`). O(len(iterable)).
#[unsafe(no_mangle)]
pub extern "C" fn PyList_Extend(o: *mut PyObject, iterable: *mut PyObject) -> i32 {
    api("PyList_Extend", |vm| {
        let l = list(vm, o, "PyList_Extend")?;
        let src = rp(vm, iterable)?;
        let values: Vec<PyObjectRef> = if let Some(same) = src.downcast_ref::<PyList>() {
            same.borrow_vec().to_vec()
        } else if let Some(t) = src.downcast_ref::<rustpython_vm::builtins::PyTuple>() {
            t.as_slice().to_vec()
        } else {
            super::py(vm, || src.try_to_value::<Vec<PyObjectRef>>(vm))?
        };
        let n = l.borrow_vec().len();
        splice(vm, o, &l, n, n, values);
        Ok(0)
    })
}

/// `del o[:]`: 0, or -1 (SystemError for a non-list `o`). O(len).
#[unsafe(no_mangle)]
pub extern "C" fn PyList_Clear(o: *mut PyObject) -> i32 {
    api("PyList_Clear", |vm| {
        let l = list(vm, o, "PyList_Clear")?;
        let n = l.borrow_vec().len();
        splice(vm, o, &l, 0, n, Vec::new());
        Ok(0)
    })
}
