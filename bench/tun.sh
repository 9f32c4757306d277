#!/usr/bin/env bash
# TUN forwarding throughput (run as root): 64-byte UDP from host h1 to host h2, two network
# namespaces, forwarded
#   - by the Linux kernel, through a router namespace joined to the hosts by veth pairs;
#   - by flowsh, joined to the hosts by TUN devices (bench/tun.conf: routing, an input filter
#     counting the traffic, sampling 1:1 into the flow table);
# the generator is iperf3 (UDP, 36-byte payloads = 64-byte IP packets, no rate limit), the
# received rate is what iperf3's server counted. Prints both and the ratio.
#
#   bench/tun.sh                   # 5 seconds each, flowsh with 1 and 2 workers
#   SECONDS_EACH=10 STREAMS=2 bench/tun.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${SECONDS_EACH:-5}"
STREAMS="${STREAMS:-1}"
H1=fb-h1 H2=fb-h2 R=fb-r T1=fbt-h1 T2=fbt-h2

. bench/common.sh
need iperf3 iperf3
build_flowsh

in_ns() { ip netns exec "$1" "${@:2}"; }
cleanup() {
    [ -n "${FLOWSH_PID:-}" ] && kill "$FLOWSH_PID" 2>/dev/null || true
    for ns in $H1 $H2 $R; do ip netns del "$ns" 2>/dev/null || true; done
    ip link del "$T1" 2>/dev/null || true
    ip link del "$T2" 2>/dev/null || true
}
trap cleanup EXIT
cleanup

hosts() {
    ip netns add "$H1"
    ip netns add "$H2"
    in_ns "$H1" ip link set lo up
    in_ns "$H2" ip link set lo up
}

# udp_rate: received packets per second, h1 → h2 (10.71.2.2), from iperf3's report.
udp_rate() {
    in_ns "$H2" iperf3 -s -1 -D --logfile /dev/null
    sleep 0.3
    in_ns "$H1" iperf3 -c 10.71.2.2 -u -l 36 -b 0 -P "$STREAMS" -t "$SECONDS_EACH" --json |
        python3 -c '
import json, sys
s = json.load(sys.stdin)["end"]["sum"]
received = s["packets"] - s["lost_packets"]
print("%.0f %.0f" % (received / s["seconds"], s["packets"] / s["seconds"]))'
}

# The kernel: h1 - veth - r - veth - h2, forwarding in r.
hosts
ip netns add "$R"
ip link add h1-r netns "$H1" type veth peer name r-h1 netns "$R"
ip link add h2-r netns "$H2" type veth peer name r-h2 netns "$R"
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1
in_ns "$R" ip link set lo up
for spec in "$H1 h1-r 10.71.1.2/24 10.71.1.1" "$H2 h2-r 10.71.2.2/24 10.71.2.1"; do
    set -- $spec
    in_ns "$1" ip addr add "$3" dev "$2"
    in_ns "$1" ip link set "$2" up
    in_ns "$1" ip route add default via "$4"
done
in_ns "$R" ip addr add 10.71.1.1/24 dev r-h1
in_ns "$R" ip addr add 10.71.2.1/24 dev r-h2
in_ns "$R" ip link set r-h1 up
in_ns "$R" ip link set r-h2 up
read -r kernel kernel_sent < <(udp_rate)
cleanup

# flowsh: h1 - TUN - flowsh - TUN - h2.
results=()
for workers in 1 2; do
    hosts
    ip tuntap add dev "$T1" mode tun
    ip tuntap add dev "$T2" mode tun
    # Standard input stays open (and flowsh with it) until the sleep is killed.
    sleep 3600 | "$FLOWSH" --workers "$workers" --config bench/tun.conf \
        --port "ge-0/0/0=tun:$T1" --port "ge-0/0/1=tun:$T2" >/dev/null &
    FLOWSH_PID=$!
    sleep 1
    for spec in "$H1 $T1 10.71.1.2/24" "$H2 $T2 10.71.2.2/24"; do
        set -- $spec
        ip link set "$2" netns "$1"
        in_ns "$1" ip addr add "$3" dev "$2"
        in_ns "$1" ip link set "$2" up
        in_ns "$1" ip route add default dev "$2"
    done
    read -r got sent < <(udp_rate)
    results+=("$workers $got $sent")
    pkill -f "sleep 3600" || true
    wait "$FLOWSH_PID" 2>/dev/null || true
    FLOWSH_PID=""
    cleanup
done

echo "64-byte UDP, h1 to h2, ${SECONDS_EACH} s, $STREAMS iperf3 stream(s); packets per second"
printf "%-22s %12s %12s %8s\n" "forwarder" "received" "offered" "ratio"
printf "%-22s %12d %12d %8s\n" "Linux kernel" "$kernel" "$kernel_sent" "1.00"
for r in "${results[@]}"; do
    set -- $r
    printf "%-22s %12d %12d %8.2f\n" "flowsh, $1 worker(s)" "$2" "$3" "$(echo "$2 / $kernel" | bc -l)"
done
