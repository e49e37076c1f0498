//! `pylifecycle.h` / `pyerrors.h` exit paths: `Py_FatalError`,
//! `_Py_FatalErrorFunc`, `Py_AtExit`, `Py_Exit`, and `PyUnstable_AtExit`.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::io::Write;

use parking_lot::Mutex;

use crate::runtime::{Shared, api, gil};

/// Writes CPython's fatal-error report to stderr and aborts the process.
pub(crate) fn fatal_error(func: Option<&str>, msg: &str) -> ! {
    let mut e = std::io::stderr().lock();
    let _ = match func {
        Some(f) => writeln!(e, "Fatal Python error: {f}: {msg}"),
        None => writeln!(e, "Fatal Python error: {msg}"),
    };
    let _ = writeln!(e, "Python runtime state: initialized");
    let _ = e.flush();
    std::process::abort()
}

fn c_text(s: *const c_char) -> String {
    if s.is_null() {
        return "<message not set>".to_owned();
    }
    // SAFETY: C passes a NUL-terminated string.
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}

/// Prints "Fatal Python error: msg" and aborts.
#[unsafe(no_mangle)]
pub extern "C" fn Py_FatalError(msg: *const c_char) -> ! {
    fatal_error(None, &c_text(msg))
}

/// Prints "Fatal Python error: func: msg" and aborts (the `Py_FatalError`
/// macro passes `__func__`).
#[unsafe(no_mangle)]
pub extern "C" fn _Py_FatalErrorFunc(func: *const c_char, msg: *const c_char) -> ! {
    let f = (!func.is_null()).then(|| c_text(func));
    fatal_error(f.as_deref(), &c_text(msg))
}

/// CPython's `NEXITFUNCS`.
const NEXITFUNCS: usize = 32;
static EXITFUNCS: Mutex<Vec<Shared<extern "C" fn()>>> = Mutex::new(Vec::new());

extern "C" fn run_exitfuncs() {
    while let Some(f) = EXITFUNCS.lock().pop() {
        (f.0)();
    }
}

/// Registers `func` to run once the interpreter has finalised (last
/// registered first); 0, or -1 when 32 are already registered.
#[unsafe(no_mangle)]
pub extern "C" fn Py_AtExit(func: extern "C" fn()) -> c_int {
    let mut fs = EXITFUNCS.lock();
    if fs.len() >= NEXITFUNCS {
        return -1;
    }
    if fs.is_empty() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: run_exitfuncs is a plain C-ABI function.
        ONCE.call_once(|| unsafe {
            libc::atexit(run_exitfuncs);
        });
    }
    fs.push(Shared(func));
    0
}

/// Runs the interpreter's exit handlers (`atexit`), flushes the standard
/// streams and exits the process with `status`.
#[unsafe(no_mangle)]
pub extern "C" fn Py_Exit(status: c_int) -> ! {
    rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        let _g = gil::ensure(vm);
        super::py(vm, || {
            rustpython_vm::stdlib::atexit::_run_exitfuncs(vm);
            for name in ["stdout", "stderr"] {
                if let Ok(s) = vm.sys_module.get_attr(name, vm) {
                    let _ = vm.call_method(&s, "flush", ());
                }
            }
        });
    });
    let _ = std::io::stdout().flush();
    std::process::exit(status)
}

fn call(cb: Shared<(extern "C" fn(*mut c_void), *mut c_void)>) {
    (cb.0.0)(cb.0.1)
}

/// Registers `func(data)` to run when the interpreter finalises, before its
/// Python `atexit` callbacks (as CPython); 0, or -1 with an exception.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_AtExit(_interp: *mut c_void, func: extern "C" fn(*mut c_void), data: *mut c_void) -> c_int {
    api("PyUnstable_AtExit", |vm| {
        let cb = Shared((func, data));
        let f = vm.new_function("PyUnstable_AtExit callback", move |vm: &rustpython_vm::VirtualMachine| {
            let _g = gil::ensure(vm);
            call(cb);
        });
        let atexit = vm.import("atexit", 0)?;
        super::py(vm, || vm.call_method(&atexit, "register", (f,))).map(|_| 0)
    })
}
