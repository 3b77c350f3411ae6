//! Rights carried in messages, and send rights.
//!
//! A `send_right` message carries one right: a mailbox's receive right (its ownership) or a
//! send right on it. The right is checked twice. At the send, the sender must hold it (own
//! the mailbox; hold a send right). Then it stays the sender's while the message travels —
//! in the sender's control block (`Process::carrying`) while the sender is blocked with the
//! message, in the queued `Message` after — and it moves exactly when the message is
//! received: to the receiver, if the sender still holds it then (else it is *voided*: the
//! message arrives without it). A message that is dropped (its mailbox deleted, its
//! receiver gone, an overflow policy, a fault) *returns* its right: nothing moved, the
//! sender keeps what it held. So a right is never in two places and never lost, and
//! [`RightsLedger`] balances: `carried = transferred + voided + returned + queued`.
//!
//! Send rights: a mailbox's creator holds one; its owner may always send; `grant_send`
//! gives one (by a holder), a message moves one (the owner's own cannot be given away: a
//! message carrying it gives the receiver a new one). They are enforced only in capability
//! mode (the kernel setting `capabilities`), where a send to a mailbox needs one.

use super::MAX_GRANTED_RECEIVERS;
use crate::trace::{EventKind, MsgId};
use crate::Kernel;
use abi::{MailboxId, Pid, RecvFlags, Right, RIGHT_TRAILER_LEN};

/// Where the rights carried in messages went, counted as they move (O(1) each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RightsLedger {
    /// Messages that entered the kernel carrying a right.
    pub carried: u64,
    /// Rights moved to their message's receiver.
    pub transferred: u64,
    /// Rights whose sender no longer held them when the message was received.
    pub voided: u64,
    /// Rights of messages dropped before anyone received them: their senders kept them.
    pub returned: u64,
}

impl RightsLedger {
    /// Whether every carried right is accounted for, `queued` being the rights in messages
    /// still queued.
    pub fn balances(&self, queued: u64) -> bool {
        self.carried == self.transferred + self.voided + self.returned + queued
    }
}

impl Kernel {
    /// Whether `pid` may send to mailbox `id` in capability mode: its owner, or a holder of
    /// a send right.
    pub(crate) fn holds_send(&self, id: MailboxId, pid: Pid) -> bool {
        self.mailbox(id)
            .is_some_and(|mb| mb.owner == Some(pid) || mb.send_rights.contains(&pid))
    }

    /// Whether `pid` holds `right` now.
    pub(crate) fn holds(&self, right: Right, pid: Pid) -> bool {
        match right {
            Right::Receive(m) => self.mailbox(m).is_some_and(|mb| mb.owner == Some(pid)),
            Right::Send(m) => self.holds_send(m, pid),
        }
    }

    /// Give `to` a send right on `id`, if it has none; false when the mailbox is gone or
    /// holds `MAX_GRANTED_RECEIVERS` live rights already.
    pub(crate) fn add_send_right(&mut self, id: MailboxId, to: Pid) -> bool {
        if self.holds_send(id, to) {
            return true;
        }
        let live: alloc::vec::Vec<Pid> = match self.mailbox(id) {
            Some(mb) => mb
                .send_rights
                .iter()
                .copied()
                .filter(|p| self.live_index(*p).is_some())
                .collect(),
            None => return false,
        };
        let Ok(mb) = self.live_mailbox_mut(id) else {
            return false;
        };
        mb.send_rights = live;
        if mb.send_rights.len() >= MAX_GRANTED_RECEIVERS {
            return false;
        }
        mb.send_rights.push(to);
        true
    }

    /// A message from `from` carrying `right` reaches the receiver in slot `ridx`: move the
    /// right if `from` still holds it, and say so; the receive's values gain the right's
    /// flag, and the receiver's IPC buffer the mailbox's id after the message.
    pub(crate) fn carry_right(
        &mut self,
        msg: MsgId,
        right: Option<Right>,
        from: Pid,
        ridx: u32,
        ret: [u64; 3],
    ) -> [u64; 3] {
        let Some(right) = right else {
            return ret;
        };
        let to = self.pid_of(ridx);
        let moved = self.holds(right, from)
            && match right {
                Right::Receive(m) => {
                    self.move_ownership(m, from, to);
                    true
                }
                Right::Send(m) => {
                    let ok = self.add_send_right(m, to);
                    if ok && to != from {
                        if let Ok(mb) = self.live_mailbox_mut(m) {
                            mb.send_rights.retain(|p| *p != from);
                        }
                    }
                    ok
                }
            };
        if !moved {
            self.rights.voided += 1;
            self.emit(|| EventKind::RightVoided { msg, right, from });
            return ret;
        }
        self.rights.transferred += 1;
        self.emit(|| EventKind::RightTransferred {
            msg,
            right,
            from,
            to,
        });
        let p = self.proc_mut(ridx);
        let mut bytes = core::mem::take(&mut p.ipc).into_vec();
        bytes.extend_from_slice(&right.mailbox().raw().to_le_bytes());
        debug_assert_eq!(RIGHT_TRAILER_LEN, 8);
        p.ipc = abi::Payload::from_slice(&bytes);
        let flag = match right {
            Right::Receive(_) => RecvFlags::RIGHT_RECEIVE,
            Right::Send(_) => RecvFlags::RIGHT_SEND,
        };
        [ret[0], ret[1], ret[2] | flag.bits()]
    }

    /// Ownership of `id` moves from `from` to `to`, as `transfer_mailbox` moves it.
    fn move_ownership(&mut self, id: MailboxId, from: Pid, to: Pid) {
        if let Some(fidx) = self.live_index(from) {
            self.disown(fidx, id);
        }
        let Some(tidx) = self.live_index(to) else {
            return;
        };
        self.own(tidx, id);
        if let Ok(mb) = self.live_mailbox_mut(id) {
            mb.owner = Some(to);
            mb.granted.retain(|p| *p != to);
        }
        if let Some(fidx) = self.live_index(from) {
            self.refresh_priority(fidx);
        }
        self.refresh_priority(tidx);
        // The old owner may have been waiting to receive from it.
        self.lost_receive_right(id, from, to);
    }

    /// `count` messages carrying rights were dropped: their senders keep the rights.
    pub(crate) fn rights_returned(&mut self, count: u64) {
        self.rights.returned += count;
    }
}
