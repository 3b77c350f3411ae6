//! The machine: one or more CPUs, each with its own virtual clock, a programmable timer, and
//! the loop that drives the kernel.
//!
//! The machine is the hardware. It tells the kernel what happened on a CPU at a tick, in one
//! entry ([`Kernel::enter`]: the timer interrupt at the start of a turn, a trap, a burst that
//! ran, a program that ended, a planned fault) and does what the kernel answers ([`Action`]):
//! poll this process's program, charge this much of its burst, idle until then, stop. It
//! polls process bodies, charges ticks to its CPUs' clocks and orders its CPUs; every
//! decision about who runs, for how long and when the run is over is the kernel's.
//!
//! **The trap.** Every process's syscall stubs hold the machine's syscall instruction (the
//! [`Trap`] this module implements). With one CPU a trap is served inside the
//! poll of the program that raised it: the syscall's cost is charged, the kernel is entered
//! once, and if the process keeps its CPU the stub returns at once, as a syscall returns to
//! the next instruction. Only when the process loses its CPU (it blocks, yields, is
//! preempted, computes or exits) does it suspend, and the loop does what the kernel
//! answered. With several CPUs, and at the moments the loop must act first (the tick limit,
//! a planned fault, a pause), the trap is kept raised and the loop serves it in its turn.
//!
//! **Several CPUs** are stepped in one host thread, deterministically: each turn steps the
//! CPU whose clock is earliest (ties: a busy CPU before an idle one, then the lowest id), and
//! the ticks a turn charges are paid before the kernel entry that ends them, which waits
//! while another CPU's clock is behind. So the kernel sees time that never runs backwards,
//! and program code runs in the order of its simulated time. `docs/architecture.md` (section
//! 4) states the rule in full.
//!
//! **One way in, no lock.** The kernel is `Send`, but the machine steps every CPU in one host
//! thread and shares its state with the processes' syscall instructions through an `Rc`, so
//! nothing here can ever be shared between threads: the kernel sits in a `RefCell` whose
//! borrow is the one way in, taken once per entry and let go before any program code runs.
//! A lock would guard nothing and cost an atomic operation per entry (it was a fifth of a
//! `call` round trip).
//!
//! A run can be paused between two turns ([`Machine::run_until`]) to look at the process
//! and mailbox tables ([`Machine::process_table`], [`Machine::mailbox_table`]) and then
//! resumed: pausing never changes what the run does, so `run_until(t)` followed by
//! [`Machine::run`] gives the same trace as `run` alone.
//!
//! The machine also injects the faults of its [`FaultPlan`] that belong to the hardware:
//! kills at a tick and clock jumps. A planned tick is a moment something can change, like a
//! timer deadline: an idle CPU wakes for it and a compute burst is cut at it, and the fault
//! is applied at the first kernel entry at or after it. Kills at a syscall, lost and delayed
//! messages are the kernel's (see [`fault_plan`]).

pub mod fault_plan;
pub mod report;

use abi::{Error, Payload, Pid, Ticks, Trap, TrapFrame, Trapped, RET_REGS};
use fault_plan::{FaultPlan, Schedule, Timed};
use kernel::inspect::{MailboxInfo, ProcessInfo};
use kernel::sched::percpu::{cpu_seed, PerCpu};
use kernel::sched::{Policy, Scheduler};
use kernel::trace::{CpuId, Event, EventKind, ExitReason, TraceSink};
use kernel::{Action, Entry, HistorySink, Kernel, KernelConfig, Outcome, Outside, Platform, Then};
use report::{CpuStats, MachineStats, Report};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Once;
use std::task::{Context, Poll, Waker};
use userland::{ProcessFuture, ProgramTable, Sys};

/// What the hardware charges, in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    /// Every syscall (the trap, the kernel's work and the return).
    pub syscall: Ticks,
    /// Every dispatch of a process onto a CPU.
    pub context_switch: Ticks,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            syscall: 1,
            context_switch: 1,
        }
    }
}

/// Where ready processes wait for a CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunQueues {
    /// One run queue for the whole machine: a free CPU takes the next ready process,
    /// wherever it ran before.
    #[default]
    Global,
    /// One run queue per CPU (the kernel's [`PerCpu`] scheduler, each queue its own
    /// instance of the policy): a process waits on the CPU it last ran on (a new one on the
    /// shortest queue), and a CPU runs processes from its own queue.
    PerCpu {
        /// Whether a CPU whose queue is empty steals from the longest other queue. Without
        /// it a CPU idles while other queues hold work.
        migration: bool,
    },
}

impl RunQueues {
    /// Its name, as `FromStr` reads it: `global`, `per-cpu` (with migration) or
    /// `per-cpu-pinned` (without).
    pub const fn name(self) -> &'static str {
        match self {
            RunQueues::Global => "global",
            RunQueues::PerCpu { migration: true } => "per-cpu",
            RunQueues::PerCpu { migration: false } => "per-cpu-pinned",
        }
    }
}

impl fmt::Display for RunQueues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RunQueues {
    type Err = &'static str;

    /// `global`, `per-cpu` (with migration) or `per-cpu-pinned` (without; also spelled
    /// `per-cpu-no-migration`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "global" => Ok(RunQueues::Global),
            "per-cpu" => Ok(RunQueues::PerCpu { migration: true }),
            "per-cpu-pinned" | "per-cpu-no-migration" => Ok(RunQueues::PerCpu { migration: false }),
            _ => Err("expected one of: global, per-cpu, per-cpu-pinned"),
        }
    }
}

/// Everything a run is configured by. The same configuration, programs and seed give the
/// same trace, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineConfig {
    /// The scheduling policy.
    pub policy: Policy,
    /// What the hardware charges.
    pub costs: Costs,
    /// Stop the run at this tick.
    pub max_ticks: Ticks,
    /// The run's seed. Both shipped policies are deterministic without it; it is recorded
    /// in the report so that seeded policies and schedule exploration replay exactly.
    pub seed: u64,
    /// The kernel's settings.
    pub kernel: KernelConfig,
    /// How many CPUs the machine has; 0 is taken as 1, and more than [`crate::MAX_CPUS`] as
    /// that many ([`MachineConfig::cpu_count`]).
    pub cpus: u32,
    /// Where ready processes wait: one queue for the machine, or one per CPU.
    pub run_queues: RunQueues,
    /// The faults to inject (`docs/faults.md`); empty by default.
    pub faults: FaultPlan,
    /// The seed of the kernel's fault generator (losses and delays), apart from `seed` so
    /// that schedules and faults can vary alone. It replaces `kernel.fault_seed`.
    pub fault_seed: u64,
}

impl MachineConfig {
    /// How many CPUs the machine has: [`MachineConfig::cpus`], at least 1 and at most
    /// [`crate::MAX_CPUS`] (the command line and scenarios refuse other values; a library
    /// caller gets the nearest machine rather than an allocation that aborts).
    pub fn cpu_count(&self) -> u32 {
        self.cpus.clamp(1, crate::MAX_CPUS)
    }
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            policy: Policy::default(),
            costs: Costs::default(),
            max_ticks: 1_000_000,
            seed: 0,
            kernel: KernelConfig::default(),
            cpus: 1,
            run_queues: RunQueues::default(),
            faults: FaultPlan::default(),
            fault_seed: 0,
        }
    }
}

/// Kernel work a CPU has paid for but not done yet. A turn charges its ticks first; when that
/// carries the CPU's clock past another CPU's, the kernel entry that ends the charge waits
/// until this CPU is the one to step again, so the kernel never sees time run backwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Owed {
    /// Nothing: the CPU's next turn starts afresh.
    #[default]
    Nothing,
    /// The context switch to this process was charged: enter [`Entry::Switched`], then run
    /// it.
    Dispatch(Pid),
    /// The process trapped and the syscall was charged: serve the trap (the CPU's `raised`).
    Trap(Pid),
    /// `ran` ticks of the process's compute burst, begun at `from`, were charged.
    Burst {
        /// The process.
        pid: Pid,
        /// Ticks charged.
        ran: Ticks,
        /// When the piece began.
        from: Ticks,
    },
    /// The process reached a scheduling point while someone was ready and another CPU idled
    /// at the same tick: the idle CPUs take their pick first, then this one decides whether
    /// the process gives way ([`Action::Defer`]), so it is not preempted for work an idle
    /// CPU takes anyway.
    Decide(Pid),
}

/// A trap a process raised that the kernel has not served yet: its registers, kept by the
/// CPU until the loop serves it (its outgoing bytes are the CPU's `out`).
#[derive(Clone, Copy, Debug)]
struct Raised {
    frame: TrapFrame,
    /// Its cost is charged.
    charged: bool,
    /// It was raised after an earlier trap of the same poll returned, when its turn could
    /// not start in the trap (the tick limit, a planned fault or a pause comes first): the
    /// loop starts that turn, and serves it there.
    early: bool,
}

/// One simulated CPU.
#[derive(Debug, Default)]
struct Cpu {
    id: CpuId,
    /// Its clock: when its next turn happens.
    now: Ticks,
    /// The process on it.
    current: Option<Pid>,
    /// Kernel work charged and not done yet.
    owed: Owed,
    /// It found nothing to run at `now` and stepped aside for another idle CPU at the same
    /// tick that had not looked yet (only with per-CPU queues, where that CPU may hold
    /// work): it goes after the idle CPUs that have not looked.
    parked: bool,
    /// A trap raised and not served yet.
    raised: Option<Raised>,
    /// The outgoing bytes of `raised` (kept, with its capacity, from trap to trap).
    out: Vec<u8>,
    /// What the kernel answered a trap served inside the last poll, when the process lost
    /// its CPU: the loop carries it out.
    answer: Option<Action>,
    /// A trap of the current poll suspended the process (it is `raised`, or `answer`ed).
    suspended: bool,
    /// The process trapped again in the same poll after its first trap suspended it (a
    /// program polling two syscalls at once): a fault.
    trapped_twice: bool,
    /// The program of the current poll gave up running without a trap ([`Trap::stall`]):
    /// its steps since its last trap.
    stalled: Option<u64>,
    /// Its accounting.
    stats: CpuStats,
}

impl Cpu {
    /// The order turns are taken in: the earliest clock; then a busy CPU, an idle one that
    /// has not looked for work at this tick, a busy one waiting to decide a scheduling point
    /// ([`Owed::Decide`]), an idle one that has looked; then the lowest id.
    fn turn_key(&self) -> (Ticks, u8, CpuId) {
        let class = match (self.current, self.owed, self.parked) {
            (Some(_), Owed::Decide(_), _) => 2,
            (Some(_), _, _) => 0,
            (None, _, false) => 1,
            (None, _, true) => 3,
        };
        (self.now, class, self.id)
    }

    /// Advance its clock by `ticks` of CPU time.
    #[inline]
    fn charge(&mut self, ticks: Ticks) {
        self.now = self.now.saturating_add(ticks);
        self.stats.busy += ticks;
    }

    /// Whether it waits to decide a scheduling point.
    fn deciding(&self) -> bool {
        matches!(self.owed, Owed::Decide(_))
    }

    /// Keep a trap raised for the loop.
    fn raise(&mut self, frame: &TrapFrame, out: &[u8], charged: bool, early: bool) {
        self.suspended = true;
        self.out.clear();
        self.out.extend_from_slice(out);
        self.raised = Some(Raised {
            frame: *frame,
            charged,
            early,
        });
    }

    /// Forget the process on it and everything it owed for it.
    fn release(&mut self) {
        self.current = None;
        self.owed = Owed::Nothing;
        self.parked = false;
        self.raised = None;
        self.answer = None;
        self.suspended = false;
        self.trapped_twice = false;
        self.stalled = None;
    }
}

/// The hardware beside the kernel: the CPUs, the planned faults, what a trap costs, and
/// which process a CPU is polling now.
struct Hardware {
    cpus: Vec<Cpu>,
    /// The planned kills and clock jumps still to come.
    faults: Schedule,
    costs: Costs,
    max_ticks: Ticks,
    /// Where [`Machine::run_until`] pauses (`Ticks::MAX`: nowhere).
    pause_at: Ticks,
    /// When the next planned fault strikes (`Ticks::MAX`: never).
    next_fault: Ticks,
    /// The earliest clock at which a turn must start in the loop rather than inside a trap:
    /// the tick limit, the next planned fault, a pause ([`Hardware::refresh`]).
    horizon: Ticks,
    /// What the kernel needs to know from outside when a trap's entry goes on to the CPU's
    /// next turn (one CPU): the next planned fault ([`Hardware::refresh`]).
    alone: Outside,
    /// The process being polled, and the CPU it runs on.
    polling: Option<(usize, Pid)>,
    /// A trap of the current poll returned to the process: a later one starts a turn.
    returned: bool,
}

impl Hardware {
    /// Recompute `next_fault` and `horizon` after the plan or the pause changed.
    fn refresh(&mut self) {
        self.next_fault = self.faults.next_tick().unwrap_or(Ticks::MAX);
        self.horizon = self.max_ticks.min(self.pause_at).min(self.next_fault);
        self.alone = Outside {
            planned: self.faults.next_tick(),
            ..Outside::default()
        };
    }
}

/// What the machine's syscall instruction and its loop share: the kernel and the hardware.
struct Board {
    /// The only way into the kernel, borrowed once per entry.
    kernel: RefCell<Kernel>,
    hw: RefCell<Hardware>,
}

impl Board {
    /// Enter the kernel on CPU `cpu` at `now`, from inside a process's poll: a panic in the
    /// kernel is the kernel's, not the process's ([`poll_body`] tells them apart).
    #[inline]
    fn enter_from_trap(&self, cpu: CpuId, now: Ticks, entry: Entry<'_>) -> Action {
        IN_KERNEL.with(|f| f.set(true));
        let action = self.kernel.borrow_mut().enter(cpu, now, entry);
        IN_KERNEL.with(|f| f.set(false));
        action
    }

    /// The process being polled.
    fn polled(&self) -> Option<Pid> {
        self.hw.borrow().polling.map(|(_, pid)| pid)
    }
}

impl Trap for Board {
    fn syscall(&self, frame: &TrapFrame, out: &[u8]) -> Trapped {
        let mut hw = self.hw.borrow_mut();
        let hw = &mut *hw;
        let Some((c, _)) = hw.polling else {
            return Trapped::Suspended;
        };
        let one = hw.cpus.len() == 1;
        let (horizon, next_fault) = (hw.horizon, hw.next_fault);
        let (returned, cost) = (hw.returned, hw.costs.syscall);
        let cpu = &mut hw.cpus[c];
        if cpu.suspended {
            cpu.trapped_twice = true;
            return Trapped::Suspended;
        }
        // After a trap of this poll returned, this one starts a new turn: if the tick limit,
        // a planned fault or a pause comes first, the loop starts it.
        let early = returned && cpu.now >= horizon;
        if !one || early {
            cpu.raise(frame, out, false, early);
            return Trapped::Suspended;
        }
        // The trap takes its cost before the kernel acts, so the time a call takes is
        // charged to the caller even when the call blocks it.
        cpu.charge(cost);
        if cpu.now >= next_fault {
            // A planned fault strikes before the kernel serves the trap: the loop's.
            cpu.raise(frame, out, true, false);
            return Trapped::Suspended;
        }
        let (id, now) = (cpu.id, cpu.now);
        // Should the process lose its CPU, the CPU's next turn follows in the same entry,
        // unless the run pauses first.
        let turn = (now < hw.pause_at).then_some(&hw.alone);
        let entry = Entry::Trap {
            frame,
            out,
            defer: false,
            turn,
        };
        let answer = self.enter_from_trap(id, now, entry);
        if let Action::Return(ret) = answer {
            // `Return` owns nothing: forgetting it spares a call to the drop glue of every
            // other answer on the hottest path.
            core::mem::forget(answer);
            hw.returned = true;
            return Trapped::Returned(ret);
        }
        let cpu = &mut hw.cpus[c];
        cpu.suspended = true;
        cpu.answer = Some(answer);
        Trapped::Suspended
    }

    fn resume(&self) -> Option<[u64; RET_REGS]> {
        let pid = self.polled()?;
        self.kernel.borrow_mut().resume(pid)
    }

    fn take_received(&self) -> Payload {
        match self.polled() {
            Some(pid) => self.kernel.borrow_mut().take_received(pid),
            None => Payload::default(),
        }
    }

    fn last_return(&self) -> [u64; RET_REGS] {
        match self.polled() {
            Some(pid) => self.kernel.borrow_mut().last_return(pid),
            None => [0; RET_REGS],
        }
    }

    fn stall(&self, steps: u64) {
        let mut hw = self.hw.borrow_mut();
        if let Some((c, _)) = hw.polling {
            hw.cpus[c].stalled = Some(steps);
        }
    }
}

/// A simulated machine with a kernel and the programs it can run.
pub struct Machine {
    config: MachineConfig,
    board: Rc<Board>,
    programs: ProgramTable,
    /// Process bodies by pid slot.
    bodies: Vec<Option<(Pid, ProcessFuture)>>,
    /// How the run ended, once it has: the loop must not turn again after that (a second
    /// deadlock or tick-limit event would be recorded).
    outcome: Option<Outcome>,
    /// The run's history goes to a sink rather than into the report.
    history_streamed: bool,
}

impl Machine {
    /// A machine that can run `programs`.
    pub fn new(config: MachineConfig, programs: ProgramTable) -> Machine {
        install_panic_hook();
        let names = programs.names().map(String::from).collect();
        let cpus = config.cpu_count();
        let scheduler: Box<dyn Scheduler> = match config.run_queues {
            RunQueues::Global => config.policy.build(config.seed),
            RunQueues::PerCpu { migration } => {
                let (policy, seed) = (&config.policy, config.seed);
                Box::new(PerCpu::new(cpus, migration, |cpu| {
                    policy.build(cpu_seed(seed, cpu))
                }))
            }
        };
        let mut kernel_config = config.kernel.clone();
        config
            .faults
            .configure(&mut kernel_config, config.fault_seed);
        let platform = Platform {
            cpus,
            tick_limit: config.max_ticks,
            switch_cost: config.costs.context_switch,
        };
        let kernel = Kernel::with_scheduler(kernel_config, platform, scheduler, names);
        let hw = Hardware {
            cpus: (0..cpus)
                .map(|id| Cpu {
                    id,
                    ..Cpu::default()
                })
                .collect(),
            faults: Schedule::new(&config.faults),
            costs: config.costs,
            max_ticks: config.max_ticks,
            pause_at: Ticks::MAX,
            next_fault: Ticks::MAX,
            horizon: Ticks::MAX,
            alone: Outside::default(),
            polling: None,
            returned: false,
        };
        let mut hw = hw;
        hw.refresh();
        Machine {
            config,
            board: Rc::new(Board {
                kernel: RefCell::new(kernel),
                hw: RefCell::new(hw),
            }),
            programs,
            bodies: Vec::new(),
            outcome: None,
            history_streamed: false,
        }
    }

    /// Boot `program` with `arg` and run until every process has exited, the processes
    /// deadlock, or the tick limit.
    pub fn run_program(
        config: MachineConfig,
        programs: ProgramTable,
        program: &str,
        arg: u64,
    ) -> Result<Report, Error> {
        let mut machine = Machine::new(config, programs);
        machine.boot(program, arg)?;
        Ok(machine.run())
    }

    /// Hand the run's trace events to `sink` as they happen (those recorded so far first)
    /// instead of keeping them for the report, whose `events` are then empty: for a renderer
    /// that writes as the run goes ([`crate::render::TextStream`]), so a long run's trace is
    /// never held in memory. Only with one CPU: with several, the report joins each CPU's
    /// idle stretches after the run, which a stream cannot; the sink is handed back.
    pub fn stream_trace(&mut self, sink: Box<dyn TraceSink>) -> Result<(), Box<dyn TraceSink>> {
        if self.config.cpu_count() > 1 {
            return Err(sink);
        }
        self.board.kernel.borrow_mut().set_trace_sink(sink);
        Ok(())
    }

    /// Hand every exit record and every closed endpoint's final ledger to `sink` as the run
    /// makes them (those made so far first), instead of keeping them for the report: the
    /// report's `exited` is then empty and its `ledgers` list only the endpoints still open
    /// at the end ([`Report::history_streamed`]). For runs of very many processes whose
    /// history the caller writes out, or does not need.
    pub fn stream_history(&mut self, sink: Box<dyn HistorySink>) {
        self.history_streamed = true;
        self.board.kernel.borrow_mut().set_history_sink(sink);
    }

    /// Start the first process (its program is loaded when it is first dispatched).
    pub fn boot(&mut self, program: &str, arg: u64) -> Result<Pid, Error> {
        self.board.kernel.borrow_mut().boot(program, "", arg)
    }

    /// Build the body of a process dispatched for the first time.
    fn load(&mut self, pid: Pid) {
        let Some(start) = self.board.kernel.borrow_mut().start_of(pid) else {
            return;
        };
        // The kernel's program ids are positions in the table it was built from (`new`).
        let Some(program) = self.programs.at(start.program as usize) else {
            return;
        };
        let cpu: Rc<dyn Trap> = self.board.clone();
        let body = (program.entry)(Sys::new(cpu), start.arg);
        let slot = pid.index() as usize;
        if self.bodies.len() <= slot {
            self.bodies.resize_with(slot + 1, || None);
        }
        self.bodies[slot] = Some((pid, body));
    }

    /// Run to the end (or on from where [`Machine::run_until`] paused) and report.
    pub fn run(mut self) -> Report {
        let outcome = match self.outcome.take() {
            Some(outcome) => outcome,
            None => self.run_loop(),
        };
        // The bodies hold the machine's syscall instruction: they go first.
        self.bodies = Vec::new();
        let ticks = self.end_tick();
        let machine = self.stats(ticks);
        let cpus = self.config.cpu_count();
        let mut kernel = self.board.kernel.borrow_mut();
        let mut events = kernel.take_events();
        if cpus > 1 {
            events = join_idle(events);
        }
        Report {
            outcome,
            ticks,
            events,
            processes: kernel.process_table(),
            mailboxes: kernel.mailbox_table(),
            exited: kernel.take_exited(),
            console: kernel.take_console(),
            ledger: kernel.ledger(),
            rights: kernel.rights_ledger(),
            queued: kernel.queued_messages(),
            ledgers: kernel.take_endpoint_ledgers(),
            machine,
            kernel_entries: kernel.entries(),
            history_streamed: self.history_streamed,
            policy: kernel.policy_name(),
            seed: self.config.seed,
            max_ticks: self.config.max_ticks,
            expected_kills: self.config.faults.expected_kills.clone(),
        }
    }

    /// When the run ended: the latest CPU clock, where the last CPU to finish stopped.
    fn end_tick(&self) -> Ticks {
        let hw = self.board.hw.borrow();
        hw.cpus.iter().map(|c| c.now).max().unwrap_or(0)
    }

    /// The machine's accounting for a run that ended at `ticks`: a CPU whose clock stopped
    /// earlier spent the rest running the process it holds (a run cut off by the tick
    /// limit), or else idling, so each CPU's busy and idle ticks add up to `ticks`.
    fn stats(&self, ticks: Ticks) -> MachineStats {
        let hw = self.board.hw.borrow();
        let per_cpu: Vec<CpuStats> = hw
            .cpus
            .iter()
            .map(|c| {
                let rest = ticks.saturating_sub(c.now);
                let mut s = c.stats;
                match c.current {
                    Some(_) => s.busy += rest,
                    None => s.idle += rest,
                }
                s
            })
            .collect();
        MachineStats {
            ticks,
            busy: per_cpu.iter().map(|c| c.busy).sum(),
            idle: per_cpu.iter().map(|c| c.idle).sum(),
            context_switches: per_cpu.iter().map(|c| c.context_switches).sum(),
            per_cpu,
        }
    }

    /// Run until the clock reaches `tick` or the run ends, whichever comes first. Returns
    /// the outcome if the run has ended (now or at an earlier call), `None` if it paused.
    ///
    /// The clock here is the machine's: the earliest of the CPUs' clocks ([`Machine::now`]),
    /// the moment up to which everything has happened on every CPU. The pause falls between
    /// two turns of the loop, at the first where that clock is at or past `tick`: one turn
    /// may move a clock several ticks (a dispatch and a syscall, a compute burst, an idle
    /// jump), so [`Machine::now`] can be past `tick`. Timers due by then have fired, as the
    /// next turn would fire them first anyway, so the tables show the moment as the kernel
    /// sees it. (With several CPUs, a process whose syscall or burst another CPU has
    /// charged past that moment still shows as running.)
    pub fn run_until(&mut self, tick: Ticks) -> Option<Outcome> {
        if let Some(outcome) = &self.outcome {
            return Some(outcome.clone());
        }
        self.pause_at(tick);
        while self.now() < tick {
            if let Some(outcome) = self.step() {
                self.pause_at(Ticks::MAX);
                self.outcome = Some(outcome.clone());
                return Some(outcome);
            }
        }
        self.pause_at(Ticks::MAX);
        // Every turn starts with exactly this entry's timer interrupt on the CPU stepped
        // next, and a second one at the same tick finds nothing due, so bringing the
        // kernel's clock up to date here changes nothing after.
        let c = self.next_cpu();
        self.enter(c, Entry::Timer);
        None
    }

    /// Pause the run at `tick` (`Ticks::MAX`: nowhere).
    fn pause_at(&mut self, tick: Ticks) {
        let mut hw = self.board.hw.borrow_mut();
        hw.pause_at = tick;
        hw.refresh();
    }

    /// The machine's clock: the earliest of the CPUs' clocks (with one CPU, its clock).
    pub fn now(&self) -> Ticks {
        let hw = self.board.hw.borrow();
        hw.cpus.iter().map(|c| c.now).min().unwrap_or(0)
    }

    /// How many CPUs the machine has.
    pub fn cpu_count(&self) -> usize {
        self.config.cpu_count() as usize
    }

    /// How the run ended, if it has (only [`Machine::run_until`] can end it without consuming
    /// the machine).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Every process (live and zombie), in slot order, as it is now.
    pub fn process_table(&self) -> Vec<ProcessInfo> {
        self.board.kernel.borrow_mut().process_table()
    }

    /// Every live mailbox, in slot order, as it is now.
    pub fn mailbox_table(&self) -> Vec<MailboxInfo> {
        self.board.kernel.borrow_mut().mailbox_table()
    }

    /// How many times the kernel was entered so far: once per event on a CPU (a trap, a
    /// turn, a burst piece, a fault), never more.
    pub fn kernel_entries(&self) -> u64 {
        self.board.kernel.borrow_mut().entries()
    }

    fn run_loop(&mut self) -> Outcome {
        loop {
            if let Some(outcome) = self.step() {
                return outcome;
            }
        }
    }

    /// Enter the kernel from the loop, on CPU `c` at its clock.
    fn enter(&self, c: usize, entry: Entry<'_>) -> Action {
        let (id, now) = {
            let hw = self.board.hw.borrow();
            (hw.cpus[c].id, hw.cpus[c].now)
        };
        self.board.kernel.borrow_mut().enter(id, now, entry)
    }

    fn cpu<R>(&self, c: usize, f: impl FnOnce(&mut Cpu) -> R) -> R {
        f(&mut self.board.hw.borrow_mut().cpus[c])
    }

    /// The CPU to step next: the first by [`Cpu::turn_key`].
    ///
    /// First the timer: if the next deadline falls inside a compute burst a CPU has been
    /// charged for but not finished, and before every CPU's clock, that piece is cut back to
    /// end at the deadline (as a burst is cut at a deadline known when it starts), on the
    /// lowest-id such CPU, which so takes the timer interrupt on time. No kernel entry has
    /// happened inside the piece, so nothing of it was seen yet.
    #[inline]
    fn next_cpu(&mut self) -> usize {
        // One CPU is always the CPU to step: no clocks to compare, no burst to cut.
        if self.cpu_count() == 1 {
            return 0;
        }
        self.next_of_several()
    }

    /// [`Machine::next_cpu`] with more than one CPU.
    #[inline(never)]
    fn next_of_several(&mut self) -> usize {
        let earliest = self.now();
        let due = self.next_event();
        let mut hw = self.board.hw.borrow_mut();
        if let Some(due) = due.filter(|&due| due < earliest) {
            cut_burst_at(&mut hw.cpus, due);
        }
        (0..hw.cpus.len())
            .min_by_key(|&c| hw.cpus[c].turn_key())
            .unwrap_or(0)
    }

    /// When something next could change: the kernel's next timer deadline or message
    /// arrival, or the plan's next timed fault while any process is alive to notice it.
    fn next_event(&self) -> Option<Ticks> {
        let mut k = self.board.kernel.borrow_mut();
        let fault = self.board.hw.borrow().faults.next_tick();
        let fault = fault.filter(|_| k.live_processes() > 0);
        k.next_deadline().into_iter().chain(fault).min()
    }

    /// After a charge on CPU `c`: whether `c` is still the CPU to step, so the kernel entry
    /// that ends the charge can happen now. If not, that entry is recorded as `owed` and the
    /// turn ends; `c`'s next turn starts with it.
    fn go_on(&mut self, c: usize, owed: Owed) -> bool {
        if self.next_cpu() == c {
            return true;
        }
        self.cpu(c, |cpu| cpu.owed = owed);
        false
    }

    /// What the machine knows of the world outside the kernel for CPU `c`'s turn: the next
    /// planned fault and, with several CPUs, where the other CPUs stand.
    fn outside(&self, c: usize) -> Outside {
        let hw = self.board.hw.borrow();
        let mut o = Outside {
            planned: hw.faults.next_tick(),
            ..Outside::default()
        };
        if hw.cpus.len() == 1 {
            o.parked = hw.cpus[0].parked;
            return o;
        }
        let now = hw.cpus[c].now;
        for (d, cpu) in hw.cpus.iter().enumerate() {
            o.parked |= cpu.parked;
            if d == c {
                continue;
            }
            let later = (cpu.now > now).then_some(cpu.now);
            match cpu.current {
                Some(_) => {
                    o.busy_later = min_opt(o.busy_later, later);
                    o.deciding_now |= cpu.now == now && cpu.deciding();
                }
                None => {
                    o.idle_later = min_opt(o.idle_later, later);
                    o.unlooked_now |= cpu.now == now && !cpu.parked;
                }
            }
        }
        o
    }

    /// One turn of the loop, on the CPU whose turn it is: finish the kernel work it owes,
    /// or start afresh (the tick limit, the timers, the process on it or a dispatch), then
    /// run the process on it until it traps, or idle. `Some` when the run has ended.
    fn step(&mut self) -> Option<Outcome> {
        let c = self.next_cpu();
        if self.apply_faults(c) {
            // What the fault changed (a CPU freed, every clock moved) decides the next turn.
            return None;
        }
        let owed = self.cpu(c, |cpu| std::mem::take(&mut cpu.owed));
        match owed {
            Owed::Nothing => {
                let outside = self.outside(c);
                let action = self.enter(c, Entry::Tick(outside));
                self.act(c, action)
            }
            Owed::Dispatch(_) => {
                let outside = self.outside(c);
                let action = self.enter(c, Entry::Switched(outside));
                self.act(c, action)
            }
            Owed::Trap(pid) => {
                let action = self.serve_trap(c, pid);
                self.act(c, action)
            }
            Owed::Burst { pid, ran, .. } => {
                let action = self.end_burst(c, pid, ran);
                self.act(c, action)
            }
            Owed::Decide(_) => {
                let action = self.enter(c, Entry::Decide);
                self.act(c, action)
            }
        }
    }

    /// Do what the kernel answered for CPU `c`, and what each answer leads to, until the
    /// turn is over (an answer that settles it: the CPU keeps its process, is free, idles,
    /// ...). `Some` when the run has ended.
    fn act(&mut self, c: usize, mut action: Action) -> Option<Outcome> {
        loop {
            action = match action {
                Action::Run(pid) => self.run_user(c, pid),
                Action::Compute { pid, ticks } => self.run_burst(c, pid, ticks),
                Action::Dispatch { pid, then } => self.dispatched(c, pid, then),
                Action::Halt(outcome) => return Some(outcome),
                settled => {
                    self.settle(c, settled);
                    return None;
                }
            };
        }
    }

    /// Carry out an answer that ends the turn: the CPU keeps its process, is free, idles,
    /// steps aside; bodies of processes that are gone are dropped.
    fn settle(&mut self, c: usize, action: Action) {
        match action {
            Action::Return(_) | Action::Continue => {}
            Action::Free => self.cpu(c, |cpu| cpu.current = None),
            Action::Exited => {
                let pid = self.cpu(c, |cpu| {
                    let pid = cpu.current;
                    cpu.release();
                    pid
                });
                if let Some(pid) = pid {
                    self.drop_body(pid);
                }
            }
            Action::Defer => self.cpu(c, |cpu| {
                if let Some(pid) = cpu.current {
                    cpu.owed = Owed::Decide(pid);
                }
            }),
            Action::Idle { until } => self.cpu(c, |cpu| {
                cpu.stats.idle += until.saturating_sub(cpu.now);
                cpu.now = until.max(cpu.now);
                cpu.parked = false;
            }),
            Action::Park => self.cpu(c, |cpu| cpu.parked = true),
            Action::Unpark => {
                for cpu in &mut self.board.hw.borrow_mut().cpus {
                    cpu.parked = false;
                }
            }
            Action::Killed(victims) => {
                for pid in victims {
                    self.forget(pid);
                }
            }
            Action::Run(_) | Action::Compute { .. } | Action::Dispatch { .. } | Action::Halt(_) => {
            }
        }
    }

    /// A process was dispatched on CPU `c`: its body is built on its first dispatch, the
    /// switch is charged, and it runs or computes (asking the kernel first, once the switch
    /// is paid, when the kernel could not decide it at the dispatch).
    fn dispatched(&mut self, c: usize, pid: Pid, then: Then) -> Action {
        let slot = pid.index() as usize;
        if !matches!(self.bodies.get(slot), Some(Some((p, _))) if *p == pid) {
            self.load(pid);
        }
        let switch = self.config.costs.context_switch;
        self.cpu(c, |cpu| {
            cpu.stats.context_switches += 1;
            cpu.current = Some(pid);
            cpu.parked = false;
            // The switch is the kernel's work: the quantum starts after it.
            cpu.charge(switch);
        });
        match then {
            Then::Run => Action::Run(pid),
            Then::Compute(ticks) => Action::Compute { pid, ticks },
            Then::Ask if self.go_on(c, Owed::Dispatch(pid)) => {
                let outside = self.outside(c);
                self.enter(c, Entry::Switched(outside))
            }
            Then::Ask => Action::Continue,
        }
    }

    /// Poll the program of the process on CPU `c` until it traps (or ends), then see to the
    /// trap the poll left raised, if the trap was not served inside it; the answer to go on
    /// with, if the turn goes on.
    fn run_user(&mut self, c: usize, pid: Pid) -> Action {
        {
            let mut hw = self.board.hw.borrow_mut();
            // A trap raised at the end of an earlier poll, whose turn is this one, is served
            // now as if the poll had just raised it.
            if let Some(raised) = hw.cpus[c].raised.as_mut() {
                raised.early = false;
                drop(hw);
                return self.trapped(c, pid);
            }
            hw.polling = Some((c, pid));
            hw.returned = false;
            hw.cpus[c].suspended = false;
        }
        let slot = pid.index() as usize;
        let poll = match self.bodies.get_mut(slot).and_then(|b| b.as_mut()) {
            Some((body_pid, body)) if *body_pid == pid => poll_body(body),
            _ => Polled::Fault("no program loaded".into()),
        };
        let ended = match poll {
            Polled::Ready(code) => (code, ExitReason::Returned),
            Polled::Panicked(msg) => (101, ExitReason::Panicked(msg)),
            Polled::Fault(what) => (102, ExitReason::Fault(what)),
            Polled::Pending => {
                let (twice, answer, raised, stalled) = {
                    let mut hw = self.board.hw.borrow_mut();
                    hw.polling = None;
                    let cpu = &mut hw.cpus[c];
                    let twice = std::mem::take(&mut cpu.trapped_twice);
                    let stalled = cpu.stalled.take();
                    (
                        twice,
                        cpu.answer.take(),
                        cpu.raised.map(|r| r.early),
                        stalled,
                    )
                };
                if let Some(steps) = stalled {
                    // It gave up without a trap: nothing it raised in this poll counts.
                    self.cpu(c, |cpu| cpu.raised = None);
                    return self.enter(c, Entry::Stalled { steps });
                }
                match (twice, answer, raised) {
                    (true, _, _) => {
                        self.cpu(c, |cpu| cpu.raised = None);
                        let what = "trapped again while its first syscall was suspended";
                        (102, ExitReason::Fault(what.into()))
                    }
                    (false, Some(answer), _) => return answer,
                    // Its turn comes first: the loop starts it, and serves the trap there.
                    (false, None, Some(true)) => return Action::Continue,
                    (false, None, Some(false)) => return self.trapped(c, pid),
                    (false, None, None) => {
                        let what = "suspended without a syscall (awaited something else)";
                        (102, ExitReason::Fault(what.into()))
                    }
                }
            }
        };
        self.board.hw.borrow_mut().polling = None;
        let (code, reason) = ended;
        self.enter(
            c,
            Entry::Ended {
                code,
                reason: &reason,
            },
        )
    }

    /// The process on CPU `c` raised a trap the loop serves: its cost is charged (unless it
    /// was), then the kernel serves it at the CPU's clock.
    fn trapped(&mut self, c: usize, pid: Pid) -> Action {
        let cost = self.config.costs.syscall;
        let charged = self.cpu(c, |cpu| {
            let raised = cpu.raised.as_mut()?;
            let charged = raised.charged;
            raised.charged = true;
            Some(charged)
        });
        let Some(charged) = charged else {
            return Action::Continue;
        };
        if !charged {
            // The trap takes its cost before the kernel acts, so the time a call takes is
            // charged to the caller even when the call blocks it.
            self.cpu(c, |cpu| cpu.charge(cost));
            if !self.go_on(c, Owed::Trap(pid)) {
                return Action::Continue;
            }
        }
        self.serve_trap(c, pid)
    }

    /// The kernel serves the raised trap of the process on CPU `c`, at the CPU's clock.
    fn serve_trap(&mut self, c: usize, pid: Pid) -> Action {
        if self.apply_faults(c) && self.cpu(c, |cpu| cpu.current) != Some(pid) {
            return Action::Continue;
        }
        let defer = self.idle_beside(c);
        let mut hw = self.board.hw.borrow_mut();
        let cpu = &mut hw.cpus[c];
        let Some(raised) = cpu.raised.take() else {
            return Action::Continue;
        };
        let entry = Entry::Trap {
            frame: &raised.frame,
            out: &cpu.out,
            defer,
            turn: None,
        };
        self.board.kernel.borrow_mut().enter(cpu.id, cpu.now, entry)
    }

    /// Whether another CPU idles at or before CPU `c`'s clock: a scheduling point then waits
    /// for it to look first, if anyone is ready.
    #[inline]
    fn idle_beside(&self, c: usize) -> bool {
        let hw = self.board.hw.borrow();
        let now = hw.cpus[c].now;
        hw.cpus.len() > 1
            && hw
                .cpus
                .iter()
                .enumerate()
                .any(|(d, cpu)| d != c && cpu.current.is_none() && cpu.now <= now)
    }

    /// Run a piece of the compute burst of the process on CPU `c`, of at most `ticks` (the
    /// kernel's bound: the burst, the quantum, the next timer, the tick limit).
    fn run_burst(&mut self, c: usize, pid: Pid, ticks: Ticks) -> Action {
        let from = self.cpu(c, |cpu| {
            cpu.charge(ticks);
            cpu.now - ticks
        });
        let owed = Owed::Burst {
            pid,
            ran: ticks,
            from,
        };
        if !self.go_on(c, owed) {
            return Action::Continue;
        }
        self.end_burst(c, pid, ticks)
    }

    /// The piece of `pid`'s burst that ran `ran` ticks on CPU `c` ends at its clock.
    fn end_burst(&mut self, c: usize, pid: Pid, ran: Ticks) -> Action {
        if self.apply_faults(c) && self.cpu(c, |cpu| cpu.current) != Some(pid) {
            return Action::Continue;
        }
        let defer = self.idle_beside(c);
        self.enter(c, Entry::Burst { ran, defer })
    }

    /// Apply every planned timed fault due by CPU `c`'s clock, on `c` (whose turn it is, so
    /// everything before that clock has happened). Returns whether any was.
    #[inline]
    fn apply_faults(&mut self, c: usize) -> bool {
        // The common case, checked inline: no timed fault is due by this CPU's clock.
        let hw = self.board.hw.borrow();
        if hw.faults.next_tick().is_none_or(|t| t > hw.cpus[c].now) {
            return false;
        }
        drop(hw);
        self.apply_due_faults(c)
    }

    /// [`Machine::apply_faults`] once one is due.
    #[inline(never)]
    fn apply_due_faults(&mut self, c: usize) -> bool {
        let mut applied = false;
        loop {
            let due = {
                let mut hw = self.board.hw.borrow_mut();
                let now = hw.cpus[c].now;
                let due = hw.faults.pop_due(now);
                hw.refresh();
                due
            };
            let Some((tick, fault)) = due else {
                return applied;
            };
            applied = true;
            match fault {
                Timed::Kill(name) => {
                    let action = self.enter(c, Entry::Kill { name: &name, tick });
                    self.act(c, action);
                }
                Timed::Jump(by) => {
                    // The kernel sees the jump at the clock it was due at.
                    let (id, now) = self.cpu(c, |cpu| (cpu.id, cpu.now));
                    for cpu in &mut self.board.hw.borrow_mut().cpus {
                        let now = cpu.now;
                        cpu.now = now.saturating_add(by);
                        match cpu.current {
                            Some(_) => cpu.stats.busy += by,
                            None => cpu.stats.idle += by,
                        }
                        // A burst piece charged across the jump keeps its length: it moves
                        // with it.
                        if let Owed::Burst { from, .. } = &mut cpu.owed {
                            *from = from.saturating_add(by);
                        }
                    }
                    self.board
                        .kernel
                        .borrow_mut()
                        .enter(id, now, Entry::Jump { by });
                }
            }
        }
    }

    /// Forget `pid` (the kernel killed it): its body goes, and a CPU that was running it is
    /// free, whatever kernel work it owed for it.
    fn forget(&mut self, pid: Pid) {
        self.drop_body(pid);
        for cpu in &mut self.board.hw.borrow_mut().cpus {
            if cpu.current == Some(pid) {
                cpu.release();
            }
        }
    }

    fn drop_body(&mut self, pid: Pid) {
        if let Some(slot) = self.bodies.get_mut(pid.index() as usize) {
            if slot.as_ref().is_some_and(|(p, _)| *p == pid) {
                *slot = None;
            }
        }
    }
}

/// The smaller of two optional ticks.
fn min_opt(a: Option<Ticks>, b: Option<Ticks>) -> Option<Ticks> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Cut the first charged burst piece that spans `due` back to end there.
fn cut_burst_at(cpus: &mut [Cpu], due: Ticks) {
    for cpu in cpus {
        if let Owed::Burst { pid, ran, from } = cpu.owed {
            if from < due && due < cpu.now {
                let back = cpu.now - due;
                cpu.now = due;
                cpu.stats.busy = cpu.stats.busy.saturating_sub(back);
                cpu.owed = Owed::Burst {
                    pid,
                    ran: ran - back,
                    from,
                };
                return;
            }
        }
    }
}

/// The trace with each CPU's idling in one piece. An idle CPU catches up with the busy ones
/// in steps, one `Idle` event each (it must look again wherever another CPU might make work
/// for it); steps that follow each other on one CPU, with nothing else on that CPU between
/// them, are one stretch of idling and become one event, from the first step's tick until
/// the last one's end. Nothing else changes.
fn join_idle(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    // The position in `out` of each CPU's latest event.
    let mut latest: BTreeMap<CpuId, usize> = BTreeMap::new();
    for e in events {
        if let EventKind::Idle { until } = e.kind {
            if let Some(&i) = latest.get(&e.cpu) {
                if let EventKind::Idle { until: prev } = &mut out[i].kind {
                    if *prev == e.tick {
                        *prev = until;
                        continue;
                    }
                }
            }
        }
        latest.insert(e.cpu, out.len());
        out.push(e);
    }
    out
}

/// What one poll of a program gave.
enum Polled {
    Ready(i32),
    Pending,
    Panicked(String),
    Fault(String),
}

thread_local! {
    /// Set while a program is polled, so the panic hook stays quiet for process panics
    /// (the report carries them) and speaks for everything else.
    static IN_PROCESS: Cell<bool> = const { Cell::new(false) };
    /// Set while a trap is in the kernel, inside a program's poll: a panic then is the
    /// kernel's (a violated invariant), and goes on past the program.
    static IN_KERNEL: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_PROCESS.with(|f| f.get()) && !IN_KERNEL.with(|f| f.get()) {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let msg = panic_message(info.payload());
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{location}")));
            } else {
                default(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

fn poll_body(body: &mut ProcessFuture) -> Polled {
    let mut cx = Context::from_waker(Waker::noop());
    IN_PROCESS.with(|f| f.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(&mut cx)));
    IN_PROCESS.with(|f| f.set(false));
    match result {
        Ok(Poll::Ready(code)) => Polled::Ready(code),
        Ok(Poll::Pending) => Polled::Pending,
        Err(payload) => {
            if IN_KERNEL.with(|f| f.replace(false)) {
                // Not the program's: the kernel panicked serving its trap.
                panic::resume_unwind(payload);
            }
            let msg = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| panic_message(payload.as_ref()));
            Polled::Panicked(msg)
        }
    }
}
