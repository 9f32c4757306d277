//! What identifies a flow and what is metered of it.

use std::fmt::Debug;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::packet::PacketView;

/// An address of the family a table holds: IPv4 tables key on 4 bytes, IPv6 ones on 16.
pub trait FlowAddr: Copy + Eq + Hash + Default + Debug + Send + 'static {
    /// From the view's address number (IPv4 in the low 32 bits).
    fn from_view(v: u128) -> Self;
    fn ip(self) -> IpAddr;
}

impl FlowAddr for u32 {
    #[inline]
    fn from_view(v: u128) -> u32 {
        v as u32
    }
    fn ip(self) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(self))
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
}

/// The J-Flow key: addresses, ports, protocol, ToS and input interface. ICMP carries
/// `type << 8 | code` as its destination port and 0 as its source port, as collectors expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Key<A> {
    pub src: A,
    pub dst: A,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub tos: u8,
    /// Index of the input unit.
    pub input: u16,
}

impl<A: FlowAddr> Key<A> {
    #[inline]
    pub fn of(view: &PacketView, input: u16) -> Key<A> {
        let t = &view.transport;
        let (src_port, dst_port) = match t.icmp {
            Some((ty, code)) => (0, u16::from(ty) << 8 | u16::from(code)),
            None => (t.src_port.unwrap_or(0), t.dst_port.unwrap_or(0)),
        };
        Key {
            src: A::from_view(view.src),
            dst: A::from_view(view.dst),
            src_port,
            dst_port,
            protocol: view.protocol,
            tos: view.tos,
            input,
        }
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
