//! `show interfaces terse`, `show interfaces NAME [extensive]`.

use flowsh_engine::Snapshot;

/// The state of an interface: a port bound and open, or why not.
fn link(s: &Snapshot, interface: &str) -> (&'static str, Option<String>) {
    if let Some(p) = s.ports.iter().find(|p| p.interface == interface) {
        return ("up", Some(p.backend.clone()));
    }
    match s.down.iter().find(|d| d.interface == interface) {
        Some(d) => (
            "down",
            Some(format!("{} (not open: {})", d.backend, d.reason)),
        ),
        None => ("down", None),
    }
}

/// `show interfaces terse`.
pub fn terse(s: &Snapshot, only: Option<&str>) -> String {
    let mut out = format!(
        "{:<24}{:<6}{:<5}{:<9}{:<22}{}\n",
        "Interface", "Admin", "Link", "Proto", "Local", "Remote"
    );
    let cfg = &s.compiled.config;
    for ifd in cfg
        .interfaces
        .iter()
        .filter(|i| only.is_none_or(|n| i.name == n))
    {
        let admin = if ifd.disabled { "down" } else { "up" };
        let (l, _) = link(s, &ifd.name);
        out.push_str(&format!("{:<24}{:<6}{}\n", ifd.name, admin, l));
        for u in &ifd.units {
            let name = format!("{}.{}", ifd.name, u.number);
            let admin = if ifd.disabled || u.disabled {
                "down"
            } else {
                "up"
            };
            let mut first = true;
            for (proto, fam) in [("inet", &u.inet), ("inet6", &u.inet6), ("mpls", &u.mpls)] {
                let Some(fam) = fam else { continue };
                let addrs: Vec<String> = fam
                    .addresses
                    .iter()
                    .map(|a| a.address.to_string())
                    .collect();
                let addrs = if addrs.is_empty() {
                    vec![String::new()]
                } else {
                    addrs
                };
                for (i, a) in addrs.iter().enumerate() {
                    let (unit_col, admin_col, link_col) = if first {
                        (name.as_str(), admin, l)
                    } else {
                        ("", "", "")
                    };
                    let proto_col = if i == 0 { proto } else { "" };
                    out.push_str(
                        format!("{unit_col:<24}{admin_col:<6}{link_col:<5}{proto_col:<9}{a}\n")
                            .trim_end(),
                    );
                    out.push('\n');
                    first = false;
                }
            }
            if first {
                out.push_str(&format!("{name:<24}{admin:<6}{l}\n"));
            }
        }
    }
    out
}

/// `show interfaces NAME [extensive]`: counters per unit; extensive adds drops by reason.
pub fn detail(s: &Snapshot, name: &str, extensive: bool) -> Result<String, String> {
    let cfg = &s.compiled.config;
    let (ifd_name, unit_filter) = match name.split_once('.') {
        Some((i, u)) => (i, u.parse::<u32>().ok()),
        None => (name, None),
    };
    let Some(ifd) = cfg.interfaces.iter().find(|i| i.name == ifd_name) else {
        return Err(format!("error: device {name} not found"));
    };
    let (l, port) = link(s, &ifd.name);
    let mut out = format!(
        "Physical interface: {}, {}, Physical link is {}\n",
        ifd.name,
        if ifd.disabled {
            "Administratively down"
        } else {
            "Enabled"
        },
        if l == "up" { "Up" } else { "Down" }
    );
    if let Some(d) = &ifd.description {
        out.push_str(&format!("  Description: {d}\n"));
    }
    out.push_str(&format!(
        "  Port: {}\n",
        port.unwrap_or_else(|| "none bound".to_string())
    ));
    if let Some(p) = s.ports.iter().find(|p| p.interface == ifd.name)
        && (p.errors > 0 || extensive)
    {
        out.push_str(&format!("  Port errors: {}\n", p.errors));
    }
    for u in ifd
        .units
        .iter()
        .filter(|u| unit_filter.is_none_or(|n| u.number == n))
    {
        let unit = format!("{}.{}", ifd.name, u.number);
        let c = s.stats.units.get(&unit).cloned().unwrap_or_default();
        out.push_str(&format!("\n  Logical interface {unit}\n"));
        if let Some(d) = &u.description {
            out.push_str(&format!("    Description: {d}\n"));
        }
        out.push_str(&format!(
            "    Input packets : {}, Input bytes : {}\n",
            c.rx_packets, c.rx_bytes
        ));
        out.push_str(&format!(
            "    Output packets: {}, Output bytes: {}\n",
            c.tx_packets, c.tx_bytes
        ));
        out.push_str(&format!("    Dropped packets: {}\n", c.dropped()));
        if extensive {
            out.push_str("    Drops by reason:\n");
            if c.drops.is_empty() {
                out.push_str("      none\n");
            }
            for (reason, n) in &c.drops {
                out.push_str(&format!("      {reason:<24}{n:>12}\n"));
            }
        }
        for (proto, fam) in [("inet", &u.inet), ("inet6", &u.inet6), ("mpls", &u.mpls)] {
            let Some(fam) = fam else { continue };
            out.push_str(&format!("    Protocol {proto}\n"));
            if let Some(f) = &fam.filter_input {
                out.push_str(&format!("      Input Filters: {f}\n"));
            }
            if let Some(f) = &fam.filter_output {
                out.push_str(&format!("      Output Filters: {f}\n"));
            }
            for a in &fam.addresses {
                out.push_str(&format!(
                    "      Addresses\n        Destination: {}, Local: {}\n",
                    a.address.trunc(),
                    a.address.addr()
                ));
            }
        }
    }
    Ok(out)
}
