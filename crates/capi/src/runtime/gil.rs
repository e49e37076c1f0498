//! The GIL that cp314 (non-free-threaded) extensions assume.
//!
//! One reentrant lock: held while extension code runs, released while it is
//! parked (`PyEval_SaveThread`). Waiting for it detaches the RustPython thread
//! so that a stop-the-world can proceed.

use parking_lot::{Condvar, Mutex};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The owning thread's id (0: free). Uncontended acquire and release are one
/// atomic operation each; waiters sleep on `FREED` under `WAIT`.
static OWNER: AtomicU64 = AtomicU64::new(0);
static WAITERS: AtomicUsize = AtomicUsize::new(0);
static WAIT: Mutex<()> = Mutex::new(());
static FREED: Condvar = Condvar::new();
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// How many times this thread holds the GIL (reentrant depth).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// This thread's id for `OWNER` (never 0).
    static ME: u64 = NEXT_ID.fetch_add(1, Ordering::Relaxed);
}

pub fn held() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

fn me() -> u64 {
    ME.with(|m| *m)
}

/// Takes the GIL if nobody holds it (the common, uncontended case).
fn try_acquire_raw() -> bool {
    OWNER.compare_exchange(0, me(), Ordering::SeqCst, Ordering::Relaxed).is_ok()
}

fn acquire_raw() {
    if try_acquire_raw() {
        return;
    }
    WAITERS.fetch_add(1, Ordering::SeqCst);
    let mut g = WAIT.lock();
    // The CAS runs under WAIT and a releaser notifies under WAIT, so a
    // release between a failed CAS and the wait cannot be missed.
    while !try_acquire_raw() {
        FREED.wait(&mut g);
    }
    drop(g);
    WAITERS.fetch_sub(1, Ordering::SeqCst);
}

fn release_raw() {
    OWNER.store(0, Ordering::SeqCst);
    if WAITERS.load(Ordering::SeqCst) > 0 {
        let _g = WAIT.lock();
        FREED.notify_one();
    }
}

/// Acquires the GIL (reentrantly) for the duration of the returned guard.
pub fn ensure(vm: &rustpython_vm::VirtualMachine) -> Guard {
    let depth = DEPTH.with(|d| d.get());
    if depth == 0 && !try_acquire_raw() {
        // Contended: wait detached so a stop-the-world can proceed.
        rustpython_vm::vm::thread::allow_threads(vm, acquire_raw);
    }
    DEPTH.with(|d| d.set(depth + 1));
    Guard(())
}

pub struct Guard(());
impl Drop for Guard {
    fn drop(&mut self) {
        let depth = DEPTH.with(|d| {
            let n = d.get() - 1;
            d.set(n);
            n
        });
        if depth == 0 {
            release_raw();
        }
    }
}

/// Releases the GIL completely (`PyEval_SaveThread`), returning the depth to
/// restore later.
pub fn save() -> usize {
    let depth = DEPTH.with(|d| d.replace(0));
    if depth > 0 {
        release_raw();
    }
    depth
}

/// Re-acquires the GIL at the saved depth (`PyEval_RestoreThread`).
pub fn restore(vm: Option<&rustpython_vm::VirtualMachine>, depth: usize) {
    // Uncontended: one atomic operation; otherwise wait detached (with a
    // VM) so that a stop-the-world can proceed, as `ensure` does.
    if depth > 0 && !try_acquire_raw() {
        match vm {
            Some(vm) => rustpython_vm::vm::thread::allow_threads(vm, acquire_raw),
            None => acquire_raw(),
        }
    }
    DEPTH.with(|d| d.set(depth));
}

/// Drops one level of the GIL taken without a guard (`PyGILState_Release`).
pub fn release_one() {
    drop(Guard(()));
}

/// Runs `f` under the GIL if this thread has an interpreter attached, else
/// as is (drops of RustPython objects that release C references can happen
/// on any thread; extension code they run expects the GIL).
pub fn with_gil_if_attached<R>(f: impl FnOnce() -> R) -> R {
    let mut f = Some(f);
    let attached = rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        let _g = ensure(vm);
        (f.take().expect("called once"))()
    });
    match attached {
        Some(r) => r,
        None => (f.take().expect("not called yet"))(),
    }
}
