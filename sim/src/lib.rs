//! The simulated machine and its tools.
//!
//! This crate is the hardware and the workbench around the kernel: [`machine`] is the CPUs
//! with their clocks, the timer and the loop that drives the kernel, with what a run produced
//! ([`machine::report`]) and the plan of faults a run injects ([`machine::fault_plan`]: kills,
//! lost and delayed messages, clock jumps); [`render`] shows the trace in every format (text, JSON lines, Chrome
//! trace, Gantt, SVG, statistics, the process table, a plain-words explanation);
//! [`scenario`] connects the scenario language to the machine; [`policy`] turns a policy's
//! name and settings, as a user writes them, into a kernel `Policy`; [`limits`] bounds the
//! machine settings a user gives (CPUs, PCT's depth); [`explore`] runs a target under many
//! schedules and sorts what failed; [`cli`] is the whole command
//! line, which the `sim` binary runs over the built-in programs and a program of yours can
//! run over its own; [`testing`] runs a program as a test wants it run (invariants checked,
//! every message accounted for, no process panicked).
//!
//! It must never reach into the kernel's decisions: it only calls the kernel's entry points
//! and reads what the kernel reports.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod explore;
pub mod limits;
pub mod machine;
pub mod policy;
pub mod render;
pub mod scenario;
pub mod testing;

pub use kernel::sched::Policy;
pub use kernel::KernelConfig;
pub use limits::MAX_CPUS;
pub use machine::fault_plan::{FaultAt, FaultPlan};
pub use machine::report::{CpuStats, MachineStats, Outcome, Report};
pub use machine::{Costs, Machine, MachineConfig, RunQueues};
