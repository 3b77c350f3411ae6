//! A run whose time stops, through the command line: `sim run` ends it as a livelock with
//! exit status 1, the trace and the summary say what stopped time, and `sim explain` says
//! it in words.

use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("the sim binary runs")
}

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
