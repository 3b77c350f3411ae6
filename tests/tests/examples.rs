//! The built-in example programs: each runs to completion with exit code 0, prints what it
//! should, and (the small ones) keeps the trace under snapshot. Runs are deterministic.

use sim::{Machine, Outcome, Report};
use testkit::config;

/// The example programs that run to completion.
const EXAMPLES: [&str; 5] = [
    "ping_pong",
    "bounded_buffer",
    "rpc",
    "transfer",
    "prime_sieve",
];

fn run(program: &str, arg: u64) -> Report {
    let report = Machine::run_program(config(), userland::programs::builtin(), program, arg)
        .expect("built-in program boots");
    assert_eq!(report.outcome, Outcome::Completed, "{program} completes");
    assert!(report.succeeded(), "{program}: every process exits 0");
    assert!(report.ledger_balances());
    report
}

#[test]
fn ping_pong_bounces_each_round_over_rendezvous_mailboxes() {
    let report = run("ping_pong", 3);
    let console = report.console_text();
    for round in 1..=3 {
        assert!(console
            .iter()
            .any(|l| l.contains(&format!("got \"ping {round}\""))));
        assert!(console
            .iter()
            .any(|l| l.contains(&format!("got \"pong {round}\""))));
    }
    assert_eq!(report.ledger.sent, 6, "three rounds, one message each way");
    assert_eq!(report.ledger.dropped.total(), 0);
    insta::assert_snapshot!(report.trace_text());
}

#[test]
fn bounded_buffer_delivers_every_item_once_and_blocks_producers_when_full() {
    let report = run("bounded_buffer", 3);
    let items: Vec<&str> = report
        .console_text()
        .into_iter()
        .filter(|l| l.contains(" from producer "))
        .collect();
    assert_eq!(items.len(), 12, "3 producers x 4 items, each received once");
    for p in 0..3 {
        for i in 0..4 {
            let item = format!("item {i} from producer {p}");
            assert_eq!(
                items.iter().filter(|l| l.contains(&item)).count(),
                1,
                "{item} received exactly once"
            );
        }
    }
    let trace = report.trace_text();
    assert!(
        trace.contains("block      on mb0:buffer.senders"),
        "a producer blocks on the full buffer"
    );
    insta::assert_snapshot!(trace);
}

#[test]
fn rpc_clients_get_their_answers() {
    let report = run("rpc", 2);
    let trace = report.trace_text();
    assert!(trace.contains("reply      ->"), "the server replies");
    assert_eq!(
        report
            .console_text()
            .iter()
            .filter(|l| l.contains(" = "))
            .count(),
        4,
        "two clients, two calls each: {:?}",
        report.console_text()
    );
    insta::assert_snapshot!(trace);
}

#[test]
fn transfer_moves_queued_messages_to_the_new_owner() {
    let report = run("transfer", 3);
    let console = report.console_text().join("\n");
    assert!(
        console.contains("not_owner"),
        "the old owner is refused: {console}"
    );
    assert_eq!(report.ledger.received, report.ledger.sent);
    insta::assert_snapshot!(report.trace_text());
}

#[test]
fn prime_sieve_prints_the_primes_below_100() {
    let report = run("prime_sieve", 100);
    let primes: Vec<u64> = report
        .console_text()
        .iter()
        .filter_map(|l| l.strip_prefix("prime ")?.trim().parse().ok())
        .collect();
    let expected: Vec<u64> = (2..100u64)
        .filter(|n| (2..*n).all(|d| n % d != 0))
        .collect();
    assert_eq!(primes, expected);
    insta::assert_snapshot!(report.console_text().join("\n"));
}

#[test]
fn the_same_run_gives_the_same_trace_byte_for_byte() {
    for program in EXAMPLES {
        let a = run(program, 0).trace_text();
        let b = run(program, 0).trace_text();
        assert_eq!(a, b, "{program} is deterministic");
    }
}

#[test]
fn the_quantum_changes_the_interleaving_but_not_the_result() {
    let mut short = config();
    short.policy = sim::Policy::RoundRobin { quantum: 2 };
    let mut fcfs = config();
    fcfs.policy = sim::Policy::Fcfs;
    let a =
        Machine::run_program(short, userland::programs::builtin(), "bounded_buffer", 3).unwrap();
    let b = Machine::run_program(fcfs, userland::programs::builtin(), "bounded_buffer", 3).unwrap();
    assert!(a.succeeded() && b.succeeded());
    assert_ne!(
        a.trace_text(),
        b.trace_text(),
        "different policies, different schedules"
    );
    assert!(
        a.trace_text().contains("preempt"),
        "a 2-tick quantum preempts compute bursts"
    );
    assert!(!b.trace_text().contains("preempt"), "FCFS never preempts");
}

#[test]
fn per_process_time_adds_up_to_its_lifetime() {
    for program in EXAMPLES {
        let report = run(program, 0);
        for e in &report.exited {
            let s = e.stats;
            let lifetime = s.exited_at.expect("exited") - s.spawned_at;
            assert_eq!(
                s.cpu + s.ready + s.blocked + s.sleeping,
                lifetime,
                "{program}: {}:{} spends every tick of its life in exactly one state",
                e.pid,
                e.name
            );
            assert!(s.dispatches >= 1);
        }
        let cpu: u64 = report.exited.iter().map(|e| e.stats.cpu).sum();
        assert_eq!(
            cpu, report.machine.busy,
            "{program}: CPU time is charged to processes"
        );
    }
}

#[test]
fn deadlock_stops_the_machine_with_the_wait_for_cycle() {
    let report = Machine::run_program(config(), userland::programs::builtin(), "deadlock", 0)
        .expect("boots");
    let sim::Outcome::Deadlock(d) = &report.outcome else {
        panic!("expected a deadlock, got {:?}", report.outcome);
    };
    assert_eq!(d.cycle.len(), 2);
    assert_eq!(d.blocked.len(), 2);
    for w in &d.blocked {
        assert!(d.cycle.contains(&w.pid));
        assert!(w.holder.is_some_and(|h| d.cycle.contains(&h) && h != w.pid));
    }
    assert!(report.exited.is_empty(), "nobody exits");
    insta::assert_snapshot!(report.trace_text());
}

#[test]
fn a_program_that_suspends_without_a_syscall_is_faulted_alone() {
    let mut t = userland::ProgramTable::new();
    t.add(
        "main",
        "spawns a faulty child and outlives it",
        |sys: userland::Sys, _| async move {
            let Ok(child) = sys.spawn("faulty", 0).await else {
                return 1;
            };
            match sys.wait(child).await {
                Ok(102) => 0,
                _ => 1,
            }
        },
    );
    t.add(
        "faulty",
        "awaits a future that is not a syscall",
        |_sys: userland::Sys, _| async {
            std::future::pending::<()>().await;
            0
        },
    );
    let report = testkit::run(t, "main");
    assert!(report.exit_named("main").is_some_and(|e| e.code == 0));
    let faulty = report.exit_named("faulty").expect("the child exited");
    assert_eq!(faulty.code, 102);
    assert!(matches!(
        &faulty.reason,
        kernel::trace::ExitReason::Fault(m) if m.contains("suspended without a syscall")
    ));
    assert!(report
        .trace_text()
        .contains("exit       code=102 (fault: suspended without a syscall"));
}

/// The README says which toolchain the workspace needs, and it is the one `Cargo.toml`
/// declares: the two cannot drift apart.
#[test]
fn the_readme_states_the_toolchain_the_workspace_declares() {
    let manifest = include_str!("../../Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .expect("the workspace declares its rust-version");
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("Rust {version} or newer")),
        "the README states Rust {version}"
    );
    assert!(
        readme.contains("The first `make demo`"),
        "and that the first build is slow"
    );
}
