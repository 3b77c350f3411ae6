//! Per-CPU run queues: one inner scheduler per CPU behind the one [`Scheduler`] the kernel
//! talks to.
//!
//! This module owns where a ready process waits: [`PerCpu`] enqueues it on the CPU it last
//! ran on (cache affinity), or, for a process that has never run, on the CPU with the
//! shortest queue (ties: the lowest id); a CPU picks from its own queue only, and, with
//! migration on, steals from the longest other queue (ties: the lowest id) when its own is
//! empty. What a queue does inside (FIFO, priorities, lotteries) is the inner policy's
//! business: each CPU's queue is a whole scheduler built from the same
//! [`Policy`](super::Policy), each with its own seed ([`cpu_seed`]).
//!
//! It never decides anything the inner policies decide (order within a queue, quanta,
//! preemption), never blocks, wakes or charges, and never panics: a CPU id past the last
//! queue has an empty queue of its own.
//!
//! At the end of a quantum only this CPU's own queue counts as "someone else is ready"
//! ([`Scheduler::has_waiting`]): a preempted process goes back to its own queue.

use super::rng::Rng;
use super::{ReadyInfo, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// The seed of CPU `cpu`'s inner scheduler, derived from the run's seed: CPU 0 keeps the
/// run's seed itself, so one CPU with per-CPU queues runs exactly as one global queue does;
/// every other CPU gets a distinct one, the run's seed's stream `cpu`
/// ([`Rng::derive_seed`]).
pub fn cpu_seed(seed: u64, cpu: CpuId) -> u64 {
    if cpu == 0 {
        return seed;
    }
    Rng::derive_seed(seed, u64::from(cpu))
}

/// One run queue per CPU, each an inner scheduler of the same policy.
pub struct PerCpu {
    queues: Vec<Box<dyn Scheduler>>,
    migration: bool,
    /// The CPU whose inner scheduler a process belongs to now: the queue it waits in, or
    /// the CPU it runs on. Ordered, so nothing about it depends on hashing.
    home: BTreeMap<Pid, CpuId>,
}

impl PerCpu {
    /// `cpus` queues (at least one), the one of CPU `c` built by `build(c)`; with
    /// `migration`, a CPU whose queue is empty steals from the longest other one.
    pub fn new(
        cpus: u32,
        migration: bool,
        mut build: impl FnMut(CpuId) -> Box<dyn Scheduler>,
    ) -> PerCpu {
        let cpus = cpus.max(1);
        let queues: Vec<Box<dyn Scheduler>> = (0..cpus).map(&mut build).collect();
        PerCpu {
            queues,
            migration,
            home: BTreeMap::new(),
        }
    }

    /// How many processes wait in each CPU's queue, by CPU.
    pub fn lengths(&self) -> Vec<usize> {
        self.queues.iter().map(|q| q.len()).collect()
    }

    /// Whether an idle CPU steals from the others.
    pub fn migration(&self) -> bool {
        self.migration
    }

    /// The number of queues (CPUs).
    pub fn cpus(&self) -> usize {
        self.queues.len()
    }

    /// The queue a new process joins: the shortest, ties to the lowest id.
    fn shortest(&self) -> usize {
        (0..self.queues.len())
            .min_by_key(|&c| (self.queues[c].len(), c))
            .unwrap_or(0)
    }

    /// The inner scheduler `pid` belongs to now.
    fn home_of(&self, pid: Pid) -> usize {
        self.home
            .get(&pid)
            .map_or(0, |&c| c as usize)
            .min(self.queues.len().saturating_sub(1))
    }

    /// Take a process from `from`'s queue for `cpu`.
    fn take(&mut self, from: usize, cpu: CpuId, now: Ticks) -> Option<Pid> {
        let pid = self.queues.get_mut(from)?.pick(cpu, now);
        if let Some(pid) = pid {
            self.home.insert(pid, cpu);
        }
        pid
    }
}

impl Scheduler for PerCpu {
    fn name(&self) -> &'static str {
        self.queues.first().map_or("rr", |q| q.name())
    }

    fn enqueue(&mut self, info: ReadyInfo) {
        let n = self.queues.len();
        let target = match info.last_cpu {
            Some(c) if (c as usize) < n => c as usize,
            _ => self.shortest(),
        };
        self.home.insert(info.pid, target as CpuId);
        self.queues[target].enqueue(info);
    }

    fn pick(&mut self, cpu: CpuId, now: Ticks) -> Option<Pid> {
        let own = cpu as usize;
        if own < self.queues.len() && !self.queues[own].is_empty() {
            return self.take(own, cpu, now);
        }
        if !self.migration {
            return None;
        }
        // Steal from the longest other queue, ties to the lowest id; a queue that turns out
        // to hold only stale entries gives way to the next.
        let mut victims: Vec<usize> = (0..self.queues.len())
            .filter(|&c| c != own && !self.queues[c].is_empty())
            .collect();
        victims.sort_by_key(|&c| (core::cmp::Reverse(self.queues[c].len()), c));
        victims.into_iter().find_map(|c| self.take(c, cpu, now))
    }

    fn quantum(&self, pid: Pid) -> Option<Ticks> {
        self.queues.get(self.home_of(pid))?.quantum(pid)
    }

    fn len(&self) -> usize {
        self.queues.iter().map(|q| q.len()).sum()
    }

    fn has_waiting(&self, cpu: CpuId) -> bool {
        self.queues.get(cpu as usize).is_some_and(|q| !q.is_empty())
    }

    fn may_preempt(&self) -> bool {
        self.queues.iter().any(|q| q.may_preempt())
    }

    fn hears_stops(&self) -> bool {
        // It keeps each process's home up to date when one exits.
        true
    }

    fn stopped(&mut self, pid: Pid, ran: Ticks, why: StopReason) {
        let home = self.home_of(pid);
        if let Some(q) = self.queues.get_mut(home) {
            q.stopped(pid, ran, why);
        }
        if why == StopReason::Exited {
            self.home.remove(&pid);
        }
    }

    fn should_preempt(&mut self, cpu: CpuId, running: Pid, now: Ticks) -> bool {
        // Only a process waiting in this CPU's own queue can take the CPU over: a preempted
        // process goes back to its own queue and would be picked again at once.
        match self.queues.get_mut(cpu as usize) {
            Some(q) if !q.is_empty() => q.should_preempt(cpu, running, now),
            _ => false,
        }
    }

    fn reprioritize(&mut self, pid: Pid, priority: u8) {
        // Every inner policy hears it: a policy may remember priorities of processes that
        // are not in its queue now (the one running on its CPU, say).
        for q in &mut self.queues {
            q.reprioritize(pid, priority);
        }
    }

    fn spawned(&mut self, pid: Pid, name: &str) {
        for q in &mut self.queues {
            q.spawned(pid, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::{Policy, ReadyReason};

    fn pid(i: u32) -> Pid {
        Pid::new(i, 0)
    }

    fn ready(i: u32, last_cpu: Option<CpuId>) -> ReadyInfo {
        ReadyInfo {
            pid: pid(i),
            priority: 0,
            reason: ReadyReason::Spawned,
            now: 0,
            last_cpu,
            expected_burst: None,
        }
    }

    fn rr(cpus: u32, migration: bool) -> PerCpu {
        PerCpu::new(cpus, migration, |c| Policy::default().build(cpu_seed(7, c)))
    }

    #[test]
    fn new_processes_go_to_the_shortest_queue_ties_lowest_id() {
        let mut s = rr(3, false);
        for i in 0..5 {
            s.enqueue(ready(i, None));
        }
        assert_eq!(s.lengths(), [2, 2, 1]);
        assert_eq!(s.pick(0, 0), Some(pid(0)));
        assert_eq!(s.pick(0, 0), Some(pid(3)));
        assert_eq!(s.pick(1, 0), Some(pid(1)));
        assert_eq!(s.pick(2, 0), Some(pid(2)));
        assert_eq!(s.len(), 1);
        assert_eq!(s.lengths()[1], 1);
    }

    #[test]
    fn a_process_goes_back_to_the_cpu_it_last_ran_on() {
        let mut s = rr(2, false);
        s.enqueue(ready(1, Some(1)));
        s.enqueue(ready(2, Some(1)));
        assert_eq!(s.lengths(), [0, 2]);
        assert_eq!(s.pick(1, 0), Some(pid(1)));
        // A CPU id past the last queue falls back to the shortest.
        s.enqueue(ready(3, Some(9)));
        assert_eq!(s.lengths(), [1, 1]);
    }

    #[test]
    fn without_migration_an_empty_queue_leaves_its_cpu_idle() {
        let mut s = rr(2, false);
        s.enqueue(ready(1, Some(0)));
        s.enqueue(ready(2, Some(0)));
        assert_eq!(s.pick(1, 0), None);
        assert_eq!(s.len(), 2);
        assert!(!s.should_preempt(1, pid(5), 0));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
    }

    #[test]
    fn with_migration_an_empty_queue_steals_from_the_longest() {
        let mut s = rr(3, true);
        s.enqueue(ready(1, Some(0)));
        s.enqueue(ready(2, Some(1)));
        s.enqueue(ready(3, Some(1)));
        // CPU 2 is empty: the longest other queue is CPU 1's.
        assert_eq!(s.pick(2, 0), Some(pid(2)));
        // Now both have one: ties go to the lowest id.
        assert_eq!(s.pick(2, 0), Some(pid(1)));
        assert_eq!(s.pick(2, 0), Some(pid(3)));
        assert_eq!(s.pick(2, 0), None);
        // A stolen process now belongs to the thief: its quantum comes from there, and when
        // it is ready again with the thief as its last CPU it queues there.
        assert_eq!(s.quantum(pid(3)), Some(Policy::DEFAULT_QUANTUM));
        s.enqueue(ready(3, Some(2)));
        assert_eq!(s.lengths(), [0, 0, 1]);
    }

    #[test]
    fn one_queue_behaves_like_the_policy_itself() {
        let mut per = rr(1, true);
        let mut plain = Policy::default().build(7);
        for i in [4, 2, 9] {
            per.enqueue(ready(i, Some(0)));
            plain.enqueue(ready(i, Some(0)));
        }
        assert_eq!(per.name(), plain.name());
        for _ in 0..4 {
            assert_eq!(per.pick(0, 0), plain.pick(0, 0));
        }
        assert_eq!(cpu_seed(7, 0), 7);
        assert_ne!(cpu_seed(7, 1), cpu_seed(7, 2));
        // A CPU's seed fixes its schedule: these are the seeds every recorded multi-CPU run
        // was made with, and must stay so.
        assert_eq!(cpu_seed(7, 1), 0xf75f_04cb_b5a1_a1dd);
        assert_eq!(cpu_seed(7, 2), 0xb346_6f8a_7b81_a989);
        assert_eq!(cpu_seed(42, 3), 0x5fd3_0d2f_cbef_75e3);
    }

    #[test]
    fn zero_cpus_means_one_and_exits_are_forgotten() {
        let mut s = rr(0, false);
        assert_eq!(s.cpus(), 1);
        s.enqueue(ready(1, None));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        s.stopped(pid(1), 3, StopReason::Exited);
        assert!(s.home.is_empty());
        assert!(s.is_empty());
    }
}
