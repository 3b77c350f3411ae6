//! What a run produced: how it ended, the trace, exit codes, console output, statistics and
//! the ledgers (the kernel's total and each endpoint's) that account for every message.

use abi::{Pid, Ticks};
use kernel::inspect::{MailboxInfo, ProcessInfo};
use kernel::trace::{Event, ExitReason};
use kernel::{ConsoleLine, EndpointLedger, ExitRecord, Ledger};

/// How a run ended: the kernel decides it (every process exited, a deadlock, or the tick
/// limit).
pub use kernel::Outcome;

/// One CPU's accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuStats {
    /// Ticks it ran a process (or the kernel on its behalf), up to the run's end for a
    /// process still on it then.
    pub busy: Ticks,
    /// Ticks it idled: waiting for a timer or for another CPU, and from when it stopped to
    /// the run's end. `busy + idle` is the run's length.
    pub idle: Ticks,
    /// Dispatches of a process onto it.
    pub context_switches: u64,
}

/// Whole-machine accounting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineStats {
    /// Ticks the run lasted.
    pub ticks: Ticks,
    /// Ticks a CPU ran a process (or the kernel on its behalf), summed over the CPUs.
    pub busy: Ticks,
    /// Ticks a CPU idled, summed over the CPUs (see [`CpuStats::idle`]).
    pub idle: Ticks,
    /// Dispatches of a process onto a CPU, on every CPU.
    pub context_switches: u64,
    /// Each CPU's share, by CPU id: one entry per CPU the machine had.
    pub per_cpu: Vec<CpuStats>,
}

impl MachineStats {
    /// How many CPUs the machine had (at least 1).
    pub fn cpus(&self) -> usize {
        self.per_cpu.len().max(1)
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// When it ended: when the last CPU finished (the latest CPU clock).
    pub ticks: Ticks,
    /// The trace (empty when tracing was off).
    pub events: Vec<Event>,
    /// The process table as it was when the run ended: the processes still alive (blocked
    /// forever after a deadlock, anything after the tick limit) and the zombies.
    pub processes: Vec<ProcessInfo>,
    /// The mailbox table as it was when the run ended.
    pub mailboxes: Vec<MailboxInfo>,
    /// Every process that exited, in exit order.
    pub exited: Vec<ExitRecord>,
    /// What processes printed.
    pub console: Vec<ConsoleLine>,
    /// Where every accepted message went.
    pub ledger: Ledger,
    /// Messages still queued at the end.
    pub queued: u64,
    /// Where the rights carried in messages went (`send_right`): moved, voided, returned
    /// with a dropped message, or still in a queued one.
    pub rights: kernel::ipc::RightsLedger,
    /// Where the messages bound for each endpoint went: every mailbox and process inbox
    /// that ever had a message sent to it, live or gone, in the order they were created.
    pub ledgers: Vec<EndpointLedger>,
    /// Whole-machine accounting.
    pub machine: MachineStats,
    /// Times the machine entered the kernel ([`kernel::Kernel::enter`]): once per event on a
    /// CPU (a trap, a turn, a burst piece, a program's end, a planned fault, and the timer
    /// interrupt that brings the kernel's clock up to date when a run pauses). With one CPU, a
    /// trap that takes its process off the CPU and the dispatch of the next are one entry.
    pub kernel_entries: u64,
    /// The run's history went to a sink as it was made ([`crate::Machine::stream_history`]):
    /// `exited` is empty and `ledgers` lists only the endpoints open at the end, so they do
    /// not add up to the total ([`Report::check_ledgers`] checks each one and the total).
    pub history_streamed: bool,
    /// The scheduling policy's name.
    pub policy: &'static str,
    /// The run's seed.
    pub seed: u64,
    /// The tick limit the run had ([`crate::MachineConfig::max_ticks`]): a run that reached
    /// it stopped there, or past it when a clock jump carried a clock over it.
    pub max_ticks: Ticks,
    /// The processes whose kill the run expected ([`crate::FaultPlan::expected_kills`]).
    pub expected_kills: Vec<String>,
}

impl Report {
    /// The exit record of `pid`.
    pub fn exit_of(&self, pid: Pid) -> Option<&ExitRecord> {
        self.exited.iter().find(|e| e.pid == pid)
    }

    /// The exit code of `pid`, if it exited.
    pub fn exit_code(&self, pid: Pid) -> Option<i32> {
        self.exit_of(pid).map(|e| e.code)
    }

    /// The exit record of the first process with this name.
    pub fn exit_named(&self, name: &str) -> Option<&ExitRecord> {
        self.exited.iter().find(|e| e.name == name)
    }

    /// Whether every process exited with code 0 (or was killed as the run expected), every
    /// expected kill happened, and nothing deadlocked or ran out of time.
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Completed
            && self
                .exited
                .iter()
                .all(|e| e.code == 0 || self.expected_kill(e))
            && self.missed_kills().next().is_none()
    }

    /// Whether `e` is a kill the run expected.
    pub fn expected_kill(&self, e: &ExitRecord) -> bool {
        e.reason == ExitReason::Killed && self.expected_kills.contains(&e.name)
    }

    /// The expected kills that did not happen.
    pub fn missed_kills(&self) -> impl Iterator<Item = &str> {
        self.expected_kills
            .iter()
            .filter(|name| {
                !self
                    .exited
                    .iter()
                    .any(|e| &e.name == *name && e.reason == ExitReason::Killed)
            })
            .map(String::as_str)
    }

    /// Processes that panicked, with their messages.
    pub fn panics(&self) -> impl Iterator<Item = (&ExitRecord, &str)> {
        self.exited.iter().filter_map(|e| match &e.reason {
            ExitReason::Panicked(m) => Some((e, m.as_str())),
            _ => None,
        })
    }

    /// The console lines' text, in order.
    pub fn console_text(&self) -> Vec<&str> {
        self.console.iter().map(|l| l.text.as_str()).collect()
    }

    /// The trace as stable text.
    pub fn trace_text(&self) -> String {
        crate::render::text(&self.events)
    }

    /// Whether the ledger balances: every message sent was received, dropped with a reason,
    /// or is still queued.
    pub fn ledger_balances(&self) -> bool {
        self.ledger.balances(self.queued)
    }

    /// Whether every endpoint's ledger balances (`sent = received + queued + dropped`) and
    /// together they add up to the total ledger; the first discrepancy, described, if not.
    pub fn check_ledgers(&self) -> Result<(), String> {
        let (mut sum, mut queued) = (Ledger::default(), 0);
        for l in &self.ledgers {
            if !l.balances() {
                return Err(format!(
                    "{} {}: sent {} != received {} + queued {} + dropped {}",
                    l.endpoint,
                    l.name.as_deref().unwrap_or("(anonymous)"),
                    l.ledger.sent,
                    l.ledger.received,
                    l.queued,
                    l.ledger.dropped.total()
                ));
            }
            sum = sum.plus(&l.ledger);
            queued += l.queued;
        }
        if !self.history_streamed && (sum, queued) != (self.ledger, self.queued) {
            return Err(format!(
                "the endpoints add up to {sum:?} with {queued} queued, the total is {:?} with \
                 {} queued",
                self.ledger, self.queued
            ));
        }
        if !self.ledger_balances() {
            return Err(format!(
                "the total does not balance: {:?} with {} queued",
                self.ledger, self.queued
            ));
        }
        Ok(())
    }

    /// Whether every endpoint's ledger balances and they add up to the total (see
    /// [`check_ledgers`](Self::check_ledgers)).
    pub fn ledgers_balance(&self) -> bool {
        self.check_ledgers().is_ok()
    }
}
