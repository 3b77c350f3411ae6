//! Typed syscall stubs: the only code in the project that builds trap frames.
//!
//! Each stub encodes its call with [`Syscall::encode`] and raises the trap with
//! [`Trap::syscall`], handing over the outgoing bytes. When the kernel finishes the call at
//! once and the process keeps its CPU, the stub returns without suspending, as a syscall
//! returns to the instruction after it. Otherwise the process lost its CPU: the stub
//! suspends, and when the machine polls it again it reads the result with [`Trap::resume`].
//! Received bytes are moved out of the IPC buffer with [`Trap::take_received`].

use abi::{
    result_of, Capacity, Dest, Error, Lifetime, MailboxId, Mode, Overflow, Payload, Pid, Receivers,
    RecvFlags, Right, SendFlags, Source, Syscall, Ticks, Trap, TrapFrame, Trapped, RET_REGS,
};
use core::cell::Cell;
use core::convert::Infallible;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context as TaskContext, Poll};
use std::rc::Rc;

/// What a syscall returns: its values or the error code.
pub type SysResult<T> = Result<T, Error>;

/// The largest buffer a receive offers when the caller does not choose one.
pub const DEFAULT_RECV_BUFFER: u64 = u32::MAX as u64;

/// A message taken by `receive`, or a reply returned by `call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who sent it, stamped by the kernel.
    pub sender: Pid,
    /// The bytes: read them as a `[u8]` (`&m.bytes[..8]`, `m.bytes == b"ok"`);
    /// `into_vec` gives a `Vec<u8>`.
    pub bytes: Payload,
    /// The sender is waiting in `call` for this process's `reply`.
    pub is_call: bool,
    /// The right the message brought (`send_right`), now this process's.
    pub right: Option<Right>,
}

/// A received message's bytes and the right it brought: the IPC buffer holds the message,
/// then, when a right came with it, the right's mailbox id (`abi::RIGHT_TRAILER_LEN` bytes).
fn split_right(flags: RecvFlags, received: Payload) -> (Payload, Option<Right>) {
    if !flags.intersects(RecvFlags::RIGHT_RECEIVE | RecvFlags::RIGHT_SEND) {
        return (received, None);
    }
    let mut bytes = received.into_vec();
    let at = bytes.len().saturating_sub(abi::RIGHT_TRAILER_LEN);
    let right = Right::received(flags, &bytes[at..]);
    bytes.truncate(at);
    (Payload::from_slice(&bytes), right)
}

impl Message {
    /// The bytes as text (lossy), for programs that send strings.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// How `spawn` starts a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnOptions<'a> {
    /// The program's name in the machine's program table.
    pub program: &'a str,
    /// The name the trace shows; empty for the program's name.
    pub label: &'a str,
    /// The argument the program receives.
    pub arg: u64,
    /// The capacity of the child's direct inbox.
    pub inbox: Capacity,
    /// Scheduling priority (higher is more urgent for the `priority` policy; lottery gives
    /// `priority + 1` tickets).
    pub priority: u8,
    /// The CPU burst the child declares, in ticks, for `sjf` and `srtf`; 0 declares
    /// nothing, and those policies estimate from the bursts they measure.
    pub expected_burst: Ticks,
    /// The tick at which the child joins the run queue; `None`: at once. Until then the
    /// kernel holds it (it sleeps, never having run); one due at once joins when the
    /// caller's stretch on its CPU ends (docs/abi.md).
    pub arrival: Option<Ticks>,
}

impl<'a> SpawnOptions<'a> {
    /// `program` with argument `arg`, a rendezvous inbox, priority 0 and no declared burst.
    pub fn new(program: &'a str, arg: u64) -> Self {
        SpawnOptions {
            program,
            label: "",
            arg,
            inbox: Capacity::Zero,
            priority: 0,
            expected_burst: 0,
            arrival: None,
        }
    }

    /// Show the child as `label` in traces.
    pub fn label(mut self, label: &'a str) -> Self {
        self.label = label;
        self
    }

    /// Give the child a direct inbox of this capacity.
    pub fn inbox(mut self, inbox: Capacity) -> Self {
        self.inbox = inbox;
        self
    }

    /// Give the child this priority.
    pub fn priority(mut self, priority: u8) -> Self {
        self.priority = priority;
        self
    }

    /// Declare the child's CPU burst, in ticks (0: declare nothing).
    pub fn burst(mut self, ticks: Ticks) -> Self {
        self.expected_burst = ticks;
        self
    }

    /// Hold the child until tick `at` (`None`: ready at once).
    pub fn arrive(mut self, at: Option<Ticks>) -> Self {
        self.arrival = at;
        self
    }
}

/// How a new mailbox is made, for [`Sys::create_mailbox_opts`]: the capacity, and, where
/// the defaults will not do, a name, an overflow policy, a receiver policy and a lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxOptions<'a> {
    /// How many messages it buffers.
    pub capacity: Capacity,
    /// The name it registers, if any.
    pub name: Option<&'a str>,
    /// What a send does when it is full.
    pub overflow: Overflow,
    /// Who may receive and which waiting receiver a message goes to.
    pub receivers: Receivers,
    /// Whether it dies with its owner.
    pub lifetime: Lifetime,
}

impl<'a> MailboxOptions<'a> {
    /// An anonymous mailbox of this capacity that blocks senders when full, is received from
    /// by its owner only, and dies with it.
    pub fn new(capacity: Capacity) -> Self {
        MailboxOptions {
            capacity,
            name: None,
            overflow: Overflow::Block,
            receivers: Receivers::OwnerOnly,
            lifetime: Lifetime::Owner,
        }
    }

    /// Register it under `name`.
    pub fn name(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    /// What a send to it does when it is full.
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Share it among receivers the owner grants, chosen by `receivers`.
    pub fn receivers(mut self, receivers: Receivers) -> Self {
        self.receivers = receivers;
        self
    }

    /// Whether it dies with its owner ([`Lifetime::Owner`]) or lives until deleted
    /// ([`Lifetime::System`]).
    pub fn lifetime(mut self, lifetime: Lifetime) -> Self {
        self.lifetime = lifetime;
        self
    }
}

/// A process's handle on the kernel: its syscalls.
///
/// Cloning is cheap; every clone traps on the CPU that runs it, for the process it runs.
#[derive(Clone)]
pub struct Sys {
    cpu: Rc<dyn Trap>,
    /// Syscalls raised through this handle and its clones: how an interpreter tells whether
    /// its statements still trap (see [`Sys::stall`]).
    traps: Rc<Cell<u64>>,
}

impl Sys {
    /// The handle on a CPU's trap. The machine makes one per process.
    pub fn new(cpu: Rc<dyn Trap>) -> Sys {
        Sys {
            cpu,
            traps: Rc::default(),
        }
    }

    /// How many syscalls this handle and its clones have raised.
    pub fn traps(&self) -> u64 {
        self.traps.get()
    }

    /// Give up: the program ran `steps` steps of its own since its last syscall and would
    /// run on without one, which no clock can measure, so the machine ends the run as a
    /// livelock ([`Trap::stall`]). The future never completes.
    pub async fn stall(&self, steps: u64) {
        self.cpu.stall(steps);
        core::future::pending::<()>().await
    }

    /// The raw return registers of the last finished syscall. After `BufferTooSmall`,
    /// register 1 holds the length the message needs.
    pub fn last_return(&self) -> [u64; RET_REGS] {
        self.cpu.last_return()
    }

    /// Raise a trap: `call` in the registers, `out` as the outgoing bytes.
    #[inline]
    fn trap<'a>(&'a self, call: Syscall, out: &'a [u8]) -> Raised<'a> {
        let mut frame = TrapFrame::default();
        call.encode(&mut frame);
        self.traps.set(self.traps.get() + 1);
        Raised {
            cpu: &*self.cpu,
            frame,
            out,
            raised: false,
        }
    }

    /// A syscall whose stub makes `finish` of its result: the stubs used in loops are plain
    /// futures of this kind rather than `async fn`s, so a trap costs one future, not two.
    #[inline]
    fn call_with<'a, T, F>(&'a self, call: Syscall, out: &'a [u8], finish: F) -> Calling<'a, F>
    where
        F: FnOnce(&'a dyn Trap, SysResult<[u64; RET_REGS - 1]>) -> T + Unpin,
    {
        Calling {
            raised: self.trap(call, out),
            finish: Some(finish),
        }
    }

    /// `getpid()`: the caller's own pid.
    pub fn getpid(&self) -> impl Future<Output = Pid> + '_ {
        self.call_with(Syscall::GetPid, &[], |_, r| match r {
            Ok(r) => Pid::from_raw(r[0]),
            // The kernel answers getpid for every live caller; nothing else reaches here.
            Err(_) => Pid::from_raw(u64::MAX),
        })
    }

    /// `create_mailbox(capacity, name?)`: a new mailbox the caller owns. A name registers it
    /// for [`lookup_mailbox`](Self::lookup_mailbox). When full, it makes senders wait
    /// ([`Overflow::Block`]); [`create_mailbox_with`](Self::create_mailbox_with) chooses
    /// another policy.
    pub async fn create_mailbox(
        &self,
        capacity: Capacity,
        name: Option<&str>,
    ) -> SysResult<MailboxId> {
        self.create_mailbox_with(capacity, name, Overflow::Block)
            .await
    }

    /// `create_mailbox(capacity, name?, overflow)`: a new mailbox the caller owns, with the
    /// policy for a send that finds it full. A policy other than `Block` needs a bounded
    /// capacity to act on; at capacity zero it is `InvalidArgument`.
    pub async fn create_mailbox_with(
        &self,
        capacity: Capacity,
        name: Option<&str>,
        overflow: Overflow,
    ) -> SysResult<MailboxId> {
        let mut options = MailboxOptions::new(capacity).overflow(overflow);
        options.name = name;
        self.create_mailbox_opts(options).await
    }

    /// `create_mailbox` with every choice: see [`MailboxOptions`]. A receiver policy other
    /// than [`Receivers::OwnerOnly`] lets the owner grant the receive privilege
    /// ([`grant_receive`](Self::grant_receive)).
    pub async fn create_mailbox_opts(&self, options: MailboxOptions<'_>) -> SysResult<MailboxId> {
        let name = options.name.unwrap_or("").as_bytes();
        let call = Syscall::CreateMailbox {
            capacity: options.capacity,
            name_len: name.len() as u64,
            overflow: options.overflow,
            receivers: options.receivers,
            lifetime: options.lifetime,
        };
        self.trap(call, name)
            .await
            .map(|r| MailboxId::from_raw(r[0]))
    }

    /// `grant_receive(id, pid)`: owner only; let `to` receive from the shared mailbox `id`
    /// (`InvalidArgument` if its policy is `OwnerOnly`). Granting twice changes nothing.
    pub async fn grant_receive(&self, mailbox: MailboxId, to: Pid) -> SysResult<()> {
        self.trap(Syscall::GrantReceive { mailbox, to }, &[])
            .await
            .map(drop)
    }

    /// `revoke_receive(id, pid)`: owner only; take the receive privilege back from `from`,
    /// which is woken with `NotOwner` if it waits in `receive` there. Revoking what was not
    /// granted changes nothing.
    pub async fn revoke_receive(&self, mailbox: MailboxId, from: Pid) -> SysResult<()> {
        self.trap(Syscall::RevokeReceive { mailbox, from }, &[])
            .await
            .map(drop)
    }

    /// `lookup_mailbox(name)`: the id of the live mailbox with this name.
    pub async fn lookup_mailbox(&self, name: &str) -> SysResult<MailboxId> {
        let call = Syscall::LookupMailbox {
            name_len: name.len() as u64,
        };
        self.trap(call, name.as_bytes())
            .await
            .map(|r| MailboxId::from_raw(r[0]))
    }

    /// `delete_mailbox(id)`: owner only. Wakes everyone waiting on it with `MailboxDeleted`.
    pub async fn delete_mailbox(&self, mailbox: MailboxId) -> SysResult<()> {
        self.trap(Syscall::DeleteMailbox { mailbox }, &[])
            .await
            .map(drop)
    }

    /// `transfer_mailbox(id, pid)`: hand ownership to another live process.
    pub async fn transfer_mailbox(&self, mailbox: MailboxId, to: Pid) -> SysResult<()> {
        self.trap(Syscall::TransferMailbox { mailbox, to }, &[])
            .await
            .map(drop)
    }

    /// `send(dest, bytes, mode)`: to a process's inbox or to a mailbox.
    pub fn send<'a>(
        &'a self,
        dest: impl Into<Dest>,
        bytes: &'a [u8],
        mode: Mode,
    ) -> impl Future<Output = SysResult<()>> + 'a {
        let call = Syscall::Send {
            dest: dest.into(),
            len: bytes.len() as u64,
            mode,
        };
        self.call_with(call, bytes, |_, r| r.map(drop))
    }

    /// `send_right(dest, bytes, mode, right)`: a send whose message carries `right` (the
    /// caller must hold it: own the mailbox for [`Right::Receive`], hold a send right for
    /// [`Right::Send`]). The right moves to the receiver when the message is received, if
    /// the caller still holds it then; a message dropped unread leaves it with the caller.
    pub fn send_right<'a>(
        &'a self,
        dest: impl Into<Dest>,
        bytes: &'a [u8],
        mode: Mode,
        right: Right,
    ) -> impl Future<Output = SysResult<()>> + 'a {
        let call = Syscall::SendRight {
            dest: dest.into(),
            len: bytes.len() as u64,
            mode,
            right,
        };
        self.call_with(call, bytes, |_, r| r.map(drop))
    }

    /// `grant_send(id, pid)`: give `to` a send right on `mailbox` (the caller must own it or
    /// hold one). What capability mode asks of a sender.
    pub async fn grant_send(&self, mailbox: MailboxId, to: Pid) -> SysResult<()> {
        self.trap(Syscall::GrantSend { mailbox, to }, &[])
            .await
            .map(drop)
    }

    /// `send(dest, bytes, mode)`, reporting who took the message: `Some(pid)` when it went
    /// straight to a receiver of a shared mailbox (always so at capacity zero), `None` when
    /// it was queued or the mailbox is not shared.
    pub fn send_reporting<'a>(
        &'a self,
        dest: impl Into<Dest>,
        bytes: &'a [u8],
        mode: Mode,
    ) -> impl Future<Output = SysResult<Option<Pid>>> + 'a {
        let call = Syscall::Send {
            dest: dest.into(),
            len: bytes.len() as u64,
            mode,
        };
        self.call_with(call, bytes, |_, r| {
            let r = r?;
            Ok(SendFlags::from_bits_truncate(r[0])
                .contains(SendFlags::TAKEN)
                .then(|| Pid::from_raw(r[1])))
        })
    }

    /// `select(set, mode)`: receive from whichever endpoint of `set` (mailboxes the caller
    /// may receive from, and [`Source::Any`] for its inbox; at most [`abi::MAX_SELECT`], each
    /// once) has a message, with a buffer as large as any message. The position in `set` of
    /// the endpoint it came from, and the message. Among ready endpoints, the one after the
    /// endpoint the previous `select` took from goes first.
    pub fn select<'a>(
        &'a self,
        set: &'a [Source],
        mode: Mode,
    ) -> impl Future<Output = SysResult<(usize, Message)>> + 'a {
        self.select_upto(set, DEFAULT_RECV_BUFFER, mode)
    }

    /// `select` with a buffer of `buf_len` bytes.
    pub fn select_upto<'a>(
        &'a self,
        set: &'a [Source],
        buf_len: u64,
        mode: Mode,
    ) -> impl Future<Output = SysResult<(usize, Message)>> + 'a {
        let call = Syscall::Select {
            count: set.len() as u64,
            buf_len,
            mode,
        };
        let bytes = abi::encode_select_set(set);
        async move {
            self.call_with(call, &bytes, |cpu, r| {
                let r = r?;
                let flags = RecvFlags::from_bits_truncate(r[2] & u64::from(u32::MAX));
                let (bytes, right) = split_right(flags, cpu.take_received());
                Ok((
                    (r[2] >> abi::SELECT_INDEX_SHIFT) as usize,
                    Message {
                        sender: Pid::from_raw(r[0]),
                        bytes,
                        is_call: flags.contains(RecvFlags::CALL),
                        right,
                    },
                ))
            })
            .await
        }
    }

    /// `receive(source, mode)` with a buffer as large as any message.
    pub fn receive(
        &self,
        source: impl Into<Source>,
        mode: Mode,
    ) -> impl Future<Output = SysResult<Message>> + '_ {
        self.receive_upto(source, DEFAULT_RECV_BUFFER, mode)
    }

    /// `receive(source, mode)` with a buffer of `buf_len` bytes. A longer message fails with
    /// `BufferTooSmall`, stays queued, and [`last_return`](Self::last_return)`()[1]` says
    /// how long it is.
    pub fn receive_upto(
        &self,
        source: impl Into<Source>,
        buf_len: u64,
        mode: Mode,
    ) -> impl Future<Output = SysResult<Message>> + '_ {
        let call = Syscall::Receive {
            source: source.into(),
            buf_len,
            mode,
        };
        self.call_with(call, &[], |cpu, r| {
            let r = r?;
            let flags = RecvFlags::from_bits_truncate(r[2]);
            let (bytes, right) = split_right(flags, cpu.take_received());
            Ok(Message {
                sender: Pid::from_raw(r[0]),
                bytes,
                is_call: flags.contains(RecvFlags::CALL),
                right,
            })
        })
    }

    /// `call(dest, bytes, mode)`: send and wait for the receiver's reply in one trap. The
    /// mode bounds the whole call.
    pub fn call<'a>(
        &'a self,
        dest: impl Into<Dest>,
        bytes: &'a [u8],
        mode: Mode,
    ) -> impl Future<Output = SysResult<Message>> + 'a {
        self.call_upto(dest, bytes, mode, DEFAULT_RECV_BUFFER)
    }

    /// `call` accepting a reply of at most `reply_len` bytes.
    pub fn call_upto<'a>(
        &'a self,
        dest: impl Into<Dest>,
        bytes: &'a [u8],
        mode: Mode,
        reply_len: u64,
    ) -> impl Future<Output = SysResult<Message>> + 'a {
        let call = Syscall::Call {
            dest: dest.into(),
            len: bytes.len() as u64,
            mode,
            reply_len,
        };
        self.call_with(call, bytes, |cpu, r| {
            let r = r?;
            Ok(Message {
                sender: Pid::from_raw(r[0]),
                bytes: cpu.take_received(),
                is_call: false,
                right: None,
            })
        })
    }

    /// `reply(pid, bytes)`: answer a process waiting in `call` on the caller. A reply to a
    /// process that no longer waits is dropped (the trace shows it) and still returns `Ok`.
    pub fn reply<'a>(
        &'a self,
        to: Pid,
        bytes: &'a [u8],
    ) -> impl Future<Output = SysResult<()>> + 'a {
        let call = Syscall::Reply {
            to,
            len: bytes.len() as u64,
        };
        self.call_with(call, bytes, |_, r| r.map(drop))
    }

    /// `spawn(program, arg)` with a rendezvous inbox and priority 0.
    pub async fn spawn(&self, program: &str, arg: u64) -> SysResult<Pid> {
        self.spawn_with(SpawnOptions::new(program, arg)).await
    }

    /// `spawn` with every option.
    pub async fn spawn_with(&self, options: SpawnOptions<'_>) -> SysResult<Pid> {
        let call = Syscall::Spawn {
            program_len: options.program.len() as u64,
            label_len: options.label.len() as u64,
            arg: options.arg,
            inbox: options.inbox,
            priority: options.priority,
            expected_burst: options.expected_burst,
            arrival: options.arrival,
        };
        // The IPC buffer holds the program name, then the label.
        let mut out = Vec::with_capacity(options.program.len() + options.label.len());
        out.extend_from_slice(options.program.as_bytes());
        out.extend_from_slice(options.label.as_bytes());
        self.trap(call, &out).await.map(|r| Pid::from_raw(r[0]))
    }

    /// `exit(code)`: end the process. Never returns.
    pub async fn exit(&self, code: i32) -> Infallible {
        let _ = self.trap(Syscall::Exit { code }, &[]).await;
        // The kernel never answers exit; if it ever did, stay suspended rather than run on.
        core::future::pending::<Infallible>().await
    }

    /// `wait(pid)`: block until the child exits and collect its exit code.
    pub async fn wait(&self, child: Pid) -> SysResult<i32> {
        self.wait_mode(child, Mode::Blocking).await
    }

    /// `wait(pid, mode)`.
    pub async fn wait_mode(&self, child: Pid, mode: Mode) -> SysResult<i32> {
        self.trap(Syscall::Wait { child, mode }, &[])
            .await
            .map(|r| r[0] as i64 as i32)
    }

    /// `yield()`: let the next ready process run.
    pub fn yield_now(&self) -> impl Future<Output = ()> + '_ {
        self.call_with(Syscall::Yield, &[], |_, _| ())
    }

    /// `sleep(ticks)`.
    pub fn sleep(&self, ticks: Ticks) -> impl Future<Output = ()> + '_ {
        self.call_with(Syscall::Sleep { ticks }, &[], |_, _| ())
    }

    /// `compute(ticks)`: a CPU burst the timer can preempt.
    pub fn compute(&self, ticks: Ticks) -> impl Future<Output = ()> + '_ {
        self.call_with(Syscall::Compute { ticks }, &[], |_, _| ())
    }

    /// `print(text)`: a line on the machine's console (and in the trace).
    pub async fn print(&self, text: &str) -> SysResult<()> {
        let call = Syscall::Print {
            len: text.len() as u64,
        };
        self.trap(call, text.as_bytes()).await.map(drop)
    }

    /// Raise a raw trap frame: any number, any registers, any bytes. For tests of the
    /// kernel's decoding; programs use the typed stubs.
    pub async fn raw_syscall(
        &self,
        sysno: u64,
        args: [u64; abi::ARG_REGS],
        bytes: &[u8],
    ) -> [u64; RET_REGS] {
        let frame = TrapFrame {
            sysno,
            args,
            ret: [0; RET_REGS],
        };
        self.traps.set(self.traps.get() + 1);
        Raw(Raised {
            cpu: &*self.cpu,
            frame,
            out: bytes,
            raised: false,
        })
        .await
    }
}

/// A trap, until its result is in: the first poll raises it, a later one resumes.
struct Raised<'a> {
    cpu: &'a dyn Trap,
    /// The number and the argument registers.
    frame: TrapFrame,
    /// The outgoing bytes.
    out: &'a [u8],
    /// Whether the trap was raised (and the process suspended in it).
    raised: bool,
}

impl Raised<'_> {
    /// The return registers, once the call is finished.
    #[inline]
    fn poll_registers(&mut self) -> Poll<[u64; RET_REGS]> {
        if !self.raised {
            self.raised = true;
            return match self.cpu.syscall(&self.frame, self.out) {
                Trapped::Returned(ret) => Poll::Ready(ret),
                Trapped::Suspended => Poll::Pending,
            };
        }
        // Polled again: the process runs again, so its call is finished (a poll before
        // that stays pending, and the machine treats the suspension as a fault).
        match self.cpu.resume() {
            Some(ret) => Poll::Ready(ret),
            None => Poll::Pending,
        }
    }
}

impl Future for Raised<'_> {
    type Output = SysResult<[u64; RET_REGS - 1]>;

    #[inline]
    fn poll(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.get_mut().poll_registers().map(|ret| result_of(&ret))
    }
}

/// A syscall in flight and what its stub makes of the result ([`Sys::call_with`]).
struct Calling<'a, F> {
    raised: Raised<'a>,
    finish: Option<F>,
}

impl<'a, T, F> Future for Calling<'a, F>
where
    F: FnOnce(&'a dyn Trap, SysResult<[u64; RET_REGS - 1]>) -> T + Unpin,
{
    type Output = T;

    #[inline]
    fn poll(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<T> {
        let this = self.get_mut();
        match this.raised.poll_registers() {
            Poll::Pending => Poll::Pending,
            Poll::Ready(ret) => match this.finish.take() {
                Some(finish) => Poll::Ready(finish(this.raised.cpu, result_of(&ret))),
                // Polled again after it finished: a future that has returned stays pending.
                None => Poll::Pending,
            },
        }
    }
}

/// A raised trap whose raw return registers are the result.
struct Raw<'a>(Raised<'a>);

impl Future for Raw<'_> {
    type Output = [u64; RET_REGS];

    fn poll(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.get_mut().0.poll_registers()
    }
}
