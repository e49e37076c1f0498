//! `pystate.h`: thread states, the one interpreter state, and
//! `PyState_*Module` (the per-interpreter table of single-phase modules).
//!
//! A `PyThreadState*` is a facade [`ThreadState`]: every OS thread that calls
//! the C-API has a default one; `PyThreadState_New` makes more, which any
//! thread may then take with `PyEval_AcquireThread`/`PyEval_RestoreThread`/
//! `PyThreadState_Swap` (attaching that thread to the interpreter if Python
//! never saw it). All live thread states are listed, newest first, for
//! `PyInterpreterState_ThreadHead`/`PyThreadState_Next`.

use std::cell::Cell;
use std::ffi::{c_int, c_ulong, c_void};
use std::ptr::null_mut;

use parking_lot::Mutex;
use rustpython_vm::vm::thread::{self as rthread, CurrentVmAttachState};
use rustpython_vm::{AsObject, PyObjectRef, VirtualMachine};

use super::rp;
use crate::abi::{PyErrStackItem, PyModuleDef, PyObject, PyThreadStateHead};
use crate::bridge;
use crate::runtime::{api, api_noerr, errors, gil, not_implemented, system_error};

/// What a `PyThreadState*` points at: CPython's layout first (extensions
/// read the error indicator and the handled-exception stack inline), then
/// the facade's own fields.
#[repr(C)]
pub struct ThreadState {
    /// `current_exception` is the error indicator (one owned reference, see
    /// `runtime::errors`); `exc_info` points at `exc_state` unless C pushed
    /// items of its own (Cython's generators do).
    pub(crate) head: PyThreadStateHead,
    /// The bottom entry of the handled-exception stack (one owned reference).
    exc_state: PyErrStackItem,
    /// GIL depth saved by `PyEval_SaveThread` / released with the state
    /// (None: never held, as a state from `PyThreadState_New`).
    saved_depth: Option<usize>,
    /// `threading.get_ident()` of the thread the state was last bound to.
    thread_id: u64,
    /// `tstate->id`: 1 for the main thread's state, then 2, 3, ...
    id: u64,
    /// `PyThreadState_GetDict`'s dict (one owned reference), or NULL.
    dict: *mut PyObject,
    /// Set when taking this state attached the thread to the interpreter.
    attached: Option<CurrentVmAttachState>,
    /// `PyThreadState_EnterTracing` depth.
    tracing: u32,
    /// Stack bounds `(base, top)` from `PyUnstable_ThreadState_SetStackProtection`.
    stack: Option<(usize, usize)>,
}

impl ThreadState {
    /// A new state on the heap (its `exc_info` points into itself).
    fn boxed() -> *mut ThreadState {
        let ts = Box::into_raw(Box::new(ThreadState {
            head: PyThreadStateHead {
                prev: null_mut(),
                next: null_mut(),
                interp: PyInterpreterState_Get(),
                _internal: [0; 88],
                current_exception: null_mut(),
                exc_info: null_mut(),
            },
            exc_state: PyErrStackItem { exc_value: null_mut(), previous_item: null_mut() },
            saved_depth: None,
            thread_id: 0,
            id: 0,
            dict: null_mut(),
            attached: None,
            tracing: 0,
            stack: None,
        }));
        // SAFETY: just made; the box never moves.
        unsafe { (*ts).head.exc_info = &raw mut (*ts).exc_state };
        ts
    }
}

/// Every live thread state (addresses), newest first.
static ALL: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn register(ts: *mut ThreadState) {
    ALL.lock().insert(0, ts as usize);
}

fn unregister(ts: *mut ThreadState) {
    ALL.lock().retain(|&p| p != ts as usize);
}

/// The thread's default state, registered while the thread lives.
struct Default(*mut ThreadState);
impl Drop for Default {
    fn drop(&mut self) {
        unregister(self.0);
        // The dict's reference is leaked: no interpreter may be attached to
        // a thread that is exiting.
        // SAFETY: made by Box::into_raw in DEFAULT's initialiser.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

thread_local! {
    static DEFAULT: Default = {
        let ts = ThreadState::boxed();
        let me = ident();
        let main = rthread::try_with_current_vm(|vm| vm.state.main_thread_ident.load() == me).unwrap_or(false);
        // SAFETY: just made.
        unsafe {
            (*ts).thread_id = me;
            (*ts).id = if main { 1 } else { next_id() };
        }
        register(ts);
        Default(ts)
    };
    /// The state `PyThreadState_Swap`/`PyEval_AcquireThread` made current;
    /// NULL: the default one.
    static CURRENT: Cell<*mut ThreadState> = const { Cell::new(null_mut()) };
}

/// The next `tstate->id` (1 is the main thread's).
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(2);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn ident() -> u64 {
    rustpython_vm::stdlib::_thread::get_ident()
}

/// This thread's current thread state.
pub(crate) fn current() -> *mut ThreadState {
    let c = CURRENT.with(|c| c.get());
    if c.is_null() { DEFAULT.with(|d| d.0) } else { c }
}

fn tstate_ptr() -> *mut c_void {
    current().cast()
}

/// Makes `ts` this thread's current state and takes the GIL for it at its
/// saved depth (`PyEval_RestoreThread`; at least 1 with `acquire`, as
/// `PyEval_AcquireThread`), attaching the thread to the interpreter first
/// if Python never saw it.
///
/// # Safety
/// `ts` is a live thread state.
pub(crate) unsafe fn take(ts: *mut ThreadState, acquire: bool) {
    // SAFETY: per the contract.
    let t = unsafe { &mut *ts };
    if !rthread::current_vm_is_set() {
        match crate::runtime::new_thread_vm() {
            Some(tvm) => t.attached = Some(rthread::attach_current_thread(move || tvm)),
            None => {
                eprintln!("Fatal Python error: PyEval_AcquireThread: the interpreter is not initialised");
                std::process::abort();
            }
        }
    }
    t.thread_id = ident();
    CURRENT.with(|c| c.set(if ts == DEFAULT.with(|d| d.0) { null_mut() } else { ts }));
    let depth = t.saved_depth.take().unwrap_or(1);
    let depth = if acquire { depth.max(1) } else { depth };
    match rthread::try_with_current_vm(|vm| gil::restore(Some(vm), depth)) {
        Some(()) => {}
        None => gil::restore(None, depth),
    }
}

/// Releases the GIL the current state holds, remembering its depth, and
/// detaches the thread if taking the state attached it; returns the state.
pub(crate) fn give() -> *mut ThreadState {
    let ts = current();
    // SAFETY: the current state is live.
    let t = unsafe { &mut *ts };
    t.saved_depth = Some(gil::save());
    if let Some(state) = t.attached.take() {
        rthread::release_current_thread(state);
    }
    ts
}

thread_local! {
    /// One entry per unrestored `PyEval_SaveThread`: the RustPython thread
    /// context it detached (None: the thread had none).
    static DETACHED: std::cell::RefCell<Vec<Option<rthread::SavedThreadState>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Releases the GIL (`Py_BEGIN_ALLOW_THREADS`) and detaches the thread from
/// RustPython, so that a stop-the-world (a collection) need not wait for
/// host or blocking code; returns the thread state.
#[unsafe(no_mangle)]
pub extern "C" fn PyEval_SaveThread() -> *mut c_void {
    let ts = current();
    // SAFETY: the current state is live.
    unsafe { (*ts).saved_depth = Some(gil::save()) };
    let saved = rthread::current_vm_is_set().then(rthread::save_current_thread);
    DETACHED.with(|d| d.borrow_mut().push(saved));
    ts.cast()
}

/// Re-attaches what `PyEval_SaveThread` detached, re-acquires the GIL it
/// released (or takes a state from `PyThreadState_New`) and makes `ts` current.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEval_RestoreThread(ts: *mut c_void) {
    if let Some(Some(saved)) = DETACHED.with(|d| d.borrow_mut().pop()) {
        if rthread::current_vm_is_set() {
            // Attached again meanwhile and never released: keep that one
            // (the saved context's VM stays alive, unused).
            std::mem::forget(saved);
        } else {
            rthread::restore_current_thread(saved);
        }
    }
    let ts = if ts.is_null() { current() } else { ts.cast() };
    // SAFETY: C passes a live thread state.
    unsafe { take(ts, false) }
}

thread_local! {
    /// One entry per unreleased `PyGILState_Ensure`: whether that call
    /// attached this (non-Python) thread to the interpreter.
    static ENSURED: std::cell::RefCell<Vec<Option<CurrentVmAttachState>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `PyGILState_Ensure`: makes this thread able to call the C-API — attaching
/// it to the interpreter if Python never saw it — and takes the GIL.
/// Returns 0 (`PyGILState_LOCKED`) if the GIL was already held, else 1.
#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_Ensure() -> c_int {
    let was = gil::held();
    let attached = if rthread::current_vm_is_set() {
        None
    } else {
        match crate::runtime::new_thread_vm() {
            Some(tvm) => Some(rthread::attach_current_thread(move || tvm)),
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
        rthread::release_current_thread(state);
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_Check() -> c_int {
    gil::held() as c_int
}

#[unsafe(no_mangle)]
pub extern "C" fn PyGILState_GetThisThreadState() -> *mut c_void {
    DEFAULT.with(|d| d.0).cast()
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_Get() -> *mut c_void {
    tstate_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_GetUnchecked() -> *mut c_void {
    tstate_ptr()
}

/// A new thread state of the interpreter, not yet current anywhere.
#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_New(_interp: *mut c_void) -> *mut c_void {
    let ts = ThreadState::boxed();
    // SAFETY: just made.
    unsafe { (*ts).id = next_id() };
    register(ts);
    ts.cast()
}

/// Releases what the state holds (its dict, error indicator and handled
/// exception). The state stays usable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_Clear(ts: *mut c_void) {
    if ts.is_null() {
        return;
    }
    // SAFETY: C passes a live thread state.
    let t = unsafe { &mut *ts.cast::<ThreadState>() };
    let held = [
        std::mem::replace(&mut t.dict, null_mut()),
        std::mem::replace(&mut t.head.current_exception, null_mut()),
        std::mem::replace(&mut t.exc_state.exc_value, null_mut()),
    ];
    for p in held {
        // SAFETY: the state owned one reference to each.
        unsafe { bridge::xdecref(p) };
    }
}

/// Frees a state from `PyThreadState_New` that no thread has current
/// (a thread's default state lives as long as its thread).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_Delete(ts: *mut c_void) {
    let ts = ts.cast::<ThreadState>();
    if ts.is_null() || ts == current() {
        eprintln!("Fatal Python error: PyThreadState_Delete: tstate is still current");
        std::process::abort();
    }
    // SAFETY: forwarded contract.
    unsafe { delete(ts) }
}

/// # Safety
/// `ts` is a live thread state no thread uses any more.
unsafe fn delete(ts: *mut ThreadState) {
    // SAFETY: forwarded.
    unsafe { PyThreadState_Clear(ts.cast()) };
    if ALL.lock().contains(&(ts as usize)) && !is_default(ts) {
        unregister(ts);
        // SAFETY: made by Box::into_raw in PyThreadState_New.
        drop(unsafe { Box::from_raw(ts) });
    }
}

fn is_default(ts: *mut ThreadState) -> bool {
    DEFAULT.with(|d| d.0) == ts
}

/// Frees the current state (from `PyThreadState_New`) and releases the GIL.
#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_DeleteCurrent() {
    let ts = give();
    CURRENT.with(|c| c.set(null_mut()));
    // SAFETY: no longer current.
    unsafe { delete(ts) }
}

/// Makes `ts` current (taking the GIL) after releasing the GIL for the
/// current state; returns the previous current state. NULL for either
/// means none (CPython: `Swap(NULL)` detaches the thread).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_Swap(ts: *mut c_void) -> *mut c_void {
    let old = if gil::held() { give().cast() } else { null_mut() };
    if !ts.is_null() {
        // SAFETY: C passes a live thread state.
        unsafe { take(ts.cast(), true) };
    }
    old
}

/// Borrowed reference to the state's dict for extension data (created on
/// first use); NULL, no exception, if there is no current state.
#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_GetDict() -> *mut PyObject {
    if !gil::held() {
        return null_mut();
    }
    // SAFETY: the current state is live and used by this thread only.
    let t = unsafe { &mut *current() };
    if t.dict.is_null() {
        t.dict = api_noerr("PyThreadState_GetDict", null_mut(), |vm| bridge::to_c(vm, vm.ctx.new_dict().as_object()));
    }
    t.dict
}

/// New reference to the frame the state's thread runs, or NULL (no
/// exception) if it runs none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_GetFrame(ts: *mut c_void) -> *mut PyObject {
    let ts = if ts.is_null() { current() } else { ts.cast::<ThreadState>() };
    // SAFETY: C passes a live thread state.
    let id = unsafe { (*ts).thread_id };
    api_noerr("PyThreadState_GetFrame", null_mut(), |vm| {
        let frame: Option<PyObjectRef> = if id == ident() {
            vm.current_frame().map(|f| f.to_owned().into())
        } else {
            super::py(vm, || {
                let frames = vm.sys_module.get_attr("_current_frames", vm).and_then(|f| f.call((), vm)).ok()?;
                frames.get_item(vm.ctx.new_int(id).as_object(), vm).ok()
            })
        };
        frame.map_or(null_mut(), |f| bridge::to_c(vm, &f))
    })
}

/// The state's unique id (`tstate->id`: 1 for the main thread's state).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_GetID(ts: *mut c_void) -> u64 {
    let ts = if ts.is_null() { current() } else { ts.cast::<ThreadState>() };
    // SAFETY: C passes a live thread state.
    unsafe { (*ts).id }
}

/// The one interpreter state.
#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_GetInterpreter(_ts: *mut c_void) -> *mut c_void {
    PyInterpreterState_Get()
}

/// The thread state after `ts` in the interpreter's list, or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_Next(ts: *mut c_void) -> *mut c_void {
    let all = ALL.lock();
    let i = all.iter().position(|&p| p == ts as usize);
    i.and_then(|i| all.get(i + 1)).map_or(null_mut(), |&p| p as *mut c_void)
}

/// Suspends trace and profile functions on this thread until the matching
/// `PyThreadState_LeaveTracing`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_EnterTracing(ts: *mut c_void) {
    let ts = if ts.is_null() { current() } else { ts.cast::<ThreadState>() };
    // SAFETY: C passes its own live thread state.
    let t = unsafe { &mut *ts };
    t.tracing += 1;
    rthread::try_with_current_vm(|vm| vm.use_tracing.set(false));
}

/// Ends a `PyThreadState_EnterTracing`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThreadState_LeaveTracing(ts: *mut c_void) {
    let ts = if ts.is_null() { current() } else { ts.cast::<ThreadState>() };
    // SAFETY: C passes its own live thread state.
    let t = unsafe { &mut *ts };
    t.tracing = t.tracing.saturating_sub(1);
    if t.tracing == 0 {
        rthread::try_with_current_vm(|vm| {
            let on = !vm.is_none(&vm.trace_func.borrow()) || !vm.is_none(&vm.profile_func.borrow());
            vm.use_tracing.set(on)
        });
    }
}

/// Exceptions `PyThreadState_SetAsyncExc` scheduled, by thread id.
static ASYNC_EXC: Mutex<Vec<(u64, usize)>> = Mutex::new(Vec::new());

/// Schedules `exc` (an exception class or instance; NULL: cancel) to be
/// raised in the Python thread `id`; returns how many threads matched
/// (0 or 1). The main thread raises it between bytecodes, as CPython; any
/// thread raises it when it next calls `Py_MakePendingCalls`. RustPython's
/// eval loop has no per-thread asynchronous-exception slot, so Python code
/// running on another thread does not see it until then.
#[unsafe(no_mangle)]
pub extern "C" fn PyThreadState_SetAsyncExc(id: c_ulong, exc: *mut PyObject) -> c_int {
    api("PyThreadState_SetAsyncExc", |vm| {
        let id = id as u64;
        let known = ALL.lock().iter().any(|&p| {
            // SAFETY: listed states are live.
            unsafe { (*(p as *mut ThreadState)).thread_id == id }
        }) || {
            let frames = super::py(vm, || vm.sys_module.get_attr("_current_frames", vm).and_then(|f| f.call((), vm)));
            frames.is_ok_and(|f| f.get_item(vm.ctx.new_int(id).as_object(), vm).is_ok())
        };
        if !known {
            return Ok(0);
        }
        let mut q = ASYNC_EXC.lock();
        if let Some(i) = q.iter().position(|e| e.0 == id) {
            let (_, old) = q.remove(i);
            // SAFETY: the queue owned one reference.
            unsafe { bridge::decref(old as *mut PyObject) };
        }
        if !exc.is_null() {
            let e = rp(vm, exc)?;
            q.push((id, bridge::to_c(vm, &e) as usize));
            if id == vm.state.main_thread_ident.load() {
                super::ceval_gil::wake_main(Box::new(|vm: &VirtualMachine| take_async_exc(vm).map_or(Ok(()), Err)));
            }
        }
        Ok(1)
    })
}

/// Takes the exception scheduled for this thread by
/// `PyThreadState_SetAsyncExc`, as the exception to raise.
pub(crate) fn take_async_exc(vm: &VirtualMachine) -> Option<rustpython_vm::builtins::PyBaseExceptionRef> {
    let me = ident();
    let p = {
        let mut q = ASYNC_EXC.lock();
        let i = q.iter().position(|e| e.0 == me)?;
        q.remove(i).1 as *mut PyObject
    };
    let e = rp(vm, p);
    // SAFETY: the queue's reference.
    unsafe { bridge::decref(p) };
    let e = e.ok()?;
    let (ty, val) = if e.downcast_ref::<rustpython_vm::builtins::PyType>().is_some() { (e, vm.ctx.none()) } else { (e.class().to_owned().into(), e) };
    Some(match vm.normalize_exception(ty, val, vm.ctx.none()) {
        Ok(exc) => exc,
        Err(err) => err,
    })
}

// ---- stack protection ----

/// CPython's `_PyOS_STACK_MARGIN_BYTES` on 64-bit builds.
const STACK_MARGIN: usize = 2048 * std::mem::size_of::<usize>();

thread_local! {
    /// The OS's stack bounds `(base, top)` of this thread.
    static OS_STACK: (usize, usize) = os_stack();
}

fn os_stack() -> (usize, usize) {
    // SAFETY: pthread attribute queries on the calling thread.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return (0, usize::MAX);
        }
        let (mut addr, mut size) = (null_mut::<c_void>(), 0usize);
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 { (0, usize::MAX) } else { (addr as usize, addr as usize + size) }
    }
}

/// Whether the stack address `here` is within CPython's soft margin of
/// the current thread state's stack end.
pub(crate) fn stack_low(here: usize) -> bool {
    // SAFETY: the current state is live.
    let (base, _) = unsafe { (*current()).stack }.unwrap_or_else(|| OS_STACK.with(|s| *s));
    here < base.saturating_add(STACK_MARGIN * 2)
}

/// Tells the interpreter that `tstate`'s thread now runs on the stack
/// `[start, start + size)` (coroutine libraries switching stacks); 0, or
/// -1 with `ValueError` if `size` is below CPython's minimum. The facade's
/// own overflow check (`PyOS_CheckStack`) follows it; RustPython's
/// recursion guard keeps the OS thread's bounds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_ThreadState_SetStackProtection(tstate: *mut c_void, start: *mut c_void, size: usize) -> c_int {
    api("PyUnstable_ThreadState_SetStackProtection", |vm| {
        let min = STACK_MARGIN * 3;
        if size < min {
            return Err(vm.new_value_error(format!("stack_size must be at least {min} bytes")));
        }
        let ts = if tstate.is_null() { current() } else { tstate.cast::<ThreadState>() };
        // SAFETY: C passes a live thread state.
        unsafe { (*ts).stack = Some((start as usize, start as usize + size)) };
        Ok(0)
    })
}

/// Restores the stack bounds the OS reported for the thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_ThreadState_ResetStackProtection(tstate: *mut c_void) {
    let ts = if tstate.is_null() { current() } else { tstate.cast::<ThreadState>() };
    // SAFETY: C passes a live thread state.
    unsafe { (*ts).stack = None };
}

// ---- the interpreter ----

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

/// The first (and only) interpreter.
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_Head() -> *mut c_void {
    PyInterpreterState_Get()
}

/// The interpreter after `interp`: none, there is only one.
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_Next(_interp: *mut c_void) -> *mut c_void {
    null_mut()
}

/// The newest thread state of the interpreter.
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_ThreadHead(_interp: *mut c_void) -> *mut c_void {
    ALL.lock().first().map_or(null_mut(), |&p| p as *mut c_void)
}

/// `PyInterpreterState_GetDict`'s dict (one owned reference).
static INTERP_DICT: Mutex<usize> = Mutex::new(0);

/// Borrowed reference to the interpreter's dict for extension data; NULL
/// (no exception) if it cannot be made.
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_GetDict(_interp: *mut c_void) -> *mut PyObject {
    let mut d = INTERP_DICT.lock();
    if *d == 0 {
        *d = api_noerr("PyInterpreterState_GetDict", null_mut(), |vm| bridge::to_c(vm, vm.ctx.new_dict().as_object())) as usize;
    }
    *d as *mut PyObject
}

/// Stub: RustPython embeds one interpreter per process here and the facade
/// has a single `PyInterpreterState`, so no second one can be made; NULL
/// with `SystemError`.
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_New() -> *mut c_void {
    api("PyInterpreterState_New", |vm| -> rustpython_vm::PyResult<*mut c_void> { Err(not_implemented(vm, "PyInterpreterState_New")) })
}

/// No-op: the one interpreter's state belongs to RustPython, which clears
/// it at exit (CPython calls this only while finalising).
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_Clear(_interp: *mut c_void) {}

/// No-op, as [`PyInterpreterState_Clear`].
#[unsafe(no_mangle)]
pub extern "C" fn PyInterpreterState_Delete(_interp: *mut c_void) {}

// ---- PyState_*Module ----

/// `interp->modules_by_index`: owned references by `m_base.m_index`.
static BY_INDEX: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static NEXT_INDEX: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(1);

/// Gives `def` its `m_index` if it has none (`PyModuleDef_Init`).
///
/// # Safety
/// `def` is a valid module definition.
unsafe fn index_of(def: *mut PyModuleDef) -> isize {
    // SAFETY: per the contract.
    let b = unsafe { &mut (*def).m_base };
    if b.m_index == 0 {
        b.m_index = NEXT_INDEX.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    b.m_index
}

/// Records a single-phase module just made by `PyInit_*` in the table, as
/// CPython's import does, so that `PyState_FindModule` finds it.
pub(crate) fn fixup_single_phase(vm: &VirtualMachine, m: &PyObjectRef) {
    let mp = bridge::to_c(vm, m);
    let def = super::moduleobject::PyModule_GetDef(mp);
    errors::take();
    // SAFETY: def is the module's definition.
    if !def.is_null() && unsafe { (*def).m_slots.is_null() } {
        // SAFETY: as above.
        set_by_index(unsafe { index_of(def) }, mp);
    } else {
        // SAFETY: our reference.
        unsafe { bridge::decref(mp) };
    }
}

/// Stores `m` (an owned reference, or NULL) at `index`.
fn set_by_index(index: isize, m: *mut PyObject) {
    let old = {
        let mut t = BY_INDEX.lock();
        let i = index as usize;
        if t.len() <= i {
            t.resize(i + 1, 0);
        }
        std::mem::replace(&mut t[i], m as usize)
    };
    // SAFETY: the table owned one reference.
    unsafe { bridge::xdecref(old as *mut PyObject) };
}

/// Borrowed reference to the module made from `def` recorded for this
/// interpreter, or NULL (no exception).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyState_FindModule(def: *mut PyModuleDef) -> *mut PyObject {
    // SAFETY: C passes a valid definition.
    let (index, slots) = unsafe { ((*def).m_base.m_index, (*def).m_slots) };
    if !slots.is_null() || index <= 0 {
        return null_mut();
    }
    BY_INDEX.lock().get(index as usize).map_or(null_mut(), |&p| p as *mut PyObject)
}

/// Records `module` as the one made from `def`; 0, or -1 with an exception.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyState_AddModule(module: *mut PyObject, def: *mut PyModuleDef) -> c_int {
    if def.is_null() {
        fatal("PyState_AddModule", "module definition is NULL");
    }
    api("PyState_AddModule", |vm| {
        // SAFETY: C passes a valid definition.
        if unsafe { !(*def).m_slots.is_null() } {
            return Err(system_error(vm, "PyState_AddModule called on module with slots"));
        }
        // SAFETY: as above.
        let index = unsafe { index_of(def) };
        if BY_INDEX.lock().get(index as usize) == Some(&(module as usize)) {
            fatal("PyState_AddModule", &format!("module {module:p} already added"));
        }
        let m = rp(vm, module)?;
        set_by_index(index, bridge::to_c(vm, &m));
        Ok(0)
    })
}

/// Forgets the module recorded for `def`; 0, or -1 with `SystemError`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyState_RemoveModule(def: *mut PyModuleDef) -> c_int {
    api("PyState_RemoveModule", |vm| {
        // SAFETY: C passes a valid definition.
        let (index, slots) = unsafe { ((*def).m_base.m_index, (*def).m_slots) };
        if !slots.is_null() {
            return Err(system_error(vm, "PyState_RemoveModule called on module with slots"));
        }
        if index == 0 {
            fatal("PyState_RemoveModule", "Module index invalid");
        }
        if index as usize >= BY_INDEX.lock().len() {
            return Err(system_error(vm, "PyState_RemoveModule: Module index out of bounds."));
        }
        set_by_index(index, null_mut());
        Ok(0)
    })
}

/// `Py_FatalError` with the function name, as `_Py_FatalErrorFunc`.
fn fatal(func: &str, msg: &str) -> ! {
    super::pyfatal::fatal_error(Some(func), msg)
}

