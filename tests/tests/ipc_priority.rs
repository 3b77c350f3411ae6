//! IPC-aware blocking: priority inheritance along the wait-for graph
//! (`KernelConfig::priority_inheritance`), refusing a block that would close a cycle
//! (`KernelConfig::refuse_deadlock`), and `explain`'s answer to "why is this process
//! blocked?".
//!
//! Each test runs small programs on the machine and asserts on what they saw, on the trace
//! events and on the order in which they ran; the traces the tests are about are under
//! snapshot. Every run checks every kernel invariant after every syscall, including that each
//! effective priority is the highest of its own and its lenders' (`testkit::config`).

use abi::{Capacity, Error, Mode, Pid, Source};
use kernel::inspect::ProcessInfo;
use kernel::trace::EventKind;
use kernel::trace::WaitQueueId;
use sim::render::{explain, ps};
use sim::{Machine, MachineConfig, Outcome, Policy, Report};
use testkit::lookup;
use testkit::{config, run_with, Log};
use userland::{ProgramTable, SpawnOptions, Sys};

// ----- helpers -----

/// The test configuration with priority inheritance on or off.
fn inheriting(on: bool) -> MachineConfig {
    let mut c = config();
    c.kernel.priority_inheritance = on;
    c
}

/// The test configuration on the preemptive priority policy (run to block within a level).
fn by_priority(inherit: bool) -> MachineConfig {
    let mut c = inheriting(inherit);
    c.policy = Policy::Priority {
        quantum: None,
        aging: 0,
        order: Default::default(),
    };
    c
}

/// The test configuration with deadlock refusal on.
fn refusing() -> MachineConfig {
    let mut c = config();
    c.kernel.refuse_deadlock = true;
    c
}

/// The lend and return lines of a run's text trace, whitespace collapsed
/// (`21 cpu0 p2:server lend priority 9 from p3:high`).
fn lends(report: &Report) -> Vec<String> {
    let trace = report.trace_text();
    trace
        .lines()
        .filter(|l| l.contains(" lend ") || l.contains("lent priority"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The row of the first process called `name` in a process table.
fn row<'a>(table: &'a [ProcessInfo], name: &str) -> &'a ProcessInfo {
    table
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} in the table: {table:#?}"))
}

/// Spawn `program` with `arg` at `priority`.
async fn spawn_at(sys: &Sys, program: &str, arg: u64, priority: u8) -> Pid {
    sys.spawn_with(SpawnOptions::new(program, arg).priority(priority))
        .await
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"))
}

/// `explain`'s why-section: its heading and one line per blocked process.
fn why_section(text: &str) -> String {
    let start = text
        .find("Why each blocked process is blocked:")
        .unwrap_or_else(|| panic!("explain has the why-section:\n{text}"));
    let rest = &text[start..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    rest[..end].to_string()
}

// ----- priority inheritance -----

/// Priority inversion: `high` (9) sends to `server` (1) while `server` is ready but not yet
/// receiving, and `hog` (5) could keep `server` off the CPU for 50 ticks.
///
/// - `main` (0) spawns `launcher` (10), which spawns the three (none of which can preempt
///   it) and waits for them;
/// - `server` sleeps 2, computes 20, then receives one message;
/// - `hog` sleeps 5, then computes 50;
/// - `high` sleeps 10, then sends to `server` (rendezvous inbox: it waits until received).
fn inversion() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add("main", "spawns the launcher", |sys: Sys, _| async move {
        let launcher = spawn_at(&sys, "launcher", 0, 10).await;
        match sys.wait(launcher).await {
            Ok(0) => 0,
            _ => 1,
        }
    });
    t.add(
        "launcher",
        "spawns server, high and hog",
        |sys: Sys, _| async move {
            let server = spawn_at(&sys, "server", 0, 1).await;
            let high = spawn_at(&sys, "high", server.raw(), 9).await;
            let hog = spawn_at(&sys, "hog", 0, 5).await;
            for child in [server, high, hog] {
                if sys.wait(child).await != Ok(0) {
                    return 1;
                }
            }
            0
        },
    );
    t.add("server", "receives one message", |sys: Sys, _| async move {
        sys.sleep(2).await;
        sys.compute(20).await;
        let Ok(m) = sys.receive(Source::Any, Mode::Blocking).await else {
            return 1;
        };
        let _ = sys.print(&format!("server: got {}", m.text())).await;
        0
    });
    t.add("hog", "computes 50 ticks", |sys: Sys, _| async move {
        sys.sleep(5).await;
        sys.compute(50).await;
        let _ = sys.print("hog: done").await;
        0
    });
    t.add(
        "high",
        "sends to the server",
        |sys: Sys, server| async move {
            sys.sleep(10).await;
            if sys
                .send(Pid::from_raw(server), b"req", Mode::Blocking)
                .await
                .is_err()
            {
                return 1;
            }
            let _ = sys.print("high: sent").await;
            0
        },
    );
    t
}

#[test]
fn priority_inheritance_lends_on_block_and_returns_when_the_message_is_taken() {
    let r = run_with(by_priority(true), inversion(), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    // The server runs at high's priority, ahead of the hog, until it takes the message; then
    // high (woken) runs, then the hog, and the server, back at 1, comes last.
    assert_eq!(
        r.console_text(),
        ["high: sent", "hog: done", "server: got req"]
    );
    let lends = lends(&r);
    assert_eq!(lends.len(), 2, "one lend, one return: {lends:#?}");
    assert!(
        lends[0].ends_with("p2:server lend priority 9 from p3:high"),
        "{lends:#?}"
    );
    assert!(
        lends[1].ends_with("p2:server return lent priority, back to 1"),
        "{lends:#?}"
    );
    // The lend comes when high blocks sending; the return when the server takes the message.
    let kinds: Vec<&EventKind> = r
        .events
        .iter()
        .map(|e| &e.kind)
        .filter(|k| {
            matches!(
                k,
                EventKind::Block {
                    queue: WaitQueueId::InboxSenders(_),
                    ..
                } | EventKind::MessageHandedOver { .. }
                    | EventKind::PriorityLent { .. }
                    | EventKind::PriorityReturned { .. }
            )
        })
        .collect();
    assert!(
        matches!(
            kinds.as_slice(),
            [
                EventKind::Block { .. },
                EventKind::PriorityLent { priority: 9, .. },
                EventKind::MessageHandedOver { .. },
                EventKind::PriorityReturned { priority: 1, .. },
            ]
        ),
        "{kinds:#?}"
    );
    insta::assert_snapshot!(r.trace_text());
}

#[test]
fn without_priority_inheritance_the_hog_runs_first_and_high_waits_for_it() {
    let r = run_with(by_priority(false), inversion(), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    assert_eq!(
        r.console_text(),
        ["hog: done", "high: sent", "server: got req"],
        "priority inversion: the hog (5) keeps the server (1) from serving high (9)"
    );
    assert!(lends(&r).is_empty());
    let sent = |r: &Report| {
        r.console
            .iter()
            .find(|l| l.text == "high: sent")
            .map(|l| l.tick)
    };
    let with = run_with(by_priority(true), inversion(), "main");
    assert!(
        sent(&with) < sent(&r),
        "high is served sooner with inheritance: {:?} vs {:?}",
        sent(&with),
        sent(&r)
    );
}

#[test]
fn priority_inheritance_is_off_by_default() {
    assert!(!MachineConfig::default().kernel.priority_inheritance);
    assert!(!MachineConfig::default().kernel.refuse_deadlock);
    let mut c = config();
    c.policy = Policy::Priority {
        quantum: None,
        aging: 0,
        order: Default::default(),
    };
    let r = run_with(c, inversion(), "main");
    assert!(r.events.iter().all(|e| !matches!(
        e.kind,
        EventKind::PriorityLent { .. } | EventKind::PriorityReturned { .. }
    )));
    assert_eq!(r.console_text()[0], "hog: done");
}

/// `main` (0) spawns `server` (1) and `client` (7); the client calls the server, which takes
/// the call, computes 10 and replies.
fn rpc() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns server and client",
        |sys: Sys, _| async move {
            let server = spawn_at(&sys, "server", 0, 1).await;
            let client = spawn_at(&sys, "client", server.raw(), 7).await;
            for child in [server, client] {
                if sys.wait(child).await != Ok(0) {
                    return 1;
                }
            }
            0
        },
    );
    t.add("server", "answers one call", |sys: Sys, _| async move {
        let Ok(m) = sys.receive(Source::Any, Mode::Blocking).await else {
            return 1;
        };
        sys.compute(10).await;
        if sys.reply(m.sender, b"answer").await.is_err() {
            return 2;
        }
        0
    });
    t.add(
        "client",
        "calls the server",
        |sys: Sys, server| async move {
            match sys
                .call(Pid::from_raw(server), b"question", Mode::Blocking)
                .await
            {
                Ok(m) if m.text() == "answer" => 0,
                _ => 1,
            }
        },
    );
    t
}

#[test]
fn a_call_lends_until_the_reply() {
    let r = run_with(inheriting(true), rpc(), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    let trace = r.trace_text();
    let at = |needle: &str| {
        trace
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in:\n{trace}"))
    };
    // The server took the call at once (it was already receiving): the client waits on its
    // replies queue and lends it 7 from there, until the reply.
    let lend = at("lend       priority 7 from p2:client");
    let reply = at("reply      -> p2:client");
    let back = at("return     lent priority, back to 1");
    assert!(at("block      on p1:server.replies") < lend);
    assert!(lend < reply && reply < back, "{trace}");
    insta::assert_snapshot!(trace);
}

/// A chain: `top` (9) sends to `mid` (1), which is blocked sending to `bottom` (2), which
/// computes before it receives.
fn chain() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns bottom, mid and top",
        |sys: Sys, _| async move {
            let bottom = spawn_at(&sys, "bottom", 0, 2).await;
            let mid = spawn_at(&sys, "mid", bottom.raw(), 1).await;
            let top = spawn_at(&sys, "top", mid.raw(), 9).await;
            for child in [bottom, mid, top] {
                if sys.wait(child).await != Ok(0) {
                    return 1;
                }
            }
            0
        },
    );
    t.add(
        "bottom",
        "computes, then receives",
        |sys: Sys, _| async move {
            sys.compute(30).await;
            match sys.receive(Source::Any, Mode::Blocking).await {
                Ok(_) => 0,
                Err(_) => 1,
            }
        },
    );
    t.add(
        "mid",
        "sends to bottom, then receives",
        |sys: Sys, bottom| async move {
            if sys
                .send(Pid::from_raw(bottom), b"down", Mode::Blocking)
                .await
                .is_err()
            {
                return 1;
            }
            match sys.receive(Source::Any, Mode::Blocking).await {
                Ok(_) => 0,
                Err(_) => 2,
            }
        },
    );
    t.add("top", "sends to mid", |sys: Sys, mid| async move {
        sys.sleep(5).await;
        match sys.send(Pid::from_raw(mid), b"top", Mode::Blocking).await {
            Ok(()) => 0,
            Err(_) => 1,
        }
    });
    t
}

#[test]
fn lending_is_transitive_along_a_chain_of_senders() {
    let r = run_with(inheriting(true), chain(), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    let lends = lends(&r);
    let texts: Vec<&str> = lends
        .iter()
        .map(|l| l.split_once(" cpu0 ").map_or(l.as_str(), |(_, t)| t))
        .collect();
    assert_eq!(
        texts,
        [
            // mid (1) blocks sending to bottom (2): nothing to lend.
            // top (9) blocks sending to mid: mid carries 9, and passes it on to bottom.
            "p2:mid lend priority 9 from p3:top",
            "p1:bottom lend priority 9 from p2:mid",
            // bottom takes mid's message: mid no longer waits on it.
            "p1:bottom return lent priority, back to 2",
            // mid takes top's message.
            "p2:mid return lent priority, back to 1",
        ],
        "{lends:#?}"
    );
    insta::assert_snapshot!(r.trace_text());
}

#[test]
fn ps_and_inspect_show_the_lent_priority() {
    let c = inheriting(true);
    let mut m = Machine::new(c, chain());
    m.boot("main", 0).expect("boots");
    assert_eq!(m.run_until(40), None);
    let table = m.process_table();
    assert_eq!(row(&table, "top").effective_priority, 9);
    assert_eq!(row(&table, "mid").priority, 1);
    assert_eq!(row(&table, "mid").effective_priority, 9);
    assert_eq!(row(&table, "bottom").priority, 2);
    assert_eq!(row(&table, "bottom").effective_priority, 9);
    assert_eq!(row(&table, "main").effective_priority, 0);
    let text = ps::render(&table, &m.mailbox_table(), m.now());
    assert!(text.contains("  1→9  "), "{text}");
    assert!(text.contains("  2→9  "), "{text}");
    assert_eq!(ps::priority(row(&table, "top")), "9");
    insta::assert_snapshot!(text);
}

/// `server` (1) computes 100 before it receives; `impatient` (8) sends to it with a
/// timeout of 10.
fn impatient() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns server and impatient",
        |sys: Sys, _| async move {
            let server = spawn_at(&sys, "server", 0, 1).await;
            let who = spawn_at(&sys, "impatient", server.raw(), 8).await;
            let _ = sys.wait(who).await;
            let _ = sys.wait(server).await;
            0
        },
    );
    t.add(
        "server",
        "computes, then receives with a timeout",
        |sys: Sys, _| async move {
            sys.compute(100).await;
            let _ = sys.receive(Source::Any, Mode::NonBlocking).await;
            0
        },
    );
    t.add(
        "impatient",
        "gives up after 10",
        |sys: Sys, server| async move {
            match sys
                .send(Pid::from_raw(server), b"now", Mode::Timeout(10))
                .await
            {
                Err(Error::TimedOut) => 0,
                _ => 1,
            }
        },
    );
    t
}

#[test]
fn a_timed_out_sender_returns_the_lend() {
    let r = run_with(inheriting(true), impatient(), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    let trace = r.trace_text();
    let lend = trace
        .find("lend       priority 8 from p2:impatient")
        .expect("lent");
    let abandon = trace
        .find("abandon    send to p1:server (timed_out)")
        .expect("abandoned");
    let back = trace
        .find("return     lent priority, back to 1")
        .expect("returned");
    assert!(lend < abandon && abandon < back, "{trace}");
    insta::assert_snapshot!(trace);
}

/// `a` (1), `b` (2) and `c` (3) each send to the next's rendezvous mailbox (`a` to `b`, `b`
/// to `c`, `c` to `a`): a cycle. Then `x` (9) sends to `a` with a timeout of 20.
fn cycle_with_a_visitor() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns the ring and the visitor",
        |sys: Sys, _| async move {
            for (i, p) in [1u8, 2, 3].iter().enumerate() {
                spawn_at(&sys, "ring", i as u64, *p).await;
            }
            spawn_at(&sys, "visitor", 0, 9).await;
            0
        },
    );
    t.add(
        "ring",
        "owns mailbox arg, sends to the next",
        |sys: Sys, i| async move {
            let names = ["a", "b", "c"];
            let mine = names[i as usize];
            let next = names[(i as usize + 1) % 3];
            if sys
                .create_mailbox(Capacity::Zero, Some(mine))
                .await
                .is_err()
            {
                return 1;
            }
            let to = lookup(&sys, next).await;
            let _ = sys.send(to, mine.as_bytes(), Mode::Blocking).await;
            0
        },
    );
    t.add(
        "visitor",
        "sends to a, gives up",
        |sys: Sys, _| async move {
            sys.sleep(30).await;
            let a = lookup(&sys, "a").await;
            match sys.send(a, b"visit", Mode::Timeout(20)).await {
                Err(Error::TimedOut) => 0,
                _ => 1,
            }
        },
    );
    t
}

#[test]
fn a_priority_lent_into_a_cycle_is_returned_when_its_lender_gives_up() {
    let r = run_with(inheriting(true), cycle_with_a_visitor(), "main");
    let Outcome::Deadlock(d) = &r.outcome else {
        panic!("the ring deadlocks: {:?}", r.outcome)
    };
    assert_eq!(d.cycle.len(), 3);
    // Inside the cycle everyone carries the highest priority of the cycle, 3; the visitor's
    // 9 reaches all three and leaves with it: no 9 keeps circulating.
    for p in &r.processes {
        if p.name == "ring" {
            assert_eq!(p.effective_priority, 3, "{p:#?}");
        }
    }
    let nines = lends(&r)
        .iter()
        .filter(|l| l.contains("lend priority 9"))
        .count();
    assert_eq!(nines, 3, "{:#?}", lends(&r));
    insta::assert_snapshot!(r.trace_text());
}

// ----- deadlock refusal -----

/// `main` sends to `partner`'s rendezvous inbox and waits there; `partner` then sends to
/// `main`'s, which would close the cycle. On `deadlock` the partner receives instead, which
/// lets `main` go on.
fn pair(log: &Log<String>) -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add("main", "sends to partner", |sys: Sys, _| async move {
        let me = sys.getpid().await;
        let Ok(partner) = sys.spawn("partner", me.raw()).await else {
            return 1;
        };
        if sys.send(partner, b"ping", Mode::Blocking).await.is_err() {
            return 2;
        }
        match sys.wait(partner).await {
            Ok(0) => 0,
            _ => 3,
        }
    });
    let log = log.clone();
    t.add(
        "partner",
        "sends back, then receives",
        move |sys: Sys, main| {
            let log = log.clone();
            async move {
                let r = sys.send(Pid::from_raw(main), b"pong", Mode::Blocking).await;
                log.push(format!("send to main: {r:?}"));
                let m = sys.receive(Source::Any, Mode::Blocking).await;
                log.push(format!("receive: {:?}", m.map(|m| m.text())));
                0
            }
        },
    );
    t
}

#[test]
fn a_send_that_would_close_a_two_process_cycle_is_refused() {
    let log = Log::new();
    let r = run_with(refusing(), pair(&log), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    assert_eq!(
        log.entries(),
        [
            "send to main: Err(Deadlock)".to_string(),
            "receive: Ok(\"ping\")".to_string()
        ]
    );
    let refused: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DeadlockRefused { pid, queue, cycle } => Some((*pid, *queue, cycle)),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1);
    let (partner, queue, cycle) = refused[0];
    let main = r.exit_named("main").expect("main exited").pid;
    assert_eq!(queue, WaitQueueId::InboxSenders(main));
    assert_eq!(cycle, &vec![partner, main]);
    let trace = r.trace_text();
    assert!(
        trace.contains(
            "refuse     block on p0:main.inbox.senders: deadlock, cycle p1:partner -> p0:main -> p1:partner"
        ),
        "{trace}"
    );
    insta::assert_snapshot!(trace);
}

#[test]
fn deadlock_refusal_is_off_by_default_and_the_same_pair_deadlocks() {
    let log = Log::new();
    let r = run_with(config(), pair(&log), "main");
    let Outcome::Deadlock(d) = &r.outcome else {
        panic!("deadlocks: {:?}", r.outcome)
    };
    assert_eq!(d.cycle.len(), 2);
    assert!(log.entries().is_empty(), "the partner never returned");
}

/// A cycle of three through two mailboxes: `main` owns `jobs` (capacity 1) and waits to
/// receive from `b`; `a` owns the rendezvous mailbox `a`, fills `jobs` and waits for room;
/// `b` sends to mailbox `a`, which would close `b -> a -> main -> b`. On `deadlock`, `b`
/// sends to `main` instead, and `main` then drains `jobs`.
fn triangle(log: &Log<String>) -> ProgramTable {
    let mut t = ProgramTable::new();
    let l = log.clone();
    t.add("main", "owns jobs, receives from b", move |sys: Sys, _| {
        let log = l.clone();
        async move {
            let me = sys.getpid().await;
            let Ok(jobs) = sys.create_mailbox(Capacity::Bounded(1), Some("jobs")).await else {
                return 1;
            };
            let Ok(a) = sys.spawn("a", 0).await else {
                return 2;
            };
            let Ok(b) = sys.spawn("b", me.raw()).await else {
                return 3;
            };
            let m = sys.receive(b, Mode::Blocking).await;
            log.push(format!("main from b: {:?}", m.map(|m| m.text())));
            for _ in 0..2 {
                if sys.receive(jobs, Mode::Blocking).await.is_err() {
                    return 4;
                }
            }
            for child in [a, b] {
                if sys.wait(child).await != Ok(0) {
                    return 5;
                }
            }
            0
        }
    });
    t.add(
        "a",
        "owns mailbox a, fills jobs",
        |sys: Sys, _| async move {
            if sys.create_mailbox(Capacity::Zero, Some("a")).await.is_err() {
                return 1;
            }
            let jobs = lookup(&sys, "jobs").await;
            for job in [b"1", b"2"] {
                if sys.send(jobs, job, Mode::Blocking).await.is_err() {
                    return 2;
                }
            }
            0
        },
    );
    let l = log.clone();
    t.add(
        "b",
        "sends to mailbox a, then to main",
        move |sys: Sys, main| {
            let log = l.clone();
            async move {
                sys.sleep(5).await;
                let a = lookup(&sys, "a").await;
                let r = sys.send(a, b"to a", Mode::Blocking).await;
                log.push(format!("b to a: {r:?}"));
                match sys
                    .send(Pid::from_raw(main), b"to main", Mode::Blocking)
                    .await
                {
                    Ok(()) => 0,
                    Err(_) => 2,
                }
            }
        },
    );
    t
}

#[test]
fn a_send_that_would_close_a_three_process_cycle_through_a_mailbox_is_refused() {
    let log = Log::new();
    let r = run_with(refusing(), triangle(&log), "main");
    assert!(r.succeeded(), "{:?} {:#?}", r.outcome, r.exited);
    assert_eq!(
        log.entries(),
        [
            "b to a: Err(Deadlock)".to_string(),
            "main from b: Ok(\"to main\")".to_string()
        ]
    );
    let trace = r.trace_text();
    assert!(
        trace.contains(
            "refuse     block on mb1:a.senders: deadlock, cycle p2:b -> p1:a -> p0:main -> p2:b"
        ),
        "{trace}"
    );
    insta::assert_snapshot!(trace);

    // Without the setting the same programs deadlock, in the same cycle.
    let log = Log::new();
    let r = run_with(config(), triangle(&log), "main");
    let Outcome::Deadlock(d) = &r.outcome else {
        panic!("deadlocks: {:?}", r.outcome)
    };
    assert_eq!(d.cycle.len(), 3);
}

// ----- explain: why is P blocked? -----

#[test]
fn explain_says_why_each_philosopher_and_fork_is_blocked() {
    let s = userland::scenario::shipped("philosophers_deadlock").expect("shipped");
    let scenario = userland::scenario::load(s.path, s.source).expect("loads");
    let cfg = sim::scenario::configure(&scenario, config());
    let r = sim::scenario::run(scenario, cfg).expect("boots");
    assert!(matches!(r.outcome, Outcome::Deadlock(_)));
    let text = explain::render(&r);
    let why = why_section(&text);
    let paragraphs: Vec<&str> = why.lines().skip(1).collect();
    assert_eq!(paragraphs.len(), 10, "one paragraph per blocked process");
    for p in &paragraphs {
        let who = p.trim().split(" is blocked:").next().expect("names itself");
        assert!(
            p.ends_with(&format!("which closes the cycle back to {who}.")),
            "{p}"
        );
        // The walk names all ten before it comes back.
        for i in 0..5 {
            assert!(p.contains(&format!("fork[{i}]")), "{p}");
            assert!(p.contains(&format!("philosopher[{i}]")), "{p}");
        }
    }
    assert!(
        paragraphs[0].starts_with(
            "  p1:fork[0] is blocked: it waits for a message from p6:philosopher[0], and \
             p6:philosopher[0] is blocked: it waits to send its call to p2:fork[1] \
             (rendezvous, not receiving); only p2:fork[1] can take it, and p2:fork[1] is \
             blocked:"
        ),
        "{why}"
    );
}

/// Every kind of wait at tick 200, for explain's why-section:
///
/// - a cycle `a -> consumer -> server -> a`: `a` waits for room in `jobs` (2/2, owner
///   `consumer`), `consumer` waits for `server`'s reply, `server` waits for a message from
///   `a`; and `main` waits for its child `a` to exit;
/// - `listener` waits on its empty mailbox `news`, which `newsboy` (now sleeping) sent to;
/// - `rpcer`'s call is queued in `rpc`, owned by `sleepy`, which sleeps;
/// - `timed` waits on its empty inbox with a timeout.
fn waits() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns everyone, waits for a",
        |sys: Sys, _| async move {
            let Ok(a) = sys.spawn("a", 0).await else {
                return 1;
            };
            let Ok(server) = sys.spawn("server", a.raw()).await else {
                return 2;
            };
            for (program, arg) in [
                ("consumer", server.raw()),
                ("listener", 0),
                ("newsboy", 0),
                ("sleepy", 0),
                ("rpcer", 0),
                ("timed", 0),
            ] {
                if sys.spawn(program, arg).await.is_err() {
                    return 3;
                }
            }
            let _ = sys.wait(a).await;
            0
        },
    );
    t.add("a", "fills jobs", |sys: Sys, _| async move {
        sys.sleep(5).await;
        let jobs = lookup(&sys, "jobs").await;
        for _ in 0..3 {
            let _ = sys.send(jobs, b"job", Mode::Blocking).await;
        }
        0
    });
    t.add(
        "server",
        "takes a call, then waits for a",
        |sys: Sys, a| async move {
            let _ = sys.receive(Source::Any, Mode::Blocking).await;
            let _ = sys.receive(Pid::from_raw(a), Mode::Blocking).await;
            0
        },
    );
    t.add(
        "consumer",
        "owns jobs, calls server",
        |sys: Sys, server| async move {
            let _ = sys.create_mailbox(Capacity::Bounded(2), Some("jobs")).await;
            let _ = sys
                .call(Pid::from_raw(server), b"work", Mode::Blocking)
                .await;
            0
        },
    );
    t.add("listener", "waits on news", |sys: Sys, _| async move {
        let Ok(news) = sys.create_mailbox(Capacity::Bounded(2), Some("news")).await else {
            return 1;
        };
        for _ in 0..2 {
            let _ = sys.receive(news, Mode::Blocking).await;
        }
        0
    });
    t.add("newsboy", "sends once, sleeps", |sys: Sys, _| async move {
        let news = lookup(&sys, "news").await;
        let _ = sys.send(news, b"extra", Mode::Blocking).await;
        sys.sleep(1000).await;
        0
    });
    t.add("sleepy", "owns rpc, sleeps", |sys: Sys, _| async move {
        let _ = sys.create_mailbox(Capacity::Bounded(4), Some("rpc")).await;
        sys.sleep(1000).await;
        0
    });
    t.add("rpcer", "calls rpc", |sys: Sys, _| async move {
        let rpc = lookup(&sys, "rpc").await;
        let _ = sys.call(rpc, b"q", Mode::Blocking).await;
        0
    });
    t.add("timed", "waits with a timeout", |sys: Sys, _| async move {
        let _ = sys.receive(Source::Any, Mode::Timeout(500)).await;
        0
    });
    t
}

#[test]
fn explain_follows_full_mailboxes_replies_children_and_empty_mailboxes() {
    let mut c = config();
    c.max_ticks = 200;
    let r = run_with(c, waits(), "main");
    assert_eq!(r.outcome, Outcome::TickLimit);
    let why = why_section(&explain::render(&r));
    let line = |who: &str| {
        why.lines()
            .find(|l| l.trim_start().starts_with(&format!("{who} is blocked:")))
            .unwrap_or_else(|| panic!("{who} in:\n{why}"))
            .to_string()
    };
    assert!(line("p1:a").contains(
        "it waits to send to mailbox jobs (full, 2/2); only p3:consumer can make room, and \
         p3:consumer is blocked: it waits for a reply from p2:server, and p2:server is \
         blocked: it waits for a message from p1:a, which closes the cycle back to p1:a."
    ));
    assert!(line("p0:main").contains("which closes a cycle that p0:main waits on: p1:a -> "));
    assert!(line("p4:listener").contains(
        "mailbox news (empty); no one process holds it: any process could send to it, and of \
         those that did in this run p5:newsboy (sleeping until tick"
    ));
    assert!(line("p7:rpcer").contains(
        "its call is queued in mailbox rpc (1/4); only p6:sleepy can take it and reply, and \
         p6:sleepy is sleeping until tick"
    ));
    assert!(line("p8:timed").contains("but none did in this run"));
    insta::assert_snapshot!(why);
}
