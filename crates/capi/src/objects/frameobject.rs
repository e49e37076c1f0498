//! `frameobject.h` / `pyframe.h`: `PyFrame_*`, and the frame side of
//! `PyUnstable_InterpreterFrame_*`.
//!
//! Frame mirrors have CPython 3.14's `PyFrameObject` layout: C may write
//! `f_lineno` in place (Cython does, before `PyTraceBack_Here`), and
//! `f_frame` points to the mirror itself, so that the `_PyInterpreterFrame*`
//! C reads from it can be given back to `PyUnstable_InterpreterFrame_*`.

use rustpython_vm::frame::FrameObject;
use rustpython_vm::{AsObject, PyObjectRef, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_void};

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::runtime::{api, api_noerr, new_error, system_error, type_error};

/// CPython 3.14's `struct _frame`.
#[repr(C)]
pub struct PyFrameObject {
    pub ob_base: PyObject,
    pub f_back: *mut PyObject,
    pub f_frame: *mut c_void,
    pub f_trace: *mut PyObject,
    pub f_lineno: c_int,
    pub f_trace_lines: c_char,
    pub f_trace_opcodes: c_char,
    pub f_extra_locals: *mut PyObject,
    pub f_locals_cache: *mut PyObject,
    pub f_overwritten_fast_locals: *mut PyObject,
    pub _f_frame_data: [*mut PyObject; 1],
}

/// Fills a new frame mirror `p` (zeroed, `PyFrameObject`'s size): C writes
/// `f_lineno` in place.
fn init_mirror(_vm: &VirtualMachine, _frame: &rustpython_vm::PyObject, p: *mut PyObject) {
    // SAFETY: the bridge allocated p with the PyFrameObject layout.
    unsafe { (*p.cast::<PyFrameObject>()).f_frame = p.cast() };
}

/// Registers the frame objects' inline layout with the bridge.
pub(crate) fn install(vm: &VirtualMachine) {
    crate::bridge::set_inline_layouts(vec![crate::bridge::InlineLayout {
        ty: vm.ctx.types.frame_type.to_owned(),
        size: size_of::<PyFrameObject>(),
        fill: init_mirror,
    }]);
}

/// `p` as a frame, or `TypeError`.
pub(crate) fn frame_arg(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyRef<FrameObject>> {
    rp(vm, p)?.downcast::<FrameObject>().map_err(|o| type_error(vm, format!("expected a frame object, got {}", o.class().name())))
}

/// The line of `frame`: the `f_lineno` C wrote into its mirror `p`, else the line it is at.
pub(crate) fn line_of(vm: &VirtualMachine, p: *mut PyObject, frame: &PyObjectRef) -> c_int {
    if crate::bridge::to_rp(vm, p).is_ok_and(|o| o.is(frame)) {
        // SAFETY: frame mirrors have the PyFrameObject layout.
        let l = unsafe { (*p.cast::<PyFrameObject>()).f_lineno };
        if l != 0 {
            return l;
        }
    }
    frame.get_attr("f_lineno", vm).ok().and_then(|l| l.try_to_value::<c_int>(vm).ok()).unwrap_or(-1)
}

/// New reference to a frame of `code` with `globals` and `locals` (NULL:
/// the code's own). The frame is real: it is the frame of the code's body,
/// run once (code objects made through the C-API return their frame). A code
/// compiled from Python is not run: the frame is that of an equivalent code
/// object with the same names, file and first line.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_New(_tstate: *mut c_void, code: *mut PyObject, globals: *mut PyObject, locals: *mut PyObject) -> *mut PyObject {
    new_ref("PyFrame_New", |vm| {
        let code = super::codeobject::code_arg(vm, code)?;
        let g = rp(vm, globals)?;
        if g.downcast_ref::<rustpython_vm::builtins::PyDict>().is_none() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let l = if locals.is_null() { vm.ctx.none() } else { rp(vm, locals)? };
        super::codeobject::helper(vm, "frame", vec![code.into(), g, l])
    })
}

/// New reference to the frame's code object.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetCode(frame: *mut PyObject) -> *mut PyObject {
    new_ref("PyFrame_GetCode", |vm| Ok(frame_arg(vm, frame)?.f_code().into()))
}

/// New reference to the calling frame, or NULL (no exception).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetBack(frame: *mut PyObject) -> *mut PyObject {
    frame_attr_or_null("PyFrame_GetBack", frame, "f_back")
}

/// New reference to the frame's generator, or NULL (no exception).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetGenerator(frame: *mut PyObject) -> *mut PyObject {
    frame_attr_or_null("PyFrame_GetGenerator", frame, "f_generator")
}

fn frame_attr_or_null(name: &str, frame: *mut PyObject, attr: &'static str) -> *mut PyObject {
    api(name, |vm| {
        let f = frame_arg(vm, frame)?;
        let v = f.as_object().get_attr(attr, vm)?;
        Ok(if vm.is_none(&v) { std::ptr::null_mut() } else { crate::bridge::to_c_transient(vm, &v) })
    })
}

fn frame_attr(name: &str, frame: *mut PyObject, attr: &'static str) -> *mut PyObject {
    new_ref(name, |vm| {
        let f = frame_arg(vm, frame)?;
        super::py(vm, || f.as_object().get_attr(attr, vm))
    })
}

/// New reference to `frame.f_locals` (a write-through proxy for a function's frame).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetLocals(frame: *mut PyObject) -> *mut PyObject {
    frame_attr("PyFrame_GetLocals", frame, "f_locals")
}

/// New reference to `frame.f_globals`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetGlobals(frame: *mut PyObject) -> *mut PyObject {
    frame_attr("PyFrame_GetGlobals", frame, "f_globals")
}

/// New reference to `frame.f_builtins`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetBuiltins(frame: *mut PyObject) -> *mut PyObject {
    frame_attr("PyFrame_GetBuiltins", frame, "f_builtins")
}

/// The frame's current line (what C stored in `f_lineno`, if anything).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetLineNumber(frame: *mut PyObject) -> c_int {
    api_noerr("PyFrame_GetLineNumber", -1, |vm| match frame_arg(vm, frame) {
        Ok(f) => line_of(vm, frame, &f.into()),
        Err(_) => -1,
    })
}

/// `frame.f_lasti`: the byte offset of the last instruction (RustPython's bytecode).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetLasti(frame: *mut PyObject) -> c_int {
    api_noerr("PyFrame_GetLasti", -1, |vm| {
        frame_arg(vm, frame)
            .and_then(|f| f.as_object().get_attr("f_lasti", vm))
            .and_then(|l| l.try_to_value::<c_int>(vm))
            .unwrap_or(-1)
    })
}

/// New reference to the value of variable `name` (a local, cell or free
/// variable of the frame's code); NameError if it is not one or unbound.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetVar(frame: *mut PyObject, name: *mut PyObject) -> *mut PyObject {
    new_ref("PyFrame_GetVar", |vm| {
        let n = rp(vm, name)?;
        if n.downcast_ref::<rustpython_vm::builtins::PyStr>().is_none() {
            return Err(type_error(vm, format!("name must be str, not {}", n.class().name())));
        }
        get_var(vm, frame, n)
    })
}

fn get_var(vm: &VirtualMachine, frame: *mut PyObject, n: PyObjectRef) -> PyResult {
    let f = frame_arg(vm, frame)?;
    let code = f.f_code();
    let missing = || new_error(vm, vm.ctx.exceptions.name_error, format!("variable {} does not exist", n.repr(vm).map(|r| r.to_string()).unwrap_or_default()));
    let mut known = false;
    for attr in ["co_varnames", "co_cellvars", "co_freevars"] {
        let names: Vec<PyObjectRef> = code.as_object().get_attr(attr, vm)?.try_to_value(vm)?;
        known |= names.iter().any(|x| x.rich_compare_bool(&n, rustpython_vm::types::PyComparisonOp::Eq, vm).unwrap_or(false));
    }
    if !known {
        return Err(missing());
    }
    let locals = super::py(vm, || f.as_object().get_attr("f_locals", vm))?;
    super::py(vm, || locals.get_item(&*n, vm)).map_err(|_| missing())
}

/// As [`PyFrame_GetVar`] with a UTF-8 name.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_GetVarString(frame: *mut PyObject, name: *const c_char) -> *mut PyObject {
    new_ref("PyFrame_GetVarString", |vm| {
        let n = vm.ctx.new_str(super::cstr(vm, name)?).into();
        get_var(vm, frame, n)
    })
}

/// 0: frames' locals are always current (CPython 3.13+ semantics); -1 with
/// SystemError for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_FastToLocalsWithError(frame: *mut PyObject) -> c_int {
    api("PyFrame_FastToLocalsWithError", |vm| frame_arg(vm, frame).map(|_| 0).map_err(|_| system_error(vm, "bad argument to internal function")))
}

/// No-op (CPython 3.13+: `f_locals` is a write-through proxy).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_FastToLocals(_frame: *mut PyObject) {}

/// No-op (CPython 3.13+: `f_locals` is a write-through proxy).
#[unsafe(no_mangle)]
pub extern "C" fn PyFrame_LocalsToFast(_frame: *mut PyObject, _clear: c_int) {}

/// The frame mirror an `_PyInterpreterFrame*` (`frame->f_frame`) stands for.
fn iframe_arg(vm: &VirtualMachine, iframe: *mut c_void) -> PyResult<(*mut PyObject, PyRef<FrameObject>)> {
    let p = iframe.cast::<PyObject>();
    if p.is_null() {
        return Err(system_error(vm, "NULL frame"));
    }
    Ok((p, frame_arg(vm, p)?))
}

/// New reference to the code of an interpreter frame (`frame->f_frame`).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_InterpreterFrame_GetCode(iframe: *mut c_void) -> *mut PyObject {
    new_ref("PyUnstable_InterpreterFrame_GetCode", |vm| Ok(iframe_arg(vm, iframe)?.1.f_code().into()))
}

/// The byte offset of the last instruction of an interpreter frame.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_InterpreterFrame_GetLasti(iframe: *mut c_void) -> c_int {
    PyFrame_GetLasti(iframe.cast())
}

/// The current line of an interpreter frame.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_InterpreterFrame_GetLine(iframe: *mut c_void) -> c_int {
    api_noerr("PyUnstable_InterpreterFrame_GetLine", -1, |vm| match iframe_arg(vm, iframe) {
        Ok((p, f)) => line_of(vm, p, &f.into()),
        Err(_) => -1,
    })
}
