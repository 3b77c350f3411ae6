//! Endpoints: the message queues behind mailboxes and direct inboxes.
//!
//! An endpoint owns the messages queued at it, the two wait queues of processes that want
//! to put into it or take from it, and its own [`Ledger`]: how many messages entered the
//! kernel bound for it, were received from it, and were dropped from it, by reason. It never
//! decides what a send does (that is the trap table's `ipc` handlers); it only keeps the
//! queue and the counts consistent with each other.
//!
//! Invariants (checked after every kernel entry in test builds):
//! - `queue.len()` never exceeds the capacity, and `bytes` never exceeds the kernel's
//!   `max_mailbox_bytes`;
//! - a sender waits only while the queue is full: room is filled from the senders queue, in
//!   FIFO order, the moment it frees, so a new sender never overtakes a waiting one;
//! - a receiver waits only while nothing it accepts is queued;
//! - its ledger balances: `sent = received + queued + dropped`.

use super::waitqueue::WaitQueue;
use crate::ledger::Ledger;
use crate::trace::{DropReason, MsgId};
use abi::{Capacity, Overflow, Pid};
pub use abi::{Payload, INLINE_PAYLOAD};
use alloc::boxed::Box;
use alloc::collections::VecDeque;

/// Kernel bytes charged for each queued message on top of its payload, so that even empty
/// messages count against the memory limit.
pub const MESSAGE_OVERHEAD: usize = 32;

/// A message inside the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its serial number in this run.
    pub(crate) id: MsgId,
    /// Who sent it: stamped by the kernel, never taken from the sender's arguments.
    pub(crate) sender: Pid,
    /// The bytes the sender wrote, copied out of its IPC buffer when the kernel accepted
    /// them.
    pub(crate) bytes: Payload,
    /// The sender waits in `call` for the receiver's reply.
    pub(crate) call: bool,
    /// The right it carries (`send_right`), moved when it is received (`ipc/rights.rs`).
    pub(crate) right: Option<abi::Right>,
}

impl Message {
    /// What the message costs against the kernel memory limit while queued.
    pub fn cost(&self) -> usize {
        self.bytes.len() + MESSAGE_OVERHEAD
    }
}

/// A message queue with its waiting senders and receiver.
#[derive(Debug, Default)]
pub struct Endpoint {
    /// How many messages it holds before senders wait.
    pub(crate) capacity: Capacity,
    /// What a send does when the queue is full (always `Block` for a process's inbox).
    pub(crate) overflow: Overflow,
    /// Messages in arrival order.
    pub(crate) queue: VecDeque<Message>,
    /// Senders waiting for room (or, at capacity zero, for a receiver).
    pub(crate) senders: WaitQueue,
    /// The receiver waiting for a message.
    pub(crate) receiver: WaitQueue,
    /// Processes waiting in `select` with this endpoint in their set, by watch slot
    /// (`process slot * MAX_SELECT + position in its set`), linked through the kernel's
    /// `watch_links`: a message finds the longest-waiting one in O(1).
    pub(crate) watchers: WaitQueue,
    /// Bytes charged against the memory limit by the queued messages.
    pub(crate) bytes: usize,
    /// Where the messages bound here went, updated in O(1) as each message moves.
    pub(crate) ledger: Ledger,
    /// When it was created, in the kernel's count of endpoints (mailboxes and inboxes
    /// together): orders the per-endpoint ledgers of a run.
    pub(crate) serial: u64,
}

/// The endpoint of an inbox never used: empty, at capacity zero (a reader of an unused inbox
/// sees this; every path that uses an inbox opens it first, [`Inbox::open`]).
pub(crate) static UNUSED: Endpoint = Endpoint {
    capacity: Capacity::Zero,
    overflow: Overflow::Block,
    queue: VecDeque::new(),
    senders: WaitQueue::EMPTY,
    receiver: WaitQueue::EMPTY,
    watchers: WaitQueue::EMPTY,
    bytes: 0,
    ledger: Ledger::EMPTY,
    serial: 0,
};

impl Endpoint {
    /// An empty endpoint of this capacity that makes senders wait when full.
    pub fn new(capacity: Capacity) -> Self {
        Endpoint {
            capacity,
            ..Endpoint::default()
        }
    }

    /// Whether one more message would exceed the capacity.
    pub fn is_full(&self) -> bool {
        self.capacity.is_full(self.queue.len())
    }

    /// Queue a message (the caller has checked room and memory).
    pub fn push(&mut self, msg: Message) {
        self.bytes += msg.cost();
        self.queue.push_back(msg);
    }

    /// Take the message at `position`.
    pub fn take(&mut self, position: usize) -> Option<Message> {
        let msg = self.queue.remove(position)?;
        self.bytes -= msg.cost();
        Some(msg)
    }

    /// The position of the oldest message, from `sender` if given.
    pub fn find(&self, sender: Option<Pid>) -> Option<usize> {
        match sender {
            None => (!self.queue.is_empty()).then_some(0),
            Some(s) => self.queue.iter().position(|m| m.sender == s),
        }
    }

    /// Drop every queued message, counting them for `reason`; how many there were and the
    /// bytes they held.
    pub fn drain(&mut self, reason: DropReason) -> (usize, usize) {
        let n = self.queue.len();
        let bytes = self.bytes;
        self.queue.clear();
        self.bytes = 0;
        self.ledger.dropped.add(reason, n as u64);
        (n, bytes)
    }

    /// Whether the ledger balances: every message sent here was received, is queued, or was
    /// dropped.
    pub fn balances(&self) -> bool {
        self.ledger.balances(self.queue.len() as u64)
    }
}

/// A process's direct inbox: what others `send` to its pid.
///
/// Most processes are never sent to directly and never wait in `receive(any)`, so the
/// endpoint behind an inbox is allocated the first time the inbox is used (a send to the
/// process, or its own receive from the inbox): until then the inbox is its capacity and its
/// serial, a few words in the control block.
#[derive(Debug)]
pub struct Inbox {
    capacity: Capacity,
    serial: u64,
    endpoint: Option<Box<Endpoint>>,
}

impl Inbox {
    /// An inbox of this capacity, created as the `serial`-th endpoint, not used yet.
    pub fn new(capacity: Capacity, serial: u64) -> Self {
        Inbox {
            capacity,
            serial,
            endpoint: None,
        }
    }

    /// Its capacity.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// When it was created, in the kernel's count of endpoints.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Its endpoint, if it was ever used.
    #[inline]
    pub fn get(&self) -> Option<&Endpoint> {
        self.endpoint.as_deref()
    }

    /// Its endpoint, if it was ever used.
    #[inline]
    pub fn get_mut(&mut self) -> Option<&mut Endpoint> {
        self.endpoint.as_deref_mut()
    }

    /// Its endpoint, made on first use.
    #[inline]
    pub fn open(&mut self) -> &mut Endpoint {
        let (capacity, serial) = (self.capacity, self.serial);
        self.endpoint.get_or_insert_with(|| {
            Box::new(Endpoint {
                serial,
                ..Endpoint::new(capacity)
            })
        })
    }

    /// Let its endpoint go (the process exited and everyone waiting on it was woken),
    /// leaving the inbox unused.
    pub fn release(&mut self) {
        self.endpoint = None;
    }
}
