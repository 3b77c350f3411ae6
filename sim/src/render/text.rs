//! The stable text trace: one event per line, aligned, with names where the kernel knows them.
//!
//! This is the form snapshot tests compare, so it changes only when behaviour changes. Columns:
//! tick, CPU, the process the event is about (`p3:name`), the event, its details.

use abi::{Dest, Error, MailboxId, Overflow, Pid, RecvFlags, Source, Syscall, Sysno, RET_REGS};
use kernel::ipc::WaitQueueId;
use kernel::trace::{Event, EventKind, ExitReason, FaultKind, KillCause};
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
            FaultKind::Kill { pid, cause: c } => format!("kill {} ({})", self.pid(*pid), cause(c)),
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
            FaultKind::Arrive { msg, to, .. } => format!("arrive msg#{msg} at {}", self.dest(*to)),
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
            Some(Sysno::Spawn | Sysno::GetPid) => format!("ok {}", self.pid(Pid::from_raw(ret[1]))),
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
        EventKind::Syscall { pid, call } => (n.pid(*pid), format!("syscall    {}", n.call(call))),
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
