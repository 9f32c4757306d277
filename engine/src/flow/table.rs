//! One flow table shard: flows in a slab, found through a hash index of slab positions, expired
//! through a timer wheel. The slab entry is 64 bytes for IPv4; the index and the wheel add about
//! 20 bytes per flow.

use foldhash::fast::FixedState;
use serde::Serialize;
use std::collections::VecDeque;
use std::hash::BuildHasher;

use super::index::Index;
use super::key::{EndReason, FlowAddr, FlowRecord, Key};
use super::slab::{Entry, Slab};
use super::wheel::{Check, Ticket, Wheel};

/// Packets metered ahead of their table work: while the ones before are applied, the index
/// slot of each new packet and then its entry are prefetched, so that the cache misses of a
/// large table overlap instead of stalling one after the other.
const AHEAD: usize = 8;
/// Below this many flows the table stays in the caches of a machine of this class, and the
/// ring costs more than it saves (the jflow bench: 100,000 flows 18.0 M pps applied at once,
/// 16.5 M ahead; 1,000,000 flows 6.5 M at once, 16.1 M ahead).
const AHEAD_FROM: usize = 200_000;

const FIN: u8 = 0x01;
const RST: u8 = 0x04;

/// Counters of a table, as `show services accounting` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TableStats {
    /// Sampled packets and bytes metered.
    pub packets: u64,
    pub bytes: u64,
    /// Flows created.
    pub created: u64,
    pub inactive_timeouts: u64,
    pub active_timeouts: u64,
    /// Flows ended by TCP FIN or RST.
    pub ended: u64,
    /// Flows exported early because the table was full.
    pub overload_exports: u64,
    /// Records handed to export.
    pub records: u64,
    /// Sampled non-first fragments (no ports to key on), not metered.
    pub fragments_ignored: u64,
    /// Flows that could not be created (no memory for the table).
    pub creation_failures: u64,
}

/// Timeouts and size of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub active_ms: u64,
    pub inactive_ms: u64,
    /// Most flows held at once.
    pub capacity: usize,
}

#[derive(Debug, Clone, Copy)]
struct Pending<A> {
    key: Key<A>,
    hash: u64,
    bytes: u64,
    tcp_flags: u8,
    output: u16,
    now: u64,
}

/// Packets are applied in order, up to `AHEAD` packets late: everything that reads or moves
/// the table (`expire`, `flush`, `set_limits`, and `settle` before `len`, `stats` or `flows`)
/// applies them first.
#[derive(Debug)]
pub struct FlowTable<A: FlowAddr> {
    pending: VecDeque<Pending<A>>,
    /// Flows held from which packets are metered ahead.
    ahead_from: usize,
    slab: Slab<A>,
    free: Vec<u32>,
    index: Index,
    wheel: Wheel,
    hasher: FixedState,
    pub limits: Limits,
    pub stats: TableStats,
}

impl<A: FlowAddr> FlowTable<A> {
    /// Bytes of one slab entry.
    pub const ENTRY_BYTES: usize = Slab::<A>::STRIDE * 8;

    pub fn new(limits: Limits, now: u64) -> FlowTable<A> {
        FlowTable {
            pending: VecDeque::with_capacity(AHEAD + 1),
            ahead_from: AHEAD_FROM,
            slab: Slab::new(limits.capacity.max(1)),
            free: Vec::new(),
            // Grown with the flows, not sized for the table up front: an index sized for a
            // million flows holding a hundred thousand misses the cache on every lookup
            // (a replay of 100,000 flows took three times as long).
            index: Index::new(),
            wheel: Wheel::new(now),
            hasher: FixedState::with_seed(0x6a66_6c6f_7773_6821),
            limits,
            stats: TableStats::default(),
        }
    }

    /// The hash a flow is indexed by. Multiplied once more after foldhash: its one-multiply
    /// hash of a key, read by its top half as the index does, clustered keys that differ in one
    /// address (1,000 flows from consecutive sources took 2.85 probes a lookup at half load,
    /// against 1.45 when spread).
    #[inline(always)]
    fn hash(&self, key: Key<A>) -> u64 {
        self.hasher
            .hash_one(key)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// The mean number of index slots a lookup of a held flow reads.
    #[cfg(test)]
    pub fn mean_probes(&self) -> f64 {
        self.index.mean_probes()
    }

    /// Flows held now.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Meters one sampled packet. Records that end because of it (FIN/RST, or a flow pushed
    /// out of a full table) go to `export`, by the time the table is next settled.
    #[inline]
    pub fn meter(
        &mut self,
        key: Key<A>,
        bytes: u64,
        tcp_flags: u8,
        output: u16,
        now: u64,
        export: &mut impl FnMut(FlowRecord<A>),
    ) {
        self.stats.packets += 1;
        self.stats.bytes += bytes;
        let hash = self.hash(key);
        let p = Pending {
            key,
            hash,
            bytes,
            tcp_flags,
            output,
            now,
        };
        if self.index.len() < self.ahead_from && self.pending.is_empty() {
            return self.apply(p, export);
        }
        self.index.prefetch(hash);
        let halfway = self.pending.len().wrapping_sub(AHEAD / 2);
        if let Some(i) = self
            .pending
            .get(halfway)
            .and_then(|p| self.index.likely(p.hash))
        {
            self.slab.prefetch(i);
        }
        self.pending.push_back(p);
        if self.pending.len() > AHEAD
            && let Some(p) = self.pending.pop_front()
        {
            self.apply(p, export);
        }
    }

    /// Meters ahead whatever the number of flows (tests of the small tables).
    #[cfg(test)]
    pub fn always_ahead(mut self) -> Self {
        self.ahead_from = 0;
        self
    }

    /// Applies the packets metered so far.
    pub fn settle(&mut self, export: &mut impl FnMut(FlowRecord<A>)) {
        while let Some(p) = self.pending.pop_front() {
            self.apply(p, export);
        }
    }

    // Always inlined: out of line, the packet's `Pending` goes through memory, +20 ms on a
    // 4-million-packet replay; `#[inline]` alone was dropped by one build's layout.
    #[inline(always)]
    fn apply(&mut self, p: Pending<A>, export: &mut impl FnMut(FlowRecord<A>)) {
        let Pending {
            key,
            hash,
            bytes,
            tcp_flags,
            output,
            now,
        } = p;
        let mut words = [0u64; 5];
        let words = &mut words[..A::KEY_WORDS];
        key.to_words(words);
        let slab = &self.slab;
        let found = self.index.find(hash, |i| slab.key_is(i, words));
        // A flow whose deadline passed before the sweep came ends first: the packet is
        // metered exactly as if expiry had run at every instant.
        let found = match found {
            Some(i) if self.slab.times(i).1 + self.limits.inactive_ms <= now => {
                self.stats.inactive_timeouts += 1;
                self.release(i, hash, EndReason::Idle, export);
                None
            }
            Some(i) => {
                let (packets, _, active_since) = self.slab.times(i);
                if packets > 0 && active_since + self.limits.active_ms <= now {
                    self.stats.active_timeouts += 1;
                    self.emit(i, EndReason::Active, export);
                    self.restart(i, self.slab.get(i), now);
                }
                Some(i)
            }
            None => None,
        };
        let i = match found {
            Some(i) => {
                self.slab.add_packet(i, bytes, tcp_flags, output, now);
                i
            }
            None => self.insert(key, hash, bytes, tcp_flags, output, now, export),
        };
        if i == u32::MAX {
            return;
        }
        if tcp_flags & (FIN | RST) != 0 {
            self.stats.ended += 1;
            self.release(i, hash, EndReason::EndOfFlow, export);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        key: Key<A>,
        hash: u64,
        bytes: u64,
        tcp_flags: u8,
        output: u16,
        now: u64,
        export: &mut impl FnMut(FlowRecord<A>),
    ) -> u32 {
        if self.len() >= self.limits.capacity.max(1).min(self.slab.capacity()) {
            self.push_out_one(now, export);
        }
        let entry = Entry {
            key,
            packets: 1,
            bytes,
            first: now,
            last: now,
            active_since: now,
            generation: 1,
            output,
            tcp_flags,
        };
        let (i, generation) = match self.free.pop() {
            Some(i) => (i, self.slab.get(i).generation.wrapping_add(1)),
            None => match self.slab.push() {
                Some(i) => (i, 1),
                // No memory for the table at all: the flow is not metered, and counted.
                None => {
                    self.stats.creation_failures += 1;
                    return u32::MAX;
                }
            },
        };
        self.slab.set(
            i,
            &Entry {
                generation,
                ..entry
            },
        );
        self.index.insert(hash, i);
        self.stats.created += 1;
        let deadline = now + self.limits.inactive_ms.min(self.limits.active_ms);
        self.wheel.place(
            Ticket {
                index: i,
                generation,
            },
            deadline,
            now,
        );
        i
    }

    /// Entry `i` starts a new active interval at `now`, from zero.
    fn restart(&mut self, i: u32, e: Entry<A>, now: u64) {
        self.slab.set(
            i,
            &Entry {
                packets: 0,
                bytes: 0,
                tcp_flags: 0,
                active_since: now,
                ..e
            },
        );
    }

    /// The record of entry `i` as it stands.
    fn record(&self, i: u32, reason: EndReason) -> FlowRecord<A> {
        let e = self.slab.get(i);
        FlowRecord {
            key: e.key,
            packets: e.packets,
            bytes: e.bytes,
            first: e.first,
            last: e.last,
            tcp_flags: e.tcp_flags,
            output: e.output,
            reason,
        }
    }

    fn emit(&mut self, i: u32, reason: EndReason, export: &mut impl FnMut(FlowRecord<A>)) {
        if self.slab.get(i).packets > 0 {
            self.stats.records += 1;
            export(self.record(i, reason));
        }
    }

    /// Exports entry `i` (when it metered anything since its last export) and frees it.
    fn release(
        &mut self,
        i: u32,
        hash: u64,
        reason: EndReason,
        export: &mut impl FnMut(FlowRecord<A>),
    ) {
        self.emit(i, reason, export);
        self.index.remove(hash, i);
        self.vacate(i);
    }

    /// Entry `i` is free: its generation moves on (its tickets die) and it can be reused.
    fn vacate(&mut self, i: u32) {
        let e = self.slab.get(i);
        self.slab.set(
            i,
            &Entry {
                generation: e.generation.wrapping_add(1),
                ..e
            },
        );
        self.free.push(i);
    }

    fn live(&self, t: Ticket) -> bool {
        (t.index as usize) < self.slab.len() && {
            let g = self.slab.get(t.index).generation;
            g == t.generation && g % 2 == 1
        }
    }

    /// Table full: the flow nearest its deadline is exported now ("lack of resources").
    /// Tickets are placed lazily, so one popped may belong to a flow active since: it is
    /// placed at its real deadline and the next one tried (a bounded number of times).
    /// Whether a flow was pushed out.
    fn push_out_one(&mut self, now: u64, export: &mut impl FnMut(FlowRecord<A>)) -> bool {
        // Tickets passed over go back only after the search, so none is popped twice.
        let mut later = Vec::new();
        let mut out = false;
        while let Some((t, slot_ms)) = self.wheel.pop_earliest() {
            if !self.live(t) {
                continue;
            }
            let (_, last, active_since) = self.slab.times(t.index);
            let due = (last + self.limits.inactive_ms).min(active_since + self.limits.active_ms);
            if due >= slot_ms + 2 * super::wheel::TICK_MS && later.len() < 64 {
                later.push((t, due));
                continue;
            }
            let hash = self.hash(self.slab.get(t.index).key);
            self.stats.overload_exports += 1;
            self.release(t.index, hash, EndReason::LackOfResources, export);
            out = true;
            break;
        }
        for (t, due) in later {
            self.wheel.place(t, due, now);
        }
        out
    }

    /// Moves time to `now`. A flow's deadline is the earlier of its last packet plus the
    /// inactive timeout and the start of its active interval plus the active timeout. At the
    /// first, the flow is exported and deleted; at the second, it is exported, keeps its start
    /// time and counts again from zero. Records carry only what was metered since the last one.
    pub fn expire(&mut self, now: u64, export: &mut impl FnMut(FlowRecord<A>)) {
        self.settle(export);
        let limits = self.limits;
        let mut wheel = std::mem::take(&mut self.wheel);
        wheel.advance(now, |t| {
            if !self.live(t) {
                return Check::Gone;
            }
            let e = self.slab.get(t.index);
            let idle_at = e.last + limits.inactive_ms;
            let active_at = e.active_since + limits.active_ms;
            if idle_at.min(active_at) > now {
                return Check::Until(idle_at.min(active_at));
            }
            if idle_at <= now {
                self.stats.inactive_timeouts += 1;
                let hash = self.hash(e.key);
                self.release(t.index, hash, EndReason::Idle, export);
                return Check::Expired;
            }
            if e.packets > 0 {
                self.stats.active_timeouts += 1;
                self.emit(t.index, EndReason::Active, export);
            }
            self.restart(t.index, e, now);
            Check::Until(idle_at.min(now + limits.active_ms))
        });
        self.wheel = wheel;
    }

    /// Exports every flow (reason "forced end") and empties the table: the end of a replay, a
    /// table that a commit removes.
    pub fn flush(&mut self, export: &mut impl FnMut(FlowRecord<A>)) {
        self.settle(export);
        self.index.clear();
        self.wheel.clear();
        // In slab order, one pass: in the index's order each flow was a cache miss.
        for i in 0..self.slab.len() as u32 {
            if self.slab.get(i).generation % 2 == 1 {
                self.emit(i, EndReason::Forced, export);
                self.vacate(i);
            }
        }
    }

    /// The flows held, as records of what they metered so far.
    pub fn flows(&self) -> impl Iterator<Item = FlowRecord<A>> + '_ {
        self.index.iter().map(|i| self.record(i, EndReason::Forced))
    }

    /// Bytes the table holds on the heap.
    pub fn memory_bytes(&self) -> usize {
        self.slab.touched_bytes()
            + self.free.capacity() * 4
            + self.index.allocation_size()
            + self.wheel.memory_bytes()
    }

    /// Changes timeouts and size: the flows move to a table of the new limits (those beyond a
    /// smaller size are exported now, as for a full table), their deadlines recomputed.
    pub fn set_limits(&mut self, limits: Limits, now: u64, export: &mut impl FnMut(FlowRecord<A>)) {
        self.settle(export);
        if limits == self.limits {
            return;
        }
        let mut moved = FlowTable::new(limits, now);
        moved.ahead_from = self.ahead_from;
        if moved.slab.capacity() < limits.capacity.max(1) {
            // No memory for a table of the new size: the flows stay where they are.
            self.stats.creation_failures += 1;
            self.limits = Limits {
                capacity: self.limits.capacity,
                ..limits
            };
            return;
        }
        while self.len() > limits.capacity.max(1) {
            if !self.push_out_one(now, export) {
                break;
            }
        }
        moved.stats = self.stats;
        // Every flow's ticket is placed again at its deadline under the new timeouts.
        for i in self.index.iter().take(limits.capacity.max(1)) {
            let e = self.slab.get(i);
            let Some(j) = moved.slab.push() else { break };
            moved.slab.set(j, &Entry { generation: 1, ..e });
            let hash = moved.hash(e.key);
            moved.index.insert(hash, j);
            let deadline = (e.last + limits.inactive_ms).min(e.active_since + limits.active_ms);
            moved.wheel.place(
                Ticket {
                    index: j,
                    generation: 1,
                },
                deadline,
                now,
            );
        }
        *self = moved;
    }
}
