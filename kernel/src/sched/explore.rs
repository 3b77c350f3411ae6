//! Exploring policies: seeded schedules that search for failing interleavings, and the
//! policy that replays one it found.
//!
//! This module owns three [`Scheduler`]s and the recorded schedule one of them follows:
//!
//! - [`Random`]: a uniformly random ready process at every dispatch, and a coin at every
//!   scheduling point that preempts the running process with a fixed probability, so that
//!   interleavings are explored at syscall granularity;
//! - [`Pct`]: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and
//!   Nagarakatte, "A randomized scheduler with probabilistic guarantees of finding bugs",
//!   ASPLOS 2010): random distinct priorities and `depth - 1` priority change points;
//! - [`Replay`]: the decisions of a [`Schedule`] (who was dispatched, who was preempted
//!   where), matched by process *name*, so a schedule saved from one run replays in another
//!   whose pids differ.
//!
//! Every random choice comes from the run's seed through [`Rng`]; none of these policies
//! reads anything but the calls the kernel makes, so a seed names one schedule exactly.
//! They never block, wake or charge anything, and never panic: an unknown pid, an empty
//! queue or a schedule that no longer fits the run each have a quiet answer. Turning a run's
//! trace into a [`Schedule`], and a schedule into text, is the simulator's business
//! (`sim::explore`), not the kernel's.
//!
//! # Scheduling points
//!
//! The kernel asks [`Scheduler::should_preempt`] after every syscall that leaves the caller
//! on its CPU and after every piece of a compute burst, and only when some other process is
//! ready (no other process ready, no choice to make). Those calls are this module's
//! scheduling points: [`Random`] flips its coin at each, [`Pct`] counts them as its steps,
//! and [`Replay`] checks each against the recorded preemption of the running process.

use super::rng::Rng;
use super::{ReadyInfo, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

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

/// Probabilistic concurrency testing with bug depth `depth` over `steps` scheduling points.
///
/// The algorithm of the paper, on this kernel:
///
/// 1. Every process gets a distinct random priority when it is spawned, at least `depth`
///    (the paper's random permutation of `d, d+1, …, d+n-1`; only the order matters, and
///    independent draws give every order the same chance without knowing `n` in advance).
/// 2. `depth - 1` distinct change points `k_1 < … < k_{d-1}` are drawn uniformly from
///    `1..=steps` when the policy is built.
/// 3. The ready process with the highest priority always runs: a dispatch takes it, and at
///    a scheduling point the running process is preempted as soon as a ready process has a
///    higher priority than it (one it just woke, say).
/// 4. At the `i`-th change point the running process's priority drops to `i`, below every
///    initial priority, so some other process takes over.
///
/// **Steps.** The paper counts a step per instruction of the program under test; here a
/// step is a scheduling point as this module defines it (a call of `should_preempt`: after
/// a syscall that keeps the caller running, or a piece of a compute burst, while another
/// process is ready). Only there can a lower priority change who runs, so change points
/// spent elsewhere would be wasted. `steps` should therefore be about the number of such
/// points in a run; a larger value leaves the later change points beyond the end of most
/// runs (a smaller effective depth), a smaller one crowds them into its beginning.
///
/// **After the last step.** Once `steps` scheduling points have passed, every change point
/// has too, and PCT has made all its random decisions; strict priorities from there on could
/// only starve a process that waits for a busy-waiting one (the shipped `polling` scenario
/// would spin to its tick limit, a livelock no fair scheduler has). So the rest of the run is
/// fair, as in the "fair PCT" of testing tools such as Coyote: dispatches are FIFO and the
/// runner gives way at every scheduling point where another process is ready.
///
/// **Yield.** A process that yields is passed over at the next dispatch if anyone else is
/// ready (its priority is kept). Without that, a process spinning on `yield` with the
/// highest priority would be picked again forever, a livelock that exists in no other
/// schedule.
///
/// The priority a process was spawned with (`ReadyInfo::priority`) is ignored: exploration
/// is about orders the programs must survive, whatever their priorities ask for.
///
/// **Bounds.** The depth is at most [`Pct::MAX_DEPTH`] (a larger one is taken as that), and
/// the policy's memory is the change points plus a priority per live process: `O(depth)`
/// for the points, whatever `steps` is, so `steps` may be any `u64`.
#[derive(Debug)]
pub struct Pct {
    rng: Rng,
    depth: u32,
    steps: u64,
    /// The ready processes, in arrival order (the fair tail takes the oldest).
    ready: Vec<Pid>,
    /// Each live process's current priority (higher runs first).
    priority: BTreeMap<Pid, u64>,
    /// The priorities in use, so that a new one is distinct.
    used: BTreeSet<u64>,
    /// The change points, ascending.
    change_points: Vec<u64>,
    /// How many change points have passed.
    changed: usize,
    /// Scheduling points so far.
    step: u64,
    /// The process that last yielded, passed over once.
    yielded: Option<Pid>,
}

impl Pct {
    /// The largest bug depth: 999 change points. The paper's depths are 1 to 3, and the
    /// chance PCT gives a bug of depth `d` falls as `k^-(d-1)`, so a depth in the hundreds
    /// already finds nothing; the bound keeps a mistyped depth (which a user controls, as
    /// `--depth` or `set depth`) from drawing and storing billions of change points before
    /// the first tick.
    pub const MAX_DEPTH: u32 = 1_000;

    /// PCT with depth `depth` (`depth - 1` change points; 0 and 1 mean none; above
    /// [`Pct::MAX_DEPTH`], that) over `steps` scheduling points, every choice drawn from
    /// `seed`.
    pub fn new(seed: u64, depth: u32, steps: u64) -> Self {
        // Clamped rather than refused: a policy cannot fail to build. The command line and
        // scenarios refuse a depth above the bound before it gets here (`sim::policy`).
        let depth = depth.min(Self::MAX_DEPTH);
        let mut rng = Rng::new(seed);
        let wanted = u64::from(depth.saturating_sub(1)).min(steps);
        let mut points: BTreeSet<u64> = BTreeSet::new();
        // `wanted` is at most `steps` and below `MAX_DEPTH`, so this ends soon: the set
        // never holds more than 999 points, and with the small depths PCT is used with
        // redraws are rare (with `wanted == steps` it draws about `steps * ln(steps)`
        // times, a few thousand at most).
        while (points.len() as u64) < wanted {
            points.insert(1 + rng.below(steps));
        }
        Pct {
            rng,
            depth,
            steps,
            ready: Vec::new(),
            priority: BTreeMap::new(),
            used: BTreeSet::new(),
            change_points: points.into_iter().collect(),
            changed: 0,
            step: 0,
            yielded: None,
        }
    }

    /// The change points, ascending (for tests and the curious).
    pub fn change_points(&self) -> &[u64] {
        &self.change_points
    }

    /// A process's current priority (0 for a pid the policy never heard of).
    pub fn priority(&self, pid: Pid) -> u64 {
        self.priority.get(&pid).copied().unwrap_or(0)
    }

    /// Give `pid` a fresh initial priority, distinct from every live one and at least
    /// `depth`, unless it has one.
    fn assign(&mut self, pid: Pid) {
        if self.priority.contains_key(&pid) {
            return;
        }
        let low = u64::from(self.depth.max(1));
        let value = loop {
            let v = low + self.rng.below(u64::MAX - low);
            if !self.used.contains(&v) {
                break v;
            }
        };
        self.used.insert(value);
        self.priority.insert(pid, value);
    }

    /// Whether the run is past its last step, where the policy is fair.
    fn fair(&self) -> bool {
        self.step > self.steps
    }

    /// The index in `ready` of the process to run next: the highest priority, passing over
    /// the one that just yielded if anyone else is ready; after the last step, the oldest.
    fn best(&self) -> Option<usize> {
        if self.fair() {
            return (!self.ready.is_empty()).then_some(0);
        }
        let skip = self.yielded.filter(|_| self.ready.len() > 1);
        self.ready
            .iter()
            .enumerate()
            .filter(|(_, p)| Some(**p) != skip)
            .max_by_key(|(_, p)| self.priority(**p))
            .map(|(i, _)| i)
    }
}

impl Scheduler for Pct {
    fn name(&self) -> &'static str {
        "pct"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.assign(info.pid);
        self.ready.push(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        let i = self.best()?;
        self.yielded = None;
        Some(self.ready.remove(i))
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.ready.len()
    }
    fn stopped(&mut self, pid: Pid, _ran: Ticks, why: StopReason) {
        match why {
            StopReason::Yielded => self.yielded = Some(pid),
            StopReason::Exited => {
                if let Some(v) = self.priority.remove(&pid) {
                    self.used.remove(&v);
                }
            }
            _ => {}
        }
    }
    fn should_preempt(&mut self, _cpu: CpuId, running: Pid, _now: Ticks) -> bool {
        self.step += 1;
        if self.change_points.get(self.changed) == Some(&self.step) {
            self.changed += 1;
            // Change point i lowers the runner to priority i: below every initial priority
            // (all at least `depth`, and i < depth), above the earlier change points' ones.
            let lowered = self.changed as u64;
            if let Some(old) = self.priority.insert(running, lowered) {
                self.used.remove(&old);
            }
        }
        if self.fair() {
            return !self.ready.is_empty();
        }
        let mine = self.priority(running);
        self.ready.iter().any(|p| self.priority(*p) > mine)
    }
    fn spawned(&mut self, pid: Pid, _name: &str) {
        self.assign(pid);
    }
}

/// Who a recorded decision is about: a process name and which of the processes with that
/// name it is (0 for the first spawned with it, 1 for the second, …).
///
/// Pids are not stable across runs (an extra process shifts every later slot), names are:
/// a scenario's names are unique, and the counter tells apart the children a Rust program
/// spawns under one name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Who {
    /// The process's name, as `spawned` told it.
    pub name: String,
    /// How many processes of that name were spawned before it in the run.
    pub nth: u32,
}

impl fmt::Display for Who {
    /// `name`, or `name#n` for the n-th (n ≥ 1) of that name; a name that contains `#` always
    /// carries its counter, so the text reads back unambiguously.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nth == 0 && !self.name.contains('#') {
            f.write_str(&self.name)
        } else {
            write!(f, "{}#{}", self.name, self.nth)
        }
    }
}

/// One scheduling decision of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The scheduler gave a CPU to this process.
    Dispatch(Who),
    /// The running process lost its CPU to the policy (or its quantum), `after` ticks after
    /// its dispatch. It always follows that process's dispatch.
    Preempt {
        /// Who was preempted.
        who: Who,
        /// Ticks since its dispatch (the dispatch's tick to the preemption's).
        after: Ticks,
    },
}

/// A run's scheduling decisions in the order they were made, for [`Replay`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The decisions.
    pub decisions: Vec<Decision>,
}

/// Where a running process's slice stands, for [`Replay`].
#[derive(Clone, Copy, Debug)]
struct Slice {
    /// When it was dispatched.
    start: Ticks,
    /// Preempt it once it has run this long, if the recording did.
    preempt_after: Option<Ticks>,
}

/// Replays a [`Schedule`].
///
/// **Dispatch.** At each `pick` the next recorded dispatch names a process; the ready
/// process with that name (and counter) runs. If none is ready — the run has departed from
/// the recording there, because the scenario changed — the longest-waiting ready process
/// runs instead (FIFO), the recorded dispatch stays next in line, and the departure is
/// counted ([`Replay::mismatches`]). So a process the recording never mentions (a line added
/// to the scenario) runs only when none of the recorded ones can, and the recorded order
/// resumes as soon as its next process is ready again. Past the end of the recording every
/// pick is FIFO.
///
/// **Preemption.** A recorded preemption belongs to the dispatch just before it. It is
/// matched by the running process's name and the ticks it has run since that dispatch: at
/// the first scheduling point at or past that many ticks, it is preempted; otherwise it runs
/// until it blocks, sleeps, yields or exits, as under FCFS. Elapsed ticks are the running
/// process's own work (its syscalls cost at least a tick each unless `syscall_cost` is 0),
/// so edits to other processes do not move the point, and the trace gives it exactly (the
/// `preempt` event's tick minus the `dispatch` event's). A count of the policy's scheduling
/// points would not do: the kernel asks only while another process is ready, so the count
/// depends on everyone else.
#[derive(Debug)]
pub struct Replay {
    /// The recording, shared with the [`super::Policy`] it was built from.
    schedule: Arc<Schedule>,
    /// The next decision to follow.
    cursor: usize,
    ready: VecDeque<Pid>,
    /// Who each process is.
    who: BTreeMap<Pid, Who>,
    /// How many processes of each name have been spawned.
    seen: BTreeMap<String, u32>,
    /// The running processes' slices.
    slices: BTreeMap<Pid, Slice>,
    mismatches: u64,
}

impl Replay {
    /// A policy that follows `schedule`.
    pub fn new(schedule: Arc<Schedule>) -> Self {
        Replay {
            schedule,
            cursor: 0,
            ready: VecDeque::new(),
            who: BTreeMap::new(),
            seen: BTreeMap::new(),
            slices: BTreeMap::new(),
            mismatches: 0,
        }
    }

    /// Dispatches that could not follow the recording (no ready process had the recorded
    /// name, or the recording had ended).
    pub fn mismatches(&self) -> u64 {
        self.mismatches
    }

    /// How many decisions have been followed or passed.
    pub fn position(&self) -> usize {
        self.cursor
    }
}

impl Scheduler for Replay {
    fn name(&self) -> &'static str {
        "replay"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.ready.push_back(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, now: Ticks) -> Option<Pid> {
        if self.ready.is_empty() {
            return None;
        }
        // The recording is borrowed apart from the cursor, which moves while it is read.
        let decisions = &self.schedule.decisions;
        // A preemption whose dispatch was not followed has nothing left to apply to.
        while let Some(Decision::Preempt { .. }) = decisions.get(self.cursor) {
            self.cursor += 1;
        }
        let wanted = match decisions.get(self.cursor) {
            Some(Decision::Dispatch(who)) => self
                .ready
                .iter()
                .position(|p| self.who.get(p) == Some(who))
                .map(|i| (i, who)),
            _ => None,
        };
        let (pid, preempt_after) = match wanted {
            Some((i, who)) => {
                self.cursor += 1;
                let after = match decisions.get(self.cursor) {
                    Some(Decision::Preempt { who: w, after }) if w == who => {
                        self.cursor += 1;
                        Some(*after)
                    }
                    _ => None,
                };
                (self.ready.remove(i)?, after)
            }
            None => {
                self.mismatches += 1;
                (self.ready.pop_front()?, None)
            }
        };
        self.slices.insert(
            pid,
            Slice {
                start: now,
                preempt_after,
            },
        );
        Some(pid)
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.ready.len()
    }
    fn stopped(&mut self, pid: Pid, _ran: Ticks, why: StopReason) {
        self.slices.remove(&pid);
        if why == StopReason::Exited {
            self.who.remove(&pid);
        }
    }
    fn should_preempt(&mut self, _cpu: CpuId, running: Pid, now: Ticks) -> bool {
        let Some(slice) = self.slices.get_mut(&running) else {
            return false;
        };
        match slice.preempt_after {
            Some(after) if now.saturating_sub(slice.start) >= after => {
                slice.preempt_after = None;
                true
            }
            _ => false,
        }
    }
    fn spawned(&mut self, pid: Pid, name: &str) {
        let n = self.seen.entry(String::from(name)).or_insert(0);
        self.who.insert(
            pid,
            Who {
                name: String::from(name),
                nth: *n,
            },
        );
        *n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::ReadyReason;
    use alloc::string::ToString;

    fn pid(i: u32) -> Pid {
        Pid::new(i, 0)
    }

    fn ready(i: u32) -> ReadyInfo {
        ReadyInfo {
            pid: pid(i),
            priority: 0,
            reason: ReadyReason::Spawned,
            now: 0,
            last_cpu: None,
            expected_burst: None,
        }
    }

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

    #[test]
    fn pct_draws_depth_minus_one_distinct_change_points_within_steps() {
        for seed in 0..50 {
            let p = Pct::new(seed, 4, 20);
            let cp = p.change_points();
            assert_eq!(cp.len(), 3);
            assert!(cp.windows(2).all(|w| w[0] < w[1]));
            assert!(cp.iter().all(|k| (1..=20).contains(k)));
        }
        assert!(Pct::new(0, 1, 20).change_points().is_empty());
        assert!(Pct::new(0, 0, 20).change_points().is_empty());
        assert_eq!(Pct::new(0, 9, 3).change_points(), &[1, 2, 3]);
        assert!(Pct::new(0, 3, 0).change_points().is_empty());
    }

    #[test]
    fn pct_takes_a_depth_above_its_bound_as_the_bound_and_any_steps_in_constant_memory() {
        // Before the bound this drew four billion change points (gigabytes) before the first
        // tick; now it draws MAX_DEPTH - 1 of them, whatever `steps` is.
        let p = Pct::new(1, u32::MAX, u64::MAX);
        assert_eq!(p.change_points().len(), Pct::MAX_DEPTH as usize - 1);
        assert!(p.change_points().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            Pct::new(1, Pct::MAX_DEPTH, u64::MAX).change_points(),
            p.change_points(),
            "the same draws as the bound itself"
        );
        // Every point fits below the lowest initial priority (the bound), as the algorithm
        // needs.
        let mut p = Pct::new(3, u32::MAX, 10);
        assert_eq!(p.change_points().len(), 10);
        p.spawned(pid(0), "a");
        assert!(p.priority(pid(0)) >= u64::from(Pct::MAX_DEPTH));
    }

    #[test]
    fn pct_runs_the_highest_priority_and_lowers_the_runner_at_a_change_point() {
        let mut p = Pct::new(11, 2, 5);
        let k = p.change_points()[0];
        for i in 0..3 {
            p.spawned(pid(i), "p");
        }
        assert!(
            (0..3).all(|i| p.priority(pid(i)) >= 2),
            "initial priorities are >= d"
        );
        let distinct: BTreeSet<u64> = (0..3).map(|i| p.priority(pid(i))).collect();
        assert_eq!(distinct.len(), 3);
        for i in 0..3 {
            p.enqueue(ready(i));
        }
        let top = (0..3).map(pid).max_by_key(|q| p.priority(*q)).unwrap();
        assert_eq!(p.pick(0, 0), Some(top));
        // Before the change point the highest priority keeps its CPU; at it, it drops to 1
        // and gives way.
        for step in 1..k {
            assert!(!p.should_preempt(0, top, 0), "step {step}");
        }
        assert!(p.should_preempt(0, top, 0), "change point {k}");
        assert_eq!(p.priority(top), 1);
    }

    #[test]
    fn pct_preempts_for_a_higher_priority_process_that_becomes_ready() {
        let mut p = Pct::new(5, 1, 100);
        p.spawned(pid(0), "a");
        p.spawned(pid(1), "b");
        let (low, high) = if p.priority(pid(0)) < p.priority(pid(1)) {
            (0, 1)
        } else {
            (1, 0)
        };
        p.enqueue(ready(low));
        assert_eq!(p.pick(0, 0), Some(pid(low)));
        assert!(!p.should_preempt(0, pid(low), 0));
        p.enqueue(ready(high));
        assert!(p.should_preempt(0, pid(low), 0));
    }

    #[test]
    fn pct_is_fair_after_its_last_step() {
        let mut p = Pct::new(4, 1, 3);
        for i in 0..3 {
            p.spawned(pid(i), "p");
            p.enqueue(ready(i));
        }
        let top = p.pick(0, 0).unwrap();
        for _ in 0..3 {
            assert!(
                !p.should_preempt(0, top, 0),
                "strict priorities for 3 steps"
            );
        }
        assert!(p.should_preempt(0, top, 0), "then the runner gives way");
        p.enqueue(ReadyInfo {
            pid: top,
            ..ready(0)
        });
        let rest: Vec<Pid> = core::iter::from_fn(|| p.pick(0, 0)).collect();
        assert_eq!(
            rest.last(),
            Some(&top),
            "FIFO: the preempted runner queues last"
        );
        assert_eq!(rest.len(), 3);
    }

    #[test]
    fn pct_passes_over_a_process_that_yielded_once() {
        let mut p = Pct::new(2, 1, 10);
        p.spawned(pid(0), "a");
        p.spawned(pid(1), "b");
        p.enqueue(ready(0));
        p.enqueue(ready(1));
        let first = p.pick(0, 0).unwrap();
        p.stopped(first, 1, StopReason::Yielded);
        p.enqueue(ReadyInfo {
            pid: first,
            ..ready(0)
        });
        let second = p.pick(0, 0).unwrap();
        assert_ne!(first, second, "the yielder waits its turn");
        // Alone, it runs again.
        p.stopped(second, 1, StopReason::Exited);
        p.stopped(first, 1, StopReason::Yielded);
        assert_eq!(p.pick(0, 0), Some(first));
    }

    fn who(name: &str, nth: u32) -> Who {
        Who {
            name: name.into(),
            nth,
        }
    }

    fn schedule(decisions: Vec<Decision>) -> Arc<Schedule> {
        Arc::new(Schedule { decisions })
    }

    #[test]
    fn replay_follows_names_not_pids_and_falls_back_to_fifo() {
        let s = schedule(alloc::vec![
            Decision::Dispatch(who("b", 0)),
            Decision::Preempt {
                who: who("b", 0),
                after: 3
            },
            Decision::Dispatch(who("a", 0)),
            Decision::Dispatch(who("gone", 0)),
        ]);
        let mut r = Replay::new(s);
        // Pids differ from the recording's, and an extra process `x` exists.
        r.spawned(pid(5), "x");
        r.spawned(pid(7), "a");
        r.spawned(pid(9), "b");
        for i in [5, 7, 9] {
            r.enqueue(ready(i));
        }
        assert_eq!(r.pick(0, 10), Some(pid(9)));
        assert!(!r.should_preempt(0, pid(9), 12), "2 ticks in: not yet");
        assert!(r.should_preempt(0, pid(9), 13), "3 ticks in: as recorded");
        assert!(!r.should_preempt(0, pid(9), 14), "only once");
        r.enqueue(ready(9));
        assert_eq!(r.pick(0, 14), Some(pid(7)));
        assert_eq!(r.mismatches(), 0);
        // `gone` is not ready: FIFO, counted, and `gone` stays next in line.
        assert_eq!(r.pick(0, 20), Some(pid(5)));
        assert_eq!(r.mismatches(), 1);
        assert_eq!(r.position(), 3);
        assert!(
            !r.should_preempt(0, pid(5), 1_000),
            "an unrecorded slice is never cut"
        );
    }

    #[test]
    fn replay_tells_apart_processes_with_one_name_by_their_spawn_order() {
        let s = schedule(alloc::vec![
            Decision::Dispatch(who("w", 1)),
            Decision::Dispatch(who("w", 0)),
        ]);
        let mut r = Replay::new(s);
        r.spawned(pid(1), "w");
        r.spawned(pid(2), "w");
        r.enqueue(ready(1));
        r.enqueue(ready(2));
        assert_eq!(r.pick(0, 0), Some(pid(2)));
        assert_eq!(r.pick(0, 0), Some(pid(1)));
        assert_eq!(r.mismatches(), 0);
        assert_eq!(who("w", 0).to_string(), "w");
        assert_eq!(who("w", 2).to_string(), "w#2");
        assert_eq!(who("a#1", 0).to_string(), "a#1#0");
    }
}
