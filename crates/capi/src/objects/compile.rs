//! `compile.h`: `PyCompile_OpcodeStackEffect*`.
//!
//! Stubs: the opcodes are CPython's, which RustPython does not run (its
//! bytecode is its own). Both answer `PY_INVALID_STACK_EFFECT`, CPython's
//! answer for an opcode it does not know, without an exception.

use std::ffi::c_int;

/// `PY_INVALID_STACK_EFFECT`.
const PY_INVALID_STACK_EFFECT: c_int = c_int::MAX;

/// Stub: `PY_INVALID_STACK_EFFECT` for every opcode (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn PyCompile_OpcodeStackEffect(_opcode: c_int, _oparg: c_int) -> c_int {
    PY_INVALID_STACK_EFFECT
}

/// Stub: `PY_INVALID_STACK_EFFECT` for every opcode (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn PyCompile_OpcodeStackEffectWithJump(_opcode: c_int, _oparg: c_int, _jump: c_int) -> c_int {
    PY_INVALID_STACK_EFFECT
}
