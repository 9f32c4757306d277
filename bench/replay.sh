#!/usr/bin/env bash
# flowsh replay alone (no export), 1 and 2 workers, on generated captures: mean, median and
# shortest wall time over RUNS runs (hyperfine, after warm-up runs that also bring the capture
# into the page cache), packets per second, and how much faster 2 workers are than 1. This
# machine's noise comes in phases (a series' mean can move by a fifth); the median is not moved
# by a few slow runs, the shortest run moves least.
#
#   bench/replay.sh                                  # 1,000, 100,000, 1,000,000 flows
#   FLOWS="1000" PACKETS=4000000 RUNS=20 bench/replay.sh
#
# Captures are cached in $BENCH_DIR (default /tmp/flowsh-bench), shared with bench/peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

FLOWS="${FLOWS:-1000 100000 1000000}"
PACKETS="${PACKETS:-4000000}"
RUNS="${RUNS:-15}"
. bench/common.sh
need hyperfine hyperfine
build_flowsh

printf '%-9s %-8s %-16s %-6s %-8s %-6s %-7s %-6s %s\n' flows workers "wall (mean ± σ)" Mpps median \
    Mpps min Mpps "x 1 worker (means, medians, mins)"
for flows in $FLOWS; do
    cap="$WORK/g$flows-$PACKETS.pcap"
    [ -s "$cap" ] || "$FLOWSH" generate --out "$cap" --flows "$flows" --packets "$PACKETS" >/dev/null
    csv="$WORK/replay-$flows.csv"
    hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-csv "$csv" \
        "$FLOWSH --workers 1 replay --config examples/jflow-bench.conf --pcap ge-0/0/0=$cap" \
        "$FLOWSH --workers 2 replay --config examples/jflow-bench.conf --pcap ge-0/0/0=$cap" \
        >/dev/null 2>"$WORK/replay-$flows.log"
    # csv: command,mean,stddev,median,user,system,min,max (seconds)
    awk -F, -v flows="$flows" -v packets="$PACKETS" 'NR > 1 {
        w = NR - 1; mean[w] = $2; median[w] = $4; min[w] = $7
        printf "%-9s %-8s %-16s %-6.1f %-8s %-6.1f %-7s %-6.1f %s\n", flows, w,
            sprintf("%.3f ± %.3f s", $2, $3), packets / $2 / 1e6,
            sprintf("%.3f s", $4), packets / $4 / 1e6,
            sprintf("%.3f s", $7), packets / $7 / 1e6,
            (w == 1 ? "" : sprintf("%.2fx, %.2fx, %.2fx", mean[1] / $2, median[1] / $4, min[1] / $7))
    }' "$csv"
done
