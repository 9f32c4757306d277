//! Exports proven by decoders no one here wrote: a capture with known flows is replayed through
//! flowsh with collectors of every version; tshark decodes what they received (no malformed
//! packet, no expert warning — sequence numbers and templates included) and nfcapd/nfdump
//! collects it (`Sequence Errors: 0`); every record is compared with the ground truth.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::oracle::{Nfcapd, Sink, capture, collector_address, decode};
use common::truth::{SAMPLED_ROUTER, Truth, traffic};
use common::{Lab, out};
use flowsh_engine::port::write_timed_capture;

/// The templates the collectors use; the router is `truth::SAMPLED_ROUTER`.
const BASE: &str = "
set services flow-monitoring version9 template v9-4 ipv4-template
set services flow-monitoring version9 template v9-4 flow-active-timeout 60
set services flow-monitoring version9 template v9-4 flow-inactive-timeout 15
set services flow-monitoring version9 template v9-4 source-id 3
set services flow-monitoring version9 template v9-6 ipv6-template
set services flow-monitoring version9 template v9-6 flow-active-timeout 60
set services flow-monitoring version9 template v9-6 flow-inactive-timeout 15
set services flow-monitoring version9 template v9-6 source-id 4
set services flow-monitoring version-ipfix template ix-4 ipv4-template
set services flow-monitoring version-ipfix template ix-4 flow-active-timeout 60
set services flow-monitoring version-ipfix template ix-4 flow-inactive-timeout 15
set services flow-monitoring version-ipfix template ix-4 observation-domain-id 5
set services flow-monitoring version-ipfix template ix-6 ipv6-template
set services flow-monitoring version-ipfix template ix-6 flow-active-timeout 60
set services flow-monitoring version-ipfix template ix-6 flow-inactive-timeout 15
set services flow-monitoring version-ipfix template ix-6 observation-domain-id 6
";

/// `flow-server` lines for collector `i` of one family.
fn server(family: &str, i: usize, port: u16, how: &str) -> String {
    let at = format!(
        "set forwarding-options sampling family {family} output flow-server {}",
        collector_address(i)
    );
    format!("{at} port {port}\n{at} {how}\n")
}

/// Replays the ground-truth capture through `servers`; the truth and the replay's output.
fn replay(lab: &Lab, servers: &str) -> (Vec<Truth>, String) {
    let cfg = lab.path("export.conf");
    std::fs::write(&cfg, format!("{BASE}{SAMPLED_ROUTER}{servers}")).unwrap();
    let (packets, truth) = traffic();
    let cap = lab.path("in.pcap");
    write_timed_capture(&cap, &packets).unwrap();
    let o = lab.replay(&cfg, &cap, &[]);
    assert!(o.status.success(), "{}{}", out(&o), common::err(&o));
    (truth, out(&o))
}

fn v4_truth(truth: &[Truth]) -> Vec<Truth> {
    truth.iter().filter(|t| t.is_v4()).cloned().collect()
}

/// Decodes one collector's datagrams with tshark; the decoder must find nothing to warn about.
fn tshark(
    lab: &Lab,
    name: &str,
    datagrams: &[Vec<u8>],
    fields: &[&str],
) -> common::oracle::Decoded {
    assert!(!datagrams.is_empty(), "{name}: nothing received");
    let path = lab.path(&format!("{name}.pcap"));
    capture(datagrams, &path);
    let d = decode(&path, fields);
    assert!(d.expert.is_empty(), "{name}: tshark warns:\n{}", d.expert);
    assert_eq!(
        d.rows.len(),
        datagrams.len(),
        "{name}: every datagram decoded"
    );
    d
}

fn num(s: &str) -> u64 {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Records as tshark decoded them, in the shape of the truth (`times`: how to read them).
fn records(d: &common::oracle::Decoded, v6: bool, times: Times) -> Vec<Truth> {
    let col = |i: usize| d.column(i);
    let (src, dst, sport, dport, proto, tos, pkts, bytes, flags, start, end, reason) = (
        col(0),
        col(1),
        col(2),
        col(3),
        col(4),
        col(5),
        col(6),
        col(7),
        col(8),
        col(9),
        col(10),
        col(11),
    );
    let _ = v6;
    (0..src.len())
        .map(|i| Truth {
            src: src[i].parse().unwrap(),
            dst: dst[i].parse().unwrap(),
            src_port: num(&sport[i]) as u16,
            dst_port: num(&dport[i]) as u16,
            protocol: num(&proto[i]) as u8,
            tos: u8::from_str_radix(tos[i].trim_start_matches("0x"), 16).unwrap(),
            packets: num(&pkts[i]),
            bytes: num(&bytes[i]),
            tcp_flags: u8::from_str_radix(flags[i].trim_start_matches("0x"), 16).unwrap(),
            first_ms: times.read(&start[i]),
            last_ms: times.read(&end[i]),
            end_reason: reason.get(i).map_or(0, |r| num(r) as u8),
        })
        .collect()
}

/// How a decoder shows record times.
#[derive(Clone, Copy)]
enum Times {
    /// Seconds of sysUptime (`1.234000000`).
    Uptime,
    /// Absolute Unix time (`1767268800.123000000`), from this origin (ms).
    Absolute(u64),
}

impl Times {
    fn read(self, s: &str) -> u64 {
        match self {
            Times::Uptime => {
                let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
                num(secs) * 1000 + num(&format!("{:0<3}", &frac[..frac.len().min(3)]))
            }
            // `Jan  1, 2026 12:00:01.234000000 UTC`
            Times::Absolute(origin) => {
                let t = chrono::NaiveDateTime::parse_from_str(
                    s.trim_end_matches(" UTC"),
                    "%b %e, %Y %H:%M:%S%.f",
                )
                .unwrap_or_else(|e| panic!("{s:?}: {e}"));
                t.and_utc().timestamp_millis() as u64 - origin
            }
        }
    }
}

/// The decoded records are the truth: same count, then record by record (sorted).
fn same(mut got: Vec<Truth>, mut want: Vec<Truth>, name: &str) {
    got.sort();
    want.sort();
    assert_eq!(got.len(), want.len(), "{name}: records");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name}");
    }
}

const V4_FIELDS: &[&str] = &[
    "cflow.srcaddr",
    "cflow.dstaddr",
    "cflow.srcport",
    "cflow.dstport",
    "cflow.protocol",
    "cflow.tos",
    "cflow.packets",
    "cflow.octets",
    "cflow.tcpflags",
];

#[test]
fn tshark_decodes_version_5_with_every_record_and_sequence_right() {
    let lab = Lab::new("export-v5");
    let sink = Sink::new(1);
    let port = sink.ports()[0];
    let (truth, _) = replay(&lab, &server("inet", 0, port, "version 5"));
    let got = sink.drain().remove(0);
    let mut fields = V4_FIELDS.to_vec();
    fields.extend([
        "cflow.timestart",
        "cflow.timeend",
        "cflow.count",
        "cflow.sequence",
    ]);
    let d = tshark(&lab, "v5", &got, &fields);
    // v5 has no end reason: compare everything else.
    let mut want = v4_truth(&truth);
    want.iter_mut().for_each(|t| t.end_reason = 0);
    let mut records = records(&d, false, Times::Uptime);
    records.iter_mut().for_each(|t| t.end_reason = 0);
    same(records, want, "v5");
    // flow_sequence counts the records sent before each datagram.
    let counts: Vec<u64> = d.rows.iter().map(|r| num(&r[11])).collect();
    let sequences: Vec<u64> = d.rows.iter().map(|r| num(&r[12])).collect();
    let mut expected = 0;
    for (c, s) in counts.iter().zip(&sequences) {
        assert!(*c <= 30);
        assert_eq!(*s, expected);
        expected += c;
    }
}

#[test]
fn tshark_decodes_version_9_and_ipfix_for_both_families() {
    let lab = Lab::new("export-templated");
    let sink = Sink::new(4);
    let p = sink.ports();
    let (truth, _) = replay(
        &lab,
        &[
            server("inet", 0, p[0], "version9 template v9-4"),
            server("inet6", 1, p[1], "version9 template v9-6"),
            server("inet", 2, p[2], "version-ipfix template ix-4"),
            server("inet6", 3, p[3], "version-ipfix template ix-6"),
        ]
        .concat(),
    );
    let got = sink.drain();
    let (v4, v6): (Vec<Truth>, Vec<Truth>) = truth.iter().cloned().partition(|t| t.is_v4());
    let origin = common::truth::T0_NS / 1_000_000 + first_packet_offset()
        - flowsh_engine::clock::CAPTURE_BOOT_LEAD_MS;
    for (i, name, v6_family, times) in [
        (0, "v9-inet", false, Times::Uptime),
        (1, "v9-inet6", true, Times::Uptime),
        (2, "ipfix-inet", false, Times::Absolute(origin)),
        (3, "ipfix-inet6", true, Times::Absolute(origin)),
    ] {
        let (src, dst) = if v6_family {
            ("cflow.srcaddrv6", "cflow.dstaddrv6")
        } else {
            ("cflow.srcaddr", "cflow.dstaddr")
        };
        let (start, end) = match times {
            Times::Uptime => ("cflow.timestart", "cflow.timeend"),
            Times::Absolute(_) => ("cflow.abstimestart", "cflow.abstimeend"),
        };
        let mut fields = vec![src, dst];
        fields.extend(&V4_FIELDS[2..]);
        fields.extend([
            start,
            end,
            "cflow.flow_end_reason",
            "cflow.sampling_interval",
        ]);
        let d = tshark(&lab, name, &got[i], &fields);
        let want = if v6_family { &v6 } else { &v4 };
        same(records(&d, v6_family, times), want.clone(), name);
        // The options record carries the sampling interval (1 in 1).
        assert!(
            d.column(12).iter().any(|v| v == "1"),
            "{name}: no sampling interval"
        );
    }
}

/// The capture's first packet, in ms after `T0_NS` (the flows' uptime origin).
fn first_packet_offset() -> u64 {
    let (packets, _) = traffic();
    (packets[0].0 - common::truth::T0_NS) / 1_000_000
}

#[test]
fn tshark_decodes_every_version_8_aggregation_with_the_right_sums() {
    let lab = Lab::new("export-v8");
    let schemes = [
        "autonomous-system",
        "protocol-port",
        "source-prefix",
        "destination-prefix",
        "source-destination-prefix",
    ];
    let sink = Sink::new(schemes.len());
    let p = sink.ports();
    let servers: String = schemes
        .iter()
        .zip(&p)
        .enumerate()
        .map(|(i, (s, port))| {
            let at = format!(
                "set forwarding-options sampling family inet output flow-server {}",
                collector_address(i)
            );
            format!("{at} port {port}\n{at} version 8\n{at} aggregation {s}\n")
        })
        .collect();
    let (truth, _) = replay(&lab, &servers);
    let v4 = v4_truth(&truth);
    let got = sink.drain();
    let (flows, packets, bytes) = (
        v4.len() as u64,
        v4.iter().map(|t| t.packets).sum::<u64>(),
        v4.iter().map(|t| t.bytes).sum::<u64>(),
    );
    for (i, scheme) in schemes.iter().enumerate() {
        let d = tshark(
            &lab,
            scheme,
            &got[i],
            &[
                "cflow.flows",
                "cflow.packets",
                "cflow.octets",
                "cflow.aggmethod",
                "cflow.protocol",
                "cflow.srcport",
                "cflow.dstport",
            ],
        );
        let sum = |c: usize| d.column(c).iter().map(|v| num(v)).sum::<u64>();
        assert_eq!(
            (sum(0), sum(1), sum(2)),
            (flows, packets, bytes),
            "{scheme}"
        );
        assert!(
            d.column(3).iter().all(|m| num(m) == i as u64 + 1),
            "{scheme}: scheme number"
        );
        if *scheme == "protocol-port" {
            // One aggregate per (protocol, source port, destination port) of the truth.
            let mut want: BTreeMap<(u64, u64, u64), u64> = BTreeMap::new();
            for t in &v4 {
                *want
                    .entry((t.protocol.into(), t.src_port.into(), t.dst_port.into()))
                    .or_default() += t.packets;
            }
            let (proto, sp, dp, pk) = (d.column(4), d.column(5), d.column(6), d.column(1));
            let mut got: BTreeMap<(u64, u64, u64), u64> = BTreeMap::new();
            for j in 0..proto.len() {
                *got.entry((num(&proto[j]), num(&sp[j]), num(&dp[j])))
                    .or_default() += num(&pk[j]);
            }
            assert_eq!(got, want);
        }
    }
}

/// nfcapd collectors for `(name, family, how)`, one replay; each checked against the truth.
fn nfdump_check(lab: &Lab, collectors: &[(&str, &str, &str)]) {
    let running: Vec<(&str, &str, Nfcapd)> = collectors
        .iter()
        .enumerate()
        .map(|(i, (name, fam, how))| (*fam, *how, Nfcapd::start(&lab.path(name), i)))
        .collect();
    let servers: String = running
        .iter()
        .enumerate()
        .map(|(i, (fam, how, n))| server(fam, i, n.port, how))
        .collect();
    let (truth, _) = replay(lab, &servers);
    let (v4, v6): (Vec<Truth>, Vec<Truth>) = truth.iter().cloned().partition(|t| t.is_v4());
    for (fam, how, n) in running {
        let (log, stopped) = n.stop();
        let want = if fam == "inet" { &v4 } else { &v6 };
        assert!(log.contains("Sequence Errors: 0"), "{how}: {log}");
        let csv = stopped.dump(&["-o", "csv", "-q"]);
        let mut got: Vec<(IpAddr, IpAddr, u16, u16, u8, u64, u64)> = csv
            .lines()
            .filter(|l| l.split(',').count() > 12 && !l.starts_with("ts,"))
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                let proto = match c[7] {
                    "TCP" => 6,
                    "UDP" => 17,
                    "ICMP" => 1,
                    p => p.parse().unwrap(),
                };
                (
                    c[3].parse().unwrap(),
                    c[4].parse().unwrap(),
                    num(c[5]) as u16,
                    num(c[6]) as u16,
                    proto,
                    num(c[11]),
                    num(c[12]),
                )
            })
            .collect();
        let mut expected: Vec<_> = want
            .iter()
            .map(|t| {
                (
                    t.src, t.dst, t.src_port, t.dst_port, t.protocol, t.packets, t.bytes,
                )
            })
            .collect();
        got.sort();
        expected.sort();
        assert_eq!(got.len(), expected.len(), "{how}: records");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e, "{how}");
        }
    }
}

#[test]
fn nfdump_collects_version_5_without_sequence_errors() {
    nfdump_check(
        &Lab::new("export-nfdump-v5"),
        &[("v5", "inet", "version 5")],
    );
}

#[test]
fn nfdump_collects_version_9_and_ipfix_without_sequence_errors() {
    nfdump_check(
        &Lab::new("export-nfdump-templated"),
        &[
            ("v9", "inet", "version9 template v9-4"),
            ("v9-6", "inet6", "version9 template v9-6"),
            ("ipfix", "inet", "version-ipfix template ix-4"),
            ("ipfix-6", "inet6", "version-ipfix template ix-6"),
        ],
    );
}

#[test]
fn eight_collectors_of_mixed_versions_each_get_everything_and_a_refusing_one_is_counted() {
    let lab = Lab::new("export-eight");
    let sink = Sink::new(8);
    let p = sink.ports();
    let mut servers = String::new();
    for (i, port) in p.iter().enumerate() {
        let how = if i % 2 == 0 {
            "version9 template v9-4"
        } else {
            "version-ipfix template ix-4"
        };
        servers.push_str(&server("inet", i, *port, how));
    }
    // The last one exports from an address this machine does not have: every send fails.
    servers.push_str(&format!(
        "set forwarding-options sampling family inet output flow-server {} source-address 192.0.2.99\n",
        collector_address(7)
    ));
    let cfg = lab.path("export.conf");
    std::fs::write(&cfg, format!("{BASE}{SAMPLED_ROUTER}{servers}")).unwrap();
    let (packets, truth) = traffic();
    let cap = lab.path("in.pcap");
    write_timed_capture(&cap, &packets).unwrap();
    let o = lab.replay(
        &cfg,
        &cap,
        &[
            "-c",
            "show services accounting status; show services accounting errors",
        ],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    let v4 = v4_truth(&truth);
    let got = sink.drain();
    for (i, datagrams) in got.iter().enumerate().take(7) {
        let name = format!("collector-{i}");
        let (src, dst) = ("cflow.srcaddr", "cflow.dstaddr");
        let d = tshark(&lab, &name, datagrams, &[src, dst, "cflow.packets"]);
        assert_eq!(d.column(0).len(), v4.len(), "{name}: every record");
        let packets: u64 = d.column(2).iter().map(|v| num(v)).sum();
        assert_eq!(packets, v4.iter().map(|t| t.packets).sum::<u64>(), "{name}");
    }
    assert!(got[7].is_empty(), "nothing reaches the refusing collector");
    let refusing = text
        .lines()
        .find(|l| l.contains(&format!("Collector: {}:", collector_address(7))))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(refusing.contains("Send failures: "), "{refusing}");
    assert!(!refusing.contains("Send failures: 0,"), "{refusing}");
    assert!(text.contains("Export packet failures: "), "{text}");
    assert!(!text.contains("Export packet failures: 0,"), "{text}");
}
