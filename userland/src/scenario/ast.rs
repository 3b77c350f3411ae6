//! The parsed form of a scenario file: what the parser builds, the checker validates and the
//! interpreter runs.
//!
//! Every node keeps the [`Span`] of the text it came from, so that any later stage (the
//! checker before a run, the interpreter during one) can point at the exact place in the file.
//! Nothing here resolves a name: names stay text until the checker has seen the whole file.
//! A tree the parser builds is at most [`MAX_NESTING`](super::MAX_NESTING) blocks deep, which
//! is what bounds the recursion of the derived traits below.

use abi::{Capacity, Error, Ticks};

/// A range of bytes in the scenario's source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The bytes `start..end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where in the file it was written, for a diagnostic that points at it.
    pub span: Span,
}

/// A whole scenario file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scenario {
    /// The file name diagnostics show.
    pub file: String,
    /// The text it was parsed from.
    pub source: String,
    /// `set` lines, in order.
    pub settings: Vec<Setting>,
    /// `mailbox` lines: mailboxes created before any process starts.
    pub mailboxes: Vec<MailboxDecl>,
    /// `process` blocks, in order.
    pub processes: Vec<ProcessDecl>,
    /// `fault` lines, in order.
    pub faults: Vec<FaultDecl>,
    /// `expect killed PROCESS` lines: kills the run is meant to show, which do not fail it.
    pub expected_kills: Vec<Target>,
}

impl Scenario {
    /// The 1-based line and column of a byte offset (columns count characters).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }

    /// The process declared as `name`.
    pub fn process(&self, name: &str) -> Option<(usize, &ProcessDecl)> {
        self.processes
            .iter()
            .enumerate()
            .find(|(_, p)| p.name.name == name)
    }

    /// The boot mailbox declared as `name`.
    pub fn mailbox(&self, name: &str) -> Option<&MailboxDecl> {
        self.mailboxes.iter().find(|m| m.name.name == name)
    }

    /// The value of setting `key`, if set.
    pub fn setting(&self, key: SettingKey) -> Option<&SettingValue> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.key == key)
            .map(|s| &s.value)
    }
}

/// The 1-based line and column of `offset` in `source`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// What a `set` line configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SettingKey {
    /// The scheduling policy (`rr` or `fcfs`).
    Policy,
    /// The round-robin quantum in ticks.
    Quantum,
    /// Stop the run at this tick.
    MaxTicks,
    /// The run's seed.
    Seed,
    /// Bytes all queued messages may hold together.
    MemoryLimit,
    /// The longest message in bytes.
    MaxMessage,
    /// The most processes at once.
    MaxProcesses,
    /// The most mailboxes at once.
    MaxMailboxes,
    /// Ticks every syscall costs.
    SyscallCost,
    /// Ticks every context switch costs.
    SwitchCost,
    /// The seed of the fault injector's random draws (message loss and delay).
    FaultSeed,
    /// The most bytes queued in one mailbox or inbox.
    MaxMailboxBytes,
    /// The most kernel entries in a row at one tick before the run ends as a livelock.
    MaxStepsPerTick,
    /// How many CPUs the machine has.
    Cpus,
    /// `global`, `per_cpu` (with migration) or `per_cpu_pinned` (without).
    RunQueues,
    /// `on`: a sender blocked on a lower-priority receiver lends it its priority.
    PriorityInheritance,
    /// `on`: a wait that would close a cycle fails with `deadlock` instead of blocking.
    RefuseDeadlock,
    /// SJF/SRTF: the weight of the last burst in the estimate, in percent.
    Alpha,
    /// SJF/SRTF: the estimate before any burst was measured.
    InitialEstimate,
    /// Priority: ticks of waiting per level of aging (0 = off).
    Aging,
    /// MLFQ: how many levels.
    Levels,
    /// MLFQ: the quantum of each level, top first (several numbers).
    Quanta,
    /// MLFQ: ticks between boosts to the top level (0 = off).
    Boost,
    /// PCT: the bug depth.
    Depth,
    /// PCT: the expected number of scheduling points.
    Steps,
    /// Random: the chance of a preemption at each scheduling point, in percent.
    Preempt,
    /// Priority policies: `higher_is_higher` (the default) or `lower_is_higher` (1 is more
    /// urgent than 2, as textbooks number them).
    PriorityOrder,
    /// `on`: capability mode, a send to a mailbox needs a send right on it.
    Capabilities,
}

impl SettingKey {
    /// Every key, in the order the reference lists them.
    pub const ALL: &'static [SettingKey] = &[
        SettingKey::Policy,
        SettingKey::Quantum,
        SettingKey::MaxTicks,
        SettingKey::Seed,
        SettingKey::MemoryLimit,
        SettingKey::MaxMessage,
        SettingKey::MaxProcesses,
        SettingKey::MaxMailboxes,
        SettingKey::SyscallCost,
        SettingKey::SwitchCost,
        SettingKey::FaultSeed,
        SettingKey::MaxMailboxBytes,
        SettingKey::MaxStepsPerTick,
        SettingKey::Cpus,
        SettingKey::RunQueues,
        SettingKey::PriorityInheritance,
        SettingKey::RefuseDeadlock,
        SettingKey::Alpha,
        SettingKey::InitialEstimate,
        SettingKey::Aging,
        SettingKey::Levels,
        SettingKey::Quanta,
        SettingKey::Boost,
        SettingKey::Depth,
        SettingKey::Steps,
        SettingKey::Preempt,
        SettingKey::PriorityOrder,
        SettingKey::Capabilities,
    ];

    /// The words a key takes, for keys whose value is a word; empty for numbers.
    pub const fn words(self) -> &'static [&'static str] {
        match self {
            SettingKey::Policy => &[
                "rr",
                "fcfs",
                "sjf",
                "srtf",
                "priority",
                "priority_np",
                "mlfq",
                "lottery",
                "random",
                "pct",
            ],
            SettingKey::PriorityOrder => &["higher_is_higher", "lower_is_higher"],
            SettingKey::RunQueues => &["global", "per_cpu", "per_cpu_pinned"],
            SettingKey::PriorityInheritance
            | SettingKey::RefuseDeadlock
            | SettingKey::Capabilities => &["on", "off"],
            _ => &[],
        }
    }

    /// The key as written in a file.
    pub const fn name(self) -> &'static str {
        match self {
            SettingKey::Policy => "policy",
            SettingKey::Quantum => "quantum",
            SettingKey::MaxTicks => "max_ticks",
            SettingKey::Seed => "seed",
            SettingKey::MemoryLimit => "memory_limit",
            SettingKey::MaxMessage => "max_message",
            SettingKey::MaxProcesses => "max_processes",
            SettingKey::MaxMailboxes => "max_mailboxes",
            SettingKey::SyscallCost => "syscall_cost",
            SettingKey::SwitchCost => "switch_cost",
            SettingKey::FaultSeed => "fault_seed",
            SettingKey::MaxMailboxBytes => "max_mailbox_bytes",
            SettingKey::MaxStepsPerTick => "max_steps_per_tick",
            SettingKey::Cpus => "cpus",
            SettingKey::RunQueues => "run_queues",
            SettingKey::PriorityInheritance => "priority_inheritance",
            SettingKey::RefuseDeadlock => "refuse_deadlock",
            SettingKey::Capabilities => "capabilities",
            SettingKey::Alpha => "alpha",
            SettingKey::InitialEstimate => "initial_estimate",
            SettingKey::Aging => "aging",
            SettingKey::Levels => "levels",
            SettingKey::Quanta => "quanta",
            SettingKey::Boost => "boost",
            SettingKey::Depth => "depth",
            SettingKey::Steps => "steps",
            SettingKey::Preempt => "preempt",
            SettingKey::PriorityOrder => "priority_order",
        }
    }

    /// The key written as `name`.
    pub fn from_name(name: &str) -> Option<SettingKey> {
        SettingKey::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// A `set` line's value: a word (the policy), a number, or several numbers (`quanta`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    /// A word.
    Word(String),
    /// A number.
    Number(u64),
    /// Several numbers.
    Numbers(Vec<u64>),
}

/// `set KEY VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// What it sets.
    pub key: SettingKey,
    /// To what.
    pub value: SettingValue,
    /// The whole line.
    pub span: Span,
}

/// `mailbox NAME [capacity CAP] [owner PROCESS]`: created by `init` before processes start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxDecl {
    /// Its name, registered with the kernel.
    pub name: Ident,
    /// How many messages it buffers (default 0, a rendezvous).
    pub capacity: Capacity,
    /// Who receives from it. Without one, the single process that receives from it.
    pub owner: Option<Target>,
    /// What a send to it does when it is full.
    pub overflow: OverflowSpec,
    /// `receivers POLICY`: who may receive and which waiting receiver a message goes to.
    /// Shared (any policy but `owner_only`), every process that receives from it is granted
    /// the receive privilege at boot.
    pub receivers: abi::Receivers,
    /// `lifetime system`: it outlives its owner.
    pub lifetime: abi::Lifetime,
    /// The whole line.
    pub span: Span,
}

/// `overflow POLICY`: what a send to a full bounded mailbox does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OverflowSpec {
    /// The sender waits (or fails as its mode says): the default.
    #[default]
    Block,
    /// The send fails at once with `mailbox_full`.
    Fail,
    /// The new message is accepted and dropped.
    DropNewest,
    /// The oldest queued message is dropped to make room.
    DropOldest,
}

impl OverflowSpec {
    /// The ABI's policy.
    pub fn overflow(self) -> abi::Overflow {
        match self {
            OverflowSpec::Block => abi::Overflow::Block,
            OverflowSpec::Fail => abi::Overflow::Fail,
            OverflowSpec::DropNewest => abi::Overflow::DropNewest,
            OverflowSpec::DropOldest => abi::Overflow::DropOldest,
        }
    }

    /// Every policy, as written in a file.
    pub const ALL: &'static [(&'static str, OverflowSpec)] = &[
        ("block", OverflowSpec::Block),
        ("fail", OverflowSpec::Fail),
        ("drop_newest", OverflowSpec::DropNewest),
        ("drop_oldest", OverflowSpec::DropOldest),
    ];
}

/// `fault ...`: a fault injected into the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultDecl {
    /// Which fault.
    pub kind: FaultSpec,
    /// The whole line.
    pub span: Span,
}

/// The faults a scenario can inject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultSpec {
    /// `fault kill PROCESS at tick N` / `at syscall N`.
    Kill {
        /// The process (or copy) to kill.
        target: Target,
        /// At a tick, or at its n-th syscall.
        at: FaultMoment,
    },
    /// `fault lose N%`: each message is lost with this chance.
    Lose {
        /// The chance, in percent.
        percent: u8,
    },
    /// `fault delay N% by T`: each message is held back T ticks with this chance.
    Delay {
        /// The chance, in percent.
        percent: u8,
        /// How long a delayed message is held back, in ticks.
        ticks: Ticks,
    },
    /// `fault jump N at tick T`: the clock jumps N ticks forward at tick T.
    Jump {
        /// How many ticks the clock jumps.
        ticks: Ticks,
        /// The tick it jumps at.
        at: Ticks,
    },
}

/// When a kill happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultMoment {
    /// At this tick, wherever the process is.
    Tick(Ticks),
    /// Instead of serving its Nth syscall (counting from 1).
    Syscall(u64),
}

/// `process NAME [count N] [priority P] [inbox CAP] [burst N] [arrive T] [spawned] { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessDecl {
    /// Its name; copies are named `NAME[0]`, `NAME[1]`, ...
    pub name: Ident,
    /// How many copies start.
    pub count: u32,
    /// Scheduling priority.
    pub priority: u8,
    /// Capacity of each copy's direct inbox.
    pub inbox: Capacity,
    /// Started by a `spawn` statement rather than at boot.
    pub spawned: bool,
    /// The CPU burst it declares to shortest-job-first policies (0: none).
    pub burst: u64,
    /// The tick at which each copy joins the run queue (`arrive T`); `None`: when its
    /// spawner releases it.
    pub arrive: Option<u64>,
    /// `daemon`: it serves others; the run does not wait for it to exit.
    pub daemon: bool,
    /// What each copy does.
    pub body: Vec<Stmt>,
    /// The header (`process ... {`).
    pub span: Span,
}

impl ProcessDecl {
    /// The label of copy `copy`: the bare name for a single copy, `name[i]` otherwise.
    pub fn label(&self, copy: u32) -> String {
        if self.count == 1 {
            self.name.name.clone()
        } else {
            format!("{}[{copy}]", self.name.name)
        }
    }

    /// The CPU burst each copy declares to `sjf` and `srtf`: its `burst`, or, for a process
    /// that arrives by the clock (`arrive T`) and declares none, the ticks of the `compute`
    /// statements with fixed ticks its body opens with (`print` and `let` between them do not leave the
    /// CPU); 0 declares nothing. The policies would otherwise learn the burst only by
    /// measuring it, after the job has run, which is too late for a textbook job.
    pub fn declared_burst(&self) -> Ticks {
        if self.burst > 0 || self.arrive.is_none() {
            return self.burst;
        }
        let mut ticks: Ticks = 0;
        for st in &self.body {
            match &st.kind {
                // Only a compute whose ticks the file fixes declares anything: a computed
                // one is known only when it runs.
                StmtKind::Compute(n) => match n.constant() {
                    Some(Ok(t)) if t >= 0 => ticks = ticks.saturating_add(t as Ticks),
                    _ => break,
                },
                StmtKind::Print(_) | StmtKind::Let { .. } => {}
                _ => break,
            }
        }
        ticks
    }
}

/// One statement, with its place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// What it does.
    pub kind: StmtKind,
    /// Where it is written.
    pub span: Span,
}

/// What a statement does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `send TARGET "payload" [MODE]`.
    Send {
        /// A mailbox or a process.
        to: Target,
        /// The bytes.
        payload: Template,
        /// Blocking, non-blocking or timed.
        mode: ModeSpec,
    },
    /// `call TARGET "payload" [MODE]`: send and wait for the reply.
    Call {
        /// A mailbox or a process.
        to: Target,
        /// The request.
        payload: Template,
        /// Bounds the whole call.
        mode: ModeSpec,
    },
    /// `receive SOURCE [MODE] [buffer N]`.
    Receive {
        /// Where from.
        from: SourceSpec,
        /// Blocking, non-blocking or timed.
        mode: ModeSpec,
        /// The receive buffer's length, when limited.
        buffer: Option<u64>,
    },
    /// `reply "payload"`: answer the sender of the last message received.
    Reply {
        /// The reply.
        payload: Template,
    },
    /// `compute N`: a CPU burst of N ticks.
    Compute(Expr),
    /// `sleep N`.
    Sleep(Expr),
    /// `yield`.
    Yield,
    /// `create NAME [capacity CAP]`: a mailbox the process creates and owns.
    Create {
        /// Its name.
        name: Ident,
        /// Its capacity.
        capacity: CapacitySpec,
        /// What a send does when it is full.
        overflow: OverflowSpec,
        /// Who may receive and which waiting receiver a message goes to.
        receivers: abi::Receivers,
        /// Whether it outlives its creator.
        lifetime: abi::Lifetime,
    },
    /// `grant MAILBOX to PROCESS`: let the process receive from a shared mailbox the caller
    /// owns.
    Grant {
        /// The mailbox.
        name: Ident,
        /// The process granted the receive privilege.
        to: Target,
    },
    /// `pass RIGHT MAILBOX to TARGET "payload" [MODE]`: send a message carrying the
    /// mailbox's receive right (`receive`) or a send right on it (`send`).
    Pass {
        /// The right, on a placeholder mailbox id: the interpreter names the mailbox.
        receive: bool,
        /// The mailbox the right is on.
        mailbox: Ident,
        /// Where the message goes (boxed: the statement would otherwise be the largest of
        /// all, and every statement is as large as the largest, which the nesting limit's
        /// recursion multiplies).
        to: Box<Target>,
        /// The message.
        payload: Template,
        /// Whether to wait.
        mode: ModeSpec,
    },
    /// `grant_send MAILBOX to PROCESS`: give the process a send right on the mailbox.
    GrantSend {
        /// The mailbox.
        name: Ident,
        /// The process.
        to: Target,
    },
    /// `select ENDPOINT... [MODE] [buffer N]`: receive from whichever endpoint is ready.
    Select {
        /// The set, in order: mailboxes (`Some`) and the process's inbox (`None`, written
        /// `any`).
        set: Vec<Option<Ident>>,
        /// Whether to wait.
        mode: ModeSpec,
        /// The buffer offered, in bytes (default: as large as any message).
        buffer: Option<u64>,
    },
    /// `revoke MAILBOX from PROCESS`: take the receive privilege back.
    Revoke {
        /// The mailbox.
        name: Ident,
        /// The process that loses it.
        from: Target,
    },
    /// `delete MAILBOX`.
    Delete {
        /// The mailbox.
        name: Ident,
    },
    /// `transfer MAILBOX to PROCESS`.
    Transfer {
        /// The mailbox.
        name: Ident,
        /// The new owner.
        to: Target,
    },
    /// `spawn PROCESS [with VALUE]`: start every copy of a process declared `spawned`.
    Spawn {
        /// The declaration.
        name: Ident,
        /// The value each copy sees as `arg` (0 without one).
        arg: Option<Expr>,
    },
    /// `exit CODE`.
    Exit(i32),
    /// `repeat N { ... }`.
    Repeat {
        /// How many times.
        times: Expr,
        /// The statements repeated.
        body: Vec<Stmt>,
    },
    /// `loop { ... }`: until `break`, `exit` or the end of the run.
    Loop {
        /// The statements looped over.
        body: Vec<Stmt>,
    },
    /// `if EXPECTATION { ... } [else { ... }]`: branch on the last result.
    If {
        /// The test.
        cond: Expect,
        /// When it holds.
        then: Vec<Stmt>,
        /// When it does not.
        otherwise: Vec<Stmt>,
    },
    /// `break`: leave the innermost `repeat` or `loop`.
    Break,
    /// `print "text"`.
    Print(Template),
    /// `let NAME "text"`: bind a process-local name that templates use as `{NAME}`.
    Let {
        /// The name.
        name: Ident,
        /// Its value, filled in when the statement runs.
        value: Template,
    },
    /// `expect EXPECTATION`: end the process with a failure unless the last result matches.
    Expect(Expect),
    /// `reply to PROCESS "payload"`: answer that caller, whatever was received since.
    ReplyTo {
        /// The caller, waiting in `call`.
        to: Target,
        /// The reply.
        payload: Template,
    },
    /// `lookup MAILBOX`: ask the kernel for the live mailbox registered under the name, and
    /// name that one from now on.
    Lookup {
        /// The name it is registered under.
        name: Ident,
    },
    /// `wait CHILD [MODE]`: wait for a process this one spawned to exit; its exit code is
    /// `status`.
    Wait {
        /// The child.
        child: Target,
        /// Blocking, non-blocking or timed.
        mode: ModeSpec,
    },
    /// `exit VALUE` with a value computed when it runs (`exit status`); a 32-bit code.
    ExitValue(Expr),
    /// `let NAME = VALUE`: bind a process-local name to a number.
    Assign {
        /// The name.
        name: Ident,
        /// Its value, computed when the statement runs.
        value: Expr,
    },
}

impl StmtKind {
    /// Whether the statement makes a result that `expect` and `if` look at.
    pub fn has_result(&self) -> bool {
        matches!(
            self,
            StmtKind::Send { .. }
                | StmtKind::Call { .. }
                | StmtKind::Receive { .. }
                | StmtKind::Reply { .. }
                | StmtKind::Create { .. }
                | StmtKind::Delete { .. }
                | StmtKind::Transfer { .. }
                | StmtKind::Grant { .. }
                | StmtKind::Revoke { .. }
                | StmtKind::Select { .. }
                | StmtKind::Pass { .. }
                | StmtKind::GrantSend { .. }
                | StmtKind::Spawn { .. }
                | StmtKind::Print(_)
                | StmtKind::ReplyTo { .. }
                | StmtKind::Lookup { .. }
                | StmtKind::Wait { .. }
        )
    }
}

/// A mailbox or a process, named in a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The name.
    pub name: Ident,
    /// Which copy of a process with several.
    pub index: Option<CopyIndex>,
    /// The whole target, index included.
    pub span: Span,
}

/// Which copy: a number, or a value computed when the statement runs. Only `wrap` wraps
/// around the number of copies (`node[wrap copy + 1]` is a ring); any other index past the
/// copies is a mistake (a number) or a runtime error (a value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyIndex {
    /// `name[2]`.
    Fixed(u32),
    /// `name[copy + 1]`, `name[i]`, `name[{n}]`, `name[wrap copy - 1]`.
    Value {
        /// The index (boxed: a statement stays small, and so does each level of the
        /// recursive walks over a tree of them).
        expr: Box<Expr>,
        /// `wrap`: taken modulo the number of copies (always 0 to count - 1).
        wrap: bool,
    },
}

/// A capacity a statement gives: `unbounded`, or a number of messages (0: a rendezvous).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CapacitySpec {
    /// `unbounded`.
    Unbounded,
    /// A number of messages, computed when the statement runs.
    Count(Expr),
}

/// An integer value: a number, a name, or arithmetic and comparisons over them. Every value
/// is a 64-bit signed number; arithmetic is checked (a result outside the range, or a
/// division by zero, stops the process with a runtime error) and a comparison is 1 or 0.
/// A tree is at most [`MAX_EXPR_TERMS`](super::MAX_EXPR_TERMS) nodes, which bounds every walk
/// over it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// The forms of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A number as written.
    Int(i64),
    /// A name: `i`, `i1`..., `copy`, `arg`, `status`, or one bound by `let` (`{n}` too).
    Name(String),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a OP b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// The operators of a value, loosest-binding last in the list below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `*`
    Mul,
    /// `/`, rounding toward zero.
    Div,
    /// `%`, with the sign of the left side.
    Rem,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl BinOp {
    /// As written.
    pub const fn symbol(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }

    /// Whether it compares (and gives 1 or 0).
    pub const fn compares(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }

    /// `a OP b`, or why not (overflow, division by zero).
    pub fn apply(self, a: i64, b: i64) -> Result<i64, String> {
        let overflow = || format!("{a} {} {b} is outside the 64-bit range", self.symbol());
        let checked = |r: Option<i64>| r.ok_or_else(overflow);
        match self {
            BinOp::Add => checked(a.checked_add(b)),
            BinOp::Sub => checked(a.checked_sub(b)),
            BinOp::Mul => checked(a.checked_mul(b)),
            BinOp::Div | BinOp::Rem if b == 0 => {
                Err(format!("{a} {} 0 divides by zero", self.symbol()))
            }
            BinOp::Div => checked(a.checked_div(b)),
            BinOp::Rem => checked(a.checked_rem(b)),
            BinOp::Eq => Ok(i64::from(a == b)),
            BinOp::Ne => Ok(i64::from(a != b)),
            BinOp::Lt => Ok(i64::from(a < b)),
            BinOp::Le => Ok(i64::from(a <= b)),
            BinOp::Gt => Ok(i64::from(a > b)),
            BinOp::Ge => Ok(i64::from(a >= b)),
        }
    }
}

impl Expr {
    /// Every name the value reads, in order, with where each is written.
    pub fn names(&self) -> Vec<(&str, Span)> {
        let mut out = Vec::new();
        let mut open = vec![self];
        while let Some(e) = open.pop() {
            match &e.kind {
                ExprKind::Int(_) => {}
                ExprKind::Name(n) => out.push((n.as_str(), e.span)),
                ExprKind::Neg(x) => open.push(x),
                ExprKind::Binary(_, a, b) => {
                    open.push(b);
                    open.push(a);
                }
            }
        }
        out
    }

    /// Its value when it reads no name: `None` if it does, `Some(Err)` if it cannot be
    /// computed.
    pub fn constant(&self) -> Option<Result<i64, String>> {
        if !self.names().is_empty() {
            return None;
        }
        Some(self.eval(&mut |_| Err(String::new())))
    }

    /// Its value, names read through `lookup`.
    pub fn eval(
        &self,
        lookup: &mut impl FnMut(&str) -> Result<i64, String>,
    ) -> Result<i64, String> {
        match &self.kind {
            ExprKind::Int(n) => Ok(*n),
            ExprKind::Name(n) => lookup(n),
            ExprKind::Neg(x) => {
                let v = x.eval(lookup)?;
                v.checked_neg()
                    .ok_or_else(|| format!("-({v}) is outside the 64-bit range"))
            }
            ExprKind::Binary(op, a, b) => {
                let a = a.eval(lookup)?;
                let b = b.eval(lookup)?;
                op.apply(a, b)
            }
        }
    }

    /// Whether its top is a comparison: what `if`, `while` and `expect` take.
    pub fn is_comparison(&self) -> bool {
        matches!(&self.kind, ExprKind::Binary(op, ..) if op.compares())
    }
}

/// Where a `receive` takes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A mailbox the process owns.
    Mailbox(Ident),
    /// `from PROCESS`: its direct inbox, only messages from that process (symmetric).
    From(Target),
    /// `from sender`: only messages from the sender of the last message received.
    FromSender(Span),
    /// `any`: its direct inbox, from anyone (asymmetric).
    Any,
}

/// How long a send or receive may wait.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ModeSpec {
    /// As long as it takes.
    #[default]
    Blocking,
    /// `nonblocking`.
    NonBlocking,
    /// `timeout N`: N ticks, computed when the statement runs (boxed, as a copy index is).
    Timeout(Box<Expr>),
}

/// What `expect` and `if` test the last result against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The test.
    pub kind: ExpectKind,
    /// `not`: the test must fail.
    pub negated: bool,
    /// Where it is written.
    pub span: Span,
}

/// The tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectKind {
    /// `ok`: the last statement succeeded.
    Ok,
    /// An error code by name: the last statement failed with it.
    Error(Error),
    /// `bytes "text"`: the last message (or reply) was exactly this.
    Bytes(Template),
    /// `sender PROCESS`: the last message came from it (any copy unless an index is given).
    Sender(Target),
    /// `multiple_of "N"`: the last message is a whole number that N divides.
    MultipleOf(Template),
    /// A comparison of values (`n < 3`): it holds. Looks at no result.
    Value(Expr),
}

/// A payload with placeholders, filled in when the statement runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    /// Text and placeholders in order.
    pub pieces: Vec<Piece>,
    /// The string literal.
    pub span: Span,
}

/// Part of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A placeholder, with a number added to it (`{i+2}`; 0 when none is written).
    Var(Var, i64),
}

/// The placeholders a template may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Var {
    /// `{i}`: the index of the innermost `repeat` or `loop` (from 0).
    I,
    /// `{i1}`, `{i2}`, ...: the index of the repeat at that depth, outermost first.
    Depth(u8),
    /// `{name}`: the process's own name (`producer[2]`).
    Name,
    /// `{copy}`: which copy the process is (from 0).
    Copy,
    /// `{pid}`: the process's own pid (`p3`).
    Pid,
    /// `{sender}`: the name of the last message's sender.
    Sender,
    /// `{msg}`: the last message's bytes as text.
    Msg,
    /// `{arg}`: the value its spawner gave with `spawn NAME with VALUE` (0 otherwise).
    Arg,
    /// `{reply}`: the bytes of the last reply a `call` got.
    Reply,
    /// `{reply_sender}`: who sent the last reply a `call` got.
    ReplySender,
    /// `{status}`: the exit code of the last child `wait` collected.
    Status,
    /// `{NAME}`: a name bound by `let`.
    Let(String),
}

impl Var {
    /// Whether the placeholder is a number that an offset (`{i+1}`) can be added to.
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Var::I | Var::Depth(_) | Var::Copy | Var::Arg | Var::Status | Var::Let(_)
        )
    }

    /// The placeholder written as `{name}`; any other name is a `let` binding.
    pub fn from_name(name: &str) -> Var {
        Self::builtin(name).unwrap_or_else(|| Var::Let(name.to_string()))
    }

    /// The built-in placeholder written as `{name}`.
    pub fn builtin(name: &str) -> Option<Var> {
        Some(match name {
            "i" => Var::I,
            "name" => Var::Name,
            "copy" => Var::Copy,
            "pid" => Var::Pid,
            "sender" => Var::Sender,
            "msg" => Var::Msg,
            "arg" => Var::Arg,
            "reply" => Var::Reply,
            "reply_sender" => Var::ReplySender,
            "status" => Var::Status,
            _ => {
                let depth: u8 = name.strip_prefix('i')?.parse().ok()?;
                if depth == 0 {
                    return None;
                }
                Var::Depth(depth)
            }
        })
    }
}
