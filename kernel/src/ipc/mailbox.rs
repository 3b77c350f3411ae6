//! Mailboxes: endpoints with an owner and an optional name (indirect naming), shared by the
//! receivers the owner grants, owned by their owner or by the system.
//!
//! Invariants: the owner, if any, is a live process and lists the mailbox among those it
//! owns, at `owner_slot`; only a `system` mailbox can be without an owner; only the owner
//! (or, without one, its receivers) deletes, transfers, grants or revokes; only the owner
//! and its granted receivers receive, and only a shared mailbox has granted receivers; a
//! `one_at_a_time` mailbox has at most one receiver waiting; a name maps to exactly one
//! live mailbox.

use super::endpoint::Endpoint;
use super::waitqueue::WaitQueue;
use crate::trace::{DropReason, EventKind, WaitQueueId, WakeReason};
use crate::Kernel;
use abi::{Capacity, Dest, Error, Lifetime, MailboxId, Overflow, Pid, Receivers};
use alloc::string::String;
use alloc::vec::Vec;

/// The most processes a mailbox's owner may grant the receive privilege to at once (a
/// grant beyond it is `out_of_memory`; grants to processes that have exited do not count).
pub const MAX_GRANTED_RECEIVERS: usize = 64;

/// A mailbox (a port many processes may send to).
#[derive(Debug)]
pub struct Mailbox {
    /// Its id.
    pub(crate) id: MailboxId,
    /// The process that owns it: it may receive, delete, transfer, grant and revoke. `None`
    /// only for a `system` mailbox whose owner exited with no receiver to inherit it.
    pub(crate) owner: Option<Pid>,
    /// Who may receive and which waiting receiver a message goes to.
    pub(crate) receivers: Receivers,
    /// Whether it dies with its owner.
    pub(crate) lifetime: Lifetime,
    /// The processes granted the receive privilege besides the owner, in grant order (which
    /// is the round-robin order). Entries of processes that exited are skipped where read
    /// and pruned on the next grant.
    pub(crate) granted: Vec<Pid>,
    /// The receiver the last message taken from it went to, where `round_robin` resumes.
    pub(crate) last_served: Option<Pid>,
    /// Its registered name.
    pub(crate) name: Option<String>,
    /// Its queue and waiters.
    pub(crate) endpoint: Endpoint,
    /// Callers whose message is queued here, waiting for it to be received.
    pub(crate) callers: WaitQueue,
    /// Where this mailbox sits in its owner's list of owned mailboxes, so that a transfer
    /// or a delete unlists it in O(1).
    pub(crate) owner_slot: usize,
    /// The processes holding a send right on it besides its owner (the creator, grantees,
    /// receivers of carried send rights), in order; entries of processes that exited are
    /// pruned on the next grant (`ipc/rights.rs`).
    pub(crate) send_rights: Vec<Pid>,
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
            owner: Some(owner),
            receivers: Receivers::OwnerOnly,
            lifetime: Lifetime::Owner,
            granted: Vec::new(),
            last_served: None,
            send_rights: alloc::vec![owner],
            name,
            endpoint: Endpoint {
                overflow,
                ..Endpoint::new(capacity)
            },
            callers: WaitQueue::default(),
            owner_slot: 0,
        }
    }

    /// Whether `pid` may receive from it: its owner, or a receiver it granted.
    pub fn may_receive(&self, pid: Pid) -> bool {
        self.owner == Some(pid) || (self.receivers.is_shared() && self.granted.contains(&pid))
    }
}

impl Kernel {
    /// Whether the process in slot `idx` may act as `mb`'s owner (delete, transfer, grant,
    /// revoke): its owner; or, for a mailbox the system owns, any live granted receiver, or
    /// any process at all when no live receiver is left.
    pub(crate) fn manages(&self, idx: u32, mb: &Mailbox) -> bool {
        let me = self.pid_of(idx);
        match mb.owner {
            Some(o) => o == me,
            None => {
                let mut live = mb.granted.iter().filter(|p| self.live_index(**p).is_some());
                mb.granted.contains(&me) || live.next().is_none()
            }
        }
    }

    /// The live receivers granted on `id` besides its owner, in grant order.
    pub(crate) fn live_granted(&self, id: MailboxId) -> Vec<Pid> {
        self.mailbox(id).map_or_else(Vec::new, |mb| {
            mb.granted
                .iter()
                .copied()
                .filter(|p| self.live_index(*p).is_some())
                .collect()
        })
    }

    /// The receiver a message arriving at shared mailbox `id` goes to, among those waiting:
    /// the longest waiting one, or under `round_robin` the first waiting one after the last
    /// served in member order (owner first, then grant order). O(members).
    pub(crate) fn select_receiver(&self, id: MailboxId) -> Option<u32> {
        let mb = self.mailbox(id)?;
        let front = mb.endpoint.receiver.front()?;
        if mb.receivers != Receivers::RoundRobin {
            return Some(front);
        }
        let members: Vec<Pid> = mb
            .owner
            .into_iter()
            .chain(mb.granted.iter().copied())
            .collect();
        let start = mb
            .last_served
            .and_then(|l| members.iter().position(|p| *p == l))
            .map_or(0, |i| i + 1);
        let queue = WaitQueueId::MailboxReceiver(id);
        (0..members.len())
            .map(|k| members[(start + k) % members.len()])
            .filter_map(|p| self.live_index(p))
            .find(|&i| Kernel::is_blocked_on(self.proc_ref(i), queue))
            .or(Some(front))
    }

    /// The owner of a `system` mailbox exited (its list of owned mailboxes already taken):
    /// ownership passes to the first live granted receiver, or to nobody. Queued messages,
    /// waiters and grants stay.
    pub(crate) fn orphan_mailbox(&mut self, id: MailboxId, from: Pid) {
        let heir = self.live_granted(id).into_iter().find(|p| *p != from);
        let Ok(mb) = self.live_mailbox_mut(id) else {
            return;
        };
        mb.owner = heir;
        match heir {
            Some(to) => {
                mb.granted.retain(|p| *p != to);
                if let Some(hidx) = self.live_index(to) {
                    self.own(hidx, id);
                    self.refresh_priority(hidx);
                }
                self.emit(|| EventKind::MailboxTransferred { id, from, to });
            }
            None => self.emit(|| EventKind::MailboxOrphaned { id, from }),
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

    /// Delete a mailbox, `by` its owner (or, for one the system owns, the process that
    /// deleted it): drop what is queued (counted, with a reason), wake everyone who waits on
    /// it (its senders, every receiver, its callers) with `MailboxDeleted`, and free the id.
    pub(crate) fn destroy_mailbox(&mut self, id: MailboxId, reason: DropReason, by: Pid) {
        let Some(owner) = self.mailbox(id).map(|mb| mb.owner) else {
            return;
        };
        if let Some(oidx) = owner.and_then(|o| self.live_index(o)) {
            self.disown(oidx, id);
        }
        let Some(mut mb) = self.mailboxes.remove(id.index(), id.generation()) else {
            return;
        };
        if let Some(n) = &mb.name {
            self.names.remove(n);
        }
        let rights = mb
            .endpoint
            .queue
            .iter()
            .filter(|m| m.right.is_some())
            .count();
        self.rights_returned(rights as u64);
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
        // Its watchers (processes in `select`): each leaves its select, unlinking its other
        // watch slots; this one goes with the mailbox.
        let mut watchers = mb.endpoint.watchers;
        while let Some(slot) = watchers.pop_front(&mut self.watch_links) {
            let widx = slot / abi::MAX_SELECT as u32;
            self.wake(
                widx,
                Some(by),
                WakeReason::MailboxDeleted,
                Err(Error::MailboxDeleted.into()),
            );
            woken += 1;
        }
        for mut q in [mb.endpoint.senders, mb.endpoint.receiver, mb.callers] {
            while let Some(widx) = q.pop_front(&mut self.links) {
                self.abandon_if_sending(widx, Error::MailboxDeleted);
                self.make_ready(
                    widx,
                    Some(by),
                    WakeReason::MailboxDeleted,
                    Err(Error::MailboxDeleted.into()),
                );
                woken += 1;
            }
        }
        self.emit(|| EventKind::MailboxDeleted {
            id,
            by,
            dropped,
            woken,
        });
        if woken > 0 {
            if let Some(oidx) = owner.and_then(|o| self.live_index(o)) {
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
        let rights = inbox.queue.iter().filter(|m| m.right.is_some()).count() as u64;
        let (dropped, bytes) = inbox.drain(DropReason::ReceiverExited);
        self.rights_returned(rights);
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
