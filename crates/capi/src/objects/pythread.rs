//! `pythread.h`: native threads, locks, and thread-specific storage, on
//! POSIX threads as CPython does on Linux.
//!
//! Locks are binary semaphores (any thread may release them), as CPython's
//! `PyThread_type_lock`. A thread blocked in an acquire is detached from
//! RustPython (so a stop-the-world can proceed); the `_with_retries` form
//! also releases the GIL while it waits, as CPython does.

use parking_lot::{Condvar, Mutex};
use std::ffi::{c_int, c_ulong, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::rp;
use crate::abi::PyObject;
use crate::runtime::{api, gil, new_error};

/// `PY_TIMEOUT_T` is microseconds; the largest timeout an acquire accepts.
#[unsafe(no_mangle)]
pub static PY_TIMEOUT_MAX: i64 = i64::MAX / 1000;

/// `PyLockStatus`.
const PY_LOCK_FAILURE: c_int = 0;
const PY_LOCK_ACQUIRED: c_int = 1;

/// What `PyThread_type_lock` points at.
struct Lock {
    locked: Mutex<bool>,
    freed: Condvar,
}

impl Lock {
    /// Waits up to `timeout` (None: forever) for the lock; true if taken.
    fn acquire(&self, timeout: Option<Duration>) -> bool {
        let mut locked = self.locked.lock();
        if *locked {
            match timeout {
                Some(t) if t.is_zero() => return false,
                Some(t) => {
                    let deadline = Instant::now() + t;
                    while *locked {
                        if self.freed.wait_until(&mut locked, deadline).timed_out() && *locked {
                            return false;
                        }
                    }
                }
                None => {
                    while *locked {
                        self.freed.wait(&mut locked);
                    }
                }
            }
        }
        *locked = true;
        true
    }
}

/// Blocks in `f` detached from RustPython when this thread runs Python.
fn detached<R>(f: impl FnOnce() -> R) -> R {
    let mut f = Some(f);
    rustpython_vm::vm::thread::try_with_current_vm(|vm| rustpython_vm::vm::thread::allow_threads(vm, || (f.take().expect("once"))()))
        .unwrap_or_else(|| (f.take().expect("not yet run"))())
}

/// A new unlocked lock (NULL only if memory runs out).
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_allocate_lock() -> *mut c_void {
    Box::into_raw(Box::new(Lock { locked: Mutex::new(false), freed: Condvar::new() })).cast()
}

/// Frees a lock from `PyThread_allocate_lock`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_free_lock(lock: *mut c_void) {
    if !lock.is_null() {
        // SAFETY: lock came from PyThread_allocate_lock and is no longer used.
        drop(unsafe { Box::from_raw(lock.cast::<Lock>()) });
    }
}

/// # Safety
/// `lock` must come from `PyThread_allocate_lock`.
unsafe fn lock_ref<'a>(lock: *mut c_void) -> &'a Lock {
    // SAFETY: per the contract.
    unsafe { &*lock.cast::<Lock>() }
}

/// 1 if taken; with `waitflag` 0 it does not block.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_acquire_lock(lock: *mut c_void, waitflag: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { PyThread_acquire_lock_timed(lock, if waitflag != 0 { -1 } else { 0 }, 0) }
}

fn timeout_of(microseconds: i64) -> Option<Duration> {
    (microseconds >= 0).then(|| Duration::from_micros(microseconds as u64))
}

/// `PY_LOCK_ACQUIRED` or `PY_LOCK_FAILURE` after waiting up to
/// `microseconds` (negative: forever).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_acquire_lock_timed(lock: *mut c_void, microseconds: i64, _intr_flag: c_int) -> c_int {
    // SAFETY: forwarded contract.
    let l = unsafe { lock_ref(lock) };
    let timeout = timeout_of(microseconds);
    let taken = if l.acquire(Some(Duration::ZERO)) { true } else if timeout.is_some_and(|t| t.is_zero()) { false } else { detached(|| l.acquire(timeout)) };
    if taken { PY_LOCK_ACQUIRED } else { PY_LOCK_FAILURE }
}

/// Like `PyThread_acquire_lock_timed`, releasing the GIL while it waits.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_acquire_lock_timed_with_retries(lock: *mut c_void, timeout: i64) -> c_int {
    // SAFETY: forwarded contract.
    let l = unsafe { lock_ref(lock) };
    if l.acquire(Some(Duration::ZERO)) {
        return PY_LOCK_ACQUIRED;
    }
    if timeout == 0 {
        return PY_LOCK_FAILURE;
    }
    let depth = gil::save();
    let taken = detached(|| l.acquire(timeout_of(timeout)));
    rustpython_vm::vm::thread::try_with_current_vm(|vm| gil::restore(Some(vm), depth)).unwrap_or_else(|| gil::restore(None, depth));
    if taken { PY_LOCK_ACQUIRED } else { PY_LOCK_FAILURE }
}

/// Releases a lock (from any thread).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_release_lock(lock: *mut c_void) {
    // SAFETY: forwarded contract.
    let l = unsafe { lock_ref(lock) };
    *l.locked.lock() = false;
    l.freed.notify_one();
}

/// `PyThread_ParseTimeoutArg`: a Python timeout in seconds as a `PyTime_t`
/// (nanoseconds, rounded up) in `*timeout`; NULL or None means none (-1 s,
/// or 0 when not blocking). 0, or -1 with CPython's exception.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_ParseTimeoutArg(arg: *mut PyObject, blocking: c_int, timeout: *mut i64) -> c_int {
    api("PyThread_ParseTimeoutArg", |vm| {
        const UNSET: i64 = -1_000_000_000;
        let obj = if arg.is_null() { None } else { Some(rp(vm, arg)?).filter(|o| !vm.is_none(o)) };
        let t = match obj {
            None => {
                if blocking != 0 {
                    UNSET
                } else {
                    0
                }
            }
            Some(_) if blocking == 0 => return Err(vm.new_value_error("can't specify a timeout for a non-blocking call")),
            Some(o) => {
                let ns = seconds_to_ns(vm, &o)?;
                if ns < 0 {
                    return Err(vm.new_value_error("timeout value must be a non-negative number"));
                }
                if (ns as u64).div_ceil(1000) > PY_TIMEOUT_MAX as u64 {
                    return Err(new_error(vm, vm.ctx.exceptions.overflow_error, "timeout value is too large"));
                }
                ns
            }
        };
        // SAFETY: timeout is a valid out pointer.
        unsafe { *timeout = t };
        Ok(0)
    })
}

/// `_PyTime_FromSecondsObject(..., _PyTime_ROUND_TIMEOUT)`: seconds (int or
/// float) as nanoseconds, rounding away from zero for timeouts.
fn seconds_to_ns(vm: &rustpython_vm::VirtualMachine, o: &rustpython_vm::PyObjectRef) -> rustpython_vm::PyResult<i64> {
    if let Some(f) = o.downcast_ref::<rustpython_vm::builtins::PyFloat>() {
        let secs = f.to_f64();
        if secs.is_nan() {
            return Err(vm.new_value_error("Invalid value NaN (not a number)"));
        }
        let ns = (secs * 1e9).ceil();
        if !(i64::MIN as f64..=i64::MAX as f64).contains(&ns) {
            return Err(new_error(vm, vm.ctx.exceptions.overflow_error, "timestamp out of range for platform time_t"));
        }
        return Ok(ns as i64);
    }
    let i = o.try_index(vm)?;
    i64::try_from(i.as_bigint())
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .ok_or_else(|| new_error(vm, vm.ctx.exceptions.overflow_error, "timestamp too large to convert to C PyTime_t"))
}

// ---- threads ---------------------------------------------------------------------

/// Stack size for new threads (0: the system default).
static STACK_SIZE: AtomicUsize = AtomicUsize::new(0);

type ThreadFn = unsafe extern "C" fn(*mut c_void);

extern "C" fn trampoline(arg: *mut c_void) -> *mut c_void {
    // SAFETY: arg is the Box made by spawn().
    let (f, a) = *unsafe { Box::from_raw(arg.cast::<(ThreadFn, usize)>()) };
    // SAFETY: the caller's thread function with its argument.
    unsafe { f(a as *mut c_void) };
    std::ptr::null_mut()
}

/// Starts `func(arg)` on a new POSIX thread.
fn spawn(func: ThreadFn, arg: *mut c_void) -> Option<libc::pthread_t> {
    // SAFETY: standard pthread creation; the attribute object is initialised
    // and destroyed here, the boxed argument is freed by the trampoline.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        let size = STACK_SIZE.load(Ordering::Relaxed);
        if size != 0 {
            libc::pthread_attr_setstacksize(&mut attr, size);
        }
        let data = Box::into_raw(Box::new((func, arg as usize))).cast::<c_void>();
        let mut t: libc::pthread_t = 0;
        let rc = libc::pthread_create(&mut t, &attr, trampoline, data);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            drop(Box::from_raw(data.cast::<(ThreadFn, usize)>()));
            return None;
        }
        Some(t)
    }
}

/// Starts a detached thread; its identifier, or `(unsigned long)-1`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_start_new_thread(func: ThreadFn, arg: *mut c_void) -> c_ulong {
    match spawn(func, arg) {
        Some(t) => {
            // SAFETY: t is a joinable thread we will never join.
            unsafe { libc::pthread_detach(t) };
            t as c_ulong
        }
        None => c_ulong::MAX,
    }
}

/// Starts a joinable thread: 0 and its identifier and handle, or -1.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_start_joinable_thread(func: ThreadFn, arg: *mut c_void, ident: *mut c_ulong, handle: *mut usize) -> c_int {
    match spawn(func, arg) {
        Some(t) => {
            // SAFETY: valid out pointers.
            unsafe {
                *ident = t as c_ulong;
                *handle = t as usize;
            }
            0
        }
        None => -1,
    }
}

/// Waits for a thread from `PyThread_start_joinable_thread`; 0 or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_join_thread(handle: usize) -> c_int {
    // SAFETY: handle is a joinable pthread_t not yet joined or detached.
    let rc = detached(|| unsafe { libc::pthread_join(handle as libc::pthread_t, std::ptr::null_mut()) });
    if rc == 0 { 0 } else { -1 }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_detach_thread(handle: usize) -> c_int {
    // SAFETY: handle is a joinable pthread_t not yet joined or detached.
    if unsafe { libc::pthread_detach(handle as libc::pthread_t) } == 0 { 0 } else { -1 }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_exit_thread() -> ! {
    // SAFETY: ends the calling thread, as CPython's does.
    unsafe { libc::pthread_exit(std::ptr::null_mut()) }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_init_thread() {}

/// The calling thread's identifier (`pthread_self`).
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_get_thread_ident() -> c_ulong {
    // SAFETY: always safe.
    unsafe { libc::pthread_self() as c_ulong }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_get_thread_ident_ex() -> u64 {
    PyThread_get_thread_ident() as u64
}

/// The kernel's id of the calling thread.
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_get_thread_native_id() -> c_ulong {
    // SAFETY: always safe.
    unsafe { libc::gettid() as c_ulong }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_get_stacksize() -> usize {
    STACK_SIZE.load(Ordering::Relaxed)
}

/// 0, or -1 if `size` is too small (CPython: below 32 KiB, except 0).
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_set_stacksize(size: usize) -> c_int {
    if size != 0 && size < 0x8000 {
        return -1;
    }
    STACK_SIZE.store(size, Ordering::Relaxed);
    0
}

/// New reference to `sys.thread_info`.
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_GetInfo() -> *mut PyObject {
    super::new_ref("PyThread_GetInfo", |vm| vm.sys_module.get_attr("thread_info", vm))
}

// ---- thread-specific storage -------------------------------------------------------

/// `Py_tss_t`: initialised flag and a pthread key.
#[repr(C)]
pub struct Py_tss_t {
    is_initialized: c_int,
    key: libc::pthread_key_t,
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_tss_alloc() -> *mut Py_tss_t {
    Box::into_raw(Box::new(Py_tss_t { is_initialized: 0, key: 0 }))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_tss_free(key: *mut Py_tss_t) {
    if !key.is_null() {
        // SAFETY: key came from PyThread_tss_alloc.
        unsafe {
            PyThread_tss_delete(key);
            drop(Box::from_raw(key));
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_tss_is_created(key: *mut Py_tss_t) -> c_int {
    // SAFETY: a valid Py_tss_t.
    unsafe { (*key).is_initialized }
}

/// Creates the key (idempotent); 0, or -1 on failure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_tss_create(key: *mut Py_tss_t) -> c_int {
    // SAFETY: a valid Py_tss_t.
    unsafe {
        if (*key).is_initialized != 0 {
            return 0;
        }
        if libc::pthread_key_create(&mut (*key).key, None) != 0 {
            return -1;
        }
        (*key).is_initialized = 1;
    }
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_tss_delete(key: *mut Py_tss_t) {
    // SAFETY: a valid Py_tss_t.
    unsafe {
        if (*key).is_initialized != 0 {
            libc::pthread_key_delete((*key).key);
            (*key).is_initialized = 0;
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_tss_set(key: *mut Py_tss_t, value: *mut c_void) -> c_int {
    // SAFETY: a valid, created Py_tss_t.
    if unsafe { libc::pthread_setspecific((*key).key, value) } == 0 { 0 } else { -1 }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyThread_tss_get(key: *mut Py_tss_t) -> *mut c_void {
    // SAFETY: a valid, created Py_tss_t.
    unsafe { libc::pthread_getspecific((*key).key) }
}

// ---- the deprecated TLS key API (int keys) ---------------------------------------

/// A new key, or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_create_key() -> c_int {
    let mut k: libc::pthread_key_t = 0;
    // SAFETY: plain key creation.
    if unsafe { libc::pthread_key_create(&mut k, None) } != 0 || k > c_int::MAX as libc::pthread_key_t {
        return -1;
    }
    k as c_int
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_delete_key(key: c_int) {
    // SAFETY: a key from PyThread_create_key.
    unsafe { libc::pthread_key_delete(key as libc::pthread_key_t) };
}

/// 0, or -1 on failure.
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_set_key_value(key: c_int, value: *mut c_void) -> c_int {
    // SAFETY: a key from PyThread_create_key.
    if unsafe { libc::pthread_setspecific(key as libc::pthread_key_t, value) } == 0 { 0 } else { -1 }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_get_key_value(key: c_int) -> *mut c_void {
    // SAFETY: a key from PyThread_create_key.
    unsafe { libc::pthread_getspecific(key as libc::pthread_key_t) }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyThread_delete_key_value(key: c_int) {
    PyThread_set_key_value(key, std::ptr::null_mut());
}

/// After a fork: nothing to do, pthread keys survive in the child.
#[unsafe(no_mangle)]
pub extern "C" fn PyThread_ReInitTLS() {}
