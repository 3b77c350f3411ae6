//! A run whose time stops, through the command line: `sim run` ends it as a livelock with
//! exit status 1, the trace and the summary say what stopped time, and `sim explain` says
//! it in words.

use crate::common::sim;

const SPIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/spin.sim");

#[test]
fn a_process_that_never_traps_ends_the_run_as_a_livelock() {
    let out = sim(&["run", SPIN]);
    assert_eq!(out.status.code(), Some(1), "a livelock is a failed run");
    let text = String::from_utf8_lossy(&out.stdout);
    // The whole output, trace and summary: the last trace line and the summary name the
    // spinning process and who was running or ready.
    let text = text.replace(env!("CARGO_MANIFEST_DIR"), "$DIR");
    insta::assert_snapshot!(text);
}

#[test]
fn explain_says_what_stopped_time() {
    let out = sim(&["explain", SPIN]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "in a livelock: p1:spinner ran 1000000 steps of its own program without a syscall"
        ),
        "{text}"
    );
}

#[test]
fn syscalls_that_cost_nothing_stop_time_too() {
    let out = sim(&[
        "run",
        SPIN,
        "--syscall-cost",
        "0",
        "--switch-cost",
        "0",
        "--trace",
        "none",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("== LIVELOCK: p1:spinner ran 1000000 steps"),
        "{text}"
    );
}

const FREE_YIELDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/scenarios/free_yields.sim"
);

#[test]
fn the_steps_at_one_tick_are_a_flag_and_a_setting() {
    let out = sim(&[
        "run",
        FREE_YIELDS,
        "--trace",
        "none",
        "--max-steps-per-tick",
        "500",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("== LIVELOCK: 500 kernel entries at tick 0 without the clock moving"),
        "{text}"
    );
    assert!(text.contains("== running or ready: p1:a, p2:b"), "{text}");

    let dir = std::env::temp_dir().join(format!("sim-livelock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let set = dir.join("set.sim");
    let body = std::fs::read_to_string(FREE_YIELDS).expect("the scenario");
    std::fs::write(&set, format!("set max_steps_per_tick 700\n{body}")).expect("written");
    let out = sim(&["run", &set.to_string_lossy(), "--trace", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("== LIVELOCK: 700 kernel entries"), "{text}");

    std::fs::write(&set, format!("set max_steps_per_tick 0\n{body}")).expect("written");
    let out = sim(&["run", &set.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "0 entries at a tick is refused");
    let out = sim(&["run", FREE_YIELDS, "--max-steps-per-tick", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
