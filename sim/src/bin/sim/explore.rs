//! `sim explore`, and what `sim run` needs to run one explored schedule: the exploring
//! policies' flags (`--policy random|pct` with `--preempt`, `--depth`, `--steps`) and
//! `--replay FILE`.
//!
//! This module owns the arguments of `sim explore`, turning a resolved target into the
//! library's [`sim::explore::Target`], the replay command printed for each failure, the
//! progress bar drawn on a terminal while the seeds run, and where the report and a saved
//! schedule go. The exploring itself (seeds, threads, classifying failures, the schedule file
//! format) is `sim::explore`'s; this module never runs a seed.

use crate::output::{write_file, write_stderr, write_stdout};
use crate::target::{read_text, FileKind, Target};
use crate::{CliResult, MachineArgs};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use sim::explore::{self, Options, Progress, ProgressFn, ScheduleFile, Shard, Strategy};
use sim::{MachineConfig, Policy, Report};
use std::io::IsTerminal as _;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
pub struct ExploreArgs {
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
    /// Run only shard I of N: the seeds s with (s - A) % N == I. The shards' outputs
    /// together are the whole range's.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// One block per distinct failure, then the totals.
    Text,
    /// One JSON object per line: one per distinct failure, then a summary.
    Json,
}

/// Flags of `sim run` that `sim explore` sets itself, with whether they take a value: they
/// are left out of a replay command's copy of the user's flags.
const EXPLORE_ONLY: &[(&str, bool)] = &[
    ("--strategy", true),
    ("--seeds", true),
    ("--jobs", true),
    ("--shard", true),
    ("--fail-fast", false),
    ("--format", true),
    ("--save-schedule", true),
    ("--vary-fault-seed", false),
    ("--depth", true),
    ("--steps", true),
    ("--preempt", true),
];

/// Run `sim explore`.
pub fn run(mut args: ExploreArgs) -> CliResult {
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
    let (target, config) = m.resolve()?;
    // A target the kernel cannot boot fails the same way under every seed: a usage error,
    // said once, rather than every seed reported as a failure of the program.
    target.machine(config.clone(), m.arg)?;
    let mut explored = library_target(&target, m.arg).with_command(replay_prefix());
    if args.vary_fault_seed {
        explored = explored.varying_fault_seed();
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
    };
    // A bar is for someone watching: never drawn into a file or a pipe.
    let (bar, tell) = match std::io::stderr().is_terminal() {
        true => {
            let (bar, tell) = progress_bar();
            (Some(bar), Some(tell))
        }
        false => (None, None),
    };
    let options = Options {
        jobs: args.jobs.map_or_else(explore::default_jobs, |j| j as usize),
        shard: args.shard,
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
                    "== saved the schedule of seed {} ({} decisions) to {}; replay: sim run {} --replay {}\n",
                    f.first_seed,
                    file.schedule.decisions.len(),
                    path.display(),
                    file.scenario,
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

/// A progress bar for stderr, and the callback that moves it as the library tells it.
fn progress_bar() -> (ProgressBar, ProgressFn) {
    // The failing count is drawn from here rather than set as the bar's message, so that one
    // report is one redraw.
    let failing = Arc::new(AtomicU64::new(0));
    let shown = failing.clone();
    // The template is a constant a test parses; a plain bar is only the fallback's shape.
    let style = ProgressStyle::with_template(PROGRESS_TEMPLATE)
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
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0} seeds/s", state.per_sec());
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

/// The library's view of a resolved target: how to build its programs for every run.
fn library_target(target: &Target, arg: u64) -> explore::Target<'static> {
    match target {
        Target::Scenario { scenario, .. } => explore::Target::scenario(scenario.clone()),
        Target::Program { name } => explore::Target::new(userland::programs::builtin, name, arg),
    }
}

/// `sim run` and the user's own flags (the target, `--max-ticks` and any other machine
/// flag, in the order given), without those `sim explore` sets: what every replay command
/// starts with. Copying the words rather than rebuilding them from the parsed flags keeps
/// every machine flag, including ones added after this was written.
fn replay_prefix() -> String {
    let words: Vec<String> = std::env::args().skip(2).collect();
    let mut kept = vec!["sim".to_string(), "run".to_string()];
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let flag = w.split_once('=').map_or(w.as_str(), |(f, _)| f);
        match EXPLORE_ONLY.iter().find(|(f, _)| *f == flag) {
            Some((_, takes_value)) => {
                i += if *takes_value && !w.contains('=') {
                    2
                } else {
                    1
                };
            }
            None => {
                kept.push(explore::shell_word(w));
                i += 1;
            }
        }
    }
    kept.join(" ")
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
                None => explore::estimate_steps(&library_target(target, self.arg), config),
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
            // One schedule per process run: leaking it is how `Policy` stays `Copy`.
            config.policy = Policy::Replay(Box::leak(Box::new(file.schedule)));
        }
        Ok(())
    }
}

/// The summary line of a replayed run: whether it made exactly the recorded decisions.
/// Empty when the run was not a replay.
pub fn replay_note(config: &MachineConfig, report: &Report) -> String {
    let Policy::Replay(schedule) = config.policy else {
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
        let (bar, tell) = progress_bar();
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
}
