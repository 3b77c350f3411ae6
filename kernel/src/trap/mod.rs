//! The trap table: from a trapping process's frame to the syscall that serves it.
//!
//! This module owns decoding and dispatch only. It reads the frame through
//! [`Syscall::decode`] (the ABI is defined once, in `abi`), runs the handler, and turns the
//! handler's answer into return registers and what became of the caller, which the kernel's
//! entry (`entry.rs`) turns into what its CPU does next. It never trusts the frame: any
//! register contents end in a result or an error code.

use crate::entry::Served;
use crate::process::{ProcState, TrapState};
use crate::trace::{EventKind, ExitReason};
use crate::{Fail, Kernel};
use abi::{Pid, Syscall, TrapFrame};

/// What a handler did with the call.
pub(crate) enum Flow {
    /// Finished now: the return values.
    Done([u64; 3]),
    /// The caller blocked or sleeps; whoever releases it writes its result.
    Wait,
    /// The caller gave up its CPU; its call is finished.
    Yield,
    /// The caller exited.
    Exit,
    /// A child was created: the caller continues with its pid.
    Spawned(Pid),
    /// The caller started a CPU burst.
    Compute,
}

impl Kernel {
    /// Serve the trap of the process in slot `idx`, running on its CPU: decode the frame,
    /// run the handler, write the result (now, or later for a call that blocks).
    pub(crate) fn serve(&mut self, idx: u32, frame: &TrapFrame, out: &[u8]) -> Served {
        let p = self.proc_mut(idx);
        p.stats.syscalls += 1;
        p.sysno = frame.sysno;
        p.trap = TrapState::Trapped;
        let pid = p.pid;
        let call = match Syscall::decode(frame) {
            Ok(call) => call,
            Err(error) => return self.bad_syscall(idx, frame.sysno, error),
        };
        if self.trace.enabled() || log::log_enabled!(log::Level::Debug) {
            self.note_call(pid, frame);
        }
        match self.table(idx, call, out) {
            Ok(Flow::Done(values)) => {
                self.complete(idx, Ok(values));
                Served::Finished
            }
            Err(fail) => {
                self.complete(idx, Err(fail));
                Served::Finished
            }
            Ok(Flow::Spawned(child)) => {
                self.complete(idx, Ok([child.raw(), 0, 0]));
                Served::Finished
            }
            Ok(Flow::Compute) => Served::Compute,
            Ok(Flow::Wait) | Ok(Flow::Yield) => Served::Descheduled,
            Ok(Flow::Exit) => Served::Exited,
        }
    }

    /// A frame that does not decode: its error is the call's result.
    #[cold]
    #[inline(never)]
    fn bad_syscall(&mut self, idx: u32, sysno: u64, error: abi::Error) -> Served {
        let pid = self.pid_of(idx);
        self.emit(|| EventKind::BadSyscall { pid, sysno, error });
        self.complete(idx, Err((error, 0)));
        Served::Finished
    }

    /// Say what `pid` called, in the trace and the kernel's debug log (the frame decoded,
    /// so it decodes again to the same call).
    #[inline(never)]
    fn note_call(&mut self, pid: Pid, frame: &TrapFrame) {
        let Ok(call) = Syscall::decode(frame) else {
            return;
        };
        log::debug!("t={} cpu{} {} {}", self.now, self.cpu, pid, call);
        self.emit(|| EventKind::Syscall { pid, call });
    }

    /// The trap table proper: one arm per syscall.
    #[inline(always)]
    fn table(&mut self, idx: u32, call: Syscall, out: &[u8]) -> Result<Flow, Fail> {
        match call {
            Syscall::CreateMailbox {
                capacity,
                name_len,
                overflow,
            } => self.sys_create_mailbox(idx, out, capacity, name_len, overflow),
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
            } => self.sys_spawn(
                idx,
                out,
                program_len,
                label_len,
                arg,
                inbox,
                priority,
                expected_burst,
            ),
            Syscall::Exit { code } => {
                self.exit_process(idx, code, ExitReason::Exit);
                Ok(Flow::Exit)
            }
            Syscall::Wait { child, mode } => self.sys_wait(idx, child, mode),
            Syscall::GetPid => Ok(Flow::Done([self.pid_of(idx).raw(), 0, 0])),
            Syscall::Yield => self.sys_yield(idx),
            Syscall::Sleep { ticks } => self.sys_sleep(idx, ticks),
            Syscall::Compute { ticks } => {
                if ticks == 0 {
                    return Ok(Flow::Done([0; 3]));
                }
                self.proc_mut(idx).burst = ticks;
                Ok(Flow::Compute)
            }
            Syscall::Print { len } => self.sys_print(idx, out, len),
        }
    }

    /// Check every invariant when configured to; called at the end of every kernel entry.
    #[inline]
    pub(crate) fn checkpoint(&self) {
        if self.config.check_invariants {
            self.check_now();
        }
    }

    #[inline(never)]
    fn check_now(&self) {
        if let Err(violation) = self.check_invariants() {
            panic!(
                "kernel invariant violated at tick {}: {violation}",
                self.now
            );
        }
    }

    fn sys_yield(&mut self, idx: u32) -> Result<Flow, Fail> {
        let pid = self.pid_of(idx);
        self.complete(idx, Ok([0; 3]));
        self.mark_not_running(idx, crate::sched::StopReason::Yielded);
        let now = self.now;
        self.proc_mut(idx).set_state(ProcState::Ready, now);
        self.emit(|| EventKind::Yield { pid });
        let info = self.ready_info(idx, crate::sched::ReadyReason::Yielded);
        self.sched.enqueue(info);
        Ok(Flow::Yield)
    }

    fn sys_sleep(&mut self, idx: u32, ticks: abi::Ticks) -> Result<Flow, Fail> {
        if ticks == 0 {
            return self.sys_yield(idx);
        }
        let pid = self.pid_of(idx);
        let until = self.now.saturating_add(ticks);
        self.mark_not_running(idx, crate::sched::StopReason::Slept);
        let now = self.now;
        self.proc_mut(idx)
            .set_state(ProcState::Sleeping { until }, now);
        self.arm_timer(idx, until);
        self.emit(|| EventKind::Sleep { pid, until });
        Ok(Flow::Wait)
    }

    fn sys_print(&mut self, idx: u32, out: &[u8], len: u64) -> Result<Flow, Fail> {
        let len = self.outgoing_len(out, len)?;
        let text = alloc::string::String::from_utf8_lossy(&out[..len]).into_owned();
        let pid = self.pid_of(idx);
        log::info!("{pid}: {text}");
        self.console.push(crate::ConsoleLine {
            tick: self.now,
            pid,
            text: text.clone(),
        });
        self.emit(|| EventKind::Print { pid, text });
        Ok(Flow::Done([0; 3]))
    }
}
