//! What each step of a directed run touched, read from its trace.
//!
//! A step is one dispatch: with the directed policy giving way at every scheduling point, it
//! is the work between two scheduling points. This module turns a trace into [`Step`]s
//! (who ran, who else could have, the [`Obj`]ects the step touched and how, which steps it
//! cannot run before, which appends of it commute) and the run's [`RunOutcome`]. It owns
//! the dependence relation's raw material and never runs anything.

use crate::explore::{classify, Finding};
use crate::Report;
use abi::{Capacity, Dest, MailboxId, Mode, Overflow, Pid, Receivers, Source, Syscall};
use kernel::sched::replay::Who;
use kernel::trace::{EventKind, MsgId, WaitQueueId};
use std::collections::{BTreeMap, BTreeSet};

/// A process of a search, the same in all its runs: an index into [`Procs`]. Steps name
/// processes with it rather than with a [`Who`], which the search would otherwise clone
/// and compare, strings and all, at every step of every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct P(u32);

impl P {
    /// Its index in the search's [`Procs`]: the same in every shard of one search for the
    /// processes the plan met.
    pub(crate) fn index(self) -> u32 {
        self.0
    }
}

/// The processes a search has met, each by name and spawn order (its [`Who`]), given a
/// [`P`] the first time it is met.
#[derive(Default)]
pub(crate) struct Procs {
    by_name: BTreeMap<String, Vec<P>>,
    names: Vec<Who>,
}

impl Procs {
    /// The `nth` process spawned under `name` (spawned in order: the `nth` comes after
    /// the first `nth - 1`).
    fn intern(&mut self, name: &str, nth: u32) -> P {
        if let Some(&p) = self.by_name.get(name).and_then(|ps| ps.get(nth as usize)) {
            return p;
        }
        let p = P(self.names.len() as u32);
        self.names.push(Who {
            name: name.to_string(),
            nth,
        });
        self.by_name.entry(name.to_string()).or_default().push(p);
        p
    }

    /// Who `p` is.
    pub(crate) fn who(&self, p: P) -> &Who {
        &self.names[p.0 as usize]
    }
}

/// Something a step can touch; two steps of different processes that touch the same object
/// are dependent unless both only look, or one only appends messages to an endpoint whose
/// sole receiver the other only takes from (see [`Access`]), or both append where the
/// receives cannot tell their order ([`Step::commutes_with`]). Objects are named by
/// run-independent names (processes by their index in the search's [`Procs`], mailboxes by
/// their creator and creation order), so that footprints compare across runs (sleep sets
/// carry them from one run to the next).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Obj {
    /// A mailbox: `(creator, n)` is the creator's n-th mailbox.
    Mailbox(P, u32),
    /// A process's direct inbox.
    Inbox(P),
    /// A process's life: spawn, exit, wait, a receive from it, a wait for its reply.
    Proc(P),
    /// A process's wait for a reply: its `call` starts one, a reply to it ends it (or, if
    /// it is not waiting, is dropped).
    Caller(P),
    /// The mailbox table: creation (ids are allocated in order), names, deletion.
    Mailboxes,
    /// The process table: spawn and exit (pids are allocated in order and reused).
    Pids,
    /// The clock: every step moves it on (a look, as moves commute); a step that arms a
    /// timer (a sleep or a timeout), or runs while one is armed, changes it.
    Clock,
}

/// How a step touches an object.
///
/// A blocking send to an endpoint that makes senders wait when full (never drops, never
/// fails) only appends: it decides the order of the endpoint's messages, so two appends
/// are dependent. A blocking receive from an endpoint with one receiver (an inbox, an
/// `owner_only` mailbox) only takes: whether it runs before or after an append of another
/// process, it ends with the same message (the first there, or the first to come), so a
/// take and an append commute; which message it takes is decided by the appends' order.
/// The take happens after the append of the message it took ([`Step::after`]). Everything
/// else that touches an endpoint (a try or a timed receive, which sees it empty or not; a
/// send that can fail or drop when full; a receive that competes with other receivers)
/// changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    /// Reads it: commutes with other reads.
    Look,
    /// Appends a message to an endpoint, waiting for room.
    Append,
    /// Takes the next message of an endpoint it alone receives from, waiting for one.
    Take,
    /// Anything else.
    Change,
}

impl Access {
    /// Two accesses of one step to the same object, as one.
    pub(crate) fn and(self, other: Access) -> Access {
        match (self, other) {
            (a, b) if a == b => a,
            (Access::Look, x) | (x, Access::Look) => x,
            _ => Access::Change,
        }
    }

    /// Whether accesses of two different processes to the same object conflict.
    pub(crate) fn conflicts(self, other: Access) -> bool {
        !matches!(
            (self, other),
            (Access::Look, Access::Look)
                | (Access::Append, Access::Take)
                | (Access::Take, Access::Append)
        )
    }
}

/// One step of a run.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// Who ran.
    pub who: P,
    /// Everyone ready at the dispatch (`who` among them), sorted.
    pub enabled: Vec<P>,
    /// What it touched, sorted and without repeats, each with how.
    pub touched: Vec<(Obj, Access)>,
    /// The step that spawned `who`, if this is its first and another step spawned it.
    pub spawned_by: Option<usize>,
    /// The step that woke `who` from a wait (blocked or asleep), if it waited: what it
    /// does now it does because of that step, so that step happens before this one.
    pub woken_by: Option<usize>,
    /// The steps that sent the messages it took with a [`Access::Take`]: they happen before
    /// it, though a take and an append commute, and it cannot run before them.
    pub after: Vec<usize>,
    /// Earlier steps whose append to an endpoint commutes with this step's append there,
    /// though appends to one endpoint are dependent in general: the receive that took one
    /// of the two messages, the earlier of the two receives, takes only from its sender,
    /// not from the other's, and the later one comes after the first message is gone, so
    /// their order is the one thing neither receive can see.
    pub commutes_with: Vec<(usize, Obj)>,
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

/// What the reader knows of an endpoint's rules: whether a blocking send to it only
/// appends and a blocking receive from it only takes (see [`Access`]).
#[derive(Clone, Copy)]
struct Rules {
    /// Senders wait when it is full: a blocking send neither fails nor drops.
    sends_wait: bool,
    /// One receiver takes from it.
    one_receiver: bool,
}

/// A message of a run, as [`commuting`] needs it.
struct Message {
    sent: usize,
    from: Pid,
    endpoint: Obj,
    /// The receive that took it.
    taken: Option<Taker>,
}

/// A receive that took a message: its step, the sender it named, and whether it was a
/// take (the step as a whole may have changed the endpoint too, by exiting, say).
#[derive(Clone, Copy)]
struct Taker {
    step: usize,
    named: Option<Pid>,
    take: bool,
}

impl Message {
    fn new(sent: usize, from: Pid, endpoint: Obj) -> Message {
        Message {
            sent,
            from,
            endpoint,
            taken: None,
        }
    }
}

/// Mark the appends that commute ([`Step::commutes_with`]): two messages of different
/// senders appended to one endpoint, both taken by takes of its one receiver, where the
/// earlier of the two receives named its own message's sender and not the other's.
fn commuting(steps: &mut [Step], messages: &BTreeMap<MsgId, Message>) {
    let has = |steps: &[Step], i: usize, obj: Obj, how: Access| {
        steps[i].touched.binary_search(&(obj, how)).is_ok()
    };
    let mut by_endpoint: BTreeMap<Obj, Vec<&Message>> = BTreeMap::new();
    for m in messages.values() {
        by_endpoint.entry(m.endpoint).or_default().push(m);
    }
    for (obj, list) in by_endpoint {
        for (x, a) in list.iter().enumerate() {
            for b in &list[x + 1..] {
                let (Some(ra), Some(rb)) = (a.taken, b.taken) else {
                    continue;
                };
                let takes = ra.take && rb.take && steps[ra.step].who == steps[rb.step].who;
                let appends = has(steps, a.sent, obj, Access::Append)
                    && has(steps, b.sent, obj, Access::Append);
                if a.from == b.from || a.sent == b.sent || !takes || !appends {
                    continue;
                }
                let (named, other) = match ra.step < rb.step {
                    true => (ra.named, b.from),
                    false => (rb.named, a.from),
                };
                if named.is_some_and(|p| p != other) {
                    let (early, late) = (a.sent.min(b.sent), a.sent.max(b.sent));
                    steps[late].commutes_with.push((early, obj));
                }
            }
        }
    }
}

/// Read a traced run of the directed policy.
pub(crate) fn read(report: &Report, procs: &mut Procs) -> ReadRun {
    use Access::{Append, Change, Look, Take};
    let mut who: BTreeMap<Pid, P> = BTreeMap::new();
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    let mut mailboxes: BTreeMap<MailboxId, Obj> = BTreeMap::new();
    let mut rules: BTreeMap<MailboxId, Rules> = BTreeMap::new();
    let mut created: BTreeMap<P, u32> = BTreeMap::new();
    let mut ready: BTreeSet<P> = BTreeSet::new();
    let mut timers: BTreeSet<P> = BTreeSet::new();
    // Who was woken in which step, until it runs again.
    let mut woken: BTreeMap<P, usize> = BTreeMap::new();
    let mut spawn_step: BTreeMap<P, usize> = BTreeMap::new();
    let mut has_run: BTreeSet<P> = BTreeSet::new();
    // Each process's latest step: a blocked sender's is the send it waits in.
    let mut last_step: BTreeMap<Pid, usize> = BTreeMap::new();
    let mut steps: Vec<Step> = Vec::new();
    // What the current step touched so far: a few objects, kept in a short list.
    let mut touched: Vec<(Obj, Access)> = Vec::new();
    let mut used_clock = false;
    let mut inconsistent = None;
    let mut exits: BTreeMap<P, Option<i32>> = BTreeMap::new();
    let mut printed: BTreeMap<P, Vec<String>> = BTreeMap::new();
    let mut exit_steps: Vec<usize> = Vec::new();
    // Steps that deleted a mailbox, and the last step that created or looked one up.
    let mut delete_steps: Vec<usize> = Vec::new();
    let mut last_table_use: Option<usize> = None;
    // A receive from a named process, until a message from it is taken in the same step.
    let mut unanswered: Option<Obj> = None;
    // A process waiting in a receive from a named process (or for its reply), with the step
    // that began the wait and the sender's life it looked at: if the sender's message (or
    // reply) ends the wait, the look was moot (the send comes before the sender's exit,
    // whichever order the wait and the exit had), and goes.
    let mut waiting_from: BTreeMap<Pid, (usize, Obj)> = BTreeMap::new();
    let mut current_pid: Option<Pid> = None;
    // How the current step's send or receive touches its endpoint (the waits it may go
    // on to are part of it).
    let mut sending = Change;
    let mut receiving = Change;
    let mut last_spawn: Option<usize> = None;
    // Each message: the step that sent it, its sender, its endpoint, and the receive that
    // took it (its step and the sender it named, if it named one); each process's latest
    // receive.
    let mut messages: BTreeMap<MsgId, Message> = BTreeMap::new();
    let mut receives: BTreeMap<Pid, Taker> = BTreeMap::new();
    // Processes whose create or lookup of a mailbox returned to a program that has not run
    // since: it binds the name in its next step (see `Dispatch`).
    let mut binding: BTreeSet<P> = BTreeSet::new();

    let name_of = |who: &BTreeMap<Pid, P>, pid: Pid| who.get(&pid).copied();
    let has = |touched: &[(Obj, Access)], obj: Obj| touched.iter().any(|(o, _)| *o == obj);
    let close = |steps: &mut Vec<Step>, touched: &mut Vec<(Obj, Access)>| {
        if let Some(last) = steps.last_mut() {
            // Every step takes time (its syscalls, its switch): a step that arms a timer
            // (which changes the clock) is dependent on every other step, since running one
            // before or after it moves the deadline past or short of what follows. Steps
            // without timers only look, so they still commute with each other.
            if !touched.iter().any(|(o, _)| *o == Obj::Clock) {
                touched.push((Obj::Clock, Access::Look));
            }
            touched.sort_unstable();
            last.touched = std::mem::take(touched);
        }
    };

    for e in &report.events {
        let current = steps.last().map(|s| s.who);
        let now = steps.len().checked_sub(1);
        let endpoint = |who: &BTreeMap<Pid, P>, dest: Dest| match dest {
            Dest::Process(p) => who.get(&p).copied().map_or(Obj::Pids, Obj::Inbox),
            Dest::Mailbox(m) => mailboxes.get(&m).copied().unwrap_or(Obj::Mailboxes),
        };
        let rules_of = |dest: Dest| match dest {
            // An inbox makes its senders wait, and only its process receives.
            Dest::Process(_) => Rules {
                sends_wait: true,
                one_receiver: true,
            },
            Dest::Mailbox(m) => rules.get(&m).copied().unwrap_or(Rules {
                sends_wait: false,
                one_receiver: false,
            }),
        };
        let send_access = |dest: Dest, mode: Mode| match mode {
            Mode::Blocking if rules_of(dest).sends_wait => Append,
            _ => Change,
        };
        let receive_access = |dest: Dest, mode: Mode| match mode {
            Mode::Blocking if rules_of(dest).one_receiver => Take,
            _ => Change,
        };
        let proc_of =
            |who: &BTreeMap<Pid, P>, p: Pid| who.get(&p).copied().map_or(Obj::Pids, Obj::Proc);
        let mut acc: Vec<(Obj, Access)> = Vec::new();
        match &e.kind {
            EventKind::MessageQueued { msg, from, to, .. } => {
                // A blocked sender's message is queued in the step that made room: it
                // comes from the sender's send.
                if let Some(i) = last_step.get(from).copied().or(now) {
                    let endpoint = endpoint(&who, *to);
                    messages.insert(*msg, Message::new(i, *from, endpoint));
                }
            }
            EventKind::MessageHandedOver {
                msg, from, to, via, ..
            } => {
                let sent = match current_pid == Some(*from) {
                    true => now,
                    false => last_step.get(from).copied(),
                };
                if let Some(i) = sent {
                    let mut m = Message::new(i, *from, endpoint(&who, *via));
                    m.taken = receives.get(to).copied();
                    messages.insert(*msg, m);
                }
            }
            EventKind::MessageReceived { msg, by, .. } => {
                if let Some(m) = messages.get_mut(msg) {
                    m.taken = receives.get(by).copied();
                }
            }
            _ => {}
        }
        match &e.kind {
            EventKind::Spawn { pid, name, .. } => {
                let n = seen.entry(name.as_str()).or_insert(0);
                let w = procs.intern(name, *n);
                *n += 1;
                who.insert(*pid, w);
                exits.insert(w, None);
                ready.insert(w);
                if let Some(i) = now {
                    spawn_step.insert(w, i);
                    last_spawn = Some(i);
                    acc.push((Obj::Pids, Change));
                    acc.push((Obj::Proc(w), Change));
                }
            }
            // Taken from the queue, or from a blocked sender: only a take is ordered after
            // the send by the message alone; any other receive is dependent on it, a race
            // the search must see.
            EventKind::MessageReceived { msg, by: to, .. }
            | EventKind::MessageHandedOver { msg, to, .. }
                if name_of(&who, *to) == current =>
            {
                unanswered = None;
                if let (Some(step), Some(i), Take) = (
                    steps.last_mut(),
                    messages.get(msg).map(|m| m.sent),
                    receiving,
                ) {
                    if Some(i) != now {
                        step.after.push(i);
                    }
                }
            }
            EventKind::MessageHandedOver { from, to, .. }
            | EventKind::ReplyDelivered { from, to, .. }
                if name_of(&who, *to) != current =>
            {
                if let Some((i, obj)) = waiting_from.remove(to) {
                    if obj == proc_of(&who, *from) {
                        if let Ok(at) = steps[i].touched.binary_search(&(obj, Look)) {
                            steps[i].touched.remove(at);
                        }
                    }
                }
            }
            EventKind::Dispatch { pid } => {
                if let Some(obj) = unanswered.take() {
                    if !has(&touched, obj) {
                        touched.push((obj, Look));
                    }
                }
                waiting_from.remove(pid);
                current_pid = Some(*pid);
                close(&mut steps, &mut touched);
                let Some(w) = name_of(&who, *pid) else {
                    inconsistent.get_or_insert_with(|| format!("dispatch of unknown {pid}"));
                    continue;
                };
                if !ready.contains(&w) {
                    let w = procs.who(w).clone();
                    inconsistent.get_or_insert_with(|| format!("{w} dispatched but not ready"));
                }
                let enabled: Vec<P> = ready.iter().copied().collect();
                ready.remove(&w);
                let spawned_by = match has_run.insert(w) {
                    true => spawn_step.get(&w).copied(),
                    false => None,
                };
                let woken_by = woken.remove(&w);
                // A program learns a mailbox's id when its create or lookup returns, and a
                // scenario binds the name to it then, in memory its other processes read
                // without a syscall: in this step, not the create's. A send by name of
                // another process depends on it (before it, the name is unbound and the
                // send fails, touching the mailbox table; after it, it reaches the mailbox).
                if binding.remove(&w) {
                    touched.push((Obj::Mailboxes, Change));
                }
                last_step.insert(*pid, steps.len());
                steps.push(Step {
                    who: w,
                    enabled,
                    touched: Vec::new(),
                    spawned_by,
                    woken_by,
                    after: Vec::new(),
                    commutes_with: Vec::new(),
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
                    if let Some(i) = now {
                        woken.insert(w, i);
                    }
                    ready.insert(w);
                }
            }
            EventKind::Block {
                queue, deadline, ..
            } => {
                match *queue {
                    // A wait is part of the send or receive that waits.
                    WaitQueueId::MailboxSenders(m) | WaitQueueId::MailboxCallers(m) => {
                        acc.push((endpoint(&who, Dest::Mailbox(m)), sending))
                    }
                    WaitQueueId::InboxSenders(p) => {
                        acc.push((endpoint(&who, Dest::Process(p)), sending))
                    }
                    WaitQueueId::MailboxReceiver(m) => {
                        acc.push((endpoint(&who, Dest::Mailbox(m)), receiving))
                    }
                    WaitQueueId::InboxReceiver(p) => {
                        acc.push((endpoint(&who, Dest::Process(p)), receiving))
                    }
                    WaitQueueId::Exit(p) => acc.push((proc_of(&who, p), Change)),
                    WaitQueueId::ReceiversFrom(p) | WaitQueueId::Replies(p) => {
                        let obj = proc_of(&who, p);
                        if let (Some(i), Some(me), false) = (now, current_pid, has(&touched, obj)) {
                            waiting_from.insert(me, (i, obj));
                        }
                        acc.push((obj, Look))
                    }
                    // The endpoints of the set were counted at the select itself.
                    WaitQueueId::Select(p) => acc.push((endpoint(&who, Dest::Process(p)), Change)),
                }
                if deadline.is_some() {
                    if let Some(c) = &current {
                        timers.insert(*c);
                    }
                }
            }
            EventKind::Sleep { .. } => {
                if let Some(c) = &current {
                    timers.insert(*c);
                }
            }
            EventKind::Syscall { pid, call } => {
                let me = name_of(&who, *pid);
                let timed = |mode: Mode| matches!(mode, Mode::Timeout(_));
                sending = Change;
                receiving = Change;
                match *call {
                    Syscall::Send { dest, mode, .. } => {
                        sending = send_access(dest, mode);
                        acc.push((endpoint(&who, dest), sending));
                        if timed(mode) {
                            acc.push((Obj::Clock, Change));
                        }
                    }
                    Syscall::Call { dest, mode, .. } => {
                        sending = send_access(dest, mode);
                        acc.push((endpoint(&who, dest), sending));
                        acc.extend(me.map(|w| (Obj::Caller(w), Change)));
                        if timed(mode) {
                            acc.push((Obj::Clock, Change));
                        }
                    }
                    Syscall::Receive { source, mode, .. } => {
                        let (from, named) = match source {
                            Source::Any => (Dest::Process(*pid), None),
                            Source::Process(p) => (Dest::Process(*pid), Some(p)),
                            Source::Mailbox(m) => (Dest::Mailbox(m), None),
                        };
                        receiving = receive_access(from, mode);
                        acc.push((endpoint(&who, from), receiving));
                        if let Some(p) = named {
                            // Whether the sender is alive matters only to a receive that
                            // finds no message from it: one that takes a message at once
                            // does not look (see `MessageReceived`).
                            unanswered = Some(proc_of(&who, p));
                        }
                        if let Some(step) = now {
                            let take = receiving == Take;
                            receives.insert(*pid, Taker { step, named, take });
                        }
                        if timed(mode) {
                            acc.push((Obj::Clock, Change));
                        }
                    }
                    Syscall::Reply { to, .. } => {
                        acc.push((who.get(&to).cloned().map_or(Obj::Pids, Obj::Caller), Change));
                        acc.push((proc_of(&who, to), Look));
                    }
                    Syscall::Wait { child, mode } => {
                        acc.push((proc_of(&who, child), Change));
                        if timed(mode) {
                            acc.push((Obj::Clock, Change));
                        }
                    }
                    Syscall::CreateMailbox { .. } | Syscall::LookupMailbox { .. } => {
                        acc.push((Obj::Mailboxes, Change));
                        binding.extend(me);
                        last_table_use = now;
                    }
                    Syscall::DeleteMailbox { mailbox } => {
                        acc.push((Obj::Mailboxes, Change));
                        acc.push((endpoint(&who, Dest::Mailbox(mailbox)), Change));
                    }
                    Syscall::TransferMailbox { mailbox, to } => {
                        acc.push((Obj::Mailboxes, Change));
                        acc.push((endpoint(&who, Dest::Mailbox(mailbox)), Change));
                        acc.push((proc_of(&who, to), Look));
                    }
                    // Who may receive, or send in capability mode, changes: the mailbox.
                    Syscall::GrantReceive { mailbox, to }
                    | Syscall::RevokeReceive { mailbox, from: to }
                    | Syscall::GrantSend { mailbox, to } => {
                        acc.push((endpoint(&who, Dest::Mailbox(mailbox)), Change));
                        acc.push((proc_of(&who, to), Look));
                    }
                    Syscall::SendRight {
                        dest, mode, right, ..
                    } => {
                        sending = send_access(dest, mode);
                        acc.push((endpoint(&who, dest), sending));
                        acc.push((endpoint(&who, Dest::Mailbox(right.mailbox())), Change));
                        if timed(mode) {
                            acc.push((Obj::Clock, Change));
                        }
                    }
                    // The set is in the caller's memory, not in the trace: count every live
                    // mailbox and the caller's inbox as touched, a superset of any set it
                    // may name, so no step it depends on is taken as independent.
                    Syscall::Select { mode, .. } => {
                        acc.extend(mailboxes.values().cloned().map(|o| (o, Change)));
                        acc.extend(me.map(|w| (Obj::Inbox(w), Change)));
                        if timed(mode) {
                            acc.push((Obj::Clock, Change));
                        }
                    }
                    Syscall::Spawn { .. } => acc.push((Obj::Pids, Change)),
                    Syscall::Sleep { ticks } if ticks > 0 => acc.push((Obj::Clock, Change)),
                    Syscall::Sleep { .. }
                    | Syscall::Exit { .. }
                    | Syscall::GetPid
                    | Syscall::Yield
                    | Syscall::Compute { .. }
                    | Syscall::Print { .. } => {}
                }
            }
            EventKind::MailboxCreated {
                id,
                owner,
                capacity,
                overflow,
                receivers,
                ..
            } => {
                let creator =
                    name_of(&who, *owner).unwrap_or_else(|| procs.intern(&owner.to_string(), 0));
                let n = created.entry(creator).or_insert(0);
                let obj = Obj::Mailbox(creator, *n);
                *n += 1;
                mailboxes.insert(*id, obj);
                rules.insert(
                    *id,
                    Rules {
                        sends_wait: *overflow == Overflow::Block
                            || *capacity == Capacity::Unbounded,
                        one_receiver: *receivers == Receivers::OwnerOnly,
                    },
                );
                acc.push((obj, Change));
                acc.push((Obj::Mailboxes, Change));
            }
            EventKind::MailboxDeleted { id, .. } => {
                // The table too, if a create or lookup follows (see the end).
                acc.push((endpoint(&who, Dest::Mailbox(*id)), Change));
                delete_steps.extend(now);
                // The id still names this mailbox to whoever uses it after (and fails), until
                // a create reuses it.
                rules.remove(id);
            }
            EventKind::MailboxTransferred { id, .. } | EventKind::MailboxOrphaned { id, .. } => {
                acc.push((endpoint(&who, Dest::Mailbox(*id)), Change));
                acc.push((Obj::Mailboxes, Change));
            }
            // A right carried in a message changes hands as the message is received (or is
            // voided then): the mailbox it is on changes with it.
            EventKind::RightTransferred { right, .. } | EventKind::RightVoided { right, .. } => {
                acc.push((endpoint(&who, Dest::Mailbox(right.mailbox())), Change));
            }
            EventKind::Print { pid, text } => {
                if let Some(w) = name_of(&who, *pid) {
                    printed.entry(w).or_default().push(text.clone());
                }
            }
            EventKind::Exit { pid, code, .. } => {
                if let Some(w) = name_of(&who, *pid) {
                    exits.insert(w, Some(*code));
                    timers.remove(&w);
                    ready.remove(&w);
                    acc.push((Obj::Proc(w), Change));
                    acc.push((Obj::Caller(w), Change));
                    acc.push((Obj::Inbox(w), Change));
                }
                if let Some(i) = now {
                    exit_steps.push(i);
                }
            }
            _ => {}
        }
        if !steps.is_empty() {
            for (obj, how) in acc {
                match touched.iter_mut().find(|(o, _)| *o == obj) {
                    Some((_, was)) => *was = was.and(how),
                    None => touched.push((obj, how)),
                }
            }
            if !timers.is_empty() {
                match touched.iter_mut().find(|(o, _)| *o == Obj::Clock) {
                    Some((_, was)) => *was = Change,
                    None => touched.push((Obj::Clock, Change)),
                }
            }
            if touched.contains(&(Obj::Clock, Change)) {
                used_clock = true;
            }
        }
    }
    if let Some(obj) = unanswered.take() {
        if !has(&touched, obj) {
            touched.push((obj, Look));
        }
    }
    close(&mut steps, &mut touched);
    // Pids are reused last-freed-first, so the order of two exits shows only in the pids of
    // processes spawned after them: exits commute with each other unless a spawn follows.
    // Mailbox ids are reused too, and names unregistered: the order of two deletions shows
    // only to a later create or lookup.
    let changes_table = |steps: &mut Vec<Step>, i: usize, table: Obj| match steps[i]
        .touched
        .binary_search_by(|(o, _)| o.cmp(&table))
    {
        Ok(at) => steps[i].touched[at].1 = Change,
        Err(at) => steps[i].touched.insert(at, (table, Change)),
    };
    for i in exit_steps {
        if last_spawn.is_some_and(|s| s > i) {
            changes_table(&mut steps, i, Obj::Pids);
        }
    }
    for i in delete_steps {
        if last_table_use.is_some_and(|s| s > i) {
            changes_table(&mut steps, i, Obj::Mailboxes);
        }
    }
    commuting(&mut steps, &messages);
    let finding = classify(report);
    ReadRun {
        steps,
        outcome: RunOutcome {
            failure: finding.as_ref().map(|f| f.signature.clone()),
            exits: exits
                .into_iter()
                .map(|(p, code)| (procs.who(p).to_string(), code))
                .collect(),
            printed: printed
                .into_iter()
                .map(|(p, lines)| (procs.who(p).to_string(), lines))
                .collect(),
        },
        finding,
        used_clock,
        inconsistent,
    }
}
