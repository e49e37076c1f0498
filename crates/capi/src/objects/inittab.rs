//! `import.h`'s table of built-in modules: `PyImport_Inittab`,
//! `PyImport_AppendInittab`, `PyImport_ExtendInittab`.
//!
//! A host adds C init functions before `Py_Initialize`; at initialisation the
//! table is frozen, the names join `sys.builtin_module_names`, and a finder
//! first on `sys.meta_path` imports them by name through the facade's
//! extension-module machinery (single- and multi-phase init, as for a
//! `.so`; the modules have no `__file__`, as CPython's built-ins).
//! RustPython's own built-in modules are native Rust modules with no C init
//! function, so the exported table lists only what hosts added.

use std::ffi::{CStr, c_char, c_int};
use std::ptr::null;

use parking_lot::Mutex;
use rustpython_vm::builtins::PyStr;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use crate::abi::PyObject;

type InitFunc = unsafe extern "C" fn() -> *mut PyObject;

/// `struct _inittab`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct _inittab {
    pub name: *const c_char,
    pub initfunc: Option<InitFunc>,
}

const END: _inittab = _inittab { name: null(), initfunc: None };

/// The terminator-only table CPython's `PyImport_Inittab` starts as here.
static mut EMPTY: [_inittab; 1] = [END];

/// `PyImport_Inittab`: the current table, terminated by a NULL name. Hosts
/// may read it; `PyImport_ExtendInittab` replaces it with a larger copy.
#[unsafe(no_mangle)]
pub static mut PyImport_Inittab: *mut _inittab = (&raw mut EMPTY).cast();

/// Serialises table changes; set once the interpreter has taken its copy.
static FROZEN: Mutex<bool> = Mutex::new(false);

fn entries() -> Vec<_inittab> {
    let mut v = Vec::new();
    // SAFETY: the table is NULL-name terminated (ours, or a host's that
    // assigned PyImport_Inittab before initialisation, as CPython permits).
    unsafe {
        let mut p = PyImport_Inittab;
        while !p.is_null() && !(*p).name.is_null() {
            v.push(*p);
            p = p.add(1);
        }
    }
    v
}

/// Adds the entries of `newtab` (terminated by a NULL name) to the table;
/// 0, or -1 if memory runs out. Names are not copied: they must outlive the
/// interpreter, as in CPython. Calling it after initialisation is a fatal
/// error, as in CPython.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyImport_ExtendInittab(newtab: *mut _inittab) -> c_int {
    let frozen = FROZEN.lock();
    if *frozen {
        drop(frozen);
        super::pyfatal::fatal_error(Some("PyImport_ExtendInittab"), "PyImport_ExtendInittab() may not be called after Py_Initialize()");
    }
    let mut all = entries();
    // SAFETY: C passes a NULL-name terminated table.
    unsafe {
        let mut p = newtab;
        while !p.is_null() && !(*p).name.is_null() {
            all.push(*p);
            p = p.add(1);
        }
    }
    all.push(END);
    // The previous table is leaked: a host may still hold its address.
    // SAFETY: written under FROZEN's lock, before the interpreter reads it.
    unsafe { PyImport_Inittab = Box::leak(all.into_boxed_slice()).as_mut_ptr() };
    0
}

/// Adds one module, `name` (which must outlive the interpreter), made by
/// `initfunc`; 0, or -1 on failure. Before `Py_Initialize` only.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyImport_AppendInittab(name: *const c_char, initfunc: Option<InitFunc>) -> c_int {
    let mut tab = [_inittab { name, initfunc }, END];
    // SAFETY: a terminated two-entry table.
    unsafe { PyImport_ExtendInittab(tab.as_mut_ptr()) }
}

/// The table as the interpreter sees it: names and init functions, taken
/// once at initialisation (later `PyImport_Inittab` changes are ignored, as
/// CPython's `INITTAB` copy).
static TABLE: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());

fn lookup(name: &str) -> Option<InitFunc> {
    let t = TABLE.lock();
    let f = t.iter().find(|(n, _)| n == name)?.1;
    // SAFETY: stored from an `InitFunc`.
    Some(unsafe { std::mem::transmute::<usize, InitFunc>(f) })
}

const FINDER: &str = r#"
import sys, _pyfacade
from importlib.machinery import ModuleSpec as _Spec
class _InittabImporter:
    """Finds modules a host added with PyImport_AppendInittab."""
    _names = frozenset(_pyfacade.INITTAB)
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if path is None and name in cls._names:
            return _Spec(name, cls, origin='built-in')
        return None
    @staticmethod
    def create_module(spec):
        return _pyfacade.create_inittab(spec)
    @staticmethod
    def exec_module(module):
        _pyfacade.exec_dynamic(module)
sys.meta_path.insert(0, _InittabImporter)
sys.builtin_module_names = tuple(sorted(set(sys.builtin_module_names) | _InittabImporter._names))
"#;

/// Freezes the table and, if it has entries, makes them importable: called
/// by interpreter initialisation after the facade is installed.
pub(crate) fn install(vm: &VirtualMachine) -> PyResult<()> {
    *FROZEN.lock() = true;
    let table: Vec<(String, usize)> = entries()
        .into_iter()
        .filter_map(|e| {
            // SAFETY: a NUL-terminated name that outlives the interpreter.
            let name = unsafe { CStr::from_ptr(e.name) }.to_string_lossy().into_owned();
            e.initfunc.map(|f| (name, f as usize))
        })
        .collect();
    let names: Vec<PyObjectRef> = table.iter().map(|(n, _)| vm.ctx.new_str(n.as_str()).into()).collect();
    *TABLE.lock() = table;
    if names.is_empty() {
        return Ok(());
    }
    let m = vm.sys_module.get_attr("modules", vm)?.get_item("_pyfacade", vm)?;
    m.set_attr("INITTAB", vm.ctx.new_tuple(names), vm)?;
    m.set_attr("create_inittab", vm.new_function("create_inittab", create_inittab), vm)?;
    // Its own globals: nothing leaks into `__main__`.
    vm.run_string(vm.new_scope_with_builtins(), FINDER, "<pyfacade inittab>").map(drop)
}

/// Re-opens the table after `Py_FinalizeEx`, so a host may extend it before
/// initialising again.
pub(crate) fn unfreeze() {
    *FROZEN.lock() = false;
}

/// `_pyfacade.create_inittab(spec)`: runs the init function of `spec.name`.
fn create_inittab(spec: PyObjectRef, vm: &VirtualMachine) -> PyResult {
    let name = spec.get_attr("name", vm)?;
    let name = name.downcast_ref::<PyStr>().map(|s| s.as_wtf8().to_string()).unwrap_or_default();
    let init = lookup(&name).ok_or_else(|| vm.new_import_error(format!("no built-in module named {name}"), vm.ctx.new_str(name.as_str())))?;
    crate::import::run_init(vm, init, &name, &spec, None)
}
