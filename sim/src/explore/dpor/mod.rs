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
mod split;
mod steps;

pub use report::{merge, DporFailure, DporReport, Merged, Verdict};
pub use steps::RunOutcome;

use super::{record, Options, ScheduleFile, Shard, Target};
use crate::{MachineConfig, Policy, RunQueues};
use kernel::sched::directed::Plan;
use kernel::sched::replay::Who;
use split::{Claims, Split};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use steps::{Access, Obj, Procs, ReadRun, Step, P};

/// How many interleavings a search runs at most when not told.
pub const DEFAULT_MAX_INTERLEAVINGS: u64 = 100_000;

/// How many ticks one run of the search may take when not told (less, if the
/// configuration's own tick limit is lower). Each run is traced and analysed in full, so
/// this bounds one run's time and memory; a run that reaches it stops the search.
pub const DEFAULT_MAX_RUN_TICKS: abi::Ticks = 1_000;

/// How many runs of the machine a search makes at most, per interleaving it may count
/// ([`DporSettings::max_interleavings`]), when not told: runs abandoned in a sleep set,
/// re-runs and a shard's planning runs count too.
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
    /// With a shard: a directory the shards share, in which they take the pieces of the
    /// search as they come free, each piece by the first to claim it (a file per piece),
    /// instead of each its share by the plan's estimates. A fresh directory per search.
    pub claims: Option<PathBuf>,
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
            claims: None,
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

/// Why a search ends before it has run everything it could: a failure (and it was not told
/// to keep going), a limit, whose name makes its verdict incomplete, or an internal error.
enum Halt {
    Failed,
    /// `None`: the limit of interleavings, which the report names itself.
    Limit(Option<String>),
    Error(String),
}

/// What the search needs to run its target along a stack of choices, and what it has
/// counted of all its runs.
struct Runner<'a> {
    target: &'a Target<'a>,
    base: MachineConfig,
    settings: &'a DporSettings,
    /// The search's own bound on a run is below the configuration's (see [`dpor`]).
    run_ticks_capped: bool,
    max_runs: u64,
    procs: Procs,
    runs: u64,
    used_clock: bool,
}

/// One run, read and laid onto the stack.
struct Extended {
    run: crate::Report,
    read: ReadRun,
    /// The run was abandoned where every process that could run was asleep.
    blocked: bool,
    /// The first step whose races are new: the one chosen at the node the run started
    /// from, the steps after it being all new.
    fresh: usize,
}

impl Runner<'_> {
    /// Run the target along `stack`'s choices and then the directed policy's default, check
    /// that the run followed them, and push a node for each of its new steps, carrying the
    /// sleep set down. Where the default took a sleeping process while another could run,
    /// run again with that one there: the steps before it are still new.
    fn extend(&mut self, stack: &mut Vec<Node>) -> Result<Extended, Halt> {
        let settings = self.settings;
        let fresh = stack.len().saturating_sub(1);
        'run: loop {
            if self.runs >= self.max_runs {
                let why = format!("the limit of {} runs", self.max_runs);
                return Err(Halt::Limit(Some(why)));
            }
            let prefix_len = stack.len();
            let procs = &self.procs;
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
            let run = run_directed(self.target, &self.base, plan).map_err(Halt::Error)?;
            self.runs += 1;
            if self.run_ticks_capped && run.outcome == crate::Outcome::TickLimit {
                let why = format!("the limit of {} ticks in one run", self.base.max_ticks);
                return Err(Halt::Limit(Some(why)));
            }
            let read = steps::read(&run, &mut self.procs);
            if let Some(why) = &read.inconsistent {
                return Err(Halt::Error(format!(
                    "dpor: internal error: the trace contradicts the model: {why}"
                )));
            }
            self.used_clock |= read.used_clock;
            let steps = &read.steps;
            for (t, node) in stack.iter_mut().enumerate() {
                match steps.get(t) {
                    Some(s) if s.who == node.chosen && s.enabled == node.enabled => {
                        node.touched = s.touched.clone();
                        node.yielded = s.yielded;
                    }
                    _ => {
                        return Err(Halt::Error(format!(
                            "dpor: internal error: a run departed from its plan at step {t} \
                             (the target is not deterministic under one schedule)"
                        )))
                    }
                }
            }

            let forget = settings.forget_dependence;
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
                        // The default took a process that is asleep while another is not:
                        // run again, with that one here.
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
                let preemptions = stack.last().map_or(0, |n| {
                    n.preemptions + u32::from(preempts(stack, t - 1, &n.enabled, n.chosen))
                });
                let fits =
                    |w: &P| within(stack, t, &s.enabled, preemptions, *w, settings.preemptions);
                if !fits(&chosen) {
                    return Err(Halt::Error(format!(
                        "dpor: internal error: a run preempted more than {} times",
                        settings.preemptions.unwrap_or(0)
                    )));
                }
                let backtrack = match settings.exhaustive {
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
                    preemptions,
                });
                if redo {
                    continue 'run;
                }
                sleep.retain(|(_, f)| !wakes(&s.touched, s.yielded, f, forget));
            }
            return Ok(Extended {
                run,
                read,
                blocked,
                fresh,
            });
        }
    }
}

/// Systematically explore `target` on `config` with DPOR (or, with
/// [`DporSettings::exhaustive`], every schedule), until the first failure (unless
/// [`DporSettings::keep_going`]), the end of the search, or the limit.
///
/// `options.shard` runs one shard: every shard first makes the same few runs to cut the
/// search into pieces (`split.rs`), then searches the pieces the plan gives it (or, with
/// [`DporSettings::claims`], those it claims first), each with the whole reduction. The
/// shards' outcomes together are the whole search's.
/// `options.jobs` and `options.fail_fast` are not used (one search is one thread;
/// parallelism comes from shards). `options.progress` is told `done` interleavings out of
/// `total` = the limit.
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
    let mut search = Search {
        runner: Runner {
            target,
            base,
            settings,
            run_ticks_capped,
            max_runs,
            procs: Procs::default(),
            runs: 0,
            used_clock: false,
        },
        seed: config.seed,
        options,
        report: DporReport {
            target: target.command.clone(),
            exhaustive: settings.exhaustive,
            shard: options.shard,
            preemptions: settings.preemptions,
            max_interleavings: settings.max_interleavings,
            ..DporReport::default()
        },
        told: Instant::now(),
    };

    let end = match options.shard {
        Some(shard) if shard.count > 1 => search.shard(shard),
        _ => search.explore(Piece::whole()),
    }
    .err();
    let mut report = search.report;
    report.verdict = match end {
        None if report.failures.is_empty() => Verdict::Complete,
        None => Verdict::Failed,
        Some((Halt::Failed, _)) => Verdict::Failed,
        Some((Halt::Limit(why), depth)) => {
            report.stopped_at = why;
            report.depth_left = depth;
            Verdict::Incomplete
        }
        Some((Halt::Error(e), _)) => return Err(e),
    };
    report.runs = search.runner.runs;
    report.used_clock = search.runner.used_clock;
    if let Some(progress) = &options.progress {
        progress(report.progress());
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A search under way: its runner, what it has found, and when it last told its progress.
struct Search<'a> {
    runner: Runner<'a>,
    seed: u64,
    options: &'a Options,
    report: DporReport,
    told: Instant,
}

impl Search<'_> {
    /// Draw the plan and search this shard's pieces: those the plan gives it, or with
    /// [`DporSettings::claims`] those it claims first. The error is why the search stopped
    /// first, as for [`Search::explore`].
    fn shard(&mut self, shard: Shard) -> Result<(), (Halt, usize)> {
        let early = |why: Halt| (why, 0);
        let plan = Split::plan(&mut self.runner, shard).map_err(early)?;
        self.report.pieces_total = plan.pieces.len() as u64;
        let claims = match &self.runner.settings.claims {
            Some(dir) => Some(
                Claims::open(dir, plan.fingerprint)
                    .map_err(Halt::Error)
                    .map_err(early)?,
            ),
            None => None,
        };
        for (index, (piece, owner)) in plan.pieces.into_iter().enumerate() {
            let mine = match &claims {
                Some(claims) => claims.take(index).map_err(Halt::Error).map_err(early)?,
                None => owner == shard.index,
            };
            if mine {
                self.report.pieces.push(index as u64);
                self.explore(piece)?;
            }
        }
        Ok(())
    }

    /// Search every interleaving of `piece`: those that start with its stack's choices,
    /// backtracking only at its nodes from its floor on. The error is why the whole search
    /// stops here, with the depth of the stack it stopped at.
    fn explore(&mut self, piece: Piece) -> Result<(), (Halt, usize)> {
        let Piece { mut stack, floor } = piece;
        let settings = self.runner.settings;
        let forget = settings.forget_dependence;
        loop {
            let ext = match self.runner.extend(&mut stack) {
                Ok(ext) => ext,
                Err(why) => return Err((why, stack.len())),
            };
            let steps = &ext.read.steps;
            if !settings.exhaustive {
                let fresh = ext.fresh..stack.len();
                add_backtracks(&mut stack, steps, fresh, forget, settings.preemptions);
            }
            let report = &mut self.report;
            if ext.blocked {
                report.sleep_blocked += 1;
            } else {
                report.interleavings += 1;
                report.longest = report.longest.max(steps.len());
                report.outcomes.insert(ext.read.outcome);
                if let Some(f) = ext.read.finding {
                    if !report.failures.iter().any(|k| k.signature == f.signature) {
                        let target = &self.runner.target.command;
                        let schedule = ScheduleFile {
                            scenario: target
                                .strip_prefix("sim run ")
                                .unwrap_or(target)
                                .to_string(),
                            seed: self.seed,
                            policy: "--strategy dpor".to_string(),
                            failure: Some(f.detail.clone()),
                            schedule: record(&ext.run.events),
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
                        return Err((Halt::Failed, stack.len()));
                    }
                }
            }
            if self.told.elapsed() >= Duration::from_millis(100) {
                report.runs = self.runner.runs;
                if let Some(progress) = &self.options.progress {
                    progress(report.progress());
                }
                self.told = Instant::now();
            }
            if report.interleavings >= settings.max_interleavings {
                return Err((Halt::Limit(None), stack.len()));
            }

            // The next interleaving: the deepest node of the piece with a choice left.
            loop {
                if stack.len() <= floor {
                    return Ok(());
                }
                let Some(top) = stack.last_mut() else {
                    return Ok(());
                };
                match next_choice(top) {
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
    }
}

/// Part of a search that one shard searches alone: the interleavings that start with the
/// choices of `stack`, with backtracking at its nodes from `floor` on (the nodes above it
/// are fixed; the plan gives every other choice there to some piece).
pub(super) struct Piece {
    stack: Vec<Node>,
    floor: usize,
}

impl Piece {
    /// The whole search.
    fn whole() -> Piece {
        Piece {
            stack: Vec::new(),
            floor: 0,
        }
    }
}

/// Who runs next at `node`, if anyone is left: a process of its source set (in the order
/// of processes) that has not run there and is not asleep there.
fn next_choice(node: &Node) -> Option<P> {
    let open = |w: &&P| {
        **w != node.chosen
            && !node.done.iter().any(|(q, _)| q == *w)
            && !node.sleep.iter().any(|(q, _)| q == *w)
    };
    node.backtrack.iter().find(open).copied()
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
