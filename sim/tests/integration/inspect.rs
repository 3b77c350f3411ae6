//! Looking at a run: the process and mailbox tables at a paused moment
//! (`Machine::run_until`) or when the run ended (`Report::processes`, `Report::mailboxes`),
//! and the two renderers that read them, `ps` and `explain`.
//!
//! The built-in programs give the common states; `zoo`, defined here, puts one process in
//! each kind of wait at once (and reuses a pid slot), so every phrase of `ps` is checked.

use abi::{Capacity, Dest, MailboxId, Mode, Pid, Source, Ticks};
use kernel::inspect::{EndpointInfo, Load, Peer, ProcessInfo, StateInfo, WaitOn};
use kernel::trace::WaitQueueId;
use sim::render::{explain, ps};
use sim::{Machine, MachineConfig, Outcome, Report};
use userland::{ProgramTable, SpawnOptions, Sys};

// ----- helpers -----

/// A booted machine running `main` from `programs` with the default configuration.
fn boot(programs: ProgramTable, main: &str) -> Machine {
    boot_with(MachineConfig::default(), programs, main)
}

fn boot_with(config: MachineConfig, programs: ProgramTable, main: &str) -> Machine {
    let mut m = Machine::new(config, programs);
    m.boot(main, 0).expect("the program boots");
    m
}

/// The built-in programs plus `zoo`.
fn programs() -> ProgramTable {
    let mut t = userland::programs::builtin();
    zoo(&mut t);
    t
}

/// A whole run of `main`.
fn run(main: &str) -> Report {
    boot(programs(), main).run()
}

/// The row of the first process called `name`.
fn row<'a>(table: &'a [ProcessInfo], name: &str) -> &'a ProcessInfo {
    table
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} in the table: {table:#?}"))
}

/// Two reports of the same run are the same, field by field.
fn assert_same_run(a: &Report, b: &Report, what: &str) {
    assert_eq!(a.outcome, b.outcome, "{what}: outcome");
    assert_eq!(a.ticks, b.ticks, "{what}: ticks");
    assert_eq!(a.events, b.events, "{what}: events");
    assert_eq!(a.exited, b.exited, "{what}: exits");
    assert_eq!(a.console, b.console, "{what}: console");
    assert_eq!(a.ledger, b.ledger, "{what}: ledger");
    assert_eq!(a.queued, b.queued, "{what}: queued");
    assert_eq!(a.machine, b.machine, "{what}: machine stats");
    assert_eq!(a.processes, b.processes, "{what}: process table");
    assert_eq!(a.mailboxes, b.mailboxes, "{what}: mailbox table");
}

/// `zoo`: one process in each kind of wait at tick 50, plus a reused pid slot.
///
/// | pid  | name          | at tick 50                                            |
/// |------|---------------|-------------------------------------------------------|
/// | p0   | zoo           | receive from the anonymous mailbox mb1, timeout 300   |
/// | p1.1 | zoo.quitter   | zombie, exit 3 (p1.0 exited 3 and was reaped first)   |
/// | p2   | zoo.sleeper   | sleeping 1000, inbox bounded 2                        |
/// | p3   | zoo.filler    | send to `jobs` (capacity 1, full)                     |
/// | p4   | zoo.caller    | call p0 (rendezvous inbox, p0 not receiving)          |
/// | p5   | zoo.caller    | call p2 (queued in its inbox, never received)         |
/// | p6   | zoo.rpc       | call to mailbox `rpc`, queued, never received         |
/// | p7   | zoo.timed     | receive any, timeout 500                              |
/// | p8   | zoo.parent    | wait for its child p11 (a sleeper)                    |
/// | p9   | zoo.late      | took p10's call, sleeps 60, then replies too late     |
/// | p10  | zoo.impatient | call p9 with timeout 20                               |
///
/// After main exits (tick 346) its mailboxes go with it (the queued job and the queued
/// call are dropped, the filler's send and p4's call are abandoned) and the quitter zombie
/// is reaped; p2's exit drops p5's call from its inbox.
fn zoo(t: &mut ProgramTable) {
    t.add(
        "zoo",
        "every kind of wait at once",
        |sys: Sys, _| async move {
            let me = sys.getpid().await;
            sys.create_mailbox(Capacity::Bounded(1), Some("jobs"))
                .await
                .expect("zoo: jobs");
            let anon = sys
                .create_mailbox(Capacity::Bounded(2), None)
                .await
                .expect("zoo: anon");
            sys.create_mailbox(Capacity::Bounded(4), Some("rpc"))
                .await
                .expect("zoo: rpc");
            let first = sys.spawn("zoo.quitter", 3).await.expect("zoo: quitter");
            assert_eq!(sys.wait(first).await, Ok(3));
            sys.spawn("zoo.quitter", 3)
                .await
                .expect("zoo: quitter again");
            let sleeper = sys
                .spawn_with(SpawnOptions::new("zoo.sleeper", 1000).inbox(Capacity::Bounded(2)))
                .await
                .expect("zoo: sleeper");
            sys.spawn("zoo.filler", 0).await.expect("zoo: filler");
            sys.spawn("zoo.caller", me.raw())
                .await
                .expect("zoo: caller");
            sys.spawn("zoo.caller", sleeper.raw())
                .await
                .expect("zoo: caller");
            sys.spawn("zoo.rpc", 0).await.expect("zoo: rpc");
            sys.spawn("zoo.timed", 0).await.expect("zoo: timed");
            sys.spawn("zoo.parent", 0).await.expect("zoo: parent");
            let late = sys.spawn("zoo.late", 0).await.expect("zoo: late");
            sys.spawn("zoo.impatient", late.raw())
                .await
                .expect("zoo: impatient");
            let _ = sys.receive(anon, Mode::Timeout(300)).await;
            0
        },
    );
    t.add(
        "zoo.quitter",
        "exits with arg",
        |sys: Sys, code| async move {
            sys.exit(code as i32).await;
            0
        },
    );
    t.add(
        "zoo.sleeper",
        "sleeps arg ticks",
        |sys: Sys, ticks| async move {
            sys.sleep(ticks).await;
            0
        },
    );
    t.add(
        "zoo.filler",
        "sends to jobs twice",
        |sys: Sys, _| async move {
            let Ok(jobs) = sys.lookup_mailbox("jobs").await else {
                return 1;
            };
            for _ in 0..2 {
                if sys.send(jobs, b"job", Mode::Blocking).await.is_err() {
                    return 1;
                }
            }
            0
        },
    );
    t.add("zoo.caller", "calls pid arg", |sys: Sys, to| async move {
        let _ = sys.call(Pid::from_raw(to), b"hello?", Mode::Blocking).await;
        0
    });
    t.add(
        "zoo.rpc",
        "calls the rpc mailbox",
        |sys: Sys, _| async move {
            let Ok(rpc) = sys.lookup_mailbox("rpc").await else {
                return 1;
            };
            let _ = sys.call(rpc, b"request", Mode::Blocking).await;
            0
        },
    );
    t.add("zoo.timed", "a timed receive", |sys: Sys, _| async move {
        let _ = sys.receive(Source::Any, Mode::Timeout(500)).await;
        0
    });
    t.add(
        "zoo.parent",
        "waits for a sleeper",
        |sys: Sys, _| async move {
            let Ok(child) = sys.spawn("zoo.sleeper", 1000).await else {
                return 1;
            };
            sys.wait(child).await.unwrap_or(1)
        },
    );
    t.add("zoo.late", "replies too late", |sys: Sys, _| async move {
        let Ok(m) = sys.receive(Source::Any, Mode::Blocking).await else {
            return 1;
        };
        sys.sleep(60).await;
        let _ = sys.reply(m.sender, b"too late").await;
        0
    });
    t.add(
        "zoo.impatient",
        "calls pid arg with a timeout",
        |sys: Sys, late| async move {
            let _ = sys
                .call(Pid::from_raw(late), b"quick!", Mode::Timeout(20))
                .await;
            sys.sleep(200).await;
            0
        },
    );
}

// ----- the tables -----

#[test]
fn a_producer_blocked_on_the_full_buffer_shows_the_depth_and_the_capacity() {
    let mut m = boot(programs(), "bounded_buffer");
    // The first moment a producer waits for room.
    let (table, mailboxes) = loop {
        let t = m.now() + 1;
        assert_eq!(
            m.run_until(t),
            None,
            "the run ended before a producer blocked"
        );
        let table = m.process_table();
        if table.iter().any(
            |p| matches!(&p.state, StateInfo::Blocked(w) if matches!(w.on, WaitOn::Send { .. })),
        ) {
            break (table, m.mailbox_table());
        }
    };
    let consumer = row(&table, "bounded_buffer");
    let blocked: Vec<&ProcessInfo> = table.iter().filter(|p| p.state.wait().is_some()).collect();
    assert_eq!(blocked.len(), 1, "{table:#?}");
    let producer = blocked[0];
    assert!(producer.name.starts_with("producer "));
    let buffer = MailboxId::new(0, 0);
    let wait = producer.state.wait().expect("blocked");
    assert_eq!(
        wait.on,
        WaitOn::Send {
            to: EndpointInfo {
                dest: Dest::Mailbox(buffer),
                name: Some("buffer".into()),
                owner: Some(consumer.pid),
                load: Some(Load {
                    queued: 4,
                    capacity: Capacity::Bounded(4),
                    bytes: 4 * (22 + kernel::ipc::MESSAGE_OVERHEAD),
                }),
            },
            len: 22,
            call: false,
        }
    );
    assert_eq!(wait.queue, WaitQueueId::MailboxSenders(buffer));
    assert_eq!(wait.deadline, None);
    assert_eq!(
        wait.holder,
        Some(Peer {
            pid: consumer.pid,
            name: Some("bounded_buffer".into()),
        })
    );
    assert_eq!(
        ps::describe(producer),
        "blocked: send to mailbox buffer (full, 4/4) — held by p0:bounded_buffer"
    );
    assert_eq!(producer.since, m.now(), "it blocked in the last turn");

    assert_eq!(mailboxes.len(), 1);
    let mb = &mailboxes[0];
    assert_eq!((mb.id, mb.name.as_deref()), (buffer, Some("buffer")));
    assert_eq!(mb.owner.as_ref().map(|o| o.pid), Some(consumer.pid));
    assert_eq!((mb.capacity, mb.queued), (Capacity::Bounded(4), 4));
    assert_eq!(mb.queued_bytes, 4 * (22 + kernel::ipc::MESSAGE_OVERHEAD));
    assert_eq!(mb.senders_waiting, 1);
    assert!(!mb.receiver_waiting);
    assert_eq!(consumer.owned, vec![buffer]);
}

#[test]
fn the_deadlock_report_shows_both_processes_blocked_each_held_by_the_other() {
    let report = run("deadlock");
    let Outcome::Deadlock(d) = &report.outcome else {
        panic!("deadlock expected: {:?}", report.outcome);
    };
    assert_eq!(report.processes.len(), 2);
    let (main, partner) = (
        row(&report.processes, "deadlock"),
        row(&report.processes, "deadlock.partner"),
    );
    for (me, other) in [(main, partner), (partner, main)] {
        let w = me.state.wait().expect("blocked");
        let peer = Peer {
            pid: other.pid,
            name: Some(other.name.clone()),
        };
        assert_eq!(w.on, WaitOn::ReceiveFrom { from: peer.clone() });
        assert_eq!(w.holder, Some(peer));
        assert_eq!(w.queue, WaitQueueId::ReceiversFrom(other.pid));
        assert_eq!(w.deadline, None);
    }
    // The tables agree with the kernel's own deadlock report.
    for b in &d.blocked {
        let p = report.processes.iter().find(|p| p.pid == b.pid).unwrap();
        let w = p.state.wait().unwrap();
        assert_eq!(w.queue, b.queue);
        assert_eq!(w.holder.as_ref().map(|h| h.pid), b.holder);
    }
    // The accounting runs up to the end: the main process blocked at 4, the run ended at 6.
    assert_eq!((main.since, report.ticks), (4, 6));
    assert_eq!(main.stats.blocked, 2);
    assert!(report.mailboxes.is_empty());
}

#[test]
fn a_clean_run_ends_with_empty_tables() {
    let report = run("bounded_buffer");
    assert!(report.succeeded());
    assert!(report.processes.is_empty(), "{:#?}", report.processes);
    assert!(report.mailboxes.is_empty());
}

#[test]
fn a_zombie_shows_its_exit_code_until_it_is_reaped() {
    // A built-in: the first producer to exit is a zombie with code 0 until the consumer
    // waits for it.
    let mut m = boot(programs(), "bounded_buffer");
    let zombie = loop {
        let t = m.now() + 1;
        assert_eq!(m.run_until(t), None, "no zombie before the end");
        if let Some(z) = m
            .process_table()
            .into_iter()
            .find(|p| matches!(p.state, StateInfo::Zombie { .. }))
        {
            break z;
        }
    };
    assert_eq!(zombie.name, "producer 0");
    assert_eq!(zombie.state, StateInfo::Zombie { code: Some(0) });
    assert_eq!(ps::describe(&zombie), "zombie (exit 0)");

    // zoo: the second quitter reuses slot 1 and stays a zombie with its code 3.
    let mut m = boot(programs(), "zoo");
    assert_eq!(m.run_until(50), None);
    let quitter = row(&m.process_table(), "zoo.quitter").clone();
    assert_eq!(quitter.pid, Pid::new(1, 1), "slot 1, second generation");
    assert_eq!(quitter.state, StateInfo::Zombie { code: Some(3) });
    assert_eq!(ps::describe(&quitter), "zombie (exit 3)");
}

#[test]
fn every_kind_of_wait_reads_exactly() {
    let mut m = boot(programs(), "zoo");
    assert_eq!(m.run_until(50), None);
    let table = m.process_table();
    let said: Vec<(String, String)> = table
        .iter()
        .map(|p| (p.pid.to_string(), ps::describe(p)))
        .collect();
    let expect = [
        (
            "p0",
            "blocked: receive from mailbox mb1 (empty) timeout at 346",
        ),
        ("p1.1", "zombie (exit 3)"),
        ("p2", "sleeping until 1024"),
        (
            "p3",
            "blocked: send to mailbox jobs (full, 1/1) — held by p0:zoo",
        ),
        (
            "p4",
            "blocked: send (call) to p0:zoo (rendezvous, not receiving)",
        ),
        (
            "p5",
            "blocked: reply from p2:zoo.sleeper (call not yet received, 1/2)",
        ),
        (
            "p6",
            "blocked: reply to a call queued in mailbox rpc (1/4) — held by p0:zoo",
        ),
        ("p7", "blocked: receive any (inbox empty) timeout at 537"),
        ("p8", "blocked: wait for child p11:zoo.sleeper"),
        ("p9", "sleeping until 110"),
        ("p10", "blocked: reply from p9:zoo.late timeout at 64"),
        ("p11", "sleeping until 1048"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
    assert_eq!(said, expect, "at tick {}", m.now());
}

#[test]
fn paused_stats_add_up_to_each_process_life_so_far() {
    let mut m = boot(programs(), "bounded_buffer");
    while m.run_until(m.now() + 3).is_none() {
        let now = m.now();
        for p in m.process_table() {
            if matches!(p.state, StateInfo::Zombie { .. }) {
                continue;
            }
            let s = p.stats;
            assert_eq!(
                s.cpu + s.ready + s.blocked + s.sleeping,
                now - s.spawned_at,
                "{} at {now}: {s:?}",
                p.name
            );
            assert!(p.since <= now);
        }
    }
}

// ----- pausing -----

#[test]
fn pausing_at_any_tick_never_changes_the_run() {
    for main in [
        "ping_pong",
        "bounded_buffer",
        "rpc",
        "transfer",
        "deadlock",
        "zoo",
    ] {
        let alone = run(main);
        for tick in 0..=alone.ticks + 1 {
            let mut m = boot(programs(), main);
            m.run_until(tick);
            assert_same_run(&alone, &m.run(), &format!("{main} paused at {tick}"));
        }
        // Pausing at every turn on the way.
        let mut m = boot(programs(), main);
        while m.run_until(m.now() + 1).is_none() {}
        assert_same_run(&alone, &m.run(), &format!("{main} paused at every turn"));
    }
    // A long one, paused a few times.
    let alone = run("prime_sieve");
    let mut m = boot(programs(), "prime_sieve");
    for tick in [1, 100, 101, 555, 1000] {
        assert_eq!(m.run_until(tick), None);
    }
    assert_same_run(&alone, &m.run(), "prime_sieve paused");
}

#[test]
fn run_until_stops_at_the_first_turn_at_or_past_the_tick_and_reports_the_end() {
    let mut m = boot(programs(), "bounded_buffer");
    assert_eq!(m.now(), 0);
    assert_eq!(m.outcome(), None);
    let mut before = m.now();
    for tick in [5, 30, 31, 60] {
        assert_eq!(m.run_until(tick), None);
        assert!(
            m.now() >= tick && m.now() >= before,
            "{} for {tick}",
            m.now()
        );
        before = m.now();
    }
    // Asking for an earlier tick does not move the clock.
    assert_eq!(m.run_until(10), None);
    assert_eq!(m.now(), before);

    assert_eq!(m.run_until(Ticks::MAX), Some(Outcome::Completed));
    let end = m.now();
    assert_eq!(m.outcome(), Some(&Outcome::Completed));
    assert_eq!(
        m.run_until(Ticks::MAX),
        Some(Outcome::Completed),
        "ended stays ended"
    );
    assert_eq!(m.now(), end);
    let report = m.run();
    assert_eq!(
        (report.outcome.clone(), report.ticks),
        (Outcome::Completed, end)
    );
    assert_same_run(&run("bounded_buffer"), &report, "ended by run_until");

    // The tick limit ends a paused run too.
    let config = MachineConfig {
        max_ticks: 50,
        ..MachineConfig::default()
    };
    let mut m = boot_with(config, programs(), "prime_sieve");
    assert_eq!(m.run_until(1_000), Some(Outcome::TickLimit));
    assert_eq!(m.now(), 50);
}

// ----- ps -----

#[test]
fn ps_lists_every_process_with_its_generation() {
    let mut m = boot(programs(), "zoo");
    assert_eq!(m.run_until(50), None);
    let text = ps::render(&m.process_table(), &m.mailbox_table(), m.now());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "== tick {}: 12 processes (11 live, 1 zombie), 3 mailboxes",
            m.now()
        )
    );
    assert!(lines[1].starts_with("PID "), "{text}");
    for p in m.process_table() {
        let pid = format!("p{}.{}", p.pid.index(), p.pid.generation());
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{pid} ")) && l.contains(&p.name)),
            "{pid} {} in\n{text}",
            p.name
        );
    }
    let words = |start: &str| -> Vec<&str> {
        let line = lines.iter().find(|l| l.starts_with(start)).expect(start);
        line.split_whitespace().collect()
    };
    assert_eq!(
        words("p1.1 ")[..7],
        ["p1.1", "zoo.quitter", "p0.0", "0", "zombie", "22", "zombie"],
        "the reused slot shows its generation: {text}"
    );
    assert_eq!(
        words("mb2.0 "),
        ["mb2.0", "rpc", "p0:zoo", "4", "1", "39", "0", "no", "1"]
    );
    insta::assert_snapshot!("ps_zoo_at_50", text);
}

#[test]
fn ps_of_a_paused_bounded_buffer() {
    let mut m = boot(programs(), "bounded_buffer");
    assert_eq!(m.run_until(31), None);
    let text = ps::render(&m.process_table(), &m.mailbox_table(), m.now());
    assert!(text.contains("running on cpu0"), "{text}");
    assert!(text.contains("ready"), "{text}");
    insta::assert_snapshot!("ps_bounded_buffer_at_31", text);
}

#[test]
fn ps_of_the_deadlock_report() {
    let report = run("deadlock");
    let text = ps::render(&report.processes, &report.mailboxes, report.ticks);
    assert!(
        text.contains("blocked: receive from p1:deadlock.partner"),
        "{text}"
    );
    assert!(text.contains("blocked: receive from p0:deadlock"), "{text}");
    assert!(text.ends_with("no mailboxes\n"));
    insta::assert_snapshot!("ps_deadlock", text);
}

#[test]
fn ps_of_an_empty_machine_says_so() {
    let text = ps::render(&[], &[], 7);
    assert_eq!(
        text,
        "== tick 7: 0 processes (0 live, 0 zombies), 0 mailboxes\nno processes\n\nno mailboxes\n"
    );
}

// ----- explain -----

#[test]
fn explain_names_the_deadlock_cycle() {
    let text = explain::render(&run("deadlock"));
    assert!(
        text.starts_with(
            "The run deadlocked at tick 6: 2 processes are blocked forever, and nothing can wake them.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Deadlock: p0:deadlock waits to receive from p1:deadlock.partner, which waits to receive from p0:deadlock.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "waited for a message from p1:deadlock.partner from tick 4 on, and still waits."
        ),
        "{text}"
    );
    insta::assert_snapshot!("explain_deadlock", text);
}

#[test]
fn explain_bounded_buffer_names_the_waits_and_says_everyone_exited_0() {
    let text = explain::render(&run("bounded_buffer"));
    assert!(
        text.starts_with("The run completed at tick 87: all 4 processes exited 0.\n"),
        "{text}"
    );
    for line in [
        "  p0:bounded_buffer waited 3 ticks in all:",
        "    waited for a message in mb0:buffer for 3 ticks (7 to 10), woken by p1:producer 0.",
        "  p1:producer 0 never waited.",
        "    waited for room in mb0:buffer (owner p0:bounded_buffer) for 6 ticks (29 to 35), woken by p0:bounded_buffer.",
        "No message was lost: none dropped, no send abandoned, no reply dropped.",
        "Messages: 12 sent, 12 received, 0 dropped, 0 still queued; every message is accounted for.",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    assert!(!text.contains("Deadlock"));
    insta::assert_snapshot!("explain_bounded_buffer", text);
}

#[test]
fn explain_tells_failures_lost_messages_and_timeouts() {
    let report = run("zoo");
    let text = explain::render(&report);
    assert!(text.starts_with("The run completed at tick "), "{text}");
    for needle in [
        "  p1:zoo.quitter exited 3 (exit) at tick ",
        "  p1.1:zoo.quitter exited 3 (exit) at tick ",
        "  p3:zoo.filler exited 1 (returned) at tick ",
        "waited for room in mb0:jobs (owner p0:zoo) for ",
        "ended when the mailbox was deleted.",
        "waited for p9:zoo.late to reply for 20 ticks",
        "then timed out.",
        "waited for p0:zoo to take its call from mb2:rpc",
        "1 message dropped at mb0:jobs (tick ",
        "): its owner exited.",
        "1 message dropped at mb2:rpc (tick ",
        "1 message dropped at p2:zoo.sleeper's inbox (tick ",
        "p3:zoo.filler gave up 1 send to mb0:jobs (tick ",
        "): mailbox deleted; not delivered.",
        "p4:zoo.caller gave up 1 send to p0:zoo (tick ",
        "1 reply from p9:zoo.late to p10:zoo.impatient lost (tick ",
        "): the caller no longer waited for it.",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    assert!(report.ledger_balances());
    insta::assert_snapshot!("explain_zoo", text);
}

#[test]
fn explain_a_run_stopped_at_the_tick_limit() {
    let config = MachineConfig {
        max_ticks: 50,
        ..MachineConfig::default()
    };
    let report = boot_with(config, programs(), "prime_sieve").run();
    let text = explain::render(&report);
    assert!(
        text.starts_with(
            "The run stopped at its tick limit, tick 50, with 4 processes still alive.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Still queued at the end: 1 in p2:filter 1's inbox.\n"),
        "{text}"
    );
    assert!(text.contains("still waiting at the end."), "{text}");
}

#[test]
fn explain_without_a_trace_says_what_it_cannot_tell() {
    let mut config = MachineConfig::default();
    config.kernel.trace = false;
    let report = boot_with(config, programs(), "deadlock").run();
    let text = explain::render(&report);
    assert!(text.contains("The trace was not recorded"), "{text}");
    // The cycle comes from the outcome, not the trace.
    assert!(
        text.contains("Deadlock: p0 waits to receive from p1, which waits to receive from p0."),
        "{text}"
    );
}
