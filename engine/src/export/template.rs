//! Template layouts of NetFlow v9 and IPFIX: which information elements a record carries, at
//! which lengths, for each `services flow-monitoring` template kind, and how a record's fields
//! are written.

use flowsh_grammar::model::TemplateKind;

use super::record::ExportRecord;

/// Information elements (IANA IPFIX numbers; v9 field types share them below 128).
pub mod ie {
    pub const OCTET_DELTA_COUNT: u16 = 1;
    pub const PACKET_DELTA_COUNT: u16 = 2;
    pub const PROTOCOL_IDENTIFIER: u16 = 4;
    pub const IP_CLASS_OF_SERVICE: u16 = 5;
    pub const TCP_CONTROL_BITS: u16 = 6;
    pub const SOURCE_TRANSPORT_PORT: u16 = 7;
    pub const SOURCE_IPV4_ADDRESS: u16 = 8;
    pub const SOURCE_IPV4_PREFIX_LENGTH: u16 = 9;
    pub const INGRESS_INTERFACE: u16 = 10;
    pub const DESTINATION_TRANSPORT_PORT: u16 = 11;
    pub const DESTINATION_IPV4_ADDRESS: u16 = 12;
    pub const DESTINATION_IPV4_PREFIX_LENGTH: u16 = 13;
    pub const EGRESS_INTERFACE: u16 = 14;
    pub const IP_NEXT_HOP_IPV4_ADDRESS: u16 = 15;
    pub const BGP_SOURCE_AS_NUMBER: u16 = 16;
    pub const BGP_DESTINATION_AS_NUMBER: u16 = 17;
    /// v9 LAST_SWITCHED: sysUptime of the last packet (ms).
    pub const FLOW_END_SYS_UP_TIME: u16 = 21;
    /// v9 FIRST_SWITCHED.
    pub const FLOW_START_SYS_UP_TIME: u16 = 22;
    pub const SOURCE_IPV6_ADDRESS: u16 = 27;
    pub const DESTINATION_IPV6_ADDRESS: u16 = 28;
    pub const SOURCE_IPV6_PREFIX_LENGTH: u16 = 29;
    pub const DESTINATION_IPV6_PREFIX_LENGTH: u16 = 30;
    pub const ICMP_TYPE_CODE_IPV4: u16 = 32;
    pub const SAMPLING_INTERVAL: u16 = 34;
    pub const SAMPLING_ALGORITHM: u16 = 35;
    pub const FLOW_ACTIVE_TIMEOUT: u16 = 36;
    pub const FLOW_IDLE_TIMEOUT: u16 = 37;
    pub const SOURCE_MAC_ADDRESS: u16 = 56;
    pub const VLAN_ID: u16 = 58;
    pub const FLOW_DIRECTION: u16 = 61;
    pub const IP_NEXT_HOP_IPV6_ADDRESS: u16 = 62;
    /// mplsTopLabelStackSection; positions 2..8 follow (71..77).
    pub const MPLS_LABEL_1: u16 = 70;
    pub const DESTINATION_MAC_ADDRESS: u16 = 80;
    pub const FLOW_END_REASON: u16 = 136;
    pub const ICMP_TYPE_CODE_IPV6: u16 = 139;
    pub const OBSERVATION_DOMAIN_ID: u16 = 149;
    pub const FLOW_START_MILLISECONDS: u16 = 152;
    pub const FLOW_END_MILLISECONDS: u16 = 153;
    pub const SAMPLING_PACKET_INTERVAL: u16 = 305;
    pub const SAMPLING_PACKET_SPACE: u16 = 306;
    /// v9 options scope "System".
    pub const SCOPE_SYSTEM: u16 = 1;
}

/// NetFlow v9 or IPFIX: set ids, header, times and sequence numbers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    V9,
    Ipfix,
}

/// A field of a template: an information element and its length on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub ie: u16,
    pub len: u16,
}

const fn f(ie: u16, len: u16) -> Field {
    Field { ie, len }
}

fn times(d: Dialect) -> [Field; 2] {
    match d {
        Dialect::V9 => [
            f(ie::FLOW_START_SYS_UP_TIME, 4),
            f(ie::FLOW_END_SYS_UP_TIME, 4),
        ],
        Dialect::Ipfix => [
            f(ie::FLOW_START_MILLISECONDS, 8),
            f(ie::FLOW_END_MILLISECONDS, 8),
        ],
    }
}

/// TCP flags: one byte in v9, RFC 7125's two in IPFIX.
fn tcp_flags(d: Dialect) -> Field {
    f(ie::TCP_CONTROL_BITS, if d == Dialect::V9 { 1 } else { 2 })
}

fn ipv4(d: Dialect) -> Vec<Field> {
    vec![
        f(ie::SOURCE_IPV4_ADDRESS, 4),
        f(ie::DESTINATION_IPV4_ADDRESS, 4),
        f(ie::IP_CLASS_OF_SERVICE, 1),
        f(ie::PROTOCOL_IDENTIFIER, 1),
        f(ie::SOURCE_TRANSPORT_PORT, 2),
        f(ie::DESTINATION_TRANSPORT_PORT, 2),
        f(ie::ICMP_TYPE_CODE_IPV4, 2),
        f(ie::INGRESS_INTERFACE, 4),
        f(ie::EGRESS_INTERFACE, 4),
        f(ie::SOURCE_IPV4_PREFIX_LENGTH, 1),
        f(ie::DESTINATION_IPV4_PREFIX_LENGTH, 1),
        f(ie::IP_NEXT_HOP_IPV4_ADDRESS, 4),
        f(ie::BGP_SOURCE_AS_NUMBER, 4),
        f(ie::BGP_DESTINATION_AS_NUMBER, 4),
        tcp_flags(d),
        f(ie::FLOW_DIRECTION, 1),
    ]
}

fn ipv6(d: Dialect) -> Vec<Field> {
    vec![
        f(ie::SOURCE_IPV6_ADDRESS, 16),
        f(ie::DESTINATION_IPV6_ADDRESS, 16),
        f(ie::IP_CLASS_OF_SERVICE, 1),
        f(ie::PROTOCOL_IDENTIFIER, 1),
        f(ie::SOURCE_TRANSPORT_PORT, 2),
        f(ie::DESTINATION_TRANSPORT_PORT, 2),
        f(ie::ICMP_TYPE_CODE_IPV6, 2),
        f(ie::INGRESS_INTERFACE, 4),
        f(ie::EGRESS_INTERFACE, 4),
        f(ie::SOURCE_IPV6_PREFIX_LENGTH, 1),
        f(ie::DESTINATION_IPV6_PREFIX_LENGTH, 1),
        f(ie::IP_NEXT_HOP_IPV6_ADDRESS, 16),
        f(ie::BGP_SOURCE_AS_NUMBER, 4),
        f(ie::BGP_DESTINATION_AS_NUMBER, 4),
        tcp_flags(d),
        f(ie::FLOW_DIRECTION, 1),
    ]
}

fn labels(positions: &[u8]) -> Vec<Field> {
    let positions: &[u8] = if positions.is_empty() {
        &[1, 2, 3]
    } else {
        positions
    };
    positions
        .iter()
        .map(|&p| f(ie::MPLS_LABEL_1 + u16::from(p.clamp(1, 8)) - 1, 3))
        .collect()
}

/// The data fields of a template kind, counters, times and the end reason last.
pub fn data_fields(kind: &TemplateKind, d: Dialect) -> Vec<Field> {
    let mut v = match kind {
        TemplateKind::Ipv4 => ipv4(d),
        TemplateKind::Ipv6 => ipv6(d),
        TemplateKind::Mpls { label_positions } => {
            let mut v = labels(label_positions);
            v.extend([f(ie::INGRESS_INTERFACE, 4), f(ie::EGRESS_INTERFACE, 4)]);
            v
        }
        TemplateKind::MplsIpv4 { label_positions } => {
            let mut v = labels(label_positions);
            v.extend(ipv4(d));
            v
        }
        TemplateKind::Bridge => vec![
            f(ie::SOURCE_MAC_ADDRESS, 6),
            f(ie::DESTINATION_MAC_ADDRESS, 6),
            f(ie::VLAN_ID, 2),
            f(ie::INGRESS_INTERFACE, 4),
            f(ie::EGRESS_INTERFACE, 4),
        ],
    };
    v.extend([f(ie::OCTET_DELTA_COUNT, 8), f(ie::PACKET_DELTA_COUNT, 8)]);
    v.extend(times(d));
    v.push(f(ie::FLOW_END_REASON, 1));
    v
}

/// The options template: scope, then the sampling and timeout fields.
pub fn option_fields(d: Dialect) -> (Vec<Field>, Vec<Field>) {
    match d {
        Dialect::V9 => (
            vec![f(ie::SCOPE_SYSTEM, 4)],
            vec![
                f(ie::SAMPLING_INTERVAL, 4),
                f(ie::SAMPLING_ALGORITHM, 1),
                f(ie::FLOW_ACTIVE_TIMEOUT, 2),
                f(ie::FLOW_IDLE_TIMEOUT, 2),
            ],
        ),
        Dialect::Ipfix => (
            vec![f(ie::OBSERVATION_DOMAIN_ID, 4)],
            vec![
                f(ie::SAMPLING_INTERVAL, 4),
                f(ie::SAMPLING_ALGORITHM, 1),
                f(ie::SAMPLING_PACKET_INTERVAL, 4),
                f(ie::SAMPLING_PACKET_SPACE, 4),
                f(ie::FLOW_ACTIVE_TIMEOUT, 2),
                f(ie::FLOW_IDLE_TIMEOUT, 2),
            ],
        ),
    }
}

/// The values the options record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionValues {
    pub domain: u32,
    /// 1 in `rate` packets.
    pub rate: u32,
    pub active_s: u16,
    pub idle_s: u16,
}

/// The low `len` bytes of `v`, most significant first. The usual lengths are fixed-size
/// writes: a copy of a run-time length was a call to memmove for every field of every record.
#[inline]
fn put(out: &mut Vec<u8>, v: u128, len: u16) {
    match len {
        1 => out.push(v as u8),
        2 => out.extend_from_slice(&(v as u16).to_be_bytes()),
        4 => out.extend_from_slice(&(v as u32).to_be_bytes()),
        8 => out.extend_from_slice(&(v as u64).to_be_bytes()),
        _ => out.extend_from_slice(&v.to_be_bytes()[16 - usize::from(len)..]),
    }
}

/// A record's values, each as a big-endian 16-byte slot (zero-extended): a template's fields
/// are copies out of them (see [`Gather`]), with no branch per field.
#[derive(Clone, Copy)]
enum Slot {
    /// A value no record carries (MPLS labels, MAC addresses, VLAN: flowsh meters IP packets
    /// without them): zeros.
    Zero,
    Src,
    Dst,
    NextHop,
    Tos,
    Protocol,
    SrcPort,
    DstPort,
    IcmpTypeCode,
    Input,
    Output,
    SrcMask,
    DstMask,
    SrcAs,
    DstAs,
    TcpFlags,
    Direction,
    Bytes,
    Packets,
    FirstUptime,
    LastUptime,
    FirstUnixMs,
    LastUnixMs,
    EndReason,
}

const SLOTS: usize = Slot::EndReason as usize + 1;

/// The slot an information element reads.
fn slot(ie: u16) -> Slot {
    match ie {
        ie::SOURCE_IPV4_ADDRESS | ie::SOURCE_IPV6_ADDRESS => Slot::Src,
        ie::DESTINATION_IPV4_ADDRESS | ie::DESTINATION_IPV6_ADDRESS => Slot::Dst,
        ie::IP_NEXT_HOP_IPV4_ADDRESS | ie::IP_NEXT_HOP_IPV6_ADDRESS => Slot::NextHop,
        ie::IP_CLASS_OF_SERVICE => Slot::Tos,
        ie::PROTOCOL_IDENTIFIER => Slot::Protocol,
        ie::SOURCE_TRANSPORT_PORT => Slot::SrcPort,
        ie::DESTINATION_TRANSPORT_PORT => Slot::DstPort,
        ie::ICMP_TYPE_CODE_IPV4 | ie::ICMP_TYPE_CODE_IPV6 => Slot::IcmpTypeCode,
        ie::INGRESS_INTERFACE => Slot::Input,
        ie::EGRESS_INTERFACE => Slot::Output,
        ie::SOURCE_IPV4_PREFIX_LENGTH | ie::SOURCE_IPV6_PREFIX_LENGTH => Slot::SrcMask,
        ie::DESTINATION_IPV4_PREFIX_LENGTH | ie::DESTINATION_IPV6_PREFIX_LENGTH => Slot::DstMask,
        ie::BGP_SOURCE_AS_NUMBER => Slot::SrcAs,
        ie::BGP_DESTINATION_AS_NUMBER => Slot::DstAs,
        ie::TCP_CONTROL_BITS => Slot::TcpFlags,
        ie::FLOW_DIRECTION => Slot::Direction,
        ie::OCTET_DELTA_COUNT => Slot::Bytes,
        ie::PACKET_DELTA_COUNT => Slot::Packets,
        ie::FLOW_START_SYS_UP_TIME => Slot::FirstUptime,
        ie::FLOW_END_SYS_UP_TIME => Slot::LastUptime,
        ie::FLOW_START_MILLISECONDS => Slot::FirstUnixMs,
        ie::FLOW_END_MILLISECONDS => Slot::LastUnixMs,
        ie::FLOW_END_REASON => Slot::EndReason,
        _ => Slot::Zero,
    }
}

/// Bytes of the slots, and room for the last copy's 16 bytes past the end.
const WIDE: usize = SLOTS * 16 + 16;

/// Writes a record's values into their slots.
#[inline]
fn fill(wide: &mut [u8; WIDE], r: &ExportRecord, boot_unix_ms: u64) {
    let mut put = |s: Slot, v: u128| {
        let at = s as usize * 16;
        wide[at..at + 16].copy_from_slice(&v.to_be_bytes());
    };
    put(Slot::Zero, 0);
    put(Slot::Src, r.src);
    put(Slot::Dst, r.dst);
    put(Slot::NextHop, r.next_hop);
    put(Slot::Tos, r.tos.into());
    put(Slot::Protocol, r.protocol.into());
    put(Slot::SrcPort, r.src_port.into());
    put(Slot::DstPort, r.dst_port.into());
    put(Slot::IcmpTypeCode, r.icmp_type_code().into());
    put(Slot::Input, r.input.into());
    put(Slot::Output, r.output.into());
    put(Slot::SrcMask, r.src_mask.into());
    put(Slot::DstMask, r.dst_mask.into());
    put(Slot::SrcAs, r.src_as.into());
    put(Slot::DstAs, r.dst_as.into());
    put(Slot::TcpFlags, r.tcp_flags.into());
    put(Slot::Direction, r.direction.into());
    put(Slot::Bytes, r.bytes.into());
    put(Slot::Packets, r.packets.into());
    put(Slot::FirstUptime, u128::from(r.first_ms as u32));
    put(Slot::LastUptime, u128::from(r.last_ms as u32));
    put(Slot::FirstUnixMs, (boot_unix_ms + r.first_ms).into());
    put(Slot::LastUnixMs, (boot_unix_ms + r.last_ms).into());
    put(Slot::EndReason, r.end_reason.into());
}

/// A template's data fields as copies out of a record's slots: each field's bytes are the
/// last `len` of its slot. Each copy moves a fixed 16 bytes and the next field overwrites
/// what went past its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// Where each field's bytes start among the slots, and its length.
    copies: Vec<(usize, usize)>,
    len: usize,
    wide: Box<[u8; WIDE]>,
}

impl Gather {
    pub fn new(fields: &[Field]) -> Gather {
        let copies = fields
            .iter()
            .map(|f| {
                let len = usize::from(f.len);
                assert!(len <= 16, "field {} of {len} bytes", f.ie);
                (slot(f.ie) as usize * 16 + 16 - len, len)
            })
            .collect();
        Gather {
            copies,
            len: record_len(fields),
            wide: Box::new([0; WIDE]),
        }
    }

    /// Appends the data records of `records`; how many.
    pub fn write<'a>(
        &mut self,
        records: impl Iterator<Item = &'a ExportRecord>,
        n: usize,
        boot_unix_ms: u64,
        out: &mut Vec<u8>,
    ) -> usize {
        let start = out.len();
        out.resize(start + n * self.len + 16, 0);
        let mut at = start;
        let mut written = 0;
        for r in records.take(n) {
            fill(&mut self.wide, r, boot_unix_ms);
            for &(from, len) in &self.copies {
                out[at..at + 16].copy_from_slice(&self.wide[from..from + 16]);
                at += len;
            }
            written += 1;
        }
        out.truncate(at);
        written
    }
}

/// Writes the options data record.
pub fn write_options(fields: &[Field], o: &OptionValues, out: &mut Vec<u8>) {
    for &field in fields {
        let v: u128 = match field.ie {
            ie::SCOPE_SYSTEM | ie::OBSERVATION_DOMAIN_ID => o.domain.into(),
            ie::SAMPLING_INTERVAL => o.rate.into(),
            // Deterministic: 1 packet selected, then `rate - 1` skipped.
            ie::SAMPLING_ALGORITHM => 1,
            ie::SAMPLING_PACKET_INTERVAL => 1,
            ie::SAMPLING_PACKET_SPACE => o.rate.saturating_sub(1).into(),
            ie::FLOW_ACTIVE_TIMEOUT => o.active_s.into(),
            ie::FLOW_IDLE_TIMEOUT => o.idle_s.into(),
            _ => 0,
        };
        put(out, v, field.len);
    }
}

/// Bytes of one record of these fields.
pub fn record_len(fields: &[Field]) -> usize {
    fields.iter().map(|f| usize::from(f.len)).sum()
}
