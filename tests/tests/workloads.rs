//! The performance workloads W1–W4 (`userland::programs::workloads`, docs/performance.md)
//! as programs: each does the work it claims, under every policy and on several CPUs, with
//! every kernel invariant checked after every syscall and its ledger balanced. The
//! benchmarks time them; these tests make sure what is timed is the whole job done right.

use sim::{Machine, MachineConfig, Report, RunQueues};
use testkit::config;
use userland::programs::workloads::{ring, PRODUCERS};

/// Run `program` with `arg` on `config`, expecting every process to exit 0.
fn run(config: MachineConfig, program: &str, arg: u64) -> Report {
    let what = format!(
        "{program} {arg:#x} ({:?}, {} CPUs)",
        config.policy, config.cpus
    );
    let report = Machine::run_program(config, userland::programs::builtin(), program, arg)
        .expect("the workloads are built in");
    assert!(report.succeeded(), "{what}: {:?}", report.outcome);
    assert!(report.ledger_balances(), "{what}: {:?}", report.ledger);
    assert_eq!(report.queued, 0, "{what}: nothing is left queued");
    report
}

/// The default configuration, every invariant checked, and room for the bigger runs.
fn checked() -> MachineConfig {
    MachineConfig {
        max_ticks: 1_000_000,
        ..config()
    }
}

#[test]
fn w1_passes_every_round_both_ways() {
    for (program, rounds) in [("w1_mailbox", 50u64), ("w1_call", 50)] {
        let r = run(checked(), program, rounds);
        // Each round is one message each way (a reply is not a message); the mailbox version
        // also sends the peer's mailbox id and the stop.
        let expected = match program {
            "w1_mailbox" => 2 * rounds + 2,
            _ => rounds,
        };
        assert_eq!(r.ledger.sent, expected, "{program}");
        assert_eq!(r.ledger.received, expected, "{program}");
    }
}

#[test]
fn w2_makes_every_hop_and_stops_every_node() {
    let (processes, hops) = (7u64, 40u64);
    let r = run(checked(), "w2_ring", ring(processes, hops));
    // One `next` per node and the token from the main process; then a forward for each
    // value from `hops` down to 1; then the stopping 0 once round the ring, whose last
    // send finds its receiver gone and is refused, so it is not counted.
    assert_eq!(r.ledger.sent, processes + 1 + hops + processes - 1);
    assert_eq!(r.exited.len() as u64, processes + 1);
}

#[test]
fn w3_delivers_every_producers_messages_in_order() {
    let messages = 203u64;
    let r = run(checked(), "w3_fan_in", messages);
    assert_eq!(r.ledger.sent, messages);
    assert_eq!(r.ledger.received, messages);
    assert_eq!(r.exited.len() as u64, PRODUCERS + 1);
}

#[test]
fn w4_wakes_every_process_once() {
    let processes = 60u64;
    let r = run(checked(), "w4_wake_all", processes);
    assert_eq!(r.ledger.sent, processes);
    assert_eq!(r.ledger.received, processes);
    assert_eq!(r.exited.len() as u64, processes + 1);
}

#[test]
fn every_workload_runs_under_every_policy_and_on_several_cpus() {
    let cases = [
        ("w1_mailbox", 20),
        ("w1_call", 20),
        ("w2_ring", ring(5, 30)),
        ("w3_fan_in", 100),
        ("w4_wake_all", 20),
    ];
    let policies = [
        "fcfs", "rr", "sjf", "srtf", "priority", "mlfq", "lottery", "random",
    ];
    for (program, arg) in cases {
        for policy in policies {
            let config = MachineConfig {
                policy: sim::policy::parse(policy, &Default::default()).expect("a policy name"),
                ..checked()
            };
            run(config, program, arg);
        }
        for cpus in [2, 4] {
            for run_queues in [RunQueues::Global, RunQueues::PerCpu { migration: true }] {
                let config = MachineConfig {
                    cpus,
                    run_queues,
                    ..checked()
                };
                run(config, program, arg);
            }
        }
    }
}

#[test]
fn a_workload_traced_and_untraced_does_the_same_work() {
    let mut untraced = checked();
    untraced.kernel.trace = false;
    for (program, arg) in [("w1_call", 30), ("w3_fan_in", 64)] {
        let a = run(checked(), program, arg);
        let b = run(untraced.clone(), program, arg);
        assert!(!a.events.is_empty() && b.events.is_empty(), "{program}");
        assert_eq!(a.ticks, b.ticks, "{program}");
        assert_eq!(a.ledger, b.ledger, "{program}");
        assert_eq!(a.exited, b.exited, "{program}");
    }
}

/// The boundary between machine and kernel, counted rather than timed: with one CPU the
/// kernel is entered exactly once per trap, and a trap that takes its process off the CPU
/// carries the dispatch of the next in the same entry. The difference between two runs of
/// different lengths cancels what both share (boot, the first dispatch, the exits).
#[test]
fn the_kernel_is_entered_once_per_trap() {
    let mut programs = userland::programs::builtin();
    programs.add(
        "getpids",
        "getpid in a loop",
        |sys: userland::Sys, n: u64| async move {
            for _ in 0..n {
                sys.getpid().await;
            }
            0
        },
    );
    let entries = |program: &str, arg: u64| {
        let report = Machine::run_program(checked(), programs.clone(), program, arg)
            .expect("the program is in the table");
        assert!(report.succeeded(), "{program}: {:?}", report.outcome);
        report.kernel_entries
    };
    // A syscall that keeps its CPU: one entry each.
    assert_eq!(entries("getpids", 400) - entries("getpids", 200), 200);
    // A `call` round trip is three traps (the client's call, the server's reply and its next
    // receive), two of which block and hand the CPU over: three entries, not five.
    assert_eq!(entries("w1_call", 60) - entries("w1_call", 30), 3 * 30);
    // A mailbox round trip is four traps (a send and a receive each way): four entries.
    assert_eq!(
        entries("w1_mailbox", 60) - entries("w1_mailbox", 30),
        4 * 30
    );
}

/// A run's history handed to a sink as it is made: the sink sees exactly the exit records
/// and closed ledgers a kept history would hold, in the same order, and the report keeps
/// none of them.
#[test]
fn a_streamed_history_is_the_kept_one_given_away() {
    use kernel::{EndpointLedger, ExitRecord, HistorySink};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Keep {
        exited: Vec<ExitRecord>,
        closed: Vec<EndpointLedger>,
    }
    struct Sink(Arc<Mutex<Keep>>);
    impl HistorySink for Sink {
        fn exited(&mut self, record: ExitRecord) {
            self.0.lock().expect("one thread").exited.push(record);
        }
        fn closed(&mut self, ledger: EndpointLedger) {
            self.0.lock().expect("one thread").closed.push(ledger);
        }
    }

    let kept = run(checked(), "w4_wake_all", 40);
    let given = Arc::new(Mutex::new(Keep::default()));
    let mut machine = Machine::new(checked(), userland::programs::builtin());
    machine.stream_history(Box::new(Sink(Arc::clone(&given))));
    machine.boot("w4_wake_all", 40).expect("boot");
    let streamed = machine.run();
    assert!(streamed.succeeded(), "{:?}", streamed.outcome);
    assert!(streamed.history_streamed && streamed.exited.is_empty());
    assert!(
        streamed.check_ledgers().is_ok(),
        "{:?}",
        streamed.check_ledgers()
    );
    let given = given.lock().expect("one thread");
    assert_eq!(given.exited, kept.exited, "the same records, in exit order");
    assert_eq!(given.exited.len(), 41, "40 sleepers and the main process");
    let closed: Vec<&EndpointLedger> = kept.ledgers.iter().filter(|l| l.closed).collect();
    assert_eq!(given.closed.iter().collect::<Vec<_>>(), closed);
    assert_eq!(streamed.ledgers.iter().filter(|l| l.closed).count(), 0);
    assert_eq!(
        streamed.ledger, kept.ledger,
        "the total is the kernel's either way"
    );
}
