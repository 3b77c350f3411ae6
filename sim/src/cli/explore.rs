//! `sim explore`, and what `sim run` needs to run one explored schedule: the exploring
//! policies' flags (`--policy random|pct` with `--preempt`, `--depth`, `--steps`) and
//! `--replay FILE`.
//!
//! This module owns the arguments of `sim explore`, turning a resolved target into the
//! library's [`crate::explore::Target`], the replay command printed for each failure (built
//! from the arguments clap parsed), the progress bar drawn on a terminal while the seeds run,
//! and where the report and a saved schedule go. The exploring itself (seeds, threads,
//! classifying failures, the schedule file format) is `crate::explore`'s; this module never
//! runs a seed.

use super::arguments::MachineArgs;
use super::output::{write_file, write_stderr, write_stdout};
use super::target::{read_text, FileKind, Target};
use super::CliResult;
use crate::explore::{self, Options, Progress, ProgressFn, ScheduleFile, Shard, Strategy};
use crate::{MachineConfig, Policy, Report};
use clap::parser::ValueSource;
use clap::{ArgMatches, ValueEnum};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::io::IsTerminal as _;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use userland::ProgramTable;

/// `sim explore`: what to explore and how. The machine flags are `sim run`'s; the ones
/// exploration itself varies are refused, and hidden from its help.
#[derive(clap::Args, Debug)]
#[command(
    mut_arg("policy", |a| a.hide(true)),
    mut_arg("quantum", |a| a.hide(true)),
    mut_arg("seed", |a| a.hide(true)),
    mut_arg("replay", |a| a.hide(true)),
    mut_arg("depth", |a| a.help("PCT's bug depth, 1 to 1000 [default: 3]")),
    mut_arg("steps", |a| a.help("PCT's expected scheduling points [default: estimated from one run]")),
    mut_arg("preempt", |a| a.help("Random's chance of a preemption at each scheduling point, in percent [default: 10]")),
)]
pub(crate) struct ExploreArgs {
    #[command(flatten)]
    machine: MachineArgs,
    /// How to choose the schedules.
    #[arg(long, value_enum, default_value_t = StrategyArg::Pct)]
    strategy: StrategyArg,
    /// The seeds to run, A..B (B excluded); seed s runs as `sim run ... --seed s`.
    #[arg(long, default_value = "0..100", value_parser = explore::parse_seeds)]
    seeds: Range<u64>,
    /// Host threads running seeds at once [default: the host's parallelism].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: Option<u64>,
    /// Run only shard I of N: the seeds s with (s - A) % N == I, or with dpor its share of
    /// the pieces the search is cut into. The shards' outputs together are the whole
    /// search's. `auto` reads I and N from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX,
    /// SIM_SHARD_COUNT) or a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT).
    #[arg(long, value_name = "I/N|auto")]
    shard: Option<String>,
    /// dpor: stop after this many interleavings (the verdict is then `incomplete`).
    #[arg(long, value_name = "N", default_value_t = explore::dpor::DEFAULT_MAX_INTERLEAVINGS,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_interleavings: u64,
    /// dpor: stop when one run reaches this tick (the verdict is then `incomplete`; a lower
    /// --max-ticks wins, and a run reaching that is a `tick limit` failure).
    #[arg(long, value_name = "TICKS", default_value_t = explore::dpor::DEFAULT_MAX_RUN_TICKS,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_run_ticks: u64,
    /// dpor: stop after this many runs of the machine in all, counting runs that are not
    /// interleavings (the verdict is then `incomplete`) [default: 10 per interleaving of
    /// --max-interleavings].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_runs: Option<u64>,
    /// dpor: go on past the first failure and report every distinct failure (and, with
    /// --format json, every distinct outcome).
    #[arg(long)]
    keep_going: bool,
    /// dpor: no reduction, run every schedule (the naive enumeration DPOR is checked
    /// against; exponential).
    #[arg(long)]
    no_reduction: bool,
    /// dpor: explore only interleavings with at most K preemptions (a switch away from a
    /// process that could run on and did not yield), as loom and CHESS bound them
    /// [default: no bound].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(0..=10_000))]
    preemptions: Option<u32>,
    /// dpor with --shard: a directory the shards share (made if missing; a fresh one per
    /// search), in which they take the search's pieces as they come free instead of each
    /// its share by estimate.
    #[arg(long, value_name = "DIR")]
    claims: Option<PathBuf>,
    /// With TARGET `merge`: the JSON results of `sim explore --strategy dpor --format json
    /// --shard I/N` to combine into one verdict.
    #[arg(value_name = "RESULTS")]
    results: Vec<PathBuf>,
    /// Stop at the first failing seed (the smallest).
    #[arg(long)]
    fail_fast: bool,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Save the schedule of the first failure (its smallest seed) to this file, for
    /// `sim run FILE --replay PATH`.
    #[arg(long, value_name = "PATH")]
    save_schedule: Option<PathBuf>,
    /// Seed each run's fault injection (`fault lose`, `fault delay`) with its seed too, so the
    /// search varies faults as well as schedules.
    #[arg(long)]
    vary_fault_seed: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StrategyArg {
    /// A random ready process at every dispatch, a preemption with chance --preempt at every
    /// scheduling point.
    Random,
    /// Probabilistic concurrency testing: random priorities, --depth - 1 change points over
    /// --steps scheduling points.
    Pct,
    /// Systematic: every interleaving up to equivalence (dynamic partial-order reduction),
    /// until the first failure or --max-interleavings.
    Dpor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// One block per distinct failure, then the totals.
    Text,
    /// One JSON object per line: one per distinct failure, then a summary.
    Json,
}

/// Run `sim explore` over the targets `programs` and the scenarios hold; `replay` starts
/// every replay command ([`replay_prefix`]).
pub(crate) fn run(
    mut args: ExploreArgs,
    programs: fn() -> ProgramTable,
    replay: String,
) -> CliResult {
    if args.machine.target == "merge" {
        return merge(&args);
    }
    if !args.results.is_empty() {
        return Err(
            "sim explore: more than one TARGET (only `sim explore merge` takes several files)\n"
                .into(),
        );
    }
    let shard = match args.shard.as_deref() {
        None => None,
        Some("auto") => Some(
            Shard::from_environment(|k| std::env::var(k).ok())
                .map_err(|e| format!("sim explore: --shard auto: {e}\n"))?,
        ),
        Some(text) => Some(
            text.parse::<Shard>()
                .map_err(|e| format!("sim explore: --shard: {e}\n"))?,
        ),
    };
    let m = &mut args.machine;
    if m.policy.is_some() || m.quantum.is_some() || m.seed.is_some() || m.replay.is_some() {
        return Err(
            "sim explore: the policy and the seeds are what it varies: give --strategy and \
             --seeds instead of --policy, --quantum, --seed or --replay\n"
                .to_string(),
        );
    }
    // The strategy's settings are this command's, not a `--policy` of `sim run`'s.
    let (depth, steps, preempt) = (m.depth.take(), m.steps.take(), m.preempt.take());
    let (target, config) = m.resolve(programs)?;
    // A target the kernel cannot boot fails the same way under every seed: a usage error,
    // said once, rather than every seed reported as a failure of the program.
    target.machine(config.clone(), m.arg.unwrap_or(0))?;
    let mut explored = library_target(&target, m.arg.unwrap_or(0)).with_command(replay.clone());
    if args.vary_fault_seed {
        explored = explored.varying_fault_seed();
    }
    if let StrategyArg::Dpor = args.strategy {
        if depth.is_some() || steps.is_some() || preempt.is_some() {
            return Err(
                "sim explore: --depth, --steps and --preempt do not apply to --strategy dpor\n"
                    .into(),
            );
        }
        if args.claims.is_some() && shard.is_none_or(|s| s.count < 2) {
            return Err("sim explore: --claims applies to a search split into shards (--shard I/N with N of 2 or more)\n".into());
        }
        return run_dpor(&args, &explored, &config, shard);
    }
    if args.keep_going || args.no_reduction || args.preemptions.is_some() || args.claims.is_some() {
        return Err(
            "sim explore: --keep-going, --no-reduction, --preemptions and --claims apply to --strategy dpor\n"
                .into(),
        );
    }
    let strategy = match args.strategy {
        StrategyArg::Random => {
            if depth.is_some() || steps.is_some() {
                return Err("sim explore: --depth and --steps apply to --strategy pct\n".into());
            }
            Strategy::Random {
                preempt_percent: preempt.unwrap_or(explore::DEFAULT_PREEMPT_PERCENT),
            }
        }
        StrategyArg::Pct => {
            if preempt.is_some() {
                return Err("sim explore: --preempt applies to --strategy random\n".into());
            }
            Strategy::Pct {
                depth: depth.unwrap_or(explore::DEFAULT_DEPTH),
                steps: steps.unwrap_or_else(|| explore::estimate_steps(&explored, &config)),
            }
        }
        StrategyArg::Dpor => unreachable!("dpor returned above"),
    };
    // A bar is for someone watching: never drawn into a file or a pipe.
    let (bar, tell) = match std::io::stderr().is_terminal() {
        true => {
            let (bar, tell) = progress_bar(PROGRESS_TEMPLATE, "seeds");
            (Some(bar), Some(tell))
        }
        false => (None, None),
    };
    let options = Options {
        jobs: args.jobs.map_or_else(explore::default_jobs, |j| j as usize),
        shard,
        fail_fast: args.fail_fast,
        progress: tell,
    };
    let report = explore::explore(&explored, &config, strategy, args.seeds.clone(), &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut shown = match args.format {
        ReportFormat::Text => report.render_text(),
        ReportFormat::Json => report.render_json(),
    };
    if let Some(path) = &args.save_schedule {
        let note = match report.failures.first() {
            Some(f) => {
                let (_, file) = explore::record_seed(&explored, &config, strategy, f.first_seed)
                    .map_err(|e| format!("sim: could not boot the target: {e}\n"))?;
                write_file(path, &file.render())?;
                format!(
                    "== saved the schedule of seed {} ({} decisions) to {}; replay: {replay} --replay {}\n",
                    f.first_seed,
                    file.schedule.decisions.len(),
                    path.display(),
                    path.display()
                )
            }
            None => format!("== no failure: nothing saved to {}\n", path.display()),
        };
        match args.format {
            ReportFormat::Text => shown.push_str(&note),
            ReportFormat::Json => write_stderr(&note),
        }
    }
    write_stdout(&shown)?;
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// How the bar `sim explore` draws on stderr looks:
/// `[#####     ] 120/400 seeds, 3 failing, 950 seeds/s`.
const PROGRESS_TEMPLATE: &str = "[{bar:30}] {pos}/{len} seeds, {failing} failing, {rate}";

/// How the bar `sim explore --strategy dpor` draws: interleavings out of the limit.
const DPOR_PROGRESS_TEMPLATE: &str =
    "[{bar:30}] {pos}/{len} interleavings (limit), {failing} failing, {rate}";

/// A progress bar for stderr, and the callback that moves it as the library tells it.
fn progress_bar(template: &str, unit: &'static str) -> (ProgressBar, ProgressFn) {
    // The failing count is drawn from here rather than set as the bar's message, so that one
    // report is one redraw.
    let failing = Arc::new(AtomicU64::new(0));
    let shown = failing.clone();
    // The template is a constant a test parses; a plain bar is only the fallback's shape.
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("# ")
        .with_key(
            "failing",
            move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{}", shown.load(Ordering::Relaxed));
            },
        )
        .with_key(
            "rate",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0} {unit}/s", state.per_sec());
            },
        );
    let bar = ProgressBar::new(0).with_style(style);
    let moved = bar.clone();
    let tell: ProgressFn = Arc::new(move |p: Progress| {
        failing.store(p.failing, Ordering::Relaxed);
        moved.update(|state| {
            state.set_len(p.total);
            state.set_pos(p.done);
        });
    });
    (bar, tell)
}

/// `sim explore TARGET --strategy dpor`: the search, its report, the saved schedule.
fn run_dpor(
    args: &ExploreArgs,
    explored: &explore::Target<'_>,
    config: &MachineConfig,
    shard: Option<Shard>,
) -> CliResult {
    let settings = explore::DporSettings {
        max_interleavings: args.max_interleavings,
        max_run_ticks: args.max_run_ticks,
        max_runs: args.max_runs,
        keep_going: args.keep_going,
        exhaustive: args.no_reduction,
        preemptions: args.preemptions,
        claims: args.claims.clone(),
        ..explore::DporSettings::default()
    };
    let (bar, tell) = match std::io::stderr().is_terminal() {
        true => {
            let (bar, tell) = progress_bar(DPOR_PROGRESS_TEMPLATE, "interleavings");
            (Some(bar), Some(tell))
        }
        false => (None, None),
    };
    let options = Options {
        shard,
        progress: tell,
        ..Options::default()
    };
    let report = explore::dpor(explored, config, &settings, &options)
        .map_err(|e| format!("sim explore: {e}\n"))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let saved = match (&args.save_schedule, report.failures.first()) {
        (Some(path), Some(f)) => {
            write_file(path, &f.schedule.render())?;
            Some(path.display().to_string())
        }
        _ => None,
    };
    let shown = match args.format {
        ReportFormat::Text => report.render_text(saved.as_deref()),
        ReportFormat::Json => report.render_json(args.keep_going),
    };
    write_stdout(&shown)?;
    // A failure found before the limit is a failure, whatever else the search did not reach.
    if !report.failures.is_empty() {
        return Ok(ExitCode::from(1));
    }
    Ok(verdict_status(report.verdict))
}

/// The exit status of a systematic search: 0 complete, 1 failed, 3 incomplete.
fn verdict_status(verdict: explore::dpor::Verdict) -> ExitCode {
    match verdict {
        explore::dpor::Verdict::Complete => ExitCode::SUCCESS,
        explore::dpor::Verdict::Failed => ExitCode::from(1),
        explore::dpor::Verdict::Incomplete => ExitCode::from(3),
    }
}

/// `sim explore merge RESULTS...`: the shards' JSON results as one verdict.
fn merge(args: &ExploreArgs) -> CliResult {
    if args.results.is_empty() {
        return Err("sim explore merge: give the shards' JSON results (RESULTS...)\n".into());
    }
    let mut results = Vec::new();
    for path in &args.results {
        let name = path.display().to_string();
        results.push((name, read_result(path)?));
    }
    let merged = explore::dpor::merge(&results).map_err(|e| format!("sim explore merge: {e}\n"))?;
    let shown = match args.format {
        ReportFormat::Text => merged.render_text(),
        ReportFormat::Json => merged.render_json(),
    };
    write_stdout(&shown)?;
    Ok(verdict_status(merged.verdict))
}

/// The largest shard result `sim explore merge` reads.
const MAX_RESULT_BYTES: u64 = 64 << 20;

/// A shard's JSON result, refused when larger than [`MAX_RESULT_BYTES`].
fn read_result(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read as _;
    let cannot =
        |e: std::io::Error| format!("sim explore merge: cannot read {}: {e}\n", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_RESULT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_RESULT_BYTES {
        return Err(format!(
            "sim explore merge: {} is larger than 64 MiB\n",
            path.display()
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| format!("sim explore merge: {} is not UTF-8\n", path.display()))
}

/// The library's view of a resolved target: how to build its programs for every run.
fn library_target(target: &Target, arg: u64) -> explore::Target<'static> {
    match target {
        Target::Scenario { scenario, .. } => explore::Target::scenario(scenario.clone()),
        Target::Program { name, programs } => explore::Target::new(*programs, name, arg),
    }
}

/// The machine flags of `sim run` that a replay command sets itself, after the prefix: the
/// policy and its settings, and the seed. `sim explore` refuses the ones it varies and takes
/// the settings as its strategy's.
const SET_BY_THE_REPLAY: &[&str] = &[
    "policy", "quantum", "seed", "replay", "depth", "steps", "preempt",
];

/// The id clap gives the group of the arguments [`MachineArgs`] declares.
const MACHINE_ARGS: &str = "MachineArgs";

/// `BIN run` and the machine flags the user gave `BIN explore` (the target, `--max-ticks` and
/// any other), in the order given, without those a replay sets itself: what every replay
/// command starts with. `command` is the whole command line as parsed, `matches` what it
/// parsed; `BIN` is the name it was run by. Built from clap's record of the arguments rather
/// than from a list of them, so a machine flag added later is carried over too.
pub(crate) fn replay_prefix(command: &clap::Command, matches: &ArgMatches) -> String {
    let bin = command.get_bin_name().unwrap_or("sim");
    let mut words = vec![explore::shell_word(bin), "run".to_string()];
    let (Some(explore_command), Some(given)) = (
        command.find_subcommand("explore"),
        matches.subcommand_matches("explore"),
    ) else {
        return words.join(" ");
    };
    let machine: Vec<&clap::Id> = explore_command
        .get_groups()
        .filter(|g| g.get_id() == MACHINE_ARGS)
        .flat_map(|g| g.get_args())
        .collect();
    let mut flags: Vec<(usize, Vec<String>)> = Vec::new();
    for arg in explore_command.get_arguments() {
        let id = arg.get_id().as_str();
        if !machine.contains(&arg.get_id())
            || SET_BY_THE_REPLAY.contains(&id)
            || given.value_source(id) != Some(ValueSource::CommandLine)
        {
            continue;
        }
        let mut said: Vec<String> = arg
            .get_long()
            .map(|l| format!("--{l}"))
            .into_iter()
            .collect();
        if arg.get_action().takes_values() {
            let values: Vec<String> = given
                .get_raw(id)
                .into_iter()
                .flatten()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            match arg.get_value_delimiter() {
                Some(delimiter) => said.push(values.join(&delimiter.to_string())),
                None => said.extend(values),
            }
        }
        flags.push((given.index_of(id).unwrap_or(usize::MAX), said));
    }
    flags.sort_by_key(|(index, _)| *index);
    words.extend(
        flags
            .into_iter()
            .flat_map(|(_, said)| said)
            .map(|w| explore::shell_word(&w)),
    );
    words.join(" ")
}

impl MachineArgs {
    /// Apply `--policy random|pct` with their settings, or `--replay`, to `config`. Settings
    /// given for a policy that is not chosen are a usage error, not silently ignored.
    pub(crate) fn exploring(
        &self,
        target: &Target,
        config: &mut MachineConfig,
    ) -> Result<(), String> {
        // The policy in force: the flag's, or the scenario's when no flag names one.
        let chosen = |name: &str, scenario: bool| match &self.policy {
            Some(p) => p == name,
            None => scenario,
        };
        let pct = chosen("pct", matches!(config.policy, Policy::Pct { .. }));
        let random = chosen("random", matches!(config.policy, Policy::Random { .. }));
        if (self.depth.is_some() || self.steps.is_some()) && !pct {
            return Err("sim: --depth and --steps apply to --policy pct\n".into());
        }
        if self.preempt.is_some() && !random {
            return Err("sim: --preempt applies to --policy random\n".into());
        }
        if random && (self.policy.is_some() || self.preempt.is_some()) {
            let scenario = match config.policy {
                Policy::Random { preempt_percent } => preempt_percent,
                _ => explore::DEFAULT_PREEMPT_PERCENT,
            };
            config.policy = Policy::Random {
                preempt_percent: self.preempt.unwrap_or(scenario),
            };
        }
        if pct && (self.policy.is_some() || self.depth.is_some() || self.steps.is_some()) {
            let (depth, steps) = match config.policy {
                Policy::Pct { depth, steps } if self.policy.is_none() => (depth, Some(steps)),
                _ => (explore::DEFAULT_DEPTH, None),
            };
            let steps = match self.steps.or(steps) {
                Some(steps) => steps,
                None => {
                    explore::estimate_steps(&library_target(target, self.arg.unwrap_or(0)), config)
                }
            };
            config.policy = Policy::Pct {
                depth: self.depth.unwrap_or(depth),
                steps,
            };
        }
        if let Some(path) = &self.replay {
            let text = read_text(path, FileKind::Schedule)?;
            let file = ScheduleFile::parse(&text)
                .map_err(|e| format!("sim: {}: {e}\n", path.display()))?;
            if self.seed.is_none() {
                config.seed = file.seed;
            }
            config.policy = Policy::Replay(std::sync::Arc::new(file.schedule));
        }
        Ok(())
    }
}

/// The summary line of a replayed run: whether it made exactly the recorded decisions.
/// Empty when the run was not a replay.
pub fn replay_note(config: &MachineConfig, report: &Report) -> String {
    let Policy::Replay(schedule) = &config.policy else {
        return String::new();
    };
    let d = explore::divergence(schedule, &report.events);
    if d.exact {
        format!(
            "== replay: followed all {} recorded decisions exactly\n",
            d.recorded
        )
    } else {
        format!(
            "== replay: {} dispatches followed the recording ({} decisions), {} departed from it (no ready process had the recorded name)\n",
            d.followed, d.recorded, d.departed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_follows_what_the_library_tells_it() {
        assert!(ProgressStyle::with_template(PROGRESS_TEMPLATE).is_ok());
        let (bar, tell) = progress_bar(PROGRESS_TEMPLATE, "seeds");
        tell(Progress {
            done: 3,
            total: 10,
            failing: 1,
        });
        assert_eq!((bar.position(), bar.length()), (3, Some(10)));
        tell(Progress {
            done: 10,
            total: 10,
            failing: 2,
        });
        assert_eq!((bar.position(), bar.length()), (10, Some(10)));
    }

    /// The replay prefix of `BIN explore WORDS`, as `main` builds it.
    fn prefix_of(bin: &str, words: &[&str]) -> String {
        use clap::CommandFactory;
        let mut command = super::super::arguments::Cli::command();
        let argv = [bin, "explore"].into_iter().chain(words.iter().copied());
        let matches = command.try_get_matches_from_mut(argv).expect("parses");
        replay_prefix(&command, &matches)
    }

    #[test]
    fn a_replay_command_keeps_the_machine_flags_as_given_and_drops_the_exploring_ones() {
        let prefix = prefix_of(
            "/usr/local/bin/sim",
            &[
                "--max-ticks=5000",
                "my file.sim",
                "--seeds",
                "0..3",
                "--cpus",
                "2",
                "--priority-inheritance",
                "--jobs",
                "4",
                "--depth",
                "2",
                "--quanta",
                "2,4",
                "--vary-fault-seed",
                "--format",
                "json",
            ],
        );
        assert_eq!(
            prefix,
            "sim run --max-ticks 5000 'my file.sim' --cpus 2 --priority-inheritance --quanta 2,4"
        );
        // The binary by the name it was run as: a program of the user's replays with itself.
        assert_eq!(
            prefix_of("target/debug/my-programs", &["client_server"]),
            "my-programs run client_server"
        );
    }

    #[test]
    fn every_machine_flag_a_replay_does_not_set_is_carried_into_it() {
        use clap::CommandFactory;
        let command = super::super::arguments::Cli::command();
        let explore = command.find_subcommand("explore").expect("explore");
        let group: Vec<&clap::Id> = explore
            .get_groups()
            .filter(|g| g.get_id() == MACHINE_ARGS)
            .flat_map(|g| g.get_args())
            .collect();
        assert!(group.len() > 10, "the machine flags are found: {group:?}");
        let mut words = vec!["x.sim".to_string()];
        let mut expected = Vec::new();
        for arg in explore.get_arguments() {
            let id = arg.get_id().as_str();
            let Some(long) = arg.get_long() else { continue };
            if !group.contains(&arg.get_id()) || SET_BY_THE_REPLAY.contains(&id) {
                continue;
            }
            words.push(format!("--{long}"));
            if arg.get_action().takes_values() {
                // A number suits every machine flag but those that take a word.
                let value = match id {
                    "run_queues" => "global",
                    "priority_order" => "lower_is_higher",
                    _ => "1",
                };
                words.push(value.to_string());
            }
            expected.push(format!("--{long}"));
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let prefix = prefix_of("sim", &words);
        for flag in &expected {
            assert!(
                prefix.split(' ').any(|w| w == flag),
                "{flag} is missing from {prefix}"
            );
        }
        assert!(
            expected.iter().any(|f| f == "--max-steps-per-tick"),
            "{expected:?}"
        );
    }
}
