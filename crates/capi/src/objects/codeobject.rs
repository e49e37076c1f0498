//! `code.h`: `PyCode_*`, `PyUnstable_Code_*`.
//!
//! RustPython cannot run CPython bytecode, so code objects made through the
//! C-API carry the names, argument counts, flags, file name and first line
//! they are given, and a body of RustPython's own: run by `PyFrame_New`, it
//! returns the frame it runs in (run otherwise, it raises AssertionError, as
//! CPython's body for such code objects does). That body is what makes `PyFrame_New` able to
//! give a real frame of exactly the code it is passed (see frameobject.rs),
//! as Cython's tracebacks need. Each body is compiled at the code's first
//! line, so the frame's line is that line.

use rustpython_vm::builtins::{PyCode, PyStr, PyTuple};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

use super::{new_ref, rp};
use crate::bridge::{self, InlineLayout};
use crate::abi::PyObject;
use crate::runtime::{Shared, api, api_noerr, new_error, system_error, type_error};

/// Python helpers for code and frame objects, compiled once.
const HELPERS: &str = r#"
import sys, warnings, _thread
_tl = _thread._local()

def _GF():
    # The frame of the code that called us, when frame() runs it; otherwise
    # AssertionError, as CPython's body for a C-made code object raises.
    if getattr(_tl, "want", False):
        return sys._getframe(1)
    raise AssertionError

_stubs = {}
GENFLAGS = 0x20 | 0x80 | 0x100 | 0x200

def stub(line):
    line = line if line > 0 else 1
    c = _stubs.get(line)
    if c is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = compile("\n" * (line - 1) + "def f(): return None()\n", "<pyfacade>", "exec")
        f = [k for k in m.co_consts if isinstance(k, type(m))][0]
        c = _stubs[line] = f.replace(co_consts=(_GF,), co_flags=0)
    return c

def new_code(filename, name, qualname, line, argcount=0, posonly=0, kwonly=0, flags=0,
             varnames=(), freevars=(), cellvars=(), names=(), consts=()):
    return stub(line).replace(
        co_filename=filename, co_name=name, co_qualname=qualname,
        co_firstlineno=line if line > 0 else 0,
        co_argcount=argcount, co_posonlyargcount=posonly, co_kwonlyargcount=kwonly,
        co_flags=flags, co_varnames=tuple(varnames), co_nlocals=len(varnames),
        co_freevars=tuple(freevars), co_cellvars=tuple(cellvars), co_names=tuple(names),
        co_consts=(_GF,) + tuple(consts))

def is_stub(c):
    return c.co_consts[:1] == (_GF,) and c.co_code == stub(1).co_code

def frame(code, g, l):
    if not is_stub(code):
        code = new_code(code.co_filename, code.co_name, code.co_qualname, code.co_firstlineno,
                        code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
                        code.co_flags, code.co_varnames, (), code.co_cellvars,
                        code.co_names, code.co_consts)
    if code.co_flags & GENFLAGS or code.co_freevars:
        code = code.replace(co_flags=code.co_flags & ~GENFLAGS, co_freevars=())
    _tl.want = True
    try:
        return eval(code, g, {} if l is None else l)
    finally:
        _tl.want = False
"#;

static HELPER_NS: OnceLock<PyObjectRef> = OnceLock::new();

/// Calls helper `name` of [`HELPERS`] with `args` (runs Python code).
pub(crate) fn helper(vm: &VirtualMachine, name: &str, args: impl Into<FuncArgs>) -> PyResult {
    let ns = match HELPER_NS.get() {
        Some(ns) => ns.clone(),
        None => {
            let scope = vm.new_scope_with_builtins();
            vm.run_string(scope.clone(), HELPERS, "<pyfacade.code>")?;
            HELPER_NS.get_or_init(|| scope.globals.into()).clone()
        }
    };
    let f = ns.get_item(name, vm)?;
    let args = args.into();
    super::py(vm, || f.call(args, vm))
}

/// `o` as a code object, or `TypeError`.
pub(crate) fn code_arg(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<rustpython_vm::PyRef<PyCode>> {
    rp(vm, p)?.downcast::<PyCode>().map_err(|o| type_error(vm, format!("expected a code object, got {}", o.class().name())))
}

fn str_arg(vm: &VirtualMachine, p: *mut PyObject, what: &str) -> PyResult<PyObjectRef> {
    let o = rp(vm, p)?;
    if o.downcast_ref::<PyStr>().is_none() {
        let _ = what;
        return Err(system_error(vm, "bad argument to internal function"));
    }
    Ok(o)
}

fn tuple_arg(vm: &VirtualMachine, p: *mut PyObject, what: &str) -> PyResult<PyObjectRef> {
    if p.is_null() {
        return Ok(vm.ctx.empty_tuple.clone().into());
    }
    let o = rp(vm, p)?;
    if o.downcast_ref::<PyTuple>().is_none() {
        let _ = what;
        return Err(system_error(vm, "bad argument to internal function"));
    }
    Ok(o)
}

/// New reference to a code object with no arguments and an empty body,
/// named `funcname`, in `filename`, starting at `firstlineno`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_NewEmpty(filename: *const std::ffi::c_char, funcname: *const std::ffi::c_char, firstlineno: c_int) -> *mut PyObject {
    let co = new_ref("PyCode_NewEmpty", |vm| {
        let f = vm.ctx.new_str(super::cstr(vm, filename)?);
        let n = vm.ctx.new_str(super::cstr(vm, funcname)?);
        helper(vm, "new_code", vec![f.into(), n.clone().into(), n.into(), vm.ctx.new_int(firstlineno).into()])
    });
    created(co)
}

/// New reference to a code object (CPython's `code` bytes, `linetable` and
/// `exceptiontable` are accepted and not used: RustPython runs its own body).
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Code_NewWithPosOnlyArgs(
    argcount: c_int,
    posonlyargcount: c_int,
    kwonlyargcount: c_int,
    nlocals: c_int,
    stacksize: c_int,
    flags: c_int,
    code: *mut PyObject,
    consts: *mut PyObject,
    names: *mut PyObject,
    varnames: *mut PyObject,
    freevars: *mut PyObject,
    cellvars: *mut PyObject,
    filename: *mut PyObject,
    name: *mut PyObject,
    qualname: *mut PyObject,
    firstlineno: c_int,
    linetable: *mut PyObject,
    exceptiontable: *mut PyObject,
) -> *mut PyObject {
    let _ = (nlocals, stacksize, linetable, exceptiontable);
    let co = new_ref("PyUnstable_Code_NewWithPosOnlyArgs", |vm| {
        if argcount < posonlyargcount || posonlyargcount < 0 || kwonlyargcount < 0 || nlocals < 0 || stacksize < 0 || flags < 0 {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        if code.is_null() || consts.is_null() || names.is_null() || varnames.is_null() || freevars.is_null() || cellvars.is_null() || filename.is_null() || name.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let name_o = str_arg(vm, name, "name")?;
        let qual = if qualname.is_null() { name_o.clone() } else { str_arg(vm, qualname, "qualname")? };
        let args: Vec<PyObjectRef> = vec![
            str_arg(vm, filename, "filename")?,
            name_o,
            qual,
            vm.ctx.new_int(firstlineno).into(),
            vm.ctx.new_int(argcount).into(),
            vm.ctx.new_int(posonlyargcount).into(),
            vm.ctx.new_int(kwonlyargcount).into(),
            vm.ctx.new_int(flags).into(),
            tuple_arg(vm, varnames, "varnames")?,
            tuple_arg(vm, freevars, "freevars")?,
            tuple_arg(vm, cellvars, "cellvars")?,
            tuple_arg(vm, names, "names")?,
            tuple_arg(vm, consts, "consts")?,
        ];
        helper(vm, "new_code", args)
    });
    created(co)
}

/// As [`PyUnstable_Code_NewWithPosOnlyArgs`] with no positional-only arguments.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Code_New(
    argcount: c_int, kwonlyargcount: c_int, nlocals: c_int, stacksize: c_int, flags: c_int,
    code: *mut PyObject, consts: *mut PyObject, names: *mut PyObject, varnames: *mut PyObject,
    freevars: *mut PyObject, cellvars: *mut PyObject, filename: *mut PyObject, name: *mut PyObject,
    qualname: *mut PyObject, firstlineno: c_int, linetable: *mut PyObject, exceptiontable: *mut PyObject,
) -> *mut PyObject {
    PyUnstable_Code_NewWithPosOnlyArgs(argcount, 0, kwonlyargcount, nlocals, stacksize, flags, code, consts, names, varnames, freevars, cellvars, filename, name, qualname, firstlineno, linetable, exceptiontable)
}

/// New reference to attribute `attr` of a code object.
fn code_attr(name: &str, code: *mut PyObject, attr: &'static str) -> *mut PyObject {
    new_ref(name, |vm| code_arg(vm, code)?.as_object().get_attr(attr, vm))
}

/// New reference to `co_code` (RustPython's bytecode, not CPython's).
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_GetCode(co: *mut PyObject) -> *mut PyObject {
    code_attr("PyCode_GetCode", co, "co_code")
}

/// New reference to `co_varnames`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_GetVarnames(co: *mut PyObject) -> *mut PyObject {
    code_attr("PyCode_GetVarnames", co, "co_varnames")
}

/// New reference to `co_cellvars`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_GetCellvars(co: *mut PyObject) -> *mut PyObject {
    code_attr("PyCode_GetCellvars", co, "co_cellvars")
}

/// New reference to `co_freevars`.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_GetFreevars(co: *mut PyObject) -> *mut PyObject {
    code_attr("PyCode_GetFreevars", co, "co_freevars")
}

/// The `(start line, end line, start column, end column)` of the instruction
/// at byte offset `addr`, from `co_positions()`; `None` parts are -1 (0 for columns).
fn positions(vm: &VirtualMachine, co: &rustpython_vm::PyRef<PyCode>, addr: c_int) -> PyResult<Option<[i64; 4]>> {
    if addr < 0 {
        let l = co.as_object().get_attr("co_firstlineno", vm)?.try_into_value::<i64>(vm)?;
        return Ok(Some([l, l, 0, 0]));
    }
    let it = vm.call_method(co.as_object(), "co_positions", ())?;
    let mut i = 0;
    for p in it.try_to_value::<Vec<PyObjectRef>>(vm)? {
        if i == addr / 2 {
            let t: Vec<PyObjectRef> = p.try_to_value(vm)?;
            let mut out = [-1i64; 4];
            for (k, v) in t.iter().take(4).enumerate() {
                if !vm.is_none(v) {
                    out[k] = v.try_to_value(vm)?;
                }
            }
            return Ok(Some(out));
        }
        i += 1;
    }
    Ok(None)
}

/// The line of the instruction at byte offset `addr` (the first line for a
/// negative offset), or -1.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_Addr2Line(co: *mut PyObject, addr: c_int) -> c_int {
    api_noerr("PyCode_Addr2Line", -1, |vm| {
        let r = code_arg(vm, co).and_then(|c| positions(vm, &c, addr));
        match r {
            Ok(Some(p)) => p[0] as c_int,
            _ => -1,
        }
    })
}

/// Fills the start/end line and column of the instruction at byte offset
/// `addr` (-1 for unknown parts); 1, or 0 if `addr` is past the code.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyCode_Addr2Location(co: *mut PyObject, addr: c_int, start_line: *mut c_int, start_column: *mut c_int, end_line: *mut c_int, end_column: *mut c_int) -> c_int {
    let p = api_noerr("PyCode_Addr2Location", None, |vm| code_arg(vm, co).and_then(|c| positions(vm, &c, addr)).ok().flatten());
    let v = p.unwrap_or([-1, -1, -1, -1]);
    // SAFETY: C passes writable int pointers.
    unsafe {
        *start_line = v[0] as c_int;
        *end_line = v[1] as c_int;
        *start_column = v[2] as c_int;
        *end_column = v[3] as c_int;
    }
    p.is_some() as c_int
}

/// Returns a new reference to `code` unchanged (CPython's peephole optimizer is gone too).
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_Optimize(code: *mut PyObject, _consts: *mut PyObject, _names: *mut PyObject, _lnotab: *mut PyObject) -> *mut PyObject {
    new_ref("PyCode_Optimize", |vm| rp(vm, code))
}

// ---- watchers -----------------------------------------------------------------

/// Watcher callbacks, CPython's 8 slots per kind. Shared with funcobject.rs.
pub(crate) struct Watchers {
    slots: parking_lot::Mutex<[Option<Shared<*mut c_void>>; 8]>,
    kind: &'static str,
    /// CPython's messages for an invalid and an unset id, up to the id.
    invalid: &'static str,
    unset: &'static str,
}

impl Watchers {
    pub(crate) const fn new(kind: &'static str, invalid: &'static str, unset: &'static str) -> Self {
        Watchers { slots: parking_lot::Mutex::new([None; 8]), kind, invalid, unset }
    }

    /// Registers `cb`; its id, or -1 with RuntimeError when all slots are used.
    pub(crate) fn add(&self, name: &str, cb: *mut c_void) -> c_int {
        api(name, |vm| {
            let mut s = self.slots.lock();
            match s.iter().position(Option::is_none) {
                Some(i) => {
                    s[i] = Some(Shared(cb));
                    Ok(i as c_int)
                }
                None => Err(new_error(vm, vm.ctx.exceptions.runtime_error, format!("no more {} watcher IDs available", self.kind))),
            }
        })
    }

    /// Unregisters watcher `id`: 0, or -1 with ValueError.
    pub(crate) fn clear(&self, name: &str, id: c_int) -> c_int {
        api(name, |vm| {
            let mut s = self.slots.lock();
            if !(0..8).contains(&id) {
                return Err(new_error(vm, vm.ctx.exceptions.value_error, format!("{} {id}", self.invalid)));
            }
            if s[id as usize].take().is_none() {
                return Err(new_error(vm, vm.ctx.exceptions.value_error, format!("{} {id}", self.unset)));
            }
            Ok(0)
        })
    }

    /// The registered callbacks.
    pub(crate) fn active(&self) -> Vec<*mut c_void> {
        self.slots.lock().iter().flatten().map(|s| s.0).collect()
    }
}

static CODE_WATCHERS: Watchers = Watchers::new("code", "Invalid code watcher ID", "No code watcher set for ID");

type CodeWatchCallback = unsafe extern "C" fn(c_int, *mut PyObject) -> c_int;
const PY_CODE_EVENT_CREATE: c_int = 0;

/// Delivers `PY_CODE_EVENT_CREATE` for a code object made through the C-API.
fn notify_created(vm: &VirtualMachine, co: *mut PyObject) {
    for cb in CODE_WATCHERS.active() {
        // SAFETY: registered as a PyCode_WatchCallback.
        let r = unsafe { std::mem::transmute::<*mut c_void, CodeWatchCallback>(cb)(PY_CODE_EVENT_CREATE, co) };
        if r < 0 {
            if let Some(e) = crate::runtime::errors::take() {
                vm.run_unraisable(e, Some("Exception ignored in code watcher callback".to_owned()), vm.ctx.none());
            }
        }
    }
}

/// Registers a code watcher; its id (0-7), or -1 with RuntimeError. Events
/// are delivered for code objects made through the C-API (`PyCode_NewEmpty`,
/// `PyUnstable_Code_New*`): RustPython's compiler has no hook.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_AddWatcher(callback: *mut c_void) -> c_int {
    CODE_WATCHERS.add("PyCode_AddWatcher", callback)
}

/// Unregisters code watcher `watcher_id`: 0, or -1 with ValueError.
#[unsafe(no_mangle)]
pub extern "C" fn PyCode_ClearWatcher(watcher_id: c_int) -> c_int {
    CODE_WATCHERS.clear("PyCode_ClearWatcher", watcher_id)
}

// ---- co_extra -----------------------------------------------------------------

type FreeFunc = unsafe extern "C" fn(*mut c_void);

/// Free functions of the indices `PyUnstable_Eval_RequestCodeExtraIndex` gave.
static EXTRA_FREE: parking_lot::Mutex<Vec<Option<Shared<FreeFunc>>>> = parking_lot::Mutex::new(Vec::new());

/// Per code object extra slots, keyed by the code's C address (stable while
/// the mirror lives; entries are released with the interpreter).
static EXTRA: std::sync::LazyLock<parking_lot::Mutex<std::collections::HashMap<usize, (PyObjectRef, Vec<usize>)>>> = std::sync::LazyLock::new(Default::default);

/// Reserves a co_extra index whose values `free` releases; -1 when all 255 are used.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Eval_RequestCodeExtraIndex(free: Option<FreeFunc>) -> isize {
    let mut f = EXTRA_FREE.lock();
    if f.len() >= 255 {
        return -1;
    }
    f.push(free.map(Shared));
    (f.len() - 1) as isize
}

/// Reads extra slot `index` of `code` into `*extra` (NULL if never set): 0, or -1 with SystemError.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyUnstable_Code_GetExtra(code: *mut PyObject, index: isize, extra: *mut *mut c_void) -> c_int {
    api("PyUnstable_Code_GetExtra", |vm| {
        let c = code_arg(vm, code).map_err(|_| system_error(vm, "bad argument to internal function"))?;
        if index < 0 || extra.is_null() {
            return Err(system_error(vm, "bad argument to internal function"));
        }
        let v = EXTRA.lock().get(&(c.as_object().as_raw() as usize)).and_then(|(_, v)| v.get(index as usize).copied()).unwrap_or(0);
        // SAFETY: C passes a writable pointer.
        unsafe { *extra = v as *mut c_void };
        Ok(0)
    })
}

/// Sets extra slot `index` of `code`, releasing the previous value with the
/// index's free function: 0, or -1 with SystemError for a bad index.
#[unsafe(no_mangle)]
pub extern "C" fn PyUnstable_Code_SetExtra(code: *mut PyObject, index: isize, extra: *mut c_void) -> c_int {
    api("PyUnstable_Code_SetExtra", |vm| {
        let c = code_arg(vm, code).map_err(|_| system_error(vm, "bad argument to internal function"))?;
        let free = EXTRA_FREE.lock().get(index.max(0) as usize).copied();
        let Some(free) = free.filter(|_| index >= 0) else {
            return Err(system_error(vm, "bad argument to internal function"));
        };
        let old = {
            let mut m = EXTRA.lock();
            let e = m.entry(c.as_object().as_raw() as usize).or_insert_with(|| (c.clone().into(), Vec::new()));
            if e.1.len() <= index as usize {
                e.1.resize(index as usize + 1, 0);
            }
            std::mem::replace(&mut e.1[index as usize], extra as usize)
        };
        if old != 0 {
            if let Some(f) = free {
                // SAFETY: the extension's free function for its own value.
                unsafe { (f.0)(old as *mut c_void) };
            }
        }
        Ok(0)
    })
}

/// Runs the code watchers for a code object the C-API made (new reference passed through).
fn created(co: *mut PyObject) -> *mut PyObject {
    if !co.is_null() {
        api_noerr("code watcher", (), |vm| notify_created(vm, co));
    }
    co
}

// ---- inline layout ----------------------------------------------------------------

/// Size of CPython 3.14's `PyCodeObject` up to `co_code_adaptive`: Cython
/// writes `_co_firsttraceable` (offset 192) into the code objects it makes.
const CODE_MIRROR_SIZE: usize = 208;

/// Byte offsets of the `PyCodeObject` fields a code mirror carries: the
/// argument counts and first line C reads inline, names lent by the mirror
/// (the same offsets in CPython 3.13 and 3.14).
const CO_FLAGS: usize = 48;
const CO_ARGCOUNT: usize = 52;
const CO_POSONLYARGCOUNT: usize = 56;
const CO_KWONLYARGCOUNT: usize = 60;
const CO_FIRSTLINENO: usize = 68;
const CO_FILENAME: usize = 112;
const CO_NAME: usize = 120;
const CO_QUALNAME: usize = 128;

/// Fills a code mirror (code objects are immutable: once).
fn fill_code(vm: &VirtualMachine, obj: &rustpython_vm::PyObject, p: *mut PyObject) {
    let int = |name: &'static str| obj.get_attr(name, vm).ok().and_then(|v| v.try_to_value::<i32>(vm).ok()).unwrap_or(0);
    let lend = |name: &'static str| obj.get_attr(name, vm).map_or(std::ptr::null_mut(), |v| bridge::borrow_from(vm, p, &v));
    let base = p.cast::<u8>();
    // SAFETY: p has CODE_MIRROR_SIZE zeroed bytes; the offsets are in range
    // and aligned for their types.
    unsafe {
        for (off, name) in [(CO_FLAGS, "co_flags"), (CO_ARGCOUNT, "co_argcount"), (CO_POSONLYARGCOUNT, "co_posonlyargcount"), (CO_KWONLYARGCOUNT, "co_kwonlyargcount"), (CO_FIRSTLINENO, "co_firstlineno")] {
            base.add(off).cast::<c_int>().write(int(name));
        }
        for (off, name) in [(CO_FILENAME, "co_filename"), (CO_NAME, "co_name"), (CO_QUALNAME, "co_qualname")] {
            base.add(off).cast::<*mut PyObject>().write(lend(name));
        }
    }
}

/// Registers the code objects' inline layout with the bridge.
pub(crate) fn install(vm: &VirtualMachine) {
    bridge::set_inline_layouts(vec![InlineLayout { ty: vm.ctx.types.code_type.to_owned(), size: CODE_MIRROR_SIZE, fill: fill_code }]);
}
