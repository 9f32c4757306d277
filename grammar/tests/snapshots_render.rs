//! Rendered configuration, `show | compare` and commit-check output, snapshot-tested.

use flowsh_grammar::edit::execute;
use flowsh_grammar::load::load_text;
use flowsh_grammar::parse::parse_command;
use flowsh_grammar::resolve::Options;
use flowsh_grammar::tree::ConfigTree;
use flowsh_grammar::{check, check::render_errors, diff::compare, json, render};

fn tree(lines: &str) -> ConfigTree {
    let mut t = ConfigTree::new();
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let cmd = parse_command(line).unwrap().unwrap();
        execute(&mut t, &[], &cmd, Options { abbrev: true })
            .unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    t
}

fn errors(lines: &str) -> String {
    render_errors(&check(&tree(lines)).unwrap_err())
}

const JFLOW: &str = "
    set system host-name r1
    set chassis fpc 0 sampling-instance ipfix
    set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
    set interfaces ge-0/0/0 unit 0 family inet filter input sample-all
    set interfaces ge-0/0/0 unit 0 family inet sampling input
    set forwarding-options sampling instance ipfix input rate 10 run-length 2
    set forwarding-options sampling instance ipfix family inet output flow-server 10.50.1.2 port 2055
    set forwarding-options sampling instance ipfix family inet output flow-server 10.50.1.2 version-ipfix template ipv4
    set forwarding-options sampling instance ipfix family inet output inline-jflow source-address 10.50.1.1
    set services flow-monitoring version-ipfix template ipv4 ipv4-template
    set services flow-monitoring version-ipfix template ipv4 template-refresh-rate packets 100 seconds 30
    set firewall family inet filter sample-all term ssh from protocol tcp
    set firewall family inet filter sample-all term ssh from destination-port ssh
    set firewall family inet filter sample-all term ssh from source-address 10.0.0.0/8
    set firewall family inet filter sample-all term ssh from source-address 10.1.0.0/16 except
    set firewall family inet filter sample-all term ssh then count ssh-packets
    set firewall family inet filter sample-all term ssh then sample
    set firewall family inet filter sample-all term ssh then accept
    set firewall family inet filter sample-all term rest then accept
    set routing-options static route 0.0.0.0/0 next-hop 10.0.1.254
    set routing-options rib inet6.0 static route ::/0 next-hop 2001:db8::1
";

#[test]
fn jflow_configuration_in_brace_form() {
    insta::assert_snapshot!(render::brace(&tree(JFLOW)));
}

#[test]
fn jflow_configuration_in_set_form() {
    insta::assert_snapshot!(render::set_lines(&tree(JFLOW)));
}

#[test]
fn jflow_configuration_in_json() {
    insta::assert_snapshot!(json::render(&tree(JFLOW)));
}

#[test]
fn jflow_configuration_checks_into_the_typed_model() {
    let cfg = check(&tree(JFLOW)).unwrap();
    insta::assert_json_snapshot!(cfg);
}

#[test]
fn mirroring_configuration_in_brace_form() {
    let t = tree(
        "
        set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24
        set interfaces ge-0/0/3 unit 0 analyzer-label tap
        set forwarding-options port-mirroring input rate 2 maximum-packet-length 128
        set forwarding-options port-mirroring family inet output interface ge-0/0/3.0 next-hop 192.0.2.9
        set forwarding-options port-mirroring instance pm1 input rate 1
        set forwarding-options port-mirroring mirror-once
        set forwarding-options analyzer a1 input ingress interface ge-0/0/0.0
        set forwarding-options analyzer a1 output ip-address 198.51.100.1
        set services mirror-destination md1 analyzer-address 198.51.100.7 udp-port 8099 maximum-packet-length 256 rate-limit 1000
        set services mirror-destination md2 no-juniper-header analyzer-mac-address 00:11:22:33:44:55 traffic-direction ingress
        set services mirror-destination vx no-juniper-header next-hop-mode static static-next-hop vtep-address 203.0.113.5 vni 5001
        set security policies default-policy permit-all
        set security policies policy web interface ge-0/0/0.0
        set security policies policy web then mirror-to md1
        set security policies policy web rule http match destination-port [ http https ] protocol tcp
        set security policies policy web rule http then permit mirror-to [ md2 vx ]
        ",
    );
    insta::assert_snapshot!(render::brace(&t));
    assert!(check(&t).is_ok(), "{}", errors("set system host-name x"));
}

#[test]
fn inactive_and_annotations_render_in_both_forms() {
    let mut t = tree(JFLOW);
    for l in [
        "deactivate firewall family inet filter sample-all term ssh",
        "annotate interfaces ge-0/0/0 \"uplink to the core\"",
        "deactivate routing-options static route 0.0.0.0/0",
    ] {
        execute(
            &mut t,
            &[],
            &parse_command(l).unwrap().unwrap(),
            Options::default(),
        )
        .unwrap();
    }
    insta::assert_snapshot!(format!(
        "{}\n----\n{}",
        render::brace(&t),
        render::set_lines(&t)
    ));
}

#[test]
fn compare_shows_added_removed_and_changed_statements() {
    let old = tree(JFLOW);
    let new = tree(&format!(
        "{JFLOW}
        set system host-name r2
        set forwarding-options sampling instance ipfix input rate 100
        set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
        set firewall family inet filter sample-all term web from destination-port http
        set firewall family inet filter sample-all term web then accept
        set firewall family inet filter sample-all term ssh from protocol udp
        "
    ));
    let mut new = new;
    for l in [
        "delete routing-options rib",
        "insert firewall family inet filter sample-all term web before term rest",
        "deactivate interfaces ge-0/0/0 unit 0 family inet sampling",
    ] {
        execute(
            &mut new,
            &[],
            &parse_command(l).unwrap().unwrap(),
            Options::default(),
        )
        .unwrap();
    }
    insta::assert_snapshot!(compare(&old, &new));
}

#[test]
fn compare_of_a_new_configuration_shows_everything_under_edit() {
    let new = tree(
        "set system host-name r1\nset routing-options static route 10.0.0.0/8 next-hop 192.0.2.1",
    );
    insta::assert_snapshot!(compare(&ConfigTree::new(), &new));
}

#[test]
fn commit_errors_are_all_reported_at_once() {
    insta::assert_snapshot!(errors(
        "
        set interfaces ge-0/0/0 unit 0 family inet filter input missing-filter
        set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24
        set interfaces ge-0/0/1 unit 0 family inet address 10.0.0.1/24
        set interfaces ge-0/0/1 unit 5 vlan-id 5
        set forwarding-options sampling input rate 10
        set forwarding-options sampling family inet output flow-server 10.0.0.1 version 5 aggregation protocol-port
        set forwarding-options sampling family inet output flow-server 10.0.0.2 port 2055 version9 template nope
        set chassis fpc 1 sampling-instance ghost
        set firewall family inet filter f term a from address 10.0.0.0/8
        set firewall family inet filter f term a from source-address 10.1.0.0/16
        set firewall family inet filter f term a then accept next term
        set firewall family inet filter f term b then next term
        set firewall family inet6 filter g term a then sample
        set services flow-monitoring version9 template t1 template-id 1024
        set security policies policy p then mirror-to nowhere
        "
    ));
}

#[test]
fn more_than_eight_flow_servers_is_refused() {
    let mut lines = String::from("set forwarding-options sampling input rate 1\n");
    for i in 1..=9 {
        lines.push_str(&format!(
            "set forwarding-options sampling family inet output flow-server 10.0.0.{i} port 2055\n"
        ));
    }
    insta::assert_snapshot!(errors(&lines));
}

#[test]
fn v5_and_ipfix_cannot_be_mixed() {
    insta::assert_snapshot!(errors(
        "
        set forwarding-options sampling input rate 1
        set forwarding-options sampling family inet output flow-server 10.0.0.1 port 2055
        set forwarding-options sampling family inet6 output flow-server 10.0.0.2 port 4739 version-ipfix template v6
        set services flow-monitoring version-ipfix template v6 ipv6-template
        "
    ));
}

#[test]
fn load_errors_carry_file_line_and_column() {
    let text = "forwarding-options {\n    sampling {\n        input {\n            rat 10;\n            run-length 50;\n        }\n    }\n}\n";
    let err = load_text(text).unwrap_err();
    insta::assert_snapshot!(err.render("r1.conf", text));
}

#[test]
fn set_file_errors_report_the_token_start() {
    let text = "set system host-name r1\nset forwarding-options sampling input rate 0\nset bogus\n";
    let err = load_text(text).unwrap_err();
    insta::assert_snapshot!(err.render("r1.set", text));
}
