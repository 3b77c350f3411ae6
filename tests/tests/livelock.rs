//! Runs whose time stops end as livelocks, not hangs (docs/security.md, "Limits").
//!
//! A program's own steps take no virtual time, and with `syscall_cost 0` and `switch_cost 0`
//! neither do its syscalls: a loop of either would never reach the tick limit. Two bounds
//! end such runs: a scenario process runs at most
//! `userland::scenario::MAX_STEPS_WITHOUT_SYSCALL` statements in a row without a syscall,
//! and the kernel is entered at most `KernelConfig::max_steps_per_tick` times in a row at
//! one tick. Either ends the run with `Outcome::Livelock`, naming what stopped time and the
//! processes that were running or ready, and the run counts as failed.

use abi::Pid;
use kernel::trace::EventKind;
use kernel::LivelockCause;
use sim::explore::{self, FailureKind, Options, Strategy, Target};
use sim::{MachineConfig, Outcome, Report};
use userland::scenario::{self, Scenario, MAX_STEPS_WITHOUT_SYSCALL};

fn load(text: &str) -> Scenario {
    scenario::load("livelock.sim", text).unwrap_or_else(|d| panic!("it loads: {d:?}"))
}

fn run(text: &str, tweak: impl FnOnce(&mut MachineConfig)) -> Report {
    let s = load(text);
    let mut config = sim::scenario::configure(&s, testkit::config());
    tweak(&mut config);
    sim::scenario::run(s, config).expect("it boots")
}

/// The livelock a run ended in, and the pid of the process called `name`.
fn livelock<'a>(report: &'a Report, name: &str) -> (&'a kernel::Livelock, Pid) {
    let Outcome::Livelock(l) = &report.outcome else {
        panic!("a livelock, not {:?}", report.outcome);
    };
    let pid = report
        .processes
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is in the table"))
        .pid;
    (l, pid)
}

/// The last event says what stopped the run, as the outcome does.
fn last_event_is_the_livelock(report: &Report, l: &kernel::Livelock) {
    match report.events.last().map(|e| &e.kind) {
        Some(EventKind::Livelock { cause, processes }) => {
            assert_eq!(*cause, l.cause);
            assert_eq!(*processes, l.processes);
        }
        other => panic!("the trace ends with the livelock, not {other:?}"),
    }
}

#[test]
fn an_empty_loop_ends_the_run_as_a_livelock_of_its_process() {
    let report = run(
        "process spinner {\n  print \"going\"\n  loop { }\n}\nprocess other {\n  repeat 3 { yield }\n}\n",
        |_| {},
    );
    let (l, spinner) = livelock(&report, "spinner");
    assert_eq!(
        l.cause,
        LivelockCause::Spinning {
            pid: spinner,
            steps: MAX_STEPS_WITHOUT_SYSCALL
        }
    );
    assert!(l.processes.contains(&spinner), "{l:?}");
    assert!(!report.succeeded());
    assert!(report.console.iter().any(|c| c.text == "going"));
    last_event_is_the_livelock(&report, l);
    report.check_ledgers().expect("the ledgers balance");
}

#[test]
fn a_loop_of_statements_that_never_trap_is_a_livelock_too() {
    // `let`, `if` and a huge `repeat` make no syscall; the `print` after the repeat would.
    let report = run(
        "process busy {\n  print \"start\"\n  let x \"a\"\n  repeat 1000000000000 {\n    if not ok { print \"never\" }\n    let x \"{x}\"\n  }\n  print \"after\"\n}\n",
        |_| {},
    );
    let (l, busy) = livelock(&report, "busy");
    assert!(matches!(l.cause, LivelockCause::Spinning { pid, .. } if pid == busy));
    assert!(!report.console.iter().any(|c| c.text == "after"));
}

#[test]
fn statements_between_syscalls_never_add_up_to_the_budget() {
    // Far more statements than the budget in all, but a syscall every few: no livelock.
    let report = run(
        "process chatty {\n  repeat 300000 {\n    let x \"a\"\n    let y \"b\"\n    yield\n  }\n}\n",
        |c| c.max_ticks = 10_000_000,
    );
    assert_eq!(report.outcome, Outcome::Completed);
    assert!(report.succeeded());
}

#[test]
fn syscalls_that_cost_nothing_in_a_loop_end_as_a_livelock_of_the_kernel() {
    let text = "set syscall_cost 0\nset switch_cost 0\nprocess a {\n  loop { yield }\n}\nprocess b {\n  loop { yield }\n}\n";
    let report = run(text, |c| c.kernel.max_steps_per_tick = 5_000);
    let (l, a) = livelock(&report, "a");
    let b = livelock(&report, "b").1;
    assert_eq!(l.cause, LivelockCause::Steps { steps: 5_000 });
    assert!(
        l.processes.contains(&a) && l.processes.contains(&b),
        "{l:?}"
    );
    assert_eq!(report.ticks, 0, "time never moved");
    last_event_is_the_livelock(&report, l);
}

#[test]
fn time_that_moves_resets_the_count() {
    // The same loop with a tick per syscall reaches the tick limit instead, however many
    // entries that takes: the count is of entries in a row at one tick.
    let text = "process a {\n  loop { yield }\n}\n";
    let report = run(text, |c| {
        c.kernel.max_steps_per_tick = 5;
        c.max_ticks = 2_000;
    });
    assert_eq!(report.outcome, Outcome::TickLimit);
}

#[test]
fn several_cpus_stop_at_the_spinning_process_too() {
    let text =
        "process spinner {\n  loop { }\n}\nprocess worker count 3 {\n  repeat 5 { compute 2 }\n}\n";
    for cpus in [2, 4] {
        let report = run(text, |c| c.cpus = cpus);
        let (l, spinner) = livelock(&report, "spinner");
        assert!(
            matches!(l.cause, LivelockCause::Spinning { pid, .. } if pid == spinner),
            "{cpus} CPUs: {l:?}"
        );
    }
}

#[test]
fn exploration_reports_a_livelock_as_its_own_kind_of_failure() {
    let s = load("process spinner {\n  loop { }\n}\n");
    let mut config = sim::scenario::configure(&s, MachineConfig::default());
    config.kernel.check_invariants = false;
    let target = Target::scenario(s);
    let strategy = Strategy::Random {
        preempt_percent: explore::DEFAULT_PREEMPT_PERCENT,
    };
    let options = Options {
        jobs: 1,
        ..Options::default()
    };
    let r = explore::explore(&target, &config, strategy, 0..3, &options);
    assert_eq!(r.failing_seeds, 3);
    assert_eq!(r.failures.len(), 1, "one bug: {:?}", r.failures);
    assert_eq!(r.failures[0].kind, FailureKind::Livelock);
    assert_eq!(
        r.failures[0].signature,
        "livelock: spinner runs on without a syscall"
    );
}
