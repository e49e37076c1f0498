//! `pylifecycle.h` / `patchlevel.h`: the interpreter's version and life —
//! `Py_Initialize*`, `Py_Finalize*`, `Py_Main`/`Py_BytesMain`/`Py_RunMain`,
//! the legacy path getters and setters.
//!
//! Embedding: `Py_InitializeEx` builds RustPython with its frozen stdlib
//! (no files on disk, as the `pyfacade` CLI), installs the facade, and
//! leaves the calling thread attached to the interpreter and holding the
//! GIL, as CPython does. `Py_FinalizeEx` runs `threading._shutdown`, the
//! `atexit` handlers and the module teardown, flushes stdio, and detaches
//! the thread; C-API calls after it fail with a message (no thread state),
//! and `Py_Initialize` may be called again to get a new interpreter.
//! The CLI (`src/main.rs`) runs [`run_main`], the body `Py_RunMain` runs.

use std::cell::RefCell;
use std::ffi::{CString, c_char, c_int};
use std::ptr::null_mut;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use libc::wchar_t;
use parking_lot::Mutex;
use rustpython::{InterpreterBuilder, InterpreterBuilderExt, RunMode};
use rustpython_vm::vm::thread::{self as rthread, CurrentVmAttachState};
use rustpython_vm::{PyResult, VirtualMachine, scope::Scope};

use super::initconfig::{self as ic, PyConfig, PyInitConfig, PyStatus, Run};
use crate::runtime::gil;

/// `PY_VERSION_HEX` of the CPython version the facade implements (3.14.0 final).
#[unsafe(no_mangle)]
pub static Py_Version: std::ffi::c_ulong = 0x030E_00F0;

static VERSION: OnceLock<CString> = OnceLock::new();

/// Records `sys.version` for `Py_GetVersion` (at install).
pub fn set_version(v: &str) {
    let _ = VERSION.set(CString::new(v).unwrap_or_default());
}

/// `sys.version` as a C string owned by the interpreter.
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetVersion() -> *const c_char {
    VERSION.get_or_init(|| CString::new("3.14.0 (pyfacade)").unwrap_or_default()).as_ptr()
}

// ---- the runtime ----

const NOT_RUNNING: u8 = 0;
const RUNNING: u8 = 1;
const FINALIZING: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(NOT_RUNNING);

/// The interpreter `Py_Initialize*` made (the CLI owns its own).
struct Runtime {
    interp: rustpython_vm::Interpreter,
    run: Run,
}
// SAFETY: the interpreter is only touched under LIFE's lock, to finalize it
// (RustPython interpreters are shared across threads through their VMs).
unsafe impl Send for Runtime {}

/// Serialises initialisation and finalisation; holds the embedded runtime.
static LIFE: Mutex<Option<Runtime>> = Mutex::new(None);

thread_local! {
    /// How `Py_Initialize*` attached this thread (released at finalisation).
    static MAIN_ATTACH: RefCell<Option<CurrentVmAttachState>> = const { RefCell::new(None) };
}

/// Marks the interpreter running (at install: the CLI's and ours).
pub fn mark_running() {
    let _ = STATE.compare_exchange(NOT_RUNNING, RUNNING, Ordering::AcqRel, Ordering::Acquire);
}

/// 1 between initialisation and the start of finalisation.
#[unsafe(no_mangle)]
pub extern "C" fn Py_IsInitialized() -> c_int {
    (STATE.load(Ordering::Acquire) == RUNNING) as c_int
}

/// 1 while `Py_FinalizeEx` runs.
#[unsafe(no_mangle)]
pub extern "C" fn Py_IsFinalizing() -> c_int {
    (STATE.load(Ordering::Acquire) == FINALIZING) as c_int
}

/// Defaults from the legacy setters (`Py_SetProgramName`, `Py_SetPythonHome`,
/// `Py_SetPath`) for `Py_InitializeEx`.
static LEGACY: Mutex<(Option<String>, Option<String>, Option<String>)> = Mutex::new((None, None, None));

/// The configuration `Py_InitializeEx` uses: CPython's compat configuration
/// (environment read, command line not parsed) plus the legacy setters.
fn compat_config(initsigs: c_int) -> Box<PyConfig> {
    // SAFETY: all-zero is a valid PyConfig; initialised right away.
    let mut c: Box<PyConfig> = Box::new(unsafe { std::mem::zeroed() });
    // SAFETY: a writable config.
    unsafe { ic::PyConfig_InitPythonConfig(&mut *c) };
    c.parse_argv = 0;
    c.configure_c_stdio = 0;
    c.install_signal_handlers = initsigs;
    let (name, home, path) = LEGACY.lock().clone();
    let set = |field: *mut *mut wchar_t, v: &str| {
        let w: Vec<wchar_t> = v.chars().map(|c| c as wchar_t).chain([0]).collect();
        // SAFETY: a string field of the config; NUL-terminated value.
        unsafe { ic::PyConfig_SetString(null_mut(), field, w.as_ptr()) };
    };
    if let Some(n) = name {
        set(&mut c.program_name, &n);
    }
    if let Some(h) = home {
        set(&mut c.home, &h);
    }
    if let Some(p) = path {
        let items: Vec<Vec<wchar_t>> = std::env::split_paths(&p).map(|p| p.to_string_lossy().chars().map(|c| c as wchar_t).chain([0]).collect()).collect();
        let mut ptrs: Vec<*mut wchar_t> = items.iter().map(|w| w.as_ptr().cast_mut()).collect();
        // SAFETY: the config's list field; NUL-terminated items.
        unsafe { ic::PyConfig_SetWideStringList(null_mut(), &mut c.module_search_paths, ptrs.len() as isize, ptrs.as_mut_ptr()) };
        c.module_search_paths_set = 1;
    }
    c
}

/// Initialises the interpreter from `config` (read here): RustPython with
/// the frozen stdlib, `__main__`, the facade, host built-in modules,
/// `sys.path`/`sys.argv` and the other `sys` values the configuration sets,
/// then `site`. The calling thread stays attached and holds the GIL.
/// A second call while running does nothing.
fn initialize(mut config: Box<PyConfig>) -> PyStatus {
    let mut life = LIFE.lock();
    if STATE.load(Ordering::Acquire) != NOT_RUNNING {
        return PyStatus::ok();
    }
    // SAFETY: our config.
    let st = unsafe { ic::read(&mut *config) };
    if st.is_exception() {
        return st;
    }
    let boot = ic::to_boot(&config);
    let interp = InterpreterBuilder::new().init_stdlib().settings(boot.settings.clone()).init_hook(super::ceval_gil::install_pending_channel).interpreter();
    let setup = interp.enter(|vm| {
        let r = setup(vm, &boot);
        if let Err(e) = &r {
            vm.print_exception(e);
        }
        r.is_ok()
    });
    if !setup {
        // Installing the facade marked the interpreter running.
        STATE.store(NOT_RUNNING, Ordering::Release);
        let _ = interp.finalize(None);
        return PyStatus::error(c"Py_InitializeFromConfig", c"failed to initialize the interpreter (exception printed above)");
    }
    if !rthread::current_vm_is_set() {
        let state = rthread::attach_current_thread(|| interp.new_thread());
        MAIN_ATTACH.with(|m| *m.borrow_mut() = Some(state));
    }
    rthread::with_current_vm(|vm| std::mem::forget(gil::ensure(vm)));
    *PROGRAM.lock() = Some((boot.program_name.clone(), boot.home.clone(), boot.orig_argv.clone()));
    *life = Some(Runtime { interp, run: boot.run });
    ic::set_running(Some(config));
    STATE.store(RUNNING, Ordering::Release);
    PyStatus::ok()
}

/// `program_name`, `home`, `orig_argv` of the running interpreter.
static PROGRAM: Mutex<Option<(String, Option<String>, Vec<String>)>> = Mutex::new(None);

fn setup(vm: &VirtualMachine, boot: &ic::Boot) -> PyResult<()> {
    vm.new_scope_with_main()?;
    let _ = vm.import("warnings", 0);
    crate::install(vm)?;
    super::inittab::install(vm)?;
    let sys = &vm.sys_module;
    if let Some(p) = &boot.sys_path {
        sys.set_attr("path", vm.ctx.new_list(p.iter().map(|s| vm.ctx.new_str(s.as_str()).into()).collect()), vm)?;
    }
    for (name, v) in &boot.sys_strings {
        sys.set_attr(*name, vm.ctx.new_str(v.as_str()), vm)?;
    }
    if !boot.orig_argv.is_empty() {
        sys.set_attr("orig_argv", vm.ctx.new_list(boot.orig_argv.iter().map(|s| vm.ctx.new_str(s.as_str()).into()).collect()), vm)?;
    }
    if boot.settings.import_site {
        vm.import("site", 0)?;
    }
    Ok(())
}

/// Initialises the interpreter (signal handlers if `initsigs`); a fatal
/// error if that fails. Does nothing if it is already initialised.
#[unsafe(no_mangle)]
pub extern "C" fn Py_InitializeEx(initsigs: c_int) {
    if Py_IsInitialized() != 0 {
        return;
    }
    let st = initialize(compat_config(initsigs));
    if st.is_exception() {
        super::pyfatal::fatal_error(Some("Py_InitializeEx"), &st.message());
    }
}

/// `Py_InitializeEx(1)`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_Initialize() {
    Py_InitializeEx(1)
}

/// Initialises the interpreter from `config` (copied; the caller still
/// clears it). An exit or error status if the command line asks to exit
/// (`-h`, a usage error) or initialisation fails.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_InitializeFromConfig(config: *const PyConfig) -> PyStatus {
    if config.is_null() {
        return PyStatus::error(c"Py_InitializeFromConfig", c"config must not be NULL");
    }
    // SAFETY: C passes a valid config.
    initialize(ic::deep_copy(unsafe { &*config }))
}

/// Initialises the interpreter from a `PyInitConfig` (its modules join the
/// built-in table); 0, or -1 with the configuration's error set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_InitializeFromInitConfig(config: *mut PyInitConfig) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    for (name, f) in &c.modules {
        // The name must outlive the interpreter: the table keeps it.
        let name: &'static std::ffi::CStr = Box::leak(name.clone().into_boxed_c_str());
        // SAFETY: a static name and an init function.
        if unsafe { super::inittab::PyImport_AppendInittab(name.as_ptr(), Some(*f)) } != 0 {
            return c.fail(ic::PyStatus_NoMemory());
        }
    }
    let st = initialize(ic::deep_copy(&c.config));
    if st.is_exception() { c.fail(st) } else { 0 }
}

/// Finalises the interpreter: waits for non-daemon threads, runs `atexit`
/// handlers, tears the modules down, flushes stdio. 0, or -1 if flushing
/// stdout failed. Does nothing (0) if not initialised. The calling thread
/// is detached afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn Py_FinalizeEx() -> c_int {
    let mut life = LIFE.lock();
    if STATE.load(Ordering::Acquire) != RUNNING {
        return 0;
    }
    let Some(rt) = life.take() else {
        // The CLI owns its interpreter and finalises it when its main returns.
        return 0;
    };
    STATE.store(FINALIZING, Ordering::Release);
    // Threads being joined and atexit handlers may need the GIL.
    let _depth = gil::save();
    let code = rt.interp.finalize(None);
    if let Some(state) = MAIN_ATTACH.with(|m| m.borrow_mut().take()) {
        rthread::release_current_thread(state);
    }
    crate::runtime::clear_seed();
    super::inittab::unfreeze();
    ic::set_running(None);
    *PROGRAM.lock() = None;
    STATE.store(NOT_RUNNING, Ordering::Release);
    if code == 0 { 0 } else { -1 }
}

/// `Py_FinalizeEx`, ignoring its result.
#[unsafe(no_mangle)]
pub extern "C" fn Py_Finalize() {
    Py_FinalizeEx();
}

// ---- running a program ----

/// A debug build of RustPython recurses deeper than 8 MiB allows (as the CLI).
const MAIN_STACK: usize = 512 * 1024 * 1024;

/// `pymain_run_python`: warnings, site, `sys.path[0]`, then the run mode —
/// the body of the `pyfacade` CLI and of `Py_RunMain`.
pub fn run_main(vm: &VirtualMachine, mode: RunMode) -> PyResult<()> {
    use std::io::{IsTerminal, Read};
    let scope = vm.new_scope_with_main()?;
    let _ = vm.import("warnings", 0);
    crate::install(vm)?;
    if vm.state.config.settings.import_site {
        let _ = vm.import("site", 0);
    }
    let safe_path = vm.state.config.settings.safe_path;
    let cwd = || std::env::current_dir().ok().and_then(|p| p.to_str().map(str::to_owned));
    let result = match mode {
        RunMode::Command(command) => {
            if !safe_path {
                vm.insert_sys_path(vm.new_pyobj(""))?;
            }
            vm.run_string(scope, &command, "<string>").map(drop)
        }
        RunMode::Module(module) => {
            if !safe_path {
                vm.insert_sys_path(vm.new_pyobj(cwd().unwrap_or_default()))?;
            }
            vm.run_module(&module)
        }
        RunMode::Script(path) => run_file(vm, scope, &path, safe_path),
        RunMode::InstallPip(_) => Err(vm.new_exception_msg(
            vm.ctx.exceptions.system_error.to_owned(),
            "--install-pip is not supported by pyfacade".to_owned().into(),
        )),
        RunMode::Repl => {
            if !safe_path {
                vm.insert_sys_path(vm.new_pyobj(""))?;
            }
            // CPython's sys.argv is [''] when no script is given.
            let argv = vm.sys_module.get_attr("argv", vm)?;
            if argv.length(vm)? == 0 {
                vm.sys_module.set_attr("argv", vm.ctx.new_list(vec![vm.ctx.new_str("").into()]), vm)?;
            }
            if std::io::stdin().is_terminal() {
                if !vm.state.config.settings.quiet {
                    use rustpython_vm::version::{MAJOR, MICRO, MINOR};
                    eprintln!(
                        "Python {MAJOR}.{MINOR}.{MICRO} (pyfacade {} on RustPython) on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.",
                        env!("CARGO_PKG_VERSION"),
                    );
                }
                rustpython::run_shell(vm, scope)
            } else {
                // `python < file`: stdin is a script named <stdin>, no prompts.
                let mut source = String::new();
                std::io::stdin().read_to_string(&mut source).map_err(|e| vm.new_os_error(e.to_string()))?;
                vm.run_string(scope, &source, "<stdin>").map(drop)
            }
        }
    };
    if vm.state.config.settings.inspect {
        let scope = vm.new_scope_with_main()?;
        return rustpython::run_shell(vm, scope);
    }
    result
}

/// Runs a script file (or a directory/zip with `__main__.py`).
fn run_file(vm: &VirtualMachine, scope: Scope, path: &str, safe_path: bool) -> PyResult<()> {
    let p = std::path::Path::new(path);
    let abs = std::path::absolute(p).map(|a| a.to_string_lossy().into_owned()).unwrap_or_else(|_| path.to_owned());
    if p.is_dir() || abs.ends_with(".zip") || abs.ends_with(".pyz") {
        vm.insert_sys_path(vm.new_pyobj(abs.clone()))?;
        let runpy = vm.import("runpy", 0)?;
        runpy.get_attr("_run_module_as_main", vm)?.call(("__main__", false), vm)?;
        return Ok(());
    }
    if !safe_path {
        let dir = std::fs::canonicalize(p).ok().and_then(|c| c.parent().map(|d| d.to_string_lossy().into_owned())).unwrap_or_default();
        vm.insert_sys_path(vm.new_pyobj(dir))?;
    }
    if !p.exists() {
        let exe = &vm.state.config.paths.executable;
        eprintln!("{exe}: can't open file '{abs}': [Errno 2] No such file or directory");
        return Err(vm.new_exception(vm.ctx.exceptions.system_exit.to_owned(), vec![vm.ctx.new_int(2).into()]));
    }
    vm.run_any_file(scope, &abs)
}

/// Runs what the configuration names (command, module, file, or standard
/// input) in the initialised interpreter, then finalises it; returns the
/// process exit code (`SystemExit`'s, 1 after an uncaught exception, 120
/// if flushing stdout failed at finalisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_RunMain() -> c_int {
    let run = LIFE.lock().as_ref().map(|r| r.run.clone());
    let Some(run) = run else {
        eprintln!("Fatal Python error: Py_RunMain: the interpreter is not initialized");
        return 1;
    };
    let mode = match run {
        Run::Command(c) => RunMode::Command(c),
        Run::Module(m) => RunMode::Module(m),
        Run::File(f) => RunMode::Script(f),
        Run::Stdin => RunMode::Repl,
    };
    let depth = gil::save();
    let code = rthread::try_with_current_vm(|vm| match run_main(vm, mode) {
        Ok(()) => 0,
        Err(exc) => vm.handle_exit_exception(exc) as c_int,
    });
    gil::restore(None, depth);
    let Some(code) = code else {
        eprintln!("Fatal Python error: Py_RunMain: no Python thread state on this thread");
        return 1;
    };
    if Py_FinalizeEx() < 0 && code == 0 { 120 } else { code }
}

/// Initialises from `configure`'s configuration and runs `Py_RunMain` on a
/// thread with the CLI's stack; the exit code.
fn main_with(argv: Vec<Vec<wchar_t>>) -> c_int {
    let body = move || {
        // SAFETY: all-zero is a valid PyConfig; initialised right away.
        let mut c: Box<PyConfig> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: a writable config; argv items are NUL-terminated.
        let st = unsafe {
            ic::PyConfig_InitPythonConfig(&mut *c);
            let ptrs: Vec<*const wchar_t> = argv.iter().map(|a| a.as_ptr()).collect();
            ic::PyConfig_SetArgv(&mut *c, ptrs.len() as isize, ptrs.as_ptr())
        };
        let st = if st.is_exception() { st } else { initialize(c) };
        match st._type {
            ic::STATUS_EXIT => st.exitcode,
            ic::STATUS_ERROR => {
                eprintln!("Fatal Python error: {}", st.message());
                1
            }
            _ => Py_RunMain(),
        }
    };
    match std::thread::Builder::new().name("main".into()).stack_size(MAIN_STACK).spawn(body) {
        Ok(h) => h.join().unwrap_or(70),
        Err(_) => 70,
    }
}

/// The `python` program: parses `argv` as CPython's command line,
/// initialises, runs, finalises; the exit code.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_Main(argc: c_int, argv: *mut *mut wchar_t) -> c_int {
    let args = (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: argc NUL-terminated wide strings.
            let p = unsafe { *argv.add(i) };
            let s = ic::wstr(p).unwrap_or_default();
            s.chars().map(|c| c as wchar_t).chain([0]).collect()
        })
        .collect();
    main_with(args)
}

/// `Py_Main` with `char*` arguments (decoded as the locale: UTF-8,
/// surrogateescape).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_BytesMain(argc: c_int, argv: *mut *mut c_char) -> c_int {
    let args = (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: argc NUL-terminated strings.
            ic::wide_from_bytes(unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) }.to_bytes())
        })
        .collect();
    main_with(args)
}

// ---- pre-initialisation ----

/// Pre-initialisation (allocator, locale, UTF-8 mode): RustPython always
/// runs in UTF-8 mode with the system allocator, so there is nothing to
/// configure; an OK status.
#[unsafe(no_mangle)]
pub extern "C" fn Py_PreInitialize(_preconfig: *const ic::PyPreConfig) -> PyStatus {
    PyStatus::ok()
}

/// As [`Py_PreInitialize`]; the arguments are parsed by `Py_InitializeFromConfig`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_PreInitializeFromBytesArgs(_preconfig: *const ic::PyPreConfig, _argc: isize, _argv: *mut *mut c_char) -> PyStatus {
    PyStatus::ok()
}

/// As [`Py_PreInitialize`].
#[unsafe(no_mangle)]
pub extern "C" fn Py_PreInitializeFromArgs(_preconfig: *const ic::PyPreConfig, _argc: isize, _argv: *mut *mut wchar_t) -> PyStatus {
    PyStatus::ok()
}

// ---- sub-interpreters ----

/// Sub-interpreters are not supported (the facade's object bridge serves one
/// interpreter): NULL, as CPython returns when creation fails.
#[unsafe(no_mangle)]
pub extern "C" fn Py_NewInterpreter() -> *mut std::ffi::c_void {
    null_mut()
}

/// Sub-interpreters are not supported: an error status, `*tstate_p` NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_NewInterpreterFromConfig(tstate_p: *mut *mut std::ffi::c_void, _config: *const std::ffi::c_void) -> PyStatus {
    if !tstate_p.is_null() {
        // SAFETY: C passes a writable pointer.
        unsafe { *tstate_p = null_mut() };
    }
    PyStatus::error(c"Py_NewInterpreterFromConfig", c"sub-interpreters are not supported by pyfacade")
}

/// No sub-interpreter can exist: a fatal error, as CPython's for a thread
/// state that is not a sub-interpreter's.
#[unsafe(no_mangle)]
pub extern "C" fn Py_EndInterpreter(_tstate: *mut std::ffi::c_void) {
    super::pyfatal::fatal_error(Some("Py_EndInterpreter"), "thread is not current");
}

// ---- legacy path configuration ----

/// Wide strings handed out by the getters, by name: reused while the value
/// is unchanged (CPython returns pointers into its path configuration).
static WIDE: Mutex<Vec<(&'static str, Box<[wchar_t]>)>> = Mutex::new(Vec::new());

fn hand_out(name: &'static str, v: Option<String>) -> *mut wchar_t {
    let Some(v) = v else {
        return null_mut();
    };
    let w: Box<[wchar_t]> = v.chars().map(|c| c as wchar_t).chain([0]).collect();
    let mut all = WIDE.lock();
    if let Some(e) = all.iter_mut().find(|e| e.0 == name) {
        if e.1 != w {
            // The old buffer is leaked: C may still hold it.
            std::mem::forget(std::mem::replace(&mut e.1, w));
        }
        return e.1.as_ptr().cast_mut();
    }
    all.push((name, w));
    all.last().map_or(null_mut(), |e| e.1.as_ptr().cast_mut())
}

/// A `sys` string attribute of the running interpreter, if any.
fn sys_str(attr: &'static str) -> Option<String> {
    if Py_IsInitialized() == 0 {
        return None;
    }
    rthread::try_with_current_vm(|vm| super::py(vm, || vm.sys_module.get_attr(attr, vm).ok()?.str(vm).ok().map(|s| s.to_string()))).flatten()
}

/// `sys.path` joined with `:` (NULL before initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetPath() -> *mut wchar_t {
    let v = if Py_IsInitialized() == 0 {
        None
    } else {
        rthread::try_with_current_vm(|vm| {
            super::py(vm, || {
                let p = vm.sys_module.get_attr("path", vm).ok()?;
                let items: Vec<String> = p.try_to_value::<Vec<rustpython_vm::PyObjectRef>>(vm).ok()?.iter().filter_map(|s| s.str(vm).ok().map(|s| s.to_string())).collect();
                Some(items.join(":"))
            })
        })
        .flatten()
    };
    hand_out("path", v)
}

/// `sys.prefix` (NULL before initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetPrefix() -> *mut wchar_t {
    hand_out("prefix", sys_str("prefix"))
}

/// `sys.exec_prefix` (NULL before initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetExecPrefix() -> *mut wchar_t {
    hand_out("exec_prefix", sys_str("exec_prefix"))
}

/// `sys.executable` (NULL before initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetProgramFullPath() -> *mut wchar_t {
    hand_out("executable", sys_str("executable"))
}

/// The configuration's `program_name` (NULL before initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetProgramName() -> *mut wchar_t {
    hand_out("program_name", PROGRAM.lock().as_ref().map(|p| p.0.clone()))
}

/// The configuration's `home` (NULL if unset or before initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GetPythonHome() -> *mut wchar_t {
    hand_out("home", PROGRAM.lock().as_ref().and_then(|p| p.1.clone()))
}

/// Sets the `program_name` the next `Py_Initialize` uses (deprecated API).
#[unsafe(no_mangle)]
pub extern "C" fn Py_SetProgramName(name: *const wchar_t) {
    LEGACY.lock().0 = ic::wstr(name).filter(|s| !s.is_empty());
}

/// Sets the `home` the next `Py_Initialize` uses (deprecated API).
#[unsafe(no_mangle)]
pub extern "C" fn Py_SetPythonHome(home: *const wchar_t) {
    LEGACY.lock().1 = ic::wstr(home).filter(|s| !s.is_empty());
}

/// Sets the module search path (`:`-separated) the next `Py_Initialize`
/// uses, or `sys.path` of the running interpreter (deprecated API).
#[unsafe(no_mangle)]
pub extern "C" fn Py_SetPath(path: *const wchar_t) {
    let p = ic::wstr(path);
    if Py_IsInitialized() != 0
        && let Some(p) = &p
    {
        rthread::try_with_current_vm(|vm| {
            let items = std::env::split_paths(p).map(|s| vm.ctx.new_str(s.to_string_lossy().as_ref()).into()).collect();
            let _ = vm.sys_module.set_attr("path", vm.ctx.new_list(items), vm);
        });
    }
    LEGACY.lock().2 = p;
}

/// The original command line (`sys.orig_argv`) as `wchar_t` strings owned
/// by the runtime; `argc` 0 and `argv` NULL before initialisation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_GetArgcArgv(argc: *mut c_int, argv: *mut *mut *mut wchar_t) {
    static ARGV: Mutex<Vec<Box<[wchar_t]>>> = Mutex::new(Vec::new());
    static PTRS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    let orig = PROGRAM.lock().as_ref().map(|p| p.2.clone()).unwrap_or_default();
    let mut strs = ARGV.lock();
    let mut ptrs = PTRS.lock();
    let new: Vec<Box<[wchar_t]>> = orig.iter().map(|s| s.chars().map(|c| c as wchar_t).chain([0]).collect()).collect();
    if *strs != new {
        // The old arrays are leaked: C may still hold them.
        std::mem::forget(std::mem::replace(&mut *strs, new));
        let p: Vec<usize> = strs.iter().map(|s| s.as_ptr() as usize).chain([0]).collect();
        std::mem::forget(std::mem::replace(&mut *ptrs, p));
    }
    // SAFETY: C passes writable pointers.
    unsafe {
        *argc = strs.len() as c_int;
        *argv = if strs.is_empty() { null_mut() } else { ptrs.as_mut_ptr().cast() };
    }
}
