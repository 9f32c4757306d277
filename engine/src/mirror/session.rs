//! Flow mode for mirroring: a session per flow, decided by the security policies on its first
//! packet and kept, found again from either direction. Idle sessions are swept a few at a time.

use hashbrown::HashMap;
use serde::Serialize;

use crate::packet::PacketView;

/// Both directions of a flow find its session by this key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub v6: bool,
    pub src: u128,
    pub dst: u128,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
}

impl SessionKey {
    pub fn of(v: &PacketView) -> SessionKey {
        let t = &v.transport;
        let (src_port, dst_port) = match t.icmp {
            // Echo request and reply: the identifier stands for both ports.
            Some(_) => {
                let id = t.echo_id.unwrap_or(0);
                (id, id)
            }
            None => (t.src_port.unwrap_or(0), t.dst_port.unwrap_or(0)),
        };
        SessionKey {
            v6: v.family == crate::packet::Family::V6,
            src: v.src,
            dst: v.dst,
            src_port,
            dst_port,
            protocol: v.protocol,
        }
    }

    pub fn reverse(&self) -> SessionKey {
        SessionKey {
            v6: self.v6,
            src: self.dst,
            dst: self.src,
            src_port: self.dst_port,
            dst_port: self.src_port,
            protocol: self.protocol,
        }
    }
}

/// What the policies decided for a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Index of the policy and rule that matched (`None`: the default policy).
    pub rule: Option<(u16, u16)>,
    pub permit: bool,
    /// Mirror destinations (indexes into the plan).
    pub mirrors: Vec<u16>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub key: SessionKey,
    pub input: u16,
    pub decision: Decision,
    pub first: u64,
    pub last: u64,
    /// Packets and bytes, forward (as the first packet went) and reverse.
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
}

/// A session as `show security flow session` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    pub src: std::net::IpAddr,
    pub dst: std::net::IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub input: u16,
    pub policy: Option<(u16, u16)>,
    pub permit: bool,
    pub mirrors: Vec<u16>,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub first: u64,
    pub last: u64,
}

/// Most sessions a worker holds; a flow beyond it is decided packet by packet, uncached.
pub const MAX_SESSIONS: usize = 262_144;
/// Idle time after which a session ends (ms).
pub const IDLE_MS: u64 = 60_000;

#[derive(Debug, Default)]
pub struct Sessions {
    /// Key (either direction) → slot and whether the key is the reverse one.
    index: HashMap<SessionKey, (u32, bool)>,
    slots: Vec<Option<Session>>,
    free: Vec<u32>,
    cursor: usize,
    /// Flows decided without a session because the table was full.
    pub uncached: u64,
    pub created: u64,
    pub expired: u64,
    /// IPv4 datagrams whose first fragment was seen: the session their later fragments
    /// (which carry no ports) belong to. The newest [`MAX_FRAGMENTED`], oldest out first.
    fragments: HashMap<FragmentKey, SessionKey>,
    fragment_order: std::collections::VecDeque<FragmentKey>,
}

/// An IPv4 datagram: addresses, protocol and identification.
pub type FragmentKey = (u32, u32, u8, u16);

/// Fragmented datagrams remembered at once, per worker.
pub const MAX_FRAGMENTED: usize = 4096;

/// The datagram an IPv4 fragment belongs to (`None` for unfragmented packets).
pub fn fragment_key(v: &PacketView, ip: &[u8]) -> Option<FragmentKey> {
    let fragmented = v.frag_offset != 0 || v.frag_flags & 1 != 0;
    (fragmented && v.family == crate::packet::Family::V4 && ip.len() >= 6).then(|| {
        (
            v.src as u32,
            v.dst as u32,
            v.protocol,
            u16::from_be_bytes([ip[4], ip[5]]),
        )
    })
}

impl Sessions {
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The session of a packet and whether the packet goes the reverse way.
    #[inline]
    pub fn find(&mut self, key: &SessionKey) -> Option<(&mut Session, bool)> {
        let &(slot, reverse) = self.index.get(key)?;
        let s = self.slots[slot as usize].as_mut()?;
        Some((s, reverse))
    }

    /// The session of the datagram a later fragment belongs to, if its first was seen.
    pub fn fragment_session(&self, f: &FragmentKey) -> Option<SessionKey> {
        self.fragments.get(f).copied()
    }

    /// Remembers the session of a first fragment's datagram.
    pub fn note_first_fragment(&mut self, f: FragmentKey, key: SessionKey) {
        if self.fragments.insert(f, key).is_none() {
            self.fragment_order.push_back(f);
            while self.fragment_order.len() > MAX_FRAGMENTED {
                if let Some(old) = self.fragment_order.pop_front() {
                    self.fragments.remove(&old);
                }
            }
        }
    }

    /// Starts a session; `None` when the table is full (counted).
    pub fn insert(&mut self, s: Session) -> Option<&mut Session> {
        if self.len() >= MAX_SESSIONS {
            self.uncached += 1;
            return None;
        }
        let slot = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        // A key that is its own reverse (a packet from an address and port to themselves)
        // only has the forward entry.
        if s.key.reverse() != s.key {
            self.index.insert(s.key.reverse(), (slot, true));
        }
        self.index.insert(s.key, (slot, false));
        self.created += 1;
        self.slots[slot as usize] = Some(s);
        self.slots[slot as usize].as_mut()
    }

    /// Ends sessions idle since `now - IDLE_MS`, looking at `budget` slots at most.
    pub fn sweep(&mut self, now: u64, budget: usize) {
        for _ in 0..budget.min(self.slots.len()) {
            self.cursor = (self.cursor + 1) % self.slots.len();
            let idle = self.slots[self.cursor]
                .as_ref()
                .is_some_and(|s| s.last + IDLE_MS <= now);
            if idle && let Some(s) = self.slots[self.cursor].take() {
                self.index.remove(&s.key);
                self.index.remove(&s.key.reverse());
                self.free.push(self.cursor as u32);
                self.expired += 1;
            }
        }
    }

    /// Every session held.
    pub fn list(&self) -> Vec<SessionInfo> {
        let ip = |v: u128, v4: bool| -> std::net::IpAddr {
            if v4 {
                std::net::Ipv4Addr::from(v as u32).into()
            } else {
                std::net::Ipv6Addr::from(v).into()
            }
        };
        self.slots
            .iter()
            .flatten()
            .map(|s| {
                let v4 = !s.key.v6;
                SessionInfo {
                    src: ip(s.key.src, v4),
                    dst: ip(s.key.dst, v4),
                    src_port: s.key.src_port,
                    dst_port: s.key.dst_port,
                    protocol: s.key.protocol,
                    input: s.input,
                    policy: s.decision.rule,
                    permit: s.decision.permit,
                    mirrors: s.decision.mirrors.clone(),
                    packets: s.packets,
                    bytes: s.bytes,
                    first: s.first,
                    last: s.last,
                }
            })
            .collect()
    }
}
