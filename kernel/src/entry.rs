//! The one way into the kernel: the machine says what happened on a CPU at a tick, and the
//! kernel answers with what that CPU does next.
//!
//! This module owns the boundary ([`Entry`], [`Action`], [`Kernel::enter`]) and every
//! scheduling decision taken at it: who runs on a free CPU, when a quantum starts and ends,
//! whether a process gives way at a scheduling point, how long a piece of a compute burst
//! runs, when an idle CPU looks again, and when the run is over (every process exited, a
//! deadlock, or the tick limit). The machine asks nothing else: it polls process bodies,
//! charges ticks and orders its CPUs, and acts on the answer.
//!
//! What the machine knows and the kernel does not is handed in with the entry: the next
//! tick at which a planned fault strikes, and, with several CPUs, where the other CPUs'
//! clocks stand ([`Outside`]), or that an idle CPU must look before a scheduling point is
//! decided (`defer`). With one CPU these are all empty.
//!
//! Invariants of the per-CPU state, next to its type: a CPU's `current` process is live and
//! `Running` on that CPU, and each `Running` process is the `current` of exactly the CPU its
//! state names (checked with the others in `invariants.rs`).

use crate::process::{ProcState, TrapState};
use crate::sched::{ReadyReason, StopReason};
use crate::trace::LivelockCause;
use crate::trace::{CpuId, EventKind, ExitReason, FaultKind, KillCause};
use crate::trap::Served;
use crate::{Deadlock, Kernel, Livelock};
use abi::{Pid, Ticks, TrapFrame, RET_REGS};
use alloc::boxed::Box;
use alloc::vec::Vec;

/// What the machine is made of, as the kernel needs to know it from boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    /// How many CPUs (at least 1).
    pub cpus: u32,
    /// The tick at which the run stops with [`Outcome::TickLimit`].
    pub tick_limit: Ticks,
    /// The ticks the machine charges for a context switch: with one CPU, the kernel
    /// dispatches and starts the process's quantum after the switch in one entry.
    pub switch_cost: Ticks,
}

impl Default for Platform {
    /// One CPU, no tick limit to speak of, a tick per context switch.
    fn default() -> Self {
        Platform {
            cpus: 1,
            tick_limit: Ticks::MAX,
            switch_cost: 1,
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every process exited.
    Completed,
    /// Processes are blocked and nothing can wake them (boxed: an answer of the kernel
    /// stays a few words, and this one comes once a run).
    Deadlock(Box<Deadlock>),
    /// Work went on but the clock stopped moving, so the run would never reach its tick
    /// limit (boxed, as a deadlock is).
    Livelock(Box<Livelock>),
    /// The run reached its tick limit.
    TickLimit,
}

/// What happened on a CPU, as the machine tells the kernel. Every entry comes with the CPU
/// and its clock ([`Kernel::enter`]); the clock never runs backwards.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    /// The CPU's turn begins: the timer interrupt. Timers due fire; the CPU's process runs
    /// on (or computes on), or a free CPU gets the next ready process, or idles.
    Tick(Outside),
    /// The timer interrupt alone: timers due fire, nothing else happens (the machine
    /// brings the kernel's clock up to date before showing its tables).
    Timer,
    /// The context switch the last [`Action::Dispatch`] asked for is paid: the process's quantum
    /// starts, and it runs or computes.
    Switched(Outside),
    /// The process on the CPU trapped with these registers and outgoing bytes; the trap's
    /// cost is paid. `defer`: another CPU idles at or before this one's clock, so if anyone
    /// is ready the scheduling point after the call waits for it to look ([`Action::Defer`]).
    /// `turn`: when the process loses its CPU, the CPU's next turn may start in this same
    /// entry (the machine has nothing of its own to do first), with these facts from
    /// outside; the answer is then that turn's (a dispatch, idling, the end).
    Trap {
        /// The number and argument registers.
        frame: &'a TrapFrame,
        /// The outgoing bytes of the IPC buffer.
        out: &'a [u8],
        /// Defer the scheduling point while someone is ready.
        defer: bool,
        /// The CPU's next turn, if it may follow at once.
        turn: Option<&'a Outside>,
    },
    /// The process on the CPU computed `ran` ticks of its burst. `defer` as for a trap.
    Burst {
        /// The ticks it computed, at most the `ticks` of the [`Action::Compute`] it answers.
        ran: Ticks,
        /// Defer the scheduling point while someone is ready.
        defer: bool,
    },
    /// The scheduling point deferred by [`Action::Defer`] is due now.
    Decide,
    /// The program on the CPU ended without `exit`: it returned `code`, panicked or broke
    /// the trap protocol.
    Ended {
        /// Its exit code.
        code: i32,
        /// How it ended.
        reason: &'a ExitReason,
    },
    /// A planned fault: kill every live process called `name` (the plan's `tick`).
    Kill {
        /// The name, as traces show it.
        name: &'a str,
        /// The tick the plan set.
        tick: Ticks,
    },
    /// A planned fault: every clock jumps `by` ticks forward; timers due in the gap fire.
    Jump {
        /// The ticks added to every clock.
        by: Ticks,
    },
    /// The program on the CPU ran `steps` steps of its own since its last trap and would run
    /// on without one (an interpreter's budget ran out): its clock cannot move, so the run
    /// ends as a livelock.
    Stalled {
        /// Its steps since its last trap.
        steps: u64,
    },
}

/// What the machine knows of the world outside the kernel when a CPU looks for work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outside {
    /// When the machine's next planned fault strikes (a kill or a clock jump), if any: a
    /// moment something can change, like a timer deadline.
    pub planned: Option<Ticks>,
    /// The earliest clock later than this CPU's of another CPU running a process.
    pub busy_later: Option<Ticks>,
    /// The earliest clock later than this CPU's of another idle CPU.
    pub idle_later: Option<Ticks>,
    /// Another CPU at this very tick will still decide a deferred scheduling point.
    pub deciding_now: bool,
    /// Another idle CPU at this very tick has not looked for work yet.
    pub unlooked_now: bool,
    /// Some CPU stepped aside ([`Action::Park`]) and has not looked again.
    pub parked: bool,
}

/// What a process runs: the body the machine builds for it when it first runs
/// ([`Kernel::start_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    /// Its program, as an index into the program table the kernel was built with.
    pub program: u32,
    /// Its argument.
    pub arg: u64,
}

/// What a CPU does next, as the kernel answers an [`Entry`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Return from the trap: the call is finished and the process keeps its CPU, with these
    /// return registers (answers a [`Entry::Trap`] only).
    Return([u64; RET_REGS]),
    /// The process on the CPU keeps it; its next turn goes on with it (its body resumes, or
    /// its burst goes on).
    Continue,
    /// The CPU is free; its next turn looks for work.
    Free,
    /// The process on the CPU has exited: the CPU is free and its body can go.
    Exited,
    /// A scheduling point waits for the idle CPUs at this tick to look first: enter
    /// [`Entry::Decide`] at this CPU's next turn.
    Defer,
    /// A process was dispatched on the free CPU: charge the context switch, then do `then`
    /// (with several CPUs: ask, [`Then::Ask`]). A process dispatched for the first time has
    /// no body yet: its program is [`Kernel::start_of`] it.
    Dispatch {
        /// The process.
        pid: Pid,
        /// What it does once the switch is paid.
        then: Then,
    },
    /// Poll the body of the process on the CPU until it traps or ends.
    Run(Pid),
    /// The process on the CPU computes: charge at most `ticks` of its burst, then enter
    /// [`Entry::Burst`].
    Compute {
        /// The process.
        pid: Pid,
        /// The longest the piece may run.
        ticks: Ticks,
    },
    /// Nothing to run: the CPU's clock moves to `until`, idle.
    Idle {
        /// When it looks again.
        until: Ticks,
    },
    /// Nothing to run, but another CPU at this tick still acts: step aside for it.
    Park,
    /// Work waits for a CPU that stepped aside: every parked CPU looks again.
    Unpark,
    /// Planned kills: these processes are gone, wherever they ran; their bodies can go.
    Killed(Vec<Pid>),
    /// The run is over.
    Halt(Outcome),
}

/// What a process just dispatched does once the switch is paid ([`Action::Dispatch`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Poll its body ([`Action::Run`]).
    Run,
    /// Compute a piece of its burst ([`Action::Compute`]).
    Compute(Ticks),
    /// Enter [`Entry::Switched`] once the switch is paid (several CPUs: another CPU may act
    /// in between).
    Ask,
}

/// The kernel's view of one CPU.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CpuSlot {
    /// The process on it, running its program or a burst.
    pub(crate) current: Option<Pid>,
    /// When the current quantum ends (`Ticks::MAX`: never).
    pub(crate) slice_end: Ticks,
    /// The process was just dispatched: its quantum starts once the switch is paid.
    pub(crate) switching: bool,
}

impl Kernel {
    /// The one way in: `entry` happened on `cpu` at `now`; what the CPU does next.
    ///
    /// Every decision about who runs where and for how long is taken here. The invariants
    /// are checked at the end of every entry when `KernelConfig::check_invariants` is on.
    #[inline]
    pub fn enter(&mut self, cpu: CpuId, now: Ticks, entry: Entry<'_>) -> Action {
        // A trap is the hot path: it goes straight to its own code (inlined into a caller
        // that names the entry, this match is decided at compile time).
        if let Entry::Trap {
            frame,
            out,
            defer,
            turn,
        } = entry
        {
            return self.enter_trap(cpu, now, frame, out, defer, turn);
        }
        self.enter_event(cpu, now, entry)
    }

    /// What every entry does first: count it, set the clock, and the timer interrupt (the
    /// check that nothing is due is inline, the firing out of line). `false` when time
    /// has stopped: this is one entry too many at one tick, and the run must end.
    #[inline]
    #[must_use]
    fn arrive_at(&mut self, cpu: CpuId, now: Ticks) -> bool {
        debug_assert!(now >= self.clock, "time never runs backwards");
        self.entries += 1;
        let mut going = true;
        if now == self.clock {
            self.steps_at_tick += 1;
            going = self.steps_at_tick <= self.config.max_steps_per_tick.max(1);
        } else {
            self.steps_at_tick = 1;
            self.clock = now;
        }
        self.trace.stamp(now, cpu);
        if self.timer_may_be_due() {
            self.fire_timers();
        }
        going
    }

    /// [`Kernel::enter`] for a trap.
    #[inline]
    fn enter_trap(
        &mut self,
        cpu: CpuId,
        now: Ticks,
        frame: &TrapFrame,
        out: &[u8],
        defer: bool,
        turn: Option<&Outside>,
    ) -> Action {
        if !self.arrive_at(cpu, now) {
            return self.time_stopped(cpu, None);
        }
        let action = match (self.trapped(cpu, frame, out, defer), turn) {
            // The CPU's next turn follows in this entry: its timer interrupt would find
            // nothing due at this same tick.
            (Action::Free, Some(outside)) => self.turn(cpu, *outside),
            (action, _) => action,
        };
        self.checkpoint();
        action
    }

    /// [`Kernel::enter`] for everything but a trap.
    #[inline(never)]
    fn enter_event(&mut self, cpu: CpuId, now: Ticks, entry: Entry<'_>) -> Action {
        if !self.arrive_at(cpu, now) {
            return self.time_stopped(cpu, None);
        }
        let action = match entry {
            Entry::Trap {
                frame, out, defer, ..
            } => self.trapped(cpu, frame, out, defer),
            Entry::Timer => Action::Continue,
            Entry::Tick(outside) => self.turn(cpu, outside),
            Entry::Switched(outside) => self.switched(cpu, outside),
            Entry::Burst { ran, defer } => self.burst_ran(cpu, ran, defer),
            Entry::Decide => match self.running_on(cpu) {
                Some(idx) => self.decide(cpu, idx),
                None => Action::Free,
            },
            Entry::Ended { code, reason } => {
                if let Some(idx) = self.running_on(cpu) {
                    self.exit_process(idx, code, reason.clone());
                }
                Action::Exited
            }
            Entry::Kill { name, tick } => self.kill_named(name, tick),
            Entry::Jump { by } => {
                let to = now.saturating_add(by);
                self.emit(|| EventKind::Fault {
                    kind: FaultKind::ClockJump { from: now, to },
                });
                // A quantum is not used up by the jump: every CPU's ends that much later.
                for slot in &mut self.cpus {
                    slot.slice_end = slot.slice_end.saturating_add(by);
                }
                self.clock = to;
                self.steps_at_tick = 0;
                self.trace.stamp(to, cpu);
                if self.timer_may_be_due() {
                    self.fire_timers();
                }
                Action::Continue
            }
            Entry::Stalled { steps } => self.time_stopped(cpu, Some(steps)),
        };
        self.checkpoint();
        action
    }

    /// The run's time stopped: too many entries at one tick, or (`spinning`: its steps) the
    /// program on `cpu` would run on without ever trapping. The run ends as a livelock, with
    /// the processes that were running or ready.
    #[cold]
    #[inline(never)]
    fn time_stopped(&mut self, cpu: CpuId, spinning: Option<u64>) -> Action {
        let cause = match (
            spinning,
            self.cpus.get(cpu as usize).and_then(|s| s.current),
        ) {
            (Some(steps), Some(pid)) => LivelockCause::Spinning { pid, steps },
            // The entries served at this tick: this one, one too many, is not.
            _ => LivelockCause::Steps {
                steps: self.steps_at_tick - 1,
            },
        };
        let processes: Vec<Pid> = self
            .procs
            .iter()
            .map(|(_, p)| p)
            .filter(|p| matches!(p.state, ProcState::Running(_) | ProcState::Ready))
            .map(|p| p.pid)
            .collect();
        let listed = processes.clone();
        self.emit(|| EventKind::Livelock {
            cause,
            processes: listed,
        });
        Action::Halt(Outcome::Livelock(Box::new(Livelock { cause, processes })))
    }

    /// How many times the kernel was entered: the structural measure of the boundary (one
    /// entry per event on a CPU).
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The slot of the process running on `cpu`, if any (a CPU's `current` is always a live
    /// process running there: the kernel clears it whenever that process stops running).
    #[inline]
    fn running_on(&self, cpu: CpuId) -> Option<u32> {
        Some(self.cpus.get(cpu as usize)?.current?.index())
    }

    fn slot_mut(&mut self, cpu: CpuId) -> &mut CpuSlot {
        let i = (cpu as usize).min(self.cpus.len() - 1);
        &mut self.cpus[i]
    }

    /// A CPU's turn: the tick limit, then the CPU's process goes on, or a free CPU looks
    /// for work.
    fn turn(&mut self, cpu: CpuId, outside: Outside) -> Action {
        if self.clock >= self.platform.tick_limit {
            let limit = self.platform.tick_limit;
            self.emit(|| EventKind::TickLimit { limit });
            return Action::Halt(Outcome::TickLimit);
        }
        match self.running_on(cpu) {
            Some(idx) => self.go_on(cpu, idx, outside),
            None => self.dispatch(cpu, outside),
        }
    }

    /// The switch to the CPU's process is paid: its quantum starts now.
    fn switched(&mut self, cpu: CpuId, outside: Outside) -> Action {
        let Some(idx) = self.running_on(cpu) else {
            return Action::Free;
        };
        self.start_quantum(cpu, idx);
        self.go_on(cpu, idx, outside)
    }

    /// The quantum of the process in slot `idx` on `cpu` starts now.
    fn start_quantum(&mut self, cpu: CpuId, idx: u32) {
        let pid = self.pid_of(idx);
        let slice_end = match self.sched.quantum(pid) {
            Some(q) => self.clock.saturating_add(q),
            None => Ticks::MAX,
        };
        let slot = self.slot_mut(cpu);
        slot.switching = false;
        slot.slice_end = slice_end;
    }

    /// The process in slot `idx` goes on running on its CPU: its body, or a piece of its
    /// compute burst that ends at the burst's end, the quantum's, the next moment something
    /// can change, or the tick limit, whichever comes first (at least one tick).
    fn go_on(&mut self, cpu: CpuId, idx: u32, outside: Outside) -> Action {
        let p = self.proc_ref(idx);
        let (pid, burst) = (p.pid, p.burst);
        if burst == 0 {
            return Action::Run(pid);
        }
        let now = self.clock;
        let slice_left = self.slot_mut(cpu).slice_end.saturating_sub(now);
        let mut ticks = burst.min(slice_left);
        if let Some(due) = self.next_change(outside) {
            if due > now {
                ticks = ticks.min(due - now);
            }
        }
        ticks = ticks
            .min(self.platform.tick_limit.saturating_sub(now))
            .max(1);
        Action::Compute { pid, ticks }
    }

    /// When something next could change that the kernel knows of: the next timer deadline
    /// or message arrival, or the machine's next planned fault while anyone is alive to
    /// notice it.
    fn next_change(&mut self, outside: Outside) -> Option<Ticks> {
        let planned = outside.planned.filter(|_| self.live > 0);
        self.next_deadline().into_iter().chain(planned).min()
    }

    /// A free CPU looks for work: the next ready process, or idling, or the end.
    ///
    /// With one CPU nothing can happen between the dispatch and the end of the switch, so
    /// the kernel goes on to it in the same entry: the clock moves past the switch (timers
    /// due during it fire), the quantum starts, and the answer says what the process does.
    fn dispatch(&mut self, cpu: CpuId, outside: Outside) -> Action {
        let Some(pid) = self.schedule(cpu) else {
            return self.nothing_to_run(cpu, outside);
        };
        let slot = self.slot_mut(cpu);
        slot.current = Some(pid);
        slot.switching = true;
        if self.platform.cpus > 1 {
            return Action::Dispatch {
                pid,
                then: Then::Ask,
            };
        }
        self.clock = self.clock.saturating_add(self.platform.switch_cost);
        self.trace.stamp(self.clock, cpu);
        if self.timer_may_be_due() {
            self.fire_timers();
        }
        let idx = pid.index();
        self.start_quantum(cpu, idx);
        // Most processes are dispatched to run their program; one preempted in the middle of
        // a burst computes on.
        let then = if self.proc_ref(idx).burst == 0 {
            Then::Run
        } else {
            match self.go_on(cpu, idx, outside) {
                Action::Compute { ticks, .. } => Then::Compute(ticks),
                _ => Then::Run,
            }
        };
        Action::Dispatch { pid, then }
    }

    /// Nothing is ready for this CPU: idle until something could change, step aside for a
    /// CPU that still acts at this tick, or end the run.
    ///
    /// Something could change at the next timer deadline or planned fault, or when another
    /// CPU next enters the kernel: a busy CPU at its clock; and, while work waits in a queue
    /// this CPU may not take from (per-CPU queues without migration), an idle CPU at its
    /// clock too, since it may start that work. This CPU idles until the earliest of those
    /// (strictly after its own clock); if a CPU that may still act is at this very tick, this
    /// one steps aside for it instead. When no CPU runs anything and no timer is armed, the
    /// run is over: completed, or deadlocked.
    fn nothing_to_run(&mut self, cpu: CpuId, outside: Outside) -> Action {
        let deadline = self.next_change(outside);
        let waiting = self.has_ready();
        if outside.deciding_now || (waiting && outside.unlooked_now) {
            return Action::Park;
        }
        if !waiting && self.running == 0 && self.live > 0 && self.live == self.live_daemons {
            // Only daemons are left, and none runs or is ready: whatever each waits for (a
            // request, a timeout, the end of a sleep), every process it serves has exited.
            return Action::Halt(Outcome::Completed);
        }
        let later = match waiting {
            true => [outside.busy_later, outside.idle_later]
                .into_iter()
                .flatten()
                .min(),
            false => outside.busy_later,
        };
        if let Some(until) = [deadline, later].into_iter().flatten().min() {
            let until = until.min(self.platform.tick_limit);
            self.trace
                .push(self.clock, cpu, || EventKind::Idle { until });
            return Action::Idle { until };
        }
        if waiting && outside.parked {
            // Work is queued for a CPU that stepped aside at this tick: it looks again,
            // rather than the run ending beside ready processes.
            return Action::Unpark;
        }
        match self.deadlock() {
            // Only daemons wait, and only for work that will never come: they are idle, and
            // the run is over.
            Some(deadlock) if self.only_daemons(&deadlock) => Action::Halt(Outcome::Completed),
            Some(deadlock) => {
                let (cycle, blocked) = (deadlock.cycle.clone(), deadlock.blocked.clone());
                self.emit(|| EventKind::Deadlock { cycle, blocked });
                Action::Halt(Outcome::Deadlock(Box::new(deadlock)))
            }
            None => Action::Halt(Outcome::Completed),
        }
    }

    /// Whether every process a would-be deadlock names is a daemon.
    fn only_daemons(&self, deadlock: &Deadlock) -> bool {
        deadlock.blocked.iter().all(|w| {
            self.procs
                .get(w.pid.index(), w.pid.generation())
                .is_some_and(|p| p.daemon)
        })
    }

    /// Give `cpu` the next ready process, if any.
    fn schedule(&mut self, cpu: CpuId) -> Option<Pid> {
        while let Some(pid) = self.sched.pick(cpu, self.clock) {
            let now = self.clock;
            let Some(p) = self.procs.get_mut(pid.index(), pid.generation()) else {
                continue;
            };
            if !matches!(p.state, ProcState::Ready) {
                continue;
            }
            p.set_state(ProcState::Running(cpu), now);
            let from = p.last_cpu.replace(cpu);
            p.stats.dispatches += 1;
            p.stats.first_run.get_or_insert(now);
            self.running += 1;
            self.trace.push(now, cpu, || EventKind::Dispatch { pid });
            if let Some(from) = from.filter(|&from| from != cpu) {
                self.trace
                    .push(now, cpu, || EventKind::Migrate { pid, from, to: cpu });
            }
            return Some(pid);
        }
        None
    }

    /// The process on `cpu` trapped: serve the call, then the scheduling point after it.
    #[inline]
    fn trapped(&mut self, cpu: CpuId, frame: &TrapFrame, out: &[u8], defer: bool) -> Action {
        let Some(idx) = self.running_on(cpu) else {
            return Action::Free;
        };
        if !self.config.kill_at_syscall.is_empty() && self.killed_at_syscall(idx) {
            return Action::Exited;
        }
        match self.serve(idx, frame, out) {
            Ok(Served::Done(values)) => self.complete(idx, Ok(values)),
            Err(refusal) => self.complete(idx, Err(refusal)),
            Ok(Served::Compute) => {}
            Ok(Served::Descheduled) => return Action::Free,
            Ok(Served::Exited) => return Action::Exited,
        }
        if defer && self.has_ready() {
            return Action::Defer;
        }
        // The scheduling point after the call, its common case inline: the quantum goes on
        // and nobody is ready.
        let slot_end = self.cpus.get(cpu as usize).map_or(0, |s| s.slice_end);
        let go_on = (slot_end > self.clock && (!self.sched_preempts || self.sched.is_empty())) || {
            matches!(self.decide(cpu, idx), Action::Continue)
        };
        if !go_on {
            return Action::Free;
        }
        // The process keeps its CPU: its result, if the call is finished (a `compute` call
        // is not: its burst runs first).
        let p = self.proc_ref(idx);
        match p.trap {
            TrapState::Returned => Action::Return(p.ret),
            TrapState::User | TrapState::Trapped => Action::Continue,
        }
    }

    /// A piece of the burst of the process on `cpu` ran; when the burst is done, its
    /// `compute` call returns. Then the scheduling point.
    fn burst_ran(&mut self, cpu: CpuId, ran: Ticks, defer: bool) -> Action {
        let Some(idx) = self.running_on(cpu) else {
            return Action::Free;
        };
        let p = self.proc_mut(idx);
        p.burst = p.burst.saturating_sub(ran);
        if p.burst == 0 {
            self.complete(idx, Ok([0; 3]));
        }
        if defer && self.has_ready() {
            return Action::Defer;
        }
        self.decide(cpu, idx)
    }

    /// A scheduling point for the process in slot `idx` on `cpu`: it gives way if its
    /// quantum is used up and anyone else is ready for this CPU (else a new quantum starts),
    /// or if the policy says so.
    fn decide(&mut self, cpu: CpuId, idx: u32) -> Action {
        let now = self.clock;
        let pid = self.pid_of(idx);
        let slot = self.slot_mut(cpu);
        if slot.slice_end > now {
            if self.sched_preempts && self.has_ready() && self.sched.should_preempt(cpu, pid, now) {
                self.preempt(cpu, idx);
                return Action::Free;
            }
            return Action::Continue;
        }
        // With per-CPU queues only this CPU's own queue can take over: anyone else waiting
        // belongs to another CPU, and the preempted process would be picked again at once.
        if self.sched.has_waiting(cpu) {
            self.preempt(cpu, idx);
            return Action::Free;
        }
        let slice_end = match self.sched.quantum(pid) {
            Some(q) => now.saturating_add(q),
            None => Ticks::MAX,
        };
        self.slot_mut(cpu).slice_end = slice_end;
        Action::Continue
    }

    /// The quantum of the process in slot `idx` on `cpu` ended: back to the run queue.
    fn preempt(&mut self, cpu: CpuId, idx: u32) {
        let now = self.clock;
        self.mark_not_running(idx, StopReason::Preempted);
        let p = self.proc_mut(idx);
        p.set_state(ProcState::Ready, now);
        p.stats.preemptions += 1;
        let (pid, burst_left) = (p.pid, p.burst);
        let info = self.ready_info(idx, ReadyReason::Preempted);
        self.trace
            .push(now, cpu, || EventKind::Preempt { pid, burst_left });
        self.sched.enqueue(info);
    }

    /// Kill every live process called `name` (a planned fault at `tick`); the trace says so
    /// when there is none.
    fn kill_named(&mut self, name: &str, tick: Ticks) -> Action {
        let victims: Vec<Pid> = self
            .procs
            .iter()
            .filter(|(_, p)| p.is_live() && *p.name == *name)
            .map(|(_, p)| p.pid)
            .collect();
        if victims.is_empty() {
            let name = alloc::string::String::from(name);
            self.emit(|| EventKind::Fault {
                kind: FaultKind::KillMissed { name, tick },
            });
        }
        for &pid in &victims {
            self.kill(pid, KillCause::Tick(tick));
        }
        Action::Killed(victims)
    }

    /// Kill the process in slot `idx` instead of serving its trap, if the fault plan says
    /// this trap is its last (`KernelConfig::kill_at_syscall`).
    #[inline(never)]
    fn killed_at_syscall(&mut self, idx: u32) -> bool {
        let p = self.proc_ref(idx);
        let nth = p.stats.syscalls + 1;
        let doomed = self
            .config
            .kill_at_syscall
            .iter()
            .any(|(name, n)| *n == nth && **name == *p.name);
        if doomed {
            let pid = p.pid;
            self.kill(pid, KillCause::Syscall(nth));
        }
        doomed
    }

    // ----- the trap's other half, for the machine's syscall instruction -----

    /// The return registers of `pid`'s finished call, as it runs again after suspending in
    /// it; `None` if the call is not finished.
    pub fn resume(&self, pid: Pid) -> Option<[u64; RET_REGS]> {
        let p = self.process(pid)?;
        (p.trap == TrapState::Returned).then_some(p.ret)
    }

    /// Move the bytes `pid`'s last finished call received out of its IPC buffer.
    pub fn take_received(&mut self, pid: Pid) -> abi::Payload {
        self.procs
            .get_mut(pid.index(), pid.generation())
            .map(|p| core::mem::take(&mut p.ipc))
            .unwrap_or_default()
    }

    /// What `pid` runs: its program and argument, for the machine to build its body when it
    /// first runs (a process that has not run has no body yet).
    pub fn start_of(&self, pid: Pid) -> Option<Start> {
        let p = self.process(pid)?;
        Some(Start {
            program: p.program,
            arg: p.arg,
        })
    }

    /// The return registers of `pid`'s last finished call.
    pub fn last_return(&self, pid: Pid) -> [u64; RET_REGS] {
        self.process(pid).map_or([0; RET_REGS], |p| p.ret)
    }
}
