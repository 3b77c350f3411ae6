//! `ps`: the process table and the mailbox table at one moment, as aligned text.
//!
//! This module owns how a kernel snapshot ([`ProcessInfo`], [`MailboxInfo`]) reads to a
//! person: one row per process with its priority (`1→5` while another lends it a higher one)
//! and what exactly it waits on (`blocked: send to mailbox jobs (full, 4/4) — held by
//! p1:consumer`), then one row per mailbox. It reads only the snapshot
//! it is given, never the trace or the kernel, so the same function prints a paused run, a
//! deadlocked one and the end of any run. It must never panic on any snapshot: whatever the
//! kernel could not resolve (a process or mailbox gone since) is printed as a bare id.
//!
//! PIDs in the PID and PPID columns always carry their generation (`p3.0`), so a reused slot
//! is visible; references inside the WAITS ON text use the trace's form (`p3:name`, with the
//! generation only once the slot has been reused).

use abi::{Capacity, Dest, MailboxId, Pid, Ticks};
use kernel::inspect::{
    EndpointInfo, Load, MailboxInfo, Peer, ProcessInfo, StateInfo, WaitInfo, WaitOn,
};
use std::fmt::Write;

/// The process table, then the mailbox table, at tick `now`.
pub fn render(table: &[ProcessInfo], mailboxes: &[MailboxInfo], now: Ticks) -> String {
    let mut out = String::new();
    let zombies = table
        .iter()
        .filter(|p| matches!(p.state, StateInfo::Zombie { .. }))
        .count();
    let _ = writeln!(
        out,
        "== tick {now}: {} ({} live, {}), {}",
        plural(table.len(), "process", "processes"),
        table.len() - zombies,
        plural(zombies, "zombie", "zombies"),
        plural(mailboxes.len(), "mailbox", "mailboxes"),
    );
    if table.is_empty() {
        out.push_str("no processes\n");
    }
    let mut rows =
        vec![["PID", "NAME", "PPID", "PRI", "STATE", "SINCE", "WAITS ON"].map(String::from)];
    for p in table {
        rows.push([
            full_pid(p.pid),
            p.name.clone(),
            p.parent.map_or("-".to_string(), full_pid),
            priority(p),
            p.state.name().to_string(),
            // The tick it entered its state at: what the column's name says.
            p.since.to_string(),
            describe(p),
        ]);
    }
    if !table.is_empty() {
        table_text(&mut out, &rows);
    }
    out.push('\n');
    if mailboxes.is_empty() {
        out.push_str("no mailboxes\n");
        return out;
    }
    let mut rows = vec![[
        "MAILBOX", "NAME", "OWNER", "CAP", "QUEUED", "BYTES", "SENDERS", "RECEIVER", "CALLERS",
    ]
    .map(String::from)];
    for m in mailboxes {
        rows.push([
            full_mailbox(m.id),
            m.name.clone().unwrap_or_else(|| "-".to_string()),
            m.owner.as_ref().map_or("system".to_string(), peer),
            m.capacity.to_string(),
            m.queued.to_string(),
            m.queued_bytes.to_string(),
            m.senders_waiting.to_string(),
            receivers(m),
            m.callers_waiting.to_string(),
        ]);
    }
    table_text(&mut out, &rows);
    out
}

/// The RECEIVER column: `yes` or `no` for a mailbox only its owner receives from; for a
/// shared one, how many of its receivers wait, of how many may, and its policy: `2/3 fifo`.
fn receivers(m: &MailboxInfo) -> String {
    if !m.receivers.is_shared() {
        return if m.receiver_waiting { "yes" } else { "no" }.to_string();
    }
    let members = m.granted.len() + usize::from(m.owner.is_some());
    format!("{}/{members} {}", m.receivers_waiting, m.receivers)
}

/// The PRI column: the process's own priority, and `1→5` while priority inheritance lends it
/// a higher one.
pub fn priority(p: &ProcessInfo) -> String {
    if p.effective_priority == p.priority {
        p.priority.to_string()
    } else {
        format!("{}→{}", p.priority, p.effective_priority)
    }
}

/// What a process is doing, in the words of the WAITS ON column: `ready`, `running on
/// cpu0`, `sleeping until 40`, `zombie (exit 3)`, or `blocked: ...` with exactly what it
/// waits on, ` timeout at T` for a timed wait and ` — held by p3:name` when one process
/// could release it and the text has not named it already.
pub fn describe(p: &ProcessInfo) -> String {
    let what = state_text(p);
    if p.daemon && !matches!(p.state, StateInfo::Zombie { .. }) {
        format!("daemon, {what}")
    } else {
        what
    }
}

fn state_text(p: &ProcessInfo) -> String {
    match &p.state {
        StateInfo::Ready => "ready".to_string(),
        StateInfo::Running { cpu } => format!("running on cpu{cpu}"),
        StateInfo::Sleeping { until } => format!("sleeping until {until}"),
        StateInfo::Zombie { code: Some(code) } => format!("zombie (exit {code})"),
        StateInfo::Zombie { code: None } => "zombie".to_string(),
        StateInfo::Blocked(w) => blocked(w),
    }
}

fn blocked(w: &WaitInfo) -> String {
    // The process the text already names as the one it waits for: repeating it as the
    // holder would add length and nothing else.
    let (mut text, named) = match &w.on {
        WaitOn::Send { to, call, .. } => {
            let inbox = matches!(to.dest, Dest::Process(_));
            let verb = if *call { "send (call)" } else { "send" };
            let load = to
                .load
                .map_or(String::new(), |l| format!(" ({})", send_load(&l, inbox)));
            let named = if inbox { to.owner } else { None };
            (format!("{verb} to {}{load}", endpoint(to)), named)
        }
        WaitOn::Reply {
            to,
            server,
            received,
        } => match (server, received) {
            (Some(s), true) => (format!("reply from {}", peer(s)), Some(s.pid)),
            (Some(s), false) => (
                format!(
                    "reply from {} (call not yet received{})",
                    peer(s),
                    to.load.map_or(String::new(), |l| format!(", {}", fill(&l)))
                ),
                Some(s.pid),
            ),
            (None, _) => (
                format!(
                    "reply to a call queued in {}{}",
                    endpoint(to),
                    to.load
                        .map_or(String::new(), |l| format!(" ({})", fill(&l)))
                ),
                None,
            ),
        },
        WaitOn::ReceiveMailbox { mailbox } => (
            format!(
                "receive from {}{}",
                endpoint(mailbox),
                mailbox
                    .load
                    .map_or(String::new(), |l| format!(" ({})", receive_load(&l)))
            ),
            None,
        ),
        WaitOn::ReceiveAny { inbox } => {
            (format!("receive any (inbox {})", receive_load(inbox)), None)
        }
        WaitOn::ReceiveFrom { from } => (format!("receive from {}", peer(from)), Some(from.pid)),
        WaitOn::Select { endpoints } => (
            format!(
                "select over {}",
                endpoints
                    .iter()
                    .map(endpoint)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        ),
        WaitOn::Child { child } => (format!("wait for child {}", peer(child)), Some(child.pid)),
    };
    text.insert_str(0, "blocked: ");
    if let Some(d) = w.deadline {
        let _ = write!(text, " timeout at {d}");
    }
    if let Some(h) = &w.holder {
        if named != Some(h.pid) {
            let _ = write!(text, " — held by {}", peer(h));
        }
    }
    text
}

/// How full an endpoint is, for a sender that cannot get in.
pub(crate) fn send_load(load: &Load, inbox: bool) -> String {
    let what = if inbox { "inbox " } else { "" };
    match load.capacity {
        Capacity::Zero => "rendezvous, not receiving".to_string(),
        _ if load.is_full() => format!("{what}full, {}", fill(load)),
        // Room, yet the sender waits: senders before it keep their turn (the memory limit
        // stopped a refill).
        _ => format!("{what}{}", fill(load)),
    }
}

/// How full an endpoint is, for a receiver waiting on it.
pub(crate) fn receive_load(load: &Load) -> String {
    if load.is_empty() {
        "empty".to_string()
    } else {
        fill(load)
    }
}

/// `3/4`, `3 queued` (unbounded), `0/0` (rendezvous).
pub(crate) fn fill(load: &Load) -> String {
    match load.capacity {
        Capacity::Unbounded => format!("{} queued", load.queued),
        c => format!("{}/{c}", load.queued),
    }
}

/// `mailbox jobs`, `mailbox mb3` (anonymous or gone), `p3:consumer` (a direct inbox).
pub(crate) fn endpoint(e: &EndpointInfo) -> String {
    match (e.dest, &e.name) {
        (Dest::Mailbox(_), Some(n)) => format!("mailbox {n}"),
        (Dest::Mailbox(m), None) => format!("mailbox {m}"),
        (Dest::Process(p), Some(n)) => format!("{p}:{n}"),
        (Dest::Process(p), None) => p.to_string(),
    }
}

/// `p3:name`, or `p3` for a process that no longer exists.
pub(crate) fn peer(p: &Peer) -> String {
    match &p.name {
        Some(n) => format!("{}:{n}", p.pid),
        None => p.pid.to_string(),
    }
}

/// `p3.0`: always with the generation.
fn full_pid(pid: Pid) -> String {
    format!("p{}.{}", pid.index(), pid.generation())
}

/// `mb0.0`: always with the generation.
fn full_mailbox(id: MailboxId) -> String {
    format!("mb{}.{}", id.index(), id.generation())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Rows as columns two spaces apart, the last column unpadded.
fn table_text<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
