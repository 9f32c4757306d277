//! Ports: where a configured interface's packets come from and go to. Backends: `tun:NAME`
//! (a TUN device, IP packets), `tap:NAME` (a TAP device, Ethernet frames), `pcap:FILE` (replay a capture), `pcap-out:FILE` (record what
//! leaves), and in-memory queues for tests.

mod block;
mod device;
mod memory;
mod pcap;

use std::io;
use std::os::fd::RawFd;
use std::path::PathBuf;

pub use device::{DevicePort, IfaceSender};
pub use memory::{MemoryHandle, MemoryPort};
pub use pcap::{CaptureWriter, PcapIn, PcapOut, Recorder, write_capture, write_timed_capture};

/// The largest packet a port reads.
pub const MAX_PACKET: usize = 65_536;

/// What a read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rx {
    /// A packet of this many bytes, with its capture time in nanoseconds when it has one.
    Packet { len: usize, time_ns: Option<u64> },
    /// Nothing waiting now.
    Empty,
    /// Nothing will ever come (a capture read to its end).
    Closed,
}

/// Sends packets out of a port; any worker may use it at any time.
pub trait PortSender: Send + Sync {
    fn send(&self, packet: &[u8]) -> io::Result<()>;
}

/// A packet source bound to one interface, read by the worker that owns it; its sender is
/// shared with every worker.
pub trait Port: Send {
    /// Reads one packet without blocking.
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Rx>;
    /// The port's sending side (`None` for ports that only receive, like a replayed capture).
    fn sender(&self) -> Option<std::sync::Arc<dyn PortSender>>;
    /// The descriptor to wait on, for ports that have one.
    fn fd(&self) -> Option<RawFd> {
        None
    }
    /// `tun:ftun0`, `pcap:in.pcap`.
    fn describe(&self) -> String;
    /// Whether packets come in through this port (a recording port only sends).
    fn is_input(&self) -> bool {
        true
    }
    /// Whether the port carries Ethernet frames rather than IP packets.
    fn ethernet(&self) -> bool {
        false
    }
    /// A replayed capture's first packet time (Unix nanoseconds), where capture time starts.
    fn first_time_ns(&self) -> Option<u64> {
        None
    }
}

/// A port as `--port IFACE=BACKEND` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Tun(String),
    /// A TAP device: Ethernet frames, ARP.
    Tap(String),
    Pcap(PathBuf),
    /// A capture replayed at its own pace (`flowsh replay --pace`).
    PcapPaced(PathBuf),
    PcapOut(PathBuf),
}

/// Why a port could not be opened: the message names the port and the reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("port {interface} ({backend}): {reason}")]
pub struct PortError {
    pub interface: String,
    pub backend: String,
    pub reason: String,
}

/// Parses `ge-0/0/0=tun:ftun0`.
pub fn parse_binding(s: &str) -> Result<(String, Backend), String> {
    let (iface, backend) = s.split_once('=').ok_or_else(|| {
        format!("'{s}': expected IFACE=BACKEND (tun:NAME, tap:NAME, pcap:FILE or pcap-out:FILE)")
    })?;
    let (kind, arg) = backend.split_once(':').ok_or_else(|| {
        format!("'{backend}': expected tun:NAME, tap:NAME, pcap:FILE or pcap-out:FILE")
    })?;
    if iface.is_empty() || arg.is_empty() {
        return Err(format!(
            "'{s}': interface and backend argument are required"
        ));
    }
    let b = match kind {
        "tun" => Backend::Tun(arg.to_string()),
        "tap" => Backend::Tap(arg.to_string()),
        "pcap" => Backend::Pcap(PathBuf::from(arg)),
        "pcap-out" => Backend::PcapOut(PathBuf::from(arg)),
        other => {
            return Err(format!(
                "'{other}': unknown port backend (tun, tap, pcap, pcap-out)"
            ));
        }
    };
    Ok((iface.to_string(), b))
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Tun(n) => write!(f, "tun:{n}"),
            Backend::Tap(n) => write!(f, "tap:{n}"),
            Backend::Pcap(p) | Backend::PcapPaced(p) => write!(f, "pcap:{}", p.display()),
            Backend::PcapOut(p) => write!(f, "pcap-out:{}", p.display()),
        }
    }
}

/// Opens a backend for an interface.
pub fn open(interface: &str, backend: &Backend) -> Result<Box<dyn Port>, PortError> {
    let err = |e: io::Error| PortError {
        interface: interface.to_string(),
        backend: backend.to_string(),
        reason: match e.kind() {
            io::ErrorKind::PermissionDenied => {
                format!("{e} (TUN devices need root or CAP_NET_ADMIN)")
            }
            _ => e.to_string(),
        },
    };
    Ok(match backend {
        Backend::Tun(name) => Box::new(DevicePort::open(name, tun_tap::Mode::Tun).map_err(err)?),
        Backend::Tap(name) => Box::new(DevicePort::open(name, tun_tap::Mode::Tap).map_err(err)?),
        Backend::Pcap(path) => Box::new(PcapIn::open(path).map_err(err)?),
        Backend::PcapPaced(path) => Box::new(PcapIn::open(path).map_err(err)?.paced()),
        Backend::PcapOut(path) => Box::new(PcapOut::create(path).map_err(err)?),
    })
}

/// Opens a backend for `readers` workers: a replayed capture gets a reader per worker, each
/// taking its share of the flows; other backends are read by one worker.
pub fn open_shared(
    interface: &str,
    backend: &Backend,
    readers: usize,
) -> Result<Vec<Box<dyn Port>>, PortError> {
    let count = readers.max(1) as u32;
    match backend {
        Backend::Pcap(path) | Backend::PcapPaced(path) if count > 1 => {
            let shards = PcapIn::open_shards(path, count).map_err(|e| PortError {
                interface: interface.to_string(),
                backend: backend.to_string(),
                reason: e.to_string(),
            })?;
            let paced = matches!(backend, Backend::PcapPaced(_));
            Ok(shards
                .into_iter()
                .map(|p| {
                    if paced {
                        Box::new(p.paced()) as Box<dyn Port>
                    } else {
                        Box::new(p)
                    }
                })
                .collect())
        }
        _ => Ok(vec![open(interface, backend)?]),
    }
}

/// Waits until one of `fds` is readable or `timeout_ms` passes.
#[allow(unsafe_code)]
pub fn wait_readable(fds: &[RawFd], timeout_ms: i32) {
    let mut polls: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `polls` is a live, correctly sized array of pollfd for the duration of the call,
    // and poll(2) only writes the `revents` fields inside it.
    unsafe {
        libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, timeout_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_binding("ge-0/0/0=tun:ftun0"),
            Ok(("ge-0/0/0".into(), Backend::Tun("ftun0".into())))
        );
        assert_eq!(
            parse_binding("ge-0/0/1=pcap:in.pcap"),
            Ok(("ge-0/0/1".into(), Backend::Pcap("in.pcap".into())))
        );
        assert!(
            parse_binding("ge-0/0/0")
                .unwrap_err()
                .contains("IFACE=BACKEND")
        );
        assert!(
            parse_binding("ge-0/0/0=wire:x")
                .unwrap_err()
                .contains("unknown port backend")
        );
    }

    #[test]
    fn a_port_that_cannot_open_names_itself_and_the_reason() {
        let e = open("ge-0/0/9", &Backend::Pcap("/nonexistent/x.pcap".into()))
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("port ge-0/0/9 (pcap:/nonexistent/x.pcap): "),
            "{e}"
        );
    }
}
