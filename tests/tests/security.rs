//! The security matrix: every syscall that names a mailbox or a process, against every way a
//! program can try to reach what it has no right to.
//!
//! The attacks:
//! - **non-owner**: a process that does not own the mailbox (or is not the parent, or not the
//!   server a caller waits for) uses it;
//! - **former owner**: the owner after it transferred the mailbox away;
//! - **stale id**: an id kept after its object is gone, *and its slot reused*, so the id
//!   differs from a live object's only in its generation: the old id must be refused and
//!   never reach the new object;
//! - **exited**: a process that has exited (a zombie its parent has not collected), or a
//!   mailbox whose owner has exited;
//! - **forged sender**: raw frames whose spare registers and payload claim another pid: the
//!   kernel stamps the true sender, so a receiver (or a caller, of a reply) always sees it;
//! - **not waiting** and **unreceived**: a `reply` to a process that is not in a call, or whose
//!   call the replier has not received yet.
//!
//! [`MATRIX`] has one row per (syscall, attack) with the answer `docs/abi.md` gives; each row
//! is its own test, generated from the table, run on a fresh machine with every invariant
//! checked. A row passes when the attack gets exactly that answer *and* the object it aimed
//! at, or the one that reused its slot, is untouched (the harm checks in each attack's
//! program). Pairs that have no meaning are listed in [`NOT_APPLICABLE`] with the reason;
//! `every_pair_is_a_row_or_has_a_reason` holds the two lists to the full product.

use abi::{Capacity, Error, MailboxId, Mode, Pid, Source, Sysno};
use kernel::trace::{EventKind, ExitReason};
use sim::{Outcome, Report};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::rc::Rc;
use testkit::{config, run_with};
use userland::{ProgramTable, Right, SpawnOptions, Sys, SysResult};

// ----- the table -----

/// A syscall, by the id it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    DeleteMailbox,
    /// `transfer_mailbox`, attacked through the mailbox it names.
    TransferMailbox,
    /// `transfer_mailbox`, attacked through the new owner it names.
    TransferTo,
    SendMailbox,
    SendProcess,
    ReceiveMailbox,
    /// `receive` from one named process (symmetric).
    ReceiveProcess,
    CallMailbox,
    CallProcess,
    Reply,
    Wait,
    Lookup,
    /// `grant_receive`, attacked through the mailbox it names.
    GrantReceive,
    /// `revoke_receive`, attacked through the mailbox it names.
    RevokeReceive,
    /// `select` over a set naming the mailbox.
    SelectMailbox,
    /// `send_right` carrying the mailbox's receive right (to the attacker's own inbox).
    PassReceiveRight,
    /// `grant_send` on the mailbox.
    GrantSend,
}

const OPS: [Op; 17] = [
    Op::DeleteMailbox,
    Op::TransferMailbox,
    Op::TransferTo,
    Op::SendMailbox,
    Op::SendProcess,
    Op::ReceiveMailbox,
    Op::ReceiveProcess,
    Op::CallMailbox,
    Op::CallProcess,
    Op::Reply,
    Op::Wait,
    Op::Lookup,
    Op::GrantReceive,
    Op::RevokeReceive,
    Op::SelectMailbox,
    Op::PassReceiveRight,
    Op::GrantSend,
];

impl Op {
    fn sysno(self) -> Sysno {
        match self {
            Op::DeleteMailbox => Sysno::DeleteMailbox,
            Op::TransferMailbox | Op::TransferTo => Sysno::TransferMailbox,
            Op::SendMailbox | Op::SendProcess => Sysno::Send,
            Op::ReceiveMailbox | Op::ReceiveProcess => Sysno::Receive,
            Op::CallMailbox | Op::CallProcess => Sysno::Call,
            Op::Reply => Sysno::Reply,
            Op::Wait => Sysno::Wait,
            Op::Lookup => Sysno::LookupMailbox,
            Op::GrantReceive => Sysno::GrantReceive,
            Op::RevokeReceive => Sysno::RevokeReceive,
            Op::SelectMailbox => Sysno::Select,
            Op::PassReceiveRight => Sysno::SendRight,
            Op::GrantSend => Sysno::GrantSend,
        }
    }
}

/// The syscalls that name neither a mailbox nor a process, and so have no row.
const NAMES_NOTHING: [(Sysno, &str); 8] = [
    (
        Sysno::CreateMailbox,
        "returns a new id; names only a mailbox name, which must be free",
    ),
    (Sysno::Spawn, "names a program, not a process"),
    (Sysno::Exit, "acts on the caller alone"),
    (Sysno::GetPid, "acts on the caller alone"),
    (Sysno::Yield, "acts on the caller alone"),
    (Sysno::Sleep, "acts on the caller alone"),
    (Sysno::Compute, "acts on the caller alone"),
    (Sysno::Print, "acts on the caller alone"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Attack {
    NonOwner,
    FormerOwner,
    StaleId,
    Exited,
    ForgedSender,
    NotWaiting,
    Unreceived,
}

const ATTACKS: [Attack; 7] = [
    Attack::NonOwner,
    Attack::FormerOwner,
    Attack::StaleId,
    Attack::Exited,
    Attack::ForgedSender,
    Attack::NotWaiting,
    Attack::Unreceived,
];

/// What an attack got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Got {
    /// The call failed with this code and did nothing.
    Refused(Error),
    /// The call succeeded, as `docs/abi.md` says it may (anyone may send to a mailbox, look
    /// a name up, or collect a zombie child).
    Allowed,
    /// `reply` returned success, the trace shows the reply dropped, and its target never
    /// saw it.
    Dropped,
    /// A `reply` reached a process it must not reach.
    Delivered,
    /// The receiver (of a message, or of a reply) saw the attacker's true pid.
    TrueSender,
    /// The receiver saw a pid other than the sender's.
    Forged,
}

/// One row: a syscall under an attack, and the answer `docs/abi.md` gives.
struct Row {
    op: Op,
    attack: Attack,
    expect: Got,
}

/// Each row is a test of its own and an entry of [`MATRIX`].
macro_rules! matrix {
    ($($test:ident: $op:ident, $attack:ident => $expect:expr;)*) => {
        const MATRIX: &[Row] = &[
            $(Row { op: Op::$op, attack: Attack::$attack, expect: $expect },)*
        ];
        $(
            #[test]
            fn $test() {
                check_row(&Row { op: Op::$op, attack: Attack::$attack, expect: $expect });
            }
        )*
    };
}

use Error::{NoSendRight, NoSuchMailbox, NoSuchProcess, NotChild, NotOwner, WouldBlock};
use Got::{Allowed, Dropped, Refused, TrueSender};

matrix! {
    // A non-owner may send, call and look up: mailboxes are for anyone to write to.
    non_owner_delete_mailbox: DeleteMailbox, NonOwner => Refused(NotOwner);
    non_owner_transfer_mailbox: TransferMailbox, NonOwner => Refused(NotOwner);
    non_owner_send_mailbox: SendMailbox, NonOwner => Allowed;
    non_owner_receive_mailbox: ReceiveMailbox, NonOwner => Refused(NotOwner);
    // `receive` reads the caller's own inbox only: a message for someone else is not there.
    non_owner_receive_process: ReceiveProcess, NonOwner => Refused(WouldBlock);
    non_owner_call_mailbox: CallMailbox, NonOwner => Allowed;
    non_owner_reply: Reply, NonOwner => Dropped;
    non_owner_wait: Wait, NonOwner => Refused(NotChild);
    non_owner_lookup: Lookup, NonOwner => Allowed;

    former_owner_delete_mailbox: DeleteMailbox, FormerOwner => Refused(NotOwner);
    former_owner_transfer_mailbox: TransferMailbox, FormerOwner => Refused(NotOwner);
    former_owner_receive_mailbox: ReceiveMailbox, FormerOwner => Refused(NotOwner);

    stale_delete_mailbox: DeleteMailbox, StaleId => Refused(NoSuchMailbox);
    stale_transfer_mailbox: TransferMailbox, StaleId => Refused(NoSuchMailbox);
    stale_transfer_to: TransferTo, StaleId => Refused(NoSuchProcess);
    stale_send_mailbox: SendMailbox, StaleId => Refused(NoSuchMailbox);
    stale_send_process: SendProcess, StaleId => Refused(NoSuchProcess);
    stale_receive_mailbox: ReceiveMailbox, StaleId => Refused(NoSuchMailbox);
    stale_receive_process: ReceiveProcess, StaleId => Refused(NoSuchProcess);
    stale_call_mailbox: CallMailbox, StaleId => Refused(NoSuchMailbox);
    stale_call_process: CallProcess, StaleId => Refused(NoSuchProcess);
    stale_reply: Reply, StaleId => Dropped;
    stale_wait: Wait, StaleId => Refused(NoSuchProcess);
    stale_lookup: Lookup, StaleId => Refused(NoSuchMailbox);

    // A zombie's pid still resolves, but only `wait` accepts it; a mailbox dies with its
    // owner.
    exited_delete_mailbox: DeleteMailbox, Exited => Refused(NoSuchMailbox);
    exited_transfer_mailbox: TransferMailbox, Exited => Refused(NoSuchMailbox);
    exited_transfer_to: TransferTo, Exited => Refused(NoSuchProcess);
    exited_send_mailbox: SendMailbox, Exited => Refused(NoSuchMailbox);
    exited_send_process: SendProcess, Exited => Refused(NoSuchProcess);
    exited_receive_mailbox: ReceiveMailbox, Exited => Refused(NoSuchMailbox);
    exited_receive_process: ReceiveProcess, Exited => Refused(NoSuchProcess);
    exited_call_mailbox: CallMailbox, Exited => Refused(NoSuchMailbox);
    exited_call_process: CallProcess, Exited => Refused(NoSuchProcess);
    exited_reply: Reply, Exited => Dropped;
    exited_wait: Wait, Exited => Allowed;
    exited_lookup: Lookup, Exited => Refused(NoSuchMailbox);

    // Spare registers naming the owner or the parent change nothing; a receiver sees the
    // true sender, and a symmetric receive filters on it.
    forged_delete_mailbox: DeleteMailbox, ForgedSender => Refused(NotOwner);
    forged_transfer_mailbox: TransferMailbox, ForgedSender => Refused(NotOwner);
    forged_send_mailbox: SendMailbox, ForgedSender => TrueSender;
    forged_send_process: SendProcess, ForgedSender => TrueSender;
    forged_receive_mailbox: ReceiveMailbox, ForgedSender => Refused(NotOwner);
    forged_receive_process: ReceiveProcess, ForgedSender => Refused(WouldBlock);
    forged_call_mailbox: CallMailbox, ForgedSender => TrueSender;
    forged_call_process: CallProcess, ForgedSender => TrueSender;
    forged_reply: Reply, ForgedSender => TrueSender;
    forged_wait: Wait, ForgedSender => Refused(NotChild);

    // Only the owner grants or revokes the receive privilege: a process cannot grant itself
    // the right to read another's mailbox, nor take a receiver's right away.
    non_owner_grant_receive: GrantReceive, NonOwner => Refused(NotOwner);
    non_owner_revoke_receive: RevokeReceive, NonOwner => Refused(NotOwner);
    former_owner_grant_receive: GrantReceive, FormerOwner => Refused(NotOwner);
    former_owner_revoke_receive: RevokeReceive, FormerOwner => Refused(NotOwner);
    stale_grant_receive: GrantReceive, StaleId => Refused(NoSuchMailbox);
    stale_revoke_receive: RevokeReceive, StaleId => Refused(NoSuchMailbox);
    exited_grant_receive: GrantReceive, Exited => Refused(NoSuchMailbox);
    exited_revoke_receive: RevokeReceive, Exited => Refused(NoSuchMailbox);
    forged_grant_receive: GrantReceive, ForgedSender => Refused(NotOwner);
    forged_revoke_receive: RevokeReceive, ForgedSender => Refused(NotOwner);

    // A select over a set naming a mailbox needs the right to receive from each.
    non_owner_select_mailbox: SelectMailbox, NonOwner => Refused(NotOwner);
    former_owner_select_mailbox: SelectMailbox, FormerOwner => Refused(NotOwner);
    stale_select_mailbox: SelectMailbox, StaleId => Refused(NoSuchMailbox);
    exited_select_mailbox: SelectMailbox, Exited => Refused(NoSuchMailbox);

    // A right travels in a message only from a process that holds it: a receive right
    // (ownership) from the owner, a send right from a holder. The creator keeps the send
    // right it was born with after giving the mailbox away.
    non_owner_pass_receive_right: PassReceiveRight, NonOwner => Refused(NotOwner);
    former_owner_pass_receive_right: PassReceiveRight, FormerOwner => Refused(NotOwner);
    stale_pass_receive_right: PassReceiveRight, StaleId => Refused(NoSuchMailbox);
    exited_pass_receive_right: PassReceiveRight, Exited => Refused(NoSuchMailbox);
    non_owner_grant_send: GrantSend, NonOwner => Refused(NoSendRight);
    former_owner_grant_send: GrantSend, FormerOwner => Allowed;
    stale_grant_send: GrantSend, StaleId => Refused(NoSuchMailbox);
    exited_grant_send: GrantSend, Exited => Refused(NoSuchMailbox);

    not_waiting_reply: Reply, NotWaiting => Dropped;
    unreceived_reply: Reply, Unreceived => Dropped;
}

/// Pairs without a row, and why.
const NOT_APPLICABLE: &[(Attack, &[Op], &str)] = &[
    (
        Attack::NonOwner,
        &[Op::TransferTo],
        "any live process may be made an owner",
    ),
    (
        Attack::NonOwner,
        &[Op::SendProcess, Op::CallProcess],
        "a process's inbox takes messages from anyone",
    ),
    (
        Attack::FormerOwner,
        &[
            Op::TransferTo,
            Op::SendMailbox,
            Op::SendProcess,
            Op::ReceiveProcess,
            Op::CallMailbox,
            Op::CallProcess,
            Op::Reply,
            Op::Wait,
            Op::Lookup,
        ],
        "ownership only guards receive, delete and transfer of a mailbox",
    ),
    (
        Attack::ForgedSender,
        &[Op::TransferTo, Op::Lookup],
        "no sender or owner is involved to forge",
    ),
    (
        Attack::ForgedSender,
        &[Op::SelectMailbox],
        "a select's set is in its bytes, and its registers name no sender or owner",
    ),
    (
        Attack::ForgedSender,
        &[Op::PassReceiveRight, Op::GrantSend],
        "every register is used: the right's mailbox, the destination or the grantee",
    ),
    (
        Attack::NotWaiting,
        &[
            Op::DeleteMailbox,
            Op::TransferMailbox,
            Op::TransferTo,
            Op::SendMailbox,
            Op::SendProcess,
            Op::ReceiveMailbox,
            Op::ReceiveProcess,
            Op::CallMailbox,
            Op::CallProcess,
            Op::Wait,
            Op::Lookup,
            Op::GrantReceive,
            Op::RevokeReceive,
            Op::SelectMailbox,
            Op::PassReceiveRight,
            Op::GrantSend,
        ],
        "only a reply is aimed at a process waiting for it",
    ),
    (
        Attack::Unreceived,
        &[
            Op::DeleteMailbox,
            Op::TransferMailbox,
            Op::TransferTo,
            Op::SendMailbox,
            Op::SendProcess,
            Op::ReceiveMailbox,
            Op::ReceiveProcess,
            Op::CallMailbox,
            Op::CallProcess,
            Op::Wait,
            Op::Lookup,
            Op::GrantReceive,
            Op::RevokeReceive,
            Op::SelectMailbox,
            Op::PassReceiveRight,
            Op::GrantSend,
        ],
        "only a reply is aimed at a process waiting for it",
    ),
];

#[test]
fn every_pair_is_a_row_or_has_a_reason() {
    let rows: BTreeSet<(Op, Attack)> = MATRIX.iter().map(|r| (r.op, r.attack)).collect();
    assert_eq!(rows.len(), MATRIX.len(), "no pair has two rows");
    let mut skipped = BTreeSet::new();
    for (attack, ops, why) in NOT_APPLICABLE {
        assert!(!why.is_empty());
        for op in *ops {
            assert!(
                skipped.insert((*op, *attack)),
                "{op:?} x {attack:?} listed twice"
            );
            assert!(
                !rows.contains(&(*op, *attack)),
                "{op:?} x {attack:?} has a row"
            );
        }
    }
    for op in OPS {
        for attack in ATTACKS {
            assert!(
                rows.contains(&(op, attack)) || skipped.contains(&(op, attack)),
                "{op:?} x {attack:?} has neither a row nor a reason"
            );
        }
    }
    assert_eq!(rows.len() + skipped.len(), OPS.len() * ATTACKS.len());
    // Every attack the issue names has a row for every syscall it applies to.
    for attack in [
        Attack::NonOwner,
        Attack::StaleId,
        Attack::Exited,
        Attack::ForgedSender,
    ] {
        assert!(MATRIX.iter().filter(|r| r.attack == attack).count() >= 9);
    }
}

#[test]
fn every_syscall_that_names_a_mailbox_or_a_process_is_in_the_matrix() {
    let covered: BTreeSet<Sysno> = MATRIX.iter().map(|r| r.op.sysno()).collect();
    let nothing: BTreeSet<Sysno> = NAMES_NOTHING.iter().map(|(s, _)| *s).collect();
    assert!(covered.is_disjoint(&nothing));
    let all: BTreeSet<Sysno> = Sysno::ALL.iter().copied().collect();
    let union: BTreeSet<Sysno> = covered.union(&nothing).copied().collect();
    assert_eq!(union, all, "a new syscall needs rows or a reason");
}

// ----- the harness -----

/// What the programs of one row saw.
#[derive(Default)]
struct Probe {
    /// What the attack got.
    got: Option<Got>,
    /// Harm done to an object the attack must not reach, one line each.
    harm: Vec<String>,
    /// The mailbox under attack, from the process that made it.
    mb: Option<MailboxId>,
    /// Processes by role, from the processes themselves.
    pids: BTreeMap<&'static str, Pid>,
    /// What a caller's `call` returned: the replier and the bytes.
    reply: Option<(Pid, Vec<u8>)>,
}

type Shared = Rc<RefCell<Probe>>;

fn got(p: &Shared, g: Got) {
    p.borrow_mut().got = Some(g);
}

fn harm(p: &Shared, what: impl Into<String>) {
    p.borrow_mut().harm.push(what.into());
}

fn role(p: &Shared, name: &'static str, pid: Pid) {
    p.borrow_mut().pids.insert(name, pid);
}

fn pid_of(p: &Shared, name: &str) -> Pid {
    p.borrow()
        .pids
        .get(name)
        .copied()
        .unwrap_or(Pid::from_raw(u64::MAX))
}

fn mailbox(p: &Shared) -> MailboxId {
    p.borrow().mb.unwrap_or(MailboxId::from_raw(u64::MAX))
}

fn refused_or_allowed<T>(r: &SysResult<T>) -> Got {
    match r {
        Ok(_) => Allowed,
        Err(e) => Refused(*e),
    }
}

/// Add a program whose body gets the row's probe.
fn add<F, Fut>(t: &mut ProgramTable, name: &str, p: &Shared, body: F)
where
    F: Fn(Sys, u64, Shared) -> Fut + 'static,
    Fut: Future<Output = i32> + 'static,
{
    let p = p.clone();
    t.add(name, name, move |sys, arg| body(sys, arg, p.clone()));
}

/// Ticks a program sleeps to let the others reach the next phase. Each phase is a handful
/// of syscalls (a tick or two each); the margin keeps the order whatever the scheduler does.
const PHASE: u64 = 60;

/// A long timeout for calls that must be answered in a later phase.
const PATIENT: Mode = Mode::Timeout(20 * PHASE);

/// Run a row's programs (`main` first) and hold the run to the house rules.
fn run_row(t: ProgramTable, p: &Shared) -> Report {
    let report = run_with(config(), t, "main");
    for e in &report.exited {
        if matches!(e.reason, ExitReason::Panicked(_) | ExitReason::Fault(_)) {
            harm(p, format!("{} ended by {:?}", e.name, e.reason));
        }
    }
    if report.outcome != Outcome::Completed {
        harm(p, format!("the run ended {:?}", report.outcome));
    }
    if report.exit_named("main").map(|e| e.code) != Some(0) {
        harm(p, format!("main exited {:?}", report.exit_named("main")));
    }
    report
}

/// Whether the trace shows a reply to `to` dropped.
fn reply_dropped(report: &Report, to: Pid) -> bool {
    report
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::ReplyDropped { to: t, .. } if t == to))
}

/// After a reply attack on `target`: `Dropped` if the trace dropped it and the target's own
/// call was answered by `server` with `b"real"`, else `Delivered`.
fn reply_verdict(p: &Shared, report: &Report, target: Pid, server: Pid) -> Got {
    let answered = p.borrow().reply.clone();
    if reply_dropped(report, target) && answered == Some((server, b"real".to_vec())) {
        Dropped
    } else {
        harm(p, format!("the caller's call returned {answered:?}"));
        Got::Delivered
    }
}

fn check_row(row: &Row) {
    let p: Shared = Rc::default();
    match row.attack {
        Attack::NonOwner => non_owner(row.op, &p),
        Attack::FormerOwner => former_owner(row.op, &p),
        Attack::StaleId => stale(row.op, &p),
        Attack::Exited => exited(row.op, &p),
        Attack::ForgedSender => forged(row.op, &p),
        Attack::NotWaiting => not_waiting(&p),
        Attack::Unreceived => unreceived(&p),
    }
    let probe = p.borrow();
    assert_eq!(
        probe.got,
        Some(row.expect),
        "{:?} x {:?}: the attack's answer (harm: {:?})",
        row.op,
        row.attack,
        probe.harm
    );
    assert!(
        probe.harm.is_empty(),
        "{:?} x {:?} did harm: {:#?}",
        row.op,
        row.attack,
        probe.harm
    );
}

/// A caller: calls `arg` (a mailbox id if `kind` is 1, else a pid) and records the reply.
async fn caller(sys: Sys, dest: abi::Dest, p: Shared) -> i32 {
    let me = sys.getpid().await;
    role(&p, "caller", me);
    match sys.call(dest, b"request", PATIENT).await {
        Ok(m) => p.borrow_mut().reply = Some((m.sender, m.bytes.into_vec())),
        Err(e) => harm(&p, format!("the caller's call failed: {e}")),
    }
    0
}

// ----- the attacks -----

/// `main` attacks a mailbox `owner` made, `owner`'s child, a message `sender` left in
/// `owner`'s inbox, and a `caller` waiting for `owner`'s reply; `owner` then checks that all
/// of it is as it left it.
fn non_owner(op: Op, p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, move |sys, _, p| async move {
        let me = sys.getpid().await;
        role(&p, "main", me);
        let options = SpawnOptions::new("owner", 0).inbox(Capacity::Bounded(4));
        let Ok(owner) = sys.spawn_with(options).await else {
            return 1;
        };
        sys.sleep(PHASE).await;
        let mb = mailbox(&p);
        let g = match op {
            Op::DeleteMailbox => refused_or_allowed(&sys.delete_mailbox(mb).await),
            Op::TransferMailbox => refused_or_allowed(&sys.transfer_mailbox(mb, me).await),
            Op::GrantReceive => refused_or_allowed(&sys.grant_receive(mb, me).await),
            Op::RevokeReceive => refused_or_allowed(&sys.revoke_receive(mb, owner).await),
            Op::SelectMailbox => {
                refused_or_allowed(&sys.select(&[Source::Mailbox(mb)], Mode::NonBlocking).await)
            }
            Op::PassReceiveRight => refused_or_allowed(
                &sys.send_right(me, b"x", Mode::NonBlocking, Right::Receive(mb))
                    .await,
            ),
            Op::GrantSend => refused_or_allowed(&sys.grant_send(mb, me).await),
            Op::SendMailbox => {
                refused_or_allowed(&sys.send(mb, b"attack", Mode::NonBlocking).await)
            }
            Op::ReceiveMailbox => refused_or_allowed(&sys.receive(mb, Mode::NonBlocking).await),
            Op::ReceiveProcess => {
                let from = Source::Process(pid_of(&p, "sender"));
                refused_or_allowed(&sys.receive(from, Mode::NonBlocking).await)
            }
            Op::CallMailbox => {
                let r = sys.call(mb, b"attack", PATIENT).await;
                if let Ok(m) = &r {
                    if (m.sender, m.bytes.as_slice()) != (owner, b"answer".as_slice()) {
                        harm(&p, format!("the call was answered by {m:?}"));
                    }
                }
                refused_or_allowed(&r)
            }
            // The verdict comes from the caller, after the owner has answered it.
            Op::Reply => {
                if sys.reply(pid_of(&p, "caller"), b"attack").await.is_err() {
                    harm(&p, "reply failed");
                }
                return match sys.wait(owner).await {
                    Ok(0) => 0,
                    _ => 1,
                };
            }
            Op::Wait => {
                refused_or_allowed(&sys.wait_mode(pid_of(&p, "child"), Mode::NonBlocking).await)
            }
            Op::Lookup => {
                let r = sys.lookup_mailbox("guarded").await;
                if r.as_ref().is_ok_and(|&id| id != mb) {
                    harm(&p, "lookup found another mailbox");
                }
                refused_or_allowed(&r)
            }
            _ => unreachable!("no row"),
        };
        got(&p, g);
        match sys.wait(owner).await {
            Ok(0) => 0,
            _ => 1,
        }
    });
    add(&mut t, "owner", p, move |sys, _, p| async move {
        let me = sys.getpid().await;
        let Ok(mb) = sys
            .create_mailbox(Capacity::Bounded(4), Some("guarded"))
            .await
        else {
            return 1;
        };
        p.borrow_mut().mb = Some(mb);
        if sys.send(mb, b"mine", Mode::NonBlocking).await.is_err() {
            return 2;
        }
        let (Ok(child), Ok(sender), Ok(_)) = (
            sys.spawn("child", 5).await,
            sys.spawn("sender", me.raw()).await,
            sys.spawn("caller", mb.raw()).await,
        ) else {
            return 3;
        };
        role(&p, "child", child);
        role(&p, "sender", sender);
        sys.sleep(PHASE / 2).await;
        // The caller's request follows "mine" in the queue; taking both now leaves the
        // caller waiting for this process's reply while main attacks.
        let mine = sys.receive(mb, Mode::NonBlocking).await;
        let request = sys.receive(mb, Mode::NonBlocking).await;
        sys.sleep(2 * PHASE).await;
        if mine.map(|m| m.bytes.into_vec()) != Ok(b"mine".to_vec()) {
            harm(&p, "the owner's own message is gone");
        }
        match request {
            Ok(m) if m.is_call => {
                if sys.reply(m.sender, b"real").await.is_err() {
                    harm(&p, "the owner could not answer its caller");
                }
            }
            other => harm(&p, format!("the caller's request: {other:?}")),
        }
        if matches!(op, Op::SendMailbox | Op::CallMailbox) {
            match sys.receive(mb, Mode::NonBlocking).await {
                Ok(m) if m.sender == pid_of(&p, "main") => {
                    if m.is_call && sys.reply(m.sender, b"answer").await.is_err() {
                        harm(&p, "the owner could not answer main");
                    }
                }
                other => harm(&p, format!("main's message: {other:?}")),
            }
        }
        if sys.receive(mb, Mode::NonBlocking).await != Err(Error::WouldBlock) {
            harm(&p, "something else reached the mailbox");
        }
        let from_sender = sys
            .receive(Source::Process(sender), Mode::NonBlocking)
            .await;
        if from_sender.map(|m| m.bytes.into_vec()) != Ok(b"for the owner".to_vec()) {
            harm(&p, "the message in the owner's inbox was taken");
        }
        if sys.wait(child).await != Ok(5) {
            harm(&p, "the owner could not collect its child");
        }
        if sys.delete_mailbox(mb).await.is_err() {
            harm(&p, "the owner no longer owns its mailbox");
        }
        0
    });
    add(&mut t, "child", p, |sys, arg, _| async move {
        sys.sleep(PHASE / 2).await;
        arg as i32
    });
    // The sender stays alive through the attack: a receive from a process that has exited
    // answers `no_such_process`, which is another row.
    add(&mut t, "sender", p, |sys, arg, p| async move {
        if sys
            .send(Pid::from_raw(arg), b"for the owner", Mode::NonBlocking)
            .await
            .is_err()
        {
            harm(&p, "the sender could not send");
        }
        sys.sleep(4 * PHASE).await;
        0
    });
    add(&mut t, "caller", p, |sys, arg, p| {
        caller(sys, abi::Dest::Mailbox(MailboxId::from_raw(arg)), p)
    });
    let report = run_row(t, p);
    if op == Op::Reply {
        let v = reply_verdict(
            p,
            &report,
            pid_of(p, "caller"),
            report_pid(&report, "owner"),
        );
        got(p, v);
    }
}

/// The pid of the first process called `name` in the report.
fn report_pid(report: &Report, name: &str) -> Pid {
    report
        .exit_named(name)
        .map_or(Pid::from_raw(u64::MAX), |e| e.pid)
}

/// `main` makes a mailbox, queues a message in it, gives it to `heir`, then attacks it;
/// `heir` checks that it still owns the mailbox and the message.
fn former_owner(op: Op, p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, move |sys, _, p| async move {
        let me = sys.getpid().await;
        role(&p, "main", me);
        let Ok(mb) = sys.create_mailbox(Capacity::Bounded(2), None).await else {
            return 1;
        };
        p.borrow_mut().mb = Some(mb);
        let Ok(heir) = sys.spawn("heir", 0).await else {
            return 1;
        };
        let sent = sys.send(mb, b"kept", Mode::NonBlocking).await;
        if sent.is_err() || sys.transfer_mailbox(mb, heir).await.is_err() {
            return 2;
        }
        let g = match op {
            Op::DeleteMailbox => refused_or_allowed(&sys.delete_mailbox(mb).await),
            Op::TransferMailbox => refused_or_allowed(&sys.transfer_mailbox(mb, me).await),
            Op::ReceiveMailbox => refused_or_allowed(&sys.receive(mb, Mode::NonBlocking).await),
            Op::GrantReceive => refused_or_allowed(&sys.grant_receive(mb, me).await),
            Op::RevokeReceive => refused_or_allowed(&sys.revoke_receive(mb, heir).await),
            Op::SelectMailbox => {
                refused_or_allowed(&sys.select(&[Source::Mailbox(mb)], Mode::NonBlocking).await)
            }
            Op::PassReceiveRight => refused_or_allowed(
                &sys.send_right(me, b"x", Mode::NonBlocking, Right::Receive(mb))
                    .await,
            ),
            Op::GrantSend => refused_or_allowed(&sys.grant_send(mb, me).await),
            _ => unreachable!("no row"),
        };
        got(&p, g);
        match sys.wait(heir).await {
            Ok(0) => 0,
            _ => 1,
        }
    });
    add(&mut t, "heir", p, |sys, _, p| async move {
        sys.sleep(PHASE).await;
        let mb = mailbox(&p);
        if sys
            .receive(mb, Mode::NonBlocking)
            .await
            .map(|m| m.bytes.into_vec())
            != Ok(b"kept".to_vec())
        {
            harm(&p, "the new owner lost the message");
        }
        if sys.delete_mailbox(mb).await.is_err() {
            harm(&p, "the new owner could not delete its mailbox");
        }
        0
    });
    run_row(t, p);
}

/// The stale id: a mailbox deleted and made again in its slot, or a child collected and
/// another spawned in its slot. `main` holds the old id *and* is the new object's owner or
/// parent, so only the generation stands between the two.
fn stale(op: Op, p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, move |sys, _, p| async move {
        let me = sys.getpid().await;
        role(&p, "main", me);
        let Ok(own) = sys.create_mailbox(Capacity::Bounded(2), Some("own")).await else {
            return 1;
        };
        // The mailbox side.
        let (Ok(old), Ok(())) = (
            sys.create_mailbox(Capacity::Bounded(4), Some("old")).await,
            sys.send(own, b"own", Mode::NonBlocking).await,
        ) else {
            return 1;
        };
        if sys.delete_mailbox(old).await.is_err() {
            return 1;
        }
        let Ok(new) = sys.create_mailbox(Capacity::Bounded(4), Some("new")).await else {
            return 1;
        };
        if new.index() != old.index() || new == old {
            harm(&p, format!("the slot was not reused: {old} then {new}"));
        }
        if sys.send(new, b"keep", Mode::NonBlocking).await.is_err() {
            return 2;
        }
        // The process side: the victim takes the collected child's slot.
        let Ok(gone) = sys.spawn("quick", 0).await else {
            return 1;
        };
        if sys.wait(gone).await != Ok(0) {
            return 3;
        }
        let options = SpawnOptions::new("victim", me.raw()).inbox(Capacity::Bounded(2));
        let Ok(victim) = sys.spawn_with(options).await else {
            return 1;
        };
        if victim.index() != gone.index() || victim == gone {
            harm(&p, format!("the slot was not reused: {gone} then {victim}"));
        }
        role(&p, "victim", victim);
        role(&p, "gone", gone);
        sys.sleep(PHASE).await;
        let g = match op {
            Op::DeleteMailbox => refused_or_allowed(&sys.delete_mailbox(old).await),
            Op::TransferMailbox => refused_or_allowed(&sys.transfer_mailbox(old, victim).await),
            Op::GrantReceive => refused_or_allowed(&sys.grant_receive(old, me).await),
            Op::SelectMailbox => {
                refused_or_allowed(&sys.select(&[Source::Mailbox(old)], Mode::NonBlocking).await)
            }
            Op::PassReceiveRight => refused_or_allowed(
                &sys.send_right(me, b"x", Mode::NonBlocking, Right::Receive(old))
                    .await,
            ),
            Op::GrantSend => refused_or_allowed(&sys.grant_send(old, me).await),
            Op::RevokeReceive => refused_or_allowed(&sys.revoke_receive(old, victim).await),
            Op::TransferTo => refused_or_allowed(&sys.transfer_mailbox(own, gone).await),
            Op::SendMailbox => {
                refused_or_allowed(&sys.send(old, b"attack", Mode::NonBlocking).await)
            }
            Op::SendProcess => {
                refused_or_allowed(&sys.send(gone, b"attack", Mode::NonBlocking).await)
            }
            Op::ReceiveMailbox => refused_or_allowed(&sys.receive(old, Mode::NonBlocking).await),
            Op::ReceiveProcess => {
                // The victim's message waits in main's inbox: a receive from the old pid
                // must not take it.
                refused_or_allowed(&sys.receive(Source::Process(gone), Mode::NonBlocking).await)
            }
            Op::CallMailbox => refused_or_allowed(&sys.call(old, b"attack", PATIENT).await),
            Op::CallProcess => refused_or_allowed(&sys.call(gone, b"attack", PATIENT).await),
            Op::Reply => {
                // The victim waits in a call main has received: a reply to the old pid must
                // not reach it; the real one must.
                match sys.receive(Source::Process(victim), Mode::Blocking).await {
                    Ok(m) if m.is_call => {}
                    other => harm(&p, format!("the victim's call: {other:?}")),
                }
                if sys.reply(gone, b"attack").await.is_err() {
                    harm(&p, "reply failed");
                }
                sys.sleep(PHASE).await;
                if sys.reply(victim, b"real").await.is_err() {
                    harm(&p, "the real reply failed");
                }
                Allowed
            }
            Op::Wait => refused_or_allowed(&sys.wait_mode(gone, Mode::NonBlocking).await),
            Op::Lookup => refused_or_allowed(&sys.lookup_mailbox("old").await),
        };
        got(&p, g);
        // The new objects are untouched.
        if sys
            .receive(new, Mode::NonBlocking)
            .await
            .map(|m| m.bytes.into_vec())
            != Ok(b"keep".to_vec())
        {
            harm(&p, "the new mailbox lost its message");
        }
        if sys.receive(new, Mode::NonBlocking).await != Err(Error::WouldBlock) {
            harm(&p, "something reached the new mailbox");
        }
        if sys.lookup_mailbox("new").await != Ok(new) {
            harm(&p, "the new mailbox's name moved");
        }
        if sys.delete_mailbox(new).await.is_err() {
            harm(&p, "main no longer owns the new mailbox");
        }
        if sys
            .receive(own, Mode::NonBlocking)
            .await
            .map(|m| m.bytes.into_vec())
            != Ok(b"own".to_vec())
        {
            harm(&p, "main's own mailbox changed hands");
        }
        if op == Op::ReceiveProcess {
            let m = sys
                .receive(Source::Process(victim), Mode::NonBlocking)
                .await;
            if m.map(|m| m.bytes.into_vec()) != Ok(b"from the victim".to_vec()) {
                harm(&p, "the victim's message was taken");
            }
        }
        if op != Op::Reply {
            // Tell the victim to finish; it must see exactly this message.
            if sys.send(victim, b"real", Mode::Blocking).await.is_err() {
                harm(&p, "main could not reach the victim");
            }
        }
        if sys.wait(victim).await != Ok(9) {
            harm(&p, "the victim's exit code was not collected");
        }
        0
    });
    add(&mut t, "quick", p, |_sys, _, _| async move { 0 });
    add(&mut t, "victim", p, move |sys, arg, p| async move {
        let parent = Pid::from_raw(arg);
        match op {
            Op::ReceiveProcess => {
                if sys
                    .send(parent, b"from the victim", Mode::Blocking)
                    .await
                    .is_err()
                {
                    harm(&p, "the victim could not send");
                }
                let m = sys.receive(Source::Any, PATIENT).await;
                if m.map(|m| m.bytes.into_vec()) != Ok(b"real".to_vec()) {
                    harm(&p, "the victim got something else first");
                }
            }
            Op::Reply => match sys.call(parent, b"request", PATIENT).await {
                Ok(m) => p.borrow_mut().reply = Some((m.sender, m.bytes.into_vec())),
                Err(e) => harm(&p, format!("the victim's call failed: {e}")),
            },
            _ => {
                // The first message to reach the victim must be main's real one.
                let m = sys.receive(Source::Any, PATIENT).await;
                if m.map(|m| (m.sender, m.bytes.into_vec())) != Ok((parent, b"real".to_vec())) {
                    harm(&p, "the victim got something else first");
                }
            }
        }
        9
    });
    let report = run_row(t, p);
    if op == Op::Reply {
        let v = reply_verdict(p, &report, pid_of(p, "gone"), report_pid(&report, "main"));
        got(p, v);
    }
}

/// The exited: a child that has exited and not been collected (a zombie), and a mailbox
/// whose owner has exited.
fn exited(op: Op, p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, move |sys, _, p| async move {
        let Ok(own) = sys.create_mailbox(Capacity::Bounded(2), None).await else {
            return 1;
        };
        let (Ok(zombie), Ok(owner)) = (sys.spawn("quick", 7).await, sys.spawn("owner", 0).await)
        else {
            return 1;
        };
        // Collect the owner: its mailbox died with it. The zombie stays uncollected.
        if sys.wait(owner).await != Ok(0) {
            return 2;
        }
        sys.sleep(PHASE).await;
        let dead = mailbox(&p);
        let g = match op {
            Op::DeleteMailbox => refused_or_allowed(&sys.delete_mailbox(dead).await),
            Op::TransferMailbox => refused_or_allowed(&sys.transfer_mailbox(dead, zombie).await),
            Op::GrantReceive => refused_or_allowed(&sys.grant_receive(dead, zombie).await),
            Op::SelectMailbox => refused_or_allowed(
                &sys.select(&[Source::Mailbox(dead)], Mode::NonBlocking)
                    .await,
            ),
            Op::PassReceiveRight => refused_or_allowed(
                &sys.send_right(zombie, b"x", Mode::NonBlocking, Right::Receive(dead))
                    .await,
            ),
            Op::GrantSend => refused_or_allowed(&sys.grant_send(dead, zombie).await),
            Op::RevokeReceive => refused_or_allowed(&sys.revoke_receive(dead, zombie).await),
            Op::TransferTo => refused_or_allowed(&sys.transfer_mailbox(own, zombie).await),
            Op::SendMailbox => refused_or_allowed(&sys.send(dead, b"x", Mode::NonBlocking).await),
            Op::SendProcess => refused_or_allowed(&sys.send(zombie, b"x", Mode::NonBlocking).await),
            Op::ReceiveMailbox => refused_or_allowed(&sys.receive(dead, Mode::NonBlocking).await),
            Op::ReceiveProcess => {
                refused_or_allowed(&sys.receive(Source::Process(zombie), Mode::Blocking).await)
            }
            Op::CallMailbox => refused_or_allowed(&sys.call(dead, b"x", PATIENT).await),
            Op::CallProcess => refused_or_allowed(&sys.call(zombie, b"x", PATIENT).await),
            Op::Reply => {
                if sys.reply(zombie, b"x").await.is_err() {
                    harm(&p, "reply failed");
                }
                Allowed
            }
            Op::Wait => {
                let r = sys.wait_mode(zombie, Mode::NonBlocking).await;
                if r.is_ok_and(|code| code != 7) {
                    harm(&p, format!("wait collected {r:?}"));
                }
                refused_or_allowed(&r)
            }
            Op::Lookup => refused_or_allowed(&sys.lookup_mailbox("doomed").await),
        };
        got(&p, g);
        if op != Op::Wait && sys.wait(zombie).await != Ok(7) {
            harm(&p, "the zombie's code was not collected");
        }
        if sys.receive(own, Mode::NonBlocking).await != Err(Error::WouldBlock) {
            harm(&p, "main's own mailbox changed");
        }
        0
    });
    add(&mut t, "quick", p, |_sys, arg, _| async move { arg as i32 });
    add(&mut t, "owner", p, |sys, _, p| async move {
        let Ok(mb) = sys
            .create_mailbox(Capacity::Bounded(2), Some("doomed"))
            .await
        else {
            return 1;
        };
        p.borrow_mut().mb = Some(mb);
        match sys.send(mb, b"lost", Mode::NonBlocking).await {
            Ok(()) => 0,
            Err(_) => 1,
        }
    });
    let report = run_row(t, p);
    if report.ledger.dropped.total() != 1 {
        harm(
            p,
            format!("the dead mailbox's message: {:?}", report.ledger),
        );
    }
    if op == Op::Reply {
        let zombie = report_pid(&report, "quick");
        let dropped = reply_dropped(&report, zombie);
        got(p, if dropped { Dropped } else { Got::Delivered });
    }
}

/// Raw frames whose spare registers and payload claim to come from `victim` (a live process
/// that sleeps through the run and must receive nothing), aimed at `receiver`, which owns a
/// mailbox, and at a `parent`'s child.
fn forged(op: Op, p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, move |sys, _, p| async move {
        let me = sys.getpid().await;
        role(&p, "main", me);
        let Ok(victim) = sys.spawn("victim", 0).await else {
            return 1;
        };
        let options = SpawnOptions::new("receiver", victim.raw()).inbox(Capacity::Bounded(4));
        let Ok(receiver) = sys.spawn_with(options).await else {
            return 1;
        };
        let Ok(parent) = sys.spawn("parent", 0).await else {
            return 1;
        };
        if op == Op::Reply && sys.spawn("caller", me.raw()).await.is_err() {
            return 1;
        }
        sys.sleep(PHASE).await;
        let mb = mailbox(&p).raw();
        let v = victim.raw();
        let claim = v.to_le_bytes();
        let status = |ret: [u64; 4]| match ret[0] {
            0 => Allowed,
            code => Refused(Error::from_code(code).unwrap_or(Error::UnknownSyscall)),
        };
        let raw = |sysno: Sysno, args: [u64; 6]| sys.raw_syscall(sysno as u64, args, &claim);
        let r = receiver.raw();
        let g = match op {
            Op::DeleteMailbox => Some(status(raw(Sysno::DeleteMailbox, [mb, r, r, r, r, r]).await)),
            Op::TransferMailbox => Some(status(
                raw(Sysno::TransferMailbox, [mb, me.raw(), r, r, r, r]).await,
            )),
            Op::GrantReceive => Some(status(
                raw(Sysno::GrantReceive, [mb, me.raw(), r, r, r, r]).await,
            )),
            Op::RevokeReceive => Some(status(raw(Sysno::RevokeReceive, [mb, r, r, r, r, r]).await)),
            Op::ReceiveMailbox => {
                // Non-blocking, with the owner's pid in the spare register.
                Some(status(raw(Sysno::Receive, [1, mb, 64, 1, 0, r]).await))
            }
            Op::SendMailbox => {
                status(raw(Sysno::Send, [1, mb, 8, 0, 0, v]).await);
                None
            }
            Op::SendProcess | Op::ReceiveProcess => {
                status(raw(Sysno::Send, [0, r, 8, 0, 0, v]).await);
                None
            }
            Op::CallMailbox | Op::CallProcess => {
                // Every register of a call is used: the claim is in the payload only.
                let (kind, id) = if op == Op::CallMailbox {
                    (1, mb)
                } else {
                    (0, r)
                };
                let ret = raw(Sysno::Call, [kind, id, 8, 0, 0, 64]).await;
                if ret[..3] != [0, r, 6] {
                    harm(&p, format!("the call returned {ret:?}"));
                }
                None
            }
            Op::Reply => {
                let caller = pid_of(&p, "caller");
                match sys.receive(Source::Process(caller), Mode::Blocking).await {
                    Ok(m) if m.is_call => {}
                    other => harm(&p, format!("the caller's request: {other:?}")),
                }
                let ret = raw(Sysno::Reply, [caller.raw(), 8, v, v, v, v]).await;
                if ret != [0; 4] {
                    harm(&p, format!("the reply returned {ret:?}"));
                }
                None
            }
            Op::Wait => {
                let child = pid_of(&p, "child").raw();
                let parent = parent.raw();
                Some(status(
                    raw(Sysno::Wait, [child, 1, 0, parent, parent, parent]).await,
                ))
            }
            _ => unreachable!("no row"),
        };
        if let Some(g) = g {
            got(&p, g);
        }
        for child in [victim, receiver, parent] {
            if sys.wait(child).await.is_err() {
                harm(&p, "a helper was not collected");
            }
        }
        0
    });
    // The victim: alive throughout, and must receive nothing.
    add(&mut t, "victim", p, |sys, _, p| async move {
        let me = sys.getpid().await;
        role(&p, "victim", me);
        sys.sleep(3 * PHASE).await;
        if sys.receive(Source::Any, Mode::NonBlocking).await != Err(Error::WouldBlock) {
            harm(&p, "the victim received something");
        }
        0
    });
    // The receiver: owns the mailbox, takes what main sends and records who it came from.
    add(&mut t, "receiver", p, move |sys, arg, p| async move {
        let victim = Pid::from_raw(arg);
        let Ok(mb) = sys.create_mailbox(Capacity::Bounded(4), None).await else {
            return 1;
        };
        p.borrow_mut().mb = Some(mb);
        sys.sleep(2 * PHASE).await;
        let main = pid_of(&p, "main");
        let stamped = |sender: Pid| {
            if sender == main {
                TrueSender
            } else {
                Got::Forged
            }
        };
        match op {
            Op::SendMailbox | Op::CallMailbox | Op::SendProcess | Op::CallProcess => {
                let source = match op {
                    Op::SendMailbox | Op::CallMailbox => Source::Mailbox(mb),
                    _ => Source::Any,
                };
                match sys.receive(source, Mode::NonBlocking).await {
                    Ok(m) => {
                        got(&p, stamped(m.sender));
                        if m.is_call && sys.reply(m.sender, b"answer").await.is_err() {
                            harm(&p, "the receiver could not answer");
                        }
                    }
                    Err(e) => harm(&p, format!("the receiver got nothing: {e}")),
                }
            }
            Op::ReceiveProcess => {
                let r = sys
                    .receive(Source::Process(victim), Mode::NonBlocking)
                    .await;
                got(&p, refused_or_allowed(&r));
                match sys.receive(Source::Any, Mode::NonBlocking).await {
                    Ok(m) if m.sender == main => {}
                    other => harm(&p, format!("main's message: {other:?}")),
                }
            }
            _ => {
                // The owner still owns it, with nothing taken.
                if sys.receive(mb, Mode::NonBlocking).await != Err(Error::WouldBlock) {
                    harm(&p, "the mailbox changed");
                }
            }
        }
        if sys.delete_mailbox(mb).await.is_err() {
            harm(&p, "the receiver no longer owns its mailbox");
        }
        0
    });
    add(&mut t, "parent", p, |sys, _, p| async move {
        let Ok(child) = sys.spawn("child", 0).await else {
            return 1;
        };
        role(&p, "child", child);
        if sys.wait(child).await != Ok(4) {
            harm(&p, "the parent could not collect its child");
        }
        0
    });
    add(&mut t, "child", p, |sys, _, _| async move {
        sys.sleep(2 * PHASE).await;
        4
    });
    add(&mut t, "caller", p, |sys, arg, p| {
        caller(sys, abi::Dest::Process(Pid::from_raw(arg)), p)
    });
    run_row(t, p);
    if op == Op::Reply {
        let answered = p.borrow().reply.clone();
        match answered {
            Some((replier, bytes)) => {
                let main = pid_of(p, "main");
                got(
                    p,
                    if replier == main {
                        TrueSender
                    } else {
                        Got::Forged
                    },
                );
                if bytes != pid_of(p, "victim").raw().to_le_bytes() {
                    harm(p, "the reply's bytes changed");
                }
            }
            None => harm(p, "the caller got no reply"),
        }
    }
}

/// A reply to a process that is in no call at all: dropped; when that process later calls,
/// it gets the answer to its own call.
fn not_waiting(p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, |sys, _, p| async move {
        let me = sys.getpid().await;
        let Ok(target) = sys.spawn("target", me.raw()).await else {
            return 1;
        };
        role(&p, "target", target);
        if sys.reply(target, b"early").await.is_err() {
            harm(&p, "reply failed");
        }
        match sys.receive(Source::Process(target), Mode::Blocking).await {
            Ok(m) if m.is_call => {
                if sys.reply(target, b"real").await.is_err() {
                    harm(&p, "the real reply failed");
                }
            }
            other => harm(&p, format!("the target's call: {other:?}")),
        }
        match sys.wait(target).await {
            Ok(0) => 0,
            _ => 1,
        }
    });
    add(&mut t, "target", p, |sys, arg, p| async move {
        sys.sleep(PHASE).await;
        if sys.receive(Source::Any, Mode::NonBlocking).await != Err(Error::WouldBlock) {
            harm(&p, "the dropped reply arrived as a message");
        }
        caller(sys, abi::Dest::Process(Pid::from_raw(arg)), p).await
    });
    let report = run_row(t, p);
    let v = reply_verdict(p, &report, pid_of(p, "target"), report_pid(&report, "main"));
    got(p, v);
}

/// A reply to a caller whose request sits, not yet received, in the replier's own mailbox:
/// dropped; the caller gets the reply sent after the request is received.
fn unreceived(p: &Shared) {
    let mut t = ProgramTable::new();
    add(&mut t, "main", p, |sys, _, p| async move {
        let Ok(mb) = sys.create_mailbox(Capacity::Bounded(2), None).await else {
            return 1;
        };
        let Ok(caller) = sys.spawn("caller", mb.raw()).await else {
            return 1;
        };
        sys.sleep(PHASE).await;
        if sys.reply(caller, b"early").await.is_err() {
            harm(&p, "reply failed");
        }
        match sys.receive(mb, Mode::NonBlocking).await {
            Ok(m) if m.is_call && m.sender == caller => {
                if sys.reply(caller, b"real").await.is_err() {
                    harm(&p, "the real reply failed");
                }
            }
            other => harm(&p, format!("the caller's request: {other:?}")),
        }
        match sys.wait(caller).await {
            Ok(0) => 0,
            _ => 1,
        }
    });
    add(&mut t, "caller", p, |sys, arg, p| {
        caller(sys, abi::Dest::Mailbox(MailboxId::from_raw(arg)), p)
    });
    let report = run_row(t, p);
    let v = reply_verdict(p, &report, pid_of(p, "caller"), report_pid(&report, "main"));
    got(p, v);
}
