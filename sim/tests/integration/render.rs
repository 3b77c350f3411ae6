//! The trace formats. Golden files pin the bytes of the text trace, the JSON lines and the
//! Chrome document over generated traces of every event kind and syscall and over real runs
//! (`golden_*`); the rest checks structure rather than bytes: every JSON line parses, has the
//! fields `docs/trace-format.md` documents for its kind and is what `serde_json` writes for
//! them; the Chrome trace follows the Trace Event Format rules its viewers rely on; the SVG
//! is well-formed with a row per process and an arrow per received message; the Gantt chart
//! fits its width; the replay and the statistics agree with the kernel's own accounting; a
//! streamed trace is the rendered one. A few snapshots pin the human-facing text of
//! `bounded_buffer`.

use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source, Syscall, Sysno};
use kernel::trace::WaitQueueId;
use kernel::trace::{
    DropReason, Event, EventKind, ExitReason, ReplyDropReason, WaitFor, WakeReason,
};
use serde_json::Value;
use sim::render::replay::{Replay, State};
use sim::render::stream::CHUNK;
use sim::render::{chrome, gantt, jsonl, stats, svg};
use sim::{Machine, MachineConfig, Report};
use std::collections::{BTreeMap, BTreeSet};
use userland::{ProgramTable, SpawnOptions, Sys};

use crate::common::testgen;

/// Every built-in program the tests run.
const BUILTINS: &[&str] = &[
    "bounded_buffer",
    "ping_pong",
    "rpc",
    "prime_sieve",
    "deadlock",
    "transfer",
];

fn run(program: &str) -> Report {
    Machine::run_program(
        MachineConfig::default(),
        userland::programs::builtin(),
        program,
        0,
    )
    .expect("built-in program boots")
}

/// A label with every character XML and terminals find awkward.
const AWKWARD: &str = "we<ird> & \"co\" 'zoë'";

/// Programs that reach the events no built-in program shows: a full mailbox and a send that
/// times out, a deletion that drops queued messages, a sleep with the CPU idle, a yield, a
/// call and a reply that comes too late, an undecodable trap, a preempted compute burst, a
/// process with an awkward name, and one that never exits.
fn mixed_programs() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "mixed",
        "exercises every event kind",
        |sys: Sys, _| async move {
            let Ok(mb) = sys.create_mailbox(Capacity::Bounded(2), Some("box")).await else {
                return 1;
            };
            let me = sys.getpid().await;
            let _ = sys.send(mb, b"a", Mode::NonBlocking).await;
            let _ = sys.send(mb, b"b", Mode::NonBlocking).await;
            let _ = sys.send(mb, b"c", Mode::NonBlocking).await; // would_block
            let _ = sys.send(mb, b"c", Mode::Timeout(3)).await; // blocks, then times out
            let _ = sys.delete_mailbox(mb).await; // drops "a" and "b"
            sys.sleep(5).await; // nobody else: the CPU idles
            sys.yield_now().await;
            let Ok(server) = sys
                .spawn_with(SpawnOptions::new("server", 0).inbox(Capacity::Bounded(1)))
                .await
            else {
                return 2;
            };
            let _ = sys.call(server, b"request", Mode::Blocking).await;
            let _ = sys.raw_syscall(999, [0; abi::ARG_REGS], &[]).await;
            let Ok(spinner) = sys
                .spawn_with(SpawnOptions::new("spinner", 0).label(AWKWARD))
                .await
            else {
                return 3;
            };
            sys.compute(25).await; // shares the CPU with the spinner: preempted
            let _ = sys.wait(spinner).await;
            let _ = sys.wait(server).await;
            let gift = sys.create_mailbox(Capacity::Unbounded, None).await;
            let Ok(forever) = sys.spawn("forever", 0).await else {
                return 4;
            };
            if let Ok(gift) = gift {
                let _ = sys.send(gift, b"kept", Mode::Blocking).await;
                let _ = sys.transfer_mailbox(gift, forever).await;
            }
            let _ = sys.send(me, b"to myself", Mode::NonBlocking).await; // would_block: rendezvous
            0
        },
    );
    t.add(
        "server",
        "answers one call, then one more time",
        |sys: Sys, _| async move {
            let Ok(m) = sys.receive(Source::Any, Mode::Blocking).await else {
                return 1;
            };
            let _ = sys.reply(m.sender, b"answer").await;
            let _ = sys.reply(m.sender, b"late").await; // the caller no longer waits: dropped
            0
        },
    );
    t.add("spinner", "computes", |sys: Sys, _| async move {
        sys.compute(25).await;
        0
    });
    t.add(
        "forever",
        "waits for a message nobody sends",
        |sys: Sys, _| async move {
            let _ = sys.receive(Source::Any, Mode::Blocking).await;
            0
        },
    );
    t.add(
        "busy",
        "computes past any tick limit",
        |sys: Sys, _| async move {
            let _ = sys.spawn("spinner", 0).await;
            loop {
                sys.compute(1000).await;
            }
        },
    );
    t
}

fn run_mixed() -> Report {
    Machine::run_program(MachineConfig::default(), mixed_programs(), "mixed", 0)
        .expect("mixed boots")
}

fn run_tick_limit() -> Report {
    let config = MachineConfig {
        max_ticks: 60,
        ..MachineConfig::default()
    };
    Machine::run_program(config, mixed_programs(), "busy", 0).expect("busy boots")
}

/// Every run the structural tests look at.
fn all_runs() -> Vec<(String, Report)> {
    let mut runs: Vec<(String, Report)> =
        BUILTINS.iter().map(|p| (p.to_string(), run(p))).collect();
    runs.push(("mixed".into(), run_mixed()));
    runs.push(("tick_limit".into(), run_tick_limit()));
    runs.push(("zero_costs".into(), run_zero_costs()));
    runs
}

/// A program with free syscalls and context switches: many things happen within one tick,
/// and some running spans are empty.
fn run_zero_costs_of(program: &str) -> Report {
    let config = MachineConfig {
        costs: sim::Costs {
            syscall: 0,
            context_switch: 0,
        },
        ..MachineConfig::default()
    };
    Machine::run_program(config, userland::programs::builtin(), program, 0).expect("boots")
}

fn run_zero_costs() -> Report {
    run_zero_costs_of("bounded_buffer")
}

// ----- the golden files: the text, JSON-lines and Chrome renderers' bytes -----

/// Pin the text trace, the JSON lines and the Chrome document of `events` (of a run that
/// ended at `end`) to the golden files `golden_{name}_{text,jsonl,chrome}`.
fn pin(name: &str, events: &[Event], end: u64) {
    for (format, rendered) in [
        ("text", sim::render::text(events)),
        ("jsonl", jsonl::render(events)),
        ("chrome", chrome::render(events, end)),
    ] {
        // A snapshot is compared without its trailing whitespace: the last byte is pinned
        // here instead. Every format ends its last line, and adds no empty one.
        assert!(
            rendered.is_empty() || (rendered.ends_with('\n') && !rendered.ends_with("\n\n")),
            "{name} {format}: ends in one newline"
        );
        insta::assert_snapshot!(format!("golden_{name}_{format}"), rendered);
    }
}

/// The real runs the golden files pin: the built-in programs on one CPU and on two, and the
/// shorter shipped scenarios.
fn golden_runs() -> Vec<(String, Report)> {
    let mut runs = Vec::new();
    for cpus in [1, 2] {
        let base = MachineConfig {
            cpus,
            ..MachineConfig::default()
        };
        for (p, arg) in [
            ("bounded_buffer", 0),
            ("ping_pong", 0),
            ("rpc", 0),
            ("prime_sieve", 12),
            ("deadlock", 0),
            ("transfer", 0),
        ] {
            let r = Machine::run_program(base.clone(), userland::programs::builtin(), p, arg)
                .expect("built in");
            runs.push((format!("{p}_{cpus}cpu"), r));
        }
    }
    for name in [
        "deletion",
        "memory_limit",
        "naming",
        "ownership",
        "polling",
        "priority_inversion",
        "rendezvous",
        "timeouts",
        "worker_pool",
        "multiplexer",
        "private_reply",
    ] {
        let s = userland::scenario::shipped(name).expect("shipped");
        let scenario = sim::scenario::load(s.path, s.source).expect("loads");
        let config = sim::scenario::configure(&scenario, MachineConfig::default());
        let r = sim::scenario::run(scenario, config).expect("boots");
        runs.push((name.to_string(), r));
    }
    runs
}

#[test]
fn generated_traces_render_as_their_golden_files() {
    let mut seen = [0usize; testgen::VARIANTS];
    let mut calls = BTreeSet::new();
    for (name, events, end) in testgen::golden_traces() {
        for e in &events {
            seen[testgen::variant(&e.kind)] += 1;
            if let EventKind::Syscall { call, .. } = &e.kind {
                calls.insert(call.sysno());
            }
        }
        pin(name, &events, end);
    }
    assert!(seen.iter().all(|&n| n > 0), "every event kind: {seen:?}");
    assert_eq!(calls.len(), Sysno::ALL.len(), "every syscall: {calls:?}");
}

#[test]
fn real_runs_render_as_their_golden_files() {
    for (name, r) in golden_runs() {
        pin(&name, &r.events, r.ticks);
    }
}

// ----- streaming: the same bytes, a chunk at a time -----

#[test]
fn streamed_text_and_json_lines_are_the_rendered_bytes_across_chunk_boundaries() {
    let events = testgen::generated(0xc4, 5_000);
    let text = sim::render::text(&events);
    let lines = jsonl::render(&events);
    assert!(text.len() > 3 * CHUNK, "{} bytes of text", text.len());
    let mut streamed = Vec::new();
    sim::render::write_text(&events, &mut streamed).unwrap();
    assert!(streamed == text.as_bytes());
    let mut streamed = Vec::new();
    jsonl::write_jsonl(&events, &mut streamed).unwrap();
    assert!(streamed == lines.as_bytes());
    // Every length up to a little past one chunk, so some trace ends exactly at, just before
    // and just after a chunk boundary.
    let mut n = 0;
    let mut size = 0;
    while size <= CHUNK + 4096 {
        n += 1;
        let part = &events[..n];
        let mut streamed = Vec::new();
        jsonl::write_jsonl(part, &mut streamed).unwrap();
        assert!(streamed == jsonl::render(part).as_bytes(), "{n} events");
        size = streamed.len();
        let mut streamed = Vec::new();
        sim::render::write_text(part, &mut streamed).unwrap();
        assert!(streamed == sim::render::text(part).as_bytes(), "{n} events");
    }
    // Fed event by event, and as a trace sink shared with the caller who finishes it; what
    // comes after the finish is dropped.
    let mut stream = jsonl::JsonlStream::new(Vec::new());
    let mut text_stream = sim::render::TextStream::new(Vec::new());
    for e in &events {
        stream.line(e);
        text_stream.line(e);
    }
    assert!(stream.finish().unwrap() == lines.as_bytes());
    assert!(text_stream.finish().unwrap() == text.as_bytes());
    let (shared, mut sink) = jsonl::JsonlStream::new(Vec::new()).into_sink();
    let (text_shared, mut text_sink) = sim::render::TextStream::new(Vec::new()).into_sink();
    for e in &events[..100] {
        sink.record(e);
        text_sink.record(e);
    }
    assert!(shared.finish().unwrap() == jsonl::render(&events[..100]).as_bytes());
    let (written, _) = text_shared.finish().unwrap();
    assert!(written == sim::render::text(&events[..100]).as_bytes());
    sink.record(&events[100]);
    text_sink.record(&events[100]);
    // An empty trace writes nothing.
    let mut none = Vec::new();
    jsonl::write_jsonl(&[], &mut none).unwrap();
    sim::render::write_text(&[], &mut none).unwrap();
    assert!(none.is_empty());
    assert!(jsonl::JsonlStream::new(Vec::new())
        .finish()
        .unwrap()
        .is_empty());
}

/// A writer that keeps what it is given and the size of every write.
#[derive(Default)]
struct Recorder {
    bytes: Vec<u8>,
    writes: Vec<usize>,
    flushed: bool,
}

impl std::io::Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        self.writes.push(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flushed = true;
        Ok(())
    }
}

/// A writer that takes a few bytes at a time, then fails.
struct Failing {
    budget: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.budget == 0 {
            return Err(std::io::Error::other("full"));
        }
        let n = buf.len().min(self.budget).min(7);
        self.budget -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_writer_stops_a_stream_with_its_error() {
    let events = testgen::generated(0xc5, 3_000);
    let err = jsonl::write_jsonl(&events, Failing { budget: 100 }).unwrap_err();
    assert_eq!(err.to_string(), "full");
    let err = sim::render::write_text(&events, Failing { budget: 100 }).unwrap_err();
    assert_eq!(err.to_string(), "full");
    let mut stream = jsonl::JsonlStream::new(Failing { budget: 100 });
    let mut text_stream = sim::render::TextStream::new(Failing { budget: 100 });
    for e in &events {
        stream.line(e);
        text_stream.line(e);
    }
    assert_eq!(
        stream.finish().err().map(|e| e.to_string()).as_deref(),
        Some("full")
    );
    let failed = text_stream.finish().err().map(|e| e.to_string());
    assert_eq!(failed.as_deref(), Some("full"));
}

#[test]
fn the_streamed_chrome_document_is_the_rendered_one_across_chunk_boundaries() {
    let mut config = MachineConfig::default();
    config.kernel.check_invariants = false;
    let r = Machine::run_program(config, userland::programs::builtin(), "prime_sieve", 200)
        .expect("built in");
    let whole = chrome::render(&r.events, r.ticks);
    assert!(
        whole.len() > 4 * CHUNK,
        "{} bytes: not enough chunks",
        whole.len()
    );
    let mut rec = Recorder::default();
    chrome::write_chrome(&r.events, r.ticks, &mut rec).expect("the recorder takes every write");
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
        chrome::write_chrome(&r.events[..k], r.ticks, &mut streamed).expect("a Vec");
        assert!(
            streamed == chrome::render(&r.events[..k], r.ticks).as_bytes(),
            "first {k}"
        );
    }
    // A failing writer's error comes back, early or late.
    for budget in [0, 100, CHUNK + 3, whole.len() - 1] {
        let failed = chrome::write_chrome(&r.events, r.ticks, Failing { budget });
        assert!(failed.is_err(), "budget {budget}");
    }
    let budget = whole.len();
    assert!(chrome::write_chrome(&r.events, r.ticks, Failing { budget }).is_ok());
}

// ----- strings the JSON formats must escape -----

/// `v` as `serde_json` writes it, every object's keys in sorted (bytewise) order whatever
/// order the map keeps them in.
fn sorted_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), sorted_json(&map[*k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Every line of the JSON lines of `events` is one object, the one `serde_json` writes for
/// what the line says: `v`, `tick`, `cpu` and `event` first, then the kind's fields in
/// sorted order, integers and string escapes as `serde_json` makes them. So is every entry of
/// the Chrome document.
fn check_json_bytes(what: &str, events: &[Event], end: u64) {
    let text = jsonl::render(events);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), events.len(), "{what}: one line per event");
    for (line, e) in lines.iter().zip(events) {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("{what}: {err}: {line}"));
        assert_eq!(v["event"], jsonl::event_name(&e.kind), "{line}");
        let head = ["v", "tick", "cpu", "event"];
        let mut fields = v.as_object().expect("an object").clone();
        let mut expected = String::from("{");
        for key in head {
            let value = fields.remove(key).expect("every line has the four");
            expected.push_str(&format!("{}:{},", Value::from(key), sorted_json(&value)));
        }
        let rest = sorted_json(&Value::Object(fields));
        expected.push_str(rest.strip_prefix('{').unwrap_or(&rest));
        if expected.ends_with(",}") {
            expected.replace_range(expected.len() - 2.., "}");
        }
        assert_eq!(*line, expected, "{what}");
    }
    let doc = chrome::render(events, end);
    serde_json::from_str::<Value>(&doc).unwrap_or_else(|e| panic!("{what}: {e}"));
    let entries = doc
        .strip_prefix("{\"traceEvents\":[\n")
        .and_then(|d| d.split_once("\n],\n"))
        .map(|(entries, _)| entries)
        .expect("the document's frame");
    for entry in entries.split(",\n") {
        let v: Value = serde_json::from_str(entry).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(entry, sorted_json(&v), "{what}");
    }
}

#[test]
fn json_is_written_as_serde_json_writes_it() {
    for seed in 1..=3u64 {
        let what = format!("generated {seed}");
        check_json_bytes(&what, &testgen::generated(seed, 2_000), 100);
        let what = format!("lifelike {seed}");
        check_json_bytes(&what, &testgen::lifelike(seed, 600), 1_000);
    }
    for (name, r) in all_runs() {
        check_json_bytes(&name, &r.events, r.ticks);
    }
}

#[test]
fn awkward_strings_read_back_unchanged_from_the_json_formats() {
    // Where the trace carries them: a process's name (and the texts and queue names that
    // show it), printed text, a panic message, a missed kill's name.
    let awkward = testgen::awkward_strings();
    let mut events = Vec::new();
    for (i, s) in awkward.iter().enumerate() {
        let pid = Pid::new(i as u32, 0);
        events.extend(
            [
                EventKind::Spawn {
                    pid,
                    parent: None,
                    program: s.clone(),
                    name: s.clone(),
                    arg: 0,
                    inbox: Capacity::Unbounded,
                    priority: 0,
                },
                EventKind::Print {
                    pid,
                    text: s.clone(),
                },
                EventKind::Syscall {
                    pid,
                    call: Syscall::Wait {
                        child: pid,
                        mode: Mode::Blocking,
                    },
                },
                EventKind::Block {
                    pid,
                    queue: WaitQueueId::Exit(pid),
                    deadline: None,
                },
                EventKind::Fault {
                    kind: kernel::trace::FaultKind::KillMissed {
                        name: s.clone(),
                        tick: 3,
                    },
                },
                EventKind::Exit {
                    pid,
                    code: -1,
                    reason: ExitReason::Panicked(s.clone()),
                },
            ]
            .map(|kind| ev(1, kind)),
        );
    }
    check_json_bytes("awkward strings", &events, 5);
    let text = jsonl::render(&events);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(
        lines.len(),
        events.len(),
        "one line per event, whatever the strings"
    );
    for (i, (s, six)) in awkward.iter().zip(lines.chunks(6)).enumerate() {
        let shown = format!("p{i}:{s}");
        assert_eq!(six[0]["name"], *s);
        assert_eq!(six[0]["program"], *s);
        assert_eq!(six[1]["text"], *s);
        assert_eq!(six[2]["text"], format!("wait({shown}, blocking)"));
        assert_eq!(six[3]["queue_name"], format!("{shown}.exit"));
        assert_eq!(six[4]["args"]["process"], *s);
        assert_eq!(six[5]["message"], *s);
    }
    let doc: Value = serde_json::from_str(&chrome::render(&events, 5)).expect("parses");
    let tracks: BTreeSet<&str> = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "thread_name" && e["pid"] == chrome::PROCESSES_PID)
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    for (i, s) in awkward.iter().enumerate() {
        assert!(tracks.contains(format!("p{i}:{s}").as_str()), "{s:?}");
    }
}

// ----- the documented JSON schema -----

const DOC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/trace-format.md"
));

/// The backticked words of a markdown table cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

/// The rows of the doc's table whose header starts `| <first> |`: first column's backticked
/// word to the second column's backticked words.
fn doc_table(first: &str) -> BTreeMap<String, BTreeSet<String>> {
    let header = format!("| {first} |");
    let mut rows = BTreeMap::new();
    let mut inside = false;
    for line in DOC.lines() {
        if line.starts_with(&header) {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').collect();
        if cells.len() < 3 || cells[1].trim().starts_with("---") {
            continue;
        }
        let Some(key) = ticked(cells[1]).into_iter().next() else {
            continue;
        };
        rows.insert(key, ticked(cells[2]).into_iter().collect());
    }
    assert!(!rows.is_empty(), "the doc has a table headed {header}");
    rows
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Check every line of a JSON-lines rendering against the documented schema.
/// The keys of a line (or of a call's `args`), leaving out a mailbox's sharing choices,
/// `receivers` and `lifetime`: documented as present only when not the default, and then
/// never with the default's value.
fn without_sharing(v: &Value, kind: &str) -> BTreeSet<String> {
    let mut k = keys(v);
    if kind == "mailbox_created" || kind == "create_mailbox" {
        for (key, default) in [("receivers", "owner_only"), ("lifetime", "owner")] {
            if k.remove(key) {
                assert_ne!(v[key].as_str(), Some(default), "{key} shown at its default");
            }
        }
    }
    k
}

fn check_jsonl(what: &str, text: &str, events: &[Event]) {
    let fields = doc_table("event");
    let args = doc_table("syscall");
    let common: BTreeSet<String> = ["v", "tick", "cpu", "event"].map(String::from).into();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), events.len(), "{what}: one line per event");
    let mut last_tick = 0;
    for (line, e) in lines.iter().zip(events) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("{what}: line does not parse ({err}): {line}"));
        assert_eq!(v["v"], jsonl::VERSION, "{what}: {line}");
        let tick = v["tick"].as_u64().expect("tick is a number");
        assert!(tick >= last_tick, "{what}: ticks never decrease: {line}");
        last_tick = tick;
        assert_eq!(tick, e.tick);
        assert_eq!(v["cpu"].as_u64(), Some(u64::from(e.cpu)));
        let event = v["event"].as_str().expect("event is a string");
        assert_eq!(event, jsonl::event_name(&e.kind));
        let documented = fields
            .get(event)
            .unwrap_or_else(|| panic!("{what}: event {event} is not documented"));
        let expected: BTreeSet<String> = common.union(documented).cloned().collect();
        assert_eq!(
            without_sharing(&v, event),
            expected,
            "{what}: fields of {event}: {line}"
        );
        if event == "syscall" {
            let name = v["syscall"].as_str().expect("syscall name");
            let documented = args
                .get(name)
                .unwrap_or_else(|| panic!("{what}: syscall {name} args are not documented"));
            assert_eq!(
                &without_sharing(&v["args"], name),
                documented,
                "{what}: args of {name}: {line}"
            );
        }
        // Ids are strings in the text trace's form.
        for id in ["pid", "from", "by", "owner", "mailbox"] {
            if let Some(s) = v.get(id).and_then(Value::as_str) {
                assert!(
                    s.starts_with('p') || s.starts_with("mb"),
                    "{what}: {id} is an id string: {line}"
                );
            }
        }
    }
}

#[test]
fn every_jsonl_line_parses_and_has_the_documented_fields() {
    for (name, r) in all_runs() {
        check_jsonl(&name, &jsonl::render(&r.events), &r.events);
    }
    let events = every_kind();
    check_jsonl("every kind", &jsonl::render(&events), &events);
}

#[test]
fn every_event_kind_and_syscall_is_documented() {
    let fields = doc_table("event");
    let kinds: BTreeSet<String> = every_kind()
        .iter()
        .map(|e| jsonl::event_name(&e.kind).to_string())
        .collect();
    assert_eq!(kinds.len(), 37, "every_kind covers every EventKind");
    let documented: BTreeSet<String> = fields.keys().cloned().collect();
    assert_eq!(kinds, documented);
    let args: BTreeSet<String> = doc_table("syscall").keys().cloned().collect();
    let sysnos: BTreeSet<String> = Sysno::ALL.iter().map(|s| s.name().to_string()).collect();
    assert_eq!(args, sysnos);
    // An example line for every kind.
    for kind in &kinds {
        assert!(
            DOC.contains(&format!("\"event\":\"{kind}\"")),
            "the doc shows an example {kind} line"
        );
    }
}

#[test]
fn jsonl_names_ids_and_errors_like_the_text_trace() {
    let r = run("bounded_buffer");
    let text = jsonl::render(&r.events);
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        r#"{"v":1,"tick":0,"cpu":0,"event":"spawn","arg":0,"inbox":0,"name":"bounded_buffer","parent":null,"parent_name":null,"pid":"p0","priority":0,"program":"bounded_buffer"}"#
    );
    assert!(text.contains(
        r#""event":"message_queued","call":false,"depth":1,"from":"p1","from_name":"producer 0","len":22,"msg":2,"to":"mb0","to_name":"buffer"}"#
    ));
    let mixed = jsonl::render(&run_mixed().events);
    assert!(mixed.contains(r#""error":"would_block""#));
    assert!(mixed.contains(r#""event":"send_abandoned","error":"timed_out""#));
    assert!(mixed.contains(r#""event":"bad_syscall","error":"unknown_syscall""#));
    // Deterministic: the same run renders the same bytes.
    assert_eq!(jsonl::render(&run_mixed().events), mixed);
}

// ----- the Chrome trace -----

/// A Chrome track: `(pid, tid)`.
type Track = (u64, u64);
/// A complete slice: `(ts, dur, name)`.
type Slice = (u64, u64, String);

/// Check a Chrome trace document against the Trace Event Format rules its viewers rely on;
/// returns the number of flows.
fn check_chrome(what: &str, doc: &str, tl: &Replay) -> usize {
    let v: Value = serde_json::from_str(doc).unwrap_or_else(|e| panic!("{what}: parses: {e}"));
    assert!(v["displayTimeUnit"].is_string(), "{what}: displayTimeUnit");
    let events = v["traceEvents"]
        .as_array()
        .expect("traceEvents is an array");
    let mut slices: BTreeMap<Track, Vec<Slice>> = BTreeMap::new();
    let mut open: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    let mut starts: BTreeMap<u64, (u64, String, String)> = BTreeMap::new();
    let mut finishes: BTreeMap<u64, Vec<(u64, String, String)>> = BTreeMap::new();
    let mut thread_names: BTreeMap<(u64, u64), String> = BTreeMap::new();
    let mut last_ts = 0;
    for e in events {
        let ph = e["ph"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: ph: {e}"));
        let pid = e["pid"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: pid: {e}"));
        let tid = e["tid"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: tid: {e}"));
        assert!(e["name"].is_string(), "{what}: every event is named: {e}");
        if ph == "M" {
            if e["name"] == "thread_name" {
                let name = e["args"]["name"].as_str().expect("thread name").to_string();
                thread_names.insert((pid, tid), name);
            }
            continue;
        }
        let ts = e["ts"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: ts: {e}"));
        assert!(ts >= last_ts, "{what}: events in time order: {e}");
        last_ts = ts;
        assert!(ts <= tl.end, "{what}: nothing after the end: {e}");
        if ph != "C" {
            assert!(
                thread_names.contains_key(&(pid, tid)),
                "{what}: every track is named: {e}"
            );
        }
        let cat = e["cat"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: cat: {e}"));
        let name = e["name"].as_str().unwrap().to_string();
        match ph {
            "X" => {
                let dur = e["dur"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{what}: dur ≥ 0: {e}"));
                slices.entry((pid, tid)).or_default().push((ts, dur, name));
            }
            "B" => *open.entry((pid, tid)).or_default() += 1,
            "E" => *open.entry((pid, tid)).or_default() -= 1,
            "i" => assert!(
                matches!(e["s"].as_str(), Some("t" | "p" | "g")),
                "{what}: instant scope: {e}"
            ),
            "s" => {
                let id = e["id"].as_u64().expect("flow id");
                let prev = starts.insert(id, (ts, cat.to_string(), name));
                assert!(prev.is_none(), "{what}: one start per flow id {id}");
            }
            "f" => {
                let id = e["id"].as_u64().expect("flow id");
                assert_eq!(
                    e["bp"], "e",
                    "{what}: flow ends bind to the enclosing slice"
                );
                finishes
                    .entry(id)
                    .or_default()
                    .push((ts, cat.to_string(), name));
            }
            "C" => assert!(e["args"].is_object(), "{what}: counter args"),
            other => panic!("{what}: unexpected phase {other}"),
        }
    }
    assert!(open.values().all(|n| *n == 0), "{what}: every B has its E");
    for (track, mut list) in slices {
        list.sort();
        for w in list.windows(2) {
            let ((t0, d0, n0), (t1, _, n1)) = (&w[0], &w[1]);
            assert!(
                t0 + d0 <= *t1,
                "{what}: slices on track {track:?} overlap: {n0} at {t0}+{d0} and {n1} at {t1}"
            );
        }
    }
    for (id, (ts, cat, name)) in &starts {
        let f = finishes.get(id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(f.len(), 1, "{what}: flow {id} has exactly one finish");
        assert!(f[0].0 >= *ts, "{what}: flow {id} finishes after it starts");
        assert_eq!(
            (&f[0].1, &f[0].2),
            (cat, name),
            "{what}: flow {id} cat and name"
        );
    }
    assert!(
        finishes.keys().all(|id| starts.contains_key(id)),
        "{what}: every finish has its start"
    );
    // One track per process, named by its label; one per CPU.
    let process_tracks: BTreeSet<&String> = thread_names
        .iter()
        .filter(|((pid, _), _)| *pid == chrome::PROCESSES_PID)
        .map(|(_, n)| n)
        .collect();
    let labels: Vec<String> = tl.processes.iter().map(|p| p.label()).collect();
    assert_eq!(
        process_tracks.len(),
        labels.len(),
        "{what}: a track per process"
    );
    for l in &labels {
        assert!(process_tracks.contains(l), "{what}: a track named {l}");
    }
    let cpu_tracks = thread_names
        .keys()
        .filter(|(pid, _)| *pid == chrome::CPUS_PID)
        .count();
    assert_eq!(cpu_tracks, tl.cpus.len(), "{what}: a track per CPU");
    starts.len()
}

#[test]
fn chrome_trace_follows_the_trace_event_rules() {
    for (name, r) in all_runs() {
        let tl = Replay::from_events(&r.events, r.ticks);
        let flows = check_chrome(&name, &chrome::render(&r.events, r.ticks), &tl);
        assert_eq!(
            flows,
            tl.received_messages().count(),
            "{name}: an arrow per received message"
        );
        assert_eq!(flows as u64, r.ledger.received, "{name}: the ledger agrees");
    }
}

#[test]
fn chrome_trace_slices_are_the_replay() {
    let r = run("bounded_buffer");
    let v: Value = serde_json::from_str(&chrome::render(&r.events, r.ticks)).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    // The CPU track's run slices add up to the processes' CPU time.
    let cpu: u64 = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "run")
        .map(|e| e["dur"].as_u64().unwrap())
        .sum();
    let exited: u64 = r.exited.iter().map(|e| e.stats.cpu).sum();
    assert_eq!(cpu, exited);
    assert_eq!(cpu, r.machine.busy, "bounded_buffer never idles");
    // Every syscall is an instant.
    let syscalls = events
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"] == "syscall")
        .count() as u64;
    assert_eq!(
        syscalls,
        r.exited.iter().map(|e| e.stats.syscalls).sum::<u64>()
    );
    // An idle CPU is a slice too.
    let mixed = run_mixed();
    let doc = chrome::render(&mixed.events, mixed.ticks);
    assert!(doc.contains(r#""cat":"idle""#));
    assert!(doc.contains(r#""name":"Mailboxes""#));
}

// ----- the SVG -----

#[test]
fn svg_is_well_formed_with_a_row_per_process_and_an_arrow_per_message() {
    for (name, r) in all_runs() {
        let doc = svg::render(&r.events, r.ticks);
        let xml = roxmltree::Document::parse(&doc)
            .unwrap_or_else(|e| panic!("{name}: the SVG parses: {e}"));
        let root = xml.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        for attr in ["viewBox", "width", "height"] {
            assert!(root.attribute(attr).is_some(), "{name}: svg has {attr}");
        }
        let has_class = |n: &roxmltree::Node, c: &str| {
            n.attribute("class")
                .is_some_and(|cls| cls.split(' ').any(|x| x == c))
        };
        let tl = Replay::from_events(&r.events, r.ticks);
        let labels: Vec<String> = xml
            .descendants()
            .filter(|n| has_class(n, "row-label"))
            .map(|n| n.text().unwrap_or_default().to_string())
            .collect();
        let expected: Vec<String> = tl.processes.iter().map(|p| p.label()).collect();
        assert_eq!(labels, expected, "{name}: one row label per process");
        let arrows = xml.descendants().filter(|n| has_class(n, "msg")).count();
        assert_eq!(
            arrows,
            tl.received_messages().count(),
            "{name}: one arrow per received message"
        );
        assert_eq!(
            arrows as u64, r.ledger.received,
            "{name}: the ledger agrees"
        );
        for n in xml.descendants().filter(|n| has_class(n, "msg")) {
            assert_eq!(n.attribute("marker-end"), Some("url(#arrowhead)"));
        }
        assert!(xml.descendants().any(|n| has_class(&n, "legend")));
        assert!(xml.descendants().any(|n| has_class(&n, "axis")));
        assert!(xml.descendants().any(|n| n.has_tag_name("title")));
    }
}

#[test]
fn svg_escapes_names() {
    let r = run_mixed();
    let doc = svg::render(&r.events, r.ticks);
    assert!(!doc.contains(AWKWARD), "the raw name never reaches the XML");
    let xml = roxmltree::Document::parse(&doc).expect("parses");
    let found = xml
        .descendants()
        .any(|n| n.text().is_some_and(|t| t.ends_with(AWKWARD)));
    assert!(found, "the name reads back unchanged");
}

// ----- the Gantt chart -----

#[test]
fn gantt_rows_fit_the_width_with_a_row_per_process() {
    for (name, r) in all_runs() {
        let tl = Replay::from_events(&r.events, r.ticks);
        for width in [0, 10, 39, 40, 41, 57, 80, 100, 123, 200] {
            let chart = gantt::render(&r.events, r.ticks, width);
            let limit = width.max(gantt::MIN_WIDTH);
            for line in chart.lines() {
                assert!(line.is_ascii(), "{name}@{width}: ASCII only: {line:?}");
                assert!(
                    line.len() <= limit,
                    "{name}@{width}: {} > {limit}: {line:?}",
                    line.len()
                );
            }
            let rows: Vec<&str> = chart.lines().filter(|l| l.ends_with('|')).collect();
            assert_eq!(
                rows.len(),
                tl.processes.len(),
                "{name}@{width}: a row per process"
            );
            for (row, p) in rows.iter().zip(&tl.processes) {
                let label: String = p.pid.to_string();
                assert!(
                    row.starts_with(&format!("{label}:")),
                    "{name}@{width}: {row}"
                );
                assert_eq!(row.len(), limit, "{name}@{width}: rows use the full width");
            }
            assert!(chart.contains("legend:"));
            assert!(chart.contains("# running"));
        }
    }
}

#[test]
fn gantt_cells_show_the_dominant_state() {
    let r = run("bounded_buffer");
    // One column per tick: 87 ticks, labels of 17 characters, 3 for the borders.
    let chart = gantt::render(&r.events, r.ticks, 17 + 3 + 87);
    let row = chart
        .lines()
        .find(|l| l.starts_with("p0:"))
        .expect("p0's row");
    let cells: Vec<char> = row.split('|').nth(1).unwrap().chars().collect();
    assert_eq!(cells.len(), 87);
    let tl = Replay::from_events(&r.events, r.ticks);
    let p0 = tl.processes[0].clone();
    for (tick, c) in cells.iter().enumerate() {
        let tick = tick as u64;
        let state = p0
            .spans
            .iter()
            .find(|s| s.start <= tick && tick < s.end)
            .map(|s| s.state);
        let expected = match state {
            Some(State::Running { .. }) => '#',
            Some(State::Ready) => '-',
            Some(State::Blocked { .. }) => '.',
            Some(State::Sleeping) => 'z',
            None => ' ',
        };
        assert_eq!(*c, expected, "tick {tick}");
    }
}

#[test]
fn gantt_of_bounded_buffer() {
    let r = run("bounded_buffer");
    insta::assert_snapshot!(
        "bounded_buffer_gantt",
        gantt::render(&r.events, r.ticks, 100)
    );
}

#[test]
fn gantt_of_bounded_buffer_narrow() {
    let r = run("bounded_buffer");
    insta::assert_snapshot!(
        "bounded_buffer_gantt_narrow",
        gantt::render(&r.events, r.ticks, 0)
    );
}

// ----- the replay and the statistics against the kernel's accounting -----

#[test]
fn replayed_spans_add_up_to_the_kernels_accounting() {
    let mut checked = 0;
    for (name, r) in all_runs() {
        let tl = Replay::from_events(&r.events, r.ticks);
        for rec in &r.exited {
            let p = tl
                .process(rec.pid)
                .unwrap_or_else(|| panic!("{name}: {} is in the replay", rec.pid));
            let t = p.totals();
            let s = &rec.stats;
            let who = format!("{name}: {}:{}", rec.pid, rec.name);
            assert_eq!(t.cpu, s.cpu, "{who}: cpu");
            assert_eq!(t.ready, s.ready, "{who}: ready");
            assert_eq!(t.blocked, s.blocked, "{who}: blocked");
            assert_eq!(t.sleeping, s.sleeping, "{who}: sleeping");
            assert_eq!(p.spawned, s.spawned_at, "{who}: spawned");
            assert_eq!(p.exit.map(|e| e.tick), s.exited_at, "{who}: exit");
            assert_eq!(p.exit.map(|e| e.code), Some(rec.code), "{who}: code");
            checked += 1;
        }
        // Spans are contiguous from spawn to the end of life, and cover it exactly.
        for p in &tl.processes {
            let mut at = p.spawned;
            for s in &p.spans {
                assert_eq!(s.start, at, "{name}: {} spans are contiguous", p.label());
                assert!(s.end >= s.start);
                at = s.end;
            }
            assert_eq!(at, p.end(), "{name}: {}", p.label());
            let t = p.totals();
            assert_eq!(t.cpu + t.ready + t.blocked + t.sleeping, p.lifetime());
        }
    }
    assert!(checked >= 40, "checked {checked} exited processes");
}

#[test]
fn the_mixed_run_reaches_every_state_and_the_alive_ones_run_to_the_end() {
    let r = run_mixed();
    let tl = Replay::from_events(&r.events, r.ticks);
    let mixed = &tl.processes[0];
    let t = mixed.totals();
    assert!(t.sleeping >= 5, "slept: {t:?}");
    assert!(t.blocked > 0 && t.cpu > 0 && t.ready > 0, "{t:?}");
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Preempt { pid, .. } if pid == mixed.pid)),
        "preempted"
    );
    assert!(!tl.idle.is_empty(), "the CPU idled while mixed slept");
    let forever = tl.processes.iter().find(|p| p.name == "forever").unwrap();
    assert!(forever.exit.is_none());
    assert_eq!(forever.end(), r.ticks);
    // The box: two queued, two dropped at deletion, one sender timed out on it.
    let mb = tl
        .endpoints
        .iter()
        .find(|(ep, _)| matches!(ep, sim::render::replay::Endpoint::Mailbox(_)))
        .map(|(_, s)| s.clone())
        .unwrap();
    assert_eq!((mb.queued, mb.dropped, mb.max_depth), (2, 2, 2));
    assert_eq!(mb.max_blocked_senders, 1);
    let dropped = tl.messages.values().filter(|m| m.dropped.is_some()).count();
    assert_eq!(dropped, 2);
    // The gift mailbox still holds its message: an arrow needs a receive.
    assert!(tl
        .messages
        .values()
        .any(|m| m.received.is_none() && m.dropped.is_none()));
}

#[test]
fn stats_equal_the_exit_records_and_cover_every_process() {
    let mut alive = 0;
    let mut runs = all_runs();
    runs.extend(golden_runs());
    // Cut off by the tick limit on two CPUs: the CPUs' clocks stop apart.
    let two = MachineConfig {
        max_ticks: 61,
        cpus: 2,
        ..MachineConfig::default()
    };
    let busy = Machine::run_program(two, mixed_programs(), "busy", 0).expect("busy boots");
    runs.push(("tick_limit on 2 CPUs".into(), busy));
    for (name, r) in runs {
        let st = stats::Stats::from_report(&r);
        let tl = Replay::from_events(&r.events, r.ticks);
        assert_eq!(
            st.processes.len(),
            tl.processes.len(),
            "{name}: every process"
        );
        for p in &st.processes {
            let who = format!("{name}: {}", p.label());
            match r.exit_of(p.pid) {
                Some(rec) => {
                    let s = &rec.stats;
                    assert_eq!(p.exit_code, Some(rec.code), "{who}");
                    assert_eq!(
                        (p.cpu, p.ready, p.blocked, p.sleeping),
                        (s.cpu, s.ready, s.blocked, s.sleeping),
                        "{who}"
                    );
                    assert_eq!(p.turnaround, s.exited_at.unwrap() - s.spawned_at, "{who}");
                    assert_eq!(p.response, s.first_run.map(|f| f - s.spawned_at), "{who}");
                    assert_eq!(p.waiting, s.ready, "{who}");
                    assert_eq!(
                        (p.dispatches, p.preemptions, p.sent, p.received),
                        (s.dispatches, s.preemptions, s.sent, s.received),
                        "{who}"
                    );
                }
                None => {
                    // Still alive: the process table the run ended with has its numbers,
                    // and the trace's spans up to the end add up to them.
                    let info = r
                        .processes
                        .iter()
                        .find(|i| i.pid == p.pid)
                        .unwrap_or_else(|| panic!("{who}: in the process table"));
                    let s = &info.stats;
                    assert_eq!(p.exit_code, None, "{who}");
                    assert_eq!(
                        (p.cpu, p.ready, p.blocked, p.sleeping),
                        (s.cpu, s.ready, s.blocked, s.sleeping),
                        "{who}"
                    );
                    assert_eq!(
                        (p.dispatches, p.preemptions, p.sent, p.received),
                        (s.dispatches, s.preemptions, s.sent, s.received),
                        "{who}"
                    );
                    let tp = tl.process(p.pid).unwrap();
                    let t = tp.totals();
                    assert_eq!(
                        (p.cpu, p.ready, p.blocked, p.sleeping),
                        (t.cpu, t.ready, t.blocked, t.sleeping),
                        "{who}: the spans"
                    );
                    assert_eq!(p.turnaround, r.ticks - tp.spawned, "{who}");
                    alive += 1;
                }
            }
        }
        let n = st.processes.len() as f64;
        let cpu: f64 = st.processes.iter().map(|p| p.cpu as f64).sum::<f64>() / n;
        assert!((st.averages.cpu - cpu).abs() < 1e-9, "{name}: mean cpu");
        assert_eq!(st.machine.ticks, r.machine.ticks);
        assert_eq!(st.machine.busy, r.machine.busy);
        assert_eq!(st.machine.idle, r.machine.idle);
        assert_eq!(st.machine.context_switches, r.machine.context_switches);
        let sent: u64 = st.endpoints.iter().map(|e| e.sent).sum();
        let through: u64 = st.endpoints.iter().map(|e| e.through).sum();
        let dropped: u64 = st.endpoints.iter().map(|e| e.dropped).sum();
        assert_eq!(
            sent, r.ledger.sent,
            "{name}: endpoints account for every message"
        );
        assert_eq!(through, r.ledger.received, "{name}");
        assert_eq!(dropped, r.ledger.dropped.total(), "{name}");
    }
    assert!(alive >= 5, "{alive} live processes checked");
}

#[test]
fn stats_of_bounded_buffer() {
    let r = run("bounded_buffer");
    let st = stats::Stats::from_report(&r);
    let mb0 = &st.endpoints[0];
    assert_eq!(mb0.label, "mb0:buffer");
    assert_eq!((mb0.sent, mb0.through, mb0.dropped), (12, 12, 0));
    assert_eq!(mb0.deepest, 4, "capacity 4, and the producers fill it");
    assert_eq!(
        mb0.max_blocked_senders, 2,
        "producers 1 and 2 wait together"
    );
    assert_eq!(st.machine.utilisation, 100.0);
    insta::assert_snapshot!("bounded_buffer_stats", stats::render(&r));
}

#[test]
fn stats_without_a_trace_come_from_the_exit_records() {
    let config = MachineConfig {
        kernel: sim::KernelConfig {
            trace: false,
            ..sim::KernelConfig::default()
        },
        ..MachineConfig::default()
    };
    let r = Machine::run_program(config, userland::programs::builtin(), "ping_pong", 0).unwrap();
    assert!(r.events.is_empty());
    let st = stats::Stats::from_report(&r);
    assert_eq!(st.processes.len(), r.exited.len());
    assert!(stats::render(&r).contains("(no messages)"));
}

// ----- no event sequence makes a renderer panic -----

fn ev(tick: u64, kind: EventKind) -> Event {
    Event { tick, cpu: 0, kind }
}

/// One event of every kind (with a few awkward values), in a plausible order.
fn every_kind() -> Vec<Event> {
    let (p0, p1, p9) = (Pid::new(0, 0), Pid::new(1, 0), Pid::new(9, 3));
    let mb = MailboxId::new(0, 0);
    vec![
        ev(
            0,
            EventKind::Spawn {
                pid: p0,
                parent: None,
                program: "main".into(),
                name: "main".into(),
                arg: 0,
                inbox: Capacity::Unbounded,
                priority: 0,
            },
        ),
        ev(0, EventKind::Dispatch { pid: p0 }),
        ev(
            1,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::Spawn {
                    program_len: 4,
                    label_len: 0,
                    arg: 7,
                    inbox: Capacity::Bounded(2),
                    priority: 1,
                    expected_burst: 0,
                    arrival: None,
                },
            },
        ),
        ev(
            1,
            EventKind::Spawn {
                pid: p1,
                parent: Some(p0),
                program: "w".into(),
                name: AWKWARD.into(),
                arg: 7,
                inbox: Capacity::Bounded(2),
                priority: 1,
            },
        ),
        ev(
            1,
            EventKind::Return {
                pid: p0,
                sysno: Some(Sysno::Spawn),
                ret: [0, p1.raw(), 0, 0],
            },
        ),
        ev(
            2,
            EventKind::BadSyscall {
                pid: p0,
                sysno: 999,
                error: Error::UnknownSyscall,
            },
        ),
        ev(
            2,
            EventKind::Return {
                pid: p0,
                sysno: None,
                ret: [Error::UnknownSyscall.code(), 0, 0, 0],
            },
        ),
        ev(
            3,
            EventKind::MailboxCreated {
                id: mb,
                owner: p0,
                capacity: Capacity::Zero,
                overflow: abi::Overflow::Block,
                receivers: abi::Receivers::OwnerOnly,
                lifetime: abi::Lifetime::Owner,
                name: Some("box".into()),
            },
        ),
        ev(
            4,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::Receive {
                    source: Source::Mailbox(mb),
                    buf_len: 8,
                    mode: Mode::Timeout(5),
                },
            },
        ),
        ev(
            4,
            EventKind::Block {
                pid: p0,
                queue: WaitQueueId::MailboxReceiver(mb),
                deadline: Some(9),
            },
        ),
        ev(4, EventKind::Dispatch { pid: p1 }),
        ev(
            5,
            EventKind::MessageHandedOver {
                msg: 1,
                from: p1,
                to: p0,
                via: Dest::Mailbox(mb),
                len: 3,
                call: false,
            },
        ),
        ev(
            5,
            EventKind::Wake {
                pid: p0,
                by: Some(p1),
                reason: WakeReason::Completed,
            },
        ),
        ev(
            6,
            EventKind::MessageQueued {
                msg: 2,
                from: p1,
                to: Dest::Process(p0),
                len: 4,
                depth: 1,
                call: true,
            },
        ),
        ev(
            6,
            EventKind::Block {
                pid: p1,
                queue: WaitQueueId::Replies(p0),
                deadline: None,
            },
        ),
        ev(6, EventKind::Dispatch { pid: p0 }),
        ev(
            7,
            EventKind::MessageReceived {
                msg: 2,
                from: p1,
                by: p0,
                via: Dest::Process(p0),
                len: 4,
            },
        ),
        ev(
            7,
            EventKind::ReplyDelivered {
                from: p0,
                to: p1,
                len: 2,
            },
        ),
        ev(
            7,
            EventKind::Wake {
                pid: p1,
                by: Some(p0),
                reason: WakeReason::Completed,
            },
        ),
        ev(
            8,
            EventKind::ReplyDropped {
                from: p0,
                to: p9,
                reason: ReplyDropReason::NoSuchProcess,
            },
        ),
        ev(
            8,
            EventKind::MessageQueued {
                msg: 3,
                from: p0,
                to: Dest::Mailbox(mb),
                len: 1,
                depth: 1,
                call: false,
            },
        ),
        ev(
            8,
            EventKind::MessagesDropped {
                via: Dest::Mailbox(mb),
                count: 1,
                reason: DropReason::MailboxDeleted,
            },
        ),
        ev(
            8,
            EventKind::MailboxDeleted {
                id: mb,
                by: p0,
                dropped: 1,
                woken: 0,
            },
        ),
        ev(
            9,
            EventKind::SendAbandoned {
                pid: p0,
                to: Dest::Process(p9),
                error: Error::TimedOut,
            },
        ),
        ev(
            9,
            EventKind::MailboxTransferred {
                id: MailboxId::new(1, 0),
                from: p0,
                to: p1,
            },
        ),
        ev(
            9,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::CreateMailbox {
                    capacity: Capacity::Zero,
                    name_len: 0,
                    overflow: abi::Overflow::Block,
                    receivers: abi::Receivers::RoundRobin,
                    lifetime: abi::Lifetime::System,
                },
            },
        ),
        ev(
            9,
            EventKind::MailboxCreated {
                id: MailboxId::new(2, 0),
                owner: p0,
                capacity: Capacity::Zero,
                overflow: abi::Overflow::Block,
                receivers: abi::Receivers::RoundRobin,
                lifetime: abi::Lifetime::System,
                name: None,
            },
        ),
        ev(
            9,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::GrantReceive {
                    mailbox: MailboxId::new(2, 0),
                    to: p1,
                },
            },
        ),
        ev(
            9,
            EventKind::ReceiveGranted {
                id: MailboxId::new(2, 0),
                by: p0,
                to: p1,
            },
        ),
        ev(
            9,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::RevokeReceive {
                    mailbox: MailboxId::new(2, 0),
                    from: p1,
                },
            },
        ),
        ev(
            9,
            EventKind::ReceiveRevoked {
                id: MailboxId::new(2, 0),
                by: p0,
                from: p1,
            },
        ),
        ev(
            9,
            EventKind::MailboxOrphaned {
                id: MailboxId::new(2, 0),
                from: p0,
            },
        ),
        ev(
            9,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::SendRight {
                    dest: Dest::Process(p1),
                    len: 2,
                    mode: Mode::Blocking,
                    right: abi::Right::Send(MailboxId::new(2, 0)),
                },
            },
        ),
        ev(
            9,
            EventKind::RightTransferred {
                msg: 7,
                right: abi::Right::Send(MailboxId::new(2, 0)),
                from: p0,
                to: p1,
            },
        ),
        ev(
            9,
            EventKind::RightVoided {
                msg: 8,
                right: abi::Right::Receive(MailboxId::new(2, 0)),
                from: p0,
            },
        ),
        ev(
            9,
            EventKind::Syscall {
                pid: p0,
                call: Syscall::GrantSend {
                    mailbox: MailboxId::new(2, 0),
                    to: p1,
                },
            },
        ),
        ev(
            9,
            EventKind::SendGranted {
                id: MailboxId::new(2, 0),
                by: p0,
                to: p1,
            },
        ),
        ev(
            10,
            EventKind::Preempt {
                pid: p0,
                burst_left: 3,
            },
        ),
        ev(10, EventKind::Dispatch { pid: p1 }),
        ev(11, EventKind::Yield { pid: p1 }),
        ev(11, EventKind::Dispatch { pid: p0 }),
        ev(12, EventKind::Sleep { pid: p0, until: 20 }),
        ev(12, EventKind::Idle { until: 20 }),
        ev(
            20,
            EventKind::Wake {
                pid: p0,
                by: None,
                reason: WakeReason::SleepEnded,
            },
        ),
        ev(
            20,
            EventKind::Print {
                pid: p0,
                text: "<b>\"hi\" & bye</b>\u{7}".into(),
            },
        ),
        ev(
            21,
            EventKind::Exit {
                pid: p0,
                code: -1,
                reason: ExitReason::Panicked("boom".into()),
            },
        ),
        ev(
            22,
            EventKind::Deadlock {
                cycle: vec![p1, p9],
                blocked: vec![WaitFor {
                    pid: p1,
                    queue: WaitQueueId::Exit(p9),
                    holder: Some(p9),
                }],
            },
        ),
        ev(
            23,
            EventKind::Livelock {
                cause: kernel::LivelockCause::Spinning {
                    pid: p1,
                    steps: 1_000_000,
                },
                processes: vec![p0, p1],
            },
        ),
        ev(
            23,
            EventKind::Livelock {
                cause: kernel::LivelockCause::Steps { steps: 1_000_000 },
                processes: vec![p9],
            },
        ),
        ev(23, EventKind::TickLimit { limit: 23 }),
        ev(
            23,
            EventKind::PriorityLent {
                from: p1,
                to: p0,
                priority: 9,
            },
        ),
        ev(
            23,
            EventKind::PriorityReturned {
                pid: p0,
                priority: 0,
            },
        ),
        ev(
            23,
            EventKind::DeadlockRefused {
                pid: p1,
                queue: WaitQueueId::InboxSenders(p9),
                cycle: vec![p1, p9],
            },
        ),
        ev(
            23,
            EventKind::Migrate {
                pid: p0,
                from: 0,
                to: 1,
            },
        ),
        ev(
            24,
            EventKind::Fault {
                kind: kernel::trace::FaultKind::Kill {
                    pid: p1,
                    cause: kernel::trace::KillCause::Tick(24),
                },
            },
        ),
    ]
}

/// A small deterministic generator, so the sequences are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A sequence of events that need not make sense: unknown pids, repeated exits, ticks that
/// run backwards, receipts of messages never sent, drops of more than was queued.
fn nonsense(seed: u64) -> Vec<Event> {
    let mut g = Lcg(seed);
    let palette = every_kind();
    (0..60)
        .map(|_| {
            let mut e = palette[g.next(palette.len() as u64) as usize].clone();
            e.tick = g.next(40);
            e.cpu = g.next(3) as u32;
            let pid = Pid::new(g.next(4) as u32, g.next(2) as u32);
            match &mut e.kind {
                EventKind::Spawn { pid: p, .. }
                | EventKind::Dispatch { pid: p }
                | EventKind::Preempt { pid: p, .. }
                | EventKind::Block { pid: p, .. }
                | EventKind::Wake { pid: p, .. }
                | EventKind::Sleep { pid: p, .. }
                | EventKind::Yield { pid: p }
                | EventKind::Exit { pid: p, .. } => *p = pid,
                EventKind::MessageQueued { msg, from, .. } => {
                    *msg = g.next(5);
                    *from = pid;
                }
                EventKind::MessageHandedOver { msg, to, .. } => {
                    *msg = g.next(5);
                    *to = pid;
                }
                EventKind::MessageReceived { msg, by, .. } => {
                    *msg = g.next(5);
                    *by = pid;
                }
                EventKind::MessagesDropped { count, .. } => *count = g.next(4) as usize,
                EventKind::Idle { until } => *until = g.next(50),
                _ => {}
            }
            e
        })
        .collect()
}

fn render_everything(what: &str, events: &[Event], end: u64) {
    let tl = Replay::from_events(events, end);
    let _ = jsonl::render(events);
    let doc = chrome::render(events, end);
    serde_json::from_str::<Value>(&doc).unwrap_or_else(|e| panic!("{what}: chrome parses: {e}"));
    let pic = svg::render(events, end);
    roxmltree::Document::parse(&pic).unwrap_or_else(|e| panic!("{what}: svg parses: {e}"));
    let page = sim::render::html::render(events, end, what);
    assert!(page.starts_with("<!DOCTYPE html>"), "{what}");
    for width in [0, 40, 75] {
        let chart = gantt::render(events, end, width);
        assert!(chart
            .lines()
            .all(|l| l.len() <= width.max(gantt::MIN_WIDTH)));
    }
    for p in &tl.processes {
        let t = p.totals();
        assert_eq!(
            t.cpu + t.ready + t.blocked + t.sleeping,
            p.lifetime(),
            "{what}"
        );
    }
}

#[test]
fn no_event_sequence_makes_a_renderer_panic() {
    render_everything("nothing", &[], 0);
    render_everything("every kind", &every_kind(), 30);
    render_everything("every kind, end before the last event", &every_kind(), 5);
    let mut backwards = every_kind();
    backwards.reverse();
    render_everything("backwards", &backwards, 0);
    for seed in 0..300 {
        render_everything(&format!("nonsense {seed}"), &nonsense(seed), g_end(seed));
    }
    // A whole run in no time at all.
    let r = run_zero_costs_of("rpc");
    assert_eq!(r.ticks, 0);
    render_everything("rpc in no time", &r.events, r.ticks);
    let tl = Replay::from_events(&r.events, r.ticks);
    check_chrome("rpc in no time", &chrome::render(&r.events, r.ticks), &tl);
    assert!(gantt::render(&r.events, r.ticks, 60).contains("the run took no time"));
    // The flows of a valid sequence survive into every format.
    let events = every_kind();
    let tl = Replay::from_events(&events, 30);
    assert_eq!(tl.received_messages().count(), 2);
    let flows = check_chrome("every kind", &chrome::render(&events, 30), &tl);
    assert_eq!(flows, 2);
}

fn g_end(seed: u64) -> u64 {
    seed % 50
}

/// Run `machine` with its text trace streamed as it goes (`Machine::stream_trace`): the
/// bytes written, the names the stream learnt, and the report.
fn streamed(mut machine: Machine) -> (String, sim::render::Names, Report) {
    let (stream, sink) = sim::render::TextStream::new(Vec::new()).into_sink();
    assert!(machine.stream_trace(sink).is_ok(), "one CPU streams");
    let report = machine.run();
    let (bytes, names) = stream.finish().expect("a Vec takes every write");
    (
        String::from_utf8(bytes).expect("the trace is text"),
        names,
        report,
    )
}

#[test]
fn a_streamed_text_trace_is_the_stored_one_for_every_program_and_scenario() {
    let programs = userland::programs::builtin();
    let mut runs: Vec<(String, Machine, Report)> = Vec::new();
    for p in BUILTINS.iter().chain(&["mixed", "busy"]) {
        let table = if BUILTINS.contains(p) {
            programs.clone()
        } else {
            mixed_programs()
        };
        let config = MachineConfig {
            max_ticks: 5_000,
            ..MachineConfig::default()
        };
        let stored = Machine::run_program(config.clone(), table.clone(), p, 0).unwrap();
        let mut machine = Machine::new(config, table);
        machine.boot(p, 0).unwrap();
        runs.push((p.to_string(), machine, stored));
    }
    for s in userland::scenario::SHIPPED {
        let scenario = sim::scenario::load(s.path, s.source).expect("shipped scenarios load");
        let config = sim::scenario::configure(&scenario, MachineConfig::default());
        let stored = sim::scenario::run(scenario.clone(), config.clone()).expect("boots");
        runs.push((
            s.name.to_string(),
            sim::scenario::machine(scenario, config).expect("boots"),
            stored,
        ));
    }
    for (what, machine, stored) in runs {
        let (text, names, report) = streamed(machine);
        assert!(!stored.events.is_empty(), "{what}");
        assert_eq!(text, stored.trace_text(), "{what}");
        assert!(
            report.events.is_empty(),
            "{what}: a streamed run keeps no events"
        );
        assert_eq!(report.outcome, stored.outcome, "{what}");
        // The stream learnt every name the stored trace has.
        let all = sim::render::Names::from_events(&stored.events);
        for e in &stored.exited {
            assert_eq!(names.pid(e.pid), all.pid(e.pid), "{what}");
        }
    }
}

#[test]
fn a_trace_is_streamed_only_with_one_cpu() {
    let config = MachineConfig {
        cpus: 2,
        ..MachineConfig::default()
    };
    let mut machine = Machine::new(config, userland::programs::builtin());
    let (_, sink) = sim::render::TextStream::new(Vec::new()).into_sink();
    assert!(machine.stream_trace(sink).is_err());
    // The refused machine still keeps its trace.
    machine.boot("ping_pong", 0).unwrap();
    assert!(!machine.run().events.is_empty());
}
