//! The test API: explore a program over seeds and panic on the first failing one, in the
//! spirit of shuttle's `check_random` and `check_pct`.

use super::*;

/// Explore `main` from the tables `programs` builds under random schedules, one per seed in
/// `seeds`, and panic on the first failing seed with the failure and how to replay it, in
/// the spirit of `shuttle::check_random`. The machine is [`MachineConfig::default`].
///
/// ```no_run
/// # fn programs() -> userland::ProgramTable { userland::programs::builtin() }
/// sim::explore::check_random(programs, "bounded_buffer", 0..100);
/// ```
pub fn check_random(programs: impl Fn() -> ProgramTable + Sync, main: &str, seeds: Range<u64>) {
    let target = Target::new(programs, main, 0);
    let strategy = Strategy::Random {
        preempt_percent: DEFAULT_PREEMPT_PERCENT,
    };
    check(&target, strategy, seeds);
}

/// As [`check_random`], with PCT of bug depth `depth` (its steps estimated by
/// [`estimate_steps`] from one round-robin run).
pub fn check_pct(
    programs: impl Fn() -> ProgramTable + Sync,
    main: &str,
    seeds: Range<u64>,
    depth: u32,
) {
    let target = Target::new(programs, main, 0);
    let steps = estimate_steps(&target, &MachineConfig::default());
    check(&target, Strategy::Pct { depth, steps }, seeds);
}

fn check(target: &Target<'_>, strategy: Strategy, seeds: Range<u64>) {
    let options = Options {
        jobs: default_jobs(),
        fail_fast: true,
        ..Options::default()
    };
    let report = explore(target, &MachineConfig::default(), strategy, seeds, &options);
    if let Some(f) = report.failures.first() {
        panic!(
            "{} fails under {strategy} with seed {}: {}: {}\n  replay: Machine::run_program(MachineConfig {{ seed: {}, policy: {:?}, ..MachineConfig::default() }}, programs(), {:?}, 0)",
            target.main,
            f.first_seed,
            f.kind.name(),
            f.detail,
            f.first_seed,
            strategy.policy(),
            target.main,
        );
    }
}

/// Explore `main` from the tables `programs` builds systematically, with DPOR
/// ([`super::dpor()`]), and panic on the first failing interleaving with the failure and its
/// schedule, or if the search stops at `max_interleavings` before it is complete. The
/// machine is [`MachineConfig::default`].
///
/// ```no_run
/// # fn programs() -> userland::ProgramTable { userland::programs::builtin() }
/// sim::explore::check_dpor(programs, "transfer", 10_000);
/// ```
pub fn check_dpor(programs: impl Fn() -> ProgramTable + Sync, main: &str, max_interleavings: u64) {
    let target = Target::new(programs, main, 0);
    let settings = super::DporSettings {
        max_interleavings,
        ..super::DporSettings::default()
    };
    let report = match super::dpor(
        &target,
        &MachineConfig::default(),
        &settings,
        &Options::default(),
    ) {
        Ok(report) => report,
        Err(e) => panic!("{main} cannot be explored with dpor: {e}"),
    };
    if let Some(f) = report.failures.first() {
        panic!(
            "{main} fails under dpor in interleaving {}: {}: {}\n  schedule (save it and replay with `sim run {main} --replay FILE`):\n{}",
            f.interleaving,
            f.kind.name(),
            f.detail,
            f.schedule.render()
        );
    }
    if report.verdict != super::dpor::Verdict::Complete {
        panic!("{main}: {}", report.verdict_line());
    }
}
