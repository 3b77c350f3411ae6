//! Wait queues: FIFO lists of blocked processes, linked through the processes themselves.
//!
//! Invariant: a process is linked into at most one wait queue, and it is linked exactly when
//! its state is `Blocked` on that queue. Each process has one [`Link`], kept by process slot
//! in the kernel's [`Links`] beside the process table, so push, pop and removal from the
//! middle (a timeout, a kill) are O(1), allocate nothing, and work on a queue wherever it
//! lives (in a mailbox, or in another process's control block) without touching the table.
//! The queue is FIFO, so wake order is the order of arrival.

use crate::slab::OptSlot;
use alloc::vec::Vec;

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

/// Every process's [`Link`], by process slot: where the wait queues' chains run.
#[derive(Clone, Debug, Default)]
pub struct Links(Vec<Link>);

impl Links {
    /// Make room for the process in slot `index` (a new slot starts unlinked).
    pub fn ensure(&mut self, index: u32) {
        let need = index as usize + 1;
        if self.0.len() < need {
            self.0.resize(need, Link::default());
        }
    }

    /// The link of the process in slot `index`.
    #[inline]
    pub fn of(&self, index: u32) -> Link {
        self.0.get(index as usize).copied().unwrap_or_default()
    }

    #[inline]
    fn at(&mut self, index: u32) -> Option<&mut Link> {
        self.0.get_mut(index as usize)
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
    /// A queue nobody waits in.
    pub const EMPTY: WaitQueue = WaitQueue {
        head: OptSlot::NONE,
        tail: OptSlot::NONE,
        len: 0,
    };

    /// How many processes wait.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether nobody waits.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The longest-waiting process's slot.
    #[inline]
    pub fn front(&self) -> Option<u32> {
        self.head.get()
    }

    /// Append the process in slot `index`, which must not be linked anywhere.
    #[inline]
    pub fn push_back(&mut self, links: &mut Links, index: u32) {
        let at = OptSlot::some(index);
        match self.tail.get().and_then(|tail| links.at(tail)) {
            Some(tail) => tail.next = at,
            None => self.head = at,
        }
        if let Some(link) = links.at(index) {
            *link = Link {
                prev: self.tail,
                next: OptSlot::NONE,
            };
        }
        self.tail = at;
        self.len += 1;
    }

    /// Unlink the process in slot `index`, which must be linked in this queue.
    #[inline]
    pub fn remove(&mut self, links: &mut Links, index: u32) {
        let link = match links.at(index) {
            Some(link) => core::mem::take(link),
            None => return,
        };
        match link.prev.get().and_then(|prev| links.at(prev)) {
            Some(prev) => prev.next = link.next,
            None => self.head = link.next,
        }
        match link.next.get().and_then(|next| links.at(next)) {
            Some(next) => next.prev = link.prev,
            None => self.tail = link.prev,
        }
        self.len -= 1;
    }

    /// Unlink and return the longest-waiting process.
    #[inline]
    pub fn pop_front(&mut self, links: &mut Links) -> Option<u32> {
        let head = self.head.get()?;
        self.remove(links, head);
        Some(head)
    }

    /// The waiting processes' slots, longest-waiting first.
    pub fn iter<'a>(&self, links: &'a Links) -> impl Iterator<Item = u32> + 'a {
        let mut cursor = self.head.get();
        core::iter::from_fn(move || {
            let at = cursor?;
            cursor = links.of(at).next.get();
            Some(at)
        })
    }
}
