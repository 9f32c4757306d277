//! Junos port mirroring and analyzers: copies of the packets a filter selects (`then
//! port-mirror`, `port-mirror-instance NAME`) or that cross the monitored interfaces, 1 in
//! `rate` (then `run-length` more), cut to `maximum-packet-length`, sent out of an output
//! interface (towards its next hop) or, for an analyzer, in GRE to a remote address.

use std::net::{IpAddr, Ipv4Addr};

use flowsh_grammar::model::{AddressFamily, AnalyzerOutput, Config};
use serde::Serialize;

/// Where copies leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Out of a unit, towards a next hop (or the destination itself when on-link).
    Unit { unit: u16, next_hop: Option<IpAddr> },
    /// In GRE to a remote analyzer address.
    Gre(Ipv4Addr),
    /// The output interface is not configured: copies are counted, not sent.
    Missing,
}

/// A port-mirroring instance (the global one is named "").
#[derive(Debug, Clone)]
pub struct InstancePlan {
    pub name: String,
    pub rate: u32,
    pub run_length: u32,
    pub max_len: u32,
    /// IPv4 and IPv6 outputs.
    pub outputs: [Vec<Output>; 2],
    /// What `show forwarding-options port-mirroring` lists: family, destination, next hop.
    pub shown: Vec<(String, String, String)>,
}

#[derive(Debug, Clone)]
pub struct AnalyzerPlan {
    pub name: String,
    pub rate: u32,
    pub max_len: u32,
    pub ingress: Vec<u16>,
    pub egress: Vec<u16>,
    pub output: Output,
    pub shown_output: String,
}

#[derive(Debug, Clone, Default)]
pub struct PortMirrorPlan {
    pub instances: Vec<InstancePlan>,
    pub analyzers: Vec<AnalyzerPlan>,
    pub mirror_once: bool,
    /// Per unit: analyzers watching packets in, and out.
    pub unit_ingress: Vec<Vec<u16>>,
    pub unit_egress: Vec<Vec<u16>>,
}

/// Counters of one instance or analyzer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PortMirrorStats {
    /// Candidates offered (selected by a filter, or crossing a monitored interface).
    pub candidates: u64,
    pub packets: u64,
    pub bytes: u64,
    pub truncated: u64,
    /// Copies with nowhere to go.
    pub unresolved: u64,
}

fn unit_index(units: &[(String, String)], name: &str) -> Option<u16> {
    // `ge-0/0/2` means its unit 0.
    units
        .iter()
        .position(|u| u.0 == name || (u.1 == name && u.0.ends_with(".0")))
        .map(|i| i as u16)
}

/// A 1-in-`rate` picker with `run-length` (the J-Flow sampler, without a rate limit).
pub fn picker(rate: u32, run_length: u32) -> crate::sampling::Sampler {
    let input = flowsh_grammar::model::SamplingInput {
        rate,
        run_length,
        max_packets_per_second: 0,
        maximum_packet_length: None,
    };
    crate::sampling::Sampler::new(&input, 1)
}

impl PortMirrorPlan {
    pub fn build(cfg: &Config, units: &[(String, String)]) -> PortMirrorPlan {
        let pm = &cfg.port_mirroring;
        let instances = pm
            .global
            .iter()
            .chain(&pm.instances)
            .map(|i| {
                let mut outputs = [Vec::new(), Vec::new()];
                let mut shown = Vec::new();
                for f in &i.families {
                    let fam = usize::from(f.family == AddressFamily::Inet6);
                    for o in &f.outputs {
                        let out = match unit_index(units, &o.interface) {
                            Some(unit) => Output::Unit {
                                unit,
                                next_hop: o.next_hop,
                            },
                            None => Output::Missing,
                        };
                        shown.push((
                            if fam == 0 { "inet" } else { "inet6" }.to_string(),
                            o.interface.clone(),
                            o.next_hop.map_or_else(String::new, |a| a.to_string()),
                        ));
                        outputs[fam].push(out);
                    }
                }
                InstancePlan {
                    name: i.name.clone(),
                    rate: i.rate,
                    run_length: i.run_length,
                    max_len: i.maximum_packet_length,
                    outputs,
                    shown,
                }
            })
            .collect();
        let mut unit_ingress = vec![Vec::new(); units.len()];
        let mut unit_egress = vec![Vec::new(); units.len()];
        let analyzers = cfg
            .analyzers
            .iter()
            .enumerate()
            .map(|(ai, a)| {
                let resolve = |names: &[String]| -> Vec<u16> {
                    names.iter().filter_map(|n| unit_index(units, n)).collect()
                };
                let (ingress, egress) = (resolve(&a.ingress), resolve(&a.egress));
                for &u in &ingress {
                    unit_ingress[usize::from(u)].push(ai as u16);
                }
                for &u in &egress {
                    unit_egress[usize::from(u)].push(ai as u16);
                }
                let (output, shown_output) = match &a.output {
                    AnalyzerOutput::Interface(i) => (
                        unit_index(units, i).map_or(Output::Missing, |unit| Output::Unit {
                            unit,
                            next_hop: None,
                        }),
                        i.clone(),
                    ),
                    AnalyzerOutput::IpAddress(ip) => (Output::Gre(*ip), format!("{ip} (GRE)")),
                };
                AnalyzerPlan {
                    name: a.name.clone(),
                    rate: a.rate,
                    max_len: a.maximum_packet_length,
                    ingress,
                    egress,
                    output,
                    shown_output,
                }
            })
            .collect();
        PortMirrorPlan {
            instances,
            analyzers,
            mirror_once: pm.mirror_once,
            unit_ingress,
            unit_egress,
        }
    }

    /// The instance a filter's `port-mirror` (no name: the global one) refers to.
    pub fn instance(&self, name: Option<&str>) -> Option<u16> {
        self.instances
            .iter()
            .position(|i| i.name == name.unwrap_or(""))
            .map(|i| i as u16)
    }

    pub fn active(&self) -> bool {
        !self.instances.is_empty() || !self.analyzers.is_empty()
    }
}

/// The GRE packet carrying `inner` (an IP packet) from `from` to `to`.
pub fn gre(from: Ipv4Addr, to: Ipv4Addr, inner: &[u8]) -> Vec<u8> {
    use smoltcp::wire::{IpProtocol, Ipv4Packet};
    let protocol: u16 = if inner.first().is_some_and(|b| b >> 4 == 6) {
        0x86dd
    } else {
        0x0800
    };
    let total = 20 + 4 + inner.len();
    let mut buf = vec![0u8; total];
    let mut ip = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.set_version(4);
    ip.set_header_len(20);
    ip.set_total_len(total as u16);
    ip.set_hop_limit(64);
    ip.set_next_header(IpProtocol::from(47));
    ip.set_src_addr(from);
    ip.set_dst_addr(to);
    ip.fill_checksum();
    buf[22..24].copy_from_slice(&protocol.to_be_bytes());
    buf[24..].copy_from_slice(inner);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_carries_the_packet_with_its_ethertype() {
        let g = gre(
            Ipv4Addr::new(1, 1, 1, 1),
            Ipv4Addr::new(2, 2, 2, 2),
            &[0x45, 1, 2],
        );
        assert_eq!(g[9], 47);
        assert_eq!(&g[20..24], &[0, 0, 0x08, 0x00]);
        assert_eq!(&g[24..], &[0x45, 1, 2]);
    }
}
