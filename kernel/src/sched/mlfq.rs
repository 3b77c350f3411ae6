//! The multilevel feedback queue (MLFQ).
//!
//! This module owns N FIFO run queues, one per level (level 0 is the top, the most urgent),
//! each with its own quantum, and the level of every process it has heard of. It learns how
//! a process behaves only from why it left its CPU ([`Scheduler::stopped`]); it never looks
//! at priorities or declared bursts.
//!
//! The rules (Arpaci-Dusseau, *Operating Systems: Three Easy Pieces*, ch. 8, with the
//! simple per-quantum demotion):
//! 1. a queued process at a higher level runs before any at a lower one, and preempts a
//!    running process of a lower level at the next scheduling point;
//! 2. within a level, round robin with the level's quantum;
//! 3. a new process starts at the top;
//! 4. a process whose quantum runs out (the timer preempts it) drops one level, down to the
//!    bottom; one that blocks, sleeps or yields before it runs out stays where it is, as
//!    does one preempted by a higher level (which also goes back to the *head* of its
//!    level: it did not use its turn up);
//! 5. every `boost` ticks (0: never) every process, queued, running or blocked, goes back
//!    to the top, queued ones in their order (top level first), so CPU-bound processes are
//!    not starved for ever and a process that changed its behaviour is found out again.
//!
//! One departure from the textbook: the machine renews a quantum quietly when it runs out
//! while nobody else is ready (there is nobody to switch to, so it does not preempt), and a
//! policy only hears of preemptions. A process alone on the machine therefore drops a level
//! only when it is next preempted with somebody waiting, never several levels at once.
//! The boost is checked whenever the policy is called with the time (`enqueue`, `pick`,
//! `should_preempt`), so it happens at the first scheduling point at or after each multiple
//! of `boost`.

use super::{ReadyInfo, ReadyReason, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;

/// The multilevel feedback queue.
#[derive(Debug)]
pub struct Mlfq {
    /// The quantum of each level, top first.
    quanta: Vec<Ticks>,
    boost: Ticks,
    /// When the next boost is due (`Ticks::MAX` without boosts).
    next_boost: Ticks,
    /// One FIFO run queue per level, top first.
    queues: Vec<VecDeque<Pid>>,
    /// The level of every process the policy has heard of and not yet seen exit.
    level: BTreeMap<Pid, usize>,
    /// Processes this policy preempted for a higher level, until they are queued again.
    preempted: BTreeSet<Pid>,
}

impl Mlfq {
    /// An MLFQ with one level per quantum in `quanta` (top first; none gives one level of
    /// quantum 1, and a quantum of 0 counts as 1) and a boost every `boost` ticks (0: none).
    pub fn new(quanta: &[Ticks], boost: Ticks) -> Self {
        let mut quanta: Vec<Ticks> = quanta.iter().map(|q| (*q).max(1)).collect();
        if quanta.is_empty() {
            quanta.push(1);
        }
        let queues = quanta.iter().map(|_| VecDeque::new()).collect();
        Mlfq {
            quanta,
            boost,
            next_boost: if boost == 0 { Ticks::MAX } else { boost },
            queues,
            level: BTreeMap::new(),
            preempted: BTreeSet::new(),
        }
    }

    /// The level `pid` is at, if the policy has heard of it.
    pub fn level_of(&self, pid: Pid) -> Option<usize> {
        self.level.get(&pid).copied()
    }

    fn bottom(&self) -> usize {
        self.quanta.len() - 1
    }

    /// Move everyone to the top if a boost is due by `now`.
    fn maybe_boost(&mut self, now: Ticks) {
        if self.boost == 0 || now < self.next_boost {
            return;
        }
        // The next boost falls on the next multiple of the period after now (several
        // periods may have passed while the machine idled: one boost covers them).
        self.next_boost = (now / self.boost)
            .saturating_add(1)
            .saturating_mul(self.boost);
        let (top, lower) = self.queues.split_at_mut(1);
        for q in lower {
            top[0].extend(q.drain(..));
        }
        for l in self.level.values_mut() {
            *l = 0;
        }
    }

    /// The highest level with a queued process.
    fn highest_ready(&self) -> Option<usize> {
        self.queues.iter().position(|q| !q.is_empty())
    }
}

impl Scheduler for Mlfq {
    fn name(&self) -> &'static str {
        "mlfq"
    }

    fn enqueue(&mut self, info: ReadyInfo) {
        self.maybe_boost(info.now);
        let pid = info.pid;
        let level = if info.reason == ReadyReason::Spawned {
            0
        } else {
            self.level.get(&pid).copied().unwrap_or(0)
        };
        let level = level.min(self.bottom());
        self.level.insert(pid, level);
        if info.reason == ReadyReason::Preempted && self.preempted.remove(&pid) {
            self.queues[level].push_front(pid);
        } else {
            self.queues[level].push_back(pid);
        }
    }

    fn pick(&mut self, _cpu: CpuId, now: Ticks) -> Option<Pid> {
        self.maybe_boost(now);
        let level = self.highest_ready()?;
        let pid = self.queues[level].pop_front()?;
        self.preempted.remove(&pid);
        Some(pid)
    }

    fn quantum(&self, pid: Pid) -> Option<Ticks> {
        let level = self.level_of(pid).unwrap_or(0).min(self.bottom());
        Some(self.quanta[level])
    }

    fn len(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    fn stopped(&mut self, pid: Pid, _ran: Ticks, why: StopReason) {
        match why {
            // The timer, not a higher level, took the CPU: the quantum is used up.
            StopReason::Preempted if !self.preempted.contains(&pid) => {
                let bottom = self.bottom();
                if let Some(l) = self.level.get_mut(&pid) {
                    *l = (*l + 1).min(bottom);
                }
            }
            StopReason::Exited => {
                self.level.remove(&pid);
                self.preempted.remove(&pid);
            }
            _ => {}
        }
    }

    fn should_preempt(&mut self, _cpu: CpuId, running: Pid, now: Ticks) -> bool {
        self.maybe_boost(now);
        let mine = self.level_of(running).unwrap_or(0);
        let yes = self.highest_ready().is_some_and(|l| l < mine);
        if yes {
            self.preempted.insert(running);
        }
        yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(i: u32) -> Pid {
        Pid::new(i, 0)
    }

    fn ready(i: u32, now: Ticks, reason: ReadyReason) -> ReadyInfo {
        ReadyInfo {
            pid: pid(i),
            priority: 0,
            reason,
            now,
            last_cpu: None,
            expected_burst: None,
        }
    }

    /// Run `i` on the CPU and have the timer end its quantum at `now`.
    fn use_quantum(s: &mut Mlfq, i: u32, now: Ticks) {
        let q = s.quantum(pid(i)).unwrap();
        s.stopped(pid(i), q, StopReason::Preempted);
        s.enqueue(ready(i, now, ReadyReason::Preempted));
    }

    #[test]
    fn a_full_quantum_demotes_and_quanta_grow_down_the_levels() {
        let mut s = Mlfq::new(&[2, 4, 8], 0);
        s.enqueue(ready(1, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        assert_eq!(s.quantum(pid(1)), Some(2));
        use_quantum(&mut s, 1, 2);
        assert_eq!(s.level_of(pid(1)), Some(1));
        assert_eq!(s.pick(0, 2), Some(pid(1)));
        assert_eq!(s.quantum(pid(1)), Some(4));
        use_quantum(&mut s, 1, 6);
        assert_eq!(s.pick(0, 6), Some(pid(1)));
        assert_eq!(s.quantum(pid(1)), Some(8));
        use_quantum(&mut s, 1, 14);
        assert_eq!(s.level_of(pid(1)), Some(2), "the bottom keeps it");
    }

    #[test]
    fn blocking_before_the_quantum_ends_keeps_the_level() {
        let mut s = Mlfq::new(&[2, 4, 8], 0);
        s.enqueue(ready(1, 0, ReadyReason::Spawned));
        s.pick(0, 0);
        use_quantum(&mut s, 1, 2);
        s.pick(0, 2);
        for why in [StopReason::Blocked, StopReason::Slept, StopReason::Yielded] {
            s.stopped(pid(1), 1, why);
            assert_eq!(s.level_of(pid(1)), Some(1), "{why:?}");
        }
    }

    #[test]
    fn higher_levels_run_first_and_preempt_lower_ones() {
        let mut s = Mlfq::new(&[2, 4, 8], 0);
        s.enqueue(ready(1, 0, ReadyReason::Spawned));
        s.enqueue(ready(2, 0, ReadyReason::Spawned));
        s.pick(0, 0);
        use_quantum(&mut s, 1, 2); // p1 at level 1, behind p2 at level 0
        assert_eq!(s.pick(0, 2), Some(pid(2)));
        s.stopped(pid(2), 1, StopReason::Blocked);
        assert_eq!(s.pick(0, 3), Some(pid(1)));
        assert!(!s.should_preempt(0, pid(1), 4), "nobody queued");
        s.enqueue(ready(3, 4, ReadyReason::Spawned));
        s.enqueue(ready(4, 4, ReadyReason::Woken)); // never seen: the top
        assert!(s.should_preempt(0, pid(1), 4));
        s.stopped(pid(1), 1, StopReason::Preempted);
        assert_eq!(
            s.level_of(pid(1)),
            Some(1),
            "not demoted by a preemption for a higher level"
        );
        s.enqueue(ready(1, 4, ReadyReason::Preempted));
        s.enqueue(ready(5, 4, ReadyReason::Spawned));
        s.pick(0, 4);
        s.stopped(pid(3), 2, StopReason::Preempted);
        s.enqueue(ready(3, 6, ReadyReason::Preempted));
        // p4, p5 at the top; p3 (just demoted) and then p1 at level 1, where p1 went back to
        // the head of the level it was preempted from.
        let order: Vec<Pid> = core::iter::from_fn(|| s.pick(0, 6)).collect();
        assert_eq!(order, [pid(4), pid(5), pid(1), pid(3)]);
    }

    #[test]
    fn a_boost_moves_everyone_to_the_top_in_order() {
        let mut s = Mlfq::new(&[1, 1, 1], 10);
        for i in 1..=3 {
            s.enqueue(ready(i, 0, ReadyReason::Spawned));
        }
        // Demote all three once, then p1 once more.
        for (i, now) in [(1, 1), (2, 2), (3, 3)] {
            assert_eq!(s.pick(0, now), Some(pid(i)));
            use_quantum(&mut s, i, now);
        }
        assert_eq!(s.pick(0, 4), Some(pid(1)));
        use_quantum(&mut s, 1, 5);
        s.enqueue(ready(9, 5, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 5), Some(pid(9)));
        s.stopped(pid(9), 1, StopReason::Blocked);
        s.level.insert(pid(9), 2); // as if it had sunk to the bottom and then blocked
        assert_eq!(
            [1, 2, 3, 9].map(|i| s.level_of(pid(i))),
            [Some(2), Some(1), Some(1), Some(2)]
        );
        // No boost before 10; at 12 the boost due at 10 happens, and the next is at 20.
        s.maybe_boost(9);
        assert_eq!(s.level_of(pid(1)), Some(2));
        s.maybe_boost(12);
        assert_eq!(s.next_boost, 20);
        assert!([1, 2, 3, 9].iter().all(|i| s.level_of(pid(*i)) == Some(0)));
        // Level 1 (p2, p3) was ahead of level 2 (p1).
        let order: Vec<Pid> = core::iter::from_fn(|| s.pick(0, 12)).collect();
        assert_eq!(order, [pid(2), pid(3), pid(1)]);
    }

    #[test]
    fn no_boost_when_off_and_odd_settings_do_not_panic() {
        let mut s = Mlfq::new(&[3], 0);
        s.enqueue(ready(1, 0, ReadyReason::Spawned));
        s.pick(0, 0);
        use_quantum(&mut s, 1, 3);
        assert_eq!(s.level_of(pid(1)), Some(0), "one level: nowhere to drop");
        s.pick(0, u64::MAX);
        let empty = Mlfq::new(&[], 0);
        assert_eq!(empty.quantum(pid(7)), Some(1));
        assert_eq!(Mlfq::new(&[0, 5], 0).quantum(pid(7)), Some(1));
        let mut late = Mlfq::new(&[1, 2], 7);
        late.maybe_boost(u64::MAX);
        assert_eq!(late.next_boost, u64::MAX);
    }
}
