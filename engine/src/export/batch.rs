//! Datagrams to one collector sent in one call: UDP segmentation offload hands the kernel up to
//! 64 datagrams of one size (the last may be shorter) in one send, and the collector still
//! receives them one by one. On this machine's loopback a datagram costs a fifth of what its
//! own send did — a million flows end at once at the end of a replay.

use std::io::{self, IoSlice};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrStorage, sendmsg};

/// The kernel's `UDP_MAX_SEGMENTS`.
pub const MAX_SEGMENTS: usize = 64;
/// What one UDP send can carry, with room to spare under the 16-bit IP length.
const MAX_BYTES: usize = 65_000;

/// Datagrams waiting to go together, back to back.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    /// The length of each datagram but the last.
    segment: usize,
    count: usize,
}

impl Batch {
    /// A batch of one datagram.
    pub fn of(datagram: &[u8]) -> Batch {
        Batch {
            bytes: datagram.to_vec(),
            segment: datagram.len(),
            count: 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether a datagram of `len` bytes can join: no longer than the others, not after a
    /// shorter one (which ends a batch), and within the kernel's limits.
    pub fn takes(&self, len: usize) -> bool {
        self.count == 0
            || (len <= self.segment
                && self.bytes.len() == self.count * self.segment
                && self.count < MAX_SEGMENTS
                && self.bytes.len() + len <= MAX_BYTES)
    }

    /// Whether no datagram can join any more.
    pub fn is_full(&self) -> bool {
        self.count >= MAX_SEGMENTS || self.bytes.len() + self.segment > MAX_BYTES
    }

    /// Adds a datagram (one [`Batch::takes`]).
    pub fn push(&mut self, datagram: &[u8]) {
        debug_assert!(self.takes(datagram.len()));
        if self.count == 0 {
            self.segment = datagram.len();
        }
        self.bytes.extend_from_slice(datagram);
        self.count += 1;
    }

    /// The datagrams one by one.
    pub fn datagrams(&self) -> std::slice::Chunks<'_, u8> {
        self.bytes.chunks(self.segment.max(1))
    }

    /// Sends the whole batch to `to` in one call (a single datagram as a plain send).
    pub fn send(&self, socket: &UdpSocket, to: SocketAddr) -> io::Result<()> {
        if self.count <= 1 {
            return socket.send_to(&self.bytes, to).map(|_| ());
        }
        let segment = self.segment as u16;
        sendmsg(
            socket.as_raw_fd(),
            &[IoSlice::new(&self.bytes)],
            &[ControlMessage::UdpGsoSegments(&segment)],
            MsgFlags::empty(),
            Some(&SockaddrStorage::from(to)),
        )
        .map(|_| ())
        .map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_datagrams_of_one_size_and_a_shorter_one_ends_it() {
        let mut b = Batch::default();
        assert!(b.takes(1400));
        b.push(&[1; 1400]);
        assert!(!b.takes(1401), "no longer than the first");
        assert!(b.takes(1400));
        b.push(&[2; 1400]);
        b.push(&[3; 700]);
        assert!(!b.takes(700), "nothing after a shorter one");
        assert!(!b.takes(1400));
        let sizes: Vec<(usize, u8)> = b.datagrams().map(|d| (d.len(), d[0])).collect();
        assert_eq!(sizes, [(1400, 1), (1400, 2), (700, 3)]);
    }

    #[test]
    fn a_batch_stays_within_the_kernels_limits() {
        let mut b = Batch::default();
        while b.takes(100) {
            b.push(&[0; 100]);
        }
        assert_eq!(b.len(), MAX_SEGMENTS);
        assert!(b.is_full());
        let mut b = Batch::default();
        while b.takes(1472) {
            b.push(&[0; 1472]);
        }
        assert_eq!(b.len(), MAX_BYTES / 1472);
        assert!(b.is_full());
    }

    #[test]
    fn one_send_arrives_as_its_datagrams() {
        let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut b = Batch::default();
        for i in 0..5u8 {
            b.push(&[i; 1000]);
        }
        b.push(&[9; 10]);
        b.send(&socket, sink.local_addr().unwrap()).unwrap();
        sink.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 65_536];
        let mut got = Vec::new();
        while let Ok(n) = sink.recv(&mut buf) {
            got.push((n, buf[0]));
        }
        assert_eq!(
            got,
            [
                (1000, 0),
                (1000, 1),
                (1000, 2),
                (1000, 3),
                (1000, 4),
                (10, 9)
            ]
        );
    }
}
