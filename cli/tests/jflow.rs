//! J-Flow end to end: generated captures replayed through `flowsh replay`, the exported records
//! compared with a ground truth computed here from the packets, and the accounting show
//! commands on the result.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::truth::{MS, SAMPLED_ROUTER, T0_NS, Truth, traffic};
use common::{Lab, out};
use flowsh_engine::build::{Spec, v4, v6};
use flowsh_engine::port::write_timed_capture;

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
                    first_ms: n("first_ms"),
                    last_ms: n("last_ms"),
                    end_reason: match v["end_reason"].as_str().unwrap() {
                        "Idle" => 1,
                        "Active" => 2,
                        "EndOfFlow" => 3,
                        "Forced" => 4,
                        _ => 5,
                    },
                },
                v["end_reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_exported_record_matches_the_ground_truth_of_the_capture() {
    ground_truth_with_workers(1);
}

/// Two workers share the capture out by flow: the same records, both directions of a flow in
/// one table.
#[test]
fn two_workers_export_the_same_records_as_one() {
    ground_truth_with_workers(2);
}

fn ground_truth_with_workers(workers: usize) {
    let lab = Lab::new("jflow-truth");
    let cfg = lab.path("jflow.conf");
    std::fs::write(&cfg, SAMPLED_ROUTER).unwrap();
    let (packets, mut truth) = traffic();
    let capture = lab.path("in.pcap");
    write_timed_capture(&capture, &packets).unwrap();
    let recorded = lab.path("records.jsonl");
    let o = lab.replay(
        &cfg,
        &capture,
        &[
            "--flow-records",
            recorded.to_str().unwrap(),
            "--workers",
            &workers.to_string(),
        ],
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
    std::fs::write(&cfg, SAMPLED_ROUTER).unwrap();
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
    std::fs::write(&cfg, SAMPLED_ROUTER).unwrap();
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
