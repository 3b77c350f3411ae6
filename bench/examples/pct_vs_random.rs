//! PCT against random scheduling on a message-ordering race: how many seeds each needs
//! before the first failing one.
//!
//! The race (`sim/tests/scenarios/race.sim`) fails only when the writer is preempted right
//! after its first send and stays off its CPU until two other processes have run, among
//! three processes that only compute. For each of `BASES` disjoint seed ranges (seed base
//! `b * 1_000_000`), each strategy runs seeds from the base until the first failure; the
//! example prints the median, mean and 90th percentile of those counts.
//!
//! ```text
//! cargo run --release -p bench --example pct_vs_random [BASES]
//! ```

use clap::Parser;
use sim::explore::{self, Options, Strategy, Target};
use sim::MachineConfig;

/// Seeds tried per base before giving up (counted as this many).
const LIMIT: u64 = 100_000;

/// Seeds to the first failure of the message race, PCT against random.
#[derive(Parser, Debug)]
#[command(about = "Seeds to the first failure of sim/tests/scenarios/race.sim, PCT against random")]
struct Args {
    /// Disjoint seed ranges (bases) to search from.
    #[arg(default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    bases: u64,
}

fn main() {
    let bases = Args::parse().bases;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sim/tests/scenarios/race.sim"
    );
    let text = std::fs::read_to_string(path).expect("race.sim is there");
    let scenario = userland::scenario::load("race.sim", &text).expect("race.sim loads");
    let mut config = sim::scenario::configure(&scenario, MachineConfig::default());
    config.kernel.check_invariants = false;
    let target = Target::scenario(scenario);
    let steps = explore::estimate_steps(&target, &config);
    let strategies = [
        Strategy::Pct { depth: 2, steps },
        Strategy::Pct { depth: 3, steps },
        Strategy::Random {
            preempt_percent: explore::DEFAULT_PREEMPT_PERCENT,
        },
        Strategy::Random {
            preempt_percent: 50,
        },
    ];
    let options = Options {
        jobs: explore::default_jobs(),
        fail_fast: true,
        ..Options::default()
    };
    println!("race.sim, {bases} seed bases, seeds to the first failure (limit {LIMIT}):");
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "strategy", "median", "mean", "p90", "max", "seconds"
    );
    for strategy in strategies {
        let started = std::time::Instant::now();
        let mut counts: Vec<u64> = (0..bases)
            .map(|b| {
                let start = b * 1_000_000;
                let r =
                    explore::explore(&target, &config, strategy, start..start + LIMIT, &options);
                r.failures
                    .first()
                    .map_or(LIMIT, |f| f.first_seed - start + 1)
            })
            .collect();
        let runs: u64 = counts.iter().sum();
        counts.sort_unstable();
        let n = counts.len().max(1);
        let median = if n % 2 == 1 {
            counts[n / 2] as f64
        } else {
            (counts[n / 2 - 1] + counts[n / 2]) as f64 / 2.0
        };
        let mean = runs as f64 / n as f64;
        let p90 = counts[(n * 9 / 10).min(n - 1)];
        let max = counts.last().copied().unwrap_or(0);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{:<28} {median:>8.1} {mean:>8.1} {p90:>8} {max:>8} {seconds:>9.2}",
            strategy.to_string()
        );
    }
}
