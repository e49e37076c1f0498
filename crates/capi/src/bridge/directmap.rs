//! A lock-free, direct-mapped cache from one address to another: each key
//! has one slot (by its address bits), which keeps the last value stored for
//! any key of that slot. Readers take no lock; a reader never pairs a key
//! with another key's value (a writer clears the key first, and a reader
//! checks the key again after reading the value). What it caches must be
//! kept elsewhere too: a miss only means "ask the authoritative structure".

use std::sync::atomic::{AtomicUsize, Ordering};

pub struct DirectMap<const N: usize> {
    slots: [(AtomicUsize, AtomicUsize); N],
}

impl<const N: usize> DirectMap<N> {
    pub const fn new() -> Self {
        Self { slots: [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; N] }
    }

    fn slot(&self, key: usize) -> &(AtomicUsize, AtomicUsize) {
        &self.slots[((key >> 4) ^ (key >> 14)) % N]
    }

    /// The value cached for `key` (non-zero), if its slot holds it.
    pub fn get(&self, key: usize) -> Option<usize> {
        let (k, v) = self.slot(key);
        if k.load(Ordering::Acquire) != key {
            return None;
        }
        let v = v.load(Ordering::Acquire);
        // Re-checked: a writer replacing the slot clears the key first.
        (k.load(Ordering::Acquire) == key).then_some(v)
    }

    /// Caches `value` for `key` (non-zero), replacing what its slot held.
    pub fn set(&self, key: usize, value: usize) {
        let (k, v) = self.slot(key);
        k.store(0, Ordering::Release);
        v.store(value, Ordering::Release);
        k.store(key, Ordering::Release);
    }

    /// Forgets `key` if its slot holds it (its object is going away).
    pub fn forget(&self, key: usize) {
        let _ = self.slot(key).0.compare_exchange(key, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_miss_replace_forget() {
        let m = DirectMap::<4>::new();
        assert_eq!(m.get(0x1000), None);
        m.set(0x1000, 7);
        assert_eq!(m.get(0x1000), Some(7));
        // 0x1040 maps to the same slot of 4 ((0x1040 >> 4) % 4 == (0x1000 >> 4) % 4): it replaces 0x1000.
        m.set(0x1040, 9);
        assert_eq!(m.get(0x1000), None);
        assert_eq!(m.get(0x1040), Some(9));
        m.forget(0x1000);
        assert_eq!(m.get(0x1040), Some(9), "forgetting another key leaves the slot");
        m.forget(0x1040);
        assert_eq!(m.get(0x1040), None);
    }
}
