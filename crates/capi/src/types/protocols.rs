//! `tp_as_number`, `tp_as_sequence` and `tp_as_mapping` of the type objects
//! the facade makes for RustPython types (builtins and Python classes).
//!
//! C extensions read these tables inline: `PyIndex_Check` is
//! `tp_as_number && tp_as_number->nb_index`, Cython calls
//! `tp_as_mapping->mp_subscript`, `tp_as_sequence->sq_item` and
//! `tp_as_number->nb_int` directly. A slot is present exactly when the
//! RustPython type has the corresponding slot (so presence tests answer as
//! CPython would), and it dispatches to the abstract protocol function,
//! which runs RustPython's implementation.

use rustpython_vm::Py;
use rustpython_vm::builtins::PyType;
use std::ffi::c_int;

use crate::abi::*;
use crate::objects::abstract_ as ab;
use crate::objects::object as obj;

/// `mp_ass_subscript`: `o[k] = v`, or `del o[k]` when `v` is NULL.
unsafe extern "C" fn mp_ass_subscript(o: *mut PyObject, k: *mut PyObject, v: *mut PyObject) -> c_int {
    if v.is_null() { obj::PyObject_DelItem(o, k) } else { obj::PyObject_SetItem(o, k, v) }
}

/// Whether a slot table (a struct of nullable pointers) has any slot set.
fn any_slot<T>(table: &T) -> bool {
    // SAFETY: the protocol tables are `repr(C)` structs of pointer-sized,
    // nullable fields (function pointers as `Option`, reserved `*mut c_void`).
    let words = unsafe { std::slice::from_raw_parts((table as *const T).cast::<usize>(), size_of::<T>() / size_of::<usize>()) };
    words.iter().any(|&w| w != 0)
}

/// The number, sequence and mapping tables of `ty` (None for a table the
/// type has no slot of, as CPython leaves the pointer NULL then).
pub(super) fn tables(ty: &Py<PyType>) -> (Option<PyNumberMethods>, Option<PySequenceMethods>, Option<PyMappingMethods>) {
    let n = &ty.slots.as_number;
    let s = &ty.slots.as_sequence;
    let m = &ty.slots.as_mapping;
    macro_rules! pick {
        ($f:expr, $($slot:ident),+) => {
            if $(n.$slot.load().is_some())||+ { Some($f as _) } else { None }
        };
    }
    let num = PyNumberMethods {
        nb_add: pick!(ab::PyNumber_Add, add, right_add),
        nb_subtract: pick!(ab::PyNumber_Subtract, subtract, right_subtract),
        nb_multiply: pick!(ab::PyNumber_Multiply, multiply, right_multiply),
        nb_remainder: pick!(ab::PyNumber_Remainder, remainder, right_remainder),
        nb_divmod: pick!(ab::PyNumber_Divmod, divmod, right_divmod),
        nb_power: pick!(ab::PyNumber_Power, power, right_power),
        nb_negative: pick!(ab::PyNumber_Negative, negative),
        nb_positive: pick!(ab::PyNumber_Positive, positive),
        nb_absolute: pick!(ab::PyNumber_Absolute, absolute),
        nb_bool: pick!(obj::PyObject_IsTrue, boolean),
        nb_invert: pick!(ab::PyNumber_Invert, invert),
        nb_lshift: pick!(ab::PyNumber_Lshift, lshift, right_lshift),
        nb_rshift: pick!(ab::PyNumber_Rshift, rshift, right_rshift),
        nb_and: pick!(ab::PyNumber_And, and, right_and),
        nb_xor: pick!(ab::PyNumber_Xor, xor, right_xor),
        nb_or: pick!(ab::PyNumber_Or, or, right_or),
        nb_int: pick!(ab::PyNumber_Long, int),
        nb_reserved: std::ptr::null_mut(),
        nb_float: pick!(ab::PyNumber_Float, float),
        nb_inplace_add: pick!(ab::PyNumber_InPlaceAdd, inplace_add),
        nb_inplace_subtract: pick!(ab::PyNumber_InPlaceSubtract, inplace_subtract),
        nb_inplace_multiply: pick!(ab::PyNumber_InPlaceMultiply, inplace_multiply),
        nb_inplace_remainder: pick!(ab::PyNumber_InPlaceRemainder, inplace_remainder),
        // Without an in-place power slot, CPython falls back to nb_power.
        nb_inplace_power: None,
        nb_inplace_lshift: pick!(ab::PyNumber_InPlaceLshift, inplace_lshift),
        nb_inplace_rshift: pick!(ab::PyNumber_InPlaceRshift, inplace_rshift),
        nb_inplace_and: pick!(ab::PyNumber_InPlaceAnd, inplace_and),
        nb_inplace_xor: pick!(ab::PyNumber_InPlaceXor, inplace_xor),
        nb_inplace_or: pick!(ab::PyNumber_InPlaceOr, inplace_or),
        nb_floor_divide: pick!(ab::PyNumber_FloorDivide, floor_divide, right_floor_divide),
        nb_true_divide: pick!(ab::PyNumber_TrueDivide, true_divide, right_true_divide),
        nb_inplace_floor_divide: pick!(ab::PyNumber_InPlaceFloorDivide, inplace_floor_divide),
        nb_inplace_true_divide: pick!(ab::PyNumber_InPlaceTrueDivide, inplace_true_divide),
        nb_index: pick!(ab::PyNumber_Index, index),
        nb_matrix_multiply: pick!(ab::PyNumber_MatrixMultiply, matrix_multiply, right_matrix_multiply),
        nb_inplace_matrix_multiply: pick!(ab::PyNumber_InPlaceMatrixMultiply, inplace_matrix_multiply),
    };
    let seq = PySequenceMethods {
        sq_length: s.length.load().map(|_| obj::PyObject_Size as _),
        sq_concat: s.concat.load().map(|_| ab::PyNumber_Add as _),
        sq_repeat: s.repeat.load().map(|_| ab::PySequence_Repeat as _),
        sq_item: s.item.load().map(|_| ab::PySequence_GetItem as _),
        was_sq_slice: std::ptr::null_mut(),
        // PySequence_SetItem deletes when the value is NULL, as sq_ass_item must.
        sq_ass_item: s.ass_item.load().map(|_| ab::PySequence_SetItem as _),
        was_sq_ass_slice: std::ptr::null_mut(),
        sq_contains: s.contains.load().map(|_| ab::PySequence_Contains as _),
        sq_inplace_concat: s.inplace_concat.load().map(|_| ab::PyNumber_InPlaceAdd as _),
        sq_inplace_repeat: None,
    };
    let map = PyMappingMethods {
        mp_length: m.length.load().map(|_| obj::PyObject_Size as _),
        mp_subscript: m.subscript.load().map(|_| obj::PyObject_GetItem as _),
        mp_ass_subscript: m.ass_subscript.load().map(|_| mp_ass_subscript as _),
    };
    (any_slot(&num).then_some(num), any_slot(&seq).then_some(seq), any_slot(&map).then_some(map))
}

/// Points `tp`'s protocol tables at `ty`'s slots: into the `PyHeapTypeObject`
/// when `heap` (the tables live in the type object, freed with it), else in
/// process-lifetime allocations (static builtin type objects are immortal).
///
/// # Safety
/// `tp` must be a facade type object being filled; `heap` only if it has the
/// `PyHeapTypeObject` layout.
pub(super) unsafe fn fill(tp: *mut PyTypeObject, ty: &Py<PyType>, heap: bool) {
    let (num, seq, map) = tables(ty);
    // SAFETY: per the contract.
    unsafe {
        if heap {
            let ht = tp.cast::<PyHeapTypeObject>();
            if let Some(n) = num {
                (*ht).as_number = n;
                (*tp).tp_as_number = &raw mut (*ht).as_number;
            }
            if let Some(s) = seq {
                (*ht).as_sequence = s;
                (*tp).tp_as_sequence = &raw mut (*ht).as_sequence;
            }
            if let Some(m) = map {
                (*ht).as_mapping = m;
                (*tp).tp_as_mapping = &raw mut (*ht).as_mapping;
            }
        } else {
            (*tp).tp_as_number = num.map_or(std::ptr::null_mut(), |n| Box::into_raw(Box::new(n)));
            (*tp).tp_as_sequence = seq.map_or(std::ptr::null_mut(), |s| Box::into_raw(Box::new(s)));
            (*tp).tp_as_mapping = map.map_or(std::ptr::null_mut(), |m| Box::into_raw(Box::new(m)));
        }
    }
}
