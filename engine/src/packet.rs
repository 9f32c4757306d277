//! Parsing an IP packet into the small view that filters, routing and flows read, with
//! `smoltcp::wire`. Nothing is copied; a packet that does not parse gets a named reason.

use smoltcp::wire::{Ipv4Packet, Ipv6Packet};

/// Why a packet was refused before it could be looked at. Every variant is a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ParseError {
    /// Shorter than the smallest header of its version.
    Truncated,
    /// Neither IPv4 nor IPv6 in the version field.
    BadVersion,
    /// IPv4 header length below 20 bytes or beyond the packet.
    BadHeaderLength,
    /// Total / payload length beyond the bytes received (or below the header).
    BadLength,
    BadChecksum,
}

impl ParseError {
    pub const ALL: [ParseError; 5] = [
        ParseError::Truncated,
        ParseError::BadVersion,
        ParseError::BadHeaderLength,
        ParseError::BadLength,
        ParseError::BadChecksum,
    ];

    /// The counter name shown by `show interfaces extensive`.
    pub fn name(self) -> &'static str {
        match self {
            ParseError::Truncated => "truncated",
            ParseError::BadVersion => "bad-version",
            ParseError::BadHeaderLength => "bad-header-length",
            ParseError::BadLength => "bad-length",
            ParseError::BadChecksum => "bad-checksum",
        }
    }
}

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

/// Transport fields, present when the packet is a first (or only) fragment carrying them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transport {
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub tcp_flags: Option<u8>,
    /// ICMP or ICMPv6 type and code.
    pub icmp: Option<(u8, u8)>,
    /// The identifier of an ICMP or ICMPv6 echo request or reply.
    pub echo_id: Option<u16>,
}

/// What the data plane reads of a packet. Addresses are numbers (IPv4 in the low 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketView {
    pub family: Family,
    pub src: u128,
    pub dst: u128,
    /// Protocol (IPv4) or the upper-layer next header after extension headers (IPv6).
    pub protocol: u8,
    /// TTL or hop limit.
    pub ttl: u8,
    pub dscp: u8,
    /// The whole ToS / traffic class byte (DSCP and ECN), as flow records carry it.
    pub tos: u8,
    /// Whole IP packet length.
    pub length: u16,
    /// Fragment offset in 8-byte units (IPv4 header field; IPv6 fragment header).
    pub frag_offset: u16,
    /// IPv4 flags: 0x1 more fragments, 0x2 don't fragment, 0x4 reserved.
    pub frag_flags: u8,
    /// Byte offset of the transport header.
    pub l4_offset: usize,
    pub transport: Transport,
}

impl PacketView {
    /// The same packet seen the other way: addresses and ports swapped.
    pub fn reversed(&self) -> PacketView {
        let t = self.transport;
        PacketView {
            src: self.dst,
            dst: self.src,
            transport: Transport {
                src_port: t.dst_port,
                dst_port: t.src_port,
                ..t
            },
            ..*self
        }
    }

    /// A fragment other than the first: no transport header to read.
    pub fn is_later_fragment(&self) -> bool {
        self.frag_offset != 0
    }

    pub fn src_v4(&self) -> std::net::Ipv4Addr {
        std::net::Ipv4Addr::from(self.src as u32)
    }

    pub fn dst_v4(&self) -> std::net::Ipv4Addr {
        std::net::Ipv4Addr::from(self.dst as u32)
    }

    pub fn src_ip(&self) -> std::net::IpAddr {
        match self.family {
            Family::V4 => std::net::IpAddr::V4(self.src_v4()),
            Family::V6 => std::net::IpAddr::V6(self.src.into()),
        }
    }

    pub fn dst_ip(&self) -> std::net::IpAddr {
        match self.family {
            Family::V4 => std::net::IpAddr::V4(self.dst_v4()),
            Family::V6 => std::net::IpAddr::V6(self.dst.into()),
        }
    }
}

/// The IPv4 header checksum verifies: the ones' complement sum of the header is all ones.
/// (smoltcp's general checksum loop is several times slower on a 20-byte header.) The words
/// are summed in the machine's byte order: a ones' complement sum is the same sum byte-swapped
/// (RFC 1071), and all ones reads the same either way round.
#[inline(always)]
fn header_checksum_ok(header: &[u8]) -> bool {
    let word = |w: &[u8]| u64::from(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]));
    let Some((fixed, options)) = header.split_first_chunk::<20>() else {
        return false;
    };
    // The 20 bytes every header has, as straight-line code; options (rare) in a loop.
    let mut sum = word(&fixed[0..]) + word(&fixed[4..]) + word(&fixed[8..]);
    sum += word(&fixed[12..]) + word(&fixed[16..]);
    let mut words = options.chunks_exact(4);
    for w in &mut words {
        sum += word(w);
    }
    // Header lengths are multiples of four: nothing remains.
    debug_assert!(words.remainder().is_empty());
    // At most fifteen 32-bit words: the sum fits in 36 bits; folding the top 32 bits in, then
    // three folds of 16, brings it to 16 bits.
    sum = (sum & 0xffff_ffff) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum == 0xffff
}

#[inline(always)]
fn transport(protocol: u8, l4: &[u8]) -> Transport {
    let port = |i: usize| l4.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match protocol {
        // TCP: flags byte 13 needs the fixed 20-byte header.
        6 if l4.len() >= 20 => Transport {
            src_port: port(0),
            dst_port: port(2),
            tcp_flags: Some(l4[13]),
            ..Transport::default()
        },
        // UDP and SCTP carry ports in their first four bytes.
        17 | 132 if l4.len() >= 8 => Transport {
            src_port: port(0),
            dst_port: port(2),
            ..Transport::default()
        },
        1 | 58 if l4.len() >= 4 => Transport {
            icmp: Some((l4[0], l4[1])),
            echo_id: match (protocol, l4[0]) {
                (1, 0 | 8) | (58, 128 | 129) => port(4),
                _ => None,
            },
            ..Transport::default()
        },
        _ => Transport::default(),
    }
}

#[inline]
fn parse_v4(buf: &[u8]) -> Result<PacketView, ParseError> {
    if buf.len() < 20 {
        return Err(ParseError::Truncated);
    }
    let p = Ipv4Packet::new_unchecked(buf);
    let header = usize::from(p.header_len());
    if header < 20 || header > buf.len() {
        return Err(ParseError::BadHeaderLength);
    }
    let total = usize::from(p.total_len());
    if total < header || total > buf.len() {
        return Err(ParseError::BadLength);
    }
    // The lengths checked above are all of smoltcp's `check_len`: its accessors below cannot
    // panic.
    if !header_checksum_ok(&buf[..header]) {
        return Err(ParseError::BadChecksum);
    }
    let protocol = u8::from(p.next_header());
    let frag_offset = p.frag_offset() >> 3;
    // The three flag bits (reserved, DF, MF) as the 0x4 / 0x2 / 0x1 of `fragment-flags`.
    let frag_flags = buf[6] >> 5;
    let transport = if frag_offset == 0 {
        transport(protocol, &buf[header..total])
    } else {
        Transport::default()
    };
    Ok(PacketView {
        family: Family::V4,
        src: u128::from(u32::from(p.src_addr())),
        dst: u128::from(u32::from(p.dst_addr())),
        protocol,
        ttl: p.hop_limit(),
        dscp: p.dscp(),
        tos: buf[1],
        length: total as u16,
        frag_offset,
        frag_flags,
        l4_offset: header,
        transport,
    })
}

/// IPv6 extension headers skipped to find the upper-layer protocol.
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const DEST_OPTS: u8 = 60;

fn parse_v6(buf: &[u8]) -> Result<PacketView, ParseError> {
    if buf.len() < 40 {
        return Err(ParseError::Truncated);
    }
    let p = Ipv6Packet::new_unchecked(buf);
    let total = 40 + usize::from(p.payload_len());
    if total > buf.len() {
        return Err(ParseError::BadLength);
    }
    if Ipv6Packet::new_checked(buf).is_err() {
        return Err(ParseError::BadLength);
    }
    let mut next = u8::from(p.next_header());
    let mut at = 40;
    let mut frag_offset = 0;
    let mut frag_flags = 0;
    // At most a few extension headers; each must fit in the packet.
    for _ in 0..8 {
        match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS => {
                let Some(h) = buf.get(at..at + 2) else { break };
                next = h[0];
                at += (usize::from(h[1]) + 1) * 8;
            }
            FRAGMENT => {
                let Some(h) = buf.get(at..at + 8) else { break };
                next = h[0];
                let off = u16::from_be_bytes([h[2], h[3]]);
                frag_offset = off >> 3;
                frag_flags = (off & 1) as u8;
                at += 8;
            }
            _ => break,
        }
    }
    if at > total || total > usize::from(u16::MAX) {
        return Err(ParseError::BadLength);
    }
    let tc = (u16::from_be_bytes([buf[0], buf[1]]) >> 4) as u8;
    let transport = if frag_offset == 0 {
        transport(next, &buf[at..total])
    } else {
        Transport::default()
    };
    Ok(PacketView {
        family: Family::V6,
        src: u128::from(p.src_addr()),
        dst: u128::from(p.dst_addr()),
        protocol: next,
        ttl: p.hop_limit(),
        dscp: tc >> 2,
        tos: tc,
        length: total as u16,
        frag_offset,
        frag_flags,
        l4_offset: at,
        transport,
    })
}

/// Parses an IP packet (version from its first nibble).
#[inline]
pub fn parse(buf: &[u8]) -> Result<PacketView, ParseError> {
    match buf.first().map(|b| b >> 4) {
        None => Err(ParseError::Truncated),
        Some(4) => parse_v4(buf),
        Some(6) => parse_v6(buf),
        Some(_) => Err(ParseError::BadVersion),
    }
}

#[cfg(test)]
mod tests;
