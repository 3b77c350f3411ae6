//! Scaffolding the integration tests share: the `sim` binary run as a user runs it, and the
//! generated traces of every event kind (`testgen`).

pub mod testgen;

use std::process::{Command, Output};

/// `sim ARGS...`, waited for.
pub fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("the sim binary runs")
}

/// What a run printed on standard output, lossily as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What a run printed on standard error, lossily as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
