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

use super::Names;
use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source, Syscall};
use kernel::ipc::WaitQueueId;
use kernel::trace::{Event, EventKind, ExitReason, FaultKind, KillCause, ReplyDropReason};
use serde_json::{json, Map, Value};

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
        let mut out = format!(
            "{{\"v\":{VERSION},\"tick\":{},\"cpu\":{},\"event\":\"{}\"",
            event.tick,
            event.cpu,
            event_name(&event.kind)
        );
        // Sorted here rather than trusting the map: serde_json keeps insertion order instead
        // when any crate in the build turns on its `preserve_order` feature.
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
            EventKind::Dispatch { pid } | EventKind::Yield { pid } => self.subject(&mut f, *pid),
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
                let error = (!ok).then(|| Error::from_code(ret[0]).map_or("unknown", |e| e.name()));
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
            Syscall::Sleep { ticks } | Syscall::Compute { ticks } => a.put("ticks", json!(ticks)),
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
