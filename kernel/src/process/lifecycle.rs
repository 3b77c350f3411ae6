//! Birth and death of processes: spawn, exit, wait, and reaping.
//!
//! Exit keeps the kernel's promises to everyone else: mailboxes the process owned are deleted
//! (their waiters woken with `MailboxDeleted`), messages queued in its inbox are dropped with a
//! count in the trace, and every process waiting *on it* (sending to it, calling it, receiving
//! only from it) is woken with `PeerExited`. Messages it sent that are still queued elsewhere
//! stay deliverable.
//!
//! A kill (fault injection: a planned kill at a tick or at a syscall) is an exit imposed from outside, wherever the
//! process is: it takes the same path and keeps the same promises.

use super::{ProcState, Process, Siblings};
use crate::ipc::Inbox;
use crate::sched::ReadyReason;
use crate::slab::OptSlot;
use crate::trace::WaitQueueId;
use crate::trace::{DropReason, EventKind, ExitReason, FaultKind, KillCause, WakeReason};
use crate::Kernel;
use abi::{Capacity, Error, Payload, Pid, Ticks};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

impl Kernel {
    /// Create a ready process that declares no CPU burst.
    pub(crate) fn create_process(
        &mut self,
        program: u32,
        label: &str,
        parent: Option<Pid>,
        arg: u64,
        inbox: Capacity,
        priority: u8,
    ) -> Result<Pid, Error> {
        self.create_process_declaring(program, label, parent, arg, inbox, priority, 0, None)
    }

    /// Create a process; `expected_burst` is the CPU burst it declares (0: none), which
    /// the scheduler hears with every `enqueue`. It is ready at once, or with an `arrival`,
    /// held until then ([`Kernel::hold_until_arrival`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create_process_declaring(
        &mut self,
        program: u32,
        label: &str,
        parent: Option<Pid>,
        arg: u64,
        inbox: Capacity,
        priority: u8,
        expected_burst: Ticks,
        arrival: Option<Ticks>,
    ) -> Result<Pid, Error> {
        if self.procs.len() >= self.config.max_processes {
            return Err(Error::OutOfMemory);
        }
        // Names are shared: a process without a label holds its program's name, and the
        // trace makes its own copies only when it records.
        let program_name = self
            .programs
            .get(program as usize)
            .cloned()
            .ok_or(Error::NoSuchProgram)?;
        let name: Arc<str> = if label.is_empty() {
            program_name.clone()
        } else {
            Arc::from(label)
        };
        let (i, g) = self.procs.next_key();
        let pid = Pid::new(i, g);
        let now = self.clock;
        self.procs.insert(Process::new(
            pid,
            name.clone(),
            program,
            parent,
            priority,
            inbox,
            now,
        ));
        let serial = self.next_endpoint_serial();
        self.links.ensure(i);
        let daemon = self.config.daemons.iter().any(|d| **d == *name);
        self.live_daemons += usize::from(daemon);
        let p = self.proc_mut(i);
        p.daemon = daemon;
        p.arg = arg;
        p.expected_burst = (expected_burst > 0).then_some(expected_burst);

        p.inbox = Inbox::new(inbox, serial);
        self.sched.spawned(pid, &name);
        if let Some(parent) = parent.and_then(|p| self.live_index(p)) {
            self.adopt(parent, i);
        }
        self.live += 1;
        self.emit(|| EventKind::Spawn {
            pid,
            parent,
            program: String::from(&*program_name),
            name: String::from(&*name),
            arg,
            inbox,
            priority,
        });
        match (arrival, parent) {
            (Some(at), Some(spawner)) => self.hold_until_arrival(i, spawner, at),
            _ => {
                let info = self.ready_info(i, ReadyReason::Spawned);
                self.sched.enqueue(info);
            }
        }
        Ok(pid)
    }

    /// Hold the process in slot `idx`, just spawned by `spawner`, until its arrival tick
    /// `at`: it sleeps (the trace says until when) without ever having run, and joins the
    /// run queue with a `wake` whose reason is `arrived` ([`Kernel::process_arrives`]).
    ///
    /// An arrival in the future is a timer, like a sleep's end. An arrival due at once (`at`
    /// is now or past) waits for the end of the spawner's stretch on its CPU: until the
    /// spawner leaves its CPU (blocks, sleeps, yields, exits, is preempted) or starts a
    /// compute burst ([`Kernel::release_arrivals`]). So a spawner's set-up at one tick is
    /// one step that no child it spawned to arrive then can interrupt: under any policy,
    /// none of them runs or preempts the spawner before all are spawned and set up, and
    /// they join the queue together, in spawn order, at that tick.
    fn hold_until_arrival(&mut self, idx: u32, spawner: Pid, at: Ticks) {
        let now = self.clock;
        let p = self.proc_mut(idx);
        let pid = p.pid;
        p.set_state(ProcState::Sleeping { until: at.max(now) }, now);
        self.emit(|| EventKind::Sleep {
            pid,
            until: at.max(now),
        });
        if at > now {
            self.arm_timer(idx, at);
        } else {
            self.arriving.push((spawner, pid));
        }
    }

    /// The children `spawner` spawned to arrive at once join the run queue, in spawn order:
    /// its stretch on the CPU is over.
    pub(crate) fn release_arrivals(&mut self, spawner: Pid) {
        // One pass, whatever the list's length: its own children in spawn order, the other
        // spawners' (several CPUs) kept for later.
        let (mine, others): (Vec<_>, Vec<_>) = core::mem::take(&mut self.arriving)
            .into_iter()
            .partition(|&(by, _)| by == spawner);
        self.arriving = others;
        for (_, child) in mine {
            if let Some(cidx) = self.live_index(child) {
                self.process_arrives(cidx);
            }
        }
    }

    /// The process in slot `idx`, held since its spawn, arrives: it is ready now.
    pub(crate) fn process_arrives(&mut self, idx: u32) {
        let now = self.clock;
        let p = self.proc_mut(idx);
        if !p.is_held_for_arrival() {
            return;
        }
        p.timer = 0;
        p.set_state(ProcState::Ready, now);
        let pid = p.pid;
        self.emit(|| EventKind::Wake {
            pid,
            by: None,
            reason: WakeReason::Arrived,
        });
        let info = self.ready_info(idx, ReadyReason::Spawned);
        self.sched.enqueue(info);
    }

    /// Kill `pid` wherever it is: running on any CPU, ready, blocked on any wait queue, or
    /// sleeping (fault injection, recorded on the CPU of the entry). It exits through
    /// the same path as `exit`, with code [`ExitReason::KILLED_CODE`] and reason
    /// [`ExitReason::Killed`], so it releases exactly what an exit releases: a message it was
    /// blocked sending never entered the kernel and is gone with it, messages it sent that
    /// are queued stay deliverable, its mailboxes are deleted and everyone waiting on it is
    /// woken. The trace shows a `Fault` event before the `Exit`. Returns whether a live
    /// process was killed (a stale pid or a zombie is left alone).
    ///
    /// The machine that asked for it owns the process's body: it drops it
    /// ([`Action::Killed`](crate::Action::Killed), [`Action::Exited`](crate::Action::Exited)).
    pub(crate) fn kill(&mut self, pid: Pid, cause: KillCause) -> bool {
        let Some(idx) = self.live_index(pid) else {
            return false;
        };
        self.emit(|| EventKind::Fault {
            kind: FaultKind::Kill { pid, cause },
        });
        self.exit_process(idx, ExitReason::KILLED_CODE, ExitReason::Killed);
        true
    }

    /// End a process: release everything it holds and everyone waiting on it.
    pub(crate) fn exit_process(&mut self, idx: u32, code: i32, reason: ExitReason) {
        let pid = self.pid_of(idx);
        self.mark_not_running(idx, crate::sched::StopReason::Exited);
        // A process killed while waiting leaves its queue first; a message it was blocked
        // with never entered the kernel, so the right it carried never left it.
        self.unlink(idx);
        self.proc_mut(idx).carrying = None;
        let r = reason.clone();
        self.emit(|| EventKind::Exit {
            pid,
            code,
            reason: r,
        });

        let owned = core::mem::take(&mut self.proc_mut(idx).owned);
        for m in owned {
            match self.mailbox(m).map(|mb| mb.lifetime) {
                Some(abi::Lifetime::System) => self.orphan_mailbox(m, pid),
                _ => self.destroy_mailbox(m, DropReason::OwnerExited, pid),
            }
        }
        self.drop_inbox(idx);
        for queue in [
            WaitQueueId::InboxSenders(pid),
            WaitQueueId::Replies(pid),
            WaitQueueId::ReceiversFrom(pid),
        ] {
            self.wake_all(queue, Some(pid), WakeReason::PeerExited, Error::PeerExited);
        }
        // Nobody can send to it or wait on it any more: its inbox's memory goes.
        self.proc_mut(idx).inbox.release();

        // Orphans: children lose their parent; those already dead are reaped now.
        let mut child = self.proc_mut(idx).first_child.take();
        while let Some(cidx) = child {
            let c = self.proc_mut(cidx);
            child = c.siblings.next.get();
            c.siblings = Siblings::default();
            c.parent = None;
            if c.state == ProcState::Zombie {
                self.reap(cidx);
            }
        }

        let now = self.clock;
        let p = self.proc_mut(idx);
        // A zombie never traps again: what its IPC buffer held goes with it.
        p.ipc = Payload::default();
        p.set_state(ProcState::Zombie, now);
        p.exit_code = Some(code);
        p.stats.exited_at = Some(now);
        p.burst = 0;
        let parent = p.parent;
        let daemon = p.daemon;
        let record = crate::ExitRecord {
            pid,
            name: String::from(&*p.name),
            code,
            reason,
            stats: p.stats,
        };
        self.history.exit(record);
        self.live -= 1;
        self.live_daemons -= usize::from(daemon);

        match parent.and_then(|p| self.live_index(p)) {
            None => self.reap(idx),
            Some(_) => {
                let waiter = self
                    .with_queue(WaitQueueId::Exit(pid), |q, links| q.pop_front(links))
                    .flatten();
                if let Some(widx) = waiter {
                    self.make_ready(
                        widx,
                        Some(pid),
                        WakeReason::Completed,
                        Ok([code as i64 as u64, pid.raw(), 0]),
                    );
                    self.reap(idx);
                }
            }
        }
    }

    /// Free a zombie's slot: its pid is stale from now on.
    pub(crate) fn reap(&mut self, idx: u32) {
        let Some(p) = self.procs.at(idx) else { return };
        let (pid, parent, siblings) = (p.pid, p.parent, p.siblings);
        if let Some(pidx) = parent.and_then(|pp| self.live_index(pp)) {
            match siblings.prev.get() {
                Some(prev) => self.proc_mut(prev).siblings.next = siblings.next,
                None => self.proc_mut(pidx).first_child = siblings.next,
            }
            if let Some(next) = siblings.next.get() {
                self.proc_mut(next).siblings.prev = siblings.prev;
            }
        }
        self.procs.remove(pid.index(), pid.generation());
    }

    /// Link the process in slot `child` at the head of `parent`'s children.
    fn adopt(&mut self, parent: u32, child: u32) {
        let head = self.proc_mut(parent).first_child.replace(child);
        if let Some(h) = head {
            self.proc_mut(h).siblings.prev = OptSlot::some(child);
        }
        self.proc_mut(child).siblings = Siblings {
            prev: OptSlot::NONE,
            next: head.into(),
        };
    }
}
