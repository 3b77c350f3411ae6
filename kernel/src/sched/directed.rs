//! A directed schedule: the policy a systematic explorer drives, one decision at every
//! scheduling point.
//!
//! This module owns [`Plan`] (the decisions to take, by process name, and the processes to
//! pass over when the plan has run out) and [`Directed`], the `directed` policy that follows
//! it. It gives way at *every* scheduling point the kernel offers, so each dispatch in the
//! trace is one step of the explorer's model and a step is exactly the work between two
//! scheduling points. It never draws anything at random and never panics: a planned
//! process that is not ready is counted ([`Directed::mismatches`]) and the default choice
//! is taken instead. What to plan is the simulator's business (`sim::explore::dpor`).

use super::replay::{Names, Who};
use super::{ReadyInfo, Scheduler, StopReason};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// The decisions a [`Directed`] run takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The process to run at each of the run's first dispatches, in order.
    pub prefix: Vec<Who>,
    /// Past the prefix, pass over these processes while anyone else is ready, until a
    /// process gives way (`yield`) or [`AVOID_DISPATCHES`] dispatches have passed. Not for
    /// good: an avoided process may be the one another waits for, polling in a loop, and
    /// passing it over for ever would make the run endless. The explorer, which knows
    /// when each wakes, corrects the choices that should not have passed one over.
    pub avoid: Vec<Who>,
    /// Past the prefix, never preempt: the process that ran last runs on while it is ready
    /// and did not give way. An explorer that bounds preemptions sets it, so that its plans
    /// alone spend the bound. Otherwise the default takes turns.
    pub run_on: bool,
}

/// How many dispatches past the prefix a [`Plan`]'s avoided processes are passed over at
/// most: long enough for a search's sleepers to stay asleep through most runs (each
/// default choice of a sleeper costs the explorer a run), short enough that a poll that
/// does not `yield` ends.
pub const AVOID_DISPATCHES: u64 = 256;

/// Follows a [`Plan`], then a default: the longest-waiting ready process (at the first
/// dispatches past the prefix, the longest-waiting one not to be avoided, if any).
#[derive(Debug)]
pub struct Directed {
    plan: Arc<Plan>,
    cursor: usize,
    /// Dispatches past the prefix so far.
    past: u64,
    /// A process gave way past the prefix: nobody is avoided any more.
    yielded: bool,
    /// Who ran last, if it left its CPU still ready because it was preempted.
    preempted: Option<Pid>,

    ready: VecDeque<Pid>,
    who: Names,
    mismatches: u64,
}

impl Directed {
    /// A policy that follows `plan`.
    pub fn new(plan: Arc<Plan>) -> Self {
        Directed {
            plan,
            cursor: 0,
            past: 0,
            yielded: false,
            preempted: None,
            ready: VecDeque::new(),
            who: Names::default(),
            mismatches: 0,
        }
    }

    /// Planned dispatches whose process was not ready.
    pub fn mismatches(&self) -> u64 {
        self.mismatches
    }

    fn avoided(&self, pid: Pid) -> bool {
        self.cursor == self.plan.prefix.len()
            && !self.yielded
            && self.past < AVOID_DISPATCHES
            && self
                .who
                .get(&pid)
                .is_some_and(|w| self.plan.avoid.contains(w))
    }

    /// Past the prefix: the longest-waiting ready process (not to be avoided, while there is
    /// a choice). First in, first out is fair, so a process that polls in a loop never
    /// starves the one it waits for once the avoidance ends.
    fn default_choice(&self) -> Option<usize> {
        // Under a bound, the default never preempts: the process preempted last runs on
        // while it can, and the plan's choices alone spend the bound.
        if self.plan.run_on {
            if let Some(last) = self.preempted {
                if let Some(at) = self.ready.iter().position(|&p| p == last) {
                    return Some(at);
                }
            }
        }
        self.ready
            .iter()
            .position(|&p| !self.avoided(p))
            .or(if self.ready.is_empty() { None } else { Some(0) })
    }
}

impl Scheduler for Directed {
    fn name(&self) -> &'static str {
        "directed"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.ready.push_back(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        // An idle CPU asks too; a question with nobody to choose is no decision of the plan.
        if self.ready.is_empty() {
            return None;
        }
        let index = match self.plan.prefix.get(self.cursor) {
            Some(want) => {
                self.cursor += 1;
                let found = self
                    .ready
                    .iter()
                    .position(|p| self.who.get(p) == Some(want));
                if found.is_none() {
                    self.mismatches += 1;
                }
                found.or_else(|| self.default_choice())
            }
            None => {
                let index = self.default_choice();
                self.past += 1;
                index
            }
        }?;
        self.preempted = None;
        self.ready.remove(index)
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.ready.len()
    }
    fn stopped(&mut self, pid: Pid, _ran: Ticks, why: StopReason) {
        self.preempted = (why == StopReason::Preempted).then_some(pid);
        match why {
            StopReason::Exited => self.who.remove(&pid),
            StopReason::Yielded if self.cursor == self.plan.prefix.len() => self.yielded = true,
            _ => {}
        }
    }
    /// Always: every scheduling point is a decision, taken at the `pick` that follows.
    fn should_preempt(&mut self, _cpu: CpuId, _running: Pid, _now: Ticks) -> bool {
        true
    }
    fn spawned(&mut self, pid: Pid, name: &str) {
        self.who.spawned(pid, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::test_support::{pid, ready};

    fn who(name: &str) -> Who {
        Who {
            name: name.into(),
            nth: 0,
        }
    }

    #[test]
    fn directed_follows_its_prefix_then_keeps_the_runner_and_avoids_what_it_is_told() {
        let plan = Plan {
            prefix: alloc::vec![who("b"), who("zzz")],
            avoid: alloc::vec![who("a")],
            run_on: false,
        };
        let mut d = Directed::new(Arc::new(plan));
        for (i, n) in [(1, "a"), (2, "b"), (3, "c")] {
            d.spawned(pid(i), n);
            d.enqueue(ready(i));
        }
        let mut idle = Directed::new(d.plan.clone());
        assert_eq!(idle.pick(0, 0), None, "nobody ready");
        assert_eq!(idle.cursor, 0, "and the plan has not moved");
        assert_eq!(d.pick(0, 0), Some(pid(2)), "the prefix");
        assert!(d.should_preempt(0, pid(2), 1));
        d.stopped(pid(2), 1, StopReason::Preempted);
        d.enqueue(ready(2));
        // `zzz` does not exist: counted, and the default takes the longest-waiting ready
        // process that is not to be avoided: `c` (`a` is avoided, `b` was queued last).
        assert_eq!(d.pick(0, 1), Some(pid(3)));
        assert_eq!(d.mismatches(), 1);
        d.stopped(pid(3), 1, StopReason::Exited);
        // `a` is avoided while `b` is ready, past the prefix.
        assert_eq!(d.pick(0, 2), Some(pid(2)));
        d.stopped(pid(2), 1, StopReason::Preempted);
        d.enqueue(ready(2));
        assert_eq!(d.pick(0, 3), Some(pid(2)), "`a` is still passed over");
        // Until somebody gives way: then `a`, waiting longest, runs although `b` is ready.
        d.stopped(pid(2), 1, StopReason::Yielded);
        d.enqueue(ready(2));
        assert_eq!(d.pick(0, 4), Some(pid(1)));
        assert_eq!(d.pick(0, 4), Some(pid(2)));
        assert_eq!(d.pick(0, 4), None);
    }

    /// `server` is avoided; `snoop` polls in a loop until `server` has run, and `server`
    /// runs within `limit` dispatches.
    fn server_runs_while_snoop_polls(poll: StopReason, limit: u64) -> bool {
        let plan = Plan {
            prefix: alloc::vec![],
            avoid: alloc::vec![who("server")],
            run_on: false,
        };
        let mut d = Directed::new(Arc::new(plan));
        for (i, n) in [(1, "server"), (2, "snoop")] {
            d.spawned(pid(i), n);
            d.enqueue(ready(i));
        }
        for now in 0..limit {
            match d.pick(0, now) {
                Some(p) if p == pid(1) => return true,
                Some(p) => {
                    d.stopped(p, 1, poll);
                    d.enqueue(ready(2));
                }
                None => return false,
            }
        }
        false
    }

    #[test]
    fn an_avoided_process_that_others_poll_for_is_not_starved() {
        // A poll that gives way ends the avoidance at once.
        assert!(server_runs_while_snoop_polls(StopReason::Yielded, 3));
        // One that does not (the policy took the CPU) ends it after a bounded number of
        // dispatches; passing `server` over for good would let `snoop` run for ever.
        assert!(!server_runs_while_snoop_polls(
            StopReason::Preempted,
            AVOID_DISPATCHES
        ));
        assert!(server_runs_while_snoop_polls(
            StopReason::Preempted,
            AVOID_DISPATCHES + 1
        ));
    }

    #[test]
    fn running_on_the_last_runner_keeps_it_until_it_stops_or_gives_way() {
        let plan = Plan {
            prefix: alloc::vec![who("b")],
            avoid: alloc::vec![],
            run_on: true,
        };
        let mut d = Directed::new(Arc::new(plan));
        for (i, n) in [(1, "a"), (2, "b"), (3, "c")] {
            d.spawned(pid(i), n);
            d.enqueue(ready(i));
        }
        // The plan preempts as it likes: `b`, though `a` waits longer.
        assert_eq!(d.pick(0, 0), Some(pid(2)));
        d.stopped(pid(2), 1, StopReason::Preempted);
        d.enqueue(ready(2));
        // Past it, `b` runs on while it is ready, though `a` and `c` wait longer.
        assert_eq!(d.pick(0, 1), Some(pid(2)));
        d.stopped(pid(2), 1, StopReason::Preempted);
        d.enqueue(ready(2));
        assert_eq!(d.pick(0, 2), Some(pid(2)));
        // Giving way is no preemption: the others run in turn.
        d.stopped(pid(2), 1, StopReason::Yielded);
        d.enqueue(ready(2));
        assert_eq!(d.pick(0, 3), Some(pid(1)));
        d.stopped(pid(1), 1, StopReason::Blocked);
        assert_eq!(d.pick(0, 4), Some(pid(3)));
    }
}
