//! Test tooling, outside the product crates: boot a machine on a few test programs and run
//! it with every check on, turn hostile bytes into runs ([`hostile`]), and generate the
//! soak's random scenarios ([`soak`]).
//!
//! Tests write their programs as closures against the userland [`Sys`] stubs, exactly as a
//! user would, and record what each syscall returned in a [`Log`] they assert on afterwards,
//! next to a snapshot of the text trace.

use sim::{Machine, MachineConfig, Report};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use userland::{ProgramTable, Sys, SysResult};

pub mod hostile;
pub mod soak;

/// The configuration tests run with: `sim::testing`'s (every kernel invariant checked after
/// every kernel entry, the trace kept, a tick limit), as a user's own crate gets it.
pub use sim::testing::config;

/// Boot `main` from `programs` and run it to the end with [`config`].
pub fn run(programs: ProgramTable, main: &str) -> Report {
    run_with(config(), programs, main)
}

/// Boot `main` from `programs` and run it to the end with `config`, checking that every
/// message is accounted for. Unlike `sim::testing::run_with` it lets a process panic: the
/// system tests include programs that crash on purpose, to test what the kernel makes of it.
pub fn run_with(config: MachineConfig, programs: ProgramTable, main: &str) -> Report {
    let report = Machine::run_program(config, programs, main, 0).expect("main is in the table");
    assert!(
        report.ledger_balances(),
        "every message is received, dropped or still queued: {:?} with {} queued",
        report.ledger,
        report.queued
    );
    report
}

/// A table with one program, `main`.
pub fn single<F, Fut>(main: F) -> ProgramTable
where
    F: Fn(Sys, u64) -> Fut + 'static,
    Fut: Future<Output = i32> + 'static,
{
    let mut t = ProgramTable::new();
    t.add("main", "the test's main program", main);
    t
}

/// Add a program to `table` whose body also gets the test's `log`, so each program can
/// record what its syscalls returned.
pub fn prog<F, Fut>(table: &mut ProgramTable, name: &str, log: &Log<String>, body: F)
where
    F: Fn(Sys, u64, Log<String>) -> Fut + 'static,
    Fut: Future<Output = i32> + 'static,
{
    let log = log.clone();
    table.add(name, "a test program", move |sys, arg| {
        body(sys, arg, log.clone())
    });
}

/// A log shared by the test and its programs: each program pushes what it saw.
#[derive(Clone, Default)]
pub struct Log<T>(Rc<RefCell<Vec<T>>>);

impl<T: Clone> Log<T> {
    /// An empty log.
    pub fn new() -> Self {
        Log(Rc::new(RefCell::new(Vec::new())))
    }

    /// Append an entry.
    pub fn push(&self, entry: T) {
        self.0.borrow_mut().push(entry);
    }

    /// Everything logged, in order.
    pub fn entries(&self) -> Vec<T> {
        self.0.borrow().clone()
    }
}

/// How many cases a property test runs: `default`, or `PROPTEST_CASES` to hunt longer.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The mailbox called `name`, once its creator has made it: a test program that needs a
/// mailbox another process creates yields until the name is registered.
pub async fn lookup(sys: &Sys, name: &str) -> abi::MailboxId {
    loop {
        if let Ok(m) = sys.lookup_mailbox(name).await {
            return m;
        }
        sys.yield_now().await;
    }
}

/// A syscall's result as a log line: `ok VALUE` or `err NAME`.
pub fn show<T: std::fmt::Debug>(r: &SysResult<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {e}"),
    }
}
