//! `sim`: run programs and scenario files on the simulated machine and show what the
//! scheduler and the message queues did.
//!
//! The binary owns argument parsing, reading files and where output goes. Everything it shows
//! comes from the library: the machine runs, `sim::render` draws, `sim::scenario` connects the
//! scenario language. Exit status: 0 when every process exited 0; 1 when one failed, an
//! `expect` failed, the run deadlocked or hit its tick limit; 2 for usage and scenario errors.

mod explore;
mod output;
mod target;

use abi::Ticks;
use clap::{Parser, Subcommand, ValueEnum};
use kernel::LivelockCause;
use output::{
    cannot_write, write_file, write_stderr, write_stdout, write_trace_file, write_trace_stdout,
    Live, Streamed,
};
use sim::policy::{self, PolicySettings};
use sim::{Machine, MachineConfig, Outcome, Report};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use target::Target;

const AFTER_HELP: &str = "\
Examples:
  sim list
  sim run producers                        a shipped scenario, its text trace
  sim run producers --trace gantt          the same run as a timeline
  sim run my.sim --trace chrome --out t.json   open t.json in ui.perfetto.dev
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
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
struct MachineArgs {
    /// A `.sim` file, a shipped scenario or a built-in program (see `sim list`).
    target: String,
    /// The argument a built-in program receives (0: its default).
    #[arg(long, default_value_t = 0)]
    arg: u64,
    /// Scheduling policy [default: rr] (docs/scheduling.md). Its settings are the flags
    /// below; a setting the policy does not take is an error.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(policy::NAMES))]
    policy: Option<String>,
    /// Quantum in ticks: rr [10], lottery [10], priority (among equals), mlfq (the top
    /// level's, doubling down).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    quantum: Option<u64>,
    /// sjf/srtf: the weight of the last burst in the estimate, in percent [50].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=100))]
    alpha: Option<u64>,
    /// sjf/srtf: the burst estimate before any was measured, in ticks [5].
    #[arg(long)]
    initial_estimate: Option<u64>,
    /// priority: ticks of waiting per level of aging [0: off].
    #[arg(long)]
    aging: Option<u64>,
    /// mlfq: how many levels [3].
    #[arg(long)]
    levels: Option<u64>,
    /// mlfq: every level's quantum, top first, comma-separated [2,4,8].
    #[arg(long, value_delimiter = ',')]
    quanta: Option<Vec<u64>>,
    /// mlfq: ticks between boosts to the top level [100; 0: off].
    #[arg(long)]
    boost: Option<u64>,
    /// Simulated CPUs, 1 to 64 [1].
    #[arg(long, value_parser = sim::limits::parse_cpus)]
    cpus: Option<u32>,
    /// Run queues: global, per-cpu (with migration) or per-cpu-pinned [global].
    #[arg(long)]
    run_queues: Option<sim::RunQueues>,
    /// A sender blocked on a lower-priority receiver lends it its priority (docs/abi.md).
    #[arg(long)]
    priority_inheritance: bool,
    /// A wait that would close a cycle of waiting processes fails with `deadlock`.
    #[arg(long)]
    refuse_deadlock: bool,
    /// Stop the run at this tick [default: 1000000].
    #[arg(long)]
    max_ticks: Option<u64>,
    /// The run's seed [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// The seed of the fault injector's draws (`fault lose`, `fault delay`) [default: 0].
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Ticks every syscall costs [default: 1].
    #[arg(long)]
    syscall_cost: Option<u64>,
    /// Ticks every dispatch (context switch) costs [default: 1].
    #[arg(long)]
    switch_cost: Option<u64>,
    /// Kernel entries in a row at one tick before the run ends as a livelock (time has
    /// stopped: syscalls and switches that cost nothing, in a loop) [default: 1000000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_steps_per_tick: Option<u64>,
    /// PCT's bug depth, 1 to 1000, for --policy pct [default: 3].
    #[arg(long, value_parser = sim::limits::parse_pct_depth)]
    depth: Option<u32>,
    /// PCT's expected scheduling points, for --policy pct [default: estimated from one
    /// run of the target].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    steps: Option<u64>,
    /// The chance of a preemption at each scheduling point in percent, for --policy random
    /// [default: 10].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    preempt: Option<u8>,
    /// Replay a schedule saved by `sim explore --save-schedule` (the policy follows it).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["policy", "quantum"])]
    replay: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    machine: MachineArgs,
    /// How to show the trace (see docs/trace-format.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    trace: Format,
    /// Write the trace to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Columns the gantt timeline may use.
    #[arg(long, default_value_t = 100)]
    width: usize,
    /// Run twice and fail (exit 1) if the two traces differ.
    #[arg(long)]
    check_determinism: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
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
    /// Per-process, per-mailbox and machine statistics.
    Stats,
    /// Only what the processes printed.
    Console,
    /// Nothing but the summary.
    None,
}

impl Format {
    /// Formats a program reads: the summary must not be mixed into them.
    fn is_machine_readable(self) -> bool {
        matches!(self, Format::Jsonl | Format::Chrome | Format::Svg)
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .target(env_logger::Target::Stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout, and a write there that fails is an error like any
        // other; a usage error goes to stderr, where a failure is ignored. (`Cli::parse`
        // would print and exit by itself, ignoring a failed write to stdout.)
        Err(e) => {
            let printed = e.print();
            if !e.use_stderr() {
                if let Err(message) = output::stdout_written(printed) {
                    write_stderr(&message);
                    return ExitCode::from(2);
                }
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::List => write_stdout(&list()).map(|()| ExitCode::SUCCESS),
        Command::Check { file } => check(&file),
        Command::Run(args) => run(args),
        Command::Ps { machine, at } => ps(machine, at),
        Command::Explain { machine } => explain(machine),
        Command::Explore(args) => explore::run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            write_stderr(&message);
            ExitCode::from(2)
        }
    }
}

/// A usage or input error: its message (ending in a newline) and exit status 2.
type CliResult = Result<ExitCode, String>;

fn list() -> String {
    let mut out = String::from("Built-in programs (Rust, userland/src/programs):\n");
    for p in userland::programs::builtin().iter() {
        if !p.name.contains('.') {
            out.push_str(&format!("  {:<22} {}\n", p.name, p.about));
        }
    }
    out.push_str("\nShipped scenarios (userland/scenarios/NAME.sim):\n");
    for s in userland::scenario::SHIPPED {
        out.push_str(&format!("  {:<22} {}\n", s.name, s.about()));
    }
    out
}

fn check(file: &str) -> CliResult {
    let target = Target::resolve(file)?;
    let Target::Scenario { scenario, .. } = target else {
        return Err(format!(
            "sim: `{file}` is a built-in program, not a scenario: nothing to check\n"
        ));
    };
    let boot = scenario.processes.iter().filter(|p| !p.spawned).count();
    let copies: u32 = scenario.processes.iter().map(|p| p.count).sum();
    write_stdout(&format!(
        "{}: ok ({} process declarations, {copies} processes, {} starting at boot; {} boot mailboxes)\n",
        scenario.file,
        scenario.processes.len(),
        boot,
        scenario.mailboxes.len()
    ))?;
    Ok(ExitCode::SUCCESS)
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
        }
    }

    /// Apply `--policy` and its settings. A new policy takes only the flags' settings; flags
    /// without `--policy` adjust the policy the scenario chose (or round robin), over the
    /// scenario's own settings. PCT without `--steps` is left to [`Self::exploring`], which
    /// estimates them from a run.
    fn choose_policy(&self, target: &Target, config: &mut MachineConfig) -> Result<(), String> {
        let mut flags = self.policy_flags();
        let (name, settings) = match (&self.policy, target) {
            (Some(name), _) => (name.clone(), flags),
            (None, _) if flags.given().is_empty() => return Ok(()),
            (None, Target::Scenario { scenario, .. }) => {
                let (name, mut settings) = sim::scenario::policy_settings(scenario);
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

    /// The target and its machine configuration: defaults, then the scenario's settings,
    /// then the flags given.
    fn resolve(&self) -> Result<(Target, MachineConfig), String> {
        let target = Target::resolve(&self.target)?;
        let mut config = match &target {
            Target::Scenario { scenario, .. } => {
                sim::scenario::configure(scenario, MachineConfig::default())
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
        self.exploring(&target, &mut config)?;
        Ok((target, config))
    }
}

/// What a run keeps of its trace: only what the output asked for needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// Nothing: the kernel records no event. A run that shows no trace (`--trace none`,
    /// `console`, `sim ps`) would otherwise hold every event in memory to the end, hundreds
    /// of megabytes a second for a busy loop, to throw them away.
    Nothing,
    /// Each event handed to its renderer as it happens, which writes it out ([`Live`]): the
    /// text trace and JSON lines on one CPU.
    Stream,
    /// Every event, kept for the report: for a renderer that needs the whole trace (Chrome,
    /// Gantt, SVG, statistics), for `--check-determinism` (which compares two runs' events),
    /// for a replay (whose summary line compares the run's dispatches with the recording),
    /// and for text or JSON lines on several CPUs (whose idle steps the machine joins after
    /// the run, which a stream cannot).
    Store,
}

impl Keep {
    /// What a run of `sim run --trace format` on `config` keeps.
    fn of(format: Format, check_determinism: bool, config: &MachineConfig) -> Keep {
        if check_determinism || matches!(config.policy, sim::Policy::Replay(_)) {
            return Keep::Store;
        }
        match format {
            Format::None | Format::Console => Keep::Nothing,
            Format::Text | Format::Jsonl if config.cpu_count() == 1 => Keep::Stream,
            _ => Keep::Store,
        }
    }

    /// Set `config`'s kernel to record what this keeps.
    fn configure(self, config: &mut MachineConfig) {
        config.kernel.trace = self != Keep::Nothing;
    }
}

/// Open where the trace goes and have the machine feed it during the run. A file that
/// cannot be created is refused before anything runs. `None` if the machine would not
/// stream (several CPUs): the events are stored then, and rendered after the run.
fn start_live(
    how: Streamed,
    out: Option<&Path>,
    machine: &mut Machine,
) -> Result<Option<Live<Box<dyn Write + Send>>>, String> {
    let writer: Box<dyn Write + Send> = match out {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| cannot_write(path, &e))?),
        None => Box::new(std::io::stdout()),
    };
    let Some((live, sink)) = Live::start(how, writer) else {
        return Ok(None);
    };
    Ok(machine.stream_trace(sink).is_ok().then_some(live))
}

/// What `sim run` runs: the target, its machine configuration with the kernel recording only
/// what the output needs, and what that is.
fn configured(args: &RunArgs) -> Result<(Target, MachineConfig, Keep), String> {
    let (target, mut config) = args.machine.resolve()?;
    let keep = Keep::of(args.trace, args.check_determinism, &config);
    keep.configure(&mut config);
    Ok((target, config, keep))
}

fn run(args: RunArgs) -> CliResult {
    let (target, config, keep) = configured(&args)?;
    let mut machine = target.machine(config.clone(), args.machine.arg)?;
    let live = match (keep, args.trace) {
        (Keep::Stream, Format::Text) => {
            start_live(Streamed::Text, args.out.as_deref(), &mut machine)?
        }
        (Keep::Stream, Format::Jsonl) => {
            start_live(Streamed::Jsonl, args.out.as_deref(), &mut machine)?
        }
        _ => None,
    };
    let report = machine.run();
    let mut notes = explore::replay_note(&config, &report);
    if args.check_determinism {
        let again = target.machine(config.clone(), args.machine.arg)?.run();
        match first_difference(&report, &again) {
            None => notes.push_str(&format!(
                "== deterministic: two runs gave the same {} events\n",
                report.events.len()
            )),
            Some(diff) => {
                write_stderr(&format!("== NOT deterministic: {diff}\n"));
                return Ok(ExitCode::from(1));
            }
        }
    }
    // The stats table already has a row per process; the summary need not repeat them.
    let per_process = args.trace != Format::Stats;
    let summary = format!(
        "{notes}{}",
        summary(&target.label(), &report, config.max_ticks, per_process)
    );
    if let Some(live) = live {
        finish_live(&args, live, &summary)?;
        return Ok(status(&report));
    }
    let end = report.ticks;
    let shown = match args.trace {
        Format::Text => return run_streamed(&args, &report, &summary, Streamed::Text),
        Format::Jsonl => return run_streamed(&args, &report, &summary, Streamed::Jsonl),
        Format::Chrome => {
            return run_streamed(&args, &report, &summary, Streamed::Chrome { end });
        }
        Format::Gantt => sim::render::gantt::render(&report.events, end, args.width),
        Format::Svg => sim::render::svg::render_titled(&report.events, end, Some(&target.label())),
        Format::Stats => sim::render::stats::render(&report),
        Format::Console => report
            .console
            .iter()
            .map(|l| format!("{}\n", l.text))
            .collect(),
        Format::None => String::new(),
    };
    match &args.out {
        Some(path) => {
            write_file(path, &shown)?;
            write_stdout(&summary)?;
        }
        None if args.trace.is_machine_readable() => {
            write_stdout(&shown)?;
            write_stderr(&summary);
        }
        None => {
            let gap = if shown.is_empty() { "" } else { "\n" };
            write_stdout(&format!("{shown}{gap}{summary}"))?;
        }
    }
    Ok(status(&report))
}

/// The end of a run whose trace was written as it went ([`Keep::Stream`]): the trace's last
/// chunk, then the summary where [`run_streamed`] puts it, so the output is the same.
fn finish_live(
    args: &RunArgs,
    live: Live<Box<dyn Write + Send>>,
    summary: &str,
) -> Result<(), String> {
    let written = live.finish().map(|(_, bytes)| bytes);
    match &args.out {
        Some(path) => {
            written.map_err(|e| cannot_write(path, &e))?;
            write_stdout(summary)
        }
        None if args.trace.is_machine_readable() => {
            output::stdout_written(written)?;
            write_stderr(summary);
            Ok(())
        }
        None => {
            let bytes = output::stdout_written(written)?;
            let gap = if bytes == 0 { "" } else { "\n" };
            write_stdout(&format!("{gap}{summary}"))
        }
    }
}

/// The end of `sim run --trace text|jsonl|chrome` whose events were stored: the trace is
/// streamed where it goes, never built whole (a long run's is hundreds of megabytes). The
/// summary follows a text trace on stdout; beside a machine-readable one on stdout it goes to
/// stderr, so stdout holds nothing but the document.
fn run_streamed(args: &RunArgs, report: &Report, summary: &str, how: Streamed) -> CliResult {
    match &args.out {
        Some(path) => {
            write_trace_file(how, path, &report.events)?;
            write_stdout(summary)?;
        }
        None if args.trace.is_machine_readable() => {
            write_trace_stdout(how, &report.events)?;
            write_stderr(summary);
        }
        None => {
            write_trace_stdout(how, &report.events)?;
            let gap = if report.events.is_empty() { "" } else { "\n" };
            write_stdout(&format!("{gap}{summary}"))?;
        }
    }
    Ok(status(report))
}

fn ps(args: MachineArgs, at: Option<u64>) -> CliResult {
    let (target, mut config) = args.resolve()?;
    // The process table is the kernel's own, never replayed from the trace.
    Keep::Nothing.configure(&mut config);
    let mut machine = target.machine(config, args.arg)?;
    let mut out = String::new();
    if let Some(at) = at {
        if let Some(outcome) = machine.run_until(at) {
            out.push_str(&format!(
                "(the run ended at tick {} before tick {at}: {})\n",
                machine.now(),
                outcome_words(&outcome)
            ));
        }
        out.push_str(&sim::render::ps::render(
            &machine.process_table(),
            &machine.mailbox_table(),
            machine.now(),
        ));
        write_stdout(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = machine.run();
    out.push_str(&format!(
        "(the run ended at tick {}: {})\n",
        report.ticks,
        outcome_words(&report.outcome)
    ));
    out.push_str(&sim::render::ps::render(
        &report.processes,
        &report.mailboxes,
        report.ticks,
    ));
    write_stdout(&out)?;
    Ok(status(&report))
}

fn explain(args: MachineArgs) -> CliResult {
    // The account of waits and losses is replayed from the trace: it is kept.
    let (target, config) = args.resolve()?;
    let report = target.machine(config, args.arg)?.run();
    write_stdout(&sim::render::explain::render(&report))?;
    Ok(status(&report))
}

fn outcome_words(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "every process exited",
        Outcome::Deadlock(_) => "deadlock",
        Outcome::Livelock(_) => "livelock",
        Outcome::TickLimit => "the tick limit",
    }
}

fn status(report: &Report) -> ExitCode {
    if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Where two runs' traces first differ, if they do.
fn first_difference(a: &Report, b: &Report) -> Option<String> {
    let (ta, tb) = (a.trace_text(), b.trace_text());
    if a.events == b.events && ta == tb {
        return None;
    }
    let mut la = ta.lines();
    let mut lb = tb.lines();
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => {
                return Some(format!(
                    "the traces differ at line {n}\n  first run:  {}\n  second run: {}",
                    x.unwrap_or("(end of trace)"),
                    y.unwrap_or("(end of trace)")
                ))
            }
        }
    }
}

/// The names the summary shows, from the report's tables rather than its trace, which a run
/// that renders none does not keep: every process in the table or among the exits, every
/// live mailbox. That is everything a deadlock names: its processes are blocked, so alive,
/// and so are the mailboxes they wait on.
fn names_of(report: &Report) -> sim::render::Names {
    let mut names = sim::render::Names::default();
    for e in &report.exited {
        names.name_process(e.pid, &e.name);
    }
    for p in &report.processes {
        names.name_process(p.pid, &p.name);
    }
    for m in &report.mailboxes {
        if let Some(name) = &m.name {
            names.name_mailbox(m.id, name);
        }
    }
    names
}

/// The lines after the trace: totals, each process's end, and why the run failed. The run
/// was configured to stop at `tick_limit`.
fn summary(label: &str, report: &Report, tick_limit: Ticks, per_process: bool) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "== {label} on policy {} (seed {}): {} ticks, {} busy, {} idle, {} context switches",
        report.policy,
        report.seed,
        report.ticks,
        report.machine.busy,
        report.machine.idle,
        report.machine.context_switches
    ));
    line(format!(
        "== messages: {} sent, {} received, {} dropped, {} still queued",
        report.ledger.sent,
        report.ledger.received,
        report.ledger.dropped.total(),
        report.queued
    ));
    for e in report.exited.iter().filter(|_| per_process) {
        let s = &e.stats;
        line(format!(
            "== {}:{} exited {} ({}): cpu={} ready={} blocked={} sleeping={} turnaround={} dispatches={} preempted={} syscalls={} sent={} received={}",
            e.pid,
            e.name,
            e.code,
            sim::render::exit_reason(&e.reason),
            s.cpu,
            s.ready,
            s.blocked,
            s.sleeping,
            s.exited_at.unwrap_or(report.ticks) - s.spawned_at,
            s.dispatches,
            s.preemptions,
            s.syscalls,
            s.sent,
            s.received
        ));
    }
    for e in report.exited.iter().filter(|e| e.code != 0) {
        let why = report
            .console
            .iter()
            .rev()
            .find(|l| {
                l.pid == e.pid
                    && (l.text.starts_with("expect failed at ") || l.text.starts_with("error at "))
            })
            .map_or_else(|| sim::render::exit_reason(&e.reason), |l| l.text.clone());
        line(format!(
            "== FAILED: {}:{} exited {}: {why}",
            e.pid, e.name, e.code
        ));
    }
    match &report.outcome {
        Outcome::Completed => {}
        Outcome::Deadlock(d) => {
            line(format!(
                "== DEADLOCK: {} processes blocked forever",
                d.blocked.len()
            ));
            let names = names_of(report);
            if !d.cycle.is_empty() {
                let cycle: Vec<String> = d.cycle.iter().map(|p| names.pid(*p)).collect();
                line(format!(
                    "== wait-for cycle: {} -> {}",
                    cycle.join(" -> "),
                    cycle[0]
                ));
            }
            for w in &d.blocked {
                line(format!(
                    "==   {} waits on {} (held by {})",
                    names.pid(w.pid),
                    names.queue(w.queue),
                    w.holder.map_or("any sender".to_string(), |h| names.pid(h))
                ));
            }
            line("== the process table when the run stopped:".to_string());
            out.push_str(&sim::render::ps::render(
                &report.processes,
                &report.mailboxes,
                report.ticks,
            ));
        }
        Outcome::Livelock(l) => {
            let names = names_of(report);
            line(match l.cause {
                LivelockCause::Steps { steps } => format!(
                    "== LIVELOCK: {steps} kernel entries at tick {} without the clock moving",
                    report.ticks
                ),
                LivelockCause::Spinning { pid, steps } => format!(
                    "== LIVELOCK: {} ran {steps} steps of its own without a syscall",
                    names.pid(pid)
                ),
            });
            let busy: Vec<String> = l.processes.iter().map(|p| names.pid(*p)).collect();
            line(format!("== running or ready: {}", busy.join(", ")));
        }
        // The limit is the configured one, as the trace's `tick-limit` event says; the run
        // ends past it when a clock jump (`fault jump`) or a charge carries a clock over it.
        Outcome::TickLimit if report.ticks == tick_limit => {
            line(format!("== stopped at the tick limit {tick_limit}"))
        }
        Outcome::TickLimit => line(format!(
            "== stopped at the tick limit {tick_limit}, at tick {}",
            report.ticks
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn run_shipped(name: &str) -> Report {
        let s = userland::scenario::shipped(name).expect("shipped");
        let scenario = userland::scenario::load(s.path, s.source).expect("loads");
        sim::scenario::run(scenario, MachineConfig::default()).expect("boots")
    }

    /// `sim run` parsed from its words.
    fn run_args(words: &[&str]) -> RunArgs {
        let cli = Cli::try_parse_from(["sim", "run"].iter().chain(words)).expect("parses");
        match cli.command {
            Command::Run(args) => args,
            other => panic!("not a run: {other:?}"),
        }
    }

    /// Every shipped scenario and built-in program by name.
    fn every_target() -> Vec<String> {
        let programs = userland::programs::builtin();
        let programs = programs
            .iter()
            .filter(|p| !p.name.contains('.'))
            .map(|p| p.name.to_string());
        let scenarios = userland::scenario::SHIPPED
            .iter()
            .map(|s| s.name.to_string());
        programs.chain(scenarios).collect()
    }

    /// The run `sim run WORDS` makes, with the trace kept or not as it decides, but never
    /// streamed: the report as the summary reads it.
    fn configured_run(words: &[&str]) -> (Keep, Report, Ticks) {
        let (target, config, keep) = configured(&run_args(words)).expect("configures");
        let report = target.machine(config.clone(), 0).expect("boots").run();
        (keep, report, config.max_ticks)
    }

    #[test]
    fn a_run_that_shows_no_trace_keeps_no_event_and_its_summary_is_the_same() {
        for name in every_target() {
            let (keep, quiet, limit) = configured_run(&[&name, "--trace", "none"]);
            assert_eq!(keep, Keep::Nothing, "{name}");
            assert!(
                quiet.events.is_empty(),
                "{name}: {} events",
                quiet.events.len()
            );
            let (_, console, _) = configured_run(&[&name, "--trace", "console"]);
            assert!(console.events.is_empty(), "{name}");
            assert_eq!(console.console_text(), quiet.console_text(), "{name}");
            // The same run with its trace kept: the summary (which names the processes of a
            // deadlock) does not depend on the trace.
            let (keep, traced, _) = configured_run(&[&name, "--trace", "gantt"]);
            assert_eq!(keep, Keep::Store, "{name}");
            assert!(!traced.events.is_empty(), "{name}");
            assert_eq!(
                summary(&name, &quiet, limit, true),
                summary(&name, &traced, limit, true),
                "{name}"
            );
        }
        // Explanations and determinism checks read the events; a replay's note too.
        let (keep, report, _) =
            configured_run(&["rendezvous", "--trace", "none", "--check-determinism"]);
        assert_eq!(keep, Keep::Store);
        assert!(!report.events.is_empty());
    }

    #[test]
    fn a_deadlock_summary_names_its_processes_and_queues_without_the_trace() {
        let (_, report, limit) = configured_run(&["philosophers_deadlock", "--trace", "none"]);
        assert!(report.events.is_empty());
        let text = summary("philosophers_deadlock", &report, limit, false);
        assert!(
            text.contains("== wait-for cycle: p1:fork[0] -> p6:philosopher[0] -> "),
            "{text}"
        );
        assert!(
            text.contains(
                "==   p1:fork[0] waits on p6:philosopher[0].receivers_from (held by \
                 p6:philosopher[0])"
            ),
            "{text}"
        );
    }

    /// The trace of `sim run WORDS` written while the run goes, and rendered from the stored
    /// events of the same run.
    fn live_and_stored(words: &[&str], how: Streamed) -> (Vec<u8>, Vec<u8>) {
        let (target, mut config, keep) = configured(&run_args(words)).expect("configures");
        assert_eq!(keep, Keep::Stream, "{words:?}");
        let mut machine = target.machine(config.clone(), 0).expect("boots");
        let (live, sink) = Live::start(how, Vec::new()).expect("streams");
        assert!(machine.stream_trace(sink).is_ok());
        let report = machine.run();
        assert!(report.events.is_empty(), "{words:?}: nothing stored");
        let (written, bytes) = live.finish().expect("writes");
        assert_eq!(bytes, written.len() as u64);
        Keep::Store.configure(&mut config);
        let stored = target.machine(config, 0).expect("boots").run();
        let mut rendered = Vec::new();
        match how {
            Streamed::Text => sim::render::write_text(&stored.events, &mut rendered),
            Streamed::Jsonl => sim::render::jsonl::write_jsonl(&stored.events, &mut rendered),
            Streamed::Chrome { .. } => unreachable!("never live"),
        }
        .expect("renders");
        (written, rendered)
    }

    #[test]
    fn a_trace_written_during_the_run_is_the_one_rendered_from_its_stored_events() {
        for name in every_target() {
            for (format, how) in [("text", Streamed::Text), ("jsonl", Streamed::Jsonl)] {
                let (live, stored) = live_and_stored(&[&name, "--trace", format], how);
                assert!(!live.is_empty(), "{name} {format}");
                assert!(
                    live == stored,
                    "{name} {format}: the streamed trace differs"
                );
            }
        }
        // Several CPUs: the idle steps are joined after the run, so the events are stored.
        let (_, _, keep) = configured(&run_args(&["producers", "--cpus", "2"])).expect("ok");
        assert_eq!(keep, Keep::Store);
    }

    #[test]
    fn two_different_traces_are_reported_at_their_first_different_line() {
        let a = run_shipped("rendezvous");
        assert_eq!(first_difference(&a, &run_shipped("rendezvous")), None);
        let b = run_shipped("producers");
        let diff = first_difference(&a, &b).expect("the traces differ");
        assert!(diff.starts_with("the traces differ at line "), "{diff}");
        assert!(
            diff.contains("first run:") && diff.contains("second run:"),
            "{diff}"
        );
    }
}
