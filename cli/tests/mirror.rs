//! Flow-based mirroring, proven by tshark: a capture is replayed through security policies
//! that mirror some flows; what leaves towards the analyzers is recorded and decoded as
//! "Juniper Virtual Network Information" and as VXLAN, and checked copy by copy.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Lab, out};
use flowsh_engine::build::{Spec, v4};
use flowsh_engine::port::{Port, write_capture};

const CONFIG: &str = "
set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/2 unit 0 family inet address 10.90.0.1/24
set services mirror-destination ids analyzer-address 10.90.0.50
set services mirror-destination ids maximum-packet-length 100
set services mirror-destination vtep no-juniper-header
set services mirror-destination vtep next-hop-mode static
set services mirror-destination vtep static-next-hop vtep-address 10.90.0.90
set services mirror-destination vtep static-next-hop vni 5001
set security policies policy from-lan interface ge-0/0/0.0
set security policies policy from-lan then mirror-to ids
set security policies policy from-lan rule web match protocol tcp
set security policies policy from-lan rule web match destination-port 443
set security policies policy from-lan rule web then permit
set security policies policy from-lan rule dns match protocol udp
set security policies policy from-lan rule dns match destination-port 5300
set security policies policy from-lan rule dns then permit
set security policies policy from-lan rule dns then mirror-to vtep
set security policies policy from-lan rule no-telnet match destination-port 23
set security policies policy from-lan rule no-telnet then deny
";

fn tshark(path: &Path, fields: &[&str]) -> (Vec<Vec<String>>, String) {
    let mut c = Command::new("tshark");
    c.env("LC_ALL", "C")
        .arg("-r")
        .arg(path)
        .args([
            "-d",
            "udp.port==8099,juniper",
            "-T",
            "fields",
            "-E",
            "separator=\t",
        ])
        .args(["-E", "occurrence=f"]);
    for f in fields {
        c.args(["-e", f]);
    }
    let o = c.output().expect("tshark runs");
    let rows = out(&o)
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    let e = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-d", "udp.port==8099,juniper", "-q", "-z", "expert,warn"])
        .output()
        .unwrap();
    (rows, out(&e).trim().to_string())
}

#[test]
fn selected_flows_reach_the_analyzers_decodable_and_byte_identical() {
    let lab = Lab::new("mirror");
    let cfg = lab.path("mirror.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    let (c, s) = (v4("10.0.1.2"), v4("10.0.2.2"));
    let mut packets = Vec::new();
    for i in 0..6u16 {
        packets.push(
            Spec::tcp(c, s, 40000, 443, 0x10)
                .payload(200 + usize::from(i))
                .build(),
        );
        packets.push(Spec::udp(c, s, 40053, 5300).payload(30).build());
        packets.push(Spec::udp(c, s, 7000, 7000).payload(10).build());
    }
    packets.push(Spec::tcp(c, s, 40001, 23, 0x02).build());
    let capture = lab.path("in.pcap");
    write_capture(&capture, &packets).unwrap();
    let to_analyzers = lab.path("analyzers.pcap");
    let o = lab.replay(
        &cfg,
        &capture,
        &[
            "--port",
            &format!("ge-0/0/2=pcap-out:{}", to_analyzers.display()),
            "-c",
            "show services mirror-destination; show security policies hit-count; show security flow session",
        ],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    let (rows, expert) = tshark(
        &to_analyzers,
        &[
            "ip.dst",
            "udp.dstport",
            "juniper.vn.host_ip",
            "juniper.vn.flags.pass",
            "juniper.vn.flags.deny",
            "juniper.vn.flags.direction",
            "juniper.vn.src",
            "vxlan.vni",
            "tcp.dstport",
            "frame.len",
        ],
    );
    // The only complaint: the six copies cut to 100 bytes hold less than their IP length.
    let complaints: Vec<&str> = expert
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|n| n.parse::<u64>().is_ok())
        })
        .collect();
    assert_eq!(complaints.len(), 1, "{expert}");
    assert!(
        complaints[0].contains("6   Protocol")
            && complaints[0].contains("IPv4 total length exceeds packet length"),
        "{expert}"
    );
    // Every TCP/443 and UDP/5300 packet to the header analyzer, the denied telnet SYN too; the
    // DNS flow also to the VTEP; the 7000 flow matches no rule: not mirrored.
    let header: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "8099").collect();
    let vxlan: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "4789").collect();
    assert_eq!(header.len(), 6 + 6 + 1, "{rows:?}");
    assert_eq!(vxlan.len(), 6);
    assert!(
        header
            .iter()
            .all(|r| r[0] == "10.90.0.50" && r[2] == "10.90.0.1")
    );
    assert!(header.iter().all(|r| r[5] == "1" && r[6] == "ge-0/0/0.0"));
    assert_eq!(
        header.iter().filter(|r| r[4] == "1").count(),
        1,
        "the telnet SYN, denied"
    );
    assert!(vxlan.iter().all(|r| r[0] == "10.90.0.90" && r[7] == "5001"));
    // Copies to `ids` are cut to 100 bytes of frame.
    let longest = header
        .iter()
        .map(|r| r[9].parse::<usize>().unwrap())
        .max()
        .unwrap();
    // Outer IPv4 and UDP, the TLVs (host, flags, two 10-byte network names, end), the frame.
    assert_eq!(longest, 20 + 8 + 6 + 6 + (2 + 10) + (2 + 10) + 2 + 100);
    // The show commands, after the replay's two summary lines.
    let shown: Vec<&str> = text.lines().skip(2).collect();
    insta::assert_snapshot!(shown.join("\n"));
    assert!(text.contains("Mirror destination: ids"), "{text}");
    assert!(text.contains("Packets: 13,"), "{text}");
    assert!(text.contains("Truncated: 6,"), "{text}");
    assert!(text.contains("Total sessions: 4"), "{text}");
    assert!(text.contains("Mirror: ids, vtep"), "{text}");
}

#[test]
fn port_mirroring_and_analyzers_show_what_they_copied() {
    let lab = Lab::new("port-mirror");
    let cfg = lab.path("pm.conf");
    std::fs::write(
        &cfg,
        "set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/0 unit 0 family inet filter input f
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set interfaces ge-0/0/2 unit 0 family inet address 10.90.0.1/24
set forwarding-options port-mirroring input rate 2
set forwarding-options port-mirroring input maximum-packet-length 60
set forwarding-options port-mirroring family inet output interface ge-0/0/2.0 next-hop 10.90.0.50
set forwarding-options analyzer span input ingress interface ge-0/0/0.0
set forwarding-options analyzer span output interface ge-0/0/2.0
set firewall family inet filter f term web from destination-port 80
set firewall family inet filter f term web then port-mirror
set firewall family inet filter f term web then accept
set firewall family inet filter f term rest then accept
",
    )
    .unwrap();
    let (c, s) = (v4("10.0.1.2"), v4("10.0.2.2"));
    let packets: Vec<Vec<u8>> = (0..10u16)
        .map(|i| Spec::udp(c, s, 1000, 80 + i % 2).payload(100).build())
        .collect();
    let capture = lab.path("in.pcap");
    write_capture(&capture, &packets).unwrap();
    let copies = lab.path("copies.pcap");
    let o = lab.replay(
        &cfg,
        &capture,
        &[
            "--port",
            &format!("ge-0/0/2=pcap-out:{}", copies.display()),
            "-c",
            "show forwarding-options port-mirroring; show forwarding-options analyzer",
        ],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    let shown: Vec<&str> = text.lines().skip(2).collect();
    insta::assert_snapshot!(shown.join("\n"));
    // Out of ge-0/0/2: of 5 filter candidates, 1 in 2 (2 copies) cut to 60; 10 analyzer copies.
    let mut port = flowsh_engine::port::PcapIn::open(&copies).unwrap();
    let mut buf = [0u8; 2000];
    let mut lengths = Vec::new();
    while let Ok(flowsh_engine::port::Rx::Packet { len, .. }) = port.recv(&mut buf) {
        lengths.push(len);
    }
    assert_eq!(
        lengths.iter().filter(|&&l| l == 60).count(),
        2,
        "{lengths:?}"
    );
    assert_eq!(
        lengths.iter().filter(|&&l| l == 128).count(),
        10,
        "{lengths:?}"
    );
}
