//! The trap: the one way a running process enters the kernel.
//!
//! On real hardware a process traps by executing the syscall instruction with the call in
//! its registers. The CPU enters the kernel, which either returns to the same process with
//! the result in its registers, or switches to another one; the result is then written into
//! the saved registers of the process that trapped and restored when it next runs.
//!
//! [`Trap`] is that instruction. A stub fills a [`TrapFrame`] (the number and the argument
//! registers) and hands it, with the outgoing bytes of its IPC buffer, to
//! [`Trap::syscall`]. The answer is either the return registers at once (the process kept
//! its CPU), or "suspended": the process lost its CPU, suspends, and reads the result with
//! [`Trap::resume`] when it is polled again. The registers and the IPC buffer of a
//! suspended call are kept in the process's control block in the kernel; nothing else of a
//! process is shared with it.
//!
//! This module only states the contract; the machine implements it (a program never links
//! against the kernel) and `userland`'s stubs are its only callers.

use crate::{Payload, TrapFrame, RET_REGS};

/// What a trap gave the process that raised it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trapped {
    /// The call finished and the process kept its CPU: the return registers.
    Returned([u64; RET_REGS]),
    /// The process lost its CPU (it blocked, slept, yielded, was preempted, started a CPU
    /// burst, exited, or the machine serves the call later): it must suspend and read its
    /// result with [`Trap::resume`] when it runs again.
    Suspended,
}

/// The syscall instruction of the CPU a process runs on.
///
/// The process that traps is always the one the CPU is running: a handle used from another
/// process's code traps for that process, as the instruction would.
pub trait Trap {
    /// Enter the kernel with `frame`'s number and argument registers (its return registers
    /// are ignored) and `out`, the outgoing bytes of the IPC buffer (a message, a reply, a
    /// name). The kernel reads `out` during the call and copies what it must keep.
    fn syscall(&self, frame: &TrapFrame, out: &[u8]) -> Trapped;

    /// The return registers of the call the process suspended in, now that it runs again;
    /// `None` if the kernel has not finished it (the process was polled without being
    /// resumed: the machine treats a suspension without a finished call as a fault).
    fn resume(&self) -> Option<[u64; RET_REGS]>;

    /// Move the bytes the last finished call received (a message or a reply) out of the
    /// IPC buffer, leaving it empty.
    fn take_received(&self) -> Payload;

    /// The return registers of the last finished call.
    fn last_return(&self) -> [u64; RET_REGS];

    /// The process ran `steps` steps of its own program (an interpreter's statements, say)
    /// since its last trap and would run on without one. A program's own steps take no
    /// time, so its CPU's clock could never move again: the machine ends the run as a
    /// livelock. After this the process suspends without trapping and is never resumed.
    fn stall(&self, steps: u64);
}
