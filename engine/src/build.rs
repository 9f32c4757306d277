//! Building IP packets with `smoltcp::wire`: what tests, benchmarks and capture generators send,
//! and the router's own ICMP messages.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smoltcp::wire::{
    Icmpv4Message, Icmpv4Packet, Icmpv6Message, Icmpv6Packet, IpAddress, IpProtocol, Ipv4Packet,
    Ipv6Packet, TcpPacket, UdpPacket,
};

/// The transport part of a packet to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L4 {
    Udp {
        src: u16,
        dst: u16,
    },
    /// Flags as the TCP flags byte (0x02 SYN, 0x10 ACK, 0x01 FIN, 0x04 RST).
    Tcp {
        src: u16,
        dst: u16,
        flags: u8,
    },
    /// ICMP / ICMPv6 echo request.
    EchoRequest {
        ident: u16,
        seq: u16,
    },
    /// Any protocol number with an opaque payload.
    Raw(u8),
}

/// A packet to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub l4: L4,
    /// Bytes after the transport header.
    pub payload: usize,
    pub ttl: u8,
    pub dscp: u8,
    /// IPv4 fragment offset (8-byte units) and more-fragments flag.
    pub fragment: (u16, bool),
}

impl Spec {
    pub fn udp(src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> Spec {
        Spec {
            src,
            dst,
            l4: L4::Udp {
                src: sport,
                dst: dport,
            },
            payload: 0,
            ttl: 64,
            dscp: 0,
            fragment: (0, false),
        }
    }

    pub fn tcp(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, flags: u8) -> Spec {
        Spec {
            l4: L4::Tcp {
                src: sport,
                dst: dport,
                flags,
            },
            ..Spec::udp(src, dst, sport, dport)
        }
    }

    pub fn ping(src: IpAddr, dst: IpAddr, ident: u16, seq: u16) -> Spec {
        Spec {
            l4: L4::EchoRequest { ident, seq },
            ..Spec::udp(src, dst, 0, 0)
        }
    }

    pub fn payload(self, payload: usize) -> Spec {
        Spec { payload, ..self }
    }

    pub fn ttl(self, ttl: u8) -> Spec {
        Spec { ttl, ..self }
    }

    pub fn dscp(self, dscp: u8) -> Spec {
        Spec { dscp, ..self }
    }

    /// An IPv4 fragment: `offset` in 8-byte units; a later fragment's transport bytes are
    /// payload.
    pub fn fragment(self, offset: u16, more: bool) -> Spec {
        Spec {
            fragment: (offset, more),
            ..self
        }
    }

    fn l4_header_len(&self) -> usize {
        match self.l4 {
            L4::Udp { .. } | L4::EchoRequest { .. } => 8,
            L4::Tcp { .. } => 20,
            L4::Raw(_) => 0,
        }
    }

    fn protocol(&self) -> IpProtocol {
        match (self.l4, self.src) {
            (L4::Udp { .. }, _) => IpProtocol::Udp,
            (L4::Tcp { .. }, _) => IpProtocol::Tcp,
            (L4::EchoRequest { .. }, IpAddr::V4(_)) => IpProtocol::Icmp,
            (L4::EchoRequest { .. }, IpAddr::V6(_)) => IpProtocol::Icmpv6,
            (L4::Raw(p), _) => IpProtocol::from(p),
        }
    }

    /// The packet's bytes (IPv4 or IPv6 by the addresses' family).
    pub fn build(&self) -> Vec<u8> {
        let l4_len = self.l4_header_len() + self.payload;
        let header = if self.src.is_ipv4() { 20 } else { 40 };
        let mut buf = vec![0u8; header + l4_len];
        for (i, b) in buf[header + self.l4_header_len()..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let (src, dst) = (to_smol(self.src), to_smol(self.dst));
        match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mut ip = Ipv4Packet::new_unchecked(&mut buf[..]);
                ip.set_version(4);
                ip.set_header_len(20);
                ip.set_dscp(self.dscp);
                ip.set_total_len((header + l4_len) as u16);
                ip.set_hop_limit(self.ttl);
                ip.set_next_header(self.protocol());
                ip.set_src_addr(s);
                ip.set_dst_addr(d);
                ip.set_frag_offset(self.fragment.0 * 8);
                ip.set_more_frags(self.fragment.1);
                ip.fill_checksum();
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let mut ip = Ipv6Packet::new_unchecked(&mut buf[..]);
                ip.set_version(6);
                ip.set_traffic_class(self.dscp << 2);
                ip.set_payload_len(l4_len as u16);
                ip.set_next_header(self.protocol());
                ip.set_hop_limit(self.ttl);
                ip.set_src_addr(s);
                ip.set_dst_addr(d);
            }
            _ => panic!("source and destination of one family"),
        }
        let l4 = &mut buf[header..];
        match self.l4 {
            L4::Udp { src: sp, dst: dp } => {
                let mut u = UdpPacket::new_unchecked(l4);
                u.set_src_port(sp);
                u.set_dst_port(dp);
                u.set_len(l4_len as u16);
                u.fill_checksum(&src, &dst);
            }
            L4::Tcp {
                src: sp,
                dst: dp,
                flags,
            } => {
                let mut t = TcpPacket::new_unchecked(l4);
                t.set_src_port(sp);
                t.set_dst_port(dp);
                t.set_header_len(20);
                t.set_window_len(65535);
                t.set_fin(flags & 0x01 != 0);
                t.set_syn(flags & 0x02 != 0);
                t.set_rst(flags & 0x04 != 0);
                t.set_psh(flags & 0x08 != 0);
                t.set_ack(flags & 0x10 != 0);
                t.set_urg(flags & 0x20 != 0);
                t.fill_checksum(&src, &dst);
            }
            L4::EchoRequest { ident, seq } if self.src.is_ipv4() => {
                let mut i = Icmpv4Packet::new_unchecked(l4);
                i.set_msg_type(Icmpv4Message::EchoRequest);
                i.set_msg_code(0);
                i.set_echo_ident(ident);
                i.set_echo_seq_no(seq);
                i.fill_checksum();
            }
            L4::EchoRequest { ident, seq } => {
                let (IpAddr::V6(s6), IpAddr::V6(d6)) = (self.src, self.dst) else {
                    unreachable!("an IPv6 echo has IPv6 addresses")
                };
                let mut i = Icmpv6Packet::new_unchecked(l4);
                i.set_msg_type(Icmpv6Message::EchoRequest);
                i.set_msg_code(0);
                i.set_echo_ident(ident);
                i.set_echo_seq_no(seq);
                i.fill_checksum(&s6, &d6);
            }
            L4::Raw(_) => {}
        }
        buf
    }
}

/// A UDP datagram carrying `payload`, from the router's own address (in-band exports).
pub fn udp_datagram(
    src: IpAddr,
    dst: IpAddr,
    ports: (u16, u16),
    dscp: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut buf = Spec::udp(src, dst, ports.0, ports.1)
        .payload(payload.len())
        .dscp(dscp)
        .build();
    let header = if src.is_ipv4() { 20 } else { 40 };
    buf[header + 8..].copy_from_slice(payload);
    UdpPacket::new_unchecked(&mut buf[header..]).fill_checksum(&to_smol(src), &to_smol(dst));
    buf
}

fn to_smol(a: IpAddr) -> IpAddress {
    match a {
        IpAddr::V4(v4) => IpAddress::Ipv4(v4),
        IpAddr::V6(v6) => IpAddress::Ipv6(v6),
    }
}

/// `10.0.0.1` as an [`IpAddr`] (tests and examples).
pub fn v4(s: &str) -> IpAddr {
    IpAddr::V4(s.parse::<Ipv4Addr>().expect("an IPv4 address"))
}

/// `2001:db8::1` as an [`IpAddr`].
pub fn v6(s: &str) -> IpAddr {
    IpAddr::V6(s.parse::<Ipv6Addr>().expect("an IPv6 address"))
}
