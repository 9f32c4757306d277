//! Export encoding: records per second turned into datagrams, one core. Target (issue:
//! exporters): at least 5 million records per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flowsh_engine::export::ExportRecord;
use flowsh_engine::export::template::{Dialect, OptionValues};
use flowsh_engine::export::templated::{Layout, Templated};
use flowsh_engine::export::v5;
use flowsh_grammar::model::{Refresh, TemplateKind};

const RECORDS: usize = 10_000;

fn records() -> Vec<ExportRecord> {
    (0..RECORDS as u32)
        .map(|i| ExportRecord {
            src: u128::from(0x0a00_0000 + i),
            dst: u128::from(0xac10_0001u32),
            next_hop: u128::from(0xc0a8_01feu32),
            src_port: 1024 + (i % 60_000) as u16,
            dst_port: 443,
            protocol: 6,
            tcp_flags: 0x1b,
            input: 1,
            output: 2,
            packets: 10,
            bytes: 4000,
            first_ms: 1000,
            last_ms: 9000,
            src_mask: 8,
            dst_mask: 12,
            end_reason: 1,
            ..ExportRecord::default()
        })
        .collect()
}

fn templated(dialect: Dialect) -> Templated {
    let refresh = Refresh {
        packets: 4800,
        seconds: 60,
    };
    Templated::new(&Layout {
        dialect,
        kind: TemplateKind::Ipv4,
        domain: 1,
        data_id: 1024,
        options_id: 1025,
        refresh,
        option_refresh: refresh,
        option_values: OptionValues {
            domain: 1,
            rate: 1,
            active_s: 60,
            idle_s: 15,
        },
    })
}

fn bench(c: &mut Criterion) {
    let records = records();
    let mut g = c.benchmark_group("export_encode");
    g.throughput(Throughput::Elements(RECORDS as u64));
    let mut out = Vec::with_capacity(1500);
    g.bench_function("v5", |b| {
        b.iter(|| {
            let mut v = Vec::with_capacity(v5::MAX_RECORDS);
            let mut sent = 0;
            for chunk in records.chunks(v5::MAX_RECORDS) {
                v.clear();
                v.extend(chunk.iter().flat_map(v5::records_of));
                let header = v5::Header {
                    sys_uptime_ms: 10_000,
                    unix_secs: 1_767_268_800,
                    unix_nsecs: 0,
                    flow_sequence: sent,
                    engine_type: 0,
                    engine_id: 0,
                    sampling_interval: 1,
                };
                v5::encode(&header, &v, &mut out);
                sent += v.len() as u32;
            }
            sent
        })
    });
    for (name, dialect) in [("v9", Dialect::V9), ("ipfix", Dialect::Ipfix)] {
        let mut t = templated(dialect);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut left = &records[..];
                while !left.is_empty() {
                    let n = t.message(left.iter(), left.len(), 10_000, 1_767_268_800_000, &mut out);
                    left = &left[n..];
                }
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
