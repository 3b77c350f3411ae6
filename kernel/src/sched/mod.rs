//! Scheduling: which ready process gets a CPU, and for how long.
//!
//! The kernel tells a [`Scheduler`] every time a process becomes ready and asks it whom to run
//! when a CPU is free. A policy owns only its run queue: it never blocks, wakes or charges
//! anything, and it must decide from what it was told alone, so the same sequence of calls
//! gives the same choices (determinism).
//!
//! One file per policy beside this one: `rr` and `fcfs` here, [`sjf`] (with `srtf`),
//! [`priority`] (preemptive `priority` and non-preemptive `priority_np`, in either
//! [`PriorityOrder`]), [`mlfq`], [`lottery`]; the exploring policies [`random`], [`pct`] and
//! [`replay`] (docs/exploration.md); [`percpu`], the per-CPU run queues around any of them;
//! and [`rng`], the seeded generator every randomised one draws from.
//!
//! # Exploring policies
//!
//! `random` and `pct` search for failing interleavings, and `replay` follows one they found.
//! They act at the policy's scheduling points: the kernel asks
//! [`Scheduler::should_preempt`] after every syscall that leaves the caller on its CPU and
//! after every piece of a compute burst, and only when some other process is ready (no
//! other process ready, no choice to make). [`random::Random`] flips its coin at each,
//! [`pct::Pct`] counts them as its steps, and [`replay::Replay`] checks each against the
//! recorded preemption of the running process.

pub mod directed;
pub mod lottery;
pub mod mlfq;
pub mod pct;
pub mod percpu;
pub mod priority;
pub mod random;
pub mod replay;
pub mod rng;
pub mod sjf;

use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::fmt;

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
    /// The CPU burst it declared at spawn, if it declared one (see
    /// `SpawnOptions::burst` in userland): shortest-job policies use it instead of their
    /// estimate.
    pub expected_burst: Option<Ticks>,
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
/// decides from these calls alone, and from its seed if it is randomised. It is `Send`
/// because the kernel that holds it is.
pub trait Scheduler: Send {
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
    /// Whether anyone is queued that `cpu` could run instead of its process at the end of a
    /// quantum. With one run queue that is anyone queued; with a queue per CPU, only this
    /// CPU's own queue counts (the preempted process would go back to it and be picked
    /// again at once).
    fn has_waiting(&self, cpu: CpuId) -> bool {
        let _ = cpu;
        !self.is_empty()
    }
    /// Whether the policy may ever say yes to [`should_preempt`](Self::should_preempt). One
    /// that never does (round robin, FCFS, lottery) lets the kernel skip the question at
    /// every scheduling point. Asked once, when the kernel is built.
    fn may_preempt(&self) -> bool {
        true
    }
    /// Whether the policy listens to [`stopped`](Self::stopped). One that does not lets the
    /// kernel skip telling it. Asked once, when the kernel is built.
    fn hears_stops(&self) -> bool {
        true
    }
    /// `pid` left its CPU after running `ran` ticks since it was dispatched.
    fn stopped(&mut self, pid: Pid, ran: Ticks, why: StopReason) {
        let _ = (pid, ran, why);
    }
    /// Whether `running`, on `cpu` at `now`, should give its CPU to a queued process now.
    /// Asked at the scheduling point after a syscall that leaves `running` on its CPU and
    /// after each piece of a compute burst, and only while another process is ready (and
    /// the policy [`may_preempt`](Self::may_preempt)); a yes preempts it.
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
///
/// The kernel takes a finished `Policy`; turning the words a user writes (a `--policy` flag, a
/// scenario's `set policy` line) into one is the `sim` crate's (`sim::policy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Round robin with a quantum in ticks.
    RoundRobin {
        /// Ticks a process runs before it is preempted.
        quantum: Ticks,
    },
    /// First come, first served: run until block, yield or exit.
    Fcfs,
    /// Shortest job first, non-preemptive ([`sjf`]): the queued process with the shortest
    /// expected CPU burst runs until its burst ends.
    Sjf {
        /// The weight α of the last measured burst in the estimate, in percent (0..=100).
        alpha_percent: u8,
        /// The estimate τ(0) of a process with no measured burst, in ticks.
        initial_estimate: Ticks,
    },
    /// Shortest remaining time first ([`sjf`]): SJF that preempts the running process when a
    /// queued one's expected remaining burst is strictly shorter.
    Srtf {
        /// The weight α of the last measured burst in the estimate, in percent (0..=100).
        alpha_percent: u8,
        /// The estimate τ(0) of a process with no measured burst, in ticks.
        initial_estimate: Ticks,
    },
    /// Static priority, preemptive ([`priority`]); by default a higher number is a higher
    /// priority.
    Priority {
        /// The quantum among processes of equal priority; `None` runs each until it blocks.
        quantum: Option<Ticks>,
        /// Ticks of waiting that raise a queued process one level; 0 turns aging off.
        aging: Ticks,
        /// Which end of the numbers is the most urgent.
        order: PriorityOrder,
    },
    /// Static priority, non-preemptive ([`priority`]): the most urgent queued process runs
    /// until it blocks, sleeps, yields or exits; an arrival, however urgent, waits for it.
    PriorityNp {
        /// Ticks of waiting that raise a queued process one level; 0 turns aging off.
        aging: Ticks,
        /// Which end of the numbers is the most urgent.
        order: PriorityOrder,
    },
    /// Multilevel feedback queue ([`mlfq`]).
    Mlfq {
        /// How many levels (1..=[`Policy::MLFQ_MAX_LEVELS`]).
        levels: u8,
        /// The quantum of each level, top first; entries past `levels` are 0.
        quanta: [Ticks; Policy::MLFQ_MAX_LEVELS],
        /// Ticks between boosts of every process to the top level; 0 turns boosts off.
        boost: Ticks,
    },
    /// Lottery scheduling ([`lottery`]): each process holds `priority + 1` tickets, a seeded
    /// draw picks the winner, which runs for one quantum.
    Lottery {
        /// Ticks a winner runs before the next draw.
        quantum: Ticks,
    },
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
    /// Exploration: replay a recorded schedule, matching processes by name (see
    /// [`replay::Replay`]). Shared, so that cloning a policy (one scheduler per CPU, one
    /// machine per replayed run) does not copy the recording.
    Replay(Arc<replay::Schedule>),
    /// Exploration: give way at every scheduling point and follow a plan of dispatches by
    /// name, as a systematic explorer directs (see [`directed::Directed`]).
    Directed(Arc<directed::Plan>),
}

impl Policy {
    /// The default quantum of round robin (and of lottery).
    pub const DEFAULT_QUANTUM: Ticks = 10;
    /// The default weight of the last burst in SJF/SRTF estimates, in percent.
    pub const DEFAULT_ALPHA_PERCENT: u8 = 50;
    /// The default SJF/SRTF estimate before any burst was measured, in ticks.
    pub const DEFAULT_INITIAL_ESTIMATE: Ticks = 5;
    /// The most MLFQ levels.
    pub const MLFQ_MAX_LEVELS: usize = 8;
    /// The default number of MLFQ levels.
    pub const DEFAULT_MLFQ_LEVELS: u8 = 3;
    /// The default quantum of the top MLFQ level; each level below doubles it.
    pub const DEFAULT_MLFQ_TOP_QUANTUM: Ticks = 2;
    /// The default ticks between MLFQ boosts.
    pub const DEFAULT_MLFQ_BOOST: Ticks = 100;
    /// The default chance of a random preemption of the `random` policy, in percent.
    pub const DEFAULT_PREEMPT_PERCENT: u8 = 10;
    /// The default PCT bug depth.
    pub const DEFAULT_PCT_DEPTH: u32 = 3;
    /// The default PCT expected number of scheduling points.
    pub const DEFAULT_PCT_STEPS: u64 = 1000;
    /// MLFQ with these quanta (top first, at most [`Policy::MLFQ_MAX_LEVELS`], each at least
    /// 1) and this boost period (0: none); `None` if the quanta break those rules.
    pub fn mlfq(quanta: &[Ticks], boost: Ticks) -> Option<Policy> {
        if quanta.is_empty() || quanta.len() > Self::MLFQ_MAX_LEVELS || quanta.contains(&0) {
            return None;
        }
        let mut q = [0; Self::MLFQ_MAX_LEVELS];
        q[..quanta.len()].copy_from_slice(quanta);
        Some(Policy::Mlfq {
            levels: quanta.len() as u8,
            quanta: q,
            boost,
        })
    }

    /// A fresh scheduler for this policy; a randomised policy draws only from `seed`.
    pub fn build(&self, seed: u64) -> Box<dyn Scheduler> {
        let _ = seed;
        match *self {
            Policy::RoundRobin { quantum } => Box::new(RoundRobin::new(quantum.max(1))),
            Policy::Fcfs => Box::new(Fcfs::default()),
            Policy::Sjf {
                alpha_percent,
                initial_estimate,
            } => Box::new(sjf::ShortestJob::sjf(alpha_percent, initial_estimate)),
            Policy::Srtf {
                alpha_percent,
                initial_estimate,
            } => Box::new(sjf::ShortestJob::srtf(alpha_percent, initial_estimate)),
            Policy::Priority {
                quantum,
                aging,
                order,
            } => Box::new(priority::PriorityScheduler::new(quantum, aging).with_order(order)),
            Policy::PriorityNp { aging, order } => Box::new(
                priority::PriorityScheduler::new(None, aging)
                    .with_order(order)
                    .non_preemptive(),
            ),
            Policy::Mlfq {
                levels,
                quanta,
                boost,
            } => {
                let levels = usize::from(levels).clamp(1, Self::MLFQ_MAX_LEVELS);
                Box::new(mlfq::Mlfq::new(&quanta[..levels], boost))
            }
            Policy::Lottery { quantum } => Box::new(lottery::Lottery::new(seed, quantum)),
            Policy::Random { preempt_percent } => {
                Box::new(random::Random::new(seed, preempt_percent))
            }
            Policy::Pct { depth, steps } => Box::new(pct::Pct::new(seed, depth, steps)),
            Policy::Replay(ref schedule) => Box::new(replay::Replay::new(Arc::clone(schedule))),
            Policy::Directed(ref plan) => Box::new(directed::Directed::new(Arc::clone(plan))),
        }
    }

    /// The policy's name, as `--policy` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::RoundRobin { .. } => "rr",
            Policy::Fcfs => "fcfs",
            Policy::Sjf { .. } => "sjf",
            Policy::Srtf { .. } => "srtf",
            Policy::Priority { .. } => "priority",
            Policy::PriorityNp { .. } => "priority_np",
            Policy::Mlfq { .. } => "mlfq",
            Policy::Lottery { .. } => "lottery",
            Policy::Random { .. } => "random",
            Policy::Pct { .. } => "pct",
            Policy::Replay(_) => "replay",
            Policy::Directed(_) => "directed",
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
            Policy::Sjf {
                alpha_percent,
                initial_estimate,
            } => write!(f, "sjf(alpha={alpha_percent}%, initial={initial_estimate})"),
            Policy::Srtf {
                alpha_percent,
                initial_estimate,
            } => write!(
                f,
                "srtf(alpha={alpha_percent}%, initial={initial_estimate})"
            ),
            Policy::Priority {
                quantum,
                aging,
                order,
            } => {
                match quantum {
                    Some(q) => write!(f, "priority(quantum={q}, ")?,
                    None => f.write_str("priority(quantum=none, ")?,
                }
                match aging {
                    0 => f.write_str("aging=off")?,
                    a => write!(f, "aging={a}")?,
                }
                write_order(f, *order)
            }
            Policy::PriorityNp { aging, order } => {
                match aging {
                    0 => f.write_str("priority_np(aging=off")?,
                    a => write!(f, "priority_np(aging={a}")?,
                }
                write_order(f, *order)
            }
            Policy::Mlfq {
                levels,
                quanta,
                boost,
            } => {
                write!(f, "mlfq(levels={levels}, quanta=")?;
                let levels = usize::from(*levels).clamp(1, Self::MLFQ_MAX_LEVELS);
                for (i, q) in quanta[..levels].iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{q}")?;
                }
                match boost {
                    0 => f.write_str(", boost=off)"),
                    b => write!(f, ", boost={b})"),
                }
            }
            Policy::Lottery { quantum } => write!(f, "lottery(quantum={quantum})"),
            Policy::Random { preempt_percent } => {
                write!(f, "random(preempt={preempt_percent}%)")
            }
            Policy::Pct { depth, steps } => write!(f, "pct(depth={depth}, steps={steps})"),
            Policy::Replay(schedule) => {
                write!(f, "replay({} decisions)", schedule.decisions.len())
            }
            Policy::Directed(plan) => write!(f, "directed({} decisions)", plan.prefix.len()),
        }
    }
}

/// Which end of the priority numbers is the most urgent, for the priority policies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PriorityOrder {
    /// 255 is the most urgent, 0 the least: the kernel's own convention, which lottery
    /// tickets and priority inheritance share.
    #[default]
    HigherIsHigher,
    /// 0 is the most urgent, 255 the least, as many textbooks number priorities (1 =
    /// highest).
    LowerIsHigher,
}

impl PriorityOrder {
    /// The setting's value as a user writes it.
    pub const fn name(self) -> &'static str {
        match self {
            PriorityOrder::HigherIsHigher => "higher_is_higher",
            PriorityOrder::LowerIsHigher => "lower_is_higher",
        }
    }

    /// The order written as `name`.
    pub fn from_name(name: &str) -> Option<PriorityOrder> {
        [PriorityOrder::HigherIsHigher, PriorityOrder::LowerIsHigher]
            .into_iter()
            .find(|o| o.name() == name)
    }

    /// A priority's urgency: a higher rank runs first, whichever the order.
    pub const fn rank(self, priority: u8) -> u8 {
        match self {
            PriorityOrder::HigherIsHigher => priority,
            PriorityOrder::LowerIsHigher => u8::MAX - priority,
        }
    }
}

/// `, order=lower_is_higher)` when the order is not the default, `)` otherwise, so the
/// default reads as it always has.
fn write_order(f: &mut fmt::Formatter<'_>, order: PriorityOrder) -> fmt::Result {
    match order {
        PriorityOrder::HigherIsHigher => f.write_str(")"),
        o => write!(f, ", order={})", o.name()),
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
    fn may_preempt(&self) -> bool {
        false
    }
    fn hears_stops(&self) -> bool {
        false
    }
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
    fn may_preempt(&self) -> bool {
        false
    }
    fn hears_stops(&self) -> bool {
        false
    }
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

/// What the policies' unit tests build their processes from.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{ReadyInfo, ReadyReason};
    use abi::Pid;

    /// Slot `i`, generation 0.
    pub(crate) fn pid(i: u32) -> Pid {
        Pid::new(i, 0)
    }

    /// Process `i` just spawned at tick 0 with priority 0 and nothing else known; a test
    /// that needs another field says so with `ReadyInfo { field, ..ready(i) }`.
    pub(crate) fn ready(i: u32) -> ReadyInfo {
        ReadyInfo {
            pid: pid(i),
            priority: 0,
            reason: ReadyReason::Spawned,
            now: 0,
            last_cpu: None,
            expected_burst: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    use super::test_support::ready;

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
    }

    #[test]
    fn mlfq_levels_past_the_maximum_are_clamped_not_a_panic() {
        let odd = Policy::Mlfq {
            levels: 200,
            quanta: [1; Policy::MLFQ_MAX_LEVELS],
            boost: 0,
        };
        assert_eq!(odd.build(0).quantum(Pid::new(0, 0)), Some(1));
        let none = Policy::Mlfq {
            levels: 0,
            quanta: [0; Policy::MLFQ_MAX_LEVELS],
            boost: 0,
        };
        assert_eq!(none.build(0).quantum(Pid::new(0, 0)), Some(1));
        assert_eq!(none.to_string(), "mlfq(levels=0, quanta=0, boost=off)");
        assert!(Policy::mlfq(&[1; 9], 0).is_none());
    }
}
