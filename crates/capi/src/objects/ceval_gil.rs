//! `ceval.h` (threads): `PyEval_AcquireThread` and the other GIL-state
//! calls, C trace/profile functions, and pending calls.

use std::collections::VecDeque;
use std::ffi::{c_int, c_void};

use parking_lot::Mutex;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use super::{pystate, rp};
use crate::abi::PyObject;
use crate::bridge;
use crate::runtime::{Shared, api, api_noerr, errors, gil, system_error};

/// Takes the GIL for `tstate` and makes it current (attaching this thread
/// to the interpreter if Python never saw it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEval_AcquireThread(tstate: *mut c_void) {
    if tstate.is_null() {
        super::pyfatal::fatal_error(Some("PyEval_AcquireThread"), "NULL thread state");
    }
    // SAFETY: C passes a live thread state.
    unsafe { pystate::take(tstate.cast(), true) }
}

/// Releases the GIL `tstate` (the current state) holds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEval_ReleaseThread(tstate: *mut c_void) {
    if tstate.is_null() {
        super::pyfatal::fatal_error(Some("PyEval_ReleaseThread"), "NULL thread state");
    }
    if tstate.cast() != pystate::current() {
        super::pyfatal::fatal_error(Some("PyEval_ReleaseThread"), "non-current thread state");
    }
    pystate::give();
}

/// Takes the GIL without touching the thread state (deprecated).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_AcquireLock() {
    let g = api_noerr("PyEval_AcquireLock", None, |vm| Some(gil::ensure(vm)));
    std::mem::forget(g);
}

/// Releases the GIL taken by `PyEval_AcquireLock` (deprecated).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_ReleaseLock() {
    if gil::held() {
        gil::release_one();
    }
}

/// No-op: the GIL exists from interpreter start (CPython >= 3.7).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_InitThreads() {}

/// Always 1: threads are initialised with the interpreter.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_ThreadsInitialized() -> c_int {
    1
}

// ---- C trace and profile functions ----

/// `Py_tracefunc`.
type TraceFunc = unsafe extern "C" fn(*mut PyObject, *mut PyObject, c_int, *mut PyObject) -> c_int;

/// `PyTrace_*` for the event names `sys.settrace`/`setprofile` deliver.
fn event_code(name: &str) -> Option<c_int> {
    Some(match name {
        "call" => 0,
        "exception" => 1,
        "line" => 2,
        "return" => 3,
        "c_call" => 4,
        "c_exception" => 5,
        "c_return" => 6,
        "opcode" => 7,
        _ => return None,
    })
}

/// A Python callable for `sys.settrace`/`setprofile` that calls the C
/// function `func(obj, frame, what, arg)`; as a trace function it returns
/// itself so that every frame's local events reach the C function too.
fn tracer(vm: &VirtualMachine, func: TraceFunc, obj: *mut PyObject) -> PyResult<PyObjectRef> {
    let obj = if obj.is_null() { None } else { Some(rp(vm, obj)?) };
    let f = Shared(func);
    let me: std::sync::Arc<Mutex<Option<PyObjectRef>>> = Default::default();
    let me2 = me.clone();
    let native = vm.new_function("c_tracefunc", move |args: FuncArgs, vm: &VirtualMachine| -> PyResult<PyObjectRef> {
        let [frame, event, arg]: [PyObjectRef; 3] =
            args.args.try_into().map_err(|_| system_error(vm, "trace function called with a wrong signature"))?;
        let name = event.str(vm)?.to_string();
        let Some(what) = event_code(&name) else { return Ok(vm.ctx.none()) };
        let _g = gil::ensure(vm);
        let c_obj = obj.as_ref().map_or(std::ptr::null_mut(), |o| bridge::to_c(vm, o));
        let c_frame = bridge::to_c(vm, &frame);
        let c_arg = bridge::to_c(vm, &arg);
        // SAFETY: calling the extension's trace function with live objects.
        let r = unsafe { call_trace(f, c_obj, c_frame, what, c_arg) };
        // SAFETY: our references.
        unsafe {
            bridge::xdecref(c_obj);
            bridge::decref(c_frame);
            bridge::decref(c_arg);
        }
        if r != 0 {
            return Err(errors::take().unwrap_or_else(|| system_error(vm, "trace function failed without setting an exception")));
        }
        Ok(me2.lock().clone().unwrap_or_else(|| vm.ctx.none()))
    });
    let native: PyObjectRef = native.into();
    *me.lock() = Some(native.clone());
    Ok(native)
}

/// # Safety
/// Arguments are live objects (obj may be NULL).
unsafe fn call_trace(f: Shared<TraceFunc>, obj: *mut PyObject, frame: *mut PyObject, what: c_int, arg: *mut PyObject) -> c_int {
    // SAFETY: forwarded.
    unsafe { (f.0)(obj, frame, what, arg) }
}

/// Installs the C trace/profile function through `sys.<setter>` (NULL
/// `func` removes it).
fn set_hook(name: &str, setter: &'static str, func: Option<TraceFunc>, obj: *mut PyObject) {
    api(name, |vm| {
        let f = match func {
            Some(func) => tracer(vm, func, obj)?,
            None => vm.ctx.none(),
        };
        super::py(vm, || vm.call_method(vm.sys_module.as_ref(), setter, (f,))).map(|_| ())
    })
}

/// Sets this thread's C profile function (`sys.setprofile` semantics).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_SetProfile(func: Option<TraceFunc>, obj: *mut PyObject) {
    set_hook("PyEval_SetProfile", "setprofile", func, obj)
}

/// Sets the C profile function of every thread.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_SetProfileAllThreads(func: Option<TraceFunc>, obj: *mut PyObject) {
    set_hook("PyEval_SetProfileAllThreads", "_setprofileallthreads", func, obj)
}

/// Sets this thread's C trace function (`sys.settrace` semantics).
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_SetTrace(func: Option<TraceFunc>, obj: *mut PyObject) {
    set_hook("PyEval_SetTrace", "settrace", func, obj)
}

/// Sets the C trace function of every thread.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_SetTraceAllThreads(func: Option<TraceFunc>, obj: *mut PyObject) {
    set_hook("PyEval_SetTraceAllThreads", "_settraceallthreads", func, obj)
}

// ---- pending calls ----

/// `MAXPENDINGCALLS_MAIN`.
const MAX_PENDING: usize = 32;
type PendingFunc = unsafe extern "C" fn(*mut c_void) -> c_int;
static PENDING: Mutex<VecDeque<Shared<(PendingFunc, *mut c_void)>>> = Mutex::new(VecDeque::new());

/// Schedules `func(arg)` to run on the main thread; 0, or -1 (no
/// exception) if the queue is full. Callable from any thread, GIL or not.
#[unsafe(no_mangle)]
pub extern "C" fn Py_AddPendingCall(func: PendingFunc, arg: *mut c_void) -> c_int {
    let mut q = PENDING.lock();
    if q.len() >= MAX_PENDING {
        return -1;
    }
    q.push_back(Shared((func, arg)));
    0
}

/// Raises the exception `PyThreadState_SetAsyncExc` scheduled for this
/// thread, then (on the main thread) runs the pending calls in order,
/// stopping at the first that fails; 0, or -1 with its exception.
#[unsafe(no_mangle)]
pub extern "C" fn Py_MakePendingCalls() -> c_int {
    api("Py_MakePendingCalls", |vm| {
        if let Some(e) = pystate::take_async_exc(vm) {
            return Err(e);
        }
        if rustpython_vm::stdlib::_thread::get_ident() != vm.state.main_thread_ident.load() {
            return Ok(0);
        }
        loop {
            let Some(call) = PENDING.lock().pop_front() else { return Ok(0) };
            // SAFETY: the extension's pending-call function with its argument.
            if unsafe { run_pending(call) } != 0 {
                return Err(errors::take().unwrap_or_else(|| system_error(vm, "pending call failed without setting an exception")));
            }
        }
    })
}

/// # Safety
/// `call` came from `Py_AddPendingCall`.
unsafe fn run_pending(call: Shared<(PendingFunc, *mut c_void)>) -> c_int {
    // SAFETY: forwarded.
    unsafe { (call.0.0)(call.0.1) }
}
