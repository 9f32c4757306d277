//! The building blocks of the classifier: term bitsets stored once each, and maps from a field's
//! value (a byte, or a number in sorted intervals) to a bitset.

use hashbrown::HashMap;

/// Distinct term bitsets, each `words` long, addressed by index.
#[derive(Debug, Clone, Default)]
pub struct BitTable {
    pub words: usize,
    pub bits: Vec<u64>,
    index: HashMap<Vec<u64>, u32>,
}

impl BitTable {
    pub fn new(terms: usize) -> BitTable {
        BitTable {
            words: terms.div_ceil(64).max(1),
            bits: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The index of a bitset whose bit `t` is `pred(t)`, stored once.
    pub fn intern(&mut self, terms: usize, pred: impl Fn(usize) -> bool) -> u32 {
        let mut set = vec![0u64; self.words];
        for t in 0..terms {
            if pred(t) {
                set[t / 64] |= 1 << (t % 64);
            }
        }
        if let Some(&i) = self.index.get(&set) {
            return i;
        }
        let i = (self.bits.len() / self.words) as u32;
        self.bits.extend_from_slice(&set);
        self.index.insert(set, i);
        i
    }

    /// Word `w` of bitset `i`.
    #[inline]
    pub fn word(&self, i: u32, w: usize) -> u64 {
        self.bits[i as usize * self.words + w]
    }

    /// How many distinct bitsets are stored.
    pub fn len(&self) -> usize {
        self.bits.len() / self.words
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }
}

/// Sorted interval starts, each with the bitset that holds from it to the next start.
#[derive(Debug, Clone, Default)]
pub struct IntervalMap {
    starts: Vec<u128>,
    sets: Vec<u32>,
}

impl IntervalMap {
    /// Builds the map over `[0, max]` cut at `cuts` (each the first value of a new interval),
    /// with the bitset of each interval computed at its first value.
    pub fn build(mut cuts: Vec<u128>, mut set_at: impl FnMut(u128) -> u32) -> IntervalMap {
        cuts.push(0);
        cuts.sort_unstable();
        cuts.dedup();
        let sets = cuts.iter().map(|&c| set_at(c)).collect();
        IntervalMap { starts: cuts, sets }
    }

    #[inline]
    pub fn lookup(&self, v: u128) -> u32 {
        // The last start at or below v; starts[0] is 0, so there always is one.
        let i = self.starts.partition_point(|&s| s <= v);
        self.sets[i - 1]
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bitsets_are_stored_once() {
        let mut t = BitTable::new(70);
        let a = t.intern(70, |i| i % 2 == 0);
        let b = t.intern(70, |i| i % 2 == 0);
        let c = t.intern(70, |i| i == 69);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(t.len(), 2);
        assert_eq!(t.word(c, 1), 1 << 5);
    }

    #[test]
    fn interval_lookup_finds_the_interval_holding_a_value() {
        let m = IntervalMap::build(vec![10, 20], |v| v as u32);
        assert_eq!(m.lookup(0), 0);
        assert_eq!(m.lookup(9), 0);
        assert_eq!(m.lookup(10), 10);
        assert_eq!(m.lookup(19), 10);
        assert_eq!(m.lookup(u128::MAX), 20);
    }
}
