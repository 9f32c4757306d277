//! Synthetic configurations of a given size, for benchmarks and load tests: a realistic mix of
//! interfaces, filters with many terms, static routes, prefix lists and J-Flow sampling.

use std::fmt::Write;

/// A configuration in `set` form with at least `lines` lines; it commit-checks clean.
pub fn set_config(lines: usize) -> String {
    let mut out = String::with_capacity(lines * 80);
    let mut n = 0usize;
    for l in [
        "set system host-name big-router",
        "set forwarding-options sampling input rate 100",
        "set forwarding-options sampling family inet output flow-server 192.0.2.50 port 2055",
        "set forwarding-options sampling family inet output flow-server 192.0.2.50 version9 template v4",
        "set services flow-monitoring version9 template v4 ipv4-template",
    ] {
        let _ = writeln!(out, "{l}");
        n += 1;
    }
    let (mut unit, mut filter, mut route, mut list) = (0usize, 0usize, 0usize, 0usize);
    const TERMS: usize = 40;
    while n < lines {
        // One filter of TERMS terms (5 lines each) ...
        let f = filter;
        filter += 1;
        for t in 0..TERMS {
            let base = format!("set firewall family inet filter f{f} term t{t}");
            let (a, b) = ((t * 7 + f) % 250, (f / 250) % 250);
            let _ = writeln!(out, "{base} from source-address 10.{b}.{a}.0/24");
            n += 1;
            let _ = writeln!(out, "{base} from protocol [ tcp udp ]");
            n += 1;
            let _ = writeln!(out, "{base} from destination-port {}", 1000 + t);
            n += 1;
            let _ = writeln!(out, "{base} then count f{f}-t{t}");
            n += 1;
            let _ = writeln!(
                out,
                "{base} then {}",
                if t % 5 == 4 { "discard" } else { "accept" }
            );
            n += 1;
        }
        // ... used by 30 units (5 lines each) ...
        for _ in 0..30 {
            let (fpc, port, u) = (unit / 48_000 % 20, unit / 1000 % 48, unit % 1000);
            let ifl = format!("set interfaces ge-{fpc}/0/{port} unit {u}");
            let _ = writeln!(out, "{ifl} vlan-id {}", u % 4094 + 1);
            let _ = writeln!(
                out,
                "{ifl} family inet address 100.{}.{}.1/24",
                unit / 256 % 256,
                unit % 256
            );
            let _ = writeln!(out, "{ifl} family inet filter input f{f}");
            let _ = writeln!(out, "{ifl} family inet sampling input");
            let _ = writeln!(out, "set interfaces ge-{fpc}/0/{port} vlan-tagging");
            n += 5;
            unit += 1;
        }
        // ... 100 static routes and a prefix list of 50 prefixes.
        for _ in 0..100 {
            let _ = writeln!(
                out,
                "set routing-options static route 172.{}.{}.0/24 next-hop 192.0.2.{}",
                16 + route / 65536 % 16,
                route / 256 % 256,
                route % 254 + 1
            );
            route += 1;
            n += 1;
        }
        for p in 0..50 {
            let _ = writeln!(
                out,
                "set policy-options prefix-list pl{list} 198.{}.{p}.0/24",
                18 + list % 2
            );
            n += 1;
        }
        list += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_configuration_has_the_size_asked_for_and_checks_clean() {
        let text = set_config(5_000);
        assert!(text.lines().count() >= 5_000);
        let loaded = crate::load_text(&text)
            .map_err(|e| e.render("synth", &text))
            .unwrap();
        let cfg = crate::check(&loaded.tree).unwrap();
        assert!(cfg.firewall.filters.len() >= 2);
        assert!(cfg.interfaces.iter().map(|i| i.units.len()).sum::<usize>() >= 60);
    }
}
