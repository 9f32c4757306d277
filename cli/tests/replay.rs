//! `flowsh replay`: a generated capture through a configuration, counters checked against what
//! the capture holds.

mod common;

use common::{Lab, out};
use flowsh_engine::build::{Spec, v4};
use flowsh_engine::port::write_capture;

const CONFIG: &str = "
interfaces {
    ge-0/0/0 {
        unit 0 {
            family inet {
                filter {
                    input edge;
                }
                address 10.0.1.1/24;
            }
        }
    }
    ge-0/0/1 {
        unit 0 {
            family inet {
                address 10.0.2.1/24;
            }
        }
    }
}
firewall {
    family inet {
        filter edge {
            term block-9999 {
                from {
                    protocol udp;
                    destination-port 9999;
                }
                then {
                    count blocked;
                    discard;
                }
            }
            term dns {
                from {
                    protocol udp;
                    destination-port 53;
                }
                then {
                    count dns;
                    accept;
                }
            }
            term rest {
                then accept;
            }
        }
    }
}
";

#[test]
fn a_capture_replays_through_filters_and_routes_with_exact_counters() {
    let lab = Lab::new("replay");
    let cfg = lab.path("edge.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    let (c, s) = (v4("10.0.1.2"), v4("10.0.2.2"));
    let mut packets = Vec::new();
    for i in 0..300u16 {
        packets.push(match i % 3 {
            0 => Spec::udp(c, s, 1000 + i, 53).build(),
            1 => Spec::udp(c, s, 1000 + i, 9999).build(),
            _ => Spec::tcp(c, s, 1000 + i, 80, 0x02).build(),
        });
    }
    packets.push(vec![0x45, 0, 0]);
    let capture = lab.path("in.pcap");
    write_capture(&capture, &packets).unwrap();
    let recorded = lab.path("out.pcap");
    let o = lab.replay(
        &cfg,
        &capture,
        &[
            "--port",
            &format!("ge-0/0/1=pcap-out:{}", recorded.display()),
            "-c",
            "show firewall; show interfaces ge-0/0/0 extensive",
        ],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.starts_with("Replay complete: 301 packets from 1 captures in "),
        "{text}"
    );
    assert!(
        text.contains("  Forwarded 200, dropped 101 (filter-discard 100, truncated 1)\n"),
        "{text}"
    );
    let body = text.split_once('\n').unwrap().1.split_once('\n').unwrap().1;
    insta::assert_snapshot!(body.replace(&lab.dir.display().to_string(), "LAB"));
    // What left through ge-0/0/1 is a capture of its own: the 200 forwarded packets, TTL 63.
    let mut port = flowsh_engine::port::PcapIn::open(&recorded).unwrap();
    let mut buf = [0u8; 2000];
    let mut n = 0;
    while let flowsh_engine::port::Rx::Packet { len, .. } =
        flowsh_engine::port::Port::recv(&mut port, &mut buf).unwrap()
    {
        assert_eq!(flowsh_engine::packet::parse(&buf[..len]).unwrap().ttl, 63);
        n += 1;
    }
    assert_eq!(n, 200);
}

#[test]
fn replay_of_a_broken_configuration_fails_with_its_errors() {
    let lab = Lab::new("replay-bad");
    let cfg = lab.path("bad.conf");
    std::fs::write(&cfg, "system { host-name ; }\n").unwrap();
    let o = lab
        .command()
        .args(["replay", "--config"])
        .arg(&cfg)
        .args(["--pcap", "ge-0/0/0=x.pcap"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).ends_with("error: load failed (1 errors)\n"),
        "{}",
        out(&o)
    );
}

#[test]
fn garbage_packets_are_counted_by_reason_and_nothing_panics() {
    let lab = Lab::new("garbage");
    let cfg = lab.path("edge.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    let (c, s) = (v4("10.0.1.2"), v4("10.0.2.2"));
    let good = Spec::udp(c, s, 1, 53).build();
    let fix = |mut p: Vec<u8>| {
        smoltcp::wire::Ipv4Packet::new_unchecked(&mut p[..]).fill_checksum();
        p
    };
    let mut bad_ihl = good.clone();
    bad_ihl[0] = 0x43;
    let mut long = good.clone();
    long[2..4].copy_from_slice(&2000u16.to_be_bytes());
    let mut sum = good.clone();
    sum[10] ^= 0x55;
    let mut options = good[..20].to_vec();
    options.extend_from_slice(&[0x01, 0x01, 0x01, 0x00]);
    options.extend_from_slice(&good[20..]);
    options[0] = 0x46;
    let total = options.len() as u16;
    options[2..4].copy_from_slice(&total.to_be_bytes());
    let mut jumbo = Spec::udp(c, s, 1, 53).payload(8900).build();
    jumbo.truncate(9000);
    let packets = vec![
        vec![],
        vec![0x45],
        good[..19].to_vec(),
        vec![0x70; 40],
        fix(bad_ihl),
        fix(long),
        sum,
        fix(options),
        Spec::udp(c, s, 1, 53).ttl(0).build(),
        Spec::udp(c, s, 1, 53).ttl(1).build(),
        jumbo,
        good,
    ];
    let capture = lab.path("garbage.pcap");
    write_capture(&capture, &packets).unwrap();
    let o = lab
        .command()
        .args(["replay", "--config"])
        .arg(&cfg)
        .arg("--pcap")
        .arg(format!("ge-0/0/0={}", capture.display()))
        .args([
            "-c",
            "show interfaces ge-0/0/0.0 extensive | match \"^      [a-z]\"",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    let body = text.split_once('\n').unwrap().1.split_once('\n').unwrap().1;
    insta::assert_snapshot!(body);
}

#[test]
fn a_cut_capture_replays_what_it_has_and_says_so() {
    let lab = Lab::new("cut");
    let cfg = lab.path("edge.conf");
    std::fs::write(&cfg, CONFIG).unwrap();
    let (c, s) = (v4("10.0.1.2"), v4("10.0.2.2"));
    let packets: Vec<Vec<u8>> = (0..10)
        .map(|i| Spec::udp(c, s, 1000 + i, 53).build())
        .collect();
    let capture = lab.path("cut.pcap");
    write_capture(&capture, &packets).unwrap();
    let len = std::fs::metadata(&capture).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&capture)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    let o = lab.replay(&cfg, &capture, &[]);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.starts_with("Replay complete: 9 packets from 1 captures"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  Port errors: ge-0/0/0 (pcap:{}) 1\n",
            capture.display()
        )),
        "{text}"
    );
}
