//! Inter-process communication: the objects messages travel through and the paths they take.
//!
//! Rooms: `endpoint` (a message queue with its senders and receivers waiting, and its
//! ledger), `mailbox` (an endpoint with an owner and a name, and its teardown), `waitqueue`
//! (the FIFOs blocked processes wait in), `messages` (handing over, queueing, taking,
//! refilling and dropping messages), `waitfor` (priority inheritance and deadlock refusal
//! along the wait-for graph), `select` (the watchers of processes waiting on several
//! endpoints), `rights` (rights carried in messages, send rights) and `faults` (lost and
//! delayed messages). The syscalls that use
//! them are in the trap table (`trap/ipc.rs`, `trap/mailbox.rs`).
//!
//! A message is always in exactly one place: in its sender's IPC buffer while the sender is
//! blocked with it, in one endpoint's queue, or in its receiver's buffer once taken. The
//! kernel stamps the sender's pid on every message; nothing a sender writes can change it.
//!
//! This module never schedules: it blocks and wakes processes through the kernel's helpers,
//! and the scheduler hears of it as "ready" (and, with priority inheritance on, of effective
//! priorities lent along the wait-for graph: `waitfor`).

mod endpoint;
mod faults;
mod mailbox;
mod messages;
mod rights;
mod select;
mod waitfor;
mod waitqueue;

// A queue's name is the trace's (events name queues, and the event model depends on no
// other room); it is reachable here too, beside the queues, where the renderers look for it.
pub use crate::trace::WaitQueueId;
pub(crate) use endpoint::UNUSED;
pub use endpoint::{Endpoint, Inbox, Message, Payload, INLINE_PAYLOAD, MESSAGE_OVERHEAD};
pub(crate) use faults::{Fate, FaultState};
pub use mailbox::{Mailbox, MAX_GRANTED_RECEIVERS};
pub use rights::RightsLedger;
pub(crate) use select::watch_slot;
pub use waitqueue::{Link, Links, WaitQueue};

use crate::trap::Refusal;
use crate::Kernel;
use abi::{Dest, Error, MailboxId, Pid};

/// An endpoint, resolved from a live id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A process's direct inbox: its slot and pid.
    Inbox(u32, Pid),
    /// A mailbox.
    Mailbox(MailboxId),
}

impl Target {
    pub(crate) fn dest(self) -> Dest {
        match self {
            Target::Inbox(_, p) => Dest::Process(p),
            Target::Mailbox(m) => Dest::Mailbox(m),
        }
    }

    pub(crate) fn senders(self) -> WaitQueueId {
        match self {
            Target::Inbox(_, p) => WaitQueueId::InboxSenders(p),
            Target::Mailbox(m) => WaitQueueId::MailboxSenders(m),
        }
    }

    /// Where a caller waits once its message is queued here.
    pub(crate) fn callers(self) -> WaitQueueId {
        match self {
            Target::Inbox(_, p) => WaitQueueId::Replies(p),
            Target::Mailbox(m) => WaitQueueId::MailboxCallers(m),
        }
    }
}

impl Kernel {
    pub(crate) fn endpoint(&self, t: Target) -> &Endpoint {
        match t {
            Target::Inbox(idx, _) => self.proc_ref(idx).inbox.get().unwrap_or(&endpoint::UNUSED),
            Target::Mailbox(m) => &self.mailbox(m).expect("target resolved live").endpoint,
        }
    }

    pub(crate) fn endpoint_mut(&mut self, t: Target) -> &mut Endpoint {
        match t {
            Target::Inbox(idx, _) => self.proc_mut(idx).inbox.open(),
            Target::Mailbox(m) => {
                &mut self
                    .mailboxes
                    .get_mut(m.index(), m.generation())
                    .expect("target resolved live")
                    .endpoint
            }
        }
    }

    pub(crate) fn resolve_dest(&self, dest: Dest) -> Result<Target, Refusal> {
        match dest {
            Dest::Process(p) => self
                .live_index(p)
                .map(|idx| Target::Inbox(idx, p))
                .ok_or(Error::NoSuchProcess.into()),
            Dest::Mailbox(m) => self.live_mailbox(m).map(|_| Target::Mailbox(m)),
        }
    }

    /// Whether `p` is blocked on `queue`.
    pub(crate) fn is_blocked_on(p: &crate::process::Process, queue: WaitQueueId) -> bool {
        p.blocked().is_some_and(|b| b.queue == queue)
    }
}
