//! Fault injection on the message path: lost and delayed messages.
//!
//! This module owns the fault generator (an [`Rng`] seeded by `KernelConfig::fault_seed`,
//! apart from any scheduler's, so that exploration can vary schedules and faults
//! independently) and the messages *in flight*: queued at their endpoint but not receivable
//! before their arrival tick. For each message as the kernel accepts it, it draws the
//! message's [`Fate`] (delivered, lost or delayed), and when an arrival's tick comes it makes
//! the message receivable, handing it to the receiver waiting for it if there is one. It
//! never kills a process or moves the clock: kills and clock jumps are other entries of the
//! kernel ([`Entry::Kill`](crate::Entry::Kill), [`Entry::Jump`](crate::Entry::Jump), and kills
//! at a syscall in the trap).
//!
//! The message paths reach it through its hooks, at the points where a message is accepted
//! and where one is delivered: [`Kernel::on_send`] (a send hands a message over: its fate),
//! `fate` itself where a blocked sender's message is accepted into a queue with room
//! (`refill`), [`Kernel::on_rendezvous`] (a receive takes from a blocked sender: lost or
//! passed over), `find_arrived` (a receive looks in a queue: messages in flight are passed
//! over), and the timer's `arrive`. `queue_message` puts a message in flight as its fate
//! says. With `loss_percent` and `delay_percent` at 0 (the default) each hook is one inline
//! check: it draws nothing and nothing is ever in flight, so every path runs exactly as it
//! does without it.
//!
//! What it promises (`docs/faults.md`):
//! - a lost message was accepted: its `send` succeeds, so the sender cannot tell; it is
//!   counted sent and dropped (reason `fault`), and a lost `call` waits for a reply that
//!   cannot come (until its timeout, its server's exit or its mailbox's deletion);
//! - a delayed message is queued like any other (it takes its slot and its bytes, and the
//!   ledgers count it queued) but no receive sees it before it arrives;
//! - a delay never reorders one sender's messages to one endpoint: a message queued while an
//!   earlier one from the same sender is in flight there waits behind it. Messages from other
//!   senders may overtake a delayed one, as on any real link;
//! - only buffered messages can be delayed: at a rendezvous (capacity 0) there is no queue to
//!   be in flight in, so a message there is delivered or lost, never delayed.

use super::endpoint::{Message, MESSAGE_OVERHEAD};
use super::Target;
use crate::process::BlockedOp;
use crate::sched::rng::Rng;
use crate::trace::{DropReason, EventKind, FaultKind, MsgId, WakeReason};
use crate::trap::{Refusal, Served};
use crate::Kernel;
use abi::{Capacity, Dest, Mode, Overflow, Payload, Pid, Source, Ticks};
use alloc::collections::{BTreeMap, BinaryHeap};
use core::cmp::Reverse;

/// What happens to one message the kernel accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Delivered as usual.
    Deliver,
    /// Accepted and dropped at once.
    Lose,
    /// Queued, and receivable only this many ticks later.
    Delay(Ticks),
    /// Queued behind a message of its sender's still in flight at the endpoint, which it
    /// must not overtake: receivable when that one arrives.
    Behind,
}

impl Fate {
    /// Whether the message may go straight to a receiver waiting for it.
    #[inline]
    pub(crate) fn hands_over(self) -> bool {
        matches!(self, Fate::Deliver)
    }
}

/// Where a message in flight is queued, and when it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct InFlight {
    to: Dest,
    until: Ticks,
}

/// The kernel's fault-injection state.
#[derive(Debug)]
pub(crate) struct FaultState {
    rng: Rng,
    /// Messages in flight, by id. An entry may outlive its message when the message is
    /// dropped before it arrives (its endpoint deleted, say); it is discarded when its
    /// arrival comes up, so a stale entry never makes a message invisible.
    in_flight: BTreeMap<MsgId, InFlight>,
    /// Arrivals, earliest first; message ids grow as messages are accepted, so arrivals at
    /// the same tick come in the order the messages were sent.
    arrivals: BinaryHeap<Reverse<(Ticks, MsgId)>>,
}

impl FaultState {
    /// No message in flight; the generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        FaultState {
            rng: Rng::new(seed),
            in_flight: BTreeMap::new(),
            arrivals: BinaryHeap::new(),
        }
    }

    /// Whether no delayed message waits to arrive (always, unless delays are injected).
    #[inline]
    pub(crate) fn no_arrivals(&self) -> bool {
        self.arrivals.is_empty()
    }
}

impl Kernel {
    /// Draw the fate of a message from `sender` bound for `target`. Without loss or delay
    /// configured, or from the sender the configuration exempts, it draws nothing.
    #[inline]
    pub(crate) fn fate(&mut self, target: Target, sender: Pid) -> Fate {
        if self.config.loss_percent == 0 && self.config.delay_percent == 0 {
            return Fate::Deliver;
        }
        self.draw_fate(target, sender)
    }

    /// [`Kernel::fate`] when losses or delays are configured.
    #[inline(never)]
    pub(crate) fn draw_fate(&mut self, target: Target, sender: Pid) -> Fate {
        if self.config.fault_exempt == Some(sender) {
            return Fate::Deliver;
        }
        let (loss, delay, ticks) = (
            self.config.loss_percent,
            self.config.delay_percent,
            self.config.delay_ticks,
        );
        // Both draws are always made, so that changing one percentage does not shift the
        // other's stream.
        let lost = self.faults.rng.chance(u64::from(loss));
        let delayed = self.faults.rng.chance(u64::from(delay));
        if lost {
            Fate::Lose
        } else if delayed && ticks > 0 && self.endpoint(target).capacity != Capacity::Zero {
            Fate::Delay(ticks)
        } else {
            Fate::Deliver
        }
    }

    /// Whether the message with this id is queued but not receivable yet.
    pub(crate) fn in_flight(&self, id: MsgId) -> bool {
        self.faults.in_flight.contains_key(&id)
    }

    /// Whether `sender` has a message in flight at `target`: its next message there must
    /// wait behind it.
    #[inline]
    pub(crate) fn in_flight_from(&self, target: Target, sender: Pid) -> bool {
        !self.faults.in_flight.is_empty() && self.queued_in_flight_from(target, sender)
    }

    /// [`Kernel::in_flight_from`] while messages are in flight.
    #[inline(never)]
    pub(crate) fn queued_in_flight_from(&self, target: Target, sender: Pid) -> bool {
        self.endpoint(target)
            .queue
            .iter()
            .any(|m| m.sender == sender && self.in_flight(m.id))
    }

    /// The hook where a `send` or `call` hands the kernel a message of `len` bytes from
    /// `sender` for `target`: what becomes of it. Lost only if the kernel would accept it
    /// now (a send that waits has not handed its message over yet); queued, not handed over,
    /// if delayed or behind its sender's message in flight there.
    #[inline]
    pub(crate) fn on_send(&mut self, target: Target, sender: Pid, len: usize) -> Fate {
        match self.fate(target, sender) {
            Fate::Lose if self.accepts_now(target, sender, len) => Fate::Lose,
            Fate::Delay(t) => Fate::Delay(t),
            _ if self.in_flight_from(target, sender) => Fate::Behind,
            _ => Fate::Deliver,
        }
    }

    /// The hook where a receive looks for a blocked sender to take straight from (a
    /// rendezvous): the sender in slot it takes, if any. The messages of the senders it would
    /// take may be lost first (each loser's `send` completes as if taken), and a sender
    /// whose earlier message is still in flight here is not taken (its message would
    /// overtake that one).
    pub(crate) fn on_rendezvous(
        &mut self,
        target: Target,
        from: Option<Pid>,
        by: Pid,
    ) -> Option<u32> {
        self.lose_at_rendezvous(target, from, by);
        let sender = match from {
            None => self.endpoint(target).senders.front(),
            Some(p) => self
                .live_index(p)
                .filter(|&s| self.proc_ref(s).blocked().map(|b| b.queue) == Some(target.senders())),
        };
        sender.filter(|&s| !self.in_flight_from(target, self.pid_of(s)))
    }

    /// The position of the oldest receivable message at `target` (from `from`, if given):
    /// [`Endpoint::find`](crate::ipc::Endpoint::find), passing over messages in flight.
    #[inline]
    pub(crate) fn find_arrived(&self, target: Target, from: Option<Pid>) -> Option<usize> {
        let ep = self.endpoint(target);
        if self.faults.in_flight.is_empty() {
            return ep.find(from);
        }
        self.find_arrived_in_flight(target, from)
    }

    /// [`Kernel::find_arrived`] while messages are in flight.
    #[inline(never)]
    pub(crate) fn find_arrived_in_flight(
        &self,
        target: Target,
        from: Option<Pid>,
    ) -> Option<usize> {
        self.endpoint(target)
            .queue
            .iter()
            .position(|m| from.is_none_or(|s| m.sender == s) && !self.in_flight(m.id))
    }

    /// Whether a send from `sender` of `len` bytes would be accepted at `target` now: a
    /// receiver waits for it, the queue has room (and memory) for it, or the mailbox is full
    /// and its overflow policy accepts it anyway (`drop_oldest`, `drop_newest`). Only such a
    /// send can lose its message: one that waits has not handed it over yet, and one that
    /// fails never sent it. A lost message is lost on its way: it makes no room and evicts
    /// nothing.
    pub(crate) fn accepts_now(&self, target: Target, sender: Pid, len: usize) -> bool {
        if self.waiting_receiver(target, sender).is_some() && !self.in_flight_from(target, sender) {
            return true;
        }
        let ep = self.endpoint(target);
        if !ep.senders.is_empty() {
            return false;
        }
        if ep.is_full() {
            return matches!(ep.overflow, Overflow::DropOldest | Overflow::DropNewest);
        }
        self.fits(target, len + MESSAGE_OVERHEAD, 0)
    }

    /// A `send` or `call` whose message is lost as it is accepted. The send succeeds; a call
    /// waits for its reply as if the request were queued and never received: on the
    /// endpoint's callers queue, until its timeout, its server's exit or the mailbox's
    /// deletion.
    pub(crate) fn lose_on_send(
        &mut self,
        idx: u32,
        bytes: &[u8],
        target: Target,
        dest: Dest,
        mode: Mode,
        call: Option<u64>,
    ) -> Result<Served, Refusal> {
        if call.is_some() && mode != Mode::Timeout(0) {
            // As for a queued call: refused before the message enters the kernel.
            self.refuse_deadlock(idx, target.callers())?;
        }
        let msg = self.new_message(idx, Payload::from_slice(bytes), call.is_some(), target);
        let id = msg.id;
        self.lose(target, msg);
        self.accepted(idx, target, dest, id, mode, call)
    }

    /// Drop a message the kernel just accepted: say so, and count it sent (already) and
    /// dropped with reason `fault`.
    pub(crate) fn lose(&mut self, target: Target, msg: Message) {
        if msg.right.is_some() {
            self.rights_returned(1);
        }
        let to = target.dest();
        self.emit(|| EventKind::Fault {
            kind: FaultKind::Lose {
                msg: msg.id,
                from: msg.sender,
                to,
                len: msg.bytes.len(),
                call: msg.call,
            },
        });
        self.count_dropped(target, DropReason::Fault, 1);
    }

    /// A message was just queued at `target`: put it in flight if its fate delays it, or if
    /// an earlier message from its sender is still in flight there (it arrives no sooner).
    pub(crate) fn hold(&mut self, target: Target, id: MsgId, fate: Fate) {
        let own = match fate {
            Fate::Delay(t) => Some(self.clock.saturating_add(t)),
            Fate::Deliver | Fate::Lose | Fate::Behind => None,
        };
        if own.is_none() && self.faults.in_flight.is_empty() {
            return;
        }
        let ep = self.endpoint(target);
        let Some(sender) = ep.queue.iter().rev().find(|m| m.id == id).map(|m| m.sender) else {
            return;
        };
        // The latest arrival among the sender's earlier messages in flight here.
        let ahead = ep
            .queue
            .iter()
            .filter(|m| m.sender == sender && m.id != id)
            .filter_map(|m| self.faults.in_flight.get(&m.id).map(|f| (f.until, m.id)))
            .max();
        let (until, behind) = match (own, ahead) {
            (Some(o), Some((a, m))) if a > o => (a, Some(m)),
            (Some(o), _) => (o, None),
            (None, Some((a, m))) => (a, Some(m)),
            (None, None) => return,
        };
        let to = target.dest();
        self.faults.in_flight.insert(id, InFlight { to, until });
        self.faults.arrivals.push(Reverse((until, id)));
        self.emit(|| EventKind::Fault {
            kind: FaultKind::Delay {
                msg: id,
                from: sender,
                to,
                until,
                behind,
            },
        });
    }

    /// Before a receive takes a message straight from a blocked sender (a rendezvous): lose
    /// the messages of the blocked senders it would take, one after another, while the fault
    /// generator says so. Each loser's `send` completes as if its message were taken.
    #[inline]
    fn lose_at_rendezvous(&mut self, target: Target, from: Option<Pid>, by: Pid) {
        if self.config.loss_percent != 0 {
            self.lose_blocked_senders(target, from, by);
        }
    }

    /// [`Kernel::lose_at_rendezvous`] when losses are configured.
    #[inline(never)]
    pub(crate) fn lose_blocked_senders(&mut self, target: Target, from: Option<Pid>, by: Pid) {
        loop {
            // The sender the receive's rendezvous step would take, chosen the same way.
            let sender = match from {
                None => self.endpoint(target).senders.front(),
                Some(p) => self.live_index(p).filter(|&s| {
                    self.proc_ref(s).blocked().map(|b| b.queue) == Some(target.senders())
                }),
            };
            let Some(sidx) = sender else {
                return;
            };
            if self.in_flight_from(target, self.pid_of(sidx)) {
                return;
            }
            let Some(BlockedOp::Send { call, dest, .. }) =
                self.proc_ref(sidx).blocked().map(|b| b.op)
            else {
                return;
            };
            if self.fate(target, self.pid_of(sidx)) != Fate::Lose {
                return;
            }
            let bytes = self.held_message(sidx);
            let msg = self.new_message(sidx, bytes, call.is_some(), target);
            let id = msg.id;
            self.lose(target, msg);
            self.sender_released(sidx, target, dest, id, call, None, by);
        }
    }

    /// When the next message in flight arrives. Arrivals whose message is gone (dropped with
    /// its endpoint, or by an overflow policy) are discarded on the way.
    pub(crate) fn next_arrival(&mut self) -> Option<Ticks> {
        while let Some(Reverse((until, id))) = self.faults.arrivals.peek().copied() {
            if self.still_queued(id) {
                return Some(until);
            }
            self.faults.arrivals.pop();
            self.faults.in_flight.remove(&id);
        }
        None
    }

    /// Whether the message in flight with this id is still queued at its endpoint.
    pub(crate) fn still_queued(&self, id: MsgId) -> bool {
        let Some(f) = self.faults.in_flight.get(&id) else {
            return false;
        };
        match self.resolve_dest(f.to) {
            Ok(t) => self.endpoint(t).queue.iter().any(|m| m.id == id),
            Err(_) => false,
        }
    }

    /// The next message in flight arrives (the timer interrupt calls this for every arrival
    /// due): it becomes receivable, and the receiver waiting for it at its endpoint, if any,
    /// takes it, as a send would have handed it over.
    pub(crate) fn arrive(&mut self) {
        let Some(Reverse((_, id))) = self.faults.arrivals.pop() else {
            return;
        };
        let Some(f) = self.faults.in_flight.remove(&id) else {
            return;
        };
        let Ok(target) = self.resolve_dest(f.to) else {
            return;
        };
        let Some(from) = self
            .endpoint(target)
            .queue
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.sender)
        else {
            return;
        };
        let to = f.to;
        self.emit(|| EventKind::Fault {
            kind: FaultKind::Arrive { msg: id, from, to },
        });
        let Some(ridx) = self.waiting_receiver(target, from) else {
            return;
        };
        let (only, buf_len) = match self.proc_ref(ridx).blocked().map(|b| b.op) {
            Some(BlockedOp::Receive {
                source: Source::Process(p),
                buf_len,
            }) => (Some(p), buf_len),
            Some(BlockedOp::Receive { buf_len, .. } | BlockedOp::Select { buf_len }) => {
                (None, buf_len)
            }
            _ => return,
        };
        // The oldest receivable message it accepts: this one, unless another arrived at the
        // same tick ahead of it.
        let Some(pos) = self.find_arrived(target, only) else {
            return;
        };
        let need = self.endpoint(target).queue[pos].bytes.len();
        if need as u64 > buf_len {
            self.wake(
                ridx,
                None,
                WakeReason::BufferTooSmall,
                Err(Refusal::buffer_too_small(need as u64)),
            );
            return;
        }
        let Some(msg) = self.endpoint_mut(target).take(pos) else {
            return;
        };
        self.queued_bytes -= msg.cost();
        let receiver = self.pid_of(ridx);
        let via = target.dest();
        let (id, sender, call, len) = (msg.id, msg.sender, msg.call, msg.bytes.len());
        self.emit(|| EventKind::MessageReceived {
            msg: id,
            from: sender,
            by: receiver,
            via,
            len,
        });
        let ret = self.deliver(ridx, msg, target);
        let ret = self.as_selected(ridx, target, ret);
        self.wake(ridx, None, WakeReason::Completed, Ok(ret));
        if call {
            self.call_received(id, sender, receiver);
        }
        self.refill(target, receiver);
    }
}
