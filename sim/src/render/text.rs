//! The stable text trace: one event per line, aligned, with names where the kernel knows them.
//!
//! This is the form snapshot tests compare, so it changes only when behaviour changes. Columns:
//! tick, CPU, the process the event is about (`p3:name`), the event, its details.
//!
//! This module owns the text trace's words: each event's line ([`TextLines`]), and the words
//! for a call, a return and a fault that the JSON formats repeat as their `text`, so the
//! formats never say different things. It never reads anything but the events, and never
//! panics on any event sequence.
//!
//! A trace can be long, so every line is written straight into one output buffer of bytes:
//! no temporary strings per event, no `char`s (all it adds itself is ASCII), and names that
//! [`Names`] rendered once, when the trace introduced them, so that showing a process is
//! copying its `p3:name` (and, for the actor column, its padding) whole. Everything written
//! is ASCII or a whole `&str`, so the bytes are UTF-8 by construction: they are checked once
//! where a `String` is handed out ([`text`]), and a streamed trace ([`TextStream`]) goes out
//! as the bytes it is.

use super::bytes::{eight_digits, into_string, leading_zero_digits, push_i64, push_u64};
use super::stream::{render_lines, write_lines, LineWriter, SharedStream, Stream};
use super::Names;
use abi::{
    Capacity, Dest, Error, Lifetime, MailboxId, Mode, Overflow, Pid, Receivers, RecvFlags,
    SendFlags, Source, Syscall, Sysno, RET_REGS,
};
use kernel::trace::{
    Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause, ReplyDropReason, WakeReason,
};
use std::io::Write;

/// A receive source: `from p3:name`, a mailbox, or `any`.
fn push_source(out: &mut Vec<u8>, n: &Names, source: Source) {
    match source {
        Source::Process(p) => {
            out.extend_from_slice(b"from ");
            n.push_pid(out, p);
        }
        Source::Mailbox(m) => n.push_mailbox(out, m),
        Source::Any => out.extend_from_slice(b"any"),
    }
}

/// A syscall with its arguments, ids named: `send(mb0:buffer, 22B, blocking)`.
pub(super) fn push_call(out: &mut Vec<u8>, n: &Names, call: &Syscall) {
    let name = call.sysno().name();
    match *call {
        Syscall::DeleteMailbox { mailbox } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_mailbox(out, mailbox);
            out.push(b')');
        }
        Syscall::TransferMailbox { mailbox, to }
        | Syscall::GrantReceive { mailbox, to }
        | Syscall::GrantSend { mailbox, to } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_mailbox(out, mailbox);
            out.extend_from_slice(b", to ");
            n.push_pid(out, to);
            out.push(b')');
        }
        Syscall::SendRight {
            dest,
            len,
            mode,
            right,
        } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_dest(out, dest);
            out.extend_from_slice(b", ");
            push_u64(out, len);
            out.extend_from_slice(b"B, ");
            push_mode(out, mode);
            out.extend_from_slice(b", ");
            out.extend_from_slice(right.name().as_bytes());
            out.extend_from_slice(b" right on ");
            n.push_mailbox(out, right.mailbox());
            out.push(b')');
        }
        Syscall::RevokeReceive { mailbox, from } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_mailbox(out, mailbox);
            out.extend_from_slice(b", from ");
            n.push_pid(out, from);
            out.push(b')');
        }
        Syscall::Send { dest, len, mode }
        | Syscall::Call {
            dest, len, mode, ..
        } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_dest(out, dest);
            out.extend_from_slice(b", ");
            push_u64(out, len);
            out.extend_from_slice(b"B, ");
            push_mode(out, mode);
            out.push(b')');
        }
        Syscall::Receive {
            source,
            buf_len,
            mode,
        } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            push_source(out, n, source);
            // A buffer of 4 GiB or more is "whatever comes": not worth a column.
            if buf_len < u64::from(u32::MAX) {
                out.extend_from_slice(b", buf=");
                push_u64(out, buf_len);
                out.push(b'B');
            }
            out.extend_from_slice(b", ");
            push_mode(out, mode);
            out.push(b')');
        }
        Syscall::Reply { to, len } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_pid(out, to);
            out.extend_from_slice(b", ");
            push_u64(out, len);
            out.extend_from_slice(b"B)");
        }
        Syscall::Wait { child, mode } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'(');
            n.push_pid(out, child);
            out.extend_from_slice(b", ");
            push_mode(out, mode);
            out.push(b')');
        }
        // No ids to name: the ABI's own rendering, so the two never drift apart. (A
        // select's set travels in its bytes, which the trace does not keep.)
        Syscall::Select { .. }
        | Syscall::CreateMailbox { .. }
        | Syscall::LookupMailbox { .. }
        | Syscall::Spawn { .. }
        | Syscall::Exit { .. }
        | Syscall::GetPid
        | Syscall::Yield
        | Syscall::Sleep { .. }
        | Syscall::Compute { .. }
        | Syscall::Print { .. } => {
            let _ = write!(out, "{call}");
        }
    }
}

/// An injected fault, as the trace writes it after `fault`: `kill p3:worker (at tick 40)`,
/// `lose msg#4 -> mb0:jobs`, `delay msg#4 -> mb0:jobs until 57`, `arrive msg#4 at mb0:jobs`,
/// `clock jump 40 -> 90`.
pub(super) fn push_fault(out: &mut Vec<u8>, n: &Names, kind: &FaultKind) {
    match kind {
        FaultKind::Kill { pid, cause } => {
            out.extend_from_slice(b"kill ");
            n.push_pid(out, *pid);
            match cause {
                KillCause::Tick(t) => {
                    out.extend_from_slice(b" (at tick ");
                    push_u64(out, *t);
                }
                KillCause::Syscall(n) => {
                    out.extend_from_slice(b" (at syscall ");
                    push_u64(out, *n);
                }
            }
            out.push(b')');
        }
        FaultKind::KillMissed { name, tick } => {
            out.extend_from_slice(b"kill ");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b" (at tick ");
            push_u64(out, *tick);
            out.extend_from_slice(b"): no live process of that name");
        }
        FaultKind::Lose { msg, to, call, .. } => {
            out.extend_from_slice(b"lose msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            n.push_dest(out, *to);
            if *call {
                out.extend_from_slice(b" (call)");
            }
        }
        FaultKind::Delay {
            msg,
            to,
            until,
            behind,
            ..
        } => {
            out.extend_from_slice(b"delay msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            n.push_dest(out, *to);
            out.extend_from_slice(b" until ");
            push_u64(out, *until);
            if let Some(b) = behind {
                out.extend_from_slice(b" (behind msg#");
                push_u64(out, *b);
                out.push(b')');
            }
        }
        FaultKind::Arrive { msg, to, .. } => {
            out.extend_from_slice(b"arrive msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" at ");
            n.push_dest(out, *to);
        }
        FaultKind::ClockJump { from, to } => {
            out.extend_from_slice(b"clock jump ");
            push_u64(out, *from);
            out.extend_from_slice(b" -> ");
            push_u64(out, *to);
        }
    }
}

/// A syscall's return registers, read the way that syscall defines them: `ok from
/// p1:producer 0 22B`, `err would_block`.
pub(super) fn push_ret(out: &mut Vec<u8>, n: &Names, sysno: Option<Sysno>, ret: &[u64; RET_REGS]) {
    if ret[0] != 0 {
        let err = Error::from_code(ret[0]);
        out.extend_from_slice(b"err ");
        out.extend_from_slice(err.map_or("unknown_error", Error::name).as_bytes());
        if err == Some(Error::BufferTooSmall) {
            out.extend_from_slice(b" (needs ");
            push_u64(out, ret[1]);
            out.extend_from_slice(b"B)");
        }
        return;
    }
    match sysno {
        Some(Sysno::CreateMailbox | Sysno::LookupMailbox) => {
            out.extend_from_slice(b"ok ");
            n.push_mailbox(out, MailboxId::from_raw(ret[1]));
        }
        Some(Sysno::Spawn | Sysno::GetPid) => {
            out.extend_from_slice(b"ok ");
            n.push_pid(out, Pid::from_raw(ret[1]));
        }
        Some(Sysno::Receive) => {
            out.extend_from_slice(b"ok from ");
            n.push_pid(out, Pid::from_raw(ret[1]));
            out.push(b' ');
            push_u64(out, ret[2]);
            out.push(b'B');
            if RecvFlags::from_bits_truncate(ret[3]).contains(RecvFlags::CALL) {
                out.extend_from_slice(b" (call)");
            }
        }
        Some(Sysno::Select) => {
            out.extend_from_slice(b"ok from ");
            n.push_pid(out, Pid::from_raw(ret[1]));
            out.push(b' ');
            push_u64(out, ret[2]);
            out.push(b'B');
            if RecvFlags::from_bits_truncate(ret[3]).contains(RecvFlags::CALL) {
                out.extend_from_slice(b" (call)");
            }
            out.extend_from_slice(b" via endpoint ");
            push_u64(out, ret[3] >> abi::SELECT_INDEX_SHIFT);
        }
        Some(Sysno::Call) => {
            out.extend_from_slice(b"ok reply from ");
            n.push_pid(out, Pid::from_raw(ret[1]));
            out.push(b' ');
            push_u64(out, ret[2]);
            out.push(b'B');
        }
        // Only a send to a shared mailbox reports who took its message.
        Some(Sysno::Send) if SendFlags::from_bits_truncate(ret[1]).contains(SendFlags::TAKEN) => {
            out.extend_from_slice(b"ok taken by ");
            n.push_pid(out, Pid::from_raw(ret[2]));
        }
        Some(Sysno::Wait) => {
            out.extend_from_slice(b"ok ");
            n.push_pid(out, Pid::from_raw(ret[2]));
            out.extend_from_slice(b" exited ");
            push_i64(out, ret[1] as i64);
        }
        _ => out.extend_from_slice(b"ok"),
    }
}

/// `pids` joined by ` -> `, then the first again (closing the cycle); nothing for none.
fn push_cycle(out: &mut Vec<u8>, n: &Names, pids: &[Pid]) {
    for (i, p) in pids.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b" -> ");
        }
        n.push_pid(out, *p);
    }
    if let Some(first) = pids.first() {
        out.extend_from_slice(b" -> ");
        n.push_pid(out, *first);
    }
}

/// How a process ended, in words: `exit`, `returned`, `panicked: ...`, `fault: ...`.
pub fn exit_reason(reason: &ExitReason) -> String {
    let mut out = Vec::new();
    push_exit_reason(&mut out, reason);
    into_string(out)
}

/// [`exit_reason`], appended to `out`.
fn push_exit_reason(out: &mut Vec<u8>, reason: &ExitReason) {
    match reason {
        ExitReason::Exit => out.extend_from_slice(b"exit"),
        ExitReason::Returned => out.extend_from_slice(b"returned"),
        ExitReason::Panicked(m) => {
            out.extend_from_slice(b"panicked: ");
            out.extend_from_slice(m.as_bytes());
        }
        ExitReason::Fault(m) => {
            out.extend_from_slice(b"fault: ");
            out.extend_from_slice(m.as_bytes());
        }
        ExitReason::Killed => out.extend_from_slice(b"killed"),
    }
}

/// ASCII space in every byte of a word.
const BLANKS: u64 = u64::from_ne_bytes([b' '; 8]);

/// Ticks below this fit the tick column; longer ones widen it.
const TICK_LIMIT: u64 = 10u64.pow(TICK_WIDTH as u32);

/// A tick below [`TICK_LIMIT`] as the tick column shows it, in the last [`TICK_WIDTH`] of
/// the eight bytes: its eight-digit form with the leading zeros turned to spaces.
fn tick_column(tick: u64) -> [u8; 8] {
    let digits = eight_digits(tick as u32);
    let shown = u64::MAX >> (8 * leading_zero_digits(digits));
    (digits & shown | BLANKS & !shown).to_be_bytes()
}

/// A tick as the tick column shows it, `{tick:>6}`.
fn push_tick(out: &mut Vec<u8>, tick: u64) {
    if tick < TICK_LIMIT {
        out.extend_from_slice(&tick_column(tick)[8 - TICK_WIDTH..]);
    } else {
        // As wide as the column or wider: no padding.
        push_u64(out, tick);
    }
}

/// The tick column of the line before. Runs of events share a tick (a send, its handoff,
/// the wake and both returns happen at once), and formatting the same tick again would be
/// the dearest part of a line's first columns.
struct LastTick {
    tick: u64,
    /// [`tick_column`] of `tick`.
    column: [u8; 8],
}

impl Default for LastTick {
    fn default() -> LastTick {
        LastTick {
            tick: 0,
            column: tick_column(0),
        }
    }
}

/// The tick and CPU columns, `{tick:>6} cpu{cpu} `.
fn push_head(out: &mut Vec<u8>, last: &mut LastTick, tick: u64, cpu: u32) {
    if tick < TICK_LIMIT && cpu < 10 {
        if tick != last.tick {
            *last = LastTick {
                tick,
                column: tick_column(tick),
            };
        }
        // Nearly every line: both columns are a fixed width (the CPU's is ` cpu0 `), so they
        // go in one copy.
        let mut head = [b' '; TICK_WIDTH + 6];
        head[..TICK_WIDTH].copy_from_slice(&last.column[8 - TICK_WIDTH..]);
        head[TICK_WIDTH..].copy_from_slice(&[b' ', b'c', b'p', b'u', b'0' + cpu as u8, b' ']);
        out.extend_from_slice(&head);
    } else {
        push_tick(out, tick);
        out.extend_from_slice(b" cpu");
        push_u64(out, u64::from(cpu));
        out.push(b' ');
    }
}

/// A [`Mode`] as its `Display` shows it. (Sends and receives show one on every call, too
/// often to go through `fmt`; a test holds the two together.)
fn push_mode(out: &mut Vec<u8>, mode: Mode) {
    match mode {
        Mode::Blocking => out.extend_from_slice(b"blocking"),
        Mode::NonBlocking => out.extend_from_slice(b"nonblocking"),
        Mode::Timeout(t) => {
            out.extend_from_slice(b"timeout=");
            push_u64(out, t);
        }
    }
}

/// A [`Capacity`] as its `Display` shows it.
fn push_capacity(out: &mut Vec<u8>, capacity: Capacity) {
    match capacity {
        Capacity::Zero => out.push(b'0'),
        Capacity::Bounded(n) => push_u64(out, u64::from(n)),
        Capacity::Unbounded => out.extend_from_slice(b"unbounded"),
    }
}

/// Width of the actor column, in characters.
pub(super) const ACTOR_WIDTH: usize = 22;

/// Width of the tick column, in characters.
const TICK_WIDTH: usize = 6;

// The tick column is cut from one eight-digit word.
const _: () = assert!(TICK_WIDTH <= 8);

/// The actor column of an event about no one process: `-`, padded, and the space that ends
/// the column.
const NO_ACTOR: [u8; ACTOR_WIDTH + 1] = {
    let mut column = [b' '; ACTOR_WIDTH + 1];
    column[0] = b'-';
    column
};

/// `text` as `{text:?}` writes it.
fn push_debug_str(out: &mut Vec<u8>, text: &str) {
    // Printable ASCII other than `"` and `\` is the one case Debug leaves alone; anything
    // else takes the standard library's escaping, so the two can never disagree.
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a `Vec` cannot fail.
        let _ = write!(out, "{text:?}");
    }
}

/// The actor column of one event: the process it is about, or `-`; padded, and the space
/// that ends the column.
fn write_actor(out: &mut Vec<u8>, n: &Names, kind: &EventKind) {
    let pid = match kind {
        EventKind::Spawn { pid, .. }
        | EventKind::Dispatch { pid }
        | EventKind::Preempt { pid, .. }
        | EventKind::Syscall { pid, .. }
        | EventKind::BadSyscall { pid, .. }
        | EventKind::Return { pid, .. }
        | EventKind::Block { pid, .. }
        | EventKind::Wake { pid, .. }
        | EventKind::SendAbandoned { pid, .. }
        | EventKind::Sleep { pid, .. }
        | EventKind::Yield { pid }
        | EventKind::Print { pid, .. }
        | EventKind::Exit { pid, .. }
        | EventKind::PriorityReturned { pid, .. }
        | EventKind::DeadlockRefused { pid, .. }
        | EventKind::Migrate { pid, .. }
        | EventKind::Livelock {
            cause: LivelockCause::Spinning { pid, .. },
            ..
        } => *pid,
        EventKind::MessageQueued { from, .. }
        | EventKind::MessageHandedOver { from, .. }
        | EventKind::ReplyDelivered { from, .. }
        | EventKind::ReplyDropped { from, .. }
        | EventKind::MailboxTransferred { from, .. }
        | EventKind::MailboxOrphaned { from, .. }
        | EventKind::RightTransferred { from, .. }
        | EventKind::RightVoided { from, .. } => *from,
        EventKind::SendGranted { by, .. } => *by,
        EventKind::MessageReceived { by, .. }
        | EventKind::MailboxDeleted { by, .. }
        | EventKind::ReceiveGranted { by, .. }
        | EventKind::ReceiveRevoked { by, .. } => *by,
        EventKind::MailboxCreated { owner, .. } => *owner,
        EventKind::PriorityLent { to, .. } => *to,
        EventKind::Fault { kind } => match kind {
            FaultKind::Kill { pid, .. } => *pid,
            FaultKind::Lose { from, .. }
            | FaultKind::Delay { from, .. }
            | FaultKind::Arrive { from, .. } => *from,
            FaultKind::KillMissed { .. } | FaultKind::ClockJump { .. } => {
                out.extend_from_slice(&NO_ACTOR);
                return;
            }
        },
        EventKind::MessagesDropped { .. }
        | EventKind::Idle { .. }
        | EventKind::Deadlock { .. }
        | EventKind::Livelock {
            cause: LivelockCause::Steps { .. },
            ..
        }
        | EventKind::TickLimit { .. } => {
            out.extend_from_slice(&NO_ACTOR);
            return;
        }
    };
    n.push_actor(out, pid);
}

/// The description column of one event.
fn write_description(out: &mut Vec<u8>, n: &Names, kind: &EventKind) {
    match kind {
        EventKind::Spawn {
            parent,
            program,
            arg,
            inbox,
            priority,
            ..
        } => {
            out.extend_from_slice(b"spawn      program=");
            out.extend_from_slice(program.as_bytes());
            out.extend_from_slice(b" parent=");
            match parent {
                Some(p) => n.push_pid(out, *p),
                None => out.push(b'-'),
            }
            out.extend_from_slice(b" arg=");
            push_u64(out, *arg);
            out.extend_from_slice(b" inbox=");
            push_capacity(out, *inbox);
            out.extend_from_slice(b" priority=");
            push_u64(out, u64::from(*priority));
        }
        EventKind::Dispatch { .. } => out.extend_from_slice(b"dispatch"),
        EventKind::Preempt { burst_left, .. } => {
            if *burst_left > 0 {
                out.extend_from_slice(b"preempt    burst_left=");
                push_u64(out, *burst_left);
            } else {
                out.extend_from_slice(b"preempt");
            }
        }
        EventKind::Syscall { call, .. } => {
            out.extend_from_slice(b"syscall    ");
            push_call(out, n, call);
        }
        EventKind::BadSyscall { sysno, error, .. } => {
            out.extend_from_slice(b"syscall    #");
            push_u64(out, *sysno);
            out.extend_from_slice(b" refused: ");
            out.extend_from_slice(error.name().as_bytes());
        }
        EventKind::Return { sysno, ret, .. } => {
            out.extend_from_slice(b"return     ");
            push_ret(out, n, *sysno, ret);
        }
        EventKind::Block {
            queue, deadline, ..
        } => {
            out.extend_from_slice(b"block      on ");
            n.push_queue(out, *queue);
            if let Some(d) = deadline {
                out.extend_from_slice(b" until ");
                push_u64(out, *d);
            }
        }
        // An arrival is the kernel's release of a held process, at its tick or as its
        // spawner leaves the CPU: nobody woke it.
        EventKind::Wake {
            by: None,
            reason: WakeReason::Arrived,
            ..
        } => out.extend_from_slice(b"wake       (arrived)"),
        EventKind::Wake { by, reason, .. } => {
            out.extend_from_slice(b"wake       by ");
            match by {
                Some(b) => n.push_pid(out, *b),
                None => out.extend_from_slice(b"timer"),
            }
            out.extend_from_slice(b" (");
            out.extend_from_slice(reason.name().as_bytes());
            out.push(b')');
        }
        EventKind::MessageQueued {
            msg,
            to,
            len,
            depth,
            call,
            ..
        } => {
            out.extend_from_slice(b"queue      msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            n.push_dest(out, *to);
            out.push(b' ');
            push_u64(out, *len as u64);
            out.extend_from_slice(b"B depth=");
            push_u64(out, *depth as u64);
            if *call {
                out.extend_from_slice(b" (call)");
            }
        }
        EventKind::MessageHandedOver {
            msg,
            to,
            via,
            len,
            call,
            ..
        } => {
            out.extend_from_slice(b"handoff    msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            n.push_pid(out, *to);
            // Sent to the receiver's own inbox: the endpoint says nothing new.
            if *via != Dest::Process(*to) {
                out.extend_from_slice(b" via ");
                n.push_dest(out, *via);
            }
            out.push(b' ');
            push_u64(out, *len as u64);
            out.push(b'B');
            if *call {
                out.extend_from_slice(b" (call)");
            }
        }
        EventKind::MessageReceived {
            msg,
            from,
            via,
            len,
            ..
        } => {
            out.extend_from_slice(b"take       msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" from ");
            n.push_pid(out, *from);
            out.extend_from_slice(b" at ");
            n.push_dest(out, *via);
            out.push(b' ');
            push_u64(out, *len as u64);
            out.push(b'B');
        }
        EventKind::MessagesDropped { via, count, reason } => {
            out.extend_from_slice(b"drop       ");
            push_u64(out, *count as u64);
            out.extend_from_slice(if *count == 1 {
                b" message at "
            } else {
                b" messages at "
            });
            n.push_dest(out, *via);
            out.extend_from_slice(b" (");
            out.extend_from_slice(reason.name().as_bytes());
            out.push(b')');
        }
        EventKind::SendAbandoned { to, error, .. } => {
            out.extend_from_slice(b"abandon    send to ");
            n.push_dest(out, *to);
            out.extend_from_slice(b" (");
            out.extend_from_slice(error.name().as_bytes());
            out.extend_from_slice(b"): message not delivered");
        }
        EventKind::ReplyDelivered { to, len, .. } => {
            out.extend_from_slice(b"reply      -> ");
            n.push_pid(out, *to);
            out.push(b' ');
            push_u64(out, *len as u64);
            out.push(b'B');
        }
        EventKind::ReplyDropped { to, reason, .. } => {
            out.extend_from_slice(b"reply      -> ");
            n.push_pid(out, *to);
            out.extend_from_slice(match reason {
                ReplyDropReason::NoSuchProcess => b" dropped (no such process)".as_slice(),
                ReplyDropReason::NotWaiting => b" dropped (not waiting for this reply)",
            });
        }
        EventKind::MailboxCreated {
            id,
            capacity,
            overflow,
            receivers,
            lifetime,
            ..
        } => {
            out.extend_from_slice(b"mailbox    created ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" capacity=");
            push_capacity(out, *capacity);
            // The policy is shown only when it is not the default, so traces of programs
            // that never chose one read as they always have.
            if *overflow != Overflow::Block {
                out.extend_from_slice(b" overflow=");
                out.extend_from_slice(overflow.name().as_bytes());
            }
            if *receivers != Receivers::OwnerOnly {
                out.extend_from_slice(b" receivers=");
                out.extend_from_slice(receivers.name().as_bytes());
            }
            if *lifetime != Lifetime::Owner {
                out.extend_from_slice(b" lifetime=");
                out.extend_from_slice(lifetime.name().as_bytes());
            }
        }
        EventKind::MailboxDeleted {
            id, dropped, woken, ..
        } => {
            out.extend_from_slice(b"mailbox    deleted ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" dropped=");
            push_u64(out, *dropped as u64);
            out.extend_from_slice(b" woken=");
            push_u64(out, *woken as u64);
        }
        EventKind::MailboxTransferred { id, to, .. } => {
            out.extend_from_slice(b"mailbox    transferred ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" to ");
            n.push_pid(out, *to);
        }
        EventKind::MailboxOrphaned { id, .. } => {
            out.extend_from_slice(b"mailbox    orphaned ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" (owned by the system)");
        }
        EventKind::RightTransferred { msg, right, to, .. } => {
            out.extend_from_slice(b"right      ");
            out.extend_from_slice(right.name().as_bytes());
            out.extend_from_slice(b" right on ");
            n.push_mailbox(out, right.mailbox());
            out.extend_from_slice(b" moved with msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" to ");
            n.push_pid(out, *to);
        }
        EventKind::RightVoided { msg, right, .. } => {
            out.extend_from_slice(b"right      ");
            out.extend_from_slice(right.name().as_bytes());
            out.extend_from_slice(b" right on ");
            n.push_mailbox(out, right.mailbox());
            out.extend_from_slice(b" voided with msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" (its sender no longer holds it)");
        }
        EventKind::SendGranted { id, to, .. } => {
            out.extend_from_slice(b"grant      send ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" to ");
            n.push_pid(out, *to);
        }
        EventKind::ReceiveGranted { id, to, .. } => {
            out.extend_from_slice(b"grant      receive ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" to ");
            n.push_pid(out, *to);
        }
        EventKind::ReceiveRevoked { id, from, .. } => {
            out.extend_from_slice(b"revoke     receive ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" from ");
            n.push_pid(out, *from);
        }
        EventKind::Sleep { until, .. } => {
            out.extend_from_slice(b"sleep      until ");
            push_u64(out, *until);
        }
        EventKind::Yield { .. } => out.extend_from_slice(b"yield"),
        EventKind::Idle { until } => {
            out.extend_from_slice(b"idle       until ");
            push_u64(out, *until);
        }
        EventKind::Print { text, .. } => {
            out.extend_from_slice(b"print      ");
            push_debug_str(out, text);
        }
        EventKind::Exit { code, reason, .. } => {
            out.extend_from_slice(b"exit       code=");
            push_i64(out, i64::from(*code));
            out.extend_from_slice(b" (");
            push_exit_reason(out, reason);
            out.push(b')');
        }
        EventKind::Deadlock { cycle, blocked } => {
            out.extend_from_slice(b"deadlock  ");
            if cycle.is_empty() {
                out.extend_from_slice(b" no single cycle;");
            } else {
                out.extend_from_slice(b" cycle ");
                push_cycle(out, n, cycle);
                out.push(b';');
            }
            for w in blocked {
                out.push(b' ');
                n.push_pid(out, w.pid);
                out.extend_from_slice(b" waits on ");
                n.push_queue(out, w.queue);
                out.extend_from_slice(b" (held by ");
                match w.holder {
                    Some(h) => n.push_pid(out, h),
                    None => out.extend_from_slice(b"any sender"),
                }
                out.extend_from_slice(b");");
            }
            // Every clause ends in `;`; the line does not.
            out.pop();
        }
        EventKind::Livelock { cause, processes } => {
            out.extend_from_slice(b"livelock   ");
            match cause {
                LivelockCause::Steps { steps } => {
                    push_u64(out, *steps);
                    out.extend_from_slice(b" kernel entries without the clock moving");
                }
                LivelockCause::Spinning { steps, .. } => {
                    push_u64(out, *steps);
                    out.extend_from_slice(b" steps of its own without a syscall");
                }
            }
            out.extend_from_slice(b"; running or ready:");
            for (i, pid) in processes.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b" " } else { b", " });
                n.push_pid(out, *pid);
            }
        }
        EventKind::TickLimit { limit } => {
            out.extend_from_slice(b"tick-limit ");
            push_u64(out, *limit);
        }
        EventKind::PriorityLent { from, priority, .. } => {
            out.extend_from_slice(b"lend       priority ");
            push_u64(out, u64::from(*priority));
            out.extend_from_slice(b" from ");
            n.push_pid(out, *from);
        }
        EventKind::PriorityReturned { priority, .. } => {
            out.extend_from_slice(b"return     lent priority, back to ");
            push_u64(out, u64::from(*priority));
        }
        EventKind::DeadlockRefused { queue, cycle, .. } => {
            out.extend_from_slice(b"refuse     block on ");
            n.push_queue(out, *queue);
            out.extend_from_slice(b": deadlock, cycle ");
            push_cycle(out, n, cycle);
        }
        EventKind::Migrate { from, to, .. } => {
            out.extend_from_slice(b"migrate    cpu");
            push_u64(out, u64::from(*from));
            out.extend_from_slice(b" -> cpu");
            push_u64(out, u64::from(*to));
        }
        EventKind::Fault { kind } => {
            out.extend_from_slice(b"fault      ");
            push_fault(out, n, kind);
        }
    }
}

/// The text trace's line renderer: each event's line, `{tick:>6} cpu{cpu} {actor:<22}
/// {description}` and a newline, naming what the trace had named by then.
#[derive(Default)]
pub struct TextLines {
    names: Names,
    last: LastTick,
}

impl TextLines {
    /// The names learnt from the events seen.
    pub fn into_names(self) -> Names {
        self.names
    }
}

impl LineWriter for TextLines {
    const TYPICAL_LINE: usize = 72;

    fn line(&mut self, out: &mut Vec<u8>, e: &Event) {
        self.names.learn(&e.kind);
        push_head(out, &mut self.last, e.tick, e.cpu);
        write_actor(out, &self.names, &e.kind);
        write_description(out, &self.names, &e.kind);
        out.push(b'\n');
    }
}

/// Render events as the stable text trace.
pub fn text(events: &[Event]) -> String {
    into_string(render_lines::<TextLines>(events))
}

/// Render events as the stable text trace (the same bytes as [`text`]) straight into `out`,
/// a chunk at a time, so a long trace is never held whole in memory.
pub fn write_text<W: Write>(events: &[Event], out: W) -> std::io::Result<()> {
    write_lines::<TextLines, W>(events, out)
}

/// The text trace written as events come, a chunk at a time: what [`write_text`] does with
/// a finished trace, and what a run does as it goes when the stream is its trace sink
/// ([`Stream::into_sink`], `Machine::stream_trace`), so its events are never stored.
pub type TextStream<W> = Stream<W, TextLines>;

/// A [`TextStream`] that the kernel feeds as its trace sink while the caller holds this
/// handle to finish it once the run is over.
pub type SharedTextStream<W> = SharedStream<W, TextLines>;

#[cfg(test)]
mod tests {
    use abi::{Capacity, Mode};

    #[test]
    fn modes_and_capacities_print_as_their_display_does() {
        for mode in [
            Mode::Blocking,
            Mode::NonBlocking,
            Mode::Timeout(0),
            Mode::Timeout(u64::MAX),
        ] {
            let mut s = Vec::new();
            super::push_mode(&mut s, mode);
            assert_eq!(String::from_utf8(s).unwrap(), mode.to_string());
        }
        for capacity in [
            Capacity::Zero,
            Capacity::Bounded(1),
            Capacity::Bounded(u32::MAX),
            Capacity::Unbounded,
        ] {
            let mut s = Vec::new();
            super::push_capacity(&mut s, capacity);
            assert_eq!(String::from_utf8(s).unwrap(), capacity.to_string());
        }
    }

    #[test]
    fn ticks_print_as_the_tick_column_pads_them() {
        // Every width, at both ends, around the column's six.
        let widths = (0..20).flat_map(|k| {
            let p = 10u64.pow(k);
            [p - 1, p, p + 1, p.saturating_mul(10) - 1]
        });
        for v in widths.chain([u64::MAX - 1, u64::MAX, 1 << 63]) {
            let mut s = Vec::new();
            super::push_tick(&mut s, v);
            assert_eq!(String::from_utf8(s).unwrap(), format!("{v:>6}"));
        }
    }
}
