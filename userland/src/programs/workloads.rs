//! The performance workloads W1–W4 (`docs/performance.md`): the same four jobs the peer
//! harness runs on tokio and on OS threads, written against the syscall ABI like any other
//! program, so that what is measured is the whole model: the trap, the checks, the queues,
//! the scheduler.
//!
//! | program        | workload                                                                 | `arg` (0 = default)                   |
//! |----------------|--------------------------------------------------------------------------|---------------------------------------|
//! | `w1_mailbox`   | W1 ping-pong: a 16-byte message each way through zero-capacity mailboxes | rounds (1,000)                         |
//! | `w1_call`      | W1 ping-pong as direct `call` / `reply`                                  | rounds (1,000)                         |
//! | `w2_ring`      | W2 a ring of processes passing one token by direct send                  | [`ring`]`(processes, hops)` (10, 100)  |
//! | `w3_fan_in`    | W3 eight producers into one mailbox of capacity 64                       | messages (1,000)                       |
//! | `w4_wake_all`  | W4 processes each blocked receiving on its own mailbox, each woken once  | processes (100)                        |
//!
//! Every program checks what it receives (W2's token counts down hop by hop, W3's consumer
//! counts each producer's messages), so a benchmark of them is also a test that the work was
//! done; each exits 0 on success and 1 on the first unexpected result.

use super::support::or_default;
use crate::{Capacity, Error, MailboxId, Mode, Pid, ProgramTable, Source, Sys};

/// The length of every workload message, in bytes.
pub const MESSAGE_LEN: usize = 16;
/// W3's producers.
pub const PRODUCERS: u64 = 8;
/// W3's mailbox capacity.
pub const FAN_IN_CAPACITY: u64 = 64;

/// W2's `arg`: `processes` in the ring (at least 2, at most 2^32 - 1) and `hops` the token
/// makes before it stops (at most 2^32 - 1).
pub const fn ring(processes: u64, hops: u64) -> u64 {
    (processes << 32) | (hops & 0xffff_ffff)
}

/// Add the workloads and their helpers to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        "w1_mailbox",
        "W1 ping-pong: a 16-byte message each way through two zero-capacity mailboxes \
         (arg: rounds, 0 = 1000)",
        w1_mailbox,
    );
    table.add("w1_mailbox.ponger", "W1's peer on mailboxes", w1_ponger);
    table.add(
        "w1_call",
        "W1 ping-pong as direct call/reply (arg: rounds, 0 = 1000)",
        w1_call,
    );
    table.add("w1_call.server", "W1's replying peer", w1_server);
    table.add(
        "w2_ring",
        "W2: a ring of processes passing one token by direct send \
         (arg: processes << 32 | hops, 0 = 10 processes, 100 hops)",
        w2_ring,
    );
    table.add("w2_ring.node", "a W2 ring node", w2_node);
    table.add(
        "w3_fan_in",
        "W3: 8 producers into one mailbox of capacity 64 (arg: messages, 0 = 1000)",
        w3_fan_in,
    );
    table.add("w3_fan_in.producer", "a W3 producer", w3_producer);
    table.add(
        "w4_wake_all",
        "W4: processes each blocked receiving on its own mailbox, each woken once \
         (arg: processes, 0 = 100)",
        w4_wake_all,
    );
    table.add("w4_wake_all.sleeper", "a W4 process", w4_sleeper);
}

fn word(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
}

fn message(value: u64) -> [u8; MESSAGE_LEN] {
    let mut m = [0u8; MESSAGE_LEN];
    m[..8].copy_from_slice(&value.to_le_bytes());
    m
}

/// W1 on mailboxes: the pinger owns `pong`, its spawned peer owns `ping`; each round is one
/// rendezvous each way. The peer creates `ping` before it first receives, and the pinger's
/// first send blocks until it has (the peer sends the id over `pong`).
async fn w1_mailbox(sys: Sys, arg: u64) -> i32 {
    let rounds = or_default(arg, 1_000);
    let Ok(pong) = sys.create_mailbox(Capacity::Zero, None).await else {
        return 1;
    };
    if sys.spawn("w1_mailbox.ponger", pong.raw()).await.is_err() {
        return 1;
    }
    // The peer's first message is the id of its mailbox.
    let Some(ping) = sys
        .receive(pong, Mode::Blocking)
        .await
        .ok()
        .and_then(|m| word(&m.bytes))
    else {
        return 1;
    };
    let ping = MailboxId::from_raw(ping);
    for round in 0..rounds {
        if sys
            .send(ping, &message(round), Mode::Blocking)
            .await
            .is_err()
        {
            return 1;
        }
        match sys.receive(pong, Mode::Blocking).await {
            Ok(m) if word(&m.bytes) == Some(round) => {}
            _ => return 1,
        }
    }
    // Tell the peer to stop.
    i32::from(
        sys.send(ping, &message(u64::MAX), Mode::Blocking)
            .await
            .is_err(),
    )
}

async fn w1_ponger(sys: Sys, pong: u64) -> i32 {
    let pong = MailboxId::from_raw(pong);
    let Ok(ping) = sys.create_mailbox(Capacity::Zero, None).await else {
        return 1;
    };
    if sys
        .send(pong, &message(ping.raw()), Mode::Blocking)
        .await
        .is_err()
    {
        return 1;
    }
    loop {
        let Ok(m) = sys.receive(ping, Mode::Blocking).await else {
            return 1;
        };
        if word(&m.bytes) == Some(u64::MAX) {
            return 0;
        }
        if sys.send(pong, &m.bytes, Mode::Blocking).await.is_err() {
            return 1;
        }
    }
}

/// W1 as `call` / `reply`: the client calls its spawned server, which replies with the
/// message it got.
async fn w1_call(sys: Sys, arg: u64) -> i32 {
    let rounds = or_default(arg, 1_000);
    let Ok(server) = sys.spawn("w1_call.server", rounds).await else {
        return 1;
    };
    for round in 0..rounds {
        match sys.call(server, &message(round), Mode::Blocking).await {
            Ok(m) if word(&m.bytes) == Some(round) => {}
            _ => return 1,
        }
    }
    0
}

async fn w1_server(sys: Sys, rounds: u64) -> i32 {
    for _ in 0..rounds {
        let Ok(m) = sys.receive(Source::Any, Mode::Blocking).await else {
            return 1;
        };
        if sys.reply(m.sender, &m.bytes).await.is_err() {
            return 1;
        }
    }
    0
}

/// W2: spawn the ring's nodes (rendezvous inboxes), tell each its successor, and start the
/// token at node 0 with the number of hops left. Each node forwards the token with one less;
/// the node that receives 0 has made the last hop, and a 0 then goes once round the ring to
/// stop every node.
async fn w2_ring(sys: Sys, arg: u64) -> i32 {
    let (processes, hops) = match arg {
        0 => (10, 100),
        _ => (arg >> 32, arg & 0xffff_ffff),
    };
    if processes < 2 {
        return 1;
    }
    let mut nodes: Vec<Pid> = Vec::with_capacity(processes as usize);
    for _ in 0..processes {
        let Ok(node) = sys.spawn("w2_ring.node", 0).await else {
            return 1;
        };
        nodes.push(node);
    }
    for (i, node) in nodes.iter().enumerate() {
        let next = nodes[(i + 1) % nodes.len()];
        if sys
            .send(*node, &message(next.raw()), Mode::Blocking)
            .await
            .is_err()
        {
            return 1;
        }
    }
    i32::from(
        sys.send(nodes[0], &message(hops), Mode::Blocking)
            .await
            .is_err(),
    )
}

async fn w2_node(sys: Sys, _arg: u64) -> i32 {
    let Some(next) = sys
        .receive(Source::Any, Mode::Blocking)
        .await
        .ok()
        .and_then(|m| word(&m.bytes))
    else {
        return 1;
    };
    let next = Pid::from_raw(next);
    let mut last = u64::MAX;
    loop {
        let Some(left) = sys
            .receive(Source::Any, Mode::Blocking)
            .await
            .ok()
            .and_then(|m| word(&m.bytes))
        else {
            return 1;
        };
        // The token only ever counts down, by one each time round the ring.
        if left >= last {
            return 1;
        }
        last = left;
        let forward = left.saturating_sub(1);
        match sys.send(next, &message(forward), Mode::Blocking).await {
            Ok(()) => {}
            // The stopping 0 reaches a node that has already stopped: the ring is done.
            Err(Error::NoSuchProcess) if left == 0 => return 0,
            Err(_) => return 1,
        }
        if left == 0 {
            return 0;
        }
    }
}

/// W3: the main process owns a mailbox of capacity [`FAN_IN_CAPACITY`] and receives every
/// message from [`PRODUCERS`] producers, checking that each producer's come in order.
async fn w3_fan_in(sys: Sys, arg: u64) -> i32 {
    let messages = or_default(arg, 1_000);
    let Ok(queue) = sys
        .create_mailbox(Capacity::Bounded(FAN_IN_CAPACITY as u32), None)
        .await
    else {
        return 1;
    };
    if queue.raw() >> 32 != 0 {
        return 1;
    }
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        // Producer p sends its share: messages p, p + 8, p + 16, ... below `messages`.
        let share = messages / PRODUCERS + u64::from(p < messages % PRODUCERS);
        let Ok(pid) = sys
            .spawn("w3_fan_in.producer", (queue.raw() << 32) | share)
            .await
        else {
            return 1;
        };
        producers.push((pid, 0u64));
    }
    for _ in 0..messages {
        let Ok(m) = sys.receive(queue, Mode::Blocking).await else {
            return 1;
        };
        let Some(entry) = producers.iter_mut().find(|(pid, _)| *pid == m.sender) else {
            return 1;
        };
        if word(&m.bytes) != Some(entry.1) {
            return 1;
        }
        entry.1 += 1;
    }
    0
}

async fn w3_producer(sys: Sys, arg: u64) -> i32 {
    let queue = MailboxId::from_raw(arg >> 32);
    for i in 0..(arg & 0xffff_ffff) {
        if sys.send(queue, &message(i), Mode::Blocking).await.is_err() {
            return 1;
        }
    }
    0
}

/// W4: create a rendezvous mailbox per process, spawn the process and give it the mailbox;
/// once all are spawned (and, the main process having used its quanta, all blocked in
/// `receive`), send one message to each. Each process exits when it has it.
async fn w4_wake_all(sys: Sys, arg: u64) -> i32 {
    let processes = or_default(arg, 100);
    let mut mailboxes = Vec::with_capacity(processes as usize);
    for _ in 0..processes {
        let Ok(mb) = sys.create_mailbox(Capacity::Zero, None).await else {
            return 1;
        };
        let Ok(pid) = sys.spawn("w4_wake_all.sleeper", mb.raw()).await else {
            return 1;
        };
        if sys.transfer_mailbox(mb, pid).await.is_err() {
            return 1;
        }
        mailboxes.push(mb);
    }
    for (i, mb) in mailboxes.into_iter().enumerate() {
        if sys
            .send(mb, &message(i as u64), Mode::Blocking)
            .await
            .is_err()
        {
            return 1;
        }
    }
    0
}

async fn w4_sleeper(sys: Sys, mailbox: u64) -> i32 {
    let mailbox = MailboxId::from_raw(mailbox);
    loop {
        match sys.receive(mailbox, Mode::Blocking).await {
            Ok(_) => return 0,
            // Ran before the main process handed the mailbox over.
            Err(Error::NotOwner) => sys.yield_now().await,
            Err(_) => return 1,
        }
    }
}
