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
    or_unraisable(
        PyObject_HasAttrWithError(o, name),
        "Exception ignored in PyObject_HasAttr(); consider using PyObject_HasAttrWithError(), PyObject_GetOptionalAttr() or PyObject_GetAttr()",
    )
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
        super::dictobject::notify_item(vm, o, &obj, &k, Some(&v))?;
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
        super::dictobject::notify_item(vm, o, &obj, &k, None)?;
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

/// New reference to `dir(o)`, sorted; when `o` is NULL, the sorted names of
/// the current frame's locals (SystemError if no frame runs), as `dir()`.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_Dir(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_Dir", |vm| {
        let names: PyObjectRef = if o.is_null() {
            let locals = super::ceval::frame_locals(vm)?.ok_or_else(|| system_error(vm, "frame does not exist"))?;
            py(vm, || vm.ctx.types.list_type.as_object().call((locals,), vm))?
        } else {
            // The builtin dir() (the class's __dir__, sorted).
            let o = rp(vm, o)?;
            let dir = vm.builtins.get_attr("dir", vm)?;
            return py(vm, || dir.call((o,), vm));
        };
        py(vm, || vm.call_method(&names, "sort", ()))?;
        Ok(names)
    })
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
    api("PyObject_Call", |vm| -> PyResult<*mut PyObject> {
        let f = rp(vm, callable)?;
        if let Some(r) = super::methodobject::call_varargs_directly(vm, &f, args, kwargs) {
            return r;
        }
        let r = call_rp(vm, &f, c_call_args(vm, args, kwargs)?)?;
        Ok(bridge::to_c_transient(vm, &r))
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

// ---- watchers (dict and type) -------------------------------------------------------

/// The registry behind `PyDict_AddWatcher`/`PyType_AddWatcher`: eight callback
/// slots (ids below `first` are reserved, as CPython reserves them) and, per
/// watched object (by address), a bit mask of the ids watching it. Lookups are
/// O(1); `any` lets unwatched objects skip the lock entirely.
pub(crate) struct Watchers<F: Copy> {
    what: &'static str,
    first: usize,
    any: std::sync::atomic::AtomicBool,
    state: parking_lot::Mutex<([Option<F>; 8], Option<std::collections::HashMap<usize, u8>>)>,
}

impl<F: Copy> Watchers<F> {
    pub(crate) const fn new(what: &'static str, first: usize) -> Self {
        Self {
            what,
            first,
            any: std::sync::atomic::AtomicBool::new(false),
            state: parking_lot::Mutex::new(([None; 8], None)),
        }
    }

    fn value_error(&self, vm: &VirtualMachine, msg: String) -> rustpython_vm::builtins::PyBaseExceptionRef {
        crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, msg)
    }

    /// The lowest free id, or RuntimeError.
    pub(crate) fn add(&self, vm: &VirtualMachine, cb: F) -> PyResult<c_int> {
        let mut s = self.state.lock();
        let Some(i) = (self.first..8).find(|&i| s.0[i].is_none()) else {
            return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.runtime_error, format!("no more {} watcher IDs available", self.what)));
        };
        s.0[i] = Some(cb);
        Ok(i as c_int)
    }

    fn valid(&self, vm: &VirtualMachine, id: c_int, s: &([Option<F>; 8], Option<std::collections::HashMap<usize, u8>>)) -> PyResult<usize> {
        if !(0..8).contains(&id) {
            return Err(self.value_error(vm, format!("Invalid {} watcher ID {id}", self.what)));
        }
        if s.0[id as usize].is_none() {
            return Err(self.value_error(vm, format!("No {} watcher set for ID {id}", self.what)));
        }
        Ok(id as usize)
    }

    /// Frees slot `id`; objects it watched stop reporting to it.
    pub(crate) fn clear(&self, vm: &VirtualMachine, id: c_int) -> PyResult<c_int> {
        let mut s = self.state.lock();
        let i = self.valid(vm, id, &s)?;
        s.0[i] = None;
        s.1.get_or_insert_default().retain(|_, m| {
            *m &= !(1 << i);
            *m != 0
        });
        Ok(0)
    }

    /// Starts (`on`) or stops reporting events of object `key` to watcher `id`.
    pub(crate) fn watch(&self, vm: &VirtualMachine, id: c_int, key: usize, on: bool) -> PyResult<c_int> {
        let mut s = self.state.lock();
        let i = self.valid(vm, id, &s)?;
        if on {
            *s.1.get_or_insert_default().entry(key).or_insert(0) |= 1 << i;
            self.any.store(true, std::sync::atomic::Ordering::Relaxed);
        } else if let Some(map) = s.1.as_mut()
            && let Some(m) = map.get_mut(&key)
        {
            *m &= !(1 << i);
            if *m == 0 {
                map.remove(&key);
            }
        }
        Ok(0)
    }

    /// Whether any object was ever watched (the fast exit of event sources).
    pub(crate) fn active(&self) -> bool {
        self.any.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The callbacks watching object `key` with their ids, in id order (O(1) when none).
    pub(crate) fn callbacks_with_ids(&self, key: usize) -> Vec<(usize, F)> {
        if !self.active() {
            return Vec::new();
        }
        let s = self.state.lock();
        let Some(&m) = s.1.as_ref().and_then(|map| map.get(&key)) else { return Vec::new() };
        (0..8).filter(|i| m & (1 << i) != 0).filter_map(|i| s.0[i].map(|f| (i, f))).collect()
    }

    /// The callbacks watching object `key`, in id order.
    pub(crate) fn callbacks(&self, key: usize) -> Vec<F> {
        self.callbacks_with_ids(key).into_iter().map(|(_, f)| f).collect()
    }
}

/// `r`, or 0 after reporting the pending error as unraisable with `msg`
/// (CPython 3.13's `PyObject_HasAttr`-style functions).
pub(crate) fn or_unraisable(r: c_int, msg: &str) -> c_int {
    if r >= 0 {
        return r;
    }
    api_noerr("or_unraisable", 0, |vm| {
        if let Some(e) = crate::runtime::errors::take() {
            vm.run_unraisable(e, Some(msg.to_owned()), vm.ctx.none());
        }
        0
    })
}

// ---- attribute and item helpers with C-string names ----------------------------------

fn name_str(vm: &VirtualMachine, name: *const c_char) -> PyResult<rustpython_vm::PyRef<PyStr>> {
    Ok(vm.ctx.new_str(cstr(vm, name)?))
}

/// `del o.name` (UTF-8 name): 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_DelAttrString(o: *mut PyObject, name: *const c_char) -> c_int {
    api("PyObject_DelAttrString", |vm| set_or_del_attr(vm, o, &name_str(vm, name)?, std::ptr::null_mut()))
}

/// `del o[key]` (UTF-8 key): 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_DelItemString(o: *mut PyObject, key: *const c_char) -> c_int {
    api("PyObject_DelItemString", |vm| {
        if key.is_null() {
            return Err(system_error(vm, "null argument to internal routine"));
        }
        let k: PyObjectRef = name_str(vm, key)?.into();
        let obj = rp(vm, o)?;
        py(vm, || obj.del_item(&*k, vm))?;
        bridge::refresh_now(vm, o, &obj);
        Ok(0)
    })
}

/// `PyObject_GetOptionalAttr` with a UTF-8 name.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetOptionalAttrString(o: *mut PyObject, name: *const c_char, result: *mut *mut PyObject) -> c_int {
    let n = super::unicodeobject::PyUnicode_FromString(name);
    if n.is_null() {
        // SAFETY: a caller-provided out pointer.
        unsafe { *result = std::ptr::null_mut() };
        return -1;
    }
    let r = PyObject_GetOptionalAttr(o, n, result);
    // SAFETY: the name made above.
    unsafe { bridge::decref(n) };
    r
}

/// 1 if `o` has attribute `name` (UTF-8), 0 if not, -1 on another error.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_HasAttrStringWithError(o: *mut PyObject, name: *const c_char) -> c_int {
    api("PyObject_HasAttrStringWithError", |vm| {
        let n = name_str(vm, name)?;
        let o = rp(vm, o)?;
        match py(vm, || o.get_attr(&n, vm)) {
            Ok(_) => Ok(1),
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.attribute_error) => Ok(0),
            Err(e) => Err(e),
        }
    })
}

/// 1 or 0; errors other than AttributeError are reported as unraisable (CPython 3.13).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_HasAttrString(o: *mut PyObject, name: *const c_char) -> c_int {
    or_unraisable(
        PyObject_HasAttrStringWithError(o, name),
        "Exception ignored in PyObject_HasAttrString(); consider using PyObject_HasAttrStringWithError(), PyObject_GetOptionalAttrString() or PyObject_GetAttrString()",
    )
}

// ---- object internals ---------------------------------------------------------------

/// The C type object of `o` (borrowed).
fn c_type<'a>(o: *mut PyObject) -> &'a PyTypeObject {
    // SAFETY: every object C holds has a valid type object.
    unsafe { &*(*o).ob_type }
}

/// 1 if the collector tracks objects of `o`'s type (`Py_TPFLAGS_HAVE_GC` and `tp_is_gc`).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_IS_GC(o: *mut PyObject) -> c_int {
    let t = c_type(o);
    if t.tp_flags & Py_TPFLAGS_HAVE_GC == 0 {
        return 0;
    }
    match t.tp_is_gc {
        // SAFETY: the type's own predicate.
        Some(f) => cbool(unsafe { f(o) } != 0),
        None => 1,
    }
}

/// `object.__hash__(o)`: the hash of the object's identity, stable for its
/// lifetime (a mirror's address is not: it can be remade).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GenericHash(o: *mut PyObject) -> Py_hash_t {
    api_noerr("PyObject_GenericHash", -1, |vm| match rp(vm, o) {
        Ok(obj) => rustpython_vm::common::hash::hash_object_id(obj.get_id()) as Py_hash_t,
        Err(_) => super::pyhash::Py_HashPointer(o.cast()),
    })
}

/// `Py_TPFLAGS_ITEMS_AT_END`.
const ITEMS_AT_END: std::ffi::c_ulong = 1 << 23;

/// Pointer to the variable-size data after `tp_basicsize` of a type with
/// `Py_TPFLAGS_ITEMS_AT_END`; TypeError for other types.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetItemData(o: *mut PyObject) -> *mut c_void {
    let t = c_type(o);
    if t.tp_flags & ITEMS_AT_END == 0 {
        return api("PyObject_GetItemData", |vm| {
            let name = rp(vm, o)?.class().name().to_string();
            Err(type_error(vm, format!("type '{name}' does not have Py_TPFLAGS_ITEMS_AT_END")))
        });
    }
    // SAFETY: the type declares its items at tp_basicsize.
    unsafe { o.cast::<u8>().offset(t.tp_basicsize).cast() }
}

thread_local! {
    /// The weak-reference list slot of objects whose C layout has none
    /// (RustPython keeps their weak references itself): always NULL.
    static NO_WEAKLIST: std::cell::Cell<*mut PyObject> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Pointer to the object's weak-reference list slot (`tp_weaklistoffset`);
/// for objects whose C layout has no slot, a per-thread slot holding NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GET_WEAKREFS_LISTPTR(o: *mut PyObject) -> *mut *mut PyObject {
    let off = c_type(o).tp_weaklistoffset;
    if off > 0 {
        // SAFETY: the type's layout has the slot at that offset.
        return unsafe { o.cast::<u8>().offset(off).cast() };
    }
    NO_WEAKLIST.with(|c| {
        c.set(std::ptr::null_mut());
        c.as_ptr()
    })
}

/// Clears the object's instance dict (a fresh empty dict replaces it).
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_ClearManagedDict(o: *mut PyObject) {
    if bridge::is_dying_native(o) {
        // Called from tp_dealloc: the dict lived in the twin, already gone.
        return;
    }
    api("PyObject_ClearManagedDict", |vm| {
        let obj = rp(vm, o)?;
        if obj.dict().is_some() {
            let _ = obj.set_dict(Some(vm.ctx.new_dict()));
        }
        Ok(())
    })
}

/// Calls `visit(dict, arg)` for the object's instance dict, if any; returns its result.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_VisitManagedDict(o: *mut PyObject, visit: Option<visitproc>, arg: *mut c_void) -> c_int {
    if bridge::is_dying_native(o) {
        return 0;
    }
    let d = api_noerr("PyObject_VisitManagedDict", std::ptr::null_mut(), |vm| match rp(vm, o).ok().and_then(|x| x.dict()) {
        Some(d) => bridge::borrow_from(vm, o, d.as_object()),
        None => std::ptr::null_mut(),
    });
    match (d.is_null(), visit) {
        // SAFETY: the caller's visitor with a borrowed reference the object owns.
        (false, Some(v)) => unsafe { v(d, arg) },
        _ => 0,
    }
}

/// Calls the object's finaliser (`tp_finalize` of an extension type, or
/// `__del__`) once per object, as CPython does for GC objects: RustPython
/// marks its objects finalised so `__del__` does not run again at
/// deallocation, and native objects carry a FINALIZED bit shared with their
/// twin's `__del__`. `__del__` errors are reported as unraisable.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_CallFinalizer(o: *mut PyObject) {
    if bridge::is_native(o) {
        if let Some(f) = c_type(o).tp_finalize
            && bridge::set_finalized(o)
        {
            // SAFETY: the type's finaliser on a live object.
            unsafe { f(o) };
        }
        return;
    }
    api("PyObject_CallFinalizer", |vm| {
        let obj = rp(vm, o)?;
        let saved = crate::runtime::errors::take();
        py(vm, || obj.try_call_finalizer());
        crate::runtime::errors::restore(saved);
        Ok(())
    })
}

/// For `tp_dealloc`: runs the finaliser on an object whose refcount is 0,
/// resurrecting it meanwhile; 0 if it stays dead, -1 if it was resurrected.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_CallFinalizerFromDealloc(o: *mut PyObject) -> c_int {
    // SAFETY: a valid object in its tp_dealloc (refcount 0), as in CPython.
    unsafe {
        (*o).ob_refcnt = 1;
        PyObject_CallFinalizer(o);
        (*o).ob_refcnt -= 1;
        if (*o).ob_refcnt == 0 { 0 } else { -1 }
    }
}

/// `Py_ReprEnter`: 0 if `o` was not being repr'd on this thread (now it is),
/// 1 if it already was (a recursive repr). Shares RustPython's repr guards.
#[unsafe(no_mangle)]
pub extern "C" fn Py_ReprEnter(o: *mut PyObject) -> c_int {
    api("Py_ReprEnter", |vm| {
        let id = rp(vm, o)?.get_id();
        Ok(cbool(!vm.repr_guards.borrow_mut().insert(id)))
    })
}

/// `Py_ReprLeave`: ends what `Py_ReprEnter` began; keeps the error indicator.
#[unsafe(no_mangle)]
pub extern "C" fn Py_ReprLeave(o: *mut PyObject) {
    api_noerr("Py_ReprLeave", (), |vm| {
        let saved = crate::runtime::errors::take();
        if let Ok(x) = rp(vm, o) {
            vm.repr_guards.borrow_mut().remove(&x.get_id());
        }
        crate::runtime::errors::restore(saved);
    })
}

/// `Py_PRINT_RAW`.
const PRINT_RAW: c_int = 1;

/// Writes `str(o)` (`Py_PRINT_RAW`) or `repr(o)` to `fp` in UTF-8 (strict:
/// UnicodeEncodeError for lone surrogates); `<nil>` for NULL. 0, or -1
/// (OSError on a write error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_Print(o: *mut PyObject, fp: *mut libc::FILE, flags: c_int) -> c_int {
    api("PyObject_Print", |vm| {
        let text: Vec<u8> = if o.is_null() {
            b"<nil>".to_vec()
        } else {
            let obj = rp(vm, o)?;
            let s = py(vm, || if flags & PRINT_RAW != 0 { obj.str(vm) } else { obj.repr(vm) })?;
            let b = vm.call_method(s.as_object(), "encode", ("utf-8",))?;
            b.downcast_ref::<rustpython_vm::builtins::PyBytes>().map(|b| b.as_bytes().to_vec()).unwrap_or_default()
        };
        // SAFETY: fp is an open FILE* from C.
        let failed = py(vm, || unsafe {
            libc::clearerr(fp);
            libc::fwrite(text.as_ptr().cast(), 1, text.len(), fp);
            let e = libc::ferror(fp) != 0;
            libc::clearerr(fp);
            e
        });
        if failed {
            let err = std::io::Error::last_os_error();
            return Err(vm.new_os_error(err.to_string()));
        }
        Ok(0)
    })
}

/// The file descriptor of `o`: an int, or the int its `fileno()` returns.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_AsFileDescriptor(o: *mut PyObject) -> c_int {
    api("PyObject_AsFileDescriptor", |vm| {
        use rustpython_vm::builtins::PyInt;
        let obj = rp(vm, o)?;
        let as_int = |i: &PyInt| {
            i32::try_from(i.as_bigint()).map_err(|_| vm.new_overflow_error("Python int too large to convert to C int"))
        };
        let fd = if let Some(i) = obj.downcast_ref::<PyInt>() {
            as_int(i)?
        } else {
            let meth = match py(vm, || obj.get_attr("fileno", vm)) {
                Ok(m) => m,
                Err(e) if e.fast_isinstance(vm.ctx.exceptions.attribute_error) => {
                    return Err(type_error(vm, "argument must be an int, or have a fileno() method."));
                }
                Err(e) => return Err(e),
            };
            let r = py(vm, || meth.call((), vm))?;
            match r.downcast_ref::<PyInt>() {
                Some(i) => as_int(i)?,
                None => return Err(type_error(vm, "fileno() returned a non-integer")),
            }
        };
        if fd < 0 {
            return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, format!("file descriptor cannot be a negative integer ({fd})")));
        }
        Ok(fd)
    })
}

/// 1 if `kw` is a dict with only string keys; else 0 with TypeError
/// ("keywords must be strings") or SystemError (not a dict).
#[unsafe(no_mangle)]
pub extern "C" fn PyArg_ValidateKeywordArguments(kw: *mut PyObject) -> c_int {
    let r = api("PyArg_ValidateKeywordArguments", |vm| {
        let d = rp(vm, kw)?;
        let d = d
            .downcast_ref::<rustpython_vm::builtins::PyDict>()
            .ok_or_else(|| system_error(vm, "PyArg_ValidateKeywordArguments: bad argument to internal function"))?;
        if d.keys_vec().iter().any(|k| k.downcast_ref::<PyStr>().is_none()) {
            return Err(type_error(vm, "keywords must be strings"));
        }
        Ok(1)
    });
    r.max(0)
}

/// Calls `callable(*tuple, **dict)` through its vectorcall function: an
/// extension object's `tp_vectorcall_offset` slot; RustPython functions,
/// methods and types (which CPython calls by vectorcall) by a plain call;
/// TypeError for objects without vectorcall.
#[unsafe(no_mangle)]
pub extern "C" fn PyVectorcall_Call(callable: *mut PyObject, tuple: *mut PyObject, dict: *mut PyObject) -> *mut PyObject {
    let off = c_type(callable).tp_vectorcall_offset;
    // SAFETY: a positive offset locates the object's vectorcall slot.
    let func = (off > 0 && bridge::is_native(callable)).then(|| unsafe { *callable.cast::<u8>().offset(off).cast::<Option<vectorcallfunc>>() }).flatten();
    api("PyVectorcall_Call", |vm| {
        let f = rp(vm, callable)?;
        let Some(func) = func else {
            let t = &vm.ctx.types;
            let vectorcall = [t.function_type, t.builtin_function_or_method_type, t.bound_method_type, t.method_descriptor_type, t.type_type];
            if !vectorcall.iter().any(|c| f.class().fast_issubclass(*c)) {
                return Err(type_error(vm, format!("'{}' object does not support vectorcall", f.class().name())));
            }
            return Ok(bridge::to_c_owned(vm, call_rp(vm, &f, c_call_args(vm, tuple, dict)?)?));
        };
        let pos = tuple_args(vm, tuple)?;
        let kw = dict_kwargs(vm, dict)?;
        let mut args: Vec<*mut PyObject> = pos.iter().chain(kw.iter().map(|(_, v)| v)).map(|x| bridge::to_c(vm, x)).collect();
        let kwnames = if kw.is_empty() {
            std::ptr::null_mut()
        } else {
            let names: Vec<PyObjectRef> = kw.iter().map(|(k, _)| vm.ctx.new_str(k.as_str()).into()).collect();
            bridge::to_c(vm, vm.ctx.new_tuple(names).as_object())
        };
        // SAFETY: the extension's vectorcall function with CPython's contract.
        let r = unsafe { func(callable, args.as_mut_ptr(), pos.len(), kwnames) };
        // SAFETY: the references taken for the call.
        unsafe {
            for a in args {
                bridge::decref(a);
            }
            bridge::xdecref(kwnames);
        }
        if r.is_null() {
            return Err(crate::runtime::errors::take().unwrap_or_else(|| system_error(vm, "vectorcall returned NULL without setting an exception")));
        }
        Ok(r)
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
        if unsafe { crate::bridge::mortal_header(o) }.is_none() {
            // Immortal objects (builtin type objects) have no slot to lend.
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
