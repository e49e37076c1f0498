//! `import.h`.

use rustpython_vm::builtins::{PyModule, PyStr, PyStrRef};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int};

use super::{cstr, new_ref, py, rp};
use crate::abi::PyObject;
use crate::runtime::{api, errors, system_error, type_error};

/// New reference to `importlib.import_module(name)` (the full dotted module).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_Import(name: *mut PyObject) -> *mut PyObject {
    new_ref("PyImport_Import", |vm| {
        let n = rp(vm, name)?;
        let n = n.downcast_ref::<PyStr>().ok_or_else(|| type_error(vm, "module name must be a str"))?;
        import(vm, &n.as_wtf8().to_string())
    })
}

/// Imports run Python code (module bodies): without the GIL.
fn import(vm: &rustpython_vm::VirtualMachine, name: &str) -> rustpython_vm::PyResult {
    py(vm, || {
        vm.import(&*vm.ctx.new_str(name), 0)?;
        let modules = vm.sys_module.get_attr("modules", vm)?;
        modules.get_item(name, vm)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportModule(name: *const c_char) -> *mut PyObject {
    new_ref("PyImport_ImportModule", |vm| import(vm, cstr(vm, name)?))
}

/// New reference to `sys.modules`.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_GetModuleDict() -> *mut PyObject {
    crate::runtime::api("PyImport_GetModuleDict", |vm| {
        let m = vm.sys_module.get_attr("modules", vm)?;
        Ok(crate::bridge::borrow_for_thread(vm, &m))
    })
}

/// `sys.modules`.
fn modules(vm: &VirtualMachine) -> PyResult {
    vm.sys_module.get_attr("modules", vm)
}

/// A module-name argument: a str, else `TypeError` as CPython.
fn name_arg(vm: &VirtualMachine, name: *mut PyObject) -> PyResult<PyStrRef> {
    let n = rp(vm, name)?;
    n.downcast::<PyStr>().map_err(|o| type_error(vm, format!("module name must be str, not {}", o.class().name())))
}

/// `sys.modules[name]` if present (`None` when missing; other lookup errors propagate).
fn get_module(vm: &VirtualMachine, name: &rustpython_vm::PyObject) -> PyResult<Option<PyObjectRef>> {
    let m = modules(vm)?;
    py(vm, || match m.get_item(name, vm) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.fast_isinstance(vm.ctx.exceptions.key_error) => Ok(None),
        Err(e) => Err(e),
    })
}

/// `import_add_module`: the module `sys.modules[name]`, or a new empty module
/// stored there.
pub(crate) fn add_module(vm: &VirtualMachine, name: PyStrRef) -> PyResult {
    if let Some(m) = get_module(vm, name.as_object())? {
        if m.downcast_ref::<PyModule>().is_some() {
            return Ok(m);
        }
    }
    let m: PyObjectRef = vm.new_module(&name.as_wtf8().to_string(), vm.ctx.new_dict(), None).into();
    m.set_attr("__name__", name.clone(), vm)?;
    for attr in ["__doc__", "__package__", "__loader__", "__spec__"] {
        m.set_attr(attr, vm.ctx.none(), vm)?;
    }
    let mods = modules(vm)?;
    py(vm, || mods.set_item(name.as_object(), m.clone(), vm))?;
    Ok(m)
}

/// New reference to `sys.modules[name]`, or NULL without an exception if absent.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_GetModule(name: *mut PyObject) -> *mut PyObject {
    api("PyImport_GetModule", |vm| {
        let n = rp(vm, name)?;
        Ok(get_module(vm, &n)?.map_or(std::ptr::null_mut(), |m| crate::bridge::to_c_transient(vm, &m)))
    })
}

/// New reference to the module `name` in `sys.modules`, created empty if absent.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_AddModuleRef(name: *const c_char) -> *mut PyObject {
    new_ref("PyImport_AddModuleRef", |vm| add_module(vm, vm.ctx.new_str(cstr(vm, name)?)))
}

/// Borrowed reference (kept alive by `sys.modules`, as in CPython) to the module `name`.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_AddModuleObject(name: *mut PyObject) -> *mut PyObject {
    api("PyImport_AddModuleObject", |vm| {
        let m = add_module(vm, name_arg(vm, name)?)?;
        Ok(crate::bridge::borrow_for_thread(vm, &m))
    })
}

/// Borrowed reference to the module `name` (see `PyImport_AddModuleObject`).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_AddModule(name: *const c_char) -> *mut PyObject {
    api("PyImport_AddModule", |vm| {
        let m = add_module(vm, vm.ctx.new_str(cstr(vm, name)?))?;
        Ok(crate::bridge::borrow_for_thread(vm, &m))
    })
}

/// New reference: `__import__(name, globals, locals, fromlist, level)` through
/// importlib's own `__import__` (not a `builtins.__import__` override).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportModuleLevelObject(name: *mut PyObject, globals: *mut PyObject, locals: *mut PyObject, fromlist: *mut PyObject, level: c_int) -> *mut PyObject {
    new_ref("PyImport_ImportModuleLevelObject", |vm| {
        if name.is_null() {
            return Err(vm.new_value_error("Empty module name"));
        }
        let n = rp(vm, name)?;
        if n.downcast_ref::<PyStr>().is_none() {
            return Err(type_error(vm, "module name must be a string"));
        }
        if level < 0 {
            return Err(vm.new_value_error("level must be >= 0"));
        }
        let opt = |p: *mut PyObject| if p.is_null() { Ok(vm.ctx.none()) } else { rp(vm, p) };
        let (g, l, f) = (opt(globals)?, opt(locals)?, opt(fromlist)?);
        py(vm, || {
            let bootstrap = vm.import("_frozen_importlib", 0)?;
            bootstrap.get_attr("__import__", vm)?.call((n, g, l, f, level), vm)
        })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportModuleLevel(name: *const c_char, globals: *mut PyObject, locals: *mut PyObject, fromlist: *mut PyObject, level: c_int) -> *mut PyObject {
    let n = new_ref("PyImport_ImportModuleLevel", |vm| Ok(vm.ctx.new_str(cstr(vm, name)?).into()));
    if n.is_null() {
        return n;
    }
    let r = PyImport_ImportModuleLevelObject(n, globals, locals, fromlist, level);
    // SAFETY: the new reference made above.
    unsafe { crate::bridge::decref(n) };
    r
}

/// `PyImport_ImportModule` after a DeprecationWarning (the alias goes in 3.15).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportModuleNoBlock(name: *const c_char) -> *mut PyObject {
    let warned = api("PyImport_ImportModuleNoBlock", |vm| {
        let msg = "PyImport_ImportModuleNoBlock() is deprecated and scheduled for removal in Python 3.15. Use PyImport_ImportModule() instead.";
        let cat = vm.ctx.exceptions.deprecation_warning.to_owned();
        py(vm, || vm.import("warnings", 0)?.get_attr("warn", vm)?.call((msg, cat, 1), vm))?;
        Ok(0)
    });
    if warned < 0 {
        return std::ptr::null_mut();
    }
    PyImport_ImportModule(name)
}

/// New reference to `getattr(import(mod_name), attr_name)` (3.14).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportModuleAttr(mod_name: *mut PyObject, attr_name: *mut PyObject) -> *mut PyObject {
    new_ref("PyImport_ImportModuleAttr", |vm| {
        let n = rp(vm, mod_name)?;
        let n = n.downcast_ref::<PyStr>().ok_or_else(|| type_error(vm, "module name must be a str"))?;
        let a = rp(vm, attr_name)?;
        let m = import(vm, &n.as_wtf8().to_string())?;
        py(vm, || m.get_attr(&*a.try_into_value::<PyStrRef>(vm)?, vm))
    })
}

/// New reference to `getattr(import(mod_name), attr_name)` for C strings (3.14).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportModuleAttrString(mod_name: *const c_char, attr_name: *const c_char) -> *mut PyObject {
    new_ref("PyImport_ImportModuleAttrString", |vm| {
        let m = import(vm, cstr(vm, mod_name)?)?;
        let a = vm.ctx.new_str(cstr(vm, attr_name)?);
        py(vm, || m.get_attr(&*a, vm))
    })
}

/// `importlib._bootstrap_external`.
fn external(vm: &VirtualMachine) -> PyResult {
    py(vm, || vm.import("_frozen_importlib_external", 0))
}

/// New reference to the module `name` after running `co` in it (`__file__`,
/// `__cached__`, `__loader__` and `__spec__` set by importlib's
/// `_fix_up_module`, as CPython); the module is removed from `sys.modules`
/// if the code raises.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ExecCodeModuleObject(name: *mut PyObject, co: *mut PyObject, pathname: *mut PyObject, cpathname: *mut PyObject) -> *mut PyObject {
    new_ref("PyImport_ExecCodeModuleObject", |vm| {
        let n = name_arg(vm, name)?;
        let code = rp(vm, co)?;
        let opt = |p: *mut PyObject| if p.is_null() { Ok(None) } else { rp(vm, p).map(Some) };
        let (path, cpath) = (opt(pathname)?, opt(cpathname)?);
        exec_code_module(vm, n, code, path, cpath)
    })
}

fn exec_code_module(vm: &VirtualMachine, name: PyStrRef, code: PyObjectRef, path: Option<PyObjectRef>, cpath: Option<PyObjectRef>) -> PyResult {
    let m = add_module(vm, name.clone())?;
    let d = m.get_attr("__dict__", vm)?;
    let path = match path {
        Some(p) => p,
        None => code.get_attr("co_filename", vm)?,
    };
    let cpath = cpath.unwrap_or_else(|| vm.ctx.none());
    let ext = external(vm)?;
    py(vm, || vm.call_method(&ext, "_fix_up_module", (d.clone(), name.clone(), path, cpath)))?;
    if let Err(e) = super::pythonrun::eval_code(vm, code, d, None) {
        let mods = modules(vm)?;
        let _ = py(vm, || mods.del_item(name.as_object(), vm));
        return Err(e);
    }
    get_module(vm, name.as_object())?.ok_or_else(|| vm.new_import_error(format!("Loaded module {} not found in sys.modules", name.as_object().repr(vm).map(|r| r.as_wtf8().to_string()).unwrap_or_default()), name.clone()))
}

/// An optional file-system path C string as str.
fn fs_path(vm: &VirtualMachine, p: *const c_char) -> PyResult<Option<PyObjectRef>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: C passes a NUL-terminated string.
    let b = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec();
    let os = py(vm, || vm.import("os", 0))?;
    py(vm, || os.get_attr("fsdecode", vm)?.call((vm.ctx.new_bytes(b),), vm)).map(Some)
}

/// `PyImport_ExecCodeModuleObject` with C-string names; with only `cpathname`,
/// the source path is derived from it (`_get_sourcefile`).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ExecCodeModuleWithPathnames(name: *const c_char, co: *mut PyObject, pathname: *const c_char, cpathname: *const c_char) -> *mut PyObject {
    new_ref("PyImport_ExecCodeModuleWithPathnames", |vm| {
        let n = vm.ctx.new_str(cstr(vm, name)?);
        let code = rp(vm, co)?;
        let cpath = fs_path(vm, cpathname)?;
        let path = match (fs_path(vm, pathname)?, &cpath) {
            (Some(p), _) => Some(p),
            (None, Some(c)) => {
                let ext = external(vm)?;
                py(vm, || vm.call_method(&ext, "_get_sourcefile", (c.clone(),))).ok()
            }
            (None, None) => None,
        };
        exec_code_module(vm, n, code, path, cpath)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ExecCodeModuleEx(name: *const c_char, co: *mut PyObject, pathname: *const c_char) -> *mut PyObject {
    PyImport_ExecCodeModuleWithPathnames(name, co, pathname, std::ptr::null())
}

#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ExecCodeModule(name: *const c_char, co: *mut PyObject) -> *mut PyObject {
    PyImport_ExecCodeModuleWithPathnames(name, co, std::ptr::null(), std::ptr::null())
}

/// New reference to `importlib.reload(m)`.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ReloadModule(m: *mut PyObject) -> *mut PyObject {
    new_ref("PyImport_ReloadModule", |vm| {
        let module = rp(vm, m)?;
        let importlib = import(vm, "importlib")?;
        py(vm, || vm.call_method(&importlib, "reload", (module,)))
    })
}

/// New reference to the finder for the path entry `path`: from
/// `sys.path_importer_cache`, else the first `sys.path_hooks` hook that does
/// not raise ImportError (cached), else None.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_GetImporter(path: *mut PyObject) -> *mut PyObject {
    new_ref("PyImport_GetImporter", |vm| {
        let p = rp(vm, path)?;
        let cache = vm.sys_module.get_attr("path_importer_cache", vm).map_err(|_| vm.new_runtime_error("lost sys.path_importer_cache"))?;
        let hooks = vm.sys_module.get_attr("path_hooks", vm).map_err(|_| vm.new_runtime_error("lost sys.path_hooks"))?;
        py(vm, || {
            match cache.get_item(&*p, vm) {
                Ok(f) => return Ok(f),
                Err(e) if e.fast_isinstance(vm.ctx.exceptions.key_error) => {}
                Err(e) => return Err(e),
            }
            // None first, to avoid recursion (as CPython).
            cache.set_item(&*p, vm.ctx.none(), vm)?;
            let hooks: Vec<PyObjectRef> = hooks.try_to_value(vm)?;
            for hook in hooks {
                match hook.call((p.clone(),), vm) {
                    Ok(f) => {
                        cache.set_item(&*p, f.clone(), vm)?;
                        return Ok(f);
                    }
                    Err(e) if e.fast_isinstance(vm.ctx.exceptions.import_error) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(vm.ctx.none())
        })
    })
}

/// The magic number of the `.pyc` files this interpreter writes (RustPython's
/// own, `importlib.util.MAGIC_NUMBER` as a little-endian long); -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_GetMagicNumber() -> std::ffi::c_long {
    api("PyImport_GetMagicNumber", |vm| {
        let ext = external(vm)?;
        let magic = ext.get_attr("MAGIC_NUMBER", vm)?;
        let b = magic.downcast_ref::<rustpython_vm::builtins::PyBytes>().ok_or_else(|| type_error(vm, "MAGIC_NUMBER must be bytes"))?;
        let mut le = [0u8; 8];
        for (i, x) in b.as_bytes().iter().take(4).enumerate() {
            le[i] = *x;
        }
        Ok(i64::from_le_bytes(le) as std::ffi::c_long)
    })
}

/// `sys.implementation.cache_tag` as a static C string (NULL if caching is off).
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_GetMagicTag() -> *const c_char {
    static TAG: std::sync::OnceLock<Option<std::ffi::CString>> = std::sync::OnceLock::new();
    api("PyImport_GetMagicTag", |vm| {
        if let Some(t) = TAG.get() {
            return Ok(t.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()));
        }
        let tag = vm.sys_module.get_attr("implementation", vm)?.get_attr("cache_tag", vm)?;
        let tag = if vm.is_none(&tag) { None } else { Some(std::ffi::CString::new(tag.str(vm)?.as_wtf8().to_string()).map_err(|_| vm.new_value_error("embedded null byte"))?) };
        Ok(TAG.get_or_init(|| tag).as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// Runs the frozen module `name` (RustPython's frozen modules) into
/// `sys.modules[name]`: 1 if done, 0 if there is no such frozen module, -1
/// with an exception on error.
#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportFrozenModuleObject(name: *mut PyObject) -> c_int {
    api("PyImport_ImportFrozenModuleObject", |vm| {
        let n = name_arg(vm, name)?;
        let imp = py(vm, || vm.import("_imp", 0))?;
        if !py(vm, || vm.call_method(&imp, "is_frozen", (n.clone(),)))?.try_to_bool(vm)? {
            return Ok(0);
        }
        let code = py(vm, || vm.call_method(&imp, "get_frozen_object", (n.clone(),)))?;
        let is_pkg = py(vm, || vm.call_method(&imp, "is_frozen_package", (n.clone(),)))?.try_to_bool(vm)?;
        let m = add_module(vm, n.clone())?;
        let d = m.get_attr("__dict__", vm)?;
        if is_pkg {
            py(vm, || d.set_item("__path__", vm.ctx.new_list(vec![]).into(), vm))?;
        }
        if let Err(e) = super::pythonrun::eval_code(vm, code, d.clone(), None) {
            let mods = modules(vm)?;
            let _ = py(vm, || mods.del_item(n.as_object(), vm));
            return Err(e);
        }
        // Consumed by FrozenImporter._setup_module(), as CPython.
        py(vm, || d.set_item("__origname__", n.clone().into(), vm))?;
        Ok(1)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyImport_ImportFrozenModule(name: *const c_char) -> c_int {
    api("PyImport_ImportFrozenModule", |vm| {
        let n = vm.ctx.new_str(cstr(vm, name)?);
        let p = crate::bridge::to_c_transient(vm, n.as_object());
        let r = PyImport_ImportFrozenModuleObject(p);
        // SAFETY: the new reference made above.
        unsafe { crate::bridge::decref(p) };
        if r < 0 { Err(errors::take().unwrap_or_else(|| system_error(vm, "frozen import failed"))) } else { Ok(r) }
    })
}

/// CPython's `struct _frozen` (name, marshalled CPython bytecode, size, is_package).
#[repr(C)]
pub struct _frozen {
    pub name: *const c_char,
    pub code: *const u8,
    pub size: c_int,
    pub is_package: c_int,
}

/// `PyImport_FrozenModules`: NULL. An embedder may point it at a table
/// before initialisation, but its entries hold CPython bytecode, which
/// RustPython cannot run; RustPython's own frozen modules are reached through
/// `PyImport_ImportFrozenModule*` instead.
#[unsafe(no_mangle)]
pub static mut PyImport_FrozenModules: *const _frozen = std::ptr::null();
