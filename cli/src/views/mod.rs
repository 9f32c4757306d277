//! Junos-style text views of the engine's state, one module per command family.

pub mod accounting;
pub mod firewall;
pub mod interfaces;
pub mod mirror;
pub mod route;

/// `00:01:02`, or `1d 02:03:04` past a day, as Junos prints route ages.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}
