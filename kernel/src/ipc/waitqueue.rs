//! Wait queues: FIFO lists of blocked processes, linked through the processes themselves.
//!
//! Invariant: a process is linked into at most one wait queue, and it is linked exactly when
//! its state is `Blocked` on that queue. Because the links live in the process control block,
//! push, pop and removal from the middle (a timeout, a kill) are O(1) and allocate nothing.
//! The queue is FIFO, so wake order is the order of arrival.

use crate::process::Process;
use crate::slab::{OptSlot, Slab};
use abi::{MailboxId, Pid};
use core::fmt;

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
            | WaitQueueId::Exit(p) => write!(f, "{p}.{}", self.name()),
        }
    }
}

/// A process's place in a wait queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Link {
    prev: OptSlot,
    next: OptSlot,
}

impl Link {
    /// Whether it has a neighbour: false for a process that is on no queue, and for the
    /// only member of a queue.
    pub fn has_neighbour(&self) -> bool {
        self.prev.is_some() || self.next.is_some()
    }
}

/// A FIFO of blocked processes, by slot index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitQueue {
    head: OptSlot,
    tail: OptSlot,
    len: u32,
}

impl WaitQueue {
    /// How many processes wait.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The longest-waiting process's slot.
    pub fn front(&self) -> Option<u32> {
        self.head.get()
    }

    /// Append the process in slot `index`, which must not be linked anywhere.
    pub fn push_back(&mut self, procs: &mut Slab<Process>, index: u32) {
        let at = OptSlot::some(index);
        if let Some(tail) = self.tail.get() {
            if let Some(p) = procs.at_mut(tail) {
                p.link.next = at;
            }
        } else {
            self.head = at;
        }
        if let Some(p) = procs.at_mut(index) {
            p.link = Link {
                prev: self.tail,
                next: OptSlot::NONE,
            };
        }
        self.tail = at;
        self.len += 1;
    }

    /// Unlink the process in slot `index`, which must be linked in this queue.
    pub fn remove(&mut self, procs: &mut Slab<Process>, index: u32) {
        let link = match procs.at_mut(index) {
            Some(p) => core::mem::take(&mut p.link),
            None => return,
        };
        match link.prev.get() {
            Some(prev) => {
                if let Some(p) = procs.at_mut(prev) {
                    p.link.next = link.next;
                }
            }
            None => self.head = link.next,
        }
        match link.next.get() {
            Some(next) => {
                if let Some(p) = procs.at_mut(next) {
                    p.link.prev = link.prev;
                }
            }
            None => self.tail = link.prev,
        }
        self.len -= 1;
    }

    /// Unlink and return the longest-waiting process's slot.
    pub fn pop_front(&mut self, procs: &mut Slab<Process>) -> Option<u32> {
        let head = self.head.get()?;
        self.remove(procs, head);
        Some(head)
    }

    /// The slots in FIFO order.
    pub fn iter<'a>(&self, procs: &'a Slab<Process>) -> impl Iterator<Item = u32> + 'a {
        let mut cursor = self.head.get();
        core::iter::from_fn(move || {
            let at = cursor?;
            cursor = procs.at(at).and_then(|p| p.link.next.get());
            Some(at)
        })
    }
}
