//! The trace: one event for every state change, stamped with its tick and CPU.
//!
//! This module owns the event model: the events, the names they give what the ABI does not
//! name (a CPU, [`CpuId`]; a message, [`MsgId`]; a wait queue, [`WaitQueueId`]), and the
//! buffer or sink they go to. It depends on no other room of the kernel, so that every room
//! can record events. It never formats for people: renderers (text, JSON, timelines) live
//! in the `sim` crate and read these values. Events carry names where a name is born (spawn,
//! mailbox creation) so that a trace describes itself.

use abi::{
    Capacity, Dest, Error, Lifetime, MailboxId, Overflow, Pid, Receivers, Right, Syscall, Sysno,
    Ticks, RET_REGS,
};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A simulated CPU's number.
pub type CpuId = u32;

/// A message's serial number, unique within a run: links a send to its receive.
pub type MsgId = u64;

/// Which wait queue: every blocked process names the one it sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaitQueueId {
    /// Senders waiting for room in a mailbox (or, at capacity zero, for its owner to receive).
    MailboxSenders(MailboxId),
    /// The owner waiting for a message in its mailbox.
    MailboxReceiver(MailboxId),
    /// Callers whose message is queued in the mailbox, waiting for it to be received.
    MailboxCallers(MailboxId),
    /// Senders waiting for room in a process's direct inbox (or for it to receive).
    InboxSenders(Pid),
    /// The process itself, waiting in `receive(any)` on its inbox.
    InboxReceiver(Pid),
    /// Processes waiting in `receive(from pid)`: a symmetric receive names its sender.
    ReceiversFrom(Pid),
    /// Callers waiting for this process's reply.
    Replies(Pid),
    /// Parents waiting in `wait` for this process to exit.
    Exit(Pid),
    /// The process itself, waiting in `select` on a set of endpoints (it is also a watcher
    /// of each endpoint of the set).
    Select(Pid),
}

impl WaitQueueId {
    /// The queue's label in traces (`senders`, `receiver`, `replies`, ...), shown after its
    /// owner's name.
    pub fn name(&self) -> &'static str {
        match self {
            WaitQueueId::MailboxSenders(_) => "senders",
            WaitQueueId::MailboxReceiver(_) => "receiver",
            WaitQueueId::MailboxCallers(_) => "callers",
            WaitQueueId::InboxSenders(_) => "inbox.senders",
            WaitQueueId::InboxReceiver(_) => "inbox.receiver",
            WaitQueueId::ReceiversFrom(_) => "receivers_from",
            WaitQueueId::Replies(_) => "replies",
            WaitQueueId::Exit(_) => "exit",
            WaitQueueId::Select(_) => "select",
        }
    }
}

impl fmt::Display for WaitQueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitQueueId::MailboxSenders(m)
            | WaitQueueId::MailboxReceiver(m)
            | WaitQueueId::MailboxCallers(m) => write!(f, "{m}.{}", self.name()),
            WaitQueueId::InboxSenders(p)
            | WaitQueueId::InboxReceiver(p)
            | WaitQueueId::ReceiversFrom(p)
            | WaitQueueId::Replies(p)
            | WaitQueueId::Exit(p)
            | WaitQueueId::Select(p) => write!(f, "{p}.{}", self.name()),
        }
    }
}

/// One state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it happened.
    pub tick: Ticks,
    /// On which CPU.
    pub cpu: CpuId,
    /// What happened.
    pub kind: EventKind,
}

/// Why a blocked or sleeping process became ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// Its call completed: a message arrived, its message was taken, a reply came, a child
    /// exited.
    Completed,
    /// Its timeout expired.
    TimedOut,
    /// Its sleep ended.
    SleepEnded,
    /// It was held since its spawn until its arrival tick, which has come: it joins the run
    /// queue for the first time.
    Arrived,
    /// The mailbox it waited on was deleted.
    MailboxDeleted,
    /// The process it waited on exited.
    PeerExited,
    /// Its receive buffer is too small for the message now available.
    BufferTooSmall,
    /// The request of its `call` was dropped by the mailbox's overflow policy: no reply can
    /// come (the call fails with `mailbox_full`).
    MessageDropped,
    /// The receive privilege of the mailbox it waited on in `receive` was revoked (the
    /// receive fails with `not_owner`).
    Revoked,
}

impl WakeReason {
    /// The name used in traces.
    pub const fn name(self) -> &'static str {
        match self {
            WakeReason::Completed => "completed",
            WakeReason::TimedOut => "timed_out",
            WakeReason::SleepEnded => "sleep_ended",
            WakeReason::Arrived => "arrived",
            WakeReason::MailboxDeleted => "mailbox_deleted",
            WakeReason::PeerExited => "peer_exited",
            WakeReason::BufferTooSmall => "buffer_too_small",
            WakeReason::MessageDropped => "message_dropped",
            WakeReason::Revoked => "revoked",
        }
    }
}

/// Why messages left the kernel without being received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// `delete_mailbox` removed the mailbox they were queued in.
    MailboxDeleted,
    /// The mailbox's owner exited, which deletes it.
    OwnerExited,
    /// The process whose inbox held them exited.
    ReceiverExited,
    /// The mailbox was full and its overflow policy dropped a message: the new one
    /// (`drop_newest`, which was never queued) or the oldest queued (`drop_oldest`).
    Overflow,
    /// Fault injection lost it (`KernelConfig::loss_percent`): the kernel accepted it (the
    /// send succeeded) and discarded it at once, never queued.
    Fault,
}

impl DropReason {
    /// Every reason, in order.
    pub const ALL: [DropReason; 5] = [
        DropReason::MailboxDeleted,
        DropReason::OwnerExited,
        DropReason::ReceiverExited,
        DropReason::Overflow,
        DropReason::Fault,
    ];

    /// Its place in [`DropReason::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name used in traces.
    pub const fn name(self) -> &'static str {
        match self {
            DropReason::MailboxDeleted => "mailbox_deleted",
            DropReason::OwnerExited => "owner_exited",
            DropReason::ReceiverExited => "receiver_exited",
            DropReason::Overflow => "overflow",
            DropReason::Fault => "fault",
        }
    }
}

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// It called `exit(code)`.
    Exit,
    /// Its program returned.
    Returned,
    /// Its program panicked; the message.
    Panicked(String),
    /// It broke the trap protocol (suspended without a syscall); what it did.
    Fault(String),
    /// Fault injection killed it (a planned kill); its exit code is
    /// [`ExitReason::KILLED_CODE`]. The `Fault` event just before its `Exit` says why.
    Killed,
}

impl ExitReason {
    /// The exit code of a killed process: 137, as a POSIX shell reports a process ended by
    /// `SIGKILL` (128 + 9), so that it reads as "killed" wherever exit codes are shown.
    pub const KILLED_CODE: i32 = 137;
}

/// What made fault injection kill a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillCause {
    /// The plan's tick came (the kill happens at the first kernel entry at or after it).
    Tick(Ticks),
    /// The process trapped for the n-th time (counting from 1): it was killed instead of
    /// having that syscall served.
    Syscall(u64),
}

/// A fault injected into the run (see `docs/faults.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A process was killed; its `Exit` (reason `Killed`) follows.
    Kill {
        /// The process killed.
        pid: Pid,
        /// What in the plan killed it: its tick, or the process's n-th syscall.
        cause: KillCause,
    },
    /// A kill at a tick found no live process of the name it was given: nothing happened.
    KillMissed {
        /// The name the plan gave.
        name: String,
        /// The tick it was planned for.
        tick: Ticks,
    },
    /// A message was lost: accepted (its send succeeded), then dropped at once (a
    /// `MessagesDropped` with reason `fault` follows).
    Lose {
        /// The message.
        msg: MsgId,
        /// The sender.
        from: Pid,
        /// Where it was sent.
        to: Dest,
        /// Length in bytes.
        len: usize,
        /// The sender waits for a reply (which will never come).
        call: bool,
    },
    /// A queued message is in flight: nobody can receive it before `until`.
    Delay {
        /// The message.
        msg: MsgId,
        /// The sender.
        from: Pid,
        /// The endpoint it is queued at.
        to: Dest,
        /// When it becomes receivable.
        until: Ticks,
        /// `None` when the fault generator delayed it; otherwise the earlier message from the
        /// same sender to the same endpoint, still in flight, that it may not overtake.
        behind: Option<MsgId>,
    },
    /// A delayed message became receivable at its endpoint (and went to the receiver waiting
    /// there, if any).
    Arrive {
        /// The message.
        msg: MsgId,
        /// The sender.
        from: Pid,
        /// The endpoint it is queued at.
        to: Dest,
    },
    /// The clock jumped forward; timeouts and sleeps due in the gap fire at `to`.
    ClockJump {
        /// The clock before.
        from: Ticks,
        /// The clock after.
        to: Ticks,
    },
}

impl FaultKind {
    /// The name used in traces.
    pub const fn name(&self) -> &'static str {
        match self {
            FaultKind::Kill { .. } => "kill",
            FaultKind::KillMissed { .. } => "kill_missed",
            FaultKind::Lose { .. } => "lose",
            FaultKind::Delay { .. } => "delay",
            FaultKind::Arrive { .. } => "arrive",
            FaultKind::ClockJump { .. } => "clock_jump",
        }
    }
}

/// Why a reply reached nobody.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyDropReason {
    /// The pid names no live process (the caller exited).
    NoSuchProcess,
    /// The process is live but not waiting for a reply from the replier (it timed out, or
    /// never called it).
    NotWaiting,
}

/// What changed, with the processes, messages and endpoints it concerns: enough for a
/// reader of the trace alone to follow the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A process was created.
    Spawn {
        /// The new process.
        pid: Pid,
        /// Who spawned it; `None` for the first process.
        parent: Option<Pid>,
        /// The program it runs.
        program: String,
        /// The name traces show for it.
        name: String,
        /// Its argument.
        arg: u64,
        /// Its direct inbox's capacity.
        inbox: Capacity,
        /// Its scheduling priority, as it asked (higher runs first, under the policies that
        /// use it).
        priority: u8,
    },
    /// The scheduler gave a CPU to a process.
    Dispatch {
        /// Who runs now.
        pid: Pid,
    },
    /// A process lost its CPU while it could still run: its quantum ended with another
    /// process ready, or the policy preferred another. It is ready again.
    Preempt {
        /// Who lost the CPU.
        pid: Pid,
        /// Ticks of its compute burst still to run.
        burst_left: Ticks,
    },
    /// A process entered the kernel.
    Syscall {
        /// Who trapped.
        pid: Pid,
        /// The decoded call.
        call: Syscall,
    },
    /// A trap frame that does not decode.
    BadSyscall {
        /// Who trapped.
        pid: Pid,
        /// The raw number.
        sysno: u64,
        /// Why it was refused.
        error: Error,
    },
    /// A syscall finished: its return registers.
    Return {
        /// Whose call.
        pid: Pid,
        /// The call's number; `None` for one no syscall has (a frame that did not decode).
        sysno: Option<Sysno>,
        /// The return registers (register 0 is the status).
        ret: [u64; RET_REGS],
    },
    /// A process started waiting on a wait queue.
    Block {
        /// Who waits.
        pid: Pid,
        /// On which queue.
        queue: WaitQueueId,
        /// When its timeout fires, if it has one.
        deadline: Option<Ticks>,
    },
    /// A blocked or sleeping process became ready.
    Wake {
        /// Who wakes.
        pid: Pid,
        /// The process whose action woke it; `None` for the timer.
        by: Option<Pid>,
        /// What ended its wait (the `Return` that follows says how its call ended).
        reason: WakeReason,
    },
    /// A message was put in a queue.
    MessageQueued {
        /// The message.
        msg: MsgId,
        /// The sender.
        from: Pid,
        /// The queue's endpoint.
        to: Dest,
        /// Length in bytes.
        len: usize,
        /// Messages queued there now.
        depth: usize,
        /// The sender waits for a reply.
        call: bool,
    },
    /// A message went straight from a sender to a waiting receiver (or from a blocked
    /// sender to the receiver that took it).
    MessageHandedOver {
        /// The message.
        msg: MsgId,
        /// The sender.
        from: Pid,
        /// The receiver.
        to: Pid,
        /// The endpoint it was sent to.
        via: Dest,
        /// Length in bytes.
        len: usize,
        /// The sender waits for a reply.
        call: bool,
    },
    /// A receiver took a queued message.
    MessageReceived {
        /// The message.
        msg: MsgId,
        /// The sender.
        from: Pid,
        /// The receiver.
        by: Pid,
        /// The endpoint it was queued at.
        via: Dest,
        /// Length in bytes.
        len: usize,
    },
    /// Messages were discarded, never received: queued ones, oldest first, or (reason
    /// `overflow` at a `drop_newest` mailbox) the message its sender was sending right then,
    /// which was never queued.
    MessagesDropped {
        /// Where they were queued.
        via: Dest,
        /// How many messages were dropped at once.
        count: usize,
        /// What dropped them.
        reason: DropReason,
    },
    /// A send or call gave up before its message entered the kernel: the message was not
    /// delivered.
    SendAbandoned {
        /// The sender.
        pid: Pid,
        /// Where it was going.
        to: Dest,
        /// Why it gave up.
        error: Error,
    },
    /// A reply reached its caller.
    ReplyDelivered {
        /// The replier.
        from: Pid,
        /// The caller.
        to: Pid,
        /// Length in bytes.
        len: usize,
    },
    /// A reply reached nobody.
    ReplyDropped {
        /// The replier.
        from: Pid,
        /// The intended caller.
        to: Pid,
        /// Why nobody took it: the caller is gone, or not waiting for this replier.
        reason: ReplyDropReason,
    },
    /// A mailbox was created.
    MailboxCreated {
        /// Its id.
        id: MailboxId,
        /// Its owner.
        owner: Pid,
        /// Its capacity.
        capacity: Capacity,
        /// What a send does when it is full.
        overflow: Overflow,
        /// Who may receive and which waiting receiver a message goes to.
        receivers: Receivers,
        /// Whether it dies with its owner.
        lifetime: Lifetime,
        /// Its registered name.
        name: Option<String>,
    },
    /// A mailbox was deleted, by `delete_mailbox` or by its owner's exit.
    MailboxDeleted {
        /// Its id.
        id: MailboxId,
        /// Who deleted it: its owner (or, for a mailbox the system owns, the process that
        /// deleted it); the owner as it exits.
        by: Pid,
        /// Messages still queued, now dropped.
        dropped: usize,
        /// Processes woken with `MailboxDeleted`.
        woken: usize,
    },
    /// A mailbox changed owner: by `transfer_mailbox`, or, for a mailbox the system owns,
    /// to its first granted receiver as its owner exited.
    MailboxTransferred {
        /// Its id.
        id: MailboxId,
        /// The old owner (for a mailbox that had none, the process that gave it one).
        from: Pid,
        /// The new owner.
        to: Pid,
    },
    /// The owner of a mailbox the system owns exited and no granted receiver was left to
    /// inherit it: it lives on without an owner.
    MailboxOrphaned {
        /// Its id.
        id: MailboxId,
        /// The owner that exited.
        from: Pid,
    },
    /// A mailbox's owner let another process receive from it.
    ReceiveGranted {
        /// The mailbox.
        id: MailboxId,
        /// Who granted it.
        by: Pid,
        /// Who may now receive.
        to: Pid,
    },
    /// A right carried in a message moved to its receiver as the message was received.
    RightTransferred {
        /// The message.
        msg: MsgId,
        /// The right.
        right: Right,
        /// Its sender, which held it.
        from: Pid,
        /// Its receiver, which holds it now.
        to: Pid,
    },
    /// A message carrying a right was received after its sender stopped holding it: it
    /// arrived without the right.
    RightVoided {
        /// The message.
        msg: MsgId,
        /// The right.
        right: Right,
        /// Its sender.
        from: Pid,
    },
    /// A holder of a send right on a mailbox gave one to another process.
    SendGranted {
        /// The mailbox.
        id: MailboxId,
        /// Who granted it.
        by: Pid,
        /// Who may now send to it (in capability mode).
        to: Pid,
    },
    /// A mailbox's owner took the receive privilege back.
    ReceiveRevoked {
        /// The mailbox.
        id: MailboxId,
        /// Who revoked it.
        by: Pid,
        /// Who may no longer receive.
        from: Pid,
    },
    /// A process went to sleep.
    Sleep {
        /// The process that sleeps.
        pid: Pid,
        /// The tick its sleep ends: it wakes at the first kernel entry at or after it.
        until: Ticks,
    },
    /// A process gave up its CPU with `yield`.
    Yield {
        /// The process that yielded: ready again at once, its call finished.
        pid: Pid,
    },
    /// Nothing could run; the CPU idled until the next timer.
    Idle {
        /// When the CPU will next have work.
        until: Ticks,
    },
    /// A process wrote a line to the console.
    Print {
        /// The process that printed.
        pid: Pid,
        /// The line, as printed (bytes that are not UTF-8 replaced by U+FFFD).
        text: String,
    },
    /// A process ended.
    Exit {
        /// The process that ended: a zombie while a live parent has yet to collect the code.
        pid: Pid,
        /// Its exit code.
        code: i32,
        /// How it ended: `exit`, its program returned or panicked, it broke the trap
        /// protocol, or fault injection killed it.
        reason: ExitReason,
    },
    /// Nothing can ever run again but processes are blocked.
    Deadlock {
        /// The wait-for cycle, if there is one: each waits on the next, the last on the first.
        cycle: Vec<Pid>,
        /// Every blocked process, the queue it waits on and who could release it.
        blocked: Vec<WaitFor>,
    },
    /// The run stopped because its time stopped: work went on without the clock moving.
    Livelock {
        /// What stopped time.
        cause: LivelockCause,
        /// The processes running or ready when it stopped, in slot order.
        processes: Vec<Pid>,
    },
    /// The run stopped at its tick limit.
    TickLimit {
        /// The tick limit the run was given ([`crate::Platform::tick_limit`]).
        limit: Ticks,
    },
    /// Priority inheritance raised a process's effective priority: a process waiting for it
    /// to receive or reply (directly, or through a chain of such waits) runs at a higher
    /// priority than it does.
    PriorityLent {
        /// The waiting process whose effective priority it now carries.
        from: Pid,
        /// The process whose effective priority rose.
        to: Pid,
        /// Its new effective priority.
        priority: u8,
    },
    /// Priority inheritance lowered a process's effective priority: the wait that lent the
    /// higher one ended (its message was taken or replied to, or it gave up).
    PriorityReturned {
        /// The process whose effective priority fell.
        pid: Pid,
        /// Its new effective priority: its own, or the highest still lent.
        priority: u8,
    },
    /// A call that was about to block did not, because blocking would close a cycle of
    /// processes waiting on each other (`KernelConfig::refuse_deadlock`); it returned
    /// `deadlock` instead.
    DeadlockRefused {
        /// The caller.
        pid: Pid,
        /// The wait queue it would have blocked on.
        queue: WaitQueueId,
        /// The cycle it would have closed, starting with the caller: each would wait on the
        /// next, the last on the caller.
        cycle: Vec<Pid>,
    },
    /// A process was dispatched on a different CPU from the one it last ran on (recorded
    /// by the machine right after the dispatch).
    Migrate {
        /// The process.
        pid: Pid,
        /// The CPU it last ran on.
        from: CpuId,
        /// The CPU it runs on now.
        to: CpuId,
    },
    /// A fault was injected (kill, lost or delayed message, clock jump): recorded before
    /// its consequences.
    Fault {
        /// Which fault, and what it hit.
        kind: FaultKind,
    },
}

/// What stopped a run's time ([`crate::Livelock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LivelockCause {
    /// This many kernel entries in a row at one tick: syscalls and switches that cost no
    /// time, in a loop ([`crate::KernelConfig::max_steps_per_tick`]).
    Steps {
        /// The entries served at that tick before the one that stopped the run.
        steps: u64,
    },
    /// A process ran this many steps of its own program (a scenario's statements) without
    /// a syscall, and would run on: a program's own steps take no time, so its CPU's clock
    /// cannot move until it traps.
    Spinning {
        /// The process.
        pid: Pid,
        /// Its steps since its last syscall.
        steps: u64,
    },
}

/// One blocked process in a deadlock report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitFor {
    /// The blocked process.
    pub pid: Pid,
    /// The queue it waits on.
    pub queue: WaitQueueId,
    /// The one process that could release it, when there is exactly one (a receiver on an
    /// empty mailbox waits for anyone).
    pub holder: Option<Pid>,
}

/// Where events go as they happen instead of into the buffer: a renderer writing a trace
/// as the run goes (the text trace to a file, say), so a long run's events are never held
/// all at once. It sees every event, in order, exactly once. It is `Send` because the kernel
/// that holds it is.
pub trait TraceSink: Send {
    /// Take one event.
    fn record(&mut self, event: &Event);
}

/// Where the kernel keeps events until the machine reads them, or the sink it hands them
/// to as they happen.
#[derive(Default)]
pub struct TraceBuffer {
    enabled: bool,
    /// The tick and CPU of the kernel entry being served: what [`TraceBuffer::record`]
    /// stamps an event with.
    at: (Ticks, CpuId),
    events: Vec<Event>,
    sink: Option<Box<dyn TraceSink>>,
}

impl fmt::Debug for TraceBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceBuffer")
            .field("enabled", &self.enabled)
            .field("events", &self.events.len())
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

impl TraceBuffer {
    /// A buffer that records when `enabled`, and drops events otherwise.
    pub fn new(enabled: bool) -> Self {
        TraceBuffer {
            enabled,
            at: (0, 0),
            events: Vec::new(),
            sink: None,
        }
    }

    /// Whether events are kept.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// From now on hand each event to `sink` instead of keeping it (when recording is
    /// enabled), and return the sink that had them before, if any. Events kept so far go to
    /// the new sink first, so it sees the whole trace.
    pub fn set_sink(&mut self, mut sink: Box<dyn TraceSink>) -> Option<Box<dyn TraceSink>> {
        for event in self.events.drain(..) {
            sink.record(&event);
        }
        self.sink.replace(sink)
    }

    /// From now on stamp events with this tick and CPU (the kernel entry being served).
    #[inline]
    pub fn stamp(&mut self, tick: Ticks, cpu: CpuId) {
        self.at = (tick, cpu);
    }

    /// The tick and CPU events are stamped with now.
    pub fn stamped(&self) -> (Ticks, CpuId) {
        self.at
    }

    /// Record an event at the stamped tick and CPU ([`TraceBuffer::stamp`]).
    #[inline]
    pub fn record(&mut self, kind: impl FnOnce() -> EventKind) {
        let (tick, cpu) = self.at;
        self.push(tick, cpu, kind);
    }

    /// Record an event.
    #[inline]
    pub fn push(&mut self, tick: Ticks, cpu: CpuId, kind: impl FnOnce() -> EventKind) {
        if self.enabled {
            let event = Event {
                tick,
                cpu,
                kind: kind(),
            };
            match &mut self.sink {
                None => self.events.push(event),
                Some(sink) => sink.record(&event),
            }
        }
    }

    /// Take back the sink, if any: events are kept again from now on.
    pub fn take_sink(&mut self) -> Option<Box<dyn TraceSink>> {
        self.sink.take()
    }

    /// The events so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Take the events so far, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<Event> {
        core::mem::take(&mut self.events)
    }
}
