//! `show services accounting ...` and `show flow-table`: J-Flow's counters and flows, in the
//! layouts of Junos inline J-Flow, as text or as Junos-style JSON.

use std::collections::BTreeMap;
use std::fmt::Write;

use flowsh_engine::Snapshot;
use flowsh_engine::export::{InstanceExport, if_index};
use flowsh_engine::flow::{NO_UNIT, TableStats};
use flowsh_engine::jflow::{FlowEntry, InstanceStats};
use serde_json::{Value, json};

/// A Junos JSON leaf: `[{"data": "..."}]`.
fn data(v: impl ToString) -> Value {
    json!([{ "data": v.to_string() }])
}

/// The Junos JSON document `{"services-accounting-information": [{ section: [items] }]}`.
fn document(section: &str, items: Vec<Value>) -> String {
    let doc = json!({ "services-accounting-information": [{ section: items }] });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Object with keys in the given order (serde_json keeps insertion order here).
fn object<K: ToString>(fields: &[(K, Value)]) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in fields {
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

fn service_name(name: &str) -> &str {
    if name.is_empty() {
        "(default sampling)"
    } else {
        name
    }
}

fn export_of<'a>(s: &'a Snapshot, name: &str) -> Option<&'a InstanceExport> {
    s.export.instances.iter().find(|e| e.name == name)
}

/// Counters of one family (or both) of an instance.
struct FamilyLine {
    packets: u64,
    bytes: u64,
    active: u64,
    created: u64,
    exported: u64,
    datagrams: u64,
    inactive: u64,
    active_timeouts: u64,
}

fn family_line(t: &TableStats, active: u64, exported: u64, datagrams: u64) -> FamilyLine {
    FamilyLine {
        packets: t.packets,
        bytes: t.bytes,
        active,
        created: t.created,
        exported,
        datagrams,
        inactive: t.inactive_timeouts,
        active_timeouts: t.active_timeouts,
    }
}

fn lines(s: &Snapshot, i: &InstanceStats) -> [FamilyLine; 3] {
    let e = export_of(s, &i.name);
    let ex = |f: usize| e.map_or(0, |e| e.exported[f]);
    let dg = |f: usize| e.map_or(0, |e| e.datagrams[f]);
    let v4 = family_line(&i.v4, i.v4_flows, ex(0), dg(0));
    let v6 = family_line(&i.v6, i.v6_flows, ex(1), dg(1));
    let all = FamilyLine {
        packets: v4.packets + v6.packets,
        bytes: v4.bytes + v6.bytes,
        active: v4.active + v6.active,
        created: v4.created + v6.created,
        exported: v4.exported + v6.exported,
        datagrams: v4.datagrams + v6.datagrams,
        inactive: v4.inactive + v6.inactive,
        active_timeouts: v4.active_timeouts + v6.active_timeouts,
    };
    [all, v4, v6]
}

const NOT_SAMPLING: &str = "error: sampling is not configured\n";

/// `show services accounting flow`.
pub fn flow(s: &Snapshot, as_json: bool) -> Result<String, String> {
    if s.jflow.is_empty() {
        return Err(NOT_SAMPLING.into());
    }
    let named = s.jflow.len() > 1;
    if as_json {
        let items = s
            .jflow
            .iter()
            .map(|i| {
                let [all, v4, v6] = lines(s, i);
                let mut f = vec![("service-name".to_string(), data(service_name(&i.name)))];
                for (prefix, l) in [("", &all), ("ipv4-", &v4), ("ipv6-", &v6)] {
                    let k = |n: &str| format!("{prefix}{n}");
                    f.extend([
                        (k("flow-packets"), data(l.packets)),
                        (k("flow-bytes"), data(l.bytes)),
                        (k("active-flows"), data(l.active)),
                        (k("total-flows"), data(l.created)),
                        (k("flows-exported"), data(l.exported)),
                        (k("flow-packets-exported"), data(l.datagrams)),
                        (k("flows-inactive-timed-out"), data(l.inactive)),
                        (k("flows-active-timed-out"), data(l.active_timeouts)),
                        (k("flow-insert-count"), data(l.created)),
                    ]);
                }
                object(&f)
            })
            .collect();
        return Ok(document("flow-information", items));
    }
    let mut out = String::new();
    for i in &s.jflow {
        let [all, v4, v6] = lines(s, i);
        out.push_str("  Flow information\n");
        if named {
            let _ = writeln!(out, "    Service name: {}", service_name(&i.name));
        }
        let _ = write!(
            out,
            "    Flow Packets: {}, Flow Bytes: {}\n    Active Flows: {}, Total Flows: {}\n    \
             Flows Exported: {}, Flow Packets Exported: {}\n    \
             Flows Inactive Timed Out: {}, Flows Active Timed Out: {}\n    \
             Total Flow Insert Count: {}\n",
            all.packets,
            all.bytes,
            all.active,
            all.created,
            all.exported,
            all.datagrams,
            all.inactive,
            all.active_timeouts,
            all.created
        );
        for (fam, l, exported) in [("IPv4", &v4, "exported"), ("IPv6", &v6, "Exported")] {
            let _ = write!(
                out,
                "\n    {fam} Flows:\n    {fam} Flow Packets: {}, {fam} Flow Bytes: {}\n    \
                 {fam} Active Flows: {}, {fam} Total Flows: {}\n    \
                 {fam} Flows Exported: {}, {fam} Flow Packets {exported}: {}\n    \
                 {fam} Flows Inactive Timed Out: {}, {fam} Flows Active Timed Out: {}\n    \
                 {fam} Flow Insert Count: {}\n",
                l.packets,
                l.bytes,
                l.active,
                l.created,
                l.exported,
                l.datagrams,
                l.inactive,
                l.active_timeouts,
                l.created
            );
        }
    }
    Ok(out)
}

/// `show services accounting errors`: the Junos counters, then flowsh's own named ones.
pub fn errors(s: &Snapshot, as_json: bool) -> Result<String, String> {
    if s.jflow.is_empty() {
        return Err(NOT_SAMPLING.into());
    }
    let named = s.jflow.len() > 1;
    let mut out = String::new();
    let mut items = Vec::new();
    for i in &s.jflow {
        let e = export_of(s, &i.name);
        let failures = e.map_or(0, |e| e.send_failures);
        let collectors = e.map(|e| e.collectors.as_slice()).unwrap_or_default();
        let dropped: u64 = collectors.iter().map(|c| c.dropped).sum();
        let unsupported: u64 = collectors.iter().map(|c| c.unsupported).sum();
        let creation = i.v4.creation_failures + i.v6.creation_failures;
        let overload = i.v4.overload_exports + i.v6.overload_exports;
        let fragments = i.v4.fragments_ignored + i.v6.fragments_ignored;
        let yes_no = if overload > 0 { "Yes" } else { "No" };
        if as_json {
            items.push(object(&[
                ("service-name", data(service_name(&i.name))),
                ("service-set-dropped", data(0)),
                ("active-timeout-failures", data(0)),
                ("export-packet-failures", data(failures)),
                ("flow-creation-failures", data(creation)),
                ("export-records-dropped", data(dropped)),
                ("export-records-unsupported", data(unsupported)),
                ("memory-overload", data(yes_no)),
                ("flows-exported-for-lack-of-resources", data(overload)),
                ("non-first-fragments-ignored", data(fragments)),
                ("samples-over-rate-limit", data(i.sampler.rate_limited)),
            ]));
            continue;
        }
        out.push_str("  Error information\n");
        if named {
            let _ = writeln!(out, "    Service name: {}", service_name(&i.name));
        }
        let _ = write!(
            out,
            "    Service sets dropped: 0, Active timeout failures: 0\n    \
             Export packet failures: {failures}, Flow creation failures: {creation}\n    \
             Memory overload: {yes_no}\n    \
             Flows exported for lack of resources: {overload}\n    \
             Non-first fragments ignored: {fragments}, Samples over rate limit: {}\n    \
             Export records dropped (queue full): {dropped}, \
             Export records the format cannot carry: {unsupported}\n",
            i.sampler.rate_limited
        );
    }
    Ok(if as_json {
        document("error-information", items)
    } else {
        out
    })
}

/// `show services accounting status`: formats, table sizes, sampling settings and collectors.
pub fn status(s: &Snapshot, as_json: bool) -> Result<String, String> {
    let plan = &s.compiled.jflow;
    if plan.instances.is_empty() {
        return Err(NOT_SAMPLING.into());
    }
    let routes = &s.compiled.routes.routes;
    let v4_routes = routes.iter().filter(|r| r.prefix.addr().is_ipv4()).count();
    let v6_routes = routes.len() - v4_routes;
    let mut out = String::new();
    let mut items = Vec::new();
    for p in &plan.instances {
        let format = |f: usize| {
            p.outputs[f]
                .as_ref()
                .and_then(|o| o.flow_servers.first())
                .map_or("Not set".to_string(), |fs| match &fs.format {
                    flowsh_grammar::model::ExportFormat::V5 => "Version 5".into(),
                    flowsh_grammar::model::ExportFormat::V8(_) => "Version 8".into(),
                    flowsh_grammar::model::ExportFormat::V9 { .. } => "Version 9".into(),
                    flowsh_grammar::model::ExportFormat::Ipfix { .. } => "Version-IPFIX".into(),
                })
        };
        let stats = s.jflow.iter().find(|i| i.name == p.name);
        let cap = |f: usize| {
            stats.map_or(p.limits[f].capacity as u64, |i| {
                if f == 0 { i.v4_capacity } else { i.v6_capacity }
            })
        };
        let collectors: Vec<_> = export_of(s, &p.name)
            .map(|e| e.collectors.clone())
            .unwrap_or_default();
        if as_json {
            items.push(object(&[
                ("service-name", data(service_name(&p.name))),
                ("ipv4-export-format", data(format(0))),
                ("ipv6-export-format", data(format(1))),
                ("ipv4-route-record-count", data(v4_routes)),
                ("ipv6-route-record-count", data(v6_routes)),
                ("route-record-count", data(routes.len())),
                ("as-count", data(0)),
                ("ipv4-max-flow-count", data(cap(0))),
                ("ipv6-max-flow-count", data(cap(1))),
                ("sampling-rate", data(p.input.rate)),
                ("run-length", data(p.input.run_length)),
                (
                    "max-packets-per-second",
                    data(p.input.max_packets_per_second),
                ),
                ("flow-active-timeout", data(p.limits[0].active_ms / 1000)),
                (
                    "flow-inactive-timeout",
                    data(p.limits[0].inactive_ms / 1000),
                ),
                (
                    "collectors",
                    Value::Array(
                        collectors
                            .iter()
                            .map(|c| serde_json::to_value(c).unwrap_or_default())
                            .collect(),
                    ),
                ),
            ]));
            continue;
        }
        let _ = write!(
            out,
            "  Status information\n    Service name: {}\n    \
             IPv4 export format: {}, IPv6 export format: {}\n    \
             IPv4 Route Record Count: {v4_routes}, IPv6 Route Record Count: {v6_routes}\n    \
             Route Record Count: {}, AS count: 0\n    \
             Route-Records Set: Yes, Config Set: Yes\n    \
             IPv4 MAX FLOW Count: {}, IPv6 MAX FLOW Count: {}\n    \
             Sampling rate: {}, Run length: {}, Max packets per second: {}\n    \
             Flow active timeout: {}, Flow inactive timeout: {}\n",
            service_name(&p.name),
            format(0),
            format(1),
            routes.len(),
            cap(0),
            cap(1),
            p.input.rate,
            p.input.run_length,
            p.input.max_packets_per_second,
            p.limits[0].active_ms / 1000,
            p.limits[0].inactive_ms / 1000,
        );
        for c in &collectors {
            let _ = writeln!(
                out,
                "    Collector: {} ({}, {}), Flows: {}, Records: {}, Packets: {}, \
                 Send failures: {}, Queued: {}, Dropped: {}, Rate limited: {}",
                c.address,
                c.format,
                c.family,
                c.flows,
                c.records,
                c.datagrams,
                c.send_failures,
                c.queued,
                c.dropped,
                c.rate_limited
            );
            if let Some(id) = c.template_id {
                let _ = writeln!(
                    out,
                    "      Template id: {id}, Template announcements: {}",
                    c.template_announcements
                );
            }
            if let Some(e) = &c.last_error {
                let _ = writeln!(out, "      Last error: {e}");
            }
        }
    }
    Ok(if as_json {
        document("status-information", items)
    } else {
        out
    })
}

/// `show services accounting usage`: the workers' busy share.
pub fn usage(s: &Snapshot, as_json: bool) -> String {
    let (five, minute) = (s.load.0.round() as u64, s.load.1.round() as u64);
    if as_json {
        return document(
            "usage-information",
            vec![object(&[
                ("uptime", data(s.now_ms)),
                ("interrupt-time", data(0)),
                ("five-second-load", data(five)),
                ("one-minute-load", data(minute)),
                ("workers", data(s.workers)),
            ])],
        );
    }
    format!(
        "  CPU utilization\n    Uptime: {} milliseconds, Interrupt time: 0 microseconds\n    \
         Load (5 second): {five}%, Load (1 minute): {minute}%\n",
        s.now_ms
    )
}

/// What the process holds, for `show services accounting memory`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessMemory {
    pub used: u64,
    pub free: u64,
}

/// `show services accounting memory`: flow entries allocated and freed, memory in use.
pub fn memory(s: &Snapshot, m: ProcessMemory, as_json: bool) -> String {
    let sum = |f: fn(&InstanceStats) -> u64| s.jflow.iter().map(f).sum::<u64>();
    let allocated = sum(|i| i.v4.created + i.v6.created);
    let held = sum(|i| i.v4_flows + i.v6_flows);
    let freed = allocated.saturating_sub(held);
    let tables = sum(|i| i.memory_bytes);
    let seconds = (s.now_ms / 1000).max(1);
    if as_json {
        return document(
            "memory-utilization",
            vec![object(&[
                ("allocation-count", data(allocated)),
                ("free-count", data(freed)),
                ("allocations-per-second", data(allocated / seconds)),
                ("frees-per-second", data(freed / seconds)),
                ("total-memory-used", data(m.used)),
                ("total-memory-free", data(m.free)),
                ("memory-used-by-flow-tables", data(tables)),
            ])],
        );
    }
    format!(
        "  Memory utilization\n    Allocation count: {allocated}, Free count: {freed}\n    \
         Allocations per second: {}, Frees per second: {}\n    \
         Total memory used (in bytes): {}, Total memory free (in bytes): {}\n    \
         Memory used by flow tables (in bytes): {tables}\n",
        allocated / seconds,
        freed / seconds,
        m.used,
        m.free
    )
}

fn unit_name(s: &Snapshot, u: u16) -> String {
    if u == NO_UNIT {
        return "-".into();
    }
    s.compiled
        .units
        .get(usize::from(u))
        .map_or_else(|| "-".into(), |u| u.name.clone())
}

fn prefix_len(s: &Snapshot, a: std::net::IpAddr) -> u8 {
    let (n, v4) = match a {
        std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), true),
        std::net::IpAddr::V6(a) => (u128::from(a), false),
    };
    s.compiled
        .routes
        .lookup(n, v4)
        .map_or(0, |r| r.prefix.prefix_len())
}

/// `show services accounting flow-detail`: one block per flow.
pub fn flow_detail(s: &Snapshot, flows: &[FlowEntry], as_json: bool) -> String {
    if as_json {
        let items: Vec<Value> = flows
            .iter()
            .map(|f| {
                object(&[
                    ("tos", data(f.tos)),
                    ("protocol", data(f.protocol)),
                    ("tcp-flags", data(f.tcp_flags)),
                    ("source-address", data(f.src)),
                    ("source-prefix-length", data(prefix_len(s, f.src))),
                    ("destination-address", data(f.dst)),
                    ("destination-prefix-length", data(prefix_len(s, f.dst))),
                    ("source-port", data(f.src_port)),
                    ("destination-port", data(f.dst_port)),
                    ("input-snmp-interface-index", data(if_index(f.input))),
                    ("output-snmp-interface-index", data(if_index(f.output))),
                    ("input-interface-name", data(unit_name(s, f.input))),
                    ("output-interface-name", data(unit_name(s, f.output))),
                    ("start-time", data(f.first)),
                    ("end-time", data(f.last)),
                    ("packet-count", data(f.packets)),
                    ("byte-count", data(f.bytes)),
                ])
            })
            .collect();
        return document("flow-detail", vec![json!({ "detail-entry": items })]);
    }
    let mut out = String::new();
    for (n, f) in flows.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = write!(
            out,
            "  Source address: {}, Destination address: {}\n  \
             Source port: {}, Destination port: {}\n  \
             Protocol: {}, TOS: {}, TCP flags: {}\n  \
             Source mask: {}, Destination mask: {}\n  \
             Input SNMP interface index: {}, Output SNMP interface index: {}\n  \
             Input interface: {}, Output interface: {}\n  \
             Start time: {}, End time: {}\n  \
             Packet count: {}, Byte count: {}\n",
            f.src,
            f.dst,
            f.src_port,
            f.dst_port,
            f.protocol,
            f.tos,
            f.tcp_flags,
            prefix_len(s, f.src),
            prefix_len(s, f.dst),
            if_index(f.input),
            if_index(f.output),
            unit_name(s, f.input),
            unit_name(s, f.output),
            f.first,
            f.last,
            f.packets,
            f.bytes
        );
    }
    out
}

/// `show flow-table`: the flow table, one row per flow.
pub fn flow_table(s: &Snapshot, flows: &[FlowEntry]) -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record([
        "Source",
        "Destination",
        "Proto",
        "Sport",
        "Dport",
        "TOS",
        "Input",
        "Output",
        "Packets",
        "Bytes",
        "Flags",
        "Start",
        "Last",
    ]);
    for f in flows {
        b.push_record([
            f.src.to_string(),
            f.dst.to_string(),
            f.protocol.to_string(),
            f.src_port.to_string(),
            f.dst_port.to_string(),
            f.tos.to_string(),
            unit_name(s, f.input),
            unit_name(s, f.output),
            f.packets.to_string(),
            f.bytes.to_string(),
            format!("{:#04x}", f.tcp_flags),
            f.first.to_string(),
            f.last.to_string(),
        ]);
    }
    let mut t = b.build();
    t.with(tabled::settings::Style::blank());
    format!("{t}\n{} flows\n", flows.len())
}

/// The aggregations of `show services accounting aggregation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    ProtocolPort,
    SourcePrefix,
    DestinationPrefix,
    As,
}

/// `show services accounting aggregation KIND`: the active flows summed by the aggregation's
/// key, largest first when ordered.
pub fn aggregation(
    s: &Snapshot,
    kind: Aggregation,
    flows: &[FlowEntry],
    order: Option<Order>,
    limit: Option<usize>,
    as_json: bool,
) -> String {
    // Key fields as (label, value) pairs, in display order.
    let key = |f: &FlowEntry| -> Vec<(&'static str, String)> {
        match kind {
            Aggregation::ProtocolPort => vec![
                ("Protocol", f.protocol.to_string()),
                ("Source port", f.src_port.to_string()),
                ("Destination port", f.dst_port.to_string()),
            ],
            Aggregation::SourcePrefix => {
                let len = prefix_len(s, f.src);
                vec![
                    ("Source prefix", prefix(f.src, len)),
                    ("Source prefix length", len.to_string()),
                    ("Input SNMP interface index", if_index(f.input).to_string()),
                ]
            }
            Aggregation::DestinationPrefix => {
                let len = prefix_len(s, f.dst);
                vec![
                    ("Destination prefix", prefix(f.dst, len)),
                    ("Destination prefix length", len.to_string()),
                    (
                        "Output SNMP interface index",
                        if_index(f.output).to_string(),
                    ),
                ]
            }
            Aggregation::As => vec![
                ("Source-AS", "0".into()),
                ("Destination-AS", "0".into()),
                ("Input SNMP interface index", if_index(f.input).to_string()),
                (
                    "Output SNMP interface index",
                    if_index(f.output).to_string(),
                ),
            ],
        }
    };
    let mut groups: BTreeMap<GroupKey, (u64, u64, u64)> = BTreeMap::new();
    for f in flows {
        let g = groups.entry(key(f)).or_default();
        g.0 += 1;
        g.1 += f.packets;
        g.2 += f.bytes;
    }
    let mut rows: Vec<_> = groups.into_iter().collect();
    match order {
        Some(Order::Bytes) => rows.sort_by_key(|r| std::cmp::Reverse(r.1.2)),
        Some(Order::Packets) => rows.sort_by_key(|r| std::cmp::Reverse(r.1.1)),
        None => {}
    }
    rows.truncate(limit.unwrap_or(usize::MAX));
    if as_json {
        let items = rows
            .iter()
            .map(|(k, (n, p, b))| {
                let mut f: Vec<(String, Value)> = k
                    .iter()
                    .map(|(l, v)| (l.to_lowercase().replace(' ', "-"), data(v)))
                    .collect();
                f.push(("flow-count".into(), data(n)));
                f.push(("packet-count".into(), data(p)));
                f.push(("byte-count".into(), data(b)));
                object(&f)
            })
            .collect();
        return document("aggregation-information", items);
    }
    let mut out = String::new();
    for (n, (k, (flows, packets, bytes))) in rows.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let fields: Vec<String> = k.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        let _ = write!(
            out,
            "  {}\n  Flow count: {flows}, Packet count: {packets}, Byte count: {bytes}\n",
            fields.join(", ")
        );
    }
    out
}

fn prefix(a: std::net::IpAddr, len: u8) -> String {
    ipnet::IpNet::new(a, len).map_or_else(|_| a.to_string(), |n| n.trunc().to_string())
}

/// An aggregation key: its fields as (label, value), in display order.
type GroupKey = Vec<(&'static str, String)>;

/// `order bytes|packets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Bytes,
    Packets,
}
