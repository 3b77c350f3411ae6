//! Waiting on several endpoints at once (`select`): the watchers of each endpoint.
//!
//! A process that waits in `select` blocks on its own queue (`WaitQueueId::Select`), and is
//! also linked, once per endpoint of its set, into that endpoint's `watchers` queue, by a
//! *watch slot*: `process slot * MAX_SELECT + position in the set`. The watch slots are
//! linked through the kernel's `watch_links`, a second side array beside the wait queues'
//! links, so arming and disarming cost O(size of the set) and a message arriving at an
//! endpoint finds the longest-waiting watcher in O(1) (the front of its `watchers`).
//!
//! Invariants: a process has watch slots linked exactly while it is blocked in `select`,
//! one per endpoint of its set (which it may receive from), and none of those endpoints
//! holds a message it could take. A receiver blocked in `receive` on an endpoint is served
//! before any watcher of it.
//!
//! This module never decides what a `select` returns (the trap handler does); it keeps the
//! watchers consistent with the processes that wait.

use super::Target;
use crate::process::BlockedOp;
use crate::Kernel;
use abi::{Source, MAX_SELECT, SELECT_INDEX_SHIFT};

/// The watch slot of position `pos` of the set of the process in slot `idx`.
pub(crate) fn watch_slot(idx: u32, pos: usize) -> u32 {
    idx * MAX_SELECT as u32 + pos as u32
}

impl Kernel {
    /// The endpoint a `select` entry names, for the process in slot `idx`.
    pub(crate) fn select_target(&self, idx: u32, source: Source) -> Option<Target> {
        match source {
            Source::Mailbox(m) => self.mailbox(m).map(|_| Target::Mailbox(m)),
            Source::Any => Some(Target::Inbox(idx, self.pid_of(idx))),
            Source::Process(_) => None,
        }
    }

    /// Link the process in slot `idx` as a watcher of every endpoint of `set`, which becomes
    /// its `select_set`. O(size of the set).
    pub(crate) fn arm_select(&mut self, idx: u32, set: alloc::vec::Vec<Source>) {
        for (pos, source) in set.iter().enumerate() {
            let Some(target) = self.select_target(idx, *source) else {
                continue;
            };
            let slot = watch_slot(idx, pos);
            self.watch_links.ensure(slot);
            let mut watchers = self.endpoint(target).watchers;
            watchers.push_back(&mut self.watch_links, slot);
            self.endpoint_mut(target).watchers = watchers;
        }
        self.proc_mut(idx).select_set = set;
    }

    /// Unlink the process in slot `idx` from the watchers of every endpoint of its set (it
    /// leaves `select`: woken, timed out, killed). Endpoints gone meanwhile are skipped:
    /// their watchers were unlinked as they went. O(size of the set).
    pub(crate) fn disarm_select(&mut self, idx: u32) {
        let set = core::mem::take(&mut self.proc_mut(idx).select_set);
        for (pos, source) in set.iter().enumerate() {
            let Some(target) = self.select_target(idx, *source) else {
                continue;
            };
            let slot = watch_slot(idx, pos);
            let mut watchers = self.endpoint(target).watchers;
            let linked =
                self.watch_links.of(slot).has_neighbour() || watchers.front() == Some(slot);
            if !linked {
                continue;
            }
            watchers.remove(&mut self.watch_links, slot);
            self.endpoint_mut(target).watchers = watchers;
        }
    }

    /// The longest-waiting watcher of `target`: its slot, and the position of `target` in
    /// its set. O(1).
    pub(crate) fn first_watcher(&self, target: Target) -> Option<(u32, usize)> {
        let slot = self.endpoint(target).watchers.front()?;
        Some((
            slot / MAX_SELECT as u32,
            (slot % MAX_SELECT as u32) as usize,
        ))
    }

    /// The values a receive returns, as the `select` of the process in slot `ridx` returns
    /// them when its message came from `target`: the endpoint's position in its set, from
    /// `SELECT_INDEX_SHIFT` up in the flags register. Unchanged for a plain receiver.
    pub(crate) fn as_selected(&mut self, ridx: u32, target: Target, ret: [u64; 3]) -> [u64; 3] {
        if !matches!(
            self.proc_ref(ridx).blocked().map(|b| b.op),
            Some(BlockedOp::Select { .. })
        ) {
            return ret;
        }
        let set = &self.proc_ref(ridx).select_set;
        let pos = set
            .iter()
            .position(|s| self.select_target(ridx, *s) == Some(target))
            .unwrap_or(0);
        self.proc_mut(ridx).select_cursor = pos + 1;
        [
            ret[0],
            ret[1],
            ret[2] | ((pos as u64) << SELECT_INDEX_SHIFT),
        ]
    }
}
