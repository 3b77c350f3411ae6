//! Random programs against the whole machine.
//!
//! A case is 2–5 processes, each running a random list of 1–30 operations drawn from every
//! syscall (and raw trap frames with random registers and bytes), aimed at ids the processes
//! learned during the run, stale ids and random numbers; `spawn` starts children with
//! scripts of their own. Most calls that could wait are non-blocking or timed, a few block
//! (a deadlock is a legal end). Cases also pick the scheduling policy and may set low
//! kernel limits. The machine runs each case with every kernel invariant checked after
//! every kernel entry (the kernel panics on a violation). Properties:
//!
//! - nothing panics outside the processes (the kernel, the machine), and no process panics
//!   or faults (the programs only record what they saw);
//! - the message ledger balances: sent = received + dropped + queued, and so does every
//!   endpoint's, the endpoints' adding up to the total;
//! - every message is read by exactly one receiver, even from a mailbox several processes
//!   share (a second take of a message would be out of its sender's order);
//! - the run ends completed (everyone exited, nothing left queued but in mailboxes the
//!   system owns), deadlocked (someone is
//!   blocked, and nobody blocked has exited) or at the tick limit;
//! - what each call returned agrees with `docs/abi.md`: an error is one the call lists for
//!   its destination and mode; a message arrives intact, stamped with its real sender,
//!   flagged as a call exactly when it is one, after the earlier messages of its sender to
//!   the same endpoint; a reply comes from the process that received the request; ids are
//!   never issued twice; `wait` collects the code the child exited with;
//! - once nothing can run, the kernel's counts match what the programs saw: messages
//!   received, lines printed.
//!
//! 2,000 cases run by default (a few seconds in a debug build); set `PROPTEST_CASES`
//! to hunt longer. Failures are not persisted: the shrunk case is in the failure message.

use abi::{
    Capacity, Dest, Error, Lifetime, MailboxId, Mode, Pid, Receivers, Source, Sysno, RET_REGS,
};
use kernel::trace::{EventKind, ExitReason};
use proptest::collection::vec;
use proptest::prelude::*;
use sim::{Machine, MachineConfig, Outcome, Policy, Report};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use userland::{MailboxOptions, ProgramTable, SpawnOptions, Sys, SysResult};

/// Runs stop here at the latest.
const MAX_TICKS: u64 = 20_000;

// ----- the programs a case is made of -----

/// A process, by how a program finds it at run time.
#[derive(Clone, Copy, Debug)]
enum PidRef {
    /// The caller itself.
    Me,
    /// The nth most recent pid anyone learned this run (from spawn or getpid).
    Known(usize),
    /// The nth most recently started process that has not finished its script yet.
    Running(usize),
    /// The caller's nth most recent child.
    Child(usize),
    /// Whoever sent the caller its last message.
    LastSender,
    /// A known pid with another generation: stale, or not issued yet.
    Stale(usize),
    /// Any number at all.
    Raw(u64),
}

/// A mailbox, by how a program finds it at run time.
#[derive(Clone, Copy, Debug)]
enum MbRef {
    /// The nth most recent mailbox id anyone learned this run (create, lookup).
    Known(usize),
    /// The nth most recent mailbox the caller created.
    Mine(usize),
    /// A known id with another generation.
    Stale(usize),
    /// Any number at all.
    Raw(u64),
}

/// Where a `send` or `call` goes.
#[derive(Clone, Copy, Debug)]
enum SendTo {
    Process(PidRef),
    Mailbox(MbRef),
}

/// Where a `receive` takes from.
#[derive(Clone, Copy, Debug)]
enum RecvFrom {
    Any,
    Process(PidRef),
    Mailbox(MbRef),
}

/// Mailbox names: a few that collide, and one that is too long.
#[derive(Clone, Copy, Debug)]
enum Name {
    A,
    B,
    Svc,
    TooLong,
}

impl Name {
    fn text(self) -> String {
        match self {
            Name::A => "a".into(),
            Name::B => "b".into(),
            Name::Svc => "svc".into(),
            Name::TooLong => "n".repeat(abi::MAX_NAME_LEN + 1),
        }
    }
}

/// One step of a program.
#[derive(Clone, Debug)]
enum Op {
    Create {
        capacity: Capacity,
        name: Option<Name>,
        receivers: Receivers,
        lifetime: Lifetime,
    },
    Lookup(Name),
    Delete(MbRef),
    Transfer(MbRef, PidRef),
    Grant(MbRef, PidRef),
    Revoke(MbRef, PidRef),
    /// `send_right` carrying the receive right (`receive`) or a send right on `right`.
    PassRight {
        to: SendTo,
        len: usize,
        mode: Mode,
        receive: bool,
        right: MbRef,
    },
    GrantSend(MbRef, PidRef),
    /// `select` over mailboxes (`Some`) and the inbox (`None`).
    Select {
        set: Vec<Option<MbRef>>,
        buf: u64,
        mode: Mode,
    },
    Send {
        to: SendTo,
        len: usize,
        mode: Mode,
    },
    /// `receive`, and when the message is a call and `answer` says so, a `reply` of that
    /// many bytes at once.
    Receive {
        from: RecvFrom,
        buf: u64,
        mode: Mode,
        answer: Option<usize>,
    },
    Call {
        to: SendTo,
        len: usize,
        mode: Mode,
        reply_buf: u64,
    },
    Reply {
        to: PidRef,
        len: usize,
    },
    /// Spawn `program` (mostly "child", running `children[script]`).
    Spawn {
        program: &'static str,
        script: usize,
        inbox: Capacity,
        priority: u8,
    },
    Wait {
        child: PidRef,
        mode: Mode,
    },
    GetPid,
    Yield,
    Sleep(u64),
    Compute(u64),
    Print(usize),
    Exit(i32),
    Raw {
        sysno: u64,
        args: [u64; 6],
        bytes: Vec<u8>,
    },
}

/// A generated run: the processes `main` starts (`processes[0]` is main's own script), and
/// the scripts their `Spawn` ops start children with.
#[derive(Clone, Debug)]
struct Case {
    processes: Vec<(Capacity, Vec<Op>)>,
    children: Vec<Vec<Op>>,
    limits: Limits,
    /// The scheduling policy: round robin with a short quantum interleaves the most.
    policy: Policy,
}

/// Kernel limits a case may set low, to reach `OutOfMemory` (`None`: the default).
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Queued bytes.
    memory: Option<usize>,
    /// Processes, live and zombie.
    processes: Option<usize>,
    mailboxes: Option<usize>,
    /// Capability mode: sends to mailboxes need a send right.
    capabilities: bool,
}

// ----- strategies -----

fn capacity() -> impl Strategy<Value = Capacity> {
    prop_oneof![
        1 => Just(Capacity::Zero),
        2 => (1..4u32).prop_map(Capacity::Bounded),
        1 => Just(Capacity::Unbounded),
    ]
}

/// Mostly mailboxes only their owner reads, and shared ones of every policy.
fn receivers() -> impl Strategy<Value = Receivers> {
    prop_oneof![
        3 => Just(Receivers::OwnerOnly),
        1 => Just(Receivers::Fifo),
        1 => Just(Receivers::RoundRobin),
        1 => Just(Receivers::OneAtATime),
    ]
}

fn lifetime() -> impl Strategy<Value = Lifetime> {
    prop_oneof![3 => Just(Lifetime::Owner), 1 => Just(Lifetime::System)]
}

/// Mostly calls that cannot hang, a few that can (a deadlock is a legal end).
fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        4 => Just(Mode::NonBlocking),
        8 => (0..60u64).prop_map(Mode::Timeout),
        1 => Just(Mode::Blocking),
    ]
}

/// A call always waits for its reply, so non-blocking is a (rare) mistake.
fn call_mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        1 => Just(Mode::NonBlocking),
        8 => (0..60u64).prop_map(Mode::Timeout),
        1 => Just(Mode::Blocking),
    ]
}

fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        3 => Just(Name::A),
        3 => Just(Name::B),
        3 => Just(Name::Svc),
        1 => Just(Name::TooLong),
    ]
}

fn pid_ref() -> impl Strategy<Value = PidRef> {
    prop_oneof![
        3 => (0..6usize).prop_map(PidRef::Known),
        6 => (0..4usize).prop_map(PidRef::Running),
        2 => (0..3usize).prop_map(PidRef::Child),
        2 => Just(PidRef::LastSender),
        1 => Just(PidRef::Me),
        1 => (0..6usize).prop_map(PidRef::Stale),
        1 => any::<u64>().prop_map(PidRef::Raw),
    ]
}

/// Whom to reply to: mostly whoever sent the last message.
fn reply_to() -> impl Strategy<Value = PidRef> {
    prop_oneof![3 => Just(PidRef::LastSender), 1 => pid_ref()]
}

fn mb_ref() -> impl Strategy<Value = MbRef> {
    prop_oneof![
        5 => (0..6usize).prop_map(MbRef::Known),
        2 => (0..3usize).prop_map(MbRef::Mine),
        1 => (0..6usize).prop_map(MbRef::Stale),
        1 => any::<u64>().prop_map(MbRef::Raw),
    ]
}

fn send_to() -> impl Strategy<Value = SendTo> {
    prop_oneof![
        pid_ref().prop_map(SendTo::Process),
        mb_ref().prop_map(SendTo::Mailbox),
    ]
}

fn recv_from() -> impl Strategy<Value = RecvFrom> {
    prop_oneof![
        4 => Just(RecvFrom::Any),
        1 => pid_ref().prop_map(RecvFrom::Process),
        1 => mb_ref().prop_map(RecvFrom::Mailbox),
        2 => (0..3usize).prop_map(|n| RecvFrom::Mailbox(MbRef::Mine(n))),
    ]
}

/// Message lengths: short ones, and the kernel's limit and one past it.
fn len() -> impl Strategy<Value = usize> {
    let max = kernel::KernelConfig::default().max_message;
    prop_oneof![
        18 => 0..40usize,
        1 => Just(max),
        1 => Just(max + 1),
    ]
}

/// Receive and reply buffers.
fn buf() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0),
        2 => 0..24u64,
        4 => Just(userland::sys::DEFAULT_RECV_BUFFER),
    ]
}

/// A raw frame: a real syscall number or any number, small or random registers, and a few
/// bytes (sometimes a program or mailbox name).
fn raw() -> impl Strategy<Value = Op> {
    let sysno = prop_oneof![3 => 0..=(Sysno::ALL.len() as u64 + 1), 1 => any::<u64>()];
    let reg = prop_oneof![3 => 0..8u64, 1 => any::<u64>()];
    let bytes = prop_oneof![
        3 => vec(any::<u8>(), 0..8),
        1 => Just(b"child".to_vec()),
        1 => Just(b"svc".to_vec()),
    ];
    (
        sysno,
        [
            reg.clone(),
            reg.clone(),
            reg.clone(),
            reg.clone(),
            reg.clone(),
            reg,
        ],
        bytes,
    )
        .prop_map(|(sysno, args, bytes)| Op::Raw { sysno, args, bytes })
}

/// Any operation but `Spawn`.
fn leaf_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (capacity(), proptest::option::of(name()), receivers(), lifetime())
            .prop_map(|(capacity, name, receivers, lifetime)| Op::Create {
                capacity,
                name,
                receivers,
                lifetime
            }),
        1 => name().prop_map(Op::Lookup),
        1 => mb_ref().prop_map(Op::Delete),
        1 => (mb_ref(), pid_ref()).prop_map(|(m, p)| Op::Transfer(m, p)),
        2 => (mb_ref(), pid_ref()).prop_map(|(m, p)| Op::Grant(m, p)),
        2 => (send_to(), len(), mode(), any::<bool>(), mb_ref()).prop_map(
            |(to, len, mode, receive, right)| Op::PassRight {
                to,
                len,
                mode,
                receive,
                right
            }
        ),
        1 => (mb_ref(), pid_ref()).prop_map(|(m, p)| Op::GrantSend(m, p)),
        3 => (
            vec(proptest::option::of(mb_ref()), 1..4),
            buf(),
            mode()
        )
            .prop_map(|(set, buf, mode)| Op::Select { set, buf, mode }),
        1 => (mb_ref(), pid_ref()).prop_map(|(m, p)| Op::Revoke(m, p)),
        5 => (send_to(), len(), mode()).prop_map(|(to, len, mode)| Op::Send { to, len, mode }),
        8 => (recv_from(), buf(), mode(), proptest::option::of(len())).prop_map(
            |(from, buf, mode, answer)| Op::Receive {
                from,
                buf,
                mode,
                answer
            }
        ),
        3 => (send_to(), len(), call_mode(), buf()).prop_map(|(to, len, mode, reply_buf)| Op::Call {
            to,
            len,
            mode,
            reply_buf
        }),
        3 => (reply_to(), len()).prop_map(|(to, len)| Op::Reply { to, len }),
        1 => (pid_ref(), mode()).prop_map(|(child, mode)| Op::Wait { child, mode }),
        1 => Just(Op::GetPid),
        1 => Just(Op::Yield),
        1 => (0..20u64).prop_map(Op::Sleep),
        1 => (0..20u64).prop_map(Op::Compute),
        1 => len().prop_map(Op::Print),
        1 => (-2..3i32).prop_map(Op::Exit),
        2 => raw(),
    ]
}

/// A child with its own script (or a program that does not exist).
fn spawn_op() -> impl Strategy<Value = Op> {
    let program = prop_oneof![4 => Just("child"), 1 => Just("nope")];
    (program, 0..4usize, capacity(), any::<u8>()).prop_map(|(program, script, inbox, priority)| {
        Op::Spawn {
            program,
            script,
            inbox,
            priority,
        }
    })
}

/// One operation of a process: any, including `Spawn` (one in twenty).
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![19 => leaf_op(), 1 => spawn_op()]
}

fn case() -> impl Strategy<Value = Case> {
    let process = (capacity(), vec(op(), 1..=30));
    let child = vec(leaf_op(), 1..=10);
    let limits = (
        sometimes(64..512),
        sometimes(2..10),
        sometimes(1..6),
        proptest::bool::weighted(0.25),
    )
        .prop_map(|(memory, processes, mailboxes, capabilities)| Limits {
            memory,
            processes,
            mailboxes,
            capabilities,
        });
    let policy = prop_oneof![
        2 => Just(Policy::default()),
        2 => (1..10u64).prop_map(|quantum| Policy::RoundRobin { quantum }),
        1 => Just(Policy::Fcfs),
    ];
    (vec(process, 2..=5), vec(child, 0..=3), limits, policy).prop_map(
        |(processes, children, limits, policy)| Case {
            processes,
            children,
            limits,
            policy,
        },
    )
}

/// A value from `range` one time in four.
fn sometimes(range: std::ops::Range<usize>) -> impl Strategy<Value = Option<usize>> {
    prop_oneof![3 => Just(None), 1 => range.prop_map(Some)]
}

// ----- running a case -----

/// What the processes of one run share: the scripts, the ids learned so far, and what
/// they saw that contradicts the kernel's documentation.
struct World {
    case: Case,
    pids: RefCell<Vec<Pid>>,
    mailboxes: RefCell<Vec<MailboxId>>,
    /// Every pid `spawn` returned and every id `create_mailbox` returned, to check that
    /// none is issued twice.
    spawned: RefCell<Vec<Pid>>,
    created: RefCell<Vec<MailboxId>>,
    /// The processes still running their scripts.
    running: RefCell<Vec<Pid>>,
    /// The sequence number of the last message taken, by sender and endpoint.
    last_taken: RefCell<HashMap<(Pid, Dest), u64>>,
    /// Who received each call (by caller and sequence number).
    calls_taken: RefCell<HashMap<(Pid, u64), Pid>>,
    seen: RefCell<Seen>,
}

/// What the programs saw, to hold against the report.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// Contradictions of the kernel's documentation, one line each.
    anomalies: Vec<String>,
    /// Messages taken by successful receives (typed or raw).
    received: u64,
    /// Successful prints (typed or raw).
    printed: usize,
    /// Exit codes collected by `wait`.
    collected: Vec<(Pid, i32)>,
}

/// What a process's bytes were written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Send,
    Call,
    Reply,
}

/// The bytes a process sends: a marker, its pid, its count of messages so far, what they
/// are and a pattern, so the receiver can check that the message arrived whole, that the
/// kernel stamped the real sender, that one sender's messages to one endpoint arrive in
/// order, and that a call is flagged as one. Bytes shorter than the header are just the
/// pattern.
fn payload(sender: Pid, seq: u64, kind: Kind, len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(pattern).collect();
    if len >= HEADER {
        bytes[..4].copy_from_slice(MARK);
        bytes[4..12].copy_from_slice(&sender.raw().to_le_bytes());
        bytes[12..20].copy_from_slice(&seq.to_le_bytes());
        bytes[20] = kind as u8;
    }
    bytes
}

const MARK: &[u8; 4] = b"MSG!";
const HEADER: usize = 21;

fn pattern(i: usize) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(7)
}

/// The sequence number and kind of bytes [`payload`] made, checked against the sender the
/// kernel stamped; `Ok(None)` for bytes without a header (short ones, raw frames').
fn unpack(sender: Pid, bytes: &[u8]) -> Result<Option<(u64, Kind)>, String> {
    if bytes.len() < HEADER || &bytes[..4] != MARK {
        return Ok(None);
    }
    let word = |at: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let written = Pid::from_raw(word(4));
    if written != sender {
        return Err(format!("written by {written} but stamped {sender}"));
    }
    if let Some(i) = (HEADER..bytes.len()).find(|&i| bytes[i] != pattern(i)) {
        return Err(format!("byte {i} of {} is corrupt", bytes.len()));
    }
    let kind = match bytes[20] {
        0 => Kind::Send,
        1 => Kind::Call,
        2 => Kind::Reply,
        other => return Err(format!("kind byte {other} is corrupt")),
    };
    Ok(Some((word(12), kind)))
}

/// Whether a typed stub's call may fail with `error`: the errors `docs/abi.md` lists for
/// it, narrowed by its destination or source and by its mode.
fn allowed(op: &Op, error: Error) -> bool {
    use Error::*;
    // Only a non-blocking call would block; only a timed one times out.
    let mode_allows = |mode: Mode| match error {
        WouldBlock => mode == Mode::NonBlocking,
        TimedOut => matches!(mode, Mode::Timeout(_)),
        _ => true,
    };
    match *op {
        Op::Create { .. } => matches!(error, InvalidArgument | NameInUse | OutOfMemory),
        Op::Lookup(_) => matches!(error, InvalidArgument | NoSuchMailbox),
        Op::Delete(_) => matches!(error, NoSuchMailbox | NotOwner),
        Op::Transfer(..) => matches!(error, NoSuchMailbox | NotOwner | NoSuchProcess),
        Op::Grant(..) => matches!(
            error,
            NoSuchMailbox | NotOwner | InvalidArgument | NoSuchProcess | OutOfMemory
        ),
        Op::Revoke(..) => matches!(error, NoSuchMailbox | NotOwner),
        Op::GrantSend(..) => {
            matches!(
                error,
                NoSuchMailbox | NoSendRight | NoSuchProcess | OutOfMemory
            )
        }
        // The right's checks, then everything a send may give.
        Op::PassRight { to, mode, .. } => {
            matches!(error, NoSuchMailbox | NotOwner | NoSendRight)
                || allowed(&Op::Send { to, len: 0, mode }, error)
        }
        Op::Select { mode, .. } => {
            mode_allows(mode)
                && matches!(
                    error,
                    InvalidArgument
                        | NoSuchMailbox
                        | NotOwner
                        | BufferTooSmall
                        | WouldBlock
                        | TimedOut
                        | MailboxDeleted
                        | ReceiverBusy
                )
        }
        Op::Send { to, mode, .. } => {
            mode_allows(mode)
                && match to {
                    SendTo::Process(_) => matches!(
                        error,
                        MessageTooLarge
                            | NoSuchProcess
                            | OutOfMemory
                            | WouldBlock
                            | TimedOut
                            | PeerExited
                    ),
                    // (`MailboxFull` from a mailbox a raw frame created with an overflow
                    // policy.)
                    // (`NoSendRight` in capability mode.)
                    SendTo::Mailbox(_) => matches!(
                        error,
                        MessageTooLarge
                            | NoSuchMailbox
                            | OutOfMemory
                            | WouldBlock
                            | TimedOut
                            | MailboxDeleted
                            | MailboxFull
                            | NoSendRight
                    ),
                }
        }
        Op::Receive { from, mode, .. } => {
            mode_allows(mode)
                && match from {
                    RecvFrom::Any => matches!(error, BufferTooSmall | WouldBlock | TimedOut),
                    RecvFrom::Process(_) => matches!(
                        error,
                        BufferTooSmall | NoSuchProcess | WouldBlock | TimedOut | PeerExited
                    ),
                    // (`MailboxDeleted` for a grantee of a shared mailbox, or a receiver whose
                    // grant was revoked while it waited: `NotOwner`; `ReceiverBusy` at a
                    // `one_at_a_time` one, in every mode.)
                    RecvFrom::Mailbox(_) => {
                        matches!(error, ReceiverBusy)
                            || matches!(
                                error,
                                NoSuchMailbox
                                    | NotOwner
                                    | BufferTooSmall
                                    | WouldBlock
                                    | TimedOut
                                    | MailboxDeleted
                            )
                    }
                }
        }
        // A call always waits for its reply: a non-blocking call is refused (only a message
        // too large is checked before). A zero-timeout call tries its request once and gives
        // up on the reply at once, so it fails like any timed call.
        Op::Call {
            mode: Mode::NonBlocking,
            ..
        } => matches!(error, InvalidArgument | MessageTooLarge),
        Op::Call { to, mode, .. } => {
            mode_allows(mode)
                && match to {
                    SendTo::Process(_) => matches!(
                        error,
                        MessageTooLarge | NoSuchProcess | OutOfMemory | TimedOut | PeerExited
                    ),
                    // The owner that received the request may exit before it replies.
                    SendTo::Mailbox(_) => matches!(
                        error,
                        MessageTooLarge
                            | NoSuchMailbox
                            | OutOfMemory
                            | TimedOut
                            | MailboxDeleted
                            | NoSendRight
                            | PeerExited
                            | MailboxFull
                    ),
                }
        }
        Op::Reply { .. } => matches!(error, MessageTooLarge | BufferTooSmall),
        Op::Spawn { .. } => matches!(error, NoSuchProgram | OutOfMemory),
        Op::Wait { mode, .. } => {
            mode_allows(mode) && matches!(error, NoSuchProcess | NotChild | WouldBlock | TimedOut)
        }
        Op::Print(_) => error == MessageTooLarge,
        Op::GetPid | Op::Yield | Op::Sleep(_) | Op::Compute(_) | Op::Exit(_) | Op::Raw { .. } => {
            false
        }
    }
}

/// One running process of a case.
struct Proc {
    sys: Sys,
    world: Rc<World>,
    me: Pid,
    children: Vec<Pid>,
    /// The mailboxes it created.
    mine: Vec<MailboxId>,
    /// How many messages it has written.
    sent: u64,
    last_sender: Option<Pid>,
}

/// The nth most recent entry of `list` (wrapping around), if any.
fn recent<T: Copy>(list: &[T], n: usize) -> Option<T> {
    list.iter().rev().nth(n % list.len().max(1)).copied()
}

impl Proc {
    async fn start(sys: Sys, world: Rc<World>) -> Proc {
        let me = sys.getpid().await;
        let p = Proc {
            sys,
            world,
            me,
            children: Vec::new(),
            mine: Vec::new(),
            sent: 0,
            last_sender: None,
        };
        p.learn_pid(me);
        p.world.running.borrow_mut().push(me);
        p
    }

    /// The script is over (or the process is about to exit).
    fn finish(&self) {
        self.world.running.borrow_mut().retain(|p| *p != self.me);
    }

    fn anomaly(&self, what: String) {
        self.world
            .seen
            .borrow_mut()
            .anomalies
            .push(format!("{}: {what}", self.me));
    }

    /// Share a pid with every process, once.
    fn learn_pid(&self, pid: Pid) {
        let mut known = self.world.pids.borrow_mut();
        if !known.contains(&pid) {
            known.push(pid);
        }
    }

    /// Share a mailbox id with every process, once.
    fn learn_mailbox(&self, id: MailboxId) {
        let mut known = self.world.mailboxes.borrow_mut();
        if !known.contains(&id) {
            known.push(id);
        }
    }

    /// The bytes of this process's next message of `len` bytes.
    fn payload(&mut self, kind: Kind, len: usize) -> Vec<u8> {
        self.sent += 1;
        payload(self.me, self.sent, kind, len)
    }

    /// Message `seq` of `sender` was taken from `endpoint`: after every earlier one taken
    /// from there.
    fn in_order(&self, sender: Pid, endpoint: Dest, seq: u64) {
        let last = self
            .world
            .last_taken
            .borrow_mut()
            .insert((sender, endpoint), seq);
        if let Some(last) = last.filter(|&last| last >= seq) {
            self.anomaly(format!(
                "took {sender}'s message {seq} from {endpoint} after its message {last}"
            ));
        }
    }

    /// `spawn` returned `child`.
    fn spawned(&mut self, child: Pid) {
        if self.world.spawned.borrow().contains(&child) {
            self.anomaly(format!("spawn issued {child} twice"));
        }
        self.world.spawned.borrow_mut().push(child);
        self.learn_pid(child);
        self.children.push(child);
    }

    fn pid(&self, r: PidRef) -> Pid {
        let none = Pid::from_raw(u64::MAX);
        match r {
            PidRef::Me => self.me,
            PidRef::Known(n) => recent(&self.world.pids.borrow(), n).unwrap_or(none),
            PidRef::Running(n) => recent(&self.world.running.borrow(), n).unwrap_or(none),
            PidRef::Child(n) => recent(&self.children, n).unwrap_or(none),
            PidRef::LastSender => self.last_sender.unwrap_or(none),
            PidRef::Stale(n) => recent(&self.world.pids.borrow(), n)
                .map(|p| Pid::new(p.index(), p.generation() ^ 1))
                .unwrap_or(none),
            PidRef::Raw(raw) => Pid::from_raw(raw),
        }
    }

    fn mailbox(&self, r: MbRef) -> MailboxId {
        let none = MailboxId::from_raw(u64::MAX);
        match r {
            MbRef::Known(n) => recent(&self.world.mailboxes.borrow(), n).unwrap_or(none),
            MbRef::Mine(n) => recent(&self.mine, n).unwrap_or(none),
            MbRef::Stale(n) => recent(&self.world.mailboxes.borrow(), n)
                .map(|m| MailboxId::new(m.index(), m.generation() ^ 1))
                .unwrap_or(none),
            MbRef::Raw(raw) => MailboxId::from_raw(raw),
        }
    }

    fn dest(&self, to: SendTo) -> Dest {
        match to {
            SendTo::Process(p) => Dest::Process(self.pid(p)),
            SendTo::Mailbox(m) => Dest::Mailbox(self.mailbox(m)),
        }
    }

    fn source(&self, from: RecvFrom) -> Source {
        match from {
            RecvFrom::Any => Source::Any,
            RecvFrom::Process(p) => Source::Process(self.pid(p)),
            RecvFrom::Mailbox(m) => Source::Mailbox(self.mailbox(m)),
        }
    }

    /// Check an error against what the call may give.
    fn check<T>(&self, op: &Op, result: &SysResult<T>) {
        if let Err(e) = result {
            if !allowed(op, *e) {
                self.anomaly(format!("{op:?} failed with {e:?}"));
            }
        }
    }

    /// Run a script to its end (or its `Exit`).
    async fn run(mut self, script: &[Op]) -> i32 {
        for op in script {
            self.step(op).await;
        }
        self.finish();
        0
    }

    async fn step(&mut self, op: &Op) {
        let sys = self.sys.clone();
        match *op {
            Op::Create {
                capacity,
                name,
                receivers,
                lifetime,
            } => {
                let name = name.map(Name::text);
                let mut options = MailboxOptions::new(capacity)
                    .receivers(receivers)
                    .lifetime(lifetime);
                options.name = name.as_deref();
                let r = sys.create_mailbox_opts(options).await;
                self.check(op, &r);
                if let Ok(id) = r {
                    if self.world.created.borrow().contains(&id) {
                        self.anomaly(format!("create_mailbox issued {id} twice"));
                    }
                    self.world.created.borrow_mut().push(id);
                    self.learn_mailbox(id);
                    self.mine.push(id);
                }
            }
            Op::Lookup(name) => {
                let r = sys.lookup_mailbox(&name.text()).await;
                self.check(op, &r);
                if let Ok(id) = r {
                    self.learn_mailbox(id);
                }
            }
            Op::Delete(m) => {
                let r = sys.delete_mailbox(self.mailbox(m)).await;
                self.check(op, &r);
            }
            Op::Transfer(m, p) => {
                let r = sys.transfer_mailbox(self.mailbox(m), self.pid(p)).await;
                self.check(op, &r);
            }
            Op::Select { ref set, buf, mode } => {
                let sources: Vec<Source> = set
                    .iter()
                    .map(|m| m.map_or(Source::Any, |m| Source::Mailbox(self.mailbox(m))))
                    .collect();
                let r = sys.select_upto(&sources, buf, mode).await;
                self.check(op, &r);
                if let Ok((pos, m)) = r {
                    let Some(source) = sources.get(pos) else {
                        self.anomaly(format!("{op:?} took from position {pos}"));
                        return;
                    };
                    if m.bytes.len() as u64 > buf {
                        self.anomaly(format!("{op:?} took {} bytes", m.bytes.len()));
                    }
                    let endpoint = match source {
                        Source::Mailbox(m) => Dest::Mailbox(*m),
                        Source::Any | Source::Process(_) => Dest::Process(self.me),
                    };
                    self.world.seen.borrow_mut().received += 1;
                    match unpack(m.sender, &m.bytes) {
                        Err(why) => self.anomaly(format!("{op:?} got a bad message: {why}")),
                        Ok(Some((seq, kind))) => {
                            if kind == Kind::Reply || m.is_call != (kind == Kind::Call) {
                                self.anomaly(format!(
                                    "{op:?} got a {kind:?} flagged call={}",
                                    m.is_call
                                ));
                            }
                            if m.is_call {
                                self.world
                                    .calls_taken
                                    .borrow_mut()
                                    .insert((m.sender, seq), self.me);
                            }
                            self.in_order(m.sender, endpoint, seq);
                        }
                        Ok(None) => {}
                    }
                    self.last_sender = Some(m.sender);
                }
            }
            Op::PassRight {
                to,
                len,
                mode,
                receive,
                right,
            } => {
                let m = self.mailbox(right);
                let right = if receive {
                    abi::Right::Receive(m)
                } else {
                    abi::Right::Send(m)
                };
                let r = sys
                    .send_right(self.dest(to), &self.payload(Kind::Send, len), mode, right)
                    .await;
                self.check(op, &r);
            }
            Op::GrantSend(m, p) => {
                let r = sys.grant_send(self.mailbox(m), self.pid(p)).await;
                self.check(op, &r);
            }
            Op::Grant(m, p) => {
                let r = sys.grant_receive(self.mailbox(m), self.pid(p)).await;
                self.check(op, &r);
            }
            Op::Revoke(m, p) => {
                let r = sys.revoke_receive(self.mailbox(m), self.pid(p)).await;
                self.check(op, &r);
            }
            Op::Send { to, len, mode } => {
                let r = sys
                    .send(self.dest(to), &self.payload(Kind::Send, len), mode)
                    .await;
                self.check(op, &r);
            }
            Op::Receive {
                from,
                buf,
                mode,
                answer,
            } => {
                let source = self.source(from);
                let r = sys.receive_upto(source, buf, mode).await;
                self.check(op, &r);
                if let Ok(m) = r {
                    if m.bytes.len() as u64 > buf {
                        self.anomaly(format!("{op:?} took {} bytes", m.bytes.len()));
                    }
                    if let Source::Process(p) = source {
                        if m.sender != p {
                            self.anomaly(format!("{op:?} from {p} got {}'s message", m.sender));
                        }
                    }
                    let endpoint = match source {
                        Source::Mailbox(m) => Dest::Mailbox(m),
                        Source::Any | Source::Process(_) => Dest::Process(self.me),
                    };
                    self.world.seen.borrow_mut().received += 1;
                    match unpack(m.sender, &m.bytes) {
                        Err(why) => self.anomaly(format!("{op:?} got a bad message: {why}")),
                        Ok(Some((seq, kind))) => {
                            if kind == Kind::Reply || m.is_call != (kind == Kind::Call) {
                                self.anomaly(format!(
                                    "{op:?} got a {kind:?} flagged call={}",
                                    m.is_call
                                ));
                            }
                            if m.is_call {
                                self.world
                                    .calls_taken
                                    .borrow_mut()
                                    .insert((m.sender, seq), self.me);
                            }
                            self.in_order(m.sender, endpoint, seq);
                        }
                        Ok(None) => {}
                    }
                    self.last_sender = Some(m.sender);
                    if let (true, Some(len)) = (m.is_call, answer) {
                        let r = sys.reply(m.sender, &self.payload(Kind::Reply, len)).await;
                        let to = PidRef::LastSender;
                        self.check(&Op::Reply { to, len }, &r);
                    }
                }
            }
            Op::Call {
                to,
                len,
                mode,
                reply_buf,
            } => {
                let request = self.payload(Kind::Call, len);
                let seq = self.sent;
                let r = sys
                    .call_upto(self.dest(to), &request, mode, reply_buf)
                    .await;
                self.check(op, &r);
                // Neither can wait for a reply, so neither can get one.
                if r.is_ok() && matches!(mode, Mode::NonBlocking | Mode::Timeout(0)) {
                    self.anomaly(format!("{op:?} succeeded"));
                }
                if let Ok(m) = r {
                    if m.bytes.len() as u64 > reply_buf {
                        self.anomaly(format!("{op:?} took a {}-byte reply", m.bytes.len()));
                    }
                    match unpack(m.sender, &m.bytes) {
                        Err(why) => self.anomaly(format!("{op:?} got a bad reply: {why}")),
                        Ok(Some((_, kind))) if kind != Kind::Reply => {
                            self.anomaly(format!("{op:?} got a {kind:?} as its reply"))
                        }
                        _ => {}
                    }
                    let taken_by = self
                        .world
                        .calls_taken
                        .borrow()
                        .get(&(self.me, seq))
                        .copied();
                    if let Some(server) = taken_by.filter(|&server| server != m.sender) {
                        self.anomaly(format!(
                            "{op:?} was received by {server} but answered by {}",
                            m.sender
                        ));
                    }
                }
            }
            Op::Reply { to, len } => {
                let r = sys
                    .reply(self.pid(to), &self.payload(Kind::Reply, len))
                    .await;
                self.check(op, &r);
            }
            Op::Spawn {
                program,
                script,
                inbox,
                priority,
            } => {
                let options = SpawnOptions::new(program, script as u64)
                    .inbox(inbox)
                    .priority(priority);
                let r = sys.spawn_with(options).await;
                self.check(op, &r);
                if let Ok(child) = r {
                    self.spawned(child);
                }
            }
            Op::Wait { child, mode } => {
                let child = self.pid(child);
                let r = sys.wait_mode(child, mode).await;
                self.check(op, &r);
                if let Ok(code) = r {
                    self.world.seen.borrow_mut().collected.push((child, code));
                }
            }
            Op::GetPid => {
                let pid = sys.getpid().await;
                if pid != self.me {
                    self.anomaly(format!("getpid said {pid}"));
                }
            }
            Op::Yield => sys.yield_now().await,
            Op::Sleep(ticks) => sys.sleep(ticks).await,
            Op::Compute(ticks) => sys.compute(ticks).await,
            Op::Print(len) => {
                let r = sys.print(&"p".repeat(len)).await;
                self.check(op, &r);
                if r.is_ok() {
                    self.world.seen.borrow_mut().printed += 1;
                }
            }
            Op::Exit(code) => {
                self.finish();
                match sys.exit(code).await {}
            }
            Op::Raw {
                sysno,
                args,
                ref bytes,
            } => {
                let ret = sys.raw_syscall(sysno, args, bytes).await;
                self.check_raw(sysno, ret);
            }
        }
    }

    fn check_raw(&self, sysno: u64, ret: [u64; RET_REGS]) {
        let unknown = [Error::UnknownSyscall.code(), 0, 0, 0];
        if Sysno::from_raw(sysno).is_none() && ret != unknown {
            self.anomaly(format!("raw sysno {sysno} returned {ret:?}"));
        }
        if ret[0] != 0 && Error::from_code(ret[0]).is_none() {
            self.anomaly(format!("raw sysno {sysno} returned status {}", ret[0]));
        }
        if ret[0] == 0 {
            let mut seen = self.world.seen.borrow_mut();
            match Sysno::from_raw(sysno) {
                Some(Sysno::Receive) => seen.received += 1,
                Some(Sysno::Print) => seen.printed += 1,
                Some(Sysno::GetPid) if ret != [0, self.me.raw(), 0, 0] => {
                    drop(seen);
                    self.anomaly(format!("raw getpid returned {ret:?}"));
                }
                _ => {}
            }
        }
    }
}

/// The program table of a case:
/// - `main` starts the other processes (as `worker`s), then runs `processes[0]`;
/// - `worker` runs `processes[arg]`;
/// - `child` runs `children[arg]` (nothing when there is no such script).
fn programs(world: &Rc<World>) -> ProgramTable {
    let mut table = ProgramTable::new();
    let w = world.clone();
    table.add(
        "main",
        "starts the workers, then runs script 0",
        move |sys, _| {
            let world = w.clone();
            async move {
                let mut me = Proc::start(sys, world.clone()).await;
                for (i, (inbox, _)) in world.case.processes.iter().enumerate().skip(1) {
                    let options = SpawnOptions::new("worker", i as u64).inbox(*inbox);
                    match me.sys.spawn_with(options).await {
                        Ok(pid) => me.spawned(pid),
                        Err(Error::OutOfMemory) => {}
                        Err(e) => me.anomaly(format!("spawning worker {i}: {e:?}")),
                    }
                }
                let script = world.case.processes[0].1.clone();
                me.run(&script).await
            }
        },
    );
    let w = world.clone();
    table.add("worker", "runs processes[arg]", move |sys, arg| {
        let world = w.clone();
        async move {
            let script = world
                .case
                .processes
                .get(arg as usize)
                .map(|(_, ops)| ops.clone())
                .unwrap_or_default();
            Proc::start(sys, world).await.run(&script).await
        }
    });
    let w = world.clone();
    table.add("child", "runs children[arg]", move |sys, arg| {
        let world = w.clone();
        async move {
            let script = usize::try_from(arg)
                .ok()
                .and_then(|i| world.case.children.get(i))
                .cloned()
                .unwrap_or_default();
            Proc::start(sys, world).await.run(&script).await
        }
    });
    table
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".into()
    }
}

/// Run a case; the report and what the programs saw, or the panic's message.
fn run_case(case: Case) -> Result<(Report, Seen), String> {
    let mut config: MachineConfig = testkit::config();
    config.max_ticks = MAX_TICKS;
    let Limits {
        memory,
        processes,
        mailboxes,
        capabilities,
    } = case.limits;
    let k = &mut config.kernel;
    k.capabilities = capabilities;
    k.memory_limit = memory.unwrap_or(k.memory_limit);
    k.max_processes = processes.unwrap_or(k.max_processes);
    k.max_mailboxes = mailboxes.unwrap_or(k.max_mailboxes);
    config.policy = case.policy.clone();
    let world = Rc::new(World {
        case,
        pids: RefCell::default(),
        mailboxes: RefCell::default(),
        spawned: RefCell::default(),
        created: RefCell::default(),
        running: RefCell::default(),
        last_taken: RefCell::default(),
        calls_taken: RefCell::default(),
        seen: RefCell::default(),
    });
    let table = programs(&world);
    let report = panic::catch_unwind(AssertUnwindSafe(|| {
        Machine::run_program(config, table, "main", 0)
    }))
    .map_err(|payload| panic_text(payload.as_ref()))?
    .map_err(|e| format!("boot failed: {e:?}"))?;
    let seen = world.seen.borrow().clone();
    Ok((report, seen))
}

fn check_report(report: &Report, seen: &Seen) -> Result<(), TestCaseError> {
    prop_assert!(
        seen.anomalies.is_empty(),
        "the programs saw: {:#?}",
        seen.anomalies
    );
    let mut pids = HashSet::new();
    for e in &report.exited {
        prop_assert!(
            matches!(e.reason, ExitReason::Exit | ExitReason::Returned),
            "{} ({}) ended by {:?}",
            e.pid,
            e.name,
            e.reason
        );
        prop_assert!(pids.insert(e.pid), "{} exited twice", e.pid);
    }
    for (child, code) in &seen.collected {
        prop_assert_eq!(
            report.exit_code(*child),
            Some(*code),
            "wait({}) collected another code than it exited with",
            child
        );
    }
    prop_assert!(
        report.ledger_balances(),
        "ledger {:?} with {} queued",
        report.ledger,
        report.queued
    );
    // No right duplicated or lost: every carried right moved, was voided, came back with a
    // dropped message, or waits in a queued one.
    let r = report.rights;
    prop_assert!(
        r.carried >= r.transferred + r.voided + r.returned,
        "rights {:?}",
        r
    );
    if let Err(e) = report.check_ledgers() {
        prop_assert!(false, "per-endpoint ledgers: {}", e);
    }
    let spawned = report
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Spawn { .. }))
        .count();
    // Once nothing can run, every call the kernel finished has been seen by its program.
    let settled = |report: &Report| -> Result<(), TestCaseError> {
        prop_assert!(report.ticks < MAX_TICKS);
        prop_assert_eq!(
            report.ledger.received,
            seen.received,
            "messages the kernel counts as received vs. receives that returned one"
        );
        prop_assert_eq!(
            report.console.len(),
            seen.printed,
            "console lines vs. prints"
        );
        Ok(())
    };
    match &report.outcome {
        Outcome::Completed => {
            // Mailboxes die with their owners, except those the system owns.
            let system: u64 = report
                .mailboxes
                .iter()
                .filter(|m| m.lifetime == Lifetime::System)
                .map(|m| m.queued as u64)
                .sum();
            prop_assert_eq!(
                report.queued,
                system,
                "nothing stays queued once all exited, but in system mailboxes"
            );
            prop_assert_eq!(spawned, report.exited.len(), "every process exited");
            settled(report)?;
        }
        Outcome::Deadlock(d) => {
            prop_assert!(!d.blocked.is_empty(), "a deadlock has someone blocked");
            for w in &d.blocked {
                prop_assert!(
                    report.exit_of(w.pid).is_none(),
                    "{} exited yet is blocked",
                    w.pid
                );
            }
            settled(report)?;
        }
        // Every syscall and switch costs a tick here, so time always passes.
        Outcome::Livelock(l) => prop_assert!(false, "a livelock with time passing: {l:?}"),
        Outcome::TickLimit => {
            prop_assert!(report.ticks >= MAX_TICKS);
            prop_assert!(report.ledger.received >= seen.received);
            prop_assert!(report.console.len() >= seen.printed);
        }
    }
    Ok(())
}

/// 2,000 cases (a few seconds in a debug build), or `PROPTEST_CASES` to hunt longer.
fn cases() -> u32 {
    testkit::proptest_cases(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_programs_keep_the_kernel_consistent(case in case()) {
        match run_case(case) {
            Err(panic) => prop_assert!(false, "panic outside the processes: {}", panic),
            Ok((report, seen)) => check_report(&report, &seen)?,
        }
    }
}
