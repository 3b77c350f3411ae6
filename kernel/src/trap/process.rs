//! The process syscalls: `spawn`, `wait` and `print` (`exit` and `getpid` are one line
//! each in the table).
//!
//! Creating, ending and reaping a process is the `process` room's; these handlers read the
//! caller's arguments and ask it.

use super::{deadline, read_str, Refusal, Served};
use crate::process::{BlockedOp, ProcState};
use crate::trace::{EventKind, WaitQueueId};
use crate::Kernel;
use abi::{Capacity, Error, Mode, Pid, Ticks, MAX_PROGRAM_NAME_LEN};

impl Kernel {
    /// `spawn`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sys_spawn(
        &mut self,
        idx: u32,
        out: &[u8],
        program_len: u64,
        label_len: u64,
        arg: u64,
        inbox: Capacity,
        priority: u8,
        expected_burst: Ticks,
        arrival: Option<Ticks>,
    ) -> Result<Served, Refusal> {
        let program = read_str(out, 0, program_len, MAX_PROGRAM_NAME_LEN)?;
        let label = read_str(out, program_len, label_len, MAX_PROGRAM_NAME_LEN)?;
        let program = self.program_id(&program).ok_or(Error::NoSuchProgram)?;
        let parent = self.pid_of(idx);
        let child = self.create_process_declaring(
            program,
            &label,
            Some(parent),
            arg,
            inbox,
            priority,
            expected_burst,
            arrival,
        )?;
        Ok(Served::Done([child.raw(), 0, 0]))
    }

    /// `wait`.
    pub(crate) fn sys_wait(&mut self, idx: u32, child: Pid, mode: Mode) -> Result<Served, Refusal> {
        let me = self.pid_of(idx);
        let c = self.process(child).ok_or(Error::NoSuchProcess)?;
        if c.parent != Some(me) {
            return Err(Error::NotChild.into());
        }
        if c.state == ProcState::Zombie {
            let code = c.exit_code.unwrap_or(0);
            self.reap(child.index());
            return Ok(Served::Done([code as i64 as u64, child.raw(), 0]));
        }
        let deadline = deadline(mode, self.clock)?;
        self.refuse_deadlock(idx, WaitQueueId::Exit(child))?;
        self.block(
            idx,
            WaitQueueId::Exit(child),
            BlockedOp::Wait { child },
            deadline,
        );
        Ok(Served::Descheduled)
    }

    pub(crate) fn sys_print(&mut self, idx: u32, out: &[u8], len: u64) -> Result<Served, Refusal> {
        let len = self.outgoing_len(out, len)?;
        let text = alloc::string::String::from_utf8_lossy(&out[..len]).into_owned();
        let pid = self.pid_of(idx);
        log::info!("{pid}: {text}");
        self.console.push(crate::ConsoleLine {
            tick: self.clock,
            pid,
            text: text.clone(),
        });
        self.emit(|| EventKind::Print { pid, text });
        Ok(Served::Done([0; 3]))
    }
}
