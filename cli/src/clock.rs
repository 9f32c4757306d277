//! Time, injected: the system clock, or for tests a file holding Unix seconds
//! (`FLOWSH_CLOCK_FILE`), so `commit confirmed` expiry is tested without sleeping.

use std::path::PathBuf;
use std::sync::Arc;

/// Seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock read from a file each time, so another process can move it.
#[derive(Debug)]
pub struct FileClock(pub PathBuf);

impl Clock for FileClock {
    fn now(&self) -> i64 {
        std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// A clock tests set by hand.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct ManualClock(pub std::sync::atomic::AtomicI64);

#[cfg(test)]
impl ManualClock {
    pub fn new(t: i64) -> Arc<Self> {
        Arc::new(ManualClock(std::sync::atomic::AtomicI64::new(t)))
    }
    pub fn set(&self, t: i64) {
        self.0.store(t, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The clock the process uses: `FLOWSH_CLOCK_FILE` if set, else the system clock.
pub fn from_env() -> Arc<dyn Clock> {
    match std::env::var_os("FLOWSH_CLOCK_FILE") {
        Some(p) => Arc::new(FileClock(PathBuf::from(p))),
        None => Arc::new(SystemClock),
    }
}

/// Junos time stamps: `2026-01-01 12:00:00 UTC`.
pub fn format_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("@{t}"))
}

/// `12:00:01` for `show cli history`.
pub fn format_clock(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}
