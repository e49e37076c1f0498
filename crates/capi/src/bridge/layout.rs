//! The CPython 3.14 inline layouts the bridge builds and reads back: str
//! (compact ASCII and compact headers, builder data) and int digits. Tuple,
//! list and bytes layouts are written in place by `mirror` and `builders`.

use malachite_bigint::{BigInt, Sign};
use rustpython_vm::builtins::PyStr;
use rustpython_vm::common::wtf8::{CodePoint, Wtf8Buf};
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use super::Kind;
use crate::abi::*;
use crate::runtime::system_error;

// ---- str ---------------------------------------------------------------------------------

pub const ASCII_DATA: usize = size_of::<PyASCIIObject>();
pub const COMPACT_DATA: usize = size_of::<PyCompactUnicodeObject>();

pub fn kind_for(maxchar: u32) -> u32 {
    match maxchar {
        0..=0xff => PyUnicode_1BYTE_KIND,
        0x100..=0xffff => PyUnicode_2BYTE_KIND,
        _ => PyUnicode_4BYTE_KIND,
    }
}

/// Allocates the mirror of `s`, whose hash is `hash`: filled in as CPython
/// has it for every string used as a name (C compares names by the inline
/// hash before their characters: Cython's keyword matching does).
pub fn str_mirror(s: &PyStr, hash: isize, ty: *mut PyTypeObject, owned: Option<PyObjectRef>) -> *mut PyObject {
    let bytes = s.as_bytes();
    if bytes.is_ascii() {
        let p = super::alloc(ASCII_DATA + bytes.len() + 1, Kind::Str, ty, owned);
        // SAFETY: room for the header, the bytes and the NUL.
        unsafe {
            let a = p.cast::<PyASCIIObject>();
            (*a).length = bytes.len() as isize;
            (*a).hash = hash;
            (*a).state = (PyUnicode_1BYTE_KIND << UNICODE_STATE_KIND_SHIFT) | UNICODE_STATE_COMPACT | UNICODE_STATE_ASCII;
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.cast::<u8>().add(ASCII_DATA), bytes.len());
        }
        return p;
    }
    // Non-ASCII: CPython's compact layout, the fixed-width characters inline
    // after the header, because C reads them there (`PyUnicode_DATA`,
    // `PyUnicode_2BYTE_DATA`, `PyUnicode_READ` are inline functions).
    let maxchar = s.as_wtf8().code_points().map(|c| c.to_u32()).max().unwrap_or(0);
    let kind = kind_for(maxchar);
    let len = s.char_len();
    let p = super::alloc(COMPACT_DATA + (len + 1) * kind as usize, Kind::Str, ty, owned);
    // SAFETY: compact header plus room for len + 1 units of `kind` bytes (the
    // terminating NUL is already zero).
    unsafe {
        let a = p.cast::<PyASCIIObject>();
        (*a).length = len as isize;
        (*a).hash = hash;
        (*a).state = (kind << UNICODE_STATE_KIND_SHIFT) | UNICODE_STATE_COMPACT;
        let data = p.cast::<u8>().add(COMPACT_DATA);
        for (i, c) in s.as_wtf8().code_points().enumerate() {
            let v = c.to_u32();
            match kind {
                PyUnicode_1BYTE_KIND => *data.add(i) = v as u8,
                PyUnicode_2BYTE_KIND => *data.cast::<u16>().add(i) = v as u16,
                _ => *data.cast::<u32>().add(i) = v,
            }
        }
    }
    p
}

pub fn state(p: *mut PyObject) -> (u32, bool) {
    // SAFETY: p has a str layout.
    let st = unsafe { (*p.cast::<PyASCIIObject>()).state };
    ((st >> UNICODE_STATE_KIND_SHIFT) & 7, st & UNICODE_STATE_ASCII != 0)
}

/// Pointer to the inline fixed-width data of a str mirror or builder.
pub fn inline_data(p: *mut PyObject) -> *mut u8 {
    let (_, ascii) = state(p);
    // SAFETY: str mirrors and builders carry their data inline (compact layout).
    unsafe { p.cast::<u8>().add(if ascii { ASCII_DATA } else { COMPACT_DATA }) }
}

/// The characters of `p` if it is a mortal compact-ASCII str mirror or
/// builder of the facade (whose inline data is the string's, UTF-8 too);
/// `None` for anything else.
pub fn ascii_chars<'a>(p: *mut PyObject) -> Option<&'a [u8]> {
    // SAFETY: callers pass NULL or a readable object.
    let h = unsafe { super::mortal_header(p) }?;
    if h.kind != Kind::Str || !state(p).1 {
        return None;
    }
    // SAFETY: a compact-ASCII str carries `length` bytes inline.
    Some(unsafe { std::slice::from_raw_parts(inline_data(p), (*p.cast::<PyASCIIObject>()).length as usize) })
}

/// Builds the RustPython str from a `PyUnicode_New` builder's inline data.
pub fn realise_str(vm: &VirtualMachine, p: *mut PyObject) -> PyResult<PyObjectRef> {
    let (kind, _) = state(p);
    // SAFETY: str layout.
    let len = unsafe { (*p.cast::<PyASCIIObject>()).length } as usize;
    let data = inline_data(p);
    if kind == PyUnicode_1BYTE_KIND {
        // SAFETY: the builder holds len one-byte units.
        let bytes = unsafe { std::slice::from_raw_parts(data, len) };
        // Latin-1: ASCII text is its own UTF-8; other bytes are code points.
        if let Some(ascii) = bytes.is_ascii().then(|| std::str::from_utf8(bytes).ok()).flatten() {
            return Ok(vm.ctx.new_str(ascii).into());
        }
        return Ok(vm.ctx.new_str(bytes.iter().map(|&b| b as char).collect::<String>()).into());
    }
    let mut buf = Wtf8Buf::with_capacity(len);
    for i in 0..len {
        // SAFETY: the builder holds len units of `kind` bytes each.
        let cp = unsafe {
            match kind {
                PyUnicode_2BYTE_KIND => *data.cast::<u16>().add(i) as u32,
                _ => *data.cast::<u32>().add(i),
            }
        };
        let cp = CodePoint::from_u32(cp).ok_or_else(|| system_error(vm, format!("character U+{cp:x} is not in range [U+0000; U+10ffff]")))?;
        buf.push(cp);
    }
    Ok(vm.ctx.new_str(buf).into())
}

// ---- int ---------------------------------------------------------------------------------

/// [`to_digits`] of an `i64`, without allocating: the sign tag, the digit
/// array and how many of its digits are used (at most 3: 64 bits / 30).
pub fn small_digits(v: i64) -> (usize, [u32; 3], usize) {
    let tag = match v {
        0 => return (1, [0; 3], 0),
        1.. => 0,
        _ => 2,
    };
    let (mut m, mut d, mut n) = (v.unsigned_abs(), [0u32; 3], 0);
    while m != 0 {
        d[n] = (m & ((1 << PYLONG_SHIFT) - 1)) as u32;
        m >>= PYLONG_SHIFT;
        n += 1;
    }
    (tag, d, n)
}

/// The value of int mirror `p` when it has at most two digits (|v| < 2^60),
/// read from its inline `lv_tag` and digits as CPython's compact-value
/// macros do: no VM, no lock. `None` for anything else (not a facade int
/// mirror, or larger).
///
/// # Safety
/// `p` must point to a live `PyLongObject` (an exact int: its type checked
/// by the caller).
pub unsafe fn compact_int(p: *mut PyObject) -> Option<i64> {
    // SAFETY: per the contract, a live object; the pre-header check rejects
    // memory the facade did not lay out as an int mirror.
    let h = unsafe { super::try_header(p) }?;
    if h.kind != Kind::Int {
        return None;
    }
    // SAFETY: an int mirror: lv_tag, then ndigits 30-bit digits (at least one slot).
    unsafe {
        let tag = (*p.cast::<PyLongObject>()).lv_tag;
        let d = p.cast::<u8>().add(LONG_DIGITS_OFFSET).cast::<u32>();
        let magnitude = match tag >> 3 {
            0 => 0,
            1 => *d as i64,
            2 => *d as i64 | (*d.add(1) as i64) << PYLONG_SHIFT,
            _ => return None,
        };
        Some(if tag & 3 == 2 { -magnitude } else { magnitude })
    }
}

/// Sign tag and 30-bit digits (least significant first) of `v`, as CPython
/// 3.14 lays out `PyLongObject.long_value`.
pub fn to_digits(v: &BigInt) -> (usize, Vec<u32>) {
    let (sign, words) = v.to_u64_digits();
    let tag = match sign {
        Sign::NoSign => return (1, vec![]),
        Sign::Plus => 0,
        Sign::Minus => 2,
    };
    let mut digits = Vec::with_capacity(words.len() * 64 / 30 + 1);
    let (mut acc, mut nbits): (u128, u32) = (0, 0);
    for w in words {
        acc |= (w as u128) << nbits;
        nbits += 64;
        while nbits >= PYLONG_SHIFT {
            digits.push((acc & ((1 << PYLONG_SHIFT) - 1)) as u32);
            acc >>= PYLONG_SHIFT;
            nbits -= PYLONG_SHIFT;
        }
    }
    if acc != 0 {
        digits.push(acc as u32);
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    (tag, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_digits_match_the_general_conversion() {
        let mut values = vec![0, 1, -1, i64::MAX, i64::MIN, i64::MIN + 1];
        for k in [29, 30, 31, 59, 60, 61, 62] {
            let b = 1i64 << k;
            values.extend([b - 1, b, b + 1, -(b - 1), -b, -(b + 1)]);
        }
        values.extend([12345, -987_654_321, 1_000_000_007 * 3]);
        for v in values {
            let (tag, d, n) = small_digits(v);
            let (gtag, gd) = to_digits(&BigInt::from(v));
            assert_eq!((tag, &d[..n]), (gtag, &gd[..]), "value {v}");
        }
    }
}
