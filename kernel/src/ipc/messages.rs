//! The paths a message takes through the kernel: handed straight to a waiting receiver,
//! queued at its endpoint, taken from the queue or from a blocked sender, refilled from the
//! senders waiting for room, or dropped by an overflow policy.
//!
//! A message is always in exactly one place: in its sender's IPC buffer while the sender is
//! blocked with it, in one endpoint's queue, or in its receiver's buffer once taken. Every
//! message that enters the kernel is counted where it goes, in the kernel's total ledger and
//! in its endpoint's: sent when it enters, received when a receiver takes it, dropped (with a
//! reason) when it is discarded. This module moves messages; it never decides whether a
//! syscall blocks (the handlers in `trap/ipc.rs` do) and never schedules.

use super::endpoint::{Message, MESSAGE_OVERHEAD};
use super::{Fate, Target};
use crate::process::BlockedOp;
use crate::trace::{DropReason, EventKind, MsgId, WaitQueueId, WakeReason};
use crate::trap::Served;
use crate::Kernel;
use abi::{Dest, Error, Payload, Pid, RecvFlags, Source};

impl Kernel {
    /// `bytes` as a new message from the process in slot `idx` bound for `target`: from
    /// here on the ledgers count it.
    pub(crate) fn new_message(
        &mut self,
        idx: u32,
        bytes: Payload,
        call: bool,
        target: Target,
    ) -> Message {
        self.next_msg += 1;
        self.ledger.sent += 1;
        self.endpoint_mut(target).ledger.sent += 1;
        let id = self.next_msg;
        let p = self.proc_mut(idx);
        p.stats.sent += 1;
        // The right the sender carries goes with the message.
        let right = p.carrying.take();
        if right.is_some() {
            self.rights.carried += 1;
        }
        let p = self.proc_ref(idx);
        Message {
            id,
            sender: p.pid,
            bytes,
            call,
            right,
        }
    }

    /// The message a blocked sender holds, taken out of its IPC buffer: it leaves the sender
    /// now, for a queue or a receiver.
    pub(crate) fn held_message(&mut self, sidx: u32) -> Payload {
        core::mem::take(&mut self.proc_mut(sidx).ipc)
    }

    /// Hand `bytes` from the sender in slot `idx` straight to the receiver in slot `ridx`
    /// waiting at `target`: the message enters the kernel and is taken at once (the ledgers
    /// count it sent and received), landing in the receiver's IPC buffer. Its id, and the
    /// values the receiver's `receive` returns.
    #[inline]
    pub(crate) fn hand_over(
        &mut self,
        idx: u32,
        ridx: u32,
        bytes: Payload,
        call: bool,
        target: Target,
    ) -> (MsgId, [u64; 3]) {
        self.next_msg += 1;
        self.ledger.sent += 1;
        self.ledger.received += 1;
        let ledger = &mut self.endpoint_mut(target).ledger;
        ledger.sent += 1;
        ledger.received += 1;
        let sender = self.proc_mut(idx);
        sender.stats.sent += 1;
        let from = sender.pid;
        let flags = if call {
            RecvFlags::CALL
        } else {
            RecvFlags::empty()
        };
        let ret = [from.raw(), bytes.len() as u64, flags.bits()];
        let right = self.proc_mut(idx).carrying.take();
        let receiver = self.proc_mut(ridx);
        receiver.stats.received += 1;
        receiver.ipc = bytes;
        let id = self.next_msg;
        if right.is_some() {
            self.rights.carried += 1;
        }
        let ret = self.carry_right(id, right, from, ridx, ret);
        (id, ret)
    }

    /// Move a message taken from `target` into a receiver's IPC buffer; the values its
    /// `receive` returns.
    pub(crate) fn deliver(&mut self, ridx: u32, msg: Message, target: Target) -> [u64; 3] {
        self.endpoint_mut(target).ledger.received += 1;
        self.ledger.received += 1;
        let flags = if msg.call {
            RecvFlags::CALL
        } else {
            RecvFlags::empty()
        };
        let ret = [msg.sender.raw(), msg.bytes.len() as u64, flags.bits()];
        let p = self.proc_mut(ridx);
        p.stats.received += 1;
        p.ipc = msg.bytes;
        self.carry_right(msg.id, msg.right, msg.sender, ridx, ret)
    }

    /// A receiver took the call message `msg` from `caller`: the caller now waits for that
    /// receiver's reply.
    pub(crate) fn call_received(&mut self, msg: MsgId, caller: Pid, server: Pid) {
        let Some(cidx) = self.live_index(caller) else {
            return;
        };
        let Some(b) = self.proc_ref(cidx).blocked().copied() else {
            return;
        };
        match b.op {
            BlockedOp::AwaitReply {
                dest,
                msg: id,
                reply_len,
                ..
            } if id == msg => {
                let op = BlockedOp::AwaitReply {
                    dest,
                    msg: id,
                    server: Some(server),
                    received: true,
                    reply_len,
                };
                self.requeue(cidx, WaitQueueId::Replies(server), op);
            }
            // (A direct caller already waits on `Replies(server)`: `requeue` keeps its place.)
            // The caller gave up (timed out) after its message was queued: whoever answers
            // it will see the reply dropped.
            _ => {}
        }
    }

    /// The receiver already waiting at `t` for a message from `sender`, if any: one blocked
    /// in `receive` there, else the longest-waiting process whose `select` watches it.
    pub(crate) fn waiting_receiver(&self, t: Target, sender: Pid) -> Option<u32> {
        self.receiving(t, sender)
            .or_else(|| self.first_watcher(t).map(|(idx, _)| idx))
    }

    /// The receiver blocked in `receive` at `t` for a message from `sender`, if any.
    fn receiving(&self, t: Target, sender: Pid) -> Option<u32> {
        match t {
            Target::Mailbox(m) => self.select_receiver(m),
            Target::Inbox(idx, _) => {
                let b = self.proc_ref(idx).blocked()?;
                match b.op {
                    BlockedOp::Receive {
                        source: Source::Any,
                        ..
                    } => Some(idx),
                    BlockedOp::Receive {
                        source: Source::Process(from),
                        ..
                    } if from == sender => Some(idx),
                    _ => None,
                }
            }
        }
    }

    /// Whether `cost` more queued bytes, once `freed` bytes are released, stay within both
    /// the kernel's memory limit and the endpoint's.
    pub(crate) fn fits(&self, target: Target, cost: usize, freed: usize) -> bool {
        let total = self.queued_bytes.saturating_sub(freed).saturating_add(cost);
        let here = self
            .endpoint(target)
            .bytes
            .saturating_sub(freed)
            .saturating_add(cost);
        total <= self.config.memory_limit && here <= self.config.max_mailbox_bytes
    }

    /// `drop_newest` at a full mailbox: the message enters the kernel (the send succeeds and
    /// it is counted as sent) and is dropped at once, never queued.
    pub(crate) fn drop_newest(&mut self, idx: u32, bytes: &[u8], target: Target) -> Served {
        let msg = self.new_message(idx, Payload::from_slice(bytes), false, target);
        self.count_dropped(target, DropReason::Overflow, 1);
        if msg.right.is_some() {
            self.rights_returned(1);
        }
        Served::Done([0; 3])
    }

    /// `drop_oldest` at a full mailbox: drop the oldest queued message to make room. If it
    /// was a call whose caller still waits for it to be received, that caller is woken with
    /// `mailbox_full`: no reply can come.
    pub(crate) fn drop_oldest(&mut self, target: Target, by: Pid) {
        let Some(old) = self.endpoint_mut(target).take(0) else {
            return;
        };
        self.queued_bytes -= old.cost();
        self.count_dropped(target, DropReason::Overflow, 1);
        if old.right.is_some() {
            self.rights_returned(1);
        }
        if !old.call {
            return;
        }
        let Some(cidx) = self.live_index(old.sender) else {
            return;
        };
        match self.proc_ref(cidx).blocked().map(|b| b.op) {
            Some(BlockedOp::AwaitReply {
                msg,
                received: false,
                ..
            }) if msg == old.id => self.wake(
                cidx,
                Some(by),
                WakeReason::MessageDropped,
                Err(Error::MailboxFull.into()),
            ),
            // The caller gave up (timed out) while its request was queued.
            _ => {}
        }
    }

    /// Count `count` messages of `target` as dropped for `reason`, in the kernel's ledger and
    /// the endpoint's, and say so in the trace. The messages must already be out of the
    /// queue (or, for a message dropped as it arrives, never in it).
    pub(crate) fn count_dropped(&mut self, target: Target, reason: DropReason, count: usize) {
        if count == 0 {
            return;
        }
        self.ledger.dropped.add(reason, count as u64);
        self.endpoint_mut(target)
            .ledger
            .dropped
            .add(reason, count as u64);
        let via = target.dest();
        self.emit(|| EventKind::MessagesDropped { via, count, reason });
    }

    /// Put an accepted message in an endpoint's queue.
    ///
    /// Fault injection's `fate` for it decides whether it is in flight for a while.
    pub(crate) fn queue_message(&mut self, target: Target, msg: Message, fate: Fate) {
        self.queued_bytes += msg.cost();
        let (id, from, len, call) = (msg.id, msg.sender, msg.bytes.len(), msg.call);
        let ep = self.endpoint_mut(target);
        ep.push(msg);
        let depth = ep.queue.len();
        let to = target.dest();
        self.emit(|| EventKind::MessageQueued {
            msg: id,
            from,
            to,
            len,
            depth,
            call,
        });
        self.hold(target, id, fate);
    }

    /// Fill free room in an endpoint from its blocked senders, oldest first.
    pub(crate) fn refill(&mut self, target: Target, by: Pid) {
        loop {
            let ep = self.endpoint(target);
            if ep.is_full() {
                return;
            }
            let Some(sidx) = ep.senders.front() else {
                return;
            };
            let Some(BlockedOp::Send { len, call, dest }) =
                self.proc_ref(sidx).blocked().map(|b| b.op)
            else {
                return;
            };
            if !self.fits(target, len + MESSAGE_OVERHEAD, 0) {
                // No memory to queue it: it stays with its sender, who is served directly
                // by the next receive that finds the queue empty.
                return;
            }
            let bytes = self.held_message(sidx);
            let msg = self.new_message(sidx, bytes, call.is_some(), target);
            let id = msg.id;
            match self.fate(target, self.pid_of(sidx)) {
                Fate::Lose => self.lose(target, msg),
                fate => self.queue_message(target, msg, fate),
            }
            self.sender_released(sidx, target, dest, id, call, None, by);
        }
    }

    /// A blocked sender's message left it (queued, or taken by `receiver`): finish its
    /// `send`, or move its `call` on to waiting for the reply.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sender_released(
        &mut self,
        sidx: u32,
        target: Target,
        dest: Dest,
        msg: u64,
        call: Option<u64>,
        receiver: Option<Pid>,
        by: Pid,
    ) {
        match call {
            None => {
                let ret = receiver.map_or([0; 3], |r| self.taken_by(target, r));
                self.wake(sidx, Some(by), WakeReason::Completed, Ok(ret));
            }
            Some(reply_len) => {
                let (queue, server) = match (receiver, target) {
                    (Some(r), _) => (WaitQueueId::Replies(r), Some(r)),
                    (None, Target::Inbox(_, p)) => (target.callers(), Some(p)),
                    (None, Target::Mailbox(_)) => (target.callers(), None),
                };
                let op = BlockedOp::AwaitReply {
                    dest,
                    msg,
                    server,
                    received: receiver.is_some(),
                    reply_len,
                };
                self.requeue(sidx, queue, op);
            }
        }
    }
}
