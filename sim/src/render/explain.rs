//! `explain`: a run's outcome in plain words.
//!
//! This module owns the prose account of a [`Report`]: how the run ended (and who failed),
//! who waited for whom and for how long (replayed from the trace's `Block`, `Sleep` and
//! `Wake` events), which messages were lost and where, the deadlock cycle as a sentence, why
//! each process still blocked at the end is blocked (the live wait-for graph of the final
//! process table, walked from that process until the chain ends or closes a cycle), and the
//! ledger. It reads only the report, never the kernel. It must stay deterministic (first
//! appearance or slot order, never a hash map) and must never panic, whatever the report
//! holds: a trace without tracing, a wake with no block before it, a pid nobody introduced.

use super::ps;
use super::Names;
use crate::{Outcome, Report};
use abi::{Capacity, Dest, Error, MailboxId, Pid, Syscall, Ticks};
use kernel::inspect::{ProcessInfo, StateInfo, WaitInfo, WaitOn};
use kernel::trace::WaitQueueId;
use kernel::trace::{DropReason, EventKind, LivelockCause, ReplyDropReason, WakeReason};
use kernel::Deadlock;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The run told in plain English: outcome, waits, lost messages, deadlock cycle, ledger.
pub fn render(report: &Report) -> String {
    let names = Names::from_events(&report.events);
    let mut out = String::new();
    outcome(&mut out, report, &names);
    out.push('\n');
    if report.events.is_empty() {
        out.push_str("The trace was not recorded, so the waits and losses cannot be told.\n");
    } else {
        waits(&mut out, report, &names);
        out.push('\n');
        losses(&mut out, report, &names);
    }
    if let Outcome::Deadlock(d) = &report.outcome {
        out.push('\n');
        deadlock(&mut out, d, report, &names);
    }
    if report.processes.iter().any(|p| p.state.wait().is_some()) {
        out.push('\n');
        why_blocked(&mut out, report, &names);
    }
    out.push('\n');
    ledger(&mut out, report, &names);
    out
}

/// `1 process`, `3 processes`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn outcome(out: &mut String, report: &Report, names: &Names) {
    let failed: Vec<_> = report
        .exited
        .iter()
        .filter(|e| e.code != 0 && !report.expected_kill(e))
        .collect();
    let exited = report.exited.len();
    let alive = report
        .processes
        .iter()
        .filter(|p| !matches!(p.state, StateInfo::Zombie { .. }))
        .count();
    let t = report.ticks;
    let _ = match &report.outcome {
        Outcome::Completed if failed.is_empty() && alive > 0 => writeln!(
            out,
            "The run completed at tick {t}: {} exited 0, and {} left idle.",
            count(exited, "process", "processes"),
            count(alive, "daemon was", "daemons were")
        ),
        Outcome::Completed if failed.is_empty() => writeln!(
            out,
            "The run completed at tick {t}: {} exited 0.",
            match exited {
                1 => "the only process".to_string(),
                2 => "both processes".to_string(),
                n => format!("all {n} processes"),
            }
        ),
        Outcome::Completed => writeln!(
            out,
            "The run completed at tick {t}, but {} of {} failed:",
            failed.len(),
            count(exited, "process", "processes")
        ),
        Outcome::Deadlock(d) => writeln!(
            out,
            "The run deadlocked at tick {t}: {} blocked forever, and nothing can wake them.",
            count(d.blocked.len(), "process is", "processes are")
        ),
        Outcome::Livelock(l) => {
            let why = match l.cause {
                LivelockCause::Steps { steps } => format!(
                    "the kernel was entered {steps} times at this tick, so its clock had stopped \
                     (syscalls and switches that cost no time, in a loop)"
                ),
                LivelockCause::Spinning { pid, steps } => format!(
                    "{} ran {steps} steps of its own program without a syscall, and a program's \
                     own steps take no time",
                    names.pid(pid)
                ),
            };
            let who: Vec<String> = l.processes.iter().map(|p| names.pid(*p)).collect();
            writeln!(
                out,
                "The run stopped at tick {t} in a livelock: {why}. Running or ready then: {}.",
                if who.is_empty() {
                    "nobody".to_string()
                } else {
                    who.join(", ")
                }
            )
        }
        Outcome::TickLimit if t == report.max_ticks => writeln!(
            out,
            "The run stopped at its tick limit, tick {t}, with {} still alive.",
            count(alive, "process", "processes")
        ),
        // A clock jump (or a charge) carried the clock over the limit.
        Outcome::TickLimit => writeln!(
            out,
            "The run stopped past its tick limit {}, at tick {t}, with {} still alive.",
            report.max_ticks,
            count(alive, "process", "processes")
        ),
    };
    if !matches!(report.outcome, Outcome::Completed) {
        let ok = exited - failed.len();
        if exited > 0 && failed.is_empty() {
            let _ = writeln!(
                out,
                "{} exited before that, all with 0.",
                count(exited, "process", "processes")
            );
        } else if exited > 0 {
            let _ = writeln!(
                out,
                "{} exited before that; {ok} with 0, and these failed:",
                count(exited, "process", "processes")
            );
        }
    }
    for e in failed {
        let _ = writeln!(
            out,
            "  {} exited {} ({}) at tick {}.",
            names.pid(e.pid),
            e.code,
            super::exit_reason(&e.reason),
            e.stats.exited_at.unwrap_or(t)
        );
    }
}

/// What a wait was for, in words, learnt as the trace goes.
#[derive(Debug, Default)]
struct World {
    /// Each mailbox's owner now and its capacity.
    mailboxes: BTreeMap<MailboxId, (Pid, Capacity)>,
    /// Each process's inbox capacity.
    inboxes: BTreeMap<Pid, Capacity>,
}

impl World {
    fn learn(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Spawn { pid, inbox, .. } => {
                self.inboxes.insert(*pid, *inbox);
            }
            EventKind::MailboxCreated {
                id,
                owner,
                capacity,
                ..
            } => {
                self.mailboxes.insert(*id, (*owner, *capacity));
            }
            EventKind::MailboxTransferred { id, to, .. } => {
                if let Some(m) = self.mailboxes.get_mut(id) {
                    m.0 = *to;
                }
            }
            _ => {}
        }
    }

    /// `waited for room in mb0:jobs (owner p1:consumer)` and the like.
    fn waited_for(&self, names: &Names, q: WaitQueueId) -> String {
        let owner = |m: MailboxId| {
            self.mailboxes
                .get(&m)
                .map_or("its owner".to_string(), |(o, _)| names.pid(*o))
        };
        let rendezvous = |c: Option<&Capacity>| c == Some(&Capacity::Zero);
        match q {
            WaitQueueId::MailboxReceiver(m) => {
                format!("waited for a message in {}", names.mailbox(m))
            }
            WaitQueueId::MailboxSenders(m) => {
                if rendezvous(self.mailboxes.get(&m).map(|(_, c)| c)) {
                    format!(
                        "waited for {} to receive from {} (rendezvous)",
                        owner(m),
                        names.mailbox(m)
                    )
                } else {
                    format!(
                        "waited for room in {} (owner {})",
                        names.mailbox(m),
                        owner(m)
                    )
                }
            }
            WaitQueueId::MailboxCallers(m) => format!(
                "waited for {} to take its call from {}",
                owner(m),
                names.mailbox(m)
            ),
            WaitQueueId::InboxSenders(p) => {
                if rendezvous(self.inboxes.get(&p)) {
                    format!("waited for {} to receive (rendezvous)", names.pid(p))
                } else {
                    format!("waited for room in {}'s inbox", names.pid(p))
                }
            }
            WaitQueueId::InboxReceiver(_) => "waited for a message in its inbox".to_string(),
            WaitQueueId::ReceiversFrom(p) => format!("waited for a message from {}", names.pid(p)),
            WaitQueueId::Replies(p) => format!("waited for {} to reply", names.pid(p)),
            WaitQueueId::Exit(p) => format!("waited for its child {} to exit", names.pid(p)),
            WaitQueueId::Select(_) => {
                "waited in select for a message at any of its endpoints".to_string()
            }
        }
    }
}

/// How one wait ended.
#[derive(Clone, Copy, Debug)]
enum End {
    /// A wake event: by whom (`None`: the timer) and why.
    Woken(Option<Pid>, WakeReason),
    /// The call moved on to its next wait, this queue (a call's message was queued or
    /// taken; now it waits for the reply).
    Moved(WaitQueueId),
    /// The process exited while waiting.
    Exited,
    /// The run ended first.
    Open,
}

/// The waits of one process on one kind of thing.
#[derive(Debug)]
struct Group {
    what: String,
    times: u64,
    total: Ticks,
    /// How many of the waits ended in a timeout.
    timeouts: u64,
    /// The longest single wait: its length, start, end and how it ended.
    longest: (Ticks, Ticks, Ticks, End),
}

/// One process's waits, grouped by what they were for, in first-appearance order.
#[derive(Debug, Default)]
struct Waits {
    open: Option<(Ticks, String)>,
    groups: Vec<Group>,
}

impl Waits {
    fn close(&mut self, at: Ticks, end: End) {
        let Some((start, what)) = self.open.take() else {
            return;
        };
        let len = at.saturating_sub(start);
        let timeout = u64::from(matches!(end, End::Woken(_, WakeReason::TimedOut)));
        match self.groups.iter_mut().find(|g| g.what == what) {
            Some(g) => {
                g.times += 1;
                g.total += len;
                g.timeouts += timeout;
                if len > g.longest.0 {
                    g.longest = (len, start, at, end);
                }
            }
            None => self.groups.push(Group {
                what,
                times: 1,
                total: len,
                timeouts: timeout,
                longest: (len, start, at, end),
            }),
        }
    }
}

fn waits(out: &mut String, report: &Report, names: &Names) {
    let mut world = World::default();
    // Spawn order, the order a reader met the processes in.
    let mut order: Vec<Pid> = Vec::new();
    let mut waits: BTreeMap<Pid, Waits> = BTreeMap::new();
    for e in &report.events {
        world.learn(&e.kind);
        match &e.kind {
            EventKind::Spawn { pid, .. } => {
                order.push(*pid);
                waits.insert(*pid, Waits::default());
            }
            EventKind::Block { pid, queue, .. } => {
                let w = waits.entry(*pid).or_default();
                w.close(e.tick, End::Moved(*queue));
                w.open = Some((e.tick, world.waited_for(names, *queue)));
            }
            EventKind::Sleep { pid, .. } => {
                // A process sleeps only from a CPU, so nothing is open to close here.
                let w = waits.entry(*pid).or_default();
                w.open = Some((e.tick, "slept".to_string()));
            }
            EventKind::Wake { pid, by, reason } => {
                if let Some(w) = waits.get_mut(pid) {
                    w.close(e.tick, End::Woken(*by, *reason));
                }
            }
            EventKind::Exit { pid, .. } => {
                if let Some(w) = waits.get_mut(pid) {
                    w.close(e.tick, End::Exited);
                }
            }
            _ => {}
        }
    }
    out.push_str("Who waited for what:\n");
    for pid in order {
        let Some(w) = waits.get_mut(&pid) else {
            continue;
        };
        w.close(report.ticks, End::Open);
        let name = names.pid(pid);
        if w.groups.is_empty() {
            let _ = writeln!(out, "  {name} never waited.");
            continue;
        }
        let total: Ticks = w.groups.iter().map(|g| g.total).sum();
        let _ = writeln!(
            out,
            "  {name} waited {} in all:",
            count(total as usize, "tick", "ticks")
        );
        for g in &w.groups {
            let (len, start, end, how) = g.longest;
            let line = if g.times == 1 && matches!(how, End::Open) {
                format!("{} from tick {start} on, and still waits", g.what)
            } else if g.times == 1 {
                format!(
                    "{} for {} ({start} to {end}){}",
                    g.what,
                    count(len as usize, "tick", "ticks"),
                    ended(names, how)
                )
            } else {
                let timeouts = match g.timeouts {
                    0 => String::new(),
                    n => format!(" ({n} timed out)"),
                };
                format!(
                    "{} {} times{timeouts}, {} ticks; longest {len} ({start} to {end}){}",
                    g.what,
                    g.times,
                    g.total,
                    ended(names, how)
                )
            };
            let _ = writeln!(out, "    {line}.");
        }
    }
}

/// `, woken by p1:producer 0`, `, timed out`, ...
fn ended(names: &Names, end: End) -> String {
    let by = |b: Option<Pid>| b.map_or("the timer".to_string(), |p| names.pid(p));
    match end {
        End::Woken(b, WakeReason::Completed) => format!(", woken by {}", by(b)),
        End::Woken(_, WakeReason::TimedOut) => ", then timed out".to_string(),
        End::Woken(_, WakeReason::SleepEnded) => String::new(),
        End::Woken(_, WakeReason::Arrived) => ", held until its arrival".to_string(),
        // The owner's exit deletes its mailboxes too, so the waker is not always the deleter.
        End::Woken(_, WakeReason::MailboxDeleted) => {
            ", ended when the mailbox was deleted".to_string()
        }
        End::Woken(b, WakeReason::PeerExited) => format!(", ended when {} exited", by(b)),
        End::Woken(b, WakeReason::BufferTooSmall) => {
            format!(", ended by {} with a message too big for its buffer", by(b))
        }
        End::Woken(b, WakeReason::MessageDropped) => format!(
            ", ended when {} overflowed the mailbox and its call was dropped",
            by(b)
        ),
        End::Woken(b, WakeReason::Revoked) => {
            format!(", ended when {} revoked its right to receive", by(b))
        }
        End::Moved(WaitQueueId::Replies(p)) => format!(", until {} took its call", names.pid(p)),
        End::Moved(WaitQueueId::MailboxCallers(m)) => {
            format!(", until its call was queued in {}", names.mailbox(m))
        }
        End::Moved(_) => ", until its call moved on".to_string(),
        End::Exited => ", until it exited".to_string(),
        End::Open => ", still waiting at the end".to_string(),
    }
}

/// A kind of loss at one place; repeats are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loss {
    /// Queued messages discarded.
    Dropped { via: Dest, reason: DropReason },
    /// A send or call that gave up before its message entered the kernel.
    Abandoned { pid: Pid, to: Dest, error: Error },
    /// A reply that reached nobody.
    Reply {
        from: Pid,
        to: Pid,
        reason: ReplyDropReason,
    },
}

/// Lost messages, each kind counted per place, in first-appearance order.
fn losses(out: &mut String, report: &Report, names: &Names) {
    // (what, how many, first tick, last tick)
    let mut seen: Vec<(Loss, usize, Ticks, Ticks)> = Vec::new();
    for e in &report.events {
        let (loss, n) = match &e.kind {
            EventKind::MessagesDropped { via, count, reason } => (
                Loss::Dropped {
                    via: *via,
                    reason: *reason,
                },
                *count,
            ),
            EventKind::SendAbandoned { pid, to, error } => (
                Loss::Abandoned {
                    pid: *pid,
                    to: *to,
                    error: *error,
                },
                1,
            ),
            EventKind::ReplyDropped { from, to, reason } => (
                Loss::Reply {
                    from: *from,
                    to: *to,
                    reason: *reason,
                },
                1,
            ),
            _ => continue,
        };
        match seen.iter_mut().find(|s| s.0 == loss) {
            Some(s) => {
                s.1 += n;
                s.3 = e.tick;
            }
            None => seen.push((loss, n, e.tick, e.tick)),
        }
    }
    if seen.is_empty() {
        out.push_str("No message was lost: none dropped, no send abandoned, no reply dropped.\n");
        return;
    }
    out.push_str("Messages lost:\n");
    for (loss, n, first, last) in seen {
        let when = if first == last {
            format!("tick {first}")
        } else {
            format!("ticks {first} to {last}")
        };
        let line = match loss {
            Loss::Dropped { via, reason } => {
                let at = match via {
                    Dest::Mailbox(m) => names.mailbox(m),
                    Dest::Process(p) => format!("{}'s inbox", names.pid(p)),
                };
                let why = match (reason, via) {
                    (DropReason::MailboxDeleted, _) => "the mailbox was deleted".to_string(),
                    (DropReason::OwnerExited, _) => "its owner exited".to_string(),
                    (DropReason::ReceiverExited, Dest::Process(p)) => {
                        format!("{} exited", names.pid(p))
                    }
                    (DropReason::ReceiverExited, Dest::Mailbox(_)) => {
                        "its receiver exited".to_string()
                    }
                    (DropReason::Overflow, _) => {
                        "the mailbox was full and its overflow policy dropped them".to_string()
                    }
                    (DropReason::Fault, _) => "fault injection lost them".to_string(),
                };
                format!(
                    "{} dropped at {at} ({when}): {why}",
                    count(n, "message", "messages")
                )
            }
            Loss::Abandoned { pid, to, error } => format!(
                "{} gave up {} to {} ({when}): {}; not delivered",
                names.pid(pid),
                count(n, "send", "sends"),
                names.dest(to),
                error_words(error)
            ),
            Loss::Reply { from, to, reason } => format!(
                "{} from {} to {} lost ({when}): {}",
                count(n, "reply", "replies"),
                names.pid(from),
                names.pid(to),
                match reason {
                    ReplyDropReason::NoSuchProcess => "the caller had exited",
                    ReplyDropReason::NotWaiting => "the caller no longer waited for it",
                }
            ),
        };
        let _ = writeln!(out, "  {line}.");
    }
}

/// `timed out`, `mailbox deleted`, `peer exited`: the error's name as words.
fn error_words(error: Error) -> String {
    error.name().replace('_', " ")
}

fn deadlock(out: &mut String, d: &Deadlock, report: &Report, names: &Names) {
    let owner = |m: MailboxId| {
        report
            .mailboxes
            .iter()
            .find(|mb| mb.id == m)
            .and_then(|mb| mb.owner.as_ref().map(|o| o.pid))
    };
    // What one blocked process waits to do, ending with the process that holds it, so that
    // a chain reads "a waits to ... b, which waits to ... a".
    let verb = |q: WaitQueueId| -> String {
        match q {
            WaitQueueId::MailboxSenders(m) => match owner(m) {
                Some(o) => format!(
                    "waits to send to {}, owned by {}",
                    names.mailbox(m),
                    names.pid(o)
                ),
                None => format!("waits to send to {}", names.mailbox(m)),
            },
            WaitQueueId::MailboxCallers(m) => match owner(m) {
                Some(o) => format!(
                    "waits for its call in {} to be taken by {}",
                    names.mailbox(m),
                    names.pid(o)
                ),
                None => format!("waits for its call in {} to be taken", names.mailbox(m)),
            },
            WaitQueueId::MailboxReceiver(m) => {
                format!("waits for a message in {}", names.mailbox(m))
            }
            WaitQueueId::InboxSenders(p) => format!("waits to send to {}", names.pid(p)),
            WaitQueueId::InboxReceiver(_) => "waits for a message in its inbox".to_string(),
            WaitQueueId::ReceiversFrom(p) => format!("waits to receive from {}", names.pid(p)),
            WaitQueueId::Replies(p) => format!("waits for a reply from {}", names.pid(p)),
            WaitQueueId::Exit(p) => format!("waits for its child {} to exit", names.pid(p)),
            WaitQueueId::Select(_) => "waits in select for a message".to_string(),
        }
    };
    let queue_of = |pid: Pid| d.blocked.iter().find(|w| w.pid == pid).map(|w| w.queue);
    if d.cycle.is_empty() {
        out.push_str("Deadlock without a single wait-for cycle: nobody left can send what the others wait for.\n");
    } else {
        let mut s = format!("Deadlock: {}", names.pid(d.cycle[0]));
        for (i, pid) in d.cycle.iter().enumerate() {
            if i > 0 {
                s.push_str(", which");
            }
            match queue_of(*pid) {
                Some(q) => {
                    let _ = write!(s, " {}", verb(q));
                }
                None => s.push_str(" waits"),
            }
        }
        s.push('.');
        let _ = writeln!(out, "{s}");
        let _ = writeln!(
            out,
            "Each waits for the next, none has a timeout, so none will ever move."
        );
    }
    let others: Vec<_> = d
        .blocked
        .iter()
        .filter(|w| !d.cycle.contains(&w.pid))
        .collect();
    if !others.is_empty() {
        out.push_str("Also blocked for ever:\n");
        for w in others {
            let detail = report
                .processes
                .iter()
                .find(|p| p.pid == w.pid)
                .map_or_else(|| verb(w.queue), ps::describe);
            let _ = writeln!(out, "  {}: {detail}", names.pid(w.pid));
        }
    }
}

/// Where a walk along the wait-for graph goes after one blocked process.
enum Next {
    /// To the one process that can release it.
    Holder(Pid),
    /// Nowhere: no single process can (a receiver on an empty endpoint waits for any
    /// sender); the sentence is complete.
    Anyone,
}

/// "Why each blocked process is blocked": for every process blocked at the end, one
/// paragraph that follows what it waits for, who alone can release it, what that process is
/// doing, and so on, until a process that is not blocked, a wait nobody holds alone, or a
/// process already named (a cycle).
fn why_blocked(out: &mut String, report: &Report, names: &Names) {
    let table: BTreeMap<Pid, &ProcessInfo> = report.processes.iter().map(|p| (p.pid, p)).collect();
    let who = |pid: Pid| match table.get(&pid) {
        Some(p) => format!("{pid}:{}", p.name),
        None => names.pid(pid),
    };
    let senders = senders_by_endpoint(report);
    out.push_str("Why each blocked process is blocked:\n");
    for start in &report.processes {
        if start.state.wait().is_none() {
            continue;
        }
        let mut s = format!("{} is blocked: ", who(start.pid));
        let mut chain: Vec<Pid> = vec![start.pid];
        let mut at: &ProcessInfo = start;
        while let Some(w) = at.state.wait() {
            let (clause, next) = wait_clause(w, at.pid, &who, &senders, &table);
            s.push_str(&clause);
            let Next::Holder(h) = next else {
                break;
            };
            if h == start.pid {
                let _ = write!(s, ", which closes the cycle back to {}", who(h));
                break;
            }
            if let Some(pos) = chain.iter().position(|p| *p == h) {
                let mut cycle: Vec<String> = chain[pos..].iter().map(|p| who(*p)).collect();
                cycle.push(who(h));
                let _ = write!(
                    s,
                    ", which closes a cycle that {} waits on: {}",
                    who(start.pid),
                    cycle.join(" -> ")
                );
                break;
            }
            chain.push(h);
            let Some(next) = table.get(&h) else {
                let _ = write!(s, ", and {} no longer exists", who(h));
                break;
            };
            match &next.state {
                StateInfo::Blocked(_) => {
                    let _ = write!(s, ", and {} is blocked: ", who(h));
                    at = next;
                }
                StateInfo::Ready => {
                    let _ = write!(s, ", and {} is ready, waiting for a CPU", who(h));
                    break;
                }
                StateInfo::Running { cpu } => {
                    let _ = write!(s, ", and {} is running on cpu{cpu}", who(h));
                    break;
                }
                StateInfo::Sleeping { until } => {
                    let _ = write!(s, ", and {} is sleeping until tick {until}", who(h));
                    break;
                }
                StateInfo::Zombie { .. } => {
                    let _ = write!(s, ", and {} has exited", who(h));
                    break;
                }
            }
        }
        s.push('.');
        let _ = writeln!(out, "  {s}");
    }
}

/// What one blocked process waits for, ending with who alone can release it (named in the
/// clause) and where the walk goes next.
fn wait_clause(
    w: &WaitInfo,
    me: Pid,
    who: &dyn Fn(Pid) -> String,
    senders: &BTreeMap<(bool, u64), Vec<Pid>>,
    table: &BTreeMap<Pid, &ProcessInfo>,
) -> (String, Next) {
    let holder = w.holder.as_ref().map(|h| h.pid);
    let timeout = w
        .deadline
        .map_or(String::new(), |d| format!(" (timeout at tick {d})"));
    let anyone = |dest: Dest, what: String| {
        let s = format!(
            "{what}{timeout}; no one process holds it: {}",
            could_send(dest, me, who, senders, table)
        );
        (s, Next::Anyone)
    };
    let held = |what: String, then: &str| match holder {
        Some(h) => (
            format!("{what}{timeout}; only {} can {then}", who(h)),
            Next::Holder(h),
        ),
        None => (format!("{what}{timeout}"), Next::Anyone),
    };
    match &w.on {
        WaitOn::Send { to, call, .. } => {
            let inbox = matches!(to.dest, Dest::Process(_));
            let verb = if *call {
                "it waits to send its call to"
            } else {
                "it waits to send to"
            };
            let load = to.load.map_or(String::new(), |l| {
                format!(" ({})", ps::send_load(&l, inbox))
            });
            let then = match to.load.map(|l| l.capacity) {
                Some(Capacity::Zero) => "take it",
                _ => "make room",
            };
            held(format!("{verb} {}{load}", ps::endpoint(to)), then)
        }
        WaitOn::Reply {
            to,
            server,
            received,
        } => match (server, received) {
            (Some(s), true) => (
                format!("it waits for a reply from {}{timeout}", who(s.pid)),
                Next::Holder(s.pid),
            ),
            (Some(s), false) => (
                format!(
                    "it waits for {} to receive its call (queued in its inbox{}) and reply{timeout}",
                    who(s.pid),
                    to.load
                        .map_or(String::new(), |l| format!(", {}", ps::fill(&l)))
                ),
                Next::Holder(s.pid),
            ),
            (None, _) => held(
                format!(
                    "its call is queued in {}{}",
                    ps::endpoint(to),
                    to.load
                        .map_or(String::new(), |l| format!(" ({})", ps::fill(&l)))
                ),
                "take it and reply",
            ),
        },
        WaitOn::ReceiveMailbox { mailbox } => anyone(
            mailbox.dest,
            format!(
                "it waits for a message in {}{}",
                ps::endpoint(mailbox),
                mailbox
                    .load
                    .map_or(String::new(), |l| format!(" ({})", ps::receive_load(&l)))
            ),
        ),
        WaitOn::ReceiveAny { inbox } => anyone(
            Dest::Process(me),
            format!(
                "it waits for a message in its inbox ({})",
                ps::receive_load(inbox)
            ),
        ),
        WaitOn::ReceiveFrom { from } => (
            format!("it waits for a message from {}{timeout}", who(from.pid)),
            Next::Holder(from.pid),
        ),
        WaitOn::Select { endpoints } => (
            format!(
                "it waits in select for a message at any of {}{timeout}",
                endpoints
                    .iter()
                    .map(ps::endpoint)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Next::Anyone,
        ),
        WaitOn::Child { child } => (
            format!("it waits for its child {} to exit{timeout}", who(child.pid)),
            Next::Holder(child.pid),
        ),
    }
}

/// Who could send to an endpoint nobody holds alone: any process, and of those that sent (or
/// tried to) in this run, the ones still alive, with what they are doing.
fn could_send(
    dest: Dest,
    me: Pid,
    who: &dyn Fn(Pid) -> String,
    senders: &BTreeMap<(bool, u64), Vec<Pid>>,
    table: &BTreeMap<Pid, &ProcessInfo>,
) -> String {
    let known: Vec<Pid> = senders.get(&endpoint_key(dest)).map_or(Vec::new(), |v| {
        v.iter().copied().filter(|p| *p != me).collect()
    });
    if known.is_empty() {
        return "any process could send to it, but none did in this run".to_string();
    }
    let alive: Vec<String> = known
        .iter()
        .filter_map(|p| {
            let info = table.get(p)?;
            let doing = match &info.state {
                StateInfo::Zombie { .. } => return None,
                StateInfo::Blocked(_) => "blocked".to_string(),
                StateInfo::Ready => "ready".to_string(),
                StateInfo::Running { cpu } => format!("running on cpu{cpu}"),
                StateInfo::Sleeping { until } => format!("sleeping until tick {until}"),
            };
            Some(format!("{} ({doing})", who(*p)))
        })
        .collect();
    if alive.is_empty() {
        let all: Vec<String> = known.iter().map(|p| who(*p)).collect();
        return format!(
            "any process could send to it, but all that did in this run have exited ({})",
            all.join(", ")
        );
    }
    let verb = if alive.len() == 1 { "is" } else { "are" };
    format!(
        "any process could send to it, and of those that did in this run {} {verb} still alive",
        join_and(&alive)
    )
}

/// An endpoint as a map key (`Dest` has no order): whether it is a mailbox, and its raw id.
fn endpoint_key(dest: Dest) -> (bool, u64) {
    match dest {
        Dest::Mailbox(m) => (true, m.raw()),
        Dest::Process(p) => (false, p.raw()),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Every process that sent or called (or tried to) each endpoint, in first-appearance order,
/// read from the trace's syscalls.
fn senders_by_endpoint(report: &Report) -> BTreeMap<(bool, u64), Vec<Pid>> {
    let mut senders: BTreeMap<(bool, u64), Vec<Pid>> = BTreeMap::new();
    for e in &report.events {
        let EventKind::Syscall { pid, call } = &e.kind else {
            continue;
        };
        let dest = match call {
            Syscall::Send { dest, .. }
            | Syscall::Call { dest, .. }
            | Syscall::SendRight { dest, .. } => *dest,
            _ => continue,
        };
        let list = senders.entry(endpoint_key(dest)).or_default();
        if !list.contains(pid) {
            list.push(*pid);
        }
    }
    senders
}

fn ledger(out: &mut String, report: &Report, names: &Names) {
    let l = &report.ledger;
    let _ = writeln!(
        out,
        "Messages: {} sent, {} received, {} dropped, {} still queued; {}.",
        l.sent,
        l.received,
        l.dropped.total(),
        report.queued,
        if report.ledger_balances() {
            "every message is accounted for"
        } else {
            "the ledger does NOT balance (a kernel bug)"
        }
    );
    let mut queued: Vec<String> = Vec::new();
    for m in report.mailboxes.iter().filter(|m| m.queued > 0) {
        queued.push(format!("{} in {}", m.queued, names.mailbox(m.id)));
    }
    for p in report.processes.iter().filter(|p| p.inbox.queued > 0) {
        queued.push(format!(
            "{} in {}'s inbox",
            p.inbox.queued,
            names.pid(p.pid)
        ));
    }
    if !queued.is_empty() {
        let _ = writeln!(out, "Still queued at the end: {}.", queued.join(", "));
    }
}
