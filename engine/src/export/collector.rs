//! One collector (`flow-server`): its encoder and sequence state, the queue of records waiting
//! for a datagram, the export rate limit, the transport (a host UDP socket, or in-band from the
//! router's own address out of a port) and its counters.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use flowsh_grammar::model::{Aggregation, ExportFormat, FlowServer};
use serde::Serialize;

use super::batch::Batch;
use super::record::ExportRecord;
use super::templated::{Layout, Templated};
use super::{v5, v8};

/// Records a collector holds before counting the overflow as dropped.
pub const MAX_QUEUED: usize = 100_000;

/// Sends an IP packet built here out of the router's ports (in-band export).
pub type Inject = Arc<dyn Fn(Vec<u8>) + Send + Sync>;

/// One collector's counters, for `show services accounting status` and `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CollectorStats {
    pub address: String,
    pub format: String,
    /// IPv4 or IPv6 records it receives.
    pub family: String,
    /// Flow records sent (for version 8: flows summed into the aggregates sent).
    pub flows: u64,
    /// Data records in its datagrams.
    pub records: u64,
    pub datagrams: u64,
    pub send_failures: u64,
    /// Records waiting for a datagram now.
    pub queued: u64,
    /// Records lost because the queue was full.
    pub dropped: u64,
    /// Datagrams held back by `flow-export-rate`.
    pub rate_limited: u64,
    /// Sends that found the socket full (the datagram was sent again later).
    pub send_busy: u64,
    /// Records its format cannot carry (IPv6 in versions 5 and 8).
    pub unsupported: u64,
    /// Template announcements (versions 9 and IPFIX).
    pub template_announcements: u64,
    pub template_id: Option<u16>,
    pub last_error: Option<String>,
}

/// How a collector encodes.
#[derive(Debug)]
pub enum Encoder {
    V5 { sequence: u32 },
    V8(Vec<v8::Aggregator>),
    Templated(Box<Templated>),
}

/// Where datagrams go.
pub enum Transport {
    Host(UdpSocket),
    /// Built here from the router's address and sent out of the port the route picks.
    InBand {
        source: IpAddr,
        inject: Inject,
    },
    /// No socket could be opened (the reason is in the counters).
    Closed,
    /// A host socket on a path that refuses batches (as one without checksum offload does).
    #[cfg(test)]
    NoOffload(UdpSocket),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Host(s) => write!(f, "Host({s:?})"),
            Transport::InBand { source, .. } => write!(f, "InBand({source})"),
            Transport::Closed => write!(f, "Closed"),
            #[cfg(test)]
            Transport::NoOffload(s) => write!(f, "NoOffload({s:?})"),
        }
    }
}

/// What the exporter knows when it sends.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub ms: u64,
    pub boot_unix_ms: u64,
}

#[derive(Debug)]
pub struct Collector {
    /// Instance (by position in the plan) and family (0: IPv4, 1: IPv6) it serves.
    pub instance: usize,
    pub family: usize,
    pub server: FlowServer,
    pub encoder: Encoder,
    transport: Transport,
    queue: VecDeque<ExportRecord>,
    /// Engine time the oldest queued record arrived.
    queued_since: u64,
    /// Datagrams per second allowed (0: no limit) and the tokens left.
    rate: u64,
    tokens: f64,
    tokens_at: u64,
    /// Sampling interval reported in v5 headers.
    pub sampling_interval: u32,
    pub engine: (u8, u8),
    pub stats: CollectorStats,
    scratch: Vec<u8>,
    /// Datagrams for the host socket not sent yet: they go together (see [`Batch`]) when
    /// the batch is full, when the exporter has nothing more to hand it, or before others.
    outbox: Batch,
    /// Datagrams the socket could not take yet (it was full), in order.
    held: VecDeque<Batch>,
    /// Whether the host socket takes a batch in one send (off once it refused one and took
    /// its datagrams one by one).
    offload: bool,
    /// Version 8 datagrams drained from the aggregates and not sent yet (a full socket, or
    /// the export rate).
    v8_out: VecDeque<Vec<u8>>,
}

fn format_name(f: &ExportFormat) -> String {
    match f {
        ExportFormat::V5 => "cflowd version 5".into(),
        ExportFormat::V8(_) => "cflowd version 8".into(),
        ExportFormat::V9 { template } => format!("version 9 template {template}"),
        ExportFormat::Ipfix { template } => format!("IPFIX template {template}"),
    }
}

/// A host socket towards the collector, from `source-address` when given, with the DSCP set.
fn host_socket(server: &FlowServer) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let v4 = server.address.is_ipv4();
    let domain = if v4 { Domain::IPV4 } else { Domain::IPV6 };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if v4 && server.dscp > 0 {
        s.set_tos_v4(u32::from(server.dscp) << 2)?;
    }
    let bind: SocketAddr = match (server.source_address, v4) {
        (Some(a), true) => (a, 0).into(),
        (_, true) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        (_, false) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    s.bind(&bind.into())?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

impl Collector {
    /// `in_band`: the router's address to export from (`inline-jflow source-address`).
    pub fn new(
        instance: usize,
        family: usize,
        server: &FlowServer,
        encoder: Encoder,
        in_band: Option<(IpAddr, Inject)>,
    ) -> Collector {
        let (transport, last_error) = match in_band {
            Some((source, inject)) => (Transport::InBand { source, inject }, None),
            None => match host_socket(server) {
                Ok(s) => (Transport::Host(s), None),
                Err(e) => (Transport::Closed, Some(e.to_string())),
            },
        };
        Collector {
            instance,
            family,
            server: server.clone(),
            encoder,
            transport,
            queue: VecDeque::new(),
            queued_since: 0,
            rate: 0,
            tokens: 0.0,
            tokens_at: 0,
            sampling_interval: 1,
            engine: (0, 0),
            stats: CollectorStats {
                address: SocketAddr::new(server.address, server.port).to_string(),
                format: format_name(&server.format),
                family: if family == 0 { "inet" } else { "inet6" }.into(),
                last_error,
                ..CollectorStats::default()
            },
            scratch: Vec::new(),
            outbox: Batch::default(),
            held: VecDeque::new(),
            offload: true,
            v8_out: VecDeque::new(),
        }
    }

    pub fn to(&self) -> SocketAddr {
        SocketAddr::new(self.server.address, self.server.port)
    }

    /// `flow-export-rate`: datagrams per second (0: no limit).
    pub fn set_rate(&mut self, per_second: u64) {
        self.rate = per_second;
        // A full second's worth to start with.
        self.tokens = per_second as f64;
    }

    /// Takes over the queue, sequence numbers and counters of the collector it replaces.
    pub fn inherit(&mut self, old: Collector) {
        self.queue = old.queue;
        self.outbox = old.outbox;
        self.held = old.held;
        self.v8_out = old.v8_out;
        if self.rate > 0 && old.rate > 0 {
            // A commit is no fresh second of export budget.
            self.tokens = old.tokens.min(self.rate as f64);
            self.tokens_at = old.tokens_at;
        }
        self.queued_since = old.queued_since;
        self.stats = CollectorStats {
            address: std::mem::take(&mut self.stats.address),
            format: std::mem::take(&mut self.stats.format),
            family: std::mem::take(&mut self.stats.family),
            last_error: self.stats.last_error.take().or(old.stats.last_error),
            ..old.stats
        };
        match (&mut self.encoder, old.encoder) {
            (Encoder::V5 { sequence }, Encoder::V5 { sequence: s }) => *sequence = s,
            (Encoder::V8(new), Encoder::V8(old)) => {
                for o in old {
                    if let Some(n) = new.iter_mut().find(|n| n.scheme == o.scheme) {
                        n.adopt(o);
                    }
                }
            }
            (Encoder::Templated(new), Encoder::Templated(old)) => {
                new.sequence = old.sequence;
                new.announcements = old.announcements;
                // A changed layout must not reuse the old template id.
                if new.fields() != old.fields() && new.data_id == old.data_id {
                    new.data_id = bump(old.data_id);
                    new.options_id = bump(old.options_id);
                }
            }
            _ => {}
        }
    }

    /// Accepts a record for export (or counts why not). What is due before it goes out
    /// first: datagrams then depend on the records' times only, not on how the exporter
    /// thread happened to be woken, so a replay sends the same datagrams every time.
    pub fn offer(&mut self, r: &ExportRecord, now: Now, flush_ms: u64) {
        self.pump(now, flush_ms, false);
        let v4_only = matches!(self.encoder, Encoder::V5 { .. } | Encoder::V8(_));
        if v4_only && r.v6 {
            self.stats.unsupported += 1;
            return;
        }
        if let Encoder::V8(aggs) = &mut self.encoder {
            for a in aggs.iter_mut() {
                a.add(r);
            }
            return;
        }
        if self.queue.len() >= MAX_QUEUED {
            self.stats.dropped += 1;
            return;
        }
        if self.queue.is_empty() {
            self.queued_since = now.ms;
        }
        self.queue.push_back(*r);
    }

    /// Records that fill a datagram of this collector.
    fn per_datagram(&self) -> usize {
        match &self.encoder {
            Encoder::V5 { .. } => v5::MAX_RECORDS,
            Encoder::V8(_) => usize::MAX,
            Encoder::Templated(t) => (super::templated::MAX_PAYLOAD - 64) / t.record_len().max(1),
        }
    }

    /// More records than any datagram of this collector can hold.
    fn most_per_datagram(&self) -> usize {
        match &self.encoder {
            Encoder::Templated(t) => super::templated::MAX_PAYLOAD / t.record_len().max(1) + 1,
            _ => self.per_datagram(),
        }
    }

    /// Sends what is due at `now`: full datagrams always; the rest once it has waited
    /// `flush_ms` (or at once with `force`); templates when their refresh comes; v8
    /// aggregates at the end of their interval (or with `force`).
    pub fn pump(&mut self, now: Now, flush_ms: u64, force: bool) {
        self.refill(now.ms);
        if !self.retry_held() {
            self.stats.queued = self.queue.len() as u64;
            return;
        }
        match &mut self.encoder {
            Encoder::V8(aggs) => {
                let ctx = v8::Context {
                    now_ms: now.ms,
                    boot_unix_ms: now.boot_unix_ms,
                    engine_type: self.engine.0,
                    engine_id: self.engine.1,
                };
                let mut datagrams = Vec::new();
                let mut flows = 0;
                for a in aggs.iter_mut() {
                    if a.due(now.ms) || (force && a.cached() > 0) {
                        flows += a.drain(&ctx, &mut datagrams);
                    }
                }
                self.stats.flows += flows;
                self.v8_out.extend(datagrams);
                // In order, one token each, stopping at a full socket.
                while self.held.is_empty() && !self.v8_out.is_empty() {
                    if !self.take_token() {
                        self.stats.rate_limited += 1;
                        break;
                    }
                    let Some(d) = self.v8_out.pop_front() else {
                        break;
                    };
                    self.stats.records += u64::from(u16::from_be_bytes([d[2], d[3]]));
                    self.send(&d);
                }
            }
            _ => {
                let full = self.per_datagram();
                loop {
                    let waiting = self.queue.len();
                    let data = waiting >= full
                        || (waiting > 0 && (force || now.ms >= self.queued_since + flush_ms));
                    // Templates alone: the first announcement, before any data (nfcapd counts
                    // only flow records in IPFIX sequence numbers and syncs silently until it
                    // has seen some, so the options record goes first on its own), and refreshes.
                    let templates = matches!(
                        &self.encoder,
                        Encoder::Templated(t) if t.templates_due(now.ms)
                            && (t.announcements > 0 || waiting > 0)
                    );
                    let data = data
                        && !matches!(
                            &self.encoder,
                            Encoder::Templated(t) if t.announcements == 0
                        );
                    if !data && !templates {
                        break;
                    }
                    if !self.take_token() {
                        self.stats.rate_limited += 1;
                        break;
                    }
                    // Templates due with no data due go out alone.
                    let taken = self.one_datagram(now, data);
                    if !self.held.is_empty() || self.queue.is_empty() || (data && taken == 0) {
                        break;
                    }
                }
            }
        }
        if force {
            self.flush();
        }
        self.stats.queued = self.queue.len() as u64;
        if let Encoder::Templated(t) = &self.encoder {
            self.stats.template_announcements = t.announcements;
            self.stats.template_id = Some(t.data_id);
        }
    }

    /// Encodes and sends one datagram from the front of the queue (with `data`; otherwise
    /// templates alone); the records it took.
    fn one_datagram(&mut self, now: Now, data: bool) -> usize {
        // The encoders read the queue in place, across its wrap.
        let limit = if data { self.most_per_datagram() } else { 0 }.min(self.queue.len());
        let (front, back) = self.queue.as_slices();
        let records = front.iter().chain(back).take(limit);
        let mut out = std::mem::take(&mut self.scratch);
        let n = match &mut self.encoder {
            Encoder::V5 { sequence } => {
                let unix_ms = now.boot_unix_ms + now.ms;
                // Flows whose counters need several 32-bit records: as many as fit.
                let mut v5_records: Vec<v5::Record> = Vec::with_capacity(v5::MAX_RECORDS);
                let mut n = 0;
                for r in records {
                    let mut parts = v5::records_of(r);
                    if v5_records.len() + parts.len() > v5::MAX_RECORDS {
                        if n > 0 {
                            break;
                        }
                        // A flow too big for one datagram (over 30 × 4 GiB): its first
                        // datagram's worth goes, the rest of its counters are lost (counted).
                        parts.truncate(v5::MAX_RECORDS);
                        self.stats.dropped += 1;
                    }
                    v5_records.extend(parts);
                    n += 1;
                }
                let fit = v5_records.len();
                let header = v5::Header {
                    sys_uptime_ms: now.ms as u32,
                    unix_secs: (unix_ms / 1000) as u32,
                    unix_nsecs: ((unix_ms % 1000) * 1_000_000) as u32,
                    flow_sequence: *sequence,
                    engine_type: self.engine.0,
                    engine_id: self.engine.1,
                    sampling_interval: self.sampling_interval,
                };
                v5::encode(&header, &v5_records[..fit], &mut out);
                *sequence = sequence.wrapping_add(fit as u32);
                self.stats.records += fit as u64;
                n
            }
            Encoder::Templated(t) => {
                let n = t.message(records, limit, now.ms, now.boot_unix_ms, &mut out);
                self.stats.records += n as u64;
                n
            }
            Encoder::V8(_) => 0,
        };
        self.queue.drain(..n);
        self.stats.flows += n as u64;
        if !out.is_empty() {
            self.send(&out);
        }
        self.scratch = out;
        n
    }

    fn refill(&mut self, now_ms: u64) {
        if self.rate == 0 {
            return;
        }
        let elapsed = now_ms.saturating_sub(self.tokens_at);
        self.tokens_at = now_ms;
        self.tokens =
            (self.tokens + elapsed as f64 * self.rate as f64 / 1000.0).min(self.rate as f64);
    }

    fn take_token(&mut self) -> bool {
        if self.rate == 0 {
            return true;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Sends a datagram, or adds it to the batch for the host socket (sent once full).
    fn send(&mut self, datagram: &[u8]) {
        let host = match &self.transport {
            Transport::Host(_) => true,
            #[cfg(test)]
            Transport::NoOffload(_) => true,
            _ => false,
        };
        if !(self.offload && host) {
            return self.transmit(Batch::of(datagram));
        }
        if !self.outbox.takes(datagram.len()) {
            self.flush();
        }
        self.outbox.push(datagram);
        if self.outbox.is_full() {
            self.flush();
        }
    }

    /// Sends the batch in the outbox (behind what the socket held back).
    pub fn flush(&mut self) {
        if !self.outbox.is_empty() {
            let batch = std::mem::take(&mut self.outbox);
            self.transmit(batch);
        }
    }

    /// Sends a batch after those held back, or holds it too.
    fn transmit(&mut self, batch: Batch) {
        self.held.push_back(batch);
        self.retry_held();
    }

    /// Sends what a full socket held back, in order; whether the way is clear.
    fn retry_held(&mut self) -> bool {
        while let Some(batch) = self.held.pop_front() {
            if let Err(batch) = self.attempt(batch) {
                self.held.push_front(batch);
                return false;
            }
        }
        true
    }

    /// Sends a batch now; gives it back when the socket is full (a collector slower than
    /// us, on this host: it goes first next time, records queueing behind it).
    fn attempt(&mut self, batch: Batch) -> Result<(), Batch> {
        if batch.len() > 1 && !self.offload {
            self.split_held(batch);
            return Ok(());
        }
        let to = self.to();
        let result = match &self.transport {
            Transport::Host(s) => batch.send(s, to),
            Transport::InBand { source, inject } => {
                for d in batch.datagrams() {
                    inject(crate::build::udp_datagram(
                        *source,
                        to.ip(),
                        (to.port(), to.port()),
                        self.server.dscp,
                        d,
                    ));
                }
                Ok(())
            }
            Transport::Closed => Err(std::io::Error::other("no socket")),
            #[cfg(test)]
            Transport::NoOffload(_) if batch.len() > 1 => {
                Err(std::io::Error::from_raw_os_error(libc::EIO))
            }
            #[cfg(test)]
            Transport::NoOffload(s) => batch.send(s, to),
        };
        match result {
            Ok(()) => self.stats.datagrams += batch.len() as u64,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                self.stats.send_busy += 1;
                return Err(batch);
            }
            // A path that cannot take a batch in one send (no checksum offload on the way
            // out, a smaller MTU): its datagrams one by one, and all of them from now on.
            Err(_) if batch.len() > 1 => {
                self.offload = false;
                self.split_held(batch);
            }
            Err(e) => {
                self.stats.send_failures += batch.len() as u64;
                self.stats.last_error = Some(e.to_string());
            }
        }
        Ok(())
    }

    /// Whether batches still go in one send.
    #[cfg(test)]
    pub fn offloads(&self) -> bool {
        self.offload
    }

    /// Puts the host socket on a path that refuses batches.
    #[cfg(test)]
    pub fn refuse_batches(&mut self) {
        if let Transport::Host(s) = std::mem::replace(&mut self.transport, Transport::Closed) {
            self.transport = Transport::NoOffload(s);
        }
    }

    /// Puts a batch's datagrams first among those held, one by one.
    fn split_held(&mut self, batch: Batch) {
        for d in batch.datagrams().rev() {
            self.held.push_front(Batch::of(d));
        }
    }

    /// Whether the collector still holds records (queued, or aggregated for version 8).
    pub fn holding(&self) -> bool {
        !self.queue.is_empty()
            || !self.outbox.is_empty()
            || !self.held.is_empty()
            || !self.v8_out.is_empty()
            || matches!(&self.encoder, Encoder::V8(a) if a.iter().any(|a| a.cached() > 0))
    }
}

/// The next template id after `id`, in the range Junos allows.
fn bump(id: u16) -> u16 {
    if id >= 65_000 { 1024 } else { id + 64 }
}

/// A v8 encoder's aggregators for the schemes configured.
pub fn v8_encoder(schemes: &[Aggregation], interval_s: u32, now_ms: u64) -> Encoder {
    Encoder::V8(
        schemes
            .iter()
            .map(|&s| v8::Aggregator::new(s, interval_s, now_ms))
            .collect(),
    )
}

/// The layout of a templated collector.
pub fn templated(layout: &Layout) -> Encoder {
    Encoder::Templated(Box::new(Templated::new(layout)))
}
