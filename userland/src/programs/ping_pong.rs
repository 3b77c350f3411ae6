//! `ping_pong`: rendezvous message passing through mailboxes found by name.
//!
//! Two processes bounce a [`MESSAGE_LEN`]-byte message back and forth. Each owns the mailbox it
//! receives on (only an owner may receive), and both mailboxes have [`Capacity::Zero`], so
//! every send is a rendezvous: the sender waits until its peer takes the message.
//!
//! - The pinger (the main process) creates [`PONG`] *before* spawning its peer, so the
//!   peer's lookup of it succeeds at once.
//! - The ponger ([`PONGER`]) creates [`PING`] when it first runs; the pinger looks it up and
//!   yields between attempts until it exists.
//!
//! Each round is one send and one receive on each side. Mailbox names are global, so only
//! one `ping_pong` can run on a machine at a time (a second gets `name_in_use`).

use super::support::{exit_code, fail, lookup_retrying, or_default, reap, say, Check, Outcome};
use crate::{Capacity, Message, Mode, ProgramTable, Sys};

/// The main program's name.
pub const NAME: &str = "ping_pong";
/// The peer program the main process spawns; its `arg` is the number of rounds.
pub const PONGER: &str = "ping_pong.ponger";
/// Rounds played when `arg` is 0.
pub const DEFAULT_ROUNDS: u64 = 3;
/// The length of every message, in bytes.
pub const MESSAGE_LEN: usize = 16;
/// The mailbox the ponger owns and receives pings on.
pub const PING: &str = "ping";
/// The mailbox the pinger owns and receives pongs on.
pub const PONG: &str = "pong";

/// Add `ping_pong` and its peer to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        NAME,
        "rendezvous: two processes bounce a 16-byte message through zero-capacity mailboxes \
         they own and find by name (arg: rounds, 0 = 3)",
        run,
    );
    table.add(
        PONGER,
        "ping_pong's peer: answers each ping on its own zero-capacity mailbox (arg: rounds)",
        ponger,
    );
}

/// The pinger: plays `arg` rounds (0 means [`DEFAULT_ROUNDS`]) with a spawned ponger and waits
/// for it. Exits 0 when every round came back, 1 otherwise.
pub async fn run(sys: Sys, arg: u64) -> i32 {
    let outcome = pinger(&sys, or_default(arg, DEFAULT_ROUNDS)).await;
    exit_code(&sys, NAME, outcome).await
}

async fn pinger(sys: &Sys, rounds: u64) -> Outcome {
    let pong = sys
        .create_mailbox(Capacity::Zero, Some(PONG))
        .await
        .check("create_mailbox(\"pong\")")?;
    let peer = sys.spawn(PONGER, rounds).await.check("spawn ponger")?;
    let ping = lookup_retrying(sys, PING).await?;
    say(
        sys,
        &format!("pinger: receives on {PONG} = {pong}, sends to {PING} = {ping} owned by {peer}"),
    )
    .await?;
    for round in 1..=rounds {
        sys.send(ping, &message("ping", round), Mode::Blocking)
            .await
            .check(&format!("send ping {round}"))?;
        let reply = sys
            .receive(pong, Mode::Blocking)
            .await
            .check(&format!("receive pong {round}"))?;
        expect(&reply, "pong", round)?;
        say(sys, &format!("pinger: round {round}: {}", describe(&reply))).await?;
    }
    reap(sys, peer, "ponger").await?;
    sys.delete_mailbox(pong)
        .await
        .check("delete_mailbox(\"pong\")")?;
    say(sys, &format!("pinger: {rounds} rounds done")).await
}

/// The ponger: receives `arg` pings (0 means [`DEFAULT_ROUNDS`]) and answers each.
async fn ponger(sys: Sys, arg: u64) -> i32 {
    let outcome = ponger_body(&sys, or_default(arg, DEFAULT_ROUNDS)).await;
    exit_code(&sys, PONGER, outcome).await
}

async fn ponger_body(sys: &Sys, rounds: u64) -> Outcome {
    let ping = sys
        .create_mailbox(Capacity::Zero, Some(PING))
        .await
        .check("create_mailbox(\"ping\")")?;
    // The pinger created "pong" before spawning us, so this succeeds on the first try.
    let pong = lookup_retrying(sys, PONG).await?;
    for round in 1..=rounds {
        let msg = sys
            .receive(ping, Mode::Blocking)
            .await
            .check(&format!("receive ping {round}"))?;
        expect(&msg, "ping", round)?;
        say(sys, &format!("ponger: round {round}: {}", describe(&msg))).await?;
        sys.send(pong, &message("pong", round), Mode::Blocking)
            .await
            .check(&format!("send pong {round}"))?;
    }
    // Exiting deletes "ping"; the pinger has already taken the last pong by now (rendezvous).
    Ok(())
}

/// `"<kind> <round>"`, space-padded (or cut) to exactly [`MESSAGE_LEN`] bytes.
fn message(kind: &str, round: u64) -> [u8; MESSAGE_LEN] {
    let mut bytes = [b' '; MESSAGE_LEN];
    let text = format!("{kind} {round}");
    let n = text.len().min(MESSAGE_LEN);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    bytes
}

/// Require that `msg` is exactly the message `kind` sends in `round`.
fn expect(msg: &Message, kind: &str, round: u64) -> Outcome {
    if msg.bytes != message(kind, round) {
        return fail(format!(
            "expected {:?} in round {round}, got {:?} ({} bytes) from {}",
            kind,
            msg.text(),
            msg.bytes.len(),
            msg.sender
        ));
    }
    Ok(())
}

fn describe(msg: &Message) -> String {
    format!(
        "got {:?} ({} bytes) from {}",
        msg.text().trim_end(),
        msg.bytes.len(),
        msg.sender
    )
}
