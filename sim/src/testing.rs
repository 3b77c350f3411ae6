//! Running a program the way a test wants it run: every kernel invariant checked after every
//! kernel entry, a tick limit, the trace kept for a snapshot, and the run's books checked.
//!
//! ```
//! use userland::{ProgramTable, Sys};
//!
//! async fn hello(sys: Sys, _arg: u64) -> i32 {
//!     let _ = sys.print("hello").await;
//!     0
//! }
//!
//! let mut programs = ProgramTable::new();
//! programs.add("hello", "prints hello", hello);
//! let report = sim::testing::run(programs, "hello");
//! assert!(report.succeeded());
//! assert_eq!(report.console_text(), ["hello"]);
//! // In a test with insta: insta::assert_snapshot!(report.trace_text());
//! assert!(report.trace_text().contains("print"));
//! ```
//!
//! This module owns what a checked run promises ([`config`], [`run_with`]) and the checks
//! themselves ([`verify`]): every message accounted for, endpoint by endpoint and in total
//! ([`Report::check_ledgers`]), and no process panicked. A violated kernel invariant panics
//! in the kernel, naming the invariant and the tick.
//!
//! It never judges how the run ended: a deadlock, a livelock, a process that exited 1 or the
//! tick limit may be exactly what a test is about, so the test asserts on the report it gets
//! back ([`Report::succeeded`], [`Report::outcome`]).

use crate::{Machine, MachineConfig, Report};
use abi::Ticks;
use userland::ProgramTable;

/// The tick limit of [`config`]: far beyond what a test's program needs, and near enough
/// that a program that never ends fails its test soon rather than hanging it.
pub const MAX_TICKS: Ticks = 100_000;

/// The configuration a checked run starts from: the defaults, with every kernel invariant
/// checked after every entry (on in debug builds already; this makes it so in release
/// builds too), the trace kept, and a tick limit of [`MAX_TICKS`].
pub fn config() -> MachineConfig {
    let mut config = MachineConfig::default();
    config.kernel.check_invariants = true;
    config.kernel.trace = true;
    config.max_ticks = MAX_TICKS;
    config
}

/// Boot `main` (with argument 0) from `programs`, run it to the end with [`config`], and
/// [`verify`] the run; the report, whose [`Report::trace_text`] is ready for a snapshot.
///
/// # Panics
///
/// When `main` is not in `programs` or cannot boot, when a kernel invariant is violated,
/// when a process panicked, and when a ledger does not balance; each message says which and
/// names what failed.
#[track_caller]
pub fn run(programs: ProgramTable, main: &str) -> Report {
    run_with(config(), programs, main)
}

/// As [`run`], on the machine `config` describes (a policy, several CPUs, costs, faults),
/// still with every kernel invariant checked and the trace kept: those two are what a
/// checked run is, so they are turned on whatever `config` says.
///
/// # Panics
///
/// As [`run`].
#[track_caller]
pub fn run_with(mut config: MachineConfig, programs: ProgramTable, main: &str) -> Report {
    config.kernel.check_invariants = true;
    config.kernel.trace = true;
    let names: Vec<String> = programs.names().map(str::to_string).collect();
    let report = match Machine::run_program(config, programs, main, 0) {
        Ok(report) => report,
        Err(e) => panic!(
            "sim::testing: could not boot `{main}`: {e} ({}); the table has: {}",
            e.description(),
            names.join(", ")
        ),
    };
    if let Err(failed) = verify(&report) {
        panic!("sim::testing: the run of `{main}` failed its checks: {failed}");
    }
    report
}

/// The checks of a checked run, on any report: `Err` says what failed — every process that
/// panicked, with its message, or the first ledger that does not balance.
pub fn verify(report: &Report) -> Result<(), String> {
    let panicked: Vec<String> = report
        .panics()
        .map(|(e, message)| format!("{}:{} panicked: {message}", e.pid, e.name))
        .collect();
    if !panicked.is_empty() {
        return Err(panicked.join("; "));
    }
    report
        .check_ledgers()
        .map_err(|e| format!("a message is unaccounted for: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use userland::{Capacity, Mode, Sys};

    /// The panic message of `f`, which must panic.
    fn panic_of(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(f).expect_err("it panics");
        match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload
                .downcast_ref::<&str>()
                .map_or_else(String::new, |s| s.to_string()),
        }
    }

    async fn echo_once(sys: Sys, _arg: u64) -> i32 {
        let Ok(mailbox) = sys.create_mailbox(Capacity::Bounded(1), None).await else {
            return 1;
        };
        if sys.send(mailbox, b"ping", Mode::Blocking).await.is_err() {
            return 1;
        }
        match sys.receive(mailbox, Mode::Blocking).await {
            Ok(m) if m.text() == "ping" => 0,
            _ => 1,
        }
    }

    #[test]
    fn a_checked_run_keeps_its_trace_and_checks_invariants_whatever_the_config_says() {
        let mut programs = ProgramTable::new();
        programs.add("echo", "sends itself a message", echo_once);
        let mut lax = MachineConfig::default();
        lax.kernel.trace = false;
        lax.kernel.check_invariants = false;
        let report = run_with(lax, programs, "echo");
        assert!(report.succeeded(), "{:?}", report.outcome);
        assert!(report.trace_text().contains("receive"));
        assert_eq!((report.ledger.sent, report.ledger.received), (1, 1));
        let checked = config();
        assert!(checked.kernel.check_invariants && checked.kernel.trace);
        assert_eq!(checked.max_ticks, MAX_TICKS);
    }

    #[test]
    fn a_panicking_process_fails_the_run_with_its_name_and_message() {
        let message = panic_of(|| {
            let mut programs = ProgramTable::new();
            programs.add("boom", "panics", |_sys: Sys, _arg: u64| async {
                panic!("the answer was not 42")
            });
            run(programs, "boom");
        });
        assert!(
            message.starts_with("sim::testing: the run of `boom` failed"),
            "{message}"
        );
        assert!(
            message.contains(":boom panicked: the answer was not 42"),
            "{message}"
        );
    }

    #[test]
    fn a_program_not_in_the_table_is_named_with_what_the_table_has() {
        let message = panic_of(|| {
            let mut programs = ProgramTable::new();
            programs.add("echo", "sends itself a message", echo_once);
            run(programs, "ecoh");
        });
        assert!(message.contains("could not boot `ecoh`"), "{message}");
        assert!(message.ends_with("the table has: echo"), "{message}");
    }

    #[test]
    fn a_message_the_books_lose_is_reported() {
        let mut programs = ProgramTable::new();
        programs.add("echo", "sends itself a message", echo_once);
        let mut report = run(programs, "echo");
        assert_eq!(verify(&report), Ok(()));
        report.ledger.sent += 1;
        let failed = verify(&report).expect_err("one message too many");
        assert!(
            failed.starts_with("a message is unaccounted for: "),
            "{failed}"
        );
    }
}
