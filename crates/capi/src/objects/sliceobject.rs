//! `sliceobject.h`.

use malachite_bigint::Sign;
use rustpython_vm::builtins::PySlice;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::c_int;

use super::{new_ref, rp};
use crate::abi::*;
use crate::runtime::{api, new_error, type_error};

/// New reference to `slice(start, stop, step)` (NULL arguments mean None).
#[unsafe(no_mangle)]
pub extern "C" fn PySlice_New(start: *mut PyObject, stop: *mut PyObject, step: *mut PyObject) -> *mut PyObject {
    new_ref("PySlice_New", |vm| {
        let arg = |p: *mut PyObject| if p.is_null() { Ok(vm.ctx.none()) } else { rp(vm, p) };
        vm.ctx.types.slice_type.as_object().call((arg(start)?, arg(stop)?, arg(step)?), vm)
    })
}

/// `_PyEval_SliceIndex`: an index, clamped to the `Py_ssize_t` range.
fn slice_index(vm: &VirtualMachine, o: &PyObjectRef) -> PyResult<isize> {
    let i = o.try_index(vm).map_err(|_| type_error(vm, "slice indices must be integers or None or have an __index__ method"))?;
    let v = i.as_bigint();
    Ok(isize::try_from(v).unwrap_or(if v.sign() == Sign::Minus { isize::MIN } else { isize::MAX }))
}

/// Extracts start/stop/step with CPython's defaults for None; 0 or -1.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PySlice_Unpack(s: *mut PyObject, start: *mut Py_ssize_t, stop: *mut Py_ssize_t, step: *mut Py_ssize_t) -> c_int {
    api("PySlice_Unpack", |vm| {
        let obj = rp(vm, s)?;
        let sl = obj.downcast_ref::<PySlice>().ok_or_else(|| type_error(vm, "expected a slice"))?;
        let st = match sl.step.as_ref().filter(|x| !vm.is_none(x)) {
            None => 1,
            Some(x) => {
                let v = slice_index(vm, x)?;
                if v == 0 {
                    return Err(new_error(vm, vm.ctx.exceptions.value_error, "slice step cannot be zero"));
                }
                v.max(-isize::MAX)
            }
        };
        let b = if vm.is_none(&sl.start.clone().unwrap_or_else(|| vm.ctx.none())) {
            if st < 0 { isize::MAX } else { 0 }
        } else {
            slice_index(vm, sl.start.as_ref().unwrap())?
        };
        let e = if vm.is_none(&sl.stop) { if st < 0 { isize::MIN } else { isize::MAX } } else { slice_index(vm, &sl.stop)? };
        // SAFETY: out pointers from C.
        unsafe {
            *start = b;
            *stop = e;
            *step = st;
        }
        Ok(0)
    })
}

/// Clamps unpacked indices to a sequence of `length`; returns the slice length.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PySlice_AdjustIndices(length: Py_ssize_t, start: *mut Py_ssize_t, stop: *mut Py_ssize_t, step: Py_ssize_t) -> Py_ssize_t {
    // SAFETY: in/out pointers from C.
    unsafe {
        let adjust = |v: &mut isize| {
            if *v < 0 {
                *v += length;
                if *v < 0 {
                    *v = if step < 0 { -1 } else { 0 };
                }
            } else if *v >= length {
                *v = if step < 0 { length - 1 } else { length };
            }
        };
        adjust(&mut *start);
        adjust(&mut *stop);
        let (b, e) = (*start, *stop);
        if step < 0 {
            if e < b { (b - e - 1) / (-step) + 1 } else { 0 }
        } else if b < e {
            (e - b - 1) / step + 1
        } else {
            0
        }
    }
}

/// `PySlice_GetIndicesEx`: unpack and adjust in one step.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PySlice_GetIndicesEx(s: *mut PyObject, length: Py_ssize_t, start: *mut Py_ssize_t, stop: *mut Py_ssize_t, step: *mut Py_ssize_t, slicelength: *mut Py_ssize_t) -> c_int {
    // SAFETY: forwarded out pointers.
    unsafe {
        if PySlice_Unpack(s, start, stop, step) < 0 {
            return -1;
        }
        *slicelength = PySlice_AdjustIndices(length, start, stop, *step);
    }
    0
}

/// The legacy form: fails (without adjusting) on out-of-range indices.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PySlice_GetIndices(s: *mut PyObject, length: Py_ssize_t, start: *mut Py_ssize_t, stop: *mut Py_ssize_t, step: *mut Py_ssize_t) -> c_int {
    let mut n = 0;
    // SAFETY: forwarded.
    unsafe { PySlice_GetIndicesEx(s, length, start, stop, step, &mut n) }
}

/// `_PyEval_SliceIndex` (ceval.h): stores the index of `v` (clamped to the
/// `Py_ssize_t` range) in `*pi` and returns 1; `None` leaves `*pi` unchanged;
/// 0 with TypeError for anything else.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyEval_SliceIndex(v: *mut PyObject, pi: *mut Py_ssize_t) -> c_int {
    // The error value is 0 here, not api()'s -1.
    let r = api("_PyEval_SliceIndex", |vm| {
        let o = rp(vm, v)?;
        if !vm.is_none(&o) {
            let i = slice_index(vm, &o)?;
            // SAFETY: pi is C's out pointer.
            unsafe { *pi = i };
        }
        Ok(1)
    });
    r.max(0)
}
