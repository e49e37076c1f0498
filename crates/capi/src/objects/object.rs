//! `object.h` / `abstract.h` object protocol, reference counting and calls.

use rustpython_vm::builtins::{PyStr, PyTuple};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::types::PyComparisonOp;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_uint, c_void};

use super::{py, cbool, cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, system_error, type_error};

// ---- reference counting ---------------------------------------------------------

/// Calls the type's `tp_dealloc` for an object whose refcount reached zero.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Py_Dealloc(op: *mut PyObject) {
    // SAFETY: forwarded from C's contract.
    unsafe { bridge::dealloc_object(op) }
}

/// `Py_IncRef`: a function form of `Py_INCREF` (NULL allowed).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_IncRef(o: *mut PyObject) {
    if !o.is_null() {
        // SAFETY: non-null object from C.
        unsafe { bridge::incref(o) }
    }
}

/// `Py_DecRef`: a function form of `Py_XDECREF`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_DecRef(o: *mut PyObject) {
    // SAFETY: C owns the reference it releases.
    unsafe { bridge::xdecref(o) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Py_IncRef(o: *mut PyObject) {
    // SAFETY: forwarded.
    unsafe { Py_IncRef(o) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Py_DecRef(o: *mut PyObject) {
    // SAFETY: forwarded.
    unsafe { Py_DecRef(o) }
}

/// `_Py_NewReference`: makes `o` a new object with one reference (greenlet
/// calls it on memory it recycles; there are no reference-tracing hooks).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Py_NewReference(o: *mut PyObject) {
    // SAFETY: C passes an object header it owns.
    unsafe { (*o).ob_refcnt = 1 };
}

/// `_Py_NewReferenceNoTotal`: as `_Py_NewReference` (no reference totals are kept).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Py_NewReferenceNoTotal(o: *mut PyObject) {
    // SAFETY: forwarded.
    unsafe { _Py_NewReference(o) }
}

/// `Py_NewRef`: increments and returns `o` (new reference).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_NewRef(o: *mut PyObject) -> *mut PyObject {
    // SAFETY: a valid object from C.
    unsafe { bridge::incref(o) };
    o
}

/// `Py_XNewRef`: `Py_NewRef` that accepts NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_XNewRef(o: *mut PyObject) -> *mut PyObject {
    // SAFETY: forwarded.
    unsafe { Py_IncRef(o) };
    o
}

/// `Py_TYPE` as a function (abi3 >= 3.14). Borrowed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_TYPE(o: *mut PyObject) -> *mut PyTypeObject {
    // SAFETY: valid object.
    unsafe { (*o).ob_type }
}

/// `Py_REFCNT` as a function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_REFCNT(o: *mut PyObject) -> Py_ssize_t {
    // SAFETY: valid object.
    unsafe { (*o).ob_refcnt }
}

/// `Py_Is`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_Is(a: *mut PyObject, b: *mut PyObject) -> c_int {
    cbool(a == b)
}


// ---- the object protocol --------------------------------------------------------

/// New reference to `repr(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Repr(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Repr", |vm| { let o = rp(vm, o)?; Ok(py(vm, || o.repr(vm))?.into()) })
}

/// New reference to `str(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Str(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Str", |vm| { let o = rp(vm, o)?; Ok(py(vm, || o.str(vm))?.into()) })
}

/// New reference to `ascii(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_ASCII(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_ASCII", |vm| Ok(rp(vm, o)?.ascii(vm)?.into()))
}

/// New reference to `bytes(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Bytes(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Bytes", |vm| rp(vm, o)?.bytes(vm))
}

fn attr_name(vm: &VirtualMachine, name: *mut PyObject) -> PyResult<rustpython_vm::PyRef<PyStr>> {
    rp(vm, name)?.downcast::<PyStr>().map_err(|o| {
        type_error(vm, format!("attribute name must be string, not '{}'", o.class().name()))
    })
}

/// New reference to `o.name`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetAttr(o: *mut PyObject, name: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_GetAttr", |vm| {
        let (o, n) = (rp(vm, o)?, attr_name(vm, name)?);
        py(vm, || o.get_attr(&n, vm))
    })
}

/// New reference to `o.name` (name in UTF-8).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetAttrString(o: *mut PyObject, name: *const c_char) -> *mut PyObject {
    new_ref("PyObject_GetAttrString", |vm| {
        let n = vm.ctx.new_str(cstr(vm, name)?);
        let o = rp(vm, o)?;
        py(vm, || o.get_attr(&n, vm))
    })
}

/// `o.name` into `*result` (new reference): 1 found, 0 missing (no error), -1 error.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetOptionalAttr(o: *mut PyObject, name: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    api("PyObject_GetOptionalAttr", |vm| {
        // SAFETY: result is a valid out pointer.
        unsafe { *result = std::ptr::null_mut() };
        let (o, n) = (rp(vm, o)?, attr_name(vm, name)?);
        match py(vm, || o.get_attr(&n, vm)) {
            Ok(v) => {
                // SAFETY: as above.
                unsafe { *result = bridge::to_c(vm, &v) };
                Ok(1)
            }
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.attribute_error) => Ok(0),
            Err(e) => Err(e),
        }
    })
}

/// `o.name = v`, or `del o.name` when `v` is NULL.
fn set_or_del_attr(vm: &VirtualMachine, o: *mut PyObject, n: &rustpython_vm::PyRef<PyStr>, v: *mut PyObject) -> PyResult<c_int> {
    let obj = rp(vm, o)?;
    if v.is_null() {
        py(vm, || obj.del_attr(n, vm))?;
    } else {
        let v = rp(vm, v)?;
        py(vm, || obj.set_attr(n, v, vm))?;
    }
    Ok(0)
}

/// `o.name = v`, or `del o.name` when `v` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_SetAttr(o: *mut PyObject, name: *mut PyObject, v: *mut PyObject) -> c_int {
    api("PyObject_SetAttr", |vm| set_or_del_attr(vm, o, &attr_name(vm, name)?, v))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_SetAttrString(o: *mut PyObject, name: *const c_char, v: *mut PyObject) -> c_int {
    api("PyObject_SetAttrString", |vm| set_or_del_attr(vm, o, &vm.ctx.new_str(cstr(vm, name)?), v))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_DelAttr(o: *mut PyObject, name: *mut PyObject) -> c_int {
    PyObject_SetAttr(o, name, std::ptr::null_mut())
}

/// 1 if `o` has attribute `name`, else 0; errors other than AttributeError
/// are reported as unraisable, as CPython does.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_HasAttr(o: *mut PyObject, name: *mut PyObject) -> c_int {
    let r = PyObject_HasAttrWithError(o, name);
    if r < 0 {
        super::pyerrors::PyErr_Clear();
        return 0;
    }
    r
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_HasAttrWithError(o: *mut PyObject, name: *mut PyObject) -> c_int {
    api("PyObject_HasAttrWithError", |vm| Ok(cbool(rp(vm, o)?.has_attr(&attr_name(vm, name)?, vm)?)))
}

/// `PyObject_GenericGetAttr`: attribute lookup without `__getattr__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GenericGetAttr(o: *mut PyObject, name: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_GenericGetAttr", |vm| rp(vm, o)?.generic_getattr(&*attr_name(vm, name)?, vm))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GenericSetAttr(o: *mut PyObject, name: *mut PyObject, v: *mut PyObject) -> c_int {
    PyObject_SetAttr(o, name, v)
}

/// New reference to `o.__dict__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GenericGetDict(o: *mut PyObject, _ctx: *mut c_void) -> *mut PyObject {
    new_ref("PyObject_GenericGetDict", |vm| {
        let obj = rp(vm, o)?;
        obj.dict()
            .map(Into::into)
            .ok_or_else(|| vm.new_attribute_error("This object has no __dict__"))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GenericSetDict(o: *mut PyObject, v: *mut PyObject, _ctx: *mut c_void) -> c_int {
    api("PyObject_GenericSetDict", |vm| {
        if v.is_null() {
            return Err(type_error(vm, "cannot delete __dict__"));
        }
        let d = rp(vm, v)?
            .downcast::<rustpython_vm::builtins::PyDict>()
            .map_err(|o| type_error(vm, format!("__dict__ must be set to a dictionary, not a '{}'", o.class().name())))?;
        rp(vm, o)?.set_dict(Some(d)).map_err(|_| vm.new_attribute_error("This object has no __dict__"))?;
        Ok(0)
    })
}

/// New reference to `o[key]`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetItem(o: *mut PyObject, key: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_GetItem", |vm| {
        let (o, k) = (rp(vm, o)?, rp(vm, key)?);
        py(vm, || o.get_item(&*k, vm))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_SetItem(o: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int {
    api("PyObject_SetItem", |vm| {
        let obj = rp(vm, o)?;
        let (k, v) = (rp(vm, key)?, rp(vm, v)?);
        py(vm, || obj.set_item(&*k, v, vm))?;
        bridge::refresh_now(vm, o, &obj);
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_DelItem(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PyObject_DelItem", |vm| {
        let obj = rp(vm, o)?;
        let k = rp(vm, key)?;
        py(vm, || obj.del_item(&*k, vm))?;
        bridge::refresh_now(vm, o, &obj);
        Ok(0)
    })
}

/// `len(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyObject_Size", |vm| { let o = rp(vm, o)?; Ok(py(vm, || o.length(vm))? as isize) })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Length(o: *mut PyObject) -> Py_ssize_t {
    PyObject_Size(o)
}

/// `operator.length_hint(o, default)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_LengthHint(o: *mut PyObject, default: Py_ssize_t) -> Py_ssize_t {
    api("PyObject_LengthHint", |vm| { let o = rp(vm, o)?; Ok(py(vm, || o.length_hint(default.max(0) as usize, vm))? as isize) })
}

/// `hash(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Hash(o: *mut PyObject) -> Py_hash_t {
    api("PyObject_Hash", |vm| { let o = rp(vm, o)?; Ok(py(vm, || o.hash(vm))? as isize) })
}

/// `PyObject_HashNotImplemented`: raises TypeError (unhashable type).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_HashNotImplemented(o: *mut PyObject) -> Py_hash_t {
    api("PyObject_HashNotImplemented", |vm| {
        Err(type_error(vm, format!("unhashable type: '{}'", rp(vm, o)?.class().name())))
    })
}

/// `bool(o)`: 1, 0, or -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_IsTrue(o: *mut PyObject) -> c_int {
    api("PyObject_IsTrue", |vm| { let o = rp(vm, o)?; Ok(cbool(py(vm, || o.is_true(vm))?)) })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Not(o: *mut PyObject) -> c_int {
    api("PyObject_Not", |vm| { let o = rp(vm, o)?; Ok(cbool(!py(vm, || o.is_true(vm))?)) })
}

fn cmp_op(vm: &VirtualMachine, op: c_int) -> PyResult<PyComparisonOp> {
    Ok(match op {
        Py_LT => PyComparisonOp::Lt,
        Py_LE => PyComparisonOp::Le,
        Py_EQ => PyComparisonOp::Eq,
        Py_NE => PyComparisonOp::Ne,
        Py_GT => PyComparisonOp::Gt,
        Py_GE => PyComparisonOp::Ge,
        _ => return Err(system_error(vm, format!("invalid rich comparison operator {op}"))),
    })
}

/// New reference to the result of the rich comparison `a op b`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_RichCompare(a: *mut PyObject, b: *mut PyObject, op: c_int) -> *mut PyObject {
    new_ref("PyObject_RichCompare", |vm| {
        let op = cmp_op(vm, op)?;
        let (a, b) = (rp(vm, a)?, rp(vm, b)?);
        py(vm, || a.rich_compare(b, op, vm))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_RichCompareBool(a: *mut PyObject, b: *mut PyObject, op: c_int) -> c_int {
    // Identity implies equality, as in CPython.
    if a == b && !a.is_null() && (op == Py_EQ || op == Py_NE) {
        return cbool(op == Py_EQ);
    }
    api("PyObject_RichCompareBool", |vm| {
        let op = cmp_op(vm, op)?;
        let (a, b) = (rp(vm, a)?, rp(vm, b)?);
        Ok(cbool(py(vm, || a.rich_compare_bool(&*b, op, vm))?))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_IsInstance(o: *mut PyObject, cls: *mut PyObject) -> c_int {
    api("PyObject_IsInstance", |vm| {
        let (o, c) = (rp(vm, o)?, rp(vm, cls)?);
        Ok(cbool(py(vm, || o.is_instance(&*c, vm))?))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_IsSubclass(o: *mut PyObject, cls: *mut PyObject) -> c_int {
    api("PyObject_IsSubclass", |vm| {
        let (o, c) = (rp(vm, o)?, rp(vm, cls)?);
        Ok(cbool(py(vm, || o.is_subclass(&*c, vm))?))
    })
}

/// New reference to `type(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Type(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Type", |vm| Ok(rp(vm, o)?.class().to_owned().into()))
}

/// New reference to `iter(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetIter(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_GetIter", |vm| { let o = rp(vm, o)?; Ok(py(vm, || o.get_iter(vm))?.into()) })
}

/// New reference to `dir(o)` (or of the current scope when `o` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Dir(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Dir", |vm| {
        if o.is_null() {
            return Err(not_supported(vm, "PyObject_Dir(NULL)"));
        }
        Ok(vm.ctx.new_list(rp(vm, o)?.dir(vm)?.borrow_vec().to_vec()).into())
    })
}

fn not_supported(vm: &VirtualMachine, what: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    crate::runtime::not_implemented(vm, what)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyCallable_Check(o: *mut PyObject) -> c_int {
    api_noerr("PyCallable_Check", 0, |vm| rp(vm, o).map(|o| cbool(o.is_callable())).unwrap_or(0))
}

/// `format(o, spec)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Format(o: *mut PyObject, spec: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Format", |vm| {
        let spec = if spec.is_null() { vm.ctx.new_str("").into() } else { rp(vm, spec)? };
        let o = rp(vm, o)?;
        py(vm, || vm.call_method(&*o, "__format__", (spec,)))
    })
}

// ---- calls ------------------------------------------------------------------------

/// Calls a RustPython callable from C. The GIL is released while Python code
/// runs (so a callback may wait for another thread that enters extension
/// code), and a new refresh epoch starts afterwards (the callback may have
/// mutated containers C holds).
pub(crate) fn call_rp(vm: &VirtualMachine, f: &PyObjectRef, args: FuncArgs) -> PyResult {
    py(vm, || f.call_with_args(args, vm))
}

/// Positional arguments from a C tuple (may be NULL for none).
fn tuple_args(vm: &VirtualMachine, t: *mut PyObject) -> PyResult<Vec<PyObjectRef>> {
    if t.is_null() {
        return Ok(vec![]);
    }
    let t = rp(vm, t)?;
    let t = t.downcast_ref::<PyTuple>().ok_or_else(|| type_error(vm, "argument list must be a tuple"))?;
    Ok(t.as_slice().to_vec())
}

/// Keyword arguments from a C dict (may be NULL).
fn dict_kwargs(vm: &VirtualMachine, d: *mut PyObject) -> PyResult<Vec<(String, PyObjectRef)>> {
    if d.is_null() {
        return Ok(vec![]);
    }
    let d = rp(vm, d)?;
    let d = d
        .downcast_ref::<rustpython_vm::builtins::PyDict>()
        .ok_or_else(|| type_error(vm, "keyword list must be a dictionary"))?;
    d.items_vec()
        .into_iter()
        .map(|(k, v)| {
            let k = k.downcast::<PyStr>().map_err(|_| type_error(vm, "keywords must be strings"))?;
            Ok((k.as_wtf8().to_string(), v))
        })
        .collect()
}

fn func_args(args: Vec<PyObjectRef>, kwargs: Vec<(String, PyObjectRef)>) -> FuncArgs {
    let (names, vals): (Vec<String>, Vec<PyObjectRef>) = kwargs.into_iter().unzip();
    let all: Vec<PyObjectRef> = args.into_iter().chain(vals).collect();
    FuncArgs::with_kwargs_names(all.into_iter(), names.into_iter())
}

/// RustPython call arguments from a C argument tuple and keyword dict (either may be NULL).
pub(crate) fn c_call_args(vm: &VirtualMachine, args: *mut PyObject, kwargs: *mut PyObject) -> PyResult<FuncArgs> {
    Ok(func_args(tuple_args(vm, args)?, dict_kwargs(vm, kwargs)?))
}

/// New reference to `callable(*args, **kwargs)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Call(callable: *mut PyObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Call", |vm| {
        let f = rp(vm, callable)?;
        call_rp(vm, &f, c_call_args(vm, args, kwargs)?)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CallObject(callable: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    PyObject_Call(callable, args, std::ptr::null_mut())
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CallNoArgs(callable: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_CallNoArgs", |vm| call_rp(vm, &rp(vm, callable)?, FuncArgs::default()))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CallOneArg(callable: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_CallOneArg", |vm| {
        call_rp(vm, &rp(vm, callable)?, FuncArgs::from(vec![rp(vm, arg)?]))
    })
}

/// Arguments of a vectorcall: `args[0..nargs]` positional, then one value
/// per name in the `kwnames` tuple.
///
/// # Safety
/// `args` must hold `nargs + len(kwnames)` objects.
pub(crate) unsafe fn vector_args(
    vm: &VirtualMachine,
    args: *const *mut PyObject,
    nargs: usize,
    kwnames: *mut PyObject,
) -> PyResult<FuncArgs> {
    let names: Vec<String> = if kwnames.is_null() {
        vec![]
    } else {
        let k = rp(vm, kwnames)?;
        let k = k.downcast_ref::<PyTuple>().ok_or_else(|| type_error(vm, "kwnames must be a tuple"))?;
        k.as_slice()
            .iter()
            .map(|n| {
                n.downcast_ref::<PyStr>()
                    .map(|s| s.as_wtf8().to_string())
                    .ok_or_else(|| type_error(vm, "keywords must be strings"))
            })
            .collect::<PyResult<_>>()?
    };
    let total = nargs + names.len();
    let vals = (0..total)
        // SAFETY: the caller guarantees `total` readable slots.
        .map(|i| rp(vm, unsafe { *args.add(i) }))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(FuncArgs::with_kwargs_names(vals.into_iter(), names.into_iter()))
}

/// New reference to `callable(*args[:nargs], **dict(zip(kwnames, rest)))`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_Vectorcall(
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: usize,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    new_ref("PyObject_Vectorcall", |vm| {
        let nargs = nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
        // SAFETY: vectorcall contract.
        let fa = unsafe { vector_args(vm, args, nargs, kwnames)? };
        call_rp(vm, &rp(vm, callable)?, fa)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_VectorcallDict(
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: usize,
    kwdict: *mut PyObject,
) -> *mut PyObject {
    new_ref("PyObject_VectorcallDict", |vm| {
        let nargs = nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
        let pos = (0..nargs)
            // SAFETY: nargs readable slots.
            .map(|i| rp(vm, unsafe { *args.add(i) }))
            .collect::<PyResult<Vec<_>>>()?;
        call_rp(vm, &rp(vm, callable)?, func_args(pos, dict_kwargs(vm, kwdict)?))
    })
}

/// New reference to `args[0].name(*args[1:nargs], **kw)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_VectorcallMethod(
    name: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: usize,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    new_ref("PyObject_VectorcallMethod", |vm| {
        let nargs = nargsf & !PY_VECTORCALL_ARGUMENTS_OFFSET;
        if nargs == 0 {
            return Err(system_error(vm, "PyObject_VectorcallMethod needs self in args[0]"));
        }
        // SAFETY: vectorcall contract; args[0] is self.
        let fa = unsafe { vector_args(vm, args.add(1), nargs - 1, kwnames)? };
        // SAFETY: args[0] exists (nargs >= 1).
        let obj = rp(vm, unsafe { *args })?;
        let n = attr_name(vm, name)?;
        let meth = py(vm, || obj.get_attr(&n, vm))?;
        call_rp(vm, &meth, fa)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CallMethodNoArgs(o: *mut PyObject, name: *mut PyObject) -> *mut PyObject {
    let args = [o];
    // SAFETY: one argument, self.
    unsafe { PyObject_VectorcallMethod(name, args.as_ptr(), 1, std::ptr::null_mut()) }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CallMethodOneArg(o: *mut PyObject, name: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    let args = [o, arg];
    // SAFETY: self plus one argument.
    unsafe { PyObject_VectorcallMethod(name, args.as_ptr(), 2, std::ptr::null_mut()) }
}

/// `PyVectorcall_NARGS`.
#[unsafe(no_mangle)]
pub extern "C" fn PyVectorcall_NARGS(n: usize) -> Py_ssize_t {
    (n & !PY_VECTORCALL_ARGUMENTS_OFFSET) as isize
}

// ---- constants -------------------------------------------------------------------

fn constant(vm: &VirtualMachine, id: c_uint) -> PyResult<PyObjectRef> {
    Ok(match id {
        0 => vm.ctx.none(),
        1 => vm.ctx.new_bool(false).into(),
        2 => vm.ctx.new_bool(true).into(),
        3 => vm.ctx.ellipsis.clone().into(),
        4 => vm.ctx.not_implemented(),
        5 => vm.ctx.new_int(0).into(),
        6 => vm.ctx.new_int(1).into(),
        7 => vm.ctx.new_str("").into(),
        8 => vm.ctx.new_bytes(vec![]).into(),
        9 => vm.ctx.empty_tuple.clone().into(),
        _ => return Err(system_error(vm, format!("invalid constant identifier {id}"))),
    })
}

/// `Py_GetConstant`: new reference to a constant (`Py_CONSTANT_*`).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetConstant(id: c_uint) -> *mut PyObject {
    new_ref("Py_GetConstant", |vm| constant(vm, id))
}

/// `Py_GetConstantBorrowed`: borrowed reference; constants are kept alive by the thread.
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetConstantBorrowed(id: c_uint) -> *mut PyObject {
    api("Py_GetConstantBorrowed", |vm| Ok(bridge::borrow_for_thread(vm, &*constant(vm, id)?)))
}

/// `PyObject_SelfIter`: returns `o` (new reference).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_SelfIter(o: *mut PyObject) -> *mut PyObject {
    // SAFETY: valid object.
    unsafe { bridge::incref(o) };
    o
}

/// New reference to `os.fspath(path)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_FSPath(path: *mut PyObject) -> *mut PyObject {
    new_ref("PyOS_FSPath", |vm| {
        let path = rp(vm, path)?;
        py(vm, || vm.import("os", 0)?.get_attr("fspath", vm)?.call((path,), vm))
    })
}

/// `PyVectorcall_Function`: the type's vectorcall function, or NULL. Facade
/// types have none, so inline vectorcall code falls back to `_PyObject_MakeTpCall`.
#[unsafe(no_mangle)]
pub extern "C" fn PyVectorcall_Function(_callable: *mut PyObject) -> Option<vectorcallfunc> {
    None
}

/// `_PyObject_MakeTpCall` (3.11 inline vectorcall fallback): new reference to
/// `callable(*args[:nargs], **dict(zip(kwnames, rest)))`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyObject_MakeTpCall(
    _tstate: *mut c_void,
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: forwarded vectorcall arguments.
    unsafe { PyObject_Vectorcall(callable, args, nargs.max(0) as usize, kwnames) }
}

/// `_Py_CheckFunctionResult`: SystemError for NULL without an exception or
/// a result with an exception set; otherwise `result` unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Py_CheckFunctionResult(
    _tstate: *mut c_void,
    _callable: *mut PyObject,
    result: *mut PyObject,
    _where: *const c_char,
) -> *mut PyObject {
    api("_Py_CheckFunctionResult", |vm| {
        let pending = crate::runtime::errors::is_set();
        if result.is_null() {
            return match pending {
                true => Err(crate::runtime::errors::take().expect("pending error")),
                false => Err(system_error(vm, "a function returned NULL without setting an exception")),
            };
        }
        if pending {
            let cause = crate::runtime::errors::take();
            // SAFETY: the caller passed us ownership of result.
            unsafe { bridge::decref(result) };
            let e = system_error(vm, "a function returned a result with an exception set");
            e.set_cause(cause);
            return Err(e);
        }
        Ok(result)
    })
}

/// `_PyObject_GetDictPtr`: address of a slot holding a borrowed reference
/// to `o.__dict__`, or NULL (no error) if `o` has no instance dict. The slot
/// is refreshed on every call and owned by the object; C may read through
/// it (Cython's method lookup does), but a dict written into it is not seen
/// by RustPython (set `__dict__` through `PyObject_GenericSetDict`).
#[unsafe(no_mangle)]
pub extern "C" fn _PyObject_GetDictPtr(o: *mut PyObject) -> *mut *mut PyObject {
    api_noerr("_PyObject_GetDictPtr", std::ptr::null_mut(), |vm| {
        let Ok(obj) = rp(vm, o) else { return std::ptr::null_mut() };
        let Some(dict) = obj.dict() else { return std::ptr::null_mut() };
        // SAFETY: o is a live object.
        if unsafe { crate::bridge::try_header(o) }.is_none() {
            // Static objects (builtin type objects) have no slot to lend.
            return std::ptr::null_mut();
        }
        let d = crate::bridge::borrow_from(vm, o, dict.as_object());
        // SAFETY: o has a pre-header (checked above).
        let aux = unsafe { crate::bridge::aux(o) };
        let slot = aux.dict_slot.get_or_insert_with(|| Box::new(std::ptr::null_mut()));
        **slot = d;
        &mut **slot as *mut *mut PyObject
    })
}
