//! What an analyzer receives: the original Ethernet frame, bare (L2 delivery), behind the
//! Juniper header (outer IPv4/UDP, TLVs, as the Contrail vRouter sends it and Wireshark decodes
//! as "Juniper Virtual Network Information"), or in VXLAN to a static VTEP.

use std::net::Ipv4Addr;

use crate::build::udp_datagram;

/// TLV types of the Juniper header.
pub mod tlv {
    pub const CAPTURE_HOST: u8 = 1;
    pub const FLAGS: u8 = 2;
    pub const SOURCE_NETWORK: u8 = 3;
    pub const DESTINATION_NETWORK: u8 = 4;
    pub const END: u8 = 255;
}

/// Flag bits of the flags TLV.
pub mod flag {
    pub const DENY: u32 = 0x8;
    pub const PASS: u32 = 0x20;
    pub const MIRROR: u32 = 0x80;
    pub const INGRESS: u32 = 0x4000_0000;
}

/// The VXLAN UDP port.
pub const VXLAN_PORT: u16 = 4789;

/// An Ethernet frame around an IP packet that came without one (TUN ports): the router's
/// interface address as destination, a locally administered source, the packet's ethertype.
pub fn frame_of(ip: &[u8], to: [u8; 6]) -> Vec<u8> {
    let ethertype: u16 = if ip.first().is_some_and(|b| b >> 4 == 6) {
        0x86dd
    } else {
        0x0800
    };
    let mut f = Vec::with_capacity(14 + ip.len());
    f.extend_from_slice(&to);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(ip);
    f
}

/// A UDP source port from a flow hash, in 49152..65535 as the vRouter picks it (so that
/// load balancers spread mirrored flows like the flows themselves).
pub fn source_port(hash: u64) -> u16 {
    49152 + (hash % 16384) as u16
}

/// What the Juniper header says about a mirrored packet.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    pub capture_host: Ipv4Addr,
    pub flags: u32,
    pub source_network: &'a str,
    pub destination_network: &'a str,
}

fn push_tlv(out: &mut Vec<u8>, t: u8, value: &[u8]) {
    out.push(t);
    out.push(value.len().min(255) as u8);
    out.extend_from_slice(&value[..value.len().min(255)]);
}

/// The UDP payload: TLVs, the end TLV, then the frame.
pub fn juniper_payload(h: &Header<'_>, frame: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(64 + frame.len());
    push_tlv(&mut p, tlv::CAPTURE_HOST, &h.capture_host.octets());
    push_tlv(&mut p, tlv::FLAGS, &h.flags.to_be_bytes());
    push_tlv(&mut p, tlv::SOURCE_NETWORK, h.source_network.as_bytes());
    push_tlv(
        &mut p,
        tlv::DESTINATION_NETWORK,
        h.destination_network.as_bytes(),
    );
    push_tlv(&mut p, tlv::END, &[]);
    p.extend_from_slice(frame);
    p
}

/// Outer IPv4/UDP from the router to an analyzer, carrying `payload`.
pub fn udp_to(from: Ipv4Addr, to: Ipv4Addr, ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    udp_datagram(from.into(), to.into(), ports, 0, payload)
}

/// The VXLAN payload: the 8-byte header (VNI valid flag, the VNI), then the frame.
pub fn vxlan_payload(vni: u32, frame: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + frame.len());
    p.extend_from_slice(&[0x08, 0, 0, 0]);
    p.extend_from_slice(&(vni << 8).to_be_bytes());
    p.extend_from_slice(frame);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_juniper_header_is_tlvs_then_the_frame() {
        let h = Header {
            capture_host: Ipv4Addr::new(10, 0, 2, 1),
            flags: flag::PASS | flag::MIRROR | flag::INGRESS,
            source_network: "ge-0/0/0.0",
            destination_network: "ge-0/0/1.0",
        };
        let frame = frame_of(&[0x45, 0, 0, 20], [2, 0, 0, 0, 0, 9]);
        let p = juniper_payload(&h, &frame);
        assert_eq!(&p[..6], &[1, 4, 10, 0, 2, 1]);
        assert_eq!(&p[6..12], &[2, 4, 0x40, 0, 0, 0xa0]);
        assert_eq!(p[12], 3);
        assert_eq!(usize::from(p[13]), "ge-0/0/0.0".len());
        let end = p.len() - frame.len();
        assert_eq!(&p[end - 2..end], &[255, 0]);
        assert_eq!(&p[end..], &frame[..]);
        assert_eq!(&frame[12..14], &[0x08, 0x00]);
    }

    #[test]
    fn vxlan_carries_the_vni_after_the_flags() {
        let p = vxlan_payload(0x12_3456, &[1, 2, 3]);
        assert_eq!(&p[..8], &[0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
        assert_eq!(source_port(u64::MAX), 49152 + (u64::MAX % 16384) as u16);
    }
}
