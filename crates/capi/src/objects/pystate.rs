//! `pystate.h` / `ceval.h` / `pylifecycle.h`: thread states and the GIL.

use std::cell::Cell;
use std::ffi::{c_int, c_void};

use crate::runtime::{api_noerr, gil};

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ThreadState {
    saved_depth: usize,
}

thread_local! {
    static TSTATE: Cell<ThreadState> = const { Cell::new(ThreadState { saved_depth: 0 }) };
}

fn tstate_ptr() -> *mut c_void {
    TSTATE.with(|t| t.as_ptr().cast())
}

/// Releases the GIL (`Py_BEGIN_ALLOW_THREADS`); returns the thread state.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_SaveThread() -> *mut c_void {
    let depth = gil::save();
    TSTATE.with(|t| t.set(ThreadState { saved_depth: depth }));
    tstate_ptr()
}

/// Re-acquires the GIL released by `PyEval_SaveThread`.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_RestoreThread(_ts: *mut c_void) {
    let depth = TSTATE.with(|t| t.get().saved_depth);
    let vm_present = rustpython_vm::vm::thread::try_with_current_vm(|vm| gil::restore(Some(vm), depth));
    if vm_present.is_none() {
        gil::restore(None, depth);
    }
}

thread_local! {
    /// One entry per unreleased `PyGILState_Ensure`: whether that call
    /// attached this (non-Python) thread to the interpreter.
    static ENSURED: std::cell::RefCell<Vec<Option<rustpython_vm::vm::thread::CurrentVmAttachState>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `PyGILState_Ensure`: makes this thread able to call the C-API — attaching
/// it to the interpreter if Python never saw it — and takes the GIL.
/// Returns 0 (`PyGILState_LOCKED`) if the GIL was already held, else 1.
#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_Ensure() -> c_int {
    use rustpython_vm::vm::thread;
    let was = gil::held();
    let attached = if thread::current_vm_is_set() {
        None
    } else {
        match crate::runtime::new_thread_vm() {
            Some(tvm) => Some(thread::attach_current_thread(move || tvm)),
            None => {
                eprintln!("pyfacade: PyGILState_Ensure called before the interpreter was initialised");
                std::process::abort();
            }
        }
    };
    let guard = api_noerr("PyGILState_Ensure", None, |vm| Some(gil::ensure(vm)));
    std::mem::forget(guard);
    ENSURED.with(|e| e.borrow_mut().push(attached));
    if was { 0 } else { 1 }
}

/// Releases what the matching `PyGILState_Ensure` took.
#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_Release(_state: c_int) {
    gil::release_one();
    if let Some(Some(state)) = ENSURED.with(|e| e.borrow_mut().pop()) {
        rustpython_vm::vm::thread::release_current_thread(state);
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_Check() -> c_int {
    gil::held() as c_int
}

#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_GetThisThreadState() -> *mut c_void {
    tstate_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_Get() -> *mut c_void {
    tstate_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_GetUnchecked() -> *mut c_void {
    tstate_ptr()
}

static INTERP: u8 = 0;

#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_Get() -> *mut c_void {
    (&raw const INTERP).cast_mut().cast()
}

#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_GetID(_i: *mut c_void) -> i64 {
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_Main() -> *mut c_void {
    PyInterpreterState_Get()
}
