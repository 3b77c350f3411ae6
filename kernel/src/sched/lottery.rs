//! Lottery scheduling (Waldspurger and Weihl, OSDI 1994).
//!
//! This module owns the run queue, each queued process's tickets, and the seeded
//! [`Rng`] the draws come from. At every pick it draws one ticket uniformly among all the
//! tickets of the queued processes, and the holder runs for one quantum; over many draws a
//! process gets the CPU in proportion to its tickets. It never draws from anything but the
//! run's seed, so the same seed gives the same schedule.
//!
//! **Tickets = priority + 1**: a process of priority 0 (the default) holds one ticket, one
//! of priority 255 holds 256, so every process can win and none is shut out. The queue is
//! kept in arrival order and the winning ticket is found by walking it, so the draw depends
//! only on the seed and on what the kernel told the policy, never on addresses or hashing.

use super::rng::Rng;
use super::{ReadyInfo, Scheduler};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::vec::Vec;

/// A process's tickets at its priority.
pub const fn tickets(priority: u8) -> u64 {
    priority as u64 + 1
}

/// Lottery scheduling with a quantum.
#[derive(Debug)]
pub struct Lottery {
    rng: Rng,
    quantum: Ticks,
    /// Queued processes and their tickets, in arrival order.
    queue: Vec<(Pid, u64)>,
    /// The sum of the queued tickets.
    total: u64,
}

impl Lottery {
    /// Lottery scheduling drawing from `seed`, each winner running `quantum` ticks (at
    /// least 1).
    pub fn new(seed: u64, quantum: Ticks) -> Self {
        Lottery {
            rng: Rng::new(seed),
            quantum: quantum.max(1),
            queue: Vec::new(),
            total: 0,
        }
    }
}

impl Scheduler for Lottery {
    fn may_preempt(&self) -> bool {
        false
    }
    fn hears_stops(&self) -> bool {
        false
    }
    fn name(&self) -> &'static str {
        "lottery"
    }

    fn enqueue(&mut self, info: ReadyInfo) {
        let t = tickets(info.priority);
        self.queue.push((info.pid, t));
        self.total += t;
    }

    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        if self.queue.is_empty() {
            return None;
        }
        // One draw per pick, even with a single process queued, so that the stream of
        // draws depends only on how many picks there were.
        let mut ticket = self.rng.below(self.total);
        let mut winner = self.queue.len() - 1;
        for (i, (_, t)) in self.queue.iter().enumerate() {
            if ticket < *t {
                winner = i;
                break;
            }
            ticket -= t;
        }
        let (pid, t) = self.queue.remove(winner);
        self.total -= t;
        Some(pid)
    }

    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        Some(self.quantum)
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    fn reprioritize(&mut self, pid: Pid, priority: u8) {
        for (p, t) in &mut self.queue {
            if *p == pid {
                self.total = self.total - *t + tickets(priority);
                *t = tickets(priority);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::ReadyReason;

    fn ready(i: u32, priority: u8) -> ReadyInfo {
        ReadyInfo {
            pid: Pid::new(i, 0),
            priority,
            reason: ReadyReason::Spawned,
            now: 0,
            last_cpu: None,
            expected_burst: None,
        }
    }

    /// How often each of processes 0..n with these priorities wins, over `draws` picks
    /// (the winner goes straight back into the queue, as after a quantum).
    fn wins(seed: u64, priorities: &[u8], draws: usize) -> Vec<usize> {
        let mut s = Lottery::new(seed, 10);
        for (i, p) in priorities.iter().enumerate() {
            s.enqueue(ready(i as u32, *p));
        }
        let mut wins = alloc::vec![0; priorities.len()];
        for _ in 0..draws {
            let pid = s.pick(0, 0).unwrap();
            wins[pid.index() as usize] += 1;
            s.enqueue(ready(pid.index(), priorities[pid.index() as usize]));
        }
        wins
    }

    #[test]
    fn wins_are_proportional_to_tickets() {
        // Tickets 1, 2, 4, 8 (priorities 0, 1, 3, 7): expected shares 1/15, 2/15, 4/15,
        // 8/15 of 15 000 draws = 1000, 2000, 4000, 8000. With a fixed seed the counts are
        // fixed too; each is within 5% of its expectation.
        let w = wins(2024, &[0, 1, 3, 7], 15_000);
        for (got, want) in w.iter().zip([1000, 2000, 4000, 8000]) {
            assert!(got.abs_diff(want) * 20 <= want, "{w:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_draws_and_another_seed_others() {
        assert_eq!(wins(7, &[0, 0, 0], 50), wins(7, &[0, 0, 0], 50));
        let order = |seed| {
            let mut s = Lottery::new(seed, 3);
            (0..8).for_each(|i| s.enqueue(ready(i, 0)));
            core::iter::from_fn(|| s.pick(0, 0)).collect::<Vec<_>>()
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        assert_eq!(order(1).len(), 8, "every queued process is drawn once");
    }

    #[test]
    fn tickets_are_priority_plus_one_and_reprioritize_changes_them() {
        assert_eq!(tickets(0), 1);
        assert_eq!(tickets(255), 256);
        let mut s = Lottery::new(0, 5);
        assert_eq!(s.quantum(Pid::new(0, 0)), Some(5));
        s.enqueue(ready(0, 0));
        s.enqueue(ready(1, 9));
        assert_eq!(s.total, 11);
        s.reprioritize(Pid::new(1, 0), 0);
        assert_eq!(s.total, 2);
        assert_eq!(s.len(), 2);
        s.pick(0, 0);
        s.pick(0, 0);
        assert_eq!((s.total, s.pick(0, 0)), (0, None));
    }
}
