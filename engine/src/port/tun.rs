//! `tun:NAME`: a Linux TUN device carrying IP packets (no packet-information header),
//! non-blocking so one worker serves several ports.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use tun_tap::{Iface, Mode};

use super::{Port, Rx};

/// A TUN device.
pub struct TunPort {
    iface: Iface,
}

impl std::fmt::Debug for TunPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TunPort({})", self.iface.name())
    }
}

impl TunPort {
    /// Creates (or attaches to) the TUN device `name`.
    pub fn open(name: &str) -> io::Result<TunPort> {
        let iface = Iface::without_packet_info(name, Mode::Tun)?;
        iface.set_non_blocking()?;
        Ok(TunPort { iface })
    }

    pub fn name(&self) -> &str {
        self.iface.name()
    }
}

impl Port for TunPort {
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Rx> {
        match self.iface.recv(buf) {
            Ok(len) => Ok(Rx::Packet { len, time_ns: None }),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Rx::Empty),
            Err(e) => Err(e),
        }
    }

    fn send(&mut self, packet: &[u8]) -> io::Result<()> {
        self.iface.send(packet).map(|_| ())
    }

    fn fd(&self) -> Option<RawFd> {
        Some(self.iface.as_raw_fd())
    }

    fn describe(&self) -> String {
        format!("tun:{}", self.iface.name())
    }
}
