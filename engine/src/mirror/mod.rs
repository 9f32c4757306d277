//! Flow-based mirroring: security policies decide each flow on its first packet (permit or
//! deny, and which mirror destinations get copies); the decision is kept in the flow's session,
//! so every later packet of the flow, either way, follows it. Copies go to the analyzers with
//! the Juniper header, in VXLAN, or as bare frames by L2 lookup.

pub mod encap;
pub mod port;
pub mod session;

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use flowsh_grammar::model::{AnalyzerTarget, Config, DefaultPolicy, Direction, RuleAction};
use ipnet::IpNet;
use serde::Serialize;

use crate::packet::PacketView;
use crate::route::{RouteTable, Target};

/// Where a mirror destination's copies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Juniper header to an analyzer address (UDP port), from the router's address towards it.
    Header { analyzer: Ipv4Addr, port: u16 },
    /// VXLAN to a static VTEP.
    Vxlan { vtep: Ipv4Addr, vni: u32 },
    /// The bare frame to an analyzer MAC, found by L2 lookup among Ethernet ports.
    Mac([u8; 6]),
    /// Out of the unit carrying the analyzer label (the frame, or the Juniper header to the
    /// limited broadcast address).
    Unit { unit: u16, header: bool, port: u16 },
    /// Nothing to send to: no unit carries the label (counted, shown).
    Unresolved,
}

/// A per-second budget the workers share (one atomic count, reset when the second changes:
/// a copy or two more at a second's edge is the price of no lock).
#[derive(Debug, Default)]
pub struct RateWindow {
    second: AtomicU64,
    used: AtomicU32,
}

impl RateWindow {
    /// Whether one more fits in `second`'s budget of `limit`.
    pub fn take(&self, second: u64, limit: u32) -> bool {
        let seen = self.second.load(Ordering::Relaxed);
        if seen != second
            && self
                .second
                .compare_exchange(seen, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.used.store(0, Ordering::Relaxed);
        }
        self.used.fetch_add(1, Ordering::Relaxed) < limit
    }
}

#[derive(Debug, Clone)]
pub struct DestinationPlan {
    pub name: String,
    pub delivery: Delivery,
    pub direction: Direction,
    /// Bytes of the frame kept (0: all).
    pub max_len: u32,
    /// Copies per second (0: no limit), for the whole router.
    pub rate_limit: u32,
    /// This second's copies, counted by every worker.
    pub rate: std::sync::Arc<RateWindow>,
    /// What the analyzer is, as `show services mirror-destination` says it.
    pub resolved: String,
}

#[derive(Debug, Clone)]
pub struct RulePlan {
    pub name: String,
    source: Vec<IpNet>,
    destination: Vec<IpNet>,
    protocols: Vec<u8>,
    source_ports: Vec<(u16, u16)>,
    destination_ports: Vec<(u16, u16)>,
    pub permit: bool,
    pub mirrors: Vec<u16>,
}

#[derive(Debug, Clone)]
pub struct PolicyPlan {
    pub name: String,
    /// Units it applies to (None: all).
    units: Option<Vec<u16>>,
    pub rules: Vec<RulePlan>,
}

/// Everything flow mode needs, compiled with a commit.
#[derive(Debug, Clone, Default)]
pub struct MirrorPlan {
    pub destinations: Vec<DestinationPlan>,
    pub policies: Vec<PolicyPlan>,
    pub default_permit: bool,
    /// Per unit: the network name the Juniper header carries (routing instance, or the unit).
    pub networks: Vec<String>,
}

fn in_nets(nets: &[IpNet], v: &PacketView, a: u128) -> bool {
    let ip: std::net::IpAddr = match v.family {
        crate::packet::Family::V4 => Ipv4Addr::from(a as u32).into(),
        crate::packet::Family::V6 => std::net::Ipv6Addr::from(a).into(),
    };
    nets.is_empty() || nets.iter().any(|n| n.contains(&ip))
}

fn in_ranges(ranges: &[(u16, u16)], p: Option<u16>) -> bool {
    ranges.is_empty() || p.is_some_and(|p| ranges.iter().any(|&(lo, hi)| lo <= p && p <= hi))
}

impl RulePlan {
    fn matches(&self, v: &PacketView) -> bool {
        in_nets(&self.source, v, v.src)
            && in_nets(&self.destination, v, v.dst)
            && (self.protocols.is_empty() || self.protocols.contains(&v.protocol))
            && in_ranges(&self.source_ports, v.transport.src_port)
            && in_ranges(&self.destination_ports, v.transport.dst_port)
    }
}

impl MirrorPlan {
    /// `units`: (unit name, interface name) by index; `routes` finds the way to analyzers.
    pub fn build(cfg: &Config, units: &[(String, String)], routes: &RouteTable) -> MirrorPlan {
        let mut labelled: Vec<(String, u16)> = Vec::new();
        let mut networks = Vec::new();
        for ifd in &cfg.interfaces {
            for u in &ifd.units {
                let name = format!("{}.{}", ifd.name, u.number);
                let at = networks.len() as u16;
                // A disabled unit is no analyzer: the label goes to the next one.
                if let Some(l) = &u.analyzer_label
                    && !ifd.disabled
                    && !u.disabled
                {
                    labelled.push((format!("{l}\0{name}"), at));
                }
                networks.push(u.routing_instance.clone().unwrap_or(name));
            }
        }
        labelled.sort();
        let unit_name = |u: u16| {
            units
                .get(usize::from(u))
                .map_or("", |n| n.0.as_str())
                .to_string()
        };
        let via = |a: Ipv4Addr| match routes
            .lookup(u128::from(u32::from(a)), true)
            .map(|r| &r.target)
        {
            Some(Target::Forward { unit, .. }) | Some(Target::Local { unit }) => {
                format!(" via {}", unit_name(*unit))
            }
            _ => " (no route)".to_string(),
        };
        let destinations = cfg
            .mirror_destinations
            .iter()
            .map(|d| {
                let (delivery, resolved) = match (&d.analyzer, &d.static_next_hop, d.analyzer_mac) {
                    (_, Some(v), _) if !d.juniper_header => (
                        Delivery::Vxlan {
                            vtep: v.address,
                            vni: v.vni,
                        },
                        format!(
                            "VXLAN to VTEP {} VNI {}{}",
                            v.address,
                            v.vni,
                            via(v.address)
                        ),
                    ),
                    (AnalyzerTarget::Address(a), _, _) if d.juniper_header => (
                        Delivery::Header {
                            analyzer: *a,
                            port: d.udp_port,
                        },
                        format!("{a} UDP {}{}", d.udp_port, via(*a)),
                    ),
                    (AnalyzerTarget::Label(l), _, _) => {
                        let prefix = format!("{l}\0");
                        match labelled.iter().find(|(k, _)| k.starts_with(&prefix)) {
                            Some((_, unit)) => (
                                Delivery::Unit {
                                    unit: *unit,
                                    header: d.juniper_header,
                                    port: d.udp_port,
                                },
                                format!("label {l}: {}", unit_name(*unit)),
                            ),
                            None => (Delivery::Unresolved, format!("label {l}: no interface")),
                        }
                    }
                    (_, _, Some(mac)) => (
                        Delivery::Mac(mac),
                        format!(
                            "MAC {}",
                            mac.iter()
                                .map(|b| format!("{b:02x}"))
                                .collect::<Vec<_>>()
                                .join(":")
                        ),
                    ),
                    (AnalyzerTarget::Address(a), _, _) => (
                        Delivery::Header {
                            analyzer: *a,
                            port: d.udp_port,
                        },
                        format!("{a} UDP {}{}", d.udp_port, via(*a)),
                    ),
                    _ => (Delivery::Unresolved, "no analyzer".to_string()),
                };
                DestinationPlan {
                    name: d.name.clone(),
                    delivery,
                    direction: d.direction,
                    max_len: d.maximum_packet_length,
                    rate_limit: d.rate_limit,
                    rate: Default::default(),
                    resolved,
                }
            })
            .collect::<Vec<_>>();
        let dest = |names: &[String]| -> Vec<u16> {
            names
                .iter()
                .filter_map(|n| destinations.iter().position(|d| d.name == *n))
                .map(|i| i as u16)
                .collect()
        };
        let policies = cfg
            .security
            .policies
            .iter()
            .map(|p| {
                let policy_mirrors = dest(&p.mirror_to);
                PolicyPlan {
                    name: p.name.clone(),
                    // A bare interface name stands for all its units; names that match
                    // nothing leave the policy applying to no unit, not to all.
                    units: (!p.interfaces.is_empty()).then(|| {
                        units
                            .iter()
                            .enumerate()
                            .filter(|(_, u)| p.interfaces.iter().any(|n| u.0 == *n || u.1 == *n))
                            .map(|(i, _)| i as u16)
                            .collect()
                    }),
                    rules: p
                        .rules
                        .iter()
                        .map(|r| {
                            let mut mirrors = policy_mirrors.clone();
                            for m in dest(&r.mirror_to) {
                                if !mirrors.contains(&m) {
                                    mirrors.push(m);
                                }
                            }
                            RulePlan {
                                name: r.name.clone(),
                                source: r.source.clone(),
                                destination: r.destination.clone(),
                                protocols: r.protocols.clone(),
                                source_ports: r.source_ports.clone(),
                                destination_ports: r.destination_ports.clone(),
                                permit: r.action == RuleAction::Permit,
                                mirrors,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        MirrorPlan {
            destinations,
            policies,
            default_permit: cfg.security.default_policy == DefaultPolicy::PermitAll,
            networks,
        }
    }

    /// Whether flow mode is on (any security policy configured).
    pub fn active(&self) -> bool {
        !self.policies.is_empty()
    }

    /// The first rule, in policy order, that matches a flow's first packet entering `unit`.
    pub fn decide(&self, v: &PacketView, unit: u16) -> session::Decision {
        for (pi, p) in self.policies.iter().enumerate() {
            if p.units.as_ref().is_some_and(|u| !u.contains(&unit)) {
                continue;
            }
            if let Some(ri) = p.rules.iter().position(|r| r.matches(v)) {
                let r = &p.rules[ri];
                return session::Decision {
                    rule: Some((pi as u16, ri as u16)),
                    permit: r.permit,
                    mirrors: r.mirrors.clone(),
                };
            }
        }
        session::Decision {
            rule: None,
            permit: self.default_permit,
            mirrors: Vec::new(),
        }
    }
}

/// Counters of one mirror destination.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DestinationStats {
    pub packets: u64,
    pub bytes: u64,
    /// Copies cut to `maximum-packet-length`.
    pub truncated: u64,
    /// Copies over `rate-limit`, not sent.
    pub rate_limited: u64,
    /// Copies with nowhere to go (no route, no port, an unknown MAC, no labelled unit).
    pub unresolved: u64,
}

/// A copy on its way to an analyzer, handed to the worker that sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorCopy {
    /// An IP packet from the router (Juniper header, VXLAN): routed like the router's own.
    Ip { dest: u16, packet: Vec<u8> },
    /// A frame for an analyzer MAC: out of the Ethernet port that knows the MAC.
    Frame {
        dest: u16,
        mac: [u8; 6],
        frame: Vec<u8>,
    },
    /// Out of a given unit: the frame on an Ethernet port, the IP packet on a TUN port.
    Unit {
        dest: u16,
        unit: u16,
        frame: Vec<u8>,
    },
    /// A port-mirroring or analyzer copy: an IP packet out of a unit, towards a next hop.
    Out {
        unit: u16,
        next_hop: Option<std::net::IpAddr>,
        packet: Vec<u8>,
    },
    /// A packet of the router's own (GRE to a remote analyzer), routed.
    Routed { packet: Vec<u8> },
}

#[cfg(test)]
mod tests;
