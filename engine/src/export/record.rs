//! A flow record as the encoders read it: the table's record plus what is known at export time
//! (interface indexes, next hop and prefix lengths from the routes, absolute times).

use std::net::IpAddr;

use crate::dataplane::Compiled;
use crate::flow::{FlowAddr, FlowRecord, NO_UNIT};
use crate::route::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportRecord {
    pub v6: bool,
    /// Addresses as numbers (IPv4 in the low 32 bits).
    pub src: u128,
    pub dst: u128,
    pub next_hop: u128,
    pub src_port: u16,
    /// For ICMP, `type << 8 | code`.
    pub dst_port: u16,
    pub protocol: u8,
    pub tos: u8,
    pub tcp_flags: u8,
    /// SNMP-style interface indexes (0: none).
    pub input: u32,
    pub output: u32,
    pub packets: u64,
    pub bytes: u64,
    /// Milliseconds of engine uptime.
    pub first_ms: u64,
    pub last_ms: u64,
    pub src_mask: u8,
    pub dst_mask: u8,
    /// Always 0: flowsh runs no BGP, so no AS is known.
    pub src_as: u32,
    pub dst_as: u32,
    /// flowEndReason (1 idle, 2 active, 3 end of flow, 4 forced end, 5 lack of resources).
    pub end_reason: u8,
    /// flowDirection: 0 ingress, 1 egress.
    pub direction: u8,
}

/// The SNMP-style index a record carries for a unit: its position plus one (0: none).
pub fn if_index(unit: u16) -> u16 {
    if unit == NO_UNIT { 0 } else { unit + 1 }
}

fn number(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl ExportRecord {
    /// The record of an ended flow, with the route-derived fields read from `compiled`.
    pub fn of<A: FlowAddr>(compiled: &Compiled, r: &FlowRecord<A>) -> ExportRecord {
        let (src, dst) = (number(r.key.src.ip()), number(r.key.dst.ip()));
        let v4 = r.key.src.ip().is_ipv4();
        let route = |a| compiled.routes.lookup(a, v4);
        let len = |a| route(a).map_or(0, |r| r.prefix.prefix_len());
        let next_hop = match route(dst).map(|r| &r.target) {
            Some(Target::Forward {
                next_hop: Some(nh), ..
            }) => number(*nh),
            _ => 0,
        };
        ExportRecord {
            v6: !v4,
            src,
            dst,
            next_hop,
            src_port: r.key.src_port(),
            dst_port: r.key.dst_port(),
            protocol: r.key.protocol(),
            tos: r.key.tos(),
            tcp_flags: r.tcp_flags,
            input: u32::from(if_index(r.key.input())),
            output: u32::from(if_index(r.output)),
            packets: r.packets,
            bytes: r.bytes,
            first_ms: r.first,
            last_ms: r.last,
            src_mask: len(src),
            dst_mask: len(dst),
            src_as: 0,
            dst_as: 0,
            end_reason: r.reason as u8,
            direction: u8::from(r.key.egress()),
        }
    }

    pub fn src_v4(&self) -> u32 {
        self.src as u32
    }

    pub fn dst_v4(&self) -> u32 {
        self.dst as u32
    }

    /// ICMP type and code (0 for other protocols).
    pub fn icmp_type_code(&self) -> u16 {
        if matches!(self.protocol, 1 | 58) {
            self.dst_port
        } else {
            0
        }
    }
}
