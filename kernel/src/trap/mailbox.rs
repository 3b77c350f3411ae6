//! The mailbox syscalls: `create_mailbox`, `lookup_mailbox`, `delete_mailbox` and
//! `transfer_mailbox`.
//!
//! Only a mailbox's owner deletes or transfers it; creation registers its name, if it has
//! one, for `lookup_mailbox`. Deleting a mailbox (here, or by its owner's exit) is the
//! `ipc` room's teardown: what is queued is dropped with a count, and every waiter is woken.

use super::{read_str, Refusal, Served};
use crate::ipc::Mailbox;
use crate::trace::{DropReason, EventKind};
use crate::Kernel;
use abi::{Capacity, Error, MailboxId, Overflow, Pid, MAX_NAME_LEN};

impl Kernel {
    /// `create_mailbox`.
    pub(crate) fn sys_create_mailbox(
        &mut self,
        idx: u32,
        out: &[u8],
        capacity: Capacity,
        name_len: u64,
        overflow: Overflow,
    ) -> Result<Served, Refusal> {
        let name = read_str(out, 0, name_len, MAX_NAME_LEN)?;
        let name = (!name.is_empty()).then_some(name);
        if capacity == Capacity::Zero && overflow != Overflow::Block {
            // A rendezvous queues nothing, so nothing can overflow: a policy there is a
            // mistake, not a request the kernel could honour.
            return Err(Error::InvalidArgument.into());
        }
        if let Some(n) = &name {
            if self.names.contains_key(n) {
                return Err(Error::NameInUse.into());
            }
        }
        if self.mailboxes.len() >= self.config.max_mailboxes {
            return Err(Error::OutOfMemory.into());
        }
        let owner = self.pid_of(idx);
        let (i, g) = self.mailboxes.next_key();
        let id = MailboxId::new(i, g);
        let mut mailbox = Mailbox::new(id, owner, capacity, overflow, name.clone());
        mailbox.endpoint.serial = self.next_endpoint_serial();
        self.mailboxes.insert(mailbox);
        if let Some(n) = &name {
            self.names.insert(n.clone(), id);
        }
        self.own(idx, id);
        self.emit(|| EventKind::MailboxCreated {
            id,
            owner,
            capacity,
            overflow,
            name,
        });
        Ok(Served::Done([id.raw(), 0, 0]))
    }

    /// `lookup_mailbox`.
    pub(crate) fn sys_lookup_mailbox(
        &mut self,
        out: &[u8],
        name_len: u64,
    ) -> Result<Served, Refusal> {
        let name = read_str(out, 0, name_len, MAX_NAME_LEN)?;
        match self.names.get(&name) {
            Some(id) => Ok(Served::Done([id.raw(), 0, 0])),
            None => Err(Error::NoSuchMailbox.into()),
        }
    }

    /// Check that `idx` owns `id`.
    pub(crate) fn owned_mailbox(&self, idx: u32, id: MailboxId) -> Result<(), Refusal> {
        if self.live_mailbox(id)?.owner != self.pid_of(idx) {
            return Err(Error::NotOwner.into());
        }
        Ok(())
    }

    /// `delete_mailbox`.
    pub(crate) fn sys_delete_mailbox(
        &mut self,
        idx: u32,
        id: MailboxId,
    ) -> Result<Served, Refusal> {
        self.owned_mailbox(idx, id)?;
        self.destroy_mailbox(id, DropReason::MailboxDeleted);
        Ok(Served::Done([0; 3]))
    }

    /// `transfer_mailbox`.
    pub(crate) fn sys_transfer_mailbox(
        &mut self,
        idx: u32,
        id: MailboxId,
        to: Pid,
    ) -> Result<Served, Refusal> {
        self.owned_mailbox(idx, id)?;
        let new_idx = self.live_index(to).ok_or(Error::NoSuchProcess)?;
        let from = self.pid_of(idx);
        self.disown(idx, id);
        self.own(new_idx, id);
        self.live_mailbox_mut(id)?.owner = to;
        self.emit(|| EventKind::MailboxTransferred { id, from, to });
        // Its waiting senders and callers now lend to the new owner, no longer to the old.
        self.refresh_priority(idx);
        self.refresh_priority(new_idx);
        Ok(Served::Done([0; 3]))
    }
}
