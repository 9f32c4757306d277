//! NetFlow version 8, router-based aggregation: flows summed per aggregation key over the
//! `aggregate-export-interval`, then exported as fixed records of the scheme (28-byte header,
//! length exactly header + count * record size, as flow-tools requires).

use std::collections::HashMap;

use flowsh_grammar::model::Aggregation;

use super::record::ExportRecord;

pub const HEADER_LEN: usize = 28;

/// Record size and most records per datagram of a scheme.
pub fn layout(a: Aggregation) -> (usize, usize) {
    match a {
        Aggregation::AutonomousSystem | Aggregation::ProtocolPort => (28, 51),
        Aggregation::SourcePrefix | Aggregation::DestinationPrefix => (32, 44),
        Aggregation::SourceDestinationPrefix { .. } => (40, 35),
    }
}

/// The fields a scheme keys on (the others stay zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
struct AggKey {
    src_prefix: u32,
    dst_prefix: u32,
    src_mask: u8,
    dst_mask: u8,
    protocol: u8,
    src_port: u16,
    dst_port: u16,
    src_as: u16,
    dst_as: u16,
    input: u16,
    output: u16,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    flows: u32,
    packets: u64,
    bytes: u64,
    first: u64,
    last: u64,
}

fn prefix(addr: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        addr & (u32::MAX << (32 - u32::from(len.min(32))))
    }
}

fn key(a: Aggregation, r: &ExportRecord) -> AggKey {
    let (input, output) = (r.input as u16, r.output as u16);
    let (src_as, dst_as) = (r.src_as as u16, r.dst_as as u16);
    match a {
        Aggregation::AutonomousSystem => AggKey {
            src_as,
            dst_as,
            input,
            output,
            ..AggKey::default()
        },
        Aggregation::ProtocolPort => AggKey {
            protocol: r.protocol,
            src_port: r.src_port,
            dst_port: r.dst_port,
            ..AggKey::default()
        },
        Aggregation::SourcePrefix => AggKey {
            src_prefix: prefix(r.src_v4(), r.src_mask),
            src_mask: r.src_mask,
            src_as,
            input,
            ..AggKey::default()
        },
        Aggregation::DestinationPrefix => AggKey {
            dst_prefix: prefix(r.dst_v4(), r.dst_mask),
            dst_mask: r.dst_mask,
            dst_as,
            output,
            ..AggKey::default()
        },
        Aggregation::SourceDestinationPrefix { .. } => AggKey {
            src_prefix: prefix(r.src_v4(), r.src_mask),
            dst_prefix: prefix(r.dst_v4(), r.dst_mask),
            src_mask: r.src_mask,
            dst_mask: r.dst_mask,
            src_as,
            dst_as,
            input,
            output,
            ..AggKey::default()
        },
    }
}

/// One scheme's aggregation cache and export state for one collector.
#[derive(Debug, Clone)]
pub struct Aggregator {
    pub scheme: Aggregation,
    cache: HashMap<AggKey, Sums>,
    /// Flows summed into the cache since the last export.
    pub flows_cached: u64,
    interval_ms: u64,
    last_export_ms: u64,
    /// Aggregate records sent before (the header's flow_sequence).
    pub sequence: u32,
}

/// What a v8 datagram's header needs besides counts.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now_ms: u64,
    pub boot_unix_ms: u64,
    pub engine_type: u8,
    pub engine_id: u8,
}

impl Aggregator {
    pub fn new(scheme: Aggregation, interval_s: u32, now_ms: u64) -> Aggregator {
        Aggregator {
            scheme,
            cache: HashMap::new(),
            flows_cached: 0,
            interval_ms: u64::from(interval_s.max(1)) * 1000,
            last_export_ms: now_ms,
            sequence: 0,
        }
    }

    /// Takes over the cache and sequence of the aggregator this one replaces (a commit); the
    /// interval stays the new one.
    pub fn adopt(&mut self, old: Aggregator) {
        self.cache = old.cache;
        self.flows_cached = old.flows_cached;
        self.last_export_ms = old.last_export_ms;
        self.sequence = old.sequence;
    }

    pub fn add(&mut self, r: &ExportRecord) {
        let s = self.cache.entry(key(self.scheme, r)).or_insert(Sums {
            first: r.first_ms,
            last: r.last_ms,
            ..Sums::default()
        });
        s.flows = s.flows.saturating_add(1);
        s.packets += r.packets;
        s.bytes += r.bytes;
        s.first = s.first.min(r.first_ms);
        s.last = s.last.max(r.last_ms);
        self.flows_cached += 1;
    }

    /// Whether the interval has passed.
    pub fn due(&self, now_ms: u64) -> bool {
        !self.cache.is_empty() && now_ms >= self.last_export_ms + self.interval_ms
    }

    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Exports the whole cache: datagrams in `out`; the flows they summarise.
    pub fn drain(&mut self, ctx: &Context, out: &mut Vec<Vec<u8>>) -> u64 {
        let (size, max) = layout(self.scheme);
        let mut entries: Vec<(AggKey, Sums)> = self.cache.drain().collect();
        entries.sort_by_key(|(k, _)| *k);
        for chunk in entries.chunks(max) {
            let mut d = Vec::with_capacity(HEADER_LEN + chunk.len() * size);
            self.header(ctx, chunk.len(), &mut d);
            for (k, s) in chunk {
                self.record(k, s, &mut d);
            }
            debug_assert_eq!(d.len(), HEADER_LEN + chunk.len() * size);
            self.sequence = self.sequence.wrapping_add(chunk.len() as u32);
            out.push(d);
        }
        self.last_export_ms = ctx.now_ms;
        std::mem::take(&mut self.flows_cached)
    }

    fn header(&self, ctx: &Context, count: usize, d: &mut Vec<u8>) {
        let unix_ms = ctx.boot_unix_ms + ctx.now_ms;
        d.extend_from_slice(&8u16.to_be_bytes());
        d.extend_from_slice(&(count as u16).to_be_bytes());
        d.extend_from_slice(&(ctx.now_ms as u32).to_be_bytes());
        d.extend_from_slice(&((unix_ms / 1000) as u32).to_be_bytes());
        d.extend_from_slice(&(((unix_ms % 1000) * 1_000_000) as u32).to_be_bytes());
        d.extend_from_slice(&self.sequence.to_be_bytes());
        d.push(ctx.engine_type);
        d.push(ctx.engine_id);
        d.push(self.scheme.scheme());
        // agg_version
        d.push(2);
        d.extend_from_slice(&[0; 4]);
    }

    fn record(&self, k: &AggKey, s: &Sums, d: &mut Vec<u8>) {
        d.extend_from_slice(&s.flows.to_be_bytes());
        d.extend_from_slice(&(s.packets.min(u64::from(u32::MAX)) as u32).to_be_bytes());
        d.extend_from_slice(&(s.bytes.min(u64::from(u32::MAX)) as u32).to_be_bytes());
        d.extend_from_slice(&(s.first as u32).to_be_bytes());
        d.extend_from_slice(&(s.last as u32).to_be_bytes());
        match self.scheme {
            Aggregation::AutonomousSystem => {
                d.extend_from_slice(&k.src_as.to_be_bytes());
                d.extend_from_slice(&k.dst_as.to_be_bytes());
                d.extend_from_slice(&k.input.to_be_bytes());
                d.extend_from_slice(&k.output.to_be_bytes());
            }
            Aggregation::ProtocolPort => {
                d.push(k.protocol);
                d.push(0);
                d.extend_from_slice(&[0, 0]);
                d.extend_from_slice(&k.src_port.to_be_bytes());
                d.extend_from_slice(&k.dst_port.to_be_bytes());
            }
            Aggregation::SourcePrefix => {
                d.extend_from_slice(&k.src_prefix.to_be_bytes());
                d.push(k.src_mask);
                d.push(0);
                d.extend_from_slice(&k.src_as.to_be_bytes());
                d.extend_from_slice(&k.input.to_be_bytes());
                d.extend_from_slice(&[0, 0]);
            }
            Aggregation::DestinationPrefix => {
                d.extend_from_slice(&k.dst_prefix.to_be_bytes());
                d.push(k.dst_mask);
                d.push(0);
                d.extend_from_slice(&k.dst_as.to_be_bytes());
                d.extend_from_slice(&k.output.to_be_bytes());
                d.extend_from_slice(&[0, 0]);
            }
            Aggregation::SourceDestinationPrefix { caida_compliant } => {
                d.extend_from_slice(&k.src_prefix.to_be_bytes());
                d.extend_from_slice(&k.dst_prefix.to_be_bytes());
                // CAIDA cflowd 2.1b1 reads the two mask lengths the other way round.
                let (first, second) = if caida_compliant {
                    (k.dst_mask, k.src_mask)
                } else {
                    (k.src_mask, k.dst_mask)
                };
                d.push(first);
                d.push(second);
                d.extend_from_slice(&[0, 0]);
                d.extend_from_slice(&k.src_as.to_be_bytes());
                d.extend_from_slice(&k.dst_as.to_be_bytes());
                d.extend_from_slice(&k.input.to_be_bytes());
                d.extend_from_slice(&k.output.to_be_bytes());
            }
        }
    }
}
