//! The message-passing semantics, one test per rule.
//!
//! Each test runs a few small programs on the machine, records what their syscalls returned
//! in a [`Log`], asserts on it (and on exit codes, the outcome and the ledger) after the run,
//! and snapshots the text trace, which must show the behaviour the test is about.

use abi::{Capacity, Dest, Error, MailboxId, Mode, Pid, Source};
use kernel::ipc::WaitQueueId;
use kernel::trace::{DropReason, EventKind, ExitReason, ReplyDropReason, WakeReason};
use kernel::Ledger;
use sim::{Outcome, Report};
use std::fmt::Debug;
use testkit::{config, prog, run, run_with, Log};
use userland::{Message, ProgramTable, SpawnOptions, SysResult};

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

/// A ledger with `dropped` messages dropped, all for `reason`.
fn ledger_dropping(sent: u64, received: u64, reason: DropReason, dropped: u64) -> Ledger {
    let mut l = ledger(sent, received);
    l.dropped.add(reason, dropped);
    l
}

/// Every event kind of the run with its tick.
fn events(report: &Report) -> impl Iterator<Item = (u64, &EventKind)> {
    report.events.iter().map(|e| (e.tick, &e.kind))
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        let ghost = Pid::new(40, 0);
        let ghost_mb = MailboxId::new(40, 0);
        say(format!(
            "send to never-pid -> {}",
            done(&sys.send(ghost, b"x", Mode::Blocking).await)
        ));
        say(format!(
            "receive from never-pid -> {}",
            msg(&sys.receive(ghost, Mode::Blocking).await)
        ));
        say(format!(
            "send to never-mailbox -> {}",
            done(&sys.send(ghost_mb, b"x", Mode::Blocking).await)
        ));
        say(format!(
            "receive from never-mailbox -> {}",
            msg(&sys.receive(ghost_mb, Mode::Blocking).await)
        ));

        // A child that exited and was reaped: its pid is stale.
        let child = sys.spawn("quick", 0).await.expect("spawn");
        say(format!("wait child -> {}", val(&sys.wait(child).await)));
        say(format!(
            "send to reaped child -> {}",
            done(&sys.send(child, b"x", Mode::Blocking).await)
        ));
        say(format!(
            "receive from reaped child -> {}",
            msg(&sys.receive(child, Mode::Blocking).await)
        ));
        // Its slot is reused by the next child, which must not answer to the old pid.
        let heir = sys.spawn("quick", 0).await.expect("spawn");
        say(format!(
            "same slot {}, new pid differs {}",
            heir.index() == child.index(),
            heir != child
        ));
        say(format!(
            "send to old pid while slot reused -> {}",
            done(&sys.send(child, b"x", Mode::NonBlocking).await)
        ));
        say(format!("wait heir -> {}", val(&sys.wait(heir).await)));

        // A deleted mailbox: its id is stale, even once its slot holds a new mailbox.
        let old = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        say(format!(
            "delete -> {}",
            done(&sys.delete_mailbox(old).await)
        ));
        let new = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        say(format!(
            "same slot {}, new id differs {}",
            new.index() == old.index(),
            new != old
        ));
        say(format!(
            "send to deleted mailbox -> {}",
            done(&sys.send(old, b"x", Mode::Blocking).await)
        ));
        say(format!(
            "receive from deleted mailbox -> {}",
            msg(&sys.receive(old, Mode::Blocking).await)
        ));
        say(format!(
            "delete deleted mailbox -> {}",
            done(&sys.delete_mailbox(old).await)
        ));
        say(format!(
            "send to new mailbox -> {}",
            done(&sys.send(new, b"new", Mode::Blocking).await)
        ));
        say(format!(
            "receive from new mailbox -> {}",
            msg(&sys.receive(new, Mode::NonBlocking).await)
        ));
        0
    });
    prog(&mut t, "quick", &log, |_, _, _| async move { 7 });

    let report = run(t, "main");

    assert_eq!(
        of(&log, "main"),
        strs(&[
            "send to never-pid -> err no_such_process",
            "receive from never-pid -> err no_such_process",
            "send to never-mailbox -> err no_such_mailbox",
            "receive from never-mailbox -> err no_such_mailbox",
            "wait child -> ok 7",
            "send to reaped child -> err no_such_process",
            "receive from reaped child -> err no_such_process",
            "same slot true, new pid differs true",
            "send to old pid while slot reused -> err no_such_process",
            "wait heir -> ok 7",
            "delete -> ok",
            "same slot true, new id differs true",
            "send to deleted mailbox -> err no_such_mailbox",
            "receive from deleted mailbox -> err no_such_mailbox",
            "delete deleted mailbox -> err no_such_mailbox",
            "send to new mailbox -> ok",
            "receive from new mailbox -> p0 \"new\"",
        ])
    );
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let receiver = sys
            .spawn_with(SpawnOptions::new("receiver", me.raw()).inbox(Capacity::Bounded(3)))
            .await
            .expect("spawn");
        let other = sys.spawn("other", receiver.raw()).await.expect("spawn");
        // `other` queues b1 and b2 meanwhile; a1 comes after them.
        sys.sleep(20).await;
        let r = sys.send(receiver, b"a1", Mode::Blocking).await;
        log.push(format!("main: send a1 -> {}", done(&r)));
        // The receiver waits for main, and `other` sends b3, meanwhile.
        sys.sleep(80).await;
        let r = sys.send(receiver, b"a2", Mode::Blocking).await;
        log.push(format!("main: send a2 -> {}", done(&r)));
        for p in [other, receiver] {
            sys.wait(p).await.expect("wait");
        }
        0
    });
    prog(&mut t, "other", &log, |sys, arg, log| async move {
        let receiver = Pid::from_raw(arg);
        for (m, pause) in [("b1", 0), ("b2", 70), ("b3", 0)] {
            let r = sys.send(receiver, m.as_bytes(), Mode::Blocking).await;
            log.push(format!("other: send {m} -> {}", done(&r)));
            if pause > 0 {
                sys.sleep(pause).await;
            }
        }
        0
    });
    prog(&mut t, "receiver", &log, |sys, arg, log| async move {
        let main = Pid::from_raw(arg);
        // Sleep until b1, b2 (from other) and a1 (from main) are queued.
        sys.sleep(50).await;
        let say = |s: String| log.push(format!("receiver: {s}"));
        say(format!(
            "from main -> {}",
            msg(&sys.receive(main, Mode::Blocking).await)
        ));
        say(format!(
            "from main (nonblocking) -> {}",
            msg(&sys.receive(main, Mode::NonBlocking).await)
        ));
        // Waits; b3 from `other` arrives meanwhile and must not end the wait.
        say(format!(
            "from main -> {}",
            msg(&sys.receive(main, Mode::Blocking).await)
        ));
        for mode in [
            Mode::Blocking,
            Mode::Blocking,
            Mode::Blocking,
            Mode::NonBlocking,
        ] {
            say(format!(
                "any ({mode}) -> {}",
                msg(&sys.receive(Source::Any, mode).await)
            ));
        }
        0
    });

    let report = run(t, "main");

    let main = pid(&report, "main");
    let other = pid(&report, "other");
    let receiver = pid(&report, "receiver");
    assert_eq!(
        of(&log, "other"),
        strs(&["send b1 -> ok", "send b2 -> ok", "send b3 -> ok"])
    );
    assert_eq!(of(&log, "main"), strs(&["send a1 -> ok", "send a2 -> ok"]));
    assert_eq!(
        of(&log, "receiver"),
        vec![
            // The newest message, skipping the two older ones from `other`.
            format!("from main -> {main} \"a1\""),
            "from main (nonblocking) -> err would_block".to_string(),
            format!("from main -> {main} \"a2\""),
            // The others' messages were left queued; `any` takes the oldest first and names
            // its sender.
            format!("any (blocking) -> {other} \"b1\""),
            format!("any (blocking) -> {other} \"b2\""),
            format!("any (blocking) -> {other} \"b3\""),
            "any (nonblocking) -> err would_block".to_string(),
        ]
    );
    // b3 was queued although the receiver was waiting (for main); a2 went straight to it.
    let b3_queued = events(&report).any(
        |(_, e)| matches!(e, EventKind::MessageQueued { from, depth: 3, .. } if *from == other),
    );
    assert!(b3_queued);
    let handoffs: Vec<(Pid, Pid)> = events(&report)
        .filter_map(|(_, e)| match e {
            EventKind::MessageHandedOver { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect();
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        let jobs = sys
            .create_mailbox(Capacity::Bounded(4), Some("jobs"))
            .await
            .expect("create");
        let s1 = sys.spawn("sender", 1).await.expect("spawn");
        let s2 = sys.spawn("sender", 2).await.expect("spawn");
        let heir = sys.spawn("heir", jobs.raw()).await.expect("spawn");
        say(format!("wait sender 1 -> {}", val(&sys.wait(s1).await)));
        say(format!("wait sender 2 -> {}", val(&sys.wait(s2).await)));
        for _ in 0..2 {
            say(format!(
                "receive -> {}",
                msg(&sys.receive(jobs, Mode::Blocking).await)
            ));
        }
        say(format!(
            "transfer -> {}",
            done(&sys.transfer_mailbox(jobs, heir).await)
        ));
        say(format!(
            "receive after transfer -> {}",
            msg(&sys.receive(jobs, Mode::NonBlocking).await)
        ));
        say(format!(
            "send go -> {}",
            done(&sys.send(heir, b"go", Mode::Blocking).await)
        ));
        say(format!("wait heir -> {}", val(&sys.wait(heir).await)));
        0
    });
    prog(&mut t, "sender", &log, |sys, arg, log| async move {
        let jobs = sys.lookup_mailbox("jobs").await.expect("lookup");
        for part in ["a", "b"] {
            let text = format!("s{arg}{part}");
            let r = sys.send(jobs, text.as_bytes(), Mode::Blocking).await;
            log.push(format!("sender: send {text} -> {}", done(&r)));
        }
        0
    });
    prog(&mut t, "heir", &log, |sys, arg, log| async move {
        let jobs = MailboxId::from_raw(arg);
        let say = |s: String| log.push(format!("heir: {s}"));
        say(format!(
            "receive before transfer -> {}",
            msg(&sys.receive(jobs, Mode::NonBlocking).await)
        ));
        say(format!(
            "inbox -> {}",
            msg(&sys.receive(Source::Any, Mode::Blocking).await)
        ));
        for _ in 0..2 {
            say(format!(
                "receive -> {}",
                msg(&sys.receive(jobs, Mode::Blocking).await)
            ));
        }
        say(format!(
            "receive (nonblocking) -> {}",
            msg(&sys.receive(jobs, Mode::NonBlocking).await)
        ));
        0
    });

    let report = run(t, "main");

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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let receiver = sys.spawn("receiver", 0).await.expect("spawn");
        let r = sys.send(receiver, b"nb", Mode::NonBlocking).await;
        log.push(format!("main: send nb (nonblocking) -> {}", done(&r)));
        let r = sys.send(receiver, b"m1", Mode::Blocking).await;
        log.push(format!("main: send m1 -> {}", done(&r)));
        let r = sys.send(receiver, b"m2", Mode::Blocking).await;
        log.push(format!("main: send m2 -> {}", done(&r)));
        log.push(format!(
            "main: wait receiver -> {}",
            val(&sys.wait(receiver).await)
        ));
        0
    });
    prog(&mut t, "receiver", &log, |sys, _, log| async move {
        sys.sleep(5).await;
        log.push("receiver: receiving".to_string());
        let r = sys.receive(Source::Any, Mode::Blocking).await;
        log.push(format!("receiver: got {}", msg(&r)));
        let r = sys.receive(Source::Any, Mode::Blocking).await;
        log.push(format!("receiver: got {}", msg(&r)));
        0
    });

    let report = run(t, "main");

    let main = pid(&report, "main");
    let receiver = pid(&report, "receiver");
    // The order is the point: main's blocking send returns only after the receiver took m1.
    assert_eq!(
        log.entries(),
        vec![
            "main: send nb (nonblocking) -> err would_block".to_string(),
            "receiver: receiving".to_string(),
            format!("receiver: got {main} \"m1\""),
            "main: send m1 -> ok".to_string(),
            "main: send m2 -> ok".to_string(),
            format!("receiver: got {main} \"m2\""),
            "main: wait receiver -> ok 0".to_string(),
        ]
    );
    // Nothing is ever queued at capacity zero: both messages went hand to hand.
    let queued = events(&report)
        .filter(|(_, e)| matches!(e, EventKind::MessageQueued { .. }))
        .count();
    let handoffs = events(&report)
        .filter(|(_, e)| matches!(e, EventKind::MessageHandedOver { .. }))
        .count();
    assert_eq!((queued, handoffs), (0, 2));
    // Main waited as a sender for m1; for m2 the receiver was already waiting.
    let blocks: Vec<(Pid, WaitQueueId)> = events(&report)
        .filter_map(|(_, e)| match e {
            EventKind::Block { pid, queue, .. } if *queue != WaitQueueId::Exit(receiver) => {
                Some((*pid, *queue))
            }
            _ => None,
        })
        .collect();
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
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
            let r = sys.receive(buf, Mode::Blocking).await;
            log.push(format!("main: receive -> {}", msg(&r)));
        }
        let r = sys.receive(buf, Mode::NonBlocking).await;
        log.push(format!("main: receive (nonblocking) -> {}", msg(&r)));
        for s in senders {
            sys.wait(s).await.expect("wait");
        }
        0
    });
    prog(&mut t, "sender", &log, |sys, arg, log| async move {
        let buf = sys.lookup_mailbox("buf").await.expect("lookup");
        let mode = if arg == 5 {
            Mode::NonBlocking
        } else {
            Mode::Blocking
        };
        let r = sys.send(buf, format!("m{arg}").as_bytes(), mode).await;
        log.push(format!("s{arg}: send m{arg} ({mode}) -> {}", done(&r)));
        0
    });

    let report = run(t, "main");

    let s: Vec<Pid> = (1..=5).map(|i| pid(&report, &format!("s{i}"))).collect();
    assert_eq!(
        of(&log, "main"),
        vec![
            format!("receive -> {} \"m1\"", s[0]),
            format!("receive -> {} \"m2\"", s[1]),
            format!("receive -> {} \"m3\"", s[2]),
            format!("receive -> {} \"m4\"", s[3]),
            "receive (nonblocking) -> err would_block".to_string(),
        ]
    );
    assert_eq!(of(&log, "s1"), strs(&["send m1 (blocking) -> ok"]));
    assert_eq!(of(&log, "s2"), strs(&["send m2 (blocking) -> ok"]));
    assert_eq!(of(&log, "s3"), strs(&["send m3 (blocking) -> ok"]));
    assert_eq!(of(&log, "s4"), strs(&["send m4 (blocking) -> ok"]));
    assert_eq!(
        of(&log, "s5"),
        strs(&["send m5 (nonblocking) -> err would_block"])
    );
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
    let blocked: Vec<Pid> = events(&report)
        .filter_map(|(_, e)| match e {
            EventKind::Block { pid, queue, .. } if buf_senders(queue) => Some(*pid),
            _ => None,
        })
        .collect();
    assert_eq!(blocked, vec![s[2], s[3]]);
    let steps: Vec<String> = events(&report)
        .filter_map(|(_, e)| match e {
            EventKind::MessageReceived { .. } => Some("take".to_string()),
            EventKind::Wake {
                pid,
                reason: WakeReason::Completed,
                ..
            } if s.contains(pid) => Some(format!("release {pid}")),
            _ => None,
        })
        .collect();
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        // Each 10-byte message costs 42 bytes: four fit in 200, the fifth does not.
        for i in 0..6 {
            let text = format!("message-{i:02}");
            let r = sys.send(mb, text.as_bytes(), Mode::Blocking).await;
            log.push(format!("main: send {text} -> {}", done(&r)));
        }
        loop {
            let r = sys.receive(mb, Mode::NonBlocking).await;
            log.push(format!("main: receive -> {}", msg(&r)));
            if r.is_err() {
                break;
            }
        }
        // The memory is back: sending works again.
        let r = sys.send(mb, b"message-99", Mode::Blocking).await;
        log.push(format!("main: send message-99 -> {}", done(&r)));
        let r = sys.receive(mb, Mode::NonBlocking).await;
        log.push(format!("main: receive -> {}", msg(&r)));
        0
    });
    let mut cfg = config();
    cfg.kernel.memory_limit = 200;

    let report = run_with(cfg, t, "main");

    assert_eq!(
        of(&log, "main"),
        strs(&[
            "send message-00 -> ok",
            "send message-01 -> ok",
            "send message-02 -> ok",
            "send message-03 -> ok",
            "send message-04 -> err out_of_memory",
            "send message-05 -> err out_of_memory",
            "receive -> p0 \"message-00\"",
            "receive -> p0 \"message-01\"",
            "receive -> p0 \"message-02\"",
            "receive -> p0 \"message-03\"",
            "receive -> err would_block",
            "send message-99 -> ok",
            "receive -> p0 \"message-99\"",
        ])
    );
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        let mb = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        say(format!(
            "receive (nonblocking) -> {}",
            msg(&sys.receive(mb, Mode::NonBlocking).await)
        ));
        say(format!(
            "receive (timeout 5) -> {}",
            msg(&sys.receive(mb, Mode::Timeout(5)).await)
        ));
        let busy = sys.spawn("busy", 0).await.expect("spawn");
        say(format!(
            "send late (timeout 3) -> {}",
            done(&sys.send(busy, b"late", Mode::Timeout(3)).await)
        ));
        say(format!("wait busy -> {}", val(&sys.wait(busy).await)));
        0
    });
    prog(&mut t, "busy", &log, |sys, _, log| async move {
        sys.sleep(10).await;
        let r = sys.receive(Source::Any, Mode::NonBlocking).await;
        log.push(format!("busy: receive (nonblocking) -> {}", msg(&r)));
        0
    });

    let report = run(t, "main");

    assert_eq!(
        of(&log, "main"),
        strs(&[
            "receive (nonblocking) -> err would_block",
            "receive (timeout 5) -> err timed_out",
            "send late (timeout 3) -> err timed_out",
            "wait busy -> ok 0",
        ])
    );
    // The message given up on never arrived.
    assert_eq!(
        of(&log, "busy"),
        strs(&["receive (nonblocking) -> err would_block"])
    );
    let main = pid(&report, "main");
    let busy = pid(&report, "busy");

    // Each timed wait ends exactly at its deadline, by the timer.
    let deadlines: Vec<(u64, u64)> = events(&report)
        .filter_map(|(tick, e)| match e {
            EventKind::Block {
                pid,
                deadline: Some(d),
                ..
            } if *pid == main => Some((tick, *d)),
            _ => None,
        })
        .collect();
    let timeouts: Vec<u64> = events(&report)
        .filter_map(|(tick, e)| match e {
            EventKind::Wake {
                pid,
                by: None,
                reason: WakeReason::TimedOut,
            } if *pid == main => Some(tick),
            _ => None,
        })
        .collect();
    assert_eq!(deadlines.len(), 2, "{deadlines:?}");
    assert_eq!(deadlines[0].1, deadlines[0].0 + 5);
    assert_eq!(deadlines[1].1, deadlines[1].0 + 3);
    assert_eq!(timeouts, vec![deadlines[0].1, deadlines[1].1]);
    // The trace says the late message was not delivered, at the moment the send gave up.
    let abandoned: Vec<(u64, Pid, Dest, Error)> = events(&report)
        .filter_map(|(tick, e)| match e {
            EventKind::SendAbandoned { pid, to, error } => Some((tick, *pid, *to, *error)),
            _ => None,
        })
        .collect();
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
    let p = pids.clone();
    t.add("main", "receives two messages", move |sys, _| {
        let p = p.clone();
        async move {
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
        }
    });
    let p = pids.clone();
    t.add("direct", "sends to main's inbox", move |sys, arg| {
        let p = p.clone();
        async move {
            p.push(("direct's getpid", sys.getpid().await));
            // It claims to be main; the kernel knows better.
            let main = Pid::from_raw(arg);
            let claim = format!("I am {main}");
            sys.send(main, claim.as_bytes(), Mode::Blocking)
                .await
                .expect("send");
            0
        }
    });
    let p = pids.clone();
    t.add("indirect", "sends to main's mailbox", move |sys, arg| {
        let p = p.clone();
        async move {
            p.push(("indirect's getpid", sys.getpid().await));
            let claim = format!("I am {}", Pid::from_raw(arg));
            let mb = sys.lookup_mailbox("stamps").await.expect("lookup");
            sys.send(mb, claim.as_bytes(), Mode::Blocking)
                .await
                .expect("send");
            0
        }
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
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
            log.push(format!("main: {}", msg(&r)));
            if r.is_err() {
                break;
            }
        }
        sys.wait(a).await.expect("wait");
        sys.wait(b).await.expect("wait");
        0
    });
    prog(&mut t, "chatty", &log, |sys, arg, _| async move {
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        // A queued message.
        let mb = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        say(format!(
            "send 10B -> {}",
            done(&sys.send(mb, b"0123456789", Mode::Blocking).await)
        ));
        let r = sys.receive_upto(mb, 4, Mode::Blocking).await;
        say(format!(
            "receive 4B -> {} needs {}",
            msg(&r),
            sys.last_return()[1]
        ));
        say(format!(
            "receive -> {}",
            msg(&sys.receive(mb, Mode::NonBlocking).await)
        ));
        // A receiver already waiting when the too-long message comes.
        let me = sys.getpid().await;
        let sender = sys.spawn("sender", me.raw()).await.expect("spawn");
        let r = sys.receive_upto(Source::Any, 4, Mode::Blocking).await;
        say(format!(
            "waiting receive 4B -> {} needs {}",
            msg(&r),
            sys.last_return()[1]
        ));
        say(format!(
            "receive -> {}",
            msg(&sys.receive(Source::Any, Mode::Blocking).await)
        ));
        say(format!("wait sender -> {}", val(&sys.wait(sender).await)));
        0
    });
    prog(&mut t, "sender", &log, |sys, arg, log| async move {
        let r = sys
            .send(Pid::from_raw(arg), b"abcdefghij", Mode::Blocking)
            .await;
        log.push(format!("sender: send 10B -> {}", done(&r)));
        0
    });

    let report = run(t, "main");

    let main = pid(&report, "main");
    let sender = pid(&report, "sender");
    assert_eq!(
        of(&log, "main"),
        vec![
            "send 10B -> ok".to_string(),
            "receive 4B -> err buffer_too_small needs 10".to_string(),
            format!("receive -> {main} \"0123456789\""),
            "waiting receive 4B -> err buffer_too_small needs 10".to_string(),
            format!("receive -> {sender} \"abcdefghij\""),
            "wait sender -> ok 0".to_string(),
        ]
    );
    assert_eq!(of(&log, "sender"), strs(&["send 10B -> ok"]));
    assert!(report.succeeded());
    assert_eq!(report.ledger, ledger(2, 2));
    insta::assert_snapshot!(report.trace_text());
}

// ----- 11. deletion -----

/// The table for the deletion tests: `caller` calls and `sender` sends to the mailbox
/// named "box" (bounded to one message), each logging what it got.
fn deletion_helpers(t: &mut ProgramTable, log: &Log<String>) {
    prog(t, "caller", log, |sys, _, log| async move {
        let mb = sys.lookup_mailbox("box").await.expect("lookup");
        let r = sys.call(mb, b"req", Mode::Blocking).await;
        log.push(format!("caller: call -> {}", msg(&r)));
        0
    });
    prog(t, "sender", log, |sys, _, log| async move {
        let mb = sys.lookup_mailbox("box").await.expect("lookup");
        let r = sys.send(mb, b"msg", Mode::Blocking).await;
        log.push(format!("sender: send -> {}", done(&r)));
        0
    });
}

/// Deleting a mailbox, or its owner's exit, wakes everyone blocked on it with
/// `mailbox_deleted` and drops what is still queued, counted, with the reason.
#[test]
fn deletion() {
    // By `delete_mailbox`: a caller whose call is queued and two blocked senders.
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
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
        let r = sys.delete_mailbox(mb).await;
        log.push(format!("main: delete -> {}", done(&r)));
        for k in kids {
            sys.wait(k).await.expect("wait");
        }
        0
    });
    deletion_helpers(&mut t, &log);

    let report = run(t, "main");

    assert_eq!(of(&log, "main"), strs(&["delete -> ok"]));
    assert_eq!(of(&log, "caller"), strs(&["call -> err mailbox_deleted"]));
    assert_eq!(
        of(&log, "sender"),
        strs(&["send -> err mailbox_deleted", "send -> err mailbox_deleted"])
    );
    assert!(report.succeeded());
    // The queued call was dropped; the blocked senders' messages never entered the kernel.
    assert_eq!(
        report.ledger,
        ledger_dropping(1, 0, DropReason::MailboxDeleted, 1)
    );
    assert_deleted(&report, DropReason::MailboxDeleted, 3);
    insta::assert_snapshot!("deletion_by_delete_mailbox", report.trace_text());

    // By the owner's exit: a caller whose call is queued and a blocked sender.
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let owner = sys.spawn("owner", 0).await.expect("spawn");
        let caller = sys.spawn("caller", 0).await.expect("spawn");
        let sender = sys.spawn("sender", 0).await.expect("spawn");
        log.push(format!(
            "main: wait owner -> {}",
            val(&sys.wait(owner).await)
        ));
        sys.wait(caller).await.expect("wait");
        sys.wait(sender).await.expect("wait");
        0
    });
    prog(&mut t, "owner", &log, |sys, _, _| async move {
        sys.create_mailbox(Capacity::Bounded(1), Some("box"))
            .await
            .expect("create");
        sys.sleep(20).await;
        0
    });
    deletion_helpers(&mut t, &log);

    let report = run(t, "main");

    assert_eq!(of(&log, "main"), strs(&["wait owner -> ok 0"]));
    assert_eq!(of(&log, "caller"), strs(&["call -> err mailbox_deleted"]));
    assert_eq!(of(&log, "sender"), strs(&["send -> err mailbox_deleted"]));
    assert!(report.succeeded());
    assert_eq!(
        report.ledger,
        ledger_dropping(1, 0, DropReason::OwnerExited, 1)
    );
    assert_deleted(&report, DropReason::OwnerExited, 2);
    insta::assert_snapshot!("deletion_by_owner_exit", report.trace_text());
}

/// The run deleted one mailbox, dropping one message for `reason` and waking `woken`
/// processes, each with `mailbox_deleted`.
fn assert_deleted(report: &Report, reason: DropReason, woken: usize) {
    let drops: Vec<(usize, DropReason)> = events(report)
        .filter_map(|(_, e)| match e {
            EventKind::MessagesDropped { count, reason, .. } => Some((*count, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(drops, vec![(1, reason)]);
    let deleted: Vec<(usize, usize)> = events(report)
        .filter_map(|(_, e)| match e {
            EventKind::MailboxDeleted { dropped, woken, .. } => Some((*dropped, *woken)),
            _ => None,
        })
        .collect();
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

// ----- 12. peer exit -----

/// A process's exit wakes those blocked receiving only from it and those blocked sending
/// to it, with `peer_exited`.
#[test]
fn peer_exit() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let peer = sys.spawn("peer", 0).await.expect("spawn");
        let listener = sys.spawn("listener", peer.raw()).await.expect("spawn");
        let talker = sys.spawn("talker", peer.raw()).await.expect("spawn");
        log.push(format!("main: wait peer -> {}", val(&sys.wait(peer).await)));
        sys.wait(listener).await.expect("wait");
        sys.wait(talker).await.expect("wait");
        0
    });
    prog(&mut t, "peer", &log, |sys, _, _| async move {
        sys.sleep(10).await;
        3
    });
    prog(&mut t, "listener", &log, |sys, arg, log| async move {
        let r = sys.receive(Pid::from_raw(arg), Mode::Blocking).await;
        log.push(format!("listener: receive from peer -> {}", msg(&r)));
        0
    });
    prog(&mut t, "talker", &log, |sys, arg, log| async move {
        let r = sys.send(Pid::from_raw(arg), b"hi", Mode::Blocking).await;
        log.push(format!("talker: send to peer -> {}", done(&r)));
        0
    });

    let report = run(t, "main");

    assert_eq!(of(&log, "main"), strs(&["wait peer -> ok 3"]));
    assert_eq!(
        of(&log, "listener"),
        strs(&["receive from peer -> err peer_exited"])
    );
    assert_eq!(
        of(&log, "talker"),
        strs(&["send to peer -> err peer_exited"])
    );
    let peer = pid(&report, "peer");
    let mut woken: Vec<Pid> = events(&report)
        .filter_map(|(_, e)| match e {
            EventKind::Wake {
                pid,
                by: Some(by),
                reason: WakeReason::PeerExited,
            } if *by == peer => Some(*pid),
            _ => None,
        })
        .collect();
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
    let p = pids.clone();
    t.add("main", "receives from its child", move |sys, _| {
        let p = p.clone();
        async move {
            let me = sys.getpid().await;
            p.push(("main", me));
            let partner = sys.spawn("partner", me.raw()).await.expect("spawn");
            p.push(("partner", partner));
            let _ = sys.receive(partner, Mode::Blocking).await;
            p.push(("main received", me));
            0
        }
    });
    let p = pids.clone();
    t.add("partner", "receives from its parent", move |sys, arg| {
        let p = p.clone();
        async move {
            let me = sys.getpid().await;
            let _ = sys.receive(Pid::from_raw(arg), Mode::Blocking).await;
            p.push(("partner received", me));
            0
        }
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
    prog(&mut t, "main", &log, |sys, _, _| async move {
        let server = sys.spawn("server", 0).await.expect("spawn");
        let impatient = sys.spawn("impatient", server.raw()).await.expect("spawn");
        let client = sys.spawn("client", server.raw()).await.expect("spawn");
        let impostor = sys.spawn("impostor", client.raw()).await.expect("spawn");
        for p in [impatient, client, impostor, server] {
            sys.wait(p).await.expect("wait");
        }
        0
    });
    prog(&mut t, "server", &log, |sys, _, log| async move {
        for (busy, answer) in [(10, "late"), (30, "pong")] {
            let r = sys.receive(Source::Any, Mode::Blocking).await;
            log.push(format!("server: receive -> {}", msg(&r)));
            let Ok(m) = r else { return 1 };
            // Busy with the request.
            sys.sleep(busy).await;
            let r = sys.reply(m.sender, answer.as_bytes()).await;
            log.push(format!("server: reply {answer} -> {}", done(&r)));
        }
        0
    });
    prog(&mut t, "impatient", &log, |sys, arg, log| async move {
        let r = sys
            .call(Pid::from_raw(arg), b"slow", Mode::Timeout(3))
            .await;
        log.push(format!("impatient: call (timeout 3) -> {}", msg(&r)));
        // Still alive when the late reply comes.
        sys.sleep(30).await;
        0
    });
    prog(&mut t, "client", &log, |sys, arg, log| async move {
        let r = sys.call(Pid::from_raw(arg), b"ping", Mode::Blocking).await;
        log.push(format!("client: call -> {}", msg(&r)));
        0
    });
    prog(&mut t, "impostor", &log, |sys, arg, log| async move {
        // Reply while the client waits for the server's answer.
        sys.sleep(30).await;
        let r = sys.reply(Pid::from_raw(arg), b"fake").await;
        log.push(format!("impostor: reply fake -> {}", done(&r)));
        0
    });

    let report = run(t, "main");

    let server = pid(&report, "server");
    let impatient = pid(&report, "impatient");
    let client = pid(&report, "client");
    let impostor = pid(&report, "impostor");
    assert_eq!(
        of(&log, "server"),
        vec![
            format!("receive -> {impatient} \"slow\" (call)"),
            "reply late -> ok".to_string(),
            format!("receive -> {client} \"ping\" (call)"),
            "reply pong -> ok".to_string(),
        ]
    );
    assert_eq!(
        of(&log, "impatient"),
        strs(&["call (timeout 3) -> err timed_out"])
    );
    assert_eq!(of(&log, "impostor"), strs(&["reply fake -> ok"]));
    assert_eq!(
        of(&log, "client"),
        vec![format!("call -> {server} \"pong\"")]
    );
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

    let replies: Vec<(Pid, Pid, Option<ReplyDropReason>)> = events(&report)
        .filter_map(|(_, e)| match e {
            EventKind::ReplyDelivered { from, to, .. } => Some((*from, *to, None)),
            EventKind::ReplyDropped { from, to, reason } => Some((*from, *to, Some(*reason))),
            _ => None,
        })
        .collect();
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
    prog(&mut t, "main", &log, |sys, _, log| async move {
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
            log.push(format!("main: wait {name} -> {}", val(&sys.wait(p).await)));
        }
        log.push(format!(
            "main: wait answer again -> {}",
            val(&sys.wait(answer).await)
        ));
        log.push(format!("main: wait self -> {}", val(&sys.wait(me).await)));
        0
    });
    prog(&mut t, "answer", &log, |_, _, _| async move { 42 });
    prog(&mut t, "quitter", &log, |sys, _, _| async move {
        sys.exit(7).await;
        0
    });
    prog(&mut t, "crasher", &log, |_, _, _| async move { crash() });
    prog(&mut t, "survivor", &log, |sys, _, log| async move {
        sys.sleep(20).await;
        log.push("survivor: still running".to_string());
        5
    });
    prog(&mut t, "nosy", &log, |sys, arg, log| async move {
        let r = sys.wait(Pid::from_raw(arg)).await;
        log.push(format!("nosy: wait sibling -> {}", val(&r)));
        0
    });

    let report = run(t, "main");

    assert_eq!(
        of(&log, "main"),
        strs(&[
            "wait answer -> ok 42",
            "wait quitter -> ok 7",
            "wait crasher -> ok 101",
            "wait survivor -> ok 5",
            "wait nosy -> ok 0",
            "wait answer again -> err no_such_process",
            "wait self -> err not_child",
        ])
    );
    assert_eq!(of(&log, "nosy"), strs(&["wait sibling -> err not_child"]));
    assert_eq!(of(&log, "survivor"), strs(&["still running"]));

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
