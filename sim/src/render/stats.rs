//! Statistics of a run: per process, per endpoint, the ledgers, for the whole machine and,
//! when it had several, per CPU.
//!
//! This module owns the numbers ([`Stats`], which tests and tools can inspect) and their
//! table. Every process's numbers are the kernel's own accounting: for one that exited, its
//! exit record (`report.exited[..].stats`); for one still alive at the end (blocked in a
//! deadlock, cut off by the tick limit), its row of the process table the run ended with
//! (`report.processes[..].stats`, which counts its current state up to then). The trace
//! says which processes there were, in spawn order; the endpoint counters come from its
//! [replay](super::replay); the ledgers (where every
//! message went, endpoint by endpoint, with drops by reason) from the kernel's own counts
//! (`report.ledgers`), so they are there even without a trace; the machine's from
//! `report.machine`. Column definitions are in `docs/trace-format.md`. The module never
//! panics on any report.

use super::replay::{Endpoint, Replay};
use super::Names;
use crate::Report;
use abi::{Dest, Pid, Ticks};
use kernel::inspect::ProcessInfo;
use kernel::trace::{CpuId, DropReason};
use kernel::Ledger;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One process's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessStats {
    /// Its pid.
    pub pid: Pid,
    /// Its name.
    pub name: String,
    /// Its exit code, `None` if it was still alive when the run ended.
    pub exit_code: Option<i32>,
    /// The tick it was spawned.
    pub spawned_at: Ticks,
    /// Ticks on a CPU.
    pub cpu: Ticks,
    /// Ticks ready but not running.
    pub ready: Ticks,
    /// Ticks blocked on a wait queue.
    pub blocked: Ticks,
    /// Ticks sleeping.
    pub sleeping: Ticks,
    /// Exit minus spawn; for a process still alive, the run's end minus spawn.
    pub turnaround: Ticks,
    /// First dispatch minus spawn; `None` if it never ran.
    pub response: Option<Ticks>,
    /// Ticks spent ready: waiting for a CPU (the same as `ready`, under its textbook name).
    pub waiting: Ticks,
    /// Times it was given a CPU.
    pub dispatches: u64,
    /// Times the timer took the CPU away.
    pub preemptions: u64,
    /// Messages it sent that entered the kernel.
    pub sent: u64,
    /// Messages it received.
    pub received: u64,
}

impl ProcessStats {
    /// A process that exited, from the kernel's final accounting (the authority for it);
    /// `end` is when the run ended.
    pub fn from_exit(rec: &kernel::ExitRecord, end: Ticks) -> ProcessStats {
        let s = &rec.stats;
        ProcessStats {
            pid: rec.pid,
            name: rec.name.clone(),
            exit_code: Some(rec.code),
            spawned_at: s.spawned_at,
            cpu: s.cpu,
            ready: s.ready,
            blocked: s.blocked,
            sleeping: s.sleeping,
            turnaround: s.exited_at.unwrap_or(end).saturating_sub(s.spawned_at),
            response: s.first_run.map(|f| f.saturating_sub(s.spawned_at)),
            waiting: s.ready,
            dispatches: s.dispatches,
            preemptions: s.preemptions,
            sent: s.sent,
            received: s.received,
        }
    }

    /// A process still alive at the end, from its row of the process table the run ended
    /// with (the authority for it); `end` is when the run ended.
    pub fn from_live(info: &ProcessInfo, end: Ticks) -> ProcessStats {
        let s = &info.stats;
        ProcessStats {
            pid: info.pid,
            name: info.name.clone(),
            exit_code: None,
            spawned_at: s.spawned_at,
            cpu: s.cpu,
            ready: s.ready,
            blocked: s.blocked,
            sleeping: s.sleeping,
            turnaround: end.saturating_sub(s.spawned_at),
            response: s.first_run.map(|f| f.saturating_sub(s.spawned_at)),
            waiting: s.ready,
            dispatches: s.dispatches,
            preemptions: s.preemptions,
            sent: s.sent,
            received: s.received,
        }
    }

    /// `p3:name`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.pid, self.name)
    }
}

/// Means over every process in [`Stats::processes`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Averages {
    /// How many processes the means are over.
    pub processes: usize,
    /// Mean CPU ticks.
    pub cpu: f64,
    /// Mean ready ticks.
    pub ready: f64,
    /// Mean blocked ticks.
    pub blocked: f64,
    /// Mean sleeping ticks.
    pub sleeping: f64,
    /// Mean turnaround.
    pub turnaround: f64,
    /// Mean response time, over the processes that ran (`None` if none did).
    pub response: Option<f64>,
    /// Mean waiting time.
    pub waiting: f64,
}

/// One endpoint's numbers: a mailbox, or a process's direct inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointStats {
    /// The endpoint these numbers are of.
    pub endpoint: Endpoint,
    /// `mb0:buffer`, or `p3:name inbox`.
    pub label: String,
    /// Messages that entered the kernel bound here.
    pub sent: u64,
    /// Messages received from here: the messages through it.
    pub through: u64,
    /// Messages dropped here.
    pub dropped: u64,
    /// Messages still queued when the run ended.
    pub left_queued: usize,
    /// The deepest its queue got.
    pub deepest: usize,
    /// The most senders blocked on it at once.
    pub max_blocked_senders: usize,
}

/// One endpoint's ledger as the kernel kept it (or the total over every endpoint).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerRow {
    /// `mb0:buffer`, `p3:name inbox`, with ` (deleted)` or ` (exited)` once gone; `total`
    /// for the sum.
    pub label: String,
    /// Where the messages bound here went.
    pub ledger: Ledger,
    /// Messages queued here at the end.
    pub queued: u64,
}

impl LedgerRow {
    /// `sent = received + queued + dropped`.
    pub fn balances(&self) -> bool {
        self.ledger.balances(self.queued)
    }
}

/// One CPU's numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuSummary {
    /// The CPU these numbers are of.
    pub cpu: CpuId,
    /// Ticks it was busy.
    pub busy: Ticks,
    /// Ticks it idled.
    pub idle: Ticks,
    /// `busy / ticks`, in percent (0 for an empty run).
    pub utilisation: f64,
    /// Dispatches of a process onto it.
    pub context_switches: u64,
}

/// The whole machine's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineSummary {
    /// Ticks the run lasted.
    pub ticks: Ticks,
    /// Ticks a CPU was busy, summed over the CPUs.
    pub busy: Ticks,
    /// Ticks a CPU idled, summed over the CPUs.
    pub idle: Ticks,
    /// `busy / (ticks × CPUs)`, in percent (0 for an empty run): with one CPU, `busy /
    /// ticks`.
    pub utilisation: f64,
    /// Dispatches of a process onto a CPU.
    pub context_switches: u64,
    /// Each CPU's numbers, by id (one entry per CPU the machine had; empty for a report
    /// that does not say).
    pub cpus: Vec<CpuSummary>,
}

/// Everything the statistics table shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Every process, in spawn order (exited processes the trace did not show come last).
    pub processes: Vec<ProcessStats>,
    /// Means over the processes.
    pub averages: Averages,
    /// Every endpoint that saw a message or a blocked sender, mailboxes first.
    pub endpoints: Vec<EndpointStats>,
    /// The kernel's ledger of every endpoint that ever had a message sent to it, in the
    /// order the endpoints were created.
    pub ledgers: Vec<LedgerRow>,
    /// The kernel's total ledger (`label` = `total`).
    pub ledger_total: LedgerRow,
    /// The whole machine's numbers, and each CPU's.
    pub machine: MachineSummary,
}

impl Stats {
    /// The numbers of a run.
    pub fn from_report(report: &Report) -> Stats {
        let tl = Replay::from_events(&report.events, report.ticks);
        let names = Names::from_events(&report.events);
        // The kernel's numbers of each process, found by pid: its exit record, or its row of
        // the process table. Trees, not hash maps: nothing here may depend on a hash order.
        // The first record of a pid wins, as `Report::exit_of` has it.
        let mut exits: BTreeMap<Pid, &kernel::ExitRecord> = BTreeMap::new();
        for rec in &report.exited {
            userland::work::step(1);
            exits.entry(rec.pid).or_insert(rec);
        }
        let mut alive: BTreeMap<Pid, &ProcessInfo> = BTreeMap::new();
        for info in &report.processes {
            userland::work::step(1);
            alive.entry(info.pid).or_insert(info);
        }
        let traced: BTreeSet<Pid> = tl.processes.iter().map(|p| p.pid).collect();
        // A process the kernel kept no numbers for (its exit record went to a history sink,
        // `Machine::stream_history`) has none to show.
        let mut processes: Vec<ProcessStats> = tl
            .processes
            .iter()
            .filter_map(|p| {
                userland::work::step(1);
                match exits.get(&p.pid) {
                    Some(rec) => Some(ProcessStats::from_exit(rec, report.ticks)),
                    None => alive
                        .get(&p.pid)
                        .map(|info| ProcessStats::from_live(info, report.ticks)),
                }
            })
            .collect();
        // Without a trace (tracing off) the exit records are all there is.
        for rec in &report.exited {
            userland::work::step(1);
            if !traced.contains(&rec.pid) {
                processes.push(ProcessStats::from_exit(rec, report.ticks));
            }
        }

        let n = processes.len();
        let mean = |f: &dyn Fn(&ProcessStats) -> Ticks| {
            if n == 0 {
                0.0
            } else {
                processes.iter().map(|p| f(p) as f64).sum::<f64>() / n as f64
            }
        };
        let responses: Vec<f64> = processes
            .iter()
            .filter_map(|p| p.response.map(|r| r as f64))
            .collect();
        let averages = Averages {
            processes: n,
            cpu: mean(&|p| p.cpu),
            ready: mean(&|p| p.ready),
            blocked: mean(&|p| p.blocked),
            sleeping: mean(&|p| p.sleeping),
            turnaround: mean(&|p| p.turnaround),
            response: (!responses.is_empty())
                .then(|| responses.iter().sum::<f64>() / responses.len() as f64),
            waiting: mean(&|p| p.waiting),
        };

        let endpoints = tl
            .endpoints
            .iter()
            .map(|(ep, s)| EndpointStats {
                endpoint: *ep,
                label: match ep {
                    Endpoint::Mailbox(m) => names.mailbox(*m),
                    Endpoint::Inbox(p) => format!("{} inbox", names.pid(*p)),
                },
                sent: s.accepted,
                through: s.received,
                dropped: s.dropped,
                left_queued: s.left_queued,
                deepest: s.max_depth,
                max_blocked_senders: s.max_blocked_senders,
            })
            .collect();

        let ledgers: Vec<LedgerRow> = report
            .ledgers
            .iter()
            .map(|l| {
                let name = l.name.as_deref().map_or(String::new(), |n| format!(":{n}"));
                let label = match (l.endpoint, l.closed) {
                    (Dest::Mailbox(m), false) => format!("{m}{name}"),
                    (Dest::Mailbox(m), true) => format!("{m}{name} (deleted)"),
                    (Dest::Process(p), false) => format!("{p}{name} inbox"),
                    (Dest::Process(p), true) => format!("{p}{name} inbox (exited)"),
                };
                LedgerRow {
                    label,
                    ledger: l.ledger,
                    queued: l.queued,
                }
            })
            .collect();
        // The total's drops by reason are the endpoints' summed; its other counts are the
        // kernel's own, so a disagreement between the two shows in the table.
        let dropped = ledgers
            .iter()
            .fold(Ledger::default(), |sum, l| sum.plus(&l.ledger))
            .dropped;
        let ledger_total = LedgerRow {
            label: "total".into(),
            ledger: Ledger {
                dropped,
                ..report.ledger
            },
            queued: report.queued,
        };

        let m = &report.machine;
        let percent = |busy: Ticks, capacity: u128| {
            if capacity == 0 {
                0.0
            } else {
                busy as f64 * 100.0 / capacity as f64
            }
        };
        let machine = MachineSummary {
            ticks: m.ticks,
            busy: m.busy,
            idle: m.idle,
            utilisation: percent(m.busy, u128::from(m.ticks) * m.cpus() as u128),
            context_switches: m.context_switches,
            cpus: m
                .per_cpu
                .iter()
                .enumerate()
                .map(|(i, c)| CpuSummary {
                    cpu: CpuId::try_from(i).unwrap_or(CpuId::MAX),
                    busy: c.busy,
                    idle: c.idle,
                    utilisation: percent(c.busy, u128::from(m.ticks)),
                    context_switches: c.context_switches,
                })
                .collect(),
        };
        Stats {
            processes,
            averages,
            endpoints,
            ledgers,
            ledger_total,
            machine,
        }
    }
}

/// Lay out rows of cells as an aligned table: the first column left-aligned, the others
/// right-aligned, two spaces between columns.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c == 0 {
                let _ = write!(line, "{cell:<w$}", w = widths[0]);
            } else {
                let _ = write!(line, "  {cell:>w$}", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn mean(x: f64) -> String {
    format!("{x:.1}")
}

/// Render the run's statistics as aligned tables.
pub fn render(report: &Report) -> String {
    let st = Stats::from_report(report);
    let mut out = String::new();

    let _ = writeln!(out, "processes (times in ticks)");
    let mut rows = vec![[
        "process",
        "exit",
        "cpu",
        "ready",
        "blocked",
        "sleeping",
        "turnaround",
        "response",
        "waiting",
        "dispatches",
        "preempted",
        "sent",
        "received",
    ]
    .map(String::from)
    .to_vec()];
    for p in &st.processes {
        rows.push(vec![
            p.label(),
            p.exit_code.map_or("alive".to_string(), |c| c.to_string()),
            p.cpu.to_string(),
            p.ready.to_string(),
            p.blocked.to_string(),
            p.sleeping.to_string(),
            p.turnaround.to_string(),
            p.response.map_or("-".to_string(), |r| r.to_string()),
            p.waiting.to_string(),
            p.dispatches.to_string(),
            p.preemptions.to_string(),
            p.sent.to_string(),
            p.received.to_string(),
        ]);
    }
    let a = &st.averages;
    rows.push(vec![
        format!("average of {}", a.processes),
        String::new(),
        mean(a.cpu),
        mean(a.ready),
        mean(a.blocked),
        mean(a.sleeping),
        mean(a.turnaround),
        a.response.map_or("-".to_string(), mean),
        mean(a.waiting),
    ]);
    out.push_str(&table(&rows));
    if st.processes.iter().any(|p| p.exit_code.is_none()) {
        let _ = writeln!(
            out,
            "(alive: still running, ready or blocked at the end; its turnaround runs to the end)"
        );
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "endpoints (messages)");
    if st.endpoints.is_empty() {
        let _ = writeln!(out, "(no messages)");
    } else {
        let mut rows = vec![[
            "endpoint",
            "sent",
            "through",
            "dropped",
            "left queued",
            "deepest queue",
            "most blocked senders",
        ]
        .map(String::from)
        .to_vec()];
        for e in &st.endpoints {
            rows.push(vec![
                e.label.clone(),
                e.sent.to_string(),
                e.through.to_string(),
                e.dropped.to_string(),
                e.left_queued.to_string(),
                e.deepest.to_string(),
                e.max_blocked_senders.to_string(),
            ]);
        }
        out.push_str(&table(&rows));
    }

    // A run in which no message entered the kernel has no ledger to show (and its table
    // reads as it did before ledgers existed).
    if !st.ledgers.is_empty() || st.ledger_total.ledger.sent > 0 {
        let _ = writeln!(out);
        let _ = writeln!(out, "ledger (messages: where each went)");
        // One column per drop reason that occurred anywhere, in a fixed order.
        let reasons: Vec<DropReason> = st
            .ledger_total
            .ledger
            .dropped
            .iter()
            .map(|(r, _)| r)
            .collect();
        let mut header: Vec<String> = ["endpoint", "sent", "received", "queued", "dropped"]
            .map(String::from)
            .to_vec();
        header.extend(reasons.iter().map(|r| r.name().replace('_', " ")));
        let mut rows = vec![header];
        for l in st.ledgers.iter().chain([&st.ledger_total]) {
            let mut row = vec![
                l.label.clone(),
                l.ledger.sent.to_string(),
                l.ledger.received.to_string(),
                l.queued.to_string(),
                l.ledger.dropped.total().to_string(),
            ];
            row.extend(reasons.iter().map(|r| l.ledger.dropped.get(*r).to_string()));
            rows.push(row);
        }
        out.push_str(&table(&rows));
        if !st.ledger_total.balances() || st.ledger_total.ledger.dropped != report.ledger.dropped {
            let _ = writeln!(out, "(the ledger does NOT balance: a kernel bug)");
        }
    }

    let m = &st.machine;
    let _ = writeln!(out);
    let _ = writeln!(out, "machine");
    out.push_str(&table(&[
        vec!["ticks".into(), m.ticks.to_string()],
        vec!["busy".into(), m.busy.to_string()],
        vec!["idle".into(), m.idle.to_string()],
        vec!["utilisation".into(), format!("{:.1}%", m.utilisation)],
        vec!["context switches".into(), m.context_switches.to_string()],
    ]));
    // One CPU is the whole machine: its row would repeat the lines above.
    if m.cpus.len() > 1 {
        let _ = writeln!(out);
        let _ = writeln!(out, "cpus (times in ticks)");
        let mut rows = vec![["cpu", "busy", "idle", "utilisation", "context switches"]
            .map(String::from)
            .to_vec()];
        for c in &m.cpus {
            rows.push(vec![
                format!("cpu{}", c.cpu),
                c.busy.to_string(),
                c.idle.to_string(),
                format!("{:.1}%", c.utilisation),
                c.context_switches.to_string(),
            ]);
        }
        out.push_str(&table(&rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MachineConfig;
    use abi::Capacity;
    use kernel::trace::{Event, EventKind, ExitReason};
    use kernel::ExitRecord;

    /// A run's report with `n` processes that each spawned and exited, as a run of that
    /// many would have it: a spawn and an exit event each, and an exit record each.
    fn many(n: u32) -> Report {
        let s = userland::scenario::shipped("rendezvous").expect("shipped");
        let scenario = crate::scenario::load(s.path, s.source).expect("loads");
        let mut report = crate::scenario::run(scenario, MachineConfig::default()).expect("boots");
        let pid = |i: u32| Pid::new(i, 0);
        let spawns = (0..n).map(|i| Event {
            tick: u64::from(i),
            cpu: 0,
            kind: EventKind::Spawn {
                pid: pid(i),
                parent: None,
                program: "w".into(),
                name: format!("w[{i}]"),
                arg: 0,
                inbox: Capacity::Zero,
                priority: 0,
            },
        });
        let exits = (0..n).map(|i| Event {
            tick: u64::from(n + i),
            cpu: 0,
            kind: EventKind::Exit {
                pid: pid(i),
                code: 0,
                reason: ExitReason::Returned,
            },
        });
        report.events = spawns.chain(exits).collect();
        report.exited = (0..n)
            .map(|i| ExitRecord {
                pid: pid(i),
                name: format!("w[{i}]"),
                code: 0,
                reason: ExitReason::Returned,
                stats: kernel::process::ProcStats {
                    cpu: u64::from(i % 7),
                    spawned_at: u64::from(i),
                    exited_at: Some(u64::from(n + i)),
                    ..Default::default()
                },
            })
            .collect();
        report.ticks = u64::from(2 * n);
        report
    }

    #[test]
    fn the_numbers_of_many_processes_take_work_in_proportion_to_them() {
        // Each process's numbers are found by pid, not by a search of the lists per process.
        // Counted, not timed: eight times the processes, at most about eight times the steps.
        const { assert!(userland::work::COUNTING, "the tests count work") };
        let steps = |n| {
            let report = many(n);
            userland::work::take();
            let st = Stats::from_report(&report);
            let steps = userland::work::take();
            (st, steps)
        };
        let (_, small) = steps(8_192);
        let (st, large) = steps(65_536);
        assert!(small > 0);
        assert!(
            large <= small * 9,
            "8 times the processes took {} times the work",
            large as f64 / small as f64
        );
        assert_eq!(st.processes.len(), 65_536);
        assert_eq!(st.processes[70].name, "w[70]");
        assert_eq!(st.processes[70].cpu, 0, "70 % 7: from its exit record");
        assert_eq!(st.processes[71].cpu, 1);
    }

    #[test]
    fn exit_records_the_trace_does_not_show_come_last_in_exit_order() {
        let mut report = many(3);
        report.events.clear();
        let st = Stats::from_report(&report);
        let names: Vec<&str> = st.processes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["w[0]", "w[1]", "w[2]"]);
        // A pid that exited twice in the records (never in a real run) keeps its first.
        let mut twice = many(2);
        let mut again = twice.exited[0].clone();
        again.code = 9;
        twice.exited.push(again);
        let st = Stats::from_report(&twice);
        assert_eq!(st.processes[0].exit_code, Some(0));
    }
}
