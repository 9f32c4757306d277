//! `tun:NAME` and `tap:NAME`: Linux TUN (IP packets) and TAP (Ethernet frames) devices,
//! without the packet-information header, non-blocking so one worker serves several ports.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use tun_tap::{Iface, Mode};

use super::{Port, PortSender, Rx};

/// A TUN or TAP device.
pub struct DevicePort {
    iface: Arc<Iface>,
}

impl std::fmt::Debug for DevicePort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevicePort({})", self.describe())
    }
}

impl DevicePort {
    /// Creates (or attaches to) the device `name`.
    pub fn open(name: &str, mode: Mode) -> io::Result<DevicePort> {
        let iface = Iface::without_packet_info(name, mode)?;
        iface.set_non_blocking()?;
        Ok(DevicePort {
            iface: Arc::new(iface),
        })
    }

    pub fn name(&self) -> &str {
        self.iface.name()
    }
}

impl Port for DevicePort {
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
        let kind = if self.ethernet() { "tap" } else { "tun" };
        format!("{kind}:{}", self.iface.name())
    }

    fn ethernet(&self) -> bool {
        self.iface.mode() == Mode::Tap
    }
}

/// The sending side of a device: it is safe to write from any thread.
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
