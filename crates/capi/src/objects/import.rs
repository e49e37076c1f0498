//! `import.h`.

use rustpython_vm::builtins::PyStr;
use std::ffi::c_char;

use super::{cstr, new_ref, py, rp};
use crate::abi::PyObject;
use crate::runtime::type_error;

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
