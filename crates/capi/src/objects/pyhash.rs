//! `pyhash.h`: the hash of raw memory and of pointers, and the hash
//! algorithm's description.

use rustpython_vm::AsObject as _;
use std::ffi::{c_char, c_int, c_void};

use crate::abi::{Py_hash_t, Py_ssize_t};
use crate::runtime::api_noerr;

/// `hash(bytes(ptr[:len]))`: 0 for an empty buffer; never fails.
#[unsafe(no_mangle)]
pub extern "C" fn Py_HashBuffer(ptr: *const c_void, len: Py_ssize_t) -> Py_hash_t {
    if len <= 0 || ptr.is_null() {
        return 0;
    }
    // SAFETY: C guarantees len readable bytes at ptr.
    let data = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) };
    api_noerr("Py_HashBuffer", 0, |vm| vm.ctx.new_bytes(data.to_vec()).as_object().hash(vm).map_or(0, |h| h as Py_hash_t))
}

/// CPython's pointer hash: the address rotated right by 4 bits (the low bits
/// of an aligned address carry no information); -1 becomes -2.
#[unsafe(no_mangle)]
pub extern "C" fn Py_HashPointer(ptr: *const c_void) -> Py_hash_t {
    let h = (ptr as usize).rotate_right(4) as Py_hash_t;
    if h == -1 { -2 } else { h }
}

/// `PyHash_FuncDef`: the string/bytes hash function and its parameters.
#[repr(C)]
pub struct PyHash_FuncDef {
    pub hash: extern "C" fn(*const c_void, Py_ssize_t) -> Py_hash_t,
    pub name: *const c_char,
    pub hash_bits: c_int,
    pub seed_bits: c_int,
}
// SAFETY: immutable static data.
unsafe impl Sync for PyHash_FuncDef {}

/// RustPython hashes str and bytes with SipHash-2-4 (`sys.hash_info.algorithm`
/// is "siphash24"); the definition reports what the interpreter really uses.
static FUNC_DEF: PyHash_FuncDef = PyHash_FuncDef {
    hash: Py_HashBuffer,
    name: c"siphash24".as_ptr(),
    hash_bits: 64,
    seed_bits: 128,
};

/// Borrowed pointer to the static description of the hash algorithm, agreeing
/// with `sys.hash_info` (`algorithm`, `hash_bits`, `seed_bits`).
#[unsafe(no_mangle)]
pub extern "C" fn PyHash_GetFuncDef() -> *const PyHash_FuncDef {
    &FUNC_DEF
}
