//! `methodobject.h`: C functions as RustPython callables, with every
//! `METH_*` calling convention.

use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodFlags};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{CStr, c_void};

use super::{new_ref, rp};
use crate::abi::*;
use crate::bridge;
use crate::runtime::{errors, gil, system_error, type_error};

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
    bridge::to_rp_steal(vm, r)
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

/// The keyword names of a call: RustPython's `kwnames` (str objects, on the
/// vectorcall path) or the keys of a `FuncArgs` (the generic path). The
/// keyword values follow the positional arguments in the argument slice.
#[derive(Clone, Copy)]
enum Names<'a> {
    None,
    Objs(&'a [PyObjectRef]),
    Keys(&'a FuncArgs),
}

impl<'a> Names<'a> {
    fn len(self) -> usize {
        match self {
            Names::None => 0,
            Names::Objs(o) => o.len(),
            Names::Keys(a) => a.kwargs.len(),
        }
    }

    fn iter(self) -> impl Iterator<Item = &'a Wtf8> + Clone {
        let objs = match self {
            Names::Objs(o) => o,
            _ => &[],
        };
        let keys = match self {
            Names::Keys(a) => Some(a.kwargs.keys()),
            _ => None,
        };
        // Names come from code objects or keyword dicts: always str.
        objs.iter().map(|o| o.downcast_ref::<PyStr>().map_or(Wtf8::new(""), |s| s.as_wtf8())).chain(keys.into_iter().flatten().map(|k| &**k))
    }
}

use rustpython_vm::builtins::PyStr;
use rustpython_vm::common::wtf8::Wtf8;

fn kwnames(vm: &VirtualMachine, names: Names<'_>) -> *mut PyObject {
    let n = names.len();
    if n == 0 {
        return std::ptr::null_mut();
    }
    let hash = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        names.iter().for_each(|k| k.hash(&mut h));
        h.finish()
    };
    let mut cache = KWNAMES.lock();
    let bucket = cache.entry(hash).or_default();
    // Compare without allocating; allocate only for a new sequence.
    let same = |k: &KwNames| k.len() == n && k.iter().zip(names.iter()).all(|(a, b)| **a == *b);
    if let Some((_, p)) = bucket.iter().find(|(k, _)| same(k)) {
        return *p as *mut PyObject;
    }
    let names: KwNames = names.iter().map(|k| k.to_owned()).collect();
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

/// Calls `ml` with `slf` (borrowed, may be NULL) and RustPython arguments:
/// `args` holds the `nargs` positional arguments, then the values of the
/// keywords `names`. The caller holds the GIL.
fn call_c(vm: &VirtualMachine, ml: *const PyMethodDef, slf: *mut PyObject, cls: *mut PyTypeObject, args: &[PyObjectRef], nargs: usize, names: Names<'_>) -> PyResult {
    // SAFETY: ml points to the extension's static method table.
    let (meth, flags) = unsafe { ((*ml).ml_meth, (*ml).ml_flags) };
    let name = MethName(ml);
    let conv = flags & !(METH_CLASS | METH_STATIC | METH_COEXIST);
    let nkw = names.len();
    let r = match conv {
        c if c == METH_NOARGS || c == METH_O => {
            if nkw != 0 {
                return Err(type_error(vm, format!("{name}() takes no keyword arguments")));
            }
            let want = if c == METH_O { 1 } else { 0 };
            if nargs != want {
                return Err(type_error(vm, if want == 0 {
                    format!("{name}() takes no arguments ({nargs} given)")
                } else {
                    format!("{name}() takes exactly one argument ({nargs} given)")
                }));
            }
            let a = args.first().map_or(std::ptr::null_mut(), |o| bridge::to_c(vm, o));
            // SAFETY: the signature matches METH_NOARGS / METH_O.
            let r = unsafe { std::mem::transmute::<*mut c_void, Var>(meth)(slf, a) };
            // SAFETY: our reference from to_c (or NULL).
            unsafe { bridge::xdecref(a) };
            r
        }
        c if c == METH_FASTCALL || c == METH_FASTCALL | METH_KEYWORDS || c == METH_METHOD | METH_FASTCALL | METH_KEYWORDS => {
            if c == METH_FASTCALL && nkw != 0 {
                return Err(type_error(vm, format!("{name}() takes no keyword arguments")));
            }
            let kwnames = kwnames(vm, names);
            let a = CArgs::new(vm, nargs + nkw, args.iter());
            // SAFETY: the signature matches the METH_FASTCALL variant.
            unsafe {
                if c == METH_FASTCALL {
                    std::mem::transmute::<*mut c_void, Fast>(meth)(slf, a.as_ptr(), nargs as isize)
                } else if c & METH_METHOD != 0 {
                    std::mem::transmute::<*mut c_void, Method>(meth)(slf, cls, a.as_ptr(), nargs as isize, kwnames)
                } else {
                    std::mem::transmute::<*mut c_void, FastKw>(meth)(slf, a.as_ptr(), nargs as isize, kwnames)
                }
            }
        }
        c if c == METH_VARARGS || c == METH_VARARGS | METH_KEYWORDS => {
            if c == METH_VARARGS && nkw != 0 {
                return Err(type_error(vm, format!("{name}() takes no keyword arguments")));
            }
            let kw = c_kwargs(vm, names.iter().zip(&args[nargs..]))?;
            let t = c_tuple(vm, &args[..nargs]);
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

/// What the RustPython callable made for a C method definition calls.
/// RustPython keeps a `&'static dyn PyNativeFn`: a leaked `CTarget`, which
/// the facade's vectorcall slots recognise by its vtable and call without
/// building `FuncArgs` ([`install_vectorcalls`]); RustPython's generic path
/// calls it as a function ([`CTarget::call_generic`]).
enum CTarget {
    /// A function whose C `self` is fixed: NULL (static methods) or a module
    /// it holds a reference to. `zelf_first`: the function's RustPython
    /// `__self__` is the module, which RustPython's generic path passes
    /// first; C gets it as `self`, not as an argument.
    Fixed { ml: usize, slf: usize, cls: usize, zelf_first: bool },
    /// Functions bound to another object (PyO3 closures pass a capsule): the
    /// C definition and `self` are in the function's [`BoundSelf`], its
    /// `__self__`. One target serves every such function.
    Bound,
    /// A method descriptor's, or a classmethod's function: `self` is the
    /// first argument.
    SelfArg { ml: usize, cls: usize },
}

impl CTarget {
    /// Calls the C function; `bound` is the RustPython function's `__self__`
    /// when it is the C `self`'s holder ([`CTarget::Bound`]) or the C `self`
    /// ([`CTarget::SelfArg`] bound by `__get__`), `args` as for [`call_c`].
    fn invoke(&self, vm: &VirtualMachine, bound: Option<&RpObject>, args: &[PyObjectRef], nargs: usize, names: Names<'_>) -> PyResult {
        let _gil = gil::ensure(vm);
        bridge::bump_epoch();
        match *self {
            CTarget::Fixed { ml, slf, cls, .. } => call_c(vm, ml as *const PyMethodDef, slf as *mut PyObject, cls as *mut PyTypeObject, args, nargs, names),
            CTarget::Bound => {
                let b = bound.and_then(|z| z.downcast_ref::<BoundSelf>()).ok_or_else(|| type_error(vm, "C function called without its self"))?;
                call_c(vm, b.ml as *const PyMethodDef, b.slf as *mut PyObject, b.cls as *mut PyTypeObject, args, nargs, names)
            }
            CTarget::SelfArg { ml, cls } => {
                // Bound by `method_descriptor.__get__`: self is the
                // function's `__self__`; otherwise the first argument.
                let (first, args, nargs) = match bound {
                    Some(b) => (b, args, nargs),
                    None if nargs > 0 => (&*args[0], &args[1..], nargs - 1),
                    None => return Err(unbound_without_self(vm, ml as *const PyMethodDef, cls as *mut PyTypeObject)),
                };
                let slf = bridge::to_c(vm, first);
                let r = call_c(vm, ml as *const PyMethodDef, slf, cls as *mut PyTypeObject, args, nargs, names);
                // SAFETY: our reference from to_c.
                unsafe { bridge::decref(slf) };
                r
            }
        }
    }

    /// RustPython's generic call (`FuncArgs`, `__self__` passed first for
    /// module and bound functions).
    fn call_generic(&self, vm: &VirtualMachine, args: FuncArgs) -> PyResult {
        let skip = matches!(self, CTarget::Fixed { zelf_first: true, .. } | CTarget::Bound) as usize;
        let bound = if skip == 1 { args.args.first().map(|o| &**o) } else { None };
        let nargs = args.args.len().saturating_sub(skip);
        if args.kwargs.is_empty() {
            return self.invoke(vm, bound, args.args.get(skip..).unwrap_or(&[]), nargs, Names::None);
        }
        let all: Vec<PyObjectRef> = args.args.iter().skip(skip).chain(args.kwargs.values()).cloned().collect();
        self.invoke(vm, bound, &all, nargs, Names::Keys(&args))
    }

    /// Leaks `self` as the RustPython definition `name`/`doc` (`flags`
    /// tell RustPython a method from a function).
    fn into_def(self, vm: &VirtualMachine, name: &'static str, doc: Option<&'static str>, flags: PyMethodFlags) -> rustpython_vm::PyRef<rustpython_vm::function::HeapMethodDef> {
        let placeholder = |_: &VirtualMachine, _: FuncArgs, _: Callee| -> PyResult { unreachable!("replaced by a CTarget") };
        let mut def = RpMethodDef::new_raw_const(name, placeholder, flags, doc.map_or(ItemDoc::NONE, ItemDoc::static_text));
        let target: &'static CTarget = Box::leak(Box::new(self));
        let func: &'static dyn PyNativeFn = target;
        TARGET_VTABLE.get_or_init(|| std::ptr::metadata(func));
        def.func = func;
        rustpython_vm::PyRef::new_ref(rustpython_vm::function::HeapMethodDef::new(def), vm.ctx.types.method_def.to_owned(), None)
    }
}

use rustpython_vm::PyObject as RpObject;
use rustpython_vm::function::{Callee, PyMethodDef as RpMethodDef, PyNativeFn};

impl<'a> FnOnce<(&'a VirtualMachine, FuncArgs, Callee)> for CTarget {
    type Output = PyResult;
    extern "rust-call" fn call_once(self, (vm, args, _): (&'a VirtualMachine, FuncArgs, Callee)) -> PyResult {
        self.call_generic(vm, args)
    }
}

impl<'a> FnMut<(&'a VirtualMachine, FuncArgs, Callee)> for CTarget {
    extern "rust-call" fn call_mut(&mut self, (vm, args, _): (&'a VirtualMachine, FuncArgs, Callee)) -> PyResult {
        self.call_generic(vm, args)
    }
}

impl<'a> Fn<(&'a VirtualMachine, FuncArgs, Callee)> for CTarget {
    extern "rust-call" fn call(&self, (vm, args, _): (&'a VirtualMachine, FuncArgs, Callee)) -> PyResult {
        self.call_generic(vm, args)
    }
}

/// The vtable of `CTarget` as a `PyNativeFn`, recorded from the first one
/// made; a function whose `func` has another vtable is not the facade's.
static TARGET_VTABLE: std::sync::OnceLock<std::ptr::DynMetadata<dyn PyNativeFn>> = std::sync::OnceLock::new();

/// The target behind a RustPython function definition, if the facade made it.
fn target_of(f: &'static dyn PyNativeFn) -> Option<&'static CTarget> {
    let (data, meta) = (f as *const dyn PyNativeFn).to_raw_parts();
    // SAFETY: the same vtable means the same concrete type, CTarget (the
    // vtable is taken from a `&'static CTarget` coerced in `into_def`).
    (TARGET_VTABLE.get() == Some(&meta)).then(|| unsafe { &*data.cast::<CTarget>() })
}

/// CPython's error for a method called without `self`, naming it by its
/// class: `unbound method Counter.incr() needs an argument`.
fn unbound_without_self(vm: &VirtualMachine, ml: *const PyMethodDef, cls: *mut PyTypeObject) -> rustpython_vm::builtins::PyBaseExceptionRef {
    let class = rp(vm, cls.cast()).ok().and_then(|t| t.downcast::<rustpython_vm::builtins::PyType>().ok()).map(|t| format!("{}.", t.name()));
    type_error(vm, format!("unbound method {}{}() needs an argument", class.unwrap_or_default(), MethName(ml)))
}

/// RustPython's own vectorcall slots of `builtin_function_or_method` and
/// `method_descriptor`, called for callables that are not the facade's, and
/// the reader of a builtin function's definition and `__self__`.
static VECTORCALLS: std::sync::OnceLock<((Vectorcall, Vectorcall), FunctionReader)> = std::sync::OnceLock::new();
type Vectorcall = fn(&RpObject, Vec<PyObjectRef>, usize, Option<&[PyObjectRef]>, &VirtualMachine) -> PyResult;
/// A builtin function's `func` and `__self__`, None for other objects.
/// RustPython does not export its builtin function type; this reader is
/// made from a function it returns ([`function_reader`]).
type FunctionReader = Box<dyn for<'a> Fn(&'a RpObject) -> Option<(&'static dyn PyNativeFn, Option<&'a RpObject>)> + Send + Sync>;

/// The [`FunctionReader`] for payload type `T`, known by inference from
/// `_witness` (a builtin function), with `read` written against it.
fn function_reader<T: rustpython_vm::PyPayload>(_witness: &rustpython_vm::PyRef<T>, read: impl for<'a> Fn(&'a rustpython_vm::Py<T>) -> (&'static dyn PyNativeFn, Option<&'a RpObject>) + Send + Sync + 'static) -> FunctionReader {
    Box::new(move |o| o.downcast_ref::<T>().map(&read))
}

/// Vectorcall of `builtin_function_or_method`: C functions are called with
/// RustPython's argument vector as it is (no `FuncArgs`, no `__self__`
/// prepended); other functions as RustPython does.
fn vectorcall_function(zelf: &RpObject, args: Vec<PyObjectRef>, nargs: usize, kwnames: Option<&[PyObjectRef]>, vm: &VirtualMachine) -> PyResult {
    let (orig, read) = VECTORCALLS.get().expect("installed");
    if let Some((func, zelf_self)) = read(zelf)
        && let Some(t) = target_of(func)
    {
        // `__self__` is passed for bound functions and methods bound by
        // `method_descriptor.__get__`; a module function's is not.
        let bound = if matches!(t, CTarget::Fixed { .. }) { None } else { zelf_self };
        return t.invoke(vm, bound, &args, nargs, kwnames.map_or(Names::None, Names::Objs));
    }
    (orig.0)(zelf, args, nargs, kwnames, vm)
}

/// Vectorcall of `method_descriptor`: as [`vectorcall_function`], after
/// CPython's check that `self` is an instance of the descriptor's class.
fn vectorcall_method(zelf: &RpObject, args: Vec<PyObjectRef>, nargs: usize, kwnames: Option<&[PyObjectRef]>, vm: &VirtualMachine) -> PyResult {
    if let Some(d) = zelf.downcast_ref::<rustpython_vm::builtins::descriptor::PyMethodDescriptor>()
        && let Some(t) = target_of(d.method.func)
    {
        if let Some(obj) = args.first().filter(|_| nargs > 0)
            && !obj.fast_isinstance(d.common.typ)
        {
            return Err(type_error(vm, format!("descriptor '{}' for '{}' objects doesn't apply to a '{}' object", d.common.name.as_str(), d.common.typ.name(), obj.class().name())));
        }
        return t.invoke(vm, None, &args, nargs, kwnames.map_or(Names::None, Names::Objs));
    }
    (VECTORCALLS.get().expect("installed").0.1)(zelf, args, nargs, kwnames, vm)
}

/// Points the vectorcall slots of `builtin_function_or_method` and
/// `method_descriptor` at [`vectorcall_function`] / [`vectorcall_method`],
/// once per process (the types are shared by every interpreter). RustPython
/// offers no other way to give a function of its own type a calling
/// convention of its own; its functions keep theirs.
pub(crate) fn install_vectorcalls(vm: &VirtualMachine) {
    let types = &vm.ctx.types;
    VECTORCALLS.get_or_init(|| {
        let f = types.builtin_function_or_method_type.slots.vectorcall.load().expect("builtin functions have a vectorcall slot");
        let m = types.method_descriptor_type.slots.vectorcall.load().expect("method descriptors have a vectorcall slot");
        let witness = vm.ctx.new_method_def("witness", |_: FuncArgs| (), PyMethodFlags::empty(), ItemDoc::NONE).build_function(vm, None);
        let read = function_reader(&witness, |f| (f.as_func(), f.get_self()));
        types.builtin_function_or_method_type.slots.vectorcall.store(Some(vectorcall_function));
        types.method_descriptor_type.slots.vectorcall.store(Some(vectorcall_method));
        ((f, m), read)
    });
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

/// New references to the C argument tuple and keyword dict (NULL when
/// empty) of a vector call's arguments: `nargs` positional ones, then one
/// per name in `kwnames`.
pub(crate) fn c_vector_args(vm: &VirtualMachine, args: &[PyObjectRef], nargs: usize, kwnames: Option<&[PyObjectRef]>) -> PyResult<(*mut PyObject, *mut PyObject)> {
    let k = match kwnames {
        Some(names) if !names.is_empty() => c_kwargs(vm, Names::Objs(names).iter().zip(&args[nargs..]))?,
        _ => std::ptr::null_mut(),
    };
    Ok((c_tuple(vm, &args[..nargs]), k))
}

/// RustPython call arguments as a C tuple (new reference) and a C keyword
/// dict (new reference, or NULL when there are no keywords).
pub(crate) fn c_args_kwargs(vm: &VirtualMachine, args: FuncArgs) -> PyResult<(*mut PyObject, *mut PyObject)> {
    let k = c_kwargs(vm, args.kwargs.iter().map(|(name, v)| (&**name, v)))?;
    Ok((c_tuple(vm, &args.args), k))
}

/// A new C keyword dict of `(name, value)` pairs, NULL when there are none
/// (as CPython passes `kwargs` to `tp_new`/`tp_call`/`METH_KEYWORDS`).
fn c_kwargs<'a>(vm: &VirtualMachine, items: impl Iterator<Item = (&'a Wtf8, &'a PyObjectRef)>) -> PyResult<*mut PyObject> {
    let mut items = items.peekable();
    if items.peek().is_none() {
        return Ok(std::ptr::null_mut());
    }
    let d = vm.ctx.new_dict();
    for (name, v) in items {
        d.set_item(&*vm.ctx.new_str(name), v.clone(), vm)?;
    }
    Ok(bridge::to_c(vm, d.as_object()))
}

/// A new C tuple of `items`, for a C callee (`tp_new`, `METH_VARARGS`):
/// a tuple builder, as `PyTuple_New` makes, so that a tuple the callee
/// only reads is freed without a RustPython tuple ever being made; one it
/// hands to Python is realised then. The empty tuple is the singleton.
pub(crate) fn c_tuple(vm: &VirtualMachine, items: &[PyObjectRef]) -> *mut PyObject {
    if items.is_empty() {
        return bridge::to_c(vm, vm.ctx.empty_tuple.as_object());
    }
    let t = bridge::builders::new_tuple(crate::types::static_type!(PyTuple_Type), items.len());
    // SAFETY: a tuple builder with items.len() slots, each taking a new reference.
    unsafe {
        let slots = t.cast::<u8>().add(TUPLE_ITEMS_OFFSET).cast::<*mut PyObject>();
        for (i, o) in items.iter().enumerate() {
            *slots.add(i) = bridge::to_c(vm, o);
        }
    }
    t
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

/// The method definitions shared by every C function bound to a non-module
/// `self` with the same name and doc ([`CTarget::Bound`]): the C definition
/// is read from the function's `BoundSelf`, so none is leaked per function.
static BOUND_DEFS: std::sync::LazyLock<parking_lot::Mutex<std::collections::HashMap<(usize, usize), rustpython_vm::PyRef<rustpython_vm::function::HeapMethodDef>>>> =
    std::sync::LazyLock::new(Default::default);

fn bound_def(vm: &VirtualMachine, name: &'static str, doc: Option<&'static str>) -> rustpython_vm::PyRef<rustpython_vm::function::HeapMethodDef> {
    let key = (name.as_ptr() as usize, doc.map_or(0, |d| d.as_ptr() as usize));
    BOUND_DEFS.lock().entry(key).or_insert_with(|| CTarget::Bound.into_def(vm, name, doc, PyMethodFlags::empty())).clone()
}

/// Name and doc of a method definition, interned (they outlive every
/// function made from it).
fn def_name_doc(vm: &VirtualMachine, ml: *const PyMethodDef) -> PyResult<(&'static str, Option<&'static str>)> {
    // SAFETY: ml is a method definition with a NUL-terminated name and an
    // optional NUL-terminated doc.
    unsafe {
        let n = CStr::from_ptr((*ml).ml_name).to_str().map_err(|_| system_error(vm, "method name is not UTF-8"))?;
        let d = (*ml).ml_doc;
        let d = if d.is_null() { None } else { CStr::from_ptr(d).to_str().ok() };
        Ok((vm.ctx.intern_str(n).as_str(), d.map(|d| vm.ctx.intern_str(d).as_str())))
    }
}

/// The RustPython method descriptor (`classmethod == false`) or the
/// function a classmethod wraps, for method definition `ml` of class `cls`
/// (C type `tp`): C gets the first argument as `self`.
pub(crate) fn make_method(vm: &VirtualMachine, cls: &'static rustpython_vm::Py<rustpython_vm::builtins::PyType>, tp: *mut PyTypeObject, ml: *mut PyMethodDef, classmethod: bool) -> PyResult<PyObjectRef> {
    let (name, doc) = def_name_doc(vm, ml)?;
    let target = CTarget::SelfArg { ml: ml as usize, cls: tp as usize };
    Ok(if classmethod {
        target.into_def(vm, name, doc, PyMethodFlags::empty()).build_function(vm, None).into()
    } else {
        target.into_def(vm, name, doc, PyMethodFlags::METHOD).build_method(cls, vm).into()
    })
}

/// Makes the RustPython function for a C method definition.
pub(crate) fn make_function(vm: &VirtualMachine, ml: *mut PyMethodDef, slf: *mut PyObject, module: Option<PyObjectRef>, cls: *mut PyTypeObject) -> PyResult<PyObjectRef> {
    if ml.is_null() {
        return Err(system_error(vm, "NULL PyMethodDef"));
    }
    // The definition outlives the function: static data of the extension,
    // or memory owned by `slf` (PyO3 closures keep it in their capsule),
    // which the function keeps alive.
    let (name, doc) = def_name_doc(vm, ml)?;
    let module_self = if slf.is_null() { None } else { Some(rp(vm, slf)?).filter(|o| o.downcast_ref::<rustpython_vm::builtins::PyModule>().is_some()) };
    let f: PyObjectRef = if slf.is_null() || module_self.is_some() {
        // Module functions: one per definition, made once per module. As on
        // CPython, `__self__` is the module. The target keeps a reference to
        // it for the life of the process (RustPython never frees a
        // definition's function).
        if !slf.is_null() {
            // SAFETY: the target holds this reference.
            unsafe { bridge::incref(slf) };
        }
        let target = CTarget::Fixed { ml: ml as usize, slf: slf as usize, cls: cls as usize, zelf_first: module_self.is_some() };
        // RustPython renders `__doc__` and `__text_signature__` from CPython's
        // `name(sig)\n--\n\n` doc convention itself.
        target.into_def(vm, name, doc, PyMethodFlags::empty()).build_function(vm, module_self).into()
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

