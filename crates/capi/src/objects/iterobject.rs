//! `iterobject.h` / `abstract.h`: sequence and callable iterators, `PyIter_Send`,
//! and the async-iterator protocol (`PyAIter_Check`, `PyObject_GetAIter`).

use rustpython_vm::builtins::{PyCallableIterator, PySequenceIterator};
use rustpython_vm::function::ArgCallable;
use rustpython_vm::protocol::PyIterReturn;
use rustpython_vm::{AsObject, PyObjectRef, PyPayload, PyResult, TryFromObject, VirtualMachine};
use std::ffi::c_int;

use super::{cbool, new_ref, py, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, system_error, type_error};

/// New iterator over `seq` by `seq[0]`, `seq[1]`, ... until IndexError
/// (SystemError if `seq` is not a sequence, as in CPython).
#[unsafe(no_mangle)]
pub extern "C" fn PySeqIter_New(seq: *mut PyObject) -> *mut PyObject {
    new_ref("PySeqIter_New", |vm| {
        let s = rp(vm, seq)?;
        if s.class().fast_issubclass(vm.ctx.types.dict_type) || !s.class().has_attr(vm.ctx.intern_str("__getitem__")) {
            return Err(system_error(vm, "PySeqIter_New: bad argument to internal function"));
        }
        Ok(PySequenceIterator::new(s, vm)?.into_ref(&vm.ctx).into())
    })
}

/// New iterator calling `callable()` until it returns `sentinel` (compared with `==`).
#[unsafe(no_mangle)]
pub extern "C" fn PyCallIter_New(callable: *mut PyObject, sentinel: *mut PyObject) -> *mut PyObject {
    new_ref("PyCallIter_New", |vm| {
        let f = ArgCallable::try_from_object(vm, rp(vm, callable)?)?;
        Ok(PyCallableIterator::new(f, rp(vm, sentinel)?).into_ref(&vm.ctx).into())
    })
}

const PYGEN_RETURN: c_int = 0;
const PYGEN_ERROR: c_int = -1;
const PYGEN_NEXT: c_int = 1;

/// Sends `arg` into `iter` (`next(iter)` when `arg` is None and `iter` is an
/// iterator, else `iter.send(arg)`): `PYGEN_NEXT` with the yielded value,
/// `PYGEN_RETURN` with the return value, or `PYGEN_ERROR` (`*presult` NULL),
/// each result a new reference in `*presult`.
#[unsafe(no_mangle)]
pub extern "C" fn PyIter_Send(iter: *mut PyObject, arg: *mut PyObject, presult: *mut *mut PyObject) -> c_int {
    // SAFETY: a caller-provided out pointer.
    unsafe { *presult = std::ptr::null_mut() };
    let r = api("PyIter_Send", |vm| {
        let (it, a) = (rp(vm, iter)?, rp(vm, arg)?);
        let r = py(vm, || -> PyResult<PyIterReturn> {
            if vm.is_none(&a) && it.class().slots.iternext.load().is_some() {
                rustpython_vm::protocol::PyIter::new(it).next(vm)
            } else {
                match vm.call_method(&it, "send", (a,)) {
                    Ok(v) => Ok(PyIterReturn::Return(v)),
                    Err(e) if e.fast_isinstance(vm.ctx.exceptions.stop_iteration) => {
                        Ok(PyIterReturn::StopIteration(e.get_arg(0)))
                    }
                    Err(e) => Err(e),
                }
            }
        })?;
        let (code, v) = match r {
            PyIterReturn::Return(v) => (PYGEN_NEXT, v),
            PyIterReturn::StopIteration(v) => (PYGEN_RETURN, v.unwrap_or_else(|| vm.ctx.none())),
        };
        // SAFETY: as above.
        unsafe { *presult = bridge::to_c(vm, &v) };
        Ok(code)
    });
    if r < 0 { PYGEN_ERROR } else { r }
}

fn has_anext(vm: &VirtualMachine, o: &PyObjectRef) -> bool {
    o.class().has_attr(vm.ctx.intern_str("__anext__"))
}

/// 1 if `o` is an async iterator (its type has `__anext__`).
#[unsafe(no_mangle)]
pub extern "C" fn PyAIter_Check(o: *mut PyObject) -> c_int {
    api_noerr("PyAIter_Check", 0, |vm| rp(vm, o).map(|o| cbool(has_anext(vm, &o))).unwrap_or(0))
}

/// New reference to `aiter(o)`; TypeError if `o` is not async iterable or
/// `__aiter__` returns a non-async-iterator.
#[unsafe(no_mangle)]
pub extern "C" fn PyObject_GetAIter(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyObject_GetAIter", |vm| {
        let o = rp(vm, o)?;
        let Some(f) = o.class().get_attr(vm.ctx.intern_str("__aiter__")) else {
            return Err(type_error(vm, format!("'{}' object is not an async iterable", o.class().name())));
        };
        let it = py(vm, || f.call((o.clone(),), vm))?;
        if !has_anext(vm, &it) {
            return Err(type_error(vm, format!("aiter() returned not an async iterator of type '{}'", it.class().name())));
        }
        Ok(it)
    })
}

