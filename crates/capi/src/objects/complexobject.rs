//! `complexobject.h`. Complex mirrors carry `cval` inline (see the bridge),
//! so `((PyComplexObject *)op)->cval` reads work as in CPython.

use rustpython_vm::builtins::PyComplex;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use super::{new_ref, rp};
use crate::abi::PyObject;
use crate::runtime::{api, type_error};

/// `Py_complex`, passed and returned by value.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Py_complex {
    pub real: f64,
    pub imag: f64,
}

/// New reference to `complex(real, imag)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyComplex_FromDoubles(real: f64, imag: f64) -> *mut PyObject {
    new_ref("PyComplex_FromDoubles", |vm| Ok(vm.ctx.new_complex(num_complex::Complex64::new(real, imag)).into()))
}

/// New reference to a complex from a `Py_complex`.
#[unsafe(no_mangle)]
pub extern "C" fn PyComplex_FromCComplex(v: Py_complex) -> *mut PyObject {
    PyComplex_FromDoubles(v.real, v.imag)
}

/// `op` as a complex number, CPython's way: a complex (or subclass) as is,
/// else `__complex__` (which must return a complex), else `float(op)` + 0j.
fn as_complex(vm: &VirtualMachine, op: &PyObjectRef) -> PyResult<num_complex::Complex64> {
    if let Some(c) = op.downcast_ref::<PyComplex>() {
        return Ok(c.to_complex());
    }
    if let Some(m) = op.class().get_attr(vm.ctx.intern_str("__complex__")) {
        // CPython's special-method lookup: found on the type, bound through
        // the descriptor protocol if it is a descriptor (a function, a
        // property), else called as it is (any callable).
        let r = super::py(vm, || {
            let bound = match m.class().slots.descr_get.load() {
                Some(get) => get(&m, Some(op), Some(op.class().as_object()), vm)?,
                None => m,
            };
            bound.call((), vm)
        })?;
        return r.downcast_ref::<PyComplex>().map(|c| c.to_complex()).ok_or_else(|| {
            type_error(vm, format!("__complex__ returned non-complex (type {})", r.class().name()))
        });
    }
    let f = super::py(vm, || op.try_float(vm))?;
    Ok(num_complex::Complex64::new(f.to_f64(), 0.0))
}

/// The real part of `op` (any number); -1.0 with an exception on failure.
#[unsafe(no_mangle)]
pub extern "C" fn PyComplex_RealAsDouble(op: *mut PyObject) -> f64 {
    api("PyComplex_RealAsDouble", |vm| Ok(as_complex(vm, &rp(vm, op)?)?.re))
}

/// The imaginary part of `op` (0.0 for a real number); -1.0 with an exception on failure.
#[unsafe(no_mangle)]
pub extern "C" fn PyComplex_ImagAsDouble(op: *mut PyObject) -> f64 {
    api("PyComplex_ImagAsDouble", |vm| Ok(as_complex(vm, &rp(vm, op)?)?.im))
}

/// `op` as a `Py_complex`; `{-1.0, 0.0}` with an exception on failure.
#[unsafe(no_mangle)]
pub extern "C" fn PyComplex_AsCComplex(op: *mut PyObject) -> Py_complex {
    let r = api("PyComplex_AsCComplex", |vm| {
        let c = as_complex(vm, &rp(vm, op)?)?;
        Ok(Some(Py_complex { real: c.re, imag: c.im }))
    });
    r.unwrap_or(Py_complex { real: -1.0, imag: 0.0 })
}
