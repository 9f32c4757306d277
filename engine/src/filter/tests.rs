use super::*;
use crate::build::{Spec, v4, v6};
use crate::packet::parse;
use proptest::prelude::*;

fn filter_from(lines: &str) -> Filter {
    let text: String = lines.lines().map(|l| format!("{}\n", l.trim())).collect();
    let loaded = flowsh_grammar::load_text(&text)
        .map_err(|e| e.render("t", &text))
        .unwrap();
    let cfg = flowsh_grammar::check(&loaded.tree)
        .map_err(|e| flowsh_grammar::check::render_errors(&e))
        .unwrap();
    cfg.firewall.filters.into_iter().next().unwrap()
}

const UNITS: &[&str] = &["ge-0/0/0.0", "ge-0/0/1.0", "ge-0/0/1.5"];

fn units() -> Vec<String> {
    UNITS.iter().map(|s| s.to_string()).collect()
}

fn decide(f: &CompiledFilter, spec: Spec, unit: u16) -> (Decision, Option<u16>) {
    let (v, _) = trace(f, spec, unit);
    (v.decision, v.term)
}

/// The verdict and every term reported on the way.
fn trace(f: &CompiledFilter, spec: Spec, unit: u16) -> (Verdict, Vec<usize>) {
    let pkt = spec.build();
    let view = parse(&pkt).unwrap();
    let mut seen = Vec::new();
    let fields = Fields {
        packet: &view,
        unit,
    };
    (f.evaluate(&fields, |t| seen.push(t)), seen)
}

#[test]
fn longest_prefix_decides_and_except_excludes() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set firewall filter f term a from source-address 10.0.0.0/8
             set firewall filter f term a from source-address 10.1.0.0/16 except
             set firewall filter f term a from source-address 10.1.2.0/24
             set firewall filter f term a then accept",
        ),
        &units(),
    );
    let d = |src| decide(&f, Spec::udp(v4(src), v4("192.0.2.1"), 1, 2), 0).0;
    assert_eq!(d("10.9.9.9"), Decision::Accept);
    assert_eq!(d("10.1.9.9"), Decision::ImplicitDiscard);
    assert_eq!(d("10.1.2.9"), Decision::Accept);
    assert_eq!(d("11.0.0.1"), Decision::ImplicitDiscard);
}

#[test]
fn terms_keep_their_order_and_the_first_match_decides() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set firewall filter f term ssh from protocol tcp
             set firewall filter f term ssh from destination-port ssh
             set firewall filter f term ssh then reject tcp-reset
             set firewall filter f term tcp from protocol tcp
             set firewall filter f term tcp then accept
             set firewall filter f term rest then discard",
        ),
        &units(),
    );
    let (a, b) = (v4("10.0.0.1"), v4("10.0.0.2"));
    assert_eq!(
        decide(&f, Spec::tcp(a, b, 999, 22, 2), 0),
        (Decision::Reject(RejectType::TcpReset), Some(0))
    );
    assert_eq!(
        decide(&f, Spec::tcp(a, b, 999, 80, 2), 0),
        (Decision::Accept, Some(1))
    );
    assert_eq!(
        decide(&f, Spec::udp(a, b, 999, 22), 0),
        (Decision::Discard, Some(2))
    );
}

#[test]
fn port_conditions_never_match_packets_without_ports_but_except_ones_do() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set firewall filter f term p from port 53
             set firewall filter f term p then accept
             set firewall filter f term x from destination-port-except 22
             set firewall filter f term x then discard",
        ),
        &units(),
    );
    let ping = Spec::ping(v4("10.0.0.1"), v4("10.0.0.2"), 1, 1);
    assert_eq!(decide(&f, ping, 0), (Decision::Discard, Some(1)));
    assert_eq!(
        decide(&f, Spec::udp(v4("1.1.1.1"), v4("2.2.2.2"), 53, 9), 0).1,
        Some(0)
    );
    assert_eq!(
        decide(&f, Spec::udp(v4("1.1.1.1"), v4("2.2.2.2"), 9, 53), 0).1,
        Some(0)
    );
    assert_eq!(
        decide(&f, Spec::udp(v4("1.1.1.1"), v4("2.2.2.2"), 9, 22), 0).0,
        Decision::ImplicitDiscard
    );
}

#[test]
fn next_term_continues_and_every_matched_term_is_reported() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set forwarding-options sampling input rate 1
             set forwarding-options sampling family inet output flow-server 192.0.2.9 port 2055
             set firewall filter f term count-all then count all
             set firewall filter f term count-all then sample
             set firewall filter f term count-all then next term
             set firewall filter f term udp from protocol udp
             set firewall filter f term udp then discard",
        ),
        &units(),
    );
    let (v, seen) = trace(&f, Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2), 0);
    assert_eq!(seen, [0, 1]);
    assert_eq!(v.decision, Decision::Discard);
    assert!(v.sample);
    let pkt = Spec::tcp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2, 2).build();
    let view = parse(&pkt).unwrap();
    let v = f.evaluate(
        &Fields {
            packet: &view,
            unit: 0,
        },
        |_| {},
    );
    assert_eq!(
        v.decision,
        Decision::ImplicitDiscard,
        "no term after `next term` matched"
    );
}

#[test]
fn tcp_established_and_initial_read_the_flags() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set firewall filter f term est from tcp-established
             set firewall filter f term est then accept
             set firewall filter f term init from tcp-initial
             set firewall filter f term init then discard",
        ),
        &units(),
    );
    let (a, b) = (v4("10.0.0.1"), v4("10.0.0.2"));
    assert_eq!(decide(&f, Spec::tcp(a, b, 1, 2, 0x10), 0).1, Some(0));
    assert_eq!(decide(&f, Spec::tcp(a, b, 1, 2, 0x02), 0).1, Some(1));
    assert_eq!(decide(&f, Spec::udp(a, b, 1, 2), 0).1, None);
}

#[test]
fn interface_conditions_match_the_unit_or_its_physical_interface() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set firewall filter f term one from interface ge-0/0/0.0
             set firewall filter f term one then accept
             set firewall filter f term all-units from interface ge-0/0/1
             set firewall filter f term all-units then discard",
        ),
        &units(),
    );
    let s = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2);
    assert_eq!(decide(&f, s, 0).1, Some(0));
    assert_eq!(decide(&f, s, 1).1, Some(1));
    assert_eq!(decide(&f, s, 2).1, Some(1));
    assert_eq!(
        decide(&f, s, 9).1,
        None,
        "an unknown unit matches no interface condition"
    );
}

#[test]
fn ipv6_filters_match_v6_prefixes_and_next_header() {
    let f = CompiledFilter::compile(
        &filter_from(
            "set firewall family inet6 filter f term a from source-address 2001:db8::/32
             set firewall family inet6 filter f term a from next-header udp
             set firewall family inet6 filter f term a then accept",
        ),
        &units(),
    );
    assert_eq!(
        decide(&f, Spec::udp(v6("2001:db8::1"), v6("2001:db9::1"), 1, 2), 0).1,
        Some(0)
    );
    assert_eq!(
        decide(&f, Spec::udp(v6("2001:db9::1"), v6("2001:db8::1"), 1, 2), 0).1,
        None
    );
}

#[test]
fn a_thousand_terms_share_few_bitsets() {
    let mut lines = String::new();
    for t in 0..1000 {
        lines.push_str(&format!(
            "set firewall filter f term t{t} from destination-address 10.{}.{}.0/24\n\
             set firewall filter f term t{t} from destination-port {}\n\
             set firewall filter f term t{t} then accept\n",
            t / 250,
            t % 250,
            1000 + t
        ));
    }
    let f = CompiledFilter::compile(&filter_from(&lines), &units());
    assert_eq!(f.terms.len(), 1000);
    let last = decide(&f, Spec::udp(v4("1.1.1.1"), v4("10.3.249.7"), 5, 1999), 0);
    assert_eq!(last, (Decision::Accept, Some(999)));
    assert!(f.bitsets() < 5000, "{}", f.bitsets());
}

#[test]
fn filters_beyond_4096_terms_chain_across_words() {
    let mut lines = String::new();
    for t in 0..5000 {
        let (cond, action) = match t {
            100 | 4200 => ("protocol udp".to_string(), "next term"),
            _ => (format!("destination-port {}", 1000 + t), "discard"),
        };
        lines.push_str(&format!(
            "set firewall filter f term t{t} from {cond}\n\
             set firewall filter f term t{t} then {action}\n"
        ));
    }
    let f = CompiledFilter::compile(&filter_from(&lines), &units());
    assert_eq!(f.terms.len(), 5000);
    let (v, seen) = trace(
        &f,
        Spec::udp(v4("1.1.1.1"), v4("2.2.2.2"), 5, 1000 + 4900),
        0,
    );
    assert_eq!(seen, [100, 4200, 4900]);
    assert_eq!((v.decision, v.term), (Decision::Discard, Some(4900)));
    let (v, seen) = trace(&f, Spec::udp(v4("1.1.1.1"), v4("2.2.2.2"), 5, 7), 0);
    assert_eq!(seen, [100, 4200]);
    assert_eq!(v.decision, Decision::ImplicitDiscard);
}

// Random filters against random packets: the classifier and the term-by-term specification agree.

const SRC: &[&str] = &[
    "10.0.0.0/8",
    "10.1.0.0/16 except",
    "10.1.2.0/24",
    "192.0.2.0/24",
    "0.0.0.0/0",
    "10.1.2.3/32",
];
const CONDITIONS: &[&str] = &[
    "protocol tcp",
    "protocol [ udp icmp ]",
    "protocol-except tcp",
    "destination-port [ 22 53 ]",
    "source-port 1024-65535",
    "port 80",
    "port-except 80",
    "tcp-flags \"(syn & !ack)\"",
    "tcp-established",
    "icmp-type echo-request",
    "icmp-type-except echo-reply",
    "dscp [ ef af11 ]",
    "dscp-except 0",
    "precedence 5",
    "ttl 1-2",
    "ttl-except 64",
    "packet-length 0-100",
    "packet-length-except 28",
    "is-fragment",
    "first-fragment",
    "fragment-flags more-fragments",
    "interface ge-0/0/1",
    "interface ge-0/0/0.0",
];
const ACTIONS: &[&str] = &["accept", "discard", "reject", "count c", "next term"];

/// A generated term: source prefixes, destination prefixes, conditions, action (indexes).
type TermSpec = (Vec<usize>, Vec<usize>, Vec<usize>, usize);

fn filter_text(terms: &[TermSpec]) -> String {
    let mut s = String::new();
    for (i, (srcs, dsts, conds, action)) in terms.iter().enumerate() {
        let base = format!("set firewall filter f term t{i}");
        for &x in srcs {
            s.push_str(&format!("{base} from source-address {}\n", SRC[x]));
        }
        for &x in dsts {
            s.push_str(&format!("{base} from destination-address {}\n", SRC[x]));
        }
        let mut used: Vec<&str> = Vec::new();
        for &c in conds {
            let cond = CONDITIONS[c];
            let kind = cond.split(' ').next().unwrap_or("");
            let base_kind = kind.trim_end_matches("-except");
            // One condition of a kind per term, and `port` never with source/destination-port.
            if used.iter().any(|u| {
                u.trim_end_matches("-except") == base_kind
                    || (base_kind == "port" && u.ends_with("-port"))
                    || (u.trim_end_matches("-except") == "port" && kind.ends_with("-port"))
            }) {
                continue;
            }
            used.push(kind);
            s.push_str(&format!("{base} from {cond}\n"));
        }
        let last = i + 1 == terms.len();
        let act = if last && ACTIONS[*action] == "next term" {
            "accept"
        } else {
            ACTIONS[*action]
        };
        s.push_str(&format!("{base} then {act}\n"));
    }
    s
}

fn packet() -> impl Strategy<Value = (Vec<u8>, u16)> {
    let addrs = prop::sample::select(vec![
        "10.1.2.3",
        "10.1.2.4",
        "10.1.9.9",
        "10.200.0.1",
        "192.0.2.77",
        "198.51.100.1",
    ]);
    (
        addrs.clone(),
        addrs,
        0u8..5,
        0u16..3,
        prop::sample::select(vec![22u16, 53, 80, 1000, 40000]),
        prop::sample::select(vec![22u16, 53, 80, 1000, 40000]),
        any::<u8>(),
        prop::sample::select(vec![1u8, 2, 63, 64, 255]),
        prop::sample::select(vec![0u8, 10, 40, 46]),
        0usize..80,
        0u8..3,
    )
        .prop_map(
            |(s, d, kind, unit, sp, dp, flags, ttl, dscp, payload, frag)| {
                let (s, d) = (v4(s), v4(d));
                let spec = match kind {
                    0 => Spec::tcp(s, d, sp, dp, flags),
                    1 => Spec::udp(s, d, sp, dp),
                    2 => Spec::ping(s, d, 1, 1),
                    3 => Spec {
                        l4: crate::build::L4::Raw(47),
                        ..Spec::udp(s, d, sp, dp)
                    },
                    _ => Spec::udp(s, d, sp, dp),
                }
                .ttl(ttl)
                .dscp(dscp)
                .payload(payload);
                let mut pkt = spec.build();
                if frag > 0 {
                    pkt[6] = if frag == 1 { 0x20 } else { 0x00 };
                    pkt[7] = if frag == 1 { 0 } else { 3 };
                    smoltcp::wire::Ipv4Packet::new_unchecked(&mut pkt[..]).fill_checksum();
                }
                (pkt, unit)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn classifier_agrees_with_term_by_term_evaluation(
        terms in prop::collection::vec(
            (
                prop::collection::vec(0..SRC.len(), 0..3),
                prop::collection::vec(0..SRC.len(), 0..2),
                prop::collection::vec(0..CONDITIONS.len(), 0..4),
                0..ACTIONS.len(),
            ),
            1..12,
        ),
        packets in prop::collection::vec(packet(), 1..40),
    ) {
        let text = filter_text(&terms);
        let filter = filter_from(&text);
        let units = units();
        let compiled = CompiledFilter::compile(&filter, &units);
        for (pkt, unit) in &packets {
            let view = parse(pkt).unwrap();
            let fields = Fields { packet: &view, unit: *unit };
            let v = compiled.evaluate(&fields, |_| {});
            prop_assert_eq!((v.decision, v.term), compiled.evaluate_linear(&filter, &units, &fields), "{}\n{:?}", text, view);
        }
    }
}
