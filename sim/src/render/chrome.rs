//! Chrome Trace Event JSON: the trace as Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing` show it, with flow arrows from each send to its receive.
//!
//! This module owns the mapping from the timeline onto the Trace Event Format (object form,
//! documented in `docs/trace-format.md`):
//!
//! - trace process 1, `CPUs`: one thread per simulated CPU (`tid` = CPU + 1), with a complete
//!   slice (`"ph":"X"`) for every stretch a process ran on it, named `p3:name`, and `idle`
//!   slices;
//! - trace process 2, `Processes`: one thread per simulated process (`tid` = 1000 + spawn
//!   order), with a slice for every state span (`running`, `ready`, `blocked on <queue>`,
//!   `sleeping`), and thread-scoped instants (`"ph":"i"`) for syscalls and the other point
//!   events; a flow (`"ph":"s"` at the send, `"ph":"f"` with `"bp":"e"` at the receive, same
//!   `id`, `cat` and `name`) for every message that was received;
//! - trace process 3, `Mailboxes`: a counter (`"ph":"C"`) per endpoint with its queue depth
//!   (Perfetto names the track `mb0:buffer queued`).
//!
//! Time: 1 tick = 1 µs in `ts` and `dur`. Slices on one track are contiguous and never
//! overlap. A zero-length *running* span (possible only with a zero context-switch cost) is
//! kept as a slice with `"dur":0`, which Perfetto draws as a marker; giving it a minimum
//! length would make it overlap the next slice on its track. Zero-length spans in other
//! states carry no information and are left out.
//!
//! Within one tick the output lists slices first, then point events in trace order, each
//! flow event right after the instant of its message: Perfetto binds a flow to the slice most
//! recently begun on its track, so a flow attaches to its message's instant.
//!
//! The module reads the events only and never panics on any event sequence.

use super::jsonl::{self, Encoder};
use super::timeline::{Endpoint, State, Timeline};
use super::Names;
use abi::{Pid, Ticks};
use kernel::trace::{CpuId, Event, EventKind, ExitReason, FaultKind, MsgId};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The trace process holding one thread per CPU.
pub const CPUS_PID: u64 = 1;
/// The trace process holding one thread per simulated process.
pub const PROCESSES_PID: u64 = 2;
/// The trace process holding the queue-depth counters.
pub const MAILBOXES_PID: u64 = 3;
/// A simulated process's thread id is this plus its spawn order.
pub const PROCESS_TID_BASE: u64 = 1000;

/// The thread id of a CPU's track. Thread id 0 is avoided: Perfetto treats it as the idle
/// thread of a kernel trace.
pub const fn cpu_tid(cpu: CpuId) -> u64 {
    cpu as u64 + 1
}

/// The thread id of the track of the process in `row` (its spawn order).
pub const fn process_tid(row: usize) -> u64 {
    PROCESS_TID_BASE + row as u64
}

/// One output event waiting for its place in time order, already serialized: a trace has
/// millions of them, and a `Value` tree per event costs over ten times its text.
struct Entry {
    ts: Ticks,
    /// Slices (0) before point events (1) within a tick.
    rank: u8,
    seq: usize,
    json: String,
}

struct Out {
    entries: Vec<Entry>,
}

impl Out {
    fn push(&mut self, ts: Ticks, rank: u8, value: Value) {
        let seq = self.entries.len();
        self.entries.push(Entry {
            ts,
            rank,
            seq,
            json: value.to_string(),
        });
    }
}

/// The name of a state slice on a process track.
fn state_name(names: &Names, state: State) -> String {
    match state {
        State::Blocked { queue } => format!("blocked on {}", names.queue(queue)),
        other => other.name().to_string(),
    }
}

/// An endpoint's label: `mb0:buffer`, or `p3:name inbox`.
fn endpoint_label(names: &Names, ep: Endpoint) -> String {
    match ep {
        Endpoint::Mailbox(m) => names.mailbox(m),
        Endpoint::Inbox(p) => format!("{} inbox", names.pid(p)),
    }
}

fn metadata(name: &str, pid: u64, tid: u64, args: Value) -> Value {
    json!({"name": name, "ph": "M", "pid": pid, "tid": tid, "args": args})
}

/// Render events of a run that ended at `end` as a Chrome Trace Event JSON document.
pub fn render(events: &[Event], end: Ticks) -> String {
    let tl = Timeline::from_events(events, end);
    let names = Names::from_events(events);
    let rows = tl.rows();

    let mut meta: Vec<Value> = Vec::new();
    // Process-level metadata names one of the process's own threads: Perfetto files every
    // event under its (pid, tid), and tid 0 would be the idle thread.
    let first_cpu = tl.cpus.iter().next().copied().unwrap_or(0);
    meta.push(metadata(
        "process_name",
        CPUS_PID,
        cpu_tid(first_cpu),
        json!({"name": "CPUs"}),
    ));
    meta.push(metadata(
        "process_sort_index",
        CPUS_PID,
        cpu_tid(first_cpu),
        json!({"sort_index": 0}),
    ));
    for &cpu in &tl.cpus {
        meta.push(metadata(
            "thread_name",
            CPUS_PID,
            cpu_tid(cpu),
            json!({ "name": format!("cpu{cpu}") }),
        ));
        meta.push(metadata(
            "thread_sort_index",
            CPUS_PID,
            cpu_tid(cpu),
            json!({ "sort_index": cpu }),
        ));
    }
    meta.push(metadata(
        "process_name",
        PROCESSES_PID,
        process_tid(0),
        json!({"name": "Processes"}),
    ));
    meta.push(metadata(
        "process_sort_index",
        PROCESSES_PID,
        process_tid(0),
        json!({"sort_index": 1}),
    ));
    for (row, p) in tl.processes.iter().enumerate() {
        meta.push(metadata(
            "thread_name",
            PROCESSES_PID,
            process_tid(row),
            json!({ "name": p.label() }),
        ));
        meta.push(metadata(
            "thread_sort_index",
            PROCESSES_PID,
            process_tid(row),
            json!({ "sort_index": row }),
        ));
    }
    let has_counters = tl.endpoints.values().any(|s| !s.depth.is_empty());
    if has_counters {
        meta.push(metadata(
            "process_name",
            MAILBOXES_PID,
            MAILBOXES_PID,
            json!({"name": "Mailboxes"}),
        ));
        meta.push(metadata(
            "process_sort_index",
            MAILBOXES_PID,
            MAILBOXES_PID,
            json!({"sort_index": 2}),
        ));
    }

    let mut out = Out {
        entries: Vec::new(),
    };

    // Slices: what ran on each CPU, and every process's states.
    for &cpu in &tl.cpus {
        for (row, span) in tl.runs_on(cpu) {
            let p = &tl.processes[row];
            out.push(
                span.start,
                0,
                json!({
                    "name": p.label(), "cat": "run", "ph": "X",
                    "ts": span.start, "dur": span.ticks(),
                    "pid": CPUS_PID, "tid": cpu_tid(cpu),
                    "args": {"pid": p.pid.to_string(), "name": p.name, "ticks": span.ticks()},
                }),
            );
        }
    }
    for idle in &tl.idle {
        out.push(
            idle.start,
            0,
            json!({
                "name": "idle", "cat": "idle", "ph": "X",
                "ts": idle.start, "dur": idle.end - idle.start,
                "pid": CPUS_PID, "tid": cpu_tid(idle.cpu),
                "args": {"ticks": idle.end - idle.start},
            }),
        );
    }
    for (row, p) in tl.processes.iter().enumerate() {
        for span in &p.spans {
            let running = matches!(span.state, State::Running { .. });
            if span.ticks() == 0 && !running {
                continue;
            }
            let mut args = Map::new();
            args.insert("state".into(), json!(span.state.name()));
            args.insert("ticks".into(), json!(span.ticks()));
            match span.state {
                State::Running { cpu } => {
                    args.insert("cpu".into(), json!(cpu));
                }
                State::Blocked { queue } => {
                    args.insert("queue".into(), json!(names.queue(queue)));
                }
                State::Ready | State::Sleeping => {}
            }
            out.push(
                span.start,
                0,
                json!({
                    "name": state_name(&names, span.state), "cat": "state", "ph": "X",
                    "ts": span.start, "dur": span.ticks(),
                    "pid": PROCESSES_PID, "tid": process_tid(row),
                    "args": Value::Object(args),
                }),
            );
        }
    }

    // Point events, in trace order, each message's flow right after its instant.
    let mut points = Points {
        out: &mut out,
        tl: &tl,
        rows: &rows,
        started: BTreeSet::new(),
        finished: BTreeSet::new(),
        tick: 0,
    };
    let mut enc = Encoder::new();
    for e in events {
        enc.learn(&e.kind);
        points.event(&enc, e);
    }

    // Queue depths, one counter per endpoint.
    for (ep, stats) in &tl.endpoints {
        let label = endpoint_label(&names, *ep);
        for &(tick, depth) in &stats.depth {
            out.push(
                tick,
                1,
                json!({
                    "name": label, "cat": "queue", "ph": "C",
                    "ts": tick, "pid": MAILBOXES_PID, "tid": MAILBOXES_PID,
                    "args": {"queued": depth},
                }),
            );
        }
    }

    out.entries.sort_by_key(|e| (e.ts, e.rank, e.seq));
    let mut doc = String::from("{\"traceEvents\":[\n");
    let meta: Vec<String> = meta.iter().map(Value::to_string).collect();
    let lines = meta.iter().chain(out.entries.iter().map(|e| &e.json));
    for (i, line) in lines.enumerate() {
        if i > 0 {
            doc.push_str(",\n");
        }
        doc.push_str(line);
    }
    doc.push_str("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":");
    doc.push_str(
        &json!({
            "generator": "sim",
            "format": "sim chrome trace 1",
            "time_unit": "1 tick = 1 us",
            "end_tick": tl.end,
        })
        .to_string(),
    );
    doc.push_str("\n}\n");
    doc
}

/// Point events under construction: instants and flows.
struct Points<'a> {
    out: &'a mut Out,
    tl: &'a Timeline,
    rows: &'a BTreeMap<Pid, usize>,
    /// Messages whose flow has begun, and ended: each gets one `s` and one `f`, whatever the
    /// trace repeats.
    started: BTreeSet<MsgId>,
    finished: BTreeSet<MsgId>,
    /// The tick of the event at hand, never before the previous one (as in the timeline), so
    /// a malformed trace still gives time-ordered events and flows that end after they begin.
    tick: Ticks,
}

impl Points<'_> {
    fn tid(&self, pid: Pid) -> Option<u64> {
        self.rows.get(&pid).map(|r| process_tid(*r))
    }

    /// A thread-scoped instant on `pid`'s track.
    fn on_process(&mut self, e: &Event, pid: Pid, name: String, args: &Map<String, Value>) {
        if let Some(tid) = self.tid(pid) {
            self.out.push(
                self.tick,
                1,
                json!({
                    "name": name, "cat": jsonl::event_name(&e.kind), "ph": "i", "s": "t",
                    "ts": self.tick, "pid": PROCESSES_PID, "tid": tid,
                    "args": Value::Object(args.clone()),
                }),
            );
        }
    }

    /// An instant on the track of the event's CPU; `scope` `g` draws it across every track.
    fn on_cpu(&mut self, e: &Event, name: String, scope: &str, args: &Map<String, Value>) {
        self.out.push(
            self.tick,
            1,
            json!({
                "name": name, "cat": jsonl::event_name(&e.kind), "ph": "i", "s": scope,
                "ts": self.tick, "pid": CPUS_PID, "tid": cpu_tid(e.cpu),
                "args": Value::Object(args.clone()),
            }),
        );
    }

    /// The start of a message's arrow, on its sender's track. Only messages that were
    /// received, between processes the trace spawned, get one: an arrow needs both ends.
    fn flow_start(&mut self, msg: MsgId, from: Pid) {
        let Some(m) = self.tl.messages.get(&msg) else {
            return;
        };
        let receiver = m.received.and_then(|r| self.tid(r.by));
        let (Some(tid), Some(_)) = (self.tid(from), receiver) else {
            return;
        };
        if m.from != from || !self.started.insert(msg) {
            return;
        }
        self.out.push(
            self.tick,
            1,
            json!({
                "name": "message", "cat": "message", "ph": "s", "id": msg,
                "ts": self.tick, "pid": PROCESSES_PID, "tid": tid,
                "args": {"msg": msg},
            }),
        );
    }

    /// The end of a message's arrow, on its receiver's track, bound to the enclosing slice.
    fn flow_end(&mut self, msg: MsgId, by: Pid) {
        if !self.started.contains(&msg) || !self.finished.insert(msg) {
            return;
        }
        let Some(tid) = self.tid(by) else {
            return;
        };
        self.out.push(
            self.tick,
            1,
            json!({
                "name": "message", "cat": "message", "ph": "f", "bp": "e", "id": msg,
                "ts": self.tick, "pid": PROCESSES_PID, "tid": tid,
                "args": {"msg": msg},
            }),
        );
    }

    fn event(&mut self, enc: &Encoder, e: &Event) {
        self.tick = self.tick.max(e.tick);
        let n = enc.names();
        let mut args = enc.fields(&e.kind);
        args.insert("tick".into(), json!(e.tick));
        match &e.kind {
            EventKind::Spawn { pid, .. } => self.on_process(e, *pid, "spawn".into(), &args),
            // State changes are already the slices' boundaries.
            EventKind::Dispatch { .. }
            | EventKind::Block { .. }
            | EventKind::Yield { .. }
            | EventKind::Sleep { .. }
            | EventKind::Idle { .. } => {}
            EventKind::Preempt { pid, .. } => self.on_process(e, *pid, "preempt".into(), &args),
            EventKind::Syscall { pid, call } => self.on_process(e, *pid, n.call(call), &args),
            EventKind::BadSyscall { pid, sysno, error } => {
                self.on_process(e, *pid, format!("syscall #{sysno} refused: {error}"), &args)
            }
            EventKind::Return { pid, sysno, ret } => {
                // A successful return is implied by what follows; a failure is worth a mark.
                if ret[0] != 0 {
                    self.on_process(e, *pid, format!("return {}", n.ret(*sysno, ret)), &args);
                }
            }
            EventKind::Wake { pid, reason, .. } => {
                self.on_process(e, *pid, format!("wake ({})", reason.name()), &args)
            }
            EventKind::MessageQueued { msg, from, to, .. } => {
                let name = format!("queue msg#{msg} -> {}", n.dest(*to));
                self.on_process(e, *from, name, &args);
                self.flow_start(*msg, *from);
            }
            EventKind::MessageHandedOver { msg, from, to, .. } => {
                let name = format!("handoff msg#{msg} -> {}", n.pid(*to));
                self.on_process(e, *from, name, &args);
                self.flow_start(*msg, *from);
                let name = format!("receive msg#{msg} from {}", n.pid(*from));
                self.on_process(e, *to, name, &args);
                self.flow_end(*msg, *to);
            }
            EventKind::MessageReceived { msg, from, by, .. } => {
                let name = format!("take msg#{msg} from {}", n.pid(*from));
                self.on_process(e, *by, name, &args);
                self.flow_end(*msg, *by);
            }
            EventKind::MessagesDropped { via, count, .. } => {
                let name = format!("drop {count} at {}", n.dest(*via));
                self.on_cpu(e, name, "t", &args)
            }
            EventKind::SendAbandoned { pid, error, .. } => {
                self.on_process(e, *pid, format!("send abandoned ({error})"), &args)
            }
            EventKind::ReplyDelivered { from, to, .. } => {
                self.on_process(e, *from, format!("reply -> {}", n.pid(*to)), &args)
            }
            EventKind::ReplyDropped { from, to, .. } => {
                let name = format!("reply -> {} dropped", n.pid(*to));
                self.on_process(e, *from, name, &args)
            }
            EventKind::MailboxCreated { id, owner, .. } => {
                self.on_process(e, *owner, format!("create {}", n.mailbox(*id)), &args)
            }
            EventKind::MailboxDeleted { id, by, .. } => {
                self.on_process(e, *by, format!("delete {}", n.mailbox(*id)), &args)
            }
            EventKind::MailboxTransferred { id, from, to } => {
                let name = format!("transfer {} -> {}", n.mailbox(*id), n.pid(*to));
                self.on_process(e, *from, name, &args)
            }
            EventKind::Print { pid, .. } => self.on_process(e, *pid, "print".into(), &args),
            EventKind::Exit { pid, code, reason } => {
                let how = match reason {
                    ExitReason::Exit => "exit",
                    ExitReason::Returned => "returned",
                    ExitReason::Panicked(_) => "panicked",
                    ExitReason::Fault(_) => "fault",
                    ExitReason::Killed => "killed",
                };
                self.on_process(e, *pid, format!("exit {code} ({how})"), &args)
            }
            EventKind::Deadlock { .. } => self.on_cpu(e, "deadlock".into(), "g", &args),
            EventKind::TickLimit { limit } => {
                self.on_cpu(e, format!("tick limit {limit}"), "g", &args)
            }
            EventKind::PriorityLent { from, to, priority } => {
                let name = format!("lend priority {priority} from {}", n.pid(*from));
                self.on_process(e, *to, name, &args)
            }
            EventKind::PriorityReturned { pid, priority } => {
                let name = format!("priority back to {priority}");
                self.on_process(e, *pid, name, &args)
            }
            EventKind::DeadlockRefused { pid, .. } => {
                self.on_process(e, *pid, "deadlock refused".into(), &args)
            }
            EventKind::Migrate { pid, from, to } => {
                self.on_process(e, *pid, format!("migrate cpu{from} -> cpu{to}"), &args)
            }
            EventKind::Fault { kind } => {
                let name = format!("fault: {}", n.fault(kind));
                match kind {
                    FaultKind::Kill { pid, .. } => self.on_process(e, *pid, name, &args),
                    FaultKind::Lose { from, .. }
                    | FaultKind::Delay { from, .. }
                    | FaultKind::Arrive { from, .. } => self.on_process(e, *from, name, &args),
                    // The clock jumps for every CPU and process alike.
                    FaultKind::ClockJump { .. } => self.on_cpu(e, name, "g", &args),
                    FaultKind::KillMissed { .. } => self.on_cpu(e, name, "t", &args),
                }
            }
        }
    }
}
