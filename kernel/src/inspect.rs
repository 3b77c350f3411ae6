//! Inspection: a read-only snapshot of the process table and the mailbox table.
//!
//! This module owns the snapshot types ([`ProcessInfo`], [`MailboxInfo`] and what they are
//! made of) and how they are read off the kernel ([`Kernel::process_table`],
//! [`Kernel::mailbox_table`]). A snapshot says, for every blocked process, exactly which call
//! it is in, on which endpoint, how full that endpoint is at this moment and who could release
//! it, so that a front end (`sim ps`, a deadlock report) can print it without knowing the
//! kernel's internals.
//!
//! It must never change the kernel: everything here takes `&self`, so looking cannot perturb
//! a run. It never formats for people (renderers live in `sim`), and it never panics, whatever
//! state it finds: an id that no longer resolves becomes a `None` in the snapshot, not an
//! error.

use crate::ipc::{Endpoint, Inbox};
use crate::process::{BlockedOp, ProcState, ProcStats, Process};
use crate::trace::{CpuId, WaitQueueId};
use crate::Kernel;
use abi::{Capacity, Dest, Lifetime, MailboxId, Overflow, Pid, Receivers, Source, Ticks};
use alloc::string::String;
use alloc::vec::Vec;

/// How full an endpoint (a mailbox or a direct inbox) is at the moment of the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    /// Messages queued.
    pub queued: usize,
    /// How many it holds before senders wait.
    pub capacity: Capacity,
    /// Bytes the queued messages are charged against the memory limit.
    pub bytes: usize,
}

impl Load {
    fn of(endpoint: &Endpoint) -> Load {
        Load {
            queued: endpoint.queue.len(),
            capacity: endpoint.capacity,
            bytes: endpoint.bytes,
        }
    }

    /// An inbox's load: its endpoint's, or empty at its capacity while it was never used.
    fn of_inbox(inbox: &Inbox) -> Load {
        match inbox.get() {
            Some(endpoint) => Load::of(endpoint),
            None => Load {
                queued: 0,
                capacity: inbox.capacity(),
                bytes: 0,
            },
        }
    }

    /// Whether one more message would exceed the capacity (always, at capacity zero).
    pub fn is_full(&self) -> bool {
        self.capacity.is_full(self.queued)
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }
}

/// A process named in a snapshot, with its name if it still exists (live or zombie).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its pid.
    pub pid: Pid,
    /// Its name; `None` when the pid names no process any more.
    pub name: Option<String>,
}

/// An endpoint a blocked process is sending to (or whose queue holds its call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Which endpoint: a mailbox, or a process's direct inbox.
    pub dest: Dest,
    /// The mailbox's registered name, or the inbox owner's process name; `None` for an
    /// anonymous mailbox or an endpoint that no longer exists.
    pub name: Option<String>,
    /// The mailbox's owner, or the inbox's process: who receives from it.
    pub owner: Option<Pid>,
    /// How full it is now; `None` when it no longer exists.
    pub load: Option<Load>,
}

/// Exactly what a blocked process waits for: the call it is in and the endpoint or peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitOn {
    /// `send`, or the send half of `call`: the message does not fit `to` yet (full, or a
    /// rendezvous with no receiver), and is still in the sender's buffer.
    Send {
        /// Where to.
        to: EndpointInfo,
        /// The message's length in bytes.
        len: usize,
        /// Whether this is the send half of a `call`.
        call: bool,
    },
    /// The reply half of `call`: the message has left the caller.
    Reply {
        /// Where the call went.
        to: EndpointInfo,
        /// Who must reply: the process that received the call (for a direct call, its
        /// destination even before it has received). `None` while a call to a mailbox is
        /// still queued there.
        server: Option<Peer>,
        /// Whether the server has received the call yet.
        received: bool,
    },
    /// `receive` from a mailbox the process owns, which holds nothing.
    ReceiveMailbox {
        /// The mailbox.
        mailbox: EndpointInfo,
    },
    /// `receive(any)` on the process's own inbox, which holds nothing.
    ReceiveAny {
        /// The inbox.
        inbox: Load,
    },
    /// `receive(from pid)`: a symmetric receive that names its sender.
    ReceiveFrom {
        /// The only process whose message it takes.
        from: Peer,
    },
    /// `select` over endpoints that hold nothing it could take.
    Select {
        /// Its set, in its order.
        endpoints: Vec<EndpointInfo>,
    },
    /// `wait(child)`.
    Child {
        /// The child.
        child: Peer,
    },
}

/// A blocked process's wait: what, where, until when, and who could end it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitInfo {
    /// What it waits for.
    pub on: WaitOn,
    /// The wait queue it sits on.
    pub queue: WaitQueueId,
    /// When its timeout fires, if the call is timed.
    pub deadline: Option<Ticks>,
    /// The one process that could release it, when exactly one can (the same answer the
    /// deadlock report uses, [`Kernel::holder`]).
    pub holder: Option<Peer>,
}

/// Where a process is in its life, with what it waits on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateInfo {
    /// Waiting for a CPU.
    Ready,
    /// On a CPU.
    Running {
        /// The CPU it runs on.
        cpu: CpuId,
    },
    /// Waiting on a wait queue.
    Blocked(WaitInfo),
    /// Waiting for the clock.
    Sleeping {
        /// When it wakes.
        until: Ticks,
    },
    /// Exited; its parent has not collected the code yet.
    Zombie {
        /// Its exit code.
        code: Option<i32>,
    },
}

impl StateInfo {
    /// A short name for process tables: `ready`, `running`, `blocked`, `sleeping`, `zombie`.
    pub fn name(&self) -> &'static str {
        match self {
            StateInfo::Ready => "ready",
            StateInfo::Running { .. } => "running",
            StateInfo::Blocked(_) => "blocked",
            StateInfo::Sleeping { .. } => "sleeping",
            StateInfo::Zombie { .. } => "zombie",
        }
    }

    /// The wait, if blocked.
    pub fn wait(&self) -> Option<&WaitInfo> {
        match self {
            StateInfo::Blocked(w) => Some(w),
            _ => None,
        }
    }
}

/// One row of the process table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Its pid (with the slot's generation).
    pub pid: Pid,
    /// Its name.
    pub name: String,
    /// Who spawned it, while that process lives.
    pub parent: Option<Pid>,
    /// Its scheduling priority.
    pub priority: u8,
    /// The priority it runs at now: `priority`, or a higher one lent by the processes
    /// waiting for it to receive or reply (priority inheritance).
    pub effective_priority: u8,
    /// Where it is in its life, and what it waits on.
    pub state: StateInfo,
    /// When it entered its current state (for a blocked process: when it first blocked in
    /// this call, even if the call has since moved to another queue).
    pub since: Ticks,
    /// It is a daemon (`KernelConfig::daemons`): the run does not wait for it.
    pub daemon: bool,
    /// Its direct inbox now.
    pub inbox: Load,
    /// The mailboxes it owns, in the order it came to own them (modulo removals).
    pub owned: Vec<MailboxId>,
    /// Its accounting up to the snapshot, including the time spent in its current state so
    /// far.
    pub stats: ProcStats,
}

/// One row of the mailbox table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxInfo {
    /// Its id.
    pub id: MailboxId,
    /// Its registered name.
    pub name: Option<String>,
    /// Its owner; `None` for a mailbox the system owns whose owner exited with no receiver
    /// to inherit it.
    pub owner: Option<Peer>,
    /// How many messages it holds before senders wait.
    pub capacity: Capacity,
    /// What a send does when it is full.
    pub overflow: Overflow,
    /// Who may receive and which waiting receiver a message goes to.
    pub receivers: Receivers,
    /// Whether it dies with its owner.
    pub lifetime: Lifetime,
    /// The live processes granted the receive privilege besides the owner, in grant order.
    pub granted: Vec<Peer>,
    /// How many receivers wait in `receive` on it (at most 1 unless it is shared).
    pub receivers_waiting: usize,
    /// Messages queued now.
    pub queued: usize,
    /// Bytes the queued messages are charged against the memory limit.
    pub queued_bytes: usize,
    /// Senders (and callers) waiting for room, or at capacity zero for the owner to receive.
    pub senders_waiting: usize,
    /// Whether a receiver waits in `receive` on it.
    pub receiver_waiting: bool,
    /// Callers whose call is queued here, waiting for the owner to receive it.
    pub callers_waiting: usize,
}

impl Kernel {
    /// Every process in the slab (live and zombie), in slot order, as it is now.
    pub fn process_table(&self) -> Vec<ProcessInfo> {
        self.procs
            .iter()
            .map(|(_, p)| self.process_info(p))
            .collect()
    }

    /// Every live mailbox, in slot order, as it is now.
    pub fn mailbox_table(&self) -> Vec<MailboxInfo> {
        self.mailboxes
            .iter()
            .map(|(_, mb)| MailboxInfo {
                id: mb.id,
                name: mb.name.clone(),
                owner: mb.owner.map(|o| self.peer(o)),
                capacity: mb.endpoint.capacity,
                overflow: mb.endpoint.overflow,
                receivers: mb.receivers,
                lifetime: mb.lifetime,
                granted: self
                    .live_granted(mb.id)
                    .into_iter()
                    .map(|p| self.peer(p))
                    .collect(),
                receivers_waiting: mb.endpoint.receiver.len(),
                queued: mb.endpoint.queue.len(),
                queued_bytes: mb.endpoint.bytes,
                senders_waiting: mb.endpoint.senders.len(),
                receiver_waiting: !mb.endpoint.receiver.is_empty(),
                callers_waiting: mb.callers.len(),
            })
            .collect()
    }

    fn process_info(&self, p: &Process) -> ProcessInfo {
        let state = match p.state {
            ProcState::Ready => StateInfo::Ready,
            ProcState::Running(cpu) => StateInfo::Running { cpu },
            ProcState::Sleeping { until } => StateInfo::Sleeping { until },
            ProcState::Zombie => StateInfo::Zombie { code: p.exit_code },
            ProcState::Blocked => StateInfo::Blocked(WaitInfo {
                on: self.wait_on(p, p.wait.op),
                queue: p.wait.queue,
                deadline: p.wait.deadline,
                holder: self.holder(p.wait.queue).map(|h| self.peer(h)),
            }),
        };
        // The kernel charges a state's time when the process leaves it; a snapshot taken in
        // the middle adds what has accrued so far, so totals are true at this moment.
        let mut stats = p.stats;
        let spent = self.clock.saturating_sub(p.since);
        match p.state {
            ProcState::Ready => stats.ready += spent,
            ProcState::Running(_) => stats.cpu += spent,
            ProcState::Blocked => stats.blocked += spent,
            ProcState::Sleeping { .. } => stats.sleeping += spent,
            ProcState::Zombie => {}
        }
        ProcessInfo {
            pid: p.pid,
            name: String::from(&*p.name),
            parent: p.parent,
            priority: p.priority,
            effective_priority: p.effective_priority,
            state,
            since: p.since,
            daemon: p.daemon,
            inbox: Load::of_inbox(&p.inbox),
            owned: p.owned.clone(),
            stats,
        }
    }

    /// Read a blocked process's call off its `BlockedOp`.
    fn wait_on(&self, p: &Process, op: BlockedOp) -> WaitOn {
        match op {
            BlockedOp::Select { .. } => WaitOn::Select {
                endpoints: p
                    .select_set
                    .iter()
                    .map(|s| match *s {
                        Source::Mailbox(m) => self.endpoint_info(Dest::Mailbox(m)),
                        Source::Any | Source::Process(_) => {
                            self.endpoint_info(Dest::Process(p.pid))
                        }
                    })
                    .collect(),
            },
            BlockedOp::Send { dest, len, call } => WaitOn::Send {
                to: self.endpoint_info(dest),
                len,
                call: call.is_some(),
            },
            BlockedOp::AwaitReply {
                dest,
                server,
                received,
                ..
            } => WaitOn::Reply {
                to: self.endpoint_info(dest),
                server: server.map(|s| self.peer(s)),
                received,
            },
            BlockedOp::Receive { source, .. } => match source {
                Source::Mailbox(m) => WaitOn::ReceiveMailbox {
                    mailbox: self.endpoint_info(Dest::Mailbox(m)),
                },
                Source::Any => WaitOn::ReceiveAny {
                    inbox: Load::of_inbox(&p.inbox),
                },
                Source::Process(from) => WaitOn::ReceiveFrom {
                    from: self.peer(from),
                },
            },
            BlockedOp::Wait { child } => WaitOn::Child {
                child: self.peer(child),
            },
        }
    }

    fn peer(&self, pid: Pid) -> Peer {
        Peer {
            pid,
            name: self.process(pid).map(|p| String::from(&*p.name)),
        }
    }

    fn endpoint_info(&self, dest: Dest) -> EndpointInfo {
        match dest {
            Dest::Mailbox(m) => match self.mailbox(m) {
                Some(mb) => EndpointInfo {
                    dest,
                    name: mb.name.clone(),
                    owner: mb.owner,
                    load: Some(Load::of(&mb.endpoint)),
                },
                None => EndpointInfo {
                    dest,
                    name: None,
                    owner: None,
                    load: None,
                },
            },
            Dest::Process(pid) => match self.process(pid) {
                Some(p) => EndpointInfo {
                    dest,
                    name: Some(String::from(&*p.name)),
                    owner: Some(pid),
                    load: Some(Load::of_inbox(&p.inbox)),
                },
                None => EndpointInfo {
                    dest,
                    name: None,
                    owner: None,
                    load: None,
                },
            },
        }
    }
}
