//! pyfacade: CPython 3.14's binary C-API on top of RustPython.
//!
//! See `shared/DESIGN.md`. Layout: [`abi`] (C structs), [`bridge`]
//! (object identity and lifetimes), [`runtime`] (VM access, errors, GIL),
//! [`objects`] (the exported API by header family), [`types`] (type
//! objects), [`import`] (loading extension modules).
#![feature(c_variadic, fn_traits, unboxed_closures, ptr_metadata)]
#![allow(clippy::missing_safety_doc, non_upper_case_globals)]

pub mod abi;
pub mod bridge;
pub mod import;
pub mod objects;
pub mod runtime;
pub mod types;

use rustpython_vm::{PyResult, VirtualMachine};
use std::sync::atomic::{AtomicBool, Ordering};

static INSTALLED: AtomicBool = AtomicBool::new(false);

pub fn is_installed() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

/// Installs the facade into an initialised interpreter: static objects,
/// type objects, exceptions, and the extension-module import hooks.
pub fn install(vm: &VirtualMachine) -> PyResult<()> {
    if !INSTALLED.swap(true, Ordering::AcqRel) {
        types::install(vm);
        bridge::mirror::install_sort_hook(vm);
        objects::methodobject::install_vectorcalls(vm);
        if let Ok(v) = vm.sys_module.get_attr("version", vm).and_then(|v| v.str(vm)) {
            objects::pylifecycle::set_version(&v.to_string());
        }
        runtime::set_seed(vm);
        objects::datetime::install(vm)?;
        objects::codeobject::install(vm);
        objects::frameobject::install(vm);
        objects::structseq::install();
        objects::pydebug::install(vm);
    }
    // Per interpreter (a host may initialise again after finalising).
    runtime::set_seed(vm);
    objects::pylifecycle::mark_running();
    import::install_hooks(vm)
}
