//! Schedule exploration: run one target under many seeds of an exploring policy, sort the
//! failing runs into distinct bugs, and record a failing run's schedule so it replays.
//!
//! This module owns the exploration loop ([`explore`]: seeds spread over host threads, each
//! run on its own deterministic machine), the classification of a failed run into a
//! [`FailureKind`] and a signature (so one bug seen on many seeds counts once), the
//! [`ExploreReport`] and its text and JSON-lines forms, the schedule file format
//! ([`ScheduleFile`]: [`record`] turns a run's trace into the decisions that
//! [`kernel::sched::replay::Replay`] follows), and the test API for userland code
//! ([`check_random`], [`check_pct`], [`check_dpor`]), and the systematic search over every
//! interleaving up to equivalence ([`dpor()`](fn@dpor)). Each has its own file: the loop is here, the
//! rest in `classify.rs`, `report.rs`, `schedule.rs`, `check.rs` and `dpor/`.
//!
//! It never schedules anything itself: the policies are the kernel's (`Policy::Random`,
//! `Policy::Pct`, `Policy::Replay`, and `Policy::Directed`, which the search steers), chosen through [`MachineConfig::policy`] and seeded by
//! [`MachineConfig::seed`], so every seed it reports replays with `sim run ... --seed S`.
//! Host threads only decide which seed runs where; what a seed does never depends on them,
//! and the report is built from the results sorted by seed, so it is the same for any
//! number of jobs. Nothing here reads the wall clock except to say how long it took.
//!
//! It never draws anything either: how far an exploration has got goes to the caller's
//! [`Options::progress`] as numbers ([`Progress`]), and the caller decides whether and how
//! to show them (the command line draws a bar on a terminal).
//!
//! With fault injection ([`MachineConfig::faults`]), a target made with
//! [`Target::varying_fault_seed`] also seeds the faults with each explored seed
//! ([`MachineConfig::fault_seed`]), so one exploration varies schedules and lost or delayed
//! messages together; otherwise every run keeps the configuration's fault seed. A process a
//! planned fault killed is not a failure of its own (its exit code 137 is the plan's doing):
//! [`classify`] looks at what the rest of the system made of it.

use crate::{Machine, MachineConfig, Outcome, Policy, Report};
use abi::{Pid, Ticks};
use kernel::sched::replay::{Decision, Schedule, Who};
use kernel::trace::{Event, EventKind, ExitReason, LivelockCause};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use userland::scenario::Scenario;
use userland::ProgramTable;

mod check;
mod classify;
pub mod dpor;
mod report;
mod schedule;

pub use check::{check_dpor, check_pct, check_random};
pub use classify::{classify, FailureKind, Finding};
pub use dpor::{dpor, DporReport, DporSettings};
pub use report::{ExploreReport, Failure};
pub use schedule::{divergence, record, record_seed, Divergence, ScheduleFile};

/// The preemption chance of [`Strategy::Random`] when none is given, in percent.
pub const DEFAULT_PREEMPT_PERCENT: u8 = 10;

/// The bug depth of [`Strategy::Pct`] when none is given: two change points, enough for
/// most ordering bugs between two or three processes.
pub const DEFAULT_DEPTH: u32 = 3;

/// How to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// A random ready process at every dispatch and a preemption with this chance at every
    /// scheduling point ([`kernel::sched::random::Random`]).
    Random {
        /// The chance of a preemption at each scheduling point, in percent.
        preempt_percent: u8,
    },
    /// Probabilistic concurrency testing ([`kernel::sched::pct::Pct`]).
    Pct {
        /// The bug depth d: d - 1 priority change points.
        depth: u32,
        /// The scheduling points a run is expected to have (see [`estimate_steps`]).
        steps: u64,
    },
}

impl Strategy {
    /// The policy a run of this strategy uses (its seed is the run's).
    pub fn policy(self) -> Policy {
        match self {
            Strategy::Random { preempt_percent } => Policy::Random { preempt_percent },
            Strategy::Pct { depth, steps } => Policy::Pct { depth, steps },
        }
    }

    /// `random` or `pct`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Random { .. } => "random",
            Strategy::Pct { .. } => "pct",
        }
    }

    /// The `sim run` flags that select this strategy's policy.
    pub fn flags(self) -> String {
        match self {
            Strategy::Random { preempt_percent } => {
                format!("--policy random --preempt {preempt_percent}")
            }
            Strategy::Pct { depth, steps } => {
                format!("--policy pct --depth {depth} --steps {steps}")
            }
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Random { preempt_percent } => {
                write!(f, "random (preempt {preempt_percent}%)")
            }
            Strategy::Pct { depth, steps } => write!(f, "pct (depth {depth}, steps {steps})"),
        }
    }
}

/// One shard of a seed range: the seeds `s` with `(s - start) % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with `I < N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected I/N with 0 <= I < N (as in 0/4), not `{s}`");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The shard a cluster scheduler's environment names, read through `var`: a Kubernetes
    /// Indexed Job's `JOB_COMPLETION_INDEX` with the count in `SIM_SHARD_COUNT` (Kubernetes
    /// does not pass the job's completions on; the manifest sets it), or a Slurm job array's
    /// `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` (the index counted from
    /// `SLURM_ARRAY_TASK_MIN`, so `--array=1-4` works).
    pub fn from_environment(var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let number = |key: &str| -> Result<Option<u64>, String> {
            match var(key) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{key} is `{v}`, not a number")),
            }
        };
        let (index, count) = if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = number("SIM_SHARD_COUNT")?.ok_or(
                "JOB_COMPLETION_INDEX is set but SIM_SHARD_COUNT is not: set it to the job's completions",
            )?;
            (index, count)
        } else if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let count = number("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            (id.saturating_sub(min), count)
        } else {
            return Err(
                "neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, SIM_SHARD_COUNT) nor a \
                 Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) is in the environment"
                    .to_string(),
            );
        };
        if index >= count {
            return Err(format!(
                "shard index {index} is not below the count {count}"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Parse a seed range `A..B` (B excluded).
pub fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    let bad = || format!("expected a seed range A..B with A <= B (as in 0..100), not `{s}`");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    if start > end {
        return Err(bad());
    }
    Ok(start..end)
}

/// How to run an exploration.
#[derive(Clone)]
pub struct Options {
    /// Host threads running seeds at once (at least 1).
    pub jobs: usize,
    /// Run only this shard of the seeds.
    pub shard: Option<Shard>,
    /// Stop at the first failing seed (the smallest: seeds are taken in order, and every
    /// smaller one is still finished).
    pub fail_fast: bool,
    /// Told how far the exploration has got: about ten times a second while seeds run, and
    /// once more when the last worker stops, always on the thread that called [`explore`].
    /// `None` (the default): nobody is told, and nothing waits to tell them.
    pub progress: Option<ProgressFn>,
}

/// What [`Options::progress`] calls. An `Arc` so that options stay cheap to clone, and
/// `Send + Sync` so that options can be shared with the threads that run the seeds.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// How far an exploration has got, as [`Options::progress`] is told it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Seeds finished so far.
    pub done: u64,
    /// Seeds the exploration runs in all: the range, or the shard's part of it. With
    /// [`Options::fail_fast`] it may stop before.
    pub total: u64,
    /// Finished seeds whose run failed.
    pub failing: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 1,
            shard: None,
            fail_fast: false,
            progress: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("jobs", &self.jobs)
            .field("shard", &self.shard)
            .field("fail_fast", &self.fail_fast)
            .field("progress", &self.progress.as_ref().map(|_| "Fn(Progress)"))
            .finish()
    }
}

/// The host's parallelism, for a default `jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What to explore: a program table, built afresh for every run, and the program to boot.
///
/// A [`ProgramTable`] holds `Rc`s and a scenario's programs share their run's directory, so
/// tables cannot be shared between threads or runs: each run builds its own from the
/// factory.
pub struct Target<'a> {
    programs: Box<dyn Fn() -> ProgramTable + Sync + 'a>,
    main: String,
    arg: u64,
    command: String,
    vary_fault_seed: bool,
}

impl<'a> Target<'a> {
    /// Boot `main` with `arg` from the tables `programs` builds. Its replay command says
    /// `sim run MAIN` (right for the built-in programs; see [`Target::with_command`]).
    pub fn new(programs: impl Fn() -> ProgramTable + Sync + 'a, main: &str, arg: u64) -> Self {
        let mut command = format!("sim run {}", shell_word(main));
        if arg != 0 {
            command.push_str(&format!(" --arg {arg}"));
        }
        Target {
            programs: Box::new(programs),
            main: main.to_string(),
            arg,
            command,
            vary_fault_seed: false,
        }
    }

    /// A checked scenario, booted with its `init`. Its replay command says `sim run FILE`.
    pub fn scenario(scenario: Scenario) -> Self {
        let command = format!("sim run {}", shell_word(&scenario.file));
        // One checked scenario for every run: each run's programs share it, not a copy.
        let scenario = std::sync::Arc::new(scenario);
        Target {
            programs: Box::new(move || userland::scenario::programs(scenario.clone())),
            main: userland::scenario::INIT.to_string(),
            arg: 0,
            command,
            vary_fault_seed: false,
        }
    }

    /// Replace the start of the replay command: everything before the policy and seed flags
    /// (`sim run my.sim --max-ticks 5000`).
    pub fn with_command(mut self, command: impl Into<String>) -> Self {
        self.command = command.into();
        self
    }

    /// The start of the replay command.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Seed each run's faults with the run's seed too ([`MachineConfig::fault_seed`]), so
    /// that exploring seeds varies which messages are lost or delayed along with the
    /// schedule. Replay commands then carry `--fault-seed S`.
    pub fn varying_fault_seed(mut self) -> Self {
        self.vary_fault_seed = true;
        self
    }

    /// Whether each run's faults are seeded with the run's seed.
    pub fn varies_fault_seed(&self) -> bool {
        self.vary_fault_seed
    }

    /// The configuration of the run of `seed`: `config` with that seed (and, when the target
    /// varies it, that fault seed).
    fn seeded(&self, config: &MachineConfig, seed: u64) -> MachineConfig {
        let mut config = config.clone();
        config.seed = seed;
        if self.vary_fault_seed {
            config.fault_seed = seed;
        }
        config
    }

    /// The flags that replay `seed` after the policy's.
    fn seed_flags(&self, seed: u64) -> String {
        if self.vary_fault_seed {
            format!("--seed {seed} --fault-seed {seed}")
        } else {
            format!("--seed {seed}")
        }
    }

    /// One run on a fresh machine. A target that cannot boot (no such program) is reported
    /// as a run whose first process exited with the error, so it shows up as a failure.
    pub fn run(&self, config: MachineConfig) -> Result<Report, abi::Error> {
        Machine::run_program(config, (self.programs)(), &self.main, self.arg)
    }
}

/// A word as a shell reads it back: quoted when it holds anything but plain characters.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=+,@".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The scheduling points to give PCT for a target, from one run under `config` as it is
/// (round robin by default): a point for every syscall and one more for every compute
/// burst (its end is a point of its own), at least 1. Only points where another process is
/// ready count as PCT's steps, so this is an overestimate: an overestimate only makes the
/// later change points rarer, an underestimate would crowd them into the run's beginning and
/// start PCT's fair tail early.
pub fn estimate_steps(target: &Target<'_>, config: &MachineConfig) -> u64 {
    let mut config = config.clone();
    config.kernel.trace = true;
    let Ok(report) = target.run(config) else {
        return 1;
    };
    let points: u64 = report
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Syscall {
                call: abi::Syscall::Compute { .. },
                ..
            } => 2,
            EventKind::Syscall { .. } => 1,
            _ => 0,
        })
        .sum();
    points.max(1)
}

/// Run `target` under `strategy` for every seed in `seeds` (or in one shard of them), in
/// `options.jobs` host threads, and sort what failed into distinct failures.
///
/// `config` is the machine each run gets (apply a scenario's `set` lines first, with
/// [`crate::scenario::configure`]); each run replaces its policy with the strategy's and its
/// seed with the run's. Tracing is turned off for speed: the schedule never depends on it.
/// Seed `s` runs exactly what `sim run ... --seed s` with the strategy's flags runs.
pub fn explore(
    target: &Target<'_>,
    config: &MachineConfig,
    strategy: Strategy,
    seeds: Range<u64>,
    options: &Options,
) -> ExploreReport {
    let started = Instant::now();
    let (first, stride) = match options.shard {
        Some(s) => (seeds.start.saturating_add(s.index), s.count.max(1)),
        None => (seeds.start, 1),
    };
    let total = if first >= seeds.end {
        0
    } else {
        (seeds.end - first - 1) / stride + 1
    };
    let mut base = config.clone();
    base.policy = strategy.policy();
    base.kernel.trace = false;

    // Runs are numbered by their place in the shard; threads take the next number, so
    // runs start in seed order and a fail-fast stop has finished every smaller seed.
    let next = AtomicU64::new(0);
    let stop = AtomicU64::new(u64::MAX);
    let done = AtomicU64::new(0);
    let failing = AtomicU64::new(0);
    let finished = AtomicUsize::new(0);
    // The workers' findings, appended once per worker as it stops: a short critical section
    // between host threads, which a spin lock serves.
    let found: spin::Mutex<Vec<(u64, Finding)>> = spin::Mutex::new(Vec::new());
    let jobs = options.jobs.max(1).min(total.max(1) as usize);
    // Workers wake the calling thread as they stop, so that telling the progress never
    // holds the report back by a whole interval.
    let caller = std::thread::current();

    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || i > stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let config = target.seeded(&base, first + i * stride);
                    let finding = match target.run(config) {
                        Ok(report) => classify(&report),
                        Err(e) => Some(Finding {
                            kind: FailureKind::Exit,
                            signature: format!("boot failed: {e}"),
                            detail: format!("could not boot {}: {e}", target.main),
                        }),
                    };
                    if let Some(f) = finding {
                        failing.fetch_add(1, Ordering::Relaxed);
                        if options.fail_fast {
                            stop.fetch_min(i, Ordering::Relaxed);
                        }
                        mine.push((i, f));
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                found.lock().append(&mut mine);
                finished.fetch_add(1, Ordering::Release);
                caller.unpark();
            });
        }
        if let Some(tell) = &options.progress {
            let now = || Progress {
                done: done.load(Ordering::Relaxed),
                total,
                failing: failing.load(Ordering::Relaxed),
            };
            while finished.load(Ordering::Acquire) < jobs {
                tell(now());
                std::thread::park_timeout(Duration::from_millis(100));
            }
            tell(now());
        }
    });

    let mut found = found.into_inner();
    found.sort_by_key(|(i, _)| *i);
    let last = stop.load(Ordering::Relaxed);
    let stopped_early = last != u64::MAX && last + 1 < total;
    if last != u64::MAX {
        found.retain(|(i, _)| *i <= last);
    }
    let seeds_run = if last == u64::MAX { total } else { last + 1 };
    let mut by_signature: BTreeMap<String, Failure> = BTreeMap::new();
    for (i, f) in &found {
        let seed = first + i * stride;
        by_signature
            .entry(f.signature.clone())
            .and_modify(|known| known.count += 1)
            .or_insert_with(|| Failure {
                kind: f.kind,
                signature: f.signature.clone(),
                detail: f.detail.clone(),
                first_seed: seed,
                count: 1,
                replay: format!(
                    "{} {} {}",
                    target.command,
                    strategy.flags(),
                    target.seed_flags(seed)
                ),
            });
    }
    let mut failures: Vec<Failure> = by_signature.into_values().collect();
    failures.sort_by_key(|f| f.first_seed);
    ExploreReport {
        target: target.command.clone(),
        strategy,
        seeds,
        shard: options.shard,
        seeds_run,
        failing_seeds: found.len() as u64,
        failures,
        stopped_early,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::classify::{family, without_host_location};
    use super::*;

    #[test]
    fn shards_seed_ranges_and_names_read_back() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        assert_eq!(parse_seeds("3..10"), Ok(3..10));
        assert_eq!(parse_seeds("5..5"), Ok(5..5));
        assert!(parse_seeds("10..3").is_err());
        assert!(parse_seeds("10").is_err());
        assert_eq!(without_host_location("boom at src/x.rs:12"), "boom");
        assert_eq!(without_host_location("meet at noon"), "meet at noon");
        assert_eq!(family("worker[12]"), "worker");
        assert_eq!(family("init"), "init");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("x.sim"), "x.sim");
    }

    #[test]
    fn a_shard_reads_from_a_kubernetes_indexed_job_or_a_slurm_array() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2"), ("SIM_SHARD_COUNT", "4")]);
        assert_eq!(
            Shard::from_environment(k8s),
            Ok(Shard { index: 2, count: 4 })
        );
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(
            Shard::from_environment(slurm),
            Ok(Shard { index: 2, count: 3 })
        );
        let no_count = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert!(Shard::from_environment(no_count)
            .unwrap_err()
            .contains("SIM_SHARD_COUNT"));
        assert!(Shard::from_environment(env(&[])).is_err());
        let past = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "5"),
        ]);
        assert!(Shard::from_environment(past).is_err());
    }

    #[test]
    fn progress_is_told_in_order_and_last_with_every_seed_finished() {
        let told = Arc::new(spin::Mutex::new(Vec::new()));
        let sink = told.clone();
        let options = Options {
            jobs: 2,
            shard: Some(Shard { index: 1, count: 3 }),
            progress: Some(Arc::new(move |p| sink.lock().push(p))),
            ..Options::default()
        };
        let target = Target::new(userland::programs::builtin, "deadlock", 0);
        let strategy = Strategy::Random {
            preempt_percent: DEFAULT_PREEMPT_PERCENT,
        };
        let report = explore(
            &target,
            &MachineConfig::default(),
            strategy,
            0..30,
            &options,
        );
        let told = told.lock().clone();
        // Seeds 1, 4, ..., 28: the shard's ten.
        let last = Progress {
            done: 10,
            total: 10,
            failing: report.failing_seeds,
        };
        assert_eq!(told.last(), Some(&last), "{told:?}");
        assert!(report.failing_seeds > 0, "the deadlock is found");
        assert!(
            told.windows(2)
                .all(|w| w[0].done <= w[1].done && w[0].failing <= w[1].failing),
            "{told:?}"
        );
        // Without a callback, nothing waits to tell: the same report.
        let quiet = explore(
            &target,
            &MachineConfig::default(),
            strategy,
            0..30,
            &Options {
                progress: None,
                ..options.clone()
            },
        );
        assert_eq!(quiet.failures, report.failures);
    }

    #[test]
    fn a_schedule_file_reads_back_what_it_wrote() {
        let w = |name: &str, nth| Who {
            name: name.into(),
            nth,
        };
        let file = ScheduleFile {
            scenario: "x.sim".into(),
            seed: 9,
            policy: "--policy pct --depth 3 --steps 40".into(),
            failure: Some("deadlock: a -> b -> a".into()),
            schedule: Schedule {
                decisions: vec![
                    Decision::Dispatch(w("init", 0)),
                    Decision::Preempt {
                        who: w("init", 0),
                        after: 12,
                    },
                    Decision::Dispatch(w("worker", 2)),
                    Decision::Dispatch(w("odd#1 name after x", 0)),
                    Decision::Preempt {
                        who: w("odd#1 name after x", 0),
                        after: 3,
                    },
                ],
            },
        };
        let text = file.render();
        assert!(text.contains("\ndispatch worker#2\n"), "{text}");
        assert!(text.contains("\npreempt init after 12\n"), "{text}");
        assert_eq!(ScheduleFile::parse(&text), Ok(file));
        let err = ScheduleFile::parse("sim-schedule 1\nseed 1\njump x\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        assert!(ScheduleFile::parse("dispatch a\n").is_err());
        assert!(ScheduleFile::parse("sim-schedule 1\npreempt a\n").is_err());
    }
}
