//! Real devices: two network namespaces joined through flowsh by TUN devices, then by TAP
//! devices (ARP and IPv6 neighbor discovery). Ping (IPv4 and IPv6), UDP and TCP cross it; a
//! filter discards one UDP port and counts another; both hosts and `show firewall` agree.
//! Needs root, iproute2, ping and python3 (the README test command installs ping).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};

use common::{Lab, out};

const PY: &str = "/usr/bin/python3";

const CONFIG: &str = "
set system host-name lab-router
set interfaces ge-0/0/0 unit 0 family inet address 10.71.1.1/24
set interfaces ge-0/0/0 unit 0 family inet filter input from-h1
set interfaces ge-0/0/1 unit 0 family inet address 10.71.2.1/24
set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:71:1::1/64
set interfaces ge-0/0/1 unit 0 family inet6 address 2001:db8:71:2::1/64
set firewall family inet filter from-h1 term no-9999 from protocol udp
set firewall family inet filter from-h1 term no-9999 from destination-port 9999
set firewall family inet filter from-h1 term no-9999 then count dropped-9999
set firewall family inet filter from-h1 term no-9999 then discard
set firewall family inet filter from-h1 term udp-5001 from protocol udp
set firewall family inet filter from-h1 term udp-5001 from destination-port 5001
set firewall family inet filter from-h1 term udp-5001 then count udp-5001
set firewall family inet filter from-h1 term udp-5001 then accept
set firewall family inet filter from-h1 term rest then accept
set interfaces ge-0/0/0 unit 0 family inet sampling input
set forwarding-options sampling input rate 1
set forwarding-options sampling input max-packets-per-second 0
set services flow-monitoring version-ipfix template lab ipv4-template
set services flow-monitoring version-ipfix template lab flow-inactive-timeout 60
";

/// Echoes UDP on 5001 and 9999 and one TCP connection on 8080; says `ready` once listening.
const SERVER: &str = r#"
import socket, threading
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port)); s.settimeout(15)
    try:
        while True:
            d, a = s.recvfrom(2000); s.sendto(d, a)
    except socket.timeout:
        pass
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(); s.settimeout(15)
    try:
        c, a = s.accept(); c.settimeout(5); c.sendall(c.recv(100)); c.close()
    except socket.timeout:
        pass
ts = [threading.Thread(target=udp, args=(5001,)), threading.Thread(target=udp, args=(9999,)), threading.Thread(target=tcp, args=(8080,))]
for t in ts: t.start()
print("ready", flush=True)
for t in ts: t.join()
"#;

/// The analyzer: counts the frames it receives that carry UDP port 5001 (either way), up to
/// `want`, or until a few seconds pass without one; says `ready` once listening.
const SNIFFER: &str = r#"
import socket, sys
dev, want = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3)); s.bind((dev, 0)); s.settimeout(5)
print("ready", flush=True)
got = 0
try:
    while got < want:
        f = s.recv(2000)
        if len(f) > 37 and f[12:14] == b"\x08\x00" and f[23] == 17:
            ihl = (f[14] & 15) * 4
            sp = int.from_bytes(f[14 + ihl:16 + ihl], "big"); dp = int.from_bytes(f[16 + ihl:18 + ihl], "big")
            if 5001 in (sp, dp):
                got += 1
except socket.timeout:
    pass
print(got, flush=True)
"#;

/// The analyzer's MAC in the TAP lab.
const ANALYZER_MAC: &str = "02:00:00:00:99:01";

/// On TAP: flow mode mirrors the UDP 5001 flow, bare, to the analyzer's MAC (L2 lookup).
const L2_MIRROR: &str = "
set interfaces ge-0/0/2 unit 0 family inet address 10.71.9.1/24
set services mirror-destination ana no-juniper-header
set services mirror-destination ana analyzer-mac-address 02:00:00:00:99:01
set security policies policy lab rule udp-5001 match protocol udp
set security policies policy lab rule udp-5001 match destination-port 5001
set security policies policy lab rule udp-5001 then permit
set security policies policy lab rule udp-5001 then mirror-to ana
";

/// `udp HOST PORT N`: how many of N datagrams came back; `tcp HOST PORT`: the echoed text.
const CLIENT: &str = r#"
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); ok = 0
    for i in range(int(sys.argv[4])):
        s.sendto(b"flowsh-%d" % i, (host, port))
        try:
            s.recvfrom(100); ok += 1
        except socket.timeout:
            pass
    print(ok)
else:
    c = socket.create_connection((host, port), timeout=5); c.sendall(b"hello"); print(c.recv(100).decode())
"#;

fn run(args: &[&str]) -> Output {
    let o = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        out(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A network namespace deleted when the test ends, however it ends.
struct Netns(String);

impl Netns {
    fn new(name: String) -> Netns {
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run(&["ip", "netns", "add", &name]);
        Netns(name)
    }

    fn exec(&self, args: &[&str]) -> Output {
        let mut all = vec!["ip", "netns", "exec", &self.0];
        all.extend_from_slice(args);
        Command::new("ip").args(&all[1..]).output().unwrap()
    }

    /// Takes a TUN or TAP device into the namespace and gives it an address and a default
    /// route (through `gateway` on Ethernet, where the next hop must be resolved).
    fn attach(&self, dev: &str, cidr: &str, gateway: Option<&str>) {
        let default: Vec<&str> = match gateway {
            Some(gw) => vec!["ip", "route", "add", "default", "via", gw, "dev", dev],
            None => vec!["ip", "route", "add", "default", "dev", dev],
        };
        run(&["ip", "link", "set", dev, "netns", &self.0]);
        for cmd in [
            vec!["ip", "link", "set", "lo", "up"],
            vec!["ip", "addr", "add", cidr, "dev", dev],
            vec!["ip", "link", "set", dev, "up"],
            default.clone(),
        ] {
            let o = self.exec(&cmd);
            assert!(
                o.status.success(),
                "{cmd:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

impl Netns {
    /// An IPv6 address on `dev` (no duplicate address detection: the test does not wait for
    /// it) and a default route, through `gateway` on Ethernet.
    fn attach6(&self, dev: &str, cidr: &str, gateway: Option<&str>) {
        let mut default = vec!["ip", "-6", "route", "add", "default"];
        if let Some(gw) = gateway {
            default.extend(["via", gw]);
        }
        default.extend(["dev", dev]);
        for cmd in [
            vec!["ip", "-6", "addr", "add", cidr, "dev", dev, "nodad"],
            default,
        ] {
            let o = self.exec(&cmd);
            assert!(
                o.status.success(),
                "{cmd:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// flowsh reading commands on standard input; answers are read up to a line we expect.
struct Router {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Router {
    fn ask(&mut self, command: &str, last_line_starts: &str) -> String {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        let mut text = String::new();
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line).unwrap() == 0 {
                panic!("flowsh ended; output so far:\n{text}");
            }
            text.push_str(&line);
            if line.starts_with(last_line_starts) {
                return text;
            }
        }
    }
}

impl Router {
    /// `exit`, then waits for flowsh to finish (it exports the flows it still holds).
    fn quit(mut self) {
        writeln!(self.stdin, "exit").unwrap();
        self.stdin.flush().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "flowsh exits cleanly: {status}");
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn over_tun_devices_ping_udp_and_tcp_cross_flowsh_and_the_filter_counts_them() {
    lab_through("tun");
}

#[test]
fn over_tap_devices_flowsh_answers_arp_and_neighbor_discovery_and_resolves_its_next_hops() {
    lab_through("tap");
}

fn lab_through(kind: &str) {
    let lab = Lab::new(&format!("netns-{kind}"));
    let id = std::process::id() % 100_000;
    let (tun_a, tun_b) = (format!("f{kind}a{id}"), format!("f{kind}b{id}"));
    let tap_ana = format!("f{kind}n{id}");
    let ethernet = kind == "tap";
    // The collector: a socket of this test, reached through the host's stack.
    let collector = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    collector.set_nonblocking(true).unwrap();
    let port = collector.local_addr().unwrap().port();
    let at = "set forwarding-options sampling family inet output flow-server 127.0.0.1";
    let cfg = lab.path("lab.set");
    std::fs::write(
        &cfg,
        format!(
            "{}{at} port {port}\n{at} version-ipfix template lab\n{}",
            CONFIG.trim_start(),
            if ethernet { L2_MIRROR.trim_start() } else { "" }
        ),
    )
    .unwrap();
    std::fs::write(lab.path("server.py"), SERVER).unwrap();
    std::fs::write(lab.path("client.py"), CLIENT).unwrap();
    std::fs::write(lab.path("sniffer.py"), SNIFFER).unwrap();

    let mut command = lab.command();
    command
        .arg("--config")
        .arg(&cfg)
        // Two workers: each reads one device, so forwarding crosses workers.
        .args(["--workers", "2"])
        .arg("--port")
        .arg(format!("ge-0/0/0={kind}:{tun_a}"))
        .arg("--port")
        .arg(format!("ge-0/0/1={kind}:{tun_b}"));
    if ethernet {
        command.arg("--port").arg(format!("ge-0/0/2=tap:{tap_ana}"));
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut router = Router {
        stdin: child.stdin.take().unwrap(),
        stdout: BufReader::new(child.stdout.take().unwrap()),
        child,
    };
    // The first answer means the ports are bound: the TUN devices exist.
    let terse = router.ask("show interfaces terse", "ge-0/0/1.0");
    assert!(
        terse.contains("ge-0/0/0.0              up    up   inet     10.71.1.1/24"),
        "{terse}"
    );

    let h1 = Netns::new(format!("f{kind}h1-{id}"));
    let h2 = Netns::new(format!("f{kind}h2-{id}"));
    h1.attach(&tun_a, "10.71.1.2/24", ethernet.then_some("10.71.1.1"));
    h2.attach(&tun_b, "10.71.2.2/24", ethernet.then_some("10.71.2.1"));
    h1.attach6(
        &tun_a,
        "2001:db8:71:1::2/64",
        ethernet.then_some("2001:db8:71:1::1"),
    );
    h2.attach6(
        &tun_b,
        "2001:db8:71:2::2/64",
        ethernet.then_some("2001:db8:71:2::1"),
    );
    // The analyzer (TAP only): its MAC is known to the router once it has spoken (ARP).
    let analyzer = ethernet.then(|| {
        let ana = Netns::new(format!("f{kind}an-{id}"));
        run(&["ip", "link", "set", &tap_ana, "address", ANALYZER_MAC]);
        ana.attach(&tap_ana, "10.71.9.2/24", Some("10.71.9.1"));
        let o = ana.exec(&["ping", "-c", "1", "-W", "2", "10.71.9.1"]);
        assert!(
            o.status.success(),
            "the analyzer reaches the router: {}",
            out(&o)
        );
        let sniffer = lab.path("sniffer.py").display().to_string();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &ana.0, PY, &sniffer, &tap_ana, "10"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready");
        (ana, child, stdout)
    });

    let ping = |ns: &Netns, dst: &str| ns.exec(&["ping", "-c", "3", "-i", "0.2", "-W", "2", dst]);
    let o = ping(&h1, "10.71.1.1");
    assert!(o.status.success(), "the router answers ping: {}", out(&o));
    let o = ping(&h1, "10.71.2.2");
    assert!(o.status.success(), "ping crosses the router: {}", out(&o));
    assert!(out(&o).contains("3 received"), "{}", out(&o));
    // IPv6: on TAP the hosts and the router find each other by neighbor discovery.
    let o = ping(&h1, "2001:db8:71:1::1");
    assert!(o.status.success(), "the router answers ping6: {}", out(&o));
    let o = ping(&h1, "2001:db8:71:2::2");
    assert!(o.status.success(), "ping6 crosses the router: {}", out(&o));
    assert!(out(&o).contains("3 received"), "{}", out(&o));

    let server_py = lab.path("server.py").display().to_string();
    let mut server = Command::new("ip")
        .args(["netns", "exec", &h2.0, PY, &server_py])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");

    let client = lab.path("client.py").display().to_string();
    let o = h1.exec(&[PY, &client, "udp", "10.71.2.2", "5001", "5"]);
    assert_eq!(out(&o).trim(), "5", "UDP 5001 passes both ways");
    let o = h1.exec(&[PY, &client, "udp", "10.71.2.2", "9999", "3"]);
    assert_eq!(out(&o).trim(), "0", "UDP 9999 is discarded");
    let o = h1.exec(&[PY, &client, "tcp", "10.71.2.2", "8080"]);
    assert_eq!(
        out(&o).trim(),
        "hello",
        "TCP crosses: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = server.kill();
    let _ = server.wait();
    if let Some((_ana, mut sniffer, mut stdout)) = analyzer {
        // Five requests and five replies of the UDP 5001 flow, each copied to the analyzer.
        let mut count = String::new();
        stdout.read_line(&mut count).unwrap();
        let _ = sniffer.wait();
        assert_eq!(count.trim(), "10", "copies at the analyzer MAC");
        let shown = router.ask("show services mirror-destination ana", "  Packets:");
        assert!(shown.contains("Packets: 10,"), "{shown}");
        assert!(shown.contains("Unresolved: 0"), "{shown}");
    }

    let fw = router.ask("show firewall", "(implicit discard)");
    let count = |name: &str| -> u64 {
        fw.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{fw}"))
    };
    assert_eq!(count("dropped-9999"), 3, "{fw}");
    assert_eq!(count("udp-5001"), 5, "{fw}");
    let ping = router.ask("ping 10.71.2.2 count 3", "3 packets transmitted");
    assert!(
        ping.contains("3 packets transmitted, 3 packets received, 0% packet loss"),
        "{ping}"
    );
    let ext = router.ask("show interfaces ge-0/0/0 extensive", "        Destination:");
    assert!(
        ext.contains("filter-discard                     3"),
        "{ext}"
    );

    // J-Flow saw the same traffic: the flows held now...
    let detail = router.ask(
        "show services accounting flow-detail destination-address 10.71.2.2/32 protocol udp",
        "  Packet count: 3,",
    );
    assert!(detail.contains("Destination port: 5001"), "{detail}");
    assert!(detail.contains("Packet count: 5,"), "{detail}");
    // ...and every record reaches the collector by the time flowsh has exited.
    router.quit();
    let mut buf = [0u8; 65_536];
    let mut datagrams = Vec::new();
    while let Ok(n) = collector.recv(&mut buf) {
        datagrams.push(buf[..n].to_vec());
    }
    let capture = lab.path("exported.pcap");
    common::oracle::capture(&datagrams, &capture);
    let d = common::oracle::decode(
        &capture,
        &["cflow.dstport", "cflow.packets", "cflow.protocol"],
    );
    assert!(d.expert.is_empty(), "{}", d.expert);
    let (ports, packets) = (d.column(0), d.column(1));
    let sent = |p: &str| -> u64 {
        ports
            .iter()
            .zip(&packets)
            .filter(|(x, _)| *x == p)
            .map(|(_, n)| n.parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(sent("5001"), 5, "UDP 5001 exported");
    assert_eq!(sent("9999"), 3, "UDP 9999 metered even though discarded");
    assert!(sent("8080") >= 5, "the TCP connection exported");
}
