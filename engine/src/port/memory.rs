//! In-memory ports for tests: the test holds a handle to push packets in and take what left.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};

use super::{Port, PortSender, Rx};

#[derive(Debug, Default)]
struct Queues {
    rx: VecDeque<Vec<u8>>,
    tx: Vec<Vec<u8>>,
}

/// The test's side of a memory port.
#[derive(Debug, Clone, Default)]
pub struct MemoryHandle(Arc<Mutex<Queues>>);

impl MemoryHandle {
    pub fn push(&self, packet: Vec<u8>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rx
            .push_back(packet);
    }

    /// Everything the engine sent out of the port so far.
    pub fn take_sent(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()).tx)
    }

    pub fn pending(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).rx.len()
    }

    pub fn port(&self) -> MemoryPort {
        MemoryPort(self.clone())
    }
}

/// The engine's side of a memory port.
#[derive(Debug)]
pub struct MemoryPort(MemoryHandle);

impl Port for MemoryPort {
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Rx> {
        let mut q = (self.0).0.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match q.rx.pop_front() {
            Some(p) => {
                let len = p.len().min(buf.len());
                buf[..len].copy_from_slice(&p[..len]);
                Rx::Packet { len, time_ns: None }
            }
            None => Rx::Empty,
        })
    }

    fn sender(&self) -> Option<Arc<dyn PortSender>> {
        Some(Arc::new(self.0.clone()))
    }

    fn describe(&self) -> String {
        "memory".to_string()
    }
}

impl PortSender for MemoryHandle {
    fn send(&self, packet: &[u8]) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .tx
            .push(packet.to_vec());
        Ok(())
    }
}
