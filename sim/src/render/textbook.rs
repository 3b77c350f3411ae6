//! The textbook view of a run: each job's arrival, burst, start, finish, turnaround, waiting
//! and response time as scheduling textbooks define them, with their averages, and the
//! schedule that produced them, in the spirit of the output of the OSTEP homework simulators
//! (`scheduler.py -c`).
//!
//! This module owns the figures ([`Textbook`], which tests read) and their table. A *job* is
//! every process but the first one (the scenario's `init`, or a program's `main`: it sets
//! the run up and is not part of the exercise) and but the daemons still serving when the
//! run ended (`daemon`: they serve the jobs and never finish, so they would only be rows
//! without a turnaround). Each figure comes from the trace and the
//! kernel's own accounting:
//!
//! - **arrival**: the tick the job joined the run queue for its arrival (`wake ... arrived`,
//!   a process declared `arrive T`); for a job without one, its spawn;
//! - **burst**: the ticks it ran on a CPU (the kernel's `cpu`; with zero costs, its
//!   `compute` statements);
//! - **start**: its first dispatch at or after its arrival;
//! - **finish**: its exit;
//! - **turnaround** = finish − arrival; **waiting** = turnaround − burst; **response** =
//!   start − arrival, as the books define them (for a job that blocks or sleeps, waiting
//!   includes those ticks: the book's jobs only compute).
//!
//! The averages are over the jobs that finished. It reads the report only, never the
//! kernel, and never panics on any report.

use super::replay::{Replay, State};
use crate::Report;
use abi::{Pid, Ticks};
use kernel::trace::{EventKind, WakeReason};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One job's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its pid.
    pub pid: Pid,
    /// Its name.
    pub name: String,
    /// When it joined the run queue.
    pub arrival: Ticks,
    /// Ticks it ran on a CPU.
    pub burst: Ticks,
    /// Its first dispatch at or after its arrival; `None` if it never ran.
    pub start: Option<Ticks>,
    /// Its exit; `None` if it was alive when the run ended.
    pub finish: Option<Ticks>,
}

impl Job {
    /// finish − arrival.
    pub fn turnaround(&self) -> Option<Ticks> {
        Some(self.finish?.saturating_sub(self.arrival))
    }

    /// turnaround − burst.
    pub fn waiting(&self) -> Option<Ticks> {
        Some(self.turnaround()?.saturating_sub(self.burst))
    }

    /// start − arrival.
    pub fn response(&self) -> Option<Ticks> {
        Some(self.start?.saturating_sub(self.arrival))
    }
}

/// One stretch of a job on a CPU, for the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stretch {
    /// The job's index in [`Textbook::jobs`].
    pub job: usize,
    /// When it began.
    pub from: Ticks,
    /// When it ended (exclusive).
    pub to: Ticks,
    /// The CPU it ran on.
    pub cpu: kernel::trace::CpuId,
}

/// The textbook view of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Textbook {
    /// The policy it ran on.
    pub policy: String,
    /// Every job, in spawn order.
    pub jobs: Vec<Job>,
    /// Every stretch a job ran, in time order (stretches of no ticks left out).
    pub schedule: Vec<Stretch>,
    /// The process left out as the run's set-up, if there was one.
    pub setup: Option<String>,
    /// The daemons left out, by name, in spawn order.
    pub daemons: Vec<String>,
}

/// Sums of a column over the finished jobs, kept whole so tests compare exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    /// How many jobs finished.
    pub jobs: u64,
    /// Sum of turnarounds.
    pub turnaround: Ticks,
    /// Sum of waiting times.
    pub waiting: Ticks,
    /// Sum of response times.
    pub response: Ticks,
}

impl Sums {
    /// A column's mean, `None` with no finished job.
    pub fn mean(&self, sum: Ticks) -> Option<f64> {
        (self.jobs > 0).then(|| sum as f64 / self.jobs as f64)
    }
}

impl Textbook {
    /// The figures of `report`'s run.
    pub fn of(report: &Report) -> Textbook {
        let mut spawned: Vec<(Pid, String, bool, Ticks)> = Vec::new();
        let mut arrived: BTreeMap<Pid, Ticks> = BTreeMap::new();
        let mut start: BTreeMap<Pid, Ticks> = BTreeMap::new();
        for e in &report.events {
            match &e.kind {
                EventKind::Spawn {
                    pid, name, parent, ..
                } => spawned.push((*pid, name.clone(), parent.is_none(), e.tick)),
                EventKind::Wake {
                    pid,
                    reason: WakeReason::Arrived,
                    ..
                } => {
                    arrived.insert(*pid, e.tick);
                }
                EventKind::Dispatch { pid } => {
                    start.entry(*pid).or_insert(e.tick);
                }
                _ => {}
            }
        }
        let setup = spawned
            .iter()
            .find(|(_, _, first, _)| *first)
            .map(|(_, name, _, _)| name.clone());
        let account = |pid: Pid| {
            let rec = report.exited.iter().find(|r| r.pid == pid);
            match rec {
                Some(r) => (r.stats.cpu, r.stats.exited_at),
                None => (
                    report
                        .processes
                        .iter()
                        .find(|p| p.pid == pid)
                        .map_or(0, |p| p.stats.cpu),
                    None,
                ),
            }
        };
        let is_daemon = |pid: Pid| report.processes.iter().any(|p| p.pid == pid && p.daemon);
        let daemons: Vec<String> = spawned
            .iter()
            .filter(|(pid, _, _, _)| is_daemon(*pid))
            .map(|(_, name, _, _)| name.clone())
            .collect();
        let jobs: Vec<Job> = spawned
            .iter()
            .filter(|(pid, _, first, _)| !first && !is_daemon(*pid))
            .map(|(pid, name, _, spawned_at)| {
                let (burst, finish) = account(*pid);
                Job {
                    pid: *pid,
                    name: name.clone(),
                    arrival: arrived.get(pid).copied().unwrap_or(*spawned_at),
                    burst,
                    start: start.get(pid).copied(),
                    finish,
                }
            })
            .collect();
        let index: BTreeMap<Pid, usize> =
            jobs.iter().enumerate().map(|(i, j)| (j.pid, i)).collect();
        let replay = Replay::from_events(&report.events, report.ticks);
        let mut schedule: Vec<Stretch> = replay
            .processes
            .iter()
            .filter_map(|life| Some((index.get(&life.pid).copied()?, life)))
            .flat_map(|(job, life)| {
                life.spans
                    .iter()
                    .filter(|s| s.end > s.start)
                    .filter_map(move |s| match s.state {
                        State::Running { cpu } => Some(Stretch {
                            job,
                            from: s.start,
                            to: s.end,
                            cpu,
                        }),
                        _ => None,
                    })
            })
            .collect();
        schedule.sort_by_key(|s| (s.from, s.cpu, s.to, s.job));
        Textbook {
            policy: report.policy.to_string(),
            jobs,
            schedule,
            setup,
            daemons,
        }
    }

    /// The column sums over the jobs that finished.
    pub fn sums(&self) -> Sums {
        let mut s = Sums::default();
        for j in &self.jobs {
            let (Some(t), Some(w)) = (j.turnaround(), j.waiting()) else {
                continue;
            };
            s.jobs += 1;
            s.turnaround += t;
            s.waiting += w;
            s.response += j.response().unwrap_or(0);
        }
        s
    }
}

/// `1 job`, `2 jobs`.
fn jobs(n: impl Into<u64>) -> String {
    let n: u64 = n.into();
    if n == 1 {
        "1 job".to_string()
    } else {
        format!("{n} jobs")
    }
}

/// The textbook view as text: the schedule, then one row per job and the averages.
pub fn render(report: &Report) -> String {
    let book = Textbook::of(report);
    let mut out = String::new();
    let mut left_out = book
        .setup
        .as_deref()
        .map_or(String::new(), |s| format!("; {s} is the set-up, not a job"));
    if !book.daemons.is_empty() {
        let _ = write!(
            left_out,
            "; {} serve{}, not jobs",
            book.daemons.join(", "),
            if book.daemons.len() == 1 { "s" } else { "" }
        );
    }
    let _ = writeln!(
        out,
        "textbook view: {} on {}{left_out}",
        jobs(book.jobs.len() as u64),
        book.policy
    );
    let name_width = book
        .jobs
        .iter()
        .map(|j| j.name.len())
        .max()
        .unwrap_or(0)
        .max("average".len());
    let _ = writeln!(out, "\nschedule");
    if book.schedule.is_empty() {
        let _ = writeln!(out, "  (no job ran)");
    }
    // With one CPU the CPU goes without saying.
    let several = report.machine.cpus() > 1;
    for s in &book.schedule {
        let job = &book.jobs[s.job];
        let on = if several {
            format!(" on cpu{}", s.cpu)
        } else {
            String::new()
        };
        let done = match job.finish {
            Some(f) if f == s.to => " (done)",
            _ => "",
        };
        let ticks = s.to - s.from;
        let plural = if ticks == 1 { "" } else { "s" };
        let _ = writeln!(
            out,
            "  [{:>6} - {:>6} ] {} runs {ticks} tick{plural}{on}{done}",
            s.from, s.to, job.name
        );
    }
    let dash = |v: Option<Ticks>| v.map_or("-".to_string(), |t| t.to_string());
    let _ = writeln!(
        out,
        "\n{:<name_width$}  {:>7}  {:>5}  {:>5}  {:>6}  {:>10}  {:>7}  {:>8}",
        "job", "arrival", "burst", "start", "finish", "turnaround", "waiting", "response"
    );
    for j in &book.jobs {
        let _ = writeln!(
            out,
            "{:<name_width$}  {:>7}  {:>5}  {:>5}  {:>6}  {:>10}  {:>7}  {:>8}",
            j.name,
            j.arrival,
            j.burst,
            dash(j.start),
            dash(j.finish),
            dash(j.turnaround()),
            dash(j.waiting()),
            dash(j.response())
        );
    }
    let sums = book.sums();
    let blank = "";
    let _ = writeln!(
        out,
        "{:<name_width$}  {blank:>7}  {blank:>5}  {blank:>5}  {blank:>6}  {:>10}  {:>7}  {:>8}",
        "sum", sums.turnaround, sums.waiting, sums.response
    );
    let mean = |sum| {
        sums.mean(sum)
            .map_or("-".to_string(), |m| format!("{m:.2}"))
    };
    let _ = writeln!(
        out,
        "{:<name_width$}  {blank:>7}  {blank:>5}  {blank:>5}  {blank:>6}  {:>10}  {:>7}  {:>8}",
        "average",
        mean(sums.turnaround),
        mean(sums.waiting),
        mean(sums.response)
    );
    let unfinished = book.jobs.len() as u64 - sums.jobs;
    if unfinished > 0 {
        let _ = writeln!(
            out,
            "({} not finished when the run ended: not in the sums)",
            jobs(unfinished)
        );
    }
    out
}
