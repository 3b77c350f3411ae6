//! The program side of the machine: typed syscall stubs, example programs and the scenario
//! language.
//!
//! This crate depends on `abi` alone. A program reaches the kernel only through a trap raised
//! by a stub in [`sys`], exactly as a program on real hardware would; it never links against
//! the kernel. [`programs`] holds the example programs the `sim` command line runs;
//! [`scenario`] parses, checks and interprets scenario files, as ordinary programs.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod program;
pub mod programs;
pub mod scenario;
pub mod sys;
pub mod work;

pub use abi::{
    Capacity, Dest, Error, Lifetime, MailboxId, Mode, Overflow, Payload, Pid, Receivers, Right,
    Source,
};
pub use program::{Entry, ProcessFuture, Program, ProgramTable};
pub use sys::{MailboxOptions, Message, SpawnOptions, Sys, SysResult};
