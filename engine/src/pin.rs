//! Workers on CPUs of their own. When the process may use at least as many CPUs as it has
//! workers (and more than one worker), worker `i` is bound to the `i`-th of them. Left to
//! itself, the scheduler starts a thread on its parent's CPU and moves it later, and may move
//! workers between CPUs as other threads wake. Two-worker replays at 1,000 flows, 16 interleaved
//! runs each: shortest 144 vs 152 ms, median 155 vs 160 ms unbound.

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// The CPUs this process may run on (its affinity mask: `taskset`, cgroups), lowest first.
pub fn allowed_cpus() -> Vec<usize> {
    let Ok(set) = sched_getaffinity(Pid::from_raw(0)) else {
        return Vec::new();
    };
    (0..CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect()
}

/// The CPU worker `id` of `workers` is bound to, if workers get CPUs of their own.
pub fn cpu_for(id: usize, workers: usize, allowed: &[usize]) -> Option<usize> {
    if workers < 2 || allowed.len() < workers {
        return None;
    }
    allowed.get(id).copied()
}

/// Binds the calling thread to `cpu`. A refusal leaves it where the scheduler puts it.
pub fn bind_current_thread(cpu: usize) -> nix::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu)?;
    sched_setaffinity(Pid::from_raw(0), &set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_get_cpus_of_their_own_only_when_there_are_enough() {
        let allowed = [2, 5, 7];
        assert_eq!(cpu_for(0, 2, &allowed), Some(2));
        assert_eq!(cpu_for(1, 2, &allowed), Some(5));
        assert_eq!(cpu_for(1, 3, &allowed), Some(5));
        assert_eq!(
            cpu_for(0, 1, &allowed),
            None,
            "one worker: left to the scheduler"
        );
        assert_eq!(
            cpu_for(0, 4, &allowed),
            None,
            "more workers than CPUs: not bound"
        );
        assert_eq!(cpu_for(0, 2, &[]), None);
    }

    #[test]
    fn a_thread_bound_to_an_allowed_cpu_runs_only_there() {
        let allowed = allowed_cpus();
        assert!(!allowed.is_empty(), "the process runs somewhere");
        let cpu = allowed[allowed.len() - 1];
        let seen = std::thread::spawn(move || bind_current_thread(cpu).map(|()| allowed_cpus()))
            .join()
            .map_err(|_| "the thread ran")
            .and_then(|r| r.map_err(|_| "bound"));
        assert_eq!(seen, Ok(vec![cpu]));
    }
}
