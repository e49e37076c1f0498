//! Probes for the C-API family group 'code': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_code.py can compare pyfacade with CPython 3.13.
//! Functions CPython declares but pyo3-ffi 0.30 does not are declared in
//! the `extern "C"` block below (all of this group's, with CPython's exact
//! signatures; frames and code objects as `PyObject*`).
#![allow(non_snake_case, non_camel_case_types, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::null_mut;

#[repr(C)]
pub struct PyCompilerFlags {
    cf_flags: c_int,
    cf_feature_version: c_int,
}

#[repr(C)]
pub struct wrapperbase {
    name: *const c_char,
    offset: c_int,
    function: *mut c_void,
    wrapper: *mut c_void,
    doc: *const c_char,
    flags: c_int,
    name_strobj: *mut PyObject,
}

/// The public prefix of CPython's `struct _frame` (3.11+).
#[repr(C)]
pub struct FrameHead {
    ob_base: PyObject,
    f_back: *mut PyObject,
    f_frame: *mut c_void,
    f_trace: *mut PyObject,
    f_lineno: c_int,
}

extern "C" {
    fn PyCode_NewEmpty(filename: *const c_char, funcname: *const c_char, firstlineno: c_int) -> *mut PyObject;
    fn PyUnstable_Code_NewWithPosOnlyArgs(
        argcount: c_int, posonlyargcount: c_int, kwonlyargcount: c_int, nlocals: c_int, stacksize: c_int, flags: c_int,
        code: *mut PyObject, consts: *mut PyObject, names: *mut PyObject, varnames: *mut PyObject, freevars: *mut PyObject,
        cellvars: *mut PyObject, filename: *mut PyObject, name: *mut PyObject, qualname: *mut PyObject, firstlineno: c_int,
        linetable: *mut PyObject, exceptiontable: *mut PyObject,
    ) -> *mut PyObject;
    fn PyUnstable_Code_New(
        argcount: c_int, kwonlyargcount: c_int, nlocals: c_int, stacksize: c_int, flags: c_int,
        code: *mut PyObject, consts: *mut PyObject, names: *mut PyObject, varnames: *mut PyObject, freevars: *mut PyObject,
        cellvars: *mut PyObject, filename: *mut PyObject, name: *mut PyObject, qualname: *mut PyObject, firstlineno: c_int,
        linetable: *mut PyObject, exceptiontable: *mut PyObject,
    ) -> *mut PyObject;
    fn PyCode_GetCode(co: *mut PyObject) -> *mut PyObject;
    fn PyCode_GetVarnames(co: *mut PyObject) -> *mut PyObject;
    fn PyCode_GetCellvars(co: *mut PyObject) -> *mut PyObject;
    fn PyCode_GetFreevars(co: *mut PyObject) -> *mut PyObject;
    fn PyCode_Addr2Line(co: *mut PyObject, addr: c_int) -> c_int;
    fn PyCode_Addr2Location(co: *mut PyObject, addr: c_int, sl: *mut c_int, sc: *mut c_int, el: *mut c_int, ec: *mut c_int) -> c_int;
    fn PyCode_Optimize(code: *mut PyObject, consts: *mut PyObject, names: *mut PyObject, lnotab: *mut PyObject) -> *mut PyObject;
    fn PyCode_AddWatcher(cb: unsafe extern "C" fn(c_int, *mut PyObject) -> c_int) -> c_int;
    fn PyCode_ClearWatcher(id: c_int) -> c_int;
    fn PyUnstable_Eval_RequestCodeExtraIndex(free: Option<unsafe extern "C" fn(*mut c_void)>) -> Py_ssize_t;
    fn PyUnstable_Code_GetExtra(code: *mut PyObject, index: Py_ssize_t, extra: *mut *mut c_void) -> c_int;
    fn PyUnstable_Code_SetExtra(code: *mut PyObject, index: Py_ssize_t, extra: *mut c_void) -> c_int;
    fn PyCompile_OpcodeStackEffect(opcode: c_int, oparg: c_int) -> c_int;
    fn PyCompile_OpcodeStackEffectWithJump(opcode: c_int, oparg: c_int, jump: c_int) -> c_int;

    fn PyFrame_New(tstate: *mut PyThreadState, code: *mut PyObject, globals: *mut PyObject, locals: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetCode(f: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetBack(f: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetGenerator(f: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetLocals(f: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetGlobals(f: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetBuiltins(f: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetLineNumber(f: *mut PyObject) -> c_int;
    fn PyFrame_GetLasti(f: *mut PyObject) -> c_int;
    fn PyFrame_GetVar(f: *mut PyObject, name: *mut PyObject) -> *mut PyObject;
    fn PyFrame_GetVarString(f: *mut PyObject, name: *const c_char) -> *mut PyObject;
    fn PyFrame_FastToLocalsWithError(f: *mut PyObject) -> c_int;
    fn PyFrame_FastToLocals(f: *mut PyObject);
    fn PyFrame_LocalsToFast(f: *mut PyObject, clear: c_int);
    fn PyUnstable_InterpreterFrame_GetCode(f: *mut c_void) -> *mut PyObject;
    fn PyUnstable_InterpreterFrame_GetLasti(f: *mut c_void) -> c_int;
    fn PyUnstable_InterpreterFrame_GetLine(f: *mut c_void) -> c_int;
    fn PyTraceBack_Here(f: *mut PyObject) -> c_int;

    fn PyEval_GetFrame() -> *mut PyObject;
    fn PyEval_GetBuiltins() -> *mut PyObject;
    fn PyEval_GetGlobals() -> *mut PyObject;
    fn PyEval_GetLocals() -> *mut PyObject;
    fn PyEval_GetFrameBuiltins() -> *mut PyObject;
    fn PyEval_GetFrameGlobals() -> *mut PyObject;
    fn PyEval_GetFrameLocals() -> *mut PyObject;
    fn PyEval_EvalCode(co: *mut PyObject, globals: *mut PyObject, locals: *mut PyObject) -> *mut PyObject;
    fn PyEval_EvalCodeEx(
        co: *mut PyObject, globals: *mut PyObject, locals: *mut PyObject, args: *const *mut PyObject, argc: c_int,
        kws: *const *mut PyObject, kwc: c_int, defs: *const *mut PyObject, defc: c_int, kwdefs: *mut PyObject, closure: *mut PyObject,
    ) -> *mut PyObject;
    fn PyEval_CallObjectWithKeywords(callable: *mut PyObject, args: *mut PyObject, kwargs: *mut PyObject) -> *mut PyObject;
    fn PyEval_CallFunction(callable: *mut PyObject, format: *const c_char, ...) -> *mut PyObject;
    fn PyEval_CallMethod(obj: *mut PyObject, name: *const c_char, format: *const c_char, ...) -> *mut PyObject;
    fn PyEval_GetFuncName(f: *mut PyObject) -> *const c_char;
    fn PyEval_GetFuncDesc(f: *mut PyObject) -> *const c_char;
    fn PyEval_MergeCompilerFlags(cf: *mut PyCompilerFlags) -> c_int;
    fn Py_EnterRecursiveCall(w: *const c_char) -> c_int;
    fn Py_LeaveRecursiveCall();
    fn Py_GetRecursionLimit() -> c_int;
    fn Py_SetRecursionLimit(n: c_int);

    fn PyFunction_New(code: *mut PyObject, globals: *mut PyObject) -> *mut PyObject;
    fn PyFunction_NewWithQualName(code: *mut PyObject, globals: *mut PyObject, qualname: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetCode(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetGlobals(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetModule(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetDefaults(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetKwDefaults(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetClosure(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_GetAnnotations(f: *mut PyObject) -> *mut PyObject;
    fn PyFunction_SetDefaults(f: *mut PyObject, v: *mut PyObject) -> c_int;
    fn PyFunction_SetKwDefaults(f: *mut PyObject, v: *mut PyObject) -> c_int;
    fn PyFunction_SetClosure(f: *mut PyObject, v: *mut PyObject) -> c_int;
    fn PyFunction_SetAnnotations(f: *mut PyObject, v: *mut PyObject) -> c_int;
    fn PyFunction_AddWatcher(cb: unsafe extern "C" fn(c_int, *mut PyObject, *mut PyObject) -> c_int) -> c_int;
    fn PyFunction_ClearWatcher(id: c_int) -> c_int;
    fn PyClassMethod_New(c: *mut PyObject) -> *mut PyObject;
    fn PyStaticMethod_New(c: *mut PyObject) -> *mut PyObject;

    fn PyMethod_New(f: *mut PyObject, s: *mut PyObject) -> *mut PyObject;
    fn PyMethod_Function(m: *mut PyObject) -> *mut PyObject;
    fn PyMethod_Self(m: *mut PyObject) -> *mut PyObject;
    fn PyInstanceMethod_New(f: *mut PyObject) -> *mut PyObject;
    fn PyInstanceMethod_Function(m: *mut PyObject) -> *mut PyObject;
    static mut PyInstanceMethod_Type: PyTypeObject;

    fn PyCell_New(o: *mut PyObject) -> *mut PyObject;
    fn PyCell_Get(c: *mut PyObject) -> *mut PyObject;
    fn PyCell_Set(c: *mut PyObject, v: *mut PyObject) -> c_int;

    fn PyDescr_NewMethod(t: *mut PyTypeObject, m: *mut PyMethodDef) -> *mut PyObject;
    fn PyDescr_NewClassMethod(t: *mut PyTypeObject, m: *mut PyMethodDef) -> *mut PyObject;
    fn PyDescr_NewGetSet(t: *mut PyTypeObject, g: *mut PyGetSetDef) -> *mut PyObject;
    fn PyDescr_NewMember(t: *mut PyTypeObject, m: *mut PyMemberDef) -> *mut PyObject;
    fn PyDescr_NewWrapper(t: *mut PyTypeObject, b: *mut wrapperbase, wrapped: *mut c_void) -> *mut PyObject;
    fn PyDescr_IsData(d: *mut PyObject) -> c_int;
    fn PyWrapper_New(d: *mut PyObject, s: *mut PyObject) -> *mut PyObject;
    fn PyMember_GetOne(addr: *const c_char, m: *mut PyMemberDef) -> *mut PyObject;
    fn PyMember_SetOne(addr: *mut c_char, m: *mut PyMemberDef, v: *mut PyObject) -> c_int;

    fn PyCFunction_GetFunction(f: *mut PyObject) -> *mut c_void;
    fn PyCFunction_GetSelf(f: *mut PyObject) -> *mut PyObject;
    fn PyCFunction_GetFlags(f: *mut PyObject) -> c_int;
    fn PyCFunction_Call(f: *mut PyObject, a: *mut PyObject, k: *mut PyObject) -> *mut PyObject;
    fn PyGen_GetCode(g: *mut PyObject) -> *mut PyObject;
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

/// The pending exception as `(type name, str(value))`, cleared; None if none.
unsafe fn exc() -> *mut PyObject {
    let e = PyErr_GetRaisedException();
    if e.is_null() {
        return Py_NewRef(Py_None());
    }
    let t = PyObject_GetAttrString(Py_TYPE(e).cast(), c"__name__".as_ptr());
    let s = PyObject_Str(e);
    Py_DECREF(e);
    let r = PyTuple_Pack(2, t, s);
    Py_DECREF(t);
    Py_DECREF(s);
    r
}

/// `p` (a new reference) or the pending exception.
unsafe fn or_exc(p: *mut PyObject) -> *mut PyObject {
    if p.is_null() {
        exc()
    } else {
        p
    }
}

/// A borrowed result: a new reference to it, or the pending exception (or None for NULL).
unsafe fn borrowed(p: *mut PyObject) -> *mut PyObject {
    if p.is_null() {
        exc()
    } else {
        Py_NewRef(p)
    }
}

unsafe fn int(v: i64) -> *mut PyObject {
    PyLong_FromLongLong(v)
}

unsafe fn arg(args: *const *mut PyObject, i: usize) -> *mut PyObject {
    *args.add(i)
}

unsafe fn cstr_obj(s: *const c_char) -> *mut PyObject {
    if s.is_null() {
        Py_NewRef(Py_None())
    } else {
        PyUnicode_FromString(s)
    }
}

/// METH_NOARGS: True (the module loaded).
unsafe extern "C" fn ping(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_NewRef(Py_True())
}

// ---- code objects ----------------------------------------------------------------

/// code_new_empty(filename, funcname, line) -> code
unsafe extern "C" fn code_new_empty(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let f = PyUnicode_AsUTF8(arg(args, 0));
    let n = PyUnicode_AsUTF8(arg(args, 1));
    or_exc(PyCode_NewEmpty(f, n, PyLong_AsLong(arg(args, 2)) as c_int))
}

/// code_new(posonly, varnames, filename, name, qualname, line, bad) -> code or exception;
/// argcount 2, kwonly 1, flags CO_OPTIMIZED|CO_NEWLOCALS, empty bytecode.
/// `bad` passes a list as varnames.
unsafe extern "C" fn code_new(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let posonly = PyLong_AsLong(arg(args, 0)) as c_int;
    let mut varnames = arg(args, 1);
    let bad = PyObject_IsTrue(arg(args, 6)) == 1;
    let list = PySequence_List(varnames);
    if bad {
        varnames = list;
    }
    let nlocals = PyObject_Size(varnames) as c_int;
    let empty_b = PyBytes_FromStringAndSize(std::ptr::null(), 0);
    let empty_t = PyTuple_New(0);
    let c = if posonly < 0 {
        PyUnstable_Code_New(2, 1, nlocals, 1, 3, empty_b, empty_t, empty_t, varnames, empty_t, empty_t, arg(args, 2), arg(args, 3), arg(args, 4), PyLong_AsLong(arg(args, 5)) as c_int, empty_b, empty_b)
    } else {
        PyUnstable_Code_NewWithPosOnlyArgs(2, posonly, 1, nlocals, 1, 3, empty_b, empty_t, empty_t, varnames, empty_t, empty_t, arg(args, 2), arg(args, 3), arg(args, 4), PyLong_AsLong(arg(args, 5)) as c_int, empty_b, empty_b)
    };
    Py_DECREF(list);
    Py_DECREF(empty_b);
    Py_DECREF(empty_t);
    or_exc(c)
}

/// code_parts(code) -> (GetCode, GetVarnames, GetCellvars, GetFreevars, Addr2Line(-1), Addr2Location(-1), Optimize is code)
unsafe extern "C" fn code_parts(_m: *mut PyObject, co: *mut PyObject) -> *mut PyObject {
    let (mut sl, mut sc, mut el, mut ec) = (0, 0, 0, 0);
    let ok = PyCode_Addr2Location(co, -1, &mut sl, &mut sc, &mut el, &mut ec);
    let loc = Py_BuildValue(c"(iiiii)".as_ptr(), ok, sl, sc, el, ec);
    let empty = PyTuple_New(0);
    let opt = PyCode_Optimize(co, empty, empty, empty);
    let same = PyBool_FromLong((opt == co) as _);
    Py_XDECREF(opt);
    Py_DECREF(empty);
    let r = Py_BuildValue(
        c"(NNNNiNN)".as_ptr(),
        or_exc(PyCode_GetCode(co)),
        or_exc(PyCode_GetVarnames(co)),
        or_exc(PyCode_GetCellvars(co)),
        or_exc(PyCode_GetFreevars(co)),
        PyCode_Addr2Line(co, -1),
        loc,
        same,
    );
    r
}

/// code_getvarnames(obj) -> varnames or exception (non-code input)
unsafe extern "C" fn code_getvarnames(_m: *mut PyObject, co: *mut PyObject) -> *mut PyObject {
    or_exc(PyCode_GetVarnames(co))
}

/// addr2line(code, addr) -> line
unsafe extern "C" fn addr2line(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    int(PyCode_Addr2Line(arg(args, 0), PyLong_AsLong(arg(args, 1)) as c_int) as i64)
}

static mut WATCH_EVENTS: Vec<(c_int, usize)> = Vec::new();

unsafe extern "C" fn code_watcher(event: c_int, co: *mut PyObject) -> c_int {
    WATCH_EVENTS.push((event, co as usize));
    0
}

/// code_watch() -> (id, [events for the code PyCode_NewEmpty made], clear, clear again, clear 99)
unsafe extern "C" fn code_watch(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    WATCH_EVENTS.clear();
    let id = PyCode_AddWatcher(code_watcher);
    if id < 0 {
        return exc();
    }
    let co = PyCode_NewEmpty(c"w.py".as_ptr(), c"w".as_ptr(), 1);
    let mine: Vec<c_int> = WATCH_EVENTS.iter().filter(|e| e.1 == co as usize).map(|e| e.0).collect();
    let events = PyList_New(0);
    for e in mine {
        let v = int(e as i64);
        PyList_Append(events, v);
        Py_DECREF(v);
    }
    Py_DECREF(co);
    let c1 = PyCode_ClearWatcher(id);
    let c2 = PyCode_ClearWatcher(id);
    let e2 = exc();
    let c3 = PyCode_ClearWatcher(99);
    let e3 = exc();
    Py_BuildValue(c"(iNiiNiN)".as_ptr(), id, events, c1, c2, e2, c3, e3)
}

static mut FREED: Vec<usize> = Vec::new();

unsafe extern "C" fn extra_free(p: *mut c_void) {
    FREED.push(p as usize);
}

/// code_extra(code) -> (get before set, set, get, set again, freed, bad set, get at an unused index)
unsafe extern "C" fn code_extra(_m: *mut PyObject, co: *mut PyObject) -> *mut PyObject {
    FREED.clear();
    let idx = PyUnstable_Eval_RequestCodeExtraIndex(Some(extra_free));
    if idx < 0 {
        return exc();
    }
    let mut v: *mut c_void = 1 as *mut c_void;
    PyUnstable_Code_GetExtra(co, idx, &mut v);
    let before = v as usize;
    let s1 = PyUnstable_Code_SetExtra(co, idx, 0x1234 as *mut c_void);
    PyUnstable_Code_GetExtra(co, idx, &mut v);
    let got = v as usize;
    let s2 = PyUnstable_Code_SetExtra(co, idx, 0x5678 as *mut c_void);
    let freed = FREED.clone();
    let bad = PyUnstable_Code_SetExtra(co, 100_000, null_mut());
    let bad_e = exc();
    let mut w: *mut c_void = 1 as *mut c_void;
    let g2 = PyUnstable_Code_GetExtra(co, idx + 1, &mut w);
    Py_BuildValue(
        c"(nininiNiin)".as_ptr(),
        before as Py_ssize_t,
        s1,
        got as Py_ssize_t,
        s2,
        freed.first().copied().unwrap_or(0) as Py_ssize_t,
        bad,
        bad_e,
        g2,
        (w as usize == 0) as c_int,
        freed.len() as Py_ssize_t,
    )
}

/// stack_effect() -> (PyCompile_OpcodeStackEffect(1, 0), ...WithJump(1, 0, -1))
unsafe extern "C" fn stack_effect(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(ii)".as_ptr(), PyCompile_OpcodeStackEffect(-1, 0), PyCompile_OpcodeStackEffectWithJump(-1, 0, -1))
}

// ---- frames and tracebacks ---------------------------------------------------------------

/// raise_here(filename, funcname, firstlineno, f_lineno, globals): raises
/// ValueError("boom") with a traceback entry made the way Cython does.
unsafe extern "C" fn raise_here(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let co = PyCode_NewEmpty(PyUnicode_AsUTF8(arg(args, 0)), PyUnicode_AsUTF8(arg(args, 1)), PyLong_AsLong(arg(args, 2)) as c_int);
    if co.is_null() {
        return null_mut();
    }
    let f = PyFrame_New(PyThreadState_Get(), co, arg(args, 4), null_mut());
    Py_DECREF(co);
    if f.is_null() {
        return null_mut();
    }
    (*f.cast::<FrameHead>()).f_lineno = PyLong_AsLong(arg(args, 3)) as c_int;
    PyErr_SetString(PyExc_ValueError, c"boom".as_ptr());
    let r = PyTraceBack_Here(f);
    Py_DECREF(f);
    if r != 0 {
        return Py_BuildValue(c"(si)".as_ptr(), c"PyTraceBack_Here failed".as_ptr(), r);
    }
    null_mut()
}

/// frame_new(code, globals, locals or None) -> (frame, GetCode is code, GetGlobals is globals, GetBuiltins is dict, GetLineNumber, refcount deltas of GetCode)
unsafe extern "C" fn frame_new(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let co = arg(args, 0);
    let locals = if arg(args, 2) == Py_None() { null_mut() } else { arg(args, 2) };
    let f = PyFrame_New(PyThreadState_Get(), co, arg(args, 1), locals);
    if f.is_null() {
        return exc();
    }
    let before = Py_REFCNT(co);
    let c = PyFrame_GetCode(f);
    let delta = Py_REFCNT(co) - before;
    let g = PyFrame_GetGlobals(f);
    let b = PyFrame_GetBuiltins(f);
    let l = PyFrame_GetLocals(f);
    let r = Py_BuildValue(
        c"(NNNNNin)".as_ptr(),
        f,
        PyBool_FromLong((c == co) as _),
        PyBool_FromLong((g == arg(args, 1)) as _),
        PyBool_FromLong(PyDict_Check(b) as _),
        l,
        PyFrame_GetLineNumber(f),
        delta,
    );
    Py_DECREF(c);
    Py_DECREF(g);
    Py_DECREF(b);
    r
}

/// frame_new_bad(code, globals) -> the exception PyFrame_New raises
unsafe extern "C" fn frame_new_bad(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let f = PyFrame_New(PyThreadState_Get(), arg(args, 0), arg(args, 1), null_mut());
    if !f.is_null() {
        Py_DECREF(f);
        return Py_NewRef(Py_None());
    }
    exc()
}

/// current_frame() -> (PyEval_GetFrame(), GetCode, GetBack, GetLineNumber, GetLasti >= 0,
///   GetLocals, GetGlobals is f_globals, FastToLocalsWithError, refcount delta of PyEval_GetFrame,
///   InterpreterFrame code, InterpreterFrame line, InterpreterFrame lasti >= 0)
unsafe extern "C" fn current_frame(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let f = PyEval_GetFrame();
    if f.is_null() {
        return exc();
    }
    let before = Py_REFCNT(f);
    let f2 = PyEval_GetFrame();
    let delta = Py_REFCNT(f2) - before;
    PyFrame_FastToLocals(f);
    PyFrame_LocalsToFast(f, 0);
    let ftl = PyFrame_FastToLocalsWithError(f);
    let g = PyFrame_GetGlobals(f);
    let fg = PyObject_GetAttrString(f, c"f_globals".as_ptr());
    let same_g = g == fg;
    Py_DECREF(g);
    Py_DECREF(fg);
    let iframe = (*f.cast::<FrameHead>()).f_frame;
    Py_BuildValue(
        c"(ONNiNNNiiNiN)".as_ptr(),
        f,
        or_exc(PyFrame_GetCode(f)),
        or_exc(PyFrame_GetBack(f)),
        PyFrame_GetLineNumber(f),
        PyBool_FromLong((PyFrame_GetLasti(f) >= 0) as _),
        or_exc(PyFrame_GetLocals(f)),
        PyBool_FromLong(same_g as _),
        ftl,
        delta as c_int,
        or_exc(PyUnstable_InterpreterFrame_GetCode(iframe)),
        PyUnstable_InterpreterFrame_GetLine(iframe),
        PyBool_FromLong((PyUnstable_InterpreterFrame_GetLasti(iframe) >= 0) as _),
    )
}

/// frame_vars(names) -> [PyFrame_GetVar(current frame, name) or exception] + [GetVarString("a")]
unsafe extern "C" fn frame_vars(_m: *mut PyObject, names: *mut PyObject) -> *mut PyObject {
    let f = PyEval_GetFrame();
    let out = PyList_New(0);
    for i in 0..PyTuple_Size(names) {
        let v = or_exc(PyFrame_GetVar(f, PyTuple_GetItem(names, i)));
        PyList_Append(out, v);
        Py_DECREF(v);
    }
    let v = or_exc(PyFrame_GetVarString(f, c"a".as_ptr()));
    PyList_Append(out, v);
    Py_DECREF(v);
    out
}

/// frame_generator() -> PyFrame_GetGenerator(current frame) or None
unsafe extern "C" fn frame_generator(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let g = PyFrame_GetGenerator(PyEval_GetFrame());
    if g.is_null() {
        if !PyErr_Occurred().is_null() {
            return exc();
        }
        return Py_NewRef(Py_None());
    }
    g
}

/// frame_back_of(frame) -> PyFrame_GetBack or None (no exception)
unsafe extern "C" fn frame_back_of(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let b = PyFrame_GetBack(f);
    if b.is_null() {
        return Py_BuildValue(c"(OO)".as_ptr(), Py_None(), if PyErr_Occurred().is_null() { Py_False() } else { Py_True() });
    }
    Py_BuildValue(c"(NO)".as_ptr(), b, Py_False())
}

// ---- evaluation -------------------------------------------------------------------

/// eval_scope() -> (GetBuiltins, GetGlobals, GetLocals, GetFrameBuiltins, GetFrameGlobals, GetFrameLocals,
///   refcount delta of GetGlobals, of GetFrameGlobals)
unsafe extern "C" fn eval_scope(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let g = PyEval_GetGlobals();
    let r0 = Py_REFCNT(g);
    let g2 = PyEval_GetGlobals();
    let d1 = Py_REFCNT(g2) - r0;
    let fg = PyEval_GetFrameGlobals();
    let d2 = Py_REFCNT(g) - r0 - d1;
    Py_BuildValue(
        c"(OOONNNnn)".as_ptr(),
        PyEval_GetBuiltins(),
        g,
        PyEval_GetLocals(),
        or_exc(PyEval_GetFrameBuiltins()),
        fg,
        or_exc(PyEval_GetFrameLocals()),
        d1,
        d2,
    )
}

/// eval_code(code, globals, locals or None) -> result or exception
unsafe extern "C" fn eval_code(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let l = if arg(args, 2) == Py_None() { null_mut() } else { arg(args, 2) };
    or_exc(PyEval_EvalCode(arg(args, 0), arg(args, 1), l))
}

/// eval_code_ex(code, globals, args, kwargs dict, defaults, kwdefaults or None) -> result or exception
unsafe extern "C" fn eval_code_ex(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let a = arg(args, 2);
    let av: Vec<*mut PyObject> = (0..PyTuple_Size(a)).map(|i| PyTuple_GetItem(a, i)).collect();
    let mut kv: Vec<*mut PyObject> = Vec::new();
    let (mut pos, mut k, mut v) = (0, null_mut(), null_mut());
    while PyDict_Next(arg(args, 3), &mut pos, &mut k, &mut v) != 0 {
        kv.push(k);
        kv.push(v);
    }
    let d = arg(args, 4);
    let dv: Vec<*mut PyObject> = (0..PyTuple_Size(d)).map(|i| PyTuple_GetItem(d, i)).collect();
    let kwd = if arg(args, 5) == Py_None() { null_mut() } else { arg(args, 5) };
    or_exc(PyEval_EvalCodeEx(
        arg(args, 0),
        arg(args, 1),
        null_mut(),
        av.as_ptr(),
        av.len() as c_int,
        kv.as_ptr(),
        (kv.len() / 2) as c_int,
        dv.as_ptr(),
        dv.len() as c_int,
        kwd,
        null_mut(),
    ))
}

/// call_kw(callable, args or None, kwargs or None) -> result or exception
unsafe extern "C" fn call_kw(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let a = if arg(args, 1) == Py_None() { null_mut() } else { arg(args, 1) };
    let k = if arg(args, 2) == Py_None() { null_mut() } else { arg(args, 2) };
    or_exc(PyEval_CallObjectWithKeywords(arg(args, 0), a, k))
}

/// call_cfunction(callable, args, kwargs or None) -> PyCFunction_Call result or exception
unsafe extern "C" fn call_cfunction(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let k = if arg(args, 2) == Py_None() { null_mut() } else { arg(args, 2) };
    or_exc(PyCFunction_Call(arg(args, 0), arg(args, 1), k))
}

/// call_fmt(callable, obj) -> (PyEval_CallFunction(callable, "(is)", 7, "x"), PyEval_CallMethod(obj, "method", "(i)", 5))
unsafe extern "C" fn call_fmt(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let a = or_exc(PyEval_CallFunction(arg(args, 0), c"(is)".as_ptr(), 7 as c_int, c"x".as_ptr()));
    let b = or_exc(PyEval_CallMethod(arg(args, 1), c"method".as_ptr(), c"(i)".as_ptr(), 5 as c_int));
    Py_BuildValue(c"(NN)".as_ptr(), a, b)
}

/// func_name(obj) -> (PyEval_GetFuncName, PyEval_GetFuncDesc)
unsafe extern "C" fn func_name(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(NN)".as_ptr(), cstr_obj(PyEval_GetFuncName(f)), cstr_obj(PyEval_GetFuncDesc(f)))
}

/// merge_flags(initial) -> (result, cf_flags)
unsafe extern "C" fn merge_flags(_m: *mut PyObject, v: *mut PyObject) -> *mut PyObject {
    let mut cf = PyCompilerFlags { cf_flags: PyLong_AsLong(v) as c_int, cf_feature_version: 0 };
    let r = PyEval_MergeCompilerFlags(&mut cf);
    Py_BuildValue(c"(ii)".as_ptr(), r, cf.cf_flags)
}

unsafe fn recurse(depth: &mut i64) -> bool {
    if Py_EnterRecursiveCall(c" in probe".as_ptr()) != 0 {
        return false;
    }
    *depth += 1;
    let ok = if *depth < 1_000_000 { recurse(depth) } else { true };
    Py_LeaveRecursiveCall();
    ok
}

/// recursion() -> (depth reached, exception)
unsafe extern "C" fn recursion(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let mut depth = 0;
    recurse(&mut depth);
    let e = exc();
    // Balanced: a second run goes as deep.
    let mut again = 0;
    recurse(&mut again);
    let e2 = exc();
    Py_DECREF(e2);
    Py_BuildValue(c"(LNi)".as_ptr(), depth, e, (again == depth) as c_int)
}

/// recursion_limit(new) -> (old limit, limit after Py_SetRecursionLimit(new)); restores the old one.
unsafe extern "C" fn recursion_limit(_m: *mut PyObject, v: *mut PyObject) -> *mut PyObject {
    let old = Py_GetRecursionLimit();
    Py_SetRecursionLimit(PyLong_AsLong(v) as c_int);
    let new = Py_GetRecursionLimit();
    Py_SetRecursionLimit(old);
    Py_BuildValue(c"(ii)".as_ptr(), old, new)
}

// ---- functions and methods ----------------------------------------------------------------

static mut FUNC_EVENTS: Vec<(c_int, usize)> = Vec::new();

unsafe extern "C" fn func_watcher(event: c_int, f: *mut PyObject, _new: *mut PyObject) -> c_int {
    FUNC_EVENTS.push((event, f as usize));
    0
}

unsafe fn events_for(f: *mut PyObject) -> *mut PyObject {
    let out = PyList_New(0);
    for e in FUNC_EVENTS.iter().filter(|e| e.1 == f as usize) {
        let v = int(e.0 as i64);
        PyList_Append(out, v);
        Py_DECREF(v);
    }
    out
}

/// func_new(code, globals, qualname or None) -> (function, watcher events for it after create and SetDefaults((1,)), clear)
unsafe extern "C" fn func_new(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    FUNC_EVENTS.clear();
    let id = PyFunction_AddWatcher(func_watcher);
    let f = if arg(args, 2) == Py_None() { PyFunction_New(arg(args, 0), arg(args, 1)) } else { PyFunction_NewWithQualName(arg(args, 0), arg(args, 1), arg(args, 2)) };
    if f.is_null() {
        PyFunction_ClearWatcher(id);
        return exc();
    }
    let t = Py_BuildValue(c"(i)".as_ptr(), 1 as c_int);
    PyFunction_SetDefaults(f, t);
    Py_DECREF(t);
    let ev = events_for(f);
    let c = PyFunction_ClearWatcher(id);
    let c2 = PyFunction_ClearWatcher(id);
    let e2 = exc();
    let c3 = PyFunction_ClearWatcher(-1);
    let e3 = exc();
    Py_BuildValue(c"(NNiiNiN)".as_ptr(), f, ev, c, c2, e2, c3, e3)
}

/// func_get(f) -> (GetCode, GetGlobals, GetModule, GetDefaults, GetKwDefaults, GetClosure, GetAnnotations, refcount delta of GetCode)
unsafe extern "C" fn func_get(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let c = PyFunction_GetCode(f);
    if c.is_null() {
        return exc();
    }
    let r0 = Py_REFCNT(c);
    let c2 = PyFunction_GetCode(f);
    let delta = Py_REFCNT(c2) - r0;
    let ann = PyFunction_GetAnnotations(f);
    let ann = if ann.is_null() { if PyErr_Occurred().is_null() { Py_NewRef(Py_None()) } else { exc() } } else { Py_NewRef(ann) };
    Py_BuildValue(
        c"(NNNNNNNn)".as_ptr(),
        borrowed(c),
        borrowed(PyFunction_GetGlobals(f)),
        borrowed(PyFunction_GetModule(f)),
        borrowed(PyFunction_GetDefaults(f)),
        borrowed(PyFunction_GetKwDefaults(f)),
        borrowed(PyFunction_GetClosure(f)),
        ann,
        delta,
    )
}

/// func_set(f, which, value or Ellipsis for NULL) -> result code or exception
unsafe extern "C" fn func_set(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let f = arg(args, 0);
    let v = if arg(args, 2) == Py_Ellipsis() { null_mut() } else { arg(args, 2) };
    let r = match CStr::from_ptr(PyUnicode_AsUTF8(arg(args, 1))).to_bytes() {
        b"defaults" => PyFunction_SetDefaults(f, v),
        b"kwdefaults" => PyFunction_SetKwDefaults(f, v),
        b"closure" => PyFunction_SetClosure(f, v),
        _ => PyFunction_SetAnnotations(f, v),
    };
    if r < 0 {
        return exc();
    }
    int(r as i64)
}

/// wrap_methods(f) -> (classmethod(f), staticmethod(f), instancemethod(f), PyInstanceMethod_Function is f, Py_TYPE is PyInstanceMethod_Type)
unsafe extern "C" fn wrap_methods(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let im = PyInstanceMethod_New(f);
    if im.is_null() {
        return exc();
    }
    Py_BuildValue(
        c"(NNNNN)".as_ptr(),
        or_exc(PyClassMethod_New(f)),
        or_exc(PyStaticMethod_New(f)),
        im,
        PyBool_FromLong((PyInstanceMethod_Function(im) == f) as _),
        PyBool_FromLong((Py_TYPE(im) == &raw mut PyInstanceMethod_Type) as _),
    )
}

/// method_new(f, self or None) -> (method, PyMethod_Function, PyMethod_Self) or exception
unsafe extern "C" fn method_new(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let s = if arg(args, 1) == Py_None() { null_mut() } else { arg(args, 1) };
    let m = PyMethod_New(arg(args, 0), s);
    if m.is_null() {
        return exc();
    }
    Py_BuildValue(c"(NNN)".as_ptr(), m, borrowed(PyMethod_Function(m)), borrowed(PyMethod_Self(m)))
}

/// method_parts(obj) -> (PyMethod_Function, PyInstanceMethod_Function) or exceptions
unsafe extern "C" fn method_parts(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(NN)".as_ptr(), borrowed(PyMethod_Function(o)), borrowed(PyInstanceMethod_Function(o)))
}

/// cfunction_parts(f) -> (GetFunction == ping, GetFlags, GetSelf) or exceptions
unsafe extern "C" fn cfunction_parts(_m: *mut PyObject, f: *mut PyObject) -> *mut PyObject {
    let func = PyCFunction_GetFunction(f);
    let fe = if func.is_null() { exc() } else { PyBool_FromLong((func == ping as *mut c_void) as _) };
    let flags = PyCFunction_GetFlags(f);
    let fl = if flags < 0 { exc() } else { int(flags as i64) };
    let s = PyCFunction_GetSelf(f);
    let se = if s.is_null() { if PyErr_Occurred().is_null() { Py_NewRef(Py_None()) } else { exc() } } else { Py_NewRef(s) };
    Py_BuildValue(c"(NNN)".as_ptr(), fe, fl, se)
}

// ---- cells, generators ----------------------------------------------------------------

/// cells(v) -> (Get of New(v), after Set(7), after Set(NULL) (None for NULL), PyCell_New(NULL) get, cell)
unsafe extern "C" fn cells(_m: *mut PyObject, v: *mut PyObject) -> *mut PyObject {
    let c = PyCell_New(v);
    let a = or_exc(PyCell_Get(c));
    let seven = int(7);
    PyCell_Set(c, seven);
    Py_DECREF(seven);
    let b = or_exc(PyCell_Get(c));
    let cell = Py_NewRef(c);
    PyCell_Set(c, null_mut());
    let g = PyCell_Get(c);
    let d = if g.is_null() { if PyErr_Occurred().is_null() { Py_NewRef(Py_None()) } else { exc() } } else { g };
    let e = PyCell_New(null_mut());
    let g2 = PyCell_Get(e);
    let f = if g2.is_null() { if PyErr_Occurred().is_null() { Py_NewRef(Py_None()) } else { exc() } } else { g2 };
    Py_DECREF(e);
    Py_DECREF(c);
    Py_BuildValue(c"(NNNNN)".as_ptr(), a, b, d, f, cell)
}

/// cell_bad(obj) -> (exception of PyCell_Get, of PyCell_Set)
unsafe extern "C" fn cell_bad(_m: *mut PyObject, o: *mut PyObject) -> *mut PyObject {
    let a = or_exc(PyCell_Get(o));
    let r = PyCell_Set(o, Py_None());
    let b = if r < 0 { exc() } else { int(r as i64) };
    Py_BuildValue(c"(NN)".as_ptr(), a, b)
}

/// gen_code(g) -> PyGen_GetCode(g)
unsafe extern "C" fn gen_code(_m: *mut PyObject, g: *mut PyObject) -> *mut PyObject {
    or_exc(PyGen_GetCode(g))
}

// ---- descriptors and members ---------------------------------------------------------------

unsafe extern "C" fn d_meth(slf: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    Py_BuildValue(c"(OO)".as_ptr(), slf, a)
}

static mut GS_VALUE: i64 = 42;

unsafe extern "C" fn gs_get(_slf: *mut PyObject, _c: *mut c_void) -> *mut PyObject {
    int(GS_VALUE)
}

unsafe extern "C" fn gs_set(_slf: *mut PyObject, v: *mut PyObject, _c: *mut c_void) -> c_int {
    if v.is_null() {
        PyErr_SetString(PyExc_TypeError, c"cannot delete".as_ptr());
        return -1;
    }
    GS_VALUE = PyLong_AsLong(v) as i64;
    0
}

unsafe extern "C" fn wrap_call(slf: *mut PyObject, a: *mut PyObject, wrapped: *mut c_void) -> *mut PyObject {
    Py_BuildValue(c"(OOi)".as_ptr(), slf, a, (wrapped as usize == 0xabc) as c_int)
}

static mut D_METH: PyMethodDef = PyMethodDef::zeroed();
static mut D_CMETH: PyMethodDef = PyMethodDef::zeroed();
static mut D_GETSET: PyGetSetDef = PyGetSetDef { name: std::ptr::null(), get: None, set: None, doc: std::ptr::null(), closure: null_mut() };
static mut D_MEMBER: PyMemberDef = PyMemberDef { name: std::ptr::null(), type_code: 0, offset: 0, flags: 0, doc: std::ptr::null() };
static mut D_WRAPPER: wrapperbase = wrapperbase { name: std::ptr::null(), offset: 0, function: null_mut(), wrapper: null_mut(), doc: std::ptr::null(), flags: 0, name_strobj: null_mut() };

/// A native type with one C int field (for member descriptors).
#[repr(C)]
struct Native {
    ob_base: PyObject,
    x: c_int,
}

static mut NATIVE_SLOTS: [PyType_Slot; 1] = [PyType_Slot { slot: 0, pfunc: null_mut() }];
static mut NATIVE_SPEC: PyType_Spec = PyType_Spec { name: c"capi_code.Native".as_ptr(), basicsize: 0, itemsize: 0, flags: 0, slots: null_mut() };

/// descriptors(cls) -> (method descr, classmethod descr, getset descr, wrapper descr, IsData of each + property,
///   native type with member descr "x")
unsafe extern "C" fn descriptors(_m: *mut PyObject, cls: *mut PyObject) -> *mut PyObject {
    D_METH = meth!(c"meth", d_meth, PyCFunction, METH_O);
    D_CMETH = meth!(c"cmeth", d_meth, PyCFunction, METH_O | METH_CLASS);
    D_GETSET = PyGetSetDef { name: c"gs".as_ptr(), get: Some(gs_get), set: Some(gs_set), doc: std::ptr::null(), closure: null_mut() };
    D_WRAPPER = wrapperbase { name: c"__wrapped_call__".as_ptr(), offset: 0, function: null_mut(), wrapper: wrap_call as *mut c_void, doc: std::ptr::null(), flags: 0, name_strobj: null_mut() };
    let t = cls.cast::<PyTypeObject>();
    let dm = PyDescr_NewMethod(t, &raw mut D_METH);
    let dc = PyDescr_NewClassMethod(t, &raw mut D_CMETH);
    let dg = PyDescr_NewGetSet(t, &raw mut D_GETSET);
    let dw = PyDescr_NewWrapper(t, &raw mut D_WRAPPER, 0xabc as *mut c_void);
    if dm.is_null() || dc.is_null() || dg.is_null() || dw.is_null() {
        return exc();
    }
    let prop = PyObject_CallNoArgs((&raw mut PyProperty_Type).cast());
    let isdata = Py_BuildValue(c"(iiiii)".as_ptr(), PyDescr_IsData(dm), PyDescr_IsData(dc), PyDescr_IsData(dg), PyDescr_IsData(dw), PyDescr_IsData(prop));
    Py_DECREF(prop);
    NATIVE_SPEC.basicsize = size_of::<Native>() as c_int;
    NATIVE_SPEC.flags = Py_TPFLAGS_DEFAULT as _;
    NATIVE_SPEC.slots = NATIVE_SLOTS.as_mut_ptr();
    let nt = PyType_FromSpec(&raw mut NATIVE_SPEC);
    if nt.is_null() {
        return exc();
    }
    D_MEMBER = PyMemberDef { name: c"x".as_ptr(), type_code: Py_T_INT, offset: std::mem::offset_of!(Native, x) as Py_ssize_t, flags: 0, doc: std::ptr::null() };
    let dmem = PyDescr_NewMember(nt.cast(), &raw mut D_MEMBER);
    if dmem.is_null() {
        return exc();
    }
    PyObject_SetAttrString(nt, c"x".as_ptr(), dmem);
    Py_BuildValue(c"(NNNNNNN)".as_ptr(), dm, dc, dg, dw, isdata, nt, dmem)
}

/// wrapper_new(descr, obj) -> PyWrapper_New(descr, obj)
unsafe extern "C" fn wrapper_new(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    or_exc(PyWrapper_New(arg(args, 0), arg(args, 1)))
}

/// A raw C struct that PyMember_GetOne/SetOne read and write.
#[repr(C)]
struct Raw {
    ob_base: PyObject,
    i: c_int,
    d: f64,
    o: *mut PyObject,
    c: c_char,
    b: c_char,
    s: *const c_char,
    ll: i64,
    ro: c_int,
}

static mut RAW: Raw = Raw { ob_base: unsafe { std::mem::zeroed() }, i: 0, d: 0.0, o: null_mut(), c: b'x' as c_char, b: 0, s: c"text".as_ptr(), ll: 0, ro: 5 };


unsafe fn member_def(name: &[u8]) -> PyMemberDef {
    let (n, t, off, fl): (&CStr, c_int, usize, c_int) = match name {
        b"i" => (c"i", Py_T_INT, std::mem::offset_of!(Raw, i), 0),
        b"d" => (c"d", Py_T_DOUBLE, std::mem::offset_of!(Raw, d), 0),
        b"o" => (c"o", Py_T_OBJECT_EX, std::mem::offset_of!(Raw, o), 0),
        b"c" => (c"c", Py_T_CHAR, std::mem::offset_of!(Raw, c), 0),
        b"b" => (c"b", Py_T_BOOL, std::mem::offset_of!(Raw, b), 0),
        b"s" => (c"s", Py_T_STRING, std::mem::offset_of!(Raw, s), 0),
        b"ll" => (c"ll", Py_T_LONGLONG, std::mem::offset_of!(Raw, ll), 0),
        b"none" => (c"none", 20, 0, 0),
        _ => (c"ro", Py_T_INT, std::mem::offset_of!(Raw, ro), Py_READONLY),
    };
    PyMemberDef { name: n.as_ptr(), type_code: t, offset: off as Py_ssize_t, flags: fl, doc: std::ptr::null() }
}

/// member_get(name) -> PyMember_GetOne of the raw struct's field, or exception
unsafe extern "C" fn member_get(_m: *mut PyObject, name: *mut PyObject) -> *mut PyObject {
    RAW.ob_base.ob_type = &raw mut PyLong_Type;
    let mut def = member_def(CStr::from_ptr(PyUnicode_AsUTF8(name)).to_bytes());
    or_exc(PyMember_GetOne((&raw const RAW).cast(), &mut def))
}

/// member_set(name, value or NULL for the Ellipsis) -> 0 or exception
unsafe extern "C" fn member_set(_m: *mut PyObject, args: *mut *mut PyObject, _n: Py_ssize_t) -> *mut PyObject {
    let mut def = member_def(CStr::from_ptr(PyUnicode_AsUTF8(arg(args, 0))).to_bytes());
    let v = if arg(args, 1) == Py_Ellipsis() { null_mut() } else { arg(args, 1) };
    let r = PyMember_SetOne((&raw mut RAW).cast(), &mut def, v);
    if r < 0 {
        return exc();
    }
    int(r as i64)
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"ping", ping, PyCFunction, METH_NOARGS),
        meth!(c"code_new_empty", code_new_empty, PyCFunctionFast, METH_FASTCALL),
        meth!(c"code_new", code_new, PyCFunctionFast, METH_FASTCALL),
        meth!(c"code_parts", code_parts, PyCFunction, METH_O),
        meth!(c"code_getvarnames", code_getvarnames, PyCFunction, METH_O),
        meth!(c"addr2line", addr2line, PyCFunctionFast, METH_FASTCALL),
        meth!(c"code_watch", code_watch, PyCFunction, METH_NOARGS),
        meth!(c"code_extra", code_extra, PyCFunction, METH_O),
        meth!(c"stack_effect", stack_effect, PyCFunction, METH_NOARGS),
        meth!(c"raise_here", raise_here, PyCFunctionFast, METH_FASTCALL),
        meth!(c"frame_new", frame_new, PyCFunctionFast, METH_FASTCALL),
        meth!(c"frame_new_bad", frame_new_bad, PyCFunctionFast, METH_FASTCALL),
        meth!(c"current_frame", current_frame, PyCFunction, METH_NOARGS),
        meth!(c"frame_vars", frame_vars, PyCFunction, METH_O),
        meth!(c"frame_generator", frame_generator, PyCFunction, METH_NOARGS),
        meth!(c"frame_back_of", frame_back_of, PyCFunction, METH_O),
        meth!(c"eval_scope", eval_scope, PyCFunction, METH_NOARGS),
        meth!(c"eval_code", eval_code, PyCFunctionFast, METH_FASTCALL),
        meth!(c"eval_code_ex", eval_code_ex, PyCFunctionFast, METH_FASTCALL),
        meth!(c"call_kw", call_kw, PyCFunctionFast, METH_FASTCALL),
        meth!(c"call_cfunction", call_cfunction, PyCFunctionFast, METH_FASTCALL),
        meth!(c"call_fmt", call_fmt, PyCFunctionFast, METH_FASTCALL),
        meth!(c"func_name", func_name, PyCFunction, METH_O),
        meth!(c"merge_flags", merge_flags, PyCFunction, METH_O),
        meth!(c"recursion", recursion, PyCFunction, METH_NOARGS),
        meth!(c"recursion_limit", recursion_limit, PyCFunction, METH_O),
        meth!(c"func_new", func_new, PyCFunctionFast, METH_FASTCALL),
        meth!(c"func_get", func_get, PyCFunction, METH_O),
        meth!(c"func_set", func_set, PyCFunctionFast, METH_FASTCALL),
        meth!(c"wrap_methods", wrap_methods, PyCFunction, METH_O),
        meth!(c"method_new", method_new, PyCFunctionFast, METH_FASTCALL),
        meth!(c"method_parts", method_parts, PyCFunction, METH_O),
        meth!(c"cfunction_parts", cfunction_parts, PyCFunction, METH_O),
        meth!(c"cells", cells, PyCFunction, METH_O),
        meth!(c"cell_bad", cell_bad, PyCFunction, METH_O),
        meth!(c"gen_code", gen_code, PyCFunction, METH_O),
        meth!(c"descriptors", descriptors, PyCFunction, METH_O),
        meth!(c"wrapper_new", wrapper_new, PyCFunctionFast, METH_FASTCALL),
        meth!(c"member_get", member_get, PyCFunction, METH_O),
        meth!(c"member_set", member_set, PyCFunctionFast, METH_FASTCALL),
    ]
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_code".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_code() -> *mut PyObject {
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
