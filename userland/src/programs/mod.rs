//! Example programs, one per part of the message-passing model.
//!
//! Each module holds one main program plus the helper programs it spawns. Helpers are named
//! with the main program's name and a dot (`bounded_buffer.producer`), so a front end can
//! list only the main programs. Every main program reads `arg` as a count and treats 0 as
//! "use the default"; each exits 0 on success and 1 (after printing what failed) when a
//! syscall fails unexpectedly or a child exits non-zero.
//!
//! | program          | shows                                                        | `arg` (0 = default)   |
//! |------------------|--------------------------------------------------------------|-----------------------|
//! | `ping_pong`      | rendezvous through zero-capacity mailboxes found by name     | rounds (3)            |
//! | `bounded_buffer` | producers and the owning consumer of a bounded mailbox       | producers (3)         |
//! | `rpc`            | `call` / `reply` against a server receiving from anyone      | clients (2)           |
//! | `transfer`       | moving a mailbox and its queued messages to another owner    | jobs (3, at most 4)   |
//! | `prime_sieve`    | a pipeline of processes over bounded direct inboxes          | primes below N (100)  |
//! | `deadlock`       | two symmetric receives waiting on each other; the cycle report | unused                |
//! | `w1_mailbox` … `w4_wake_all` | the performance workloads ([`workloads`])         | see [`workloads`]     |

use crate::ProgramTable;

pub mod bounded_buffer;
pub mod deadlock;
pub mod ping_pong;
pub mod prime_sieve;
pub mod rpc;
mod support;
pub mod transfer;
pub mod workloads;

/// Every built-in example program, main programs in the order of the table above, each
/// followed by its helpers.
pub fn builtin() -> ProgramTable {
    let mut table = ProgramTable::new();
    ping_pong::register(&mut table);
    bounded_buffer::register(&mut table);
    rpc::register(&mut table);
    transfer::register(&mut table);
    prime_sieve::register(&mut table);
    deadlock::register(&mut table);
    workloads::register(&mut table);
    table
}
