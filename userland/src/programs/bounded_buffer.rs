//! `bounded_buffer`: producers and a consumer sharing a bounded mailbox.
//!
//! The main process creates the mailbox [`BUFFER`] with room for [`CAPACITY`] messages and
//! is its owner, so it is the only process that may receive from it: it is the consumer.
//! It spawns producers ([`PRODUCER`], `arg` = the producer's index), each of which finds the
//! buffer by name and sends [`ITEMS_PER_PRODUCER`] items, computing for a while between sends.
//! When the buffer is full a producer's send blocks until the consumer takes an item; when it
//! is empty the consumer's receive blocks until some producer sends. The consumer prints each
//! item with the sender the kernel stamped on it, so the output shows how the scheduler
//! interleaved the producers.

use super::support::{exit_code, lookup_retrying, or_default, reap, say, Check, Outcome};
use crate::{Capacity, Mode, ProgramTable, SpawnOptions, Sys};

/// The main program's name.
pub const NAME: &str = "bounded_buffer";
/// The producer program; its `arg` is its index (0, 1, ...).
pub const PRODUCER: &str = "bounded_buffer.producer";
/// The shared mailbox's name.
pub const BUFFER: &str = "buffer";
/// How many messages the buffer holds before producers wait.
pub const CAPACITY: u32 = 4;
/// Producers spawned when `arg` is 0.
pub const DEFAULT_PRODUCERS: u64 = 3;
/// How many items each producer sends.
pub const ITEMS_PER_PRODUCER: u64 = 4;
/// Ticks each producer computes between two sends.
pub const WORK_TICKS: u64 = 2;

/// Add `bounded_buffer` and its producer to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        NAME,
        "indirect naming: producers fill a bounded mailbox that its owner drains, blocking \
         when it is full or empty (arg: producers, 0 = 3)",
        run,
    );
    table.add(
        PRODUCER,
        "bounded_buffer's producer: sends 4 items to the \"buffer\" mailbox (arg: its index)",
        producer,
    );
}

/// The consumer: spawns `arg` producers (0 means [`DEFAULT_PRODUCERS`]), receives all their
/// items, then waits for each. Exits 0 when every item arrived and every producer exited 0.
pub async fn run(sys: Sys, arg: u64) -> i32 {
    let outcome = consumer(&sys, or_default(arg, DEFAULT_PRODUCERS)).await;
    exit_code(&sys, NAME, outcome).await
}

async fn consumer(sys: &Sys, producers: u64) -> Outcome {
    let buffer = sys
        .create_mailbox(Capacity::Bounded(CAPACITY), Some(BUFFER))
        .await
        .check("create_mailbox(\"buffer\")")?;
    say(
        sys,
        &format!("consumer: {BUFFER} = {buffer}, capacity {CAPACITY}, {producers} producers"),
    )
    .await?;
    let mut pids = Vec::new();
    for index in 0..producers {
        let label = format!("producer {index}");
        let pid = sys
            .spawn_with(SpawnOptions::new(PRODUCER, index).label(&label))
            .await
            .check(&format!("spawn {label}"))?;
        pids.push(pid);
    }
    let total = producers * ITEMS_PER_PRODUCER;
    for n in 1..=total {
        let item = sys
            .receive(buffer, Mode::Blocking)
            .await
            .check(&format!("receive item {n} of {total}"))?;
        say(
            sys,
            &format!(
                "consumer: {n}/{total}: {:?} from {}",
                item.text(),
                item.sender
            ),
        )
        .await?;
    }
    for (index, pid) in pids.into_iter().enumerate() {
        reap(sys, pid, &format!("producer {index}")).await?;
    }
    sys.delete_mailbox(buffer)
        .await
        .check("delete_mailbox(\"buffer\")")?;
    say(sys, &format!("consumer: all {total} items received")).await
}

/// A producer: sends [`ITEMS_PER_PRODUCER`] items tagged with its index `arg`.
async fn producer(sys: Sys, arg: u64) -> i32 {
    let outcome = produce(&sys, arg).await;
    exit_code(&sys, &format!("producer {arg}"), outcome).await
}

async fn produce(sys: &Sys, index: u64) -> Outcome {
    // The consumer created the buffer before spawning us, so the first lookup finds it.
    let buffer = lookup_retrying(sys, BUFFER).await?;
    for item in 0..ITEMS_PER_PRODUCER {
        if item > 0 {
            sys.compute(WORK_TICKS).await;
        }
        let text = format!("item {item} from producer {index}");
        sys.send(buffer, text.as_bytes(), Mode::Blocking)
            .await
            .check(&format!("send {text:?}"))?;
    }
    Ok(())
}
