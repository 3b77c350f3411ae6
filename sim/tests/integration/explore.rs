//! Schedule exploration end to end: the strategies find the deadlocks and races they should
//! (and nothing in a correct scenario), a reported seed and a saved schedule replay with
//! `sim run` exactly, shards add up to the whole range, and the Rust test API panics with
//! the seed.
//!
//! The test scenarios live in `sim/tests/scenarios/`: `lock_order.sim` deadlocks only under
//! a schedule round robin never makes, `race.sim` fails an `expect` only after one
//! specific preemption. Seed ranges are small and fixed: every seed is deterministic, so a
//! range that finds a bug today finds it on every machine.

use crate::common::{sim, stderr, stdout};
use sim::explore::{self, FailureKind, Options, ScheduleFile, Shard, Strategy, Target};
use sim::{MachineConfig, Outcome};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use userland::scenario::{self, Scenario};

const LOCK_ORDER_CYCLE: &str = "deadlock: a -> lock[1] -> b -> lock[0] -> a";

fn test_scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

fn load_file(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("the scenario is there");
    scenario::load(&path.display().to_string(), &text).expect("it loads")
}

fn load_shipped(name: &str) -> Scenario {
    let s = scenario::shipped(name).expect("shipped");
    scenario::load(s.path, s.source).expect("it loads")
}

/// The machine a scenario's runs get: its settings, and no invariant checks (the kernel's
/// own tests check them; here they would only slow thousands of runs down).
fn config_for(s: &Scenario) -> MachineConfig {
    let mut c = sim::scenario::configure(s, MachineConfig::default());
    c.kernel.check_invariants = false;
    c
}

fn options() -> Options {
    Options {
        jobs: 2,
        ..Options::default()
    }
}

fn pct(s: &Scenario) -> Strategy {
    let steps = explore::estimate_steps(&Target::scenario(s.clone()), &config_for(s));
    Strategy::Pct { depth: 3, steps }
}

const RANDOM: Strategy = Strategy::Random {
    preempt_percent: explore::DEFAULT_PREEMPT_PERCENT,
};

#[test]
fn both_strategies_find_the_philosophers_deadlock_within_fifty_seeds() {
    let s = load_shipped("philosophers_deadlock");
    for strategy in [pct(&s), RANDOM] {
        let target = Target::scenario(s.clone());
        let report = explore::explore(&target, &config_for(&s), strategy, 0..50, &options());
        assert_eq!(report.seeds_run, 50);
        assert_eq!(report.failures.len(), 1, "{strategy}: {report:#?}");
        let f = &report.failures[0];
        assert_eq!(f.kind, FailureKind::Deadlock);
        assert!(
            f.signature
                .starts_with("deadlock: fork[0] -> philosopher[0] -> fork[1]"),
            "{}",
            f.signature
        );
        assert!(f.count >= 3, "{strategy}: {} deadlocking seeds", f.count);
    }
}

#[test]
fn exploration_finds_the_lock_order_inversion_that_round_robin_misses() {
    let s = load_file(&test_scenario("lock_order.sim"));
    let rr = sim::scenario::run(s.clone(), config_for(&s)).expect("boots");
    assert!(rr.succeeded(), "round robin avoids it: {:?}", rr.outcome);
    for strategy in [pct(&s), RANDOM] {
        let target = Target::scenario(s.clone());
        let report = explore::explore(&target, &config_for(&s), strategy, 0..50, &options());
        let sigs: Vec<&str> = report
            .failures
            .iter()
            .map(|f| f.signature.as_str())
            .collect();
        assert_eq!(sigs, [LOCK_ORDER_CYCLE], "{strategy}");
    }
}

#[test]
fn exploration_finds_the_message_race_that_round_robin_misses() {
    let s = load_file(&test_scenario("race.sim"));
    assert!(sim::scenario::run(s.clone(), config_for(&s))
        .expect("boots")
        .succeeded());
    let target = Target::scenario(s.clone());
    let report = explore::explore(&target, &config_for(&s), pct(&s), 0..40, &options());
    let f = report.failures.first().expect("pct finds the race");
    assert_eq!(f.kind, FailureKind::Expect);
    assert!(f.signature.ends_with("race.sim:19:10"), "{}", f.signature);
    assert!(
        f.detail.contains("expected bytes \"b\", got \"x\""),
        "{}",
        f.detail
    );
}

#[test]
fn the_fixed_philosophers_are_clean_over_many_seeds() {
    let s = load_shipped("philosophers");
    for (strategy, seeds) in [(pct(&s), 0..1000), (RANDOM, 0..1000)] {
        let target = Target::scenario(s.clone());
        let report = explore::explore(&target, &config_for(&s), strategy, seeds, &options());
        assert_eq!(report.seeds_run, 1000);
        assert!(report.failures.is_empty(), "{strategy}: {report:#?}");
    }
}

#[test]
fn fail_fast_stops_at_the_smallest_failing_seed_whatever_the_jobs() {
    let s = load_file(&test_scenario("race.sim"));
    let target = Target::scenario(s.clone());
    let strategy = pct(&s);
    let all = explore::explore(&target, &config_for(&s), strategy, 0..40, &options());
    let smallest = all.failures[0].first_seed;
    for jobs in [1, 2] {
        let fast = Options {
            jobs,
            fail_fast: true,
            ..Options::default()
        };
        let r = explore::explore(&target, &config_for(&s), strategy, 0..40, &fast);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].first_seed, smallest);
        assert_eq!(r.failures[0].count, 1);
        assert_eq!(r.seeds_run, smallest + 1);
    }
}

#[test]
fn shards_add_up_to_the_whole_range() {
    let s = load_file(&test_scenario("lock_order.sim"));
    let target = Target::scenario(s.clone());
    let config = config_for(&s);
    let whole = explore::explore(&target, &config, RANDOM, 5..65, &options());
    let mut seeds_run = 0;
    let mut failing = 0;
    let mut merged: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for index in 0..3 {
        let shard = Options {
            shard: Some(Shard { index, count: 3 }),
            ..options()
        };
        let part = explore::explore(&target, &config, RANDOM, 5..65, &shard);
        seeds_run += part.seeds_run;
        failing += part.failing_seeds;
        for f in &part.failures {
            assert_eq!(
                (f.first_seed - 5) % 3,
                index,
                "shard {index} ran only its seeds"
            );
            let e = merged.entry(f.signature.clone()).or_insert((u64::MAX, 0));
            e.0 = e.0.min(f.first_seed);
            e.1 += f.count;
        }
    }
    assert_eq!(seeds_run, whole.seeds_run);
    assert_eq!(failing, whole.failing_seeds);
    let expected: BTreeMap<String, (u64, u64)> = whole
        .failures
        .iter()
        .map(|f| (f.signature.clone(), (f.first_seed, f.count)))
        .collect();
    assert_eq!(merged, expected);
}

#[test]
fn a_reported_seed_replays_with_sim_run_byte_for_byte() {
    let file = test_scenario("race.sim");
    let path = file.to_str().expect("utf-8 path");
    let out = sim(&[
        "explore", path, "--seeds", "0..30", "--jobs", "2", "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "failures found: exit 1");
    let text = stdout(&out);
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a failure line")).expect("json");
    assert_eq!(first["type"], "failure");
    let replay = first["replay"].as_str().expect("a replay command");
    let seed = first["first_seed"].as_u64().expect("a seed");
    assert!(
        replay.starts_with(&format!("sim run {path} --policy pct --depth 3 --steps ")),
        "{replay}"
    );
    assert!(replay.ends_with(&format!(" --seed {seed}")), "{replay}");

    // The command as a user would paste it.
    let words: Vec<&str> = replay.split(' ').skip(1).collect();
    let replayed = sim(&words);
    assert_eq!(replayed.status.code(), Some(1));
    let shown = stdout(&replayed);

    // The same run in-process, with the trace on: the same failure, the same trace.
    let s = load_file(&file);
    let steps: u64 = words[words.len() - 3].parse().expect("steps");
    let mut config = sim::scenario::configure(&s, MachineConfig::default());
    config.policy = sim::Policy::Pct { depth: 3, steps };
    config.seed = seed;
    let report = sim::scenario::run(s, config).expect("boots");
    let finding = explore::classify(&report).expect("it fails");
    assert_eq!(finding.signature, first["signature"].as_str().unwrap());
    assert!(
        shown.starts_with(&report.trace_text()),
        "sim run prints the same trace"
    );
    assert!(shown.contains(&finding.detail[finding.detail.find("expect").unwrap()..]));
}

#[test]
fn every_recorded_schedule_replays_to_the_same_trace() {
    for name in ["lock_order.sim", "race.sim"] {
        let s = load_file(&test_scenario(name));
        let config = config_for(&s);
        let target = Target::scenario(s.clone());
        for strategy in [pct(&s), RANDOM] {
            for seed in 0..15 {
                let (report, file) =
                    explore::record_seed(&target, &config, strategy, seed).expect("boots");
                let mut replay = config.clone();
                replay.policy = sim::Policy::Replay(std::sync::Arc::new(file.schedule.clone()));
                let again = sim::scenario::run(s.clone(), replay).expect("boots");
                let d = explore::divergence(&file.schedule, &again.events);
                assert!(d.exact, "{name} {strategy} seed {seed}: {d:?}");
                assert_eq!(
                    again.trace_text(),
                    report.trace_text(),
                    "{name} seed {seed}"
                );
            }
        }
    }
}

/// A private copy of a test scenario, to save schedules next to and to edit.
fn scratch(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("sim-explore-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let text = std::fs::read_to_string(test_scenario(name)).expect("the scenario");
    (dir, text)
}

#[test]
fn a_saved_schedule_replays_exactly_and_survives_an_unrelated_line() {
    let (dir, text) = scratch("lock_order.sim");
    let file = dir.join("lock_order.sim");
    std::fs::write(&file, &text).unwrap();
    let saved = dir.join("schedule.txt");
    let out = sim(&[
        "explore",
        file.to_str().unwrap(),
        "--strategy",
        "random",
        "--seeds",
        "0..20",
        "--save-schedule",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let schedule = ScheduleFile::parse(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert!(schedule
        .failure
        .as_deref()
        .unwrap()
        .starts_with(LOCK_ORDER_CYCLE));
    assert!(
        stdout(&out).contains(&format!("smallest seed {}\n", schedule.seed)),
        "the schedule is the smallest seed's"
    );

    // Replayed, it makes the same decisions and prints the same trace as its seed.
    let replayed = sim(&[
        "run",
        file.to_str().unwrap(),
        "--replay",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(replayed.status.code(), Some(1));
    let replayed = stdout(&replayed);
    assert!(replayed.contains("== replay: followed all"), "{replayed}");
    let seed = schedule.seed.to_string();
    let original = stdout(&sim(&[
        "run",
        file.to_str().unwrap(),
        "--policy",
        "random",
        "--preempt",
        "10",
        "--seed",
        &seed,
    ]));
    let trace = |s: &str| -> String {
        s.lines()
            .take_while(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert!(original.contains("== DEADLOCK"));
    assert_eq!(trace(&replayed), trace(&original), "byte for byte");

    // A process that only computes, added at the end, changes neither the failure nor the
    // order of the others.
    let edited = dir.join("lock_order_edited.sim");
    std::fs::write(
        &edited,
        format!("{text}\nprocess bystander {{\n  compute 25\n  compute 25\n}}\n"),
    )
    .unwrap();
    let s = load_file(&edited);
    let mut config = sim::scenario::configure(&s, MachineConfig::default());
    config.policy = sim::Policy::Replay(std::sync::Arc::new(schedule.schedule.clone()));
    let report = sim::scenario::run(s, config).expect("boots");
    assert!(matches!(report.outcome, Outcome::Deadlock(_)));
    let finding = explore::classify(&report).expect("it still fails");
    assert_eq!(finding.signature, LOCK_ORDER_CYCLE);
    let d = explore::divergence(&schedule.schedule, &report.events);
    assert!(!d.exact && d.departed >= 1, "the bystander ran: {d:?}");
    let others = |s: &sim::explore::ScheduleFile| -> Vec<String> {
        s.render()
            .lines()
            .filter(|l| l.starts_with("dispatch ") && !l.contains("bystander"))
            .map(String::from)
            .collect()
    };
    let now = ScheduleFile {
        schedule: explore::record(&report.events),
        ..schedule.clone()
    };
    // Init spawns the bystander and waits for it to take its start, so init's own slices
    // differ; every other process runs in the recorded order.
    let without_init = |v: Vec<String>| -> Vec<String> {
        v.into_iter().filter(|l| l != "dispatch init").collect()
    };
    assert_eq!(without_init(others(&now)), without_init(others(&schedule)));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_json_report_is_one_object_per_line_ending_in_a_summary() {
    let file = test_scenario("lock_order.sim");
    let out = sim(&[
        "explore",
        file.to_str().unwrap(),
        "--strategy",
        "random",
        "--seeds",
        "0..20",
        "--jobs",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let (summary, failures) = lines.split_last().expect("a summary");
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["strategy"], "random");
    assert_eq!(summary["preempt"], 10);
    assert_eq!(summary["seeds_run"], 20);
    assert_eq!(summary["distinct_failures"], failures.len());
    assert!(summary["seeds_per_second"].as_f64().is_some());
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["kind"], "deadlock");
    assert_eq!(failures[0]["signature"], LOCK_ORDER_CYCLE);
    assert!(failures[0]["count"].as_u64().unwrap() >= 1);
}

#[test]
fn the_command_line_reports_no_failure_with_status_zero_and_bad_flags_with_two() {
    let clean = sim(&["explore", "philosophers", "--seeds", "0..5", "--jobs", "2"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("== explored 5 seeds (0..5)"));
    for bad in [
        &["explore", "philosophers", "--seeds", "9..3"][..],
        &["explore", "philosophers", "--shard", "3/3"],
        &["explore", "philosophers", "--jobs", "0"],
        &[
            "explore",
            "philosophers",
            "--strategy",
            "random",
            "--depth",
            "2",
        ],
        &["explore", "philosophers", "--policy", "fcfs"],
        &["run", "philosophers", "--depth", "2"],
        &["run", "philosophers", "--replay", "/no/such/schedule"],
    ] {
        assert_eq!(sim(bad).status.code(), Some(2), "{bad:?}");
    }
}

// ----- the Rust test API -----

/// `main` spawns two children that each send their name to it; it expects "first" before
/// "second" when `strict`. Round robin runs the children in spawn order, so only another
/// schedule shows the bug.
fn racy(strict: bool) -> userland::ProgramTable {
    use abi::{Mode, Pid, Source};
    let mut t = userland::ProgramTable::new();
    t.add(
        "main",
        "two children report",
        move |sys: userland::Sys, _| async move {
            let me = sys.getpid().await.raw();
            for child in ["first", "second"] {
                if sys.spawn(child, me).await.is_err() {
                    return 2;
                }
            }
            let Ok(a) = sys.receive(Source::Any, Mode::Blocking).await else {
                return 3;
            };
            let Ok(_) = sys.receive(Source::Any, Mode::Blocking).await else {
                return 3;
            };
            if strict && a.text() != "first" {
                panic!("got {} first", a.text());
            }
            0
        },
    );
    for name in ["first", "second"] {
        t.add(
            name,
            "reports",
            move |sys: userland::Sys, parent| async move {
                sys.compute(2).await;
                let _ = sys
                    .send(Pid::from_raw(parent), name.as_bytes(), Mode::Blocking)
                    .await;
                0
            },
        );
    }
    t
}

fn panic_text(f: impl FnOnce() + std::panic::UnwindSafe) -> Option<String> {
    let err = std::panic::catch_unwind(f).err()?;
    Some(
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    )
}

#[test]
fn check_random_and_check_pct_panic_with_the_seed_on_a_racy_program() {
    let rr =
        sim::Machine::run_program(MachineConfig::default(), racy(true), "main", 0).expect("boots");
    assert!(rr.succeeded(), "round robin misses the bug");
    let message = panic_text(|| explore::check_random(|| racy(true), "main", 0..100))
        .expect("check_random finds the bug");
    assert!(message.contains("with seed "), "{message}");
    assert!(message.contains("panic"), "{message}");
    assert!(message.contains("got second first"), "{message}");
    assert!(message.contains("replay:"), "{message}");
    let message = panic_text(|| explore::check_pct(|| racy(true), "main", 0..100, 2))
        .expect("check_pct finds the bug");
    assert!(message.contains("with seed "), "{message}");

    // The seed in the message replays the failure.
    let seed: u64 = message
        .split("with seed ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("a seed");
    let steps = explore::estimate_steps(
        &Target::new(|| racy(true), "main", 0),
        &MachineConfig::default(),
    );
    let config = MachineConfig {
        seed,
        policy: sim::Policy::Pct { depth: 2, steps },
        ..MachineConfig::default()
    };
    let report = sim::Machine::run_program(config, racy(true), "main", 0).unwrap();
    assert_eq!(report.panics().count(), 1);
}

#[test]
fn check_random_and_check_pct_pass_a_correct_program() {
    explore::check_random(|| racy(false), "main", 0..100);
    explore::check_pct(|| racy(false), "main", 0..100, 3);
}

/// The shipped scenarios teach; each must say the same thing under every schedule, not only
/// under round robin's (the one that deadlocks by design must deadlock every time).
#[test]
fn every_shipped_scenario_holds_under_explored_schedules() {
    for shipped in scenario::SHIPPED {
        let s = load_shipped(shipped.name);
        for strategy in [pct(&s), RANDOM] {
            let target = Target::scenario(s.clone());
            let report = explore::explore(&target, &config_for(&s), strategy, 0..300, &options());
            if shipped.name == "philosophers_deadlock" {
                continue;
            }
            assert!(
                report.failures.is_empty(),
                "{} under {strategy}: {:#?}",
                shipped.name,
                report.failures
            );
        }
    }
}

/// Two senders race to one receiver, which prints what it gets: several outcomes, and a
/// failing `expect` in some of them.
const DPOR_RACE: &str = "
process receiver inbox unbounded {
  receive any
  print \"first {msg}\"
  receive any
  print \"second {msg}\"
  expect bytes \"b\"
}
process a {
  send receiver \"a\"
}
process b {
  send receiver \"b\"
}
";

fn json_lines(text: &str, kind: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == kind)
        .map(|v| match kind {
            "outcome" => v["outcome"].as_str().unwrap_or_default().to_string(),
            _ => v["signature"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// A fresh directory named after `tag` with [`DPOR_RACE`] in it: the directory and the
/// scenario's path.
fn dpor_race_in(tag: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("sim-dpor-{tag}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("race.sim");
    std::fs::write(&file, DPOR_RACE).unwrap();
    (dir, file.display().to_string())
}

/// `sim explore FILE --strategy dpor --keep-going --format json`: every outcome, as JSON.
fn dpor_every_outcome(file: &str) -> [&str; 7] {
    [
        "explore",
        file,
        "--strategy",
        "dpor",
        "--keep-going",
        "--format",
        "json",
    ]
}

#[test]
fn dpor_shards_in_separate_processes_merge_into_the_whole_search() {
    let (dir, file) = dpor_race_in("shards");
    let base = dpor_every_outcome(&file);
    let whole = sim(&base);
    assert_eq!(whole.status.code(), Some(1), "{}", stdout(&whole));
    let whole = stdout(&whole);
    let outcomes = json_lines(&whole, "outcome");
    assert!(outcomes.len() >= 2, "{whole}");
    assert_eq!(json_lines(&whole, "failure").len(), 1, "{whole}");

    // Three shards at once, as a cluster would run them: one named, one from a Kubernetes
    // Indexed Job's environment, one from a Slurm array's.
    let envs: [&[(&str, &str)]; 3] = [
        &[],
        &[("JOB_COMPLETION_INDEX", "1"), ("SIM_SHARD_COUNT", "3")],
        &[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ],
    ];
    let children: Vec<_> = envs
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let out = std::fs::File::create(dir.join(format!("shard-{i}.json"))).unwrap();
            let mut command = Command::new(env!("CARGO_BIN_EXE_sim"));
            command.args(base).stdout(out);
            match i {
                0 => command.args(["--shard", "0/3"]),
                _ => command.args(["--shard", "auto"]),
            };
            command
                .env_remove("JOB_COMPLETION_INDEX")
                .env_remove("SLURM_ARRAY_TASK_ID")
                .envs(env.iter().copied())
                .spawn()
                .expect("a shard starts")
        })
        .collect();
    for mut child in children {
        let status = child.wait().unwrap();
        assert_ne!(status.code(), Some(2), "a shard ran");
    }
    let results: Vec<String> = (0..3)
        .map(|i| dir.join(format!("shard-{i}.json")).display().to_string())
        .collect();
    let mut union = std::collections::BTreeSet::new();
    for r in &results {
        let text = std::fs::read_to_string(r).unwrap();
        assert!(
            text.contains(&format!(
                "\"shard\":\"{}/3\"",
                results.iter().position(|x| x == r).unwrap()
            )),
            "{text}"
        );
        union.extend(json_lines(&text, "outcome"));
    }
    assert_eq!(
        union, outcomes,
        "the shards together reach the whole search's outcomes"
    );

    let mut merge_args = vec!["explore", "merge", "--format", "json"];
    merge_args.extend(results.iter().map(String::as_str));
    let merged = sim(&merge_args);
    assert_eq!(
        merged.status.code(),
        Some(1),
        "a failure: {}",
        stdout(&merged)
    );
    let merged = stdout(&merged);
    assert_eq!(json_lines(&merged, "outcome"), outcomes);
    assert_eq!(
        json_lines(&merged, "failure"),
        json_lines(&whole, "failure"),
        "every failure once"
    );
    // One shard missing: not a proof.
    let partial = sim(&["explore", "merge", &results[0], &results[1]]);
    assert!(
        stdout(&partial).contains("shard 2/3 missing"),
        "{}",
        stdout(&partial)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dpor_shards_sharing_a_claims_directory_take_every_piece_once() {
    let (dir, file) = dpor_race_in("claims");
    let claims = dir.join("claims").display().to_string();
    let base = dpor_every_outcome(&file);
    let outcomes = json_lines(&stdout(&sim(&base)), "outcome");
    // Two shards at once, as two jobs of a cluster that share a volume would run.
    let run_shards = |round: &str| -> Vec<String> {
        let children: Vec<_> = (0..2)
            .map(|i| {
                let path = dir.join(format!("{round}-{i}.json"));
                let out = std::fs::File::create(&path).unwrap();
                let child = Command::new(env!("CARGO_BIN_EXE_sim"))
                    .args(base)
                    .args(["--shard", &format!("{i}/2"), "--claims", &claims])
                    .stdout(out)
                    .spawn()
                    .expect("a shard starts");
                (child, path.display().to_string())
            })
            .collect();
        children
            .into_iter()
            .map(|(mut child, path)| {
                assert_ne!(child.wait().unwrap().code(), Some(2), "a shard ran");
                path
            })
            .collect()
    };
    let first = run_shards("first");
    let mut union = std::collections::BTreeSet::new();
    let mut pieces = Vec::new();
    for path in &first {
        let text = std::fs::read_to_string(path).unwrap();
        union.extend(json_lines(&text, "outcome"));
        let summary: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap()).unwrap();
        pieces.extend(
            summary["pieces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_u64().unwrap()),
        );
    }
    assert_eq!(
        union, outcomes,
        "the shards together reach the whole search's outcomes"
    );
    pieces.sort_unstable();
    let total = pieces.len() as u64;
    assert!(total >= 2, "{pieces:?}");
    assert_eq!(pieces, (0..total).collect::<Vec<_>>(), "every piece once");
    let mut merge = vec!["explore", "merge"];
    merge.extend(first.iter().map(String::as_str));
    assert_eq!(sim(&merge).status.code(), Some(1), "the race's failure");

    // The same directory again: the claims of the first round are taken, nothing is
    // searched, and the merge says so instead of calling it complete.
    let again = run_shards("again");
    let mut merge = vec!["explore", "merge"];
    merge.extend(again.iter().map(String::as_str));
    let merged = sim(&merge);
    assert_eq!(merged.status.code(), Some(3), "{}", stdout(&merged));
    assert!(
        stdout(&merged).contains("pieces searched by no shard"),
        "{}",
        stdout(&merged)
    );

    // Claims need a split.
    let alone = sim(&["explore", &file, "--strategy", "dpor", "--claims", &claims]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(stderr(&alone).contains("--claims applies to a search split into shards"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dpor_proves_a_protocol_and_refuses_what_it_cannot_cover() {
    let dir = std::env::temp_dir().join(format!("sim-dpor-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rpc.sim");
    std::fs::write(
        &file,
        "process client count 2 {\n  call server \"hi\"\n  expect bytes \"ok\"\n}\nprocess server {\n  repeat 2 {\n    receive any\n    reply \"ok\"\n  }\n}\n",
    )
    .unwrap();
    let file = file.display().to_string();
    let ok = sim(&["explore", &file, "--strategy", "dpor"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("complete: "), "{}", stdout(&ok));
    let cpus = sim(&["explore", &file, "--strategy", "dpor", "--cpus", "2"]);
    assert_eq!(cpus.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cpus.stderr).contains("one CPU"));
    let limit = sim(&[
        "explore",
        &file,
        "--strategy",
        "dpor",
        "--max-interleavings",
        "1",
    ]);
    assert_eq!(limit.status.code(), Some(3), "{}", stdout(&limit));
    assert!(stdout(&limit).contains("incomplete: stopped at the limit of 1"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dpor_on_the_figures_scenarios_gives_their_documented_counts() {
    // The counts docs/exploration.md quotes are deterministic: a change to the dependence
    // relation or the search shows here first.
    let json = |name: &str| {
        let file = test_scenario(name);
        let out = sim(&[
            "explore",
            file.to_str().expect("a UTF-8 path"),
            "--strategy",
            "dpor",
            "--format",
            "json",
        ]);
        let summary = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
            .find(|v| v["type"] == "summary")
            .expect("a summary line");
        (out.status.code(), summary)
    };
    // The RPC has two message orders (which client's call the server takes first), and so
    // have the safe philosophers (who takes fork 0 first: the rest follows): one
    // interleaving each, and one run of the machine each, none abandoned.
    for (name, orders) in [("dpor_rpc.sim", 2), ("dpor_philosophers.sim", 2)] {
        let (code, summary) = json(name);
        assert_eq!(code, Some(0), "{summary}");
        assert_eq!(summary["verdict"], "complete", "{summary}");
        assert_eq!(summary["interleavings"], orders, "{summary}");
        assert_eq!(summary["runs"], orders, "{summary}");
        assert_eq!(summary["sleep_blocked"], 0, "{summary}");
    }
    let (code, deadlock) = json("dpor_philosophers_deadlock.sim");
    assert_eq!(code, Some(1), "{deadlock}");
    assert_eq!(deadlock["distinct_failures"], 1, "{deadlock}");
    assert_eq!(deadlock["interleavings"], 1, "{deadlock}");
}

#[test]
fn dpor_bounds_preemptions_from_the_command_line_and_only_there() {
    let file = test_scenario("dpor_rpc.sim");
    let path = file.to_str().expect("a UTF-8 path");
    let out = sim(&[
        "explore",
        path,
        "--strategy",
        "dpor",
        "--preemptions",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|v| v["type"] == "summary")
        .expect("a summary line");
    assert_eq!(summary["preemptions"], 1, "{summary}");
    assert_eq!(summary["verdict"], "complete", "{summary}");
    let line = summary["verdict_line"].as_str().unwrap_or_default();
    assert!(line.ends_with("preemption bound 1"), "{line}");
    let refused = sim(&[
        "explore",
        path,
        "--strategy",
        "random",
        "--preemptions",
        "1",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    assert!(
        err.contains("--preemptions") && err.contains("apply to --strategy dpor"),
        "{err}"
    );
}
