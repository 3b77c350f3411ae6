//! Names: what the trace calls processes and mailboxes, learnt from the trace itself.
//!
//! This module owns [`Names`], the one table every renderer asks how to show an id: a
//! process as `p3:name` (from its spawn), a mailbox as `mb0:name` (from its creation), a
//! destination, a wait queue as `mb0:buffer.senders`; an id the trace never named as its bare
//! id (`p3`, `p3.1` once the slot is reused). Each name is rendered once, when the trace
//! introduces it, so showing it is copying bytes: the renderers that write bytes call the
//! `push_*` methods, and those that build text with `format!` the `String` forms, which are
//! the same bytes.
//!
//! It never decides how a line or a document looks (the renderers do), never reads anything
//! but the events it is shown, and never panics on any id.

use super::bytes::{into_string, push_id, MAILBOX_PREFIX, PID_PREFIX};
use super::text::ACTOR_WIDTH;
use abi::{Dest, MailboxId, Pid};
use kernel::trace::WaitQueueId;
use kernel::trace::{Event, EventKind};
use std::collections::BTreeMap;

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
    /// that pad them to the text trace's actor column and the space that ends the column.
    /// (Mailboxes never head a line, so theirs goes unused: one kind of name for both is
    /// simpler than two.)
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

    /// `p3:name`, or `p3` for a process the trace never introduced, appended to `out`.
    pub fn push_pid(&self, out: &mut Vec<u8>, pid: Pid) {
        match self.procs.get(pid.raw()) {
            Some(n) => n.push_shown(out),
            None => push_id(out, PID_PREFIX, pid.raw()),
        }
    }

    /// `mb0:name`, or `mb0` for an anonymous mailbox, appended to `out`.
    pub fn push_mailbox(&self, out: &mut Vec<u8>, id: MailboxId) {
        match self.mailboxes.get(id.raw()) {
            Some(n) => n.push_shown(out),
            None => push_id(out, MAILBOX_PREFIX, id.raw()),
        }
    }

    /// A send destination, a process or a mailbox, appended to `out`.
    pub fn push_dest(&self, out: &mut Vec<u8>, dest: Dest) {
        match dest {
            Dest::Process(p) => self.push_pid(out, p),
            Dest::Mailbox(m) => self.push_mailbox(out, m),
        }
    }

    /// A wait queue, its owner's name and which of its queues (`mb0:buffer.senders`),
    /// appended to `out`.
    pub fn push_queue(&self, out: &mut Vec<u8>, q: WaitQueueId) {
        match q {
            WaitQueueId::MailboxSenders(m)
            | WaitQueueId::MailboxReceiver(m)
            | WaitQueueId::MailboxCallers(m) => self.push_mailbox(out, m),
            WaitQueueId::InboxSenders(p)
            | WaitQueueId::InboxReceiver(p)
            | WaitQueueId::ReceiversFrom(p)
            | WaitQueueId::Replies(p)
            | WaitQueueId::Exit(p)
            | WaitQueueId::Select(p) => self.push_pid(out, p),
        }
        out.push(b'.');
        out.extend_from_slice(q.name().as_bytes());
    }

    /// The text trace's actor column for `pid`: what [`Names::push_pid`] writes, padded to
    /// [`ACTOR_WIDTH`], then the space that ends the column.
    pub(super) fn push_actor(&self, out: &mut Vec<u8>, pid: Pid) {
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

    /// What [`Names::push_pid`] writes, as a `String`.
    pub fn pid(&self, pid: Pid) -> String {
        shown(|out| self.push_pid(out, pid))
    }

    /// What [`Names::push_mailbox`] writes, as a `String`.
    pub fn mailbox(&self, id: MailboxId) -> String {
        shown(|out| self.push_mailbox(out, id))
    }

    /// What [`Names::push_dest`] writes, as a `String`.
    pub fn dest(&self, dest: Dest) -> String {
        shown(|out| self.push_dest(out, dest))
    }

    /// What [`Names::push_queue`] writes, as a `String`.
    pub fn queue(&self, q: WaitQueueId) -> String {
        shown(|out| self.push_queue(out, q))
    }
}

/// The bytes `write` writes, as the string they are.
fn shown(write: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    write(&mut out);
    into_string(out)
}

/// Enough spaces for the widest padding of the actor column.
const SPACES: [u8; ACTOR_WIDTH] = [b' '; ACTOR_WIDTH];

#[cfg(test)]
mod tests {
    use super::Names;
    use abi::{Capacity, MailboxId, Overflow, Pid};
    use kernel::trace::EventKind;
    use kernel::trace::WaitQueueId;

    #[test]
    fn an_id_is_named_by_its_own_generation_only() {
        let mut names = Names::default();
        let spawn = |pid, name: &str| EventKind::Spawn {
            pid,
            parent: None,
            program: "prog".into(),
            name: name.into(),
            arg: 0,
            inbox: Capacity::Zero,
            priority: 0,
        };
        names.learn(&spawn(Pid::new(3, 0), "old"));
        names.learn(&spawn(Pid::new(3, 1), "new"));
        names.learn(&spawn(Pid::new(70_000, 2), "far"));
        names.learn(&EventKind::MailboxCreated {
            id: MailboxId::new(0, 0),
            owner: Pid::new(3, 1),
            capacity: Capacity::Zero,
            overflow: Overflow::Block,
            receivers: abi::Receivers::OwnerOnly,
            lifetime: abi::Lifetime::Owner,
            name: Some("jobs".into()),
        });
        // A stale id still names the process that had it; an unknown one is its bare id.
        assert_eq!(names.pid(Pid::new(3, 0)), "p3:old");
        assert_eq!(names.pid(Pid::new(3, 1)), "p3.1:new");
        assert_eq!(names.pid(Pid::new(3, 2)), "p3.2");
        assert_eq!(names.pid(Pid::new(70_000, 2)), "p70000.2:far");
        assert_eq!(names.mailbox(MailboxId::new(0, 0)), "mb0:jobs");
        assert_eq!(names.mailbox(MailboxId::new(1, 0)), "mb1");
        assert_eq!(
            names.queue(WaitQueueId::MailboxSenders(MailboxId::new(0, 0))),
            "mb0:jobs.senders"
        );
        names.name_process(Pid::new(3, 0), "renamed");
        assert_eq!(names.process_name(Pid::new(3, 0)), Some("renamed"));
        assert_eq!(names.process_name(Pid::new(3, 1)), Some("new"));
        // The String forms are the bytes the byte-writing renderers copy.
        let mut out = Vec::new();
        names.push_actor(&mut out, Pid::new(3, 1));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{:<22} ", "p3.1:new")
        );
    }
}
