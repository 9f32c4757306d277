//! Ethernet ports (`tap:NAME`): frames around IP packets, and the router's side of address
//! resolution with a neighbor cache: ARP for IPv4, neighbor discovery (RFC 4861 neighbor
//! solicitations and advertisements) for IPv6. Built with `smoltcp::wire`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpHardware, ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame,
    EthernetProtocol, EthernetRepr, Icmpv6Packet, Icmpv6Repr, IpProtocol, Ipv6Packet, Ipv6Repr,
    NdiscNeighborFlags, NdiscRepr, RawHardwareAddress,
};

pub const ETHERNET_HEADER: usize = 14;

/// Packets held per next hop while its address is resolved.
pub const PENDING_PER_NEIGHBOR: usize = 16;
/// Neighbors being resolved at once, per port: past this the oldest attempt gives way (its
/// packets are counted as dropped), so traffic to many silent hosts cannot grow memory.
pub const PENDING_NEIGHBORS: usize = 256;

/// The most neighbors a port keeps.
pub const MAX_NEIGHBORS: usize = 16_384;

/// How long a neighbor entry lasts without word from the neighbor: Junos's default ARP aging
/// timer, 20 minutes (`system arp aging-timer` is not configurable here).
pub const AGING_MS: u64 = 20 * 60 * 1000;

/// A locally administered MAC address derived from an interface name (when `mac` is not set).
pub fn mac_for(interface: &str) -> [u8; 6] {
    let mut h: u32 = 0x811c_9dc5;
    for b in interface.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    let b = h.to_be_bytes();
    [0x02, 0x46, b[0], b[1], b[2], b[3]]
}

/// A frame carrying `payload` (IPv4, IPv6 or ARP by `ethertype`).
pub fn frame(dst: [u8; 6], src: [u8; 6], ethertype: EthernetProtocol, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; ETHERNET_HEADER + payload.len()];
    let mut f = EthernetFrame::new_unchecked(&mut out[..]);
    EthernetRepr {
        src_addr: EthernetAddress(src),
        dst_addr: EthernetAddress(dst),
        ethertype,
    }
    .emit(&mut f);
    out[ETHERNET_HEADER..].copy_from_slice(payload);
    out
}

fn arp(
    op: ArpOperation,
    src_mac: [u8; 6],
    src_ip: Ipv4Addr,
    dst_mac: [u8; 6],
    dst_ip: Ipv4Addr,
) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation: op,
        source_hardware_addr: EthernetAddress(src_mac),
        source_protocol_addr: src_ip,
        target_hardware_addr: EthernetAddress(dst_mac),
        target_protocol_addr: dst_ip,
    };
    let mut body = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut body[..]));
    let eth_dst = if op == ArpOperation::Request {
        [0xff; 6]
    } else {
        dst_mac
    };
    frame(eth_dst, src_mac, EthernetProtocol::Arp, &body)
}

/// Neighbor discovery messages carry this hop limit; any other is forged or forwarded.
const ND_HOP_LIMIT: u8 = 255;

/// An IPv6 neighbor discovery message (`repr`) from `src` to `dst`, as an IPv6 packet.
fn ndisc(src: Ipv6Addr, dst: Ipv6Addr, repr: NdiscRepr) -> Vec<u8> {
    let icmp = Icmpv6Repr::Ndisc(repr);
    let ip = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.buffer_len(),
        hop_limit: ND_HOP_LIMIT,
    };
    let mut out = vec![0u8; ip.buffer_len() + icmp.buffer_len()];
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
    icmp.emit(
        &src,
        &dst,
        &mut Icmpv6Packet::new_unchecked(&mut out[ip.buffer_len()..]),
        &ChecksumCapabilities::default(),
    );
    out
}

/// The solicited-node multicast address of `target` (RFC 4291 2.7.1) and its Ethernet group.
fn solicited_node(target: Ipv6Addr) -> (Ipv6Addr, [u8; 6]) {
    let t = target.octets();
    let ip = Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(t[13]),
        u16::from_be_bytes([t[14], t[15]]),
    );
    let o = ip.octets();
    (ip, [0x33, 0x33, o[12], o[13], o[14], o[15]])
}

/// A neighbor solicitation for `target` from `source` (the router's address on the port).
fn solicitation(mac: [u8; 6], source: Ipv6Addr, target: Ipv6Addr) -> Vec<u8> {
    let (group, group_mac) = solicited_node(target);
    let repr = NdiscRepr::NeighborSolicit {
        target_addr: target,
        // No source link-layer option from the unspecified address (RFC 4861 4.3).
        lladdr: (!source.is_unspecified()).then(|| RawHardwareAddress::from_bytes(&mac)),
    };
    frame(
        group_mac,
        mac,
        EthernetProtocol::Ipv6,
        &ndisc(source, group, repr),
    )
}

/// What a received frame holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// An IP packet at this offset of the frame.
    Ip { offset: usize },
    /// An ARP or neighbor discovery message was handled; the frame to send in answer (a reply
    /// or advertisement), if any, and the neighbor it taught us.
    Neighbor {
        answer: Option<Vec<u8>>,
        learned: Option<IpAddr>,
    },
    /// Not for us (another ethertype, or a unicast frame to another MAC).
    Ignored,
}

/// Resolved neighbors and the packets waiting for resolution, for one Ethernet port.
#[derive(Debug, Default)]
pub struct Neighbors {
    pub mac: [u8; 6],
    /// Each neighbor's MAC and when it was last heard from (engine milliseconds).
    table: HashMap<IpAddr, ([u8; 6], u64)>,
    /// The engine's time, as the port's worker last saw it.
    now: u64,
    /// When the oldest entry ages out: a sweep of a full table before then frees nothing.
    next_sweep: u64,
    pending: HashMap<IpAddr, Held>,
    /// Neighbors in `pending`, oldest attempt first.
    order: std::collections::VecDeque<IpAddr>,
    /// Held packets dropped since last asked (their neighbor gave way to a newer one).
    evicted: u64,
}

/// Packets waiting for one neighbor, and those refused since the queue filled.
#[derive(Debug, Default)]
struct Held {
    packets: Vec<Vec<u8>>,
    overflows: u32,
}

/// What to do with an outgoing IP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Send this frame.
    Frame(Vec<u8>),
    /// Held; send this ARP request or neighbor solicitation (only for the first packet held
    /// for the neighbor).
    Held(Option<Vec<u8>>),
    /// Held packets for this neighbor are already at their limit: the packet is dropped. Now
    /// and then the request goes again (the first may have been lost).
    Overflow(Option<Vec<u8>>),
}

/// The ethertype of an IP packet, by its version.
fn ethertype_of(packet: &[u8]) -> EthernetProtocol {
    match packet.first().map(|b| b >> 4) {
        Some(6) => EthernetProtocol::Ipv6,
        _ => EthernetProtocol::Ipv4,
    }
}

impl Neighbors {
    pub fn new(mac: [u8; 6]) -> Neighbors {
        Neighbors {
            mac,
            ..Neighbors::default()
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// The time (engine milliseconds) of what follows: learned neighbors are stamped with it,
    /// and entries older than [`AGING_MS`] are resolved again.
    pub fn set_now(&mut self, ms: u64) {
        self.now = self.now.max(ms);
    }

    fn learn(&mut self, neighbor: IpAddr, mac: [u8; 6]) {
        if self.table.len() >= MAX_NEIGHBORS && !self.table.contains_key(&neighbor) {
            // Full (a link of many hosts, or forged ARP): aged entries go; if none has aged,
            // a new neighbor is not learned from its own messages (it is still resolved when
            // a packet is sent to it). The sweep runs only once an entry can have aged: forged
            // ARP from new hosts on a full table costs a lookup each, not a walk of the table.
            if self.now >= self.next_sweep {
                let now = self.now;
                self.table
                    .retain(|_, (_, heard)| now.saturating_sub(*heard) < AGING_MS);
                let oldest = self.table.values().map(|(_, heard)| *heard).min();
                self.next_sweep = oldest.map_or(0, |t| t.saturating_add(AGING_MS));
            }
            if self.table.len() >= MAX_NEIGHBORS && !self.pending.contains_key(&neighbor) {
                return;
            }
        }
        self.table.insert(neighbor, (mac, self.now));
    }

    /// Whether a neighbor on this port has this MAC (the L2 lookup of mirror destinations).
    pub fn knows_mac(&self, mac: [u8; 6]) -> bool {
        self.table.values().any(|(m, _)| *m == mac)
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Handles a received frame; `own` tells whether an address is the router's on this port
    /// (ARP requests and neighbor solicitations for it are answered).
    pub fn receive(&mut self, buf: &[u8], own: impl Fn(IpAddr) -> bool) -> Received {
        let Ok(f) = EthernetFrame::new_checked(buf) else {
            return Received::Ignored;
        };
        let dst = f.dst_addr().0;
        if dst != self.mac && dst != [0xff; 6] && dst[0] & 1 == 0 {
            return Received::Ignored;
        }
        match f.ethertype() {
            EthernetProtocol::Ipv6 => match self.discovery(f.payload(), f.src_addr().0, own) {
                Some(handled) => handled,
                None => Received::Ip {
                    offset: ETHERNET_HEADER,
                },
            },
            EthernetProtocol::Ipv4 => Received::Ip {
                offset: ETHERNET_HEADER,
            },
            EthernetProtocol::Arp => {
                let Ok(repr) = ArpPacket::new_checked(f.payload()).and_then(|p| ArpRepr::parse(&p))
                else {
                    return Received::Ignored;
                };
                let ArpRepr::EthernetIpv4 {
                    operation,
                    source_hardware_addr,
                    source_protocol_addr,
                    target_protocol_addr,
                    ..
                } = repr
                else {
                    return Received::Ignored;
                };
                let learned = (!source_protocol_addr.is_unspecified()).then(|| {
                    let a = IpAddr::V4(source_protocol_addr);
                    self.learn(a, source_hardware_addr.0);
                    a
                });
                let answer = (operation == ArpOperation::Request
                    && own(IpAddr::V4(target_protocol_addr)))
                .then(|| {
                    arp(
                        ArpOperation::Reply,
                        self.mac,
                        target_protocol_addr,
                        source_hardware_addr.0,
                        source_protocol_addr,
                    )
                });
                Received::Neighbor { answer, learned }
            }
            _ => Received::Ignored,
        }
    }

    /// A neighbor solicitation or advertisement in an IPv6 packet, handled; `None` when the
    /// packet is anything else (it goes on to the data plane). Other neighbor discovery
    /// messages (router solicitations and advertisements, redirects) are not for a router
    /// without router advertisements configured: ignored.
    fn discovery(
        &mut self,
        ip: &[u8],
        frame_src: [u8; 6],
        own: impl Fn(IpAddr) -> bool,
    ) -> Option<Received> {
        let p = Ipv6Packet::new_checked(ip).ok()?;
        if p.next_header() != IpProtocol::Icmpv6 {
            return None;
        }
        let (src, dst) = (p.src_addr(), p.dst_addr());
        let icmp = Icmpv6Packet::new_checked(p.payload()).ok()?;
        if !matches!(u8::from(icmp.msg_type()), 133..=137) {
            return None;
        }
        // From here on it is neighbor discovery: a bad one is dropped here, never forwarded.
        if p.hop_limit() != ND_HOP_LIMIT {
            return Some(Received::Ignored);
        }
        let Ok(Icmpv6Repr::Ndisc(repr)) =
            Icmpv6Repr::parse(&src, &dst, &icmp, &ChecksumCapabilities::default())
        else {
            return Some(Received::Ignored);
        };
        let mac_of =
            |l: Option<RawHardwareAddress>| l.and_then(|l| <[u8; 6]>::try_from(l.as_bytes()).ok());
        Some(match repr {
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
            } => {
                let learned = match (src.is_unspecified(), mac_of(lladdr)) {
                    (false, Some(mac)) => {
                        self.learn(IpAddr::V6(src), mac);
                        Some(IpAddr::V6(src))
                    }
                    _ => None,
                };
                let answer = own(IpAddr::V6(target_addr)).then(|| {
                    // To the asker; to all nodes when it asked from the unspecified address
                    // (duplicate address detection), then not as solicited.
                    let (to, to_mac, solicited) = if src.is_unspecified() {
                        (
                            Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
                            [0x33, 0x33, 0, 0, 0, 1],
                            false,
                        )
                    } else {
                        (src, mac_of(lladdr).unwrap_or(frame_src), true)
                    };
                    let mut flags = NdiscNeighborFlags::ROUTER | NdiscNeighborFlags::OVERRIDE;
                    if solicited {
                        flags |= NdiscNeighborFlags::SOLICITED;
                    }
                    let repr = NdiscRepr::NeighborAdvert {
                        flags,
                        target_addr,
                        lladdr: Some(RawHardwareAddress::from_bytes(&self.mac)),
                    };
                    frame(
                        to_mac,
                        self.mac,
                        EthernetProtocol::Ipv6,
                        &ndisc(target_addr, to, repr),
                    )
                });
                Received::Neighbor { answer, learned }
            }
            NdiscRepr::NeighborAdvert {
                target_addr,
                lladdr,
                ..
            } => {
                let mac = mac_of(lladdr).unwrap_or(frame_src);
                self.learn(IpAddr::V6(target_addr), mac);
                Received::Neighbor {
                    answer: None,
                    learned: Some(IpAddr::V6(target_addr)),
                }
            }
            _ => Received::Ignored,
        })
    }

    /// Frames an IP packet to `next_hop`, resolving it (ARP or neighbor solicitation) from
    /// `source`, the router's address on the port in the packet's family.
    pub fn resolve(&mut self, packet: &[u8], next_hop: IpAddr, source: IpAddr) -> Resolution {
        match self.table.get(&next_hop) {
            Some(&(mac, heard)) if self.now.saturating_sub(heard) < AGING_MS => {
                return Resolution::Frame(frame(mac, self.mac, ethertype_of(packet), packet));
            }
            // Not heard from for the aging time: asked again, its packets held meanwhile
            // (a host that changed its MAC or left is not sent to for ever).
            Some(_) => {
                self.table.remove(&next_hop);
            }
            None => {}
        }
        if !self.pending.contains_key(&next_hop) {
            while self.pending.len() >= PENDING_NEIGHBORS {
                let Some(oldest) = self.order.pop_front() else {
                    break;
                };
                if let Some(h) = self.pending.remove(&oldest) {
                    self.evicted += h.packets.len() as u64;
                }
            }
            self.order.push_back(next_hop);
        }
        let mac = self.mac;
        let request = || match (next_hop, source) {
            (IpAddr::V6(target), IpAddr::V6(from)) => solicitation(mac, from, target),
            (IpAddr::V6(target), _) => solicitation(mac, Ipv6Addr::UNSPECIFIED, target),
            (IpAddr::V4(target), IpAddr::V4(from)) => {
                arp(ArpOperation::Request, mac, from, [0; 6], target)
            }
            (IpAddr::V4(target), _) => arp(
                ArpOperation::Request,
                mac,
                Ipv4Addr::UNSPECIFIED,
                [0; 6],
                target,
            ),
        };
        let held = self.pending.entry(next_hop).or_default();
        if held.packets.len() >= PENDING_PER_NEIGHBOR {
            held.overflows += 1;
            let again = held.overflows.is_multiple_of(PENDING_PER_NEIGHBOR as u32);
            return Resolution::Overflow(again.then(request));
        }
        held.packets.push(packet.to_vec());
        Resolution::Held((held.packets.len() == 1).then(request))
    }

    /// Held packets dropped because their neighbor gave way to newer ones, since last asked.
    pub fn take_evicted(&mut self) -> u64 {
        std::mem::take(&mut self.evicted)
    }

    /// The frames of packets that waited for `neighbor`, now that it is known.
    pub fn release(&mut self, neighbor: IpAddr) -> Vec<Vec<u8>> {
        let Some((mac, _)) = self.table.get(&neighbor).copied() else {
            return Vec::new();
        };
        self.order.retain(|a| *a != neighbor);
        self.pending
            .remove(&neighbor)
            .unwrap_or_default()
            .packets
            .iter()
            .map(|p| frame(mac, self.mac, ethertype_of(p), p))
            .collect()
    }
}

/// Whether the hardware type is Ethernet (for tests of requests built elsewhere).
pub fn is_ethernet(p: &ArpPacket<&[u8]>) -> bool {
    p.hardware_type() == ArpHardware::Ethernet
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTER: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const HOST: [u8; 6] = [2, 0, 0, 0, 0, 9];

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(ip(s))
    }

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    /// The destination MAC of an Ethernet frame.
    fn dst_mac(frame: &[u8]) -> [u8; 6] {
        EthernetFrame::new_checked(frame).unwrap().dst_addr().0
    }

    /// The neighbor discovery message in a frame, and the IPv6 header's addresses and hop limit.
    fn nd_of(frame: &[u8]) -> (NdiscRepr<'_>, Ipv6Addr, Ipv6Addr, u8) {
        let f = EthernetFrame::new_checked(frame).unwrap();
        assert_eq!(f.ethertype(), EthernetProtocol::Ipv6);
        let ip = Ipv6Packet::new_checked(&frame[14..]).unwrap();
        let icmp = Icmpv6Packet::new_checked(&frame[54..]).unwrap();
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let Ok(Icmpv6Repr::Ndisc(repr)) =
            Icmpv6Repr::parse(&src, &dst, &icmp, &ChecksumCapabilities::default())
        else {
            panic!("not neighbor discovery (or a bad checksum)")
        };
        (repr, src, dst, ip.hop_limit())
    }

    #[test]
    fn answers_arp_for_its_own_address_and_learns_the_asker() {
        let mut n = Neighbors::new(ROUTER);
        let req = arp(
            ArpOperation::Request,
            HOST,
            ip("10.0.0.9"),
            [0; 6],
            ip("10.0.0.1"),
        );
        let Received::Neighbor {
            answer: Some(reply),
            learned,
        } = n.receive(&req, |a| a == v4("10.0.0.1"))
        else {
            panic!()
        };
        assert_eq!(learned, Some(v4("10.0.0.9")));
        let f = EthernetFrame::new_checked(&reply[..]).unwrap();
        assert_eq!(f.dst_addr().0, HOST);
        let p = ArpPacket::new_checked(f.payload()).unwrap();
        assert!(is_ethernet(&p));
        assert_eq!(p.source_hardware_addr(), ROUTER);
        let other = arp(
            ArpOperation::Request,
            HOST,
            ip("10.0.0.9"),
            [0; 6],
            ip("10.0.0.77"),
        );
        assert!(matches!(
            n.receive(&other, |a| a == v4("10.0.0.1")),
            Received::Neighbor { answer: None, .. }
        ));
    }

    #[test]
    fn packets_wait_for_resolution_and_leave_once_the_reply_comes() {
        let mut n = Neighbors::new(ROUTER);
        let Resolution::Held(Some(request)) =
            n.resolve(&[0x45; 20], v4("10.0.0.9"), v4("10.0.0.1"))
        else {
            panic!()
        };
        assert_eq!(dst_mac(&request), [0xff; 6]);
        assert_eq!(
            n.resolve(&[0x45; 20], v4("10.0.0.9"), v4("10.0.0.1")),
            Resolution::Held(None)
        );
        let reply = arp(
            ArpOperation::Reply,
            HOST,
            ip("10.0.0.9"),
            ROUTER,
            ip("10.0.0.1"),
        );
        assert!(matches!(
            n.receive(&reply, |_| false),
            Received::Neighbor {
                learned: Some(_),
                ..
            }
        ));
        let frames = n.release(v4("10.0.0.9"));
        assert_eq!(frames.len(), 2);
        assert_eq!(dst_mac(&frames[0]), HOST);
        assert!(matches!(
            n.resolve(&[0x45; 20], v4("10.0.0.9"), v4("10.0.0.1")),
            Resolution::Frame(_)
        ));
    }

    #[test]
    fn the_pending_queue_is_bounded() {
        let mut n = Neighbors::new(ROUTER);
        for _ in 0..PENDING_PER_NEIGHBOR {
            assert!(matches!(
                n.resolve(&[0x45; 20], v4("10.0.0.5"), v4("10.0.0.1")),
                Resolution::Held(_)
            ));
        }
        assert_eq!(
            n.resolve(&[0x45; 20], v4("10.0.0.5"), v4("10.0.0.1")),
            Resolution::Overflow(None)
        );
        // A lost request is sent again every 16 refused packets.
        let again = (0..PENDING_PER_NEIGHBOR - 1)
            .map(|_| n.resolve(&[0x45; 20], v4("10.0.0.5"), v4("10.0.0.1")))
            .filter(|r| matches!(r, Resolution::Overflow(Some(_))))
            .count();
        assert_eq!(again, 1);
    }

    #[test]
    fn many_silent_neighbors_cannot_grow_the_pending_packets() {
        let mut n = Neighbors::new(ROUTER);
        for i in 0..PENDING_NEIGHBORS as u32 + 10 {
            let hop = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            for _ in 0..2 {
                n.resolve(&[0x45; 20], hop, v4("10.0.0.1"));
            }
        }
        assert_eq!(n.pending.len(), PENDING_NEIGHBORS);
        assert_eq!(n.order.len(), PENDING_NEIGHBORS);
        assert_eq!(n.take_evicted(), 20, "the ten oldest gave way");
        assert_eq!(n.take_evicted(), 0);
        assert!(
            !n.pending
                .contains_key(&IpAddr::V4(Ipv4Addr::from(0x0a00_0000)))
        );
    }

    #[test]
    fn frames_for_other_hosts_are_ignored() {
        let mut n = Neighbors::new(ROUTER);
        let f = frame(
            [2, 9, 9, 9, 9, 9],
            HOST,
            EthernetProtocol::Ipv4,
            &[0x45; 20],
        );
        assert_eq!(n.receive(&f, |_| true), Received::Ignored);
        let f = frame(ROUTER, HOST, EthernetProtocol::Ipv4, &[0x45; 20]);
        assert_eq!(n.receive(&f, |_| true), Received::Ip { offset: 14 });
    }

    #[test]
    fn answers_a_neighbor_solicitation_for_its_own_address_and_learns_the_asker() {
        let mut n = Neighbors::new(ROUTER);
        let own = |a: IpAddr| a == IpAddr::V6(v6("2001:db8::1"));
        let ns = solicitation(HOST, v6("2001:db8::9"), v6("2001:db8::1"));
        let Received::Neighbor {
            answer: Some(na),
            learned,
        } = n.receive(&ns, own)
        else {
            panic!()
        };
        assert_eq!(learned, Some(IpAddr::V6(v6("2001:db8::9"))));
        assert_eq!(dst_mac(&na), HOST);
        let (repr, src, dst, hops) = nd_of(&na);
        assert_eq!(
            (src, dst, hops),
            (v6("2001:db8::1"), v6("2001:db8::9"), 255)
        );
        let NdiscRepr::NeighborAdvert {
            flags,
            target_addr,
            lladdr,
        } = repr
        else {
            panic!("{repr:?}")
        };
        assert_eq!(target_addr, v6("2001:db8::1"));
        assert!(flags.contains(NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::ROUTER));
        assert_eq!(lladdr.unwrap().as_bytes(), ROUTER);
        // Somebody else's address: learned from, not answered.
        let other = solicitation(HOST, v6("2001:db8::9"), v6("2001:db8::77"));
        assert!(matches!(
            n.receive(&other, own),
            Received::Neighbor { answer: None, .. }
        ));
        // Duplicate address detection (from ::) for our address: answered to all nodes.
        let dad = solicitation(HOST, Ipv6Addr::UNSPECIFIED, v6("2001:db8::1"));
        let Received::Neighbor {
            answer: Some(na),
            learned: None,
        } = n.receive(&dad, own)
        else {
            panic!()
        };
        let (repr, _, dst, _) = nd_of(&na);
        assert_eq!(dst, v6("ff02::1"));
        assert!(
            matches!(repr, NdiscRepr::NeighborAdvert { flags, .. } if !flags.contains(NdiscNeighborFlags::SOLICITED))
        );
    }

    #[test]
    fn ipv6_packets_wait_for_a_neighbor_advertisement() {
        let mut n = Neighbors::new(ROUTER);
        let (hop, source) = (v6("2001:db8::9"), IpAddr::V6(v6("2001:db8::1")));
        let Resolution::Held(Some(ns)) = n.resolve(&[0x60; 40], IpAddr::V6(hop), source) else {
            panic!()
        };
        let f = EthernetFrame::new_checked(&ns[..]).unwrap();
        assert_eq!(f.dst_addr().0, [0x33, 0x33, 0xff, 0, 0, 9]);
        let (repr, src, dst, hops) = nd_of(&ns);
        assert_eq!(
            (src, dst, hops),
            (v6("2001:db8::1"), v6("ff02::1:ff00:9"), 255)
        );
        assert!(matches!(
            repr,
            NdiscRepr::NeighborSolicit { target_addr, lladdr: Some(l) }
                if target_addr == hop && l.as_bytes() == ROUTER
        ));
        let advert = NdiscRepr::NeighborAdvert {
            flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
            target_addr: hop,
            lladdr: Some(RawHardwareAddress::from_bytes(&HOST)),
        };
        let na = frame(
            ROUTER,
            HOST,
            EthernetProtocol::Ipv6,
            &ndisc(hop, v6("2001:db8::1"), advert),
        );
        assert_eq!(
            n.receive(&na, |_| false),
            Received::Neighbor {
                answer: None,
                learned: Some(IpAddr::V6(hop))
            }
        );
        let frames = n.release(IpAddr::V6(hop));
        assert_eq!(frames.len(), 1);
        let f = EthernetFrame::new_checked(&frames[0][..]).unwrap();
        assert_eq!(
            (f.dst_addr().0, f.ethertype()),
            (HOST, EthernetProtocol::Ipv6)
        );
    }

    #[test]
    fn neighbor_discovery_from_beyond_the_link_is_dropped_and_other_ipv6_goes_on() {
        let mut n = Neighbors::new(ROUTER);
        let mut ns = solicitation(HOST, v6("2001:db8::9"), v6("2001:db8::1"));
        // The hop limit is outside the ICMPv6 checksum: a forwarded copy still checks out.
        Ipv6Packet::new_unchecked(&mut ns[14..]).set_hop_limit(254);
        assert_eq!(n.receive(&ns, |_| true), Received::Ignored);
        assert!(n.is_empty());
        let echo = crate::build::Spec::ping(
            IpAddr::V6(v6("2001:db8::9")),
            IpAddr::V6(v6("2001:db8::1")),
            7,
            1,
        )
        .build();
        let f = frame(ROUTER, HOST, EthernetProtocol::Ipv6, &echo);
        assert_eq!(n.receive(&f, |_| true), Received::Ip { offset: 14 });
    }

    #[test]
    fn a_neighbor_not_heard_from_for_the_aging_time_is_asked_again() {
        let mut n = Neighbors::new(ROUTER);
        let reply = |mac| {
            arp(
                ArpOperation::Reply,
                mac,
                ip("10.0.0.9"),
                ROUTER,
                ip("10.0.0.1"),
            )
        };
        n.set_now(1_000);
        n.receive(&reply(HOST), |_| false);
        let to = |n: &mut Neighbors| n.resolve(&[0x45; 20], v4("10.0.0.9"), v4("10.0.0.1"));
        n.set_now(1_000 + AGING_MS - 1);
        assert!(matches!(to(&mut n), Resolution::Frame(_)));
        // Aged: the packet waits and a request goes out.
        n.set_now(1_000 + AGING_MS);
        let Resolution::Held(Some(request)) = to(&mut n) else {
            panic!("an aged neighbor is resolved again")
        };
        let p = ArpPacket::new_checked(EthernetFrame::new_checked(&request[..]).unwrap().payload())
            .unwrap()
            .target_protocol_addr()
            .to_vec();
        assert_eq!(p, [10, 0, 0, 9]);
        // The host now answers from a new MAC: the held packet goes there, and so do the next.
        let moved = [0x02, 0, 0, 0, 0, 0x99];
        n.receive(&reply(moved), |_| false);
        let frames = n.release(v4("10.0.0.9"));
        assert_eq!(frames.len(), 1);
        assert_eq!(dst_mac(&frames[0]), moved);
        // Any word from the neighbor (its own request here) restarts the timer.
        n.set_now(1_000 + 2 * AGING_MS - 1);
        let ask = arp(
            ArpOperation::Request,
            moved,
            ip("10.0.0.9"),
            [0; 6],
            ip("10.0.0.1"),
        );
        n.receive(&ask, |_| true);
        n.set_now(1_000 + 3 * AGING_MS - 2);
        let Resolution::Frame(f) = to(&mut n) else {
            panic!("heard from within the aging time")
        };
        assert_eq!(dst_mac(&f), moved);
    }

    #[test]
    fn the_neighbor_table_is_bounded_and_aged_entries_make_room() {
        let mut n = Neighbors::new(ROUTER);
        let from = |i: u32| {
            let a = Ipv4Addr::from(0x0a00_0000 + i);
            arp(ArpOperation::Request, HOST, a, [0; 6], ip("10.0.0.1"))
        };
        for i in 0..MAX_NEIGHBORS as u32 + 10 {
            n.receive(&from(i + 2), |_| false);
        }
        assert_eq!(n.len(), MAX_NEIGHBORS);
        n.set_now(AGING_MS);
        n.receive(&from(1_000_000), |_| false);
        assert_eq!(n.len(), 1);
    }
}
