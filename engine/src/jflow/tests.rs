//! J-Flow on the data plane, with the time set by the test.

use crate::build::{Spec, v4, v6};
use crate::dataplane::{Dataplane, plane_of};
use crate::flow::{EndReason, NO_UNIT};
use crate::jflow::Exported;

const BASE: &str = "
set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:1::1/64
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/1 unit 0 family inet6 address 2001:db8:2::1/64
set interfaces ge-1/0/0 unit 0 family inet address 10.1.0.1/24
set routing-options static route 172.16.0.0/12 next-hop 10.0.2.254
";

fn plane(extra: &str) -> Dataplane {
    plane_of(&format!("{BASE}\n{extra}"))
}

fn send(d: &mut Dataplane, unit: u16, spec: Spec) {
    let mut buf = spec.build();
    d.process(unit, &mut buf);
}

fn udp(n: u16) -> Spec {
    Spec::udp(v4("10.0.1.2"), v4("172.16.0.9"), 1000 + n, 53).payload(22)
}

const SAMPLE_ALL_IN: &str = "
set forwarding-options sampling input rate 1
set forwarding-options sampling family inet output flow-inactive-timeout 15
set forwarding-options sampling family inet6 output flow-inactive-timeout 15
set interfaces ge-0/0/0 unit 0 family inet sampling input
set interfaces ge-0/0/0 unit 0 family inet6 sampling input
";

fn records(d: &mut Dataplane) -> Vec<crate::flow::FlowRecord<u32>> {
    d.take_exports()
        .into_iter()
        .filter_map(|e| match e {
            Exported::V4 { record, .. } => Some(record),
            Exported::V6 { .. } => None,
        })
        .collect()
}

#[test]
fn input_sampling_meters_flows_with_their_interfaces() {
    let mut d = plane(SAMPLE_ALL_IN);
    d.set_now(1_000);
    for i in 0..10 {
        send(&mut d, 0, udp(i % 3));
    }
    let mut flows = d.jflow().flows();
    flows.sort_by_key(|f| f.src_port);
    assert_eq!(flows.len(), 3);
    let f = &flows[0];
    assert_eq!((f.src_port, f.dst_port, f.protocol), (1000, 53, 17));
    assert_eq!((f.packets, f.bytes), (4, 4 * 50));
    assert_eq!((f.input, f.output), (0, 1), "in ge-0/0/0.0, out ge-0/0/1.0");
    // Packets coming in on an interface that does not sample are not metered.
    send(&mut d, 1, Spec::udp(v4("10.0.2.2"), v4("10.0.1.2"), 5, 6));
    assert_eq!(d.jflow().flows().len(), 3);
    let s = &d.jflow().stats()[0];
    assert_eq!((s.sampler.candidates, s.sampler.sampled), (10, 10));
    assert_eq!(s.v4.created, 3);
}

#[test]
fn the_rate_takes_one_in_n_and_run_length_the_next_ones() {
    let mut d = plane(
        "set forwarding-options sampling input rate 100
         set forwarding-options sampling input run-length 2
         set forwarding-options sampling input max-packets-per-second 0
         set forwarding-options sampling family inet output flow-active-timeout 1800
         set interfaces ge-0/0/0 unit 0 family inet sampling input",
    );
    for i in 0..10_002 {
        send(&mut d, 0, udp(i % 7));
    }
    let s = &d.jflow().stats()[0];
    assert_eq!(s.sampler.candidates, 10_002);
    assert_eq!(s.sampler.sampled, 300);
    assert_eq!(s.v4.packets, 300);
}

#[test]
fn max_packets_per_second_caps_samples() {
    let mut d = plane(
        "set forwarding-options sampling input rate 1
         set forwarding-options sampling input max-packets-per-second 50
         set forwarding-options sampling family inet output flow-active-timeout 1800
         set interfaces ge-0/0/0 unit 0 family inet sampling input",
    );
    for ms in 0..3000u64 {
        d.set_now(ms);
        send(&mut d, 0, udp(1));
    }
    let s = &d.jflow().stats()[0];
    assert_eq!(s.sampler.sampled, 150, "50 in each of three seconds");
    assert_eq!(s.sampler.rate_limited, 2850);
}

#[test]
fn a_filter_term_samples_only_what_it_matches_even_when_it_discards() {
    let mut d = plane(
        "set forwarding-options sampling input rate 1
         set forwarding-options sampling family inet output flow-active-timeout 1800
         set firewall family inet filter f term dns from destination-port 53
         set firewall family inet filter f term dns then sample
         set firewall family inet filter f term dns then accept
         set firewall family inet filter f term web from destination-port 80
         set firewall family inet filter f term web then sample
         set firewall family inet filter f term web then discard
         set firewall family inet filter f term rest then accept
         set interfaces ge-0/0/0 unit 0 family inet filter input f",
    );
    send(&mut d, 0, udp(1));
    send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("172.16.0.9"), 7, 80),
    );
    send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("172.16.0.9"), 7, 443),
    );
    let mut flows = d.jflow().flows();
    flows.sort_by_key(|f| f.dst_port);
    assert_eq!(flows.len(), 2);
    assert_eq!((flows[0].dst_port, flows[0].output), (53, 1));
    assert_eq!(
        (flows[1].dst_port, flows[1].output),
        (80, NO_UNIT),
        "discarded: no output"
    );
}

#[test]
fn output_sampling_meters_on_the_way_out() {
    let mut d = plane(
        "set forwarding-options sampling input rate 1
         set forwarding-options sampling family inet output flow-active-timeout 1800
         set interfaces ge-0/0/1 unit 0 family inet sampling output",
    );
    send(&mut d, 0, udp(1));
    send(&mut d, 1, Spec::udp(v4("10.0.2.2"), v4("10.0.1.2"), 5, 6));
    let flows = d.jflow().flows();
    assert_eq!(flows.len(), 1);
    assert_eq!((flows[0].input, flows[0].output), (0, 1));
}

#[test]
fn interfaces_of_a_line_card_sample_into_its_instance() {
    let mut d = plane(
        "set forwarding-options sampling input rate 1
         set forwarding-options sampling instance card1 input rate 2
         set forwarding-options sampling instance card1 family inet output flow-active-timeout 120
         set chassis fpc 0 inline-services flow-table-size ipv4-flow-table-size 2
         set chassis fpc 1 sampling-instance card1
         set forwarding-options sampling family inet output flow-active-timeout 1800
         set interfaces ge-0/0/0 unit 0 family inet sampling input
         set interfaces ge-1/0/0 unit 0 family inet sampling input",
    );
    for _ in 0..10 {
        send(&mut d, 0, udp(1));
        send(
            &mut d,
            2,
            Spec::udp(v4("10.1.0.2"), v4("172.16.0.9"), 9, 53),
        );
    }
    let stats = d.jflow().stats();
    assert_eq!(stats.len(), 2);
    assert_eq!((stats[0].name.as_str(), stats[0].sampler.sampled), ("", 10));
    assert_eq!(
        (stats[1].name.as_str(), stats[1].sampler.sampled),
        ("card1", 5)
    );
    let card1 = &d.jflow().instances[1];
    assert_eq!(card1.v4.limits.active_ms, 120_000);
    assert_eq!(card1.v4.limits.capacity, 256 * 1024, "one unit by default");
    assert_eq!(d.jflow().instances[0].v4.limits.capacity, 2 * 256 * 1024);
}

#[test]
fn non_first_fragments_are_counted_not_metered() {
    let mut d = plane(SAMPLE_ALL_IN);
    send(&mut d, 0, udp(1).payload(100).fragment(0, true));
    send(&mut d, 0, udp(1).payload(100).fragment(16, true));
    send(&mut d, 0, udp(1).payload(100).fragment(32, false));
    let flows = d.jflow().flows();
    assert_eq!(flows.len(), 1);
    assert_eq!(
        (flows[0].src_port, flows[0].packets),
        (1001, 1),
        "the first fragment has ports"
    );
    assert_eq!(d.jflow().stats()[0].v4.fragments_ignored, 2);
}

#[test]
fn icmp_type_and_code_are_the_destination_port_and_ipv6_has_its_table() {
    let mut d = plane(SAMPLE_ALL_IN);
    send(
        &mut d,
        0,
        Spec::ping(v4("10.0.1.2"), v4("172.16.0.9"), 7, 1),
    );
    send(
        &mut d,
        0,
        Spec::udp(v6("2001:db8:1::2"), v6("2001:db8:2::2"), 5, 6).dscp(46),
    );
    let mut flows = d.jflow().flows();
    flows.sort_by_key(|f| f.protocol);
    assert_eq!(
        (flows[0].protocol, flows[0].src_port, flows[0].dst_port),
        (1, 0, 0x0800)
    );
    assert_eq!(flows[1].dst, v6("2001:db8:2::2"));
    assert_eq!(flows[1].tos, 46 << 2);
    let s = &d.jflow().stats()[0];
    assert_eq!((s.v4_flows, s.v6_flows), (1, 1));
}

#[test]
fn flows_expire_on_the_injected_clock() {
    let mut d = plane(SAMPLE_ALL_IN);
    d.set_now(2_000);
    send(&mut d, 0, udp(1));
    d.set_now(16_999);
    d.expire();
    assert!(records(&mut d).is_empty());
    d.set_now(17_000);
    d.expire();
    let got = records(&mut d);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].reason, got[0].first), (EndReason::Idle, 2_000));
}

#[test]
fn a_template_sets_the_timeouts() {
    let mut d = plane(
        "set services flow-monitoring version9 template t flow-active-timeout 30
         set services flow-monitoring version9 template t flow-inactive-timeout 10
         set services flow-monitoring version9 template t ipv4-template
         set forwarding-options sampling input rate 1
         set forwarding-options sampling family inet output flow-server 192.0.2.9 port 2055
         set forwarding-options sampling family inet output flow-server 192.0.2.9 version9 template t
         set interfaces ge-0/0/0 unit 0 family inet sampling input",
    );
    let l = d.jflow().instances[0].v4.limits;
    assert_eq!((l.active_ms, l.inactive_ms), (30_000, 10_000));
}

#[test]
fn a_commit_keeps_the_flows_of_an_instance_that_stays_and_ends_those_of_one_removed() {
    let mut d = plane(SAMPLE_ALL_IN);
    send(&mut d, 0, udp(1));
    send(&mut d, 0, udp(2));
    let same = plane(&format!("{SAMPLE_ALL_IN}\nset system host-name r1"));
    d.apply(same.compiled.clone(), &Default::default());
    assert_eq!(d.jflow().flows().len(), 2);
    assert!(records(&mut d).is_empty());
    let none = plane("");
    d.apply(none.compiled.clone(), &Default::default());
    let ended = records(&mut d);
    assert_eq!(ended.len(), 2);
    assert!(ended.iter().all(|r| r.reason == EndReason::Forced));
}

#[test]
fn a_flush_hands_the_records_over_in_batches_and_loses_none() {
    let mut d = plane(&format!(
        "{SAMPLE_ALL_IN}\nset chassis fpc 0 inline-services flow-table-size ipv4-flow-table-size 1\n\
         set forwarding-options sampling input max-packets-per-second 0"
    ));
    for n in 0..20_000u16 {
        send(&mut d, 0, udp(n));
    }
    let mut batches = Vec::new();
    d.flush_flows(&mut |b| batches.push(b.len()));
    assert_eq!(batches.iter().sum::<usize>(), 20_000);
    assert!(batches.iter().all(|&n| n <= 8192), "{batches:?}");
    assert!(batches.len() >= 3);
    assert!(!d.has_exports());
}
