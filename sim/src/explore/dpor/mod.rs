//! Systematic exploration with dynamic partial-order reduction: every interleaving of a
//! target's steps, up to equivalence, or the first one that fails.
//!
//! This module owns the search ([`dpor`]): source-set DPOR with sleep sets (Abdulla,
//! Aronis, Jonsson, Sagonas, "Optimal Dynamic Partial Order Reduction", POPL 2014, its
//! Algorithm 1; not the optimal variant with wakeup trees), run statelessly: every
//! interleaving is a fresh run of the kernel's [`Policy::Directed`] policy, which follows a
//! prefix of decisions and then a default, and whose trace says what each step touched
//! (`steps.rs`). It also owns the oracle the tests hold it to ([`DporSettings::exhaustive`]:
//! every schedule, no reduction), the preemption-bounded variant (bounded partial-order
//! reduction), the split of the search into shards, and the report.
//!
//! It never changes how the kernel runs: a step is the work between two of the kernel's
//! scheduling points (docs/exploration.md), and what the search finds replays with the
//! kernel's `Replay` policy from an ordinary schedule file. Nothing here reads the wall
//! clock except to say how long it took and to pace the progress callback.

mod report;
mod steps;

pub use report::{merge, DporFailure, DporReport, Merged, Verdict};
pub use steps::RunOutcome;

use super::{record, Options, Progress, ScheduleFile, Target};
use crate::{MachineConfig, Policy, RunQueues};
use kernel::sched::directed::Plan;
use kernel::sched::replay::Who;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use steps::{Access, Obj, Procs, Step, P};

/// How many interleavings a search runs at most when not told.
pub const DEFAULT_MAX_INTERLEAVINGS: u64 = 100_000;

/// How many ticks one run of the search may take when not told (less, if the
/// configuration's own tick limit is lower). Each run is traced and analysed in full, so
/// this bounds one run's time and memory; a run that reaches it stops the search.
pub const DEFAULT_MAX_RUN_TICKS: abi::Ticks = 1_000;

/// How many runs of the machine a search makes at most, per interleaving it may count
/// ([`DporSettings::max_interleavings`]), when not told: runs abandoned in a sleep set,
/// re-runs and runs through other shards' subtrees count too.
pub const DEFAULT_RUNS_PER_INTERLEAVING: u64 = 10;

/// How to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DporSettings {
    /// Stop after this many interleavings (verdict [`Verdict::Incomplete`]).
    pub max_interleavings: u64,
    /// Stop when one run reaches this tick (verdict [`Verdict::Incomplete`]): the search
    /// cannot tell what such a run would have come to. A configuration's lower
    /// `max_ticks` wins, and a run that reaches *that* is a failure (`tick limit`), as
    /// for every strategy.
    pub max_run_ticks: abi::Ticks,
    /// Stop after this many runs of the machine in all (verdict [`Verdict::Incomplete`]);
    /// `None`: [`DEFAULT_RUNS_PER_INTERLEAVING`] times `max_interleavings`.
    pub max_runs: Option<u64>,
    /// Go on past failures, collecting every distinct one (and every outcome), instead of
    /// stopping at the first.
    pub keep_going: bool,
    /// No reduction: run every schedule, each choice at each scheduling point. The oracle
    /// the reduction is tested against; exponential.
    pub exhaustive: bool,
    /// A deliberately wrong dependence relation (every two steps of different processes
    /// treated as independent), so the tests can show that the oracle catches an unsound
    /// reduction.
    #[doc(hidden)]
    pub forget_dependence: bool,
    /// Explore only interleavings with at most this many preemptions (a switch away from
    /// the process that ran last while it could still run, not after it gave way), as loom
    /// and CHESS bound them; `None`: every interleaving. Under a bound the search backtracks
    /// conservatively (also at the start of the last process's run of steps) and keeps no
    /// sleep sets, which a bound would make unsound.
    pub preemptions: Option<u32>,
}

impl Default for DporSettings {
    fn default() -> Self {
        DporSettings {
            max_interleavings: DEFAULT_MAX_INTERLEAVINGS,
            max_run_ticks: DEFAULT_MAX_RUN_TICKS,
            max_runs: None,
            keep_going: false,
            exhaustive: false,
            forget_dependence: false,
            preemptions: None,
        }
    }
}

/// Why a configuration cannot be searched soundly, or `None` if it can.
pub fn unsupported(config: &MachineConfig) -> Option<String> {
    if config.cpu_count() > 1 {
        return Some(format!(
            "dpor explores one CPU: steps of several CPUs overlap in time, which its model of one \
             step after another does not cover (this configuration has {} CPUs)",
            config.cpu_count()
        ));
    }
    if !config.faults.is_empty()
        || config.kernel.loss_percent > 0
        || !config.kernel.kill_at_syscall.is_empty()
    {
        return Some(
            "dpor does not explore fault injection: lost, delayed and killed messages are choices \
             of the fault seed, not of the schedule (explore faults with --strategy random or pct \
             and --vary-fault-seed)"
                .to_string(),
        );
    }
    if config.run_queues != RunQueues::Global {
        return Some("dpor needs the global run queue (run_queues global)".to_string());
    }
    None
}

/// A node of the search: one scheduling point of the current interleaving.
#[derive(Clone, Debug)]
struct Node {
    /// Who could run here.
    enabled: Vec<P>,
    /// Who runs here in the current interleaving.
    chosen: P,
    /// What that step touched.
    touched: Vec<(Obj, Access)>,
    /// Whether that step gave way (`yield`): it wakes every sleeper ([`wakes`]).
    yielded: bool,
    /// Who must (also) run here: the source set so far.
    backtrack: BTreeSet<P>,
    /// Who already ran here in earlier interleavings, with what their step touched.
    done: Vec<(P, Vec<(Obj, Access)>)>,
    /// Who need not run here: what they would do is covered elsewhere.
    sleep: Vec<(P, Vec<(Obj, Access)>)>,
    /// A level above a sharded search's split depth that offers a choice: every choice is
    /// taken, and each combination of them is a subtree.
    split: bool,
    /// Preemptions in the interleaving before this node's choice.
    preemptions: u32,
}

/// Whether running `who` at node `t` preempts: the process that ran at `t - 1` could run on
/// and did not give way.
fn preempts(stack: &[Node], t: usize, enabled: &[P], who: P) -> bool {
    t.checked_sub(1)
        .and_then(|p| stack.get(p))
        .is_some_and(|prev| !prev.yielded && prev.chosen != who && enabled.contains(&prev.chosen))
}

/// Whether running `who` at node `t` (where `enabled` could run, after `before` preemptions)
/// keeps the interleaving within `bound` preemptions.
fn within(
    stack: &[Node],
    t: usize,
    enabled: &[P],
    before: u32,
    who: P,
    bound: Option<u32>,
) -> bool {
    bound.is_none_or(|k| before + u32::from(preempts(stack, t, enabled, who)) <= k)
}

/// Dependence: two steps of different processes are dependent when they touch a common
/// object in conflicting ways (see `Obj` and `Access`).
fn dependent(a: &[(Obj, Access)], b: &[(Obj, Access)], forget: bool) -> bool {
    if forget {
        return false;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if a[i].1.conflicts(b[j].1) {
                    return true;
                }
                i += 1;
                j += 1;
            }
        }
    }
    false
}

/// Whether a step (what it touched, whether it gave way) takes a process out of the sleep
/// set, whose next step touches `sleeper`: when they are dependent, and always when the step
/// gave way. A `yield` is how a process polls: it looks, again and again, for what others
/// change; were the polls independent of a sleeper's next step, the sleeper would stay
/// asleep and the search would extend the poll for ever, one run longer than the last.
/// Waking a sleeper is always sound (sleep sets only skip work), so only the reduction pays.
fn wakes(
    touched: &[(Obj, Access)],
    yielded: bool,
    sleeper: &[(Obj, Access)],
    forget: bool,
) -> bool {
    yielded || dependent(touched, sleeper, forget)
}

/// One set of step indices per step, all in one allocation: row `j` is step `j`'s set.
struct Rows {
    words: usize,
    bits: Vec<u64>,
}

impl Rows {
    fn new(n: usize) -> Rows {
        let words = n.div_ceil(64);
        Rows {
            words,
            bits: vec![0; words * n],
        }
    }
    fn set(&mut self, row: usize, i: usize) {
        self.bits[row * self.words + i / 64] |= 1 << (i % 64);
    }
    fn has(&self, row: usize, i: usize) -> bool {
        self.bits
            .get(row * self.words + i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    /// Row `row` gets `d` and every member of row `d` (an earlier row).
    fn include(&mut self, row: usize, d: usize) {
        self.set(row, d);
        let w = self.words;
        let (lower, upper) = self.bits.split_at_mut(row * w);
        for (a, b) in upper[..w].iter_mut().zip(&lower[d * w..d * w + w]) {
            *a |= b;
        }
    }
    /// Row `into` gets every member of row `from` of `source`.
    fn union_from(&mut self, into: usize, source: &Rows, from: usize) {
        let (w, at) = (self.words, into * self.words);
        let other = &source.bits[from * w..from * w + w];
        for (a, b) in self.bits[at..at + w].iter_mut().zip(other) {
            *a |= b;
        }
    }
}

/// The order of a run's steps: for every step, the steps that happen before it (its
/// process's earlier steps, the step that spawned its process, the step that woke it, the
/// steps that sent the messages it took, and every earlier dependent step, transitively);
/// the steps that happen before one of its direct predecessors (so a step `i` is ordered
/// before it through some step in between exactly when `reach` has `i`); and its earlier
/// dependent steps of other processes, latest first, the candidates for races.
struct Order {
    before: Rows,
    reach: Rows,
    dependent: Vec<Vec<usize>>,
}

/// The [`Order`] of `steps`. Dependent steps are found through an index of who touched
/// each object how, not by comparing every pair of steps.
fn happens_before(steps: &[Step], forget: bool) -> Order {
    let n = steps.len();
    let mut order = Order {
        before: Rows::new(n),
        reach: Rows::new(n),
        dependent: Vec::with_capacity(n),
    };
    let mut last_of: BTreeMap<P, usize> = BTreeMap::new();
    // Per object: the steps that looked at it, and those that touched it otherwise.
    let mut looked: BTreeMap<Obj, Vec<usize>> = BTreeMap::new();
    let mut used: BTreeMap<Obj, Vec<(usize, Access)>> = BTreeMap::new();
    for (j, s) in steps.iter().enumerate() {
        let mut deps: Vec<usize> = Vec::new();
        for &(obj, how) in &s.touched {
            if !forget {
                let other = |i: &usize| steps[*i].who != s.who;
                let commute = |i: usize, was: Access| {
                    was == Access::Append
                        && how == Access::Append
                        && s.commutes_with.contains(&(i, obj))
                };
                if let Some(all) = used.get(&obj) {
                    deps.extend(
                        all.iter()
                            .filter(|(i, was)| other(i) && was.conflicts(how) && !commute(*i, *was))
                            .map(|(i, _)| *i),
                    );
                }
                if how != Access::Look {
                    if let Some(all) = looked.get(&obj) {
                        deps.extend(all.iter().filter(|i| other(i)).copied());
                    }
                }
            }
            match how {
                Access::Look => looked.entry(obj).or_default().push(j),
                _ => used.entry(obj).or_default().push((j, how)),
            }
        }
        deps.sort_unstable_by(|a, b| b.cmp(a));
        deps.dedup();
        let direct = last_of
            .get(&s.who)
            .copied()
            .into_iter()
            .chain(s.spawned_by)
            .chain(s.woken_by)
            .chain(s.after.iter().copied())
            .chain(deps.iter().copied());
        for d in direct {
            order.reach.union_from(j, &order.before, d);
            order.before.include(j, d);
        }
        last_of.insert(s.who, j);
        order.dependent.push(deps);
    }
    order
}

/// One directed run of `target`: the decisions to follow, the processes to pass over after.
fn run_directed(
    target: &Target<'_>,
    base: &MachineConfig,
    plan: Plan,
) -> Result<crate::Report, String> {
    let mut config = base.clone();
    config.policy = Policy::Directed(Arc::new(plan));
    target
        .run(config)
        .map_err(|e| format!("could not boot {}: {e}", target.main))
}

/// Systematically explore `target` on `config` with DPOR (or, with
/// [`DporSettings::exhaustive`], every schedule), until the first failure (unless
/// [`DporSettings::keep_going`]), the end of the search, or the limit.
///
/// `options.shard` runs one shard: every choice is taken at the levels above the split depth
/// (just below the first `⌈log2 N⌉` levels at which the first interleaving races), and each of
/// their combinations is a subtree that one shard searches (the `k`-th combination, in
/// search order, goes to shard `k % N`). The shards'
/// outcomes together are the whole search's. `options.jobs` and `options.fail_fast` are not
/// used (one search is one thread; parallelism comes from shards). `options.progress` is told
/// `done` interleavings out of `total` = the limit.
///
/// An error is a configuration the search cannot cover soundly ([`unsupported`]), a target
/// that does not boot, or a run that did not follow the plan (an internal error).
pub fn dpor(
    target: &Target<'_>,
    config: &MachineConfig,
    settings: &DporSettings,
    options: &Options,
) -> Result<DporReport, String> {
    if let Some(why) = unsupported(config) {
        return Err(why);
    }
    let started = Instant::now();
    let mut base = config.clone();
    base.kernel.trace = true;
    // The search's own bound on a run, below the configuration's: reaching it is not the
    // target's failure but the end of what the search can say.
    let run_ticks_capped = settings.max_run_ticks < config.max_ticks;
    base.max_ticks = config.max_ticks.min(settings.max_run_ticks);
    let max_runs = settings.max_runs.unwrap_or(
        settings
            .max_interleavings
            .saturating_mul(DEFAULT_RUNS_PER_INTERLEAVING),
    );
    let forget = settings.forget_dependence;
    // A sharded search splits at the first levels where the first interleaving races (a
    // choice DPOR would explore anyway): as many as it takes for a choice per shard, each
    // level offering two at least. More levels make more, smaller subtrees, but every level
    // above the split is searched without reduction, by every shard.
    let split_races = match options.shard {
        Some(s) if s.count > 1 => (64 - (s.count - 1).leading_zeros()) as usize,
        _ => 0,
    };
    // How deep the split goes, once the first interleaving has said (see `split_at`).
    let mut split_depth: Option<usize> = None;

    let mut report = DporReport {
        target: target.command.clone(),
        exhaustive: settings.exhaustive,
        shard: options.shard,
        preemptions: settings.preemptions,
        max_interleavings: settings.max_interleavings,
        ..DporReport::default()
    };
    let mut stack: Vec<Node> = Vec::new();
    let mut combo: Option<Vec<P>> = None;
    let mut procs = Procs::default();
    let mut combos: u64 = 0;
    let mut told = Instant::now();
    let tell = |report: &DporReport| {
        if let Some(progress) = &options.progress {
            progress(Progress {
                done: report.interleavings,
                total: settings.max_interleavings,
                failing: report.failures.len() as u64,
            });
        }
    };

    'search: loop {
        if report.runs >= max_runs {
            report.verdict = Verdict::Incomplete;
            report.stopped_at = Some(format!("the limit of {max_runs} runs"));
            report.depth_left = stack.len();
            break 'search;
        }
        let prefix_len = stack.len();
        let prefix: Vec<Who> = stack.iter().map(|n| procs.who(n.chosen).clone()).collect();
        let avoid: Vec<Who> = stack
            .last()
            .filter(|_| settings.preemptions.is_none())
            .map(|n| {
                n.sleep
                    .iter()
                    .chain(&n.done)
                    .map(|(w, _)| procs.who(*w).clone())
                    .collect()
            })
            .unwrap_or_default();
        let plan = Plan {
            prefix,
            avoid,
            run_on: settings.preemptions.is_some(),
        };
        let run = run_directed(target, &base, plan)?;
        report.runs += 1;
        if run_ticks_capped && run.outcome == crate::Outcome::TickLimit {
            report.verdict = Verdict::Incomplete;
            report.stopped_at = Some(format!("the limit of {} ticks in one run", base.max_ticks));
            report.depth_left = stack.len();
            break 'search;
        }
        let read = steps::read(&run, &mut procs);
        if let Some(why) = &read.inconsistent {
            return Err(format!(
                "dpor: internal error: the trace contradicts the model: {why}"
            ));
        }
        report.used_clock |= read.used_clock;
        let steps = read.steps;
        for (t, node) in stack.iter_mut().enumerate() {
            match steps.get(t) {
                Some(s) if s.who == node.chosen && s.enabled == node.enabled => {
                    node.touched = s.touched.clone();
                    node.yielded = s.yielded;
                }
                _ => {
                    return Err(format!(
                        "dpor: internal error: a run departed from its plan at step {t} \
                         (the target is not deterministic under one schedule)"
                    ))
                }
            }
        }

        // Extend the stack with the run's new steps, carrying the sleep set along.
        let mut sleep: Vec<(P, Vec<(Obj, Access)>)> = match stack.last() {
            Some(n) if !settings.exhaustive && settings.preemptions.is_none() => n
                .sleep
                .iter()
                .chain(&n.done)
                .filter(|(_, f)| !wakes(&n.touched, n.yielded, f, forget))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        let mut blocked = false;
        for s in &steps[prefix_len..] {
            let asleep = |w: &P| sleep.iter().any(|(q, _)| q == w);
            let mut chosen = s.who;
            let mut redo = false;
            if asleep(&s.who) {
                match s.enabled.iter().find(|w| !asleep(w)) {
                    // The default took a process that is asleep while another is not: run
                    // again, with that one here.
                    Some(w) => {
                        chosen = *w;
                        redo = true;
                    }
                    None => {
                        blocked = true;
                        break;
                    }
                }
            }
            let t = stack.len();
            let split = split_depth.is_some_and(|d| t < d) && s.enabled.len() > 1;
            let preemptions = stack.last().map_or(0, |n| {
                n.preemptions + u32::from(preempts(&stack, t - 1, &n.enabled, n.chosen))
            });
            let fits = |w: &P| within(&stack, t, &s.enabled, preemptions, *w, settings.preemptions);
            if !fits(&chosen) {
                return Err(format!(
                    "dpor: internal error: a run preempted more than {} times",
                    settings.preemptions.unwrap_or(0)
                ));
            }
            let backtrack = match settings.exhaustive || split {
                true => s.enabled.iter().filter(|w| fits(w)).copied().collect(),
                false => BTreeSet::from([chosen]),
            };
            stack.push(Node {
                enabled: s.enabled.clone(),
                chosen,
                touched: s.touched.clone(),
                yielded: s.yielded,
                backtrack,
                done: Vec::new(),
                sleep: sleep.clone(),
                split,
                preemptions,
            });
            if redo {
                continue 'search;
            }
            sleep.retain(|(_, f)| !wakes(&s.touched, s.yielded, f, forget));
        }
        // The new steps, and the one chosen at the backtrack point the run started from:
        // its races with earlier steps are new too.
        let analysed = prefix_len.saturating_sub(1)..stack.len();

        if split_races > 0 && split_depth.is_none() {
            let depth = split_at(&stack, &steps, split_races, forget, settings.preemptions);
            for t in 0..depth.min(stack.len()) {
                let node = &stack[t];
                if node.enabled.len() > 1 {
                    let every: BTreeSet<P> = node
                        .enabled
                        .iter()
                        .filter(|w| {
                            within(
                                &stack,
                                t,
                                &node.enabled,
                                node.preemptions,
                                **w,
                                settings.preemptions,
                            )
                        })
                        .copied()
                        .collect();
                    stack[t].split = true;
                    stack[t].backtrack = every;
                }
            }
            split_depth = Some(depth);
        }

        // Which shard's subtree this interleaving is in.
        let mine = match options.shard {
            Some(shard) if split_races > 0 => {
                let key: Vec<P> = stack.iter().filter(|n| n.split).map(|n| n.chosen).collect();
                if combo.as_ref() != Some(&key) {
                    combos += 1;
                    combo = Some(key);
                }
                (combos - 1) % shard.count == shard.index
            }
            _ => true,
        };
        if !mine {
            // Another shard searches this subtree: skip below its deepest split.
            let keep = stack.iter().rposition(|n| n.split).map_or(0, |i| i + 1);
            stack.truncate(keep);
        } else {
            if !settings.exhaustive {
                add_backtracks(&mut stack, &steps, analysed, forget, settings.preemptions);
            }
            if blocked {
                report.sleep_blocked += 1;
            } else {
                report.interleavings += 1;
                report.longest = report.longest.max(steps.len());
                report.outcomes.insert(read.outcome);
                if let Some(f) = read.finding {
                    if !report.failures.iter().any(|k| k.signature == f.signature) {
                        let schedule = ScheduleFile {
                            scenario: target
                                .command
                                .strip_prefix("sim run ")
                                .unwrap_or(&target.command)
                                .to_string(),
                            seed: config.seed,
                            policy: "--strategy dpor".to_string(),
                            failure: Some(f.detail.clone()),
                            schedule: record(&run.events),
                        };
                        report.failures.push(DporFailure {
                            kind: f.kind,
                            signature: f.signature,
                            detail: f.detail,
                            interleaving: report.interleavings,
                            schedule,
                        });
                    }
                    if !settings.keep_going {
                        report.verdict = Verdict::Failed;
                        break 'search;
                    }
                }
            }
            if told.elapsed() >= Duration::from_millis(100) {
                tell(&report);
                told = Instant::now();
            }
            if report.interleavings >= settings.max_interleavings {
                report.verdict = Verdict::Incomplete;
                report.depth_left = stack.len();
                break 'search;
            }
        }

        // The next interleaving: the deepest node with a choice left.
        loop {
            let Some(top) = stack.last_mut() else {
                report.verdict = match report.failures.is_empty() {
                    true => Verdict::Complete,
                    false => Verdict::Failed,
                };
                break 'search;
            };
            let asleep = |w: &P| top.sleep.iter().any(|(q, _)| q == w);
            let next = top
                .backtrack
                .iter()
                .find(|w| **w != top.chosen && !top.done.iter().any(|(q, _)| q == *w) && !asleep(w))
                .cloned();
            match next {
                Some(w) => {
                    let was = std::mem::replace(&mut top.chosen, w);
                    let touched = std::mem::take(&mut top.touched);
                    top.done.push((was, touched));
                    break;
                }
                None => {
                    let explored = top.done.len() + 1;
                    report.pruned += top.enabled.len().saturating_sub(explored) as u64;
                    stack.pop();
                }
            }
        }
    }
    tell(&report);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// How deep a sharded search enumerates every choice, so that its subtrees split the work:
/// just below the `races`-th shallowest node at which the first interleaving races (where
/// DPOR would branch anyway), or all of it if it races at fewer. Above that depth every
/// choice is taken, so no race found in one shard's subtree can add a choice there that
/// another shard would have to take.
fn split_at(
    stack: &[Node],
    steps: &[Step],
    races: usize,
    forget: bool,
    bound: Option<u32>,
) -> usize {
    let mut probe = stack.to_vec();
    let all = 0..probe.len();
    add_backtracks(&mut probe, steps, all, forget, bound);
    probe
        .iter()
        .enumerate()
        .filter(|(_, n)| n.backtrack.len() > 1)
        .map(|(t, _)| t + 1)
        .nth(races.saturating_sub(1))
        .unwrap_or(probe.len())
}

/// Source-DPOR's race analysis for the steps in `new` (Algorithm 1 of Abdulla et al.): for
/// each step `j` and each earlier step `i` of another process in a race with it (dependent,
/// and no step between them ordered after `i` and before `j`), the search must also try,
/// at `i`, a process that can start the interleaving where `j` goes first: one of the
/// initials of the steps after `i` not ordered after it, followed by `j`.
///
/// Under a preemption bound `bound` it backtracks as bounded partial-order reduction does
/// (Coons, Musuvathi and McKinley, OOPSLA 2013, as loom does it): at `i`, and
/// conservatively at the start of the run of steps that `i - 1` ends (where a switch may
/// cost no preemption), every initial that can run there; never a choice past the bound.
fn add_backtracks(
    stack: &mut [Node],
    steps: &[Step],
    new: std::ops::Range<usize>,
    forget: bool,
    bound: Option<u32>,
) {
    let end = new.end.min(steps.len()).min(stack.len());
    let order = happens_before(&steps[..end], forget);
    let before = &order.before;
    for j in new.start..end {
        for &i in &order.dependent[j] {
            // Not a race that can be reversed: `j` exists because of `i` (it took `i`'s
            // message, `i` woke its process or spawned it), so `j` cannot run before `i`.
            let caused = steps[j].after.contains(&i)
                || steps[j].woken_by == Some(i)
                || steps[j].spawned_by == Some(i);
            // Or a step between them is ordered after `i` and before `j`.
            let through = order.reach.has(j, i);
            if caused || through {
                continue;
            }
            // v: the steps after i not ordered after it, then j.
            let v: Vec<usize> = (i + 1..j)
                .filter(|&k| !before.has(k, i))
                .chain([j])
                .collect();
            let mut initials: Vec<P> = Vec::new();
            for (x, &k) in v.iter().enumerate() {
                if !v[..x].iter().any(|&y| before.has(k, y)) && !initials.contains(&steps[k].who) {
                    initials.push(steps[k].who);
                }
            }
            if let Some(k) = bound {
                let start = (1..i)
                    .rev()
                    .find(|&t| stack[t].chosen != stack[t - 1].chosen)
                    .unwrap_or(0);
                for t in [i, start] {
                    add_bounded(stack, t, &initials, k);
                }
                continue;
            }
            let node = &mut stack[i];
            if initials.iter().any(|w| node.backtrack.contains(w)) {
                continue;
            }
            let pick = if initials.contains(&steps[j].who) {
                Some(steps[j].who)
            } else {
                initials.first().copied()
            };
            match pick.filter(|w| node.enabled.contains(w)) {
                Some(w) => {
                    node.backtrack.insert(w);
                }
                // Cannot happen when the dependence relation covers everything that
                // enables a process; should it, every choice here keeps the search sound.
                None => node.backtrack.extend(node.enabled.iter().cloned()),
            }
        }
    }
}

/// Backtrack at node `t` to each of `initials` that can run there (to every process that
/// can, if none of them can), each only if running it there keeps the interleaving within
/// `bound` preemptions. Every initial, not one: under a bound, the one a source set would
/// pick may spend the last preemption on a step that leads nowhere.
fn add_bounded(stack: &mut [Node], t: usize, initials: &[P], bound: u32) {
    let node = &stack[t];
    let mut candidates: Vec<P> = initials
        .iter()
        .filter(|w| node.enabled.contains(w))
        .copied()
        .collect();
    if candidates.is_empty() {
        candidates = node.enabled.clone();
    }
    let fitting: Vec<P> = candidates
        .into_iter()
        .filter(|w| within(stack, t, &node.enabled, node.preemptions, *w, Some(bound)))
        .collect();
    stack[t].backtrack.extend(fitting);
}

#[cfg(test)]
mod tests;
