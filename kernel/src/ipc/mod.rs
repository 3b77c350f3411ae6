//! Inter-process communication: endpoints, mailboxes, wait queues, and the paths of `send`,
//! `receive`, `call` and `reply`.
//!
//! A message is always in exactly one place: in its sender's IPC buffer while the sender is
//! blocked with it, in one endpoint's queue, or in its receiver's buffer once taken. The
//! kernel stamps the sender's pid on every message; nothing a sender writes can change it.
//!
//! This module never schedules: it blocks and wakes processes through the kernel's helpers,
//! and the scheduler hears of it as "ready" (and, with priority inheritance on, of effective
//! priorities lent along the wait-for graph: `waitfor`).

mod endpoint;
mod mailbox;
mod ops;
mod waitfor;
mod waitqueue;

pub use endpoint::{Counts, Endpoint, Message, Payload, INLINE_PAYLOAD, MESSAGE_OVERHEAD};
pub use mailbox::Mailbox;
pub(crate) use ops::{deadline, read_str, FaultState};
pub use waitqueue::{Link, Links, WaitQueue, WaitQueueId};
