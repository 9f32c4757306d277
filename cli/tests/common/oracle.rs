//! Decoders no one here wrote, driven as a test oracle: collectors' datagrams are received on
//! local UDP sockets and handed to tshark (as a capture) or sent to a running nfcapd.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use flowsh_engine::build::{udp_datagram, v4};

/// Collector `i`'s address: `flow-server` is keyed by address, so each has its own (the whole
/// of 127/8 is local on Linux).
pub fn collector_address(i: usize) -> String {
    format!("127.0.0.{}", i + 1)
}

/// Local UDP sockets standing in for collectors; everything sent to them is kept.
pub struct Sink {
    pub sockets: Vec<UdpSocket>,
}

impl Sink {
    pub fn new(n: usize) -> Sink {
        Sink {
            sockets: (0..n)
                .map(|i| {
                    let s = UdpSocket::bind((collector_address(i), 0)).unwrap();
                    s.set_nonblocking(true).unwrap();
                    s
                })
                .collect(),
        }
    }

    pub fn ports(&self) -> Vec<u16> {
        self.sockets
            .iter()
            .map(|s| s.local_addr().unwrap().port())
            .collect()
    }

    /// The datagrams each socket received (call once the sender is done).
    pub fn drain(&self) -> Vec<Vec<Vec<u8>>> {
        let mut buf = vec![0u8; 65_536];
        self.sockets
            .iter()
            .map(|s| {
                let mut got = Vec::new();
                while let Ok(n) = s.recv(&mut buf) {
                    got.push(buf[..n].to_vec());
                }
                got
            })
            .collect()
    }
}

/// The UDP port the datagrams carry in the captures given to tshark: the port a socket
/// happened to get could fall in 33434–33625, which tshark reports as a possible traceroute.
const WIRE_PORT: u16 = 2055;

/// Writes datagrams as a raw-IP capture tshark can read.
pub fn capture(datagrams: &[Vec<u8>], path: &Path) {
    let packets: Vec<Vec<u8>> = datagrams
        .iter()
        .map(|d| {
            udp_datagram(
                v4("10.0.2.1"),
                v4("127.0.0.1"),
                (WIRE_PORT, WIRE_PORT),
                0,
                d,
            )
        })
        .collect();
    flowsh_engine::port::write_capture(path, &packets).unwrap();
}

/// What tshark made of a capture.
pub struct Decoded {
    /// One row per frame; each field's occurrences joined by `|`.
    pub rows: Vec<Vec<String>>,
    /// `-z expert`: empty when tshark found nothing to warn about.
    pub expert: String,
}

impl Decoded {
    /// Every occurrence of field `i`, frame after frame.
    pub fn column(&self, i: usize) -> Vec<String> {
        self.rows
            .iter()
            .flat_map(|r| r[i].split('|').filter(|v| !v.is_empty()).map(String::from))
            .collect()
    }
}

fn tshark() -> Command {
    let mut c = Command::new("tshark");
    c.env("LC_ALL", "C").env("TZ", "UTC").stderr(Stdio::piped());
    c
}

/// Decodes a [`capture`] as NetFlow/IPFIX and reads `fields`.
pub fn decode(path: &Path, fields: &[&str]) -> Decoded {
    let decode_as = format!("udp.port=={WIRE_PORT},cflow");
    let mut c = tshark();
    c.args(["-r"])
        .arg(path)
        .args(["-d", &decode_as, "-T", "fields", "-E", "separator=\t"])
        .args(["-E", "occurrence=a", "-E", "aggregator=|"]);
    for f in fields {
        c.args(["-e", f]);
    }
    let o = c.output().expect("tshark runs (./test.sh installs it)");
    assert!(
        o.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    let o = tshark()
        .args(["-r"])
        .arg(path)
        .args(["-d", &decode_as, "-q", "-z", "expert,chat"])
        .output()
        .unwrap();
    Decoded {
        rows,
        expert: String::from_utf8_lossy(&o.stdout).trim().to_string(),
    }
}

/// A running nfcapd writing into its own directory.
pub struct Nfcapd {
    child: Child,
    dir: PathBuf,
    pub port: u16,
}

/// Whether something listens on UDP `port` (from /proc/net/udp).
fn listening(port: u16) -> bool {
    let hex = format!(":{port:04X} ");
    std::fs::read_to_string("/proc/net/udp").is_ok_and(|t| t.lines().any(|l| l.contains(&hex)))
}

impl Nfcapd {
    /// nfcapd listening on [`collector_address`]`(i)`.
    pub fn start(dir: &Path, i: usize) -> Nfcapd {
        std::fs::create_dir_all(dir).unwrap();
        let address = collector_address(i);
        // A free port: bind one, let it go, hand it to nfcapd.
        let port = UdpSocket::bind((address.as_str(), 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("nfcapd")
            .arg("-w")
            .arg(dir)
            .args(["-b", &address, "-p", &port.to_string(), "-t", "3600"])
            .args(["-B", "8000000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nfcapd runs (./test.sh installs nfdump)");
        for _ in 0..2000 {
            if listening(port) {
                break;
            }
            std::thread::yield_now();
        }
        assert!(listening(port), "nfcapd does not listen on {port}");
        Nfcapd {
            child,
            dir: dir.to_path_buf(),
            port,
        }
    }

    /// Stops nfcapd (it writes its file on the way out) and returns its log.
    pub fn stop(self) -> (String, Stopped) {
        // SIGTERM: nfcapd closes its file and prints its statistics.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let o = self.child.wait_with_output().unwrap();
        let log =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        (log, Stopped { dir: self.dir })
    }
}

/// The directory a stopped nfcapd wrote.
pub struct Stopped {
    pub dir: PathBuf,
}

impl Stopped {
    /// `nfdump ARGS -r FILE` on the file nfcapd wrote.
    pub fn dump(&self, args: &[&str]) -> String {
        let file = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("nfcapd.2"))
            })
            .expect("nfcapd wrote a file");
        let o = Command::new("nfdump")
            .env("LC_ALL", "C")
            .arg("-r")
            .arg(&file)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}
