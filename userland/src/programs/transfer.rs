//! `transfer`: handing a mailbox, and the messages queued in it, to another process.
//!
//! The main process creates the bounded mailbox [`JOBS`], queues a few jobs in it itself, and
//! spawns an heir ([`HEIR`]). It then transfers the mailbox to the heir with
//! `transfer_mailbox` and shows that receiving from it is now refused with `not_owner`: only
//! the owner may receive. Finally it tells the heir to start with a direct `"go"` message.
//!
//! The heir waits for that message first (`receive(Source::Any)`), so it cannot look at the
//! mailbox before it owns it. It then finds the mailbox by name, drains the jobs that were
//! queued before the transfer (they moved with the mailbox), deletes it, and shows the name
//! no longer resolves.

use super::support::{exit_code, fail, reap, say, Check, Outcome};
use crate::{Capacity, Error, Mode, Pid, ProgramTable, Source, SpawnOptions, Sys};

/// The main program's name.
pub const NAME: &str = "transfer";
/// The heir program; its `arg` is how many jobs it should find queued.
pub const HEIR: &str = "transfer.heir";
/// The transferred mailbox's name.
pub const JOBS: &str = "jobs";
/// How many messages the mailbox holds. The main process queues jobs without anybody
/// receiving, so it never queues more than this.
pub const CAPACITY: u32 = 4;
/// Jobs queued when `arg` is 0.
pub const DEFAULT_JOBS: u64 = 3;
/// The direct message that starts the heir.
pub const GO: &[u8] = b"go";

/// Add `transfer` and its heir to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        NAME,
        "ownership: a mailbox with queued messages is transferred to another process, after \
         which the old owner's receive fails with not_owner (arg: jobs, 0 = 3, at most 4)",
        run,
    );
    table.add(
        HEIR,
        "transfer's heir: after a \"go\" message, drains and deletes the \"jobs\" mailbox it \
         was given (arg: jobs expected)",
        heir,
    );
}

/// Queues `arg` jobs (0 means [`DEFAULT_JOBS`]; more than [`CAPACITY`] is capped, since
/// nobody receives while they are queued), transfers the mailbox to an heir and waits for
/// it. Exits 0 when the old owner was refused with `not_owner` and the heir exited 0.
pub async fn run(sys: Sys, arg: u64) -> i32 {
    let jobs = match arg {
        0 => DEFAULT_JOBS,
        n => n.min(u64::from(CAPACITY)),
    };
    let outcome = owner(&sys, jobs).await;
    exit_code(&sys, NAME, outcome).await
}

async fn owner(sys: &Sys, jobs: u64) -> Outcome {
    let mb = sys
        .create_mailbox(Capacity::Bounded(CAPACITY), Some(JOBS))
        .await
        .check("create_mailbox(\"jobs\")")?;
    for job in 0..jobs {
        // Non-blocking: there is room, and nobody could make room if there were not.
        let text = format!("job {job}");
        sys.send(mb, text.as_bytes(), Mode::NonBlocking)
            .await
            .check(&format!("send {text:?} to {JOBS}"))?;
    }
    say(sys, &format!("main: queued {jobs} jobs in {JOBS} = {mb}")).await?;
    let heir = sys
        .spawn_with(SpawnOptions::new(HEIR, jobs).label("heir"))
        .await
        .check("spawn heir")?;
    sys.transfer_mailbox(mb, heir)
        .await
        .check(&format!("transfer_mailbox({mb}, {heir})"))?;
    say(sys, &format!("main: transferred {mb} to {heir}")).await?;
    // Not returning early from here on: the heir waits for "go" whatever we saw.
    let refused = match sys.receive(mb, Mode::NonBlocking).await {
        Err(Error::NotOwner) => {
            say(
                sys,
                &format!(
                    "main: receive({mb}) after the transfer: {} ({})",
                    Error::NotOwner,
                    Error::NotOwner.description()
                ),
            )
            .await?;
            Ok(())
        }
        Ok(msg) => fail(format!(
            "receive({mb}) after the transfer returned {:?}; expected not_owner",
            msg.text()
        )),
        Err(e) => fail(format!(
            "receive({mb}) after the transfer failed with {e}; expected not_owner"
        )),
    };
    start_and_reap(sys, heir).await?;
    refused?;
    say(sys, "main: done").await
}

async fn start_and_reap(sys: &Sys, heir: Pid) -> Outcome {
    sys.send(heir, GO, Mode::Blocking)
        .await
        .check(&format!("send \"go\" to {heir}"))?;
    reap(sys, heir, "heir").await
}

/// The heir: waits for [`GO`], then drains and deletes [`JOBS`], expecting `arg` jobs.
async fn heir(sys: Sys, arg: u64) -> i32 {
    let outcome = inherit(&sys, arg).await;
    exit_code(&sys, HEIR, outcome).await
}

async fn inherit(sys: &Sys, expected: u64) -> Outcome {
    let go = sys
        .receive(Source::Any, Mode::Blocking)
        .await
        .check("receive \"go\"")?;
    if go.bytes != GO {
        return fail(format!(
            "expected \"go\", got {:?} from {}",
            go.text(),
            go.sender
        ));
    }
    let mb = sys
        .lookup_mailbox(JOBS)
        .await
        .check("lookup_mailbox(\"jobs\")")?;
    say(
        sys,
        &format!(
            "heir: told to start by {}; {JOBS} = {mb} is mine",
            go.sender
        ),
    )
    .await?;
    let mut received = 0;
    loop {
        match sys.receive(mb, Mode::NonBlocking).await {
            Ok(msg) => {
                received += 1;
                say(
                    sys,
                    &format!(
                        "heir: {:?} from {} (queued before the transfer)",
                        msg.text(),
                        msg.sender
                    ),
                )
                .await?;
            }
            Err(Error::WouldBlock) => break,
            Err(e) => return Err(e).check(&format!("receive({mb})")),
        }
    }
    if received != expected {
        return fail(format!("expected {expected} queued jobs, found {received}"));
    }
    sys.delete_mailbox(mb)
        .await
        .check(&format!("delete_mailbox({mb})"))?;
    match sys.lookup_mailbox(JOBS).await {
        Err(Error::NoSuchMailbox) => {
            say(
                sys,
                &format!("heir: deleted {mb}; lookup of {JOBS:?} now fails with no_such_mailbox"),
            )
            .await
        }
        Ok(id) => fail(format!("{JOBS:?} still resolves to {id} after delete")),
        Err(e) => Err(e).check("lookup_mailbox(\"jobs\") after delete"),
    }
}
