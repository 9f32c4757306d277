//! `show route`.

use flowsh_engine::Snapshot;
use flowsh_engine::route::{Protocol, Target};

/// The routing tables in the Junos layout, `age` seconds after the routes were installed.
pub fn show(s: &Snapshot, age: i64) -> String {
    let units = &s.compiled.units;
    let mut out = String::new();
    for (table, v4) in [("inet.0", true), ("inet6.0", false)] {
        let mut routes: Vec<_> = s
            .compiled
            .routes
            .routes
            .iter()
            .filter(|r| matches!(r.prefix, ipnet::IpNet::V4(_)) == v4)
            .collect();
        if routes.is_empty() {
            continue;
        }
        routes.sort_by(|a, b| {
            (a.prefix.addr(), a.prefix.prefix_len()).cmp(&(b.prefix.addr(), b.prefix.prefix_len()))
        });
        let mut prefixes: Vec<_> = routes.iter().map(|r| r.prefix).collect();
        prefixes.dedup();
        let active = routes.iter().filter(|r| r.active).count();
        let hidden = routes.iter().filter(|r| r.hidden).count();
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "{table}: {} destinations, {} routes ({active} active, 0 holddown, {hidden} hidden)\n\
             + = Active Route, - = Last Active, * = Both\n\n",
            prefixes.len(),
            routes.len()
        ));
        let mut last = None;
        for r in routes.iter().filter(|r| !r.hidden) {
            let head = if last == Some(r.prefix) {
                String::new()
            } else {
                r.prefix.to_string()
            };
            last = Some(r.prefix);
            let mark = if r.active { '*' } else { ' ' };
            out.push_str(&format!(
                "{head:<19}{mark}[{}/{}] {}\n",
                r.protocol.name(),
                r.preference,
                crate::views::age(age)
            ));
            let via = |u: u16| {
                units
                    .get(usize::from(u))
                    .map_or("?", |u| u.name.as_str())
                    .to_string()
            };
            let line = match (&r.target, r.protocol) {
                (
                    Target::Forward {
                        unit,
                        next_hop: Some(h),
                    },
                    _,
                ) => format!(">  to {h} via {}", via(*unit)),
                (
                    Target::Forward {
                        unit,
                        next_hop: None,
                    },
                    _,
                ) => format!(">  via {}", via(*unit)),
                (Target::Local { unit }, Protocol::Local) | (Target::Local { unit }, _) => {
                    format!("   Local via {}", via(*unit))
                }
                (Target::Discard, _) => "   Discard".to_string(),
                (Target::Reject, _) => "   Reject".to_string(),
            };
            out.push_str(&format!("{:20}{line}\n", ""));
        }
    }
    out
}
