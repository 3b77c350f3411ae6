//! A process's register save area and IPC buffer, shared by the process and the kernel.
//!
//! On real hardware the kernel reads a trapping process's registers and its IPC buffer page;
//! here both sit in a [`Context`] that the process's syscall stubs and the kernel each hold a
//! handle to. The stub writes a frame and raises [`TrapState::Trapped`]; the kernel writes the
//! return registers (at once, or later when it wakes the process) and sets
//! [`TrapState::Returned`]. The two never hold the cell at the same time: a process only runs
//! while the kernel is not.

use crate::TrapFrame;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Where a process's syscall stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrapState {
    /// No syscall in progress: the process is running its own code.
    #[default]
    User,
    /// The process trapped; the frame holds a call the kernel has not finished.
    Trapped,
    /// The kernel finished the call; the return registers hold its result.
    Returned,
}

/// The bytes that travel with a syscall.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpcBuffer {
    /// Outgoing bytes: message, reply, mailbox name, program name.
    pub send: Vec<u8>,
    /// Incoming bytes, written by the kernel: a received message or a reply.
    pub recv: Vec<u8>,
}

/// A process's saved registers and IPC buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The registers of the current (or last) syscall.
    pub frame: TrapFrame,
    /// The message bytes.
    pub ipc: IpcBuffer,
    /// Where the current syscall stands.
    pub state: TrapState,
}

/// The handle both the process and the kernel keep to one [`Context`].
pub type SharedContext = Rc<RefCell<Context>>;
