//! `cpython/pyctype.h`: locale-independent ASCII character tables.

const fn ascii_tolower() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = if c >= b'A' as usize && c <= b'Z' as usize { c as u8 + 32 } else { c as u8 };
        c += 1;
    }
    t
}

/// `_Py_ctype_tolower`: ASCII lowercase of each byte; bytes >= 0x80 unchanged.
#[unsafe(no_mangle)]
pub static _Py_ctype_tolower: [u8; 256] = ascii_tolower();
