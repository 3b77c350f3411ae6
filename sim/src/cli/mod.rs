//! The `sim` command line as a library: every subcommand (`run`, `check`, `list`, `ps`,
//! `explain`, `explore`) over a program table of the caller's and the shipped scenarios.
//!
//! The `sim` binary is [`main`] over `userland::programs::builtin`; a program of your own is
//! the same few lines over your table, and gets the whole command line:
//!
//! ```no_run
//! use std::process::ExitCode;
//! use userland::{ProgramTable, Sys};
//!
//! async fn hello(sys: Sys, _arg: u64) -> i32 {
//!     let _ = sys.print("hello").await;
//!     0
//! }
//!
//! fn my_programs() -> ProgramTable {
//!     let mut table = ProgramTable::new();
//!     table.add("hello", "prints hello", hello);
//!     table
//! }
//!
//! fn main() -> ExitCode {
//!     sim::cli::main(my_programs)
//! }
//! ```
//!
//! This module owns argument parsing (`arguments`), resolving a word to a file, a shipped
//! scenario or a program ([`target`]), where output goes (`output`), `sim run` and the
//! summary lines (`run`), `sim explore` and its progress bar (`explore`), and the exit
//! status: 0 when every process exited 0; 1 when one failed, an `expect` failed, the run
//! deadlocked, livelocked or hit its tick limit; 2 for usage and scenario errors.
//!
//! It must never decide what the library decides: the machine runs, `crate::render` draws,
//! `crate::scenario` connects the scenario language, `crate::explore` explores. Nor may it
//! panic on a failed write or read its arguments other than through clap.

mod arguments;
mod explore;
mod output;
mod run;
pub mod target;

use arguments::{Cli, Command, MachineArgs};
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use output::{write_stderr, write_stdout};
use run::{outcome_words, status, Keep};
use std::process::ExitCode;
use target::Target;
use userland::ProgramTable;

/// Run the command line, as the process was invoked, over the programs `programs` builds
/// and the shipped scenarios; the exit status to end the process with.
///
/// `programs` is a factory rather than a table: every machine gets a fresh table, and
/// `sim explore` builds one per run on each of its threads (a table holds `Rc`s and is
/// never shared). Replay commands and usage lines name the binary as it was invoked.
/// Kernel logging goes to stderr (`RUST_LOG=debug`) unless the program set up its own
/// logger first.
pub fn main(programs: fn() -> ProgramTable) -> ExitCode {
    // A program that set up a logger of its own keeps it.
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .target(env_logger::Target::Stderr)
        .try_init();
    let mut command = Cli::command();
    let (cli, matches) = match parse(&mut command) {
        Ok(parsed) => parsed,
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
        Command::List => write_stdout(&list(programs)).map(|()| ExitCode::SUCCESS),
        Command::Check { file } => check(&file, programs),
        Command::Run(args) => run::run(args, programs),
        Command::Ps { machine, at } => ps(machine, at, programs),
        Command::Explain { machine } => explain(machine, programs),
        Command::Explore(args) => {
            let replay = explore::replay_prefix(&command, &matches);
            explore::run(args, programs, replay)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            write_stderr(&message);
            ExitCode::from(2)
        }
    }
}

/// The process's arguments, parsed: the typed form, and clap's record of what was given
/// (which the replay commands of `sim explore` are built from). `command` learns the name
/// the binary was invoked by.
fn parse(command: &mut clap::Command) -> Result<(Cli, ArgMatches), clap::Error> {
    let matches = command.try_get_matches_from_mut(std::env::args_os())?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(command))?;
    Ok((cli, matches))
}

/// A usage or input error: its message (ending in a newline) and exit status 2.
type CliResult = Result<ExitCode, String>;

/// `sim list`: the main programs of the table (a helper, named `main.helper`, is not shown)
/// and the shipped scenarios.
fn list(programs: fn() -> ProgramTable) -> String {
    let mut out = String::from("Built-in programs (Rust):\n");
    for p in programs().iter() {
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

fn check(file: &str, programs: fn() -> ProgramTable) -> CliResult {
    let target = Target::resolve(file, programs)?;
    let Target::Scenario { scenario, .. } = target else {
        return Err(format!(
            "sim: `{file}` is a built-in program, not a scenario: nothing to check\n"
        ));
    };
    let boot = scenario.processes.iter().filter(|p| !p.spawned).count();
    let copies: u32 = scenario.processes.iter().map(|p| p.count).sum();
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    write_stdout(&format!(
        "{}: ok ({}, {}, {boot} starting at boot; {})\n",
        scenario.file,
        count(
            scenario.processes.len(),
            "process declaration",
            "process declarations"
        ),
        count(copies as usize, "process", "processes"),
        count(scenario.mailboxes.len(), "boot mailbox", "boot mailboxes"),
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn ps(args: MachineArgs, at: Option<u64>, programs: fn() -> ProgramTable) -> CliResult {
    let (target, mut config) = args.resolve(programs)?;
    // The process table is the kernel's own, never replayed from the trace.
    Keep::Nothing.configure(&mut config);
    let mut machine = target.machine(config, args.arg.unwrap_or(0))?;
    let mut out = String::new();
    if let Some(at) = at {
        if let Some(outcome) = machine.run_until(at) {
            out.push_str(&format!(
                "(the run ended at tick {} before tick {at}: {})\n",
                machine.now(),
                outcome_words(&outcome, &machine.process_table())
            ));
        }
        out.push_str(&crate::render::ps::render(
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
        outcome_words(&report.outcome, &report.processes)
    ));
    out.push_str(&crate::render::ps::render(
        &report.processes,
        &report.mailboxes,
        report.ticks,
    ));
    write_stdout(&out)?;
    Ok(status(&report))
}

fn explain(args: MachineArgs, programs: fn() -> ProgramTable) -> CliResult {
    // The account of waits and losses is replayed from the trace: it is kept.
    let (target, config) = args.resolve(programs)?;
    let report = target.machine(config, args.arg.unwrap_or(0))?.run();
    write_stdout(&crate::render::explain::render(&report))?;
    Ok(status(&report))
}

#[cfg(test)]
mod tests {
    /// The tutorial shows the example crate's `main.rs` as the few lines a user's own binary
    /// is; the two must never drift apart.
    #[test]
    fn the_tutorial_shows_the_example_crates_main_as_it_is() {
        let tutorial = include_str!("../../../docs/tutorial.md");
        let main = include_str!("../../../examples/my-kernel-programs/src/main.rs");
        let start = tutorial
            .find("```rust\n//! The whole `sim` command line")
            .expect("the tutorial shows the example's main.rs")
            + "```rust\n".len();
        let len = tutorial[start..].find("\n```").expect("the block ends") + 1;
        assert_eq!(&tutorial[start..start + len], main);
        assert!(main.contains("sim::cli::main(my_kernel_programs::programs)"));
    }
}
