//! The machine: a virtual clock, a CPU, a programmable timer, and the loop that drives the
//! kernel.
//!
//! The loop is the hardware. It advances the clock, raises the timer interrupt
//! ([`Kernel::advance`]), asks the kernel whom to run, polls that process's program until it
//! traps, exits or its quantum ends, charges the ticks, and repeats. When nothing can run it
//! jumps the clock to the next timer; when nothing can run and no timer is armed, it stops:
//! either every process has exited or the rest are deadlocked.
//!
//! The machine owns the process *bodies* (the futures the programs are); the kernel owns
//! everything else about a process. The kernel sits behind a spin lock, the big kernel lock
//! that every entry takes, as it would with several CPUs.
//!
//! A run can be paused between two turns of the loop ([`Machine::run_until`]) to look at the
//! process and mailbox tables ([`Machine::process_table`], [`Machine::mailbox_table`]) and
//! then resumed: pausing never changes what the run does, so `run_until(t)` followed by
//! [`Machine::run`] gives the same trace as `run` alone.

use crate::report::{MachineStats, Outcome, Report};
use abi::{Error, Pid, Ticks};
use kernel::inspect::{MailboxInfo, ProcessInfo};
use kernel::sched::Policy;
use kernel::trace::{CpuId, EventKind, ExitReason};
use kernel::{Kernel, KernelConfig, TrapOutcome};
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
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
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            policy: Policy::default(),
            costs: Costs::default(),
            max_ticks: 1_000_000,
            seed: 0,
            kernel: KernelConfig::default(),
        }
    }
}

/// One simulated CPU.
#[derive(Debug, Default)]
struct Cpu {
    id: CpuId,
    /// The process on it.
    current: Option<Pid>,
    /// Ticks left of the current quantum.
    slice_left: Ticks,
}

/// A simulated machine with a kernel and the programs it can run.
pub struct Machine {
    config: MachineConfig,
    kernel: spin::Mutex<Kernel>,
    programs: ProgramTable,
    /// Process bodies by pid slot.
    bodies: Vec<Option<(Pid, ProcessFuture)>>,
    now: Ticks,
    cpu: Cpu,
    stats: MachineStats,
    /// How the run ended, once it has: the loop must not turn again after that (a second
    /// deadlock or tick-limit event would be recorded).
    outcome: Option<Outcome>,
}

impl Machine {
    /// A machine that can run `programs`.
    pub fn new(config: MachineConfig, programs: ProgramTable) -> Machine {
        let names = programs.names().map(String::from).collect();
        let scheduler = config.policy.build(config.seed);
        let kernel = Kernel::with_scheduler(config.kernel.clone(), scheduler, names);
        Machine {
            config,
            kernel: spin::Mutex::new(kernel),
            programs,
            bodies: Vec::new(),
            now: 0,
            cpu: Cpu::default(),
            stats: MachineStats::default(),
            outcome: None,
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
            (
                p.ctx.clone(),
                k.programs()[p.program as usize].clone(),
                p.arg,
            )
        };
        let Some(program) = self.programs.get(&program) else {
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
        let mut kernel = self.kernel.into_inner();
        let events = kernel.take_events();
        self.stats.ticks = self.now;
        Report {
            outcome,
            ticks: self.now,
            events,
            processes: kernel.process_table(),
            mailboxes: kernel.mailbox_table(),
            exited: kernel.exited().to_vec(),
            console: kernel.console().to_vec(),
            ledger: kernel.ledger(),
            queued: kernel.queued_messages(),
            machine: self.stats,
            policy: kernel.policy_name(),
            seed: self.config.seed,
        }
    }

    /// Run until the clock reaches `tick` or the run ends, whichever comes first. Returns
    /// the outcome if the run has ended (now or at an earlier call), `None` if it paused.
    ///
    /// The pause falls between two turns of the loop, at the first where the clock is at or
    /// past `tick`: one turn may move the clock several ticks (a dispatch and a syscall, a
    /// compute burst, an idle jump), so [`Machine::now`] can be past `tick`. Timers due by
    /// then have fired, as the next turn would fire them first anyway, so the tables show
    /// the moment as the kernel sees it.
    pub fn run_until(&mut self, tick: Ticks) -> Option<Outcome> {
        if let Some(outcome) = &self.outcome {
            return Some(outcome.clone());
        }
        while self.now < tick {
            if let Some(outcome) = self.step() {
                self.outcome = Some(outcome.clone());
                return Some(outcome);
            }
        }
        // Every turn starts with exactly this call, and a second one at the same tick finds
        // nothing due, so bringing the kernel's clock up to date here changes nothing after.
        self.kernel.lock().advance(self.now, self.cpu.id);
        None
    }

    /// The clock.
    pub fn now(&self) -> Ticks {
        self.now
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

    /// One turn of the loop: serve the tick limit, the timers, then run the process on the
    /// CPU (dispatching one if the CPU is free) until it traps, or idle. `Some` when the run
    /// has ended.
    fn step(&mut self) -> Option<Outcome> {
        let max = self.config.max_ticks;
        if self.now >= max {
            let mut k = self.kernel.lock();
            k.advance(self.now, self.cpu.id);
            k.record(self.cpu.id, EventKind::TickLimit { limit: max });
            return Some(Outcome::TickLimit);
        }
        self.kernel.lock().advance(self.now, self.cpu.id);
        let pid = match self.cpu.current {
            Some(pid) => pid,
            None => match self.dispatch() {
                Some(pid) => pid,
                None => return self.nothing_to_run(),
            },
        };
        let burst = self.kernel.lock().burst_left(pid);
        if burst > 0 {
            self.run_burst(pid, burst);
        } else {
            self.run_user(pid);
        }
        None
    }

    /// Give the CPU to the next ready process, charging the context switch.
    fn dispatch(&mut self) -> Option<Pid> {
        let (pid, quantum) = {
            let mut k = self.kernel.lock();
            let pid = k.schedule(self.cpu.id)?;
            (pid, k.quantum(pid))
        };
        self.stats.context_switches += 1;
        self.cpu.current = Some(pid);
        // The switch is the kernel's work: it does not eat into the new quantum.
        self.charge(self.config.costs.context_switch);
        self.cpu.slice_left = quantum.unwrap_or(Ticks::MAX);
        self.kernel.lock().advance(self.now, self.cpu.id);
        Some(pid)
    }

    /// Nothing is ready: idle to the next timer, or stop.
    fn nothing_to_run(&mut self) -> Option<Outcome> {
        let mut k = self.kernel.lock();
        if let Some(until) = k.next_deadline() {
            let until = until.min(self.config.max_ticks);
            k.record(self.cpu.id, EventKind::Idle { until });
            self.stats.idle += until.saturating_sub(self.now);
            self.now = until.max(self.now);
            return None;
        }
        if let Some(deadlock) = k.deadlock() {
            k.record(
                self.cpu.id,
                EventKind::Deadlock {
                    cycle: deadlock.cycle.clone(),
                    blocked: deadlock.blocked.clone(),
                },
            );
            return Some(Outcome::Deadlock(deadlock));
        }
        Some(Outcome::Completed)
    }

    /// Advance the clock by `ticks` of CPU time on the current quantum.
    fn charge(&mut self, ticks: Ticks) {
        self.now = self.now.saturating_add(ticks);
        self.cpu.slice_left = self.cpu.slice_left.saturating_sub(ticks);
        self.stats.busy += ticks;
    }

    /// Run part of a compute burst: until it ends, the quantum ends, or a timer is due.
    fn run_burst(&mut self, pid: Pid, burst: Ticks) {
        let mut run = burst.min(self.cpu.slice_left);
        if let Some(due) = self.kernel.lock().next_deadline() {
            if due > self.now {
                run = run.min(due - self.now);
            }
        }
        run = run
            .min(self.config.max_ticks.saturating_sub(self.now))
            .max(1);
        self.charge(run);
        let mut k = self.kernel.lock();
        k.advance(self.now, self.cpu.id);
        k.run_burst(self.cpu.id, pid, run);
        drop(k);
        self.end_of_slice(pid);
    }

    /// A scheduling point after the process ran: preempt it if its quantum is used up and
    /// anyone else is ready (else start a new quantum), or if the policy says so.
    fn end_of_slice(&mut self, pid: Pid) {
        if self.cpu.slice_left > 0 {
            let mut k = self.kernel.lock();
            if k.should_preempt(self.cpu.id, pid) {
                k.preempt(self.cpu.id, pid);
                self.cpu.current = None;
            }
            return;
        }
        let mut k = self.kernel.lock();
        if k.has_ready() {
            k.advance(self.now, self.cpu.id);
            k.preempt(self.cpu.id, pid);
            self.cpu.current = None;
        } else {
            self.cpu.slice_left = k.quantum(pid).unwrap_or(Ticks::MAX);
        }
    }

    /// Poll the process's program until it traps (or ends), then serve the trap.
    fn run_user(&mut self, pid: Pid) {
        let slot = pid.index() as usize;
        let poll = match self.bodies.get_mut(slot).and_then(|b| b.as_mut()) {
            Some((body_pid, body)) if *body_pid == pid => poll_body(body),
            _ => Polled::Fault("no program loaded".into()),
        };
        let cpu = self.cpu.id;
        match poll {
            Polled::Ready(code) => self.end_process(pid, code, ExitReason::Returned),
            Polled::Panicked(msg) => self.end_process(pid, 101, ExitReason::Panicked(msg)),
            Polled::Fault(what) => self.end_process(pid, 102, ExitReason::Fault(what)),
            Polled::Pending => {
                // The trap takes its cost before the kernel acts, so the time a call takes
                // is charged to the caller even when the call blocks it.
                self.charge(self.config.costs.syscall);
                let outcome = {
                    let mut k = self.kernel.lock();
                    k.advance(self.now, cpu);
                    k.trap(cpu, pid)
                };
                match outcome {
                    TrapOutcome::Continue | TrapOutcome::Compute => self.end_of_slice(pid),
                    TrapOutcome::Spawned(child) => {
                        self.load(child);
                        self.end_of_slice(pid);
                    }
                    TrapOutcome::Descheduled | TrapOutcome::NotRunning => self.cpu.current = None,
                    TrapOutcome::Exited => {
                        self.drop_body(pid);
                        self.cpu.current = None;
                    }
                    TrapOutcome::NoTrap => {
                        let what = "suspended without a syscall (awaited something else)".into();
                        self.end_process(pid, 102, ExitReason::Fault(what));
                    }
                }
            }
        }
    }

    fn end_process(&mut self, pid: Pid, code: i32, reason: ExitReason) {
        self.kernel
            .lock()
            .process_ended(self.cpu.id, pid, code, reason);
        self.drop_body(pid);
        self.cpu.current = None;
    }

    fn drop_body(&mut self, pid: Pid) {
        if let Some(slot) = self.bodies.get_mut(pid.index() as usize) {
            if slot.as_ref().is_some_and(|(p, _)| *p == pid) {
                *slot = None;
            }
        }
    }
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
