//! Fault injection: each fault the plan can inject, and each promise the kernel keeps under
//! it (`docs/faults.md`).
//!
//! Every test runs with every kernel invariant checked after every kernel entry
//! ([`testkit::config`]) and checks the ledger at the end ([`run_with`]), so a fault
//! that broke an invariant or lost track of a message would fail it even where the test
//! asserts something else.

use abi::{Capacity, Dest, Mode, Pid, Source};
use kernel::trace::{DropReason, Event, EventKind, ExitReason, FaultKind, KillCause, WakeReason};
use sim::explore::{self, Options, Strategy, Target};
use sim::{FaultAt, FaultPlan, MachineConfig, Outcome, Report};
use testkit::{config, prog, run_with, Log};
use userland::{Message, ProgramTable, SpawnOptions, Sys, SysResult};

// ----- helpers -----

/// A received message (or reply) as `p1 "text"`, or the error.
fn msg(r: &SysResult<Message>) -> String {
    match r {
        Ok(m) => format!("{} {:?}", m.sender, m.text()),
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

/// What the process `who` logged (entries `who: ...`), without the prefix, in order.
fn of(log: &Log<String>, who: &str) -> Vec<String> {
    let prefix = format!("{who}: ");
    log.entries()
        .iter()
        .filter_map(|e| e.strip_prefix(&prefix).map(String::from))
        .collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The test configuration with `faults`.
fn with_faults(faults: &[FaultAt]) -> MachineConfig {
    let mut c = config();
    c.faults = FaultPlan {
        faults: faults.to_vec(),
        ..FaultPlan::default()
    };
    c
}

/// The faults the trace shows, in order.
fn faults(report: &Report) -> Vec<&FaultKind> {
    report
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Fault { kind } => Some(kind),
            _ => None,
        })
        .collect()
}

/// The events of the trace for which `f` holds.
fn events<'a>(report: &'a Report, f: impl Fn(&EventKind) -> bool + 'a) -> Vec<&'a Event> {
    report.events.iter().filter(|e| f(&e.kind)).collect()
}

fn pid(report: &Report, name: &str) -> Pid {
    report
        .exit_named(name)
        .unwrap_or_else(|| panic!("{name} exited"))
        .pid
}

/// Assert that `name` was killed, and return its pid.
fn killed(report: &Report, name: &str) -> Pid {
    let e = report
        .exit_named(name)
        .unwrap_or_else(|| panic!("{name} exited"));
    assert_eq!(e.code, ExitReason::KILLED_CODE, "{name}");
    assert_eq!(e.reason, ExitReason::Killed, "{name}");
    e.pid
}

// ----- kill -----

/// A sender killed after its messages were queued: the receiver still gets them after the
/// kill (messages in an endpoint belong to the endpoint, not to their sender).
#[test]
fn queued_messages_from_a_killed_sender_stay_deliverable() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, Some("jobs"))
            .await
            .expect("create");
        sys.spawn_with(SpawnOptions::new("sender", 0).label("sender"))
            .await
            .expect("spawn");
        // The sender queues two messages and sleeps; it is killed at tick 20.
        sys.sleep(40).await;
        for _ in 0..3 {
            let r = sys.receive(mb, Mode::NonBlocking).await;
            log.push(format!("main: {}", msg(&r)));
        }
        0
    });
    prog(&mut t, "sender", &log, |sys, _, _| async move {
        let mb = sys.lookup_mailbox("jobs").await.expect("lookup");
        sys.send(mb, b"one", Mode::Blocking).await.expect("send");
        sys.send(mb, b"two", Mode::Blocking).await.expect("send");
        sys.sleep(1000).await;
        0
    });

    let report = run_with(
        with_faults(&[FaultAt::kill_at_tick("sender", 20)]),
        t,
        "main",
    );

    let sender = killed(&report, "sender");
    assert_eq!(
        of(&log, "main"),
        vec![
            format!("{sender} \"one\""),
            format!("{sender} \"two\""),
            "err would_block".to_string(),
        ]
    );
    assert_eq!(
        faults(&report),
        vec![&FaultKind::Kill {
            pid: sender,
            cause: KillCause::Tick(20)
        }]
    );
    assert_eq!(report.ledger.received, 2);
    assert_eq!(report.outcome, Outcome::Completed);
    insta::assert_snapshot!("kill_a_sender", report.trace_text());
}

/// A killed mailbox owner: its mailbox is deleted, what was queued there dropped with
/// `owner_exited`, and the sender waiting for room woken with `mailbox_deleted`.
#[test]
fn a_killed_owners_mailboxes_are_deleted_and_their_waiters_woken() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, _| async move {
        let owner = sys
            .spawn_with(SpawnOptions::new("owner", 0).label("owner"))
            .await
            .expect("spawn");
        let sender = sys
            .spawn_with(SpawnOptions::new("sender", 0).label("sender"))
            .await
            .expect("spawn");
        let _ = sys.wait(owner).await;
        let _ = sys.wait(sender).await;
        0
    });
    prog(&mut t, "owner", &log, |sys, _, _| async move {
        sys.create_mailbox(Capacity::Bounded(1), Some("box"))
            .await
            .expect("create");
        sys.sleep(1000).await;
        0
    });
    prog(&mut t, "sender", &log, |sys, _, log| async move {
        let mb = sys.lookup_mailbox("box").await.expect("lookup");
        log.push(format!(
            "sender: first -> {}",
            done(&sys.send(mb, b"one", Mode::Blocking).await)
        ));
        log.push(format!(
            "sender: second -> {}",
            done(&sys.send(mb, b"two", Mode::Blocking).await)
        ));
        0
    });

    let report = run_with(
        with_faults(&[FaultAt::kill_at_tick("owner", 30)]),
        t,
        "main",
    );

    killed(&report, "owner");
    assert_eq!(
        of(&log, "sender"),
        strs(&["first -> ok", "second -> err mailbox_deleted"])
    );
    let dropped = events(&report, |k| {
        matches!(
            k,
            EventKind::MessagesDropped {
                count: 1,
                reason: DropReason::OwnerExited,
                ..
            }
        )
    });
    assert_eq!(dropped.len(), 1);
    let woken = events(&report, |k| {
        matches!(
            k,
            EventKind::Wake {
                reason: WakeReason::MailboxDeleted,
                ..
            }
        )
    });
    assert_eq!(woken.len(), 1);
    assert_eq!((report.ledger.sent, report.ledger.dropped.total()), (1, 1));
    // The parent waiting for the owner learns the code of a kill.
    assert_eq!(report.exit_named("main").map(|e| e.code), Some(0));
}

/// A killed server: the caller whose request it had taken (waiting for the reply) and the
/// caller whose request was still queued in its inbox both get `peer_exited`; the queued
/// request is dropped with `receiver_exited`.
#[test]
fn a_killed_servers_callers_get_peer_exited() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, _| async move {
        let server = sys
            .spawn_with(
                SpawnOptions::new("server", 0)
                    .label("server")
                    .inbox(Capacity::Bounded(4)),
            )
            .await
            .expect("spawn");
        let a = sys
            .spawn_with(SpawnOptions::new("client", server.raw()).label("a"))
            .await
            .expect("spawn");
        sys.sleep(5).await;
        let b = sys
            .spawn_with(SpawnOptions::new("client", server.raw()).label("b"))
            .await
            .expect("spawn");
        for p in [server, a, b] {
            let _ = sys.wait(p).await;
        }
        0
    });
    // Takes one request and never answers.
    prog(&mut t, "server", &log, |sys, _, _| async move {
        let _ = sys.receive(Source::Any, Mode::Blocking).await;
        sys.sleep(1000).await;
        0
    });
    prog(&mut t, "client", &log, |sys, arg, log| async move {
        let me = sys.getpid().await;
        let r = sys.call(Pid::from_raw(arg), b"work", Mode::Blocking).await;
        log.push(format!("client: {me} {}", msg(&r)));
        0
    });

    let report = run_with(
        with_faults(&[FaultAt::kill_at_tick("server", 50)]),
        t,
        "main",
    );

    let server = killed(&report, "server");
    let (a, b) = (pid(&report, "a"), pid(&report, "b"));
    let mut seen = of(&log, "client");
    seen.sort();
    let mut want = vec![
        format!("{a} err peer_exited"),
        format!("{b} err peer_exited"),
    ];
    want.sort();
    assert_eq!(seen, want);
    let dropped = events(&report, |k| {
        matches!(
            k,
            EventKind::MessagesDropped {
                via: Dest::Process(_),
                count: 1,
                reason: DropReason::ReceiverExited,
            }
        )
    });
    assert_eq!(dropped.len(), 1, "b's request was still queued");
    let peer = events(
        &report,
        |k| matches!(k, EventKind::Wake { by: Some(p), reason: WakeReason::PeerExited, .. } if *p == server),
    );
    assert_eq!(peer.len(), 2);
    insta::assert_snapshot!("kill_a_server", report.trace_text());
}

/// A sender killed while blocked in a rendezvous send leaves nothing behind: its message never
/// entered the kernel, and a receive afterwards finds nothing.
#[test]
fn a_process_killed_blocked_in_a_rendezvous_send_leaves_no_message_behind() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Zero, Some("rv"))
            .await
            .expect("create");
        sys.spawn_with(SpawnOptions::new("sender", 0).label("sender"))
            .await
            .expect("spawn");
        sys.sleep(30).await;
        let r = sys.receive(mb, Mode::Timeout(5)).await;
        log.push(format!("main: {}", msg(&r)));
        0
    });
    prog(&mut t, "sender", &log, |sys, _, _| async move {
        let mb = sys.lookup_mailbox("rv").await.expect("lookup");
        let _ = sys.send(mb, b"never", Mode::Blocking).await;
        0
    });

    let report = run_with(
        with_faults(&[FaultAt::kill_at_tick("sender", 10)]),
        t,
        "main",
    );

    killed(&report, "sender");
    assert_eq!(of(&log, "main"), strs(&["err timed_out"]));
    assert_eq!(report.ledger, kernel::Ledger::default());
    assert_eq!(report.queued, 0);
}

/// Kills at a syscall, in the middle of a `call`: the client killed at the trap of its call
/// (nothing is sent, the server's receive times out), and a server killed at the trap of its
/// reply (its caller, waiting for that reply, gets `peer_exited`).
#[test]
fn a_process_killed_at_its_nth_syscall_in_the_middle_of_a_call() {
    fn programs(log: &Log<String>) -> ProgramTable {
        let mut t = ProgramTable::new();
        prog(&mut t, "main", log, |sys, _, _| async move {
            let server = sys
                .spawn_with(SpawnOptions::new("server", 0).label("server"))
                .await
                .expect("spawn");
            let client = sys
                .spawn_with(SpawnOptions::new("client", server.raw()).label("client"))
                .await
                .expect("spawn");
            let _ = sys.wait(client).await;
            let _ = sys.wait(server).await;
            0
        });
        // Syscalls: 1 receive, 2 reply.
        prog(&mut t, "server", log, |sys, _, log| async move {
            match sys.receive(Source::Any, Mode::Timeout(50)).await {
                Ok(m) => {
                    let r = sys.reply(m.sender, b"answer").await;
                    log.push(format!("server: reply -> {}", done(&r)));
                }
                Err(e) => log.push(format!("server: receive -> err {e}")),
            }
            0
        });
        // Syscalls: 1 getpid, 2 call.
        prog(&mut t, "client", log, |sys, arg, log| async move {
            let _ = sys.getpid().await;
            let r = sys.call(Pid::from_raw(arg), b"ask", Mode::Blocking).await;
            log.push(format!("client: call -> {}", msg(&r)));
            0
        });
        t
    }

    // The client, at its call.
    let log = Log::new();
    let report = run_with(
        with_faults(&[FaultAt::kill_at_syscall("client", 2)]),
        programs(&log),
        "main",
    );
    let client = killed(&report, "client");
    assert_eq!(of(&log, "client"), Vec::<String>::new());
    assert_eq!(of(&log, "server"), strs(&["receive -> err timed_out"]));
    assert_eq!(report.ledger.sent, 0);
    assert!(faults(&report).contains(&&FaultKind::Kill {
        pid: client,
        cause: KillCause::Syscall(2)
    }));
    // The trap it was killed at was never served: no syscall event for it.
    let calls = events(
        &report,
        |k| matches!(k, EventKind::Syscall { pid, .. } if *pid == client),
    );
    assert_eq!(calls.len(), 1, "only its getpid");

    // The server, at its reply.
    let log = Log::new();
    let report = run_with(
        with_faults(&[FaultAt::kill_at_syscall("server", 2)]),
        programs(&log),
        "main",
    );
    killed(&report, "server");
    assert_eq!(of(&log, "client"), strs(&["call -> err peer_exited"]));
    assert_eq!(of(&log, "server"), Vec::<String>::new());
    insta::assert_snapshot!("kill_a_server_at_its_reply", report.trace_text());
}

/// A kill finds a process wherever it is: sleeping, computing (running or ready), blocked in
/// a receive, or already waiting for its child; a name nobody has is a `kill_missed`.
#[test]
fn a_kill_ends_a_process_wherever_it_is() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mut kids = Vec::new();
        for name in [
            "sleeper", "spinner", "spinner2", "spinner3", "waiter", "parent",
        ] {
            kids.push(
                sys.spawn_with(SpawnOptions::new(name, 0).label(name))
                    .await
                    .expect("spawn"),
            );
        }
        for k in kids {
            let r = sys.wait(k).await;
            log.push(format!("main: {r:?}"));
        }
        0
    });
    prog(&mut t, "sleeper", &log, |sys, _, _| async move {
        sys.sleep(1000).await;
        0
    });
    for name in ["spinner", "spinner2", "spinner3"] {
        prog(&mut t, name, &log, |sys, _, _| async move {
            sys.compute(1000).await;
            0
        });
    }
    prog(&mut t, "waiter", &log, |sys, _, _| async move {
        let _ = sys.receive(Source::Any, Mode::Blocking).await;
        0
    });
    prog(&mut t, "parent", &log, |sys, _, _| async move {
        let c = sys
            .spawn_with(SpawnOptions::new("sleeper", 0).label("child"))
            .await
            .expect("spawn");
        let _ = sys.wait(c).await;
        0
    });

    let victims = [
        "sleeper", "spinner", "spinner2", "spinner3", "waiter", "parent",
    ];
    let plan: Vec<FaultAt> = victims
        .iter()
        .chain(&["ghost"])
        .map(|n| FaultAt::kill_at_tick(*n, 60))
        .collect();
    let mut c = with_faults(&plan);
    // Two CPUs and three spinners: two run while the third waits, ready.
    c.cpus = 2;
    let mut m = sim::Machine::new(c, t);
    m.boot("main", 0).expect("boots");
    m.run_until(55);
    let mut states: Vec<&str> = m
        .process_table()
        .iter()
        .filter(|p| victims.contains(&p.name.as_str()))
        .map(|p| p.state.name())
        .collect();
    states.sort();
    states.dedup();
    assert_eq!(states, ["blocked", "ready", "running", "sleeping"]);
    let report = m.run();
    assert!(report.ledger_balances());

    for name in victims {
        killed(&report, name);
    }
    assert_eq!(of(&log, "main"), vec!["Ok(137)"; 6]);
    assert!(faults(&report).contains(&&FaultKind::KillMissed {
        name: "ghost".into(),
        tick: 60
    }));
    // The orphaned child lives on, and ends its sleep.
    assert_eq!(report.exit_named("child").map(|e| e.code), Some(0));
    assert_eq!(report.outcome, Outcome::Completed);
}

// ----- loss -----

/// At 100% every message is lost, wherever it was going and however it would have been
/// delivered (queued, handed to a waiting receiver, taken from a blocked sender at a
/// rendezvous): every send succeeds, nothing is received, and the ledger balances with every
/// message sent and dropped (reason `fault`), in total and per endpoint.
#[test]
fn a_loss_of_100_percent_loses_every_message_and_the_ledger_balances() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let queue = sys
            .create_mailbox(Capacity::Bounded(2), Some("queue"))
            .await
            .expect("create");
        let rv = sys
            .create_mailbox(Capacity::Zero, Some("rv"))
            .await
            .expect("create");
        let me = sys.getpid().await;
        let sender = sys
            .spawn_with(SpawnOptions::new("sender", me.raw()).label("sender"))
            .await
            .expect("spawn");
        // Queued at a bounded mailbox.
        sys.sleep(20).await;
        let r = sys.receive(queue, Mode::NonBlocking).await;
        log.push(format!("main: queue -> {}", msg(&r)));
        // Handed to a receiver waiting at a rendezvous: both sends to rv are lost there, the
        // receiver never stops waiting.
        let r = sys.receive(rv, Mode::Timeout(20)).await;
        log.push(format!("main: waiting at rv -> {}", msg(&r)));
        // Nothing is left at rv.
        sys.sleep(20).await;
        let r = sys.receive(rv, Mode::Timeout(5)).await;
        log.push(format!("main: rv again -> {}", msg(&r)));
        // Its inbox, of capacity 0, where the sender is blocked by then: the message is lost
        // as the receive takes it from the sender (who returns ok), and the receive goes on
        // to wait. The sender's call after that is lost too.
        let r = sys.receive(Source::Any, Mode::Timeout(30)).await;
        log.push(format!("main: inbox -> {}", msg(&r)));
        let _ = sys.wait(sender).await;
        0
    });
    prog(&mut t, "sender", &log, |sys, arg, log| async move {
        let queue = sys.lookup_mailbox("queue").await.expect("lookup");
        let rv = sys.lookup_mailbox("rv").await.expect("lookup");
        let main = Pid::from_raw(arg);
        for text in [&b"q1"[..], b"q2", b"q3"] {
            let r = sys.send(queue, text, Mode::NonBlocking).await;
            log.push(format!("sender: queue -> {}", done(&r)));
        }
        sys.sleep(25).await;
        let r = sys
            .send(rv, b"to the waiting receiver", Mode::Blocking)
            .await;
        log.push(format!("sender: rv -> {}", done(&r)));
        let r = sys.send(rv, b"blocked first", Mode::Blocking).await;
        log.push(format!("sender: rv again -> {}", done(&r)));
        let r = sys.send(main, b"direct", Mode::Blocking).await;
        log.push(format!("sender: inbox -> {}", done(&r)));
        let r = sys.call(main, b"a call", Mode::Timeout(10)).await;
        log.push(format!("sender: call -> {}", msg(&r)));
        0
    });

    let report = run_with(with_faults(&[FaultAt::loss(100)]), t, "main");

    // Even the third send to a mailbox of capacity 2 succeeds: nothing was ever queued.
    assert_eq!(
        of(&log, "sender"),
        strs(&[
            "queue -> ok",
            "queue -> ok",
            "queue -> ok",
            "rv -> ok",
            "rv again -> ok",
            "inbox -> ok",
            "call -> err timed_out",
        ])
    );
    assert_eq!(
        of(&log, "main"),
        strs(&[
            "queue -> err would_block",
            "waiting at rv -> err timed_out",
            "rv again -> err timed_out",
            "inbox -> err timed_out",
        ])
    );
    let lost = faults(&report)
        .into_iter()
        .filter(|f| matches!(f, FaultKind::Lose { .. }))
        .count();
    assert_eq!(lost, 7);
    let mut dropped = kernel::Drops::default();
    dropped.add(DropReason::Fault, 7);
    assert_eq!(
        report.ledger,
        kernel::Ledger {
            sent: 7,
            received: 0,
            dropped
        }
    );
    assert!(report.ledger_balances());
    let per_endpoint: u64 = report
        .ledgers
        .iter()
        .map(|l| l.ledger.dropped.get(DropReason::Fault))
        .sum();
    assert_eq!(per_endpoint, 7);
    assert!(report.ledgers.iter().all(|l| l.balances()));
    insta::assert_snapshot!("lose_everything", report.trace_text());
}

// ----- delay -----

/// A delayed message is queued but in flight: a receive before it arrives does not see it
/// (here it times out), the receiver waiting when it arrives takes it then, and a rendezvous
/// is never delayed.
#[test]
fn a_delayed_message_arrives_after_its_delay_and_goes_to_the_waiting_receiver() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, Some("jobs"))
            .await
            .expect("create");
        let rv = sys
            .create_mailbox(Capacity::Zero, Some("rv"))
            .await
            .expect("create");
        sys.spawn_with(SpawnOptions::new("sender", 0).label("sender"))
            .await
            .expect("spawn");
        let r = sys.receive(mb, Mode::Timeout(8)).await;
        log.push(format!("main: early -> {}", msg(&r)));
        let r = sys.receive(mb, Mode::Blocking).await;
        log.push(format!("main: waiting -> {}", msg(&r)));
        let r = sys.receive(rv, Mode::Blocking).await;
        log.push(format!("main: rv -> {}", msg(&r)));
        0
    });
    prog(&mut t, "sender", &log, |sys, _, _| async move {
        let mb = sys.lookup_mailbox("jobs").await.expect("lookup");
        let rv = sys.lookup_mailbox("rv").await.expect("lookup");
        sys.send(mb, b"late", Mode::Blocking).await.expect("send");
        sys.send(rv, b"on time", Mode::Blocking)
            .await
            .expect("send");
        0
    });

    let report = run_with(with_faults(&[FaultAt::delay(100, 30)]), t, "main");

    let sender = pid(&report, "sender");
    assert_eq!(
        of(&log, "main"),
        vec![
            "early -> err timed_out".to_string(),
            format!("waiting -> {sender} \"late\""),
            format!("rv -> {sender} \"on time\""),
        ]
    );
    let (until, msg_id) = faults(&report)
        .into_iter()
        .find_map(|f| match f {
            FaultKind::Delay {
                until, msg, behind, ..
            } => {
                assert_eq!(*behind, None);
                Some((*until, *msg))
            }
            _ => None,
        })
        .expect("a delay");
    let taken = events(
        &report,
        |k| matches!(k, EventKind::MessageReceived { msg, .. } if *msg == msg_id),
    );
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].tick, until, "taken the tick it arrived");
    let delays = faults(&report)
        .into_iter()
        .filter(|f| matches!(f, FaultKind::Delay { .. }))
        .count();
    assert_eq!(delays, 1, "the rendezvous was not delayed");
    insta::assert_snapshot!("delay_a_message", report.trace_text());
}

/// Delays never reorder one sender's messages to one endpoint (a message queued behind one of
/// its sender's in flight waits for it: `behind`), though messages of different senders may
/// overtake each other. Checked over many fault seeds at a 50% delay.
#[test]
fn delays_keep_each_senders_order() {
    fn programs(log: &Log<String>) -> ProgramTable {
        let mut t = ProgramTable::new();
        prog(&mut t, "main", log, |sys, _, log| async move {
            let mb = sys
                .create_mailbox(Capacity::Bounded(3), Some("jobs"))
                .await
                .expect("create");
            for name in ["a", "b"] {
                sys.spawn_with(SpawnOptions::new("sender", 0).label(name))
                    .await
                    .expect("spawn");
            }
            for _ in 0..12 {
                let m = sys.receive(mb, Mode::Blocking).await.expect("receive");
                log.push(format!("main: {}", m.text()));
            }
            0
        });
        prog(&mut t, "sender", log, |sys, _, _| async move {
            let mb = sys.lookup_mailbox("jobs").await.expect("lookup");
            let me = sys.getpid().await;
            for i in 0..6 {
                let text = format!("{me}.{i}");
                sys.send(mb, text.as_bytes(), Mode::Blocking)
                    .await
                    .expect("send");
            }
            0
        });
        t
    }

    let (mut behind, mut overtaken) = (0, 0);
    for seed in 0..24 {
        let log = Log::new();
        let mut c = with_faults(&[FaultAt::delay(50, 7)]);
        c.fault_seed = seed;
        let report = run_with(c, programs(&log), "main");
        assert_eq!(report.outcome, Outcome::Completed, "fault seed {seed}");
        let got = of(&log, "main");
        assert_eq!(got.len(), 12);
        for name in ["a", "b"] {
            let sender = format!("{}.", pid(&report, name));
            let order: Vec<&String> = got.iter().filter(|m| m.starts_with(&sender)).collect();
            let want: Vec<String> = (0..6).map(|i| format!("{sender}{i}")).collect();
            assert_eq!(order, want.iter().collect::<Vec<_>>(), "fault seed {seed}");
        }
        behind += faults(&report)
            .iter()
            .filter(|f| {
                matches!(
                    f,
                    FaultKind::Delay {
                        behind: Some(_),
                        ..
                    }
                )
            })
            .count();
        // Without faults the senders alternate in order of sending; a delay lets the other
        // sender's messages go first.
        let arrival: Vec<u64> = report
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::MessageReceived { msg, .. } => Some(msg),
                _ => None,
            })
            .collect();
        if arrival.windows(2).any(|w| w[0] > w[1]) {
            overtaken += 1;
        }
    }
    assert!(
        behind > 0,
        "some message waited behind its sender's delayed one"
    );
    assert!(
        overtaken > 0,
        "some delay let another sender's message overtake"
    );
}

// ----- clock jump -----

/// A clock jump moves the clock on and fires every timeout and sleep due in the gap, at the
/// tick it lands on.
#[test]
fn a_clock_jump_fires_the_timers_due_in_the_gap() {
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        sys.spawn_with(SpawnOptions::new("sleeper", 0).label("sleeper"))
            .await
            .expect("spawn");
        let r = sys.receive(Source::Any, Mode::Timeout(200)).await;
        log.push(format!("main: {}", msg(&r)));
        0
    });
    prog(&mut t, "sleeper", &log, |sys, _, log| async move {
        sys.sleep(100).await;
        log.push("sleeper: awake".to_string());
        0
    });

    let report = run_with(with_faults(&[FaultAt::clock_jump(10, 500)]), t, "main");

    assert_eq!(of(&log, "main"), strs(&["err timed_out"]));
    let jump = report
        .events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::Fault {
                kind: FaultKind::ClockJump { from, to },
            } => Some((e.tick, from, to)),
            _ => None,
        })
        .expect("the jump");
    assert_eq!(jump.1 + 500, jump.2);
    assert_eq!(jump.0, jump.1);
    let woken: Vec<(u64, WakeReason)> = report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wake { reason, .. } => Some((e.tick, reason)),
            _ => None,
        })
        .collect();
    assert!(
        woken.contains(&(jump.2, WakeReason::SleepEnded)),
        "{woken:?}"
    );
    assert!(woken.contains(&(jump.2, WakeReason::TimedOut)), "{woken:?}");
    assert!(report.ticks >= jump.2);
    insta::assert_snapshot!("jump_the_clock", report.trace_text());
}

// ----- determinism, exploration, robustness -----

/// A workload under every kind of fault.
fn faulty_workload() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns a server and clients",
        |sys: Sys, _| async move {
            let server = sys
                .spawn_with(
                    SpawnOptions::new("server", 0)
                        .label("server")
                        .inbox(Capacity::Bounded(2)),
                )
                .await
                .expect("spawn");
            let mut clients = Vec::new();
            for i in 0..3 {
                let label = format!("client {i}");
                clients.push(
                    sys.spawn_with(SpawnOptions::new("client", server.raw()).label(&label))
                        .await
                        .expect("spawn"),
                );
            }
            for c in clients {
                let _ = sys.wait(c).await;
            }
            let _ = sys.send(server, b"quit", Mode::Timeout(20)).await;
            let _ = sys.wait(server).await;
            0
        },
    );
    t.add("server", "answers calls", |sys: Sys, _| async move {
        loop {
            match sys.receive(Source::Any, Mode::Timeout(100)).await {
                Ok(m) if m.is_call => {
                    let _ = sys.reply(m.sender, b"ok").await;
                }
                Ok(m) if m.bytes == b"quit" => return 0,
                Ok(_) => {}
                Err(_) => return 1,
            }
        }
    });
    t.add("client", "calls the server", |sys: Sys, arg| async move {
        let mut failed = 0;
        for _ in 0..4 {
            if sys
                .call(Pid::from_raw(arg), b"req", Mode::Timeout(30))
                .await
                .is_err()
            {
                failed += 1;
            }
            let _ = sys
                .send(Pid::from_raw(arg), b"note", Mode::Timeout(5))
                .await;
        }
        failed
    });
    t
}

/// The same fault seed gives the same trace, byte for byte; another fault seed another trace.
#[test]
fn the_same_fault_seed_gives_the_same_trace_and_another_a_different_one() {
    let run = |fault_seed: u64| {
        let mut c = with_faults(&[FaultAt::loss(30), FaultAt::delay(30, 6)]);
        c.fault_seed = fault_seed;
        run_with(c, faulty_workload(), "main").trace_text()
    };
    let first = run(1);
    assert_eq!(first, run(1));
    assert_ne!(first, run(2));
    // Pausing never changes a run, faults included (kills and a jump here, on two CPUs).
    let mut c = with_faults(&[
        FaultAt::loss(30),
        FaultAt::delay(30, 6),
        FaultAt::kill_at_tick("client 1", 40),
        FaultAt::kill_at_syscall("client 2", 5),
        FaultAt::clock_jump(60, 25),
    ]);
    c.cpus = 2;
    let whole = sim::Machine::run_program(c.clone(), faulty_workload(), "main", 0)
        .expect("boots")
        .trace_text();
    let mut m = sim::Machine::new(c, faulty_workload());
    m.boot("main", 0).expect("boots");
    for t in [10, 40, 41, 60, 70, 90] {
        m.run_until(t);
    }
    assert_eq!(m.run().trace_text(), whole);
    assert!(whole.contains("fault      clock jump"), "{whole}");
    assert!(first.contains("fault      lose"), "{first}");
    assert!(first.contains("fault      delay"), "{first}");
}

/// Exploration can vary the fault seed with the schedule's seed: runs then differ in their
/// losses, the failures name the fault seed to replay, and a planned kill is not a failure
/// of its own.
#[test]
fn exploration_can_seed_the_faults_with_each_seed() {
    let target = || Target::new(faulty_workload, "main", 0);
    let mut c = with_faults(&[FaultAt::loss(20)]);
    c.kernel.check_invariants = true;
    let strategy = Strategy::Random { preempt_percent: 5 };
    let options = Options {
        jobs: 2,
        ..Options::default()
    };

    let varied = explore::explore(
        &target().varying_fault_seed(),
        &c,
        strategy,
        0..16,
        &options,
    );
    assert!(varied.failing_seeds > 0, "{}", varied.render_text());
    let f = &varied.failures[0];
    assert!(
        f.replay
            .ends_with(&format!("--seed {0} --fault-seed {0}", f.first_seed)),
        "{}",
        f.replay
    );
    // Replaying the reported seeds fails the same way.
    let mut replay = c.clone();
    replay.seed = f.first_seed;
    replay.fault_seed = f.first_seed;
    replay.policy = strategy.policy();
    let report = target().run(replay).expect("boots");
    assert_eq!(
        explore::classify(&report).map(|x| x.signature),
        Some(f.signature.clone())
    );

    // Without it, every run keeps the configuration's fault seed, and replays say nothing
    // of one.
    let fixed = explore::explore(&target(), &c, strategy, 0..16, &options);
    assert!(fixed
        .failures
        .iter()
        .all(|f| !f.replay.contains("--fault-seed")));

    // A planned kill alone is not a failure.
    let mut k = config();
    k.faults = FaultPlan::new().with(FaultAt::kill_at_tick("client 0", 20));
    let report = Target::new(faulty_workload, "main", 0)
        .run(k)
        .expect("boots");
    assert!(report.exited.iter().any(|e| e.reason == ExitReason::Killed));
    assert_eq!(explore::classify(&report), None, "{}", report.trace_text());
}

/// Faults never make the kernel panic or break an invariant: the built-in programs and the
/// workload above under losses, delays, kills at ticks and at syscalls, and clock jumps, on
/// one and two CPUs, with every invariant checked after every kernel entry and the ledgers
/// checked at the end.
#[test]
fn faults_never_break_an_invariant() {
    let names = [
        "server",
        "client 0",
        "client 1",
        "producer 0",
        "producer 1",
        "heir",
        "ping_pong",
        "rpc",
        "deadlock",
        "sieve 2",
        "main",
    ];
    type Programs = fn() -> ProgramTable;
    let targets: [(&str, Programs); 7] = [
        ("main", faulty_workload),
        ("bounded_buffer", userland::programs::builtin),
        ("rpc", userland::programs::builtin),
        ("ping_pong", userland::programs::builtin),
        ("transfer", userland::programs::builtin),
        ("prime_sieve", userland::programs::builtin),
        ("deadlock", userland::programs::builtin),
    ];
    let mut runs = 0;
    for (t, (main, programs)) in targets.iter().enumerate() {
        for seed in 0..6u64 {
            let n = (t as u64) * 7 + seed;
            let name = names[(n as usize) % names.len()];
            let plan = FaultPlan::new()
                .with(FaultAt::loss((n * 13 % 40) as u8))
                .with(FaultAt::delay((n * 29 % 60) as u8, 1 + n % 9))
                .with(FaultAt::kill_at_tick(name, 5 + n * 7 % 60))
                .with(FaultAt::kill_at_syscall(
                    names[(n as usize + 3) % names.len()],
                    1 + n % 5,
                ))
                .with(FaultAt::clock_jump(3 + n * 11 % 50, n % 40));
            for cpus in [1, 2] {
                let mut c = config();
                c.faults = plan.clone();
                c.fault_seed = n;
                c.seed = seed;
                c.cpus = cpus;
                c.max_ticks = 20_000;
                let report = run_with(c, programs(), main);
                assert!(report.ledgers.iter().all(|l| l.balances()));
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 84);
}

/// A kill through the kernel's own entry: the live processes of the name die, a name with
/// none alive (the same one, once dead) kills nobody.
#[test]
fn the_kernel_kills_only_live_processes() {
    use kernel::{Action, Entry};
    let mut k = kernel::Kernel::new(
        kernel::KernelConfig::default(),
        kernel::sched::Policy::default(),
        vec!["init".to_string()],
    );
    let pid = k.boot("init", "", 0).expect("boot");
    let kill = Entry::Kill {
        name: "init",
        tick: 0,
    };
    assert_eq!(k.enter(0, 0, kill), Action::Killed(vec![pid]));
    assert_eq!(k.enter(0, 0, kill), Action::Killed(vec![]), "already gone");
    assert_eq!(k.exited()[0].code, ExitReason::KILLED_CODE);
    assert_eq!(k.live_processes(), 0);
    assert!(k.check_invariants().is_ok());
}

/// Every renderer shows a run with every kind of fault: the text trace writes each fault on
/// a `fault` line, every JSON line of the `fault` event has the same keys, the Chrome trace
/// marks them, and the timeline accounts for the lost message as sent and dropped.
#[test]
fn every_renderer_shows_the_faults() {
    let mut t = ProgramTable::new();
    t.add("main", "", |sys: Sys, _| async move {
        let mb = sys
            .create_mailbox(Capacity::Unbounded, Some("jobs"))
            .await
            .expect("create");
        let me = sys.getpid().await;
        sys.spawn_with(SpawnOptions::new("w", me.raw()).label("worker"))
            .await
            .expect("spawn");
        let _ = sys.receive(mb, Mode::Timeout(100)).await;
        let _ = sys.receive(Source::Any, Mode::Timeout(100)).await;
        sys.sleep(300).await;
        0
    });
    t.add("w", "", |sys: Sys, arg| async move {
        let mb = sys.lookup_mailbox("jobs").await.expect("lookup");
        let _ = sys.send(mb, b"late", Mode::Blocking).await;
        let _ = sys.send(Pid::from_raw(arg), b"x", Mode::Blocking).await;
        sys.sleep(1000).await;
        0
    });
    let mut c = with_faults(&[
        FaultAt::delay(50, 10),
        FaultAt::loss(50),
        FaultAt::kill_at_tick("worker", 60),
        FaultAt::kill_at_tick("ghost", 61),
        FaultAt::clock_jump(70, 30),
    ]);
    // A fault seed that delays the first message and loses the second.
    c.fault_seed = 4;
    let report = run_with(c, t, "main");

    let text = report.trace_text();
    for line in [
        "fault      delay msg#1 -> mb0:jobs until 18",
        "fault      arrive msg#1 at mb0:jobs",
        "fault      lose msg#2 -> p0:main",
        "drop       1 message at p0:main (fault)",
        "fault      kill p1:worker (at tick 60)",
        "exit       code=137 (killed)",
        "fault      kill ghost (at tick 61): no live process of that name",
        "fault      clock jump 70 -> 100",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }

    let json = sim::render::jsonl::render(&report.events);
    let faults: Vec<&str> = json
        .lines()
        .filter(|l| l.contains("\"event\":\"fault\""))
        .collect();
    assert_eq!(faults.len(), 6);
    let keys = |l: &str| {
        let mut k: Vec<String> = l
            .split(",\"")
            .filter_map(|f| {
                f.split_once("\":")
                    .map(|(k, _)| k.trim_matches(['{', '"']).to_string())
            })
            .filter(|k| {
                [
                    "v", "tick", "cpu", "event", "args", "fault", "name", "pid", "text",
                ]
                .contains(&k.as_str())
            })
            .collect();
        k.dedup();
        k
    };
    for l in &faults {
        assert_eq!(keys(l), keys(faults[0]), "{l}");
    }
    assert!(json.contains(
        "\"event\":\"fault\",\"args\":{\"at\":60,\"cause\":\"tick\"},\"fault\":\"kill\",\"name\":\"worker\",\"pid\":\"p1\",\"text\":\"kill p1:worker (at tick 60)\"}"
    ), "{json}");
    assert!(json.contains("\"event\":\"exit\",\"code\":137,\"message\":null,\"name\":\"worker\",\"pid\":\"p1\",\"reason\":\"killed\""));

    let chrome = sim::render::chrome::render(&report.events, report.ticks);
    assert!(chrome.contains("fault: kill p1:worker (at tick 60)"));
    assert!(chrome.contains("fault: clock jump 70 -> 100"));

    let tl = sim::render::replay::Replay::from_events(&report.events, report.ticks);
    let lost = tl.messages.get(&2).expect("msg#2");
    assert_eq!(lost.dropped.map(|(_, r)| r), Some(DropReason::Fault));
    let _ = sim::render::gantt::render(&report.events, report.ticks, 60);
    let _ = sim::render::svg::render(&report.events, report.ticks);
    let stats = sim::render::stats::render(&report);
    assert!(!stats.is_empty());
    let explained = sim::render::explain::render(&report);
    assert!(explained.contains("fault injection lost"), "{explained}");
}
