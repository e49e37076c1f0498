//! `dictobject.h`. Borrowed results (`PyDict_GetItem`, `PyDict_Next`) are
//! owned by the dict's mirror.

use rustpython_vm::builtins::PyDict;
use rustpython_vm::{AsObject, PyObject as RpObject, PyObjectRef, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::object::Watchers;
use super::{cbool, cstr, new_ref, py, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, api_noerr, system_error, type_error};

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

/// The dict a `PyDict_*` function operates on (a hidden dict stays hidden:
/// none of them hands it to Python code).
fn dict(vm: &VirtualMachine, o: *mut PyObject, f: &str) -> PyResult<PyRef<PyDict>> {
    bridge::operand(vm, o)?
        .downcast::<PyDict>()
        .map_err(|x| system_error(vm, format!("{f}: bad argument to internal function (expected dict, got {})", x.class().name())))
}

// ---- watchers ---------------------------------------------------------------------

/// `PyDict_WatchCallback`.
#[allow(non_camel_case_types)]
pub type PyDict_WatchCallback = unsafe extern "C" fn(c_int, *mut PyObject, *mut PyObject, *mut PyObject) -> c_int;

/// Ids 0 and 1 are reserved, as in CPython.
static WATCHERS: Watchers<PyDict_WatchCallback> = Watchers::new("dict", 2);

const EVENT_NAMES: [&str; 6] = ["ADDED", "MODIFIED", "DELETED", "CLONED", "CLEARED", "DEALLOCATED"];
pub(crate) const EVENT_ADDED: c_int = 0;
pub(crate) const EVENT_MODIFIED: c_int = 1;
pub(crate) const EVENT_DELETED: c_int = 2;
pub(crate) const EVENT_CLONED: c_int = 3;
pub(crate) const EVENT_CLEARED: c_int = 4;

/// Reports `event` on dict `d` (mirror `o`) to its watchers before the
/// change, as CPython does; a failing callback is reported as unraisable.
/// O(1) for unwatched dicts.
pub(crate) fn notify(vm: &VirtualMachine, o: *mut PyObject, d: &RpObject, event: c_int, key: Option<&RpObject>, value: Option<&RpObject>) {
    let cbs = WATCHERS.callbacks(d as *const RpObject as usize);
    if cbs.is_empty() {
        return;
    }
    let k = key.map_or(std::ptr::null_mut(), |k| bridge::to_c(vm, k));
    let v = value.map_or(std::ptr::null_mut(), |v| bridge::to_c(vm, v));
    for cb in cbs {
        let saved = crate::runtime::errors::take();
        // SAFETY: the watcher's callback with CPython's contract; the pointers are live for the call.
        let r = py(vm, || unsafe { cb(event, o, k, v) });
        if r < 0 {
            if let Some(e) = crate::runtime::errors::take() {
                let msg = format!("Exception ignored in PyDict_EVENT_{} watcher callback for <dict at {o:p}>", EVENT_NAMES[event as usize]);
                vm.run_unraisable(e, Some(msg), vm.ctx.none());
            }
        }
        crate::runtime::errors::restore(saved);
    }
    // SAFETY: the references taken above.
    unsafe {
        bridge::xdecref(k);
        bridge::xdecref(v);
    }
}

/// The event a store of `key` into `d` is: ADDED, MODIFIED, or none (same value).
fn notify_store(vm: &VirtualMachine, o: *mut PyObject, d: &rustpython_vm::Py<PyDict>, key: &RpObject, value: &RpObject) -> PyResult<()> {
    if !WATCHERS.active() || WATCHERS.callbacks(d.as_object() as *const RpObject as usize).is_empty() {
        return Ok(());
    }
    let event = match py(vm, || d.get_item_opt(key, vm))? {
        None => EVENT_ADDED,
        Some(old) if old.is(value) => return Ok(()),
        Some(_) => EVENT_MODIFIED,
    };
    notify(vm, o, d.as_object(), event, Some(key), Some(value));
    Ok(())
}

/// Reports a store (`value`) or deletion (None) of `key` in `obj`, if it is a
/// watched dict (generic item APIs: `PyObject_SetItem`/`DelItem`).
pub(crate) fn notify_item(vm: &VirtualMachine, o: *mut PyObject, obj: &PyObjectRef, key: &RpObject, value: Option<&RpObject>) -> PyResult<()> {
    let Some(d) = obj.downcast_ref::<PyDict>() else { return Ok(()) };
    match value {
        Some(v) => notify_store(vm, o, d, key, v),
        None => {
            if !WATCHERS.callbacks(obj.as_object() as *const RpObject as usize).is_empty() && py(vm, || d.get_item_opt(key, vm))?.is_some() {
                notify(vm, o, obj, EVENT_DELETED, Some(key), None);
            }
            Ok(())
        }
    }
}

/// A new dict watcher id (2..7) for `callback`; RuntimeError when all are used.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_AddWatcher(callback: Option<PyDict_WatchCallback>) -> c_int {
    api("PyDict_AddWatcher", |vm| match callback {
        Some(cb) => WATCHERS.add(vm, cb),
        None => Err(system_error(vm, "PyDict_AddWatcher: NULL callback")),
    })
}

/// Frees watcher `id`: 0, or -1 with ValueError for an invalid or unset id.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_ClearWatcher(id: c_int) -> c_int {
    api("PyDict_ClearWatcher", |vm| WATCHERS.clear(vm, id))
}

fn watch(vm: &VirtualMachine, id: c_int, o: *mut PyObject, on: bool) -> PyResult<c_int> {
    let d = rp(vm, o)?;
    if d.downcast_ref::<PyDict>().is_none() {
        return Err(crate::runtime::new_error(vm, vm.ctx.exceptions.value_error, "Cannot watch non-dictionary"));
    }
    WATCHERS.watch(vm, id, &*d as *const RpObject as usize, on)
}

/// Reports changes of dict `o` to watcher `id`. Delivered: changes made
/// through the C-API (`PyDict_*`, `PyObject_SetItem`/`DelItem`); not
/// delivered: changes made by Python code (RustPython's dict has no hook)
/// and deallocation.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Watch(id: c_int, o: *mut PyObject) -> c_int {
    api("PyDict_Watch", |vm| watch(vm, id, o, true))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Unwatch(id: c_int, o: *mut PyObject) -> c_int {
    api("PyDict_Unwatch", |vm| watch(vm, id, o, false))
}

/// New empty dict.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_New() -> *mut PyObject {
    let p = new_ref("PyDict_New", |vm| Ok(vm.ctx.new_dict().into()));
    bridge::hidden::mark_str_keyed(p);
    p
}

fn set(vm: &VirtualMachine, o: *mut PyObject, key: PyObjectRef, v: *mut PyObject) -> PyResult<c_int> {
    let d = dict(vm, o, "PyDict_SetItem")?;
    let v = rp(vm, v)?;
    notify_store(vm, o, &d, &key, &v)?;
    if key.class().is(vm.ctx.types.str_type) && bridge::hidden::is_str_keyed(o) {
        // Runs no Python code (a replaced value's finaliser aside, as any
        // release of a reference may run): no need to release the GIL.
        d.set_item(&*key, v, vm)?;
    } else {
        bridge::hidden::mixed_keys(o);
        py(vm, || d.set_item(&*key, v, vm))?;
    }
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
    if py(vm, || d.get_item_opt(&*key, vm))?.is_some() {
        notify(vm, o, d.as_object(), EVENT_DELETED, Some(&key), None);
    }
    py(vm, || d.del_item(&*key, vm))?;
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
    let d = dict(vm, o, "PyDict_GetItem")?;
    py(vm, || d.get_item_opt(&**key, vm))
}

/// Borrowed reference to `d[key]` owned by the dict, NULL if missing.
fn lookup_borrowed(vm: &VirtualMachine, o: *mut PyObject, key: &PyObjectRef) -> PyResult<*mut PyObject> {
    let d = dict(vm, o, "PyDict_GetItem")?;
    Ok(match py(vm, || d.get_item_opt(&**key, vm))? {
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

/// `d.setdefault(key, default)`: the value now at `key` and whether it was already there.
fn setdefault(vm: &VirtualMachine, o: *mut PyObject, key: *mut PyObject, default: *mut PyObject) -> PyResult<(PyObjectRef, bool)> {
    let k = rp(vm, key)?;
    if let Some(v) = lookup(vm, o, &k)? {
        return Ok((v, true));
    }
    let v = rp(vm, default)?;
    set(vm, o, k, default)?;
    Ok((v, false))
}

/// `*result` = new reference to `d.setdefault(key, default)`: 1 if the key
/// was present, 0 if `default` was inserted, -1 on error (`*result` NULL).
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_SetDefaultRef(o: *mut PyObject, key: *mut PyObject, default: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    api("PyDict_SetDefaultRef", |vm| {
        out(result, std::ptr::null_mut());
        let (v, present) = setdefault(vm, o, key, default)?;
        out(result, bridge::to_c(vm, &v));
        Ok(cbool(present))
    })
}

/// Borrowed reference (owned by the dict) to `d.setdefault(key, default)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_SetDefault(o: *mut PyObject, key: *mut PyObject, default: *mut PyObject) -> *mut PyObject {
    api("PyDict_SetDefault", |vm| {
        let (v, _) = setdefault(vm, o, key, default)?;
        let d = dict(vm, o, "PyDict_SetDefault")?;
        Ok(borrow(vm, o, &d, &v))
    })
}

/// Stores `v` in the optional out pointer `p`.
fn out(p: *mut *mut PyObject, v: *mut PyObject) {
    if !p.is_null() {
        // SAFETY: a caller-provided out pointer.
        unsafe { *p = v };
    } else {
        // SAFETY: nobody takes the reference.
        unsafe { bridge::xdecref(v) };
    }
}

fn pop(vm: &VirtualMachine, o: *mut PyObject, key: PyResult<PyObjectRef>, result: *mut *mut PyObject) -> PyResult<c_int> {
    out(result, std::ptr::null_mut());
    let d = dict(vm, o, "PyDict_Pop")?;
    let key = key?;
    if d.__len__() == 0 {
        return Ok(0);
    }
    let Some(old) = py(vm, || d.get_item_opt(&*key, vm))? else { return Ok(0) };
    notify(vm, o, d.as_object(), EVENT_DELETED, Some(&key), None);
    let r = py(vm, || d.pop_item(&*key, vm))?.unwrap_or(old);
    bridge::refresh_now(vm, o, d.as_object());
    out(result, bridge::to_c(vm, &r));
    Ok(1)
}

/// Removes `key`: 1 and (if `result` is not NULL) a new reference to its
/// value in `*result`; 0 and `*result` NULL if missing (no KeyError); -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Pop(o: *mut PyObject, key: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    api("PyDict_Pop", |vm| pop(vm, o, rp(vm, key), result))
}

/// `PyDict_Pop` with a UTF-8 key.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_PopString(o: *mut PyObject, key: *const c_char, result: *mut *mut PyObject) -> c_int {
    api("PyDict_PopString", |vm| pop(vm, o, cstr(vm, key).map(|k| vm.ctx.new_str(k).into()), result))
}

/// 1 if the UTF-8 `key` is in the dict, 0 if not, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_ContainsString(o: *mut PyObject, key: *const c_char) -> c_int {
    api("PyDict_ContainsString", |vm| Ok(cbool(lookup(vm, o, &vm.ctx.new_str(cstr(vm, key)?).into())?.is_some())))
}

/// Updates the dict from an iterable of key/value pairs (each of length 2),
/// overriding existing keys only when `override_` is non-zero: 0, or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_MergeFromSeq2(o: *mut PyObject, seq2: *mut PyObject, override_: c_int) -> c_int {
    api("PyDict_MergeFromSeq2", |vm| {
        let d = dict(vm, o, "PyDict_MergeFromSeq2")?;
        bridge::hidden::mixed_keys(o);
        let seq = rp(vm, seq2)?;
        let r = py(vm, || -> PyResult<()> {
            let it = seq.get_iter(vm)?;
            let mut i = 0usize;
            while let rustpython_vm::protocol::PyIterReturn::Return(item) = it.next(vm)? {
                let pair: Vec<PyObjectRef> = match item.get_iter(vm) {
                    Ok(_) => item.try_to_value(vm)?,
                    Err(e) if e.fast_isinstance(vm.ctx.exceptions.type_error) => {
                        return Err(type_error(vm, format!("cannot convert dictionary update sequence element #{i} to a sequence")));
                    }
                    Err(e) => return Err(e),
                };
                if pair.len() != 2 {
                    return Err(crate::runtime::new_error(
                        vm,
                        vm.ctx.exceptions.value_error,
                        format!("dictionary update sequence element #{i} has length {}; 2 is required", pair.len()),
                    ));
                }
                let [k, v]: [PyObjectRef; 2] = pair.try_into().expect("length checked");
                if override_ != 0 || d.get_item_opt(&*k, vm)?.is_none() {
                    notify_store(vm, o, &d, &k, &v)?;
                    d.set_item(&*k, v, vm)?;
                }
                i += 1;
            }
            Ok(())
        });
        bridge::refresh_now(vm, o, d.as_object());
        r.map(|()| 0)
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
        notify(vm, o, d.as_object(), EVENT_CLEARED, None, None);
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
        // `next` is one past the entry's index.
        unsafe {
            *pos = next as Py_ssize_t;
            if !key.is_null() {
                *key = bridge::borrow_entry(vm, o, next - 1, 0, &k);
            }
            if !value.is_null() {
                *value = bridge::borrow_entry(vm, o, next - 1, 1, &v);
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

/// `a.update(b)` (override) or only missing keys; `b` is any mapping with `keys()`.
#[unsafe(no_mangle)]
pub extern "C" fn PyDict_Merge(a: *mut PyObject, b: *mut PyObject, override_: c_int) -> c_int {
    api("PyDict_Merge", |vm| {
        let d = dict(vm, a, "PyDict_Merge")?;
        bridge::hidden::mixed_keys(a);
        let other = rp(vm, b)?;
        if d.__len__() == 0 && other.class().is(vm.ctx.types.dict_type) {
            notify(vm, a, d.as_object(), EVENT_CLONED, Some(&other), None);
        }
        let r = py(vm, || -> PyResult<()> {
            let keys = vm.call_method(&other, "keys", ())?;
            for k in keys.get_iter(vm)?.iter::<PyObjectRef>(vm)? {
                let k = k?;
                if override_ != 0 || d.get_item_opt(&*k, vm)?.is_none() {
                    let v = other.get_item(&*k, vm)?;
                    notify_store(vm, a, &d, &k, &v)?;
                    d.set_item(&*k, v, vm)?;
                }
            }
            Ok(())
        });
        bridge::refresh_now(vm, a, d.as_object());
        r.map(|()| 0)
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
