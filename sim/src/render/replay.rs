//! The replay: the trace replayed into what happened when, per process, per message and per
//! endpoint.
//!
//! This module owns the one model every visual renderer ([`gantt`](super::gantt),
//! [`svg`](super::svg), [`chrome`](super::chrome), [`html`](super::html)) draws and the [`stats`](super::stats)
//! endpoint table counts, so they agree on what happened when: each process's life as
//! contiguous state spans (what there is to draw), each message from its send to its receipt
//! or drop (the arrows), each endpoint's queue depth over time. It renders nothing itself. It
//! reads events only; it never reaches into the kernel, and never panics on any event
//! sequence: an event about a process the trace never spawned (or one that already exited) is
//! ignored, and ticks that run backwards are clamped, so a truncated or hand-written trace
//! still replays.
//!
//! The spans follow the kernel's own transitions (`Process::set_state`): a process is `Ready`
//! from its spawn, `Running` from a dispatch, `Ready` again after a preemption, a yield or a
//! wake, `Blocked` from a block, `Sleeping` from a sleep, and its life ends at its exit. A
//! state's span ends at the tick of the event that leaves it, as the kernel charges it, so a
//! process's spans add up to the kernel's own totals (`ProcStats`), which stay the authority
//! for the numbers: the statistics take them from the report. Processes still alive when the
//! run ended are drawn up to the run's end tick.

use abi::{Dest, MailboxId, Overflow, Pid, Ticks};
use kernel::trace::WaitQueueId;
use kernel::trace::{CpuId, DropReason, Event, EventKind, FaultKind, MsgId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What a process is doing during a [`Span`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// On a CPU.
    Running {
        /// The CPU it runs on.
        cpu: CpuId,
    },
    /// Waiting for a CPU.
    Ready,
    /// Waiting on a wait queue.
    Blocked {
        /// The queue it waits on.
        queue: WaitQueueId,
    },
    /// Waiting for the clock.
    Sleeping,
}

impl State {
    /// The state's name without its detail: `running`, `ready`, `blocked`, `sleeping`.
    pub const fn name(&self) -> &'static str {
        match self {
            State::Running { .. } => "running",
            State::Ready => "ready",
            State::Blocked { .. } => "blocked",
            State::Sleeping => "sleeping",
        }
    }
}

/// A stretch of one process's life in one state: `[start, end)` in ticks.
///
/// A span may be empty (`start == end`) when a process passes through a state within one
/// tick (possible when a cost is configured to zero); renderers decide whether to show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The tick it began.
    pub start: Ticks,
    /// The tick it ended (exclusive).
    pub end: Ticks,
    /// What the process did throughout it.
    pub state: State,
}

impl Span {
    /// How many ticks it lasted.
    pub const fn ticks(&self) -> Ticks {
        self.end.saturating_sub(self.start)
    }
}

/// Ticks per state, summed over a process's spans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Ticks running.
    pub cpu: Ticks,
    /// Ticks ready but not running.
    pub ready: Ticks,
    /// Ticks blocked on a wait queue.
    pub blocked: Ticks,
    /// Ticks sleeping.
    pub sleeping: Ticks,
}

/// How a process's life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessExit {
    /// The tick of its exit.
    pub tick: Ticks,
    /// Its exit code.
    pub code: i32,
}

/// One process, replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessLife {
    /// Its pid.
    pub pid: Pid,
    /// The name its spawn gave it.
    pub name: String,
    /// The program it runs.
    pub program: String,
    /// Who spawned it.
    pub parent: Option<Pid>,
    /// Its priority.
    pub priority: u8,
    /// The tick it was spawned.
    pub spawned: Ticks,
    /// Its exit, if it exited before the run ended.
    pub exit: Option<ProcessExit>,
    /// Its states from spawn to exit (or to the run's end), in order, contiguous.
    pub spans: Vec<Span>,
}

impl ProcessLife {
    /// `p3:name`, as every renderer labels it.
    pub fn label(&self) -> String {
        format!("{}:{}", self.pid, self.name)
    }

    /// Ticks per state over its whole life in the trace.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for s in &self.spans {
            let n = s.ticks();
            match s.state {
                State::Running { .. } => t.cpu += n,
                State::Ready => t.ready += n,
                State::Blocked { .. } => t.blocked += n,
                State::Sleeping => t.sleeping += n,
            }
        }
        t
    }

    /// The tick its life in the trace ends: its exit, or the run's end.
    pub fn end(&self) -> Ticks {
        match self.exit {
            Some(e) => e.tick,
            None => self.spans.last().map_or(self.spawned, |s| s.end),
        }
    }

    /// The tick its spawn and its end are apart: its turnaround if it exited.
    pub fn lifetime(&self) -> Ticks {
        self.end().saturating_sub(self.spawned)
    }
}

/// Where a message goes: a process's direct inbox or a mailbox. Unlike [`Dest`] it is
/// ordered, so counters keyed by it come out in a stable order (mailboxes first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// A mailbox.
    Mailbox(MailboxId),
    /// A process's direct inbox.
    Inbox(Pid),
}

impl From<Dest> for Endpoint {
    fn from(d: Dest) -> Endpoint {
        match d {
            Dest::Process(p) => Endpoint::Inbox(p),
            Dest::Mailbox(m) => Endpoint::Mailbox(m),
        }
    }
}

impl From<Endpoint> for Dest {
    fn from(e: Endpoint) -> Dest {
        match e {
            Endpoint::Inbox(p) => Dest::Process(p),
            Endpoint::Mailbox(m) => Dest::Mailbox(m),
        }
    }
}

impl Endpoint {
    /// The endpoint whose senders wait on `queue`, if `queue` is a senders queue.
    pub fn of_senders_queue(queue: WaitQueueId) -> Option<Endpoint> {
        match queue {
            WaitQueueId::MailboxSenders(m) => Some(Endpoint::Mailbox(m)),
            WaitQueueId::InboxSenders(p) => Some(Endpoint::Inbox(p)),
            _ => None,
        }
    }
}

/// Counters of one endpoint, from the events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointCounters {
    /// Messages that entered the kernel bound here (queued, handed over, or dropped as they
    /// arrived by a full `drop_newest` mailbox).
    pub accepted: u64,
    /// Of those, how many were queued.
    pub queued: u64,
    /// Of those, how many went straight to a waiting receiver (or were taken straight from a
    /// blocked sender).
    pub handed_over: u64,
    /// Messages a receiver took from here (queued or handed over): the messages through it.
    pub received: u64,
    /// Messages dropped here, never received.
    pub dropped: u64,
    /// The most messages queued here at once.
    pub max_depth: usize,
    /// The most senders blocked on its senders queue at once.
    pub max_blocked_senders: usize,
    /// Messages still queued when the trace ends.
    pub left_queued: usize,
    /// The queue depth after every change, `(tick, depth)`, in order.
    pub depth: Vec<(Ticks, usize)>,
}

/// A message's receipt: when, where and by whom it was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The tick the receiver took it.
    pub tick: Ticks,
    /// The CPU the receiver ran on.
    pub cpu: CpuId,
    /// The process that took it.
    pub by: Pid,
}

/// One message, from the tick it entered the kernel to its receipt or drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageFlow {
    /// Its id.
    pub msg: MsgId,
    /// The sender.
    pub from: Pid,
    /// Where it was sent.
    pub via: Dest,
    /// Its length in bytes.
    pub len: usize,
    /// Whether the sender waits for a reply.
    pub call: bool,
    /// When it entered the kernel (a message taken straight from a blocked sender enters at
    /// the receive).
    pub sent: Ticks,
    /// The CPU its sender ran on.
    pub sent_cpu: CpuId,
    /// Whether it went straight to its receiver, never queued.
    pub handed_over: bool,
    /// Its receipt, if it was received.
    pub received: Option<Receipt>,
    /// When and why it was dropped, if it was.
    pub dropped: Option<(Ticks, DropReason)>,
}

/// A stretch a CPU idled, waiting for a timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdleSpan {
    /// The CPU that idled.
    pub cpu: CpuId,
    /// The tick it began idling.
    pub start: Ticks,
    /// The tick it had work again (exclusive).
    pub end: Ticks,
}

/// The whole trace, replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// The run's end tick (at least the last event's tick).
    pub end: Ticks,
    /// Every process the trace spawned, in spawn order.
    pub processes: Vec<ProcessLife>,
    /// Every message that entered the kernel, by id.
    pub messages: BTreeMap<MsgId, MessageFlow>,
    /// Counters of every endpoint a message was sent to or a sender blocked on.
    pub endpoints: BTreeMap<Endpoint, EndpointCounters>,
    /// Every CPU named by an event.
    pub cpus: BTreeSet<CpuId>,
    /// When the CPUs idled.
    pub idle: Vec<IdleSpan>,
}

/// Replay state of one process: the span it is in now.
#[derive(Clone, Copy, Debug)]
struct Open {
    state: State,
    since: Ticks,
}

/// The replay in progress.
struct Replayer {
    tl: Replay,
    index: BTreeMap<Pid, usize>,
    open: Vec<Option<Open>>,
    /// Message ids queued at each endpoint, in arrival order.
    pending: BTreeMap<Endpoint, VecDeque<MsgId>>,
    /// Senders blocked on each endpoint's senders queue now.
    blocked_senders: BTreeMap<Endpoint, usize>,
    /// Mailboxes created with the `drop_newest` overflow policy: an overflow drop there is
    /// of the message being sent, which was never queued.
    drop_newest: BTreeSet<MailboxId>,
    /// The last tick seen: ticks never run backwards in the replay.
    now: Ticks,
}

impl Replay {
    /// Replay `events` of a run that ended at `end`.
    pub fn from_events(events: &[Event], end: Ticks) -> Replay {
        let mut r = Replayer {
            tl: Replay::default(),
            index: BTreeMap::new(),
            open: Vec::new(),
            pending: BTreeMap::new(),
            blocked_senders: BTreeMap::new(),
            drop_newest: BTreeSet::new(),
            now: 0,
        };
        for e in events {
            r.event(e);
        }
        r.finish(end)
    }

    /// The process with this pid.
    pub fn process(&self, pid: Pid) -> Option<&ProcessLife> {
        self.position(pid).map(|i| &self.processes[i])
    }

    /// The row (spawn order) of the process with this pid.
    pub fn position(&self, pid: Pid) -> Option<usize> {
        self.processes.iter().position(|p| p.pid == pid)
    }

    /// The row of every process, by pid: for renderers that look rows up per message.
    pub fn rows(&self) -> BTreeMap<Pid, usize> {
        self.processes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.pid, i))
            .collect()
    }

    /// Every running span on `cpu`, in time order, with the row of the process that ran.
    pub fn runs_on(&self, cpu: CpuId) -> Vec<(usize, Span)> {
        let mut runs: Vec<(usize, Span)> = self
            .processes
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.spans
                    .iter()
                    .filter(move |s| s.state == State::Running { cpu })
                    .map(move |s| (i, *s))
            })
            .collect();
        runs.sort_by_key(|(i, s)| (s.start, s.end, *i));
        runs
    }

    /// Messages that were received, in id order.
    pub fn received_messages(&self) -> impl Iterator<Item = (&MessageFlow, Receipt)> {
        self.messages
            .values()
            .filter_map(|m| m.received.map(|r| (m, r)))
    }
}

impl Replayer {
    fn event(&mut self, e: &Event) {
        // A trace that runs backwards is malformed; clamping keeps every span well formed.
        let tick = e.tick.max(self.now);
        self.now = tick;
        self.tl.cpus.insert(e.cpu);
        match &e.kind {
            EventKind::Spawn {
                pid,
                parent,
                program,
                name,
                priority,
                ..
            } => {
                if self.index.contains_key(pid) {
                    return;
                }
                self.index.insert(*pid, self.tl.processes.len());
                self.tl.processes.push(ProcessLife {
                    pid: *pid,
                    name: name.clone(),
                    program: program.clone(),
                    parent: *parent,
                    priority: *priority,
                    spawned: tick,
                    exit: None,
                    spans: Vec::new(),
                });
                self.open.push(Some(Open {
                    state: State::Ready,
                    since: tick,
                }));
            }
            EventKind::Dispatch { pid } => {
                if let Some(i) = self.live(*pid) {
                    self.enter(i, State::Running { cpu: e.cpu }, tick);
                }
            }
            EventKind::Preempt { pid, .. }
            | EventKind::Yield { pid }
            | EventKind::Wake { pid, .. } => {
                if let Some(i) = self.live(*pid) {
                    self.enter(i, State::Ready, tick);
                }
            }
            EventKind::Block { pid, queue, .. } => {
                if let Some(i) = self.live(*pid) {
                    self.enter(i, State::Blocked { queue: *queue }, tick);
                }
            }
            EventKind::Sleep { pid, .. } => {
                if let Some(i) = self.live(*pid) {
                    self.enter(i, State::Sleeping, tick);
                }
            }
            EventKind::MailboxCreated { id, overflow, .. } => {
                if *overflow == Overflow::DropNewest {
                    self.drop_newest.insert(*id);
                }
            }
            EventKind::Exit { pid, code, .. } => {
                if let Some(i) = self.live(*pid) {
                    self.close(i, tick);
                    self.tl.processes[i].exit = Some(ProcessExit { tick, code: *code });
                }
            }
            EventKind::MessageQueued {
                msg,
                from,
                to,
                len,
                depth,
                call,
            } => {
                let ep = Endpoint::from(*to);
                let pending = self.pending.entry(ep).or_default();
                pending.push_back(*msg);
                let now_depth = pending.len().max(*depth);
                let stats = self.tl.endpoints.entry(ep).or_default();
                stats.accepted = stats.accepted.saturating_add(1);
                stats.queued += 1;
                stats.max_depth = stats.max_depth.max(now_depth);
                stats.depth.push((tick, now_depth));
                self.tl.messages.entry(*msg).or_insert(MessageFlow {
                    msg: *msg,
                    from: *from,
                    via: *to,
                    len: *len,
                    call: *call,
                    sent: tick,
                    sent_cpu: e.cpu,
                    handed_over: false,
                    received: None,
                    dropped: None,
                });
            }
            EventKind::MessageHandedOver {
                msg,
                from,
                to,
                via,
                len,
                call,
            } => {
                let stats = self.tl.endpoints.entry(Endpoint::from(*via)).or_default();
                stats.accepted = stats.accepted.saturating_add(1);
                stats.handed_over += 1;
                stats.received += 1;
                self.tl.messages.entry(*msg).or_insert(MessageFlow {
                    msg: *msg,
                    from: *from,
                    via: *via,
                    len: *len,
                    call: *call,
                    sent: tick,
                    sent_cpu: e.cpu,
                    handed_over: true,
                    received: Some(Receipt {
                        tick,
                        cpu: e.cpu,
                        by: *to,
                    }),
                    dropped: None,
                });
            }
            EventKind::MessageReceived { msg, by, via, .. } => {
                let ep = Endpoint::from(*via);
                let pending = self.pending.entry(ep).or_default();
                if let Some(pos) = pending.iter().position(|m| m == msg) {
                    pending.remove(pos);
                }
                let depth = pending.len();
                let stats = self.tl.endpoints.entry(ep).or_default();
                stats.received += 1;
                stats.depth.push((tick, depth));
                // A message whose queueing the trace did not show has no send to link to.
                if let Some(flow) = self.tl.messages.get_mut(msg) {
                    flow.received.get_or_insert(Receipt {
                        tick,
                        cpu: e.cpu,
                        by: *by,
                    });
                }
            }
            EventKind::MessagesDropped {
                via: via @ Dest::Mailbox(m),
                count,
                reason: DropReason::Overflow,
            } if self.drop_newest.contains(m) => {
                // The message the sender was sending: accepted and dropped in its trap,
                // never queued, so nothing pending goes. (A made-up or damaged trace can
                // claim any count, so the counters saturate here and below rather than
                // overflow.)
                let stats = self.tl.endpoints.entry(Endpoint::from(*via)).or_default();
                stats.accepted = stats.accepted.saturating_add(*count as u64);
                stats.dropped = stats.dropped.saturating_add(*count as u64);
            }
            EventKind::MessagesDropped {
                via,
                count,
                reason: DropReason::Fault,
            } => {
                // Lost as they were accepted (the `fault` event before counted them in):
                // never queued, so nothing pending goes.
                let stats = self.tl.endpoints.entry(Endpoint::from(*via)).or_default();
                stats.dropped = stats.dropped.saturating_add(*count as u64);
            }
            EventKind::MessagesDropped { via, count, reason } => {
                let ep = Endpoint::from(*via);
                let pending = self.pending.entry(ep).or_default();
                // The kernel drops whole queues oldest first; `count` says how many.
                let n = (*count).min(pending.len());
                let gone: Vec<MsgId> = pending.drain(..n).collect();
                let depth = pending.len();
                for m in gone {
                    if let Some(flow) = self.tl.messages.get_mut(&m) {
                        flow.dropped.get_or_insert((tick, *reason));
                    }
                }
                let stats = self.tl.endpoints.entry(ep).or_default();
                stats.dropped = stats.dropped.saturating_add(*count as u64);
                stats.depth.push((tick, depth));
            }
            EventKind::Idle { until } => {
                if *until > tick {
                    self.tl.idle.push(IdleSpan {
                        cpu: e.cpu,
                        start: tick,
                        end: *until,
                    });
                }
            }
            EventKind::Syscall { .. }
            | EventKind::BadSyscall { .. }
            | EventKind::Return { .. }
            | EventKind::SendAbandoned { .. }
            | EventKind::ReplyDelivered { .. }
            | EventKind::ReplyDropped { .. }
            | EventKind::MailboxDeleted { .. }
            | EventKind::MailboxTransferred { .. }
            | EventKind::MailboxOrphaned { .. }
            | EventKind::ReceiveGranted { .. }
            | EventKind::ReceiveRevoked { .. }
            | EventKind::RightTransferred { .. }
            | EventKind::RightVoided { .. }
            | EventKind::SendGranted { .. }
            | EventKind::Print { .. }
            | EventKind::Deadlock { .. }
            | EventKind::Livelock { .. }
            | EventKind::TickLimit { .. }
            | EventKind::PriorityLent { .. }
            | EventKind::PriorityReturned { .. }
            | EventKind::DeadlockRefused { .. }
            | EventKind::Migrate { .. } => {}
            EventKind::Fault {
                kind:
                    FaultKind::Lose {
                        msg,
                        from,
                        to,
                        len,
                        call,
                    },
            } => {
                // A lost message entered the kernel and left it at once.
                let stats = self.tl.endpoints.entry(Endpoint::from(*to)).or_default();
                stats.accepted = stats.accepted.saturating_add(1);
                self.tl.messages.entry(*msg).or_insert(MessageFlow {
                    msg: *msg,
                    from: *from,
                    via: *to,
                    len: *len,
                    call: *call,
                    sent: tick,
                    sent_cpu: e.cpu,
                    handed_over: false,
                    received: None,
                    dropped: Some((tick, DropReason::Fault)),
                });
            }
            // A kill's `exit` follows it; a delayed message stays queued (pending) until it
            // is received; a clock jump moves every span on by itself.
            EventKind::Fault { .. } => {}
        }
    }

    /// The row of a process that is alive in the trace: spawned and not yet exited.
    fn live(&self, pid: Pid) -> Option<usize> {
        let i = *self.index.get(&pid)?;
        self.open.get(i)?.as_ref().map(|_| i)
    }

    /// Move process `i` to `state` at `tick`, closing the span it was in.
    fn enter(&mut self, i: usize, state: State, tick: Ticks) {
        if let Some(open) = self.open[i] {
            // The kernel re-records a block when it moves a caller to another queue without
            // charging anything; the same queue again is no change at all.
            if open.state == state {
                return;
            }
        }
        self.close(i, tick);
        if let State::Blocked { queue } = state {
            if let Some(ep) = Endpoint::of_senders_queue(queue) {
                let n = self.blocked_senders.entry(ep).or_default();
                *n += 1;
                let n = *n;
                let stats = self.tl.endpoints.entry(ep).or_default();
                stats.max_blocked_senders = stats.max_blocked_senders.max(n);
            }
        }
        self.open[i] = Some(Open { state, since: tick });
    }

    /// End process `i`'s current span at `tick`; it is in no span until it enters another.
    fn close(&mut self, i: usize, tick: Ticks) {
        let Some(open) = self.open[i].take() else {
            return;
        };
        if let State::Blocked { queue } = open.state {
            if let Some(ep) = Endpoint::of_senders_queue(queue) {
                if let Some(n) = self.blocked_senders.get_mut(&ep) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        self.tl.processes[i].spans.push(Span {
            start: open.since,
            end: tick.max(open.since),
            state: open.state,
        });
    }

    fn finish(mut self, end: Ticks) -> Replay {
        let end = end.max(self.now);
        for i in 0..self.open.len() {
            self.close(i, end);
        }
        for (ep, pending) in &self.pending {
            if let Some(stats) = self.tl.endpoints.get_mut(ep) {
                stats.left_queued = pending.len();
            }
        }
        self.tl.end = end;
        self.tl
    }
}

#[cfg(test)]
mod tests {
    use super::{Endpoint, Replay};
    use abi::{Capacity, Dest, MailboxId, Mode, Overflow, Pid, Syscall};
    use kernel::trace::{DropReason, Event, EventKind};

    #[test]
    fn huge_drop_counts_saturate_the_counters() {
        let (pid, mb) = (Pid::new(1, 0), MailboxId::new(0, 0));
        let via = Dest::Mailbox(mb);
        let ev = |kind| Event {
            tick: 1,
            cpu: 0,
            kind,
        };
        let drop = |reason| {
            ev(EventKind::MessagesDropped {
                via,
                count: usize::MAX,
                reason,
            })
        };
        let mut events = vec![
            ev(EventKind::MailboxCreated {
                id: mb,
                owner: pid,
                capacity: Capacity::Bounded(1),
                overflow: Overflow::DropNewest,
                receivers: abi::Receivers::OwnerOnly,
                lifetime: abi::Lifetime::Owner,
                name: None,
            }),
            ev(EventKind::Syscall {
                pid,
                call: Syscall::Send {
                    dest: via,
                    len: 1,
                    mode: Mode::Blocking,
                },
            }),
        ];
        // Each way a drop is counted, twice over: past `u64::MAX` on every path.
        for reason in [
            DropReason::Overflow,
            DropReason::Fault,
            DropReason::MailboxDeleted,
        ] {
            events.extend([drop(reason), drop(reason)]);
        }
        // And one more message accepted after the counter is full.
        events.push(ev(EventKind::MessageQueued {
            msg: 1,
            from: pid,
            to: via,
            len: 1,
            depth: 1,
            call: false,
        }));
        let tl = Replay::from_events(&events, 2);
        let stats = &tl.endpoints[&Endpoint::Mailbox(mb)];
        assert_eq!((stats.accepted, stats.dropped), (u64::MAX, u64::MAX));
        // The renderers built on the replay take it too.
        crate::render::chrome::render(&events, 2);
        crate::render::svg::render(&events, 2);
        crate::render::gantt::render(&events, 2, 40);
    }
}
