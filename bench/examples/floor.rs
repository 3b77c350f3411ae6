//! One workload of a given length on the default machine with the trace off: the program
//! that instruction counts are taken on (`make floor`).
//!
//! ```text
//! cargo run --release -p bench --example floor -- WORKLOAD N
//! make floor            # callgrind at two lengths; prints instructions per unit
//! ```
//!
//! Wall-clock time on a shared machine is noisy; the number of instructions a run executes
//! is not. A run of length N costs `setup + N × unit`, so the difference between two
//! lengths, divided by the difference of the lengths, is the cost of one unit with the
//! setup cancelled out: one syscall (`getpid`), one round trip (`w1_mailbox`, `w1_call`),
//! one hop (`w2_ring`, 1,000 processes), one message (`w3_fan_in`). Every check of the
//! model stays on as in the default configuration (invariant checks are off in a release
//! build by default, as they are for every benchmark).
//!
//! The run must succeed: a workload that failed would measure something else, so this
//! exits with status 1 instead of printing nothing wrong.

use clap::{Parser, ValueEnum};
use sim::{Machine, MachineConfig};
use std::process::ExitCode;
use userland::programs::workloads::ring;
use userland::{ProgramTable, Sys};

/// What one unit of the workload is.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Workload {
    /// A syscall that does nothing: `getpid` in a loop.
    Getpid,
    /// W1 on mailboxes: one round trip (two sends, two receives).
    W1Mailbox,
    /// W1 with `call` and `reply`: one round trip.
    W1Call,
    /// W2 on a ring of 1,000 processes: one hop.
    W2Ring,
    /// W3, producers into one mailbox: one message.
    W3FanIn,
}

#[derive(Parser, Debug)]
#[command(about = "Run one workload of N units (for instruction counts)")]
struct Args {
    /// The workload.
    #[arg(value_enum)]
    workload: Workload,
    /// Its length, in units (syscalls, round trips, hops or messages); at most 10^9.
    #[arg(value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    n: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = MachineConfig::default();
    config.kernel.trace = false;
    // Lengths are bounded above, so the run ends; the tick limit must not end it first.
    config.max_ticks = u64::MAX / 2;
    let (programs, main, arg) = match args.workload {
        Workload::Getpid => {
            let mut table = ProgramTable::new();
            table.add("getpid", "getpid N times", |sys: Sys, n: u64| async move {
                for _ in 0..n {
                    sys.getpid().await;
                }
                0
            });
            (table, "getpid", args.n)
        }
        Workload::W1Mailbox => (userland::programs::builtin(), "w1_mailbox", args.n),
        Workload::W1Call => (userland::programs::builtin(), "w1_call", args.n),
        Workload::W2Ring => (userland::programs::builtin(), "w2_ring", ring(1000, args.n)),
        Workload::W3FanIn => (userland::programs::builtin(), "w3_fan_in", args.n),
    };
    match Machine::run_program(config, programs, main, arg) {
        Ok(report) if report.succeeded() => ExitCode::SUCCESS,
        Ok(report) => {
            eprintln!("floor: {main} did not succeed: {:?}", report.outcome);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("floor: cannot boot {main}: {e}");
            ExitCode::FAILURE
        }
    }
}
