//! Mailboxes with more than one receiver: the receiver policies (`owner_only`, `fifo`,
//! `round_robin`, `one_at_a_time`), `grant_receive` and `revoke_receive`, a `send` that
//! reports who took its message, owner-owned and system-owned mailboxes, and the rules that
//! keep holding with several receivers: each message read by exactly one receiver, deletion
//! waking every waiting receiver, the ledger balancing, and the wait-for graph (deadlock
//! refusal and the deadlock report) seeing that any of a shared mailbox's receivers may
//! release its senders.

use abi::{Capacity, Lifetime, Mode, Pid, Receivers, Source};
use kernel::ipc::MAX_GRANTED_RECEIVERS;
use kernel::trace::{EventKind, WaitQueueId, WakeReason};
use sim::{Outcome, Report};
use std::collections::BTreeMap;
use testkit::{config, prog, run, run_with, Log};
use testkit::{lookup, show};
use userland::{MailboxOptions, ProgramTable, Sys, SysResult};

/// A pool: `main` creates the mailbox `pool` with `receivers`, spawns `workers` workers,
/// grants each the receive privilege, waits until they all wait in `receive`, then, if
/// `owner_receives`, receives itself, and sends `messages` messages (zero capacity, reporting
/// who took each). Each worker receives until the mailbox is deleted. The log holds
/// `took: <pid> <message>` for each message received and `sent <message> -> <taker>` for each
/// send.
fn pool(
    receivers: Receivers,
    workers: u64,
    messages: u64,
    arrival: fn(u64) -> u64,
) -> (Report, Log<String>) {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, move |sys, _, log| async move {
        let options = MailboxOptions::new(Capacity::Zero)
            .name("pool")
            .receivers(receivers);
        let mb = sys.create_mailbox_opts(options).await.expect("create");
        let mut kids = Vec::new();
        for i in 0..workers {
            let w = sys.spawn("worker", arrival(i)).await.expect("spawn");
            sys.grant_receive(mb, w).await.expect("grant");
            kids.push(w);
        }
        // Every worker waits in `receive` after its arrival delay.
        sys.sleep(50).await;
        for i in 0..messages {
            let text = format!("m{i}");
            let r = sys
                .send_reporting(mb, text.as_bytes(), Mode::Blocking)
                .await;
            log.push(format!(
                "sent {text} -> {}",
                show(&r.map(|p| p.map(|p| p.to_string())))
            ));
            // Let the taker run and go back to waiting before the next send.
            sys.sleep(10).await;
        }
        sys.delete_mailbox(mb).await.expect("delete");
        for w in kids {
            sys.wait(w).await.expect("wait");
        }
        0
    });
    prog(&mut t, "worker", &log, |sys, arrival, log| async move {
        let mb = lookup(&sys, "pool").await;
        sys.sleep(arrival).await;
        let me = sys.getpid().await;
        loop {
            match sys.receive(mb, Mode::Blocking).await {
                Ok(m) => log.push(format!("took: {me} {}", m.text())),
                Err(e) => {
                    log.push(format!("worker {me} ended: {e}"));
                    return 0;
                }
            }
        }
    });
    let report = run(t, "main");
    assert_eq!(
        report.outcome,
        Outcome::Completed,
        "{}",
        report.trace_text()
    );
    (report, log)
}

/// The pool's workers, in the order main spawned (and granted) them.
fn workers_in_spawn_order(report: &Report) -> Vec<String> {
    let mut workers: Vec<Pid> = report
        .exited
        .iter()
        .filter(|e| e.name.ends_with("worker"))
        .map(|e| e.pid)
        .collect();
    workers.sort_by_key(|p| p.index());
    workers.iter().map(Pid::to_string).collect()
}

/// Each message was read by exactly one receiver, and the sender learned which.
fn each_message_read_once(log: &Log<String>, messages: u64) -> BTreeMap<String, String> {
    let mut taker = BTreeMap::new();
    for e in log.entries() {
        if let Some(rest) = e.strip_prefix("took: ") {
            let (who, msg) = rest.split_once(' ').expect("who and message");
            assert!(
                taker.insert(msg.to_string(), who.to_string()).is_none(),
                "{msg} read twice"
            );
        }
    }
    assert_eq!(
        taker.len() as u64,
        messages,
        "every message read: {taker:?}"
    );
    for (msg, who) in &taker {
        let sent = format!("sent {msg} -> ok Some(\"{who}\")");
        assert!(
            log.entries().contains(&sent),
            "the sender of {msg} learned it went to {who}: {:?}",
            log.entries()
        );
    }
    taker
}

/// `fifo`: the longest-waiting receiver gets the next message; each message goes to exactly
/// one receiver; deleting the mailbox wakes every waiting receiver with `mailbox_deleted`.
#[test]
fn fifo_serves_receivers_in_the_order_they_began_to_wait() {
    // Workers begin to wait in the reverse of their spawn order.
    let (report, log) = pool(Receivers::Fifo, 3, 3, |i| 30 - 10 * i);
    let taker = each_message_read_once(&log, 3);
    let workers = workers_in_spawn_order(&report);
    let w = |i: usize| workers[i].clone();
    // m0 goes to the worker that waited first (the last spawned); after taking a message a
    // worker waits again at the back of the queue.
    assert_eq!(taker["m0"], w(2));
    assert_eq!(taker["m1"], w(1));
    assert_eq!(taker["m2"], w(0));
    let ended = log
        .entries()
        .iter()
        .filter(|e| e.ends_with("ended: mailbox_deleted"))
        .count();
    assert_eq!(ended, 3, "deletion woke every waiting receiver");
    let deleted = report.events.iter().find_map(|e| match &e.kind {
        EventKind::MailboxDeleted { woken, .. } => Some(*woken),
        _ => None,
    });
    assert_eq!(deleted, Some(3));
}

/// `round_robin`: messages go around the members in grant order, whoever waited first.
#[test]
fn round_robin_serves_members_in_turn_whoever_waited_first() {
    let (report, log) = pool(Receivers::RoundRobin, 3, 6, |i| 30 - 10 * i);
    let taker = each_message_read_once(&log, 6);
    let workers = workers_in_spawn_order(&report);
    // The owner never receives, so the turn goes round the three workers in grant order.
    let order: Vec<&String> = (0..6).map(|i| &taker[&format!("m{i}")]).collect();
    assert_eq!(
        order,
        [
            &workers[0],
            &workers[1],
            &workers[2],
            &workers[0],
            &workers[1],
            &workers[2]
        ]
    );
}

/// `owner_only` keeps today's rules: a grant is refused, and only the owner receives; a
/// send to it reports nobody (the sender knows who reads it).
#[test]
fn owner_only_refuses_grants_and_reports_no_taker() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Bounded(1), Some("own"))
            .await
            .expect("create");
        let other = sys.spawn("other", 0).await.expect("spawn");
        log.push(format!(
            "grant: {}",
            show(&sys.grant_receive(mb, other).await)
        ));
        log.push(format!(
            "send: {}",
            show(&sys.send_reporting(mb, b"x", Mode::Blocking).await)
        ));
        sys.wait(other).await.expect("wait");
        0
    });
    prog(&mut t, "other", &log, |sys, _, log| async move {
        let mb = lookup(&sys, "own").await;
        let r = sys.receive(mb, Mode::NonBlocking).await;
        log.push(format!("other receives: {}", show(&r.map(|m| m.text()))));
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded());
    assert_eq!(
        log.entries(),
        [
            "grant: err invalid_argument",
            "send: ok None",
            "other receives: err not_owner",
        ]
    );
}

/// Every way a grant or revoke can be wrong, each with its own error; a revoke wakes the
/// receiver it concerns with `not_owner`; revoking what was never granted changes nothing.
#[test]
fn grant_and_revoke_errors_and_a_revoked_waiter() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let shared = MailboxOptions::new(Capacity::Unbounded)
            .name("shared")
            .receivers(Receivers::Fifo);
        let mb = sys.create_mailbox_opts(shared).await.expect("create");
        let stranger = sys.spawn("stranger", 0).await.expect("spawn");
        let waiter = sys.spawn("waiter", 0).await.expect("spawn");
        let gone = sys.spawn("idle", 0).await.expect("spawn");
        sys.wait(gone).await.expect("wait");
        let e = |r: SysResult<()>| show(&r);
        log.push(format!(
            "grant to gone: {}",
            e(sys.grant_receive(mb, gone).await)
        ));
        log.push(format!(
            "grant on no mailbox: {}",
            e(sys.grant_receive(abi::MailboxId::new(40, 0), waiter).await)
        ));
        log.push(format!("grant: {}", e(sys.grant_receive(mb, waiter).await)));
        log.push(format!(
            "grant again: {}",
            e(sys.grant_receive(mb, waiter).await)
        ));
        log.push(format!(
            "revoke never granted: {}",
            e(sys.revoke_receive(mb, stranger).await)
        ));
        sys.sleep(20).await;
        // The waiter waits in `receive` on the mailbox now.
        log.push(format!(
            "revoke: {}",
            e(sys.revoke_receive(mb, waiter).await)
        ));
        sys.wait(waiter).await.expect("wait");
        sys.wait(stranger).await.expect("wait");
        0
    });
    prog(&mut t, "stranger", &log, |sys, _, log| async move {
        let mb = lookup(&sys, "shared").await;
        let me = sys.getpid().await;
        let e = |r: SysResult<()>| show(&r);
        log.push(format!(
            "stranger grants: {}",
            e(sys.grant_receive(mb, me).await)
        ));
        log.push(format!(
            "stranger revokes: {}",
            e(sys.revoke_receive(mb, me).await)
        ));
        log.push(format!(
            "stranger receives: {}",
            show(&sys.receive(mb, Mode::NonBlocking).await.map(|m| m.text()))
        ));
        0
    });
    prog(&mut t, "waiter", &log, |sys, _, log| async move {
        let mb = lookup(&sys, "shared").await;
        sys.sleep(5).await;
        let r = sys.receive(mb, Mode::Blocking).await;
        log.push(format!("waiter: {}", show(&r.map(|m| m.text()))));
        let r = sys.receive(mb, Mode::NonBlocking).await;
        log.push(format!("waiter again: {}", show(&r.map(|m| m.text()))));
        0
    });
    prog(&mut t, "idle", &log, |_, _, _| async move { 0 });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    let entries = log.entries();
    let of = |prefix: &str| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e.starts_with(prefix))
            .cloned()
            .collect()
    };
    assert_eq!(
        of("stranger"),
        [
            "stranger grants: err not_owner",
            "stranger revokes: err not_owner",
            "stranger receives: err not_owner",
        ]
    );
    assert_eq!(
        of("waiter"),
        ["waiter: err not_owner", "waiter again: err not_owner"]
    );
    assert_eq!(
        of("grant")
            .into_iter()
            .chain(of("revoke"))
            .collect::<Vec<_>>(),
        [
            "grant to gone: err no_such_process",
            "grant on no mailbox: err no_such_mailbox",
            "grant: ok ()",
            "grant again: ok ()",
            "revoke never granted: ok ()",
            "revoke: ok ()",
        ]
    );
    let granted = report
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ReceiveGranted { .. }))
        .count();
    assert_eq!(granted, 1, "granting twice is one grant");
    assert!(report.events.iter().any(|e| matches!(
        e.kind,
        EventKind::Wake {
            reason: WakeReason::Revoked,
            ..
        }
    )));
    assert!(report
        .trace_text()
        .contains("revoke     receive mb0:shared from"));
}

/// A mailbox's grants are bounded: past `MAX_GRANTED_RECEIVERS` live grantees a grant is
/// `out_of_memory`; a grantee that exits frees its place.
#[test]
fn grants_are_bounded() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let options = MailboxOptions::new(Capacity::Zero).receivers(Receivers::Fifo);
        let mb = sys.create_mailbox_opts(options).await.expect("create");
        let mut kids = Vec::new();
        for _ in 0..=MAX_GRANTED_RECEIVERS {
            kids.push(sys.spawn("sleeper", 0).await.expect("spawn"));
        }
        for (i, k) in kids.iter().enumerate() {
            let r = sys.grant_receive(mb, *k).await;
            if r.is_err() {
                log.push(format!("grant {i}: {}", show(&r)));
            }
        }
        let last = *kids.last().expect("kids");
        let first = kids[0];
        sys.wait(first).await.expect("wait");
        log.push(format!(
            "after an exit: {}",
            show(&sys.grant_receive(mb, last).await)
        ));
        for k in &kids[1..] {
            sys.wait(*k).await.expect("wait");
        }
        0
    });
    prog(&mut t, "sleeper", &log, |sys, _, _| async move {
        sys.sleep(10_000).await;
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded());
    assert_eq!(
        log.entries(),
        [
            format!("grant {MAX_GRANTED_RECEIVERS}: err out_of_memory"),
            "after an exit: ok ()".to_string(),
        ]
    );
}

/// Owner-owned and system-owned mailboxes as their owner exits. An owner-owned one is
/// deleted: its queue dropped (`owner_exited`), every waiting receiver woken with
/// `mailbox_deleted`. A system-owned one lives on: it passes to its first granted receiver
/// still live with its queue; with no receiver left it is owned by nobody, keeps its queue,
/// and any process may delete it.
#[test]
fn owner_exit_deletes_an_owned_mailbox_and_passes_on_a_system_one() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let heir = sys.spawn("heir", 0).await.expect("spawn");
        let founder = sys.spawn("founder", heir.raw()).await.expect("spawn");
        sys.wait(founder).await.expect("wait");
        // The founder is gone: "kept" passed to the heir, "loose" to nobody, "owned" died.
        log.push(format!(
            "lookup owned: {}",
            show(&sys.lookup_mailbox("owned").await.map(drop))
        ));
        let loose = sys.lookup_mailbox("loose").await.expect("loose lives");
        log.push(format!(
            "main receives loose: {}",
            show(
                &sys.receive(loose, Mode::NonBlocking)
                    .await
                    .map(|m| m.text())
            )
        ));
        log.push(format!(
            "main deletes loose: {}",
            show(&sys.delete_mailbox(loose).await)
        ));
        sys.wait(heir).await.expect("wait");
        0
    });
    prog(&mut t, "founder", &log, |sys, heir, _| async move {
        let heir = Pid::from_raw(heir);
        let owned = MailboxOptions::new(Capacity::Unbounded)
            .name("owned")
            .receivers(Receivers::Fifo);
        let owned = sys.create_mailbox_opts(owned).await.expect("create");
        sys.grant_receive(owned, heir).await.expect("grant");
        let kept = MailboxOptions::new(Capacity::Unbounded)
            .name("kept")
            .receivers(Receivers::Fifo)
            .lifetime(Lifetime::System);
        let kept = sys.create_mailbox_opts(kept).await.expect("create");
        sys.grant_receive(kept, heir).await.expect("grant");
        sys.send(kept, b"for the heir", Mode::Blocking)
            .await
            .expect("send");
        let loose = MailboxOptions::new(Capacity::Unbounded)
            .name("loose")
            .lifetime(Lifetime::System);
        let loose = sys.create_mailbox_opts(loose).await.expect("create");
        sys.send(loose, b"orphan", Mode::Blocking)
            .await
            .expect("send");
        // The heir now waits on "owned".
        sys.sleep(20).await;
        0
    });
    prog(&mut t, "heir", &log, |sys, _, log| async move {
        let owned = lookup(&sys, "owned").await;
        let r = sys.receive(owned, Mode::Blocking).await;
        log.push(format!("heir on owned: {}", show(&r.map(|m| m.text()))));
        let kept = sys.lookup_mailbox("kept").await.expect("kept lives");
        let r = sys.receive(kept, Mode::NonBlocking).await;
        log.push(format!("heir on kept: {}", show(&r.map(|m| m.text()))));
        log.push(format!(
            "heir deletes kept: {}",
            show(&sys.delete_mailbox(kept).await)
        ));
        0
    });
    let report = run(t, "main");
    assert!(report.succeeded(), "{}", report.trace_text());
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        [
            "heir deletes kept: ok ()",
            "heir on kept: ok \"for the heir\"",
            "heir on owned: err mailbox_deleted",
            "lookup owned: err no_such_mailbox",
            "main deletes loose: ok ()",
            "main receives loose: err not_owner",
        ]
    );
    let text = report.trace_text();
    assert!(
        text.contains("mailbox    orphaned mb2:loose (owned by the system)"),
        "{text}"
    );
    assert!(
        text.contains("mailbox    transferred mb1:kept to"),
        "{text}"
    );
    assert!(text.contains("lifetime=system"), "{text}");
    // "orphan" was still queued when main deleted the mailbox.
    assert_eq!(report.ledger.dropped.total(), 1);
    assert!(report.ledger_balances());
}

/// Deadlock refusal sees that any receiver of a shared mailbox may release its senders: a
/// send that would be refused at an owner-only mailbox whose owner waits for the sender is
/// not refused when another live receiver may take the message, and completes.
#[test]
fn deadlock_refusal_sees_every_receiver_of_a_shared_mailbox() {
    for shared in [false, true] {
        let log = Log::new();
        let mut t = ProgramTable::new();
        prog(&mut t, "main", &log, move |sys, _, log| async move {
            let receivers = if shared {
                Receivers::Fifo
            } else {
                Receivers::OwnerOnly
            };
            let options = MailboxOptions::new(Capacity::Zero)
                .name("door")
                .receivers(receivers);
            let mb = sys.create_mailbox_opts(options).await.expect("create");
            let helper = sys.spawn("helper", 0).await.expect("spawn");
            if shared {
                sys.grant_receive(mb, helper).await.expect("grant");
            }
            let me = sys.getpid().await;
            let sender = sys.spawn("sender", me.raw()).await.expect("spawn");
            // main waits for the sender, which sends to main's mailbox.
            let r = sys.receive(sender, Mode::Blocking).await;
            log.push(format!("main got: {}", show(&r.map(|m| m.text()))));
            sys.wait(sender).await.expect("wait");
            sys.wait(helper).await.expect("wait");
            0
        });
        prog(&mut t, "sender", &log, |sys, parent, log| async move {
            let mb = lookup(&sys, "door").await;
            sys.sleep(5).await;
            let r = sys.send(mb, b"knock", Mode::Blocking).await;
            log.push(format!("send: {}", show(&r)));
            let parent = Pid::from_raw(parent);
            sys.send(parent, b"done", Mode::Blocking)
                .await
                .expect("send");
            0
        });
        prog(&mut t, "helper", &log, move |sys, _, log| async move {
            let mb = lookup(&sys, "door").await;
            sys.sleep(30).await;
            if shared {
                let r = sys.receive(mb, Mode::Blocking).await;
                log.push(format!("helper got: {}", show(&r.map(|m| m.text()))));
            }
            0
        });
        let mut cfg = config();
        cfg.kernel.refuse_deadlock = true;
        let report = run_with(cfg, t, "main");
        assert!(report.succeeded(), "{}", report.trace_text());
        let mut entries = log.entries();
        entries.sort();
        if shared {
            assert_eq!(
                entries,
                [
                    "helper got: ok \"knock\"",
                    "main got: ok \"done\"",
                    "send: ok ()"
                ]
            );
        } else {
            assert_eq!(entries, ["main got: ok \"done\"", "send: err deadlock"]);
        }
    }
}

/// The deadlock report: a sender stuck at a shared mailbox has no single holder (any of its
/// receivers could release it), where at an owner-only one its owner holds it.
#[test]
fn the_deadlock_report_names_no_single_holder_for_a_shared_mailbox() {
    for shared in [false, true] {
        let mut t = ProgramTable::new();
        t.add(
            "main",
            "owns the mailbox and waits forever",
            move |sys: Sys, _| async move {
                let receivers = if shared {
                    Receivers::RoundRobin
                } else {
                    Receivers::OwnerOnly
                };
                let options = MailboxOptions::new(Capacity::Zero)
                    .name("stuck")
                    .receivers(receivers);
                let mb = sys.create_mailbox_opts(options).await.expect("create");
                let other = sys.spawn("other", 0).await.expect("spawn");
                if shared {
                    sys.grant_receive(mb, other).await.expect("grant");
                }
                let _ = sys.spawn("sender", 0).await;
                let _ = sys.receive(Source::Any, Mode::Blocking).await;
                0
            },
        );
        t.add(
            "other",
            "waits forever on its inbox",
            |sys: Sys, _| async move {
                let _ = sys.receive(Source::Any, Mode::Blocking).await;
                0
            },
        );
        t.add("sender", "sends to the mailbox", |sys: Sys, _| async move {
            let mb = lookup(&sys, "stuck").await;
            let _ = sys.send(mb, b"x", Mode::Blocking).await;
            0
        });
        let report = run(t, "main");
        let Outcome::Deadlock(d) = &report.outcome else {
            panic!("a deadlock: {:?}", report.outcome);
        };
        let at = d
            .blocked
            .iter()
            .find(|w| matches!(w.queue, WaitQueueId::MailboxSenders(_)))
            .expect("the sender waits at the mailbox");
        let main = report.processes.first().expect("main").pid;
        if shared {
            assert_eq!(at.holder, None);
        } else {
            assert_eq!(at.holder, Some(main));
        }
    }
}

/// The `ps` mailbox table shows a shared mailbox's waiting receivers and policy, and a
/// system-owned mailbox without an owner.
#[test]
fn ps_shows_shared_and_system_mailboxes() {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "a shared mailbox, two waiting workers",
        |sys: Sys, _| async move {
            let options = MailboxOptions::new(Capacity::Zero)
                .name("jobs")
                .receivers(Receivers::Fifo);
            let mb = sys.create_mailbox_opts(options).await.expect("create");
            for _ in 0..2 {
                let w = sys.spawn("worker", 0).await.expect("spawn");
                sys.grant_receive(mb, w).await.expect("grant");
            }
            let _ = sys.receive(Source::Any, Mode::Blocking).await;
            0
        },
    );
    t.add("worker", "waits on jobs", |sys: Sys, _| async move {
        let mb = lookup(&sys, "jobs").await;
        let _ = sys.receive(mb, Mode::Blocking).await;
        0
    });
    let report = run(t, "main");
    assert!(matches!(report.outcome, Outcome::Deadlock(_)));
    let row = report
        .mailboxes
        .iter()
        .find(|m| m.name.as_deref() == Some("jobs"))
        .expect("jobs");
    assert_eq!(row.receivers_waiting, 2);
    assert_eq!(row.granted.len(), 2);
    let ps = sim::render::ps::render(&report.processes, &report.mailboxes, report.ticks);
    assert!(ps.contains("2/3 fifo"), "{ps}");
}

/// The scenario language: `receivers` and `lifetime` on `create`, `grant` and `revoke`, and
/// their mistakes reported before anything runs.
#[test]
fn scenario_statements_grant_and_revoke() {
    let text = r#"
process boss {
  create pool capacity 0 receivers round_robin lifetime system
  expect ok
  grant pool to helper
  expect ok
  sleep 10
  send pool "one"
  expect ok
  revoke pool from helper
  expect ok
  sleep 10
}

process helper {
  sleep 5
  receive pool
  expect bytes "one"
  receive pool
  expect not_owner
}
"#;
    let s = userland::scenario::load("pool.sim", text).expect("loads");
    let cfg = sim::scenario::configure(&s, config());
    let report = sim::scenario::run(s, cfg).expect("boots");
    assert!(
        report.succeeded(),
        "every expect holds: {:?}\n{}",
        report.outcome,
        report.trace_text()
    );
    let trace = report.trace_text();
    assert!(
        trace.contains("receivers=round_robin lifetime=system"),
        "{trace}"
    );
    assert!(trace.contains("revoke     receive"), "{trace}");
    for (bad, says) in [
        (
            "mailbox m receivers everyone owner p\nprocess p { receive m }\n",
            "unknown receiver policy `everyone`",
        ),
        (
            "mailbox m lifetime forever owner p\nprocess p { receive m }\n",
            "unknown lifetime `forever`",
        ),
        ("process p { grant m p }\n", "expected `to`"),
        (
            "process p { revoke nothing from p }\n",
            "no mailbox named `nothing`",
        ),
    ] {
        let d = userland::scenario::load("bad.sim", bad).expect_err("a mistake");
        let drawn = sim::scenario::render_diagnostics("bad.sim", bad, &d);
        assert!(drawn.contains(says), "{bad}: {drawn}");
    }
}
