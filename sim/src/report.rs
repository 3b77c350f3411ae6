//! What a run produced: how it ended, the trace, exit codes, console output and statistics.

use abi::{Pid, Ticks};
use kernel::inspect::{MailboxInfo, ProcessInfo};
use kernel::trace::{Event, ExitReason};
use kernel::{ConsoleLine, Deadlock, ExitRecord, Ledger};

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every process exited.
    Completed,
    /// Processes are blocked and nothing can wake them.
    Deadlock(Deadlock),
    /// The run reached its tick limit.
    TickLimit,
}

/// Whole-machine accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineStats {
    /// Ticks the run lasted.
    pub ticks: Ticks,
    /// Ticks a CPU ran a process (or the kernel on its behalf).
    pub busy: Ticks,
    /// Ticks the CPU idled waiting for a timer.
    pub idle: Ticks,
    /// Dispatches of a process onto a CPU.
    pub context_switches: u64,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// When it ended.
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
    /// Whole-machine accounting.
    pub machine: MachineStats,
    /// The scheduling policy's name.
    pub policy: &'static str,
    /// The run's seed.
    pub seed: u64,
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

    /// Whether every process exited with code 0 and nothing deadlocked or ran out of time.
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Completed && self.exited.iter().all(|e| e.code == 0)
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
        self.ledger.sent == self.ledger.received + self.ledger.dropped + self.queued
    }
}
