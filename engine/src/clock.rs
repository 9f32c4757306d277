//! The engine's time: milliseconds of uptime that stamp flows and drive their expiry. Live
//! engines read a monotonic clock; replays take the time from the capture, so flows keep the
//! timing they had on the wire however fast they are replayed; tests set it by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const UNSET: u64 = u64::MAX;

/// On capture time, the engine "booted" this long before the first packet: no record starts
/// at uptime 0, which NetFlow v9 decoders read as "no time".
pub const CAPTURE_BOOT_LEAD_MS: u64 = 1000;

#[derive(Debug, Clone)]
pub enum Clock {
    /// Monotonic time since the engine started.
    System { start: Instant, wall_start_ms: u64 },
    /// Capture timestamps, counted from the first packet read (shared by the workers).
    Capture { first_ms: Arc<AtomicU64> },
    /// Set by a test.
    Manual(Arc<AtomicU64>),
}

impl Clock {
    pub fn system() -> Clock {
        Clock::System {
            start: Instant::now(),
            wall_start_ms: wall_ms(),
        }
    }

    pub fn capture() -> Clock {
        Clock::Capture {
            first_ms: Arc::new(AtomicU64::new(UNSET)),
        }
    }

    /// The time now, for clocks that do not follow packets (`None` for capture time).
    pub fn now_ms(&self) -> Option<u64> {
        match self {
            Clock::System { start, .. } => Some(start.elapsed().as_millis() as u64),
            Clock::Capture { .. } => None,
            Clock::Manual(t) => Some(t.load(Ordering::Relaxed)),
        }
    }

    /// The uptime of a packet captured at `time_ns` (Unix nanoseconds), for capture time.
    pub fn packet_ms(&self, time_ns: u64) -> Option<u64> {
        let Clock::Capture { first_ms } = self else {
            return None;
        };
        let ms = time_ns / 1_000_000;
        // A plain load first: a locked exchange on every packet would bounce the line between
        // the workers' caches.
        let first = match first_ms.load(Ordering::Relaxed) {
            UNSET => {
                match first_ms.compare_exchange(UNSET, ms, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => ms,
                    Err(first) => first,
                }
            }
            first => first,
        };
        Some(ms.saturating_sub(first) + CAPTURE_BOOT_LEAD_MS)
    }

    /// Capture time: starts the count at a capture's first packet before any is read, so that
    /// readers of its shares (one per worker) count from the same instant. The earliest of
    /// several captures seeded wins.
    pub fn seed(&self, time_ns: u64) {
        if let Clock::Capture { first_ms } = self {
            first_ms.fetch_min(time_ns / 1_000_000, Ordering::Relaxed);
        }
    }

    /// Unix milliseconds at uptime 0: when the engine started, or the first captured packet.
    pub fn boot_unix_ms(&self) -> u64 {
        match self {
            Clock::System { wall_start_ms, .. } => *wall_start_ms,
            Clock::Capture { first_ms } => match first_ms.load(Ordering::Relaxed) {
                UNSET => 0,
                ms => ms - CAPTURE_BOOT_LEAD_MS,
            },
            Clock::Manual(_) => 0,
        }
    }
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_time_counts_from_the_first_packet() {
        let c = Clock::capture();
        assert_eq!(c.now_ms(), None);
        let lead = CAPTURE_BOOT_LEAD_MS;
        assert_eq!(c.packet_ms(1_700_000_000_500_000_000), Some(lead));
        assert_eq!(c.packet_ms(1_700_000_001_750_000_000), Some(lead + 1250));
        assert_eq!(
            c.packet_ms(1_600_000_000_000_000_000),
            Some(lead),
            "earlier: clamped"
        );
        assert_eq!(c.boot_unix_ms(), 1_700_000_000_500 - lead);
    }

    #[test]
    fn a_manual_clock_reads_what_was_set() {
        let t = Arc::new(AtomicU64::new(5));
        let c = Clock::Manual(t.clone());
        t.store(42, Ordering::Relaxed);
        assert_eq!(c.now_ms(), Some(42));
    }
}
