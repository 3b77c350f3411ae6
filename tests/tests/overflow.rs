//! Overflow policies: what a send does when it finds a bounded mailbox full.
//!
//! One test per cell of the table in `docs/abi.md` section 4.1 — mode (blocking,
//! non-blocking, timeout) × policy (block, fail, drop_newest, drop_oldest) — each running the
//! same two programs: `main` creates a one-slot mailbox with the policy and fills it with
//! `"a"`, then a `sender` sends `"b"` in the mode; later `main` takes whatever is queued. Each
//! asserts what the send returned, what `main` received, whether the sender ever waited, the
//! ledgers (the total and the mailbox's own, with drops by reason), and snapshots the trace.
//! The tests after the table cover calls, policies that have nothing to act on, and a policy
//! meeting a byte limit.

use abi::{Capacity, Dest, Error, Mode, Overflow, Pid, Source, Sysno};
use kernel::trace::{DropReason, EventKind, WakeReason};
use kernel::{Drops, EndpointLedger};
use sim::render::stats;
use sim::Report;
use testkit::{config, prog, run, run_with, Log};
use userland::{ProgramTable, Sys, SysResult};

// ----- helpers -----

/// A result without interesting values as `ok`, or the error.
fn done<T>(r: &SysResult<T>) -> String {
    match r {
        Ok(_) => "ok".to_string(),
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

/// Take every message queued in `mb` without waiting; their texts, in order.
async fn take_all(sys: &Sys, mb: abi::MailboxId) -> Vec<String> {
    let mut got = Vec::new();
    while let Ok(m) = sys.receive(mb, Mode::NonBlocking).await {
        got.push(m.text());
    }
    got
}

/// The pid of the (exited) process called `name`.
fn pid(report: &Report, name: &str) -> Pid {
    report
        .exit_named(name)
        .unwrap_or_else(|| panic!("{name} exited"))
        .pid
}

/// Whether `pid` ever blocked on a wait queue.
fn ever_blocked(report: &Report, who: Pid) -> bool {
    report
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Block { pid, .. } if pid == who))
}

/// Drops by reason, as a ledger holds them.
fn drops(pairs: &[(DropReason, u64)]) -> Drops {
    let mut d = Drops::default();
    for &(reason, n) in pairs {
        d.add(reason, n);
    }
    d
}

/// The one ledger of the mailbox called `name`.
fn ledger_of<'r>(report: &'r Report, name: &str) -> &'r EndpointLedger {
    let found: Vec<&EndpointLedger> = report
        .ledgers
        .iter()
        .filter(|l| matches!(l.endpoint, Dest::Mailbox(_)) && l.name.as_deref() == Some(name))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one ledger for {name}: {:#?}",
        report.ledgers
    );
    found[0]
}

/// Every ledger balances, they add up to the total, and the statistics' endpoint table
/// (replayed from the trace) agrees with the kernel's counts.
fn check_ledgers(report: &Report) {
    report
        .check_ledgers()
        .unwrap_or_else(|e| panic!("the ledgers balance: {e}"));
    let st = stats::Stats::from_report(report);
    let sent: u64 = st.endpoints.iter().map(|e| e.sent).sum();
    let through: u64 = st.endpoints.iter().map(|e| e.through).sum();
    let dropped: u64 = st.endpoints.iter().map(|e| e.dropped).sum();
    assert_eq!(
        (sent, through, dropped),
        (
            report.ledger.sent,
            report.ledger.received,
            report.ledger.dropped.total()
        ),
        "the trace's endpoint counters agree with the kernel's ledger"
    );
    let senders: u64 = st.processes.iter().map(|p| p.sent).sum();
    assert_eq!(senders, report.ledger.sent, "every message has its sender");
}

// ----- the table -----

/// What one cell of the table is expected to do.
struct Expect {
    /// What the sender's `send("b")` returned.
    send: &'static str,
    /// Whether the sender waited.
    waited: bool,
    /// What `main` took from the mailbox afterwards, in order.
    received: &'static [&'static str],
    /// The mailbox's ledger: sent, received, dropped for `overflow`.
    sent: u64,
    dropped: u64,
}

/// Run one cell: a one-slot mailbox with `policy`, full with `"a"`; a sender sends `"b"` in
/// `mode`; ten ticks later `main` takes what is queued.
fn cell(policy: Overflow, mode: Mode, expect: Expect) -> Report {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, move |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        let Ok(mb) = sys
            .create_mailbox_with(Capacity::Bounded(1), Some("box"), policy)
            .await
        else {
            return 1;
        };
        say(format!(
            "fill -> {}",
            done(&sys.send(mb, b"a", Mode::NonBlocking).await)
        ));
        let Ok(sender) = sys.spawn("sender", 0).await else {
            return 1;
        };
        sys.sleep(10).await;
        say(format!("took {}", take_all(&sys, mb).await.join(",")));
        say(format!("wait sender -> {}", done(&sys.wait(sender).await)));
        0
    });
    prog(&mut t, "sender", &log, move |sys, _, log| async move {
        let Ok(mb) = sys.lookup_mailbox("box").await else {
            return 1;
        };
        let r = sys.send(mb, b"b", mode).await;
        log.push(format!("sender: send b -> {}", done(&r)));
        0
    });
    let report = run(t, "main");
    assert!(
        report.succeeded(),
        "{:?} {:#?}",
        report.outcome,
        report.exited
    );
    assert_eq!(
        of(&log, "sender"),
        [format!("send b -> {}", expect.send)],
        "{policy} × {mode}: what the send returned"
    );
    assert_eq!(
        of(&log, "main"),
        [
            "fill -> ok".to_string(),
            format!("took {}", expect.received.join(",")),
            "wait sender -> ok".to_string()
        ],
        "{policy} × {mode}: what main received"
    );
    assert_eq!(
        ever_blocked(&report, pid(&report, "sender")),
        expect.waited,
        "{policy} × {mode}: whether the sender waited"
    );
    let l = ledger_of(&report, "box");
    let overflow: &[(DropReason, u64)] = if expect.dropped > 0 {
        &[(DropReason::Overflow, expect.dropped)]
    } else {
        &[]
    };
    assert_eq!(
        (
            l.ledger.sent,
            l.ledger.received,
            l.queued,
            l.ledger.dropped,
            l.closed
        ),
        (
            expect.sent,
            expect.received.len() as u64,
            0,
            drops(overflow),
            true
        ),
        "{policy} × {mode}: the mailbox's ledger (closed when main exited)"
    );
    assert_eq!(report.ledger.dropped.total(), expect.dropped);
    let drop_events: usize = report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MessagesDropped {
                count,
                reason: DropReason::Overflow,
                ..
            } => Some(count),
            _ => None,
        })
        .sum();
    assert_eq!(
        drop_events as u64, expect.dropped,
        "{policy} × {mode}: each drop is in the trace"
    );
    check_ledgers(&report);
    report
}

const WAITS_THEN_OK: Expect = Expect {
    send: "ok",
    waited: true,
    received: &["a", "b"],
    sent: 2,
    dropped: 0,
};

const REFUSED: fn(&'static str, bool) -> Expect = |send, waited| Expect {
    send,
    waited,
    received: &["a"],
    sent: 1,
    dropped: 0,
};

const NEWEST_DROPPED: Expect = Expect {
    send: "ok",
    waited: false,
    received: &["a"],
    sent: 2,
    dropped: 1,
};

const OLDEST_DROPPED: Expect = Expect {
    send: "ok",
    waited: false,
    received: &["b"],
    sent: 2,
    dropped: 1,
};

/// `block`, blocking: the sender waits for room; `main`'s receive moves its message in.
#[test]
fn block_blocking_waits_for_room() {
    let r = cell(Overflow::Block, Mode::Blocking, WAITS_THEN_OK);
    insta::assert_snapshot!(r.trace_text());
}

/// `block`, non-blocking: `would_block`, nothing sent.
#[test]
fn block_nonblocking_would_block() {
    let r = cell(
        Overflow::Block,
        Mode::NonBlocking,
        REFUSED("err would_block", false),
    );
    insta::assert_snapshot!(r.trace_text());
}

/// `block`, timeout: waits 3 ticks, then `timed_out`, nothing sent.
#[test]
fn block_timeout_times_out() {
    let r = cell(
        Overflow::Block,
        Mode::Timeout(3),
        REFUSED("err timed_out", true),
    );
    insta::assert_snapshot!(r.trace_text());
}

/// `fail`, blocking: `mailbox_full` at once, without waiting.
#[test]
fn fail_blocking_fails_at_once() {
    let r = cell(
        Overflow::Fail,
        Mode::Blocking,
        REFUSED("err mailbox_full", false),
    );
    insta::assert_snapshot!(r.trace_text());
}

/// `fail`, non-blocking: `mailbox_full` (not `would_block`: the policy answers).
#[test]
fn fail_nonblocking_fails_at_once() {
    let r = cell(
        Overflow::Fail,
        Mode::NonBlocking,
        REFUSED("err mailbox_full", false),
    );
    insta::assert_snapshot!(r.trace_text());
}

/// `fail`, timeout: `mailbox_full` at once; the timeout never starts.
#[test]
fn fail_timeout_fails_at_once() {
    let r = cell(
        Overflow::Fail,
        Mode::Timeout(3),
        REFUSED("err mailbox_full", false),
    );
    insta::assert_snapshot!(r.trace_text());
}

/// `drop_newest`, blocking: success at once; `"b"` is counted sent and dropped.
#[test]
fn drop_newest_blocking_drops_the_new_message() {
    let r = cell(Overflow::DropNewest, Mode::Blocking, NEWEST_DROPPED);
    insta::assert_snapshot!(r.trace_text());
}

/// `drop_newest`, non-blocking: the same; the mode never matters.
#[test]
fn drop_newest_nonblocking_drops_the_new_message() {
    let r = cell(Overflow::DropNewest, Mode::NonBlocking, NEWEST_DROPPED);
    insta::assert_snapshot!(r.trace_text());
}

/// `drop_newest`, timeout: the same.
#[test]
fn drop_newest_timeout_drops_the_new_message() {
    let r = cell(Overflow::DropNewest, Mode::Timeout(3), NEWEST_DROPPED);
    insta::assert_snapshot!(r.trace_text());
}

/// `drop_oldest`, blocking: success at once; `"a"` is dropped, `"b"` queued and received.
#[test]
fn drop_oldest_blocking_drops_the_oldest() {
    let r = cell(Overflow::DropOldest, Mode::Blocking, OLDEST_DROPPED);
    insta::assert_snapshot!(r.trace_text());
}

/// `drop_oldest`, non-blocking: the same.
#[test]
fn drop_oldest_nonblocking_drops_the_oldest() {
    let r = cell(Overflow::DropOldest, Mode::NonBlocking, OLDEST_DROPPED);
    insta::assert_snapshot!(r.trace_text());
}

/// `drop_oldest`, timeout: the same.
#[test]
fn drop_oldest_timeout_drops_the_oldest() {
    let r = cell(Overflow::DropOldest, Mode::Timeout(3), OLDEST_DROPPED);
    insta::assert_snapshot!(r.trace_text());
}

// ----- beyond the table -----

/// A call to a full mailbox: `block` waits like a send; `fail` and `drop_newest` refuse it
/// with `mailbox_full` and send nothing (a discarded request could never be answered);
/// `drop_oldest` queues it in place of the oldest.
#[test]
fn a_call_to_a_full_mailbox_under_each_policy() {
    for (policy, expect, sent) in [
        (Overflow::Block, "ok", 2),
        (Overflow::Fail, "err mailbox_full", 1),
        (Overflow::DropNewest, "err mailbox_full", 1),
        (Overflow::DropOldest, "ok", 2),
    ] {
        let log = Log::new();
        let mut t = ProgramTable::new();
        prog(&mut t, "main", &log, move |sys, _, log| async move {
            let Ok(mb) = sys
                .create_mailbox_with(Capacity::Bounded(1), Some("box"), policy)
                .await
            else {
                return 1;
            };
            let _ = sys.send(mb, b"a", Mode::NonBlocking).await;
            let Ok(caller) = sys.spawn("caller", 0).await else {
                return 1;
            };
            sys.sleep(10).await;
            // Serve whatever is queued; answer the call if it is there.
            let mut took = Vec::new();
            while let Ok(m) = sys.receive(mb, Mode::NonBlocking).await {
                took.push(m.text());
                if m.is_call {
                    let _ = sys.reply(m.sender, b"answer").await;
                }
            }
            log.push(format!("main: took {}", took.join(",")));
            let _ = sys.wait(caller).await;
            0
        });
        prog(&mut t, "caller", &log, |sys, _, log| async move {
            let Ok(mb) = sys.lookup_mailbox("box").await else {
                return 1;
            };
            let r = sys.call(mb, b"q", Mode::Blocking).await;
            log.push(format!("caller: call -> {}", done(&r)));
            0
        });
        let report = run(t, "main");
        assert!(report.succeeded(), "{policy}");
        assert_eq!(
            of(&log, "caller"),
            [format!("call -> {expect}")],
            "{policy}"
        );
        let took = match policy {
            Overflow::Block => "took a,q",
            Overflow::DropOldest => "took q",
            _ => "took a",
        };
        assert_eq!(of(&log, "main"), [took], "{policy}");
        assert_eq!(
            report.ledger.sent, sent,
            "{policy}: what entered the kernel"
        );
        check_ledgers(&report);
    }
}

/// `drop_oldest` dropping a queued call request wakes its caller with `mailbox_full` (no
/// reply can come); a caller that had already timed out is not woken again, and its request
/// is simply dropped.
#[test]
fn drop_oldest_wakes_a_caller_whose_queued_request_it_drops() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let Ok(mb) = sys
            .create_mailbox_with(Capacity::Bounded(1), Some("box"), Overflow::DropOldest)
            .await
        else {
            return 1;
        };
        let Ok(waiting) = sys.spawn("caller", 0).await else {
            return 1;
        };
        sys.sleep(10).await; // its request is queued; it waits for it to be received
        let r = sys.send(mb, b"x", Mode::NonBlocking).await;
        log.push(format!("main: send x -> {}", done(&r)));
        let Ok(gave_up) = sys.spawn("caller", 2).await else {
            return 1;
        };
        sys.sleep(10).await; // its request is queued, and it timed out
        let r = sys.send(mb, b"y", Mode::NonBlocking).await;
        log.push(format!("main: send y -> {}", done(&r)));
        log.push(format!("main: took {}", take_all(&sys, mb).await.join(",")));
        let _ = sys.wait(waiting).await;
        let _ = sys.wait(gave_up).await;
        0
    });
    prog(&mut t, "caller", &log, |sys, arg, log| async move {
        let Ok(mb) = sys.lookup_mailbox("box").await else {
            return 1;
        };
        let mode = if arg == 0 {
            Mode::Blocking
        } else {
            Mode::Timeout(arg)
        };
        let r = sys.call(mb, b"q", mode).await;
        log.push(format!("caller: call ({mode}) -> {}", done(&r)));
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded());
    assert_eq!(
        of(&log, "caller"),
        [
            "call (blocking) -> err mailbox_full",
            "call (timeout=2) -> err timed_out"
        ]
    );
    assert_eq!(
        of(&log, "main"),
        ["send x -> ok", "send y -> ok", "took y"],
        "each send dropped the call queued before it"
    );
    let woken: Vec<WakeReason> = report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wake { reason, .. } if reason == WakeReason::MessageDropped => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(woken.len(), 1, "only the waiting caller is woken");
    let l = ledger_of(&report, "box");
    // Dropped: the first request (by x), x (by the second request, which found the box
    // full), the second request (by y).
    assert_eq!(
        (l.ledger.sent, l.ledger.received, l.ledger.dropped),
        (4, 1, drops(&[(DropReason::Overflow, 3)]))
    );
    check_ledgers(&report);
    insta::assert_snapshot!(report.trace_text());
}

/// A policy needs a queue to act on: at capacity 0 only `block` is accepted
/// (`invalid_argument`); an unbounded mailbox takes any policy and never overflows; a frame
/// with an unknown policy is `invalid_argument`, and the old layout (register 2 left 0)
/// still makes a `block` mailbox.
#[test]
fn policies_need_a_queue_to_overflow() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        for policy in Overflow::ALL {
            let r = sys.create_mailbox_with(Capacity::Zero, None, policy).await;
            say(format!("zero capacity, {policy} -> {}", done(&r)));
        }
        let Ok(big) = sys
            .create_mailbox_with(Capacity::Unbounded, Some("big"), Overflow::DropOldest)
            .await
        else {
            return 1;
        };
        let mut ok = 0;
        for _ in 0..50 {
            if sys.send(big, b"m", Mode::NonBlocking).await.is_ok() {
                ok += 1;
            }
        }
        say(format!("unbounded, drop_oldest: {ok} of 50 queued"));
        say(format!("took {}", take_all(&sys, big).await.len()));
        let ret = sys
            .raw_syscall(Sysno::CreateMailbox as u64, [1, 0, 4, 0, 0, 0], b"")
            .await;
        say(format!("raw, policy 4 -> status {}", ret[0]));
        let ret = sys
            .raw_syscall(Sysno::CreateMailbox as u64, [1, 0, 0, 0, 0, 0], b"")
            .await;
        say(format!("raw, old layout -> status {}", ret[0]));
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded());
    assert_eq!(
        of(&log, "main"),
        [
            "zero capacity, block -> ok",
            "zero capacity, fail -> err invalid_argument",
            "zero capacity, drop_newest -> err invalid_argument",
            "zero capacity, drop_oldest -> err invalid_argument",
            "unbounded, drop_oldest: 50 of 50 queued",
            "took 50",
            &format!("raw, policy 4 -> status {}", Error::InvalidArgument.code()),
            "raw, old layout -> status 0",
        ]
    );
    assert_eq!(
        report.ledger.dropped.total(),
        0,
        "an unbounded mailbox never overflows"
    );
    let created: Vec<Overflow> = report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MailboxCreated { overflow, .. } => Some(overflow),
            _ => None,
        })
        .collect();
    assert_eq!(
        created,
        [Overflow::Block, Overflow::DropOldest, Overflow::Block],
        "the trace shows each mailbox's policy at creation"
    );
    check_ledgers(&report);
}

/// The byte limits are not capacity: `drop_oldest` drops nothing when the new message would
/// not fit even with the oldest gone (`out_of_memory`), and drops the oldest when it would.
#[test]
fn drop_oldest_drops_nothing_when_the_new_message_cannot_fit() {
    const SLOT: usize = 1 + kernel::ipc::MESSAGE_OVERHEAD;
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let say = |s: String| log.push(format!("main: {s}"));
        let Ok(mb) = sys
            .create_mailbox_with(Capacity::Bounded(2), Some("box"), Overflow::DropOldest)
            .await
        else {
            return 1;
        };
        for m in [b"a", b"b"] {
            let _ = sys.send(mb, m, Mode::NonBlocking).await;
        }
        say(format!(
            "send 10 bytes -> {}",
            done(&sys.send(mb, b"0123456789", Mode::Blocking).await)
        ));
        say(format!(
            "send 1 byte -> {}",
            done(&sys.send(mb, b"c", Mode::Blocking).await)
        ));
        say(format!("took {}", take_all(&sys, mb).await.join(",")));
        0
    });
    let mut cfg = config();
    cfg.kernel.max_mailbox_bytes = 2 * SLOT;
    let report = run_with(cfg, t, "main");
    assert!(report.succeeded());
    assert_eq!(
        of(&log, "main"),
        [
            "send 10 bytes -> err out_of_memory",
            "send 1 byte -> ok",
            "took b,c"
        ]
    );
    let l = ledger_of(&report, "box");
    assert_eq!(
        (l.ledger.sent, l.ledger.received, l.ledger.dropped),
        (3, 2, drops(&[(DropReason::Overflow, 1)]))
    );
    check_ledgers(&report);
}

/// The text trace shows a policy other than `block` in the call and the creation line; the
/// JSON lines always carry it.
#[test]
fn the_trace_shows_the_policy_at_creation() {
    let r = cell(Overflow::DropOldest, Mode::Blocking, OLDEST_DROPPED);
    let text = r.trace_text();
    assert!(text.contains("create_mailbox(capacity=1, name_len=3, overflow=drop_oldest)"));
    assert!(text.contains("mailbox    created mb0:box capacity=1 overflow=drop_oldest"));
    assert!(text.contains("drop       1 message at mb0:box (overflow)"));
    let json = sim::render::jsonl::render(&r.events);
    assert!(json.contains(r#""event":"mailbox_created","capacity":1,"mailbox":"mb0","mailbox_name":"box","overflow":"drop_oldest""#));
    assert!(json.contains(r#""name_len":3,"overflow":"drop_oldest""#));

    let plain = cell(
        Overflow::Block,
        Mode::NonBlocking,
        REFUSED("err would_block", false),
    );
    let text = plain.trace_text();
    assert!(text.contains("create_mailbox(capacity=1, name_len=3)\n"));
    assert!(text.contains("mailbox    created mb0:box capacity=1\n"));
    let json = sim::render::jsonl::render(&plain.events);
    assert!(json.contains(r#""overflow":"block""#));
}

/// A ledger as the test compares it: `endpoint:name`, sent, received, queued, drops by
/// reason, closed.
type Row = (String, u64, u64, u64, Vec<(DropReason, u64)>, bool);

/// Every endpoint's ledger, through every way a message can go: received, still queued,
/// dropped by overflow, by `delete_mailbox`, by the owner's exit and by the receiver's exit;
/// mailboxes and inboxes, live and gone, in creation order. The statistics show them.
#[test]
fn every_endpoint_keeps_a_ledger_that_balances() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, _log| async move {
        // mb0: overflow drops, then deleted with one message queued.
        let Ok(ring) = sys
            .create_mailbox_with(Capacity::Bounded(2), Some("ring"), Overflow::DropOldest)
            .await
        else {
            return 1;
        };
        for m in [b"1", b"2", b"3", b"4"] {
            let _ = sys.send(ring, m, Mode::NonBlocking).await;
        }
        let _ = sys.receive(ring, Mode::NonBlocking).await;
        let _ = sys.delete_mailbox(ring).await;
        // Anonymous, in the slot `ring` freed: one message still queued when main exits.
        let Ok(kept) = sys.create_mailbox(Capacity::Unbounded, None).await else {
            return 1;
        };
        let _ = sys.send(kept, b"left", Mode::NonBlocking).await;
        // A child that owns a mailbox and has an inbox, both holding messages when it exits.
        let Ok(child) = sys
            .spawn_with(userland::SpawnOptions::new("holder", 0).inbox(Capacity::Bounded(4)))
            .await
        else {
            return 1;
        };
        sys.sleep(5).await;
        if let Ok(theirs) = sys.lookup_mailbox("theirs").await {
            let _ = sys.send(theirs, b"t", Mode::NonBlocking).await;
        }
        let _ = sys.send(child, b"direct 1", Mode::NonBlocking).await;
        let _ = sys.send(child, b"direct 2", Mode::NonBlocking).await;
        let _ = sys.send(child, b"go", Mode::Blocking).await;
        let _ = sys.wait(child).await;
        // Main's own inbox is never sent to, so it has no ledger.
        0
    });
    prog(&mut t, "holder", &log, |sys, _, _log| async move {
        let _ = sys
            .create_mailbox(Capacity::Bounded(1), Some("theirs"))
            .await;
        // Take the first message from the inbox, then exit with the rest queued.
        let _ = sys.receive(Source::Any, Mode::Blocking).await;
        sys.sleep(10).await;
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{:#?}", report.exited);
    check_ledgers(&report);
    let rows: Vec<Row> = report
        .ledgers
        .iter()
        .map(|l| {
            (
                format!("{}:{}", l.endpoint, l.name.as_deref().unwrap_or("")),
                l.ledger.sent,
                l.ledger.received,
                l.queued,
                l.ledger.dropped.iter().collect(),
                l.closed,
            )
        })
        .collect();
    use DropReason::{MailboxDeleted, OwnerExited, ReceiverExited};
    assert_eq!(
        rows,
        [
            (
                "mb0:ring".to_string(),
                4,
                1,
                0,
                vec![(MailboxDeleted, 1), (DropReason::Overflow, 2)],
                true
            ),
            ("mb0.1:".to_string(), 1, 0, 0, vec![(OwnerExited, 1)], true),
            (
                "p1:holder".to_string(),
                3,
                1,
                0,
                vec![(ReceiverExited, 2)],
                true
            ),
            (
                "mb1:theirs".to_string(),
                1,
                0,
                0,
                vec![(OwnerExited, 1)],
                true
            ),
        ],
        "in creation order: ring, kept (the slot of ring, reused), the holder's inbox, \
         its mailbox"
    );
    insta::assert_snapshot!(stats::render(&report));
}
