#!/usr/bin/env bash
# flowsh replay against the established open-source flow meters, whole processes on the same
# generated captures: wall time, CPU time (user + system, children included) and peak resident
# memory of
#   - flowsh replay (sampling 1:1, version 9 export to a local nfcapd);
#   - nfpcapd -r CAPTURE -w DIR (nfdump);
#   - pmacctd with the nfprobe plugin reading the capture (pcap_savefile), version 9 to nfcapd.
# Each run's flows are counted where they landed (nfdump), so a fast wrong run cannot pass.
# flowsh and nfpcapd run RUNS times each (default 3; this machine's noise is large) and the run
# with the median wall time is reported; pmacctd (about 20 s a run) once.
#
#   bench/peers.sh                       # 1,000, 100,000 and 1,000,000 flows, 4,000,000 packets
#   FLOWS="1000" PACKETS=1000000 RUNS=5 bench/peers.sh
#
# Captures are cached in $BENCH_DIR (default /tmp/flowsh-bench). Needs root only to install
# nfdump and pmacct when they are missing (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."

FLOWS="${FLOWS:-1000 100000 1000000}"
PACKETS="${PACKETS:-4000000}"
RUNS="${RUNS:-3}"
. bench/common.sh
need nfpcapd nfdump
need nfcapd nfdump
need pmacctd pmacct
[ -x /usr/bin/time ] || need /usr/bin/time time

build_flowsh
# Collectors may get a million records in a burst.
sysctl -qw net.core.rmem_max=268435456 2>/dev/null || true

collector_pid=""
start_collector() { # PORT DIR
    rm -rf "$2" && mkdir -p "$2"
    nfcapd -p "$1" -w "$2" -B 268435456 >"$WORK/nfcapd.log" 2>&1 &
    collector_pid=$!
    # Listening once it has bound its socket.
    for _ in $(seq 100); do
        ss -uln | grep -q ":$1 " && return
        sleep 0.05
    done
    echo "nfcapd did not start: $(cat "$WORK/nfcapd.log")" >&2
    exit 1
}
stop_collector() {
    sleep 0.5 # the last datagrams into its socket
    kill "$collector_pid" && wait "$collector_pid" || true
}
records_in() { nfdump -R "$1" -q -o csv 2>/dev/null | grep -c . || true; }
# Sum of the packets of every record in DIR.
packets_in() { nfdump -R "$1" -q -o 'fmt:%pkt' -N 2>/dev/null | awk '{s += $1} END {print s + 0}'; }

# One run of a tool: "name flows wall cpu rss" appended to $WORK/runs.
measure() {
    local name=$1 flows=$2
    shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >"$WORK/$name-$flows.log" 2>&1 || {
        echo "$name failed: $(tail -5 "$WORK/$name-$flows.log")" >&2
        exit 1
    }
    read -r wall user sys rss <"$WORK/time"
    echo "$name $flows $wall $(echo "$user + $sys" | bc) $((rss / 1024))" >>"$WORK/runs"
}

# What a run left in DIR, counted: "records packets" into $WORK/counted; a flowsh run short of
# FLOWS records or of every packet fails the benchmark.
check() { # TOOL FLOWS DIR
    local got packets
    got=$(records_in "$3")
    packets=$(packets_in "$3")
    echo "$got $packets" >"$WORK/counted"
    if [[ "$1" == flowsh* ]] && { [ "$got" -lt "$2" ] || [ "$packets" -ne "$PACKETS" ]; }; then
        echo "$1: $got records of $packets packets for $2 flows of $PACKETS packets" >&2
        exit 1
    fi
}

# The run with the median wall time, with what the last run counted (every flowsh run must
# count every flow and packet, or check stops the script), into $WORK/results.
report() {
    sort -n -k3 "$WORK/runs" | awk -v n="$(wc -l <"$WORK/runs")" -v counted="$(cat "$WORK/counted")" \
        'NR == int((n + 1) / 2) { print $0, counted }' >>"$WORK/results"
    : >"$WORK/runs"
}

: >"$WORK/results"
: >"$WORK/runs"
for flows in $FLOWS; do
    cap="$WORK/g$flows-$PACKETS.pcap"
    [ -s "$cap" ] || "$FLOWSH" generate --out "$cap" --flows "$flows" --packets "$PACKETS" >/dev/null
    # Warm the page cache so that no tool pays the first read.
    cat "$cap" >/dev/null

    for workers in 1 2; do
        name=flowsh-${workers}w
        for _ in $(seq "$RUNS"); do
            start_collector 9995 "$WORK/$name-flows"
            measure "$name" "$flows" "$FLOWSH" replay --workers "$workers" \
                --config bench/replay-v9.conf --pcap "ge-0/0/0=$cap"
            stop_collector
            check "$name" "$flows" "$WORK/$name-flows"
        done
        report
    done

    for _ in $(seq "$RUNS"); do
        rm -rf "$WORK/nfpcapd-flows" && mkdir -p "$WORK/nfpcapd-flows"
        measure nfpcapd "$flows" nfpcapd -r "$cap" -w "$WORK/nfpcapd-flows"
        check nfpcapd "$flows" "$WORK/nfpcapd-flows"
    done
    report

    cat >"$WORK/pmacctd.conf" <<EOF
daemonize: false
pcap_savefile: $cap
plugins: nfprobe
nfprobe_receiver: 127.0.0.1:9996
nfprobe_version: 9
nfprobe_maxflows: $((flows * 2))
plugin_buffer_size: 102400
plugin_pipe_size: 102400000
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
EOF
    start_collector 9996 "$WORK/pmacctd-flows"
    measure pmacctd "$flows" pmacctd -f "$WORK/pmacctd.conf"
    stop_collector
    check pmacctd "$flows" "$WORK/pmacctd-flows"
    report
done

awk -v packets="$PACKETS" '
    {
        wall[$1, $2] = $3; cpu[$1, $2] = $4; rss[$1, $2] = $5; recs[$1, $2] = $6; pk[$1, $2] = $7
        if (!seen[$2]++) order[n++] = $2
    }
    END {
        printf "%d packets of 64 bytes per capture; wall and CPU in seconds, peak RSS in MB;\n", packets
        printf "records, packets: what the collector (or nfpcapd'"'"'s files) accounted for;\n"
        printf "x1w, x2w: this tool'"'"'s wall time over flowsh'"'"'s with 1 and 2 workers\n"
        printf "%-8s %-10s %6s %6s %5s %6s %8s %8s %6s %6s\n", "flows", "tool", "wall", "cpu", "rss", "Mpps", "records", "packets", "x1w", "x2w"
        split("flowsh-1w flowsh-2w nfpcapd pmacctd", tools, " ")
        for (i = 0; i < n; i++) {
            f = order[i]
            for (t = 1; t <= 4; t++) {
                k = tools[t]
                if (!((k, f) in wall)) continue
                printf "%-8s %-10s %6.2f %6.2f %5d %6.2f %8d %8d %5.1fx %5.1fx\n", f, k, wall[k, f], cpu[k, f], rss[k, f], packets / wall[k, f] / 1e6, recs[k, f], pk[k, f], wall[k, f] / wall["flowsh-1w", f], wall[k, f] / wall["flowsh-2w", f]
            }
        }
    }' "$WORK/results"
