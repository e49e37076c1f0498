//! `odictobject.h`: `PyODict_*` on `collections.OrderedDict` (RustPython's,
//! a dict subclass whose order follows insertions and `move_to_end`).

use rustpython_vm::AsObject;
use std::ffi::c_int;

use super::{new_ref, py, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::api;

/// New empty `OrderedDict`.
#[unsafe(no_mangle)]
pub extern "C" fn PyODict_New() -> *mut PyObject {
    new_ref("PyODict_New", |vm| {
        let cls = py(vm, || vm.import("collections", 0)?.get_attr("OrderedDict", vm))?;
        py(vm, || cls.call((), vm))
    })
}

/// `od[key] = value` (appended at the end if new): 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyODict_SetItem(od: *mut PyObject, key: *mut PyObject, value: *mut PyObject) -> c_int {
    api("PyODict_SetItem", |vm| {
        let (o, k, v) = (rp(vm, od)?, rp(vm, key)?, rp(vm, value)?);
        py(vm, || o.set_item(&*k, v, vm))?;
        bridge::refresh_now(vm, od, o.as_object());
        Ok(0)
    })
}

/// `del od[key]`: 0, or -1 (KeyError if missing).
#[unsafe(no_mangle)]
pub extern "C" fn PyODict_DelItem(od: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PyODict_DelItem", |vm| {
        let (o, k) = (rp(vm, od)?, rp(vm, key)?);
        py(vm, || o.del_item(&*k, vm))?;
        bridge::refresh_now(vm, od, o.as_object());
        Ok(0)
    })
}
