//! A page that steps through a run: one self-contained HTML file.
//!
//! This module owns the page's model ([`Page`]: the run's timeline from the
//! [`Replay`], and every event as a [`Step`] of small changes to what
//! each process and each endpoint holds), the state that model gives at any moment
//! ([`Page::snapshot_at_step`], [`Page::snapshot_at_tick`]), and the document: the model as
//! JSON inside the page, read by the page's own script, which draws the timeline and replays
//! the steps to show the moment a slider or the step buttons choose. The script applies the
//! steps exactly as [`Page::snapshot_at_step`] does, so what the page shows at a tick is what
//! the Rust model says, which the tests hold against the kernel's own tables.
//!
//! The document needs no network: its style and script are inline, it loads no font, no
//! image and no library. Everything a run names (process, program and mailbox names, printed
//! lines) reaches the page only as JSON data with `<`, `>` and `&` escaped, and the script
//! puts it in the document as text, never as markup, so a scenario cannot inject HTML or
//! script. A long run is cut at [`MAX_EVENTS`] events: the page shows the run up to there and
//! says so.
//!
//! It never reaches into the kernel, reads nothing but the events, and never panics on any
//! event sequence.

use super::replay::{Endpoint, Replay, State};
use super::stream::LineWriter;
use super::{Names, TextLines};
use abi::{Capacity, Dest, MailboxId, Overflow, Pid, Right, Ticks};
use kernel::trace::{DropReason, Event, EventKind, FaultKind, WaitQueueId};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The most events a page holds. Past it the page shows the run up to its last kept event
/// and says how many there were: a page of this many events is a few megabytes, which a
/// browser opens at once; a long run's whole trace (millions of events) would not open.
pub const MAX_EVENTS: usize = 20_000;

/// What a process is doing at a moment of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// Waiting for a CPU.
    Ready,
    /// On a CPU.
    Running {
        /// The CPU it runs on.
        cpu: u32,
    },
    /// Waiting on a wait queue, perhaps until a deadline.
    Blocked {
        /// The queue.
        queue: WaitQueueId,
        /// When its timeout fires, if it has one.
        deadline: Option<Ticks>,
    },
    /// Waiting for the clock.
    Sleeping {
        /// The tick its sleep ends.
        until: Ticks,
    },
    /// Exited (a zombie in the kernel's table until its parent collects the code).
    Exited {
        /// Its exit code.
        code: i32,
    },
}

impl ProcState {
    /// The state's name as the page shows it: `ready`, `running`, `blocked`, `sleeping`,
    /// `exited`.
    pub const fn name(&self) -> &'static str {
        match self {
            ProcState::Ready => "ready",
            ProcState::Running { .. } => "running",
            ProcState::Blocked { .. } => "blocked",
            ProcState::Sleeping { .. } => "sleeping",
            ProcState::Exited { .. } => "exited",
        }
    }
}

/// One change a step makes to the page's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Process row `row` is now in `state` (its first change is its spawn).
    Process {
        /// The process's row (spawn order, as in the replay).
        row: usize,
        /// Its new state.
        state: ProcState,
    },
    /// Message `msg` (an index into [`Page::messages`]) was queued at endpoint `endpoint`
    /// (an index into [`Page::endpoints`]), behind those already there.
    Enqueue {
        /// The endpoint.
        endpoint: usize,
        /// The message.
        msg: usize,
    },
    /// A receiver took message `msg` from endpoint `endpoint`'s queue.
    Dequeue {
        /// The endpoint.
        endpoint: usize,
        /// The message.
        msg: usize,
    },
    /// The `count` oldest messages queued at `endpoint` were dropped.
    DropOldest {
        /// The endpoint.
        endpoint: usize,
        /// How many were dropped.
        count: usize,
    },
    /// Endpoint `endpoint` now belongs to process row `owner` (a creation or a transfer) and
    /// exists (`live`), or was deleted (`live` false).
    Owner {
        /// The endpoint.
        endpoint: usize,
        /// Its owner's row, if the trace spawned its owner.
        owner: Option<usize>,
        /// Whether it exists after this change.
        live: bool,
    },
    /// Process row `row` printed `text` to the console.
    Print {
        /// The process's row.
        row: usize,
        /// The line.
        text: String,
    },
}

/// One event of the run as the page steps through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The event's tick.
    pub tick: Ticks,
    /// The event's line in the text trace, trimmed.
    pub line: String,
    /// What it changed.
    pub changes: Vec<Change>,
}

/// A process of the page: its row of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessRow {
    /// Its pid.
    pub pid: Pid,
    /// `p3:name`.
    pub label: String,
    /// The program it runs.
    pub program: String,
}

/// An endpoint of the page: a mailbox the trace created or sent to, or a process's direct
/// inbox that a message was queued at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRow {
    /// The mailbox or inbox this row shows.
    pub endpoint: Endpoint,
    /// `mb0:buffer`, or `p3:name inbox`.
    pub label: String,
    /// Its capacity, when the trace created it (a mailbox) or spawned its process (an inbox).
    pub capacity: Option<Capacity>,
    /// What a send to it does when it is full, for a mailbox the trace created.
    pub overflow: Option<Overflow>,
}

/// A message of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    /// Its id in the trace.
    pub id: u64,
    /// Its sender's row, if the trace spawned the sender.
    pub from: Option<usize>,
    /// Its sender as the trace names it.
    pub from_label: String,
    /// Its length in bytes.
    pub len: usize,
    /// Whether the sender waits for a reply.
    pub call: bool,
    /// The tick it entered the kernel.
    pub sent: Ticks,
}

/// The page's model of a run: what the document embeds.
#[derive(Debug)]
pub struct Page {
    /// The title: what ran.
    pub title: String,
    /// The events of the run.
    pub events_total: usize,
    /// The timeline: the replay of the events the page holds (the first [`MAX_EVENTS`]).
    pub replay: Replay,
    /// Every process, in the replay's row order.
    pub processes: Vec<ProcessRow>,
    /// Every endpoint, in the order the trace first named it.
    pub endpoints: Vec<EndpointRow>,
    /// Every message, in the order it entered the kernel.
    pub messages: Vec<MessageRow>,
    /// One step per event held.
    pub steps: Vec<Step>,
    /// How the page names ids.
    names: Names,
}

/// The state of one endpoint at a moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointState {
    /// Its owner's row.
    pub owner: Option<usize>,
    /// Whether it exists (a deleted mailbox does not; an inbox exists while named).
    pub live: bool,
    /// The messages queued there, oldest first (indices into [`Page::messages`]).
    pub queue: Vec<usize>,
}

/// The state of a process at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessState {
    /// What it does.
    pub state: ProcState,
    /// The tick it entered that state.
    pub since: Ticks,
}

/// What the page shows at a moment: after the first `step` steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// How many steps have been applied.
    pub step: usize,
    /// Each process's state, by row; `None` before its spawn.
    pub processes: Vec<Option<ProcessState>>,
    /// Each endpoint's state, by index.
    pub endpoints: Vec<EndpointState>,
    /// The lines printed so far: the printing row and the line.
    pub console: Vec<(usize, String)>,
}

/// Builds the page's model from the events.
struct Builder {
    names: Names,
    lines: TextLines,
    rows: BTreeMap<Pid, usize>,
    /// Rows spawned so far: a second spawn of a pid is ignored, as the replay ignores it.
    spawned: BTreeSet<usize>,
    live: BTreeSet<usize>,
    endpoints: Vec<EndpointRow>,
    endpoint_index: BTreeMap<Endpoint, usize>,
    messages: Vec<MessageRow>,
    message_index: BTreeMap<u64, usize>,
    drop_newest: BTreeSet<MailboxId>,
    inbox_capacity: BTreeMap<Pid, Capacity>,
}

impl Builder {
    fn endpoint(&mut self, endpoint: Endpoint) -> usize {
        if let Some(&i) = self.endpoint_index.get(&endpoint) {
            return i;
        }
        let i = self.endpoints.len();
        let label = match endpoint {
            Endpoint::Mailbox(m) => self.names.mailbox(m),
            Endpoint::Inbox(p) => format!("{} inbox", self.names.pid(p)),
        };
        let capacity = match endpoint {
            Endpoint::Inbox(p) => self.inbox_capacity.get(&p).copied(),
            Endpoint::Mailbox(_) => None,
        };
        self.endpoints.push(EndpointRow {
            endpoint,
            label,
            capacity,
            overflow: None,
        });
        self.endpoint_index.insert(endpoint, i);
        i
    }

    fn message(&mut self, id: u64, from: Pid, len: usize, call: bool, tick: Ticks) -> usize {
        if let Some(&i) = self.message_index.get(&id) {
            return i;
        }
        let i = self.messages.len();
        self.messages.push(MessageRow {
            id,
            from: self.rows.get(&from).copied(),
            from_label: self.names.pid(from),
            len,
            call,
            sent: tick,
        });
        self.message_index.insert(id, i);
        i
    }

    /// The row of a process alive in the trace.
    fn live_row(&self, pid: Pid) -> Option<usize> {
        self.rows
            .get(&pid)
            .copied()
            .filter(|r| self.live.contains(r))
    }

    fn set(&self, changes: &mut Vec<Change>, pid: Pid, state: ProcState) {
        if let Some(row) = self.live_row(pid) {
            changes.push(Change::Process { row, state });
        }
    }

    /// The step of event `e`, which happened at `tick` (its own, or a later one where the
    /// trace ran backwards).
    fn step(&mut self, e: &Event, tick: Ticks) -> Step {
        let mut line = Vec::new();
        self.lines.line(&mut line, e);
        // The names learnt as the text trace learns them: the ids an event introduces are
        // named by the time its changes are.
        self.names.learn(&e.kind);
        let line = String::from_utf8_lossy(&line).trim().to_string();
        let mut changes = Vec::new();
        match &e.kind {
            EventKind::Spawn { pid, inbox, .. } => {
                self.inbox_capacity.entry(*pid).or_insert(*inbox);
                if let Some(&row) = self.rows.get(pid) {
                    if self.spawned.insert(row) {
                        self.live.insert(row);
                        changes.push(Change::Process {
                            row,
                            state: ProcState::Ready,
                        });
                    }
                }
            }
            EventKind::Dispatch { pid } => {
                self.set(&mut changes, *pid, ProcState::Running { cpu: e.cpu });
            }
            EventKind::Preempt { pid, .. }
            | EventKind::Yield { pid }
            | EventKind::Wake { pid, .. } => self.set(&mut changes, *pid, ProcState::Ready),
            EventKind::Block {
                pid,
                queue,
                deadline,
            } => self.set(
                &mut changes,
                *pid,
                ProcState::Blocked {
                    queue: *queue,
                    deadline: *deadline,
                },
            ),
            EventKind::Sleep { pid, until } => {
                self.set(&mut changes, *pid, ProcState::Sleeping { until: *until });
            }
            EventKind::Exit { pid, code, .. } => {
                if let Some(row) = self.live_row(*pid) {
                    changes.push(Change::Process {
                        row,
                        state: ProcState::Exited { code: *code },
                    });
                    self.live.remove(&row);
                }
            }
            EventKind::MailboxCreated {
                id,
                owner,
                capacity,
                overflow,
                ..
            } => {
                if *overflow == Overflow::DropNewest {
                    self.drop_newest.insert(*id);
                }
                let endpoint = self.endpoint(Endpoint::Mailbox(*id));
                let row = &mut self.endpoints[endpoint];
                row.capacity = Some(*capacity);
                row.overflow = Some(*overflow);
                row.label = self.names.mailbox(*id);
                changes.push(Change::Owner {
                    endpoint,
                    owner: self.rows.get(owner).copied(),
                    live: true,
                });
            }
            EventKind::MailboxTransferred { id, to, .. } => {
                let endpoint = self.endpoint(Endpoint::Mailbox(*id));
                changes.push(Change::Owner {
                    endpoint,
                    owner: self.rows.get(to).copied(),
                    live: true,
                });
            }
            // A receive right carried in a message is the mailbox's ownership.
            EventKind::RightTransferred {
                right: Right::Receive(id),
                to,
                ..
            } => {
                let endpoint = self.endpoint(Endpoint::Mailbox(*id));
                changes.push(Change::Owner {
                    endpoint,
                    owner: self.rows.get(to).copied(),
                    live: true,
                });
            }
            EventKind::MailboxOrphaned { id, .. } => {
                let endpoint = self.endpoint(Endpoint::Mailbox(*id));
                changes.push(Change::Owner {
                    endpoint,
                    owner: None,
                    live: true,
                });
            }
            EventKind::MailboxDeleted { id, by, .. } => {
                let endpoint = self.endpoint(Endpoint::Mailbox(*id));
                changes.push(Change::Owner {
                    endpoint,
                    owner: self.rows.get(by).copied(),
                    live: false,
                });
            }
            EventKind::MessageQueued {
                msg,
                from,
                to,
                len,
                call,
                ..
            } => {
                let endpoint = self.endpoint(Endpoint::from(*to));
                let msg = self.message(*msg, *from, *len, *call, tick);
                changes.push(Change::Enqueue { endpoint, msg });
            }
            EventKind::MessageHandedOver {
                msg,
                from,
                via,
                len,
                call,
                ..
            } => {
                // Never queued: a mailbox is named (an inbox only once something queues
                // there), the message known for its arrow.
                if let Dest::Mailbox(m) = via {
                    self.endpoint(Endpoint::Mailbox(*m));
                }
                self.message(*msg, *from, *len, *call, tick);
            }
            EventKind::MessageReceived { msg, via, .. } => {
                let endpoint = self.endpoint(Endpoint::from(*via));
                if let Some(&msg) = self.message_index.get(msg) {
                    changes.push(Change::Dequeue { endpoint, msg });
                }
            }
            EventKind::MessagesDropped { via, count, reason } => {
                let endpoint = self.endpoint(Endpoint::from(*via));
                // As the replay counts them: an overflow at a `drop_newest` mailbox and a
                // fault's loss drop a message that was never queued.
                let queued = match (reason, via) {
                    (DropReason::Fault, _) => false,
                    (DropReason::Overflow, Dest::Mailbox(m)) => !self.drop_newest.contains(m),
                    _ => true,
                };
                if queued {
                    changes.push(Change::DropOldest {
                        endpoint,
                        count: *count,
                    });
                }
            }
            EventKind::Fault {
                kind:
                    FaultKind::Lose {
                        msg,
                        from,
                        to,
                        len,
                        call,
                    },
            } => {
                if let Dest::Mailbox(m) = to {
                    self.endpoint(Endpoint::Mailbox(*m));
                }
                self.message(*msg, *from, *len, *call, tick);
            }
            EventKind::Print { pid, text } => {
                if let Some(&row) = self.rows.get(pid) {
                    changes.push(Change::Print {
                        row,
                        text: text.clone(),
                    });
                }
            }
            _ => {}
        }
        Step {
            tick,
            line,
            changes,
        }
    }
}

impl Page {
    /// The page's model of `events`, of a run that ended at `end`, titled `title`; only the
    /// first [`MAX_EVENTS`] events are held.
    pub fn new(events: &[Event], end: Ticks, title: &str) -> Page {
        Page::with_cap(events, end, title, MAX_EVENTS)
    }

    /// [`Page::new`] holding at most `cap` events.
    pub fn with_cap(events: &[Event], end: Ticks, title: &str, cap: usize) -> Page {
        let kept = &events[..events.len().min(cap)];
        // A cut run's page ends with its last event held: nothing after it is known.
        let end = if kept.len() < events.len() {
            kept.last().map_or(0, |e| e.tick)
        } else {
            end
        };
        let replay = Replay::from_events(kept, end);
        let rows = replay.rows();
        let mut b = Builder {
            names: Names::default(),
            lines: TextLines::default(),
            rows,
            spawned: BTreeSet::new(),
            live: BTreeSet::new(),
            endpoints: Vec::new(),
            endpoint_index: BTreeMap::new(),
            messages: Vec::new(),
            message_index: BTreeMap::new(),
            drop_newest: BTreeSet::new(),
            inbox_capacity: BTreeMap::new(),
        };
        let mut steps = Vec::with_capacity(kept.len());
        let mut now = 0;
        for e in kept {
            // Ticks never run backwards on the page, as in the replay.
            now = now.max(e.tick);
            steps.push(b.step(e, now));
        }
        let names = Names::from_events(kept);
        let processes = replay
            .processes
            .iter()
            .map(|p| ProcessRow {
                pid: p.pid,
                label: names.pid(p.pid),
                program: p.program.clone(),
            })
            .collect();
        Page {
            title: title.to_string(),
            events_total: events.len(),
            replay,
            processes,
            endpoints: b.endpoints,
            messages: b.messages,
            steps,
            names,
        }
    }

    /// Whether the run had more events than the page holds.
    pub fn truncated(&self) -> bool {
        self.events_total > self.steps.len()
    }

    /// The number of steps at or before `tick`: the moment the page shows for it.
    pub fn steps_to(&self, tick: Ticks) -> usize {
        self.steps.partition_point(|s| s.tick <= tick)
    }

    /// The state after every event at or before `tick`.
    pub fn snapshot_at_tick(&self, tick: Ticks) -> Snapshot {
        self.snapshot_at_step(self.steps_to(tick))
    }

    /// The state after the first `step` steps (all of them, if there are fewer). The page's
    /// script applies the steps the same way.
    pub fn snapshot_at_step(&self, step: usize) -> Snapshot {
        let mut s = Snapshot {
            step: step.min(self.steps.len()),
            processes: vec![None; self.processes.len()],
            endpoints: vec![EndpointState::default(); self.endpoints.len()],
            console: Vec::new(),
        };
        for (i, ep) in self.endpoints.iter().enumerate() {
            // An inbox belongs to its process; a mailbox to whoever its creation says.
            if let Endpoint::Inbox(p) = ep.endpoint {
                s.endpoints[i].owner = self.processes.iter().position(|r| r.pid == p);
                s.endpoints[i].live = true;
            }
        }
        for st in &self.steps[..s.step] {
            for c in &st.changes {
                s.apply(c, st.tick);
            }
        }
        s
    }

    /// What the page says a process in `state` waits on, or where it is.
    pub fn detail(&self, state: &ProcState) -> String {
        let names = &self.names;
        match *state {
            ProcState::Ready => "waits for a CPU".to_string(),
            ProcState::Running { cpu } => format!("on cpu{cpu}"),
            ProcState::Sleeping { until } => format!("sleeps until tick {until}"),
            ProcState::Exited { code } => format!("exit code {code}"),
            ProcState::Blocked { queue, deadline } => {
                let what = match queue {
                    WaitQueueId::MailboxSenders(m) => {
                        format!("waits to send to {}", names.mailbox(m))
                    }
                    WaitQueueId::MailboxReceiver(m) => {
                        format!("waits for a message in {}", names.mailbox(m))
                    }
                    WaitQueueId::MailboxCallers(m) => {
                        format!("waits for its call in {} to be received", names.mailbox(m))
                    }
                    WaitQueueId::InboxSenders(p) => {
                        format!("waits to send to {}'s inbox", names.pid(p))
                    }
                    WaitQueueId::InboxReceiver(_) => "waits for a message in its inbox".to_string(),
                    WaitQueueId::ReceiversFrom(p) => {
                        format!("waits for a message from {}", names.pid(p))
                    }
                    WaitQueueId::Replies(p) => format!("waits for a reply from {}", names.pid(p)),
                    WaitQueueId::Exit(p) => format!("waits for {} to exit", names.pid(p)),
                    WaitQueueId::Select(_) => {
                        "waits for a message at any endpoint of its select".to_string()
                    }
                };
                let until = deadline.map_or(String::new(), |d| format!(", until tick {d}"));
                format!("{what} (queue {}{until})", names.queue(queue))
            }
        }
    }

    /// The page's data, as the document embeds it (`docs/trace-format.md`, "HTML page").
    pub fn to_json(&self) -> Value {
        let processes: Vec<Value> = self
            .replay
            .processes
            .iter()
            .zip(&self.processes)
            .map(|(life, row)| {
                let spans: Vec<Value> = life
                    .spans
                    .iter()
                    .filter(|s| s.end > s.start)
                    .map(|s| {
                        let cpu = match s.state {
                            State::Running { cpu } => Value::from(cpu),
                            _ => Value::Null,
                        };
                        json!([s.start, s.end, s.state.name(), cpu])
                    })
                    .collect();
                json!({
                    "label": row.label,
                    "program": row.program,
                    "spawned": life.spawned,
                    "exit": life.exit.map(|x| json!([x.tick, x.code])),
                    "spans": spans,
                })
            })
            .collect();
        let endpoints: Vec<Value> = self
            .endpoints
            .iter()
            .map(|e| {
                json!({
                    "label": e.label,
                    "kind": match e.endpoint {
                        Endpoint::Mailbox(_) => "mailbox",
                        Endpoint::Inbox(_) => "inbox",
                    },
                    "capacity": e.capacity.map(|c| c.to_string()),
                    "overflow": e.overflow.map(|o| o.to_string()),
                    // An inbox belongs to its process from the start; a mailbox to whoever
                    // its creation (an `owner` change) says.
                    "owner": match e.endpoint {
                        Endpoint::Inbox(p) => json!(self.replay.position(p)),
                        Endpoint::Mailbox(_) => Value::Null,
                    },
                })
            })
            .collect();
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| {
                let flow = self.replay.messages.get(&m.id);
                let received = flow
                    .and_then(|f| f.received)
                    .and_then(|r| Some(json!([r.tick, self.replay.position(r.by)?])));
                json!({
                    "id": m.id,
                    "from": m.from,
                    "from_label": m.from_label,
                    "len": m.len,
                    "call": m.call,
                    "sent": m.sent,
                    "received": received,
                })
            })
            .collect();
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let changes: Vec<Value> = s
                    .changes
                    .iter()
                    .map(|c| match c {
                        Change::Process { row, state } => {
                            json!(["state", row, state.name(), self.detail(state)])
                        }
                        Change::Enqueue { endpoint, msg } => json!(["enqueue", endpoint, msg]),
                        Change::Dequeue { endpoint, msg } => json!(["dequeue", endpoint, msg]),
                        Change::DropOldest { endpoint, count } => {
                            json!(["drop", endpoint, count])
                        }
                        Change::Owner {
                            endpoint,
                            owner,
                            live,
                        } => json!(["owner", endpoint, owner, live]),
                        Change::Print { row, text } => json!(["print", row, text]),
                    })
                    .collect();
                json!([s.tick, s.line, changes])
            })
            .collect();
        json!({
            "format": "sim-html",
            "version": 1,
            "title": self.title,
            "end": self.replay.end,
            "cpus": self.replay.cpus.len().max(1),
            "events_total": self.events_total,
            "events_kept": self.steps.len(),
            "max_events": MAX_EVENTS,
            "processes": processes,
            "endpoints": endpoints,
            "messages": messages,
            "steps": steps,
        })
    }
}

impl Snapshot {
    fn apply(&mut self, change: &Change, tick: Ticks) {
        match change {
            Change::Process { row, state } => {
                if let Some(p) = self.processes.get_mut(*row) {
                    *p = Some(ProcessState {
                        state: *state,
                        since: tick,
                    });
                }
            }
            Change::Enqueue { endpoint, msg } => {
                if let Some(e) = self.endpoints.get_mut(*endpoint) {
                    e.queue.push(*msg);
                }
            }
            Change::Dequeue { endpoint, msg } => {
                if let Some(e) = self.endpoints.get_mut(*endpoint) {
                    if let Some(i) = e.queue.iter().position(|m| m == msg) {
                        e.queue.remove(i);
                    }
                }
            }
            Change::DropOldest { endpoint, count } => {
                if let Some(e) = self.endpoints.get_mut(*endpoint) {
                    let n = (*count).min(e.queue.len());
                    e.queue.drain(..n);
                }
            }
            Change::Owner {
                endpoint,
                owner,
                live,
            } => {
                if let Some(e) = self.endpoints.get_mut(*endpoint) {
                    e.owner = *owner;
                    e.live = *live;
                }
            }
            Change::Print { row, text } => self.console.push((*row, text.clone())),
        }
    }
}

/// `text` escaped for HTML character data and attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// JSON that is safe inside a `<script>` element: no `<`, `>` or `&` (which could end the
/// element or open a comment) and no line or paragraph separator. Outside strings JSON has
/// none of these characters, and inside them the `\u` escapes read back the same.
pub fn script_safe_json(value: &Value) -> String {
    let text = value.to_string();
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => s.push_str("\\u003c"),
            '>' => s.push_str("\\u003e"),
            '&' => s.push_str("\\u0026"),
            '\u{2028}' => s.push_str("\\u2028"),
            '\u{2029}' => s.push_str("\\u2029"),
            c => s.push(c),
        }
    }
    s
}

/// The page's style.
const STYLE: &str = include_str!("html.css");
/// The page's script: reads the data, draws the timeline, replays the steps.
const SCRIPT: &str = include_str!("html.js");

/// The page of `events`, of a run that ended at `end`, titled `title`: one self-contained
/// HTML document.
pub fn render(events: &[Event], end: Ticks, title: &str) -> String {
    document(&Page::new(events, end, title))
}

/// The document of a page's model.
pub fn document(page: &Page) -> String {
    let data = script_safe_json(&page.to_json());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} — sim run</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <header><h1 id=\"title\">{title}</h1>\n\
         <p id=\"truncated\" hidden></p>\n\
         <div id=\"controls\">\
         <button id=\"prev-tick\" title=\"previous tick\">&#9664;&#9664; tick</button> \
         <button id=\"prev-event\" title=\"previous event\">&#9664; event</button> \
         <input id=\"tick-slider\" type=\"range\" min=\"0\" max=\"0\" value=\"0\" aria-label=\"tick\"> \
         <button id=\"next-event\" title=\"next event\">event &#9654;</button> \
         <button id=\"next-tick\" title=\"next tick\">tick &#9654;&#9654;</button> \
         <span id=\"now\"></span></div>\n\
         <pre id=\"event-line\"></pre>\n</header>\n\
         <section><h2>Timeline</h2><p id=\"legend\"><span class=\"swatch state-running\"></span>running \
         <span class=\"swatch state-ready\"></span>ready \
         <span class=\"swatch state-blocked\"></span>blocked \
         <span class=\"swatch state-sleeping\"></span>sleeping \
         <span class=\"arrow\">&#8594;</span> message, send to receipt \
         <span class=\"cursor\">|</span> the moment shown (click the timeline to move it)</p>\
         <div id=\"timeline\"></div></section>\n\
         <main id=\"state\">\
         <section><h2>Processes</h2><table id=\"processes\"><thead><tr><th>process</th>\
         <th>program</th><th>state</th><th>what it waits on, or where it is</th><th>since</th>\
         </tr></thead><tbody></tbody></table></section>\
         <section><h2>Mailboxes and inboxes</h2><div id=\"endpoints\"></div></section>\
         <section><h2>Console so far</h2><ol id=\"console\"></ol></section>\
         </main>\n\
         <noscript>This page needs JavaScript to show the run.</noscript>\n\
         <script id=\"run-data\" type=\"application/json\">{data}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        title = escape(&page.title),
    )
}

#[cfg(test)]
mod tests {
    use super::STYLE;
    use crate::render::svg;

    /// The page colours states and CPUs as the SVG timeline does, so the two pictures of a
    /// run read alike.
    #[test]
    fn the_page_uses_the_svg_timelines_colours() {
        for (class, fill) in [
            ("state-running", svg::RUNNING_FILL),
            ("state-ready", svg::READY_FILL),
            ("state-blocked", svg::BLOCKED_FILL),
            ("state-sleeping", svg::SLEEPING_FILL),
        ] {
            let rule = format!(".span.{class} {{ fill: {fill}; }}");
            assert!(STYLE.contains(&rule), "{rule}");
        }
        for (cpu, fill) in svg::CPU_FILLS.iter().enumerate() {
            let rule = format!(".span.cpu-{cpu}, #legend .swatch.cpu-{cpu} {{ fill: {fill};");
            assert!(STYLE.contains(&rule), "{rule}");
        }
    }
}
