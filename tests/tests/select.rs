//! `select`: one receive over a set of endpoints (mailboxes the caller may receive from, and
//! its own inbox), returning the message and which endpoint it came from; blocking,
//! non-blocking or timed; fair among ready endpoints (round robin from after the endpoint the
//! previous select took from); and every way a set can be wrong, each with its error.

use abi::{Capacity, MailboxId, Mode, Pid, Receivers, Source, Sysno};
use kernel::trace::{EventKind, WaitQueueId, WakeReason};
use sim::Report;
use testkit::lookup;
use testkit::{prog, run, Log};
use userland::{MailboxOptions, ProgramTable, SysResult};

/// A select's result as `ok #POS "text"` or `err NAME`.
fn show(r: &SysResult<(usize, userland::Message)>) -> String {
    match r {
        Ok((pos, m)) => format!("ok #{pos} {:?}", m.text()),
        Err(e) => format!("err {e}"),
    }
}

fn blocked_on_select(report: &Report) -> usize {
    report
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Block {
                    queue: WaitQueueId::Select(_),
                    ..
                }
            )
        })
        .count()
}

/// Without a ready endpoint a non-blocking select fails with `would_block` and a timed one
/// with `timed_out` (at once for a zero timeout); a ready endpoint gives its message with its
/// position in the set; a buffer too small consumes nothing.
#[test]
fn modes_positions_and_buffers() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let a = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        let b = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        let set = [Source::Mailbox(a), Source::Mailbox(b), Source::Any];
        log.push(format!(
            "empty, nonblocking: {}",
            show(&sys.select(&set, Mode::NonBlocking).await)
        ));
        log.push(format!(
            "empty, timeout 5: {}",
            show(&sys.select(&set, Mode::Timeout(5)).await)
        ));
        log.push(format!(
            "empty, timeout 0: {}",
            show(&sys.select(&set, Mode::Timeout(0)).await)
        ));
        sys.send(b, b"to b", Mode::Blocking).await.expect("send");
        log.push(format!(
            "too small: {}",
            show(&sys.select_upto(&set, 2, Mode::NonBlocking).await)
        ));
        log.push(format!(
            "b ready: {}",
            show(&sys.select(&set, Mode::NonBlocking).await)
        ));
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded());
    assert_eq!(
        log.entries(),
        [
            "empty, nonblocking: err would_block",
            "empty, timeout 5: err timed_out",
            "empty, timeout 0: err timed_out",
            "too small: err buffer_too_small",
            "b ready: ok #1 \"to b\"",
        ]
    );
    assert_eq!(
        blocked_on_select(&report),
        1,
        "only the timed select waited"
    );
    assert!(report
        .trace_text()
        .contains("ok from p0:main 4B via endpoint 1"));
}

/// Fair among ready endpoints: with messages waiting at every endpoint, successive selects
/// take from each in turn, starting after the one the previous select took from.
#[test]
fn ready_endpoints_are_served_in_turn() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mut set = Vec::new();
        for i in 0..3 {
            let m = sys
                .create_mailbox(Capacity::Unbounded, None)
                .await
                .expect("create");
            for j in 0..3 {
                let text = format!("m{i}.{j}");
                sys.send(m, text.as_bytes(), Mode::Blocking)
                    .await
                    .expect("send");
            }
            set.push(Source::Mailbox(m));
        }
        for _ in 0..9 {
            let r = sys.select(&set, Mode::NonBlocking).await;
            log.push(show(&r));
        }
        log.push(show(&sys.select(&set, Mode::NonBlocking).await));
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded());
    assert_eq!(
        log.entries(),
        [
            "ok #0 \"m0.0\"",
            "ok #1 \"m1.0\"",
            "ok #2 \"m2.0\"",
            "ok #0 \"m0.1\"",
            "ok #1 \"m1.1\"",
            "ok #2 \"m2.1\"",
            "ok #0 \"m0.2\"",
            "ok #1 \"m1.2\"",
            "ok #2 \"m2.2\"",
            "err would_block",
        ]
    );
}

/// A blocked select is woken by the first message at any endpoint of its set, handed over
/// from the sender (its position reported); it then no longer watches the others, whose
/// later messages queue normally.
#[test]
fn a_blocked_select_takes_the_first_message_at_any_endpoint() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let a = sys
            .create_mailbox(Capacity::Bounded(2), Some("a"))
            .await
            .expect("create");
        let me = sys.getpid().await;
        let sender = sys.spawn("sender", me.raw()).await.expect("spawn");
        let set = [Source::Mailbox(a), Source::Any];
        log.push(format!(
            "first: {}",
            show(&sys.select(&set, Mode::Blocking).await)
        ));
        sys.sleep(20).await;
        log.push(format!(
            "second: {}",
            show(&sys.select(&set, Mode::Timeout(50)).await)
        ));
        log.push(format!(
            "third: {}",
            show(&sys.select(&set, Mode::NonBlocking).await)
        ));
        sys.wait(sender).await.expect("wait");
        0
    });
    prog(&mut t, "sender", &log, |sys, main, _| async move {
        let a = lookup(&sys, "a").await;
        sys.sleep(10).await;
        // main waits in select now: the message goes straight to it.
        sys.send(Pid::from_raw(main), b"direct", Mode::Blocking)
            .await
            .expect("send");
        // main sleeps: these queue.
        sys.send(a, b"queued a", Mode::Blocking)
            .await
            .expect("send");
        sys.send(a, b"queued b", Mode::Blocking)
            .await
            .expect("send");
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    assert_eq!(
        log.entries(),
        [
            "first: ok #1 \"direct\"",
            "second: ok #0 \"queued a\"",
            "third: ok #0 \"queued b\"",
        ]
    );
    assert!(report
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::MessageHandedOver { .. })));
    assert!(report.trace_text().contains("block      on p0:main.select"));
}

/// Deleting a watched mailbox ends the select with `mailbox_deleted`; revoking the grant
/// of a watched shared mailbox ends it with `not_owner`; the timer ends it with `timed_out`.
#[test]
fn deletion_revocation_and_timeout_end_a_waiting_select() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let owner = sys.spawn("owner", me.raw()).await.expect("spawn");
        lookup(&sys, "ready").await;
        let doomed = lookup(&sys, "doomed").await;
        let shared = lookup(&sys, "shared").await;
        let set = [Source::Mailbox(doomed), Source::Any];
        log.push(format!(
            "deleted: {}",
            show(&sys.select(&set, Mode::Blocking).await)
        ));
        let set = [Source::Any, Source::Mailbox(shared)];
        log.push(format!(
            "revoked: {}",
            show(&sys.select(&set, Mode::Blocking).await)
        ));
        let set = [Source::Any];
        log.push(format!(
            "timed: {}",
            show(&sys.select(&set, Mode::Timeout(5)).await)
        ));
        sys.wait(owner).await.expect("wait");
        0
    });
    prog(&mut t, "owner", &log, |sys, main, _| async move {
        let main = Pid::from_raw(main);
        let mut made = Vec::new();
        for name in ["doomed", "shared"] {
            let options = MailboxOptions::new(Capacity::Zero)
                .name(name)
                .receivers(Receivers::Fifo);
            let m = sys.create_mailbox_opts(options).await.expect("create");
            sys.grant_receive(m, main).await.expect("grant");
            made.push(m);
        }
        sys.create_mailbox(Capacity::Zero, Some("ready"))
            .await
            .expect("create");
        sys.sleep(20).await;
        sys.delete_mailbox(made[0]).await.expect("delete");
        sys.sleep(20).await;
        sys.revoke_receive(made[1], main).await.expect("revoke");
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    assert_eq!(
        log.entries(),
        [
            "deleted: err mailbox_deleted",
            "revoked: err not_owner",
            "timed: err timed_out",
        ]
    );
    let reasons: Vec<WakeReason> = report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wake { reason, .. } if reason != WakeReason::Completed => Some(reason),
            _ => None,
        })
        .filter(|r| *r != WakeReason::SleepEnded)
        .collect();
    assert_eq!(
        reasons,
        [
            WakeReason::MailboxDeleted,
            WakeReason::Revoked,
            WakeReason::TimedOut
        ]
    );
    assert_eq!(blocked_on_select(&report), 3);
}

/// Every way a set can be wrong, and the error it gets: malformed sets are
/// `invalid_argument`, a mailbox the caller may not receive from `not_owner`, a mailbox that
/// is gone `no_such_mailbox`; a `one_at_a_time` mailbox that another receiver waits on is
/// `receiver_busy`.
#[test]
fn every_wrong_set_has_its_error() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mine = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        let me = sys.getpid().await;
        let other = sys.spawn("other", me.raw()).await.expect("spawn");
        let theirs = lookup(&sys, "theirs").await;
        let gone = sys
            .create_mailbox(Capacity::Zero, None)
            .await
            .expect("create");
        sys.delete_mailbox(gone).await.expect("delete");
        let e = |r: SysResult<(usize, userland::Message)>| show(&r);
        let nb = Mode::NonBlocking;
        log.push(format!("empty set: {}", e(sys.select(&[], nb).await)));
        log.push(format!(
            "twice: {}",
            e(sys.select(&[Source::Any, Source::Any], nb).await)
        ));
        log.push(format!(
            "a process: {}",
            e(sys.select(&[Source::Process(other)], nb).await)
        ));
        let many: Vec<Source> = (0..=abi::MAX_SELECT as u32)
            .map(|i| Source::Mailbox(MailboxId::new(i, 0)))
            .collect();
        log.push(format!("too many: {}", e(sys.select(&many, nb).await)));
        log.push(format!(
            "not mine: {}",
            e(sys
                .select(&[Source::Mailbox(mine), Source::Mailbox(theirs)], nb)
                .await)
        ));
        log.push(format!(
            "gone: {}",
            e(sys.select(&[Source::Mailbox(gone)], nb).await)
        ));
        // A count longer than the bytes: only a raw frame can say it.
        let ret = sys
            .raw_syscall(
                Sysno::Select as u64,
                [2, 64, 1, 0, 0, 0],
                &abi::encode_select_set(&[Source::Any]),
            )
            .await;
        log.push(format!("short bytes: {:?}", abi::result_of(&ret).map(drop)));
        let busy = lookup(&sys, "busy").await;
        sys.sleep(20).await;
        log.push(format!(
            "busy: {}",
            e(sys.select(&[Source::Mailbox(busy)], nb).await)
        ));
        sys.wait(other).await.expect("wait");
        0
    });
    prog(&mut t, "other", &log, |sys, main, _| async move {
        let me = sys.getpid().await;
        sys.create_mailbox(Capacity::Zero, Some("theirs"))
            .await
            .expect("create");
        let options = MailboxOptions::new(Capacity::Zero)
            .name("busy")
            .receivers(Receivers::OneAtATime);
        let busy = sys.create_mailbox_opts(options).await.expect("create");
        let main = Pid::from_raw(main);
        sys.grant_receive(busy, main).await.expect("grant");
        let _ = me;
        // Waits on "busy" until main's select has been refused, then times out.
        let _ = sys.receive(busy, Mode::Timeout(40)).await;
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    assert_eq!(
        log.entries(),
        [
            "empty set: err invalid_argument",
            "twice: err invalid_argument",
            "a process: err invalid_argument",
            "too many: err invalid_argument",
            "not mine: err not_owner",
            "gone: err no_such_mailbox",
            "short bytes: Err(InvalidArgument)",
            "busy: err receiver_busy",
        ]
    );
}
