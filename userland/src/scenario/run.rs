//! The scenario interpreter: the userland programs that act a scenario out.
//!
//! A scenario runs as ordinary processes that reach the kernel only through the syscall stubs
//! in [`crate::sys`], as a shell's children would. `init` sets the stage: it creates the boot
//! mailboxes, spawns every boot process, hands each mailbox to its owner, and then releases
//! the processes one by one with a `start` message, so that no process names another before
//! it exists. A `spawn` statement does the same for the copies it starts. A copy declared
//! `arrive T` is spawned with that arrival (the kernel holds it until then) and set free
//! through its ticket instead of a `start` message (see `release`). Each process then runs
//! its statements in order.
//!
//! Each copy a spawner starts gets a ticket in the directory before it is spawned, naming
//! the spawner as the one whose `start` it waits for; the copy finds its ticket from its
//! declaration and its spawn argument, which is unique among copies not yet running. So two
//! spawners of one declaration never release each other's copies, at no extra syscall.
//!
//! The names the scenario uses (`producer[2]`, `jobs`) are kept in a [`Directory`], the
//! scenario's own read-only table that init and `spawn` fill in: like a shell's environment,
//! it lives in the program image, not in the kernel. A name that is not yet (or no longer)
//! bound still traps, with an id the kernel refuses, so every failure is the kernel's answer.
//!
//! What the kernel cannot judge, the interpreter does: a text longer than
//! [`MAX_VALUE_BYTES`] (its length is computed before it is built) and arithmetic that
//! leaves the 64-bit range stop the process with `error at FILE:LINE:COL: ...` and exit
//! code 1, the way a failed `expect` does.

use super::ast::*;
use super::check::{boot_owners, walk};
use super::MAX_VALUE_BYTES;
use crate::{Capacity, MailboxOptions, Message, ProgramTable, SpawnOptions, Sys};
use abi::{Dest, Error, MailboxId, Mode, Pid, Right, Source};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// The name of the program that sets a scenario up.
pub const INIT: &str = "init";

/// An id no live process or mailbox has: what an unbound name traps with.
const UNBOUND: u64 = u64::MAX;

/// The names a running scenario has bound.
#[derive(Debug, Default)]
pub struct Directory {
    init: Option<Pid>,
    /// `(process declaration, copy)` to pid.
    procs: BTreeMap<(usize, u32), Pid>,
    /// Pid to its scenario name, and the `(process declaration, copy)` it was bound as.
    labels: BTreeMap<Pid, (String, (usize, u32))>,
    /// Mailbox name to its id (the latest one created under that name).
    mailboxes: BTreeMap<String, MailboxId>,
    /// `(process declaration, copy, generation)` to the ticket of a copy spawned (or being
    /// spawned) that has not run yet: recorded before the spawn, so the copy always finds
    /// whom to wait for, and taken by the copy when it first runs.
    tickets: BTreeMap<(usize, u32, u64), Rc<Ticket>>,
}

/// What a spawned copy learns from its spawner through the directory.
#[derive(Debug)]
struct Ticket {
    /// The process whose `start` message releases it.
    starter: Pid,
    /// Its own pid, filled in when the spawn returns, before `start` is sent.
    pid: Cell<Option<Pid>>,
    /// For a copy declared `arrive T`: its spawner has bound every copy and handed over the
    /// mailboxes, so it may run without a `start` message.
    released: Cell<bool>,
    /// For a copy declared `arrive T`: it ran before its release and waits for `start`.
    waiting: Cell<bool>,
    /// The value it sees as `arg`.
    arg: i64,
}

/// A copy spawned and bound, not released yet.
struct Started {
    pid: Pid,
    ticket: Rc<Ticket>,
    /// Declared `arrive T`: the kernel holds it until then.
    arrives: bool,
}

/// Release copies once every one is bound (and, at boot, every mailbox is with its owner):
/// a `start` message to each copy, in order; a copy declared `arrive T` is set free through
/// its ticket instead, and gets a `start` only if it ran before this (when its spawner's
/// set-up took ticks and its arrival came first).
///
/// Why an arriving copy takes no `start`: the message is a rendezvous, so a spawner sending
/// it would wait for the copy to run, and a copy that the kernel holds until its arrival
/// would hold the spawner, and every copy behind it, until then. The kernel already
/// keeps a copy due at once out of the run queue until its spawner's stretch on the CPU is
/// over, so with zero costs every arriving copy is released before it can first run.
async fn release(sys: &Sys, started: Vec<Started>) -> Result<(), Error> {
    for s in started.iter().filter(|s| s.arrives) {
        s.ticket.released.set(true);
    }
    let mut result = Ok(());
    for s in started {
        if s.arrives && !s.ticket.waiting.get() {
            continue;
        }
        if let Err(e) = sys.send(s.pid, b"start", Mode::Blocking).await {
            result = Err(e);
        }
    }
    result
}

/// A copy's spawn argument is its copy number plus this times its generation: the number
/// of copies with that number still waiting to run when it was spawned (0 unless two
/// spawners of one declaration race). The argument names the copy's ticket.
const GENERATION: u64 = 1 << 32;

type Shared = Rc<RefCell<Directory>>;

/// The most statements a process runs in a row without a syscall. Statements take no virtual
/// time, so a body past this many (a `loop` of `let`s, an empty `loop`) would never let its
/// CPU's clock move: the interpreter gives up, and the machine ends the run as a livelock.
/// A million is far more than any body needs between two calls, and little enough to end a
/// spinning run in well under a second.
pub const MAX_STEPS_WITHOUT_SYSCALL: u64 = 1_000_000;

/// What a run looks up by name, resolved once for the whole run: a statement finds its
/// process or mailbox in an ordered map instead of scanning the declarations.
struct Names {
    /// Each process name, with its first declaration.
    procs: BTreeMap<String, usize>,
    /// The owner of each boot mailbox, in declaration order.
    owners: Vec<Option<(usize, u32)>>,
}

impl Names {
    fn of(s: &Scenario) -> Names {
        let mut procs = BTreeMap::new();
        for (i, p) in s.processes.iter().enumerate() {
            procs.entry(p.name.name.clone()).or_insert(i);
        }
        Names {
            procs,
            owners: boot_owners(s),
        }
    }
}

/// The programs that run `scenario`: `init` (boot it with argument 0) and one per process
/// declaration. Build a fresh table for every run: the table holds the run's directory.
pub fn programs(scenario: impl Into<Arc<Scenario>>) -> ProgramTable {
    let s: Arc<Scenario> = scenario.into();
    let dir: Shared = Rc::default();
    let names = Rc::new(Names::of(&s));
    let mut table = ProgramTable::new();
    {
        let (s, dir, names) = (s.clone(), dir.clone(), names.clone());
        table.add(INIT, "sets up the scenario", move |sys, _| {
            init(sys, s.clone(), dir.clone(), names.clone())
        });
    }
    for decl in 0..s.processes.len() {
        let (s2, dir, names) = (s.clone(), dir.clone(), names.clone());
        let about = format!("process `{}` of {}", s.processes[decl].name.name, s.file);
        table.add(&s.processes[decl].name.name, &about, move |sys, arg| {
            process(sys, s2.clone(), dir.clone(), names.clone(), decl, arg)
        });
    }
    table
}

async fn init(sys: Sys, s: Arc<Scenario>, dir: Shared, names: Rc<Names>) -> i32 {
    let mut failed = false;
    let me = sys.getpid().await;
    dir.borrow_mut().init = Some(me);
    for m in &s.mailboxes {
        let options = MailboxOptions::new(m.capacity)
            .name(&m.name.name)
            .overflow(m.overflow.overflow())
            .receivers(m.receivers)
            .lifetime(m.lifetime);
        match sys.create_mailbox_opts(options).await {
            Ok(id) => {
                dir.borrow_mut().mailboxes.insert(m.name.name.clone(), id);
            }
            Err(e) => {
                failed = true;
                let _ = sys
                    .print(&format!("init: cannot create mailbox {}: {e}", m.name.name))
                    .await;
            }
        }
    }
    let mut started = Vec::new();
    for (i, p) in s.processes.iter().enumerate().filter(|(_, p)| !p.spawned) {
        for copy in 0..p.count {
            match spawn_copy(&sys, &dir, p, i, copy, me, 0).await {
                Ok(copy) => started.push(copy),
                Err(e) => {
                    failed = true;
                    let label = p.label(copy);
                    let _ = sys.print(&format!("init: cannot spawn {label}: {e}")).await;
                }
            }
        }
    }
    if grant_boot_receivers(&sys, &s, &dir).await.is_err() {
        failed = true;
    }
    if grant_boot_senders(&sys, &s, &dir).await.is_err() {
        failed = true;
    }
    for (m, owner) in s.mailboxes.iter().zip(&names.owners) {
        let Some(owner) = *owner else {
            continue;
        };
        let (id, pid) = {
            let d = dir.borrow();
            (
                d.mailboxes.get(&m.name.name).copied(),
                d.procs.get(&owner).copied(),
            )
        };
        if let (Some(id), Some(pid)) = (id, pid) {
            if let Err(e) = sys.transfer_mailbox(id, pid).await {
                failed = true;
                let _ = sys
                    .print(&format!(
                        "init: cannot give {} to its owner: {e}",
                        m.name.name
                    ))
                    .await;
            }
        }
    }
    if release(&sys, started).await.is_err() {
        failed = true;
    }
    i32::from(failed)
}

/// Grant every copy of every boot process that receives from a shared boot mailbox the
/// privilege to, while `init` still owns the mailboxes (before they go to their owners).
async fn grant_boot_receivers(sys: &Sys, s: &Scenario, dir: &Shared) -> Result<(), Error> {
    let mut result = Ok(());
    for m in s.mailboxes.iter().filter(|m| m.receivers.is_shared()) {
        for (decl, p) in s.processes.iter().enumerate().filter(|(_, p)| !p.spawned) {
            if !receives_from(&p.body, &m.name.name) {
                continue;
            }
            for copy in 0..p.count {
                let (id, pid) = {
                    let d = dir.borrow();
                    (
                        d.mailboxes.get(&m.name.name).copied(),
                        d.procs.get(&(decl, copy)).copied(),
                    )
                };
                if let (Some(id), Some(pid)) = (id, pid) {
                    if let Err(e) = sys.grant_receive(id, pid).await {
                        let _ = sys
                            .print(&format!("init: cannot grant {} to {pid}: {e}", m.name.name))
                            .await;
                        result = Err(e);
                    }
                }
            }
        }
    }
    result
}

/// In capability mode (`set capabilities on`), give every copy of every boot process that
/// sends, calls or passes a right to a boot mailbox a send right on it, while `init` (its
/// creator) still holds one to give.
async fn grant_boot_senders(sys: &Sys, s: &Scenario, dir: &Shared) -> Result<(), Error> {
    let on = matches!(
        s.setting(SettingKey::Capabilities),
        Some(SettingValue::Word(w)) if w == "on"
    );
    if !on {
        return Ok(());
    }
    let mut result = Ok(());
    for m in &s.mailboxes {
        for (decl, p) in s.processes.iter().enumerate().filter(|(_, p)| !p.spawned) {
            let mut sends = false;
            walk(&p.body, &mut |st| match &st.kind {
                StmtKind::Send { to, .. } | StmtKind::Call { to, .. } => {
                    sends |= to.name.name == m.name.name;
                }
                StmtKind::Pass { to, .. } => sends |= to.name.name == m.name.name,
                _ => {}
            });
            if !sends {
                continue;
            }
            for copy in 0..p.count {
                let (id, pid) = {
                    let d = dir.borrow();
                    (
                        d.mailboxes.get(&m.name.name).copied(),
                        d.procs.get(&(decl, copy)).copied(),
                    )
                };
                if let (Some(id), Some(pid)) = (id, pid) {
                    if let Err(e) = sys.grant_send(id, pid).await {
                        result = Err(e);
                    }
                }
            }
        }
    }
    result
}

/// Whether a `receive` or `select` from mailbox `name` appears anywhere in `body`.
fn receives_from(body: &[Stmt], name: &str) -> bool {
    let mut found = false;
    walk(body, &mut |st| match &st.kind {
        StmtKind::Receive {
            from: SourceSpec::Mailbox(m),
            ..
        } => found |= m.name == name,
        StmtKind::Select { set, .. } => {
            found |= set.iter().flatten().any(|m| m.name == name);
        }
        _ => {}
    });
    found
}

/// Spawn copy `copy` of declaration `decl`, to be released by `starter`, and bind it.
async fn spawn_copy(
    sys: &Sys,
    dir: &Shared,
    p: &ProcessDecl,
    decl: usize,
    copy: u32,
    starter: Pid,
    arg: i64,
) -> Result<Started, Error> {
    // The ticket goes in before the spawn: the copy may run before the spawn returns.
    let (key, ticket) = {
        let mut d = dir.borrow_mut();
        // Generation 0 when it is free (always, but for racing spawners); else one past the
        // last one waiting. Waiting copies are live processes, far fewer than 2^32.
        let generation = if d.tickets.contains_key(&(decl, copy, 0)) {
            let mut waiting = d.tickets.range((decl, copy, 0)..=(decl, copy, u64::MAX));
            waiting.next_back().map_or(0, |((_, _, g), _)| g + 1)
        } else {
            0
        };
        let ticket = Rc::new(Ticket {
            starter,
            pid: Cell::new(None),
            released: Cell::new(false),
            waiting: Cell::new(false),
            arg,
        });
        let key = (decl, copy, generation);
        d.tickets.insert(key, ticket.clone());
        (key, ticket)
    };
    let label = p.label(copy);
    let arg = u64::from(copy) + key.2 * GENERATION;
    let options = SpawnOptions::new(&p.name.name, arg)
        .label(&label)
        .inbox(p.inbox)
        .priority(p.priority)
        .burst(p.declared_burst())
        .arrive(p.arrive);
    let pid = match sys.spawn_with(options).await {
        Ok(pid) => pid,
        Err(e) => {
            dir.borrow_mut().tickets.remove(&key);
            return Err(e);
        }
    };
    ticket.pid.set(Some(pid));
    let mut d = dir.borrow_mut();
    d.procs.insert((decl, copy), pid);
    d.labels.insert(pid, (label, (decl, copy)));
    Ok(Started {
        pid,
        ticket,
        arrives: p.arrive.is_some(),
    })
}

/// What the last statement with a result gave.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Nothing,
    Ok,
    Message(Message),
    Failed(Error),
}

/// What a process does next.
enum Next<'a> {
    /// Run this statement.
    Statement(&'a Stmt),
    /// Its body is done.
    End,
    /// It ran [`MAX_STEPS_WITHOUT_SYSCALL`] steps without a syscall.
    Stalled,
}

/// Why a statement cannot go on, where: the process prints `error at FILE:LINE:COL: why`
/// and exits 1.
struct Stop {
    at: Span,
    why: String,
}

/// Where a process is in its body: one frame per block it is inside.
struct Frame<'a> {
    body: &'a [Stmt],
    pc: usize,
    repeat: Repeat,
}

#[derive(Clone, Copy)]
enum Repeat {
    /// A process body or an `if` branch: runs once.
    Once,
    /// `repeat N`: iteration `i` of `times`.
    Times { i: u64, times: u64 },
    /// `loop`: iteration `i`.
    Forever { i: u64 },
}

impl Repeat {
    fn index(self) -> Option<u64> {
        match self {
            Repeat::Once => None,
            Repeat::Times { i, .. } | Repeat::Forever { i } => Some(i),
        }
    }
}

struct Interp<'a> {
    sys: Sys,
    s: &'a Scenario,
    dir: Shared,
    names: Rc<Names>,
    decl: usize,
    copy: u32,
    label: String,
    /// Its own pid, as its spawner learned it; `None` for a copy booted without a spawner.
    me: Option<Pid>,
    /// Its pid for `{pid}`, once asked of the kernel.
    pid: Option<Pid>,
    last: Outcome,
    /// The last message received (not a reply): whom `reply` and `from sender` mean.
    received: Option<Message>,
    /// The last reply a `call` got: `{reply}` and `{reply_sender}`.
    replied: Option<Message>,
    /// The exit code of the last child `wait` collected.
    status: Option<i32>,
    frames: Vec<Frame<'a>>,
    /// Steps (statements and turns of blocks) since the last statement that trapped.
    steps: u64,
    /// Names bound by `let`.
    vars: BTreeMap<String, String>,
    /// What its spawner gave it with `spawn NAME with VALUE`.
    arg: i64,
}

async fn process(
    sys: Sys,
    s: Arc<Scenario>,
    dir: Shared,
    names: Rc<Names>,
    decl: usize,
    arg: u64,
) -> i32 {
    let p = &s.processes[decl];
    let (copy, generation) = ((arg % GENERATION) as u32, arg / GENERATION);
    // Wait for the go-ahead from init (or from the spawner): by then every copy started
    // with this one is bound in the directory. Taking the ticket frees its key for the next
    // copy with this number.
    let ticket = dir.borrow_mut().tickets.remove(&(decl, copy, generation));
    let starter = ticket
        .as_ref()
        .map_or(Source::Any, |t| Source::Process(t.starter));
    // A copy that arrives by the clock was released through its ticket, unless it runs
    // before its spawner is done: then it waits for `start` like the others.
    let released = match &ticket {
        Some(t) if p.arrive.is_some() => {
            t.waiting.set(!t.released.get());
            t.released.get()
        }
        _ => false,
    };
    if !released && sys.receive(starter, Mode::Blocking).await.is_err() {
        return 1;
    }
    let arg = ticket.as_ref().map_or(0, |t| t.arg);
    let mut interp = Interp {
        sys,
        s: &s,
        dir,
        names,
        decl,
        copy,
        label: p.label(copy),
        me: ticket.and_then(|t| t.pid.get()),
        pid: None,
        last: Outcome::Nothing,
        received: None,
        replied: None,
        status: None,
        frames: vec![Frame {
            body: &p.body,
            pc: 0,
            repeat: Repeat::Once,
        }],
        steps: 0,
        vars: BTreeMap::new(),
        arg,
    };
    interp.run().await
}

impl<'a> Interp<'a> {
    async fn run(&mut self) -> i32 {
        loop {
            let st = match self.next_statement() {
                Next::Statement(st) => st,
                Next::End => return 0,
                Next::Stalled => {
                    self.sys.stall(self.steps).await;
                    return 1;
                }
            };
            let traps = self.sys.traps();
            if let Some(code) = self.exec(st).await {
                return code;
            }
            if self.sys.traps() != traps {
                self.steps = 0;
            }
        }
    }

    /// The next statement to run, unwinding finished blocks and looping repeats.
    ///
    /// Every statement and every turn of a block counts a step toward
    /// [`MAX_STEPS_WITHOUT_SYSCALL`] (a statement that traps starts the count again): a body
    /// that loops without a syscall runs in no time at all, so its budget runs out instead
    /// of the tick limit.
    fn next_statement(&mut self) -> Next<'a> {
        loop {
            if self.steps == MAX_STEPS_WITHOUT_SYSCALL {
                return Next::Stalled;
            }
            self.steps += 1;
            let Some(frame) = self.frames.last_mut() else {
                return Next::End;
            };
            if let Some(st) = frame.body.get(frame.pc) {
                frame.pc += 1;
                return Next::Statement(st);
            }
            match frame.repeat {
                Repeat::Times { i, times } if i + 1 < times => {
                    frame.repeat = Repeat::Times { i: i + 1, times };
                    frame.pc = 0;
                }
                Repeat::Forever { i } => {
                    frame.repeat = Repeat::Forever { i: i + 1 };
                    frame.pc = 0;
                }
                _ => {
                    self.frames.pop();
                }
            }
        }
    }

    fn enter(&mut self, body: &'a [Stmt], repeat: Repeat) {
        self.frames.push(Frame {
            body,
            pc: 0,
            repeat,
        });
    }

    /// Run one statement; `Some(code)` when the process ends.
    async fn exec(&mut self, st: &'a Stmt) -> Option<i32> {
        match self.step(st).await {
            Ok(end) => end,
            Err(stop) => {
                let (line, col) = self.s.line_col(stop.at.start);
                let text = format!("error at {}:{line}:{col}: {}", self.s.file, stop.why);
                let _ = self.sys.print(&text).await;
                match self.sys.exit(1).await {}
            }
        }
    }

    /// Run one statement: `Ok(Some(code))` when the process ends, `Err` when it cannot go on.
    async fn step(&mut self, st: &'a Stmt) -> Result<Option<i32>, Stop> {
        let sys = self.sys.clone();
        match &st.kind {
            StmtKind::Send { to, payload, mode } => {
                let bytes = self.fill(payload).await?;
                let dest = self.dest(to)?;
                let mode = self.mode(mode)?;
                self.last = done(sys.send(dest, bytes.as_bytes(), mode).await);
            }
            StmtKind::Call { to, payload, mode } => {
                let bytes = self.fill(payload).await?;
                let dest = self.dest(to)?;
                let mode = self.mode(mode)?;
                self.last = match sys.call(dest, bytes.as_bytes(), mode).await {
                    Ok(m) => {
                        self.replied = Some(m.clone());
                        Outcome::Message(m)
                    }
                    Err(e) => Outcome::Failed(e),
                };
            }
            StmtKind::Receive { from, mode, buffer } => {
                let source = match from {
                    SourceSpec::Mailbox(m) => Source::Mailbox(self.mailbox(&m.name)),
                    SourceSpec::From(t) => Source::Process(self.pid_of(t)?),
                    SourceSpec::FromSender(_) => Source::Process(
                        self.received
                            .as_ref()
                            .map_or(Pid::from_raw(UNBOUND), |m| m.sender),
                    ),
                    SourceSpec::Any => Source::Any,
                };
                let buf = buffer.unwrap_or(crate::sys::DEFAULT_RECV_BUFFER);
                let mode = self.mode(mode)?;
                self.last = match sys.receive_upto(source, buf, mode).await {
                    Ok(m) => {
                        self.received = Some(m.clone());
                        Outcome::Message(m)
                    }
                    Err(e) => Outcome::Failed(e),
                };
            }
            StmtKind::Reply { payload } => {
                let bytes = self.fill(payload).await?;
                let to = self
                    .received
                    .as_ref()
                    .map_or(Pid::from_raw(UNBOUND), |m| m.sender);
                self.last = done(sys.reply(to, bytes.as_bytes()).await);
            }
            StmtKind::ReplyTo { to, payload } => {
                let bytes = self.fill(payload).await?;
                let to = self.pid_of(to)?;
                self.last = done(sys.reply(to, bytes.as_bytes()).await);
            }
            StmtKind::Lookup { name } => {
                let r = sys.lookup_mailbox(&name.name).await;
                if let Ok(id) = r {
                    self.dir
                        .borrow_mut()
                        .mailboxes
                        .insert(name.name.clone(), id);
                }
                self.last = done(r);
            }
            StmtKind::Wait { child, mode } => {
                let pid = self.pid_of(child)?;
                let mode = self.mode(mode)?;
                let r = sys.wait_mode(pid, mode).await;
                if let Ok(code) = r {
                    self.status = Some(code);
                }
                self.last = done(r);
            }
            StmtKind::Compute(t) => sys.compute(self.count(t, "ticks")?).await,
            StmtKind::Sleep(t) => sys.sleep(self.count(t, "ticks")?).await,
            StmtKind::Yield => sys.yield_now().await,
            StmtKind::Create {
                name,
                capacity,
                overflow,
                receivers,
                lifetime,
            } => {
                let capacity = match capacity {
                    CapacitySpec::Unbounded => Capacity::Unbounded,
                    CapacitySpec::Count(e) => match self.count(e, "messages")? {
                        0 => Capacity::Zero,
                        n => Capacity::Bounded(u32::try_from(n).map_err(|_| Stop {
                            at: e.span,
                            why: format!("a capacity of {n} messages: at most {}", u32::MAX),
                        })?),
                    },
                };
                let options = MailboxOptions::new(capacity)
                    .name(&name.name)
                    .overflow(overflow.overflow())
                    .receivers(*receivers)
                    .lifetime(*lifetime);
                let r = sys.create_mailbox_opts(options).await;
                if let Ok(id) = r {
                    self.dir
                        .borrow_mut()
                        .mailboxes
                        .insert(name.name.clone(), id);
                }
                self.last = done(r);
            }
            StmtKind::Delete { name } => {
                let id = self.mailbox(&name.name);
                self.last = done(sys.delete_mailbox(id).await);
            }
            StmtKind::Transfer { name, to } => {
                let id = self.mailbox(&name.name);
                let pid = self.pid_of(to)?;
                self.last = done(sys.transfer_mailbox(id, pid).await);
            }
            StmtKind::Select { set, mode, buffer } => {
                let set: Vec<Source> = set
                    .iter()
                    .map(|m| match m {
                        Some(m) => Source::Mailbox(self.mailbox(&m.name)),
                        None => Source::Any,
                    })
                    .collect();
                let buf = buffer.unwrap_or(crate::sys::DEFAULT_RECV_BUFFER);
                let mode = self.mode(mode)?;
                self.last = match sys.select_upto(&set, buf, mode).await {
                    Ok((_, m)) => {
                        self.received = Some(m.clone());
                        Outcome::Message(m)
                    }
                    Err(e) => Outcome::Failed(e),
                };
            }
            StmtKind::Pass {
                receive,
                mailbox,
                to,
                payload,
                mode,
            } => {
                let bytes = self.fill(payload).await?;
                let dest = self.dest(to)?;
                let mode = self.mode(mode)?;
                let m = self.mailbox(&mailbox.name);
                let right = if *receive {
                    Right::Receive(m)
                } else {
                    Right::Send(m)
                };
                self.last = done(sys.send_right(dest, bytes.as_bytes(), mode, right).await);
            }
            StmtKind::GrantSend { name, to } => {
                let id = self.mailbox(&name.name);
                let pid = self.pid_of(to)?;
                self.last = done(sys.grant_send(id, pid).await);
            }
            StmtKind::Grant { name, to } => {
                let id = self.mailbox(&name.name);
                let pid = self.pid_of(to)?;
                self.last = done(sys.grant_receive(id, pid).await);
            }
            StmtKind::Revoke { name, from } => {
                let id = self.mailbox(&name.name);
                let pid = self.pid_of(from)?;
                self.last = done(sys.revoke_receive(id, pid).await);
            }
            StmtKind::Spawn { name, arg } => {
                let arg = match arg {
                    Some(e) => self.eval(e)?,
                    None => 0,
                };
                let mut result = Ok(());
                // A copy booted without a spawner has no ticket: its binding, if any.
                let me = self.me.or_else(|| {
                    let d = self.dir.borrow();
                    d.procs.get(&(self.decl, self.copy)).copied()
                });
                let mut started = Vec::new();
                if let (Some((decl, p)), Some(me)) = (self.process(&name.name), me) {
                    for copy in 0..p.count {
                        match spawn_copy(&sys, &self.dir, p, decl, copy, me, arg).await {
                            Ok(copy) => started.push(copy),
                            Err(e) => result = Err(e),
                        }
                    }
                }
                // As init does at boot: release the copies once all of them are bound.
                if let Err(e) = release(&sys, started).await {
                    result = Err(e);
                }
                self.last = done(result);
            }
            StmtKind::ExitValue(value) => {
                let n = self.eval(value)?;
                let code = i32::try_from(n).map_err(|_| Stop {
                    at: value.span,
                    why: format!("exit code {n} is not a 32-bit code"),
                })?;
                sys.exit(code).await;
            }
            StmtKind::Exit(code) => {
                sys.exit(*code).await;
            }
            StmtKind::Repeat { times, body } => {
                let times = self.count(times, "times")?;
                if times > 0 {
                    self.enter(body, Repeat::Times { i: 0, times });
                }
            }
            StmtKind::Loop { body } => self.enter(body, Repeat::Forever { i: 0 }),
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                let want = self.expected(cond)?;
                let branch = if self.test(cond, want.as_deref()).is_ok() {
                    then
                } else {
                    otherwise
                };
                self.enter(branch, Repeat::Once);
            }
            StmtKind::Break => {
                while let Some(f) = self.frames.pop() {
                    if f.repeat.index().is_some() {
                        break;
                    }
                }
            }
            StmtKind::Let { name, value } => {
                let text = self.fill(value).await?;
                self.vars.insert(name.name.clone(), text);
            }
            StmtKind::Assign { name, value } => {
                let n = self.eval(value)?;
                self.vars.insert(name.name.clone(), n.to_string());
            }
            StmtKind::Print(t) => {
                let text = self.fill(t).await?;
                self.last = done(sys.print(&text).await);
            }
            StmtKind::Expect(e) => {
                let want = self.expected(e)?;
                if let Err(why) = self.test(e, want.as_deref()) {
                    let (line, col) = self.s.line_col(e.span.start);
                    let text = format!("expect failed at {}:{line}:{col}: {why}", self.s.file);
                    let _ = sys.print(&text).await;
                    sys.exit(1).await;
                }
            }
        }
        Ok(None)
    }

    /// The text `e` compares with, filled in: `bytes` and `multiple_of` have one.
    fn expected(&self, e: &Expect) -> Result<Option<String>, Stop> {
        match &e.kind {
            ExpectKind::Bytes(t) | ExpectKind::MultipleOf(t) => self.fill_now(t).map(Some),
            // A comparison is computed here, where it can stop the process: 1 or 0.
            ExpectKind::Value(v) => self.eval(v).map(|n| Some(n.to_string())),
            _ => Ok(None),
        }
    }

    /// Whether the last result matches `e`, whose text is `want`; if not, what it was
    /// instead.
    fn test(&self, e: &Expect, want: Option<&str>) -> Result<(), String> {
        match (self.holds(e, want), e.negated) {
            (Ok(()), false) | (Err(_), true) => Ok(()),
            (Err(why), false) => Err(why),
            (Ok(()), true) => Err(format!(
                "expected not {}, and it was",
                self.expect_text(e, want)
            )),
        }
    }

    fn expect_text(&self, e: &Expect, want: Option<&str>) -> String {
        let want = want.unwrap_or_default();
        match &e.kind {
            ExpectKind::Ok => "ok".to_string(),
            ExpectKind::Error(err) => err.name().to_string(),
            ExpectKind::Bytes(_) => format!("bytes {want:?}"),
            ExpectKind::Sender(t) => format!("sender {}", self.target_text(t)),
            ExpectKind::MultipleOf(_) => format!("multiple_of {want:?}"),
            ExpectKind::Value(v) => self.source(v.span).to_string(),
        }
    }

    fn holds(&self, e: &Expect, want: Option<&str>) -> Result<(), String> {
        let got = match &self.last {
            Outcome::Nothing => "nothing yet".to_string(),
            Outcome::Ok | Outcome::Message(_) => "ok".to_string(),
            Outcome::Failed(err) => err.name().to_string(),
        };
        match &e.kind {
            ExpectKind::Value(v) => match want {
                Some("0") => Err(format!("expected {}, and it was not", self.source(v.span))),
                _ => Ok(()),
            },
            ExpectKind::Ok => match self.last {
                Outcome::Ok | Outcome::Message(_) => Ok(()),
                _ => Err(format!("expected ok, got {got}")),
            },
            ExpectKind::Error(want) => match self.last {
                Outcome::Failed(err) if err == *want => Ok(()),
                _ => Err(format!("expected {}, got {got}", want.name())),
            },
            ExpectKind::Bytes(_) => {
                let want = want.unwrap_or_default();
                match &self.last {
                    Outcome::Message(m) if m.bytes == want.as_bytes() => Ok(()),
                    Outcome::Message(m) => Err(format!(
                        "expected bytes {want:?}, got {:?}",
                        String::from_utf8_lossy(&m.bytes)
                    )),
                    _ => Err(format!("expected bytes {want:?}, got {got} (no message)")),
                }
            }
            ExpectKind::MultipleOf(_) => {
                let divisor = want.unwrap_or_default();
                let Outcome::Message(m) = &self.last else {
                    return Err(format!("expected a number, got {got} (no message)"));
                };
                let text = m.text();
                match (text.trim().parse::<i64>(), divisor.trim().parse::<i64>()) {
                    // Checked: the one remainder that overflows, i64::MIN % -1, is 0.
                    (Ok(n), Ok(d)) if d != 0 && n.checked_rem(d).unwrap_or(0) == 0 => Ok(()),
                    (Ok(n), Ok(d)) if d != 0 => Err(format!("{n} is not a multiple of {d}")),
                    (Ok(_), _) => Err(format!("{divisor:?} is not a non-zero number")),
                    (Err(_), _) => Err(format!("{text:?} is not a number")),
                }
            }
            ExpectKind::Sender(t) => {
                let Outcome::Message(m) = &self.last else {
                    return Err(format!(
                        "expected a message from {}, got {got} (no message)",
                        t.name.name
                    ));
                };
                let matches = match t.index {
                    Some(_) => self.pid_of(t).is_ok_and(|pid| pid == m.sender),
                    // Any copy still bound to the sender's pid.
                    None => {
                        let d = self.dir.borrow();
                        let decl = self.process(&t.name.name).map(|(i, _)| i);
                        d.labels.get(&m.sender).is_some_and(|&(_, key)| {
                            Some(key.0) == decl && d.procs.get(&key) == Some(&m.sender)
                        })
                    }
                };
                if matches {
                    Ok(())
                } else {
                    Err(format!(
                        "expected a message from {}, got one from {}",
                        self.target_text(t),
                        self.name_of(m.sender)
                    ))
                }
            }
        }
    }

    fn target_text(&self, t: &Target) -> String {
        match (t.index.is_some(), self.resolve(t)) {
            (true, Ok((decl, copy))) if decl < self.s.processes.len() => {
                self.s.processes[decl].label(copy)
            }
            _ => self.source(t.span).to_string(),
        }
    }

    /// The text of the file at `span`.
    fn source(&self, span: Span) -> &'a str {
        self.s.source.get(span.start..span.end).unwrap_or("")
    }

    /// The value of `e` now.
    fn eval(&self, e: &Expr) -> Result<i64, Stop> {
        let loops: Vec<u64> = self
            .frames
            .iter()
            .filter_map(|f| f.repeat.index())
            .collect();
        let mut lookup = |name: &str| -> Result<i64, String> {
            let loop_index = |i: Option<&u64>| {
                i.map(|&i| i as i64)
                    .ok_or_else(|| format!("`{name}` is read outside its loop"))
            };
            match Var::from_name(name) {
                Var::I => loop_index(loops.last()),
                Var::Depth(d) => loop_index(loops.get(usize::from(d) - 1)),
                Var::Copy => Ok(i64::from(self.copy)),
                Var::Arg => Ok(self.arg),
                Var::Status => self
                    .status
                    .map(i64::from)
                    .ok_or_else(|| "`status` is read before any `wait` collected one".to_string()),
                Var::Let(n) => match self.vars.get(&n) {
                    Some(v) => v
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| format!("`{n}` is {v:?}, not a number")),
                    None => Err(format!("`{n}` is read before any `let` binds it")),
                },
                _ => Err(format!("`{name}` is not a number")),
            }
        };
        e.eval(&mut lookup).map_err(|why| Stop { at: e.span, why })
    }

    /// The value of `e` now, as a count of `what` (not negative).
    fn count(&self, e: &Expr, what: &str) -> Result<u64, Stop> {
        let n = self.eval(e)?;
        u64::try_from(n).map_err(|_| Stop {
            at: e.span,
            why: format!("{n} {what}: a count cannot be negative"),
        })
    }

    /// The ABI mode of `m`, its timeout computed now.
    fn mode(&self, m: &ModeSpec) -> Result<Mode, Stop> {
        Ok(match m {
            ModeSpec::Blocking => Mode::Blocking,
            ModeSpec::NonBlocking => Mode::NonBlocking,
            ModeSpec::Timeout(t) => Mode::Timeout(self.count(t, "ticks")?),
        })
    }

    fn name_of(&self, pid: Pid) -> String {
        self.dir
            .borrow()
            .labels
            .get(&pid)
            .map_or_else(|| pid.to_string(), |(label, _)| label.clone())
    }

    /// The process declared as `name`.
    fn process(&self, name: &str) -> Option<(usize, &'a ProcessDecl)> {
        let i = *self.names.procs.get(name)?;
        Some((i, &self.s.processes[i]))
    }

    /// The declaration and copy a process target names. An index computed now must be one
    /// of the copies, unless the target says `wrap`.
    fn resolve(&self, t: &Target) -> Result<(usize, u32), Stop> {
        let Some((decl, p)) = self.process(&t.name.name) else {
            return Ok((usize::MAX, 0));
        };
        let count = i64::from(p.count.max(1));
        let copy = match &t.index {
            None => 0,
            Some(CopyIndex::Fixed(n)) => i64::from(*n).rem_euclid(count),
            Some(CopyIndex::Value { expr, wrap }) => {
                let n = self.eval(expr)?;
                if *wrap {
                    n.rem_euclid(count)
                } else if (0..count).contains(&n) {
                    n
                } else {
                    return Err(Stop {
                        at: expr.span,
                        why: format!(
                            "`{}` has no copy {n}: its copies are 0 to {} (write `[wrap ...]` to wrap around them)",
                            p.name.name,
                            count - 1
                        ),
                    });
                }
            }
        };
        Ok((decl, copy as u32))
    }

    fn pid_of(&self, t: &Target) -> Result<Pid, Stop> {
        let key = self.resolve(t)?;
        Ok(self
            .dir
            .borrow()
            .procs
            .get(&key)
            .copied()
            .unwrap_or(Pid::from_raw(UNBOUND)))
    }

    fn mailbox(&self, name: &str) -> MailboxId {
        self.dir
            .borrow()
            .mailboxes
            .get(name)
            .copied()
            .unwrap_or(MailboxId::from_raw(UNBOUND))
    }

    fn dest(&self, t: &Target) -> Result<Dest, Stop> {
        Ok(if self.process(&t.name.name).is_some() {
            Dest::Process(self.pid_of(t)?)
        } else {
            Dest::Mailbox(self.mailbox(&t.name.name))
        })
    }

    /// Fill a template, asking the kernel for the pid if the template shows it.
    async fn fill(&mut self, t: &Template) -> Result<String, Stop> {
        if self.pid.is_none() && t.pieces.contains(&Piece::Var(Var::Pid, 0)) {
            self.pid = Some(self.sys.getpid().await);
        }
        self.fill_now(t)
    }

    /// Fill a template: each piece's text first (borrowed where it can be), then their
    /// total length, and only a text within [`MAX_VALUE_BYTES`] is built.
    fn fill_now(&self, t: &Template) -> Result<String, Stop> {
        let loops: Vec<u64> = self
            .frames
            .iter()
            .filter_map(|f| f.repeat.index())
            .collect();
        let mut parts: Vec<Cow<'_, str>> = Vec::with_capacity(t.pieces.len());
        for piece in &t.pieces {
            parts.push(match piece {
                Piece::Text(s) => Cow::Borrowed(s.as_str()),
                Piece::Var(v, offset) => self.value(v, *offset, &loops, t.span)?,
            });
        }
        let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
        if len > MAX_VALUE_BYTES {
            return Err(Stop {
                at: t.span,
                why: format!(
                    "this text would be {len} bytes; a value holds at most {MAX_VALUE_BYTES} bytes"
                ),
            });
        }
        Ok(parts.concat())
    }

    /// The text of placeholder `v` plus `offset`, in the template at `at`; `loops` are the
    /// iterations of the enclosing loops, outermost first.
    fn value(&self, v: &Var, offset: i64, loops: &[u64], at: Span) -> Result<Cow<'_, str>, Stop> {
        // The sum a placeholder with an offset shows: exact in 128 bits, and it must fit in
        // 64; out of range, the process stops rather than show a wrapped number.
        let add = |n: i128| -> Result<Cow<'_, str>, Stop> {
            if offset == 0 {
                return Ok(Cow::Owned(n.to_string()));
            }
            let sum = n + i128::from(offset);
            match i64::try_from(sum) {
                Ok(sum) => Ok(Cow::Owned(sum.to_string())),
                Err(_) => {
                    let sign = if offset < 0 { '-' } else { '+' };
                    Err(Stop {
                        at,
                        why: format!(
                            "{{{}{sign}{}}} overflows: {n} {sign} {} is outside the 64-bit range",
                            var_name(v),
                            offset.unsigned_abs(),
                            offset.unsigned_abs()
                        ),
                    })
                }
            }
        };
        let empty = || Ok(Cow::Borrowed(""));
        match v {
            Var::I => loops.last().map_or_else(empty, |&i| add(i128::from(i))),
            Var::Depth(d) => loops
                .get(usize::from(*d).saturating_sub(1))
                .map_or_else(empty, |&i| add(i128::from(i))),
            Var::Name => Ok(Cow::Borrowed(self.label.as_str())),
            Var::Copy => add(i128::from(self.copy)),
            Var::Arg => add(i128::from(self.arg)),
            Var::Status => self.status.map_or_else(empty, |code| add(i128::from(code))),
            Var::Reply => Ok(self
                .replied
                .as_ref()
                .map_or(Cow::Borrowed(""), |m| String::from_utf8_lossy(&m.bytes))),
            Var::ReplySender => Ok(self
                .replied
                .as_ref()
                .map_or(Cow::Borrowed(""), |m| Cow::Owned(self.name_of(m.sender)))),
            // A `let` value that is not a number shows as it is, offset or not.
            Var::Let(name) => match self.vars.get(name) {
                Some(v) if offset != 0 => match v.trim().parse::<i64>() {
                    Ok(n) => add(i128::from(n)),
                    Err(_) => Ok(Cow::Borrowed(v.as_str())),
                },
                Some(v) => Ok(Cow::Borrowed(v.as_str())),
                None => empty(),
            },
            Var::Pid => Ok(self
                .pid
                .map_or(Cow::Borrowed(""), |p| Cow::Owned(p.to_string()))),
            Var::Sender => Ok(self
                .received
                .as_ref()
                .map_or(Cow::Borrowed(""), |m| Cow::Owned(self.name_of(m.sender)))),
            Var::Msg => Ok(self
                .received
                .as_ref()
                .map_or(Cow::Borrowed(""), |m| String::from_utf8_lossy(&m.bytes))),
        }
    }
}

/// How a placeholder is written between its braces.
fn var_name(v: &Var) -> String {
    match v {
        Var::I => "i".to_string(),
        Var::Depth(d) => format!("i{d}"),
        Var::Name => "name".to_string(),
        Var::Copy => "copy".to_string(),
        Var::Pid => "pid".to_string(),
        Var::Sender => "sender".to_string(),
        Var::Msg => "msg".to_string(),
        Var::Arg => "arg".to_string(),
        Var::Reply => "reply".to_string(),
        Var::ReplySender => "reply_sender".to_string(),
        Var::Status => "status".to_string(),
        Var::Let(name) => name.clone(),
    }
}

fn done<T>(r: Result<T, Error>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(e) => Outcome::Failed(e),
    }
}

/// Capacities in the same words the scenario language uses.
pub fn capacity_text(c: Capacity) -> String {
    match c {
        Capacity::Zero => "0".to_string(),
        Capacity::Bounded(n) => n.to_string(),
        Capacity::Unbounded => "unbounded".to_string(),
    }
}
