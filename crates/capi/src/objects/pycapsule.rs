//! `pycapsule.h` on RustPython's capsule type.
//!
//! The capsule's C destructor must receive the capsule's `PyObject*` as C
//! sees it (its mirror), so RustPython is given a trampoline and the real
//! destructor is kept in a side table.

use parking_lot::Mutex;
use rustpython_vm::builtins::PyCapsule;
use rustpython_vm::{AsObject, PyObject as RpObject, PyPayload, PyResult, VirtualMachine};
use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::LazyLock;

use super::{cstr, new_ref, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{api, api_noerr, new_error, system_error};

type Destructor = unsafe extern "C" fn(*mut PyObject);

/// RustPython capsule address -> the C destructor given to PyCapsule_New.
static DESTRUCTORS: LazyLock<Mutex<HashMap<usize, usize>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// RustPython capsule address -> the name `PyCapsule_SetName` gave it
/// (RustPython's own name is fixed at creation); 0 for NULL.
static NAMES: LazyLock<Mutex<HashMap<usize, usize>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The capsule's current name.
fn name_of(c: &rustpython_vm::Py<PyCapsule>) -> Option<&CStr> {
    match NAMES.lock().get(&(c.as_object() as *const RpObject as usize)) {
        // SAFETY: CPython requires a capsule's name to outlive it.
        Some(&n) => (n != 0).then(|| unsafe { CStr::from_ptr(n as *const c_char) }),
        None => c.name(),
    }
}

/// Called by RustPython (with its own object pointer) when a capsule dies.
/// Every capsule made here has it, so that a destructor set later runs.
unsafe extern "C" fn trampoline(rp_capsule: *mut rustpython_vm::PyObject) {
    NAMES.lock().remove(&(rp_capsule as usize));
    let Some(d) = DESTRUCTORS.lock().remove(&(rp_capsule as usize)) else { return };
    // SAFETY: d was stored from a C destructor pointer.
    let d: Destructor = unsafe { std::mem::transmute::<usize, Destructor>(d) };
    rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        let _g = crate::runtime::gil::ensure(vm);
        // SAFETY: RustPython calls this while the capsule is still alive.
        let obj = unsafe { &*rp_capsule };
        let p = bridge::to_c(vm, obj);
        // SAFETY: the capsule's destructor contract; p is a new reference we release.
        unsafe {
            d(p);
            bridge::decref(p);
        }
        crate::runtime::errors::restore(None);
    });
}

fn capsule<'a>(vm: &VirtualMachine, o: &'a RpObject, f: &str) -> PyResult<&'a rustpython_vm::Py<PyCapsule>> {
    o.downcast_ref::<PyCapsule>()
        .ok_or_else(|| new_error(vm, vm.ctx.exceptions.value_error, format!("{f} called with invalid PyCapsule object")))
}

fn name_matches(have: Option<&CStr>, want: *const c_char) -> bool {
    match (have, want.is_null()) {
        (None, true) => true,
        // SAFETY: want is a NUL-terminated C string.
        (Some(h), false) => h == unsafe { CStr::from_ptr(want) },
        _ => false,
    }
}

/// New capsule around `pointer` (non-NULL); `name` must outlive it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_New(pointer: *mut c_void, name: *const c_char, destructor: Option<Destructor>) -> *mut PyObject {
    new_ref("PyCapsule_New", |vm| {
        if pointer.is_null() {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "PyCapsule_New called with null pointer"));
        }
        // SAFETY: CPython requires the name to outlive the capsule.
        let name: Option<&'static CStr> = (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) });
        let tramp: unsafe extern "C" fn(*mut rustpython_vm::PyObject) = trampoline;
        let cap = PyCapsule::new(pointer, name, Some(tramp)).into_ref(&vm.ctx);
        if let Some(d) = destructor {
            DESTRUCTORS.lock().insert(cap.as_object() as *const _ as usize, d as usize);
        }
        Ok(cap.into())
    })
}

/// The stored pointer; ValueError if `name` does not match.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_GetPointer(o: *mut PyObject, name: *const c_char) -> *mut c_void {
    api("PyCapsule_GetPointer", |vm| {
        let obj = rp(vm, o)?;
        let c = capsule(vm, &obj, "PyCapsule_GetPointer")?;
        if !name_matches(name_of(c), name) {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "PyCapsule_GetPointer called with incorrect name"));
        }
        Ok(c.pointer())
    })
}

/// The capsule's name (owned by the capsule's creator).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_GetName(o: *mut PyObject) -> *const c_char {
    api("PyCapsule_GetName", |vm| {
        let obj = rp(vm, o)?;
        Ok(name_of(capsule(vm, &obj, "PyCapsule_GetName")?).map_or(std::ptr::null(), CStr::as_ptr))
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_GetContext(o: *mut PyObject) -> *mut c_void {
    api("PyCapsule_GetContext", |vm| {
        let obj = rp(vm, o)?;
        Ok(capsule(vm, &obj, "PyCapsule_GetContext")?.context())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_SetContext(o: *mut PyObject, context: *mut c_void) -> c_int {
    api("PyCapsule_SetContext", |vm| {
        let obj = rp(vm, o)?;
        capsule(vm, &obj, "PyCapsule_SetContext")?.set_context(context);
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_SetPointer(o: *mut PyObject, pointer: *mut c_void) -> c_int {
    api("PyCapsule_SetPointer", |vm| {
        if pointer.is_null() {
            return Err(new_error(vm, vm.ctx.exceptions.value_error, "PyCapsule_SetPointer called with null pointer"));
        }
        let obj = rp(vm, o)?;
        capsule(vm, &obj, "PyCapsule_SetPointer")?.set_pointer(pointer);
        Ok(0)
    })
}

/// The destructor given to `PyCapsule_New` (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_GetDestructor(o: *mut PyObject) -> Option<Destructor> {
    api_noerr("PyCapsule_GetDestructor", None, |vm| {
        let obj = rp(vm, o).ok()?;
        let d = *DESTRUCTORS.lock().get(&(&*obj as *const RpObject as usize))?;
        // SAFETY: stored from a C destructor pointer.
        Some(unsafe { std::mem::transmute::<usize, Destructor>(d) })
    })
}

/// 1 if `o` is a capsule with this name and a non-NULL pointer, else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_IsValid(o: *mut PyObject, name: *const c_char) -> c_int {
    api_noerr("PyCapsule_IsValid", 0, |vm| {
        let Ok(obj) = rp(vm, o) else { return 0 };
        obj.downcast_ref::<PyCapsule>()
            .is_some_and(|c| !c.pointer().is_null() && name_matches(name_of(c), name)) as c_int
    })
}

/// Imports `"module.attr"` and returns the capsule's pointer if its name is `name`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_Import(name: *const c_char, _no_block: c_int) -> *mut c_void {
    api("PyCapsule_Import", |vm| {
        let full = cstr(vm, name)?;
        let mut parts = full.split('.');
        let first = parts.next().unwrap_or_default();
        // Importing runs Python code: without the GIL.
        let obj = super::py(vm, || -> rustpython_vm::PyResult {
            let mut obj = vm.import(&*vm.ctx.new_str(first), 0)?;
            let mut path = first.to_owned();
            for part in parts {
                path = format!("{path}.{part}");
                obj = match obj.get_attr(&*vm.ctx.new_str(part), vm) {
                    Ok(o) => o,
                    Err(_) => vm.import(&*vm.ctx.new_str(path.as_str()), 0)?,
                };
            }
            Ok(obj)
        })?;
        let c = obj
            .downcast_ref::<PyCapsule>()
            .ok_or_else(|| system_error(vm, format!("PyCapsule_Import \"{full}\" is not valid")))?;
        if !name_matches(name_of(c), name) {
            return Err(new_error(vm, vm.ctx.exceptions.attribute_error, format!("PyCapsule_Import \"{full}\" is not valid")));
        }
        Ok(c.pointer())
    })
}

/// Replaces the capsule's destructor (NULL removes it); 0, or -1 with
/// ValueError for an invalid capsule.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_SetDestructor(o: *mut PyObject, destructor: Option<Destructor>) -> c_int {
    api("PyCapsule_SetDestructor", |vm| {
        let obj = rp(vm, o)?;
        let c = capsule(vm, &obj, "PyCapsule_SetDestructor")?;
        let key = c.as_object() as *const RpObject as usize;
        match destructor {
            Some(d) => DESTRUCTORS.lock().insert(key, d as usize),
            None => DESTRUCTORS.lock().remove(&key),
        };
        Ok(0)
    })
}

/// Replaces the capsule's name (borrowed: it must outlive the capsule; NULL
/// allowed); 0, or -1 with ValueError for an invalid capsule.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCapsule_SetName(o: *mut PyObject, name: *const c_char) -> c_int {
    api("PyCapsule_SetName", |vm| {
        let obj = rp(vm, o)?;
        let c = capsule(vm, &obj, "PyCapsule_SetName")?;
        NAMES.lock().insert(c.as_object() as *const RpObject as usize, name as usize);
        Ok(0)
    })
}
