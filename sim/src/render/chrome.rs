//! Chrome Trace Event JSON: the trace as Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing` show it, with flow arrows from each send to its receive.
//!
//! This module owns the mapping from the replay onto the Trace Event Format (object form,
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
//! An instant's `args` are the event's JSON-lines fields (the [`jsonl`] schema: ids as
//! strings, each with its `_name`) plus its `tick`, written by the JSON-lines field writer
//! itself, so the two formats cannot drift apart. Every object's keys are in sorted order,
//! as `serde_json` writes a map. Names and the text trace's words ([`Names`]) are written raw
//! and escaped where they land.
//!
//! A trace can be long, so the document is written as bytes straight into
//! its output, in order, with no tree or string per entry: each track (a CPU's runs, the idle
//! stretches, a process's states, the point events, an endpoint's counter) is already in time
//! order, and the tracks are merged as they are written, so nothing is sorted and nothing but
//! the replay is held besides the output. [`write_chrome`] hands that on a chunk at a time
//! and never holds the document whole. Strings are escaped as `serde_json` escapes them; all
//! numbers are integers.
//!
//! The module reads the events only and never panics on any event sequence.

use super::bytes::{
    escape_from, into_string, push_escaped, push_i64, push_pid_id, push_str, push_u64,
};
use super::jsonl::{self, exit_how};
use super::replay::{Endpoint, MessageFlow, ProcessLife, Replay, Span, State};
use super::stream::CHUNK;
use super::Names;
use abi::{Pid, Ticks};
use kernel::trace::{CpuId, Event, EventKind, FaultKind, MsgId};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};
use std::ops::Range;

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

/// Render events of a run that ended at `end` as a Chrome Trace Event JSON document.
pub fn render(events: &[Event], end: Ticks) -> String {
    let mut buf = Vec::new();
    // Should the estimate be more than can be had, the buffer grows as it goes instead.
    let _ = buf.try_reserve(events.len().saturating_mul(BYTES_PER_EVENT));
    // The document is kept whole (the limit is never reached), so nothing is written to
    // `out`, which could not fail anyway.
    let mut sink = Sink {
        buf,
        limit: usize::MAX,
        out: io::sink(),
    };
    let _ = write_document(events, end, &mut sink);
    into_string(sink.buf)
}

/// Render events of a run that ended at `end` as a Chrome Trace Event JSON document (the
/// same bytes as [`render`]) straight into `out`, a chunk at a time, so a long trace's
/// document is never held whole in memory.
pub fn write_chrome<W: Write>(events: &[Event], end: Ticks, out: W) -> io::Result<()> {
    let mut sink = Sink {
        buf: Vec::with_capacity(CHUNK + CHUNK / 4),
        limit: CHUNK,
        out,
    };
    write_document(events, end, &mut sink)?;
    sink.out.write_all(&sink.buf)?;
    sink.out.flush()
}

/// Bytes of document to reserve per event, a little over what a run makes (instants with
/// their arguments, slices, flows, counters), so that [`render`] allocates once. Reserving
/// more than is written costs address space only, pages never touched; running short costs a
/// copy of everything written so far.
const BYTES_PER_EVENT: usize = 320;

/// Where the document goes: `buf`, handed to `out` whenever it holds `limit` bytes.
struct Sink<W: Write> {
    buf: Vec<u8>,
    limit: usize,
    out: W,
}

impl<W: Write> Sink<W> {
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.limit {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// The whole document, into `sink`; all but the end of it has gone to the sink's writer
/// when this returns.
fn write_document<W: Write>(events: &[Event], end: Ticks, sink: &mut Sink<W>) -> io::Result<()> {
    let mut tl = Replay::from_events(events, end);
    // The merge below needs every track in time order. The replay already makes them so
    // (its ticks never run backwards); a stable sort of sorted data is one pass, and keeps
    // the order of ties, so this only makes sure.
    for p in &mut tl.processes {
        p.spans.sort_by_key(|s| s.start);
    }
    tl.idle.sort_by_key(|s| s.start);
    for stats in tl.endpoints.values_mut() {
        stats.depth.sort_by_key(|&(tick, _)| tick);
    }
    let names = Names::from_events(events);
    let rows = Rows::new(&tl);
    let labels: Vec<RowLabels> = tl.processes.iter().map(RowLabels::new).collect();

    write_metadata(&mut sink.buf, &tl, &labels);
    sink.spill()?;

    let mut tracks = Tracks::new(events, &tl, &names, &rows, &labels);
    // The next entry of every track with entries left, keyed (tick, track): popped in that
    // order, ties go to the track made earlier, which is the order the entries were made in
    // when they were all made first and then sorted (slices before point events, in trace
    // order, before counters).
    let mut heap: BinaryHeap<Reverse<(Ticks, usize)>> = (0..tracks.kinds.len())
        .filter_map(|i| tracks.head(i).map(|t| Reverse((t, i))))
        .collect();
    while let Some(&Reverse((_, i))) = heap.peek() {
        // Stay on this track while it comes first: a run of point events, say, needs no
        // heap operations. What comes next is the lesser of the top's children.
        let next = heap.as_slice().iter().skip(1).take(2).map(|r| r.0).min();
        let head = loop {
            tracks.emit(i, &mut sink.buf);
            sink.spill()?;
            match tracks.head(i) {
                Some(t) if next.is_none_or(|n| (t, i) < n) => {}
                head => break head,
            }
        };
        // The track's next entry replaces it at the top, sifted down once, rather than
        // popped and pushed again.
        match head {
            Some(t) => {
                if let Some(mut top) = heap.peek_mut() {
                    *top = Reverse((t, i));
                }
            }
            None => {
                heap.pop();
            }
        }
    }

    let out = &mut sink.buf;
    out.extend_from_slice(b"\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{\"end_tick\":");
    push_u64(out, tl.end);
    out.extend_from_slice(
        b",\"format\":\"sim chrome trace 1\",\"generator\":\"sim\",\
          \"time_unit\":\"1 tick = 1 us\"}\n}\n",
    );
    sink.spill()
}

/// The document's opening and the metadata entries: names and sort order of the trace
/// processes and threads.
fn write_metadata(out: &mut Vec<u8>, tl: &Replay, labels: &[RowLabels]) {
    out.extend_from_slice(b"{\"traceEvents\":[\n");
    // Process-level metadata names one of the process's own threads: Perfetto files every
    // event under its (pid, tid), and tid 0 would be the idle thread.
    let first_cpu = tl.cpus.iter().next().copied().unwrap_or(0);
    let cpus_tid = cpu_tid(first_cpu);
    // The first entry has no separator before it; every later one starts with `,\n`.
    meta_name(out, b"process_name", CPUS_PID, cpus_tid, b"\"CPUs\"");
    out.extend_from_slice(b",\n");
    meta_sort(out, b"process_sort_index", CPUS_PID, cpus_tid, 0);
    for &cpu in &tl.cpus {
        let (tid, mut name) = (cpu_tid(cpu), b"\"cpu".to_vec());
        push_u64(&mut name, u64::from(cpu));
        name.push(b'"');
        out.extend_from_slice(b",\n");
        meta_name(out, b"thread_name", CPUS_PID, tid, &name);
        out.extend_from_slice(b",\n");
        meta_sort(out, b"thread_sort_index", CPUS_PID, tid, u64::from(cpu));
    }
    let tid = process_tid(0);
    out.extend_from_slice(b",\n");
    meta_name(out, b"process_name", PROCESSES_PID, tid, b"\"Processes\"");
    out.extend_from_slice(b",\n");
    meta_sort(out, b"process_sort_index", PROCESSES_PID, tid, 1);
    for (row, l) in labels.iter().enumerate() {
        let tid = process_tid(row);
        out.extend_from_slice(b",\n");
        meta_name(out, b"thread_name", PROCESSES_PID, tid, &l.label);
        out.extend_from_slice(b",\n");
        meta_sort(out, b"thread_sort_index", PROCESSES_PID, tid, row as u64);
    }
    if tl.endpoints.values().any(|s| !s.depth.is_empty()) {
        out.extend_from_slice(b",\n");
        meta_name(
            out,
            b"process_name",
            MAILBOXES_PID,
            MAILBOXES_PID,
            b"\"Mailboxes\"",
        );
        out.extend_from_slice(b",\n");
        meta_sort(out, b"process_sort_index", MAILBOXES_PID, MAILBOXES_PID, 2);
    }
}

/// A metadata entry naming a trace process or thread: `name` is a JSON string.
fn meta_name(out: &mut Vec<u8>, what: &[u8], pid: u64, tid: u64, name: &[u8]) {
    out.extend_from_slice(b"{\"args\":{\"name\":");
    out.extend_from_slice(name);
    meta_tail(out, what, pid, tid);
}

/// A metadata entry placing a trace process or thread.
fn meta_sort(out: &mut Vec<u8>, what: &[u8], pid: u64, tid: u64, index: u64) {
    out.extend_from_slice(b"{\"args\":{\"sort_index\":");
    push_u64(out, index);
    meta_tail(out, what, pid, tid);
}

fn meta_tail(out: &mut Vec<u8>, what: &[u8], pid: u64, tid: u64) {
    out.extend_from_slice(b"},\"name\":\"");
    out.extend_from_slice(what);
    out.extend_from_slice(b"\",\"ph\":\"M\",\"pid\":");
    push_u64(out, pid);
    out.extend_from_slice(b",\"tid\":");
    push_u64(out, tid);
    out.push(b'}');
}

/// A process's texts as JSON strings, made once: every slice it ran shows them.
struct RowLabels {
    /// `"p3:name"`.
    label: Vec<u8>,
    /// `"name"`.
    name: Vec<u8>,
    /// `"p3"`.
    pid: Vec<u8>,
}

impl RowLabels {
    fn new(p: &ProcessLife) -> RowLabels {
        let mut label = vec![b'"'];
        push_pid_id(&mut label, p.pid);
        label.push(b':');
        push_escaped(&mut label, &p.name);
        label.push(b'"');
        let mut name = Vec::with_capacity(p.name.len() + 2);
        push_str(&mut name, &p.name);
        let mut pid = vec![b'"'];
        push_pid_id(&mut pid, p.pid);
        pid.push(b'"');
        RowLabels { label, name, pid }
    }
}

/// Each process's row (spawn order), by pid, found by slot index as [`Names`] finds names:
/// point events look one up for every instant.
struct Rows {
    /// By slot index: the newest pid spawned in that slot (raw) and its row.
    latest: Vec<Option<(u64, usize)>>,
    /// Every other pid: earlier generations of a slot, and slots beyond [`DENSE_SLOTS`].
    other: BTreeMap<u64, usize>,
}

/// Slots below this are looked up in a vector; a stray huge index goes to the tree, so it
/// never allocates a huge vector.
const DENSE_SLOTS: usize = 1 << 16;

impl Rows {
    fn new(tl: &Replay) -> Rows {
        let mut rows = Rows {
            latest: Vec::new(),
            other: BTreeMap::new(),
        };
        // The replay spawns each pid once, so every pid has exactly one row.
        for (row, p) in tl.processes.iter().enumerate() {
            let raw = p.pid.raw();
            let index = p.pid.index() as usize;
            if index >= DENSE_SLOTS {
                rows.other.insert(raw, row);
                continue;
            }
            if index >= rows.latest.len() {
                rows.latest.resize(index + 1, None);
            }
            if let Some((old, old_row)) = rows.latest[index].replace((raw, row)) {
                rows.other.insert(old, old_row);
            }
        }
        rows
    }

    /// The thread id of `pid`'s track, if the trace spawned it.
    fn tid(&self, pid: Pid) -> Option<u64> {
        let raw = pid.raw();
        if let Some(Some((r, row))) = self.latest.get(pid.index() as usize) {
            if *r == raw {
                return Some(process_tid(*row));
            }
        }
        if self.other.is_empty() {
            None
        } else {
            self.other.get(&raw).map(|&row| process_tid(row))
        }
    }
}

/// Message ids below this are kept by index: a run's count up from its start, one per
/// message, so a vector this long is as long as the trace could need; any other id goes to
/// a tree, so a stray huge id never allocates a huge vector.
fn dense_messages(events: usize) -> u64 {
    (events as u64).saturating_mul(2).saturating_add(1024)
}

/// The replay's messages by id, found by index rather than in its tree: every send looks
/// its message up.
struct Messages<'a> {
    /// Every message with an id below `limit`, at its id.
    dense: Vec<Option<&'a MessageFlow>>,
    limit: u64,
    tl: &'a Replay,
}

impl<'a> Messages<'a> {
    fn new(tl: &'a Replay, limit: u64) -> Messages<'a> {
        let mut dense = Vec::new();
        for (&id, m) in tl.messages.range(..limit) {
            let i = id as usize;
            if i >= dense.len() {
                dense.resize(i + 1, None);
            }
            dense[i] = Some(m);
        }
        Messages { dense, limit, tl }
    }

    fn get(&self, msg: MsgId) -> Option<&'a MessageFlow> {
        if msg < self.limit {
            self.dense.get(msg as usize).copied().flatten()
        } else {
            self.tl.messages.get(&msg)
        }
    }
}

/// Which messages' flows have begun and ended: each gets one `s` and one `f`, whatever the
/// trace repeats. Flags by index, as for [`Messages`].
struct FlowMarks {
    dense: Vec<u8>,
    limit: u64,
    other: BTreeMap<MsgId, u8>,
}

const STARTED: u8 = 1;
const FINISHED: u8 = 2;

impl FlowMarks {
    fn new(limit: u64) -> FlowMarks {
        FlowMarks {
            dense: Vec::new(),
            limit,
            other: BTreeMap::new(),
        }
    }

    fn has(&self, msg: MsgId, flag: u8) -> bool {
        let marks = if msg < self.limit {
            self.dense.get(msg as usize).copied()
        } else {
            self.other.get(&msg).copied()
        };
        marks.unwrap_or(0) & flag != 0
    }

    /// Set `flag` on `msg`; whether it was not set before.
    fn set(&mut self, msg: MsgId, flag: u8) -> bool {
        let marks = if msg < self.limit {
            let i = msg as usize;
            if i >= self.dense.len() {
                self.dense.resize(i + 1, 0);
            }
            &mut self.dense[i]
        } else {
            self.other.entry(msg).or_default()
        };
        let fresh = *marks & flag == 0;
        *marks |= flag;
        fresh
    }
}

/// One time-ordered source of entries.
#[derive(Clone, Copy)]
enum Track {
    /// What ran on the CPU at this index of `Tracks::runs`.
    Runs(usize),
    /// Every idle stretch.
    Idle,
    /// The states of the process in this row.
    States(usize),
    /// Instants and flows, in trace order.
    Points,
    /// The queue depths of the endpoint at this index of `Tracks::counters`.
    Counter(usize),
}

/// What ran on one CPU.
struct CpuRuns {
    /// The CPU's thread id.
    tid: u64,
    /// Its running spans in time order, each with the row of the process that ran.
    runs: Vec<(usize, Span)>,
}

/// One endpoint's queue-depth counter.
struct Counter<'a> {
    /// `"mb0:name"` or `"p3:name inbox"`, named with the whole trace's names.
    label: Vec<u8>,
    /// `(tick, depth)` after every change, in time order.
    depth: &'a [(Ticks, usize)],
}

/// Every track of the document, each with how far it has been written.
struct Tracks<'a> {
    tl: &'a Replay,
    /// The names the whole trace introduced, for slices and counters.
    names: &'a Names,
    labels: &'a [RowLabels],
    runs: Vec<CpuRuns>,
    counters: Vec<Counter<'a>>,
    points: Points<'a>,
    /// The tracks in the order their entries were made: CPUs, idle, processes, points,
    /// counters.
    kinds: Vec<Track>,
    /// The next entry of each track in `kinds`.
    pos: Vec<usize>,
    /// Scratch for names made from parts.
    scratch: Vec<u8>,
}

impl<'a> Tracks<'a> {
    fn new(
        events: &'a [Event],
        tl: &'a Replay,
        names: &'a Names,
        rows: &'a Rows,
        labels: &'a [RowLabels],
    ) -> Tracks<'a> {
        let runs: Vec<CpuRuns> = tl
            .cpus
            .iter()
            .map(|&cpu| CpuRuns {
                tid: cpu_tid(cpu),
                runs: tl.runs_on(cpu),
            })
            .collect();
        let counters: Vec<Counter> = tl
            .endpoints
            .iter()
            .filter(|(_, s)| !s.depth.is_empty())
            .map(|(ep, s)| {
                let mut label = vec![b'"'];
                match *ep {
                    Endpoint::Mailbox(m) => names.push_mailbox(&mut label, m),
                    Endpoint::Inbox(p) => {
                        names.push_pid(&mut label, p);
                        label.extend_from_slice(b" inbox");
                    }
                }
                escape_from(&mut label, 1);
                label.push(b'"');
                Counter {
                    label,
                    depth: &s.depth,
                }
            })
            .collect();
        let mut kinds: Vec<Track> = (0..runs.len()).map(Track::Runs).collect();
        kinds.push(Track::Idle);
        kinds.extend((0..tl.processes.len()).map(Track::States));
        kinds.push(Track::Points);
        kinds.extend((0..counters.len()).map(Track::Counter));
        let pos = vec![0; kinds.len()];
        Tracks {
            tl,
            names,
            labels,
            runs,
            counters,
            points: Points::new(events, tl, rows),
            kinds,
            pos,
            scratch: Vec::new(),
        }
    }

    /// The tick of track `i`'s next entry, if it has one left.
    fn head(&mut self, i: usize) -> Option<Ticks> {
        let pos = self.pos[i];
        match self.kinds[i] {
            Track::Runs(c) => self.runs[c].runs.get(pos).map(|(_, s)| s.start),
            Track::Idle => self.tl.idle.get(pos).map(|s| s.start),
            Track::States(row) => {
                let spans = &self.tl.processes[row].spans;
                // Zero-length spans other than running ones are left out.
                let skip = spans[pos.min(spans.len())..]
                    .iter()
                    .take_while(|s| s.ticks() == 0 && !matches!(s.state, State::Running { .. }))
                    .count();
                self.pos[i] = pos + skip;
                spans.get(pos + skip).map(|s| s.start)
            }
            Track::Points => self.points.head(),
            Track::Counter(k) => self.counters[k].depth.get(pos).map(|&(tick, _)| tick),
        }
    }

    /// Write track `i`'s next entry (none, for a point event that shows nothing).
    fn emit(&mut self, i: usize, out: &mut Vec<u8>) {
        let pos = self.pos[i];
        self.pos[i] = pos + 1;
        match self.kinds[i] {
            Track::Runs(c) => {
                let CpuRuns { tid, runs } = &self.runs[c];
                if let Some(&(row, span)) = runs.get(pos) {
                    if let Some(l) = self.labels.get(row) {
                        write_run(out, l, *tid, span);
                    }
                }
            }
            Track::Idle => {
                if let Some(s) = self.tl.idle.get(pos) {
                    let ticks = s.end.saturating_sub(s.start);
                    out.extend_from_slice(b",\n{\"args\":{\"ticks\":");
                    push_u64(out, ticks);
                    out.extend_from_slice(b"},\"cat\":\"idle\",\"dur\":");
                    push_u64(out, ticks);
                    out.extend_from_slice(b",\"name\":\"idle\",\"ph\":\"X\",\"pid\":");
                    push_u64(out, CPUS_PID);
                    slice_tail(out, cpu_tid(s.cpu), s.start);
                }
            }
            Track::States(row) => {
                if let Some(&span) = self.tl.processes[row].spans.get(pos) {
                    write_state(out, &mut self.scratch, self.names, process_tid(row), span);
                }
            }
            Track::Points => self.points.emit(out),
            Track::Counter(k) => {
                let Counter { label, depth } = &self.counters[k];
                if let Some(&(tick, queued)) = depth.get(pos) {
                    out.extend_from_slice(b",\n{\"args\":{\"queued\":");
                    push_u64(out, queued as u64);
                    out.extend_from_slice(b"},\"cat\":\"queue\",\"name\":");
                    out.extend_from_slice(label);
                    out.extend_from_slice(b",\"ph\":\"C\",\"pid\":");
                    push_u64(out, MAILBOXES_PID);
                    slice_tail(out, MAILBOXES_PID, tick);
                }
            }
        }
    }
}

/// A stretch a process ran on a CPU.
fn write_run(out: &mut Vec<u8>, l: &RowLabels, tid: u64, span: Span) {
    let ticks = span.ticks();
    out.extend_from_slice(b",\n{\"args\":{\"name\":");
    out.extend_from_slice(&l.name);
    out.extend_from_slice(b",\"pid\":");
    out.extend_from_slice(&l.pid);
    out.extend_from_slice(b",\"ticks\":");
    push_u64(out, ticks);
    out.extend_from_slice(b"},\"cat\":\"run\",\"dur\":");
    push_u64(out, ticks);
    out.extend_from_slice(b",\"name\":");
    out.extend_from_slice(&l.label);
    out.extend_from_slice(b",\"ph\":\"X\",\"pid\":");
    push_u64(out, CPUS_PID);
    slice_tail(out, tid, span.start);
}

/// A span of one process's states, named with the whole trace's `names`.
fn write_state(out: &mut Vec<u8>, queue: &mut Vec<u8>, names: &Names, tid: u64, span: Span) {
    let ticks = span.ticks();
    out.extend_from_slice(b",\n{\"args\":{");
    match span.state {
        State::Running { cpu } => {
            out.extend_from_slice(b"\"cpu\":");
            push_u64(out, u64::from(cpu));
            out.push(b',');
        }
        State::Blocked { queue: q } => {
            queue.clear();
            names.push_queue(queue, q);
            escape_from(queue, 0);
            out.extend_from_slice(b"\"queue\":\"");
            out.extend_from_slice(queue);
            out.extend_from_slice(b"\",");
        }
        State::Ready | State::Sleeping => {}
    }
    out.extend_from_slice(b"\"state\":\"");
    out.extend_from_slice(span.state.name().as_bytes());
    out.extend_from_slice(b"\",\"ticks\":");
    push_u64(out, ticks);
    out.extend_from_slice(b"},\"cat\":\"state\",\"dur\":");
    push_u64(out, ticks);
    out.extend_from_slice(b",\"name\":\"");
    if let State::Blocked { .. } = span.state {
        out.extend_from_slice(b"blocked on ");
        out.extend_from_slice(queue);
    } else {
        out.extend_from_slice(span.state.name().as_bytes());
    }
    out.extend_from_slice(b"\",\"ph\":\"X\",\"pid\":");
    push_u64(out, PROCESSES_PID);
    slice_tail(out, tid, span.start);
}

/// `,"tid":T,"ts":S}`: how every slice and counter ends.
fn slice_tail(out: &mut Vec<u8>, tid: u64, ts: Ticks) {
    out.extend_from_slice(b",\"tid\":");
    push_u64(out, tid);
    out.extend_from_slice(b",\"ts\":");
    push_u64(out, ts);
    out.push(b'}');
}

/// The point events: each event's instants and flows, made when the merge reaches it, with
/// the names the trace had introduced by then (as the text trace names them).
struct Points<'a> {
    events: &'a [Event],
    /// The next event to show.
    next: usize,
    rows: &'a Rows,
    names: Names,
    messages: Messages<'a>,
    flows: FlowMarks,
    /// The tick of the event at hand, never before the previous one (as in the replay), so
    /// a malformed trace still gives time-ordered events and flows that end after they begin.
    tick: Ticks,
    /// Where in the output the event's `args` object is, once the first instant that shows
    /// it has written it: a handoff's second instant copies it from there (nothing is
    /// spilled in between: an event's entries are written in one go).
    args: Option<(usize, usize)>,
    /// Where in the output the contents of the `text` field of those `args` are, for an event
    /// with a call, return or fault to show.
    text: Option<Range<usize>>,
    /// The name of the instant at hand, as a JSON string; without its closing quote when
    /// `name_ends_in_text`.
    name: Vec<u8>,
    /// Whether the instant's name ends with the event's text (a call, a failed return, a
    /// fault): that comes from its `args`, written just before the name, and is copied from
    /// there rather than written a second time.
    name_ends_in_text: bool,
}

impl<'a> Points<'a> {
    fn new(events: &'a [Event], tl: &'a Replay, rows: &'a Rows) -> Points<'a> {
        Points {
            events,
            next: 0,
            rows,
            names: Names::default(),
            messages: Messages::new(tl, dense_messages(events.len())),
            flows: FlowMarks::new(dense_messages(events.len())),
            tick: 0,
            args: None,
            text: None,
            name: Vec::new(),
            name_ends_in_text: false,
        }
    }

    fn head(&self) -> Option<Ticks> {
        self.events.get(self.next).map(|e| self.tick.max(e.tick))
    }

    /// Show the next event: its instants and flows, if it has any.
    fn emit(&mut self, out: &mut Vec<u8>) {
        let Some(e) = self.events.get(self.next) else {
            return;
        };
        self.next += 1;
        self.tick = self.tick.max(e.tick);
        self.names.learn(&e.kind);
        self.args = None;
        self.text = None;
        self.name_ends_in_text = false;
        self.name.clear();
        self.name.push(b'"');
        let (name, n) = (&mut self.name, &self.names);
        match &e.kind {
            EventKind::Spawn { pid, .. } => {
                name.extend_from_slice(b"spawn\"");
                self.on_process(out, e, *pid);
            }
            // State changes are already the slices' boundaries.
            EventKind::Dispatch { .. }
            | EventKind::Block { .. }
            | EventKind::Yield { .. }
            | EventKind::Sleep { .. }
            | EventKind::Idle { .. } => {}
            EventKind::Preempt { pid, .. } => {
                name.extend_from_slice(b"preempt\"");
                self.on_process(out, e, *pid);
            }
            EventKind::Syscall { pid, .. } => {
                self.name_ends_in_text = true;
                self.on_process(out, e, *pid);
            }
            EventKind::BadSyscall { pid, sysno, error } => {
                name.extend_from_slice(b"syscall #");
                push_u64(name, *sysno);
                name.extend_from_slice(b" refused: ");
                name.extend_from_slice(error.name().as_bytes());
                name.push(b'"');
                self.on_process(out, e, *pid);
            }
            EventKind::Return { pid, ret, .. } => {
                // A successful return is implied by what follows; a failure is worth a mark.
                if ret[0] != 0 {
                    name.extend_from_slice(b"return ");
                    self.name_ends_in_text = true;
                    self.on_process(out, e, *pid);
                }
            }
            EventKind::Wake { pid, reason, .. } => {
                name.extend_from_slice(b"wake (");
                name.extend_from_slice(reason.name().as_bytes());
                name.extend_from_slice(b")\"");
                self.on_process(out, e, *pid);
            }
            EventKind::MessageQueued { msg, from, to, .. } => {
                name.extend_from_slice(b"queue msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" -> ");
                n.push_dest(name, *to);
                end_name(name);
                self.on_process(out, e, *from);
                self.flow_start(out, *msg, *from);
            }
            EventKind::MessageHandedOver { msg, from, to, .. } => {
                name.extend_from_slice(b"handoff msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" -> ");
                n.push_pid(name, *to);
                end_name(name);
                self.on_process(out, e, *from);
                self.flow_start(out, *msg, *from);
                let (name, n) = (&mut self.name, &self.names);
                name.clear();
                name.extend_from_slice(b"\"receive msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" from ");
                n.push_pid(name, *from);
                end_name(name);
                self.on_process(out, e, *to);
                self.flow_end(out, *msg, *to);
            }
            EventKind::MessageReceived { msg, from, by, .. } => {
                name.extend_from_slice(b"take msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" from ");
                n.push_pid(name, *from);
                end_name(name);
                self.on_process(out, e, *by);
                self.flow_end(out, *msg, *by);
            }
            EventKind::MessagesDropped { via, count, .. } => {
                name.extend_from_slice(b"drop ");
                push_u64(name, *count as u64);
                name.extend_from_slice(b" at ");
                n.push_dest(name, *via);
                end_name(name);
                self.on_cpu(out, e, b"t");
            }
            EventKind::SendAbandoned { pid, error, .. } => {
                name.extend_from_slice(b"send abandoned (");
                name.extend_from_slice(error.name().as_bytes());
                name.extend_from_slice(b")\"");
                self.on_process(out, e, *pid);
            }
            EventKind::ReplyDelivered { from, to, .. } => {
                name.extend_from_slice(b"reply -> ");
                n.push_pid(name, *to);
                end_name(name);
                self.on_process(out, e, *from);
            }
            EventKind::ReplyDropped { from, to, .. } => {
                name.extend_from_slice(b"reply -> ");
                n.push_pid(name, *to);
                name.extend_from_slice(b" dropped");
                end_name(name);
                self.on_process(out, e, *from);
            }
            EventKind::MailboxCreated { id, owner, .. } => {
                name.extend_from_slice(b"create ");
                n.push_mailbox(name, *id);
                end_name(name);
                self.on_process(out, e, *owner);
            }
            EventKind::MailboxDeleted { id, by, .. } => {
                name.extend_from_slice(b"delete ");
                n.push_mailbox(name, *id);
                end_name(name);
                self.on_process(out, e, *by);
            }
            EventKind::MailboxTransferred { id, from, to } => {
                name.extend_from_slice(b"transfer ");
                n.push_mailbox(name, *id);
                name.extend_from_slice(b" -> ");
                n.push_pid(name, *to);
                end_name(name);
                self.on_process(out, e, *from);
            }
            EventKind::MailboxOrphaned { id, from } => {
                name.extend_from_slice(b"orphan ");
                n.push_mailbox(name, *id);
                end_name(name);
                self.on_process(out, e, *from);
            }
            EventKind::ReceiveGranted { id, by, to } => {
                name.extend_from_slice(b"grant receive ");
                n.push_mailbox(name, *id);
                name.extend_from_slice(b" -> ");
                n.push_pid(name, *to);
                end_name(name);
                self.on_process(out, e, *by);
            }
            EventKind::RightTransferred {
                msg,
                right,
                from,
                to,
            } => {
                name.extend_from_slice(right.name().as_bytes());
                name.extend_from_slice(b" right on ");
                n.push_mailbox(name, right.mailbox());
                name.extend_from_slice(b" -> ");
                n.push_pid(name, *to);
                name.extend_from_slice(b" (msg#");
                push_u64(name, *msg);
                name.push(b')');
                end_name(name);
                self.on_process(out, e, *from);
            }
            EventKind::RightVoided { msg, right, from } => {
                name.extend_from_slice(right.name().as_bytes());
                name.extend_from_slice(b" right on ");
                n.push_mailbox(name, right.mailbox());
                name.extend_from_slice(b" voided (msg#");
                push_u64(name, *msg);
                name.push(b')');
                end_name(name);
                self.on_process(out, e, *from);
            }
            EventKind::SendGranted { id, by, to } => {
                name.extend_from_slice(b"grant send ");
                n.push_mailbox(name, *id);
                name.extend_from_slice(b" -> ");
                n.push_pid(name, *to);
                end_name(name);
                self.on_process(out, e, *by);
            }
            EventKind::ReceiveRevoked { id, by, from } => {
                name.extend_from_slice(b"revoke receive ");
                n.push_mailbox(name, *id);
                name.extend_from_slice(b" <- ");
                n.push_pid(name, *from);
                end_name(name);
                self.on_process(out, e, *by);
            }
            EventKind::Print { pid, .. } => {
                name.extend_from_slice(b"print\"");
                self.on_process(out, e, *pid);
            }
            EventKind::Exit { pid, code, reason } => {
                name.extend_from_slice(b"exit ");
                push_i64(name, i64::from(*code));
                name.extend_from_slice(b" (");
                name.extend_from_slice(exit_how(reason).as_bytes());
                name.extend_from_slice(b")\"");
                self.on_process(out, e, *pid);
            }
            EventKind::Deadlock { .. } => {
                name.extend_from_slice(b"deadlock\"");
                self.on_cpu(out, e, b"g");
            }
            EventKind::Livelock { .. } => {
                name.extend_from_slice(b"livelock\"");
                self.on_cpu(out, e, b"g");
            }
            EventKind::TickLimit { limit } => {
                name.extend_from_slice(b"tick limit ");
                push_u64(name, *limit);
                name.push(b'"');
                self.on_cpu(out, e, b"g");
            }
            EventKind::PriorityLent { from, to, priority } => {
                name.extend_from_slice(b"lend priority ");
                push_u64(name, u64::from(*priority));
                name.extend_from_slice(b" from ");
                n.push_pid(name, *from);
                end_name(name);
                self.on_process(out, e, *to);
            }
            EventKind::PriorityReturned { pid, priority } => {
                name.extend_from_slice(b"priority back to ");
                push_u64(name, u64::from(*priority));
                name.push(b'"');
                self.on_process(out, e, *pid);
            }
            EventKind::DeadlockRefused { pid, .. } => {
                name.extend_from_slice(b"deadlock refused\"");
                self.on_process(out, e, *pid);
            }
            EventKind::Migrate { pid, from, to } => {
                name.extend_from_slice(b"migrate cpu");
                push_u64(name, u64::from(*from));
                name.extend_from_slice(b" -> cpu");
                push_u64(name, u64::from(*to));
                name.push(b'"');
                self.on_process(out, e, *pid);
            }
            EventKind::Fault { kind } => {
                name.extend_from_slice(b"fault: ");
                self.name_ends_in_text = true;
                match kind {
                    FaultKind::Kill { pid, .. } => self.on_process(out, e, *pid),
                    FaultKind::Lose { from, .. }
                    | FaultKind::Delay { from, .. }
                    | FaultKind::Arrive { from, .. } => self.on_process(out, e, *from),
                    // The clock jumps for every CPU and process alike.
                    FaultKind::ClockJump { .. } => self.on_cpu(out, e, b"g"),
                    FaultKind::KillMissed { .. } => self.on_cpu(out, e, b"t"),
                }
            }
        }
    }

    /// A thread-scoped instant on `pid`'s track, if the trace spawned it.
    fn on_process(&mut self, out: &mut Vec<u8>, e: &Event, pid: Pid) {
        if let Some(tid) = self.rows.tid(pid) {
            self.instant(out, e, PROCESSES_PID, b"t", tid);
        }
    }

    /// An instant on the track of the event's CPU; `scope` `g` draws it across every track.
    fn on_cpu(&mut self, out: &mut Vec<u8>, e: &Event, scope: &[u8]) {
        self.instant(out, e, CPUS_PID, scope, cpu_tid(e.cpu));
    }

    fn instant(&mut self, out: &mut Vec<u8>, e: &Event, pid: u64, scope: &[u8], tid: u64) {
        out.extend_from_slice(b",\n{\"args\":");
        match self.args {
            Some((start, end)) => out.extend_from_within(start..end),
            None => {
                let start = out.len();
                self.text = jsonl::push_fields_with_tick(out, &self.names, &e.kind, e.tick);
                self.args = Some((start, out.len()));
            }
        }
        out.extend_from_slice(b",\"cat\":\"");
        // Event names are snake_case ASCII: nothing to escape.
        out.extend_from_slice(jsonl::event_name(&e.kind).as_bytes());
        out.extend_from_slice(b"\",\"name\":");
        out.extend_from_slice(&self.name);
        if self.name_ends_in_text {
            if let Some(text) = self.text.clone() {
                out.extend_from_within(text);
            }
            out.push(b'"');
        }
        out.extend_from_slice(b",\"ph\":\"i\",\"pid\":");
        push_u64(out, pid);
        out.extend_from_slice(b",\"s\":\"");
        out.extend_from_slice(scope);
        out.push(b'"');
        slice_tail(out, tid, self.tick);
    }

    /// The start of a message's arrow, on its sender's track. Only messages that were
    /// received, between processes the trace spawned, get one: an arrow needs both ends.
    fn flow_start(&mut self, out: &mut Vec<u8>, msg: MsgId, from: Pid) {
        let Some(m) = self.messages.get(msg) else {
            return;
        };
        let receiver = m.received.and_then(|r| self.rows.tid(r.by));
        let (Some(tid), Some(_)) = (self.rows.tid(from), receiver) else {
            return;
        };
        if m.from != from || !self.flows.set(msg, STARTED) {
            return;
        }
        write_flow(out, msg, false, tid, self.tick);
    }

    /// The end of a message's arrow, on its receiver's track, bound to the enclosing slice.
    fn flow_end(&mut self, out: &mut Vec<u8>, msg: MsgId, by: Pid) {
        // Marked finished even when the receiver has no track: a later receive of the same
        // message never draws the arrow either.
        if !self.flows.has(msg, STARTED) || !self.flows.set(msg, FINISHED) {
            return;
        }
        let Some(tid) = self.rows.tid(by) else {
            return;
        };
        write_flow(out, msg, true, tid, self.tick);
    }
}

/// One end of message `msg`'s arrow, on track `tid`: its start (`"ph":"s"`), or its `end`
/// (`"ph":"f"`, bound to the enclosing slice by `"bp":"e"`).
// Inlined, `end` is known at each call: each writes its own constant text.
#[inline(always)]
fn write_flow(out: &mut Vec<u8>, msg: MsgId, end: bool, tid: u64, tick: Ticks) {
    out.extend_from_slice(b",\n{\"args\":{\"msg\":");
    push_u64(out, msg);
    out.extend_from_slice(if end {
        b"},\"bp\":\"e\",\"cat\":\"message\",\"id\":".as_slice()
    } else {
        b"},\"cat\":\"message\",\"id\":"
    });
    push_u64(out, msg);
    out.extend_from_slice(b",\"name\":\"message\",\"ph\":\"");
    out.push(if end { b'f' } else { b's' });
    out.extend_from_slice(b"\",\"pid\":");
    push_u64(out, PROCESSES_PID);
    slice_tail(out, tid, tick);
}

/// Close an instant's name (a JSON string being written in `name`): what follows its opening
/// quote was written raw, names and all, so it is escaped here.
fn end_name(name: &mut Vec<u8>) {
    escape_from(name, 1);
    name.push(b'"');
}
