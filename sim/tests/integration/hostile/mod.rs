//! Hostile input through the command line: every class of input that once hung or aborted
//! the tools or gave a wrong answer, generated afresh from seeds (`cases.rs`), run by the
//! `sim` binary under a memory bound and a hang guard (`driver.rs`).
//!
//! Each case asserts its exit status (0, 1 or 2 as documented), that nothing panicked or
//! aborted, what its output must say, and for a run that goes on by design, that its memory
//! stayed flat. `make test` runs a few seeds at scale 1; `make hostile` runs the ignored
//! test below with more seeds and larger inputs (`HOSTILE_SEEDS`, `HOSTILE_SCALE`) and
//! prints, per class, the cases run and the largest memory seen.

mod cases;
mod driver;

use cases::{Case, Class, Scale};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Long enough that no healthy case on a loaded machine comes near it (the slowest take a
/// few seconds in a debug build): reaching it means the case hung.
const HANG: Duration = Duration::from_secs(300);

fn scratch(seed: u64, i: usize) -> PathBuf {
    std::env::temp_dir().join(format!("sim-hostile-{}-{seed}-{i}", std::process::id()))
}

/// Per class: cases run, and the largest memory one of them reached (KiB).
type Tally = BTreeMap<Class, (u64, u64, String)>;

fn run_seeds(seeds: std::ops::Range<u64>, scale: Scale) -> (Tally, Vec<String>) {
    let mut tally = Tally::new();
    let mut failures = Vec::new();
    for seed in seeds {
        for (i, case) in cases::generate(seed, scale).into_iter().enumerate() {
            let dir = scratch(seed, i);
            let outcome = driver::run(&case, &dir, HANG);
            let _ = std::fs::remove_dir_all(&dir);
            let entry = tally.entry(case.class).or_default();
            entry.0 += 1;
            if outcome.peak_kib > entry.1 {
                entry.1 = outcome.peak_kib;
                entry.2 = case.name.clone();
            }
            if let Err(why) = driver::check(&case, &outcome) {
                failures.push(describe(seed, &case, &why));
            }
        }
    }
    (tally, failures)
}

fn describe(seed: u64, case: &Case, why: &str) -> String {
    format!(
        "seed {seed}, {} / {}: `sim {}`: {why}",
        case.class.name(),
        case.name,
        case.args.join(" ")
    )
}

#[test]
fn every_class_of_hostile_input_ends_as_documented() {
    let (tally, failures) = run_seeds(0..3, Scale(1));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    for class in Class::ALL {
        assert!(
            tally.get(&class).is_some_and(|t| t.0 > 0),
            "{} has cases",
            class.name()
        );
    }
}

/// `make hostile`: more seeds, larger inputs, a report.
#[test]
#[ignore = "long: make hostile"]
fn hostile_inputs_at_scale() {
    let number = |key: &str, default: u64| {
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seeds = number("HOSTILE_SEEDS", 20);
    let scale = Scale(number("HOSTILE_SCALE", 4));
    let (tally, failures) = run_seeds(0..seeds, scale);
    println!("hostile inputs: {seeds} seeds at scale {}", scale.0);
    for (class, (count, peak, name)) in &tally {
        println!(
            "  {:<40} {count:>5} cases, largest memory {:>8.1} MiB ({name})",
            class.name(),
            *peak as f64 / 1024.0
        );
    }
    println!("  {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
