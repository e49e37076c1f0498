//! `Parser/myreadline.c`: `PyOS_Readline` and its hooks
//! `PyOS_ReadlineFunctionPointer` / `PyOS_InputHook`.
#![allow(non_upper_case_globals)]

use std::ffi::{CStr, c_char, c_int};
use std::ptr::null_mut;

use super::pymem;
use crate::runtime::{api, errors, gil};

type File = libc::FILE;
type ReadlineFn = unsafe extern "C" fn(*mut File, *mut File, *const c_char) -> *mut c_char;

/// The function `PyOS_Readline` calls (NULL: the stdio one); it returns a
/// `PyMem_RawMalloc` string, "" at end of file, or NULL with an exception.
#[unsafe(no_mangle)]
pub static mut PyOS_ReadlineFunctionPointer: Option<ReadlineFn> = None;

/// Called repeatedly while the stdio reader waits for input (NULL: none).
#[unsafe(no_mangle)]
pub static mut PyOS_InputHook: Option<unsafe extern "C" fn() -> c_int> = None;

unsafe extern "C" {
    fn fgets(buf: *mut c_char, n: c_int, f: *mut File) -> *mut c_char;
    fn fputs(s: *const c_char, f: *mut File) -> c_int;
    fn fflush(f: *mut File) -> c_int;
    fn clearerr(f: *mut File);
    static mut stderr: *mut File;
}

/// `PyOS_StdioReadline`: writes the prompt to stderr and reads one line
/// (newline kept) from `sys_stdin`, calling `PyOS_InputHook` first; NULL
/// with `KeyboardInterrupt` (or a signal handler's exception) when
/// interrupted.
unsafe extern "C" fn stdio_readline(sys_stdin: *mut File, _sys_stdout: *mut File, prompt: *const c_char) -> *mut c_char {
    // SAFETY: the process's stderr stream; the caller's prompt.
    unsafe {
        fflush(stderr);
        if !prompt.is_null() {
            fputs(prompt, stderr);
        }
        fflush(stderr);
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0 as c_char; 256];
    loop {
        // SAFETY: a plain hook pointer.
        if let Some(hook) = unsafe { PyOS_InputHook } {
            // SAFETY: the extension's hook.
            unsafe { hook() };
        }
        // SAFETY: chunk is writable; the stream is open.
        let r = unsafe { fgets(chunk.as_mut_ptr(), chunk.len() as c_int, sys_stdin) };
        if r.is_null() {
            let err = std::io::Error::last_os_error().raw_os_error();
            // SAFETY: an open stream.
            unsafe { clearerr(sys_stdin) };
            if err == Some(libc::EINTR) {
                let interrupted = crate::runtime::api("PyOS_Readline", |vm| {
                    let _g = gil::ensure(vm);
                    vm.check_signals().map(|()| 0)
                });
                if interrupted != 0 {
                    return null_mut();
                }
                continue;
            }
            break;
        }
        // SAFETY: fgets wrote a NUL-terminated string.
        let line = unsafe { CStr::from_ptr(chunk.as_ptr()) }.to_bytes();
        buf.extend_from_slice(line);
        if line.ends_with(b"\n") {
            break;
        }
    }
    buf.push(0);
    let p = pymem::PyMem_RawMalloc(buf.len()).cast::<c_char>();
    if !p.is_null() {
        // SAFETY: p has room for buf.
        unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr().cast(), p, buf.len()) };
    }
    p
}

/// Reads a line with `PyOS_ReadlineFunctionPointer` (the stdio reader by
/// default) with the GIL released; returns a `PyMem_Malloc` copy ("" at
/// end of file) or NULL with an exception.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_Readline(sys_stdin: *mut File, sys_stdout: *mut File, prompt: *const c_char) -> *mut c_char {
    // SAFETY: a plain function-pointer global, set to the stdio reader on
    // first use as CPython does.
    let f = unsafe {
        let slot = &raw mut PyOS_ReadlineFunctionPointer;
        *slot.as_mut().expect("static").get_or_insert(stdio_readline)
    };
    let depth = gil::save();
    // SAFETY: the reader's contract.
    let rv = unsafe { f(sys_stdin, sys_stdout, prompt) };
    rustpython_vm::vm::thread::try_with_current_vm(|vm| gil::restore(Some(vm), depth)).unwrap_or_else(|| gil::restore(None, depth));
    if rv.is_null() {
        if !errors::is_set() {
            api("PyOS_Readline", |vm| Err::<(), _>(vm.new_exception_empty(vm.ctx.exceptions.keyboard_interrupt.to_owned())));
        }
        return null_mut();
    }
    // SAFETY: the reader returns a NUL-terminated raw-domain string.
    let len = unsafe { CStr::from_ptr(rv) }.to_bytes().len() + 1;
    let res = pymem::PyMem_Malloc(len).cast::<c_char>();
    if res.is_null() {
        api("PyOS_Readline", |vm| Err::<(), _>(vm.new_memory_error("")));
    } else {
        // SAFETY: both blocks hold len bytes.
        unsafe { std::ptr::copy_nonoverlapping(rv, res, len) };
    }
    // SAFETY: rv came from the raw domain.
    unsafe { pymem::PyMem_RawFree(rv.cast()) };
    res
}
