#!/usr/bin/env bash
# A mirroring lab for flowsh (run as root): hosts h1 and h2 and an analyzer host are network
# namespaces joined to flowsh by TUN devices. The policy of examples/mirror-lab.conf copies the
# UDP 5001 flow between h1 and h2, both ways, with the Juniper header to the analyzer.
#
#   examples/mirror-lab.sh up        create the namespaces and the TUN devices
#   flowsh --config examples/mirror-lab.conf --port ge-0/0/0=tun:fm-h1 \
#          --port ge-0/0/1=tun:fm-h2 --port ge-0/0/2=tun:fm-ana
#   examples/mirror-lab.sh attach    (in another terminal) move the devices into the hosts
#   examples/mirror-lab.sh capture   (another terminal) tshark on the analyzer, decoding the copies
#   examples/mirror-lab.sh traffic   UDP 5001 from h1 to h2 and back, and a telnet attempt
#   examples/mirror-lab.sh down      remove everything
set -euo pipefail
H1=flowsh-mh1 H2=flowsh-mh2 ANA=flowsh-ana T1=fm-h1 T2=fm-h2 TA=fm-ana

in_ns() { ip netns exec "$1" "${@:2}"; }

case "${1:-}" in
up)
    for ns in "$H1" "$H2" "$ANA"; do ip netns add "$ns"; done
    for dev in "$T1" "$T2" "$TA"; do ip tuntap add dev "$dev" mode tun; done
    echo "now start: flowsh --config examples/mirror-lab.conf --port ge-0/0/0=tun:$T1" \
        "--port ge-0/0/1=tun:$T2 --port ge-0/0/2=tun:$TA"
    ;;
attach)
    for spec in "$H1 $T1 10.71.1.2/24" "$H2 $T2 10.71.2.2/24" "$ANA $TA 10.71.9.2/24"; do
        set -- $spec
        ip link set "$2" netns "$1"
        in_ns "$1" ip link set lo up
        in_ns "$1" ip addr add "$3" dev "$2"
        in_ns "$1" ip link set "$2" up
        in_ns "$1" ip route add default dev "$2"
    done
    echo "h1 is 10.71.1.2, h2 is 10.71.2.2, the analyzer is 10.71.9.2"
    ;;
capture)
    # The copies, decoded: the Juniper header's flags and networks, then the original packet.
    in_ns "$ANA" tshark -i "$TA" -d udp.port==8099,juniper -f "udp port 8099" \
        -T fields -e juniper.vn.flags.pass -e juniper.vn.flags.deny \
        -e juniper.vn.flags.direction -e juniper.vn.src -e ip.src -e ip.dst -e udp.srcport \
        -e udp.dstport -e tcp.dstport -E occurrence=l
    ;;
traffic)
    in_ns "$H2" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5001)); s.settimeout(3)
try:
    while True:
        d, a = s.recvfrom(100); s.sendto(d, a)
except socket.timeout:
    pass" &
    sleep 0.5
    in_ns "$H1" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
for i in range(5):
    s.sendto(b'hello', ('10.71.2.2', 5001)); s.recvfrom(100)
print('5 UDP datagrams to h2 port 5001, 5 answers')
try:
    socket.create_connection(('10.71.2.2', 23), timeout=1)
except OSError:
    print('telnet to h2: denied')"
    wait
    ;;
down)
    for ns in "$H1" "$H2" "$ANA"; do ip netns del "$ns" 2>/dev/null || true; done
    for dev in "$T1" "$T2" "$TA"; do ip link del "$dev" 2>/dev/null || true; done
    ;;
*)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
