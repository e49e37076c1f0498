//! `pyport.h`/`Python/mysnprintf.c`: `PyOS_snprintf`/`PyOS_vsnprintf`,
//! C `vsnprintf` that always NUL-terminates the buffer.

use std::ffi::{VaList, c_char, c_int};

unsafe extern "C" {
    fn vsnprintf(buf: *mut c_char, size: usize, format: *const c_char, va: VaList<'_>) -> c_int;
}

/// Formats into `str` (at most `size` bytes, always NUL-terminated when
/// `size` > 0); returns the length the full output needs (as C99
/// `vsnprintf`), or a negative number on error (-666 if `size` exceeds
/// `INT_MAX - 1`, as CPython).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_vsnprintf(str: *mut c_char, size: usize, format: *const c_char, va: VaList<'_>) -> c_int {
    let len = if size > (c_int::MAX - 1) as usize {
        -666
    } else {
        // SAFETY: the caller's buffer, format and arguments.
        unsafe { vsnprintf(str, size, format, va) }
    };
    if size > 0 && !str.is_null() {
        // SAFETY: size bytes are writable.
        unsafe { *str.add(size - 1) = 0 };
    }
    len
}

/// `PyOS_vsnprintf` with `...` arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_snprintf(str: *mut c_char, size: usize, format: *const c_char, args: ...) -> c_int {
    // SAFETY: forwarded.
    unsafe { PyOS_vsnprintf(str, size, format, args) }
}
