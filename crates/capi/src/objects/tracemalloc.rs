//! `tracemalloc.h`. RustPython has no `tracemalloc` module, so tracing is
//! never enabled and both calls answer -2 ("tracemalloc is disabled"), as
//! CPython does while tracemalloc is not tracing.

use std::ffi::c_int;

/// Tracks an allocation of `size` bytes at `ptr` in `domain`: -2.
#[unsafe(no_mangle)]
pub extern "C" fn PyTraceMalloc_Track(_domain: u32, _ptr: usize, _size: usize) -> c_int {
    -2
}

/// Forgets the allocation at `ptr` in `domain`: -2.
#[unsafe(no_mangle)]
pub extern "C" fn PyTraceMalloc_Untrack(_domain: u32, _ptr: usize) -> c_int {
    -2
}
