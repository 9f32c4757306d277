//! `tap:NAME`: a Linux TAP device carrying Ethernet frames (ARP and framing in `crate::l2`).

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use tun_tap::{Iface, Mode};

use std::sync::Arc;

use super::tun::IfaceSender;
use super::{Port, PortSender, Rx};

/// A TAP device.
pub struct TapPort {
    iface: Arc<Iface>,
}

impl std::fmt::Debug for TapPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TapPort({})", self.iface.name())
    }
}

impl TapPort {
    pub fn open(name: &str) -> io::Result<TapPort> {
        let iface = Iface::without_packet_info(name, Mode::Tap)?;
        iface.set_non_blocking()?;
        Ok(TapPort {
            iface: Arc::new(iface),
        })
    }
}

impl Port for TapPort {
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
        format!("tap:{}", self.iface.name())
    }

    fn ethernet(&self) -> bool {
        true
    }
}
