//! The stable text trace: one event per line, aligned, with names where the kernel knows them.
//!
//! This is the form snapshot tests compare, so it changes only when behaviour changes. Columns:
//! tick, CPU, the process the event is about (`p3:name`), the event, its details.
//!
//! Traces run to millions of events, so the renderer writes every line straight into one
//! output buffer of bytes: no temporary strings per event, no `char`s (all it adds itself is
//! ASCII), integers formatted by hand a machine word at a time (the `bytes` module, shared
//! with the JSON renderers), and names found by slot index rather than in a tree and
//! rendered once, when the trace introduces them, so that showing a process is copying its
//! `p3:name` (and, for the actor column, its padding) whole.
//!
//! Everything written is either ASCII or a whole `&str`, so the bytes are UTF-8 by
//! construction: they are checked once where a `String` is handed out ([`text`], the
//! `String`-returning [`Names`] methods), and a streamed trace ([`TextStream`]) goes out as
//! the bytes it is. Those [`Names`] methods, which other renderers use, are thin wrappers over
//! the same byte-writing code as the trace, so both always say the same thing.

use super::bytes::{
    eight_digits, into_string, leading_zero_digits, push_i64, push_id, push_u64, MAILBOX_PREFIX,
    PID_PREFIX,
};
use abi::{
    Capacity, Dest, Error, MailboxId, Mode, Overflow, Pid, RecvFlags, Source, Syscall, Sysno,
    RET_REGS,
};
use kernel::ipc::WaitQueueId;
use kernel::trace::{
    Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause, ReplyDropReason, TraceSink,
};

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Names learnt from the trace itself: processes from their spawn, mailboxes from their
/// creation.
#[derive(Debug, Default)]
pub struct Names {
    procs: NameTable,
    mailboxes: NameTable,
}

/// Slots below this index are looked up in a vector; ids beyond it (which a kernel with
/// that many live objects, or a hand-made event, could carry) go to the tree, so a stray
/// huge index never allocates a huge vector.
const DENSE_SLOTS: usize = 1 << 16;

/// Names keyed by a generational id's raw value (slot index in the low 32 bits, generation
/// in the high 32): what a `BTreeMap<Pid, String>` would hold, found in O(1) for the common
/// case of the newest generation of a low slot.
#[derive(Debug, Default)]
struct NameTable {
    /// By slot index: the generation most recently named in that slot, and its name. When it
    /// holds an id, it is that id's current name.
    latest: Vec<Option<(u32, Name)>>,
    /// Every other name: earlier generations of a slot (a stale id still names the process
    /// that had it), and slots at or beyond [`DENSE_SLOTS`].
    other: BTreeMap<u64, Name>,
}

/// A learnt name, rendered once with its id rather than on every line that shows it. An
/// entry is keyed by the whole raw id, generation included, so the rendering stays right for
/// as long as the entry lives, wherever in the table it moves.
#[derive(Clone, Debug)]
struct Name {
    /// The id and name as the trace shows them (`p3:worker`, `mb0.1:jobs`), then the spaces
    /// that pad them to the actor column's width and the space that ends the column.
    /// (Mailboxes never head a line, so theirs goes unused: a few bytes per mailbox are
    /// cheaper than a second kind of name.)
    rendered: String,
    /// Where the name starts in `rendered`: after the id and its `:`.
    name_start: usize,
    /// Where the id and name end in `rendered`: before the padding.
    end: usize,
    /// The start of `rendered`, zero-filled if it is shorter: what [`Name::push_prefix`]
    /// copies whole.
    head: [u8; NAME_HEAD],
}

/// How much of a rendered name is kept in a fixed-size array: enough for the actor column of
/// a name that fits it.
const NAME_HEAD: usize = 32;
// A padded column is `ACTOR_WIDTH` characters and a space.
const _: () = assert!(NAME_HEAD > ACTOR_WIDTH);

impl Name {
    /// The name `text` of the id `raw`, shown with `prefix` (`p`, `mb`).
    fn new(prefix: &[u8], raw: u64, text: &str) -> Name {
        let mut out = Vec::with_capacity(ACTOR_WIDTH + 1 + text.len());
        push_id(&mut out, prefix, raw);
        out.push(b':');
        let name_start = out.len();
        out.extend_from_slice(text.as_bytes());
        let end = out.len();
        // `{:<22}` pads to 22 characters, not bytes: a name from a user program may be
        // non-ASCII. (The id before it is ASCII: its bytes are its characters.)
        let chars = name_start + text.chars().count();
        out.extend_from_slice(&SPACES[..ACTOR_WIDTH.saturating_sub(chars)]);
        out.push(b' ');
        let mut head = [0; NAME_HEAD];
        let kept = out.len().min(NAME_HEAD);
        head[..kept].copy_from_slice(&out[..kept]);
        Name {
            rendered: into_string(out),
            name_start,
            end,
            head,
        }
    }

    /// The name alone, as learnt.
    fn text(&self) -> &str {
        &self.rendered[self.name_start..self.end]
    }

    /// `p3:name`, appended to `out`.
    fn push_shown(&self, out: &mut Vec<u8>) {
        self.push_prefix(out, self.end);
    }

    /// `p3:name`, padded to the actor column and followed by the space that ends it,
    /// appended to `out`.
    fn push_column(&self, out: &mut Vec<u8>) {
        self.push_prefix(out, self.rendered.len());
    }

    /// The first `len` bytes of `rendered`, appended to `out`.
    fn push_prefix(&self, out: &mut Vec<u8>, len: usize) {
        if len <= NAME_HEAD {
            // Nearly every name: all of `head` is written and the rest cut off again, a
            // fixed-size copy (a few moves) rather than one of variable length (a call to
            // `memcpy`), on a path that runs for most lines.
            out.extend_from_slice(&self.head);
            out.truncate(out.len() - (NAME_HEAD - len));
        } else {
            out.extend_from_slice(&self.rendered.as_bytes()[..len]);
        }
    }
}

impl NameTable {
    /// Name the id `raw` (shown with `prefix`), replacing any name it had (as a map insert
    /// would).
    fn insert(&mut self, prefix: &[u8], raw: u64, name: &str) {
        let (index, generation) = (raw as u32 as usize, (raw >> 32) as u32);
        if index >= DENSE_SLOTS {
            self.other.insert(raw, Name::new(prefix, raw, name));
            return;
        }
        if index >= self.latest.len() {
            self.latest.resize(index + 1, None);
        }
        let slot = &mut self.latest[index];
        match slot {
            Some((g, n)) if *g == generation => *n = Name::new(prefix, raw, name),
            _ => {
                // The slot's previous generation keeps its name, in the tree.
                if let Some((g, n)) = slot.replace((generation, Name::new(prefix, raw, name))) {
                    self.other.insert(u64::from(g) << 32 | index as u64, n);
                }
                // The slot is now authoritative for this id; drop any older copy so the
                // tree never holds a second, stale name for it.
                if !self.other.is_empty() {
                    self.other.remove(&raw);
                }
            }
        }
    }

    /// The name of the id `raw`, if it has one.
    fn get(&self, raw: u64) -> Option<&Name> {
        let (index, generation) = (raw as u32 as usize, (raw >> 32) as u32);
        if let Some(Some((g, n))) = self.latest.get(index) {
            if *g == generation {
                return Some(n);
            }
        }
        if self.other.is_empty() {
            None
        } else {
            self.other.get(&raw)
        }
    }
}

impl Names {
    /// Learn the names an event introduces.
    pub fn learn(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Spawn { pid, name, .. } => self.procs.insert(PID_PREFIX, pid.raw(), name),
            EventKind::MailboxCreated {
                id, name: Some(n), ..
            } => self.mailboxes.insert(MAILBOX_PREFIX, id.raw(), n),
            _ => {}
        }
    }

    /// Name a process as its spawn would: for a caller that knows the name from elsewhere
    /// than the trace (the process table, an exit record), such as a run that kept none.
    pub fn name_process(&mut self, pid: Pid, name: &str) {
        self.procs.insert(PID_PREFIX, pid.raw(), name);
    }

    /// Name a mailbox as its creation would (see [`Names::name_process`]).
    pub fn name_mailbox(&mut self, id: MailboxId, name: &str) {
        self.mailboxes.insert(MAILBOX_PREFIX, id.raw(), name);
    }

    /// The names every event in `events` introduces.
    pub fn from_events(events: &[Event]) -> Names {
        let mut names = Names::default();
        for e in events {
            names.learn(&e.kind);
        }
        names
    }

    /// The name a process was spawned with, if the trace introduced it.
    pub fn process_name(&self, pid: Pid) -> Option<&str> {
        self.procs.get(pid.raw()).map(Name::text)
    }

    /// The name a mailbox was created with, if it has one.
    pub fn mailbox_name(&self, id: MailboxId) -> Option<&str> {
        self.mailboxes.get(id.raw()).map(Name::text)
    }

    /// `p3:name`, or `p3` for a process the trace never introduced.
    pub fn pid(&self, pid: Pid) -> String {
        rendered(|out| self.push_pid(out, pid))
    }

    /// `mb0:name`, or `mb0` for an anonymous mailbox.
    pub fn mailbox(&self, id: MailboxId) -> String {
        rendered(|out| self.push_mailbox(out, id))
    }

    /// A send destination.
    pub fn dest(&self, dest: Dest) -> String {
        rendered(|out| self.push_dest(out, dest))
    }

    /// A receive source.
    pub fn source(&self, source: Source) -> String {
        rendered(|out| self.push_source(out, source))
    }

    /// A wait queue: its owner's name and which of its queues.
    pub fn queue(&self, q: WaitQueueId) -> String {
        rendered(|out| self.push_queue(out, q))
    }

    /// A syscall with its arguments, ids named.
    pub fn call(&self, call: &Syscall) -> String {
        rendered(|out| self.push_call(out, call))
    }

    /// An injected fault, as the text trace writes it after `fault`: `kill p3:worker (at
    /// tick 40)`, `lose msg#4 -> mb0:jobs`, `delay msg#4 -> mb0:jobs until 57`, `arrive
    /// msg#4 at mb0:jobs`, `clock jump 40 -> 90`.
    pub fn fault(&self, kind: &FaultKind) -> String {
        rendered(|out| self.push_fault(out, kind))
    }

    /// A syscall's return registers, read the way that syscall defines them.
    pub fn ret(&self, sysno: Option<Sysno>, ret: &[u64; RET_REGS]) -> String {
        rendered(|out| self.push_ret(out, sysno, ret))
    }

    /// [`pid`](Self::pid), appended to `out`.
    pub fn write_pid(&self, out: &mut String, pid: Pid) {
        appended(out, |bytes| self.push_pid(bytes, pid));
    }

    /// [`mailbox`](Self::mailbox), appended to `out`.
    pub fn write_mailbox(&self, out: &mut String, id: MailboxId) {
        appended(out, |bytes| self.push_mailbox(bytes, id));
    }

    /// [`dest`](Self::dest), appended to `out`.
    pub fn write_dest(&self, out: &mut String, dest: Dest) {
        appended(out, |bytes| self.push_dest(bytes, dest));
    }

    /// [`source`](Self::source), appended to `out`.
    pub fn write_source(&self, out: &mut String, source: Source) {
        appended(out, |bytes| self.push_source(bytes, source));
    }

    /// [`queue`](Self::queue), appended to `out`.
    pub fn write_queue(&self, out: &mut String, q: WaitQueueId) {
        appended(out, |bytes| self.push_queue(bytes, q));
    }

    /// [`call`](Self::call), appended to `out`.
    pub fn write_call(&self, out: &mut String, call: &Syscall) {
        appended(out, |bytes| self.push_call(bytes, call));
    }

    /// [`fault`](Self::fault), appended to `out`.
    pub fn write_fault(&self, out: &mut String, kind: &FaultKind) {
        appended(out, |bytes| self.push_fault(bytes, kind));
    }

    /// [`ret`](Self::ret), appended to `out`.
    pub fn write_ret(&self, out: &mut String, sysno: Option<Sysno>, ret: &[u64; RET_REGS]) {
        appended(out, |bytes| self.push_ret(bytes, sysno, ret));
    }
}

/// The byte-writing forms of the methods above, which the text trace itself uses: each
/// appends what its `String`-returning namesake returns. The JSON renderers write them
/// straight into their output too, then escape them there (`bytes::escape_from`): these
/// write raw text, so a name may bring quotes or control characters with it.
impl Names {
    /// [`pid`](Self::pid).
    pub(crate) fn push_pid(&self, out: &mut Vec<u8>, pid: Pid) {
        match self.procs.get(pid.raw()) {
            Some(n) => n.push_shown(out),
            None => push_id(out, PID_PREFIX, pid.raw()),
        }
    }

    /// The actor column for `pid`: [`pid`](Self::pid) padded to [`ACTOR_WIDTH`], then the
    /// space that ends the column.
    fn push_actor(&self, out: &mut Vec<u8>, pid: Pid) {
        match self.procs.get(pid.raw()) {
            Some(n) => n.push_column(out),
            None => {
                let start = out.len();
                push_id(out, PID_PREFIX, pid.raw());
                // An id is ASCII: its bytes are its characters.
                let width = out.len() - start;
                out.extend_from_slice(&SPACES[..ACTOR_WIDTH.saturating_sub(width)]);
                out.push(b' ');
            }
        }
    }

    /// [`mailbox`](Self::mailbox).
    pub(crate) fn push_mailbox(&self, out: &mut Vec<u8>, id: MailboxId) {
        match self.mailboxes.get(id.raw()) {
            Some(n) => n.push_shown(out),
            None => push_id(out, MAILBOX_PREFIX, id.raw()),
        }
    }

    /// [`dest`](Self::dest).
    pub(crate) fn push_dest(&self, out: &mut Vec<u8>, dest: Dest) {
        match dest {
            Dest::Process(p) => self.push_pid(out, p),
            Dest::Mailbox(m) => self.push_mailbox(out, m),
        }
    }

    /// [`source`](Self::source).
    fn push_source(&self, out: &mut Vec<u8>, source: Source) {
        match source {
            Source::Process(p) => {
                out.extend_from_slice(b"from ");
                self.push_pid(out, p);
            }
            Source::Mailbox(m) => self.push_mailbox(out, m),
            Source::Any => out.extend_from_slice(b"any"),
        }
    }

    /// [`queue`](Self::queue).
    pub(crate) fn push_queue(&self, out: &mut Vec<u8>, q: WaitQueueId) {
        match q {
            WaitQueueId::MailboxSenders(m)
            | WaitQueueId::MailboxReceiver(m)
            | WaitQueueId::MailboxCallers(m) => self.push_mailbox(out, m),
            WaitQueueId::InboxSenders(p)
            | WaitQueueId::InboxReceiver(p)
            | WaitQueueId::ReceiversFrom(p)
            | WaitQueueId::Replies(p)
            | WaitQueueId::Exit(p) => self.push_pid(out, p),
        }
        out.push(b'.');
        out.extend_from_slice(q.name().as_bytes());
    }

    /// [`call`](Self::call).
    pub(crate) fn push_call(&self, out: &mut Vec<u8>, call: &Syscall) {
        let name = call.sysno().name();
        match *call {
            Syscall::DeleteMailbox { mailbox } => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'(');
                self.push_mailbox(out, mailbox);
                out.push(b')');
            }
            Syscall::TransferMailbox { mailbox, to } => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'(');
                self.push_mailbox(out, mailbox);
                out.extend_from_slice(b", to ");
                self.push_pid(out, to);
                out.push(b')');
            }
            Syscall::Send { dest, len, mode }
            | Syscall::Call {
                dest, len, mode, ..
            } => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'(');
                self.push_dest(out, dest);
                out.extend_from_slice(b", ");
                push_u64(out, len);
                out.extend_from_slice(b"B, ");
                push_mode(out, mode);
                out.push(b')');
            }
            Syscall::Receive {
                source,
                buf_len,
                mode,
            } => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'(');
                self.push_source(out, source);
                // A buffer of 4 GiB or more is "whatever comes": not worth a column.
                if buf_len < u64::from(u32::MAX) {
                    out.extend_from_slice(b", buf=");
                    push_u64(out, buf_len);
                    out.push(b'B');
                }
                out.extend_from_slice(b", ");
                push_mode(out, mode);
                out.push(b')');
            }
            Syscall::Reply { to, len } => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'(');
                self.push_pid(out, to);
                out.extend_from_slice(b", ");
                push_u64(out, len);
                out.extend_from_slice(b"B)");
            }
            Syscall::Wait { child, mode } => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'(');
                self.push_pid(out, child);
                out.extend_from_slice(b", ");
                push_mode(out, mode);
                out.push(b')');
            }
            // No ids to name: the ABI's own rendering, so the two never drift apart.
            Syscall::CreateMailbox { .. }
            | Syscall::LookupMailbox { .. }
            | Syscall::Spawn { .. }
            | Syscall::Exit { .. }
            | Syscall::GetPid
            | Syscall::Yield
            | Syscall::Sleep { .. }
            | Syscall::Compute { .. }
            | Syscall::Print { .. } => {
                let _ = write!(out, "{call}");
            }
        }
    }

    /// [`fault`](Self::fault).
    pub(crate) fn push_fault(&self, out: &mut Vec<u8>, kind: &FaultKind) {
        match kind {
            FaultKind::Kill { pid, cause } => {
                out.extend_from_slice(b"kill ");
                self.push_pid(out, *pid);
                match cause {
                    KillCause::Tick(t) => {
                        out.extend_from_slice(b" (at tick ");
                        push_u64(out, *t);
                    }
                    KillCause::Syscall(n) => {
                        out.extend_from_slice(b" (at syscall ");
                        push_u64(out, *n);
                    }
                }
                out.push(b')');
            }
            FaultKind::KillMissed { name, tick } => {
                out.extend_from_slice(b"kill ");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b" (at tick ");
                push_u64(out, *tick);
                out.extend_from_slice(b"): no live process of that name");
            }
            FaultKind::Lose { msg, to, call, .. } => {
                out.extend_from_slice(b"lose msg#");
                push_u64(out, *msg);
                out.extend_from_slice(b" -> ");
                self.push_dest(out, *to);
                if *call {
                    out.extend_from_slice(b" (call)");
                }
            }
            FaultKind::Delay {
                msg,
                to,
                until,
                behind,
                ..
            } => {
                out.extend_from_slice(b"delay msg#");
                push_u64(out, *msg);
                out.extend_from_slice(b" -> ");
                self.push_dest(out, *to);
                out.extend_from_slice(b" until ");
                push_u64(out, *until);
                if let Some(b) = behind {
                    out.extend_from_slice(b" (behind msg#");
                    push_u64(out, *b);
                    out.push(b')');
                }
            }
            FaultKind::Arrive { msg, to, .. } => {
                out.extend_from_slice(b"arrive msg#");
                push_u64(out, *msg);
                out.extend_from_slice(b" at ");
                self.push_dest(out, *to);
            }
            FaultKind::ClockJump { from, to } => {
                out.extend_from_slice(b"clock jump ");
                push_u64(out, *from);
                out.extend_from_slice(b" -> ");
                push_u64(out, *to);
            }
        }
    }

    /// [`ret`](Self::ret).
    pub(crate) fn push_ret(&self, out: &mut Vec<u8>, sysno: Option<Sysno>, ret: &[u64; RET_REGS]) {
        if ret[0] != 0 {
            let err = Error::from_code(ret[0]);
            out.extend_from_slice(b"err ");
            out.extend_from_slice(err.map_or("unknown_error", Error::name).as_bytes());
            if err == Some(Error::BufferTooSmall) {
                out.extend_from_slice(b" (needs ");
                push_u64(out, ret[1]);
                out.extend_from_slice(b"B)");
            }
            return;
        }
        match sysno {
            Some(Sysno::CreateMailbox | Sysno::LookupMailbox) => {
                out.extend_from_slice(b"ok ");
                self.push_mailbox(out, MailboxId::from_raw(ret[1]));
            }
            Some(Sysno::Spawn | Sysno::GetPid) => {
                out.extend_from_slice(b"ok ");
                self.push_pid(out, Pid::from_raw(ret[1]));
            }
            Some(Sysno::Receive) => {
                out.extend_from_slice(b"ok from ");
                self.push_pid(out, Pid::from_raw(ret[1]));
                out.push(b' ');
                push_u64(out, ret[2]);
                out.push(b'B');
                if RecvFlags::from_bits_truncate(ret[3]).contains(RecvFlags::CALL) {
                    out.extend_from_slice(b" (call)");
                }
            }
            Some(Sysno::Call) => {
                out.extend_from_slice(b"ok reply from ");
                self.push_pid(out, Pid::from_raw(ret[1]));
                out.push(b' ');
                push_u64(out, ret[2]);
                out.push(b'B');
            }
            Some(Sysno::Wait) => {
                out.extend_from_slice(b"ok ");
                self.push_pid(out, Pid::from_raw(ret[2]));
                out.extend_from_slice(b" exited ");
                push_i64(out, ret[1] as i64);
            }
            _ => out.extend_from_slice(b"ok"),
        }
    }

    /// `pids` joined by ` -> `, then the first again (closing the cycle); nothing for none.
    fn push_cycle(&self, out: &mut Vec<u8>, pids: &[Pid]) {
        for (i, p) in pids.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b" -> ");
            }
            self.push_pid(out, *p);
        }
        if let Some(first) = pids.first() {
            out.extend_from_slice(b" -> ");
            self.push_pid(out, *first);
        }
    }
}

/// The bytes `write` writes, as the string they are.
fn rendered(write: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    write(&mut out);
    into_string(out)
}

/// The bytes `write` writes, appended to `out`. (Through a buffer of their own: checking
/// what was just written is UTF-8 costs that many bytes, not all of `out`.)
fn appended(out: &mut String, write: impl FnOnce(&mut Vec<u8>)) {
    out.push_str(&rendered(write));
}

/// How a process ended, in words: `exit`, `returned`, `panicked: ...`, `fault: ...`.
pub fn exit_reason(reason: &ExitReason) -> String {
    rendered(|out| push_exit_reason(out, reason))
}

/// [`exit_reason`], appended to `out`.
fn push_exit_reason(out: &mut Vec<u8>, reason: &ExitReason) {
    match reason {
        ExitReason::Exit => out.extend_from_slice(b"exit"),
        ExitReason::Returned => out.extend_from_slice(b"returned"),
        ExitReason::Panicked(m) => {
            out.extend_from_slice(b"panicked: ");
            out.extend_from_slice(m.as_bytes());
        }
        ExitReason::Fault(m) => {
            out.extend_from_slice(b"fault: ");
            out.extend_from_slice(m.as_bytes());
        }
        ExitReason::Killed => out.extend_from_slice(b"killed"),
    }
}

/// ASCII space in every byte of a word.
const BLANKS: u64 = u64::from_ne_bytes([b' '; 8]);

/// Ticks below this fit the tick column; longer ones widen it.
const TICK_LIMIT: u64 = 10u64.pow(TICK_WIDTH as u32);

/// A tick below [`TICK_LIMIT`] as the tick column shows it, in the last [`TICK_WIDTH`] of
/// the eight bytes: its eight-digit form with the leading zeros turned to spaces.
fn tick_column(tick: u64) -> [u8; 8] {
    let digits = eight_digits(tick as u32);
    let shown = u64::MAX >> (8 * leading_zero_digits(digits));
    (digits & shown | BLANKS & !shown).to_be_bytes()
}

/// A tick as the tick column shows it, `{tick:>6}`.
fn push_tick(out: &mut Vec<u8>, tick: u64) {
    if tick < TICK_LIMIT {
        out.extend_from_slice(&tick_column(tick)[8 - TICK_WIDTH..]);
    } else {
        // As wide as the column or wider: no padding.
        push_u64(out, tick);
    }
}

/// The tick column of the line before. Runs of events share a tick (a send, its handoff,
/// the wake and both returns happen at once), and formatting the same tick again would be
/// the dearest part of a line's first columns.
struct LastTick {
    tick: u64,
    /// [`tick_column`] of `tick`.
    column: [u8; 8],
}

impl LastTick {
    fn new() -> LastTick {
        LastTick {
            tick: 0,
            column: tick_column(0),
        }
    }
}

/// The tick and CPU columns, `{tick:>6} cpu{cpu} `.
fn push_head(out: &mut Vec<u8>, last: &mut LastTick, tick: u64, cpu: u32) {
    if tick < TICK_LIMIT && cpu < 10 {
        if tick != last.tick {
            *last = LastTick {
                tick,
                column: tick_column(tick),
            };
        }
        // Nearly every line: both columns are a fixed width (the CPU's is ` cpu0 `), so they
        // go in one copy.
        let mut head = [b' '; TICK_WIDTH + 6];
        head[..TICK_WIDTH].copy_from_slice(&last.column[8 - TICK_WIDTH..]);
        head[TICK_WIDTH..].copy_from_slice(&[b' ', b'c', b'p', b'u', b'0' + cpu as u8, b' ']);
        out.extend_from_slice(&head);
    } else {
        push_tick(out, tick);
        out.extend_from_slice(b" cpu");
        push_u64(out, u64::from(cpu));
        out.push(b' ');
    }
}

/// A [`Mode`] as its `Display` shows it. (Sends and receives show one on every call, too
/// often to go through `fmt`; the tests compare against the `Display` impl.)
fn push_mode(out: &mut Vec<u8>, mode: Mode) {
    match mode {
        Mode::Blocking => out.extend_from_slice(b"blocking"),
        Mode::NonBlocking => out.extend_from_slice(b"nonblocking"),
        Mode::Timeout(t) => {
            out.extend_from_slice(b"timeout=");
            push_u64(out, t);
        }
    }
}

/// A [`Capacity`] as its `Display` shows it.
fn push_capacity(out: &mut Vec<u8>, capacity: Capacity) {
    match capacity {
        Capacity::Zero => out.push(b'0'),
        Capacity::Bounded(n) => push_u64(out, u64::from(n)),
        Capacity::Unbounded => out.extend_from_slice(b"unbounded"),
    }
}

/// Width of the actor column, in characters.
const ACTOR_WIDTH: usize = 22;

/// Width of the tick column, in characters.
const TICK_WIDTH: usize = 6;

// The tick column is cut from one eight-digit word.
const _: () = assert!(TICK_WIDTH <= 8);

/// Enough spaces for the widest padding a line needs.
const SPACES: [u8; ACTOR_WIDTH] = [b' '; ACTOR_WIDTH];

/// The actor column of an event about no one process: `-`, padded, and the space that ends
/// the column.
const NO_ACTOR: [u8; ACTOR_WIDTH + 1] = {
    let mut column = [b' '; ACTOR_WIDTH + 1];
    column[0] = b'-';
    column
};

/// `text` as `{text:?}` writes it.
fn push_debug_str(out: &mut Vec<u8>, text: &str) {
    // Printable ASCII other than `"` and `\` is the one case Debug leaves alone; anything
    // else takes the standard library's escaping, so the two can never disagree.
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a `Vec` cannot fail.
        let _ = write!(out, "{text:?}");
    }
}

/// The actor column of one event: the process it is about, or `-`; padded, and the space
/// that ends the column.
fn write_actor(out: &mut Vec<u8>, n: &Names, kind: &EventKind) {
    let pid = match kind {
        EventKind::Spawn { pid, .. }
        | EventKind::Dispatch { pid }
        | EventKind::Preempt { pid, .. }
        | EventKind::Syscall { pid, .. }
        | EventKind::BadSyscall { pid, .. }
        | EventKind::Return { pid, .. }
        | EventKind::Block { pid, .. }
        | EventKind::Wake { pid, .. }
        | EventKind::SendAbandoned { pid, .. }
        | EventKind::Sleep { pid, .. }
        | EventKind::Yield { pid }
        | EventKind::Print { pid, .. }
        | EventKind::Exit { pid, .. }
        | EventKind::PriorityReturned { pid, .. }
        | EventKind::DeadlockRefused { pid, .. }
        | EventKind::Migrate { pid, .. }
        | EventKind::Livelock {
            cause: LivelockCause::Spinning { pid, .. },
            ..
        } => *pid,
        EventKind::MessageQueued { from, .. }
        | EventKind::MessageHandedOver { from, .. }
        | EventKind::ReplyDelivered { from, .. }
        | EventKind::ReplyDropped { from, .. }
        | EventKind::MailboxTransferred { from, .. } => *from,
        EventKind::MessageReceived { by, .. } | EventKind::MailboxDeleted { by, .. } => *by,
        EventKind::MailboxCreated { owner, .. } => *owner,
        EventKind::PriorityLent { to, .. } => *to,
        EventKind::Fault { kind } => match kind {
            FaultKind::Kill { pid, .. } => *pid,
            FaultKind::Lose { from, .. }
            | FaultKind::Delay { from, .. }
            | FaultKind::Arrive { from, .. } => *from,
            FaultKind::KillMissed { .. } | FaultKind::ClockJump { .. } => {
                out.extend_from_slice(&NO_ACTOR);
                return;
            }
        },
        EventKind::MessagesDropped { .. }
        | EventKind::Idle { .. }
        | EventKind::Deadlock { .. }
        | EventKind::Livelock {
            cause: LivelockCause::Steps { .. },
            ..
        }
        | EventKind::TickLimit { .. } => {
            out.extend_from_slice(&NO_ACTOR);
            return;
        }
    };
    n.push_actor(out, pid);
}

/// The description column of one event.
fn write_description(out: &mut Vec<u8>, n: &Names, kind: &EventKind) {
    match kind {
        EventKind::Spawn {
            parent,
            program,
            arg,
            inbox,
            priority,
            ..
        } => {
            out.extend_from_slice(b"spawn      program=");
            out.extend_from_slice(program.as_bytes());
            out.extend_from_slice(b" parent=");
            match parent {
                Some(p) => n.push_pid(out, *p),
                None => out.push(b'-'),
            }
            out.extend_from_slice(b" arg=");
            push_u64(out, *arg);
            out.extend_from_slice(b" inbox=");
            push_capacity(out, *inbox);
            out.extend_from_slice(b" priority=");
            push_u64(out, u64::from(*priority));
        }
        EventKind::Dispatch { .. } => out.extend_from_slice(b"dispatch"),
        EventKind::Preempt { burst_left, .. } => {
            if *burst_left > 0 {
                out.extend_from_slice(b"preempt    burst_left=");
                push_u64(out, *burst_left);
            } else {
                out.extend_from_slice(b"preempt");
            }
        }
        EventKind::Syscall { call, .. } => {
            out.extend_from_slice(b"syscall    ");
            n.push_call(out, call);
        }
        EventKind::BadSyscall { sysno, error, .. } => {
            out.extend_from_slice(b"syscall    #");
            push_u64(out, *sysno);
            out.extend_from_slice(b" refused: ");
            out.extend_from_slice(error.name().as_bytes());
        }
        EventKind::Return { sysno, ret, .. } => {
            out.extend_from_slice(b"return     ");
            n.push_ret(out, *sysno, ret);
        }
        EventKind::Block {
            queue, deadline, ..
        } => {
            out.extend_from_slice(b"block      on ");
            n.push_queue(out, *queue);
            if let Some(d) = deadline {
                out.extend_from_slice(b" until ");
                push_u64(out, *d);
            }
        }
        EventKind::Wake { by, reason, .. } => {
            out.extend_from_slice(b"wake       by ");
            match by {
                Some(b) => n.push_pid(out, *b),
                None => out.extend_from_slice(b"timer"),
            }
            out.extend_from_slice(b" (");
            out.extend_from_slice(reason.name().as_bytes());
            out.push(b')');
        }
        EventKind::MessageQueued {
            msg,
            to,
            len,
            depth,
            call,
            ..
        } => {
            out.extend_from_slice(b"queue      msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            n.push_dest(out, *to);
            out.push(b' ');
            push_u64(out, *len as u64);
            out.extend_from_slice(b"B depth=");
            push_u64(out, *depth as u64);
            if *call {
                out.extend_from_slice(b" (call)");
            }
        }
        EventKind::MessageHandedOver {
            msg,
            to,
            via,
            len,
            call,
            ..
        } => {
            out.extend_from_slice(b"handoff    msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" -> ");
            n.push_pid(out, *to);
            // Sent to the receiver's own inbox: the endpoint says nothing new.
            if *via != Dest::Process(*to) {
                out.extend_from_slice(b" via ");
                n.push_dest(out, *via);
            }
            out.push(b' ');
            push_u64(out, *len as u64);
            out.push(b'B');
            if *call {
                out.extend_from_slice(b" (call)");
            }
        }
        EventKind::MessageReceived {
            msg,
            from,
            via,
            len,
            ..
        } => {
            out.extend_from_slice(b"take       msg#");
            push_u64(out, *msg);
            out.extend_from_slice(b" from ");
            n.push_pid(out, *from);
            out.extend_from_slice(b" at ");
            n.push_dest(out, *via);
            out.push(b' ');
            push_u64(out, *len as u64);
            out.push(b'B');
        }
        EventKind::MessagesDropped { via, count, reason } => {
            out.extend_from_slice(b"drop       ");
            push_u64(out, *count as u64);
            out.extend_from_slice(if *count == 1 {
                b" message at "
            } else {
                b" messages at "
            });
            n.push_dest(out, *via);
            out.extend_from_slice(b" (");
            out.extend_from_slice(reason.name().as_bytes());
            out.push(b')');
        }
        EventKind::SendAbandoned { to, error, .. } => {
            out.extend_from_slice(b"abandon    send to ");
            n.push_dest(out, *to);
            out.extend_from_slice(b" (");
            out.extend_from_slice(error.name().as_bytes());
            out.extend_from_slice(b"): message not delivered");
        }
        EventKind::ReplyDelivered { to, len, .. } => {
            out.extend_from_slice(b"reply      -> ");
            n.push_pid(out, *to);
            out.push(b' ');
            push_u64(out, *len as u64);
            out.push(b'B');
        }
        EventKind::ReplyDropped { to, reason, .. } => {
            out.extend_from_slice(b"reply      -> ");
            n.push_pid(out, *to);
            out.extend_from_slice(match reason {
                ReplyDropReason::NoSuchProcess => b" dropped (no such process)".as_slice(),
                ReplyDropReason::NotWaiting => b" dropped (not waiting for this reply)",
            });
        }
        EventKind::MailboxCreated {
            id,
            capacity,
            overflow,
            ..
        } => {
            out.extend_from_slice(b"mailbox    created ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" capacity=");
            push_capacity(out, *capacity);
            // The policy is shown only when it is not the default, so traces of programs
            // that never chose one read as they always have.
            if *overflow != Overflow::Block {
                out.extend_from_slice(b" overflow=");
                out.extend_from_slice(overflow.name().as_bytes());
            }
        }
        EventKind::MailboxDeleted {
            id, dropped, woken, ..
        } => {
            out.extend_from_slice(b"mailbox    deleted ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" dropped=");
            push_u64(out, *dropped as u64);
            out.extend_from_slice(b" woken=");
            push_u64(out, *woken as u64);
        }
        EventKind::MailboxTransferred { id, to, .. } => {
            out.extend_from_slice(b"mailbox    transferred ");
            n.push_mailbox(out, *id);
            out.extend_from_slice(b" to ");
            n.push_pid(out, *to);
        }
        EventKind::Sleep { until, .. } => {
            out.extend_from_slice(b"sleep      until ");
            push_u64(out, *until);
        }
        EventKind::Yield { .. } => out.extend_from_slice(b"yield"),
        EventKind::Idle { until } => {
            out.extend_from_slice(b"idle       until ");
            push_u64(out, *until);
        }
        EventKind::Print { text, .. } => {
            out.extend_from_slice(b"print      ");
            push_debug_str(out, text);
        }
        EventKind::Exit { code, reason, .. } => {
            out.extend_from_slice(b"exit       code=");
            push_i64(out, i64::from(*code));
            out.extend_from_slice(b" (");
            push_exit_reason(out, reason);
            out.push(b')');
        }
        EventKind::Deadlock { cycle, blocked } => {
            out.extend_from_slice(b"deadlock  ");
            if cycle.is_empty() {
                out.extend_from_slice(b" no single cycle;");
            } else {
                out.extend_from_slice(b" cycle ");
                n.push_cycle(out, cycle);
                out.push(b';');
            }
            for w in blocked {
                out.push(b' ');
                n.push_pid(out, w.pid);
                out.extend_from_slice(b" waits on ");
                n.push_queue(out, w.queue);
                out.extend_from_slice(b" (held by ");
                match w.holder {
                    Some(h) => n.push_pid(out, h),
                    None => out.extend_from_slice(b"any sender"),
                }
                out.extend_from_slice(b");");
            }
            // Every clause ends in `;`; the line does not.
            out.pop();
        }
        EventKind::Livelock { cause, processes } => {
            out.extend_from_slice(b"livelock   ");
            match cause {
                LivelockCause::Steps { steps } => {
                    push_u64(out, *steps);
                    out.extend_from_slice(b" kernel entries without the clock moving");
                }
                LivelockCause::Spinning { steps, .. } => {
                    push_u64(out, *steps);
                    out.extend_from_slice(b" steps of its own without a syscall");
                }
            }
            out.extend_from_slice(b"; running or ready:");
            for (i, pid) in processes.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b" " } else { b", " });
                n.push_pid(out, *pid);
            }
        }
        EventKind::TickLimit { limit } => {
            out.extend_from_slice(b"tick-limit ");
            push_u64(out, *limit);
        }
        EventKind::PriorityLent { from, priority, .. } => {
            out.extend_from_slice(b"lend       priority ");
            push_u64(out, u64::from(*priority));
            out.extend_from_slice(b" from ");
            n.push_pid(out, *from);
        }
        EventKind::PriorityReturned { priority, .. } => {
            out.extend_from_slice(b"return     lent priority, back to ");
            push_u64(out, u64::from(*priority));
        }
        EventKind::DeadlockRefused { queue, cycle, .. } => {
            out.extend_from_slice(b"refuse     block on ");
            n.push_queue(out, *queue);
            out.extend_from_slice(b": deadlock, cycle ");
            n.push_cycle(out, cycle);
        }
        EventKind::Migrate { from, to, .. } => {
            out.extend_from_slice(b"migrate    cpu");
            push_u64(out, u64::from(*from));
            out.extend_from_slice(b" -> cpu");
            push_u64(out, u64::from(*to));
        }
        EventKind::Fault { kind } => {
            out.extend_from_slice(b"fault      ");
            n.push_fault(out, kind);
        }
    }
}

/// One event's line: `{tick:>6} cpu{cpu} {actor:<22} {description}` and a newline.
fn write_line(out: &mut Vec<u8>, n: &Names, last: &mut LastTick, e: &Event) {
    push_head(out, last, e.tick, e.cpu);
    write_actor(out, n, &e.kind);
    write_description(out, n, &e.kind);
    out.push(b'\n');
}

/// Render events as the stable text trace.
pub fn text(events: &[Event]) -> String {
    // (The same lines as `write_text`, kept whole for callers that want a string.)
    let mut names = Names::default();
    // Typical lines are 60-70 bytes: one allocation up front saves the doublings.
    let mut last = LastTick::new();
    let mut out = Vec::with_capacity(events.len() * 72);
    for e in events {
        names.learn(&e.kind);
        write_line(&mut out, &names, &mut last, e);
    }
    into_string(out)
}

/// How much of the trace a [`TextStream`] gathers before it writes: big enough that a write
/// is one system call per many lines, small enough to stay in the cache.
const CHUNK: usize = 64 * 1024;

/// Render events as the stable text trace (the same bytes as [`text`]) straight into `out`,
/// a chunk at a time. A long trace is never held whole in memory, which is what makes the
/// text trace of a million-message run cheap: building it as one string costs as much again
/// in fresh memory as in formatting.
pub fn write_text<W: std::io::Write>(events: &[Event], out: W) -> std::io::Result<()> {
    let mut stream = TextStream::new(out);
    for e in events {
        stream.line(e);
    }
    stream.finish().map(drop)
}

/// The text trace written as events come, a chunk at a time: what [`write_text`] does with
/// a finished trace, and what a run does as it goes when the stream is its trace sink
/// ([`TextStream::into_sink`], `Machine::stream_trace`), so its events are never stored.
pub struct TextStream<W: std::io::Write> {
    names: Names,
    last: LastTick,
    chunk: Vec<u8>,
    out: W,
    /// The first write that failed; nothing more is written after it.
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> TextStream<W> {
    /// A stream writing to `out`.
    pub fn new(out: W) -> Self {
        TextStream {
            names: Names::default(),
            last: LastTick::new(),
            chunk: Vec::with_capacity(CHUNK + 1024),
            out,
            error: None,
        }
    }

    /// Render one more event.
    pub fn line(&mut self, e: &Event) {
        self.names.learn(&e.kind);
        write_line(&mut self.chunk, &self.names, &mut self.last, e);
        if self.chunk.len() >= CHUNK {
            self.write_chunk();
        }
    }

    fn write_chunk(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.chunk) {
                self.error = Some(e);
            }
        }
        self.chunk.clear();
    }

    /// Write what is left and flush; the writer back, or the first error.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.write_chunk();
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush().map(|()| self.out),
        }
    }

    /// This stream shared between the kernel, which feeds it as its trace sink, and the
    /// caller, who finishes it after the run.
    pub fn into_sink(self) -> (SharedTextStream<W>, Box<dyn TraceSink>)
    where
        W: Send + 'static,
    {
        let shared = SharedTextStream(Arc::new(Mutex::new(Some(self))));
        let sink = Box::new(SharedTextStream(Arc::clone(&shared.0)));
        (shared, sink)
    }
}

/// A [`TextStream`] that the kernel feeds as its trace sink while the caller holds this
/// handle to finish it ([`SharedTextStream::finish`]) once the run is over.
///
/// The kernel is `Send`, so its sink is: the stream sits behind a mutex that only one side
/// takes at a time (the kernel while the run goes, the caller after it).
pub struct SharedTextStream<W: std::io::Write>(Arc<Mutex<Option<TextStream<W>>>>);

impl<W: std::io::Write> SharedTextStream<W> {
    /// Finish the stream ([`TextStream::finish`]), with the names it learnt. Events that
    /// come after this are dropped.
    pub fn finish(self) -> std::io::Result<(W, Names)> {
        let stream = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        match stream {
            Some(mut stream) => {
                let names = std::mem::take(&mut stream.names);
                stream.finish().map(|out| (out, names))
            }
            None => Err(std::io::Error::other(
                "the trace stream was already finished",
            )),
        }
    }
}

impl<W: std::io::Write + Send> TraceSink for SharedTextStream<W> {
    fn record(&mut self, event: &Event) {
        if let Some(stream) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            stream.line(event);
        }
    }
}

/// The renderer as it was before it wrote straight into its output: `format!` per piece,
/// names in trees. Kept verbatim as the oracle the fast one must match byte for byte.
#[cfg(test)]
pub(crate) mod reference {
    use abi::{Dest, Error, MailboxId, Overflow, Pid, RecvFlags, Source, Syscall, Sysno, RET_REGS};
    use kernel::ipc::WaitQueueId;
    use kernel::trace::{Event, EventKind, ExitReason, FaultKind, KillCause, LivelockCause};
    use std::collections::BTreeMap;
    use std::fmt::Write;

    /// Names learnt from the trace itself: processes from their spawn, mailboxes from their
    /// creation.
    #[derive(Debug, Default)]
    pub struct Names {
        procs: BTreeMap<Pid, String>,
        mailboxes: BTreeMap<MailboxId, String>,
    }

    impl Names {
        /// Learn the names an event introduces.
        pub fn learn(&mut self, kind: &EventKind) {
            match kind {
                EventKind::Spawn { pid, name, .. } => {
                    self.procs.insert(*pid, name.clone());
                }
                EventKind::MailboxCreated {
                    id, name: Some(n), ..
                } => {
                    self.mailboxes.insert(*id, n.clone());
                }
                _ => {}
            }
        }

        /// The names every event in `events` introduces.
        pub fn from_events(events: &[Event]) -> Names {
            let mut names = Names::default();
            for e in events {
                names.learn(&e.kind);
            }
            names
        }

        /// The name a process was spawned with, if the trace introduced it.
        pub fn process_name(&self, pid: Pid) -> Option<&str> {
            self.procs.get(&pid).map(String::as_str)
        }

        /// The name a mailbox was created with, if it has one.
        pub fn mailbox_name(&self, id: MailboxId) -> Option<&str> {
            self.mailboxes.get(&id).map(String::as_str)
        }

        /// `p3:name`, or `p3` for a process the trace never introduced.
        pub fn pid(&self, pid: Pid) -> String {
            match self.procs.get(&pid) {
                Some(n) => format!("{pid}:{n}"),
                None => pid.to_string(),
            }
        }

        /// `mb0:name`, or `mb0` for an anonymous mailbox.
        pub fn mailbox(&self, id: MailboxId) -> String {
            match self.mailboxes.get(&id) {
                Some(n) => format!("{id}:{n}"),
                None => id.to_string(),
            }
        }

        /// A send destination.
        pub fn dest(&self, dest: Dest) -> String {
            match dest {
                Dest::Process(p) => self.pid(p),
                Dest::Mailbox(m) => self.mailbox(m),
            }
        }

        /// A receive source.
        pub fn source(&self, source: Source) -> String {
            match source {
                Source::Process(p) => format!("from {}", self.pid(p)),
                Source::Mailbox(m) => self.mailbox(m),
                Source::Any => "any".to_string(),
            }
        }

        /// A wait queue: its owner's name and which of its queues.
        pub fn queue(&self, q: WaitQueueId) -> String {
            let owner = match q {
                WaitQueueId::MailboxSenders(m)
                | WaitQueueId::MailboxReceiver(m)
                | WaitQueueId::MailboxCallers(m) => self.mailbox(m),
                WaitQueueId::InboxSenders(p)
                | WaitQueueId::InboxReceiver(p)
                | WaitQueueId::ReceiversFrom(p)
                | WaitQueueId::Replies(p)
                | WaitQueueId::Exit(p) => self.pid(p),
            };
            format!("{owner}.{}", q.name())
        }

        /// A syscall with its arguments, ids named.
        pub fn call(&self, call: &Syscall) -> String {
            let name = call.sysno().name();
            match *call {
                Syscall::DeleteMailbox { mailbox } => format!("{name}({})", self.mailbox(mailbox)),
                Syscall::TransferMailbox { mailbox, to } => {
                    format!("{name}({}, to {})", self.mailbox(mailbox), self.pid(to))
                }
                Syscall::Send { dest, len, mode } => {
                    format!("{name}({}, {len}B, {mode})", self.dest(dest))
                }
                Syscall::Receive {
                    source,
                    buf_len,
                    mode,
                } => {
                    let buf = if buf_len >= u32::MAX as u64 {
                        String::new()
                    } else {
                        format!(", buf={buf_len}B")
                    };
                    format!("{name}({}{buf}, {mode})", self.source(source))
                }
                Syscall::Call {
                    dest, len, mode, ..
                } => format!("{name}({}, {len}B, {mode})", self.dest(dest)),
                Syscall::Reply { to, len } => format!("{name}({}, {len}B)", self.pid(to)),
                Syscall::Wait { child, mode } => format!("{name}({}, {mode})", self.pid(child)),
                other => other.to_string(),
            }
        }

        /// An injected fault, as the text trace writes it after `fault`: `kill p3:worker (at
        /// tick 40)`, `lose msg#4 -> mb0:jobs`, `delay msg#4 -> mb0:jobs until 57`, `arrive
        /// msg#4 at mb0:jobs`, `clock jump 40 -> 90`.
        pub fn fault(&self, kind: &FaultKind) -> String {
            let cause = |c: &KillCause| match c {
                KillCause::Tick(t) => format!("at tick {t}"),
                KillCause::Syscall(n) => format!("at syscall {n}"),
            };
            match kind {
                FaultKind::Kill { pid, cause: c } => {
                    format!("kill {} ({})", self.pid(*pid), cause(c))
                }
                FaultKind::KillMissed { name, tick } => {
                    format!("kill {name} (at tick {tick}): no live process of that name")
                }
                FaultKind::Lose { msg, to, call, .. } => format!(
                    "lose msg#{msg} -> {}{}",
                    self.dest(*to),
                    if *call { " (call)" } else { "" }
                ),
                FaultKind::Delay {
                    msg,
                    to,
                    until,
                    behind,
                    ..
                } => format!(
                    "delay msg#{msg} -> {} until {until}{}",
                    self.dest(*to),
                    behind.map_or(String::new(), |b| format!(" (behind msg#{b})"))
                ),
                FaultKind::Arrive { msg, to, .. } => {
                    format!("arrive msg#{msg} at {}", self.dest(*to))
                }
                FaultKind::ClockJump { from, to } => format!("clock jump {from} -> {to}"),
            }
        }

        /// A syscall's return registers, read the way that syscall defines them.
        pub fn ret(&self, sysno: Option<Sysno>, ret: &[u64; RET_REGS]) -> String {
            if ret[0] != 0 {
                let err = Error::from_code(ret[0]).map_or("unknown_error", |e| e.name());
                return match Error::from_code(ret[0]) {
                    Some(Error::BufferTooSmall) => format!("err {err} (needs {}B)", ret[1]),
                    _ => format!("err {err}"),
                };
            }
            match sysno {
                Some(Sysno::CreateMailbox | Sysno::LookupMailbox) => {
                    format!("ok {}", self.mailbox(MailboxId::from_raw(ret[1])))
                }
                Some(Sysno::Spawn | Sysno::GetPid) => {
                    format!("ok {}", self.pid(Pid::from_raw(ret[1])))
                }
                Some(Sysno::Receive) => {
                    let call = if RecvFlags::from_bits_truncate(ret[3]).contains(RecvFlags::CALL) {
                        " (call)"
                    } else {
                        ""
                    };
                    format!(
                        "ok from {} {}B{call}",
                        self.pid(Pid::from_raw(ret[1])),
                        ret[2]
                    )
                }
                Some(Sysno::Call) => format!(
                    "ok reply from {} {}B",
                    self.pid(Pid::from_raw(ret[1])),
                    ret[2]
                ),
                Some(Sysno::Wait) => format!(
                    "ok {} exited {}",
                    self.pid(Pid::from_raw(ret[2])),
                    ret[1] as i64
                ),
                _ => "ok".to_string(),
            }
        }
    }

    /// How a process ended, in words: `exit`, `returned`, `panicked: ...`, `fault: ...`.
    pub fn exit_reason(reason: &ExitReason) -> String {
        match reason {
            ExitReason::Exit => "exit".to_string(),
            ExitReason::Returned => "returned".to_string(),
            ExitReason::Panicked(m) => format!("panicked: {m}"),
            ExitReason::Fault(m) => format!("fault: {m}"),
            ExitReason::Killed => "killed".to_string(),
        }
    }

    /// One event's actor column and its description.
    fn describe(names: &Names, kind: &EventKind) -> (String, String) {
        let n = names;
        match kind {
            EventKind::Spawn {
                pid,
                parent,
                program,
                arg,
                inbox,
                priority,
                ..
            } => {
                let parent = parent.map_or("-".to_string(), |p| n.pid(p));
                (
                    n.pid(*pid),
                    format!(
                        "spawn      program={program} parent={parent} arg={arg} inbox={inbox} priority={priority}"
                    ),
                )
            }
            EventKind::Dispatch { pid } => (n.pid(*pid), "dispatch".into()),
            EventKind::Preempt { pid, burst_left } => (
                n.pid(*pid),
                if *burst_left > 0 {
                    format!("preempt    burst_left={burst_left}")
                } else {
                    "preempt".into()
                },
            ),
            EventKind::Syscall { pid, call } => {
                (n.pid(*pid), format!("syscall    {}", n.call(call)))
            }
            EventKind::BadSyscall { pid, sysno, error } => {
                (n.pid(*pid), format!("syscall    #{sysno} refused: {error}"))
            }
            EventKind::Return { pid, sysno, ret } => {
                (n.pid(*pid), format!("return     {}", n.ret(*sysno, ret)))
            }
            EventKind::Block {
                pid,
                queue,
                deadline,
            } => {
                let until = deadline.map_or(String::new(), |d| format!(" until {d}"));
                (
                    n.pid(*pid),
                    format!("block      on {}{until}", n.queue(*queue)),
                )
            }
            EventKind::Wake { pid, by, reason } => {
                let by = by.map_or("timer".to_string(), |b| n.pid(b));
                (
                    n.pid(*pid),
                    format!("wake       by {by} ({})", reason.name()),
                )
            }
            EventKind::MessageQueued {
                msg,
                from,
                to,
                len,
                depth,
                call,
            } => (
                n.pid(*from),
                format!(
                    "queue      msg#{msg} -> {} {len}B depth={depth}{}",
                    n.dest(*to),
                    if *call { " (call)" } else { "" }
                ),
            ),
            EventKind::MessageHandedOver {
                msg,
                from,
                to,
                via,
                len,
                call,
            } => (
                n.pid(*from),
                format!(
                    "handoff    msg#{msg} -> {}{} {len}B{}",
                    n.pid(*to),
                    match via {
                        Dest::Process(p) if p == to => String::new(),
                        _ => format!(" via {}", n.dest(*via)),
                    },
                    if *call { " (call)" } else { "" }
                ),
            ),
            EventKind::MessageReceived {
                msg,
                from,
                by,
                via,
                len,
            } => (
                n.pid(*by),
                format!(
                    "take       msg#{msg} from {} at {} {len}B",
                    n.pid(*from),
                    n.dest(*via)
                ),
            ),
            EventKind::MessagesDropped { via, count, reason } => (
                "-".into(),
                format!(
                    "drop       {count} message{} at {} ({})",
                    if *count == 1 { "" } else { "s" },
                    n.dest(*via),
                    reason.name()
                ),
            ),
            EventKind::SendAbandoned { pid, to, error } => (
                n.pid(*pid),
                format!(
                    "abandon    send to {} ({error}): message not delivered",
                    n.dest(*to)
                ),
            ),
            EventKind::ReplyDelivered { from, to, len } => {
                (n.pid(*from), format!("reply      -> {} {len}B", n.pid(*to)))
            }
            EventKind::ReplyDropped { from, to, reason } => (
                n.pid(*from),
                format!(
                    "reply      -> {} dropped ({})",
                    n.pid(*to),
                    match reason {
                        kernel::trace::ReplyDropReason::NoSuchProcess => "no such process",
                        kernel::trace::ReplyDropReason::NotWaiting => "not waiting for this reply",
                    }
                ),
            ),
            EventKind::MailboxCreated {
                id,
                owner,
                capacity,
                overflow,
                ..
            } => (
                n.pid(*owner),
                // The policy is shown only when it is not the default, so traces of programs
                // that never chose one read as they always have.
                if *overflow == Overflow::Block {
                    format!("mailbox    created {} capacity={capacity}", n.mailbox(*id))
                } else {
                    format!(
                        "mailbox    created {} capacity={capacity} overflow={overflow}",
                        n.mailbox(*id)
                    )
                },
            ),
            EventKind::MailboxDeleted {
                id,
                by,
                dropped,
                woken,
            } => (
                n.pid(*by),
                format!(
                    "mailbox    deleted {} dropped={dropped} woken={woken}",
                    n.mailbox(*id)
                ),
            ),
            EventKind::MailboxTransferred { id, from, to } => (
                n.pid(*from),
                format!(
                    "mailbox    transferred {} to {}",
                    n.mailbox(*id),
                    n.pid(*to)
                ),
            ),
            EventKind::Sleep { pid, until } => (n.pid(*pid), format!("sleep      until {until}")),
            EventKind::Yield { pid } => (n.pid(*pid), "yield".into()),
            EventKind::Idle { until } => ("-".into(), format!("idle       until {until}")),
            EventKind::Print { pid, text } => (n.pid(*pid), format!("print      {text:?}")),
            EventKind::Exit { pid, code, reason } => (
                n.pid(*pid),
                format!("exit       code={code} ({})", exit_reason(reason)),
            ),
            EventKind::Deadlock { cycle, blocked } => {
                let mut s = String::from("deadlock  ");
                if cycle.is_empty() {
                    s.push_str(" no single cycle;");
                } else {
                    let mut names: Vec<String> = cycle.iter().map(|p| n.pid(*p)).collect();
                    names.push(n.pid(cycle[0]));
                    let _ = write!(s, " cycle {};", names.join(" -> "));
                }
                for w in blocked {
                    let holder = w.holder.map_or("any sender".to_string(), |h| n.pid(h));
                    let _ = write!(
                        s,
                        " {} waits on {} (held by {holder});",
                        n.pid(w.pid),
                        n.queue(w.queue)
                    );
                }
                s.pop();
                ("-".into(), s)
            }
            EventKind::Livelock { cause, processes } => {
                let who: Vec<String> = processes.iter().map(|p| n.pid(*p)).collect();
                let (actor, what) = match cause {
                    LivelockCause::Steps { steps } => (
                        "-".to_string(),
                        format!("{steps} kernel entries without the clock moving"),
                    ),
                    LivelockCause::Spinning { pid, steps } => (
                        n.pid(*pid),
                        format!("{steps} steps of its own without a syscall"),
                    ),
                };
                let sep = if who.is_empty() { "" } else { " " };
                (
                    actor,
                    format!(
                        "livelock   {what}; running or ready:{sep}{}",
                        who.join(", ")
                    ),
                )
            }
            EventKind::TickLimit { limit } => ("-".into(), format!("tick-limit {limit}")),
            EventKind::PriorityLent { from, to, priority } => (
                n.pid(*to),
                format!("lend       priority {priority} from {}", n.pid(*from)),
            ),
            EventKind::PriorityReturned { pid, priority } => (
                n.pid(*pid),
                format!("return     lent priority, back to {priority}"),
            ),
            EventKind::DeadlockRefused { pid, queue, cycle } => {
                let mut names: Vec<String> = cycle.iter().map(|p| n.pid(*p)).collect();
                if let Some(first) = cycle.first() {
                    names.push(n.pid(*first));
                }
                (
                    n.pid(*pid),
                    format!(
                        "refuse     block on {}: deadlock, cycle {}",
                        n.queue(*queue),
                        names.join(" -> ")
                    ),
                )
            }
            EventKind::Migrate { pid, from, to } => {
                (n.pid(*pid), format!("migrate    cpu{from} -> cpu{to}"))
            }
            EventKind::Fault { kind } => {
                let actor = match kind {
                    FaultKind::Kill { pid, .. } => n.pid(*pid),
                    FaultKind::Lose { from, .. }
                    | FaultKind::Delay { from, .. }
                    | FaultKind::Arrive { from, .. } => n.pid(*from),
                    FaultKind::KillMissed { .. } | FaultKind::ClockJump { .. } => "-".into(),
                };
                (actor, format!("fault      {}", n.fault(kind)))
            }
        }
    }

    /// Render events as the stable text trace.
    pub fn text(events: &[Event]) -> String {
        let mut names = Names::default();
        let mut out = String::new();
        for e in events {
            names.learn(&e.kind);
            let (actor, what) = describe(&names, &e.kind);
            let _ = writeln!(out, "{:>6} cpu{} {:<22} {}", e.tick, e.cpu, actor, what);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{reference, text, write_text, Names, CHUNK};
    use abi::{Source, Sysno};
    use kernel::trace::{Event, EventKind};

    use crate::render::testgen::{awkward_integers, hand_made, variant, Rng, VARIANTS};

    #[test]
    fn the_streamed_trace_is_the_same_bytes_across_chunk_boundaries() {
        let mut rng = Rng::new(0xc4u64);
        // About 150 bytes a line on average: several 64 KiB chunks.
        let events: Vec<Event> = (0..5_000).map(|_| rng.event()).collect();
        let whole = text(&events);
        assert!(whole.len() > 3 * CHUNK, "{} bytes", whole.len());
        let mut streamed = Vec::new();
        write_text(&events, &mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
        // An empty trace writes nothing.
        let mut none = Vec::new();
        write_text(&[], &mut none).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn hand_made_trace_matches_the_reference() {
        let events = hand_made();
        assert_eq!(text(&events), reference::text(&events));
    }

    #[test]
    fn generated_traces_match_the_reference_for_every_event_kind() {
        let mut seen = [0usize; VARIANTS];
        let mut calls = [0usize; 17];
        for seed in 1..=20u64 {
            let mut rng = Rng::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let events: Vec<Event> = (0..2_000).map(|_| rng.event()).collect();
            for e in &events {
                seen[variant(&e.kind)] += 1;
                if let EventKind::Syscall { call, .. } = &e.kind {
                    calls[call.sysno() as usize] += 1;
                }
            }
            let (new, old) = (text(&events), reference::text(&events));
            if new != old {
                for (i, (a, b)) in new.lines().zip(old.lines()).enumerate() {
                    assert_eq!(a, b, "seed {seed}, line {i}: {:?}", events[i]);
                }
                assert_eq!(new, old, "seed {seed}");
            }
        }
        assert!(seen.iter().all(|&n| n > 0), "every event kind: {seen:?}");
        assert!(
            Sysno::ALL.iter().all(|&s| calls[s as usize] > 0),
            "every syscall: {calls:?}"
        );
    }

    #[test]
    fn string_methods_match_the_reference() {
        let mut rng = Rng::new(0x5eed);
        let mut events = hand_made();
        events.extend((0..3_000).map(|_| rng.event()));
        let new = Names::from_events(&events);
        let old = reference::Names::from_events(&events);
        for _ in 0..3_000 {
            let (p, m) = (rng.pid(), rng.mailbox());
            assert_eq!(new.pid(p), old.pid(p));
            assert_eq!(new.process_name(p), old.process_name(p));
            assert_eq!(new.mailbox(m), old.mailbox(m));
            assert_eq!(new.mailbox_name(m), old.mailbox_name(m));
            let d = rng.dest();
            assert_eq!(new.dest(d), old.dest(d));
            for s in [Source::Process(p), Source::Mailbox(m), Source::Any] {
                assert_eq!(new.source(s), old.source(s));
            }
            let q = rng.queue();
            assert_eq!(new.queue(q), old.queue(q));
            let c = rng.call();
            assert_eq!(new.call(&c), old.call(&c));
            let f = rng.fault();
            assert_eq!(new.fault(&f), old.fault(&f));
            let (s, r) = (rng.flip().then(|| rng.pick(Sysno::ALL)), rng.ret());
            assert_eq!(new.ret(s, &r), old.ret(s, &r));
            let x = rng.exit_reason();
            assert_eq!(super::exit_reason(&x), reference::exit_reason(&x));
        }
    }

    #[test]
    fn ticks_print_as_the_tick_column_pads_them() {
        // Every width, at both ends, around the column's six.
        for v in awkward_integers() {
            let mut s = Vec::new();
            super::push_tick(&mut s, v);
            assert_eq!(String::from_utf8(s).unwrap(), format!("{v:>6}"));
        }
    }
}
