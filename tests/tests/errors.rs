//! One test per error code: each provokes the error from a program running on the machine,
//! through the typed userland stubs (a raw trap frame only where no stub can express the
//! mistake), checks the exact `Err(Error::X)` the program saw, and checks that the kernel
//! carried on: the program makes further calls after the error and the run succeeds.
//!
//! [`ERROR_TESTS`] pairs every code with its test; a code added to `abi::Error` without a
//! test here fails the build (the length check) and `every_error_code_has_a_test`.

use abi::{
    Capacity, Error, MailboxId, Mode, Overflow, Pid, Source, Sysno, TrapFrame, MAX_NAME_LEN,
    RET_REGS,
};
use kernel::ipc::MESSAGE_OVERHEAD;
use sim::{MachineConfig, Report};
use std::collections::BTreeSet;
use testkit::{config, run, run_with, Log};
use userland::{ProgramTable, SpawnOptions, Sys, SysResult};

// ----- harness -----

/// What one syscall returned, by the name the program gave it.
type Step = (&'static str, SysResult<()>);

/// The steps a run's programs record, in the order they happened.
#[derive(Clone)]
struct Steps(Log<Step>);

impl Default for Steps {
    fn default() -> Self {
        Steps(Log::new())
    }
}

impl Steps {
    /// Record `result` under `what` and hand it back for the program to go on with.
    fn rec<T>(&self, what: &'static str, result: SysResult<T>) -> SysResult<T> {
        self.0
            .push((what, result.as_ref().map(drop).map_err(|e| *e)));
        result
    }

    /// Record `result` under `what`.
    fn note<T>(&self, what: &'static str, result: SysResult<T>) {
        self.rec(what, result).ok();
    }

    /// Record a raw trap's status register, read the way the stubs read it.
    fn raw(&self, what: &'static str, ret: [u64; RET_REGS]) {
        self.0.push((what, status(ret)));
    }

    fn entries(&self) -> Vec<Step> {
        self.0.entries()
    }
}

/// The status of a raw trap's return registers, decoded by the ABI.
fn status(ret: [u64; RET_REGS]) -> SysResult<()> {
    TrapFrame {
        ret,
        ..TrapFrame::default()
    }
    .result()
    .map(drop)
}

/// The last step of every program: one more syscall that must work after the errors.
async fn carry_on(sys: &Sys, steps: &Steps) -> i32 {
    match steps.rec("carried on", sys.print("still here").await) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Assert the steps the programs recorded, and that every process exited 0 and the run
/// completed.
fn check(report: &Report, steps: &Steps, expected: &[Step]) {
    assert_eq!(steps.entries(), expected, "the results the programs saw");
    assert!(
        report.succeeded(),
        "every process exits 0 and the run completes: {:?}, exits {:#?}",
        report.outcome,
        report.exited
    );
    assert!(
        report.console_text().contains(&"still here"),
        "the program went on after the error: {:?}",
        report.console_text()
    );
}

/// A table with `main` and the helper programs the tests spawn:
/// - `idle`: returns 0 at once;
/// - `sleeper`: sleeps `arg` ticks, returns 0;
/// - `listener`: receives one message from anyone on its inbox (blocking), returns 0.
fn table<F, Fut>(main: F) -> ProgramTable
where
    F: Fn(Sys, u64) -> Fut + 'static,
    Fut: std::future::Future<Output = i32> + 'static,
{
    let mut t = ProgramTable::new();
    t.add("main", "the test's main program", main);
    t.add("idle", "returns at once", |_sys, _arg| async { 0 });
    t.add("sleeper", "sleeps arg ticks", |sys: Sys, arg| async move {
        sys.sleep(arg).await;
        0
    });
    t.add(
        "listener",
        "receives one message, then returns",
        |sys: Sys, _arg| async move {
            match sys.receive(Source::Any, Mode::Blocking).await {
                Ok(_) => 0,
                Err(_) => 1,
            }
        },
    );
    t
}

/// Success, in expected step lists.
const OK: SysResult<()> = Ok(());

// ----- the registry -----

/// Every error code and the test that provokes it.
const ERROR_TESTS: &[(Error, fn())] = &[
    (Error::NoSuchMailbox, no_such_mailbox),
    (Error::NoSuchProcess, no_such_process),
    (Error::NotOwner, not_owner),
    (Error::WouldBlock, would_block),
    (Error::TimedOut, timed_out),
    (Error::MailboxDeleted, mailbox_deleted),
    (Error::PeerExited, peer_exited),
    (Error::MessageTooLarge, message_too_large),
    (Error::BufferTooSmall, buffer_too_small),
    (Error::OutOfMemory, out_of_memory),
    (Error::InvalidArgument, invalid_argument),
    (Error::UnknownSyscall, unknown_syscall),
    (Error::NameInUse, name_in_use),
    (Error::NoSuchProgram, no_such_program),
    (Error::NotChild, not_child),
    (Error::Deadlock, deadlock),
    (Error::MailboxFull, mailbox_full),
];

// A new error code without a test here does not build.
const _: () = assert!(ERROR_TESTS.len() == Error::ALL.len());

#[test]
fn every_error_code_has_a_test() {
    assert_eq!(ERROR_TESTS.len(), Error::ALL.len(), "one test per code");
    let covered: BTreeSet<Error> = ERROR_TESTS.iter().map(|(e, _)| *e).collect();
    let all: BTreeSet<Error> = Error::ALL.iter().copied().collect();
    assert_eq!(covered, all, "each code is listed exactly once");
}

// ----- one test per code -----

#[test]
fn no_such_mailbox() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let never = MailboxId::new(9, 0);
                s.note(
                    "send to an id never issued",
                    sys.send(never, b"x", Mode::NonBlocking).await,
                );
                s.note("lookup an unknown name", sys.lookup_mailbox("nope").await);
                let Ok(mb) = s.rec(
                    "create",
                    sys.create_mailbox(Capacity::Unbounded, None).await,
                ) else {
                    return 1;
                };
                s.note("delete", sys.delete_mailbox(mb).await);
                s.note("delete again", sys.delete_mailbox(mb).await);
                s.note(
                    "send to deleted",
                    sys.send(mb, b"x", Mode::NonBlocking).await,
                );
                s.note(
                    "receive from deleted",
                    sys.receive(mb, Mode::NonBlocking).await,
                );
                s.note("call deleted", sys.call(mb, b"x", Mode::Timeout(5)).await);
                let me = sys.getpid().await;
                s.note("transfer deleted", sys.transfer_mailbox(mb, me).await);
                // The slot is reused: the old id must still name nothing.
                let Ok(fresh) = s.rec(
                    "create again",
                    sys.create_mailbox(Capacity::Unbounded, None).await,
                ) else {
                    return 1;
                };
                if fresh == mb {
                    return 2;
                }
                s.note(
                    "send to stale id",
                    sys.send(mb, b"x", Mode::NonBlocking).await,
                );
                s.note(
                    "fresh still works",
                    sys.send(fresh, b"y", Mode::NonBlocking).await,
                );
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::NoSuchMailbox as E;
    check(
        &report,
        &steps,
        &[
            ("send to an id never issued", Err(E)),
            ("lookup an unknown name", Err(E)),
            ("create", OK),
            ("delete", OK),
            ("delete again", Err(E)),
            ("send to deleted", Err(E)),
            ("receive from deleted", Err(E)),
            ("call deleted", Err(E)),
            ("transfer deleted", Err(E)),
            ("create again", OK),
            ("send to stale id", Err(E)),
            ("fresh still works", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        report.ledger.sent, 1,
        "only the send to the live mailbox entered"
    );
}

#[test]
fn no_such_process() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let never = Pid::new(50, 0);
                s.note(
                    "send to a pid never issued",
                    sys.send(never, b"x", Mode::NonBlocking).await,
                );
                s.note("wait for a pid never issued", sys.wait(never).await);
                let Ok(mb) = s.rec(
                    "create",
                    sys.create_mailbox(Capacity::Unbounded, None).await,
                ) else {
                    return 1;
                };
                s.note(
                    "transfer to a pid never issued",
                    sys.transfer_mailbox(mb, never).await,
                );
                let Ok(gone) = s.rec("spawn idle", sys.spawn("idle", 0).await) else {
                    return 1;
                };
                // Until its code is collected, an exited child is a zombie: only `wait`
                // accepts its pid.
                sys.sleep(5).await;
                s.note(
                    "send to zombie",
                    sys.send(gone, b"x", Mode::NonBlocking).await,
                );
                s.note("call zombie", sys.call(gone, b"x", Mode::Timeout(5)).await);
                s.note(
                    "receive from zombie",
                    sys.receive(Source::Process(gone), Mode::Blocking).await,
                );
                s.note("transfer to zombie", sys.transfer_mailbox(mb, gone).await);
                s.note("wait idle", sys.wait(gone).await);
                s.note(
                    "send to reaped",
                    sys.send(gone, b"x", Mode::NonBlocking).await,
                );
                s.note("call reaped", sys.call(gone, b"x", Mode::Blocking).await);
                s.note(
                    "receive from reaped",
                    sys.receive(Source::Process(gone), Mode::Blocking).await,
                );
                s.note("wait reaped again", sys.wait(gone).await);
                s.note("transfer to reaped", sys.transfer_mailbox(mb, gone).await);
                // A new process may take the slot; the old pid must not reach it.
                let Ok(new) = s.rec("spawn listener", sys.spawn("listener", 0).await) else {
                    return 1;
                };
                if new == gone {
                    return 2;
                }
                s.note(
                    "send to stale pid",
                    sys.send(gone, b"x", Mode::NonBlocking).await,
                );
                s.note(
                    "send to listener",
                    sys.send(new, b"bye", Mode::Blocking).await,
                );
                s.note("wait listener", sys.wait(new).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::NoSuchProcess as E;
    check(
        &report,
        &steps,
        &[
            ("send to a pid never issued", Err(E)),
            ("wait for a pid never issued", Err(E)),
            ("create", OK),
            ("transfer to a pid never issued", Err(E)),
            ("spawn idle", OK),
            ("send to zombie", Err(E)),
            ("call zombie", Err(E)),
            ("receive from zombie", Err(E)),
            ("transfer to zombie", Err(E)),
            ("wait idle", OK),
            ("send to reaped", Err(E)),
            ("call reaped", Err(E)),
            ("receive from reaped", Err(E)),
            ("wait reaped again", Err(E)),
            ("transfer to reaped", Err(E)),
            ("spawn listener", OK),
            ("send to stale pid", Err(E)),
            ("send to listener", OK),
            ("wait listener", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        report.ledger.sent, 1,
        "only the message to the listener entered"
    );
}

#[test]
fn not_owner() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let Ok(mb) = s.rec(
                    "create",
                    sys.create_mailbox(Capacity::Bounded(2), None).await,
                ) else {
                    return 1;
                };
                let Ok(child) = s.rec("spawn listener", sys.spawn("listener", 0).await) else {
                    return 1;
                };
                s.note("transfer to child", sys.transfer_mailbox(mb, child).await);
                s.note("receive", sys.receive(mb, Mode::NonBlocking).await);
                s.note("receive blocking", sys.receive(mb, Mode::Blocking).await);
                s.note("delete", sys.delete_mailbox(mb).await);
                let me = sys.getpid().await;
                s.note("transfer back", sys.transfer_mailbox(mb, me).await);
                s.note(
                    "send is for anyone",
                    sys.send(mb, b"x", Mode::NonBlocking).await,
                );
                s.note("stop child", sys.send(child, b"bye", Mode::Blocking).await);
                s.note("wait child", sys.wait(child).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::NotOwner as E;
    check(
        &report,
        &steps,
        &[
            ("create", OK),
            ("spawn listener", OK),
            ("transfer to child", OK),
            ("receive", Err(E)),
            ("receive blocking", Err(E)),
            ("delete", Err(E)),
            ("transfer back", Err(E)),
            ("send is for anyone", OK),
            ("stop child", OK),
            ("wait child", OK),
            ("carried on", OK),
        ],
    );
    // The queued message was dropped when its new owner exited.
    assert_eq!(
        (
            report.ledger.sent,
            report.ledger.received,
            report.ledger.dropped.total()
        ),
        (2, 1, 1)
    );
}

#[test]
fn would_block() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                s.note(
                    "receive on an empty inbox",
                    sys.receive(Source::Any, Mode::NonBlocking).await,
                );
                let Ok(zero) = s.rec(
                    "create zero",
                    sys.create_mailbox(Capacity::Zero, None).await,
                ) else {
                    return 1;
                };
                s.note(
                    "send with no receiver",
                    sys.send(zero, b"x", Mode::NonBlocking).await,
                );
                s.note(
                    "receive from empty",
                    sys.receive(zero, Mode::NonBlocking).await,
                );
                let Ok(one) = s.rec(
                    "create one",
                    sys.create_mailbox(Capacity::Bounded(1), None).await,
                ) else {
                    return 1;
                };
                s.note("fill", sys.send(one, b"x", Mode::NonBlocking).await);
                s.note("send to full", sys.send(one, b"y", Mode::NonBlocking).await);
                let Ok(child) = s.rec("spawn sleeper", sys.spawn("sleeper", 20).await) else {
                    return 1;
                };
                s.note(
                    "wait for running child",
                    sys.wait_mode(child, Mode::NonBlocking).await,
                );
                s.note(
                    "send to child's zero inbox",
                    sys.send(child, b"x", Mode::NonBlocking).await,
                );
                s.note("wait child", sys.wait(child).await);
                s.note("drain", sys.receive(one, Mode::NonBlocking).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::WouldBlock as E;
    check(
        &report,
        &steps,
        &[
            ("receive on an empty inbox", Err(E)),
            ("create zero", OK),
            ("send with no receiver", Err(E)),
            ("receive from empty", Err(E)),
            ("create one", OK),
            ("fill", OK),
            ("send to full", Err(E)),
            ("spawn sleeper", OK),
            ("wait for running child", Err(E)),
            ("send to child's zero inbox", Err(E)),
            ("wait child", OK),
            ("drain", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        report.ledger.sent, 1,
        "failed non-blocking sends never entered"
    );
}

#[test]
fn timed_out() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                s.note(
                    "receive, timeout 5",
                    sys.receive(Source::Any, Mode::Timeout(5)).await,
                );
                s.note(
                    "receive, timeout 0",
                    sys.receive(Source::Any, Mode::Timeout(0)).await,
                );
                let Ok(one) = s.rec(
                    "create one",
                    sys.create_mailbox(Capacity::Bounded(1), None).await,
                ) else {
                    return 1;
                };
                s.note("fill", sys.send(one, b"x", Mode::Timeout(3)).await);
                s.note("send to full", sys.send(one, b"y", Mode::Timeout(3)).await);
                s.note(
                    "receive from own mailbox",
                    sys.receive(one, Mode::Timeout(3)).await,
                );
                s.note(
                    "receive from empty mailbox",
                    sys.receive(one, Mode::Timeout(3)).await,
                );
                // Nobody receives from the mailbox: the call is queued, then times out.
                s.note("call", sys.call(one, b"q", Mode::Timeout(4)).await);
                let Ok(child) = s.rec("spawn sleeper", sys.spawn("sleeper", 50).await) else {
                    return 1;
                };
                s.note(
                    "wait, timeout 2",
                    sys.wait_mode(child, Mode::Timeout(2)).await,
                );
                s.note("wait child", sys.wait(child).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::TimedOut as E;
    check(
        &report,
        &steps,
        &[
            ("receive, timeout 5", Err(E)),
            ("receive, timeout 0", Err(E)),
            ("create one", OK),
            ("fill", OK),
            ("send to full", Err(E)),
            ("receive from own mailbox", OK),
            ("receive from empty mailbox", Err(E)),
            ("call", Err(E)),
            ("spawn sleeper", OK),
            ("wait, timeout 2", Err(E)),
            ("wait child", OK),
            ("carried on", OK),
        ],
    );
    assert!(
        report.ticks >= 5 + 3 + 3 + 4 + 50,
        "the timeouts took their time"
    );
}

#[test]
fn mailbox_deleted() {
    let steps = Steps::default();
    let s = steps.clone();
    let mut programs = table(move |sys, _| {
        let s = s.clone();
        async move {
            // A sender blocked on a mailbox its owner deletes.
            let Ok(mb) = s.rec("create", sys.create_mailbox(Capacity::Zero, None).await) else {
                return 1;
            };
            let Ok(child) = s.rec("spawn blocked sender", sys.spawn("sender", mb.raw()).await)
            else {
                return 1;
            };
            sys.sleep(5).await;
            s.note("delete under the sender", sys.delete_mailbox(mb).await);
            s.note("wait sender", sys.wait(child).await);
            // A sender (this process) blocked on a mailbox whose owner exits.
            let Ok(owner) = s.rec("spawn owner", sys.spawn("owner", 0).await) else {
                return 1;
            };
            let mut found = Err(Error::NoSuchMailbox);
            for _ in 0..100 {
                found = sys.lookup_mailbox("doomed").await;
                if found.is_ok() {
                    break;
                }
                sys.yield_now().await;
            }
            let Ok(doomed) = s.rec("lookup", found) else {
                return 1;
            };
            s.note(
                "send while its owner exits",
                sys.send(doomed, b"x", Mode::Blocking).await,
            );
            s.note("wait owner", sys.wait(owner).await);
            s.note(
                "send to it now",
                sys.send(doomed, b"x", Mode::NonBlocking).await,
            );
            carry_on(&sys, &s).await
        }
    });
    let s = steps.clone();
    programs.add("sender", "sends to mailbox arg", move |sys: Sys, arg| {
        let s = s.clone();
        async move {
            let mb = MailboxId::from_raw(arg);
            s.note(
                "sender: blocked send",
                sys.send(mb, b"x", Mode::Blocking).await,
            );
            s.note(
                "sender: send again",
                sys.send(mb, b"x", Mode::NonBlocking).await,
            );
            0
        }
    });
    let s = steps.clone();
    programs.add(
        "owner",
        "creates a mailbox, then exits",
        move |sys: Sys, _| {
            let s = s.clone();
            async move {
                s.note(
                    "owner: create",
                    sys.create_mailbox(Capacity::Zero, Some("doomed")).await,
                );
                sys.sleep(5).await;
                0
            }
        },
    );
    let report = run(programs, "main");
    use Error::MailboxDeleted as E;
    check(
        &report,
        &steps,
        &[
            ("create", OK),
            ("spawn blocked sender", OK),
            ("delete under the sender", OK),
            ("sender: blocked send", Err(E)),
            ("sender: send again", Err(Error::NoSuchMailbox)),
            ("wait sender", OK),
            ("spawn owner", OK),
            ("owner: create", OK),
            ("lookup", OK),
            ("send while its owner exits", Err(E)),
            ("wait owner", OK),
            ("send to it now", Err(Error::NoSuchMailbox)),
            ("carried on", OK),
        ],
    );
    assert_eq!(report.ledger.sent, 0, "no message entered the kernel");
}

#[test]
fn peer_exited() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let Ok(a) = s.rec("spawn a", sys.spawn("sleeper", 5).await) else {
                    return 1;
                };
                s.note(
                    "receive only from a",
                    sys.receive(Source::Process(a), Mode::Blocking).await,
                );
                s.note("wait a", sys.wait(a).await);
                let Ok(b) = s.rec("spawn b", sys.spawn("sleeper", 5).await) else {
                    return 1;
                };
                s.note("send to b", sys.send(b, b"x", Mode::Blocking).await);
                s.note("wait b", sys.wait(b).await);
                let Ok(c) = s.rec("spawn c", sys.spawn("sleeper", 5).await) else {
                    return 1;
                };
                s.note("call c", sys.call(c, b"x", Mode::Timeout(100)).await);
                s.note("wait c", sys.wait(c).await);
                // A call whose message was queued in the inbox of a process that exits.
                let opts = SpawnOptions::new("sleeper", 5).inbox(Capacity::Bounded(1));
                let Ok(d) = s.rec("spawn d", sys.spawn_with(opts).await) else {
                    return 1;
                };
                s.note("call d", sys.call(d, b"x", Mode::Blocking).await);
                s.note("wait d", sys.wait(d).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::PeerExited as E;
    check(
        &report,
        &steps,
        &[
            ("spawn a", OK),
            ("receive only from a", Err(E)),
            ("wait a", OK),
            ("spawn b", OK),
            ("send to b", Err(E)),
            ("wait b", OK),
            ("spawn c", OK),
            ("call c", Err(E)),
            ("wait c", OK),
            ("spawn d", OK),
            ("call d", Err(E)),
            ("wait d", OK),
            ("carried on", OK),
        ],
    );
    // Only d's queued call entered the kernel, and it was dropped with d's inbox.
    assert_eq!(
        (
            report.ledger.sent,
            report.ledger.received,
            report.ledger.dropped.total()
        ),
        (1, 0, 1)
    );
}

#[test]
fn message_too_large() {
    const MAX: usize = 16;
    let steps = Steps::default();
    let details = Log::<u64>::new();
    let (s, d) = (steps.clone(), details.clone());
    let mut cfg: MachineConfig = config();
    cfg.kernel.max_message = MAX;
    let mut programs = table(move |sys, _| {
        let (s, d) = (s.clone(), d.clone());
        async move {
            let big = [7u8; MAX + 1];
            let fits = [7u8; MAX];
            let Ok(mb) = s.rec(
                "create",
                sys.create_mailbox(Capacity::Unbounded, None).await,
            ) else {
                return 1;
            };
            s.note("send max+1", sys.send(mb, &big, Mode::NonBlocking).await);
            d.push(sys.last_return()[1]);
            s.note("call max+1", sys.call(mb, &big, Mode::Timeout(5)).await);
            d.push(sys.last_return()[1]);
            let me = sys.getpid().await;
            s.note(
                "send max+1 to own inbox",
                sys.send(me, &big, Mode::Blocking).await,
            );
            d.push(sys.last_return()[1]);
            s.note("print max+1", sys.print(&"a".repeat(MAX + 1)).await);
            d.push(sys.last_return()[1]);
            s.note("send max", sys.send(mb, &fits, Mode::NonBlocking).await);
            match s.rec("receive max", sys.receive(mb, Mode::NonBlocking).await) {
                Ok(m) if m.bytes == fits => {}
                _ => return 2,
            }
            // A reply is held to the same limit.
            let Ok(caller) = s.rec("spawn caller", sys.spawn("caller", me.raw()).await) else {
                return 1;
            };
            let Ok(request) = s.rec("receive call", sys.receive(caller, Mode::Blocking).await)
            else {
                return 1;
            };
            s.note("reply max+1", sys.reply(request.sender, &big).await);
            d.push(sys.last_return()[1]);
            s.note("reply max", sys.reply(request.sender, &fits).await);
            s.note("wait caller", sys.wait(caller).await);
            carry_on(&sys, &s).await
        }
    });
    let s = steps.clone();
    programs.add("caller", "calls pid arg", move |sys: Sys, arg| {
        let s = s.clone();
        async move {
            match s.rec(
                "caller: call",
                sys.call(Pid::from_raw(arg), b"q", Mode::Blocking).await,
            ) {
                Ok(m) if m.bytes.len() == MAX => 0,
                _ => 1,
            }
        }
    });
    let report = run_with(cfg, programs, "main");
    use Error::MessageTooLarge as E;
    check(
        &report,
        &steps,
        &[
            ("create", OK),
            ("send max+1", Err(E)),
            ("call max+1", Err(E)),
            ("send max+1 to own inbox", Err(E)),
            ("print max+1", Err(E)),
            ("send max", OK),
            ("receive max", OK),
            ("spawn caller", OK),
            ("receive call", OK),
            ("reply max+1", Err(E)),
            ("reply max", OK),
            ("caller: call", OK),
            ("wait caller", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        details.entries(),
        [MAX as u64; 5],
        "register 1 holds the kernel's max_message"
    );
    assert_eq!(report.ledger.sent, 2, "the mailbox message and the call");
}

#[test]
fn buffer_too_small() {
    let steps = Steps::default();
    let needed = Log::<u64>::new();
    let (s, n) = (steps.clone(), needed.clone());
    let mut programs = table(move |sys, _| {
        let (s, n) = (s.clone(), n.clone());
        async move {
            // A queued message longer than the buffer stays queued.
            let Ok(mb) = s.rec(
                "create",
                sys.create_mailbox(Capacity::Bounded(4), None).await,
            ) else {
                return 1;
            };
            s.note(
                "send 11 bytes",
                sys.send(mb, b"hello world", Mode::NonBlocking).await,
            );
            s.note(
                "receive into 4",
                sys.receive_upto(mb, 4, Mode::NonBlocking).await,
            );
            n.push(sys.last_return()[1]);
            match s.rec(
                "receive into 11",
                sys.receive_upto(mb, 11, Mode::NonBlocking).await,
            ) {
                Ok(m) if m.bytes == b"hello world" => {}
                _ => return 2,
            }
            // A waiting receiver whose buffer is too short for the sender's message.
            let Ok(picky) = s.rec("spawn picky", sys.spawn("picky", 0).await) else {
                return 1;
            };
            sys.sleep(5).await;
            s.note(
                "send 5 bytes to picky",
                sys.send(picky, b"12345", Mode::Blocking).await,
            );
            // A reply longer than the caller's reply buffer.
            let Ok(server) = s.rec("spawn server", sys.spawn("server", 0).await) else {
                return 1;
            };
            match s.rec(
                "call with a 2-byte reply buffer",
                sys.call_upto(server, b"q", Mode::Blocking, 2).await,
            ) {
                Ok(m) if m.bytes == b"ok" => {}
                _ => return 3,
            }
            s.note("wait picky", sys.wait(picky).await);
            s.note("wait server", sys.wait(server).await);
            carry_on(&sys, &s).await
        }
    });
    let (s, n) = (steps.clone(), needed.clone());
    programs.add(
        "picky",
        "receives into 2 bytes, then 5",
        move |sys: Sys, _| {
            let (s, n) = (s.clone(), n.clone());
            async move {
                s.note(
                    "picky: receive into 2",
                    sys.receive_upto(Source::Any, 2, Mode::Blocking).await,
                );
                n.push(sys.last_return()[1]);
                match s.rec(
                    "picky: receive into 5",
                    sys.receive_upto(Source::Any, 5, Mode::Blocking).await,
                ) {
                    Ok(m) if m.bytes == b"12345" => 0,
                    _ => 1,
                }
            }
        },
    );
    let (s, n) = (steps.clone(), needed.clone());
    programs.add("server", "answers one call", move |sys: Sys, _| {
        let (s, n) = (s.clone(), n.clone());
        async move {
            let Ok(m) = s.rec(
                "server: receive",
                sys.receive(Source::Any, Mode::Blocking).await,
            ) else {
                return 1;
            };
            s.note(
                "server: reply 7 bytes",
                sys.reply(m.sender, b"toolong").await,
            );
            n.push(sys.last_return()[1]);
            match s.rec("server: reply 2 bytes", sys.reply(m.sender, b"ok").await) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }
    });
    let report = run(programs, "main");
    use Error::BufferTooSmall as E;
    check(
        &report,
        &steps,
        &[
            ("create", OK),
            ("send 11 bytes", OK),
            ("receive into 4", Err(E)),
            ("receive into 11", OK),
            ("spawn picky", OK),
            ("picky: receive into 2", Err(E)),
            ("picky: receive into 5", OK),
            ("send 5 bytes to picky", OK),
            ("spawn server", OK),
            ("server: receive", OK),
            ("server: reply 7 bytes", Err(E)),
            ("server: reply 2 bytes", OK),
            ("call with a 2-byte reply buffer", OK),
            ("wait picky", OK),
            ("wait server", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        needed.entries(),
        [11, 5, 2],
        "register 1: the message's length; for a reply, the caller's buffer"
    );
}

#[test]
fn out_of_memory() {
    // Queued bytes: each message costs its length plus the overhead.
    const LEN: usize = 8;
    let steps = Steps::default();
    let s = steps.clone();
    let mut cfg = config();
    cfg.kernel.memory_limit = 2 * (LEN + MESSAGE_OVERHEAD) + LEN;
    let report = run_with(
        cfg,
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let msg = [1u8; LEN];
                let Ok(mb) = s.rec(
                    "create",
                    sys.create_mailbox(Capacity::Unbounded, None).await,
                ) else {
                    return 1;
                };
                s.note("queue 1", sys.send(mb, &msg, Mode::NonBlocking).await);
                s.note("queue 2", sys.send(mb, &msg, Mode::NonBlocking).await);
                s.note("queue 3", sys.send(mb, &msg, Mode::Blocking).await);
                s.note("call", sys.call(mb, &msg, Mode::Blocking).await);
                s.note("take one", sys.receive(mb, Mode::NonBlocking).await);
                s.note("queue 3 again", sys.send(mb, &msg, Mode::NonBlocking).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    check(
        &report,
        &steps,
        &[
            ("create", OK),
            ("queue 1", OK),
            ("queue 2", OK),
            ("queue 3", Err(Error::OutOfMemory)),
            ("call", Err(Error::OutOfMemory)),
            ("take one", OK),
            ("queue 3 again", OK),
            ("carried on", OK),
        ],
    );

    // Processes, live and zombie.
    let steps = Steps::default();
    let s = steps.clone();
    let mut cfg = config();
    cfg.kernel.max_processes = 2;
    let report = run_with(
        cfg,
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let Ok(a) = s.rec("spawn listener", sys.spawn("listener", 0).await) else {
                    return 1;
                };
                s.note("spawn a third", sys.spawn("idle", 0).await);
                s.note("stop listener", sys.send(a, b"bye", Mode::Blocking).await);
                sys.sleep(5).await;
                // The listener exited, but its zombie still holds the slot.
                s.note("spawn beside a zombie", sys.spawn("idle", 0).await);
                s.note("reap listener", sys.wait(a).await);
                let Ok(b) = s.rec("spawn again", sys.spawn("idle", 0).await) else {
                    return 1;
                };
                s.note("wait", sys.wait(b).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    check(
        &report,
        &steps,
        &[
            ("spawn listener", OK),
            ("spawn a third", Err(Error::OutOfMemory)),
            ("stop listener", OK),
            ("spawn beside a zombie", Err(Error::OutOfMemory)),
            ("reap listener", OK),
            ("spawn again", OK),
            ("wait", OK),
            ("carried on", OK),
        ],
    );

    // Mailboxes.
    let steps = Steps::default();
    let s = steps.clone();
    let mut cfg = config();
    cfg.kernel.max_mailboxes = 2;
    let report = run_with(
        cfg,
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let Ok(first) = s.rec("create 1", sys.create_mailbox(Capacity::Zero, None).await)
                else {
                    return 1;
                };
                s.note(
                    "create 2",
                    sys.create_mailbox(Capacity::Zero, Some("b")).await,
                );
                s.note(
                    "create 3",
                    sys.create_mailbox(Capacity::Zero, Some("c")).await,
                );
                s.note("name was not taken", sys.lookup_mailbox("c").await);
                s.note("delete 1", sys.delete_mailbox(first).await);
                s.note(
                    "create 3 again",
                    sys.create_mailbox(Capacity::Zero, Some("c")).await,
                );
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    check(
        &report,
        &steps,
        &[
            ("create 1", OK),
            ("create 2", OK),
            ("create 3", Err(Error::OutOfMemory)),
            ("name was not taken", Err(Error::NoSuchMailbox)),
            ("delete 1", OK),
            ("create 3 again", OK),
            ("carried on", OK),
        ],
    );
}

#[test]
fn invalid_argument() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let Ok(mb) = s.rec(
                    "create",
                    sys.create_mailbox(Capacity::Unbounded, None).await,
                ) else {
                    return 1;
                };
                // Typed stubs.
                let long = "n".repeat(MAX_NAME_LEN + 1);
                s.note(
                    "name of MAX_NAME_LEN + 1",
                    sys.create_mailbox(Capacity::Zero, Some(&long)).await,
                );
                s.note(
                    "lookup of MAX_NAME_LEN + 1",
                    sys.lookup_mailbox(&long).await,
                );
                s.note(
                    "name of MAX_NAME_LEN",
                    sys.create_mailbox(Capacity::Zero, Some(&long[1..])).await,
                );
                s.note(
                    "non-blocking call",
                    sys.call(mb, b"x", Mode::NonBlocking).await,
                );
                s.note(
                    "call with a zero timeout",
                    sys.call(mb, b"x", Mode::Timeout(0)).await,
                );
                let program = "p".repeat(abi::MAX_PROGRAM_NAME_LEN + 1);
                s.note("program name too long", sys.spawn(&program, 0).await);
                // Raw frames: what no typed stub can encode.
                let send = Sysno::Send as u64;
                let (mailbox_kind, id) = (1, mb.raw());
                s.raw(
                    "send with both flags",
                    sys.raw_syscall(send, [mailbox_kind, id, 1, 3, 5, 0], b"x")
                        .await,
                );
                s.raw(
                    "send with an unknown flag",
                    sys.raw_syscall(send, [mailbox_kind, id, 1, 4, 0, 0], b"x")
                        .await,
                );
                s.raw(
                    "send to an unknown kind",
                    sys.raw_syscall(send, [7, id, 1, 1, 0, 0], b"x").await,
                );
                s.raw(
                    "send longer than the buffer",
                    sys.raw_syscall(send, [mailbox_kind, id, 10, 1, 0, 0], b"xy")
                        .await,
                );
                s.raw(
                    "receive from kind 9",
                    sys.raw_syscall(Sysno::Receive as u64, [9, 0, 64, 1, 0, 0], b"")
                        .await,
                );
                s.raw(
                    "create with capacity 2^40",
                    sys.raw_syscall(Sysno::CreateMailbox as u64, [1 << 40, 0, 0, 0, 0, 0], b"")
                        .await,
                );
                s.raw(
                    "create with a non-UTF-8 name",
                    sys.raw_syscall(
                        Sysno::CreateMailbox as u64,
                        [1, 2, 0, 0, 0, 0],
                        &[0xff, 0xfe],
                    )
                    .await,
                );
                s.raw(
                    "spawn at priority 256",
                    sys.raw_syscall(Sysno::Spawn as u64, [4, 0, 0, 0, 256, 0], b"idle")
                        .await,
                );
                s.raw(
                    "wait with both flags",
                    sys.raw_syscall(Sysno::Wait as u64, [0, 3, 0, 0, 0, 0], b"")
                        .await,
                );
                s.raw(
                    "exit with a code beyond i32",
                    sys.raw_syscall(Sysno::Exit as u64, [1 << 40, 0, 0, 0, 0, 0], b"")
                        .await,
                );
                s.raw(
                    "print longer than the buffer",
                    sys.raw_syscall(Sysno::Print as u64, [3, 0, 0, 0, 0, 0], b"")
                        .await,
                );
                s.note(
                    "the mailbox is untouched",
                    sys.receive(mb, Mode::NonBlocking).await,
                );
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::InvalidArgument as E;
    check(
        &report,
        &steps,
        &[
            ("create", OK),
            ("name of MAX_NAME_LEN + 1", Err(E)),
            ("lookup of MAX_NAME_LEN + 1", Err(E)),
            ("name of MAX_NAME_LEN", OK),
            ("non-blocking call", Err(E)),
            ("call with a zero timeout", Err(E)),
            ("program name too long", Err(E)),
            ("send with both flags", Err(E)),
            ("send with an unknown flag", Err(E)),
            ("send to an unknown kind", Err(E)),
            ("send longer than the buffer", Err(E)),
            ("receive from kind 9", Err(E)),
            ("create with capacity 2^40", Err(E)),
            ("create with a non-UTF-8 name", Err(E)),
            ("spawn at priority 256", Err(E)),
            ("wait with both flags", Err(E)),
            ("exit with a code beyond i32", Err(E)),
            ("print longer than the buffer", Err(E)),
            ("the mailbox is untouched", Err(Error::WouldBlock)),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        report.ledger.sent, 0,
        "no malformed send entered the kernel"
    );
    assert_eq!(report.exited.len(), 1, "the malformed spawn started nobody");
}

#[test]
fn unknown_syscall() {
    let steps = Steps::default();
    let registers = Log::<[u64; RET_REGS]>::new();
    let (s, r) = (steps.clone(), registers.clone());
    let report = run(
        table(move |sys, _| {
            let (s, r) = (s.clone(), r.clone());
            async move {
                for (what, sysno) in [
                    ("sysno 999", 999),
                    ("sysno 0", 0),
                    ("sysno u64::MAX", u64::MAX),
                    ("one past the table", Sysno::ALL.len() as u64 + 1),
                ] {
                    let ret = sys.raw_syscall(sysno, [1, 2, 3, 4, 5, 6], b"junk").await;
                    r.push(ret);
                    s.raw(what, ret);
                }
                s.note("getpid", Ok(sys.getpid().await));
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::UnknownSyscall as E;
    check(
        &report,
        &steps,
        &[
            ("sysno 999", Err(E)),
            ("sysno 0", Err(E)),
            ("sysno u64::MAX", Err(E)),
            ("one past the table", Err(E)),
            ("getpid", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        registers.entries(),
        vec![[E.code(), 0, 0, 0]; 4],
        "the status is the code itself, and nothing else is returned"
    );
}

#[test]
fn name_in_use() {
    let steps = Steps::default();
    let s = steps.clone();
    let mut programs = table(move |sys, _| {
        let s = s.clone();
        async move {
            let Ok(first) = s.rec(
                "create svc",
                sys.create_mailbox(Capacity::Zero, Some("svc")).await,
            ) else {
                return 1;
            };
            s.note(
                "create svc again",
                sys.create_mailbox(Capacity::Unbounded, Some("svc")).await,
            );
            let Ok(child) = s.rec("spawn rival", sys.spawn("rival", 0).await) else {
                return 1;
            };
            s.note("wait rival", sys.wait(child).await);
            s.note(
                "anonymous is fine",
                sys.create_mailbox(Capacity::Zero, None).await,
            );
            s.note("delete svc", sys.delete_mailbox(first).await);
            let Ok(second) = s.rec(
                "create svc after delete",
                sys.create_mailbox(Capacity::Zero, Some("svc")).await,
            ) else {
                return 1;
            };
            match s.rec("lookup svc", sys.lookup_mailbox("svc").await) {
                Ok(id) if id == second && id != first => {}
                _ => return 2,
            }
            carry_on(&sys, &s).await
        }
    });
    let s = steps.clone();
    programs.add("rival", "tries to take the name", move |sys: Sys, _| {
        let s = s.clone();
        async move {
            s.note(
                "rival: create svc",
                sys.create_mailbox(Capacity::Zero, Some("svc")).await,
            );
            0
        }
    });
    let report = run(programs, "main");
    use Error::NameInUse as E;
    check(
        &report,
        &steps,
        &[
            ("create svc", OK),
            ("create svc again", Err(E)),
            ("spawn rival", OK),
            ("rival: create svc", Err(E)),
            ("wait rival", OK),
            ("anonymous is fine", OK),
            ("delete svc", OK),
            ("create svc after delete", OK),
            ("lookup svc", OK),
            ("carried on", OK),
        ],
    );
}

#[test]
fn no_such_program() {
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                s.note("spawn nope", sys.spawn("nope", 0).await);
                s.note("spawn the empty name", sys.spawn("", 0).await);
                s.note("names are exact", sys.spawn("IDLE", 0).await);
                let opts = SpawnOptions::new("nope", 0).label("idle");
                s.note("a label is not a program", sys.spawn_with(opts).await);
                let Ok(child) = s.rec("spawn idle", sys.spawn("idle", 0).await) else {
                    return 1;
                };
                s.note("wait idle", sys.wait(child).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    use Error::NoSuchProgram as E;
    check(
        &report,
        &steps,
        &[
            ("spawn nope", Err(E)),
            ("spawn the empty name", Err(E)),
            ("names are exact", Err(E)),
            ("a label is not a program", Err(E)),
            ("spawn idle", OK),
            ("wait idle", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(report.exited.len(), 2, "only main and idle ran");
}

#[test]
fn not_child() {
    let steps = Steps::default();
    let s = steps.clone();
    let mut programs = table(move |sys, _| {
        let s = s.clone();
        async move {
            let me = sys.getpid().await;
            s.note("wait for itself", sys.wait(me).await);
            let Ok(kid) = s.rec("spawn kid", sys.spawn("kid", me.raw()).await) else {
                return 1;
            };
            let Ok(m) = s.rec(
                "learn grandkid",
                sys.receive(Source::Process(kid), Mode::Blocking).await,
            ) else {
                return 1;
            };
            let Ok(raw) = <[u8; 8]>::try_from(m.bytes.as_slice()) else {
                return 2;
            };
            let grandkid = Pid::from_raw(u64::from_le_bytes(raw));
            s.note("wait for grandkid", sys.wait(grandkid).await);
            s.note(
                "wait for grandkid, non-blocking",
                sys.wait_mode(grandkid, Mode::NonBlocking).await,
            );
            s.note(
                "stop grandkid",
                sys.send(grandkid, b"bye", Mode::Blocking).await,
            );
            s.note("wait kid", sys.wait(kid).await);
            carry_on(&sys, &s).await
        }
    });
    let s = steps.clone();
    programs.add(
        "kid",
        "spawns a listener and tells arg its pid",
        move |sys: Sys, arg| {
            let s = s.clone();
            async move {
                let parent = Pid::from_raw(arg);
                let Ok(grandkid) = sys.spawn("listener", 0).await else {
                    return 1;
                };
                if sys
                    .send(parent, &grandkid.raw().to_le_bytes(), Mode::Blocking)
                    .await
                    .is_err()
                {
                    return 1;
                }
                s.note("kid: wait for its parent", sys.wait(parent).await);
                match s.rec("kid: wait grandkid", sys.wait(grandkid).await) {
                    Ok(0) => 0,
                    _ => 1,
                }
            }
        },
    );
    let report = run(programs, "main");
    use Error::NotChild as E;
    check(
        &report,
        &steps,
        &[
            ("wait for itself", Err(E)),
            ("spawn kid", OK),
            // The kid keeps the CPU after handing its message over.
            ("kid: wait for its parent", Err(E)),
            ("learn grandkid", OK),
            ("wait for grandkid", Err(E)),
            ("wait for grandkid, non-blocking", Err(E)),
            ("stop grandkid", OK),
            ("kid: wait grandkid", OK),
            ("wait kid", OK),
            ("carried on", OK),
        ],
    );
}

#[test]
fn deadlock() {
    let steps = Steps::default();
    let s = steps.clone();
    let mut programs = table(move |sys, _| {
        let s = s.clone();
        async move {
            let me = sys.getpid().await;
            s.note("receive from itself", sys.receive(me, Mode::Blocking).await);
            s.note(
                "send to its own rendezvous inbox",
                sys.send(me, b"x", Mode::Blocking).await,
            );
            let Ok(mine) = s.rec(
                "create mine",
                sys.create_mailbox(Capacity::Bounded(1), Some("mine")).await,
            ) else {
                return 1;
            };
            // Refused before the request is queued: the call sends nothing.
            s.note(
                "call its own mailbox",
                sys.call(mine, b"q", Mode::Blocking).await,
            );
            s.note(
                "call its own mailbox with a timeout",
                sys.call(mine, b"q", Mode::Timeout(5)).await,
            );
            let Ok(clinger) = s.rec("spawn clinger", sys.spawn("clinger", me.raw()).await) else {
                return 1;
            };
            sys.sleep(5).await; // the clinger blocks sending to main
            s.note("wait for the clinger", sys.wait(clinger).await);
            s.note(
                "take the clinger's message",
                sys.receive(clinger, Mode::Blocking).await,
            );
            s.note("wait for the clinger again", sys.wait(clinger).await);
            carry_on(&sys, &s).await
        }
    });
    programs.add(
        "clinger",
        "sends to arg, blocking",
        |sys: Sys, arg| async move {
            match sys.send(Pid::from_raw(arg), b"hi", Mode::Blocking).await {
                Ok(()) => 0,
                Err(_) => 1,
            }
        },
    );
    let mut c = config();
    c.kernel.refuse_deadlock = true;
    let report = run_with(c, programs, "main");
    use Error::Deadlock as E;
    check(
        &report,
        &steps,
        &[
            ("receive from itself", Err(E)),
            ("send to its own rendezvous inbox", Err(E)),
            ("create mine", OK),
            ("call its own mailbox", Err(E)),
            ("call its own mailbox with a timeout", Err(E)),
            ("spawn clinger", OK),
            ("wait for the clinger", Err(E)),
            ("take the clinger's message", OK),
            ("wait for the clinger again", OK),
            ("carried on", OK),
        ],
    );
    assert_eq!(
        report.ledger.sent, 1,
        "only the clinger's message entered the kernel"
    );
    let refusals = report
        .events
        .iter()
        .filter(|e| matches!(e.kind, kernel::trace::EventKind::DeadlockRefused { .. }))
        .count();
    assert_eq!(refusals, 5, "each refusal is in the trace");
}

#[test]
fn mailbox_full() {
    // A full mailbox whose overflow policy is `fail` refuses at once, in every mode, and a
    // `drop_newest` one refuses a call; after a receive frees the slot, sends go through.
    let steps = Steps::default();
    let s = steps.clone();
    let report = run(
        table(move |sys, _| {
            let s = s.clone();
            async move {
                let Ok(mb) = s.rec(
                    "create fail",
                    sys.create_mailbox_with(Capacity::Bounded(1), Some("strict"), Overflow::Fail)
                        .await,
                ) else {
                    return 1;
                };
                s.note("fill", sys.send(mb, b"a", Mode::NonBlocking).await);
                s.note("send blocking", sys.send(mb, b"b", Mode::Blocking).await);
                s.note(
                    "send non-blocking",
                    sys.send(mb, b"b", Mode::NonBlocking).await,
                );
                s.note(
                    "send with a timeout",
                    sys.send(mb, b"b", Mode::Timeout(5)).await,
                );
                s.note("call", sys.call(mb, b"c", Mode::Blocking).await);
                s.note("take one", sys.receive(mb, Mode::NonBlocking).await);
                s.note("send again", sys.send(mb, b"d", Mode::NonBlocking).await);
                let Ok(lossy) = s.rec(
                    "create drop_newest",
                    sys.create_mailbox_with(Capacity::Bounded(1), None, Overflow::DropNewest)
                        .await,
                ) else {
                    return 1;
                };
                s.note("fill lossy", sys.send(lossy, b"a", Mode::NonBlocking).await);
                s.note("send to lossy", sys.send(lossy, b"b", Mode::Blocking).await);
                s.note("call lossy", sys.call(lossy, b"c", Mode::Blocking).await);
                carry_on(&sys, &s).await
            }
        }),
        "main",
    );
    check(
        &report,
        &steps,
        &[
            ("create fail", OK),
            ("fill", OK),
            ("send blocking", Err(Error::MailboxFull)),
            ("send non-blocking", Err(Error::MailboxFull)),
            ("send with a timeout", Err(Error::MailboxFull)),
            ("call", Err(Error::MailboxFull)),
            ("take one", OK),
            ("send again", OK),
            ("create drop_newest", OK),
            ("fill lossy", OK),
            ("send to lossy", OK),
            ("call lossy", Err(Error::MailboxFull)),
            ("carried on", OK),
        ],
    );
    // In: a and d to the strict mailbox, a and b to the lossy one; b was dropped for
    // overflow, and the two still queued went when main exited.
    let overflow: u64 = report
        .ledgers
        .iter()
        .map(|l| l.ledger.dropped.get(kernel::trace::DropReason::Overflow))
        .sum();
    assert_eq!(
        (report.ledger.sent, overflow, report.ledger.dropped.total()),
        (4, 1, 3),
        "refused sends sent nothing; the lossy send was accepted and dropped"
    );
}
