//! Probes for the C-API family group 'run': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_run.py can compare pyfacade with CPython 3.13.
//! Functions CPython declares but pyo3-ffi 0.30 does not (or declares
//! differently) are declared in module `c` with CPython's exact signatures.
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc)]

use pyo3_ffi::*;
use std::ffi::{c_char, c_int, c_long, c_void, CStr};
use std::ptr::null_mut;

type FILE = c_void;
type WChar = i32;

#[repr(C)]
pub struct PyCompilerFlags {
    cf_flags: c_int,
    cf_feature_version: c_int,
}

#[repr(C)]
pub struct Frozen {
    name: *const c_char,
    code: *const u8,
    size: c_int,
    is_package: c_int,
}

mod c {
    use super::*;
    extern "C" {
        pub fn fopen(path: *const c_char, mode: *const c_char) -> *mut FILE;
        pub fn fclose(fp: *mut FILE) -> c_int;
        pub fn fileno(fp: *mut FILE) -> c_int;
        pub fn ftell(fp: *mut FILE) -> c_long;
        pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;

        pub fn PyRun_String(s: *const c_char, start: c_int, g: *mut PyObject, l: *mut PyObject) -> *mut PyObject;
        pub fn PyRun_StringFlags(s: *const c_char, start: c_int, g: *mut PyObject, l: *mut PyObject, f: *mut PyCompilerFlags) -> *mut PyObject;
        pub fn PyRun_SimpleString(s: *const c_char) -> c_int;
        pub fn PyRun_SimpleStringFlags(s: *const c_char, f: *mut PyCompilerFlags) -> c_int;
        pub fn PyRun_File(fp: *mut FILE, n: *const c_char, start: c_int, g: *mut PyObject, l: *mut PyObject) -> *mut PyObject;
        pub fn PyRun_FileEx(fp: *mut FILE, n: *const c_char, start: c_int, g: *mut PyObject, l: *mut PyObject, closeit: c_int) -> *mut PyObject;
        pub fn PyRun_FileFlags(fp: *mut FILE, n: *const c_char, start: c_int, g: *mut PyObject, l: *mut PyObject, f: *mut PyCompilerFlags) -> *mut PyObject;
        pub fn PyRun_FileExFlags(fp: *mut FILE, n: *const c_char, start: c_int, g: *mut PyObject, l: *mut PyObject, closeit: c_int, f: *mut PyCompilerFlags) -> *mut PyObject;
        pub fn PyRun_SimpleFile(fp: *mut FILE, n: *const c_char) -> c_int;
        pub fn PyRun_SimpleFileEx(fp: *mut FILE, n: *const c_char, closeit: c_int) -> c_int;
        pub fn PyRun_SimpleFileExFlags(fp: *mut FILE, n: *const c_char, closeit: c_int, f: *mut PyCompilerFlags) -> c_int;
        pub fn PyRun_AnyFile(fp: *mut FILE, n: *const c_char) -> c_int;
        pub fn PyRun_AnyFileEx(fp: *mut FILE, n: *const c_char, closeit: c_int) -> c_int;
        pub fn PyRun_AnyFileFlags(fp: *mut FILE, n: *const c_char, f: *mut PyCompilerFlags) -> c_int;
        pub fn PyRun_AnyFileExFlags(fp: *mut FILE, n: *const c_char, closeit: c_int, f: *mut PyCompilerFlags) -> c_int;
        pub fn PyRun_InteractiveOne(fp: *mut FILE, n: *const c_char) -> c_int;
        pub fn PyRun_InteractiveOneFlags(fp: *mut FILE, n: *const c_char, f: *mut PyCompilerFlags) -> c_int;
        pub fn PyRun_InteractiveOneObject(fp: *mut FILE, n: *mut PyObject, f: *mut PyCompilerFlags) -> c_int;
        pub fn PyRun_InteractiveLoop(fp: *mut FILE, n: *const c_char) -> c_int;
        pub fn PyRun_InteractiveLoopFlags(fp: *mut FILE, n: *const c_char, f: *mut PyCompilerFlags) -> c_int;
        pub fn Py_CompileString(s: *const c_char, n: *const c_char, start: c_int) -> *mut PyObject;
        pub fn Py_CompileStringFlags(s: *const c_char, n: *const c_char, start: c_int, f: *mut PyCompilerFlags) -> *mut PyObject;
        pub fn Py_CompileStringExFlags(s: *const c_char, n: *const c_char, start: c_int, f: *mut PyCompilerFlags, opt: c_int) -> *mut PyObject;
        pub fn Py_CompileStringObject(s: *const c_char, n: *mut PyObject, start: c_int, f: *mut PyCompilerFlags, opt: c_int) -> *mut PyObject;
        pub fn PyErr_Display(t: *mut PyObject, v: *mut PyObject, tb: *mut PyObject);
        pub fn PyErr_DisplayException(e: *mut PyObject);

        pub fn PySys_GetObject(name: *const c_char) -> *mut PyObject;
        pub fn PySys_SetObject(name: *const c_char, v: *mut PyObject) -> c_int;
        pub fn PySys_WriteStdout(format: *const c_char, ...);
        pub fn PySys_WriteStderr(format: *const c_char, ...);
        pub fn PySys_FormatStdout(format: *const c_char, ...);
        pub fn PySys_FormatStderr(format: *const c_char, ...);
        pub fn PySys_Audit(event: *const c_char, format: *const c_char, ...) -> c_int;
        pub fn PySys_AuditTuple(event: *const c_char, args: *mut PyObject) -> c_int;
        pub fn PySys_AddAuditHook(hook: Option<unsafe extern "C" fn(*const c_char, *mut PyObject, *mut c_void) -> c_int>, data: *mut c_void) -> c_int;
        pub fn PySys_AddWarnOption(s: *const WChar);
        pub fn PySys_AddWarnOptionUnicode(o: *mut PyObject);
        pub fn PySys_HasWarnOptions() -> c_int;
        pub fn PySys_ResetWarnOptions();
        pub fn PySys_AddXOption(s: *const WChar);
        pub fn PySys_GetXOptions() -> *mut PyObject;
        pub fn PySys_SetPath(s: *const WChar);
        pub fn PySys_SetArgv(argc: c_int, argv: *mut *mut WChar);
        pub fn PySys_SetArgvEx(argc: c_int, argv: *mut *mut WChar, updatepath: c_int);

        pub fn PyMarshal_WriteObjectToString(o: *mut PyObject, version: c_int) -> *mut PyObject;
        pub fn PyMarshal_ReadObjectFromString(data: *const c_char, len: Py_ssize_t) -> *mut PyObject;
        pub fn PyMarshal_WriteLongToFile(x: c_long, fp: *mut FILE, version: c_int);
        pub fn PyMarshal_WriteObjectToFile(o: *mut PyObject, fp: *mut FILE, version: c_int);
        pub fn PyMarshal_ReadLongFromFile(fp: *mut FILE) -> c_long;
        pub fn PyMarshal_ReadShortFromFile(fp: *mut FILE) -> c_int;
        pub fn PyMarshal_ReadObjectFromFile(fp: *mut FILE) -> *mut PyObject;
        pub fn PyMarshal_ReadLastObjectFromFile(fp: *mut FILE) -> *mut PyObject;

        pub fn PyImport_GetModule(name: *mut PyObject) -> *mut PyObject;
        pub fn PyImport_AddModule(name: *const c_char) -> *mut PyObject;
        pub fn PyImport_AddModuleObject(name: *mut PyObject) -> *mut PyObject;
        pub fn PyImport_AddModuleRef(name: *const c_char) -> *mut PyObject;
        pub fn PyImport_ImportModuleLevel(name: *const c_char, g: *mut PyObject, l: *mut PyObject, f: *mut PyObject, level: c_int) -> *mut PyObject;
        pub fn PyImport_ImportModuleLevelObject(name: *mut PyObject, g: *mut PyObject, l: *mut PyObject, f: *mut PyObject, level: c_int) -> *mut PyObject;
        pub fn PyImport_ImportModuleNoBlock(name: *const c_char) -> *mut PyObject;
        pub fn PyImport_ExecCodeModule(name: *const c_char, co: *mut PyObject) -> *mut PyObject;
        pub fn PyImport_ExecCodeModuleEx(name: *const c_char, co: *mut PyObject, path: *const c_char) -> *mut PyObject;
        pub fn PyImport_ExecCodeModuleWithPathnames(name: *const c_char, co: *mut PyObject, path: *const c_char, cpath: *const c_char) -> *mut PyObject;
        pub fn PyImport_ExecCodeModuleObject(name: *mut PyObject, co: *mut PyObject, path: *mut PyObject, cpath: *mut PyObject) -> *mut PyObject;
        pub fn PyImport_ReloadModule(m: *mut PyObject) -> *mut PyObject;
        pub fn PyImport_GetImporter(path: *mut PyObject) -> *mut PyObject;
        pub fn PyImport_GetMagicNumber() -> c_long;
        pub fn PyImport_GetMagicTag() -> *const c_char;
        pub fn PyImport_ImportFrozenModule(name: *const c_char) -> c_int;
        pub fn PyImport_ImportFrozenModuleObject(name: *mut PyObject) -> c_int;
        pub static mut PyImport_FrozenModules: *const Frozen;
    }
    extern "C" {
        pub fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
    }
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

unsafe fn long(v: i64) -> *mut PyObject {
    PyLong_FromLongLong(v)
}

/// `None` for a NULL pointer argument convention: Python None → C NULL.
unsafe fn opt(o: *mut PyObject) -> *mut PyObject {
    if o == Py_None() { null_mut() } else { o }
}

/// A new tuple (stealing each item; NULL items become None).
unsafe fn tuple(items: &[*mut PyObject]) -> *mut PyObject {
    let t = PyTuple_New(items.len() as Py_ssize_t);
    for (i, &x) in items.iter().enumerate() {
        PyTuple_SetItem(t, i as Py_ssize_t, if x.is_null() { Py_NewRef(Py_None()) } else { x });
    }
    t
}

/// Tuple (result or None, exception or None), clearing the exception.
unsafe fn outcome(r: *mut PyObject) -> *mut PyObject {
    let e = if PyErr_Occurred().is_null() { null_mut() } else { PyErr_GetRaisedException() };
    tuple(&[r, e])
}

/// Same for an int result.
unsafe fn ioutcome(r: c_long) -> *mut PyObject {
    outcome(long(r as i64))
}

unsafe fn flags_of(cf: c_int, fv: c_int) -> PyCompilerFlags {
    PyCompilerFlags { cf_flags: cf, cf_feature_version: fv }
}

unsafe fn wide(o: *mut PyObject) -> Vec<WChar> {
    let mut n = 0;
    let p = PyUnicode_AsUTF8AndSize(o, &mut n);
    let s = std::str::from_utf8(std::slice::from_raw_parts(p.cast::<u8>(), n as usize)).unwrap();
    let mut v: Vec<WChar> = s.chars().map(|c| c as WChar).collect();
    v.push(0);
    v
}

/// run_string(which, src, start, globals, locals, cf_flags) -> (result, exc)
/// which: 0 PyRun_String, 1 PyRun_StringFlags.
unsafe extern "C" fn run_string(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut src, mut start, mut g, mut l, mut cf) = (0, std::ptr::null::<c_char>(), 0, null_mut(), null_mut(), 0);
    if PyArg_ParseTuple(a, c"isiOOi".as_ptr(), &mut which, &mut src, &mut start, &mut g, &mut l, &mut cf) == 0 {
        return null_mut();
    }
    let mut f = flags_of(cf, 13);
    let r = match which {
        0 => c::PyRun_String(src, start, opt(g), opt(l)),
        _ => c::PyRun_StringFlags(src, start, opt(g), opt(l), &mut f),
    };
    outcome(r)
}

/// run_simple(which, src, cf_flags) -> int
unsafe extern "C" fn run_simple(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut src, mut cf) = (0, std::ptr::null::<c_char>(), 0);
    if PyArg_ParseTuple(a, c"isi".as_ptr(), &mut which, &mut src, &mut cf) == 0 {
        return null_mut();
    }
    let mut f = flags_of(cf, 13);
    let r = match which {
        0 => c::PyRun_SimpleString(src),
        _ => c::PyRun_SimpleStringFlags(src, &mut f),
    };
    ioutcome(r as c_long)
}

/// Whether `fd` is still open.
unsafe fn fd_open(fd: c_int) -> bool {
    c::fcntl(fd, 1 /* F_GETFD */) != -1
}

/// run_file(which, path, filename or None, start, globals, locals, closeit)
///   -> (result, exc, closed)
/// which: 0 File, 1 FileEx, 2 FileFlags, 3 FileExFlags.
unsafe extern "C" fn run_file(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut path, mut name, mut start, mut g, mut l, mut closeit) = (0, std::ptr::null::<c_char>(), std::ptr::null::<c_char>(), 0, null_mut(), null_mut(), 0);
    if PyArg_ParseTuple(a, c"isziOOi".as_ptr(), &mut which, &mut path, &mut name, &mut start, &mut g, &mut l, &mut closeit) == 0 {
        return null_mut();
    }
    let fp = c::fopen(path, c"rb".as_ptr());
    let fd = c::fileno(fp);
    let mut f = flags_of(0, 13);
    let r = match which {
        0 => c::PyRun_File(fp, name, start, opt(g), opt(l)),
        1 => c::PyRun_FileEx(fp, name, start, opt(g), opt(l), closeit),
        2 => c::PyRun_FileFlags(fp, name, start, opt(g), opt(l), &mut f),
        _ => c::PyRun_FileExFlags(fp, name, start, opt(g), opt(l), closeit, &mut f),
    };
    let closed = !fd_open(fd);
    if !closed {
        c::fclose(fp);
    }
    let o = outcome(r);
    let res = tuple(&[Py_NewRef(PyTuple_GetItem(o, 0)), Py_NewRef(PyTuple_GetItem(o, 1)), PyBool_FromLong(closed as c_long)]);
    Py_DecRef(o);
    res
}

/// simple_file(which, path, filename or None, closeit) -> (rc, closed)
/// which: 0 SimpleFile, 1 SimpleFileEx, 2 SimpleFileExFlags, 3 AnyFile,
/// 4 AnyFileEx, 5 AnyFileFlags, 6 AnyFileExFlags.
unsafe extern "C" fn simple_file(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut path, mut name, mut closeit) = (0, std::ptr::null::<c_char>(), std::ptr::null::<c_char>(), 0);
    if PyArg_ParseTuple(a, c"iszi".as_ptr(), &mut which, &mut path, &mut name, &mut closeit) == 0 {
        return null_mut();
    }
    let fp = c::fopen(path, c"rb".as_ptr());
    let fd = c::fileno(fp);
    let mut f = flags_of(0, 13);
    let r = match which {
        0 => c::PyRun_SimpleFile(fp, name),
        1 => c::PyRun_SimpleFileEx(fp, name, closeit),
        2 => c::PyRun_SimpleFileExFlags(fp, name, closeit, &mut f),
        3 => c::PyRun_AnyFile(fp, name),
        4 => c::PyRun_AnyFileEx(fp, name, closeit),
        5 => c::PyRun_AnyFileFlags(fp, name, &mut f),
        _ => c::PyRun_AnyFileExFlags(fp, name, closeit, &mut f),
    };
    let closed = !fd_open(fd);
    if !closed {
        c::fclose(fp);
    }
    tuple(&[long(r as i64), PyBool_FromLong(closed as c_long), PyBool_FromLong(!PyErr_Occurred().is_null() as c_long)])
}

/// interactive(which, path, filename) -> list of return codes until E_EOF
/// (which 0 One, 1 OneFlags, 2 OneObject), or for 3 Loop / 4 LoopFlags the
/// loop's return code.
unsafe extern "C" fn interactive(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut path, mut name) = (0, std::ptr::null::<c_char>(), std::ptr::null::<c_char>());
    if PyArg_ParseTuple(a, c"iss".as_ptr(), &mut which, &mut path, &mut name) == 0 {
        return null_mut();
    }
    let fp = c::fopen(path, c"rb".as_ptr());
    let mut f = flags_of(0, 13);
    let out = PyList_New(0);
    if which >= 3 {
        let r = if which == 3 { c::PyRun_InteractiveLoop(fp, name) } else { c::PyRun_InteractiveLoopFlags(fp, name, &mut f) };
        c::fclose(fp);
        Py_DecRef(out);
        return long(r as i64);
    }
    let nameobj = PyUnicode_FromString(name);
    for _ in 0..50 {
        let r = match which {
            0 => c::PyRun_InteractiveOne(fp, name),
            1 => c::PyRun_InteractiveOneFlags(fp, name, &mut f),
            _ => c::PyRun_InteractiveOneObject(fp, nameobj, &mut f),
        };
        let v = long(r as i64);
        PyList_Append(out, v);
        Py_DecRef(v);
        if r == 11 {
            break;
        }
    }
    Py_DecRef(nameobj);
    c::fclose(fp);
    out
}

/// compile(which, src, filename, start, cf_flags, feature_version, optimize) -> (result, exc)
/// which: 0 Py_CompileString, 1 Flags, 2 ExFlags, 3 Object (filename object).
unsafe extern "C" fn compile(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut src, mut name, mut start, mut cf, mut fv, mut optz) = (0, std::ptr::null::<c_char>(), null_mut(), 0, 0, 0, 0);
    if PyArg_ParseTuple(a, c"isOiiii".as_ptr(), &mut which, &mut src, &mut name, &mut start, &mut cf, &mut fv, &mut optz) == 0 {
        return null_mut();
    }
    let mut f = flags_of(cf, fv);
    let cname = if PyUnicode_Check(name) != 0 { PyUnicode_AsUTF8(name) } else { c"<bad>".as_ptr() };
    let r = match which {
        0 => c::Py_CompileString(src, cname, start),
        1 => c::Py_CompileStringFlags(src, cname, start, &mut f),
        2 => c::Py_CompileStringExFlags(src, cname, start, &mut f, optz),
        _ => c::Py_CompileStringObject(src, name, start, &mut f, optz),
    };
    outcome(r)
}

/// display(which, value, tb): 0 PyErr_Display(NULL, value, tb or NULL), 1
/// PyErr_DisplayException(value) -> whether an exception was left set.
unsafe extern "C" fn display(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut v, mut tb) = (0, null_mut(), null_mut());
    if PyArg_ParseTuple(a, c"iOO".as_ptr(), &mut which, &mut v, &mut tb) == 0 {
        return null_mut();
    }
    if which == 0 {
        c::PyErr_Display(null_mut(), v, opt(tb));
    } else {
        c::PyErr_DisplayException(v);
    }
    // Whether an exception was left set.
    let set = !PyErr_Occurred().is_null();
    PyErr_Clear();
    PyBool_FromLong(set as c_long)
}

/// sys_get(name) -> (value or None, is_null, refcnt delta over a second call, err_set)
unsafe extern "C" fn sys_get(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let mut name = std::ptr::null::<c_char>();
    if PyArg_ParseTuple(a, c"s".as_ptr(), &mut name) == 0 {
        return null_mut();
    }
    let p = c::PySys_GetObject(name);
    let err = !PyErr_Occurred().is_null();
    PyErr_Clear();
    if p.is_null() {
        return tuple(&[null_mut(), PyBool_FromLong(1), long(0), PyBool_FromLong(err as c_long)]);
    }
    let rc = Py_REFCNT(p);
    let p2 = c::PySys_GetObject(name);
    let delta = Py_REFCNT(p2) - rc + if p2 == p { 0 } else { 1000 };
    tuple(&[Py_NewRef(p), PyBool_FromLong(0), long(delta as i64), PyBool_FromLong(err as c_long)])
}

/// sys_set(name, value or None for NULL) -> (rc, exc)
unsafe extern "C" fn sys_set(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut name, mut v) = (std::ptr::null::<c_char>(), null_mut());
    if PyArg_ParseTuple(a, c"sO".as_ptr(), &mut name, &mut v) == 0 {
        return null_mut();
    }
    ioutcome(c::PySys_SetObject(name, opt(v)) as c_long)
}

/// sys_write(which, fmt, s, n): 0 WriteStdout, 1 WriteStderr, 2 FormatStdout,
/// 3 FormatStderr, called as f(fmt, s, (long)n); returns whether a pending
/// error set before the call survived.
unsafe extern "C" fn sys_write(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut fmt, mut s, mut n) = (0, std::ptr::null::<c_char>(), std::ptr::null::<c_char>(), 0 as c_long);
    if PyArg_ParseTuple(a, c"issl".as_ptr(), &mut which, &mut fmt, &mut s, &mut n) == 0 {
        return null_mut();
    }
    PyErr_SetString(PyExc_KeyError, c"pending".as_ptr());
    match which {
        0 => c::PySys_WriteStdout(fmt, s, n),
        1 => c::PySys_WriteStderr(fmt, s, n),
        2 => c::PySys_FormatStdout(fmt, s, n),
        _ => c::PySys_FormatStderr(fmt, s, n),
    }
    let still = PyErr_ExceptionMatches(PyExc_KeyError);
    PyErr_Clear();
    PyBool_FromLong(still as c_long)
}

static mut AUDIT_LOG: *mut PyObject = null_mut();

/// The C audit hook: records `capi_run.*` events in AUDIT_LOG; vetoes
/// `capi_run.veto` with ValueError.
unsafe extern "C" fn hook(event: *const c_char, args: *mut PyObject, data: *mut c_void) -> c_int {
    let ev = CStr::from_ptr(event).to_bytes();
    if !ev.starts_with(b"capi_run.") {
        return 0;
    }
    if ev == b"capi_run.veto" {
        PyErr_SetString(PyExc_ValueError, c"vetoed by C hook".as_ptr());
        return -1;
    }
    let e = PyUnicode_FromString(event);
    let item = tuple(&[e, Py_NewRef(args), long(data as i64)]);
    PyList_Append(AUDIT_LOG, item);
    Py_DecRef(item);
    0
}

/// add_hook() -> (rc, exc); the hook's log is audit_log().
unsafe extern "C" fn add_hook(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    if AUDIT_LOG.is_null() {
        AUDIT_LOG = PyList_New(0);
    }
    ioutcome(c::PySys_AddAuditHook(Some(hook), 42 as *mut c_void) as c_long)
}

unsafe extern "C" fn audit_log(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    if AUDIT_LOG.is_null() { PyList_New(0) } else { Py_NewRef(AUDIT_LOG) }
}

/// audit(event, kind): kind 0 NULL format, 1 "(is)" 7 "x", 2 "i" 7, 3 "" -> (rc, exc)
unsafe extern "C" fn audit(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut ev, mut kind) = (std::ptr::null::<c_char>(), 0);
    if PyArg_ParseTuple(a, c"si".as_ptr(), &mut ev, &mut kind) == 0 {
        return null_mut();
    }
    let r = match kind {
        0 => c::PySys_Audit(ev, std::ptr::null()),
        1 => c::PySys_Audit(ev, c"(is)".as_ptr(), 7 as c_int, c"x".as_ptr()),
        2 => c::PySys_Audit(ev, c"i".as_ptr(), 7 as c_int),
        _ => c::PySys_Audit(ev, c"".as_ptr()),
    };
    ioutcome(r as c_long)
}

/// audit_tuple(event, args or None) -> (rc, exc)
unsafe extern "C" fn audit_tuple(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut ev, mut args) = (std::ptr::null::<c_char>(), null_mut());
    if PyArg_ParseTuple(a, c"sO".as_ptr(), &mut ev, &mut args) == 0 {
        return null_mut();
    }
    ioutcome(c::PySys_AuditTuple(ev, opt(args)) as c_long)
}

/// warn(which, arg): 0 AddWarnOption(str), 1 AddWarnOptionUnicode(obj),
/// 2 HasWarnOptions, 3 ResetWarnOptions, 4 AddXOption(str), 5 SetPath(str)
/// -> int result (0 for void)
unsafe extern "C" fn warn(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut arg) = (0, null_mut());
    if PyArg_ParseTuple(a, c"iO".as_ptr(), &mut which, &mut arg) == 0 {
        return null_mut();
    }
    let mut r = 0;
    match which {
        0 => c::PySys_AddWarnOption(wide(arg).as_ptr()),
        1 => c::PySys_AddWarnOptionUnicode(arg),
        2 => r = c::PySys_HasWarnOptions(),
        3 => c::PySys_ResetWarnOptions(),
        4 => c::PySys_AddXOption(wide(arg).as_ptr()),
        _ => c::PySys_SetPath(wide(arg).as_ptr()),
    }
    ioutcome(r as c_long)
}

/// xoptions() -> (dict, refcnt delta over a second call)
unsafe extern "C" fn xoptions(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let p = c::PySys_GetXOptions();
    if p.is_null() {
        return null_mut();
    }
    let rc = Py_REFCNT(p);
    let p2 = c::PySys_GetXOptions();
    tuple(&[Py_NewRef(p), long((Py_REFCNT(p2) - rc) as i64 + if p == p2 { 0 } else { 1000 })])
}

/// set_argv(list of str, updatepath; -1 = PySys_SetArgv; None list = argc 0, argv NULL)
unsafe extern "C" fn set_argv(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut lst, mut up) = (null_mut(), 0);
    if PyArg_ParseTuple(a, c"Oi".as_ptr(), &mut lst, &mut up) == 0 {
        return null_mut();
    }
    let mut store: Vec<Vec<WChar>> = Vec::new();
    if lst != Py_None() {
        for i in 0..PyList_Size(lst) {
            store.push(wide(PyList_GetItem(lst, i)));
        }
    }
    let mut ptrs: Vec<*mut WChar> = store.iter_mut().map(|v| v.as_mut_ptr()).collect();
    let argv = if lst == Py_None() { null_mut() } else { ptrs.as_mut_ptr() };
    if up < 0 {
        c::PySys_SetArgv(ptrs.len() as c_int, argv);
    } else {
        c::PySys_SetArgvEx(ptrs.len() as c_int, argv, up);
    }
    ioutcome(0)
}

/// m_dumps(obj, version) / m_loads(bytes) through the C-API -> (result, exc)
unsafe extern "C" fn m_dumps(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut o, mut v) = (null_mut(), 0);
    if PyArg_ParseTuple(a, c"Oi".as_ptr(), &mut o, &mut v) == 0 {
        return null_mut();
    }
    outcome(c::PyMarshal_WriteObjectToString(o, v))
}

unsafe extern "C" fn m_loads(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut p, mut n) = (std::ptr::null::<c_char>(), 0 as Py_ssize_t);
    if PyArg_ParseTuple(a, c"y#".as_ptr(), &mut p, &mut n) == 0 {
        return null_mut();
    }
    outcome(c::PyMarshal_ReadObjectFromString(p, n))
}

/// m_write(path, items): writes each ("l", int) / ("o", obj, version) in order.
unsafe extern "C" fn m_write(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut path, mut items) = (std::ptr::null::<c_char>(), null_mut());
    if PyArg_ParseTuple(a, c"sO".as_ptr(), &mut path, &mut items) == 0 {
        return null_mut();
    }
    let fp = c::fopen(path, c"wb".as_ptr());
    for i in 0..PyList_Size(items) {
        let it = PyList_GetItem(items, i);
        let kind = CStr::from_ptr(PyUnicode_AsUTF8(PyTuple_GetItem(it, 0))).to_bytes()[0];
        if kind == b'l' {
            c::PyMarshal_WriteLongToFile(PyLong_AsLong(PyTuple_GetItem(it, 1)), fp, 4);
        } else {
            c::PyMarshal_WriteObjectToFile(PyTuple_GetItem(it, 1), fp, PyLong_AsLong(PyTuple_GetItem(it, 2)) as c_int);
        }
    }
    c::fclose(fp);
    PyBool_FromLong(PyErr_Occurred().is_null() as c_long)
}

/// m_read(path, kinds): reads in order, kinds letters l(long) s(short)
/// o(object) O(last object); each result is (value, exc, ftell after).
unsafe extern "C" fn m_read(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut path, mut kinds) = (std::ptr::null::<c_char>(), std::ptr::null::<c_char>());
    if PyArg_ParseTuple(a, c"ss".as_ptr(), &mut path, &mut kinds) == 0 {
        return null_mut();
    }
    let fp = c::fopen(path, c"rb".as_ptr());
    let out = PyList_New(0);
    for &k in CStr::from_ptr(kinds).to_bytes() {
        let o = match k {
            b'l' => ioutcome(c::PyMarshal_ReadLongFromFile(fp)),
            b's' => ioutcome(c::PyMarshal_ReadShortFromFile(fp) as c_long),
            b'o' => outcome(c::PyMarshal_ReadObjectFromFile(fp)),
            _ => outcome(c::PyMarshal_ReadLastObjectFromFile(fp)),
        };
        let item = tuple(&[Py_NewRef(PyTuple_GetItem(o, 0)), Py_NewRef(PyTuple_GetItem(o, 1)), long(c::ftell(fp) as i64)]);
        Py_DecRef(o);
        PyList_Append(out, item);
        Py_DecRef(item);
    }
    c::fclose(fp);
    out
}

/// get_module(name obj) -> (module or None, exc, is_null)
unsafe extern "C" fn get_module(_m: *mut PyObject, name: *mut PyObject) -> *mut PyObject {
    let r = c::PyImport_GetModule(name);
    let isnull = r.is_null();
    let o = outcome(r);
    let res = tuple(&[Py_NewRef(PyTuple_GetItem(o, 0)), Py_NewRef(PyTuple_GetItem(o, 1)), PyBool_FromLong(isnull as c_long)]);
    Py_DecRef(o);
    res
}

/// add_module(which, name) -> (module, exc, refcnt delta of the call)
/// which: 0 AddModule (borrowed), 1 AddModuleObject (borrowed), 2 AddModuleRef (new).
unsafe extern "C" fn add_module(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut name) = (0, null_mut());
    if PyArg_ParseTuple(a, c"iO".as_ptr(), &mut which, &mut name) == 0 {
        return null_mut();
    }
    let cname = if PyUnicode_Check(name) != 0 { PyUnicode_AsUTF8(name) } else { c"x".as_ptr() };
    let call = |w| match w {
        0 => c::PyImport_AddModule(cname),
        1 => c::PyImport_AddModuleObject(name),
        _ => c::PyImport_AddModuleRef(cname),
    };
    let r = call(which);
    if r.is_null() {
        return outcome(r);
    }
    let before = Py_REFCNT(r);
    let r2 = call(which);
    let delta = Py_REFCNT(r2) - before + if r2 == r { 0 } else { 1000 };
    let m = Py_NewRef(r);
    if which == 2 {
        Py_DecRef(r);
        Py_DecRef(r2);
    }
    tuple(&[m, null_mut(), long(delta as i64)])
}

/// import_level(which, name, globals, locals, fromlist, level) -> (result, exc)
/// which: 0 ImportModuleLevel (name str), 1 ImportModuleLevelObject (name any; None = NULL), 2 NoBlock.
unsafe extern "C" fn import_level(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut name, mut g, mut l, mut f, mut level) = (0, null_mut(), null_mut(), null_mut(), null_mut(), 0);
    if PyArg_ParseTuple(a, c"iOOOOi".as_ptr(), &mut which, &mut name, &mut g, &mut l, &mut f, &mut level) == 0 {
        return null_mut();
    }
    let r = match which {
        0 => c::PyImport_ImportModuleLevel(PyUnicode_AsUTF8(name), opt(g), opt(l), opt(f), level),
        1 => c::PyImport_ImportModuleLevelObject(opt(name), opt(g), opt(l), opt(f), level),
        _ => c::PyImport_ImportModuleNoBlock(PyUnicode_AsUTF8(name)),
    };
    outcome(r)
}

/// import_attr(which, mod, attr) -> (result, exc); 0 Attr (objects), 1 AttrString. 3.14 only.
unsafe extern "C" fn import_attr(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut m, mut at) = (0, null_mut(), null_mut());
    if PyArg_ParseTuple(a, c"iOO".as_ptr(), &mut which, &mut m, &mut at) == 0 {
        return null_mut();
    }
    // 3.14 symbols, looked up at run time so the module loads on 3.13.
    let attr = c::dlsym(null_mut(), c"PyImport_ImportModuleAttr".as_ptr());
    let attr_s = c::dlsym(null_mut(), c"PyImport_ImportModuleAttrString".as_ptr());
    if attr.is_null() || attr_s.is_null() {
        PyErr_SetString(PyExc_NotImplementedError, c"3.14 only".as_ptr());
        return null_mut();
    }
    let r = if which == 0 {
        let f: unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject = std::mem::transmute(attr);
        f(m, at)
    } else {
        let f: unsafe extern "C" fn(*const c_char, *const c_char) -> *mut PyObject = std::mem::transmute(attr_s);
        f(PyUnicode_AsUTF8(m), PyUnicode_AsUTF8(at))
    };
    outcome(r)
}

/// exec_code(which, name, code, pathname, cpathname) -> (module, exc)
/// which: 0 ExecCodeModule, 1 Ex, 2 WithPathnames, 3 Object. None paths = NULL.
unsafe extern "C" fn exec_code(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut name, mut co, mut p, mut cp) = (0, null_mut(), null_mut(), null_mut(), null_mut());
    if PyArg_ParseTuple(a, c"iOOOO".as_ptr(), &mut which, &mut name, &mut co, &mut p, &mut cp) == 0 {
        return null_mut();
    }
    let s = |o: *mut PyObject| if o == Py_None() { std::ptr::null() } else { PyUnicode_AsUTF8(o) };
    let r = match which {
        0 => c::PyImport_ExecCodeModule(s(name), co),
        1 => c::PyImport_ExecCodeModuleEx(s(name), co, s(p)),
        2 => c::PyImport_ExecCodeModuleWithPathnames(s(name), co, s(p), s(cp)),
        _ => c::PyImport_ExecCodeModuleObject(name, co, opt(p), opt(cp)),
    };
    outcome(r)
}

unsafe extern "C" fn reload(_m: *mut PyObject, m: *mut PyObject) -> *mut PyObject {
    outcome(c::PyImport_ReloadModule(m))
}

unsafe extern "C" fn get_importer(_m: *mut PyObject, p: *mut PyObject) -> *mut PyObject {
    outcome(c::PyImport_GetImporter(p))
}

/// magic() -> (number, tag or None)
unsafe extern "C" fn magic(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let n = c::PyImport_GetMagicNumber();
    let t = c::PyImport_GetMagicTag();
    tuple(&[long(n as i64), if t.is_null() { null_mut() } else { PyUnicode_FromString(t) }])
}

/// frozen(which, name) -> (rc, exc); 0 ImportFrozenModule, 1 ...Object.
unsafe extern "C" fn frozen(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let (mut which, mut name) = (0, null_mut());
    if PyArg_ParseTuple(a, c"iO".as_ptr(), &mut which, &mut name) == 0 {
        return null_mut();
    }
    let r = if which == 0 { c::PyImport_ImportFrozenModule(PyUnicode_AsUTF8(name)) } else { c::PyImport_ImportFrozenModuleObject(name) };
    ioutcome(r as c_long)
}

/// frozen_table_names() -> names in PyImport_FrozenModules (empty if NULL)
unsafe extern "C" fn frozen_table_names(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let out = PyList_New(0);
    let mut p = c::PyImport_FrozenModules;
    while !p.is_null() && !(*p).name.is_null() {
        let s = PyUnicode_FromString((*p).name);
        PyList_Append(out, s);
        Py_DecRef(s);
        p = p.add(1);
    }
    out
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"run_string", run_string, PyCFunction, METH_VARARGS),
        meth!(c"run_simple", run_simple, PyCFunction, METH_VARARGS),
        meth!(c"run_file", run_file, PyCFunction, METH_VARARGS),
        meth!(c"simple_file", simple_file, PyCFunction, METH_VARARGS),
        meth!(c"interactive", interactive, PyCFunction, METH_VARARGS),
        meth!(c"compile", compile, PyCFunction, METH_VARARGS),
        meth!(c"display", display, PyCFunction, METH_VARARGS),
        meth!(c"sys_get", sys_get, PyCFunction, METH_VARARGS),
        meth!(c"sys_set", sys_set, PyCFunction, METH_VARARGS),
        meth!(c"sys_write", sys_write, PyCFunction, METH_VARARGS),
        meth!(c"add_hook", add_hook, PyCFunction, METH_NOARGS),
        meth!(c"audit_log", audit_log, PyCFunction, METH_NOARGS),
        meth!(c"audit", audit, PyCFunction, METH_VARARGS),
        meth!(c"audit_tuple", audit_tuple, PyCFunction, METH_VARARGS),
        meth!(c"warn", warn, PyCFunction, METH_VARARGS),
        meth!(c"xoptions", xoptions, PyCFunction, METH_NOARGS),
        meth!(c"set_argv", set_argv, PyCFunction, METH_VARARGS),
        meth!(c"m_dumps", m_dumps, PyCFunction, METH_VARARGS),
        meth!(c"m_loads", m_loads, PyCFunction, METH_VARARGS),
        meth!(c"m_write", m_write, PyCFunction, METH_VARARGS),
        meth!(c"m_read", m_read, PyCFunction, METH_VARARGS),
        meth!(c"get_module", get_module, PyCFunction, METH_O),
        meth!(c"add_module", add_module, PyCFunction, METH_VARARGS),
        meth!(c"import_level", import_level, PyCFunction, METH_VARARGS),
        meth!(c"import_attr", import_attr, PyCFunction, METH_VARARGS),
        meth!(c"exec_code", exec_code, PyCFunction, METH_VARARGS),
        meth!(c"reload", reload, PyCFunction, METH_O),
        meth!(c"get_importer", get_importer, PyCFunction, METH_O),
        meth!(c"magic", magic, PyCFunction, METH_NOARGS),
        meth!(c"frozen", frozen, PyCFunction, METH_VARARGS),
        meth!(c"frozen_table_names", frozen_table_names, PyCFunction, METH_NOARGS),
    ]
}

static mut MODULE: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"capi_run".as_ptr(),
    m_doc: std::ptr::null(),
    m_size: 0,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_run() -> *mut PyObject {
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
