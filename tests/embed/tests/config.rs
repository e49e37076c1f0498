#![allow(deprecated)]
//! `PyStatus_*`, `PyWideStringList_*`, `PyConfig_*` (defaults, command-line
//! parsing, argv / module_search_paths / program_name), `Py_InitializeFromConfig`,
//! the legacy getters, and (3.14) `PyInitConfig_*` and `PyConfig_Get*`.
//! Expected values are CPython's (the same test runs on CPython 3.13).

use pyo3::ffi;
use pyo3::prelude::*;
use pyfacade_embed::{eval, ok};
use std::ffi::{CStr, CString, c_char};
use std::mem::MaybeUninit;

fn wide(s: &str) -> Vec<libc::wchar_t> {
    s.chars().map(|c| c as libc::wchar_t).chain([0]).collect()
}

fn from_wide(p: *const libc::wchar_t) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut out = String::new();
    let mut i = 0;
    // SAFETY: NUL-terminated wide string.
    unsafe {
        while *p.add(i) != 0 {
            out.push(char::from_u32(*p.add(i) as u32).unwrap());
            i += 1;
        }
    }
    Some(out)
}

fn list(l: &ffi::PyWideStringList) -> Vec<String> {
    // SAFETY: `length` items.
    (0..l.length as usize).map(|i| from_wide(unsafe { *l.items.add(i) }).unwrap()).collect()
}

fn check(st: ffi::PyStatus) {
    // SAFETY: a status by value.
    if unsafe { ffi::PyStatus_Exception(st) } != 0 {
        // SAFETY: error statuses carry a message.
        panic!("status: {:?}", unsafe { CStr::from_ptr(st.err_msg) });
    }
}

fn statuses() {
    // SAFETY: status constructors and tests.
    unsafe {
        let okst = ffi::PyStatus_Ok();
        assert_eq!((ffi::PyStatus_IsError(okst), ffi::PyStatus_IsExit(okst), ffi::PyStatus_Exception(okst)), (0, 0, 0));
        let e = ffi::PyStatus_Error(c"bad thing".as_ptr());
        assert_eq!((ffi::PyStatus_IsError(e), ffi::PyStatus_IsExit(e), ffi::PyStatus_Exception(e)), (1, 0, 1));
        assert_eq!(CStr::from_ptr(e.err_msg), c"bad thing");
        let m = ffi::PyStatus_NoMemory();
        assert_eq!(ffi::PyStatus_IsError(m), 1);
        assert_eq!(CStr::from_ptr(m.err_msg), c"memory allocation failed");
        let x = ffi::PyStatus_Exit(7);
        assert_eq!((ffi::PyStatus_IsError(x), ffi::PyStatus_IsExit(x), ffi::PyStatus_Exception(x), x.exitcode), (0, 1, 1, 7));
    }
    assert_eq!(std::mem::size_of::<ffi::PyStatus>(), 32);
    assert_eq!(std::mem::size_of::<ffi::PyWideStringList>(), 16);
    ok("PyStatus_*");
}

fn wide_lists() {
    let mut l = ffi::PyWideStringList { length: 0, items: std::ptr::null_mut() };
    let (a, b, c) = (wide("a"), wide("b"), wide("c"));
    // SAFETY: a valid list and NUL-terminated items.
    unsafe {
        check(ffi::PyWideStringList_Append(&mut l, a.as_ptr()));
        check(ffi::PyWideStringList_Append(&mut l, c.as_ptr()));
        check(ffi::PyWideStringList_Insert(&mut l, 1, b.as_ptr()));
        check(ffi::PyWideStringList_Insert(&mut l, 99, a.as_ptr()));
        assert_eq!(list(&l), ["a", "b", "c", "a"]);
        let e = ffi::PyWideStringList_Insert(&mut l, -1, a.as_ptr());
        assert_eq!(ffi::PyStatus_IsError(e), 1);
        assert_eq!(list(&l).len(), 4);
    }
    // The list's memory belongs to the raw allocator; leaked here (CPython
    // has no public function to clear a standalone list).
    ok("PyWideStringList_Append/Insert");
}

/// A new Python (or isolated) configuration, boxed so its address is stable.
fn new_config(isolated: bool) -> Box<ffi::PyConfig> {
    let mut c = Box::new(MaybeUninit::<ffi::PyConfig>::zeroed());
    // SAFETY: a writable config, initialised by the call.
    unsafe {
        if isolated {
            ffi::PyConfig_InitIsolatedConfig(c.as_mut_ptr());
        } else {
            ffi::PyConfig_InitPythonConfig(c.as_mut_ptr());
        }
        Box::from_raw(Box::into_raw(c).cast())
    }
}

fn defaults() {
    let mut cfg = new_config(false);
    let c = &mut *cfg;
    assert_eq!((c._config_init, c.isolated, c.use_environment, c.parse_argv, c.install_signal_handlers), (2, 0, 1, 1, 1));
    assert_eq!((c.configure_c_stdio, c.site_import, c.buffered_stdio, c.safe_path, c.user_site_directory), (1, 1, 1, 0, 1));
    assert_eq!((c.module_search_paths_set, c.argv.length, c.program_name.is_null()), (0, 0, true));
    // SAFETY: the config we made.
    unsafe { ffi::PyConfig_Clear(c) };
    let mut cfg = new_config(true);
    let c = &mut *cfg;
    assert_eq!((c._config_init, c.isolated, c.use_environment, c.parse_argv, c.install_signal_handlers), (3, 1, 0, 0, 0));
    assert_eq!((c.configure_c_stdio, c.safe_path, c.user_site_directory, c.faulthandler), (0, 1, 0, 0));
    // SAFETY: as above.
    unsafe { ffi::PyConfig_Clear(c) };
    ok("PyConfig_InitPythonConfig / InitIsolatedConfig defaults");
}

fn cmdline() {
    let mut cfg = new_config(false);
    let c = &mut *cfg;
    let args = ["prog", "-X", "embed_opt", "-W", "ignore", "-Bc", "print(1)", "a1", "-v"];
    let cargs: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let ptrs: Vec<*mut c_char> = cargs.iter().map(|a| a.as_ptr().cast_mut()).collect();
    // SAFETY: a valid config and argv.
    unsafe {
        check(ffi::PyConfig_SetBytesArgv(c, ptrs.len() as _, ptrs.as_ptr().cast_mut().cast()));
        check(ffi::PyConfig_Read(c));
    }
    assert_eq!(list(&c.argv), ["-c", "a1", "-v"]);
    assert_eq!(list(&c.orig_argv), args);
    assert_eq!(from_wide(c.run_command).as_deref(), Some("print(1)\n"));
    assert_eq!(c.run_module, std::ptr::null_mut());
    assert_eq!(list(&c.xoptions), ["embed_opt"]);
    assert!(list(&c.warnoptions).contains(&"ignore".to_owned()));
    assert_eq!(c.write_bytecode, 0);
    // -v came after the command: it is an argument, not an option.
    assert_eq!(c.verbose, 0);
    // SAFETY: the config we made.
    unsafe { ffi::PyConfig_Clear(c) };

    let mut cfg = new_config(false);
    let c = &mut *cfg;
    let argv: Vec<Vec<libc::wchar_t>> = ["prog", "-S", "-m", "json.tool", "--x"].iter().map(|a| wide(a)).collect();
    let ptrs: Vec<*mut libc::wchar_t> = argv.iter().map(|a| a.as_ptr().cast_mut()).collect();
    // SAFETY: as above.
    unsafe {
        check(ffi::PyConfig_SetArgv(c, ptrs.len() as _, ptrs.as_ptr().cast_mut().cast()));
        check(ffi::PyConfig_Read(c));
    }
    assert_eq!(list(&c.argv), ["-m", "--x"]);
    assert_eq!(from_wide(c.run_module).as_deref(), Some("json.tool"));
    assert_eq!(c.site_import, 0);
    // SAFETY: as above.
    unsafe { ffi::PyConfig_Clear(c) };
    ok("PyConfig_SetBytesArgv / SetArgv + PyConfig_Read parse CPython's command line");
}

#[cfg(Py_3_14)]
fn init_config() {
    // SAFETY: PyInitConfig_* on a configuration we own.
    unsafe {
        let ic = ffi::PyInitConfig_Create();
        assert!(!ic.is_null());
        assert_eq!(ffi::PyInitConfig_HasOption(ic, c"verbose".as_ptr()), 1);
        assert_eq!(ffi::PyInitConfig_HasOption(ic, c"no_such".as_ptr()), 0);
        assert_eq!(ffi::PyInitConfig_SetInt(ic, c"verbose".as_ptr(), 2), 0);
        let mut v = 0u64;
        assert_eq!(ffi::PyInitConfig_GetInt(ic, c"verbose".as_ptr(), &mut v), 0);
        assert_eq!(v, 2);
        assert_eq!(ffi::PyInitConfig_SetStr(ic, c"program_name".as_ptr(), c"hostprog".as_ptr()), 0);
        let mut s: *mut c_char = std::ptr::null_mut();
        assert_eq!(ffi::PyInitConfig_GetStr(ic, c"program_name".as_ptr(), &mut s), 0);
        assert_eq!(CStr::from_ptr(s), c"hostprog");
        libc::free(s.cast());
        let mut items = [c"a".as_ptr(), c"b".as_ptr()];
        assert_eq!(ffi::PyInitConfig_SetStrList(ic, c"argv".as_ptr(), 2, items.as_mut_ptr()), 0);
        let (mut n, mut out) = (0usize, std::ptr::null_mut());
        assert_eq!(ffi::PyInitConfig_GetStrList(ic, c"argv".as_ptr(), &mut n, &mut out), 0);
        assert_eq!(n, 2);
        assert_eq!(CStr::from_ptr(*out.add(1)), c"b");
        ffi::PyInitConfig_FreeStrList(n, out);
        let mut msg = std::ptr::null();
        assert_eq!(ffi::PyInitConfig_GetError(ic, &mut msg), 0);
        assert_eq!(ffi::PyInitConfig_SetInt(ic, c"no_such".as_ptr(), 1), -1);
        assert_eq!(ffi::PyInitConfig_GetError(ic, &mut msg), 1);
        assert_eq!(CStr::from_ptr(msg), c"unknown config option name: no_such");
        assert_eq!(ffi::PyInitConfig_GetStr(ic, c"verbose".as_ptr(), &mut s), -1);
        assert_eq!(ffi::PyInitConfig_GetError(ic, &mut msg), 1);
        assert_eq!(CStr::from_ptr(msg), c"config option type is not string");
        let mut code = 0;
        assert_eq!(ffi::PyInitConfig_GetExitCode(ic, &mut code), 0);
        ffi::PyInitConfig_Free(ic);
    }
    ok("PyInitConfig_* (3.14)");
}

#[cfg(not(Py_3_14))]
fn init_config() {
    println!("skip PyInitConfig_* (3.14 API; the oracle is 3.13)");
}

fn initialize() {
    let stdlib = std::env::var("EMBED_STDLIB").unwrap_or_default();
    let mut paths: Vec<String> = Vec::new();
    if !stdlib.is_empty() {
        paths.push(stdlib.clone());
        paths.push(format!("{stdlib}/lib-dynload"));
    }
    paths.push("/nonexistent/embed-a".to_owned());
    let mut cfg = new_config(false);
    let c = &mut *cfg;
    c.parse_argv = 0;
    c.site_import = 0;
    let argv: Vec<Vec<libc::wchar_t>> = ["embedhost", "x", "y"].iter().map(|a| wide(a)).collect();
    let mut ptrs: Vec<*mut libc::wchar_t> = argv.iter().map(|a| a.as_ptr().cast_mut()).collect();
    let wpaths: Vec<Vec<libc::wchar_t>> = paths.iter().map(|p| wide(p)).collect();
    let mut pptrs: Vec<*mut libc::wchar_t> = wpaths.iter().map(|a| a.as_ptr().cast_mut()).collect();
    let name = wide("embedhost");
    // SAFETY: a valid config, NUL-terminated strings.
    unsafe {
        check(ffi::PyConfig_SetArgv(c, ptrs.len() as _, ptrs.as_mut_ptr().cast()));
        check(ffi::PyConfig_SetWideStringList(c, &mut c.module_search_paths, pptrs.len() as _, pptrs.as_mut_ptr()));
        c.module_search_paths_set = 1;
        check(ffi::PyConfig_SetString(c, &mut c.program_name, name.as_ptr()));
        assert_eq!(ffi::Py_IsInitialized(), 0);
        check(ffi::Py_InitializeFromConfig(c));
        ffi::PyConfig_Clear(c);
        assert_eq!(ffi::Py_IsInitialized(), 1);
        // Already initialised: a no-op.
        ffi::Py_InitializeEx(0);
    }
    // Initialised by us, GIL held: PyO3 sees an attached thread.
    Python::attach(|py| {
        let argv: Vec<String> = eval(py, c"__import__('sys').argv");
        assert_eq!(argv, ["embedhost", "x", "y"]);
        let path: Vec<String> = eval(py, c"__import__('sys').path");
        assert_eq!(path, paths);
        let v: String = eval(py, c"__import__('json').dumps({'a': 1})");
        assert_eq!(v, r#"{"a": 1}"#);
        ok("Py_InitializeFromConfig: sys.argv, sys.path from module_search_paths, stdlib imports");
    });
    // SAFETY: legacy getters, GIL held.
    unsafe {
        assert_eq!(from_wide(ffi::Py_GetProgramName()).as_deref(), Some("embedhost"));
        let p = from_wide(ffi::Py_GetPath()).unwrap();
        assert!(p.split(':').any(|s| s == "/nonexistent/embed-a"), "{p}");
        let (mut argc, mut argv) = (0, std::ptr::null_mut());
        ffi::Py_GetArgcArgv(&mut argc, &mut argv);
        let got: Vec<String> = (0..argc as usize).map(|i| from_wide(*argv.add(i)).unwrap()).collect();
        assert_eq!(got, ["embedhost", "x", "y"]);
    }
    ok("Py_GetProgramName / Py_GetPath / Py_GetArgcArgv");
    config_get();
    // SAFETY: finalise with the GIL held, as initialised.
    unsafe { assert_eq!(ffi::Py_FinalizeEx(), 0) };
    ok("Py_FinalizeEx");
}

#[cfg(Py_3_14)]
fn config_get() {
    unsafe extern "C" {
        fn PyConfig_Get(name: *const c_char) -> *mut ffi::PyObject;
        fn PyConfig_GetInt(name: *const c_char, value: *mut std::ffi::c_int) -> std::ffi::c_int;
        fn PyConfig_Names() -> *mut ffi::PyObject;
        fn PyConfig_Set(name: *const c_char, value: *mut ffi::PyObject) -> std::ffi::c_int;
    }
    Python::attach(|py| {
        // SAFETY: the runtime config API, GIL held; new references bound.
        unsafe {
            let argv = Bound::from_owned_ptr(py, PyConfig_Get(c"argv".as_ptr()));
            assert_eq!(argv.extract::<Vec<String>>().unwrap(), ["embedhost", "x", "y"]);
            let names = Bound::from_owned_ptr(py, PyConfig_Names());
            assert!(names.contains("module_search_paths").unwrap());
            let mut v = -1;
            assert_eq!(PyConfig_GetInt(c"site_import".as_ptr(), &mut v), 0);
            assert_eq!(v, 0);
            assert!(PyConfig_Get(c"no_such_option".as_ptr()).is_null());
            let e = PyErr::fetch(py);
            assert!(e.is_instance_of::<pyo3::exceptions::PyValueError>(py));
            assert_eq!(e.value(py).to_string(), "unknown config option name: no_such_option");
            let new = pyo3::types::PyList::new(py, ["a", "b"]).unwrap();
            assert_eq!(PyConfig_Set(c"argv".as_ptr(), new.as_ptr()), 0);
            let argv: Vec<String> = eval(py, c"__import__('sys').argv");
            assert_eq!(argv, ["a", "b"]);
            assert_eq!(PyConfig_Set(c"isolated".as_ptr(), new.as_ptr()), -1);
            let e = PyErr::fetch(py);
            assert!(e.is_instance_of::<pyo3::exceptions::PyValueError>(py));
        }
    });
    ok("PyConfig_Get / GetInt / Names / Set (3.14)");
}

#[cfg(not(Py_3_14))]
fn config_get() {
    println!("skip PyConfig_Get* (3.14 API; the oracle is 3.13)");
}

fn main() {
    statuses();
    wide_lists();
    defaults();
    cmdline();
    init_config();
    initialize();
}
