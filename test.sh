#!/usr/bin/env bash
# Every test of flowsh, from a fresh machine: installs what the tests need, then checks formatting
# and lints, and runs the whole test suite in release mode (one shared target directory).
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TERM_COLOR=never
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --release --locked -- -D warnings
cargo test --workspace --release --locked
