//! The message syscalls: `send`, `call`, `receive` and `reply`.
//!
//! Every send follows the same order, which is what makes delivery fair and predictable:
//! 1. hand the message to a receiver already waiting for it;
//! 2. otherwise queue it if the endpoint has room (and the kernel and the endpoint have
//!    memory); a full mailbox whose overflow policy is not `block` decides here instead
//!    (fail, drop the new message, or drop the oldest to make room);
//! 3. otherwise wait on the endpoint's senders queue (or fail at once when non-blocking).
//!
//! A receive mirrors it: take the oldest queued message it accepts, else take straight from
//! the oldest blocked sender it accepts, else wait. Taking a queued message frees a slot,
//! which the oldest blocked sender fills at once.
//!
//! Each handler resolves its endpoint (and its peer) from the caller's ids once, then moves
//! the message through the paths of `ipc` (hand over, queue, take, refill), which count it in
//! the ledgers. Fault injection (`ipc/faults.rs`, off by default) is consulted where a
//! message is accepted and where a receive looks for one.

use super::{deadline, Refusal, Served};
use crate::ipc::{Fate, Message, Target, MESSAGE_OVERHEAD};
use crate::process::BlockedOp;
use crate::trace::{EventKind, MsgId, ReplyDropReason, WaitQueueId, WakeReason};
use crate::Kernel;
use abi::{Dest, Error, Mode, Overflow, Payload, Pid, Receivers, Right, SendFlags, Source};

impl Kernel {
    /// A `send` or `call` whose message `id` the kernel accepted without handing it to a
    /// receiver (queued, in flight, or lost as a fault): a send is done; a call waits for its
    /// reply on the endpoint's callers queue, as a request not yet received, or, with a zero
    /// timeout, gives up on the reply at once.
    pub(crate) fn accepted(
        &mut self,
        idx: u32,
        target: Target,
        dest: Dest,
        id: MsgId,
        mode: Mode,
        call: Option<u64>,
    ) -> Result<Served, Refusal> {
        let Some(reply_len) = call else {
            return Ok(Served::Done([0; 3]));
        };
        if mode == Mode::Timeout(0) {
            return Err(Error::TimedOut.into());
        }
        let deadline = deadline(mode, self.clock).ok().flatten();
        let server = match target {
            Target::Inbox(_, p) => Some(p),
            Target::Mailbox(_) => None,
        };
        let op = BlockedOp::AwaitReply {
            dest,
            msg: id,
            server,
            received: false,
            reply_len,
        };
        self.block(idx, target.callers(), op, deadline);
        Ok(Served::Descheduled)
    }

    /// A receiver took a message from `target`: where a `round_robin` mailbox resumes.
    pub(crate) fn served(&mut self, target: Target, receiver: Pid) {
        if let Target::Mailbox(m) = target {
            if let Ok(mb) = self.live_mailbox_mut(m) {
                mb.last_served = Some(receiver);
            }
        }
    }

    /// What a `send` whose message went straight to `receiver` returns: on a shared mailbox,
    /// where the sender cannot know who will read it, `TAKEN` and the receiver's pid.
    pub(crate) fn taken_by(&self, target: Target, receiver: Pid) -> [u64; 3] {
        match target {
            Target::Mailbox(m) if self.mailbox(m).is_some_and(|mb| mb.receivers.is_shared()) => {
                [SendFlags::TAKEN.bits(), receiver.raw(), 0]
            }
            _ => [0; 3],
        }
    }

    /// `send` and `call`.
    pub(crate) fn sys_send(
        &mut self,
        idx: u32,
        out: &[u8],
        dest: Dest,
        len: u64,
        mode: Mode,
        call: Option<u64>,
    ) -> Result<Served, Refusal> {
        let len = self.outgoing_len(out, len)?;
        if call.is_some() && mode == Mode::NonBlocking {
            // A call always waits for its reply; bound it with a timeout instead (a zero
            // timeout tries the request once and gives up on the reply at once).
            return Err(Error::InvalidArgument.into());
        }
        let target = self.resolve_dest(dest)?;
        if let (true, Target::Mailbox(m)) = (self.config.capabilities, target) {
            if !self.holds_send(m, self.pid_of(idx)) {
                return Err(Error::NoSendRight.into());
            }
        }
        if let Target::Inbox(ridx, _) = target {
            // The first message to a process uses its inbox.
            self.proc_mut(ridx).inbox.open();
        }
        let me = self.pid_of(idx);
        let now = self.clock;
        // Fault injection's hook (off unless configured, `ipc/faults.rs`): a message accepted
        // now may be lost, or delayed (queued, and not handed over).
        let fate = self.on_send(target, me, len);
        if fate == Fate::Lose {
            return self.lose_on_send(idx, &out[..len], target, dest, mode, call);
        }

        // 1. A receiver is waiting: hand the message over.
        if let Some(ridx) = self
            .waiting_receiver(target, me)
            .filter(|_| fate.hands_over())
        {
            let buf_len = match self.proc_ref(ridx).blocked().map(|b| b.op) {
                Some(BlockedOp::Receive { buf_len, .. } | BlockedOp::Select { buf_len }) => buf_len,
                _ => 0,
            };
            if len as u64 > buf_len {
                // Its buffer cannot take this message: it learns the length it needs, and
                // the message goes on as if nobody had been waiting.
                self.wake(
                    ridx,
                    Some(me),
                    WakeReason::BufferTooSmall,
                    Err(Refusal::buffer_too_small(len as u64)),
                );
            } else {
                let bytes = Payload::from_slice(&out[..len]);
                let receiver = self.pid_of(ridx);
                self.served(target, receiver);
                let (id, ret) = self.hand_over(idx, ridx, bytes, call.is_some(), target);
                let ret = self.as_selected(ridx, target, ret);
                self.emit(|| EventKind::MessageHandedOver {
                    msg: id,
                    from: me,
                    to: receiver,
                    via: dest,
                    len,
                    call: call.is_some(),
                });
                self.wake(ridx, Some(me), WakeReason::Completed, Ok(ret));
                return match call {
                    None => Ok(Served::Done(self.taken_by(target, receiver))),
                    // The request is delivered; the reply cannot come within no time at all.
                    Some(_) if mode == Mode::Timeout(0) => Err(Error::TimedOut.into()),
                    Some(reply_len) => {
                        let deadline = deadline(mode, now).ok().flatten();
                        let op = BlockedOp::AwaitReply {
                            dest,
                            msg: id,
                            server: Some(receiver),
                            received: true,
                            reply_len,
                        };
                        self.block(idx, WaitQueueId::Replies(receiver), op, deadline);
                        Ok(Served::Descheduled)
                    }
                };
            }
        }

        // 2. Room in the queue, and nobody waiting for it already (senders left blocked when
        //    memory ran out keep their turn). A full mailbox whose overflow policy is not
        //    `block` never makes a sender wait: its policy decides here, whatever the mode.
        let ep = self.endpoint(target);
        let overflowing = ep.is_full() && ep.overflow != Overflow::Block;
        if (!ep.is_full() || overflowing) && ep.senders.is_empty() {
            // What making room frees: the oldest message, under `drop_oldest`.
            let freed = match (overflowing, ep.overflow) {
                (false, _) => 0,
                (true, Overflow::DropOldest) => ep.queue.front().map_or(0, Message::cost),
                (true, Overflow::DropNewest) if call.is_none() => {
                    return Ok(self.drop_newest(idx, &out[..len], target));
                }
                // `fail`; and a call under `drop_newest`, which is refused rather than
                // accepted and discarded: it would wait for a reply that cannot come.
                (true, _) => return Err(Error::MailboxFull.into()),
            };
            if !self.fits(target, len + MESSAGE_OVERHEAD, freed) {
                return Err(Error::OutOfMemory.into());
            }
            if call.is_some() && mode != Mode::Timeout(0) {
                // A call waits once its message is queued: refuse before the message enters
                // the kernel, so a refused call has sent nothing. (A zero timeout never waits.)
                self.refuse_deadlock(idx, target.callers())?;
            }
            if overflowing {
                self.drop_oldest(target, me);
            }
            let bytes = Payload::from_slice(&out[..len]);
            let msg = self.new_message(idx, bytes, call.is_some(), target);
            let id = msg.id;
            self.queue_message(target, msg, fate);
            return self.accepted(idx, target, dest, id, mode, call);
        }

        // 3. Wait for room or a receiver.
        let deadline = match deadline(mode, now) {
            Ok(d) => d,
            Err(refusal) => {
                if refusal.error == Error::TimedOut {
                    self.emit(|| EventKind::SendAbandoned {
                        pid: me,
                        to: dest,
                        error: Error::TimedOut,
                    });
                }
                return Err(refusal);
            }
        };
        self.refuse_deadlock(idx, target.senders())?;
        // The message stays the sender's, in its IPC buffer, until it is taken.
        self.proc_mut(idx).ipc = Payload::from_slice(&out[..len]);
        let op = BlockedOp::Send { dest, len, call };
        self.block(idx, target.senders(), op, deadline);
        Ok(Served::Descheduled)
    }

    /// `send_right`: a send whose message carries `right`, which the caller must hold now.
    /// The right rides in the caller's control block until the message is accepted
    /// (`new_message`, `hand_over` take it), and is dropped from there if the send fails.
    pub(crate) fn sys_send_right(
        &mut self,
        idx: u32,
        out: &[u8],
        dest: Dest,
        len: u64,
        mode: Mode,
        right: Right,
    ) -> Result<Served, Refusal> {
        let me = self.pid_of(idx);
        self.live_mailbox(right.mailbox())?;
        if !self.holds(right, me) {
            return Err(match right {
                Right::Receive(_) => Error::NotOwner,
                Right::Send(_) => Error::NoSendRight,
            }
            .into());
        }
        self.proc_mut(idx).carrying = Some(right);
        let served = self.sys_send(idx, out, dest, len, mode, None);
        if !matches!(served, Ok(Served::Descheduled)) {
            // Done: the message took the right; refused: it never left.
            self.proc_mut(idx).carrying = None;
        }
        served
    }

    /// `receive`.
    pub(crate) fn sys_receive(
        &mut self,
        idx: u32,
        source: Source,
        buf_len: u64,
        mode: Mode,
    ) -> Result<Served, Refusal> {
        let me = self.pid_of(idx);
        let (target, from) = match source {
            Source::Mailbox(m) => {
                if !self.live_mailbox(m)?.may_receive(me) {
                    return Err(Error::NotOwner.into());
                }
                (Target::Mailbox(m), None)
            }
            Source::Any => (Target::Inbox(idx, me), None),
            Source::Process(p) => (Target::Inbox(idx, me), Some(p)),
        };
        if let Target::Inbox(..) = target {
            self.proc_mut(idx).inbox.open();
        }
        let via = target.dest();

        // 1. The oldest queued message it accepts (and that is not in flight, `faults.rs`).
        if let Some(pos) = self.find_arrived(target, from) {
            let need = self.endpoint(target).queue[pos].bytes.len() as u64;
            if need > buf_len {
                return Err(Refusal::buffer_too_small(need));
            }
            let msg = self
                .endpoint_mut(target)
                .take(pos)
                .expect("position found above");
            self.queued_bytes -= msg.cost();
            self.emit(|| EventKind::MessageReceived {
                msg: msg.id,
                from: msg.sender,
                by: me,
                via,
                len: msg.bytes.len(),
            });
            let (id, sender, call) = (msg.id, msg.sender, msg.call);
            self.served(target, me);
            let ret = self.deliver(idx, msg, target);
            if call {
                self.call_received(id, sender, me);
            }
            self.refill(target, me);
            return Ok(Served::Done(ret));
        }

        // 2. The oldest blocked sender it accepts (a rendezvous), through fault injection's
        //    hook: its message may be lost, and it must not overtake one in flight.
        if let Some(sidx) = self.on_rendezvous(target, from, me) {
            let Some(BlockedOp::Send { len, call, dest }) =
                self.proc_ref(sidx).blocked().map(|b| b.op)
            else {
                return Err(Error::InvalidArgument.into());
            };
            if len as u64 > buf_len {
                return Err(Refusal::buffer_too_small(len as u64));
            }
            let bytes = self.held_message(sidx);
            self.served(target, me);
            let (id, ret) = self.hand_over(sidx, idx, bytes, call.is_some(), target);
            let from = self.pid_of(sidx);
            self.emit(|| EventKind::MessageHandedOver {
                msg: id,
                from,
                to: me,
                via: dest,
                len,
                call: call.is_some(),
            });
            self.sender_released(sidx, target, dest, id, call, Some(me), me);
            return Ok(Served::Done(ret));
        }

        // 3. Nothing to take: a symmetric receive from a process that is gone has no link.
        if let Some(p) = from {
            if self.live_index(p).is_none() {
                return Err(Error::NoSuchProcess.into());
            }
        }
        if let Source::Mailbox(m) = source {
            let mb = self.live_mailbox(m)?;
            let waiting = !mb.endpoint.receiver.is_empty() || !mb.endpoint.watchers.is_empty();
            if mb.receivers == Receivers::OneAtATime && waiting {
                // Another receiver waits already: this one may not wait beside it.
                return Err(Error::ReceiverBusy.into());
            }
        }
        let deadline = deadline(mode, self.clock)?;
        let queue = match (source, target) {
            (Source::Mailbox(m), _) => WaitQueueId::MailboxReceiver(m),
            (Source::Process(p), _) => WaitQueueId::ReceiversFrom(p),
            (Source::Any, _) => WaitQueueId::InboxReceiver(me),
        };
        self.refuse_deadlock(idx, queue)?;
        self.block(idx, queue, BlockedOp::Receive { source, buf_len }, deadline);
        Ok(Served::Descheduled)
    }

    /// `reply`.
    pub(crate) fn sys_reply(
        &mut self,
        idx: u32,
        out: &[u8],
        to: Pid,
        len: u64,
    ) -> Result<Served, Refusal> {
        let len = self.outgoing_len(out, len)?;
        let me = self.pid_of(idx);
        let waiting = self.live_index(to).and_then(|cidx| {
            match self.proc_ref(cidx).blocked().map(|b| b.op) {
                Some(BlockedOp::AwaitReply {
                    server: Some(s),
                    received: true,
                    reply_len,
                    ..
                }) if s == me => Some((cidx, reply_len)),
                _ => None,
            }
        });
        let Some((cidx, reply_len)) = waiting else {
            let reason = if self.live_index(to).is_some() {
                ReplyDropReason::NotWaiting
            } else {
                ReplyDropReason::NoSuchProcess
            };
            self.emit(|| EventKind::ReplyDropped {
                from: me,
                to,
                reason,
            });
            return Ok(Served::Done([0; 3]));
        };
        if len as u64 > reply_len {
            // The caller keeps waiting; the server may answer again with a shorter reply.
            return Err(Refusal::buffer_too_small(reply_len));
        }
        // A short reply is copied in place, with no allocation.
        self.proc_mut(cidx).ipc = Payload::from_slice(&out[..len]);
        self.emit(|| EventKind::ReplyDelivered { from: me, to, len });
        self.wake(
            cidx,
            Some(me),
            WakeReason::Completed,
            Ok([me.raw(), len as u64, 0]),
        );
        Ok(Served::Done([0; 3]))
    }
}
