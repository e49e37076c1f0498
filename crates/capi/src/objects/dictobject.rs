//! `dictobject.h`. Borrowed results (`PyDict_GetItem`, `PyDict_Next`) are
//! owned by the dict's mirror.

use rustpython_vm::builtins::PyDict;
use rustpython_vm::{AsObject, PyObject as RpObject, PyObjectRef, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::{cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, system_error};

/// Borrowed reference to `v` (a key or value of `d`), owned by dict `o`'s
/// mirror. The mirror's set of borrowed references is pruned to the dict's
/// current keys and values whenever it has grown past four times the dict's
/// size, so it stays O(len) on a long-lived dict (amortised O(1) per call).
fn borrow(vm: &VirtualMachine, o: *mut PyObject, d: &PyDict, v: &RpObject) -> *mut PyObject {
    let p = bridge::borrow_from(vm, o, v);
    if bridge::borrowed_count(o) > 4 * d.__len__() + 16 {
        let addr = |x: &RpObject| x as *const RpObject as usize;
        let live: bridge::AddrSet = d.items_vec().iter().flat_map(|(k, v)| [addr(k), addr(v)]).collect();
        bridge::prune_borrowed(o, |x| live.contains(&addr(x)));
    }
    p
}

fn dict(vm: &VirtualMachine, o: *mut PyObject, f: &str) -> PyResult<PyRef<PyDict>> {
    rp(vm, o)?
        .downcast::<PyDict>()
        .map_err(|x| system_error(vm, format!("{f}: bad argument (expected dict, got {})", x.class().name())))
}

/// New empty dict.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_New() -> *mut PyObject {
    new_ref("PyDict_New", |vm| Ok(vm.ctx.new_dict().into()))
}

fn set(vm: &VirtualMachine, o: *mut PyObject, key: PyObjectRef, v: *mut PyObject) -> PyResult<c_int> {
    let d = dict(vm, o, "PyDict_SetItem")?;
    d.set_item(&*key, rp(vm, v)?, vm)?;
    bridge::refresh_now(vm, o, d.as_object());
    Ok(0)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_SetItem(o: *mut PyObject, key: *mut PyObject, v: *mut PyObject) -> c_int {
    api("PyDict_SetItem", |vm| set(vm, o, rp(vm, key)?, v))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_SetItemString(o: *mut PyObject, key: *const c_char, v: *mut PyObject) -> c_int {
    api("PyDict_SetItemString", |vm| set(vm, o, vm.ctx.new_str(cstr(vm, key)?).into(), v))
}

fn del(vm: &VirtualMachine, o: *mut PyObject, key: PyObjectRef) -> PyResult<c_int> {
    let d = dict(vm, o, "PyDict_DelItem")?;
    d.del_item(&*key, vm)?;
    bridge::refresh_now(vm, o, d.as_object());
    Ok(0)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_DelItem(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PyDict_DelItem", |vm| del(vm, o, rp(vm, key)?))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_DelItemString(o: *mut PyObject, key: *const c_char) -> c_int {
    api("PyDict_DelItemString", |vm| del(vm, o, vm.ctx.new_str(cstr(vm, key)?).into()))
}

fn lookup(vm: &VirtualMachine, o: *mut PyObject, key: &PyObjectRef) -> PyResult<Option<PyObjectRef>> {
    dict(vm, o, "PyDict_GetItem")?.get_item_opt(&**key, vm)
}

/// Borrowed reference to `d[key]` owned by the dict, NULL if missing.
fn lookup_borrowed(vm: &VirtualMachine, o: *mut PyObject, key: &PyObjectRef) -> PyResult<*mut PyObject> {
    let d = dict(vm, o, "PyDict_GetItem")?;
    Ok(match d.get_item_opt(&**key, vm)? {
        Some(v) => borrow(vm, o, &d, &v),
        None => std::ptr::null_mut(),
    })
}

/// Borrowed reference or NULL. Errors do not propagate: as in CPython 3.13+,
/// they are reported as unraisable and the caller's indicator is preserved.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_GetItem(o: *mut PyObject, key: *mut PyObject) -> *mut PyObject {
    api_noerr("PyDict_GetItem", std::ptr::null_mut(), |vm| {
        let saved = crate::runtime::errors::take();
        let r = rp(vm, key).and_then(|k| lookup_borrowed(vm, o, &k));
        let p = match r {
            Ok(p) => p,
            Err(e) => {
                let msg = "Exception ignored in PyDict_GetItem(); consider using PyDict_GetItemRef() or PyDict_GetItemWithError()";
                vm.run_unraisable(e, Some(msg.to_owned()), vm.ctx.none());
                std::ptr::null_mut()
            }
        };
        crate::runtime::errors::restore(saved);
        p
    })
}

/// Borrowed reference or NULL (no error) when missing; NULL with an error on failure.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_GetItemWithError(o: *mut PyObject, key: *mut PyObject) -> *mut PyObject {
    api("PyDict_GetItemWithError", |vm| {
        lookup_borrowed(vm, o, &rp(vm, key)?)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_GetItemString(o: *mut PyObject, key: *const c_char) -> *mut PyObject {
    api_noerr("PyDict_GetItemString", std::ptr::null_mut(), |vm| {
        let Ok(k) = cstr(vm, key) else { return std::ptr::null_mut() };
        lookup_borrowed(vm, o, &vm.ctx.new_str(k).into()).unwrap_or(std::ptr::null_mut())
    })
}

fn get_ref(vm: &VirtualMachine, o: *mut PyObject, key: PyObjectRef, result: *mut *mut PyObject) -> PyResult<c_int> {
    // SAFETY: result is a valid out pointer.
    unsafe { *result = std::ptr::null_mut() };
    Ok(match lookup(vm, o, &key)? {
        Some(v) => {
            // SAFETY: as above.
            unsafe { *result = bridge::to_c(vm, &v) };
            1
        }
        None => 0,
    })
}

/// 1 and a new reference in `*result`, 0 if missing, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_GetItemRef(o: *mut PyObject, key: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    api("PyDict_GetItemRef", |vm| get_ref(vm, o, rp(vm, key)?, result))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_GetItemStringRef(o: *mut PyObject, key: *const c_char, result: *mut *mut PyObject) -> c_int {
    api("PyDict_GetItemStringRef", |vm| get_ref(vm, o, vm.ctx.new_str(cstr(vm, key)?).into(), result))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Contains(o: *mut PyObject, key: *mut PyObject) -> c_int {
    api("PyDict_Contains", |vm| Ok(lookup(vm, o, &rp(vm, key)?)?.is_some() as c_int))
}

/// New reference to `d.setdefault(key, default)` semantics (3.13 form).
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_SetDefaultRef(o: *mut PyObject, key: *mut PyObject, default: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    api("PyDict_SetDefaultRef", |vm| {
        let k = rp(vm, key)?;
        if let Some(v) = lookup(vm, o, &k)? {
            if !result.is_null() {
                // SAFETY: out pointer.
                unsafe { *result = bridge::to_c(vm, &v) };
            }
            return Ok(1);
        }
        set(vm, o, k, default)?;
        if !result.is_null() {
            // SAFETY: out pointer; default is a valid object.
            unsafe {
                bridge::incref(default);
                *result = default;
            }
        }
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Size(o: *mut PyObject) -> Py_ssize_t {
    api("PyDict_Size", |vm| Ok(dict(vm, o, "PyDict_Size")?.__len__() as isize))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Clear(o: *mut PyObject) {
    api("PyDict_Clear", |vm| {
        let d = dict(vm, o, "PyDict_Clear")?;
        d.clear();
        bridge::refresh_now(vm, o, d.as_object());
        Ok(())
    })
}

/// Iterates `(key, value)` as borrowed references owned by the dict;
/// `*pos` is an opaque cursor starting at 0 (RustPython's entry index, so
/// each step is O(1)).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyDict_Next(o: *mut PyObject, pos: *mut Py_ssize_t, key: *mut *mut PyObject, value: *mut *mut PyObject) -> c_int {
    api_noerr("PyDict_Next", 0, |vm| {
        let Ok(d) = dict(vm, o, "PyDict_Next") else { return 0 };
        // SAFETY: pos is a valid cursor pointer.
        let i = unsafe { *pos };
        if i < 0 {
            return 0;
        }
        let Some((next, k, v)) = d.next_entry(i as usize) else { return 0 };
        // SAFETY: out pointers (each may be NULL).
        unsafe {
            *pos = next as Py_ssize_t;
            if !key.is_null() {
                *key = borrow(vm, o, &d, &k);
            }
            if !value.is_null() {
                *value = borrow(vm, o, &d, &v);
            }
        }
        1
    })
}

macro_rules! dict_view {
    ($($name:ident => $meth:literal),*) => {$(
        /// New list of the dict's entries.
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(o: *mut PyObject) -> *mut PyObject {
            new_ref(stringify!($name), |vm| {
                let v = vm.call_method(dict(vm, o, stringify!($name))?.as_object(), $meth, ())?;
                vm.ctx.types.list_type.as_object().call((v,), vm)
            })
        }
    )*};
}
dict_view!(PyDict_Keys => "keys", PyDict_Values => "values", PyDict_Items => "items");

/// New reference to a shallow copy.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Copy(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyDict_Copy", |vm| vm.call_method(dict(vm, o, "PyDict_Copy")?.as_object(), "copy", ()))
}

/// `a.update(b)` (override) or only missing keys.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Merge(a: *mut PyObject, b: *mut PyObject, override_: c_int) -> c_int {
    api("PyDict_Merge", |vm| {
        let d = dict(vm, a, "PyDict_Merge")?;
        let other = rp(vm, b)?;
        let keys = vm.call_method(&other, "keys", ())?;
        for k in keys.get_iter(vm)?.iter::<PyObjectRef>(vm)? {
            let k = k?;
            if override_ != 0 || d.get_item_opt(&*k, vm)?.is_none() {
                let v = other.get_item(&*k, vm)?;
                d.set_item(&*k, v, vm)?;
            }
        }
        bridge::refresh_now(vm, a, d.as_object());
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Update(a: *mut PyObject, b: *mut PyObject) -> c_int {
    PyDict_Merge(a, b, 1)
}

/// New reference to a read-only `mappingproxy` of `o`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDictProxy_New(o: *mut PyObject) -> *mut PyObject {
    new_ref("PyDictProxy_New", |vm| vm.ctx.types.mappingproxy_type.as_object().call((rp(vm, o)?,), vm))
}

/// `_PyDict_NewPresized`: a new empty dict (RustPython sizes dicts itself).
#[unsafe(no_mangle)]
pub extern "C" fn _PyDict_NewPresized(_minused: Py_ssize_t) -> *mut PyObject {
    PyDict_New()
}

/// `_PyDict_GetItem_KnownHash`: `PyDict_GetItemWithError` with the key's
/// hash precomputed by the caller (RustPython hashes again; the result is
/// the same for a correct hash). Borrowed reference.
#[unsafe(no_mangle)]
pub extern "C" fn _PyDict_GetItem_KnownHash(o: *mut PyObject, key: *mut PyObject, _hash: Py_hash_t) -> *mut PyObject {
    PyDict_GetItemWithError(o, key)
}

/// `_PyDict_SetItem_KnownHash`: `PyDict_SetItem` with a precomputed hash (see above).
#[unsafe(no_mangle)]
pub extern "C" fn _PyDict_SetItem_KnownHash(o: *mut PyObject, key: *mut PyObject, v: *mut PyObject, _hash: Py_hash_t) -> c_int {
    PyDict_SetItem(o, key, v)
}

/// `_PyDict_SetItem_KnownHash_LockHeld`: as `_PyDict_SetItem_KnownHash` (the
/// GIL build has no per-dict lock).
#[unsafe(no_mangle)]
pub extern "C" fn _PyDict_SetItem_KnownHash_LockHeld(o: *mut PyObject, key: *mut PyObject, v: *mut PyObject, hash: Py_hash_t) -> c_int {
    _PyDict_SetItem_KnownHash(o, key, v, hash)
}
