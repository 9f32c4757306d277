//! `flowsh generate`: a synthetic capture of many flows for replays and benchmarks. Packets of
//! `flows` flows (UDP, TCP, or a mix with pings; IPv4, IPv6 or both) are written round-robin,
//! `1/rate` seconds apart, raw IP with nanosecond stamps.

use std::path::PathBuf;

use flowsh_engine::build::Spec;
use flowsh_engine::port::CaptureWriter;
use ipnet::Ipv4Net;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Generate {
    pub out: PathBuf,
    pub flows: u32,
    pub packets: u64,
    /// Whole IP packet size in bytes (at least the headers).
    pub size: usize,
    /// Sources are taken from this prefix, destinations from `dst`.
    pub src: Ipv4Net,
    pub dst: Ipv4Net,
    /// Packets per second of capture time.
    pub rate: u64,
    pub protocol: Protocol,
    pub family: FamilyMix,
    /// Mixed traffic instead: TCP connections (SYN ... FIN), DNS over UDP and pings, of
    /// varied sizes and timing, over `packets / rate` seconds.
    pub mixed: bool,
    /// Unix nanoseconds of the first packet.
    pub start_ns: u64,
}

/// The transport of the steady flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// UDP to port 5001 (not 53: flow meters treat DNS apart).
    Udp,
    /// TCP ACKs to port 443.
    Tcp,
    /// 7 flows in 10 TCP, 2 UDP, 1 ICMP echo.
    Mix,
}

/// The address family of the steady flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FamilyMix {
    Inet,
    Inet6,
    /// Every other flow IPv6.
    Both,
}

/// A small deterministic generator: the same capture on every machine.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Mixed traffic: each flow starts at a random time and sends a few packets, seconds apart.
fn mixed(g: &Generate) -> Vec<(u64, Vec<u8>)> {
    let mut rng = Lcg(0x666c_6f77);
    let span_ms = (g.packets * 1000 / g.rate.max(1)).max(1000);
    let mut out = Vec::new();
    for n in 0..g.flows {
        let base = flow(g, n);
        let (src, dst) = (base.src, base.dst);
        let sport = 1024 + rng.below(60_000) as u16;
        let mut t = rng.below(span_ms);
        let kind = n % 10;
        let count = match kind {
            0..=5 => 3 + rng.below(18),
            6..=8 => 1 + rng.below(4),
            _ => 1 + rng.below(5),
        };
        for i in 0..count {
            let last = i + 1 == count;
            let spec = match kind {
                0..=5 => {
                    let flags = match i {
                        0 => 0x02,
                        _ if last => 0x11,
                        _ => 0x18,
                    };
                    let payload = if i == 0 || last {
                        0
                    } else {
                        rng.below(1400) as usize
                    };
                    Spec::tcp(src, dst, sport, 443, flags).payload(payload)
                }
                6..=8 => Spec::udp(src, dst, sport, 53).payload(20 + rng.below(60) as usize),
                _ => Spec::ping(src, dst, n as u16, i as u16).payload(56),
            };
            out.push((g.start_ns + t * 1_000_000, spec.build()));
            t += 1 + rng.below(3000);
        }
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

/// The addresses and ports of flow `n`: sources and source ports vary first, so every flow
/// differs from its neighbours in the key.
fn flow(g: &Generate, n: u32) -> Spec {
    let hosts = |net: &Ipv4Net| (1u64 << (32 - net.prefix_len())).saturating_sub(2).max(1);
    let src_hosts = hosts(&g.src);
    let n64 = u64::from(n);
    let src = u32::from(g.src.network()) + 1 + (n64 % src_hosts) as u32;
    let rest = n64 / src_hosts;
    let sport = 1024 + (rest % 60_000) as u16;
    let dst = u32::from(g.dst.network()) + 1 + ((rest / 60_000) % hosts(&g.dst)) as u32;
    let v6 = match g.family {
        FamilyMix::Inet => false,
        FamilyMix::Inet6 => true,
        FamilyMix::Both => n % 2 == 1,
    };
    let (src, dst): (std::net::IpAddr, std::net::IpAddr) = if v6 {
        // The IPv4 addresses' numbers under 2001:db8:a::/64 and 2001:db8:b::/64.
        let at = |prefix: u128, a: u32| std::net::Ipv6Addr::from(prefix | u128::from(a)).into();
        (
            at(0x2001_0db8_000a_u128 << 80, src),
            at(0x2001_0db8_000b_u128 << 80, dst),
        )
    } else {
        (
            std::net::Ipv4Addr::from(src).into(),
            std::net::Ipv4Addr::from(dst).into(),
        )
    };
    let protocol = match g.protocol {
        Protocol::Mix => match n % 10 {
            0..=6 => Protocol::Tcp,
            7 | 8 => Protocol::Udp,
            _ => Protocol::Mix,
        },
        p => p,
    };
    let ip_header = if v6 { 40 } else { 20 };
    let (spec, header) = match protocol {
        Protocol::Tcp => (Spec::tcp(src, dst, sport, 443, 0x10), 20),
        Protocol::Udp => (Spec::udp(src, dst, sport, 5001), 8),
        // Mix's tenth flow: pings, one identifier per flow.
        Protocol::Mix => (Spec::ping(src, dst, sport, 1), 8),
    };
    spec.payload(g.size.saturating_sub(ip_header + header))
}

/// Writes the capture; the number of packets written.
pub fn run(g: &Generate) -> std::io::Result<u64> {
    let mut w = CaptureWriter::create(&g.out)?;
    if g.mixed {
        let packets = mixed(g);
        for (t, p) in &packets {
            w.write(*t, p)?;
        }
        w.finish()?;
        return Ok(packets.len() as u64);
    }
    let flows = g.flows.max(1);
    let step = 1_000_000_000 / g.rate.max(1);
    // One packet per flow is built once; the flows repeat round-robin.
    let packets: Vec<Vec<u8>> = (0..flows.min(g.packets.min(u64::from(u32::MAX)) as u32))
        .map(|n| flow(g, n).build())
        .collect();
    for i in 0..g.packets {
        w.write(
            g.start_ns + i * step,
            &packets[(i % packets.len() as u64) as usize],
        )?;
    }
    w.finish()?;
    Ok(g.packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_are_distinct_and_packets_have_the_size_asked() {
        let g = Generate {
            out: PathBuf::new(),
            flows: 200_000,
            packets: 0,
            size: 64,
            src: "10.0.0.0/24".parse().unwrap(),
            dst: "172.16.0.0/12".parse().unwrap(),
            rate: 1,
            protocol: Protocol::Mix,
            family: FamilyMix::Both,
            mixed: false,
            start_ns: 0,
        };
        let keys: std::collections::HashSet<_> = (0..200_000)
            .map(|n| {
                let s = flow(&g, n);
                (s.src, s.dst, s.l4)
            })
            .collect();
        assert_eq!(keys.len(), 200_000);
        for n in 0..20 {
            let p = flow(&g, n).build();
            assert_eq!(p.len(), 64, "flow {n}");
            let view = flowsh_engine::packet::parse(&p).unwrap();
            let want = match n % 10 {
                0..=6 => 6,
                7 | 8 => 17,
                _ if n % 2 == 1 => 58,
                _ => 1,
            };
            assert_eq!(view.protocol, want, "flow {n}");
        }
    }
}
