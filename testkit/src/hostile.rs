//! Hostile input, decoded one way for every tool that feeds it to the machine.
//!
//! The fuzz targets in `fuzz/` (libFuzzer, `make fuzz`) and the bounded property tests of
//! `make test` (`tests/tests/trap_fuzz.rs`, `tests/tests/scenario_properties.rs`) call the
//! functions here, so a crash the fuzzer finds replays as a test case and the other way
//! round: both turn the same bytes into the same run.
//!
//! **Trap frames** ([`decode`], [`run`]). Bytes become a [`Trial`]: 2–4 processes, each
//! replaying its own list of raw trap frames through `Sys::raw_syscall` (any number, any
//! registers, any send-buffer bytes), on a machine that checks every kernel invariant after
//! every kernel entry and stops at [`MAX_TICKS`]. Half the frames are *fitted*: each
//! register gets a value that fits its place in the call (a valid kind or mode, the
//! payload's length, an id learned at run time), so random bytes make calls the kernel
//! carries out. In the others each register is drawn from values that mean something to the
//! kernel — small numbers (also the ids of the first processes and mailboxes), ids of a later
//! generation (stale), the ABI's edge values, learned ids — or is any `u64`.
//! [`run`] fails (returns `Err`) when the kernel or the machine panics, an invariant breaks
//! (the kernel panics), the ledger does not balance, a process of the trial panics or faults,
//! or any return registers contradict `docs/abi.md` (the checks are listed on [`run`]).
//!
//! **Scenario text** ([`exercise_scenario`]): load it; a mistake must point inside the text;
//! what loads runs briefly with the ledger balanced.

use abi::{Error, RecvFlags, SendFlags, Syscall, Sysno, TrapFrame, ARG_REGS, RET_REGS};

/// Slots of the per-syscall success count: one per syscall number, and slot 0 unused.
const SYSNO_SLOTS: usize = 22;
use kernel::trace::ExitReason;
use sim::{Machine, MachineConfig, Outcome, Policy, Report};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use userland::{Capacity, Pid, ProgramTable, SpawnOptions, Sys};

/// A trial's run stops here at the latest: long enough for every frame of a full trial to
/// run (a frame costs a tick or two), short enough that a fuzzer runs thousands a second.
pub const MAX_TICKS: u64 = 3_000;

/// The most frames one input decodes to; the rest of the bytes are ignored, so an input's
/// run stays short however long the input is.
pub const MAX_FRAMES: usize = 256;

/// The most frames a trial raises in all, over all its processes: a frame that spawns `main`
/// or a `worker` starts a script again, and without a cap such a trial replays scripts until
/// the tick limit, thousands of frames that find nothing new and slow the fuzzer down.
pub const MAX_RAISED: u64 = 1_024;

/// The most processes (live and zombie) a trial's kernel allows: frames may spawn workers
/// that replay scripts again, and this bounds that.
pub const MAX_PROCESSES: usize = 16;

/// How many learned values a trial remembers for [`Reg::Learned`].
const LEARNED: usize = 31;

// ----- the decoded form -----

/// A decoded input: the machine's settings and one script of frames per process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    /// Settings, one bit each ([`Knobs`]).
    pub knobs: u8,
    /// One script per process; `scripts[0]` is `main`'s, the others are the workers `main`
    /// starts. There are 2–4.
    pub scripts: Vec<Vec<Frame>>,
}

/// The bits of [`Trial::knobs`].
pub struct Knobs;

impl Knobs {
    /// Bits 0–1: the policy (round robin with the default quantum, round robin with quantum
    /// 2, FCFS, preemptive priority with quantum 2).
    pub const POLICY: u8 = 0b11;
    /// Two CPUs instead of one.
    pub const TWO_CPUS: u8 = 1 << 2;
    /// A queued-bytes limit of 256, to reach `out_of_memory` on `send`.
    pub const LOW_MEMORY: u8 = 1 << 3;
    /// At most 3 mailboxes.
    pub const FEW_MAILBOXES: u8 = 1 << 4;
    /// At most one process more than the trial starts.
    pub const FEW_PROCESSES: u8 = 1 << 5;
    /// The kernel setting `refuse_deadlock`.
    pub const REFUSE_DEADLOCK: u8 = 1 << 6;
    /// The kernel setting `priority_inheritance`.
    pub const PRIORITY_INHERITANCE: u8 = 1 << 7;
}

/// One raw trap: a number, six argument registers and the bytes of the send buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The syscall number register.
    pub sysno: u64,
    /// The argument registers, resolved when the frame is raised.
    pub args: [Reg; ARG_REGS],
    /// The send buffer.
    pub bytes: Payload,
}

/// An argument register as the input gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// A value that fits the register's place in the call, chosen by the number: a
    /// kind, mode flags, a capacity or an overflow policy from its valid values, the
    /// payload's length for a length, a learned id for an id (see [`Reg::value`]). Random
    /// bytes then make calls the kernel decodes and carries out, not only refusals.
    Fit(u8),
    /// 0–15: lengths, kinds, flags, and the ids of the first processes and mailboxes (an id
    /// of generation 0 is its slot number).
    Small(u8),
    /// Slot `slot` (0–15) in generation `gen` (1–4): a stale id, or one not issued yet.
    Stale {
        /// The generation, 1–4.
        gen: u8,
        /// The slot, 0–15.
        slot: u8,
    },
    /// An edge value of the ABI ([`CONSTANTS`]).
    Constant(u8),
    /// The nth most recent value learned at run time: an id a syscall returned (created or
    /// looked-up mailbox, spawned child, sender, replier, waited-for child, own pid); 0
    /// before anything was learned.
    Learned(u8),
    /// Any value.
    Raw(u64),
}

/// Edge values of the ABI, for [`Reg::Constant`].
pub const CONSTANTS: [u64; 32] = [
    u64::MAX,                      // Capacity::Unbounded, -1 as an exit code
    u64::MAX - 1,                  // one below it: a malformed capacity
    u32::MAX as u64,               // the largest bounded capacity
    u32::MAX as u64 + 1,           // the smallest malformed one
    1 << 63,                       // a huge length or timeout
    i32::MIN as i64 as u64,        // the lowest exit code
    i32::MAX as u64,               // the highest exit code
    i32::MAX as u64 + 1,           // not a sign-extended i32
    64,                            // MAX_NAME_LEN
    65,                            // one past it
    4095,                          // max_message - 1
    4096,                          // max_message
    4097,                          // one past it
    1 << 32,                       // slot 0 in generation 1
    255,                           // the highest priority
    256,                           // one past it
    100,                           // a timeout or sleep longer than most runs' phases
    1_000,                         // a long one
    10_000,                        // longer than MAX_TICKS
    u64::MAX / 2,                  // a deadline that saturates
    0xFFFF_FFFF_0000_0000,         // slot 0 in the last generation
    ((u32::MAX as u64) << 32) | 1, // slot 1 in the last generation
    17,                            // the first unknown syscall number
    u32::MAX as u64 - 1,           // a slot index no slab reaches
    1 << 20,                       // a megabyte
    1 << 21,                       // the default process and mailbox limits
    (1 << 21) + 1,                 // one past them
    2048,                          // half of max_message
    31,                            // lengths around a payload's size
    32,
    33,
    127,
];

/// Fixed send-buffer contents, for `Payload::Word`: program names (for `spawn`, also
/// followed by a label), mailbox names, and malformed names.
fn word(i: u8) -> Vec<u8> {
    match i % WORDS {
        0 => b"worker".to_vec(),
        1 => b"child".to_vec(),
        2 => b"main".to_vec(),
        3 => b"a".to_vec(),
        4 => b"b".to_vec(),
        5 => b"svc".to_vec(),
        6 => b"childlabel".to_vec(),
        7 => b"workerw1".to_vec(),
        8 => "é".as_bytes().to_vec(),
        9 => vec![b'a', 0xff, 0xfe],
        10 => b"nope".to_vec(),
        11 => vec![b'n'; abi::MAX_NAME_LEN + 1],
        12 => vec![b'n'; abi::MAX_NAME_LEN],
        _ => Vec::new(),
    }
}

/// How many [`word`]s there are.
const WORDS: u8 = 14;

/// Sizes of [`Payload::Filled`] send buffers: around the name limit, around `max_message`,
/// and large.
const SIZES: [usize; 8] = [64, 65, 128, 4095, 4096, 4097, 8192, 1 << 16];

/// The send buffer's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// These bytes (at most 31).
    Bytes(Vec<u8>),
    /// A fixed word: a program name (`worker`, `child`, `main`, also followed by a label),
    /// a mailbox name, or a malformed name (not UTF-8, one byte too long).
    Word(u8),
    /// A buffer of a pattern, of one of 8 sizes around the name limit, around
    /// `max_message`, and large.
    Filled(u8),
}

impl Payload {
    /// The bytes the send buffer holds.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Payload::Bytes(b) => b.clone(),
            Payload::Word(i) => word(*i),
            Payload::Filled(i) => {
                let n = SIZES[*i as usize % SIZES.len()];
                (0..n).map(|i| (i as u8).wrapping_mul(31)).collect()
            }
        }
    }
}

/// The ids a trial's processes learned at run time, most recent last: all of them (for
/// [`Reg::Learned`]), and by kind (for a [`Reg::Fit`] in an id register).
#[derive(Clone, Debug, Default)]
pub struct Learned {
    /// Every id, pids and mailboxes mixed.
    pub all: Vec<u64>,
    /// Pids: the processes' own, spawned children, senders, repliers, collected children.
    pub pids: Vec<u64>,
    /// Mailbox ids: created and looked up.
    pub mailboxes: Vec<u64>,
}

impl Learned {
    /// Remember `id`, a mailbox id or a pid.
    fn learn(&mut self, id: u64, mailbox: bool) {
        for list in [
            &mut self.all,
            if mailbox {
                &mut self.mailboxes
            } else {
                &mut self.pids
            },
        ] {
            if list.len() == LEARNED {
                list.remove(0);
            }
            list.push(id);
        }
    }
}

/// The nth most recent entry of `list` (wrapping), or 0 when it is empty.
fn nth_recent(list: &[u64], n: u8) -> u64 {
    match list.len() {
        0 => 0,
        len => list[len - 1 - (n as usize % len)],
    }
}

impl Reg {
    /// The register's value as argument `position` of syscall `sysno` with a payload of
    /// `payload` bytes, given the ids learned so far; `kind` is the value of argument 0
    /// (for `send`, `call` and `receive`, whether argument 1 is a pid or a mailbox).
    ///
    /// A [`Reg::Fit`] follows `docs/abi.md`, section 8: for a length (a name, a message, a
    /// print) the payload's length; for a kind 0–1 (`send`, `call`) or 0–2 (`receive`); for
    /// mode flags 0–2 and a timeout of up to 15 ticks; for a capacity 0, 1, 2 or unbounded;
    /// for an overflow policy or a receiver policy 0–3, for a lifetime 0–1; for a receive or reply buffer 0, 8 or `u32::MAX`; for an
    /// id a learned id of its kind; anything else, the number itself.
    pub fn value(
        self,
        sysno: u64,
        position: usize,
        payload: usize,
        kind: u64,
        learned: &Learned,
    ) -> u64 {
        let mailbox = |k| nth_recent(&learned.mailboxes, k);
        let pid = |k| nth_recent(&learned.pids, k);
        match self {
            Reg::Fit(k) => {
                let k64 = u64::from(k);
                let len = payload as u64;
                let capacity = [0, 1, 2, u64::MAX][k as usize % 4];
                let buffer = [0, 8, u64::from(u32::MAX)][k as usize % 3];
                match (Sysno::from_raw(sysno), position) {
                    (Some(Sysno::CreateMailbox), 0) => capacity,
                    (Some(Sysno::CreateMailbox), 1) => len,
                    (Some(Sysno::CreateMailbox), 2 | 3) => k64 % 4,
                    (Some(Sysno::CreateMailbox), 4) => k64 % 2,
                    (Some(Sysno::SendRight), 3) => {
                        (k64 % 3) | [abi::CARRY_RECEIVE, abi::CARRY_SEND][k as usize % 2]
                    }
                    (Some(Sysno::SendRight), 5) | (Some(Sysno::GrantSend), 0) => mailbox(k),
                    (Some(Sysno::GrantSend), 1) => pid(k),
                    (Some(Sysno::SendRight), 0) => k64 % 2,
                    (Some(Sysno::SendRight), 2) => len,
                    (Some(Sysno::SendRight), 4) => k64 % 16,
                    (Some(Sysno::SendRight), 1) if kind == 1 => mailbox(k),
                    (Some(Sysno::SendRight), 1) => pid(k),
                    (Some(Sysno::Select), 0) => 1 + k64 % 2,
                    (Some(Sysno::Select), 1) => buffer,
                    (Some(Sysno::Select), 2) => k64 % 3,
                    (Some(Sysno::Select), 3) => k64 % 16,
                    (Some(Sysno::LookupMailbox | Sysno::Print), 0) => len,
                    (Some(Sysno::Send | Sysno::Call), 0) => k64 % 2,
                    (Some(Sysno::Receive), 0) => k64 % 3,
                    (Some(Sysno::Send | Sysno::Call | Sysno::Reply), 2 | 1)
                        if (sysno == Sysno::Reply as u64) == (position == 1) =>
                    {
                        len
                    }
                    (Some(Sysno::Receive), 2) | (Some(Sysno::Call), 5) => buffer,
                    (Some(Sysno::Send | Sysno::Receive | Sysno::Call), 3)
                    | (Some(Sysno::Wait), 1) => k64 % 3,
                    (Some(Sysno::Send | Sysno::Receive | Sysno::Call), 4)
                    | (Some(Sysno::Wait), 2)
                    | (Some(Sysno::Sleep | Sysno::Compute), 0) => k64 % 16,
                    (Some(Sysno::Spawn), 0) => len,
                    (Some(Sysno::Spawn), 1) => 0,
                    (Some(Sysno::Spawn), 3) => capacity,
                    (
                        Some(
                            Sysno::DeleteMailbox
                            | Sysno::TransferMailbox
                            | Sysno::GrantReceive
                            | Sysno::RevokeReceive,
                        ),
                        0,
                    ) => mailbox(k),
                    (
                        Some(Sysno::TransferMailbox | Sysno::GrantReceive | Sysno::RevokeReceive),
                        1,
                    )
                    | (Some(Sysno::Reply | Sysno::Wait), 0) => pid(k),
                    (Some(Sysno::Send | Sysno::Receive | Sysno::Call), 1) if kind == 1 => {
                        mailbox(k)
                    }
                    (Some(Sysno::Send | Sysno::Receive | Sysno::Call), 1) => pid(k),
                    _ => k64,
                }
            }
            Reg::Small(v) => u64::from(v),
            Reg::Stale { gen, slot } => (u64::from(gen) << 32) | u64::from(slot),
            Reg::Constant(i) => CONSTANTS[i as usize % CONSTANTS.len()],
            Reg::Learned(n) => nth_recent(&learned.all, n),
            Reg::Raw(v) => v,
        }
    }
}

// ----- bytes to a trial, and back -----

/// Reads the input; past its end every byte reads as 0, so any prefix decodes.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn more(&self) -> bool {
        self.at < self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at = self.at.saturating_add(1);
        b
    }

    fn u64(&mut self) -> u64 {
        let mut w = [0; 8];
        for b in &mut w {
            *b = self.byte();
        }
        u64::from_le_bytes(w)
    }

    fn reg(&mut self) -> Reg {
        match self.byte() {
            t @ 0x00..=0x3f => Reg::Fit(t),
            t @ 0x40..=0x7f => Reg::Small(t % 16),
            t @ 0x80..=0xbf => Reg::Stale {
                gen: 1 + ((t >> 4) & 3),
                slot: t & 0x0f,
            },
            t @ 0xc0..=0xdf => Reg::Constant(t - 0xc0),
            t @ 0xe0..=0xfe => Reg::Learned(t - 0xe0),
            0xff => Reg::Raw(self.u64()),
        }
    }

    fn payload(&mut self) -> Payload {
        match self.byte() {
            // Mostly short: a payload takes bytes the next frames could use.
            t @ 0x00..=0x7f => {
                let n = usize::from(t % 8);
                Payload::Bytes((0..n).map(|_| self.byte()).collect())
            }
            t @ 0x80..=0xbf => {
                let n = usize::from(t % 32);
                Payload::Bytes((0..n).map(|_| self.byte()).collect())
            }
            t @ 0xc0..=0xdf => Payload::Word((t - 0xc0) % WORDS),
            t => Payload::Filled((t - 0xe0) % SIZES.len() as u8),
        }
    }
}

/// Decode any bytes into a trial. Total: every input is a trial.
///
/// Layout: a byte for the number of processes (2 + b % 3), a byte of [`Knobs`], then frames
/// until the input ends (at most [`MAX_FRAMES`]). A frame is a byte choosing its process
/// ((b & 127) % processes) and whether the frame is *fitted* (b & 128), the number (a byte
/// b < 255: b % 18, covering 0, every syscall and 17; 255: eight bytes, little-endian), six
/// registers and the payload. In a fitted frame each register is one byte k, the value
/// [`Reg::Fit`]`(k)`: half the frames are calls the kernel decodes and carries out. In the
/// others a register is one byte: `00–3f` a fitting value, `40–7f` small (b % 16), `80–bf`
/// stale (generation 1 + (b >> 4 & 3), slot b & 15), `c0–df` a constant, `e0–fe` learned,
/// `ff` followed by eight bytes. A payload is one byte: `00–7f`
/// followed by b % 8 bytes, `80–bf` followed by b % 32 bytes, `c0–df` a word, `e0–ff` a
/// filled buffer.
pub fn decode(data: &[u8]) -> Trial {
    let mut r = Reader { data, at: 0 };
    let processes = 2 + usize::from(r.byte() % 3);
    let knobs = r.byte();
    let mut scripts = vec![Vec::new(); processes];
    let mut frames = 0;
    while r.more() && frames < MAX_FRAMES {
        let head = r.byte();
        let who = usize::from(head & 0x7f) % processes;
        let sysno = match r.byte() {
            0xff => r.u64(),
            s => u64::from(s % 18),
        };
        let args = if head & 0x80 != 0 {
            [(); ARG_REGS].map(|()| Reg::Fit(r.byte()))
        } else {
            [(); ARG_REGS].map(|()| r.reg())
        };
        let bytes = r.payload();
        scripts[who].push(Frame { sysno, args, bytes });
        frames += 1;
    }
    Trial { knobs, scripts }
}

/// The bytes [`decode`] turns into `trial` (for seed inputs written as trials). Frames are
/// interleaved round robin over the processes, which keeps each script's order; what the
/// decoder normalises (a register `Small(20)`) is written in its decoded form.
pub fn encode(trial: &Trial) -> Vec<u8> {
    let n = trial.scripts.len().clamp(2, 4);
    let mut out = vec![(n - 2) as u8, trial.knobs];
    let longest = trial.scripts.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for (who, script) in trial.scripts.iter().enumerate().take(n) {
            let Some(f) = script.get(i) else { continue };
            let fitted = f.args.iter().all(|a| matches!(a, Reg::Fit(_)));
            out.push(who as u8 | if fitted { 0x80 } else { 0 });
            if f.sysno < 18 {
                out.push(f.sysno as u8);
            } else {
                out.push(0xff);
                out.extend_from_slice(&f.sysno.to_le_bytes());
            }
            for reg in f.args {
                match reg {
                    Reg::Fit(k) if fitted => out.push(k),
                    Reg::Fit(k) if k < 0x40 => out.push(k),
                    Reg::Small(v) if v < 16 => out.push(0x40 + v),
                    Reg::Stale { gen, slot } if (1..=4).contains(&gen) && slot < 16 => {
                        out.push(0x80 | ((gen - 1) << 4) | slot)
                    }
                    Reg::Constant(c) if (c as usize) < CONSTANTS.len() => out.push(0xc0 + c),
                    Reg::Learned(l) if (l as usize) < LEARNED => out.push(0xe0 + l),
                    other => {
                        out.push(0xff);
                        out.extend_from_slice(
                            &other.value(0, 0, 0, 0, &Learned::default()).to_le_bytes(),
                        );
                    }
                }
            }
            match &f.bytes {
                Payload::Bytes(b) => {
                    let b = &b[..b.len().min(31)];
                    out.push(if b.len() < 8 {
                        b.len() as u8
                    } else {
                        0x80 | b.len() as u8
                    });
                    out.extend_from_slice(b);
                }
                Payload::Word(w) => out.push(0xc0 + w % WORDS),
                Payload::Filled(s) => out.push(0xe0 + s % SIZES.len() as u8),
            }
        }
    }
    out
}

// ----- running a trial -----

/// What a trial's run did, when it kept every promise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Frames raised (and answered).
    pub frames: u64,
    /// Of those, frames that succeeded, by syscall number (index 0: numbers that are not a
    /// syscall, which never succeed).
    pub succeeded: [u64; SYSNO_SLOTS],
    /// Of those, frames refused, by error code.
    pub refused: BTreeMap<Error, u64>,
    /// How the run ended.
    pub outcome: &'static str,
}

/// What the processes of a trial share: the trial, the ids learned so far and what they saw
/// that contradicts `docs/abi.md`.
struct Shared {
    trial: Trial,
    max_message: u64,
    learned: RefCell<Learned>,
    /// Every pid a process of the trial had (each asks for its own first): a sender or a
    /// replier must be one of them.
    pids: RefCell<BTreeSet<u64>>,
    anomalies: RefCell<Vec<String>>,
    frames: Cell<u64>,
    succeeded: RefCell<[u64; SYSNO_SLOTS]>,
    refused: RefCell<BTreeMap<Error, u64>>,
}

impl Shared {
    fn learn(&self, pid: u64) {
        self.learned.borrow_mut().learn(pid, false);
    }

    fn learn_mailbox(&self, id: u64) {
        self.learned.borrow_mut().learn(id, true);
    }

    fn refused(&self, e: Error) {
        *self.refused.borrow_mut().entry(e).or_default() += 1;
    }

    fn anomaly(&self, what: String) {
        let mut a = self.anomalies.borrow_mut();
        // The first few are what a reader needs; a run that contradicts the ABI once tends
        // to do so on every frame.
        if a.len() < 8 {
            a.push(what);
        }
    }

    /// Hold the registers a frame returned against `docs/abi.md` (the list is on [`run`]).
    fn check(&self, me: Pid, frame: &TrapFrame, ret: [u64; RET_REGS]) {
        self.frames.set(self.frames.get() + 1);
        let args = frame.args;
        let call = match Syscall::decode(frame) {
            Err(e) => {
                if ret != [e.code(), 0, 0, 0] {
                    self.anomaly(format!(
                        "{me}: sysno {} {args:?} does not decode ({e}) yet returned {ret:?}",
                        frame.sysno
                    ));
                }
                self.refused(e);
                return;
            }
            Ok(call) => call,
        };
        if ret[0] != 0 {
            let Some(e) = Error::from_code(ret[0]) else {
                self.anomaly(format!("{me}: {call} returned unknown status {ret:?}"));
                return;
            };
            self.refused(e);
            let detail_ok = match e {
                Error::MessageTooLarge => ret[1] == self.max_message,
                Error::BufferTooSmall => true,
                _ => ret[1] == 0,
            };
            if !detail_ok || ret[2] != 0 || ret[3] != 0 {
                self.anomaly(format!("{me}: {call} failed with {e} as {ret:?}"));
            }
            return;
        }
        self.succeeded.borrow_mut()[call.sysno() as usize] += 1;
        let known = |pid: u64| self.pids.borrow().contains(&pid);
        let used = match call {
            Syscall::GetPid => {
                if ret[1] != me.raw() {
                    self.anomaly(format!("{me}: getpid returned {ret:?}"));
                }
                1
            }
            Syscall::CreateMailbox { .. } | Syscall::LookupMailbox { .. } => {
                self.learn_mailbox(ret[1]);
                1
            }
            Syscall::Spawn { .. } => {
                self.learn(ret[1]);
                1
            }
            Syscall::Select { buf_len, count, .. } => {
                let at = ret[3] >> abi::SELECT_INDEX_SHIFT;
                let flags = RecvFlags::from_bits(ret[3] & u64::from(u32::MAX));
                if !known(ret[1]) || ret[2] > buf_len || flags.is_none() || at >= count {
                    self.anomaly(format!("{me}: {call} returned {ret:?}"));
                }
                self.learn(ret[1]);
                3
            }
            Syscall::Receive { buf_len, .. } => {
                if !known(ret[1]) || ret[2] > buf_len || RecvFlags::from_bits(ret[3]).is_none() {
                    self.anomaly(format!("{me}: {call} returned {ret:?}"));
                }
                self.learn(ret[1]);
                3
            }
            Syscall::Call { reply_len, .. } => {
                if !known(ret[1]) || ret[2] > reply_len {
                    self.anomaly(format!("{me}: {call} returned {ret:?}"));
                }
                self.learn(ret[1]);
                2
            }
            Syscall::Send { .. } => {
                // A message handed to a receiver of a shared mailbox reports who took it.
                match SendFlags::from_bits(ret[1]) {
                    Some(f) if f.is_empty() => 0,
                    Some(f) if f == SendFlags::TAKEN && known(ret[2]) => 2,
                    _ => {
                        self.anomaly(format!("{me}: {call} returned {ret:?}"));
                        0
                    }
                }
            }
            Syscall::Wait { child, .. } => {
                if ret[2] != child.raw() || i32::try_from(ret[1] as i64).is_err() {
                    self.anomaly(format!("{me}: {call} returned {ret:?}"));
                }
                self.learn(ret[2]);
                2
            }
            Syscall::Exit { .. } => {
                self.anomaly(format!("{me}: {call} returned {ret:?}"));
                0
            }
            _ => 0,
        };
        if ret[1 + used..].iter().any(|&r| r != 0) {
            self.anomaly(format!("{me}: {call} set unused registers: {ret:?}"));
        }
    }
}

/// Replay script `script` of the trial as the calling process.
async fn replay(sys: Sys, shared: Rc<Shared>, script: usize) -> i32 {
    let me = sys.getpid().await;
    shared.pids.borrow_mut().insert(me.raw());
    shared.learn(me.raw());
    let Some(frames) = shared.trial.scripts.get(script) else {
        return 0;
    };
    for f in frames {
        if shared.frames.get() >= MAX_RAISED {
            break;
        }
        let bytes = f.bytes.bytes();
        let args = {
            let learned = shared.learned.borrow();
            let mut args = [0; ARG_REGS];
            for (i, reg) in f.args.into_iter().enumerate() {
                args[i] = reg.value(f.sysno, i, bytes.len(), args[0], &learned);
            }
            args
        };
        let ret = sys.raw_syscall(f.sysno, args, &bytes).await;
        let frame = TrapFrame {
            sysno: f.sysno,
            args,
            ret,
        };
        shared.check(me, &frame, ret);
    }
    0
}

/// The programs of a trial:
/// - `main` starts a `worker` for each other script, then replays `scripts[0]`;
/// - `worker` replays `scripts[arg]` (nothing when there is none), so a frame that spawns a
///   worker starts a script again;
/// - `child` returns its argument as its exit code at once, a child to `wait` for.
fn programs(shared: &Rc<Shared>) -> ProgramTable {
    let mut table = ProgramTable::new();
    let s = shared.clone();
    table.add(
        "main",
        "starts the workers, replays script 0",
        move |sys, _| {
            let shared = s.clone();
            async move {
                for i in 1..shared.trial.scripts.len() {
                    // Out of processes (a low limit) is a legal answer: that worker never runs.
                    let options = SpawnOptions::new("worker", i as u64).inbox(Capacity::Bounded(2));
                    if let Ok(pid) = sys.spawn_with(options).await {
                        shared.learn(pid.raw());
                    }
                }
                replay(sys, shared, 0).await
            }
        },
    );
    let s = shared.clone();
    table.add("worker", "replays scripts[arg]", move |sys, arg| {
        let shared = s.clone();
        async move {
            match usize::try_from(arg) {
                Ok(script) => replay(sys, shared, script).await,
                Err(_) => 0,
            }
        }
    });
    table.add("child", "exits with its argument", |_sys, arg| async move {
        arg as i32
    });
    table
}

/// The machine a trial runs on: invariants checked after every kernel entry, a short tick
/// limit, few processes, and the settings its knobs choose.
pub fn config(knobs: u8) -> MachineConfig {
    let mut c = MachineConfig {
        max_ticks: MAX_TICKS,
        ..MachineConfig::default()
    };
    c.kernel.check_invariants = true;
    c.kernel.max_processes = MAX_PROCESSES;
    c.policy = match knobs & Knobs::POLICY {
        0 => Policy::default(),
        1 => Policy::RoundRobin { quantum: 2 },
        2 => Policy::Fcfs,
        _ => Policy::Priority {
            quantum: Some(2),
            aging: 0,
            order: Default::default(),
        },
    };
    if knobs & Knobs::TWO_CPUS != 0 {
        c.cpus = 2;
    }
    if knobs & Knobs::LOW_MEMORY != 0 {
        c.kernel.memory_limit = 256;
    }
    if knobs & Knobs::FEW_MAILBOXES != 0 {
        c.kernel.max_mailboxes = 3;
    }
    if knobs & Knobs::FEW_PROCESSES != 0 {
        c.kernel.max_processes = 5;
    }
    c.kernel.refuse_deadlock = knobs & Knobs::REFUSE_DEADLOCK != 0;
    c.kernel.priority_inheritance = knobs & Knobs::PRIORITY_INHERITANCE != 0;
    c
}

/// Run a trial; `Err` says which promise broke.
///
/// Every frame's return registers are held against `docs/abi.md` (sections 1 and 8):
/// - a frame the ABI does not decode is refused with exactly the decoder's error;
/// - a failure is `[code, detail, 0, 0]` with a known code, and `detail` is 0 except for
///   `buffer_too_small` and `message_too_large` (which carries `max_message`);
/// - a success leaves the registers its call does not use at 0; `getpid` names the caller;
///   a received message or a reply fits the buffer declared and comes from a process of the
///   trial; `wait` names the child asked for, with an `i32` code; `exit` never returns
///   success.
///
/// And the run: no panic outside the processes (kernel invariants are checked after every
/// kernel entry, and a violation is a kernel panic); no process of the trial panics or
/// faults; the ledger balances; a completed run leaves nothing queued and a deadlocked one
/// lists no exited process among the blocked.
pub fn run(trial: &Trial) -> Result<Summary, String> {
    let config = config(trial.knobs);
    let shared = Rc::new(Shared {
        trial: trial.clone(),
        max_message: config.kernel.max_message as u64,
        learned: RefCell::default(),
        pids: RefCell::default(),
        anomalies: RefCell::default(),
        frames: Cell::new(0),
        succeeded: RefCell::new([0; SYSNO_SLOTS]),
        refused: RefCell::default(),
    });
    let table = programs(&shared);
    let report = panic::catch_unwind(AssertUnwindSafe(|| {
        Machine::run_program(config, table, "main", 0)
    }))
    .map_err(|p| {
        format!(
            "the kernel or the machine panicked: {}",
            panic_text(p.as_ref())
        )
    })?
    .map_err(|e| format!("main did not boot: {e}"))?;
    check_report(&report)?;
    let anomalies = shared.anomalies.borrow();
    if !anomalies.is_empty() {
        return Err(format!(
            "the registers contradict docs/abi.md: {anomalies:#?}"
        ));
    }
    let summary = Summary {
        frames: shared.frames.get(),
        succeeded: *shared.succeeded.borrow(),
        refused: shared.refused.borrow().clone(),
        outcome: match report.outcome {
            Outcome::Completed => "completed",
            Outcome::Deadlock(_) => "deadlock",
            Outcome::Livelock(_) => "livelock",
            Outcome::TickLimit => "tick-limit",
        },
    };
    Ok(summary)
}

/// Decode `data` and run it: what both the fuzz target and the property test call.
pub fn run_bytes(data: &[u8]) -> Result<Summary, String> {
    run(&decode(data))
}

/// What every run's report must show, whatever its programs did.
fn check_report(report: &Report) -> Result<(), String> {
    for e in &report.exited {
        if matches!(e.reason, ExitReason::Panicked(_) | ExitReason::Fault(_)) {
            return Err(format!("{} ({}) ended by {:?}", e.pid, e.name, e.reason));
        }
    }
    if !report.ledger_balances() {
        return Err(format!(
            "the ledger does not balance: {:?} with {} queued",
            report.ledger, report.queued
        ));
    }
    match &report.outcome {
        // Every process exited, so every mailbox that died with its owner is gone: what is
        // still queued must be in a mailbox the system owns, which lives until deleted.
        Outcome::Completed if report.queued != system_queued(report) => Err(format!(
            "completed with {} messages still queued, {} of them in mailboxes the system owns",
            report.queued,
            system_queued(report)
        )),
        Outcome::Deadlock(d) => match d.blocked.iter().find(|w| report.exit_of(w.pid).is_some()) {
            Some(w) => Err(format!("{} exited yet is blocked", w.pid)),
            None if d.blocked.is_empty() => Err("a deadlock with nobody blocked".into()),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Messages queued at the end in mailboxes the system owns (`Lifetime::System`).
fn system_queued(report: &Report) -> u64 {
    report
        .mailboxes
        .iter()
        .filter(|m| m.lifetime == abi::Lifetime::System)
        .map(|m| m.queued as u64)
        .sum()
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

// ----- seeds -----

fn frame(sysno: Sysno, args: [Reg; ARG_REGS], bytes: Payload) -> Frame {
    Frame {
        sysno: sysno as u64,
        args,
        bytes,
    }
}

const Z: Reg = Reg::Small(0);

fn small(v: u8) -> Reg {
    Reg::Small(v)
}

fn text(s: &str) -> Payload {
    Payload::Bytes(s.as_bytes().to_vec())
}

/// Meaningful trials to start a fuzzer from (the corpus `fuzz/corpus/trap_abi/` holds them
/// encoded, as `seed-NAME`): each reaches a different part of the kernel. Processes are
/// `p0` (main) and `p1`, `p2`… (its workers), so `Small(n)` names process n and, in mailbox
/// registers, the nth mailbox created.
pub fn seeds() -> Vec<(&'static str, Trial)> {
    use Sysno::*;
    let none = Payload::Bytes(Vec::new());
    let learned = Reg::Learned(0);
    vec![
        (
            // p0 makes a named mailbox; p1 finds it and sends; p0 receives.
            "mailbox",
            Trial {
                knobs: 0,
                scripts: vec![
                    vec![
                        frame(
                            CreateMailbox,
                            [small(2), small(1), Z, Z, Z, Z],
                            Payload::Word(3),
                        ),
                        frame(Sleep, [small(10), Z, Z, Z, Z, Z], none.clone()),
                        frame(
                            Receive,
                            [small(1), Z, Reg::Constant(2), Z, Z, Z],
                            none.clone(),
                        ),
                        frame(DeleteMailbox, [Z, Z, Z, Z, Z, Z], none.clone()),
                    ],
                    vec![
                        frame(LookupMailbox, [small(1), Z, Z, Z, Z, Z], Payload::Word(3)),
                        frame(Send, [small(1), learned, small(5), Z, Z, Z], text("hello")),
                    ],
                ],
            },
        ),
        (
            // p1 calls p0 directly; p0 receives the call and replies to its sender.
            "call-reply",
            Trial {
                knobs: 1,
                scripts: vec![
                    vec![
                        frame(
                            Receive,
                            [small(2), Z, Reg::Constant(2), Z, Z, Z],
                            none.clone(),
                        ),
                        frame(Reply, [learned, small(2), Z, Z, Z, Z], text("ok")),
                    ],
                    vec![frame(
                        Call,
                        [Z, Z, small(4), small(2), Reg::Constant(16), small(8)],
                        text("ping"),
                    )],
                ],
            },
        ),
        (
            // p0 spawns a child that exits with 3, waits for it, then waits again (stale).
            "spawn-wait",
            Trial {
                knobs: 2,
                scripts: vec![
                    vec![
                        frame(
                            Spawn,
                            [small(5), Z, small(3), Z, small(1), Z],
                            Payload::Word(1),
                        ),
                        frame(Wait, [learned, Z, Z, Z, Z, Z], none.clone()),
                        frame(Wait, [learned, small(1), Z, Z, Z, Z], none.clone()),
                    ],
                    vec![frame(GetPid, [Z; 6], none.clone())],
                ],
            },
        ),
        (
            // A mailbox deleted and created again in its slot: the old id must name nothing.
            "stale-mailbox",
            Trial {
                knobs: 0,
                scripts: vec![
                    vec![
                        frame(CreateMailbox, [small(1), Z, Z, Z, Z, Z], none.clone()),
                        frame(DeleteMailbox, [Z, Z, Z, Z, Z, Z], none.clone()),
                        frame(CreateMailbox, [small(1), Z, Z, Z, Z, Z], none.clone()),
                        frame(Send, [small(1), Z, small(1), small(1), Z, Z], text("x")),
                        frame(
                            Send,
                            [
                                small(1),
                                Reg::Stale { gen: 1, slot: 0 },
                                small(1),
                                small(1),
                                Z,
                                Z,
                            ],
                            text("y"),
                        ),
                    ],
                    vec![frame(Send, [Z, Z, small(1), small(1), Z, Z], text("z"))],
                ],
            },
        ),
        (
            // Ownership: p0 gives its mailbox to p1, then may no longer receive or delete.
            "transfer",
            Trial {
                knobs: 3,
                scripts: vec![
                    vec![
                        frame(CreateMailbox, [small(4), Z, Z, Z, Z, Z], none.clone()),
                        frame(TransferMailbox, [Z, small(1), Z, Z, Z, Z], none.clone()),
                        frame(
                            Receive,
                            [small(1), Z, small(8), small(1), Z, Z],
                            none.clone(),
                        ),
                        frame(DeleteMailbox, [Z, Z, Z, Z, Z, Z], none.clone()),
                    ],
                    vec![
                        frame(Sleep, [small(6), Z, Z, Z, Z, Z], none.clone()),
                        frame(
                            Receive,
                            [small(1), Z, small(8), small(1), Z, Z],
                            none.clone(),
                        ),
                        frame(DeleteMailbox, [Z, Z, Z, Z, Z, Z], none.clone()),
                    ],
                ],
            },
        ),
        (
            // Malformed frames: unknown numbers, bad kinds, both mode flags, a bad capacity,
            // a bad exit code, names out of bounds, a message too large.
            "malformed",
            Trial {
                knobs: 0,
                scripts: vec![
                    vec![
                        frame(GetPid, [Z; 6], none.clone()),
                        Frame {
                            sysno: 17,
                            args: [Z; 6],
                            bytes: none.clone(),
                        },
                        Frame {
                            sysno: u64::MAX,
                            args: [Reg::Raw(u64::MAX); 6],
                            bytes: none.clone(),
                        },
                        frame(Send, [small(7), Z, Z, Z, Z, Z], none.clone()),
                        frame(Receive, [Z, Z, Z, small(3), Z, Z], none.clone()),
                        frame(
                            CreateMailbox,
                            [Reg::Constant(1), Z, Z, Z, Z, Z],
                            none.clone(),
                        ),
                        frame(
                            CreateMailbox,
                            [Z, Reg::Constant(9), Z, Z, Z, Z],
                            Payload::Word(11),
                        ),
                        frame(LookupMailbox, [small(3), Z, Z, Z, Z, Z], Payload::Word(9)),
                        frame(Exit, [Reg::Constant(7), Z, Z, Z, Z, Z], none.clone()),
                        frame(
                            Spawn,
                            [small(5), Z, Z, Z, Reg::Constant(15), Z],
                            Payload::Word(1),
                        ),
                        frame(Spawn, [small(4), Z, Z, Z, Z, Z], Payload::Word(10)),
                        frame(
                            Print,
                            [Reg::Constant(12), Z, Z, Z, Z, Z],
                            Payload::Filled(5),
                        ),
                        frame(Print, [small(9), Z, Z, Z, Z, Z], text("too short")),
                    ],
                    vec![frame(Yield, [Z; 6], none.clone())],
                ],
            },
        ),
        (
            // p0 waits for a message from p1 while p1 waits for one from p0: with
            // refuse_deadlock on, p1's receive is refused; then p1 sends, which frees p0.
            "deadlock",
            Trial {
                knobs: Knobs::REFUSE_DEADLOCK | Knobs::PRIORITY_INHERITANCE,
                scripts: vec![
                    vec![
                        frame(Receive, [Z, small(1), small(8), Z, Z, Z], none.clone()),
                        frame(Compute, [small(3), Z, Z, Z, Z, Z], none.clone()),
                    ],
                    vec![
                        frame(Sleep, [small(5), Z, Z, Z, Z, Z], none.clone()),
                        frame(Receive, [Z, Z, small(8), Z, Z, Z], none.clone()),
                        frame(Send, [Z, Z, small(1), Z, Z, Z], text("b")),
                    ],
                    vec![frame(Compute, [small(12), Z, Z, Z, Z, Z], none.clone())],
                ],
            },
        ),
        (
            // A bounded inbox under a tiny memory limit, on two CPUs: p0 sends p1 a message
            // that fits, one that would pass the limit (out_of_memory), one that fits again,
            // one that finds the inbox full; p1 then takes what was queued.
            "memory",
            Trial {
                knobs: Knobs::LOW_MEMORY | Knobs::TWO_CPUS,
                scripts: vec![
                    vec![
                        frame(
                            Send,
                            [Z, small(1), Reg::Constant(31), small(1), Z, Z],
                            Payload::Filled(2),
                        ),
                        frame(
                            Send,
                            [Z, small(1), Reg::Constant(31), small(1), Z, Z],
                            Payload::Filled(2),
                        ),
                        frame(
                            Send,
                            [Z, small(1), Reg::Constant(8), small(1), Z, Z],
                            Payload::Filled(2),
                        ),
                        frame(
                            Send,
                            [Z, small(1), Reg::Constant(8), small(2), small(4), Z],
                            Payload::Filled(2),
                        ),
                    ],
                    vec![
                        frame(Sleep, [small(15), Z, Z, Z, Z, Z], none.clone()),
                        frame(
                            Receive,
                            [small(2), Z, Reg::Constant(2), small(1), Z, Z],
                            none.clone(),
                        ),
                        frame(
                            Receive,
                            [small(2), Z, small(1), small(1), Z, Z],
                            none.clone(),
                        ),
                    ],
                ],
            },
        ),
    ]
}

// ----- scenario text -----

/// Load scenario `text`; if it loads, run it briefly. `Err` says which promise broke:
/// - a mistake's span lies inside the text, on a character boundary, with a message, and
///   the drawn diagnostics name the file;
/// - a scenario that loads runs (at most 2,000 ticks, invariants checked, at most 200
///   processes, 1 MiB of queued bytes) to an outcome with the ledger balanced.
///
/// A panic of the kernel or the machine is not caught here: it fails the caller (a property
/// test, or the fuzz target, where it is the crash).
pub fn exercise_scenario(text: &str) -> Result<(), String> {
    match sim::scenario::load("fuzz.sim", text) {
        Err(mistakes) => {
            if mistakes.is_empty() {
                return Err("refused with no mistake".into());
            }
            for d in &mistakes {
                let inside = d.span.start <= d.span.end && d.span.end <= text.len();
                if !inside || !text.is_char_boundary(d.span.start) || d.message.is_empty() {
                    return Err(format!("a mistake outside the text: {d:?}"));
                }
            }
            let drawn = sim::scenario::render_diagnostics("fuzz.sim", text, &mistakes);
            if !drawn.contains("fuzz.sim:") {
                return Err(format!("diagnostics that do not name the file: {drawn}"));
            }
            Ok(())
        }
        Ok(s) => {
            let mut config = sim::scenario::configure(&s, MachineConfig::default());
            config.max_ticks = config.max_ticks.min(2_000);
            config.kernel.check_invariants = true;
            config.kernel.max_processes = config.kernel.max_processes.min(200);
            config.kernel.memory_limit = config.kernel.memory_limit.min(1 << 20);
            let report = match sim::scenario::run(s, config) {
                Ok(report) => report,
                // The kernel may refuse to create init (`set max_processes 0`, a memory
                // limit too small for it): a clear refusal, which the command line reports
                // with exit status 2. Any other boot error is a bug.
                Err(abi::Error::OutOfMemory) => return Ok(()),
                Err(e) => return Err(format!("init did not boot: {e}")),
            };
            // The interpreter is a program like any other: a panic in it is a bug too.
            if let Some((e, why)) = report.panics().next() {
                return Err(format!("{} ({}) panicked: {why}", e.pid, e.name));
            }
            if !report.ledger_balances() {
                return Err(format!(
                    "the ledger does not balance: {:?} with {} queued",
                    report.ledger, report.queued
                ));
            }
            Ok(())
        }
    }
}
