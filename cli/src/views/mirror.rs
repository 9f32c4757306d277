//! `show services mirror-destination`, `show security policies [hit-count]`,
//! `show security flow session`.

use std::fmt::Write;

use flowsh_engine::Snapshot;
use flowsh_engine::mirror::session::SessionInfo;
use flowsh_grammar::model::{Direction, RuleAction};

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
        Direction::Both => "both",
    }
}

/// `show services mirror-destination [NAME]`.
pub fn destinations(s: &Snapshot, only: Option<&str>) -> Result<String, String> {
    let plan = &s.compiled.mirror.destinations;
    let cfg = &s.compiled.config.mirror_destinations;
    if let Some(n) = only
        && !plan.iter().any(|d| d.name == n)
    {
        return Err(format!("error: mirror destination '{n}' is not configured"));
    }
    let mut out = String::new();
    for (i, d) in plan.iter().enumerate() {
        if only.is_some_and(|n| n != d.name) {
            continue;
        }
        let c = s.mirror.get(i).copied().unwrap_or_default();
        let header = cfg.get(i).is_none_or(|c| c.juniper_header);
        let _ = write!(
            out,
            "Mirror destination: {}\n  Analyzer: {}\n  Juniper header: {}, Direction: {}, \
             Maximum packet length: {}, Rate limit: {}\n  Packets: {}, Bytes: {}, Truncated: {}, \
             Rate limited: {}, Unresolved: {}\n",
            d.name,
            d.resolved,
            if header { "yes" } else { "no" },
            direction(d.direction),
            d.max_len,
            d.rate_limit,
            c.packets,
            c.bytes,
            c.truncated,
            c.rate_limited,
            c.unresolved
        );
    }
    if out.is_empty() {
        out.push_str("No mirror destinations configured\n");
    }
    Ok(out)
}

fn list<T: ToString>(v: &[T], none: &str) -> String {
    if v.is_empty() {
        none.to_string()
    } else {
        v.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
    }
}

fn ports(v: &[(u16, u16)]) -> String {
    let p: Vec<String> = v
        .iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        })
        .collect();
    list(&p, "any")
}

/// `show security policies`: each policy and rule as configured, with their mirrors.
pub fn policies(s: &Snapshot) -> String {
    let sec = &s.compiled.config.security;
    let mut out = format!(
        "Default policy: {}\n",
        match sec.default_policy {
            flowsh_grammar::model::DefaultPolicy::PermitAll => "permit-all",
            flowsh_grammar::model::DefaultPolicy::DenyAll => "deny-all",
        }
    );
    for (pi, p) in sec.policies.iter().enumerate() {
        let _ = writeln!(
            out,
            "Policy: {}, State: enabled, Index: {}, Interfaces: {}",
            p.name,
            pi + 1,
            list(&p.interfaces, "all")
        );
        if !p.mirror_to.is_empty() {
            let _ = writeln!(out, "  Mirror to: {}", p.mirror_to.join(", "));
        }
        for (ri, r) in p.rules.iter().enumerate() {
            let protocols: Vec<String> = r.protocols.iter().map(|p| p.to_string()).collect();
            let _ = write!(
                out,
                "  Rule: {}, Sequence number: {}\n    Source addresses: {}\n    \
                 Destination addresses: {}\n    Protocols: {}, Source ports: {}, \
                 Destination ports: {}\n    Action: {}",
                r.name,
                ri + 1,
                list(&r.source, "any"),
                list(&r.destination, "any"),
                list(&protocols, "any"),
                ports(&r.source_ports),
                ports(&r.destination_ports),
                match r.action {
                    RuleAction::Permit => "permit",
                    RuleAction::Deny => "deny",
                }
            );
            if !r.mirror_to.is_empty() {
                let _ = write!(out, ", Mirror to: {}", r.mirror_to.join(", "));
            }
            out.push('\n');
        }
    }
    out
}

/// `show security policies hit-count`: sessions each rule decided.
pub fn hit_count(s: &Snapshot) -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record(["Index", "Policy", "Rule", "Policy count", "Action"]);
    let sec = &s.compiled.config.security;
    let mut index = 0;
    for (pi, p) in sec.policies.iter().enumerate() {
        for (ri, r) in p.rules.iter().enumerate() {
            index += 1;
            let hits = s
                .policy_hits
                .get(pi)
                .and_then(|h| h.get(ri))
                .copied()
                .unwrap_or(0);
            b.push_record([
                index.to_string(),
                p.name.clone(),
                r.name.clone(),
                hits.to_string(),
                match r.action {
                    RuleAction::Permit => "Permit".into(),
                    RuleAction::Deny => "Deny".into(),
                },
            ]);
        }
    }
    let default = match sec.default_policy {
        flowsh_grammar::model::DefaultPolicy::PermitAll => "Permit",
        flowsh_grammar::model::DefaultPolicy::DenyAll => "Deny",
    };
    b.push_record([
        String::new(),
        "default-policy".into(),
        String::new(),
        s.default_hits.to_string(),
        default.into(),
    ]);
    let mut t = b.build();
    t.with(tabled::settings::Style::blank());
    format!("{t}\n")
}

fn protocol(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmp6".into(),
        p => p.to_string(),
    }
}

/// `show security flow session`: each session, both ways, with its policy and mirrors.
pub fn sessions(s: &Snapshot, mut sessions: Vec<SessionInfo>) -> String {
    sessions.sort_by_key(|x| (x.first, x.src, x.src_port));
    let unit = |u: u16| {
        s.compiled
            .units
            .get(usize::from(u))
            .map_or("-".to_string(), |u| u.name.clone())
    };
    let mut out = String::new();
    for (i, x) in sessions.iter().enumerate() {
        let policy = match x.policy {
            Some((p, r)) => {
                let cfg = &s.compiled.config.security.policies;
                let p = &cfg[usize::from(p)];
                format!("{}/{}", p.name, p.rules[usize::from(r)].name)
            }
            None => "default-policy".to_string(),
        };
        let mirrors: Vec<String> = x
            .mirrors
            .iter()
            .filter_map(|d| s.compiled.mirror.destinations.get(usize::from(*d)))
            .map(|d| d.name.clone())
            .collect();
        let _ = write!(
            out,
            "Session ID: {}, Policy name: {policy}, {}\n  In: {}/{} --> {}/{};{}, If: {}, \
             Pkts: {}, Bytes: {}\n  Out: {}/{} --> {}/{};{}, Pkts: {}, Bytes: {}\n",
            i + 1,
            if x.permit { "Valid" } else { "Denied" },
            x.src,
            x.src_port,
            x.dst,
            x.dst_port,
            protocol(x.protocol),
            unit(x.input),
            x.packets[0],
            x.bytes[0],
            x.dst,
            x.dst_port,
            x.src,
            x.src_port,
            protocol(x.protocol),
            x.packets[1],
            x.bytes[1]
        );
        if !mirrors.is_empty() {
            let _ = writeln!(out, "  Mirror: {}", mirrors.join(", "));
        }
    }
    let _ = writeln!(out, "Total sessions: {}", sessions.len());
    out
}

/// `show forwarding-options port-mirroring`: each instance's input and output parameters.
pub fn port_mirroring(s: &Snapshot) -> String {
    let pm = &s.compiled.port_mirror;
    if pm.instances.is_empty() {
        return "Port mirroring is not configured\n".into();
    }
    let mut out = String::new();
    for (i, inst) in pm.instances.iter().enumerate() {
        let c = s.port_mirror.get(i).copied().unwrap_or_default();
        let name = if inst.name.is_empty() {
            "&global_instance"
        } else {
            &inst.name
        };
        let _ = write!(
            out,
            "Instance Name: {name}\n  Instance Id: {}\n  Input parameters:\n    Rate                  : {}\n    \
             Run-length            : {}\n    Maximum-packet-length : {}\n  Output parameters:\n    \
             Family              State     Destination          Next-hop\n",
            i + 1,
            inst.rate,
            inst.run_length,
            inst.max_len
        );
        for (family, dest, next_hop) in &inst.shown {
            let up = s
                .compiled
                .units
                .iter()
                .any(|u| (u.name == *dest || u.interface == *dest) && u.up);
            let _ = writeln!(
                out,
                "    {family:<20}{:<10}{dest:<21}{next_hop}",
                if up { "up" } else { "down" }
            );
        }
        let _ = writeln!(
            out,
            "  Statistics:\n    Candidates: {}, Mirrored: {}, Bytes: {}, Truncated: {}, Unresolved: {}",
            c.candidates, c.packets, c.bytes, c.truncated, c.unresolved
        );
    }
    out
}

/// `show forwarding-options analyzer`.
pub fn analyzers(s: &Snapshot) -> String {
    let pm = &s.compiled.port_mirror;
    if pm.analyzers.is_empty() {
        return "No analyzers configured\n".into();
    }
    let unit = |u: &u16| {
        s.compiled
            .units
            .get(usize::from(*u))
            .map_or("-".to_string(), |u| u.name.clone())
    };
    let mut out = String::new();
    for (i, a) in pm.analyzers.iter().enumerate() {
        let c = s
            .port_mirror
            .get(pm.instances.len() + i)
            .copied()
            .unwrap_or_default();
        let state = if matches!(a.output, flowsh_engine::mirror::port::Output::Missing) {
            "down"
        } else {
            "up"
        };
        let list = |v: &[u16]| {
            let names: Vec<String> = v.iter().map(unit).collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        let _ = write!(
            out,
            " Analyzer name                    : {}\n  Mirror rate                     : {}\n  \
             Maximum packet length           : {}\n  State                           : {state}\n  \
             Ingress monitored interfaces    : {}\n  Egress monitored interfaces     : {}\n  \
             Output interface                : {}\n  Mirrored packets                : {}\n",
            a.name,
            a.rate,
            a.max_len,
            list(&a.ingress),
            list(&a.egress),
            a.shown_output,
            c.packets
        );
    }
    out
}
