//! What each trace format costs to render, against the text trace measured in the same run.
//!
//! One fixed run (the built-in prime sieve up to 500) is rendered in every format; figures
//! are host time per whole rendering, and per event in the throughput column. Run with
//! `cargo bench -p bench --bench render`; the figures are in `docs/performance.md`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sim::render;
use sim::{Machine, MachineConfig, Report};

fn report() -> Report {
    let mut config = MachineConfig::default();
    config.kernel.check_invariants = false;
    Machine::run_program(config, userland::programs::builtin(), "prime_sieve", 500)
        .expect("prime_sieve is built in")
}

fn formats(c: &mut Criterion) {
    let report = report();
    let events = &report.events;
    let end = report.ticks;
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.bench_function("text", |b| b.iter(|| render::text(events)));
    group.bench_function("jsonl", |b| b.iter(|| render::jsonl::render(events)));
    group.bench_function("chrome", |b| b.iter(|| render::chrome::render(events, end)));
    group.bench_function("svg", |b| b.iter(|| render::svg::render(events, end)));
    group.bench_function("gantt", |b| {
        b.iter(|| render::gantt::render(events, end, 100))
    });
    group.bench_function("stats", |b| b.iter(|| render::stats::render(&report)));
    group.bench_function("explain", |b| b.iter(|| render::explain::render(&report)));
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
