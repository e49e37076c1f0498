//! `pydebug.h` / `fileobject.h` globals: the legacy `Py_*Flag` ints, the
//! file-system encoding and `Py_UTF8Mode`. CPython writes them from its
//! configuration at start-up; [`install`] writes them from `sys.flags` and
//! `sys.getfilesystemencoding()` when the facade is installed. Writing them
//! afterwards changes nothing, as in CPython.
#![allow(non_upper_case_globals)]

use std::ffi::{CString, c_char, c_int};

use rustpython_vm::VirtualMachine;

macro_rules! flags {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` (deprecated configuration global).")]
        #[unsafe(no_mangle)]
        pub static mut $name: c_int = 0;
    )*};
}

flags! {
    Py_DebugFlag, Py_VerboseFlag, Py_QuietFlag, Py_InteractiveFlag, Py_InspectFlag,
    Py_OptimizeFlag, Py_NoSiteFlag, Py_BytesWarningFlag, Py_FrozenFlag,
    Py_IgnoreEnvironmentFlag, Py_DontWriteBytecodeFlag, Py_NoUserSiteDirectory,
    Py_UnbufferedStdioFlag, Py_HashRandomizationFlag, Py_IsolatedFlag, Py_UTF8Mode,
}

/// The file-system encoding (`sys.getfilesystemencoding()`), set at start-up.
#[unsafe(no_mangle)]
pub static mut Py_FileSystemDefaultEncoding: *const c_char = std::ptr::null();

/// The file-system error handler (`sys.getfilesystemencodeerrors()`).
#[unsafe(no_mangle)]
pub static mut Py_FileSystemDefaultEncodeErrors: *const c_char = c"surrogateescape".as_ptr();

/// 0: the encoding above was set from the configuration (CPython on Linux).
#[unsafe(no_mangle)]
pub static mut Py_HasFileSystemDefaultEncoding: c_int = 0;

/// Writes the globals from the running interpreter's configuration.
pub(crate) fn install(vm: &VirtualMachine) {
    let flags = vm.sys_module.get_attr("flags", vm).ok();
    let flag = |name: &'static str| -> c_int {
        flags.as_ref().and_then(|f| f.get_attr(name, vm).ok()).and_then(|v| v.try_to_value::<i32>(vm).ok()).unwrap_or(0)
    };
    let text = |func: &'static str| -> Option<&'static std::ffi::CStr> {
        let v = vm.call_method(vm.sys_module.as_ref(), func, ()).ok()?.str(vm).ok()?.to_string();
        Some(Box::leak(CString::new(v).ok()?.into_boxed_c_str()))
    };
    // `-u`, or PYTHONUNBUFFERED (which the embedding may not have applied).
    let unbuffered = !vm.state.config.settings.buffered_stdio
        || (flag("ignore_environment") == 0 && std::env::var_os("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty()));
    // SAFETY: written once while the facade is installed, before any
    // extension is loaded that could read them.
    unsafe {
        Py_DebugFlag = flag("debug");
        Py_VerboseFlag = flag("verbose");
        Py_QuietFlag = flag("quiet");
        Py_InteractiveFlag = flag("interactive");
        Py_InspectFlag = flag("inspect");
        Py_OptimizeFlag = flag("optimize");
        Py_NoSiteFlag = flag("no_site");
        Py_BytesWarningFlag = flag("bytes_warning");
        Py_IgnoreEnvironmentFlag = flag("ignore_environment");
        Py_DontWriteBytecodeFlag = flag("dont_write_bytecode");
        Py_NoUserSiteDirectory = flag("no_user_site");
        Py_HashRandomizationFlag = flag("hash_randomization");
        Py_IsolatedFlag = flag("isolated");
        Py_UTF8Mode = flag("utf8_mode");
        Py_UnbufferedStdioFlag = c_int::from(unbuffered);
        if let Some(e) = text("getfilesystemencoding") {
            Py_FileSystemDefaultEncoding = e.as_ptr();
        }
        if let Some(e) = text("getfilesystemencodeerrors") {
            Py_FileSystemDefaultEncodeErrors = e.as_ptr();
        }
    }
}
