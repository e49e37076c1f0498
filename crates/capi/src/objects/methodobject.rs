//! `methodobject.h`: C functions as RustPython callables, with every
//! `METH_*` calling convention.

use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{CStr, c_void};

use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{Shared, errors, gil, system_error, type_error};

/// An owned `PyObject*` released when the RustPython function is dropped.
struct Owned(*mut PyObject);
// SAFETY: released under the bridge's own locking; C objects are not thread-bound.
unsafe impl Send for Owned {}
// SAFETY: as above; only read.
unsafe impl Sync for Owned {}
impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own one reference (or NULL).
        unsafe { bridge::xdecref(self.0) }
    }
}

/// Checks the C result of an extension call as CPython does: NULL needs an
/// exception set, a result must come without one (SystemError otherwise).
/// `what` names the callee in error messages; it is only formatted on error.
pub(crate) fn checked_result(vm: &VirtualMachine, r: *mut PyObject, what: impl std::fmt::Display) -> PyResult<*mut PyObject> {
    if r.is_null() {
        return Err(errors::take().unwrap_or_else(|| system_error(vm, format!("{what} returned NULL without setting an exception"))));
    }
    if let Some(e) = errors::take() {
        // SAFETY: we own the result reference.
        unsafe { bridge::decref(r) };
        let err = system_error(vm, format!("{what} returned a result with an exception set"));
        err.set_cause(Some(e));
        return Err(err);
    }
    Ok(r)
}

/// Converts the C result of an extension call into a RustPython result.
pub(crate) fn c_result(vm: &VirtualMachine, r: *mut PyObject, what: impl std::fmt::Display) -> PyResult {
    let r = checked_result(vm, r, what)?;
    let o = rp(vm, r);
    // SAFETY: we own the result reference.
    unsafe { bridge::decref(r) };
    o
}

/// C references to call arguments, on the stack for up to 8 of them;
/// released when dropped.
struct CArgs {
    inline: [*mut PyObject; 8],
    heap: Vec<*mut PyObject>,
    n: usize,
}

impl CArgs {
    /// New references to the `n` objects of `args`.
    fn new<'a>(vm: &VirtualMachine, n: usize, args: impl Iterator<Item = &'a PyObjectRef>) -> Self {
        let mut a = CArgs { inline: [std::ptr::null_mut(); 8], heap: Vec::new(), n };
        if n <= 8 {
            for (slot, o) in a.inline.iter_mut().zip(args) {
                *slot = bridge::to_c(vm, o);
            }
        } else {
            a.heap = args.map(|o| bridge::to_c(vm, o)).collect();
        }
        a
    }

    fn as_slice(&self) -> &[*mut PyObject] {
        if self.n <= 8 { &self.inline[..self.n] } else { &self.heap }
    }

    fn as_ptr(&self) -> *const *mut PyObject {
        self.as_slice().as_ptr()
    }
}

impl Drop for CArgs {
    fn drop(&mut self) {
        for &p in self.as_slice() {
            // SAFETY: each was a new reference from to_c.
            unsafe { bridge::xdecref(p) };
        }
    }
}

/// The `kwnames` tuples of keyword calls, one per distinct sequence of
/// names, made once and kept (immortal), as CPython's come from code objects.
type KwNames = Vec<rustpython_vm::common::wtf8::Wtf8Buf>;
/// Keyed by a hash of the names, so that a call finds its tuple in O(1)
/// without allocating a key; the bucket holds the sequences with that hash.
static KWNAMES: std::sync::LazyLock<parking_lot::Mutex<std::collections::HashMap<u64, Vec<(KwNames, usize)>>>> =
    std::sync::LazyLock::new(Default::default);

fn kwnames(vm: &VirtualMachine, args: &FuncArgs) -> *mut PyObject {
    if args.kwargs.is_empty() {
        return std::ptr::null_mut();
    }
    let hash = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        args.kwargs.keys().for_each(|k| k.hash(&mut h));
        h.finish()
    };
    let mut cache = KWNAMES.lock();
    let bucket = cache.entry(hash).or_default();
    // Compare without allocating; allocate only for a new sequence.
    let same = |k: &KwNames| k.len() == args.kwargs.len() && k.iter().zip(args.kwargs.keys()).all(|(a, b)| a == b);
    if let Some((_, p)) = bucket.iter().find(|(k, _)| same(k)) {
        return *p as *mut PyObject;
    }
    let names: KwNames = args.kwargs.keys().cloned().collect();
    let t = vm.ctx.new_tuple(names.iter().map(|n| vm.ctx.new_str(n.clone()).into()).collect());
    let p = bridge::to_c(vm, t.as_object());
    // SAFETY: the cache keeps this reference for the process's life.
    unsafe { bridge::make_immortal(p) };
    bucket.push((names, p as usize));
    p
}

/// A C method's name, read only when an error message needs it.
struct MethName(*const PyMethodDef);
impl std::fmt::Display for MethName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: the definition outlives the call (see make_function).
        f.write_str(&unsafe { CStr::from_ptr((*self.0).ml_name) }.to_string_lossy())
    }
}

type FastKw = unsafe extern "C" fn(*mut PyObject, *const *mut PyObject, Py_ssize_t, *mut PyObject) -> *mut PyObject;
type Fast = unsafe extern "C" fn(*mut PyObject, *const *mut PyObject, Py_ssize_t) -> *mut PyObject;
type Method = unsafe extern "C" fn(*mut PyObject, *mut PyTypeObject, *const *mut PyObject, Py_ssize_t, *mut PyObject) -> *mut PyObject;
type VarKw = unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> *mut PyObject;
type Var = unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject;

/// Calls `ml` with `slf` (borrowed, may be NULL) and RustPython arguments.
pub(crate) fn call_def(vm: &VirtualMachine, ml: *const PyMethodDef, slf: *mut PyObject, cls: *mut PyTypeObject, args: FuncArgs) -> PyResult {
    // SAFETY: ml points to the extension's static method table.
    let (meth, flags) = unsafe { ((*ml).ml_meth, (*ml).ml_flags) };
    let name = MethName(ml);
    let conv = flags & !(METH_CLASS | METH_STATIC | METH_COEXIST);
    let _gil = gil::ensure(vm);
    bridge::bump_epoch();
    let nkw = args.kwargs.len();
    let r = match conv {
        c if c == METH_NOARGS || c == METH_O => {
            if nkw != 0 {
                return Err(type_error(vm, format!("{name}() takes no keyword arguments")));
            }
            let want = if c == METH_O { 1 } else { 0 };
            if args.args.len() != want {
                return Err(type_error(vm, if want == 0 {
                    format!("{name}() takes no arguments ({} given)", args.args.len())
                } else {
                    format!("{name}() takes exactly one argument ({} given)", args.args.len())
                }));
            }
            let a = CArgs::new(vm, args.args.len(), args.args.iter());
            // SAFETY: the signature matches METH_NOARGS / METH_O.
            unsafe { std::mem::transmute::<*mut c_void, Var>(meth)(slf, a.as_slice().first().copied().unwrap_or(std::ptr::null_mut())) }
        }
        c if c == METH_FASTCALL || c == METH_FASTCALL | METH_KEYWORDS || c == METH_METHOD | METH_FASTCALL | METH_KEYWORDS => {
            if c == METH_FASTCALL && nkw != 0 {
                return Err(type_error(vm, format!("{name}() takes no keyword arguments")));
            }
            let npos = args.args.len();
            let kwnames = kwnames(vm, &args);
            let all = args.args.iter().chain(args.kwargs.values());
            let a = CArgs::new(vm, npos + nkw, all);
            // SAFETY: the signature matches the METH_FASTCALL variant.
            let r = unsafe {
                if c == METH_FASTCALL {
                    std::mem::transmute::<*mut c_void, Fast>(meth)(slf, a.as_ptr(), npos as isize)
                } else if c & METH_METHOD != 0 {
                    std::mem::transmute::<*mut c_void, Method>(meth)(slf, cls, a.as_ptr(), npos as isize, kwnames)
                } else {
                    std::mem::transmute::<*mut c_void, FastKw>(meth)(slf, a.as_ptr(), npos as isize, kwnames)
                }
            };
            drop(a);
            r
        }
        c if c == METH_VARARGS || c == METH_VARARGS | METH_KEYWORDS => {
            if c == METH_VARARGS && nkw != 0 {
                return Err(type_error(vm, format!("{name}() takes no keyword arguments")));
            }
            let (t, kw) = c_args_kwargs(vm, args)?;
            // SAFETY: the convention is METH_VARARGS[|METH_KEYWORDS].
            let r = unsafe { call_varargs(meth, c, slf, t, kw) };
            // SAFETY: we own both.
            unsafe {
                bridge::decref(t);
                bridge::xdecref(kw);
            }
            r
        }
        _ => return Err(system_error(vm, format!("{name}() method: bad call flags 0x{flags:x}"))),
    };
    c_result(vm, r, format_args!("{name}()"))
}

/// `PyObject_Call` of a C function defined `METH_VARARGS[|METH_KEYWORDS]`:
/// the C function gets the caller's own tuple and dict, as in CPython
/// (identity is kept and nothing is converted). None if `callable` is not
/// such a function (or `args` is not a tuple, or keywords are given to one
/// that takes none): the caller takes the general path.
pub(crate) fn call_varargs_directly(vm: &VirtualMachine, callable: &PyObjectRef, args: *mut PyObject, kwargs: *mut PyObject) -> Option<PyResult<*mut PyObject>> {
    let (ml, slf) = {
        let m = CFUNCTIONS.lock();
        match m.get(&(callable.as_raw() as usize)) {
            Some((w, ml, slf)) if w.upgrade().is_some_and(|o| o.is(callable)) => (*ml as *const PyMethodDef, *slf as *mut PyObject),
            _ => return None,
        }
    };
    // SAFETY: the definition outlives the function (see make_function).
    let (meth, flags) = unsafe { ((*ml).ml_meth, (*ml).ml_flags) };
    let conv = flags & !(METH_CLASS | METH_STATIC | METH_COEXIST);
    if !(conv == METH_VARARGS | METH_KEYWORDS || (conv == METH_VARARGS && kwargs.is_null())) {
        return None;
    }
    let is_tuple = rp(vm, args).is_ok_and(|a| a.downcast_ref::<rustpython_vm::builtins::PyTuple>().is_some());
    let is_dict = kwargs.is_null() || rp(vm, kwargs).is_ok_and(|k| k.downcast_ref::<rustpython_vm::builtins::PyDict>().is_some());
    if !is_tuple || !is_dict {
        return None;
    }
    let _gil = gil::ensure(vm);
    bridge::bump_epoch();
    // SAFETY: the convention is METH_VARARGS[|METH_KEYWORDS]; args is a
    // tuple and kwargs NULL or a dict, both borrowed for the call.
    let r = unsafe { call_varargs(meth, conv, slf, args, kwargs) };
    Some(checked_result(vm, r, format_args!("{}()", MethName(ml))))
}

/// Calls a `METH_VARARGS` (`conv`) or `METH_VARARGS|METH_KEYWORDS` function.
///
/// # Safety
/// `meth` must have the signature of `conv`; `args` is a tuple, `kwargs`
/// NULL or a dict.
unsafe fn call_varargs(meth: *mut c_void, conv: std::ffi::c_int, slf: *mut PyObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject {
    // SAFETY: per the contract.
    unsafe {
        if conv == METH_VARARGS {
            std::mem::transmute::<*mut c_void, Var>(meth)(slf, args)
        } else {
            std::mem::transmute::<*mut c_void, VarKw>(meth)(slf, args, kwargs)
        }
    }
}

/// RustPython call arguments as a C tuple (new reference) and a C keyword
/// dict (new reference, or NULL when there are no keywords).
pub(crate) fn c_args_kwargs(vm: &VirtualMachine, args: FuncArgs) -> PyResult<(*mut PyObject, *mut PyObject)> {
    let kwargs = if args.kwargs.is_empty() {
        None
    } else {
        let d = vm.ctx.new_dict();
        for (key, v) in args.kwargs {
            d.set_item(&*vm.ctx.new_str(key), v, vm)?;
        }
        Some(d)
    };
    let a = bridge::to_c(vm, vm.ctx.new_tuple(args.args).as_object());
    let k = kwargs.map_or(std::ptr::null_mut(), |d| bridge::to_c(vm, d.as_object()));
    Ok((a, k))
}

/// The `self` of a C function bound to an object other than a module (PyO3
/// closures pass a capsule): the function's RustPython `__self__`, owning one
/// C reference to `slf`, released with the function.
#[rustpython_vm::pyclass(module = false, name = "builtin_function_self")]
#[derive(Debug, rustpython_vm::PyPayload)]
struct BoundSelf {
    ml: usize,
    slf: usize,
    cls: usize,
}

#[rustpython_vm::pyclass]
impl BoundSelf {}

impl Drop for BoundSelf {
    fn drop(&mut self) {
        let p = self.slf as *mut PyObject;
        // Releasing runs extension code (the capsule's destructor): under the GIL.
        // SAFETY: BoundSelf owns one reference to slf.
        gil::with_gil_if_attached(|| unsafe { bridge::decref(p) });
    }
}

/// Method definitions shared by every C function bound to a non-module
/// `self` with the same name and doc: the RustPython closure reads the C
/// definition from its `BoundSelf`, so none is leaked per function.
static BOUND_DEFS: std::sync::LazyLock<parking_lot::Mutex<std::collections::HashMap<(usize, usize), rustpython_vm::PyRef<rustpython_vm::function::HeapMethodDef>>>> =
    std::sync::LazyLock::new(Default::default);

fn bound_def(vm: &VirtualMachine, name: &'static str, doc: Option<&'static str>) -> rustpython_vm::PyRef<rustpython_vm::function::HeapMethodDef> {
    let key = (name.as_ptr() as usize, doc.map_or(0, |d| d.as_ptr() as usize));
    BOUND_DEFS
        .lock()
        .entry(key)
        .or_insert_with(|| {
            vm.ctx.new_method_def(
                name,
                |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
                    let zelf = args.take_positional();
                    let b = zelf.as_ref().and_then(|z| z.downcast_ref::<BoundSelf>()).ok_or_else(|| type_error(vm, "C function called without its self"))?;
                    call_def(vm, b.ml as *const PyMethodDef, b.slf as *mut PyObject, b.cls as *mut PyTypeObject, args)
                },
                PyMethodFlags::empty(),
                doc.map_or(ItemDoc::NONE, ItemDoc::static_text),
            )
        })
        .clone()
}

/// Makes the RustPython function for a C method definition.
pub(crate) fn make_function(vm: &VirtualMachine, ml: *mut PyMethodDef, slf: *mut PyObject, module: Option<PyObjectRef>, cls: *mut PyTypeObject) -> PyResult<PyObjectRef> {
    if ml.is_null() {
        return Err(system_error(vm, "NULL PyMethodDef"));
    }
    // SAFETY: the definition outlives the function: static data of the
    // extension, or memory owned by `slf` (PyO3 closures keep it in their
    // capsule), which the function keeps alive. Name and doc are interned,
    // so they outlive it too.
    let (name, doc): (&'static str, Option<&'static str>) = unsafe {
        let n = CStr::from_ptr((*ml).ml_name).to_str().map_err(|_| system_error(vm, "method name is not UTF-8"))?;
        let d = (*ml).ml_doc;
        let d = if d.is_null() { None } else { CStr::from_ptr(d).to_str().ok() };
        (vm.ctx.intern_str(n).as_str(), d.map(|d| vm.ctx.intern_str(d).as_str()))
    };
    let module_self = if slf.is_null() { None } else { Some(rp(vm, slf)?).filter(|o| o.downcast_ref::<rustpython_vm::builtins::PyModule>().is_some()) };
    let f: PyObjectRef = if slf.is_null() || module_self.is_some() {
        // Module functions: one per definition, made once per module. As on
        // CPython, `__self__` is the module (RustPython passes it first).
        if !slf.is_null() {
            // SAFETY: the function keeps self alive.
            unsafe { bridge::incref(slf) };
        }
        let owned = Owned(slf);
        let def = Shared(ml.cast_const());
        let cls_addr = cls as usize;
        let takes_module = module_self.is_some();
        // RustPython renders `__doc__` and `__text_signature__` from CPython's
        // `name(sig)\n--\n\n` doc convention itself.
        let def = vm.ctx.new_method_def(
            name,
            move |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
                if takes_module {
                    args.take_positional();
                }
                let (d, o) = (&def, &owned);
                call_def(vm, d.0, o.0, cls_addr as *mut PyTypeObject, args)
            },
            PyMethodFlags::empty(),
            doc.map_or(ItemDoc::NONE, ItemDoc::static_text),
        );
        def.build_function(vm, module_self).into()
    } else {
        // SAFETY: BoundSelf takes its own reference to slf.
        unsafe { bridge::incref(slf) };
        let zelf = rustpython_vm::PyRef::new_ref(BoundSelf { ml: ml as usize, slf: slf as usize, cls: cls as usize }, <BoundSelf as rustpython_vm::class::PyClassImpl>::make_static_type(), None);
        bound_def(vm, name, doc).build_function(vm, Some(zelf.into())).into()
    };
    if let Some(m) = module {
        f.set_attr("__module__", m, vm)?;
    }
    register_cfunction(vm, &f, ml, slf);
    Ok(f)
}

/// The C definition and `self` of each function [`make_function`] made,
/// keyed by the function's address and checked through a weak reference
/// (an address can be reused once the function is gone).
static CFUNCTIONS: std::sync::LazyLock<parking_lot::Mutex<std::collections::HashMap<usize, (rustpython_vm::PyRef<rustpython_vm::object::PyWeak>, usize, usize)>>> =
    std::sync::LazyLock::new(Default::default);
/// Size of [`CFUNCTIONS`] after its last pruning.
static CFUNCTIONS_PRUNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(64);

fn register_cfunction(vm: &VirtualMachine, f: &PyObjectRef, ml: *mut PyMethodDef, slf: *mut PyObject) {
    let Ok(w) = f.downgrade(None, vm) else { return };
    let mut m = CFUNCTIONS.lock();
    m.insert(f.as_raw() as usize, (w, ml as usize, slf as usize));
    let pruned = CFUNCTIONS_PRUNED.load(std::sync::atomic::Ordering::Relaxed);
    if m.len() > 2 * pruned {
        m.retain(|_, (w, _, _)| w.upgrade().is_some());
        CFUNCTIONS_PRUNED.store(m.len().max(64), std::sync::atomic::Ordering::Relaxed);
    }
}

/// The `(PyMethodDef*, self)` of a C function made through the C-API.
fn cfunction_of(vm: &VirtualMachine, op: *mut PyObject) -> PyResult<(*mut PyMethodDef, *mut PyObject)> {
    let f = rp(vm, op)?;
    let m = CFUNCTIONS.lock();
    match m.get(&(f.as_raw() as usize)) {
        Some((w, ml, slf)) if w.upgrade().is_some_and(|o| o.is(&f)) => Ok((*ml as *mut PyMethodDef, *slf as *mut PyObject)),
        _ if f.class().is(vm.ctx.types.builtin_function_or_method_type) => {
            Err(system_error(vm, "builtin function was not made through the C-API: it has no PyMethodDef"))
        }
        _ => Err(system_error(vm, "bad argument to internal function")),
    }
}

/// The C function of a builtin function made from a `PyMethodDef`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCFunction_GetFunction(op: *mut PyObject) -> *mut c_void {
    crate::runtime::api("PyCFunction_GetFunction", |vm| {
        let (ml, _) = cfunction_of(vm, op)?;
        // SAFETY: the definition outlives the function.
        Ok(unsafe { (*ml).ml_meth })
    })
}

/// Borrowed reference to the `self` of a builtin function (NULL if it has none).
#[unsafe(no_mangle)]
pub extern "C" fn PyCFunction_GetSelf(op: *mut PyObject) -> *mut PyObject {
    crate::runtime::api("PyCFunction_GetSelf", |vm| match cfunction_of(vm, op) {
        Ok((_, slf)) => Ok(slf),
        Err(e) => {
            let f = rp(vm, op)?;
            if !f.class().is(vm.ctx.types.builtin_function_or_method_type) {
                return Err(e);
            }
            let s = f.get_attr("__self__", vm)?;
            Ok(if vm.is_none(&s) { std::ptr::null_mut() } else { bridge::borrow_from(vm, op, &s) })
        }
    })
}

/// The `ml_flags` of a builtin function made from a `PyMethodDef`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCFunction_GetFlags(op: *mut PyObject) -> std::ffi::c_int {
    crate::runtime::api("PyCFunction_GetFlags", |vm| {
        let (ml, _) = cfunction_of(vm, op)?;
        // SAFETY: the definition outlives the function.
        Ok(unsafe { (*ml).ml_flags })
    })
}

/// New reference to `callable(*args, **kwargs)` (`PyObject_Call`).
#[unsafe(no_mangle)]
pub extern "C" fn PyCFunction_Call(callable: *mut PyObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject {
    super::ceval::PyEval_CallObjectWithKeywords(callable, args, kwargs)
}

/// New reference to a builtin function for `ml` bound to `slf`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCMethod_New(ml: *mut PyMethodDef, slf: *mut PyObject, module: *mut PyObject, cls: *mut PyTypeObject) -> *mut PyObject {
    new_ref("PyCMethod_New", |vm| {
        let m = if module.is_null() { None } else { Some(rp(vm, module)?) };
        make_function(vm, ml, slf, m, cls)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn PyCFunction_NewEx(ml: *mut PyMethodDef, slf: *mut PyObject, module: *mut PyObject) -> *mut PyObject {
    PyCMethod_New(ml, slf, module, std::ptr::null_mut())
}

#[unsafe(no_mangle)]
pub extern "C" fn PyCFunction_New(ml: *mut PyMethodDef, slf: *mut PyObject) -> *mut PyObject {
    PyCMethod_New(ml, slf, std::ptr::null_mut(), std::ptr::null_mut())
}

