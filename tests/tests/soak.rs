//! The soak run's scenario generator (`testkit::soak`): what it writes loads, terminates,
//! balances its ledger and leaves the kernel's tables empty, on fifty seeds, and it reaches
//! every motif, policy, capacity, mode and limit it claims to.
//!
//! The soak itself (`make soak`) measures memory and time; these tests assert neither, as
//! they run on shared, noisy machines. The scenarios here are smaller than the soak's, as
//! the tests run in debug builds; ten of them run again with the kernel's invariant checks
//! on (six times slower), so that a kernel bug the soak's settings provoke shows as such.

use sim::{MachineConfig, Outcome};
use testkit::soak::{self, Coverage, Generated};

/// Seeds the tests run: the first fifty of the soak with seed 0.
fn seeds() -> impl Iterator<Item = u64> {
    (0..50).map(|run| soak::run_seed(0, run))
}

/// Messages per generated scenario, at most (about): small enough for a debug build.
const SIZE: u64 = 1_500;

fn generated() -> Vec<Generated> {
    seeds().map(|seed| soak::generate(seed, SIZE)).collect()
}

/// Load and run with the trace off, and the invariant checks on if `checks` (a kernel bug
/// then panics at the syscall that broke an invariant).
fn run_checked(g: &Generated, checks: bool) -> sim::Report {
    let scenario = soak::load(g).unwrap_or_else(|d| panic!("seed {}:\n{d}\n{}", g.seed, g.text));
    let mut config = soak::config(&scenario);
    config.kernel.check_invariants = checks;
    sim::scenario::run(scenario, config).expect("boots")
}

#[test]
fn fifty_generated_scenarios_load_terminate_and_balance_their_ledgers() {
    let mut messages = 0;
    for g in generated() {
        let report = run_checked(&g, false);
        assert_eq!(
            soak::problem(&report),
            None,
            "seed {} ({} ticks):\n{}",
            g.seed,
            report.ticks,
            g.text
        );
        assert!(report.ledger_balances());
        assert_eq!(report.outcome, Outcome::Completed);
        messages += report.ledger.sent;
    }
    // Fifty scenarios of up to ~1,500 messages each, a quarter of that at least.
    assert!(messages > 50 * SIZE / 8, "only {messages} messages");
}

#[test]
fn ten_generated_scenarios_keep_the_kernel_invariants() {
    for g in generated().iter().take(10) {
        let report = run_checked(g, true);
        assert_eq!(soak::problem(&report), None, "seed {}:\n{}", g.seed, g.text);
    }
}

#[test]
fn steady_scenarios_terminate_and_never_let_a_queue_or_the_console_grow() {
    for seed in 0..10 {
        let g = soak::generate_steady(seed, SIZE);
        // Only exact motifs over bounded queues, and no small limits: nothing can pile up.
        let steady_motifs = ["motif queue", "motif inbox", "motif rpc"];
        for f in &g.features {
            let piles_up = f == "capacity unbounded"
                || f.ends_with(" small")
                || f == "message_too_large"
                || (f.starts_with("motif ") && !steady_motifs.contains(&f.as_str()));
            assert!(!piles_up, "seed {seed} uses {f}:\n{}", g.text);
        }
        let report = run_checked(&g, seed < 3);
        assert_eq!(soak::problem(&report), None, "seed {seed}:\n{}", g.text);
        assert!(!soak::hit_memory_limit(&report), "seed {seed}");
    }
}

#[test]
fn the_same_seed_writes_the_same_scenario_and_neighbouring_seeds_differ() {
    let a = soak::generate(7, SIZE);
    let b = soak::generate(7, SIZE);
    assert_eq!(a.text, b.text);
    assert_eq!(a.features, b.features);
    let texts: std::collections::BTreeSet<String> =
        generated().into_iter().map(|g| g.text).collect();
    assert_eq!(texts.len(), 50, "two seeds wrote the same scenario");
    // A soak's runs are distinct from another soak's.
    assert_ne!(soak::run_seed(0, 1), soak::run_seed(1, 0));
}

#[test]
fn two_hundred_seeds_reach_every_motif_policy_capacity_mode_and_limit() {
    // Writing a scenario is cheap (nothing runs): more seeds than the runs above, so that
    // the rarer features (a drop policy needs a loose motif's bounded mailbox) come up many
    // times over and a small change to the generator does not lose one by chance.
    let mut coverage = Coverage::default();
    for run in 0..200 {
        coverage.add(&soak::generate(soak::run_seed(0, run), SIZE));
    }
    let missing: Vec<String> = soak::all_features()
        .into_iter()
        .filter(|f| !coverage.has(f))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    // And nothing outside the list: a new feature name must be added to `all_features`.
    let all = soak::all_features();
    let unknown: Vec<&String> = coverage.0.keys().filter(|f| !all.contains(f)).collect();
    assert!(unknown.is_empty(), "not in all_features: {unknown:?}");
}

#[test]
fn some_runs_meet_the_memory_limit_and_some_drop_messages() {
    let mut limited = 0;
    let mut dropped = 0;
    for g in generated().iter().filter(|g| g.small_memory) {
        let report = soak::run(g).expect("loads");
        limited += u64::from(soak::hit_memory_limit(&report));
        dropped += report.ledger.dropped.total();
    }
    assert!(limited > 0, "no scenario met its memory limit");
    assert!(dropped > 0, "no scenario dropped a message");
}

#[test]
fn a_run_that_deadlocks_or_stops_at_the_tick_limit_is_a_problem() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../userland/scenarios/philosophers_deadlock.sim"
    ))
    .expect("shipped scenario");
    let s = sim::scenario::load("philosophers_deadlock.sim", &text).expect("loads");
    let report = sim::scenario::run(s, MachineConfig::default()).expect("boots");
    let problem = soak::problem(&report).expect("a deadlock is a problem");
    assert!(problem.starts_with("deadlock"), "{problem}");

    let text = "process spin { loop { compute 5 } }\n";
    let s = sim::scenario::load("spin.sim", text).expect("loads");
    let config = MachineConfig {
        max_ticks: 100,
        ..MachineConfig::default()
    };
    let report = sim::scenario::run(s, config).expect("boots");
    let problem = soak::problem(&report).expect("a hang is a problem");
    assert!(problem.starts_with("tick limit"), "{problem}");

    let text = "process bad { exit 3 }\n";
    let s = sim::scenario::load("bad.sim", text).expect("loads");
    let problem = soak::problem(&sim::scenario::run(s, MachineConfig::default()).expect("boots"))
        .expect("a non-zero exit is a problem");
    assert!(problem.contains("code 3"), "{problem}");
}

#[cfg(target_os = "linux")]
#[test]
fn resident_memory_is_read_from_proc() {
    // Only that the fields are found and consistent: the tests never judge how much.
    let m = soak::memory().expect("/proc/self/status has VmRSS and VmHWM");
    assert!(m.rss_kib > 0 && m.rss_kib <= m.peak_kib, "{m:?}");
}

/// Found by the soak (8 of its first 904 runs): with per-CPU queues without migration and
/// free syscalls and switches, a CPU that found its queue empty at a tick and stepped aside
/// (`parked`) is not asked again when the other CPU then readies a process on its queue at
/// that same tick; the other CPU, out of work, ended the run as completed (exit status 0)
/// with processes still ready and `init` still blocked, and `b` never ran. The machine now
/// wakes the CPUs that stepped aside before it ends a run beside ready work.
#[test]
fn a_cpu_that_stepped_aside_still_runs_what_is_readied_on_its_queue_at_that_tick() {
    let text = "set cpus 2\nset run_queues per_cpu_pinned\nset syscall_cost 0\n\
                set switch_cost 0\nprocess a { yield }\nprocess b { yield }\n";
    let s = sim::scenario::load("pinned.sim", text).expect("loads");
    let config = sim::scenario::configure(&s, MachineConfig::default());
    let report = sim::scenario::run(s, config).expect("boots");
    assert_eq!(soak::problem(&report), None);
    assert!(report.exit_named("b").is_some(), "b never ran");
}
