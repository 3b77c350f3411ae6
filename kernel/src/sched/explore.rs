//! Exploring policies: seeded schedules that search for failing interleavings.
//!
//! (Placeholders: the helper writing exploration replaces them.)

use super::{ReadyInfo, Scheduler};
use crate::trace::CpuId;
use abi::{Pid, Ticks};
use alloc::collections::VecDeque;

/// A uniformly random ready process at every scheduling point.
#[derive(Debug)]
pub struct Random {
    queue: VecDeque<Pid>,
}

impl Random {
    /// Random choices drawn from `seed`.
    pub fn new(seed: u64, preempt_percent: u8) -> Self {
        let _ = (seed, preempt_percent);
        Random {
            queue: VecDeque::new(),
        }
    }
}

impl Scheduler for Random {
    fn name(&self) -> &'static str {
        "random"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.queue.push_back(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        self.queue.pop_front()
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}

/// Probabilistic concurrency testing.
#[derive(Debug)]
pub struct Pct {
    queue: VecDeque<Pid>,
}

impl Pct {
    /// PCT with depth `depth` over `steps` points, drawn from `seed`.
    pub fn new(seed: u64, depth: u32, steps: u64) -> Self {
        let _ = (seed, depth, steps);
        Pct {
            queue: VecDeque::new(),
        }
    }
}

impl Scheduler for Pct {
    fn name(&self) -> &'static str {
        "pct"
    }
    fn enqueue(&mut self, info: ReadyInfo) {
        self.queue.push_back(info.pid);
    }
    fn pick(&mut self, _cpu: CpuId, _now: Ticks) -> Option<Pid> {
        self.queue.pop_front()
    }
    fn quantum(&self, _pid: Pid) -> Option<Ticks> {
        None
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}
