//! A burst: the packets one call reads from a port, their bytes one after another in one
//! buffer. A port hands over a burst at a time, so that a capture's reader keeps its state in
//! registers from one packet to the next instead of entering and leaving a call for each.

use std::io;

use super::{MAX_PACKET, Port, Rx};

/// Packets a burst holds at most.
pub const BURST: usize = 32;

/// Each packet starts on a cache line of its own.
const ALIGN: usize = 64;

/// Where one packet of a burst is, and its capture time when it has one.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    start: usize,
    len: usize,
    time_ns: Option<u64>,
}

/// How a read of a burst ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurstEnd {
    /// The burst is full (or at the number asked for): more may be waiting.
    Full,
    /// Nothing more waiting now.
    Empty,
    /// Nothing will ever come (a capture read to its end).
    Closed,
}

#[derive(Debug)]
pub struct Burst {
    /// Room for a packet of the largest size after any burst of smaller ones.
    bytes: Box<[u8]>,
    used: usize,
    slots: [Slot; BURST],
    len: usize,
}

impl Default for Burst {
    fn default() -> Self {
        Burst::new()
    }
}

impl Burst {
    pub fn new() -> Burst {
        Burst {
            bytes: vec![0u8; 2 * MAX_PACKET].into_boxed_slice(),
            used: 0,
            slots: [Slot::default(); BURST],
            len: 0,
        }
    }

    pub fn clear(&mut self) {
        self.used = 0;
        self.len = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The buffer a port reads the next packet into: `MAX_PACKET` bytes (what comes after a
    /// packet in it is not the packet's), or `None` when the burst is full.
    #[inline(always)]
    pub fn room(&mut self) -> Option<&mut [u8]> {
        if self.len == BURST {
            return None;
        }
        self.bytes.get_mut(self.used..self.used + MAX_PACKET)
    }

    /// The packet just read into [`Burst::room`]: its first `len` bytes.
    #[inline(always)]
    pub fn push(&mut self, len: usize, time_ns: Option<u64>) {
        if let Some(slot) = self.slots.get_mut(self.len) {
            *slot = Slot {
                start: self.used,
                len: len.min(MAX_PACKET),
                time_ns,
            };
            self.len += 1;
            self.used += len.min(MAX_PACKET).next_multiple_of(ALIGN);
        }
    }

    /// Packet `k` of the burst, and its capture time.
    #[inline(always)]
    pub fn packet(&mut self, k: usize) -> Option<(&mut [u8], Option<u64>)> {
        let s = *self.slots[..self.len].get(k)?;
        Some((&mut self.bytes[s.start..s.start + s.len], s.time_ns))
    }
}

/// A burst read one packet at a time with [`Port::recv`]: what ports without a faster way
/// do.
pub fn by_recv<P: Port + ?Sized>(
    port: &mut P,
    burst: &mut Burst,
    max: usize,
) -> io::Result<BurstEnd> {
    while burst.len() < max {
        let Some(buf) = burst.room() else {
            return Ok(BurstEnd::Full);
        };
        match port.recv(buf)? {
            Rx::Packet { len, time_ns } => burst.push(len, time_ns),
            Rx::Empty => return Ok(BurstEnd::Empty),
            Rx::Closed => return Ok(BurstEnd::Closed),
        }
    }
    Ok(BurstEnd::Full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::MemoryHandle;

    #[test]
    fn packets_keep_their_bytes_order_and_times() {
        let h = MemoryHandle::default();
        for n in 0..40u8 {
            h.push(vec![n; usize::from(n) * 3 + 1]);
        }
        let mut port = h.port();
        let mut burst = Burst::new();
        assert_eq!(by_recv(&mut port, &mut burst, 100).unwrap(), BurstEnd::Full);
        assert_eq!(burst.len(), BURST);
        for k in 0..BURST {
            let (p, time) = burst.packet(k).unwrap();
            assert_eq!(p, vec![k as u8; k * 3 + 1].as_slice(), "packet {k}");
            assert_eq!(time, None);
        }
        assert!(burst.packet(BURST).is_none());
        burst.clear();
        assert_eq!(
            by_recv(&mut port, &mut burst, 100).unwrap(),
            BurstEnd::Empty
        );
        assert_eq!(burst.len(), 40 - BURST);
        assert_eq!(burst.packet(0).unwrap().0[0], BURST as u8);
    }

    #[test]
    fn a_burst_stops_at_the_number_asked_for() {
        let h = MemoryHandle::default();
        for _ in 0..10 {
            h.push(vec![1; 64]);
        }
        let mut burst = Burst::new();
        assert_eq!(
            by_recv(&mut h.port(), &mut burst, 3).unwrap(),
            BurstEnd::Full
        );
        assert_eq!((burst.len(), h.pending()), (3, 7));
    }

    #[test]
    fn largest_packets_end_a_burst_when_no_room_is_left() {
        let h = MemoryHandle::default();
        for _ in 0..3 {
            h.push(vec![7; MAX_PACKET]);
        }
        let mut burst = Burst::new();
        assert_eq!(
            by_recv(&mut h.port(), &mut burst, BURST).unwrap(),
            BurstEnd::Full
        );
        assert_eq!(burst.len(), 2);
        assert!(burst.packet(1).unwrap().0.iter().all(|&b| b == 7));
        assert_eq!(h.pending(), 1);
    }
}
