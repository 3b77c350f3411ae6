//! Random exploration: a seeded schedule that searches for failing interleavings by chance.
//!
//! This module owns [`Random`], the `random` policy: a uniformly random ready process at
//! every dispatch, and a coin at every scheduling point ([`super`], "Exploring policies")
//! that preempts the running process with a fixed probability, so that interleavings are
//! explored at syscall granularity. Every choice comes from the run's seed through [`Rng`],
//! so a seed names one schedule exactly. It never blocks, wakes or charges anything, and
//! never panics: an empty queue picks nobody.

use super::rng::Rng;
use super::{ReadyInfo, Scheduler};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::vec::Vec;

/// Random exploration: a uniformly random ready process at every dispatch, and a preemption
/// with probability `preempt_percent`% at every scheduling point.
///
/// There is no quantum: preemption comes from the coin alone, so a process computing a long
/// burst is only ever preempted where a piece of it ends (at a timer), and a run under
/// `preempt_percent = 0` switches processes only when one blocks, sleeps, yields or exits.
#[derive(Debug)]
pub struct Random {
    rng: Rng,
    preempt_percent: u8,
    /// The ready processes. Their order is irrelevant (every pick is uniform), so a pick
    /// swaps the last one into the hole: O(1).
    ready: Vec<Pid>,
}

impl Random {
    /// Random choices drawn from `seed`; a preemption at each scheduling point with
    /// probability `preempt_percent`% (100 or more: always).
    pub fn new(seed: u64, preempt_percent: u8) -> Self {
        Random {
            rng: Rng::new(seed),
            preempt_percent,
            ready: Vec::new(),
        }
    }
}

impl Scheduler for Random {
    fn hears_stops(&self) -> bool {
        false
    }
    fn name(&self) -> &'static str {
        "random"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.ready.push(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        if self.ready.is_empty() {
            return None;
        }
        let i = self.rng.below(self.ready.len() as u64) as usize;
        Some(self.ready.swap_remove(i))
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.ready.len()
    }
    fn should_preempt(&mut self, _cpu: CpuId, _running: Pid, _now: Ticks) -> bool {
        !self.ready.is_empty() && self.rng.chance(u64::from(self.preempt_percent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    use crate::sched::test_support::{pid, ready};

    fn picks(s: &mut dyn Scheduler, n: u32) -> Vec<Pid> {
        for i in 0..n {
            s.spawned(pid(i), "p");
            s.enqueue(ready(i));
        }
        core::iter::from_fn(|| s.pick(0, 0)).collect()
    }

    #[test]
    fn random_picks_every_ready_process_once_in_an_order_fixed_by_the_seed() {
        let a = picks(&mut Random::new(7, 0), 8);
        assert_eq!(a, picks(&mut Random::new(7, 0), 8), "same seed, same order");
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..8).map(pid).collect::<Vec<_>>());
        let orders: BTreeSet<Vec<Pid>> =
            (0..20).map(|s| picks(&mut Random::new(s, 0), 8)).collect();
        assert!(orders.len() > 15, "seeds give different orders");
        assert_eq!(Random::new(0, 50).quantum(pid(0)), None);
    }

    #[test]
    fn random_preempts_at_about_its_percentage_and_never_alone() {
        let mut r = Random::new(3, 30);
        assert!(!r.should_preempt(0, pid(0), 0), "nobody else is ready");
        r.enqueue(ready(1));
        let hits = (0..10_000)
            .filter(|_| r.should_preempt(0, pid(0), 0))
            .count();
        assert!((2_700..=3_300).contains(&hits), "{hits}");
        let mut never = Random::new(3, 0);
        never.enqueue(ready(1));
        assert!((0..100).all(|_| !never.should_preempt(0, pid(0), 0)));
    }
}
