//! The IPC syscalls: mailbox management, send, receive, call and reply.
//!
//! Every path follows the same order, which is what makes delivery fair and predictable:
//! 1. hand the message to a receiver already waiting for it;
//! 2. otherwise queue it if the endpoint has room (and the kernel and the endpoint have
//!    memory); a full mailbox whose overflow policy is not `block` decides here instead
//!    (fail, drop the new message, or drop the oldest to make room);
//! 3. otherwise wait on the endpoint's senders queue (or fail at once when non-blocking).
//!
//! Every message that enters the kernel is counted where it goes, in the kernel's total
//! ledger and in its endpoint's ([`Counts`](super::Counts)): sent when it enters, received
//! when a receiver takes it, dropped (with a reason) when it is discarded.
//!
//! A receive mirrors it: take the oldest queued message it accepts, else take straight from
//! the oldest blocked sender it accepts, else wait. Taking a queued message frees a slot,
//! which the oldest blocked sender fills at once.
//!
//! Fault injection (`ops/faults.rs`, off by default) hooks into these paths: a message may be
//! lost as it is accepted, or queued *in flight*, passed over by receives until it arrives.

mod faults;

use self::faults::Fate;
pub(crate) use self::faults::FaultState;
use super::endpoint::{Endpoint, Message, Payload, MESSAGE_OVERHEAD};
use super::mailbox::Mailbox;
use super::waitqueue::WaitQueueId;
use crate::process::BlockedOp;
use crate::trace::{DropReason, EventKind, MsgId, ReplyDropReason, WakeReason};
use crate::trap::Flow;
use crate::{Fail, Kernel};
use abi::{
    Capacity, Dest, Error, MailboxId, Mode, Overflow, Pid, RecvFlags, Source, Ticks, MAX_NAME_LEN,
};
use alloc::string::String;

/// An endpoint, resolved from a live id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A process's direct inbox: its slot and pid.
    Inbox(u32, Pid),
    /// A mailbox.
    Mailbox(MailboxId),
}

impl Target {
    fn dest(self) -> Dest {
        match self {
            Target::Inbox(_, p) => Dest::Process(p),
            Target::Mailbox(m) => Dest::Mailbox(m),
        }
    }

    fn senders(self) -> WaitQueueId {
        match self {
            Target::Inbox(_, p) => WaitQueueId::InboxSenders(p),
            Target::Mailbox(m) => WaitQueueId::MailboxSenders(m),
        }
    }

    /// Where a caller waits once its message is queued here.
    fn callers(self) -> WaitQueueId {
        match self {
            Target::Inbox(_, p) => WaitQueueId::Replies(p),
            Target::Mailbox(m) => WaitQueueId::MailboxCallers(m),
        }
    }
}

/// A UTF-8 string of `len` bytes (at most `max`) at `offset` in the caller's outgoing bytes.
pub(crate) fn read_str(out: &[u8], offset: u64, len: u64, max: usize) -> Result<String, Fail> {
    if len > max as u64 {
        return Err((Error::InvalidArgument, 0));
    }
    let end = offset.checked_add(len).ok_or((Error::InvalidArgument, 0))?;
    let bytes = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(from, to)| out.get(from..to))
        .ok_or((Error::InvalidArgument, 0))?;
    core::str::from_utf8(bytes)
        .map(String::from)
        .map_err(|_| (Error::InvalidArgument, 0))
}

/// The deadline a mode sets, or the error it gives instead of waiting.
pub(crate) fn deadline(mode: Mode, now: Ticks) -> Result<Option<Ticks>, Fail> {
    match mode {
        Mode::Blocking => Ok(None),
        Mode::NonBlocking => Err((Error::WouldBlock, 0)),
        Mode::Timeout(0) => Err((Error::TimedOut, 0)),
        Mode::Timeout(t) => Ok(Some(now.saturating_add(t))),
    }
}

impl Kernel {
    fn endpoint(&self, t: Target) -> &Endpoint {
        match t {
            Target::Inbox(idx, _) => &self.proc_ref(idx).inbox,
            Target::Mailbox(m) => &self.mailbox(m).expect("target resolved live").endpoint,
        }
    }

    fn endpoint_mut(&mut self, t: Target) -> &mut Endpoint {
        match t {
            Target::Inbox(idx, _) => &mut self.proc_mut(idx).inbox,
            Target::Mailbox(m) => {
                &mut self
                    .mailboxes
                    .get_mut(m.index(), m.generation())
                    .expect("target resolved live")
                    .endpoint
            }
        }
    }

    fn resolve_dest(&self, dest: Dest) -> Result<Target, Fail> {
        match dest {
            Dest::Process(p) => self
                .live_index(p)
                .map(|idx| Target::Inbox(idx, p))
                .ok_or((Error::NoSuchProcess, 0)),
            Dest::Mailbox(m) => self.live_mailbox(m).map(|_| Target::Mailbox(m)),
        }
    }

    /// Check an outgoing length against the kernel limit and the caller's buffer.
    pub(crate) fn outgoing_len(&self, out: &[u8], len: u64) -> Result<usize, Fail> {
        if len > self.config.max_message as u64 {
            return Err((Error::MessageTooLarge, self.config.max_message as u64));
        }
        if len > out.len() as u64 {
            return Err((Error::InvalidArgument, 0));
        }
        Ok(len as usize)
    }

    /// `bytes` as a new message from the process in slot `idx` bound for `target`: from
    /// here on the ledgers count it.
    fn new_message(&mut self, idx: u32, bytes: Payload, call: bool, target: Target) -> Message {
        self.next_msg += 1;
        self.ledger.sent += 1;
        self.endpoint_mut(target).counts.sent += 1;
        let id = self.next_msg;
        let p = self.proc_mut(idx);
        p.stats.sent += 1;
        Message {
            id,
            sender: p.pid,
            bytes,
            call,
        }
    }

    /// The message a blocked sender holds, taken out of its IPC buffer: it leaves the sender
    /// now, for a queue or a receiver.
    fn held_message(&mut self, sidx: u32) -> Payload {
        core::mem::take(&mut self.proc_mut(sidx).ipc)
    }

    /// Move a message taken from `target` into a receiver's IPC buffer; the values its
    /// `receive` returns.
    fn deliver(&mut self, ridx: u32, msg: Message, target: Target) -> [u64; 3] {
        self.endpoint_mut(target).counts.received += 1;
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
        ret
    }

    /// A receiver took the call message `msg` from `caller`: the caller now waits for that
    /// receiver's reply.
    fn call_received(&mut self, msg: MsgId, caller: Pid, server: Pid) {
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

    /// The receiver already waiting at `t` for a message from `sender`, if any.
    fn waiting_receiver(&self, t: Target, sender: Pid) -> Option<u32> {
        match t {
            Target::Mailbox(m) => self.mailbox(m)?.endpoint.receiver.front(),
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

    /// `send` and `call`.
    pub(crate) fn sys_send(
        &mut self,
        idx: u32,
        out: &[u8],
        dest: Dest,
        len: u64,
        mode: Mode,
        call: Option<u64>,
    ) -> Result<Flow, Fail> {
        let len = self.outgoing_len(out, len)?;
        if call.is_some() && matches!(mode, Mode::NonBlocking | Mode::Timeout(0)) {
            // A call always waits for its reply; bound it with a (non-zero) timeout instead.
            return Err((Error::InvalidArgument, 0));
        }
        let target = self.resolve_dest(dest)?;
        let me = self.pid_of(idx);
        let now = self.now;
        // Fault injection (off unless configured, `faults.rs`): a message accepted now may be
        // lost, or delayed (queued, and not handed over).
        let fate = self.fate(target, me);
        if fate == Fate::Lose && self.accepts_now(target, me, len) {
            return self.lose_on_send(idx, &out[..len], target, dest, mode, call);
        }

        // 1. A receiver is waiting: hand the message over.
        if let Some(ridx) = self
            .waiting_receiver(target, me)
            .filter(|_| !self.must_queue(target, me, fate))
        {
            let buf_len = match self.proc_ref(ridx).blocked().map(|b| b.op) {
                Some(BlockedOp::Receive { buf_len, .. }) => buf_len,
                _ => 0,
            };
            if len as u64 > buf_len {
                // Its buffer cannot take this message: it learns the length it needs, and
                // the message goes on as if nobody had been waiting.
                self.wake(
                    ridx,
                    Some(me),
                    WakeReason::BufferTooSmall,
                    Err((Error::BufferTooSmall, len as u64)),
                );
            } else {
                let bytes = Payload::from_slice(&out[..len]);
                let msg = self.new_message(idx, bytes, call.is_some(), target);
                let receiver = self.pid_of(ridx);
                let id = msg.id;
                self.emit(|| EventKind::MessageHandedOver {
                    msg: id,
                    from: me,
                    to: receiver,
                    via: dest,
                    len,
                    call: call.is_some(),
                });
                let ret = self.deliver(ridx, msg, target);
                self.wake(ridx, Some(me), WakeReason::Completed, Ok(ret));
                return match call {
                    None => Ok(Flow::Done([0; 3])),
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
                        Ok(Flow::Wait)
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
                (true, _) => return Err((Error::MailboxFull, 0)),
            };
            if !self.fits(target, len + MESSAGE_OVERHEAD, freed) {
                return Err((Error::OutOfMemory, 0));
            }
            if call.is_some() {
                // A call waits once its message is queued: refuse before the message enters
                // the kernel, so a refused call has sent nothing.
                self.refuse_deadlock(idx, target.callers())?;
            }
            if overflowing {
                self.drop_oldest(target, me);
            }
            let bytes = Payload::from_slice(&out[..len]);
            let msg = self.new_message(idx, bytes, call.is_some(), target);
            let id = msg.id;
            self.queue_message(target, msg);
            self.hold(target, id, fate);
            return match call {
                None => Ok(Flow::Done([0; 3])),
                Some(reply_len) => {
                    let deadline = deadline(mode, now).ok().flatten();
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
                    Ok(Flow::Wait)
                }
            };
        }

        // 3. Wait for room or a receiver.
        let deadline = match deadline(mode, now) {
            Ok(d) => d,
            Err(fail) => {
                if fail.0 == Error::TimedOut {
                    self.emit(|| EventKind::SendAbandoned {
                        pid: me,
                        to: dest,
                        error: Error::TimedOut,
                    });
                }
                return Err(fail);
            }
        };
        self.refuse_deadlock(idx, target.senders())?;
        // The message stays the sender's, in its IPC buffer, until it is taken.
        self.proc_mut(idx).ipc = Payload::from_slice(&out[..len]);
        let op = BlockedOp::Send { dest, len, call };
        self.block(idx, target.senders(), op, deadline);
        Ok(Flow::Wait)
    }

    /// Whether `cost` more queued bytes, once `freed` bytes are released, stay within both
    /// the kernel's memory limit and the endpoint's.
    fn fits(&self, target: Target, cost: usize, freed: usize) -> bool {
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
    fn drop_newest(&mut self, idx: u32, bytes: &[u8], target: Target) -> Flow {
        let _ = self.new_message(idx, Payload::from_slice(bytes), false, target);
        self.count_dropped(target, DropReason::Overflow, 1);
        Flow::Done([0; 3])
    }

    /// `drop_oldest` at a full mailbox: drop the oldest queued message to make room. If it
    /// was a call whose caller still waits for it to be received, that caller is woken with
    /// `mailbox_full`: no reply can come.
    fn drop_oldest(&mut self, target: Target, by: Pid) {
        let Some(old) = self.endpoint_mut(target).take(0) else {
            return;
        };
        self.queued_bytes -= old.cost();
        self.count_dropped(target, DropReason::Overflow, 1);
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
                Err((Error::MailboxFull, 0)),
            ),
            // The caller gave up (timed out) while its request was queued.
            _ => {}
        }
    }

    /// Count `count` messages of `target` as dropped for `reason`, in the kernel's ledger and
    /// the endpoint's, and say so in the trace. The messages must already be out of the
    /// queue (or, for a message dropped as it arrives, never in it).
    fn count_dropped(&mut self, target: Target, reason: DropReason, count: usize) {
        if count == 0 {
            return;
        }
        self.ledger.dropped += count as u64;
        self.endpoint_mut(target).counts.drop(reason, count as u64);
        let via = target.dest();
        self.emit(|| EventKind::MessagesDropped { via, count, reason });
    }

    /// Put an accepted message in an endpoint's queue.
    fn queue_message(&mut self, target: Target, msg: Message) {
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
    }

    /// Fill free room in an endpoint from its blocked senders, oldest first.
    fn refill(&mut self, target: Target, by: Pid) {
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
                fate => {
                    self.queue_message(target, msg);
                    self.hold(target, id, fate);
                }
            }
            self.sender_released(sidx, target, dest, id, call, None, by);
        }
    }

    /// A blocked sender's message left it (queued, or taken by `receiver`): finish its
    /// `send`, or move its `call` on to waiting for the reply.
    #[allow(clippy::too_many_arguments)]
    fn sender_released(
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
            None => self.wake(sidx, Some(by), WakeReason::Completed, Ok([0; 3])),
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

    /// `receive`.
    pub(crate) fn sys_receive(
        &mut self,
        idx: u32,
        source: Source,
        buf_len: u64,
        mode: Mode,
    ) -> Result<Flow, Fail> {
        let me = self.pid_of(idx);
        let (target, from) = match source {
            Source::Mailbox(m) => {
                if self.live_mailbox(m)?.owner != me {
                    return Err((Error::NotOwner, 0));
                }
                (Target::Mailbox(m), None)
            }
            Source::Any => (Target::Inbox(idx, me), None),
            Source::Process(p) => (Target::Inbox(idx, me), Some(p)),
        };
        let via = target.dest();

        // 1. The oldest queued message it accepts (and that is not in flight, `faults.rs`).
        if let Some(pos) = self.find_arrived(target, from) {
            let need = self.endpoint(target).queue[pos].bytes.len() as u64;
            if need > buf_len {
                return Err((Error::BufferTooSmall, need));
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
            let ret = self.deliver(idx, msg, target);
            if call {
                self.call_received(id, sender, me);
            }
            self.refill(target, me);
            return Ok(Flow::Done(ret));
        }

        // 2. The oldest blocked sender it accepts (a rendezvous), unless its message would
        //    overtake one of its own still in flight; fault injection may lose messages here.
        self.lose_at_rendezvous(target, from, me);
        let sender = match from {
            None => self.endpoint(target).senders.front(),
            Some(p) => self
                .live_index(p)
                .filter(|&s| self.proc_ref(s).blocked().map(|b| b.queue) == Some(target.senders())),
        };
        let sender = sender.filter(|&s| !self.in_flight_from(target, self.pid_of(s)));
        if let Some(sidx) = sender {
            let Some(BlockedOp::Send { len, call, dest }) =
                self.proc_ref(sidx).blocked().map(|b| b.op)
            else {
                return Err((Error::InvalidArgument, 0));
            };
            if len as u64 > buf_len {
                return Err((Error::BufferTooSmall, len as u64));
            }
            let bytes = self.held_message(sidx);
            let msg = self.new_message(sidx, bytes, call.is_some(), target);
            let (id, from) = (msg.id, msg.sender);
            self.emit(|| EventKind::MessageHandedOver {
                msg: id,
                from,
                to: me,
                via: dest,
                len,
                call: call.is_some(),
            });
            let ret = self.deliver(idx, msg, target);
            self.sender_released(sidx, target, dest, id, call, Some(me), me);
            return Ok(Flow::Done(ret));
        }

        // 3. Nothing to take: a symmetric receive from a process that is gone has no link.
        if let Some(p) = from {
            if self.live_index(p).is_none() {
                return Err((Error::NoSuchProcess, 0));
            }
        }
        let deadline = deadline(mode, self.now)?;
        let queue = match (source, target) {
            (Source::Mailbox(m), _) => WaitQueueId::MailboxReceiver(m),
            (Source::Process(p), _) => WaitQueueId::ReceiversFrom(p),
            (Source::Any, _) => WaitQueueId::InboxReceiver(me),
        };
        self.refuse_deadlock(idx, queue)?;
        self.block(idx, queue, BlockedOp::Receive { source, buf_len }, deadline);
        Ok(Flow::Wait)
    }

    /// `reply`.
    pub(crate) fn sys_reply(
        &mut self,
        idx: u32,
        out: &[u8],
        to: Pid,
        len: u64,
    ) -> Result<Flow, Fail> {
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
            return Ok(Flow::Done([0; 3]));
        };
        if len as u64 > reply_len {
            // The caller keeps waiting; the server may answer again with a shorter reply.
            return Err((Error::BufferTooSmall, reply_len));
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
        Ok(Flow::Done([0; 3]))
    }

    /// `create_mailbox`.
    pub(crate) fn sys_create_mailbox(
        &mut self,
        idx: u32,
        out: &[u8],
        capacity: Capacity,
        name_len: u64,
        overflow: Overflow,
    ) -> Result<Flow, Fail> {
        let name = read_str(out, 0, name_len, MAX_NAME_LEN)?;
        let name = (!name.is_empty()).then_some(name);
        if capacity == Capacity::Zero && overflow != Overflow::Block {
            // A rendezvous queues nothing, so nothing can overflow: a policy there is a
            // mistake, not a request the kernel could honour.
            return Err((Error::InvalidArgument, 0));
        }
        if let Some(n) = &name {
            if self.names.contains_key(n) {
                return Err((Error::NameInUse, 0));
            }
        }
        if self.mailboxes.len() >= self.config.max_mailboxes {
            return Err((Error::OutOfMemory, 0));
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
        Ok(Flow::Done([id.raw(), 0, 0]))
    }

    /// `lookup_mailbox`.
    pub(crate) fn sys_lookup_mailbox(&mut self, out: &[u8], name_len: u64) -> Result<Flow, Fail> {
        let name = read_str(out, 0, name_len, MAX_NAME_LEN)?;
        match self.names.get(&name) {
            Some(id) => Ok(Flow::Done([id.raw(), 0, 0])),
            None => Err((Error::NoSuchMailbox, 0)),
        }
    }

    /// Check that `idx` owns `id`.
    fn owned_mailbox(&self, idx: u32, id: MailboxId) -> Result<(), Fail> {
        if self.live_mailbox(id)?.owner != self.pid_of(idx) {
            return Err((Error::NotOwner, 0));
        }
        Ok(())
    }

    /// `delete_mailbox`.
    pub(crate) fn sys_delete_mailbox(&mut self, idx: u32, id: MailboxId) -> Result<Flow, Fail> {
        self.owned_mailbox(idx, id)?;
        self.destroy_mailbox(id, DropReason::MailboxDeleted);
        Ok(Flow::Done([0; 3]))
    }

    /// `transfer_mailbox`.
    pub(crate) fn sys_transfer_mailbox(
        &mut self,
        idx: u32,
        id: MailboxId,
        to: Pid,
    ) -> Result<Flow, Fail> {
        self.owned_mailbox(idx, id)?;
        let new_idx = self.live_index(to).ok_or((Error::NoSuchProcess, 0))?;
        let from = self.pid_of(idx);
        self.disown(idx, id);
        self.own(new_idx, id);
        self.live_mailbox_mut(id)?.owner = to;
        self.emit(|| EventKind::MailboxTransferred { id, from, to });
        // Its waiting senders and callers now lend to the new owner, no longer to the old.
        self.refresh_priority(idx);
        self.refresh_priority(new_idx);
        Ok(Flow::Done([0; 3]))
    }

    /// List `id` among the mailboxes the process in slot `idx` owns.
    fn own(&mut self, idx: u32, id: MailboxId) {
        let owned = &mut self.proc_mut(idx).owned;
        owned.push(id);
        let slot = owned.len() - 1;
        if let Ok(mb) = self.live_mailbox_mut(id) {
            mb.owner_slot = slot;
        }
    }

    /// Take `id` off the list of mailboxes the process in slot `idx` owns, in O(1): the last
    /// entry moves into its place.
    fn disown(&mut self, idx: u32, id: MailboxId) {
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
        self.ledger.dropped += dropped as u64;
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
                    Err((Error::MailboxDeleted, 0)),
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
        let (dropped, bytes) = self.proc_mut(idx).inbox.drain(DropReason::ReceiverExited);
        self.queued_bytes -= bytes;
        self.ledger.dropped += dropped as u64;
        if dropped > 0 {
            self.emit(|| EventKind::MessagesDropped {
                via: Dest::Process(pid),
                count: dropped,
                reason: DropReason::ReceiverExited,
            });
        }
        let p = self.proc_mut(idx);
        let counts = core::mem::take(&mut p.inbox.counts);
        let name = p.name.clone();
        let closed = Endpoint {
            counts,
            serial: p.inbox.serial,
            ..Endpoint::default()
        };
        self.close_endpoint(Dest::Process(pid), Some(&name), &closed);
    }

    /// Whether `p` is blocked on `queue`.
    pub(crate) fn is_blocked_on(p: &crate::process::Process, queue: WaitQueueId) -> bool {
        p.blocked().is_some_and(|b| b.queue == queue)
    }
}
