//! `lock.h` / `critical_section.h`: `PyMutex_*`, `PyEvent_*`,
//! `PyCriticalSection*`.
//!
//! `PyMutex` and `PyEvent` are one byte inside C structs, so their state
//! lives in that byte with CPython's bits (`_Py_LOCKED` = 1,
//! `_Py_HAS_PARKED` = 2), compatible with the inline fast paths the headers
//! compile into extensions (`_PyMutex_Lock`: CAS 0→1, else `PyMutex_Lock`;
//! `_PyMutex_Unlock`: CAS 1→0, else `PyMutex_Unlock`). Waiters park on a
//! table of condition variables keyed by the byte's address; a blocked
//! thread releases the GIL and detaches from RustPython, as CPython's
//! `_PY_LOCK_DETACH`.

use std::ffi::c_int;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::abi::PyObject;
use crate::runtime::gil;

const LOCKED: u8 = 1;
const HAS_PARKED: u8 = 2;

/// A parking bucket: waiters re-check their byte under `lock`; wakers
/// notify under it, so no wake-up between check and sleep is lost.
struct Bucket {
    lock: Mutex<()>,
    cv: Condvar,
}

const BUCKETS: usize = 64;
static TABLE: [Bucket; BUCKETS] = [const { Bucket { lock: Mutex::new(()), cv: Condvar::new() } }; BUCKETS];

fn bucket(addr: *const AtomicU8) -> &'static Bucket {
    &TABLE[(addr as usize >> 3) % BUCKETS]
}

/// Sleeps while `still_waiting(byte)` holds, up to `deadline`; false if
/// the deadline passed.
fn park(b: &AtomicU8, still_waiting: impl Fn(u8) -> bool, deadline: Option<Instant>) -> bool {
    let bk = bucket(b);
    let mut g = bk.lock.lock();
    while still_waiting(b.load(Ordering::Acquire)) {
        match deadline {
            Some(d) => {
                if bk.cv.wait_until(&mut g, d).timed_out() {
                    return !still_waiting(b.load(Ordering::Acquire));
                }
            }
            None => bk.cv.wait(&mut g),
        }
    }
    true
}

fn unpark_all(b: &AtomicU8) {
    let bk = bucket(b);
    let _g = bk.lock.lock();
    bk.cv.notify_all();
}

/// Runs a blocking wait with the GIL released and the thread detached.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    let depth = gil::save();
    let mut f = Some(f);
    let r = rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        rustpython_vm::vm::thread::allow_threads(vm, || (f.take().expect("once"))())
    })
    .unwrap_or_else(|| (f.take().expect("not yet run"))());
    match rustpython_vm::vm::thread::try_with_current_vm(|vm| gil::restore(Some(vm), depth)) {
        Some(()) => {}
        None => gil::restore(None, depth),
    }
    r
}

/// # Safety
/// `p` points at a live `PyMutex`/`PyEvent` byte.
unsafe fn byte<'a>(p: *mut u8) -> &'a AtomicU8 {
    // SAFETY: per the contract; AtomicU8 has u8's layout.
    unsafe { AtomicU8::from_ptr(p) }
}

fn try_lock(m: &AtomicU8) -> bool {
    let mut v = m.load(Ordering::Relaxed);
    while v & LOCKED == 0 {
        match m.compare_exchange_weak(v, v | LOCKED, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(x) => v = x,
        }
    }
    false
}

/// Locks the mutex, blocking (GIL released) while another thread holds it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMutex_Lock(m: *mut u8) {
    // SAFETY: C passes a live PyMutex.
    let m = unsafe { byte(m) };
    for _ in 0..40 {
        if try_lock(m) {
            return;
        }
        std::hint::spin_loop();
    }
    blocking(|| {
        while !try_lock(m) {
            // Announce a parked waiter, then sleep while it is still locked.
            let v = m.fetch_or(HAS_PARKED, Ordering::Relaxed);
            if v & LOCKED == 0 {
                continue;
            }
            park(m, |v| v & LOCKED != 0 && v & HAS_PARKED != 0, None);
        }
    })
}

/// Unlocks the mutex, waking its waiters; a fatal error if it is unlocked.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMutex_Unlock(m: *mut u8) {
    // SAFETY: C passes a live PyMutex.
    let m = unsafe { byte(m) };
    let v = m.swap(0, Ordering::Release);
    if v & LOCKED == 0 {
        super::pyfatal::fatal_error(Some("PyMutex_Unlock"), "unlocking mutex that is not locked");
    }
    if v & HAS_PARKED != 0 {
        // Every waiter wakes and retries (re-announcing itself if it loses).
        unpark_all(m);
    }
}

/// 1 if the mutex is locked.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMutex_IsLocked(m: *mut u8) -> c_int {
    // SAFETY: C passes a live PyMutex.
    c_int::from(unsafe { byte(m) }.load(Ordering::Relaxed) & LOCKED != 0)
}

/// Waits (GIL released) until the event is set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEvent_Wait(evt: *mut u8) {
    // SAFETY: forwarded.
    while unsafe { PyEvent_WaitTimed(evt, -1, 1) } == 0 {}
}

/// Waits up to `timeout_ns` (negative: forever) for the event; 1 if it is
/// set, 0 on timeout. `detach` 0 keeps the GIL while waiting.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyEvent_WaitTimed(evt: *mut u8, timeout_ns: i64, detach: c_int) -> c_int {
    // SAFETY: C passes a live PyEvent.
    let e = unsafe { byte(evt) };
    let v = e.load(Ordering::Acquire);
    if v == LOCKED {
        return 1;
    }
    if timeout_ns == 0 {
        return 0;
    }
    if v == 0 && e.compare_exchange(0, HAS_PARKED, Ordering::Relaxed, Ordering::Relaxed).is_err() && e.load(Ordering::Acquire) == LOCKED {
        return 1;
    }
    let deadline = (timeout_ns > 0).then(|| Instant::now() + Duration::from_nanos(timeout_ns as u64));
    // The event is set by CPython-internal code that may store the byte
    // without waking anyone: re-check at least every 20 ms.
    let wait = || loop {
        let slice = Instant::now() + Duration::from_millis(20);
        let until = deadline.map_or(slice, |d| d.min(slice));
        if park(e, |v| v != LOCKED, Some(until)) {
            return true;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
    };
    let set = if detach != 0 { blocking(wait) } else { wait() };
    c_int::from(set)
}

/// `PyCriticalSection`: two pointers, unused in the GIL build.
#[repr(C)]
pub struct PyCriticalSection {
    _prev: usize,
    _mutex: *mut u8,
}

/// `PyCriticalSection2`: `PyCriticalSection` plus a second mutex.
#[repr(C)]
pub struct PyCriticalSection2 {
    _base: PyCriticalSection,
    _mutex2: *mut u8,
}

/// No-op: with the GIL, the GIL itself is the critical section (CPython's
/// non-free-threaded build compiles these to nothing).
#[unsafe(no_mangle)]
pub extern "C" fn PyCriticalSection_Begin(_c: *mut PyCriticalSection, _op: *mut PyObject) {}

/// No-op, as `PyCriticalSection_Begin`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCriticalSection_BeginMutex(_c: *mut PyCriticalSection, _m: *mut u8) {}

/// No-op, as `PyCriticalSection_Begin`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCriticalSection_End(_c: *mut PyCriticalSection) {}

/// No-op, as `PyCriticalSection_Begin`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCriticalSection2_Begin(_c: *mut PyCriticalSection2, _a: *mut PyObject, _b: *mut PyObject) {}

/// No-op, as `PyCriticalSection_Begin`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCriticalSection2_BeginMutex(_c: *mut PyCriticalSection2, _m1: *mut u8, _m2: *mut u8) {}

/// No-op, as `PyCriticalSection_Begin`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCriticalSection2_End(_c: *mut PyCriticalSection2) {}
