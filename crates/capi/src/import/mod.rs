//! Loading extension modules: `dlopen`, `PyInit_<name>`, single- and
//! multi-phase initialisation, and the import-system hooks that route
//! `.cpython-314-x86_64-linux-gnu.so` / `.abi3.so` / `.so` files here.

use parking_lot::Mutex;
use rustpython_vm::builtins::PyStr;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::LazyLock;

use crate::abi::PyObject;
use crate::bridge;
use crate::objects::{methodobject, moduleobject};
use crate::runtime::{errors, gil};

pub mod pathconfig;

pub const EXTENSION_SUFFIXES: [&str; 3] = [".cpython-314-x86_64-linux-gnu.so", ".abi3.so", ".so"];

/// Modules created from a `PyModuleDef` whose exec slots have not run yet.
static PENDING_EXEC: LazyLock<Mutex<HashMap<usize, usize>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn import_error(vm: &VirtualMachine, msg: String, name: &str, path: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    let e = vm.new_import_error(msg, vm.ctx.new_str(name));
    let _ = e.as_object().set_attr("path", vm.ctx.new_str(path), vm);
    e
}

fn str_attr(vm: &VirtualMachine, o: &PyObjectRef, attr: &str) -> PyResult<String> {
    let v = o.get_attr(&*vm.ctx.new_str(attr), vm)?;
    v.downcast_ref::<PyStr>()
        .map(|s| s.as_wtf8().to_string())
        .ok_or_else(|| crate::runtime::type_error(vm, format!("spec.{attr} must be a str")))
}

/// Extension modules that cannot work on RustPython, and why: importing one
/// raises ImportError instead of running code that would corrupt memory.
const UNSUPPORTED: &[(&str, &str)] = &[(
    "greenlet._greenlet",
    "greenlet switches C stacks and saves and restores CPython's interpreter frame state \
     (PyThreadState internals: cframe, datastack, recursion counters), which RustPython's \
     interpreter does not have; it is not supported on pyfacade",
)];

/// `_imp.create_dynamic(spec)`: loads the shared object and runs `PyInit_*`.
pub fn create_dynamic(vm: &VirtualMachine, spec: PyObjectRef) -> PyResult {
    let name = str_attr(vm, &spec, "name")?;
    let path = str_attr(vm, &spec, "origin")?;
    if let Some((_, why)) = UNSUPPORTED.iter().find(|(m, _)| *m == name) {
        return Err(import_error(vm, format!("cannot import {name}: {why}"), &name, &path));
    }
    let short = name.rsplit('.').next().unwrap_or(&name).to_owned();
    let cpath = CString::new(path.clone()).map_err(|_| import_error(vm, "path contains NUL".into(), &name, &path))?;
    // SAFETY: dlopen with a valid C string; the handle is never closed
    // (extension modules cannot be unloaded, as in CPython).
    let handle = unsafe { libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns a C string describing the failure.
        let msg = unsafe { CStr::from_ptr(libc::dlerror()) }.to_string_lossy().into_owned();
        return Err(import_error(vm, msg, &name, &path));
    }
    let sym = CString::new(format!("PyInit_{short}")).unwrap_or_default();
    // SAFETY: valid handle and symbol name.
    let init = unsafe { libc::dlsym(handle, sym.as_ptr()) };
    if init.is_null() {
        return Err(import_error(
            vm,
            format!("dynamic module does not define module export function (PyInit_{short})"),
            &name,
            &path,
        ));
    }
    // SAFETY: PyInit_* has this signature.
    let init: unsafe extern "C" fn() -> *mut PyObject = unsafe { std::mem::transmute(init) };
    run_init(vm, init, &short, &spec, Some(&path))
}

/// Runs an extension's init function (`PyInit_*`, or an inittab entry) and
/// makes the module from its result: single-phase (a module) or multi-phase
/// (a `PyModuleDef`, exec slots pending until `exec_dynamic`). `path`, if
/// any, becomes `__file__`.
pub(crate) fn run_init(
    vm: &VirtualMachine,
    init: unsafe extern "C" fn() -> *mut PyObject,
    short: &str,
    spec: &PyObjectRef,
    path: Option<&str>,
) -> PyResult {
    let full_name = str_attr(vm, spec, "name").unwrap_or_else(|_| short.to_owned());
    let result = {
        let _gil = gil::ensure(vm);
        bridge::bump_epoch();
        // SAFETY: calling the extension's init function.
        moduleobject::with_package_context(&full_name, || unsafe { init() })
    };
    if result.is_null() {
        let cause = errors::take();
        return Err(cause.unwrap_or_else(|| {
            crate::runtime::system_error(vm, format!("initialization of {short} failed without raising an exception"))
        }));
    }
    if let Some(e) = errors::take() {
        let err = crate::runtime::system_error(vm, format!("initialization of {short} raised unreported exception"));
        err.set_cause(Some(e));
        return Err(err);
    }
    if let Some(def) = moduleobject::as_def(result) {
        let m = moduleobject::from_def_and_spec(vm, def, spec)?;
        PENDING_EXEC.lock().insert(m.as_object() as *const _ as usize, def as usize);
        set_file(vm, &m, path);
        return Ok(m);
    }
    let m = methodobject::c_result(vm, result, format_args!("PyInit_{short}"))?;
    crate::objects::pystate::fixup_single_phase(vm, &m);
    set_file(vm, &m, path);
    Ok(m)
}

fn set_file(vm: &VirtualMachine, m: &PyObjectRef, path: Option<&str>) {
    if let Some(path) = path {
        let _ = m.set_attr("__file__", vm.ctx.new_str(path), vm);
    }
}

/// `_imp.exec_dynamic(module)`: runs the `Py_mod_exec` slots (multi-phase).
pub fn exec_dynamic(vm: &VirtualMachine, m: PyObjectRef) -> PyResult<i32> {
    let def = PENDING_EXEC.lock().remove(&(m.as_object() as *const _ as usize));
    if let Some(def) = def {
        moduleobject::exec_def(vm, &m, def as *mut _)?;
    }
    Ok(0)
}

const BOOTSTRAP: &str = r#"
import sys, _imp, _pyfacade
import importlib._bootstrap_external as _be
import importlib.machinery as _m

_SUFFIXES = list(_pyfacade.EXTENSION_SUFFIXES)
_imp.extension_suffixes = lambda: list(_SUFFIXES)
_imp.create_dynamic = lambda spec, file=None: _pyfacade.create_dynamic(spec)
_imp.exec_dynamic = _pyfacade.exec_dynamic
for _mod in (_be, _m):
    if isinstance(getattr(_mod, 'EXTENSION_SUFFIXES', None), list):
        _mod.EXTENSION_SUFFIXES[:] = _SUFFIXES
    else:
        _mod.EXTENSION_SUFFIXES = list(_SUFFIXES)
_loaders = _be._get_supported_file_loaders()
for _i, _h in enumerate(sys.path_hooks):
    if 'FileFinder' in getattr(_h, '__qualname__', ''):
        sys.path_hooks[_i] = _be.FileFinder.path_hook(*_loaders)
sys.path_importer_cache.clear()
# CPython's count: C's references included, a mirror's own hold not.
sys.getrefcount = _pyfacade.getrefcount

# Parked mirrors are swept when a collection starts (all of them before a
# full one, so that cycles through them can be collected); native/twin
# pairs are collected after it, and if any were freed the collection runs
# again (what they held, e.g. their classes, is garbage only now).
import gc as _gc
def _gc_hook(phase, info, _f=_pyfacade):
    if phase == 'start':
        _f.sweep_mirrors(info.get('generation', 2) >= 2)
    else:
        _f.collect_natives(info.get('generation', 2))
_gc.callbacks.append(_gc_hook)

# Dicts C made and still alone holds have no identity entry (bridge/hidden.rs):
# calls that hand out what the collector tracks register them first.
def _gc_view(f, _v=_pyfacade.gc_view):
    def g(*args, **kwargs):
        return _v(f, *args, **kwargs)
    g.__name__, g.__qualname__, g.__doc__ = f.__name__, f.__qualname__, f.__doc__
    return g
for _n in ('get_objects', 'get_referrers', 'get_referents'):
    setattr(_gc, _n, _gc_view(getattr(_gc, _n)))
def set_debug(flags, _f=_gc.set_debug, _s=_pyfacade.set_saveall, _all=_gc.DEBUG_SAVEALL):
    _f(flags)
    _s(bool(flags & _all))
set_debug.__doc__ = _gc.set_debug.__doc__
_gc.set_debug = set_debug

del _loaders, _mod, _i, _h, _gc, _gc_hook, _gc_view, _n, set_debug
"#;

/// Collects garbage native/twin pairs after a collection of `generation`
/// (default: none more); while that frees any, collects that generation
/// again, so that what the pairs alone kept alive goes in the same
/// `gc.collect()`, as on CPython. Returns the number of pairs freed.
fn collect_natives(generation: rustpython_vm::function::OptionalArg<usize>, vm: &VirtualMachine) -> usize {
    let mut total = bridge::native::collect(vm);
    let Some(generation) = generation.into_option() else { return total };
    let mut freed = total;
    // Each round frees what the previous one released; a few suffice.
    for _ in 0..4 {
        if freed == 0 {
            break;
        }
        vm.state.gc.collect_force(generation.min(2));
        freed = bridge::native::collect(vm);
        total += freed;
    }
    total
}

/// `gc_view(f, *args, **kwargs)`: calls `f` (a `gc` function that hands
/// out objects the collector tracks) with every hidden dict registered and
/// none hidden until it returns (see `bridge::hidden`).
fn gc_view(mut args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let f = args.take_positional().ok_or_else(|| crate::runtime::type_error(vm, "gc_view() needs the function to call"))?;
    let exposed = {
        let _g = crate::runtime::gil::ensure(vm);
        bridge::hidden::Exposed::new()
    };
    let r = f.call(args, vm);
    drop(exposed);
    r
}

/// Makes the `_pyfacade` module and routes extension imports through it.
pub fn install_hooks(vm: &VirtualMachine) -> PyResult<()> {
    let m = vm.new_module("_pyfacade", vm.ctx.new_dict(), None);
    let mo: PyObjectRef = m.clone().into();
    mo.set_attr("create_dynamic", vm.new_function("create_dynamic", |spec: PyObjectRef, vm: &VirtualMachine| create_dynamic(vm, spec)), vm)?;
    mo.set_attr("exec_dynamic", vm.new_function("exec_dynamic", |m: PyObjectRef, vm: &VirtualMachine| exec_dynamic(vm, m)), vm)?;
    mo.set_attr("getrefcount", vm.new_function("getrefcount", |o: PyObjectRef| bridge::cpython_refcount(&o)), vm)?;
    mo.set_attr("live_mirrors", vm.new_function("live_mirrors", |_a: FuncArgs| bridge::live_mirrors()), vm)?;
    mo.set_attr("collect_natives", vm.new_function("collect_natives", collect_natives), vm)?;
    mo.set_attr("sweep_mirrors", vm.new_function("sweep_mirrors", |full: bool, vm: &VirtualMachine| bridge::sweep(vm, full)), vm)?;
    mo.set_attr("gc_view", vm.new_function("gc_view", gc_view), vm)?;
    mo.set_attr(
        "set_saveall",
        vm.new_function("set_saveall", |on: bool, vm: &VirtualMachine| {
            let _g = crate::runtime::gil::ensure(vm);
            bridge::hidden::set_saveall(on);
        }),
        vm,
    )?;
    mo.set_attr("parked_mirrors", vm.new_function("parked_mirrors", |_a: FuncArgs| bridge::parked()), vm)?;
    mo.set_attr("linked_natives", vm.new_function("linked_natives", |_a: FuncArgs| bridge::native::linked()), vm)?;
    mo.set_attr("install_root", vm.new_function("install_root", |_a: FuncArgs| pathconfig::facade_file().as_deref().and_then(pathconfig::install_root_of).map(|p| p.to_string_lossy().into_owned())), vm)?;
    mo.set_attr("facade_file", vm.new_function("facade_file", |_a: FuncArgs| pathconfig::facade_file().map(|p| p.to_string_lossy().into_owned())), vm)?;
    mo.set_attr("bundled_pip", vm.new_function("bundled_pip", |vm: &VirtualMachine| (PIP_WHEEL_NAME, vm.ctx.new_bytes(PIP_WHEEL.to_vec()))), vm)?;
    let suffixes = vm.ctx.new_tuple(EXTENSION_SUFFIXES.iter().map(|s| vm.ctx.new_str(*s).into()).collect());
    mo.set_attr("EXTENSION_SUFFIXES", suffixes, vm)?;
    vm.sys_module.get_attr("modules", vm)?.set_item("_pyfacade", mo, vm)?;
    // RustPython has no `_tracemalloc`: the facade's traces C allocations.
    vm.sys_module.get_attr("modules", vm)?.set_item("_tracemalloc", crate::objects::tracemalloc::make_module(vm)?, vm)?;
    vm.run_simple_string(BOOTSTRAP)?;
    // How pyfacade presents itself to installers: its own module, so that
    // what it defines is named and can be looked at.
    let m = vm.new_module("_pyfacade_installation", vm.ctx.new_dict(), None);
    vm.sys_module.get_attr("modules", vm)?.set_item("_pyfacade_installation", m.clone().into(), vm)?;
    let scope = rustpython_vm::scope::Scope::with_builtins(None, m.dict(), vm);
    vm.run_string(scope, INSTALLATION, "<pyfacade installation.py>").map(drop)
}

/// `import/installation.py`: `sys.prefix`, sysconfig, and the adaptations of
/// `packaging.tags` and `ensurepip` (see that file).
const INSTALLATION: &str = include_str!("installation.py");

/// The pip wheel RustPython's `ensurepip` bundles (build.rs finds it).
static PIP_WHEEL: &[u8] = include_bytes!(env!("PYFACADE_PIP_WHEEL"));
const PIP_WHEEL_NAME: &str = env!("PYFACADE_PIP_WHEEL_NAME");
