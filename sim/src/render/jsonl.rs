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
//! Traces run to millions of events, so each line is written straight into a byte buffer,
//! field by field in the schema's order, rather than built as a `serde_json` map and
//! serialised: no tree and no temporary strings per field, names found by slot through
//! [`Names`], and the text trace's words for a call, return, fault or queue written in place
//! and escaped there. The bytes are what `serde_json` would print for the same object (its
//! integer form and its string escaping, from the shared `bytes` module); the tests hold them
//! to the map-building encoder this one replaced. That byte writer is the one definition of
//! the schema: [`Encoder::fields`], for renderers that want the fields as values, parses what
//! it writes, and the [`chrome`](super::chrome) trace's instants carry what it writes as
//! their `args`. [`render`] returns the whole trace; [`write_jsonl`] writes the same bytes a
//! chunk at a time, and [`JsonlStream`] writes them as a run makes its events, so they are
//! never stored.

use super::bytes::{
    escape_from, into_string, push_i64, push_mailbox_id, push_opt_str, push_pid_id, push_queue_id,
    push_str, push_u64,
};
use super::Names;
use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source, Syscall};
use kernel::ipc::WaitQueueId;
use kernel::trace::TraceSink;
use kernel::trace::{
    Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause, ReplyDropReason,
};
use serde_json::{Map, Value};
use std::ops::Range;
use std::sync::{Arc, Mutex};

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

/// Turns events into JSON, knowing the names the trace introduced so far.
///
/// Feed it the events in order ([`Encoder::line`] learns as it goes), so every line names
/// what the trace had named by then, exactly as the text trace does.
#[derive(Debug, Default)]
pub struct Encoder {
    names: Names,
}

impl Encoder {
    /// An encoder that knows no names yet.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Learn the names an event introduces.
    pub fn learn(&mut self, kind: &EventKind) {
        self.names.learn(kind);
    }

    /// The names learnt so far, for renderers that show `p3:name` text.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Learn from `event`, then encode it as one line (without the newline).
    pub fn line(&mut self, event: &Event) -> String {
        self.learn(&event.kind);
        let mut out = Vec::with_capacity(256);
        self.push_line(&mut out, event);
        into_string(out)
    }

    /// The kind's own fields (everything but `v`, `tick`, `cpu` and `event`), keys sorted:
    /// what [`Encoder::line`] writes, as values.
    pub fn fields(&self, kind: &EventKind) -> Map<String, Value> {
        let mut out = Vec::with_capacity(256);
        let mut w = Writer::<false>::new(&mut out, &self.names, None);
        let object = w.open();
        w.kind(kind);
        w.close(object);
        // Read back rather than built a second way, so the values can never say other than
        // the line does. What the writer writes always parses (the tests parse every kind);
        // were it ever not to, an empty map is a wrong answer but not a crash.
        serde_json::from_slice(&out).unwrap_or_default()
    }

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

/// An event's fields (those of [`Encoder::fields`]) and its `tick` among them, as one object,
/// keys sorted, appended to `out`: what a Chrome instant carries as its `args`. `names` are
/// those the trace had introduced by the event.
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
/// tests against the reference encoder.
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
                self.text(|n, out| n.push_call(out, call));
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
                self.text(|n, out| n.push_ret(out, *sysno, ret));
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
                ..
            } => {
                self.capacity("capacity", *capacity);
                self.mailbox("mailbox", "mailbox_name", *id);
                self.str("overflow", overflow.name());
                self.pid("owner", "owner_name", *owner);
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
                self.text(|n, out| n.push_fault(out, kind));
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
            } => {
                self.capacity("capacity", capacity);
                self.u64("name_len", name_len);
                self.str("overflow", overflow.name());
            }
            Syscall::DeleteMailbox { mailbox } => self.mailbox("mailbox", "mailbox_name", mailbox),
            Syscall::LookupMailbox { name_len } => self.u64("name_len", name_len),
            Syscall::TransferMailbox { mailbox, to } => {
                self.mailbox("mailbox", "mailbox_name", mailbox);
                self.pid("to", "to_name", to);
            }
            Syscall::Send { dest, len, mode } => {
                self.dest("dest", "dest_name", dest);
                self.u64("len", len);
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
            } => {
                self.u64("arg", arg);
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

/// How much a [`write_jsonl`] gathers before it writes: big enough that a write is one
/// system call per many lines, small enough to stay in the cache.
const CHUNK: usize = 64 * 1024;

/// Every event's line, each ending in `\n`, appended to `buf`; whenever `buf` holds
/// [`CHUNK`] bytes or more it is handed to `spill` (which may empty it). The one loop behind
/// both [`render`] and [`write_jsonl`].
fn encode(
    events: &[Event],
    buf: &mut Vec<u8>,
    mut spill: impl FnMut(&mut Vec<u8>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut enc = Encoder::new();
    for e in events {
        enc.learn(&e.kind);
        enc.push_line(buf, e);
        buf.push(b'\n');
        if buf.len() >= CHUNK {
            spill(buf)?;
        }
    }
    Ok(())
}

/// Render events as JSON lines: one object per line, each line ending in `\n`.
pub fn render(events: &[Event]) -> String {
    // Lines run to 150-250 bytes: one allocation up front saves most of the doublings.
    let mut out = Vec::with_capacity(events.len().saturating_mul(192));
    // The whole trace stays in `out`: nothing to spill, and nothing that can fail.
    let _ = encode(events, &mut out, |_| Ok(()));
    into_string(out)
}

/// Render events as JSON lines (the same bytes as [`render`]) straight into `out`, a chunk
/// at a time, so a long trace is never held whole in memory. Stops at the first write that
/// fails and returns its error.
pub fn write_jsonl<W: std::io::Write>(events: &[Event], mut out: W) -> std::io::Result<()> {
    let mut chunk = Vec::with_capacity(CHUNK + 1024);
    encode(events, &mut chunk, |chunk| {
        out.write_all(chunk)?;
        chunk.clear();
        Ok(())
    })?;
    out.write_all(&chunk)?;
    out.flush()
}

/// JSON lines written as events come, a chunk at a time: the bytes of [`render`] and
/// [`write_jsonl`], for a run that hands each event to the stream as it happens
/// ([`JsonlStream::into_sink`], `Machine::stream_trace`), so its events are never stored.
pub struct JsonlStream<W: std::io::Write> {
    enc: Encoder,
    chunk: Vec<u8>,
    out: W,
    /// The first write that failed; nothing more is written after it.
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> JsonlStream<W> {
    /// A stream writing to `out`.
    pub fn new(out: W) -> Self {
        JsonlStream {
            enc: Encoder::new(),
            chunk: Vec::with_capacity(CHUNK + 1024),
            out,
            error: None,
        }
    }

    /// Encode one more event: its line, as [`render`] writes it.
    pub fn line(&mut self, e: &Event) {
        self.enc.learn(&e.kind);
        self.enc.push_line(&mut self.chunk, e);
        self.chunk.push(b'\n');
        if self.chunk.len() >= CHUNK {
            self.write_chunk();
        }
    }

    fn write_chunk(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.chunk) {
                self.error = Some(e);
            }
        }
        self.chunk.clear();
    }

    /// Write what is left and flush; the writer back, or the first error.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.write_chunk();
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush().map(|()| self.out),
        }
    }

    /// This stream shared between the kernel, which feeds it as its trace sink, and the
    /// caller, who finishes it after the run.
    pub fn into_sink(self) -> (SharedJsonlStream<W>, Box<dyn TraceSink>)
    where
        W: Send + 'static,
    {
        let shared = SharedJsonlStream(Arc::new(Mutex::new(Some(self))));
        let sink = Box::new(SharedJsonlStream(Arc::clone(&shared.0)));
        (shared, sink)
    }
}

/// A [`JsonlStream`] that the kernel feeds as its trace sink while the caller holds this
/// handle to finish it ([`SharedJsonlStream::finish`]) once the run is over. (As
/// `SharedTextStream`: the kernel is `Send`, so its sink is, behind a mutex that only one
/// side takes at a time.)
pub struct SharedJsonlStream<W: std::io::Write>(Arc<Mutex<Option<JsonlStream<W>>>>);

impl<W: std::io::Write> SharedJsonlStream<W> {
    /// Finish the stream ([`JsonlStream::finish`]). Events that come after this are dropped.
    pub fn finish(self) -> std::io::Result<W> {
        let stream = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        match stream {
            Some(stream) => stream.finish(),
            None => Err(std::io::Error::other(
                "the trace stream was already finished",
            )),
        }
    }
}

impl<W: std::io::Write + Send> TraceSink for SharedJsonlStream<W> {
    fn record(&mut self, event: &Event) {
        if let Some(stream) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            stream.line(event);
        }
    }
}

/// The encoder as it was before it wrote straight into its output: a `serde_json` map per
/// event, sorted and serialised. Kept verbatim as the oracle the fast one must match byte
/// for byte (lines) and value for value ([`Encoder::fields`]). The Chrome renderer's
/// reference takes its instants' fields from here too.
#[cfg(test)]
pub(crate) mod reference {
    use super::{event_name, VERSION};
    use crate::render::Names;
    use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source, Syscall};
    use kernel::ipc::WaitQueueId;
    use kernel::trace::{
        Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause, ReplyDropReason,
    };
    use serde_json::{json, Map, Value};

    /// Turns events into JSON, knowing the names the trace introduced so far.
    #[derive(Debug, Default)]
    pub struct Encoder {
        names: Names,
    }

    impl Encoder {
        /// An encoder that knows no names yet.
        pub fn new() -> Encoder {
            Encoder::default()
        }

        /// Learn the names an event introduces.
        pub fn learn(&mut self, kind: &EventKind) {
            self.names.learn(kind);
        }

        /// The names learnt so far, for renderers that show `p3:name` text.
        pub fn names(&self) -> &Names {
            &self.names
        }

        /// Learn from `event`, then encode it as one line (without the newline).
        pub fn line(&mut self, event: &Event) -> String {
            self.learn(&event.kind);
            let mut out = format!(
                "{{\"v\":{VERSION},\"tick\":{},\"cpu\":{},\"event\":\"{}\"",
                event.tick,
                event.cpu,
                event_name(&event.kind)
            );
            // Sorted here rather than trusting the map: serde_json keeps insertion order
            // instead when any crate in the build turns on its `preserve_order` feature.
            let mut fields: Vec<(String, Value)> = self.fields(&event.kind).into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in fields {
                // Keys are plain ASCII chosen here and values are serde_json values: neither
                // serialisation can fail.
                out.push(',');
                out.push_str(&Value::String(k).to_string());
                out.push(':');
                out.push_str(&v.to_string());
            }
            out.push('}');
            out
        }

        /// The kind's own fields (everything but `v`, `tick`, `cpu` and `event`), keys sorted.
        pub fn fields(&self, kind: &EventKind) -> Map<String, Value> {
            let mut f = Fields::default();
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
                    self.subject(&mut f, *pid);
                    self.opt_pid(&mut f, "parent", *parent);
                    f.put("program", json!(program));
                    f.put("arg", json!(arg));
                    f.put("inbox", capacity(*inbox));
                    f.put("priority", json!(priority));
                }
                EventKind::Dispatch { pid } | EventKind::Yield { pid } => {
                    self.subject(&mut f, *pid)
                }
                EventKind::Preempt { pid, burst_left } => {
                    self.subject(&mut f, *pid);
                    f.put("burst_left", json!(burst_left));
                }
                EventKind::Syscall { pid, call } => {
                    self.subject(&mut f, *pid);
                    f.put("syscall", json!(call.sysno().name()));
                    f.put("args", Value::Object(self.args(call)));
                    f.put("text", json!(self.names.call(call)));
                }
                EventKind::BadSyscall { pid, sysno, error } => {
                    self.subject(&mut f, *pid);
                    f.put("sysno", json!(sysno));
                    f.put("error", json!(error.name()));
                }
                EventKind::Return { pid, sysno, ret } => {
                    self.subject(&mut f, *pid);
                    f.put("syscall", json!(sysno.map(|s| s.name())));
                    let ok = ret[0] == 0;
                    f.put("ok", json!(ok));
                    let error =
                        (!ok).then(|| Error::from_code(ret[0]).map_or("unknown", |e| e.name()));
                    f.put("error", json!(error));
                    f.put("ret", json!([ret[1], ret[2], ret[3]]));
                    f.put("text", json!(self.names.ret(*sysno, ret)));
                }
                EventKind::Block {
                    pid,
                    queue,
                    deadline,
                } => {
                    self.subject(&mut f, *pid);
                    self.queue(&mut f, "queue", *queue);
                    f.put("deadline", json!(deadline));
                }
                EventKind::Wake { pid, by, reason } => {
                    self.subject(&mut f, *pid);
                    self.opt_pid(&mut f, "by", *by);
                    f.put("reason", json!(reason.name()));
                }
                EventKind::MessageQueued {
                    msg,
                    from,
                    to,
                    len,
                    depth,
                    call,
                } => {
                    f.put("msg", json!(msg));
                    self.pid(&mut f, "from", *from);
                    self.dest(&mut f, "to", *to);
                    f.put("len", json!(len));
                    f.put("depth", json!(depth));
                    f.put("call", json!(call));
                }
                EventKind::MessageHandedOver {
                    msg,
                    from,
                    to,
                    via,
                    len,
                    call,
                } => {
                    f.put("msg", json!(msg));
                    self.pid(&mut f, "from", *from);
                    self.pid(&mut f, "to", *to);
                    self.dest(&mut f, "via", *via);
                    f.put("len", json!(len));
                    f.put("call", json!(call));
                }
                EventKind::MessageReceived {
                    msg,
                    from,
                    by,
                    via,
                    len,
                } => {
                    f.put("msg", json!(msg));
                    self.pid(&mut f, "from", *from);
                    self.pid(&mut f, "by", *by);
                    self.dest(&mut f, "via", *via);
                    f.put("len", json!(len));
                }
                EventKind::MessagesDropped { via, count, reason } => {
                    self.dest(&mut f, "via", *via);
                    f.put("count", json!(count));
                    f.put("reason", json!(reason.name()));
                }
                EventKind::SendAbandoned { pid, to, error } => {
                    self.subject(&mut f, *pid);
                    self.dest(&mut f, "to", *to);
                    f.put("error", json!(error.name()));
                }
                EventKind::ReplyDelivered { from, to, len } => {
                    self.pid(&mut f, "from", *from);
                    self.pid(&mut f, "to", *to);
                    f.put("len", json!(len));
                }
                EventKind::ReplyDropped { from, to, reason } => {
                    self.pid(&mut f, "from", *from);
                    self.pid(&mut f, "to", *to);
                    f.put(
                        "reason",
                        json!(match reason {
                            ReplyDropReason::NoSuchProcess => "no_such_process",
                            ReplyDropReason::NotWaiting => "not_waiting",
                        }),
                    );
                }
                EventKind::MailboxCreated {
                    id,
                    owner,
                    capacity: cap,
                    overflow,
                    ..
                } => {
                    self.mailbox(&mut f, "mailbox", *id);
                    self.pid(&mut f, "owner", *owner);
                    f.put("capacity", capacity(*cap));
                    f.put("overflow", json!(overflow.name()));
                }
                EventKind::MailboxDeleted {
                    id,
                    by,
                    dropped,
                    woken,
                } => {
                    self.mailbox(&mut f, "mailbox", *id);
                    self.pid(&mut f, "by", *by);
                    f.put("dropped", json!(dropped));
                    f.put("woken", json!(woken));
                }
                EventKind::MailboxTransferred { id, from, to } => {
                    self.mailbox(&mut f, "mailbox", *id);
                    self.pid(&mut f, "from", *from);
                    self.pid(&mut f, "to", *to);
                }
                EventKind::Sleep { pid, until } => {
                    self.subject(&mut f, *pid);
                    f.put("until", json!(until));
                }
                EventKind::Idle { until } => f.put("until", json!(until)),
                EventKind::Print { pid, text } => {
                    self.subject(&mut f, *pid);
                    f.put("text", json!(text));
                }
                EventKind::Exit { pid, code, reason } => {
                    self.subject(&mut f, *pid);
                    f.put("code", json!(code));
                    let (how, message) = match reason {
                        ExitReason::Exit => ("exit", None),
                        ExitReason::Returned => ("returned", None),
                        ExitReason::Panicked(m) => ("panicked", Some(m)),
                        ExitReason::Fault(m) => ("fault", Some(m)),
                        ExitReason::Killed => ("killed", None),
                    };
                    f.put("reason", json!(how));
                    f.put("message", json!(message));
                }
                EventKind::Deadlock { cycle, blocked } => {
                    let cycle: Vec<Value> = cycle
                        .iter()
                        .map(|p| {
                            let mut o = Fields::default();
                            self.subject(&mut o, *p);
                            Value::Object(o.0)
                        })
                        .collect();
                    let blocked: Vec<Value> = blocked
                        .iter()
                        .map(|w| {
                            let mut o = Fields::default();
                            self.subject(&mut o, w.pid);
                            self.queue(&mut o, "queue", w.queue);
                            self.opt_pid(&mut o, "holder", w.holder);
                            Value::Object(o.0)
                        })
                        .collect();
                    f.put("cycle", Value::Array(cycle));
                    f.put("blocked", Value::Array(blocked));
                }
                EventKind::Livelock { cause, processes } => {
                    let processes: Vec<Value> = processes
                        .iter()
                        .map(|p| {
                            let mut o = Fields::default();
                            self.subject(&mut o, *p);
                            Value::Object(o.0)
                        })
                        .collect();
                    let (how, steps) = match cause {
                        LivelockCause::Steps { steps } => {
                            f.put("pid", Value::Null);
                            f.put("name", Value::Null);
                            ("steps", steps)
                        }
                        LivelockCause::Spinning { pid, steps } => {
                            self.subject(&mut f, *pid);
                            ("spinning", steps)
                        }
                    };
                    f.put("cause", json!(how));
                    f.put("processes", Value::Array(processes));
                    f.put("steps", json!(steps));
                }
                EventKind::TickLimit { limit } => f.put("limit", json!(limit)),
                EventKind::PriorityLent { from, to, priority } => {
                    self.pid(&mut f, "from", *from);
                    self.pid(&mut f, "to", *to);
                    f.put("priority", json!(priority));
                }
                EventKind::PriorityReturned { pid, priority } => {
                    self.subject(&mut f, *pid);
                    f.put("priority", json!(priority));
                }
                EventKind::DeadlockRefused { pid, queue, cycle } => {
                    self.subject(&mut f, *pid);
                    self.queue(&mut f, "queue", *queue);
                    let cycle: Vec<Value> = cycle
                        .iter()
                        .map(|p| {
                            let mut o = Fields::default();
                            self.subject(&mut o, *p);
                            Value::Object(o.0)
                        })
                        .collect();
                    f.put("cycle", Value::Array(cycle));
                }
                EventKind::Migrate { pid, from, to } => {
                    self.subject(&mut f, *pid);
                    f.put("from_cpu", json!(from));
                    f.put("to_cpu", json!(to));
                }
                EventKind::Fault { kind } => {
                    let subject = match kind {
                        FaultKind::Kill { pid, .. } => Some(*pid),
                        FaultKind::Lose { from, .. }
                        | FaultKind::Delay { from, .. }
                        | FaultKind::Arrive { from, .. } => Some(*from),
                        FaultKind::KillMissed { .. } | FaultKind::ClockJump { .. } => None,
                    };
                    match subject {
                        Some(p) => self.subject(&mut f, p),
                        None => {
                            f.put("pid", Value::Null);
                            f.put("name", Value::Null);
                        }
                    }
                    f.put("fault", json!(kind.name()));
                    f.put("args", Value::Object(self.fault_args(kind)));
                    f.put("text", json!(self.names.fault(kind)));
                }
            }
            f.0
        }

        /// A fault's own fields, ids named.
        fn fault_args(&self, kind: &FaultKind) -> Map<String, Value> {
            let mut a = Fields::default();
            let cause = |a: &mut Fields, c: KillCause| {
                let (how, at) = match c {
                    KillCause::Tick(t) => ("tick", t),
                    KillCause::Syscall(n) => ("syscall", n),
                };
                a.put("cause", json!(how));
                a.put("at", json!(at));
            };
            match kind {
                FaultKind::Kill { cause: c, .. } => cause(&mut a, *c),
                FaultKind::KillMissed { name, tick } => {
                    a.put("process", json!(name));
                    cause(&mut a, KillCause::Tick(*tick));
                }
                FaultKind::Lose {
                    msg, to, len, call, ..
                } => {
                    a.put("msg", json!(msg));
                    self.dest(&mut a, "to", *to);
                    a.put("len", json!(len));
                    a.put("call", json!(call));
                }
                FaultKind::Delay {
                    msg,
                    to,
                    until,
                    behind,
                    ..
                } => {
                    a.put("msg", json!(msg));
                    self.dest(&mut a, "to", *to);
                    a.put("until", json!(until));
                    a.put("behind", json!(behind));
                }
                FaultKind::Arrive { msg, to, .. } => {
                    a.put("msg", json!(msg));
                    self.dest(&mut a, "to", *to);
                }
                FaultKind::ClockJump { from, to } => {
                    a.put("from_tick", json!(from));
                    a.put("to_tick", json!(to));
                }
            }
            a.0
        }

        /// A syscall's arguments, ids named.
        fn args(&self, call: &Syscall) -> Map<String, Value> {
            let mut a = Fields::default();
            match *call {
                Syscall::CreateMailbox {
                    capacity: cap,
                    name_len,
                    overflow,
                } => {
                    a.put("capacity", capacity(cap));
                    a.put("name_len", json!(name_len));
                    a.put("overflow", json!(overflow.name()));
                }
                Syscall::DeleteMailbox { mailbox } => self.mailbox(&mut a, "mailbox", mailbox),
                Syscall::LookupMailbox { name_len } => a.put("name_len", json!(name_len)),
                Syscall::TransferMailbox { mailbox, to } => {
                    self.mailbox(&mut a, "mailbox", mailbox);
                    self.pid(&mut a, "to", to);
                }
                Syscall::Send { dest, len, mode } => {
                    self.dest(&mut a, "dest", dest);
                    a.put("len", json!(len));
                    mode_fields(&mut a, mode);
                }
                Syscall::Receive {
                    source,
                    buf_len,
                    mode,
                } => {
                    let (id, name) = match source {
                        Source::Process(p) => (json!(p.to_string()), self.proc_name(p)),
                        Source::Mailbox(m) => (json!(m.to_string()), self.mailbox_name(m)),
                        Source::Any => (json!("any"), Value::Null),
                    };
                    a.put("source", id);
                    a.put("source_name", name);
                    a.put("buf_len", json!(buf_len));
                    mode_fields(&mut a, mode);
                }
                Syscall::Call {
                    dest,
                    len,
                    mode,
                    reply_len,
                } => {
                    self.dest(&mut a, "dest", dest);
                    a.put("len", json!(len));
                    mode_fields(&mut a, mode);
                    a.put("reply_len", json!(reply_len));
                }
                Syscall::Reply { to, len } => {
                    self.pid(&mut a, "to", to);
                    a.put("len", json!(len));
                }
                Syscall::Spawn {
                    program_len,
                    label_len,
                    arg,
                    inbox,
                    priority,
                    expected_burst,
                } => {
                    a.put("program_len", json!(program_len));
                    a.put("label_len", json!(label_len));
                    a.put("arg", json!(arg));
                    a.put("inbox", capacity(inbox));
                    a.put("priority", json!(priority));
                    // Only when declared, as in the text trace: older traces keep their shape.
                    if expected_burst > 0 {
                        a.put("expected_burst", json!(expected_burst));
                    }
                }
                Syscall::Exit { code } => a.put("code", json!(code)),
                Syscall::Wait { child, mode } => {
                    self.pid(&mut a, "child", child);
                    mode_fields(&mut a, mode);
                }
                Syscall::GetPid | Syscall::Yield => {}
                Syscall::Sleep { ticks } | Syscall::Compute { ticks } => {
                    a.put("ticks", json!(ticks))
                }
                Syscall::Print { len } => a.put("len", json!(len)),
            }
            a.0
        }

        fn proc_name(&self, pid: Pid) -> Value {
            json!(self.names.process_name(pid))
        }

        fn mailbox_name(&self, id: MailboxId) -> Value {
            json!(self.names.mailbox_name(id))
        }

        /// The process an event is about: `pid` and `name`.
        fn subject(&self, f: &mut Fields, pid: Pid) {
            f.put("pid", json!(pid.to_string()));
            f.put("name", self.proc_name(pid));
        }

        /// A process field `key` and its `key_name`.
        fn pid(&self, f: &mut Fields, key: &str, pid: Pid) {
            f.put(key, json!(pid.to_string()));
            f.put(&format!("{key}_name"), self.proc_name(pid));
        }

        /// An optional process field: both `null` when absent.
        fn opt_pid(&self, f: &mut Fields, key: &str, pid: Option<Pid>) {
            match pid {
                Some(p) => self.pid(f, key, p),
                None => {
                    f.put(key, Value::Null);
                    f.put(&format!("{key}_name"), Value::Null);
                }
            }
        }

        fn mailbox(&self, f: &mut Fields, key: &str, id: MailboxId) {
            f.put(key, json!(id.to_string()));
            f.put(&format!("{key}_name"), self.mailbox_name(id));
        }

        /// A destination: `"p3"` or `"mb0"` (the prefix tells which) and its name.
        fn dest(&self, f: &mut Fields, key: &str, dest: Dest) {
            match dest {
                Dest::Process(p) => self.pid(f, key, p),
                Dest::Mailbox(m) => self.mailbox(f, key, m),
            }
        }

        /// A wait queue: `"mb0.senders"` and, as `key_name`, `"mb0:buffer.senders"`.
        fn queue(&self, f: &mut Fields, key: &str, q: WaitQueueId) {
            f.put(key, json!(q.to_string()));
            f.put(&format!("{key}_name"), json!(self.names.queue(q)));
        }
    }

    /// A JSON object under construction.
    #[derive(Default)]
    struct Fields(Map<String, Value>);

    impl Fields {
        fn put(&mut self, key: &str, value: Value) {
            self.0.insert(key.to_string(), value);
        }
    }

    /// A capacity: its count as a number, or `"unbounded"`.
    fn capacity(c: Capacity) -> Value {
        match c {
            Capacity::Zero => json!(0),
            Capacity::Bounded(n) => json!(n),
            Capacity::Unbounded => json!("unbounded"),
        }
    }

    /// `mode` (`blocking`, `nonblocking`, `timeout`) and `timeout` (ticks or `null`).
    fn mode_fields(f: &mut Fields, mode: Mode) {
        let (name, timeout) = match mode {
            Mode::Blocking => ("blocking", None),
            Mode::NonBlocking => ("nonblocking", None),
            Mode::Timeout(t) => ("timeout", Some(t)),
        };
        f.put("mode", json!(name));
        f.put("timeout", json!(timeout));
    }

    /// Render events as JSON lines: one object per line, each line ending in `\n`.
    pub fn render(events: &[Event]) -> String {
        let mut enc = Encoder::new();
        let mut out = String::new();
        for e in events {
            out.push_str(&enc.line(e));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{reference, render, write_jsonl, Encoder, JsonlStream, CHUNK};
    use abi::{Source, Sysno};
    use kernel::trace::{Event, EventKind, ExitReason};
    use serde_json::Value;

    use crate::render::testgen::{awkward_strings, hand_made, variant, Rng, VARIANTS};

    /// `events` rendered both ways, compared line by line first so a failure names the
    /// event.
    fn assert_matches_reference(what: &str, events: &[Event]) {
        let (new, old) = (render(events), reference::render(events));
        if new != old {
            for (i, (a, b)) in new.lines().zip(old.lines()).enumerate() {
                assert_eq!(a, b, "{what}, line {i}: {:?}", events[i]);
            }
            assert_eq!(new, old, "{what}");
        }
    }

    fn generated(seed: u64, count: usize) -> Vec<Event> {
        let mut rng = Rng::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        (0..count).map(|_| rng.event()).collect()
    }

    #[test]
    fn hand_made_trace_matches_the_reference() {
        assert_matches_reference("hand made", &hand_made());
    }

    #[test]
    fn generated_traces_match_the_reference_for_every_event_kind() {
        let mut seen = [0usize; VARIANTS];
        let mut calls = [0usize; 17];
        for seed in 1..=20u64 {
            let events = generated(seed, 2_000);
            for e in &events {
                seen[variant(&e.kind)] += 1;
                if let EventKind::Syscall { call, .. } = &e.kind {
                    calls[call.sysno() as usize] += 1;
                }
            }
            assert_matches_reference(&format!("seed {seed}"), &events);
        }
        assert!(seen.iter().all(|&n| n > 0), "every event kind: {seen:?}");
        assert!(
            Sysno::ALL.iter().all(|&s| calls[s as usize] > 0),
            "every syscall: {calls:?}"
        );
    }

    #[test]
    fn every_generated_line_parses_as_one_json_object() {
        for seed in 1..=5u64 {
            let events = generated(seed, 2_000);
            let text = render(&events);
            assert!(text.ends_with('\n'));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), events.len(), "seed {seed}");
            for (line, e) in lines.iter().zip(&events) {
                let v: Value = serde_json::from_str(line)
                    .unwrap_or_else(|err| panic!("seed {seed}: {err}: {line}"));
                assert!(v.is_object(), "{line}");
                assert_eq!(v["event"], super::event_name(&e.kind), "{line}");
            }
        }
    }

    #[test]
    fn line_and_fields_match_the_reference() {
        let mut events = hand_made();
        events.extend(generated(0x11, 3_000));
        let (mut new, mut old) = (Encoder::new(), reference::Encoder::new());
        for e in &events {
            assert_eq!(new.line(e), old.line(e), "{e:?}");
            assert_eq!(new.fields(&e.kind), old.fields(&e.kind), "{e:?}");
        }
    }

    #[test]
    fn fields_with_tick_are_the_reference_fields_and_tick() {
        let mut rng = Rng::new(0xf1e1d5);
        let mut events = hand_made();
        events.extend((0..3_000).map(|_| rng.event()));
        // Names with quotes, backslashes and control characters, to be escaped in the texts
        // that show them; then more events to show them in.
        events.extend((0..200).map(|i| Event {
            tick: 0,
            cpu: 0,
            kind: EventKind::Spawn {
                pid: abi::Pid::new(i % 6, i % 3),
                parent: None,
                program: String::new(),
                name: format!("a\"b\\c\u{1}{i}"),
                arg: 0,
                inbox: abi::Capacity::Zero,
                priority: 0,
            },
        }));
        events.extend((0..3_000).map(|_| rng.event()));
        let mut old = reference::Encoder::new();
        let mut names = crate::render::Names::default();
        let mut out = Vec::new();
        for e in &events {
            old.learn(&e.kind);
            names.learn(&e.kind);
            let mut fields = old.fields(&e.kind);
            fields.insert("tick".into(), Value::from(e.tick));
            out.clear();
            let text = super::push_fields_with_tick(&mut out, &names, &e.kind, e.tick);
            let expected = Value::Object(fields.clone()).to_string();
            assert_eq!(String::from_utf8_lossy(&out), expected, "{e:?}");
            // What it says is the text is the `text` field's contents, for the kinds that
            // show the text trace's words.
            let shows_text = matches!(
                e.kind,
                EventKind::Syscall { .. } | EventKind::Return { .. } | EventKind::Fault { .. }
            );
            let expected = fields
                .get("text")
                .filter(|_| shows_text)
                .map(Value::to_string);
            let text = text.map(|t| format!("\"{}\"", String::from_utf8_lossy(&out[t])));
            assert_eq!(text, expected, "{e:?}");
        }
    }

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

    #[test]
    fn awkward_strings_match_the_reference() {
        let awkward = awkward_strings();
        // Where the trace carries them: a process's name (and the texts and queue names that
        // show it), printed text, a panic message, a missed kill's name.
        let events: Vec<Event> = awkward
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let pid = abi::Pid::new(i as u32, 0);
                [
                    EventKind::Spawn {
                        pid,
                        parent: None,
                        program: s.clone(),
                        name: s.clone(),
                        arg: 0,
                        inbox: abi::Capacity::Unbounded,
                        priority: 0,
                    },
                    EventKind::Print {
                        pid,
                        text: s.clone(),
                    },
                    EventKind::Exit {
                        pid,
                        code: -1,
                        reason: ExitReason::Panicked(s.clone()),
                    },
                    EventKind::Syscall {
                        pid,
                        call: abi::Syscall::Wait {
                            child: pid,
                            mode: abi::Mode::Blocking,
                        },
                    },
                    EventKind::Block {
                        pid,
                        queue: kernel::ipc::WaitQueueId::Exit(pid),
                        deadline: None,
                    },
                    EventKind::Fault {
                        kind: kernel::trace::FaultKind::KillMissed {
                            name: s.clone(),
                            tick: 3,
                        },
                    },
                ]
            })
            .map(|kind| Event {
                tick: 1,
                cpu: 0,
                kind,
            })
            .collect();
        assert_matches_reference("awkward strings", &events);
    }

    #[test]
    fn the_streamed_lines_are_the_same_bytes_across_chunk_boundaries() {
        let events = generated(0xc4, 5_000);
        let whole = render(&events);
        assert!(whole.len() > 3 * CHUNK, "{} bytes", whole.len());
        let mut streamed = Vec::new();
        write_jsonl(&events, &mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
        // Every length up to a little past one chunk, so some trace ends exactly at, just
        // before and just after a chunk boundary.
        let mut sizes = 0;
        let mut n = 0;
        while sizes <= CHUNK + 4096 && n < events.len() {
            n += 1;
            let part = &events[..n];
            let mut streamed = Vec::new();
            write_jsonl(part, &mut streamed).unwrap();
            assert_eq!(streamed, render(part).into_bytes(), "{n} events");
            sizes = streamed.len();
        }
        // An empty trace writes nothing.
        let mut none = Vec::new();
        write_jsonl(&[], &mut none).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_stream_fed_event_by_event_writes_the_bytes_of_render() {
        let events = generated(0xc6, 5_000);
        let whole = render(&events);
        assert!(whole.len() > 3 * CHUNK, "{} bytes", whole.len());
        let mut stream = JsonlStream::new(Vec::new());
        for e in &events {
            stream.line(e);
        }
        assert_eq!(String::from_utf8(stream.finish().unwrap()).unwrap(), whole);
        // As a trace sink, shared with the caller who finishes it.
        let (shared, mut sink) = JsonlStream::new(Vec::new()).into_sink();
        for e in &events[..100] {
            sink.record(e);
        }
        let out = shared.finish().unwrap();
        assert_eq!(out, render(&events[..100]).into_bytes());
        sink.record(&events[100]);
        // An empty stream writes nothing.
        assert!(JsonlStream::new(Vec::new()).finish().unwrap().is_empty());
    }

    #[test]
    fn a_failing_writer_stops_the_stream_with_its_error() {
        struct Full(usize);
        impl std::io::Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("full"));
                }
                self.0 -= 1;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let events = generated(0xc5, 3_000);
        let err = write_jsonl(&events, Full(1)).unwrap_err();
        assert_eq!(err.to_string(), "full");
        let mut stream = JsonlStream::new(Full(1));
        for e in &events {
            stream.line(e);
        }
        assert_eq!(
            stream.finish().err().map(|e| e.to_string()).as_deref(),
            Some("full")
        );
    }

    #[test]
    fn receive_sources_and_empty_arguments_match_the_reference() {
        // The argument objects that can come out empty or lead with an id, directly.
        let pid = abi::Pid::new(2, 0);
        let kinds = [
            abi::Syscall::GetPid,
            abi::Syscall::Yield,
            abi::Syscall::Receive {
                source: Source::Any,
                buf_len: 0,
                mode: abi::Mode::Blocking,
            },
            abi::Syscall::Receive {
                source: Source::Process(pid),
                buf_len: u64::MAX,
                mode: abi::Mode::Timeout(3),
            },
        ]
        .map(|call| EventKind::Syscall { pid, call });
        let events: Vec<Event> = kinds
            .into_iter()
            .map(|kind| Event {
                tick: 0,
                cpu: 0,
                kind,
            })
            .collect();
        assert_matches_reference("receive and empty args", &events);
    }
}
