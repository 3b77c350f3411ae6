//! `sim`: run programs on the simulated machine and show what the scheduler and the message
//! queues did.

use clap::{Parser, Subcommand, ValueEnum};
use sim::{Machine, MachineConfig, Outcome, Policy};
use std::process::ExitCode;

/// Run programs on a simulated message-passing microkernel and print its trace.
#[derive(Parser, Debug)]
#[command(
    name = "sim",
    version,
    about = "Run programs on a simulated message-passing microkernel and print what the scheduler and the message queues did",
    after_help = "Examples:\n  sim list\n  sim run bounded_buffer\n  sim run ping_pong --policy fcfs --show console\n  sim run prime_sieve --quantum 3 --max-ticks 500\n\nExit status: 0 when every process exited 0; 1 when a process failed, the run deadlocked\nor hit --max-ticks; 2 for usage errors. Kernel logging goes to stderr (RUST_LOG=debug)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Boot a built-in program and print the trace of its run.
    Run(RunArgs),
    /// List the built-in programs, one line each with what it shows.
    List,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The program to boot (see `sim list`).
    program: String,
    /// The argument the program receives (0: its default).
    #[arg(long, default_value_t = 0)]
    arg: u64,
    /// Scheduling policy.
    #[arg(long, value_enum, default_value_t = PolicyArg::Rr)]
    policy: PolicyArg,
    /// Round-robin quantum, in ticks.
    #[arg(long, default_value_t = Policy::DEFAULT_QUANTUM, value_parser = clap::value_parser!(u64).range(1..))]
    quantum: u64,
    /// Stop the run at this tick.
    #[arg(long, default_value_t = 1_000_000)]
    max_ticks: u64,
    /// The run's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Ticks every syscall costs.
    #[arg(long, default_value_t = 1)]
    syscall_cost: u64,
    /// Ticks every dispatch (context switch) costs.
    #[arg(long, default_value_t = 1)]
    switch_cost: u64,
    /// What to print: the trace, the console output only, or nothing but the summary.
    #[arg(long, value_enum, default_value_t = Show::Trace)]
    show: Show,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PolicyArg {
    /// Round robin with `--quantum`.
    Rr,
    /// First come, first served (no preemption).
    Fcfs,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Show {
    /// The full text trace, then the summary.
    Trace,
    /// What the processes printed, then the summary.
    Console,
    /// The summary only.
    Summary,
}

/// `writeln!` into a `String`, which cannot fail.
macro_rules! wln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Write the run's output in one go. A closed pipe (`sim run ... | head`) is not an error:
/// the reader has all it wanted.
fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("sim: cannot write the output: {e}"),
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .target(env_logger::Target::Stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            let mut out = String::new();
            for p in userland::programs::builtin().iter() {
                if !p.name.contains('.') {
                    wln!(out, "{:<16} {}", p.name, p.about);
                }
            }
            write_stdout(&out);
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(args),
    }
}

fn run(args: RunArgs) -> ExitCode {
    let programs = userland::programs::builtin();
    if programs.get(&args.program).is_none() {
        eprintln!(
            "sim: no built-in program named {:?}; `sim list` shows them",
            args.program
        );
        return ExitCode::from(2);
    }
    let policy = match args.policy {
        PolicyArg::Rr => Policy::RoundRobin {
            quantum: args.quantum,
        },
        PolicyArg::Fcfs => Policy::Fcfs,
    };
    let config = MachineConfig {
        policy,
        max_ticks: args.max_ticks,
        seed: args.seed,
        costs: sim::Costs {
            syscall: args.syscall_cost,
            context_switch: args.switch_cost,
        },
        ..MachineConfig::default()
    };
    let report = match Machine::run_program(config, programs, &args.program, args.arg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sim: could not boot {}: {e}", args.program);
            return ExitCode::from(2);
        }
    };
    let mut out = String::new();
    match args.show {
        Show::Trace => out.push_str(&report.trace_text()),
        Show::Console => {
            for line in &report.console {
                wln!(out, "{}", line.text);
            }
        }
        Show::Summary => {}
    }
    out.push('\n');
    wln!(
        out,
        "== {} on policy {} (seed {}): {} ticks, {} busy, {} idle, {} context switches",
        args.program,
        report.policy,
        report.seed,
        report.ticks,
        report.machine.busy,
        report.machine.idle,
        report.machine.context_switches
    );
    wln!(
        out,
        "== messages: {} sent, {} received, {} dropped, {} still queued",
        report.ledger.sent,
        report.ledger.received,
        report.ledger.dropped,
        report.queued
    );
    for e in &report.exited {
        let s = &e.stats;
        wln!(
            out,
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
        );
    }
    let code = match &report.outcome {
        Outcome::Completed if report.succeeded() => ExitCode::SUCCESS,
        Outcome::Completed => ExitCode::from(1),
        Outcome::Deadlock(d) => {
            wln!(
                out,
                "== DEADLOCK: {} processes blocked forever",
                d.blocked.len()
            );
            let names = sim::render::Names::from_events(&report.events);
            if !d.cycle.is_empty() {
                let cycle: Vec<String> = d.cycle.iter().map(|p| names.pid(*p)).collect();
                wln!(
                    out,
                    "== wait-for cycle: {} -> {}",
                    cycle.join(" -> "),
                    cycle[0]
                );
            }
            for w in &d.blocked {
                wln!(
                    out,
                    "==   {} waits on {} (held by {})",
                    names.pid(w.pid),
                    names.queue(w.queue),
                    w.holder.map_or("any sender".to_string(), |h| names.pid(h))
                );
            }
            ExitCode::from(1)
        }
        Outcome::TickLimit => {
            wln!(out, "== stopped at the tick limit {}", args.max_ticks);
            ExitCode::from(1)
        }
    };
    write_stdout(&out);
    code
}
