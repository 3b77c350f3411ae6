//! IPC benchmarks on the simulated machine: the syscall-dispatch microbenchmark and the four
//! workloads of `docs/performance.md` (W1 ping-pong over a zero-capacity mailbox and as
//! `call`/`reply`, W2 a ring passing one token, W3 eight producers into one bounded mailbox,
//! W4 processes each blocked in a receive and woken once), each run as userland programs
//! (`userland::programs::workloads`) on the default configuration with tracing off, and the
//! smaller ones again with the text trace rendered to a sink as the run goes (as a
//! `TextStream`, the way a long trace is written), so the cost of tracing is known.
//!
//! Run with `make bench` (or `cargo bench -p bench --bench ipc`). Figures are host time per
//! simulated operation (criterion's "elements": a syscall, a round trip, a hop, a message, a
//! process); compare runs only on the same machine. `make bench-peers` runs the same
//! workloads against tokio and OS threads in one process and prints the ratios.
//!
//! W2 is measured twice, at 1,000 and at 100,000 processes, by its *marginal* cost per hop:
//! each sample builds the ring untimed (the run pauses with `Machine::run_until` once the
//! main process has started the token), times the rest of a run of 100,000 hops and of one
//! of 500,000, and charges the difference to the 400,000 extra hops, so neither building the
//! ring nor stopping it (both grow with its size) is counted, and what is compared is the
//! cost of a hop. Every syscall is O(1) in the number of
//! processes, so the two differ only by what the memory hierarchy makes of a larger working
//! set.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sim::render::TextStream;
use sim::{Machine, MachineConfig};
use std::time::{Duration, Instant};
use userland::programs::workloads::ring;
use userland::{ProgramTable, Sys};

/// Whether criterion is measuring (`cargo bench`). Under `cargo test` it runs each benchmark
/// once as a smoke test, in a debug build that checks every kernel invariant after every
/// syscall (a walk of every process), so the sizes shrink to keep that quick.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `full` when measuring, `smoke` under `cargo test`.
fn size(full: u64, smoke: u64) -> u64 {
    if measuring() {
        full
    } else {
        smoke
    }
}

/// The default configuration, trace on or off, with no tick limit to cut a long run.
fn config(trace: bool) -> MachineConfig {
    let mut c = MachineConfig::default();
    c.kernel.trace = trace;
    c.max_ticks = u64::MAX / 2;
    c
}

fn getpid_loop() -> ProgramTable {
    let mut t = ProgramTable::new();
    t.add(
        "getpid",
        "getpid in a loop",
        |sys: Sys, n: u64| async move {
            for _ in 0..n {
                sys.getpid().await;
            }
            0
        },
    );
    t
}

/// Run `program` with `arg`; with `trace`, render the text trace into a sink as the run
/// goes (`Machine::stream_trace`). Panics unless every process exited 0 (each workload
/// checks its own results).
fn run(programs: &ProgramTable, program: &str, arg: u64, trace: bool) -> usize {
    let mut machine = Machine::new(config(trace), programs.clone());
    let stream = trace.then(|| {
        let (stream, sink) = TextStream::new(std::io::sink()).into_sink();
        assert!(machine.stream_trace(sink).is_ok(), "one CPU streams");
        stream
    });
    machine.boot(program, arg).expect("the workload is loaded");
    let report = machine.run();
    assert!(report.succeeded(), "{program} failed");
    if let Some(stream) = stream {
        stream.finish().expect("a sink takes anything");
    }
    report.exited.len()
}

/// The workloads timed as whole runs: (group, program, arg (also the number of elements),
/// traced too).
fn cases() -> Vec<(&'static str, &'static str, u64, bool)> {
    vec![
        (
            "w1/ping_pong_mailbox",
            "w1_mailbox",
            size(10_000, 100),
            true,
        ),
        ("w1/ping_pong_call", "w1_call", size(10_000, 100), true),
        ("w3/fan_in_8x64", "w3_fan_in", size(100_000, 1_000), true),
        ("w4/wake_all_100k", "w4_wake_all", size(100_000, 200), false),
    ]
}

fn syscall(c: &mut Criterion) {
    let n = size(10_000, 100);
    let programs = getpid_loop();
    let mut g = c.benchmark_group("syscall/getpid");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);
    for (mode, trace) in [("untraced", false), ("text_trace", true)] {
        g.bench_with_input(BenchmarkId::from_parameter(mode), &trace, |b, &trace| {
            b.iter(|| run(&programs, "getpid", n, trace))
        });
    }
    g.finish();
}

fn workloads(c: &mut Criterion) {
    let programs = userland::programs::builtin();
    for (name, program, arg, traced) in cases() {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(arg));
        g.sample_size(10);
        let modes: &[(&str, bool)] = if traced {
            &[("untraced", false), ("text_trace", true)]
        } else {
            &[("untraced", false)]
        };
        for &(mode, trace) in modes {
            g.bench_with_input(BenchmarkId::from_parameter(mode), &trace, |b, &trace| {
                b.iter(|| run(&programs, program, arg, trace))
            });
        }
        g.finish();
    }
}

/// W2's marginal cost per hop at two ring sizes (see the module docs).
fn ring_hops(c: &mut Criterion) {
    let (base, extra) = (size(100_000, 200), size(400_000, 200));
    let programs = userland::programs::builtin();
    let mut g = c.benchmark_group("w2/ring_marginal_hop");
    g.throughput(Throughput::Elements(extra));
    g.sample_size(10);
    for processes in [1_000u64, 100_000] {
        let processes = size(processes, processes / 1_000 + 10);
        let setup = ring_setup_tick(&programs, processes);
        g.bench_with_input(
            BenchmarkId::from_parameter(processes),
            &processes,
            |b, &processes| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        // Building the ring is not timed: the run pauses when the main
                        // process has started the token and gone, and only the rest is.
                        let time = |hops| {
                            let mut machine = Machine::new(config(false), programs.clone());
                            machine
                                .boot("w2_ring", ring(processes, hops))
                                .expect("built in");
                            assert!(machine.run_until(setup).is_none(), "paused in the ring");
                            let start = Instant::now();
                            let report = machine.run();
                            let took = start.elapsed();
                            assert!(report.succeeded(), "w2_ring failed");
                            took
                        };
                        let shorter = time(base);
                        total += time(base + extra).saturating_sub(shorter);
                    }
                    total
                })
            },
        );
    }
    g.finish();
    // The traced ring, small enough that its trace fits comfortably in memory.
    let hops = size(20_000, 200);
    let mut g = c.benchmark_group("w2/ring_1k_20k_hops");
    g.throughput(Throughput::Elements(hops));
    g.sample_size(10);
    for (mode, trace) in [("untraced", false), ("text_trace", true)] {
        g.bench_with_input(BenchmarkId::from_parameter(mode), &trace, |b, &trace| {
            b.iter(|| run(&programs, "w2_ring", ring(size(1_000, 10), hops), trace))
        });
    }
    g.finish();
}

/// When a ring of `processes` is built: the tick the main process exits, having started the
/// token (it depends on the ring's size, not on the hops).
fn ring_setup_tick(programs: &ProgramTable, processes: u64) -> u64 {
    let report = Machine::run_program(
        config(false),
        programs.clone(),
        "w2_ring",
        ring(processes, 1),
    )
    .expect("built in");
    report
        .exited
        .iter()
        .find(|e| e.name == "w2_ring")
        .and_then(|e| e.stats.exited_at)
        .expect("the main process exits")
}

criterion_group!(ipc, syscall, workloads, ring_hops);
criterion_main!(ipc);
