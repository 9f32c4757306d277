//! The packet path, without threads or I/O: parse → input filter → route → TTL → output filter →
//! transmit, with the router's own replies (echo, ICMP errors). Deterministic, so tests drive it
//! packet by packet.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use flowsh_grammar::model::{AddressFamily, Config, Filter, RejectType};
use hashbrown::HashMap;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::filter::{CompiledFilter, Decision, Fields};
use crate::icmp;
use crate::jflow::{self, Exported, JflowPlan, JflowState};
use crate::mirror::port::{PortMirrorPlan, PortMirrorStats, picker};
use crate::mirror::session::{Session, SessionKey, Sessions};
use crate::mirror::{DestinationStats, MirrorCopy, MirrorPlan};
use crate::packet::{Family, PacketView, ParseError, parse};
use crate::route::{RouteTable, Target};
use crate::sampling::Sampler;

/// Why a packet was dropped: each is a counter, per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Drop {
    Parse(ParseError),
    FilterDiscard,
    FilterReject,
    NoRoute,
    RouteDiscard,
    RouteReject,
    TtlExpired,
    /// No address family configured on the unit for this packet.
    FamilyDisabled,
    /// The output unit has no port bound.
    PortDown,
    /// The output port refused the packet (a send error, or a replay-only capture).
    SendFailed,
    /// An Ethernet port already holds as many packets as it may for an unresolved next hop
    /// (ARP or neighbor discovery).
    ArpPendingFull,
    /// A packet to the router itself that it does not answer.
    LocalUnhandled,
    /// A flow a security policy (or the default policy) denies.
    PolicyDeny,
}

/// A TCP SYN without ACK, or an ICMP/ICMPv6 echo request: the first packet of a flow.
fn opens_flow(view: &PacketView) -> bool {
    let t = &view.transport;
    t.tcp_flags.is_some_and(|f| f & 0x12 == 0x02)
        || matches!(
            (view.protocol, t.icmp),
            (1, Some((8, _))) | (58, Some((128, _)))
        )
}

/// Drop reasons: the parse errors, then one per other variant.
const DROP_KINDS: usize = ParseError::ALL.len() + 12;

impl Drop {
    /// A dense index for the packet path's counters.
    fn index(self) -> usize {
        let n = ParseError::ALL.len();
        match self {
            Drop::Parse(p) => p as usize,
            Drop::FilterDiscard => n,
            Drop::FilterReject => n + 1,
            Drop::NoRoute => n + 2,
            Drop::RouteDiscard => n + 3,
            Drop::RouteReject => n + 4,
            Drop::TtlExpired => n + 5,
            Drop::FamilyDisabled => n + 6,
            Drop::PortDown => n + 7,
            Drop::SendFailed => n + 8,
            Drop::ArpPendingFull => n + 9,
            Drop::LocalUnhandled => n + 10,
            Drop::PolicyDeny => n + 11,
        }
    }

    /// Every reason, in index order.
    fn all() -> impl Iterator<Item = Drop> {
        ParseError::ALL.into_iter().map(Drop::Parse).chain([
            Drop::FilterDiscard,
            Drop::FilterReject,
            Drop::NoRoute,
            Drop::RouteDiscard,
            Drop::RouteReject,
            Drop::TtlExpired,
            Drop::FamilyDisabled,
            Drop::PortDown,
            Drop::SendFailed,
            Drop::ArpPendingFull,
            Drop::LocalUnhandled,
            Drop::PolicyDeny,
        ])
    }

    pub fn name(self) -> &'static str {
        match self {
            Drop::Parse(p) => p.name(),
            Drop::FilterDiscard => "filter-discard",
            Drop::FilterReject => "filter-reject",
            Drop::NoRoute => "no-route",
            Drop::RouteDiscard => "route-discard",
            Drop::RouteReject => "route-reject",
            Drop::TtlExpired => "ttl-expired",
            Drop::FamilyDisabled => "family-not-configured",
            Drop::PortDown => "port-down",
            Drop::SendFailed => "send-failed",
            Drop::ArpPendingFull => "arp-pending-full",
            Drop::LocalUnhandled => "local-unhandled",
            Drop::PolicyDeny => "policy-deny",
        }
    }
}

/// Counters of one unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitCounters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub drops: BTreeMap<&'static str, u64>,
}

impl UnitCounters {
    pub fn dropped(&self) -> u64 {
        self.drops.values().sum()
    }
}

/// A unit's counters on the packet path: drops in an array (a map costs a search per drop).
#[derive(Debug, Clone)]
struct LiveUnit {
    rx_packets: u64,
    rx_bytes: u64,
    tx_packets: u64,
    tx_bytes: u64,
    drops: [u64; DROP_KINDS],
}

impl Default for LiveUnit {
    fn default() -> Self {
        LiveUnit::from(&UnitCounters::default())
    }
}

impl LiveUnit {
    fn drop(&mut self, d: Drop) {
        self.drops[d.index()] += 1;
    }
}

impl From<&UnitCounters> for LiveUnit {
    fn from(c: &UnitCounters) -> Self {
        let mut drops = [0; DROP_KINDS];
        for d in Drop::all() {
            drops[d.index()] = c.drops.get(d.name()).copied().unwrap_or(0);
        }
        LiveUnit {
            rx_packets: c.rx_packets,
            rx_bytes: c.rx_bytes,
            tx_packets: c.tx_packets,
            tx_bytes: c.tx_bytes,
            drops,
        }
    }
}

impl From<&LiveUnit> for UnitCounters {
    fn from(c: &LiveUnit) -> Self {
        UnitCounters {
            rx_packets: c.rx_packets,
            rx_bytes: c.rx_bytes,
            tx_packets: c.tx_packets,
            tx_bytes: c.tx_bytes,
            drops: Drop::all()
                .filter(|d| c.drops[d.index()] > 0)
                .map(|d| (d.name(), c.drops[d.index()]))
                .collect(),
        }
    }
}

/// Packets and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub packets: u64,
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, bytes: usize) {
        self.packets += 1;
        self.bytes += bytes as u64;
    }
}

/// A configured unit (`ge-0/0/0.0`) as the data plane sees it.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub interface: String,
    pub up: bool,
    pub inet: Option<UnitFamily>,
    pub inet6: Option<UnitFamily>,
}

/// A family of a unit: its filters (indexes into the filter list) and addresses.
#[derive(Debug, Clone, Default)]
pub struct UnitFamily {
    pub filter_input: Option<usize>,
    pub filter_output: Option<usize>,
    pub addresses: Vec<ipnet::IpNet>,
}

/// Everything compiled from one committed configuration; swapped whole on commit.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub units: Vec<Unit>,
    pub filters: Vec<Arc<CompiledFilter>>,
    pub routes: RouteTable,
    pub jflow: JflowPlan,
    pub mirror: MirrorPlan,
    pub port_mirror: PortMirrorPlan,
    /// The workers the flow tables and sampling limits are shared between.
    pub shards: u32,
    pub config: Arc<Config>,
}

/// Compiled filters kept from one commit to the next: a filter whose configuration (and the
/// units it may name) did not change is not compiled again, so a one-line commit on a
/// configuration of thousands of filters costs little.
#[derive(Debug, Default)]
pub struct FilterCache {
    units: Vec<String>,
    filters: HashMap<(AddressFamily, String), (Filter, Arc<CompiledFilter>)>,
}

impl Compiled {
    pub fn build(cfg: &Config) -> Compiled {
        Compiled::build_cached(cfg, &mut FilterCache::default())
    }

    /// Builds, reusing (and then replacing) the filters of `cache`.
    pub fn build_cached(cfg: &Config, cache: &mut FilterCache) -> Compiled {
        let mut names = Vec::new();
        for ifd in &cfg.interfaces {
            for u in &ifd.units {
                names.push(format!("{}.{}", ifd.name, u.number));
            }
        }
        if cache.units != names {
            cache.filters.clear();
        }
        let mut kept = HashMap::with_capacity(cfg.firewall.filters.len());
        let filters: Vec<Arc<CompiledFilter>> = cfg
            .firewall
            .filters
            .iter()
            .map(|f| {
                let key = (f.family, f.name.clone());
                let compiled = match cache.filters.remove(&key) {
                    Some((old, c)) if old == *f => c,
                    _ => Arc::new(CompiledFilter::compile(f, &names)),
                };
                kept.insert(key, (f.clone(), compiled.clone()));
                compiled
            })
            .collect();
        cache.filters = kept;
        cache.units = names.clone();
        let by_name: HashMap<(AddressFamily, String), usize> = filters
            .iter()
            .enumerate()
            .map(|(i, f)| ((f.family, f.name.clone()), i))
            .collect();
        let find = |fam: AddressFamily, name: &Option<String>| {
            name.as_ref()
                .and_then(|n| by_name.get(&(fam, n.clone())).copied())
        };
        let mut units = Vec::new();
        for ifd in &cfg.interfaces {
            for u in &ifd.units {
                let fam = |f: &Option<flowsh_grammar::model::Family>, af| {
                    f.as_ref().map(|f| UnitFamily {
                        filter_input: find(af, &f.filter_input),
                        filter_output: find(af, &f.filter_output),
                        addresses: f.addresses.iter().map(|a| a.address).collect(),
                    })
                };
                units.push(Unit {
                    name: format!("{}.{}", ifd.name, u.number),
                    interface: ifd.name.clone(),
                    up: !ifd.disabled && !u.disabled,
                    inet: fam(&u.inet, AddressFamily::Inet),
                    inet6: fam(&u.inet6, AddressFamily::Inet6),
                });
            }
        }
        let routes = RouteTable::build(cfg, &names);
        let unit_names: Vec<(String, String)> = units
            .iter()
            .map(|u| (u.name.clone(), u.interface.clone()))
            .collect();
        Compiled {
            jflow: JflowPlan::build(cfg, &unit_names),
            mirror: MirrorPlan::build(cfg, &unit_names, &routes),
            port_mirror: PortMirrorPlan::build(cfg, &unit_names),
            units,
            filters,
            routes,
            shards: 1,
            config: Arc::new(cfg.clone()),
        }
    }

    pub fn unit(&self, name: &str) -> Option<u16> {
        self.units
            .iter()
            .position(|u| u.name == name)
            .map(|i| i as u16)
    }

    fn family(&self, unit: u16, f: Family) -> Option<&UnitFamily> {
        let u = self.units.get(usize::from(unit))?;
        match f {
            Family::V4 => u.inet.as_ref(),
            Family::V6 => u.inet6.as_ref(),
        }
    }

    /// The unit's first address of a family: the source of the router's ICMP messages.
    pub fn source_address(&self, unit: u16, f: Family) -> Option<IpAddr> {
        self.family(unit, f)
            .and_then(|fam| fam.addresses.first())
            .map(|a| a.addr())
    }
}

/// Counters that outlive commits, keyed by name so a commit keeps what still exists.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub units: BTreeMap<String, UnitCounters>,
    /// (filter, term) → count.
    pub terms: BTreeMap<(String, String), Count>,
    /// (filter, counter name) → count (`then count NAME`).
    pub counters: BTreeMap<(String, String), Count>,
    /// (filter) → packets dropped by the implicit discard.
    pub implicit: BTreeMap<String, Count>,
}

/// What to do with a packet after processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send the first `len` bytes of the input buffer (changed in place: TTL and checksum) out
    /// of this unit; bytes past the IP length (link padding) stay behind.
    Forward {
        unit: u16,
        len: usize,
        /// The route's next hop (`None`: the destination is on the unit's subnet).
        next_hop: Option<IpAddr>,
    },
    /// The router's own packet (echo reply, ICMP error) to send out of this unit.
    Reply {
        unit: u16,
        packet: Vec<u8>,
    },
    /// An echo reply addressed to the router: an answer to its own `ping`.
    EchoReply {
        from: IpAddr,
        ident: u16,
        seq: u16,
        ttl: u8,
    },
    Dropped(Drop),
}

/// Counters on the packet path, indexed like the compiled state.
#[derive(Debug, Default)]
struct Counters {
    units: Vec<LiveUnit>,
    terms: Vec<Vec<Count>>,
    implicit: Vec<Count>,
    /// Per filter, per `count` name slot.
    named: Vec<Vec<Count>>,
    /// The classifier's lookups of the packet at hand.
    scratch: Vec<u64>,
    /// Samplers and flow tables.
    jflow: JflowState,
    /// Milliseconds of engine uptime, set by the worker before each batch.
    now: u64,
    /// Flow mode: sessions and what the policies decided.
    sessions: Sessions,
    /// Per policy, per rule: sessions it decided; then the default policy's.
    policy_hits: Vec<Vec<u64>>,
    default_hits: u64,
    mirror_stats: Vec<DestinationStats>,
    /// Copies waiting for the worker to send them.
    mirrors: Vec<MirrorCopy>,
    /// The Ethernet header of the packet at hand (Ethernet ports), for mirror copies.
    frame_header: Option<[u8; 14]>,
    /// Port-mirroring instances, then analyzers: counters and 1-in-N state.
    port_mirror_stats: Vec<PortMirrorStats>,
    port_mirror_picks: Vec<Sampler>,
}

impl Counters {
    fn drop(&mut self, unit: u16, d: Drop) -> Output {
        if let Some(c) = self.units.get_mut(usize::from(unit)) {
            c.drop(d);
        }
        Output::Dropped(d)
    }

    fn tx(&mut self, unit: u16, len: usize) {
        if let Some(c) = self.units.get_mut(usize::from(unit)) {
            c.tx_packets += 1;
            c.tx_bytes += len as u64;
        }
    }

    #[inline(always)]
    fn run_filter(
        &mut self,
        compiled: &Compiled,
        filter: usize,
        view: &PacketView,
        unit: u16,
        len: usize,
    ) -> crate::filter::Verdict {
        let f = &compiled.filters[filter];
        let counts = &mut self.terms[filter];
        let named = &mut self.named[filter];
        let verdict = f.evaluate_in(&Fields { packet: view, unit }, &mut self.scratch, |t| {
            counts[t].add(len);
            if let Some(slot) = f.terms[t].counter {
                named[usize::from(slot)].add(len);
            }
        });
        if verdict.decision == Decision::ImplicitDiscard {
            self.implicit[filter].add(len);
        }
        verdict
    }

    fn icmp_error(
        &mut self,
        compiled: &Compiled,
        unit: u16,
        view: &PacketView,
        buf: &[u8],
        err: icmp::Error,
    ) -> Output {
        let Some(src) = compiled.source_address(unit, view.family) else {
            return Output::Dropped(Drop::LocalUnhandled);
        };
        match icmp::error(src, view, buf, err) {
            Some(p) => Output::Reply { unit, packet: p },
            None => Output::Dropped(Drop::LocalUnhandled),
        }
    }

    fn reject(
        &mut self,
        compiled: &Compiled,
        unit: u16,
        view: &PacketView,
        buf: &[u8],
        r: RejectType,
    ) -> Output {
        if let Some(c) = self.units.get_mut(usize::from(unit)) {
            c.drop(Drop::FilterReject);
        }
        let err = match r {
            RejectType::TcpReset if view.transport.tcp_flags.is_some() => {
                return match icmp::tcp_reset(view, buf) {
                    Some(p) => Output::Reply { unit, packet: p },
                    None => Output::Dropped(Drop::FilterReject),
                };
            }
            RejectType::HostUnreachable => icmp::Error::HostUnreachable,
            RejectType::NetworkUnreachable => icmp::Error::NetUnreachable,
            RejectType::PortUnreachable => icmp::Error::PortUnreachable,
            RejectType::ProtocolUnreachable => icmp::Error::ProtocolUnreachable,
            _ => icmp::Error::AdminProhibited,
        };
        match self.icmp_error(compiled, unit, view, buf, err) {
            Output::Dropped(_) => Output::Dropped(Drop::FilterReject),
            o => o,
        }
    }

    /// The packet path proper.
    #[inline]
    fn process(&mut self, compiled: &Compiled, unit: u16, buf: &mut [u8]) -> Output {
        let Some(c) = self.units.get_mut(usize::from(unit)) else {
            return Output::Dropped(Drop::PortDown);
        };
        c.rx_packets += 1;
        c.rx_bytes += buf.len() as u64;
        // Read in place: moving the view out of the `Result` costs a store-forwarding stall.
        let parsed = parse(buf);
        let view = match &parsed {
            Ok(v) => v,
            Err(e) => return self.drop(unit, Drop::Parse(*e)),
        };
        let Some(fam) = compiled.family(unit, view.family) else {
            return self.drop(unit, Drop::FamilyDisabled);
        };
        if !compiled.jflow.active() {
            return self.route(compiled, fam, unit, view, buf, &mut Samples::default());
        }
        let f = jflow::family_index(view.family);
        let at = usize::from(unit);
        let mut samples = Samples {
            input: compiled.jflow.unit_input.get(at).is_some_and(|s| s[f]),
            output: None,
        };
        let out = self.route(compiled, fam, unit, view, buf, &mut samples);
        self.sample(compiled, unit, view, &out, samples);
        out
    }

    /// Offers the packet to the sampling instances of the points that sample it.
    fn sample(
        &mut self,
        compiled: &Compiled,
        unit: u16,
        view: &PacketView,
        out: &Output,
        s: Samples,
    ) {
        let forwarded = match out {
            Output::Forward { unit, .. } => Some(*unit),
            _ => None,
        };
        let plan = &compiled.jflow;
        let instance = |u: u16| plan.unit_instance.get(usize::from(u)).copied().flatten();
        if s.input
            && let Some(i) = instance(unit)
        {
            self.jflow.sample(i, view, unit, forwarded, false, self.now);
        }
        if let Some(o) = s.output
            && let Some(i) = instance(o)
        {
            self.jflow.sample(i, view, unit, Some(o), true, self.now);
        }
    }

    /// Input filter, route, TTL, output filter: the packet's fate. `samples` learns which
    /// sampling points the packet reached (`then sample`, `sampling output`).
    #[inline(always)]
    fn route(
        &mut self,
        compiled: &Compiled,
        fam: &UnitFamily,
        unit: u16,
        view: &PacketView,
        buf: &mut [u8],
        samples: &mut Samples,
    ) -> Output {
        let len = usize::from(view.length);
        let mirroring = compiled.port_mirror.active();
        if mirroring {
            for &a in compiled
                .port_mirror
                .unit_ingress
                .get(usize::from(unit))
                .into_iter()
                .flatten()
            {
                self.analyzer_copy(compiled, a, view, &buf[..len]);
            }
        }
        let mut mirrored = false;
        if let Some(fi) = fam.filter_input {
            let verdict = self.run_filter(compiled, fi, view, unit, len);
            samples.input |= verdict.sample;
            let selected = verdict.port_mirror || verdict.port_mirror_instance.is_some();
            if selected && mirroring {
                mirrored = self.filter_mirror(compiled, fi, &verdict, view, &buf[..len]);
            }
            match verdict.decision {
                Decision::Accept => {}
                Decision::Discard | Decision::ImplicitDiscard => {
                    return self.drop(unit, Drop::FilterDiscard);
                }
                Decision::Reject(r) => return self.reject(compiled, unit, view, buf, r),
            }
        }
        if compiled.mirror.active() && !self.flow_mode(compiled, unit, view, &buf[..len]) {
            return self.drop(unit, Drop::PolicyDeny);
        }
        match compiled
            .routes
            .lookup(view.dst, view.family == Family::V4)
            .map(|r| &r.target)
        {
            None => {
                self.drop(unit, Drop::NoRoute);
                self.icmp_error(compiled, unit, view, buf, icmp::Error::NetUnreachable)
            }
            Some(Target::Discard) => self.drop(unit, Drop::RouteDiscard),
            Some(Target::Reject) => {
                self.drop(unit, Drop::RouteReject);
                self.icmp_error(compiled, unit, view, buf, icmp::Error::HostUnreachable)
            }
            Some(Target::Local { .. }) => match icmp::echo_reply(view, buf) {
                Some(reply) => Output::Reply {
                    unit,
                    packet: reply,
                },
                None => match icmp::echo_reply_fields(view, buf) {
                    Some((ident, seq)) => Output::EchoReply {
                        from: view.src_ip(),
                        ident,
                        seq,
                        ttl: view.ttl,
                    },
                    None => self.drop(unit, Drop::LocalUnhandled),
                },
            },
            Some(&Target::Forward {
                unit: out,
                next_hop,
            }) => {
                if view.ttl <= 1 {
                    self.drop(unit, Drop::TtlExpired);
                    return self.icmp_error(compiled, unit, view, buf, icmp::Error::TimeExceeded);
                }
                icmp::decrement_ttl(buf, view.family);
                let out_family = compiled.family(out, view.family);
                if let Some(fo) = out_family.and_then(|f| f.filter_output) {
                    let verdict = self.run_filter(compiled, fo, view, out, len);
                    if verdict.sample {
                        samples.output = Some(out);
                    }
                    if (verdict.port_mirror || verdict.port_mirror_instance.is_some())
                        && mirroring
                        && !(mirrored && compiled.port_mirror.mirror_once)
                    {
                        self.filter_mirror(compiled, fo, &verdict, view, &buf[..len]);
                    }
                    match verdict.decision {
                        Decision::Accept => {}
                        Decision::Discard | Decision::ImplicitDiscard => {
                            return self.drop(unit, Drop::FilterDiscard);
                        }
                        Decision::Reject(r) => return self.reject(compiled, unit, view, buf, r),
                    }
                }
                if compiled
                    .jflow
                    .unit_output
                    .get(usize::from(out))
                    .is_some_and(|s| s[jflow::family_index(view.family)])
                {
                    samples.output = Some(out);
                }
                if mirroring {
                    let egress = compiled.port_mirror.unit_egress.get(usize::from(out));
                    for &a in egress.into_iter().flatten() {
                        self.analyzer_copy(compiled, a, view, &buf[..len]);
                    }
                }
                self.tx(out, len);
                Output::Forward {
                    unit: out,
                    len,
                    next_hop,
                }
            }
        }
    }
}

impl Counters {
    /// `then port-mirror` / `port-mirror-instance NAME`: a copy for the instance's outputs.
    /// Whether the packet was mirrored.
    fn filter_mirror(
        &mut self,
        compiled: &Compiled,
        filter: usize,
        verdict: &crate::filter::Verdict,
        view: &PacketView,
        ip: &[u8],
    ) -> bool {
        let name = verdict
            .port_mirror_instance
            .and_then(|i| {
                compiled.filters[filter]
                    .mirror_instances
                    .get(usize::from(i))
            })
            .map(String::as_str);
        let Some(i) = compiled.port_mirror.instance(name) else {
            return false;
        };
        let plan = &compiled.port_mirror.instances[usize::from(i)];
        let slot = usize::from(i);
        self.port_mirror_stats[slot].candidates += 1;
        if !self.port_mirror_picks[slot].take(self.now) {
            return false;
        }
        let family = usize::from(view.family == Family::V6);
        let outputs = plan.outputs[family].clone();
        let mut sent = false;
        for o in &outputs {
            sent |= self.port_mirror_out(compiled, slot, o, plan.max_len, ip);
        }
        sent
    }

    /// A packet crossing an interface analyzer `a` watches.
    fn analyzer_copy(&mut self, compiled: &Compiled, a: u16, view: &PacketView, ip: &[u8]) {
        let pm = &compiled.port_mirror;
        let Some(plan) = pm.analyzers.get(usize::from(a)) else {
            return;
        };
        let slot = pm.instances.len() + usize::from(a);
        self.port_mirror_stats[slot].candidates += 1;
        if !self.port_mirror_picks[slot].take(self.now) {
            return;
        }
        let _ = view;
        let output = plan.output.clone();
        self.port_mirror_out(compiled, slot, &output, plan.max_len, ip);
    }

    /// Queues one port-mirroring copy; whether it had somewhere to go.
    fn port_mirror_out(
        &mut self,
        compiled: &Compiled,
        slot: usize,
        output: &crate::mirror::port::Output,
        max_len: u32,
        ip: &[u8],
    ) -> bool {
        use crate::mirror::port::Output as Out;
        let mut packet = ip.to_vec();
        let s = &mut self.port_mirror_stats[slot];
        if max_len > 0 && packet.len() > max_len as usize {
            packet.truncate(max_len as usize);
            s.truncated += 1;
        }
        let copy = match output {
            Out::Unit { unit, next_hop } => Some(MirrorCopy::Out {
                unit: *unit,
                next_hop: *next_hop,
                packet,
            }),
            Out::Gre(to) => {
                let from = match compiled
                    .routes
                    .lookup(u128::from(u32::from(*to)), true)
                    .map(|r| &r.target)
                {
                    Some(Target::Forward { unit, .. }) | Some(Target::Local { unit }) => {
                        compiled.source_address(*unit, Family::V4)
                    }
                    _ => None,
                };
                match from {
                    Some(IpAddr::V4(from)) => Some(MirrorCopy::Routed {
                        packet: crate::mirror::port::gre(from, *to, &packet),
                    }),
                    _ => None,
                }
            }
            Out::Missing => None,
        };
        let s = &mut self.port_mirror_stats[slot];
        match copy {
            Some(c) => {
                s.packets += 1;
                s.bytes += ip.len() as u64;
                self.mirrors.push(c);
                true
            }
            None => {
                s.unresolved += 1;
                false
            }
        }
    }

    /// Flow mode: the packet's session (decided by the policies on the flow's first packet)
    /// says whether it passes and which analyzers get a copy. Whether it passes.
    fn flow_mode(&mut self, compiled: &Compiled, unit: u16, view: &PacketView, ip: &[u8]) -> bool {
        let fragment = crate::mirror::session::fragment_key(view, ip);
        let own_key = SessionKey::of(view);
        // A later fragment has no ports: it follows its datagram's first fragment.
        let key = match fragment {
            Some(f) if view.is_later_fragment() => {
                self.sessions.fragment_session(&f).unwrap_or(own_key)
            }
            _ => own_key,
        };
        if let Some(f) = fragment.filter(|_| !view.is_later_fragment()) {
            self.sessions.note_first_fragment(f, own_key);
        }
        let now = self.now;
        let bytes = ip.len() as u64;
        // Up to 16 destinations per flow are copied to.
        let mut dests = [0u16; 16];
        let (permit, reverse, n) = match self.sessions.find(&key) {
            Some((s, reverse)) => {
                s.last = now;
                s.packets[usize::from(reverse)] += 1;
                s.bytes[usize::from(reverse)] += bytes;
                let n = s.decision.mirrors.len().min(dests.len());
                dests[..n].copy_from_slice(&s.decision.mirrors[..n]);
                (s.decision.permit, reverse, n)
            }
            None => {
                let mut decision = compiled.mirror.decide(view, unit);
                let mut key = key;
                let mut reverse = false;
                // A packet no rule takes may be the reply of a flow one permits (its first
                // packet read by another worker, or its session gone): the flow is picked up
                // that way, from the unit its first direction came in by. Only a permit is
                // taken over, and never for a packet that opens a flow (a TCP SYN, an echo
                // request): policies and their interfaces still hold for new flows.
                if decision.rule.is_none() && !opens_flow(view) {
                    // The flow's first direction came from where this packet goes.
                    let origin = match compiled
                        .routes
                        .lookup(view.dst, view.family == Family::V4)
                        .map(|r| &r.target)
                    {
                        Some(Target::Forward { unit, .. }) | Some(Target::Local { unit }) => *unit,
                        _ => unit,
                    };
                    let turned = compiled.mirror.decide(&view.reversed(), origin);
                    if turned.rule.is_some() && turned.permit {
                        decision = turned;
                        key = key.reverse();
                        reverse = true;
                    }
                }
                match decision.rule {
                    Some((p, r)) => {
                        if let Some(h) = self
                            .policy_hits
                            .get_mut(usize::from(p))
                            .and_then(|p| p.get_mut(usize::from(r)))
                        {
                            *h += 1;
                        }
                    }
                    None => self.default_hits += 1,
                }
                let n = decision.mirrors.len().min(dests.len());
                dests[..n].copy_from_slice(&decision.mirrors[..n]);
                let permit = decision.permit;
                let way = usize::from(reverse);
                let mut packets = [0, 0];
                let mut counted = [0, 0];
                packets[way] = 1;
                counted[way] = bytes;
                self.sessions.insert(Session {
                    key,
                    input: unit,
                    decision,
                    first: now,
                    last: now,
                    packets,
                    bytes: counted,
                });
                (permit, reverse, n)
            }
        };
        for &d in &dests[..n] {
            self.mirror_copy(compiled, d, unit, view, ip, permit, !reverse);
        }
        permit
    }

    /// Queues a copy of the packet for mirror destination `d` (or counts why not).
    #[allow(clippy::too_many_arguments)]
    fn mirror_copy(
        &mut self,
        compiled: &Compiled,
        d: u16,
        unit: u16,
        view: &PacketView,
        ip: &[u8],
        permit: bool,
        forward: bool,
    ) {
        use crate::mirror::{Delivery, encap};
        use flowsh_grammar::model::Direction;
        let Some(plan) = compiled.mirror.destinations.get(usize::from(d)) else {
            return;
        };
        let wanted = match plan.direction {
            Direction::Both => true,
            Direction::Ingress => forward,
            Direction::Egress => !forward,
        };
        let di = usize::from(d);
        if !wanted || di >= self.mirror_stats.len() {
            return;
        }
        if plan.rate_limit > 0 && !plan.rate.take(self.now / 1000, plan.rate_limit) {
            self.mirror_stats[di].rate_limited += 1;
            return;
        }
        let interface = compiled
            .units
            .get(usize::from(unit))
            .map(|u| u.interface.as_str());
        let mut frame = match self.frame_header {
            Some(h) => [&h[..], ip].concat(),
            None => encap::frame_of(ip, crate::l2::mac_for(interface.unwrap_or(""))),
        };
        // A copy keeps at least its Ethernet header, whatever the configured length.
        let cap = (plan.max_len as usize).max(14);
        if plan.max_len > 0 && frame.len() > cap {
            frame.truncate(cap);
            self.mirror_stats[di].truncated += 1;
        }
        let from = |to: Ipv4Addr| -> Option<Ipv4Addr> {
            let out = match compiled
                .routes
                .lookup(u128::from(u32::from(to)), true)
                .map(|r| &r.target)
            {
                Some(Target::Forward { unit, .. }) | Some(Target::Local { unit }) => *unit,
                _ => return None,
            };
            match compiled.source_address(out, Family::V4) {
                Some(IpAddr::V4(a)) => Some(a),
                _ => None,
            }
        };
        let hash = {
            use std::hash::BuildHasher;
            foldhash::fast::FixedState::with_seed(7).hash_one((view.src, view.dst, view.protocol))
        };
        let networks = &compiled.mirror.networks;
        let header = |capture_host: Ipv4Addr| encap::Header {
            capture_host,
            flags: if permit {
                encap::flag::PASS
            } else {
                encap::flag::DENY
            } | encap::flag::MIRROR
                | if forward { encap::flag::INGRESS } else { 0 },
            source_network: networks.get(usize::from(unit)).map_or("", String::as_str),
            destination_network: match compiled
                .routes
                .lookup(view.dst, view.family == Family::V4)
                .map(|r| &r.target)
            {
                Some(Target::Forward { unit, .. }) | Some(Target::Local { unit }) => {
                    networks.get(usize::from(*unit)).map_or("", String::as_str)
                }
                _ => "",
            },
        };
        let copy = match &plan.delivery {
            Delivery::Header { analyzer, port } => from(*analyzer).map(|src| MirrorCopy::Ip {
                dest: d,
                packet: encap::udp_to(
                    src,
                    *analyzer,
                    (encap::source_port(hash), *port),
                    &encap::juniper_payload(&header(src), &frame),
                ),
            }),
            Delivery::Vxlan { vtep, vni } => from(*vtep).map(|src| MirrorCopy::Ip {
                dest: d,
                packet: encap::udp_to(
                    src,
                    *vtep,
                    (encap::source_port(hash), encap::VXLAN_PORT),
                    &encap::vxlan_payload(*vni, &frame),
                ),
            }),
            Delivery::Mac(mac) => {
                frame[..6].copy_from_slice(mac);
                Some(MirrorCopy::Frame {
                    dest: d,
                    mac: *mac,
                    frame,
                })
            }
            Delivery::Unit {
                unit: out,
                header: true,
                port,
            } => {
                let src = match compiled.source_address(*out, Family::V4) {
                    Some(IpAddr::V4(a)) => a,
                    _ => Ipv4Addr::UNSPECIFIED,
                };
                let packet = encap::udp_to(
                    src,
                    Ipv4Addr::BROADCAST,
                    (encap::source_port(hash), *port),
                    &encap::juniper_payload(&header(src), &frame),
                );
                Some(MirrorCopy::Unit {
                    dest: d,
                    unit: *out,
                    frame: encap::frame_of(&packet, [0xff; 6]),
                })
            }
            Delivery::Unit { unit: out, .. } => Some(MirrorCopy::Unit {
                dest: d,
                unit: *out,
                frame,
            }),
            Delivery::Unresolved => None,
        };
        let s = &mut self.mirror_stats[di];
        match copy {
            Some(c) => {
                s.packets += 1;
                s.bytes += ip.len() as u64;
                self.mirrors.push(c);
            }
            None => s.unresolved += 1,
        }
    }
}

/// The sampling points a packet reached.
#[derive(Debug, Default, Clone, Copy)]
struct Samples {
    /// Input sampling on the unit it came in on (`sampling input` or an input `then sample`).
    input: bool,
    /// Output sampling on the unit it leaves by.
    output: Option<u16>,
}

/// The data plane's state: what is compiled, and the counters.
#[derive(Debug, Default)]
pub struct Dataplane {
    pub compiled: Arc<Compiled>,
    counters: Counters,
}

impl Dataplane {
    pub fn new(compiled: Arc<Compiled>) -> Dataplane {
        let mut d = Dataplane::default();
        d.apply(compiled, &Stats::default());
        d
    }

    /// Swaps in a new compiled state between two packets; counters of units, terms and named
    /// counters that still exist carry over (`carried` overrides unit counters, for tests).
    pub fn apply(&mut self, compiled: Arc<Compiled>, carried: &Stats) {
        let old = self.stats();
        let c = &mut self.counters;
        c.units = compiled
            .units
            .iter()
            .map(|u| {
                carried
                    .units
                    .get(&u.name)
                    .or_else(|| old.units.get(&u.name))
                    .map(LiveUnit::from)
                    .unwrap_or_default()
            })
            .collect();
        c.terms = compiled
            .filters
            .iter()
            .map(|f| {
                f.terms
                    .iter()
                    .map(|t| {
                        old.terms
                            .get(&(f.name.clone(), t.name.clone()))
                            .copied()
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        c.implicit = compiled
            .filters
            .iter()
            .map(|f| old.implicit.get(&f.name).copied().unwrap_or_default())
            .collect();
        c.named = compiled
            .filters
            .iter()
            .map(|f| {
                f.counters
                    .iter()
                    .map(|n| {
                        old.counters
                            .get(&(f.name.clone(), n.clone()))
                            .copied()
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        c.jflow.apply(&compiled.jflow, compiled.shards, c.now);
        let (old, new) = (&self.compiled.config, &compiled.config);
        // Sessions keep their decisions unless the policies or destinations changed.
        if old.security != new.security
            || old.mirror_destinations != new.mirror_destinations
            || old.interfaces != new.interfaces
        {
            c.sessions = Sessions::default();
        }
        let keep = |names: &[String], old_names: &[String], old: &[DestinationStats]| {
            names
                .iter()
                .map(|n| {
                    old_names
                        .iter()
                        .position(|o| o == n)
                        .and_then(|i| old.get(i).copied())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
        };
        let new_names: Vec<String> = compiled
            .mirror
            .destinations
            .iter()
            .map(|d| d.name.clone())
            .collect();
        let old_names: Vec<String> = self
            .compiled
            .mirror
            .destinations
            .iter()
            .map(|d| d.name.clone())
            .collect();
        c.mirror_stats = keep(&new_names, &old_names, &c.mirror_stats);
        let pm = &compiled.port_mirror;
        let slots = pm.instances.len() + pm.analyzers.len();
        if c.port_mirror_stats.len() != slots {
            c.port_mirror_stats = vec![PortMirrorStats::default(); slots];
        }
        c.port_mirror_picks = pm
            .instances
            .iter()
            .map(|i| picker(i.rate, i.run_length))
            .chain(pm.analyzers.iter().map(|a| picker(a.rate, 0)))
            .collect();
        // Hit counts stay with the rules that stay (by policy and rule name).
        let old_policies = &self.compiled.mirror.policies;
        c.policy_hits = compiled
            .mirror
            .policies
            .iter()
            .map(|p| {
                let before = old_policies.iter().position(|o| o.name == p.name);
                p.rules
                    .iter()
                    .map(|r| {
                        before
                            .and_then(|pi| {
                                let ri = old_policies[pi]
                                    .rules
                                    .iter()
                                    .position(|o| o.name == r.name)?;
                                c.policy_hits.get(pi)?.get(ri).copied()
                            })
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect();
        self.compiled = compiled;
    }

    /// The Ethernet header of the next packet (Ethernet ports), for mirror copies.
    #[inline]
    pub fn set_frame_header(&mut self, header: Option<[u8; 14]>) {
        self.counters.frame_header = header;
    }

    /// Mirror copies waiting to be sent, handed over.
    pub fn take_mirrors(&mut self) -> Vec<MirrorCopy> {
        std::mem::take(&mut self.counters.mirrors)
    }

    #[inline]
    pub fn has_mirrors(&self) -> bool {
        !self.counters.mirrors.is_empty()
    }

    /// A copy the worker could not send (no route, no port, an unknown MAC).
    pub fn count_mirror_unresolved(&mut self, dest: u16) {
        if let Some(s) = self.counters.mirror_stats.get_mut(usize::from(dest)) {
            s.unresolved += 1;
            s.packets = s.packets.saturating_sub(1);
        }
    }

    pub fn mirror_stats(&self) -> &[DestinationStats] {
        &self.counters.mirror_stats
    }

    /// Port-mirroring instances, then analyzers.
    pub fn port_mirror_stats(&self) -> &[PortMirrorStats] {
        &self.counters.port_mirror_stats
    }

    /// Per policy, per rule: sessions decided; and the default policy's.
    pub fn policy_hits(&self) -> (&[Vec<u64>], u64) {
        (&self.counters.policy_hits, self.counters.default_hits)
    }

    pub fn sessions(&self) -> &Sessions {
        &self.counters.sessions
    }

    /// Sets the time (milliseconds of engine uptime) for the packets that follow.
    #[inline]
    pub fn set_now(&mut self, now: u64) {
        self.counters.now = self.counters.now.max(now);
    }

    pub fn now(&self) -> u64 {
        self.counters.now
    }

    /// Runs flow expiry up to the current time (and sweeps a few idle sessions).
    pub fn expire(&mut self) {
        let now = self.counters.now;
        self.counters.jflow.expire(now);
        self.counters.sessions.sweep(now, 1024);
    }

    /// Ends every flow now (the end of a replay); the records go to `ship` in batches.
    pub fn flush_flows(&mut self, ship: &mut dyn FnMut(Vec<Exported>)) {
        self.counters.jflow.flush(ship);
    }

    /// Flow records waiting for export, handed over.
    pub fn take_exports(&mut self) -> Vec<Exported> {
        std::mem::take(&mut self.counters.jflow.exports)
    }

    /// Whether records wait for export.
    pub fn has_exports(&self) -> bool {
        !self.counters.jflow.exports.is_empty()
    }

    /// The sampling instances and their tables, every packet metered so far applied.
    pub fn jflow(&mut self) -> &JflowState {
        self.counters.jflow.settle();
        &self.counters.jflow
    }

    /// `clear services accounting flow`.
    pub fn clear_jflow(&mut self) {
        self.counters.jflow.settle();
        self.counters.jflow.clear_stats();
    }

    /// A snapshot of every counter, by name.
    pub fn stats(&self) -> Stats {
        let (c, k) = (&self.compiled, &self.counters);
        let mut s = Stats::default();
        for (f, slots) in c.filters.iter().zip(&k.named) {
            for (name, count) in f.counters.iter().zip(slots) {
                s.counters.insert((f.name.clone(), name.clone()), *count);
            }
        }
        for (u, counters) in c.units.iter().zip(&k.units) {
            s.units.insert(u.name.clone(), counters.into());
        }
        for (f, counts) in c.filters.iter().zip(&k.terms) {
            for (t, count) in f.terms.iter().zip(counts) {
                s.terms.insert((f.name.clone(), t.name.clone()), *count);
            }
        }
        for (f, count) in c.filters.iter().zip(&k.implicit) {
            s.implicit.insert(f.name.clone(), *count);
        }
        s
    }

    /// `clear firewall filter NAME`: its term and named counters go back to zero.
    pub fn clear_filter(&mut self, name: &str) -> bool {
        let Some(i) = self.compiled.filters.iter().position(|f| f.name == name) else {
            return false;
        };
        let k = &mut self.counters;
        k.terms[i].iter_mut().for_each(|c| *c = Count::default());
        k.implicit[i] = Count::default();
        k.named[i].iter_mut().for_each(|c| *c = Count::default());
        true
    }

    /// `clear interfaces statistics`.
    pub fn clear_interfaces(&mut self) {
        self.counters
            .units
            .iter_mut()
            .for_each(|c| *c = LiveUnit::default());
    }

    /// Processes a packet that arrived on `unit`. The buffer is changed in place when forwarded.
    #[inline]
    pub fn process(&mut self, unit: u16, buf: &mut [u8]) -> Output {
        self.counters.process(&self.compiled, unit, buf)
    }

    /// Counts a packet the router sends itself (a reply) on its unit.
    pub fn count_tx(&mut self, unit: u16, len: usize) {
        self.counters.tx(unit, len);
    }

    /// Counts a packet that could not leave `unit`: no port bound, or the port refused it.
    pub fn count_not_sent(&mut self, unit: u16, d: Drop) {
        self.counters.drop(unit, d);
    }
}

/// A data plane on a configuration given as `set` lines (indented as in test sources).
#[cfg(test)]
pub(crate) fn plane_of(lines: &str) -> Dataplane {
    let text: String = lines.lines().map(|l| format!("{}\n", l.trim())).collect();
    let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree)
        .map_err(|e| flowsh_grammar::check::render_errors(&e))
        .unwrap();
    Dataplane::new(Arc::new(Compiled::build(&cfg)))
}

#[cfg(test)]
mod tests;
