use super::*;
use crate::build::{Spec, v4, v6};

#[test]
fn udp_over_ipv4_parses_every_field() {
    let pkt = Spec::udp(v4("10.0.0.1"), v4("192.0.2.9"), 1234, 53)
        .payload(10)
        .dscp(46)
        .ttl(17)
        .build();
    let v = parse(&pkt).unwrap();
    assert_eq!(v.family, Family::V4);
    assert_eq!(v.src_v4().to_string(), "10.0.0.1");
    assert_eq!(v.dst_v4().to_string(), "192.0.2.9");
    assert_eq!((v.protocol, v.ttl, v.dscp, v.length), (17, 17, 46, 38));
    assert_eq!(
        (v.transport.src_port, v.transport.dst_port),
        (Some(1234), Some(53))
    );
    assert_eq!(v.frag_offset, 0);
}

#[test]
fn tcp_flags_byte_is_read() {
    let pkt = Spec::tcp(v4("10.0.0.1"), v4("10.0.0.2"), 40000, 22, 0x12).build();
    assert_eq!(parse(&pkt).unwrap().transport.tcp_flags, Some(0x12));
}

#[test]
fn icmp_type_and_code_are_read() {
    let pkt = Spec::ping(v4("10.0.0.1"), v4("10.0.0.2"), 1, 1).build();
    assert_eq!(parse(&pkt).unwrap().transport.icmp, Some((8, 0)));
}

#[test]
fn ipv6_udp_parses() {
    let pkt = Spec::udp(v6("2001:db8::1"), v6("2001:db8::2"), 5, 6)
        .dscp(10)
        .build();
    let v = parse(&pkt).unwrap();
    assert_eq!(v.family, Family::V6);
    assert_eq!(
        (v.protocol, v.dscp, v.transport.dst_port),
        (17, 10, Some(6))
    );
    assert_eq!(v.dst_ip().to_string(), "2001:db8::2");
}

#[test]
fn later_fragments_have_no_transport_fields() {
    let mut pkt = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2)
        .payload(16)
        .build();
    pkt[6] = 0x20; // MF
    pkt[7] = 0x02; // offset 2 * 8 bytes
    let mut ip = Ipv4Packet::new_unchecked(&mut pkt[..]);
    ip.fill_checksum();
    let v = parse(&pkt).unwrap();
    assert_eq!((v.frag_offset, v.frag_flags), (2, 0x1));
    assert!(v.is_later_fragment());
    assert_eq!(v.transport, Transport::default());
}

#[test]
fn ipv4_options_are_skipped() {
    let base = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 7, 9).build();
    let mut pkt = Vec::new();
    pkt.extend_from_slice(&base[..20]);
    pkt.extend_from_slice(&[1, 1, 1, 0]); // NOP NOP NOP EOL
    pkt.extend_from_slice(&base[20..]);
    pkt[0] = 0x46;
    let total = pkt.len() as u16;
    pkt[2..4].copy_from_slice(&total.to_be_bytes());
    Ipv4Packet::new_unchecked(&mut pkt[..]).fill_checksum();
    let v = parse(&pkt).unwrap();
    assert_eq!((v.l4_offset, v.transport.dst_port), (24, Some(9)));
}

#[test]
fn garbage_gets_a_named_reason() {
    let good = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2).build();
    assert_eq!(parse(&[]), Err(ParseError::Truncated));
    assert_eq!(parse(&good[..10]), Err(ParseError::Truncated));
    assert_eq!(parse(&[0x55; 40]), Err(ParseError::BadVersion));
    let mut bad_ihl = good.clone();
    bad_ihl[0] = 0x44;
    assert_eq!(parse(&bad_ihl), Err(ParseError::BadHeaderLength));
    let mut long = good.clone();
    long[2..4].copy_from_slice(&9000u16.to_be_bytes());
    assert_eq!(parse(&long), Err(ParseError::BadLength));
    let mut sum = good.clone();
    sum[10] ^= 0xff;
    assert_eq!(parse(&sum), Err(ParseError::BadChecksum));
}

#[test]
fn truncated_transport_headers_leave_ports_unknown() {
    let mut pkt = Spec::tcp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2, 2).build();
    pkt.truncate(30);
    pkt[2..4].copy_from_slice(&30u16.to_be_bytes());
    Ipv4Packet::new_unchecked(&mut pkt[..]).fill_checksum();
    let v = parse(&pkt).unwrap();
    assert_eq!(v.transport, Transport::default());
}

proptest::proptest! {
    #[test]
    fn the_header_checksum_agrees_with_smoltcp(mut bytes in proptest::collection::vec(proptest::num::u8::ANY, 60), words in 5usize..=15, fix in proptest::bool::ANY) {
        let len = words * 4;
        bytes[0] = 0x40 | words as u8;
        let mut p = smoltcp::wire::Ipv4Packet::new_unchecked(&mut bytes[..len]);
        if fix {
            p.fill_checksum();
        }
        let p = smoltcp::wire::Ipv4Packet::new_unchecked(&bytes[..len]);
        proptest::prop_assert_eq!(super::header_checksum_ok(&bytes[..len]), p.verify_checksum());
    }
}
