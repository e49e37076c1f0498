//! `traceback.h`: `PyTraceBack_Here` (`PyTraceBack_Print` is in pyerrors.rs).

use rustpython_vm::builtins::PyTraceback;
use rustpython_vm::{AsObject, PyPayload};
use std::ffi::c_int;

use crate::abi::PyObject;
use crate::runtime::{api, errors, system_error};

/// Adds a traceback entry for `frame` in front of the raised exception's
/// traceback, at the frame's line (the `f_lineno` C stored, if any): 0, or
/// -1 with an exception.
#[unsafe(no_mangle)]
pub extern "C" fn PyTraceBack_Here(frame: *mut PyObject) -> c_int {
    api("PyTraceBack_Here", |vm| {
        let f = super::frameobject::frame_arg(vm, frame)?;
        let Some(exc) = errors::take() else {
            return Err(system_error(vm, "PyTraceBack_Here called with no exception set"));
        };
        let line = super::frameobject::line_of(vm, frame, &f.clone().into());
        let lasti = f.as_object().get_attr("f_lasti", vm).ok().and_then(|l| l.try_to_value::<i32>(vm).ok()).unwrap_or(-1);
        let lineno = rustpython_vm::compiler::core::OneIndexed::new(line.max(1) as usize).unwrap_or(rustpython_vm::compiler::core::OneIndexed::MIN);
        let tb = PyTraceback::new(exc.__traceback__(), f, lasti, lineno).into_ref(&vm.ctx);
        exc.set_traceback(Some(tb));
        errors::set(exc);
        Ok(0)
    })
}
