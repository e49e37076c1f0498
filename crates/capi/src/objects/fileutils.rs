//! `fileutils.h` / `fileobject.h` / `pydebug.h` helpers on C `FILE*` and
//! locale-encoded strings: `Py_fopen`, `Py_fclose`, `Py_DecodeLocale`,
//! `Py_EncodeLocale`, `Py_UniversalNewlineFgets`, `Py_FdIsInteractive`,
//! `Py_GETENV`.
//!
//! The locale codec is UTF-8 with `surrogateescape`, which is what CPython
//! uses in UTF-8 mode and under a UTF-8 locale (undecodable bytes map to
//! U+DC80..U+DCFF and back).

use std::ffi::{CStr, c_char, c_int};
use std::ptr::null_mut;

use rustpython_vm::AsObject;

use super::{pymem, rp};
use crate::abi::PyObject;
use crate::runtime::{api, gil};

type File = libc::FILE;

/// Opens `path` (str, bytes or os.PathLike) with C `fopen(mode)`,
/// non-inheritable, after the `open` audit event; NULL with `OSError`
/// (carrying the filename) or the conversion's `TypeError`/`ValueError`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_fopen(path: *mut PyObject, mode: *const c_char) -> *mut File {
    api("Py_fopen", |vm| -> rustpython_vm::PyResult<*mut std::ffi::c_void> {
        let p = rp(vm, path)?;
        let mode_s = super::cstr(vm, mode)?;
        super::py(vm, || {
            if let Ok(audit) = vm.sys_module.get_attr("audit", vm) {
                audit.call((vm.ctx.new_str("open"), p.clone(), vm.ctx.new_str(mode_s), 0), vm)?;
            }
            Ok::<_, rustpython_vm::builtins::PyBaseExceptionRef>(())
        })?;
        let os = vm.import("os", 0)?;
        let b = super::py(vm, || vm.call_method(&os, "fsencode", (p.clone(),)))?;
        let bytes = b.downcast_ref::<rustpython_vm::builtins::PyBytes>().ok_or_else(|| vm.new_type_error("os.fsencode did not return bytes"))?;
        let c = std::ffi::CString::new(bytes.as_bytes().to_vec()).map_err(|_| vm.new_value_error("embedded null byte"))?;
        loop {
            let depth = gil::save();
            // SAFETY: valid NUL-terminated path and mode.
            let f = unsafe { libc::fopen(c.as_ptr(), mode) };
            let err = std::io::Error::last_os_error();
            gil::restore(Some(vm), depth);
            if !f.is_null() {
                // SAFETY: f is an open stream.
                unsafe {
                    let fd = libc::fileno(f);
                    let flags = libc::fcntl(fd, libc::F_GETFD);
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
                return Ok(f.cast());
            }
            let errno = err.raw_os_error().unwrap_or(0);
            if errno == libc::EINTR {
                vm.check_signals()?;
                continue;
            }
            let msg = err.to_string();
            let msg = msg.split(" (os error").next().unwrap_or(&msg).to_owned();
            let e = vm.ctx.exceptions.os_error.as_object().call((errno, msg, p.clone()), vm)?;
            return Err(e.downcast().map_err(|_| vm.new_system_error("OSError() did not return an exception"))?);
        }
    })
    .cast()
}

/// `fclose(file)`: 0, or EOF with `errno` set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_fclose(file: *mut File) -> c_int {
    // SAFETY: C passes an open stream.
    unsafe { libc::fclose(file) }
}

/// New `wchar_t` string (free with `PyMem_RawFree`) decoded from the
/// locale encoding with `surrogateescape`; `*size` gets its length. NULL
/// with `*size` = `(size_t)-1` if memory runs out.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_DecodeLocale(arg: *const c_char, size: *mut usize) -> *mut libc::wchar_t {
    // SAFETY: C passes a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(arg) }.to_bytes();
    let mut out: Vec<libc::wchar_t> = Vec::with_capacity(bytes.len() + 1);
    for chunk in bytes.utf8_chunks() {
        out.extend(chunk.valid().chars().map(|c| c as libc::wchar_t));
        out.extend(chunk.invalid().iter().map(|&b| 0xDC00 + libc::wchar_t::from(b)));
    }
    let n = out.len();
    out.push(0);
    let p = pymem::PyMem_RawMalloc(out.len() * size_of::<libc::wchar_t>()).cast::<libc::wchar_t>();
    if p.is_null() {
        if !size.is_null() {
            // SAFETY: C passes a writable size_t.
            unsafe { *size = usize::MAX };
        }
        return null_mut();
    }
    // SAFETY: p has room for out.
    unsafe { std::ptr::copy_nonoverlapping(out.as_ptr(), p, out.len()) };
    if !size.is_null() {
        // SAFETY: as above.
        unsafe { *size = n };
    }
    p
}

/// New byte string (free with `PyMem_Free`) encoding `text` to the locale
/// encoding with `surrogateescape`. NULL on error with `*error_pos` = the
/// index of the unencodable character (or `(size_t)-1` for no memory).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_EncodeLocale(text: *const libc::wchar_t, error_pos: *mut usize) -> *mut c_char {
    let mut out = Vec::new();
    let mut i = 0usize;
    loop {
        // SAFETY: C passes a NUL-terminated wide string.
        let w = unsafe { *text.add(i) };
        if w == 0 {
            break;
        }
        match w as u32 {
            c @ 0xDC80..=0xDCFF => out.push((c - 0xDC00) as u8),
            c => match char::from_u32(c) {
                Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                None => {
                    if !error_pos.is_null() {
                        // SAFETY: C passes a writable size_t.
                        unsafe { *error_pos = i };
                    }
                    return null_mut();
                }
            },
        }
        i += 1;
    }
    out.push(0);
    let p = pymem::PyMem_Malloc(out.len()).cast::<c_char>();
    if p.is_null() {
        if !error_pos.is_null() {
            // SAFETY: as above.
            unsafe { *error_pos = usize::MAX };
        }
        return null_mut();
    }
    // SAFETY: p has room for out.
    unsafe { std::ptr::copy_nonoverlapping(out.as_ptr().cast(), p, out.len()) };
    if !error_pos.is_null() {
        // SAFETY: as above.
        unsafe { *error_pos = usize::MAX };
    }
    p
}

/// `fgets` that turns `\r` and `\r\n` into `\n`; NULL at end of file
/// with nothing read. `fobj` must be NULL (else NULL with `errno` ENXIO).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_UniversalNewlineFgets(buf: *mut c_char, n: c_int, stream: *mut File, fobj: *mut PyObject) -> *mut c_char {
    if !fobj.is_null() {
        // SAFETY: the thread's errno.
        unsafe { *libc::__errno_location() = libc::ENXIO };
        return null_mut();
    }
    let mut p = buf;
    let mut n = n;
    // SAFETY: C passes an n-byte buffer and an open stream.
    unsafe {
        flockfile(stream);
        loop {
            n -= 1;
            if n <= 0 {
                break;
            }
            let mut c = getc_unlocked(stream);
            if c == libc::EOF {
                break;
            }
            if c == c_int::from(b'\r') {
                c = getc_unlocked(stream);
                if c != c_int::from(b'\n') {
                    libc::ungetc(c, stream);
                    c = c_int::from(b'\n');
                }
            }
            *p = c as c_char;
            p = p.add(1);
            if c == c_int::from(b'\n') {
                break;
            }
        }
        funlockfile(stream);
        *p = 0;
    }
    if p == buf { null_mut() } else { buf }
}

unsafe extern "C" {
    fn getenv(name: *const c_char) -> *mut c_char;
    fn flockfile(f: *mut File);
    fn funlockfile(f: *mut File);
    fn getc_unlocked(f: *mut File) -> c_int;
}

/// 1 if `fp` is a terminal, or (with `Py_InteractiveFlag`) if `filename`
/// is NULL, "<stdin>" or "???".
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_FdIsInteractive(fp: *mut File, filename: *const c_char) -> c_int {
    // SAFETY: C passes an open stream.
    if unsafe { libc::isatty(libc::fileno(fp)) } != 0 {
        return 1;
    }
    // SAFETY: a plain int global.
    if unsafe { super::pydebug::Py_InteractiveFlag } == 0 {
        return 0;
    }
    if filename.is_null() {
        return 1;
    }
    // SAFETY: C passes a NUL-terminated string.
    let f = unsafe { CStr::from_ptr(filename) }.to_bytes();
    c_int::from(f == b"<stdin>" || f == b"???")
}

/// `getenv(name)`, or NULL when the environment is ignored (`-E`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn Py_GETENV(name: *const c_char) -> *mut c_char {
    // SAFETY: a plain int global.
    if unsafe { super::pydebug::Py_IgnoreEnvironmentFlag } != 0 {
        return null_mut();
    }
    // SAFETY: C passes a NUL-terminated name.
    unsafe { getenv(name) }
}

