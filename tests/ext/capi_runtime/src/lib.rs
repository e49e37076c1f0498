//! Probes for the C-API family group 'runtime': each function calls the C-API
//! the way a C extension does and returns what it saw, so that
//! tests/python/test_capi_runtime.py can compare pyfacade with CPython 3.13.
//!
//! Every runtime function is looked up with `dlsym` when first used, so that
//! the CPython 3.13 build loads although 3.14 added some of them; a probe of
//! a function the interpreter lacks raises `NotImplementedError("<name>")`,
//! and `has(name)` tells the tests which exist.
#![allow(non_snake_case, static_mut_refs, deprecated, clippy::missing_safety_doc, non_upper_case_globals)]

use pyo3_ffi::*;
use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

extern "C" {
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
    fn fopen(path: *const c_char, mode: *const c_char) -> *mut c_void;
    fn fclose(f: *mut c_void) -> c_int;
    fn write(fd: c_int, buf: *const c_void, n: usize) -> isize;
    fn __errno_location() -> *mut c_int;
    fn pthread_create(t: *mut c_ulong, attr: *const c_void, f: extern "C" fn(*mut c_void) -> *mut c_void, arg: *mut c_void) -> c_int;
    fn pthread_join(t: c_ulong, ret: *mut *mut c_void) -> c_int;
    fn usleep(us: c_uint) -> c_int;
}

fn lookup(name: &CStr) -> *mut c_void {
    // SAFETY: RTLD_DEFAULT (NULL) searches the process's global symbols.
    unsafe { dlsym(null_mut(), name.as_ptr()) }
}

/// `sym!(c"Name" => fn(...) -> ...)`: the function, or NotImplementedError.
macro_rules! sym {
    ($name:expr => $t:ty) => {{
        let p = lookup($name);
        if p.is_null() {
            PyErr_SetString(PyExc_NotImplementedError, $name.as_ptr());
            return null_mut();
        }
        std::mem::transmute::<*mut c_void, $t>(p)
    }};
}

unsafe fn int(v: i64) -> *mut PyObject {
    PyLong_FromLongLong(v)
}

unsafe fn tuple(items: &[*mut PyObject]) -> *mut PyObject {
    let t = PyTuple_New(items.len() as Py_ssize_t);
    for (i, &o) in items.iter().enumerate() {
        PyTuple_SetItem(t, i as Py_ssize_t, o);
    }
    t
}

unsafe fn bytes(p: *const c_char) -> *mut PyObject {
    if p.is_null() {
        return Py_NewRef(Py_None());
    }
    PyBytes_FromStringAndSize(p, CStr::from_ptr(p).to_bytes().len() as Py_ssize_t)
}

unsafe fn arg(args: *mut PyObject, i: isize) -> *mut PyObject {
    PyTuple_GetItem(args, i)
}

unsafe fn arg_i64(args: *mut PyObject, i: isize) -> i64 {
    PyLong_AsLongLong(arg(args, i))
}

unsafe fn arg_bytes(args: *mut PyObject, i: isize) -> *const c_char {
    PyBytes_AsString(arg(args, i))
}

macro_rules! meth {
    ($name:literal, $f:expr, $kind:ident, $flags:expr) => {
        PyMethodDef { ml_name: $name.as_ptr(), ml_meth: PyMethodDefPointer { $kind: $f }, ml_flags: $flags, ml_doc: std::ptr::null() }
    };
}

/// METH_NOARGS: True (the module loaded).
unsafe extern "C" fn ping(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    Py_NewRef(Py_True())
}

/// has(name: bytes) -> whether the interpreter exports the symbol.
unsafe extern "C" fn has(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    PyBool_FromLong((!lookup(CStr::from_ptr(arg_bytes(a, 0))).is_null()) as c_long)
}

// ---- configuration globals ----

/// flags() -> dict of the legacy Py_*Flag ints and file-system encoding globals.
unsafe extern "C" fn flags(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let d = PyDict_New();
    for name in [
        c"Py_DebugFlag", c"Py_VerboseFlag", c"Py_QuietFlag", c"Py_InteractiveFlag", c"Py_InspectFlag", c"Py_OptimizeFlag",
        c"Py_NoSiteFlag", c"Py_BytesWarningFlag", c"Py_FrozenFlag", c"Py_IgnoreEnvironmentFlag", c"Py_DontWriteBytecodeFlag",
        c"Py_NoUserSiteDirectory", c"Py_UnbufferedStdioFlag", c"Py_HashRandomizationFlag", c"Py_IsolatedFlag", c"Py_UTF8Mode",
        c"Py_HasFileSystemDefaultEncoding",
    ] {
        let p = lookup(name);
        if p.is_null() {
            continue;
        }
        let v = int(*(p as *const c_int) as i64);
        PyDict_SetItemString(d, name.as_ptr(), v);
        Py_DECREF(v);
    }
    for name in [c"Py_FileSystemDefaultEncoding", c"Py_FileSystemDefaultEncodeErrors"] {
        let p = lookup(name);
        if p.is_null() {
            continue;
        }
        let v = bytes(*(p as *const *const c_char));
        PyDict_SetItemString(d, name.as_ptr(), v);
        Py_DECREF(v);
    }
    d
}

/// getenv(name: bytes) -> bytes | None via Py_GETENV.
unsafe extern "C" fn getenv_(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"Py_GETENV" => unsafe extern "C" fn(*const c_char) -> *const c_char);
    bytes(f(arg_bytes(a, 0)))
}

/// build_strings() -> (buildinfo, compiler, copyright, platform) as bytes.
unsafe extern "C" fn build_strings(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let mut out = vec![];
    for name in [c"Py_GetBuildInfo", c"Py_GetCompiler", c"Py_GetCopyright", c"Py_GetPlatform"] {
        let f = sym!(name => unsafe extern "C" fn() -> *const c_char);
        out.push(bytes(f()));
    }
    tuple(&out)
}

/// pack_version(x, y, z, level, serial) -> (Py_PACK_VERSION(x, y), Py_PACK_FULL_VERSION(...)).
unsafe extern "C" fn pack_version(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let v = sym!(c"Py_PACK_VERSION" => unsafe extern "C" fn(c_int, c_int) -> u32);
    let fv = sym!(c"Py_PACK_FULL_VERSION" => unsafe extern "C" fn(c_int, c_int, c_int, c_int, c_int) -> u32);
    let g = |i| arg_i64(a, i) as c_int;
    tuple(&[int(v(g(0), g(1)) as i64), int(fv(g(0), g(1), g(2), g(3), g(4)) as i64)])
}

// ---- PyOS_* string helpers ----

/// strtoul(s: bytes, base) -> (value, consumed, errno) and strtol likewise.
unsafe fn strto(a: *mut PyObject, signed: bool) -> *mut PyObject {
    let s = arg_bytes(a, 0);
    let base = arg_i64(a, 1) as c_int;
    let mut end: *mut c_char = null_mut();
    *__errno_location() = 0;
    let v = if signed {
        let f = sym!(c"PyOS_strtol" => unsafe extern "C" fn(*const c_char, *mut *mut c_char, c_int) -> c_long);
        PyLong_FromLong(f(s, &mut end, base))
    } else {
        let f = sym!(c"PyOS_strtoul" => unsafe extern "C" fn(*const c_char, *mut *mut c_char, c_int) -> c_ulong);
        PyLong_FromUnsignedLong(f(s, &mut end, base))
    };
    let errno = *__errno_location();
    tuple(&[v, int(end.offset_from(s) as i64), int(errno as i64)])
}

unsafe extern "C" fn strtoul(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    strto(a, false)
}

unsafe extern "C" fn strtol(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    strto(a, true)
}

/// snprintf(size) -> (return value, buffer) of PyOS_snprintf(buf, size, "%d-%s", 12345, "abc").
unsafe extern "C" fn snprintf(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyOS_snprintf" => unsafe extern "C" fn(*mut c_char, usize, *const c_char, ...) -> c_int);
    let size = arg_i64(a, 0) as usize;
    let mut buf = vec![b'#' as c_char; 64];
    let r = f(buf.as_mut_ptr(), size, c"%d-%s".as_ptr(), 12345 as c_int, c"abc".as_ptr());
    tuple(&[int(r as i64), PyBytes_FromStringAndSize(buf.as_ptr(), size as Py_ssize_t)])
}

// ---- time ----

/// clocks() -> (monotonic, monotonic_raw, perf, perf_raw, time, time_raw) ns.
unsafe extern "C" fn clocks(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let mut out = vec![];
    for name in [c"PyTime_Monotonic", c"PyTime_MonotonicRaw", c"PyTime_PerfCounter", c"PyTime_PerfCounterRaw", c"PyTime_Time", c"PyTime_TimeRaw"] {
        let f = sym!(name => unsafe extern "C" fn(*mut i64) -> c_int);
        let mut t = 0i64;
        let raw = name.to_bytes().ends_with(b"Raw");
        let rc = if raw {
            let ts = PyEval_SaveThread();
            let rc = f(&mut t);
            PyEval_RestoreThread(ts);
            rc
        } else {
            f(&mut t)
        };
        if rc != 0 {
            return null_mut();
        }
        out.push(int(t));
    }
    tuple(&out)
}

/// as_seconds(ns) -> PyTime_AsSecondsDouble(ns).
unsafe extern "C" fn as_seconds(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyTime_AsSecondsDouble" => unsafe extern "C" fn(i64) -> f64);
    PyFloat_FromDouble(f(arg_i64(a, 0)))
}

// ---- GC ----

/// gc_toggle() -> (Disable(), IsEnabled(), Collect() while disabled, Enable(), IsEnabled(), Enable()).
unsafe extern "C" fn gc_toggle(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let enable = sym!(c"PyGC_Enable" => unsafe extern "C" fn() -> c_int);
    let disable = sym!(c"PyGC_Disable" => unsafe extern "C" fn() -> c_int);
    let is_enabled = sym!(c"PyGC_IsEnabled" => unsafe extern "C" fn() -> c_int);
    let collect = sym!(c"PyGC_Collect" => unsafe extern "C" fn() -> Py_ssize_t);
    let a = disable();
    let b = is_enabled();
    let c = collect();
    let d = enable();
    let e = is_enabled();
    let f = enable();
    tuple(&[int(a as i64), int(b as i64), int(c as i64), int(d as i64), int(e as i64), int(f as i64)])
}

/// gc_collect() -> PyGC_Collect(), keeping a pending exception -> (n, exception still set).
unsafe extern "C" fn gc_collect(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let collect = sym!(c"PyGC_Collect" => unsafe extern "C" fn() -> Py_ssize_t);
    PyErr_SetString(PyExc_KeyError, c"pending".as_ptr());
    let n = collect();
    let still = !PyErr_Occurred().is_null() && PyErr_ExceptionMatches(PyExc_KeyError) != 0;
    PyErr_Clear();
    tuple(&[int(n as i64), PyBool_FromLong(still as c_long)])
}

/// gc_is(obj) -> (IsTracked, IsFinalized).
unsafe extern "C" fn gc_is(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let tracked = sym!(c"PyObject_GC_IsTracked" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let fin = sym!(c"PyObject_GC_IsFinalized" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let o = arg(a, 0);
    tuple(&[int(tracked(o) as i64), int(fin(o) as i64)])
}

static VISITED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn visit(_o: *mut PyObject, arg: *mut c_void) -> c_int {
    let n = VISITED.fetch_add(1, Ordering::Relaxed) + 1;
    (n < arg as usize) as c_int
}

/// gc_visit(stop_after) -> how many objects the visitor saw.
unsafe extern "C" fn gc_visit(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyUnstable_GC_VisitObjects" => unsafe extern "C" fn(unsafe extern "C" fn(*mut PyObject, *mut c_void) -> c_int, *mut c_void));
    VISITED.store(0, Ordering::Relaxed);
    f(visit, arg_i64(a, 0) as usize as *mut c_void);
    int(VISITED.load(Ordering::Relaxed) as i64)
}

// ---- locks ----

static mut MUTEX: u8 = 0;
static mut COUNTER: u64 = 0;
static mut LOCK_FN: Option<unsafe extern "C" fn(*mut u8)> = None;
static mut UNLOCK_FN: Option<unsafe extern "C" fn(*mut u8)> = None;

extern "C" fn hammer(_: *mut c_void) -> *mut c_void {
    unsafe {
        for _ in 0..20000 {
            LOCK_FN.unwrap()(&raw mut MUTEX);
            let v = std::ptr::read_volatile(&raw const COUNTER);
            std::ptr::write_volatile(&raw mut COUNTER, v + 1);
            UNLOCK_FN.unwrap()(&raw mut MUTEX);
        }
    }
    null_mut()
}

/// mutex(threads) -> (counter after `threads` OS threads add 20000 each under
/// one PyMutex, the mutex byte afterwards).
unsafe extern "C" fn mutex(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    LOCK_FN = Some(sym!(c"PyMutex_Lock" => unsafe extern "C" fn(*mut u8)));
    UNLOCK_FN = Some(sym!(c"PyMutex_Unlock" => unsafe extern "C" fn(*mut u8)));
    let n = arg_i64(a, 0) as usize;
    COUNTER = 0;
    let ts = PyEval_SaveThread();
    let mut ids = vec![0 as c_ulong; n];
    for id in ids.iter_mut() {
        pthread_create(id, null(), hammer, null_mut());
    }
    for id in ids {
        pthread_join(id, null_mut());
    }
    PyEval_RestoreThread(ts);
    tuple(&[int(COUNTER as i64), int(MUTEX as i64)])
}

/// mutex_is_locked() -> (IsLocked before, after Lock, after Unlock).
unsafe extern "C" fn mutex_is_locked(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let lock = sym!(c"PyMutex_Lock" => unsafe extern "C" fn(*mut u8));
    let unlock = sym!(c"PyMutex_Unlock" => unsafe extern "C" fn(*mut u8));
    let is = sym!(c"PyMutex_IsLocked" => unsafe extern "C" fn(*mut u8) -> c_int);
    let mut m = 0u8;
    let a = is(&mut m);
    lock(&mut m);
    let b = is(&mut m);
    let byte = m;
    unlock(&mut m);
    tuple(&[int(a as i64), int(b as i64), int(byte as i64), int(is(&mut m) as i64)])
}

static mut HOLD: u8 = 0;

extern "C" fn release_later(_: *mut c_void) -> *mut c_void {
    unsafe {
        usleep(50_000);
        UNLOCK_FN.unwrap()(&raw mut HOLD);
    }
    null_mut()
}

/// mutex_blocking(callable) -> result of calling `callable` on another
/// Python thread while this one waits in PyMutex_Lock (which must release
/// the GIL): the lock is held by a native thread that releases it later.
unsafe extern "C" fn mutex_blocking(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let lock = sym!(c"PyMutex_Lock" => unsafe extern "C" fn(*mut u8));
    UNLOCK_FN = Some(sym!(c"PyMutex_Unlock" => unsafe extern "C" fn(*mut u8)));
    lock(&raw mut HOLD);
    let mut t = 0;
    pthread_create(&mut t, null(), release_later, null_mut());
    lock(&raw mut HOLD);
    let byte = HOLD;
    UNLOCK_FN.unwrap()(&raw mut HOLD);
    let ts = PyEval_SaveThread();
    pthread_join(t, null_mut());
    PyEval_RestoreThread(ts);
    tuple(&[int(byte as i64), int(HOLD as i64)])
}

/// event(initial byte, timeout_ns) -> (PyEvent_WaitTimed result, elapsed ns).
unsafe extern "C" fn event(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let wait_timed = sym!(c"PyEvent_WaitTimed" => unsafe extern "C" fn(*mut u8, i64, c_int) -> c_int);
    let wait = sym!(c"PyEvent_Wait" => unsafe extern "C" fn(*mut u8));
    let mut e = arg_i64(a, 0) as u8;
    let start = std::time::Instant::now();
    let r = wait_timed(&mut e, arg_i64(a, 1), 1);
    let el = start.elapsed().as_nanos() as i64;
    if r == 1 {
        wait(&mut e);
    }
    tuple(&[int(r as i64), int(el)])
}

/// critical(obj) -> True after a begin/end pair of each critical-section kind.
unsafe extern "C" fn critical(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let b1 = sym!(c"PyCriticalSection_Begin" => unsafe extern "C" fn(*mut c_void, *mut PyObject));
    let e1 = sym!(c"PyCriticalSection_End" => unsafe extern "C" fn(*mut c_void));
    let b2 = sym!(c"PyCriticalSection2_Begin" => unsafe extern "C" fn(*mut c_void, *mut PyObject, *mut PyObject));
    let e2 = sym!(c"PyCriticalSection2_End" => unsafe extern "C" fn(*mut c_void));
    let o = arg(a, 0);
    let mut cs = [0usize; 3];
    let mut m1 = 0u8;
    let mut m2 = 0u8;
    b1(cs.as_mut_ptr().cast(), o);
    e1(cs.as_mut_ptr().cast());
    b2(cs.as_mut_ptr().cast(), o, o);
    e2(cs.as_mut_ptr().cast());
    // The mutex forms are new in 3.14.
    let bm = lookup(c"PyCriticalSection_BeginMutex");
    let bm2 = lookup(c"PyCriticalSection2_BeginMutex");
    if !bm.is_null() && !bm2.is_null() {
        let bm: unsafe extern "C" fn(*mut c_void, *mut u8) = std::mem::transmute(bm);
        let bm2: unsafe extern "C" fn(*mut c_void, *mut u8, *mut u8) = std::mem::transmute(bm2);
        bm(cs.as_mut_ptr().cast(), &mut m1);
        e1(cs.as_mut_ptr().cast());
        bm2(cs.as_mut_ptr().cast(), &mut m1, &mut m2);
        e2(cs.as_mut_ptr().cast());
    }
    PyBool_FromLong((m1 == 0 && m2 == 0) as c_long)
}

// ---- thread and interpreter states ----

type Ts = *mut c_void;

/// tstate_info() -> dict of what the thread-state accessors report.
unsafe extern "C" fn tstate_info(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let get_interp = sym!(c"PyThreadState_GetInterpreter" => unsafe extern "C" fn(Ts) -> Ts);
    let interp_get = sym!(c"PyInterpreterState_Get" => unsafe extern "C" fn() -> Ts);
    let head = sym!(c"PyInterpreterState_Head" => unsafe extern "C" fn() -> Ts);
    let main = sym!(c"PyInterpreterState_Main" => unsafe extern "C" fn() -> Ts);
    let next = sym!(c"PyInterpreterState_Next" => unsafe extern "C" fn(Ts) -> Ts);
    let thead = sym!(c"PyInterpreterState_ThreadHead" => unsafe extern "C" fn(Ts) -> Ts);
    let tnext = sym!(c"PyThreadState_Next" => unsafe extern "C" fn(Ts) -> Ts);
    let get_id = sym!(c"PyThreadState_GetID" => unsafe extern "C" fn(Ts) -> u64);
    let get_dict = sym!(c"PyThreadState_GetDict" => unsafe extern "C" fn() -> *mut PyObject);
    let idict = sym!(c"PyInterpreterState_GetDict" => unsafe extern "C" fn(Ts) -> *mut PyObject);
    let ts = PyThreadState_Get() as Ts;
    let interp = interp_get();
    // Walk the thread list: the current state must be on it.
    let mut found = false;
    let mut n = 0;
    let mut t = thead(interp);
    while !t.is_null() && n < 10000 {
        found |= t == ts;
        t = tnext(t);
        n += 1;
    }
    let d1 = get_dict();
    let rc1 = Py_REFCNT(d1);
    let d2 = get_dict();
    let rc2 = Py_REFCNT(d2);
    let i1 = idict(interp);
    let i2 = idict(interp);
    let d = PyDict_New();
    let set = |k: &CStr, v: *mut PyObject| {
        PyDict_SetItemString(d, k.as_ptr(), v);
        Py_DECREF(v);
    };
    set(c"interp_of_tstate", PyBool_FromLong((get_interp(ts) == interp) as c_long));
    set(c"head_is_main", PyBool_FromLong((head() == main() && main() == interp) as c_long));
    set(c"next_interp_null", PyBool_FromLong(next(interp).is_null() as c_long));
    set(c"tstate_listed", PyBool_FromLong(found as c_long));
    set(c"id", PyLong_FromUnsignedLongLong(get_id(ts)));
    set(c"dict_same", PyBool_FromLong((d1 == d2 && !d1.is_null()) as c_long));
    set(c"dict_borrowed", PyBool_FromLong((rc1 == rc2) as c_long));
    set(c"dict_is_dict", PyBool_FromLong((PyDict_Check(d1) != 0) as c_long));
    set(c"idict_same", PyBool_FromLong((i1 == i2 && !i1.is_null() && PyDict_Check(i1) != 0) as c_long));
    set(c"gilstate_is_tstate", PyBool_FromLong((PyGILState_GetThisThreadState() as Ts == ts) as c_long));
    d
}

/// tstate_dict_put(key, value) -> stores into the thread-state dict; tstate_dict_get(key).
unsafe extern "C" fn tstate_dict(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let get_dict = sym!(c"PyThreadState_GetDict" => unsafe extern "C" fn() -> *mut PyObject);
    Py_NewRef(get_dict())
}

/// current_frame_name() -> the code name of PyThreadState_GetFrame(current).
unsafe extern "C" fn current_frame_name(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let get_frame = sym!(c"PyThreadState_GetFrame" => unsafe extern "C" fn(Ts) -> *mut PyObject);
    let f = get_frame(PyThreadState_Get() as Ts);
    if f.is_null() {
        return Py_NewRef(Py_None());
    }
    let code = PyObject_GetAttrString(f, c"f_code".as_ptr());
    Py_DECREF(f);
    if code.is_null() {
        return null_mut();
    }
    let name = PyObject_GetAttrString(code, c"co_name".as_ptr());
    Py_DECREF(code);
    name
}

/// release_acquire() -> PyGILState_Check() after PyEval_ReleaseThread, then after PyEval_AcquireThread.
unsafe extern "C" fn release_acquire(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let release = sym!(c"PyEval_ReleaseThread" => unsafe extern "C" fn(Ts));
    let acquire = sym!(c"PyEval_AcquireThread" => unsafe extern "C" fn(Ts));
    let swap = sym!(c"PyThreadState_Swap" => unsafe extern "C" fn(Ts) -> Ts);
    let ts = PyThreadState_Get() as Ts;
    release(ts);
    let a = PyGILState_Check();
    acquire(ts);
    let b = PyGILState_Check();
    let old = swap(null_mut());
    let c = PyGILState_Check();
    let back = swap(old);
    let e = PyGILState_Check();
    tuple(&[int(a as i64), int(b as i64), PyBool_FromLong((old == ts) as c_long), int(c as i64), PyBool_FromLong(back.is_null() as c_long), int(e as i64)])
}

struct NewThreadJob {
    interp: Ts,
    callable: *mut PyObject,
    result: *mut PyObject,
    error: *mut PyObject,
    dict_fresh: bool,
}

extern "C" fn new_tstate_thread(p: *mut c_void) -> *mut c_void {
    unsafe {
        let job = &mut *(p as *mut NewThreadJob);
        let new: unsafe extern "C" fn(Ts) -> Ts = std::mem::transmute(lookup(c"PyThreadState_New"));
        let acquire: unsafe extern "C" fn(Ts) = std::mem::transmute(lookup(c"PyEval_AcquireThread"));
        let clear: unsafe extern "C" fn(Ts) = std::mem::transmute(lookup(c"PyThreadState_Clear"));
        let delete_current: unsafe extern "C" fn() = std::mem::transmute(lookup(c"PyThreadState_DeleteCurrent"));
        let get_dict: unsafe extern "C" fn() -> *mut PyObject = std::mem::transmute(lookup(c"PyThreadState_GetDict"));
        let ts = new(job.interp);
        acquire(ts);
        let d = get_dict();
        job.dict_fresh = !d.is_null() && PyDict_Size(d) == 0;
        job.result = PyObject_CallNoArgs(job.callable);
        if job.result.is_null() {
            job.error = PyErr_GetRaisedException();
        }
        clear(ts);
        delete_current();
    }
    null_mut()
}

/// in_new_tstate(callable) -> (callable() run on a native thread under a
/// state from PyThreadState_New, whether its dict started empty).
unsafe extern "C" fn in_new_tstate(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let interp_get = sym!(c"PyInterpreterState_Get" => unsafe extern "C" fn() -> Ts);
    let _ = sym!(c"PyThreadState_New" => unsafe extern "C" fn(Ts) -> Ts);
    let get_dict = sym!(c"PyThreadState_GetDict" => unsafe extern "C" fn() -> *mut PyObject);
    // Make this thread's dict non-empty so a shared dict would show.
    PyDict_SetItemString(get_dict(), c"capi_runtime_marker".as_ptr(), Py_True());
    let mut job = NewThreadJob { interp: interp_get(), callable: arg(a, 0), result: null_mut(), error: null_mut(), dict_fresh: false };
    let ts = PyEval_SaveThread();
    let mut t = 0;
    pthread_create(&mut t, null(), new_tstate_thread, (&raw mut job).cast());
    pthread_join(t, null_mut());
    PyEval_RestoreThread(ts);
    PyDict_DelItemString(get_dict(), c"capi_runtime_marker".as_ptr());
    if job.result.is_null() {
        PyErr_SetRaisedException(job.error);
        return null_mut();
    }
    tuple(&[job.result, PyBool_FromLong(job.dict_fresh as c_long)])
}

/// set_async_exc(thread_id, exc or None) -> PyThreadState_SetAsyncExc result.
unsafe extern "C" fn set_async_exc(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyThreadState_SetAsyncExc" => unsafe extern "C" fn(c_ulong, *mut PyObject) -> c_int);
    let exc = arg(a, 1);
    let r = f(PyLong_AsUnsignedLong(arg(a, 0)), if exc == Py_None() { null_mut() } else { exc });
    int(r as i64)
}

/// make_pending_calls() -> Py_MakePendingCalls() (NULL if it failed).
unsafe extern "C" fn make_pending_calls(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"Py_MakePendingCalls" => unsafe extern "C" fn() -> c_int);
    if f() != 0 {
        return null_mut();
    }
    int(0)
}

unsafe extern "C" fn pending_append(arg: *mut c_void) -> c_int {
    // arg: a list (one owned reference, released here).
    let l = arg as *mut PyObject;
    let one = int(1);
    let r = PyList_Append(l, one);
    Py_DECREF(one);
    Py_DECREF(l);
    r
}

unsafe extern "C" fn pending_fail(_arg: *mut c_void) -> c_int {
    PyErr_SetString(PyExc_ValueError, c"pending call failed".as_ptr());
    -1
}

/// add_pending(list, n, fail) -> how many of n `list.append(1)` calls
/// Py_AddPendingCall accepted (plus a failing call if `fail`).
unsafe extern "C" fn add_pending(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let add = sym!(c"Py_AddPendingCall" => unsafe extern "C" fn(unsafe extern "C" fn(*mut c_void) -> c_int, *mut c_void) -> c_int);
    let l = arg(a, 0);
    let n = arg_i64(a, 1);
    let mut ok = 0;
    if arg_i64(a, 2) != 0 {
        add(pending_fail, null_mut());
    }
    for _ in 0..n {
        Py_INCREF(l);
        if add(pending_append, l.cast()) == 0 {
            ok += 1;
        } else {
            Py_DECREF(l);
        }
    }
    int(ok)
}

/// state_module() -> (FindModule(def) is this module, RemoveModule, Find after,
/// AddModule, Find after) for this single-phase module's own definition.
unsafe extern "C" fn state_module(m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let find = sym!(c"PyState_FindModule" => unsafe extern "C" fn(*mut PyModuleDef) -> *mut PyObject);
    let add = sym!(c"PyState_AddModule" => unsafe extern "C" fn(*mut PyObject, *mut PyModuleDef) -> c_int);
    let remove = sym!(c"PyState_RemoveModule" => unsafe extern "C" fn(*mut PyModuleDef) -> c_int);
    let def = &raw mut MODULE;
    let a = find(def) == m;
    let rc = Py_REFCNT(m);
    let b = remove(def);
    let c = find(def).is_null();
    let d = add(m, def);
    let e = find(def) == m;
    let rc2 = Py_REFCNT(m);
    tuple(&[PyBool_FromLong(a as c_long), int(b as i64), PyBool_FromLong(c as c_long), int(d as i64), PyBool_FromLong(e as c_long), int(rc2 as i64 - rc as i64)])
}

static mut SLOTS: [PyModuleDef_Slot; 1] = [PyModuleDef_Slot { slot: 0, value: null_mut() }];
static mut SLOT_DEF: PyModuleDef = module_def(c"capi_runtime_slots");

/// An empty single-phase module definition named `name`.
const fn module_def(name: &'static CStr) -> PyModuleDef {
    PyModuleDef {
        m_base: PyModuleDef_HEAD_INIT,
        m_name: name.as_ptr(),
        m_doc: std::ptr::null(),
        m_size: 0,
        m_methods: null_mut(),
        m_slots: null_mut(),
        m_traverse: None,
        m_clear: None,
        m_free: None,
    }
}

/// state_add_slots() -> PyState_AddModule(module, def with m_slots) (raises SystemError).
unsafe extern "C" fn state_add_slots(m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let add = sym!(c"PyState_AddModule" => unsafe extern "C" fn(*mut PyObject, *mut PyModuleDef) -> c_int);
    let find = sym!(c"PyState_FindModule" => unsafe extern "C" fn(*mut PyModuleDef) -> *mut PyObject);
    SLOT_DEF.m_slots = (&raw mut SLOTS).cast();
    if !find(&raw mut SLOT_DEF).is_null() {
        return int(99);
    }
    if add(m, &raw mut SLOT_DEF) < 0 {
        return null_mut();
    }
    int(0)
}

// ---- trace and profile ----

type TraceFn = unsafe extern "C" fn(*mut PyObject, *mut PyObject, c_int, *mut PyObject) -> c_int;

/// Appends (what, frame.f_code.co_name) to the list `obj`.
unsafe extern "C" fn record(obj: *mut PyObject, frame: *mut PyObject, what: c_int, _arg: *mut PyObject) -> c_int {
    let code = PyObject_GetAttrString(frame, c"f_code".as_ptr());
    if code.is_null() {
        return -1;
    }
    let name = PyObject_GetAttrString(code, c"co_name".as_ptr());
    Py_DECREF(code);
    if name.is_null() {
        return -1;
    }
    let t = tuple(&[int(what as i64), name]);
    let r = PyList_Append(obj, t);
    Py_DECREF(t);
    r
}

static FAIL_ONCE: AtomicUsize = AtomicUsize::new(0);

/// Fails its first call after installation only (CPython keeps a failing C
/// trace function installed).
unsafe extern "C" fn fail_trace(_obj: *mut PyObject, _frame: *mut PyObject, _what: c_int, _arg: *mut PyObject) -> c_int {
    if FAIL_ONCE.swap(0, Ordering::Relaxed) == 0 {
        return 0;
    }
    PyErr_SetString(PyExc_RuntimeError, c"trace function failed".as_ptr());
    -1
}

/// hook(kind, list or None, fail) — kind: b"profile", b"trace",
/// b"profile_all", b"trace_all"; None removes the function.
unsafe extern "C" fn hook(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let kind = CStr::from_ptr(arg_bytes(a, 0)).to_bytes();
    let f = match kind {
        b"profile" => sym!(c"PyEval_SetProfile" => unsafe extern "C" fn(Option<TraceFn>, *mut PyObject)),
        b"trace" => sym!(c"PyEval_SetTrace" => unsafe extern "C" fn(Option<TraceFn>, *mut PyObject)),
        b"profile_all" => sym!(c"PyEval_SetProfileAllThreads" => unsafe extern "C" fn(Option<TraceFn>, *mut PyObject)),
        _ => sym!(c"PyEval_SetTraceAllThreads" => unsafe extern "C" fn(Option<TraceFn>, *mut PyObject)),
    };
    let l = arg(a, 1);
    let func: TraceFn = if arg_i64(a, 2) != 0 {
        FAIL_ONCE.store(1, Ordering::Relaxed);
        fail_trace
    } else {
        record
    };
    if l == Py_None() {
        f(None, null_mut());
    } else {
        f(Some(func), l);
    }
    if !PyErr_Occurred().is_null() {
        return null_mut();
    }
    Py_NewRef(Py_None())
}

/// untraced(callable) -> callable() between EnterTracing and LeaveTracing.
unsafe extern "C" fn untraced(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let enter = sym!(c"PyThreadState_EnterTracing" => unsafe extern "C" fn(Ts));
    let leave = sym!(c"PyThreadState_LeaveTracing" => unsafe extern "C" fn(Ts));
    let ts = PyThreadState_Get() as Ts;
    enter(ts);
    let r = PyObject_CallNoArgs(arg(a, 0));
    leave(ts);
    r
}

// ---- signals, fork, interrupts ----

/// sigs(signum) -> (setsig(SIG_IGN) result, getsig after, setsig(old) result, getsig after).
unsafe extern "C" fn sigs(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let getsig = sym!(c"PyOS_getsig" => unsafe extern "C" fn(c_int) -> usize);
    let setsig = sym!(c"PyOS_setsig" => unsafe extern "C" fn(c_int, usize) -> usize);
    let s = arg_i64(a, 0) as c_int;
    let old = setsig(s, 1);
    let now = getsig(s);
    let back = setsig(s, old);
    let after = getsig(s);
    tuple(&[int(old as i64), int(now as i64), int(back as i64), int(after as i64)])
}

/// getsig(signum) -> PyOS_getsig (as a signed integer: SIG_ERR is -1).
unsafe extern "C" fn getsig(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let getsig = sym!(c"PyOS_getsig" => unsafe extern "C" fn(c_int) -> isize);
    int(getsig(arg_i64(a, 0) as c_int) as i64)
}

/// set_wakeup_fd(fd) -> PySignal_SetWakeupFd(fd).
unsafe extern "C" fn set_wakeup_fd(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PySignal_SetWakeupFd" => unsafe extern "C" fn(c_int) -> c_int);
    int(f(arg_i64(a, 0) as c_int) as i64)
}

/// interrupt_occurred() -> (PyOS_InterruptOccurred(), after PyErr_SetInterrupt, once more).
unsafe extern "C" fn interrupt_occurred(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyOS_InterruptOccurred" => unsafe extern "C" fn() -> c_int);
    let a = f();
    PyErr_SetInterrupt();
    let b = f();
    let c = f();
    tuple(&[int(a as i64), int(b as i64), int(c as i64)])
}

/// fork_hooks(which: bytes) -> calls PyOS_BeforeFork / PyOS_AfterFork_Parent.
unsafe extern "C" fn fork_hooks(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    match CStr::from_ptr(arg_bytes(a, 0)).to_bytes() {
        b"before" => sym!(c"PyOS_BeforeFork" => unsafe extern "C" fn())(),
        _ => sym!(c"PyOS_AfterFork_Parent" => unsafe extern "C" fn())(),
    }
    Py_NewRef(Py_None())
}

/// c_fork() -> fork() bracketed by PyOS_BeforeFork and PyOS_AfterFork_Child/Parent, as a C extension forks.
unsafe extern "C" fn c_fork(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    extern "C" {
        fn fork() -> c_int;
    }
    let before = sym!(c"PyOS_BeforeFork" => unsafe extern "C" fn());
    let child = sym!(c"PyOS_AfterFork_Child" => unsafe extern "C" fn());
    let parent = sym!(c"PyOS_AfterFork_Parent" => unsafe extern "C" fn());
    before();
    let pid = fork();
    if pid == 0 {
        child();
    } else {
        parent();
    }
    int(pid as i64)
}

/// check_stack() -> PyOS_CheckStack().
unsafe extern "C" fn check_stack(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyOS_CheckStack" => unsafe extern "C" fn() -> c_int);
    int(f() as i64)
}

/// stack_protection(size) -> SetStackProtection on a heap block of `size`, then Reset.
unsafe extern "C" fn stack_protection(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let set = sym!(c"PyUnstable_ThreadState_SetStackProtection" => unsafe extern "C" fn(Ts, *mut c_void, usize) -> c_int);
    let reset = sym!(c"PyUnstable_ThreadState_ResetStackProtection" => unsafe extern "C" fn(Ts));
    let size = arg_i64(a, 0) as usize;
    let mut block = vec![0u8; size.max(1)];
    let ts = PyThreadState_Get() as Ts;
    let r = set(ts, block.as_mut_ptr().cast(), size);
    reset(ts);
    if r != 0 {
        return null_mut();
    }
    int(r as i64)
}

// ---- exit paths (run in subprocesses) ----

extern "C" fn c_atexit() {
    let msg = b"c-atexit-ran\n";
    unsafe { write(2, msg.as_ptr().cast(), msg.len()) };
}

extern "C" fn c_unstable_atexit(data: *mut c_void) {
    let msg = unsafe { CStr::from_ptr(data as *const c_char) }.to_bytes();
    unsafe { write(2, msg.as_ptr().cast(), msg.len()) };
}

/// exit_path(kind: bytes, arg) — b"fatal_func", b"fatal", b"exit", b"atexit", b"unstable_atexit".
unsafe extern "C" fn exit_path(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    match CStr::from_ptr(arg_bytes(a, 0)).to_bytes() {
        b"fatal_func" => sym!(c"_Py_FatalErrorFunc" => unsafe extern "C" fn(*const c_char, *const c_char))(c"probe_func".as_ptr(), c"boom".as_ptr()),
        b"fatal" => sym!(c"Py_FatalError" => unsafe extern "C" fn(*const c_char))(c"plain boom".as_ptr()),
        b"exit" => sym!(c"Py_Exit" => unsafe extern "C" fn(c_int))(arg_i64(a, 1) as c_int),
        b"atexit" => return int(sym!(c"Py_AtExit" => unsafe extern "C" fn(extern "C" fn()) -> c_int)(c_atexit) as i64),
        _ => {
            let f = sym!(c"PyUnstable_AtExit" => unsafe extern "C" fn(Ts, extern "C" fn(*mut c_void), *mut c_void) -> c_int);
            let interp: unsafe extern "C" fn() -> Ts = std::mem::transmute(lookup(c"PyInterpreterState_Get"));
            return int(f(interp(), c_unstable_atexit, c"unstable-atexit-ran\n".as_ptr() as *mut c_void) as i64);
        }
    }
    Py_NewRef(Py_None())
}

// ---- files and locale ----

/// decode_locale(bytes) -> (list of code points, size) via Py_DecodeLocale.
unsafe extern "C" fn decode_locale(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"Py_DecodeLocale" => unsafe extern "C" fn(*const c_char, *mut usize) -> *mut i32);
    let mut size = 0usize;
    let w = f(arg_bytes(a, 0), &mut size);
    if w.is_null() {
        return tuple(&[Py_NewRef(Py_None()), int(size as i64)]);
    }
    let l = PyList_New(0);
    let mut i = 0;
    while *w.add(i) != 0 {
        let v = int(*w.add(i) as i64);
        PyList_Append(l, v);
        Py_DECREF(v);
        i += 1;
    }
    PyMem_RawFree(w.cast());
    tuple(&[l, int(size as i64)])
}

/// encode_locale(list of code points) -> (bytes or None, error_pos) via Py_EncodeLocale.
unsafe extern "C" fn encode_locale(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"Py_EncodeLocale" => unsafe extern "C" fn(*const i32, *mut usize) -> *mut c_char);
    let l = arg(a, 0);
    let mut w: Vec<i32> = (0..PyList_Size(l)).map(|i| PyLong_AsLong(PyList_GetItem(l, i)) as i32).collect();
    w.push(0);
    let mut pos = 12345usize;
    let r = f(w.as_ptr(), &mut pos);
    let b = bytes(r);
    if !r.is_null() {
        PyMem_Free(r.cast());
    }
    tuple(&[b, int(pos as i64)])
}

/// fopen_write(path, mode, data) -> bytes written via Py_fopen/Py_fclose, or raises.
unsafe extern "C" fn fopen_write(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let open = sym!(c"Py_fopen" => unsafe extern "C" fn(*mut PyObject, *const c_char) -> *mut c_void);
    let close = sym!(c"Py_fclose" => unsafe extern "C" fn(*mut c_void) -> c_int);
    extern "C" {
        fn fwrite(p: *const c_void, size: usize, n: usize, f: *mut c_void) -> usize;
        fn fileno(f: *mut c_void) -> c_int;
        fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    }
    let f = open(arg(a, 0), arg_bytes(a, 1));
    if f.is_null() {
        return null_mut();
    }
    let cloexec = fcntl(fileno(f), 1 /* F_GETFD */) & 1;
    let data = arg(a, 2);
    let n = fwrite(PyBytes_AsString(data).cast(), 1, PyBytes_Size(data) as usize, f);
    let rc = close(f);
    tuple(&[int(n as i64), int(rc as i64), int(cloexec as i64)])
}

/// fgets_all(path: bytes, n) -> list of Py_UniversalNewlineFgets lines (buffer size n).
unsafe extern "C" fn fgets_all(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let fgets = sym!(c"Py_UniversalNewlineFgets" => unsafe extern "C" fn(*mut c_char, c_int, *mut c_void, *mut PyObject) -> *mut c_char);
    let interactive = sym!(c"Py_FdIsInteractive" => unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int);
    let f = fopen(arg_bytes(a, 0), c"rb".as_ptr());
    if f.is_null() {
        PyErr_SetString(PyExc_OSError, c"fopen failed".as_ptr());
        return null_mut();
    }
    let n = arg_i64(a, 1) as c_int;
    let out = PyList_New(0);
    let mut buf = vec![0 as c_char; n as usize];
    loop {
        let r = fgets(buf.as_mut_ptr(), n, f, null_mut());
        if r.is_null() {
            break;
        }
        let b = PyBytes_FromString(r);
        PyList_Append(out, b);
        Py_DECREF(b);
    }
    let inter = interactive(f, c"somefile".as_ptr());
    // A file object argument is refused with errno ENXIO.
    *__errno_location() = 0;
    let refused = fgets(buf.as_mut_ptr(), n, f, out).is_null() && *__errno_location() == 6;
    fclose(f);
    tuple(&[out, int(inter as i64), PyBool_FromLong(refused as c_long)])
}

static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn input_hook() -> c_int {
    HOOK_CALLS.fetch_add(1, Ordering::Relaxed);
    0
}

/// readline(path: bytes, prompt: bytes, times) -> list of PyOS_Readline results
/// reading from the file, and how often PyOS_InputHook ran.
unsafe extern "C" fn readline(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyOS_Readline" => unsafe extern "C" fn(*mut c_void, *mut c_void, *const c_char) -> *mut c_char);
    let hook = lookup(c"PyOS_InputHook") as *mut Option<unsafe extern "C" fn() -> c_int>;
    let fp = lookup(c"PyOS_ReadlineFunctionPointer") as *mut *mut c_void;
    if hook.is_null() || fp.is_null() {
        PyErr_SetString(PyExc_NotImplementedError, c"PyOS_InputHook".as_ptr());
        return null_mut();
    }
    let fin = fopen(arg_bytes(a, 0), c"r".as_ptr());
    let fout = fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
    let saved = *hook;
    *hook = Some(input_hook);
    HOOK_CALLS.store(0, Ordering::Relaxed);
    let out = PyList_New(0);
    for _ in 0..arg_i64(a, 2) {
        let r = f(fin, fout, arg_bytes(a, 1));
        if r.is_null() {
            Py_DECREF(out);
            *hook = saved;
            return null_mut();
        }
        let b = PyBytes_FromString(r);
        PyMem_Free(r.cast());
        PyList_Append(out, b);
        Py_DECREF(b);
    }
    *hook = saved;
    fclose(fin);
    fclose(fout);
    tuple(&[out, int(HOOK_CALLS.load(Ordering::Relaxed) as i64), PyBool_FromLong((!(*fp).is_null()) as c_long)])
}

// ---- reference counts and objects ----

/// refcount_helpers(obj) -> dict of the PyUnstable refcount helpers on `obj`.
unsafe extern "C" fn refcount_helpers(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let immortal = sym!(c"PyUnstable_IsImmortal" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let try_inc = sym!(c"PyUnstable_TryIncRef" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let enable_try = sym!(c"PyUnstable_EnableTryIncRef" => unsafe extern "C" fn(*mut PyObject));
    let unique = sym!(c"PyUnstable_Object_IsUniquelyReferenced" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let unique_tmp = sym!(c"PyUnstable_Object_IsUniqueReferencedTemporary" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let deferred = sym!(c"PyUnstable_Object_EnableDeferredRefcount" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    let o = arg(a, 0);
    let d = PyDict_New();
    let set = |k: &CStr, v: i64| {
        let x = int(v);
        PyDict_SetItemString(d, k.as_ptr(), x);
        Py_DECREF(x);
    };
    set(c"immortal", immortal(o) as i64);
    enable_try(o);
    let before = Py_REFCNT(o);
    set(c"try_incref", try_inc(o) as i64);
    set(c"try_incref_delta", (Py_REFCNT(o) - before) as i64);
    Py_DECREF(o);
    set(c"unique_arg", unique(o) as i64);
    set(c"unique_tmp_arg", unique_tmp(o) as i64);
    set(c"deferred", deferred(o) as i64);
    let fresh = PyList_New(0);
    set(c"unique_fresh", unique(fresh) as i64);
    Py_INCREF(fresh);
    set(c"unique_fresh_twice", unique(fresh) as i64);
    Py_DECREF(fresh);
    Py_DECREF(fresh);
    set(c"immortal_none", immortal(Py_None()) as i64);
    d
}

/// clear_weakrefs(obj) -> calls PyUnstable_Object_ClearWeakRefsNoCallbacks(obj).
unsafe extern "C" fn clear_weakrefs(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyUnstable_Object_ClearWeakRefsNoCallbacks" => unsafe extern "C" fn(*mut PyObject));
    f(arg(a, 0));
    if !PyErr_Occurred().is_null() {
        return null_mut();
    }
    Py_NewRef(Py_None())
}

/// version_tag(type) -> PyUnstable_Type_AssignVersionTag(type).
unsafe extern "C" fn version_tag(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyUnstable_Type_AssignVersionTag" => unsafe extern "C" fn(*mut PyObject) -> c_int);
    int(f(arg(a, 0)) as i64)
}

unsafe extern "C" fn tracer(_o: *mut PyObject, _event: c_int, _data: *mut c_void) {}

/// ref_tracer() -> (SetTracer rc, GetTracer returns it and its data, reset rc, GetTracer NULL after).
unsafe extern "C" fn ref_tracer(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    type Tracer = unsafe extern "C" fn(*mut PyObject, c_int, *mut c_void);
    let set = sym!(c"PyRefTracer_SetTracer" => unsafe extern "C" fn(Option<Tracer>, *mut c_void) -> c_int);
    let get = sym!(c"PyRefTracer_GetTracer" => unsafe extern "C" fn(*mut *mut c_void) -> Option<Tracer>);
    let mut old_data = null_mut();
    let old = get(&mut old_data);
    let a = set(Some(tracer), 0x1234 as *mut c_void);
    let mut data = null_mut();
    let got = get(&mut data);
    let same = got.map(|f| f as usize) == Some(tracer as *const () as usize) && data as usize == 0x1234;
    let b = set(old, old_data);
    let mut d2 = null_mut();
    let after = get(&mut d2).map(|f| f as usize) == old.map(|f| f as usize);
    tuple(&[int(a as i64), PyBool_FromLong(same as c_long), int(b as i64), PyBool_FromLong(after as c_long)])
}

/// executable_kinds() -> the type objects of PyUnstable_ExecutableKinds (None for NULL).
unsafe extern "C" fn executable_kinds(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let p = lookup(c"PyUnstable_ExecutableKinds") as *const *mut PyObject;
    if p.is_null() {
        PyErr_SetString(PyExc_NotImplementedError, c"PyUnstable_ExecutableKinds".as_ptr());
        return null_mut();
    }
    let mut out = vec![];
    for i in 0..6 {
        let t = *p.add(i);
        out.push(Py_NewRef(if t.is_null() { Py_None() } else { t }));
    }
    tuple(&out)
}

/// gc_new_extra(type, extra) -> True if the new object's extra bytes are zero.
unsafe extern "C" fn gc_new_extra(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let f = sym!(c"PyUnstable_Object_GC_NewWithExtraData" => unsafe extern "C" fn(*mut PyObject, usize) -> *mut PyObject);
    let tp = arg(a, 0);
    let extra = arg_i64(a, 1) as usize;
    let o = f(tp, extra);
    if o.is_null() {
        return null_mut();
    }
    let basic = (*(tp as *mut PyTypeObject)).tp_basicsize as usize;
    let tail = std::slice::from_raw_parts((o as *const u8).add(basic), extra);
    let zero = tail.iter().all(|&b| b == 0);
    let same_type = Py_TYPE(o) == tp as *mut PyTypeObject;
    Py_DECREF(o);
    tuple(&[PyBool_FromLong(zero as c_long), PyBool_FromLong(same_type as c_long)])
}

unsafe extern "C" fn extra_dealloc(o: *mut PyObject) {
    let tp = Py_TYPE(o);
    PyObject_GC_UnTrack(o.cast());
    PyObject_GC_Del(o.cast());
    Py_DECREF(tp.cast());
}

unsafe extern "C" fn extra_traverse(_o: *mut PyObject, _visit: visitproc, _arg: *mut c_void) -> c_int {
    0
}

/// gc_type() -> a heap GC type for gc_new_extra.
unsafe extern "C" fn gc_type(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let slots = Box::leak(Box::new([
        PyType_Slot { slot: Py_tp_dealloc, pfunc: extra_dealloc as *mut c_void },
        PyType_Slot { slot: Py_tp_traverse, pfunc: extra_traverse as *mut c_void },
        PyType_Slot { slot: 0, pfunc: null_mut() },
    ]));
    let spec = Box::leak(Box::new(PyType_Spec {
        name: c"capi_runtime.GcThing".as_ptr(),
        basicsize: std::mem::size_of::<PyObject>() as c_int,
        itemsize: 0,
        flags: (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC) as c_uint,
        slots: slots.as_mut_ptr(),
    }));
    PyType_FromSpec(spec)
}

/// tracemalloc() -> (Track, Untrack) results.
unsafe extern "C" fn tracemalloc(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let track = sym!(c"PyTraceMalloc_Track" => unsafe extern "C" fn(c_uint, usize, usize) -> c_int);
    let untrack = sym!(c"PyTraceMalloc_Untrack" => unsafe extern "C" fn(c_uint, usize) -> c_int);
    let x = 0u64;
    tuple(&[int(track(7, &x as *const u64 as usize, 8) as i64), int(untrack(7, &x as *const u64 as usize) as i64)])
}

#[repr(C)]
struct MonState {
    active: u8,
    opaque: u8,
}

/// monitoring(events: bytes) -> (EnterScope rc, [active per event], version changed, second EnterScope keeps version, ExitScope rc).
unsafe extern "C" fn monitoring(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let enter = sym!(c"PyMonitoring_EnterScope" => unsafe extern "C" fn(*mut MonState, *mut u64, *const u8, Py_ssize_t) -> c_int);
    let exit = sym!(c"PyMonitoring_ExitScope" => unsafe extern "C" fn() -> c_int);
    let ev = arg(a, 0);
    let n = PyBytes_Size(ev) as usize;
    let events = std::slice::from_raw_parts(PyBytes_AsString(ev) as *const u8, n);
    let mut states: Vec<MonState> = (0..n).map(|_| MonState { active: 0xff, opaque: 0 }).collect();
    let mut version = 0u64;
    let rc = enter(states.as_mut_ptr(), &mut version, events.as_ptr(), n as Py_ssize_t);
    let v1 = version;
    for s in states.iter_mut() {
        s.active = 0xee;
    }
    let rc2 = enter(states.as_mut_ptr(), &mut version, events.as_ptr(), n as Py_ssize_t);
    let untouched = states.iter().all(|s| s.active == 0xee) && version == v1;
    let x = exit();
    // Read the values from the first call again.
    let mut version = 0u64;
    enter(states.as_mut_ptr(), &mut version, events.as_ptr(), n as Py_ssize_t);
    let l = PyList_New(0);
    for s in &states {
        let v = int(s.active as i64);
        PyList_Append(l, v);
        Py_DECREF(v);
    }
    let _ = states[0].opaque;
    tuple(&[int(rc as i64), l, PyBool_FromLong((v1 != 0) as c_long), int(rc2 as i64), PyBool_FromLong(untouched as c_long), int(x as i64)])
}

/// perf_map(parent: bytes) -> (Init, Write, CopyPerfMapFile(parent), SetPersistAfterFork(0)); then Fini.
unsafe extern "C" fn perf_map(_m: *mut PyObject, a: *mut PyObject) -> *mut PyObject {
    let init = sym!(c"PyUnstable_PerfMapState_Init" => unsafe extern "C" fn() -> c_int);
    let write_ = sym!(c"PyUnstable_WritePerfMapEntry" => unsafe extern "C" fn(*const c_void, c_uint, *const c_char) -> c_int);
    let copy = sym!(c"PyUnstable_CopyPerfMapFile" => unsafe extern "C" fn(*const c_char) -> c_int);
    let persist = sym!(c"PyUnstable_PerfTrampoline_SetPersistAfterFork" => unsafe extern "C" fn(c_int) -> c_int);
    let fini = sym!(c"PyUnstable_PerfMapState_Fini" => unsafe extern "C" fn());
    let a1 = init();
    let a2 = write_(0xabcdef as *const c_void, 0x42, c"capi_runtime_entry".as_ptr());
    let a3 = copy(arg_bytes(a, 0));
    let a4 = persist(0);
    fini();
    tuple(&[int(a1 as i64), int(a2 as i64), int(a3 as i64), int(a4 as i64)])
}

#[repr(C)]
#[derive(Clone, Copy)]
struct ArenaAllocator {
    ctx: *mut c_void,
    alloc: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    free: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, usize)>,
}

unsafe extern "C" fn my_arena_alloc(_c: *mut c_void, _n: usize) -> *mut c_void {
    null_mut()
}

/// arena() -> (default has alloc and free, custom read back, default restored).
unsafe extern "C" fn arena(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let get = sym!(c"PyObject_GetArenaAllocator" => unsafe extern "C" fn(*mut ArenaAllocator));
    let set = sym!(c"PyObject_SetArenaAllocator" => unsafe extern "C" fn(*mut ArenaAllocator));
    let mut old = ArenaAllocator { ctx: null_mut(), alloc: None, free: None };
    get(&mut old);
    let mut mine = ArenaAllocator { ctx: 0x77 as *mut c_void, alloc: Some(my_arena_alloc), free: old.free };
    set(&mut mine);
    let mut back = ArenaAllocator { ctx: null_mut(), alloc: None, free: None };
    get(&mut back);
    set(&mut old);
    let mut again = ArenaAllocator { ctx: null_mut(), alloc: None, free: None };
    get(&mut again);
    let custom = back.ctx as usize == 0x77 && back.alloc.map(|f| f as usize) == Some(my_arena_alloc as *const () as usize);
    let restored = again.alloc.map(|f| f as usize) == old.alloc.map(|f| f as usize) && again.ctx == old.ctx;
    tuple(&[PyBool_FromLong((old.alloc.is_some() && old.free.is_some()) as c_long), PyBool_FromLong(custom as c_long), PyBool_FromLong(restored as c_long)])
}

/// eval_misc() -> (PyEval_ThreadsInitialized(), PyEval_InitThreads() ran).
unsafe extern "C" fn eval_misc(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    let init = sym!(c"PyEval_InitThreads" => unsafe extern "C" fn());
    let inited = sym!(c"PyEval_ThreadsInitialized" => unsafe extern "C" fn() -> c_int);
    init();
    int(inited() as i64)
}

fn methods() -> Vec<PyMethodDef> {
    vec![
        meth!(c"ping", ping, PyCFunction, METH_NOARGS),
        meth!(c"has", has, PyCFunction, METH_VARARGS),
        meth!(c"flags", flags, PyCFunction, METH_NOARGS),
        meth!(c"getenv", getenv_, PyCFunction, METH_VARARGS),
        meth!(c"build_strings", build_strings, PyCFunction, METH_NOARGS),
        meth!(c"pack_version", pack_version, PyCFunction, METH_VARARGS),
        meth!(c"strtoul", strtoul, PyCFunction, METH_VARARGS),
        meth!(c"strtol", strtol, PyCFunction, METH_VARARGS),
        meth!(c"snprintf", snprintf, PyCFunction, METH_VARARGS),
        meth!(c"clocks", clocks, PyCFunction, METH_NOARGS),
        meth!(c"as_seconds", as_seconds, PyCFunction, METH_VARARGS),
        meth!(c"gc_toggle", gc_toggle, PyCFunction, METH_NOARGS),
        meth!(c"gc_collect", gc_collect, PyCFunction, METH_NOARGS),
        meth!(c"gc_is", gc_is, PyCFunction, METH_VARARGS),
        meth!(c"gc_visit", gc_visit, PyCFunction, METH_VARARGS),
        meth!(c"mutex", mutex, PyCFunction, METH_VARARGS),
        meth!(c"mutex_is_locked", mutex_is_locked, PyCFunction, METH_NOARGS),
        meth!(c"mutex_blocking", mutex_blocking, PyCFunction, METH_NOARGS),
        meth!(c"event", event, PyCFunction, METH_VARARGS),
        meth!(c"critical", critical, PyCFunction, METH_VARARGS),
        meth!(c"tstate_info", tstate_info, PyCFunction, METH_NOARGS),
        meth!(c"tstate_dict", tstate_dict, PyCFunction, METH_NOARGS),
        meth!(c"current_frame_name", current_frame_name, PyCFunction, METH_NOARGS),
        meth!(c"release_acquire", release_acquire, PyCFunction, METH_NOARGS),
        meth!(c"in_new_tstate", in_new_tstate, PyCFunction, METH_VARARGS),
        meth!(c"set_async_exc", set_async_exc, PyCFunction, METH_VARARGS),
        meth!(c"make_pending_calls", make_pending_calls, PyCFunction, METH_NOARGS),
        meth!(c"add_pending", add_pending, PyCFunction, METH_VARARGS),
        meth!(c"state_module", state_module, PyCFunction, METH_NOARGS),
        meth!(c"state_add_slots", state_add_slots, PyCFunction, METH_NOARGS),
        meth!(c"hook", hook, PyCFunction, METH_VARARGS),
        meth!(c"untraced", untraced, PyCFunction, METH_VARARGS),
        meth!(c"sigs", sigs, PyCFunction, METH_VARARGS),
        meth!(c"getsig", getsig, PyCFunction, METH_VARARGS),
        meth!(c"set_wakeup_fd", set_wakeup_fd, PyCFunction, METH_VARARGS),
        meth!(c"interrupt_occurred", interrupt_occurred, PyCFunction, METH_NOARGS),
        meth!(c"fork_hooks", fork_hooks, PyCFunction, METH_VARARGS),
        meth!(c"check_stack", check_stack, PyCFunction, METH_NOARGS),
        meth!(c"c_fork", c_fork, PyCFunction, METH_NOARGS),
        meth!(c"stack_protection", stack_protection, PyCFunction, METH_VARARGS),
        meth!(c"exit_path", exit_path, PyCFunction, METH_VARARGS),
        meth!(c"decode_locale", decode_locale, PyCFunction, METH_VARARGS),
        meth!(c"encode_locale", encode_locale, PyCFunction, METH_VARARGS),
        meth!(c"fopen_write", fopen_write, PyCFunction, METH_VARARGS),
        meth!(c"fgets_all", fgets_all, PyCFunction, METH_VARARGS),
        meth!(c"readline", readline, PyCFunction, METH_VARARGS),
        meth!(c"refcount_helpers", refcount_helpers, PyCFunction, METH_VARARGS),
        meth!(c"clear_weakrefs", clear_weakrefs, PyCFunction, METH_VARARGS),
        meth!(c"version_tag", version_tag, PyCFunction, METH_VARARGS),
        meth!(c"ref_tracer", ref_tracer, PyCFunction, METH_NOARGS),
        meth!(c"executable_kinds", executable_kinds, PyCFunction, METH_NOARGS),
        meth!(c"gc_new_extra", gc_new_extra, PyCFunction, METH_VARARGS),
        meth!(c"gc_type", gc_type, PyCFunction, METH_NOARGS),
        meth!(c"tracemalloc", tracemalloc, PyCFunction, METH_NOARGS),
        meth!(c"monitoring", monitoring, PyCFunction, METH_VARARGS),
        meth!(c"perf_map", perf_map, PyCFunction, METH_VARARGS),
        meth!(c"arena", arena, PyCFunction, METH_NOARGS),
        meth!(c"eval_misc", eval_misc, PyCFunction, METH_NOARGS),
    ]
}

static mut MODULE: PyModuleDef = module_def(c"capi_runtime");

#[no_mangle]
pub unsafe extern "C" fn PyInit_capi_runtime() -> *mut PyObject {
    let mut m = methods();
    m.push(PyMethodDef::zeroed());
    MODULE.m_methods = Box::leak(m.into_boxed_slice()).as_mut_ptr();
    PyModule_Create(&raw mut MODULE)
}
