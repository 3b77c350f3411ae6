//! The mailbox syscalls: `create_mailbox`, `lookup_mailbox`, `delete_mailbox`,
//! `transfer_mailbox`, `grant_receive` and `revoke_receive`.
//!
//! Only a mailbox's owner deletes, transfers, grants or revokes (a mailbox the system owns
//! and nobody owns now: its receivers, or anyone when it has none); creation registers its
//! name, if it has one, for `lookup_mailbox`. Deleting a mailbox (here, or by its owner's exit) is the
//! `ipc` room's teardown: what is queued is dropped with a count, and every waiter is woken.

use super::{read_str, Refusal, Served};
use crate::ipc::{Mailbox, MAX_GRANTED_RECEIVERS};
use crate::trace::{DropReason, EventKind, WaitQueueId, WakeReason};
use crate::Kernel;
use abi::{Capacity, Error, Lifetime, MailboxId, Overflow, Pid, Receivers, MAX_NAME_LEN};

impl Kernel {
    /// `create_mailbox`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sys_create_mailbox(
        &mut self,
        idx: u32,
        out: &[u8],
        capacity: Capacity,
        name_len: u64,
        overflow: Overflow,
        receivers: Receivers,
        lifetime: Lifetime,
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
        mailbox.receivers = receivers;
        mailbox.lifetime = lifetime;
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
            receivers,
            lifetime,
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

    /// Check that `idx` may act as `id`'s owner ([`Kernel::manages`]).
    pub(crate) fn owned_mailbox(&self, idx: u32, id: MailboxId) -> Result<(), Refusal> {
        if !self.manages(idx, self.live_mailbox(id)?) {
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
        let by = self.pid_of(idx);
        self.destroy_mailbox(id, DropReason::MailboxDeleted, by);
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
        let old = self.live_mailbox(id)?.owner;
        let from = old.unwrap_or(self.pid_of(idx));
        if old.is_some() {
            self.disown(idx, id);
        }
        self.own(new_idx, id);
        let mb = self.live_mailbox_mut(id)?;
        mb.owner = Some(to);
        // The owner receives by right: it no longer needs a grant.
        mb.granted.retain(|p| *p != to);
        self.emit(|| EventKind::MailboxTransferred { id, from, to });
        // Its waiting senders and callers now lend to the new owner, no longer to the old.
        self.refresh_priority(idx);
        self.refresh_priority(new_idx);
        Ok(Served::Done([0; 3]))
    }

    /// `grant_receive`.
    pub(crate) fn sys_grant_receive(
        &mut self,
        idx: u32,
        id: MailboxId,
        to: Pid,
    ) -> Result<Served, Refusal> {
        self.owned_mailbox(idx, id)?;
        if !self.live_mailbox(id)?.receivers.is_shared() {
            // `owner_only` is a promise to senders that only the owner reads.
            return Err(Error::InvalidArgument.into());
        }
        self.live_index(to).ok_or(Error::NoSuchProcess)?;
        if self.live_mailbox(id)?.may_receive(to) {
            return Ok(Served::Done([0; 3]));
        }
        let live = self.live_granted(id);
        let mb = self.live_mailbox_mut(id)?;
        mb.granted = live;
        if mb.granted.len() >= MAX_GRANTED_RECEIVERS {
            return Err(Error::OutOfMemory.into());
        }
        mb.granted.push(to);
        let by = self.pid_of(idx);
        self.emit(|| EventKind::ReceiveGranted { id, by, to });
        self.receivers_changed(id, idx);
        Ok(Served::Done([0; 3]))
    }

    /// `revoke_receive`.
    pub(crate) fn sys_revoke_receive(
        &mut self,
        idx: u32,
        id: MailboxId,
        from: Pid,
    ) -> Result<Served, Refusal> {
        self.owned_mailbox(idx, id)?;
        let mb = self.live_mailbox_mut(id)?;
        let Some(at) = mb.granted.iter().position(|p| *p == from) else {
            // Nothing to take back (never granted, or the owner, which receives by right).
            return Ok(Served::Done([0; 3]));
        };
        mb.granted.remove(at);
        if mb.last_served == Some(from) {
            // Round robin resumes after the member before it, as if it had never been there.
            mb.last_served = at.checked_sub(1).map(|i| mb.granted[i]).or(mb.owner);
        }
        let by = self.pid_of(idx);
        self.emit(|| EventKind::ReceiveRevoked { id, by, from });
        self.lost_receive_right(id, from, by);
        self.receivers_changed(id, idx);
        Ok(Served::Done([0; 3]))
    }

    /// `pid` may no longer receive from `id` (a revoke, or its ownership moved away in a
    /// message): a receive or a select over it that it is waiting in can no longer complete,
    /// and ends with `not_owner`.
    pub(crate) fn lost_receive_right(&mut self, id: MailboxId, pid: Pid, by: Pid) {
        if self.mailbox(id).is_some_and(|mb| mb.may_receive(pid)) {
            return;
        }
        let Some(widx) = self.live_index(pid) else {
            return;
        };
        let p = self.proc_ref(widx);
        let selecting = Kernel::is_blocked_on(p, WaitQueueId::Select(pid))
            && p.select_set.contains(&abi::Source::Mailbox(id));
        if selecting || Kernel::is_blocked_on(p, WaitQueueId::MailboxReceiver(id)) {
            self.wake(
                widx,
                Some(by),
                WakeReason::Revoked,
                Err(Error::NotOwner.into()),
            );
        }
    }

    /// `grant_send`.
    pub(crate) fn sys_grant_send(
        &mut self,
        idx: u32,
        id: MailboxId,
        to: Pid,
    ) -> Result<Served, Refusal> {
        let by = self.pid_of(idx);
        self.live_mailbox(id)?;
        if !self.holds_send(id, by) {
            return Err(Error::NoSendRight.into());
        }
        self.live_index(to).ok_or(Error::NoSuchProcess)?;
        if self.holds_send(id, to) {
            return Ok(Served::Done([0; 3]));
        }
        if !self.add_send_right(id, to) {
            return Err(Error::OutOfMemory.into());
        }
        self.emit(|| EventKind::SendGranted { id, by, to });
        Ok(Served::Done([0; 3]))
    }

    /// Who can release `id`'s waiting senders and callers changed (a grant or a revoke):
    /// the wait-for graph's holder of its queues may have changed, so priorities lent along
    /// it are worked out again.
    fn receivers_changed(&mut self, id: MailboxId, idx: u32) {
        self.refresh_priority(idx);
        if let Some(oidx) = self
            .mailbox(id)
            .and_then(|mb| mb.owner)
            .and_then(|o| self.live_index(o))
        {
            self.refresh_priority(oidx);
        }
        self.lenders_changed(WaitQueueId::MailboxSenders(id));
        self.lenders_changed(WaitQueueId::MailboxCallers(id));
    }
}
