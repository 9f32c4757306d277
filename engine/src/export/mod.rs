//! Export: flow records that ended in the workers' tables go, over a channel, to one export
//! thread that encodes them for each collector (`flow-server`) of their sampling instance and
//! family and sends them over UDP, keeping each collector's sequence numbers. A collector that
//! cannot be reached costs a counted send failure, never a stall of the packet path.

pub mod v5;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use flowsh_grammar::model::{ExportFormat, FlowServer};
use serde::Serialize;

use crate::clock::Clock;
use crate::dataplane::Compiled;
use crate::flow::{FlowAddr, FlowRecord, NO_UNIT};
use crate::jflow::Exported;
use crate::route::Target;

/// The longest a record waits (engine time) for a datagram to fill.
const FLUSH_MS: u64 = 1000;

/// Messages to the export thread.
#[derive(Debug)]
pub enum ExportMsg {
    /// Records, with the compiled state that produced them (their instance numbers are its).
    Records(Arc<Compiled>, Vec<Exported>),
    Apply(Arc<Compiled>),
    Stats(Sender<ExportStats>),
    /// Also write every record as a JSON line to this file.
    RecordTo(PathBuf, Sender<Result<(), String>>),
    /// Answered once everything sent before is encoded, sent and written.
    Sync(Sender<()>),
    /// `clear services accounting flow`: the counters restart (sequence numbers go on).
    Clear,
    Stop,
}

/// One collector's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CollectorStats {
    pub address: String,
    pub format: String,
    /// IPv4 or IPv6 records it receives.
    pub family: String,
    pub records: u64,
    pub datagrams: u64,
    pub send_failures: u64,
    /// Records its format cannot carry (IPv6 in version 5).
    pub unsupported: u64,
    pub last_error: Option<String>,
}

/// One sampling instance's export counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceExport {
    pub name: String,
    /// Per family (IPv4, IPv6): records that ended in the tables.
    pub records: [u64; 2],
    /// Per family: records sent to at least one collector.
    pub exported: [u64; 2],
    /// Per family: datagrams sent to the family's collectors.
    pub datagrams: [u64; 2],
    pub send_failures: u64,
    pub collectors: Vec<CollectorStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportStats {
    pub instances: Vec<InstanceExport>,
    /// Records of instances a commit removed (their collectors went with them).
    pub orphaned: u64,
    /// Records written to the JSON-lines file.
    pub written: u64,
}

#[derive(Debug)]
struct Collector {
    /// Instance and family (0: IPv4, 1: IPv6) it serves.
    instance: usize,
    family: usize,
    server: FlowServer,
    socket: Option<UdpSocket>,
    sequence: u32,
    pending: Vec<v5::Record>,
    /// Engine time of the oldest pending record.
    pending_since: u64,
    stats: CollectorStats,
}

impl Collector {
    fn new(instance: usize, family: usize, server: &FlowServer) -> Collector {
        let bind: SocketAddr = match server.address {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = UdpSocket::bind(bind).and_then(|s| s.set_nonblocking(true).map(|_| s));
        let (socket, last_error) = match socket {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Collector {
            instance,
            family,
            server: server.clone(),
            socket,
            sequence: 0,
            pending: Vec::new(),
            pending_since: 0,
            stats: CollectorStats {
                address: SocketAddr::new(server.address, server.port).to_string(),
                format: format_name(&server.format).to_string(),
                family: if family == 0 { "inet" } else { "inet6" }.to_string(),
                last_error,
                ..CollectorStats::default()
            },
        }
    }

    fn key(&self) -> (usize, usize, SocketAddr) {
        (
            self.instance,
            self.family,
            SocketAddr::new(self.server.address, self.server.port),
        )
    }

    fn send(&mut self, datagram: &[u8]) {
        let to = SocketAddr::new(self.server.address, self.server.port);
        let result = match &self.socket {
            Some(s) => s.send_to(datagram, to).map(|_| ()),
            None => Err(std::io::Error::other("no socket")),
        };
        match result {
            Ok(()) => self.stats.datagrams += 1,
            Err(e) => {
                self.stats.send_failures += 1;
                self.stats.last_error = Some(e.to_string());
            }
        }
    }
}

fn format_name(f: &ExportFormat) -> &'static str {
    match f {
        ExportFormat::V5 => "cflowd version 5",
        ExportFormat::V8(_) => "cflowd version 8",
        ExportFormat::V9 { .. } => "version 9",
        ExportFormat::Ipfix { .. } => "IPFIX",
    }
}

/// The export thread's state.
#[derive(Debug)]
pub struct Exporter {
    compiled: Arc<Compiled>,
    clock: Clock,
    collectors: Vec<Collector>,
    stats: ExportStats,
    file: Option<std::io::BufWriter<std::fs::File>>,
    /// Latest uptime seen in a record (capture time has no clock of its own).
    latest_ms: u64,
    scratch: Vec<u8>,
}

impl Exporter {
    pub fn new(clock: Clock) -> Exporter {
        Exporter {
            compiled: Arc::new(Compiled::default()),
            clock,
            collectors: Vec::new(),
            stats: ExportStats::default(),
            file: None,
            latest_ms: 0,
            scratch: Vec::new(),
        }
    }

    /// Runs until told to stop or until every sender is gone.
    pub fn run(mut self, rx: Receiver<ExportMsg>) {
        loop {
            let msg = match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    self.flush_due();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if !self.handle(msg) {
                break;
            }
            // Everything waiting is handled before partial datagrams go out.
            loop {
                match rx.try_recv() {
                    Ok(m) => {
                        if !self.handle(m) {
                            self.flush();
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.flush();
                        return;
                    }
                }
            }
        }
        self.flush();
    }

    fn handle(&mut self, msg: ExportMsg) -> bool {
        match msg {
            ExportMsg::Records(from, records) => {
                for r in records {
                    self.record(&from, r);
                }
            }
            ExportMsg::Apply(c) => self.apply(c),
            ExportMsg::Stats(reply) => {
                let _ = reply.send(self.stats());
            }
            ExportMsg::RecordTo(path, reply) => {
                let opened = std::fs::File::create(&path)
                    .map(|f| self.file = Some(std::io::BufWriter::new(f)))
                    .map_err(|e| format!("{}: {e}", path.display()));
                let _ = reply.send(opened);
            }
            ExportMsg::Sync(reply) => {
                self.flush();
                let _ = reply.send(());
            }
            ExportMsg::Clear => {
                for i in &mut self.stats.instances {
                    *i = InstanceExport {
                        name: std::mem::take(&mut i.name),
                        ..InstanceExport::default()
                    };
                }
                for c in &mut self.collectors {
                    c.stats = CollectorStats {
                        address: std::mem::take(&mut c.stats.address),
                        format: std::mem::take(&mut c.stats.format),
                        family: std::mem::take(&mut c.stats.family),
                        ..CollectorStats::default()
                    };
                }
                self.stats.orphaned = 0;
            }
            ExportMsg::Stop => return false,
        }
        true
    }

    /// Collectors follow the configuration; those that stay keep their sequence numbers.
    fn apply(&mut self, compiled: Arc<Compiled>) {
        self.flush();
        let mut old = std::mem::take(&mut self.collectors);
        let mut instances = Vec::new();
        for (i, p) in compiled.jflow.instances.iter().enumerate() {
            let previous = self.stats.instances.iter().find(|s| s.name == p.name);
            instances.push(InstanceExport {
                name: p.name.clone(),
                ..previous.cloned().unwrap_or_default()
            });
            for (fam, out) in p.outputs.iter().enumerate() {
                for server in out.iter().flat_map(|o| &o.flow_servers) {
                    let mut c = Collector::new(i, fam, server);
                    let key = c.key();
                    let old_name = self.stats.instances.iter().position(|s| s.name == p.name);
                    if let Some(at) = old.iter().position(|o| {
                        Some(o.instance) == old_name
                            && (o.family, SocketAddr::new(o.server.address, o.server.port))
                                == (key.1, key.2)
                            && o.server.format == server.format
                    }) {
                        let o = old.swap_remove(at);
                        c.sequence = o.sequence;
                        c.stats = CollectorStats {
                            last_error: c.stats.last_error.or(o.stats.last_error.clone()),
                            ..o.stats
                        };
                    }
                    self.collectors.push(c);
                }
            }
        }
        self.stats.instances = instances;
        self.compiled = compiled;
    }

    fn stats(&self) -> ExportStats {
        let mut s = self.stats.clone();
        for c in &self.collectors {
            if let Some(i) = s.instances.get_mut(c.instance) {
                i.collectors.push(c.stats.clone());
                i.datagrams[c.family] += c.stats.datagrams;
                i.send_failures += c.stats.send_failures;
            }
        }
        s
    }

    fn record(&mut self, from: &Compiled, e: Exported) {
        let (at, family) = match &e {
            Exported::V4 { instance, .. } => (*instance, 0),
            Exported::V6 { instance, .. } => (*instance, 1),
        };
        // The producer's instance number, as one of ours (a commit may have renumbered them).
        let instance = from
            .jflow
            .instances
            .get(usize::from(at))
            .and_then(|p| self.stats.instances.iter().position(|s| s.name == p.name))
            .map_or(u16::MAX, |i| i as u16);
        self.latest_ms = self.latest_ms.max(match &e {
            Exported::V4 { record, .. } => record.last,
            Exported::V6 { record, .. } => record.last,
        });
        self.write_line(from, &e);
        let Some(stats) = self.stats.instances.get_mut(usize::from(instance)) else {
            self.stats.orphaned += 1;
            return;
        };
        stats.records[family] += 1;
        let mut sent = false;
        for at in 0..self.collectors.len() {
            let c = &self.collectors[at];
            if c.instance != usize::from(instance) || c.family != family {
                continue;
            }
            match (&c.server.format, &e) {
                (ExportFormat::V5, Exported::V4 { record, .. }) => {
                    let records = v5_records(from, record);
                    let now = self.clock.now_ms().unwrap_or(self.latest_ms);
                    // Decided per record, so datagrams do not depend on thread timing.
                    if !self.collectors[at].pending.is_empty()
                        && now >= self.collectors[at].pending_since + FLUSH_MS
                    {
                        self.send_v5(at);
                    }
                    let c = &mut self.collectors[at];
                    c.stats.records += 1;
                    if c.pending.is_empty() {
                        c.pending_since = now;
                    }
                    c.pending.extend(records);
                    sent = true;
                    if c.pending.len() >= v5::MAX_RECORDS {
                        self.send_v5(at);
                    }
                }
                _ => self.collectors[at].stats.unsupported += 1,
            }
        }
        if sent && let Some(s) = self.stats.instances.get_mut(usize::from(instance)) {
            s.exported[family] += 1;
        }
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms().unwrap_or(self.latest_ms)
    }

    fn send_v5(&mut self, at: usize) {
        let now = self.now_ms();
        let unix_ms = self.clock.boot_unix_ms() + now;
        let rate = self
            .compiled
            .jflow
            .instances
            .get(self.collectors[at].instance)
            .map_or(1, |p| p.input.rate);
        let c = &mut self.collectors[at];
        while !c.pending.is_empty() {
            let n = c.pending.len().min(v5::MAX_RECORDS);
            let header = v5::Header {
                sys_uptime_ms: now as u32,
                unix_secs: (unix_ms / 1000) as u32,
                unix_nsecs: ((unix_ms % 1000) * 1_000_000) as u32,
                flow_sequence: c.sequence,
                engine_type: 0,
                engine_id: 0,
                sampling_interval: rate,
            };
            v5::encode(&header, &c.pending[..n], &mut self.scratch);
            c.sequence = c.sequence.wrapping_add(n as u32);
            c.pending.drain(..n);
            let datagram = std::mem::take(&mut self.scratch);
            c.send(&datagram);
            self.scratch = datagram;
        }
    }

    /// Sends the partial datagrams that have waited [`FLUSH_MS`] of engine time: on the
    /// capture's clock in replays, so a replay sends the same datagrams every time.
    fn flush_due(&mut self) {
        let now = self.now_ms();
        for at in 0..self.collectors.len() {
            let c = &self.collectors[at];
            if !c.pending.is_empty() && now >= c.pending_since + FLUSH_MS {
                self.send_v5(at);
            }
        }
        if let Some(f) = &mut self.file {
            let _ = f.flush();
        }
    }

    /// Sends partial datagrams and writes out the file.
    fn flush(&mut self) {
        for at in 0..self.collectors.len() {
            if !self.collectors[at].pending.is_empty() {
                self.send_v5(at);
            }
        }
        if let Some(f) = &mut self.file {
            let _ = f.flush();
        }
    }

    fn write_line(&mut self, from: &Compiled, e: &Exported) {
        let Some(f) = &mut self.file else {
            return;
        };
        let line = match e {
            Exported::V4 { instance, record } => json_line(from, *instance, record),
            Exported::V6 { instance, record } => json_line(from, *instance, record),
        };
        if writeln!(f, "{line}").is_ok() {
            self.stats.written += 1;
        }
    }
}

/// The SNMP-style index a record carries for a unit: its position plus one (0: none).
pub fn if_index(unit: u16) -> u16 {
    if unit == NO_UNIT { 0 } else { unit + 1 }
}

/// Route-derived fields: next hop and prefix lengths, read from the routes at export time.
fn route_fields(compiled: &Compiled, src: u128, dst: u128, v4: bool) -> (Option<IpAddr>, u8, u8) {
    let len = |a| {
        compiled
            .routes
            .lookup(a, v4)
            .map_or(0, |r| r.prefix.prefix_len())
    };
    let next_hop = match compiled.routes.lookup(dst, v4).map(|r| &r.target) {
        Some(Target::Forward { next_hop, .. }) => *next_hop,
        _ => None,
    };
    (next_hop, len(src), len(dst))
}

fn v5_records(compiled: &Compiled, r: &FlowRecord<u32>) -> Vec<v5::Record> {
    let (nh, src_mask, dst_mask) =
        route_fields(compiled, u128::from(r.key.src), u128::from(r.key.dst), true);
    let next_hop = match nh {
        Some(IpAddr::V4(a)) => a,
        _ => Ipv4Addr::UNSPECIFIED,
    };
    v5::split_counts(r.packets, r.bytes)
        .into_iter()
        .map(|(packets, bytes)| v5::Record {
            src: Ipv4Addr::from(r.key.src),
            dst: Ipv4Addr::from(r.key.dst),
            next_hop,
            input: if_index(r.key.input()),
            output: if_index(r.output),
            packets,
            bytes,
            first_ms: r.first as u32,
            last_ms: r.last as u32,
            src_port: r.key.src_port(),
            dst_port: r.key.dst_port(),
            tcp_flags: r.tcp_flags,
            protocol: r.key.protocol(),
            tos: r.key.tos(),
            src_as: 0,
            dst_as: 0,
            src_mask,
            dst_mask,
        })
        .collect()
}

/// One record as a JSON line (`flowsh replay --flow-records FILE`).
fn json_line<A: FlowAddr>(compiled: &Compiled, instance: u16, r: &FlowRecord<A>) -> String {
    let unit = |u: u16| compiled.units.get(usize::from(u)).map(|u| u.name.clone());
    let name = compiled
        .jflow
        .instances
        .get(usize::from(instance))
        .map(|p| p.name.clone());
    serde_json::json!({
        "instance": name,
        "src": r.key.src.ip(),
        "dst": r.key.dst.ip(),
        "src_port": r.key.src_port(),
        "dst_port": r.key.dst_port(),
        "protocol": r.key.protocol(),
        "tos": r.key.tos(),
        "input": unit(r.key.input()),
        "output": unit(r.output),
        "packets": r.packets,
        "bytes": r.bytes,
        "first_ms": r.first,
        "last_ms": r.last,
        "tcp_flags": r.tcp_flags,
        "end_reason": format!("{:?}", r.reason),
    })
    .to_string()
}
