//! What a failed run was: its kind and the signature that makes two seeds the same bug
//! (names and source positions, never pids, ticks or host file positions).

use super::*;

/// What kind of failure a run had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    /// Processes blocked forever.
    Deadlock,
    /// A scenario's `expect` failed.
    Expect,
    /// A process panicked.
    Panic,
    /// A process exited with a non-zero code (or faulted) for another reason.
    Exit,
    /// The run reached its tick limit.
    TickLimit,
    /// The run's clock stopped: work went on without time passing.
    Livelock,
    /// A scenario statement could not go on (a value too long, an arithmetic overflow):
    /// its process printed `error at FILE:LINE:COL` and exited 1.
    Error,
}

impl FailureKind {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Deadlock => "deadlock",
            FailureKind::Expect => "expect",
            FailureKind::Panic => "panic",
            FailureKind::Exit => "exit",
            FailureKind::TickLimit => "tick_limit",
            FailureKind::Livelock => "livelock",
            FailureKind::Error => "error",
        }
    }
}

/// A failed run, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The kind.
    pub kind: FailureKind,
    /// What makes two runs the same bug: names and source positions, never pids, ticks or
    /// host file positions.
    pub signature: String,
    /// What this run showed, in one line (the cycle, the message).
    pub detail: String,
}

/// Classify a run: `None` if it succeeded.
///
/// The first process to exit non-zero (in exit order) names the failure, because what
/// follows it — peers deadlocking on a process that is gone — is a consequence: a failed
/// `expect` (its console line `expect failed at FILE:LINE:COL: ...`; the signature is the
/// position), a panic (the message without the host file and line the panic hook appends;
/// the signature adds the process name without its copy index), or another exit. Without
/// one, a deadlock is named by its wait-for cycle of process names, rotated to start at the
/// smallest name so that the same cycle found from another process is the same signature,
/// and a tick limit is just that. A process killed by fault injection (reason `killed`) is
/// passed over: the kill was planned, what the others make of it is the test.
pub fn classify(report: &Report) -> Option<Finding> {
    let names: BTreeMap<Pid, &str> = report
        .processes
        .iter()
        .map(|p| (p.pid, p.name.as_str()))
        .chain(report.exited.iter().map(|e| (e.pid, e.name.as_str())))
        .collect();
    let failed = |e: &&kernel::ExitRecord| e.code != 0 && e.reason != ExitReason::Killed;
    if let Some(e) = report.exited.iter().find(failed) {
        // A scenario's own report of why it stopped: the last `expect failed at` or
        // `error at` line of the process, which names the statement.
        let said = report.console.iter().rev().find_map(|l| {
            let kinds = [
                (EXPECT_FAILED, FailureKind::Expect),
                (ERROR_AT, FailureKind::Error),
            ];
            let (prefix, kind) = kinds
                .into_iter()
                .find(|(prefix, _)| l.pid == e.pid && l.text.starts_with(prefix))?;
            Some((l, prefix, kind))
        });
        if let Some((line, prefix, kind)) = said {
            let rest = &line.text[prefix.len()..];
            let at = rest.split_once(": ").map_or(rest, |(at, _)| at);
            return Some(Finding {
                kind,
                signature: format!("{prefix}{at}"),
                detail: format!("{}: {}", e.name, line.text),
            });
        }
        return Some(match &e.reason {
            ExitReason::Panicked(message) => {
                let message = without_host_location(message);
                Finding {
                    kind: FailureKind::Panic,
                    signature: format!("panic in {}: {message}", family(&e.name)),
                    detail: format!("{} panicked: {message}", e.name),
                }
            }
            reason => {
                let why = crate::render::exit_reason(reason);
                Finding {
                    kind: FailureKind::Exit,
                    signature: format!("{} exited {} ({why})", family(&e.name), e.code),
                    detail: format!("{} exited {} ({why})", e.name, e.code),
                }
            }
        });
    }
    match &report.outcome {
        Outcome::Completed => None,
        Outcome::Deadlock(d) => {
            let name = |p: &Pid| {
                names
                    .get(p)
                    .map_or_else(|| p.to_string(), |n| n.to_string())
            };
            let mut cycle: Vec<String> = d.cycle.iter().map(name).collect();
            let signature = if cycle.is_empty() {
                let mut blocked: Vec<String> = d.blocked.iter().map(|w| name(&w.pid)).collect();
                blocked.sort();
                format!("deadlock without a cycle: {} blocked", blocked.join(", "))
            } else {
                let first = (0..cycle.len()).min_by_key(|i| &cycle[*i]).unwrap_or(0);
                cycle.rotate_left(first);
                cycle.push(cycle[0].clone());
                format!("deadlock: {}", cycle.join(" -> "))
            };
            Some(Finding {
                kind: FailureKind::Deadlock,
                detail: format!("{signature} ({} processes blocked)", d.blocked.len()),
                signature,
            })
        }
        Outcome::Livelock(l) => {
            let name = |p: &Pid| {
                names
                    .get(p)
                    .map_or_else(|| p.to_string(), |n| n.to_string())
            };
            let signature = match l.cause {
                LivelockCause::Spinning { pid, .. } => {
                    format!(
                        "livelock: {} runs on without a syscall",
                        family(&name(&pid))
                    )
                }
                LivelockCause::Steps { .. } => {
                    let mut busy: Vec<String> = l
                        .processes
                        .iter()
                        .map(|p| family(&name(p)).to_string())
                        .collect();
                    busy.sort();
                    busy.dedup();
                    format!("livelock: time stopped with {} busy", busy.join(", "))
                }
            };
            let detail = match l.cause {
                LivelockCause::Spinning { pid, steps } => {
                    format!("{} ran {steps} steps without a syscall", name(&pid))
                }
                LivelockCause::Steps { steps } => format!(
                    "{steps} kernel entries at tick {} without the clock moving",
                    report.ticks
                ),
            };
            Some(Finding {
                kind: FailureKind::Livelock,
                signature,
                detail,
            })
        }
        Outcome::TickLimit => Some(Finding {
            kind: FailureKind::TickLimit,
            signature: "tick limit".to_string(),
            detail: if report.ticks == report.max_ticks {
                format!("stopped at the tick limit {}", report.ticks)
            } else {
                format!(
                    "stopped at the tick limit {}, at tick {}",
                    report.max_ticks, report.ticks
                )
            },
        }),
    }
}

/// How a scenario's failed `expect` starts its console line.
const EXPECT_FAILED: &str = "expect failed at ";

/// How a scenario's runtime error starts its console line.
const ERROR_AT: &str = "error at ";

/// A panic message without the ` at FILE:LINE` the machine's panic hook appends: host
/// positions change with every edit of the program's source, the bug does not.
pub(super) fn without_host_location(message: &str) -> &str {
    match message.rsplit_once(" at ") {
        Some((m, at)) if at.rsplit_once(':').is_some_and(|(_, l)| is_number(l)) => m,
        _ => message,
    }
}

/// A process name without its copy index: `worker[3]` → `worker`.
pub(super) fn family(name: &str) -> &str {
    match name.strip_suffix(']').and_then(|n| n.rsplit_once('[')) {
        Some((base, index)) if is_number(index) => base,
        _ => name,
    }
}

pub(super) fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}
