//! The GIL that cp314 (non-free-threaded) extensions assume.
//!
//! One reentrant lock: held while extension code runs, released while it is
//! parked (`PyEval_SaveThread`). Waiting for it detaches the RustPython thread
//! so that a stop-the-world can proceed.

use parking_lot::{Condvar, Mutex};
use std::cell::Cell;

struct State {
    owner: Option<std::thread::ThreadId>,
}

static LOCK: Mutex<State> = Mutex::new(State { owner: None });
static FREED: Condvar = Condvar::new();

thread_local! {
    /// How many times this thread holds the GIL (reentrant depth).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

pub fn held() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

fn acquire_raw() {
    let me = std::thread::current().id();
    let mut st = LOCK.lock();
    while st.owner.is_some_and(|o| o != me) {
        FREED.wait(&mut st);
    }
    st.owner = Some(me);
}

/// Takes the GIL if nobody holds it (the common, uncontended case).
fn try_acquire_raw() -> bool {
    let mut st = LOCK.lock();
    if st.owner.is_none() {
        st.owner = Some(std::thread::current().id());
        true
    } else {
        false
    }
}

fn release_raw() {
    let mut st = LOCK.lock();
    st.owner = None;
    drop(st);
    FREED.notify_one();
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
    if depth > 0 {
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
