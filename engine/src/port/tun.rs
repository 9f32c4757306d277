//! `tun:NAME`: a Linux TUN device carrying IP packets (no packet-information header),
//! non-blocking so one worker serves several ports.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use tun_tap::{Iface, Mode};

use std::sync::Arc;

use super::{Port, PortSender, Rx};

/// A TUN device.
pub struct TunPort {
    iface: Arc<Iface>,
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
        Ok(TunPort {
            iface: Arc::new(iface),
        })
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

    fn sender(&self) -> Option<Arc<dyn PortSender>> {
        Some(Arc::new(IfaceSender(self.iface.clone())))
    }

    fn fd(&self) -> Option<RawFd> {
        Some(self.iface.as_raw_fd())
    }

    fn describe(&self) -> String {
        format!("tun:{}", self.iface.name())
    }
}

/// The sending side of a TUN or TAP device: the device is safe to write from any thread.
pub struct IfaceSender(pub Arc<Iface>);

impl std::fmt::Debug for IfaceSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IfaceSender({})", self.0.name())
    }
}

impl PortSender for IfaceSender {
    fn send(&self, packet: &[u8]) -> io::Result<()> {
        self.0.send(packet).map(|_| ())
    }
}
