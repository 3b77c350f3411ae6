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
//! An instant's `args` are the event's JSON-lines fields (the [`jsonl`] schema: ids as
//! strings, each with its `_name`) plus its `tick`. Every object's keys are in sorted order,
//! as `serde_json` wrote them when this renderer built `Value` trees.
//!
//! A trace has millions of output events, so the document is written as bytes straight into
//! its output, in order, with no tree or string per entry: each track (a CPU's runs, the idle
//! stretches, a process's states, the point events, an endpoint's counter) is already in time
//! order, and the tracks are merged as they are written, so nothing is sorted and nothing but
//! the timeline is held besides the output. [`write_chrome`] hands that on a chunk at a time
//! and never holds the document whole. Strings are escaped as `serde_json` escapes them; all
//! numbers are integers.
//!
//! The module reads the events only and never panics on any event sequence.

use super::jsonl;
use super::timeline::{Endpoint, MessageFlow, ProcessTimeline, Span, State, Timeline};
use super::Names;
use abi::{
    Capacity, Dest, Error, MailboxId, Mode, Pid, RecvFlags, Source, Syscall, Sysno, Ticks, RET_REGS,
};
use kernel::ipc::WaitQueueId;
use kernel::trace::{
    CpuId, Event, EventKind, ExitReason, FaultKind, KillCause, MsgId, ReplyDropReason,
};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};

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
    // Only ASCII and whole `str`s (escaped at ASCII bytes) are written: always UTF-8.
    String::from_utf8(sink.buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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

/// How much of the document [`write_chrome`] gathers before it writes: a write is one
/// system call per hundreds of events, and the chunk stays in the cache.
const CHUNK: usize = 64 * 1024;

/// Bytes of document to reserve per event, so that [`render`] allocates once: a run makes
/// about 260 (instants with their arguments, slices, flows, counters). Reserving more than
/// is written costs address space only, pages never touched; running short costs a copy of
/// everything written so far.
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
    let mut tl = Timeline::from_events(events, end);
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
fn write_metadata(out: &mut Vec<u8>, tl: &Timeline, labels: &[RowLabels]) {
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
    fn new(p: &ProcessTimeline) -> RowLabels {
        let mut label = vec![b'"'];
        push_id(&mut label, b"p", p.pid.raw());
        label.push(b':');
        push_escaped(&mut label, &p.name);
        label.push(b'"');
        let mut name = Vec::with_capacity(p.name.len() + 2);
        push_string(&mut name, &p.name);
        let mut pid = Vec::with_capacity(8);
        push_pid(&mut pid, p.pid);
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
    fn new(tl: &Timeline) -> Rows {
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

/// The timeline's messages by id, found by index rather than in its tree: every send looks
/// its message up.
struct Messages<'a> {
    /// Every message with an id below `limit`, at its id.
    dense: Vec<Option<&'a MessageFlow>>,
    limit: u64,
    tl: &'a Timeline,
}

impl<'a> Messages<'a> {
    fn new(tl: &'a Timeline, limit: u64) -> Messages<'a> {
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
    tl: &'a Timeline,
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
        tl: &'a Timeline,
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
                    Endpoint::Mailbox(m) => push_shown_mailbox(&mut label, names, m),
                    Endpoint::Inbox(p) => {
                        push_shown_pid(&mut label, names, p);
                        label.extend_from_slice(b" inbox");
                    }
                }
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
            push_shown_queue(queue, names, q);
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
    /// The tick of the event at hand, never before the previous one (as in the timeline), so
    /// a malformed trace still gives time-ordered events and flows that end after they begin.
    tick: Ticks,
    /// The text of the event's call, return or fault (as the text trace shows it), as a JSON
    /// string: it is both in an instant's name and its `text` field.
    text_json: Vec<u8>,
    /// Where in the output the event's `args` object is, once the first instant that shows
    /// it has written it: a handoff's second instant copies it from there (nothing is
    /// spilled in between: an event's entries are written in one go).
    args: Option<(usize, usize)>,
    /// The name of the instant at hand, as a JSON string.
    name: Vec<u8>,
}

impl<'a> Points<'a> {
    fn new(events: &'a [Event], tl: &'a Timeline, rows: &'a Rows) -> Points<'a> {
        Points {
            events,
            next: 0,
            rows,
            names: Names::default(),
            messages: Messages::new(tl, dense_messages(events.len())),
            flows: FlowMarks::new(dense_messages(events.len())),
            tick: 0,
            text_json: Vec::new(),
            args: None,
            name: Vec::new(),
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
        self.text_json.clear();
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
            EventKind::Syscall { pid, call } => {
                let text = &mut self.text_json;
                text.push(b'"');
                push_call_text(text, n, call);
                text.push(b'"');
                name.clear();
                name.extend_from_slice(text);
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
            EventKind::Return { pid, sysno, ret } => {
                // A successful return is implied by what follows; a failure is worth a mark.
                if ret[0] != 0 {
                    let text = &mut self.text_json;
                    text.push(b'"');
                    push_ret_text(text, n, *sysno, ret);
                    text.push(b'"');
                    name.extend_from_slice(b"return ");
                    name.extend_from_slice(&text[1..]);
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
                push_shown_dest(name, n, *to);
                name.push(b'"');
                self.on_process(out, e, *from);
                self.flow_start(out, *msg, *from);
            }
            EventKind::MessageHandedOver { msg, from, to, .. } => {
                name.extend_from_slice(b"handoff msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" -> ");
                push_shown_pid(name, n, *to);
                name.push(b'"');
                self.on_process(out, e, *from);
                self.flow_start(out, *msg, *from);
                let (name, n) = (&mut self.name, &self.names);
                name.clear();
                name.extend_from_slice(b"\"receive msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" from ");
                push_shown_pid(name, n, *from);
                name.push(b'"');
                self.on_process(out, e, *to);
                self.flow_end(out, *msg, *to);
            }
            EventKind::MessageReceived { msg, from, by, .. } => {
                name.extend_from_slice(b"take msg#");
                push_u64(name, *msg);
                name.extend_from_slice(b" from ");
                push_shown_pid(name, n, *from);
                name.push(b'"');
                self.on_process(out, e, *by);
                self.flow_end(out, *msg, *by);
            }
            EventKind::MessagesDropped { via, count, .. } => {
                name.extend_from_slice(b"drop ");
                push_u64(name, *count as u64);
                name.extend_from_slice(b" at ");
                push_shown_dest(name, n, *via);
                name.push(b'"');
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
                push_shown_pid(name, n, *to);
                name.push(b'"');
                self.on_process(out, e, *from);
            }
            EventKind::ReplyDropped { from, to, .. } => {
                name.extend_from_slice(b"reply -> ");
                push_shown_pid(name, n, *to);
                name.extend_from_slice(b" dropped\"");
                self.on_process(out, e, *from);
            }
            EventKind::MailboxCreated { id, owner, .. } => {
                name.extend_from_slice(b"create ");
                push_shown_mailbox(name, n, *id);
                name.push(b'"');
                self.on_process(out, e, *owner);
            }
            EventKind::MailboxDeleted { id, by, .. } => {
                name.extend_from_slice(b"delete ");
                push_shown_mailbox(name, n, *id);
                name.push(b'"');
                self.on_process(out, e, *by);
            }
            EventKind::MailboxTransferred { id, from, to } => {
                name.extend_from_slice(b"transfer ");
                push_shown_mailbox(name, n, *id);
                name.extend_from_slice(b" -> ");
                push_shown_pid(name, n, *to);
                name.push(b'"');
                self.on_process(out, e, *from);
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
                push_shown_pid(name, n, *from);
                name.push(b'"');
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
                let text = &mut self.text_json;
                text.push(b'"');
                push_fault_text(text, n, kind);
                text.push(b'"');
                name.extend_from_slice(b"fault: ");
                name.extend_from_slice(&text[1..]);
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
                write_fields(out, &self.names, e, &self.text_json);
                self.args = Some((start, out.len()));
            }
        }
        out.extend_from_slice(b",\"cat\":\"");
        // Event names are snake_case ASCII: nothing to escape.
        out.extend_from_slice(jsonl::event_name(&e.kind).as_bytes());
        out.extend_from_slice(b"\",\"name\":");
        out.extend_from_slice(&self.name);
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
        out.extend_from_slice(b",\n{\"args\":{\"msg\":");
        push_u64(out, msg);
        out.extend_from_slice(b"},\"cat\":\"message\",\"id\":");
        push_u64(out, msg);
        out.extend_from_slice(b",\"name\":\"message\",\"ph\":\"s\",\"pid\":");
        push_u64(out, PROCESSES_PID);
        slice_tail(out, tid, self.tick);
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
        out.extend_from_slice(b",\n{\"args\":{\"msg\":");
        push_u64(out, msg);
        out.extend_from_slice(b"},\"bp\":\"e\",\"cat\":\"message\",\"id\":");
        push_u64(out, msg);
        out.extend_from_slice(b",\"name\":\"message\",\"ph\":\"f\",\"pid\":");
        push_u64(out, PROCESSES_PID);
        slice_tail(out, tid, self.tick);
    }
}

/// How a process ended, in one word.
const fn exit_how(reason: &ExitReason) -> &'static str {
    match reason {
        ExitReason::Exit => "exit",
        ExitReason::Returned => "returned",
        ExitReason::Panicked(_) => "panicked",
        ExitReason::Fault(_) => "fault",
        ExitReason::Killed => "killed",
    }
}

/// `"key":` with the `{` that opens an object before it: its first field.
macro_rules! first {
    ($out:expr, $key:literal) => {
        $out.extend_from_slice(concat!("{\"", $key, "\":").as_bytes())
    };
}

/// `,"key":`: every later field.
macro_rules! key {
    ($out:expr, $key:literal) => {
        $out.extend_from_slice(concat!(",\"", $key, "\":").as_bytes())
    };
}

/// An event's JSON-lines fields (the [`jsonl`] schema) and its `tick`, as one object, keys
/// sorted. `text` is the JSON string of its call, return or fault text, for the kinds that
/// have one.
fn write_fields(out: &mut Vec<u8>, n: &Names, e: &Event, text: &[u8]) {
    match &e.kind {
        EventKind::Spawn {
            pid,
            parent,
            program,
            arg,
            inbox,
            priority,
            ..
        } => {
            first!(out, "arg");
            push_u64(out, *arg);
            key!(out, "inbox");
            push_capacity(out, *inbox);
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "parent");
            push_opt(out, *parent, push_pid);
            key!(out, "parent_name");
            push_opt(out, *parent, |out, p| push_proc_name(out, n, p));
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "priority");
            push_u64(out, u64::from(*priority));
            key!(out, "program");
            push_string(out, program);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Dispatch { pid } | EventKind::Yield { pid } => {
            first!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Preempt { pid, burst_left } => {
            first!(out, "burst_left");
            push_u64(out, *burst_left);
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Syscall { pid, call } => {
            first!(out, "args");
            write_call_args(out, n, call);
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "syscall");
            push_ident(out, call.sysno().name());
            key!(out, "text");
            out.extend_from_slice(text);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::BadSyscall { pid, sysno, error } => {
            first!(out, "error");
            push_ident(out, error.name());
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "sysno");
            push_u64(out, *sysno);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Return { pid, sysno, ret } => {
            let ok = ret[0] == 0;
            first!(out, "error");
            if ok {
                out.extend_from_slice(b"null");
            } else {
                push_ident(out, Error::from_code(ret[0]).map_or("unknown", Error::name));
            }
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "ok");
            out.extend_from_slice(if ok { b"true" } else { b"false" });
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "ret");
            out.push(b'[');
            push_u64(out, ret[1]);
            out.push(b',');
            push_u64(out, ret[2]);
            out.push(b',');
            push_u64(out, ret[3]);
            out.push(b']');
            key!(out, "syscall");
            push_opt(out, *sysno, |out, s| push_ident(out, s.name()));
            key!(out, "text");
            out.extend_from_slice(text);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Block {
            pid,
            queue,
            deadline,
        } => {
            first!(out, "deadline");
            push_opt(out, *deadline, push_u64);
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "queue");
            push_queue(out, *queue);
            key!(out, "queue_name");
            push_queue_name(out, n, *queue);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Wake { pid, by, reason } => {
            first!(out, "by");
            push_opt(out, *by, push_pid);
            key!(out, "by_name");
            push_opt(out, *by, |out, p| push_proc_name(out, n, p));
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "reason");
            push_ident(out, reason.name());
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::MessageQueued {
            msg,
            from,
            to,
            len,
            depth,
            call,
        } => {
            first!(out, "call");
            push_bool(out, *call);
            key!(out, "depth");
            push_u64(out, *depth as u64);
            key!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "len");
            push_u64(out, *len as u64);
            key!(out, "msg");
            push_u64(out, *msg);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_dest(out, *to);
            key!(out, "to_name");
            push_dest_name(out, n, *to);
        }
        EventKind::MessageHandedOver {
            msg,
            from,
            to,
            via,
            len,
            call,
        } => {
            first!(out, "call");
            push_bool(out, *call);
            key!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "len");
            push_u64(out, *len as u64);
            key!(out, "msg");
            push_u64(out, *msg);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_pid(out, *to);
            key!(out, "to_name");
            push_proc_name(out, n, *to);
            key!(out, "via");
            push_dest(out, *via);
            key!(out, "via_name");
            push_dest_name(out, n, *via);
        }
        EventKind::MessageReceived {
            msg,
            from,
            by,
            via,
            len,
        } => {
            first!(out, "by");
            push_pid(out, *by);
            key!(out, "by_name");
            push_proc_name(out, n, *by);
            key!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "len");
            push_u64(out, *len as u64);
            key!(out, "msg");
            push_u64(out, *msg);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "via");
            push_dest(out, *via);
            key!(out, "via_name");
            push_dest_name(out, n, *via);
        }
        EventKind::MessagesDropped { via, count, reason } => {
            first!(out, "count");
            push_u64(out, *count as u64);
            key!(out, "reason");
            push_ident(out, reason.name());
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "via");
            push_dest(out, *via);
            key!(out, "via_name");
            push_dest_name(out, n, *via);
        }
        EventKind::SendAbandoned { pid, to, error } => {
            first!(out, "error");
            push_ident(out, error.name());
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_dest(out, *to);
            key!(out, "to_name");
            push_dest_name(out, n, *to);
        }
        EventKind::ReplyDelivered { from, to, len } => {
            first!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "len");
            push_u64(out, *len as u64);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_pid(out, *to);
            key!(out, "to_name");
            push_proc_name(out, n, *to);
        }
        EventKind::ReplyDropped { from, to, reason } => {
            first!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "reason");
            push_ident(
                out,
                match reason {
                    ReplyDropReason::NoSuchProcess => "no_such_process",
                    ReplyDropReason::NotWaiting => "not_waiting",
                },
            );
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_pid(out, *to);
            key!(out, "to_name");
            push_proc_name(out, n, *to);
        }
        EventKind::MailboxCreated {
            id,
            owner,
            capacity,
            overflow,
            ..
        } => {
            first!(out, "capacity");
            push_capacity(out, *capacity);
            key!(out, "mailbox");
            push_mailbox(out, *id);
            key!(out, "mailbox_name");
            push_mailbox_name(out, n, *id);
            key!(out, "overflow");
            push_ident(out, overflow.name());
            key!(out, "owner");
            push_pid(out, *owner);
            key!(out, "owner_name");
            push_proc_name(out, n, *owner);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::MailboxDeleted {
            id,
            by,
            dropped,
            woken,
        } => {
            first!(out, "by");
            push_pid(out, *by);
            key!(out, "by_name");
            push_proc_name(out, n, *by);
            key!(out, "dropped");
            push_u64(out, *dropped as u64);
            key!(out, "mailbox");
            push_mailbox(out, *id);
            key!(out, "mailbox_name");
            push_mailbox_name(out, n, *id);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "woken");
            push_u64(out, *woken as u64);
        }
        EventKind::MailboxTransferred { id, from, to } => {
            first!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "mailbox");
            push_mailbox(out, *id);
            key!(out, "mailbox_name");
            push_mailbox_name(out, n, *id);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_pid(out, *to);
            key!(out, "to_name");
            push_proc_name(out, n, *to);
        }
        EventKind::Sleep { pid, until } => {
            first!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "until");
            push_u64(out, *until);
        }
        EventKind::Idle { until } => {
            first!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "until");
            push_u64(out, *until);
        }
        EventKind::Print { pid, text } => {
            first!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "text");
            push_string(out, text);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Exit { pid, code, reason } => {
            first!(out, "code");
            push_i64(out, i64::from(*code));
            key!(out, "message");
            match reason {
                ExitReason::Panicked(m) | ExitReason::Fault(m) => push_string(out, m),
                ExitReason::Exit | ExitReason::Returned | ExitReason::Killed => {
                    out.extend_from_slice(b"null")
                }
            }
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "reason");
            push_ident(out, exit_how(reason));
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Deadlock { cycle, blocked } => {
            first!(out, "blocked");
            out.push(b'[');
            for (i, w) in blocked.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                first!(out, "holder");
                push_opt(out, w.holder, push_pid);
                key!(out, "holder_name");
                push_opt(out, w.holder, |out, p| push_proc_name(out, n, p));
                key!(out, "name");
                push_proc_name(out, n, w.pid);
                key!(out, "pid");
                push_pid(out, w.pid);
                key!(out, "queue");
                push_queue(out, w.queue);
                key!(out, "queue_name");
                push_queue_name(out, n, w.queue);
                out.push(b'}');
            }
            out.push(b']');
            key!(out, "cycle");
            push_cycle(out, n, cycle);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::TickLimit { limit } => {
            first!(out, "limit");
            push_u64(out, *limit);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::PriorityLent { from, to, priority } => {
            first!(out, "from");
            push_pid(out, *from);
            key!(out, "from_name");
            push_proc_name(out, n, *from);
            key!(out, "priority");
            push_u64(out, u64::from(*priority));
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to");
            push_pid(out, *to);
            key!(out, "to_name");
            push_proc_name(out, n, *to);
        }
        EventKind::PriorityReturned { pid, priority } => {
            first!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "priority");
            push_u64(out, u64::from(*priority));
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::DeadlockRefused { pid, queue, cycle } => {
            first!(out, "cycle");
            push_cycle(out, n, cycle);
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "queue");
            push_queue(out, *queue);
            key!(out, "queue_name");
            push_queue_name(out, n, *queue);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
        EventKind::Migrate { pid, from, to } => {
            first!(out, "from_cpu");
            push_u64(out, u64::from(*from));
            key!(out, "name");
            push_proc_name(out, n, *pid);
            key!(out, "pid");
            push_pid(out, *pid);
            key!(out, "tick");
            push_u64(out, e.tick);
            key!(out, "to_cpu");
            push_u64(out, u64::from(*to));
        }
        EventKind::Fault { kind } => {
            let subject = match kind {
                FaultKind::Kill { pid, .. } => Some(*pid),
                FaultKind::Lose { from, .. }
                | FaultKind::Delay { from, .. }
                | FaultKind::Arrive { from, .. } => Some(*from),
                FaultKind::KillMissed { .. } | FaultKind::ClockJump { .. } => None,
            };
            first!(out, "args");
            write_fault_args(out, n, kind);
            key!(out, "fault");
            push_ident(out, kind.name());
            key!(out, "name");
            push_opt(out, subject, |out, p| push_proc_name(out, n, p));
            key!(out, "pid");
            push_opt(out, subject, push_pid);
            key!(out, "text");
            out.extend_from_slice(text);
            key!(out, "tick");
            push_u64(out, e.tick);
        }
    }
    out.push(b'}');
}

/// A syscall's arguments, ids named, keys sorted.
fn write_call_args(out: &mut Vec<u8>, n: &Names, call: &Syscall) {
    match *call {
        Syscall::CreateMailbox {
            capacity,
            name_len,
            overflow,
        } => {
            first!(out, "capacity");
            push_capacity(out, capacity);
            key!(out, "name_len");
            push_u64(out, name_len);
            key!(out, "overflow");
            push_ident(out, overflow.name());
        }
        Syscall::DeleteMailbox { mailbox } => {
            first!(out, "mailbox");
            push_mailbox(out, mailbox);
            key!(out, "mailbox_name");
            push_mailbox_name(out, n, mailbox);
        }
        Syscall::LookupMailbox { name_len } => {
            first!(out, "name_len");
            push_u64(out, name_len);
        }
        Syscall::TransferMailbox { mailbox, to } => {
            first!(out, "mailbox");
            push_mailbox(out, mailbox);
            key!(out, "mailbox_name");
            push_mailbox_name(out, n, mailbox);
            key!(out, "to");
            push_pid(out, to);
            key!(out, "to_name");
            push_proc_name(out, n, to);
        }
        Syscall::Send { dest, len, mode } => {
            first!(out, "dest");
            push_dest(out, dest);
            key!(out, "dest_name");
            push_dest_name(out, n, dest);
            key!(out, "len");
            push_u64(out, len);
            key!(out, "mode");
            push_mode_name(out, mode);
            key!(out, "timeout");
            push_timeout(out, mode);
        }
        Syscall::Receive {
            source,
            buf_len,
            mode,
        } => {
            first!(out, "buf_len");
            push_u64(out, buf_len);
            key!(out, "mode");
            push_mode_name(out, mode);
            key!(out, "source");
            match source {
                Source::Process(p) => push_pid(out, p),
                Source::Mailbox(m) => push_mailbox(out, m),
                Source::Any => out.extend_from_slice(b"\"any\""),
            }
            key!(out, "source_name");
            match source {
                Source::Process(p) => push_proc_name(out, n, p),
                Source::Mailbox(m) => push_mailbox_name(out, n, m),
                Source::Any => out.extend_from_slice(b"null"),
            }
            key!(out, "timeout");
            push_timeout(out, mode);
        }
        Syscall::Call {
            dest,
            len,
            mode,
            reply_len,
        } => {
            first!(out, "dest");
            push_dest(out, dest);
            key!(out, "dest_name");
            push_dest_name(out, n, dest);
            key!(out, "len");
            push_u64(out, len);
            key!(out, "mode");
            push_mode_name(out, mode);
            key!(out, "reply_len");
            push_u64(out, reply_len);
            key!(out, "timeout");
            push_timeout(out, mode);
        }
        Syscall::Reply { to, len } => {
            first!(out, "len");
            push_u64(out, len);
            key!(out, "to");
            push_pid(out, to);
            key!(out, "to_name");
            push_proc_name(out, n, to);
        }
        Syscall::Spawn {
            program_len,
            label_len,
            arg,
            inbox,
            priority,
            expected_burst,
        } => {
            first!(out, "arg");
            push_u64(out, arg);
            // Only when declared, as in the text trace: older traces keep their shape.
            if expected_burst > 0 {
                key!(out, "expected_burst");
                push_u64(out, expected_burst);
            }
            key!(out, "inbox");
            push_capacity(out, inbox);
            key!(out, "label_len");
            push_u64(out, label_len);
            key!(out, "priority");
            push_u64(out, u64::from(priority));
            key!(out, "program_len");
            push_u64(out, program_len);
        }
        Syscall::Exit { code } => {
            first!(out, "code");
            push_i64(out, i64::from(code));
        }
        Syscall::Wait { child, mode } => {
            first!(out, "child");
            push_pid(out, child);
            key!(out, "child_name");
            push_proc_name(out, n, child);
            key!(out, "mode");
            push_mode_name(out, mode);
            key!(out, "timeout");
            push_timeout(out, mode);
        }
        Syscall::GetPid | Syscall::Yield => out.push(b'{'),
        Syscall::Sleep { ticks } | Syscall::Compute { ticks } => {
            first!(out, "ticks");
            push_u64(out, ticks);
        }
        Syscall::Print { len } => {
            first!(out, "len");
            push_u64(out, len);
        }
    }
    out.push(b'}');
}

/// A fault's own fields, ids named, keys sorted.
fn write_fault_args(out: &mut Vec<u8>, n: &Names, kind: &FaultKind) {
    let cause = |out: &mut Vec<u8>, c: KillCause| {
        let (how, at) = match c {
            KillCause::Tick(t) => ("tick", t),
            KillCause::Syscall(s) => ("syscall", s),
        };
        first!(out, "at");
        push_u64(out, at);
        key!(out, "cause");
        push_ident(out, how);
    };
    match kind {
        FaultKind::Kill { cause: c, .. } => cause(out, *c),
        FaultKind::KillMissed { name, tick } => {
            cause(out, KillCause::Tick(*tick));
            key!(out, "process");
            push_string(out, name);
        }
        FaultKind::Lose {
            msg, to, len, call, ..
        } => {
            first!(out, "call");
            push_bool(out, *call);
            key!(out, "len");
            push_u64(out, *len as u64);
            key!(out, "msg");
            push_u64(out, *msg);
            key!(out, "to");
            push_dest(out, *to);
            key!(out, "to_name");
            push_dest_name(out, n, *to);
        }
        FaultKind::Delay {
            msg,
            to,
            until,
            behind,
            ..
        } => {
            first!(out, "behind");
            push_opt(out, *behind, push_u64);
            key!(out, "msg");
            push_u64(out, *msg);
            key!(out, "to");
            push_dest(out, *to);
            key!(out, "to_name");
            push_dest_name(out, n, *to);
            key!(out, "until");
            push_u64(out, *until);
        }
        FaultKind::Arrive { msg, to, .. } => {
            first!(out, "msg");
            push_u64(out, *msg);
            key!(out, "to");
            push_dest(out, *to);
            key!(out, "to_name");
            push_dest_name(out, n, *to);
        }
        FaultKind::ClockJump { from, to } => {
            first!(out, "from_tick");
            push_u64(out, *from);
            key!(out, "to_tick");
            push_u64(out, *to);
        }
    }
    out.push(b'}');
}

// The texts of calls, returns and faults, as the text trace shows them (`Names::call`,
// `Names::ret`, `Names::fault`), escaped for the inside of a JSON string. They are written
// here rather than taken from `Names` because its `String`-returning methods allocate on
// every call; the tests hold the two to the same text.

/// A syscall with its arguments, ids named: `send(mb0:jobs, 8B, blocking)`.
fn push_call_text(out: &mut Vec<u8>, n: &Names, call: &Syscall) {
    let start = out.len();
    out.extend_from_slice(call.sysno().name().as_bytes());
    out.push(b'(');
    match *call {
        Syscall::DeleteMailbox { mailbox } => push_shown_mailbox(out, n, mailbox),
        Syscall::TransferMailbox { mailbox, to } => {
            push_shown_mailbox(out, n, mailbox);
            out.extend_from_slice(b", to ");
            push_shown_pid(out, n, to);
        }
        Syscall::Send { dest, len, mode }
        | Syscall::Call {
            dest, len, mode, ..
        } => {
            push_shown_dest(out, n, dest);
            out.extend_from_slice(b", ");
            push_u64(out, len);
            out.extend_from_slice(b"B, ");
            push_mode(out, mode);
        }
        Syscall::Receive {
            source,
            buf_len,
            mode,
        } => {
            match source {
                Source::Process(p) => {
                    out.extend_from_slice(b"from ");
                    push_shown_pid(out, n, p);
                }
                Source::Mailbox(m) => push_shown_mailbox(out, n, m),
                Source::Any => out.extend_from_slice(b"any"),
            }
            // A buffer of 4 GiB or more is "whatever comes": not worth a column.
            if buf_len < u64::from(u32::MAX) {
                out.extend_from_slice(b", buf=");
                push_u64(out, buf_len);
                out.push(b'B');
            }
            out.extend_from_slice(b", ");
            push_mode(out, mode);
        }
        Syscall::Reply { to, len } => {
            push_shown_pid(out, n, to);
            out.extend_from_slice(b", ");
            push_u64(out, len);
            out.push(b'B');
        }
        Syscall::Wait { child, mode } => {
            push_shown_pid(out, n, child);
            out.extend_from_slice(b", ");
            push_mode(out, mode);
        }
        Syscall::Exit { code } => push_i64(out, i64::from(code)),
        Syscall::GetPid | Syscall::Yield => {}
        Syscall::Sleep { ticks } | Syscall::Compute { ticks } => push_u64(out, ticks),
        Syscall::Print { len } => {
            push_u64(out, len);
            out.push(b'B');
        }
        // No ids to name, and rare: the ABI's own rendering (plain ASCII), so the two never
        // drift apart.
        Syscall::CreateMailbox { .. } | Syscall::LookupMailbox { .. } | Syscall::Spawn { .. } => {
            out.truncate(start);
            // Writing to a `Vec` cannot fail.
            let _ = write!(out, "{call}");
            return;
        }
    }
    out.push(b')');
}

/// A syscall's return registers, read the way that syscall defines them: `ok mb0:jobs`,
/// `err would_block`.
fn push_ret_text(out: &mut Vec<u8>, n: &Names, sysno: Option<Sysno>, ret: &[u64; RET_REGS]) {
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
            push_shown_mailbox(out, n, MailboxId::from_raw(ret[1]));
        }
        Some(Sysno::Spawn | Sysno::GetPid) => {
            out.extend_from_slice(b"ok ");
            push_shown_pid(out, n, Pid::from_raw(ret[1]));
        }
        Some(Sysno::Receive) => {
            out.extend_from_slice(b"ok from ");
            push_shown_pid(out, n, Pid::from_raw(ret[1]));
            out.push(b' ');
            push_u64(out, ret[2]);
            out.push(b'B');
            if RecvFlags::from_bits_truncate(ret[3]).contains(RecvFlags::CALL) {
                out.extend_from_slice(b" (call)");
            }
        }
        Some(Sysno::Call) => {
            out.extend_from_slice(b"ok reply from ");
            push_shown_pid(out, n, Pid::from_raw(ret[1]));
            out.push(b' ');
            push_u64(out, ret[2]);
            out.push(b'B');
        }
        Some(Sysno::Wait) => {
            out.extend_from_slice(b"ok ");
            push_shown_pid(out, n, Pid::from_raw(ret[2]));
            out.extend_from_slice(b" exited ");
            push_i64(out, ret[1] as i64);
        }
        _ => out.extend_from_slice(b"ok"),
    }
}

/// An injected fault: `kill p3:worker (at tick 40)`, `lose msg#4 -> mb0:jobs`, ...
fn push_fault_text(out: &mut Vec<u8>, n: &Names, kind: &FaultKind) {
    match kind {
        FaultKind::Kill { pid, cause } => {
            out.extend_from_slice(b"kill ");
            push_shown_pid(out, n, *pid);
            let (how, at): (&[u8], _) = match cause {
                KillCause::Tick(t) => (b" (at tick ", t),
                KillCause::Syscall(s) => (b" (at syscall ", s),
            };
            out.extend_from_slice(how);
            push_u64(out, *at);
            out.push(b')');
        }
        FaultKind::KillMissed { name, tick } => {
            out.extend_from_slice(b"kill ");
            push_escaped(out, name);
            out.extend_from_slice(b" (at tick ");
            push_u64(out, *tick);
            out.extend_from_slice(b"): no live process of that name");
        }
        FaultKind::Lose { msg, to, call, .. } => {
            out.extend_from_slice(b"lose msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            push_shown_dest(out, n, *to);
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
            push_shown_dest(out, n, *to);
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
            push_shown_dest(out, n, *to);
        }
        FaultKind::ClockJump { from, to } => {
            out.extend_from_slice(b"clock jump ");
            push_u64(out, *from);
            out.extend_from_slice(b" -> ");
            push_u64(out, *to);
        }
    }
}

/// A [`Mode`] as its `Display` shows it.
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

/// Processes as `[{"name":...,"pid":"p3"},...]`.
fn push_cycle(out: &mut Vec<u8>, n: &Names, pids: &[Pid]) {
    out.push(b'[');
    for (i, p) in pids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        first!(out, "name");
        push_proc_name(out, n, *p);
        key!(out, "pid");
        push_pid(out, *p);
        out.push(b'}');
    }
    out.push(b']');
}

/// `value` written by `push`, or `null`.
fn push_opt<T>(out: &mut Vec<u8>, value: Option<T>, push: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        Some(v) => push(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

fn push_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// A capacity: its count, or `"unbounded"`.
fn push_capacity(out: &mut Vec<u8>, c: Capacity) {
    match c {
        Capacity::Zero => out.push(b'0'),
        Capacity::Bounded(n) => push_u64(out, u64::from(n)),
        Capacity::Unbounded => out.extend_from_slice(b"\"unbounded\""),
    }
}

/// A mode's name: `"blocking"`, `"nonblocking"`, `"timeout"`.
fn push_mode_name(out: &mut Vec<u8>, mode: Mode) {
    out.extend_from_slice(match mode {
        Mode::Blocking => b"\"blocking\"".as_slice(),
        Mode::NonBlocking => b"\"nonblocking\"",
        Mode::Timeout(_) => b"\"timeout\"",
    });
}

/// A mode's timeout in ticks, or `null`.
fn push_timeout(out: &mut Vec<u8>, mode: Mode) {
    match mode {
        Mode::Timeout(t) => push_u64(out, t),
        Mode::Blocking | Mode::NonBlocking => out.extend_from_slice(b"null"),
    }
}

/// A pid as a JSON string: `"p3"`.
fn push_pid(out: &mut Vec<u8>, pid: Pid) {
    out.push(b'"');
    push_id(out, b"p", pid.raw());
    out.push(b'"');
}

/// A mailbox id as a JSON string: `"mb0"`.
fn push_mailbox(out: &mut Vec<u8>, id: MailboxId) {
    out.push(b'"');
    push_id(out, b"mb", id.raw());
    out.push(b'"');
}

/// A destination's id as a JSON string (the prefix tells which kind).
fn push_dest(out: &mut Vec<u8>, dest: Dest) {
    match dest {
        Dest::Process(p) => push_pid(out, p),
        Dest::Mailbox(m) => push_mailbox(out, m),
    }
}

/// The name a process was spawned with, or `null`.
fn push_proc_name(out: &mut Vec<u8>, n: &Names, pid: Pid) {
    push_opt(out, n.process_name(pid), push_string);
}

/// The name a mailbox was created with, or `null`.
fn push_mailbox_name(out: &mut Vec<u8>, n: &Names, id: MailboxId) {
    push_opt(out, n.mailbox_name(id), push_string);
}

fn push_dest_name(out: &mut Vec<u8>, n: &Names, dest: Dest) {
    match dest {
        Dest::Process(p) => push_proc_name(out, n, p),
        Dest::Mailbox(m) => push_mailbox_name(out, n, m),
    }
}

/// A wait queue's id as a JSON string: `"mb0.senders"`.
fn push_queue(out: &mut Vec<u8>, q: WaitQueueId) {
    out.push(b'"');
    match q {
        WaitQueueId::MailboxSenders(m)
        | WaitQueueId::MailboxReceiver(m)
        | WaitQueueId::MailboxCallers(m) => push_id(out, b"mb", m.raw()),
        WaitQueueId::InboxSenders(p)
        | WaitQueueId::InboxReceiver(p)
        | WaitQueueId::ReceiversFrom(p)
        | WaitQueueId::Replies(p)
        | WaitQueueId::Exit(p) => push_id(out, b"p", p.raw()),
    }
    out.push(b'.');
    out.extend_from_slice(q.name().as_bytes());
    out.push(b'"');
}

/// A wait queue as the text trace shows it, as a JSON string: `"mb0:jobs.senders"`.
fn push_queue_name(out: &mut Vec<u8>, n: &Names, q: WaitQueueId) {
    out.push(b'"');
    push_shown_queue(out, n, q);
    out.push(b'"');
}

// The `push_shown_*` functions write what `Names` shows for an id (`p3:name`, or `p3` for
// one the trace never named), escaped for the inside of a JSON string.

fn push_shown_pid(out: &mut Vec<u8>, n: &Names, pid: Pid) {
    push_id(out, b"p", pid.raw());
    if let Some(name) = n.process_name(pid) {
        out.push(b':');
        push_escaped(out, name);
    }
}

fn push_shown_mailbox(out: &mut Vec<u8>, n: &Names, id: MailboxId) {
    push_id(out, b"mb", id.raw());
    if let Some(name) = n.mailbox_name(id) {
        out.push(b':');
        push_escaped(out, name);
    }
}

fn push_shown_dest(out: &mut Vec<u8>, n: &Names, dest: Dest) {
    match dest {
        Dest::Process(p) => push_shown_pid(out, n, p),
        Dest::Mailbox(m) => push_shown_mailbox(out, n, m),
    }
}

fn push_shown_queue(out: &mut Vec<u8>, n: &Names, q: WaitQueueId) {
    match q {
        WaitQueueId::MailboxSenders(m)
        | WaitQueueId::MailboxReceiver(m)
        | WaitQueueId::MailboxCallers(m) => push_shown_mailbox(out, n, m),
        WaitQueueId::InboxSenders(p)
        | WaitQueueId::InboxReceiver(p)
        | WaitQueueId::ReceiversFrom(p)
        | WaitQueueId::Replies(p)
        | WaitQueueId::Exit(p) => push_shown_pid(out, n, p),
    }
    out.push(b'.');
    out.extend_from_slice(q.name().as_bytes());
}

/// A generational id as its `Display` shows it: `p3`, or `p3.1` after the slot's reuse.
fn push_id(out: &mut Vec<u8>, prefix: &[u8], raw: u64) {
    out.extend_from_slice(prefix);
    push_u64(out, u64::from(raw as u32));
    let generation = raw >> 32;
    if generation != 0 {
        out.push(b'.');
        push_u64(out, generation);
    }
}

/// A name this program chose (an error's, a syscall's, a reason's: snake_case ASCII, nothing
/// to escape) as a JSON string.
fn push_ident(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// `s` as a JSON string, quotes included.
fn push_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped(out, s);
    out.push(b'"');
}

/// What a byte becomes inside a JSON string, as `serde_json` writes it: 0 for itself, `u`
/// for `\u00XX`, else the letter after the backslash. Only `"`, `\` and the control
/// characters below 0x20 are escaped; DEL, `/` and non-ASCII are not.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// `s` escaped for the inside of a JSON string. Escapes replace single ASCII bytes, so the
/// bytes stay UTF-8.
fn push_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPES[b as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// `00`, `01`, ... `99` as the two digits' ASCII bytes in one `u16`, tens in the high byte:
/// two digits per table look-up, put together in a register rather than in memory (bytes
/// stored one by one and read back as a word stall the read).
const DIGIT_PAIRS: [u16; 100] = {
    let mut table = [0; 100];
    let mut i = 0;
    while i < 100 {
        table[i] = (b'0' as u16 + i as u16 / 10) << 8 | (b'0' as u16 + i as u16 % 10);
        i += 1;
    }
    table
};

/// 10^8: the numbers below it have at most the eight digits one `u64` of ASCII holds.
const EIGHT_DIGITS: u64 = 100_000_000;

/// `v` (below 10^8) as eight ASCII digits, zero-padded: the most significant in the highest
/// byte, so that `to_be_bytes` reads them in order.
fn eight_digits(v: u32) -> u64 {
    let (high, low) = (v / 10_000, v % 10_000);
    // `% 100`: a number's last two digits (and an index the compiler can see is in bounds).
    let pair = |p: u32| u64::from(DIGIT_PAIRS[(p % 100) as usize]);
    pair(high / 100) << 48 | pair(high) << 32 | pair(low / 100) << 16 | pair(low)
}

/// ASCII `0` in every byte of a word.
const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);

/// How many of the eight digits [`eight_digits`] wrote are leading zeros: at most seven, as
/// the last digit shows even when it is 0.
fn leading_zero_digits(digits: u64) -> u32 {
    // Less `0`, each byte is its digit's value, so the leading zeros are the leading zero
    // bytes; setting the lowest bit keeps the last digit whatever it is.
    ((digits ^ ZEROS) | 1).leading_zeros() / 8
}

/// `v` (below 10^8) in decimal.
fn push_short(out: &mut Vec<u8>, v: u32) {
    let digits = eight_digits(v);
    let unused = leading_zero_digits(digits);
    // All eight bytes are written, the digits moved to the front, and the unused tail cut
    // off again: one fixed-size copy rather than one of variable length (a call to
    // `memcpy`).
    out.extend_from_slice(&(digits << (8 * unused)).to_be_bytes());
    out.truncate(out.len() - unused as usize);
}

/// `v` in decimal, as `serde_json` (and `{v}`) writes it.
fn push_u64(out: &mut Vec<u8>, v: u64) {
    if v < 10 {
        // Most pids, CPUs, flags and lengths: one digit.
        out.push(b'0' + v as u8);
    } else if v < 100 {
        out.extend_from_slice(&DIGIT_PAIRS[v as usize].to_be_bytes());
    } else if v < EIGHT_DIGITS {
        push_short(out, v as u32);
    } else {
        push_long(out, v);
    }
}

/// `v` (at least 10^8) in decimal: its leading digits, then eight at a time.
#[cold]
fn push_long(out: &mut Vec<u8>, v: u64) {
    let (high, low) = (v / EIGHT_DIGITS, (v % EIGHT_DIGITS) as u32);
    if high < EIGHT_DIGITS {
        push_short(out, high as u32);
    } else {
        // `u64::MAX` has 20 digits: at most four before the two groups of eight.
        push_short(out, (high / EIGHT_DIGITS) as u32);
        let middle = (high % EIGHT_DIGITS) as u32;
        out.extend_from_slice(&eight_digits(middle).to_be_bytes());
    }
    out.extend_from_slice(&eight_digits(low).to_be_bytes());
}

/// `v` in decimal with its sign.
fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// The renderer as it was before it wrote straight into its output: a `serde_json::Value`
/// per entry (and per event's fields), every entry sorted at the end. Kept as the oracle the
/// fast one must match byte for byte.
#[cfg(test)]
mod reference {
    use super::{cpu_tid, process_tid, CPUS_PID, MAILBOXES_PID, PROCESSES_PID};
    use crate::render::jsonl;
    use crate::render::timeline::{Endpoint, State, Timeline};
    use crate::render::Names;
    use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source, Syscall, Ticks};
    use kernel::ipc::WaitQueueId;
    use kernel::trace::{
        Event, EventKind, ExitReason, FaultKind, KillCause, MsgId, ReplyDropReason,
    };
    use serde_json::{json, Map, Value};
    use std::collections::{BTreeMap, BTreeSet};

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

    /// The JSON-lines encoder's fields as they were built when this renderer used them: one
    /// `Value` tree per event (copied from `jsonl.rs`, so the oracle stays put whatever that
    /// module becomes).
    #[derive(Debug, Default)]
    pub struct Encoder {
        names: Names,
    }

    impl Encoder {
        pub fn new() -> Encoder {
            Encoder::default()
        }

        pub fn learn(&mut self, kind: &EventKind) {
            self.names.learn(kind);
        }

        pub fn names(&self) -> &Names {
            &self.names
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

        fn subject(&self, f: &mut Fields, pid: Pid) {
            f.put("pid", json!(pid.to_string()));
            f.put("name", self.proc_name(pid));
        }

        fn pid(&self, f: &mut Fields, key: &str, pid: Pid) {
            f.put(key, json!(pid.to_string()));
            f.put(&format!("{key}_name"), self.proc_name(pid));
        }

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

        fn dest(&self, f: &mut Fields, key: &str, dest: Dest) {
            match dest {
                Dest::Process(p) => self.pid(f, key, p),
                Dest::Mailbox(m) => self.mailbox(f, key, m),
            }
        }

        fn queue(&self, f: &mut Fields, key: &str, q: WaitQueueId) {
            f.put(key, json!(q.to_string()));
            f.put(&format!("{key}_name"), json!(self.names.queue(q)));
        }
    }

    #[derive(Default)]
    struct Fields(Map<String, Value>);

    impl Fields {
        fn put(&mut self, key: &str, value: Value) {
            self.0.insert(key.to_string(), value);
        }
    }

    fn capacity(c: Capacity) -> Value {
        match c {
            Capacity::Zero => json!(0),
            Capacity::Bounded(n) => json!(n),
            Capacity::Unbounded => json!("unbounded"),
        }
    }

    fn mode_fields(f: &mut Fields, mode: Mode) {
        let (name, timeout) = match mode {
            Mode::Blocking => ("blocking", None),
            Mode::NonBlocking => ("nonblocking", None),
            Mode::Timeout(t) => ("timeout", Some(t)),
        };
        f.put("mode", json!(name));
        f.put("timeout", json!(timeout));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testgen::{hand_made, variant, Rng, VARIANTS};
    use crate::{Machine, MachineConfig};
    use abi::Sysno;
    use serde_json::Value;

    /// `new` equals `old`, or the first line that differs is shown.
    fn assert_same(new: &str, old: &str, what: &str) {
        if new != old {
            for (i, (a, b)) in new.lines().zip(old.lines()).enumerate() {
                assert_eq!(a, b, "{what}, line {i}");
            }
            assert_eq!(new, old, "{what}");
        }
    }

    /// The document of `events`: the reference's, byte for byte, streamed or whole, and JSON.
    fn check(events: &[Event], end: Ticks, what: &str) -> String {
        let new = render(events, end);
        assert_same(&new, &reference::render(events, end), what);
        let mut streamed = Vec::new();
        write_chrome(events, end, &mut streamed).expect("a Vec takes every write");
        assert!(streamed == new.as_bytes(), "{what}: streamed");
        if let Err(e) = serde_json::from_str::<Value>(&new) {
            panic!("{what}: not JSON ({e})");
        }
        new
    }

    #[test]
    fn hand_made_trace_matches_the_reference() {
        let events = hand_made();
        for end in [0, 30, u64::MAX] {
            check(&events, end, &format!("hand made, end {end}"));
        }
        for k in 0..=events.len() {
            check(&events[..k], 25, &format!("first {k} hand-made events"));
        }
    }

    /// `rng`'s next event, but with a drop count small enough that the timeline's per-endpoint
    /// sums cannot overflow (it adds them unchecked, which panics in a debug build).
    fn event(rng: &mut Rng) -> Event {
        let mut e = rng.event();
        if let EventKind::MessagesDropped { count, .. } = &mut e.kind {
            *count %= 1 << 48;
        }
        e
    }

    #[test]
    fn generated_traces_match_the_reference_for_every_event_kind() {
        let mut seen = [0usize; VARIANTS];
        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let events: Vec<Event> = (0..2_000).map(|_| event(&mut rng)).collect();
            for e in &events {
                seen[variant(&e.kind)] += 1;
            }
            check(&events, rng.num(), &format!("seed {seed}"));
        }
        assert!(seen.iter().all(|&n| n > 0), "every event kind: {seen:?}");
    }

    /// Random events made into something like a run: few processes and messages, so
    /// processes are spawned before they act and messages are queued, handed over and taken
    /// by them (flows), ticks mostly moving on (slices), now and then running backwards.
    fn lifelike(seed: u64, len: usize) -> Vec<Event> {
        let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
        let pid = |rng: &mut Rng| Pid::new(rng.below(4) as u32, rng.below(2) as u32);
        let mut tick = 0u64;
        let mut events = Vec::with_capacity(len);
        for i in 0..len {
            let mut e = event(&mut rng);
            tick = match rng.below(20) {
                0 => tick.saturating_sub(rng.below(5)),
                1..=9 => tick,
                _ => tick + rng.below(4),
            };
            e.tick = tick;
            e.cpu = rng.below(2) as u32;
            let msg = rng.below(6);
            match &mut e.kind {
                EventKind::Spawn { pid: p, .. } => *p = pid(&mut rng),
                EventKind::Dispatch { pid: p }
                | EventKind::Preempt { pid: p, .. }
                | EventKind::Yield { pid: p }
                | EventKind::Sleep { pid: p, .. }
                | EventKind::Block { pid: p, .. }
                | EventKind::Wake { pid: p, .. }
                | EventKind::Syscall { pid: p, .. }
                | EventKind::Exit { pid: p, .. } => *p = pid(&mut rng),
                EventKind::MessageQueued {
                    msg: m, from, to, ..
                } => {
                    (*m, *from) = (msg, pid(&mut rng));
                    *to = Dest::Process(pid(&mut rng));
                }
                EventKind::MessageHandedOver {
                    msg: m, from, to, ..
                } => (*m, *from, *to) = (msg, pid(&mut rng), pid(&mut rng)),
                EventKind::MessageReceived {
                    msg: m, from, by, ..
                } => (*m, *from, *by) = (msg, pid(&mut rng), pid(&mut rng)),
                EventKind::Fault {
                    kind:
                        FaultKind::Lose { msg: m, .. }
                        | FaultKind::Delay { msg: m, .. }
                        | FaultKind::Arrive { msg: m, .. },
                } => *m = msg,
                EventKind::Idle { until } => *until = tick + rng.below(3),
                _ => {}
            }
            // Spawns first, so the rest have someone to be about.
            if i < 8 {
                e.kind = EventKind::Spawn {
                    pid: Pid::new(i as u32 % 4, i as u32 / 4),
                    parent: None,
                    program: rng.name(),
                    name: rng.name(),
                    arg: 0,
                    inbox: Capacity::Unbounded,
                    priority: 1,
                };
            }
            events.push(e);
        }
        events
    }

    #[test]
    fn lifelike_traces_match_the_reference() {
        let (mut slices, mut flows, mut counters) = (0, 0, 0);
        for seed in 1..=30u64 {
            let events = lifelike(seed, 600);
            let end = events.last().map_or(0, |e| e.tick + 5);
            let doc = check(&events, end, &format!("lifelike seed {seed}"));
            slices += doc.matches("\"ph\":\"X\"").count();
            flows += doc.matches("\"ph\":\"f\"").count();
            counters += doc.matches("\"ph\":\"C\"").count();
        }
        assert!(
            slices > 1000 && flows > 50 && counters > 100,
            "slices {slices}, flows {flows}, counters {counters}"
        );
    }

    #[test]
    fn fields_match_the_reference_for_every_event_kind() {
        let mut rng = Rng(0xf1e1d5);
        let mut events = hand_made();
        events.extend((0..5_000).map(|_| rng.event()));
        let mut enc = reference::Encoder::new();
        let mut names = Names::default();
        let (mut out, mut text) = (Vec::new(), Vec::new());
        for e in &events {
            enc.learn(&e.kind);
            names.learn(&e.kind);
            let mut fields = enc.fields(&e.kind);
            fields.insert("tick".into(), Value::from(e.tick));
            let expected = Value::Object(fields).to_string();
            text.clear();
            text.push(b'"');
            match &e.kind {
                EventKind::Syscall { call, .. } => push_call_text(&mut text, &names, call),
                EventKind::Return { sysno, ret, .. } => {
                    push_ret_text(&mut text, &names, *sysno, ret)
                }
                EventKind::Fault { kind } => push_fault_text(&mut text, &names, kind),
                _ => {}
            }
            text.push(b'"');
            out.clear();
            write_fields(&mut out, &names, e, &text);
            assert_eq!(String::from_utf8_lossy(&out), expected, "{e:?}");
        }
    }

    #[test]
    fn call_return_and_fault_texts_are_the_text_traces() {
        let mut rng = Rng(0x7e47);
        let mut events = hand_made();
        events.extend((0..3_000).map(|_| event(&mut rng)));
        // Names with quotes, backslashes and control characters, to be escaped.
        events.extend((0..200).map(|i| Event {
            tick: 0,
            cpu: 0,
            kind: EventKind::Spawn {
                pid: Pid::new(i % 6, i % 3),
                parent: None,
                program: String::new(),
                name: format!("a\"b\\c\u{1}{i}"),
                arg: 0,
                inbox: Capacity::Zero,
                priority: 0,
            },
        }));
        let names = Names::from_events(&events);
        let json = |s: String| serde_json::to_vec(&Value::from(s)).expect("a string");
        let quoted = |write: &dyn Fn(&mut Vec<u8>)| {
            let mut out = vec![b'"'];
            write(&mut out);
            out.push(b'"');
            out
        };
        for _ in 0..5_000 {
            let c = rng.call();
            let ours = quoted(&|out| push_call_text(out, &names, &c));
            assert_eq!(ours, json(names.call(&c)), "{c:?}");
            let (s, r) = (rng.flip().then(|| rng.pick(Sysno::ALL)), rng.ret());
            let ours = quoted(&|out| push_ret_text(out, &names, s, &r));
            assert_eq!(ours, json(names.ret(s, &r)), "{s:?} {r:?}");
            let f = rng.fault();
            let ours = quoted(&|out| push_fault_text(out, &names, &f));
            assert_eq!(ours, json(names.fault(&f)), "{f:?}");
        }
    }

    #[test]
    fn real_runs_match_the_reference() {
        let mut one = MachineConfig::default();
        one.kernel.check_invariants = false;
        let mut two = one.clone();
        two.cpus = 2;
        let programs = userland::programs::builtin;
        for (what, config, program, arg) in [
            ("prime_sieve", &one, "prime_sieve", 200),
            ("prime_sieve on 2 CPUs", &two, "prime_sieve", 200),
            ("ping_pong on 2 CPUs", &two, "ping_pong", 0),
        ] {
            let r =
                Machine::run_program(config.clone(), programs(), program, arg).expect("built in");
            let doc = check(&r.events, r.ticks, what);
            assert!(
                doc.contains("\"ph\":\"s\"") && doc.contains("\"ph\":\"f\""),
                "{what}"
            );
        }
        for s in userland::scenario::SHIPPED {
            let scenario = crate::scenario::load(s.path, s.source).expect("shipped scenarios load");
            let config = crate::scenario::configure(&scenario, MachineConfig::default());
            let r = crate::scenario::run(scenario, config);
            check(&r.events, r.ticks, s.name);
        }
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut awkward: Vec<String> = [
            "",
            "plain",
            "\"quoted\"",
            "back\\slash",
            "\\\"",
            "slash / solidus",
            "del\u{7f}",
            "ünïcødé",
            "名前",
            "emoji 🦀 and 👩‍👩‍👧",
            "\u{301}combining first",
            "\u{2028}line separator\u{2029}",
            "\u{fffd}",
            "\u{80}\u{9f}\u{a0}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let controls: String = (0u8..0x20).map(char::from).collect();
        awkward.push(controls.clone());
        for c in controls.chars() {
            awkward.push(format!("a{c}b"));
            awkward.push(c.to_string());
        }
        awkward.push("\"\\\u{0}\u{1f}\u{7f}é🦀\n".repeat(5));
        for s in &awkward {
            let mut out = Vec::new();
            push_string(&mut out, s);
            assert_eq!(
                out,
                serde_json::to_vec(&Value::from(s.as_str())).unwrap(),
                "{s:?}"
            );
        }
        // And where the document carries them: names, texts, queue and endpoint labels.
        let mut rng = Rng(0xe5c);
        let mut events = lifelike(7, 200);
        for (i, e) in events.iter_mut().enumerate() {
            let s = awkward[i % awkward.len()].clone();
            match &mut e.kind {
                EventKind::Spawn { name, program, .. } => (*name, *program) = (s.clone(), s),
                EventKind::Print { text, .. } => *text = s,
                EventKind::Exit { reason, .. } => *reason = ExitReason::Panicked(s),
                EventKind::MailboxCreated { name, id, .. } => {
                    *id = MailboxId::new(rng.below(3) as u32, 0);
                    *name = Some(s);
                }
                _ => {}
            }
        }
        check(&events, 1_000, "awkward names");
    }

    #[test]
    fn integers_print_as_serde_json_does() {
        let mut rng = Rng(11);
        let mut values = vec![0, 9, 10, 99, 100, 101, 999, 1000, u64::MAX, u64::MAX - 1];
        values.extend((0..20).map(|k| 10u64.pow(k)));
        values.extend((1..20).map(|k| 10u64.pow(k) - 1));
        values.extend((0..2_000).map(|_| rng.num()));
        for v in values {
            let mut out = Vec::new();
            push_u64(&mut out, v);
            assert_eq!(out, Value::from(v).to_string().as_bytes(), "{v}");
        }
        for v in [0, 1, -1, 9, -10, i64::MIN, i64::MAX, i64::from(i32::MIN)] {
            let mut out = Vec::new();
            push_i64(&mut out, v);
            assert_eq!(out, Value::from(v).to_string().as_bytes(), "{v}");
        }
    }

    /// A writer that keeps what it is given and the size of every write.
    #[derive(Default)]
    struct Recorder {
        bytes: Vec<u8>,
        writes: Vec<usize>,
        flushed: bool,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes.extend_from_slice(buf);
            self.writes.push(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.flushed = true;
            Ok(())
        }
    }

    /// A writer that takes a few bytes at a time, then fails.
    struct Failing {
        budget: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::Error::other("full"));
            }
            let n = buf.len().min(self.budget).min(7);
            self.budget -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_streamed_document_is_the_rendered_one_across_chunk_boundaries() {
        let mut config = MachineConfig::default();
        config.kernel.check_invariants = false;
        let r = Machine::run_program(config, userland::programs::builtin(), "prime_sieve", 200)
            .expect("built in");
        let whole = render(&r.events, r.ticks);
        assert!(
            whole.len() > 4 * CHUNK,
            "{} bytes: not enough chunks",
            whole.len()
        );
        let mut rec = Recorder::default();
        write_chrome(&r.events, r.ticks, &mut rec).expect("the recorder takes every write");
        assert!(rec.bytes == whole.as_bytes());
        assert!(rec.flushed);
        // Whole chunks (an entry may carry one past the limit), then the rest.
        let (last, full) = rec.writes.split_last().expect("written");
        assert!(
            full.len() >= 4 && full.iter().all(|&n| n >= CHUNK),
            "{:?}",
            rec.writes
        );
        assert!(*last > 0);
        // Every prefix of the trace, whatever falls on a boundary.
        for k in [0, 1, r.events.len() / 3, r.events.len() / 2] {
            let mut streamed = Vec::new();
            write_chrome(&r.events[..k], r.ticks, &mut streamed).expect("a Vec");
            assert!(
                streamed == render(&r.events[..k], r.ticks).as_bytes(),
                "first {k}"
            );
        }
        // A failing writer's error comes back, early or late.
        for budget in [0, 100, CHUNK + 3, whole.len() - 1] {
            let failed = write_chrome(&r.events, r.ticks, Failing { budget });
            assert!(failed.is_err(), "budget {budget}");
        }
        assert!(write_chrome(
            &r.events,
            r.ticks,
            Failing {
                budget: whole.len()
            }
        )
        .is_ok());
    }

    #[test]
    fn every_syscall_and_fault_is_covered_by_the_generated_traces() {
        let mut calls = [0usize; 17];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2_000 {
            if let EventKind::Syscall { call, .. } = rng.event().kind {
                calls[call.sysno() as usize] += 1;
            }
        }
        assert!(
            Sysno::ALL.iter().all(|&s| calls[s as usize] > 0),
            "{calls:?}"
        );
    }
}
