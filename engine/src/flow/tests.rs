use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

const SECOND: u64 = 1000;

fn limits(active_s: u64, inactive_s: u64, capacity: usize) -> Limits {
    Limits {
        active_ms: active_s * SECOND,
        inactive_ms: inactive_s * SECOND,
        capacity,
    }
}

fn key(n: u32) -> Key<u32> {
    Key::new(0x0a00_0001, 0x0a00_0100 + n, 1000, 53, 17, 0, 0)
}

fn tcp_key(n: u32) -> Key<u32> {
    Key::new(0x0a00_0001, 0x0a00_0100 + n, 1000, 53, 6, 0, 0)
}

/// A table and everything it exported.
struct Run {
    t: FlowTable<u32>,
    out: Vec<FlowRecord<u32>>,
}

impl Run {
    fn new(l: Limits) -> Run {
        Run {
            t: FlowTable::new(l, 0),
            out: Vec::new(),
        }
    }
    /// One packet, applied at once.
    fn packet(&mut self, k: Key<u32>, bytes: u64, flags: u8, now: u64) {
        self.ahead(k, bytes, flags, now);
        let out = &mut self.out;
        self.t.settle(&mut |r| out.push(r));
    }
    /// One packet, applied when the table next needs it.
    fn ahead(&mut self, k: Key<u32>, bytes: u64, flags: u8, now: u64) {
        let out = &mut self.out;
        self.t.meter(k, bytes, flags, 1, now, &mut |r| out.push(r));
    }
    fn expire(&mut self, now: u64) -> Vec<FlowRecord<u32>> {
        let mut got = Vec::new();
        self.t.expire(now, &mut |r| got.push(r));
        self.out.extend(got.iter().copied());
        got
    }
}

#[test]
fn packets_bytes_times_and_tcp_flags_accumulate() {
    let mut r = Run::new(limits(1800, 60, 100));
    let k = tcp_key(1);
    r.packet(k, 60, 0x02, 1_000);
    r.packet(k, 1500, 0x10, 1_250);
    r.packet(k, 40, 0x18, 2_000);
    assert_eq!(r.t.len(), 1);
    let f = r.t.flows().next().unwrap();
    assert_eq!(
        (f.packets, f.bytes, f.first, f.last),
        (3, 1600, 1_000, 2_000)
    );
    assert_eq!(f.tcp_flags, 0x1a);
    assert_eq!(r.t.stats.packets, 3);
    assert_eq!(r.t.stats.created, 1);
}

#[test]
fn an_idle_flow_expires_at_its_inactive_timeout_to_the_millisecond() {
    let mut r = Run::new(limits(1800, 15, 100));
    r.packet(key(1), 100, 0, 1_000);
    r.packet(key(1), 100, 0, 3_333);
    assert!(r.expire(18_332).is_empty(), "one millisecond early");
    assert_eq!(r.t.len(), 1);
    let got = r.expire(18_333);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].reason, EndReason::Idle);
    assert_eq!(
        (got[0].packets, got[0].first, got[0].last),
        (2, 1_000, 3_333)
    );
    assert!(r.t.is_empty());
    assert_eq!(r.t.stats.inactive_timeouts, 1);
}

#[test]
fn an_active_flow_is_exported_at_its_active_timeout_and_keeps_its_start_time() {
    let mut r = Run::new(limits(60, 15, 100));
    // One packet a second from t=0.5 s.
    for s in 0..150u64 {
        let now = 500 + s * SECOND;
        r.expire(now);
        r.packet(key(1), 10, 0, now);
    }
    let active: Vec<_> = r
        .out
        .iter()
        .filter(|f| f.reason == EndReason::Active)
        .collect();
    assert_eq!(active.len(), 2);
    // The first interval runs from 0.5 s to 60.5 s: the packet at 60.5 s is metered after the
    // export at that instant, so 60 packets are in the first record.
    assert_eq!(
        (active[0].packets, active[0].first, active[0].last),
        (60, 500, 59_500)
    );
    assert_eq!((active[1].packets, active[1].first), (60, 500));
    assert_eq!(active[1].last, 119_500);
    r.expire(149_500 + 15 * SECOND);
    let last = r.out.last().unwrap();
    assert_eq!(last.reason, EndReason::Idle);
    assert_eq!((last.packets, last.bytes, last.first), (30, 300, 500));
    let total: u64 = r.out.iter().map(|f| f.packets).sum();
    assert_eq!(total, 150, "every packet in exactly one record");
}

#[test]
fn fin_or_rst_ends_the_flow_at_once() {
    let mut r = Run::new(limits(1800, 60, 100));
    let k = tcp_key(1);
    r.packet(k, 60, 0x02, 0);
    r.packet(k, 60, 0x11, 10);
    assert_eq!(r.out.len(), 1);
    assert_eq!(r.out[0].reason, EndReason::EndOfFlow);
    assert_eq!((r.out[0].packets, r.out[0].tcp_flags), (2, 0x13));
    r.packet(k, 60, 0x04, 20);
    assert_eq!(
        r.out.len(),
        2,
        "a lone RST is a flow of its own, ended at once"
    );
    assert!(r.t.is_empty());
    assert_eq!(r.t.stats.ended, 2);
    // The ended flows' wheel tickets are stale: a new flow in the reused slot keeps its own
    // deadline.
    r.packet(key(9), 1, 0, 30_000);
    assert!(r.expire(61_000).is_empty());
    assert_eq!(r.expire(90_000).len(), 1);
}

#[test]
fn a_full_table_exports_early_and_never_grows() {
    let mut r = Run::new(limits(1800, 60, 4));
    for n in 0..4 {
        r.packet(key(n), 100, 0, u64::from(n));
    }
    assert!(r.out.is_empty());
    r.packet(key(4), 100, 0, 10);
    assert_eq!(r.t.len(), 4);
    assert_eq!(r.out.len(), 1);
    assert_eq!(r.out[0].reason, EndReason::LackOfResources);
    assert_eq!(r.t.stats.overload_exports, 1);
    for n in 5..1000 {
        r.packet(key(n), 100, 0, 20);
    }
    assert_eq!(r.t.len(), 4);
    assert_eq!(r.t.stats.overload_exports, 996);
    assert_eq!(r.out.len(), 996);
    assert!(
        r.t.memory_bytes() < 2 * 1024 * 1024,
        "{}",
        r.t.memory_bytes()
    );
}

#[test]
fn a_jump_past_the_wheel_expires_everything_due() {
    let mut r = Run::new(limits(1800, 1800, 10_000));
    for n in 0..5000 {
        r.packet(key(n), 1, 0, u64::from(n));
    }
    assert!(r.expire(1_799_999).is_empty());
    assert_eq!(r.expire(1_800_000 + 2_500).len(), 2501);
    assert_eq!(r.expire(10_000_000).len(), 2499);
    assert!(r.t.is_empty());
}

#[test]
fn flush_exports_every_flow_as_forced() {
    let mut r = Run::new(limits(1800, 60, 100));
    for n in 0..10 {
        r.packet(key(n), 1, 0, 0);
    }
    let mut got = Vec::new();
    r.t.flush(&mut |f| got.push(f));
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|f| f.reason == EndReason::Forced));
    assert!(r.t.is_empty());
    assert!(
        r.expire(1_000_000).is_empty(),
        "no ticket outlives the flush"
    );
}

#[test]
fn an_ipv4_flow_costs_under_100_bytes_with_a_million_held() {
    assert_eq!(FlowTable::<u32>::ENTRY_BYTES, 64);
    let mut t: FlowTable<u32> = FlowTable::new(limits(1800, 1800, 1 << 20), 0);
    let mut none = |_| unreachable!("nothing expires");
    for n in 0..1_000_000u32 {
        let k = Key::new(n, 0x0a00_0100, 1000, 53, 17, 0, 0);
        t.meter(k, 64, 0, 1, u64::from(n / 1000), &mut none);
    }
    t.settle(&mut none);
    assert_eq!(t.len(), 1_000_000);
    let per_flow = t.memory_bytes() / 1_000_000;
    assert!(per_flow <= 100, "{per_flow} bytes per flow");
}

/// A flow of the model: packets, bytes, first, last, active since, flags.
type ModelFlow = (u64, u64, u64, u64, u64, u8);
/// An exported record as the model sees it.
type Exported = (Key<u32>, u64, u64, u8, EndReason);

/// The specification: every flow checked at every expiry.
#[derive(Default)]
struct Model {
    flows: HashMap<Key<u32>, ModelFlow>,
}

impl Model {
    fn packet(&mut self, k: Key<u32>, bytes: u64, flags: u8, now: u64, out: &mut Vec<Exported>) {
        let f = self.flows.entry(k).or_insert((0, 0, now, now, now, 0));
        f.0 += 1;
        f.1 += bytes;
        f.3 = now;
        f.5 |= flags;
        if flags & 0x05 != 0 {
            out.push((k, f.0, f.1, f.5, EndReason::EndOfFlow));
            self.flows.remove(&k);
        }
    }
    fn expire(&mut self, now: u64, l: Limits, out: &mut Vec<Exported>) {
        let mut gone = Vec::new();
        for (k, f) in self.flows.iter_mut() {
            let idle = f.3 + l.inactive_ms;
            let active = f.4 + l.active_ms;
            if idle.min(active) > now {
                continue;
            }
            if idle <= now {
                if f.0 > 0 {
                    out.push((*k, f.0, f.1, f.5, EndReason::Idle));
                }
                gone.push(*k);
            } else {
                if f.0 > 0 {
                    out.push((*k, f.0, f.1, f.5, EndReason::Active));
                }
                *f = (0, 0, f.2, f.3, now, 0);
            }
        }
        for k in gone {
            self.flows.remove(&k);
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Packet { flow: u32, bytes: u64, flags: u8 },
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..20u32, 1..1500u64, prop_oneof![8 => Just(0u8), 1 => Just(0x01u8), 1 => Just(0x04u8), 2 => Just(0x12u8)])
            .prop_map(|(flow, bytes, flags)| Step::Packet { flow, bytes, flags }),
        2 => (0..20_000u64).prop_map(Step::Wait),
        1 => (0..200_000u64).prop_map(Step::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn the_wheel_exports_what_checking_every_flow_exports(
        steps in proptest::collection::vec(step(), 1..300),
        active_s in 60..120u64,
        inactive_s in 15..90u64,
    ) {
        let l = limits(active_s, inactive_s, 1000);
        let mut r = Run::new(l);
        let mut m = Model::default();
        let mut want = Vec::new();
        let mut now = 0;
        for s in steps {
            match s {
                Step::Packet { flow, bytes, flags } => {
                    let k = tcp_key(flow);
                    r.packet(k, bytes, flags, now);
                    m.packet(k, bytes, flags, now, &mut want);
                }
                Step::Wait(ms) => {
                    now += ms;
                    r.expire(now);
                    m.expire(now, l, &mut want);
                }
            }
            let mut got: Vec<_> = r.out.iter().map(|f| (f.key, f.packets, f.bytes, f.tcp_flags, f.reason)).collect();
            let mut w = want.clone();
            got.sort_by_key(|x| (x.0.dst, x.1, x.2, x.4 as u8));
            w.sort_by_key(|x| (x.0.dst, x.1, x.2, x.4 as u8));
            prop_assert_eq!(got, w);
            prop_assert_eq!(r.t.len(), m.flows.len());
        }
    }
}

#[test]
fn a_packet_after_a_missed_sweep_starts_a_new_flow_or_interval() {
    let mut r = Run::new(limits(60, 15, 100));
    r.packet(key(1), 10, 0, 0);
    r.packet(key(1), 10, 0, 15_000);
    assert_eq!(r.out.len(), 1, "idle since 0: ended before the new packet");
    assert_eq!((r.out[0].reason, r.out[0].packets), (EndReason::Idle, 1));
    for s in 1..=60u64 {
        r.packet(key(1), 10, 0, 15_000 + s * 1000);
    }
    assert_eq!(r.out.len(), 2);
    assert_eq!((r.out[1].reason, r.out[1].packets), (EndReason::Active, 60));
    assert_eq!(r.t.flows().next().unwrap().packets, 1);
}

#[test]
fn a_full_table_pushes_out_the_idle_flow_not_the_busy_one() {
    let mut r = Run::new(limits(1800, 60, 2));
    r.packet(key(1), 10, 0, 0);
    r.packet(key(2), 10, 0, 1_000);
    for s in 1..50 {
        r.packet(key(1), 10, 0, s * 1000);
    }
    r.packet(key(3), 10, 0, 50_000);
    assert_eq!(r.out.len(), 1);
    assert_eq!(
        r.out[0].key,
        key(2),
        "B went idle at 1 s: it goes, not the busy A"
    );
    assert_eq!(r.out[0].reason, EndReason::LackOfResources);
}

#[test]
fn shorter_timeouts_apply_to_the_flows_already_held() {
    let mut r = Run::new(limits(1800, 1800, 100));
    r.packet(key(1), 10, 0, 1_000);
    let mut got = Vec::new();
    r.t.set_limits(limits(1800, 15, 100), 2_000, &mut |f| got.push(f));
    assert!(got.is_empty());
    assert!(r.expire(15_999).is_empty());
    assert_eq!(r.expire(16_000).len(), 1, "idle since 1 s, 15 s timeout");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Metering ahead (packets applied up to `AHEAD` late, then at expiry) exports the same
    /// records in the same order and holds the same flows as applying each packet at once,
    /// also when the table is full.
    #[test]
    fn packets_applied_late_end_as_packets_applied_at_once(
        steps in proptest::collection::vec(step(), 1..300),
        capacity in 4..40usize,
    ) {
        let l = limits(90, 30, capacity);
        let mut late_run = Run::new(l);
        late_run.t = FlowTable::new(l, 0).always_ahead();
        let mut now_run = Run::new(l);
        let mut now = 0;
        for s in steps {
            match s {
                Step::Packet { flow, bytes, flags } => {
                    now_run.packet(tcp_key(flow), bytes, flags, now);
                    late_run.ahead(tcp_key(flow), bytes, flags, now);
                }
                Step::Wait(ms) => {
                    now += ms;
                    now_run.expire(now);
                    late_run.expire(now);
                    prop_assert_eq!(&now_run.out, &late_run.out);
                }
            }
        }
        late_run.t.settle(&mut |r| late_run.out.push(r));
        prop_assert_eq!(&now_run.out, &late_run.out);
        prop_assert_eq!(now_run.t.stats, late_run.t.stats);
        let flows = |r: &Run| {
            let mut f: Vec<_> = r.t.flows().collect();
            f.sort_by_key(|f| (f.key.dst, f.first));
            f
        };
        prop_assert_eq!(flows(&now_run), flows(&late_run));
    }
}

#[test]
fn flows_from_consecutive_addresses_spread_over_the_index() {
    // The generator's flows: one source address after another, all else the same.
    for (flows, most) in [(1000u32, 1.6), (896, 4.5), (10_000, 1.9)] {
        let mut r = Run::new(limits(1800, 60, 1 << 20));
        for n in 0..flows {
            r.packet(
                Key::new(0x0a00_0001 + n, 0xac10_0001, 1024, 5001, 17, 0, 0),
                64,
                0,
                0,
            );
        }
        let probes = r.t.mean_probes();
        assert!(
            probes <= most,
            "{flows} flows: {probes:.2} slots read a lookup"
        );
    }
}
