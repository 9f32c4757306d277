//! `show firewall [filter NAME]`.

use flowsh_engine::Snapshot;

/// Counters of every filter (or one), in the Junos layout: named counters under `Counters:`,
/// then each term's matches (flowsh also counts every term and the implicit discard).
pub fn show(s: &Snapshot, only: Option<&str>) -> Result<String, String> {
    let filters: Vec<_> = s
        .compiled
        .filters
        .iter()
        .filter(|f| only.is_none_or(|n| f.name == n))
        .collect();
    if let (Some(n), true) = (only, filters.is_empty()) {
        return Err(format!("error: filter '{n}' is not configured"));
    }
    let mut out = String::new();
    for f in filters {
        out.push_str(&format!("\nFilter: {}\n", f.name));
        let counters: Vec<_> = s
            .stats
            .counters
            .iter()
            .filter(|((fname, _), _)| *fname == f.name)
            .collect();
        if !counters.is_empty() {
            out.push_str("Counters:\n");
            out.push_str(&format!("{:<52}{:>5}{:>21}\n", "Name", "Bytes", "Packets"));
            for ((_, name), c) in counters {
                out.push_str(&format!("{name:<40}{:>17}{:>21}\n", c.bytes, c.packets));
            }
        }
        out.push_str("Terms:\n");
        out.push_str(&format!("{:<52}{:>5}{:>21}\n", "Name", "Bytes", "Packets"));
        for t in &f.terms {
            let c = s
                .stats
                .terms
                .get(&(f.name.clone(), t.name.clone()))
                .copied()
                .unwrap_or_default();
            out.push_str(&format!("{:<40}{:>17}{:>21}\n", t.name, c.bytes, c.packets));
        }
        let implicit = s.stats.implicit.get(&f.name).copied().unwrap_or_default();
        out.push_str(&format!(
            "{:<40}{:>17}{:>21}\n",
            "(implicit discard)", implicit.bytes, implicit.packets
        ));
    }
    Ok(out)
}
