//! Scheduling: which ready process gets a CPU, and for how long.
//!
//! The kernel tells a [`Scheduler`] every time a process becomes ready and asks it whom to run
//! when a CPU is free. A policy owns only its run queue: it never blocks, wakes or charges
//! anything, and it must decide from what it was told alone, so the same sequence of calls
//! gives the same choices (determinism).

pub mod explore;
pub mod lottery;
pub mod mlfq;
pub mod percpu;
pub mod priority;
pub mod rng;
pub mod sjf;

use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::fmt;
use core::str::FromStr;

/// Why a process joins the run queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyReason {
    /// It was just spawned.
    Spawned,
    /// It was woken from a wait queue or from sleep.
    Woken,
    /// The timer took its CPU away.
    Preempted,
    /// It gave its CPU up with `yield`.
    Yielded,
}

/// What the scheduler knows of a process when it becomes ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyInfo {
    /// The process.
    pub pid: Pid,
    /// Its priority (the effective one, when another process lends it a higher one).
    pub priority: u8,
    /// Why it is ready.
    pub reason: ReadyReason,
    /// When it became ready.
    pub now: Ticks,
    /// The CPU it last ran on, if it has run.
    pub last_cpu: Option<CpuId>,
}

/// Why a process left its CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// It blocked on a wait queue (its CPU burst ended).
    Blocked,
    /// It went to sleep (its CPU burst ended).
    Slept,
    /// It gave the CPU up with `yield`.
    Yielded,
    /// The timer or the policy took the CPU away (its burst goes on).
    Preempted,
    /// It exited.
    Exited,
}

/// A scheduling policy.
///
/// The kernel calls it at every scheduling point, and only there: a process became ready
/// ([`enqueue`](Self::enqueue)), a CPU is free ([`pick`](Self::pick)), a process left its CPU
/// ([`stopped`](Self::stopped)), and after every syscall and timer interrupt, whether the
/// running process should give way ([`should_preempt`](Self::should_preempt)). A policy
/// decides from these calls alone, and from its seed if it is randomised.
pub trait Scheduler {
    /// The policy's name, as `--policy` spells it.
    fn name(&self) -> &'static str;
    /// A process became ready.
    fn enqueue(&mut self, info: ReadyInfo);
    /// The process to run next on `cpu` at `now`, removed from the run queue. It may return a
    /// process that has since exited; the kernel skips those and asks again.
    fn pick(&mut self, cpu: CpuId, now: Ticks) -> Option<Pid>;
    /// How long `pid`, just dispatched, may run before the timer preempts it; `None` for
    /// never.
    fn quantum(&self, pid: Pid) -> Option<Ticks>;
    /// How many processes are queued.
    fn len(&self) -> usize;
    /// Whether nobody is queued.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `pid` left its CPU after running `ran` ticks since it was dispatched.
    fn stopped(&mut self, pid: Pid, ran: Ticks, why: StopReason) {
        let _ = (pid, ran, why);
    }
    /// Whether `running`, on `cpu` at `now`, should give its CPU to a queued process now.
    /// Asked after every syscall and timer interrupt; a yes preempts it.
    fn should_preempt(&mut self, cpu: CpuId, running: Pid, now: Ticks) -> bool {
        let _ = (cpu, running, now);
        false
    }
    /// `pid`'s effective priority changed (priority inheritance lent or returned one).
    fn reprioritize(&mut self, pid: Pid, priority: u8) {
        let _ = (pid, priority);
    }
    /// A process was created with this name (before its first `enqueue`), so a policy that
    /// replays recorded decisions can recognise it across runs whose pids differ.
    fn spawned(&mut self, pid: Pid, name: &str) {
        let _ = (pid, name);
    }
}

/// The policies the kernel ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Round robin with a quantum in ticks.
    RoundRobin {
        /// Ticks a process runs before it is preempted.
        quantum: Ticks,
    },
    /// First come, first served: run until block, yield or exit.
    Fcfs,
    /// Exploration: a uniformly random ready process at every scheduling point, and a
    /// random preemption after a syscall with probability `preempt_percent`%.
    Random {
        /// Chance of a preemption at each scheduling point, in percent.
        preempt_percent: u8,
    },
    /// Exploration: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) with
    /// bug depth `depth` over an expected `steps` scheduling points.
    Pct {
        /// The bug depth d: d - 1 priority change points.
        depth: u32,
        /// The expected number of scheduling points k, over which change points are drawn.
        steps: u64,
    },
}

impl Policy {
    /// The default quantum of round robin.
    pub const DEFAULT_QUANTUM: Ticks = 10;

    /// A fresh scheduler for this policy; a randomised policy draws only from `seed`.
    pub fn build(self, seed: u64) -> Box<dyn Scheduler> {
        let _ = seed;
        match self {
            Policy::RoundRobin { quantum } => Box::new(RoundRobin::new(quantum.max(1))),
            Policy::Fcfs => Box::new(Fcfs::default()),
            Policy::Random { preempt_percent } => {
                Box::new(explore::Random::new(seed, preempt_percent))
            }
            Policy::Pct { depth, steps } => Box::new(explore::Pct::new(seed, depth, steps)),
        }
    }

    /// The policy's name, as `--policy` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Policy::RoundRobin { .. } => "rr",
            Policy::Fcfs => "fcfs",
            Policy::Random { .. } => "random",
            Policy::Pct { .. } => "pct",
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::RoundRobin {
            quantum: Self::DEFAULT_QUANTUM,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::RoundRobin { quantum } => write!(f, "rr(quantum={quantum})"),
            Policy::Fcfs => f.write_str("fcfs"),
            Policy::Random { preempt_percent } => {
                write!(f, "random(preempt={preempt_percent}%)")
            }
            Policy::Pct { depth, steps } => write!(f, "pct(depth={depth}, steps={steps})"),
        }
    }
}

impl FromStr for Policy {
    type Err = &'static str;

    /// `rr` (default quantum) or `fcfs`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rr" | "round-robin" => Ok(Policy::default()),
            "fcfs" | "fifo" => Ok(Policy::Fcfs),
            _ => Err("expected one of: rr, fcfs"),
        }
    }
}

/// Round robin: one FIFO run queue, every process the same quantum.
#[derive(Debug)]
pub struct RoundRobin {
    queue: VecDeque<Pid>,
    quantum: Ticks,
}

impl RoundRobin {
    /// Round robin with this quantum.
    pub fn new(quantum: Ticks) -> Self {
        RoundRobin {
            queue: VecDeque::new(),
            quantum,
        }
    }
}

impl Scheduler for RoundRobin {
    fn name(&self) -> &'static str {
        "rr"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.queue.push_back(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        self.queue.pop_front()
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        Some(self.quantum)
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}

/// First come, first served: one FIFO run queue, no preemption.
#[derive(Debug, Default)]
pub struct Fcfs {
    queue: VecDeque<Pid>,
}

impl Scheduler for Fcfs {
    fn name(&self) -> &'static str {
        "fcfs"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.queue.push_back(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        self.queue.pop_front()
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(i: u32) -> ReadyInfo {
        ReadyInfo {
            pid: Pid::new(i, 0),
            priority: 0,
            reason: ReadyReason::Spawned,
            now: 0,
            last_cpu: None,
        }
    }

    #[test]
    fn both_policies_are_fifo_and_only_rr_preempts() {
        for policy in [Policy::default(), Policy::Fcfs] {
            let mut s = policy.build(0);
            s.enqueue(ready(2));
            s.enqueue(ready(1));
            assert_eq!(s.pick(0, 0), Some(Pid::new(2, 0)));
            assert_eq!(s.pick(0, 0), Some(Pid::new(1, 0)));
            assert_eq!(s.pick(0, 0), None);
        }
        let any = Pid::new(1, 0);
        assert_eq!(Policy::default().build(0).quantum(any), Some(10));
        assert_eq!(Policy::Fcfs.build(0).quantum(any), None);
        assert_eq!("fcfs".parse::<Policy>(), Ok(Policy::Fcfs));
        assert!("lottery".parse::<Policy>().is_err());
    }
}
