//! The command line's words: every subcommand and flag (clap derives the parser from the
//! types here), and what the machine flags make of a target's configuration.
//!
//! This module owns the arguments and how they combine with a scenario's own `set` lines:
//! defaults first, then the scenario's settings, then the flags given. It never runs a
//! machine, reads a file other than through [`Target::resolve`], or writes output.

use super::explore;
use super::target::Target;
use crate::policy::{self, PolicySettings};
use crate::MachineConfig;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use userland::ProgramTable;

pub(crate) const AFTER_HELP: &str = "\
Examples:
  sim list
  sim run producers                        a shipped scenario, its text trace
  sim run producers --trace gantt          the same run as a timeline
  sim run my.sim --trace chrome --out t.json   open t.json in ui.perfetto.dev
  sim run producers --trace html --out run.html   step through the run in a browser
  sim check my.sim                         parse and validate only
  sim ps philosophers_deadlock             the process table where the run ended
  sim explain timeouts                     what happened, in plain words
  sim run bounded_buffer --policy fcfs     a built-in Rust program
  sim run producers --policy mlfq --cpus 2 another policy, two CPUs (docs/scheduling.md)
  sim explore philosophers_deadlock        search seeded schedules for failures

Exit status: 0 when every process exited 0; 1 when a process failed, an `expect` failed,
the run deadlocked or hit --max-ticks; 2 for usage or scenario errors.
Kernel logging goes to stderr (RUST_LOG=debug), never into the trace.";

/// Run programs and scenario files on a simulated message-passing microkernel and show what
/// the scheduler and the message queues did.
#[derive(Parser, Debug)]
#[command(name = "sim", version, about, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run a scenario file, a shipped scenario or a built-in program and print its trace.
    Run(RunArgs),
    /// Parse and validate a scenario without running it.
    Check {
        /// A `.sim` file or the name of a shipped scenario.
        file: String,
    },
    /// List the built-in programs and shipped scenarios, one line each with what it shows.
    List,
    /// Show the process table at a moment of the run (by default, where it ended).
    Ps {
        #[command(flatten)]
        machine: MachineArgs,
        /// The tick to stop at and look.
        #[arg(long)]
        at: Option<u64>,
    },
    /// Explain the run's outcome in plain words: who waited for whom, what was dropped.
    Explain {
        #[command(flatten)]
        machine: MachineArgs,
    },
    /// Run a target under many seeds of an exploring scheduler and report each distinct
    /// failure with the smallest seed that shows it and the command that replays it.
    Explore(explore::ExploreArgs),
}

/// What to run and on what machine. Flags given here override the scenario's `set` lines.
#[derive(clap::Args, Debug)]
pub(crate) struct MachineArgs {
    /// A `.sim` file, a shipped scenario or a built-in program (see `sim list`).
    pub(crate) target: String,
    /// The argument a built-in program receives [default: 0]. A scenario takes none: it
    /// is an error with one.
    #[arg(long)]
    pub(crate) arg: Option<u64>,
    /// Scheduling policy [default: rr] (docs/scheduling.md). Its settings are the flags
    /// below; a setting the policy does not take is an error.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(policy::NAMES))]
    pub(crate) policy: Option<String>,
    /// Quantum in ticks: rr [10], lottery [10], priority (among equals), mlfq (the top
    /// level's, doubling down).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) quantum: Option<u64>,
    /// sjf/srtf: the weight of the last burst in the estimate, in percent [50].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub(crate) alpha: Option<u64>,
    /// sjf/srtf: the burst estimate before any was measured, in ticks [5].
    #[arg(long)]
    pub(crate) initial_estimate: Option<u64>,
    /// priority: ticks of waiting per level of aging [0: off].
    #[arg(long)]
    pub(crate) aging: Option<u64>,
    /// priority, priority_np: which end of the numbers is the most urgent:
    /// higher_is_higher [default] or lower_is_higher (as textbooks: 1 = highest).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(PRIORITY_ORDERS))]
    pub(crate) priority_order: Option<String>,
    /// mlfq: how many levels [3].
    #[arg(long)]
    pub(crate) levels: Option<u64>,
    /// mlfq: every level's quantum, top first, comma-separated [2,4,8].
    #[arg(long, value_delimiter = ',')]
    pub(crate) quanta: Option<Vec<u64>>,
    /// mlfq: ticks between boosts to the top level [100; 0: off].
    #[arg(long)]
    pub(crate) boost: Option<u64>,
    /// Simulated CPUs, 1 to 64 [1].
    #[arg(long, value_parser = crate::limits::parse_cpus)]
    pub(crate) cpus: Option<u32>,
    /// Run queues: global, per-cpu (with migration) or per-cpu-pinned [global].
    #[arg(long)]
    pub(crate) run_queues: Option<crate::RunQueues>,
    /// A sender blocked on a lower-priority receiver lends it its priority (docs/abi.md).
    #[arg(long)]
    pub(crate) priority_inheritance: bool,
    /// A wait that would close a cycle of waiting processes fails with `deadlock`.
    #[arg(long)]
    pub(crate) refuse_deadlock: bool,
    /// Stop the run at this tick [default: 1000000].
    #[arg(long)]
    pub(crate) max_ticks: Option<u64>,
    /// The run's seed [default: 0].
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// The seed of the fault injector's draws (`fault lose`, `fault delay`) [default: 0].
    #[arg(long)]
    pub(crate) fault_seed: Option<u64>,
    /// Ticks every syscall costs [default: 1].
    #[arg(long)]
    pub(crate) syscall_cost: Option<u64>,
    /// Ticks every dispatch (context switch) costs [default: 1].
    #[arg(long)]
    pub(crate) switch_cost: Option<u64>,
    /// Kernel entries in a row at one tick before the run ends as a livelock (time has
    /// stopped: syscalls and switches that cost nothing, in a loop) [default: 1000000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_steps_per_tick: Option<u64>,
    /// PCT's bug depth, 1 to 1000, for --policy pct [default: 3].
    #[arg(long, value_parser = crate::limits::parse_pct_depth)]
    pub(crate) depth: Option<u32>,
    /// PCT's expected scheduling points, for --policy pct [default: estimated from one
    /// run of the target].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) steps: Option<u64>,
    /// The chance of a preemption at each scheduling point in percent, for --policy random
    /// [default: 10].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) preempt: Option<u8>,
    /// Replay a schedule saved by `sim explore --save-schedule` (the policy follows it).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["policy", "quantum"])]
    pub(crate) replay: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) machine: MachineArgs,
    /// How to show the trace (see docs/trace-format.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) trace: Format,
    /// Write the trace to this file instead of standard output.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Columns the gantt timeline may use.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
    /// Run twice and fail (exit 1) if the two traces differ.
    #[arg(long)]
    pub(crate) check_determinism: bool,
}

/// The values `--priority-order` takes, as the scenario language spells them.
const PRIORITY_ORDERS: &[&str] = &["higher_is_higher", "lower_is_higher"];

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// The stable text trace, one event per line.
    Text,
    /// One JSON object per event (versioned schema).
    Jsonl,
    /// Chrome Trace Event JSON, for Perfetto and chrome://tracing.
    Chrome,
    /// A per-process timeline for the terminal.
    Gantt,
    /// The timeline as an SVG picture, with message arrows.
    Svg,
    /// One self-contained HTML page that steps through the run, tick by tick.
    Html,
    /// Per-process, per-mailbox and machine statistics.
    Stats,
    /// Each job's arrival, burst, start, finish, turnaround, waiting and response time as
    /// textbooks define them, with their averages and the schedule (docs/scheduling.md).
    Textbook,
    /// Only what the processes printed.
    Console,
    /// Nothing but the summary.
    None,
}

impl Format {
    /// Formats a program reads: the summary must not be mixed into them.
    pub(crate) fn is_machine_readable(self) -> bool {
        matches!(
            self,
            Format::Jsonl | Format::Chrome | Format::Svg | Format::Html
        )
    }
}

impl MachineArgs {
    /// The policy settings given as flags.
    fn policy_flags(&self) -> PolicySettings {
        PolicySettings {
            quantum: self.quantum,
            alpha_percent: self.alpha,
            initial_estimate: self.initial_estimate,
            aging: self.aging,
            levels: self.levels,
            quanta: self.quanta.clone(),
            boost: self.boost,
            depth: self.depth.map(u64::from),
            steps: self.steps,
            preempt_percent: self.preempt.map(u64::from),
            priority_order: self
                .priority_order
                .as_deref()
                .and_then(kernel::sched::PriorityOrder::from_name),
        }
    }

    /// Apply `--policy` and its settings. A scenario's own settings survive unless a flag
    /// gives the same one: under `--policy`, those the new policy takes (`set quantum 3`
    /// stays under `--policy rr`, `set alpha` is dropped), and flags without `--policy`
    /// adjust the policy the scenario chose (or round robin). PCT without `--steps` is left
    /// to [`Self::exploring`], which estimates them from a run.
    fn choose_policy(&self, target: &Target, config: &mut MachineConfig) -> Result<(), String> {
        let mut flags = self.policy_flags();
        let (name, settings) = match (&self.policy, target) {
            (Some(name), Target::Scenario { scenario, .. }) => {
                let (_, mut settings) = crate::scenario::policy_settings(scenario);
                settings.keep_only(policy::settings_taken(name).unwrap_or(&[]));
                settings.overlay(&mut flags);
                (name.clone(), settings)
            }
            (Some(name), _) => (name.clone(), flags),
            (None, _) if flags.given().is_empty() => return Ok(()),
            (None, Target::Scenario { scenario, .. }) => {
                let (name, mut settings) = crate::scenario::policy_settings(scenario);
                settings.overlay(&mut flags);
                (
                    name.unwrap_or_else(|| config.policy.name().to_string()),
                    settings,
                )
            }
            (None, Target::Program { .. }) => (config.policy.name().to_string(), flags),
        };
        if matches!(name.as_str(), "random" | "pct") {
            // Their settings are applied with the exploration flags.
            return Ok(());
        }
        config.policy = policy::parse(&name, &settings).map_err(|e| format!("sim: {e}\n"))?;
        Ok(())
    }

    /// The target, found among `programs` or the scenarios, and its machine configuration:
    /// defaults, then the scenario's settings, then the flags given.
    pub(crate) fn resolve(
        &self,
        programs: fn() -> ProgramTable,
    ) -> Result<(Target, MachineConfig), String> {
        let target = Target::resolve(&self.target, programs)?;
        if let (Target::Scenario { label, .. }, Some(_)) = (&target, self.arg) {
            return Err(format!(
                "sim: {label} is a scenario, and `--arg` is for built-in programs: a scenario takes no argument (a process gives one to those it spawns with `spawn NAME with VALUE`)\n"
            ));
        }
        let mut config = match &target {
            Target::Scenario { scenario, .. } => {
                crate::scenario::configure(scenario, MachineConfig::default())
            }
            Target::Program { .. } => MachineConfig::default(),
        };
        self.choose_policy(&target, &mut config)?;
        if let Some(n) = self.max_ticks {
            config.max_ticks = n;
        }
        if let Some(n) = self.seed {
            config.seed = n;
        }
        if let Some(n) = self.fault_seed {
            config.fault_seed = n;
        }
        if let Some(n) = self.syscall_cost {
            config.costs.syscall = n;
        }
        if let Some(n) = self.switch_cost {
            config.costs.context_switch = n;
        }
        if let Some(n) = self.max_steps_per_tick {
            config.kernel.max_steps_per_tick = n;
        }
        if let Some(n) = self.cpus {
            config.cpus = n;
        }
        if let Some(q) = self.run_queues {
            config.run_queues = q;
        }
        config.kernel.priority_inheritance |= self.priority_inheritance;
        config.kernel.refuse_deadlock |= self.refuse_deadlock;
        let lower_is_higher = matches!(
            config.policy,
            crate::Policy::Priority { order, .. } | crate::Policy::PriorityNp { order, .. }
                if order == kernel::sched::PriorityOrder::LowerIsHigher
        );
        if lower_is_higher && config.kernel.priority_inheritance {
            // As a scenario refuses it: inheritance lends the higher number, which this order
            // makes the less urgent.
            return Err("sim: priority inheritance lends the higher number, which \
                        `--priority-order lower_is_higher` makes the less urgent: give one \
                        or the other\n"
                .to_string());
        }
        self.exploring(&target, &mut config)?;
        Ok((target, config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
