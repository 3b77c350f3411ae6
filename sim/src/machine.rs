//! The machine: one or more CPUs, each with its own virtual clock, a programmable timer, and
//! the loop that drives the kernel.
//!
//! The loop is the hardware. It raises the timer interrupt ([`Kernel::advance`]), asks the
//! kernel whom to run on a free CPU, polls that process's program until it traps, exits or
//! its quantum ends, charges the ticks to that CPU's clock, and repeats. When a CPU has
//! nothing to run it jumps its clock to the next moment something could change; when no CPU
//! can run anything and no timer is armed, it stops: either every process has exited or the
//! rest are deadlocked.
//!
//! Several CPUs are stepped in one host thread, deterministically: each turn steps the CPU
//! whose clock is earliest (ties: a busy CPU before an idle one, then the lowest id), and
//! the ticks a turn charges are paid before the kernel entry that ends them, which waits
//! while another CPU's clock is behind. So the kernel sees time that never runs backwards,
//! and program code runs in the order of its simulated time. `docs/architecture.md`
//! (section 4) states the rule in full.
//!
//! The machine owns the process *bodies* (the futures the programs are) and the CPUs; the
//! kernel owns everything else about a process, and decides everything: the machine only
//! calls its entry points and asks it questions. The kernel sits behind a spin lock, the big
//! kernel lock that every entry from every CPU takes and releases before any program code
//! runs. With per-CPU run queues the machine also reads the queue lengths
//! ([`QueueLengths`]), as hardware-facing code reads per-CPU counters, never changing them.
//!
//! A run can be paused between two turns of the loop ([`Machine::run_until`]) to look at the
//! process and mailbox tables ([`Machine::process_table`], [`Machine::mailbox_table`]) and
//! then resumed: pausing never changes what the run does, so `run_until(t)` followed by
//! [`Machine::run`] gives the same trace as `run` alone.
//!
//! The machine also injects the faults of its [`FaultPlan`] that belong to the hardware:
//! kills (at a tick, or instead of serving a process's n-th trap) and clock jumps. A planned
//! tick is a moment something can change, like a timer deadline: an idle CPU wakes for it
//! and a compute burst is cut at it, and the fault is applied at the first kernel entry at or
//! after it. Lost and delayed messages are the kernel's (see [`crate::faults`]).

use crate::faults::{FaultPlan, Schedule, Timed};
use crate::report::{CpuStats, MachineStats, Outcome, Report};
use abi::{Error, Pid, Ticks, TrapState};
use kernel::inspect::{MailboxInfo, ProcessInfo};
use kernel::sched::percpu::{cpu_seed, PerCpu, QueueLengths};
use kernel::sched::{Policy, Scheduler};
use kernel::trace::{CpuId, Event, EventKind, ExitReason, FaultKind, KillCause, TraceSink};
use kernel::{Kernel, KernelConfig, TrapOutcome};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
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
    /// How many CPUs the machine has; 0 is taken as 1 ([`MachineConfig::cpu_count`]).
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
    /// How many CPUs the machine has: [`MachineConfig::cpus`], at least 1.
    pub fn cpu_count(&self) -> u32 {
        self.cpus.max(1)
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
    /// The context switch to this process was charged: bring the kernel's clock up, then run
    /// it.
    Dispatch(Pid),
    /// The process trapped and the syscall was charged: serve the trap.
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
    /// The process reached a scheduling point ([`Machine::end_of_slice`]) while someone was
    /// ready and another CPU idled at the same tick: the idle CPUs take their pick first,
    /// then this one decides whether the process gives way, so it is not preempted for work
    /// an idle CPU takes anyway.
    Decide(Pid),
}

/// One simulated CPU.
#[derive(Debug, Default)]
struct Cpu {
    id: CpuId,
    /// Its clock: when its next turn happens.
    now: Ticks,
    /// The process on it.
    current: Option<Pid>,
    /// Ticks left of the current quantum.
    slice_left: Ticks,
    /// Kernel work charged and not done yet.
    owed: Owed,
    /// It found nothing to run at `now` and stepped aside for another idle CPU at the same
    /// tick that had not looked yet (only with per-CPU queues, where that CPU may hold
    /// work): it goes after the idle CPUs that have not looked.
    parked: bool,
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

    /// Advance its clock by `ticks` of CPU time on its current quantum.
    fn charge(&mut self, ticks: Ticks) {
        self.now = self.now.saturating_add(ticks);
        self.slice_left = self.slice_left.saturating_sub(ticks);
        self.stats.busy += ticks;
    }

    /// Whether it waits to decide a scheduling point.
    fn deciding(&self) -> bool {
        matches!(self.owed, Owed::Decide(_))
    }
}

/// A simulated machine with a kernel and the programs it can run.
pub struct Machine {
    config: MachineConfig,
    kernel: spin::Mutex<Kernel>,
    programs: ProgramTable,
    /// Process bodies by pid slot.
    bodies: Vec<Option<(Pid, ProcessFuture)>>,
    /// The CPUs, by id.
    cpus: Vec<Cpu>,
    /// The per-CPU run queues' lengths, when the run queues are per CPU.
    queues: Option<QueueLengths>,
    /// The CPU each process last ran on, by pid slot: a dispatch elsewhere is a migration.
    last_cpu: Vec<Option<(Pid, CpuId)>>,
    /// How the run ended, once it has: the loop must not turn again after that (a second
    /// deadlock or tick-limit event would be recorded).
    outcome: Option<Outcome>,
    /// The planned kills and clock jumps still to come.
    faults: Schedule,
}

impl Machine {
    /// A machine that can run `programs`.
    pub fn new(config: MachineConfig, programs: ProgramTable) -> Machine {
        let names = programs.names().map(String::from).collect();
        let cpus = config.cpu_count();
        let (scheduler, queues): (Box<dyn Scheduler>, _) = match config.run_queues {
            RunQueues::Global => (config.policy.build(config.seed), None),
            RunQueues::PerCpu { migration } => {
                let (policy, seed) = (config.policy, config.seed);
                let per = PerCpu::new(cpus, migration, |cpu| policy.build(cpu_seed(seed, cpu)));
                let lengths = per.lengths();
                (Box::new(per), Some(lengths))
            }
        };
        let mut kernel_config = config.kernel.clone();
        config
            .faults
            .configure(&mut kernel_config, config.fault_seed);
        let faults = Schedule::new(&config.faults);
        let kernel = Kernel::with_scheduler(kernel_config, scheduler, names);
        Machine {
            config,
            kernel: spin::Mutex::new(kernel),
            programs,
            bodies: Vec::new(),
            cpus: (0..cpus)
                .map(|id| Cpu {
                    id,
                    ..Cpu::default()
                })
                .collect(),
            queues,
            last_cpu: Vec::new(),
            outcome: None,
            faults,
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
        if self.cpus.len() > 1 {
            return Err(sink);
        }
        self.kernel.lock().set_trace_sink(sink);
        Ok(())
    }

    /// Start the first process.
    pub fn boot(&mut self, program: &str, arg: u64) -> Result<Pid, Error> {
        let pid = self.kernel.lock().boot(program, "", arg)?;
        self.load(pid);
        Ok(pid)
    }

    /// Build the body of a process the kernel just created.
    fn load(&mut self, pid: Pid) {
        let (ctx, program, arg) = {
            let k = self.kernel.lock();
            let Some(p) = k.process(pid) else { return };
            (p.ctx.clone(), p.program, p.arg)
        };
        // The kernel's program ids are positions in the table it was built from (`new`).
        let Some(program) = self.programs.at(program as usize) else {
            return;
        };
        let body = (program.entry)(Sys::new(ctx), arg);
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
        let ticks = self.end_tick();
        let machine = self.stats(ticks);
        let mut kernel = self.kernel.into_inner();
        let mut events = kernel.take_events();
        if self.cpus.len() > 1 {
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
            queued: kernel.queued_messages(),
            ledgers: kernel.take_endpoint_ledgers(),
            machine,
            policy: kernel.policy_name(),
            seed: self.config.seed,
        }
    }

    /// When the run ended: the latest CPU clock, where the last CPU to finish stopped.
    fn end_tick(&self) -> Ticks {
        self.cpus.iter().map(|c| c.now).max().unwrap_or(0)
    }

    /// The machine's accounting for a run that ended at `ticks`: a CPU whose clock stopped
    /// earlier spent the rest running the process it holds (a run cut off by the tick
    /// limit), or else idling, so each CPU's busy and idle ticks add up to `ticks`.
    fn stats(&self, ticks: Ticks) -> MachineStats {
        let per_cpu: Vec<CpuStats> = self
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
        while self.now() < tick {
            if let Some(outcome) = self.step() {
                self.outcome = Some(outcome.clone());
                return Some(outcome);
            }
        }
        // Every turn starts with exactly this call on the CPU stepped next, and a second one
        // at the same tick finds nothing due, so bringing the kernel's clock up to date here
        // changes nothing after.
        let c = self.next_cpu();
        self.advance(c);
        None
    }

    /// The machine's clock: the earliest of the CPUs' clocks (with one CPU, its clock).
    pub fn now(&self) -> Ticks {
        self.cpus.iter().map(|c| c.now).min().unwrap_or(0)
    }

    /// How many CPUs the machine has.
    pub fn cpu_count(&self) -> usize {
        self.cpus.len()
    }

    /// How the run ended, if it has (only [`Machine::run_until`] can end it without consuming
    /// the machine).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Every process (live and zombie), in slot order, as it is now.
    pub fn process_table(&self) -> Vec<ProcessInfo> {
        self.kernel.lock().process_table()
    }

    /// Every live mailbox, in slot order, as it is now.
    pub fn mailbox_table(&self) -> Vec<MailboxInfo> {
        self.kernel.lock().mailbox_table()
    }

    fn run_loop(&mut self) -> Outcome {
        loop {
            if let Some(outcome) = self.step() {
                return outcome;
            }
        }
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
        if self.cpus.len() == 1 {
            return 0;
        }
        self.next_of_several()
    }

    /// [`Machine::next_cpu`] with more than one CPU.
    #[inline(never)]
    fn next_of_several(&mut self) -> usize {
        let earliest = self.now();
        let due = self.next_event();
        if let Some(due) = due.filter(|&due| due < earliest) {
            self.cut_burst_at(due);
        }
        (0..self.cpus.len())
            .min_by_key(|&c| self.cpus[c].turn_key())
            .unwrap_or(0)
    }

    /// Cut the first charged burst piece that spans `due` back to end there.
    fn cut_burst_at(&mut self, due: Ticks) {
        for cpu in &mut self.cpus {
            if let Owed::Burst { pid, ran, from } = cpu.owed {
                if from < due && due < cpu.now {
                    let back = cpu.now - due;
                    cpu.now = due;
                    cpu.slice_left = cpu.slice_left.saturating_add(back);
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

    /// After a charge on CPU `c`: whether `c` is still the CPU to step, so the kernel entry
    /// that ends the charge can happen now. If not, that entry is recorded as `owed` and the
    /// turn ends; `c`'s next turn starts with it.
    fn go_on(&mut self, c: usize, owed: Owed) -> bool {
        if self.next_cpu() == c {
            return true;
        }
        self.cpus[c].owed = owed;
        false
    }

    /// The timer interrupt on CPU `c` at its clock: the kernel's clock comes up to it and
    /// every timeout and sleep due by then fires.
    fn advance(&mut self, c: usize) {
        let (now, id) = (self.cpus[c].now, self.cpus[c].id);
        self.kernel.lock().advance(now, id);
    }

    /// One turn of the loop, on the CPU whose turn it is: finish the kernel work it owes,
    /// or serve the tick limit and the timers, then run the process on it (dispatching one
    /// if it is free) until it traps, or idle. `Some` when the run has ended.
    fn step(&mut self) -> Option<Outcome> {
        let c = self.next_cpu();
        if self.apply_faults(c) {
            // What the fault changed (a CPU freed, every clock moved) decides the next turn.
            return None;
        }
        match std::mem::take(&mut self.cpus[c].owed) {
            Owed::Nothing => self.begin(c),
            Owed::Dispatch(pid) => {
                self.advance(c);
                self.run_on(c, pid);
                None
            }
            Owed::Trap(pid) => {
                self.serve_trap(c, pid);
                None
            }
            Owed::Burst { pid, ran, .. } => {
                self.end_burst(c, pid, ran);
                None
            }
            Owed::Decide(pid) => {
                self.advance(c);
                self.decide(c, pid);
                None
            }
        }
    }

    /// A fresh turn on CPU `c`.
    fn begin(&mut self, c: usize) -> Option<Outcome> {
        let max = self.config.max_ticks;
        let (now, id) = (self.cpus[c].now, self.cpus[c].id);
        if now >= max {
            let mut k = self.kernel.lock();
            k.advance(now, id);
            k.record(id, EventKind::TickLimit { limit: max });
            return Some(Outcome::TickLimit);
        }
        // The timer interrupt, a dispatch if the CPU is free, and what the process has left
        // of a compute burst: with one CPU, one kernel entry and one take of the lock.
        let mut k = self.kernel.lock();
        k.advance(now, id);
        let (pid, burst) = match self.cpus[c].current {
            Some(pid) => (pid, k.burst_left(pid)),
            None => {
                let switch = self.config.costs.context_switch;
                let Some(pid) = dispatch(&mut k, &mut self.cpus[c], &mut self.last_cpu, switch)
                else {
                    drop(k);
                    return self.nothing_to_run(c);
                };
                if self.cpus.len() > 1 {
                    // Another CPU may be due to step before the switch ends (`go_on` asks
                    // the kernel, so the lock is let go first).
                    drop(k);
                    if !self.go_on(c, Owed::Dispatch(pid)) {
                        return None;
                    }
                    k = self.kernel.lock();
                }
                let (now, id) = (self.cpus[c].now, self.cpus[c].id);
                k.advance(now, id);
                (pid, k.burst_left(pid))
            }
        };
        drop(k);
        self.run_with(c, pid, burst);
        None
    }

    /// Run the process on CPU `c`: a piece of its compute burst, or its program until it
    /// traps.
    fn run_on(&mut self, c: usize, pid: Pid) {
        let burst = self.kernel.lock().burst_left(pid);
        self.run_with(c, pid, burst);
    }

    /// [`Machine::run_on`] once the kernel has said how much of a burst `pid` has left.
    fn run_with(&mut self, c: usize, pid: Pid, burst: Ticks) {
        if burst > 0 {
            self.run_burst(c, pid, burst);
        } else {
            self.run_user(c, pid);
        }
    }

    /// Nothing is ready for CPU `c`: idle until something could change, or stop.
    ///
    /// Something could change at the next timer deadline, or when another CPU next enters
    /// the kernel: a busy CPU at its clock; and, while work waits in a queue this CPU may not
    /// take from (per-CPU queues without migration), an idle CPU at its clock too, since it
    /// may start that work. This CPU idles until the earliest of those (strictly after its
    /// own clock); if such an idle CPU is at this very tick and has not looked yet, this one
    /// steps aside for it instead. When no CPU runs anything and no timer is armed, the run
    /// is over.
    fn nothing_to_run(&mut self, c: usize) -> Option<Outcome> {
        let (now, id) = (self.cpus[c].now, self.cpus[c].id);
        let deadline = self.next_event();
        let mut k = self.kernel.lock();
        let waiting = k.has_ready();
        let others = || {
            self.cpus
                .iter()
                .filter(|d| d.id != id && (d.current.is_some() || waiting))
        };
        // Another CPU still acts at this tick: an idle one that has not looked, or a busy one
        // deciding whether its process gives way (which may make it ready for this one).
        let look_first =
            others().any(|d| d.now == now && (d.deciding() || (d.current.is_none() && !d.parked)));
        let later = others().map(|d| d.now).filter(|&t| t > now).min();
        if look_first {
            drop(k);
            self.cpus[c].parked = true;
            return None;
        }
        if let Some(until) = [deadline, later].into_iter().flatten().min() {
            let until = until.min(self.config.max_ticks);
            k.record(id, EventKind::Idle { until });
            drop(k);
            let cpu = &mut self.cpus[c];
            cpu.stats.idle += until.saturating_sub(cpu.now);
            cpu.now = until.max(cpu.now);
            cpu.parked = false;
            return None;
        }
        if waiting {
            // Work is queued for a CPU that stepped aside at this tick (with per-CPU queues a
            // process readied after it looked lands on its queue): wake the CPUs that stepped
            // aside so the one holding the work takes it, rather than ending the run beside
            // ready processes.
            drop(k);
            let mut woke = false;
            for cpu in self.cpus.iter_mut().filter(|cpu| cpu.parked) {
                cpu.parked = false;
                woke = true;
            }
            if woke {
                return None;
            }
            k = self.kernel.lock();
        }
        if let Some(deadlock) = k.deadlock() {
            k.record(
                id,
                EventKind::Deadlock {
                    cycle: deadlock.cycle.clone(),
                    blocked: deadlock.blocked.clone(),
                },
            );
            return Some(Outcome::Deadlock(deadlock));
        }
        Some(Outcome::Completed)
    }

    /// Advance CPU `c`'s clock by `ticks` of CPU time on its current quantum.
    fn charge(&mut self, c: usize, ticks: Ticks) {
        self.cpus[c].charge(ticks);
    }

    /// Run part of a compute burst: until it ends, the quantum ends, or a timer is due.
    fn run_burst(&mut self, c: usize, pid: Pid, burst: Ticks) {
        let now = self.cpus[c].now;
        let mut run = burst.min(self.cpus[c].slice_left);
        if let Some(due) = self.next_event() {
            if due > now {
                run = run.min(due - now);
            }
        }
        run = run.min(self.config.max_ticks.saturating_sub(now)).max(1);
        self.charge(c, run);
        let owed = Owed::Burst {
            pid,
            ran: run,
            from: now,
        };
        if self.go_on(c, owed) {
            self.end_burst(c, pid, run);
        }
    }

    /// The piece of `pid`'s burst that ran `ran` ticks on CPU `c` ends at its clock.
    fn end_burst(&mut self, c: usize, pid: Pid, ran: Ticks) {
        if self.apply_faults(c) && self.cpus[c].current != Some(pid) {
            return;
        }
        let (now, id) = (self.cpus[c].now, self.cpus[c].id);
        let mut k = self.kernel.lock();
        k.advance(now, id);
        k.run_burst(id, pid, ran);
        drop(k);
        self.end_of_slice(c, pid);
    }

    /// A scheduling point after the process on CPU `c` ran. If someone is ready and another
    /// CPU idles at this very tick, that CPU looks for work first ([`Owed::Decide`]): a
    /// process is not preempted for work an idle CPU takes anyway.
    fn end_of_slice(&mut self, c: usize, pid: Pid) {
        if self.idle_beside(c) && self.kernel.lock().has_ready() {
            self.cpus[c].owed = Owed::Decide(pid);
            return;
        }
        self.decide(c, pid);
    }

    /// Whether another CPU idles at or before CPU `c`'s clock.
    #[inline]
    fn idle_beside(&self, c: usize) -> bool {
        let now = self.cpus[c].now;
        self.cpus.len() > 1
            && self
                .cpus
                .iter()
                .enumerate()
                .any(|(d, cpu)| d != c && cpu.current.is_none() && cpu.now <= now)
    }

    /// Decide a scheduling point: preempt the process on CPU `c` if its quantum is used up
    /// and anyone else is ready for this CPU (else start a new quantum), or if the policy
    /// says so.
    fn decide(&mut self, c: usize, pid: Pid) {
        let mut k = self.kernel.lock();
        decide_locked(&mut k, &mut self.cpus[c], self.queues.as_ref(), pid);
    }

    /// Poll the program of the process on CPU `c` until it traps (or ends), then serve the
    /// trap.
    fn run_user(&mut self, c: usize, pid: Pid) {
        let slot = pid.index() as usize;
        let poll = match self.bodies.get_mut(slot).and_then(|b| b.as_mut()) {
            Some((body_pid, body)) if *body_pid == pid => poll_body(body),
            _ => Polled::Fault("no program loaded".into()),
        };
        match poll {
            Polled::Ready(code) => self.end_process(c, pid, code, ExitReason::Returned),
            Polled::Panicked(msg) => self.end_process(c, pid, 101, ExitReason::Panicked(msg)),
            Polled::Fault(what) => self.end_process(c, pid, 102, ExitReason::Fault(what)),
            Polled::Pending => {
                // The trap takes its cost before the kernel acts, so the time a call takes
                // is charged to the caller even when the call blocks it.
                self.charge(c, self.config.costs.syscall);
                if self.go_on(c, Owed::Trap(pid)) {
                    self.serve_trap(c, pid);
                }
            }
        }
    }

    /// The kernel serves the trap of the process on CPU `c`, at the CPU's clock.
    fn serve_trap(&mut self, c: usize, pid: Pid) {
        if self.apply_faults(c) && self.cpus[c].current != Some(pid) {
            return;
        }
        let (now, id) = (self.cpus[c].now, self.cpus[c].id);
        let outcome = {
            let mut k = self.kernel.lock();
            k.advance(now, id);
            if let Some(nth) = self.syscall_kill(&k, pid) {
                drop(k);
                self.kill(c, pid, KillCause::Syscall(nth));
                return;
            }
            let outcome = k.trap(id, pid);
            // The return from the trap is a scheduling point. Unless an idle CPU must look
            // first (`end_of_slice`), it is decided in this same kernel entry.
            if matches!(outcome, TrapOutcome::Continue | TrapOutcome::Compute)
                && !self.idle_beside(c)
            {
                decide_locked(&mut k, &mut self.cpus[c], self.queues.as_ref(), pid);
                return;
            }
            outcome
        };
        match outcome {
            TrapOutcome::Continue | TrapOutcome::Compute => self.end_of_slice(c, pid),
            TrapOutcome::Spawned(child) => {
                self.load(child);
                self.end_of_slice(c, pid);
            }
            TrapOutcome::Descheduled | TrapOutcome::NotRunning => self.cpus[c].current = None,
            TrapOutcome::Exited => {
                self.drop_body(pid);
                self.cpus[c].current = None;
            }
            TrapOutcome::NoTrap => {
                let what = "suspended without a syscall (awaited something else)".into();
                self.end_process(c, pid, 102, ExitReason::Fault(what));
            }
        }
    }

    /// When something next could change: the kernel's next timer deadline or message
    /// arrival, or the plan's next timed fault while any process is alive to notice it.
    fn next_event(&self) -> Option<Ticks> {
        let mut k = self.kernel.lock();
        let fault = self.faults.next_tick().filter(|_| k.live_processes() > 0);
        k.next_deadline().into_iter().chain(fault).min()
    }

    /// Apply every planned timed fault due by CPU `c`'s clock, on `c` (whose turn it is, so
    /// everything before that clock has happened). Returns whether any was.
    #[inline]
    fn apply_faults(&mut self, c: usize) -> bool {
        // The common case, checked inline: no timed fault is due by this CPU's clock.
        if self.faults.next_tick().is_none_or(|t| t > self.cpus[c].now) {
            return false;
        }
        self.apply_due_faults(c)
    }

    /// [`Machine::apply_faults`] once one is due.
    #[inline(never)]
    fn apply_due_faults(&mut self, c: usize) -> bool {
        let mut applied = false;
        while let Some((tick, fault)) = self.faults.pop_due(self.cpus[c].now) {
            applied = true;
            let (now, id) = (self.cpus[c].now, self.cpus[c].id);
            match fault {
                Timed::Kill(name) => {
                    let victims: Vec<Pid> = {
                        let mut k = self.kernel.lock();
                        k.advance(now, id);
                        let victims: Vec<Pid> = k
                            .processes()
                            .filter(|p| p.is_live() && *p.name == *name)
                            .map(|p| p.pid)
                            .collect();
                        if victims.is_empty() {
                            let kind = FaultKind::KillMissed { name, tick };
                            k.record(id, EventKind::Fault { kind });
                        }
                        victims
                    };
                    for pid in victims {
                        self.kill(c, pid, KillCause::Tick(tick));
                    }
                }
                Timed::Jump(by) => self.jump(c, by),
            }
        }
        applied
    }

    /// Kill `pid` (the kernel does the killing, on CPU `c`) and forget its body; a CPU that
    /// was running it is free, whatever kernel work it owed for it.
    fn kill(&mut self, c: usize, pid: Pid, cause: KillCause) {
        let id = self.cpus[c].id;
        self.kernel.lock().kill(id, pid, cause);
        self.drop_body(pid);
        for cpu in &mut self.cpus {
            if cpu.current == Some(pid) {
                cpu.current = None;
                cpu.owed = Owed::Nothing;
                cpu.parked = false;
            }
        }
    }

    /// Jump the clock `by` ticks forward at CPU `c`'s clock: every CPU's clock moves (a CPU
    /// holding a process counts the gap as busy, as it does at the end of a run, and an idle
    /// one as idle; a quantum is not used up by it), then the kernel's, firing whatever is
    /// due in the gap.
    fn jump(&mut self, c: usize, by: Ticks) {
        let (now, id) = (self.cpus[c].now, self.cpus[c].id);
        let to = now.saturating_add(by);
        for cpu in &mut self.cpus {
            cpu.now = cpu.now.saturating_add(by);
            match cpu.current {
                Some(_) => cpu.stats.busy += by,
                None => cpu.stats.idle += by,
            }
            // A burst piece charged across the jump keeps its length: it moves with it.
            if let Owed::Burst { from, .. } = &mut cpu.owed {
                *from = from.saturating_add(by);
            }
        }
        let mut k = self.kernel.lock();
        k.advance(now, id);
        let kind = FaultKind::ClockJump { from: now, to };
        k.record(id, EventKind::Fault { kind });
        k.advance(to, id);
    }

    /// The trap `pid` is about to have served, if the plan kills it there: its number among
    /// the process's traps.
    fn syscall_kill(&self, k: &Kernel, pid: Pid) -> Option<u64> {
        if !self.faults.kills_at_syscalls() {
            return None;
        }
        let p = k.process(pid)?;
        if p.ctx.borrow().state != TrapState::Trapped {
            return None;
        }
        let nth = p.stats.syscalls + 1;
        self.faults.kills_at_syscall(&p.name, nth).then_some(nth)
    }

    fn end_process(&mut self, c: usize, pid: Pid, code: i32, reason: ExitReason) {
        let id = self.cpus[c].id;
        self.kernel.lock().process_ended(id, pid, code, reason);
        self.drop_body(pid);
        self.cpus[c].current = None;
    }

    fn drop_body(&mut self, pid: Pid) {
        if let Some(slot) = self.bodies.get_mut(pid.index() as usize) {
            if slot.as_ref().is_some_and(|(p, _)| *p == pid) {
                *slot = None;
            }
        }
    }
}

/// Give `cpu` the next ready process, holding the kernel lock, and charge the context switch
/// (`switch` ticks). `last_cpu` is where each process (by pid slot) last ran: a dispatch
/// elsewhere is recorded as a migration.
fn dispatch(
    k: &mut Kernel,
    cpu: &mut Cpu,
    last_cpu: &mut Vec<Option<(Pid, CpuId)>>,
    switch: Ticks,
) -> Option<Pid> {
    let id = cpu.id;
    let pid = k.schedule(id)?;
    let slot = pid.index() as usize;
    if last_cpu.len() <= slot {
        last_cpu.resize(slot + 1, None);
    }
    if let Some((last, from)) = last_cpu[slot] {
        if last == pid && from != id {
            k.record(id, EventKind::Migrate { pid, from, to: id });
        }
    }
    last_cpu[slot] = Some((pid, id));
    let quantum = k.quantum(pid);
    cpu.stats.context_switches += 1;
    cpu.current = Some(pid);
    cpu.parked = false;
    // The switch is the kernel's work: it does not eat into the new quantum.
    cpu.charge(switch);
    cpu.slice_left = quantum.unwrap_or(Ticks::MAX);
    Some(pid)
}

/// Decide a scheduling point on `cpu`, holding the kernel lock: preempt `pid` if its quantum
/// is used up and anyone else is ready for this CPU (else start a new quantum), or if the
/// policy says so ([`Machine::decide`]).
fn decide_locked(k: &mut Kernel, cpu: &mut Cpu, queues: Option<&QueueLengths>, pid: Pid) {
    let (now, id) = (cpu.now, cpu.id);
    if cpu.slice_left > 0 {
        if k.should_preempt(id, pid) {
            k.preempt(id, pid);
            cpu.current = None;
        }
        return;
    }
    // With per-CPU queues only this CPU's own queue can take over: anyone else waiting
    // belongs to another CPU, and the preempted process would be picked again at once.
    let others = match queues {
        Some(queues) => !queues.is_empty(id),
        None => k.has_ready(),
    };
    if others {
        k.advance(now, id);
        k.preempt(id, pid);
        cpu.current = None;
    } else {
        cpu.slice_left = k.quantum(pid).unwrap_or(Ticks::MAX);
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
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_PROCESS.with(|f| f.get()) {
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
    install_panic_hook();
    let mut cx = Context::from_waker(Waker::noop());
    IN_PROCESS.with(|f| f.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(&mut cx)));
    IN_PROCESS.with(|f| f.set(false));
    match result {
        Ok(Poll::Ready(code)) => Polled::Ready(code),
        Ok(Poll::Pending) => Polled::Pending,
        Err(payload) => {
            let msg = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| panic_message(payload.as_ref()));
            Polled::Panicked(msg)
        }
    }
}
