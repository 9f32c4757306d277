//! J-Flow end to end: generated captures replayed through `flowsh replay`, the exported records
//! compared with a ground truth computed here from the packets, and the accounting show
//! commands on the result.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::{Lab, out};
use flowsh_engine::build::{Spec, v4, v6};
use flowsh_engine::port::write_timed_capture;

const CONFIG: &str = "
set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/0 unit 0 family inet sampling input
set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:1::1/64
set interfaces ge-0/0/0 unit 0 family inet6 sampling input
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/1 unit 0 family inet6 address 2001:db8:2::1/64
set routing-options static route 172.16.0.0/12 next-hop 10.0.2.254
set routing-options rib inet6.0 static route 2001:db8:100::/48 next-hop 2001:db8:2::254
set forwarding-options sampling input rate 1
set forwarding-options sampling input max-packets-per-second 0
set forwarding-options sampling family inet output flow-active-timeout 60
set forwarding-options sampling family inet output flow-inactive-timeout 15
set forwarding-options sampling family inet6 output flow-active-timeout 60
set forwarding-options sampling family inet6 output flow-inactive-timeout 15
";

/// 2026-01-01 12:00:00 UTC, in nanoseconds.
const T0_NS: u64 = 1_767_268_800_000_000_000;
const MS: u64 = 1_000_000;

/// A small deterministic generator (no dependency, same sequence everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What a record must hold: key and counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Truth {
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    protocol: u8,
    tos: u8,
    packets: u64,
    bytes: u64,
    tcp_flags: u8,
}

/// Traffic with known flows: each flow's packets, in time order, some with a pause longer than
/// the inactive timeout (two records), TCP ones ending with FIN (the record ends there).
fn traffic() -> (Vec<(u64, Vec<u8>)>, Vec<Truth>) {
    let mut rng = Lcg(7);
    let mut packets: Vec<(u64, u64, Vec<u8>)> = Vec::new();
    let mut truth = Vec::new();
    for flow in 0..300u64 {
        let start = rng.next(20_000) * MS;
        let count = 1 + rng.next(12);
        let pause_at = if flow % 5 == 0 { Some(count / 2) } else { None };
        let kind = rng.next(4);
        let v6_flow = flow % 7 == 3;
        let (src, dst): (IpAddr, IpAddr) = if v6_flow {
            (
                v6(&format!("2001:db8:1::{:x}", 2 + flow)),
                v6(&format!("2001:db8:100::{:x}", 1 + rng.next(50))),
            )
        } else {
            (
                v4(&format!("10.0.1.{}", 2 + flow % 200)),
                v4(&format!("172.16.{}.{}", flow / 200, 1 + rng.next(200))),
            )
        };
        let sport = 1024 + flow as u16;
        let dscp = if flow % 4 == 0 { 46 } else { 0 };
        let mut t = start;
        let mut current = None::<Truth>;
        for i in 0..count {
            if Some(i) == pause_at {
                truth.extend(current.take());
                t += 20_000 * MS;
            }
            let last = i + 1 == count;
            let payload = rng.next(400) as usize;
            let (spec, flags, ports) = match kind {
                0 => {
                    let flags = if i == 0 {
                        0x02
                    } else if last {
                        0x11
                    } else {
                        0x10
                    };
                    (Spec::tcp(src, dst, sport, 443, flags), flags, (sport, 443))
                }
                1 if !v6_flow => (Spec::ping(src, dst, flow as u16, i as u16), 0, (0, 0x0800)),
                _ => (Spec::udp(src, dst, sport, 53), 0, (sport, 53)),
            };
            let bytes = spec.payload(payload).dscp(dscp).build();
            let protocol = match spec.l4 {
                flowsh_engine::build::L4::Tcp { .. } => 6,
                flowsh_engine::build::L4::Udp { .. } => 17,
                _ => 1,
            };
            let c = current.get_or_insert(Truth {
                src,
                dst,
                src_port: ports.0,
                dst_port: ports.1,
                protocol,
                tos: dscp << 2,
                packets: 0,
                bytes: 0,
                tcp_flags: 0,
            });
            c.packets += 1;
            c.bytes += bytes.len() as u64;
            c.tcp_flags |= flags;
            packets.push((t, flow * 1000 + i, bytes));
            t += (1 + rng.next(2000)) * MS;
        }
        truth.extend(current.take());
    }
    packets.sort_by_key(|(t, order, _)| (*t, *order));
    (
        packets
            .into_iter()
            .map(|(t, _, p)| (T0_NS + t, p))
            .collect(),
        truth,
    )
}

fn records(path: &std::path::Path) -> Vec<(Truth, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let n = |k: &str| v[k].as_u64().unwrap();
            (
                Truth {
                    src: v["src"].as_str().unwrap().parse().unwrap(),
                    dst: v["dst"].as_str().unwrap().parse().unwrap(),
                    src_port: n("src_port") as u16,
                    dst_port: n("dst_port") as u16,
                    protocol: n("protocol") as u8,
                    tos: n("tos") as u8,
                    packets: n("packets"),
                    bytes: n("bytes"),
                    tcp_flags: n("tcp_flags") as u8,
                },
                v["end_reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_exported_record_matches_the_ground_truth_of_the_capture() {
    let lab = Lab::new("jflow-truth");
    let cfg = lab.path("jflow.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    let (packets, mut truth) = traffic();
    let capture = lab.path("in.pcap");
    write_timed_capture(&capture, &packets).unwrap();
    let recorded = lab.path("records.jsonl");
    let o = lab.replay(
        &cfg,
        &capture,
        &["--flow-records", recorded.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}{}", out(&o), common::err(&o));
    let got = records(&recorded);
    let reasons: BTreeMap<&str, usize> = got.iter().fold(BTreeMap::new(), |mut m, (_, r)| {
        *m.entry(r.as_str()).or_default() += 1;
        m
    });
    let mut got: Vec<Truth> = got.iter().map(|(t, _)| t.clone()).collect();
    got.sort();
    truth.sort();
    assert_eq!(got.len(), truth.len());
    for (g, t) in got.iter().zip(&truth) {
        assert_eq!(g, t);
    }
    // Pauses end flows by the inactive timeout, FIN by end of flow, the rest at the end.
    assert!(reasons["Idle"] >= 60, "{reasons:?}");
    assert!(reasons["EndOfFlow"] > 0, "{reasons:?}");
    assert!(reasons["Forced"] > 0, "{reasons:?}");
    let summary = out(&o);
    assert!(
        summary.contains(&format!("{} packets from 1 captures", packets.len())),
        "{summary}"
    );
}

/// A few flows, replayed with their flows kept for the show commands.
fn replay_small(lab: &Lab, commands: &str) -> String {
    let cfg = lab.path("small.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    let (c, s) = (v4("10.0.1.2"), v4("172.16.0.9"));
    let mut packets = Vec::new();
    let mut t = T0_NS;
    for i in 0..5u16 {
        packets.push((
            t,
            Spec::udp(c, s, 1000, 53)
                .payload(20 + usize::from(i))
                .build(),
        ));
        t += 100 * MS;
    }
    for flags in [0x02, 0x10, 0x18] {
        packets.push((t, Spec::tcp(c, s, 2000, 443, flags).payload(100).build()));
        t += 100 * MS;
    }
    packets.push((t, Spec::ping(c, v4("10.0.2.7"), 9, 1).build()));
    t += 100 * MS;
    packets.push((
        t,
        Spec::udp(v6("2001:db8:1::2"), v6("2001:db8:100::1"), 5353, 53).build(),
    ));
    let capture = lab.path("small.pcap");
    write_timed_capture(&capture, &packets).unwrap();
    let o = lab.replay(&cfg, &capture, &["--keep-flows", "-c", commands]);
    assert!(o.status.success(), "{}{}", out(&o), common::err(&o));
    // The first line times the replay.
    out(&o).split_once('\n').unwrap().1.to_string()
}

#[test]
fn the_accounting_show_commands_read_the_flow_table() {
    let lab = Lab::new("jflow-show");
    let text = replay_small(
        &lab,
        "show services accounting flow; show services accounting flow-detail; \
         show services accounting flow-detail order bytes limit 2; \
         show services accounting flow-detail protocol tcp; \
         show services accounting flow-detail destination-address 10.0.2.0/24; \
         show flow-table; show services accounting errors; show services accounting status; \
         show services accounting aggregation protocol-port order packets; \
         show services accounting aggregation destination-prefix; \
         show services accounting aggregation source-prefix; \
         show services accounting aggregation as",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_accounting_show_commands_speak_json_and_clear_resets_the_counters() {
    let lab = Lab::new("jflow-json");
    let text = replay_small(
        &lab,
        "show services accounting flow | display json; \
         show services accounting flow-detail limit 1 | display json; \
         show services accounting errors | display json; \
         clear services accounting flow; show services accounting flow",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn usage_and_memory_report_the_engine() {
    let lab = Lab::new("jflow-usage");
    let text = replay_small(
        &lab,
        "show services accounting usage; show services accounting memory",
    );
    let usage = regex_lite(&text, "Uptime: ", " milliseconds");
    assert!(usage >= 900, "{text}");
    assert!(text.contains("Load (5 second): "), "{text}");
    assert!(
        text.contains("Allocation count: 4, Free count: 0"),
        "{text}"
    );
    let used = regex_lite(&text, "Total memory used (in bytes): ", ",");
    assert!(used > 1_000_000, "{text}");
    let tables = regex_lite(&text, "Memory used by flow tables (in bytes): ", "\n");
    assert!(tables > 0 && tables < used, "{text}");
}

/// The number between `before` and `after`.
fn regex_lite(text: &str, before: &str, after: &str) -> u64 {
    let from = text
        .find(before)
        .unwrap_or_else(|| panic!("{before}: {text}"))
        + before.len();
    let rest = &text[from..];
    rest[..rest.find(after).unwrap()].parse().unwrap()
}

#[test]
fn a_full_table_exports_early_and_says_memory_overload() {
    let lab = Lab::new("jflow-overload");
    let cfg = lab.path("overload.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    // One unit of table (262,144 flows) and 100 flows more, all within a second.
    let flows = 256 * 1024 + 100;
    let packets: Vec<(u64, Vec<u8>)> = (0..flows)
        .map(|i| {
            let dst = IpAddr::V4(std::net::Ipv4Addr::from(
                0xac10_0000u32 + (i / 60_000) as u32,
            ));
            let spec = Spec::udp(v4("10.0.1.2"), dst, (i % 60_000) as u16 + 1, 53);
            (T0_NS + i as u64 * 1000, spec.build())
        })
        .collect();
    let capture = lab.path("many.pcap");
    write_timed_capture(&capture, &packets).unwrap();
    let o = lab.replay(
        &cfg,
        &capture,
        &[
            "--keep-flows",
            "-c",
            "show services accounting errors; show services accounting flow",
        ],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("Memory overload: Yes"), "{text}");
    assert!(
        text.contains("Flows exported for lack of resources: 100"),
        "{text}"
    );
    assert!(
        text.contains("Active Flows: 262144, Total Flows: 262244"),
        "{text}"
    );
}

#[test]
fn the_readme_example_replays_the_bundled_capture() {
    // The README's first command, word for word.
    let readme = std::fs::read_to_string(common::repo("README.md")).unwrap();
    let first = readme.lines().find(|l| l.starts_with("cargo run")).unwrap();
    assert!(first.contains(
        "replay --config examples/jflow.conf --pcap ge-0/0/0=examples/jflow.pcap -c 'show services accounting flow'"
    ));
    let lab = Lab::new("jflow-readme");
    let o = lab
        .command()
        .args([
            "replay",
            "--config",
            "examples/jflow.conf",
            "--pcap",
            "ge-0/0/0=examples/jflow.pcap",
            "-c",
            "show services accounting flow",
        ])
        .output()
        .unwrap();
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("Sampled 1264 packets into 150 flows"),
        "{text}"
    );
    assert!(
        text.contains("Flows Exported: 150, Flow Packets Exported: 36"),
        "{text}"
    );
}
