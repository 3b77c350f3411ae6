//! The syscall ABI: the one contract between userland and the kernel.
//!
//! This crate owns every number that crosses the trap: syscall numbers ([`Sysno`]), the
//! register layout of each call ([`Syscall`], encoded into and decoded from a [`TrapFrame`]),
//! error codes ([`Error`]), identifiers ([`Pid`], [`MailboxId`]), buffering ([`Capacity`],
//! a full mailbox's [`Overflow`] policy, who receives from a mailbox, [`Receivers`], and
//! whether it dies with its owner, [`Lifetime`]), synchronisation modes ([`Mode`],
//! [`IpcFlags`]), the one representation of a message's bytes on both sides ([`Payload`]) and
//! the trap itself ([`Trap`]), the instruction a stub raises and the machine implements.
//!
//! It must never contain policy: what a call *does* belongs to the kernel, how a program
//! *uses* it belongs to `userland`. Both sides encode and decode through the functions here, so
//! a number is written down exactly once. `docs/abi.md` is the human reference for this file.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod error;
mod ids;
mod payload;
mod syscall;
mod trap;

pub use error::Error;
pub use ids::{MailboxId, Pid};
pub use payload::{Payload, INLINE_PAYLOAD};
pub use syscall::{
    decode_select_set, encode_select_set, result_of, Capacity, Dest, IpcFlags, Lifetime, Mode,
    Overflow, Receivers, RecvFlags, Right, SendFlags, Source, Syscall, Sysno, TrapFrame, ARG_REGS,
    CARRY_RECEIVE, CARRY_SEND, MAX_SELECT, RET_REGS, RIGHT_TRAILER_LEN, SELECT_ENTRY_LEN,
    SELECT_INDEX_SHIFT, SPAWN_ARRIVAL_MAX,
};
pub use trap::{Trap, Trapped};

/// Virtual time, in ticks of the simulated clock.
pub type Ticks = u64;

/// The longest mailbox name `create_mailbox` accepts, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// The longest program name or process label `spawn` accepts, in bytes.
pub const MAX_PROGRAM_NAME_LEN: usize = 64;
