//! `prime_sieve`: a pipeline of processes connected by buffered direct messages.
//!
//! The main process generates the numbers `2..N` and sends each, as an 8-byte little-endian
//! `u64`, to the first filter's inbox; 0 marks the end. Every filter ([`FILTER`]) takes the
//! first number it receives as its prime `p` and prints it, then forwards every number that
//! `p` does not divide to the next filter, which it spawns the first time it has something to
//! forward. Each filter's inbox holds [`INBOX`] messages, so a stage can run ahead of the
//! next one by that much before its send waits.
//!
//! On the end marker a filter passes it on (if it has a next filter), waits for that filter
//! to exit, and exits itself, so the pipeline shuts down back to front. Every message flows
//! one way and every process receives only from its own inbox, so nothing can wait in a
//! cycle.
//!
//! Cost: each number travels through one filter per prime up to its smallest factor; for
//! `N` = 100 that is about 440 sends and as many receives, plus one spawn per prime.

use super::support::{exit_code, fail, or_default, reap, say, Check, Outcome};
use crate::{Capacity, Mode, Pid, ProgramTable, Source, SpawnOptions, Sys};

/// The main program's name.
pub const NAME: &str = "prime_sieve";
/// The filter program; its `arg` is its position in the pipeline (0 for the first).
pub const FILTER: &str = "prime_sieve.filter";
/// The bound `N` when `arg` is 0: primes below 100.
pub const DEFAULT_LIMIT: u64 = 100;
/// Each filter's inbox.
pub const INBOX: Capacity = Capacity::Bounded(4);
/// The number that ends the stream.
pub const END: u64 = 0;

/// Add `prime_sieve` and its filter to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        NAME,
        "pipeline: a chain of filter processes, each spawned on demand, sieves primes through \
         bounded direct inboxes (arg: print primes below N, 0 = 100)",
        run,
    );
    table.add(
        FILTER,
        "prime_sieve's filter: keeps the first number as its prime, forwards non-multiples \
         (arg: its position in the pipeline)",
        filter,
    );
}

/// The generator: feeds `2..arg` (0 means [`DEFAULT_LIMIT`]) and the end marker to the first
/// filter and waits for it. Exits 0 when the whole pipeline exited 0.
pub async fn run(sys: Sys, arg: u64) -> i32 {
    let outcome = generate(&sys, or_default(arg, DEFAULT_LIMIT)).await;
    exit_code(&sys, NAME, outcome).await
}

async fn generate(sys: &Sys, limit: u64) -> Outcome {
    say(sys, &format!("generator: primes below {limit}")).await?;
    let first = spawn_filter(sys, 0).await?;
    for n in 2..limit {
        send_number(sys, first, n).await?;
    }
    send_number(sys, first, END).await?;
    reap(sys, first, "filter 0").await?;
    say(sys, "generator: pipeline done").await
}

/// A filter at position `arg`.
async fn filter(sys: Sys, arg: u64) -> i32 {
    let outcome = sieve(&sys, arg).await;
    exit_code(&sys, &format!("filter {arg}"), outcome).await
}

async fn sieve(sys: &Sys, position: u64) -> Outcome {
    let p = receive_number(sys).await?;
    if p == END {
        // Nothing reached this stage (N <= 2): there is no prime to report.
        return Ok(());
    }
    say(sys, &format!("prime {p}")).await?;
    let mut next: Option<Pid> = None;
    loop {
        let n = receive_number(sys).await?;
        if n == END {
            if let Some(child) = next {
                send_number(sys, child, END).await?;
                reap(sys, child, &format!("filter {}", position + 1)).await?;
            }
            return Ok(());
        }
        if n % p == 0 {
            continue;
        }
        let child = match next {
            Some(child) => child,
            None => {
                let child = spawn_filter(sys, position + 1).await?;
                next = Some(child);
                child
            }
        };
        send_number(sys, child, n).await?;
    }
}

async fn spawn_filter(sys: &Sys, position: u64) -> Outcome<Pid> {
    let label = format!("filter {position}");
    sys.spawn_with(
        SpawnOptions::new(FILTER, position)
            .inbox(INBOX)
            .label(&label),
    )
    .await
    .check(&format!("spawn {label}"))
}

async fn send_number(sys: &Sys, to: Pid, n: u64) -> Outcome {
    sys.send(to, &n.to_le_bytes(), Mode::Blocking)
        .await
        .check(&format!("send {n} to {to}"))
}

async fn receive_number(sys: &Sys) -> Outcome<u64> {
    let msg = sys
        .receive(Source::Any, Mode::Blocking)
        .await
        .check("receive a number")?;
    match <[u8; 8]>::try_from(msg.bytes.as_slice()) {
        Ok(raw) => Ok(u64::from_le_bytes(raw)),
        Err(_) => fail(format!(
            "expected an 8-byte number, got {} bytes from {}",
            msg.bytes.len(),
            msg.sender
        )),
    }
}
