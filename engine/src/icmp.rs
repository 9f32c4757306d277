//! The router's own messages, built with `smoltcp::wire`: echo replies, ICMP / ICMPv6 errors
//! (time exceeded, unreachable, administratively prohibited), TCP resets for `reject tcp-reset`;
//! and the TTL decrement of forwarded packets.

use std::net::IpAddr;

use smoltcp::wire::{
    Icmpv4Message, Icmpv4Packet, Icmpv6Message, Icmpv6Packet, IpAddress, IpProtocol, Ipv4Packet,
    Ipv6Packet, TcpPacket,
};

use crate::packet::{Family, PacketView};

/// The ICMP errors the router sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    TimeExceeded,
    NetUnreachable,
    HostUnreachable,
    ProtocolUnreachable,
    PortUnreachable,
    AdminProhibited,
}

/// TTL of the router's own packets.
const TTL: u8 = 64;

/// Decrements TTL / hop limit in place, updating the IPv4 checksum incrementally
/// (RFC 1141: the TTL is the high byte of its 16-bit word, so the sum grows by 0x0100).
#[inline(always)]
pub fn decrement_ttl(buf: &mut [u8], family: Family) {
    match family {
        Family::V4 => {
            buf[8] -= 1;
            let sum = u32::from(u16::from_be_bytes([buf[10], buf[11]])) + 0x0100;
            let sum = (sum & 0xffff) + (sum >> 16);
            buf[10..12].copy_from_slice(&(sum as u16).to_be_bytes());
        }
        Family::V6 => buf[7] -= 1,
    }
}

fn ip4(a: u128) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::from(a as u32)
}

fn ip6(a: u128) -> std::net::Ipv6Addr {
    std::net::Ipv6Addr::from(a)
}

fn ipv4_header(
    buf: &mut [u8],
    src: std::net::Ipv4Addr,
    dst: std::net::Ipv4Addr,
    proto: IpProtocol,
    total: usize,
) {
    let mut ip = Ipv4Packet::new_unchecked(buf);
    ip.set_version(4);
    ip.set_header_len(20);
    ip.set_dscp(0);
    ip.set_ecn(0);
    ip.set_total_len(total as u16);
    ip.set_ident(0);
    ip.clear_flags();
    ip.set_frag_offset(0);
    ip.set_hop_limit(TTL);
    ip.set_next_header(proto);
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
    ip.fill_checksum();
}

fn ipv6_header(
    buf: &mut [u8],
    src: std::net::Ipv6Addr,
    dst: std::net::Ipv6Addr,
    proto: IpProtocol,
    payload: usize,
) {
    let mut ip = Ipv6Packet::new_unchecked(buf);
    ip.set_version(6);
    ip.set_traffic_class(0);
    ip.set_flow_label(0);
    ip.set_payload_len(payload as u16);
    ip.set_next_header(proto);
    ip.set_hop_limit(TTL);
    ip.set_src_addr(src);
    ip.set_dst_addr(dst);
}

/// The reply to an echo request addressed to the router; `None` for anything else.
pub fn echo_reply(view: &PacketView, buf: &[u8]) -> Option<Vec<u8>> {
    let body = buf.get(view.l4_offset..usize::from(view.length))?;
    match (view.family, view.transport.icmp) {
        (Family::V4, Some((8, 0))) => {
            let mut out = vec![0u8; 20 + body.len()];
            out[20..].copy_from_slice(body);
            ipv4_header(
                &mut out,
                ip4(view.dst),
                ip4(view.src),
                IpProtocol::Icmp,
                20 + body.len(),
            );
            let mut icmp = Icmpv4Packet::new_unchecked(&mut out[20..]);
            icmp.set_msg_type(Icmpv4Message::EchoReply);
            icmp.fill_checksum();
            Some(out)
        }
        (Family::V6, Some((128, 0))) => {
            let mut out = vec![0u8; 40 + body.len()];
            out[40..].copy_from_slice(body);
            ipv6_header(
                &mut out,
                ip6(view.dst),
                ip6(view.src),
                IpProtocol::Icmpv6,
                body.len(),
            );
            let mut icmp = Icmpv6Packet::new_unchecked(&mut out[40..]);
            icmp.set_msg_type(Icmpv6Message::EchoReply);
            icmp.fill_checksum(&ip6(view.dst), &ip6(view.src));
            Some(out)
        }
        _ => None,
    }
}

/// Identifier and sequence of an echo reply (ICMP type 0 / ICMPv6 type 129).
pub fn echo_reply_fields(view: &PacketView, buf: &[u8]) -> Option<(u16, u16)> {
    let reply = matches!(
        (view.family, view.transport.icmp),
        (Family::V4, Some((0, 0))) | (Family::V6, Some((129, 0)))
    );
    let h = buf.get(view.l4_offset + 4..view.l4_offset + 8)?;
    reply.then(|| {
        (
            u16::from_be_bytes([h[0], h[1]]),
            u16::from_be_bytes([h[2], h[3]]),
        )
    })
}

/// Whether the packet is itself an ICMP error (never answered with another error, RFC 1122).
fn is_icmp_error(view: &PacketView) -> bool {
    match (view.family, view.transport.icmp) {
        (Family::V4, Some((t, _))) => !matches!(t, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18),
        (Family::V6, Some((t, _))) => t < 128,
        _ => false,
    }
}

/// An ICMP error about `buf` from the router's address `src`, to the packet's source.
/// None for packets that must not get one: ICMP errors, later fragments, multicast sources.
pub fn error(src: IpAddr, view: &PacketView, buf: &[u8], err: Error) -> Option<Vec<u8>> {
    if is_icmp_error(view) || view.is_later_fragment() {
        return None;
    }
    match (view.family, src) {
        (Family::V4, IpAddr::V4(src)) => {
            let from = ip4(view.src);
            if from.is_multicast() || from.is_broadcast() || from.is_unspecified() {
                return None;
            }
            // RFC 792: the original IP header and the first 8 bytes of its data.
            let quoted = &buf[..(view.l4_offset + 8).min(usize::from(view.length))];
            let (ty, code) = match err {
                Error::TimeExceeded => (Icmpv4Message::TimeExceeded, 0),
                Error::NetUnreachable => (Icmpv4Message::DstUnreachable, 0),
                Error::HostUnreachable => (Icmpv4Message::DstUnreachable, 1),
                Error::ProtocolUnreachable => (Icmpv4Message::DstUnreachable, 2),
                Error::PortUnreachable => (Icmpv4Message::DstUnreachable, 3),
                Error::AdminProhibited => (Icmpv4Message::DstUnreachable, 13),
            };
            let total = 20 + 8 + quoted.len();
            let mut out = vec![0u8; total];
            out[28..].copy_from_slice(quoted);
            ipv4_header(&mut out, src, from, IpProtocol::Icmp, total);
            let mut icmp = Icmpv4Packet::new_unchecked(&mut out[20..]);
            icmp.set_msg_type(ty);
            icmp.set_msg_code(code);
            icmp.fill_checksum();
            Some(out)
        }
        (Family::V6, IpAddr::V6(src)) => {
            let from = ip6(view.src);
            if from.is_multicast() || from.is_unspecified() {
                return None;
            }
            // RFC 4443: as much of the packet as fits in the minimum MTU of 1280.
            let quoted = &buf[..usize::from(view.length).min(1280 - 48)];
            let (ty, code) = match err {
                Error::TimeExceeded => (Icmpv6Message::TimeExceeded, 0),
                Error::NetUnreachable => (Icmpv6Message::DstUnreachable, 0),
                Error::AdminProhibited => (Icmpv6Message::DstUnreachable, 1),
                Error::HostUnreachable => (Icmpv6Message::DstUnreachable, 3),
                Error::PortUnreachable | Error::ProtocolUnreachable => {
                    (Icmpv6Message::DstUnreachable, 4)
                }
            };
            let mut out = vec![0u8; 48 + quoted.len()];
            out[48..].copy_from_slice(quoted);
            ipv6_header(&mut out, src, from, IpProtocol::Icmpv6, 8 + quoted.len());
            let mut icmp = Icmpv6Packet::new_unchecked(&mut out[40..]);
            icmp.set_msg_type(ty);
            icmp.set_msg_code(code);
            icmp.fill_checksum(&src, &from);
            Some(out)
        }
        _ => None,
    }
}

/// A TCP reset answering a TCP segment, as its destination would send it (`reject tcp-reset`).
pub fn tcp_reset(view: &PacketView, buf: &[u8]) -> Option<Vec<u8>> {
    let seg = TcpPacket::new_checked(buf.get(view.l4_offset..usize::from(view.length))?).ok()?;
    if seg.rst() {
        return None;
    }
    let payload = seg.payload().len() as u32 + u32::from(seg.syn()) + u32::from(seg.fin());
    let header = if view.family == Family::V4 { 20 } else { 40 };
    let mut out = vec![0u8; header + 20];
    let (src, dst) = match view.family {
        Family::V4 => {
            ipv4_header(
                &mut out,
                ip4(view.dst),
                ip4(view.src),
                IpProtocol::Tcp,
                header + 20,
            );
            (
                IpAddress::Ipv4(ip4(view.dst)),
                IpAddress::Ipv4(ip4(view.src)),
            )
        }
        Family::V6 => {
            ipv6_header(&mut out, ip6(view.dst), ip6(view.src), IpProtocol::Tcp, 20);
            (
                IpAddress::Ipv6(ip6(view.dst)),
                IpAddress::Ipv6(ip6(view.src)),
            )
        }
    };
    let mut rst = TcpPacket::new_unchecked(&mut out[header..]);
    rst.set_src_port(seg.dst_port());
    rst.set_dst_port(seg.src_port());
    rst.set_header_len(20);
    rst.set_rst(true);
    if seg.ack() {
        rst.set_seq_number(seg.ack_number());
    } else {
        rst.set_ack(true);
        rst.set_ack_number(seg.seq_number() + payload as usize);
    }
    rst.fill_checksum(&src, &dst);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{Spec, v4, v6};
    use crate::packet::parse;

    #[test]
    fn ttl_decrement_keeps_the_checksum_valid() {
        for ttl in [2u8, 64, 255] {
            let mut p = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2)
                .ttl(ttl)
                .build();
            decrement_ttl(&mut p, Family::V4);
            let v = parse(&p).expect("checksum still valid");
            assert_eq!(v.ttl, ttl - 1);
        }
    }

    #[test]
    fn echo_reply_swaps_addresses_and_keeps_the_body() {
        let req = Spec::ping(v4("10.0.0.2"), v4("10.0.0.1"), 7, 9)
            .payload(12)
            .build();
        let reply = echo_reply(&parse(&req).unwrap(), &req).unwrap();
        let v = parse(&reply).unwrap();
        assert_eq!(
            (v.src_v4().to_string(), v.dst_v4().to_string()),
            ("10.0.0.1".into(), "10.0.0.2".into())
        );
        assert_eq!(v.transport.icmp, Some((0, 0)));
        assert_eq!(
            reply[24..],
            req[24..],
            "identifier, sequence and data echoed"
        );
        assert!(
            Icmpv4Packet::new_checked(&reply[20..])
                .unwrap()
                .verify_checksum()
        );
    }

    #[test]
    fn ipv6_echo_reply_has_a_valid_checksum() {
        let req = Spec::ping(v6("2001:db8::2"), v6("2001:db8::1"), 1, 1).build();
        let reply = echo_reply(&parse(&req).unwrap(), &req).unwrap();
        let icmp = Icmpv6Packet::new_checked(&reply[40..]).unwrap();
        assert!(icmp.verify_checksum(&v6s("2001:db8::1"), &v6s("2001:db8::2")));
        assert_eq!(parse(&reply).unwrap().transport.icmp, Some((129, 0)));
    }

    fn v6s(s: &str) -> std::net::Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn time_exceeded_quotes_the_header_and_eight_bytes() {
        let p = Spec::udp(v4("10.0.0.2"), v4("198.51.100.9"), 5000, 33434)
            .payload(20)
            .ttl(1)
            .build();
        let err = error(v4("10.0.0.1"), &parse(&p).unwrap(), &p, Error::TimeExceeded).unwrap();
        let v = parse(&err).unwrap();
        assert_eq!(v.transport.icmp, Some((11, 0)));
        assert_eq!(v.dst_v4().to_string(), "10.0.0.2");
        assert_eq!(&err[28..], &p[..28]);
    }

    #[test]
    fn no_error_about_an_error_or_a_later_fragment() {
        let p = Spec::udp(v4("10.0.0.2"), v4("10.9.9.9"), 1, 2).build();
        let e1 = error(
            v4("10.0.0.1"),
            &parse(&p).unwrap(),
            &p,
            Error::NetUnreachable,
        )
        .unwrap();
        assert!(
            error(
                v4("10.0.0.1"),
                &parse(&e1).unwrap(),
                &e1,
                Error::NetUnreachable
            )
            .is_none()
        );
        let mut frag = p.clone();
        frag[7] = 1;
        Ipv4Packet::new_unchecked(&mut frag[..]).fill_checksum();
        assert!(
            error(
                v4("10.0.0.1"),
                &parse(&frag).unwrap(),
                &frag,
                Error::NetUnreachable
            )
            .is_none()
        );
    }

    #[test]
    fn tcp_reset_answers_a_syn() {
        let syn = Spec::tcp(v4("10.0.0.2"), v4("10.0.1.2"), 40000, 22, 0x02).build();
        let rst = tcp_reset(&parse(&syn).unwrap(), &syn).unwrap();
        let v = parse(&rst).unwrap();
        assert_eq!(
            (v.transport.src_port, v.transport.dst_port),
            (Some(22), Some(40000))
        );
        assert_eq!(v.transport.tcp_flags, Some(0x14));
        let t = TcpPacket::new_checked(&rst[20..]).unwrap();
        assert!(t.verify_checksum(
            &IpAddress::Ipv4("10.0.1.2".parse().unwrap()),
            &IpAddress::Ipv4("10.0.0.2".parse().unwrap())
        ));
    }
}
