//! Hash maps keyed by addresses, and the allocator of facade objects.
//!
//! Addresses are unique and 16-byte aligned: a multiplicative hash of the
//! address is enough, and much cheaper than the default SipHash on the
//! bridge's per-crossing lookups.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Hasher for `usize` address keys.
#[derive(Default, Clone, Copy)]
pub struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = ((n as u64) ^ ((n as u64) >> 4)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        // hashbrown takes bucket bits from the bottom and tag bits from the top.
        self.0 ^ (self.0 >> 32)
    }
}

pub type AddrMap<V> = HashMap<usize, V, BuildHasherDefault<AddrHasher>>;
pub type AddrSet = HashSet<usize, BuildHasherDefault<AddrHasher>>;

/// Size classes of pooled object allocations: totals (pre-header included)
/// of up to `POOLED_MAX` bytes in steps of 16.
const STEP: usize = 16;
pub(super) const POOLED_MAX: usize = 320;
const CLASSES: usize = POOLED_MAX / STEP + 1;
/// Free blocks kept per class and thread.
const KEEP: usize = 2048;

struct Pool([Vec<usize>; CLASSES]);

impl Drop for Pool {
    fn drop(&mut self) {
        for (class, blocks) in self.0.iter_mut().enumerate() {
            for b in blocks.drain(..) {
                // SAFETY: pooled blocks of this class came from the global
                // allocator with its layout and are unused.
                unsafe { std::alloc::dealloc(b as *mut u8, class_layout(class as u8)) };
            }
        }
    }
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool(std::array::from_fn(|_| Vec::new())));
}

/// Pooling is off when `PYFACADE_NO_POOL` is set (ci/asan.sh: every block
/// then goes back to the allocator, so that AddressSanitizer sees reuse).
static POOLING: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| std::env::var_os("PYFACADE_NO_POOL").is_none());

/// The size class of a `total`-byte block (0: not pooled).
pub(super) fn class_of(total: usize) -> u8 {
    if total <= POOLED_MAX && *POOLING { total.div_ceil(STEP) as u8 } else { 0 }
}

/// A zeroed block for `total` bytes of class `class` (as [`class_of`]).
pub(super) fn alloc_block(total: usize, class: u8) -> *mut u8 {
    if class != 0 {
        let reused = POOL.try_with(|p| p.borrow_mut().0[class as usize].pop()).ok().flatten();
        if let Some(b) = reused {
            let b = b as *mut u8;
            // SAFETY: a pooled block of this class has class * STEP bytes.
            unsafe { std::ptr::write_bytes(b, 0, class as usize * STEP) };
            return b;
        }
        // SAFETY: the class's full size (non-zero), so the block can be
        // reused for any total of its class. Pooled sizes come from the
        // program's global allocator (mimalloc in `pyfacade`): fast for any
        // number of blocks, where the pool keeps only KEEP per class.
        return unsafe { std::alloc::alloc_zeroed(class_layout(class)) };
    }
    // SAFETY: plain zeroed allocation.
    unsafe { libc::calloc(1, total) }.cast()
}

/// The layout of a pooled block of `class` (non-zero).
fn class_layout(class: u8) -> std::alloc::Layout {
    std::alloc::Layout::from_size_align(class as usize * STEP, 16).expect("a valid size class")
}

/// Returns a block from [`alloc_block`] of class `class`.
///
/// # Safety
/// `b` must be such a block, no longer used.
pub(super) unsafe fn free_block(b: *mut u8, class: u8) {
    if class != 0 {
        let kept = POOL
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let list = &mut p.0[class as usize];
                if list.len() < KEEP {
                    list.push(b as usize);
                    true
                } else {
                    false
                }
            })
            .unwrap_or(false);
        if kept {
            return;
        }
        // SAFETY: per the contract, a block of this class's layout.
        unsafe { std::alloc::dealloc(b, class_layout(class)) };
        return;
    }
    // SAFETY: per the contract, a calloc'd block.
    unsafe { libc::free(b.cast()) };
}
