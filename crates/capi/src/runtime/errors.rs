//! The per-thread error indicator (`PyErr_Occurred` and friends).
//!
//! Since CPython 3.12 the indicator holds one normalized exception; so does
//! this one. It holds the RustPython exception; C sees it through mirrors.

use rustpython_vm::builtins::PyBaseExceptionRef;
use std::cell::RefCell;

thread_local! {
    static CURRENT: RefCell<Option<PyBaseExceptionRef>> = const { RefCell::new(None) };
}

/// Sets the indicator, replacing (and dropping) any exception already set.
pub fn set(exc: PyBaseExceptionRef) {
    let old = CURRENT.with(|c| c.borrow_mut().replace(exc));
    drop(old);
}

/// Takes the exception out of the indicator, clearing it.
pub fn take() -> Option<PyBaseExceptionRef> {
    CURRENT.with(|c| c.borrow_mut().take())
}

/// The current exception, without clearing it.
pub fn peek() -> Option<PyBaseExceptionRef> {
    CURRENT.with(|c| c.borrow().clone())
}

pub fn is_set() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// Restores a previously taken value (or clears the indicator with `None`).
pub fn restore(exc: Option<PyBaseExceptionRef>) {
    let old = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), exc));
    drop(old);
}
