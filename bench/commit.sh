#!/usr/bin/env bash
# Commit times on a 100,000-line configuration (grammar/src/synth.rs): the configuration is
# committed once, then each run starts flowsh on it (load, check, engine build) and either stops
# or makes a one-line change and commits it. The difference is the one-line commit: check,
# write (fsync'd), and the engine's new compiled state. Shortest of RUNS each.
#
#   bench/commit.sh            # LINES=100000 RUNS=5
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${LINES:-100000}"
RUNS="${RUNS:-5}"
WORK="${BENCH_DIR:-/tmp/flowsh-bench}/commit"
rm -rf "$WORK" && mkdir -p "$WORK"

cargo build --release -q -p flowsh -p flowsh-grammar --example synth
TARGET="${CARGO_TARGET_DIR:-target}/release"
"$TARGET/examples/synth" "$LINES" >"$WORK/big.conf"
FLOWSH="$TARGET/flowsh"
ms() { echo $(($(date +%s%N) / 1000000)); }

t0=$(ms)
"$FLOWSH" --state-dir "$WORK/state" --config "$WORK/big.conf" -c 'show system commit' >/dev/null
first=$(($(ms) - t0))

# The shortest run of each kind, and their difference: the difference of each pair (the
# previous method) takes the noise of both runs, and its minimum over a noisy series fell below
# zero.
start_only=""
with_commit=""
for i in $(seq "$RUNS"); do
    t0=$(ms)
    "$FLOWSH" --state-dir "$WORK/state" -c "configure; set system host-name r$i" >/dev/null
    t1=$(ms)
    "$FLOWSH" --state-dir "$WORK/state" -c "configure; set system host-name r$i; commit" |
        grep -q "commit complete"
    t2=$(ms)
    [ -z "$start_only" ] || [ $((t1 - t0)) -lt "$start_only" ] && start_only=$((t1 - t0))
    [ -z "$with_commit" ] || [ $((t2 - t1)) -lt "$with_commit" ] && with_commit=$((t2 - t1))
done
echo "$(wc -l <"$WORK/big.conf") lines"
echo "first commit (flowsh --config, whole process):  $first ms"
echo "start on the committed configuration:            $start_only ms"
echo "start, then a one-line commit:                   $with_commit ms"
echo "one-line commit on top of it:                    $((with_commit - start_only)) ms"
