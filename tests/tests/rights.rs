//! Rights carried in messages (`send_right`) and capability mode: a right moves exactly when
//! its message is received, and only if its sender still holds it then (else it is voided);
//! a message dropped unread leaves its right with the sender; the rights ledger says which,
//! and balances. In capability mode a send to a mailbox needs a send right.

use abi::{Capacity, Error, MailboxId, Mode, Pid, Right, Source};
use kernel::trace::EventKind;
use sim::Report;
use testkit::{config, prog, run, run_with, Log};
use testkit::{lookup, show};
use userland::{ProgramTable, SysResult};

fn count(report: &Report, f: impl Fn(&EventKind) -> bool) -> usize {
    report.events.iter().filter(|e| f(&e.kind)).count()
}

/// A receive right moves when the message is received, not when it is sent: until then
/// the sender owns the mailbox; after, the receiver does, and it reads the message's bytes
/// without the right's trailer.
#[test]
fn a_receive_right_moves_exactly_when_received() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let boxed = sys
            .create_mailbox(Capacity::Unbounded, Some("boxed"))
            .await
            .expect("create");
        let me = sys.getpid().await;
        let options = userland::SpawnOptions::new("taker", me.raw()).inbox(Capacity::Bounded(2));
        let taker = sys.spawn_with(options).await.expect("spawn");
        let r = sys
            .send_right(taker, b"yours", Mode::Blocking, Right::Receive(boxed))
            .await;
        log.push(format!("sent: {}", show(&r)));
        // Still main's while the message waits in the taker's inbox.
        log.push(format!(
            "main before: {}",
            show(
                &sys.receive(boxed, Mode::NonBlocking)
                    .await
                    .map(|m| m.text())
            )
        ));
        sys.send(taker, b"go", Mode::Blocking).await.expect("send");
        sys.sleep(20).await;
        log.push(format!(
            "main after: {}",
            show(
                &sys.receive(boxed, Mode::NonBlocking)
                    .await
                    .map(|m| m.text())
            )
        ));
        sys.wait(taker).await.expect("wait");
        0
    });
    prog(&mut t, "taker", &log, |sys, _, log| async move {
        let boxed = lookup(&sys, "boxed").await;
        sys.sleep(10).await;
        log.push(format!(
            "taker before: {}",
            show(
                &sys.receive(boxed, Mode::NonBlocking)
                    .await
                    .map(|m| m.text())
            )
        ));
        let m = sys
            .receive(Source::Any, Mode::Blocking)
            .await
            .expect("receive");
        log.push(format!("taker got: {:?} {:?}", m.text(), m.right));
        let _ = sys.receive(Source::Any, Mode::Blocking).await;
        log.push(format!(
            "taker after: {}",
            show(
                &sys.receive(boxed, Mode::NonBlocking)
                    .await
                    .map(|m| m.text())
            )
        ));
        sys.sleep(30).await;
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    let boxed = report.events.iter().find_map(|e| match e.kind {
        EventKind::MailboxCreated { id, .. } => Some(id),
        _ => None,
    });
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        [
            "main after: err not_owner".to_string(),
            "main before: err would_block".to_string(),
            "sent: ok ()".to_string(),
            "taker after: err would_block".to_string(),
            "taker before: err not_owner".to_string(),
            format!(
                "taker got: \"yours\" Some(Receive({:?}))",
                boxed.expect("created")
            ),
        ]
    );
    assert_eq!(report.rights.carried, 1);
    assert_eq!(report.rights.transferred, 1);
    assert_eq!(
        count(&report, |k| matches!(k, EventKind::RightTransferred { .. })),
        1
    );
}

/// A right its sender gave away before the message was received is voided: the message
/// arrives without it; a message dropped unread returns its right (the sender keeps it).
#[test]
fn a_right_is_voided_or_returned_never_duplicated() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let mine = sys
            .create_mailbox(Capacity::Unbounded, Some("mine"))
            .await
            .expect("create");
        let other = sys
            .create_mailbox(Capacity::Unbounded, Some("other"))
            .await
            .expect("create");
        let dump = sys
            .create_mailbox(Capacity::Unbounded, None)
            .await
            .expect("create");
        let options = userland::SpawnOptions::new("late", me.raw()).inbox(Capacity::Bounded(2));
        let late = sys.spawn_with(options).await.expect("spawn");
        // Voided: "mine" goes to the reader by transfer before the message is read.
        sys.send_right(late, b"too late", Mode::Blocking, Right::Receive(mine))
            .await
            .expect("send");
        let reader = sys.spawn("idle", 0).await.expect("spawn");
        sys.transfer_mailbox(mine, reader).await.expect("transfer");
        // Returned: the message carrying "other" is queued in a mailbox then deleted.
        sys.send_right(dump, b"lost", Mode::Blocking, Right::Receive(other))
            .await
            .expect("send");
        sys.delete_mailbox(dump).await.expect("delete");
        log.push(format!(
            "main still owns other: {}",
            show(
                &sys.receive(other, Mode::NonBlocking)
                    .await
                    .map(|m| m.text())
            )
        ));
        sys.send(late, b"go", Mode::Blocking).await.expect("send");
        sys.wait(late).await.expect("wait");
        sys.wait(reader).await.expect("wait");
        0
    });
    prog(&mut t, "late", &log, |sys, _, log| async move {
        sys.receive(Source::Any, Mode::Blocking)
            .await
            .map(|m| log.push(format!("late got {:?} right={:?}", m.text(), m.right)))
            .expect("receive");
        let _ = sys.receive(Source::Any, Mode::Blocking).await;
        0
    });
    prog(&mut t, "idle", &log, |sys, _, _| async move {
        sys.sleep(50).await;
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        [
            "late got \"too late\" right=None",
            "main still owns other: err would_block",
        ]
    );
    let r = report.rights;
    assert_eq!(
        (r.carried, r.transferred, r.voided, r.returned),
        (2, 0, 1, 1)
    );
    assert!(r.balances(0));
    assert_eq!(
        count(&report, |k| matches!(k, EventKind::RightVoided { .. })),
        1
    );
}

/// Capability mode: a send to a mailbox needs a send right. The creator holds one; a holder
/// grants one; a carried send right moves (its sender loses it, its receiver gains it).
#[test]
fn capability_mode_asks_a_send_right_and_rights_move_in_messages() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let inbox = sys
            .create_mailbox(Capacity::Unbounded, Some("inbox"))
            .await
            .expect("create");
        let options = userland::SpawnOptions::new("first", me.raw()).inbox(Capacity::Bounded(2));
        let first = sys.spawn_with(options).await.expect("spawn");
        let options = userland::SpawnOptions::new("second", me.raw()).inbox(Capacity::Bounded(2));
        let second = sys.spawn_with(options).await.expect("spawn");
        log.push(format!(
            "main sends to its own: {}",
            show(&sys.send(inbox, b"self", Mode::Blocking).await)
        ));
        sys.grant_send(inbox, first).await.expect("grant");
        sys.send(first, second.raw().to_le_bytes().as_slice(), Mode::Blocking)
            .await
            .expect("send");
        sys.wait(first).await.expect("wait");
        sys.wait(second).await.expect("wait");
        let mut got = Vec::new();
        while let Ok(m) = sys.receive(inbox, Mode::NonBlocking).await {
            got.push(m.text());
        }
        log.push(format!("inbox held {got:?}"));
        0
    });
    prog(&mut t, "first", &log, |sys, _, log| async move {
        let inbox = lookup(&sys, "inbox").await;
        let m = sys
            .receive(Source::Any, Mode::Blocking)
            .await
            .expect("receive");
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&m.bytes[..8]);
        let second = Pid::from_raw(u64::from_le_bytes(raw));
        log.push(format!(
            "first sends: {}",
            show(&sys.send(inbox, b"first", Mode::Blocking).await)
        ));
        sys.send_right(second, b"take it", Mode::Blocking, Right::Send(inbox))
            .await
            .expect("send_right");
        sys.sleep(20).await;
        log.push(format!(
            "first after passing: {}",
            show(&sys.send(inbox, b"again", Mode::Blocking).await)
        ));
        0
    });
    prog(&mut t, "second", &log, |sys, _, log| async move {
        let inbox = lookup(&sys, "inbox").await;
        log.push(format!(
            "second without: {}",
            show(&sys.send(inbox, b"no", Mode::NonBlocking).await)
        ));
        let m = sys
            .receive(Source::Any, Mode::Blocking)
            .await
            .expect("receive");
        log.push(format!(
            "second got a send right: {}",
            matches!(m.right, Some(Right::Send(_)))
        ));
        log.push(format!(
            "second sends: {}",
            show(&sys.send(inbox, b"second", Mode::Blocking).await)
        ));
        0
    });
    let mut cfg = config();
    cfg.kernel.capabilities = true;
    let report = run_with(cfg, t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        [
            "first after passing: err no_send_right",
            "first sends: ok ()",
            "inbox held [\"self\", \"first\", \"second\"]",
            "main sends to its own: ok ()",
            "second got a send right: true",
            "second sends: ok ()",
            "second without: err no_send_right",
        ]
    );
    assert_eq!(
        count(&report, |k| matches!(k, EventKind::SendGranted { .. })),
        1
    );
    assert_eq!(report.rights.transferred, 1);
}

/// Outside capability mode sends need no right (today's behaviour), but carrying or granting
/// a send right still needs one; every way a carried right can be wrong has its error.
#[test]
fn carried_rights_are_checked_at_the_send() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let me = sys.getpid().await;
        let other = sys.spawn("holder", 0).await.expect("spawn");
        let theirs = lookup(&sys, "theirs").await;
        let e = |r: SysResult<()>| show(&r);
        log.push(format!(
            "plain send: {}",
            e(sys.send(theirs, b"x", Mode::NonBlocking).await)
        ));
        log.push(format!(
            "their receive right: {}",
            e(sys
                .send_right(me, b"x", Mode::NonBlocking, Right::Receive(theirs))
                .await)
        ));
        log.push(format!(
            "a send right not held: {}",
            e(sys
                .send_right(me, b"x", Mode::NonBlocking, Right::Send(theirs))
                .await)
        ));
        log.push(format!(
            "a stale mailbox: {}",
            e(sys
                .send_right(
                    me,
                    b"x",
                    Mode::NonBlocking,
                    Right::Send(MailboxId::new(40, 0))
                )
                .await)
        ));
        log.push(format!(
            "grant_send not held: {}",
            e(sys.grant_send(theirs, me).await)
        ));
        let raw = sys
            .raw_syscall(abi::Sysno::SendRight as u64, [0, me.raw(), 0, 1, 0, 0], b"")
            .await;
        log.push(format!(
            "no right in the flags: {:?}",
            abi::result_of(&raw).map(drop).map_err(|e: Error| e)
        ));
        sys.wait(other).await.expect("wait");
        0
    });
    prog(&mut t, "holder", &log, |sys, _, _| async move {
        sys.create_mailbox(Capacity::Unbounded, Some("theirs"))
            .await
            .expect("create");
        sys.sleep(20).await;
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    assert_eq!(
        log.entries(),
        [
            "plain send: ok ()",
            "their receive right: err not_owner",
            "a send right not held: err no_send_right",
            "a stale mailbox: err no_such_mailbox",
            "grant_send not held: err no_send_right",
            "no right in the flags: Err(InvalidArgument)",
        ]
    );
    assert_eq!(report.rights.carried, 0, "a refused send carried nothing");
}

/// An owner waiting to receive from its mailbox when the message carrying the mailbox's
/// receive right is received loses its wait: its receive ends with `not_owner`.
#[test]
fn an_owner_waiting_on_its_mailbox_loses_the_wait_with_the_right() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let boxed = sys
            .create_mailbox(Capacity::Zero, None)
            .await
            .expect("create");
        let options = userland::SpawnOptions::new("heir", 0).inbox(Capacity::Bounded(1));
        let heir = sys.spawn_with(options).await.expect("spawn");
        sys.send_right(heir, b"yours", Mode::Blocking, Right::Receive(boxed))
            .await
            .expect("send");
        let r = sys.receive(boxed, Mode::Blocking).await;
        log.push(format!("main waiting: {}", show(&r.map(|m| m.text()))));
        sys.wait(heir).await.expect("wait");
        0
    });
    prog(&mut t, "heir", &log, |sys, _, _| async move {
        sys.sleep(10).await;
        sys.receive(Source::Any, Mode::Blocking)
            .await
            .expect("receive");
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    assert_eq!(log.entries(), ["main waiting: err not_owner"]);
    assert!(report.trace_text().contains("(revoked)"));
}
