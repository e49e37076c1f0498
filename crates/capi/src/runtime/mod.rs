//! Interpreter access, the error indicator, the GIL and the panic boundary.

pub mod errors;
pub mod gil;

use rustpython_vm::{PyResult, VirtualMachine, builtins::PyBaseExceptionRef};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::PyObject;

static SEED: parking_lot::Mutex<Option<rustpython_vm::vm::thread::ThreadedVirtualMachine>> =
    parking_lot::Mutex::new(None);

/// Remembers the interpreter so that threads Python never saw can attach.
pub fn set_seed(vm: &VirtualMachine) {
    *SEED.lock() = Some(vm.new_thread());
}

/// Forgets the interpreter at finalisation: threads can no longer attach.
pub fn clear_seed() {
    drop(SEED.lock().take());
}

/// A VM handle for a new native thread of the interpreter.
pub fn new_thread_vm() -> Option<rustpython_vm::vm::thread::ThreadedVirtualMachine> {
    let seed = SEED.lock();
    seed.as_ref().map(|s| s.run(|vm| vm.new_thread()))
}

/// C data an extension shares with the interpreter for its whole life —
/// static method/getset/member definitions and function pointers — that
/// closures on any thread may read. Never written through.
#[derive(Clone, Copy)]
pub(crate) struct Shared<T: Copy>(pub T);
// SAFETY: the wrapped values are immutable static C data (or pointers to it)
// of an extension that is never unloaded; C code reads them from any thread.
unsafe impl<T: Copy> Send for Shared<T> {}
// SAFETY: as above; nothing is written through them.
unsafe impl<T: Copy> Sync for Shared<T> {}

/// The value a C-API function returns to signal "an exception is set".
pub trait ErrValue {
    fn err_value() -> Self;
}
macro_rules! err_value {
    ($($t:ty => $v:expr),* $(,)?) => { $(impl ErrValue for $t { fn err_value() -> Self { $v } })* };
}
err_value! {
    *mut PyObject => std::ptr::null_mut(),
    *const std::ffi::c_char => std::ptr::null(),
    *mut std::ffi::c_char => std::ptr::null_mut(),
    *mut std::ffi::c_void => std::ptr::null_mut(),
    *mut crate::abi::PyTypeObject => std::ptr::null_mut(),
    i32 => -1,
    i64 => -1,
    isize => -1,
    u32 => u32::MAX,
    u64 => u64::MAX,
    usize => usize::MAX,
    f64 => -1.0,
    () => (),
}

/// `None` is the error value of functions returning a struct by value
/// (`PyComplex_AsCComplex`), which then substitute CPython's error value.
impl<T> ErrValue for Option<T> {
    fn err_value() -> Self {
        None
    }
}

/// Runs `f` with the current thread's VM, as the body of an exported C-API
/// function: an `Err` becomes the thread's error indicator and `R::err_value()`,
/// and a Rust panic becomes `SystemError` — nothing unwinds into C.
pub fn api<R: ErrValue>(name: &str, f: impl FnOnce(&VirtualMachine) -> PyResult<R>) -> R {
    let Some(out) = rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        match catch_unwind(AssertUnwindSafe(|| f(vm))) {
            Ok(Ok(v)) => v,
            Ok(Err(exc)) => {
                errors::set(exc);
                R::err_value()
            }
            Err(panic) => {
                let msg = panic_message(&panic);
                errors::set(new_error(vm, vm.ctx.exceptions.system_error, format!("{name}: internal error: {msg}")));
                R::err_value()
            }
        }
    }) else {
        // No interpreter is attached to this thread: CPython would crash here.
        eprintln!("pyfacade: {name} called on a thread with no Python thread state");
        return R::err_value();
    };
    out
}

/// Like [`api`], for functions that cannot report errors (void, or returning
/// a plain value CPython defines for any input).
pub fn api_noerr<R>(name: &str, default: R, f: impl FnOnce(&VirtualMachine) -> R) -> R {
    rustpython_vm::vm::thread::try_with_current_vm(|vm| {
        catch_unwind(AssertUnwindSafe(|| f(vm))).unwrap_or_else(|p| {
            eprintln!("pyfacade: {name}: internal error: {}", panic_message(&p));
            default
        })
    })
    .unwrap_or_else(|| {
        eprintln!("pyfacade: {name} called on a thread with no Python thread state");
        unreachable_default()
    })
}

#[cold]
fn unreachable_default<R>() -> R {
    // A C-API call with no interpreter attached cannot be answered at all.
    std::process::abort()
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

/// A new exception of builtin type `ty` with message `msg`.
pub fn new_error(
    vm: &VirtualMachine,
    ty: &'static rustpython_vm::Py<rustpython_vm::builtins::PyType>,
    msg: impl Into<String>,
) -> PyBaseExceptionRef {
    vm.new_exception_msg(ty.to_owned(), msg.into().into())
}

pub fn system_error(vm: &VirtualMachine, msg: impl Into<String>) -> PyBaseExceptionRef {
    new_error(vm, vm.ctx.exceptions.system_error, msg)
}

pub fn type_error(vm: &VirtualMachine, msg: impl Into<String>) -> PyBaseExceptionRef {
    new_error(vm, vm.ctx.exceptions.type_error, msg)
}

/// `SystemError("<name> is not implemented")`, for symbols that exist only so
/// an extension links; each is listed in the README's compatibility table.
pub fn not_implemented(vm: &VirtualMachine, name: &str) -> PyBaseExceptionRef {
    system_error(vm, format!("{name} is not implemented"))
}

/// Replaces method `name` of builtin type `ty` with a method of the same
/// name and doc that runs `wrapper(original, args)` — how the facade
/// observes what RustPython does without telling it (`list.sort`'s
/// mutation, `Context.run`'s switches). Does nothing if `ty` has no `name`.
pub fn wrap_builtin_method(
    vm: &VirtualMachine,
    ty: &'static rustpython_vm::Py<rustpython_vm::builtins::PyType>,
    name: &'static str,
    wrapper: impl Fn(&rustpython_vm::PyObjectRef, rustpython_vm::function::FuncArgs, &VirtualMachine) -> PyResult + Send + Sync + 'static,
) {
    use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags};
    let Some(orig) = ty.get_attr(vm.ctx.intern_str(name)) else { return };
    // Method docs live as long as the process, like the type.
    let doc: &'static str = orig
        .get_attr("__doc__", vm)
        .ok()
        .and_then(|d| d.downcast::<rustpython_vm::builtins::PyStr>().ok())
        .map_or("", |s| Box::leak(s.to_string().into_boxed_str()));
    let func = move |args: FuncArgs, vm: &VirtualMachine| wrapper(&orig, args, vm);
    let m = vm.ctx.new_method_def(name, func, PyMethodFlags::METHOD, ItemDoc::static_text(doc)).build_method(ty, vm);
    ty.set_attr(vm.ctx.intern_str(name), m.into());
}
