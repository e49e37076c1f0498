//! `initconfig.h`: `PyConfig_*`, `PyInitConfig_*`, `PyPreConfig_*`,
//! `PyStatus_*`, `PyWideStringList_*`.
//!
//! `PyStatus`, `PyWideStringList`, `PyPreConfig` and `PyConfig` have
//! CPython 3.14's exact layouts (x86_64 Linux, GIL build): C allocates them
//! and reads them inline. Strings are `wchar_t*` (UTF-32) from
//! `PyMem_RawMalloc`. Every option is also known by name ([`OPTIONS`]),
//! which serves `PyInitConfig_*` (3.14's opaque configuration) and the
//! runtime `PyConfig_Get*`/`PyConfig_Set`. [`to_boot`] turns a read
//! configuration into RustPython settings for `Py_InitializeFromConfig`.

use std::ffi::{CStr, CString, c_char, c_int, c_ulong};
use std::mem::offset_of;
use std::ptr::{null, null_mut};

use libc::wchar_t;
use parking_lot::Mutex;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use super::pymem::{PyMem_RawFree, PyMem_RawMalloc, PyMem_RawRealloc};
use crate::abi::PyObject;
use crate::runtime::{api, new_error};

// ---- PyStatus ----

pub const STATUS_OK: c_int = 0;
pub const STATUS_ERROR: c_int = 1;
pub const STATUS_EXIT: c_int = 2;

/// `PyStatus`, returned by value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PyStatus {
    pub _type: c_int,
    pub func: *const c_char,
    pub err_msg: *const c_char,
    pub exitcode: c_int,
}

impl PyStatus {
    pub const fn ok() -> Self {
        PyStatus { _type: STATUS_OK, func: null(), err_msg: null(), exitcode: 0 }
    }
    /// An error from `func` (both static strings).
    pub const fn error(func: &'static CStr, msg: &'static CStr) -> Self {
        PyStatus { _type: STATUS_ERROR, func: func.as_ptr(), err_msg: msg.as_ptr(), exitcode: -1 }
    }
    /// An error with a message made at run time (kept for the process's life,
    /// as a status may be read after the call that made it).
    pub fn error_owned(func: &'static CStr, msg: String) -> Self {
        let msg = CString::new(msg).unwrap_or_default();
        PyStatus { _type: STATUS_ERROR, func: func.as_ptr(), err_msg: Box::leak(msg.into_boxed_c_str()).as_ptr(), exitcode: -1 }
    }
    pub const fn exit(code: c_int) -> Self {
        PyStatus { _type: STATUS_EXIT, func: null(), err_msg: null(), exitcode: code }
    }
    pub fn is_exception(&self) -> bool {
        self._type != STATUS_OK
    }
    /// `err_msg` as text.
    pub fn message(&self) -> String {
        if self.err_msg.is_null() {
            return String::new();
        }
        // SAFETY: statuses carry NUL-terminated messages.
        unsafe { CStr::from_ptr(self.err_msg) }.to_string_lossy().into_owned()
    }
}

const NO_MEMORY: PyStatus = PyStatus { _type: STATUS_ERROR, func: null(), err_msg: c"memory allocation failed".as_ptr(), exitcode: -1 };

#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_Ok() -> PyStatus {
    PyStatus::ok()
}

/// An error status carrying `err_msg` (not copied: a static string).
#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_Error(err_msg: *const c_char) -> PyStatus {
    PyStatus { _type: STATUS_ERROR, func: null(), err_msg, exitcode: -1 }
}

#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_NoMemory() -> PyStatus {
    NO_MEMORY
}

#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_Exit(exitcode: c_int) -> PyStatus {
    PyStatus::exit(exitcode)
}

#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_IsError(status: PyStatus) -> c_int {
    (status._type == STATUS_ERROR) as c_int
}

#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_IsExit(status: PyStatus) -> c_int {
    (status._type == STATUS_EXIT) as c_int
}

/// True for an error or an exit: initialisation must stop.
#[unsafe(no_mangle)]
pub extern "C" fn PyStatus_Exception(status: PyStatus) -> c_int {
    status.is_exception() as c_int
}

/// Exits the process for an exit status (its code) or an error status
/// ("Fatal Python error: func: message", exit code 1).
#[unsafe(no_mangle)]
pub extern "C" fn Py_ExitStatusException(status: PyStatus) -> ! {
    match status._type {
        STATUS_EXIT => std::process::exit(status.exitcode),
        STATUS_ERROR => {
            let func = if status.func.is_null() {
                String::new()
            } else {
                // SAFETY: statuses carry NUL-terminated function names.
                format!("{}: ", unsafe { CStr::from_ptr(status.func) }.to_string_lossy())
            };
            eprintln!("Fatal Python error: {func}{}", status.message());
            std::process::exit(1)
        }
        _ => super::pyfatal::fatal_error(Some("Py_ExitStatusException"), "Py_ExitStatusException() must not be called on success"),
    }
}

// ---- wide strings ----

/// `wchar_t` text as UTF-32 code units (lone surrogates from
/// surrogateescape decoding are kept as units).
fn wlen(s: *const wchar_t) -> usize {
    let mut n = 0;
    // SAFETY: C passes a NUL-terminated wide string.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

/// A copy of `s` in the raw domain, or NULL (out of memory).
fn wcsdup(s: *const wchar_t) -> *mut wchar_t {
    let n = wlen(s) + 1;
    let p = PyMem_RawMalloc(n * size_of::<wchar_t>()).cast::<wchar_t>();
    if !p.is_null() {
        // SAFETY: n units readable at s, writable at p.
        unsafe { std::ptr::copy_nonoverlapping(s, p, n) };
    }
    p
}

/// `s` as a raw-domain wide string.
fn wide_from_str(s: &str) -> *mut wchar_t {
    let units: Vec<wchar_t> = s.chars().map(|c| c as wchar_t).chain([0]).collect();
    wcsdup(units.as_ptr())
}

/// Decodes bytes as the locale codec does in UTF-8 mode: UTF-8, undecodable
/// bytes as U+DC80..U+DCFF (surrogateescape).
pub(crate) fn wide_from_bytes(b: &[u8]) -> Vec<wchar_t> {
    let mut out = Vec::with_capacity(b.len() + 1);
    for chunk in b.utf8_chunks() {
        out.extend(chunk.valid().chars().map(|c| c as wchar_t));
        out.extend(chunk.invalid().iter().map(|&x| 0xDC00 + x as wchar_t));
    }
    out.push(0);
    out
}

/// A wide string as Rust text (surrogate escapes become U+FFFD); NULL: None.
pub(crate) fn wstr(s: *const wchar_t) -> Option<String> {
    if s.is_null() {
        return None;
    }
    // SAFETY: NUL-terminated, wlen units.
    let units = unsafe { std::slice::from_raw_parts(s, wlen(s)) };
    Some(units.iter().map(|&u| char::from_u32(u as u32).unwrap_or('\u{FFFD}')).collect())
}

// ---- PyWideStringList ----

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyWideStringList {
    pub length: isize,
    pub items: *mut *mut wchar_t,
}

impl PyWideStringList {
    pub(crate) fn to_vec(&self) -> Vec<String> {
        (0..self.length.max(0) as usize)
            // SAFETY: `length` valid items.
            .map(|i| wstr(unsafe { *self.items.add(i) }).unwrap_or_default())
            .collect()
    }
}

/// # Safety
/// `list` is a valid list whose items came from the raw domain.
unsafe fn list_clear(list: *mut PyWideStringList) {
    // SAFETY: per the contract.
    let l = unsafe { &mut *list };
    for i in 0..l.length.max(0) as usize {
        // SAFETY: each item is a raw-domain string.
        unsafe { PyMem_RawFree((*l.items.add(i)).cast()) };
    }
    // SAFETY: the raw-domain item array (or NULL).
    unsafe { PyMem_RawFree(l.items.cast()) };
    *l = PyWideStringList { length: 0, items: null_mut() };
}

/// Replaces `list` with copies of `items`; on failure `list` is unchanged.
///
/// # Safety
/// `list` is valid; `items` has `len` NUL-terminated strings.
unsafe fn list_set(list: *mut PyWideStringList, len: usize, items: *const *const wchar_t) -> PyStatus {
    let mut new = PyWideStringList { length: 0, items: null_mut() };
    for i in 0..len {
        // SAFETY: i < len.
        let st = unsafe { PyWideStringList_Insert(&mut new, i as isize, *items.add(i)) };
        if st.is_exception() {
            // SAFETY: ours.
            unsafe { list_clear(&mut new) };
            return st;
        }
    }
    // SAFETY: per the contract.
    unsafe {
        list_clear(list);
        *list = new;
    }
    PyStatus::ok()
}

/// Appends a copy of `item`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyWideStringList_Append(list: *mut PyWideStringList, item: *const wchar_t) -> PyStatus {
    // SAFETY: forwarded.
    unsafe { PyWideStringList_Insert(list, (*list).length, item) }
}

/// Inserts a copy of `item` at `index` (past the end: appends); an index
/// below 0 is an error status.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyWideStringList_Insert(list: *mut PyWideStringList, index: isize, item: *const wchar_t) -> PyStatus {
    if index < 0 {
        return PyStatus { _type: STATUS_ERROR, func: null(), err_msg: c"PyWideStringList_Insert index must be >= 0".as_ptr(), exitcode: -1 };
    }
    // SAFETY: C passes a valid list.
    let l = unsafe { &mut *list };
    let len = l.length.max(0) as usize;
    let index = (index as usize).min(len);
    let copy = wcsdup(item);
    if copy.is_null() {
        return NO_MEMORY;
    }
    // SAFETY: the raw-domain item array (or NULL).
    let items = unsafe { PyMem_RawRealloc(l.items.cast(), (len + 1) * size_of::<*mut wchar_t>()) }.cast::<*mut wchar_t>();
    if items.is_null() {
        // SAFETY: just allocated.
        unsafe { PyMem_RawFree(copy.cast()) };
        return NO_MEMORY;
    }
    // SAFETY: len + 1 slots; shift [index, len) up by one.
    unsafe {
        std::ptr::copy(items.add(index), items.add(index + 1), len - index);
        *items.add(index) = copy;
    }
    l.items = items;
    l.length = len as isize + 1;
    PyStatus::ok()
}

// ---- PyPreConfig ----

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct PyPreConfig {
    pub _config_init: c_int,
    pub parse_argv: c_int,
    pub isolated: c_int,
    pub use_environment: c_int,
    pub configure_locale: c_int,
    pub coerce_c_locale: c_int,
    pub coerce_c_locale_warn: c_int,
    pub utf8_mode: c_int,
    pub dev_mode: c_int,
    pub allocator: c_int,
}

const INIT_COMPAT: c_int = 1;
const INIT_PYTHON: c_int = 2;
const INIT_ISOLATED: c_int = 3;

/// The Python preconfiguration: environment and locale honoured.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyPreConfig_InitPythonConfig(c: *mut PyPreConfig) {
    // SAFETY: C passes a writable PyPreConfig.
    unsafe {
        *c = PyPreConfig {
            _config_init: INIT_PYTHON,
            parse_argv: 1,
            isolated: 0,
            use_environment: 1,
            configure_locale: 1,
            coerce_c_locale: -1,
            coerce_c_locale_warn: -1,
            utf8_mode: -1,
            dev_mode: -1,
            allocator: 0,
        }
    };
}

/// The isolated preconfiguration: no environment, locale untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyPreConfig_InitIsolatedConfig(c: *mut PyPreConfig) {
    // SAFETY: C passes a writable PyPreConfig.
    unsafe {
        *c = PyPreConfig {
            _config_init: INIT_ISOLATED,
            parse_argv: 0,
            isolated: 1,
            use_environment: 0,
            configure_locale: 0,
            coerce_c_locale: 0,
            coerce_c_locale_warn: 0,
            utf8_mode: 0,
            dev_mode: 0,
            allocator: 0,
        }
    };
}

// ---- PyConfig ----

type WStr = *mut wchar_t;

/// CPython 3.14's `PyConfig` (x86_64 Linux, GIL build, release).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyConfig {
    pub _config_init: c_int,
    pub isolated: c_int,
    pub use_environment: c_int,
    pub dev_mode: c_int,
    pub install_signal_handlers: c_int,
    pub use_hash_seed: c_int,
    pub hash_seed: c_ulong,
    pub faulthandler: c_int,
    pub tracemalloc: c_int,
    pub perf_profiling: c_int,
    pub remote_debug: c_int,
    pub import_time: c_int,
    pub code_debug_ranges: c_int,
    pub show_ref_count: c_int,
    pub dump_refs: c_int,
    pub dump_refs_file: WStr,
    pub malloc_stats: c_int,
    pub filesystem_encoding: WStr,
    pub filesystem_errors: WStr,
    pub pycache_prefix: WStr,
    pub parse_argv: c_int,
    pub orig_argv: PyWideStringList,
    pub argv: PyWideStringList,
    pub xoptions: PyWideStringList,
    pub warnoptions: PyWideStringList,
    pub site_import: c_int,
    pub bytes_warning: c_int,
    pub warn_default_encoding: c_int,
    pub inspect: c_int,
    pub interactive: c_int,
    pub optimization_level: c_int,
    pub parser_debug: c_int,
    pub write_bytecode: c_int,
    pub verbose: c_int,
    pub quiet: c_int,
    pub user_site_directory: c_int,
    pub configure_c_stdio: c_int,
    pub buffered_stdio: c_int,
    pub stdio_encoding: WStr,
    pub stdio_errors: WStr,
    pub check_hash_pycs_mode: WStr,
    pub use_frozen_modules: c_int,
    pub safe_path: c_int,
    pub int_max_str_digits: c_int,
    pub thread_inherit_context: c_int,
    pub context_aware_warnings: c_int,
    pub cpu_count: c_int,
    pub pathconfig_warnings: c_int,
    pub program_name: WStr,
    pub pythonpath_env: WStr,
    pub home: WStr,
    pub platlibdir: WStr,
    pub module_search_paths_set: c_int,
    pub module_search_paths: PyWideStringList,
    pub stdlib_dir: WStr,
    pub executable: WStr,
    pub base_executable: WStr,
    pub prefix: WStr,
    pub base_prefix: WStr,
    pub exec_prefix: WStr,
    pub base_exec_prefix: WStr,
    pub skip_source_first_line: c_int,
    pub run_command: WStr,
    pub run_module: WStr,
    pub run_filename: WStr,
    pub sys_path_0: WStr,
    pub _install_importlib: c_int,
    pub _init_main: c_int,
    pub _is_python_build: c_int,
}

/// `sizeof(PyConfig)` in CPython 3.14 on x86_64 Linux.
const _: () = assert!(size_of::<PyConfig>() == 456);

/// How an option is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    ULong,
    Str,
    List,
}

struct Opt {
    name: &'static str,
    kind: Kind,
    offset: usize,
    /// The `sys` attribute that holds the live value after initialisation.
    sys: Option<&'static str>,
}

macro_rules! options {
    ($($f:ident : $k:ident $(=> $sys:literal)?),* $(,)?) => {
        /// Every public option, by name (CPython 3.14's `PYCONFIG_SPEC` minus
        /// the private and platform-specific ones).
        static OPTIONS: &[Opt] = &[$(Opt {
            name: stringify!($f),
            kind: Kind::$k,
            offset: offset_of!(PyConfig, $f),
            sys: { #[allow(unused_mut, unused_assignments)] let mut s = None; $(s = Some($sys);)? s },
        }),*];
    };
}

options! {
    argv: List => "argv", base_exec_prefix: Str => "base_exec_prefix", base_executable: Str => "_base_executable",
    base_prefix: Str => "base_prefix", bytes_warning: Int, check_hash_pycs_mode: Str, code_debug_ranges: Bool,
    configure_c_stdio: Bool, context_aware_warnings: Bool, cpu_count: Int, dev_mode: Bool, dump_refs: Bool,
    dump_refs_file: Str, exec_prefix: Str => "exec_prefix", executable: Str => "executable", faulthandler: Bool,
    filesystem_encoding: Str, filesystem_errors: Str, hash_seed: ULong, home: Str, import_time: Int,
    inspect: Bool, install_signal_handlers: Bool, int_max_str_digits: Int, interactive: Bool, isolated: Bool,
    malloc_stats: Bool, module_search_paths: List => "path", module_search_paths_set: Bool,
    optimization_level: Int, orig_argv: List => "orig_argv", parse_argv: Bool, parser_debug: Bool,
    pathconfig_warnings: Bool, perf_profiling: Int, platlibdir: Str => "platlibdir", prefix: Str => "prefix",
    program_name: Str, pycache_prefix: Str => "pycache_prefix", pythonpath_env: Str, quiet: Bool,
    remote_debug: Bool, run_command: Str, run_filename: Str, run_module: Str, safe_path: Bool,
    show_ref_count: Bool, site_import: Bool, skip_source_first_line: Bool, stdio_encoding: Str,
    stdio_errors: Str, stdlib_dir: Str => "_stdlib_dir", sys_path_0: Str, thread_inherit_context: Bool,
    tracemalloc: Int, use_environment: Bool, use_frozen_modules: Bool, use_hash_seed: Bool,
    user_site_directory: Bool, verbose: Int, warn_default_encoding: Bool, warnoptions: List => "warnoptions",
    write_bytecode: Bool, xoptions: List => "_xoptions", buffered_stdio: Bool,
}

fn option(name: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// A `PyConfig` with every field zero or NULL.
fn zeroed() -> PyConfig {
    // SAFETY: all-zero is a valid PyConfig (integers and NULL pointers).
    unsafe { std::mem::zeroed() }
}

/// CPython's `config_init_defaults` (values checked against CPython 3.13's
/// `PyConfig_InitPythonConfig`; 3.14's new options start unset).
fn defaults() -> PyConfig {
    PyConfig {
        _config_init: INIT_COMPAT,
        use_environment: 1,
        dev_mode: -1,
        install_signal_handlers: 1,
        use_hash_seed: -1,
        faulthandler: -1,
        tracemalloc: -1,
        perf_profiling: -1,
        remote_debug: -1,
        code_debug_ranges: 1,
        site_import: 1,
        write_bytecode: 1,
        user_site_directory: 1,
        buffered_stdio: 1,
        use_frozen_modules: 1,
        int_max_str_digits: -1,
        thread_inherit_context: -1,
        context_aware_warnings: -1,
        cpu_count: -1,
        pathconfig_warnings: 1,
        _install_importlib: 1,
        _init_main: 1,
        ..zeroed()
    }
}

/// The Python configuration: command line parsed, environment honoured.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_InitPythonConfig(config: *mut PyConfig) {
    let c = PyConfig { _config_init: INIT_PYTHON, configure_c_stdio: 1, parse_argv: 1, ..defaults() };
    // SAFETY: C passes a writable PyConfig (its contents are not freed).
    unsafe { config.write(c) };
}

/// The isolated configuration: no environment, no command line, no signal
/// handlers, no user site directory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_InitIsolatedConfig(config: *mut PyConfig) {
    let c = PyConfig {
        _config_init: INIT_ISOLATED,
        isolated: 1,
        use_environment: 0,
        user_site_directory: 0,
        dev_mode: 0,
        install_signal_handlers: 0,
        use_hash_seed: 0,
        faulthandler: 0,
        tracemalloc: 0,
        perf_profiling: 0,
        int_max_str_digits: 4300,
        code_debug_ranges: 1,
        safe_path: 1,
        pathconfig_warnings: 0,
        ..defaults()
    };
    // SAFETY: as above.
    unsafe { config.write(c) };
}

fn str_field(c: *mut PyConfig, o: &Opt) -> *mut WStr {
    c.cast::<u8>().wrapping_add(o.offset).cast()
}
fn list_field(c: *mut PyConfig, o: &Opt) -> *mut PyWideStringList {
    c.cast::<u8>().wrapping_add(o.offset).cast()
}
fn int_field(c: *mut PyConfig, o: &Opt) -> *mut c_int {
    c.cast::<u8>().wrapping_add(o.offset).cast()
}
fn ulong_field(c: *mut PyConfig, o: &Opt) -> *mut c_ulong {
    c.cast::<u8>().wrapping_add(o.offset).cast()
}

/// Frees every string and list of the configuration (fields become NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_Clear(config: *mut PyConfig) {
    for o in OPTIONS {
        match o.kind {
            Kind::Str => {
                let f = str_field(config, o);
                // SAFETY: a raw-domain string field of a valid config.
                unsafe { PyMem_RawFree(f.read().cast()) };
                // SAFETY: as above.
                unsafe { f.write(null_mut()) };
            }
            // SAFETY: a list field of a valid config.
            Kind::List => unsafe { list_clear(list_field(config, o)) },
            _ => {}
        }
    }
}

/// Copies `s` (NULL: clears) into the string field `*field` of `config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_SetString(_config: *mut PyConfig, field: *mut WStr, s: *const wchar_t) -> PyStatus {
    let copy = if s.is_null() { null_mut() } else { wcsdup(s) };
    if !s.is_null() && copy.is_null() {
        return NO_MEMORY;
    }
    // SAFETY: C passes the address of a string field of the config.
    unsafe {
        PyMem_RawFree(field.read().cast());
        field.write(copy);
    }
    PyStatus::ok()
}

/// Decodes `s` with the locale codec (UTF-8, surrogateescape) into `*field`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_SetBytesString(config: *mut PyConfig, field: *mut WStr, s: *const c_char) -> PyStatus {
    if s.is_null() {
        // SAFETY: forwarded.
        return unsafe { PyConfig_SetString(config, field, null()) };
    }
    // SAFETY: NUL-terminated.
    let w = wide_from_bytes(unsafe { CStr::from_ptr(s) }.to_bytes());
    // SAFETY: forwarded.
    unsafe { PyConfig_SetString(config, field, w.as_ptr()) }
}

/// Sets `config->argv` from wide strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_SetArgv(config: *mut PyConfig, argc: isize, argv: *const *const wchar_t) -> PyStatus {
    // SAFETY: C passes argc strings.
    unsafe { list_set(&raw mut (*config).argv, argc.max(0) as usize, argv) }
}

/// Sets `config->argv` from bytes, decoded as `PyConfig_SetBytesString`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_SetBytesArgv(config: *mut PyConfig, argc: isize, argv: *const *const c_char) -> PyStatus {
    let wide: Vec<Vec<wchar_t>> = (0..argc.max(0) as usize)
        // SAFETY: argc NUL-terminated strings.
        .map(|i| wide_from_bytes(unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes()))
        .collect();
    let ptrs: Vec<*const wchar_t> = wide.iter().map(|w| w.as_ptr()).collect();
    // SAFETY: forwarded.
    unsafe { PyConfig_SetArgv(config, ptrs.len() as isize, ptrs.as_ptr()) }
}

/// Replaces `*list` (a list field of `config`) with copies of `items`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_SetWideStringList(_config: *mut PyConfig, list: *mut PyWideStringList, length: isize, items: *mut *mut wchar_t) -> PyStatus {
    if length < 0 {
        return PyStatus::error(c"PyConfig_SetWideStringList", c"length must be >= 0");
    }
    // SAFETY: C passes a list field and `length` strings.
    unsafe { list_set(list, length as usize, items.cast()) }
}

fn set_wstr(field: *mut WStr, s: &str) -> PyStatus {
    let w = wide_from_str(s);
    if w.is_null() {
        return NO_MEMORY;
    }
    // SAFETY: a string field of a valid config.
    unsafe {
        PyMem_RawFree(field.read().cast());
        field.write(w);
    }
    PyStatus::ok()
}

fn set_list(list: *mut PyWideStringList, items: &[String]) -> PyStatus {
    let wide: Vec<Vec<wchar_t>> = items.iter().map(|s| s.chars().map(|c| c as wchar_t).chain([0]).collect()).collect();
    let ptrs: Vec<*const wchar_t> = wide.iter().map(|w| w.as_ptr()).collect();
    // SAFETY: a list field of a valid config; ptrs are NUL-terminated.
    unsafe { list_set(list, ptrs.len(), ptrs.as_ptr()) }
}

/// Reads the command line (if `parse_argv`) and the environment (if
/// `use_environment`) into the configuration and fills every option still
/// unset with its default, as `Py_InitializeFromConfig` will.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyConfig_Read(config: *mut PyConfig) -> PyStatus {
    // SAFETY: C passes a valid config.
    unsafe { read(config) }
}

/// # Safety
/// `c` is a valid config.
pub(crate) unsafe fn read(c: *mut PyConfig) -> PyStatus {
    // SAFETY: per the contract.
    let cfg = unsafe { &mut *c };
    if cfg.orig_argv.length == 0 && cfg.argv.length > 0 {
        let argv = cfg.argv.to_vec();
        let st = set_list(&mut cfg.orig_argv, &argv);
        if st.is_exception() {
            return st;
        }
    }
    if cfg.isolated > 0 {
        cfg.use_environment = 0;
        cfg.safe_path = 1;
        cfg.user_site_directory = 0;
    }
    if cfg.parse_argv == 1 {
        let st = parse_cmdline(cfg);
        if st.is_exception() {
            return st;
        }
        // Parsed once: a second read must not parse the result again.
        cfg.parse_argv = 2;
    }
    if cfg.use_environment > 0 {
        read_env(cfg);
    }
    if cfg.dev_mode > 0 && cfg.faulthandler < 0 {
        cfg.faulthandler = 1;
    }
    for (f, d) in [
        (&mut cfg.dev_mode, 0),
        (&mut cfg.use_hash_seed, 0),
        (&mut cfg.faulthandler, 0),
        (&mut cfg.tracemalloc, 0),
        (&mut cfg.perf_profiling, 0),
        (&mut cfg.remote_debug, 1),
        (&mut cfg.int_max_str_digits, 4300),
        (&mut cfg.thread_inherit_context, 0),
        (&mut cfg.context_aware_warnings, 0),
    ] {
        if *f < 0 {
            *f = d;
        }
    }
    if cfg.argv.length == 0 {
        let st = set_list(&mut cfg.argv, &[String::new()]);
        if st.is_exception() {
            return st;
        }
    }
    let strs: [(*mut WStr, &str); 6] = [
        (&mut cfg.filesystem_encoding, "utf-8"),
        (&mut cfg.filesystem_errors, "surrogateescape"),
        (&mut cfg.check_hash_pycs_mode, "default"),
        (&mut cfg.platlibdir, "lib"),
        (&mut cfg.stdio_encoding, "utf-8"),
        (&mut cfg.stdio_errors, "strict"),
    ];
    for (f, d) in strs {
        // SAFETY: string fields of the config.
        if unsafe { f.read() }.is_null() {
            let st = set_wstr(f, d);
            if st.is_exception() {
                return st;
            }
        }
    }
    if cfg.program_name.is_null() {
        let name = cfg.argv.to_vec().first().filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| "python3".to_owned());
        let st = set_wstr(&mut cfg.program_name, &name);
        if st.is_exception() {
            return st;
        }
    }
    PyStatus::ok()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `config_read_env_vars`: environment variables for options still unset.
fn read_env(cfg: &mut PyConfig) {
    // `_Py_get_env_flag`: a count (at least 1) raises the option.
    let count = |name: &str| env(name).map(|v| v.parse::<c_int>().ok().filter(|n| *n > 0).unwrap_or(1));
    for (f, var) in [(&mut cfg.verbose, "PYTHONVERBOSE"), (&mut cfg.optimization_level, "PYTHONOPTIMIZE"), (&mut cfg.parser_debug, "PYTHONDEBUG"), (&mut cfg.inspect, "PYTHONINSPECT")] {
        if let Some(n) = count(var) {
            *f = (*f).max(n);
        }
    }
    for (f, var) in [(&mut cfg.write_bytecode, "PYTHONDONTWRITEBYTECODE"), (&mut cfg.user_site_directory, "PYTHONNOUSERSITE"), (&mut cfg.buffered_stdio, "PYTHONUNBUFFERED")] {
        if env(var).is_some() {
            *f = 0;
        }
    }
    if cfg.faulthandler < 0 && env("PYTHONFAULTHANDLER").is_some() {
        cfg.faulthandler = 1;
    }
    if env("PYTHONSAFEPATH").is_some() {
        cfg.safe_path = 1;
    }
    if cfg.dev_mode < 0 && env("PYTHONDEVMODE").is_some() {
        cfg.dev_mode = 1;
    }
    if cfg.int_max_str_digits < 0
        && let Some(n) = env("PYTHONINTMAXSTRDIGITS").and_then(|v| v.parse().ok())
    {
        cfg.int_max_str_digits = n;
    }
    if cfg.use_hash_seed < 0
        && let Some(seed) = env("PYTHONHASHSEED").filter(|s| s != "random").and_then(|s| s.parse::<u32>().ok())
    {
        cfg.use_hash_seed = 1;
        cfg.hash_seed = seed as c_ulong;
    }
    if cfg.pythonpath_env.is_null()
        && let Some(p) = env("PYTHONPATH")
    {
        set_wstr(&mut cfg.pythonpath_env, &p);
    }
    if cfg.stdio_encoding.is_null()
        && let Some(v) = env("PYTHONIOENCODING")
    {
        let (enc, err) = v.split_once(':').map_or((v.as_str(), ""), |(a, b)| (a, b));
        if !enc.is_empty() {
            set_wstr(&mut cfg.stdio_encoding, enc);
        }
        if !err.is_empty() {
            set_wstr(&mut cfg.stdio_errors, err);
        }
    }
    if let Some(w) = env("PYTHONWARNINGS") {
        let mut all: Vec<String> = w.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        // The command line's -W options come after the environment's.
        all.extend(cfg.warnoptions.to_vec());
        set_list(&mut cfg.warnoptions, &all);
    }
}

/// `config_parse_cmdline`: CPython's options (combined short options,
/// `-c`/`-m` ending the options, `--` and `-`), the rest of the command
/// line becoming `argv`.
fn parse_cmdline(cfg: &mut PyConfig) -> PyStatus {
    let args = cfg.argv.to_vec();
    let mut i = 1;
    let mut warn = cfg.warnoptions.to_vec();
    let mut xopts = cfg.xoptions.to_vec();
    let mut rest_from = None;
    let mut run: Option<(&'static str, String)> = None;
    let usage = |msg: String| -> PyStatus {
        eprintln!("{msg}\nusage: {} [option] ... [-c cmd | -m mod | file | -] [arg] ...\nTry `python -h' for more information.", args.first().map_or("python3", |s| s.as_str()));
        PyStatus::exit(2)
    };
    'args: while i < args.len() {
        let a = &args[i];
        if a == "--" {
            rest_from = Some(i + 1);
            break;
        }
        if !a.starts_with('-') || a == "-" {
            rest_from = Some(i);
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            match long {
                "help" | "help-all" | "help-env" | "help-xoptions" => {
                    println!("usage: {} [option] ... [-c cmd | -m mod | file | -] [arg] ...", args[0]);
                    return PyStatus::exit(0);
                }
                "version" => {
                    println!("Python {}.{}.{}", rustpython_vm::version::MAJOR, rustpython_vm::version::MINOR, rustpython_vm::version::MICRO);
                    return PyStatus::exit(0);
                }
                _ => {
                    if let Some(v) = long.strip_prefix("check-hash-based-pycs") {
                        let v = v.strip_prefix('=').map(str::to_owned).or_else(|| {
                            i += 1;
                            args.get(i).cloned()
                        });
                        match v.as_deref() {
                            Some(m @ ("default" | "always" | "never")) => {
                                set_wstr(&mut cfg.check_hash_pycs_mode, m);
                            }
                            _ => return usage("--check-hash-based-pycs must be one of 'default', 'always', or 'never'".into()),
                        }
                        i += 1;
                        continue;
                    }
                    return usage(format!("unknown option --{long}"));
                }
            }
        }
        let opts: Vec<char> = a[1..].chars().collect();
        let mut j = 0;
        while j < opts.len() {
            let o = opts[j];
            j += 1;
            // The option's argument: the rest of this word, else the next one.
            let mut value = |i: &mut usize| -> Option<String> {
                if j < opts.len() {
                    let v: String = opts[j..].iter().collect();
                    j = opts.len();
                    Some(v)
                } else {
                    *i += 1;
                    args.get(*i).cloned()
                }
            };
            match o {
                'c' | 'm' => {
                    let Some(v) = value(&mut i) else {
                        return usage(format!("Argument expected for the -{o} option"));
                    };
                    run = Some((if o == 'c' { "c" } else { "m" }, v));
                    rest_from = Some(i + 1);
                    break 'args;
                }
                'W' | 'X' => {
                    let Some(v) = value(&mut i) else {
                        return usage(format!("Argument expected for the -{o} option"));
                    };
                    if o == 'W' { warn.push(v) } else { xopts.push(v) }
                }
                'b' => cfg.bytes_warning = cfg.bytes_warning.max(0) + 1,
                'B' => cfg.write_bytecode = 0,
                'd' => cfg.parser_debug = cfg.parser_debug.max(0) + 1,
                'E' => cfg.use_environment = 0,
                'I' => {
                    cfg.isolated = 1;
                    cfg.use_environment = 0;
                    cfg.safe_path = 1;
                    cfg.user_site_directory = 0;
                }
                'i' => {
                    cfg.inspect = 1;
                    cfg.interactive = 1;
                }
                'O' => cfg.optimization_level = cfg.optimization_level.max(0) + 1,
                'P' => cfg.safe_path = 1,
                'q' => cfg.quiet = 1,
                'R' => cfg.use_hash_seed = 0,
                's' => cfg.user_site_directory = 0,
                'S' => cfg.site_import = 0,
                'u' => cfg.buffered_stdio = 0,
                'v' => cfg.verbose = cfg.verbose.max(0) + 1,
                'x' => cfg.skip_source_first_line = 1,
                'h' | '?' => {
                    println!("usage: {} [option] ... [-c cmd | -m mod | file | -] [arg] ...", args[0]);
                    return PyStatus::exit(0);
                }
                'V' => {
                    println!("Python {}.{}.{}", rustpython_vm::version::MAJOR, rustpython_vm::version::MINOR, rustpython_vm::version::MICRO);
                    return PyStatus::exit(0);
                }
                _ => return usage(format!("Unknown option: -{o}")),
            }
        }
        i += 1;
    }
    let rest: Vec<String> = rest_from.map_or_else(Vec::new, |k| args.get(k..).map(<[String]>::to_vec).unwrap_or_default());
    let mut argv = Vec::new();
    match run {
        Some(("c", cmd)) => {
            set_wstr(&mut cfg.run_command, &format!("{cmd}\n"));
            argv.push("-c".to_owned());
            argv.extend(rest);
        }
        Some((_, module)) => {
            set_wstr(&mut cfg.run_module, &module);
            argv.push("-m".to_owned());
            argv.extend(rest);
        }
        None => {
            if let Some(first) = rest.first()
                && first != "-"
            {
                set_wstr(&mut cfg.run_filename, first);
            }
            argv.extend(rest);
        }
    }
    if argv.is_empty() {
        argv.push(String::new());
    }
    if cfg.program_name.is_null()
        && let Some(p) = args.first()
    {
        set_wstr(&mut cfg.program_name, p);
    }
    let st = set_list(&mut cfg.warnoptions, &warn);
    if st.is_exception() {
        return st;
    }
    let st = set_list(&mut cfg.xoptions, &xopts);
    if st.is_exception() {
        return st;
    }
    set_list(&mut cfg.argv, &argv)
}

/// What to run after initialisation (`Py_RunMain`).
#[derive(Clone, Debug)]
pub enum Run {
    Command(String),
    Module(String),
    File(String),
    /// Standard input: the REPL on a terminal, else a script.
    Stdin,
}

/// A read configuration, as RustPython settings plus what the settings do
/// not carry.
pub struct Boot {
    pub settings: rustpython_vm::vm::Settings,
    pub run: Run,
    /// `sys.path`, when `module_search_paths_set`.
    pub sys_path: Option<Vec<String>>,
    /// `sys.executable`, `sys.prefix`, ... given explicitly.
    pub sys_strings: Vec<(&'static str, String)>,
    pub orig_argv: Vec<String>,
    pub program_name: String,
    pub home: Option<String>,
}

/// Turns a read configuration into RustPython settings.
pub fn to_boot(cfg: &PyConfig) -> Boot {
    let mut s = rustpython_vm::vm::Settings::default();
    let flag = |v: c_int| v > 0;
    s.isolated = flag(cfg.isolated);
    s.ignore_environment = !flag(cfg.use_environment);
    s.dev_mode = flag(cfg.dev_mode);
    s.install_signal_handlers = flag(cfg.install_signal_handlers);
    s.hash_seed = flag(cfg.use_hash_seed).then_some(cfg.hash_seed as u32);
    s.faulthandler = flag(cfg.faulthandler);
    s.code_debug_ranges = flag(cfg.code_debug_ranges);
    s.argv = cfg.argv.to_vec();
    s.xoptions = cfg
        .xoptions
        .to_vec()
        .into_iter()
        .map(|x| match x.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (x, None),
        })
        .collect();
    s.warnoptions = cfg.warnoptions.to_vec();
    if s.dev_mode {
        s.warnoptions.insert(0, "default".to_owned());
    }
    if cfg.bytes_warning > 0 {
        s.warnoptions.insert(0, if cfg.bytes_warning > 1 { "error::BytesWarning" } else { "default::BytesWarning" }.to_owned());
    }
    s.import_site = flag(cfg.site_import);
    s.bytes_warning = cfg.bytes_warning.max(0) as u64;
    s.warn_default_encoding = flag(cfg.warn_default_encoding);
    s.thread_inherit_context = flag(cfg.thread_inherit_context);
    s.context_aware_warnings = flag(cfg.context_aware_warnings);
    s.inspect = flag(cfg.inspect);
    s.interactive = flag(cfg.interactive);
    s.optimize = cfg.optimization_level.clamp(0, 2) as u8;
    s.debug = cfg.parser_debug.clamp(0, 255) as u8;
    s.write_bytecode = flag(cfg.write_bytecode);
    s.verbose = cfg.verbose.clamp(0, 255) as u8;
    s.quiet = flag(cfg.quiet);
    s.user_site_directory = flag(cfg.user_site_directory);
    s.buffered_stdio = flag(cfg.buffered_stdio);
    s.stdio_encoding = wstr(cfg.stdio_encoding);
    s.stdio_errors = wstr(cfg.stdio_errors);
    s.safe_path = flag(cfg.safe_path);
    s.int_max_str_digits = cfg.int_max_str_digits.max(0) as i64;
    s.cpu_count = std::num::NonZeroI32::new(cfg.cpu_count.max(0));
    if s.utf8_mode < 0 {
        s.utf8_mode = 1;
    }
    let sys_path = flag(cfg.module_search_paths_set).then(|| cfg.module_search_paths.to_vec());
    if sys_path.is_none()
        && let Some(p) = wstr(cfg.pythonpath_env)
    {
        s.path_list.extend(std::env::split_paths(&p).map(|p| p.to_string_lossy().into_owned()));
    }
    let run = if let Some(c) = wstr(cfg.run_command) {
        Run::Command(c)
    } else if let Some(m) = wstr(cfg.run_module) {
        Run::Module(m)
    } else if let Some(f) = wstr(cfg.run_filename) {
        Run::File(f)
    } else {
        Run::Stdin
    };
    let mut sys_strings = Vec::new();
    for (name, v) in [
        ("executable", cfg.executable),
        ("_base_executable", cfg.base_executable),
        ("prefix", cfg.prefix),
        ("base_prefix", cfg.base_prefix),
        ("exec_prefix", cfg.exec_prefix),
        ("base_exec_prefix", cfg.base_exec_prefix),
        ("pycache_prefix", cfg.pycache_prefix),
    ] {
        if let Some(v) = wstr(v) {
            sys_strings.push((name, v));
        }
    }
    Boot {
        settings: s,
        run,
        sys_path,
        sys_strings,
        orig_argv: cfg.orig_argv.to_vec(),
        program_name: wstr(cfg.program_name).unwrap_or_else(|| "python3".to_owned()),
        home: wstr(cfg.home),
    }
}

/// A deep copy (strings and lists duplicated).
pub(crate) fn deep_copy(src: &PyConfig) -> Box<PyConfig> {
    let mut c = Box::new(*src);
    for o in OPTIONS {
        let p: *mut PyConfig = &mut *c;
        match o.kind {
            Kind::Str => {
                let f = str_field(p, o);
                // SAFETY: the copied pointer still belongs to `src`.
                let old = unsafe { f.read() };
                // SAFETY: as above.
                unsafe { f.write(if old.is_null() { null_mut() } else { wcsdup(old) }) };
            }
            Kind::List => {
                let f = list_field(p, o);
                // SAFETY: as above.
                let items = unsafe { f.read() }.to_vec();
                // SAFETY: forget src's pointers, then fill.
                unsafe { f.write(PyWideStringList { length: 0, items: null_mut() }) };
                set_list(f, &items);
            }
            _ => {}
        }
    }
    c
}

// ---- the configuration of the running interpreter ----

struct Held(Box<PyConfig>);
// SAFETY: the configuration's strings are owned by it and only read under
// the mutex.
unsafe impl Send for Held {}

/// The configuration the interpreter was initialised with.
static RUNNING: Mutex<Option<Held>> = Mutex::new(None);

pub(crate) fn set_running(c: Option<Box<PyConfig>>) {
    let old = std::mem::replace(&mut *RUNNING.lock(), c.map(Held));
    if let Some(mut old) = old {
        // SAFETY: ours.
        unsafe { PyConfig_Clear(&mut *old.0) };
    }
}

pub(crate) fn with_running<R>(f: impl FnOnce(Option<&PyConfig>) -> R) -> R {
    let g = RUNNING.lock();
    f(g.as_ref().map(|h| &*h.0))
}

fn value_error(vm: &VirtualMachine, msg: String) -> rustpython_vm::builtins::PyBaseExceptionRef {
    new_error(vm, vm.ctx.exceptions.value_error, msg)
}

fn unknown(vm: &VirtualMachine, name: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    value_error(vm, format!("unknown config option name: {name}"))
}

/// The option's value in the running interpreter.
fn get_value(vm: &VirtualMachine, name: &str) -> PyResult<PyObjectRef> {
    let o = option(name).ok_or_else(|| unknown(vm, name))?;
    if let Some(attr) = o.sys {
        let v = super::py(vm, || vm.sys_module.get_attr(attr, vm))?;
        return Ok(match o.kind {
            Kind::List if attr != "_xoptions" => vm.ctx.new_list(v.try_to_value::<Vec<PyObjectRef>>(vm)?).into(),
            _ => v,
        });
    }
    with_running(|c| {
        let Some(c) = c else {
            return Err(crate::runtime::system_error(vm, "the interpreter is not initialized"));
        };
        let p = (c as *const PyConfig).cast_mut();
        // SAFETY: fields of the held configuration, read under its lock.
        Ok(unsafe {
            match o.kind {
                Kind::Int => vm.ctx.new_int(*int_field(p, o)).into(),
                Kind::Bool => vm.ctx.new_bool(*int_field(p, o) > 0).into(),
                Kind::ULong => vm.ctx.new_int(*ulong_field(p, o)).into(),
                Kind::Str => wstr(*str_field(p, o)).map_or_else(|| vm.ctx.none(), |s| vm.ctx.new_str(s).into()),
                Kind::List => vm.ctx.new_list((*list_field(p, o)).to_vec().into_iter().map(|s| vm.ctx.new_str(s).into()).collect()).into(),
            }
        })
    })
}

/// New reference to the value of configuration option `name` of the
/// running interpreter (sys-backed options read `sys`); `ValueError` for an
/// unknown name.
#[unsafe(no_mangle)]
pub extern "C" fn PyConfig_Get(name: *const c_char) -> *mut PyObject {
    super::new_ref("PyConfig_Get", |vm| {
        let name = super::cstr(vm, name)?;
        get_value(vm, name)
    })
}

/// Stores the integer option `name` in `*value`; 0, or -1 with `ValueError`
/// (unknown) / `TypeError` (not an integer) / `OverflowError`.
#[unsafe(no_mangle)]
pub extern "C" fn PyConfig_GetInt(name: *const c_char, value: *mut c_int) -> c_int {
    api("PyConfig_GetInt", |vm| {
        let name = super::cstr(vm, name)?;
        let v = get_value(vm, name)?;
        if v.downcast_ref::<rustpython_vm::builtins::PyInt>().is_none() {
            return Err(crate::runtime::type_error(vm, format!("config option {name} is not an int")));
        }
        let n: i64 = v.try_to_value(vm)?;
        let n = c_int::try_from(n).map_err(|_| new_error(vm, vm.ctx.exceptions.overflow_error, format!("config option {name} value does not fit into a C int")))?;
        // SAFETY: C passes a writable int.
        unsafe { *value = n };
        Ok(0)
    })
}

/// New reference to a frozenset of every option name.
#[unsafe(no_mangle)]
pub extern "C" fn PyConfig_Names() -> *mut PyObject {
    super::new_ref("PyConfig_Names", |vm| {
        let names: Vec<PyObjectRef> = OPTIONS.iter().map(|o| vm.ctx.new_str(o.name).into()).collect();
        rustpython_vm::AsObject::as_object(vm.ctx.types.frozenset_type).call((vm.ctx.new_tuple(names),), vm)
    })
}

/// Sets a runtime-settable option (those `sys` holds: `argv`,
/// `module_search_paths`, `warnoptions`, `xoptions`, the prefixes, ...);
/// 0, or -1 with `ValueError` (unknown or read-only option) / `TypeError`.
#[unsafe(no_mangle)]
pub extern "C" fn PyConfig_Set(name: *const c_char, value: *mut PyObject) -> c_int {
    api("PyConfig_Set", |vm| {
        let name = super::cstr(vm, name)?;
        let o = option(name).ok_or_else(|| unknown(vm, name))?;
        let Some(attr) = o.sys.filter(|a| *a != "orig_argv" && *a != "_stdlib_dir") else {
            return Err(value_error(vm, format!("cannot set read-only option '{name}'")));
        };
        let v = super::rp(vm, value)?;
        let v = match o.kind {
            Kind::List if attr == "_xoptions" => {
                if v.downcast_ref::<rustpython_vm::builtins::PyDict>().is_none() {
                    return Err(crate::runtime::type_error(vm, format!("'{name}' must be dict, not {}", v.class().name())));
                }
                v
            }
            Kind::List => {
                let Some(l) = v.downcast_ref::<rustpython_vm::builtins::PyList>() else {
                    return Err(crate::runtime::type_error(vm, format!("'{name}' must be list, not {}", v.class().name())));
                };
                let items = l.borrow_vec().to_vec();
                if let Some(bad) = items.iter().find(|i| i.downcast_ref::<rustpython_vm::builtins::PyStr>().is_none()) {
                    return Err(crate::runtime::type_error(vm, format!("'{name}' must be list of str, got {}", bad.class().name())));
                }
                vm.ctx.new_list(items).into()
            }
            _ => {
                if v.downcast_ref::<rustpython_vm::builtins::PyStr>().is_none() && !vm.is_none(&v) {
                    return Err(crate::runtime::type_error(vm, format!("'{name}' must be str or None, not {}", v.class().name())));
                }
                v
            }
        };
        super::py(vm, || vm.sys_module.set_attr(attr, v, vm))?;
        Ok(0)
    })
}

// ---- PyInitConfig (3.14's opaque configuration) ----

/// What a `PyInitConfig*` points at.
pub struct PyInitConfig {
    pub(crate) config: PyConfig,
    error: Option<CString>,
    exitcode: Option<c_int>,
    /// Modules added with `PyInitConfig_AddModule` (names owned here).
    pub(crate) modules: Vec<(CString, unsafe extern "C" fn() -> *mut PyObject)>,
}

impl PyInitConfig {
    /// Records a failed status; -1.
    pub(crate) fn fail(&mut self, st: PyStatus) -> c_int {
        if st._type == STATUS_EXIT {
            self.exitcode = Some(st.exitcode);
            self.error = Some(CString::new("exit").unwrap_or_default());
        } else {
            self.error = Some(CString::new(st.message()).unwrap_or_default());
        }
        -1
    }
    fn err(&mut self, msg: String) -> c_int {
        self.error = Some(CString::new(msg).unwrap_or_default());
        -1
    }
}

/// A new configuration (the Python configuration, without command-line
/// parsing), or NULL if memory runs out.
#[unsafe(no_mangle)]
pub extern "C" fn PyInitConfig_Create() -> *mut PyInitConfig {
    let mut config = zeroed();
    // SAFETY: a local config.
    unsafe { PyConfig_InitPythonConfig(&mut config) };
    config.parse_argv = 0;
    Box::into_raw(Box::new(PyInitConfig { config, error: None, exitcode: None, modules: Vec::new() }))
}

/// Frees a configuration (NULL: nothing).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_Free(config: *mut PyInitConfig) {
    if config.is_null() {
        return;
    }
    // SAFETY: made by PyInitConfig_Create.
    let mut c = unsafe { Box::from_raw(config) };
    // SAFETY: its own config.
    unsafe { PyConfig_Clear(&mut c.config) };
}

/// 1 and the error message (owned by the configuration) if an error is
/// set, else 0 and NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_GetError(config: *mut PyInitConfig, err_msg: *mut *const c_char) -> c_int {
    // SAFETY: C passes a valid configuration and out-pointer.
    let c = unsafe { &*config };
    let (r, p) = c.error.as_ref().map_or((0, null()), |e| (1, e.as_ptr()));
    // SAFETY: as above.
    unsafe { *err_msg = p };
    r
}

/// 1 and the exit code if initialisation asked to exit, else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_GetExitCode(config: *mut PyInitConfig, exitcode: *mut c_int) -> c_int {
    // SAFETY: C passes a valid configuration.
    match unsafe { (*config).exitcode } {
        Some(code) => {
            // SAFETY: C passes a writable int.
            unsafe { *exitcode = code };
            1
        }
        None => 0,
    }
}

fn opt_name<'a>(name: *const c_char) -> Option<&'a str> {
    if name.is_null() {
        return None;
    }
    // SAFETY: NUL-terminated.
    unsafe { CStr::from_ptr(name) }.to_str().ok()
}

/// 1 if `name` is an option, else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_HasOption(_config: *mut PyInitConfig, name: *const c_char) -> c_int {
    opt_name(name).and_then(option).is_some() as c_int
}

/// Looks `name` up for a getter/setter of `kinds`, setting the error.
fn find(c: &mut PyInitConfig, name: *const c_char, kinds: &[Kind]) -> Result<&'static Opt, c_int> {
    let n = opt_name(name).unwrap_or("");
    match option(n) {
        None => Err(c.err(format!("unknown config option name: {n}"))),
        Some(o) if !kinds.contains(&o.kind) => Err(c.err(format!(
            "config option type is not {}",
            match kinds[0] {
                Kind::Str => "string",
                Kind::List => "strings list",
                _ => "int",
            }
        ))),
        Some(o) => Ok(o),
    }
}

/// Stores the integer option `name` in `*value`; 0, or -1 with an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_GetInt(config: *mut PyInitConfig, name: *const c_char, value: *mut i64) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let o = match find(c, name, &[Kind::Int, Kind::Bool, Kind::ULong]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let p: *mut PyConfig = &mut c.config;
    // SAFETY: a field of the config; C passes a writable int64.
    unsafe { *value = if o.kind == Kind::ULong { *ulong_field(p, o) as i64 } else { *int_field(p, o) as i64 } };
    0
}

/// Stores a copy of the string option (free it with `free()`; NULL if
/// unset) in `*value`; 0, or -1 with an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_GetStr(config: *mut PyInitConfig, name: *const c_char, value: *mut *mut c_char) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let o = match find(c, name, &[Kind::Str]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // SAFETY: a string field.
    let s = wstr(unsafe { *str_field(&mut c.config, o) });
    let out = match s {
        None => null_mut(),
        Some(s) => match malloc_cstr(&s) {
            Some(p) => p,
            None => return c.err("memory allocation failed".into()),
        },
    };
    // SAFETY: C passes a writable pointer.
    unsafe { *value = out };
    0
}

/// A `malloc` copy of `s` (UTF-8), for the caller to `free`.
fn malloc_cstr(s: &str) -> Option<*mut c_char> {
    // SAFETY: malloc of len + 1.
    let p = unsafe { libc::malloc(s.len() + 1) }.cast::<u8>();
    if p.is_null() {
        return None;
    }
    // SAFETY: len + 1 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        *p.add(s.len()) = 0;
    }
    Some(p.cast())
}

/// Stores a copy of the string-list option in `*length`/`*items` (free with
/// `PyInitConfig_FreeStrList`); 0, or -1 with an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_GetStrList(config: *mut PyInitConfig, name: *const c_char, length: *mut usize, items: *mut *mut *mut c_char) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let o = match find(c, name, &[Kind::List]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // SAFETY: a list field.
    let v = unsafe { (*list_field(&mut c.config, o)).to_vec() };
    // SAFETY: an array of pointers (at least one slot).
    let arr = unsafe { libc::calloc(v.len().max(1), size_of::<*mut c_char>()) }.cast::<*mut c_char>();
    if arr.is_null() {
        return c.err("memory allocation failed".into());
    }
    for (i, s) in v.iter().enumerate() {
        match malloc_cstr(s) {
            // SAFETY: i < len.
            Some(p) => unsafe { *arr.add(i) = p },
            None => {
                // SAFETY: the first i are ours.
                unsafe { PyInitConfig_FreeStrList(i, arr) };
                return c.err("memory allocation failed".into());
            }
        }
    }
    // SAFETY: C passes writable pointers.
    unsafe {
        *length = v.len();
        *items = arr;
    }
    0
}

/// Frees a list from `PyInitConfig_GetStrList`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_FreeStrList(length: usize, items: *mut *mut c_char) {
    if items.is_null() {
        return;
    }
    for i in 0..length {
        // SAFETY: malloc'd items.
        unsafe { libc::free((*items.add(i)).cast()) };
    }
    // SAFETY: the calloc'd array.
    unsafe { libc::free(items.cast()) };
}

/// Sets an integer option; 0, or -1 with an error (unknown, not an
/// integer, out of range).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_SetInt(config: *mut PyInitConfig, name: *const c_char, value: i64) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let o = match find(c, name, &[Kind::Int, Kind::Bool, Kind::ULong]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let p: *mut PyConfig = &mut c.config;
    match o.kind {
        Kind::ULong => match c_ulong::try_from(value) {
            // SAFETY: a field of the config.
            Ok(v) => unsafe { *ulong_field(p, o) = v },
            Err(_) => return c.err("config option value is out of range".into()),
        },
        _ => match c_int::try_from(value) {
            // SAFETY: a field of the config.
            Ok(v) => unsafe { *int_field(p, o) = v },
            Err(_) => return c.err("config option value is out of int range".into()),
        },
    }
    if o.name == "hash_seed" {
        c.config.use_hash_seed = 1;
    }
    0
}

/// Sets a string option from UTF-8 (NULL: unset); 0, or -1 with an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_SetStr(config: *mut PyInitConfig, name: *const c_char, value: *const c_char) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let o = match find(c, name, &[Kind::Str]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let f = str_field(&mut c.config, o);
    // SAFETY: forwarded; the field pointer is into the config.
    let st = unsafe { PyConfig_SetBytesString(&mut c.config, f, value) };
    if st.is_exception() { c.fail(st) } else { 0 }
}

/// Sets a string-list option from UTF-8 strings; 0, or -1 with an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_SetStrList(config: *mut PyInitConfig, name: *const c_char, length: usize, items: *mut *const c_char) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let o = match find(c, name, &[Kind::List]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let v: Vec<String> = (0..length)
        // SAFETY: `length` NUL-terminated strings.
        .map(|i| unsafe { CStr::from_ptr(*items.add(i)) }.to_string_lossy().into_owned())
        .collect();
    let st = set_list(list_field(&mut c.config, o), &v);
    if st.is_exception() {
        return c.fail(st);
    }
    if o.name == "module_search_paths" {
        c.config.module_search_paths_set = 1;
    }
    0
}

/// Adds a built-in module made by `initfunc` for this configuration's
/// interpreter; 0, or -1 with an error (a name added twice).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyInitConfig_AddModule(config: *mut PyInitConfig, name: *const c_char, initfunc: Option<unsafe extern "C" fn() -> *mut PyObject>) -> c_int {
    // SAFETY: C passes a valid configuration.
    let c = unsafe { &mut *config };
    let (Some(n), Some(f)) = (opt_name(name), initfunc) else {
        return c.err("invalid module name or init function".into());
    };
    if c.modules.iter().any(|(m, _)| m.as_bytes() == n.as_bytes()) {
        return c.err(format!("module {n} is already added"));
    }
    c.modules.push((CString::new(n).unwrap_or_default(), f));
    0
}
