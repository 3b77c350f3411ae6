//! Static priority scheduling, preemptive (`priority`) or not (`priority_np`), with optional
//! aging, an optional quantum (preemptive only) and a choice of which end of the numbers is
//! the most urgent.
//!
//! This module owns one run queue ordered by priority and, within a priority, by arrival,
//! and the priority of every process it has put on a CPU. It never changes a process's own
//! priority: the kernel tells it the priority with every `enqueue` (the effective one, when
//! priority inheritance lends a higher one) and through [`Scheduler::reprioritize`]; aging
//! is the policy's own view, forgotten when the process is dispatched.
//!
//! **Higher number, higher priority** by default: 255 is the most urgent, 0 (the default of
//! `spawn`) the least. With [`PriorityOrder::LowerIsHigher`] it is the other way round, as
//! many textbooks number them (1 = highest); the policy turns each priority into a *rank*
//! ([`PriorityOrder::rank`]) as it hears it and orders by rank, so everything below speaks of
//! ranks, and aging raises a rank.
//!
//! - **Non-preemptive** (`priority_np`): never preempts; the highest rank queued runs next
//!   when the CPU is free, until it blocks, sleeps, yields or exits.
//!
//! - **Preemption.** At every scheduling point, a queued process whose effective priority is
//!   strictly higher than the running one's takes the CPU ([`Scheduler::should_preempt`]).
//!   The process it preempts goes back to the *head* of its level: it did not give the CPU
//!   up, so equals that arrived after it must not overtake it.
//! - **Within a level**, first come, first served. With a quantum, processes of the same
//!   level take turns (round robin: one whose quantum ran out goes to the back of its
//!   level); without one (`None`) a process runs until it blocks, yields or exits, or a
//!   higher priority preempts it.
//! - **Aging** (`aging` > 0): every `aging` ticks a process waits in the queue, its effective
//!   priority rises one level, up to 255, so a low priority cannot starve for ever. It
//!   counts from when the process joined the queue and resets when it is dispatched. Among
//!   equal effective priorities, the one that joined first goes first.

use super::{PriorityOrder, ReadyInfo, ReadyReason, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::{BTreeMap, BTreeSet};
use core::cmp::Reverse;

/// A queued process's place: its priority (highest first), then its serial (lowest first).
type Key = (Reverse<u8>, i64);

/// A queued process.
#[derive(Clone, Copy, Debug)]
struct Entry {
    pid: Pid,
    /// When it joined the queue (aging counts from here).
    since: Ticks,
}

/// Static priority.
#[derive(Debug)]
pub struct PriorityScheduler {
    quantum: Option<Ticks>,
    aging: Ticks,
    order: PriorityOrder,
    /// Whether a higher rank queued takes the CPU at a scheduling point (`priority`) or
    /// waits for the CPU to be free (`priority_np`).
    preemptive: bool,
    queue: BTreeMap<Key, Entry>,
    /// Where each queued process sits in `queue`, so a priority change can find it.
    queued: BTreeMap<Pid, Key>,
    /// The priority of each process on a CPU.
    running: BTreeMap<Pid, u8>,
    /// Processes this policy preempted, until they are queued again (at the head of their
    /// level).
    preempted: BTreeSet<Pid>,
    /// The next serial at the back of a level (counts up) and at the head (counts down).
    back: i64,
    front: i64,
}

impl PriorityScheduler {
    /// Priority scheduling with `quantum` among equals (`None`: run until block) and aging
    /// by one level every `aging` ticks of waiting (0: no aging).
    pub fn new(quantum: Option<Ticks>, aging: Ticks) -> Self {
        PriorityScheduler {
            quantum: quantum.map(|q| q.max(1)),
            aging,
            order: PriorityOrder::HigherIsHigher,
            preemptive: true,
            queue: BTreeMap::new(),
            queued: BTreeMap::new(),
            running: BTreeMap::new(),
            preempted: BTreeSet::new(),
            back: 0,
            front: -1,
        }
    }

    /// The same, numbering priorities in `order`.
    pub fn with_order(mut self, order: PriorityOrder) -> Self {
        self.order = order;
        self
    }

    /// The same, never preempting: a process runs until it leaves its CPU of its own accord,
    /// and no quantum applies.
    pub fn non_preemptive(mut self) -> Self {
        self.preemptive = false;
        self.quantum = None;
        self
    }

    /// A queued process's effective priority at `now`: its priority plus one level per
    /// `aging` ticks it has waited, at most 255.
    fn effective(&self, priority: u8, entry: &Entry, now: Ticks) -> u8 {
        if self.aging == 0 {
            return priority;
        }
        let levels = now.saturating_sub(entry.since) / self.aging;
        u8::try_from(u64::from(priority).saturating_add(levels)).unwrap_or(u8::MAX)
    }

    /// The queued process that should run next at `now`: the highest effective priority,
    /// earliest serial among equals. Without aging that is the first key; with it every
    /// entry must be looked at, since waiting reorders them.
    fn best(&self, now: Ticks) -> Option<(Key, u8)> {
        if self.aging == 0 {
            return self.queue.keys().next().map(|k| (*k, k.0 .0));
        }
        self.queue
            .iter()
            .map(|(k, e)| (*k, self.effective(k.0 .0, e, now)))
            .max_by_key(|(k, eff)| (*eff, Reverse(k.1)))
    }
}

impl Scheduler for PriorityScheduler {
    fn name(&self) -> &'static str {
        if self.preemptive {
            "priority"
        } else {
            "priority_np"
        }
    }

    fn may_preempt(&self) -> bool {
        self.preemptive
    }

    fn enqueue(&mut self, info: ReadyInfo) {
        self.running.remove(&info.pid);
        if let Some(old) = self.queued.remove(&info.pid) {
            // Already queued (the kernel never does this): keep one entry.
            self.queue.remove(&old);
        }
        let at_head = info.reason == ReadyReason::Preempted && self.preempted.remove(&info.pid);
        let serial = if at_head {
            self.front -= 1;
            self.front + 1
        } else {
            self.back += 1;
            self.back - 1
        };
        let key = (Reverse(self.order.rank(info.priority)), serial);
        self.queue.insert(
            key,
            Entry {
                pid: info.pid,
                since: info.now,
            },
        );
        self.queued.insert(info.pid, key);
    }

    fn pick(&mut self, _cpu: CpuId, now: Ticks) -> Option<Pid> {
        let (key, _) = self.best(now)?;
        let entry = self.queue.remove(&key)?;
        self.queued.remove(&entry.pid);
        self.preempted.remove(&entry.pid);
        // Aging is forgotten here: it runs at its own priority.
        self.running.insert(entry.pid, key.0 .0);
        Some(entry.pid)
    }

    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        self.quantum
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    fn stopped(&mut self, pid: Pid, _ran: Ticks, why: StopReason) {
        self.running.remove(&pid);
        if why != StopReason::Preempted {
            self.preempted.remove(&pid);
        }
    }

    fn should_preempt(&mut self, _cpu: CpuId, running: Pid, now: Ticks) -> bool {
        if !self.preemptive {
            return false;
        }
        let Some(&mine) = self.running.get(&running) else {
            return false;
        };
        let yes = self.best(now).is_some_and(|(_, eff)| eff > mine);
        if yes {
            self.preempted.insert(running);
        }
        yes
    }

    fn reprioritize(&mut self, pid: Pid, priority: u8) {
        let priority = self.order.rank(priority);
        if let Some(p) = self.running.get_mut(&pid) {
            *p = priority;
        }
        if let Some(old) = self.queued.get(&pid).copied() {
            if let Some(entry) = self.queue.remove(&old) {
                // Same serial: it keeps its turn among those that came before and after it.
                let key = (Reverse(priority), old.1);
                self.queue.insert(key, entry);
                self.queued.insert(pid, key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn pid(i: u32) -> Pid {
        Pid::new(i, 0)
    }

    fn ready(i: u32, priority: u8, now: Ticks, reason: ReadyReason) -> ReadyInfo {
        ReadyInfo {
            pid: pid(i),
            priority,
            reason,
            now,
            last_cpu: None,
            expected_burst: None,
        }
    }

    fn drain(s: &mut PriorityScheduler, now: Ticks) -> Vec<Pid> {
        core::iter::from_fn(|| s.pick(0, now)).collect()
    }

    #[test]
    fn higher_numbers_go_first_and_equals_in_arrival_order() {
        let mut s = PriorityScheduler::new(None, 0);
        for (i, prio) in [(1, 3), (2, 1), (3, 4), (4, 5), (5, 2), (6, 4)] {
            s.enqueue(ready(i, prio, 0, ReadyReason::Spawned));
        }
        assert_eq!(
            drain(&mut s, 0),
            [pid(4), pid(3), pid(6), pid(1), pid(5), pid(2)]
        );
    }

    #[test]
    fn a_strictly_higher_priority_preempts_and_the_preempted_keeps_its_place() {
        let mut s = PriorityScheduler::new(None, 0);
        s.enqueue(ready(1, 2, 0, ReadyReason::Spawned));
        s.enqueue(ready(2, 2, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        s.enqueue(ready(3, 2, 1, ReadyReason::Woken));
        assert!(!s.should_preempt(0, pid(1), 1), "an equal does not preempt");
        s.enqueue(ready(4, 7, 2, ReadyReason::Woken));
        assert!(s.should_preempt(0, pid(1), 2));
        s.stopped(pid(1), 2, StopReason::Preempted);
        s.enqueue(ready(1, 2, 2, ReadyReason::Preempted));
        // p1 goes back ahead of p2 and p3, which were waiting behind it.
        assert_eq!(drain(&mut s, 2), [pid(4), pid(1), pid(2), pid(3)]);
    }

    #[test]
    fn with_a_quantum_equals_take_turns() {
        let mut s = PriorityScheduler::new(Some(3), 0);
        assert_eq!(s.quantum(pid(1)), Some(3));
        s.enqueue(ready(1, 1, 0, ReadyReason::Spawned));
        s.enqueue(ready(2, 1, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        // The timer (not the policy) preempted p1: to the back of its level.
        s.stopped(pid(1), 3, StopReason::Preempted);
        s.enqueue(ready(1, 1, 3, ReadyReason::Preempted));
        assert_eq!(drain(&mut s, 3), [pid(2), pid(1)]);
        assert_eq!(PriorityScheduler::new(None, 0).quantum(pid(1)), None);
    }

    #[test]
    fn aging_lifts_a_waiting_process_one_level_per_period() {
        let mut s = PriorityScheduler::new(None, 10);
        s.enqueue(ready(1, 0, 0, ReadyReason::Spawned));
        s.enqueue(ready(2, 3, 25, ReadyReason::Spawned));
        // At 29, p1 has waited 29 ticks: 0 + 2 = 2 < 3.
        assert_eq!(s.best(29).map(|(_, e)| e), Some(3));
        // At 30, p1 is at 3, equal to p2: the earlier arrival (p1) wins.
        assert_eq!(s.pick(0, 30), Some(pid(1)));
        // Dispatch resets it: running at its own 0, p2 (at 3) preempts it.
        assert!(s.should_preempt(0, pid(1), 30));
    }

    #[test]
    fn aging_preempts_a_running_process_once_a_waiter_climbs_above_it() {
        let mut s = PriorityScheduler::new(None, 5);
        s.enqueue(ready(1, 4, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        s.enqueue(ready(2, 1, 0, ReadyReason::Spawned));
        assert!(!s.should_preempt(0, pid(1), 19), "1 + 3 = 4, not above 4");
        assert!(s.should_preempt(0, pid(1), 20), "1 + 4 = 5 > 4");
    }

    #[test]
    fn lower_is_higher_runs_the_smallest_number_first_and_equals_in_arrival_order() {
        let mut s = PriorityScheduler::new(None, 0).with_order(PriorityOrder::LowerIsHigher);
        for (i, prio) in [(1, 3), (2, 1), (3, 4), (4, 5), (5, 2), (6, 1)] {
            s.enqueue(ready(i, prio, 0, ReadyReason::Spawned));
        }
        assert_eq!(
            drain(&mut s, 0),
            [pid(2), pid(6), pid(5), pid(1), pid(3), pid(4)]
        );
        // Preemption follows the order too: 1 outranks a running 3.
        s.enqueue(ready(1, 3, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        s.enqueue(ready(2, 1, 1, ReadyReason::Woken));
        assert!(s.should_preempt(0, pid(1), 1));
    }

    #[test]
    fn non_preemptive_never_takes_the_cpu_and_has_no_quantum() {
        let mut s = PriorityScheduler::new(Some(4), 0).non_preemptive();
        assert!(!s.may_preempt());
        assert_eq!(s.quantum(pid(1)), None);
        assert_eq!(s.name(), "priority_np");
        s.enqueue(ready(1, 1, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(1)));
        s.enqueue(ready(2, 200, 1, ReadyReason::Woken));
        assert!(!s.should_preempt(0, pid(1), 1), "an urgent arrival waits");
        s.enqueue(ready(3, 100, 1, ReadyReason::Woken));
        assert_eq!(drain(&mut s, 2), [pid(2), pid(3)]);
    }

    #[test]
    fn aging_stops_at_255() {
        let s = PriorityScheduler::new(None, 1);
        let e = Entry {
            pid: pid(1),
            since: 0,
        };
        assert_eq!(s.effective(250, &e, 3), 253);
        assert_eq!(s.effective(250, &e, u64::MAX), 255);
    }

    #[test]
    fn reprioritize_moves_a_queued_process_and_raises_a_running_one() {
        let mut s = PriorityScheduler::new(None, 0);
        s.enqueue(ready(1, 1, 0, ReadyReason::Spawned));
        s.enqueue(ready(2, 5, 0, ReadyReason::Spawned));
        s.enqueue(ready(3, 2, 0, ReadyReason::Spawned));
        assert_eq!(s.pick(0, 0), Some(pid(2)));
        s.reprioritize(pid(1), 9);
        assert!(s.should_preempt(0, pid(2), 1));
        s.reprioritize(pid(2), 10);
        assert!(!s.should_preempt(0, pid(2), 1));
        assert_eq!(drain(&mut s, 1), [pid(1), pid(3)]);
    }
}
