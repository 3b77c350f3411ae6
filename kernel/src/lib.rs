//! A deterministic message-passing microkernel.
//!
//! The kernel is a state machine with one way in, [`Kernel::enter`]: the machine that hosts
//! it (the `sim` crate) says what happened on a CPU at a tick ([`Entry`]: the timer interrupt
//! at the start of a turn, a trap, a burst that ran, a program that ended, a planned fault)
//! and the kernel answers with what that CPU does next ([`Action`]: return from the trap,
//! run or compute this process, idle until a tick, stop with an [`Outcome`]). Every
//! scheduling decision is taken inside that one call. Time is handed to it in virtual ticks.
//! It knows nothing of futures, host threads or wall-clock time, it is `no_std` (what it
//! allocates comes from `alloc`), and it is `Send`: it shares nothing with its host, which
//! enters it one call at a time.
//!
//! Rooms:
//! - [`process`]: the process control block and its states; spawn, exit, wait, and kill
//!   (fault injection: a planned kill, [`Entry::Kill`]);
//! - [`sched`]: the scheduler trait and the policies;
//! - [`ipc`]: endpoints, mailboxes, wait queues and the send / receive / call / reply paths,
//!   and IPC-aware blocking along the wait-for graph (priority inheritance, deadlock
//!   refusal; both off by default, see [`KernelConfig`]), and fault injection's lost and
//!   delayed messages (off by default; `docs/faults.md`);
//! - [`trap`]: the trap table that decodes a frame and runs the syscall;
//! - [`trace`]: the event model every state change is recorded in;
//! - [`inspect`]: the read-only snapshot of the process and mailbox tables (what `sim ps`
//!   prints), which never changes the kernel;
//! - `entry`: the boundary ([`Entry`], [`Action`]) and the decisions taken at it: dispatch,
//!   quanta, preemption, idling and the end of a run;
//! - `time`: timeouts and sleeps; `invariants`: the checks run after every kernel entry in
//!   test builds.
//!
//! The kernel never panics because of anything a process does: every malformed frame,
//! stale id or impossible request becomes an error code in the caller's return registers,
//! and so does every limit of [`KernelConfig`] a program runs into. Every message it accepts
//! is accounted for — received, still queued, or dropped with a reason — in its total
//! [`Ledger`] and in each endpoint's [`EndpointLedger`].

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod entry;
mod history;
pub mod inspect;
mod invariants;
pub mod ipc;
mod ledger;
pub mod process;
pub mod sched;
mod slab;
mod time;
pub mod trace;
pub mod trap;

use crate::ipc::{Endpoint, Mailbox, WaitQueue};
use crate::process::{ProcState, Process};
use crate::sched::{Policy, ReadyInfo, ReadyReason, Scheduler, StopReason};
use crate::slab::Slab;
use crate::trace::{Event, EventKind, ExitReason, TraceBuffer, WaitFor, WaitQueueId, WakeReason};
use crate::trap::{registers, Refusal};
use abi::{Dest, Error, MailboxId, Pid, Ticks, RET_REGS};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

pub use crate::entry::{Action, Entry, Outcome, Outside, Platform, Start, Then};
pub use crate::history::HistorySink;
pub use crate::ledger::{Drops, EndpointLedger, Ledger};
pub use crate::slab::OptSlot;
pub use crate::trace::LivelockCause;

/// The kernel's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    /// The longest message (and reply) `send` accepts, in bytes.
    pub max_message: usize,
    /// The most bytes all queued messages may hold together (each charged its length plus
    /// [`ipc::MESSAGE_OVERHEAD`]). Past it, sends get `OutOfMemory`.
    pub memory_limit: usize,
    /// The most bytes the messages queued in any one endpoint (a mailbox or a process's
    /// inbox) may hold, charged as for `memory_limit`. Past it, a send that would queue
    /// there gets `OutOfMemory`, whatever the mailbox's overflow policy: one producer
    /// cannot take the whole of `memory_limit` from everyone else.
    pub max_mailbox_bytes: usize,
    /// The most processes (live and zombie) at once. Past it, spawn gets `OutOfMemory`.
    pub max_processes: usize,
    /// The most mailboxes at once. Past it, `create_mailbox` gets `OutOfMemory`.
    pub max_mailboxes: usize,
    /// The most kernel entries in a row at one tick. A run in which time stops passing (a
    /// loop of syscalls that cost nothing, say, with `syscall_cost 0` and `switch_cost 0`)
    /// would never reach its tick limit: past this many entries without the clock moving it
    /// ends as [`Outcome::Livelock`]. At least 1 (0 is taken as 1).
    pub max_steps_per_tick: u64,
    /// Check every invariant after every kernel entry (and panic on a violation: a kernel bug).
    pub check_invariants: bool,
    /// Record trace events.
    pub trace: bool,
    /// Priority inheritance for IPC, as QNX does it: a process blocked sending to a receiver
    /// (the mailbox's owner, or the process whose inbox it is), or waiting for the reply to
    /// its `call`, lends the receiver its effective priority until its message is taken and
    /// answered (or it gives up). Lending is transitive along chains of such waits. Off by
    /// default; the trace shows each change (`lend`, `return`).
    pub priority_inheritance: bool,
    /// Refuse to block when blocking would close a cycle of processes waiting on each other,
    /// as MINIX does with `ELOCKED`: the call returns `deadlock` instead. The check follows
    /// the chain of single holders from the queue the caller would wait on, so it costs the
    /// length of that chain. Off by default.
    pub refuse_deadlock: bool,
    /// Capability mode: a send, call or `send_right` to a mailbox needs a send right on it
    /// (its owner and its creator hold one; `grant_send` and carried send rights give more);
    /// without one it fails with `NoSendRight`. Sends to a process's inbox are not
    /// affected. Off by default.
    pub capabilities: bool,
    /// Fault injection: the chance, in percent, that a message is lost as the kernel accepts
    /// it (the send succeeds; the message is dropped with reason `fault`). 0 (the default)
    /// never; see `docs/faults.md`.
    pub loss_percent: u8,
    /// Fault injection: the chance, in percent, that a message queued at a mailbox or inbox
    /// with room (never at a rendezvous) is in flight for [`delay_ticks`](Self::delay_ticks)
    /// before any receive can take it. 0 (the default) never.
    pub delay_percent: u8,
    /// Fault injection: how long a delayed message is in flight, in ticks (0: no delay).
    pub delay_ticks: Ticks,
    /// The seed of the fault generator that draws losses and delays, apart from the
    /// scheduler's seed so that either can vary alone. `sim::Machine` sets it from
    /// `MachineConfig::fault_seed`.
    pub fault_seed: u64,
    /// A process whose messages are never lost or delayed: the scenario interpreter's
    /// `init`, whose start messages every process waits for. `None` exempts nobody.
    pub fault_exempt: Option<Pid>,
    /// Fault injection: `(name, n)` kills each process called `name` when it traps for the
    /// n-th time (counting from 1, a malformed trap too), instead of serving that syscall.
    /// Empty (the default) kills nobody.
    pub kill_at_syscall: Vec<(String, u64)>,
    /// The names of daemons: a process spawned under one of them serves others, and the run
    /// does not wait for it. When the only processes left blocked are daemons, the run ends
    /// as completed instead of a deadlock. Empty (the default): no daemons.
    pub daemons: Vec<String>,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            max_message: 4096,
            memory_limit: 16 << 20,
            max_mailbox_bytes: 1 << 20,
            max_processes: 1 << 21,
            max_mailboxes: 1 << 21,
            max_steps_per_tick: DEFAULT_MAX_STEPS_PER_TICK,
            check_invariants: cfg!(debug_assertions),
            trace: true,
            priority_inheritance: false,
            refuse_deadlock: false,
            capabilities: false,
            loss_percent: 0,
            delay_percent: 0,
            delay_ticks: 0,
            fault_seed: 0,
            fault_exempt: None,
            kill_at_syscall: Vec::new(),
            daemons: Vec::new(),
        }
    }
}

/// [`KernelConfig::max_steps_per_tick`] by default. Real work can take many entries at one
/// tick (with zero syscall and switch costs, every trap of a long exchange lands on the same
/// tick), so the bound sits far above what such runs need; it is still small enough that a
/// run whose time stopped ends promptly rather than hanging.
pub const DEFAULT_MAX_STEPS_PER_TICK: u64 = 1_000_000;

/// A line a process printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLine {
    /// The tick of the `print` call.
    pub tick: Ticks,
    /// The process that printed it.
    pub pid: Pid,
    /// The line, as printed (bytes that are not UTF-8 replaced by U+FFFD).
    pub text: String,
}

/// A process that has exited, as the run report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// Its pid.
    pub pid: Pid,
    /// Its name.
    pub name: String,
    /// Its exit code.
    pub code: i32,
    /// How it ended.
    pub reason: ExitReason,
    /// Its accounting, final.
    pub stats: process::ProcStats,
}

/// Why the machine cannot go on: processes are blocked and nothing can wake them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// The wait-for cycle, if any: each waits on the next, the last on the first.
    pub cycle: Vec<Pid>,
    /// Every blocked process, what it waits on, and who could release it.
    pub blocked: Vec<WaitFor>,
}

/// Why the machine cannot go on: it keeps working, but its clock no longer moves, so the run
/// would never reach its tick limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Livelock {
    /// What stopped time.
    pub cause: LivelockCause,
    /// The processes that were running or ready when the run stopped, in slot order: the
    /// ones that kept the machine busy without time passing.
    pub processes: Vec<Pid>,
}

/// The kernel.
///
/// It is `Send`: it holds no handle shared with anything outside it. Its host enters it one
/// call at a time, through [`Kernel::enter`].
pub struct Kernel {
    config: KernelConfig,
    platform: Platform,
    /// The kernel's clock: the tick of the entry it is serving, the latest the machine has
    /// reported. It only moves forward, at an entry (or a clock jump inside one).
    clock: Ticks,
    /// Each CPU as the kernel sees it: its process and its quantum.
    cpus: Vec<entry::CpuSlot>,
    /// Kernel entries so far ([`Kernel::entries`]).
    entries: u64,
    /// Kernel entries in a row at the clock's tick, this one included: the measure of a run
    /// whose time stopped ([`KernelConfig::max_steps_per_tick`]).
    steps_at_tick: u64,
    procs: Slab<Process>,
    /// Each process's place in the wait queue it is blocked on, by slot.
    links: ipc::Links,
    /// The links of `select` watch slots in the endpoints' `watchers` queues (`ipc/select.rs`).
    watch_links: ipc::Links,
    mailboxes: Slab<Mailbox>,
    names: BTreeMap<String, MailboxId>,
    programs: Vec<Arc<str>>,
    /// Each program's index in `programs` by name (the first, if a name repeats): a scenario
    /// has a program per process declaration, and `spawn` finds its program by name.
    program_ids: BTreeMap<Arc<str>, u32>,
    sched: Box<dyn Scheduler>,
    /// Whether the policy may preempt at a scheduling point ([`Scheduler::may_preempt`]).
    sched_preempts: bool,
    /// Whether the policy hears when a process leaves its CPU ([`Scheduler::hears_stops`]).
    sched_hears_stops: bool,
    timers: time::Timers,
    next_msg: u64,
    queued_bytes: usize,
    ledger: Ledger,
    /// Where the rights carried in messages went (`ipc/rights.rs`).
    rights: ipc::RightsLedger,
    /// Fault injection's generator and the messages in flight (`ipc/faults.rs`).
    faults: ipc::FaultState,
    /// Endpoints created so far (mailboxes and inboxes): the next endpoint's serial.
    endpoints_created: u64,
    /// The records of exited processes and the final ledgers of endpoints that are gone,
    /// kept or handed to a sink.
    history: history::History,
    trace: TraceBuffer,
    console: Vec<ConsoleLine>,
    running: usize,
    live: usize,
    /// Children spawned to arrive at once, with their spawner: held until the spawner's
    /// stretch on its CPU ends (`process/lifecycle.rs`, `hold_until_arrival`). Short: only a
    /// running spawner has entries.
    arriving: Vec<(Pid, Pid)>,
    /// How many of the `live` processes are daemons (`KernelConfig::daemons`).
    live_daemons: usize,
}

impl Kernel {
    /// A kernel for one CPU with no tick limit and no processes, scheduling by `policy`, that
    /// can spawn `programs` (by name; the index is the program id the machine loads).
    pub fn new(config: KernelConfig, policy: Policy, programs: Vec<String>) -> Kernel {
        Self::with_scheduler(config, Platform::default(), policy.build(0), programs)
    }

    /// A kernel for `platform` with a scheduler of the caller's own.
    pub fn with_scheduler(
        config: KernelConfig,
        platform: Platform,
        sched: Box<dyn Scheduler>,
        programs: Vec<String>,
    ) -> Kernel {
        let trace = TraceBuffer::new(config.trace);
        let faults = ipc::FaultState::new(config.fault_seed);
        let cpus = platform.cpus.max(1);
        let programs: Vec<Arc<str>> = programs.into_iter().map(Arc::from).collect();
        let mut program_ids = BTreeMap::new();
        for (i, name) in programs.iter().enumerate() {
            program_ids.entry(name.clone()).or_insert(i as u32);
        }
        Kernel {
            config,
            platform: Platform { cpus, ..platform },
            clock: 0,
            cpus: (0..cpus).map(|_| entry::CpuSlot::default()).collect(),
            entries: 0,
            steps_at_tick: 0,
            procs: Slab::default(),
            links: ipc::Links::default(),
            watch_links: ipc::Links::default(),
            mailboxes: Slab::default(),
            names: BTreeMap::new(),
            program_ids,
            programs,
            sched_preempts: sched.may_preempt(),
            sched_hears_stops: sched.hears_stops(),
            sched,
            timers: time::Timers::default(),
            next_msg: 0,
            queued_bytes: 0,
            ledger: Ledger::default(),
            rights: ipc::RightsLedger::default(),
            faults,
            endpoints_created: 0,
            history: history::History::default(),
            trace,
            console: Vec::new(),
            running: 0,
            live: 0,
            arriving: Vec::new(),
            live_daemons: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &KernelConfig {
        &self.config
    }

    /// The clock as the kernel last saw it.
    pub fn now(&self) -> Ticks {
        self.clock
    }

    /// The scheduler's name.
    pub fn policy_name(&self) -> &'static str {
        self.sched.name()
    }

    /// Start the first process: `program` with `arg`, no parent.
    pub fn boot(&mut self, program: &str, label: &str, arg: u64) -> Result<Pid, Error> {
        let program = self.program_id(program).ok_or(Error::NoSuchProgram)?;
        self.create_process(program, label, None, arg, abi::Capacity::Zero, 0)
    }

    /// The index of the program called `name` in the program table.
    fn program_id(&self, name: &str) -> Option<u32> {
        self.program_ids.get(name).copied()
    }

    /// A process (live or zombie).
    pub(crate) fn process(&self, pid: Pid) -> Option<&Process> {
        self.procs.get(pid.index(), pid.generation())
    }

    /// Every process (live or zombie), in slot order.
    pub(crate) fn processes(&self) -> impl Iterator<Item = &Process> {
        self.procs.iter().map(|(_, p)| p)
    }

    /// A live mailbox.
    pub(crate) fn mailbox(&self, id: MailboxId) -> Option<&Mailbox> {
        self.mailboxes.get(id.index(), id.generation())
    }

    /// Every live mailbox, in slot order.
    pub(crate) fn mailboxes(&self) -> impl Iterator<Item = &Mailbox> {
        self.mailboxes.iter().map(|(_, m)| m)
    }

    /// The program table.
    pub fn programs(&self) -> &[Arc<str>] {
        &self.programs
    }

    /// Where every accepted message went.
    pub fn ledger(&self) -> Ledger {
        self.ledger
    }

    /// Where the rights carried in messages went.
    pub fn rights_ledger(&self) -> ipc::RightsLedger {
        self.rights
    }

    /// The ledger of every endpoint that ever had a message sent to it, live or gone, in the
    /// order the endpoints were created. Costs a walk of the tables: for reports, not for
    /// the fast path.
    pub fn endpoint_ledgers(&self) -> Vec<EndpointLedger> {
        self.ledgers_with(self.history.closed.clone())
    }

    /// [`Kernel::endpoint_ledgers`], moving the closed endpoints' ledgers out instead of
    /// copying them: for the end of a run, where a million closed mailboxes would otherwise
    /// be held twice while the report is built.
    pub fn take_endpoint_ledgers(&mut self) -> Vec<EndpointLedger> {
        let closed = core::mem::take(&mut self.history.closed);
        self.ledgers_with(closed)
    }

    /// The closed endpoints' ledgers `all`, with the live endpoints' added, in creation order.
    fn ledgers_with(&self, mut all: Vec<(u64, EndpointLedger)>) -> Vec<EndpointLedger> {
        for mb in self.mailboxes() {
            if mb.endpoint.ledger.sent > 0 {
                let rec = ledger_of(Dest::Mailbox(mb.id), mb.name.clone(), &mb.endpoint, false);
                all.push((mb.endpoint.serial, rec));
            }
        }
        for p in self.processes() {
            if let Some(inbox) = p.inbox.get().filter(|e| e.ledger.sent > 0) {
                let rec = ledger_of(
                    Dest::Process(p.pid),
                    Some(String::from(&*p.name)),
                    inbox,
                    false,
                );
                all.push((inbox.serial, rec));
            }
        }
        all.sort_by_key(|(serial, _)| *serial);
        all.into_iter().map(|(_, rec)| rec).collect()
    }

    /// Messages queued in every endpoint now.
    pub fn queued_messages(&self) -> u64 {
        let in_mailboxes: usize = self.mailboxes().map(|m| m.endpoint.queue.len()).sum();
        let in_inboxes: usize = self
            .processes()
            .filter_map(|p| p.inbox.get())
            .map(|e| e.queue.len())
            .sum();
        (in_mailboxes + in_inboxes) as u64
    }

    /// Bytes charged against the memory limit now.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// What processes printed.
    pub fn console(&self) -> &[ConsoleLine] {
        &self.console
    }

    /// Every process that has exited, in exit order (none while a history sink takes the
    /// records).
    pub fn exited(&self) -> &[ExitRecord] {
        &self.history.exited
    }

    /// Take the exit records kept so far, leaving none: the end of a run moves them into its
    /// report rather than copying one record per process that ever lived.
    pub fn take_exited(&mut self) -> Vec<ExitRecord> {
        core::mem::take(&mut self.history.exited)
    }

    /// Hand every exit record and every closed endpoint's final ledger to `sink` as it is
    /// made (those kept so far first), instead of keeping them for the report; returns the
    /// sink replaced, if any. For a run of very many processes whose history the caller
    /// writes out or does not need.
    pub fn set_history_sink(&mut self, sink: Box<dyn HistorySink>) -> Option<Box<dyn HistorySink>> {
        self.history.set_sink(sink)
    }

    /// Take what processes printed so far, leaving nothing.
    pub fn take_console(&mut self) -> Vec<ConsoleLine> {
        core::mem::take(&mut self.console)
    }

    /// The trace events so far.
    pub fn events(&self) -> &[Event] {
        self.trace.events()
    }

    /// Take the trace events so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.trace.take()
    }

    /// Hand every event from now on to `sink` as it happens, instead of keeping it for
    /// [`Kernel::take_events`] (when tracing is on); returns the sink replaced, if any.
    pub fn set_trace_sink(
        &mut self,
        sink: Box<dyn trace::TraceSink>,
    ) -> Option<Box<dyn trace::TraceSink>> {
        self.trace.set_sink(sink)
    }

    /// Take back the sink events go to, if any: the machine hands a streamed trace's
    /// renderer back to its caller when the run is over.
    pub fn take_trace_sink(&mut self) -> Option<Box<dyn trace::TraceSink>> {
        self.trace.take_sink()
    }

    /// Processes alive (not exited).
    pub fn live_processes(&self) -> usize {
        self.live
    }

    /// Whether any process waits for a CPU.
    fn has_ready(&self) -> bool {
        !self.sched.is_empty()
    }

    /// When the next timeout or sleep is due, or the next delayed message arrives.
    pub fn next_deadline(&mut self) -> Option<Ticks> {
        let timer = self.timers.next_deadline(&self.procs);
        let arrival = self.next_arrival();
        timer.into_iter().chain(arrival).min()
    }

    /// Blocked processes and the wait-for cycle among them, if no process can run and no
    /// timer is armed; `None` while the machine can still make progress or nobody waits.
    fn deadlock(&mut self) -> Option<Deadlock> {
        if self.running > 0 || self.has_ready() || self.next_deadline().is_some() {
            return None;
        }
        let blocked: Vec<WaitFor> = self
            .procs
            .iter()
            .filter_map(|(_, p)| {
                let b = p.blocked()?;
                Some(WaitFor {
                    pid: p.pid,
                    queue: b.queue,
                    holder: self.holder(b.queue),
                })
            })
            .collect();
        if blocked.is_empty() {
            return None;
        }
        let cycle = find_cycle(&blocked);
        Some(Deadlock { cycle, blocked })
    }

    /// The process that could release a wait queue's waiters, when exactly one can.
    pub fn holder(&self, queue: WaitQueueId) -> Option<Pid> {
        match queue {
            // A shared mailbox with granted receivers can be released by any of them: no one
            // process holds its queues. (A grantee that exited stays on the list until the
            // owner's next grant prunes it, so a holder never changes without a syscall of
            // the mailbox's that says so.)
            WaitQueueId::MailboxSenders(m) | WaitQueueId::MailboxCallers(m) => self
                .mailbox(m)
                .filter(|mb| mb.granted.is_empty())
                .and_then(|mb| mb.owner),
            WaitQueueId::InboxSenders(p)
            | WaitQueueId::ReceiversFrom(p)
            | WaitQueueId::Replies(p)
            | WaitQueueId::Exit(p) => Some(p),
            WaitQueueId::MailboxReceiver(_)
            | WaitQueueId::InboxReceiver(_)
            | WaitQueueId::Select(_) => None,
        }
    }

    // ----- internals shared by the rooms -----

    fn live_index(&self, pid: Pid) -> Option<u32> {
        self.procs
            .get(pid.index(), pid.generation())
            .filter(|p| p.is_live())
            .map(|_| pid.index())
    }

    fn proc_mut(&mut self, idx: u32) -> &mut Process {
        self.procs
            .at_mut(idx)
            .expect("kernel bug: a slot index the kernel holds is empty")
    }

    fn proc_ref(&self, idx: u32) -> &Process {
        self.procs
            .at(idx)
            .expect("kernel bug: a slot index the kernel holds is empty")
    }

    fn pid_of(&self, idx: u32) -> Pid {
        self.proc_ref(idx).pid
    }

    fn live_mailbox(&self, id: MailboxId) -> Result<&Mailbox, Refusal> {
        self.mailbox(id).ok_or(Error::NoSuchMailbox.into())
    }

    fn live_mailbox_mut(&mut self, id: MailboxId) -> Result<&mut Mailbox, Refusal> {
        self.mailboxes
            .get_mut(id.index(), id.generation())
            .ok_or(Error::NoSuchMailbox.into())
    }

    /// The serial of an endpoint being created now (see [`Kernel::endpoint_ledgers`]).
    pub(crate) fn next_endpoint_serial(&mut self) -> u64 {
        self.endpoints_created += 1;
        self.endpoints_created
    }

    /// An endpoint is going away: keep its final ledger if it ever had a message, so the
    /// report still accounts for them.
    pub(crate) fn close_endpoint(&mut self, endpoint: Dest, name: Option<&str>, ep: &Endpoint) {
        if ep.ledger.sent > 0 {
            let name = name.map(String::from);
            let record = ledger_of(endpoint, name, ep, true);
            if self.config.check_invariants && (!record.balances() || record.queued != 0) {
                panic!("kernel invariant violated: closed ledger does not balance: {record:?}");
            }
            self.history.close(ep.serial, record);
        }
    }

    /// Record an event at the tick and on the CPU of the entry being served.
    #[inline]
    fn emit(&mut self, kind: impl FnOnce() -> EventKind) {
        self.trace.record(kind);
    }

    /// Run `f` on the wait queue a [`WaitQueueId`] names (if its owner still exists) and the
    /// links of every process, so `f` may relink any process.
    #[inline]
    fn with_queue<R>(
        &mut self,
        queue: WaitQueueId,
        f: impl FnOnce(&mut WaitQueue, &mut ipc::Links) -> R,
    ) -> Option<R> {
        fn proc_of(procs: &mut Slab<Process>, p: Pid) -> Option<&mut Process> {
            procs.get_mut(p.index(), p.generation())
        }
        let q = match queue {
            WaitQueueId::MailboxSenders(m) => {
                &mut self
                    .mailboxes
                    .get_mut(m.index(), m.generation())?
                    .endpoint
                    .senders
            }
            WaitQueueId::MailboxReceiver(m) => {
                &mut self
                    .mailboxes
                    .get_mut(m.index(), m.generation())?
                    .endpoint
                    .receiver
            }
            WaitQueueId::MailboxCallers(m) => {
                &mut self.mailboxes.get_mut(m.index(), m.generation())?.callers
            }
            // An inbox's queues exist once it is used (whoever waits there used it first).
            WaitQueueId::InboxSenders(p) => {
                &mut proc_of(&mut self.procs, p)?.inbox.get_mut()?.senders
            }
            WaitQueueId::InboxReceiver(p) => {
                &mut proc_of(&mut self.procs, p)?.inbox.get_mut()?.receiver
            }
            WaitQueueId::ReceiversFrom(p) => &mut proc_of(&mut self.procs, p)?.receivers_from,
            WaitQueueId::Replies(p) => &mut proc_of(&mut self.procs, p)?.replies,
            WaitQueueId::Exit(p) => &mut proc_of(&mut self.procs, p)?.exit_waiters,
            WaitQueueId::Select(p) => &mut proc_of(&mut self.procs, p)?.select_wait,
        };
        Some(f(q, &mut self.links))
    }

    /// Write a syscall's result into the process's return registers: its call is finished.
    #[inline]
    fn complete(&mut self, idx: u32, result: Result<[u64; RET_REGS - 1], Refusal>) {
        self.complete_with(idx, registers(result));
    }

    /// [`Kernel::complete`] with the return registers written out.
    fn complete_with(&mut self, idx: u32, ret: [u64; RET_REGS]) {
        let p = self.proc_mut(idx);
        p.ret = ret;
        p.trap = process::TrapState::Returned;
        let (pid, sysno) = (p.pid, p.sysno);
        self.emit(|| EventKind::Return {
            pid,
            sysno: abi::Sysno::from_raw(sysno),
            ret,
        });
    }

    /// Take a blocked process off its wait queue (if it is on one) and disarm its timer.
    fn unlink(&mut self, idx: u32) {
        let p = self.proc_mut(idx);
        p.timer = 0;
        if let Some(b) = p.blocked() {
            let queue = b.queue;
            self.with_queue(queue, |q, links| q.remove(links, idx));
            self.lenders_changed(queue);
            if let WaitQueueId::Select(_) = queue {
                self.disarm_select(idx);
            }
        }
    }

    /// Finish the call of a blocked or sleeping process that is already off its wait queue,
    /// and make it ready.
    #[inline]
    fn make_ready(
        &mut self,
        idx: u32,
        by: Option<Pid>,
        reason: WakeReason,
        result: Result<[u64; RET_REGS - 1], Refusal>,
    ) {
        self.make_ready_with(idx, by, reason, registers(result));
    }

    /// [`Kernel::make_ready`] with the return registers written out.
    fn make_ready_with(
        &mut self,
        idx: u32,
        by: Option<Pid>,
        reason: WakeReason,
        ret: [u64; RET_REGS],
    ) {
        let now = self.clock;
        let p = self.proc_mut(idx);
        p.timer = 0;
        p.set_state(ProcState::Ready, now);
        p.ret = ret;
        p.trap = process::TrapState::Returned;
        let info = ReadyInfo {
            pid: p.pid,
            priority: p.effective_priority,
            reason: ReadyReason::Woken,
            now,
            last_cpu: p.last_cpu,
            expected_burst: p.expected_burst,
        };
        let (pid, sysno) = (p.pid, p.sysno);
        if self.trace.enabled() {
            self.emit(|| EventKind::Wake { pid, by, reason });
            self.emit(|| EventKind::Return {
                pid,
                sysno: abi::Sysno::from_raw(sysno),
                ret,
            });
        }
        self.sched.enqueue(info);
    }

    /// Wake a blocked process: off its queue, result written, ready.
    #[inline]
    fn wake(
        &mut self,
        idx: u32,
        by: Option<Pid>,
        reason: WakeReason,
        result: Result<[u64; RET_REGS - 1], Refusal>,
    ) {
        self.unlink(idx);
        self.make_ready_with(idx, by, reason, registers(result));
    }

    /// Wake every process on `queue` with `error`.
    fn wake_all(
        &mut self,
        queue: WaitQueueId,
        by: Option<Pid>,
        reason: WakeReason,
        error: Error,
    ) -> usize {
        let mut n = 0;
        while let Some(idx) = self
            .with_queue(queue, |q, links| q.pop_front(links))
            .flatten()
        {
            self.abandon_if_sending(idx, error);
            self.make_ready(idx, by, reason, Err(error.into()));
            n += 1;
        }
        if n > 0 {
            self.lenders_changed(queue);
        }
        n
    }

    /// A blocked sender giving up: say in the trace that its message was not delivered. The
    /// message leaves its IPC buffer: it never entered the kernel.
    fn abandon_if_sending(&mut self, idx: u32, error: Error) {
        let p = self.proc_mut(idx);
        if let Some(b) = p.blocked() {
            if let process::BlockedOp::Send { dest, .. } = b.op {
                p.ipc = abi::Payload::default();
                // Its message never entered the kernel: its right never left it.
                p.carrying = None;
                let pid = p.pid;
                self.emit(|| EventKind::SendAbandoned {
                    pid,
                    to: dest,
                    error,
                });
            }
        }
    }

    /// Put the running process on a wait queue.
    fn block(
        &mut self,
        idx: u32,
        queue: WaitQueueId,
        op: process::BlockedOp,
        deadline: Option<Ticks>,
    ) {
        let now = self.clock;
        self.with_queue(queue, |q, links| q.push_back(links, idx));
        self.mark_not_running(idx, StopReason::Blocked);
        let p = self.proc_mut(idx);
        p.wait = process::Blocked {
            queue,
            op,
            deadline,
        };
        p.set_state(ProcState::Blocked, now);
        let pid = p.pid;
        if let Some(d) = deadline {
            self.arm_timer(idx, d);
        }
        self.emit(|| EventKind::Block {
            pid,
            queue,
            deadline,
        });
        self.lenders_changed(queue);
    }

    /// Move a blocked process from its queue to another, keeping its deadline.
    fn requeue(&mut self, idx: u32, queue: WaitQueueId, op: process::BlockedOp) {
        let Some(b) = self.proc_ref(idx).blocked().copied() else {
            return;
        };
        if b.queue != queue {
            self.with_queue(b.queue, |q, links| q.remove(links, idx));
            self.with_queue(queue, |q, links| q.push_back(links, idx));
        }
        let p = self.proc_mut(idx);
        p.wait = process::Blocked {
            queue,
            op,
            deadline: b.deadline,
        };
        let pid = p.pid;
        let deadline = b.deadline;
        self.emit(|| EventKind::Block {
            pid,
            queue,
            deadline,
        });
        // The call moved on (its message was queued or taken): it may lend to someone else
        // now, or to nobody.
        if b.queue != queue && self.holder(b.queue) != self.holder(queue) {
            self.lenders_changed(b.queue);
        }
        self.lenders_changed(queue);
    }

    fn ready_info(&self, idx: u32, reason: ReadyReason) -> ReadyInfo {
        let p = self.proc_ref(idx);
        ReadyInfo {
            pid: p.pid,
            priority: p.effective_priority,
            reason,
            now: self.clock,
            last_cpu: p.last_cpu,
            expected_burst: p.expected_burst,
        }
    }

    /// Bookkeeping for a process leaving its CPU (before its state changes): the count of
    /// running processes, and the policy hears how long it ran.
    fn mark_not_running(&mut self, idx: u32, why: StopReason) {
        if !self.arriving.is_empty() {
            let pid = self.pid_of(idx);
            self.release_arrivals(pid);
        }
        let p = self.proc_ref(idx);
        if let ProcState::Running(cpu) = p.state {
            let (pid, ran) = (p.pid, self.clock.saturating_sub(p.since));
            self.running -= 1;
            if let Some(slot) = self.cpus.get_mut(cpu as usize) {
                if slot.current == Some(pid) {
                    slot.current = None;
                }
            }
            if self.sched_hears_stops {
                self.sched.stopped(pid, ran, why);
            }
        }
    }
}

/// An endpoint's counts as a ledger record.
fn ledger_of(endpoint: Dest, name: Option<String>, ep: &Endpoint, closed: bool) -> EndpointLedger {
    EndpointLedger {
        endpoint,
        name,
        ledger: ep.ledger,
        queued: ep.queue.len() as u64,
        closed,
    }
}

/// The first wait-for cycle among blocked processes, following each one's single holder, in
/// slot order so the answer is deterministic.
fn find_cycle(blocked: &[WaitFor]) -> Vec<Pid> {
    let holder: BTreeMap<Pid, Option<Pid>> = blocked.iter().map(|w| (w.pid, w.holder)).collect();
    // Each process has at most one holder, so every walk is a path into at most one cycle;
    // `done` marks processes whose walk is known to end without a new cycle.
    let mut done: BTreeMap<Pid, ()> = BTreeMap::new();
    for start in blocked {
        let mut path: Vec<Pid> = Vec::new();
        let mut at = Some(start.pid);
        while let Some(pid) = at {
            if done.contains_key(&pid) {
                break;
            }
            if let Some(pos) = path.iter().position(|p| *p == pid) {
                return path.split_off(pos);
            }
            path.push(pid);
            at = holder.get(&pid).copied().flatten();
        }
        done.extend(path.into_iter().map(|p| (p, ())));
    }
    Vec::new()
}
