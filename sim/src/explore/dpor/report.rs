//! What a DPOR search found, its text and JSON-lines forms, and the merge of several shards'
//! JSON results into one verdict.

use super::RunOutcome;
use crate::explore::{FailureKind, ScheduleFile, Shard};
use std::collections::BTreeSet;
use std::time::Duration;

/// How a search ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verdict {
    /// Every interleaving (up to equivalence) was run and none failed.
    #[default]
    Complete,
    /// Some interleaving failed.
    Failed,
    /// The limit of interleavings stopped the search first.
    Incomplete,
}

impl Verdict {
    /// `complete`, `failed` or `incomplete`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Complete => "complete",
            Verdict::Failed => "failed",
            Verdict::Incomplete => "incomplete",
        }
    }

    fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Complete, Verdict::Failed, Verdict::Incomplete]
            .into_iter()
            .find(|v| v.name() == s)
    }
}

/// A distinct failure the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DporFailure {
    /// What kind.
    pub kind: FailureKind,
    /// What makes two failures the same (as for the seeded strategies).
    pub signature: String,
    /// What the failing interleaving showed.
    pub detail: String,
    /// Which interleaving of the search (from 1) first showed it.
    pub interleaving: u64,
    /// Its schedule, for `sim run --replay`.
    pub schedule: ScheduleFile,
}

/// What [`super::dpor`] found.
#[derive(Clone, Debug, Default)]
pub struct DporReport {
    /// The start of the replay command (`sim run TARGET` and machine flags).
    pub target: String,
    /// How it ended.
    pub verdict: Verdict,
    /// Whether it ran every schedule, without reduction.
    pub exhaustive: bool,
    /// The shard it searched.
    pub shard: Option<Shard>,
    /// The preemption bound it searched within, if any.
    pub preemptions: Option<u32>,
    /// The limit it had.
    pub max_interleavings: u64,
    /// Interleavings run to their end, each inequivalent to the others.
    pub interleavings: u64,
    /// Choices at scheduling points never taken because an equivalent interleaving was run.
    pub pruned: u64,
    /// Runs abandoned part-way because every process could only repeat an explored order.
    pub sleep_blocked: u64,
    /// Runs of the machine in all (interleavings, abandoned runs, re-runs, and a shard's
    /// planning runs).
    pub runs: u64,
    /// A shard's pieces of the search, by their index in the plan (biggest estimate first).
    pub pieces: Vec<u64>,
    /// How many pieces the plan cut the search into (0: not sharded).
    pub pieces_total: u64,
    /// The most steps an interleaving had.
    pub longest: usize,
    /// With [`Verdict::Incomplete`], how deep the search stack was when it stopped.
    pub depth_left: usize,
    /// With [`Verdict::Incomplete`], the limit it stopped at when it is not
    /// `max_interleavings` (`the limit of 1000 ticks in one run`, `... runs`).
    pub stopped_at: Option<String>,
    /// Some step ran while a timer was armed (a sleep or a timeout): those steps were all
    /// treated as dependent (the clock), which is sound but reduces nothing.
    pub used_clock: bool,
    /// The distinct failures, in the order found.
    pub failures: Vec<DporFailure>,
    /// Every distinct outcome of the interleavings run.
    pub outcomes: BTreeSet<RunOutcome>,
    /// Host time.
    pub elapsed: Duration,
}

impl RunOutcome {
    /// One line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "failure": self.failure,
            "exits": self.exits,
            "printed": self.printed,
        })
        .to_string()
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl DporReport {
    /// The one-line verdict: `complete: N interleavings (M pruned as equivalent), no
    /// failure`, `failed: ...` or `incomplete: stopped at the limit ...`.
    pub fn verdict_line(&self) -> String {
        let runs = plural(self.interleavings, "interleaving", "interleavings");
        let how = match self.exhaustive {
            true => "every schedule, no reduction".to_string(),
            false => format!("{} pruned as equivalent", self.pruned),
        };
        let mut shard = self.shard.map_or(String::new(), |s| format!(", shard {s}"));
        if self.pieces_total > 0 {
            shard.push_str(&format!(
                " ({} of {} pieces)",
                self.pieces.len(),
                self.pieces_total
            ));
        }
        if let Some(k) = self.preemptions {
            shard.push_str(&format!(", preemption bound {k}"));
        }
        match self.verdict {
            Verdict::Complete => format!("complete: {runs} ({how}), no failure{shard}"),
            Verdict::Failed => format!(
                "failed: {} after {runs} ({how}){shard}",
                plural(self.failures.len() as u64, "failure", "distinct failures")
            ),
            Verdict::Incomplete => format!(
                "incomplete: stopped at {} ({how}), search stack {} deep, {} so far{shard}",
                self.stopped_at.clone().unwrap_or_else(|| format!(
                    "the limit of {} interleavings",
                    self.max_interleavings
                )),
                self.depth_left,
                match self.failures.len() {
                    0 => "no failure".to_string(),
                    n => plural(n as u64, "failure", "distinct failures"),
                }
            ),
        }
    }

    /// How far the search has come, as the progress callback is told it.
    pub(super) fn progress(&self) -> crate::explore::Progress {
        crate::explore::Progress {
            done: self.interleavings,
            total: self.max_interleavings,
            failing: self.failures.len() as u64,
        }
    }

    /// What the search covers only partly, one line each.
    pub fn notes(&self) -> Vec<String> {
        let mut notes =
            vec!["priorities are ignored: every order of ready processes is explored".to_string()];
        if self.used_clock {
            notes.push(
                "timers (sleep, timeouts) were armed: steps taken meanwhile were all treated as \
                 dependent on the clock, explored without reduction"
                    .to_string(),
            );
        }
        notes
    }

    /// The report for people. `saved` is where the first failure's schedule was saved, if
    /// it was; otherwise the schedule is printed, to be saved and replayed.
    pub fn render_text(&self, saved: Option<&str>) -> String {
        let mut out = String::new();
        let n = self.failures.len();
        for (i, f) in self.failures.iter().enumerate() {
            out.push_str(&format!(
                "== failure {} of {n}: {} (interleaving {})\n   {}\n",
                i + 1,
                f.kind.name(),
                f.interleaving,
                f.detail
            ));
            match saved.filter(|_| i == 0) {
                Some(path) => out.push_str(&format!(
                    "   replay: {} --replay {}\n",
                    self.target,
                    crate::explore::shell_word(path)
                )),
                None => {
                    out.push_str(&format!(
                        "   replay: save the schedule below to FILE, then: {} --replay FILE\n",
                        self.target
                    ));
                    for line in f.schedule.render().lines() {
                        out.push_str("   | ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
        }
        for note in self.notes() {
            out.push_str(&format!("== note: {note}\n"));
        }
        out.push_str(&format!(
            "== dpor of {}: {}; {} runs, longest {} steps; {:.2} s\n",
            self.target,
            self.verdict_line(),
            self.runs,
            self.longest,
            self.elapsed.as_secs_f64()
        ));
        out
    }

    /// The report for programs, and the shard result `sim explore merge` reads: one JSON
    /// object per line, a `failure` per distinct failure (with its schedule file's text),
    /// an `outcome` per distinct outcome when `outcomes` is set, then a `summary`.
    pub fn render_json(&self, outcomes: bool) -> String {
        let mut out = String::new();
        for f in &self.failures {
            let line = serde_json::json!({
                "type": "failure",
                "kind": f.kind.name(),
                "signature": f.signature,
                "detail": f.detail,
                "interleaving": f.interleaving,
                "schedule": f.schedule.render(),
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        if outcomes {
            for o in &self.outcomes {
                let line = serde_json::json!({ "type": "outcome", "outcome": o.to_json() });
                out.push_str(&line.to_string());
                out.push('\n');
            }
        }
        let summary = serde_json::json!({
            "type": "summary",
            "strategy": if self.exhaustive { "exhaustive" } else { "dpor" },
            "target": self.target,
            "verdict": self.verdict.name(),
            "verdict_line": self.verdict_line(),
            "shard": self.shard.map(|s| s.to_string()),
            "preemptions": self.preemptions,
            "interleavings": self.interleavings,
            "pruned": self.pruned,
            "sleep_blocked": self.sleep_blocked,
            "runs": self.runs,
            "pieces": self.pieces,
            "pieces_total": self.pieces_total,
            "longest": self.longest,
            "max_interleavings": self.max_interleavings,
            "stopped_at": self.stopped_at,
            "distinct_failures": self.failures.len(),
            "distinct_outcomes": self.outcomes.len(),
            "used_clock": self.used_clock,
            "notes": self.notes(),
            "seconds": self.elapsed.as_secs_f64(),
        });
        out.push_str(&summary.to_string());
        out.push('\n');
        out
    }
}

/// Several shards' results combined ([`merge`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// The combined verdict: failed if any shard failed; complete only if every shard of
    /// one split completed; otherwise incomplete.
    pub verdict: Verdict,
    /// Why it is incomplete, if it is.
    pub missing: Vec<String>,
    /// Every distinct failure once, by signature: (kind, signature, detail, schedule text).
    pub failures: Vec<(String, String, String, String)>,
    /// Every distinct outcome the shards listed (with `--keep-going`).
    pub outcomes: BTreeSet<String>,
    /// Interleavings over all shards.
    pub interleavings: u64,
    /// Pruned choices over all shards.
    pub pruned: u64,
    /// Shard results read.
    pub shards: usize,
    /// The slowest shard's host seconds.
    pub seconds: f64,
    /// The preemption bound the shards searched within (all the same), if any.
    pub preemptions: Option<u32>,
}

fn bound_name(bound: Option<u32>) -> String {
    bound.map_or("no preemption bound".to_string(), |k| {
        format!("preemption bound {k}")
    })
}

/// Combine shard results (each the JSON lines of `sim explore --strategy dpor --format json
/// --shard I/N`) into one verdict with every distinct failure once.
pub fn merge(results: &[(String, String)]) -> Result<Merged, String> {
    let mut merged = Merged::default();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut count: Option<u64> = None;
    let mut bounds: Option<Option<u32>> = None;
    let mut verdicts = Vec::new();
    // The pieces of the plan (the same count in every shard) and those some shard searched.
    let mut pieces_total: Option<u64> = None;
    let mut searched: BTreeSet<u64> = BTreeSet::new();
    for (name, text) in results {
        let mut summary = None;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let bad = |why: &str| format!("{name}:{}: {why}", n + 1);
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| bad(&format!("not JSON: {e}")))?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            match v.get("type").and_then(|t| t.as_str()) {
                Some("failure") => {
                    let sig = field("signature");
                    if !merged.failures.iter().any(|f| f.1 == sig) {
                        merged.failures.push((
                            field("kind"),
                            sig,
                            field("detail"),
                            field("schedule"),
                        ));
                    }
                }
                Some("outcome") => {
                    merged.outcomes.insert(field("outcome"));
                }
                Some("summary") => summary = Some(v),
                _ => return Err(bad("expected a failure, outcome or summary line")),
            }
        }
        let s = summary.ok_or_else(|| format!("{name}: no summary line"))?;
        let num = |k: &str| s.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
        merged.interleavings += num("interleavings");
        merged.pruned += num("pruned");
        merged.seconds = merged
            .seconds
            .max(s.get("seconds").and_then(|x| x.as_f64()).unwrap_or(0.0));
        let verdict = s
            .get("verdict")
            .and_then(|x| x.as_str())
            .and_then(Verdict::parse)
            .ok_or_else(|| format!("{name}: the summary has no verdict"))?;
        verdicts.push(verdict);
        let shard: Shard = match s.get("shard").and_then(|x| x.as_str()) {
            Some(text) => text.parse().map_err(|e| format!("{name}: {e}"))?,
            None => Shard { index: 0, count: 1 },
        };
        let bound = s
            .get("preemptions")
            .and_then(|x| x.as_u64())
            .map(|k| k as u32);
        match bounds.get_or_insert(bound) {
            b if *b == bound => {}
            b => {
                return Err(format!(
                    "{name}: searched with {} but an earlier result with {}",
                    bound_name(bound),
                    bound_name(*b)
                ))
            }
        }
        if *count.get_or_insert(shard.count) != shard.count {
            return Err(format!(
                "{name}: shard {shard} belongs to a split into {} shards, not {}",
                shard.count,
                count.unwrap_or(0)
            ));
        }
        if !seen.insert(shard.index) {
            return Err(format!("{name}: shard {shard} given twice"));
        }
        let total = num("pieces_total");
        if *pieces_total.get_or_insert(total) != total {
            return Err(format!(
                "{name}: its search was cut into {total} pieces, an earlier result's into {}",
                pieces_total.unwrap_or(0)
            ));
        }
        let listed = s.get("pieces").and_then(|x| x.as_array());
        searched.extend(listed.into_iter().flatten().filter_map(|x| x.as_u64()));
        merged.shards += 1;
    }
    let count = count.ok_or("sim explore merge: no results given")?;
    merged.preemptions = bounds.flatten();
    merged.missing = (0..count)
        .filter(|i| !seen.contains(i))
        .map(|i| format!("shard {i}/{count} missing"))
        .collect();
    // Every shard present and none stopped, and still a piece nobody searched: the shards
    // took pieces through a claims directory that held claims of an earlier run.
    let total = pieces_total.unwrap_or(0);
    let unsearched: Vec<u64> = (0..total).filter(|i| !searched.contains(i)).collect();
    let stopped = verdicts.contains(&Verdict::Incomplete) || verdicts.contains(&Verdict::Failed);
    if merged.missing.is_empty() && !stopped && !unsearched.is_empty() {
        let some: Vec<String> = unsearched.iter().take(8).map(u64::to_string).collect();
        merged.missing.push(format!(
            "{} of the {total} pieces searched by no shard ({}{}): were they claimed in the \
             claims directory by an earlier run?",
            unsearched.len(),
            some.join(", "),
            if unsearched.len() > some.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }
    merged.verdict = if !merged.failures.is_empty() || verdicts.contains(&Verdict::Failed) {
        Verdict::Failed
    } else if !merged.missing.is_empty() || verdicts.contains(&Verdict::Incomplete) {
        Verdict::Incomplete
    } else {
        Verdict::Complete
    };
    Ok(merged)
}

impl Merged {
    /// The merged verdict for people.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let n = self.failures.len();
        for (i, (kind, _, detail, _)) in self.failures.iter().enumerate() {
            out.push_str(&format!(
                "== failure {} of {n}: {kind}\n   {detail}\n",
                i + 1
            ));
        }
        for m in &self.missing {
            out.push_str(&format!("== {m}\n"));
        }
        let runs = plural(self.interleavings, "interleaving", "interleavings");
        let bound = self
            .preemptions
            .map_or(String::new(), |k| format!(", preemption bound {k}"));
        let line = match self.verdict {
            Verdict::Complete => format!(
                "complete: {runs} ({} pruned as equivalent), no failure{bound}",
                self.pruned
            ),
            Verdict::Failed => format!(
                "failed: {} after {runs}",
                plural(n as u64, "failure", "distinct failures")
            ),
            Verdict::Incomplete => {
                format!("incomplete: some shard stopped at its limit or is missing, {runs} run")
            }
        };
        out.push_str(&format!(
            "== merged {} shard results: {line}; slowest shard {:.2} s\n",
            self.shards, self.seconds
        ));
        out
    }

    /// The merged verdict for programs: the failures, then a summary line.
    pub fn render_json(&self) -> String {
        let mut out = String::new();
        for (kind, signature, detail, schedule) in &self.failures {
            let line = serde_json::json!({
                "type": "failure", "kind": kind, "signature": signature,
                "detail": detail, "schedule": schedule,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        for o in &self.outcomes {
            let line = serde_json::json!({ "type": "outcome", "outcome": o });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        let summary = serde_json::json!({
            "type": "summary",
            "strategy": "dpor",
            "verdict": self.verdict.name(),
            "shards": self.shards,
            "preemptions": self.preemptions,
            "missing": self.missing,
            "interleavings": self.interleavings,
            "pruned": self.pruned,
            "distinct_failures": self.failures.len(),
            "distinct_outcomes": self.outcomes.len(),
            "seconds": self.seconds,
        });
        out.push_str(&summary.to_string());
        out.push('\n');
        out
    }
}
