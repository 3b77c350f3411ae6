//! Exploration throughput: seeds per second of `sim explore` on the shipped `philosophers`
//! (it never fails, so every seed runs to the end), with PCT and random, on 1 and 2 host
//! threads, 64 seeds per iteration.
//!
//! Run with `cargo bench -p bench --bench explore`. Criterion's "elements" are seeds; the
//! machine is configured as a release `sim explore` runs it (no trace, no invariant checks).
//! Figures are host dependent: compare them only on the same machine (`docs/performance.md`
//! has the ones measured when this was written).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sim::explore::{self, Options, Strategy, Target};
use sim::MachineConfig;

const SEEDS: u64 = 64;

fn benches(c: &mut Criterion) {
    let s = userland::scenario::shipped("philosophers").expect("shipped");
    let scenario = userland::scenario::load(s.path, s.source).expect("it loads");
    let mut config = sim::scenario::configure(&scenario, MachineConfig::default());
    config.kernel.check_invariants = false;
    let target = Target::scenario(scenario);
    let steps = explore::estimate_steps(&target, &config);
    let strategies = [
        ("pct", Strategy::Pct { depth: 3, steps }),
        (
            "random",
            Strategy::Random {
                preempt_percent: explore::DEFAULT_PREEMPT_PERCENT,
            },
        ),
    ];
    for (name, strategy) in strategies {
        let mut g = c.benchmark_group(format!("explore/philosophers/{name}"));
        g.throughput(Throughput::Elements(SEEDS));
        g.sample_size(20);
        for jobs in [1usize, 2] {
            let options = Options {
                jobs,
                ..Options::default()
            };
            g.bench_with_input(BenchmarkId::new("jobs", jobs), &options, |b, options| {
                b.iter(|| {
                    let r = explore::explore(&target, &config, strategy, 0..SEEDS, options);
                    assert!(r.failures.is_empty());
                    r.seeds_run
                })
            });
        }
        g.finish();
    }
}

criterion_group!(explore_benches, benches);
criterion_main!(explore_benches);
