//! Fault plans: what to break in a run, and when.
//!
//! This module owns the plan a run is configured with ([`FaultPlan`], the
//! [`MachineConfig::faults`](crate::MachineConfig::faults) setting) and the machine's
//! schedule of the faults the machine applies itself, because it owns time: kills at a tick
//! and clock jumps. Kills at a process's n-th syscall happen in the kernel's trap, lost and
//! delayed messages in its send path; the plan only sets the kernel's settings for them
//! ([`FaultPlan::configure`]). Nothing here draws at random: the kernel's fault generator,
//! seeded by [`MachineConfig::fault_seed`](crate::MachineConfig::fault_seed), does, so the
//! same plan and seeds give the same trace. `docs/faults.md` says what each fault does and
//! what the kernel promises.
//!
//! Processes are named as the trace names them (the name they were spawned with: the label,
//! or the program's name): that is what a user knows before the run, pids are not.
//!
//! ```
//! use sim::{FaultAt, FaultPlan};
//! let plan = FaultPlan::new()
//!     .with(FaultAt::kill_at_tick("worker", 40))
//!     .with(FaultAt::kill_at_syscall("client", 3))
//!     .with(FaultAt::loss(10))
//!     .with(FaultAt::delay(20, 5))
//!     .with(FaultAt::clock_jump(100, 50));
//! assert_eq!(plan.faults.len(), 5);
//! ```

use abi::Ticks;
use kernel::KernelConfig;

/// One planned fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAt {
    /// Kill every live process called `name` at `tick` (at the machine's first kernel entry
    /// at or after it), wherever it is: running, ready, blocked or sleeping. If none is
    /// alive then, the trace says so (`kill_missed`) and nothing happens.
    KillAtTick {
        /// The process name, as the trace shows it.
        name: String,
        /// The tick the kill is planned for.
        tick: Ticks,
    },
    /// Kill each process called `name` when it traps for the `nth` time (counting from 1,
    /// every trap counts, a malformed one too), instead of serving that syscall.
    KillAtSyscall {
        /// The process name, as the trace shows it.
        name: String,
        /// Which of its syscalls.
        nth: u64,
    },
    /// Lose each message with this chance, in percent, as the kernel accepts it
    /// (`KernelConfig::loss_percent`).
    Loss {
        /// The chance, 0 to 100.
        percent: u8,
    },
    /// Delay each message queued at a mailbox or inbox with room with this chance, in
    /// percent, by `ticks` (`KernelConfig::delay_percent`, `delay_ticks`).
    Delay {
        /// The chance, 0 to 100.
        percent: u8,
        /// How long a delayed message is in flight.
        ticks: Ticks,
    },
    /// At `tick`, move the clock forward by `by` ticks: every CPU's clock jumps, and the
    /// timeouts and sleeps due in the gap fire at once.
    ClockJump {
        /// The tick the jump happens at.
        tick: Ticks,
        /// How many ticks every clock moves forward.
        by: Ticks,
    },
}

impl FaultAt {
    /// [`FaultAt::KillAtTick`].
    pub fn kill_at_tick(name: impl Into<String>, tick: Ticks) -> FaultAt {
        FaultAt::KillAtTick {
            name: name.into(),
            tick,
        }
    }

    /// [`FaultAt::KillAtSyscall`].
    pub fn kill_at_syscall(name: impl Into<String>, nth: u64) -> FaultAt {
        FaultAt::KillAtSyscall {
            name: name.into(),
            nth,
        }
    }

    /// [`FaultAt::Loss`] (percentages above 100 count as 100).
    pub fn loss(percent: u8) -> FaultAt {
        FaultAt::Loss {
            percent: percent.min(100),
        }
    }

    /// [`FaultAt::Delay`] (percentages above 100 count as 100).
    pub fn delay(percent: u8, ticks: Ticks) -> FaultAt {
        FaultAt::Delay {
            percent: percent.min(100),
            ticks,
        }
    }

    /// [`FaultAt::ClockJump`].
    pub fn clock_jump(tick: Ticks, by: Ticks) -> FaultAt {
        FaultAt::ClockJump { tick, by }
    }
}

/// The faults to inject into a run; empty by default (nothing is injected).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// The faults, in any order: the machine applies timed ones in tick order (equal ticks
    /// in this order). Of several `Loss` (or `Delay`) entries the last one counts.
    pub faults: Vec<FaultAt>,
    /// The processes (by name, as a kill names them) whose kill is what the run is meant to
    /// show: killed, they do not fail the run; not killed, they do
    /// ([`crate::Report::succeeded`]).
    pub expected_kills: Vec<String>,
}

impl FaultPlan {
    /// An empty plan.
    pub fn new() -> FaultPlan {
        FaultPlan::default()
    }

    /// The plan with one more fault.
    pub fn with(mut self, fault: FaultAt) -> FaultPlan {
        self.faults.push(fault);
        self
    }

    /// Whether the plan injects nothing.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// Set the kernel's fault settings from the plan and the run's fault seed: the seed
    /// always (it is the run's), the loss and delay settings where the plan has an entry
    /// (else the kernel configuration's own stand).
    pub fn configure(&self, kernel: &mut KernelConfig, fault_seed: u64) {
        kernel.fault_seed = fault_seed;
        for f in &self.faults {
            match *f {
                FaultAt::Loss { percent } => kernel.loss_percent = percent.min(100),
                FaultAt::Delay { percent, ticks } => {
                    kernel.delay_percent = percent.min(100);
                    kernel.delay_ticks = ticks;
                }
                FaultAt::KillAtSyscall { ref name, nth } => {
                    kernel.kill_at_syscall.push((name.clone(), nth))
                }
                FaultAt::KillAtTick { .. } | FaultAt::ClockJump { .. } => {}
            }
        }
    }
}

/// A fault the machine applies at a tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Timed {
    /// Kill the live processes of this name.
    Kill(String),
    /// Jump the clock by this many ticks.
    Jump(Ticks),
}

/// The machine's share of a plan: what is still to happen at a tick.
#[derive(Clone, Debug, Default)]
pub(crate) struct Schedule {
    /// The timed faults not applied yet, latest first (so the next is at the end).
    timed: Vec<(Ticks, Timed)>,
}

impl Schedule {
    /// The machine's faults of `plan`.
    pub(crate) fn new(plan: &FaultPlan) -> Schedule {
        let mut timed = Vec::new();
        for f in &plan.faults {
            match f {
                FaultAt::KillAtTick { name, tick } => {
                    timed.push((*tick, Timed::Kill(name.clone())))
                }
                FaultAt::ClockJump { tick, by } => timed.push((*tick, Timed::Jump(*by))),
                FaultAt::KillAtSyscall { .. } | FaultAt::Loss { .. } | FaultAt::Delay { .. } => {}
            }
        }
        // A stable sort keeps plan order at equal ticks; reversed, the next is popped last.
        timed.sort_by_key(|(t, _)| *t);
        timed.reverse();
        Schedule { timed }
    }

    /// When the next timed fault is due.
    #[inline]
    pub(crate) fn next_tick(&self) -> Option<Ticks> {
        self.timed.last().map(|(t, _)| *t)
    }

    /// Take the next timed fault if it is due by `now`.
    pub(crate) fn pop_due(&mut self, now: Ticks) -> Option<(Ticks, Timed)> {
        if self.next_tick()? <= now {
            self.timed.pop()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_takes_timed_faults_in_tick_then_plan_order() {
        let plan = FaultPlan::new()
            .with(FaultAt::clock_jump(50, 10))
            .with(FaultAt::kill_at_tick("a", 20))
            .with(FaultAt::kill_at_tick("b", 50))
            .with(FaultAt::kill_at_syscall("c", 2))
            .with(FaultAt::loss(200));
        let mut s = Schedule::new(&plan);
        assert_eq!(s.next_tick(), Some(20));
        assert_eq!(s.pop_due(19), None);
        assert_eq!(s.pop_due(25), Some((20, Timed::Kill("a".into()))));
        assert_eq!(s.pop_due(60), Some((50, Timed::Jump(10))));
        assert_eq!(s.pop_due(60), Some((50, Timed::Kill("b".into()))));
        assert_eq!(s.pop_due(u64::MAX), None);
        let mut k = KernelConfig::default();
        plan.configure(&mut k, 9);
        assert_eq!((k.loss_percent, k.delay_percent, k.fault_seed), (100, 0, 9));
        assert_eq!(k.kill_at_syscall, [("c".to_string(), 2)]);
    }
}
