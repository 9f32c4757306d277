//! The building blocks of the classifier: term bitsets stored once each, and maps from a field's
//! value (a byte, or a number in sorted intervals) to a bitset.

use hashbrown::HashMap;

/// Distinct term bitsets, each `words` long, addressed by index.
#[derive(Debug, Clone, Default)]
pub struct BitTable {
    pub words: usize,
    pub bits: Vec<u64>,
    /// Per bitset, which of its words are non-zero (bit w for word w; all ones past 64 words),
    /// so a lookup visits only words every dimension has terms in.
    pub summary: Vec<u64>,
    index: HashMap<Vec<u64>, u32>,
}

impl BitTable {
    pub fn new(terms: usize) -> BitTable {
        BitTable {
            words: terms.div_ceil(64).max(1),
            bits: Vec::new(),
            summary: Vec::new(),
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
        let summary = if self.words > 64 {
            u64::MAX
        } else {
            set.iter()
                .enumerate()
                .filter(|(_, w)| **w != 0)
                .fold(0, |acc, (i, _)| acc | 1 << i)
        };
        self.summary.push(summary);
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

/// Sorted interval starts, each with a value (a bitset index, a route) that holds from it to
/// the next start. Keys are `u32` where the domain fits (IPv4, ports, lengths), `u128` for IPv6.
#[derive(Debug, Clone, Default)]
pub struct IntervalMap<K = u128> {
    starts: Vec<K>,
    sets: Vec<u32>,
}

impl<K: Copy + Ord + TryFrom<u128> + Default> IntervalMap<K> {
    /// Builds the map over the domain cut at `cuts` (each the first value of a new interval),
    /// with each interval's value computed at its first value. Cuts beyond `K` are dropped.
    pub fn build(cuts: Vec<u128>, mut set_at: impl FnMut(u128) -> u32) -> IntervalMap<K> {
        let mut cuts: Vec<u128> = cuts
            .into_iter()
            .filter(|&c| K::try_from(c).is_ok())
            .collect();
        cuts.push(0);
        cuts.sort_unstable();
        cuts.dedup();
        let sets = cuts.iter().map(|&c| set_at(c)).collect();
        let starts = cuts
            .into_iter()
            .map(|c| K::try_from(c).unwrap_or_default())
            .collect();
        IntervalMap { starts, sets }
    }

    /// The value of the interval holding `v`: a branchless binary search for the last start at
    /// or below it (starts[0] is 0, so there always is one).
    #[inline]
    pub fn lookup(&self, v: K) -> u32 {
        let mut base = 0usize;
        let mut len = self.starts.len();
        while len > 1 {
            let half = len / 2;
            // Compiles to a conditional move: no branch to mispredict.
            base = if self.starts[base + half] <= v {
                base + half
            } else {
                base
            };
            len -= half;
        }
        self.sets[base]
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Each interval's first value and its value, in order.
    pub fn intervals(&self) -> impl Iterator<Item = (K, u32)> + '_ {
        self.starts.iter().copied().zip(self.sets.iter().copied())
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Whether an interval starts inside `(lo, hi]`, i.e. `[lo, hi]` is not one value.
    fn cut_within(&self, lo: K, hi: K) -> bool {
        self.starts.partition_point(|&s| s <= lo) != self.starts.partition_point(|&s| s <= hi)
    }
}

/// Maps with more intervals than this get a direct table instead of a search.
pub const DIRECT_ABOVE: usize = 64;

/// A direct table over a 16-bit field (ports, lengths, offsets): one load per lookup.
#[derive(Debug, Clone)]
pub struct Direct16(Box<[u32]>);

impl Direct16 {
    pub fn build(map: &IntervalMap<u32>) -> Direct16 {
        Direct16((0..=u16::MAX).map(|v| map.lookup(u32::from(v))).collect())
    }

    #[inline]
    pub fn lookup(&self, v: u16) -> u32 {
        self.0[usize::from(v)]
    }
}

/// High bit of a table entry: the rest indexes a 256-entry block of the next level.
const BLOCK: u32 = 1 << 31;

/// IPv4 addresses in three levels (16, 8 and 8 bits): a /16 or /24 with one value is stored
/// once; lookups take at most three loads.
#[derive(Debug, Clone)]
pub struct Dir16x8x8 {
    l1: Box<[u32]>,
    l2: Vec<u32>,
    l3: Vec<u32>,
}

impl Dir16x8x8 {
    pub fn build(map: &IntervalMap<u32>) -> Dir16x8x8 {
        let mut l1 = Vec::with_capacity(1 << 16);
        let (mut l2, mut l3) = (Vec::new(), Vec::new());
        for hi in 0..=u32::from(u16::MAX) {
            let lo16 = hi << 16;
            if !map.cut_within(lo16, lo16 | 0xffff) {
                l1.push(map.lookup(lo16));
                continue;
            }
            l1.push(BLOCK | (l2.len() / 256) as u32);
            for mid in 0..256u32 {
                let lo24 = lo16 | (mid << 8);
                if map.cut_within(lo24, lo24 | 0xff) {
                    l2.push(BLOCK | (l3.len() / 256) as u32);
                    l3.extend((0..256u32).map(|low| map.lookup(lo24 | low)));
                } else {
                    l2.push(map.lookup(lo24));
                }
            }
        }
        Dir16x8x8 {
            l1: l1.into_boxed_slice(),
            l2,
            l3,
        }
    }

    #[inline]
    pub fn lookup(&self, v: u32) -> u32 {
        let e = self.l1[(v >> 16) as usize];
        if e & BLOCK == 0 {
            return e;
        }
        let e = self.l2[((e & !BLOCK) as usize) * 256 + ((v >> 8) & 0xff) as usize];
        if e & BLOCK == 0 {
            return e;
        }
        self.l3[((e & !BLOCK) as usize) * 256 + (v & 0xff) as usize]
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
    fn direct_tables_agree_with_the_interval_search() {
        let cuts: Vec<u128> = vec![
            5,
            80,
            81,
            1024,
            40000,
            0x0a00_0000,
            0x0a01_0000,
            0x0a01_0200,
            0x0a01_0203,
            0x0a01_0204,
        ];
        let m: IntervalMap<u32> = IntervalMap::build(cuts.clone(), |v| (v % 1000) as u32);
        let d16 = Direct16::build(&m);
        for v in [0u16, 4, 5, 79, 80, 81, 82, 1023, 1024, 39999, 40000, 65535] {
            assert_eq!(d16.lookup(v), m.lookup(u32::from(v)), "{v}");
        }
        let dir = Dir16x8x8::build(&m);
        for &c in &cuts {
            for v in [c as u32 - 1, c as u32, c as u32 + 1] {
                assert_eq!(dir.lookup(v), m.lookup(v), "{v:#x}");
            }
        }
        assert_eq!(dir.lookup(u32::MAX), m.lookup(u32::MAX));
    }

    #[test]
    fn interval_lookup_finds_the_interval_holding_a_value() {
        let m: IntervalMap<u128> = IntervalMap::build(vec![10, 20], |v| v as u32);
        assert_eq!(m.lookup(0), 0);
        assert_eq!(m.lookup(9), 0);
        assert_eq!(m.lookup(10), 10);
        assert_eq!(m.lookup(19), 10);
        assert_eq!(m.lookup(u128::MAX), 20);
        let small: IntervalMap<u32> = IntervalMap::build(vec![10, 20, 1 << 40], |v| v as u32);
        assert_eq!(small.len(), 3, "cuts beyond u32 are dropped");
        assert_eq!(small.lookup(u32::MAX), 20);
        for n in 1..40u128 {
            let m: IntervalMap<u32> =
                IntervalMap::build((1..n).map(|c| c * 3).collect(), |v| v as u32);
            for v in 0..(n * 3 + 5) as u32 {
                assert_eq!(
                    m.lookup(v),
                    (v / 3 * 3).min(((n - 1) * 3) as u32),
                    "n={n} v={v}"
                );
            }
        }
    }
}
