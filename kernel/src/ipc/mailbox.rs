//! Mailboxes: endpoints with an owner and an optional name (indirect naming).
//!
//! Invariants: the owner is a live process and lists the mailbox among those it owns, at
//! `owner_slot`; only
//! the owner receives from, deletes or transfers it; a name maps to exactly one live mailbox.

use super::endpoint::Endpoint;
use super::waitqueue::WaitQueue;
use abi::{Capacity, MailboxId, Overflow, Pid};
use alloc::string::String;

/// A mailbox (a port many processes may send to).
#[derive(Debug)]
pub struct Mailbox {
    /// Its id.
    pub id: MailboxId,
    /// The one process that may receive from it.
    pub owner: Pid,
    /// Its registered name.
    pub name: Option<String>,
    /// Its queue and waiters.
    pub endpoint: Endpoint,
    /// Callers whose message is queued here, waiting for it to be received.
    pub callers: WaitQueue,
    /// Where this mailbox sits in its owner's list of owned mailboxes, so that a transfer
    /// or a delete unlists it in O(1).
    pub owner_slot: usize,
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
