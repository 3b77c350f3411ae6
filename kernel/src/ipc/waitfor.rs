//! IPC-aware blocking: priority inheritance along the wait-for graph, and refusing to block
//! when blocking would close a cycle in it.
//!
//! The wait-for graph is read off the wait queues, never stored: a blocked process waits on
//! one queue, and [`Kernel::holder`] names the one process (if any) that can release that
//! queue. So each process has at most one outgoing edge, and every walk along the edges is a
//! path that ends at a process that is not blocked, at a queue without a single holder, or in
//! one cycle.
//!
//! **Priority inheritance** (`KernelConfig::priority_inheritance`, QNX style). A process
//! *lends* its effective priority to the process it waits for when its wait is on a message
//! it sent: blocked sending (`senders` queues), its call queued (`callers`, or the
//! destination's `replies`), or waiting for the reply to a call that was received
//! (`replies`). The borrower's effective priority is the highest of its own and its lenders'
//! effective priorities, so lending is transitive. It is recomputed whenever a lender joins
//! or leaves one of the borrower's queues, from the lenders waiting there, and the change
//! walks down the chain of borrowers; the scheduler hears of it through
//! [`Scheduler::reprioritize`](crate::sched::Scheduler::reprioritize) for a process that is
//! ready or running, and in `ReadyInfo.priority` when one becomes ready.
//!
//! **Deadlock refusal** (`KernelConfig::refuse_deadlock`, MINIX's `ELOCKED`). Before a call
//! blocks, the holder chain from the queue it would wait on is followed; if it comes back to
//! the caller, the call fails with `deadlock` and the trace records the cycle.
//!
//! Invariant (checked after every kernel entry in test builds, `invariants.rs`): with inheritance
//! off every effective priority is the process's own; with it on, each is the highest own
//! priority among the process and every process whose chain of lending waits reaches it.
//!
//! This module only reads the queues and changes effective priorities; it never blocks, wakes
//! or moves a process, and it costs nothing while both settings are off.

use crate::process::ProcState;
use crate::trace::{EventKind, WaitQueueId};
use crate::trap::Refusal;
use crate::Kernel;
use abi::{Error, Pid};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;

/// Whether a process waiting on `queue` waits on a message it sent, and so lends its
/// priority to the queue's holder.
fn lends(queue: WaitQueueId) -> bool {
    matches!(
        queue,
        WaitQueueId::MailboxSenders(_)
            | WaitQueueId::MailboxCallers(_)
            | WaitQueueId::InboxSenders(_)
            | WaitQueueId::Replies(_)
    )
}

impl Kernel {
    /// The live process that the process in slot `idx` lends its priority to, if any.
    pub(crate) fn borrower(&self, idx: u32) -> Option<u32> {
        let p = self.procs.at(idx)?;
        let b = p.blocked()?;
        // A process being woken (or exiting) is taken off its queue a moment before its
        // state changes; from then on it lends nothing.
        if !lends(b.queue) || !self.is_linked(idx, b.queue) {
            return None;
        }
        self.live_index(self.holder(b.queue)?)
    }

    /// Whether the process in slot `idx` is linked into `queue`, in O(1): it has a
    /// neighbour there, or it is the queue's only member.
    fn is_linked(&self, idx: u32, queue: WaitQueueId) -> bool {
        if self.procs.at(idx).is_none() {
            return false;
        }
        if self.links.of(idx).has_neighbour() {
            return true;
        }
        let proc_of = |pid: Pid| self.process(pid);
        let q = match queue {
            WaitQueueId::MailboxSenders(m) => self.mailbox(m).map(|mb| mb.endpoint.senders),
            WaitQueueId::MailboxReceiver(m) => self.mailbox(m).map(|mb| mb.endpoint.receiver),
            WaitQueueId::MailboxCallers(m) => self.mailbox(m).map(|mb| mb.callers),
            WaitQueueId::InboxSenders(o) => {
                proc_of(o).and_then(|o| o.inbox.get()).map(|e| e.senders)
            }
            WaitQueueId::InboxReceiver(o) => {
                proc_of(o).and_then(|o| o.inbox.get()).map(|e| e.receiver)
            }
            WaitQueueId::ReceiversFrom(o) => proc_of(o).map(|o| o.receivers_from),
            WaitQueueId::Replies(o) => proc_of(o).map(|o| o.replies),
            WaitQueueId::Exit(o) => proc_of(o).map(|o| o.exit_waiters),
            WaitQueueId::Select(o) => proc_of(o).map(|o| o.select_wait),
        };
        q.and_then(|q| q.front()) == Some(idx)
    }

    /// The highest effective priority lent to the process in slot `idx` by the processes
    /// waiting on its queues (except the one in slot `skip`), with the first such lender in
    /// queue order; `None` when no lender is above `floor`.
    fn highest_lender(&self, idx: u32, skip: Option<u32>, floor: u8) -> Option<(u8, Pid)> {
        let p = self.proc_ref(idx);
        let inbox = p.inbox.get().map_or(super::WaitQueue::EMPTY, |e| e.senders);
        let mut queues = alloc::vec![inbox, p.replies];
        for m in &p.owned {
            if let Some(mb) = self.mailbox(*m) {
                queues.push(mb.endpoint.senders);
                queues.push(mb.callers);
            }
        }
        let mut best: Option<(u8, Pid)> = None;
        for q in queues {
            for l in q.iter(&self.links) {
                if Some(l) == skip {
                    continue;
                }
                let Some(lender) = self.procs.at(l) else {
                    continue;
                };
                let e = lender.effective_priority;
                if e > best.map_or(floor, |b| b.0) {
                    best = Some((e, lender.pid));
                }
            }
        }
        best
    }

    /// What the process in slot `idx` inherits: its own priority, or the highest lent to it
    /// (ignoring the lender in slot `skip`), with the lender.
    fn inherited(&self, idx: u32, skip: Option<u32>) -> (u8, Option<Pid>) {
        let own = self.proc_ref(idx).priority;
        match self.highest_lender(idx, skip, own) {
            Some((e, from)) => (e, Some(from)),
            None => (own, None),
        }
    }

    /// Set the effective priority of the process in slot `idx`: trace the change and tell
    /// the scheduler if the process is in its hands (ready or running).
    fn set_effective(&mut self, idx: u32, priority: u8, from: Option<Pid>) {
        let p = self.proc_mut(idx);
        let old = p.effective_priority;
        if old == priority {
            return;
        }
        p.effective_priority = priority;
        let (pid, state) = (p.pid, p.state);
        match from {
            Some(from) if priority > old => self.emit(|| EventKind::PriorityLent {
                from,
                to: pid,
                priority,
            }),
            _ => self.emit(|| EventKind::PriorityReturned { pid, priority }),
        }
        if matches!(state, ProcState::Ready | ProcState::Running(_)) {
            self.sched.reprioritize(pid, priority);
        }
    }

    /// A lender joined or left one of `queue`'s waiters: recompute the effective priority of
    /// the queue's holder and of everyone it lends to in turn.
    #[inline]
    pub(crate) fn lenders_changed(&mut self, queue: WaitQueueId) {
        if self.config.priority_inheritance && lends(queue) {
            self.refresh_holder(queue);
        }
    }

    /// [`Kernel::lenders_changed`] with inheritance on.
    #[inline(never)]
    fn refresh_holder(&mut self, queue: WaitQueueId) {
        if let Some(idx) = self.holder(queue).and_then(|h| self.live_index(h)) {
            self.refresh_priority(idx);
        }
    }

    /// Recompute the effective priority of the process in slot `start` from its lenders, then
    /// of the chain of processes it lends to.
    ///
    /// Along the chain each process's lenders are unchanged but for its predecessor, which
    /// was just recomputed, so one pass in chain order is exact. A chain may end in a cycle
    /// (processes waiting on each other, which nothing but a timeout or an exit can break):
    /// there every member inherits the same, the highest of what each would inherit from
    /// outside the cycle, which is the least solution; recomputing member by member would
    /// keep a priority that only circulates in the cycle after its lender left.
    pub(crate) fn refresh_priority(&mut self, start: u32) {
        if !self.config.priority_inheritance {
            return;
        }
        let mut chain: Vec<u32> = alloc::vec![start];
        let mut seen: BTreeSet<u32> = BTreeSet::new();
        seen.insert(start);
        let mut cycle_at = None;
        while let Some(next) = chain.last().and_then(|&last| self.borrower(last)) {
            if !seen.insert(next) {
                cycle_at = chain.iter().position(|&c| c == next);
                break;
            }
            chain.push(next);
        }
        let tree = cycle_at.unwrap_or(chain.len());
        for &idx in &chain[..tree] {
            let (priority, from) = self.inherited(idx, None);
            self.set_effective(idx, priority, from);
        }
        let Some(k) = cycle_at else {
            return;
        };
        let cycle = &chain[k..];
        let n = cycle.len();
        // Each member's inheritance from outside the cycle: its own priority and its lenders
        // but its predecessor in the cycle (the only lender it has inside it).
        let outside: Vec<(u8, Option<Pid>)> = (0..n)
            .map(|j| self.inherited(cycle[j], Some(cycle[(j + n - 1) % n])))
            .collect();
        let best = outside.iter().map(|o| o.0).max().unwrap_or(0);
        for j in 0..n {
            let (own, from) = outside[j];
            // The priority reaches a member from its own lender when that lender carries the
            // highest, and otherwise around the cycle from its predecessor.
            let from = if own == best {
                from
            } else {
                Some(self.pid_of(cycle[(j + n - 1) % n]))
            };
            self.set_effective(cycle[j], best, from);
        }
    }

    /// Refuse to block the process in slot `idx` on `queue` when that would close a cycle of
    /// processes waiting on each other (`KernelConfig::refuse_deadlock`): `Err(deadlock)`,
    /// with the cycle in the trace. Follows the chain of single holders from `queue` until a
    /// process that is not blocked, a queue without a single holder, or the caller; a chain
    /// longer than the number of live processes runs into a cycle the caller is not in.
    #[inline]
    pub(crate) fn refuse_deadlock(&mut self, idx: u32, queue: WaitQueueId) -> Result<(), Refusal> {
        if !self.config.refuse_deadlock {
            return Ok(());
        }
        self.refuse_cycle(idx, queue)
    }

    /// [`Kernel::refuse_deadlock`] with refusal on.
    #[inline(never)]
    fn refuse_cycle(&mut self, idx: u32, queue: WaitQueueId) -> Result<(), Refusal> {
        let me = self.pid_of(idx);
        let mut cycle = alloc::vec![me];
        let mut at = self.holder(queue);
        while let Some(h) = at {
            if h == me {
                self.emit(|| EventKind::DeadlockRefused {
                    pid: me,
                    queue,
                    cycle,
                });
                return Err(Error::Deadlock.into());
            }
            if cycle.len() > self.live {
                break;
            }
            let Some(b) = self
                .process(h)
                .filter(|p| p.is_live())
                .and_then(|p| p.blocked())
            else {
                break;
            };
            cycle.push(h);
            at = self.holder(b.queue);
        }
        Ok(())
    }
}
