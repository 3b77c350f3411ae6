//! IPC benchmarks on the simulated machine: the cost of a syscall and of a round trip, with
//! tracing off and with the text trace rendered, so the cost of tracing is known.
//!
//! Run with `make bench` (or `cargo bench -p sim`). Figures are host nanoseconds per simulated
//! operation; compare runs only on the same machine.

use abi::{Capacity, Mode, Source};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sim::{Machine, MachineConfig};
use userland::{ProgramTable, Sys};

const ROUNDS: u64 = 10_000;

fn config(trace: bool) -> MachineConfig {
    let mut c = MachineConfig::default();
    c.kernel.trace = trace;
    c.kernel.check_invariants = false;
    c.max_ticks = u64::MAX / 2;
    c
}

fn getpid_loop() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add("main", "getpid in a loop", |sys: Sys, n: u64| async move {
        for _ in 0..n {
            sys.getpid().await;
        }
        0
    });
    t
}

/// W1 over a zero-capacity mailbox: a 16-byte message each way per round.
fn ping_pong_mailbox() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add("main", "pinger", |sys: Sys, n: u64| async move {
        let Ok(pong) = sys.create_mailbox(Capacity::Zero, Some("pong")).await else {
            return 1;
        };
        let Ok(_) = sys.spawn("ponger", n).await else {
            return 1;
        };
        let ping = loop {
            match sys.lookup_mailbox("ping").await {
                Ok(m) => break m,
                Err(_) => sys.yield_now().await,
            }
        };
        let msg = [7u8; 16];
        for _ in 0..n {
            if sys.send(ping, &msg, Mode::Blocking).await.is_err()
                || sys.receive(pong, Mode::Blocking).await.is_err()
            {
                return 1;
            }
        }
        0
    });
    t.add("ponger", "ponger", |sys: Sys, n: u64| async move {
        let Ok(ping) = sys.create_mailbox(Capacity::Zero, Some("ping")).await else {
            return 1;
        };
        let Ok(pong) = sys.lookup_mailbox("pong").await else {
            return 1;
        };
        for _ in 0..n {
            let Ok(m) = sys.receive(ping, Mode::Blocking).await else {
                return 1;
            };
            if sys.send(pong, &m.bytes, Mode::Blocking).await.is_err() {
                return 1;
            }
        }
        0
    });
    t
}

/// W1 as direct `call` / `reply`.
fn ping_pong_call() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add("main", "client", |sys: Sys, n: u64| async move {
        let Ok(server) = sys.spawn("server", n).await else {
            return 1;
        };
        let msg = [7u8; 16];
        for _ in 0..n {
            if sys.call(server, &msg, Mode::Blocking).await.is_err() {
                return 1;
            }
        }
        0
    });
    t.add("server", "server", |sys: Sys, n: u64| async move {
        for _ in 0..n {
            let Ok(m) = sys.receive(Source::Any, Mode::Blocking).await else {
                return 1;
            };
            if sys.reply(m.sender, &m.bytes).await.is_err() {
                return 1;
            }
        }
        0
    });
    t
}

fn run(programs: &ProgramTable, trace: bool, render: bool) -> usize {
    let report = Machine::run_program(config(trace), programs.clone(), "main", ROUNDS)
        .expect("main is loaded");
    assert!(report.succeeded());
    if render {
        report.trace_text().len()
    } else {
        report.events.len()
    }
}

fn benches(c: &mut Criterion) {
    let cases = [
        ("syscall/getpid", getpid_loop()),
        ("w1/ping_pong_mailbox", ping_pong_mailbox()),
        ("w1/ping_pong_call", ping_pong_call()),
    ];
    for (name, programs) in &cases {
        let mut g = c.benchmark_group(*name);
        g.throughput(Throughput::Elements(ROUNDS));
        g.sample_size(20);
        for (mode, trace, render) in [("untraced", false, false), ("text_trace", true, true)] {
            g.bench_with_input(BenchmarkId::from_parameter(mode), &(), |b, _| {
                b.iter(|| run(programs, trace, render))
            });
        }
        g.finish();
    }
}

criterion_group!(ipc, benches);
criterion_main!(ipc);
