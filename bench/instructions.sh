#!/usr/bin/env bash
# Instructions per packet of flowsh replay, counted by valgrind (callgrind): the same figure on
# every run, where this virtual machine's wall times move by a fifth from one series to the
# next. For 1 worker, the count per packet and the functions it is spent in (code inlined into
# a function counts as that function's); for 2 workers, what the second reader adds per packet
# (every worker reads every record and steers it), and the ratio of the counts (not a bound on
# the wall-time ratio: the records read for the other worker are cheaper instructions than the
# packet path's).
#
#   bench/instructions.sh                          # 1,000 and 100,000 flows, 400,000 packets
#   FLOWS="1000" PACKETS=1000000 bench/instructions.sh
#
# Captures are cached in $BENCH_DIR (default /tmp/flowsh-bench), shared with the other scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

FLOWS="${FLOWS:-1000 100000}"
PACKETS="${PACKETS:-400000}"
. bench/common.sh
need valgrind valgrind
build_flowsh

# Instructions of one replay of CAPTURE with WORKERS workers; the profile is left in OUT.
count() {
    local workers=$1 capture=$2 out=$3
    valgrind --tool=callgrind --callgrind-out-file="$out" "$FLOWSH" --workers "$workers" replay \
        --config examples/jflow-bench.conf --pcap "ge-0/0/0=$capture" 2>&1 >/dev/null |
        awk '/Collected :/ { print $NF }'
}

# Start-up, configuration and the end of a replay, counted once on a capture of one packet and
# taken off every figure below.
empty="$WORK/g1-1.pcap"
[ -s "$empty" ] || "$FLOWSH" generate --out "$empty" --flows 1 --packets 1 >/dev/null
base1=$(count 1 "$empty" "$WORK/callgrind-empty-1")
base2=$(count 2 "$empty" "$WORK/callgrind-empty-2")

for flows in $FLOWS; do
    cap="$WORK/g$flows-$PACKETS.pcap"
    [ -s "$cap" ] || "$FLOWSH" generate --out "$cap" --flows "$flows" --packets "$PACKETS" >/dev/null
    one=$(count 1 "$cap" "$WORK/callgrind-$flows-1")
    two=$(count 2 "$cap" "$WORK/callgrind-$flows-2")
    awk -v flows="$flows" -v n="$PACKETS" -v one="$one" -v two="$two" -v b1="$base1" -v b2="$base2" 'BEGIN {
        p1 = (one - b1) / n; p2 = (two - b2) / n
        printf "%s flows, %d packets: 1 worker %.0f instructions a packet; 2 workers %.0f (+%.0f: reading and steering the other worker'"'"'s records), a ratio of %.2f\n",
            flows, n, p1, p2, p2 - p1, p1 / (p2 / 2)
    }'
    callgrind_annotate --auto=no --threshold=100 "$WORK/callgrind-$flows-1" 2>/dev/null | perl -ne '
        if (/^\s*([\d,]+) \([^)]*\)\s+\S+?:(\S.*?)(?: \[.*)?$/) {
            my ($n, $f) = ($1, $2); $n =~ s/,//g; $self{$f} += $n
        }
        END {
            for (sort { $self{$b} <=> $self{$a} } keys %self) {
                last if $self{$_} < '"$PACKETS"' * 5;
                printf "  %6.0f  %s\n", $self{$_} / '"$PACKETS"', $_
            }
        }'
done
