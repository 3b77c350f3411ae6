//! The syscalls about time: `yield`, `sleep` and `compute`.
//!
//! A `yield` (or `sleep(0)`) gives the CPU up at once; a `sleep` leaves the process on the
//! timer list alone, on no wait queue; a `compute` starts a CPU burst, which the kernel's
//! entry runs in pieces (`entry.rs`) and finishes when the burst is done.

use super::{Refusal, Served};
use crate::process::ProcState;
use crate::trace::EventKind;
use crate::Kernel;
use abi::Ticks;

impl Kernel {
    pub(crate) fn sys_yield(&mut self, idx: u32) -> Result<Served, Refusal> {
        let pid = self.pid_of(idx);
        self.complete(idx, Ok([0; 3]));
        self.mark_not_running(idx, crate::sched::StopReason::Yielded);
        let now = self.clock;
        self.proc_mut(idx).set_state(ProcState::Ready, now);
        self.emit(|| EventKind::Yield { pid });
        let info = self.ready_info(idx, crate::sched::ReadyReason::Yielded);
        self.sched.enqueue(info);
        Ok(Served::Descheduled)
    }

    pub(crate) fn sys_sleep(&mut self, idx: u32, ticks: abi::Ticks) -> Result<Served, Refusal> {
        if ticks == 0 {
            return self.sys_yield(idx);
        }
        let pid = self.pid_of(idx);
        let until = self.clock.saturating_add(ticks);
        self.mark_not_running(idx, crate::sched::StopReason::Slept);
        let now = self.clock;
        self.proc_mut(idx)
            .set_state(ProcState::Sleeping { until }, now);
        self.arm_timer(idx, until);
        self.emit(|| EventKind::Sleep { pid, until });
        Ok(Served::Descheduled)
    }
}

impl Kernel {
    /// `compute(ticks)`: start a burst (a zero-tick one returns at once).
    pub(crate) fn sys_compute(&mut self, idx: u32, ticks: Ticks) -> Result<Served, Refusal> {
        if ticks == 0 {
            return Ok(Served::Done([0; 3]));
        }
        // Its stretch of set-up is over: children it spawned to arrive now join the queue.
        if !self.arriving.is_empty() {
            let pid = self.pid_of(idx);
            self.release_arrivals(pid);
        }
        self.proc_mut(idx).burst = ticks;
        Ok(Served::Compute)
    }
}
