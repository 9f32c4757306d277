//! Flow entries as fixed-stride runs of 64-bit words in anonymous memory reserved for the
//! table's whole capacity: the kernel commits pages only as entries are first written, the
//! entries never move (no reallocation as the table fills), and the mapping asks for huge pages,
//! so a table of a million flows does not spend its time in TLB misses.

use memmap2::MmapMut;

use super::key::{FlowAddr, Key};

/// Words after the key: packets, bytes, first, last, active-since, misc.
const META_WORDS: usize = 6;
const PACKETS: usize = 0;
const BYTES: usize = 1;
const FIRST: usize = 2;
const LAST: usize = 3;
const ACTIVE_SINCE: usize = 4;
/// generation (bits 0..32) | output unit (32..48) | TCP flags (48..56).
const MISC: usize = 5;

/// One entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<A> {
    pub key: Key<A>,
    pub packets: u64,
    pub bytes: u64,
    pub first: u64,
    pub last: u64,
    /// Start of the current active-timeout interval.
    pub active_since: u64,
    /// Odd while the slot holds a flow; bumped on every allocation and release, so wheel
    /// tickets of an ended flow are recognised.
    pub generation: u32,
    pub output: u16,
    pub tcp_flags: u8,
}

#[derive(Debug)]
pub struct Slab<A: FlowAddr> {
    map: Option<MmapMut>,
    len: usize,
    capacity: usize,
    _addr: std::marker::PhantomData<A>,
}

impl<A: FlowAddr> Slab<A> {
    /// Words per entry.
    pub const STRIDE: usize = A::KEY_WORDS + META_WORDS;

    /// Reserves room for `capacity` entries (none if the memory cannot be mapped).
    pub fn new(capacity: usize) -> Slab<A> {
        let bytes = capacity * Self::STRIDE * 8;
        let map = (bytes > 0).then(|| MmapMut::map_anon(bytes).ok()).flatten();
        if let Some(m) = &map {
            // Only advice: without huge pages the table works the same, slower.
            let _ = m.advise(memmap2::Advice::HugePage);
        }
        Slab {
            capacity: if map.is_some() { capacity } else { 0 },
            map,
            len: 0,
            _addr: std::marker::PhantomData,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries ever used (the high-water mark).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes the entries touched so far.
    pub fn touched_bytes(&self) -> usize {
        self.len * Self::STRIDE * 8
    }

    #[inline]
    fn words(&self, i: u32) -> &[u64] {
        let all: &[u64] = self.map.as_deref().map_or(&[], bytemuck::cast_slice);
        let at = i as usize * Self::STRIDE;
        &all[at..at + Self::STRIDE]
    }

    #[inline]
    fn words_mut(&mut self, i: u32) -> &mut [u64] {
        let all: &mut [u64] = self
            .map
            .as_deref_mut()
            .map_or(&mut [], bytemuck::cast_slice_mut);
        let at = i as usize * Self::STRIDE;
        &mut all[at..at + Self::STRIDE]
    }

    /// A new slot at the end, if there is room.
    pub fn push(&mut self) -> Option<u32> {
        (self.len < self.capacity).then(|| {
            self.len += 1;
            (self.len - 1) as u32
        })
    }

    /// Starts loading entry `i` (a hint; nothing if it is not there).
    #[inline]
    pub fn prefetch(&self, i: u32) {
        let all: &[u64] = self.map.as_deref().map_or(&[], bytemuck::cast_slice);
        if let Some(w) = all.get(i as usize * Self::STRIDE) {
            super::prefetch::prefetch(w);
        }
    }

    /// Whether entry `i` holds this key (given as its words).
    #[inline]
    pub fn key_is(&self, i: u32, key: &[u64]) -> bool {
        &self.words(i)[..A::KEY_WORDS] == key
    }

    /// What expiry reads of entry `i`: packets, last packet time, start of the active interval.
    #[inline]
    pub fn times(&self, i: u32) -> (u64, u64, u64) {
        let m = &self.words(i)[A::KEY_WORDS..];
        (m[PACKETS], m[LAST], m[ACTIVE_SINCE])
    }

    pub fn get(&self, i: u32) -> Entry<A> {
        let w = self.words(i);
        let m = &w[A::KEY_WORDS..];
        Entry {
            key: Key::from_words(&w[..A::KEY_WORDS]),
            packets: m[PACKETS],
            bytes: m[BYTES],
            first: m[FIRST],
            last: m[LAST],
            active_since: m[ACTIVE_SINCE],
            generation: m[MISC] as u32,
            output: (m[MISC] >> 32) as u16,
            tcp_flags: (m[MISC] >> 48) as u8,
        }
    }

    pub fn set(&mut self, i: u32, e: &Entry<A>) {
        let w = self.words_mut(i);
        e.key.to_words(&mut w[..A::KEY_WORDS]);
        let m = &mut w[A::KEY_WORDS..];
        m[PACKETS] = e.packets;
        m[BYTES] = e.bytes;
        m[FIRST] = e.first;
        m[LAST] = e.last;
        m[ACTIVE_SINCE] = e.active_since;
        m[MISC] =
            u64::from(e.generation) | u64::from(e.output) << 32 | u64::from(e.tcp_flags) << 48;
    }

    /// Counts one more packet of flow `i`.
    #[inline]
    pub fn add_packet(&mut self, i: u32, bytes: u64, tcp_flags: u8, output: u16, now: u64) {
        let m = &mut self.words_mut(i)[A::KEY_WORDS..];
        m[PACKETS] += 1;
        m[BYTES] += bytes;
        m[LAST] = now;
        m[MISC] =
            (m[MISC] & !(0xffff_u64 << 32)) | u64::from(output) << 32 | u64::from(tcp_flags) << 48;
    }
}
