//! The kernel's limits under pressure: processes, mailboxes, and queued bytes in total and
//! per endpoint (`docs/abi.md` section 10).
//!
//! Each test drives programs into a limit on purpose, over and over, and asserts that they
//! get the documented error (`out_of_memory`), that the kernel stays consistent (every
//! invariant is checked after every kernel entry, and the ledgers balance), that nothing
//! the kernel holds grows past its limit, and that the kernel carries on: once something is
//! freed, the same call succeeds.

use abi::{Capacity, Error, Mode, Pid, Source};
use kernel::ipc::MESSAGE_OVERHEAD;
use kernel::trace::{DropReason, EventKind};
use sim::{Machine, MachineConfig, Outcome, Report};
use testkit::{config, prog, run_with, Log};
use userland::{ProgramTable, SpawnOptions};

// ----- helpers -----

/// A run that completed with every process exiting 0, and whose ledgers balance.
fn check_clean(report: &Report) {
    assert_eq!(report.outcome, Outcome::Completed, "the run completes");
    assert!(
        report.exited.iter().all(|e| e.code == 0),
        "every process exits 0: {:#?}",
        report
            .exited
            .iter()
            .filter(|e| e.code != 0)
            .collect::<Vec<_>>()
    );
    report
        .check_ledgers()
        .unwrap_or_else(|e| panic!("the ledgers balance: {e}"));
}

/// Run `machine` one tick at a time, calling `check` at every pause, then finish the run.
fn run_checking(mut machine: Machine, mut check: impl FnMut(&Machine)) -> Report {
    let mut tick = 0;
    while machine.run_until(tick).is_none() {
        check(&machine);
        tick = machine.now() + 1;
    }
    check(&machine);
    machine.run()
}

// ----- processes -----

/// How deep the storm's tree grows, and how many children one process tries for: bounds
/// that make the storm end, far above what the process limit lets through.
const STORM_DEPTH: u64 = 4;
const STORM_TRIES: usize = 12;

/// A spawn storm: every process spawns copies of itself until `spawn` fails, and each copy
/// does the same. Every failure is `out_of_memory`, every process sees one, the table never
/// holds more than `max_processes` (an invariant), and once the storm has drained, `spawn`
/// works again.
#[test]
fn a_spawn_storm_ends_in_out_of_memory_and_a_consistent_kernel() {
    const MAX: usize = 24;
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "storm", &log, |sys, depth, log| async move {
        let mut children: Vec<Pid> = Vec::new();
        let mut failure = None;
        if depth < STORM_DEPTH {
            for _ in 0..STORM_TRIES {
                match sys.spawn("storm", depth + 1).await {
                    Ok(child) => children.push(child),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        log.push(format!(
            "depth {depth}: {} children, then {:?}",
            children.len(),
            failure
        ));
        for c in children {
            if sys.wait(c).await.is_err() {
                return 1;
            }
        }
        if depth == 0 {
            // The storm is over: the kernel carries on.
            let again = sys.spawn("storm", STORM_DEPTH).await;
            log.push(format!("after the storm: {:?}", again.map(drop)));
            if let Ok(c) = again {
                let _ = sys.wait(c).await;
            }
        }
        0
    });
    let mut cfg = config();
    cfg.kernel.max_processes = MAX;
    cfg.max_ticks = 1_000_000;
    let report = run_with(cfg, t, "storm");
    check_clean(&report);
    let entries = log.entries();
    let failures: Vec<&String> = entries.iter().filter(|e| e.contains("Some(")).collect();
    assert!(
        !failures.is_empty(),
        "the storm reached the limit: {entries:#?}"
    );
    assert!(
        failures.iter().all(|e| e.ends_with("Some(OutOfMemory)")),
        "every failure is out_of_memory: {entries:#?}"
    );
    assert!(
        entries.contains(&"after the storm: Ok(())".to_string()),
        "{entries:#?}"
    );
    let spawned = report
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Spawn { .. }))
        .count();
    assert!(
        spawned > MAX,
        "slots were reused as the storm drained: {spawned} spawns"
    );
    assert_eq!(spawned, report.exited.len(), "every process exited");
}

// ----- mailboxes -----

/// A mailbox storm: several processes create mailboxes until `create_mailbox` fails, and
/// queue a message in each. Together they get exactly `max_mailboxes`, each sees
/// `out_of_memory`; their exits delete the mailboxes (and drop the messages, which the
/// ledgers account for), and the ids are free again.
#[test]
fn a_mailbox_storm_ends_in_out_of_memory_and_a_consistent_kernel() {
    const MAX: usize = 16;
    const HOARDERS: u64 = 4;
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mut hoarders = Vec::new();
        for i in 0..HOARDERS {
            match sys.spawn("hoarder", i).await {
                Ok(p) => hoarders.push(p),
                Err(_) => return 1,
            }
        }
        for h in hoarders {
            let _ = sys.wait(h).await;
        }
        let mut again = 0;
        while sys.create_mailbox(Capacity::Bounded(1), None).await.is_ok() {
            again += 1;
        }
        log.push(format!("main: created {again} after the storm"));
        0
    });
    prog(&mut t, "hoarder", &log, |sys, i, log| async move {
        let mut mine = Vec::new();
        let failure = loop {
            match sys.create_mailbox(Capacity::Unbounded, None).await {
                Ok(mb) => mine.push(mb),
                Err(e) => break e,
            }
            if mine.len() > 4 * MAX {
                return 1;
            }
        };
        for mb in &mine {
            if sys.send(*mb, b"held", Mode::NonBlocking).await.is_err() {
                return 1;
            }
        }
        log.push(format!("hoarder {i}: {} then {failure}", mine.len()));
        // Hold them until every hoarder has hit the limit.
        sys.sleep(200).await;
        0
    });
    let mut cfg = config();
    cfg.kernel.max_mailboxes = MAX;
    let report = run_with(cfg, t, "main");
    check_clean(&report);
    let entries = log.entries();
    let mut total = 0;
    for e in entries.iter().filter(|e| e.starts_with("hoarder")) {
        assert!(e.ends_with("then out_of_memory"), "{e}");
        let n: usize = e
            .split(": ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a count");
        total += n;
    }
    assert_eq!(
        total, MAX,
        "together they got exactly the limit: {entries:#?}"
    );
    assert!(entries.contains(&format!("main: created {MAX} after the storm")));
    let owner_exited: u64 = report
        .ledgers
        .iter()
        .map(|l| l.ledger.dropped.get(DropReason::OwnerExited))
        .sum();
    assert_eq!(
        owner_exited, MAX as u64,
        "each hoarded message was dropped when its owner exited"
    );
    assert!(report.ledgers.iter().all(|l| l.closed));
}

// ----- queued bytes -----

/// The size of the storm's messages.
const LEN: usize = 100;

/// An unbounded mailbox never fills, so only the byte limits stop a producer that never
/// waits: it gets `out_of_memory` at `max_mailbox_bytes`, in every mode, however often it
/// retries, and the kernel's queued bytes never pass the limit; once the owner takes a
/// message there is room for exactly one more.
#[test]
fn an_unbounded_producer_meets_the_per_mailbox_byte_limit() {
    const LIMIT: usize = 4096;
    const RETRIES: usize = 1000;
    let fit = LIMIT / (LEN + MESSAGE_OVERHEAD);
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let Ok(sink) = sys.create_mailbox(Capacity::Unbounded, Some("sink")).await else {
            return 1;
        };
        let Ok(producer) = sys.spawn("producer", 0).await else {
            return 1;
        };
        // Let the producer hit the limit and retry, then make room for one message.
        sys.sleep(3 * RETRIES as u64).await;
        let took = sys.receive(sink, Mode::NonBlocking).await.is_ok();
        log.push(format!("main: took one -> {took}"));
        let _ = sys.wait(producer).await;
        0
    });
    prog(&mut t, "producer", &log, |sys, _, log| async move {
        let Ok(sink) = sys.lookup_mailbox("sink").await else {
            return 1;
        };
        let msg = [7u8; LEN];
        let mut queued = 0;
        while sys.send(sink, &msg, Mode::Blocking).await.is_ok() {
            queued += 1;
        }
        let mut refused = 0;
        for i in 0..RETRIES {
            let mode = [Mode::Blocking, Mode::NonBlocking, Mode::Timeout(5)][i % 3];
            if sys.send(sink, &msg, mode).await == Err(Error::OutOfMemory) {
                refused += 1;
            }
        }
        log.push(format!("producer: {queued} queued, {refused} refused"));
        // Wait for main to take one, then the next fits.
        sys.sleep(2 * RETRIES as u64).await;
        let r = sys.send(sink, &msg, Mode::NonBlocking).await;
        log.push(format!("producer: after a receive -> {r:?}"));
        0
    });
    let mut cfg = config();
    cfg.kernel.max_mailbox_bytes = LIMIT;
    cfg.max_ticks = 1_000_000;
    let mut machine = Machine::new(cfg, t);
    machine.boot("main", 0).expect("main is in the table");
    let mut most = 0;
    let report = run_checking(machine, |m| {
        for mb in m.mailbox_table() {
            assert!(
                mb.queued_bytes <= LIMIT,
                "{}: {} bytes queued",
                mb.id,
                mb.queued_bytes
            );
            most = most.max(mb.queued_bytes);
        }
    });
    check_clean(&report);
    assert_eq!(
        log.entries(),
        [
            format!("producer: {fit} queued, {RETRIES} refused"),
            "main: took one -> true".to_string(),
            "producer: after a receive -> Ok(())".to_string(),
        ]
    );
    assert_eq!(
        most,
        fit * (LEN + MESSAGE_OVERHEAD),
        "it filled up to the limit"
    );
}

/// The per-endpoint limit applies to a process's direct inbox too, and it protects the
/// total: one flooded endpoint cannot take the whole `memory_limit`, so another endpoint
/// still has room.
#[test]
fn a_flooded_inbox_meets_the_same_limit_and_leaves_room_for_others() {
    const LIMIT: usize = 2048;
    let fit = LIMIT / (LEN + MESSAGE_OVERHEAD);
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let Ok(sleeper) = sys
            .spawn_with(SpawnOptions::new("sleeper", 0).inbox(Capacity::Unbounded))
            .await
        else {
            return 1;
        };
        let Ok(other) = sys.create_mailbox(Capacity::Unbounded, None).await else {
            return 1;
        };
        let msg = [1u8; LEN];
        let mut queued = 0;
        let failure = loop {
            match sys.send(sleeper, &msg, Mode::NonBlocking).await {
                Ok(()) => queued += 1,
                Err(e) => break e,
            }
        };
        log.push(format!("inbox: {queued} then {failure}"));
        let r = sys.send(other, &msg, Mode::NonBlocking).await;
        log.push(format!("another mailbox: {r:?}"));
        let _ = sys.receive(other, Mode::NonBlocking).await;
        let _ = sys.wait(sleeper).await;
        0
    });
    prog(&mut t, "sleeper", &log, |sys, _, _| async move {
        sys.sleep(50).await;
        // Take one; the rest are dropped when it exits.
        match sys.receive(Source::Any, Mode::NonBlocking).await {
            Ok(_) => 0,
            Err(_) => 1,
        }
    });
    let mut cfg = config();
    cfg.kernel.max_mailbox_bytes = LIMIT;
    // The total would allow twice as much: the per-endpoint limit is what stops the flood.
    cfg.kernel.memory_limit = 2 * LIMIT + 1;
    let mut machine = Machine::new(cfg, t);
    machine.boot("main", 0).expect("main is in the table");
    let report = run_checking(machine, |m| {
        for p in m.process_table() {
            assert!(p.inbox.bytes <= LIMIT, "{}: {} bytes", p.pid, p.inbox.bytes);
        }
    });
    check_clean(&report);
    assert_eq!(
        log.entries(),
        [
            format!("inbox: {fit} then out_of_memory"),
            "another mailbox: Ok(())".to_string(),
        ]
    );
    let inbox = report
        .ledgers
        .iter()
        .find(|l| l.name.as_deref() == Some("sleeper"))
        .expect("the sleeper's inbox has a ledger");
    assert_eq!(
        (
            inbox.ledger.sent,
            inbox.ledger.received,
            inbox.ledger.dropped.total(),
            inbox.closed
        ),
        (fit as u64, 1, fit as u64 - 1, true)
    );
}

/// The total memory limit, reached across many endpoints each within its own limit: every
/// producer gets `out_of_memory` once the sum is reached, and the kernel's queued bytes never
/// pass it.
#[test]
fn many_mailboxes_share_the_memory_limit() {
    const TOTAL: usize = 4000;
    let log = Log::new();
    let mut t = ProgramTable::new();
    prog(&mut t, "main", &log, |sys, _, log| async move {
        let mut boxes = Vec::new();
        for _ in 0..8 {
            match sys.create_mailbox(Capacity::Unbounded, None).await {
                Ok(mb) => boxes.push(mb),
                Err(_) => return 1,
            }
        }
        let msg = [2u8; LEN];
        let mut queued = 0;
        let mut refused = 0;
        for round in 0..20 {
            for mb in &boxes {
                match sys.send(*mb, &msg, Mode::Blocking).await {
                    Ok(()) => queued += 1,
                    Err(Error::OutOfMemory) => refused += 1,
                    Err(_) => return 1,
                }
            }
            if round == 10 {
                // Free one slot's worth: exactly one more message fits.
                let _ = sys.receive(boxes[0], Mode::NonBlocking).await;
            }
        }
        log.push(format!("{queued} queued, {refused} refused"));
        0
    });
    let mut cfg = config();
    cfg.kernel.memory_limit = TOTAL;
    let mut machine = Machine::new(cfg, t);
    machine.boot("main", 0).expect("main is in the table");
    let report = run_checking(machine, |m| {
        let sum: usize = m.mailbox_table().iter().map(|mb| mb.queued_bytes).sum();
        assert!(sum <= TOTAL, "{sum} bytes queued in total");
    });
    check_clean(&report);
    let fit = TOTAL / (LEN + MESSAGE_OVERHEAD);
    assert_eq!(
        log.entries(),
        [format!("{} queued, {} refused", fit + 1, 160 - fit - 1)]
    );
}

/// The defaults documented in `docs/abi.md` section 10.
#[test]
fn the_documented_defaults() {
    let k = MachineConfig::default().kernel;
    assert_eq!(k.max_message, 4096);
    assert_eq!(k.memory_limit, 16 << 20);
    assert_eq!(k.max_mailbox_bytes, 1 << 20);
    assert_eq!(k.max_processes, 1 << 21);
    assert_eq!(k.max_mailboxes, 1 << 21);
}
