//! `moduleobject.h`: modules, `PyModuleDef` (single- and multi-phase init)
//! and per-module state.
//!
//! Extension modules are kept alive for the life of the process (as CPython
//! keeps them in its per-interpreter module table); their state and def are
//! found by the module's identity.

use parking_lot::Mutex;
use rustpython_vm::builtins::{PyModule, PyStr};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_long, c_void};
use std::sync::LazyLock;

use super::{cstr, new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{api, system_error, type_error};

struct ModuleInfo {
    _module: PyObjectRef,
    def: usize,
    state: usize,
}

static MODULES: LazyLock<Mutex<HashMap<usize, ModuleInfo>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn key(o: &PyObjectRef) -> usize {
    o.as_object() as *const _ as usize
}

fn module(vm: &VirtualMachine, o: *mut PyObject, f: &str) -> PyResult<PyObjectRef> {
    let m = rp(vm, o)?;
    if m.downcast_ref::<PyModule>().is_none() {
        return Err(type_error(vm, format!("{f}: expected a module, got '{}'", m.class().name())));
    }
    Ok(m)
}

/// Marks `def` as a module definition (multi-phase init) and returns it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModuleDef_Init(def: *mut PyModuleDef) -> *mut PyObject {
    // SAFETY: def is the extension's static definition.
    unsafe {
        let o = def.cast::<PyObject>();
        if (*o).ob_type.is_null() {
            (*o).ob_type = crate::types::static_type!(PyModuleDef_Type);
            bridge::make_immortal(o);
        }
        o
    }
}

/// The module definition if `p` (a `PyInit_*` result) is one.
pub(crate) fn as_def(p: *mut PyObject) -> Option<*mut PyModuleDef> {
    // SAFETY: p is a valid object pointer returned by PyInit_*.
    (unsafe { (*p).ob_type } == crate::types::static_type!(PyModuleDef_Type)).then_some(p.cast())
}

fn def_name(vm: &VirtualMachine, def: *mut PyModuleDef) -> PyResult<&'static str> {
    // SAFETY: static module definition.
    let n = unsafe { (*def).m_name };
    if n.is_null() {
        return Err(system_error(vm, "module definition has no name"));
    }
    // SAFETY: NUL-terminated static name.
    unsafe { CStr::from_ptr(n) }.to_str().map_err(|_| system_error(vm, "module name is not UTF-8"))
}

fn new_module(vm: &VirtualMachine, name: &str) -> PyObjectRef {
    let m = vm.new_module(name, vm.ctx.new_dict(), None);
    m.into()
}

/// Registers the def and allocates the state (`m_size` bytes, zeroed).
fn attach_def(vm: &VirtualMachine, m: &PyObjectRef, def: *mut PyModuleDef) -> PyResult<()> {
    // SAFETY: static module definition.
    let (size, doc, methods) = unsafe { ((*def).m_size, (*def).m_doc, (*def).m_methods) };
    let state = if size > 0 {
        // SAFETY: plain zeroed allocation, owned by the module for the process lifetime.
        unsafe { libc::calloc(1, size as usize) as usize }
    } else {
        0
    };
    MODULES.lock().insert(key(m), ModuleInfo { _module: m.clone(), def: def as usize, state });
    if !doc.is_null() {
        // SAFETY: static doc string.
        let d = unsafe { CStr::from_ptr(doc) }.to_string_lossy().into_owned();
        m.set_attr("__doc__", vm.ctx.new_str(d), vm)?;
    }
    add_functions(vm, m, methods)
}

fn add_functions(vm: &VirtualMachine, m: &PyObjectRef, mut ml: *mut PyMethodDef) -> PyResult<()> {
    if ml.is_null() {
        return Ok(());
    }
    let modname = m.get_attr("__name__", vm)?;
    let slf = bridge::to_c(vm, m);
    // SAFETY: the method table ends with a zeroed entry.
    while !unsafe { (*ml).ml_name }.is_null() {
        // SAFETY: within the table.
        let name = unsafe { CStr::from_ptr((*ml).ml_name) }.to_string_lossy().into_owned();
        let f = super::methodobject::make_function(vm, ml, slf, Some(modname.clone()), std::ptr::null_mut())?;
        m.set_attr(&*vm.ctx.new_str(name), f, vm)?;
        // SAFETY: next entry.
        ml = unsafe { ml.add(1) };
    }
    // SAFETY: the functions hold their own references to the module.
    unsafe { bridge::decref(slf) };
    Ok(())
}

/// Multi-phase init, step 1: creates the module for `spec` (Py_mod_create or a plain module).
pub(crate) fn from_def_and_spec(vm: &VirtualMachine, def: *mut PyModuleDef, spec: &PyObjectRef) -> PyResult<PyObjectRef> {
    let mut create: Option<unsafe extern "C" fn(*mut PyObject, *mut PyModuleDef) -> *mut PyObject> = None;
    // SAFETY: static slot table ending with slot 0.
    unsafe {
        let mut s = (*def).m_slots;
        while !s.is_null() && (*s).slot != 0 {
            match (*s).slot {
                Py_mod_create => create = Some(std::mem::transmute::<*mut c_void, _>((*s).value)),
                Py_mod_exec | Py_mod_multiple_interpreters | Py_mod_gil => {}
                other => return Err(system_error(vm, format!("module {} uses unknown slot ID {other}", def_name(vm, def)?))),
            }
            s = s.add(1);
        }
    }
    let name = spec.get_attr("name", vm)?;
    let m = match create {
        Some(f) => {
            let sp = bridge::to_c(vm, spec);
            // SAFETY: Py_mod_create signature.
            let r = unsafe { f(sp, def) };
            // SAFETY: our reference.
            unsafe { bridge::decref(sp) };
            super::methodobject::c_result(vm, r, "Py_mod_create")?
        }
        None => {
            let n = name.downcast_ref::<PyStr>().ok_or_else(|| type_error(vm, "spec.name must be a str"))?;
            new_module(vm, &n.as_wtf8().to_string())
        }
    };
    if m.downcast_ref::<PyModule>().is_some() {
        attach_def(vm, &m, def)?;
    }
    Ok(m)
}

/// Multi-phase init, step 2: runs the `Py_mod_exec` slots in order.
pub(crate) fn exec_def(vm: &VirtualMachine, m: &PyObjectRef, def: *mut PyModuleDef) -> PyResult<()> {
    let mp = bridge::to_c(vm, m);
    let _gil = crate::runtime::gil::ensure(vm);
    // SAFETY: static slot table ending with slot 0.
    let r = unsafe {
        let mut s = (*def).m_slots;
        let mut r = Ok(());
        while !s.is_null() && (*s).slot != 0 {
            if (*s).slot == Py_mod_exec {
                let f: unsafe extern "C" fn(*mut PyObject) -> c_int = std::mem::transmute((*s).value);
                if f(mp) != 0 {
                    r = Err(crate::runtime::errors::take().unwrap_or_else(|| system_error(vm, "execution of module failed without setting an exception")));
                    break;
                }
            }
            s = s.add(1);
        }
        r
    };
    // SAFETY: our reference.
    unsafe { bridge::decref(mp) };
    r
}

/// New reference to a module made from `def` for `spec` (multi-phase step 1).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModule_FromDefAndSpec2(def: *mut PyModuleDef, spec: *mut PyObject, _api: c_int) -> *mut PyObject {
    new_ref("PyModule_FromDefAndSpec2", |vm| from_def_and_spec(vm, def, &rp(vm, spec)?))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModule_ExecDef(m: *mut PyObject, def: *mut PyModuleDef) -> c_int {
    api("PyModule_ExecDef", |vm| exec_def(vm, &rp(vm, m)?, def).map(|_| 0))
}

thread_local! {
    /// CPython's `_Py_PackageContext`: the full name of the extension module
    /// whose single-phase init is running.
    static PACKAGE_CONTEXT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (an extension's `PyInit_*`) with `name` as the package context,
/// so that the module `PyModule_Create2` makes is named `pkg.mod`, as the
/// import system will register it, not just `mod`.
pub(crate) fn with_package_context<R>(name: &str, f: impl FnOnce() -> R) -> R {
    let saved = PACKAGE_CONTEXT.with(|c| c.replace(Some(name.to_owned())));
    let r = f();
    PACKAGE_CONTEXT.with(|c| *c.borrow_mut() = saved);
    r
}

/// The name of a module made from `def`: the package context if its last
/// part is the definition's name (used once, as on CPython), else that name.
fn module_name(vm: &VirtualMachine, def: *mut PyModuleDef) -> PyResult<String> {
    let short = def_name(vm, def)?;
    let full = PACKAGE_CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        let matches = c.as_deref().is_some_and(|ctx| ctx.rsplit_once('.').is_some_and(|(_, last)| last == short));
        if matches { c.take() } else { None }
    });
    Ok(full.unwrap_or_else(|| short.to_owned()))
}

/// Single-phase init: new reference to a module made from `def`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModule_Create2(def: *mut PyModuleDef, _api: c_int) -> *mut PyObject {
    new_ref("PyModule_Create2", |vm| {
        let m = new_module(vm, &module_name(vm, def)?);
        attach_def(vm, &m, def)?;
        Ok(m)
    })
}

/// New reference to a new module named `name`.
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_NewObject(name: *mut PyObject) -> *mut PyObject {
    new_ref("PyModule_NewObject", |vm| {
        let n = rp(vm, name)?;
        let n = n.downcast_ref::<PyStr>().ok_or_else(|| type_error(vm, "module name must be a str"))?;
        Ok(new_module(vm, &n.as_wtf8().to_string()))
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyModule_New(name: *const c_char) -> *mut PyObject {
    new_ref("PyModule_New", |vm| Ok(new_module(vm, cstr(vm, name)?)))
}

/// The module's state block (`m_size` bytes), or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetState(m: *mut PyObject) -> *mut c_void {
    api("PyModule_GetState", |vm| {
        let m = module(vm, m, "PyModule_GetState")?;
        Ok(MODULES.lock().get(&key(&m)).map_or(0, |i| i.state) as *mut c_void)
    })
}

/// The module's definition, or NULL (no error) if it has none.
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetDef(m: *mut PyObject) -> *mut PyModuleDef {
    api("PyModule_GetDef", |vm| {
        let m = module(vm, m, "PyModule_GetDef")?;
        Ok(MODULES.lock().get(&key(&m)).map_or(0, |i| i.def) as *mut c_void)
    })
    .cast()
}

/// Borrowed reference to the module's `__dict__` (owned by the module).
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetDict(m: *mut PyObject) -> *mut PyObject {
    api("PyModule_GetDict", |vm| {
        let md = module(vm, m, "PyModule_GetDict")?;
        let d = md.dict().ok_or_else(|| system_error(vm, "module has no __dict__"))?;
        Ok(bridge::borrow_from(vm, m, d.as_object()))
    })
}

/// New reference to `module.__name__`.
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetNameObject(m: *mut PyObject) -> *mut PyObject {
    new_ref("PyModule_GetNameObject", |vm| module(vm, m, "PyModule_GetNameObject")?.get_attr("__name__", vm))
}

/// UTF-8 `__name__`, owned by the module.
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetName(m: *mut PyObject) -> *const c_char {
    api("PyModule_GetName", |vm| {
        let n = module(vm, m, "PyModule_GetName")?.get_attr("__name__", vm)?;
        let p = bridge::borrow_from(vm, m, &n);
        Ok(super::unicodeobject::PyUnicode_AsUTF8(p))
    })
}

/// The str `__file__` in the module's dict; SystemError "module filename
/// missing" when absent or not a str, as CPython.
fn filename(vm: &VirtualMachine, m: *mut PyObject, f: &str) -> PyResult<PyObjectRef> {
    let md = module(vm, m, f)?;
    let d = md.dict().ok_or_else(|| system_error(vm, "module filename missing"))?;
    match d.get_item_opt("__file__", vm)? {
        Some(v) if v.downcast_ref::<PyStr>().is_some() => Ok(v),
        _ => Err(system_error(vm, "module filename missing")),
    }
}

/// New reference to the module's `__file__` (a str).
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetFilenameObject(m: *mut PyObject) -> *mut PyObject {
    new_ref("PyModule_GetFilenameObject", |vm| filename(vm, m, "PyModule_GetFilenameObject"))
}

/// UTF-8 `__file__`, owned by the module (deprecated in CPython).
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_GetFilename(m: *mut PyObject) -> *const c_char {
    api("PyModule_GetFilename", |vm| {
        let n = filename(vm, m, "PyModule_GetFilename")?;
        let p = bridge::borrow_from(vm, m, &n);
        Ok(super::unicodeobject::PyUnicode_AsUTF8(p))
    })
}

/// Readies `ty` and adds it to the module under its short name (the part of
/// `tp_name` after the last dot); the type is not stolen. 0 or -1.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModule_AddType(m: *mut PyObject, ty: *mut PyTypeObject) -> c_int {
    // SAFETY: ty is a type object.
    if unsafe { (*ty).tp_flags } & Py_TPFLAGS_READY == 0 && unsafe { crate::types::heaptype::PyType_Ready(ty) } < 0 {
        return -1;
    }
    // SAFETY: a ready type has a NUL-terminated tp_name.
    let full = unsafe { CStr::from_ptr((*ty).tp_name) }.to_bytes();
    let short = full.rsplit(|&c| c == b'.').next().unwrap_or(full);
    let Ok(name) = std::ffi::CString::new(short) else { return -1 };
    PyModule_AddObjectRef(m, name.as_ptr(), ty.cast())
}

/// Adds `value` as `name` (value is borrowed).
#[unsafe(no_mangle)]
pub extern "C" fn PyModule_AddObjectRef(m: *mut PyObject, name: *const c_char, value: *mut PyObject) -> c_int {
    api("PyModule_AddObjectRef", |vm| {
        if value.is_null() {
            return Err(system_error(vm, "PyModule_AddObjectRef() must be called with an exception raised if value is NULL"));
        }
        let md = module(vm, m, "PyModule_AddObjectRef")?;
        md.set_attr(&*vm.ctx.new_str(cstr(vm, name)?), rp(vm, value)?, vm)?;
        Ok(0)
    })
}

/// Adds `value` as `name`, stealing the reference on success.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModule_AddObject(m: *mut PyObject, name: *const c_char, value: *mut PyObject) -> c_int {
    let r = PyModule_AddObjectRef(m, name, value);
    if r == 0 {
        // SAFETY: stolen on success.
        unsafe { bridge::decref(value) };
    }
    r
}

/// Adds `value` as `name`, always stealing the reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyModule_Add(m: *mut PyObject, name: *const c_char, value: *mut PyObject) -> c_int {
    let r = PyModule_AddObjectRef(m, name, value);
    // SAFETY: always stolen.
    unsafe { bridge::xdecref(value) };
    r
}

#[unsafe(no_mangle)]
pub extern "C" fn PyModule_AddIntConstant(m: *mut PyObject, name: *const c_char, value: c_long) -> c_int {
    api("PyModule_AddIntConstant", |vm| {
        module(vm, m, "PyModule_AddIntConstant")?.set_attr(&*vm.ctx.new_str(cstr(vm, name)?), vm.ctx.new_int(value), vm)?;
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyModule_AddStringConstant(m: *mut PyObject, name: *const c_char, value: *const c_char) -> c_int {
    api("PyModule_AddStringConstant", |vm| {
        module(vm, m, "PyModule_AddStringConstant")?.set_attr(&*vm.ctx.new_str(cstr(vm, name)?), vm.ctx.new_str(cstr(vm, value)?), vm)?;
        Ok(0)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyModule_AddFunctions(m: *mut PyObject, ml: *mut PyMethodDef) -> c_int {
    api("PyModule_AddFunctions", |vm| add_functions(vm, &module(vm, m, "PyModule_AddFunctions")?, ml).map(|_| 0))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyModule_SetDocString(m: *mut PyObject, doc: *const c_char) -> c_int {
    api("PyModule_SetDocString", |vm| {
        module(vm, m, "PyModule_SetDocString")?.set_attr("__doc__", vm.ctx.new_str(cstr(vm, doc)?), vm)?;
        Ok(0)
    })
}
