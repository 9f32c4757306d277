//! The routing table: connected and local routes from interface addresses, static routes from
//! `routing-options`, longest-prefix match per family.

use std::net::IpAddr;

use flowsh_grammar::model::{Config, RouteAction};
use hashbrown::HashMap;
use ipnet::IpNet;

use crate::filter::table::IntervalMap;

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

/// Longest-prefix match over one family as sorted address intervals: every prefix's range is
/// cut into pieces, each piece holding its most specific route, so a lookup is one search.
#[derive(Debug, Clone, Default)]
struct Lpm<K = u128> {
    map: IntervalMap<K>,
}

/// No route for an interval.
const NONE: u32 = u32::MAX;

impl<K: Copy + Ord + TryFrom<u128> + Default> Lpm<K> {
    /// `prefixes`: (first address, length, route index) of one family with `bits` bits.
    /// Prefixes either nest or are disjoint, so one sweep over the cut points with a stack of
    /// the prefixes covering the current point finds each piece's most specific route.
    fn build(prefixes: &[(u128, u8, usize)], bits: u8) -> Lpm<K> {
        // (start, last address, length, route), outer prefixes first at equal starts.
        let mut ps: Vec<(u128, u128, u8, usize)> = prefixes
            .iter()
            .map(|&(start, len, r)| {
                let size = 1u128.checked_shl(u32::from(bits - len)).unwrap_or(0);
                (start, start.wrapping_add(size).wrapping_sub(1), len, r)
            })
            .collect();
        ps.sort_by_key(|&(start, _, len, _)| (start, len));
        let mut cuts: Vec<u128> = Vec::with_capacity(ps.len() * 2);
        for &(start, last, _, _) in &ps {
            cuts.push(start);
            if let Some(next) = last
                .checked_add(1)
                .filter(|&n| bits == 128 || n < (1u128 << bits))
            {
                cuts.push(next);
            }
        }
        let mut stack: Vec<(u128, usize)> = Vec::new();
        let mut next = 0;
        // IntervalMap::build asks for the cuts in ascending order.
        let map = IntervalMap::build(cuts, |c| {
            while stack.last().is_some_and(|&(last, _)| last < c) {
                stack.pop();
            }
            while next < ps.len() && ps[next].0 == c {
                stack.push((ps[next].1, ps[next].3));
                next += 1;
            }
            stack.last().map_or(NONE, |&(_, r)| r as u32)
        });
        Lpm { map }
    }

    #[inline]
    fn lookup(&self, addr: K) -> Option<usize> {
        if self.map.is_empty() {
            return None;
        }
        let r = self.map.lookup(addr);
        (r != NONE).then_some(r as usize)
    }
}

/// A /16 block of IPv4 addresses that holds more than one piece: searched.
const SEARCH: u32 = u32::MAX - 1;

/// IPv4 longest-prefix match with a first step by the top 16 bits of the address: a block no
/// piece boundary crosses has its route (or none) in one table entry, and only a block that
/// holds prefixes longer than /16 is searched. 256 KB, built in one sweep over the pieces;
/// every lookup used to be a binary search of all the pieces (73 instructions a packet on
/// `examples/jflow-bench.conf`, 25 now). An empty (default) table searches.
#[derive(Debug, Clone, Default)]
struct V4Lpm {
    top: Vec<u32>,
    pieces: Lpm<u32>,
}

impl V4Lpm {
    fn build(prefixes: &[(u128, u8, usize)]) -> V4Lpm {
        let pieces: Lpm<u32> = Lpm::build(prefixes, 32);
        let mut top = vec![SEARCH; 1 << 16];
        let intervals: Vec<(u32, u32)> = pieces.map.intervals().collect();
        for (i, &(start, route)) in intervals.iter().enumerate() {
            let last = intervals.get(i + 1).map_or(u32::MAX, |&(next, _)| next - 1);
            // The blocks wholly inside [start, last].
            let first_block = (start >> 16) + u32::from(start & 0xffff != 0);
            let end_block = (last >> 16) + u32::from(last & 0xffff == 0xffff);
            for b in first_block..end_block {
                top[b as usize] = route;
            }
        }
        V4Lpm { top, pieces }
    }

    #[inline(always)]
    fn lookup(&self, addr: u32) -> Option<usize> {
        match self.top.get((addr >> 16) as usize) {
            Some(&SEARCH) | None => self.search(addr),
            Some(&NONE) => None,
            Some(&r) => Some(r as usize),
        }
    }

    /// The search, out of line: the first step inlines into the packet path without it.
    #[inline(never)]
    fn search(&self, addr: u32) -> Option<usize> {
        self.pieces.lookup(addr)
    }
}

/// The routing table of both families.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub routes: Vec<Route>,
    v4: V4Lpm,
    v6: Lpm<u128>,
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
        let index: HashMap<&str, usize> = units
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        for ifd in &cfg.interfaces {
            if ifd.disabled {
                continue;
            }
            for u in ifd.units.iter().filter(|u| !u.disabled) {
                let name = format!("{}.{}", ifd.name, u.number);
                let Some(&unit) = index.get(name.as_str()) else {
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
        // Connected subnets by prefix length, for resolving next hops in a few lookups each
        // (configurations have thousands of units and static routes).
        let mut connected: std::collections::BTreeMap<u8, HashMap<IpNet, u16>> = Default::default();
        for r in &routes {
            if let Target::Forward { unit, .. } = r.target
                && r.protocol == Protocol::Direct
            {
                connected
                    .entry(r.prefix.prefix_len())
                    .or_default()
                    .entry(r.prefix.trunc())
                    .or_insert(unit);
            }
        }
        let connected_to = |h: &IpAddr| -> Option<u16> {
            connected.iter().rev().find_map(|(len, nets)| {
                let net = IpNet::new(*h, *len).ok()?.trunc();
                nets.get(&net).copied()
            })
        };
        for s in &cfg.routing.static_routes {
            let (target, hidden) = match &s.action {
                RouteAction::Discard => (Target::Discard, false),
                RouteAction::Reject => (Target::Reject, false),
                RouteAction::NextHops(hops) => {
                    // The first next hop inside a connected subnet is used.
                    let resolved = hops
                        .iter()
                        .find_map(|h| connected_to(h).map(|unit| (*h, unit)));
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
        let (mut p4, mut p6) = (Vec::new(), Vec::new());
        for ((net, len, v4), i) in best {
            table.routes[i].active = true;
            if v4 {
                p4.push((net >> 96, len, i));
            } else {
                p6.push((net, len, i));
            }
        }
        table.v4 = V4Lpm::build(&p4);
        table.v6 = Lpm::build(&p6, 128);
        table
    }

    /// The active route for an address (IPv4 as a number in the low 32 bits).
    #[inline(always)]
    pub fn lookup(&self, dst: u128, v4: bool) -> Option<&Route> {
        let i = if v4 {
            self.v4.lookup(dst as u32)
        } else {
            self.v6.lookup(dst)
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

    proptest::proptest! {
        // A failure shrinks for a bounded time (unbounded, a wrong direct table kept it going
        // for minutes).
        #![proptest_config(proptest::prelude::ProptestConfig {
            max_shrink_iters: 2048,
            ..proptest::prelude::ProptestConfig::default()
        })]
        #[test]
        fn interval_lpm_agrees_with_brute_force(
            prefixes in proptest::collection::vec((proptest::prelude::any::<u32>(), 0u8..=32), 0..40),
            probes in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..60),
        ) {
            let ps: Vec<(u128, u8, usize)> = prefixes
                .iter()
                .enumerate()
                .map(|(i, &(a, len))| {
                    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                    (u128::from(a & mask), len, i)
                })
                .collect();
            let lpm: Lpm<u32> = Lpm::build(&ps, 32);
            let direct = V4Lpm::build(&ps);
            // Probes on both sides of every boundary as well as anywhere.
            let edges = ps.iter().flat_map(|&(start, len, _)| {
                let last = start as u32 | if len == 32 { 0 } else { u32::MAX >> len };
                [start as u32, (start as u32).wrapping_sub(1), last, last.wrapping_add(1)]
            });
            let probes: Vec<u32> = probes.iter().copied().chain(edges).collect();
            for &v in &probes {
                // Most specific containing prefix; among equal ones the table keeps one.
                let best = ps
                    .iter()
                    .filter(|&&(start, len, _)| {
                        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                        u128::from(v & mask) == start
                    })
                    .map(|&(_, len, _)| len)
                    .max();
                let got = lpm.lookup(v).map(|r| ps[r].1);
                proptest::prop_assert_eq!(got, best);
                proptest::prop_assert_eq!(direct.lookup(v), lpm.lookup(v), "address {}", v);
            }
        }
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
