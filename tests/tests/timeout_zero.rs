//! A timeout of zero: "try once, and time out at once if it cannot complete", for every call
//! that takes a mode (`send`, `receive`, `call`, `wait`). A zero timeout never blocks: a call
//! that can complete at once completes, one that would have to wait fails with `timed_out`,
//! exactly as its non-blocking form fails with `would_block`. A `call` is the one whose
//! second half (the reply) can never complete at once: its request is tried once, as a
//! non-blocking send would be, and the call then gives up on the reply with `timed_out`.

use abi::{Capacity, Mode};
use kernel::trace::{EventKind, ReplyDropReason, WaitQueueId};
use sim::{Outcome, Report};
use testkit::show;
use testkit::{config, prog, run, run_with, Log};
use userland::ProgramTable;

/// The processes (by name) that ever blocked on a queue `pick` selects.
fn blocked_on(report: &Report, pick: impl Fn(&WaitQueueId) -> bool) -> usize {
    report
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Block { queue, .. } if pick(queue)))
        .count()
}

/// How many replies were dropped because their caller no longer waited.
fn replies_dropped_not_waiting(report: &Report) -> usize {
    report
        .events
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                EventKind::ReplyDropped {
                    reason: ReplyDropReason::NotWaiting,
                    ..
                }
            )
        })
        .count()
}

/// `send` and `receive` with a zero timeout complete when they can and fail with `timed_out`
/// when they would wait; a failed send sent nothing.
#[test]
fn send_and_receive_try_once() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let one = sys
            .create_mailbox(Capacity::Bounded(1), None)
            .await
            .expect("create");
        let r = sys.send(one, b"a", Mode::Timeout(0)).await;
        log.push(format!("send with room: {}", show(&r)));
        let r = sys.send(one, b"b", Mode::Timeout(0)).await;
        log.push(format!("send to full: {}", show(&r)));
        let r = sys.receive(one, Mode::Timeout(0)).await;
        log.push(format!("receive queued: {}", show(&r.map(|m| m.text()))));
        let r = sys.receive(one, Mode::Timeout(0)).await;
        log.push(format!("receive empty: {}", show(&r.map(|m| m.text()))));
        // A rendezvous completes at once when the receiver is already there.
        let child = sys.spawn("rendezvous", 0).await.expect("spawn");
        let rv = loop {
            match sys.lookup_mailbox("rv").await {
                Ok(m) => break m,
                Err(_) => sys.yield_now().await,
            }
        };
        sys.sleep(5).await;
        let r = sys.send(rv, b"c", Mode::Timeout(0)).await;
        log.push(format!("send to a waiting receiver: {}", show(&r)));
        let r = sys.send(rv, b"d", Mode::Timeout(0)).await;
        log.push(format!("send with nobody waiting: {}", show(&r)));
        let r = sys.wait(child).await;
        log.push(format!("wait: {}", show(&r)));
        0
    });
    prog(&mut t, "rendezvous", &log, |sys, _, log| async move {
        let rv = sys
            .create_mailbox(Capacity::Zero, Some("rv"))
            .await
            .expect("create");
        let r = sys.receive(rv, Mode::Blocking).await;
        log.push(format!("rendezvous got: {}", show(&r.map(|m| m.text()))));
        0
    });
    let report = run(t, "main");
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(
        log.entries(),
        [
            "send with room: ok ()",
            "send to full: err timed_out",
            "receive queued: ok \"a\"",
            "receive empty: err timed_out",
            // The sender keeps its CPU: it logs before the woken receiver runs.
            "send to a waiting receiver: ok ()",
            "send with nobody waiting: err timed_out",
            "rendezvous got: ok \"c\"",
            "wait: ok 0",
        ]
    );
    // "b" and "d" never entered the kernel.
    assert_eq!((report.ledger.sent, report.ledger.received), (2, 2));
    // Nobody waited on a mailbox's senders or receiver queue but the rendezvous's owner.
    assert_eq!(
        blocked_on(&report, |q| matches!(q, WaitQueueId::MailboxSenders(_))),
        0
    );
}

/// `wait` with a zero timeout collects a child that has exited and times out on a live one.
#[test]
fn wait_tries_once() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let child = sys.spawn("sleeper", 0).await.expect("spawn");
        let r = sys.wait_mode(child, Mode::Timeout(0)).await;
        log.push(format!("wait on a live child: {}", show(&r)));
        sys.sleep(20).await;
        let r = sys.wait_mode(child, Mode::Timeout(0)).await;
        log.push(format!("wait on an exited child: {}", show(&r)));
        0
    });
    prog(&mut t, "sleeper", &log, |sys, _, _| async move {
        sys.sleep(5).await;
        3
    });
    let report = run(t, "main");
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(
        log.entries(),
        [
            "wait on a live child: err timed_out",
            "wait on an exited child: ok 3",
        ]
    );
}

/// A `call` with a zero timeout: nothing is sent when the request would have to wait; when
/// it can be handed over or queued at once it is sent (and delivered, flagged as a call),
/// the caller gets `timed_out` without waiting, and the late reply is dropped. It is not
/// `invalid_argument` (a non-blocking call still is).
#[test]
fn call_sends_once_and_gives_up_on_the_reply() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let r = sys
            .call(abi::MailboxId::new(40, 0), b"x", Mode::Timeout(0))
            .await;
        log.push(format!(
            "call to no mailbox: {}",
            show(&r.map(|m| m.text()))
        ));
        let r = sys.call(sys.getpid().await, b"x", Mode::NonBlocking).await;
        log.push(format!("non-blocking call: {}", show(&r.map(|m| m.text()))));
        let server = sys.spawn("server", 0).await.expect("spawn");
        let (rv, one) = loop {
            match (
                sys.lookup_mailbox("rv").await,
                sys.lookup_mailbox("one").await,
            ) {
                (Ok(rv), Ok(one)) => break (rv, one),
                _ => sys.yield_now().await,
            }
        };
        sys.sleep(5).await;
        // The server waits on "rv": the request is handed over.
        let r = sys.call(rv, b"handed", Mode::Timeout(0)).await;
        log.push(format!(
            "call to a waiting server: {}",
            show(&r.map(|m| m.text()))
        ));
        // Nobody waits on "rv" now and it has no room: nothing is sent.
        let r = sys.call(rv, b"never", Mode::Timeout(0)).await;
        log.push(format!("call with no room: {}", show(&r.map(|m| m.text()))));
        // "one" has room: the request is queued.
        let r = sys.call(one, b"queued", Mode::Timeout(0)).await;
        log.push(format!("call with room: {}", show(&r.map(|m| m.text()))));
        let r = sys.wait(server).await;
        log.push(format!("wait: {}", show(&r)));
        0
    });
    prog(&mut t, "server", &log, |sys, _, log| async move {
        let rv = sys
            .create_mailbox(Capacity::Zero, Some("rv"))
            .await
            .expect("create");
        let one = sys
            .create_mailbox(Capacity::Bounded(1), Some("one"))
            .await
            .expect("create");
        for mb in [rv, one] {
            if mb == one {
                sys.sleep(30).await;
            }
            let m = sys.receive(mb, Mode::Blocking).await.expect("receive");
            log.push(format!("server got {:?} call={}", m.text(), m.is_call));
            let r = sys.reply(m.sender, b"late").await;
            log.push(format!("server reply: {}", show(&r)));
        }
        0
    });
    let report = run(t, "main");
    assert_eq!(report.outcome, Outcome::Completed);
    let entries = log.entries();
    let main: Vec<_> = entries
        .iter()
        .filter(|e| !e.starts_with("server"))
        .collect();
    assert_eq!(
        main,
        [
            "call to no mailbox: err no_such_mailbox",
            "non-blocking call: err invalid_argument",
            "call to a waiting server: err timed_out",
            "call with no room: err timed_out",
            "call with room: err timed_out",
            "wait: ok 0",
        ]
    );
    let server: Vec<_> = entries.iter().filter(|e| e.starts_with("server")).collect();
    assert_eq!(
        server,
        [
            "server got \"handed\" call=true",
            "server reply: ok ()",
            "server got \"queued\" call=true",
            "server reply: ok ()",
        ]
    );
    // Two requests were sent and received; "never" never entered the kernel.
    assert_eq!((report.ledger.sent, report.ledger.received), (2, 2));
    // The caller never waited for a reply, so both replies found nobody waiting.
    assert_eq!(replies_dropped_not_waiting(&report), 2);
    assert_eq!(
        blocked_on(&report, |q| matches!(
            q,
            WaitQueueId::Replies(_) | WaitQueueId::MailboxCallers(_)
        )),
        0,
        "a zero timeout never waits for a reply"
    );
}

/// Deadlock refusal is about waiting: a zero-timeout call never waits, so a call to the
/// caller's own mailbox (which a blocking call would be refused for) queues its request and
/// times out, and the caller can take the request itself.
#[test]
fn call_with_zero_timeout_is_never_refused_as_a_deadlock() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let own = sys
            .create_mailbox(Capacity::Bounded(2), None)
            .await
            .expect("create");
        let r = sys.call(own, b"blocking", Mode::Blocking).await;
        log.push(format!(
            "blocking call to itself: {}",
            show(&r.map(|m| m.text()))
        ));
        let r = sys.call(own, b"zero", Mode::Timeout(0)).await;
        log.push(format!(
            "zero-timeout call to itself: {}",
            show(&r.map(|m| m.text()))
        ));
        let r = sys.receive(own, Mode::NonBlocking).await;
        log.push(format!("took: {}", show(&r.map(|m| (m.text(), m.is_call)))));
        0
    });
    let mut cfg = config();
    cfg.kernel.refuse_deadlock = true;
    let report = run_with(cfg, t, "main");
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(
        log.entries(),
        [
            "blocking call to itself: err deadlock",
            "zero-timeout call to itself: err timed_out",
            "took: ok (\"zero\", true)",
        ]
    );
    assert_eq!(report.ledger.sent, 1, "the refused call sent nothing");
}

/// The scenario language's `timeout 0` is the kernel's: `send`, `receive` and `call` each try
/// once; the call's request, sent at once, is still delivered (and its reply dropped).
#[test]
fn scenario_statements_take_a_zero_timeout() {
    let text = r#"
mailbox jobs capacity 1 owner server

process client {
  send jobs "one" timeout 0
  expect ok
  send jobs "two" timeout 0
  expect timed_out
  receive any timeout 0
  expect timed_out
  sleep 20
  call jobs "three" timeout 0
  expect timed_out
  sleep 30
}

process server {
  sleep 10
  receive jobs timeout 0
  expect bytes "one"
  sleep 20
  receive jobs timeout 0
  expect bytes "three"
  reply "too late"
  expect ok
}
"#;
    let s = userland::scenario::load("zero.sim", text).expect("loads");
    let cfg = sim::scenario::configure(&s, config());
    let report = sim::scenario::run(s, cfg).expect("boots");
    assert!(
        report.succeeded(),
        "every expect holds: {:?}\n{}",
        report.outcome,
        report.trace_text()
    );
    assert!(report.ledger_balances());
    assert_eq!(replies_dropped_not_waiting(&report), 1);
}
