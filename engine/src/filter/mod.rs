//! Firewall filters compiled at commit into a bit-vector classifier.
//!
//! Every `from` condition of every term becomes a predicate on one packet field. For each field
//! the compiler precomputes, for every value (a byte table, or sorted intervals of addresses,
//! ports and lengths), the bitset of terms whose condition on that field holds (terms without a
//! condition there always hold). A packet is classified by one lookup per field and an AND of
//! the bitsets, word by word, stopping at the first word with a term left: the first matching
//! term is found without testing terms one after another.

pub mod table;

use flowsh_grammar::model::{
    Actions, AddressFamily, Field, Filter, Match, PrefixMatch, RejectType, Terminating,
};

use crate::packet::PacketView;
use table::{BitTable, IntervalMap};

/// The most conditions a classifier looks at (each kind of `from` condition, a few times).
const MAX_DIMS: usize = 48;

/// One dimension's lookup result: bitset `a`, bitset `b` and how they combine (0: `a` alone,
/// 1: `a | b`, 2: `a & b`) in one word; bitset indexes stay below 2^30.
#[inline]
fn pack(a: u32, b: u32, op: u8) -> u64 {
    u64::from(a) | u64::from(b) << 32 | u64::from(op) << 62
}

#[inline]
fn unpack(p: u64) -> (u32, u32, u8) {
    (p as u32, (p >> 32) as u32 & 0x3fff_ffff, (p >> 62) as u8)
}

/// What a filter decided for a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Discard,
    Reject(RejectType),
    /// No term matched: the filter's implicit `discard`.
    ImplicitDiscard,
}

/// The outcome of a filter: the decision and the non-terminating actions met on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    /// The term that decided (none for the implicit discard).
    pub term: Option<u16>,
    pub sample: bool,
    pub port_mirror: bool,
    /// Index into [`CompiledFilter::mirror_instances`].
    pub port_mirror_instance: Option<u16>,
    pub log: bool,
    pub syslog: bool,
}

impl Verdict {
    pub fn passes(&self) -> bool {
        self.decision == Decision::Accept
    }
}

/// Packet fields a filter reads besides the packet itself.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub packet: &'a PacketView,
    /// Index of the unit the packet came in on (or goes out of), in the engine's unit table.
    pub unit: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    SrcAddr,
    DstAddr,
    EitherAddr,
    Protocol,
    SrcPort,
    DstPort,
    EitherPort,
    EitherPortExcept,
    TcpFlags,
    IcmpType,
    IcmpCode,
    Dscp,
    Precedence,
    FragFlags,
    FragOffset,
    Length,
    Ttl,
    Interface,
}

fn kind(m: &Match) -> Kind {
    match m {
        Match::Address {
            field: Field::Source,
            ..
        } => Kind::SrcAddr,
        Match::Address {
            field: Field::Destination,
            ..
        } => Kind::DstAddr,
        Match::Address {
            field: Field::Either,
            ..
        } => Kind::EitherAddr,
        Match::Protocol { .. } => Kind::Protocol,
        Match::Port {
            field: Field::Source,
            ..
        } => Kind::SrcPort,
        Match::Port {
            field: Field::Destination,
            ..
        } => Kind::DstPort,
        Match::Port {
            field: Field::Either,
            except: false,
            ..
        } => Kind::EitherPort,
        Match::Port {
            field: Field::Either,
            except: true,
            ..
        } => Kind::EitherPortExcept,
        Match::TcpFlags(_) => Kind::TcpFlags,
        Match::IcmpType { .. } => Kind::IcmpType,
        Match::IcmpCode { .. } => Kind::IcmpCode,
        Match::Dscp { .. } => Kind::Dscp,
        Match::Precedence { .. } => Kind::Precedence,
        Match::FragmentFlags(_) => Kind::FragFlags,
        Match::FragmentOffset { .. } => Kind::FragOffset,
        Match::PacketLength { .. } => Kind::Length,
        Match::Ttl { .. } => Kind::Ttl,
        Match::Interface(_) => Kind::Interface,
    }
}

/// A condition kind and its occurrence within a term: one dimension of the classifier.
type DimKey = (Kind, usize);

/// The values a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    /// Ports, lengths, fragment offsets.
    U16,
    V4,
    V6,
}

/// How a field's value finds its interval: a short search for few intervals, a direct table
/// for many.
#[derive(Debug, Clone)]
enum Map {
    Narrow(IntervalMap<u32>),
    Wide(IntervalMap<u128>),
    Direct16(table::Direct16),
    Dir(table::Dir16x8x8),
}

impl Map {
    fn build(domain: Domain, cuts: Vec<u128>, set_at: impl FnMut(u128) -> u32) -> Map {
        if domain == Domain::V6 {
            return Map::Wide(IntervalMap::build(cuts, set_at));
        }
        let m: IntervalMap<u32> = IntervalMap::build(cuts, set_at);
        match domain {
            _ if m.len() <= table::DIRECT_ABOVE => Map::Narrow(m),
            Domain::U16 => Map::Direct16(table::Direct16::build(&m)),
            _ => Map::Dir(table::Dir16x8x8::build(&m)),
        }
    }

    #[inline(always)]
    fn lookup(&self, v: u128) -> u32 {
        match self {
            // Narrow maps only see values of their domain (IPv4 addresses, ports, lengths).
            Map::Narrow(m) => m.lookup(v as u32),
            Map::Wide(m) => m.lookup(v),
            Map::Direct16(t) => t.lookup(v as u16),
            Map::Dir(t) => t.lookup(v as u32),
        }
    }
}

/// How a dimension turns a packet into a bitset.
#[derive(Debug, Clone)]
enum Lookup {
    /// A byte of the packet; `absent` when the packet has no such field.
    Byte {
        table: Box<[u32; 256]>,
        absent: u32,
    },
    Interval {
        map: Map,
        absent: u32,
    },
    /// Source and destination looked up in one map; bitsets OR-ed (`address`, `port`) or
    /// AND-ed (`port-except`: neither port may be listed).
    Pair {
        map: Map,
        absent: u32,
        and: bool,
    },
    Unit {
        table: Vec<u32>,
        other: u32,
    },
}

#[derive(Debug, Clone)]
struct Dim {
    kind: Kind,
    lookup: Lookup,
}

/// One compiled term: its actions in the form the packet path reads.
#[derive(Debug, Clone)]
pub struct CompiledTerm {
    pub name: String,
    pub actions: Actions,
    /// `next term`: evaluation goes on after this term.
    next_term: bool,
    /// `then count NAME`: index into [`CompiledFilter::counters`].
    pub counter: Option<u16>,
    /// What this term decides when it ends the filter, with its own non-terminating actions.
    verdict: Verdict,
}

/// No term matched.
const IMPLICIT: Verdict = Verdict {
    decision: Decision::ImplicitDiscard,
    term: None,
    sample: false,
    port_mirror: false,
    port_mirror_instance: None,
    log: false,
    syslog: false,
};

/// A filter ready for the packet path.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub name: String,
    pub family: AddressFamily,
    pub terms: Vec<CompiledTerm>,
    /// `port-mirror-instance` names, indexed by [`Verdict::port_mirror_instance`].
    pub mirror_instances: Vec<String>,
    /// `count` names, indexed by [`CompiledTerm::counter`].
    pub counters: Vec<String>,
    table: BitTable,
    dims: Vec<Dim>,
    /// Every word of the bitsets (bit w for word w).
    all_words: u64,
    /// Whether any term has `next term` (evaluation may go past a matching term).
    chains: bool,
}

fn in_ranges<T: PartialOrd + Copy>(ranges: &[(T, T)], v: T) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= v && v <= hi)
}

/// Longest-prefix rule of address lists: the most specific listed prefix holding `v` decides;
/// `except` on it means no match.
fn prefix_match(prefixes: &[PrefixMatch], v: u128, family: AddressFamily) -> bool {
    let mut best: Option<(u8, bool)> = None;
    for p in prefixes {
        let (start, len) = prefix_bounds(p, family);
        let mask = if len == 0 {
            0
        } else {
            u128::MAX << (bits(family) - len) & full(family)
        };
        if v & mask == start && best.is_none_or(|(l, _)| len >= l) {
            best = Some((len, p.except));
        }
    }
    best.is_some_and(|(_, except)| !except)
}

fn bits(family: AddressFamily) -> u8 {
    match family {
        AddressFamily::Inet => 32,
        AddressFamily::Inet6 => 128,
    }
}

fn full(family: AddressFamily) -> u128 {
    match family {
        AddressFamily::Inet => u128::from(u32::MAX),
        AddressFamily::Inet6 => u128::MAX,
    }
}

/// First address and prefix length of a prefix, as a number of the filter's family.
fn prefix_bounds(p: &PrefixMatch, family: AddressFamily) -> (u128, u8) {
    match (p.prefix, family) {
        (ipnet::IpNet::V4(n), AddressFamily::Inet) => {
            (u128::from(u32::from(n.network())), n.prefix_len())
        }
        (ipnet::IpNet::V6(n), AddressFamily::Inet6) => (u128::from(n.network()), n.prefix_len()),
        // A prefix of the other family never matches: an empty range above every address.
        _ => (u128::MAX, bits(family)),
    }
}

/// Where intervals of an address condition begin and end.
fn prefix_cuts(prefixes: &[PrefixMatch], family: AddressFamily, cuts: &mut Vec<u128>) {
    for p in prefixes {
        let (start, len) = prefix_bounds(p, family);
        if start == u128::MAX {
            continue;
        }
        cuts.push(start);
        let size_bits = u32::from(bits(family) - len);
        let end = start.checked_add(1u128.checked_shl(size_bits).unwrap_or(0).wrapping_sub(1));
        if let Some(e) = end.and_then(|e| e.checked_add(1))
            && e <= full(family)
        {
            cuts.push(e);
        }
    }
}

fn range_cuts<T: Copy + Into<u128>>(ranges: &[(T, T)], cuts: &mut Vec<u128>) {
    for &(lo, hi) in ranges {
        cuts.push(lo.into());
        cuts.push(hi.into() + 1);
    }
}

/// Whether term condition `m` holds for field value `v` (`None`: the packet lacks the field).
fn holds(m: &Match, v: Option<u128>, family: AddressFamily) -> bool {
    let Some(v) = v else {
        // Without the field, only `-except` conditions hold (there is nothing to exclude).
        return matches!(
            m,
            Match::Port { except: true, .. }
                | Match::IcmpType { except: true, .. }
                | Match::IcmpCode { except: true, .. }
        );
    };
    match m {
        Match::Address { prefixes, .. } => prefix_match(prefixes, v, family),
        Match::Protocol { values, except }
        | Match::IcmpType { values, except }
        | Match::IcmpCode { values, except }
        | Match::Dscp { values, except }
        | Match::Precedence { values, except } => values.contains(&(v as u8)) != *except,
        Match::Port { ranges, except, .. }
        | Match::FragmentOffset { ranges, except }
        | Match::PacketLength { ranges, except } => in_ranges(ranges, v as u16) != *except,
        Match::Ttl { ranges, except } => in_ranges(ranges, v as u8) != *except,
        Match::TcpFlags(e) | Match::FragmentFlags(e) => e.eval(v as u8),
        Match::Interface(_) => true,
    }
}

fn unit_matches(names: &[String], unit: &str) -> bool {
    names.iter().any(|n| {
        n == unit
            || unit
                .strip_prefix(n.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

impl CompiledFilter {
    /// Compiles a filter. `units` names the engine's units by index (`ge-0/0/0.0`).
    pub fn compile(filter: &Filter, units: &[String]) -> CompiledFilter {
        let n = filter.terms.len();
        let family = filter.family;
        // Conditions grouped by (kind, occurrence in the term): each group is one dimension.
        let mut groups: Vec<(DimKey, Vec<(usize, &Match)>)> = Vec::new();
        for (t, term) in filter.terms.iter().enumerate() {
            let mut seen: Vec<Kind> = Vec::new();
            for m in &term.matches {
                let k = kind(m);
                let occurrence = seen.iter().filter(|&&s| s == k).count();
                seen.push(k);
                match groups.iter_mut().find(|(key, _)| *key == (k, occurrence)) {
                    Some((_, list)) => list.push((t, m)),
                    None => groups.push(((k, occurrence), vec![(t, m)])),
                }
            }
        }
        groups.sort_by_key(|(key, _)| *key);
        let mut table = BitTable::new(n);
        let mut dims = Vec::new();
        for ((k, _), conds) in groups {
            let mut per_term: Vec<Option<&Match>> = vec![None; n];
            for (t, m) in &conds {
                per_term[*t] = Some(m);
            }
            let mut set = |v: Option<u128>| {
                table.intern(n, |t| per_term[t].is_none_or(|m| holds(m, v, family)))
            };
            let lookup = match k {
                Kind::SrcAddr | Kind::DstAddr | Kind::EitherAddr => {
                    let mut cuts = Vec::new();
                    for (_, m) in &conds {
                        if let Match::Address { prefixes, .. } = m {
                            prefix_cuts(prefixes, family, &mut cuts);
                        }
                    }
                    let domain = if family == AddressFamily::Inet6 {
                        Domain::V6
                    } else {
                        Domain::V4
                    };
                    let map = Map::build(domain, cuts, |v| set(Some(v)));
                    let absent = set(None);
                    if k == Kind::EitherAddr {
                        Lookup::Pair {
                            map,
                            absent,
                            and: false,
                        }
                    } else {
                        Lookup::Interval { map, absent }
                    }
                }
                Kind::SrcPort
                | Kind::DstPort
                | Kind::EitherPort
                | Kind::EitherPortExcept
                | Kind::FragOffset
                | Kind::Length => {
                    let mut cuts = Vec::new();
                    for (_, m) in &conds {
                        match m {
                            Match::Port { ranges, .. }
                            | Match::FragmentOffset { ranges, .. }
                            | Match::PacketLength { ranges, .. } => range_cuts(ranges, &mut cuts),
                            _ => {}
                        }
                    }
                    let map = Map::build(Domain::U16, cuts, |v| set(Some(v)));
                    let absent = set(None);
                    match k {
                        Kind::EitherPort => Lookup::Pair {
                            map,
                            absent,
                            and: false,
                        },
                        Kind::EitherPortExcept => Lookup::Pair {
                            map,
                            absent,
                            and: true,
                        },
                        _ => Lookup::Interval { map, absent },
                    }
                }
                Kind::Interface => {
                    let table_u: Vec<u32> = units
                        .iter()
                        .map(|u| {
                            table.intern(n, |t| match per_term[t] {
                                Some(Match::Interface(names)) => unit_matches(names, u),
                                _ => true,
                            })
                        })
                        .collect();
                    let other = table.intern(n, |t| per_term[t].is_none());
                    Lookup::Unit {
                        table: table_u,
                        other,
                    }
                }
                _ => {
                    let mut bytes = Box::new([0u32; 256]);
                    for (v, slot) in bytes.iter_mut().enumerate() {
                        *slot = set(Some(v as u128));
                    }
                    let absent = set(None);
                    Lookup::Byte {
                        table: bytes,
                        absent,
                    }
                }
            };
            dims.push(Dim { kind: k, lookup });
        }
        dims.truncate(MAX_DIMS);
        let mut mirror_instances: Vec<String> = Vec::new();
        let mut counters: Vec<String> = Vec::new();
        let terms = filter
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let a = &t.actions;
                let counter =
                    a.count
                        .as_ref()
                        .map(|c| match counters.iter().position(|x| x == c) {
                            Some(i) => i as u16,
                            None => {
                                counters.push(c.clone());
                                (counters.len() - 1) as u16
                            }
                        });
                if let Some(i) = &t.actions.port_mirror_instance
                    && !mirror_instances.contains(i)
                {
                    mirror_instances.push(i.clone());
                }
                let decision = match a.terminating {
                    Some(Terminating::Accept) | None => Decision::Accept,
                    Some(Terminating::Discard) => Decision::Discard,
                    Some(Terminating::Reject(r)) => Decision::Reject(r),
                };
                CompiledTerm {
                    name: t.name.clone(),
                    actions: t.actions.clone(),
                    next_term: a.next_term && a.terminating.is_none(),
                    counter,
                    verdict: Verdict {
                        decision,
                        term: Some(i as u16),
                        sample: a.sample,
                        port_mirror: a.port_mirror,
                        port_mirror_instance: a
                            .port_mirror_instance
                            .as_ref()
                            .and_then(|i| mirror_instances.iter().position(|m| m == i))
                            .map(|p| p as u16),
                        log: a.log,
                        syslog: a.syslog,
                    },
                }
            })
            .collect::<Vec<_>>();
        let words = table.words;
        CompiledFilter {
            name: filter.name.clone(),
            family,
            chains: terms.iter().any(|t| t.next_term),
            terms,
            mirror_instances,
            counters,
            table,
            dims,
            all_words: if words >= 64 {
                u64::MAX
            } else {
                (1 << words) - 1
            },
        }
    }

    /// How many distinct bitsets the classifier holds (its size grows with distinct cases,
    /// not with packets).
    pub fn bitsets(&self) -> usize {
        self.table.len()
    }

    /// Looks every dimension up for a packet: `sets` gets one packed lookup per dimension, and
    /// the result is the words of terms every dimension has a term in (all words past 64).
    #[inline(always)]
    fn dim_sets(&self, f: &Fields<'_>, sets: &mut [u64]) -> u64 {
        let p = f.packet;
        let t = &p.transport;
        let summary = &self.table.summary;
        let mut candidates = self.all_words;
        for (slot, d) in sets.iter_mut().zip(&self.dims) {
            let packed = match &d.lookup {
                Lookup::Byte { table, absent } => {
                    let v = match d.kind {
                        Kind::Protocol => Some(p.protocol),
                        Kind::TcpFlags => t.tcp_flags,
                        Kind::IcmpType => t.icmp.map(|x| x.0),
                        Kind::IcmpCode => t.icmp.map(|x| x.1),
                        Kind::Dscp => Some(p.dscp),
                        Kind::Precedence => Some(p.dscp >> 3),
                        Kind::FragFlags => Some(p.frag_flags),
                        _ => Some(p.ttl),
                    };
                    let s = match v {
                        Some(v) => table[usize::from(v)],
                        None => *absent,
                    };
                    candidates &= summary[s as usize];
                    pack(s, s, 0)
                }
                Lookup::Interval { map, absent } => {
                    let v = match d.kind {
                        Kind::SrcAddr => Some(p.src),
                        Kind::DstAddr => Some(p.dst),
                        Kind::SrcPort => t.src_port.map(u128::from),
                        Kind::DstPort => t.dst_port.map(u128::from),
                        Kind::FragOffset => Some(u128::from(p.frag_offset)),
                        _ => Some(u128::from(p.length)),
                    };
                    let s = match v {
                        Some(v) => map.lookup(v),
                        None => *absent,
                    };
                    candidates &= summary[s as usize];
                    pack(s, s, 0)
                }
                Lookup::Pair { map, absent, and } => {
                    let (a, b) = match d.kind {
                        Kind::EitherAddr => (Some(p.src), Some(p.dst)),
                        _ => (t.src_port.map(u128::from), t.dst_port.map(u128::from)),
                    };
                    match (a, b) {
                        (Some(a), Some(b)) => {
                            let (a, b) = (map.lookup(a), map.lookup(b));
                            let (sa, sb) = (summary[a as usize], summary[b as usize]);
                            if *and {
                                candidates &= sa & sb;
                                pack(a, b, 2)
                            } else {
                                candidates &= sa | sb;
                                pack(a, b, 1)
                            }
                        }
                        _ => {
                            candidates &= summary[*absent as usize];
                            pack(*absent, *absent, 0)
                        }
                    }
                }
                Lookup::Unit { table, other } => {
                    let s = table.get(usize::from(f.unit)).copied().unwrap_or(*other);
                    candidates &= summary[s as usize];
                    pack(s, s, 0)
                }
            };
            *slot = packed;
        }
        candidates
    }

    /// The first term at or after `from` whose every condition holds: only the words every
    /// dimension has a term in (`candidates`, from the summaries) are ANDed.
    #[inline(always)]
    fn first_match(&self, sets: &[u64], mut candidates: u64, from: usize) -> Option<usize> {
        if self.table.words > 64 {
            return self.first_match_long(sets, from);
        }
        candidates &= u64::MAX.checked_shl((from / 64) as u32).unwrap_or(0);
        while candidates != 0 {
            let w = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if let Some(term) = self.match_in_word(sets, w, from) {
                return Some(term);
            }
        }
        None
    }

    /// [`Self::first_match`] for filters beyond 4,096 terms: every word from `from` on.
    #[inline(never)]
    fn first_match_long(&self, sets: &[u64], from: usize) -> Option<usize> {
        (from / 64..self.table.words).find_map(|w| self.match_in_word(sets, w, from))
    }

    /// The first term of word `w`, at or after `from`, that every dimension holds.
    #[inline(always)]
    fn match_in_word(&self, sets: &[u64], w: usize, from: usize) -> Option<usize> {
        let t = &self.table;
        let mut acc = if w == from / 64 {
            u64::MAX << (from % 64)
        } else {
            u64::MAX
        };
        for &p in sets {
            let (a, b, op) = unpack(p);
            let x = t.word(a, w);
            acc &= match op {
                0 => x,
                1 => x | t.word(b, w),
                _ => x & t.word(b, w),
            };
        }
        let term = w * 64 + acc.trailing_zeros() as usize;
        (acc != 0 && term < self.terms.len()).then_some(term)
    }

    /// Runs the filter: `on_term` is called for every term that matched on the way (those with
    /// `next term`, then the deciding one), for its counters.
    pub fn evaluate(&self, f: &Fields<'_>, on_term: impl FnMut(usize)) -> Verdict {
        self.evaluate_in(f, &mut Vec::new(), on_term)
    }

    /// [`Self::evaluate`] with the caller's scratch space for the lookups, so the packet path
    /// neither allocates nor clears a buffer per packet.
    #[inline(always)]
    pub fn evaluate_in(
        &self,
        f: &Fields<'_>,
        scratch: &mut Vec<u64>,
        mut on_term: impl FnMut(usize),
    ) -> Verdict {
        if scratch.len() < self.dims.len() {
            scratch.resize(self.dims.len(), 0);
        }
        let sets = &mut scratch[..self.dims.len()];
        let candidates = self.dim_sets(f, sets);
        let sets = &*sets;
        if !self.chains {
            return match self.first_match(sets, candidates, 0) {
                Some(t) => {
                    on_term(t);
                    self.terms[t].verdict
                }
                None => IMPLICIT,
            };
        }
        let mut v = IMPLICIT;
        let mut from = 0;
        while let Some(t) = self.first_match(sets, candidates, from) {
            on_term(t);
            let term = &self.terms[t].verdict;
            v.sample |= term.sample;
            v.port_mirror |= term.port_mirror;
            v.log |= term.log;
            v.syslog |= term.syslog;
            if term.port_mirror_instance.is_some() {
                v.port_mirror_instance = term.port_mirror_instance;
            }
            if self.terms[t].next_term {
                from = t + 1;
            } else {
                v.term = term.term;
                v.decision = term.decision;
                return v;
            }
        }
        v
    }

    /// The same decision by testing each term in order: the specification the classifier is
    /// checked against.
    pub fn evaluate_linear(
        &self,
        filter: &Filter,
        units: &[String],
        f: &Fields<'_>,
    ) -> (Decision, Option<u16>) {
        let p = f.packet;
        let t = &p.transport;
        let unit = units.get(usize::from(f.unit)).map_or("", String::as_str);
        let mut from = 0;
        while from < filter.terms.len() {
            let found = filter.terms[from..].iter().position(|term| {
                term.matches.iter().all(|m| match kind(m) {
                    Kind::SrcAddr => holds(m, Some(p.src), self.family),
                    Kind::DstAddr => holds(m, Some(p.dst), self.family),
                    Kind::EitherAddr => {
                        holds(m, Some(p.src), self.family) || holds(m, Some(p.dst), self.family)
                    }
                    Kind::SrcPort => holds(m, t.src_port.map(u128::from), self.family),
                    Kind::DstPort => holds(m, t.dst_port.map(u128::from), self.family),
                    Kind::EitherPort => match (t.src_port, t.dst_port) {
                        (Some(s), Some(d)) => {
                            holds(m, Some(s.into()), self.family)
                                || holds(m, Some(d.into()), self.family)
                        }
                        _ => holds(m, None, self.family),
                    },
                    Kind::EitherPortExcept => match (t.src_port, t.dst_port) {
                        (Some(s), Some(d)) => {
                            holds(m, Some(s.into()), self.family)
                                && holds(m, Some(d.into()), self.family)
                        }
                        _ => holds(m, None, self.family),
                    },
                    Kind::Protocol => holds(m, Some(p.protocol.into()), self.family),
                    Kind::TcpFlags => holds(m, t.tcp_flags.map(u128::from), self.family),
                    Kind::IcmpType => holds(m, t.icmp.map(|x| x.0.into()), self.family),
                    Kind::IcmpCode => holds(m, t.icmp.map(|x| x.1.into()), self.family),
                    Kind::Dscp => holds(m, Some(p.dscp.into()), self.family),
                    Kind::Precedence => holds(m, Some((p.dscp >> 3).into()), self.family),
                    Kind::FragFlags => holds(m, Some(p.frag_flags.into()), self.family),
                    Kind::FragOffset => holds(m, Some(p.frag_offset.into()), self.family),
                    Kind::Length => holds(m, Some(p.length.into()), self.family),
                    Kind::Ttl => holds(m, Some(p.ttl.into()), self.family),
                    Kind::Interface => match m {
                        Match::Interface(names) => unit_matches(names, unit),
                        _ => true,
                    },
                })
            });
            let Some(i) = found else { break };
            let at = from + i;
            let a = &filter.terms[at].actions;
            if a.next_term && a.terminating.is_none() {
                from = at + 1;
                continue;
            }
            let d = match a.terminating {
                Some(Terminating::Accept) | None => Decision::Accept,
                Some(Terminating::Discard) => Decision::Discard,
                Some(Terminating::Reject(r)) => Decision::Reject(r),
            };
            return (d, Some(at as u16));
        }
        (Decision::ImplicitDiscard, None)
    }
}

#[cfg(test)]
mod tests;
