//! Export: flow records that ended in the workers' tables go, over a channel, to one export
//! thread. It turns each into an [`ExportRecord`] once and offers it to every collector
//! (`flow-server`, up to 8 per family and instance) of the record's sampling instance and family,
//! each with its own format (v5, v8 aggregation, v9 or IPFIX templates), queue, rate limit,
//! transport and sequence numbers. A collector that cannot be reached costs counted send
//! failures, never a stall of the packet path.

mod batch;
pub mod collector;
pub mod record;
pub mod template;
pub mod templated;
pub mod v5;
pub mod v8;

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use flowsh_grammar::model::{Config, ExportFormat, FlowServer, Template};
use serde::Serialize;

use crate::clock::Clock;
use crate::dataplane::Compiled;
use crate::flow::{FlowAddr, FlowRecord};
use crate::jflow::Exported;

pub use collector::{CollectorStats, Inject};
pub use record::{ExportRecord, if_index};

use collector::{Collector, Encoder, Now};
use template::{Dialect, OptionValues};
use templated::Layout;

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
    /// Answered once everything sent before is encoded and sent (version 8 aggregates and
    /// partial datagrams included) and written.
    Sync(Sender<()>),
    /// `clear services accounting flow`: the counters restart (sequence numbers go on).
    Clear,
    Stop,
}

/// One sampling instance's export counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceExport {
    pub name: String,
    /// Per family (IPv4, IPv6): records that ended in the tables.
    pub records: [u64; 2],
    /// Per family: flows the family's collectors sent (the most any of them sent).
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

/// The export thread's state.
pub struct Exporter {
    compiled: Arc<Compiled>,
    clock: Clock,
    inject: Option<Inject>,
    collectors: Vec<Collector>,
    stats: ExportStats,
    file: Option<std::io::BufWriter<std::fs::File>>,
    /// Latest uptime seen in a record (capture time has no clock of its own).
    latest_ms: u64,
    /// Records sent to this exporter and not handled yet, for senders that wait on it.
    backlog: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("collectors", &self.collectors)
            .finish_non_exhaustive()
    }
}

fn template<'a>(cfg: &'a Config, f: &ExportFormat) -> Option<(Dialect, &'a Template)> {
    match f {
        ExportFormat::V9 { template } => cfg
            .flow_monitoring
            .v9_templates
            .iter()
            .find(|t| t.name == *template)
            .map(|t| (Dialect::V9, t)),
        ExportFormat::Ipfix { template } => cfg
            .flow_monitoring
            .ipfix_templates
            .iter()
            .find(|t| t.name == *template)
            .map(|t| (Dialect::Ipfix, t)),
        _ => None,
    }
}

/// Default template ids: one pair per template kind, in the range Junos allows.
fn default_id(kind: &flowsh_grammar::model::TemplateKind) -> u16 {
    use flowsh_grammar::model::TemplateKind as K;
    1024 + 2 * match kind {
        K::Ipv4 => 0,
        K::Ipv6 => 1,
        K::Mpls { .. } => 2,
        K::MplsIpv4 { .. } => 3,
        K::Bridge => 4,
    }
}

impl Exporter {
    /// `inject` sends packets out of the router's ports, for in-band export.
    pub fn new(clock: Clock, inject: Option<Inject>) -> Exporter {
        Exporter {
            compiled: Arc::new(Compiled::default()),
            clock,
            inject,
            collectors: Vec::new(),
            stats: ExportStats::default(),
            file: None,
            latest_ms: 0,
            backlog: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The count of records in flight to this exporter: a sender that adds what it sends can
    /// wait for the exporter to catch up.
    pub fn backlog(&self) -> Arc<AtomicUsize> {
        self.backlog.clone()
    }

    /// Runs until told to stop or until every sender is gone.
    pub fn run(mut self, rx: Receiver<ExportMsg>) {
        loop {
            let msg = match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    self.pump(false);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if !self.handle(msg) {
                break;
            }
            loop {
                match rx.try_recv() {
                    Ok(m) => {
                        if !self.handle(m) {
                            self.pump(true);
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.pump(true);
                        return;
                    }
                }
            }
            self.pump(false);
        }
        self.pump(true);
    }

    fn now(&self) -> Now {
        Now {
            ms: self.clock.now_ms().unwrap_or(self.latest_ms),
            boot_unix_ms: self.clock.boot_unix_ms(),
        }
    }

    /// Lets every collector send what is due (`force`: everything it holds).
    fn pump(&mut self, force: bool) {
        let now = self.now();
        for c in &mut self.collectors {
            c.pump(now, FLUSH_MS, force);
            c.flush();
        }
        if let Some(f) = &mut self.file {
            let _ = f.flush();
        }
    }

    fn handle(&mut self, msg: ExportMsg) -> bool {
        match msg {
            ExportMsg::Records(from, records) => {
                let n = records.len();
                // The producer's instance numbers, as ours (a commit may have renumbered them).
                let ours: Vec<Option<usize>> = from
                    .jflow
                    .instances
                    .iter()
                    .map(|p| self.stats.instances.iter().position(|s| s.name == p.name))
                    .collect();
                for r in records {
                    self.record(&from, &ours, r);
                }
                let _ = self
                    .backlog
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                        Some(b.saturating_sub(n))
                    });
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
                self.pump(true);
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
                    let s = &mut c.stats;
                    *s = CollectorStats {
                        address: std::mem::take(&mut s.address),
                        format: std::mem::take(&mut s.format),
                        family: std::mem::take(&mut s.family),
                        template_id: s.template_id,
                        ..CollectorStats::default()
                    };
                }
                self.stats.orphaned = 0;
            }
            ExportMsg::Stop => return false,
        }
        true
    }

    /// Builds a collector for a flow server as configured.
    fn collector(&self, c: &Compiled, instance: usize, family: usize, s: &FlowServer) -> Collector {
        let plan = &c.jflow.instances[instance];
        let now = self.now();
        let encoder = match (&s.format, template(&c.config, &s.format)) {
            (ExportFormat::V5, _) => Encoder::V5 { sequence: 0 },
            (ExportFormat::V8(schemes), _) => {
                let interval = plan.outputs[family]
                    .as_ref()
                    .map_or(90, |o| o.aggregate_export_interval);
                collector::v8_encoder(schemes, interval, now.ms)
            }
            (_, Some((dialect, t))) => {
                let data_id = t.template_id.unwrap_or(default_id(&t.kind));
                collector::templated(&Layout {
                    dialect,
                    kind: t.kind.clone(),
                    domain: u32::from(t.domain_id),
                    data_id,
                    options_id: t.option_template_id.unwrap_or(if data_id < u16::MAX {
                        data_id + 1
                    } else {
                        data_id - 1
                    }),
                    refresh: t.template_refresh,
                    option_refresh: t.option_refresh,
                    option_values: OptionValues {
                        domain: u32::from(t.domain_id),
                        rate: plan.input.rate,
                        active_s: t.flow_active_timeout as u16,
                        idle_s: t.flow_inactive_timeout as u16,
                    },
                })
            }
            // A template the commit checks let through but that is gone: nothing to encode.
            (_, None) => Encoder::V5 { sequence: 0 },
        };
        let output = plan.outputs[family].as_ref();
        let in_band = output
            .and_then(|o| o.inline_jflow.as_ref())
            .and_then(|i| i.source_address)
            .filter(|a| a.is_ipv4() == s.address.is_ipv4())
            .zip(self.inject.clone());
        let mut col = Collector::new(instance, family, s, encoder, in_band);
        col.sampling_interval = plan.input.rate;
        if let Some(rate) = output
            .and_then(|o| o.inline_jflow.as_ref())
            .and_then(|i| i.flow_export_rate)
        {
            // Thousands of packets per second.
            col.set_rate(u64::from(rate) * 1000);
        }
        if let Some(oi) = output.and_then(|o| o.interfaces.first()) {
            col.engine = (oi.engine_type.unwrap_or(0), oi.engine_id.unwrap_or(0));
        }
        col
    }

    /// Collectors follow the configuration; those that stay keep their queue, sequence numbers
    /// and counters, and announce their templates again.
    fn apply(&mut self, compiled: Arc<Compiled>) {
        let mut old = std::mem::take(&mut self.collectors);
        let old_names: Vec<String> = self
            .stats
            .instances
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let mut instances = Vec::new();
        for (i, p) in compiled.jflow.instances.iter().enumerate() {
            let previous = self.stats.instances.iter().find(|s| s.name == p.name);
            instances.push(InstanceExport {
                name: p.name.clone(),
                ..previous.cloned().unwrap_or_default()
            });
            for (fam, out) in p.outputs.iter().enumerate() {
                for server in out.iter().flat_map(|o| &o.flow_servers) {
                    let mut c = self.collector(&compiled, i, fam, server);
                    let same = |o: &Collector| {
                        old_names.get(o.instance) == Some(&p.name)
                            && o.family == fam
                            && o.to() == c.to()
                            && std::mem::discriminant(&o.server.format)
                                == std::mem::discriminant(&server.format)
                    };
                    if let Some(at) = old.iter().position(same) {
                        c.inherit(old.swap_remove(at));
                    }
                    self.collectors.push(c);
                }
            }
        }
        // Collectors the commit removed send what they still hold.
        let now = self.now();
        for mut c in old {
            c.pump(now, FLUSH_MS, true);
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
                i.exported[c.family] = i.exported[c.family].max(c.stats.flows);
                i.send_failures += c.stats.send_failures;
            }
        }
        s
    }

    fn record(&mut self, from: &Compiled, ours: &[Option<usize>], e: Exported) {
        let (at, family, last) = match &e {
            Exported::V4 { instance, record } => (*instance, 0, record.last),
            Exported::V6 { instance, record } => (*instance, 1, record.last),
        };
        self.latest_ms = self.latest_ms.max(last);
        self.write_line(from, &e);
        let Some(&Some(instance)) = ours.get(usize::from(at)) else {
            self.stats.orphaned += 1;
            return;
        };
        self.stats.instances[instance].records[family] += 1;
        // Built only for a collector that takes it: a replay without one ends a million
        // flows here.
        if !self
            .collectors
            .iter()
            .any(|c| c.instance == instance && c.family == family)
        {
            return;
        }
        let r = match &e {
            Exported::V4 { record, .. } => ExportRecord::of(from, record),
            Exported::V6 { record, .. } => ExportRecord::of(from, record),
        };
        let now = self.now();
        for c in &mut self.collectors {
            if c.instance == instance && c.family == family {
                c.offer(&r, now, FLUSH_MS);
            }
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

/// One record as a JSON line (`flowsh replay --flow-records FILE`).
fn json_line<A: FlowAddr>(compiled: &Compiled, instance: u16, r: &FlowRecord<A>) -> String {
    let unit = |u: u16| compiled.units.get(usize::from(u)).map(|u| u.name.clone());
    let name = compiled
        .jflow
        .instances
        .get(usize::from(instance))
        .map(|p| p.name.clone());
    let ip: IpAddr = r.key.src.ip();
    serde_json::json!({
        "instance": name,
        "src": ip,
        "dst": r.key.dst.ip(),
        "src_port": r.key.src_port(),
        "dst_port": r.key.dst_port(),
        "protocol": r.key.protocol(),
        "tos": r.key.tos(),
        "input": unit(r.key.input()),
        "output": unit(r.output),
        "direction": if r.key.egress() { "egress" } else { "ingress" },
        "packets": r.packets,
        "bytes": r.bytes,
        "first_ms": r.first,
        "last_ms": r.last,
        "tcp_flags": r.tcp_flags,
        "end_reason": format!("{:?}", r.reason),
    })
    .to_string()
}

#[cfg(test)]
mod tests;
