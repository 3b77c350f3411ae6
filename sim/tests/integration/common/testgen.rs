//! Event generation for the renderers' tests: a seeded generator that makes every event
//! kind and every syscall, traces shaped like a run (few processes, messages that are sent
//! and received), a hand-made trace of the naming edge cases (slot reuse, renames, stale and
//! unknown ids), and strings JSON must escape.
//!
//! Test scaffolding only: it lives beside the tests, outside the product library. Its
//! randomness is the kernel's seeded generator (`kernel::sched::rng::Rng`), so a seed names
//! the same events on every machine.

use abi::{
    Capacity, Dest, Error, Lifetime, MailboxId, Mode, Overflow, Pid, Receivers, Source, Syscall,
    Sysno, RET_REGS,
};
use kernel::trace::WaitQueueId;
use kernel::trace::{
    DropReason, Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause, ReplyDropReason,
    WaitFor, WakeReason,
};

/// Events drawn from a seeded generator: the same events for the same seed, everywhere.
pub struct Rng(kernel::sched::rng::Rng);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(kernel::sched::rng::Rng::new(seed))
    }
    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }
    pub fn flip(&mut self) -> bool {
        self.below(2) == 0
    }
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
    /// Mostly small numbers, with the edges: 0, widths around the tick column, the maximum.
    pub fn num(&mut self) -> u64 {
        match self.below(8) {
            0 => 0,
            1 => u64::MAX,
            2 => self.next(),
            3 => 99_999 + self.below(3),
            4 => 999_999 + self.below(3),
            _ => self.below(1000),
        }
    }
    /// Low slots in early generations (so names are learnt, reused and go stale), and
    /// slots beyond the dense table.
    pub fn raw_id(&mut self) -> u64 {
        let index = match self.below(10) {
            0 => u32::MAX,
            1 => 70_000,
            _ => self.below(6) as u32,
        };
        let generation = self.pick(&[0, 0, 0, 1, 2, u32::MAX]);
        u64::from(generation) << 32 | u64::from(index)
    }
    pub fn pid(&mut self) -> Pid {
        Pid::from_raw(self.raw_id())
    }
    pub fn mailbox(&mut self) -> MailboxId {
        MailboxId::from_raw(self.raw_id())
    }
    pub fn dest(&mut self) -> Dest {
        if self.flip() {
            Dest::Process(self.pid())
        } else {
            Dest::Mailbox(self.mailbox())
        }
    }
    pub fn name(&mut self) -> String {
        self.pick(&[
            "init",
            "worker",
            "",
            "exactly-twenty-two-chr",
            "a-name-longer-than-the-actor-column",
            "ünïcødé",
            "名前",
            "ééééééééééé",
            "tab\there \"quoted\" back\\slash",
        ])
        .to_string()
    }
    pub fn text(&mut self) -> String {
        self.pick(&[
            "hello",
            "",
            "line\nbreak",
            "\"quoted\"",
            "back\\slash",
            "it's",
            "tab\t",
            "del\u{7f}",
            "ünïcødé",
            "\u{301}combining first",
            "bell\u{7}",
            "名前",
        ])
        .to_string()
    }
    pub fn capacity(&mut self) -> Capacity {
        match self.below(3) {
            0 => Capacity::Zero,
            1 => Capacity::Bounded(self.num() as u32),
            _ => Capacity::Unbounded,
        }
    }
    pub fn mode(&mut self) -> Mode {
        match self.below(3) {
            0 => Mode::Blocking,
            1 => Mode::NonBlocking,
            _ => Mode::Timeout(self.num()),
        }
    }
    pub fn error(&mut self) -> Error {
        self.pick(Error::ALL)
    }
    pub fn queue(&mut self) -> WaitQueueId {
        let (m, p) = (self.mailbox(), self.pid());
        self.pick(&[
            WaitQueueId::MailboxSenders(m),
            WaitQueueId::MailboxReceiver(m),
            WaitQueueId::MailboxCallers(m),
            WaitQueueId::InboxSenders(p),
            WaitQueueId::InboxReceiver(p),
            WaitQueueId::ReceiversFrom(p),
            WaitQueueId::Replies(p),
            WaitQueueId::Exit(p),
            WaitQueueId::Select(p),
        ])
    }
    pub fn pids(&mut self) -> Vec<Pid> {
        (0..self.below(4)).map(|_| self.pid()).collect()
    }
    pub fn call(&mut self) -> Syscall {
        let source = match self.below(3) {
            0 => Source::Process(self.pid()),
            1 => Source::Mailbox(self.mailbox()),
            _ => Source::Any,
        };
        let buf_len = self.pick(&[
            0,
            64,
            u64::from(u32::MAX) - 1,
            u64::from(u32::MAX),
            u64::MAX,
        ]);
        match self.pick(Sysno::ALL) {
            Sysno::CreateMailbox => Syscall::CreateMailbox {
                capacity: self.capacity(),
                name_len: self.num(),
                overflow: self.pick(&Overflow::ALL),
                receivers: self.pick(&Receivers::ALL),
                lifetime: self.pick(&Lifetime::ALL),
            },
            Sysno::DeleteMailbox => Syscall::DeleteMailbox {
                mailbox: self.mailbox(),
            },
            Sysno::LookupMailbox => Syscall::LookupMailbox {
                name_len: self.num(),
            },
            Sysno::TransferMailbox => Syscall::TransferMailbox {
                mailbox: self.mailbox(),
                to: self.pid(),
            },
            Sysno::Send => Syscall::Send {
                dest: self.dest(),
                len: self.num(),
                mode: self.mode(),
            },
            Sysno::Receive => Syscall::Receive {
                source,
                buf_len,
                mode: self.mode(),
            },
            Sysno::Call => Syscall::Call {
                dest: self.dest(),
                len: self.num(),
                mode: self.mode(),
                reply_len: self.num(),
            },
            Sysno::Reply => Syscall::Reply {
                to: self.pid(),
                len: self.num(),
            },
            Sysno::Spawn => {
                let burst = self.num();
                Syscall::Spawn {
                    program_len: self.num(),
                    label_len: self.num(),
                    arg: self.num(),
                    inbox: self.capacity(),
                    priority: self.num() as u8,
                    expected_burst: self.pick(&[0, 1, burst]),
                    arrival: None,
                }
            }
            Sysno::Exit => Syscall::Exit {
                code: self.next() as i32,
            },
            Sysno::Wait => Syscall::Wait {
                child: self.pid(),
                mode: self.mode(),
            },
            Sysno::GetPid => Syscall::GetPid,
            Sysno::Yield => Syscall::Yield,
            Sysno::Sleep => Syscall::Sleep { ticks: self.num() },
            Sysno::Compute => Syscall::Compute { ticks: self.num() },
            Sysno::Print => Syscall::Print { len: self.num() },
            Sysno::GrantReceive => Syscall::GrantReceive {
                mailbox: self.mailbox(),
                to: self.pid(),
            },
            Sysno::RevokeReceive => Syscall::RevokeReceive {
                mailbox: self.mailbox(),
                from: self.pid(),
            },
            Sysno::SendRight => Syscall::SendRight {
                dest: self.dest(),
                len: self.num(),
                mode: self.mode(),
                right: if self.flip() {
                    abi::Right::Receive(self.mailbox())
                } else {
                    abi::Right::Send(self.mailbox())
                },
            },
            Sysno::GrantSend => Syscall::GrantSend {
                mailbox: self.mailbox(),
                to: self.pid(),
            },
            Sysno::Select => Syscall::Select {
                count: self.num(),
                buf_len,
                mode: self.mode(),
            },
        }
    }
    pub fn ret(&mut self) -> [u64; RET_REGS] {
        // Mostly successes; every error code, and codes no error has.
        let status = match self.below(4) {
            0 => self.below(Error::ALL.len() as u64 + 3),
            1 => self.next(),
            _ => 0,
        };
        let mut ret = [status, self.raw_id(), self.raw_id(), self.below(4)];
        if self.flip() {
            ret[1] = self.num();
            ret[2] = self.num();
        }
        ret
    }
    pub fn fault(&mut self) -> FaultKind {
        match self.below(6) {
            0 => FaultKind::Kill {
                pid: self.pid(),
                cause: if self.flip() {
                    KillCause::Tick(self.num())
                } else {
                    KillCause::Syscall(self.num())
                },
            },
            1 => FaultKind::KillMissed {
                name: self.name(),
                tick: self.num(),
            },
            2 => FaultKind::Lose {
                msg: self.num(),
                from: self.pid(),
                to: self.dest(),
                len: self.num() as usize,
                call: self.flip(),
            },
            3 => FaultKind::Delay {
                msg: self.num(),
                from: self.pid(),
                to: self.dest(),
                until: self.num(),
                behind: self.flip().then(|| self.num()),
            },
            4 => FaultKind::Arrive {
                msg: self.num(),
                from: self.pid(),
                to: self.dest(),
            },
            _ => FaultKind::ClockJump {
                from: self.num(),
                to: self.num(),
            },
        }
    }
    pub fn exit_reason(&mut self) -> ExitReason {
        match self.below(5) {
            0 => ExitReason::Exit,
            1 => ExitReason::Returned,
            2 => ExitReason::Panicked(self.text()),
            3 => ExitReason::Fault(self.text()),
            _ => ExitReason::Killed,
        }
    }

    /// An event of any kind; syscalls (variant 3) come ten times as often as each other
    /// kind, as in a run, so a few hundred events make every call.
    pub fn kind(&mut self) -> EventKind {
        let v = self.below(VARIANTS as u64 + 9);
        match if v >= VARIANTS as u64 { 3 } else { v } {
            0 => EventKind::Spawn {
                pid: self.pid(),
                parent: self.flip().then(|| self.pid()),
                program: self.name(),
                name: self.name(),
                arg: self.num(),
                inbox: self.capacity(),
                priority: self.num() as u8,
            },
            1 => EventKind::Dispatch { pid: self.pid() },
            2 => EventKind::Preempt {
                pid: self.pid(),
                burst_left: self.num(),
            },
            3 => EventKind::Syscall {
                pid: self.pid(),
                call: self.call(),
            },
            4 => EventKind::BadSyscall {
                pid: self.pid(),
                sysno: self.num(),
                error: self.error(),
            },
            5 => EventKind::Return {
                pid: self.pid(),
                sysno: self.flip().then(|| self.pick(Sysno::ALL)),
                ret: self.ret(),
            },
            6 => EventKind::Block {
                pid: self.pid(),
                queue: self.queue(),
                deadline: self.flip().then(|| self.num()),
            },
            7 => EventKind::Wake {
                pid: self.pid(),
                by: self.flip().then(|| self.pid()),
                reason: self.pick(&[
                    WakeReason::Completed,
                    WakeReason::TimedOut,
                    WakeReason::SleepEnded,
                    WakeReason::MailboxDeleted,
                    WakeReason::PeerExited,
                    WakeReason::BufferTooSmall,
                    WakeReason::MessageDropped,
                    WakeReason::Revoked,
                ]),
            },
            8 => EventKind::MessageQueued {
                msg: self.num(),
                from: self.pid(),
                to: self.dest(),
                len: self.num() as usize,
                depth: self.num() as usize,
                call: self.flip(),
            },
            9 => {
                let to = self.pid();
                EventKind::MessageHandedOver {
                    msg: self.num(),
                    from: self.pid(),
                    to,
                    via: if self.flip() {
                        Dest::Process(to)
                    } else {
                        self.dest()
                    },
                    len: self.num() as usize,
                    call: self.flip(),
                }
            }
            10 => EventKind::MessageReceived {
                msg: self.num(),
                from: self.pid(),
                by: self.pid(),
                via: self.dest(),
                len: self.num() as usize,
            },
            11 => {
                let many = self.num() as usize;
                EventKind::MessagesDropped {
                    via: self.dest(),
                    count: self.pick(&[0, 1, 1, 2, many]),
                    reason: self.pick(&[
                        DropReason::MailboxDeleted,
                        DropReason::OwnerExited,
                        DropReason::ReceiverExited,
                        DropReason::Overflow,
                        DropReason::Fault,
                    ]),
                }
            }
            12 => EventKind::SendAbandoned {
                pid: self.pid(),
                to: self.dest(),
                error: self.error(),
            },
            13 => EventKind::ReplyDelivered {
                from: self.pid(),
                to: self.pid(),
                len: self.num() as usize,
            },
            14 => EventKind::ReplyDropped {
                from: self.pid(),
                to: self.pid(),
                reason: if self.flip() {
                    ReplyDropReason::NoSuchProcess
                } else {
                    ReplyDropReason::NotWaiting
                },
            },
            15 => EventKind::MailboxCreated {
                id: self.mailbox(),
                owner: self.pid(),
                capacity: self.capacity(),
                overflow: self.pick(&Overflow::ALL),
                receivers: self.pick(&Receivers::ALL),
                lifetime: self.pick(&Lifetime::ALL),
                name: self.flip().then(|| self.name()),
            },
            16 => EventKind::MailboxDeleted {
                id: self.mailbox(),
                by: self.pid(),
                dropped: self.num() as usize,
                woken: self.num() as usize,
            },
            17 => EventKind::MailboxTransferred {
                id: self.mailbox(),
                from: self.pid(),
                to: self.pid(),
            },
            18 => EventKind::Sleep {
                pid: self.pid(),
                until: self.num(),
            },
            19 => EventKind::Yield { pid: self.pid() },
            20 => EventKind::Idle { until: self.num() },
            21 => EventKind::Print {
                pid: self.pid(),
                text: self.text(),
            },
            22 => EventKind::Exit {
                pid: self.pid(),
                code: self.pick(&[0, 1, -1, 137, i32::MIN, i32::MAX]),
                reason: self.exit_reason(),
            },
            23 => EventKind::Deadlock {
                cycle: self.pids(),
                blocked: (0..self.below(4))
                    .map(|_| WaitFor {
                        pid: self.pid(),
                        queue: self.queue(),
                        holder: self.flip().then(|| self.pid()),
                    })
                    .collect(),
            },
            24 => EventKind::TickLimit { limit: self.num() },
            25 => EventKind::PriorityLent {
                from: self.pid(),
                to: self.pid(),
                priority: self.num() as u8,
            },
            26 => EventKind::PriorityReturned {
                pid: self.pid(),
                priority: self.num() as u8,
            },
            27 => EventKind::DeadlockRefused {
                pid: self.pid(),
                queue: self.queue(),
                cycle: self.pids(),
            },
            28 => EventKind::Migrate {
                pid: self.pid(),
                from: self.num() as u32,
                to: self.num() as u32,
            },
            29 => EventKind::Fault { kind: self.fault() },
            31 => EventKind::MailboxOrphaned {
                id: self.mailbox(),
                from: self.pid(),
            },
            32 => EventKind::ReceiveGranted {
                id: self.mailbox(),
                by: self.pid(),
                to: self.pid(),
            },
            33 => EventKind::ReceiveRevoked {
                id: self.mailbox(),
                by: self.pid(),
                from: self.pid(),
            },
            34 => EventKind::RightTransferred {
                msg: self.num(),
                right: abi::Right::Receive(self.mailbox()),
                from: self.pid(),
                to: self.pid(),
            },
            35 => EventKind::RightVoided {
                msg: self.num(),
                right: abi::Right::Send(self.mailbox()),
                from: self.pid(),
            },
            36 => EventKind::SendGranted {
                id: self.mailbox(),
                by: self.pid(),
                to: self.pid(),
            },
            _ => EventKind::Livelock {
                cause: if self.flip() {
                    LivelockCause::Steps { steps: self.num() }
                } else {
                    LivelockCause::Spinning {
                        pid: self.pid(),
                        steps: self.num(),
                    }
                },
                processes: self.pids(),
            },
        }
    }

    pub fn event(&mut self) -> Event {
        Event {
            tick: self.num(),
            cpu: self.pick(&[0, 1, 7, 12, u32::MAX]),
            kind: self.kind(),
        }
    }
}

/// `count` events of every kind, about processes and mailboxes that mostly never existed: what
/// a renderer must show whatever the trace says.
pub fn generated(seed: u64, count: usize) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| rng.event()).collect()
}

/// Random events made into something like a run: few processes and messages, so processes
/// are spawned before they act and messages are queued, handed over and taken by them (what
/// the timeline's flows and spans are made of), ticks mostly moving on, now and then running
/// backwards.
pub fn lifelike(seed: u64, len: usize) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let pid = |rng: &mut Rng| Pid::new(rng.below(4) as u32, rng.below(2) as u32);
    let mut tick = 0u64;
    let mut events = Vec::with_capacity(len);
    for i in 0..len {
        let mut e = rng.event();
        tick = match rng.below(20) {
            0 => tick.saturating_sub(rng.below(5)),
            1..=9 => tick,
            _ => tick + rng.below(4),
        };
        e.tick = tick;
        e.cpu = rng.below(2) as u32;
        let msg = rng.below(6);
        match &mut e.kind {
            EventKind::Spawn { pid: p, .. } => *p = pid(&mut rng),
            EventKind::Dispatch { pid: p }
            | EventKind::Preempt { pid: p, .. }
            | EventKind::Yield { pid: p }
            | EventKind::Sleep { pid: p, .. }
            | EventKind::Block { pid: p, .. }
            | EventKind::Wake { pid: p, .. }
            | EventKind::Syscall { pid: p, .. }
            | EventKind::Exit { pid: p, .. } => *p = pid(&mut rng),
            EventKind::MessageQueued {
                msg: m, from, to, ..
            } => {
                (*m, *from) = (msg, pid(&mut rng));
                *to = Dest::Process(pid(&mut rng));
            }
            EventKind::MessageHandedOver {
                msg: m, from, to, ..
            } => (*m, *from, *to) = (msg, pid(&mut rng), pid(&mut rng)),
            EventKind::MessageReceived {
                msg: m, from, by, ..
            } => (*m, *from, *by) = (msg, pid(&mut rng), pid(&mut rng)),
            EventKind::Fault {
                kind:
                    FaultKind::Lose { msg: m, .. }
                    | FaultKind::Delay { msg: m, .. }
                    | FaultKind::Arrive { msg: m, .. },
            } => *m = msg,
            EventKind::Idle { until } => *until = tick + rng.below(3),
            _ => {}
        }
        // Spawns first, so the rest have someone to be about.
        if i < 8 {
            e.kind = EventKind::Spawn {
                pid: Pid::new(i as u32 % 4, i as u32 / 4),
                parent: None,
                program: rng.name(),
                name: rng.name(),
                arg: 0,
                inbox: Capacity::Unbounded,
                priority: 1,
            };
        }
        events.push(e);
    }
    events
}

/// Strings that JSON must escape, or that look as if it might: quotes, backslashes, every
/// control character, DEL, non-ASCII of every width; each escaped character also at every
/// place in and around the eight-byte words the escaping check reads, among ASCII and among
/// multi-byte characters (whose bytes are 0x80 and above, next to which a borrow could hide
/// a byte that needs escaping).
pub fn awkward_strings() -> Vec<String> {
    let mut awkward: Vec<String> = [
        "",
        "plain",
        "\"",
        "\\",
        "\"quoted\" and back\\slashed\\",
        "\\\"",
        "/slash/",
        "del\u{7f}",
        "ünïcødé",
        "名前",
        "emoji 🦀 and 👩‍👩‍👧",
        "\u{301}combining first",
        "\u{2028}line separator\u{2029}",
        "\u{feff}bom",
        "\u{fffd}",
        "\u{80}\u{9f}\u{a0}\u{ff}",
        "\u{10ffff}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every control character, alone and between other text.
    for c in (0u8..0x20).chain([0x7f]) {
        let c = char::from(c);
        awkward.push(c.to_string());
        awkward.push(format!("a{c}b{c}{c}é{c}"));
    }
    awkward.push((0u8..0x80).map(char::from).collect());
    awkward.push("\"\\\u{0}\u{1f}\u{7f}é🦀\n".repeat(5));
    for c in ['"', '\\', '\0', '\n', '\u{1f}'] {
        for at in 0..20 {
            awkward.push(format!("{}{c}{}", "x".repeat(at), "y".repeat(19 - at)));
            awkward.push(format!("{}{c}{}", "é".repeat(at), "€".repeat(9)));
            awkward.push(format!("{}{c}\u{7f}\u{80}", "\u{ff}".repeat(at)));
        }
    }
    awkward
}

/// How many `EventKind` variants [`variant`] tells apart.
pub const VARIANTS: usize = 37;

/// Which variant an event is. No wildcard arm: a new variant does not compile until the
/// generator makes it and this test covers it.
pub fn variant(kind: &EventKind) -> usize {
    match kind {
        EventKind::Spawn { .. } => 0,
        EventKind::Dispatch { .. } => 1,
        EventKind::Preempt { .. } => 2,
        EventKind::Syscall { .. } => 3,
        EventKind::BadSyscall { .. } => 4,
        EventKind::Return { .. } => 5,
        EventKind::Block { .. } => 6,
        EventKind::Wake { .. } => 7,
        EventKind::MessageQueued { .. } => 8,
        EventKind::MessageHandedOver { .. } => 9,
        EventKind::MessageReceived { .. } => 10,
        EventKind::MessagesDropped { .. } => 11,
        EventKind::SendAbandoned { .. } => 12,
        EventKind::ReplyDelivered { .. } => 13,
        EventKind::ReplyDropped { .. } => 14,
        EventKind::MailboxCreated { .. } => 15,
        EventKind::MailboxDeleted { .. } => 16,
        EventKind::MailboxTransferred { .. } => 17,
        EventKind::Sleep { .. } => 18,
        EventKind::Yield { .. } => 19,
        EventKind::Idle { .. } => 20,
        EventKind::Print { .. } => 21,
        EventKind::Exit { .. } => 22,
        EventKind::Deadlock { .. } => 23,
        EventKind::TickLimit { .. } => 24,
        EventKind::PriorityLent { .. } => 25,
        EventKind::PriorityReturned { .. } => 26,
        EventKind::DeadlockRefused { .. } => 27,
        EventKind::Migrate { .. } => 28,
        EventKind::Fault { .. } => 29,
        EventKind::Livelock { .. } => 30,
        EventKind::MailboxOrphaned { .. } => 31,
        EventKind::ReceiveGranted { .. } => 32,
        EventKind::ReceiveRevoked { .. } => 33,
        EventKind::RightTransferred { .. } => 34,
        EventKind::RightVoided { .. } => 35,
        EventKind::SendGranted { .. } => 36,
    }
}

/// A trace that names, renames and reuses slots, then mentions live, stale and unknown
/// ids: the cases a slot-indexed name table could get wrong.
pub fn hand_made() -> Vec<Event> {
    let ev = |tick, kind| Event { tick, cpu: 0, kind };
    let spawn = |pid, name: &str| EventKind::Spawn {
        pid,
        parent: None,
        program: "prog".into(),
        name: name.into(),
        arg: 0,
        inbox: Capacity::Bounded(4),
        priority: 1,
    };
    let created = |id, name: Option<&str>| EventKind::MailboxCreated {
        id,
        owner: Pid::new(0, 0),
        capacity: Capacity::Zero,
        overflow: Overflow::Block,
        receivers: Receivers::OwnerOnly,
        lifetime: Lifetime::Owner,
        name: name.map(str::to_string),
    };
    let dispatch = |pid| EventKind::Dispatch { pid };
    let send = |dest| EventKind::Syscall {
        pid: Pid::new(0, 0),
        call: Syscall::Send {
            dest,
            len: 8,
            mode: Mode::Blocking,
        },
    };
    vec![
        ev(0, dispatch(Pid::new(3, 0))),
        ev(1, spawn(Pid::new(3, 0), "old")),
        ev(2, spawn(Pid::new(3, 1), "new")),
        ev(3, dispatch(Pid::new(3, 0))),
        ev(4, dispatch(Pid::new(3, 1))),
        ev(5, dispatch(Pid::new(3, 2))),
        ev(6, spawn(Pid::new(3, 0), "reborn")),
        ev(7, dispatch(Pid::new(3, 0))),
        ev(8, dispatch(Pid::new(3, 1))),
        ev(9, spawn(Pid::new(3, 1), "renamed")),
        ev(10, dispatch(Pid::new(3, 1))),
        ev(11, dispatch(Pid::new(3, 0))),
        ev(12, spawn(Pid::new(u32::MAX, u32::MAX), "far")),
        ev(13, dispatch(Pid::new(u32::MAX, u32::MAX))),
        ev(14, dispatch(Pid::new(u32::MAX, 0))),
        ev(15, spawn(Pid::new(1, 0), "名前の長いプロセスです")),
        ev(16, dispatch(Pid::new(1, 0))),
        ev(17, created(MailboxId::new(0, 0), Some("jobs"))),
        ev(18, created(MailboxId::new(1, 0), None)),
        ev(19, created(MailboxId::new(0, 1), Some("jobs2"))),
        ev(20, send(Dest::Mailbox(MailboxId::new(0, 0)))),
        ev(21, send(Dest::Mailbox(MailboxId::new(0, 1)))),
        ev(22, send(Dest::Mailbox(MailboxId::new(1, 0)))),
        ev(23, send(Dest::Mailbox(MailboxId::new(9, 9)))),
        ev(1_000_000, send(Dest::Process(Pid::new(3, 0)))),
        ev(u64::MAX, send(Dest::Process(Pid::new(3, 7)))),
    ]
}

/// The generated traces the golden files pin, by name, each with the tick its run ended at:
/// every event kind and every syscall in the random ones, the timeline's spans, flows and
/// counters in the lifelike ones, the naming edge cases in the hand-made one.
pub fn golden_traces() -> Vec<(&'static str, Vec<Event>, u64)> {
    let lifelike = |seed| {
        let events = lifelike(seed, 250);
        let end = events.last().map_or(0, |e| e.tick + 5);
        (events, end)
    };
    let (lifelike_1, end_1) = lifelike(1);
    let (lifelike_2, end_2) = lifelike(2);
    vec![
        ("generated_1", generated(1, 250), 100),
        ("generated_2", generated(2, 250), 100),
        ("generated_3", generated(3, 250), 100),
        ("lifelike_1", lifelike_1, end_1),
        ("lifelike_2", lifelike_2, end_2),
        ("hand_made", hand_made(), 30),
    ]
}
