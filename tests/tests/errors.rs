//! One test per error code: each provokes the error from a program running on the machine,
//! through the typed userland stubs (a raw trap frame only where no stub can express the
//! mistake), checks the exact `Err(Error::X)` the program saw, and checks that the kernel
//! carried on: the program makes further calls after the error and the run succeeds.
//!
//! Every test has one shape, a [`Case`]: a `main` program (and helpers) that record each
//! syscall's result as a named step, and the table of steps they must see, in order. The
//! harness does the rest: the shared helper programs, main's last call after the errors,
//! and the checks that every process exits 0 and the run completes.
//!
//! [`ERROR_TESTS`] pairs every code with its test; a code added to `abi::Error` without a
//! test here fails the build (the length check) and `every_error_code_has_a_test`.

use abi::{
    result_of, Capacity, Error, MailboxId, Mode, Overflow, Pid, Source, Sysno, ARG_REGS,
    MAX_NAME_LEN, RET_REGS,
};
use kernel::ipc::MESSAGE_OVERHEAD;
use kernel::KernelConfig;
use sim::{MachineConfig, Report};
use std::collections::BTreeSet;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use testkit::{config, run_with, Log};
use userland::{MailboxOptions, ProgramTable, Receivers, Right, SpawnOptions, Sys, SysResult};

// ----- harness -----

/// What one syscall returned, by the name the program gave it.
type Step = (&'static str, SysResult<()>);

/// Success, in expected step lists.
const OK: SysResult<()> = Ok(());

/// What a run's programs record: the result of each step in the order they happened, and
/// the return registers of the steps whose registers a test checks beyond the status.
#[derive(Clone)]
struct Steps {
    results: Log<Step>,
    registers: Log<[u64; RET_REGS]>,
}

impl Steps {
    fn new() -> Self {
        Steps {
            results: Log::new(),
            registers: Log::new(),
        }
    }

    /// The step `name`, about to be recorded.
    fn step(&self, name: &'static str) -> NamedStep<'_> {
        NamedStep { steps: self, name }
    }

    /// Keep the return registers of the last step, for the test to check after the run.
    fn keep_registers(&self, ret: [u64; RET_REGS]) {
        self.registers.push(ret);
    }
}

/// A step of a program by its name, recorded by one of the methods: the name goes first, so
/// that the call fits on the line after it.
struct NamedStep<'a> {
    steps: &'a Steps,
    name: &'static str,
}

impl NamedStep<'_> {
    /// Record `result`.
    fn note<T>(self, result: SysResult<T>) {
        self.need(result).ok();
    }

    /// Record `result` and hand it back: the program needs its value to go on, and `?`
    /// ends the program if the step failed.
    fn need<T>(self, result: SysResult<T>) -> SysResult<T> {
        let status = result.as_ref().map(drop).map_err(|e| *e);
        self.steps.results.push((self.name, status));
        result
    }

    /// Raise a raw trap frame (what no typed stub can encode) and record its status
    /// register, read the way the stubs read it; the registers are handed back.
    async fn trap(
        self,
        sys: &Sys,
        sysno: u64,
        args: [u64; ARG_REGS],
        bytes: &[u8],
    ) -> [u64; RET_REGS] {
        let ret = sys.raw_syscall(sysno, args, bytes).await;
        self.steps
            .results
            .push((self.name, result_of(&ret).map(drop)));
        ret
    }
}

/// The last step of `main`: one more syscall that must work after the errors.
async fn carry_on(sys: &Sys, steps: &Steps) -> i32 {
    match steps.step("carried on").need(sys.print("still here").await) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// One run that provokes an error: the programs, the machine they run on, and the steps
/// they record.
///
/// A program's body returns `Err` (by `?`) when a step it needed failed, and the process
/// exits 1; it asserts on the values it gets, so a wrong one ends it as a panic that names
/// the value. Either way the run does not succeed and [`Case::expect`] says so.
struct Case {
    config: MachineConfig,
    programs: ProgramTable,
    steps: Steps,
}

impl Case {
    /// A case whose `main` runs `body` and then [`carry_on`], with the helper programs
    /// every case may spawn:
    /// - `idle`: returns 0 at once;
    /// - `sleeper`: sleeps `arg` ticks, returns 0;
    /// - `listener`: receives one message from anyone on its inbox (blocking), returns 0.
    fn main<F, Fut>(body: F) -> Case
    where
        F: Fn(Sys, Steps) -> Fut + 'static,
        Fut: Future<Output = SysResult<()>> + 'static,
    {
        let steps = Steps::new();
        let mut programs = ProgramTable::new();
        let s = steps.clone();
        programs.add("main", "the test's main program", move |sys: Sys, _| {
            let (provoke, s) = (body(sys.clone(), s.clone()), s.clone());
            async move {
                match provoke.await {
                    Ok(()) => carry_on(&sys, &s).await,
                    Err(_) => 1,
                }
            }
        });
        programs.add("idle", "returns at once", |_sys, _arg| async { 0 });
        programs.add("sleeper", "sleeps arg ticks", |sys: Sys, arg| async move {
            sys.sleep(arg).await;
            0
        });
        programs.add(
            "listener",
            "receives one message, then returns",
            |sys: Sys, _arg| async move {
                match sys.receive(Source::Any, Mode::Blocking).await {
                    Ok(_) => 0,
                    Err(_) => 1,
                }
            },
        );
        Case {
            config: config(),
            programs,
            steps,
        }
    }

    /// Add the helper program `name` (`about` says what it does): it runs `body` with its
    /// spawn argument, and exits 0 when the body ends with `Ok`, else 1.
    fn program<F, Fut>(mut self, name: &str, about: &str, body: F) -> Case
    where
        F: Fn(Sys, u64, Steps) -> Fut + 'static,
        Fut: Future<Output = SysResult<()>> + 'static,
    {
        let s = self.steps.clone();
        self.programs.add(name, about, move |sys: Sys, arg| {
            let run = body(sys, arg, s.clone());
            async move { i32::from(run.await.is_err()) }
        });
        self
    }

    /// Run on a kernel with `change` made to the test configuration.
    fn with_kernel(mut self, change: impl FnOnce(&mut KernelConfig)) -> Case {
        change(&mut self.config.kernel);
        self
    }

    /// The registers the programs keep ([`Steps::keep_registers`]), readable after the run.
    fn registers(&self) -> Log<[u64; RET_REGS]> {
        self.steps.registers.clone()
    }

    /// Run the case and check it: the programs saw exactly `expected`, in order, and then
    /// main carried on (its last step, "carried on", worked and printed); every process
    /// exited 0 and the run completed. The report is for the test's own further checks.
    fn expect(self, expected: &[Step]) -> Report {
        let report = run_with(self.config, self.programs, "main");
        let mut expected = expected.to_vec();
        expected.push(("carried on", OK));
        assert_eq!(
            self.steps.results.entries(),
            expected,
            "the results the programs saw"
        );
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
        report
    }
}

/// Run every named case of one error, each on its own machine; a failing case does not
/// hide the others: all run, and the failure names each one that failed (its own panic,
/// printed above, says how).
fn each_case(cases: &[(&str, fn())]) {
    let failed: Vec<&str> = cases
        .iter()
        .filter(|(_, case)| catch_unwind(AssertUnwindSafe(case)).is_err())
        .map(|(name, _)| *name)
        .collect();
    assert!(failed.is_empty(), "failing cases: {failed:?}");
}

/// Messages sent, received and dropped over the run.
fn traffic(report: &Report) -> (u64, u64, u64) {
    let l = &report.ledger;
    (l.sent, l.received, l.dropped.total())
}

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
    (Error::ReceiverBusy, receiver_busy),
    (Error::NoSendRight, no_send_right),
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
    use Error::NoSuchMailbox as E;
    let report = Case::main(|sys, s| async move {
        let never = MailboxId::new(9, 0);
        s.step("send to an id never issued")
            .note(sys.send(never, b"x", Mode::NonBlocking).await);
        s.step("lookup an unknown name")
            .note(sys.lookup_mailbox("nope").await);
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Unbounded, None).await)?;
        s.step("delete").note(sys.delete_mailbox(mb).await);
        s.step("delete again").note(sys.delete_mailbox(mb).await);
        s.step("send to deleted")
            .note(sys.send(mb, b"x", Mode::NonBlocking).await);
        s.step("receive from deleted")
            .note(sys.receive(mb, Mode::NonBlocking).await);
        s.step("call deleted")
            .note(sys.call(mb, b"x", Mode::Timeout(5)).await);
        let me = sys.getpid().await;
        s.step("transfer deleted")
            .note(sys.transfer_mailbox(mb, me).await);
        // The slot is reused: the old id must still name nothing.
        let fresh = s
            .step("create again")
            .need(sys.create_mailbox(Capacity::Unbounded, None).await)?;
        assert_ne!(fresh, mb, "the new mailbox has a new id");
        s.step("send to stale id")
            .note(sys.send(mb, b"x", Mode::NonBlocking).await);
        s.step("fresh still works")
            .note(sys.send(fresh, b"y", Mode::NonBlocking).await);
        Ok(())
    })
    .expect(&[
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
    ]);
    assert_eq!(
        report.ledger.sent, 1,
        "only the send to the live mailbox entered"
    );
}

#[test]
fn no_such_process() {
    use Error::NoSuchProcess as E;
    let report = Case::main(|sys, s| async move {
        let never = Pid::new(50, 0);
        s.step("send to a pid never issued")
            .note(sys.send(never, b"x", Mode::NonBlocking).await);
        s.step("wait for a pid never issued")
            .note(sys.wait(never).await);
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Unbounded, None).await)?;
        s.step("transfer to a pid never issued")
            .note(sys.transfer_mailbox(mb, never).await);
        let gone = s.step("spawn idle").need(sys.spawn("idle", 0).await)?;
        // Until its code is collected, an exited child is a zombie: only `wait` accepts
        // its pid.
        sys.sleep(5).await;
        s.step("send to zombie")
            .note(sys.send(gone, b"x", Mode::NonBlocking).await);
        s.step("call zombie")
            .note(sys.call(gone, b"x", Mode::Timeout(5)).await);
        s.step("receive from zombie")
            .note(sys.receive(Source::Process(gone), Mode::Blocking).await);
        s.step("transfer to zombie")
            .note(sys.transfer_mailbox(mb, gone).await);
        s.step("wait idle").note(sys.wait(gone).await);
        s.step("send to reaped")
            .note(sys.send(gone, b"x", Mode::NonBlocking).await);
        s.step("call reaped")
            .note(sys.call(gone, b"x", Mode::Blocking).await);
        s.step("receive from reaped")
            .note(sys.receive(Source::Process(gone), Mode::Blocking).await);
        s.step("wait reaped again").note(sys.wait(gone).await);
        s.step("transfer to reaped")
            .note(sys.transfer_mailbox(mb, gone).await);
        // A new process may take the slot; the old pid must not reach it.
        let new = s
            .step("spawn listener")
            .need(sys.spawn("listener", 0).await)?;
        assert_ne!(new, gone, "the new process has a new pid");
        s.step("send to stale pid")
            .note(sys.send(gone, b"x", Mode::NonBlocking).await);
        s.step("send to listener")
            .note(sys.send(new, b"bye", Mode::Blocking).await);
        s.step("wait listener").note(sys.wait(new).await);
        Ok(())
    })
    .expect(&[
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
    ]);
    assert_eq!(
        report.ledger.sent, 1,
        "only the message to the listener entered"
    );
}

#[test]
fn not_owner() {
    use Error::NotOwner as E;
    let report = Case::main(|sys, s| async move {
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Bounded(2), None).await)?;
        let child = s
            .step("spawn listener")
            .need(sys.spawn("listener", 0).await)?;
        s.step("transfer to child")
            .note(sys.transfer_mailbox(mb, child).await);
        s.step("receive")
            .note(sys.receive(mb, Mode::NonBlocking).await);
        s.step("receive blocking")
            .note(sys.receive(mb, Mode::Blocking).await);
        s.step("delete").note(sys.delete_mailbox(mb).await);
        let me = sys.getpid().await;
        s.step("transfer back")
            .note(sys.transfer_mailbox(mb, me).await);
        s.step("send is for anyone")
            .note(sys.send(mb, b"x", Mode::NonBlocking).await);
        s.step("stop child")
            .note(sys.send(child, b"bye", Mode::Blocking).await);
        s.step("wait child").note(sys.wait(child).await);
        Ok(())
    })
    .expect(&[
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
    ]);
    assert_eq!(
        traffic(&report),
        (2, 1, 1),
        "the queued message was dropped when its new owner exited"
    );
}

#[test]
fn would_block() {
    use Error::WouldBlock as E;
    let report = Case::main(|sys, s| async move {
        s.step("receive on an empty inbox")
            .note(sys.receive(Source::Any, Mode::NonBlocking).await);
        let zero = s
            .step("create zero")
            .need(sys.create_mailbox(Capacity::Zero, None).await)?;
        s.step("send with no receiver")
            .note(sys.send(zero, b"x", Mode::NonBlocking).await);
        s.step("receive from empty")
            .note(sys.receive(zero, Mode::NonBlocking).await);
        let one = s
            .step("create one")
            .need(sys.create_mailbox(Capacity::Bounded(1), None).await)?;
        s.step("fill")
            .note(sys.send(one, b"x", Mode::NonBlocking).await);
        s.step("send to full")
            .note(sys.send(one, b"y", Mode::NonBlocking).await);
        let child = s
            .step("spawn sleeper")
            .need(sys.spawn("sleeper", 20).await)?;
        s.step("wait for running child")
            .note(sys.wait_mode(child, Mode::NonBlocking).await);
        s.step("send to child's zero inbox")
            .note(sys.send(child, b"x", Mode::NonBlocking).await);
        s.step("wait child").note(sys.wait(child).await);
        s.step("drain")
            .note(sys.receive(one, Mode::NonBlocking).await);
        Ok(())
    })
    .expect(&[
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
    ]);
    assert_eq!(
        report.ledger.sent, 1,
        "failed non-blocking sends never entered"
    );
}

#[test]
fn timed_out() {
    use Error::TimedOut as E;
    let report = Case::main(|sys, s| async move {
        s.step("receive, timeout 5")
            .note(sys.receive(Source::Any, Mode::Timeout(5)).await);
        s.step("receive, timeout 0")
            .note(sys.receive(Source::Any, Mode::Timeout(0)).await);
        let one = s
            .step("create one")
            .need(sys.create_mailbox(Capacity::Bounded(1), None).await)?;
        s.step("fill")
            .note(sys.send(one, b"x", Mode::Timeout(3)).await);
        s.step("send to full")
            .note(sys.send(one, b"y", Mode::Timeout(3)).await);
        s.step("receive from own mailbox")
            .note(sys.receive(one, Mode::Timeout(3)).await);
        s.step("receive from empty mailbox")
            .note(sys.receive(one, Mode::Timeout(3)).await);
        // Nobody receives from the mailbox: the call is queued, then times out.
        s.step("call")
            .note(sys.call(one, b"q", Mode::Timeout(4)).await);
        // A zero timeout tries the request once (the mailbox is full) and gives up at once.
        s.step("call, timeout 0")
            .note(sys.call(one, b"r", Mode::Timeout(0)).await);
        let child = s
            .step("spawn sleeper")
            .need(sys.spawn("sleeper", 50).await)?;
        s.step("wait, timeout 2")
            .note(sys.wait_mode(child, Mode::Timeout(2)).await);
        s.step("wait child").note(sys.wait(child).await);
        Ok(())
    })
    .expect(&[
        ("receive, timeout 5", Err(E)),
        ("receive, timeout 0", Err(E)),
        ("create one", OK),
        ("fill", OK),
        ("send to full", Err(E)),
        ("receive from own mailbox", OK),
        ("receive from empty mailbox", Err(E)),
        ("call", Err(E)),
        ("call, timeout 0", Err(E)),
        ("spawn sleeper", OK),
        ("wait, timeout 2", Err(E)),
        ("wait child", OK),
    ]);
    assert!(
        report.ticks >= 5 + 3 + 3 + 4 + 50,
        "the timeouts took their time"
    );
}

#[test]
fn mailbox_deleted() {
    use Error::MailboxDeleted as E;
    let report = Case::main(|sys, s| async move {
        // A sender blocked on a mailbox its owner deletes.
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Zero, None).await)?;
        let child = s
            .step("spawn blocked sender")
            .need(sys.spawn("sender", mb.raw()).await)?;
        sys.sleep(5).await;
        s.step("delete under the sender")
            .note(sys.delete_mailbox(mb).await);
        s.step("wait sender").note(sys.wait(child).await);
        // A sender (this process) blocked on a mailbox whose owner exits.
        let owner = s.step("spawn owner").need(sys.spawn("owner", 0).await)?;
        let mut found = Err(Error::NoSuchMailbox);
        for _ in 0..100 {
            found = sys.lookup_mailbox("doomed").await;
            if found.is_ok() {
                break;
            }
            sys.yield_now().await;
        }
        let doomed = s.step("lookup").need(found)?;
        s.step("send while its owner exits")
            .note(sys.send(doomed, b"x", Mode::Blocking).await);
        s.step("wait owner").note(sys.wait(owner).await);
        s.step("send to it now")
            .note(sys.send(doomed, b"x", Mode::NonBlocking).await);
        Ok(())
    })
    .program("sender", "sends to mailbox arg", |sys, arg, s| async move {
        let mb = MailboxId::from_raw(arg);
        s.step("sender: blocked send")
            .note(sys.send(mb, b"x", Mode::Blocking).await);
        s.step("sender: send again")
            .note(sys.send(mb, b"x", Mode::NonBlocking).await);
        Ok(())
    })
    .program(
        "owner",
        "creates a mailbox, then exits",
        |sys, _, s| async move {
            s.step("owner: create")
                .note(sys.create_mailbox(Capacity::Zero, Some("doomed")).await);
            sys.sleep(5).await;
            Ok(())
        },
    )
    .expect(&[
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
    ]);
    assert_eq!(report.ledger.sent, 0, "no message entered the kernel");
}

#[test]
fn peer_exited() {
    use Error::PeerExited as E;
    let report = Case::main(|sys, s| async move {
        let a = s.step("spawn a").need(sys.spawn("sleeper", 5).await)?;
        s.step("receive only from a")
            .note(sys.receive(Source::Process(a), Mode::Blocking).await);
        s.step("wait a").note(sys.wait(a).await);
        let b = s.step("spawn b").need(sys.spawn("sleeper", 5).await)?;
        s.step("send to b")
            .note(sys.send(b, b"x", Mode::Blocking).await);
        s.step("wait b").note(sys.wait(b).await);
        let c = s.step("spawn c").need(sys.spawn("sleeper", 5).await)?;
        s.step("call c")
            .note(sys.call(c, b"x", Mode::Timeout(100)).await);
        s.step("wait c").note(sys.wait(c).await);
        // A call whose message was queued in the inbox of a process that exits.
        let opts = SpawnOptions::new("sleeper", 5).inbox(Capacity::Bounded(1));
        let d = s.step("spawn d").need(sys.spawn_with(opts).await)?;
        s.step("call d")
            .note(sys.call(d, b"x", Mode::Blocking).await);
        s.step("wait d").note(sys.wait(d).await);
        Ok(())
    })
    .expect(&[
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
    ]);
    assert_eq!(
        traffic(&report),
        (1, 0, 1),
        "only d's queued call entered the kernel, and it was dropped with d's inbox"
    );
}

#[test]
fn message_too_large() {
    use Error::MessageTooLarge as E;
    const MAX: usize = 16;
    let case = Case::main(|sys, s| async move {
        let big = [7u8; MAX + 1];
        let fits = [7u8; MAX];
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Unbounded, None).await)?;
        s.step("send max+1")
            .note(sys.send(mb, &big, Mode::NonBlocking).await);
        s.keep_registers(sys.last_return());
        s.step("call max+1")
            .note(sys.call(mb, &big, Mode::Timeout(5)).await);
        s.keep_registers(sys.last_return());
        let me = sys.getpid().await;
        s.step("send max+1 to own inbox")
            .note(sys.send(me, &big, Mode::Blocking).await);
        s.keep_registers(sys.last_return());
        s.step("print max+1")
            .note(sys.print(&"a".repeat(MAX + 1)).await);
        s.keep_registers(sys.last_return());
        s.step("send max")
            .note(sys.send(mb, &fits, Mode::NonBlocking).await);
        let got = s
            .step("receive max")
            .need(sys.receive(mb, Mode::NonBlocking).await)?;
        assert_eq!(got.bytes, fits, "a message of max bytes arrives whole");
        // A reply is held to the same limit.
        let caller = s
            .step("spawn caller")
            .need(sys.spawn("caller", me.raw()).await)?;
        let request = s
            .step("receive call")
            .need(sys.receive(caller, Mode::Blocking).await)?;
        s.step("reply max+1")
            .note(sys.reply(request.sender, &big).await);
        s.keep_registers(sys.last_return());
        s.step("reply max")
            .note(sys.reply(request.sender, &fits).await);
        s.step("wait caller").note(sys.wait(caller).await);
        Ok(())
    })
    .program("caller", "calls pid arg", |sys, arg, s| async move {
        let main = Pid::from_raw(arg);
        let reply = s
            .step("caller: call")
            .need(sys.call(main, b"q", Mode::Blocking).await)?;
        assert_eq!(reply.bytes.len(), MAX, "a reply of max bytes arrives whole");
        Ok(())
    })
    .with_kernel(|k| k.max_message = MAX);
    let registers = case.registers();
    let report = case.expect(&[
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
    ]);
    let limits: Vec<u64> = registers.entries().iter().map(|r| r[1]).collect();
    assert_eq!(
        limits, [MAX as u64; 5],
        "register 1 holds the kernel's max_message"
    );
    assert_eq!(report.ledger.sent, 2, "the mailbox message and the call");
}

#[test]
fn buffer_too_small() {
    use Error::BufferTooSmall as E;
    let case = Case::main(|sys, s| async move {
        // A queued message longer than the buffer stays queued.
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Bounded(4), None).await)?;
        s.step("send 11 bytes")
            .note(sys.send(mb, b"hello world", Mode::NonBlocking).await);
        s.step("receive into 4")
            .note(sys.receive_upto(mb, 4, Mode::NonBlocking).await);
        s.keep_registers(sys.last_return());
        let got = s
            .step("receive into 11")
            .need(sys.receive_upto(mb, 11, Mode::NonBlocking).await)?;
        assert_eq!(
            got.bytes, b"hello world",
            "the message stayed queued, whole"
        );
        // A waiting receiver whose buffer is too short for the sender's message.
        let picky = s.step("spawn picky").need(sys.spawn("picky", 0).await)?;
        sys.sleep(5).await;
        s.step("send 5 bytes to picky")
            .note(sys.send(picky, b"12345", Mode::Blocking).await);
        // A reply longer than the caller's reply buffer.
        let server = s.step("spawn server").need(sys.spawn("server", 0).await)?;
        let reply = s
            .step("call with a 2-byte reply buffer")
            .need(sys.call_upto(server, b"q", Mode::Blocking, 2).await)?;
        assert_eq!(reply.bytes, b"ok", "the reply that fits");
        s.step("wait picky").note(sys.wait(picky).await);
        s.step("wait server").note(sys.wait(server).await);
        Ok(())
    })
    .program(
        "picky",
        "receives into 2 bytes, then 5",
        |sys, _, s| async move {
            s.step("picky: receive into 2")
                .note(sys.receive_upto(Source::Any, 2, Mode::Blocking).await);
            s.keep_registers(sys.last_return());
            let got = s
                .step("picky: receive into 5")
                .need(sys.receive_upto(Source::Any, 5, Mode::Blocking).await)?;
            assert_eq!(
                got.bytes, b"12345",
                "the message waited for a buffer with room"
            );
            Ok(())
        },
    )
    .program("server", "answers one call", |sys, _, s| async move {
        let m = s
            .step("server: receive")
            .need(sys.receive(Source::Any, Mode::Blocking).await)?;
        s.step("server: reply 7 bytes")
            .note(sys.reply(m.sender, b"toolong").await);
        s.keep_registers(sys.last_return());
        s.step("server: reply 2 bytes")
            .need(sys.reply(m.sender, b"ok").await)
    });
    let registers = case.registers();
    case.expect(&[
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
    ]);
    let needed: Vec<u64> = registers.entries().iter().map(|r| r[1]).collect();
    assert_eq!(
        needed,
        [11, 5, 2],
        "register 1: the message's length; for a reply, the caller's buffer"
    );
}

/// Out of memory is three limits, each its own case.
#[test]
fn out_of_memory() {
    each_case(&[
        ("queued bytes", out_of_memory_for_queued_bytes),
        ("processes, live and zombie", out_of_memory_for_processes),
        ("mailboxes", out_of_memory_for_mailboxes),
    ]);
}

/// Queued bytes: each message costs its length plus the overhead, and there is room for two.
fn out_of_memory_for_queued_bytes() {
    use Error::OutOfMemory as E;
    const LEN: usize = 8;
    Case::main(|sys, s| async move {
        let msg = [1u8; LEN];
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Unbounded, None).await)?;
        s.step("queue 1")
            .note(sys.send(mb, &msg, Mode::NonBlocking).await);
        s.step("queue 2")
            .note(sys.send(mb, &msg, Mode::NonBlocking).await);
        s.step("queue 3")
            .note(sys.send(mb, &msg, Mode::Blocking).await);
        s.step("call")
            .note(sys.call(mb, &msg, Mode::Blocking).await);
        s.step("take one")
            .note(sys.receive(mb, Mode::NonBlocking).await);
        s.step("queue 3 again")
            .note(sys.send(mb, &msg, Mode::NonBlocking).await);
        Ok(())
    })
    .with_kernel(|k| k.memory_limit = 2 * (LEN + MESSAGE_OVERHEAD) + LEN)
    .expect(&[
        ("create", OK),
        ("queue 1", OK),
        ("queue 2", OK),
        ("queue 3", Err(E)),
        ("call", Err(E)),
        ("take one", OK),
        ("queue 3 again", OK),
    ]);
}

/// Processes, live and zombie: room for main and one more.
fn out_of_memory_for_processes() {
    use Error::OutOfMemory as E;
    Case::main(|sys, s| async move {
        let a = s
            .step("spawn listener")
            .need(sys.spawn("listener", 0).await)?;
        s.step("spawn a third").note(sys.spawn("idle", 0).await);
        s.step("stop listener")
            .note(sys.send(a, b"bye", Mode::Blocking).await);
        sys.sleep(5).await;
        // The listener exited, but its zombie still holds the slot.
        s.step("spawn beside a zombie")
            .note(sys.spawn("idle", 0).await);
        s.step("reap listener").note(sys.wait(a).await);
        let b = s.step("spawn again").need(sys.spawn("idle", 0).await)?;
        s.step("wait").note(sys.wait(b).await);
        Ok(())
    })
    .with_kernel(|k| k.max_processes = 2)
    .expect(&[
        ("spawn listener", OK),
        ("spawn a third", Err(E)),
        ("stop listener", OK),
        ("spawn beside a zombie", Err(E)),
        ("reap listener", OK),
        ("spawn again", OK),
        ("wait", OK),
    ]);
}

/// Mailboxes: room for two.
fn out_of_memory_for_mailboxes() {
    use Error::OutOfMemory as E;
    Case::main(|sys, s| async move {
        let first = s
            .step("create 1")
            .need(sys.create_mailbox(Capacity::Zero, None).await)?;
        s.step("create 2")
            .note(sys.create_mailbox(Capacity::Zero, Some("b")).await);
        s.step("create 3")
            .note(sys.create_mailbox(Capacity::Zero, Some("c")).await);
        s.step("name was not taken")
            .note(sys.lookup_mailbox("c").await);
        s.step("delete 1").note(sys.delete_mailbox(first).await);
        s.step("create 3 again")
            .note(sys.create_mailbox(Capacity::Zero, Some("c")).await);
        Ok(())
    })
    .with_kernel(|k| k.max_mailboxes = 2)
    .expect(&[
        ("create 1", OK),
        ("create 2", OK),
        ("create 3", Err(E)),
        ("name was not taken", Err(Error::NoSuchMailbox)),
        ("delete 1", OK),
        ("create 3 again", OK),
    ]);
}

#[test]
fn invalid_argument() {
    use Error::InvalidArgument as E;
    let report = Case::main(|sys, s| async move {
        let mb = s
            .step("create")
            .need(sys.create_mailbox(Capacity::Unbounded, None).await)?;
        // Typed stubs.
        let long = "n".repeat(MAX_NAME_LEN + 1);
        s.step("name of MAX_NAME_LEN + 1")
            .note(sys.create_mailbox(Capacity::Zero, Some(&long)).await);
        s.step("lookup of MAX_NAME_LEN + 1")
            .note(sys.lookup_mailbox(&long).await);
        s.step("name of MAX_NAME_LEN")
            .note(sys.create_mailbox(Capacity::Zero, Some(&long[1..])).await);
        s.step("non-blocking call")
            .note(sys.call(mb, b"x", Mode::NonBlocking).await);
        let program = "p".repeat(abi::MAX_PROGRAM_NAME_LEN + 1);
        s.step("program name too long")
            .note(sys.spawn(&program, 0).await);
        // Raw frames: what no typed stub can encode.
        let (send, create) = (Sysno::Send as u64, Sysno::CreateMailbox as u64);
        let (mailbox_kind, id) = (1, mb.raw());
        s.step("send with both flags")
            .trap(&sys, send, [mailbox_kind, id, 1, 3, 5, 0], b"x")
            .await;
        s.step("send with an unknown flag")
            .trap(&sys, send, [mailbox_kind, id, 1, 4, 0, 0], b"x")
            .await;
        s.step("send to an unknown kind")
            .trap(&sys, send, [7, id, 1, 1, 0, 0], b"x")
            .await;
        s.step("send longer than the buffer")
            .trap(&sys, send, [mailbox_kind, id, 10, 1, 0, 0], b"xy")
            .await;
        s.step("receive from kind 9")
            .trap(&sys, Sysno::Receive as u64, [9, 0, 64, 1, 0, 0], b"")
            .await;
        s.step("create with capacity 2^40")
            .trap(&sys, create, [1 << 40, 0, 0, 0, 0, 0], b"")
            .await;
        s.step("create with a non-UTF-8 name")
            .trap(&sys, create, [1, 2, 0, 0, 0, 0], &[0xff, 0xfe])
            .await;
        s.step("spawn at priority 256")
            .trap(&sys, Sysno::Spawn as u64, [4, 0, 0, 0, 256, 0], b"idle")
            .await;
        s.step("wait with both flags")
            .trap(&sys, Sysno::Wait as u64, [0, 3, 0, 0, 0, 0], b"")
            .await;
        s.step("exit with a code beyond i32")
            .trap(&sys, Sysno::Exit as u64, [1 << 40, 0, 0, 0, 0, 0], b"")
            .await;
        s.step("print longer than the buffer")
            .trap(&sys, Sysno::Print as u64, [3, 0, 0, 0, 0, 0], b"")
            .await;
        s.step("the mailbox is untouched")
            .note(sys.receive(mb, Mode::NonBlocking).await);
        Ok(())
    })
    .expect(&[
        ("create", OK),
        ("name of MAX_NAME_LEN + 1", Err(E)),
        ("lookup of MAX_NAME_LEN + 1", Err(E)),
        ("name of MAX_NAME_LEN", OK),
        ("non-blocking call", Err(E)),
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
    ]);
    assert_eq!(
        report.ledger.sent, 0,
        "no malformed send entered the kernel"
    );
    assert_eq!(report.exited.len(), 1, "the malformed spawn started nobody");
}

#[test]
fn unknown_syscall() {
    use Error::UnknownSyscall as E;
    let case = Case::main(|sys, s| async move {
        for (what, sysno) in [
            ("sysno 999", 999),
            ("sysno 0", 0),
            ("sysno u64::MAX", u64::MAX),
            ("one past the table", Sysno::ALL.len() as u64 + 1),
        ] {
            let ret = s
                .step(what)
                .trap(&sys, sysno, [1, 2, 3, 4, 5, 6], b"junk")
                .await;
            s.keep_registers(ret);
        }
        s.step("getpid").note(Ok(sys.getpid().await));
        Ok(())
    });
    let registers = case.registers();
    case.expect(&[
        ("sysno 999", Err(E)),
        ("sysno 0", Err(E)),
        ("sysno u64::MAX", Err(E)),
        ("one past the table", Err(E)),
        ("getpid", OK),
    ]);
    assert_eq!(
        registers.entries(),
        vec![[E.code(), 0, 0, 0]; 4],
        "the status is the code itself, and nothing else is returned"
    );
}

#[test]
fn name_in_use() {
    use Error::NameInUse as E;
    Case::main(|sys, s| async move {
        let first = s
            .step("create svc")
            .need(sys.create_mailbox(Capacity::Zero, Some("svc")).await)?;
        s.step("create svc again")
            .note(sys.create_mailbox(Capacity::Unbounded, Some("svc")).await);
        let child = s.step("spawn rival").need(sys.spawn("rival", 0).await)?;
        s.step("wait rival").note(sys.wait(child).await);
        s.step("anonymous is fine")
            .note(sys.create_mailbox(Capacity::Zero, None).await);
        s.step("delete svc").note(sys.delete_mailbox(first).await);
        let second = s
            .step("create svc after delete")
            .need(sys.create_mailbox(Capacity::Zero, Some("svc")).await)?;
        let found = s.step("lookup svc").need(sys.lookup_mailbox("svc").await)?;
        assert_eq!(found, second, "the name is the new mailbox's");
        assert_ne!(found, first, "and no longer the deleted one's");
        Ok(())
    })
    .program("rival", "tries to take the name", |sys, _, s| async move {
        s.step("rival: create svc")
            .note(sys.create_mailbox(Capacity::Zero, Some("svc")).await);
        Ok(())
    })
    .expect(&[
        ("create svc", OK),
        ("create svc again", Err(E)),
        ("spawn rival", OK),
        ("rival: create svc", Err(E)),
        ("wait rival", OK),
        ("anonymous is fine", OK),
        ("delete svc", OK),
        ("create svc after delete", OK),
        ("lookup svc", OK),
    ]);
}

#[test]
fn no_such_program() {
    use Error::NoSuchProgram as E;
    let report = Case::main(|sys, s| async move {
        s.step("spawn nope").note(sys.spawn("nope", 0).await);
        s.step("spawn the empty name").note(sys.spawn("", 0).await);
        s.step("names are exact").note(sys.spawn("IDLE", 0).await);
        let opts = SpawnOptions::new("nope", 0).label("idle");
        s.step("a label is not a program")
            .note(sys.spawn_with(opts).await);
        let child = s.step("spawn idle").need(sys.spawn("idle", 0).await)?;
        s.step("wait idle").note(sys.wait(child).await);
        Ok(())
    })
    .expect(&[
        ("spawn nope", Err(E)),
        ("spawn the empty name", Err(E)),
        ("names are exact", Err(E)),
        ("a label is not a program", Err(E)),
        ("spawn idle", OK),
        ("wait idle", OK),
    ]);
    assert_eq!(report.exited.len(), 2, "only main and idle ran");
}

#[test]
fn not_child() {
    use Error::NotChild as E;
    Case::main(|sys, s| async move {
        let me = sys.getpid().await;
        s.step("wait for itself").note(sys.wait(me).await);
        let kid = s.step("spawn kid").need(sys.spawn("kid", me.raw()).await)?;
        let m = s
            .step("learn grandkid")
            .need(sys.receive(Source::Process(kid), Mode::Blocking).await)?;
        let raw = <[u8; 8]>::try_from(m.bytes.as_slice()).expect("the kid sends a pid");
        let grandkid = Pid::from_raw(u64::from_le_bytes(raw));
        s.step("wait for grandkid").note(sys.wait(grandkid).await);
        s.step("wait for grandkid, non-blocking")
            .note(sys.wait_mode(grandkid, Mode::NonBlocking).await);
        s.step("stop grandkid")
            .note(sys.send(grandkid, b"bye", Mode::Blocking).await);
        s.step("wait kid").note(sys.wait(kid).await);
        Ok(())
    })
    .program(
        "kid",
        "spawns a listener and tells arg its pid",
        |sys, arg, s| async move {
            let parent = Pid::from_raw(arg);
            let grandkid = sys.spawn("listener", 0).await?;
            sys.send(parent, &grandkid.raw().to_le_bytes(), Mode::Blocking)
                .await?;
            s.step("kid: wait for its parent")
                .note(sys.wait(parent).await);
            let code = s
                .step("kid: wait grandkid")
                .need(sys.wait(grandkid).await)?;
            assert_eq!(code, 0, "the grandkid's exit code");
            Ok(())
        },
    )
    .expect(&[
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
    ]);
}

#[test]
fn deadlock() {
    use Error::Deadlock as E;
    let report = Case::main(|sys, s| async move {
        let me = sys.getpid().await;
        s.step("receive from itself")
            .note(sys.receive(me, Mode::Blocking).await);
        s.step("send to its own rendezvous inbox")
            .note(sys.send(me, b"x", Mode::Blocking).await);
        let mine = s
            .step("create mine")
            .need(sys.create_mailbox(Capacity::Bounded(1), Some("mine")).await)?;
        // Refused before the request is queued: the call sends nothing.
        s.step("call its own mailbox")
            .note(sys.call(mine, b"q", Mode::Blocking).await);
        s.step("call its own mailbox with a timeout")
            .note(sys.call(mine, b"q", Mode::Timeout(5)).await);
        let clinger = s
            .step("spawn clinger")
            .need(sys.spawn("clinger", me.raw()).await)?;
        sys.sleep(5).await; // the clinger blocks sending to main
        s.step("wait for the clinger").note(sys.wait(clinger).await);
        s.step("take the clinger's message")
            .note(sys.receive(clinger, Mode::Blocking).await);
        s.step("wait for the clinger again")
            .note(sys.wait(clinger).await);
        Ok(())
    })
    .program(
        "clinger",
        "sends to arg, blocking",
        |sys, arg, _| async move { sys.send(Pid::from_raw(arg), b"hi", Mode::Blocking).await },
    )
    .with_kernel(|k| k.refuse_deadlock = true)
    .expect(&[
        ("receive from itself", Err(E)),
        ("send to its own rendezvous inbox", Err(E)),
        ("create mine", OK),
        ("call its own mailbox", Err(E)),
        ("call its own mailbox with a timeout", Err(E)),
        ("spawn clinger", OK),
        ("wait for the clinger", Err(E)),
        ("take the clinger's message", OK),
        ("wait for the clinger again", OK),
    ]);
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
fn no_send_right() {
    // In capability mode a send, call or send_right to a mailbox needs a send right on it;
    // carrying or granting a send right needs one too. Once given one, the send goes through.
    use Error::NoSendRight as E;
    Case::main(|sys, s| async move {
        let me = sys.getpid().await;
        let owner = s
            .step("spawn")
            .need(sys.spawn("rights_owner", me.raw()).await)?;
        sys.sleep(5).await;
        let mb = sys.lookup_mailbox("guarded").await;
        let mb = s.step("lookup").need(mb)?;
        s.step("send")
            .note(sys.send(mb, b"x", Mode::NonBlocking).await);
        s.step("call")
            .note(sys.call(mb, b"x", Mode::Timeout(5)).await);
        s.step("send carrying a send right").note(
            sys.send_right(owner, b"x", Mode::NonBlocking, Right::Send(mb))
                .await,
        );
        s.step("grant_send").note(sys.grant_send(mb, me).await);
        s.step("wait").note(sys.wait(owner).await);
        Ok(())
    })
    .program(
        "rights_owner",
        "owns mailbox guarded, then grants main a send right",
        |sys, main, s| async move {
            let mb = sys
                .create_mailbox(Capacity::Unbounded, Some("guarded"))
                .await?;
            sys.sleep(40).await;
            sys.grant_send(mb, Pid::from_raw(main)).await?;
            let _ = sys.receive(mb, Mode::Timeout(60)).await;
            s.step("owner done").note(Ok(()));
            Ok(())
        },
    )
    .with_kernel(|k| k.capabilities = true)
    .expect(&[
        ("spawn", OK),
        ("lookup", OK),
        ("send", Err(E)),
        ("call", Err(E)),
        ("send carrying a send right", Err(E)),
        ("grant_send", Err(E)),
        ("owner done", OK),
        ("wait", OK),
    ]);
}

#[test]
fn receiver_busy() {
    // A `one_at_a_time` mailbox lets one receiver wait: a second receive that would wait
    // beside it fails at once, in every mode; once the first is served, a receive may wait
    // again.
    use Error::ReceiverBusy as E;
    Case::main(|sys, s| async move {
        let options = MailboxOptions::new(Capacity::Unbounded)
            .name("single")
            .receivers(Receivers::OneAtATime);
        let mb = s
            .step("create")
            .need(sys.create_mailbox_opts(options).await)?;
        let waiter = s.step("spawn").need(sys.spawn("single_waiter", 0).await)?;
        s.step("grant").note(sys.grant_receive(mb, waiter).await);
        sys.sleep(5).await;
        s.step("receive blocking")
            .note(sys.receive(mb, Mode::Blocking).await);
        s.step("receive non-blocking")
            .note(sys.receive(mb, Mode::NonBlocking).await);
        s.step("receive with a timeout")
            .note(sys.receive(mb, Mode::Timeout(5)).await);
        s.step("send")
            .note(sys.send(mb, b"x", Mode::Blocking).await);
        s.step("wait").note(sys.wait(waiter).await);
        s.step("receive after")
            .note(sys.receive(mb, Mode::Timeout(3)).await);
        Ok(())
    })
    .program(
        "single_waiter",
        "waits on mailbox single",
        |sys, _, s| async move {
            let mb = sys.lookup_mailbox("single").await?;
            s.step("waiter receives")
                .need(sys.receive(mb, Mode::Blocking).await)
                .map(drop)
        },
    )
    .expect(&[
        ("create", OK),
        ("spawn", OK),
        ("grant", OK),
        ("receive blocking", Err(E)),
        ("receive non-blocking", Err(E)),
        ("receive with a timeout", Err(E)),
        ("send", OK),
        ("waiter receives", OK),
        ("wait", OK),
        ("receive after", Err(Error::TimedOut)),
    ]);
}

#[test]
fn mailbox_full() {
    // A full mailbox whose overflow policy is `fail` refuses at once, in every mode, and a
    // `drop_newest` one refuses a call; after a receive frees the slot, sends go through.
    use Error::MailboxFull as E;
    let report = Case::main(|sys, s| async move {
        let one = Capacity::Bounded(1);
        let strict = sys
            .create_mailbox_with(one, Some("strict"), Overflow::Fail)
            .await;
        let mb = s.step("create fail").need(strict)?;
        s.step("fill")
            .note(sys.send(mb, b"a", Mode::NonBlocking).await);
        s.step("send blocking")
            .note(sys.send(mb, b"b", Mode::Blocking).await);
        s.step("send non-blocking")
            .note(sys.send(mb, b"b", Mode::NonBlocking).await);
        s.step("send with a timeout")
            .note(sys.send(mb, b"b", Mode::Timeout(5)).await);
        s.step("call")
            .note(sys.call(mb, b"c", Mode::Blocking).await);
        s.step("take one")
            .note(sys.receive(mb, Mode::NonBlocking).await);
        s.step("send again")
            .note(sys.send(mb, b"d", Mode::NonBlocking).await);
        let lossy = sys
            .create_mailbox_with(one, None, Overflow::DropNewest)
            .await;
        let lossy = s.step("create drop_newest").need(lossy)?;
        s.step("fill lossy")
            .note(sys.send(lossy, b"a", Mode::NonBlocking).await);
        s.step("send to lossy")
            .note(sys.send(lossy, b"b", Mode::Blocking).await);
        s.step("call lossy")
            .note(sys.call(lossy, b"c", Mode::Blocking).await);
        Ok(())
    })
    .expect(&[
        ("create fail", OK),
        ("fill", OK),
        ("send blocking", Err(E)),
        ("send non-blocking", Err(E)),
        ("send with a timeout", Err(E)),
        ("call", Err(E)),
        ("take one", OK),
        ("send again", OK),
        ("create drop_newest", OK),
        ("fill lossy", OK),
        ("send to lossy", OK),
        ("call lossy", Err(E)),
    ]);
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
