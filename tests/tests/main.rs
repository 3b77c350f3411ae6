//! The system tests: the whole system, black box, in one binary.
//!
//! Each module is one subject, tested through what a user has: programs against the `Sys`
//! stubs, scenario files, the machine's report and its traces (many as insta snapshots in
//! `snapshots/`). The helpers they share (a checked machine, logs, the hostile-input
//! decoders) are the `testkit` crate's.
//!
//! | module | subject |
//! | --- | --- |
//! | `semantics` | the message-passing semantics, one test per rule |
//! | `errors` | every error code, provoked from a running program |
//! | `security` | every id-naming syscall against every way a name can be wrong |
//! | `ownership`, `overflow`, `limits` | mailbox ownership, overflow policies, the kernel's limits |
//! | `ipc_priority` | priority inheritance and deadlock refusal along the wait-for graph |
//! | `policies` | the scheduling policies on textbook workloads |
//! | `faults` | fault injection and what the kernel promises under it |
//! | `livelock` | runs whose time stops end as livelocks |
//! | `examples`, `tutorial` | the built-in programs and the tutorial's program |
//! | `scenarios`, `hostile_language`, `scenario_properties` | the scenario language end to end, under hostile text, and as a property |
//! | `properties`, `trap_fuzz` | random programs and random trap frames against the machine |
//! | `workloads` | the performance workloads, and one kernel entry per trap |
//! | `soak` | the soak's scenario generator: what it writes loads, ends and balances |
//! | `rights` | rights carried in messages, capability mode and the rights ledger |
//! | `select` | one receive over a set of endpoints: modes, fairness, wake-ups, wrong sets |
//! | `shared_receive` | mailboxes with several receivers: policies, grants, owner- and system-owned mailboxes |
//! | `timeout_zero` | a zero timeout on every call that takes a mode: try once, time out at once |
//! | `textbook` | textbook scheduling from scenarios: arrivals, the priority conventions, the textbook view and the book's examples |

mod errors;
mod examples;
mod faults;
mod hostile_language;
mod ipc_priority;
mod limits;
mod livelock;
mod overflow;
mod ownership;
mod policies;
mod properties;
mod rights;
mod scenario_properties;
mod scenarios;
mod security;
mod select;
mod semantics;
mod shared_receive;
mod soak;
mod textbook;
mod timeout_zero;
mod trap_fuzz;
mod tutorial;
mod workloads;
