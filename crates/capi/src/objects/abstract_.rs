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

/// `len(o)` for a sequence or (`mapping`) a mapping: TypeError "X is not a
/// sequence" for dicts, "X is not a mapping" for sets (types with only the
/// other protocol's length, as in CPython), else "has no len()".
fn protocol_size(o: *mut PyObject, mapping: bool) -> Py_ssize_t {
    api(if mapping { "PyMapping_Size" } else { "PySequence_Size" }, |vm| {
        if !o.is_null() && bridge::is_native(o) {
            return native_size(vm, o, mapping);
        }
        let obj = rp(vm, o)?;
        let c = obj.class();
        let t = &vm.ctx.types;
        let other_only = if mapping {
            c.fast_issubclass(t.set_type) || c.fast_issubclass(t.frozenset_type)
        } else {
            c.fast_issubclass(t.dict_type) || c.is(t.mappingproxy_type)
        };
        if other_only {
            let what = if mapping { "mapping" } else { "sequence" };
            return Err(crate::runtime::type_error(vm, format!("{} is not a {what}", c.name())));
        }
        Ok(py(vm, || obj.length(vm))? as isize)
    })
}

/// The size of an extension type's instance through the one protocol asked
/// for, as CPython: `sq_length` for a sequence, `mp_length` for a mapping
/// (an extension may define only one, e.g. so that CPython does not adjust
/// negative indices); TypeError if the type has only the other.
fn native_size(vm: &VirtualMachine, o: *mut PyObject, mapping: bool) -> PyResult<Py_ssize_t> {
    // SAFETY: a native object's type is a full C type object; the protocol
    // tables, when present, are the type's own.
    let (sq, mp) = unsafe {
        let t = &*(*o).ob_type;
        (t.tp_as_sequence.as_ref().and_then(|m| m.sq_length), t.tp_as_mapping.as_ref().and_then(|m| m.mp_length))
    };
    let (want, other) = if mapping { (mp, sq) } else { (sq, mp) };
    match want {
        // SAFETY: the type's own length slot, called with its instance.
        Some(f) => Ok(unsafe { f(o) }),
        None => {
            let name = rp(vm, o)?.class().name().to_string();
            Err(crate::runtime::type_error(vm, match other {
                Some(_) => format!("{name} is not a {}", if mapping { "mapping" } else { "sequence" }),
                None => format!("object of type '{name}' has no len()"),
            }))
        }
    }
}

/// `len(o)` of a sequence.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Size(o: *mut PyObject) -> Py_ssize_t {
    protocol_size(o, false)
}

#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Length(o: *mut PyObject) -> Py_ssize_t {
    protocol_size(o, false)
}

/// `len(o)` of a mapping.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Size(o: *mut PyObject) -> Py_ssize_t {
    protocol_size(o, true)
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

/// New reference to `o[i]` (negative `i` counts from the end).
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_GetItem(o: *mut PyObject, i: Py_ssize_t) -> *mut PyObject {
    new_ref("PySequence_GetItem", |vm| {
        let o = rp(vm, o)?;
        not_a_sequence(vm, &o, "__getitem__", "does not support indexing")?;
        let i = seq_index(vm, &o, i)?;
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

// ---- more of the number protocol ---------------------------------------------------

/// New reference to `a **= b`; with a modulus `c` (not None), `a.__ipow__(b)`
/// (CPython's slot drops the modulus) or else `pow(a, b, c)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_InPlacePower(a: *mut PyObject, b: *mut PyObject, c: *mut PyObject) -> *mut PyObject {
    new_ref("PyNumber_InPlacePower", |vm| {
        let (a, b, c) = (rp(vm, a)?, rp(vm, b)?, rp(vm, c)?);
        if vm.is_none(&c) {
            return py(vm, || vm.import("operator", 0)?.get_attr("ipow", vm)?.call((a, b), vm));
        }
        py(vm, || {
            if let Some(ipow) = a.class().get_attr(vm.ctx.intern_str("__ipow__")) {
                let r = ipow.call((a.clone(), b.clone()), vm)?;
                if !r.is(&vm.ctx.not_implemented) {
                    return Ok(r);
                }
            }
            vm.builtins.get_attr("pow", vm)?.call((a, b, c), vm)
        })
    })
}

/// New reference to `bin`/`oct`/`str`/`hex` of `operator.index(n)` for base 2/8/10/16.
#[unsafe(no_mangle)]
pub extern "C" fn PyNumber_ToBase(n: *mut PyObject, base: c_int) -> *mut PyObject {
    new_ref("PyNumber_ToBase", |vm| {
        let f = match base {
            2 => "bin",
            8 => "oct",
            10 => "str",
            16 => "hex",
            _ => return Err(crate::runtime::system_error(vm, "PyNumber_ToBase: base must be 2, 8, 10 or 16")),
        };
        let n = rp(vm, n)?;
        py(vm, || {
            let i = vm.import("operator", 0)?.get_attr("index", vm)?.call((n,), vm)?;
            vm.builtins.get_attr(f, vm)?.call((i,), vm)
        })
    })
}

// ---- more of the sequence protocol ---------------------------------------------------

/// Whether `o` supports the sequence protocol (see `PySequence_Check`).
fn is_sequence(vm: &VirtualMachine, o: &PyObjectRef) -> bool {
    !o.class().fast_issubclass(vm.ctx.types.dict_type) && o.class().has_attr(vm.ctx.intern_str("__getitem__"))
}

fn seq_error(vm: &VirtualMachine, o: &PyObjectRef, what: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    crate::runtime::type_error(vm, format!("'{}' object {what}", o.class().name()))
}

/// TypeError unless `o` is a sequence with method `meth`: "X is not a
/// sequence" for mappings that have it, "'X' object <what>" otherwise.
fn not_a_sequence(vm: &VirtualMachine, o: &PyObjectRef, meth: &str, what: &str) -> PyResult<()> {
    let has = o.class().has_attr(vm.ctx.intern_str(meth));
    if is_sequence(vm, o) && has {
        return Ok(());
    }
    if has {
        return Err(crate::runtime::type_error(vm, format!("{} is not a sequence", o.class().name())));
    }
    Err(seq_error(vm, o, what))
}

/// `i + len(o)` for a negative `i` when `o` has a length, as `sq_item` does.
fn seq_index(vm: &VirtualMachine, o: &PyObjectRef, i: Py_ssize_t) -> PyResult<Py_ssize_t> {
    if i < 0 && o.class().has_attr(vm.ctx.intern_str("__len__")) {
        return Ok(i + py(vm, || o.length(vm))? as isize);
    }
    Ok(i)
}

/// Runs `operator.<op>(args...)` with the GIL released.
fn operator(vm: &VirtualMachine, op: &str, args: impl rustpython_vm::function::IntoFuncArgs) -> PyResult<PyObjectRef> {
    py(vm, || vm.import("operator", 0)?.get_attr(&*vm.ctx.new_str(op), vm)?.call(args, vm))
}

/// `operator.<op>(a, b)` for two sequences (TypeError "can't be concatenated" otherwise).
fn concat(vm: &VirtualMachine, a: *mut PyObject, b: *mut PyObject, op: &str) -> PyResult<PyObjectRef> {
    let (a, b) = (rp(vm, a)?, rp(vm, b)?);
    if !is_sequence(vm, &a) || !is_sequence(vm, &b) {
        return Err(seq_error(vm, &a, "can't be concatenated"));
    }
    operator(vm, op, (a, b))
}

/// New reference to `a + b` for sequences.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Concat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    new_ref("PySequence_Concat", |vm| concat(vm, a, b, "add"))
}

/// New reference to `a += b` for sequences.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_InPlaceConcat(a: *mut PyObject, b: *mut PyObject) -> *mut PyObject {
    new_ref("PySequence_InPlaceConcat", |vm| concat(vm, a, b, "iadd"))
}

fn repeat(vm: &VirtualMachine, o: *mut PyObject, n: Py_ssize_t, op: &str) -> PyResult<PyObjectRef> {
    let o = rp(vm, o)?;
    if !is_sequence(vm, &o) {
        return Err(seq_error(vm, &o, "can't be repeated"));
    }
    operator(vm, op, (o, n))
}

/// New reference to `o * count`.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Repeat(o: *mut PyObject, count: Py_ssize_t) -> *mut PyObject {
    new_ref("PySequence_Repeat", |vm| repeat(vm, o, count, "mul"))
}

/// New reference to `o *= count`.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_InPlaceRepeat(o: *mut PyObject, count: Py_ssize_t) -> *mut PyObject {
    new_ref("PySequence_InPlaceRepeat", |vm| repeat(vm, o, count, "imul"))
}

/// `value in o`: 1, 0, -1 (an alias of `PySequence_Contains`).
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_In(o: *mut PyObject, value: *mut PyObject) -> c_int {
    PySequence_Contains(o, value)
}

/// Number of items of `o` equal to `value`, or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Count(o: *mut PyObject, value: *mut PyObject) -> Py_ssize_t {
    api("PySequence_Count", |vm| search(vm, o, value, false))
}

/// Index of the first item of `o` equal to `value`; -1 with ValueError if none.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Index(o: *mut PyObject, value: *mut PyObject) -> Py_ssize_t {
    api("PySequence_Index", |vm| search(vm, o, value, true))
}

/// Iterates `o` comparing with `value`: the count, or the first index (`first`).
fn search(vm: &VirtualMachine, o: *mut PyObject, value: *mut PyObject, first: bool) -> PyResult<Py_ssize_t> {
    let (o, v) = (rp(vm, o)?, rp(vm, value)?);
    py(vm, || {
        let it = o.get_iter(vm).map_err(|e| {
            if e.fast_isinstance(vm.ctx.exceptions.type_error) {
                crate::runtime::type_error(vm, format!("argument of type '{}' is not iterable", o.class().name()))
            } else {
                e
            }
        })?;
        let mut n: Py_ssize_t = 0;
        let mut i: Py_ssize_t = 0;
        while let PyIterReturn::Return(x) = it.next(vm)? {
            if x.is(&v) || vm.bool_eq(&x, &v)? {
                if first {
                    return Ok(i);
                }
                n += 1;
            }
            i += 1;
        }
        if first {
            return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, "sequence.index(x): x not in sequence"));
        }
        Ok(n)
    })
}

/// `o[i] = v` (negative `i` counts from the end): 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_SetItem(o: *mut PyObject, i: Py_ssize_t, v: *mut PyObject) -> c_int {
    if v.is_null() {
        return PySequence_DelItem(o, i);
    }
    api("PySequence_SetItem", |vm| {
        let obj = rp(vm, o)?;
        not_a_sequence(vm, &obj, "__setitem__", "does not support item assignment")?;
        let (i, v) = (seq_index(vm, &obj, i)?, rp(vm, v)?);
        py(vm, || obj.set_item(vm.ctx.new_int(i).as_object(), v, vm))?;
        bridge::refresh_now(vm, o, &obj);
        Ok(0)
    })
}

/// `del o[i]` (negative `i` counts from the end): 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_DelItem(o: *mut PyObject, i: Py_ssize_t) -> c_int {
    api("PySequence_DelItem", |vm| {
        let obj = rp(vm, o)?;
        not_a_sequence(vm, &obj, "__delitem__", "doesn't support item deletion")?;
        let i = seq_index(vm, &obj, i)?;
        py(vm, || obj.del_item(vm.ctx.new_int(i).as_object(), vm))?;
        bridge::refresh_now(vm, o, &obj);
        Ok(0)
    })
}

fn set_slice(vm: &VirtualMachine, o: *mut PyObject, i1: Py_ssize_t, i2: Py_ssize_t, v: *mut PyObject) -> PyResult<c_int> {
    let obj = rp(vm, o)?;
    let (meth, what) = if v.is_null() { ("__delitem__", "doesn't support slice deletion") } else { ("__setitem__", "doesn't support slice assignment") };
    if !obj.class().has_attr(vm.ctx.intern_str(meth)) {
        return Err(seq_error(vm, &obj, what));
    }
    let slice = vm.ctx.types.slice_type.as_object().call((i1, i2), vm)?;
    if v.is_null() {
        py(vm, || obj.del_item(&*slice, vm))?;
    } else {
        let v = rp(vm, v)?;
        py(vm, || obj.set_item(&*slice, v, vm))?;
    }
    bridge::refresh_now(vm, o, &obj);
    Ok(0)
}

/// `o[i1:i2] = v`: 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_SetSlice(o: *mut PyObject, i1: Py_ssize_t, i2: Py_ssize_t, v: *mut PyObject) -> c_int {
    api("PySequence_SetSlice", |vm| set_slice(vm, o, i1, i2, v))
}

/// `del o[i1:i2]`: 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_DelSlice(o: *mut PyObject, i1: Py_ssize_t, i2: Py_ssize_t) -> c_int {
    api("PySequence_DelSlice", |vm| set_slice(vm, o, i1, i2, std::ptr::null_mut()))
}

/// New reference to `o` itself if it is an exact list or tuple, else to
/// `list(o)`; a TypeError while iterating becomes TypeError(`m`).
#[unsafe(no_mangle)]
pub extern "C" fn PySequence_Fast(o: *mut PyObject, m: *const std::ffi::c_char) -> *mut PyObject {
    new_ref("PySequence_Fast", |vm| {
        let obj = rp(vm, o)?;
        let c = obj.class();
        if c.is(vm.ctx.types.list_type) || c.is(vm.ctx.types.tuple_type) {
            return Ok(obj);
        }
        let it = py(vm, || obj.get_iter(vm)).map_err(|e| {
            if e.fast_isinstance(vm.ctx.exceptions.type_error) {
                match super::cstr(vm, m) {
                    Ok(m) => crate::runtime::type_error(vm, m),
                    Err(e) => e,
                }
            } else {
                e
            }
        })?;
        py(vm, || vm.ctx.types.list_type.as_object().call((it,), vm))
    })
}

// ---- more of the mapping protocol -----------------------------------------------------

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_Length(o: *mut PyObject) -> Py_ssize_t {
    protocol_size(o, true)
}

fn str_key(vm: &VirtualMachine, key: *const std::ffi::c_char) -> PyResult<PyObjectRef> {
    if key.is_null() {
        return Err(crate::runtime::system_error(vm, "null argument to internal routine"));
    }
    Ok(vm.ctx.new_str(super::cstr(vm, key)?).into())
}

/// New reference to `o[key]` (UTF-8 key).
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_GetItemString(o: *mut PyObject, key: *const std::ffi::c_char) -> *mut PyObject {
    new_ref("PyMapping_GetItemString", |vm| {
        let k = str_key(vm, key)?;
        let o = rp(vm, o)?;
        py(vm, || o.get_item(&*k, vm))
    })
}

/// `o[key] = v` (UTF-8 key): 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_SetItemString(o: *mut PyObject, key: *const std::ffi::c_char, v: *mut PyObject) -> c_int {
    api("PyMapping_SetItemString", |vm| {
        let k = str_key(vm, key)?;
        let obj = rp(vm, o)?;
        let v = rp(vm, v)?;
        py(vm, || obj.set_item(&*k, v, vm))?;
        bridge::refresh_now(vm, o, &obj);
        Ok(0)
    })
}

/// `o[key]`, or None if it raises KeyError.
fn optional_item(vm: &VirtualMachine, o: *mut PyObject, key: PyResult<PyObjectRef>) -> PyResult<Option<PyObjectRef>> {
    let o = rp(vm, o)?;
    let k = key?;
    match py(vm, || o.get_item(&*k, vm)) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.fast_isinstance(vm.ctx.exceptions.key_error) => Ok(None),
        Err(e) => Err(e),
    }
}

fn optional_out(vm: &VirtualMachine, r: PyResult<Option<PyObjectRef>>, result: *mut *mut PyObject) -> PyResult<c_int> {
    // SAFETY: a caller-provided out pointer.
    unsafe { *result = std::ptr::null_mut() };
    Ok(match r? {
        Some(v) => {
            // SAFETY: as above.
            unsafe { *result = bridge::to_c(vm, &v) };
            1
        }
        None => 0,
    })
}

/// `*result` = new reference to `o[key]`: 1; 0 (NULL, no error) on KeyError; -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_GetOptionalItem(o: *mut PyObject, key: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    api("PyMapping_GetOptionalItem", |vm| optional_out(vm, optional_item(vm, o, rp(vm, key)), result))
}

/// `PyMapping_GetOptionalItem` with a UTF-8 key.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_GetOptionalItemString(o: *mut PyObject, key: *const std::ffi::c_char, result: *mut *mut PyObject) -> c_int {
    api("PyMapping_GetOptionalItemString", |vm| optional_out(vm, optional_item(vm, o, str_key(vm, key)), result))
}

/// 1 if `o[key]` succeeds, 0 on KeyError, -1 on another error.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_HasKeyWithError(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PyMapping_HasKeyWithError", |vm| Ok(cbool(optional_item(vm, o, rp(vm, key))?.is_some())))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_HasKeyStringWithError(o: *mut PyObject, key: *const std::ffi::c_char) -> c_int {
    api("PyMapping_HasKeyStringWithError", |vm| Ok(cbool(optional_item(vm, o, str_key(vm, key))?.is_some())))
}

/// 1 or 0; other errors are reported as unraisable, as CPython 3.13 does.
#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_HasKey(o: *mut PyObject, key: *mut PyObject) -> c_int {
    super::object::or_unraisable(
        PyMapping_HasKeyWithError(o, key),
        "Exception ignored in PyMapping_HasKey(); consider using PyMapping_HasKeyWithError(), PyMapping_GetOptionalItem() or PyObject_GetItem()",
    )
}

#[unsafe(no_mangle)]
pub extern "C" fn PyMapping_HasKeyString(o: *mut PyObject, key: *const std::ffi::c_char) -> c_int {
    super::object::or_unraisable(
        PyMapping_HasKeyStringWithError(o, key),
        "Exception ignored in PyMapping_HasKeyString(); consider using PyMapping_HasKeyStringWithError(), PyMapping_GetOptionalItemString() or PyMapping_GetItemString()",
    )
}
