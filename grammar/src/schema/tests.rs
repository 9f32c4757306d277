use super::*;

fn find(path: &[&str]) -> &'static Stmt {
    let mut stmts: &'static [Stmt] = TOP;
    let mut found = None;
    for name in path {
        let s = stmts
            .iter()
            .find(|s| s.name == *name)
            .unwrap_or_else(|| panic!("no statement {name} in {path:?}"));
        stmts = if s.variants.is_empty() {
            s.children
        } else {
            s.variants[0].1
        };
        found = Some(s);
    }
    found.unwrap()
}

fn check(path: &[&str], value: &str) -> Result<(), String> {
    find(path).value_type().unwrap().check(value)
}

const RATE: &[&str] = &["forwarding-options", "sampling", "input", "rate"];

#[test]
fn sampling_rate_0_fails() {
    assert_eq!(
        check(RATE, "0").unwrap_err(),
        "Value 0 is not within range (1..16000000)"
    );
}

#[test]
fn sampling_rate_1_and_16000000_pass() {
    assert!(check(RATE, "1").is_ok());
    assert!(check(RATE, "16000000").is_ok());
}

#[test]
fn sampling_rate_16000001_fails() {
    assert!(check(RATE, "16000001").is_err());
}

#[test]
fn sampling_rate_must_be_numeric() {
    assert_eq!(
        check(RATE, "10k").unwrap_err(),
        "Invalid numeric value: '10k'"
    );
}

#[test]
fn run_length_20_passes_and_21_fails() {
    let p = &["forwarding-options", "sampling", "input", "run-length"];
    assert!(check(p, "20").is_ok());
    assert!(check(p, "21").is_err());
}

#[test]
fn flow_server_port_bounds() {
    let p = &[
        "forwarding-options",
        "sampling",
        "family",
        "output",
        "flow-server",
        "port",
    ];
    assert!(check(p, "0").is_err());
    assert!(check(p, "1").is_ok());
    assert!(check(p, "65535").is_ok());
    assert!(check(p, "65536").is_err());
}

#[test]
fn output_timeouts_follow_junos_ranges() {
    let active = &[
        "forwarding-options",
        "sampling",
        "family",
        "output",
        "flow-active-timeout",
    ];
    let inactive = &[
        "forwarding-options",
        "sampling",
        "family",
        "output",
        "flow-inactive-timeout",
    ];
    assert!(check(active, "59").is_err() && check(active, "60").is_ok());
    assert!(check(active, "1800").is_ok() && check(active, "1801").is_err());
    assert!(check(inactive, "14").is_err() && check(inactive, "15").is_ok());
}

#[test]
fn template_ids_start_at_1024() {
    let p = &[
        "services",
        "flow-monitoring",
        "version9",
        "template",
        "template-id",
    ];
    assert!(check(p, "1023").is_err());
    assert!(check(p, "1024").is_ok());
    assert!(check(p, "65535").is_ok());
}

#[test]
fn template_refresh_packets_range() {
    let p = &[
        "services",
        "flow-monitoring",
        "version9",
        "template",
        "template-refresh-rate",
        "packets",
    ];
    assert!(check(p, "0").is_err());
    assert!(check(p, "480000").is_ok());
    assert!(check(p, "480001").is_err());
}

#[test]
fn vni_is_24_bits() {
    let p = &["services", "mirror-destination", "static-next-hop", "vni"];
    assert!(check(p, "16777215").is_ok());
    assert!(check(p, "16777216").is_err());
}

#[test]
fn interface_addresses_need_a_prefix_length() {
    let p = &["interfaces", "unit", "family", "address"];
    assert!(check(p, "192.0.2.1/24").is_ok());
    assert_eq!(
        check(p, "192.0.2.1").unwrap_err(),
        "missing prefix length: '192.0.2.1'"
    );
    assert!(check(p, "192.0.2.1/33").is_err());
    assert!(check(p, "300.0.2.1/24").is_err());
}

#[test]
fn filter_prefixes_accept_host_addresses() {
    let p = &[
        "firewall",
        "family",
        "filter",
        "term",
        "from",
        "source-address",
    ];
    assert!(check(p, "10.0.0.0/8").is_ok());
    assert!(check(p, "10.0.0.1").is_ok());
    assert!(
        check(p, "2001:db8::/32").is_err(),
        "family inet takes IPv4 prefixes"
    );
}

#[test]
fn ports_accept_names_numbers_and_ranges() {
    let p = &[
        "firewall",
        "family",
        "filter",
        "term",
        "from",
        "destination-port",
    ];
    for ok in ["ssh", "http", "bgp", "0", "65535", "1024-65535"] {
        assert!(check(p, ok).is_ok(), "{ok}");
    }
    for bad in ["sshx", "65536", "2000-1000", "-1"] {
        assert!(check(p, bad).is_err(), "{bad}");
    }
}

#[test]
fn dscp_aliases_and_numbers() {
    let p = &["firewall", "family", "filter", "term", "from", "dscp"];
    assert!(check(p, "af11").is_ok() && check(p, "ef").is_ok() && check(p, "63").is_ok());
    assert!(check(p, "64").is_err() && check(p, "af99").is_err());
}

#[test]
fn tcp_flag_expressions_are_checked() {
    let p = &["firewall", "family", "filter", "term", "from", "tcp-flags"];
    assert!(check(p, "(syn & !ack)").is_ok());
    assert!(check(p, "syn & (ack | rst)").is_ok());
    assert!(check(p, "(syn &").is_err());
    assert!(check(p, "bogus").is_err());
}

#[test]
fn mac_addresses_have_six_hex_octets() {
    let p = &["services", "mirror-destination", "analyzer-mac-address"];
    assert!(check(p, "00:11:22:aa:bb:cc").is_ok());
    assert!(check(p, "00:11:22:aa:bb").is_err());
    assert!(check(p, "00:11:22:aa:bb:zz").is_err());
}

#[test]
fn interface_names() {
    let t = ValueType::Interface;
    for ok in [
        "ge-0/0/0",
        "ge-0/0/0.0",
        "xe-1/2/3.100",
        "lo0",
        "ae1",
        "irb.10",
    ] {
        assert!(t.check(ok).is_ok(), "{ok}");
    }
    for bad in ["GE-0/0/0", "ge-0/0/0.", "ge-0/0/0.x", "0ge", ""] {
        assert!(t.check(bad).is_err(), "{bad}");
    }
}

#[test]
fn abbreviations_resolve_when_unique_and_list_choices_when_not() {
    let fo = find(&["forwarding-options"]).children;
    assert_eq!(lookup(fo, "samp", true), Lookup::Found(0));
    assert_eq!(lookup(fo, "samp", false), Lookup::Unknown);
    let then = find(&["firewall", "family", "filter", "term", "then"]).children;
    assert_eq!(
        lookup(then, "po", true),
        Lookup::Ambiguous(vec!["policer", "port-mirror", "port-mirror-instance"])
    );
    // An exact name wins over longer names it prefixes.
    assert!(matches!(
        lookup(then, "port-mirror", true),
        Lookup::Found(_)
    ));
}

/// Every statement of the table, with its path.
fn all(
    stmts: &'static [Stmt],
    path: &mut Vec<&'static str>,
    out: &mut Vec<(String, &'static Stmt)>,
) {
    for s in stmts {
        path.push(s.name);
        out.push((path.join(" "), s));
        all(s.children, path, out);
        for (_, v) in s.variants {
            all(v, path, out);
        }
        path.pop();
    }
}

#[test]
fn every_statement_has_help_and_siblings_have_unique_names() {
    let mut out = Vec::new();
    all(TOP, &mut Vec::new(), &mut out);
    assert!(out.len() > 250, "schema covers {} statements", out.len());
    for (path, s) in &out {
        assert!(!s.help.is_empty(), "{path} has no help");
        let mut names: Vec<&str> = s.children.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "{path} has duplicate children");
    }
}

#[test]
fn every_default_is_a_valid_value_of_its_statement() {
    let mut out = Vec::new();
    all(TOP, &mut Vec::new(), &mut out);
    for (path, s) in out {
        if let (Some(d), Some(t)) = (s.default, s.value_type()) {
            assert!(t.check(d).is_ok(), "{path}: default {d} is invalid");
        }
    }
}

#[test]
fn help_shows_range_and_default_as_junos_does() {
    let rate = find(RATE);
    assert_eq!(rate.help_with_range(), "Sampling rate (1..16000000)");
    let mpps = find(&[
        "forwarding-options",
        "sampling",
        "input",
        "max-packets-per-second",
    ]);
    assert_eq!(
        mpps.help_with_range(),
        "Threshold of samples per second before dropping (0..65535) (default 1000)"
    );
}
