#!/usr/bin/env bash
# Every test of flowsh, from a fresh machine: installs what the tests need, then checks formatting
# and lints, and runs the whole test suite in release mode (one shared target directory).
set -euo pipefail
cd "$(dirname "$0")"

# Tools the end-to-end tests drive, installed when missing (CI runs as root on a fresh machine).
need=()
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/bin/python3 ] || need+=(python3)
# The export tests' oracles: decoders no one here wrote.
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v nfcapd >/dev/null 2>&1 || need+=(nfdump)
if ((${#need[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

export CARGO_TERM_COLOR=never
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --release --locked -- -D warnings
cargo test --workspace --release --locked
