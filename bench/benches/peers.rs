//! The peer harness: the performance workloads W1–W4 (`docs/performance.md`) on this
//! simulator, on tokio's current-thread runtime and on crossbeam channels between OS threads,
//! and schedule exploration of the dining philosophers on this simulator and on the
//! [`shuttle`] crate, all in one process run, printed as one table with the ratios and the
//! targets; then exhaustive exploration of three small programs on this simulator
//! and on the [`loom`] crate, as a second table.
//!
//! Run with `make bench-peers` (`cargo bench -p bench --bench peers`; a few minutes);
//! `cargo bench -p bench --bench peers -- loom` runs only the exhaustive exploration against
//! loom (seconds). Under `cargo test` (the binary is not given `--bench`) it runs a smoke
//! mode instead: every measurement at tiny sizes, once, checking that each run succeeded and
//! each figure is a finite number, in a few seconds; the exhaustive programs have one size,
//! explored once on each side, their verdicts and counts checked (`cargo test -p bench
//! --bench peers -- loom`: the loom comparison alone).
//!
//! What is measured, the same sizes on every side:
//!
//! | workload | ours (a `userland` program on a fresh machine, trace off) | tokio, current thread | crossbeam + OS threads | shuttle |
//! |---|---|---|---|---|
//! | W1 ping-pong, 16-byte messages | `w1_mailbox` (zero-capacity mailboxes) and `w1_call` (`call`/`reply`) | an `mpsc` request carrying a `oneshot::Sender` for the reply | two threads, `bounded(0)` each way | — |
//! | W2 token ring | `w2_ring` | a task per node, `mpsc::channel(1)` between them | a thread per node, `bounded(0)` between them (not at 100k) | — |
//! | W3 fan-in | `w3_fan_in`: 8 producers into a mailbox of capacity 64 | 8 producer tasks into `mpsc::channel(64)` | 8 producer threads into `bounded(64)` | — |
//! | W4 wake all | `w4_wake_all` | a task per process awaiting its own `oneshot`, all blocked before the first send | — (a million OS threads) | — |
//! | exploration, random and PCT (depth 3) | the shipped scenario `philosophers` under [`sim::explore::explore`], one job, no invariant checks, PCT's steps from [`sim::explore::estimate_steps`] | — | — | the same philosophers as `shuttle::thread`s, each fork a thread serving `take`/`put` over rendezvous `shuttle::sync::mpsc` channels, under a `Runner` with shuttle's `RandomScheduler` or `PctScheduler` (depth 3) |
//! | exhaustive exploration (second table) | `sim::explore::dpor` with default settings on `sim/tests/scenarios/dpor_rpc.sim`, `dpor_philosophers.sim` and `dpor_philosophers_deadlock.sim`, what `sim explore FILE --strategy dpor` runs | — | — | loom instead of shuttle: the same programs as `loom::thread`s and unbounded `loom::sync::mpsc` channels (a request carries its reply channel's sender), under a default `loom::model::Builder` with no preemption bound |
//!
//! Every figure is host wall time over the whole job, including setting it up: for ours the
//! whole `Machine::run_program` (spawning included), for the peers from before the first
//! spawn to the last join (tokio's runtime and the machine's program table are built
//! outside). W1 is divided by the rounds, W2 by the hops, W3 by the messages; W4 is the
//! total time. W2's "one hop" rows are the marginal cost of a hop instead, what the
//! issue's 100k-against-1k target compares: the extra time of a ring making 1.1M hops over
//! one making 100k, per extra hop, so building and stopping the ring (which grow with its
//! size) cancel out; our ring is also built untimed (`Machine::run_until`). Each side checks what it receives (the ring's token counts down, each fan-in
//! producer's messages arrive in order), so the work cannot be skipped.
//!
//! The exploration rows are rates instead: seeds (shuttle: iterations, one schedule each)
//! per host second over one whole exploration of N seeds on the calling thread, which for
//! ours is the whole `explore` call (a fresh machine per seed) and for shuttle the whole
//! `Runner::run` (what `shuttle::check_random(f, N)` and `check_pct(f, N, 3)` do, with a fixed
//! scheduler seed so every run explores the same schedules). Both sides run the same
//! program: five forks and five philosophers (one of them, `lefty`, taking its forks in the
//! other order, so it never deadlocks), two meals each. Each side checks every run: ours
//! that no seed failed (every process exited cleanly, nothing deadlocked), shuttle's that
//! every fork was taken and put back by the same philosopher and every meal was eaten.
//!
//! The exhaustive rows count and time whole searches to their end: ours until every
//! interleaving up to equivalence has run (the safe programs, verdict complete, no failure)
//! or the deadlock is found (verdict failed, a deadlock); loom's `Builder::check` until it
//! has run every execution, or until its deadlock panic, caught with the panic hook
//! silenced. Counts: ours `interleavings` (and `runs`, the machine runs including those
//! abandoned part-way), loom's executions, counted by a std `AtomicU64` at the start of each
//! (the deadlocking one included). The figures are the median time of the whole search, the
//! time per interleaving (per execution for loom; per run too for ours), and the ratios
//! loom / ours of the time per interleaving, of the interleavings and of the whole time. The
//! targets: the RPC and the safe philosophers complete in as many interleavings as
//! their receives have distinct message orders (two each: which client's request the server
//! takes first, which philosopher fork 0 serves first), and ours is faster per interleaving.
//!
//! W4's memory is each side's own peak resident set: each W4 measurement runs in a child
//! process (this binary re-executed with `--child w4 ours|tokio N`), which reads `VmRSS`
//! from `/proc/self/status` once the machine or runtime is built and `VmHWM` after the
//! workload; bytes per process = (`VmHWM` − that `VmRSS`) / N. Linux only. Our run streams
//! its history (an exit record and a closed mailbox's ledger per process) to a sink that
//! counts it (`Machine::stream_history`), as a caller that writes a long run's history out
//! would, instead of keeping it in the report.
//!
//! Each figure is the median of several repetitions (the table says how many). Every ratio
//! is one where above 1 means the simulator is faster (or, for bytes, smaller): peer / ours
//! for the times and bytes (the `tokio/ours` and `threads/ours` columns), ours / peer for
//! the rates (the `ours/shuttle` column).

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sim::{Machine, MachineConfig};
use userland::programs::builtin;
use userland::programs::workloads::{ring, FAN_IN_CAPACITY, MESSAGE_LEN, PRODUCERS};
use userland::ProgramTable;

/// One workload message: a 16-byte payload, as on our side.
type Msg = [u8; MESSAGE_LEN];

fn message(value: u64) -> Msg {
    let mut m = [0u8; MESSAGE_LEN];
    m[..8].copy_from_slice(&value.to_le_bytes());
    m
}

/// A W3 message: the producer's sequence number and its index.
fn tagged(producer: u64, seq: u64) -> Msg {
    let mut m = message(seq);
    m[8..].copy_from_slice(&producer.to_le_bytes());
    m
}

fn word(m: &Msg) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&m[..8]);
    u64::from_le_bytes(w)
}

fn tag(m: &Msg) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&m[8..]);
    u64::from_le_bytes(w)
}

/// Producer `p`'s share of W3's `messages`, as `w3_fan_in` splits them.
fn share(messages: u64, p: u64) -> u64 {
    messages / PRODUCERS + u64::from(p < messages % PRODUCERS)
}

/// The sizes and repetitions of one harness run.
struct Sizes {
    w1_rounds: u64,
    /// The small and the large ring's processes (both make `w2_hops`).
    w2_small: u64,
    w2_large: u64,
    w2_hops: u64,
    /// The marginal cost of a hop: the extra time of a ring making `w2_base + w2_extra` hops
    /// over one making `w2_base`, per extra hop.
    w2_base: u64,
    w2_extra: u64,
    /// Above this many nodes the OS-thread ring is not run.
    w2_thread_limit: u64,
    w3_messages: u64,
    w4_processes: u64,
    /// Seeds (ours) and iterations (shuttle) of one exploration of the philosophers.
    explore_seeds: u64,
    /// Repetitions of each W1–W3 figure and exploration, and of each W4 child.
    reps: usize,
    w4_reps: usize,
}

const BENCH: Sizes = Sizes {
    w1_rounds: 200_000,
    w2_small: 1_000,
    w2_large: 100_000,
    w2_hops: 1_000_000,
    w2_base: 100_000,
    w2_extra: 1_000_000,
    w2_thread_limit: 1_000,
    w3_messages: 1_000_000,
    w4_processes: 1_000_000,
    // About 0.6–0.9 s a run on either side (release, one thread of the development machine).
    explore_seeds: 20_000,
    reps: 7,
    w4_reps: 3,
};

const SMOKE: Sizes = Sizes {
    w1_rounds: 100,
    w2_small: 10,
    w2_large: 50,
    w2_hops: 100,
    w2_base: 100,
    w2_extra: 100,
    w2_thread_limit: 10,
    w3_messages: 1_000,
    // A debug build checks every kernel invariant after every syscall, which costs time in
    // proportion to the processes: W4 is quadratic there.
    w4_processes: 200,
    explore_seeds: 20,
    reps: 1,
    w4_reps: 1,
};

// ---------------------------------------------------------------------------------------
// Ours.

fn our_config() -> MachineConfig {
    let mut c = MachineConfig::default();
    c.kernel.trace = false;
    // The default tick limit would cut the long runs short.
    c.max_ticks = u64::MAX / 2;
    c
}

/// Run `program` with `arg` on a fresh machine; the time of the whole `run_program`.
fn ours(programs: &ProgramTable, program: &str, arg: u64) -> Duration {
    let (config, programs) = (our_config(), programs.clone());
    let start = Instant::now();
    let report = Machine::run_program(config, programs, program, arg).expect("boot");
    let elapsed = start.elapsed();
    assert!(
        report.succeeded(),
        "{program} {arg:#x} failed: {:?}",
        report.outcome
    );
    elapsed
}

/// The time W2 takes to make its hops on a ring of `processes` already built: the machine
/// runs untimed until the main process has started the token and exited (a tick that
/// depends on the ring's size alone, found by a run of one hop), then the rest is timed.
fn ours_w2_after_setup(programs: &ProgramTable, processes: u64, hops: u64) -> Duration {
    let setup = Machine::run_program(
        our_config(),
        programs.clone(),
        "w2_ring",
        ring(processes, 1),
    )
    .expect("boot")
    .exited
    .iter()
    .find(|e| e.name == "w2_ring")
    .and_then(|e| e.stats.exited_at)
    .expect("the main process exits");
    let mut machine = Machine::new(our_config(), programs.clone());
    machine
        .boot("w2_ring", ring(processes, hops))
        .expect("boot");
    assert!(machine.run_until(setup).is_none(), "paused inside the ring");
    let start = Instant::now();
    let report = machine.run();
    let elapsed = start.elapsed();
    assert!(report.succeeded(), "w2_ring failed: {:?}", report.outcome);
    elapsed
}

/// The extra time of `longer` hops over `shorter` ones: what the extra hops cost, with
/// whatever both runs share (building and stopping the ring) cancelled out.
fn marginal(shorter: Duration, longer: Duration) -> Duration {
    // A figure must be positive; a difference lost in noise shows as 1 ns, not as 0.
    longer.saturating_sub(shorter).max(Duration::from_nanos(1))
}

// ---------------------------------------------------------------------------------------
// tokio, current-thread runtime.

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

/// Time `job` on `rt`; the runtime is built outside.
fn on_tokio<F: std::future::Future<Output = ()>>(rt: &tokio::runtime::Runtime, job: F) -> Duration {
    let start = Instant::now();
    rt.block_on(job);
    start.elapsed()
}

async fn tokio_w1(rounds: u64) {
    use tokio::sync::{mpsc, oneshot};
    let (requests, mut inbox) = mpsc::channel::<(Msg, oneshot::Sender<Msg>)>(1);
    let server = tokio::spawn(async move {
        while let Some((m, reply)) = inbox.recv().await {
            if reply.send(m).is_err() {
                return false;
            }
        }
        true
    });
    for round in 0..rounds {
        let (reply, answer) = oneshot::channel();
        requests
            .send((message(round), reply))
            .await
            .expect("server gone");
        assert_eq!(word(&answer.await.expect("no reply")), round);
    }
    drop(requests);
    assert!(server.await.expect("server panicked"));
}

/// One ring node: forward the token with one less until it reaches 0, then return, which
/// drops this node's sender and so stops its successor, and so on round the ring.
async fn tokio_node(
    mut inbox: tokio::sync::mpsc::Receiver<Msg>,
    next: tokio::sync::mpsc::Sender<Msg>,
) -> bool {
    let mut last = u64::MAX;
    while let Some(m) = inbox.recv().await {
        let left = word(&m);
        if left >= last {
            return false;
        }
        last = left;
        if left == 0 {
            return true;
        }
        if next.send(message(left - 1)).await.is_err() {
            return false;
        }
    }
    true
}

async fn tokio_w2(processes: u64, hops: u64) {
    use tokio::sync::mpsc;
    let n = processes as usize;
    let (mut senders, mut inboxes) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (tx, rx) = mpsc::channel::<Msg>(1);
        senders.push(tx);
        inboxes.push(rx);
    }
    let first = senders[0].clone();
    // Node i receives on inboxes[i] and sends to node i + 1.
    senders.rotate_left(1);
    let nodes: Vec<_> = inboxes
        .into_iter()
        .zip(senders)
        .map(|(inbox, next)| tokio::spawn(tokio_node(inbox, next)))
        .collect();
    first.send(message(hops)).await.expect("ring gone");
    drop(first);
    for node in nodes {
        assert!(node.await.expect("node panicked"), "ring node failed");
    }
}

async fn tokio_w3(messages: u64) {
    use tokio::sync::mpsc;
    let (tx, mut queue) = mpsc::channel::<Msg>(FAN_IN_CAPACITY as usize);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0..share(messages, p) {
                    tx.send(tagged(p, i)).await.expect("consumer gone");
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u64; PRODUCERS as usize];
    for _ in 0..messages {
        let m = queue.recv().await.expect("producers gone");
        let p = tag(&m) as usize;
        assert_eq!(word(&m), next[p], "producer {p} out of order");
        next[p] += 1;
    }
    for p in producers {
        p.await.expect("producer panicked");
    }
}

async fn tokio_w4(processes: u64) {
    use tokio::sync::oneshot;
    let n = processes as usize;
    // How many tasks have started (and so are about to block on their receiver).
    let started = Arc::new(AtomicU64::new(0));
    let (mut wakers, mut tasks) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (tx, rx) = oneshot::channel::<Msg>();
        let started = Arc::clone(&started);
        tasks.push(tokio::spawn(async move {
            started.fetch_add(1, Ordering::Relaxed);
            rx.await.is_ok()
        }));
        wakers.push(tx);
    }
    // Let every task run up to its `await`, as our processes all block in `receive` first.
    while started.load(Ordering::Relaxed) < processes {
        tokio::task::yield_now().await;
    }
    for (i, tx) in wakers.into_iter().enumerate() {
        tx.send(message(i as u64)).expect("task gone");
    }
    for task in tasks {
        assert!(task.await.expect("task panicked"));
    }
}

// ---------------------------------------------------------------------------------------
// crossbeam-channel with OS threads.

/// Stack size of the ring's threads: they need almost none.
const THREAD_STACK: usize = 64 << 10;

fn threads_w1(rounds: u64) -> Duration {
    use crossbeam_channel::bounded;
    let start = Instant::now();
    let (ping, pings) = bounded::<Msg>(0);
    let (pong, pongs) = bounded::<Msg>(0);
    let ponger = std::thread::spawn(move || {
        for m in pings {
            if pong.send(m).is_err() {
                return;
            }
        }
    });
    for round in 0..rounds {
        ping.send(message(round)).expect("ponger gone");
        assert_eq!(word(&pongs.recv().expect("ponger gone")), round);
    }
    drop(ping);
    ponger.join().expect("ponger panicked");
    start.elapsed()
}

fn threads_w2(processes: u64, hops: u64) -> Duration {
    use crossbeam_channel::{bounded, Receiver, Sender};
    fn node(inbox: Receiver<Msg>, next: Sender<Msg>) -> bool {
        let mut last = u64::MAX;
        for m in inbox {
            let left = word(&m);
            if left >= last {
                return false;
            }
            last = left;
            if left == 0 {
                return true;
            }
            if next.send(message(left - 1)).is_err() {
                return false;
            }
        }
        true
    }
    let start = Instant::now();
    let n = processes as usize;
    let (mut senders, mut inboxes) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (tx, rx) = bounded::<Msg>(0);
        senders.push(tx);
        inboxes.push(rx);
    }
    let first = senders[0].clone();
    senders.rotate_left(1);
    let nodes: Vec<_> = inboxes
        .into_iter()
        .zip(senders)
        .map(|(inbox, next)| {
            std::thread::Builder::new()
                .stack_size(THREAD_STACK)
                .spawn(move || node(inbox, next))
                .expect("spawn a ring thread")
        })
        .collect();
    first.send(message(hops)).expect("ring gone");
    drop(first);
    for node in nodes {
        assert!(node.join().expect("node panicked"), "ring node failed");
    }
    start.elapsed()
}

fn threads_w3(messages: u64) -> Duration {
    use crossbeam_channel::bounded;
    let start = Instant::now();
    let (tx, queue) = bounded::<Msg>(FAN_IN_CAPACITY as usize);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..share(messages, p) {
                    tx.send(tagged(p, i)).expect("consumer gone");
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u64; PRODUCERS as usize];
    for _ in 0..messages {
        let m = queue.recv().expect("producers gone");
        let p = tag(&m) as usize;
        assert_eq!(word(&m), next[p], "producer {p} out of order");
        next[p] += 1;
    }
    for p in producers {
        p.join().expect("producer panicked");
    }
    start.elapsed()
}

// ---------------------------------------------------------------------------------------
// Schedule exploration: the shipped `philosophers` under `sim::explore`, and the same dining
// philosophers under shuttle.

/// The shipped scenario both sides explore (`userland/scenarios/philosophers.sim`).
const PHILOSOPHERS: &str = "philosophers";

/// The scenario's shape, which the shuttle version mirrors: five forks, five philosophers
/// (the four `philosopher` copies and `lefty`), two meals each.
const FORKS: usize = 5;
const DINERS: usize = 5;
const MEALS: usize = 2;

/// The forks philosopher `p` takes, in that order (and puts back in the other): its own and
/// the next, except `lefty` (the last), which takes fork 0 before fork 4, so every
/// philosopher takes its lower-numbered fork first and no cycle of waits can form.
fn forks_of(p: usize) -> [usize; 2] {
    if p + 1 < DINERS {
        [p, p + 1]
    } else {
        [0, FORKS - 1]
    }
}

/// How many times fork `f` is taken: by each philosopher that uses it, once a meal (the
/// scenario's `repeat 4`).
fn serves(f: usize) -> usize {
    (0..DINERS).filter(|&p| forks_of(p).contains(&f)).count() * MEALS
}

/// Ours: the shipped scenario and its machine, as `bench/benches/explore.rs` and a release
/// `sim explore` set them up (no invariant checks; `explore` turns the trace off).
fn our_philosophers() -> (sim::explore::Target<'static>, MachineConfig) {
    let shipped = userland::scenario::shipped(PHILOSOPHERS).expect("shipped");
    let scenario = userland::scenario::load(shipped.path, shipped.source).expect("it loads");
    // The shuttle version below is written for this shape.
    let copies = |name: &str| -> usize {
        scenario
            .processes
            .iter()
            .filter(|p| p.name.name == name)
            .map(|p| p.count as usize)
            .sum()
    };
    assert_eq!(copies("fork"), FORKS, "{PHILOSOPHERS}: forks");
    assert_eq!(
        copies("philosopher") + copies("lefty"),
        DINERS,
        "{PHILOSOPHERS}: philosophers"
    );
    let mut config = sim::scenario::configure(&scenario, MachineConfig::default());
    config.kernel.check_invariants = false;
    (sim::explore::Target::scenario(scenario), config)
}

/// The time of one whole `explore` call over seeds `0..seeds`, on one host thread.
fn ours_explore(
    target: &sim::explore::Target<'_>,
    config: &MachineConfig,
    strategy: sim::explore::Strategy,
    seeds: u64,
) -> Duration {
    let options = sim::explore::Options {
        jobs: 1,
        ..Default::default()
    };
    let start = Instant::now();
    let report = sim::explore::explore(target, config, strategy, 0..seeds, &options);
    let elapsed = start.elapsed();
    assert!(
        report.failures.is_empty() && report.seeds_run == seeds,
        "{PHILOSOPHERS} under {strategy}: {} of {seeds} seeds run, {} failing",
        report.seeds_run,
        report.failing_seeds
    );
    elapsed
}

/// One execution of the dining philosophers under shuttle, as the scenario runs them: a
/// thread per fork and per philosopher, spawned by the main thread (the scenario's `init`),
/// which joins them all. A fork takes a `take` on its rendezvous channel (a philosopher's
/// `call`: the request carries the philosopher's reply sender), answers it with a grant (the
/// scenario's `reply`), then waits for the `put` on a second rendezvous channel (its
/// `receive from sender`: only the holder can send there, so no other philosopher's request
/// is taken in between). The scenario's `compute` bursts have no counterpart: shuttle has no
/// virtual time.
fn shuttle_philosophers() {
    use shuttle::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
    use shuttle::thread;

    type Take = (usize, Sender<usize>);
    let mut takes: Vec<SyncSender<Take>> = Vec::with_capacity(FORKS);
    let mut puts: Vec<SyncSender<usize>> = Vec::with_capacity(FORKS);
    let mut forks = Vec::with_capacity(FORKS);
    for f in 0..FORKS {
        let (take, requests): (_, Receiver<Take>) = sync_channel(0);
        let (put, returns) = sync_channel::<usize>(0);
        takes.push(take);
        puts.push(put);
        forks.push(thread::spawn(move || {
            for _ in 0..serves(f) {
                let (who, grant) = requests.recv().expect("philosophers gone");
                grant.send(f).expect("philosopher gone");
                let from = returns.recv().expect("holder gone");
                assert_eq!(from, who, "fork {f} put back by another philosopher");
            }
            serves(f)
        }));
    }
    let diners: Vec<_> = (0..DINERS)
        .map(|p| {
            let mine = forks_of(p);
            let take = mine.map(|f| takes[f].clone());
            let put = mine.map(|f| puts[f].clone());
            thread::spawn(move || {
                let (grant, granted) = channel::<usize>();
                for _ in 0..MEALS {
                    for (f, take) in mine.iter().zip(&take) {
                        take.send((p, grant.clone())).expect("fork gone");
                        assert_eq!(granted.recv().expect("fork gone"), *f);
                    }
                    for put in put.iter().rev() {
                        put.send(p).expect("fork gone");
                    }
                }
                MEALS
            })
        })
        .collect();
    drop((takes, puts));
    for (f, fork) in forks.into_iter().enumerate() {
        assert_eq!(fork.join().expect("fork panicked"), serves(f));
    }
    for diner in diners {
        assert_eq!(diner.join().expect("philosopher panicked"), MEALS);
    }
}

/// PCT's bug depth on both sides: 3, two priority change points.
const EXPLORE_DEPTH: u32 = 3;

/// The two strategies on shuttle's side.
#[derive(Clone, Copy)]
enum ShuttleStrategy {
    Random,
    Pct { depth: usize },
}

/// The time of one whole shuttle run of `iterations` executions of the philosophers, on this
/// thread: what `shuttle::check_random(f, iterations)` and `check_pct(f, iterations, depth)`
/// do (a `Runner` with the default `Config`), with a fixed scheduler seed instead of one from
/// the OS, so every run explores the same schedules.
fn shuttle_explore(strategy: ShuttleStrategy, iterations: u64) -> Duration {
    use shuttle::scheduler::{PctScheduler, RandomScheduler};
    use shuttle::{Config, Runner};
    let n = iterations as usize;
    let start = Instant::now();
    let ran = match strategy {
        ShuttleStrategy::Random => Runner::new(RandomScheduler::new_from_seed(0, n), Config::new())
            .run(shuttle_philosophers),
        ShuttleStrategy::Pct { depth } => {
            Runner::new(PctScheduler::new_from_seed(0, depth, n), Config::new())
                .run(shuttle_philosophers)
        }
    };
    let elapsed = start.elapsed();
    assert_eq!(ran, n, "shuttle ran {ran} of {n} iterations");
    elapsed
}

// ---------------------------------------------------------------------------------------
// Exhaustive exploration: `sim::explore::dpor` on three small scenarios, and the same three
// programs under loom, each explored to its end (or to its deadlock).

/// One program both sides explore exhaustively.
struct Exhaustive {
    /// The table's name for it.
    name: &'static str,
    /// Our side: the scenario's file (for its diagnostics) and text.
    file: &'static str,
    source: &'static str,
    /// Loom's side: one execution of the same program.
    loom: fn(),
    /// Whether every complete search must find a deadlock (else: no failure at all).
    deadlocks: bool,
    /// The distinct orders in which its receives can take their messages, the count the
    /// search is held to: the RPC's server takes the two clients' requests in either order;
    /// each philosophers' fork 0 serves either philosopher first, and everything after that
    /// follows from it. None: not counted (a search that stops at a failure).
    message_orders: Option<u64>,
}

const EXHAUSTIVE: [Exhaustive; 3] = [
    Exhaustive {
        name: "RPC, 2 clients",
        file: "sim/tests/scenarios/dpor_rpc.sim",
        source: include_str!("../../sim/tests/scenarios/dpor_rpc.sim"),
        loom: loom_rpc,
        deadlocks: false,
        message_orders: Some(2),
    },
    Exhaustive {
        name: "2 philosophers, safe",
        file: "sim/tests/scenarios/dpor_philosophers.sim",
        source: include_str!("../../sim/tests/scenarios/dpor_philosophers.sim"),
        loom: loom_philosophers_safe,
        deadlocks: false,
        message_orders: Some(2),
    },
    Exhaustive {
        name: "2 philosophers, deadlock",
        file: "sim/tests/scenarios/dpor_philosophers_deadlock.sim",
        source: include_str!("../../sim/tests/scenarios/dpor_philosophers_deadlock.sim"),
        loom: loom_philosophers_deadlock,
        deadlocks: true,
        message_orders: None,
    },
];

/// The RPC's clients (`dpor_rpc.sim`'s `client count 2`), each calling the server once.
const RPC_CLIENTS: usize = 2;

/// Ours: the scenario and its machine, as a release `sim explore FILE --strategy dpor` sets
/// them up (no invariant checks).
fn our_exhaustive(program: &Exhaustive) -> (sim::explore::Target<'static>, MachineConfig) {
    let scenario = userland::scenario::load(program.file, program.source)
        .unwrap_or_else(|d| panic!("{}: {d:?}", program.file));
    let mut config = sim::scenario::configure(&scenario, MachineConfig::default());
    config.kernel.check_invariants = false;
    (sim::explore::Target::scenario(scenario), config)
}

/// One whole search with the default settings (no bound but the default limits), checked:
/// a safe program complete without failure, the deadlocking one failed with a deadlock.
/// Its time and (interleavings, runs).
fn ours_dpor(
    program: &Exhaustive,
    target: &sim::explore::Target<'_>,
    config: &MachineConfig,
) -> (Duration, (u64, u64)) {
    use sim::explore::dpor::Verdict;
    let settings = sim::explore::DporSettings::default();
    let options = sim::explore::Options::default();
    let start = Instant::now();
    let report = sim::explore::dpor(target, config, &settings, &options)
        .unwrap_or_else(|e| panic!("{}: dpor: {e}", program.name));
    let elapsed = start.elapsed();
    let found_deadlock = report
        .failures
        .iter()
        .any(|f| f.kind == sim::explore::FailureKind::Deadlock);
    let expected = match program.deadlocks {
        true => report.verdict == Verdict::Failed && found_deadlock,
        false => report.verdict == Verdict::Complete && report.failures.is_empty(),
    };
    assert!(
        expected && report.interleavings > 0 && report.runs >= report.interleavings,
        "{}: {}",
        program.name,
        report.verdict_line()
    );
    (elapsed, (report.interleavings, report.runs))
}

/// One whole loom exploration of `program` with a default `Builder` and no preemption
/// bound, what `loom::model` runs (less its log subscriber): its time and the executions it
/// made, counted at the start of each. The deadlocking program ends in loom's deadlock
/// panic, caught here (with the panic hook silenced meanwhile) and counted up to and
/// including the execution that deadlocked; a safe one must run to its end.
fn loom_explore(program: &Exhaustive) -> (Duration, u64) {
    let executions = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&executions);
    let run_one = program.loom;
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = None;
    let model = move || {
        counted.fetch_add(1, Ordering::Relaxed);
        run_one();
    };
    let start = Instant::now();
    let elapsed = if program.deadlocks {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.check(model)));
        let elapsed = start.elapsed();
        std::panic::set_hook(hook);
        let panic = outcome.expect_err("loom found no deadlock");
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("");
        assert!(
            message.contains("deadlock"),
            "{}: loom panicked with {message:?}, not a deadlock",
            program.name
        );
        elapsed
    } else {
        builder.check(model);
        start.elapsed()
    };
    let executions = executions.load(Ordering::Relaxed);
    assert!(executions > 0, "{}: loom ran nothing", program.name);
    (elapsed, executions)
}

/// `dpor_rpc.sim` under loom: a server thread answering `RPC_CLIENTS` requests, each client
/// thread sending one request that carries its own reply channel's sender (its `call`) and
/// waiting for the answer. Loom's channels are std's: unbounded, so a send never blocks.
fn loom_rpc() {
    use loom::sync::mpsc::{channel, Sender};
    use loom::thread;
    type Request = (&'static str, Sender<&'static str>);
    let (requests, inbox) = channel::<Request>();
    let server = thread::spawn(move || {
        for _ in 0..RPC_CLIENTS {
            let (message, reply) = inbox.recv().expect("clients gone");
            assert_eq!(message, "hi");
            reply.send("ok").expect("client gone");
        }
    });
    let clients: Vec<_> = (0..RPC_CLIENTS)
        .map(|_| {
            let requests = requests.clone();
            thread::spawn(move || {
                let (reply, answer) = channel();
                requests.send(("hi", reply)).expect("server gone");
                assert_eq!(answer.recv().expect("server gone"), "ok");
            })
        })
        .collect();
    drop(requests);
    server.join().expect("server panicked");
    for client in clients {
        client.join().expect("client panicked");
    }
}

/// `dpor_philosophers*.sim` under loom: a thread per fork serving `take`/`put` twice (each
/// philosopher takes each fork once), a thread per philosopher taking its forks in `orders`
/// (a `take` carries the philosopher's grant sender; the fork answers it, then waits for the
/// `put` on a channel of its own, where only the holder sends, as the scenario's fork
/// receives its `put`s on a mailbox of its own), then putting them back in the other order. Two forks and two philosophers: the
/// four threads loom allows besides the main one.
fn loom_philosophers(orders: [[usize; 2]; 2]) {
    use loom::sync::mpsc::{channel, Sender};
    use loom::thread;
    type Take = (usize, Sender<usize>);
    let (mut takes, mut puts, mut forks) = (Vec::new(), Vec::new(), Vec::new());
    for f in 0..2 {
        let (take, requests) = channel::<Take>();
        let (put, returns) = channel::<usize>();
        takes.push(take);
        puts.push(put);
        forks.push(thread::spawn(move || {
            for _ in 0..orders.len() {
                let (who, grant) = requests.recv().expect("philosophers gone");
                grant.send(f).expect("philosopher gone");
                let from = returns.recv().expect("holder gone");
                assert_eq!(from, who, "fork {f} put back by another philosopher");
            }
        }));
    }
    let diners: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(p, &order)| {
            let take = order.map(|f| takes[f].clone());
            let put = order.map(|f| puts[f].clone());
            thread::spawn(move || {
                for (f, take) in order.iter().zip(&take) {
                    let (grant, granted) = channel::<usize>();
                    take.send((p, grant)).expect("fork gone");
                    assert_eq!(granted.recv().expect("fork gone"), *f);
                }
                for put in put.iter().rev() {
                    put.send(p).expect("fork gone");
                }
            })
        })
        .collect();
    drop((takes, puts));
    for fork in forks {
        fork.join().expect("fork panicked");
    }
    for diner in diners {
        diner.join().expect("philosopher panicked");
    }
}

/// Both take fork 0 first (`dpor_philosophers.sim`).
fn loom_philosophers_safe() {
    loom_philosophers([[0, 1], [0, 1]]);
}

/// `lefty` takes fork 1 first (`dpor_philosophers_deadlock.sim`).
fn loom_philosophers_deadlock() {
    loom_philosophers([[0, 1], [1, 0]]);
}

/// What one program's exhaustive exploration measured on both sides: medians of the
/// repetitions' times, and the counts (the same every repetition).
struct ExhaustiveRow {
    name: &'static str,
    deadlocks: bool,
    message_orders: Option<u64>,
    interleavings: u64,
    runs: u64,
    ours_seconds: f64,
    /// Ours per interleaving over back-to-back searches, warm (see [`WARM_INTERLEAVINGS`]).
    ours_warm: f64,
    loom_iterations: u64,
    loom_seconds: f64,
}

/// How many interleavings ours runs back to back for its warm time per interleaving: a
/// search of ours runs a handful of interleavings, so one search's time per interleaving is
/// mostly its first run's cold start (allocations, caches), where loom's time per execution
/// is an average over thousands. Searching again and again until this many have run gives
/// the cost an interleaving adds, the figure comparable to loom's.
const WARM_INTERLEAVINGS: u64 = 400;

impl ExhaustiveRow {
    fn ours_per_interleaving(&self) -> f64 {
        self.ours_seconds / self.interleavings as f64
    }

    fn loom_per_iteration(&self) -> f64 {
        self.loom_seconds / self.loom_iterations as f64
    }

    /// Above 1: ours takes less time per interleaving (warm) than loom per iteration.
    fn speed_ratio(&self) -> f64 {
        self.loom_per_iteration() / self.ours_warm
    }

    fn target(&self) -> String {
        let faster = format!("faster: {}", met(self.speed_ratio() > 1.0));
        match self.message_orders {
            Some(n) => format!("= {n} orders: {}; {faster}", met(self.interleavings == n)),
            None => faster,
        }
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.name.to_string(),
            if self.deadlocks {
                "deadlock"
            } else {
                "complete"
            }
            .to_string(),
            self.interleavings.to_string(),
            self.runs.to_string(),
            format!("{:.3}", self.ours_seconds * 1e3),
            format!("{:.1}", self.ours_per_interleaving() * 1e6),
            format!("{:.1}", self.ours_warm * 1e6),
            format!("{:.1}", self.ours_seconds / self.runs as f64 * 1e6),
            self.loom_iterations.to_string(),
            format!("{:.3}", self.loom_seconds * 1e3),
            format!("{:.1}", self.loom_per_iteration() * 1e6),
            show_ratio(Some(self.speed_ratio())),
            show_ratio(Some(
                self.loom_iterations as f64 / self.interleavings as f64,
            )),
            show_ratio(Some(self.loom_seconds / self.ours_seconds)),
            self.target(),
        ]
    }
}

/// Explore each program `reps` times on each side; the counts must not change between
/// repetitions (both searches are deterministic).
fn exhaustive_rows(reps: usize) -> Vec<ExhaustiveRow> {
    EXHAUSTIVE
        .iter()
        .map(|program| {
            let (target, config) = our_exhaustive(program);
            let (mut ours_times, mut warm_times, mut loom_times) =
                (Vec::new(), Vec::new(), Vec::new());
            let (mut counts, mut iterations) = (None, None);
            for _ in 0..reps {
                let (elapsed, these) = ours_dpor(program, &target, &config);
                assert!(
                    counts.is_none_or(|c| c == these),
                    "{}: counts vary",
                    program.name
                );
                counts = Some(these);
                ours_times.push(elapsed.as_secs_f64());
                let searches = WARM_INTERLEAVINGS.div_ceil(these.0.max(1));
                let start = Instant::now();
                for _ in 0..searches {
                    black_box(ours_dpor(program, &target, &config));
                }
                warm_times.push(start.elapsed().as_secs_f64() / (searches * these.0) as f64);
                let (elapsed, these) = loom_explore(program);
                assert!(
                    iterations.is_none_or(|i| i == these),
                    "{}: loom's iterations vary",
                    program.name
                );
                iterations = Some(these);
                loom_times.push(elapsed.as_secs_f64());
            }
            let (interleavings, runs) = counts.expect("at least one repetition");
            let row = ExhaustiveRow {
                name: program.name,
                deadlocks: program.deadlocks,
                message_orders: program.message_orders,
                interleavings,
                runs,
                ours_seconds: median(ours_times),
                ours_warm: median(warm_times),
                loom_iterations: iterations.expect("at least one repetition"),
                loom_seconds: median(loom_times),
            };
            eprintln!(
                "exhaustive {}: ours {} interleavings ({} runs) {:.3} ms, loom {} iterations \
                 {:.3} ms ({reps} reps)",
                row.name,
                row.interleavings,
                row.runs,
                row.ours_seconds * 1e3,
                row.loom_iterations,
                row.loom_seconds * 1e3
            );
            for x in [row.ours_seconds, row.loom_seconds] {
                assert!(x.is_finite() && x > 0.0, "{}: a time is {x}", row.name);
            }
            row
        })
        .collect()
}

fn print_exhaustive(rows: &[ExhaustiveRow], reps: usize, bench: bool) {
    println!();
    println!(
        "Exhaustive exploration against loom: `sim::explore::dpor` (default settings) on \
         sim/tests/scenarios/dpor_*.sim, and the same programs as loom 0.7 threads and mpsc \
         channels under a default model Builder with no preemption bound{}",
        if bench { "" } else { " — smoke run" }
    );
    println!(
        "times: the whole exploration, median of {reps} runs; per interleaving: ours' time / \
         interleavings for one search, and warm: searches back to back until {WARM_INTERLEAVINGS} \
         interleavings have run (runs counts abandoned runs too), loom's time / iterations \
         (executions, the deadlocking one included); per run: ours' time / runs. loom/ours \
         above 1: ours faster per interleaving (per int., warm), fewer interleavings (ints.), \
         faster in all (total)"
    );
    println!();
    let header = [
        "program",
        "expected",
        "ours: interleavings",
        "runs",
        "ours ms",
        "ours µs/int. (one search)",
        "ours µs/int. (warm)",
        "ours µs/run",
        "loom: iterations",
        "loom ms",
        "loom µs/iter.",
        "loom/ours per int.",
        "loom/ours ints.",
        "loom/ours total",
        "target",
    ]
    .map(String::from)
    .to_vec();
    let body: Vec<Vec<String>> = rows.iter().map(ExhaustiveRow::cells).collect();
    print_grid(&header, &body);
}

// ---------------------------------------------------------------------------------------
// W4 in a child process, for its own peak resident memory.

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: u64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("bad {field} line {line:?}"));
    kib * 1024
}

/// A history sink that counts what it is given and keeps nothing.
#[derive(Default)]
struct Discard {
    records: u64,
}

impl kernel::HistorySink for Discard {
    fn exited(&mut self, record: kernel::ExitRecord) {
        self.records += 1;
        black_box(record);
    }
    fn closed(&mut self, ledger: kernel::EndpointLedger) {
        self.records += 1;
        black_box(ledger);
    }
}

/// The child's side: run W4 once on `who` and print `w4 <seconds> <bytes per process>`.
fn child_w4(who: &str, processes: u64) {
    let (elapsed, baseline) = match who {
        "ours" => {
            let mut machine = Machine::new(our_config(), builtin());
            // A million exit records and closed ledgers are history the benchmark does not
            // read: they go to a sink that counts them, as a long run's would go to a file.
            machine.stream_history(Box::new(Discard::default()));
            let baseline = status_bytes("VmRSS");
            let start = Instant::now();
            machine.boot("w4_wake_all", processes).expect("boot");
            let report = machine.run();
            let elapsed = start.elapsed();
            assert!(
                report.succeeded(),
                "w4_wake_all failed: {:?}",
                report.outcome
            );
            black_box(&report);
            (elapsed, baseline)
        }
        "tokio" => {
            let rt = runtime();
            let baseline = status_bytes("VmRSS");
            (on_tokio(&rt, tokio_w4(processes)), baseline)
        }
        _ => panic!("unknown W4 side {who:?}"),
    };
    let peak = status_bytes("VmHWM");
    let bytes = peak.saturating_sub(baseline) as f64 / processes as f64;
    println!("w4 {} {}", elapsed.as_secs_f64(), bytes);
}

/// Run W4 on `who` in a child process: (seconds, bytes per process).
fn w4_in_child(who: &str, processes: u64) -> (f64, f64) {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args(["--child", "w4", who, &processes.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run the W4 child");
    assert!(
        out.status.success(),
        "W4 child ({who}) failed: {}",
        out.status
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("w4 "))
        .unwrap_or_else(|| panic!("no result from the W4 child ({who}): {stdout:?}"));
    let mut fields = line.split_whitespace().map(|f| {
        f.parse::<f64>()
            .unwrap_or_else(|_| panic!("bad W4 child line {line:?}"))
    });
    match (fields.next(), fields.next()) {
        (Some(seconds), Some(bytes)) => (seconds, bytes),
        _ => panic!("bad W4 child line {line:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Measuring and reporting.

fn median(mut xs: Vec<f64>) -> f64 {
    assert!(!xs.is_empty());
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2.0
    }
}

/// The median over `reps` runs of `run`, in nanoseconds per one of `ops`; logged to stderr.
fn per_op(what: &str, reps: usize, ops: u64, mut run: impl FnMut() -> Duration) -> f64 {
    let samples: Vec<f64> = (0..reps)
        .map(|_| run().as_nanos() as f64 / ops as f64)
        .collect();
    let m = median(samples);
    eprintln!("{what}: {m:.1} ns ({reps} reps)");
    m
}

/// The median over `reps` runs of `run`, each doing `ops` seeds or iterations, in ops per
/// second; logged to stderr.
fn per_second(what: &str, reps: usize, ops: u64, mut run: impl FnMut() -> Duration) -> f64 {
    let samples: Vec<f64> = (0..reps)
        .map(|_| ops as f64 / run().as_secs_f64())
        .collect();
    let m = median(samples);
    eprintln!("{what}: {m:.0}/s ({reps} reps)");
    m
}

/// 1000 as `1k`, 1000000 as `1M`.
fn short(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// A figure as printed, or "—" when the side does not run it.
fn show(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "—".to_string(), |x| format!("{x:.decimals$}"))
}

fn ratio(peer: Option<f64>, ours: f64) -> Option<f64> {
    peer.map(|p| p / ours)
}

/// A ratio with three significant digits or more.
fn show_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r < 0.1 => show(Some(r), 3),
        r => show(r, 2),
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "missed"
    }
}

/// One line of the table. `tokio` and `threads` are times (or bytes), where lower is better;
/// `shuttle` is a rate (seeds or iterations per second), where higher is better, so each
/// ratio column divides the way that makes above 1 mean that ours is faster (or smaller).
struct Row {
    label: String,
    ours: f64,
    tokio: Option<f64>,
    threads: Option<f64>,
    shuttle: Option<f64>,
    decimals: usize,
    target: String,
}

impl Row {
    fn cells(&self) -> Vec<String> {
        vec![
            self.label.clone(),
            show(Some(self.ours), self.decimals),
            show(self.tokio, self.decimals),
            show(self.threads, self.decimals),
            show(self.shuttle, self.decimals),
            show_ratio(ratio(self.tokio, self.ours)),
            show_ratio(ratio(self.threads, self.ours)),
            show_ratio(self.shuttle.map(|s| self.ours / s)),
            self.target.clone(),
        ]
    }
}

/// "≥k× tokio: met" for a row where `tokio / ours` should be at least `k`.
fn faster_target(k: f64, tokio: f64, ours: f64) -> String {
    format!("≥{k}× tokio: {}", met(tokio / ours >= k))
}

fn print_table(rows: &[Row]) {
    let header = [
        "workload",
        "ours",
        "tokio (ct)",
        "threads",
        "shuttle",
        "tokio/ours",
        "threads/ours",
        "ours/shuttle",
        "target",
    ]
    .map(String::from)
    .to_vec();
    let body: Vec<Vec<String>> = rows.iter().map(Row::cells).collect();
    print_grid(&header, &body);
}

/// A markdown table: the first and last columns (text) left, the others (numbers) right.
fn print_grid(header: &[String], body: &[Vec<String>]) {
    let width = |c: usize| {
        std::iter::once(header)
            .chain(body.iter().map(Vec::as_slice))
            .map(|r| r[c].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                let pad = " ".repeat(w - cell.chars().count());
                // Text left, numbers right.
                if c == 0 || c == cells.len() - 1 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header);
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    println!("|-{}-|", rule.join("-|-"));
    for row in body {
        line(row);
    }
}

fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                Some(
                    l.strip_prefix("model name")?
                        .split_once(':')?
                        .1
                        .trim()
                        .to_string(),
                )
            })
        })
        .unwrap_or_else(|| "model not reported".to_string());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_string());
    format!("machine: {cpus} CPUs ({model}), load average at start {load}")
}

fn run(sizes: &Sizes, bench: bool) {
    let programs = builtin();
    let rt = runtime();
    let reps = sizes.reps;
    let machine = machine_line();
    eprintln!("{machine}");

    // W1.
    let r = sizes.w1_rounds;
    let w1_mailbox = per_op("W1 mailbox, ours", reps, r, || {
        ours(&programs, "w1_mailbox", r)
    });
    let w1_call = per_op("W1 call, ours", reps, r, || ours(&programs, "w1_call", r));
    let w1_tokio = per_op("W1 tokio", reps, r, || on_tokio(&rt, tokio_w1(r)));
    let w1_threads = per_op("W1 threads", reps, r, || threads_w1(r));

    // W2. Ours also spawns the ring and sends the stopping 0 round it (`processes` more
    // hops); tokio's and the threads' rings are spawned and stopped (each node's exit closes
    // its successor's channel) inside the timing too. All three are divided by the hops
    // alone.
    let h = sizes.w2_hops;
    let mut w2 = Vec::new();
    for n in [sizes.w2_small, sizes.w2_large] {
        let o = per_op(&format!("W2 ring {} ours", short(n)), reps, h, || {
            ours(&programs, "w2_ring", ring(n, h))
        });
        let t = per_op(&format!("W2 ring {} tokio", short(n)), reps, h, || {
            on_tokio(&rt, tokio_w2(n, h))
        });
        let th = (n <= sizes.w2_thread_limit).then(|| {
            per_op(&format!("W2 ring {} threads", short(n)), reps, h, || {
                threads_w2(n, h)
            })
        });
        w2.push((n, o, t, th));
    }
    // W2's marginal cost of a hop at each size: ours with the ring built untimed, tokio by
    // the difference of two whole runs (its building cancels out).
    let (base, extra) = (sizes.w2_base, sizes.w2_extra);
    let mut w2_hop = Vec::new();
    for n in [sizes.w2_small, sizes.w2_large] {
        let o = per_op(&format!("W2 hop at {} ours", short(n)), reps, extra, || {
            let shorter = ours_w2_after_setup(&programs, n, base);
            marginal(shorter, ours_w2_after_setup(&programs, n, base + extra))
        });
        let t = per_op(
            &format!("W2 hop at {} tokio", short(n)),
            reps,
            extra,
            || {
                let shorter = on_tokio(&rt, tokio_w2(n, base));
                marginal(shorter, on_tokio(&rt, tokio_w2(n, base + extra)))
            },
        );
        w2_hop.push((n, o, t));
    }

    // W3.
    let m = sizes.w3_messages;
    let w3_ours = per_op("W3 fan-in ours", reps, m, || {
        ours(&programs, "w3_fan_in", m)
    });
    let w3_tokio = per_op("W3 fan-in tokio", reps, m, || on_tokio(&rt, tokio_w3(m)));
    let w3_threads = per_op("W3 fan-in threads", reps, m, || threads_w3(m));

    // W4, each repetition a child process.
    let p = sizes.w4_processes;
    let mut w4 = Vec::new();
    for who in ["ours", "tokio"] {
        let runs: Vec<(f64, f64)> = (0..sizes.w4_reps).map(|_| w4_in_child(who, p)).collect();
        let seconds = median(runs.iter().map(|r| r.0).collect());
        let bytes = median(runs.iter().map(|r| r.1).collect());
        eprintln!(
            "W4 {} wake {who}: {seconds:.3} s, {bytes:.0} bytes/process ({} reps)",
            short(p),
            sizes.w4_reps
        );
        w4.push((seconds, bytes));
    }
    let ((w4_ours_s, w4_ours_b), (w4_tokio_s, w4_tokio_b)) = (w4[0], w4[1]);

    // Schedule exploration of the philosophers, ours then shuttle's, each strategy over the
    // same number of seeds (iterations), on this thread. PCT's steps are estimated once,
    // untimed, as `sim explore` does before its seeds; shuttle's PCT finds its own bound in
    // its first iteration, which is timed (and counted).
    let (target, config) = our_philosophers();
    let steps = sim::explore::estimate_steps(&target, &config);
    let seeds = sizes.explore_seeds;
    let mut exploration = Vec::new();
    for (name, ours_strategy, shuttle_strategy) in [
        (
            "random",
            sim::explore::Strategy::Random {
                preempt_percent: sim::explore::DEFAULT_PREEMPT_PERCENT,
            },
            ShuttleStrategy::Random,
        ),
        (
            "PCT",
            sim::explore::Strategy::Pct {
                depth: EXPLORE_DEPTH,
                steps,
            },
            ShuttleStrategy::Pct {
                depth: EXPLORE_DEPTH as usize,
            },
        ),
    ] {
        let o = per_second(
            &format!("explore {PHILOSOPHERS}, {name}, ours (seeds)"),
            reps,
            seeds,
            || ours_explore(&target, &config, ours_strategy, seeds),
        );
        let s = per_second(
            &format!("explore {PHILOSOPHERS}, {name}, shuttle (iterations)"),
            reps,
            seeds,
            || shuttle_explore(shuttle_strategy, seeds),
        );
        exploration.push((name, o, s));
    }

    // Every figure must be a real measurement.
    let mut figures = vec![
        w1_mailbox, w1_call, w1_tokio, w1_threads, w3_ours, w3_tokio, w3_threads, w4_ours_s,
        w4_tokio_s,
    ];
    for (_, o, t, th) in &w2 {
        figures.extend([*o, *t]);
        figures.extend(*th);
    }
    for (_, o, t) in &w2_hop {
        figures.extend([*o, *t]);
    }
    for (_, o, s) in &exploration {
        figures.extend([*o, *s]);
    }
    for x in figures {
        assert!(x.is_finite() && x > 0.0, "a figure is {x}");
    }
    for b in [w4_ours_b, w4_tokio_b] {
        // At the smoke test's size the workload may fit in memory the process already had.
        assert!(
            b.is_finite() && b >= 0.0 && (b > 0.0 || !bench),
            "bytes/process {b}"
        );
    }

    let mut rows = vec![
        Row {
            label: "W1 ping-pong, mailbox (ns/rt)".into(),
            ours: w1_mailbox,
            tokio: Some(w1_tokio),
            threads: Some(w1_threads),
            shuttle: None,
            decimals: 1,
            target: faster_target(3.0, w1_tokio, w1_mailbox),
        },
        Row {
            label: "W1 ping-pong, call/reply (ns/rt)".into(),
            ours: w1_call,
            tokio: Some(w1_tokio),
            threads: Some(w1_threads),
            shuttle: None,
            decimals: 1,
            target: faster_target(3.0, w1_tokio, w1_call),
        },
    ];
    for &(n, o, t, th) in &w2 {
        let target = if n == sizes.w2_small {
            faster_target(3.0, t, o)
        } else {
            "(includes building it)".to_string()
        };
        rows.push(Row {
            label: format!("W2 ring {} (ns/hop)", short(n)),
            ours: o,
            tokio: Some(t),
            threads: th,
            shuttle: None,
            decimals: 1,
            target,
        });
    }
    let small_hop = w2_hop[0].1;
    for &(n, o, t) in &w2_hop {
        let target = if n == sizes.w2_small {
            String::new()
        } else {
            let scale = o / small_hop;
            format!(
                "{}/{} ≤ 1.5: {scale:.2} {}",
                short(n),
                short(sizes.w2_small),
                met(scale <= 1.5)
            )
        };
        rows.push(Row {
            label: format!("W2 one hop at {} (ns)", short(n)),
            ours: o,
            tokio: Some(t),
            threads: None,
            shuttle: None,
            decimals: 1,
            target,
        });
    }
    rows.extend([
        Row {
            label: "W3 fan-in (ns/msg)".into(),
            ours: w3_ours,
            tokio: Some(w3_tokio),
            threads: Some(w3_threads),
            shuttle: None,
            decimals: 1,
            target: faster_target(3.5, w3_tokio, w3_ours),
        },
        Row {
            label: format!("W4 {} wake (s)", short(p)),
            ours: w4_ours_s,
            tokio: Some(w4_tokio_s),
            threads: None,
            shuttle: None,
            decimals: 3,
            target: faster_target(2.0, w4_tokio_s, w4_ours_s),
        },
        Row {
            label: "W4 bytes/process".into(),
            ours: w4_ours_b,
            tokio: Some(w4_tokio_b),
            threads: None,
            shuttle: None,
            decimals: 0,
            target: format!("≤ ½ tokio's: {}", met(w4_ours_b * 2.0 <= w4_tokio_b)),
        },
    ]);
    for &(name, o, s) in &exploration {
        rows.push(Row {
            label: format!("explore {PHILOSOPHERS}, {name} (seeds/s)"),
            ours: o,
            tokio: None,
            threads: None,
            shuttle: Some(s),
            decimals: 0,
            target: format!("≥10× shuttle: {}", met(o / s >= 10.0)),
        });
    }

    println!();
    println!(
        "Peers: W1–W4 on this simulator, tokio (current-thread runtime) and crossbeam-channel \
         with OS threads; schedule exploration of {PHILOSOPHERS} on this simulator and on \
         shuttle{}",
        if bench { "" } else { " — smoke sizes" }
    );
    println!("{machine}");
    println!(
        "sizes: W1 {} rounds, W2 {} hops, W3 {} messages, W4 {} processes, exploration {} \
         seeds (shuttle: iterations) on one thread; medians of {} runs (W1–W3, exploration) \
         and {} child processes (W4)",
        short(sizes.w1_rounds),
        short(sizes.w2_hops),
        short(sizes.w3_messages),
        short(p),
        short(seeds),
        sizes.reps,
        sizes.w4_reps
    );
    println!(
        "ratios: above 1, ours is faster (or smaller). tokio/ours and threads/ours divide \
         times (or bytes), peer by ours; ours/shuttle divides rates (seeds/s), ours by shuttle's"
    );
    println!();
    print_table(&rows);

    run_exhaustive(sizes, bench);
}

/// The exhaustive exploration against loom, measured and printed as its own table.
fn run_exhaustive(sizes: &Sizes, bench: bool) {
    let rows = exhaustive_rows(sizes.reps);
    print_exhaustive(&rows, sizes.reps, bench);
}

/// The harness's command line: what `cargo bench` and `cargo test` pass, and the W4 child's.
#[derive(clap::Parser, Debug)]
#[command(about = "W1-W4 and exploration on the simulator and its peers, in one table")]
struct Args {
    /// Measure at full size (`cargo bench` passes it; `cargo test --all-targets` runs the
    /// harness without it, at smoke size).
    #[arg(long)]
    bench: bool,
    /// Run one W4 measurement as a child process: `w4 ours|tokio N`.
    #[arg(long, num_args = 3, value_names = ["W4", "WHO", "N"])]
    child: Option<Vec<String>>,
    /// Anything else the bench runner passes (a filter). The filter `loom` runs only the
    /// exhaustive exploration against loom; any other is ignored.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

impl Args {
    /// Whether to measure at full size: `cargo bench -- FILTER` passes `--bench` after the
    /// filter, where it lands among the rest.
    fn bench(&self) -> bool {
        self.bench || self.rest.iter().any(|a| a == "--bench")
    }

    /// Whether the filter asks for the exhaustive exploration against loom alone.
    fn loom_only(&self) -> bool {
        self.rest.iter().any(|a| a == "loom")
    }
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    if let Some(child) = &args.child {
        if let [w4, who, n] = child.as_slice() {
            assert_eq!(w4, "w4", "the only child workload is w4");
            child_w4(who, n.parse().expect("W4 processes"));
            return;
        }
    }
    let start = Instant::now();
    let bench = args.bench();
    let sizes = if bench { &BENCH } else { &SMOKE };
    if args.loom_only() {
        eprintln!("{}", machine_line());
        run_exhaustive(sizes, bench);
    } else {
        run(sizes, bench);
    }
    eprintln!("peers: {:.1} s", start.elapsed().as_secs_f64());
}
