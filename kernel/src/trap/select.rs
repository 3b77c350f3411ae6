//! `select`: receive from whichever endpoint of a set is ready.
//!
//! The set (at most `MAX_SELECT` endpoints: mailboxes the caller may receive from, and its
//! own inbox) is read from the caller's outgoing bytes and checked whole before anything
//! happens. Then each endpoint is tried as a non-blocking `receive` would try it, starting
//! after the position the caller's previous `select` took from (round robin over the set,
//! so an endpoint that is always ready cannot starve the others): the first that has a
//! message gives it. With none, the caller waits as its mode says, watching every endpoint
//! of the set (`ipc/select.rs`): the first message to reach any of them is handed to it.

use super::{deadline, Refusal, Served};
use crate::process::BlockedOp;
use crate::trace::WaitQueueId;
use crate::Kernel;
use abi::{decode_select_set, Error, Mode, Source, MAX_SELECT, SELECT_INDEX_SHIFT};

impl Kernel {
    /// `select`.
    pub(crate) fn sys_select(
        &mut self,
        idx: u32,
        out: &[u8],
        count: u64,
        buf_len: u64,
        mode: Mode,
    ) -> Result<Served, Refusal> {
        let set = decode_select_set(out, count)?;
        let me = self.pid_of(idx);
        for source in &set {
            if let Source::Mailbox(m) = source {
                if !self.live_mailbox(*m)?.may_receive(me) {
                    return Err(Error::NotOwner.into());
                }
            }
        }
        let n = set.len();
        let start = self.proc_ref(idx).select_cursor % n;
        for k in 0..n {
            let pos = (start + k) % n;
            match self.sys_receive(idx, set[pos], buf_len, Mode::NonBlocking) {
                Ok(Served::Done([sender, len, flags])) => {
                    self.proc_mut(idx).select_cursor = pos + 1;
                    let flags = flags | ((pos as u64) << SELECT_INDEX_SHIFT);
                    return Ok(Served::Done([sender, len, flags]));
                }
                Ok(other) => return Ok(other),
                Err(r) if r.error == Error::WouldBlock => {}
                Err(r) => return Err(r),
            }
        }
        let deadline = deadline(mode, self.clock)?;
        if u64::from(idx) * MAX_SELECT as u64 + n as u64 > u64::from(u32::MAX) {
            // Watch slots are numbered from the process's slot: a kernel configured for more
            // processes than they can number has no slot to arm.
            return Err(Error::OutOfMemory.into());
        }
        self.arm_select(idx, set);
        self.block(
            idx,
            WaitQueueId::Select(me),
            BlockedOp::Select { buf_len },
            deadline,
        );
        Ok(Served::Descheduled)
    }
}
