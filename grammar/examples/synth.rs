//! Prints a generated configuration of N `set` lines (default 100,000): the benchmarks'
//! configuration, for timing commits by hand (`bench/commit.sh`).

fn main() {
    let lines = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    print!("{}", flowsh_grammar::synth::set_config(lines));
}
