//! What an exploration found: the distinct failures with their smallest seeds and replay
//! commands, in text and as JSON lines.

use super::*;

/// One distinct failure an exploration found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Its kind.
    pub kind: FailureKind,
    /// What every seed counted here had in common.
    pub signature: String,
    /// What the smallest seed showed.
    pub detail: String,
    /// The smallest seed that shows it.
    pub first_seed: u64,
    /// How many seeds showed it.
    pub count: u64,
    /// The command that replays the smallest seed.
    pub replay: String,
}

/// What an exploration found.
#[derive(Clone, Debug, PartialEq)]
pub struct ExploreReport {
    /// The start of the replay commands (what was explored).
    pub target: String,
    /// The strategy.
    pub strategy: Strategy,
    /// The seed range asked for.
    pub seeds: Range<u64>,
    /// The shard run, if only one was.
    pub shard: Option<Shard>,
    /// Seeds run (with `fail_fast`: up to and including the first failing one).
    pub seeds_run: u64,
    /// Seeds whose run failed.
    pub failing_seeds: u64,
    /// The distinct failures, by smallest seed.
    pub failures: Vec<Failure>,
    /// Whether `fail_fast` stopped it before the end of the range.
    pub stopped_early: bool,
    /// Host time it took.
    pub elapsed: Duration,
}

impl ExploreReport {
    /// Seeds run per host second.
    pub fn seeds_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.seeds_run as f64 / secs
        } else {
            0.0
        }
    }

    /// The report for people: one block per distinct failure, then the totals.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let n = self.failures.len();
        for (i, f) in self.failures.iter().enumerate() {
            out.push_str(&format!(
                "== failure {} of {n}: {}\n   seen on {} of {} seeds; smallest seed {}\n   {}\n   replay: {}\n",
                i + 1,
                f.kind.name(),
                f.count,
                self.seeds_run,
                f.first_seed,
                f.detail,
                f.replay
            ));
        }
        let shard = self.shard.map_or(String::new(), |s| format!(", shard {s}"));
        let early = if self.stopped_early {
            " (stopped at the first failure)"
        } else {
            ""
        };
        out.push_str(&format!(
            "== explored {} seeds ({}..{}{shard}) of {} with {}{early}: {} failing, {} distinct failure{}; {:.2} s, {:.1} seeds/s\n",
            self.seeds_run,
            self.seeds.start,
            self.seeds.end,
            self.target,
            self.strategy,
            self.failing_seeds,
            n,
            if n == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64(),
            self.seeds_per_second()
        ));
        out
    }

    /// The report for programs: one JSON object per line, one per distinct failure and then
    /// a summary (fields in `docs/exploration.md`).
    pub fn render_json(&self) -> String {
        let mut out = String::new();
        for f in &self.failures {
            let line = serde_json::json!({
                "type": "failure",
                "kind": f.kind.name(),
                "signature": f.signature,
                "detail": f.detail,
                "first_seed": f.first_seed,
                "count": f.count,
                "replay": f.replay,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        let (depth, steps, preempt) = match self.strategy {
            Strategy::Random { preempt_percent } => (None, None, Some(preempt_percent)),
            Strategy::Pct { depth, steps } => (Some(depth), Some(steps), None),
        };
        let summary = serde_json::json!({
            "type": "summary",
            "target": self.target,
            "strategy": self.strategy.name(),
            "depth": depth,
            "steps": steps,
            "preempt": preempt,
            "seeds_start": self.seeds.start,
            "seeds_end": self.seeds.end,
            "shard": self.shard.map(|s| s.to_string()),
            "seeds_run": self.seeds_run,
            "failing_seeds": self.failing_seeds,
            "distinct_failures": self.failures.len(),
            "stopped_early": self.stopped_early,
            "seconds": self.elapsed.as_secs_f64(),
            "seeds_per_second": self.seeds_per_second(),
        });
        out.push_str(&summary.to_string());
        out.push('\n');
        out
    }
}
