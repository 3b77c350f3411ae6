//! Shared plumbing for the example programs: turning failed syscalls into messages and exit
//! codes, defaults for `arg`, and a few steps several programs take.
//!
//! A program body returns an [`Outcome`]; the first failed step becomes a [`Failure`] that
//! [`exit_code`] prints before the process exits with code 1. Nothing here panics on a kernel
//! error.

use crate::{Error, MailboxId, Pid, Sys, SysResult};

/// How many times [`lookup_retrying`] asks for a name before giving up.
pub const LOOKUP_ATTEMPTS: u32 = 100;

/// Why a program gave up, in words.
#[derive(Debug)]
pub struct Failure(pub String);

/// What a program body returns: `Ok` or the step that failed.
pub type Outcome<T = ()> = Result<T, Failure>;

/// Attach the step that was being taken to a syscall's error.
pub trait Check<T> {
    /// `Ok` unchanged, or a [`Failure`] saying `what` failed and why.
    fn check(self, what: &str) -> Outcome<T>;
}

impl<T> Check<T> for SysResult<T> {
    fn check(self, what: &str) -> Outcome<T> {
        self.map_err(|e| Failure(format!("{what} failed: {e} ({})", e.description())))
    }
}

/// A failure that is not a syscall error: a malformed message, a wrong answer.
pub fn fail<T>(why: impl Into<String>) -> Outcome<T> {
    Err(Failure(why.into()))
}

/// `arg`, or `default` when `arg` is 0.
pub fn or_default(arg: u64, default: u64) -> u64 {
    if arg == 0 {
        default
    } else {
        arg
    }
}

/// Print a line on the console; a failed print is a failure like any other syscall.
pub async fn say(sys: &Sys, text: &str) -> Outcome {
    sys.print(text).await.check("print")
}

/// The exit code for `outcome`: 0, or 1 after printing `who: why`.
pub async fn exit_code(sys: &Sys, who: &str, outcome: Outcome) -> i32 {
    match outcome {
        Ok(()) => 0,
        Err(Failure(why)) => {
            // If even this print fails there is nobody left to tell; the code still says it.
            let _ = sys.print(&format!("{who}: {why}")).await;
            1
        }
    }
}

/// Wait for `child` and require that it exited with code 0. `what` names it in messages.
pub async fn reap(sys: &Sys, child: Pid, what: &str) -> Outcome {
    let code = sys
        .wait(child)
        .await
        .check(&format!("wait for {what} {child}"))?;
    if code != 0 {
        return fail(format!("{what} {child} exited with code {code}"));
    }
    Ok(())
}

/// Look up a mailbox by name, yielding between attempts while it does not exist yet (its
/// creator may not have run). Gives up after [`LOOKUP_ATTEMPTS`] tries.
pub async fn lookup_retrying(sys: &Sys, name: &str) -> Outcome<MailboxId> {
    for _ in 0..LOOKUP_ATTEMPTS {
        match sys.lookup_mailbox(name).await {
            Ok(id) => return Ok(id),
            Err(Error::NoSuchMailbox) => sys.yield_now().await,
            Err(e) => return Err(e).check(&format!("lookup_mailbox({name:?})")),
        }
    }
    fail(format!(
        "mailbox {name:?} still missing after {LOOKUP_ATTEMPTS} lookups"
    ))
}
