//! The scheduling policies on textbook workloads, checked against numbers worked out by hand.
//!
//! Every test runs a small set of jobs with the machine's costs set to zero (a syscall and a
//! dispatch take no time), so that the only ticks are the jobs' own CPU bursts and the
//! numbers are the textbook's. Each job is a process that sleeps until its arrival, then
//! computes (and perhaps sleeps, computes again); `main` spawns them all at tick 0 and
//! exits. Tick 0 is the set-up: every job runs for an instant to start its sleep. The
//! textbook clock therefore starts at tick 1: **textbook time t is tick t + 1**, and a job
//! arriving at t sleeps `1 + t` ticks.
//!
//! The rows each test checks, in the order the jobs exited, are in textbook time:
//! - `done`: when its last CPU burst ended (the `compute` return in the trace);
//! - `exit`: when it exited. With zero costs the exit takes no time, so it is `done`
//!   unless the policy gave the CPU to someone else in between (see the aging test);
//! - `turnaround`: `exit` − arrival (the stats' `turnaround` counts from the spawn at tick
//!   0, so it is this plus 1 + arrival);
//! - `waiting`: ticks ready but not running, exactly the stats' `waiting` (the set-up
//!   instant adds nothing).
//!
//! Each test also snapshots the statistics table and the text trace, which show the same
//! numbers from the machine's side. `docs/scheduling.md` walks through the first workload.

use abi::{Sysno, Ticks};
use kernel::sched::Policy;
use kernel::trace::EventKind;
use sim::policy::PolicySettings;
use sim::render::stats;
use sim::{Costs, Outcome, Report};
use std::collections::BTreeMap;
use testkit::{config, run_with};
use userland::{ProgramTable, SpawnOptions};

/// The set-up instant: a job arriving at textbook time t sleeps `SETUP + t` ticks.
const SETUP: Ticks = 1;

/// One step of a job.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Use the CPU for this many ticks.
    Compute(Ticks),
    /// Sleep this many ticks (an I/O wait).
    Sleep(Ticks),
}
use Step::{Compute, Sleep};

/// A job of a workload.
#[derive(Clone, Copy, Debug)]
struct Job {
    name: &'static str,
    /// Textbook arrival time.
    arrival: Ticks,
    priority: u8,
    /// Whether it declares its CPU burst at spawn (`SpawnOptions::burst`): the first
    /// `Compute` step's length.
    declares: bool,
    steps: &'static [Step],
}

const fn job(name: &'static str, arrival: Ticks, burst: Ticks) -> Job {
    Job {
        name,
        arrival,
        priority: 0,
        declares: true,
        steps: match burst {
            // A `const fn` cannot build a slice from a runtime value, so the textbook
            // bursts are spelled out.
            2 => &[Compute(2)],
            3 => &[Compute(3)],
            4 => &[Compute(4)],
            5 => &[Compute(5)],
            6 => &[Compute(6)],
            7 => &[Compute(7)],
            8 => &[Compute(8)],
            9 => &[Compute(9)],
            _ => &[],
        },
    }
}

const fn with_priority(j: Job, priority: u8) -> Job {
    Job { priority, ..j }
}

/// The workload of `docs/scheduling.md`: four jobs with bursts 6, 8, 7, 3 arriving at 0, 1,
/// 2, 3 (Silberschatz's SJF burst lengths, staggered).
const FOUR: &[Job] = &[
    job("P1", 0, 6),
    job("P2", 1, 8),
    job("P3", 2, 7),
    job("P4", 3, 3),
];

/// Silberschatz's SRTF example: bursts 8, 4, 9, 5 arriving at 0, 1, 2, 3.
const SILBERSCHATZ_SRTF: &[Job] = &[
    job("P1", 0, 8),
    job("P2", 1, 4),
    job("P3", 2, 9),
    job("P4", 3, 5),
];

/// Different priorities and staggered arrivals (a higher number is a higher priority).
const PRIORITIES: &[Job] = &[
    with_priority(job("P1", 0, 8), 1),
    with_priority(job("P2", 2, 4), 3),
    with_priority(job("P3", 4, 2), 5),
    with_priority(job("P4", 5, 3), 2),
];

/// A CPU hog, an interactive job (short bursts between sleeps) and a short job arriving
/// later: the three kinds MLFQ is meant to tell apart (OSTEP ch. 8).
const MLFQ_MIX: &[Job] = &[
    Job {
        name: "batch",
        arrival: 0,
        priority: 0,
        declares: false,
        steps: &[Compute(20)],
    },
    Job {
        name: "interactive",
        arrival: 1,
        priority: 0,
        declares: false,
        steps: &[
            Compute(1),
            Sleep(4),
            Compute(1),
            Sleep(4),
            Compute(1),
            Sleep(4),
        ],
    },
    Job {
        name: "short",
        arrival: 6,
        priority: 0,
        declares: false,
        steps: &[Compute(3)],
    },
];

/// Two jobs that declare nothing: SJF must learn their bursts.
const UNDECLARED: &[Job] = &[
    Job {
        name: "long",
        arrival: 0,
        priority: 0,
        declares: false,
        steps: &[Compute(8), Sleep(4), Compute(3)],
    },
    Job {
        name: "short",
        arrival: 0,
        priority: 0,
        declares: false,
        steps: &[Compute(1), Sleep(3), Compute(3)],
    },
];

/// The programs: `main` spawns every job of `jobs` in order, and `job` runs one.
fn programs(jobs: &'static [Job]) -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns the workload's jobs",
        move |sys, _| async move {
            for (i, j) in jobs.iter().enumerate() {
                let declared = match (j.declares, j.steps.first()) {
                    (true, Some(Compute(n))) => *n,
                    _ => 0,
                };
                let opts = SpawnOptions::new("job", i as u64)
                    .label(j.name)
                    .priority(j.priority)
                    .burst(declared);
                sys.spawn_with(opts).await.expect("spawn a job");
            }
            0
        },
    );
    t.add(
        "job",
        "sleeps until its arrival, then runs its steps",
        move |sys, i| async move {
            let j = &jobs[i as usize];
            sys.sleep(SETUP + j.arrival).await;
            for step in j.steps {
                match *step {
                    Compute(n) => sys.compute(n).await,
                    Sleep(n) => sys.sleep(n).await,
                }
            }
            0
        },
    );
    t
}

/// Run `jobs` under `policy` with zero costs and `seed`.
fn run(policy: Policy, jobs: &'static [Job], seed: u64) -> Report {
    let mut c = config();
    c.policy = policy;
    c.seed = seed;
    c.costs = Costs {
        syscall: 0,
        context_switch: 0,
    };
    let report = run_with(c, programs(jobs), "main");
    assert_eq!(report.outcome, Outcome::Completed);
    assert!(
        report.exited.iter().all(|e| e.code == 0),
        "{:?}",
        report.exited
    );
    report
}

fn policy(name: &str, settings: PolicySettings) -> Policy {
    sim::policy::parse(name, &settings).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One job's numbers in textbook time: (name, done, exit, turnaround, waiting).
type Row = (&'static str, Ticks, Ticks, Ticks, Ticks);

/// Every job's numbers, in the order the jobs exited.
fn rows(report: &Report, jobs: &'static [Job]) -> Vec<Row> {
    // When each process's last `compute` returned.
    let mut done = BTreeMap::new();
    for e in &report.events {
        if let EventKind::Return {
            pid,
            sysno: Some(Sysno::Compute),
            ..
        } = e.kind
        {
            done.insert(pid, e.tick);
        }
    }
    report
        .exited
        .iter()
        .filter_map(|rec| {
            let j = jobs.iter().find(|j| j.name == rec.name)?;
            let exit = rec.stats.exited_at.expect("it exited") - SETUP;
            Some((
                j.name,
                done[&rec.pid] - SETUP,
                exit,
                exit - j.arrival,
                rec.stats.ready,
            ))
        })
        .collect()
}

/// The sums of turnaround and waiting over the rows.
fn totals(rows: &[Row]) -> (Ticks, Ticks) {
    (
        rows.iter().map(|r| r.3).sum(),
        rows.iter().map(|r| r.4).sum(),
    )
}

/// What the snapshots hold: the statistics table, then the text trace.
fn shown(report: &Report) -> String {
    format!("{}\n{}", stats::render(report), report.trace_text())
}

fn preemptions(report: &Report, name: &str) -> u64 {
    report
        .exit_named(name)
        .expect("it exited")
        .stats
        .preemptions
}

#[test]
fn fcfs_runs_the_jobs_in_arrival_order() {
    // P1 0-6 | P2 6-14 | P3 14-21 | P4 21-24
    //
    //        arrival burst  done  turnaround  waiting
    //   P1      0      6      6       6          0
    //   P2      1      8     14      13          5
    //   P3      2      7     21      19         12
    //   P4      3      3     24      21         18
    //                               --         --
    //                               59 (14.75) 35 (8.75)
    let r = run(Policy::Fcfs, FOUR, 0);
    let rows = rows(&r, FOUR);
    assert_eq!(
        rows,
        [
            ("P1", 6, 6, 6, 0),
            ("P2", 14, 14, 13, 5),
            ("P3", 21, 21, 19, 12),
            ("P4", 24, 24, 21, 18)
        ]
    );
    assert_eq!(totals(&rows), (59, 35));
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn round_robin_takes_turns_of_one_quantum() {
    // Quantum 5. A job whose quantum runs out goes behind the jobs that arrived meanwhile.
    // No burst is a multiple of 5, so no job's quantum ends exactly with its burst (see
    // docs/scheduling.md on why that matters).
    //
    // P1 0-5 | P2 5-10 | P3 10-15 | P4 15-18 | P1 18-19 | P2 19-22 | P3 22-24
    //
    //        arrival burst  done  turnaround  waiting
    //   P4      3      3     18      15         12
    //   P1      0      6     19      19         13
    //   P2      1      8     22      21         13
    //   P3      2      7     24      22         15
    //                               --         --
    //                               77 (19.25) 53 (13.25)
    let q5 = PolicySettings {
        quantum: Some(5),
        ..PolicySettings::default()
    };
    let r = run(policy("rr", q5), FOUR, 0);
    let rows = rows(&r, FOUR);
    assert_eq!(
        rows,
        [
            ("P4", 18, 18, 15, 12),
            ("P1", 19, 19, 19, 13),
            ("P2", 22, 22, 21, 13),
            ("P3", 24, 24, 22, 15)
        ]
    );
    assert_eq!(totals(&rows), (77, 53));
    assert_eq!(
        ["P1", "P2", "P3", "P4"].map(|n| preemptions(&r, n)),
        [1, 1, 1, 0]
    );
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn sjf_runs_the_shortest_declared_burst_next() {
    // Non-preemptive: P1 is alone at 0 and keeps the CPU; at 6 the shortest waiting burst
    // is P4's (3), then P3's (7), then P2's (8).
    //
    // P1 0-6 | P4 6-9 | P3 9-16 | P2 16-24
    //
    //        arrival burst  done  turnaround  waiting
    //   P1      0      6      6       6          0
    //   P4      3      3      9       6          3
    //   P3      2      7     16      14          7
    //   P2      1      8     24      23         15
    //                               --         --
    //                               49 (12.25) 25 (6.25)
    let r = run(policy("sjf", PolicySettings::default()), FOUR, 0);
    let rows = rows(&r, FOUR);
    assert_eq!(
        rows,
        [
            ("P1", 6, 6, 6, 0),
            ("P4", 9, 9, 6, 3),
            ("P3", 16, 16, 14, 7),
            ("P2", 24, 24, 23, 15)
        ]
    );
    assert_eq!(totals(&rows), (49, 25));
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn srtf_does_not_preempt_on_a_tie() {
    // At 3, P4 arrives needing 3 and P1 has exactly 3 left: a tie, and only a strictly
    // shorter remaining time preempts. So SRTF runs this workload as SJF does.
    let r = run(policy("srtf", PolicySettings::default()), FOUR, 0);
    let rows = rows(&r, FOUR);
    assert_eq!(
        rows,
        [
            ("P1", 6, 6, 6, 0),
            ("P4", 9, 9, 6, 3),
            ("P3", 16, 16, 14, 7),
            ("P2", 24, 24, 23, 15)
        ]
    );
    assert!(FOUR.iter().all(|j| preemptions(&r, j.name) == 0));
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn srtf_preempts_for_a_shorter_remaining_time() {
    // Silberschatz's example. At 1, P2 (4) arrives while P1 has 7 left: P2 preempts. At 2
    // and 3, P3 (9) and P4 (5) are longer than what P2 has left (3, 2). At 5 the shortest is
    // P4 (5), then P1 (7 left), then P3 (9).
    //
    // P1 0-1 | P2 1-5 | P4 5-10 | P1 10-17 | P3 17-26
    //
    //        arrival burst  done  turnaround  waiting
    //   P2      1      4      5       4          0
    //   P4      3      5     10       7          2
    //   P1      0      8     17      17          9
    //   P3      2      9     26      24         15
    //                               --         --
    //                               52 (13)    26 (6.5, the book's average)
    let r = run(
        policy("srtf", PolicySettings::default()),
        SILBERSCHATZ_SRTF,
        0,
    );
    let rows = rows(&r, SILBERSCHATZ_SRTF);
    assert_eq!(
        rows,
        [
            ("P2", 5, 5, 4, 0),
            ("P4", 10, 10, 7, 2),
            ("P1", 17, 17, 17, 9),
            ("P3", 26, 26, 24, 15)
        ]
    );
    assert_eq!(totals(&rows), (52, 26));
    assert_eq!(preemptions(&r, "P1"), 1);
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn sjf_on_the_same_workload_lets_the_first_job_finish() {
    // The same jobs without preemption: P1 0-8 | P2 8-12 | P4 12-17 | P3 17-26.
    //
    //        arrival burst  done  turnaround  waiting
    //   P1      0      8      8       8          0
    //   P2      1      4     12      11          7
    //   P4      3      5     17      14          9
    //   P3      2      9     26      24         15
    //                               --         --
    //                               57 (14.25) 31 (7.75, the book's average)
    let r = run(
        policy("sjf", PolicySettings::default()),
        SILBERSCHATZ_SRTF,
        0,
    );
    let rows = rows(&r, SILBERSCHATZ_SRTF);
    assert_eq!(
        rows,
        [
            ("P1", 8, 8, 8, 0),
            ("P2", 12, 12, 11, 7),
            ("P4", 17, 17, 14, 9),
            ("P3", 26, 26, 24, 15)
        ]
    );
    assert_eq!(totals(&rows), (57, 31));
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn sjf_learns_bursts_nobody_declared() {
    // Neither job declares a burst: SJF estimates, with α = 50% and τ0 = 5. The set-up
    // instant is a measured burst of 0, so both start at τ = (0 + 5) / 2 = 2.5; a tie, and
    // `long` (queued first) runs first.
    //
    // long 0-8, sleeps until 12: τ = (8 + 2.5) / 2 = 5.25
    // short 8-9, sleeps until 12: τ = (1 + 2.5) / 2 = 1.75
    // At 12 both wake, `long` first (its timer was armed first), but `short` is expected
    // to be shorter: short 12-15 | long 15-18. FCFS would run long 12-15 | short 15-18.
    //
    //              done  turnaround  waiting
    //   short        15      15        8 (0-8)
    //   long         18      18        3 (12-15)
    let r = run(policy("sjf", PolicySettings::default()), UNDECLARED, 0);
    assert_eq!(
        rows(&r, UNDECLARED),
        [("short", 15, 15, 15, 8), ("long", 18, 18, 18, 3)]
    );
    let fcfs = run(Policy::Fcfs, UNDECLARED, 0);
    assert_eq!(
        rows(&fcfs, UNDECLARED),
        [("long", 15, 15, 15, 0), ("short", 18, 18, 18, 11)]
    );
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn priority_preempts_for_a_higher_priority() {
    // Higher number, higher priority: P3 (5) > P2 (3) > P4 (2) > P1 (1). No quantum, no
    // aging. At 2, P2 preempts P1; at 4, P3 preempts P2; at 5, P4 (2) cannot preempt P3.
    // At 6 the highest waiting is P2 (2 left), then P4, then P1 (6 left).
    //
    // P1 0-2 | P2 2-4 | P3 4-6 | P2 6-8 | P4 8-11 | P1 11-17
    //
    //        arrival burst prio  done  turnaround  waiting
    //   P3      4      2    5      6       2          0
    //   P2      2      4    3      8       6          2
    //   P4      5      3    2     11       6          3
    //   P1      0      8    1     17      17          9
    //                                     --         --
    //                                     31 (7.75)  14 (3.5)
    let r = run(policy("priority", PolicySettings::default()), PRIORITIES, 0);
    let rows = rows(&r, PRIORITIES);
    assert_eq!(
        rows,
        [
            ("P3", 6, 6, 2, 0),
            ("P2", 8, 8, 6, 2),
            ("P4", 11, 11, 6, 3),
            ("P1", 17, 17, 17, 9)
        ]
    );
    assert_eq!(totals(&rows), (31, 14));
    assert_eq!(
        ["P1", "P2", "P3", "P4"].map(|n| preemptions(&r, n)),
        [1, 1, 0, 0]
    );
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn priority_with_aging_lets_the_lowest_job_run_sooner() {
    // The same jobs with aging 3: a waiting job's effective priority rises one level per 3
    // ticks in the queue, and falls back to its own when it is dispatched.
    //
    // 0-4 as without aging (P1 preempted at 2 and P2 at 4, each back at the head of its
    // level). At 5, P4 arrives; the best waiting is P2 (3 + 1/3 → 3) < P3's 5.
    // At 6 (P3 done): P1 1 + 4/3 → 2, P2 3 + 2/3 → 3, P4 2 + 1/3 → 2: P2 runs 6-8.
    // At 8 (P2 done): P1 1 + 6/3 = 3, P4 2 + 3/3 = 3: a tie, and P1 is ahead in the queue.
    // P1 runs 8-14 at its own priority 1, with no scheduling point in between.
    // At 14 its burst ends, but before it can exit, P4 (2 + 9/3 = 5 > 1) takes the CPU:
    // the exit is a step of its own, and the policy is asked after every syscall (here,
    // the `compute` that returned). P4 runs 14-17 and exits; then P1 exits, at 17.
    //
    //        arrival burst prio  done  exit  turnaround  waiting
    //   P3      4      2    5      6     6       2          0
    //   P2      2      4    3      8     8       6          2
    //   P4      5      3    2     17    17      12          9
    //   P1      0      8    1     14    17      17          9 (2-8, 14-17)
    //
    // Without aging P1 did its last 6 ticks at 11-17; with it, at 8-14.
    let aging = PolicySettings {
        aging: Some(3),
        ..PolicySettings::default()
    };
    let r = run(policy("priority", aging), PRIORITIES, 0);
    let rows = rows(&r, PRIORITIES);
    assert_eq!(
        rows,
        [
            ("P3", 6, 6, 2, 0),
            ("P2", 8, 8, 6, 2),
            ("P4", 17, 17, 12, 9),
            ("P1", 14, 17, 17, 9)
        ]
    );
    assert_eq!(preemptions(&r, "P1"), 2);
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn mlfq_sinks_the_hog_and_keeps_the_interactive_job_on_top() {
    // Defaults: 3 levels with quanta 2, 4, 8; boost every 100 ticks (not reached).
    //
    //  0-2   batch (L0) uses its quantum: down to L1.
    //  2-3   interactive (L0, arrived at 1) computes 1 and sleeps until 7: stays on L0.
    //  3-6   batch (L1, quantum 4); at 6 short arrives on L0 and preempts it (batch keeps
    //        L1, at the head, 15 left).
    //  6-8   short (L0) uses its quantum: down to L1, 1 left. (interactive woke at 7: same
    //        level, no preemption.)
    //  8-9   interactive (L0) computes 1, sleeps until 13.
    //  9-13  batch (L1) uses its quantum: down to L2, 11 left.
    // 13-14  interactive (woke at 13) computes 1, sleeps until 18.
    // 14-15  short (L1) finishes.
    // 15-18  batch (L2, quantum 8); at 18 interactive wakes on L0 and preempts it.
    // 18     interactive exits.
    // 18-26  batch finishes (8 left, alone: its quantum ends with its burst, and with
    //        nobody else ready nothing preempts it).
    //
    //                arrival  cpu  done  turnaround  waiting
    //   short           6      3    15       9        6 (8-14)
    //   interactive     1      3    14      17        2 (1-2, 7-8)
    //   batch           0     20    26      26        6 (2-3, 6-9, 13-15)
    let r = run(policy("mlfq", PolicySettings::default()), MLFQ_MIX, 0);
    assert_eq!(
        rows(&r, MLFQ_MIX),
        [
            ("short", 15, 15, 9, 6),
            ("interactive", 14, 18, 17, 2),
            ("batch", 26, 26, 26, 6)
        ]
    );
    assert_eq!(
        ["batch", "interactive", "short"].map(|n| preemptions(&r, n)),
        [4, 0, 1]
    );
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn lottery_runs_every_job_and_keeps_the_cpu_busy() {
    // Equal tickets (priority 0: one ticket each), quantum 5. Who wins each draw depends
    // on the seed, so only what any order must give is checked by hand: the CPU is never
    // idle from 0 (every job arrives while P1 computes), so the last job ends at 6 + 8 + 7
    // + 3 = 24; each job's turnaround is its waiting plus its burst. The snapshot pins the
    // order this seed gives, and the same seed gives the same run.
    let q5 = || PolicySettings {
        quantum: Some(5),
        ..PolicySettings::default()
    };
    let r = run(policy("lottery", q5()), FOUR, 42);
    let rows = rows(&r, FOUR);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().map(|r| r.2).max(), Some(24));
    for (name, done, exit, turnaround, waiting) in &rows {
        let j = FOUR.iter().find(|j| j.name == *name).unwrap();
        let Compute(burst) = j.steps[0] else {
            unreachable!()
        };
        assert_eq!(done, exit, "{name}: no quantum ends with a burst");
        assert_eq!(*turnaround, waiting + burst, "{name}");
    }
    assert_eq!(
        r.trace_text(),
        run(policy("lottery", q5()), FOUR, 42).trace_text()
    );
    insta::assert_snapshot!(shown(&r));
}

#[test]
fn lottery_shares_the_cpu_in_proportion_to_tickets() {
    // `rich` has priority 2 (3 tickets), `poor` priority 0 (1 ticket); both want 600 ticks,
    // with a quantum of 1 so that every tick is a draw. Until `rich` is done, `poor` should
    // win a quarter of the draws: `rich` ends near 600 / (3/4) = 800, `poor` having had
    // about 200. A fixed seed makes the counts exact; this checks they are within 15%.
    const SHARE: &[Job] = &[
        Job {
            name: "poor",
            arrival: 0,
            priority: 0,
            declares: false,
            steps: &[Compute(600)],
        },
        Job {
            name: "rich",
            arrival: 0,
            priority: 2,
            declares: false,
            steps: &[Compute(600)],
        },
    ];
    let q1 = PolicySettings {
        quantum: Some(1),
        ..PolicySettings::default()
    };
    for seed in [1, 2, 3] {
        let r = run(policy("lottery", q1.clone()), SHARE, seed);
        let rows = rows(&r, SHARE);
        assert_eq!(rows[0].0, "rich", "seed {seed}");
        let poor_by_then = rows[0].1 - 600;
        assert!(
            (170..=230).contains(&poor_by_then),
            "seed {seed}: poor had {poor_by_then} of the first {} ticks",
            rows[0].1
        );
        assert_eq!(rows[1].1, 1200, "the CPU is never idle");
    }
}
