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
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
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
    /// Static priority, preemptive ([`priority`]); a higher number is a higher priority.
    Priority {
        /// The quantum among processes of equal priority; `None` runs each until it blocks.
        quantum: Option<Ticks>,
        /// Ticks of waiting that raise a queued process one level; 0 turns aging off.
        aging: Ticks,
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
    /// [`explore::Replay`]). The schedule is `'static` so that `Policy` stays `Copy`: a
    /// program leaks the one schedule it replays (`Box::leak`).
    Replay(&'static explore::Schedule),
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
    /// The policy names `--policy` accepts, in the order the docs list them.
    pub const NAMES: &'static [&'static str] = &[
        "rr", "fcfs", "sjf", "srtf", "priority", "mlfq", "lottery", "random", "pct",
    ];

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

    /// Parse a policy name and its settings, as the command line and scenario files give
    /// them: `Policy::parse("mlfq", &PolicySettings { levels: Some(3), quanta:
    /// Some(vec![2, 4, 8]), boost: Some(100), ..Default::default() })`. Settings left out
    /// take their defaults; a setting the policy does not use, or a value out of range, is
    /// an error that says which.
    pub fn parse(name: &str, settings: &PolicySettings) -> Result<Policy, String> {
        let name = match name {
            "round-robin" => "rr",
            "fifo" => "fcfs",
            other => other,
        };
        let used: &[&str] = match name {
            "rr" | "lottery" => &["quantum"],
            "fcfs" => &[],
            "sjf" | "srtf" => &["alpha", "initial_estimate"],
            "priority" => &["quantum", "aging"],
            "mlfq" => &["quantum", "levels", "quanta", "boost"],
            "random" => &["preempt"],
            "pct" => &["depth", "steps"],
            _ => {
                return Err(format!(
                    "unknown policy `{name}`: expected one of {}",
                    Self::NAMES.join(", ")
                ))
            }
        };
        if let Some(extra) = settings.given().into_iter().find(|k| !used.contains(k)) {
            let takes = if used.is_empty() {
                "no settings".to_string()
            } else {
                format!("only {}", used.join(", "))
            };
            return Err(format!(
                "`{extra}` does not apply to {name} (it takes {takes})"
            ));
        }
        let s = settings;
        Ok(match name {
            "rr" => Policy::RoundRobin {
                quantum: positive("quantum", s.quantum)?.unwrap_or(Self::DEFAULT_QUANTUM),
            },
            "fcfs" => Policy::Fcfs,
            "sjf" | "srtf" => {
                let alpha_percent =
                    percent("alpha", s.alpha_percent)?.unwrap_or(Self::DEFAULT_ALPHA_PERCENT);
                let initial_estimate = s.initial_estimate.unwrap_or(Self::DEFAULT_INITIAL_ESTIMATE);
                if name == "sjf" {
                    Policy::Sjf {
                        alpha_percent,
                        initial_estimate,
                    }
                } else {
                    Policy::Srtf {
                        alpha_percent,
                        initial_estimate,
                    }
                }
            }
            "priority" => Policy::Priority {
                quantum: positive("quantum", s.quantum)?,
                aging: s.aging.unwrap_or(0),
            },
            "mlfq" => {
                let boost = s.boost.unwrap_or(Self::DEFAULT_MLFQ_BOOST);
                let quanta = match (&s.quanta, s.quantum) {
                    (Some(_), Some(_)) => {
                        return Err("give either `quanta` (every level's quantum) or `quantum`                                     (the top level's, doubling down), not both"
                            .to_string())
                    }
                    (Some(list), None) => {
                        if let Some(levels) = s.levels {
                            if levels != list.len() as u64 {
                                return Err(format!(
                                    "`levels` is {levels} but `quanta` lists {} quanta",
                                    list.len()
                                ));
                            }
                        }
                        list.clone()
                    }
                    (None, top) => {
                        let top = positive("quantum", top)?.unwrap_or(Self::DEFAULT_MLFQ_TOP_QUANTUM);
                        let levels = s.levels.unwrap_or(u64::from(Self::DEFAULT_MLFQ_LEVELS));
                        if levels == 0 || levels > Self::MLFQ_MAX_LEVELS as u64 {
                            return Err(format!(
                                "`levels` must be 1 to {}, not {levels}",
                                Self::MLFQ_MAX_LEVELS
                            ));
                        }
                        (0..levels as u32)
                            .map(|i| top.saturating_mul(1u64 << i))
                            .collect()
                    }
                };
                Self::mlfq(&quanta, boost).ok_or_else(|| {
                    format!(
                        "`quanta` must list 1 to {} quanta of at least 1 tick each",
                        Self::MLFQ_MAX_LEVELS
                    )
                })?
            }
            "lottery" => Policy::Lottery {
                quantum: positive("quantum", s.quantum)?.unwrap_or(Self::DEFAULT_QUANTUM),
            },
            "random" => Policy::Random {
                preempt_percent: percent("preempt", s.preempt_percent)?
                    .unwrap_or(Self::DEFAULT_PREEMPT_PERCENT),
            },
            _ => Policy::Pct {
                depth: match s.depth {
                    None => Self::DEFAULT_PCT_DEPTH,
                    Some(d) => u32::try_from(d)
                        .ok()
                        .filter(|d| *d >= 1)
                        .ok_or_else(|| format!("`depth` must be 1 to {}, not {d}", u32::MAX))?,
                },
                steps: s.steps.unwrap_or(Self::DEFAULT_PCT_STEPS),
            },
        })
    }

    /// A fresh scheduler for this policy; a randomised policy draws only from `seed`.
    pub fn build(self, seed: u64) -> Box<dyn Scheduler> {
        let _ = seed;
        match self {
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
            Policy::Priority { quantum, aging } => {
                Box::new(priority::PriorityScheduler::new(quantum, aging))
            }
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
                Box::new(explore::Random::new(seed, preempt_percent))
            }
            Policy::Pct { depth, steps } => Box::new(explore::Pct::new(seed, depth, steps)),
            Policy::Replay(schedule) => Box::new(explore::Replay::new(schedule)),
        }
    }

    /// The policy's name, as `--policy` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Policy::RoundRobin { .. } => "rr",
            Policy::Fcfs => "fcfs",
            Policy::Sjf { .. } => "sjf",
            Policy::Srtf { .. } => "srtf",
            Policy::Priority { .. } => "priority",
            Policy::Mlfq { .. } => "mlfq",
            Policy::Lottery { .. } => "lottery",
            Policy::Random { .. } => "random",
            Policy::Pct { .. } => "pct",
            Policy::Replay(_) => "replay",
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
            Policy::Priority { quantum, aging } => {
                match quantum {
                    Some(q) => write!(f, "priority(quantum={q}, ")?,
                    None => f.write_str("priority(quantum=none, ")?,
                }
                match aging {
                    0 => f.write_str("aging=off)"),
                    a => write!(f, "aging={a})"),
                }
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
        }
    }
}

impl FromStr for Policy {
    type Err = String;

    /// A policy by name with every setting at its default (see [`Policy::parse`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::parse(s, &PolicySettings::default())
    }
}

/// A policy's settings as the command line (`--quantum 4 --aging 10`) or a scenario's `set`
/// lines give them, each `None` when not given. Numbers are taken as given and checked by
/// [`Policy::parse`], so a mistake gets a message rather than a silent clamp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySettings {
    /// `quantum`: rr, lottery, priority (among equals), mlfq (the top level's, doubling
    /// down). At least 1.
    pub quantum: Option<Ticks>,
    /// `alpha`: sjf, srtf; percent, 0..=100.
    pub alpha_percent: Option<u64>,
    /// `initial_estimate`: sjf, srtf; ticks.
    pub initial_estimate: Option<Ticks>,
    /// `aging`: priority; ticks of waiting per level, 0 = off.
    pub aging: Option<Ticks>,
    /// `levels`: mlfq; 1..=[`Policy::MLFQ_MAX_LEVELS`].
    pub levels: Option<u64>,
    /// `quanta`: mlfq; every level's quantum, top first.
    pub quanta: Option<Vec<Ticks>>,
    /// `boost`: mlfq; ticks between boosts, 0 = off.
    pub boost: Option<Ticks>,
    /// `depth`: pct; at least 1.
    pub depth: Option<u64>,
    /// `steps`: pct.
    pub steps: Option<u64>,
    /// `preempt`: random; percent, 0..=100.
    pub preempt_percent: Option<u64>,
}

impl PolicySettings {
    /// Take every setting `over` gives in place of this one's (flags over a scenario's).
    pub fn overlay(&mut self, over: &mut PolicySettings) {
        fn take<T>(mine: &mut Option<T>, theirs: &mut Option<T>) {
            if theirs.is_some() {
                *mine = theirs.take();
            }
        }
        take(&mut self.quantum, &mut over.quantum);
        take(&mut self.alpha_percent, &mut over.alpha_percent);
        take(&mut self.initial_estimate, &mut over.initial_estimate);
        take(&mut self.aging, &mut over.aging);
        take(&mut self.levels, &mut over.levels);
        take(&mut self.quanta, &mut over.quanta);
        take(&mut self.boost, &mut over.boost);
        take(&mut self.depth, &mut over.depth);
        take(&mut self.steps, &mut over.steps);
        take(&mut self.preempt_percent, &mut over.preempt_percent);
    }

    /// The names of the settings given, as the command line and scenarios spell them.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("quantum", self.quantum.is_some()),
            ("alpha", self.alpha_percent.is_some()),
            ("initial_estimate", self.initial_estimate.is_some()),
            ("aging", self.aging.is_some()),
            ("levels", self.levels.is_some()),
            ("quanta", self.quanta.is_some()),
            ("boost", self.boost.is_some()),
            ("depth", self.depth.is_some()),
            ("steps", self.steps.is_some()),
            ("preempt", self.preempt_percent.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

/// A setting that must be at least 1, if given.
fn positive(name: &str, value: Option<u64>) -> Result<Option<u64>, String> {
    match value {
        Some(0) => Err(format!("`{name}` must be at least 1")),
        v => Ok(v),
    }
}

/// A percentage setting, if given.
fn percent(name: &str, value: Option<u64>) -> Result<Option<u8>, String> {
    match value {
        Some(p) if p > 100 => Err(format!("`{name}` is a percentage: 0 to 100, not {p}")),
        v => Ok(v.map(|p| p as u8)),
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
    use alloc::vec;

    fn ready(i: u32) -> ReadyInfo {
        ReadyInfo {
            pid: Pid::new(i, 0),
            priority: 0,
            reason: ReadyReason::Spawned,
            now: 0,
            last_cpu: None,
            expected_burst: None,
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
        assert!("lotto".parse::<Policy>().is_err());
    }

    #[test]
    fn every_name_parses_to_its_defaults_and_back() {
        for name in Policy::NAMES {
            let policy = Policy::parse(name, &PolicySettings::default()).unwrap();
            assert_eq!(policy.name(), *name);
            assert_eq!(policy.build(0).name(), *name);
        }
        let shown = |name: &str| {
            Policy::parse(name, &PolicySettings::default())
                .unwrap()
                .to_string()
        };
        assert_eq!(shown("rr"), "rr(quantum=10)");
        assert_eq!(shown("fifo"), "fcfs");
        assert_eq!(shown("sjf"), "sjf(alpha=50%, initial=5)");
        assert_eq!(shown("srtf"), "srtf(alpha=50%, initial=5)");
        assert_eq!(shown("priority"), "priority(quantum=none, aging=off)");
        assert_eq!(shown("mlfq"), "mlfq(levels=3, quanta=2,4,8, boost=100)");
        assert_eq!(shown("lottery"), "lottery(quantum=10)");
    }

    #[test]
    fn settings_reach_their_policy() {
        let mlfq = PolicySettings {
            levels: Some(3),
            quanta: Some(vec![2, 4, 8]),
            boost: Some(100),
            ..PolicySettings::default()
        };
        assert_eq!(
            Policy::parse("mlfq", &mlfq),
            Policy::parse("mlfq", &PolicySettings::default())
        );
        let top = PolicySettings {
            quantum: Some(3),
            levels: Some(4),
            boost: Some(0),
            ..PolicySettings::default()
        };
        assert_eq!(
            Policy::parse("mlfq", &top).unwrap().to_string(),
            "mlfq(levels=4, quanta=3,6,12,24, boost=off)"
        );
        let aging = PolicySettings {
            quantum: Some(4),
            aging: Some(10),
            ..PolicySettings::default()
        };
        assert_eq!(
            Policy::parse("priority", &aging),
            Ok(Policy::Priority {
                quantum: Some(4),
                aging: 10
            })
        );
        let est = PolicySettings {
            alpha_percent: Some(100),
            initial_estimate: Some(0),
            ..PolicySettings::default()
        };
        assert_eq!(
            Policy::parse("srtf", &est),
            Ok(Policy::Srtf {
                alpha_percent: 100,
                initial_estimate: 0
            })
        );
        let q = PolicySettings {
            quantum: Some(7),
            ..PolicySettings::default()
        };
        assert_eq!(
            Policy::parse("lottery", &q),
            Ok(Policy::Lottery { quantum: 7 })
        );
        assert_eq!(
            Policy::parse("rr", &q),
            Ok(Policy::RoundRobin { quantum: 7 })
        );
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let err = |name: &str, s: PolicySettings| Policy::parse(name, &s).unwrap_err();
        let d = PolicySettings::default;
        assert_eq!(
            err(
                "fcfs",
                PolicySettings {
                    quantum: Some(3),
                    ..d()
                }
            ),
            "`quantum` does not apply to fcfs (it takes no settings)"
        );
        assert_eq!(
            err(
                "sjf",
                PolicySettings {
                    levels: Some(3),
                    ..d()
                }
            ),
            "`levels` does not apply to sjf (it takes only alpha, initial_estimate)"
        );
        assert_eq!(
            err(
                "rr",
                PolicySettings {
                    quantum: Some(0),
                    ..d()
                }
            ),
            "`quantum` must be at least 1"
        );
        assert_eq!(
            err(
                "srtf",
                PolicySettings {
                    alpha_percent: Some(101),
                    ..d()
                }
            ),
            "`alpha` is a percentage: 0 to 100, not 101"
        );
        assert_eq!(
            err(
                "mlfq",
                PolicySettings {
                    levels: Some(9),
                    ..d()
                }
            ),
            "`levels` must be 1 to 8, not 9"
        );
        assert_eq!(
            err(
                "mlfq",
                PolicySettings {
                    levels: Some(2),
                    quanta: Some(vec![1, 2, 3]),
                    ..d()
                }
            ),
            "`levels` is 2 but `quanta` lists 3 quanta"
        );
        assert!(err(
            "mlfq",
            PolicySettings {
                quanta: Some(vec![1, 0]),
                ..d()
            }
        )
        .contains("at least 1"));
        assert!(err(
            "mlfq",
            PolicySettings {
                quanta: Some(vec![]),
                ..d()
            }
        )
        .contains("1 to 8"));
        assert!(err(
            "mlfq",
            PolicySettings {
                quantum: Some(2),
                quanta: Some(vec![2]),
                ..d()
            }
        )
        .contains("not both"));
        assert!(err(
            "pct",
            PolicySettings {
                depth: Some(0),
                ..d()
            }
        )
        .contains("`depth`"));
        assert!(err(
            "random",
            PolicySettings {
                preempt_percent: Some(200),
                ..d()
            }
        )
        .contains("`preempt`"));
        assert!(err("edf", d()).starts_with("unknown policy `edf`: expected one of rr, fcfs"));
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
