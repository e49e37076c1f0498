//! `pystrtod.h`/`Python/mystrtoul.c`: `PyOS_strtoul` and `PyOS_strtol`,
//! C `strtoul` with Python's literal rules (`0x`/`0o`/`0b` prefixes, no
//! octal from a bare leading 0), overflow reported through `errno`.

use std::ffi::{c_char, c_int, c_long, c_ulong};

fn digit(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'a'..=b'z' => u32::from(c - b'a') + 10,
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 37,
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn set_errno(e: c_int) {
    // SAFETY: the thread's errno location.
    unsafe { *libc::__errno_location() = e };
}

/// # Safety
/// `s` is NUL-terminated.
unsafe fn at(s: *const c_char, i: usize) -> u8 {
    // SAFETY: callers stop at the NUL.
    unsafe { *s.add(i) as u8 }
}

/// Parses an unsigned integer in `base` (0: from its prefix, 2..=36);
/// `*ptr` gets the first unparsed character. On overflow: `ULONG_MAX` and
/// `errno = ERANGE`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_strtoul(s: *const c_char, ptr: *mut *mut c_char, base: c_int) -> c_ulong {
    let mut i = 0usize;
    let mut base = base as u32;
    let done = |i: usize, v: c_ulong| {
        if !ptr.is_null() {
            // SAFETY: C passes a writable pointer slot; i is within s.
            unsafe { *ptr = s.add(i).cast_mut() };
        }
        v
    };
    // SAFETY: every read stops at the terminating NUL (digit/is_space reject it).
    unsafe {
        while at(s, i) != 0 && is_space(at(s, i)) {
            i += 1;
        }
        let prefix = |base: u32| match base {
            16 => b'x',
            8 => b'o',
            _ => b'b',
        };
        match base {
            0 => {
                if at(s, i) == b'0' {
                    i += 1;
                    let c = at(s, i).to_ascii_lowercase();
                    let b = match c {
                        b'x' => 16,
                        b'o' => 8,
                        b'b' => 2,
                        _ => {
                            while at(s, i) == b'0' {
                                i += 1;
                            }
                            while is_space(at(s, i)) {
                                i += 1;
                            }
                            return done(i, 0);
                        }
                    };
                    if digit(at(s, i + 1)) >= b {
                        return done(i, 0);
                    }
                    i += 1;
                    base = b;
                } else {
                    base = 10;
                }
            }
            16 | 8 | 2 => {
                if at(s, i) == b'0' {
                    i += 1;
                    if at(s, i).to_ascii_lowercase() == prefix(base) {
                        if digit(at(s, i + 1)) >= base {
                            return done(i, 0);
                        }
                        i += 1;
                    }
                }
            }
            _ => {}
        }
        if !(2..=36).contains(&base) {
            return done(i, 0);
        }
        while at(s, i) == b'0' {
            i += 1;
        }
        let mut result: c_ulong = 0;
        let mut overflow = false;
        while digit(at(s, i)) < base {
            if !overflow {
                match result.checked_mul(c_ulong::from(base)).and_then(|r| r.checked_add(c_ulong::from(digit(at(s, i))))) {
                    Some(r) => result = r,
                    None => overflow = true,
                }
            }
            i += 1;
        }
        if overflow {
            set_errno(libc::ERANGE);
            return done(i, c_ulong::MAX);
        }
        done(i, result)
    }
}

/// Signed `PyOS_strtoul`: on overflow `LONG_MAX` (either sign, as CPython)
/// and `errno = ERANGE`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_strtol(s: *const c_char, ptr: *mut *mut c_char, base: c_int) -> c_long {
    let mut s = s;
    // SAFETY: reads stop at the NUL.
    unsafe {
        while *s != 0 && is_space(*s as u8) {
            s = s.add(1);
        }
        let sign = *s as u8;
        if sign == b'+' || sign == b'-' {
            s = s.add(1);
        }
        let u = PyOS_strtoul(s, ptr, base);
        if u <= c_long::MAX as c_ulong {
            let r = u as c_long;
            if sign == b'-' { -r } else { r }
        } else if sign == b'-' && u == c_long::MIN.unsigned_abs() {
            c_long::MIN
        } else {
            set_errno(libc::ERANGE);
            c_long::MAX
        }
    }
}
