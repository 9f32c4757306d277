//! NetFlow version 5: a 24-byte header and up to 30 fixed 48-byte IPv4 records per datagram
//! (Cisco's NetFlow v5 format; the layout nfdump and Wireshark decode).

use std::net::Ipv4Addr;

pub const HEADER_LEN: usize = 24;
pub const RECORD_LEN: usize = 48;
pub const MAX_RECORDS: usize = 30;

/// The header fields that are not counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub sys_uptime_ms: u32,
    pub unix_secs: u32,
    pub unix_nsecs: u32,
    /// Records sent before this datagram.
    pub flow_sequence: u32,
    pub engine_type: u8,
    pub engine_id: u8,
    /// 1 in N packets; 0 or 1: unsampled.
    pub sampling_interval: u32,
}

/// One v5 record (counters are 32-bit: the caller splits bigger flows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub next_hop: Ipv4Addr,
    pub input: u16,
    pub output: u16,
    pub packets: u32,
    pub bytes: u32,
    pub first_ms: u32,
    pub last_ms: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub tcp_flags: u8,
    pub protocol: u8,
    pub tos: u8,
    pub src_as: u16,
    pub dst_as: u16,
    pub src_mask: u8,
    pub dst_mask: u8,
}

impl Default for Record {
    fn default() -> Record {
        let zero = Ipv4Addr::UNSPECIFIED;
        Record {
            src: zero,
            dst: zero,
            next_hop: zero,
            input: 0,
            output: 0,
            packets: 0,
            bytes: 0,
            first_ms: 0,
            last_ms: 0,
            src_port: 0,
            dst_port: 0,
            tcp_flags: 0,
            protocol: 0,
            tos: 0,
            src_as: 0,
            dst_as: 0,
            src_mask: 0,
            dst_mask: 0,
        }
    }
}

/// Encodes one datagram of at most [`MAX_RECORDS`] records.
pub fn encode(h: &Header, records: &[Record], out: &mut Vec<u8>) {
    let records = &records[..records.len().min(MAX_RECORDS)];
    out.clear();
    out.extend_from_slice(&5u16.to_be_bytes());
    out.extend_from_slice(&(records.len() as u16).to_be_bytes());
    out.extend_from_slice(&h.sys_uptime_ms.to_be_bytes());
    out.extend_from_slice(&h.unix_secs.to_be_bytes());
    out.extend_from_slice(&h.unix_nsecs.to_be_bytes());
    out.extend_from_slice(&h.flow_sequence.to_be_bytes());
    out.push(h.engine_type);
    out.push(h.engine_id);
    // Two bits of mode (01: packet interval sampling) and fourteen of interval.
    let sampling = if h.sampling_interval > 1 {
        0x4000 | h.sampling_interval.min(0x3fff) as u16
    } else {
        0
    };
    out.extend_from_slice(&sampling.to_be_bytes());
    for r in records {
        out.extend_from_slice(&r.src.octets());
        out.extend_from_slice(&r.dst.octets());
        out.extend_from_slice(&r.next_hop.octets());
        out.extend_from_slice(&r.input.to_be_bytes());
        out.extend_from_slice(&r.output.to_be_bytes());
        out.extend_from_slice(&r.packets.to_be_bytes());
        out.extend_from_slice(&r.bytes.to_be_bytes());
        out.extend_from_slice(&r.first_ms.to_be_bytes());
        out.extend_from_slice(&r.last_ms.to_be_bytes());
        out.extend_from_slice(&r.src_port.to_be_bytes());
        out.extend_from_slice(&r.dst_port.to_be_bytes());
        out.push(0);
        out.push(r.tcp_flags);
        out.push(r.protocol);
        out.push(r.tos);
        out.extend_from_slice(&r.src_as.to_be_bytes());
        out.extend_from_slice(&r.dst_as.to_be_bytes());
        out.push(r.src_mask);
        out.push(r.dst_mask);
        out.extend_from_slice(&[0, 0]);
    }
}

/// The v5 records of a flow record: one, or several when its counters exceed 32 bits.
pub fn records_of(r: &super::record::ExportRecord) -> Vec<Record> {
    split_counts(r.packets, r.bytes)
        .into_iter()
        .map(|(packets, bytes)| Record {
            src: Ipv4Addr::from(r.src_v4()),
            dst: Ipv4Addr::from(r.dst_v4()),
            next_hop: Ipv4Addr::from(r.next_hop as u32),
            input: r.input as u16,
            output: r.output as u16,
            packets,
            bytes,
            first_ms: r.first_ms as u32,
            last_ms: r.last_ms as u32,
            src_port: r.src_port,
            dst_port: r.dst_port,
            tcp_flags: r.tcp_flags,
            protocol: r.protocol,
            tos: r.tos,
            src_as: r.src_as as u16,
            dst_as: r.dst_as as u16,
            src_mask: r.src_mask,
            dst_mask: r.dst_mask,
        })
        .collect()
}

/// Splits packet and byte counts that do not fit 32 bits into several records' worth.
pub fn split_counts(packets: u64, bytes: u64) -> Vec<(u32, u32)> {
    let parts = packets
        .div_ceil(u64::from(u32::MAX))
        .max(bytes.div_ceil(u64::from(u32::MAX)))
        .max(1);
    (0..parts)
        .map(|i| {
            let share = |total: u64| (total / parts + u64::from(i < total % parts)) as u32;
            (share(packets), share(bytes))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_has_the_header_and_fixed_records() {
        let h = Header {
            sys_uptime_ms: 1000,
            unix_secs: 1_700_000_000,
            unix_nsecs: 5,
            flow_sequence: 42,
            engine_type: 1,
            engine_id: 2,
            sampling_interval: 100,
        };
        let r = Record {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            packets: 3,
            bytes: 300,
            src_port: 1234,
            dst_port: 53,
            protocol: 17,
            ..Record::default()
        };
        let mut out = Vec::new();
        encode(&h, &[r; 2], &mut out);
        assert_eq!(out.len(), HEADER_LEN + 2 * RECORD_LEN);
        assert_eq!(&out[0..4], &[0, 5, 0, 2]);
        assert_eq!(&out[16..20], &42u32.to_be_bytes());
        assert_eq!(&out[22..24], &(0x4000u16 | 100).to_be_bytes());
        assert_eq!(&out[24..28], &[10, 0, 0, 1]);
        assert_eq!(&out[24 + 16..24 + 20], &3u32.to_be_bytes());
        assert_eq!(out[24 + 38], 17);
    }

    #[test]
    fn big_counts_are_split_without_loss() {
        assert_eq!(split_counts(5, 500), [(5, 500)]);
        let parts = split_counts(10, 10_000_000_000);
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts.iter().map(|p| u64::from(p.1)).sum::<u64>(),
            10_000_000_000
        );
        assert_eq!(parts.iter().map(|p| u64::from(p.0)).sum::<u64>(), 10);
    }
}
