//! The per-packet pipeline on in-memory packets: parse + input filter + route lookup + TTL,
//! 64-byte UDP packets, one core. Target (issue: the forwarding engine): at least 20 million
//! packets per second through a 1,000-term filter, and that filter under 2x the empty one.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flowsh_engine::build::{Spec, v4};
use flowsh_engine::dataplane::{Compiled, Dataplane, Output};

const BATCH: usize = 1024;

fn dataplane(terms: usize) -> Dataplane {
    let mut text = String::from(
        "set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24\n\
         set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24\n\
         set routing-options static route 172.16.0.0/12 next-hop 10.0.2.254\n",
    );
    if terms > 0 {
        text.push_str("set interfaces ge-0/0/0 unit 0 family inet filter input big\n");
        for t in 0..terms - 1 {
            text.push_str(&format!(
                "set firewall family inet filter big term t{t} from destination-address 192.{}.{}.0/24\n\
                 set firewall family inet filter big term t{t} from protocol tcp\n\
                 set firewall family inet filter big term t{t} from destination-port {}\n\
                 set firewall family inet filter big term t{t} then discard\n",
                t / 250,
                t % 250,
                1000 + t
            ));
        }
        text.push_str("set firewall family inet filter big term last then accept\n");
    }
    let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap();
    Dataplane::new(Arc::new(Compiled::build(&cfg)))
}

/// 1,024 different 64-byte packets (36 bytes of payload) to addresses behind the static route.
fn packets() -> Vec<Vec<u8>> {
    (0..BATCH)
        .map(|i| {
            let dst = format!("172.16.{}.{}", i / 250, i % 250 + 1);
            Spec::udp(v4("10.0.1.2"), v4(&dst), 1000 + i as u16, 53)
                .payload(36)
                .build()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let originals = packets();
    assert_eq!(originals[0].len(), 64);
    let mut g = c.benchmark_group("pipeline_64B");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, terms) in [
        ("no_filter", 0),
        ("filter_1_term", 1),
        ("filter_10_terms", 10),
        ("filter_1000_terms", 1000),
    ] {
        let mut dp = dataplane(terms);
        let mut bufs = originals.clone();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut forwarded = 0;
                for (buf, orig) in bufs.iter_mut().zip(&originals) {
                    buf.copy_from_slice(orig);
                    if let Output::Forward { .. } = dp.process(0, buf) {
                        forwarded += 1;
                    }
                }
                assert_eq!(forwarded, BATCH);
            })
        });
    }
    g.finish();
    // The classifier alone, on packets parsed beforehand: what the filter costs by itself.
    let mut g = c.benchmark_group("classify_64B");
    g.throughput(Throughput::Elements(BATCH as u64));
    let views: Vec<_> = originals
        .iter()
        .map(|p| flowsh_engine::packet::parse(p).unwrap())
        .collect();
    for (name, terms) in [("filter_1_term", 1), ("filter_1000_terms", 1000)] {
        let dp = dataplane(terms);
        let f = &dp.compiled.filters[0];
        let mut scratch = Vec::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                for v in &views {
                    let r = f.evaluate_in(
                        &flowsh_engine::filter::Fields { packet: v, unit: 0 },
                        &mut scratch,
                        |_| {},
                    );
                    n += r.passes() as usize;
                }
                assert_eq!(n, BATCH);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
