//! Replaying a recorded schedule: the policy that follows, decision by decision, a run that
//! exploration found.
//!
//! This module owns the recording ([`Schedule`]: [`Decision`]s about processes named by
//! [`Who`]) and [`Replay`], the `replay` policy that follows it, matching processes by
//! *name*, so a schedule saved from one run replays in another whose pids differ. It never
//! blocks, wakes or charges anything, and never panics: a schedule that no longer fits the
//! run falls back to FIFO and counts the departure. Turning a run's trace into a
//! [`Schedule`], and a schedule into text, is the simulator's business (`sim::explore`),
//! not the kernel's.

use super::{ReadyInfo, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

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

/// Who each process of a run is, by pid: the names and counters a recording or a plan can
/// name across runs, counted as processes are spawned.
#[derive(Debug, Default)]
pub(crate) struct Names {
    who: BTreeMap<Pid, Who>,
    /// How many processes of each name have been spawned.
    seen: BTreeMap<String, u32>,
}

impl Names {
    /// `pid` was spawned under `name`: it is the next of that name.
    pub(crate) fn spawned(&mut self, pid: Pid, name: &str) {
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

    /// Who `pid` is, while it lives.
    pub(crate) fn get(&self, pid: &Pid) -> Option<&Who> {
        self.who.get(pid)
    }

    /// `pid` exited: its slot may be reused by a process with another name.
    pub(crate) fn remove(&mut self, pid: &Pid) {
        self.who.remove(pid);
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
    /// Every dispatch of the run, each followed by the preemption that ended its slice, if
    /// one did.
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
    who: Names,
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
            who: Names::default(),
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
        self.who.spawned(pid, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    use crate::sched::test_support::{pid, ready};

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
