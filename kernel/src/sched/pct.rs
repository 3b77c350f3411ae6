//! Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and Nagarakatte, "A
//! randomized scheduler with probabilistic guarantees of finding bugs", ASPLOS 2010).
//!
//! This module owns [`Pct`], the `pct` policy: random distinct priorities and `depth - 1`
//! priority change points, counted in scheduling points (see [`super`], "Exploring
//! policies"). Every choice comes from the run's seed through [`Rng`], so a seed names one
//! schedule exactly. It never blocks, wakes or charges anything, and never panics: an
//! unknown pid has priority 0, an empty queue picks nobody.

use super::rng::Rng;
use super::{ReadyInfo, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

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
/// step is a scheduling point ([`super`], "Exploring policies": a call of
/// `should_preempt`, after a syscall that keeps the caller running, or a piece of a compute
/// burst, while another process is ready). Only there can a lower priority change who runs,
/// so change points spent elsewhere would be wasted. `steps` should therefore be about the
/// number of such points in a run; a larger value leaves the later change points beyond the
/// end of most runs (a smaller effective depth), a smaller one crowds them into its
/// beginning.
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    use crate::sched::test_support::{pid, ready};

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
        // Unbounded, this depth would draw four billion change points (gigabytes) before the
        // first tick; the bound draws MAX_DEPTH - 1 of them, whatever `steps` is.
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
}
