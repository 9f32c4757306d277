//! Junos packet sampling: 1 in `rate` candidates, deterministically (every `rate`-th), then the
//! next `run-length` candidates too; at most `max-packets-per-second` samples in each second.
//! The trigger count runs on during a run, so `rate 100 run-length 2` takes 3 of every 100.

use flowsh_grammar::model::SamplingInput;
use serde::Serialize;

/// What a sampler saw and took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SamplerStats {
    /// Candidate packets offered.
    pub candidates: u64,
    pub sampled: u64,
    /// Selected, but over `max-packets-per-second`.
    pub rate_limited: u64,
}

#[derive(Debug, Clone)]
pub struct Sampler {
    rate: u32,
    run_length: u32,
    /// Samples per second allowed (0: no limit).
    max_pps: u32,
    /// Candidates left until the next selected one.
    countdown: u32,
    /// Candidates still taken after the last selected one.
    run_left: u32,
    second: u64,
    taken_this_second: u32,
    pub stats: SamplerStats,
}

impl Sampler {
    /// `shares`: the workers the limit is shared between (each gets its part of it).
    pub fn new(input: &SamplingInput, shares: u32) -> Sampler {
        let rate = input.rate.max(1);
        Sampler {
            rate,
            run_length: input.run_length,
            max_pps: if input.max_packets_per_second == 0 {
                0
            } else {
                input.max_packets_per_second.div_ceil(shares.max(1))
            },
            countdown: rate,
            run_left: 0,
            second: u64::MAX,
            taken_this_second: 0,
            stats: SamplerStats::default(),
        }
    }

    /// Keeps the position in the sequence when a commit changes the settings.
    pub fn reconfigure(&mut self, input: &SamplingInput, shares: u32) {
        let stats = self.stats;
        let fresh = Sampler::new(input, shares);
        if fresh.rate == self.rate && fresh.run_length == self.run_length {
            self.max_pps = fresh.max_pps;
        } else {
            *self = fresh;
            self.stats = stats;
        }
    }

    /// Whether this candidate is sampled, at `now_ms`.
    #[inline]
    pub fn take(&mut self, now_ms: u64) -> bool {
        self.stats.candidates += 1;
        // The 1-in-N count goes on during a run: (1 + run-length) of every N candidates.
        self.countdown -= 1;
        let selected = if self.countdown == 0 {
            self.countdown = self.rate;
            self.run_left = self.run_length;
            true
        } else if self.run_left > 0 {
            self.run_left -= 1;
            true
        } else {
            false
        };
        if !selected {
            return false;
        }
        if self.max_pps != 0 {
            let second = now_ms / 1000;
            if second != self.second {
                self.second = second;
                self.taken_this_second = 0;
            }
            if self.taken_this_second >= self.max_pps {
                self.stats.rate_limited += 1;
                return false;
            }
            self.taken_this_second += 1;
        }
        self.stats.sampled += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rate: u32, run_length: u32, max_pps: u32) -> SamplingInput {
        SamplingInput {
            rate,
            run_length,
            max_packets_per_second: max_pps,
            maximum_packet_length: None,
        }
    }

    fn taken(s: &mut Sampler, n: u64, ms_per_packet: u64) -> Vec<u64> {
        (0..n).filter(|&i| s.take(i * ms_per_packet)).collect()
    }

    #[test]
    fn one_in_n_takes_every_nth_candidate() {
        let mut s = Sampler::new(&input(100, 0, 0), 1);
        let got = taken(&mut s, 1_000_000, 0);
        assert_eq!(got.len(), 10_000);
        assert!(got.iter().all(|i| (i + 1) % 100 == 0));
        assert_eq!(s.stats.candidates, 1_000_000);
    }

    #[test]
    fn run_length_takes_the_next_m_candidates_too() {
        let mut s = Sampler::new(&input(10, 3, 0), 1);
        let got = taken(&mut s, 25, 0);
        assert_eq!(got, [9, 10, 11, 12, 19, 20, 21, 22]);
        let mut long = Sampler::new(&input(1000, 20, 0), 1);
        assert_eq!(taken(&mut long, 1_000_020, 0).len(), 1000 * 21);
    }

    #[test]
    fn rate_one_takes_everything() {
        let mut s = Sampler::new(&input(1, 0, 0), 1);
        assert_eq!(taken(&mut s, 5000, 0).len(), 5000);
    }

    #[test]
    fn max_packets_per_second_caps_each_second() {
        // 10,000 candidates a second for 10 seconds, all selected, 1,000 a second allowed.
        let mut s = Sampler::new(&input(1, 0, 1000), 1);
        let got = taken(&mut s, 100_000, 0);
        assert_eq!(got.len(), 1000, "one second: capped");
        let mut s = Sampler::new(&input(1, 0, 1000), 1);
        let got: Vec<u64> = (0..100_000u64).filter(|&i| s.take(i / 10)).collect();
        assert_eq!(got.len(), 10_000);
        assert_eq!(s.stats.rate_limited, 90_000);
        // Two workers share the limit.
        let mut half = Sampler::new(&input(1, 0, 1000), 2);
        assert_eq!(taken(&mut half, 10_000, 0).len(), 500);
    }

    #[test]
    fn a_commit_with_the_same_rate_keeps_the_sequence() {
        let mut s = Sampler::new(&input(10, 0, 0), 1);
        taken(&mut s, 5, 0);
        s.reconfigure(&input(10, 0, 500), 1);
        assert_eq!(taken(&mut s, 10, 0), [4]);
        s.reconfigure(&input(3, 0, 0), 1);
        assert_eq!(taken(&mut s, 6, 0), [2, 5]);
        assert_eq!(s.stats.candidates, 21);
    }
}
