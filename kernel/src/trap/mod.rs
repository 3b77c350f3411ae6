//! The trap table: from a trapping process's frame to the syscall that serves it.
//!
//! This module owns decoding and dispatch, and the words for a call's end. It reads the
//! frame through [`Syscall::decode`] (the ABI is defined once, in `abi`) and runs the
//! handler, whose answer is what became of the call (`Served`: finished with these values,
//! computing, off its CPU, exited) or why it was refused (`Refusal`: an error and its
//! detail register). The kernel's entry (`entry.rs`) writes a finished or refused call's
//! return registers (`registers`) and turns the rest into what the CPU does next. It never
//! trusts the frame: any register contents end in a result or an error code.
//!
//! The handlers are grouped by family, one file each: `ipc` (send, call, receive, reply),
//! `mailbox` (create, lookup, delete, transfer), `process` (spawn, wait, print; exit and
//! getpid are one line each in the table) and `time` (yield, sleep, compute). Each reads its
//! arguments with the helpers here (`read_str`, `deadline`, `outgoing_len`) and works on
//! the rooms (`ipc`, `process`, `sched`) through their operations.

mod ipc;
mod mailbox;
mod process;
mod select;
mod time;

use crate::process::TrapState;
use crate::trace::{EventKind, ExitReason};
use crate::Kernel;
use abi::{Error, Mode, Pid, Syscall, Ticks, TrapFrame, RET_REGS};
use alloc::string::String;

/// What became of a call the trap table took on (a call it refused is a [`Refusal`]
/// instead): the handlers answer it, and the kernel's entry acts on it (`entry.rs`).
pub(crate) enum Served {
    /// The call finished with these values (the return registers after status 0); the
    /// caller keeps its CPU.
    Done([u64; 3]),
    /// The caller keeps its CPU to compute a burst; the call finishes when the burst is done.
    Compute,
    /// The caller gave up its CPU: it blocked or sleeps (whoever releases it writes its
    /// result), or yielded (its call is already finished).
    Descheduled,
    /// The caller exited.
    Exited,
}

/// Why the kernel refused a call, as the caller's return registers carry it
/// ([`registers`]): the error's code in the status register, `detail` in the first value
/// register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// What went wrong.
    pub(crate) error: Error,
    /// What the caller needs to try again: the length it needs, for `BufferTooSmall`; the
    /// longest message the kernel takes, for `MessageTooLarge`; 0 for every other error.
    pub(crate) detail: u64,
}

impl Refusal {
    /// A buffer too small for what was to go in it: the caller learns the length it needs.
    pub(crate) fn buffer_too_small(needed: u64) -> Refusal {
        Refusal {
            error: Error::BufferTooSmall,
            detail: needed,
        }
    }

    /// A message longer than the kernel takes: the caller learns the `limit`.
    pub(crate) fn message_too_large(limit: u64) -> Refusal {
        Refusal {
            error: Error::MessageTooLarge,
            detail: limit,
        }
    }
}

impl From<Error> for Refusal {
    /// An error that tells the caller nothing more (detail 0).
    #[inline]
    fn from(error: Error) -> Refusal {
        Refusal { error, detail: 0 }
    }
}

/// A call's result as its return registers: status 0 and the values, or the refusal's error
/// code and detail.
#[inline]
pub(crate) fn registers(result: Result<[u64; RET_REGS - 1], Refusal>) -> [u64; RET_REGS] {
    match result {
        Ok([a, b, c]) => [0, a, b, c],
        Err(Refusal { error, detail }) => [error.code(), detail, 0, 0],
    }
}

impl Kernel {
    /// Serve the trap of the process in slot `idx`, running on its CPU: decode the frame and
    /// run the handler. What became of the call, or why it was refused; the entry writes
    /// the result of a finished or refused call.
    // Inline: the entry matches the answer at once, so it never needs to exist in memory.
    #[inline]
    pub(crate) fn serve(
        &mut self,
        idx: u32,
        frame: &TrapFrame,
        out: &[u8],
    ) -> Result<Served, Refusal> {
        let p = self.proc_mut(idx);
        p.stats.syscalls += 1;
        p.sysno = frame.sysno;
        p.trap = TrapState::Trapped;
        let pid = p.pid;
        let call = match Syscall::decode(frame) {
            Ok(call) => call,
            Err(error) => return Err(self.bad_syscall(idx, frame.sysno, error)),
        };
        if self.trace.enabled() || log::log_enabled!(log::Level::Debug) {
            self.note_call(pid, frame);
        }
        self.table(idx, call, out)
    }

    /// A frame that does not decode: its error is the call's result.
    #[cold]
    #[inline(never)]
    pub(crate) fn bad_syscall(&mut self, idx: u32, sysno: u64, error: abi::Error) -> Refusal {
        let pid = self.pid_of(idx);
        self.emit(|| EventKind::BadSyscall { pid, sysno, error });
        error.into()
    }

    /// Say what `pid` called, in the trace and the kernel's debug log (the frame decoded,
    /// so it decodes again to the same call).
    #[inline(never)]
    pub(crate) fn note_call(&mut self, pid: Pid, frame: &TrapFrame) {
        let Ok(call) = Syscall::decode(frame) else {
            return;
        };
        let (tick, cpu) = self.trace.stamped();
        log::debug!("t={tick} cpu{cpu} {pid} {call}");
        self.emit(|| EventKind::Syscall { pid, call });
    }

    /// The trap table proper: one arm per syscall.
    #[inline(always)]
    pub(crate) fn table(&mut self, idx: u32, call: Syscall, out: &[u8]) -> Result<Served, Refusal> {
        match call {
            Syscall::CreateMailbox {
                capacity,
                name_len,
                overflow,
                receivers,
                lifetime,
            } => {
                self.sys_create_mailbox(idx, out, capacity, name_len, overflow, receivers, lifetime)
            }
            Syscall::DeleteMailbox { mailbox } => self.sys_delete_mailbox(idx, mailbox),
            Syscall::LookupMailbox { name_len } => self.sys_lookup_mailbox(out, name_len),
            Syscall::TransferMailbox { mailbox, to } => self.sys_transfer_mailbox(idx, mailbox, to),
            Syscall::Send { dest, len, mode } => self.sys_send(idx, out, dest, len, mode, None),
            Syscall::Receive {
                source,
                buf_len,
                mode,
            } => self.sys_receive(idx, source, buf_len, mode),
            Syscall::Call {
                dest,
                len,
                mode,
                reply_len,
            } => self.sys_send(idx, out, dest, len, mode, Some(reply_len)),
            Syscall::Reply { to, len } => self.sys_reply(idx, out, to, len),
            Syscall::Spawn {
                program_len,
                label_len,
                arg,
                inbox,
                priority,
                expected_burst,
                arrival,
            } => self.sys_spawn(
                idx,
                out,
                program_len,
                label_len,
                arg,
                inbox,
                priority,
                expected_burst,
                arrival,
            ),
            Syscall::Exit { code } => {
                self.exit_process(idx, code, ExitReason::Exit);
                Ok(Served::Exited)
            }
            Syscall::Wait { child, mode } => self.sys_wait(idx, child, mode),
            Syscall::GetPid => Ok(Served::Done([self.pid_of(idx).raw(), 0, 0])),
            Syscall::Yield => self.sys_yield(idx),
            Syscall::Sleep { ticks } => self.sys_sleep(idx, ticks),
            Syscall::Compute { ticks } => self.sys_compute(idx, ticks),
            Syscall::Print { len } => self.sys_print(idx, out, len),
            Syscall::GrantReceive { mailbox, to } => self.sys_grant_receive(idx, mailbox, to),
            Syscall::RevokeReceive { mailbox, from } => self.sys_revoke_receive(idx, mailbox, from),
            Syscall::Select {
                count,
                buf_len,
                mode,
            } => self.sys_select(idx, out, count, buf_len, mode),
            Syscall::SendRight {
                dest,
                len,
                mode,
                right,
            } => self.sys_send_right(idx, out, dest, len, mode, right),
            Syscall::GrantSend { mailbox, to } => self.sys_grant_send(idx, mailbox, to),
        }
    }
}

/// A UTF-8 string of `len` bytes (at most `max`) at `offset` in the caller's outgoing bytes.
pub(crate) fn read_str(out: &[u8], offset: u64, len: u64, max: usize) -> Result<String, Refusal> {
    if len > max as u64 {
        return Err(Error::InvalidArgument.into());
    }
    let end = offset.checked_add(len).ok_or(Error::InvalidArgument)?;
    let bytes = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(from, to)| out.get(from..to))
        .ok_or(Error::InvalidArgument)?;
    core::str::from_utf8(bytes)
        .map(String::from)
        .map_err(|_| Error::InvalidArgument.into())
}

/// The deadline a mode sets, or the error it gives instead of waiting.
pub(crate) fn deadline(mode: Mode, now: Ticks) -> Result<Option<Ticks>, Refusal> {
    match mode {
        Mode::Blocking => Ok(None),
        Mode::NonBlocking => Err(Error::WouldBlock.into()),
        Mode::Timeout(0) => Err(Error::TimedOut.into()),
        Mode::Timeout(t) => Ok(Some(now.saturating_add(t))),
    }
}

impl Kernel {
    /// Check an outgoing length against the kernel limit and the caller's buffer.
    pub(crate) fn outgoing_len(&self, out: &[u8], len: u64) -> Result<usize, Refusal> {
        if len > self.config.max_message as u64 {
            return Err(Refusal::message_too_large(self.config.max_message as u64));
        }
        if len > out.len() as u64 {
            return Err(Error::InvalidArgument.into());
        }
        Ok(len as usize)
    }
}
