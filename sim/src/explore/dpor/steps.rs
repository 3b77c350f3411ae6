//! What each step of a directed run touched, read from its trace.
//!
//! A step is one dispatch: with the directed policy giving way at every scheduling point, it
//! is the work between two scheduling points. This module turns a trace into [`Step`]s
//! (who ran, who else could have, and the [`Obj`]ects the step touched) and the run's
//! [`RunOutcome`]. It owns the dependence relation's raw material and never runs anything.

use crate::explore::{classify, Finding};
use crate::Report;
use abi::{Dest, MailboxId, Mode, Pid, Source, Syscall};
use kernel::sched::replay::Who;
use kernel::trace::{EventKind, WaitQueueId};
use std::collections::{BTreeMap, BTreeSet};

/// Something a step can touch; two steps of different processes that touch the same object
/// are dependent. Objects are named by run-independent names (processes by name and spawn
/// order, mailboxes by their creator and creation order), so that footprints compare across
/// runs (sleep sets carry them from one run to the next).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Obj {
    /// A mailbox: `(creator, n)` is the creator's n-th mailbox.
    Mailbox(Who, u32),
    /// A process's direct inbox.
    Inbox(Who),
    /// A process's life: spawn, exit, wait, a reply to it, a receive from it.
    Proc(Who),
    /// The mailbox table: creation (ids are allocated in order), names, deletion.
    Mailboxes,
    /// The process table: spawn and exit (pids are allocated in order and reused).
    Pids,
    /// The clock, while a timer (a sleep or a timeout) is armed.
    Clock,
}

/// One step of a run.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// Who ran.
    pub who: Who,
    /// Everyone ready at the dispatch (`who` among them), sorted.
    pub enabled: Vec<Who>,
    /// What it touched, sorted and without repeats, each with whether it changed it
    /// (`true`) or only looked (`false`).
    pub touched: Vec<(Obj, bool)>,
    /// The step that spawned `who`, if this is its first and another step spawned it.
    pub spawned_by: Option<usize>,
    /// The step that woke `who` from a wait (blocked or asleep), if it waited: what it
    /// does now it does because of that step, so that step happens before this one.
    pub woken_by: Option<usize>,
    /// It gave way (`yield`): the process polls, waiting for others to change what it looks
    /// at. The search wakes every process asleep in its sleep set here (see
    /// `dpor::wakes`), or a poll independent of a sleeper's next step would go on for
    /// ever.
    pub yielded: bool,
}

/// What a whole run came to: what an exhaustive search must find every one of.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunOutcome {
    /// The failure's signature, or `None` for a run that succeeded.
    pub failure: Option<String>,
    /// Every process's exit code, by name (`None`: still alive at the end).
    pub exits: BTreeMap<String, Option<i32>>,
    /// What each process printed, by name, in its own order.
    pub printed: BTreeMap<String, Vec<String>>,
}

/// A run read back: its steps, its outcome, its failure (with detail), whether it used
/// timers, and whether the trace contradicted the model (an internal error).
pub(crate) struct ReadRun {
    pub steps: Vec<Step>,
    pub outcome: RunOutcome,
    pub finding: Option<Finding>,
    pub used_clock: bool,
    pub inconsistent: Option<String>,
}

/// Read a traced run of the directed policy.
pub(crate) fn read(report: &Report) -> ReadRun {
    let mut who: BTreeMap<Pid, Who> = BTreeMap::new();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut mailboxes: BTreeMap<MailboxId, Obj> = BTreeMap::new();
    let mut created: BTreeMap<Who, u32> = BTreeMap::new();
    let mut ready: BTreeSet<Who> = BTreeSet::new();
    let mut timers: BTreeSet<Who> = BTreeSet::new();
    // Who was woken in which step, until it runs again.
    let mut woken: BTreeMap<Who, usize> = BTreeMap::new();
    let mut spawn_step: BTreeMap<Who, usize> = BTreeMap::new();
    let mut has_run: BTreeSet<Who> = BTreeSet::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut touched: BTreeMap<Obj, bool> = BTreeMap::new();
    let mut used_clock = false;
    let mut inconsistent = None;
    let mut exits: BTreeMap<String, Option<i32>> = BTreeMap::new();
    let mut printed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut exit_steps: Vec<usize> = Vec::new();
    // A receive from a named process, until a message from it is taken in the same step.
    let mut unanswered: Option<Obj> = None;
    let mut last_spawn: Option<usize> = None;

    let name_of = |who: &BTreeMap<Pid, Who>, pid: Pid| who.get(&pid).cloned();
    let close = |steps: &mut Vec<Step>, touched: &mut BTreeMap<Obj, bool>| {
        if let Some(last) = steps.last_mut() {
            last.touched = std::mem::take(touched).into_iter().collect();
        }
    };

    for e in &report.events {
        let current = steps.last().map(|s| s.who.clone());
        let endpoint = |who: &BTreeMap<Pid, Who>, dest: Dest| match dest {
            Dest::Process(p) => who.get(&p).cloned().map_or(Obj::Pids, Obj::Inbox),
            Dest::Mailbox(m) => mailboxes.get(&m).cloned().unwrap_or(Obj::Mailboxes),
        };
        let mut add: Vec<Obj> = Vec::new();
        // Objects only looked at: a receive from a process, a wait for its reply, watch it
        // for its exit, and two such looks commute.
        let mut look: Vec<Obj> = Vec::new();
        match &e.kind {
            EventKind::Spawn { pid, name, .. } => {
                let n = seen.entry(name.clone()).or_insert(0);
                let w = Who {
                    name: name.clone(),
                    nth: *n,
                };
                *n += 1;
                who.insert(*pid, w.clone());
                exits.insert(w.to_string(), None);
                ready.insert(w.clone());
                if !steps.is_empty() {
                    spawn_step.insert(w.clone(), steps.len() - 1);
                    last_spawn = Some(steps.len() - 1);
                    add.push(Obj::Pids);
                    add.push(Obj::Proc(w));
                }
            }
            EventKind::MessageReceived { by, .. } | EventKind::MessageHandedOver { to: by, .. }
                if name_of(&who, *by) == current =>
            {
                unanswered = None;
            }
            EventKind::Dispatch { pid } => {
                if let Some(obj) = unanswered.take() {
                    touched.entry(obj).or_insert(false);
                }
                close(&mut steps, &mut touched);
                let Some(w) = name_of(&who, *pid) else {
                    inconsistent.get_or_insert_with(|| format!("dispatch of unknown {pid}"));
                    continue;
                };
                if !ready.contains(&w) {
                    inconsistent.get_or_insert_with(|| format!("{w} dispatched but not ready"));
                }
                let enabled: Vec<Who> = ready.iter().cloned().collect();
                ready.remove(&w);
                let spawned_by = match has_run.insert(w.clone()) {
                    true => spawn_step.get(&w).copied(),
                    false => None,
                };
                let woken_by = woken.remove(&w);
                steps.push(Step {
                    who: w,
                    enabled,
                    touched: Vec::new(),
                    spawned_by,
                    woken_by,
                    yielded: false,
                });
            }
            EventKind::Preempt { pid, .. } | EventKind::Yield { pid } => {
                if let Some(w) = name_of(&who, *pid) {
                    if matches!(e.kind, EventKind::Yield { .. }) && Some(&w) == current.as_ref() {
                        if let Some(last) = steps.last_mut() {
                            last.yielded = true;
                        }
                    }
                    ready.insert(w);
                }
            }
            EventKind::Wake { pid, .. } => {
                if let Some(w) = name_of(&who, *pid) {
                    timers.remove(&w);
                    if let Some(i) = steps.len().checked_sub(1) {
                        woken.insert(w.clone(), i);
                    }
                    ready.insert(w);
                }
            }
            EventKind::Block {
                queue, deadline, ..
            } => {
                match *queue {
                    WaitQueueId::MailboxSenders(m)
                    | WaitQueueId::MailboxReceiver(m)
                    | WaitQueueId::MailboxCallers(m) => add.push(endpoint(&who, Dest::Mailbox(m))),
                    WaitQueueId::InboxSenders(p) | WaitQueueId::InboxReceiver(p) => {
                        add.push(endpoint(&who, Dest::Process(p)))
                    }
                    WaitQueueId::Exit(p) => {
                        add.push(who.get(&p).cloned().map_or(Obj::Pids, Obj::Proc))
                    }
                    WaitQueueId::ReceiversFrom(p) | WaitQueueId::Replies(p) => {
                        look.push(who.get(&p).cloned().map_or(Obj::Pids, Obj::Proc))
                    }
                    // The endpoints of the set were counted at the select itself.
                    WaitQueueId::Select(p) => add.push(endpoint(&who, Dest::Process(p))),
                }
                if deadline.is_some() {
                    if let Some(c) = &current {
                        timers.insert(c.clone());
                    }
                }
            }
            EventKind::Sleep { .. } => {
                if let Some(c) = &current {
                    timers.insert(c.clone());
                }
            }
            EventKind::Syscall { pid, call } => {
                let me = name_of(&who, *pid);
                let timed = |mode: Mode| matches!(mode, Mode::Timeout(_));
                match *call {
                    Syscall::Send { dest, mode, .. } => {
                        add.push(endpoint(&who, dest));
                        if timed(mode) {
                            add.push(Obj::Clock);
                        }
                    }
                    Syscall::Call { dest, mode, .. } => {
                        add.push(endpoint(&who, dest));
                        add.extend(me.clone().map(Obj::Proc));
                        if timed(mode) {
                            add.push(Obj::Clock);
                        }
                    }
                    Syscall::Receive { source, mode, .. } => {
                        match source {
                            Source::Any => add.extend(me.clone().map(Obj::Inbox)),
                            Source::Process(p) => {
                                add.extend(me.clone().map(Obj::Inbox));
                                // Whether the sender is alive matters only to a receive that
                                // finds no message from it: one that takes a message at once
                                // does not look (see `MessageReceived`).
                                unanswered =
                                    Some(who.get(&p).cloned().map_or(Obj::Pids, Obj::Proc));
                            }
                            Source::Mailbox(m) => add.push(endpoint(&who, Dest::Mailbox(m))),
                        }
                        if timed(mode) {
                            add.push(Obj::Clock);
                        }
                    }
                    Syscall::Reply { to, .. } => {
                        add.push(who.get(&to).cloned().map_or(Obj::Pids, Obj::Proc));
                    }
                    Syscall::Wait { child, mode } => {
                        add.push(who.get(&child).cloned().map_or(Obj::Pids, Obj::Proc));
                        if timed(mode) {
                            add.push(Obj::Clock);
                        }
                    }
                    Syscall::CreateMailbox { .. } | Syscall::LookupMailbox { .. } => {
                        add.push(Obj::Mailboxes);
                    }
                    Syscall::DeleteMailbox { mailbox } => {
                        add.push(Obj::Mailboxes);
                        add.push(endpoint(&who, Dest::Mailbox(mailbox)));
                    }
                    Syscall::TransferMailbox { mailbox, to } => {
                        add.push(Obj::Mailboxes);
                        add.push(endpoint(&who, Dest::Mailbox(mailbox)));
                        add.push(who.get(&to).cloned().map_or(Obj::Pids, Obj::Proc));
                    }
                    // Who may receive, or send in capability mode, changes: the mailbox.
                    Syscall::GrantReceive { mailbox, to }
                    | Syscall::RevokeReceive { mailbox, from: to }
                    | Syscall::GrantSend { mailbox, to } => {
                        add.push(endpoint(&who, Dest::Mailbox(mailbox)));
                        look.push(who.get(&to).cloned().map_or(Obj::Pids, Obj::Proc));
                    }
                    Syscall::SendRight {
                        dest, mode, right, ..
                    } => {
                        add.push(endpoint(&who, dest));
                        add.push(endpoint(&who, Dest::Mailbox(right.mailbox())));
                        if timed(mode) {
                            add.push(Obj::Clock);
                        }
                    }
                    // The set is in the caller's memory, not in the trace: count every live
                    // mailbox and the caller's inbox as touched, a superset of any set it
                    // may name, so no step it depends on is taken as independent.
                    Syscall::Select { mode, .. } => {
                        add.extend(mailboxes.values().cloned());
                        add.extend(me.clone().map(Obj::Inbox));
                        if timed(mode) {
                            add.push(Obj::Clock);
                        }
                    }
                    Syscall::Spawn { .. } => add.push(Obj::Pids),
                    Syscall::Sleep { ticks } if ticks > 0 => add.push(Obj::Clock),
                    Syscall::Sleep { .. }
                    | Syscall::Exit { .. }
                    | Syscall::GetPid
                    | Syscall::Yield
                    | Syscall::Compute { .. }
                    | Syscall::Print { .. } => {}
                }
            }
            EventKind::MailboxCreated { id, owner, .. } => {
                let creator = name_of(&who, *owner).unwrap_or(Who {
                    name: owner.to_string(),
                    nth: 0,
                });
                let n = created.entry(creator.clone()).or_insert(0);
                let obj = Obj::Mailbox(creator, *n);
                *n += 1;
                mailboxes.insert(*id, obj.clone());
                add.push(obj);
                add.push(Obj::Mailboxes);
            }
            EventKind::MailboxDeleted { id, .. } => {
                add.push(endpoint(&who, Dest::Mailbox(*id)));
                add.push(Obj::Mailboxes);
                mailboxes.remove(id);
            }
            EventKind::MailboxTransferred { id, .. } | EventKind::MailboxOrphaned { id, .. } => {
                add.push(endpoint(&who, Dest::Mailbox(*id)));
                add.push(Obj::Mailboxes);
            }
            // A right carried in a message changes hands as the message is received (or is
            // voided then): the mailbox it is on changes with it.
            EventKind::RightTransferred { right, .. } | EventKind::RightVoided { right, .. } => {
                add.push(endpoint(&who, Dest::Mailbox(right.mailbox())));
            }
            EventKind::Print { pid, text } => {
                if let Some(w) = name_of(&who, *pid) {
                    printed.entry(w.to_string()).or_default().push(text.clone());
                }
            }
            EventKind::Exit { pid, code, .. } => {
                if let Some(w) = name_of(&who, *pid) {
                    exits.insert(w.to_string(), Some(*code));
                    timers.remove(&w);
                    ready.remove(&w);
                    add.push(Obj::Proc(w.clone()));
                    add.push(Obj::Inbox(w));
                }
                if let Some(i) = steps.len().checked_sub(1) {
                    exit_steps.push(i);
                }
            }
            _ => {}
        }
        if !steps.is_empty() {
            for obj in look {
                touched.entry(obj).or_insert(false);
            }
            for obj in add {
                touched.insert(obj, true);
            }
            if !timers.is_empty() {
                touched.insert(Obj::Clock, true);
            }
            if touched.contains_key(&Obj::Clock) {
                used_clock = true;
            }
        }
    }
    if let Some(obj) = unanswered.take() {
        touched.entry(obj).or_insert(false);
    }
    close(&mut steps, &mut touched);
    // Pids are reused last-freed-first, so the order of two exits shows only in the pids of
    // processes spawned after them: exits commute with each other unless a spawn follows.
    for i in exit_steps {
        if last_spawn.is_some_and(|s| s > i) {
            match steps[i]
                .touched
                .binary_search_by(|(o, _)| o.cmp(&Obj::Pids))
            {
                Ok(at) => steps[i].touched[at].1 = true,
                Err(at) => steps[i].touched.insert(at, (Obj::Pids, true)),
            }
        }
    }
    let finding = classify(report);
    ReadRun {
        steps,
        outcome: RunOutcome {
            failure: finding.as_ref().map(|f| f.signature.clone()),
            exits,
            printed,
        },
        finding,
        used_clock,
        inconsistent,
    }
}
