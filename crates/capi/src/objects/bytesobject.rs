//! `bytesobject.h` and `bytearrayobject.h`.

use rustpython_vm::{AsObject as _, PyPayload as _};
use rustpython_vm::builtins::{PyByteArray, PyBytes};
use std::ffi::c_char;

use super::{bytes_arg, cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, type_error};

/// New reference: bytes copied from `s[:n]`, or (NULL `s`) a builder of `n`
/// zero bytes that C fills through `PyBytes_AS_STRING` before using it.
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_FromStringAndSize(s: *const c_char, n: Py_ssize_t) -> *mut PyObject {
    if s.is_null() {
        return api("PyBytes_FromStringAndSize", |vm| {
            if n < 0 {
                return Err(crate::runtime::system_error(vm, "Negative size passed to PyBytes_FromStringAndSize"));
            }
            if n == 0 {
                // The empty bytes object is a singleton, as in CPython (and RustPython).
                return Ok(bridge::to_c(vm, vm.ctx.empty_bytes.as_object()));
            }
            Ok(bridge::builders::new_bytes(crate::types::static_type!(PyBytes_Type), n as usize))
        });
    }
    new_ref("PyBytes_FromStringAndSize", |vm| Ok(vm.ctx.new_bytes(bytes_arg(vm, s, n)?.to_vec()).into()))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_FromString(s: *const c_char) -> *mut PyObject {
    new_ref("PyBytes_FromString", |vm| Ok(vm.ctx.new_bytes(cstr(vm, s).map(|s| s.as_bytes().to_vec()).unwrap_or_default()).into()))
}

/// Pointer to the bytes' inline, NUL-terminated data (owned by the object).
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_AsString(o: *mut PyObject) -> *mut c_char {
    api("PyBytes_AsString", |vm| {
        if !bridge::builders::is_unrealised(o) {
            let obj = rp(vm, o)?;
            if obj.downcast_ref::<PyBytes>().is_none() {
                return Err(type_error(vm, format!("expected bytes, {} found", obj.class().name())));
            }
        }
        // SAFETY: bytes mirrors and builders carry their data inline.
        Ok(unsafe { o.cast::<u8>().add(BYTES_SVAL_OFFSET) }.cast())
    })
}

/// `*buffer`/`*length` of the bytes' inline data.
#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_AsStringAndSize(o: *mut PyObject, buffer: *mut *mut c_char, length: *mut Py_ssize_t) -> i32 {
    let p = PyBytes_AsString(o);
    if p.is_null() {
        return -1;
    }
    // SAFETY: out pointers from C; o is a bytes object.
    unsafe {
        *buffer = p;
        if !length.is_null() {
            *length = (*o.cast::<PyVarObject>()).ob_size;
        }
    }
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn PyBytes_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyBytes_Size", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyBytes>().ok_or_else(|| type_error(vm, format!("expected bytes, {} found", obj.class().name())))?;
        Ok(b.as_bytes().len() as isize)
    })
}

/// New reference to `bytearray(o)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_FromObject(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyByteArray_FromObject", |vm| vm.ctx.types.bytearray_type.as_object().call((rp(vm, o)?,), vm))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_FromStringAndSize(s: *const c_char, n: Py_ssize_t) -> *mut PyObject {
    new_ref("PyByteArray_FromStringAndSize", |vm| {
        let data = if s.is_null() { vec![0; n.max(0) as usize] } else { bytes_arg(vm, s, n)?.to_vec() };
        Ok(PyByteArray::from(data).into_ref(&vm.ctx).into())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyByteArray_Size", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyByteArray>().ok_or_else(|| type_error(vm, "expected bytearray"))?;
        Ok(b.borrow_buf().len() as isize)
    })
}

/// Pointer to the bytearray's storage; valid until the bytearray is resized.
#[unsafe(no_mangle)]
pub extern "C" fn PyByteArray_AsString(o: *mut PyObject) -> *mut c_char {
    api("PyByteArray_AsString", |vm| {
        let obj = rp(vm, o)?;
        let b = obj.downcast_ref::<PyByteArray>().ok_or_else(|| type_error(vm, "expected bytearray"))?;
        let ptr = b.borrow_buf().as_ptr().cast_mut();
        Ok(ptr.cast())
    })
}

/// `_PyBytes_Resize`: resizes the bytes `*pv` that the caller alone owns
/// to `newsize` bytes, keeping the common prefix; `*pv` may move.
/// 0, or -1 with `*pv` released and set to NULL (SystemError for a bad argument).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _PyBytes_Resize(pv: *mut *mut PyObject, newsize: Py_ssize_t) -> std::ffi::c_int {
    api("_PyBytes_Resize", |vm| {
        // SAFETY: pv points to the caller's owned reference.
        let v = unsafe { *pv };
        let fail = |msg: &str| {
            // SAFETY: the caller's reference is consumed on failure.
            unsafe {
                *pv = std::ptr::null_mut();
                bridge::xdecref(v);
            }
            Err(crate::runtime::system_error(vm, msg))
        };
        if v.is_null() || newsize < 0 {
            return fail("bad argument to internal function");
        }
        let is_bytes = if bridge::builders::is_unrealised(v) {
            // SAFETY: v is a facade object; builders keep their type pointer.
            unsafe { (*v).ob_type == crate::types::static_type!(PyBytes_Type) }
        } else {
            rp(vm, v).is_ok_and(|o| o.downcast_ref::<PyBytes>().is_some())
        };
        if !is_bytes {
            return fail("bad argument to internal function");
        }
        // SAFETY: bytes layout (builder or mirror).
        let old = unsafe { (*v.cast::<PyVarObject>()).ob_size } as usize;
        // As in a CPython release build, a shared object is not refused (the
        // caller is required to own it alone): other holders keep the old one.
        let n = newsize as usize;
        if n == old {
            return Ok(0);
        }
        let new = if n == 0 {
            bridge::to_c(vm, vm.ctx.empty_bytes.as_object())
        } else {
            let b = bridge::builders::new_bytes(crate::types::static_type!(PyBytes_Type), n);
            // SAFETY: both have at least min(old, n) bytes of data inline.
            unsafe {
                std::ptr::copy_nonoverlapping(v.cast::<u8>().add(BYTES_SVAL_OFFSET), b.cast::<u8>().add(BYTES_SVAL_OFFSET), old.min(n));
            }
            b
        };
        // SAFETY: the caller's reference moves to the new object.
        unsafe {
            bridge::decref(v);
            *pv = new;
        }
        Ok(0)
    })
}

/// `_PyByteArray_empty_string`: the storage `PyByteArray_AS_STRING` gives
/// for an empty bytearray (an empty C string).
#[unsafe(no_mangle)]
pub static _PyByteArray_empty_string: [c_char; 1] = [0];
