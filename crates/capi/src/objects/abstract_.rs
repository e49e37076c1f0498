//! `abstract.h`: the number, sequence, mapping and iterator protocols.

use rustpython_vm::AsObject as _;
use rustpython_vm::protocol::PyIterReturn;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::ffi::c_int;

use super::{cbool, new_ref, py, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr};

macro_rules! binary_ops {
    ($($name:ident => $op:literal),* $(,)?) => {$(
        /// New reference to the result of the binary operation.
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
            new_ref(stringify!($name), |vm| binop(vm, a, b, $op))
        }
    )*};
}

fn binop(vm: &VirtualMachine, a: *mut PyObject, b: *mut PyObject, op: &str) -> PyResult<PyObjectRef> {
    let (a, b) = (rp(vm, a)?, rp(vm, b)?);
    py(vm, || vm.import("operator", 0)?.get_attr(&*vm.ctx.new_str(op), vm)?.call((a, b), vm))
}

binary_ops! {
    PyNumber_Add => "add",
    PyNumber_Subtract => "sub",
    PyNumber_Multiply => "mul",
    PyNumber_MatrixMultiply => "matmul",
    PyNumber_FloorDivide => "floordiv",
    PyNumber_TrueDivide => "truediv",
    PyNumber_Remainder => "mod",
    PyNumber_Lshift => "lshift",
    PyNumber_Rshift => "rshift",
    PyNumber_And => "and_",
    PyNumber_Or => "or_",
    PyNumber_Xor => "xor",
    PyNumber_InPlaceAdd => "iadd",
    PyNumber_InPlaceSubtract => "isub",
    PyNumber_InPlaceMultiply => "imul",
    PyNumber_InPlaceMatrixMultiply => "imatmul",
    PyNumber_InPlaceFloorDivide => "ifloordiv",
    PyNumber_InPlaceTrueDivide => "itruediv",
    PyNumber_InPlaceRemainder => "imod",
    PyNumber_InPlaceLshift => "ilshift",
    PyNumber_InPlaceRshift => "irshift",
    PyNumber_InPlaceAnd => "iand",
    PyNumber_InPlaceOr => "ior",
    PyNumber_InPlaceXor => "ixor",
}

macro_rules! unary_ops {
    ($($name:ident => $op:literal),* $(,)?) => {$(
        /// New reference to the result of the unary operation.
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(a: *mut PyObject) -> *mut PyObject {
            new_ref(stringify!($name), |vm| {
                let a = rp(vm, a)?;
                py(vm, || vm.import("operator", 0)?.get_attr($op, vm)?.call((a,), vm))
            })
        }
    )*};
}

unary_ops! {
    PyNumber_Negative => "neg",
    PyNumber_Positive => "pos",
    PyNumber_Absolute => "abs",
    PyNumber_Invert => "invert",
    PyNumber_Index => "index",
}

/// New reference to `divmod(a, b)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_Divmod(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    new_ref("PyNumber_Divmod", |vm| {
        let (a, b) = (rp(vm, a)?, rp(vm, b)?);
        py(vm, || vm.builtins.get_attr("divmod", vm)?.call((a, b), vm))
    })
}

/// New reference to `pow(a, b, c)` (`c` may be `None`).
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_Power(a: *mut PyObject, b: *mut PyObject, c: *mut PyObject) -> *mut PyObject {
    new_ref("PyNumber_Power", |vm| {
        let (a, b, c) = (rp(vm, a)?, rp(vm, b)?, rp(vm, c)?);
        py(vm, || vm.builtins.get_attr("pow", vm)?.call((a, b, c), vm))
    })
}

/// New reference to `int(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_Long(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyNumber_Long", |vm| {
        let o = rp(vm, o)?;
        py(vm, || vm.ctx.types.int_type.as_object().call((o,), vm))
    })
}

/// New reference to `float(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_Float(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyNumber_Float", |vm| {
        let o = rp(vm, o)?;
        py(vm, || vm.ctx.types.float_type.as_object().call((o,), vm))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_Check(o: *mut PyObject) -> c_int {
    api_noerr("PyNumber_Check", 0, |vm| {
        let Ok(o) = rp(vm, o) else { return 0 };
        cbool(["__index__", "__int__", "__float__", "__complex__"].iter().any(|m| o.class().has_attr(vm.ctx.intern_str(*m))))
    })
}

/// `PyIndex_Check`.
#[unsafe(no_mangle)]
pub extern "C" fn PyIndex_Check(o: *mut PyObject) -> c_int {
    api_noerr("PyIndex_Check", 0, |vm| {
        rp(vm, o).map(|o| cbool(o.class().has_attr(vm.ctx.intern_str("__index__")))).unwrap_or(0)
    })
}

/// `operator.index(o)` as a C `Py_ssize_t`; overflow raises `exc` (or clamps when NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_AsSsize_t(o: *mut PyObject, exc: *mut PyObject) -> Py_ssize_t {
    api("PyNumber_AsSsize_t", |vm| {
        let o = rp(vm, o)?;
        let i = py(vm, || vm.import("operator", 0)?.get_attr("index", vm)?.call((o,), vm))?;
        let big = i.downcast_ref::<rustpython_vm::builtins::PyInt>().map(|i| i.as_bigint().clone()).unwrap_or_default();
        match isize::try_from(&big) {
            Ok(v) => Ok(v),
            Err(_) if exc.is_null() => Ok(if big.sign() == num_sign_minus() { isize::MIN } else { isize::MAX }),
            Err(_) => {
                let ty = rp(vm, exc)?.downcast::<rustpython_vm::builtins::PyType>().map_err(|_| crate::runtime::type_error(vm, "exception must be a type"))?;
                Err(vm.new_exception_msg(ty, format!("cannot fit '{}' into an index-sized integer", i.class().name()).into()))
            }
        }
    })
}

fn num_sign_minus() -> malachite_bigint::Sign {
    malachite_bigint::Sign::Minus
}

// ---- sequences and mappings -------------------------------------------------------

/// 1 if `o` supports the sequence protocol (`__getitem__`, not a dict).
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Check(o: *mut PyObject) -> c_int {
    api_noerr("PySequence_Check", 0, |vm| {
        let Ok(o) = rp(vm, o) else { return 0 };
        if o.class().fast_issubclass(vm.ctx.types.dict_type) {
            return 0;
        }
        cbool(o.class().has_attr(vm.ctx.intern_str("__getitem__")))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Check(o: *mut PyObject) -> c_int {
    api_noerr("PyMapping_Check", 0, |vm| {
        rp(vm, o).map(|o| cbool(o.class().has_attr(vm.ctx.intern_str("__getitem__")))).unwrap_or(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Size(o: *mut PyObject) -> Py_ssize_t {
    super::object::PyObject_Size(o)
}

#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Length(o: *mut PyObject) -> Py_ssize_t {
    super::object::PyObject_Size(o)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Size(o: *mut PyObject) -> Py_ssize_t {
    super::object::PyObject_Size(o)
}

/// `item in o`: 1, 0, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Contains(o: *mut PyObject, item: *mut PyObject) -> c_int {
    api("PySequence_Contains", |vm| {
        let (obj, needle) = (rp(vm, o)?, rp(vm, item)?);
        py(vm, || contains(vm, &obj, &needle))
    })
}

/// `needle in obj`, by `__contains__` or else by iteration.
fn contains(vm: &VirtualMachine, obj: &PyObjectRef, needle: &PyObjectRef) -> PyResult<c_int> {
    {
        let r = vm.call_method(obj, "__contains__", (needle.clone(),));
        match r {
            Ok(v) => Ok(cbool(v.is_true(vm)?)),
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.attribute_error) => {
                let it = obj.get_iter(vm)?;
                loop {
                    match it.next(vm)? {
                        PyIterReturn::Return(x) => {
                            if vm.bool_eq(&x, needle)? {
                                return Ok(1);
                            }
                        }
                        PyIterReturn::StopIteration(_) => return Ok(0),
                    }
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// New reference to `o[i]`.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_GetItem(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    new_ref("PySequence_GetItem", |vm| {
        let o = rp(vm, o)?;
        py(vm, || o.get_item(vm.ctx.new_int(i).as_object(), vm))
    })
}

/// New reference to `o[a:b]`.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_GetSlice(o: *mut PyObject, a: Py_ssize_t, b: Py_ssize_t) -> *mut PyObject {
    new_ref("PySequence_GetSlice", |vm| {
        let slice = vm.ctx.types.slice_type.as_object().call((a, b), vm)?;
        let o = rp(vm, o)?;
        py(vm, || o.get_item(&*slice, vm))
    })
}

/// New reference to `tuple(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Tuple(o: *mut PyObject) -> *mut PyObject {
    new_ref("PySequence_Tuple", |vm| {
        let o = rp(vm, o)?;
        py(vm, || vm.ctx.types.tuple_type.as_object().call((o,), vm))
    })
}

/// New reference to `list(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_List(o: *mut PyObject) -> *mut PyObject {
    new_ref("PySequence_List", |vm| {
        let o = rp(vm, o)?;
        py(vm, || vm.ctx.types.list_type.as_object().call((o,), vm))
    })
}

fn mapping_view(vm: &VirtualMachine, o: *mut PyObject, meth: &str) -> PyResult<PyObjectRef> {
    let o = rp(vm, o)?;
    py(vm, || vm.ctx.types.list_type.as_object().call((vm.call_method(&*o, meth, ())?,), vm))
}

/// New reference to `list(o.items())`.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Items(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyMapping_Items", |vm| mapping_view(vm, o, "items"))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Keys(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyMapping_Keys", |vm| mapping_view(vm, o, "keys"))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Values(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyMapping_Values", |vm| mapping_view(vm, o, "values"))
}

// ---- iterators -----------------------------------------------------------------------

fn next_item(vm: &VirtualMachine, it: *mut PyObject) -> PyResult<Option<PyObjectRef>> {
    let it = rp(vm, it)?;
    match py(vm, || rustpython_vm::protocol::PyIter::new(it).next(vm))? {
        PyIterReturn::Return(v) => Ok(Some(v)),
        PyIterReturn::StopIteration(_) => Ok(None),
    }
}

/// New reference to the next item, or NULL at the end (no error set) or on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyIter_Next(it: *mut PyObject) -> *mut PyObject {
    api("PyIter_Next", |vm| Ok(next_item(vm, it)?.map_or(std::ptr::null_mut(), |v| bridge::to_c(vm, &v))))
}

/// `PyIter_NextItem`: 1 and a new reference in `*item`, 0 at the end, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyIter_NextItem(it: *mut PyObject, item: *mut *mut PyObject) -> c_int {
    api("PyIter_NextItem", |vm| {
        // SAFETY: item is a valid out pointer.
        unsafe { *item = std::ptr::null_mut() };
        match next_item(vm, it)? {
            Some(v) => {
                // SAFETY: as above.
                unsafe { *item = bridge::to_c(vm, &v) };
                Ok(1)
            }
            None => Ok(0),
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyIter_Check(o: *mut PyObject) -> c_int {
    api_noerr("PyIter_Check", 0, |vm| {
        rp(vm, o).map(|o| cbool(o.class().slots.iternext.load().is_some())).unwrap_or(0)
    })
}

/// `tp_iternext` of mirror types: NULL without an error at exhaustion.
pub unsafe extern "C" fn slot_iternext(it: *mut PyObject) -> *mut PyObject {
    PyIter_Next(it)
}
