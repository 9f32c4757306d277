//! The routing table: connected and local routes from interface addresses, static routes from
//! `routing-options`, longest-prefix match per family.

use std::net::IpAddr;

use flowsh_grammar::model::{Config, RouteAction};
use hashbrown::HashMap;
use ipnet::IpNet;

/// Where a route sends packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Out of a unit, to a next hop (or, for a connected route, to the destination itself).
    Forward {
        unit: u16,
        next_hop: Option<IpAddr>,
    },
    /// One of the router's own addresses.
    Local {
        unit: u16,
    },
    Discard,
    Reject,
}

/// Route protocols as `show route` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Protocol {
    Direct,
    Local,
    Static,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Direct => "Direct",
            Protocol::Local => "Local",
            Protocol::Static => "Static",
        }
    }
}

/// A route, for lookups and for `show route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub prefix: IpNet,
    pub protocol: Protocol,
    pub preference: u32,
    pub target: Target,
    /// A static route whose next hop is in no connected subnet: kept, not used.
    pub hidden: bool,
    /// The route lookups use for its prefix (`*` in `show route`).
    pub active: bool,
}

/// Longest-prefix match over one family: one hash map per prefix length present.
#[derive(Debug, Clone, Default)]
struct Lpm {
    /// (length, prefixes of that length → route index), longest first.
    by_len: Vec<(u8, HashMap<u128, usize>)>,
}

impl Lpm {
    fn insert(&mut self, net: u128, len: u8, route: usize) {
        match self.by_len.iter_mut().find(|(l, _)| *l == len) {
            Some((_, m)) => {
                m.insert(net, route);
            }
            None => {
                let mut m = HashMap::new();
                m.insert(net, route);
                self.by_len.push((len, m));
                self.by_len.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
            }
        }
    }

    #[inline]
    fn lookup(&self, addr: u128, bits: u8) -> Option<usize> {
        self.by_len.iter().find_map(|(len, m)| {
            let mask = if *len == 0 {
                0
            } else {
                u128::MAX << (bits - len)
            };
            m.get(&(addr & mask)).copied()
        })
    }
}

/// The routing table of both families.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub routes: Vec<Route>,
    v4: Lpm,
    v6: Lpm,
}

fn key(net: &IpNet) -> (u128, u8, bool) {
    match net {
        IpNet::V4(n) => (
            u128::from(u32::from(n.network())) << 96,
            n.prefix_len(),
            true,
        ),
        IpNet::V6(n) => (u128::from(n.network()), n.prefix_len(), false),
    }
}

impl RouteTable {
    /// Builds the table. `units` names the engine's units by index (`ge-0/0/0.0`).
    pub fn build(cfg: &Config, units: &[String]) -> RouteTable {
        let mut routes = Vec::new();
        for ifd in &cfg.interfaces {
            if ifd.disabled {
                continue;
            }
            for u in ifd.units.iter().filter(|u| !u.disabled) {
                let name = format!("{}.{}", ifd.name, u.number);
                let Some(unit) = units.iter().position(|n| *n == name) else {
                    continue;
                };
                for fam in [&u.inet, &u.inet6].into_iter().flatten() {
                    for a in &fam.addresses {
                        routes.push(Route {
                            prefix: a.address.trunc(),
                            protocol: Protocol::Direct,
                            preference: 0,
                            target: Target::Forward {
                                unit: unit as u16,
                                next_hop: None,
                            },
                            hidden: false,
                            active: false,
                        });
                        let host = IpNet::new(a.address.addr(), a.address.max_prefix_len())
                            .unwrap_or(a.address);
                        routes.push(Route {
                            prefix: host,
                            protocol: Protocol::Local,
                            preference: 0,
                            target: Target::Local { unit: unit as u16 },
                            hidden: false,
                            active: false,
                        });
                    }
                }
            }
        }
        let connected: Vec<(IpNet, u16)> = routes
            .iter()
            .filter_map(|r| match r.target {
                Target::Forward { unit, .. } if r.protocol == Protocol::Direct => {
                    Some((r.prefix, unit))
                }
                _ => None,
            })
            .collect();
        for s in &cfg.routing.static_routes {
            let (target, hidden) = match &s.action {
                RouteAction::Discard => (Target::Discard, false),
                RouteAction::Reject => (Target::Reject, false),
                RouteAction::NextHops(hops) => {
                    // The first next hop inside a connected subnet is used.
                    let resolved = hops.iter().find_map(|h| {
                        connected
                            .iter()
                            .find(|(net, _)| net.contains(h))
                            .map(|(_, unit)| (*h, *unit))
                    });
                    match resolved {
                        Some((hop, unit)) => (
                            Target::Forward {
                                unit,
                                next_hop: Some(hop),
                            },
                            false,
                        ),
                        None => (Target::Discard, true),
                    }
                }
            };
            routes.push(Route {
                prefix: s.prefix.trunc(),
                protocol: Protocol::Static,
                preference: s.preference,
                target,
                hidden,
                active: false,
            });
        }
        let mut table = RouteTable {
            routes,
            ..RouteTable::default()
        };
        // Lower preference wins for the same prefix; Direct/Local (0) beat Static (5).
        let mut best: HashMap<(u128, u8, bool), usize> = HashMap::new();
        for (i, r) in table.routes.iter().enumerate() {
            if r.hidden {
                continue;
            }
            let k = key(&r.prefix);
            match best.get(&k) {
                Some(&j) if table.routes[j].preference <= r.preference => {}
                _ => {
                    best.insert(k, i);
                }
            }
        }
        for ((net, len, v4), i) in best {
            table.routes[i].active = true;
            if v4 {
                table.v4.insert(net >> 96, len, i);
            } else {
                table.v6.insert(net, len, i);
            }
        }
        table
    }

    /// The active route for an address (IPv4 as a number in the low 32 bits).
    #[inline]
    pub fn lookup(&self, dst: u128, v4: bool) -> Option<&Route> {
        let i = if v4 {
            self.v4.lookup(dst, 32)
        } else {
            self.v6.lookup(dst, 128)
        }?;
        self.routes.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(lines: &str) -> (RouteTable, Vec<String>) {
        let text: String = lines.lines().map(|l| format!("{}\n", l.trim())).collect();
        let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap();
        let units = vec!["ge-0/0/0.0".to_string(), "ge-0/0/1.0".to_string()];
        (RouteTable::build(&cfg, &units), units)
    }

    fn v4(s: &str) -> u128 {
        u128::from(u32::from(s.parse::<std::net::Ipv4Addr>().unwrap()))
    }

    #[test]
    fn longest_prefix_wins_and_static_next_hops_resolve_through_connected_routes() {
        let (t, _) = table(
            "set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24
             set interfaces ge-0/0/1 unit 0 family inet address 198.51.100.1/24
             set routing-options static route 10.0.0.0/8 next-hop 192.0.2.254
             set routing-options static route 10.1.0.0/16 next-hop 198.51.100.9
             set routing-options static route 0.0.0.0/0 discard",
        );
        let to = |a| t.lookup(v4(a), true).map(|r| r.target.clone());
        assert_eq!(
            to("10.2.3.4"),
            Some(Target::Forward {
                unit: 0,
                next_hop: Some("192.0.2.254".parse().unwrap())
            })
        );
        assert_eq!(
            to("10.1.3.4"),
            Some(Target::Forward {
                unit: 1,
                next_hop: Some("198.51.100.9".parse().unwrap())
            })
        );
        assert_eq!(
            to("192.0.2.77"),
            Some(Target::Forward {
                unit: 0,
                next_hop: None
            })
        );
        assert_eq!(to("192.0.2.1"), Some(Target::Local { unit: 0 }));
        assert_eq!(to("203.0.113.1"), Some(Target::Discard));
    }

    #[test]
    fn a_static_route_without_a_reachable_next_hop_is_hidden() {
        let (t, _) = table(
            "set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24
             set routing-options static route 10.0.0.0/8 next-hop 203.0.113.1",
        );
        assert!(t.lookup(v4("10.0.0.1"), true).is_none());
        assert!(t.routes.iter().any(|r| r.hidden));
    }

    #[test]
    fn ipv6_routes_are_looked_up_apart() {
        let (t, _) = table(
            "set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8::1/64
             set routing-options rib inet6.0 static route ::/0 next-hop 2001:db8::ff",
        );
        let dst: std::net::Ipv6Addr = "2001:db9::7".parse().unwrap();
        assert_eq!(
            t.lookup(u128::from(dst), false).map(|r| r.target.clone()),
            Some(Target::Forward {
                unit: 0,
                next_hop: Some("2001:db8::ff".parse().unwrap())
            })
        );
        assert!(t.lookup(v4("10.0.0.1"), true).is_none());
    }
}
