//! Several CPUs: the machine steps N simulated CPUs in one host thread, deterministically.
//!
//! What is checked: parallel work finishes sooner; the trace, the renderers and the
//! statistics show every CPU; every kernel invariant holds (the kernel checks them after
//! every entry, `check_invariants`, and panics on a violation) for every built-in program
//! and every shipped scenario on 1 to 4 CPUs with each kind of run queue, together with the
//! machine's own (the kernel sees time in order, a CPU runs one thing at a time, busy and
//! idle add up, the ledger balances); runs repeat exactly and pause without changing;
//! per-CPU queues idle or steal as configured; and one CPU is the machine it always was.

use kernel::inspect::StateInfo;
use kernel::trace::{CpuId, Event, EventKind};
use sim::render::replay::{Replay, State};
use sim::render::{chrome, gantt, stats, svg};
use sim::{Machine, MachineConfig, Outcome, Report, RunQueues};
use std::collections::BTreeMap;
use userland::ProgramTable;

// ----- helpers -----

/// Every kind of run queue.
const QUEUES: [RunQueues; 3] = [
    RunQueues::Global,
    RunQueues::PerCpu { migration: true },
    RunQueues::PerCpu { migration: false },
];

/// The built-in main programs.
const BUILTINS: [&str; 6] = [
    "ping_pong",
    "bounded_buffer",
    "rpc",
    "transfer",
    "prime_sieve",
    "deadlock",
];

/// The test configuration on `cpus` CPUs with `queues`: invariants checked after every
/// kernel entry.
fn config(cpus: u32, queues: RunQueues) -> MachineConfig {
    let mut c = MachineConfig {
        cpus,
        run_queues: queues,
        max_ticks: 100_000,
        ..MachineConfig::default()
    };
    c.kernel.check_invariants = true;
    c
}

fn run(config: MachineConfig, programs: ProgramTable, main: &str) -> Report {
    Machine::run_program(config, programs, main, 0).expect("the program boots")
}

fn builtin(config: MachineConfig, main: &str) -> Report {
    run(config, userland::programs::builtin(), main)
}

/// A shipped scenario with its `set` lines applied, then the CPUs and queues of `config`.
fn scenario(s: &userland::scenario::Shipped, config: MachineConfig) -> Report {
    let sc = userland::scenario::load(s.path, s.source).expect("a shipped scenario checks");
    let mut c = sim::scenario::configure(&sc, config.clone());
    c.cpus = config.cpus;
    c.run_queues = config.run_queues;
    sim::scenario::run(sc, c).expect("boots")
}

/// `main` spawns two workers that each compute `ticks`, and waits for both.
fn workers(ticks: u64) -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns two workers, waits for both",
        |sys, _| async move {
            let (Ok(a), Ok(b)) = (sys.spawn("worker", 1).await, sys.spawn("worker", 2).await)
            else {
                return 1;
            };
            match (sys.wait(a).await, sys.wait(b).await) {
                (Ok(0), Ok(0)) => 0,
                _ => 1,
            }
        },
    );
    t.add("worker", "computes", move |sys, _| async move {
        sys.compute(ticks).await;
        0
    });
    t
}

/// `main` spawns one worker and computes as long as it does, then waits for it: with
/// per-CPU queues both start on CPU 0's queue.
fn pair() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns a worker and computes beside it",
        |sys, _| async move {
            let Ok(w) = sys.spawn("worker", 0).await else {
                return 1;
            };
            sys.compute(100).await;
            match sys.wait(w).await {
                Ok(0) => 0,
                _ => 1,
            }
        },
    );
    t.add("worker", "computes", |sys, _| async move {
        sys.compute(100).await;
        0
    });
    t
}

/// `main` computes 100 ticks while `sleeper` sleeps 20: the second CPU is idle when the
/// sleep ends.
fn sleeper() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "spawns a sleeper and computes",
        |sys, _| async move {
            let Ok(s) = sys.spawn("sleeper", 0).await else {
                return 1;
            };
            sys.compute(100).await;
            match sys.wait(s).await {
                Ok(0) => 0,
                _ => 1,
            }
        },
    );
    t.add("sleeper", "sleeps 20 ticks", |sys, _| async move {
        sys.sleep(20).await;
        0
    });
    t
}

/// `main` spawns two long computations on two CPUs and a sleeper: no CPU is free when the
/// sleep ends.
fn busy_sleeper() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "main",
        "two computations and a sleeper",
        |sys, _| async move {
            for p in ["worker", "worker", "sleeper"] {
                if sys.spawn(p, 0).await.is_err() {
                    return 1;
                }
            }
            0
        },
    );
    t.add("worker", "computes", |sys, _| async move {
        sys.compute(500).await;
        0
    });
    t.add("sleeper", "sleeps 37 ticks", |sys, _| async move {
        sys.sleep(37).await;
        0
    });
    t
}

/// The machine's own invariants over a finished run on `cpus` CPUs.
fn check_machine(what: &str, r: &Report, cpus: u32) {
    assert!(
        r.ledger_balances(),
        "{what}: the ledger balances: {:?} with {} queued",
        r.ledger,
        r.queued
    );
    // The accounting: one entry per CPU, busy and idle adding up to the run on each.
    let m = &r.machine;
    assert_eq!(m.per_cpu.len(), cpus as usize, "{what}: a row per CPU");
    assert_eq!(m.ticks, r.ticks, "{what}");
    for (i, c) in m.per_cpu.iter().enumerate() {
        assert_eq!(c.busy + c.idle, r.ticks, "{what}: cpu{i} busy + idle");
    }
    assert_eq!(
        m.busy,
        m.per_cpu.iter().map(|c| c.busy).sum::<u64>(),
        "{what}"
    );
    assert_eq!(
        m.idle,
        m.per_cpu.iter().map(|c| c.idle).sum::<u64>(),
        "{what}"
    );
    assert_eq!(
        m.context_switches,
        m.per_cpu.iter().map(|c| c.context_switches).sum::<u64>(),
        "{what}"
    );
    let dispatches = r
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Dispatch { .. }))
        .count() as u64;
    assert_eq!(
        dispatches, m.context_switches,
        "{what}: a switch per dispatch"
    );
    // The kernel saw time in order, and only the CPUs the machine has.
    for w in r.events.windows(2) {
        assert!(
            w[0].tick <= w[1].tick,
            "{what}: time runs backwards at {w:?}"
        );
    }
    assert!(r.events.iter().all(|e| e.cpu < cpus), "{what}: CPU ids");
    // A CPU's idling is one event per stretch: an idle event is never followed, on its CPU
    // and with nothing else there between, by another that starts where it ends.
    let mut last: BTreeMap<CpuId, &Event> = BTreeMap::new();
    for e in &r.events {
        if let (Some(prev), EventKind::Idle { .. }) = (last.get(&e.cpu), &e.kind) {
            if let EventKind::Idle { until } = prev.kind {
                assert_ne!(until, e.tick, "{what}: idling in pieces on cpu{}", e.cpu);
            }
        }
        last.insert(e.cpu, e);
    }
    assert!(
        r.events.iter().all(|e| e.tick <= r.ticks),
        "{what}: events end by the end"
    );
    // A CPU does one thing at a time: its running and idle stretches never overlap.
    let tl = Replay::from_events(&r.events, r.ticks);
    for cpu in 0..cpus {
        let mut stretches: Vec<(u64, u64)> = tl
            .runs_on(cpu)
            .into_iter()
            .map(|(_, s)| (s.start, s.end))
            .chain(
                tl.idle
                    .iter()
                    .filter(|i| i.cpu == cpu)
                    .map(|i| (i.start, i.end)),
            )
            .filter(|(a, b)| a < b)
            .collect();
        stretches.sort_unstable();
        for w in stretches.windows(2) {
            assert!(w[0].1 <= w[1].0, "{what}: cpu{cpu} overlaps at {w:?}");
        }
        let ran: u64 = tl.runs_on(cpu).iter().map(|(_, s)| s.ticks()).sum();
        assert!(
            ran <= m.per_cpu[cpu as usize].busy,
            "{what}: cpu{cpu} ran within busy"
        );
    }
    // Every exit record matches the replay of the trace (the kernel's accounting per
    // process holds with several CPUs too).
    for rec in &r.exited {
        if let Some(p) = tl.process(rec.pid) {
            let t = p.totals();
            assert_eq!(t.cpu, rec.stats.cpu, "{what}: {} cpu", rec.name);
            assert_eq!(t.ready, rec.stats.ready, "{what}: {} ready", rec.name);
        }
    }
}

/// Pause `machine` at every tick and check that no two processes run on one CPU and that
/// every CPU a process runs on exists; then finish the run.
fn check_every_tick(what: &str, mut machine: Machine) -> Report {
    let cpus = machine.cpu_count();
    let mut tick = 0;
    while machine.run_until(tick).is_none() {
        let mut on: BTreeMap<CpuId, String> = BTreeMap::new();
        for p in machine.process_table() {
            if let StateInfo::Running { cpu } = p.state {
                assert!((cpu as usize) < cpus, "{what}: {} on cpu{cpu}", p.name);
                if let Some(other) = on.insert(cpu, p.name.clone()) {
                    panic!(
                        "{what} at {tick}: {other} and {} both run on cpu{cpu}",
                        p.name
                    );
                }
            }
        }
        tick = machine.now() + 1;
    }
    machine.run()
}

/// Whether some CPU idled through a stretch in which some process was ready: on a machine
/// whose idle CPUs take ready work, that never happens.
fn idled_beside_ready_work(r: &Report) -> bool {
    let tl = Replay::from_events(&r.events, r.ticks);
    tl.idle.iter().any(|i| {
        tl.processes.iter().any(|p| {
            p.spans.iter().any(|s| {
                s.state == State::Ready && s.ticks() > 0 && s.start < i.end && i.start < s.end
            })
        })
    })
}

fn dispatches_on(events: &[Event], cpu: CpuId) -> usize {
    events
        .iter()
        .filter(|e| e.cpu == cpu && matches!(e.kind, EventKind::Dispatch { .. }))
        .count()
}

// ----- speed-up -----

#[test]
fn two_compute_bound_processes_finish_in_about_half_the_ticks_on_two_cpus() {
    let one = run(config(1, RunQueues::Global), workers(200), "main");
    let two = run(config(2, RunQueues::Global), workers(200), "main");
    assert!(one.succeeded() && two.succeeded());
    assert_eq!(
        one.ticks, 450,
        "1 CPU: 400 ticks of work, switches and syscalls"
    );
    assert_eq!(two.ticks, 206, "2 CPUs: the two workers in parallel");
    assert!(two.ticks * 2 <= one.ticks, "{} vs {}", two.ticks, one.ticks);
    // The same work was done.
    assert_eq!(one.machine.busy, 450);
    assert_eq!(
        two.machine.busy, 410,
        "fewer context switches, the same compute"
    );
    // Both CPUs ran a worker: the trace shows both, each running one of them.
    let tl = Replay::from_events(&two.events, two.ticks);
    assert_eq!(tl.cpus.iter().copied().collect::<Vec<_>>(), [0, 1]);
    for cpu in [0, 1] {
        let long = tl.runs_on(cpu).iter().map(|(_, s)| s.ticks()).max();
        assert!(long >= Some(198), "cpu{cpu} ran a worker: {long:?}");
    }
    let text = two.trace_text();
    assert!(
        text.contains(" cpu0 p2:worker              dispatch"),
        "{text}"
    );
    assert!(
        text.contains(" cpu1 p1:worker              dispatch"),
        "{text}"
    );
    // The main process went back to sleep on cpu0 and woke on cpu1.
    assert!(
        text.contains("cpu1 p0:main                migrate    cpu0 -> cpu1"),
        "{text}"
    );
    check_machine("workers on 2", &two, 2);
    // Four workers' worth of CPUs for two workers changes nothing but idle time.
    let four = run(config(4, RunQueues::Global), workers(200), "main");
    assert_eq!(four.ticks, two.ticks);
    check_machine("workers on 4", &four, 4);
}

// ----- invariants everywhere -----

#[test]
fn every_builtin_program_keeps_every_invariant_on_one_to_four_cpus() {
    for cpus in 1..=4 {
        for queues in QUEUES {
            for main in BUILTINS {
                let what = format!("{main} on {cpus} CPUs, {queues} queues");
                let r = builtin(config(cpus, queues), main);
                check_machine(&what, &r, cpus);
                if main == "deadlock" {
                    let Outcome::Deadlock(d) = &r.outcome else {
                        panic!("{what}: {:?}", r.outcome);
                    };
                    assert_eq!(d.cycle.len(), 2, "{what}: the two partners");
                } else {
                    assert!(r.succeeded(), "{what}: {:?} {:?}", r.outcome, r.exited);
                }
            }
        }
    }
}

#[test]
fn every_shipped_scenario_keeps_every_invariant_on_one_to_four_cpus() {
    for cpus in 1..=4 {
        for queues in QUEUES {
            for s in userland::scenario::SHIPPED {
                let what = format!("{} on {cpus} CPUs, {queues} queues", s.name);
                let r = scenario(s, config(cpus, queues));
                check_machine(&what, &r, cpus);
                // Some scenarios' `expect`s assume one CPU's order (on several, a peer may
                // act first); the deadlocked one deadlocks however many CPUs run it.
                if s.name.contains("deadlock") {
                    assert!(matches!(r.outcome, Outcome::Deadlock(_)), "{what}");
                } else {
                    assert_ne!(r.outcome, Outcome::TickLimit, "{what}");
                }
            }
        }
    }
}

#[test]
fn no_cpu_ever_runs_two_processes() {
    for cpus in [2, 4] {
        for queues in QUEUES {
            for main in BUILTINS {
                let what = format!("{main} on {cpus} CPUs, {queues} queues");
                let mut m = Machine::new(config(cpus, queues), userland::programs::builtin());
                m.boot(main, 0).expect("boots");
                let r = check_every_tick(&what, m);
                check_machine(&what, &r, cpus);
            }
        }
    }
}

#[test]
fn the_tick_limit_stops_every_cpu() {
    for cpus in 2..=4 {
        for queues in QUEUES {
            let mut c = config(cpus, queues);
            c.max_ticks = 50;
            let r = builtin(c.clone(), "prime_sieve");
            let what = format!("prime_sieve to 50 on {cpus}, {queues}");
            assert_eq!(r.outcome, Outcome::TickLimit, "{what}");
            assert!((50..=52).contains(&r.ticks), "{what}: {}", r.ticks);
            check_machine(&what, &r, cpus);
            let mut m = Machine::new(c, userland::programs::builtin());
            m.boot("prime_sieve", 0).expect("boots");
            assert_eq!(m.run_until(1_000), Some(Outcome::TickLimit), "{what}");
            assert!(m.now() >= 50);
        }
    }
}

// ----- determinism and pausing -----

#[test]
fn runs_on_several_cpus_are_deterministic() {
    for cpus in 2..=4 {
        for queues in QUEUES {
            for main in BUILTINS {
                let a = builtin(config(cpus, queues), main);
                let b = builtin(config(cpus, queues), main);
                assert_eq!(a.events, b.events, "{main} on {cpus}, {queues}");
                assert_eq!(a.machine, b.machine, "{main} on {cpus}, {queues}");
                assert_eq!(a.processes, b.processes, "{main} on {cpus}, {queues}");
            }
            let philosophers = userland::scenario::shipped("philosophers").expect("shipped");
            let a = scenario(philosophers, config(cpus, queues));
            let b = scenario(philosophers, config(cpus, queues));
            assert_eq!(a.events, b.events, "philosophers on {cpus}, {queues}");
        }
    }
}

#[test]
fn run_until_then_run_equals_run_on_two_cpus() {
    for queues in QUEUES {
        for main in BUILTINS {
            let whole = builtin(config(2, queues), main);
            for pause in [1, 5, 17, 40, 300] {
                let mut m = Machine::new(config(2, queues), userland::programs::builtin());
                m.boot(main, 0).expect("boots");
                let ended = m.run_until(pause);
                if ended.is_none() {
                    assert!(
                        m.now() >= pause,
                        "{main}: paused at {} for {pause}",
                        m.now()
                    );
                }
                let r = m.run();
                let what = format!("{main} paused at {pause}, {queues}");
                assert_eq!(r.events, whole.events, "{what}");
                assert_eq!(r.ticks, whole.ticks, "{what}");
                assert_eq!(r.machine, whole.machine, "{what}");
                assert_eq!(r.outcome, whole.outcome, "{what}");
            }
        }
    }
}

#[test]
fn the_machine_clock_is_the_earliest_cpu_clock_and_ends_at_the_latest() {
    let mut m = Machine::new(config(2, RunQueues::Global), workers(200));
    m.boot("main", 0).expect("boots");
    assert_eq!(m.cpu_count(), 2);
    assert_eq!(m.run_until(100), None);
    // One worker computes on each CPU: both clocks are in their bursts, the earliest at or
    // just past 100.
    assert!((100..=110).contains(&m.now()), "{}", m.now());
    let running = m
        .process_table()
        .iter()
        .filter(|p| matches!(p.state, StateInfo::Running { .. }))
        .count();
    assert_eq!(running, 2);
    assert_eq!(m.run().ticks, 206);
}

// ----- one CPU is the machine of before -----

#[test]
fn one_cpu_gives_the_same_run_whatever_the_queues_and_zero_means_one() {
    for main in BUILTINS {
        let plain = builtin(MachineConfig::default(), main);
        for (cpus, queues) in [
            (0, RunQueues::Global),
            (1, RunQueues::PerCpu { migration: true }),
            (1, RunQueues::PerCpu { migration: false }),
        ] {
            let c = MachineConfig {
                cpus,
                run_queues: queues,
                ..MachineConfig::default()
            };
            let r = builtin(c, main);
            assert_eq!(
                r.trace_text(),
                plain.trace_text(),
                "{main}, {cpus} CPUs, {queues}"
            );
            assert_eq!(r.machine, plain.machine, "{main}");
            assert_eq!(r.policy, plain.policy, "{main}: the policy keeps its name");
        }
        assert_eq!(plain.machine.per_cpu.len(), 1);
        assert_eq!(plain.machine.per_cpu[0].busy, plain.machine.busy);
    }
}

// ----- idle CPUs and the timer -----

#[test]
fn a_process_woken_while_a_cpu_idles_is_dispatched_there_at_once() {
    let r = run(config(2, RunQueues::Global), sleeper(), "main");
    assert!(r.succeeded());
    check_machine("sleeper", &r, 2);
    let wake = r
        .events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Wake { by: None, .. }))
        .expect("the sleep ends");
    let woken = &r.events[wake];
    let dispatch = r.events[wake..]
        .iter()
        .find(|e| matches!(e.kind, EventKind::Dispatch { .. }))
        .expect("a dispatch follows");
    // main computes on cpu0 throughout, its burst cut at the deadline, so cpu0 takes the
    // timer interrupt; cpu1 idles until that tick and takes the sleeper at once.
    assert_eq!(woken.cpu, 0);
    assert_eq!(dispatch.tick, woken.tick, "dispatched on the tick it woke");
    assert_eq!(dispatch.cpu, 1);
    assert!(r.events.iter().any(|e| e.cpu == 1
        && e.tick < woken.tick
        && matches!(e.kind, EventKind::Idle { until } if until == woken.tick)));
    let EventKind::Sleep { until, .. } = r
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Sleep { .. }))
        .map(|e| e.kind.clone())
        .expect("a sleep")
    else {
        unreachable!()
    };
    assert_eq!(woken.tick, until, "the timer fired on its tick");
}

#[test]
fn a_timer_fires_on_its_tick_while_every_cpu_computes() {
    for queues in QUEUES {
        let mut c = config(2, queues);
        c.policy = sim::Policy::Fcfs;
        let r = run(c, busy_sleeper(), "main");
        assert!(r.succeeded(), "{queues}");
        check_machine("busy sleeper", &r, 2);
        let until = r.events.iter().find_map(|e| match e.kind {
            EventKind::Sleep { until, .. } => Some(until),
            _ => None,
        });
        let woke = r.events.iter().find_map(|e| match e.kind {
            EventKind::Wake { by: None, .. } => Some(e.tick),
            _ => None,
        });
        assert!(until.is_some());
        assert_eq!(
            woke, until,
            "{queues}: the timer cut a burst to fire on time"
        );
    }
}

// ----- per-CPU run queues -----

#[test]
fn without_migration_a_cpu_idles_while_another_queue_holds_work() {
    let r = run(
        config(2, RunQueues::PerCpu { migration: false }),
        pair(),
        "main",
    );
    assert!(r.succeeded());
    check_machine("pinned pair", &r, 2);
    // Both processes started on cpu0's queue and stay there; cpu1 never runs anything.
    assert_eq!(dispatches_on(&r.events, 1), 0);
    assert_eq!(r.machine.per_cpu[1].busy, 0);
    assert!(idled_beside_ready_work(&r));
    assert!(r.ticks > 200, "the work was not shared: {}", r.ticks);
}

#[test]
fn with_migration_an_idle_cpu_steals_from_the_longest_queue() {
    let pinned = run(
        config(2, RunQueues::PerCpu { migration: false }),
        pair(),
        "main",
    );
    let r = run(
        config(2, RunQueues::PerCpu { migration: true }),
        pair(),
        "main",
    );
    assert!(r.succeeded());
    check_machine("stealing pair", &r, 2);
    // cpu1 stole the worker from cpu0's queue the moment it was there.
    assert!(dispatches_on(&r.events, 1) > 0);
    assert!(!idled_beside_ready_work(&r));
    assert!(r.machine.per_cpu[1].busy >= 100);
    assert!(
        r.ticks * 3 < pinned.ticks * 2,
        "{} vs {}",
        r.ticks,
        pinned.ticks
    );
    // With a global queue there is nothing to steal: the idle CPU takes the work too.
    let global = run(config(2, RunQueues::Global), pair(), "main");
    assert!(!idled_beside_ready_work(&global));
}

#[test]
fn idle_cpus_never_sit_beside_ready_work_with_a_global_queue_or_migration() {
    for cpus in 2..=4 {
        for queues in [RunQueues::Global, RunQueues::PerCpu { migration: true }] {
            for main in BUILTINS {
                let r = builtin(config(cpus, queues), main);
                assert!(
                    !idled_beside_ready_work(&r),
                    "{main} on {cpus}, {queues}:\n{}",
                    r.trace_text()
                );
            }
        }
    }
}

#[test]
fn run_queues_read_and_print_their_names() {
    for q in QUEUES {
        assert_eq!(q.to_string().parse::<RunQueues>(), Ok(q));
    }
    assert_eq!(
        "per-cpu-no-migration".parse::<RunQueues>(),
        Ok(RunQueues::PerCpu { migration: false })
    );
    assert!("percpu".parse::<RunQueues>().is_err());
    assert_eq!(RunQueues::default(), RunQueues::Global);
    assert_eq!(MachineConfig::default().cpus, 1);
}

// ----- renderers -----

#[test]
fn the_gantt_chart_of_two_cpus_shows_each_cpu() {
    let r = run(config(2, RunQueues::Global), workers(200), "main");
    let chart = gantt::render(&r.events, r.ticks, 80);
    assert!(chart.lines().all(|l| l.len() <= 80), "{chart}");
    assert!(!chart.contains(gantt::RUNNING), "digits, not #:\n{chart}");
    assert!(chart.contains("0-1 running on that CPU"), "{chart}");
    insta::assert_snapshot!("gantt_two_cpus", chart);
    // One CPU keeps `#`.
    let one = run(config(1, RunQueues::Global), workers(200), "main");
    let chart = gantt::render(&one.events, one.ticks, 80);
    assert!(
        chart.contains('#') && chart.contains("# running"),
        "{chart}"
    );
    assert_eq!(gantt::cpu_char(9), '9');
    assert_eq!(gantt::cpu_char(10), 'A');
    assert_eq!(gantt::cpu_char(35), 'Z');
    assert_eq!(gantt::cpu_char(36), '*');
}

#[test]
fn the_svg_colours_running_bars_by_cpu() {
    let r = run(config(3, RunQueues::Global), workers(200), "main");
    let doc = svg::render(&r.events, r.ticks);
    let parsed = roxmltree::Document::parse(&doc).expect("well-formed");
    let legend: Vec<String> = parsed
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("legend"))
        .flat_map(|g| g.descendants().filter(|n| n.has_tag_name("text")))
        .filter_map(|t| t.text().map(str::to_string))
        .collect();
    for cpu in 0..3 {
        assert!(
            legend.contains(&format!("running on cpu{cpu}")),
            "{legend:?}"
        );
    }
    for cpu in 0..2 {
        let bars: Vec<_> = parsed
            .descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c == format!("state state-running cpu-{cpu}"))
            })
            .collect();
        assert!(!bars.is_empty(), "running bars on cpu{cpu}");
        assert!(bars
            .iter()
            .all(|b| b.attribute("fill") == Some(svg::cpu_colour(cpu))));
    }
    assert_ne!(svg::cpu_colour(0), svg::cpu_colour(1));
    // One CPU: one running swatch, and bars without a CPU class.
    let one = run(config(1, RunQueues::Global), workers(20), "main");
    let doc = svg::render(&one.events, one.ticks);
    assert!(!doc.contains(" cpu-0\""), "{doc}");
    assert!(!doc.contains(">running on cpu0</text>"), "{doc}");
    assert!(doc.contains(">running</text>"), "{doc}");
}

#[test]
fn the_chrome_trace_has_a_track_per_cpu_without_overlaps() {
    let r = run(config(2, RunQueues::Global), workers(200), "main");
    let doc: serde_json::Value =
        serde_json::from_str(&chrome::render(&r.events, r.ticks)).expect("JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == chrome::CPUS_PID)
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    assert_eq!(names, ["cpu0", "cpu1"]);
    for cpu in 0..2 {
        let tid = chrome::cpu_tid(cpu);
        let mut slices: Vec<(u64, u64)> = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["pid"] == chrome::CPUS_PID && e["tid"] == tid)
            .map(|e| {
                let ts = e["ts"].as_u64().unwrap_or(0);
                (ts, ts + e["dur"].as_u64().unwrap_or(0))
            })
            .collect();
        assert!(slices.len() >= 2, "cpu{cpu} ran and idled");
        slices.sort_unstable();
        for w in slices.windows(2) {
            assert!(w[0].1 <= w[1].0, "cpu{cpu}: {w:?}");
        }
    }
}

#[test]
fn the_statistics_have_a_row_per_cpu_when_there_are_several() {
    let r = run(config(2, RunQueues::Global), workers(200), "main");
    let st = stats::Stats::from_report(&r);
    assert_eq!(st.machine.cpus.len(), 2);
    let total = st.machine.utilisation;
    let expected = r.machine.busy as f64 * 100.0 / (2.0 * r.ticks as f64);
    assert!((total - expected).abs() < 1e-9);
    assert_eq!(st.machine.cpus[1].busy, r.machine.per_cpu[1].busy);
    let text = stats::render(&r);
    assert!(text.contains("cpus (times in ticks)"), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("cpus"))
        .collect();
    assert!(rows.iter().any(|l| l.starts_with("cpu0 ")), "{text}");
    assert!(rows.iter().any(|l| l.starts_with("cpu1 ")), "{text}");
    // One CPU: no CPU table, the machine's lines say it all.
    let one = run(config(1, RunQueues::Global), workers(20), "main");
    assert!(!stats::render(&one).contains("cpus (times in ticks)"));
}
