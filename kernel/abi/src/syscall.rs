//! The trap table's numbers and each syscall's register layout.
//!
//! A syscall is a [`TrapFrame`]: a number, [`ARG_REGS`] argument registers and [`RET_REGS`]
//! return registers; message bytes travel beside it, in the caller's IPC buffer ([`Trap`](crate::Trap)).
//! [`Syscall::encode`] (userland's side) and [`Syscall::decode`] (the kernel's side) are the
//! only code that knows which argument sits in which register.

use crate::{Error, MailboxId, Pid, Ticks};
use bitflags::bitflags;
use core::fmt;

/// How many argument registers a trap frame carries.
pub const ARG_REGS: usize = 6;
/// How many return registers a trap frame carries. Register 0 is the status.
pub const RET_REGS: usize = 4;

/// The register file a process hands the kernel when it traps.
///
/// `ret[0]` is the status: 0 for success or an [`Error`] code. The other return registers
/// carry results as each syscall's documentation in `docs/abi.md` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapFrame {
    /// The syscall number (a [`Sysno`] when valid).
    pub sysno: u64,
    /// The argument registers, in the layout of the call's [`Syscall`] variant.
    pub args: [u64; ARG_REGS],
    /// Return registers, written by the kernel.
    pub ret: [u64; RET_REGS],
}

impl TrapFrame {
    /// Write a successful result: status 0 and up to three values.
    pub fn set_ok(&mut self, values: [u64; RET_REGS - 1]) {
        self.ret = [0, values[0], values[1], values[2]];
    }

    /// Write a failure. `detail` goes to register 1: the length needed, for
    /// `BufferTooSmall`; the kernel's limit, for `MessageTooLarge`; else 0.
    pub fn set_err(&mut self, error: Error, detail: u64) {
        self.ret = [error.code(), detail, 0, 0];
    }

    /// The status register read back: `Ok(values)` or the error.
    pub fn result(&self) -> Result<[u64; RET_REGS - 1], Error> {
        result_of(&self.ret)
    }
}

/// Return registers read back: `Ok(values)` when the status register is 0, else the error
/// its code names (a code no error has reads as `UnknownSyscall`).
#[inline]
pub fn result_of(ret: &[u64; RET_REGS]) -> Result<[u64; RET_REGS - 1], Error> {
    match ret[0] {
        0 => Ok([ret[1], ret[2], ret[3]]),
        code => Err(Error::from_code(code).unwrap_or(Error::UnknownSyscall)),
    }
}

macro_rules! sysnos {
    ($($(#[$doc:meta])* $name:ident = $num:literal, $text:literal;)*) => {
        /// A syscall number: the index into the kernel's trap table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u64)]
        pub enum Sysno {
            $($(#[$doc])* $name = $num,)*
        }

        impl Sysno {
            /// Every syscall, in numeric order.
            pub const ALL: &'static [Sysno] = &[$(Sysno::$name,)*];

            /// The syscall a register names, if any.
            pub const fn from_raw(raw: u64) -> Option<Sysno> {
                match raw {
                    $($num => Some(Sysno::$name),)*
                    _ => None,
                }
            }

            /// The snake_case name used in traces and docs.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Sysno::$name => $text,)*
                }
            }
        }
    };
}

sysnos! {
    /// `create_mailbox(capacity, name?)`.
    CreateMailbox = 1, "create_mailbox";
    /// `delete_mailbox(id)`.
    DeleteMailbox = 2, "delete_mailbox";
    /// `lookup_mailbox(name)`.
    LookupMailbox = 3, "lookup_mailbox";
    /// `transfer_mailbox(id, pid)`.
    TransferMailbox = 4, "transfer_mailbox";
    /// `send(dest, bytes, mode)`.
    Send = 5, "send";
    /// `receive(source, buffer, mode)`.
    Receive = 6, "receive";
    /// `call(dest, bytes, mode, reply buffer)`.
    Call = 7, "call";
    /// `reply(pid, bytes)`.
    Reply = 8, "reply";
    /// `spawn(program, label, arg, inbox, priority, expected_burst)`.
    Spawn = 9, "spawn";
    /// `exit(code)`.
    Exit = 10, "exit";
    /// `wait(pid, mode)`.
    Wait = 11, "wait";
    /// `getpid()`.
    GetPid = 12, "getpid";
    /// `yield()`.
    Yield = 13, "yield";
    /// `sleep(ticks)`.
    Sleep = 14, "sleep";
    /// `compute(ticks)`.
    Compute = 15, "compute";
    /// `print(bytes)`: a line on the machine's console.
    Print = 16, "print";
    /// `grant_receive(id, pid)`: let another process receive from a shared mailbox.
    GrantReceive = 17, "grant_receive";
    /// `revoke_receive(id, pid)`: take that privilege back.
    RevokeReceive = 18, "revoke_receive";
    /// `select(set, buffer, mode)`: receive from whichever of several endpoints is ready.
    Select = 19, "select";
    /// `send_right(dest, bytes, mode, right)`: a send whose message carries a right.
    SendRight = 20, "send_right";
    /// `grant_send(id, pid)`: give a process a send right on a mailbox (capability mode).
    GrantSend = 21, "grant_send";
}

/// A right a message can carry (`send_right`): moved to the receiver when, and only if, the
/// message is received while its sender still holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Right {
    /// The mailbox's receive right: its ownership.
    Receive(MailboxId),
    /// A send right on the mailbox (what capability mode asks of a sender).
    Send(MailboxId),
}

/// The flag bit of `send_right`'s flags register that says its right is a receive right.
pub const CARRY_RECEIVE: u64 = 1 << 8;
/// The flag bit of `send_right`'s flags register that says its right is a send right.
pub const CARRY_SEND: u64 = 1 << 9;
/// Bytes a received right takes in the receiver's IPC buffer, after the message: the
/// mailbox's id, a little-endian `u64`. `ret[2]` counts the message alone.
pub const RIGHT_TRAILER_LEN: usize = 8;

impl Right {
    /// The mailbox the right is on.
    pub const fn mailbox(self) -> MailboxId {
        match self {
            Right::Receive(m) | Right::Send(m) => m,
        }
    }

    /// `receive` or `send`, as traces, scenario files and docs write it.
    pub const fn name(self) -> &'static str {
        match self {
            Right::Receive(_) => "receive",
            Right::Send(_) => "send",
        }
    }

    /// The flag bit that carries it.
    pub const fn carry_bit(self) -> u64 {
        match self {
            Right::Receive(_) => CARRY_RECEIVE,
            Right::Send(_) => CARRY_SEND,
        }
    }

    /// The right a `send_right` flags register and mailbox register name: exactly one carry
    /// bit. The mode is what the flags hold besides.
    pub fn decode(flags: u64, mailbox: u64) -> Result<(Right, u64), Error> {
        let m = MailboxId::from_raw(mailbox);
        let right = match flags & (CARRY_RECEIVE | CARRY_SEND) {
            CARRY_RECEIVE => Right::Receive(m),
            CARRY_SEND => Right::Send(m),
            _ => return Err(Error::InvalidArgument),
        };
        Ok((right, flags & !(CARRY_RECEIVE | CARRY_SEND)))
    }

    /// The right a received message brought, from its `RecvFlags` and the IPC buffer's
    /// trailer (the last [`RIGHT_TRAILER_LEN`] bytes).
    pub fn received(flags: RecvFlags, trailer: &[u8]) -> Option<Right> {
        let bytes: [u8; RIGHT_TRAILER_LEN] = trailer.try_into().ok()?;
        let m = MailboxId::from_raw(u64::from_le_bytes(bytes));
        if flags.contains(RecvFlags::RIGHT_RECEIVE) {
            Some(Right::Receive(m))
        } else if flags.contains(RecvFlags::RIGHT_SEND) {
            Some(Right::Send(m))
        } else {
            None
        }
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} right on {}", self.name(), self.mailbox())
    }
}

/// The most endpoints one `select` waits on; a longer set is `InvalidArgument`.
pub const MAX_SELECT: usize = 16;

/// Bytes one endpoint of a `select` set takes in the outgoing bytes: its kind and its id,
/// each a little-endian `u64`, encoded as a receive's [`Source`] is (kind 1 a mailbox, 2 the
/// caller's inbox from anyone).
pub const SELECT_ENTRY_LEN: usize = 16;

/// Where `select` reports which endpoint of its set the message came from: return register 3
/// holds the [`RecvFlags`] in its low 32 bits and the endpoint's position in the set from
/// this bit up.
pub const SELECT_INDEX_SHIFT: u32 = 32;

/// A `select` set as outgoing bytes ([`SELECT_ENTRY_LEN`] bytes per endpoint, in order).
pub fn encode_select_set(set: &[Source]) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec::Vec::with_capacity(set.len() * SELECT_ENTRY_LEN);
    for source in set {
        let (kind, id) = source.encode();
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// The `count` endpoints of a `select` set read back from outgoing bytes. Malformed (more
/// than [`MAX_SELECT`], none, fewer bytes than the count needs, a kind other than a mailbox
/// or the inbox, or an endpoint named twice): `InvalidArgument`.
pub fn decode_select_set(out: &[u8], count: u64) -> Result<alloc::vec::Vec<Source>, Error> {
    let n = usize::try_from(count).map_err(|_| Error::InvalidArgument)?;
    if n == 0 || n > MAX_SELECT || out.len() < n * SELECT_ENTRY_LEN {
        return Err(Error::InvalidArgument);
    }
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&out[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let mut set = alloc::vec::Vec::with_capacity(n);
    for i in 0..n {
        let at = i * SELECT_ENTRY_LEN;
        let source = match Source::decode(word(at), word(at + 8))? {
            Source::Process(_) => return Err(Error::InvalidArgument),
            Source::Any => Source::Any,
            m @ Source::Mailbox(_) => m,
        };
        if set.contains(&source) {
            return Err(Error::InvalidArgument);
        }
        set.push(source);
    }
    Ok(set)
}

/// How many messages a queue holds before senders wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Capacity {
    /// No buffer: a rendezvous. The sender waits until a receiver takes the message.
    #[default]
    Zero,
    /// Up to `n` (at least 1) queued messages.
    Bounded(u32),
    /// No count limit; only the kernel's memory limit bounds it.
    Unbounded,
}

impl Capacity {
    /// The register encoding: 0 zero, `u64::MAX` unbounded, `n` bounded.
    pub const fn raw(self) -> u64 {
        match self {
            Capacity::Zero => 0,
            Capacity::Bounded(n) => n as u64,
            Capacity::Unbounded => u64::MAX,
        }
    }

    /// Decode a capacity register. Counts beyond `u32::MAX` (other than the unbounded
    /// marker) are malformed.
    pub const fn from_raw(raw: u64) -> Result<Capacity, Error> {
        match raw {
            0 => Ok(Capacity::Zero),
            u64::MAX => Ok(Capacity::Unbounded),
            n if n <= u32::MAX as u64 => Ok(Capacity::Bounded(n as u32)),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// Whether `queued` messages fill this capacity.
    pub const fn is_full(self, queued: usize) -> bool {
        match self {
            Capacity::Zero => true,
            Capacity::Bounded(n) => queued >= n as usize,
            Capacity::Unbounded => false,
        }
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capacity::Zero => f.write_str("0"),
            Capacity::Bounded(n) => write!(f, "{n}"),
            Capacity::Unbounded => f.write_str("unbounded"),
        }
    }
}

/// What a send to a full bounded mailbox does: the mailbox's overflow policy, fixed when it is
/// created.
///
/// The policy applies only when the count capacity is reached (`Capacity::Bounded(n)` holding
/// `n` messages). A rendezvous (`Capacity::Zero`) has no queue to overflow and accepts only
/// `Block`; an unbounded mailbox is never full, so its policy never acts. The kernel's byte
/// limits (`memory_limit`, `max_mailbox_bytes`) are not capacity: hitting one is always
/// `out_of_memory`, whatever the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Overflow {
    /// The sender waits for room (or, non-blocking or timed out, fails with `would_block` /
    /// `timed_out`). The default: register 2 of `create_mailbox` is 0 unless a policy is
    /// asked for.
    #[default]
    Block,
    /// The send fails at once with `mailbox_full`, in every mode; nothing is sent.
    Fail,
    /// The new message is accepted and discarded: the send succeeds, and the message is
    /// counted as sent and dropped (reason `overflow`).
    DropNewest,
    /// The oldest queued message is dropped (reason `overflow`) to make room, and the new
    /// one is queued.
    DropOldest,
}

impl Overflow {
    /// Every policy, in register order.
    pub const ALL: [Overflow; 4] = [
        Overflow::Block,
        Overflow::Fail,
        Overflow::DropNewest,
        Overflow::DropOldest,
    ];

    /// The register encoding: 0 block, 1 fail, 2 drop_newest, 3 drop_oldest. Block is 0 so
    /// that a frame which leaves the register clear asks for the plain, blocking mailbox.
    pub const fn raw(self) -> u64 {
        match self {
            Overflow::Block => 0,
            Overflow::Fail => 1,
            Overflow::DropNewest => 2,
            Overflow::DropOldest => 3,
        }
    }

    /// Decode an overflow register. Any other value is malformed.
    pub const fn from_raw(raw: u64) -> Result<Overflow, Error> {
        match raw {
            0 => Ok(Overflow::Block),
            1 => Ok(Overflow::Fail),
            2 => Ok(Overflow::DropNewest),
            3 => Ok(Overflow::DropOldest),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The snake_case name used in traces, scenario files and docs.
    pub const fn name(self) -> &'static str {
        match self {
            Overflow::Block => "block",
            Overflow::Fail => "fail",
            Overflow::DropNewest => "drop_newest",
            Overflow::DropOldest => "drop_oldest",
        }
    }

    /// The policy whose [`name`](Self::name) is `name`.
    pub fn from_name(name: &str) -> Option<Overflow> {
        Overflow::ALL.into_iter().find(|o| o.name() == name)
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which of a mailbox's receivers takes a message: the mailbox's receiver-selection policy,
/// fixed when it is created (register 3 of `create_mailbox`).
///
/// Under `OwnerOnly` only the owner receives, as every mailbox did before policies; under the
/// other three the owner may grant the receive privilege to other processes
/// (`grant_receive`), and the policy decides which waiting receiver a message goes to. Each
/// message is still read by exactly one receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Receivers {
    /// Only the owner receives; `grant_receive` is refused. The default (register 0).
    #[default]
    OwnerOnly,
    /// Waiting receivers are served in the order they began to wait.
    Fifo,
    /// Waiting receivers are served in turn: the next message goes to the first waiting
    /// receiver after the last one served, in the mailbox's member order (the owner, then
    /// the granted receivers in the order they were granted).
    RoundRobin,
    /// At most one receiver waits at a time: a second receive that would wait while
    /// another is waiting fails with `receiver_busy`.
    OneAtATime,
}

impl Receivers {
    /// Every policy, in register order.
    pub const ALL: [Receivers; 4] = [
        Receivers::OwnerOnly,
        Receivers::Fifo,
        Receivers::RoundRobin,
        Receivers::OneAtATime,
    ];

    /// The register encoding: 0 owner_only, 1 fifo, 2 round_robin, 3 one_at_a_time.
    pub const fn raw(self) -> u64 {
        match self {
            Receivers::OwnerOnly => 0,
            Receivers::Fifo => 1,
            Receivers::RoundRobin => 2,
            Receivers::OneAtATime => 3,
        }
    }

    /// Decode a receiver-policy register. Any other value is malformed.
    pub const fn from_raw(raw: u64) -> Result<Receivers, Error> {
        match raw {
            0 => Ok(Receivers::OwnerOnly),
            1 => Ok(Receivers::Fifo),
            2 => Ok(Receivers::RoundRobin),
            3 => Ok(Receivers::OneAtATime),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The snake_case name used in traces, scenario files and docs.
    pub const fn name(self) -> &'static str {
        match self {
            Receivers::OwnerOnly => "owner_only",
            Receivers::Fifo => "fifo",
            Receivers::RoundRobin => "round_robin",
            Receivers::OneAtATime => "one_at_a_time",
        }
    }

    /// The policy whose [`name`](Self::name) is `name`.
    pub fn from_name(name: &str) -> Option<Receivers> {
        Receivers::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether processes other than the owner may be granted the receive privilege.
    pub const fn is_shared(self) -> bool {
        !matches!(self, Receivers::OwnerOnly)
    }
}

impl fmt::Display for Receivers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who a mailbox belongs to, fixed when it is created (register 4 of `create_mailbox`): what
/// its owner's exit does to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lifetime {
    /// Owned by its owner: deleted when the owner exits (its queue dropped, its waiters
    /// woken with `mailbox_deleted`). The default (register 0).
    #[default]
    Owner,
    /// Owned by the system: it lives until deleted. When its owner exits, ownership passes
    /// to its first granted receiver still live, or, with none, to nobody (any process may
    /// then delete it or take it over); queued messages and waiters stay.
    System,
}

impl Lifetime {
    /// Every lifetime, in register order.
    pub const ALL: [Lifetime; 2] = [Lifetime::Owner, Lifetime::System];

    /// The register encoding: 0 owner, 1 system.
    pub const fn raw(self) -> u64 {
        match self {
            Lifetime::Owner => 0,
            Lifetime::System => 1,
        }
    }

    /// Decode a lifetime register. Any other value is malformed.
    pub const fn from_raw(raw: u64) -> Result<Lifetime, Error> {
        match raw {
            0 => Ok(Lifetime::Owner),
            1 => Ok(Lifetime::System),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The snake_case name used in traces, scenario files and docs.
    pub const fn name(self) -> &'static str {
        match self {
            Lifetime::Owner => "owner",
            Lifetime::System => "system",
        }
    }

    /// The lifetime whose [`name`](Self::name) is `name`.
    pub fn from_name(name: &str) -> Option<Lifetime> {
        Lifetime::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

bitflags! {
    /// What a successful `send` reports in return register 1.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct SendFlags: u64 {
        /// The message went straight to a receiver of a shared mailbox (a policy other than
        /// `owner_only`), whose pid is in return register 2.
        const TAKEN = 1 << 0;
    }
}

bitflags! {
    /// Synchronisation flags of `send`, `receive`, `call` and `wait`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct IpcFlags: u64 {
        /// Fail with `WouldBlock` instead of waiting.
        const NONBLOCK = 1 << 0;
        /// Wait at most the ticks in the timeout register, then fail with `TimedOut`.
        const TIMEOUT = 1 << 1;
    }
}

bitflags! {
    /// What `receive` reports about the message in return register 3.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct RecvFlags: u64 {
        /// The sender used `call` and waits for the receiver's `reply`.
        const CALL = 1 << 0;
        /// The message brought its receiver the receive right (ownership) of the mailbox
        /// whose id follows the message in the IPC buffer ([`RIGHT_TRAILER_LEN`] bytes).
        const RIGHT_RECEIVE = 1 << 1;
        /// The message brought its receiver a send right on the mailbox whose id follows the
        /// message in the IPC buffer.
        const RIGHT_SEND = 1 << 2;
    }
}

/// Whether and how long a call may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Wait as long as it takes.
    #[default]
    Blocking,
    /// Never wait: fail with `WouldBlock`.
    NonBlocking,
    /// Wait at most this many ticks, then fail with `TimedOut`. `Timeout(0)` tries once and
    /// never waits: what would wait fails with `TimedOut` at once (a `call` sends its request
    /// if it can go at once, and gives up on the reply).
    Timeout(Ticks),
}

impl Mode {
    /// The (flags, timeout) register pair.
    pub const fn encode(self) -> (u64, u64) {
        match self {
            Mode::Blocking => (0, 0),
            Mode::NonBlocking => (IpcFlags::NONBLOCK.bits(), 0),
            Mode::Timeout(t) => (IpcFlags::TIMEOUT.bits(), t),
        }
    }

    /// Decode the (flags, timeout) register pair. Unknown bits, or both flags, are malformed.
    #[inline]
    pub fn decode(flags: u64, timeout: u64) -> Result<Mode, Error> {
        let flags = IpcFlags::from_bits(flags).ok_or(Error::InvalidArgument)?;
        if flags == IpcFlags::NONBLOCK {
            Ok(Mode::NonBlocking)
        } else if flags == IpcFlags::TIMEOUT {
            Ok(Mode::Timeout(timeout))
        } else if flags.is_empty() {
            Ok(Mode::Blocking)
        } else {
            Err(Error::InvalidArgument)
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Blocking => f.write_str("blocking"),
            Mode::NonBlocking => f.write_str("nonblocking"),
            Mode::Timeout(t) => write!(f, "timeout={t}"),
        }
    }
}

/// Where a `send` or `call` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    /// Direct naming: the process's own inbox.
    Process(Pid),
    /// Indirect naming: a mailbox.
    Mailbox(MailboxId),
}

const KIND_PROCESS: u64 = 0;
const KIND_MAILBOX: u64 = 1;
const KIND_ANY: u64 = 2;

impl Dest {
    const fn encode(self) -> (u64, u64) {
        match self {
            Dest::Process(p) => (KIND_PROCESS, p.raw()),
            Dest::Mailbox(m) => (KIND_MAILBOX, m.raw()),
        }
    }

    fn decode(kind: u64, id: u64) -> Result<Dest, Error> {
        match kind {
            KIND_PROCESS => Ok(Dest::Process(Pid::from_raw(id))),
            KIND_MAILBOX => Ok(Dest::Mailbox(MailboxId::from_raw(id))),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl fmt::Display for Dest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dest::Process(p) => write!(f, "{p}"),
            Dest::Mailbox(m) => write!(f, "{m}"),
        }
    }
}

/// Where a `receive` takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Symmetric direct naming: only this process's messages, from the caller's inbox.
    Process(Pid),
    /// Indirect naming: a mailbox the caller owns.
    Mailbox(MailboxId),
    /// Asymmetric direct naming: the oldest message in the caller's inbox, from anyone.
    Any,
}

impl Source {
    const fn encode(self) -> (u64, u64) {
        match self {
            Source::Process(p) => (KIND_PROCESS, p.raw()),
            Source::Mailbox(m) => (KIND_MAILBOX, m.raw()),
            Source::Any => (KIND_ANY, 0),
        }
    }

    fn decode(kind: u64, id: u64) -> Result<Source, Error> {
        match kind {
            KIND_PROCESS => Ok(Source::Process(Pid::from_raw(id))),
            KIND_MAILBOX => Ok(Source::Mailbox(MailboxId::from_raw(id))),
            KIND_ANY => Ok(Source::Any),
            _ => Err(Error::InvalidArgument),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Process(p) => write!(f, "{p}"),
            Source::Mailbox(m) => write!(f, "{m}"),
            Source::Any => f.write_str("any"),
        }
    }
}

/// A syscall with its arguments decoded from the registers.
///
/// Lengths count bytes of the caller's IPC buffer: outgoing bytes (message, name, program)
/// are the bytes handed to [`Trap::syscall`](crate::Trap::syscall), from the start; incoming
/// bytes are read with [`Trap::take_received`](crate::Trap::take_received).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syscall {
    /// New mailbox owned by the caller; `name_len` bytes of name (0: anonymous).
    /// Returns the id in register 1.
    CreateMailbox {
        /// How many messages it buffers.
        capacity: Capacity,
        /// Length of the name in the send buffer.
        name_len: u64,
        /// What a send does when it is full (register 2; 0 is `Block`).
        overflow: Overflow,
        /// Who may receive and which receiver a message goes to (register 3; 0 is
        /// `OwnerOnly`).
        receivers: Receivers,
        /// Whether it dies with its owner (register 4; 0 is `Owner`).
        lifetime: Lifetime,
    },
    /// Delete a mailbox the caller owns.
    DeleteMailbox {
        /// The mailbox to delete: its queued messages are dropped, its waiters woken.
        mailbox: MailboxId,
    },
    /// The id of the live mailbox with this name, in register 1.
    LookupMailbox {
        /// Length of the name in the send buffer.
        name_len: u64,
    },
    /// Hand ownership to another live process.
    TransferMailbox {
        /// The mailbox, which the caller must own.
        mailbox: MailboxId,
        /// The new owner.
        to: Pid,
    },
    /// Send `len` bytes.
    Send {
        /// A process (its inbox) or a mailbox.
        dest: Dest,
        /// The message's length in bytes, from the start of the send buffer.
        len: u64,
        /// Whether to wait for room or a receiver: always, never, or until a timeout.
        mode: Mode,
    },
    /// Receive into a buffer of `buf_len` bytes. Returns the sender in register 1, the length
    /// in register 2 and [`RecvFlags`] in register 3.
    Receive {
        /// The caller's inbox (from any sender, or from one named process), or a mailbox
        /// it owns.
        source: Source,
        /// How many bytes the caller accepts.
        buf_len: u64,
        /// Whether to wait for a message: always, never, or until a timeout.
        mode: Mode,
    },
    /// Send `len` bytes and wait for the receiver's reply, which must fit `reply_len` bytes.
    /// Returns the replier in register 1 and the reply length in register 2.
    Call {
        /// A process (its inbox) or a mailbox.
        dest: Dest,
        /// The request's length in bytes, from the start of the send buffer.
        len: u64,
        /// Whether to wait, for the whole call.
        mode: Mode,
        /// How many reply bytes the caller accepts.
        reply_len: u64,
    },
    /// Answer a process that is waiting in `call` on the caller.
    Reply {
        /// The caller to answer.
        to: Pid,
        /// The reply's length in bytes, from the start of the send buffer.
        len: u64,
    },
    /// Start a new process. The send buffer holds the program name, then the label.
    /// Returns the child's pid in register 1.
    Spawn {
        /// Length of the program name.
        program_len: u64,
        /// Length of the label the trace shows (0: the program name).
        label_len: u64,
        /// The argument the program receives.
        arg: u64,
        /// Capacity of the child's direct inbox.
        inbox: Capacity,
        /// Scheduling priority, recorded for policies that use it (round robin and FCFS
        /// ignore it).
        priority: u8,
        /// The CPU burst the child declares it will need, in ticks, for shortest-job-first
        /// policies; 0 declares nothing (they then estimate from its measured bursts).
        expected_burst: Ticks,
        /// The tick at which the child joins the run queue; `None`: at once. It travels in
        /// the priority register above the priority's 8 bits (see [`SPAWN_ARRIVAL_MAX`]).
        arrival: Option<Ticks>,
    },
    /// End the caller with an exit code. Never returns.
    Exit {
        /// The exit code its parent collects.
        code: i32,
    },
    /// Collect an exited child's code, in register 1.
    Wait {
        /// A child of the caller's.
        child: Pid,
        /// Whether to wait for it to exit: always, never, or until a timeout.
        mode: Mode,
    },
    /// The caller's pid, in register 1.
    GetPid,
    /// Give up the CPU.
    Yield,
    /// Block for this many ticks.
    Sleep {
        /// Ticks to sleep; 0 gives up the CPU as `yield` does.
        ticks: Ticks,
    },
    /// Use the CPU for this many ticks (the timer may preempt in between).
    Compute {
        /// Ticks of CPU time to use; 0 returns at once.
        ticks: Ticks,
    },
    /// Write `len` bytes to the machine's console.
    Print {
        /// The text's length in bytes, from the start of the send buffer.
        len: u64,
    },
    /// Let `to` receive from a shared mailbox the caller owns.
    GrantReceive {
        /// The mailbox; its receiver policy must not be `OwnerOnly`.
        mailbox: MailboxId,
        /// The process granted the receive privilege.
        to: Pid,
    },
    /// Take the receive privilege back from `from`.
    RevokeReceive {
        /// The mailbox the caller owns.
        mailbox: MailboxId,
        /// The process that loses the privilege (woken with `not_owner` if it waits there).
        from: Pid,
    },
    /// Send `len` bytes carrying a right, moved to the receiver when it receives the message
    /// (if the sender still holds it then).
    SendRight {
        /// A process (its inbox) or a mailbox.
        dest: Dest,
        /// The message's length in bytes, from the start of the send buffer.
        len: u64,
        /// Whether to wait for room or a receiver.
        mode: Mode,
        /// The right it carries (its kind in the flags register, its mailbox in register 5).
        right: Right,
    },
    /// Give `to` a send right on a mailbox: the caller must own it or hold one.
    GrantSend {
        /// The mailbox.
        mailbox: MailboxId,
        /// The process given the send right.
        to: Pid,
    },
    /// Receive from whichever endpoint of a set is ready (the set is in the send buffer,
    /// [`encode_select_set`]). Returns the sender in register 1, the length in register 2,
    /// and in register 3 the [`RecvFlags`] and, from [`SELECT_INDEX_SHIFT`], the position in
    /// the set of the endpoint the message came from.
    Select {
        /// How many endpoints the set has (at most [`MAX_SELECT`]).
        count: u64,
        /// How many bytes the caller accepts.
        buf_len: u64,
        /// Whether to wait for a message: always, never, or until a timeout.
        mode: Mode,
    },
}

impl Syscall {
    /// The trap-table number.
    pub const fn sysno(&self) -> Sysno {
        match self {
            Syscall::CreateMailbox { .. } => Sysno::CreateMailbox,
            Syscall::DeleteMailbox { .. } => Sysno::DeleteMailbox,
            Syscall::LookupMailbox { .. } => Sysno::LookupMailbox,
            Syscall::TransferMailbox { .. } => Sysno::TransferMailbox,
            Syscall::Send { .. } => Sysno::Send,
            Syscall::Receive { .. } => Sysno::Receive,
            Syscall::Call { .. } => Sysno::Call,
            Syscall::Reply { .. } => Sysno::Reply,
            Syscall::Spawn { .. } => Sysno::Spawn,
            Syscall::Exit { .. } => Sysno::Exit,
            Syscall::Wait { .. } => Sysno::Wait,
            Syscall::GetPid => Sysno::GetPid,
            Syscall::Yield => Sysno::Yield,
            Syscall::Sleep { .. } => Sysno::Sleep,
            Syscall::Compute { .. } => Sysno::Compute,
            Syscall::Print { .. } => Sysno::Print,
            Syscall::GrantReceive { .. } => Sysno::GrantReceive,
            Syscall::RevokeReceive { .. } => Sysno::RevokeReceive,
            Syscall::Select { .. } => Sysno::Select,
            Syscall::SendRight { .. } => Sysno::SendRight,
            Syscall::GrantSend { .. } => Sysno::GrantSend,
        }
    }

    /// Write this call into a frame's number and argument registers (userland's side).
    #[inline]
    pub fn encode(&self, frame: &mut TrapFrame) {
        frame.sysno = self.sysno() as u64;
        frame.args = match *self {
            Syscall::CreateMailbox {
                capacity,
                name_len,
                overflow,
                receivers,
                lifetime,
            } => [
                capacity.raw(),
                name_len,
                overflow.raw(),
                receivers.raw(),
                lifetime.raw(),
                0,
            ],
            Syscall::DeleteMailbox { mailbox } => [mailbox.raw(), 0, 0, 0, 0, 0],
            Syscall::LookupMailbox { name_len } => [name_len, 0, 0, 0, 0, 0],
            Syscall::TransferMailbox { mailbox, to } => [mailbox.raw(), to.raw(), 0, 0, 0, 0],
            Syscall::Send { dest, len, mode } => {
                let (k, id) = dest.encode();
                let (f, t) = mode.encode();
                [k, id, len, f, t, 0]
            }
            Syscall::Receive {
                source,
                buf_len,
                mode,
            } => {
                let (k, id) = source.encode();
                let (f, t) = mode.encode();
                [k, id, buf_len, f, t, 0]
            }
            Syscall::Call {
                dest,
                len,
                mode,
                reply_len,
            } => {
                let (k, id) = dest.encode();
                let (f, t) = mode.encode();
                [k, id, len, f, t, reply_len]
            }
            Syscall::Reply { to, len } => [to.raw(), len, 0, 0, 0, 0],
            Syscall::Spawn {
                program_len,
                label_len,
                arg,
                inbox,
                priority,
                expected_burst,
                arrival,
            } => [
                program_len,
                label_len,
                arg,
                inbox.raw(),
                priority as u64 | encode_arrival(arrival) << ARRIVAL_SHIFT,
                expected_burst,
            ],
            Syscall::Exit { code } => [code as i64 as u64, 0, 0, 0, 0, 0],
            Syscall::Wait { child, mode } => {
                let (f, t) = mode.encode();
                [child.raw(), f, t, 0, 0, 0]
            }
            Syscall::GetPid | Syscall::Yield => [0; ARG_REGS],
            Syscall::Sleep { ticks } | Syscall::Compute { ticks } => [ticks, 0, 0, 0, 0, 0],
            Syscall::Print { len } => [len, 0, 0, 0, 0, 0],
            Syscall::GrantReceive { mailbox, to } => [mailbox.raw(), to.raw(), 0, 0, 0, 0],
            Syscall::RevokeReceive { mailbox, from } => [mailbox.raw(), from.raw(), 0, 0, 0, 0],
            Syscall::Select {
                count,
                buf_len,
                mode,
            } => {
                let (f, t) = mode.encode();
                [count, buf_len, f, t, 0, 0]
            }
            Syscall::SendRight {
                dest,
                len,
                mode,
                right,
            } => {
                let (k, id) = dest.encode();
                let (f, t) = mode.encode();
                [k, id, len, f | right.carry_bit(), t, right.mailbox().raw()]
            }
            Syscall::GrantSend { mailbox, to } => [mailbox.raw(), to.raw(), 0, 0, 0, 0],
        };
    }

    /// Read a call from a frame (the kernel's side). Any register contents give either a
    /// call or an error; decoding never panics.
    #[inline(always)]
    pub fn decode(frame: &TrapFrame) -> Result<Syscall, Error> {
        let a = frame.args;
        let sysno = Sysno::from_raw(frame.sysno).ok_or(Error::UnknownSyscall)?;
        Ok(match sysno {
            Sysno::CreateMailbox => Syscall::CreateMailbox {
                capacity: Capacity::from_raw(a[0])?,
                name_len: a[1],
                overflow: Overflow::from_raw(a[2])?,
                receivers: Receivers::from_raw(a[3])?,
                lifetime: Lifetime::from_raw(a[4])?,
            },
            Sysno::DeleteMailbox => Syscall::DeleteMailbox {
                mailbox: MailboxId::from_raw(a[0]),
            },
            Sysno::LookupMailbox => Syscall::LookupMailbox { name_len: a[0] },
            Sysno::TransferMailbox => Syscall::TransferMailbox {
                mailbox: MailboxId::from_raw(a[0]),
                to: Pid::from_raw(a[1]),
            },
            Sysno::Send => Syscall::Send {
                dest: Dest::decode(a[0], a[1])?,
                len: a[2],
                mode: Mode::decode(a[3], a[4])?,
            },
            Sysno::Receive => Syscall::Receive {
                source: Source::decode(a[0], a[1])?,
                buf_len: a[2],
                mode: Mode::decode(a[3], a[4])?,
            },
            Sysno::Call => Syscall::Call {
                dest: Dest::decode(a[0], a[1])?,
                len: a[2],
                mode: Mode::decode(a[3], a[4])?,
                reply_len: a[5],
            },
            Sysno::Reply => Syscall::Reply {
                to: Pid::from_raw(a[0]),
                len: a[1],
            },
            Sysno::Spawn => Syscall::Spawn {
                program_len: a[0],
                label_len: a[1],
                arg: a[2],
                inbox: Capacity::from_raw(a[3])?,
                priority: decode_priority(a[4])?,
                expected_burst: a[5],
                arrival: decode_arrival(a[4] >> ARRIVAL_SHIFT)?,
            },
            Sysno::Exit => Syscall::Exit {
                code: i32::try_from(a[0] as i64).map_err(|_| Error::InvalidArgument)?,
            },
            Sysno::Wait => Syscall::Wait {
                child: Pid::from_raw(a[0]),
                mode: Mode::decode(a[1], a[2])?,
            },
            Sysno::GetPid => Syscall::GetPid,
            Sysno::Yield => Syscall::Yield,
            Sysno::Sleep => Syscall::Sleep { ticks: a[0] },
            Sysno::Compute => Syscall::Compute { ticks: a[0] },
            Sysno::Print => Syscall::Print { len: a[0] },
            Sysno::GrantReceive => Syscall::GrantReceive {
                mailbox: MailboxId::from_raw(a[0]),
                to: Pid::from_raw(a[1]),
            },
            Sysno::RevokeReceive => Syscall::RevokeReceive {
                mailbox: MailboxId::from_raw(a[0]),
                from: Pid::from_raw(a[1]),
            },
            Sysno::Select => Syscall::Select {
                count: a[0],
                buf_len: a[1],
                mode: Mode::decode(a[2], a[3])?,
            },
            Sysno::SendRight => {
                let (right, flags) = Right::decode(a[3], a[5])?;
                Syscall::SendRight {
                    dest: Dest::decode(a[0], a[1])?,
                    len: a[2],
                    mode: Mode::decode(flags, a[4])?,
                    right,
                }
            }
            Sysno::GrantSend => Syscall::GrantSend {
                mailbox: MailboxId::from_raw(a[0]),
                to: Pid::from_raw(a[1]),
            },
        })
    }
}

impl fmt::Display for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.sysno().name();
        match *self {
            Syscall::CreateMailbox {
                capacity,
                name_len,
                overflow,
                receivers,
                lifetime,
            } => {
                write!(f, "{name}(capacity={capacity}, name_len={name_len}")?;
                // Shown only when not the default, so traces of programs that never chose a
                // policy read as they always have.
                if overflow != Overflow::Block {
                    write!(f, ", overflow={overflow}")?;
                }
                if receivers != Receivers::OwnerOnly {
                    write!(f, ", receivers={receivers}")?;
                }
                if lifetime != Lifetime::Owner {
                    write!(f, ", lifetime={lifetime}")?;
                }
                f.write_str(")")
            }
            Syscall::DeleteMailbox { mailbox } => write!(f, "{name}({mailbox})"),
            Syscall::LookupMailbox { name_len } => write!(f, "{name}(name_len={name_len})"),
            Syscall::TransferMailbox { mailbox, to } => write!(f, "{name}({mailbox}, to={to})"),
            Syscall::Send { dest, len, mode } => write!(f, "{name}({dest}, {len}B, {mode})"),
            Syscall::Receive {
                source,
                buf_len,
                mode,
            } => write!(f, "{name}({source}, buf={buf_len}B, {mode})"),
            Syscall::Call {
                dest,
                len,
                mode,
                reply_len,
            } => write!(f, "{name}({dest}, {len}B, {mode}, reply_buf={reply_len}B)"),
            Syscall::Reply { to, len } => write!(f, "{name}({to}, {len}B)"),
            Syscall::Spawn {
                arg,
                inbox,
                priority,
                expected_burst,
                arrival,
                ..
            } => {
                write!(f, "{name}(arg={arg}, inbox={inbox}, priority={priority}")?;
                // Shown only when declared, so traces of programs that declare nothing read
                // as they always have.
                if expected_burst > 0 {
                    write!(f, ", burst={expected_burst}")?;
                }
                if let Some(at) = arrival {
                    write!(f, ", arrive={at}")?;
                }
                f.write_str(")")
            }
            Syscall::Exit { code } => write!(f, "{name}({code})"),
            Syscall::Wait { child, mode } => write!(f, "{name}({child}, {mode})"),
            Syscall::GetPid | Syscall::Yield => write!(f, "{name}()"),
            Syscall::Sleep { ticks } | Syscall::Compute { ticks } => write!(f, "{name}({ticks})"),
            Syscall::Print { len } => write!(f, "{name}({len}B)"),
            Syscall::GrantReceive { mailbox, to } => write!(f, "{name}({mailbox}, to={to})"),
            Syscall::RevokeReceive { mailbox, from } => {
                write!(f, "{name}({mailbox}, from={from})")
            }
            Syscall::Select {
                count,
                buf_len,
                mode,
            } => write!(f, "{name}({count} endpoints, buf={buf_len}B, {mode})"),
            Syscall::SendRight {
                dest,
                len,
                mode,
                right,
            } => write!(f, "{name}({dest}, {len}B, {mode}, {right})"),
            Syscall::GrantSend { mailbox, to } => write!(f, "{name}({mailbox}, to={to})"),
        }
    }
}

/// The latest arrival tick `spawn` takes. `spawn`'s priority register holds the priority in
/// bits 0 to 7, zeros in bits 8 to 15 (a priority above 255 is refused, as it always was),
/// and the arrival as `tick + 1` in bits 16 to 63 (0: none); the all-ones field is refused.
pub const SPAWN_ARRIVAL_MAX: Ticks = (1 << 48) - 3;

/// Where the arrival starts in `spawn`'s priority register.
const ARRIVAL_SHIFT: u32 = 16;

/// The arrival field of `spawn`'s priority register (without the shift). A tick past
/// [`SPAWN_ARRIVAL_MAX`] becomes the field the kernel refuses, rather than wrapping to a
/// different tick.
fn encode_arrival(arrival: Option<Ticks>) -> u64 {
    const FIELD: u64 = (1 << 48) - 1;
    arrival.map_or(0, |t| t.saturating_add(1).min(FIELD))
}

/// The priority from the low 16 bits of `spawn`'s priority register: above 255 is refused.
fn decode_priority(register: u64) -> Result<u8, Error> {
    u8::try_from(register & 0xffff).map_err(|_| Error::InvalidArgument)
}

/// The arrival from the field of `spawn`'s priority register (already shifted down).
fn decode_arrival(field: u64) -> Result<Option<Ticks>, Error> {
    match field {
        0 => Ok(None),
        f if f - 1 > SPAWN_ARRIVAL_MAX => Err(Error::InvalidArgument),
        f => Ok(Some(f - 1)),
    }
}

impl From<Pid> for Dest {
    fn from(p: Pid) -> Dest {
        Dest::Process(p)
    }
}

impl From<MailboxId> for Dest {
    fn from(m: MailboxId) -> Dest {
        Dest::Mailbox(m)
    }
}

impl From<Pid> for Source {
    fn from(p: Pid) -> Source {
        Source::Process(p)
    }
}

impl From<MailboxId> for Source {
    fn from(m: MailboxId) -> Source {
        Source::Mailbox(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn every_call_round_trips_through_a_frame() {
        let p = Pid::new(3, 1);
        let m = MailboxId::new(2, 4);
        let calls = [
            Syscall::CreateMailbox {
                capacity: Capacity::Bounded(4),
                name_len: 3,
                overflow: Overflow::DropOldest,
                receivers: Receivers::RoundRobin,
                lifetime: Lifetime::System,
            },
            Syscall::DeleteMailbox { mailbox: m },
            Syscall::LookupMailbox { name_len: 5 },
            Syscall::TransferMailbox { mailbox: m, to: p },
            Syscall::Send {
                dest: Dest::Mailbox(m),
                len: 16,
                mode: Mode::Timeout(9),
            },
            Syscall::Receive {
                source: Source::Any,
                buf_len: 64,
                mode: Mode::NonBlocking,
            },
            Syscall::Call {
                dest: Dest::Process(p),
                len: 1,
                mode: Mode::Blocking,
                reply_len: 8,
            },
            Syscall::Reply { to: p, len: 2 },
            Syscall::Spawn {
                program_len: 4,
                label_len: 0,
                arg: 7,
                inbox: Capacity::Unbounded,
                priority: 3,
                expected_burst: 12,
                arrival: Some(9),
            },
            Syscall::Exit { code: -3 },
            Syscall::Wait {
                child: p,
                mode: Mode::Blocking,
            },
            Syscall::GetPid,
            Syscall::Yield,
            Syscall::Sleep { ticks: 5 },
            Syscall::Compute { ticks: 6 },
            Syscall::Print { len: 3 },
            Syscall::GrantReceive { mailbox: m, to: p },
            Syscall::RevokeReceive {
                mailbox: m,
                from: p,
            },
            Syscall::Select {
                count: 2,
                buf_len: 8,
                mode: Mode::Timeout(3),
            },
            Syscall::SendRight {
                dest: Dest::Process(p),
                len: 4,
                mode: Mode::NonBlocking,
                right: Right::Receive(m),
            },
            Syscall::GrantSend { mailbox: m, to: p },
        ];
        assert_eq!(calls.len(), Sysno::ALL.len(), "one example per syscall");
        for call in calls {
            let mut frame = TrapFrame::default();
            call.encode(&mut frame);
            assert_eq!(Syscall::decode(&frame), Ok(call));
        }
    }

    #[test]
    fn spawn_declares_its_burst_in_the_sixth_register() {
        let mut spawn = Syscall::Spawn {
            program_len: 4,
            label_len: 2,
            arg: 7,
            inbox: Capacity::Bounded(1),
            priority: 2,
            expected_burst: 0,
            arrival: None,
        };
        let mut frame = TrapFrame::default();
        spawn.encode(&mut frame);
        assert_eq!(frame.args, [4, 2, 7, 1, 2, 0], "the old layout, unchanged");
        assert_eq!(
            spawn.to_string(),
            "spawn(arg=7, inbox=1, priority=2)",
            "nothing declared, nothing shown"
        );
        if let Syscall::Spawn { expected_burst, .. } = &mut spawn {
            *expected_burst = 30;
        }
        spawn.encode(&mut frame);
        assert_eq!(frame.args[5], 30);
        assert_eq!(Syscall::decode(&frame), Ok(spawn));
        assert_eq!(
            spawn.to_string(),
            "spawn(arg=7, inbox=1, priority=2, burst=30)"
        );
    }

    #[test]
    fn spawn_carries_its_arrival_above_the_priority() {
        let spawn = |arrival| Syscall::Spawn {
            program_len: 4,
            label_len: 0,
            arg: 0,
            inbox: Capacity::Zero,
            priority: 7,
            expected_burst: 0,
            arrival,
        };
        let mut frame = TrapFrame::default();
        spawn(Some(0)).encode(&mut frame);
        assert_eq!(
            frame.args[4],
            7 | 1 << 16,
            "arrival 0 is field 1: 0 means none"
        );
        assert_eq!(Syscall::decode(&frame), Ok(spawn(Some(0))));
        assert_eq!(
            spawn(Some(3)).to_string(),
            "spawn(arg=0, inbox=0, priority=7, arrive=3)"
        );
        spawn(Some(SPAWN_ARRIVAL_MAX)).encode(&mut frame);
        assert_eq!(Syscall::decode(&frame), Ok(spawn(Some(SPAWN_ARRIVAL_MAX))));
        // Past the field, refused rather than wrapped to another tick.
        spawn(Some(u64::MAX)).encode(&mut frame);
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument));
        spawn(Some(SPAWN_ARRIVAL_MAX + 1)).encode(&mut frame);
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument));
    }

    #[test]
    fn create_mailbox_takes_its_overflow_policy_in_the_third_register() {
        let mut create = Syscall::CreateMailbox {
            capacity: Capacity::Bounded(2),
            name_len: 1,
            overflow: Overflow::Block,
            receivers: Receivers::OwnerOnly,
            lifetime: Lifetime::Owner,
        };
        let mut frame = TrapFrame::default();
        create.encode(&mut frame);
        assert_eq!(frame.args, [2, 1, 0, 0, 0, 0], "the old layout, unchanged");
        assert_eq!(
            create.to_string(),
            "create_mailbox(capacity=2, name_len=1)",
            "the default, not shown"
        );
        for policy in Overflow::ALL {
            if let Syscall::CreateMailbox { overflow, .. } = &mut create {
                *overflow = policy;
            }
            create.encode(&mut frame);
            assert_eq!(frame.args[2], policy.raw());
            assert_eq!(Syscall::decode(&frame), Ok(create));
            assert_eq!(Overflow::from_name(policy.name()), Some(policy));
        }
        assert_eq!(
            create.to_string(),
            "create_mailbox(capacity=2, name_len=1, overflow=drop_oldest)"
        );
        frame.args[2] = 4;
        assert_eq!(
            Syscall::decode(&frame),
            Err(Error::InvalidArgument),
            "an unknown policy"
        );
        frame.args[2] = u64::MAX;
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument));
    }

    #[test]
    fn create_mailbox_takes_its_receivers_and_lifetime_in_the_fourth_and_fifth_registers() {
        let mut create = Syscall::CreateMailbox {
            capacity: Capacity::Zero,
            name_len: 0,
            overflow: Overflow::Block,
            receivers: Receivers::OwnerOnly,
            lifetime: Lifetime::Owner,
        };
        let mut frame = TrapFrame::default();
        for receivers in Receivers::ALL {
            for lifetime in Lifetime::ALL {
                if let Syscall::CreateMailbox {
                    receivers: r,
                    lifetime: l,
                    ..
                } = &mut create
                {
                    (*r, *l) = (receivers, lifetime);
                }
                create.encode(&mut frame);
                assert_eq!(frame.args[3], receivers.raw());
                assert_eq!(frame.args[4], lifetime.raw());
                assert_eq!(Syscall::decode(&frame), Ok(create));
                assert_eq!(Receivers::from_name(receivers.name()), Some(receivers));
                assert_eq!(Lifetime::from_name(lifetime.name()), Some(lifetime));
            }
        }
        assert_eq!(
            create.to_string(),
            "create_mailbox(capacity=0, name_len=0, receivers=one_at_a_time, lifetime=system)"
        );
        frame.args[3] = 4;
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument));
        frame.args[3] = 0;
        frame.args[4] = 2;
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument));
    }

    #[test]
    fn a_select_set_round_trips_and_malformed_sets_are_refused() {
        let m = MailboxId::new(2, 4);
        let set = [Source::Mailbox(m), Source::Any];
        let bytes = encode_select_set(&set);
        assert_eq!(bytes.len(), 2 * SELECT_ENTRY_LEN);
        assert_eq!(decode_select_set(&bytes, 2).as_deref(), Ok(&set[..]));
        assert_eq!(decode_select_set(&bytes, 1).as_deref(), Ok(&set[..1]));
        let bad = Err(Error::InvalidArgument);
        assert_eq!(decode_select_set(&bytes, 0), bad, "an empty set");
        assert_eq!(
            decode_select_set(&bytes, 3),
            bad,
            "fewer bytes than the count"
        );
        assert_eq!(decode_select_set(&bytes, u64::MAX), bad);
        let twice = encode_select_set(&[Source::Any, Source::Any]);
        assert_eq!(decode_select_set(&twice, 2), bad, "an endpoint named twice");
        let process = encode_select_set(&[Source::Process(Pid::new(1, 0))]);
        assert_eq!(decode_select_set(&process, 1), bad, "a symmetric source");
        let many: alloc::vec::Vec<Source> = (0..=MAX_SELECT as u32)
            .map(|i| Source::Mailbox(MailboxId::new(i, 0)))
            .collect();
        let bytes = encode_select_set(&many);
        assert_eq!(
            decode_select_set(&bytes, many.len() as u64),
            bad,
            "too many"
        );
        assert!(decode_select_set(&bytes, MAX_SELECT as u64).is_ok());
    }

    #[test]
    fn a_send_right_carries_exactly_one_right_beside_its_mode() {
        let m = MailboxId::new(3, 1);
        for right in [Right::Receive(m), Right::Send(m)] {
            for mode in [Mode::Blocking, Mode::NonBlocking, Mode::Timeout(4)] {
                let call = Syscall::SendRight {
                    dest: Dest::Mailbox(m),
                    len: 2,
                    mode,
                    right,
                };
                let mut frame = TrapFrame::default();
                call.encode(&mut frame);
                assert_eq!(frame.args[5], m.raw());
                assert_eq!(Syscall::decode(&frame), Ok(call));
            }
        }
        let mut frame = TrapFrame {
            sysno: Sysno::SendRight as u64,
            ..TrapFrame::default()
        };
        frame.args[3] = 0;
        assert_eq!(
            Syscall::decode(&frame),
            Err(Error::InvalidArgument),
            "no right"
        );
        frame.args[3] = CARRY_RECEIVE | CARRY_SEND;
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument), "two");
        frame.args[3] = CARRY_SEND | 1 << 20;
        assert_eq!(
            Syscall::decode(&frame),
            Err(Error::InvalidArgument),
            "a bad mode bit"
        );
        let trailer = m.raw().to_le_bytes();
        assert_eq!(
            Right::received(RecvFlags::RIGHT_SEND, &trailer),
            Some(Right::Send(m))
        );
        assert_eq!(Right::received(RecvFlags::CALL, &trailer), None);
        assert_eq!(
            Right::received(RecvFlags::RIGHT_RECEIVE, &trailer[1..]),
            None
        );
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let mut frame = TrapFrame {
            sysno: 999,
            ..TrapFrame::default()
        };
        assert_eq!(Syscall::decode(&frame), Err(Error::UnknownSyscall));
        frame.sysno = Sysno::Send as u64;
        frame.args = [7, 0, 0, 0, 0, 0];
        assert_eq!(Syscall::decode(&frame), Err(Error::InvalidArgument));
        frame.args = [0, 0, 0, 3, 0, 0];
        assert_eq!(
            Syscall::decode(&frame),
            Err(Error::InvalidArgument),
            "both mode flags"
        );
        frame.sysno = Sysno::Spawn as u64;
        frame.args = [1, 0, 0, 0, 256, 0];
        assert_eq!(
            Syscall::decode(&frame),
            Err(Error::InvalidArgument),
            "priority > 255"
        );
    }
}
