//! What identifies a flow and what is metered of it.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::packet::PacketView;

/// An address of the family a table holds: IPv4 tables key on 4 bytes, IPv6 ones on 16.
pub trait FlowAddr: Copy + Eq + Hash + Default + Debug + Send + 'static {
    /// From the view's address number (IPv4 in the low 32 bits).
    fn from_view(v: u128) -> Self;
    fn ip(self) -> IpAddr;
    /// Feeds a source and destination pair to a hasher in as few words as they fit.
    fn hash_pair<H: Hasher>(a: Self, b: Self, h: &mut H);
    /// Words a key takes in a table: the address pair's, and one for the rest.
    const KEY_WORDS: usize;
    fn pair_to_words(a: Self, b: Self, out: &mut [u64]);
    fn pair_from_words(w: &[u64]) -> (Self, Self);
}

impl FlowAddr for u32 {
    #[inline]
    fn from_view(v: u128) -> u32 {
        v as u32
    }
    fn ip(self) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(self))
    }
    #[inline]
    fn hash_pair<H: Hasher>(a: u32, b: u32, h: &mut H) {
        h.write_u64(u64::from(a) << 32 | u64::from(b));
    }
    const KEY_WORDS: usize = 2;
    #[inline]
    fn pair_to_words(a: u32, b: u32, out: &mut [u64]) {
        out[0] = u64::from(a) << 32 | u64::from(b);
    }
    fn pair_from_words(w: &[u64]) -> (u32, u32) {
        ((w[0] >> 32) as u32, w[0] as u32)
    }
}

impl FlowAddr for u128 {
    #[inline]
    fn from_view(v: u128) -> u128 {
        v
    }
    fn ip(self) -> IpAddr {
        IpAddr::V6(Ipv6Addr::from(self))
    }
    #[inline]
    fn hash_pair<H: Hasher>(a: u128, b: u128, h: &mut H) {
        h.write_u128(a);
        h.write_u128(b);
    }
    const KEY_WORDS: usize = 5;
    #[inline]
    fn pair_to_words(a: u128, b: u128, out: &mut [u64]) {
        out[0] = (a >> 64) as u64;
        out[1] = a as u64;
        out[2] = (b >> 64) as u64;
        out[3] = b as u64;
    }
    fn pair_from_words(w: &[u64]) -> (u128, u128) {
        (
            u128::from(w[0]) << 64 | u128::from(w[1]),
            u128::from(w[2]) << 64 | u128::from(w[3]),
        )
    }
}

/// The J-Flow key: addresses, ports, protocol, ToS and input interface. ICMP carries
/// `type << 8 | code` as its destination port and 0 as its source port, as collectors expect.
/// Ports and the small fields are packed in words, each written at once: a key just built is
/// hashed and compared without store-forwarding stalls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Key<A> {
    pub src: A,
    pub dst: A,
    /// Source port << 16 | destination port.
    ports: u32,
    /// Protocol | ToS << 8 | input unit << 16 (its top bit: metered on the way out).
    meta: u32,
}

impl<A: FlowAddr> Hash for Key<A> {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        A::hash_pair(self.src, self.dst, h);
        h.write_u64(u64::from(self.ports) << 32 | u64::from(self.meta));
    }
}

impl<A: FlowAddr> Key<A> {
    pub fn new(
        src: A,
        dst: A,
        src_port: u16,
        dst_port: u16,
        protocol: u8,
        tos: u8,
        input: u16,
    ) -> Key<A> {
        Key {
            src,
            dst,
            ports: u32::from(src_port) << 16 | u32::from(dst_port),
            meta: u32::from(protocol) | u32::from(tos) << 8 | u32::from(input) << 16,
        }
    }

    /// The key of a packet that came in on `input`, metered on the way in or (`egress`) out:
    /// the two are different observations, each its own flow.
    #[inline]
    pub fn of(view: &PacketView, input: u16, egress: bool) -> Key<A> {
        let t = &view.transport;
        let (src_port, dst_port) = match t.icmp {
            Some((ty, code)) => (0, u16::from(ty) << 8 | u16::from(code)),
            None => (t.src_port.unwrap_or(0), t.dst_port.unwrap_or(0)),
        };
        Key::new(
            A::from_view(view.src),
            A::from_view(view.dst),
            src_port,
            dst_port,
            view.protocol,
            view.tos,
            (input & 0x7fff) | if egress { 0x8000 } else { 0 },
        )
    }

    /// The key as table words ([`FlowAddr::KEY_WORDS`] of them).
    #[inline]
    pub fn to_words(&self, out: &mut [u64]) {
        let n = A::KEY_WORDS;
        A::pair_to_words(self.src, self.dst, &mut out[..n - 1]);
        out[n - 1] = u64::from(self.ports) << 32 | u64::from(self.meta);
    }

    pub fn from_words(w: &[u64]) -> Key<A> {
        let n = A::KEY_WORDS;
        let (src, dst) = A::pair_from_words(&w[..n - 1]);
        Key {
            src,
            dst,
            ports: (w[n - 1] >> 32) as u32,
            meta: w[n - 1] as u32,
        }
    }

    pub fn src_port(&self) -> u16 {
        (self.ports >> 16) as u16
    }

    pub fn dst_port(&self) -> u16 {
        self.ports as u16
    }

    pub fn protocol(&self) -> u8 {
        self.meta as u8
    }

    pub fn tos(&self) -> u8 {
        (self.meta >> 8) as u8
    }

    /// The input unit.
    pub fn input(&self) -> u16 {
        (self.meta >> 16) as u16 & 0x7fff
    }

    /// Metered on the way out (output sampling).
    pub fn egress(&self) -> bool {
        self.meta & 0x8000_0000 != 0
    }
}

/// Why a flow record was exported (IPFIX flowEndReason values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EndReason {
    Idle = 1,
    Active = 2,
    EndOfFlow = 3,
    Forced = 4,
    LackOfResources = 5,
}

/// No output interface: the packet was not forwarded.
pub const NO_UNIT: u16 = u16::MAX;

/// One exported flow record: the key and what was metered since the flow began or since its
/// last active-timeout export. Times are milliseconds of engine uptime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowRecord<A> {
    pub key: Key<A>,
    pub packets: u64,
    pub bytes: u64,
    /// When the flow began (kept across active-timeout exports).
    pub first: u64,
    pub last: u64,
    pub tcp_flags: u8,
    /// The output unit of the latest packet ([`NO_UNIT`] when it was not forwarded).
    pub output: u16,
    pub reason: EndReason,
}
