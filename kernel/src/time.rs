//! Timeouts and sleeps: the kernel's one timer list.
//!
//! Each armed timer is an entry (deadline, serial, slot) in a min-heap. A process remembers the
//! serial of its one armed timer; disarming is just forgetting it, and an entry whose serial a
//! process no longer holds is skipped when it surfaces. Equal deadlines fire in arming order,
//! so the order of wake-ups is deterministic.
//!
//! The timer interrupt also delivers delayed messages (fault injection) when they arrive:
//! their arrival times are kept with the messages in flight (`ipc/faults.rs`), and
//! [`Kernel::next_deadline`] and `fire_timers` merge them with the timers in tick order.

use crate::process::{ProcState, Process};
use crate::slab::Slab;
use crate::trace::WakeReason;
use crate::Kernel;
use abi::{Error, Ticks};
use alloc::collections::BinaryHeap;
use core::cmp::Reverse;

/// The armed timers.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Ticks, u64, u32)>>,
    next_serial: u64,
}

impl Timers {
    fn is_current(procs: &Slab<Process>, serial: u64, idx: u32) -> bool {
        procs.at(idx).is_some_and(|p| p.timer == serial)
    }

    /// The earliest deadline still armed, dropping stale entries on the way.
    pub fn next_deadline(&mut self, procs: &Slab<Process>) -> Option<Ticks> {
        while let Some(Reverse((deadline, serial, idx))) = self.heap.peek().copied() {
            if Self::is_current(procs, serial, idx) {
                return Some(deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Take the next timer due by `now`, if any.
    fn pop_due(&mut self, procs: &Slab<Process>, now: Ticks) -> Option<u32> {
        loop {
            let Reverse((deadline, serial, idx)) = *self.heap.peek()?;
            if !Self::is_current(procs, serial, idx) {
                self.heap.pop();
                continue;
            }
            if deadline > now {
                return None;
            }
            self.heap.pop();
            return Some(idx);
        }
    }
}

impl Kernel {
    /// Whether a timer or a delayed message may be due by now. `false` is the common case on
    /// every kernel entry: nothing in flight, and the earliest armed timer (stale or not) is
    /// later than now.
    #[inline]
    pub(crate) fn timer_may_be_due(&self) -> bool {
        !self.faults.no_arrivals()
            || self
                .timers
                .heap
                .peek()
                .is_some_and(|Reverse((deadline, _, _))| *deadline <= self.clock)
    }

    /// Arm the one timer of the process in slot `idx`.
    pub(crate) fn arm_timer(&mut self, idx: u32, deadline: Ticks) {
        self.timers.next_serial += 1;
        let serial = self.timers.next_serial;
        self.proc_mut(idx).timer = serial;
        self.timers.heap.push(Reverse((deadline, serial, idx)));
    }

    /// Fire every timer due by now, and deliver every delayed message due by now (fault
    /// injection), in tick order; at the same tick timers fire first, as they fire before a
    /// send made at that tick is served.
    #[inline(never)]
    pub(crate) fn fire_timers(&mut self) {
        loop {
            let now = self.clock;
            let arrival = self.next_arrival().filter(|&a| a <= now);
            if let Some(a) = arrival {
                let timer = self.timers.next_deadline(&self.procs);
                if timer.is_none_or(|t| a < t) {
                    self.arrive();
                    continue;
                }
            }
            let Some(idx) = self.timers.pop_due(&self.procs, now) else {
                return;
            };
            let state = self.proc_ref(idx).state;
            match state {
                ProcState::Sleeping { .. } if self.proc_ref(idx).is_held_for_arrival() => {
                    self.process_arrives(idx)
                }
                ProcState::Sleeping { .. } => {
                    self.make_ready(idx, None, WakeReason::SleepEnded, Ok([0; 3]))
                }
                ProcState::Blocked => {
                    self.abandon_if_sending(idx, Error::TimedOut);
                    self.unlink(idx);
                    self.make_ready(idx, None, WakeReason::TimedOut, Err(Error::TimedOut.into()));
                }
                // A timer is disarmed whenever a process leaves these states.
                _ => self.proc_mut(idx).timer = 0,
            }
        }
    }
}
