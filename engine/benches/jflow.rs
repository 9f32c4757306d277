//! J-Flow on the packet path: parse + route + sampling 1:1 + flow-table update, 64-byte
//! packets, one core, with 1,000, 100,000 and 1,000,000 active flows. Targets (issue: J-Flow):
//! 20, 10 and 4 million packets per second; at most 100 bytes per flow with a million held.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flowsh_engine::build::Spec;
use flowsh_engine::dataplane::{Compiled, Dataplane, Output};

/// Packets in one measured batch (the flows are visited round-robin across batches).
const BATCH: usize = 4096;

fn dataplane() -> Dataplane {
    let text = "set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/8
        set interfaces ge-0/0/0 unit 0 family inet sampling input
        set interfaces ge-0/0/1 unit 0 family inet address 192.168.1.1/24
        set routing-options static route 172.16.0.0/12 next-hop 192.168.1.254
        set forwarding-options sampling input rate 1
        set forwarding-options sampling input max-packets-per-second 0
        set forwarding-options sampling family inet output flow-inactive-timeout 1800
        set chassis fpc 0 inline-services flow-table-size ipv4-flow-table-size 4";
    let text: String = text.lines().map(|l| format!("{}\n", l.trim())).collect();
    let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap();
    Dataplane::new(Arc::new(Compiled::build(&cfg)))
}

/// 64-byte UDP packets of `flows` different flows (source address and port vary), back to
/// back in memory on huge pages, as a receive ring holds them: fetching the next packet costs
/// the harness no TLB miss, so the figures are the table's.
fn packets(flows: usize) -> memmap2::MmapMut {
    let mut ring = memmap2::MmapMut::map_anon(flows * 64).unwrap();
    let _ = ring.advise(memmap2::Advice::HugePage);
    for (i, slot) in ring.chunks_exact_mut(64).enumerate() {
        let src = std::net::Ipv4Addr::from(0x0a00_0000 + (i as u32 >> 8) + 2);
        let dst = std::net::Ipv4Addr::new(172, 16, 0, 1);
        let p = Spec::udp(src.into(), dst.into(), 1024 + (i % 256) as u16, 53)
            .payload(36)
            .build();
        slot.copy_from_slice(&p);
    }
    ring
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("jflow_64B");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    for flows in [1_000usize, 100_000, 1_000_000] {
        let ring = packets(flows);
        let originals: Vec<&[u8]> = ring.chunks_exact(64).collect();
        let mut dp = dataplane();
        let mut buf = vec![0u8; 64];
        // Fill the table: every flow exists before measuring.
        for p in &originals {
            buf.copy_from_slice(p);
            dp.process(0, &mut buf);
        }
        let held: u64 = dp.jflow().stats().iter().map(|s| s.v4_flows).sum();
        assert_eq!(held, flows as u64);
        let memory: u64 = dp.jflow().stats().iter().map(|s| s.memory_bytes).sum();
        println!(
            "{flows} flows held: {} bytes per flow",
            memory / flows as u64
        );
        let mut next = 0;
        g.bench_function(format!("{flows}_flows"), |b| {
            b.iter(|| {
                let mut forwarded = 0;
                for _ in 0..BATCH {
                    buf.copy_from_slice(originals[next]);
                    next = (next + 1) % flows;
                    if let Output::Forward { .. } = dp.process(0, &mut buf) {
                        forwarded += 1;
                    }
                }
                assert_eq!(forwarded, BATCH);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
