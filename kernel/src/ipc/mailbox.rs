//! Mailboxes: endpoints with an owner and an optional name (indirect naming).
//!
//! Invariants: the owner is a live process and lists the mailbox among those it owns, at
//! `owner_slot`; only
//! the owner receives from, deletes or transfers it; a name maps to exactly one live mailbox.

use super::endpoint::Endpoint;
use super::waitqueue::WaitQueue;
use crate::trace::{DropReason, EventKind, WakeReason};
use crate::Kernel;
use abi::{Capacity, Dest, Error, MailboxId, Overflow, Pid};
use alloc::string::String;

/// A mailbox (a port many processes may send to).
#[derive(Debug)]
pub struct Mailbox {
    /// Its id.
    pub(crate) id: MailboxId,
    /// The one process that may receive from it.
    pub(crate) owner: Pid,
    /// Its registered name.
    pub(crate) name: Option<String>,
    /// Its queue and waiters.
    pub(crate) endpoint: Endpoint,
    /// Callers whose message is queued here, waiting for it to be received.
    pub(crate) callers: WaitQueue,
    /// Where this mailbox sits in its owner's list of owned mailboxes, so that a transfer
    /// or a delete unlists it in O(1).
    pub(crate) owner_slot: usize,
}

impl Mailbox {
    /// A new, empty mailbox.
    pub fn new(
        id: MailboxId,
        owner: Pid,
        capacity: Capacity,
        overflow: Overflow,
        name: Option<String>,
    ) -> Self {
        Mailbox {
            id,
            owner,
            name,
            endpoint: Endpoint {
                overflow,
                ..Endpoint::new(capacity)
            },
            callers: WaitQueue::default(),
            owner_slot: 0,
        }
    }
}

impl Kernel {
    /// List `id` among the mailboxes the process in slot `idx` owns.
    pub(crate) fn own(&mut self, idx: u32, id: MailboxId) {
        let owned = &mut self.proc_mut(idx).owned;
        owned.push(id);
        let slot = owned.len() - 1;
        if let Ok(mb) = self.live_mailbox_mut(id) {
            mb.owner_slot = slot;
        }
    }

    /// Take `id` off the list of mailboxes the process in slot `idx` owns, in O(1): the last
    /// entry moves into its place.
    pub(crate) fn disown(&mut self, idx: u32, id: MailboxId) {
        let slot = match self.mailbox(id) {
            Some(mb) => mb.owner_slot,
            None => return,
        };
        let owned = &mut self.proc_mut(idx).owned;
        if owned.get(slot) != Some(&id) {
            return;
        }
        owned.swap_remove(slot);
        if let Some(&moved) = owned.get(slot) {
            if let Ok(mb) = self.live_mailbox_mut(moved) {
                mb.owner_slot = slot;
            }
        }
    }

    /// Delete a mailbox: drop what is queued (counted, with a reason), wake everyone who
    /// waits on it with `MailboxDeleted`, and free the id.
    pub(crate) fn destroy_mailbox(&mut self, id: MailboxId, reason: DropReason) {
        let Some(owner) = self.mailbox(id).map(|mb| mb.owner) else {
            return;
        };
        if let Some(oidx) = self.live_index(owner) {
            self.disown(oidx, id);
        }
        let Some(mut mb) = self.mailboxes.remove(id.index(), id.generation()) else {
            return;
        };
        if let Some(n) = &mb.name {
            self.names.remove(n);
        }
        let (dropped, bytes) = mb.endpoint.drain(reason);
        self.queued_bytes -= bytes;
        self.ledger.dropped.add(reason, dropped as u64);
        if dropped > 0 {
            self.emit(|| EventKind::MessagesDropped {
                via: Dest::Mailbox(id),
                count: dropped,
                reason,
            });
        }
        self.close_endpoint(Dest::Mailbox(id), mb.name.as_deref(), &mb.endpoint);
        // The mailbox is gone from the table, so its queues are emptied here, from the copy.
        let mut woken = 0;
        for mut q in [mb.endpoint.senders, mb.endpoint.receiver, mb.callers] {
            while let Some(widx) = q.pop_front(&mut self.links) {
                self.abandon_if_sending(widx, Error::MailboxDeleted);
                self.make_ready(
                    widx,
                    Some(owner),
                    WakeReason::MailboxDeleted,
                    Err(Error::MailboxDeleted.into()),
                );
                woken += 1;
            }
        }
        self.emit(|| EventKind::MailboxDeleted {
            id,
            by: owner,
            dropped,
            woken,
        });
        if woken > 0 {
            if let Some(oidx) = self.live_index(owner) {
                self.refresh_priority(oidx);
            }
        }
    }

    /// Drop what is queued in a process's inbox (it exited), and close the inbox's ledger:
    /// nothing can be sent to a process that is not live, so its record is final. The
    /// zombie keeps an empty ledger, so the record is not counted twice.
    pub(crate) fn drop_inbox(&mut self, idx: u32) {
        let pid = self.pid_of(idx);
        let Some(inbox) = self.proc_mut(idx).inbox.get_mut() else {
            // Never used: nothing was sent to it, so it has no ledger to keep.
            return;
        };
        let (dropped, bytes) = inbox.drain(DropReason::ReceiverExited);
        self.queued_bytes -= bytes;
        self.ledger
            .dropped
            .add(DropReason::ReceiverExited, dropped as u64);
        if dropped > 0 {
            self.emit(|| EventKind::MessagesDropped {
                via: Dest::Process(pid),
                count: dropped,
                reason: DropReason::ReceiverExited,
            });
        }
        let p = self.proc_mut(idx);
        let name = p.name.clone();
        let Some(inbox) = p.inbox.get_mut() else {
            return;
        };
        // Its record is final; the zombie keeps an empty ledger, so it is not counted twice.
        let closed = Endpoint {
            ledger: core::mem::take(&mut inbox.ledger),
            serial: inbox.serial,
            ..Endpoint::default()
        };
        self.close_endpoint(Dest::Process(pid), Some(&name), &closed);
    }
}
