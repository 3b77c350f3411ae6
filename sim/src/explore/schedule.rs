//! Recording and replaying a schedule: a run's scheduling decisions read from its trace,
//! the schedule file that carries them, and how far a replay kept to them.

use super::classify::is_number;
use super::*;

/// A run's scheduling decisions, read from its trace: every `dispatch` and `preempt` event,
/// the process named as `spawn` named it (with its counter among processes of that name),
/// and each preemption placed right after the dispatch it ends, with the ticks between.
pub fn record(events: &[Event]) -> Schedule {
    let mut who: BTreeMap<Pid, Who> = BTreeMap::new();
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    // Each running process's dispatch: its tick and its place in `decisions`.
    let mut dispatched: BTreeMap<Pid, (Ticks, usize)> = BTreeMap::new();
    let mut decisions = Vec::new();
    let identity = |who: &BTreeMap<Pid, Who>, pid: Pid| {
        who.get(&pid).cloned().unwrap_or_else(|| Who {
            name: pid.to_string(),
            nth: 0,
        })
    };
    for e in events {
        match &e.kind {
            EventKind::Spawn { pid, name, .. } => {
                let n = seen.entry(name.as_str()).or_insert(0);
                who.insert(
                    *pid,
                    Who {
                        name: name.clone(),
                        nth: *n,
                    },
                );
                *n += 1;
            }
            EventKind::Dispatch { pid } => {
                dispatched.insert(*pid, (e.tick, decisions.len()));
                decisions.push(Decision::Dispatch(identity(&who, *pid)));
            }
            EventKind::Preempt { pid, .. } => {
                let Some((at, place)) = dispatched.remove(pid) else {
                    continue;
                };
                let preempt = Decision::Preempt {
                    who: identity(&who, *pid),
                    after: e.tick.saturating_sub(at),
                };
                // With one CPU the dispatch is the last decision; with several, another
                // CPU's may have come between, and the replay expects it right after.
                decisions.insert(place + 1, preempt);
                for (_, p) in dispatched.values_mut() {
                    if *p > place {
                        *p += 1;
                    }
                }
            }
            _ => {}
        }
    }
    Schedule { decisions }
}

/// A schedule as a file: a header naming what it was recorded from, then the decisions.
///
/// ```text
/// sim-schedule 1
/// scenario philosophers_deadlock
/// seed 3
/// policy --policy pct --depth 3 --steps 139
/// failure deadlock: fork[0] -> philosopher[0] -> ... -> fork[0]
/// dispatch init
/// preempt init after 12
/// dispatch fork[0]
/// ```
///
/// One line each; `#` starts a comment line and blank lines are ignored. The first line is
/// the format and its version. `scenario` is the target as given to `sim` (informational:
/// the schedule replays on whatever target `sim run` is given), `seed` the seed recorded
/// from (a replay reports it), `policy` the flags of the policy it was recorded under, and
/// the optional `failure` what the run showed. Then one decision per line, in order:
/// `dispatch NAME` (NAME got a CPU) and `preempt NAME after T` (the policy took NAME's CPU
/// T ticks after that dispatch). NAME is the process name; the n-th process (n ≥ 1) spawned
/// with a name already used is written `NAME#n`, and a name containing `#` always carries
/// its counter (`#0` for the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleFile {
    /// The target it was recorded from.
    pub scenario: String,
    /// The seed it was recorded with.
    pub seed: u64,
    /// The policy flags it was recorded under.
    pub policy: String,
    /// What the recorded run showed, if it failed.
    pub failure: Option<String>,
    /// The decisions.
    pub schedule: Schedule,
}

/// The first line of a schedule file.
const MAGIC: &str = "sim-schedule 1";

impl ScheduleFile {
    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{MAGIC}\nscenario {}\nseed {}\npolicy {}\n",
            self.scenario, self.seed, self.policy
        );
        if let Some(f) = &self.failure {
            out.push_str(&format!("failure {f}\n"));
        }
        out.push_str(&format!(
            "# {} decisions: `dispatch NAME` gave NAME a CPU; `preempt NAME after T` took it T ticks later\n",
            self.schedule.decisions.len()
        ));
        for d in &self.schedule.decisions {
            match d {
                Decision::Dispatch(who) => out.push_str(&format!("dispatch {who}\n")),
                Decision::Preempt { who, after } => {
                    out.push_str(&format!("preempt {who} after {after}\n"))
                }
            }
        }
        out
    }

    /// Read a schedule file; a mistake is reported with its line number.
    pub fn parse(text: &str) -> Result<ScheduleFile, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, MAGIC)) => {}
            Some((n, l)) => {
                return Err(format!(
                    "line {n}: expected `{MAGIC}` to start a schedule, found `{l}`"
                ))
            }
            None => return Err(format!("empty file: expected `{MAGIC}`")),
        }
        let mut file = ScheduleFile {
            scenario: String::new(),
            seed: 0,
            policy: String::new(),
            failure: None,
            schedule: Schedule::default(),
        };
        for (n, line) in lines {
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            let rest = rest.trim();
            let at = |what: &str| format!("line {n}: {what}: `{line}`");
            match word {
                "scenario" => file.scenario = rest.to_string(),
                "seed" => file.seed = rest.parse().map_err(|_| at("expected a seed"))?,
                "policy" => file.policy = rest.to_string(),
                "failure" => file.failure = Some(rest.to_string()),
                "dispatch" => {
                    let who = parse_who(rest).ok_or_else(|| at("expected a process name"))?;
                    file.schedule.decisions.push(Decision::Dispatch(who));
                }
                "preempt" => {
                    let (name, ticks) = rest
                        .rsplit_once(" after ")
                        .ok_or_else(|| at("expected `preempt NAME after TICKS`"))?;
                    let who = parse_who(name).ok_or_else(|| at("expected a process name"))?;
                    let after = ticks
                        .trim()
                        .parse()
                        .map_err(|_| at("expected ticks after `after`"))?;
                    file.schedule
                        .decisions
                        .push(Decision::Preempt { who, after });
                }
                _ => {
                    return Err(at(
                        "expected scenario, seed, policy, failure, dispatch or preempt",
                    ))
                }
            }
        }
        Ok(file)
    }
}

/// `NAME` or `NAME#n`.
fn parse_who(text: &str) -> Option<Who> {
    let text = text.trim();
    let (name, nth) = match text.rsplit_once('#') {
        Some((name, n)) if is_number(n) => (name, n.parse().ok()?),
        _ => (text, 0),
    };
    (!name.is_empty()).then(|| Who {
        name: name.to_string(),
        nth,
    })
}

/// Run one seed of a strategy with the trace on, and record its schedule.
pub fn record_seed(
    target: &Target<'_>,
    config: &MachineConfig,
    strategy: Strategy,
    seed: u64,
) -> Result<(Report, ScheduleFile), abi::Error> {
    let mut config = target.seeded(config, seed);
    config.policy = strategy.policy();
    config.kernel.trace = true;
    let report = target.run(config)?;
    let file = ScheduleFile {
        scenario: target
            .command
            .strip_prefix("sim run ")
            .unwrap_or(&target.command)
            .to_string(),
        seed,
        policy: strategy.flags(),
        failure: classify(&report).map(|f| f.detail),
        schedule: record(&report.events),
    };
    Ok((report, file))
}

/// How closely a replayed run followed its schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Decisions in the schedule.
    pub recorded: usize,
    /// Whether the run made exactly the recorded decisions.
    pub exact: bool,
    /// The run's dispatches that followed the recording.
    pub followed: usize,
    /// The run's dispatches that could not (no ready process had the recorded name, or the
    /// recording had ended), as [`kernel::sched::replay::Replay`] counts them.
    pub departed: usize,
}

/// Compare a replayed run's trace with the schedule it replayed.
pub fn divergence(schedule: &Schedule, events: &[Event]) -> Divergence {
    let ran = record(events);
    let exact = ran == *schedule;
    let wanted: Vec<&Who> = schedule
        .decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Dispatch(w) => Some(w),
            Decision::Preempt { .. } => None,
        })
        .collect();
    let (mut next, mut followed, mut departed) = (0, 0, 0);
    for d in &ran.decisions {
        if let Decision::Dispatch(w) = d {
            if wanted.get(next) == Some(&w) {
                next += 1;
                followed += 1;
            } else {
                departed += 1;
            }
        }
    }
    Divergence {
        recorded: schedule.decisions.len(),
        exact,
        followed,
        departed,
    }
}
