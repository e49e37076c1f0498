//! `pystrtod.h` and `pystrcmp.h`: locale-independent float <-> string
//! conversions and ASCII case-insensitive comparison.

use rustpython_vm::AsObject as _;
use std::ffi::{CStr, c_char, c_int};

use super::rp;
use crate::abi::PyObject;
use crate::runtime::api;

/// The longest prefix of `s` that is a float in Python's syntax (no
/// surrounding whitespace, no underscores), as `(value, bytes used)`.
fn parse_prefix(s: &[u8]) -> Option<(f64, usize)> {
    // A float literal can only be made of these bytes: try the prefixes of
    // the run of them, longest first.
    let run = s.iter().take_while(|b| b.is_ascii_digit() || b"+-.eEiInNfFtTyYaA".contains(b)).count();
    let text = std::str::from_utf8(&s[..run]).ok()?;
    (1..=text.len()).rev().filter(|&n| text.is_char_boundary(n)).find_map(|n| {
        let t = &text[..n];
        let lower = t.to_ascii_lowercase();
        let body = lower.trim_start_matches(['+', '-']);
        let special = matches!(body, "inf" | "infinity" | "nan");
        let plain = !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
            && body.bytes().any(|b| b.is_ascii_digit());
        if !(special || plain) || body.starts_with('+') || body.starts_with('-') {
            return None;
        }
        t.parse::<f64>().ok().map(|v| (v, n))
    })
}

/// `PyOS_string_to_double`: parses a float from `s`. With `endptr` NULL the
/// whole string must be a float, else as much as parses is used and
/// `*endptr` set after it. A value too large for a double is ±inf when
/// `overflow_exception` is NULL, else that exception. -1.0 with
/// `ValueError` when nothing parses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_string_to_double(s: *const c_char, endptr: *mut *mut c_char, overflow_exception: *mut PyObject) -> f64 {
    api("PyOS_string_to_double", |vm| {
        // SAFETY: s is a NUL-terminated C string.
        let bytes = unsafe { CStr::from_ptr(s) }.to_bytes();
        let shown = || String::from_utf8_lossy(bytes).into_owned();
        let parsed = parse_prefix(bytes);
        let set_end = |n: usize| {
            if !endptr.is_null() {
                // SAFETY: endptr is a valid out pointer; n <= len(s).
                unsafe { *endptr = s.add(n).cast_mut() };
            }
        };
        let (v, n) = match parsed {
            Some((v, n)) if endptr.is_null() && n != bytes.len() => {
                let _ = v;
                set_end(0);
                return Err(vm.new_value_error(format!("could not convert string to float: '{}'", shown())));
            }
            Some(p) => p,
            None => {
                set_end(0);
                return Err(vm.new_value_error(format!("could not convert string to float: '{}'", shown())));
            }
        };
        set_end(n);
        let literal_inf = {
            let t = String::from_utf8_lossy(&bytes[..n]).to_ascii_lowercase();
            t.contains("inf")
        };
        if v.is_infinite() && !literal_inf && !overflow_exception.is_null() {
            let ty = rp(vm, overflow_exception)?
                .downcast::<rustpython_vm::builtins::PyType>()
                .map_err(|_| crate::runtime::type_error(vm, "overflow_exception must be an exception type"))?;
            return Err(vm.new_exception_msg(ty, format!("value too large to convert to float: '{}'", shown()).into()));
        }
        Ok(v)
    })
}

const Py_DTSF_SIGN: c_int = 0x01;
const Py_DTSF_ADD_DOT_0: c_int = 0x02;
const Py_DTSF_ALT: c_int = 0x04;
const Py_DTSF_NO_NEG_0: c_int = 0x08;
const Py_DTST_FINITE: c_int = 0;
const Py_DTST_INFINITE: c_int = 1;
const Py_DTST_NAN: c_int = 2;

/// `PyOS_double_to_string`: `val` formatted with `format_code` ('e', 'E',
/// 'f', 'F', 'g', 'G', or 'r' for repr with precision 0) and `flags`, as a
/// `PyMem_Malloc`'d string the caller frees; `*ptype` gets the value's class
/// (finite, infinite, NaN). NULL with an exception on a bad argument.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_double_to_string(val: f64, format_code: c_char, precision: c_int, flags: c_int, ptype: *mut c_int) -> *mut c_char {
    api("PyOS_double_to_string", |vm| {
        let code = format_code as u8 as char;
        let mut spec = String::new();
        if flags & Py_DTSF_SIGN != 0 {
            spec.push('+');
        }
        if flags & Py_DTSF_NO_NEG_0 != 0 {
            spec.push('z');
        }
        if flags & Py_DTSF_ALT != 0 {
            spec.push('#');
        }
        let f = vm.ctx.new_float(val);
        let mut text = match code {
            'r' => {
                if precision != 0 {
                    return Err(crate::runtime::system_error(vm, "bad argument to internal function"));
                }
                // Shortest round-tripping digits, as repr; repr's ".0" on an
                // integral value is this function's Py_DTSF_ADD_DOT_0.
                let mut r = f.as_object().repr(vm)?.to_string();
                if r.ends_with(".0") {
                    r.truncate(r.len() - 2);
                }
                if flags & Py_DTSF_SIGN != 0 && !r.starts_with('-') { format!("+{r}") } else { r }
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                spec.push_str(&format!(".{precision}{code}"));
                vm.call_method(f.as_object(), "__format__", (vm.ctx.new_str(spec),))?.str(vm)?.to_string()
            }
            _ => return Err(crate::runtime::system_error(vm, "bad argument to internal function")),
        };
        if flags & Py_DTSF_ADD_DOT_0 != 0 && val.is_finite() && !text.contains(['.', 'e', 'E']) {
            text.push_str(".0");
        }
        if !ptype.is_null() {
            // SAFETY: valid out pointer.
            unsafe { *ptype = if val.is_nan() { Py_DTST_NAN } else if val.is_infinite() { Py_DTST_INFINITE } else { Py_DTST_FINITE } };
        }
        let out = super::pymem::PyMem_Malloc(text.len() + 1).cast::<u8>();
        if out.is_null() {
            return Err(vm.new_exception_empty(vm.ctx.exceptions.memory_error.to_owned()));
        }
        // SAFETY: out has len + 1 bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), out, text.len());
            *out.add(text.len()) = 0;
        }
        Ok(out.cast::<c_char>())
    })
}

/// ASCII case-insensitive comparison of at most `n` bytes (`<0`, 0, `>0`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_mystrnicmp(a: *const c_char, b: *const c_char, n: isize) -> c_int {
    let mut i = 0;
    while i < n {
        // SAFETY: NUL-terminated strings; we stop at the first NUL.
        let (x, y) = unsafe { (*a.offset(i) as u8, *b.offset(i) as u8) };
        let (lx, ly) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if lx != ly || x == 0 {
            return lx as c_int - ly as c_int;
        }
        i += 1;
    }
    0
}

/// ASCII case-insensitive comparison of NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyOS_mystricmp(a: *const c_char, b: *const c_char) -> c_int {
    // SAFETY: forwarded; the comparison stops at the first NUL.
    unsafe { PyOS_mystrnicmp(a, b, isize::MAX) }
}
