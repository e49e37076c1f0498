//! `pymem.h` and the allocation half of `objimpl.h`: the three allocator
//! domains (raw, mem, object), each a replaceable `PyMemAllocatorEx` as in
//! CPython; the default allocators are the C library's, with CPython's rule
//! that a zero-size request returns a unique non-NULL pointer.
//!
//! Facade objects (mirrors, native objects) come from the bridge's own
//! allocator (the object domain's default allocator prefixes its blocks so
//! that the two can be told apart); `PyObject_Free` on one of them (an extension type's `tp_free`)
//! hands it back to the bridge whatever the object domain's allocator is.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};

use super::tracemalloc;
use crate::bridge;

/// `PyMemAllocatorEx`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyMemAllocatorEx {
    pub ctx: *mut c_void,
    pub malloc: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    pub calloc: Option<unsafe extern "C" fn(*mut c_void, usize, usize) -> *mut c_void>,
    pub realloc: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, usize) -> *mut c_void>,
    pub free: Option<unsafe extern "C" fn(*mut c_void, *mut c_void)>,
}

unsafe extern "C" fn c_malloc(_ctx: *mut c_void, n: usize) -> *mut c_void {
    // SAFETY: plain allocation; zero bytes made non-NULL as CPython does.
    unsafe { libc::malloc(n.max(1)) }
}

unsafe extern "C" fn c_calloc(_ctx: *mut c_void, n: usize, size: usize) -> *mut c_void {
    let (n, size) = if n == 0 || size == 0 { (1, 1) } else { (n, size) };
    // SAFETY: plain allocation (calloc checks the product for overflow).
    unsafe { libc::calloc(n, size) }
}

unsafe extern "C" fn c_realloc(_ctx: *mut c_void, p: *mut c_void, n: usize) -> *mut c_void {
    // SAFETY: p came from this allocator or is NULL.
    unsafe { libc::realloc(p, n.max(1)) }
}

unsafe extern "C" fn c_free(_ctx: *mut c_void, p: *mut c_void) {
    // SAFETY: p came from this allocator or is NULL.
    unsafe { libc::free(p) }
}

const DEFAULT: PyMemAllocatorEx =
    PyMemAllocatorEx { ctx: std::ptr::null_mut(), malloc: Some(c_malloc), calloc: Some(c_calloc), realloc: Some(c_realloc), free: Some(c_free) };

// The object domain's default allocator puts a zeroed bridge-sized prefix in
// front of each block, so that `PyObject_Free` can look for a facade
// object's pre-header in front of any pointer it is given without reading
// outside the block (the prefix never carries the bridge's magic number).
const PREFIX: usize = bridge::PRE;

unsafe extern "C" fn obj_malloc(_ctx: *mut c_void, n: usize) -> *mut c_void {
    // SAFETY: zeroed allocation of the prefix and n (at least 1) bytes.
    unsafe { obj_block(libc::calloc(1, PREFIX + n.max(1))) }
}

unsafe extern "C" fn obj_calloc(_ctx: *mut c_void, n: usize, size: usize) -> *mut c_void {
    let total = n.max(1).checked_mul(size.max(1)).and_then(|t| t.checked_add(PREFIX));
    // SAFETY: zeroed allocation of the prefix and the block.
    total.map_or(std::ptr::null_mut(), |t| unsafe { obj_block(libc::calloc(1, t)) })
}

unsafe extern "C" fn obj_realloc(_ctx: *mut c_void, p: *mut c_void, n: usize) -> *mut c_void {
    if p.is_null() {
        // SAFETY: a new block.
        return unsafe { obj_malloc(std::ptr::null_mut(), n) };
    }
    // SAFETY: p came from obj_malloc/obj_calloc: its base is PREFIX bytes before.
    unsafe { obj_block(libc::realloc(p.cast::<u8>().sub(PREFIX).cast(), PREFIX + n.max(1))) }
}

unsafe extern "C" fn obj_free(_ctx: *mut c_void, p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: as in obj_realloc.
        unsafe { libc::free(p.cast::<u8>().sub(PREFIX).cast()) }
    }
}

/// The user part of a prefixed block (NULL stays NULL).
unsafe fn obj_block(base: *mut c_void) -> *mut c_void {
    if base.is_null() {
        return base;
    }
    // SAFETY: base has PREFIX + n bytes.
    unsafe { base.cast::<u8>().add(PREFIX).cast() }
}

const DEFAULT_OBJ: PyMemAllocatorEx = PyMemAllocatorEx {
    ctx: std::ptr::null_mut(),
    malloc: Some(obj_malloc),
    calloc: Some(obj_calloc),
    realloc: Some(obj_realloc),
    free: Some(obj_free),
};

/// The allocators of the raw, mem and object domains.
struct Domains(UnsafeCell<[PyMemAllocatorEx; 3]>);
// SAFETY: as in CPython, allocators are replaced only while no other thread
// allocates (at start-up, or under a tracer's own synchronisation).
unsafe impl Sync for Domains {}
static DOMAINS: Domains = Domains(UnsafeCell::new([DEFAULT, DEFAULT, DEFAULT_OBJ]));

const RAW: usize = 0;
const MEM: usize = 1;
const OBJ: usize = 2;

fn domain(d: usize) -> PyMemAllocatorEx {
    // SAFETY: see Domains.
    unsafe { (*DOMAINS.0.get())[d] }
}

/// Requests above `PY_SSIZE_T_MAX` fail with NULL before reaching an
/// allocator, as in CPython.
const MAX: usize = isize::MAX as usize;

unsafe fn malloc_in(d: usize, n: usize) -> *mut c_void {
    if n > MAX {
        return std::ptr::null_mut();
    }
    let a = domain(d);
    // SAFETY: the domain's allocator contract.
    let p = unsafe { (a.malloc.unwrap_or(c_malloc))(a.ctx, n) };
    if tracemalloc::tracing() {
        tracemalloc::allocated(p, n);
    }
    p
}

unsafe fn calloc_in(d: usize, n: usize, size: usize) -> *mut c_void {
    if size != 0 && n > MAX / size {
        return std::ptr::null_mut();
    }
    let a = domain(d);
    // SAFETY: as above.
    let p = unsafe { (a.calloc.unwrap_or(c_calloc))(a.ctx, n, size) };
    if tracemalloc::tracing() {
        tracemalloc::allocated(p, n * size);
    }
    p
}

unsafe fn realloc_in(d: usize, p: *mut c_void, n: usize) -> *mut c_void {
    if n > MAX {
        return std::ptr::null_mut();
    }
    let a = domain(d);
    // SAFETY: as above.
    let q = unsafe { (a.realloc.unwrap_or(c_realloc))(a.ctx, p, n) };
    if tracemalloc::tracing() && !q.is_null() {
        // A failed resize leaves the old block (and its trace) as it was.
        tracemalloc::freed(p);
        tracemalloc::allocated(q, n);
    }
    q
}

unsafe fn free_in(d: usize, p: *mut c_void) {
    if tracemalloc::tracing() {
        tracemalloc::freed(p);
    }
    let a = domain(d);
    // SAFETY: as above.
    unsafe { (a.free.unwrap_or(c_free))(a.ctx, p) }
}

macro_rules! domain_functions {
    ($($d:ident: $malloc:ident, $calloc:ident, $realloc:ident;)*) => {$(
        /// Allocates `n` bytes (a unique non-NULL pointer for 0), NULL on failure.
        #[unsafe(no_mangle)]
        pub extern "C" fn $malloc(n: usize) -> *mut c_void {
            // SAFETY: the domain's allocator.
            unsafe { malloc_in($d, n) }
        }

        /// Allocates `n * size` zeroed bytes, NULL on failure or overflow.
        #[unsafe(no_mangle)]
        pub extern "C" fn $calloc(n: usize, size: usize) -> *mut c_void {
            // SAFETY: the domain's allocator.
            unsafe { calloc_in($d, n, size) }
        }

        /// Resizes a block of this domain (NULL: allocates), NULL on failure.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $realloc(p: *mut c_void, n: usize) -> *mut c_void {
            // SAFETY: p came from this domain or is NULL.
            unsafe { realloc_in($d, p, n) }
        }
    )*};
}

domain_functions! {
    RAW: PyMem_RawMalloc, PyMem_RawCalloc, PyMem_RawRealloc;
    MEM: PyMem_Malloc, PyMem_Calloc, PyMem_Realloc;
    OBJ: PyObject_Malloc, PyObject_Calloc, PyObject_Realloc;
}

/// Frees a block of the raw domain (NULL allowed).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMem_RawFree(p: *mut c_void) {
    // SAFETY: p came from the raw domain or is NULL.
    unsafe { free_in(RAW, p) }
}

/// Frees a block of the mem domain (NULL allowed).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMem_Free(p: *mut c_void) {
    // SAFETY: p came from the mem domain or is NULL.
    unsafe { free_in(MEM, p) }
}

/// Frees a block of the object domain; for facade objects (called as a
/// type's `tp_free`) the whole allocation including the pre-header. Telling
/// them apart reads the 32 bytes in front of `p`: object-domain blocks carry
/// a prefix for that (an allocator installed with `PyMem_SetAllocator` is
/// expected to wrap the previous one, as tracing allocators do).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_Free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: p is either a facade object (has a pre-header) or object-domain memory.
    unsafe {
        if bridge::try_header(p.cast()).is_some() {
            bridge::dealloc(p.cast());
        } else {
            free_in(OBJ, p)
        }
    }
}

fn domain_index(d: c_int) -> Option<usize> {
    (0..3).contains(&d).then_some(d as usize)
}

/// Copies domain `d`'s allocator into `*allocator` (unknown domain: all NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMem_GetAllocator(d: c_int, allocator: *mut PyMemAllocatorEx) {
    let a = domain_index(d).map_or(
        PyMemAllocatorEx { ctx: std::ptr::null_mut(), malloc: None, calloc: None, realloc: None, free: None },
        domain,
    );
    // SAFETY: allocator is a valid out pointer.
    unsafe { *allocator = a };
}

/// Replaces domain `d`'s allocator (ignored for an unknown domain, as CPython).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyMem_SetAllocator(d: c_int, allocator: *mut PyMemAllocatorEx) {
    if let Some(i) = domain_index(d).filter(|_| !allocator.is_null()) {
        // SAFETY: see Domains; allocator points to a valid struct.
        unsafe { (*DOMAINS.0.get())[i] = *allocator };
    }
}

/// CPython installs allocator debug hooks here (guard bytes, API checks);
/// pyfacade has none, so allocation behaviour is unchanged (listed in the
/// README's compatibility table).
#[unsafe(no_mangle)]
pub extern "C" fn PyMem_SetupDebugHooks() {}

/// `PyObjectArenaAllocator`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PyObjectArenaAllocator {
    ctx: *mut c_void,
    alloc: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    free: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, usize)>,
}

/// CPython's default arena allocator: anonymous `mmap`.
unsafe extern "C" fn arena_mmap(_ctx: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: an anonymous private mapping.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
    if p == libc::MAP_FAILED { std::ptr::null_mut() } else { p }
}

unsafe extern "C" fn arena_munmap(_ctx: *mut c_void, p: *mut c_void, size: usize) {
    // SAFETY: p was mapped by arena_mmap with this size.
    unsafe { libc::munmap(p, size) };
}

static ARENA: parking_lot::Mutex<crate::runtime::Shared<PyObjectArenaAllocator>> =
    parking_lot::Mutex::new(crate::runtime::Shared(PyObjectArenaAllocator { ctx: std::ptr::null_mut(), alloc: Some(arena_mmap), free: Some(arena_munmap) }));

/// Copies the arena allocator into `*allocator`. The facade's object
/// allocator does not use arenas, so the one set is recorded, not used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_GetArenaAllocator(allocator: *mut PyObjectArenaAllocator) {
    // SAFETY: C passes a writable struct.
    unsafe { *allocator = ARENA.lock().0 };
}

/// Replaces the arena allocator (see `PyObject_GetArenaAllocator`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PyObject_SetArenaAllocator(allocator: *mut PyObjectArenaAllocator) {
    // SAFETY: C passes a valid struct.
    ARENA.lock().0 = unsafe { *allocator };
}
