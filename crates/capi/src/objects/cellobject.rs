//! `cellobject.h`: `PyCell_*`.

use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::c_int;

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, system_error};

fn cell_arg(vm: &VirtualMachine, op: *mut PyObject) -> PyResult<PyObjectRef> {
    let c = rp(vm, op)?;
    if !c.class().is(vm.ctx.types.cell_type) {
        return Err(system_error(vm, "bad argument to internal function"));
    }
    Ok(c)
}

/// New reference to a cell holding `ob` (NULL: an empty cell).
#[unsafe(no_mangle)]
pub extern "C" fn PyCell_New(ob: *mut PyObject) -> *mut PyObject {
    new_ref("PyCell_New", |vm| {
        let t = vm.ctx.types.cell_type.as_object();
        if ob.is_null() { t.call((), vm) } else { t.call((rp(vm, ob)?,), vm) }
    })
}

/// New reference to the cell's contents; NULL without an exception if it is empty.
#[unsafe(no_mangle)]
pub extern "C" fn PyCell_Get(cell: *mut PyObject) -> *mut PyObject {
    api("PyCell_Get", |vm| {
        let c = cell_arg(vm, cell)?;
        Ok(c.get_attr("cell_contents", vm).map_or(std::ptr::null_mut(), |v| bridge::to_c_transient(vm, &v)))
    })
}

/// Sets the cell's contents to `value` (NULL: empties it): 0, or -1 with SystemError.
#[unsafe(no_mangle)]
pub extern "C" fn PyCell_Set(cell: *mut PyObject, value: *mut PyObject) -> c_int {
    api("PyCell_Set", |vm| {
        let c = cell_arg(vm, cell)?;
        if value.is_null() {
            if c.get_attr("cell_contents", vm).is_ok() {
                c.del_attr("cell_contents", vm)?;
            }
        } else {
            c.set_attr("cell_contents", rp(vm, value)?, vm)?;
        }
        Ok(0)
    })
}
