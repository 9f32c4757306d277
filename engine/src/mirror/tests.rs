//! Flow mode on the data plane: decisions kept per flow, copies per destination.

use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::build::{Spec, v4};
use crate::dataplane::{Compiled, Dataplane, Drop, Output, plane_of};
use crate::mirror::MirrorCopy;
use crate::mirror::encap::flag;

const BASE: &str = "
set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/2 unit 0 family inet address 10.90.0.1/24
set interfaces ge-0/0/3 unit 0 analyzer-label ids
set interfaces ge-0/0/3 unit 0 family inet address 10.95.0.1/24
set services mirror-destination ids analyzer-address 10.90.0.50
set services mirror-destination ingress-only analyzer-address 10.90.0.60
set services mirror-destination ingress-only udp-port 9000
set services mirror-destination ingress-only traffic-direction ingress
set services mirror-destination short analyzer-address 10.90.0.70
set services mirror-destination short maximum-packet-length 64
set services mirror-destination slow analyzer-address 10.90.0.80
set services mirror-destination slow rate-limit 5
set services mirror-destination vtep no-juniper-header
set services mirror-destination vtep next-hop-mode static
set services mirror-destination vtep static-next-hop vtep-address 10.90.0.90
set services mirror-destination vtep static-next-hop vni 5001
set services mirror-destination inside analyzer-label ids
set services mirror-destination inside no-juniper-header
";

fn plane(policies: &str) -> Dataplane {
    plane_of(&format!("{BASE}{policies}"))
}

fn send(d: &mut Dataplane, unit: u16, spec: Spec) -> (Output, Vec<u8>) {
    let mut buf = spec.build();
    let original = buf.clone();
    let out = d.process(unit, &mut buf);
    (out, original)
}

/// The copies of the last packet: destination, outer packet or frame.
fn copies(d: &mut Dataplane) -> Vec<MirrorCopy> {
    d.take_mirrors()
}

fn udp(sport: u16, dport: u16) -> Spec {
    Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), sport, dport).payload(100)
}

fn reply(sport: u16, dport: u16) -> Spec {
    Spec::udp(v4("10.0.2.2"), v4("10.0.1.2"), dport, sport).payload(100)
}

/// The Juniper header's parts in a copy: outer destination and port, flags, inner frame.
fn juniper(c: &MirrorCopy) -> (Ipv4Addr, u16, u32, Vec<u8>) {
    let MirrorCopy::Ip { packet, .. } = c else {
        panic!("not an IP copy: {c:?}")
    };
    let v = crate::packet::parse(packet).unwrap();
    let udp = &packet[v.l4_offset..];
    let payload = &udp[8..];
    let mut at = 0;
    let mut flags = 0;
    loop {
        let (t, l) = (payload[at], usize::from(payload[at + 1]));
        if t == 2 {
            flags = u32::from_be_bytes(payload[at + 2..at + 6].try_into().unwrap());
        }
        at += 2 + l;
        if t == 255 {
            break;
        }
    }
    (
        v.dst_v4(),
        v.transport.dst_port.unwrap(),
        flags,
        payload[at..].to_vec(),
    )
}

#[test]
fn a_rule_mirrors_every_packet_of_its_flow_both_ways_and_nothing_else() {
    let mut d = plane(
        "set security policies policy p rule web match protocol udp
         set security policies policy p rule web match destination-port 5001
         set security policies policy p rule web then permit
         set security policies policy p rule web then mirror-to ids",
    );
    let (out, original) = send(&mut d, 0, udp(1000, 5001));
    assert!(matches!(out, Output::Forward { unit: 1, .. }));
    let c = copies(&mut d);
    assert_eq!(c.len(), 1);
    let (to, port, flags, frame) = juniper(&c[0]);
    assert_eq!((to, port), (Ipv4Addr::new(10, 90, 0, 50), 8099));
    assert_eq!(flags, flag::PASS | flag::MIRROR | flag::INGRESS);
    assert_eq!(
        &frame[14..],
        &original[..],
        "the packet as it arrived, byte for byte"
    );
    // The reply belongs to the same flow: copied too, without the ingress bit.
    send(&mut d, 1, reply(1000, 5001));
    let c = copies(&mut d);
    assert_eq!(juniper(&c[0]).2, flag::PASS | flag::MIRROR);
    // Another flow: no rule mirrors it.
    send(&mut d, 0, udp(1000, 5002));
    assert!(copies(&mut d).is_empty());
    assert_eq!(d.mirror_stats()[0].packets, 2);
    assert_eq!(d.sessions().len(), 2);
}

#[test]
fn policy_level_mirroring_covers_every_rule_and_rules_add_their_own() {
    let mut d = plane(
        "set security policies policy p then mirror-to ids
         set security policies policy p rule a match destination-port 5001
         set security policies policy p rule a then permit
         set security policies policy p rule b match destination-port 5002
         set security policies policy p rule b then permit
         set security policies policy p rule b then mirror-to [ short slow ]",
    );
    send(&mut d, 0, udp(1, 5001));
    let c = copies(&mut d);
    assert_eq!(c.len(), 1, "rule a: the policy's destination");
    send(&mut d, 0, udp(1, 5002));
    let dests: Vec<u16> = copies(&mut d)
        .iter()
        .map(|c| match c {
            MirrorCopy::Ip { dest, .. } => *dest,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(dests, [0, 2, 3], "rule b: the policy's, then its own");
}

#[test]
fn a_denied_flow_is_dropped_and_still_mirrored_marked_deny() {
    let mut d = plane(
        "set security policies policy p then mirror-to ids
         set security policies policy p rule no-telnet match protocol tcp
         set security policies policy p rule no-telnet match destination-port telnet
         set security policies policy p rule no-telnet then deny
         set security policies default-policy deny-all",
    );
    let (out, _) = send(
        &mut d,
        0,
        Spec::tcp(v4("10.0.1.2"), v4("10.0.2.2"), 5, 23, 2),
    );
    assert_eq!(out, Output::Dropped(Drop::PolicyDeny));
    assert_eq!(
        juniper(&copies(&mut d)[0]).2,
        flag::DENY | flag::MIRROR | flag::INGRESS
    );
    // The default policy denies what no rule matches.
    let (out, _) = send(&mut d, 0, udp(1, 2));
    assert_eq!(out, Output::Dropped(Drop::PolicyDeny));
    assert_eq!(d.policy_hits(), (&[vec![1]][..], 1));
}

#[test]
fn direction_truncation_and_rate_limit_apply_per_destination() {
    let mut d = plane(
        "set security policies policy p rule all then permit
         set security policies policy p rule all then mirror-to [ ingress-only short slow ]",
    );
    d.set_now(1_000);
    for _ in 0..10 {
        send(&mut d, 0, udp(1, 2));
    }
    send(&mut d, 1, reply(1, 2));
    let c = copies(&mut d);
    let count = |dest: u16| {
        c.iter()
            .filter(|x| matches!(x, MirrorCopy::Ip { dest: d, .. } if *d == dest))
            .count()
    };
    assert_eq!(count(1), 10, "ingress only: not the reply");
    assert_eq!(count(2), 11);
    assert_eq!(count(3), 5, "five a second");
    let s = d.mirror_stats();
    assert_eq!((s[3].rate_limited, s[2].truncated), (6, 11));
    let short = c
        .iter()
        .find(|x| matches!(x, MirrorCopy::Ip { dest: 2, .. }))
        .unwrap();
    assert_eq!(juniper(short).3.len(), 64);
    // Next second, five more.
    d.set_now(2_000);
    send(&mut d, 0, udp(1, 2));
    assert!(
        copies(&mut d)
            .iter()
            .any(|x| matches!(x, MirrorCopy::Ip { dest: 3, .. }))
    );
}

#[test]
fn vxlan_and_an_internal_analyzer_by_label() {
    let mut d = plane(
        "set security policies policy p rule all then permit
         set security policies policy p rule all then mirror-to [ vtep inside ]",
    );
    let (_, original) = send(&mut d, 0, udp(1, 2));
    let c = copies(&mut d);
    let MirrorCopy::Ip { packet, .. } = &c[0] else {
        panic!("{c:?}")
    };
    let v = crate::packet::parse(packet).unwrap();
    assert_eq!(v.dst_v4(), Ipv4Addr::new(10, 90, 0, 90));
    assert_eq!(v.transport.dst_port, Some(4789));
    let vxlan = &packet[v.l4_offset + 8..];
    assert_eq!(&vxlan[..8], &[0x08, 0, 0, 0, 0, 0x13, 0x89, 0]);
    assert_eq!(&vxlan[8 + 14..], &original[..]);
    let MirrorCopy::Unit { unit, frame, .. } = &c[1] else {
        panic!("{c:?}")
    };
    assert_eq!(*unit, 3, "the unit labelled ids");
    assert_eq!(&frame[14..], &original[..]);
}

const PORT_MIRRORING: &str = "
set forwarding-options port-mirroring input rate 2
set forwarding-options port-mirroring input maximum-packet-length 60
set forwarding-options port-mirroring family inet output interface ge-0/0/2.0 next-hop 10.90.0.50
set forwarding-options port-mirroring instance all input rate 1
set forwarding-options port-mirroring instance all family inet output interface ge-0/0/3.0
set forwarding-options analyzer span input ingress interface ge-0/0/1.0
set forwarding-options analyzer span output ip-address 10.90.0.77
set firewall family inet filter f term web from destination-port 80
set firewall family inet filter f term web then port-mirror
set firewall family inet filter f term web then accept
set firewall family inet filter f term dns from destination-port 53
set firewall family inet filter f term dns then port-mirror-instance all
set firewall family inet filter f term dns then accept
set firewall family inet filter f term rest then accept
set interfaces ge-0/0/0 unit 0 family inet filter input f
";

#[test]
fn port_mirroring_copies_what_the_filter_selects_and_analyzers_what_crosses_their_ports() {
    let mut d = plane(PORT_MIRRORING);
    // The global instance: 1 in 2, cut to 60 bytes, towards its next hop.
    for _ in 0..4 {
        send(&mut d, 0, udp(1, 80));
    }
    let c = copies(&mut d);
    assert_eq!(c.len(), 2);
    let MirrorCopy::Out {
        unit,
        next_hop,
        packet,
    } = &c[0]
    else {
        panic!("{c:?}")
    };
    assert_eq!((*unit, *next_hop), (2, Some("10.90.0.50".parse().unwrap())));
    assert_eq!(packet.len(), 60);
    // The named instance: every one, whole, out of ge-0/0/3.0.
    let (_, original) = send(&mut d, 0, udp(1, 53));
    let c = copies(&mut d);
    assert!(
        matches!(&c[..], [MirrorCopy::Out { unit: 3, packet, .. }] if *packet == original),
        "{c:?}"
    );
    send(&mut d, 0, udp(1, 443));
    assert!(copies(&mut d).is_empty(), "not selected");
    // The analyzer: what comes in on ge-0/0/1.0, in GRE to its remote address.
    let (_, original) = send(&mut d, 1, reply(1, 443));
    let c = copies(&mut d);
    let [MirrorCopy::Routed { packet }] = &c[..] else {
        panic!("{c:?}")
    };
    let v = crate::packet::parse(packet).unwrap();
    assert_eq!((v.protocol, v.dst_v4()), (47, Ipv4Addr::new(10, 90, 0, 77)));
    assert_eq!(&packet[24..], &original[..]);
    let s = d.port_mirror_stats();
    assert_eq!((s[0].candidates, s[0].packets, s[0].truncated), (4, 2, 2));
    assert_eq!((s[1].packets, s[2].packets), (1, 1));
}

#[test]
fn a_reply_seen_first_picks_the_flow_up_the_other_way() {
    let mut d = plane(
        "set security policies policy p interface ge-0/0/0.0
         set security policies policy p rule web match destination-port 5001
         set security policies policy p rule web then permit
         set security policies policy p rule web then mirror-to ids",
    );
    // Its request went through another worker: the reply finds no session, but the flow it
    // belongs to is one the rule takes, from ge-0/0/0.0 where the request came in.
    send(&mut d, 1, reply(1000, 5001));
    let c = copies(&mut d);
    assert_eq!(
        juniper(&c[0]).2,
        flag::PASS | flag::MIRROR,
        "the reverse direction"
    );
    send(&mut d, 0, udp(1000, 5001));
    assert_eq!(juniper(&copies(&mut d)[0]).2 & flag::INGRESS, flag::INGRESS);
    assert_eq!(d.sessions().len(), 1, "one session, both ways");
}

#[test]
fn a_label_moves_to_the_next_unit_when_its_unit_goes() {
    let policies = "set security policies policy p rule all then permit
         set security policies policy p rule all then mirror-to inside
         set interfaces ge-0/0/4 unit 0 analyzer-label ids
         set interfaces ge-0/0/4 unit 0 family inet address 10.96.0.1/24";
    let mut d = plane(policies);
    send(&mut d, 0, udp(1, 2));
    assert!(matches!(
        &copies(&mut d)[..],
        [MirrorCopy::Unit { unit: 3, .. }]
    ));
    let mut d = plane(&format!("{policies}\nset interfaces ge-0/0/3 disable"));
    send(&mut d, 0, udp(1, 2));
    assert!(matches!(
        &copies(&mut d)[..],
        [MirrorCopy::Unit { unit: 4, .. }]
    ));
}

#[test]
fn a_new_flow_the_other_way_is_not_taken_for_a_reply() {
    let policies = "set security policies policy p interface ge-0/0/0.0
         set security policies policy p rule ssh match source-address 10.0.1.0/24
         set security policies policy p rule ssh then permit
         set security policies default-policy deny-all";
    let mut d = plane(policies);
    // A SYN from the other side opens a flow no policy of ge-0/0/1.0 permits.
    let syn = Spec::tcp(v4("10.0.2.2"), v4("10.0.1.2"), 40000, 22, 0x02);
    assert_eq!(send(&mut d, 1, syn).0, Output::Dropped(Drop::PolicyDeny));
    // Its answer to a SYN that came in on ge-0/0/0.0 (read by another worker) is a reply.
    let mut d = plane(policies);
    let syn_ack = Spec::tcp(v4("10.0.2.2"), v4("10.0.1.2"), 22, 40000, 0x12);
    assert!(matches!(send(&mut d, 1, syn_ack).0, Output::Forward { .. }));
    // Echo requests open flows too; the reverse decision is never a deny taken over.
    let ping = Spec::ping(v4("10.0.2.2"), v4("10.0.1.2"), 7, 1);
    assert_eq!(send(&mut d, 1, ping).0, Output::Dropped(Drop::PolicyDeny));
}

#[test]
fn a_reversed_deny_does_not_drop_what_the_default_permits() {
    let mut d = plane(
        "set security policies policy p rule no match source-address 10.0.1.0/24
         set security policies policy p rule no then deny",
    );
    assert!(matches!(
        send(&mut d, 1, reply(1000, 53)).0,
        Output::Forward { .. }
    ));
}

#[test]
fn a_bare_interface_name_means_its_units_and_nothing_else() {
    let mut d = plane(
        "set security policies policy p interface ge-0/0/1
         set security policies policy p rule all then deny
",
    );
    assert!(matches!(
        send(&mut d, 0, udp(1, 2)).0,
        Output::Forward { .. }
    ));
    assert_eq!(
        send(&mut d, 1, Spec::udp(v4("10.0.2.2"), v4("10.0.1.2"), 5, 6)).0,
        Output::Dropped(Drop::PolicyDeny)
    );
}

#[test]
fn echo_exchanges_are_sessions_of_their_own_and_a_land_packet_keeps_its_direction() {
    let mut d = plane(
        "set security policies policy p rule all then permit
         set security policies policy p rule all then mirror-to ids",
    );
    send(&mut d, 0, Spec::ping(v4("10.0.1.2"), v4("10.0.2.2"), 7, 1));
    send(&mut d, 1, Spec::ping(v4("10.0.2.2"), v4("10.0.1.2"), 8, 1));
    assert_eq!(d.sessions().len(), 2, "two identifiers, two sessions");
    let _ = copies(&mut d);
    let land = || Spec::udp(v4("10.0.1.2"), v4("10.0.1.2"), 9, 9);
    send(&mut d, 0, land());
    send(&mut d, 0, land());
    let c = copies(&mut d);
    assert_eq!(c.len(), 2);
    assert!(
        c.iter()
            .all(|c| juniper(c).2 & flag::INGRESS == flag::INGRESS)
    );
}

#[test]
fn a_mirror_length_below_an_ethernet_header_keeps_the_header() {
    let mut d = plane(
        "set services mirror-destination tiny analyzer-mac-address 02:00:00:00:00:99
         set services mirror-destination tiny no-juniper-header
         set services mirror-destination tiny maximum-packet-length 3
         set security policies policy p rule all then permit
         set security policies policy p rule all then mirror-to tiny",
    );
    send(&mut d, 0, udp(1, 2));
    match &copies(&mut d)[..] {
        [MirrorCopy::Frame { frame, .. }] => assert_eq!(frame.len(), 14),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rate_limit_is_for_the_whole_router_whichever_worker_copies() {
    let text: String = format!(
        "{BASE}set security policies policy p rule all then permit
         set security policies policy p rule all then mirror-to slow"
    )
    .lines()
    .map(|l| format!("{}\n", l.trim()))
    .collect();
    let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap();
    let mut compiled = Compiled::build(&cfg);
    compiled.shards = 2;
    let compiled = Arc::new(compiled);
    // Two workers: all the traffic through one of them still gets the full five a second.
    let (mut a, mut b) = (
        Dataplane::new(compiled.clone()),
        Dataplane::new(compiled.clone()),
    );
    a.set_now(1_000);
    b.set_now(1_000);
    for _ in 0..10 {
        send(&mut a, 0, udp(1, 2));
    }
    assert_eq!(copies(&mut a).len(), 5);
    // The other worker shares the same second's budget.
    send(&mut b, 1, reply(1, 2));
    assert!(copies(&mut b).is_empty());
    assert_eq!(
        a.mirror_stats()[3].rate_limited + b.mirror_stats()[3].rate_limited,
        6
    );
}

#[test]
fn later_fragments_follow_the_decision_of_their_first() {
    let policies = "set security policies policy p rule iperf match destination-port 5001
         set security policies policy p rule iperf then permit
         set security policies policy p rule iperf then mirror-to ids
         set security policies default-policy deny-all";
    let first = Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 40000, 5001)
        .payload(1000)
        .fragment(0, true);
    let later = Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 40000, 5001)
        .payload(1000)
        .fragment(185, false);
    let mut d = plane(policies);
    assert!(matches!(send(&mut d, 0, first).0, Output::Forward { .. }));
    assert!(matches!(send(&mut d, 0, later).0, Output::Forward { .. }));
    assert_eq!(copies(&mut d).len(), 2, "both fragments mirrored");
    assert_eq!(d.sessions().len(), 1);
    // Without its first fragment, a later one has no ports to match: denied.
    let mut d = plane(policies);
    assert_eq!(send(&mut d, 0, later).0, Output::Dropped(Drop::PolicyDeny));
}
