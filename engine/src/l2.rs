//! Ethernet ports (`tap:NAME`): frames around IP packets, ARP answers for the router's own
//! addresses, and next-hop resolution with a neighbor cache. Built with `smoltcp::wire`.
//! IPv6 neighbor discovery is not done: IPv6 on an Ethernet port is dropped and counted.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use smoltcp::wire::{
    ArpHardware, ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame,
    EthernetProtocol, EthernetRepr,
};

pub const ETHERNET_HEADER: usize = 14;

/// Packets held per next hop while its address is resolved.
pub const PENDING_PER_NEIGHBOR: usize = 16;
/// Neighbors being resolved at once, per port: past this the oldest attempt gives way (its
/// packets are counted as dropped), so traffic to many silent hosts cannot grow memory.
pub const PENDING_NEIGHBORS: usize = 256;

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

/// What a received frame holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// An IP packet at this offset of the frame.
    Ip { offset: usize },
    /// An ARP message was handled; frames to send in answer (a reply), if any.
    Arp {
        answer: Option<Vec<u8>>,
        learned: Option<Ipv4Addr>,
    },
    /// Not for us (another ethertype, or a unicast frame to another MAC).
    Ignored,
}

/// Resolved neighbors and the packets waiting for resolution, for one Ethernet port.
#[derive(Debug, Default)]
pub struct Neighbors {
    pub mac: [u8; 6],
    table: HashMap<Ipv4Addr, [u8; 6]>,
    pending: HashMap<Ipv4Addr, Held>,
    /// Neighbors in `pending`, oldest attempt first.
    order: std::collections::VecDeque<Ipv4Addr>,
    /// Held packets dropped since last asked (their neighbor gave way to a newer one).
    evicted: u64,
}

/// Packets waiting for one neighbor, and those refused since the queue filled.
#[derive(Debug, Default)]
struct Held {
    packets: Vec<Vec<u8>>,
    overflows: u32,
}

/// What to do with an outgoing IPv4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Send this frame.
    Frame(Vec<u8>),
    /// Held; send this ARP request (only for the first packet held for the neighbor).
    Held(Option<Vec<u8>>),
    /// Held packets for this neighbor are already at their limit: the packet is dropped. Now
    /// and then the ARP request goes again (the first may have been lost).
    Overflow(Option<Vec<u8>>),
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

    /// Whether a neighbor on this port has this MAC (the L2 lookup of mirror destinations).
    pub fn knows_mac(&self, mac: [u8; 6]) -> bool {
        self.table.values().any(|m| *m == mac)
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Handles a received frame; `own` tells whether an IPv4 address is the router's on this
    /// port (ARP requests for it are answered).
    pub fn receive(&mut self, buf: &[u8], own: impl Fn(Ipv4Addr) -> bool) -> Received {
        let Ok(f) = EthernetFrame::new_checked(buf) else {
            return Received::Ignored;
        };
        let dst = f.dst_addr().0;
        if dst != self.mac && dst != [0xff; 6] && dst[0] & 1 == 0 {
            return Received::Ignored;
        }
        match f.ethertype() {
            EthernetProtocol::Ipv4 | EthernetProtocol::Ipv6 => Received::Ip {
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
                    self.table
                        .insert(source_protocol_addr, source_hardware_addr.0);
                    source_protocol_addr
                });
                let answer = (operation == ArpOperation::Request && own(target_protocol_addr))
                    .then(|| {
                        arp(
                            ArpOperation::Reply,
                            self.mac,
                            target_protocol_addr,
                            source_hardware_addr.0,
                            source_protocol_addr,
                        )
                    });
                Received::Arp { answer, learned }
            }
            _ => Received::Ignored,
        }
    }

    /// Frames an IPv4 packet to `next_hop`, sourced (for ARP) from `source`.
    pub fn resolve(&mut self, packet: &[u8], next_hop: Ipv4Addr, source: Ipv4Addr) -> Resolution {
        if let Some(mac) = self.table.get(&next_hop) {
            return Resolution::Frame(frame(*mac, self.mac, EthernetProtocol::Ipv4, packet));
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
        let request = || arp(ArpOperation::Request, self.mac, source, [0; 6], next_hop);
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
    pub fn release(&mut self, neighbor: Ipv4Addr) -> Vec<Vec<u8>> {
        let Some(mac) = self.table.get(&neighbor).copied() else {
            return Vec::new();
        };
        self.order.retain(|a| *a != neighbor);
        self.pending
            .remove(&neighbor)
            .unwrap_or_default()
            .packets
            .iter()
            .map(|p| frame(mac, self.mac, EthernetProtocol::Ipv4, p))
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
        let Received::Arp {
            answer: Some(reply),
            learned,
        } = n.receive(&req, |a| a == ip("10.0.0.1"))
        else {
            panic!()
        };
        assert_eq!(learned, Some(ip("10.0.0.9")));
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
            n.receive(&other, |a| a == ip("10.0.0.1")),
            Received::Arp { answer: None, .. }
        ));
    }

    #[test]
    fn packets_wait_for_resolution_and_leave_once_the_reply_comes() {
        let mut n = Neighbors::new(ROUTER);
        let Resolution::Held(Some(request)) =
            n.resolve(&[0x45; 20], ip("10.0.0.9"), ip("10.0.0.1"))
        else {
            panic!()
        };
        assert_eq!(
            EthernetFrame::new_checked(&request[..])
                .unwrap()
                .dst_addr()
                .0,
            [0xff; 6]
        );
        assert_eq!(
            n.resolve(&[0x45; 20], ip("10.0.0.9"), ip("10.0.0.1")),
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
            Received::Arp {
                learned: Some(_),
                ..
            }
        ));
        let frames = n.release(ip("10.0.0.9"));
        assert_eq!(frames.len(), 2);
        assert_eq!(
            EthernetFrame::new_checked(&frames[0][..])
                .unwrap()
                .dst_addr()
                .0,
            HOST
        );
        assert!(matches!(
            n.resolve(&[0x45; 20], ip("10.0.0.9"), ip("10.0.0.1")),
            Resolution::Frame(_)
        ));
    }

    #[test]
    fn the_pending_queue_is_bounded() {
        let mut n = Neighbors::new(ROUTER);
        for _ in 0..PENDING_PER_NEIGHBOR {
            assert!(matches!(
                n.resolve(&[0x45; 20], ip("10.0.0.5"), ip("10.0.0.1")),
                Resolution::Held(_)
            ));
        }
        assert_eq!(
            n.resolve(&[0x45; 20], ip("10.0.0.5"), ip("10.0.0.1")),
            Resolution::Overflow(None)
        );
        // A lost request is sent again every 16 refused packets.
        let again = (0..PENDING_PER_NEIGHBOR - 1)
            .map(|_| n.resolve(&[0x45; 20], ip("10.0.0.5"), ip("10.0.0.1")))
            .filter(|r| matches!(r, Resolution::Overflow(Some(_))))
            .count();
        assert_eq!(again, 1);
    }

    #[test]
    fn many_silent_neighbors_cannot_grow_the_pending_packets() {
        let mut n = Neighbors::new(ROUTER);
        for i in 0..PENDING_NEIGHBORS as u32 + 10 {
            let hop = Ipv4Addr::from(0x0a00_0000 + i);
            for _ in 0..2 {
                n.resolve(&[0x45; 20], hop, ip("10.0.0.1"));
            }
        }
        assert_eq!(n.pending.len(), PENDING_NEIGHBORS);
        assert_eq!(n.order.len(), PENDING_NEIGHBORS);
        assert_eq!(n.take_evicted(), 20, "the ten oldest gave way");
        assert_eq!(n.take_evicted(), 0);
        assert!(!n.pending.contains_key(&Ipv4Addr::from(0x0a00_0000)));
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
}
