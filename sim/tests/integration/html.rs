//! The page that steps through a run (`sim::render::html`).
//!
//! What the page shows at a moment is the page's model ([`Page::snapshot_at_step`]): these
//! tests hold that model against the kernel's own process and mailbox tables at every pause
//! of real runs, and against the replay's spans and message flows at every tick; they check
//! that nothing a run names can break out of the page's data, that a long run is cut at the
//! documented cap, and that `sim run --trace html` writes the page. The browser test
//! (`the_page_shows_the_model_in_a_real_browser`, ignored: `make browser-test` runs it) opens
//! the page in headless Chromium at a few ticks and after pressing its buttons, and checks
//! that the document shows exactly what the model says.

use abi::{Capacity, Mode, Pid, Ticks};
use kernel::inspect::{MailboxInfo, ProcessInfo, StateInfo};
use kernel::trace::{Event, TraceSink, WaitQueueId};
use serde_json::Value;
use sim::render::html::{self, Page, ProcState, Snapshot};
use sim::render::replay::{Endpoint, ProcessLife, Replay, State};
use sim::{Machine, MachineConfig, Report};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use userland::{ProgramTable, SpawnOptions, Sys};

// ----- runs -----

/// A trace sink that keeps every event where the test can read it while the run is paused.
struct Collect(Arc<Mutex<Vec<Event>>>);

impl TraceSink for Collect {
    fn record(&mut self, event: &Event) {
        self.0.lock().expect("not poisoned").push(event.clone());
    }
}

/// A machine booted with the built-in `program`.
fn program_machine(program: &str) -> Machine {
    let mut m = Machine::new(MachineConfig::default(), userland::programs::builtin());
    m.boot(program, 0).expect("the program boots");
    m
}

/// A machine booted with the shipped scenario `name`.
fn scenario_machine(name: &str) -> Machine {
    let s = userland::scenario::shipped(name).expect("shipped");
    let scenario = userland::scenario::load(s.path, s.source).expect("loads");
    let config = sim::scenario::configure(&scenario, MachineConfig::default());
    sim::scenario::machine(scenario, config).expect("boots")
}

/// The kernel's tables at one pause, and how many events the run had recorded by then.
struct Pause {
    events: usize,
    processes: Vec<ProcessInfo>,
    mailboxes: Vec<MailboxInfo>,
}

/// Run `machine` a tick at a time, taking the kernel's tables at every pause: the pauses,
/// the whole trace and the report.
fn paused_run(mut machine: Machine) -> (Vec<Pause>, Vec<Event>, Report) {
    let events = Arc::new(Mutex::new(Vec::new()));
    assert!(
        machine
            .stream_trace(Box::new(Collect(Arc::clone(&events))))
            .is_ok(),
        "one CPU streams"
    );
    let mut pauses = Vec::new();
    while machine.run_until(machine.now() + 1).is_none() {
        pauses.push(Pause {
            events: events.lock().expect("not poisoned").len(),
            processes: machine.process_table(),
            mailboxes: machine.mailbox_table(),
        });
    }
    let report = machine.run();
    let events = events.lock().expect("not poisoned").clone();
    (pauses, events, report)
}

/// Awkward names: what a run could call a process or a mailbox, or print, to break out of
/// the page's markup or its script.
const HOSTILE_PROCESS: &str = "</script><script>alert('p')</script><img src=x onerror=alert(1)>";
const HOSTILE_MAILBOX: &str = "<!--mb--><b onclick=\"alert(2)\">&amp;</b>";
const HOSTILE_MESSAGE: &[u8] =
    b"\xe2\x80\xa8</SCRIPT><iframe src='javascript:alert(3)'>\xe2\x80\xa9";

/// A program whose process, mailbox and printed message are [`HOSTILE_PROCESS`],
/// [`HOSTILE_MAILBOX`] and [`HOSTILE_MESSAGE`], with a message left queued at the end.
fn hostile_programs() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "hostile",
        "names that are markup",
        |sys: Sys, _| async move {
            let Ok(mb) = sys
                .create_mailbox(Capacity::Bounded(4), Some(HOSTILE_MAILBOX))
                .await
            else {
                return 1;
            };
            let Ok(child) = sys
                .spawn_with(SpawnOptions::new("hostile.child", 0).label(HOSTILE_PROCESS))
                .await
            else {
                return 2;
            };
            let _ = sys.send(mb, HOSTILE_MESSAGE, Mode::Blocking).await;
            let _ = sys.send(mb, b"left queued", Mode::Blocking).await;
            let Ok(got) = sys.receive(mb, Mode::Blocking).await else {
                return 3;
            };
            let _ = sys.print(&got.text()).await;
            let _ = sys.send(child, b"hello", Mode::Blocking).await;
            let _ = sys.wait(child).await;
            sys.sleep(10).await;
            0
        },
    );
    t.add(
        "hostile.child",
        "sleeps, then takes a message",
        |sys: Sys, _| async move {
            sys.sleep(5).await;
            let _ = sys.receive(abi::Source::Any, Mode::Blocking).await;
            0
        },
    );
    t
}

fn hostile_run() -> Report {
    Machine::run_program(MachineConfig::default(), hostile_programs(), "hostile", 0).expect("boots")
}

// ----- the model against the kernel -----

/// The page's model at `snap` says what the kernel's tables at the same moment say: every
/// process's state and what it waits on, every mailbox's owner, queue length and waiters,
/// every inbox's queue length; and nothing lives in one that is gone from the other.
fn agree_with_kernel(page: &Page, snap: &Snapshot, pause: &Pause, what: &str) {
    let row_of = |pid: Pid| page.processes.iter().position(|r| r.pid == pid);
    let endpoint_of = |e: Endpoint| page.endpoints.iter().position(|r| r.endpoint == e);
    for p in &pause.processes {
        let row = row_of(p.pid).unwrap_or_else(|| panic!("{what}: {} on the page", p.name));
        let shown = snap.processes[row].unwrap_or_else(|| panic!("{what}: {} spawned", p.name));
        match (&p.state, shown.state) {
            (StateInfo::Ready, ProcState::Ready) => {}
            (StateInfo::Running { cpu }, ProcState::Running { cpu: c }) => {
                assert_eq!(*cpu, c, "{what}: {}", p.name)
            }
            (StateInfo::Blocked(w), ProcState::Blocked { queue, deadline }) => {
                assert_eq!(
                    (w.queue, w.deadline),
                    (queue, deadline),
                    "{what}: {}",
                    p.name
                )
            }
            (StateInfo::Sleeping { until }, ProcState::Sleeping { until: u }) => {
                assert_eq!(*until, u, "{what}: {}", p.name)
            }
            (StateInfo::Zombie { code }, ProcState::Exited { code: c }) => {
                assert_eq!(code.unwrap_or(c), c, "{what}: {}", p.name)
            }
            (kernel, shown) => panic!("{what}: {} is {kernel:?}, the page says {shown:?}", p.name),
        }
        // A blocked process's `since` is when its call first blocked, which a moved call
        // keeps; every other state starts at the event the page steps through.
        if !matches!(p.state, StateInfo::Blocked(_) | StateInfo::Zombie { .. }) {
            assert_eq!(p.since, shown.since, "{what}: {} since", p.name);
        }
        let inbox =
            endpoint_of(Endpoint::Inbox(p.pid)).map_or(0, |e| snap.endpoints[e].queue.len());
        assert_eq!(p.inbox.queued, inbox, "{what}: {}'s inbox", p.name);
    }
    for (row, shown) in snap.processes.iter().enumerate() {
        if let Some(s) = shown {
            if !matches!(s.state, ProcState::Exited { .. }) {
                let pid = page.processes[row].pid;
                assert!(
                    pause.processes.iter().any(|p| p.pid == pid),
                    "{what}: {} is alive on the page only",
                    page.processes[row].label
                );
            }
        }
    }
    let waiting_on = |q: WaitQueueId| {
        snap.processes
            .iter()
            .flatten()
            .filter(|s| matches!(s.state, ProcState::Blocked { queue, .. } if queue == q))
            .count()
    };
    for m in &pause.mailboxes {
        let e = endpoint_of(Endpoint::Mailbox(m.id))
            .unwrap_or_else(|| panic!("{what}: mailbox {:?} on the page", m.name));
        let shown = &snap.endpoints[e];
        assert!(shown.live, "{what}: {:?} exists", m.name);
        assert_eq!(
            shown.owner,
            m.owner.as_ref().and_then(|o| row_of(o.pid)),
            "{what}: {:?}'s owner",
            m.name
        );
        assert_eq!(shown.queue.len(), m.queued, "{what}: {:?} queued", m.name);
        assert_eq!(
            waiting_on(WaitQueueId::MailboxSenders(m.id)),
            m.senders_waiting,
            "{what}: {:?} senders",
            m.name
        );
        // A shared mailbox can have several receivers waiting.
        assert_eq!(
            waiting_on(WaitQueueId::MailboxReceiver(m.id)),
            m.receivers_waiting,
            "{what}: {:?} receivers",
            m.name
        );
    }
    for (e, row) in page.endpoints.iter().enumerate() {
        if let Endpoint::Mailbox(id) = row.endpoint {
            if snap.endpoints[e].live {
                assert!(
                    pause.mailboxes.iter().any(|m| m.id == id),
                    "{what}: {} exists on the page only",
                    row.label
                );
            }
        }
    }
}

/// At every pause of `machine`'s run, the page's model after the events recorded by then is
/// the kernel's view; returns how many pauses showed a message queued and how many a process
/// blocked, so a caller can tell the run was interesting.
fn check_against_kernel(machine: Machine, what: &str) -> (usize, usize) {
    let (pauses, events, report) = paused_run(machine);
    assert!(pauses.len() > 10, "{what}: {} pauses", pauses.len());
    let page = Page::new(&events, report.ticks, what);
    assert!(!page.truncated());
    let (mut queued, mut blocked) = (0, 0);
    for pause in &pauses {
        let snap = page.snapshot_at_step(pause.events);
        agree_with_kernel(
            &page,
            &snap,
            pause,
            &format!("{what} after {} events", pause.events),
        );
        queued += usize::from(snap.endpoints.iter().any(|e| !e.queue.is_empty()));
        blocked += usize::from(
            snap.processes
                .iter()
                .flatten()
                .any(|s| matches!(s.state, ProcState::Blocked { .. })),
        );
    }
    (queued, blocked)
}

#[test]
fn the_page_at_every_pause_is_the_kernels_view_of_bounded_buffer() {
    let (queued, blocked) =
        check_against_kernel(program_machine("bounded_buffer"), "bounded_buffer");
    assert!(queued > 0 && blocked > 0, "{queued} {blocked}");
}

#[test]
fn the_page_at_every_pause_is_the_kernels_view_of_shipped_scenarios() {
    for name in [
        "producers",
        "client_server",
        "deletion",
        "ownership",
        "timeouts",
        "worker_pool",
        "multiplexer",
        "private_reply",
    ] {
        let (queued, blocked) = check_against_kernel(scenario_machine(name), name);
        assert!(blocked > 0, "{name}: {blocked}");
        if name == "producers" {
            assert!(queued > 0, "{name}: {queued}");
        }
    }
}

// ----- the model against the replay -----

/// The state the replay gives `life` after every event at or before `tick`: `None` before
/// its spawn, `"exited"` from its exit on.
fn replay_state_at(life: &ProcessLife, tick: Ticks) -> Option<(&'static str, Option<State>)> {
    if tick < life.spawned {
        return None;
    }
    if life.exit.is_some_and(|x| x.tick <= tick) {
        return Some(("exited", None));
    }
    let span = life.spans.iter().rev().find(|s| s.start <= tick)?;
    Some((span.state.name(), Some(span.state)))
}

/// At every tick of `events`' run, each process's state on the page is the replay's, and
/// (when `queues`: a real run's trace, where each message is queued and taken once) each
/// endpoint's queue holds exactly the messages the replay's flows say were there, with
/// their senders.
fn check_against_replay(events: &[Event], end: Ticks, what: &str, queues: bool) {
    let page = Page::new(events, end, what);
    let tl = Replay::from_events(events, end);
    for tick in 0..=tl.end {
        let snap = page.snapshot_at_tick(tick);
        for (row, life) in tl.processes.iter().enumerate() {
            let shown = snap.processes[row].map(|s| s.state);
            let want = replay_state_at(life, tick);
            assert_eq!(
                shown.map(|s| s.name()),
                want.map(|w| w.0),
                "{what} at {tick}: {}",
                life.label()
            );
            match (shown, want.and_then(|w| w.1)) {
                (Some(ProcState::Blocked { queue, .. }), Some(State::Blocked { queue: q })) => {
                    assert_eq!(queue, q, "{what} at {tick}: {}", life.label())
                }
                (Some(ProcState::Running { cpu }), Some(State::Running { cpu: c })) => {
                    assert_eq!(cpu, c, "{what} at {tick}: {}", life.label())
                }
                _ => {}
            }
        }
        for (e, row) in page.endpoints.iter().enumerate().filter(|_| queues) {
            let mut shown: Vec<(u64, Option<Pid>)> = snap.endpoints[e]
                .queue
                .iter()
                .map(|&m| {
                    let msg = &page.messages[m];
                    (msg.id, msg.from.map(|r| page.processes[r].pid))
                })
                .collect();
            shown.sort();
            let want: Vec<(u64, Option<Pid>)> = tl
                .messages
                .values()
                .filter(|f| Endpoint::from(f.via) == row.endpoint && !f.handed_over)
                .filter(|f| f.sent <= tick)
                .filter(|f| f.received.is_none_or(|r| r.tick > tick))
                .filter(|f| f.dropped.is_none_or(|d| d.0 > tick))
                .map(|f| (f.msg, Some(f.from)))
                .collect();
            assert_eq!(shown, want, "{what} at {tick}: {}", row.label);
        }
    }
}

#[test]
fn the_page_at_every_tick_is_the_replay_at_that_tick() {
    for program in ["bounded_buffer", "rpc", "ping_pong", "transfer", "deadlock"] {
        let report = Machine::run_program(
            MachineConfig::default(),
            userland::programs::builtin(),
            program,
            0,
        )
        .expect("boots");
        check_against_replay(&report.events, report.ticks, program, true);
    }
    for name in [
        "producers",
        "deletion",
        "ownership",
        "timeouts",
        "philosophers_deadlock",
        "worker_pool",
        "multiplexer",
        "private_reply",
    ] {
        let report = scenario_machine(name).run();
        check_against_replay(&report.events, report.ticks, name, true);
    }
    let report = hostile_run();
    check_against_replay(&report.events, report.ticks, "hostile", true);
    // Made-up traces, ticks running backwards now and then: the states still follow.
    for seed in 0..40 {
        let events = crate::common::testgen::lifelike(seed, 300);
        let end = events.last().map_or(0, |e| e.tick);
        check_against_replay(&events, end, &format!("lifelike {seed}"), false);
    }
}

// ----- the document -----

/// The JSON the document embeds, parsed back.
fn embedded(doc: &str) -> Value {
    let open = r#"<script id="run-data" type="application/json">"#;
    let start = doc.find(open).expect("the data element") + open.len();
    let len = doc[start..]
        .find("</script>")
        .expect("the data element ends");
    serde_json::from_str(&doc[start..start + len]).expect("the data parses")
}

/// The state a reader of the embedded JSON builds after `k` steps, as the page's script
/// builds it: per process row its state name, detail and since (`None` before its spawn),
/// per endpoint its owner, whether it exists and its queued message ids.
type JsonState = (
    Vec<Option<(String, String, u64)>>,
    Vec<(Option<u64>, bool, Vec<u64>)>,
);

fn json_state_at(data: &Value, k: usize) -> JsonState {
    let rows = data["processes"].as_array().expect("processes").len();
    let messages = data["messages"].as_array().expect("messages");
    let mut procs = vec![None; rows];
    let mut endpoints: Vec<(Option<u64>, bool, Vec<u64>)> = data["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| (e["owner"].as_u64(), e["kind"] == "inbox", Vec::new()))
        .collect();
    let n = |v: &Value| v.as_u64().expect("a number") as usize;
    for step in data["steps"].as_array().expect("steps").iter().take(k) {
        let tick = step[0].as_u64().expect("a tick");
        for c in step[2].as_array().expect("changes") {
            match c[0].as_str().expect("a kind") {
                "state" => {
                    let state = c[2].as_str().expect("a state").to_string();
                    let detail = c[3].as_str().expect("a detail").to_string();
                    procs[n(&c[1])] = Some((state, detail, tick));
                }
                "enqueue" => endpoints[n(&c[1])]
                    .2
                    .push(messages[n(&c[2])]["id"].as_u64().expect("id")),
                "dequeue" => {
                    let id = messages[n(&c[2])]["id"].as_u64().expect("id");
                    endpoints[n(&c[1])].2.retain(|m| *m != id);
                }
                "drop" => {
                    let queue = &mut endpoints[n(&c[1])].2;
                    let count = n(&c[2]).min(queue.len());
                    queue.drain(..count);
                }
                "owner" => {
                    let e = &mut endpoints[n(&c[1])];
                    e.0 = c[2].as_u64();
                    e.1 = c[3].as_bool().expect("exists");
                }
                "print" => {}
                other => panic!("an undocumented change {other}"),
            }
        }
    }
    (procs, endpoints)
}

#[test]
fn the_embedded_data_gives_the_models_state_after_every_event() {
    let mut runs = vec![(
        "bounded_buffer".to_string(),
        program_machine("bounded_buffer").run(),
    )];
    runs.push(("deletion".to_string(), scenario_machine("deletion").run()));
    runs.push(("hostile".to_string(), hostile_run()));
    for (what, report) in runs {
        let page = Page::new(&report.events, report.ticks, &what);
        let data = embedded(&html::document(&page));
        assert_eq!(
            data["steps"].as_array().map(Vec::len),
            Some(report.events.len())
        );
        for k in 0..=page.steps.len() {
            let snap = page.snapshot_at_step(k);
            let (procs, endpoints) = json_state_at(&data, k);
            let want: Vec<Option<(String, String, u64)>> = snap
                .processes
                .iter()
                .map(|p| p.map(|p| (p.state.name().to_string(), page.detail(&p.state), p.since)))
                .collect();
            assert_eq!(procs, want, "{what} after {k} events");
            let want: Vec<(Option<u64>, bool, Vec<u64>)> = snap
                .endpoints
                .iter()
                .map(|e| {
                    let queue = e.queue.iter().map(|&m| page.messages[m].id).collect();
                    (e.owner.map(|o| o as u64), e.live, queue)
                })
                .collect();
            assert_eq!(endpoints, want, "{what} after {k} events");
        }
    }
}

#[test]
fn nothing_a_run_names_breaks_out_of_the_page() {
    let report = hostile_run();
    assert!(report.succeeded(), "{:?}", report.console_text());
    let doc = html::render(&report.events, report.ticks, HOSTILE_PROCESS);
    // Two script elements and nothing else that opens markup from a name.
    assert_eq!(doc.matches("<script").count(), 2, "script elements");
    assert_eq!(doc.to_ascii_lowercase().matches("</script").count(), 2);
    for needle in ["<img", "<b ", "<!--mb", "<iframe", "<IFRAME"] {
        assert!(!doc.contains(needle), "{needle} in the page");
    }
    assert!(!doc.contains('\u{2028}') && !doc.contains('\u{2029}'));
    assert!(doc.contains("<title>&lt;/script&gt;&lt;script&gt;alert(&#39;p&#39;)"));
    // The data reads back to the names as the run gave them.
    let data = embedded(&doc);
    assert_eq!(data["title"], HOSTILE_PROCESS);
    let labels: Vec<&str> = data["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|p| p["label"].as_str().expect("a label"))
        .collect();
    assert!(
        labels.contains(&format!("p1:{HOSTILE_PROCESS}").as_str()),
        "{labels:?}"
    );
    let endpoints = data["endpoints"].as_array().expect("endpoints");
    assert!(endpoints
        .iter()
        .any(|e| e["label"] == format!("mb0:{HOSTILE_MAILBOX}").as_str()));
    let printed = String::from_utf8(HOSTILE_MESSAGE.to_vec()).expect("utf-8");
    let prints: Vec<&Value> = data["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s[2].as_array().expect("changes"))
        .filter(|c| c[0] == "print")
        .collect();
    assert_eq!(prints.len(), 1);
    assert_eq!(prints[0][2], printed.as_str());
}

#[test]
fn a_long_run_is_cut_at_the_cap_and_says_so() {
    let mut t = ProgramTable::new();
    t.add("yielder", "yields many times", |sys: Sys, _| async move {
        for _ in 0..(html::MAX_EVENTS / 2) {
            sys.yield_now().await;
        }
        0
    });
    let report = Machine::run_program(MachineConfig::default(), t, "yielder", 0).expect("boots");
    assert!(
        report.events.len() > html::MAX_EVENTS,
        "{}",
        report.events.len()
    );
    let page = Page::new(&report.events, report.ticks, "yielder");
    assert!(page.truncated());
    assert_eq!(page.steps.len(), html::MAX_EVENTS);
    let last = report.events[html::MAX_EVENTS - 1].tick;
    assert_eq!(page.replay.end, last, "the page ends with its last event");
    assert!(last < report.ticks);
    let doc = html::document(&page);
    let data = embedded(&doc);
    assert_eq!(data["events_total"], report.events.len());
    assert_eq!(data["events_kept"], html::MAX_EVENTS);
    assert_eq!(data["end"], last);
    // A few hundred bytes an event at most, whatever the run's length.
    assert!(doc.len() < html::MAX_EVENTS * 300, "{} bytes", doc.len());
    // A run under the cap is held whole.
    let small = Page::with_cap(&report.events[..100], report.events[99].tick, "short", 100);
    assert!(!small.truncated());
}

#[test]
fn sim_run_writes_the_page_to_a_file_or_to_stdout() {
    let dir = scratch("cli");
    let path = dir.join("run.html");
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "producers", "--trace", "html", "--out"])
        .arg(&path)
        .output()
        .expect("sim runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("== messages:"));
    let doc = std::fs::read_to_string(&path).expect("the page was written");
    assert!(doc.starts_with("<!DOCTYPE html>") && doc.trim_end().ends_with("</html>"));
    // Self-contained: nothing is fetched when it opens.
    for fetch in ["src=", "href=", "@import", "url(http", "//cdn", "fetch("] {
        assert!(!doc.contains(fetch), "{fetch} in the page");
    }
    let data = embedded(&doc);
    assert_eq!(data["title"], "userland/scenarios/producers.sim");
    assert_eq!(data["processes"].as_array().map(Vec::len), Some(5));
    // To stdout the page stands alone and the summary goes to stderr.
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "producers", "--trace", "html"])
        .output()
        .expect("sim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("<!DOCTYPE html>") && !stdout.contains("== messages:"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("== messages:"));
}

// ----- in a real browser -----

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-html-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The Chromium to drive: `$CHROMIUM`, or the distribution's; or where it was looked for.
fn chromium() -> Result<PathBuf, PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        Ok(path)
    } else {
        Err(path)
    }
}

/// Run headless Chromium with `args` and the profile `profile`: its standard output. A
/// browser that has not finished in two minutes is stopped and the test fails, rather than
/// the test hanging CI.
fn headless(browser: &Path, profile: &Path, args: &[String]) -> String {
    let out_path = profile.with_extension("stdout");
    let err_path = profile.with_extension("stderr");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(std::fs::File::create(&out_path).expect("a file for its output"))
        .stderr(std::fs::File::create(&err_path).expect("a file for its errors"))
        .spawn()
        .expect("chromium starts");
    let mut waited = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium can be waited for") {
            break status;
        }
        if waited >= 120_000 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} did not finish in two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        waited += 50;
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(status.success(), "chromium {args:?}: {status}\n{err}");
    std::fs::read_to_string(&out_path).expect("its output is text")
}

/// The document headless Chromium builds from `page` at `fragment` (`tick=12`), once its
/// script has run.
fn dump_dom(browser: &Path, page: &Path, fragment: &str, profile: &Path) -> String {
    let url = format!("file://{}#{fragment}", page.display());
    let dom = headless(browser, profile, &["--dump-dom".to_string(), url]);
    assert!(
        dom.contains(r#"data-ready="1""#),
        "the page's script ran at {fragment}"
    );
    dom
}

/// A `data-NAME="..."` attribute of the body, as the browser left it.
fn body_attribute(dom: &str, name: &str) -> String {
    let body = &dom[dom.find("<body").expect("a body")..];
    let body = &body[..body.find('>').expect("the tag ends")];
    let key = format!("data-{name}=\"");
    let start = body
        .find(&key)
        .unwrap_or_else(|| panic!("{key} on the body"))
        + key.len();
    body[start..start + body[start..].find('"').expect("ends")].to_string()
}

/// An endpoint as the page shows it: its label, its owner line, and its queued messages'
/// ids and senders.
type ShownEndpoint = (String, String, Vec<(String, String)>);

/// What the state section shows: per process row (label, state, detail, since), and per
/// endpoint (label, owner, message ids, their senders).
#[derive(Debug, PartialEq, Eq)]
struct Shown {
    processes: Vec<[String; 4]>,
    endpoints: Vec<ShownEndpoint>,
    console: Vec<String>,
}

/// Read the state section out of a dumped DOM. The browser writes HTML; the section holds
/// only elements that are well-formed XML as written, so an XML parser reads it once the
/// one entity XML lacks is spelt as a number.
fn shown(dom: &str) -> Shown {
    let start = dom.find(r#"<main id="state">"#).expect("the state section");
    let end = dom[start..].find("</main>").expect("it ends") + start + "</main>".len();
    let xml = dom[start..end].replace("&nbsp;", "&#160;");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let text = |n: roxmltree::Node| -> String {
        n.descendants()
            .filter(|d| d.is_text())
            .filter_map(|d| d.text())
            .collect()
    };
    let with_class = |n: roxmltree::Node, class: &str| -> Option<String> {
        n.descendants().find(|d| has_class(*d, class)).map(text)
    };
    let processes = doc
        .descendants()
        .filter(|n| n.has_tag_name("tr") && has_class(*n, "proc"))
        .map(|tr| {
            ["label", "state", "detail", "since"].map(|c| with_class(tr, c).unwrap_or_default())
        })
        .collect();
    let endpoints = doc
        .descendants()
        .filter(|n| n.has_tag_name("div") && has_class(*n, "endpoint"))
        .map(|div| {
            let msgs = div
                .descendants()
                .filter(|n| n.has_tag_name("li"))
                .map(|li| {
                    (
                        li.attribute("data-msg").unwrap_or_default().to_string(),
                        with_class(li, "from").unwrap_or_default(),
                    )
                })
                .collect();
            (
                with_class(div, "name").unwrap_or_default(),
                with_class(div, "owner").unwrap_or_default(),
                msgs,
            )
        })
        .collect();
    let console = doc
        .descendants()
        .filter(|n| n.has_tag_name("li") && n.attribute("class") == Some("line"))
        .map(text)
        .collect();
    Shown {
        processes,
        endpoints,
        console,
    }
}

/// Whether element `n` has class `class`.
fn has_class(n: roxmltree::Node, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split(' ').any(|w| w == class))
}

/// What the page should show after `step` steps, from the model.
fn expected(page: &Page, step: usize) -> Shown {
    let snap = page.snapshot_at_step(step);
    let processes = page
        .processes
        .iter()
        .zip(&snap.processes)
        .map(|(row, s)| match s {
            None => [
                row.label.clone(),
                "not yet spawned".into(),
                String::new(),
                String::new(),
            ],
            Some(s) => [
                row.label.clone(),
                s.state.name().to_string(),
                page.detail(&s.state),
                format!("tick {}", s.since),
            ],
        })
        .collect();
    let endpoints = page
        .endpoints
        .iter()
        .zip(&snap.endpoints)
        .map(|(row, e)| {
            let owner = e
                .owner
                .map_or("unknown".to_string(), |o| page.processes[o].label.clone());
            let msgs = e
                .queue
                .iter()
                .map(|&m| {
                    (
                        page.messages[m].id.to_string(),
                        page.messages[m].from_label.clone(),
                    )
                })
                .collect();
            (row.label.clone(), format!("owner: {owner}"), msgs)
        })
        .collect();
    let console = snap
        .console
        .iter()
        .map(|(row, line)| format!("{}: {line}", page.processes[*row].label))
        .collect();
    Shown {
        processes,
        endpoints,
        console,
    }
}

/// Open `page`'s document at `fragment` and check it shows the model after `step` steps at
/// `tick`.
fn check_in_browser(browser: &Path, dir: &Path, file: &Path, page: &Page, fragment: &str) -> Shown {
    let dom = dump_dom(browser, file, fragment, &dir.join("profile"));
    let step: usize = body_attribute(&dom, "step").parse().expect("a step");
    let tick: Ticks = body_attribute(&dom, "tick").parse().expect("a tick");
    let seen = shown(&dom);
    assert_eq!(seen, expected(page, step), "at {fragment}");
    // The moment is the one asked for: a tick shows every event at or before it.
    if let Some(t) = fragment
        .strip_prefix("tick=")
        .and_then(|f| f.parse::<Ticks>().ok())
    {
        assert_eq!((tick, step), (t, page.steps_to(t)), "at {fragment}");
    }
    seen
}

#[test]
#[ignore = "needs Chromium: `make browser-test` runs it"]
fn the_page_shows_the_model_in_a_real_browser() {
    let browser = match chromium() {
        Ok(browser) => browser,
        Err(missing) => {
            eprintln!(
                "SKIPPED: no Chromium at {} (set CHROMIUM, or `apt-get install chromium`)",
                missing.display()
            );
            return;
        }
    };
    let dir = scratch("browser");

    // bounded_buffer at a few ticks: the start, the first moment a producer waits for room
    // in the full buffer, the middle and the end.
    let report = Machine::run_program(
        MachineConfig::default(),
        userland::programs::builtin(),
        "bounded_buffer",
        0,
    )
    .expect("boots");
    let page = Page::new(&report.events, report.ticks, "bounded_buffer");
    let file = dir.join("bounded_buffer.html");
    std::fs::write(&file, html::document(&page)).expect("written");
    let full = (0..=report.ticks)
        .find(|&t| {
            let s = page.snapshot_at_tick(t);
            s.processes.iter().flatten().any(|p| {
                matches!(
                    p.state,
                    ProcState::Blocked {
                        queue: WaitQueueId::MailboxSenders(_),
                        ..
                    }
                )
            })
        })
        .expect("a producer waits for room");
    for tick in [0, full, report.ticks / 2, report.ticks] {
        check_in_browser(&browser, &dir, &file, &page, &format!("tick={tick}"));
    }
    let at_full = check_in_browser(&browser, &dir, &file, &page, &format!("tick={full}"));
    assert!(
        at_full
            .processes
            .iter()
            .any(|p| p[1] == "blocked" && p[2].starts_with("waits to send to mb0:buffer")),
        "{at_full:?}"
    );
    let buffer = at_full
        .endpoints
        .iter()
        .find(|e| e.0 == "mb0:buffer")
        .expect("the buffer is shown");
    assert_eq!(buffer.1, "owner: p0:bounded_buffer");
    assert_eq!(buffer.2.len(), 4, "the buffer is full: {buffer:?}");
    assert!(
        buffer.2.iter().all(|(_, from)| from.contains(":producer")),
        "{buffer:?}"
    );

    // The buttons, pressed in the page: two events on, then a tick back, then an event back.
    let k = page.steps_to(full);
    let dom = dump_dom(
        &browser,
        &file,
        &format!("tick={full}&press=next-event,next-event"),
        &dir.join("profile"),
    );
    assert_eq!(body_attribute(&dom, "step"), (k + 2).to_string());
    assert_eq!(
        body_attribute(&dom, "tick"),
        page.steps[k + 1].tick.to_string()
    );
    assert_eq!(shown(&dom), expected(&page, k + 2));
    let dom = dump_dom(
        &browser,
        &file,
        &format!("tick={full}&press=next-tick,prev-tick,prev-tick"),
        &dir.join("profile"),
    );
    assert_eq!(body_attribute(&dom, "tick"), (full - 1).to_string());
    assert_eq!(shown(&dom), expected(&page, page.steps_to(full - 1)));
    let dom = dump_dom(
        &browser,
        &file,
        "event=5&press=prev-event",
        &dir.join("profile"),
    );
    assert_eq!(body_attribute(&dom, "step"), "4");
    assert_eq!(shown(&dom), expected(&page, 4));

    // Hostile names show as the text they are, and no markup of theirs made it in.
    let report = hostile_run();
    let page = Page::new(&report.events, report.ticks, HOSTILE_PROCESS);
    let file = dir.join("hostile.html");
    std::fs::write(&file, html::document(&page)).expect("written");
    let seen = check_in_browser(
        &browser,
        &dir,
        &file,
        &page,
        &format!("tick={}", report.ticks),
    );
    assert!(seen
        .processes
        .iter()
        .any(|p| p[0] == format!("p1:{HOSTILE_PROCESS}")));
    assert!(seen
        .endpoints
        .iter()
        .any(|e| e.0 == format!("mb0:{HOSTILE_MAILBOX}")));
    let printed = String::from_utf8(HOSTILE_MESSAGE.to_vec()).expect("utf-8");
    assert_eq!(seen.console, [format!("p0:hostile: {printed}")]);
    let dom = dump_dom(&browser, &file, "tick=0", &dir.join("profile"));
    for element in ["<img", "<iframe", "<b "] {
        assert!(
            !dom.contains(element),
            "{element} made it into the document"
        );
    }
    assert_eq!(dom.matches("<script").count(), 2, "no script was injected");

    // A cut run says so.
    let mut events = report.events.clone();
    let cap = events.len() / 2;
    let page = Page::with_cap(&events, report.ticks, "cut", cap);
    let file = dir.join("cut.html");
    std::fs::write(&file, html::document(&page)).expect("written");
    let dom = dump_dom(&browser, &file, "tick=0", &dir.join("profile"));
    let note = dom
        .find(r#"<p id="truncated">"#)
        .expect("the note is shown");
    assert!(dom[note..].starts_with(&format!(
        r#"<p id="truncated">This run had {} events; the page holds the first {cap} "#,
        events.len()
    )));
    events.clear();

    // A picture of it, for a person to look at: the page draws, and the screenshot is a PNG.
    let shot = dir.join("bounded_buffer.png");
    headless(
        &browser,
        &dir.join("profile"),
        &[
            "--window-size=1280,1000".to_string(),
            format!("--screenshot={}", shot.display()),
            format!(
                "file://{}#tick={full}",
                dir.join("bounded_buffer.html").display()
            ),
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    eprintln!("the page at tick {full}: {}", shot.display());
}
