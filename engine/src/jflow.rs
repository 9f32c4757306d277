//! J-Flow on the packet path: which units sample, into which sampling instance, with which
//! sampler and flow tables. The plan is compiled with the rest of a commit; the state (samplers,
//! tables) lives in each worker and survives commits that keep its instance.

use flowsh_grammar::model::{Config, ExportFormat, SampledFamily, SamplingInput, SamplingOutput};
use serde::Serialize;

use crate::flow::{FlowRecord, FlowTable, Key, Limits, NO_UNIT, TableStats};
use crate::packet::{Family, PacketView};
use crate::sampling::{Sampler, SamplerStats};

/// Entries in one unit of `flow-table-size`.
pub const TABLE_UNIT: usize = 256 * 1024;

/// A sampling instance as compiled: the global `forwarding-options sampling` has an empty name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePlan {
    pub name: String,
    pub input: SamplingInput,
    /// Per family (IPv4, IPv6): timeouts and size of the tables, whole (all workers).
    pub limits: [Limits; 2],
    /// The family outputs as configured (collectors, for the exporters).
    pub outputs: [Option<SamplingOutput>; 2],
}

/// Where each unit's packets are sampled.
#[derive(Debug, Clone, Default)]
pub struct JflowPlan {
    pub instances: Vec<InstancePlan>,
    /// Per unit: the instance its samples go to.
    pub unit_instance: Vec<Option<u16>>,
    /// Per unit and family (IPv4, IPv6): `sampling input` / `sampling output`.
    pub unit_input: Vec<[bool; 2]>,
    pub unit_output: Vec<[bool; 2]>,
}

pub(crate) fn family_index(f: Family) -> usize {
    match f {
        Family::V4 => 0,
        Family::V6 => 1,
    }
}

/// The line card of `ge-1/0/3`: 1.
fn fpc_of(interface: &str) -> Option<u32> {
    let rest = interface.split_once('-')?.1;
    rest.split('/').next()?.parse().ok()
}

impl JflowPlan {
    pub fn build(cfg: &Config, units: &[(String, String)]) -> JflowPlan {
        let mut instances = Vec::new();
        if let Some(g) = &cfg.sampling.global {
            instances.push(instance_plan(cfg, g, None));
        }
        for i in &cfg.sampling.instances {
            instances.push(instance_plan(cfg, i, Some(&i.name)));
        }
        let global = cfg.sampling.global.is_some().then_some(0u16);
        let unit_instance = units
            .iter()
            .map(|(_, interface)| {
                let bound = fpc_of(interface).and_then(|slot| {
                    cfg.chassis
                        .fpcs
                        .iter()
                        .find(|f| f.slot == slot)
                        .and_then(|f| f.sampling_instance.as_ref())
                });
                match bound {
                    Some(name) => instances
                        .iter()
                        .position(|p| p.name == *name)
                        .map(|p| p as u16),
                    None => global,
                }
            })
            .collect();
        let mut unit_input = Vec::new();
        let mut unit_output = Vec::new();
        for ifd in &cfg.interfaces {
            for u in &ifd.units {
                let flag = |f: &Option<flowsh_grammar::model::Family>, out: bool| {
                    f.as_ref()
                        .is_some_and(|f| if out { f.sample_output } else { f.sample_input })
                };
                unit_input.push([flag(&u.inet, false), flag(&u.inet6, false)]);
                unit_output.push([flag(&u.inet, true), flag(&u.inet6, true)]);
            }
        }
        JflowPlan {
            instances,
            unit_instance,
            unit_input,
            unit_output,
        }
    }

    /// Whether anything samples at all (the packet path skips J-Flow otherwise).
    pub fn active(&self) -> bool {
        !self.instances.is_empty()
    }
}

fn instance_plan(
    cfg: &Config,
    i: &flowsh_grammar::model::SamplingInstance,
    name: Option<&str>,
) -> InstancePlan {
    let output = |fam: SampledFamily| {
        i.families
            .iter()
            .find(|f| f.family == fam)
            .map(|f| f.output.clone())
    };
    let outputs = [output(SampledFamily::Inet), output(SampledFamily::Inet6)];
    // The line cards this instance is bound to (the global one: cards bound to none).
    let cards: Vec<&flowsh_grammar::model::Fpc> = cfg
        .chassis
        .fpcs
        .iter()
        .filter(|f| f.sampling_instance.as_deref() == name)
        .collect();
    let units = |v6: bool| {
        cards
            .iter()
            .filter_map(|f| {
                if v6 {
                    f.ipv6_flow_table_units
                } else {
                    f.ipv4_flow_table_units
                }
            })
            .max()
            .unwrap_or(1)
    };
    let limits = |fam: usize| {
        let out = outputs[fam].as_ref();
        // A version 9 or IPFIX template's timeouts win over the family's.
        let template = out.and_then(|o| {
            o.flow_servers.iter().find_map(|s| match &s.format {
                ExportFormat::V9 { template } => cfg
                    .flow_monitoring
                    .v9_templates
                    .iter()
                    .find(|t| t.name == *template),
                ExportFormat::Ipfix { template } => cfg
                    .flow_monitoring
                    .ipfix_templates
                    .iter()
                    .find(|t| t.name == *template),
                _ => None,
            })
        });
        let (active, inactive) = match (template, out) {
            (Some(t), _) => (t.flow_active_timeout, t.flow_inactive_timeout),
            (None, Some(o)) => (o.flow_active_timeout, o.flow_inactive_timeout),
            (None, None) => (0, 0),
        };
        // A family without an `output` block has the Junos defaults.
        let active = if active == 0 { 1800 } else { active };
        let inactive = if inactive == 0 { 60 } else { inactive };
        Limits {
            active_ms: u64::from(active) * 1000,
            inactive_ms: u64::from(inactive) * 1000,
            capacity: usize::from(units(fam == 1)) * TABLE_UNIT,
        }
    };
    InstancePlan {
        name: name.unwrap_or_default().to_string(),
        input: i.input.clone(),
        limits: [limits(0), limits(1)],
        outputs,
    }
}

/// An exported record with the instance it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exported {
    V4 {
        instance: u16,
        record: FlowRecord<u32>,
    },
    V6 {
        instance: u16,
        record: FlowRecord<u128>,
    },
}

/// One instance's state in one worker.
#[derive(Debug)]
pub struct InstanceState {
    pub name: String,
    pub sampler: Sampler,
    pub v4: FlowTable<u32>,
    pub v6: FlowTable<u128>,
}

/// Counters and sizes of one instance in one worker, for the show commands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceStats {
    pub name: String,
    pub sampler: SamplerStats,
    pub v4: TableStats,
    pub v6: TableStats,
    pub v4_flows: u64,
    pub v6_flows: u64,
    pub v4_capacity: u64,
    pub v6_capacity: u64,
    pub memory_bytes: u64,
}

/// A worker's J-Flow state.
#[derive(Debug, Default)]
pub struct JflowState {
    pub instances: Vec<InstanceState>,
    /// Records waiting for the exporters.
    pub exports: Vec<Exported>,
    shares: u32,
}

fn shard(limits: Limits, shares: u32) -> Limits {
    Limits {
        capacity: limits.capacity.div_ceil(shares.max(1) as usize),
        ..limits
    }
}

impl JflowState {
    /// Brings the state in line with a new plan: instances that stay keep their flows and
    /// sampler position; removed ones export their flows as forced ends. `shares`: the workers.
    pub fn apply(&mut self, plan: &JflowPlan, shares: u32, now: u64) {
        self.shares = shares;
        let mut old = std::mem::take(&mut self.instances);
        for p in &plan.instances {
            let (v4, v6) = (shard(p.limits[0], shares), shard(p.limits[1], shares));
            let state = match old.iter().position(|s| s.name == p.name) {
                Some(at) => {
                    let mut s = old.swap_remove(at);
                    s.sampler.reconfigure(&p.input, shares);
                    let (exports, i) = (&mut self.exports, self.instances.len() as u16);
                    s.v4.set_limits(v4, now, &mut |record| {
                        exports.push(Exported::V4 {
                            instance: i,
                            record,
                        })
                    });
                    s.v6.set_limits(v6, now, &mut |record| {
                        exports.push(Exported::V6 {
                            instance: i,
                            record,
                        })
                    });
                    s
                }
                None => InstanceState {
                    name: p.name.clone(),
                    sampler: Sampler::new(&p.input, shares),
                    v4: FlowTable::new(v4, now),
                    v6: FlowTable::new(v6, now),
                },
            };
            self.instances.push(state);
        }
        // Gone from the configuration: their flows end now. The records keep no instance.
        for mut s in old {
            let exports = &mut self.exports;
            s.v4.flush(&mut |record| {
                exports.push(Exported::V4 {
                    instance: u16::MAX,
                    record,
                })
            });
            s.v6.flush(&mut |record| {
                exports.push(Exported::V6 {
                    instance: u16::MAX,
                    record,
                })
            });
        }
    }

    /// Offers a candidate packet to an instance's sampler and meters it when sampled.
    #[inline]
    pub fn sample(
        &mut self,
        instance: u16,
        view: &PacketView,
        input: u16,
        output: Option<u16>,
        egress: bool,
        now: u64,
    ) {
        let Some(s) = self.instances.get_mut(usize::from(instance)) else {
            return;
        };
        if !s.sampler.take(now) {
            return;
        }
        let bytes = u64::from(view.length);
        let flags = view.transport.tcp_flags.unwrap_or(0);
        let output = output.unwrap_or(NO_UNIT);
        let exports = &mut self.exports;
        match view.family {
            Family::V4 if view.is_later_fragment() => s.v4.stats.fragments_ignored += 1,
            Family::V6 if view.is_later_fragment() => s.v6.stats.fragments_ignored += 1,
            Family::V4 => s.v4.meter(
                Key::of(view, input, egress),
                bytes,
                flags,
                output,
                now,
                &mut |record| exports.push(Exported::V4 { instance, record }),
            ),
            Family::V6 => s.v6.meter(
                Key::of(view, input, egress),
                bytes,
                flags,
                output,
                now,
                &mut |record| exports.push(Exported::V6 { instance, record }),
            ),
        }
    }

    /// Applies the packets each table metered ahead of its work.
    pub fn settle(&mut self) {
        for (i, s) in self.instances.iter_mut().enumerate() {
            let (exports, instance) = (&mut self.exports, i as u16);
            s.v4.settle(&mut |record| exports.push(Exported::V4 { instance, record }));
            s.v6.settle(&mut |record| exports.push(Exported::V6 { instance, record }));
        }
    }

    /// Moves every table's time to `now`.
    pub fn expire(&mut self, now: u64) {
        for (i, s) in self.instances.iter_mut().enumerate() {
            let (exports, instance) = (&mut self.exports, i as u16);
            s.v4.expire(now, &mut |record| {
                exports.push(Exported::V4 { instance, record })
            });
            s.v6.expire(now, &mut |record| {
                exports.push(Exported::V6 { instance, record })
            });
        }
    }

    /// Ends every flow now (forced end), handing the records to `ship` a batch at a time: a
    /// million flows ending at once never wait in one list.
    pub fn flush(&mut self, ship: &mut dyn FnMut(Vec<Exported>)) {
        const BATCH: usize = 8192;
        for (i, s) in self.instances.iter_mut().enumerate() {
            let (exports, instance) = (&mut self.exports, i as u16);
            let mut push = |e: Exported| {
                exports.push(e);
                if exports.len() >= BATCH {
                    ship(std::mem::take(exports));
                }
            };
            s.v4.flush(&mut |record| push(Exported::V4 { instance, record }));
            s.v6.flush(&mut |record| push(Exported::V6 { instance, record }));
        }
        if !self.exports.is_empty() {
            ship(std::mem::take(&mut self.exports));
        }
    }

    pub fn stats(&self) -> Vec<InstanceStats> {
        self.instances
            .iter()
            .map(|s| InstanceStats {
                name: s.name.clone(),
                sampler: s.sampler.stats,
                v4: s.v4.stats,
                v6: s.v6.stats,
                v4_flows: s.v4.len() as u64,
                v6_flows: s.v6.len() as u64,
                v4_capacity: s.v4.limits.capacity as u64,
                v6_capacity: s.v6.limits.capacity as u64,
                memory_bytes: (s.v4.memory_bytes() + s.v6.memory_bytes()) as u64,
            })
            .collect()
    }

    /// `clear services accounting flow`: the counters restart; the flows stay.
    pub fn clear_stats(&mut self) {
        for s in &mut self.instances {
            s.sampler.stats = SamplerStats::default();
            s.v4.stats = TableStats::default();
            s.v6.stats = TableStats::default();
        }
    }
}

/// A flow held in a table, as `show services accounting flow-detail` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowEntry {
    pub instance: String,
    pub src: std::net::IpAddr,
    pub dst: std::net::IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub tos: u8,
    pub input: u16,
    pub output: u16,
    pub packets: u64,
    pub bytes: u64,
    pub first: u64,
    pub last: u64,
    pub tcp_flags: u8,
}

impl FlowEntry {
    pub fn of<A: crate::flow::FlowAddr>(instance: &str, r: &FlowRecord<A>) -> FlowEntry {
        FlowEntry {
            instance: instance.to_string(),
            src: r.key.src.ip(),
            dst: r.key.dst.ip(),
            src_port: r.key.src_port(),
            dst_port: r.key.dst_port(),
            protocol: r.key.protocol(),
            tos: r.key.tos(),
            input: r.key.input(),
            output: r.output,
            packets: r.packets,
            bytes: r.bytes,
            first: r.first,
            last: r.last,
            tcp_flags: r.tcp_flags,
        }
    }
}

impl JflowState {
    /// Every flow held, in no particular order.
    pub fn flows(&self) -> Vec<FlowEntry> {
        let mut out = Vec::new();
        for s in &self.instances {
            out.extend(s.v4.flows().map(|r| FlowEntry::of(&s.name, &r)));
            out.extend(s.v6.flows().map(|r| FlowEntry::of(&s.name, &r)));
        }
        out
    }
}

#[cfg(test)]
mod tests;
