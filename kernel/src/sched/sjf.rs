//! Shortest job first (SJF, non-preemptive) and shortest remaining time first (SRTF,
//! preemptive).
//!
//! This module owns one run queue ordered by each process's expected remaining CPU burst, and
//! every process's burst history: the burst it declared at spawn, or else an exponential
//! average of the bursts it was measured to use. It never measures anything itself: the
//! kernel tells it, through [`Scheduler::stopped`], how long each process ran and why it
//! stopped, and through [`Scheduler::pick`] and [`Scheduler::should_preempt`] what time it is.
//!
//! **The burst.** A CPU burst is the ticks a process uses from the dispatch that starts it
//! until it blocks, sleeps or exits, summed across preemptions and yields (those interrupt
//! a burst, they do not end it). The kernel's `ran` counts from the dispatch, so with the
//! machine's default costs a burst includes the dispatch tick and every syscall's tick.
//!
//! **The estimate.** A process that declared a burst (`SpawnOptions::burst`) is expected to
//! use exactly that in every burst. One that did not is expected to use
//! τ(n+1) = α·t(n) + (1 − α)·τ(n), where t(n) is its last measured burst, α is
//! `alpha_percent`% and τ(0) is `initial_estimate`. τ is kept in hundredths of a tick, so
//! that the average does not drift by a rounding at every step.
//!
//! **The order.** The queue is ordered by expected *remaining* burst: the expected burst
//! minus what the current burst has used so far (a process preempted or yielding mid-burst
//! has used some), never below zero; ties go to whoever joined the queue first (FIFO).
//! Non-preemptive SJF lets the chosen process run until its burst ends; SRTF preempts it,
//! at any scheduling point, as soon as a queued process is expected to finish strictly
//! sooner than it is.

use super::{ReadyInfo, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::BTreeMap;

/// Hundredths of a tick per tick: the fixed point estimates are kept in.
const SCALE: u128 = 100;

/// What the policy knows of one process's bursts.
#[derive(Clone, Copy, Debug)]
struct History {
    /// The burst it declared at spawn, if any.
    declared: Option<Ticks>,
    /// τ, in hundredths of a tick.
    estimate: u128,
    /// Ticks its current burst used before its current (or next) dispatch.
    used: Ticks,
    /// When it was dispatched, while it runs.
    dispatched_at: Option<Ticks>,
}

impl History {
    /// The burst it is expected to need, in hundredths of a tick.
    fn expected(&self) -> u128 {
        match self.declared {
            Some(d) => u128::from(d) * SCALE,
            None => self.estimate,
        }
    }

    /// What is left of the expected burst after `used` ticks of it, in hundredths.
    fn remaining(&self, used: Ticks) -> u128 {
        self.expected().saturating_sub(u128::from(used) * SCALE)
    }
}

/// Shortest job first, or shortest remaining time first when `preemptive`.
#[derive(Debug)]
pub struct ShortestJob {
    preemptive: bool,
    alpha_percent: u8,
    initial_estimate: Ticks,
    /// The run queue: (expected remaining burst in hundredths, arrival serial) → pid. The
    /// serial makes every key unique and breaks ties first come, first served.
    queue: BTreeMap<(u128, u64), Pid>,
    /// Every process the policy has heard of and not yet seen exit.
    history: BTreeMap<Pid, History>,
    serial: u64,
}

impl ShortestJob {
    /// Non-preemptive SJF: estimates weigh the last burst `alpha_percent`% (at most 100)
    /// and start at `initial_estimate` ticks.
    pub fn sjf(alpha_percent: u8, initial_estimate: Ticks) -> Self {
        Self::new(false, alpha_percent, initial_estimate)
    }

    /// SRTF: SJF that preempts the running process for a queued one expected to finish
    /// sooner.
    pub fn srtf(alpha_percent: u8, initial_estimate: Ticks) -> Self {
        Self::new(true, alpha_percent, initial_estimate)
    }

    fn new(preemptive: bool, alpha_percent: u8, initial_estimate: Ticks) -> Self {
        ShortestJob {
            preemptive,
            alpha_percent: alpha_percent.min(100),
            initial_estimate,
            queue: BTreeMap::new(),
            history: BTreeMap::new(),
            serial: 0,
        }
    }

    /// The burst `pid` is expected to need next, in whole ticks (rounded to nearest): its
    /// declared burst, or the estimate. `None` for a process the policy has not heard of.
    pub fn expected_burst(&self, pid: Pid) -> Option<Ticks> {
        let h = self.history.get(&pid)?;
        let ticks = (h.expected() + SCALE / 2) / SCALE;
        Some(Ticks::try_from(ticks).unwrap_or(Ticks::MAX))
    }

    fn history_mut(&mut self, pid: Pid) -> &mut History {
        let initial = u128::from(self.initial_estimate) * SCALE;
        self.history.entry(pid).or_insert(History {
            declared: None,
            estimate: initial,
            used: 0,
            dispatched_at: None,
        })
    }
}

impl Scheduler for ShortestJob {
    fn name(&self) -> &'static str {
        if self.preemptive {
            "srtf"
        } else {
            "sjf"
        }
    }

    fn enqueue(&mut self, info: ReadyInfo) {
        let h = self.history_mut(info.pid);
        h.declared = info.expected_burst.filter(|b| *b > 0);
        h.dispatched_at = None;
        let key = (h.remaining(h.used), self.serial);
        self.serial += 1;
        self.queue.insert(key, info.pid);
    }

    fn pick(&mut self, _cpu: CpuId, now: Ticks) -> Option<Pid> {
        let (_, pid) = self.queue.pop_first()?;
        self.history_mut(pid).dispatched_at = Some(now);
        Some(pid)
    }

    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    fn stopped(&mut self, pid: Pid, ran: Ticks, why: StopReason) {
        let alpha = u128::from(self.alpha_percent);
        let h = self.history_mut(pid);
        h.dispatched_at = None;
        h.used = h.used.saturating_add(ran);
        match why {
            // The burst goes on after the interruption.
            StopReason::Preempted | StopReason::Yielded => {}
            StopReason::Blocked | StopReason::Slept => {
                let t = u128::from(h.used) * SCALE;
                h.estimate = (alpha * t + (100 - alpha) * h.estimate) / 100;
                h.used = 0;
            }
            StopReason::Exited => {
                self.history.remove(&pid);
            }
        }
    }

    fn should_preempt(&mut self, _cpu: CpuId, running: Pid, now: Ticks) -> bool {
        if !self.preemptive {
            return false;
        }
        let Some(&(shortest, _)) = self.queue.first_key_value().map(|(k, _)| k) else {
            return false;
        };
        let Some(h) = self.history.get(&running) else {
            return false;
        };
        let since = h.dispatched_at.map_or(0, |d| now.saturating_sub(d));
        shortest < h.remaining(h.used.saturating_add(since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::ReadyReason;

    fn pid(i: u32) -> Pid {
        Pid::new(i, 0)
    }

    fn ready(i: u32, burst: Option<Ticks>, now: Ticks) -> ReadyInfo {
        ReadyInfo {
            pid: pid(i),
            priority: 0,
            reason: ReadyReason::Spawned,
            now,
            last_cpu: None,
            expected_burst: burst,
        }
    }

    #[test]
    fn the_shortest_declared_burst_goes_first_and_ties_are_fifo() {
        let mut s = ShortestJob::sjf(50, 5);
        s.enqueue(ready(1, Some(6), 0));
        s.enqueue(ready(2, Some(8), 0));
        s.enqueue(ready(3, Some(7), 0));
        s.enqueue(ready(4, Some(3), 0));
        s.enqueue(ready(5, Some(6), 0));
        let order: alloc::vec::Vec<_> = core::iter::from_fn(|| s.pick(0, 0)).collect();
        assert_eq!(order, [pid(4), pid(1), pid(5), pid(3), pid(2)]);
        assert!(s.is_empty());
    }

    #[test]
    fn the_estimate_is_the_exponential_average_of_measured_bursts() {
        // Silberschatz's figure "prediction of the length of the next CPU burst": α = 1/2,
        // τ0 = 10, bursts 6 4 6 4 13 13 13 give the predictions 10 8 6 6 5 9 11 12.
        let mut s = ShortestJob::sjf(50, 10);
        let p = pid(1);
        let mut predictions = alloc::vec![];
        for burst in [6, 4, 6, 4, 13, 13, 13] {
            s.enqueue(ready(1, None, 0));
            predictions.push(s.expected_burst(p).unwrap());
            assert_eq!(s.pick(0, 0), Some(p));
            // A burst interrupted by a preemption is still one burst.
            s.stopped(p, burst - 1, StopReason::Preempted);
            s.enqueue(ready(1, None, 0));
            assert_eq!(s.pick(0, 0), Some(p));
            s.stopped(p, 1, StopReason::Blocked);
        }
        predictions.push(s.expected_burst(p).unwrap());
        assert_eq!(predictions, [10, 8, 6, 6, 5, 9, 11, 12]);
    }

    #[test]
    fn alpha_zero_ignores_history_and_alpha_hundred_trusts_only_the_last_burst() {
        let mut never = ShortestJob::sjf(0, 5);
        let mut only_last = ShortestJob::sjf(100, 5);
        for s in [&mut never, &mut only_last] {
            s.enqueue(ready(1, None, 0));
            s.pick(0, 0);
            s.stopped(pid(1), 9, StopReason::Slept);
        }
        assert_eq!(never.expected_burst(pid(1)), Some(5));
        assert_eq!(only_last.expected_burst(pid(1)), Some(9));
    }

    #[test]
    fn a_declared_burst_beats_the_estimate() {
        let mut s = ShortestJob::sjf(50, 5);
        s.enqueue(ready(1, None, 0)); // expected 5
        s.enqueue(ready(2, Some(2), 0));
        s.enqueue(ready(3, Some(9), 0));
        assert_eq!(s.pick(0, 0), Some(pid(2)));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        assert_eq!(s.pick(0, 0), Some(pid(3)));
        // Measured bursts do not change what a process declared.
        s.stopped(pid(2), 40, StopReason::Blocked);
        assert_eq!(s.expected_burst(pid(2)), Some(2));
    }

    #[test]
    fn srtf_preempts_only_for_a_strictly_shorter_remaining_burst() {
        let mut s = ShortestJob::srtf(50, 5);
        s.enqueue(ready(1, Some(8), 0));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        // At 1, p2 arrives needing 4; p1 has 7 left.
        s.enqueue(ready(2, Some(4), 1));
        assert!(s.should_preempt(0, pid(1), 1));
        s.stopped(pid(1), 1, StopReason::Preempted);
        s.enqueue(ReadyInfo {
            reason: ReadyReason::Preempted,
            ..ready(1, Some(8), 1)
        });
        assert_eq!(s.pick(0, 1), Some(pid(2)));
        // At 2, p3 needs exactly what p2 has left (3): a tie does not preempt.
        s.enqueue(ready(3, Some(3), 2));
        assert!(!s.should_preempt(0, pid(2), 2));
        // Later p2 has less left still, so p3 never preempts it.
        assert!(!s.should_preempt(0, pid(2), 3));
        // p4 needs 2 < 3: it does.
        s.enqueue(ready(4, Some(2), 2));
        assert!(s.should_preempt(0, pid(2), 2));
    }

    #[test]
    fn sjf_never_preempts() {
        let mut s = ShortestJob::sjf(50, 5);
        s.enqueue(ready(1, Some(100), 0));
        s.pick(0, 0);
        s.enqueue(ready(2, Some(1), 1));
        assert!(!s.should_preempt(0, pid(1), 50));
        assert_eq!(s.quantum(pid(1)), None);
    }

    #[test]
    fn a_preempted_process_queues_by_what_it_has_left() {
        let mut s = ShortestJob::srtf(50, 5);
        s.enqueue(ready(1, Some(10), 0));
        s.pick(0, 0);
        s.stopped(pid(1), 7, StopReason::Preempted);
        s.enqueue(ready(1, Some(10), 7)); // 3 left
        s.enqueue(ready(2, Some(4), 7));
        assert_eq!(s.pick(0, 7), Some(pid(1)));
        // Outrunning the estimate leaves nothing expected, never a negative or a panic.
        s.stopped(pid(1), 50, StopReason::Yielded);
        s.enqueue(ready(1, Some(10), 57));
        assert_eq!(s.pick(0, 57), Some(pid(1)));
    }

    #[test]
    fn an_exited_process_is_forgotten() {
        let mut s = ShortestJob::sjf(50, 5);
        s.enqueue(ready(1, Some(3), 0));
        s.pick(0, 0);
        s.stopped(pid(1), 3, StopReason::Exited);
        assert_eq!(s.expected_burst(pid(1)), None);
        assert!(!s.should_preempt(0, pid(1), 9));
    }
}
