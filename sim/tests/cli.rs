//! The `sim` command line, run as a user runs it.

use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("the sim binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_names_every_main_program_with_what_it_shows() {
    let out = sim(&["list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for program in [
        "ping_pong",
        "bounded_buffer",
        "rpc",
        "transfer",
        "prime_sieve",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(program))
            .unwrap_or_else(|| panic!("{program} listed in:\n{text}"));
        assert!(
            line.len() > program.len() + 10,
            "{program} has a description"
        );
    }
    assert!(
        !text.contains(".producer"),
        "helper programs are not listed"
    );
}

#[test]
fn run_prints_the_trace_and_a_summary_and_exits_zero() {
    let out = sim(&["run", "bounded_buffer"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("spawn      program=bounded_buffer"));
    assert!(text.contains("== messages: 12 sent, 12 received, 0 dropped, 0 still queued"));
}

#[test]
fn policy_and_quantum_change_the_schedule() {
    let rr = stdout(&sim(&["run", "bounded_buffer", "--quantum", "2"]));
    let fcfs = stdout(&sim(&["run", "bounded_buffer", "--policy", "fcfs"]));
    let preempt_events = |s: &str| {
        s.lines()
            .filter(|l| l.ends_with(" preempt") || l.contains(" preempt    burst_left="))
            .count()
    };
    assert!(preempt_events(&rr) > 0);
    assert_eq!(preempt_events(&fcfs), 0, "{fcfs}");
    assert!(fcfs.contains("on policy fcfs"));
}

#[test]
fn max_ticks_stops_the_run_with_status_one() {
    let out = sim(&["run", "prime_sieve", "--max-ticks", "50"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("tick-limit 50"), "{text}");
    assert!(text.contains("stopped at the tick limit 50"));
}

#[test]
fn an_unknown_program_is_a_usage_error() {
    let out = sim(&["run", "no_such_thing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no built-in program named \"no_such_thing\""));
    let bad_quantum = sim(&["run", "ping_pong", "--quantum", "0"]);
    assert_eq!(
        bad_quantum.status.code(),
        Some(2),
        "clap refuses a zero quantum"
    );
}

#[test]
fn help_describes_the_commands() {
    let out = sim(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("run") && text.contains("list"));
    let run_help = stdout(&sim(&["run", "--help"]));
    for flag in ["--policy", "--quantum", "--max-ticks", "--seed", "--show"] {
        assert!(run_help.contains(flag), "run --help mentions {flag}");
    }
}

#[test]
fn a_deadlocked_run_explains_the_cycle_and_exits_one() {
    let out = sim(&["run", "deadlock"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("== DEADLOCK: 2 processes blocked forever"),
        "{text}"
    );
    assert!(text.contains("== wait-for cycle: p0:deadlock -> p1:deadlock.partner -> p0:deadlock"));
    assert!(text
        .contains("p1:deadlock.partner waits on p0:deadlock.receivers_from (held by p0:deadlock)"));
}

#[test]
fn costs_are_settings() {
    let cheap = stdout(&sim(&["run", "ping_pong", "--show", "summary"]));
    let dear = stdout(&sim(&[
        "run",
        "ping_pong",
        "--show",
        "summary",
        "--syscall-cost",
        "5",
    ]));
    let ticks = |s: &str| -> u64 {
        let at = s.find("): ").expect("summary line") + 3;
        s[at..].split(' ').next().unwrap().parse().unwrap()
    };
    assert!(ticks(&dear) > ticks(&cheap) * 3, "{cheap}\n{dear}");
}

#[test]
fn kernel_logging_goes_to_stderr_and_never_into_the_trace() {
    let quiet = sim(&["run", "ping_pong"]);
    let logged = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "ping_pong"])
        .env("RUST_LOG", "debug")
        .output()
        .expect("the sim binary runs");
    assert_eq!(stdout(&quiet), stdout(&logged), "the trace does not change");
    assert!(
        stderr(&logged).contains("create_mailbox"),
        "{}",
        stderr(&logged)
    );
    assert!(stderr(&quiet).is_empty());
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "prime_sieve", "--arg", "500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sim binary runs");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("piped")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe closes here, as when `| head` has read enough.
    let out = child.wait_with_output().expect("sim ends");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
}
