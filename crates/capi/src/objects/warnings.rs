//! `warnings.h`: explicit-location warnings and `PyErr_ResourceWarning`,
//! through the `warnings` module as CPython's `_warnings` does.

use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{VaList, c_char, c_int};

use super::{cstr, rp};
use crate::abi::{Py_ssize_t, PyObject};
use crate::bridge;
use crate::runtime::api;

/// `p` as an object, `None` for NULL.
fn opt(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    if p.is_null() { Ok(vm.ctx.none()) } else { rp(vm, p) }
}

/// `warnings.warn_explicit(message, category, filename, lineno, module, registry)`.
fn warn_explicit(vm: &VirtualMachine, category: *mut PyObject, message: PyObjectRef, filename: PyObjectRef, lineno: c_int, module: PyObjectRef, registry: *mut PyObject) -> PyResult<c_int> {
    let cat = if category.is_null() { vm.ctx.exceptions.user_warning.to_owned().into() } else { rp(vm, category)? };
    let registry = opt(vm, registry)?;
    let args: Vec<PyObjectRef> = vec![message, cat, filename, vm.ctx.new_int(lineno).into(), module, registry];
    super::py(vm, || vm.import("warnings", 0)?.get_attr("warn_explicit", vm)?.call(args, vm))?;
    Ok(0)
}

/// Issues a warning at an explicit location (all objects borrowed; `module`
/// and `registry` may be NULL); 0, or -1 if the warning became an exception.
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_WarnExplicitObject(category: *mut PyObject, message: *mut PyObject, filename: *mut PyObject, lineno: c_int, module: *mut PyObject, registry: *mut PyObject) -> c_int {
    api("PyErr_WarnExplicitObject", |vm| warn_explicit(vm, category, rp(vm, message)?, rp(vm, filename)?, lineno, opt(vm, module)?, registry))
}

/// An optional UTF-8 C string (filename: file system encoding) as str or None.
fn opt_cstr(vm: &VirtualMachine, s: *const c_char) -> PyResult<PyObjectRef> {
    if s.is_null() { Ok(vm.ctx.none()) } else { Ok(vm.ctx.new_str(cstr(vm, s)?).into()) }
}

/// `PyErr_WarnExplicitObject` with C strings (`module` may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PyErr_WarnExplicit(category: *mut PyObject, message: *const c_char, filename: *const c_char, lineno: c_int, module: *const c_char, registry: *mut PyObject) -> c_int {
    api("PyErr_WarnExplicit", |vm| {
        let msg = vm.ctx.new_str(cstr(vm, message)?).into();
        warn_explicit(vm, category, msg, opt_cstr(vm, filename)?, lineno, opt_cstr(vm, module)?, registry)
    })
}

/// A str formatted with `PyUnicode_FromFormatV`'s units (error already set on failure).
unsafe fn format(format: *const c_char, va: VaList<'_>) -> *mut PyObject {
    // SAFETY: the caller's arguments match the format.
    unsafe { super::modsupport::PyUnicode_FromFormatV(format, va) }
}

/// `PyErr_WarnExplicitObject` with a message formatted as `PyUnicode_FromFormat`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_WarnExplicitFormat(category: *mut PyObject, filename: *const c_char, lineno: c_int, module: *const c_char, registry: *mut PyObject, fmt: *const c_char, args: ...) -> c_int {
    // SAFETY: the caller's arguments match the format.
    let msg = unsafe { format(fmt, args) };
    if msg.is_null() {
        return -1;
    }
    let r = api("PyErr_WarnExplicitFormat", |vm| warn_explicit(vm, category, rp(vm, msg)?, opt_cstr(vm, filename)?, lineno, opt_cstr(vm, module)?, registry));
    // SAFETY: the reference format made.
    unsafe { bridge::decref(msg) };
    r
}

/// Issues a ResourceWarning with a formatted message and `source` (the
/// object at fault, for tracemalloc); 0, or -1 if it became an exception.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyErr_ResourceWarning(source: *mut PyObject, stack_level: Py_ssize_t, fmt: *const c_char, args: ...) -> c_int {
    // SAFETY: the caller's arguments match the format.
    let msg = unsafe { format(fmt, args) };
    if msg.is_null() {
        return -1;
    }
    let r = api("PyErr_ResourceWarning", |vm| {
        let m = rp(vm, msg)?;
        let src = opt(vm, source)?;
        let cat: PyObjectRef = vm.ctx.exceptions.resource_warning.to_owned().into();
        let kw = rustpython_vm::function::KwArgs::from_iter([("source".to_owned(), src)]);
        let args = rustpython_vm::function::FuncArgs::new(vec![m, cat, vm.ctx.new_int(stack_level.max(1)).into()], kw);
        super::py(vm, || vm.import("warnings", 0)?.get_attr("warn", vm)?.call(args, vm))?;
        Ok(0)
    });
    // SAFETY: the reference format made.
    unsafe { bridge::decref(msg) };
    r
}
