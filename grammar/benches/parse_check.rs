//! Parse + commit-check of a generated 100,000-line configuration, in both text forms.
//! Target (issue: the configuration language): under 1 second on a 2-core machine.

use criterion::{Criterion, criterion_group, criterion_main};
use flowsh_grammar::{check, load_text, render, synth};

fn bench(c: &mut Criterion) {
    let set_text = synth::set_config(100_000);
    let tree = load_text(&set_text)
        .expect("synthetic configuration loads")
        .tree;
    let brace_text = render::brace(&tree);
    eprintln!(
        "set form: {} lines; brace form: {} lines",
        set_text.lines().count(),
        brace_text.lines().count()
    );
    let mut g = c.benchmark_group("config_100k_lines");
    g.sample_size(10);
    g.bench_function("set_form_load_and_check", |b| {
        b.iter(|| check(&load_text(&set_text).expect("loads").tree).expect("checks"))
    });
    g.bench_function("brace_form_load_and_check", |b| {
        b.iter(|| check(&load_text(&brace_text).expect("loads").tree).expect("checks"))
    });
    g.bench_function("render_brace", |b| b.iter(|| render::brace(&tree)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
