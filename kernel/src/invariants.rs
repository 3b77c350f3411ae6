//! The kernel's invariants, checked as a whole.
//!
//! Run after every kernel entry when [`KernelConfig::check_invariants`](crate::KernelConfig) is on
//! (the default in test builds). It walks every queue, so it is O(everything) and never runs
//! on the fast path of a release build.
//!
//! Among them the ledgers: every endpoint's own (`sent = received + queued + dropped`, and
//! its bytes within `max_mailbox_bytes`), the kernel's total, and the two agreeing: the
//! endpoints' counts, live and closed, add up to the total.

use crate::ipc::{Endpoint, WaitQueue};
use crate::process::{BlockedOp, ProcState};
use crate::trace::CpuId;
use crate::trace::WaitQueueId;
use crate::Kernel;
use abi::{Lifetime, Receivers, Source};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;

impl Kernel {
    /// A process waiting in `select` watches every endpoint of its set, each of which it may
    /// receive from and none of which holds a message it could take; any other process
    /// watches nothing.
    fn check_select(&self, p: &crate::process::Process) -> Result<(), String> {
        let pid = p.pid;
        let selecting = matches!(p.blocked().map(|b| b.op), Some(BlockedOp::Select { .. }));
        if !selecting {
            if !p.select_set.is_empty() {
                return Err(format!("{pid} keeps a select set outside select"));
            }
            return Ok(());
        }
        let idx = pid.index();
        for (pos, source) in p.select_set.iter().enumerate() {
            let Some(target) = self.select_target(idx, *source) else {
                return Err(format!("{pid} selects over {source}, which is gone"));
            };
            let slot = crate::ipc::watch_slot(idx, pos);
            let ep = self.endpoint(target);
            if !ep.watchers.iter(&self.watch_links).any(|s| s == slot) {
                return Err(format!("{pid} selects over {source} without watching it"));
            }
            if ep.queue.iter().any(|m| !self.in_flight(m.id)) {
                return Err(format!(
                    "{pid} waits in select over {source}, which holds a message"
                ));
            }
            if let Source::Mailbox(m) = source {
                if !self.mailbox(*m).is_some_and(|mb| mb.may_receive(pid)) {
                    return Err(format!(
                        "{pid} selects over {m} without the right to receive"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Check every invariant; the first violation found, described.
    pub fn check_invariants(&self) -> Result<(), String> {
        // Each blocked process sits on exactly the queue its state names, once.
        let mut seen: BTreeMap<u32, WaitQueueId> = BTreeMap::new();
        let mut walk = |q: &WaitQueue, id: WaitQueueId| -> Result<(), String> {
            let mut n = 0;
            for idx in q.iter(&self.links) {
                n += 1;
                if let Some(prev) = seen.insert(idx, id) {
                    return Err(format!("slot {idx} is on both {prev} and {id}"));
                }
                let p = self
                    .procs
                    .at(idx)
                    .ok_or(format!("{id} links a free slot"))?;
                if !Kernel::is_blocked_on(p, id) {
                    return Err(format!(
                        "{} is on {id} but its state is {:?}",
                        p.pid, p.state
                    ));
                }
            }
            if n != q.len() {
                return Err(format!("{id} counts {} but links {n}", q.len()));
            }
            Ok(())
        };
        let mut queued_bytes = 0;
        let mut queued = 0u64;
        let mut queued_rights = 0u64;
        // The endpoints' ledgers summed, starting with those of endpoints already gone (each
        // checked as it closed).
        let mut sum = self.history.closed_total;
        let mut add = |ep: &Endpoint, what: &str| -> Result<(), String> {
            if !ep.balances() {
                return Err(format!(
                    "{what}: ledger sent {} != received {} + queued {} + dropped {}",
                    ep.ledger.sent,
                    ep.ledger.received,
                    ep.queue.len(),
                    ep.ledger.dropped.total()
                ));
            }
            if ep.bytes > self.config.max_mailbox_bytes {
                return Err(format!(
                    "{what}: {} queued bytes exceed max_mailbox_bytes",
                    ep.bytes
                ));
            }
            sum = sum.plus(&ep.ledger);
            Ok(())
        };
        for (_, p) in self.procs.iter() {
            let pid = p.pid;
            let inbox = p.inbox.get().unwrap_or(&crate::ipc::UNUSED);
            walk(&inbox.senders, WaitQueueId::InboxSenders(pid))?;
            walk(&inbox.receiver, WaitQueueId::InboxReceiver(pid))?;
            walk(&p.receivers_from, WaitQueueId::ReceiversFrom(pid))?;
            walk(&p.replies, WaitQueueId::Replies(pid))?;
            walk(&p.exit_waiters, WaitQueueId::Exit(pid))?;
            if let Some(ep) = p.inbox.get() {
                if ep.capacity != p.inbox.capacity() || ep.serial != p.inbox.serial() {
                    return Err(format!("{pid}.inbox lost its capacity or serial"));
                }
            }
            check_endpoint(inbox, &format!("{pid}.inbox"))?;
            add(inbox, &format!("{pid}.inbox"))?;
            queued_bytes += inbox.bytes;
            queued += inbox.queue.len() as u64;
            queued_rights += inbox.queue.iter().filter(|m| m.right.is_some()).count() as u64;
            let sending = matches!(p.blocked().map(|b| b.op), Some(BlockedOp::Send { .. }));
            if p.carrying.is_some() && !sending {
                return Err(format!("{pid} carries a right outside a send"));
            }
            if p.state == ProcState::Zombie && (!inbox.queue.is_empty() || !p.owned.is_empty()) {
                return Err(format!("zombie {pid} still holds messages or mailboxes"));
            }
            if p.state == ProcState::Zombie && !p.ipc.is_empty() {
                return Err(format!("zombie {pid} still holds bytes in its IPC buffer"));
            }
            if let Some(b) = p.blocked() {
                if let BlockedOp::Receive {
                    source: Source::Any,
                    ..
                } = b.op
                {
                    if inbox.queue.iter().any(|m| !self.in_flight(m.id)) {
                        return Err(format!(
                            "{pid} waits in receive(any) over a non-empty inbox"
                        ));
                    }
                }
            }
            walk(&p.select_wait, WaitQueueId::Select(pid))?;
            self.check_select(p)?;
            let armed = match p.state {
                // A child held for an arrival due at once waits for its spawner, not a timer.
                ProcState::Sleeping { .. } => !self.arriving.iter().any(|&(_, c)| c == pid),
                ProcState::Blocked => p.wait.deadline.is_some(),
                _ => false,
            };
            if armed != (p.timer != 0) {
                return Err(format!("{pid}: timer {} while {:?}", p.timer, p.state));
            }
            for m in &p.owned {
                match self.mailbox(*m) {
                    Some(mb) if mb.owner == Some(pid) => {}
                    _ => return Err(format!("{pid} lists {m} as owned but does not own it")),
                }
            }
        }
        for (_, mb) in self.mailboxes.iter() {
            let id = mb.id;
            walk(&mb.endpoint.senders, WaitQueueId::MailboxSenders(id))?;
            walk(&mb.endpoint.receiver, WaitQueueId::MailboxReceiver(id))?;
            walk(&mb.callers, WaitQueueId::MailboxCallers(id))?;
            check_endpoint(&mb.endpoint, &format!("{id}"))?;
            add(&mb.endpoint, &format!("{id}"))?;
            // (A message in flight, fault injection, is queued but not receivable yet.)
            let receivable = mb.endpoint.queue.iter().any(|m| !self.in_flight(m.id));
            if !mb.endpoint.receiver.is_empty() && receivable {
                return Err(format!("{id}: the owner waits while messages are queued"));
            }
            match mb.owner.map(|o| (o, self.process(o))) {
                Some((_, Some(o))) if o.is_live() && o.owned.get(mb.owner_slot) == Some(&id) => {}
                None if mb.lifetime == Lifetime::System => {}
                _ => {
                    return Err(format!(
                        "{id}: owner {:?} is not live or does not list it",
                        mb.owner
                    ))
                }
            }
            if !mb.receivers.is_shared() && !mb.granted.is_empty() {
                return Err(format!("{id}: granted receivers on an owner_only mailbox"));
            }
            if mb.owner.is_some_and(|o| mb.granted.contains(&o)) {
                return Err(format!(
                    "{id}: its owner is also among its granted receivers"
                ));
            }
            if mb.receivers == Receivers::OneAtATime && mb.endpoint.receiver.len() > 1 {
                return Err(format!(
                    "{id}: one_at_a_time with several receivers waiting"
                ));
            }
            // Every waiting receiver may receive here: a revoke wakes the one it concerns.
            for widx in mb.endpoint.receiver.iter(&self.links) {
                let w = self.proc_ref(widx);
                if !mb.may_receive(w.pid) {
                    return Err(format!(
                        "{id}: {} waits to receive without the right",
                        w.pid
                    ));
                }
            }
            if let Some(n) = &mb.name {
                if self.names.get(n) != Some(&id) {
                    return Err(format!("{id}: name {n} is not registered to it"));
                }
            }
            queued_bytes += mb.endpoint.bytes;
            queued += mb.endpoint.queue.len() as u64;
            queued_rights += mb
                .endpoint
                .queue
                .iter()
                .filter(|m| m.right.is_some())
                .count() as u64;
        }
        for (_, p) in self.procs.iter() {
            if matches!(p.state, ProcState::Blocked) && !seen.contains_key(&p.pid.index()) {
                return Err(format!("{} is blocked but on no queue", p.pid));
            }
        }
        if !self.rights.balances(queued_rights) {
            return Err(format!(
                "rights: {:?} with {queued_rights} in queued messages",
                self.rights
            ));
        }
        if queued_bytes != self.queued_bytes {
            return Err(format!(
                "queued bytes: counted {queued_bytes}, kernel says {}",
                self.queued_bytes
            ));
        }
        if self.procs.len() > self.config.max_processes
            || self.mailboxes.len() > self.config.max_mailboxes
        {
            return Err(format!(
                "{} processes and {} mailboxes exceed the limits",
                self.procs.len(),
                self.mailboxes.len()
            ));
        }
        if self.queued_bytes > self.config.memory_limit {
            return Err(format!(
                "{} queued bytes exceed the limit",
                self.queued_bytes
            ));
        }
        self.check_effective_priorities()?;
        self.check_cpus()?;
        let l = self.ledger;
        if !l.balances(queued) {
            return Err(format!(
                "ledger: sent {} != received {} + dropped {} + queued {queued}",
                l.sent,
                l.received,
                l.dropped.total()
            ));
        }
        if sum != l {
            return Err(format!(
                "the endpoints' ledgers add up to {sum:?}, the kernel's is {l:?}"
            ));
        }
        Ok(())
    }
}

impl Kernel {
    /// Effective priorities: each process's own when priority inheritance is off; when it is
    /// on, the highest own priority among the process and every process whose chain of
    /// lending waits reaches it (the least solution of "the highest of its own and its
    /// lenders'", so a priority that only circulates in a cycle after its lender left is
    /// caught too). Computed from scratch by walking each process's chain.
    fn check_effective_priorities(&self) -> Result<(), String> {
        let mut expected: BTreeMap<u32, u8> = self
            .procs
            .iter()
            .map(|((idx, _), p)| (idx, p.priority))
            .collect();
        if self.config.priority_inheritance {
            for ((start, _), p) in self.procs.iter() {
                let mut at = self.borrower(start);
                let mut steps = 0;
                while let Some(idx) = at {
                    steps += 1;
                    if idx == start || steps > self.procs.len() {
                        break;
                    }
                    let e = expected.entry(idx).or_insert(0);
                    *e = (*e).max(p.priority);
                    at = self.borrower(idx);
                }
            }
        }
        for ((idx, _), p) in self.procs.iter() {
            let want = expected.get(&idx).copied().unwrap_or(p.priority);
            if p.effective_priority != want {
                return Err(format!(
                    "{}: effective priority {} but its own and its lenders' give {want}",
                    p.pid, p.effective_priority
                ));
            }
        }
        Ok(())
    }
}

fn check_endpoint(ep: &Endpoint, what: &str) -> Result<(), String> {
    if let abi::Capacity::Bounded(n) = ep.capacity {
        if ep.queue.len() > n as usize {
            return Err(format!("{what} holds {} > capacity {n}", ep.queue.len()));
        }
    }
    if ep.capacity == abi::Capacity::Zero && !ep.queue.is_empty() {
        return Err(format!("{what} has capacity 0 but queues messages"));
    }
    if ep.overflow != abi::Overflow::Block {
        // Its policy answers a send to a full queue at once, so nobody ever waits for room.
        if ep.capacity == abi::Capacity::Zero || !ep.senders.is_empty() {
            return Err(format!(
                "{what}: overflow {} at capacity {} with {} senders waiting",
                ep.overflow,
                ep.capacity,
                ep.senders.len()
            ));
        }
    }
    if !ep.senders.is_empty() && !ep.is_full() {
        // Senders may stay blocked with room only when memory ran out.
        let queued: usize = ep.queue.iter().map(|m| m.cost()).sum();
        if queued != ep.bytes {
            return Err(format!("{what}: byte count is off"));
        }
    }
    Ok(())
}

impl Kernel {
    /// Check every invariant when configured to; called at the end of every kernel entry.
    #[inline]
    pub(crate) fn checkpoint(&self) {
        if self.config.check_invariants {
            self.check_now();
        }
    }

    #[inline(never)]
    fn check_now(&self) {
        if let Err(violation) = self.check_invariants() {
            panic!(
                "kernel invariant violated at tick {}: {violation}",
                self.clock
            );
        }
    }

    /// A CPU's `current` process is live and `Running` on that CPU, and each `Running`
    /// process is the `current` of exactly the CPU its state names.
    fn check_cpus(&self) -> Result<(), String> {
        for (cpu, slot) in self.cpus.iter().enumerate() {
            let Some(pid) = slot.current else { continue };
            let p = self
                .process(pid)
                .ok_or(format!("cpu{cpu} runs {pid}, which is gone"))?;
            if p.state != ProcState::Running(cpu as CpuId) {
                return Err(format!("cpu{cpu} runs {pid}, whose state is {:?}", p.state));
            }
        }
        for (_, p) in self.procs.iter() {
            if let ProcState::Running(cpu) = p.state {
                let current = self.cpus.get(cpu as usize).and_then(|s| s.current);
                if current != Some(p.pid) {
                    return Err(format!(
                        "{} is running on cpu{cpu}, which runs {current:?}",
                        p.pid
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::entry::{Action, Entry, Outside};
    use crate::sched::Policy;
    use crate::{Kernel, KernelConfig};
    use alloc::string::ToString;
    use alloc::vec;

    /// A kernel whose first process was dispatched on CPU 0 and is running there.
    fn running() -> Kernel {
        let mut k = Kernel::new(
            KernelConfig::default(),
            Policy::RoundRobin { quantum: 10 },
            vec!["main".to_string()],
        );
        k.boot("main", "", 0).expect("boots");
        let action = k.enter(0, 0, Entry::Tick(Outside::default()));
        assert!(matches!(action, Action::Dispatch { .. }), "{action:?}");
        k
    }

    #[test]
    fn a_cpu_and_the_process_it_runs_must_agree() {
        let mut k = running();
        assert_eq!(k.check_invariants(), Ok(()));
        // The CPU forgets its process, which still says it runs there.
        let pid = k.cpus[0].current.take().expect("a process runs on cpu0");
        let err = k.check_invariants().expect_err("caught");
        assert!(err.contains("is running on cpu0"), "{err}");
        // The CPU names a process that is not running.
        k.cpus[0].current = Some(pid);
        k.procs
            .get_mut(pid.index(), pid.generation())
            .expect("live")
            .state = crate::process::ProcState::Ready;
        let err = k.check_invariants().expect_err("caught");
        assert!(err.contains("cpu0 runs"), "{err}");
    }
}
