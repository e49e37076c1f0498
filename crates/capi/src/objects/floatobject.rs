//! `floatobject.h` and `boolobject.h`-adjacent numeric helpers.

use rustpython_vm::AsObject as _;
use rustpython_vm::builtins::PyFloat;

use super::{new_ref, rp};
use crate::abi::*;
use crate::runtime::api;

/// New reference to a float.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_FromDouble(v: f64) -> *mut PyObject {
    new_ref("PyFloat_FromDouble", |vm| Ok(vm.ctx.new_float(v).into()))
}

/// The value of a float, or of `o.__float__()` / `o.__index__()` (never
/// parses a string: TypeError "must be real number, not str", as CPython).
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_AsDouble(o: *mut PyObject) -> f64 {
    api("PyFloat_AsDouble", |vm| {
        let obj = rp(vm, o)?;
        if let Some(f) = obj.downcast_ref::<PyFloat>() {
            return Ok(f.to_f64());
        }
        Ok(super::py(vm, || obj.try_float(vm))?.to_f64())
    })
}

/// New reference to `float(s)` for a str object.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_FromString(s: *mut PyObject) -> *mut PyObject {
    new_ref("PyFloat_FromString", |vm| vm.ctx.types.float_type.as_object().call((rp(vm, s)?,), vm))
}

#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_GetMax() -> f64 {
    f64::MAX
}

#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_GetMin() -> f64 {
    f64::MIN_POSITIVE
}

/// New reference to `sys.float_info`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_GetInfo() -> *mut PyObject {
    new_ref("PyFloat_GetInfo", |vm| vm.sys_module.get_attr("float_info", vm))
}

// ---- PyFloat_{Pack,Unpack}{2,4,8}: IEEE 754 binary16/32/64, CPython's bit rules ----------

/// Writes the `N` bytes of `bits` (big-endian order) to `p`, reversed if `le`.
fn put<const N: usize>(p: *mut std::ffi::c_char, be: [u8; N], le: i32) {
    for (i, b) in be.iter().enumerate() {
        let at = if le != 0 { N - 1 - i } else { i };
        // SAFETY: C guarantees N writable bytes at p.
        unsafe { *p.cast::<u8>().add(at) = *b };
    }
}

/// Reads `N` bytes at `p` as big-endian bytes (reversing if `le`).
fn get<const N: usize>(p: *const std::ffi::c_char, le: i32) -> [u8; N] {
    let mut be = [0u8; N];
    for (i, b) in be.iter_mut().enumerate() {
        let at = if le != 0 { N - 1 - i } else { i };
        // SAFETY: C guarantees N readable bytes at p.
        *b = unsafe { *p.cast::<u8>().add(at) };
    }
    be
}

/// The binary16 bits of `x`, rounding half to even; `None` on overflow.
fn half_bits(x: f64) -> Option<u16> {
    let sign = x.is_sign_negative() as u16;
    let (e, bits): (i32, u16) = if x == 0.0 {
        (0, 0)
    } else if x.is_infinite() {
        (0x1f, 0)
    } else if x.is_nan() {
        // NaN type and payload: the top 10 mantissa bits; a quiet NaN if none.
        let b = ((x.to_bits() & 0xffc0000000000) >> 42) as u16;
        (0x1f, if b == 0 { 1 << 9 } else { b })
    } else {
        let a = x.abs();
        let mut e = a.log2().floor() as i32;
        // Exact power-of-two exponent (log2 may be off by one near boundaries).
        if 2f64.powi(e) > a {
            e -= 1;
        } else if 2f64.powi(e + 1) <= a {
            e += 1;
        }
        let mut f = a / 2f64.powi(e); // [1.0, 2.0)
        if e >= 16 {
            return None;
        } else if e < -25 {
            f = 0.0;
            e = 0;
        } else if e < -14 {
            f *= 2f64.powi(14 + e);
            e = 0;
        } else {
            e += 15;
            f -= 1.0;
        }
        f *= 1024.0;
        let mut bits = f as u16;
        if f - bits as f64 > 0.5 || (f - bits as f64 == 0.5 && bits % 2 == 1) {
            bits += 1;
            if bits == 1024 {
                bits = 0;
                e += 1;
                if e == 31 {
                    return None;
                }
            }
        }
        (e, bits)
    };
    Some(bits | ((e as u16) << 10) | (sign << 15))
}

/// Packs `x` as an IEEE binary16 into `p[0:2]` (little-endian if `le`);
/// 0, or -1 with OverflowError if it is too large.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_Pack2(x: f64, p: *mut std::ffi::c_char, le: i32) -> i32 {
    api("PyFloat_Pack2", |vm| match half_bits(x) {
        Some(b) => {
            put(p, b.to_be_bytes(), le);
            Ok(0)
        }
        None => Err(crate::runtime::new_error(vm, vm.ctx.exceptions.overflow_error, "float too large to pack with e format")),
    })
}

/// The binary32 bits of `x` (`None` if a finite `x` overflows); NaNs keep
/// their sign, quietness and the top payload bits, as CPython's.
fn single_bits(x: f64) -> Option<u32> {
    if x.is_nan() {
        let v = x.to_bits();
        let payload = ((v & 0x7ffffffffffff) >> 29) as u32;
        let mut u = (((v >> 63) as u32) << 31) | 0x7f800000 | (1 << 22) | payload;
        if v & (1 << 51) == 0 && payload != 0 {
            u &= !(1 << 22);
        }
        return Some(u);
    }
    let y = x as f32;
    if y.is_infinite() && !x.is_infinite() {
        return None;
    }
    Some(y.to_bits())
}

/// Packs `x` as an IEEE binary32 into `p[0:4]`; -1 with OverflowError if too large.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_Pack4(x: f64, p: *mut std::ffi::c_char, le: i32) -> i32 {
    api("PyFloat_Pack4", |vm| match single_bits(x) {
        Some(b) => {
            put(p, b.to_be_bytes(), le);
            Ok(0)
        }
        None => Err(crate::runtime::new_error(vm, vm.ctx.exceptions.overflow_error, "float too large to pack with f format")),
    })
}

/// Packs `x` as an IEEE binary64 into `p[0:8]`; never fails.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_Pack8(x: f64, p: *mut std::ffi::c_char, le: i32) -> i32 {
    put(p, x.to_bits().to_be_bytes(), le);
    0
}

/// The binary16 at `p[0:2]` as a double; never fails.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_Unpack2(p: *const std::ffi::c_char, le: i32) -> f64 {
    let v = u16::from_be_bytes(get(p, le));
    let sign = v >> 15 != 0;
    let e = ((v >> 10) & 0x1f) as i32;
    let f = (v & 0x3ff) as u64;
    if e == 0x1f {
        if f == 0 {
            return if sign { f64::NEG_INFINITY } else { f64::INFINITY };
        }
        let base: u64 = if sign { 0xfff0000000000000 } else { 0x7ff0000000000000 };
        return f64::from_bits(base + (f << 42));
    }
    let mut x = f as f64 / 1024.0;
    let e = if e == 0 {
        -14
    } else {
        x += 1.0;
        e - 15
    };
    x *= 2f64.powi(e);
    if sign { -x } else { x }
}

/// The binary32 at `p[0:4]` as a double (signalling NaNs stay signalling).
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_Unpack4(p: *const std::ffi::c_char, le: i32) -> f64 {
    let v = u32::from_be_bytes(get(p, le));
    let x = f32::from_bits(v);
    if x.is_nan() {
        let mut u = (((v >> 31) as u64) << 63) | 0x7ff0000000000000 | (1 << 51) | (((v & 0x3fffff) as u64) << 29);
        if v & (1 << 22) == 0 {
            u &= !(1 << 51);
        }
        return f64::from_bits(u);
    }
    x as f64
}

/// The binary64 at `p[0:8]`.
#[unsafe(no_mangle)]
pub extern "C" fn PyFloat_Unpack8(p: *const std::ffi::c_char, le: i32) -> f64 {
    f64::from_bits(u64::from_be_bytes(get(p, le)))
}
