//! The encoders against a third decoder no one here wrote (the netflow_parser crate).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flowsh_grammar::model::{Refresh, TemplateKind};
use netflow_parser::netflow_common::NetflowCommon;
use netflow_parser::{NetflowPacket, NetflowParser};
use proptest::prelude::*;

use super::record::ExportRecord;
use super::template::{Dialect, OptionValues};
use super::templated::{Layout, MAX_PAYLOAD, Templated};
use super::v5;

fn record(i: u32, v6: bool) -> ExportRecord {
    let (src, dst) = if v6 {
        (
            u128::from(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, i as u16 + 2)),
            u128::from(Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 9)),
        )
    } else {
        (
            u128::from(u32::from(Ipv4Addr::new(10, 0, 1, 2)) + i),
            u128::from(u32::from(Ipv4Addr::new(172, 16, 0, 9))),
        )
    };
    ExportRecord {
        v6,
        src,
        dst,
        src_port: 1000 + i as u16,
        dst_port: 53,
        protocol: 17,
        packets: u64::from(i) + 1,
        bytes: 100 * (u64::from(i) + 1),
        first_ms: 5_000 + u64::from(i),
        last_ms: 9_000 + u64::from(i),
        input: 1,
        output: 2,
        end_reason: 1,
        ..ExportRecord::default()
    }
}

fn ip(r: &ExportRecord) -> (IpAddr, IpAddr) {
    if r.v6 {
        (IpAddr::V6(r.src.into()), IpAddr::V6(r.dst.into()))
    } else {
        (
            IpAddr::V4((r.src as u32).into()),
            IpAddr::V4((r.dst as u32).into()),
        )
    }
}

/// The flows of these records, as `flows` reads them back.
fn keys(records: &[ExportRecord]) -> Vec<(IpAddr, IpAddr, u16, u16)> {
    records
        .iter()
        .map(|r| {
            let (s, d) = ip(r);
            (s, d, r.src_port, r.dst_port)
        })
        .collect()
}

/// Every flow of every packet the parser found: (source, destination, source port, dest port).
fn flows(packets: &[NetflowPacket]) -> Vec<(IpAddr, IpAddr, u16, u16)> {
    packets
        .iter()
        .filter_map(|p| NetflowCommon::try_from(p).ok())
        .flat_map(|c| c.flowsets)
        .filter_map(|f| Some((f.src_addr?, f.dst_addr?, f.src_port?, f.dst_port?)))
        .collect()
}

#[test]
fn version_5_decodes_with_its_header_and_records() {
    let records: Vec<ExportRecord> = (0..30).map(|i| record(i, false)).collect();
    let v5_records: Vec<v5::Record> = records.iter().flat_map(v5::records_of).collect();
    let header = v5::Header {
        sys_uptime_ms: 10_000,
        unix_secs: 1_767_268_800,
        unix_nsecs: 0,
        flow_sequence: 60,
        engine_type: 1,
        engine_id: 2,
        sampling_interval: 100,
    };
    let mut out = Vec::new();
    v5::encode(&header, &v5_records, &mut out);
    let parsed = NetflowParser::default().parse_bytes(&out);
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let Some(NetflowPacket::V5(p)) = parsed.packets.first() else {
        panic!("not v5: {:?}", parsed.packets)
    };
    assert_eq!((p.header.count, p.header.flow_sequence), (30, 60));
    assert_eq!(p.header.sampling_interval, 0x4000 | 100);
    assert_eq!(p.flowsets[7].d_pkts, 8);
    assert_eq!(p.flowsets[7].d_octets, 800);
    let want = keys(&records);
    assert_eq!(flows(&parsed.packets), want);
}

fn layout(dialect: Dialect, kind: TemplateKind) -> Layout {
    Layout {
        dialect,
        kind,
        domain: 9,
        data_id: 1024,
        options_id: 1025,
        refresh: Refresh {
            packets: 4800,
            seconds: 60,
        },
        option_refresh: Refresh {
            packets: 4800,
            seconds: 60,
        },
        option_values: OptionValues {
            domain: 9,
            rate: 100,
            active_s: 60,
            idle_s: 15,
        },
    }
}

/// Encodes every record in as many messages as it takes; the messages.
fn encode(t: &mut Templated, records: &[ExportRecord]) -> Vec<Vec<u8>> {
    let mut left = records;
    let mut messages = Vec::new();
    while !left.is_empty() {
        let mut out = Vec::new();
        let n = t.message(left.iter(), left.len(), 20_000, 1_767_268_800_000, &mut out);
        assert!(out.len() <= MAX_PAYLOAD, "{} bytes", out.len());
        assert!(n > 0);
        messages.push(out);
        left = &left[n..];
    }
    messages
}

fn decodes(dialect: Dialect, kind: TemplateKind, records: &[ExportRecord]) {
    let mut t = Templated::new(&layout(dialect, kind));
    let messages = encode(&mut t, records);
    let mut parser = NetflowParser::default();
    let mut packets = Vec::new();
    for m in &messages {
        let parsed = parser.parse_bytes(m);
        assert!(parsed.error.is_none(), "{:?}", parsed.error);
        packets.extend(parsed.packets);
    }
    let want = keys(records);
    assert_eq!(flows(&packets), want);
    // Sequence numbers as WIRE.md has them: v9 counts messages, IPFIX data records.
    for (i, p) in packets.iter().enumerate() {
        match p {
            NetflowPacket::V9(v) => assert_eq!(v.header.sequence_number, i as u32),
            NetflowPacket::IPFix(x) => assert_eq!(x.header.length as usize, messages[i].len()),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn version_9_and_ipfix_decode_for_both_families() {
    let v4: Vec<ExportRecord> = (0..100).map(|i| record(i, false)).collect();
    let v6: Vec<ExportRecord> = (0..100).map(|i| record(i, true)).collect();
    for d in [Dialect::V9, Dialect::Ipfix] {
        decodes(d, TemplateKind::Ipv4, &v4);
        decodes(d, TemplateKind::Ipv6, &v6);
    }
}

#[test]
fn ipfix_sequence_counts_the_data_records_sent_before() {
    let records: Vec<ExportRecord> = (0..200).map(|i| record(i, false)).collect();
    let mut t = Templated::new(&layout(Dialect::Ipfix, TemplateKind::Ipv4));
    let messages = encode(&mut t, &records);
    let mut parser = NetflowParser::default();
    // The options record (the sampling interval) in the first message is a data record too.
    let mut sent = 0u32;
    for (i, m) in messages.iter().enumerate() {
        let parsed = parser.parse_bytes(m);
        let Some(NetflowPacket::IPFix(x)) = parsed.packets.first() else {
            panic!("not IPFIX")
        };
        assert_eq!(x.header.sequence_number, sent);
        sent += flows(&parsed.packets).len() as u32 + u32::from(i == 0);
    }
    assert_eq!(sent, 201);
    assert_eq!(t.sequence, 201);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_records_decode_as_encoded(
        n in 1..400usize,
        seed in any::<u32>(),
        v6 in any::<bool>(),
        ipfix in any::<bool>(),
    ) {
        let records: Vec<ExportRecord> = (0..n as u32)
            .map(|i| record(i.wrapping_mul(seed | 1) % 60_000, v6))
            .collect();
        let dialect = if ipfix { Dialect::Ipfix } else { Dialect::V9 };
        let kind = if v6 { TemplateKind::Ipv6 } else { TemplateKind::Ipv4 };
        decodes(dialect, kind, &records);
    }
}

// The export thread's own behaviour, driven message by message on a manual clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::clock::Clock;
use crate::dataplane::Compiled;
use crate::flow::{EndReason, FlowRecord, Key};
use crate::jflow::Exported;

use super::{ExportMsg, Exporter};

fn compiled(lines: &str) -> Arc<Compiled> {
    let text: String = lines.lines().map(|l| format!("{}\n", l.trim())).collect();
    let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree)
        .map_err(|e| flowsh_grammar::check::render_errors(&e))
        .unwrap();
    Arc::new(Compiled::build(&cfg))
}

fn flow(i: u32) -> Exported {
    Exported::V4 {
        instance: 0,
        record: FlowRecord {
            key: Key::new(0x0a00_0102 + i, 0xac10_0009, 1000, 53, 17, 0, 0),
            packets: 2,
            bytes: 200,
            first: 1_000,
            last: 2_000,
            tcp_flags: 0,
            output: 1,
            reason: EndReason::Idle,
        },
    }
}

struct Rig {
    exporter: Exporter,
    time: Arc<AtomicU64>,
    sink: std::net::UdpSocket,
    /// Packets sent in-band (out of the router's ports).
    injected: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl Rig {
    fn new() -> Rig {
        let time = Arc::new(AtomicU64::new(10_000));
        let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sink.set_nonblocking(true).unwrap();
        let injected = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = injected.clone();
        let inject: super::Inject = Arc::new(move |p| into.lock().unwrap().push(p));
        Rig {
            exporter: Exporter::new(Clock::Manual(time.clone()), Some(inject)),
            time,
            sink,
            injected,
        }
    }

    fn injected(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.injected.lock().unwrap())
    }

    fn port(&self) -> u16 {
        self.sink.local_addr().unwrap().port()
    }

    fn send(&mut self, m: ExportMsg) {
        assert!(self.exporter.handle(m));
    }

    fn received(&self) -> Vec<Vec<u8>> {
        let mut buf = vec![0u8; 65_536];
        let mut got = Vec::new();
        while let Ok(n) = self.sink.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        got
    }
}

fn config(port: u16, template: &str, extra: &str) -> String {
    format!(
        "set services flow-monitoring version9 template a ipv4-template
         set services flow-monitoring version9 template b mpls-ipv4-template
         set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
         set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
         set forwarding-options sampling input rate 1
         set forwarding-options sampling family inet output flow-server 127.0.0.1 port {port}
         set forwarding-options sampling family inet output flow-server 127.0.0.1 {template}
         {extra}"
    )
}

#[test]
fn a_commit_that_changes_the_template_announces_a_new_id_and_loses_no_record() {
    let mut rig = Rig::new();
    let a = compiled(&config(rig.port(), "version9 template a", ""));
    rig.send(ExportMsg::Apply(a.clone()));
    let records: Vec<Exported> = (0..10).map(flow).collect();
    rig.send(ExportMsg::Records(a, records));
    // Still waiting for a datagram to fill when the layout changes.
    let b = compiled(&config(rig.port(), "version9 template b", ""));
    rig.send(ExportMsg::Apply(b));
    let (tx, rx) = std::sync::mpsc::channel();
    rig.send(ExportMsg::Sync(tx));
    rx.recv().unwrap();
    let got = rig.received();
    let mut parser = NetflowParser::default();
    let mut data = 0;
    let mut template_ids = Vec::new();
    for d in &got {
        for p in parser.parse_bytes(d).packets {
            let NetflowPacket::V9(v) = p else { panic!() };
            for fs in v.flowsets {
                match fs.header.flowset_id {
                    0 => template_ids.push(u16::from_be_bytes([d[24], d[25]])),
                    1 => {}
                    1030 => data += 1,
                    id => assert_ne!(id, 1024, "data under the old template id"),
                }
            }
        }
    }
    // Announced as soon as records waited, then again, under a new id, for the new layout.
    assert_eq!(template_ids, [1024, 1030], "the new layout has a new id");
    assert_eq!(data, 1, "the ten records in one data set");
    let stats = rig.exporter.stats();
    assert_eq!(stats.instances[0].collectors[0].records, 10);
}

#[test]
fn in_band_exports_leave_from_the_router_address_at_the_export_rate() {
    let mut rig = Rig::new();
    let c = compiled(&config(
        rig.port(),
        "version 5",
        "set forwarding-options sampling family inet output inline-jflow source-address 10.0.2.1
         set forwarding-options sampling family inet output inline-jflow flow-export-rate 1",
    ));
    rig.send(ExportMsg::Apply(c.clone()));
    // 1,000 datagrams a second: 1,010 datagrams' worth at one instant.
    let records: Vec<Exported> = (0..30 * 1010).map(flow).collect();
    rig.send(ExportMsg::Records(c.clone(), records));
    rig.exporter.pump(true);
    let stats = rig.exporter.stats();
    let s = &stats.instances[0].collectors[0];
    assert_eq!(s.datagrams, 1000);
    assert_eq!(s.queued, 300);
    assert!(s.rate_limited > 0);
    let packets = rig.injected();
    assert_eq!(packets.len(), 1000);
    assert!(
        rig.received().is_empty(),
        "nothing through the host's sockets"
    );
    // From the router's own address, UDP to the collector, a v5 datagram inside.
    let view = crate::packet::parse(&packets[0]).unwrap();
    assert_eq!(view.src_ip(), "10.0.2.1".parse::<IpAddr>().unwrap());
    assert_eq!(view.dst_ip(), "127.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(view.transport.dst_port, Some(rig.port()));
    let payload = &packets[0][view.l4_offset + 8..];
    let parsed = NetflowParser::default().parse_bytes(payload);
    assert!(matches!(parsed.packets.first(), Some(NetflowPacket::V5(v)) if v.header.count == 30));
    // A second later the rest goes.
    rig.time.fetch_add(1000, Ordering::Relaxed);
    rig.exporter.pump(true);
    let s = &rig.exporter.stats().instances[0].collectors[0];
    assert_eq!((s.datagrams, s.queued, s.dropped), (1010, 0, 0));
    // A queue that cannot drain loses what does not fit, and says so: every record offered
    // is sent, queued or counted as dropped.
    let max = super::collector::MAX_QUEUED as u64;
    let offered = max + 60_000;
    let flood: Vec<Exported> = (0..offered as u32).map(flow).collect();
    rig.send(ExportMsg::Records(c, flood));
    let s = &rig.exporter.stats().instances[0].collectors[0];
    let sent = (s.datagrams - 1010) * 30;
    assert_eq!(s.queued, max);
    assert!(s.dropped > 0);
    assert_eq!(sent + s.queued + s.dropped, offered);
}

#[test]
fn version_8_keeps_to_the_export_rate_and_its_sequence_without_losing_a_datagram() {
    let mut rig = Rig::new();
    let c = compiled(&config(
        rig.port(),
        "version 8",
        "set forwarding-options sampling family inet output flow-server 127.0.0.1 aggregation protocol-port
         set forwarding-options sampling family inet output inline-jflow source-address 10.0.2.1
         set forwarding-options sampling family inet output inline-jflow flow-export-rate 1",
    ));
    rig.send(ExportMsg::Apply(c.clone()));
    // 60,000 aggregates (one per source port): more datagrams than a second allows.
    let records: Vec<Exported> = (0..60_000u32)
        .map(|i| {
            let Exported::V4 {
                instance,
                mut record,
            } = flow(0)
            else {
                unreachable!()
            };
            record.key = Key::new(0x0a00_0102, 0xac10_0009, i as u16, 53, 17, 0, 0);
            Exported::V4 { instance, record }
        })
        .collect();
    rig.send(ExportMsg::Records(c, records));
    rig.exporter.pump(true);
    let s = &rig.exporter.stats().instances[0].collectors[0];
    assert_eq!(s.datagrams, 1000);
    assert!(s.rate_limited > 0);
    rig.time.fetch_add(1000, Ordering::Relaxed);
    rig.exporter.pump(true);
    let s = &rig.exporter.stats().instances[0].collectors[0];
    assert_eq!(s.records, 60_000);
    // In order: each header's sequence is the records sent before it.
    let mut expected = 0u32;
    let mut total = 0u32;
    for p in rig.injected() {
        let view = crate::packet::parse(&p).unwrap();
        let d = &p[view.l4_offset + 8..];
        assert_eq!(u16::from_be_bytes([d[0], d[1]]), 8);
        let count = u32::from(u16::from_be_bytes([d[2], d[3]]));
        assert_eq!(u32::from_be_bytes(d[16..20].try_into().unwrap()), expected);
        expected += count;
        total += count;
    }
    assert_eq!(total, 60_000);
}

#[test]
fn the_highest_template_id_leaves_the_options_template_below_it() {
    let rig = Rig::new();
    let c = compiled(&config(
        rig.port(),
        "version9 template a",
        "set services flow-monitoring version9 template a template-id 65535",
    ));
    let mut rig = rig;
    rig.send(ExportMsg::Apply(c.clone()));
    rig.send(ExportMsg::Records(c, vec![flow(1)]));
    rig.exporter.pump(true);
    let s = &rig.exporter.stats().instances[0].collectors[0];
    assert_eq!(s.template_id, Some(65535));
    let (mut ids, mut options_ids) = (Vec::new(), Vec::new());
    for d in rig.received() {
        let mut at = 20;
        while at + 4 <= d.len() {
            let id = u16::from_be_bytes([d[at], d[at + 1]]);
            let len = usize::from(u16::from_be_bytes([d[at + 2], d[at + 3]]));
            if id == 1 {
                options_ids.push(u16::from_be_bytes([d[at + 4], d[at + 5]]));
            }
            ids.push(id);
            at += len.max(4);
        }
    }
    assert_eq!(options_ids, [65534]);
    assert!(ids.contains(&65535), "{ids:?}");
}

/// Every datagram the sink got, in order of arrival, with its v9 sequence number and records.
fn v9_datagrams(got: &[Vec<u8>]) -> Vec<(u32, usize)> {
    let mut parser = NetflowParser::default();
    got.iter()
        .map(|d| {
            let sequence = u32::from_be_bytes([d[12], d[13], d[14], d[15]]);
            let mut records = 0;
            for p in parser.parse_bytes(d).packets {
                let NetflowPacket::V9(v) = p else { panic!() };
                for fs in v.flowsets {
                    if let netflow_parser::variable_versions::v9::FlowSetBody::Data(d) = fs.body {
                        records += d.fields.len();
                    }
                }
            }
            (sequence, records)
        })
        .collect()
}

/// Exports `n` flows to the rig's sink (`refuse`: on a path that refuses batches).
fn export_flows(n: u32, refuse: bool) -> (Rig, Vec<(u32, usize)>) {
    let mut rig = Rig::new();
    let a = compiled(&config(rig.port(), "version9 template a", ""));
    rig.send(ExportMsg::Apply(a.clone()));
    if refuse {
        rig.exporter.collectors[0].refuse_batches();
    }
    // Received as they go: the sink's buffer holds a few hundred kilobytes.
    let mut got = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        rig.send(ExportMsg::Records(
            a.clone(),
            chunk.iter().map(|&i| flow(i)).collect(),
        ));
        rig.exporter.pump(false);
        got.extend(rig.received());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    rig.send(ExportMsg::Sync(tx));
    rx.recv().unwrap();
    got.extend(rig.received());
    let got = v9_datagrams(&got);
    (rig, got)
}

/// Every datagram counted as sent arrived, in sequence, with every record, and none failed.
fn all_arrived_in_sequence(rig: &Rig, got: &[(u32, usize)], flows: usize) {
    let c = &rig.exporter.collectors[0];
    assert_eq!(c.stats.send_failures, 0, "{:?}", c.stats.last_error);
    assert_eq!(c.stats.datagrams, got.len() as u64);
    let sequences: Vec<u32> = got.iter().map(|d| d.0).collect();
    let first = sequences[0];
    assert_eq!(
        sequences,
        (first..first + got.len() as u32).collect::<Vec<_>>()
    );
    assert_eq!(
        got.iter().map(|d| d.1).sum::<usize>(),
        flows,
        "every record"
    );
}

#[test]
fn datagrams_sent_together_arrive_one_by_one_in_sequence() {
    let (rig, got) = export_flows(5000, false);
    assert!(rig.exporter.collectors[0].offloads());
    all_arrived_in_sequence(&rig, &got, 5000);
}

#[test]
fn a_path_that_refuses_batches_gets_the_datagrams_one_by_one() {
    let (rig, got) = export_flows(5000, true);
    assert!(!rig.exporter.collectors[0].offloads());
    all_arrived_in_sequence(&rig, &got, 5000);
}

/// A field's value read the plain way: the record's number for its information element.
fn plain_value(ie: u16, r: &ExportRecord, boot_unix_ms: u64) -> u128 {
    use super::template::ie;
    match ie {
        ie::SOURCE_IPV4_ADDRESS | ie::SOURCE_IPV6_ADDRESS => r.src,
        ie::DESTINATION_IPV4_ADDRESS | ie::DESTINATION_IPV6_ADDRESS => r.dst,
        ie::IP_NEXT_HOP_IPV4_ADDRESS | ie::IP_NEXT_HOP_IPV6_ADDRESS => r.next_hop,
        ie::PROTOCOL_IDENTIFIER => r.protocol.into(),
        ie::IP_CLASS_OF_SERVICE => r.tos.into(),
        ie::SOURCE_TRANSPORT_PORT => r.src_port.into(),
        ie::DESTINATION_TRANSPORT_PORT => r.dst_port.into(),
        ie::ICMP_TYPE_CODE_IPV4 | ie::ICMP_TYPE_CODE_IPV6 => r.icmp_type_code().into(),
        ie::INGRESS_INTERFACE => r.input.into(),
        ie::EGRESS_INTERFACE => r.output.into(),
        ie::SOURCE_IPV4_PREFIX_LENGTH | ie::SOURCE_IPV6_PREFIX_LENGTH => r.src_mask.into(),
        ie::DESTINATION_IPV4_PREFIX_LENGTH | ie::DESTINATION_IPV6_PREFIX_LENGTH => {
            r.dst_mask.into()
        }
        ie::BGP_SOURCE_AS_NUMBER => r.src_as.into(),
        ie::BGP_DESTINATION_AS_NUMBER => r.dst_as.into(),
        ie::TCP_CONTROL_BITS => r.tcp_flags.into(),
        ie::FLOW_DIRECTION => r.direction.into(),
        ie::OCTET_DELTA_COUNT => r.bytes.into(),
        ie::PACKET_DELTA_COUNT => r.packets.into(),
        ie::FLOW_START_SYS_UP_TIME => u128::from(r.first_ms as u32),
        ie::FLOW_END_SYS_UP_TIME => u128::from(r.last_ms as u32),
        ie::FLOW_START_MILLISECONDS => (boot_unix_ms + r.first_ms).into(),
        ie::FLOW_END_MILLISECONDS => (boot_unix_ms + r.last_ms).into(),
        ie::FLOW_END_REASON => r.end_reason.into(),
        _ => 0,
    }
}

#[test]
fn every_field_of_every_template_kind_carries_its_value() {
    use super::template::{Gather, data_fields, record_len};
    let kinds = [
        TemplateKind::Ipv4,
        TemplateKind::Ipv6,
        TemplateKind::Mpls {
            label_positions: vec![1, 2, 3],
        },
        TemplateKind::MplsIpv4 {
            label_positions: vec![1, 2],
        },
        TemplateKind::Bridge,
    ];
    let boot = 1_767_268_800_000;
    let mut records: Vec<ExportRecord> = (0..3).map(|i| record(i, i == 1)).collect();
    records[2].tcp_flags = 0x1b;
    records[2].next_hop = 0x0a00_0001;
    records[2].src_mask = 24;
    records[2].direction = 1;
    for d in [Dialect::V9, Dialect::Ipfix] {
        for kind in &kinds {
            let fields = data_fields(kind, d);
            let mut out = vec![0xee; 5];
            let n = Gather::new(&fields).write(records.iter(), 3, boot, &mut out);
            assert_eq!(n, 3);
            assert_eq!(out.len(), 5 + 3 * record_len(&fields), "{kind:?}");
            assert_eq!(out[..5], [0xee; 5], "what was there stays");
            let mut at = 5;
            for r in &records {
                for f in &fields {
                    let len = usize::from(f.len);
                    let want = plain_value(f.ie, r, boot).to_be_bytes();
                    assert_eq!(
                        out[at..at + len],
                        want[16 - len..],
                        "{kind:?} {d:?} ie {}",
                        f.ie
                    );
                    at += len;
                }
            }
        }
    }
}
