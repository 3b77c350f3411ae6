//! The crate's binary: the `sim` command line over this crate's programs, run as a user runs
//! it.

use std::process::{Command, Output};

fn my_kernel_programs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_my-kernel-programs"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn list_shows_this_crates_main_programs_and_the_shipped_scenarios() {
    let out = my_kernel_programs(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("\n  client_server "), "{text}");
    assert!(
        !text.contains("client_server.server"),
        "helpers are not listed: {text}"
    );
    assert!(text.contains("\n  producers "), "{text}");
    assert!(
        !text.contains("bounded_buffer"),
        "the sim binary's own programs are not this one's: {text}"
    );
}

#[test]
fn run_runs_a_program_of_this_crate_and_exits_zero() {
    let out = my_kernel_programs(&["run", "client_server", "--trace", "console"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("server: 4 calls, total 6\n"), "{text}");
    assert!(
        text.contains("== messages: 4 sent, 4 received, 0 dropped, 0 still queued"),
        "{text}"
    );
}

#[test]
fn explore_names_this_binary_in_its_replay_commands() {
    let out = my_kernel_programs(&["explore", "client_server", "--seeds", "0..20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(" of my-kernel-programs run client_server with pct"),
        "{}",
        stdout(&out)
    );
}
