//! The flow table's hash index: slab positions found by hash, one 64-bit slot each, in one
//! open-addressed array with linear probing. A slot holds 32 bits of the flow's hash (which
//! also give its home position) and the slab position plus one; zero is empty. At most 7/8 of
//! the slots are used, as in hashbrown: a run stays within a cache line or two, and 100,000
//! flows fit in 1 MB.
//!
//! A lookup of a flow not in the cache costs one miss here (hashbrown's separate control
//! bytes and buckets cost two), growing never rehashes a key (the stored hash bits place the
//! slot), and a large index sits in huge pages like the slab.

use memmap2::MmapMut;

/// Above this many bytes the slots live in their own mapping, advised to use huge pages.
const MAPPED_BYTES: usize = 1 << 21;
const MIN_SLOTS: usize = 64;

#[derive(Debug)]
enum Store {
    Heap(Box<[u64]>),
    Mapped(MmapMut),
}

impl Store {
    fn zeroed(slots: usize) -> Store {
        let bytes = slots * 8;
        if bytes >= MAPPED_BYTES
            && let Ok(m) = MmapMut::map_anon(bytes)
        {
            // Only advice: without huge pages the index works the same, slower.
            let _ = m.advise(memmap2::Advice::HugePage);
            return Store::Mapped(m);
        }
        Store::Heap(vec![0u64; slots].into_boxed_slice())
    }

    #[inline]
    fn slots(&self) -> &[u64] {
        match self {
            Store::Heap(b) => b,
            Store::Mapped(m) => bytemuck::cast_slice(&m[..]),
        }
    }

    #[inline]
    fn slots_mut(&mut self) -> &mut [u64] {
        match self {
            Store::Heap(b) => b,
            Store::Mapped(m) => bytemuck::cast_slice_mut(&mut m[..]),
        }
    }
}

#[derive(Debug)]
pub struct Index {
    store: Store,
    mask: usize,
    len: usize,
}

impl Default for Index {
    fn default() -> Self {
        Index::new()
    }
}

#[inline]
fn tag(hash: u64) -> u64 {
    hash >> 32
}

impl Index {
    pub fn new() -> Index {
        Index {
            store: Store::Heap(Box::new([])),
            mask: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The position `eq` accepts among those stored under `hash`. Always inlined, with its
    /// closure, into the per-packet lookup (a build that left it out of line was 5% slower).
    #[inline(always)]
    pub fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let slots = self.store.slots();
        if slots.is_empty() {
            return None;
        }
        let tag = tag(hash);
        let mut pos = tag as usize & self.mask;
        loop {
            let s = slots[pos];
            if s == 0 {
                return None;
            }
            if s >> 32 == tag && eq(s as u32 - 1) {
                return Some(s as u32 - 1);
            }
            pos = (pos + 1) & self.mask;
        }
    }

    /// Starts loading the slot where a lookup of `hash` begins.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        if let Some(slot) = self.store.slots().get(tag(hash) as usize & self.mask) {
            super::prefetch::prefetch(slot);
        }
    }

    /// The first position stored with the hash bits of `hash`: likely its flow (to prefetch).
    #[inline]
    pub fn likely(&self, hash: u64) -> Option<u32> {
        let slots = self.store.slots();
        let tag = tag(hash);
        let mut pos = tag as usize & self.mask;
        for _ in 0..slots.len().min(8) {
            match slots[pos] {
                0 => return None,
                s if s >> 32 == tag => return Some(s as u32 - 1),
                _ => pos = (pos + 1) & self.mask,
            }
        }
        None
    }

    /// The mean number of slots a lookup of a stored position reads.
    #[cfg(test)]
    pub fn mean_probes(&self) -> f64 {
        let slots = self.store.slots();
        let reads: usize = (0..slots.len())
            .filter(|&p| slots[p] != 0)
            .map(|p| (p.wrapping_sub((slots[p] >> 32) as usize) & self.mask) + 1)
            .sum();
        reads as f64 / self.len.max(1) as f64
    }

    /// Stores position `i` under `hash` (not stored yet).
    pub fn insert(&mut self, hash: u64, i: u32) {
        if (self.len + 1) * 8 > self.store.slots().len() * 7 {
            self.grow();
        }
        Self::place(
            self.store.slots_mut(),
            self.mask,
            tag(hash) << 32 | (i as u64 + 1),
        );
        self.len += 1;
    }

    fn place(slots: &mut [u64], mask: usize, slot: u64) {
        let mut pos = (slot >> 32) as usize & mask;
        while slots[pos] != 0 {
            pos = (pos + 1) & mask;
        }
        slots[pos] = slot;
    }

    fn grow(&mut self) {
        let size = (self.store.slots().len() * 2).max(MIN_SLOTS);
        let mut store = Store::zeroed(size);
        let (new, mask) = (store.slots_mut(), size - 1);
        for &s in self.store.slots().iter().filter(|&&s| s != 0) {
            Self::place(new, mask, s);
        }
        self.store = store;
        self.mask = mask;
    }

    /// Removes position `i` stored under `hash`; whether it was there.
    pub fn remove(&mut self, hash: u64, i: u32) -> bool {
        let mask = self.mask;
        let slots = self.store.slots_mut();
        if slots.is_empty() {
            return false;
        }
        let wanted = tag(hash) << 32 | (i as u64 + 1);
        let mut hole = wanted as usize >> 32 & mask;
        loop {
            match slots[hole] {
                0 => return false,
                s if s == wanted => break,
                _ => hole = (hole + 1) & mask,
            }
        }
        // Backward shift: each later slot of the run that may sit in the hole moves into it,
        // so that no lookup stops early at an empty slot.
        let mut j = (hole + 1) & mask;
        while slots[j] != 0 {
            let home = (slots[j] >> 32) as usize & mask;
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                slots[hole] = slots[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        slots[hole] = 0;
        self.len -= 1;
        true
    }

    /// Every position stored, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.store
            .slots()
            .iter()
            .filter(|&&s| s != 0)
            .map(|&s| s as u32 - 1)
    }

    pub fn clear(&mut self) {
        *self = Index::new();
    }

    pub fn allocation_size(&self) -> usize {
        self.store.slots().len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64),
        Remove(usize),
    }

    proptest! {
        /// Against a map, with hashes from a narrow range so that runs collide, wrap around
        /// the end of the array and are shifted back on removal.
        #[test]
        fn behaves_as_a_map(ops in prop::collection::vec(
            prop_oneof![
                (0u64..48).prop_map(|h| Op::Insert(h << 32 | h)),
                (0usize..1000).prop_map(Op::Remove),
            ],
            0..400,
        )) {
            let mut index = Index::new();
            let mut model: HashMap<u32, u64> = HashMap::new();
            let mut next = 0u32;
            for op in ops {
                match op {
                    Op::Insert(hash) => {
                        index.insert(hash, next);
                        model.insert(next, hash);
                        next += 1;
                    }
                    Op::Remove(k) => {
                        let mut keys: Vec<u32> = model.keys().copied().collect();
                        keys.sort();
                        if let Some(&i) = keys.get(k % keys.len().max(1)) {
                            let hash = model.remove(&i).unwrap();
                            prop_assert!(index.remove(hash, i));
                            prop_assert!(!index.remove(hash, i));
                        }
                    }
                }
                prop_assert_eq!(index.len(), model.len());
                for (&i, &hash) in &model {
                    prop_assert_eq!(index.find(hash, |j| j == i), Some(i));
                }
                let mut all: Vec<u32> = index.iter().collect();
                all.sort();
                let mut want: Vec<u32> = model.keys().copied().collect();
                want.sort();
                prop_assert_eq!(all, want);
            }
        }
    }

    #[test]
    fn a_large_index_is_mapped_and_keeps_every_position() {
        let mut index = Index::new();
        let hash = |i: u32| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for i in 0..300_000 {
            index.insert(hash(i), i);
        }
        assert!(matches!(index.store, Store::Mapped(_)));
        assert!((0..300_000).all(|i| index.find(hash(i), |j| j == i) == Some(i)));
        assert_eq!(index.find(hash(300_000), |_| true), None);
        for i in (0..300_000).step_by(2) {
            assert!(index.remove(hash(i), i));
        }
        assert_eq!(index.len(), 150_000);
        assert!(
            (1..300_000)
                .step_by(2)
                .all(|i| index.find(hash(i), |j| j == i) == Some(i))
        );
    }
}
