//! Traffic with known flows, and the records a correct meter exports for it, computed here from
//! the packets alone (not by flowsh): the ground truth the exported records are checked against.

use std::net::IpAddr;

use flowsh_engine::build::{L4, Spec, v4, v6};

/// 2026-01-01 12:00:00 UTC, in nanoseconds.
pub const T0_NS: u64 = 1_767_268_800_000_000_000;
pub const MS: u64 = 1_000_000;
/// The configuration's inactive timeout (ms), which splits flows at long pauses.
pub const INACTIVE_MS: u64 = 15_000;

/// The router the traffic crosses: every packet into ge-0/0/0 sampled, timeouts as the truth
/// assumes (active 60 s, inactive `INACTIVE_MS`).
pub const SAMPLED_ROUTER: &str = "
set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/0 unit 0 family inet sampling input
set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:1::1/64
set interfaces ge-0/0/0 unit 0 family inet6 sampling input
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/1 unit 0 family inet6 address 2001:db8:2::1/64
set routing-options static route 172.16.0.0/12 next-hop 10.0.2.254
set routing-options rib inet6.0 static route 2001:db8:100::/48 next-hop 2001:db8:2::254
set forwarding-options sampling input rate 1
set forwarding-options sampling input max-packets-per-second 0
set forwarding-options sampling family inet output flow-active-timeout 60
set forwarding-options sampling family inet output flow-inactive-timeout 15
set forwarding-options sampling family inet6 output flow-active-timeout 60
set forwarding-options sampling family inet6 output flow-inactive-timeout 15
";

/// A small deterministic generator (no dependency, same sequence everywhere).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What a record must hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Truth {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub tos: u8,
    pub packets: u64,
    pub bytes: u64,
    pub tcp_flags: u8,
    /// Milliseconds since the capture's first packet.
    pub first_ms: u64,
    pub last_ms: u64,
    /// flowEndReason: 1 idle, 3 end of flow (FIN), 4 forced (still active at the end).
    pub end_reason: u8,
}

impl Truth {
    pub fn is_v4(&self) -> bool {
        self.src.is_ipv4()
    }
}

/// The capture (Unix-nanosecond times) and the records it must produce: 300 flows of TCP
/// (SYN ... FIN), UDP and ICMP, IPv4 and IPv6, some with a pause longer than the inactive
/// timeout (two records), over about 45 seconds.
pub fn traffic() -> (Vec<(u64, Vec<u8>)>, Vec<Truth>) {
    let mut rng = Lcg(7);
    let mut packets: Vec<(u64, u64, Vec<u8>)> = Vec::new();
    let mut truth = Vec::new();
    for flow in 0..300u64 {
        let start = rng.next(20_000);
        let count = 1 + rng.next(12);
        let pause_at = if flow % 5 == 0 { Some(count / 2) } else { None };
        let kind = rng.next(4);
        let v6_flow = flow % 7 == 3;
        let (src, dst): (IpAddr, IpAddr) = if v6_flow {
            (
                v6(&format!("2001:db8:1::{:x}", 2 + flow)),
                v6(&format!("2001:db8:100::{:x}", 1 + rng.next(50))),
            )
        } else {
            (
                v4(&format!("10.0.1.{}", 2 + flow % 200)),
                v4(&format!("172.16.{}.{}", flow / 200, 1 + rng.next(200))),
            )
        };
        let sport = 1024 + flow as u16;
        let dscp = if flow % 4 == 0 { 46 } else { 0 };
        let mut t = start;
        let mut current = None::<Truth>;
        for i in 0..count {
            if Some(i) == pause_at {
                truth.extend(current.take());
                t += 20_000;
            }
            let last = i + 1 == count;
            let payload = rng.next(400) as usize;
            let (spec, flags, ports) = match kind {
                0 => {
                    let flags = if i == 0 {
                        0x02
                    } else if last {
                        0x11
                    } else {
                        0x10
                    };
                    (Spec::tcp(src, dst, sport, 443, flags), flags, (sport, 443))
                }
                1 if !v6_flow => (Spec::ping(src, dst, flow as u16, i as u16), 0, (0, 0x0800)),
                _ => (Spec::udp(src, dst, sport, 53), 0, (sport, 53)),
            };
            let bytes = spec.payload(payload).dscp(dscp).build();
            let protocol = match spec.l4 {
                L4::Tcp { .. } => 6,
                L4::Udp { .. } => 17,
                _ => 1,
            };
            let c = current.get_or_insert(Truth {
                src,
                dst,
                src_port: ports.0,
                dst_port: ports.1,
                protocol,
                tos: dscp << 2,
                packets: 0,
                bytes: 0,
                tcp_flags: 0,
                first_ms: t,
                last_ms: t,
                end_reason: 0,
            });
            c.packets += 1;
            c.bytes += bytes.len() as u64;
            c.tcp_flags |= flags;
            c.last_ms = t;
            packets.push((t, flow * 1000 + i, bytes));
            t += 1 + rng.next(2000);
        }
        truth.extend(current.take());
    }
    packets.sort_by_key(|(t, order, _)| (*t, *order));
    // Times are the engine's uptime: from its boot, a second before the capture's first packet.
    let lead = flowsh_engine::clock::CAPTURE_BOOT_LEAD_MS;
    let first = packets.first().map_or(0, |p| p.0);
    let uptime = |t: u64| t + lead - first;
    let end = uptime(packets.last().map_or(0, |p| p.0));
    for r in &mut truth {
        r.first_ms = uptime(r.first_ms);
        r.last_ms = uptime(r.last_ms);
        r.end_reason = if r.tcp_flags & 0x01 != 0 {
            3
        } else if r.last_ms + INACTIVE_MS <= end {
            1
        } else {
            4
        };
    }
    (
        packets
            .into_iter()
            .map(|(t, _, p)| (T0_NS + t * MS, p))
            .collect(),
        truth,
    )
}
