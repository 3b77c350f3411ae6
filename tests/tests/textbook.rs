//! Textbook scheduling from scenario files: jobs that arrive at a tick (`arrive T`), under
//! every policy, with `init`'s set-up invisible; the non-preemptive priority policy and the
//! textbook's priority numbering.

use kernel::trace::{EventKind, WakeReason};
use sim::{Outcome, Report};
use std::collections::BTreeMap;
use testkit::config;

/// Load, configure and run a scenario text with every invariant checked.
fn run(text: &str) -> Report {
    run_as(text, None)
}

/// As [`run`], with `policy` (and its settings) in place of the scenario's.
fn run_as(text: &str, policy: Option<kernel::sched::Policy>) -> Report {
    let s = match sim::scenario::load("textbook.sim", text) {
        Ok(s) => s,
        Err(d) => panic!(
            "mistakes:\n{}",
            sim::scenario::render_diagnostics("textbook.sim", text, &d)
        ),
    };
    let mut cfg = sim::scenario::configure(&s, config());
    if let Some(p) = policy {
        cfg.policy = p;
    }
    let report = sim::scenario::run(s, cfg).expect("boots");
    assert!(
        report.succeeded(),
        "{:?}\n{}",
        report.outcome,
        report.trace_text()
    );
    report
}

/// The tick each process (by name) joined the run queue with reason `arrived`.
fn arrivals(r: &Report) -> BTreeMap<String, u64> {
    let names = names(r);
    r.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wake {
                pid,
                reason: WakeReason::Arrived,
                ..
            } => Some((names[&pid].clone(), e.tick)),
            _ => None,
        })
        .collect()
}

fn names(r: &Report) -> BTreeMap<abi::Pid, String> {
    r.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Spawn { pid, name, .. } => Some((*pid, name.clone())),
            _ => None,
        })
        .collect()
}

/// The tick of each process's first dispatch, by name.
fn first_dispatch(r: &Report) -> BTreeMap<String, u64> {
    let names = names(r);
    let mut first = BTreeMap::new();
    for e in &r.events {
        if let EventKind::Dispatch { pid } = e.kind {
            first.entry(names[&pid].clone()).or_insert(e.tick);
        }
    }
    first
}

/// Every policy the kernel ships, with its defaults.
fn every_policy() -> Vec<kernel::sched::Policy> {
    sim::policy::NAMES
        .iter()
        .map(|name| sim::policy::parse(name, &Default::default()).expect("defaults"))
        .collect()
}

const STAGGERED: &str = "
set syscall_cost 0
set switch_cost 0
mailbox results capacity 4 owner collector
process collector arrive 0 { repeat 3 { receive results } }
process early arrive 0 { compute 3; send results \"early\" }
process middle arrive 2 { compute 4; send results \"middle\" }
process late arrive 7 { compute 1; send results \"late\" }
";

#[test]
fn a_job_arrives_at_its_tick_under_every_policy_and_init_is_done_first() {
    for policy in every_policy() {
        let name = policy.to_string();
        let r = run_as(STAGGERED, Some(policy));
        let at = arrivals(&r);
        let want: BTreeMap<String, u64> =
            [("collector", 0), ("early", 0), ("middle", 2), ("late", 7)]
                .into_iter()
                .map(|(n, t)| (n.to_string(), t))
                .collect();
        assert_eq!(at, want, "{name}: arrivals");
        // Init finished its set-up before any job ran: every job's first dispatch is at or
        // after init's exit, and at or after its arrival.
        let init_exit = r.exit_named("init").expect("init exited").stats.exited_at;
        let first = first_dispatch(&r);
        for (job, tick) in &want {
            assert!(first[job] >= *tick, "{name}: {job} ran before it arrived");
            let exit = r.exit_named(job).expect("exited").stats.exited_at;
            assert!(exit >= init_exit, "{name}: {job}");
        }
        let init = r.exit_named("init").unwrap();
        assert_eq!(
            init.stats.preemptions, 0,
            "{name}: init was never preempted"
        );
        assert_eq!(init.stats.dispatches, 1, "{name}: init ran in one stretch");
        // No start message went to a job that arrives by the clock: init sent nothing.
        assert_eq!(init.stats.sent, 0, "{name}");
    }
}

#[test]
fn an_arrival_the_set_up_outlasts_still_finds_every_name_bound() {
    // With costs, init's set-up takes ticks: it spawns `middle` at tick 6, due at 7, while
    // it still has a job to spawn and the mailbox to hand over. Under a preemptive policy
    // `middle` outranks init and runs at 7, before its release: it waits for init's start
    // message like a process without `arrive`, and then finds everything bound. The jobs
    // due at once (`collector`, `early`, spawned at 4 and 5) wait for init to leave its CPU,
    // which it does when `middle` preempts it.
    let text = STAGGERED
        .replace(
            "set syscall_cost 0\n",
            "set syscall_cost 1\nset policy priority\n",
        )
        .replace("set switch_cost 0\n", "")
        .replace("arrive 2", "arrive 7 priority 9")
        .replace("arrive 7 {", "arrive 20 {");
    let r = run(&text);
    let at = arrivals(&r);
    let init = r.exit_named("init").unwrap();
    let init_exit = init.stats.exited_at.unwrap();
    assert_eq!((at["middle"], at["late"]), (7, 20));
    assert_eq!(
        (at["collector"], at["early"]),
        (7, 7),
        "released as init leaves"
    );
    assert!(
        first_dispatch(&r)["middle"] < init_exit,
        "middle ran during the set-up"
    );
    // Preempted when middle arrives and again when its start message wakes it.
    assert_eq!(init.stats.preemptions, 2);
    assert_eq!(init.stats.sent, 1, "one start message, to middle alone");
    assert_eq!(r.exit_named("middle").unwrap().stats.received, 1);
    assert_eq!(r.exit_named("early").unwrap().stats.received, 0);
}

#[test]
fn jobs_due_at_once_join_the_queue_together_when_the_spawner_computes_or_leaves() {
    // A `spawn` statement: the boss spawns two jobs due at once, prints (a syscall that
    // keeps its CPU), then computes: the jobs arrive when that burst starts, not before.
    let text = "
set syscall_cost 0
set switch_cost 0
set policy priority
process job count 2 spawned arrive 0 priority 5 { compute 2 }
process boss { spawn job; print \"spawned\"; compute 4 }
";
    let r = run(text);
    let at = arrivals(&r);
    assert_eq!(at["job[0]"], 0);
    assert_eq!(at["job[1]"], 0);
    // The jobs outrank the boss: they take the CPU at its first scheduling point after the
    // release, in spawn order.
    let first = first_dispatch(&r);
    assert_eq!((first["job[0]"], first["job[1]"]), (0, 2));
    let boss = r.exit_named("boss").unwrap();
    assert_eq!(boss.stats.exited_at, Some(8));
}

#[test]
fn sjf_of_the_book_waits_seven_on_average_with_arrivals() {
    // Silberschatz's SJF example, all at 0: the book's average waiting time is 7 (with
    // `sleep N` as docs/scenarios.md used to advise, it came out as 6.25).
    let text = "
set policy sjf
set syscall_cost 0
set switch_cost 0
process P1 arrive 0 { compute 6 }
process P2 arrive 0 { compute 8 }
process P3 arrive 0 { compute 7 }
process P4 arrive 0 { compute 3 }
";
    let r = run(text);
    let waiting: Vec<u64> = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|n| r.exit_named(n).unwrap().stats.ready)
        .collect();
    assert_eq!(waiting, [3, 16, 9, 0]);
    assert!(matches!(r.outcome, Outcome::Completed));
}

#[test]
fn the_burst_of_a_job_is_its_opening_computes_unless_it_declares_one() {
    let s = userland::scenario::load(
        "b.sim",
        "process a arrive 0 { compute 3; print \"x\"; compute 4; receive any }
         process b arrive 0 burst 2 { compute 9 }
         process c { compute 5 }
         process d arrive 1 { receive any; compute 5 }",
    )
    .expect("loads");
    let bursts: Vec<u64> = s.processes.iter().map(|p| p.declared_burst()).collect();
    assert_eq!(bursts, [7, 2, 0, 0]);
}

#[test]
fn priority_np_runs_the_book_priorities_as_printed() {
    // Silberschatz's priority example (1 = highest): P2 P5 P1 P3 P4.
    let text = "
set policy priority_np
set priority_order lower_is_higher
set syscall_cost 0
set switch_cost 0
process P1 arrive 0 priority 3 { compute 10 }
process P2 arrive 0 priority 1 { compute 1 }
process P3 arrive 0 priority 4 { compute 2 }
process P4 arrive 0 priority 5 { compute 1 }
process P5 arrive 0 priority 2 { compute 5 }
";
    let r = run(text);
    let first = first_dispatch(&r);
    let order: Vec<(&str, u64)> = ["P2", "P5", "P1", "P3", "P4"]
        .iter()
        .map(|n| (*n, first[*n]))
        .collect();
    assert_eq!(
        order,
        [("P2", 0), ("P5", 1), ("P1", 6), ("P3", 16), ("P4", 18)]
    );
    // Non-preemptive: an urgent arrival waits for the running job.
    let late = text.replace("P2 arrive 0", "P2 arrive 3");
    let r = run(&late);
    let first = first_dispatch(&r);
    assert_eq!((first["P5"], first["P2"]), (0, 5));
    // The preemptive policy, same numbering: P2 takes the CPU at 3.
    let r = run(&late.replace("priority_np", "priority"));
    let first = first_dispatch(&r);
    assert_eq!((first["P5"], first["P2"]), (0, 3));
}

#[test]
fn priority_order_is_checked_like_any_policy_setting() {
    let bad = |text: &str| match sim::scenario::load("bad.sim", text) {
        Ok(_) => panic!("loads: {text}"),
        Err(d) => sim::scenario::render_diagnostics("bad.sim", text, &d),
    };
    let drawn = bad("set priority_order lower_is_higher\nprocess a { compute 1 }\n");
    assert!(
        drawn.contains("`priority_order` does not apply to rr"),
        "{drawn}"
    );
    let drawn = bad("set policy priority\nset priority_order lower_is_higher\nset priority_inheritance on\nprocess a { compute 1 }\n");
    assert!(
        drawn.contains("priority inheritance lends the higher number"),
        "{drawn}"
    );
    let drawn = bad("set policy priority\nset priority_order lowest\nprocess a { compute 1 }\n");
    assert!(drawn.contains("lower_is_higher"), "{drawn}");
    let drawn = bad("process a arrive 281474976710654 { compute 1 }\n");
    assert!(drawn.contains("too large"), "{drawn}");
}

/// One job's (arrival, burst, start, finish, waiting).
type Row = (u64, u64, u64, u64, u64);

/// A shipped textbook scenario's figures, per job in declaration order, and the sums of
/// waiting, turnaround and response over the jobs.
fn figures(name: &str) -> (Vec<Row>, sim::render::textbook::Sums, Report) {
    let s = userland::scenario::shipped(name).expect("shipped");
    let r = run(s.source);
    let book = sim::render::textbook::Textbook::of(&r);
    let rows = book
        .jobs
        .iter()
        .map(|j| {
            (
                j.arrival,
                j.burst,
                j.start.expect("ran"),
                j.finish.expect("finished"),
                j.waiting().expect("finished"),
            )
        })
        .collect();
    (rows, book.sums(), r)
}

#[test]
fn textbook_fcfs_waits_0_24_27() {
    let (rows, sums, r) = figures("textbook_fcfs");
    assert_eq!(
        rows,
        [(0, 24, 0, 24, 0), (0, 3, 24, 27, 24), (0, 3, 27, 30, 27)]
    );
    assert_eq!(
        (sums.jobs, sums.waiting),
        (3, 51),
        "average waiting 51/3 = 17"
    );
    assert_eq!(sums.mean(sums.waiting), Some(17.0));
    assert_eq!(sums.turnaround, 24 + 27 + 30);
    insta::assert_snapshot!("textbook_fcfs", sim::render::textbook::render(&r));
}

#[test]
fn textbook_sjf_waits_7_on_average() {
    let (rows, sums, r) = figures("textbook_sjf");
    assert_eq!(
        rows,
        [
            (0, 6, 3, 9, 3),
            (0, 8, 16, 24, 16),
            (0, 7, 9, 16, 9),
            (0, 3, 0, 3, 0)
        ]
    );
    assert_eq!((sums.jobs, sums.waiting), (4, 28));
    assert_eq!(sums.mean(sums.waiting), Some(7.0));
    insta::assert_snapshot!("textbook_sjf", sim::render::textbook::render(&r));
}

#[test]
fn textbook_rr_with_quantum_4_waits_17_thirds() {
    let (rows, sums, r) = figures("textbook_rr");
    assert_eq!(rows, [(0, 24, 0, 30, 6), (0, 3, 4, 7, 4), (0, 3, 7, 10, 7)]);
    assert_eq!((sums.jobs, sums.waiting), (3, 17), "17/3 = 5.66");
    assert_eq!(sums.response, 4 + 7);
    let schedule: Vec<(usize, u64, u64)> = sim::render::textbook::Textbook::of(&r)
        .schedule
        .iter()
        .map(|s| (s.job, s.from, s.to))
        .collect();
    // Alone from 10, P1's quanta are renewed without a switch: one stretch.
    assert_eq!(schedule, [(0, 0, 4), (1, 4, 7), (2, 7, 10), (0, 10, 30)]);
    insta::assert_snapshot!("textbook_rr", sim::render::textbook::render(&r));
}

#[test]
fn textbook_srtf_waits_6_5_on_average_without_declaring_bursts() {
    let (rows, sums, r) = figures("textbook_srtf");
    assert_eq!(
        rows,
        [
            (0, 8, 0, 17, 9),
            (1, 4, 1, 5, 0),
            (2, 9, 17, 26, 15),
            (3, 5, 5, 10, 2)
        ]
    );
    assert_eq!((sums.jobs, sums.waiting), (4, 26));
    assert_eq!(sums.mean(sums.waiting), Some(6.5));
    insta::assert_snapshot!("textbook_srtf", sim::render::textbook::render(&r));
}

#[test]
fn textbook_priority_waits_8_2_on_average() {
    let (rows, sums, r) = figures("textbook_priority");
    assert_eq!(
        rows,
        [
            (0, 10, 6, 16, 6),
            (0, 1, 0, 1, 0),
            (0, 2, 16, 18, 16),
            (0, 1, 18, 19, 18),
            (0, 5, 1, 6, 1)
        ]
    );
    assert_eq!((sums.jobs, sums.waiting), (5, 41));
    assert_eq!(sums.mean(sums.waiting), Some(8.2));
    insta::assert_snapshot!("textbook_priority", sim::render::textbook::render(&r));
}

#[test]
fn the_textbook_view_leaves_out_the_set_up_and_unfinished_jobs() {
    // A job that never ends (a deadlock) is listed without finish and kept out of the sums.
    let text = "
set syscall_cost 0
set switch_cost 0
process done arrive 0 { compute 2 }
process stuck arrive 1 { receive any }
";
    let s = sim::scenario::load("t.sim", text).expect("loads");
    let cfg = sim::scenario::configure(&s, config());
    let r = sim::scenario::run(s, cfg).expect("boots");
    assert!(matches!(r.outcome, Outcome::Deadlock(_)));
    let book = sim::render::textbook::Textbook::of(&r);
    assert_eq!(book.setup.as_deref(), Some("init"));
    let names: Vec<&str> = book.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["done", "stuck"]);
    assert_eq!(book.jobs[1].finish, None);
    assert_eq!(book.jobs[1].arrival, 1);
    let sums = book.sums();
    assert_eq!((sums.jobs, sums.turnaround, sums.waiting), (1, 2, 0));
    let shown = sim::render::textbook::render(&r);
    assert!(shown.contains("(1 job not finished"), "{shown}");
}

#[test]
fn the_textbook_view_leaves_out_a_daemon_that_served_the_jobs() {
    // A server that never exits serves both jobs; the run completes, and the figures are
    // the jobs' alone.
    let text = "
set syscall_cost 0
set switch_cost 0
process server daemon { loop { receive any; reply \"ok\" } }
process a arrive 0 { compute 2; call server \"x\" }
process b arrive 1 { compute 3; call server \"y\" }
";
    let s = sim::scenario::load("t.sim", text).expect("loads");
    let cfg = sim::scenario::configure(&s, config());
    let r = sim::scenario::run(s, cfg).expect("boots");
    assert_eq!(r.outcome, Outcome::Completed, "only the daemon is left");
    let book = sim::render::textbook::Textbook::of(&r);
    assert_eq!(book.daemons, ["server"]);
    let names: Vec<&str> = book.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(
        book.jobs.iter().all(|j| j.finish.is_some()),
        "{:?}",
        book.jobs
    );
    let shown = sim::render::textbook::render(&r);
    assert!(
        shown.starts_with(
            "textbook view: 2 jobs on rr; init is the set-up, not a job; server serves, not jobs"
        ),
        "{shown}"
    );
}

/// The `$ COMMAND` block of the tutorial that starts with `command`, without the command.
fn tutorial_block(command: &str) -> &'static str {
    let tutorial = include_str!("../../docs/tutorial.md");
    let marker = format!("```\n$ {command}\n");
    let start = tutorial
        .find(&marker)
        .expect("the tutorial shows the command")
        + marker.len();
    let len = tutorial[start..].find("```").expect("the block ends");
    &tutorial[start..start + len]
}

#[test]
fn the_tutorial_shows_the_textbook_views_as_the_program_prints_them() {
    let (_, _, r) = figures("textbook_sjf");
    assert_eq!(
        tutorial_block("sim run textbook_sjf --trace textbook"),
        sim::render::textbook::render(&r)
    );
    // The homework file, as the tutorial shows it, under `--policy srtf`.
    let tutorial = include_str!("../../docs/tutorial.md");
    let start = tutorial
        .find("# My homework: three jobs")
        .expect("the homework file");
    let len = tutorial[start..].find("```").expect("the block ends");
    let homework = &tutorial[start..start + len];
    let srtf = sim::policy::parse("srtf", &Default::default()).unwrap();
    let r = run_as(homework, Some(srtf));
    assert_eq!(
        tutorial_block("sim run homework.sim --trace textbook --policy srtf"),
        sim::render::textbook::render(&r)
    );
    // And the file the tutorial shows for textbook_sjf is the shipped one, comments aside.
    let shipped: Vec<&str> = userland::scenario::shipped("textbook_sjf")
        .unwrap()
        .source
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip_while(|l| l.is_empty())
        .collect();
    let shown = tutorial_block_plain("set policy sjf\n");
    assert_eq!(shown.lines().collect::<Vec<_>>(), shipped);
}

/// The tutorial's code block that starts with `first` (its first line included).
fn tutorial_block_plain(first: &str) -> &'static str {
    let tutorial = include_str!("../../docs/tutorial.md");
    let marker = format!("```\n{first}");
    let start = tutorial.find(&marker).expect("the tutorial shows it") + "```\n".len();
    let len = tutorial[start..].find("```").expect("the block ends");
    &tutorial[start..start + len]
}

#[test]
fn with_two_cpus_the_schedule_names_each_stretch_s_cpu() {
    let s = userland::scenario::shipped("textbook_srtf").unwrap();
    let loaded = sim::scenario::load(s.path, s.source).expect("loads");
    let mut cfg = sim::scenario::configure(&loaded, config());
    cfg.cpus = 2;
    let r = sim::scenario::run(loaded, cfg).expect("boots");
    assert!(r.succeeded());
    let book = sim::render::textbook::Textbook::of(&r);
    let cpus: std::collections::BTreeSet<u32> = book.schedule.iter().map(|s| s.cpu).collect();
    assert_eq!(cpus.len(), 2, "both CPUs ran jobs: {:?}", book.schedule);
    // Two CPUs, four jobs arriving 0 to 3: P1 and P2 never wait.
    let waiting: Vec<Option<u64>> = book.jobs.iter().map(|j| j.waiting()).collect();
    assert_eq!(waiting[..2], [Some(0), Some(0)]);
    let shown = sim::render::textbook::render(&r);
    assert!(shown.contains("P2 runs 4 ticks on cpu1 (done)"), "{shown}");
}

/// A Rust workload: `main` spawns three jobs of burst 2, labelled and due at 5, 0 and 3.
fn arriving_jobs() -> userland::ProgramTable {
    let mut t = userland::ProgramTable::new();
    t.add(
        "main",
        "spawns jobs that arrive later",
        |sys: userland::Sys, _| async move {
            for (label, at) in [("a", 5u64), ("b", 0), ("c", 3)] {
                let job = userland::SpawnOptions::new("job", 2)
                    .label(label)
                    .arrive(Some(at));
                if sys.spawn_with(job).await.is_err() {
                    return 1;
                }
            }
            0
        },
    )
    .add(
        "job",
        "computes its argument",
        |sys: userland::Sys, burst| async move {
            sys.compute(burst).await;
            0
        },
    );
    t
}

fn zero_costs() -> sim::MachineConfig {
    let mut c = config();
    c.costs = sim::Costs {
        syscall: 0,
        context_switch: 0,
    };
    c.policy = kernel::sched::Policy::Fcfs;
    c
}

#[test]
fn spawn_options_arrive_holds_a_rust_job_until_its_tick() {
    let r = testkit::run_with(zero_costs(), arriving_jobs(), "main");
    assert!(r.succeeded(), "{}", r.trace_text());
    let at = arrivals(&r);
    assert_eq!((at["a"], at["b"], at["c"]), (5, 0, 3));
    let book = sim::render::textbook::Textbook::of(&r);
    assert_eq!(book.setup.as_deref(), Some("main"));
    let starts: Vec<(String, Option<u64>)> = book
        .jobs
        .iter()
        .map(|j| (j.name.clone(), j.start))
        .collect();
    // b at 0-2, idle to 3, c 3-5, a 5-7.
    assert_eq!(
        starts,
        [
            ("a".to_string(), Some(5)),
            ("b".to_string(), Some(0)),
            ("c".to_string(), Some(3))
        ]
    );
    // The hold counts as sleeping, not as waiting for a CPU.
    let a = r.exit_named("a").unwrap();
    assert_eq!((a.stats.sleeping, a.stats.ready), (5, 0));
}

#[test]
fn a_held_job_can_be_killed_and_a_far_arrival_ends_at_the_tick_limit() {
    let mut c = zero_costs();
    c.faults = sim::FaultPlan {
        faults: vec![sim::FaultAt::kill_at_tick("a", 4)],
        ..Default::default()
    };
    let r = testkit::run_with(c, arriving_jobs(), "main");
    let a = r.exit_named("a").expect("a ended");
    assert_eq!(a.reason, kernel::trace::ExitReason::Killed);
    assert_eq!(a.stats.dispatches, 0, "killed while held, it never ran");
    assert!(!arrivals(&r).contains_key("a"));
    // The latest arrival the ABI takes: held until the tick limit ends the run.
    let mut t = userland::ProgramTable::new();
    t.add(
        "main",
        "spawns a job due at the end of time",
        |sys: userland::Sys, _| async move {
            let job = userland::SpawnOptions::new("main", 0).arrive(Some(abi::SPAWN_ARRIVAL_MAX));
            i32::from(sys.spawn_with(job).await.is_err())
        },
    );
    let mut c = zero_costs();
    c.max_ticks = 50;
    let r = testkit::run_with(c, t, "main");
    assert!(matches!(r.outcome, Outcome::TickLimit), "{:?}", r.outcome);
}
