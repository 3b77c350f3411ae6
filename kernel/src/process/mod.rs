//! Processes: the process control block and the states a process moves through.
//!
//! This module owns what the kernel knows of one process. It never decides anything: the
//! scheduler decides who runs, the IPC code decides who blocks and wakes.
//!
//! Invariants:
//! - a `Blocked` process is linked into exactly the wait queue its state names, and any
//!   other process is linked into none;
//! - a `Zombie` owns nothing and waits on nothing: it keeps its exit code until its parent
//!   collects it, and its pid answers only `wait`; its IPC buffer is empty;
//! - `timer` is non-zero exactly while a timeout or sleep of this process is armed.

mod lifecycle;

use crate::ipc::{Inbox, WaitQueue};
use crate::slab::OptSlot;
use crate::trace::{CpuId, MsgId, WaitQueueId};
use abi::{Capacity, Dest, MailboxId, Payload, Pid, Source, Ticks, RET_REGS};
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// Waiting for a CPU.
    Ready,
    /// On a CPU.
    Running(CpuId),
    /// Waiting on a wait queue: the process's `wait` says which, in what call, until when.
    Blocked,
    /// Waiting for the clock.
    Sleeping {
        /// When it wakes.
        until: Ticks,
    },
    /// Exited; its parent has not collected the code yet.
    Zombie,
}

impl ProcState {
    /// A short name for process tables.
    pub fn name(&self) -> &'static str {
        match self {
            ProcState::Ready => "ready",
            ProcState::Running(_) => "running",
            ProcState::Blocked => "blocked",
            ProcState::Sleeping { .. } => "sleeping",
            ProcState::Zombie => "zombie",
        }
    }
}

/// Where a process's syscall stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrapState {
    /// No syscall yet: the process has only run its own code.
    #[default]
    User,
    /// It trapped; the kernel has not finished the call.
    Trapped,
    /// The kernel finished its last call; the return registers hold the result.
    Returned,
}

/// What a blocked process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// The queue it sits on.
    pub(crate) queue: WaitQueueId,
    /// The call it is in.
    pub(crate) op: BlockedOp,
    /// When its timeout fires.
    pub(crate) deadline: Option<Ticks>,
}

impl Default for Blocked {
    /// A wait that is nobody's (what a process that never blocked holds).
    fn default() -> Self {
        Blocked {
            queue: WaitQueueId::Exit(Pid::from_raw(0)),
            op: BlockedOp::Wait {
                child: Pid::from_raw(0),
            },
            deadline: None,
        }
    }
}

/// The syscall a blocked process is in, with what the kernel needs to finish it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockedOp {
    /// `send` or the send half of `call`; the message is still in the sender's IPC buffer.
    Send {
        /// The endpoint it sends to: a process's inbox or a mailbox.
        dest: Dest,
        /// The message's length in bytes (the bytes wait in the sender's IPC buffer).
        len: usize,
        /// `Some(reply buffer length)` when this is a `call`.
        call: Option<u64>,
    },
    /// `receive`.
    Receive {
        /// Whom it takes a message from: its inbox (any sender, or one named sender), or a
        /// mailbox it owns.
        source: Source,
        /// Its buffer's length: a longer message wakes it with `BufferTooSmall`.
        buf_len: u64,
    },
    /// The reply half of `call`: the message has left the caller.
    AwaitReply {
        /// Where the call went.
        dest: Dest,
        /// The call's message.
        msg: MsgId,
        /// Who must reply: the process that received the message (for a direct call, the
        /// destination, even before it has received).
        server: Option<Pid>,
        /// Whether the server has received the message yet.
        received: bool,
        /// Its reply buffer's length: a longer reply is refused, and it waits on.
        reply_len: u64,
    },
    /// `wait(child)`.
    Wait {
        /// The child whose exit it waits for.
        child: Pid,
    },
    /// `select`: its set is in the control block (`select_set`), and it watches each of its
    /// endpoints.
    Select {
        /// Its buffer's length: a longer message wakes it with `BufferTooSmall`.
        buf_len: u64,
    },
}

/// A process's neighbours in its parent's list of children (slot indices), so that reaping
/// a child is O(1) however many children the parent has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Siblings {
    /// The previous child.
    pub(crate) prev: OptSlot,
    /// The next child.
    pub(crate) next: OptSlot,
}

/// Per-process accounting, in ticks and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcStats {
    /// Ticks on a CPU.
    pub cpu: Ticks,
    /// Ticks ready but not running.
    pub ready: Ticks,
    /// Ticks blocked on a wait queue.
    pub blocked: Ticks,
    /// Ticks sleeping.
    pub sleeping: Ticks,
    /// Times given a CPU.
    pub dispatches: u64,
    /// Times it lost its CPU while it could still run (see the `Preempt` event).
    pub preemptions: u64,
    /// Syscalls made.
    pub syscalls: u64,
    /// Messages sent (queued or handed over).
    pub sent: u64,
    /// Messages received.
    pub received: u64,
    /// When it was spawned.
    pub spawned_at: Ticks,
    /// When it first ran.
    pub first_run: Option<Ticks>,
    /// When it exited.
    pub exited_at: Option<Ticks>,
}

/// The process control block.
#[derive(Debug)]
pub struct Process {
    /// Its pid.
    pub(crate) pid: Pid,
    /// The name traces show.
    pub(crate) name: Arc<str>,
    /// The program it runs (index into the kernel's program table).
    pub(crate) program: u32,
    /// The argument it was spawned with.
    pub(crate) arg: u64,
    /// Who spawned it, while that process lives.
    pub(crate) parent: Option<Pid>,
    /// Its scheduling priority.
    pub(crate) priority: u8,
    /// The priority it runs at: its own, or a higher one lent by the processes waiting for it
    /// to receive or reply (priority inheritance, `KernelConfig::priority_inheritance`). Only
    /// the wait-for code changes it (`ipc/waitfor.rs`), so the trace shows every change.
    pub(crate) effective_priority: u8,
    /// The CPU burst it declared at spawn, in ticks; `None` if it declared none (shortest-job
    /// policies then estimate from its measured bursts).
    pub(crate) expected_burst: Option<Ticks>,
    /// It was spawned under a name in `KernelConfig::daemons`: it serves others, and the run
    /// does not wait for it to exit.
    pub(crate) daemon: bool,
    /// The CPU it last ran on.
    pub(crate) last_cpu: Option<CpuId>,
    /// The number of its current (or last) syscall.
    pub(crate) sysno: u64,
    /// Its return registers: the result of its last finished call.
    pub(crate) ret: [u64; RET_REGS],
    /// Where its current syscall stands.
    pub(crate) trap: TrapState,
    /// Its IPC buffer: the message of a `send` or `call` it is blocked in (it is still the
    /// sender's until taken), or the bytes its last finished `receive` or `call` received.
    pub(crate) ipc: Payload,
    /// Where it is in its life.
    pub(crate) state: ProcState,
    /// What it waits for while `Blocked` (stale otherwise).
    pub(crate) wait: Blocked,
    /// When it entered its current state.
    pub(crate) since: Ticks,
    /// Its direct inbox: what others `send` to its pid (its endpoint made on first use).
    pub(crate) inbox: Inbox,
    /// Processes waiting in `receive(from this pid)`.
    pub(crate) receivers_from: WaitQueue,
    /// Callers waiting for this process's reply.
    pub(crate) replies: WaitQueue,
    /// Its parent, if waiting in `wait` for it.
    pub(crate) exit_waiters: WaitQueue,
    /// Itself, while it waits in `select`.
    pub(crate) select_wait: WaitQueue,
    /// The endpoints of the `select` it waits in (empty otherwise), in the caller's order.
    pub(crate) select_set: Vec<Source>,
    /// Where its next `select` starts looking: after the position its last one took from.
    pub(crate) select_cursor: usize,
    /// The right its `send_right` message carries while the message is still its own (in
    /// the trap, or blocked with it); it goes with the message when the kernel accepts it.
    pub(crate) carrying: Option<abi::Right>,
    /// Mailboxes it owns.
    pub(crate) owned: Vec<MailboxId>,
    /// Its first child (live or zombie); children are linked through `siblings`.
    pub(crate) first_child: OptSlot,
    /// Its place among its parent's children.
    pub(crate) siblings: Siblings,
    /// The serial of its armed timer, or 0.
    pub(crate) timer: u64,
    /// Ticks left of its current `compute` burst.
    pub(crate) burst: Ticks,
    /// Its exit code, once it has exited.
    pub(crate) exit_code: Option<i32>,
    /// Its accounting.
    pub(crate) stats: ProcStats,
}

impl Process {
    /// A ready process.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pid: Pid,
        name: Arc<str>,
        program: u32,
        parent: Option<Pid>,
        priority: u8,
        inbox: Capacity,
        now: Ticks,
    ) -> Self {
        Process {
            pid,
            name,
            program,
            arg: 0,
            parent,
            priority,
            effective_priority: priority,
            expected_burst: None,
            daemon: false,
            last_cpu: None,
            sysno: 0,
            ret: [0; RET_REGS],
            trap: TrapState::User,
            ipc: Payload::default(),
            state: ProcState::Ready,
            wait: Blocked::default(),
            since: now,
            inbox: Inbox::new(inbox, 0),
            receivers_from: WaitQueue::default(),
            replies: WaitQueue::default(),
            exit_waiters: WaitQueue::default(),
            select_wait: WaitQueue::default(),
            select_set: Vec::new(),
            select_cursor: 0,
            carrying: None,
            owned: Vec::new(),
            first_child: OptSlot::NONE,
            siblings: Siblings::default(),
            timer: 0,
            burst: 0,
            exit_code: None,
            stats: ProcStats {
                spawned_at: now,
                ..ProcStats::default()
            },
        }
    }

    /// Whether the process can still be named by sends, receives and transfers.
    pub fn is_live(&self) -> bool {
        !matches!(self.state, ProcState::Zombie)
    }

    /// Move to `state` at `now`, charging the time spent in the old state.
    pub fn set_state(&mut self, state: ProcState, now: Ticks) {
        let spent = now.saturating_sub(self.since);
        match self.state {
            ProcState::Ready => self.stats.ready += spent,
            ProcState::Running(_) => self.stats.cpu += spent,
            ProcState::Blocked => self.stats.blocked += spent,
            ProcState::Sleeping { .. } => self.stats.sleeping += spent,
            ProcState::Zombie => {}
        }
        self.state = state;
        self.since = now;
    }

    /// Whether it sleeps without ever having trapped: held since its spawn until its
    /// arrival tick (a process can only sleep by its own call otherwise).
    pub fn is_held_for_arrival(&self) -> bool {
        matches!(self.state, ProcState::Sleeping { .. }) && self.trap == TrapState::User
    }

    /// What it is blocked in, if blocked.
    #[inline]
    pub fn blocked(&self) -> Option<&Blocked> {
        match self.state {
            ProcState::Blocked => Some(&self.wait),
            _ => None,
        }
    }
}
