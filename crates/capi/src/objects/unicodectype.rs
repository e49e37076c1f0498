//! `Objects/unicodectype.c` helpers that Cython-built wheels import
//! (`_PyUnicode_ToLowercase`, `_PyUnicode_IsWhitespace`) and the ASCII
//! whitespace table `_Py_ascii_whitespace` (`cpython/unicodeobject.h`).

use std::ffi::c_int;

/// `Py_UCS4`.
type Ucs4 = u32;

/// `str.isspace()` for one code point: Unicode White_Space plus the
/// information separators U+001C..U+001F (bidirectional class B/S), as CPython.
fn is_space(ch: Ucs4) -> bool {
    (0x1C..=0x1F).contains(&ch) || char::from_u32(ch).is_some_and(char::is_whitespace)
}

/// `_PyUnicode_IsWhitespace`: 1 if `ch` is whitespace by `str.isspace()`, else 0.
#[unsafe(no_mangle)]
pub extern "C" fn _PyUnicode_IsWhitespace(ch: Ucs4) -> c_int {
    is_space(ch) as c_int
}

/// `_PyUnicode_ToLowercase`: the lowercase of `ch` (the first code point of
/// its full lowercase mapping, which is its simple mapping); `ch` itself if
/// it has none or is not a valid code point.
#[unsafe(no_mangle)]
pub extern "C" fn _PyUnicode_ToLowercase(ch: Ucs4) -> Ucs4 {
    char::from_u32(ch).and_then(|c| c.to_lowercase().next()).map_or(ch, |c| c as Ucs4)
}

const fn ascii_whitespace() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        t[c] = matches!(c, 0x09..=0x0D | 0x1C..=0x20) as u8;
        c += 1;
    }
    t
}

/// `_Py_ascii_whitespace`: 1 for the ASCII characters `str.isspace()` accepts.
#[unsafe(no_mangle)]
pub static _Py_ascii_whitespace: [u8; 128] = ascii_whitespace();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_matches_str_isspace() {
        for c in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1F, 0x20, 0x85, 0xA0, 0x2028, 0x3000] {
            assert_eq!(_PyUnicode_IsWhitespace(c), 1, "{c:#x}");
        }
        for c in [0x08, 0x21, 0x200B, 0xFEFF, 0x41] {
            assert_eq!(_PyUnicode_IsWhitespace(c), 0, "{c:#x}");
        }
        assert_eq!(_Py_ascii_whitespace.iter().filter(|&&b| b == 1).count(), 10);
    }
}
