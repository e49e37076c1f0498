//! `intrcheck.h` / `pylifecycle.h` / `pyerrors.h`: `PyOS_*` signal, fork,
//! interrupt and stack hooks, and `PySignal_SetWakeupFd`.

use std::ffi::c_int;

use rustpython_vm::AsObject;

use crate::runtime::{api_noerr, errors, gil};

/// `PyOS_sighandler_t` (`SIG_DFL` 0, `SIG_IGN` 1, `SIG_ERR` -1 as pointers).
pub type SigHandler = usize;

/// 1 if SIGINT arrived since the last check, clearing it; 0 otherwise and
/// off the main thread. RustPython keeps its trip flags private, so this
/// runs the pending Python signal handlers as `PyErr_CheckSignals` does and
/// reports whether that raised `KeyboardInterrupt` (which it consumes);
/// another exception a handler raises stays set.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_InterruptOccurred() -> c_int {
    api_noerr("PyOS_InterruptOccurred", 0, |vm| {
        if rustpython_vm::stdlib::_thread::get_ident() != vm.state.main_thread_ident.load() {
            return 0;
        }
        match vm.check_signals() {
            Ok(()) => 0,
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.keyboard_interrupt) => 1,
            Err(e) => {
                errors::set(e);
                0
            }
        }
    })
}

/// Runs `os.register_at_fork(before=...)` callbacks (last registered
/// first), to be called just before `fork()`.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_BeforeFork() {
    run_forkers("PyOS_BeforeFork", |vm| {
        let mut v = vm.state.before_forkers.lock().clone();
        v.reverse();
        v
    })
}

/// Runs the `after_in_parent` callbacks after `fork()` in the parent.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_AfterFork_Parent() {
    run_forkers("PyOS_AfterFork_Parent", |vm| vm.state.after_forkers_parent.lock().clone())
}

/// In the child after `fork()`: the calling thread becomes the main
/// thread and the `after_in_child` callbacks run (among them `threading`'s
/// own re-initialisation).
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_AfterFork_Child() {
    rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        vm.state.main_thread_ident.store(rustpython_vm::stdlib::_thread::get_ident());
    });
    run_forkers("PyOS_AfterFork_Child", |vm| vm.state.after_forkers_child.lock().clone())
}

/// Deprecated alias of `PyOS_AfterFork_Child`.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_AfterFork() {
    PyOS_AfterFork_Child()
}

fn run_forkers(name: &str, which: impl FnOnce(&rustpython_vm::VirtualMachine) -> Vec<rustpython_vm::PyObjectRef>) {
    api_noerr(name, (), |vm| {
        let _g = gil::ensure(vm);
        let funcs = which(vm);
        super::py(vm, || {
            for f in funcs {
                if let Err(e) = f.call((), vm) {
                    vm.run_unraisable(e, Some("Exception ignored in".to_owned()), f);
                }
            }
        })
    })
}

/// The current handler of `sig` (`SIG_ERR` if `sig` is invalid).
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_getsig(sig: c_int) -> SigHandler {
    // SAFETY: a zeroed sigaction is a valid out-parameter.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying only.
    if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == -1 {
        return libc::SIG_ERR;
    }
    old.sa_sigaction
}

/// Installs `handler` for `sig` (with `SA_ONSTACK`, as CPython); returns
/// the previous handler, or `SIG_ERR`.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_setsig(sig: c_int, handler: SigHandler) -> SigHandler {
    // SAFETY: zeroed sigaction structures are valid to fill in.
    let (mut new, mut old): (libc::sigaction, libc::sigaction) = unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
    new.sa_sigaction = handler;
    new.sa_flags = libc::SA_ONSTACK;
    // SAFETY: valid structures; the handler is the caller's.
    unsafe {
        libc::sigemptyset(&mut new.sa_mask);
        if libc::sigaction(sig, &new, &mut old) == -1 {
            return libc::SIG_ERR;
        }
    }
    old.sa_sigaction
}

/// Sets the file descriptor `signal.set_wakeup_fd` writes signal numbers
/// to (negative: none); returns the previous one (-1: none). Errors
/// `signal.set_wakeup_fd` raises (not the main thread, blocking fd) are
/// cleared and leave the descriptor unchanged, returning -1.
#[unsafe(no_mangle)]
pub extern "C" fn PySignal_SetWakeupFd(fd: c_int) -> c_int {
    let fd = fd.max(-1);
    api_noerr("PySignal_SetWakeupFd", -1, |vm| {
        let r = super::py(vm, || vm.import("signal", 0).and_then(|s| vm.call_method(&s, "set_wakeup_fd", (fd,))));
        r.ok().and_then(|o| o.try_to_value::<i32>(vm).ok()).unwrap_or(-1)
    })
}

/// 1 if the C stack is close to exhausted (below the limit
/// `PyUnstable_ThreadState_SetStackProtection` set, or within 64 KiB of the
/// thread's stack end), else 0.
#[unsafe(no_mangle)]
pub extern "C" fn PyOS_CheckStack() -> c_int {
    let marker = 0u8;
    let here = std::hint::black_box(&raw const marker) as usize;
    c_int::from(super::pystate::stack_low(here))
}
