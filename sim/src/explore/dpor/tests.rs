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
/// once the two reach the same verdict and exactly the same outcomes, DPOR runs no more
/// interleavings, and two and three shards of the search together reach the same outcomes
/// too; `None` for a scenario out of the oracle's reach.
fn against_brute_force(seed: u64, text: &str) -> Option<(DporReport, DporReport)> {
    against_brute_force_within(seed, text, BRUTE_LIMIT).map(|(dpor, brute, _)| (dpor, brute))
}

/// [`against_brute_force`] with brute force held to `limit` schedules, so that a family of
/// scenarios whose runs are long stays within a test's time.
/// The third member says whether two shards split the search, each running some of it.
fn against_brute_force_within(
    seed: u64,
    text: &str,
    limit: u64,
) -> Option<(DporReport, DporReport, bool)> {
    let dpor = search(text, &all(false, false));
    if dpor.longest > BRUTE_STEPS {
        return None;
    }
    let settings = DporSettings {
        max_interleavings: limit,
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
    let mut split = false;
    for count in [2, 3] {
        let (outcomes, busy) = sharded(text, count);
        assert_eq!(
            outcomes, brute.outcomes,
            "seed {seed}: {count} shards together and brute force disagree on\n{text}"
        );
        split |= count == 2 && busy == 2;
    }
    Some((dpor, brute, split))
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
    // Splits where more than one shard had interleavings to run: the split is real.
    let mut shared = 0;
    for seed in [3, 7, 11, 19] {
        let text = generated(seed);
        let whole = search(&text, &all(false, false));
        for count in [2, 3] {
            let (union, busy) = sharded(&text, count);
            shared += usize::from(busy > 1);
            assert_eq!(
                union, whole.outcomes,
                "seed {seed}, {count} shards:\n{text}"
            );
        }
    }
    assert!(
        shared >= 4,
        "only {shared} of 8 splits gave work to several shards"
    );
}

#[test]
fn the_plan_gives_every_piece_to_one_shard_and_claims_give_each_to_its_first_claimer() {
    let text = generated(19);
    let whole = search(&text, &all(false, false));
    // By the plan's estimates: each piece to exactly one shard.
    for count in [2, 3] {
        let parts: Vec<DporReport> = (0..count)
            .map(|i| shard(&text, i, count, &all(false, false)))
            .collect();
        let total = parts[0].pieces_total;
        assert!(total >= count, "{count} shards, {total} pieces");
        let mut taken: Vec<u64> = parts.iter().flat_map(|p| p.pieces.clone()).collect();
        taken.sort_unstable();
        assert_eq!(taken, (0..total).collect::<Vec<_>>(), "{count} shards");
        assert!(parts.iter().all(|p| p.pieces_total == total));
    }
    // Through a claims directory: here one shard after the other, so the first takes every
    // piece and the second none, and together they still reach what the whole search does.
    let dir = std::env::temp_dir().join(format!("sim-dpor-claims-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let claiming = DporSettings {
        claims: Some(dir.clone()),
        ..all(false, false)
    };
    let first = shard(&text, 0, 2, &claiming);
    let second = shard(&text, 1, 2, &claiming);
    assert_eq!(first.pieces.len() as u64, first.pieces_total);
    assert!(second.pieces.is_empty(), "{:?}", second.pieces);
    let mut union = first.outcomes.clone();
    union.extend(second.outcomes);
    assert_eq!(union, whole.outcomes);
    // Claims left from that run: another run of the same search takes nothing.
    let again = shard(&text, 0, 2, &claiming);
    assert!(again.pieces.is_empty() && again.interleavings == 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn merge_refuses_results_of_different_splits_and_names_what_is_missing() {
    // A shard's summary line, as `--format json` writes it, with what merge reads.
    let result = |shard: &str, bound: Option<u32>, pieces: &[u64], total: u64| {
        let summary = serde_json::json!({
            "type": "summary", "verdict": "complete", "shard": shard,
            "preemptions": bound, "interleavings": 1, "pruned": 0, "seconds": 0.1,
            "pieces": pieces, "pieces_total": total,
        });
        (format!("shard-{shard}.json"), summary.to_string())
    };
    let both = merge(&[
        result("0/2", None, &[0, 2], 3),
        result("1/2", None, &[1], 3),
    ])
    .unwrap();
    assert_eq!(both.verdict, Verdict::Complete, "{both:?}");
    let refused = |results: &[(String, String)], why: &str| {
        let err = merge(results).unwrap_err();
        assert!(err.contains(why), "{err}");
    };
    refused(
        &[result("0/2", None, &[0], 2), result("0/2", None, &[1], 2)],
        "given twice",
    );
    refused(
        &[result("0/2", None, &[0], 2), result("1/3", None, &[1], 2)],
        "a split into 3",
    );
    refused(
        &[
            result("0/2", Some(1), &[0], 2),
            result("1/2", None, &[1], 2),
        ],
        "searched with",
    );
    refused(
        &[result("0/2", None, &[0], 2), result("1/2", None, &[1], 3)],
        "cut into 3 pieces",
    );
    let short = merge(&[result("0/2", None, &[0], 3), result("1/2", None, &[1], 3)]).unwrap();
    assert_eq!(short.verdict, Verdict::Incomplete);
    assert!(
        short.missing[0].starts_with("1 of the 3 pieces searched by no shard (2)"),
        "{short:?}"
    );
    let absent = merge(&[result("0/2", None, &[0, 1], 2)]).unwrap();
    assert_eq!(absent.missing, ["shard 1/2 missing"]);
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
    // Polls grow one trip at a time (docs/exploration.md), so 200 interleavings stay well
    // short of the per-run limit: the starving policy made one run reach it.
    assert!(report.longest * 2 < 400, "{}", report.verdict_line());
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

/// What the oracle made of one family of generated scenarios.
#[derive(Debug, Default)]
struct Tally {
    /// Scenarios DPOR and brute force both covered, and agreed on.
    checked: usize,
    /// Scenarios out of the oracle's reach.
    skipped: usize,
    /// Scenarios where DPOR ran fewer interleavings than brute force.
    reduced: usize,
    /// Scenarios with more than one outcome.
    several: usize,
    /// Scenarios where the wrong dependence relation missed an outcome.
    lost: usize,
    /// Scenarios whose search two shards split, each running some of it.
    split: usize,
    /// Interleavings run in all, by DPOR and by brute force.
    dpor_interleavings: u64,
    brute_interleavings: u64,
    /// For each feature the family is about, how many checked scenarios use it.
    features: BTreeMap<&'static str, usize>,
}

/// Hold DPOR to brute force on `generate(seed)` for every seed, brute force within `limit`
/// schedules, and the wrong dependence relation beside it; then require that the family was
/// covered: enough scenarios checked, each of `features` (text a scenario contains when it
/// uses the feature) in at least two of them, outcomes that vary, and the mutation caught.
/// The family's name is in every message, so a failure says which family it is.
fn hold_family(
    family: &str,
    seeds: std::ops::Range<u64>,
    limit: u64,
    features: &[&'static str],
    generate: fn(u64) -> String,
) {
    let mut tally = Tally {
        features: features.iter().map(|f| (*f, 0)).collect(),
        ..Tally::default()
    };
    let seeds_given = seeds.end - seeds.start;
    for seed in seeds {
        let text = format!("# {family}\n{}", generate(seed));
        let Some((dpor, brute, split)) = against_brute_force_within(seed, &text, limit) else {
            tally.skipped += 1;
            continue;
        };
        tally.checked += 1;
        tally.reduced += usize::from(dpor.interleavings < brute.interleavings);
        tally.several += usize::from(brute.outcomes.len() > 1);
        tally.dpor_interleavings += dpor.interleavings;
        tally.brute_interleavings += brute.interleavings;
        tally.lost += usize::from(search(&text, &all(false, true)).outcomes != brute.outcomes);
        tally.split += usize::from(split);
        for (feature, n) in tally.features.iter_mut() {
            *n += usize::from(text.contains(feature));
        }
    }
    eprintln!("{family}: {tally:?}");
    assert!(
        tally.checked as u64 * 3 >= seeds_given * 2,
        "{family}: too few scenarios within the oracle's reach: {tally:?}"
    );
    assert!(
        tally.features.values().all(|n| *n >= 2),
        "{family}: a feature is not covered: {tally:?}"
    );
    assert!(
        tally.several * 4 >= tally.checked,
        "{family}: outcomes vary in too few scenarios: {tally:?}"
    );
    assert!(
        tally.reduced * 2 >= tally.checked,
        "{family}: the reduction reduces too rarely: {tally:?}"
    );
    assert!(
        tally.lost > 0,
        "{family}: the oracle does not catch an unsound dependence relation: {tally:?}"
    );
    assert!(
        tally.split * 2 >= tally.checked,
        "{family}: two shards split too few searches: {tally:?}"
    );
}

/// The outcomes `count` shards of the search of `text` reach together, and how many of
/// them ran an interleaving.
fn sharded(text: &str, count: u64) -> (BTreeSet<RunOutcome>, usize) {
    let mut union = BTreeSet::new();
    let mut busy = 0;
    for index in 0..count {
        let part = shard(text, index, count, &all(false, false));
        busy += usize::from(part.interleavings > 0);
        union.extend(part.outcomes);
    }
    (union, busy)
}

/// Shard `index` of `count` of the search of `text` under `settings`.
fn shard(text: &str, index: u64, count: u64, settings: &DporSettings) -> DporReport {
    let (target, config) = target("gen.sim", text);
    let options = Options {
        shard: Some(crate::explore::Shard { index, count }),
        ..Options::default()
    };
    dpor(&target, &config, settings, &options).unwrap()
}

/// A draw that comes true once in `n`, on average.
fn one_in(g: &mut Gen, n: u64) -> bool {
    g.below(n) == 0
}

/// A process that does `ops` in order. Each arrives at tick 0 (`arrive 0`): it takes no start
/// message from `init` and joins once `init` is done, so `init`'s set-up is one step that no
/// other interleaves with, and brute force only runs the schedules of the scenario itself.
/// What its statements got they note in `r` (a `let`, which makes no syscall, so no step of
/// its own), printed once at the end.
fn process(name: &str, attributes: &str, ops: &[String]) -> String {
    let mut text = format!("process {name}{attributes} arrive 0 {{\n");
    let noted = ops.iter().any(|op| op.contains("let r "));
    if noted {
        text.push_str("  let r \"\"\n");
    }
    let last = noted.then(|| "print \"{name}:{r}\"".to_string());
    let ops = ops.iter().chain(last.as_ref());
    for op in ops {
        for line in op.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text.push_str("}\n");
    text
}

/// Which messages each process sends to which: `count` messages between `n` processes,
/// most to `p0`, each `(from, to, label)`.
fn messages(g: &mut Gen, n: u64, count: u64) -> Vec<(usize, usize, String)> {
    (0..count)
        .map(|i| {
            let from = g.below(n);
            let to = match from != 0 && !one_in(g, 3) {
                true => 0,
                false => (from + 1 + g.below(n - 1)) % n,
            };
            (from as usize, to as usize, format!("m{i}"))
        })
        .collect()
}

/// Each process's sends (from `messages`) and `receives` receives, shuffled together but
/// each kind in its order.
fn interleave(g: &mut Gen, sends: Vec<String>, receives: Vec<String>) -> Vec<String> {
    let (mut s, mut r) = (
        sends.into_iter().peekable(),
        receives.into_iter().peekable(),
    );
    let mut ops = Vec::new();
    loop {
        match (s.peek().is_some(), r.peek().is_some()) {
            (false, false) => return ops,
            (true, true) if one_in(g, 2) => ops.extend(r.next()),
            (true, _) => ops.extend(s.next()),
            (false, true) => ops.extend(r.next()),
        }
    }
}

/// Blocking sends to bounded inboxes (capacity 0, a rendezvous, or 1): a sender waits for
/// room (an append that blocks) and the receiver's take releases it. 3 processes, 2 or 3
/// messages, each receiver receiving as many as it is sent (now and then one fewer, so a
/// sender stays blocked), noting what it got.
fn generated_bounded(seed: u64) -> String {
    let mut g = Gen(seed);
    let n = 3;
    // Two senders to one receiver, whose order of arrival is an outcome of its own, and
    // now and then one more message anywhere.
    let mut sent = vec![(1, 0, "m0".to_string()), (2, 0, "m1".to_string())];
    if one_in(&mut g, 2) {
        let (from, to, _) = messages(&mut g, n, 1).remove(0);
        sent.push((from, to, "m2".to_string()));
    }
    let short = one_in(&mut g, 5);
    let mut text = String::new();
    for p in 0..n as usize {
        let sends = sent
            .iter()
            .filter(|(from, ..)| *from == p)
            .map(|(_, to, m)| format!("send p{to} \"{m}\""))
            .collect();
        let mut count = sent.iter().filter(|(_, to, _)| *to == p).count();
        if short && p == 0 {
            count = count.saturating_sub(1);
        }
        let receives = (0..count)
            .map(|_| "receive any\nlet r \"{r} got {msg}\"".to_string())
            .collect();
        let ops = interleave(&mut g, sends, receives);
        let capacity = g.below(2);
        text.push_str(&process(
            &format!("p{p}"),
            &format!(" inbox {capacity}"),
            &ops,
        ));
    }
    text
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_with_bounded_inboxes() {
    hold_family(
        "bounded inboxes",
        0..20,
        4_000,
        &["inbox 0", "inbox 1"],
        generated_bounded,
    );
}

/// Calls and replies, and selective receives: a server `p0` (inbox 0, 1 or unbounded)
/// receives any and replies, now and then receiving the next message `from sender` or from
/// a named client; its clients call it (printing the reply they got) or send to it (and a
/// reply to a send is dropped, or answers the sender's next call if it is waiting in one
/// by then).
fn generated_rpc(seed: u64) -> String {
    let mut g = Gen(seed);
    let clients = 2;
    let mut requests = 0;
    let mut text = String::new();
    let mut bodies = Vec::new();
    for c in 1..=clients {
        let mut ops = Vec::new();
        for k in 0..1 + u64::from(c == 1 && one_in(&mut g, 3)) {
            requests += 1;
            ops.push(match g.below(3) {
                0 => format!("send p0 \"n{c}{k}\""),
                _ => format!("call p0 \"c{c}{k}\"\nlet r \"{{r}} got {{reply}}\""),
            });
        }
        bodies.push(ops);
    }
    let mut server = Vec::new();
    for r in 0..requests {
        let receive = match g.below(4) {
            0 if r > 0 => "receive from sender".to_string(),
            1 => format!("receive from p{}", 1 + g.below(clients as u64)),
            _ => "receive any".to_string(),
        };
        server.push(format!(
            "{receive}\nlet r \"{{r}} got {{msg}}\"\nreply \"re {{msg}}\""
        ));
    }
    let inbox = ["0", "1", "unbounded"][g.below(3) as usize];
    text.push_str(&process("p0", &format!(" inbox {inbox}"), &server));
    for (c, ops) in bodies.iter().enumerate() {
        text.push_str(&process(&format!("p{}", c + 1), "", ops));
    }
    text
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_with_calls_and_selective_receives() {
    hold_family(
        "calls",
        0..30,
        4_000,
        &[
            "call p0",
            "send p0",
            "receive from sender",
            "receive from p",
        ],
        generated_rpc,
    );
}

/// What a statement that may fail did, printed: `what` when it succeeded, else the error
/// (the ones a send or a receive of these scenarios can get).
fn outcome(statement: &str, what: &str) -> String {
    format!(
        "{statement}\nif ok {{\n  let r \"{{r}} {what}\"\n}} else {{\n  if timed_out {{\n    let r \"{{r}} timed out\"\n  }} else {{\n    let r \"{{r}} failed\"\n  }}\n}}"
    )
}

/// Sends and receives that do not wait, or wait a while: `nonblocking`, `timeout 0` and
/// `timeout N`, beside blocking ones, on inboxes of capacity 0, 1 or unbounded. Whether one
/// succeeds depends on whether the other side got there first, so they stay dependent on
/// what they look at.
fn generated_timed(seed: u64) -> String {
    let mut g = Gen(seed);
    let n = 2 + u64::from(one_in(&mut g, 3));
    let count = 2 + g.below(2);
    let sent = messages(&mut g, n, count);
    let mode = |g: &mut Gen| {
        ["", " nonblocking", " timeout 0", " timeout 1", " timeout 3"][g.below(5) as usize]
    };
    let mut text = String::new();
    for p in 0..n as usize {
        let sends = sent
            .iter()
            .filter(|(from, ..)| *from == p)
            .map(|(_, to, m)| {
                outcome(
                    &format!("send p{to} \"{m}\"{}", mode(&mut g)),
                    &format!("sent {m}"),
                )
            })
            .collect();
        let count = sent.iter().filter(|(_, to, _)| *to == p).count();
        let receives = (0..count)
            .map(|_| outcome(&format!("receive any{}", mode(&mut g)), "got {msg}"))
            .collect();
        let ops = interleave(&mut g, sends, receives);
        let inbox = ["0", "1", "unbounded"][g.below(3) as usize];
        text.push_str(&process(&format!("p{p}"), &format!(" inbox {inbox}"), &ops));
    }
    text
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_with_nonblocking_and_timed_operations() {
    hold_family(
        "timed",
        0..30,
        4_000,
        &["nonblocking", "timeout 0", "timeout 1", "timeout 3"],
        generated_timed,
    );
}

/// Mailboxes: an `owner_only` one of capacity 1 with each overflow (`block`, `fail`,
/// `drop_newest`, `drop_oldest`), which a sender (now and then two) fills while the owner
/// receives, blocking first and then without waiting; or a shared one (`receivers fifo`,
/// capacity 0, 1 or unbounded) whose owner and a second receiver compete for what the
/// owner (now and then a third process too) sends.
fn generated_mailboxes(seed: u64) -> String {
    let mut g = Gen(seed);
    let mut text = String::new();
    let send = |g: &mut Gen, m: &str| match g.below(3) {
        0 => outcome(
            &format!("send box \"{m}\" nonblocking"),
            &format!("sent {m}"),
        ),
        1 => outcome(&format!("send box \"{m}\""), &format!("sent {m}")),
        _ => format!("send box \"{m}\""),
    };
    let third = one_in(&mut g, 4);
    match g.below(5) {
        4 => {
            let capacity = ["0", "1", "unbounded"][g.below(3) as usize];
            text.push_str(&format!(
                "mailbox box capacity {capacity} owner p0 receivers fifo\n"
            ));
            let receive = |g: &mut Gen| match g.below(3) {
                0 => outcome("receive box nonblocking", "got {msg}"),
                _ => "receive box\nlet r \"{r} got {msg}\"".to_string(),
            };
            // At capacity 0 the owner's own send waits for a receiver: the other one.
            let p0 = vec![send(&mut g, "m0"), receive(&mut g)];
            let mut p1 = vec![receive(&mut g)];
            if !third {
                p1.push(send(&mut g, "m1"));
            }
            text.push_str(&process("p0", "", &p0));
            text.push_str(&process("p1", "", &p1));
            if third {
                text.push_str(&process("p2", "", &[send(&mut g, "m1")]));
            }
        }
        overflow => {
            let overflow = ["block", "fail", "drop_newest", "drop_oldest"][overflow as usize];
            text.push_str(&format!(
                "mailbox box capacity 1 owner p0 overflow {overflow}\n"
            ));
            let p0 = vec![
                "receive box\nlet r \"{r} got {msg}\"".to_string(),
                outcome("receive box nonblocking", "then {msg}"),
            ];
            let mut p1 = vec![send(&mut g, "a0")];
            if !third {
                p1.push(send(&mut g, "a1"));
            }
            text.push_str(&process("p0", "", &p0));
            text.push_str(&process("p1", "", &p1));
            if third {
                text.push_str(&process("p2", "", &[send(&mut g, "b0")]));
            }
        }
    }
    text
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_with_bounded_and_shared_mailboxes() {
    hold_family(
        "mailboxes",
        0..30,
        4_000,
        &[
            "overflow block",
            "overflow fail",
            "overflow drop_newest",
            "overflow drop_oldest",
            "receivers fifo",
        ],
        generated_mailboxes,
    );
}

/// Rights, in capability mode (`set capabilities on`) now and then: `p0` creates a mailbox
/// and gives `p1` a send right on it (`grant_send`) or passes one in a message (`pass send`),
/// or transfers a boot mailbox to `p1`; the others send to it (failing without a right) and
/// receive from it (failing with `not_owner` before or after it is theirs). `p1` waits for
/// its right (or a `go`) before it sends; a third process `p2` sends by name at once, before
/// or after `p0` has created the mailbox and bound its name.
fn generated_rights(seed: u64) -> String {
    let mut g = Gen(seed);
    let mut text = String::new();
    let capabilities = !one_in(&mut g, 4);
    if capabilities {
        text.push_str("set capabilities on\n");
    }
    let send = |g: &mut Gen, m: &str| {
        let mode = [" nonblocking", " timeout 0", ""][g.below(3) as usize];
        outcome(&format!("send box \"{m}\"{mode}"), &format!("sent {m}"))
    };
    let receive = |g: &mut Gen| {
        let mode = [" nonblocking", " timeout 0"][g.below(2) as usize];
        outcome(&format!("receive box{mode}"), "got {msg}")
    };
    let go = "receive any\nlet r \"{r} got {msg}\"".to_string();
    let third = one_in(&mut g, 3);
    match g.below(3) {
        0 => {
            let mut p0 = vec![
                "create box capacity 1".to_string(),
                "send p1 \"go\"".to_string(),
            ];
            p0.push("grant_send box to p1".to_string());
            p0.push(receive(&mut g));
            text.push_str(&process("p0", "", &p0));
            text.push_str(&process("p1", " inbox 1", &[go.clone(), send(&mut g, "a")]));
            if third {
                text.push_str(&process("p2", "", &[send(&mut g, "b")]));
            }
        }
        1 => {
            let mut p0 = vec![
                "create box capacity 1".to_string(),
                "pass send box to p1 \"right\"".to_string(),
            ];
            p0.push(receive(&mut g));
            text.push_str(&process("p0", "", &p0));
            text.push_str(&process("p1", " inbox 1", &[go.clone(), send(&mut g, "a")]));
            if third {
                text.push_str(&process("p2", "", &[send(&mut g, "b")]));
            }
        }
        _ => {
            // The owner sends too: in capability mode `init` gives it a send right for that.
            text.push_str("mailbox box capacity 1 owner p0\n");
            let mut p0 = vec!["transfer box to p1".to_string()];
            p0.push(match one_in(&mut g, 2) {
                true => outcome("receive box nonblocking", "got {msg}"),
                false => send(&mut g, "a"),
            });
            text.push_str(&process("p0", "", &p0));
            text.push_str(&process("p1", "", &[receive(&mut g)]));
            if third {
                text.push_str(&process("p2", "", &[send(&mut g, "b")]));
            }
        }
    }
    text
}

#[test]
fn dpor_reaches_every_outcome_of_every_schedule_with_rights_and_transfers() {
    hold_family(
        "rights",
        0..30,
        2_500,
        &["set capabilities on", "grant_send", "pass send", "transfer"],
        generated_rights,
    );
}

/// A process that times out depends on the steps of others before it arms its timer (each
/// takes time): here `p0` times out only when `p1`'s print runs after `p0`'s timed receive
/// starts, two steps that touch nothing in common but the clock.
const TIMEOUT_RACE: &str = "
process p0 inbox unbounded arrive 0 {
  receive any
  print \"{name} got {msg}\"
  receive any timeout 3
  if ok {
    print \"{name} got {msg}\"
  } else {
    print \"{name} timed out\"
  }
}
process p1 inbox 0 arrive 0 {
  send p0 \"m0\" nonblocking
  print \"{name} sent m0\"
  send p0 \"m1\" nonblocking
  print \"{name} sent m1\"
}
";

/// Scenarios on which DPOR once missed outcomes that brute force found, each kept as it was
/// found.
#[test]
fn dpor_reaches_the_outcomes_it_once_missed() {
    let (_, brute) = against_brute_force(0, TIMEOUT_RACE).expect("within the oracle's reach");
    assert_eq!(brute.outcomes.len(), 2, "{:?}", brute.outcomes);
}

/// A mailbox's name is bound in the step after its create, in memory the trace does not
/// show: a send by name before that step fails, one after it reaches the mailbox.
const UNBOUND_NAME_RACE: &str = "
set capabilities on
process p0 arrive 0 {
  create box capacity 1
  grant_send box to p1
  receive box nonblocking
  print \"{name} {msg}\"
}
process p1 arrive 0 {
  send box \"a\" nonblocking
  if ok {
    print \"{name} sent a\"
  } else {
    print \"{name} failed\"
  }
}
";

/// Two senders to a rendezvous inbox received twice: which arrives first is an outcome.
const RENDEZVOUS_RACE: &str = "
process p0 inbox 0 arrive 0 {
  receive any
  print \"{name} got {msg}\"
  receive any
  print \"{name} got {msg}\"
}
process p1 inbox 1 arrive 0 {
  send p0 \"m0\"
}
process p2 inbox 1 arrive 0 {
  send p0 \"m1\"
  send p0 \"m2\"
}
";

/// Sends with `timeout 0` into a full inbox of capacity 1, and a timed receive.
const FULL_INBOX_RACE: &str = "
process p0 inbox 1 arrive 0 {
  send p1 \"m0\" timeout 0
  print \"{name} sent m0\"
  send p1 \"m2\" timeout 0
  if ok {
    print \"{name} sent m2\"
  } else {
    print \"{name} timed out\"
  }
}
process p1 inbox 1 arrive 0 {
  receive any
  print \"{name} got {msg}\"
  receive any timeout 3
  if ok {
    print \"{name} got {msg}\"
  } else {
    print \"{name} timed out\"
  }
  send p0 \"m1\" timeout 1
  if ok {
    print \"{name} sent m1\"
  } else {
    print \"{name} failed\"
  }
}
";

/// The same, for scenarios where the outcome missed needs the search to analyse, for races
/// with earlier steps, the step it chose at a backtrack point.
#[test]
fn dpor_reaches_the_outcomes_it_misses_without_analysing_its_backtrack_steps() {
    for (seed, text, outcomes) in [
        (1, UNBOUND_NAME_RACE, 3),
        (2, RENDEZVOUS_RACE, 3),
        (3, FULL_INBOX_RACE, 5),
    ] {
        let (_, brute) = against_brute_force(seed, text).expect("within the oracle's reach");
        assert_eq!(brute.outcomes.len(), outcomes, "{text}");
    }
}

/// Two senders' messages to one inbox commute when the receive that takes the first of them
/// names its sender (and so cannot take the other's): the search runs one interleaving
/// where brute force finds one outcome. Where the other message could matter (a third
/// sender whose message stays queued, and a `receive any` that takes one of two), their
/// order stays a race, and the search reaches both outcomes.
#[test]
fn appends_commute_when_the_earlier_receive_names_another_sender() {
    let named = "process r arrive 0 inbox unbounded {\n  receive from p1\n  print \"{msg}\"\n  \
        receive any\n  print \"{msg}\"\n}\nprocess p1 arrive 0 {\n  send r \"a\"\n}\n\
        process p2 arrive 0 {\n  send r \"b\"\n}\n";
    let (dpor, brute) = against_brute_force(1, named).expect("within the oracle's reach");
    assert_eq!(
        (dpor.interleavings, brute.outcomes.len()),
        (1, 1),
        "{named}"
    );
    assert!(brute.interleavings > 100, "{}", brute.verdict_line());
    let any = "process r arrive 0 inbox unbounded {\n  receive from p1\n  receive any\n  \
        print \"{msg}\"\n}\nprocess p1 arrive 0 {\n  send r \"a\"\n}\nprocess p2 arrive 0 {\n  \
        send r \"b\"\n}\nprocess p3 arrive 0 {\n  send r \"c\"\n}\n";
    let (dpor, brute) = against_brute_force(2, any).expect("within the oracle's reach");
    assert_eq!(brute.outcomes.len(), 2, "{any}");
    assert!(dpor.interleavings >= 2, "{}", dpor.verdict_line());
}
