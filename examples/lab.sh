#!/usr/bin/env bash
# A two-host lab for flowsh (run as root): hosts h1 and h2 are network namespaces, each joined
# to flowsh by a TUN device. flowsh routes between them with the filter of examples/lab.conf.
#
#   examples/lab.sh up        create the namespaces and the TUN devices flowsh attaches to
#   flowsh --config examples/lab.conf --port ge-0/0/0=tun:fs-h1 --port ge-0/0/1=tun:fs-h2
#   examples/lab.sh attach    (in another terminal) move the devices into the hosts, address them
#   examples/lab.sh traffic   ping across, UDP to 5001 (counted) and 9999 (discarded)
#   examples/lab.sh down      remove everything
set -euo pipefail
H1=flowsh-h1 H2=flowsh-h2 T1=fs-h1 T2=fs-h2

in_ns() { ip netns exec "$1" "${@:2}"; }

case "${1:-}" in
up)
    ip netns add "$H1"
    ip netns add "$H2"
    # Persistent devices: flowsh opens them by name, then `attach` moves them into the hosts.
    ip tuntap add dev "$T1" mode tun
    ip tuntap add dev "$T2" mode tun
    echo "now start: flowsh --config examples/lab.conf --port ge-0/0/0=tun:$T1 --port ge-0/0/1=tun:$T2"
    ;;
attach)
    for spec in "$H1 $T1 10.71.1.2/24" "$H2 $T2 10.71.2.2/24"; do
        set -- $spec
        ip link set "$2" netns "$1"
        in_ns "$1" ip link set lo up
        in_ns "$1" ip addr add "$3" dev "$2"
        in_ns "$1" ip link set "$2" up
        in_ns "$1" ip route add default dev "$2"
    done
    echo "h1 is 10.71.1.2, h2 is 10.71.2.2, flowsh is 10.71.1.1 and 10.71.2.1"
    ;;
traffic)
    in_ns "$H1" ping -c 3 10.71.1.1
    in_ns "$H1" ping -c 3 10.71.2.2
    for port in 5001 9999; do
        in_ns "$H1" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b'hello', ('10.71.2.2', $port))
print('sent 5 UDP datagrams to port $port')"
    done
    ;;
down)
    ip netns del "$H1" 2>/dev/null || true
    ip netns del "$H2" 2>/dev/null || true
    ip link del "$T1" 2>/dev/null || true
    ip link del "$T2" 2>/dev/null || true
    ;;
*)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
