use super::*;
use crate::build::{Spec, v4, v6};

const LAB: &str = "
set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/0 unit 0 family inet filter input edge
set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:1::1/64
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/1 unit 0 family inet6 address 2001:db8:2::1/64
set routing-options static route 172.16.0.0/12 next-hop 10.0.2.254
set routing-options static route 203.0.113.0/24 reject
set firewall family inet filter edge term no-telnet from protocol tcp
set firewall family inet filter edge term no-telnet from destination-port telnet
set firewall family inet filter edge term no-telnet then count telnet
set firewall family inet filter edge term no-telnet then discard
set firewall family inet filter edge term no-smtp from protocol tcp
set firewall family inet filter edge term no-smtp from destination-port smtp
set firewall family inet filter edge term no-smtp then reject tcp-reset
set firewall family inet filter edge term dns from protocol udp
set firewall family inet filter edge term dns from destination-port domain
set firewall family inet filter edge term dns then count dns
set firewall family inet filter edge term dns then accept
set firewall family inet filter edge term rest then accept
";

fn plane(lines: &str) -> Dataplane {
    plane_of(lines)
}

fn send(d: &mut Dataplane, unit: u16, spec: Spec) -> (Output, Vec<u8>) {
    let mut buf = spec.build();
    let out = d.process(unit, &mut buf);
    (out, buf)
}

#[test]
fn forwards_across_units_and_decrements_ttl() {
    let mut d = plane(LAB);
    let (out, buf) = send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 1000, 2000).ttl(64),
    );
    assert_eq!(
        out,
        Output::Forward {
            unit: 1,
            len: 28,
            next_hop: None
        }
    );
    assert_eq!(crate::packet::parse(&buf).unwrap().ttl, 63);
    let s = d.stats();
    assert_eq!(
        (
            s.units["ge-0/0/0.0"].rx_packets,
            s.units["ge-0/0/1.0"].tx_packets
        ),
        (1, 1)
    );
}

#[test]
fn static_routes_use_their_next_hop_unit() {
    let mut d = plane(LAB);
    let (out, _) = send(&mut d, 0, Spec::udp(v4("10.0.1.2"), v4("172.20.1.1"), 1, 2));
    assert_eq!(
        out,
        Output::Forward {
            unit: 1,
            len: 28,
            next_hop: Some(v4("10.0.2.254"))
        }
    );
}

#[test]
fn ttl_expiry_sends_time_exceeded_from_the_incoming_unit() {
    let mut d = plane(LAB);
    let (out, _) = send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 1, 2).ttl(1),
    );
    let Output::Reply { unit: 0, packet } = out else {
        panic!("{out:?}")
    };
    let v = crate::packet::parse(&packet).unwrap();
    assert_eq!(
        (v.src_v4().to_string(), v.transport.icmp),
        ("10.0.1.1".to_string(), Some((11, 0)))
    );
    assert_eq!(d.stats().units["ge-0/0/0.0"].drops["ttl-expired"], 1);
}

#[test]
fn no_route_and_reject_routes_answer_unreachable() {
    let mut d = plane(LAB);
    let (out, _) = send(&mut d, 0, Spec::udp(v4("10.0.1.2"), v4("8.8.8.8"), 1, 2));
    let Output::Reply { packet, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        crate::packet::parse(&packet).unwrap().transport.icmp,
        Some((3, 0))
    );
    let (out, _) = send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("203.0.113.5"), 1, 2),
    );
    let Output::Reply { packet, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        crate::packet::parse(&packet).unwrap().transport.icmp,
        Some((3, 1))
    );
    let drops = &d.stats().units["ge-0/0/0.0"].drops;
    assert_eq!((drops["no-route"], drops["route-reject"]), (1, 1));
}

#[test]
fn the_router_answers_ping_to_its_addresses_in_both_families() {
    let mut d = plane(LAB);
    let (out, _) = send(&mut d, 0, Spec::ping(v4("10.0.1.2"), v4("10.0.2.1"), 1, 1));
    let Output::Reply { unit: 0, packet } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        crate::packet::parse(&packet).unwrap().transport.icmp,
        Some((0, 0))
    );
    let (out, _) = send(
        &mut d,
        0,
        Spec::ping(v6("2001:db8:1::2"), v6("2001:db8:1::1"), 1, 1),
    );
    let Output::Reply { packet, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        crate::packet::parse(&packet).unwrap().transport.icmp,
        Some((129, 0))
    );
}

#[test]
fn the_input_filter_discards_counts_rejects_and_accepts() {
    let mut d = plane(LAB);
    let (c, s) = (v4("10.0.1.2"), v4("10.0.2.2"));
    assert_eq!(
        send(&mut d, 0, Spec::tcp(c, s, 4000, 23, 2)).0,
        Output::Dropped(Drop::FilterDiscard)
    );
    let (out, _) = send(&mut d, 0, Spec::tcp(c, s, 4000, 25, 2));
    let Output::Reply { packet, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        crate::packet::parse(&packet).unwrap().transport.tcp_flags,
        Some(0x14)
    );
    assert_eq!(
        send(&mut d, 0, Spec::udp(c, s, 4000, 53)).0,
        Output::Forward {
            unit: 1,
            len: 28,
            next_hop: None
        }
    );
    assert_eq!(
        send(&mut d, 0, Spec::tcp(c, s, 4000, 80, 2)).0,
        Output::Forward {
            unit: 1,
            len: 40,
            next_hop: None
        }
    );
    let st = d.stats();
    let key = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(st.counters[&key("edge", "telnet")].packets, 1);
    assert_eq!(st.counters[&key("edge", "dns")].packets, 1);
    assert_eq!(st.terms[&key("edge", "rest")].packets, 1);
    assert_eq!(st.units["ge-0/0/0.0"].drops["filter-discard"], 1);
    assert_eq!(st.units["ge-0/0/0.0"].drops["filter-reject"], 1);
}

#[test]
fn garbage_is_counted_by_reason_and_never_forwarded() {
    let mut d = plane(LAB);
    let good = Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 1, 2).build();
    let mut cases: Vec<Vec<u8>> = vec![vec![], vec![0x45], good[..19].to_vec(), vec![0x70; 60]];
    let mut sum = good.clone();
    sum[10] ^= 1;
    cases.push(sum);
    let mut zero_ttl = Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 1, 2)
        .ttl(0)
        .build();
    cases.push(zero_ttl.clone());
    let mut jumbo = good.clone();
    jumbo.resize(9000, 0);
    cases.push(jumbo);
    for mut c in cases {
        match d.process(0, &mut c) {
            Output::Forward { len, .. } => assert_eq!(len, 28, "padding is not forwarded"),
            Output::Dropped(_) | Output::Reply { .. } | Output::EchoReply { .. } => {}
        }
    }
    zero_ttl.clear();
    let drops = &d.stats().units["ge-0/0/0.0"].drops;
    assert_eq!(drops["truncated"], 3);
    assert_eq!(drops["bad-version"], 1);
    assert_eq!(drops["bad-checksum"], 1);
    assert_eq!(drops["ttl-expired"], 1);
}

#[test]
fn a_commit_keeps_counters_of_what_still_exists() {
    let mut d = plane(LAB);
    send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 4000, 53),
    );
    let text: String = LAB
        .lines()
        .map(|l| format!("{}\n", l.trim()))
        .collect::<String>()
        + "set firewall family inet filter edge term new then accept\n";
    let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap();
    let carried = d.stats();
    d.apply(Arc::new(Compiled::build(&cfg)), &Stats::default());
    let st = d.stats();
    assert_eq!(
        st.counters[&("edge".to_string(), "dns".to_string())].packets,
        1
    );
    assert_eq!(
        st.units["ge-0/0/0.0"].rx_packets,
        carried.units["ge-0/0/0.0"].rx_packets
    );
    assert_eq!(
        st.terms[&("edge".to_string(), "new".to_string())].packets,
        0
    );
}

#[test]
fn clear_firewall_resets_one_filter() {
    let mut d = plane(LAB);
    send(
        &mut d,
        0,
        Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 4000, 53),
    );
    assert!(d.clear_filter("edge"));
    assert!(!d.clear_filter("nope"));
    let st = d.stats();
    assert!(
        st.counters.values().all(|c| c.packets == 0),
        "configured counters stay listed, at zero"
    );
    assert_eq!(st.counters.len(), 2);
    assert_eq!(
        st.terms[&("edge".to_string(), "dns".to_string())].packets,
        0
    );
}

#[test]
fn a_unit_without_the_family_drops() {
    let mut d = plane("set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24");
    let (out, _) = send(
        &mut d,
        0,
        Spec::udp(v6("2001:db8::1"), v6("2001:db8::2"), 1, 2),
    );
    assert_eq!(out, Output::Dropped(Drop::FamilyDisabled));
}

#[test]
fn drop_reasons_have_dense_distinct_indices() {
    let all: Vec<Drop> = Drop::all().collect();
    assert_eq!(all.len(), DROP_KINDS);
    for (i, d) in all.iter().enumerate() {
        assert_eq!(d.index(), i, "{d:?}");
    }
    let names: std::collections::BTreeSet<_> = all.iter().map(|d| d.name()).collect();
    assert_eq!(names.len(), DROP_KINDS);
}

#[test]
fn a_commit_compiles_again_only_the_filters_that_changed() {
    let cfg = |extra: &str| {
        let text: String =
            format!("{LAB}\nset firewall family inet filter other term t then accept\n{extra}")
                .lines()
                .map(|l| format!("{}\n", l.trim()))
                .collect();
        flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap()
    };
    let mut cache = FilterCache::default();
    let a = Compiled::build_cached(&cfg(""), &mut cache);
    let b = Compiled::build_cached(
        &cfg("set firewall family inet filter other term t then count seen"),
        &mut cache,
    );
    let named = |c: &Compiled, n: &str| c.filters.iter().find(|f| f.name == n).unwrap().clone();
    assert!(
        Arc::ptr_eq(&named(&a, "edge"), &named(&b, "edge")),
        "unchanged: kept"
    );
    assert!(
        !Arc::ptr_eq(&named(&a, "other"), &named(&b, "other")),
        "changed: compiled"
    );
    assert_eq!(named(&b, "other").counters, ["seen"]);
    // A new unit can change what interface conditions mean: everything is compiled again.
    let c = Compiled::build_cached(
        &cfg(
            "set firewall family inet filter other term t then count seen\n\
              set interfaces ge-0/0/7 unit 0 family inet address 10.0.7.1/24",
        ),
        &mut cache,
    );
    assert!(!Arc::ptr_eq(&named(&b, "edge"), &named(&c, "edge")));
    // And the units still find their filters by name.
    assert_eq!(
        c.units[0].inet.as_ref().unwrap().filter_input,
        c.filters.iter().position(|f| f.name == "edge")
    );
}
