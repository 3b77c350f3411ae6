//! The search held to its oracle: on generated scenarios, DPOR finds exactly the outcomes
//! that running every schedule finds, and a wrong dependence relation does not.

use super::*;
use crate::explore::Options;

fn target(name: &str, text: &str) -> (Target<'static>, MachineConfig) {
    let scenario = userland::scenario::load(name, text)
        .unwrap_or_else(|e| panic!("{name} does not load: {e:?}\n{text}"));
    let config = crate::scenario::configure(&scenario, MachineConfig::default());
    (Target::scenario(scenario), config)
}

fn search(text: &str, settings: &DporSettings) -> DporReport {
    let (target, config) = target("gen.sim", text);
    dpor(&target, &config, settings, &Options::default()).expect("searchable")
}

/// A small deterministic generator (SplitMix64), so every run of the test sees the same
/// scenarios.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A scenario of 3 or 4 processes (`init`, which starts the others, and 2 or 3 of its own), a
/// few steps each: sends to one another, receives that
/// print what they got (so every order of arrivals is an outcome of its own), computes, and
/// now and then an expect that holds only in some orders.
fn generated(seed: u64) -> String {
    let mut g = Gen(seed);
    let n = 2 + g.below(2);
    let budget = 3;
    let mut ops: Vec<Vec<String>> = vec![Vec::new(); n as usize];
    for i in 0..budget {
        let p = if i < n { i } else { g.below(n) } as usize;
        let op = match g.below(6) {
            0..=2 => {
                // Most messages go to p0, the process most likely to receive: orders of
                // arrival are what tell outcomes apart.
                let mut to = if p != 0 && g.below(2) == 0 {
                    0
                } else {
                    g.below(n - 1)
                };
                if p != 0 && to == 0 {
                } else if to >= p as u64 {
                    to += 1;
                }
                format!("  send p{to} \"m{i}\"")
            }
            3 | 4 => match g.below(3) {
                0 => "  receive any\n  expect bytes \"m0\"".to_string(),
                _ => "  receive any\n  print \"{name} got {msg}\"".to_string(),
            },
            _ => "  compute 1".to_string(),
        };
        ops[p].push(op);
    }
    if g.below(2) == 0 {
        ops[0].push("  receive any nonblocking\n  print \"{name} then {msg}\"".to_string());
    }
    let mut text = String::new();
    for (p, body) in ops.iter().enumerate() {
        text.push_str(&format!("process p{p} inbox unbounded {{\n"));
        for op in body {
            text.push_str(op);
            text.push('\n');
        }
        text.push_str("}\n");
    }
    text
}

fn all(exhaustive: bool, forget_dependence: bool) -> DporSettings {
    DporSettings {
        max_interleavings: 200_000,
        keep_going: true,
        exhaustive,
        forget_dependence,
        ..DporSettings::default()
    }
}

/// How many schedules the oracle may run on one scenario; scenarios with more are left out.
const BRUTE_LIMIT: u64 = 25_000;

/// The longest interleaving, in steps, of a scenario the oracle is run on: the number of
/// schedules grows exponentially with it, and past this it is out of a test's reach.
const BRUTE_STEPS: usize = 15;

/// DPOR's search of `text` and brute force's, for a scenario small enough for brute force
/// (no interleaving longer than [`BRUTE_STEPS`], every schedule within [`BRUTE_LIMIT`]),
/// once the two reach the same verdict and exactly the same outcomes and DPOR runs no more
/// interleavings; `None` for a scenario out of the oracle's reach.
fn against_brute_force(seed: u64, text: &str) -> Option<(DporReport, DporReport)> {
    let dpor = search(text, &all(false, false));
    if dpor.longest > BRUTE_STEPS {
        return None;
    }
    let settings = DporSettings {
        max_interleavings: BRUTE_LIMIT,
        ..all(true, false)
    };
    let brute = search(text, &settings);
    if brute.verdict == Verdict::Incomplete {
        return None;
    }
    assert_eq!(dpor.verdict, brute.verdict, "{text}");
    assert_eq!(
        dpor.outcomes, brute.outcomes,
        "seed {seed}: dpor and brute force disagree on\n{text}"
    );
    assert!(dpor.interleavings <= brute.interleavings, "{text}");
    Some((dpor, brute))
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_and_a_wrong_dependence_does_not() {
    let (mut cases, mut reduced, mut several, mut lost) = (0, 0, 0, 0);
    for seed in 0..40 {
        let text = generated(seed);
        let Some((dpor, brute)) = against_brute_force(seed, &text) else {
            continue;
        };
        cases += 1;
        reduced += usize::from(dpor.interleavings * 10 < brute.interleavings);
        several += usize::from(brute.outcomes.len() > 1);
        // The mutation: every two steps of different processes treated as independent.
        lost += usize::from(search(&text, &all(false, true)).outcomes != brute.outcomes);
    }
    assert!(
        cases >= 15,
        "only {cases} scenarios small enough for the oracle"
    );
    assert!(
        reduced * 2 > cases,
        "the reduction reduces tenfold in {reduced} of {cases}"
    );
    assert!(several >= 3, "outcomes vary in only {several} of {cases}");
    assert!(
        lost > 0,
        "the oracle catches an unsound dependence relation"
    );
}

/// A scenario of 2 processes around the kernel's newer receive paths: `p0` selects over two
/// mailboxes `a` and `b` (and now and then its inbox) while `p1` sends to them; or both
/// share one mailbox (`receivers fifo`), declared at boot or created by `p0` and granted
/// (`grant`) to `p1`, each sending to it and receiving from it; with now and then a
/// nonblocking receive whose failure is an outcome of its own.
fn generated_shared(seed: u64) -> String {
    let mut g = Gen(seed);
    let mut text = String::new();
    let recv = |g: &mut Gen, what: &str| match g.below(2) {
        0 => format!("  {what} nonblocking\n  print \"{{name}} then {{msg}}\"\n"),
        _ => format!("  {what}\n  print \"{{name}} got {{msg}}\"\n"),
    };
    match g.below(3) {
        0 => {
            text.push_str("mailbox a capacity unbounded owner p0\n");
            text.push_str("mailbox b capacity unbounded owner p0\n");
            text.push_str("process p0 inbox unbounded {\n");
            for _ in 0..1 + g.below(2) {
                let what = ["select a b", "select b a any"][g.below(2) as usize];
                text.push_str(&recv(&mut g, what));
            }
            text.push_str("}\nprocess p1 {\n");
            for i in 0..1 + g.below(2) {
                let to = ["a", "b", "p0"][g.below(3) as usize];
                text.push_str(&format!("  send {to} \"m{i}\"\n"));
            }
            text.push_str("}\n");
        }
        kind => {
            let dynamic = kind == 2;
            if !dynamic {
                text.push_str("mailbox jobs capacity unbounded owner p0 receivers fifo\n");
            }
            text.push_str("process p0 {\n");
            if dynamic {
                text.push_str("  create jobs capacity unbounded receivers fifo\n");
                text.push_str("  grant jobs to p1\n");
            }
            text.push_str("  send jobs \"m0\"\n");
            text.push_str(&recv(&mut g, "receive jobs"));
            text.push_str("}\nprocess p1 {\n");
            if g.below(2) == 0 {
                text.push_str("  send jobs \"m1\"\n");
            }
            text.push_str(&recv(&mut g, "receive jobs"));
            text.push_str("}\n");
        }
    }
    text
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_with_select_and_shared_mailboxes() {
    let (mut cases, mut several, mut selects, mut shared) = (0, 0, 0, 0);
    for seed in 0..40 {
        let text = generated_shared(seed);
        let dpor = search(&text, &all(false, false));
        assert_ne!(dpor.verdict, Verdict::Incomplete, "{text}");
        let Some((_, brute)) = against_brute_force(seed, &text) else {
            continue;
        };
        cases += 1;
        several += usize::from(brute.outcomes.len() > 1);
        selects += usize::from(text.contains("select"));
        shared += usize::from(text.contains("receivers fifo"));
    }
    assert!(
        cases >= 8,
        "only {cases} scenarios small enough for the oracle"
    );
    assert!(
        selects >= 2 && shared >= 2,
        "{selects} with select, {shared} shared"
    );
    assert!(several >= 2, "outcomes vary in only {several} of {cases}");
}

const RACE: &str = "
process writer {
  send reader \"a\"
  send reader \"b\"
}

process reader inbox unbounded {
  receive from writer
  expect bytes \"a\"
  send intruder \"go\"
  receive any
  expect bytes \"b\"
}

process intruder {
  receive from reader
  send reader \"x\"
}
";

#[test]
fn the_first_failure_replays_from_its_schedule() {
    let (target, config) = target("race.sim", RACE);
    let report = dpor(
        &target,
        &config,
        &DporSettings::default(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Failed,
        "{}",
        report.render_text(None)
    );
    let f = &report.failures[0];
    assert!(f.signature.contains("expect failed"), "{}", f.signature);
    let text = f.schedule.render();
    let file = ScheduleFile::parse(&text).expect("reads back");
    let mut replay = config.clone();
    replay.policy = Policy::Replay(Arc::new(file.schedule));
    let run = target.run(replay).unwrap();
    let again = crate::explore::classify(&run).expect("fails again");
    assert_eq!(again.signature, f.signature);
    assert!(report.render_text(None).contains("   | dispatch writer"));
}

#[test]
fn a_correct_protocol_is_complete_and_the_limit_makes_it_incomplete() {
    let text = "
process client count 2 {
  call server \"hi\"
  expect bytes \"ok\"
}
process server {
  repeat 2 {
    receive any
    reply \"ok\"
  }
}
";
    let (target, config) = target("rpc.sim", text);
    let report = dpor(
        &target,
        &config,
        &DporSettings::default(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Complete,
        "{}",
        report.render_text(None)
    );
    assert!(report.interleavings >= 2, "both orders of the two calls");
    assert!(report.verdict_line().starts_with("complete: "));
    let limited = DporSettings {
        max_interleavings: 1,
        ..DporSettings::default()
    };
    let report = dpor(&target, &config, &limited, &Options::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Incomplete);
    assert!(report
        .verdict_line()
        .starts_with("incomplete: stopped at the limit of 1"));
}

#[test]
fn several_cpus_and_faults_are_refused() {
    let (target, mut config) = target("race.sim", RACE);
    config.cpus = 2;
    let err = dpor(
        &target,
        &config,
        &DporSettings::default(),
        &Options::default(),
    )
    .unwrap_err();
    assert!(err.contains("one CPU"), "{err}");
    config.cpus = 1;
    config.kernel.loss_percent = 5;
    let err = dpor(
        &target,
        &config,
        &DporSettings::default(),
        &Options::default(),
    )
    .unwrap_err();
    assert!(err.contains("fault injection"), "{err}");
}

#[test]
fn shards_together_reach_what_one_search_reaches() {
    for seed in [3, 7, 11, 19] {
        let text = generated(seed);
        let (target, config) = target("gen.sim", &text);
        let whole = dpor(&target, &config, &all(false, false), &Options::default()).unwrap();
        for count in [2, 3] {
            let mut union = BTreeSet::new();
            for index in 0..count {
                let options = Options {
                    shard: Some(crate::explore::Shard { index, count }),
                    ..Options::default()
                };
                let part = dpor(&target, &config, &all(false, false), &options).unwrap();
                union.extend(part.outcomes);
            }
            assert_eq!(
                union, whole.outcomes,
                "seed {seed}, {count} shards:\n{text}"
            );
        }
    }
}

#[test]
fn progress_is_told_and_check_dpor_passes_a_correct_program() {
    let told = Arc::new(spin::Mutex::new(Vec::new()));
    let sink = told.clone();
    let options = Options {
        progress: Some(Arc::new(move |p| sink.lock().push(p))),
        ..Options::default()
    };
    let target = Target::new(userland::programs::builtin, "transfer", 0);
    let report = dpor(
        &target,
        &MachineConfig::default(),
        &DporSettings::default(),
        &options,
    )
    .expect("searchable");
    assert_eq!(report.verdict, Verdict::Complete);
    let last = *told.lock().last().expect("told at least at the end");
    assert_eq!(last.done, report.interleavings);
    assert_eq!(last.total, DEFAULT_MAX_INTERLEAVINGS);
    crate::explore::check_dpor(userland::programs::builtin, "transfer", 10_000);
}

#[test]
#[should_panic(expected = "deadlock fails under dpor in interleaving 1: deadlock")]
fn check_dpor_panics_on_a_failing_program() {
    crate::explore::check_dpor(userland::programs::builtin, "deadlock", 10_000);
}

/// A process that polls with `yield` until another has created a mailbox: the search must
/// never make a run in which the creator is passed over for good (it once avoided a process
/// asleep in the search's sleep set at every dispatch of the run, so the poll never ended and
/// one run grew without bound). With a small tick limit per run, such a run would stop the
/// search at that limit instead of the interleavings'.
#[test]
fn a_poll_for_a_process_the_search_avoids_still_ends_every_run() {
    let text = include_str!("../../../../userland/scenarios/private_reply.sim");
    let (target, config) = target("private_reply.sim", text);
    let settings = DporSettings {
        max_interleavings: 200,
        max_run_ticks: 400,
        ..DporSettings::default()
    };
    let report = dpor(&target, &config, &settings, &Options::default()).unwrap();
    assert_eq!(
        report.stopped_at,
        None,
        "a run went on to the tick limit: {}",
        report.verdict_line()
    );
    assert!(report.failures.is_empty(), "{}", report.verdict_line());
    assert!(report.interleavings > 60, "{}", report.verdict_line());
    assert!(report.longest < 100, "{}", report.verdict_line());
}

/// A target that never ends stops the search at the per-run tick limit, as an incomplete
/// search, not as the target's failure; and the limit on runs holds whatever the runs are.
#[test]
fn a_run_that_never_ends_and_too_many_runs_stop_the_search_as_incomplete() {
    let endless = "process spinner {\n  loop {\n    yield\n  }\n}\nprocess other {\n  yield\n}\n";
    let settings = DporSettings {
        max_run_ticks: 300,
        ..DporSettings::default()
    };
    let report = search(endless, &settings);
    assert_eq!(report.verdict, Verdict::Incomplete);
    assert_eq!(report.runs, 1);
    assert!(report.failures.is_empty());
    assert!(
        report
            .verdict_line()
            .starts_with("incomplete: stopped at the limit of 300 ticks in one run"),
        "{}",
        report.verdict_line()
    );

    let text = "process a {\n  yield\n  yield\n}\nprocess b {\n  yield\n  yield\n}\n";
    let few = DporSettings {
        max_runs: Some(2),
        exhaustive: true,
        ..DporSettings::default()
    };
    let report = search(text, &few);
    assert_eq!(report.verdict, Verdict::Incomplete, "{text}");
    assert_eq!(report.runs, 2);
    assert!(
        report
            .verdict_line()
            .starts_with("incomplete: stopped at the limit of 2 runs"),
        "{}",
        report.verdict_line()
    );
}

/// Under a preemption bound the search must reach every outcome that some schedule with at
/// most that many preemptions reaches (brute force under the same bound), and none other;
/// and it must run fewer interleavings than that brute force on some scenario, or the
/// bound's reduction is idle.
#[test]
fn a_bounded_search_reaches_every_outcome_within_its_bound() {
    let (mut cases, mut reduced, mut grew) = (0, 0, 0);
    // Generated scenarios, and one where the order of arrivals needs a preemption: `a b`
    // from p1 with `c` from p2 between them.
    let interleaved = "process p0 inbox unbounded {\n  repeat 3 {\n    receive any\n    \
        print \"{msg}\"\n  }\n}\nprocess p1 {\n  send p0 \"a\"\n  send p0 \"b\"\n}\n\
        process p2 {\n  send p0 \"c\"\n}\n";
    for seed in 0..25 {
        let text = match seed {
            24 => interleaved.to_string(),
            _ => generated(seed),
        };
        let mut previous: Option<usize> = None;
        // The hand-written one is longer than the oracle's usual reach but has few schedules
        // within a bound of 1.
        let (bounds, longest) = match seed {
            24 => (0..=1, usize::MAX),
            _ => (0..=2, BRUTE_STEPS),
        };
        for k in bounds {
            let bounded = |exhaustive: bool| DporSettings {
                max_interleavings: BRUTE_LIMIT,
                preemptions: Some(k),
                ..all(exhaustive, false)
            };
            let brute = search(&text, &bounded(true));
            if brute.verdict == Verdict::Incomplete || brute.longest > longest {
                break;
            }
            let dpor = search(&text, &bounded(false));
            assert_eq!(dpor.verdict, brute.verdict, "bound {k}:\n{text}");
            assert_eq!(
                dpor.outcomes, brute.outcomes,
                "seed {seed}, bound {k}: the bounded search and brute force disagree on\n{text}"
            );
            assert!(dpor
                .verdict_line()
                .contains(&format!("preemption bound {k}")));
            cases += 1;
            reduced += usize::from(dpor.interleavings < brute.interleavings);
            grew += usize::from(previous.is_some_and(|p| p < brute.outcomes.len()));
            previous = Some(brute.outcomes.len());
        }
    }
    assert!(
        cases >= 20,
        "only {cases} bounded cases within the oracle's reach"
    );
    assert!(
        reduced * 2 > cases,
        "fewer interleavings in {reduced} of {cases}"
    );
    assert!(
        grew > 0,
        "no scenario reaches more outcomes with a larger bound"
    );
}
