//! The message-passing semantics, one test per rule (deletion has two: by `delete_mailbox`
//! and by the owner's exit).
//!
//! Each test runs a few small programs on the machine, records what their syscalls returned
//! in a [`Log`], asserts on it (and on exit codes, the outcome and the ledger) after the run,
//! and snapshots the text trace, which must show the behaviour the test is about.
//!
//! The shape every test shares is expressed once: a program logs through its
//! [`ProcessLog`] (`log.step("send a1").done(&result)` gives the entry `main: send a1 -> ok`),
//! and [`RunLog`] checks the entries as one table of `who: entry` lines, in which `{name}`
//! stands for the pid of the process called `name`.

use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source};
use kernel::trace::WaitQueueId;
use kernel::trace::{DropReason, EventKind, ExitReason, ReplyDropReason, WakeReason};
use kernel::Ledger;
use sim::{Outcome, Report};
use std::collections::BTreeMap;
use std::fmt::{Debug, Display};
use std::future::Future;
use testkit::{config, run, run_with, Log};
use userland::{Message, ProgramTable, SpawnOptions, Sys, SysResult};

// ----- helpers -----

/// A received message (or reply) as `p1 "text"`, or the error.
fn msg(r: &SysResult<Message>) -> String {
    match r {
        Ok(m) => format!(
            "{} {:?}{}",
            m.sender,
            m.text(),
            if m.is_call { " (call)" } else { "" }
        ),
        Err(e) => format!("err {e}"),
    }
}

/// A result without interesting values as `ok`, or the error.
fn done(r: &SysResult<()>) -> String {
    match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("err {e}"),
    }
}

/// A result with a value as `ok VALUE`, or the error.
fn val<T: Debug>(r: &SysResult<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {e}"),
    }
}

/// One process's part of the test's log: every entry it makes is `who: ...`.
#[derive(Clone)]
struct ProcessLog {
    log: Log<String>,
    who: String,
}

impl ProcessLog {
    /// The same log, with entries under another name (a process told apart by its argument).
    fn renamed(&self, who: String) -> ProcessLog {
        ProcessLog {
            log: self.log.clone(),
            who,
        }
    }

    /// Log `text` as it is.
    fn entry(&self, text: impl Display) {
        self.log.push(format!("{}: {text}", self.who));
    }

    /// The step `what`, about to be logged with its result as `what -> result`: the name goes
    /// first, so that the call fits on the line after it.
    fn step(&self, what: impl Display) -> LogStep<'_> {
        LogStep {
            log: self,
            what: what.to_string(),
        }
    }
}

/// A step of a process by its name, logged by one of the methods, each for one kind of result.
struct LogStep<'a> {
    log: &'a ProcessLog,
    what: String,
}

impl LogStep<'_> {
    /// `what -> ok`, or the error.
    fn done(self, r: &SysResult<()>) {
        self.log.entry(format_args!("{} -> {}", self.what, done(r)));
    }

    /// `what -> p1 "text"`, or the error.
    fn msg(self, r: &SysResult<Message>) {
        self.log.entry(format_args!("{} -> {}", self.what, msg(r)));
    }

    /// `what -> ok VALUE`, or the error.
    fn val<T: Debug>(self, r: &SysResult<T>) {
        self.log.entry(format_args!("{} -> {}", self.what, val(r)));
    }
}

/// Add the program `name` to `table`: its body gets the machine's `Sys`, its argument, and
/// its own part of the test's `log` (entries `name: ...`).
fn program<F, Fut>(table: &mut ProgramTable, name: &str, log: &Log<String>, body: F)
where
    F: Fn(Sys, u64, ProcessLog) -> Fut + 'static,
    Fut: Future<Output = i32> + 'static,
{
    let log = ProcessLog {
        log: log.clone(),
        who: name.to_string(),
    };
    program_sharing(table, name, &log, body);
}

/// Add the program `name` to `table`: its body gets the machine's `Sys`, its argument, and
/// a clone of `shared` (a log the test reads after the run).
fn program_sharing<S, F, Fut>(table: &mut ProgramTable, name: &str, shared: &S, body: F)
where
    S: Clone + 'static,
    F: Fn(Sys, u64, S) -> Fut + 'static,
    Fut: Future<Output = i32> + 'static,
{
    let shared = shared.clone();
    table.add(name, "a test program", move |sys, arg| {
        body(sys, arg, shared.clone())
    });
}

/// What a run's processes logged, with the report that knows their pids.
struct RunLog<'a> {
    report: &'a Report,
    log: &'a Log<String>,
}

impl<'a> RunLog<'a> {
    fn of(report: &'a Report, log: &'a Log<String>) -> Self {
        RunLog { report, log }
    }

    /// `lines` with each `{name}` replaced by the pid of the (exited) process called `name`.
    fn with_pids(&self, lines: &[&str]) -> Vec<String> {
        lines
            .iter()
            .map(|line| {
                self.report.exited.iter().fold(line.to_string(), |l, e| {
                    l.replace(&format!("{{{}}}", e.name), &e.pid.to_string())
                })
            })
            .collect()
    }

    /// Each process logged exactly its lines of `expected` (`who: entry`, `{name}` for a
    /// pid), in that order; the order between processes is free. On a mismatch the message
    /// shows every process's entries, so every process that differs is seen at once.
    fn assert_per_process(&self, expected: &[&str]) {
        let by_process = |lines: Vec<String>| {
            let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for line in lines {
                let (who, entry) = line.split_once(": ").expect("a `who: entry` line");
                by.entry(who.to_string())
                    .or_default()
                    .push(entry.to_string());
            }
            by
        };
        assert_eq!(
            by_process(self.log.entries()),
            by_process(self.with_pids(expected)),
            "what each process logged"
        );
    }

    /// Everything logged is `expected` (`who: entry`, `{name}` for a pid), in exactly that
    /// order across processes.
    fn assert_in_order(&self, expected: &[&str]) {
        assert_eq!(
            self.log.entries(),
            self.with_pids(expected),
            "what the processes logged, in order"
        );
    }
}

/// What the process `who` logged (entries `who: ...`), without the prefix, in order.
fn of(log: &Log<String>, who: &str) -> Vec<String> {
    let prefix = format!("{who}: ");
    log.entries()
        .iter()
        .filter_map(|e| e.strip_prefix(&prefix).map(String::from))
        .collect()
}

/// The pid of the (exited) process called `name`.
fn pid(report: &Report, name: &str) -> Pid {
    report
        .exit_named(name)
        .unwrap_or_else(|| panic!("{name} exited"))
        .pid
}

/// A ledger with nothing dropped.
fn ledger(sent: u64, received: u64) -> Ledger {
    Ledger {
        sent,
        received,
        ..Ledger::default()
    }
}

/// Every event kind of the run with its tick.
fn events(report: &Report) -> impl Iterator<Item = (u64, &EventKind)> {
    report.events.iter().map(|e| (e.tick, &e.kind))
}

/// What `pick` takes from each event (with its tick) of the run, in order.
fn pick_events<'a, T>(
    report: &'a Report,
    pick: impl FnMut((u64, &'a EventKind)) -> Option<T>,
) -> Vec<T> {
    events(report).filter_map(pick).collect()
}

/// The expected strings, owned.
fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ----- 1. links -----

/// A send or receive naming a never-existing or stale id fails at once with the documented
/// error and blocks nobody; a reused slot never answers to the old id.
#[test]
fn links() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let ghost = Pid::new(40, 0);
        let ghost_mb = MailboxId::new(40, 0);
        log.step("send to never-pid")
            .done(&sys.send(ghost, b"x", Mode::Blocking).await);
        log.step("receive from never-pid")
            .msg(&sys.receive(ghost, Mode::Blocking).await);
        log.step("send to never-mailbox")
            .done(&sys.send(ghost_mb, b"x", Mode::Blocking).await);
        log.step("receive from never-mailbox")
            .msg(&sys.receive(ghost_mb, Mode::Blocking).await);

        // A child that exited and was reaped: its pid is stale.
        let child = sys.spawn("quick", 0).await.expect("spawn");
        log.step("wait child").val(&sys.wait(child).await);
        log.step("send to reaped child")
            .done(&sys.send(child, b"x", Mode::Blocking).await);
        log.step("receive from reaped child")
            .msg(&sys.receive(child, Mode::Blocking).await);
        // Its slot is reused by the next child, which must not answer to the old pid.
        let heir = sys.spawn("quick", 0).await.expect("spawn");
        log.entry(format_args!(
            "same slot {}, new pid differs {}",
            heir.index() == child.index(),
            heir != child
        ));
        log.step("send to old pid while slot reused")
            .done(&sys.send(child, b"x", Mode::NonBlocking).await);
        log.step("wait heir").val(&sys.wait(heir).await);

        // A deleted mailbox: its id is stale, even once its slot holds a new mailbox.
        let old = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        log.step("delete").done(&sys.delete_mailbox(old).await);
        let new = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        log.entry(format_args!(
            "same slot {}, new id differs {}",
            new.index() == old.index(),
            new != old
        ));
        log.step("send to deleted mailbox")
            .done(&sys.send(old, b"x", Mode::Blocking).await);
        log.step("receive from deleted mailbox")
            .msg(&sys.receive(old, Mode::Blocking).await);
        log.step("delete deleted mailbox")
            .done(&sys.delete_mailbox(old).await);
        log.step("send to new mailbox")
            .done(&sys.send(new, b"new", Mode::Blocking).await);
        log.step("receive from new mailbox")
            .msg(&sys.receive(new, Mode::NonBlocking).await);
        0
    });
    program(&mut t, "quick", &log, |_, _, _| async move { 7 });

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: send to never-pid -> err no_such_process",
        "main: receive from never-pid -> err no_such_process",
        "main: send to never-mailbox -> err no_such_mailbox",
        "main: receive from never-mailbox -> err no_such_mailbox",
        "main: wait child -> ok 7",
        "main: send to reaped child -> err no_such_process",
        "main: receive from reaped child -> err no_such_process",
        "main: same slot true, new pid differs true",
        "main: send to old pid while slot reused -> err no_such_process",
        "main: wait heir -> ok 7",
        "main: delete -> ok",
        "main: same slot true, new id differs true",
        "main: send to deleted mailbox -> err no_such_mailbox",
        "main: receive from deleted mailbox -> err no_such_mailbox",
        "main: delete deleted mailbox -> err no_such_mailbox",
        "main: send to new mailbox -> ok",
        "main: receive from new mailbox -> {main} \"new\"",
    ]);
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(report.exit_code(pid(&report, "main")), Some(0));
    // Only the one message to the live mailbox entered the kernel.
    assert_eq!(report.ledger, ledger(1, 1));
    // Nobody ever blocked on an endpoint: the only waits are for the children's exits.
    for (_, e) in events(&report) {
        if let EventKind::Block { queue, .. } = e {
            assert!(
                matches!(queue, WaitQueueId::Exit(_)),
                "a bad id must not block: {e:?}"
            );
        }
    }
    insta::assert_snapshot!(report.trace_text());
}

// ----- 2. direct naming -----

/// `receive(from P)` takes only P's messages and leaves the others queued, both when it
/// finds them queued and while it waits; `receive(any)` takes the oldest and reports its
/// sender.
#[test]
fn direct_naming() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let receiver = sys
            .spawn_with(SpawnOptions::new("receiver", me.raw()).inbox(Capacity::Bounded(3)))
            .await
            .expect("spawn");
        let other = sys.spawn("other", receiver.raw()).await.expect("spawn");
        // `other` queues b1 and b2 meanwhile; a1 comes after them.
        sys.sleep(20).await;
        log.step("send a1")
            .done(&sys.send(receiver, b"a1", Mode::Blocking).await);
        // The receiver waits for main, and `other` sends b3, meanwhile.
        sys.sleep(80).await;
        log.step("send a2")
            .done(&sys.send(receiver, b"a2", Mode::Blocking).await);
        for p in [other, receiver] {
            sys.wait(p).await.expect("wait");
        }
        0
    });
    program(&mut t, "other", &log, |sys, arg, log| async move {
        let receiver = Pid::from_raw(arg);
        for (m, pause) in [("b1", 0), ("b2", 70), ("b3", 0)] {
            let r = sys.send(receiver, m.as_bytes(), Mode::Blocking).await;
            log.step(format_args!("send {m}")).done(&r);
            if pause > 0 {
                sys.sleep(pause).await;
            }
        }
        0
    });
    program(&mut t, "receiver", &log, |sys, arg, log| async move {
        let main = Pid::from_raw(arg);
        // Sleep until b1, b2 (from other) and a1 (from main) are queued.
        sys.sleep(50).await;
        log.step("from main")
            .msg(&sys.receive(main, Mode::Blocking).await);
        log.step("from main (nonblocking)")
            .msg(&sys.receive(main, Mode::NonBlocking).await);
        // Waits; b3 from `other` arrives meanwhile and must not end the wait.
        log.step("from main")
            .msg(&sys.receive(main, Mode::Blocking).await);
        for mode in [
            Mode::Blocking,
            Mode::Blocking,
            Mode::Blocking,
            Mode::NonBlocking,
        ] {
            log.step(format_args!("any ({mode})"))
                .msg(&sys.receive(Source::Any, mode).await);
        }
        0
    });

    let report = run(t, "main");

    let main = pid(&report, "main");
    let other = pid(&report, "other");
    let receiver = pid(&report, "receiver");
    RunLog::of(&report, &log).assert_per_process(&[
        "other: send b1 -> ok",
        "other: send b2 -> ok",
        "other: send b3 -> ok",
        "main: send a1 -> ok",
        "main: send a2 -> ok",
        // The newest message, skipping the two older ones from `other`.
        "receiver: from main -> {main} \"a1\"",
        "receiver: from main (nonblocking) -> err would_block",
        "receiver: from main -> {main} \"a2\"",
        // The others' messages were left queued; `any` takes the oldest first and names its
        // sender.
        "receiver: any (blocking) -> {other} \"b1\"",
        "receiver: any (blocking) -> {other} \"b2\"",
        "receiver: any (blocking) -> {other} \"b3\"",
        "receiver: any (nonblocking) -> err would_block",
    ]);
    // b3 was queued although the receiver was waiting (for main); a2 went straight to it.
    let b3_queued = events(&report).any(
        |(_, e)| matches!(e, EventKind::MessageQueued { from, depth: 3, .. } if *from == other),
    );
    assert!(b3_queued);
    let handoffs: Vec<(Pid, Pid)> = pick_events(&report, |(_, e)| match e {
        EventKind::MessageHandedOver { from, to, .. } => Some((*from, *to)),
        _ => None,
    });
    assert_eq!(handoffs, vec![(main, receiver)]);
    assert_eq!(report.outcome, Outcome::Completed);
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(5, 5));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 3. indirect naming -----

/// Several senders share one mailbox; only its owner receives, each message exactly once;
/// after a transfer the old owner is refused and the new one receives what was queued.
#[test]
fn indirect_naming() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let jobs = sys
            .create_mailbox(Capacity::Bounded(4), Some("jobs"))
            .await
            .expect("create");
        let s1 = sys.spawn("sender", 1).await.expect("spawn");
        let s2 = sys.spawn("sender", 2).await.expect("spawn");
        let heir = sys.spawn("heir", jobs.raw()).await.expect("spawn");
        log.step("wait sender 1").val(&sys.wait(s1).await);
        log.step("wait sender 2").val(&sys.wait(s2).await);
        for _ in 0..2 {
            log.step("receive")
                .msg(&sys.receive(jobs, Mode::Blocking).await);
        }
        log.step("transfer")
            .done(&sys.transfer_mailbox(jobs, heir).await);
        log.step("receive after transfer")
            .msg(&sys.receive(jobs, Mode::NonBlocking).await);
        log.step("send go")
            .done(&sys.send(heir, b"go", Mode::Blocking).await);
        log.step("wait heir").val(&sys.wait(heir).await);
        0
    });
    program(&mut t, "sender", &log, |sys, arg, log| async move {
        let jobs = sys.lookup_mailbox("jobs").await.expect("lookup");
        for part in ["a", "b"] {
            let text = format!("s{arg}{part}");
            let r = sys.send(jobs, text.as_bytes(), Mode::Blocking).await;
            log.step(format_args!("send {text}")).done(&r);
        }
        0
    });
    program(&mut t, "heir", &log, |sys, arg, log| async move {
        let jobs = MailboxId::from_raw(arg);
        log.step("receive before transfer")
            .msg(&sys.receive(jobs, Mode::NonBlocking).await);
        log.step("inbox")
            .msg(&sys.receive(Source::Any, Mode::Blocking).await);
        for _ in 0..2 {
            log.step("receive")
                .msg(&sys.receive(jobs, Mode::Blocking).await);
        }
        log.step("receive (nonblocking)")
            .msg(&sys.receive(jobs, Mode::NonBlocking).await);
        0
    });

    let report = run(t, "main");

    // Which owner read which message is not the rule, only that each was read once: the
    // entries are checked one by one.
    let main_log = of(&log, "main");
    let heir_log = of(&log, "heir");
    assert_eq!(main_log[0], "wait sender 1 -> ok 0");
    assert_eq!(main_log[1], "wait sender 2 -> ok 0");
    assert_eq!(main_log[4], "transfer -> ok");
    assert_eq!(main_log[5], "receive after transfer -> err not_owner");
    assert_eq!(main_log[6], "send go -> ok");
    assert_eq!(main_log[7], "wait heir -> ok 0");
    assert_eq!(heir_log[0], "receive before transfer -> err not_owner");
    assert_eq!(
        heir_log[1],
        format!("inbox -> {} \"go\"", pid(&report, "main"))
    );
    assert_eq!(heir_log[4], "receive (nonblocking) -> err would_block");
    assert_eq!(of(&log, "sender").len(), 4);
    assert!(of(&log, "sender").iter().all(|e| e.ends_with("-> ok")));

    // Every message was read exactly once: two by the first owner, two by the second.
    let texts = |entries: &[String]| -> Vec<String> {
        entries
            .iter()
            .filter_map(|e| e.strip_prefix("receive -> "))
            .map(|e| e.split('"').nth(1).expect("a message").to_string())
            .collect()
    };
    let by_main = texts(&main_log);
    let by_heir = texts(&heir_log);
    assert_eq!(by_main.len(), 2, "{main_log:?}");
    assert_eq!(by_heir.len(), 2, "{heir_log:?}");
    let mut all: Vec<String> = by_main.iter().chain(&by_heir).cloned().collect();
    all.sort();
    assert_eq!(all, strs(&["s1a", "s1b", "s2a", "s2b"]));

    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(5, 5));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 4. zero capacity -----

/// At capacity zero a blocking sender waits until the receiver takes the message, a
/// non-blocking one fails with `would_block`, and a waiting receiver is handed the message.
#[test]
fn zero_capacity() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let receiver = sys.spawn("receiver", 0).await.expect("spawn");
        let r = sys.send(receiver, b"nb", Mode::NonBlocking).await;
        log.step("send nb (nonblocking)").done(&r);
        log.step("send m1")
            .done(&sys.send(receiver, b"m1", Mode::Blocking).await);
        log.step("send m2")
            .done(&sys.send(receiver, b"m2", Mode::Blocking).await);
        log.step("wait receiver").val(&sys.wait(receiver).await);
        0
    });
    program(&mut t, "receiver", &log, |sys, _, log| async move {
        sys.sleep(5).await;
        log.entry("receiving");
        let r = sys.receive(Source::Any, Mode::Blocking).await;
        log.entry(format_args!("got {}", msg(&r)));
        let r = sys.receive(Source::Any, Mode::Blocking).await;
        log.entry(format_args!("got {}", msg(&r)));
        0
    });

    let report = run(t, "main");

    let main = pid(&report, "main");
    let receiver = pid(&report, "receiver");
    // The order is the point: main's blocking send returns only after the receiver took m1.
    RunLog::of(&report, &log).assert_in_order(&[
        "main: send nb (nonblocking) -> err would_block",
        "receiver: receiving",
        "receiver: got {main} \"m1\"",
        "main: send m1 -> ok",
        "main: send m2 -> ok",
        "receiver: got {main} \"m2\"",
        "main: wait receiver -> ok 0",
    ]);
    // Nothing is ever queued at capacity zero: both messages went hand to hand.
    let queued = events(&report)
        .filter(|(_, e)| matches!(e, EventKind::MessageQueued { .. }))
        .count();
    let handoffs = events(&report)
        .filter(|(_, e)| matches!(e, EventKind::MessageHandedOver { .. }))
        .count();
    assert_eq!((queued, handoffs), (0, 2));
    // Main waited as a sender for m1; for m2 the receiver was already waiting.
    let blocks: Vec<(Pid, WaitQueueId)> = pick_events(&report, |(_, e)| match e {
        EventKind::Block { pid, queue, .. } if *queue != WaitQueueId::Exit(receiver) => {
            Some((*pid, *queue))
        }
        _ => None,
    });
    assert_eq!(
        blocks,
        vec![
            (main, WaitQueueId::InboxSenders(receiver)),
            (receiver, WaitQueueId::InboxReceiver(receiver)),
        ]
    );
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(2, 2));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 5. bounded capacity -----

/// With capacity N, sends succeed until N are queued; then blocking senders wait in FIFO
/// order and are released one per freed slot; non-blocking ones get `would_block`.
#[test]
fn bounded_capacity() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let buf = sys
            .create_mailbox(Capacity::Bounded(2), Some("buf"))
            .await
            .expect("create");
        let mut senders = Vec::new();
        for i in 1..=5 {
            let label = format!("s{i}");
            let opts = SpawnOptions::new("sender", i).label(&label);
            senders.push(sys.spawn_with(opts).await.expect("spawn"));
        }
        // Let every sender try: s1, s2 fill the buffer, s3, s4 wait, s5 gives up.
        sys.sleep(50).await;
        for _ in 0..4 {
            log.step("receive")
                .msg(&sys.receive(buf, Mode::Blocking).await);
        }
        log.step("receive (nonblocking)")
            .msg(&sys.receive(buf, Mode::NonBlocking).await);
        for s in senders {
            sys.wait(s).await.expect("wait");
        }
        0
    });
    program(&mut t, "sender", &log, |sys, arg, log| async move {
        let log = log.renamed(format!("s{arg}"));
        let buf = sys.lookup_mailbox("buf").await.expect("lookup");
        let mode = if arg == 5 {
            Mode::NonBlocking
        } else {
            Mode::Blocking
        };
        let r = sys.send(buf, format!("m{arg}").as_bytes(), mode).await;
        log.step(format_args!("send m{arg} ({mode})")).done(&r);
        0
    });

    let report = run(t, "main");

    let s: Vec<Pid> = (1..=5).map(|i| pid(&report, &format!("s{i}"))).collect();
    RunLog::of(&report, &log).assert_per_process(&[
        "main: receive -> {s1} \"m1\"",
        "main: receive -> {s2} \"m2\"",
        "main: receive -> {s3} \"m3\"",
        "main: receive -> {s4} \"m4\"",
        "main: receive (nonblocking) -> err would_block",
        "s1: send m1 (blocking) -> ok",
        "s2: send m2 (blocking) -> ok",
        "s3: send m3 (blocking) -> ok",
        "s4: send m4 (blocking) -> ok",
        "s5: send m5 (nonblocking) -> err would_block",
    ]);
    // s5 gave up while s3 and s4 were still waiting.
    let order: Vec<String> = log
        .entries()
        .iter()
        .filter(|e| e.starts_with('s'))
        .map(|e| e[..2].to_string())
        .collect();
    assert_eq!(order, strs(&["s1", "s2", "s5", "s3", "s4"]));

    // s3 and s4 wait in that order, and each freed slot releases exactly one of them.
    let buf_senders = |q: &WaitQueueId| matches!(q, WaitQueueId::MailboxSenders(_));
    let blocked: Vec<Pid> = pick_events(&report, |(_, e)| match e {
        EventKind::Block { pid, queue, .. } if buf_senders(queue) => Some(*pid),
        _ => None,
    });
    assert_eq!(blocked, vec![s[2], s[3]]);
    let steps: Vec<String> = pick_events(&report, |(_, e)| match e {
        EventKind::MessageReceived { .. } => Some("take".to_string()),
        EventKind::Wake {
            pid,
            reason: WakeReason::Completed,
            ..
        } if s.contains(pid) => Some(format!("release {pid}")),
        _ => None,
    });
    assert_eq!(
        steps,
        vec![
            "take".to_string(),
            format!("release {}", s[2]),
            "take".to_string(),
            format!("release {}", s[3]),
            "take".to_string(),
            "take".to_string(),
        ]
    );
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(4, 4));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 6. unbounded capacity -----

/// Senders to an unbounded mailbox never block; past the kernel memory limit they get
/// `out_of_memory`, and nothing already queued is lost.
#[test]
fn unbounded_capacity() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        // Each 10-byte message costs 42 bytes: four fit in 200, the fifth does not.
        for i in 0..6 {
            let text = format!("message-{i:02}");
            let r = sys.send(mb, text.as_bytes(), Mode::Blocking).await;
            log.step(format_args!("send {text}")).done(&r);
        }
        loop {
            let r = sys.receive(mb, Mode::NonBlocking).await;
            log.step("receive").msg(&r);
            if r.is_err() {
                break;
            }
        }
        // The memory is back: sending works again.
        log.step("send message-99")
            .done(&sys.send(mb, b"message-99", Mode::Blocking).await);
        log.step("receive")
            .msg(&sys.receive(mb, Mode::NonBlocking).await);
        0
    });
    let mut cfg = config();
    cfg.kernel.memory_limit = 200;

    let report = run_with(cfg, t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: send message-00 -> ok",
        "main: send message-01 -> ok",
        "main: send message-02 -> ok",
        "main: send message-03 -> ok",
        "main: send message-04 -> err out_of_memory",
        "main: send message-05 -> err out_of_memory",
        "main: receive -> {main} \"message-00\"",
        "main: receive -> {main} \"message-01\"",
        "main: receive -> {main} \"message-02\"",
        "main: receive -> {main} \"message-03\"",
        "main: receive -> err would_block",
        "main: send message-99 -> ok",
        "main: receive -> {main} \"message-99\"",
    ]);
    // Blocking sends to an unbounded mailbox never blocked.
    assert!(!events(&report).any(|(_, e)| matches!(e, EventKind::Block { .. })));
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(5, 5));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 7. timed modes -----

/// A timed receive on an empty mailbox fails with `timed_out` after its ticks; a timed-out
/// sender's message is not delivered (the trace says so); a non-blocking receive on an
/// empty mailbox gets `would_block`.
#[test]
fn timed_modes() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        log.step("receive (nonblocking)")
            .msg(&sys.receive(mb, Mode::NonBlocking).await);
        log.step("receive (timeout 5)")
            .msg(&sys.receive(mb, Mode::Timeout(5)).await);
        let busy = sys.spawn("busy", 0).await.expect("spawn");
        log.step("send late (timeout 3)")
            .done(&sys.send(busy, b"late", Mode::Timeout(3)).await);
        log.step("wait busy").val(&sys.wait(busy).await);
        0
    });
    program(&mut t, "busy", &log, |sys, _, log| async move {
        sys.sleep(10).await;
        log.step("receive (nonblocking)")
            .msg(&sys.receive(Source::Any, Mode::NonBlocking).await);
        0
    });

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: receive (nonblocking) -> err would_block",
        "main: receive (timeout 5) -> err timed_out",
        "main: send late (timeout 3) -> err timed_out",
        "main: wait busy -> ok 0",
        // The message given up on never arrived.
        "busy: receive (nonblocking) -> err would_block",
    ]);
    let main = pid(&report, "main");
    let busy = pid(&report, "busy");

    // Each timed wait ends exactly at its deadline, by the timer.
    let deadlines: Vec<(u64, u64)> = pick_events(&report, |(tick, e)| match e {
        EventKind::Block {
            pid,
            deadline: Some(d),
            ..
        } if *pid == main => Some((tick, *d)),
        _ => None,
    });
    let timeouts: Vec<u64> = pick_events(&report, |(tick, e)| match e {
        EventKind::Wake {
            pid,
            by: None,
            reason: WakeReason::TimedOut,
        } if *pid == main => Some(tick),
        _ => None,
    });
    assert_eq!(deadlines.len(), 2, "{deadlines:?}");
    assert_eq!(deadlines[0].1, deadlines[0].0 + 5);
    assert_eq!(deadlines[1].1, deadlines[1].0 + 3);
    assert_eq!(timeouts, vec![deadlines[0].1, deadlines[1].1]);
    // The trace says the late message was not delivered, at the moment the send gave up.
    let abandoned: Vec<(u64, Pid, Dest, Error)> = pick_events(&report, |(tick, e)| match e {
        EventKind::SendAbandoned { pid, to, error } => Some((tick, *pid, *to, *error)),
        _ => None,
    });
    assert_eq!(
        abandoned,
        vec![(deadlines[1].1, main, Dest::Process(busy), Error::TimedOut)]
    );
    assert!(report
        .trace_text()
        .contains("abandon    send to p1:busy (timed_out): message not delivered"));
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(0, 0));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 8. sender stamping -----

/// Every received message carries the sender's real pid, stamped by the kernel, whatever
/// the message claims.
#[test]
fn sender_pid_is_stamped() {
    let pids: Log<(&'static str, Pid)> = Log::new();
    let mut t = ProgramTable::new();
    program_sharing(&mut t, "main", &pids, |sys, _, p| async move {
        let me = sys.getpid().await;
        let mb = sys
            .create_mailbox(Capacity::Unbounded, Some("stamps"))
            .await
            .expect("create");
        let a = sys.spawn("direct", me.raw()).await.expect("spawn");
        let b = sys.spawn("indirect", me.raw()).await.expect("spawn");
        p.push(("spawned direct", a));
        p.push(("spawned indirect", b));
        let m = sys.receive(Source::Any, Mode::Blocking).await.expect("any");
        assert_eq!(m.text(), format!("I am {me}"));
        p.push(("direct's message", m.sender));
        let m = sys.receive(mb, Mode::Blocking).await.expect("mailbox");
        assert_eq!(m.text(), format!("I am {me}"));
        p.push(("indirect's message", m.sender));
        sys.wait(a).await.expect("wait");
        sys.wait(b).await.expect("wait");
        0
    });
    program_sharing(&mut t, "direct", &pids, |sys, arg, p| async move {
        p.push(("direct's getpid", sys.getpid().await));
        // It claims to be main; the kernel knows better.
        let main = Pid::from_raw(arg);
        let claim = format!("I am {main}");
        sys.send(main, claim.as_bytes(), Mode::Blocking)
            .await
            .expect("send");
        0
    });
    program_sharing(&mut t, "indirect", &pids, |sys, arg, p| async move {
        p.push(("indirect's getpid", sys.getpid().await));
        let claim = format!("I am {}", Pid::from_raw(arg));
        let mb = sys.lookup_mailbox("stamps").await.expect("lookup");
        sys.send(mb, claim.as_bytes(), Mode::Blocking)
            .await
            .expect("send");
        0
    });

    let report = run(t, "main");

    let get = |what: &str| -> Pid {
        pids.entries()
            .iter()
            .find(|(w, _)| *w == what)
            .unwrap_or_else(|| panic!("{what} logged"))
            .1
    };
    let main = pid(&report, "main");
    assert_eq!(get("direct's message"), get("direct's getpid"));
    assert_eq!(get("direct's message"), get("spawned direct"));
    assert_eq!(get("indirect's message"), get("indirect's getpid"));
    assert_eq!(get("indirect's message"), get("spawned indirect"));
    assert_ne!(get("direct's message"), main);
    assert_ne!(get("indirect's message"), main);
    assert!(report.succeeded(), "{:?}", report.exited);
    assert_eq!(report.ledger, ledger(2, 2));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 9. FIFO per sender -----

/// Messages from one sender to one destination arrive in the order sent, even interleaved
/// with another sender's.
#[test]
fn fifo_per_sender() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, Some("fifo"))
            .await
            .expect("create");
        let a = sys
            .spawn_with(SpawnOptions::new("chatty", 0).label("a"))
            .await
            .expect("spawn");
        let b = sys
            .spawn_with(SpawnOptions::new("chatty", 1).label("b"))
            .await
            .expect("spawn");
        sys.sleep(50).await;
        loop {
            let r = sys.receive(mb, Mode::NonBlocking).await;
            log.entry(msg(&r));
            if r.is_err() {
                break;
            }
        }
        sys.wait(a).await.expect("wait");
        sys.wait(b).await.expect("wait");
        0
    });
    program(&mut t, "chatty", &log, |sys, arg, _| async move {
        let mb = sys.lookup_mailbox("fifo").await.expect("lookup");
        let name = if arg == 0 { "a" } else { "b" };
        for k in 1..=3 {
            let text = format!("{name}{k}");
            sys.send(mb, text.as_bytes(), Mode::Blocking)
                .await
                .expect("send");
            if k < 3 {
                // Let the other sender in between.
                sys.yield_now().await;
            }
        }
        0
    });

    let report = run(t, "main");

    // How the two senders interleave is not the rule, only each one's order: the entries
    // are checked per sender.
    let a = pid(&report, "a");
    let b = pid(&report, "b");
    let got = of(&log, "main");
    assert_eq!(got.len(), 7, "{got:?}");
    assert_eq!(got[6], "err would_block");
    let from = |p: Pid| -> Vec<String> {
        got.iter()
            .filter_map(|e| e.strip_prefix(&format!("{p} ")).map(String::from))
            .collect()
    };
    assert_eq!(from(a), strs(&["\"a1\"", "\"a2\"", "\"a3\""]));
    assert_eq!(from(b), strs(&["\"b1\"", "\"b2\"", "\"b3\""]));
    // The two senders really did interleave.
    let pos = |m: &str| got.iter().position(|e| e.ends_with(m)).expect(m);
    assert!(pos("\"b1\"") < pos("\"a3\""), "{got:?}");
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(6, 6));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 10. buffer too small -----

/// A receive whose buffer is shorter than the message fails with `buffer_too_small`, says
/// the length needed, and leaves the message queued for a receive with room.
#[test]
fn buffer_too_small() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        // A queued message.
        let mb = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        log.step("send 10B")
            .done(&sys.send(mb, b"0123456789", Mode::Blocking).await);
        let r = sys.receive_upto(mb, 4, Mode::Blocking).await;
        log.entry(format_args!(
            "receive 4B -> {} needs {}",
            msg(&r),
            sys.last_return()[1]
        ));
        log.step("receive")
            .msg(&sys.receive(mb, Mode::NonBlocking).await);
        // A receiver already waiting when the too-long message comes.
        let me = sys.getpid().await;
        let sender = sys.spawn("sender", me.raw()).await.expect("spawn");
        let r = sys.receive_upto(Source::Any, 4, Mode::Blocking).await;
        log.entry(format_args!(
            "waiting receive 4B -> {} needs {}",
            msg(&r),
            sys.last_return()[1]
        ));
        log.step("receive")
            .msg(&sys.receive(Source::Any, Mode::Blocking).await);
        log.step("wait sender").val(&sys.wait(sender).await);
        0
    });
    program(&mut t, "sender", &log, |sys, arg, log| async move {
        let r = sys
            .send(Pid::from_raw(arg), b"abcdefghij", Mode::Blocking)
            .await;
        log.step("send 10B").done(&r);
        0
    });

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: send 10B -> ok",
        "main: receive 4B -> err buffer_too_small needs 10",
        "main: receive -> {main} \"0123456789\"",
        "main: waiting receive 4B -> err buffer_too_small needs 10",
        "main: receive -> {sender} \"abcdefghij\"",
        "main: wait sender -> ok 0",
        "sender: send 10B -> ok",
    ]);
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(2, 2));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 11. deletion -----

/// The helpers of the deletion tests: `caller` calls and `sender` sends to the mailbox
/// named "box" (bounded to one message), each logging what it got.
fn deletion_helpers(t: &mut ProgramTable, log: &Log<String>) {
    program(t, "caller", log, |sys, _, log| async move {
        let mb = sys.lookup_mailbox("box").await.expect("lookup");
        log.step("call")
            .msg(&sys.call(mb, b"req", Mode::Blocking).await);
        0
    });
    program(t, "sender", log, |sys, _, log| async move {
        let mb = sys.lookup_mailbox("box").await.expect("lookup");
        log.step("send")
            .done(&sys.send(mb, b"msg", Mode::Blocking).await);
        0
    });
}

/// The run succeeded and deleted one mailbox, "box", dropping the one message queued in it
/// (the call: blocked senders' messages never enter the kernel) for `reason` and waking
/// `woken` processes, each with `mailbox_deleted`.
fn assert_deleted(report: &Report, reason: DropReason, woken: usize) {
    assert!(report.succeeded());
    let mut dropped_one = ledger(1, 0);
    dropped_one.dropped.add(reason, 1);
    assert_eq!(report.ledger, dropped_one);
    let drops: Vec<(usize, DropReason)> = pick_events(report, |(_, e)| match e {
        EventKind::MessagesDropped { count, reason, .. } => Some((*count, *reason)),
        _ => None,
    });
    assert_eq!(drops, vec![(1, reason)]);
    let deleted: Vec<(usize, usize)> = pick_events(report, |(_, e)| match e {
        EventKind::MailboxDeleted { dropped, woken, .. } => Some((*dropped, *woken)),
        _ => None,
    });
    assert_eq!(deleted, vec![(1, woken)]);
    let wakes = events(report)
        .filter(|(_, e)| {
            matches!(
                e,
                EventKind::Wake {
                    reason: WakeReason::MailboxDeleted,
                    ..
                }
            )
        })
        .count();
    assert_eq!(wakes, woken);
    let line = format!("drop       1 message at mb0:box ({})", reason.name());
    assert!(
        report.trace_text().contains(&line),
        "no `{line}` in the trace"
    );
}

/// Deleting a mailbox wakes everyone blocked on it with `mailbox_deleted` and drops what is
/// still queued, counted, with the reason: here a caller whose call is queued and two
/// blocked senders.
#[test]
fn deletion_by_delete_mailbox() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Bounded(1), Some("box"))
            .await
            .expect("create");
        let kids = [
            sys.spawn("caller", 0).await.expect("spawn"),
            sys.spawn("sender", 0).await.expect("spawn"),
            sys.spawn("sender", 0).await.expect("spawn"),
        ];
        sys.sleep(20).await;
        log.step("delete").done(&sys.delete_mailbox(mb).await);
        for k in kids {
            sys.wait(k).await.expect("wait");
        }
        0
    });
    deletion_helpers(&mut t, &log);

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: delete -> ok",
        "caller: call -> err mailbox_deleted",
        "sender: send -> err mailbox_deleted",
        "sender: send -> err mailbox_deleted",
    ]);
    assert_deleted(&report, DropReason::MailboxDeleted, 3);
    insta::assert_snapshot!(report.trace_text());
}

/// The owner's exit deletes its mailbox, with the same effects as `delete_mailbox`: here a
/// caller whose call is queued and a blocked sender.
#[test]
fn deletion_by_owner_exit() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let owner = sys.spawn("owner", 0).await.expect("spawn");
        let caller = sys.spawn("caller", 0).await.expect("spawn");
        let sender = sys.spawn("sender", 0).await.expect("spawn");
        log.step("wait owner").val(&sys.wait(owner).await);
        sys.wait(caller).await.expect("wait");
        sys.wait(sender).await.expect("wait");
        0
    });
    program(&mut t, "owner", &log, |sys, _, _| async move {
        sys.create_mailbox(Capacity::Bounded(1), Some("box"))
            .await
            .expect("create");
        sys.sleep(20).await;
        0
    });
    deletion_helpers(&mut t, &log);

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: wait owner -> ok 0",
        "caller: call -> err mailbox_deleted",
        "sender: send -> err mailbox_deleted",
    ]);
    assert_deleted(&report, DropReason::OwnerExited, 2);
    insta::assert_snapshot!(report.trace_text());
}

// ----- 12. peer exit -----

/// A process's exit wakes those blocked receiving only from it and those blocked sending
/// to it, with `peer_exited`.
#[test]
fn peer_exit() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let peer = sys.spawn("peer", 0).await.expect("spawn");
        let listener = sys.spawn("listener", peer.raw()).await.expect("spawn");
        let talker = sys.spawn("talker", peer.raw()).await.expect("spawn");
        log.step("wait peer").val(&sys.wait(peer).await);
        sys.wait(listener).await.expect("wait");
        sys.wait(talker).await.expect("wait");
        0
    });
    program(&mut t, "peer", &log, |sys, _, _| async move {
        sys.sleep(10).await;
        3
    });
    program(&mut t, "listener", &log, |sys, arg, log| async move {
        let r = sys.receive(Pid::from_raw(arg), Mode::Blocking).await;
        log.step("receive from peer").msg(&r);
        0
    });
    program(&mut t, "talker", &log, |sys, arg, log| async move {
        let r = sys.send(Pid::from_raw(arg), b"hi", Mode::Blocking).await;
        log.step("send to peer").done(&r);
        0
    });

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: wait peer -> ok 3",
        "listener: receive from peer -> err peer_exited",
        "talker: send to peer -> err peer_exited",
    ]);
    let peer = pid(&report, "peer");
    let mut woken: Vec<Pid> = pick_events(&report, |(_, e)| match e {
        EventKind::Wake {
            pid,
            by: Some(by),
            reason: WakeReason::PeerExited,
        } if *by == peer => Some(*pid),
        _ => None,
    });
    woken.sort();
    assert_eq!(
        woken,
        vec![pid(&report, "listener"), pid(&report, "talker")]
    );
    assert_eq!(report.exit_code(peer), Some(3));
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(report.ledger, ledger(0, 0));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 13. deadlock -----

/// Two processes each blocked receiving only from the other: the run ends in a deadlock
/// whose cycle holds both, reported as the trace's last line.
#[test]
fn deadlock() {
    let pids: Log<(&'static str, Pid)> = Log::new();
    let mut t = ProgramTable::new();
    program_sharing(&mut t, "main", &pids, |sys, _, p| async move {
        let me = sys.getpid().await;
        p.push(("main", me));
        let partner = sys.spawn("partner", me.raw()).await.expect("spawn");
        p.push(("partner", partner));
        let _ = sys.receive(partner, Mode::Blocking).await;
        p.push(("main received", me));
        0
    });
    program_sharing(&mut t, "partner", &pids, |sys, arg, p| async move {
        let me = sys.getpid().await;
        let _ = sys.receive(Pid::from_raw(arg), Mode::Blocking).await;
        p.push(("partner received", me));
        0
    });

    let report = run(t, "main");

    let entries = pids.entries();
    let names: Vec<&str> = entries.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, vec!["main", "partner"], "neither receive returned");
    let (main, partner) = (entries[0].1, entries[1].1);
    let Outcome::Deadlock(d) = &report.outcome else {
        panic!("expected a deadlock, got {:?}", report.outcome);
    };
    let mut cycle = d.cycle.clone();
    cycle.sort();
    assert_eq!(cycle, vec![main, partner]);
    let mut blocked: Vec<(Pid, WaitQueueId, Option<Pid>)> = d
        .blocked
        .iter()
        .map(|w| (w.pid, w.queue, w.holder))
        .collect();
    blocked.sort();
    assert_eq!(
        blocked,
        vec![
            (main, WaitQueueId::ReceiversFrom(partner), Some(partner)),
            (partner, WaitQueueId::ReceiversFrom(main), Some(main)),
        ]
    );
    assert!(report.exited.is_empty());
    assert!(matches!(
        report.events.last().map(|e| &e.kind),
        Some(EventKind::Deadlock { .. })
    ));
    let trace = report.trace_text();
    let last = trace.lines().last().expect("a trace");
    assert!(last.contains("deadlock"), "{last}");
    assert!(last.contains("cycle"), "{last}");
    insta::assert_snapshot!(trace);
}

// ----- 14. call and reply -----

/// `call` gets the server's reply; a timed call to a busy server times out and the server's
/// late reply is dropped without an error; a reply from a process not called is dropped and
/// the caller keeps waiting for the real server.
#[test]
fn call_reply() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, _| async move {
        let server = sys.spawn("server", 0).await.expect("spawn");
        let impatient = sys.spawn("impatient", server.raw()).await.expect("spawn");
        let client = sys.spawn("client", server.raw()).await.expect("spawn");
        let impostor = sys.spawn("impostor", client.raw()).await.expect("spawn");
        for p in [impatient, client, impostor, server] {
            sys.wait(p).await.expect("wait");
        }
        0
    });
    program(&mut t, "server", &log, |sys, _, log| async move {
        for (busy, answer) in [(10, "late"), (30, "pong")] {
            let r = sys.receive(Source::Any, Mode::Blocking).await;
            log.step("receive").msg(&r);
            let Ok(m) = r else { return 1 };
            // Busy with the request.
            sys.sleep(busy).await;
            let r = sys.reply(m.sender, answer.as_bytes()).await;
            log.step(format_args!("reply {answer}")).done(&r);
        }
        0
    });
    program(&mut t, "impatient", &log, |sys, arg, log| async move {
        let r = sys
            .call(Pid::from_raw(arg), b"slow", Mode::Timeout(3))
            .await;
        log.step("call (timeout 3)").msg(&r);
        // Still alive when the late reply comes.
        sys.sleep(30).await;
        0
    });
    program(&mut t, "client", &log, |sys, arg, log| async move {
        let r = sys.call(Pid::from_raw(arg), b"ping", Mode::Blocking).await;
        log.step("call").msg(&r);
        0
    });
    program(&mut t, "impostor", &log, |sys, arg, log| async move {
        // Reply while the client waits for the server's answer.
        sys.sleep(30).await;
        let r = sys.reply(Pid::from_raw(arg), b"fake").await;
        log.step("reply fake").done(&r);
        0
    });

    let report = run(t, "main");

    let server = pid(&report, "server");
    let impatient = pid(&report, "impatient");
    let client = pid(&report, "client");
    let impostor = pid(&report, "impostor");
    RunLog::of(&report, &log).assert_per_process(&[
        "server: receive -> {impatient} \"slow\" (call)",
        "server: reply late -> ok",
        "server: receive -> {client} \"ping\" (call)",
        "server: reply pong -> ok",
        "impatient: call (timeout 3) -> err timed_out",
        "impostor: reply fake -> ok",
        "client: call -> {server} \"pong\"",
    ]);
    // The impostor replied while the client was waiting in its call, and the client still
    // got the real answer.
    let order: Vec<String> = log
        .entries()
        .iter()
        .filter(|e| e.starts_with("impostor") || e.starts_with("client"))
        .cloned()
        .collect();
    assert_eq!(order.len(), 2);
    assert!(order[0].starts_with("impostor"), "{order:?}");

    let replies: Vec<(Pid, Pid, Option<ReplyDropReason>)> =
        pick_events(&report, |(_, e)| match e {
            EventKind::ReplyDelivered { from, to, .. } => Some((*from, *to, None)),
            EventKind::ReplyDropped { from, to, reason } => Some((*from, *to, Some(*reason))),
            _ => None,
        });
    assert_eq!(
        replies,
        vec![
            (server, impatient, Some(ReplyDropReason::NotWaiting)),
            (impostor, client, Some(ReplyDropReason::NotWaiting)),
            (server, client, None),
        ]
    );
    assert!(report.succeeded(), "{:?}", report.exited);
    assert_eq!(report.ledger, ledger(2, 2));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 15. wait and exit codes -----

fn crash() -> i32 {
    panic!("deliberate crash")
}

/// The trace with the panic's source location (which moves with every edit of this file)
/// taken out.
fn without_panic_location(trace: &str) -> String {
    trace
        .lines()
        .map(|l| match (l.find("panicked: "), l.rfind(" at ")) {
            (Some(p), Some(at)) if at > p => format!("{} at [location])\n", &l[..at]),
            _ => format!("{l}\n"),
        })
        .collect()
}

/// `wait(child)` returns the child's exit code; `wait` on a non-child gives `not_child`; a
/// panicking program ends only its own process.
#[test]
fn wait_and_exit_codes() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    program(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let answer = sys.spawn("answer", 0).await.expect("spawn");
        let quitter = sys.spawn("quitter", 0).await.expect("spawn");
        let crasher = sys.spawn("crasher", 0).await.expect("spawn");
        let survivor = sys.spawn("survivor", 0).await.expect("spawn");
        let nosy = sys.spawn("nosy", survivor.raw()).await.expect("spawn");
        for (name, p) in [
            ("answer", answer),
            ("quitter", quitter),
            ("crasher", crasher),
            ("survivor", survivor),
            ("nosy", nosy),
        ] {
            log.step(format_args!("wait {name}"))
                .val(&sys.wait(p).await);
        }
        log.step("wait answer again").val(&sys.wait(answer).await);
        log.step("wait self").val(&sys.wait(me).await);
        0
    });
    program(&mut t, "answer", &log, |_, _, _| async move { 42 });
    program(&mut t, "quitter", &log, |sys, _, _| async move {
        sys.exit(7).await;
        0
    });
    program(&mut t, "crasher", &log, |_, _, _| async move { crash() });
    program(&mut t, "survivor", &log, |sys, _, log| async move {
        sys.sleep(20).await;
        log.entry("still running");
        5
    });
    program(&mut t, "nosy", &log, |sys, arg, log| async move {
        let r = sys.wait(Pid::from_raw(arg)).await;
        log.step("wait sibling").val(&r);
        0
    });

    let report = run(t, "main");

    RunLog::of(&report, &log).assert_per_process(&[
        "main: wait answer -> ok 42",
        "main: wait quitter -> ok 7",
        "main: wait crasher -> ok 101",
        "main: wait survivor -> ok 5",
        "main: wait nosy -> ok 0",
        "main: wait answer again -> err no_such_process",
        "main: wait self -> err not_child",
        "nosy: wait sibling -> err not_child",
        "survivor: still running",
    ]);

    assert_eq!(report.outcome, Outcome::Completed);
    let exit = |name: &str| report.exit_named(name).expect(name);
    assert_eq!(
        (exit("answer").code, &exit("answer").reason),
        (42, &ExitReason::Returned)
    );
    assert_eq!(
        (exit("quitter").code, &exit("quitter").reason),
        (7, &ExitReason::Exit)
    );
    assert_eq!(exit("crasher").code, 101);
    assert!(
        matches!(&exit("crasher").reason, ExitReason::Panicked(m) if m.starts_with("deliberate crash")),
        "{:?}",
        exit("crasher").reason
    );
    assert_eq!(report.panics().count(), 1);
    for name in ["main", "survivor", "nosy"] {
        assert!(
            !matches!(exit(name).reason, ExitReason::Panicked(_)),
            "{name}"
        );
    }
    assert_eq!(exit("survivor").code, 5);
    assert_eq!(exit("main").code, 0);
    // The survivor ran on after the crash.
    let position = |name: &str| {
        report
            .exited
            .iter()
            .position(|e| e.name == name)
            .expect(name)
    };
    assert!(position("crasher") < position("survivor"));
    insta::assert_snapshot!(without_panic_location(&report.trace_text()));
}

// ----- daemons -----

/// A server that answers every call, forever.
async fn daemon_server(sys: Sys, _arg: u64) -> i32 {
    loop {
        let Ok(request) = sys.receive(Source::Any, Mode::Blocking).await else {
            return 1;
        };
        if sys.reply(request.sender, b"done").await.is_err() {
            return 1;
        }
    }
}

/// Start the server, call it twice, exit.
async fn daemon_client(sys: Sys, _arg: u64) -> i32 {
    let Ok(server) = sys.spawn("daemon.server", 0).await else {
        return 1;
    };
    for _ in 0..2 {
        if sys.call(server, b"work", Mode::Blocking).await.is_err() {
            return 1;
        }
    }
    0
}

fn daemon_programs() -> ProgramTable {
    let mut programs = ProgramTable::new();
    programs
        .add("daemon.client", "calls the server twice", daemon_client)
        .add("daemon.server", "serves forever", daemon_server);
    programs
}

#[test]
fn a_daemon_in_the_kernel_settings_is_left_idle_and_the_run_completes() {
    // Without the setting, the server left waiting is a deadlock: the run never completes.
    let plain = run(daemon_programs(), "daemon.client");
    let Outcome::Deadlock(d) = &plain.outcome else {
        panic!("{:?}", plain.outcome)
    };
    assert_eq!(d.blocked.len(), 1, "only the server waits");
    // Named a daemon, the same server ends the run as completed, still blocked in its
    // receive, and the kernel's table says it is a daemon.
    let mut c = config();
    c.kernel.daemons = vec!["daemon.server".to_string()];
    let served = run_with(c.clone(), daemon_programs(), "daemon.client");
    assert_eq!(served.outcome, Outcome::Completed);
    assert!(served.succeeded());
    assert_eq!(served.exit_named("daemon.client").map(|e| e.code), Some(0));
    let server = served
        .processes
        .iter()
        .find(|p| p.name == "daemon.server")
        .expect("still there");
    assert!(server.daemon);
    assert_eq!(server.state.name(), "blocked");
    // Nothing of the daemon decision is in the trace: the run's events are those of the
    // deadlocked run, less the deadlock.
    assert!(!served
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Deadlock { .. })));
    assert_eq!(served.events.len() + 1, plain.events.len());
    // A daemon that is not blocked alone changes nothing: a client is not a daemon.
    c.kernel.daemons = vec!["daemon.client".to_string()];
    let wrong = run_with(c, daemon_programs(), "daemon.client");
    assert!(matches!(wrong.outcome, Outcome::Deadlock(_)));
}
