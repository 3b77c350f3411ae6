//! JSON lines: one JSON object per event, for scripts.
//!
//! This module owns the versioned JSON schema of an event (documented field by field in
//! `docs/trace-format.md`). Every line carries the schema version `v`, then `tick`, `cpu` and
//! `event` (the kind's snake_case name), then the kind's own fields in a fixed (alphabetical)
//! order. Ids are strings as in the text trace (`"p3"`, `"mb0"`, `"p3.1"` once a slot is
//! reused); each id field `x` has a companion `x_name` with the name the trace gave it, or
//! `null` when it has none. Errors are their stable names (`abi::Error::name`).
//!
//! The schema is a contract with scripts: a field is never renamed or removed without bumping
//! [`VERSION`]; adding a field or an event kind is not a breaking change. The module never
//! reads anything but the events, and never panics on any event sequence.
//!
//! Each line is written straight into a byte buffer, field by field in the schema's order,
//! rather than built as a `serde_json` map and serialised: no tree and no temporary strings
//! per field, names found by slot through [`Names`], and the text trace's words for a call,
//! return, fault or queue written in place and escaped there. The bytes are what `serde_json`
//! prints for the same object (its integer form and its string escaping, from the shared
//! `bytes` module). That byte writer is the one definition of the schema: the
//! [`chrome`](super::chrome) trace's instants carry what it writes as their `args`.
//! [`render`] returns the whole trace; [`write_jsonl`] writes the same bytes a chunk at a
//! time, and [`JsonlStream`] writes them as a run makes its events, so they are never stored.

use super::bytes::{
    escape_from, into_string, push_i64, push_mailbox_id, push_opt_str, push_pid_id, push_queue_id,
    push_str, push_u64,
};
use super::stream::{render_lines, write_lines, LineWriter, SharedStream, Stream};
use super::text::{push_call, push_fault, push_ret};
use super::Names;
use abi::{Capacity, Dest, Error, Lifetime, MailboxId, Mode, Pid, Source, Syscall};
use kernel::trace::WaitQueueId;
use kernel::trace::{
    Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause, ReplyDropReason,
};
use std::ops::Range;

/// The schema version every line carries as `"v"`.
pub const VERSION: u64 = 1;

/// The snake_case name of an event kind, as the `event` field carries it.
pub const fn event_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Spawn { .. } => "spawn",
        EventKind::Dispatch { .. } => "dispatch",
        EventKind::Preempt { .. } => "preempt",
        EventKind::Syscall { .. } => "syscall",
        EventKind::BadSyscall { .. } => "bad_syscall",
        EventKind::Return { .. } => "return",
        EventKind::Block { .. } => "block",
        EventKind::Wake { .. } => "wake",
        EventKind::MessageQueued { .. } => "message_queued",
        EventKind::MessageHandedOver { .. } => "message_handed_over",
        EventKind::MessageReceived { .. } => "message_received",
        EventKind::MessagesDropped { .. } => "messages_dropped",
        EventKind::SendAbandoned { .. } => "send_abandoned",
        EventKind::ReplyDelivered { .. } => "reply_delivered",
        EventKind::ReplyDropped { .. } => "reply_dropped",
        EventKind::MailboxCreated { .. } => "mailbox_created",
        EventKind::MailboxDeleted { .. } => "mailbox_deleted",
        EventKind::MailboxTransferred { .. } => "mailbox_transferred",
        EventKind::MailboxOrphaned { .. } => "mailbox_orphaned",
        EventKind::ReceiveGranted { .. } => "receive_granted",
        EventKind::ReceiveRevoked { .. } => "receive_revoked",
        EventKind::RightTransferred { .. } => "right_transferred",
        EventKind::RightVoided { .. } => "right_voided",
        EventKind::SendGranted { .. } => "send_granted",
        EventKind::Sleep { .. } => "sleep",
        EventKind::Yield { .. } => "yield",
        EventKind::Idle { .. } => "idle",
        EventKind::Print { .. } => "print",
        EventKind::Exit { .. } => "exit",
        EventKind::Deadlock { .. } => "deadlock",
        EventKind::Livelock { .. } => "livelock",
        EventKind::TickLimit { .. } => "tick_limit",
        EventKind::PriorityLent { .. } => "priority_lent",
        EventKind::PriorityReturned { .. } => "priority_returned",
        EventKind::DeadlockRefused { .. } => "deadlock_refused",
        EventKind::Migrate { .. } => "migrate",
        EventKind::Fault { .. } => "fault",
    }
}

/// The JSON-lines line renderer: turns events into JSON, knowing the names the trace
/// introduced so far.
///
/// Feed it the events in order ([`LineWriter::line`] learns as it goes), so every line names
/// what the trace had named by then, exactly as the text trace does.
#[derive(Debug, Default)]
pub struct Encoder {
    names: Names,
}

impl Encoder {
    /// `event` (whose names must already be learnt) as one line, without the newline,
    /// appended to `out`.
    fn push_line(&self, out: &mut Vec<u8>, event: &Event) {
        out.extend_from_slice(b"{\"v\":");
        push_u64(out, VERSION);
        out.extend_from_slice(b",\"tick\":");
        push_u64(out, event.tick);
        out.extend_from_slice(b",\"cpu\":");
        push_u64(out, u64::from(event.cpu));
        // Event names are snake_case ASCII: nothing in them to escape.
        out.extend_from_slice(b",\"event\":\"");
        out.extend_from_slice(event_name(&event.kind).as_bytes());
        out.push(b'"');
        Writer::<false>::new(out, &self.names, None).kind(&event.kind);
        out.push(b'}');
    }
}

impl LineWriter for Encoder {
    const TYPICAL_LINE: usize = 192;

    fn line(&mut self, out: &mut Vec<u8>, event: &Event) {
        self.names.learn(&event.kind);
        self.push_line(out, event);
        out.push(b'\n');
    }
}

/// An event's own fields (everything of its line but `v`, `tick`, `cpu` and `event`) and its
/// `tick` among them, as one object, keys sorted, appended to `out`: what a Chrome instant
/// carries as its `args`. `names` are those the trace had introduced by the event.
///
/// Returns where in `out` the event's text is (its call, return or fault as the text trace
/// shows it, escaped for a JSON string, without the quotes), for the kinds that have one, so
/// a caller that shows the text again copies it rather than writing it twice.
pub(super) fn push_fields_with_tick(
    out: &mut Vec<u8>,
    names: &Names,
    kind: &EventKind,
    tick: u64,
) -> Option<Range<usize>> {
    let mut w = Writer::<true>::new(out, names, Some(tick));
    let object = w.open();
    w.kind(kind);
    // Last, where no key sorts after it.
    w.put_tick();
    w.close(object);
    w.text
}

/// The longest key [`Writer::key`] writes with one fixed-size copy (the schema's longest is
/// `expected_burst`, 14 bytes).
const KEY_ROOM: usize = 16;

/// Whether `key` sorts after `tick`, bytewise. By hand rather than `key > "tick"`, which is
/// a call to `memcmp` wherever the key is not a literal (the field writers that take one
/// are not all inlined), and this runs for every field before an instant's tick.
#[inline(always)]
fn sorts_after_tick(key: &str) -> bool {
    const TICK: &[u8] = b"tick";
    let key = key.as_bytes();
    for (k, t) in key.iter().zip(TICK) {
        if k != t {
            return k > t;
        }
    }
    key.len() > TICK.len()
}

/// How a process ended, in one word: its `reason` field.
pub(super) const fn exit_how(reason: &ExitReason) -> &'static str {
    match reason {
        ExitReason::Exit => "exit",
        ExitReason::Returned => "returned",
        ExitReason::Panicked(_) => "panicked",
        ExitReason::Fault(_) => "fault",
        ExitReason::Killed => "killed",
    }
}

/// Writes fields into a line. Every field is written as `,"key":value`, the comma first:
/// an object's first comma is then overwritten with its `{` ([`Writer::open`],
/// [`Writer::close`]), so no field has to know whether it is the first.
///
/// Each kind's fields are written in sorted key order (bytewise, as `serde_json`'s default
/// map keeps them), so the order is fixed here by hand: a field added out of order fails the
/// render tests, which hold every line to what `serde_json` writes for the same fields.
///
/// With `TICK`, the object also has a `tick` field (Chrome's instants carry one in their
/// `args`), written where its key sorts: just before the first key after it. A const
/// parameter, so the JSON lines, which have no such field, pay nothing for the check.
struct Writer<'a, const TICK: bool> {
    out: &'a mut Vec<u8>,
    names: &'a Names,
    /// With `TICK`: the `tick` field's value until it is written.
    tick: Option<u64>,
    /// How many objects are open ([`Writer::open`]): `tick` goes among the fields of the
    /// outermost, not those of an object nested in it.
    depth: u32,
    /// Where the event's text (call, return or fault) was written, escaped, without quotes.
    text: Option<Range<usize>>,
}

impl<'a, const TICK: bool> Writer<'a, TICK> {
    fn new(out: &'a mut Vec<u8>, names: &'a Names, tick: Option<u64>) -> Self {
        Writer {
            out,
            names,
            tick,
            depth: 0,
            text: None,
        }
    }

    /// `,"key":`: what every field starts with (after `tick`, when this key is the first
    /// that sorts after it).
    // Inlined where the key is a literal, the field is put together at compile time and
    // written as one fixed-size copy, the rest of it cut off again (a store or two, rather
    // than three copies or a call to `memcpy`), and the comparison with `tick` is made at
    // compile time too; so are the small field writers below that take a key. (Not those of
    // ids with their names: repeated at every such field, their code outgrew the
    // instruction cache, which cost more than the calls.)
    #[inline(always)]
    fn key(&mut self, key: &str) {
        if TICK && self.tick.is_some() && self.depth == 1 && sorts_after_tick(key) {
            self.put_tick();
        }
        let len = key.len();
        if len <= KEY_ROOM {
            let mut field = [0; KEY_ROOM + 4];
            field[..2].copy_from_slice(b",\"");
            field[2..2 + len].copy_from_slice(key.as_bytes());
            field[2 + len..4 + len].copy_from_slice(b"\":");
            self.out.extend_from_slice(&field);
            self.out.truncate(self.out.len() - (KEY_ROOM - len));
        } else {
            self.out.extend_from_slice(b",\"");
            self.out.extend_from_slice(key.as_bytes());
            self.out.extend_from_slice(b"\":");
        }
    }

    #[inline(always)]
    fn u64(&mut self, key: &str, v: u64) {
        self.key(key);
        push_u64(self.out, v);
    }

    #[inline(always)]
    fn i64(&mut self, key: &str, v: i64) {
        self.key(key);
        push_i64(self.out, v);
    }

    #[inline(always)]
    fn bool(&mut self, key: &str, v: bool) {
        self.key(key);
        self.out
            .extend_from_slice(if v { b"true".as_slice() } else { b"false" });
    }

    #[inline(always)]
    fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        push_str(self.out, v);
    }

    #[inline(always)]
    fn opt_str(&mut self, key: &str, v: Option<&str>) {
        self.key(key);
        push_opt_str(self.out, v);
    }

    /// A key that is left out, not `null`, when it has no value: a setting shown only when
    /// it is not the default.
    fn str_if_set(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }

    #[inline(always)]
    fn opt_u64(&mut self, key: &str, v: Option<u64>) {
        self.key(key);
        match v {
            Some(v) => push_u64(self.out, v),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    #[inline(always)]
    fn null(&mut self, key: &str) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }

    /// The `tick` field, unless it has been written (or there is none).
    fn put_tick(&mut self) {
        if let Some(tick) = self.tick.take() {
            self.out.extend_from_slice(b",\"tick\":");
            push_u64(self.out, tick);
        }
    }

    /// `key` as a JSON string of what `write` writes: the text trace's words, written
    /// straight into the line and escaped there. Returns where the string's contents are.
    #[inline(always)]
    fn shown(&mut self, key: &str, write: impl FnOnce(&Names, &mut Vec<u8>)) -> Range<usize> {
        self.key(key);
        self.out.push(b'"');
        let start = self.out.len();
        write(self.names, self.out);
        // The words are raw text: a name in them may bring quotes or control characters.
        escape_from(self.out, start);
        let contents = start..self.out.len();
        self.out.push(b'"');
        contents
    }

    /// `text`: the event's call, return or fault, as the text trace shows it.
    fn text(&mut self, write: impl FnOnce(&Names, &mut Vec<u8>)) {
        self.text = Some(self.shown("text", write));
    }

    /// The start of an object's fields: where its `{` goes.
    fn open(&mut self) -> usize {
        self.depth += 1;
        self.out.len()
    }

    /// The end of the object whose fields began at `start`.
    fn close(&mut self, start: usize) {
        self.depth = self.depth.saturating_sub(1);
        match self.out.get_mut(start) {
            // The first field's comma.
            Some(comma) => *comma = b'{',
            None => self.out.push(b'{'),
        }
        self.out.push(b'}');
    }

    /// A process id as a string, `"p3"`.
    #[inline(always)]
    fn pid_id(&mut self, key: &str, pid: Pid) {
        self.key(key);
        self.out.push(b'"');
        push_pid_id(self.out, pid);
        self.out.push(b'"');
    }

    /// A process's name, or `null`.
    #[inline(always)]
    fn pid_name(&mut self, key: &str, pid: Pid) {
        self.opt_str(key, self.names.process_name(pid));
    }

    /// The process an event is about: `name` and `pid`. (Written apart where a key sorts
    /// between the two.)
    fn subject(&mut self, pid: Pid) {
        self.pid_name("name", pid);
        self.pid_id("pid", pid);
    }

    /// A process field `key` and its `key_name`.
    fn pid(&mut self, key: &str, key_name: &str, pid: Pid) {
        self.pid_id(key, pid);
        self.pid_name(key_name, pid);
    }

    /// An optional process field: both `null` when absent.
    fn opt_pid(&mut self, key: &str, key_name: &str, pid: Option<Pid>) {
        match pid {
            Some(p) => self.pid(key, key_name, p),
            None => {
                self.null(key);
                self.null(key_name);
            }
        }
    }

    /// A mailbox field `key` and its `key_name`.
    fn mailbox(&mut self, key: &str, key_name: &str, id: MailboxId) {
        self.key(key);
        self.out.push(b'"');
        push_mailbox_id(self.out, id);
        self.out.push(b'"');
        self.opt_str(key_name, self.names.mailbox_name(id));
    }

    /// A destination: `"p3"` or `"mb0"` (the prefix tells which) and its name.
    fn dest(&mut self, key: &str, key_name: &str, dest: Dest) {
        match dest {
            Dest::Process(p) => self.pid(key, key_name, p),
            Dest::Mailbox(m) => self.mailbox(key, key_name, m),
        }
    }

    /// A wait queue: `"mb0.senders"` and, as `key_name`, `"mb0:buffer.senders"`.
    fn queue(&mut self, key: &str, key_name: &str, q: WaitQueueId) {
        self.key(key);
        self.out.push(b'"');
        push_queue_id(self.out, q);
        self.out.push(b'"');
        // The text trace's own words for it, so the two never drift apart.
        self.shown(key_name, |n, out| n.push_queue(out, q));
    }

    /// A capacity: its count as a number, or `"unbounded"`.
    fn capacity(&mut self, key: &str, c: Capacity) {
        match c {
            Capacity::Zero => self.u64(key, 0),
            Capacity::Bounded(n) => self.u64(key, u64::from(n)),
            Capacity::Unbounded => self.str(key, "unbounded"),
        }
    }

    /// `mode`: `blocking`, `nonblocking` or `timeout`. Its [`Writer::timeout`] is a field of
    /// its own, as `reply_len` and `source` sort between the two.
    fn mode(&mut self, mode: Mode) {
        self.str(
            "mode",
            match mode {
                Mode::Blocking => "blocking",
                Mode::NonBlocking => "nonblocking",
                Mode::Timeout(_) => "timeout",
            },
        );
    }

    /// `timeout`: the mode's ticks, or `null` for a mode without one.
    fn timeout(&mut self, mode: Mode) {
        self.opt_u64(
            "timeout",
            match mode {
                Mode::Timeout(t) => Some(t),
                Mode::Blocking | Mode::NonBlocking => None,
            },
        );
    }

    /// `key` as an array of the processes' `{"name", "pid"}` objects.
    fn cycle(&mut self, key: &str, pids: &[Pid]) {
        self.key(key);
        self.out.push(b'[');
        for (i, p) in pids.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            let object = self.open();
            self.subject(*p);
            self.close(object);
        }
        self.out.push(b']');
    }

    /// The kind's own fields, keys sorted.
    fn kind(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Spawn {
                pid,
                parent,
                program,
                arg,
                inbox,
                priority,
                ..
            } => {
                self.u64("arg", *arg);
                self.capacity("inbox", *inbox);
                self.pid_name("name", *pid);
                self.opt_pid("parent", "parent_name", *parent);
                self.pid_id("pid", *pid);
                self.u64("priority", u64::from(*priority));
                self.str("program", program);
            }
            EventKind::Dispatch { pid } | EventKind::Yield { pid } => self.subject(*pid),
            EventKind::Preempt { pid, burst_left } => {
                self.u64("burst_left", *burst_left);
                self.subject(*pid);
            }
            EventKind::Syscall { pid, call } => {
                self.key("args");
                let object = self.open();
                self.args(call);
                self.close(object);
                self.subject(*pid);
                self.str("syscall", call.sysno().name());
                self.text(|n, out| push_call(out, n, call));
            }
            EventKind::BadSyscall { pid, sysno, error } => {
                self.str("error", error.name());
                self.subject(*pid);
                self.u64("sysno", *sysno);
            }
            EventKind::Return { pid, sysno, ret } => {
                let ok = ret[0] == 0;
                let error = (!ok).then(|| Error::from_code(ret[0]).map_or("unknown", |e| e.name()));
                self.opt_str("error", error);
                self.pid_name("name", *pid);
                self.bool("ok", ok);
                self.pid_id("pid", *pid);
                self.key("ret");
                self.out.push(b'[');
                push_u64(self.out, ret[1]);
                self.out.push(b',');
                push_u64(self.out, ret[2]);
                self.out.push(b',');
                push_u64(self.out, ret[3]);
                self.out.push(b']');
                self.opt_str("syscall", sysno.map(|s| s.name()));
                self.text(|n, out| push_ret(out, n, *sysno, ret));
            }
            EventKind::Block {
                pid,
                queue,
                deadline,
            } => {
                self.opt_u64("deadline", *deadline);
                self.subject(*pid);
                self.queue("queue", "queue_name", *queue);
            }
            EventKind::Wake { pid, by, reason } => {
                self.opt_pid("by", "by_name", *by);
                self.subject(*pid);
                self.str("reason", reason.name());
            }
            EventKind::MessageQueued {
                msg,
                from,
                to,
                len,
                depth,
                call,
            } => {
                self.bool("call", *call);
                self.u64("depth", *depth as u64);
                self.pid("from", "from_name", *from);
                self.u64("len", *len as u64);
                self.u64("msg", *msg);
                self.dest("to", "to_name", *to);
            }
            EventKind::MessageHandedOver {
                msg,
                from,
                to,
                via,
                len,
                call,
            } => {
                self.bool("call", *call);
                self.pid("from", "from_name", *from);
                self.u64("len", *len as u64);
                self.u64("msg", *msg);
                self.pid("to", "to_name", *to);
                self.dest("via", "via_name", *via);
            }
            EventKind::MessageReceived {
                msg,
                from,
                by,
                via,
                len,
            } => {
                self.pid("by", "by_name", *by);
                self.pid("from", "from_name", *from);
                self.u64("len", *len as u64);
                self.u64("msg", *msg);
                self.dest("via", "via_name", *via);
            }
            EventKind::MessagesDropped { via, count, reason } => {
                self.u64("count", *count as u64);
                self.str("reason", reason.name());
                self.dest("via", "via_name", *via);
            }
            EventKind::SendAbandoned { pid, to, error } => {
                self.str("error", error.name());
                self.subject(*pid);
                self.dest("to", "to_name", *to);
            }
            EventKind::ReplyDelivered { from, to, len } => {
                self.pid("from", "from_name", *from);
                self.u64("len", *len as u64);
                self.pid("to", "to_name", *to);
            }
            EventKind::ReplyDropped { from, to, reason } => {
                self.pid("from", "from_name", *from);
                self.str(
                    "reason",
                    match reason {
                        ReplyDropReason::NoSuchProcess => "no_such_process",
                        ReplyDropReason::NotWaiting => "not_waiting",
                    },
                );
                self.pid("to", "to_name", *to);
            }
            EventKind::MailboxCreated {
                id,
                owner,
                capacity,
                overflow,
                receivers,
                lifetime,
                ..
            } => {
                self.capacity("capacity", *capacity);
                self.str_if_set(
                    "lifetime",
                    (*lifetime != Lifetime::Owner).then_some(lifetime.name()),
                );
                self.mailbox("mailbox", "mailbox_name", *id);
                self.str("overflow", overflow.name());
                self.pid("owner", "owner_name", *owner);
                self.str_if_set(
                    "receivers",
                    receivers.is_shared().then_some(receivers.name()),
                );
            }
            EventKind::MailboxDeleted {
                id,
                by,
                dropped,
                woken,
            } => {
                self.pid("by", "by_name", *by);
                self.u64("dropped", *dropped as u64);
                self.mailbox("mailbox", "mailbox_name", *id);
                self.u64("woken", *woken as u64);
            }
            EventKind::MailboxTransferred { id, from, to } => {
                self.pid("from", "from_name", *from);
                self.mailbox("mailbox", "mailbox_name", *id);
                self.pid("to", "to_name", *to);
            }
            EventKind::MailboxOrphaned { id, from } => {
                self.pid("from", "from_name", *from);
                self.mailbox("mailbox", "mailbox_name", *id);
            }
            EventKind::ReceiveGranted { id, by, to } => {
                self.pid("by", "by_name", *by);
                self.mailbox("mailbox", "mailbox_name", *id);
                self.pid("to", "to_name", *to);
            }
            EventKind::RightTransferred {
                msg,
                right,
                from,
                to,
            } => {
                self.pid("from", "from_name", *from);
                self.str("kind", right.name());
                self.mailbox("mailbox", "mailbox_name", right.mailbox());
                self.u64("msg", *msg);
                self.pid("to", "to_name", *to);
            }
            EventKind::RightVoided { msg, right, from } => {
                self.pid("from", "from_name", *from);
                self.str("kind", right.name());
                self.mailbox("mailbox", "mailbox_name", right.mailbox());
                self.u64("msg", *msg);
            }
            EventKind::SendGranted { id, by, to } => {
                self.pid("by", "by_name", *by);
                self.mailbox("mailbox", "mailbox_name", *id);
                self.pid("to", "to_name", *to);
            }
            EventKind::ReceiveRevoked { id, by, from } => {
                self.pid("by", "by_name", *by);
                self.pid("from", "from_name", *from);
                self.mailbox("mailbox", "mailbox_name", *id);
            }
            EventKind::Sleep { pid, until } => {
                self.subject(*pid);
                self.u64("until", *until);
            }
            EventKind::Idle { until } => self.u64("until", *until),
            EventKind::Print { pid, text } => {
                self.subject(*pid);
                self.str("text", text);
            }
            EventKind::Exit { pid, code, reason } => {
                let message = match reason {
                    ExitReason::Panicked(m) | ExitReason::Fault(m) => Some(m.as_str()),
                    ExitReason::Exit | ExitReason::Returned | ExitReason::Killed => None,
                };
                self.i64("code", i64::from(*code));
                self.opt_str("message", message);
                self.subject(*pid);
                self.str("reason", exit_how(reason));
            }
            EventKind::Deadlock { cycle, blocked } => {
                self.key("blocked");
                self.out.push(b'[');
                for (i, w) in blocked.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    let object = self.open();
                    self.opt_pid("holder", "holder_name", w.holder);
                    self.subject(w.pid);
                    self.queue("queue", "queue_name", w.queue);
                    self.close(object);
                }
                self.out.push(b']');
                self.cycle("cycle", cycle);
            }
            EventKind::Livelock { cause, processes } => match cause {
                LivelockCause::Steps { steps } => {
                    self.str("cause", "steps");
                    // No process stopped time: the subject is absent, not missing.
                    self.opt_str("name", None);
                    self.opt_str("pid", None);
                    self.cycle("processes", processes);
                    self.u64("steps", *steps);
                }
                LivelockCause::Spinning { pid, steps } => {
                    self.str("cause", "spinning");
                    self.subject(*pid);
                    self.cycle("processes", processes);
                    self.u64("steps", *steps);
                }
            },
            EventKind::TickLimit { limit } => self.u64("limit", *limit),
            EventKind::PriorityLent { from, to, priority } => {
                self.pid("from", "from_name", *from);
                self.u64("priority", u64::from(*priority));
                self.pid("to", "to_name", *to);
            }
            EventKind::PriorityReturned { pid, priority } => {
                self.subject(*pid);
                self.u64("priority", u64::from(*priority));
            }
            EventKind::DeadlockRefused { pid, queue, cycle } => {
                self.cycle("cycle", cycle);
                self.subject(*pid);
                self.queue("queue", "queue_name", *queue);
            }
            EventKind::Migrate { pid, from, to } => {
                self.u64("from_cpu", u64::from(*from));
                self.subject(*pid);
                self.u64("to_cpu", u64::from(*to));
            }
            EventKind::Fault { kind } => {
                let subject = match kind {
                    FaultKind::Kill { pid, .. } => Some(*pid),
                    FaultKind::Lose { from, .. }
                    | FaultKind::Delay { from, .. }
                    | FaultKind::Arrive { from, .. } => Some(*from),
                    FaultKind::KillMissed { .. } | FaultKind::ClockJump { .. } => None,
                };
                self.key("args");
                let object = self.open();
                self.fault_args(kind);
                self.close(object);
                self.str("fault", kind.name());
                match subject {
                    Some(p) => self.subject(p),
                    None => {
                        self.null("name");
                        self.null("pid");
                    }
                }
                self.text(|n, out| push_fault(out, n, kind));
            }
        }
    }

    /// A fault's own fields, ids named, keys sorted.
    fn fault_args(&mut self, kind: &FaultKind) {
        let cause = |w: &mut Self, c: KillCause| {
            let (how, at) = match c {
                KillCause::Tick(t) => ("tick", t),
                KillCause::Syscall(n) => ("syscall", n),
            };
            w.u64("at", at);
            w.str("cause", how);
        };
        match kind {
            FaultKind::Kill { cause: c, .. } => cause(self, *c),
            FaultKind::KillMissed { name, tick } => {
                cause(self, KillCause::Tick(*tick));
                self.str("process", name);
            }
            FaultKind::Lose {
                msg, to, len, call, ..
            } => {
                self.bool("call", *call);
                self.u64("len", *len as u64);
                self.u64("msg", *msg);
                self.dest("to", "to_name", *to);
            }
            FaultKind::Delay {
                msg,
                to,
                until,
                behind,
                ..
            } => {
                self.opt_u64("behind", *behind);
                self.u64("msg", *msg);
                self.dest("to", "to_name", *to);
                self.u64("until", *until);
            }
            FaultKind::Arrive { msg, to, .. } => {
                self.u64("msg", *msg);
                self.dest("to", "to_name", *to);
            }
            FaultKind::ClockJump { from, to } => {
                self.u64("from_tick", *from);
                self.u64("to_tick", *to);
            }
        }
    }

    /// A syscall's arguments, ids named, keys sorted.
    fn args(&mut self, call: &Syscall) {
        match *call {
            Syscall::CreateMailbox {
                capacity,
                name_len,
                overflow,
                receivers,
                lifetime,
            } => {
                self.capacity("capacity", capacity);
                // The sharing choices only when not the default, so lines of programs that
                // never chose them read as they always have.
                self.str_if_set(
                    "lifetime",
                    (lifetime != Lifetime::Owner).then_some(lifetime.name()),
                );
                self.u64("name_len", name_len);
                self.str("overflow", overflow.name());
                self.str_if_set(
                    "receivers",
                    receivers.is_shared().then_some(receivers.name()),
                );
            }
            Syscall::DeleteMailbox { mailbox } => self.mailbox("mailbox", "mailbox_name", mailbox),
            Syscall::LookupMailbox { name_len } => self.u64("name_len", name_len),
            Syscall::TransferMailbox { mailbox, to }
            | Syscall::GrantReceive { mailbox, to }
            | Syscall::GrantSend { mailbox, to } => {
                self.mailbox("mailbox", "mailbox_name", mailbox);
                self.pid("to", "to_name", to);
            }
            Syscall::RevokeReceive { mailbox, from } => {
                self.pid("from", "from_name", from);
                self.mailbox("mailbox", "mailbox_name", mailbox);
            }
            Syscall::SendRight {
                dest,
                len,
                mode,
                right,
            } => {
                self.dest("dest", "dest_name", dest);
                self.u64("len", len);
                self.mode(mode);
                self.str("right", right.name());
                self.mailbox("right_mailbox", "right_mailbox_name", right.mailbox());
                self.timeout(mode);
            }
            Syscall::Send { dest, len, mode } => {
                self.dest("dest", "dest_name", dest);
                self.u64("len", len);
                self.mode(mode);
                self.timeout(mode);
            }
            Syscall::Select {
                count,
                buf_len,
                mode,
            } => {
                self.u64("buf_len", buf_len);
                self.u64("count", count);
                self.mode(mode);
                self.timeout(mode);
            }
            Syscall::Receive {
                source,
                buf_len,
                mode,
            } => {
                self.u64("buf_len", buf_len);
                self.mode(mode);
                match source {
                    Source::Process(p) => self.pid("source", "source_name", p),
                    Source::Mailbox(m) => self.mailbox("source", "source_name", m),
                    Source::Any => {
                        self.str("source", "any");
                        self.null("source_name");
                    }
                }
                self.timeout(mode);
            }
            Syscall::Call {
                dest,
                len,
                mode,
                reply_len,
            } => {
                self.dest("dest", "dest_name", dest);
                self.u64("len", len);
                self.mode(mode);
                self.u64("reply_len", reply_len);
                self.timeout(mode);
            }
            Syscall::Reply { to, len } => {
                self.u64("len", len);
                self.pid("to", "to_name", to);
            }
            Syscall::Spawn {
                program_len,
                label_len,
                arg,
                inbox,
                priority,
                expected_burst,
                arrival,
            } => {
                self.u64("arg", arg);
                // Only when declared, as in the text trace.
                if let Some(at) = arrival {
                    self.u64("arrival", at);
                }
                // Only when declared, as in the text trace: older traces keep their shape.
                if expected_burst > 0 {
                    self.u64("expected_burst", expected_burst);
                }
                self.capacity("inbox", inbox);
                self.u64("label_len", label_len);
                self.u64("priority", u64::from(priority));
                self.u64("program_len", program_len);
            }
            Syscall::Exit { code } => self.i64("code", i64::from(code)),
            Syscall::Wait { child, mode } => {
                self.pid("child", "child_name", child);
                self.mode(mode);
                self.timeout(mode);
            }
            Syscall::GetPid | Syscall::Yield => {}
            Syscall::Sleep { ticks } | Syscall::Compute { ticks } => self.u64("ticks", ticks),
            Syscall::Print { len } => self.u64("len", len),
        }
    }
}

/// Render events as JSON lines: one object per line, each line ending in `\n`.
pub fn render(events: &[Event]) -> String {
    into_string(render_lines::<Encoder>(events))
}

/// Render events as JSON lines (the same bytes as [`render`]) straight into `out`, a chunk
/// at a time, so a long trace is never held whole in memory. Stops at the first write that
/// fails and returns its error.
pub fn write_jsonl<W: std::io::Write>(events: &[Event], out: W) -> std::io::Result<()> {
    write_lines::<Encoder, W>(events, out)
}

/// JSON lines written as events come, a chunk at a time: the bytes of [`render`] and
/// [`write_jsonl`], for a run that hands each event to the stream as it happens
/// ([`Stream::into_sink`], `Machine::stream_trace`), so its events are never stored.
pub type JsonlStream<W> = Stream<W, Encoder>;

/// A [`JsonlStream`] that the kernel feeds as its trace sink while the caller holds this
/// handle to finish it once the run is over.
pub type SharedJsonlStream<W> = SharedStream<W, Encoder>;

#[cfg(test)]
mod tests {
    #[test]
    fn the_tick_is_placed_in_bytewise_key_order() {
        let keys = [
            "", "a", "s", "t", "te", "text", "ti", "tia", "tic", "tick", "tick_", "ticks", "tid",
            "timeout", "tj", "to", "to_name", "u", "z", "~",
        ];
        for key in keys {
            assert_eq!(super::sorts_after_tick(key), key > "tick", "{key:?}");
        }
    }
}
