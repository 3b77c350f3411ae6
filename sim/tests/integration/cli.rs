//! The `sim` command line, run as a user runs it.

use crate::common::{sim, stderr, stdout};
use std::process::{Command, Output};

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
            .find(|l| l.trim_start().starts_with(program))
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
    assert!(
        stderr(&out)
            .contains("no file, shipped scenario or built-in program named `no_such_thing`"),
        "{}",
        stderr(&out)
    );
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
    for flag in [
        "--policy",
        "--quantum",
        "--max-ticks",
        "--seed",
        "--trace",
        "--out",
    ] {
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
    let cheap = stdout(&sim(&["run", "ping_pong", "--trace", "none"]));
    let dear = stdout(&sim(&[
        "run",
        "ping_pong",
        "--trace",
        "none",
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

/// A scratch directory for files a test writes, unique per test.
fn scratch(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path.to_string_lossy().into_owned()
}

#[test]
fn list_names_the_shipped_scenarios_too() {
    let text = stdout(&sim(&["list"]));
    for name in ["rendezvous", "producers", "philosophers_deadlock", "sieve"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} listed in:\n{text}"));
        assert!(line.len() > name.len() + 20, "{name} says what it shows");
    }
}

#[test]
fn run_a_scenario_file_and_a_shipped_one_by_name() {
    let dir = scratch("run");
    let file = write(
        &dir,
        "hello.sim",
        b"process hello {\n  print \"hello from {name}\"\n}\n",
    );
    let out = sim(&["run", &file, "--trace", "console"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("hello from hello\n"),
        "{}",
        stdout(&out)
    );
    let shipped = sim(&["run", "rendezvous"]);
    assert_eq!(shipped.status.code(), Some(0));
    assert!(stdout(&shipped).contains("mailbox    created mb0:meet capacity=0"));
}

#[test]
fn check_reports_mistakes_with_a_caret_and_exit_status_two() {
    let dir = scratch("check");
    let bad = write(
        &dir,
        "bad.sim",
        b"mailbox jobs capacity 2 owner consumer\nprocess producer {\n  send jbos \"x\"\n}\nprocess consumer {\n  receive jobs\n}\n",
    );
    let out = sim(&["check", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.sim:3:8"), "{err}");
    assert!(
        err.contains("  send jbos \"x\""),
        "the line is shown: {err}"
    );
    assert!(
        err.contains("^^^^ expected a mailbox or process name"),
        "{err}"
    );
    assert!(err.contains("did you mean `jobs`?"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing ran");
    let run = sim(&["run", &bad]);
    assert_eq!(run.status.code(), Some(2), "run refuses it too");
    let program = sim(&["check", "bounded_buffer"]);
    assert_eq!(program.status.code(), Some(2));
    assert!(
        stderr(&program).contains("is a built-in program, not a scenario"),
        "{}",
        stderr(&program)
    );
    let good = sim(&["check", "producers"]);
    assert_eq!(good.status.code(), Some(0));
    assert!(stdout(&good).contains(": ok ("), "{}", stdout(&good));
}

#[test]
fn check_reports_every_syntax_mistake_in_file_order() {
    let dir = scratch("typos");
    let bad = write(
        &dir,
        "typos.sim",
        b"process a {\n  sned a \"x\"\n  yield\n  recieve any\n}\n",
    );
    let out = sim(&["check", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let first = err.find("typos.sim:2:3").expect("the first typo");
    let second = err.find("typos.sim:4:3").expect("the second typo");
    assert!(first < second, "file order: {err}");
    assert!(err.contains("did you mean `send`?"), "{err}");
    assert!(err.contains("did you mean `receive`?"), "{err}");
    assert!(err.contains("2 mistakes found"), "{err}");
}

#[test]
fn a_daemon_left_idle_and_an_expected_kill_end_the_run_with_status_zero() {
    let dir = scratch("daemon");
    let server = "mailbox service owner server\nprocess server daemon {\n  loop {\n    receive service\n    reply \"re\"\n  }\n}\nprocess client {\n  call service \"hi\"\n  sleep 40\n}\n";
    let file = write(&dir, "daemon.sim", server.as_bytes());
    let out = sim(&["run", &file, "--trace", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("== idle daemon: p1:server (daemon, blocked: receive from mailbox service"),
        "{text}"
    );
    assert!(!text.contains("DEADLOCK"), "{text}");
    let explained = stdout(&sim(&["explain", &file]));
    assert!(
        explained.contains("2 processes exited 0, and 1 daemon was left idle"),
        "{explained}"
    );
    let ps = stdout(&sim(&["ps", &file]));
    assert!(ps.contains("daemon, blocked: receive"), "{ps}");
    assert!(
        ps.contains(": every process exited but the idle daemons)"),
        "{ps}"
    );

    let killed = format!("{server}fault kill server at tick 25\n");
    let unexpected = write(&dir, "killed.sim", killed.as_bytes());
    assert_eq!(
        sim(&["run", &unexpected, "--trace", "none"]).status.code(),
        Some(1)
    );
    let expected = write(
        &dir,
        "expected.sim",
        format!("{killed}expect killed server\n").as_bytes(),
    );
    let out = sim(&["run", &expected, "--trace", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("== killed as expected: p1:server"));
    assert!(!stdout(&out).contains("FAILED"));
}

#[test]
fn check_counts_in_words_that_agree_with_the_numbers() {
    let dir = scratch("plurals");
    let one = write(
        &dir,
        "one.sim",
        b"mailbox m owner a\nprocess a { receive m nonblocking }\n",
    );
    let out = stdout(&sim(&["check", &one]));
    assert!(
        out.ends_with(
            ": ok (1 process declaration, 1 process, 1 starting at boot; 1 boot mailbox)\n"
        ),
        "{out}"
    );
    let many = stdout(&sim(&["check", "producers"]));
    assert!(
        many.contains("(2 process declarations, 4 processes, 2 starting at boot; 1 boot mailbox)"),
        "{many}"
    );
}

#[test]
fn a_policy_flag_keeps_the_files_settings_it_does_not_override_and_the_summary_shows_them() {
    let dir = scratch("keep-quantum");
    let file = write(
        &dir,
        "q.sim",
        b"set quantum 3\nprocess a { compute 20 }\nprocess b { compute 20 }\n",
    );
    let plain = stdout(&sim(&["run", &file, "--trace", "none"]));
    let flagged = stdout(&sim(&["run", &file, "--trace", "none", "--policy", "rr"]));
    assert!(plain.contains("on policy rr(quantum=3)"), "{plain}");
    assert!(flagged.contains("on policy rr(quantum=3)"), "{flagged}");
    assert_eq!(
        plain, flagged,
        "--policy rr is the file's own policy: same run"
    );
    let over = stdout(&sim(&[
        "run",
        &file,
        "--trace",
        "none",
        "--policy",
        "rr",
        "--quantum",
        "7",
    ]));
    assert!(over.contains("on policy rr(quantum=7)"), "{over}");
    // A policy that does not take the file's setting runs without it, not with an error.
    let fcfs = sim(&["run", &file, "--trace", "none", "--policy", "fcfs"]);
    assert_eq!(fcfs.status.code(), Some(0), "{}", stderr(&fcfs));
    assert!(
        stdout(&fcfs).contains("on policy fcfs (seed"),
        "{}",
        stdout(&fcfs)
    );
    // Default settings read as the bare name, as they always have.
    assert!(
        stdout(&sim(&["run", "producers", "--trace", "none"])).contains("on policy rr (seed 0)")
    );
}

#[test]
fn arg_is_for_programs_and_an_error_for_a_scenario() {
    let out = sim(&["run", "producers", "--arg", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`--arg` is for built-in programs"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "nothing ran");
    assert_eq!(
        sim(&["run", "ping_pong", "--arg", "3", "--trace", "none"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn ps_since_is_the_tick_a_process_entered_its_state() {
    // b sleeps from its first statement while a computes: at tick 150 it has been sleeping
    // since an early tick, which the column shows, not for how long.
    let dir = scratch("since");
    let file = write(
        &dir,
        "since.sim",
        b"process a {\n  compute 300\n}\nprocess b {\n  sleep 1000\n}\n",
    );
    let text = stdout(&sim(&["ps", &file, "--at", "150"]));
    let row = text
        .lines()
        .find(|l| l.contains(" b ") || l.contains("  b  "))
        .unwrap_or_else(|| panic!("{text}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    // PID NAME PPID PRI STATE SINCE ...
    assert_eq!(cols[4], "sleeping", "{row}");
    let since: u64 = cols[5].parse().expect("a tick");
    // It fell asleep at SINCE for 1000 ticks: it wakes at SINCE + 1000.
    assert!(
        row.ends_with(&format!("sleeping until {}", since + 1000)),
        "{row}"
    );
    assert!(since < 150, "{row}");
}

#[test]
fn bad_files_are_clear_errors_with_exit_status_two() {
    let dir = scratch("badfiles");
    let missing = dir.join("missing.sim").to_string_lossy().into_owned();
    let empty = write(&dir, "empty.sim", b"");
    let binary = write(&dir, "binary.sim", &[0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0]);
    let cases = [
        (missing.as_str(), "no such file"),
        (dir.to_str().unwrap(), "is a directory"),
        (empty.as_str(), "nothing starts"),
        (binary.as_str(), "not a text file"),
    ];
    for (path, words) in cases {
        for command in ["run", "check"] {
            let out = sim(&[command, path]);
            assert_eq!(out.status.code(), Some(2), "{command} {path}");
            assert!(
                stderr(&out).contains(words),
                "{command} {path}: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn a_huge_file_is_refused_before_it_is_read() {
    let dir = scratch("hugefile");
    let path = dir.join("huge.sim");
    // Sparse: 17 MiB that take no disk and no time to make.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(17 << 20).expect("set_len");
    drop(file);
    let shown = path.to_string_lossy().into_owned();
    for command in ["run", "check"] {
        let out = sim(&[command, &shown]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert_eq!(
            stderr(&out),
            format!("sim: {shown} is 17825792 bytes; the largest scenario file read is 16 MiB\n"),
            "{command}"
        );
        assert!(stdout(&out).is_empty(), "nothing ran");
    }
    // Exactly at the limit is read (and refused for what it holds, not for its size).
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(16 << 20))
        .expect("set_len");
    let out = sim(&["check", &shown]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("16 MiB"), "{}", stderr(&out));
    std::fs::remove_file(&path).ok();
}

#[test]
fn a_failed_expect_makes_exit_status_one_and_says_where() {
    let dir = scratch("expect");
    let file = write(
        &dir,
        "fails.sim",
        b"mailbox m capacity 1 owner a\nprocess a {\n  receive m nonblocking\n  expect ok\n}\n",
    );
    let out = sim(&["run", &file, "--trace", "none"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("== FAILED: p1:a exited 1: expect failed at ")
            && text.contains("fails.sim:4:10: expected ok, got would_block"),
        "{text}"
    );
}

#[test]
fn every_trace_format_goes_to_stdout_or_to_out() {
    let jsonl = sim(&["run", "producers", "--trace", "jsonl"]);
    assert_eq!(jsonl.status.code(), Some(0));
    let lines = stdout(&jsonl);
    assert!(lines.lines().count() > 50);
    assert!(
        lines
            .lines()
            .all(|l| l.starts_with('{') && l.ends_with('}')),
        "only JSON on stdout; the summary goes to stderr"
    );
    assert!(stderr(&jsonl).contains("== messages:"));

    let chrome = stdout(&sim(&["run", "producers", "--trace", "chrome"]));
    assert!(chrome.trim_start().starts_with('{') && chrome.contains("traceEvents"));
    let svg = stdout(&sim(&["run", "producers", "--trace", "svg"]));
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    let gantt = stdout(&sim(&[
        "run",
        "producers",
        "--trace",
        "gantt",
        "--width",
        "80",
    ]));
    assert!(gantt.contains("producer[2]") && gantt.contains("== messages:"));
    let stats = stdout(&sim(&["run", "producers", "--trace", "stats"]));
    assert!(stats.contains("consumer"), "{stats}");
    // The textbook view, with the policy and its numbering given as flags over the file's.
    let book = stdout(&sim(&[
        "run",
        "textbook_priority",
        "--trace",
        "textbook",
        "--policy",
        "priority",
        "--priority-order",
        "lower_is_higher",
    ]));
    assert!(
        book.starts_with("textbook view: 5 jobs on priority; init is the set-up, not a job")
            && book.contains("average                                      12.00     8.20")
            && book.contains("== messages:"),
        "{book}"
    );
    let refused = sim(&["run", "textbook_priority", "--priority-inheritance"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("priority inheritance lends the higher number"),
        "{}",
        stderr(&refused)
    );

    let dir = scratch("out");
    let path = dir.join("trace.json");
    let out = sim(&[
        "run",
        "producers",
        "--trace",
        "chrome",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), chrome);
    assert!(
        stdout(&out).contains("== messages:"),
        "the summary stays on stdout"
    );
}

#[test]
fn check_determinism_runs_twice_and_says_so() {
    let out = sim(&[
        "run",
        "philosophers",
        "--check-determinism",
        "--trace",
        "none",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("== deterministic: two runs gave the same"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ps_shows_the_table_at_a_tick_and_where_a_deadlock_stopped() {
    let at = stdout(&sim(&["ps", "producers", "--at", "40"]));
    assert!(at.contains("PID"), "{at}");
    assert!(
        at.contains("consumer") && at.contains("producer[0]"),
        "{at}"
    );
    let dead = sim(&["ps", "philosophers_deadlock"]);
    assert_eq!(dead.status.code(), Some(1), "a deadlocked run fails");
    let text = stdout(&dead);
    assert!(text.contains("deadlock"), "{text}");
    assert_eq!(
        text.matches("blocked: ").count(),
        10,
        "every philosopher and fork is blocked:\n{text}"
    );
}

#[test]
fn a_deadlocked_scenario_prints_its_process_table_with_the_summary() {
    let out = sim(&["run", "philosophers_deadlock", "--trace", "none"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("== DEADLOCK: 10 processes blocked forever"),
        "{text}"
    );
    assert!(
        text.contains("== the process table when the run stopped:"),
        "{text}"
    );
    assert!(
        text.contains("reply from p6:fork[0]") || text.contains("blocked: "),
        "{text}"
    );
}

#[test]
fn explain_tells_the_outcome_in_words() {
    let out = sim(&["explain", "timeouts"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("completed"), "{text}");
    assert!(
        text.contains("p1:impatient waited 33 ticks in all")
            && text.contains("waited for a message in mb0:news 2 times (1 timed out)"),
        "{text}"
    );
    let dead = stdout(&sim(&["explain", "philosophers_deadlock"]));
    assert!(dead.contains("Deadlock:"), "{dead}");
}

#[test]
fn flags_override_the_scenario_settings() {
    let dir = scratch("settings");
    let file = write(
        &dir,
        "fcfs.sim",
        b"set policy fcfs\nprocess a { compute 30 }\nprocess b { compute 30 }\n",
    );
    let fcfs = stdout(&sim(&["run", &file, "--trace", "none"]));
    assert!(fcfs.contains("on policy fcfs"), "{fcfs}");
    let rr = stdout(&sim(&[
        "run",
        &file,
        "--trace",
        "none",
        "--policy",
        "rr",
        "--quantum",
        "5",
    ]));
    assert!(rr.contains("on policy rr"), "{rr}");
}

#[test]
fn every_policy_runs_from_the_command_line_and_a_setting_it_does_not_take_is_refused() {
    for (policy, settings) in [
        ("rr", &["--quantum", "3"][..]),
        ("fcfs", &[][..]),
        ("sjf", &["--alpha", "30"][..]),
        ("srtf", &["--initial-estimate", "4"][..]),
        ("priority", &["--aging", "5"][..]),
        ("mlfq", &["--quanta", "2,4", "--boost", "50"][..]),
        ("lottery", &["--quantum", "4"][..]),
        ("random", &["--preempt", "20"][..]),
        ("pct", &["--depth", "2", "--steps", "100"][..]),
    ] {
        let mut args = vec!["run", "philosophers", "--trace", "none", "--policy", policy];
        args.extend_from_slice(settings);
        let out = sim(&args);
        assert_eq!(out.status.code(), Some(0), "{policy}: {}", stderr(&out));
        // The name, and the settings in force when they are not the defaults.
        let text = stdout(&out);
        assert!(
            text.contains(&format!("on policy {policy} "))
                || text.contains(&format!("on policy {policy}(")),
            "{policy}: {text}"
        );
    }
    let wrong = sim(&["run", "philosophers", "--policy", "fcfs", "--aging", "3"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("`aging` does not apply to fcfs"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn cpus_queues_and_the_kernel_switches_reach_the_machine() {
    let out = stdout(&sim(&[
        "run",
        "producers",
        "--cpus",
        "2",
        "--run-queues",
        "per-cpu",
        "--trace",
        "text",
    ]));
    assert!(out.contains(" cpu1 "), "a second CPU ran something");
    let dir = scratch("switches");
    let file = write(
        &dir,
        "cycle.sim",
        b"process a {\n  send b \"x\"\n  expect peer_exited\n}\nprocess b {\n  send a \"y\"\n  expect deadlock\n}\n",
    );
    let refused = sim(&["run", &file, "--refuse-deadlock", "--trace", "text"]);
    let text = stdout(&refused);
    assert_eq!(refused.status.code(), Some(0), "{text}");
    assert!(
        text.contains("refuse     block on p1:a.inbox.senders: deadlock"),
        "{text}"
    );
    let plain = sim(&["run", &file, "--trace", "none"]);
    assert_eq!(
        plain.status.code(),
        Some(1),
        "without the switch it deadlocks"
    );
}

#[test]
fn the_priority_inheritance_flag_turns_it_on_over_a_scenario_that_has_it_off() {
    let dir = scratch("inheritance");
    let source = userland::scenario::shipped("priority_inversion")
        .expect("shipped")
        .source
        .replace(
            "set priority_inheritance on",
            "set priority_inheritance off",
        );
    let file = write(&dir, "off.sim", source.as_bytes());
    let off = stdout(&sim(&["run", &file, "--trace", "console"]));
    assert!(off.starts_with("hog done\nclient done\n"), "{off}");
    let on = stdout(&sim(&[
        "run",
        &file,
        "--trace",
        "console",
        "--priority-inheritance",
    ]));
    assert!(on.starts_with("client done\nhog done\n"), "{on}");
}

#[test]
fn explore_can_vary_the_fault_seed_and_its_replay_reproduces_the_failure() {
    let dir = scratch("faultseed");
    let file = write(
        &dir,
        "lossy.sim",
        b"fault lose 30%\nmailbox m capacity 4 owner r\nprocess w {\n  repeat 3 { send m \"x\" }\n}\nprocess r {\n  repeat 3 {\n    receive m timeout 50\n    expect ok\n  }\n}\n",
    );
    let clean = sim(&["explore", &file, "--seeds", "0..20", "--strategy", "random"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "fault seed 0 loses nothing here: {}",
        stdout(&clean)
    );
    let out = sim(&[
        "explore",
        &file,
        "--seeds",
        "0..20",
        "--strategy",
        "random",
        "--vary-fault-seed",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let replay = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: sim run "))
        .expect("a replay command");
    assert!(replay.contains("--fault-seed"), "{replay}");
    let args: Vec<&str> = std::iter::once("run")
        .chain(replay.split_whitespace())
        .chain(["--trace", "none"])
        .collect();
    let again = sim(&args);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert!(
        stdout(&again).contains("expect failed"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_text_trace_written_to_a_file_is_the_one_printed_and_a_bad_path_is_refused() {
    // Printed: the trace, a blank line, then the summary.
    let printed = stdout(&sim(&["run", "producers"]));
    let (trace, summary) = printed
        .split_once("\n\n")
        .expect("a blank line between the trace and the summary");
    assert!(trace.lines().count() > 50 && summary.contains("== messages:"));

    let dir = scratch("text-out");
    let path = dir.join("trace.txt");
    let out = sim(&["run", "producers", "--out", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{trace}\n")
    );
    assert_eq!(stdout(&out), summary, "only the summary goes to stdout");

    let bad = dir.join("no-such-dir").join("trace.txt");
    let out = sim(&["run", "producers", "--out", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
}

#[test]
fn streamed_json_traces_written_to_a_file_are_the_ones_printed_and_a_bad_path_is_refused() {
    let dir = scratch("json-out");
    for format in ["jsonl", "chrome"] {
        let printed = sim(&["run", "producers", "--trace", format]);
        assert_eq!(printed.status.code(), Some(0), "{format}");
        let document = stdout(&printed);
        assert!(document.len() > 1_000, "{format}: {document}");
        let summary = stderr(&printed);
        assert!(summary.contains("== messages:"), "{format}: {summary}");

        let to = |path: &std::path::Path| {
            sim(&[
                "run",
                "producers",
                "--trace",
                format,
                "--out",
                path.to_str().unwrap(),
            ])
        };
        let path = dir.join(format!("trace.{format}"));
        let out = to(&path);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            document,
            "{format}: the file holds exactly the printed document"
        );
        assert_eq!(
            stdout(&out),
            summary,
            "{format}: the summary goes to stdout"
        );

        let out = to(&dir.join("no-such-dir").join(format!("trace.{format}")));
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    }
}

#[test]
fn a_cpu_count_outside_one_to_the_bound_is_refused_alike_by_the_flag_and_the_set_line() {
    assert_eq!(sim::MAX_CPUS, 64, "docs/security.md gives the bound");
    for n in ["0", "65", "100000", "4294967296", "99999999999999999999999"] {
        let out = sim(&["run", "bounded_buffer", "--cpus", n, "--trace", "none"]);
        assert_eq!(out.status.code(), Some(2), "--cpus {n}");
        assert!(
            stderr(&out).contains(&format!("a machine has 1 to 64 CPUs, not {n}")),
            "--cpus {n}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "--cpus {n}: nothing ran");
    }
    let most = sim(&["run", "bounded_buffer", "--cpus", "64", "--trace", "none"]);
    assert_eq!(most.status.code(), Some(0), "{}", stderr(&most));

    let dir = scratch("cpus-bound");
    for n in ["0", "65", "100000"] {
        // `set cpus 0` used to run on one CPU while `--cpus 0` was refused.
        let file = write(
            &dir,
            &format!("cpus{n}.sim"),
            format!("set cpus {n}\nprocess a {{ yield }}\n").as_bytes(),
        );
        for command in ["run", "check"] {
            let out = sim(&[command, &file]);
            assert_eq!(out.status.code(), Some(2), "{command} set cpus {n}");
            let err = stderr(&out);
            assert!(
                err.contains(&format!("a machine has 1 to 64 CPUs, not {n}"))
                    && err.contains(&format!("cpus{n}.sim:1:1"))
                    && err.contains("nothing was run"),
                "{command} set cpus {n}: {err}"
            );
            assert!(stdout(&out).is_empty(), "{command} set cpus {n}");
        }
    }
    let fine = write(&dir, "cpus64.sim", b"set cpus 64\nprocess a { yield }\n");
    assert_eq!(
        sim(&["run", &fine, "--trace", "none"]).status.code(),
        Some(0)
    );
}

#[test]
fn a_pct_depth_beyond_the_bound_is_refused_before_anything_is_allocated() {
    let refused = "`depth` must be 1 to 1000, not 4000000000";
    let runs: [&[&str]; 3] = [
        &[
            "run",
            "bounded_buffer",
            "--policy",
            "pct",
            "--depth",
            "4000000000",
        ],
        &[
            "run",
            "bounded_buffer",
            "--policy",
            "pct",
            "--depth",
            "4000000000",
            "--steps",
            "18446744073709551615",
        ],
        &[
            "explore",
            "bounded_buffer",
            "--depth",
            "4000000000",
            "--seeds",
            "0..2",
        ],
    ];
    for args in runs {
        let out = sim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(refused), "{args:?}: {}", stderr(&out));
    }
    let dir = scratch("pct-depth");
    let file = write(
        &dir,
        "deep.sim",
        b"set policy pct\nset depth 4000000000\nprocess a { yield }\n",
    );
    let out = sim(&["run", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(refused) && stderr(&out).contains("deep.sim:2:1"),
        "{}",
        stderr(&out)
    );
    // At the bound, with any number of steps: PCT keeps nothing in proportion to them.
    let out = sim(&[
        "run",
        "bounded_buffer",
        "--policy",
        "pct",
        "--depth",
        "1000",
        "--steps",
        "18446744073709551615",
        "--trace",
        "none",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_schedule_to_replay_is_read_with_the_scenario_files_bound() {
    let dir = scratch("replay-size");
    let path = dir.join("huge.schedule");
    // Sparse: 17 MiB that take no disk and no time to make.
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(17 << 20))
        .expect("set_len");
    let shown = path.to_string_lossy().into_owned();
    let out = sim(&["run", "bounded_buffer", "--replay", &shown]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("sim: {shown} is 17825792 bytes; the largest schedule file read is 16 MiB\n")
    );
    assert!(stdout(&out).is_empty(), "nothing ran");
    std::fs::remove_file(&path).ok();
    // A device reports no size: it is read one byte past the bound, never whole.
    if std::path::Path::new("/dev/zero").exists() {
        let out = sim(&["run", "bounded_buffer", "--replay", "/dev/zero"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            stderr(&out),
            "sim: /dev/zero is more than 16 MiB; the largest schedule file read is 16 MiB\n"
        );
    }
    let out = sim(&["run", "bounded_buffer", "--replay", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a directory; expected a schedule saved by `sim explore"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_machine_that_cannot_boot_says_why_and_runs_nothing() {
    let dir = scratch("no-boot");
    // No room for init: the boot error used to be dropped, nothing ran and the status was 0.
    let file = write(
        &dir,
        "none.sim",
        b"set max_processes 0\nprocess a { yield }\n",
    );
    let commands: [&[&str]; 5] = [
        &["run", &file],
        &["run", &file, "--trace", "none"],
        &["ps", &file],
        &["explain", &file],
        &["explore", &file, "--seeds", "0..3"],
    ];
    for args in commands {
        let out = sim(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&out),
            format!(
                "sim: could not boot {file} (its init): out_of_memory (a kernel memory limit was \
                 reached); the kernel's limits (max_processes, memory_limit) leave no room for \
                 it; nothing was run\n"
            ),
            "{args:?}"
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}

#[test]
fn after_a_clock_jump_past_the_tick_limit_the_summary_and_the_trace_give_the_same_limit() {
    let dir = scratch("jump-limit");
    let file = write(
        &dir,
        "jump.sim",
        b"set max_ticks 100\nprocess a {\n  loop {\n    yield\n  }\n}\nfault jump 500 at tick 20\n",
    );
    let out = sim(&["run", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let event = text
        .lines()
        .find_map(|l| {
            l.split_once("tick-limit ")
                .map(|(_, n)| n.trim().to_string())
        })
        .expect("a tick-limit event");
    assert_eq!(event, "100", "the trace gives the configured limit");
    // The summary used to call the tick the run stopped at (520) the limit.
    assert!(
        text.contains("== stopped at the tick limit 100, at tick 520\n"),
        "{text}"
    );
    let none = stdout(&sim(&["run", &file, "--trace", "none"]));
    assert!(
        none.contains("== stopped at the tick limit 100, at tick 520\n"),
        "{none}"
    );
    // `explain` and exploration say the same.
    let explained = stdout(&sim(&["explain", &file]));
    assert!(
        explained.contains("The run stopped past its tick limit 100, at tick 520,"),
        "{explained}"
    );
    let explored = stdout(&sim(&["explore", &file, "--seeds", "0..1"]));
    assert!(
        explored.contains("stopped at the tick limit 100, at tick 520"),
        "{explored}"
    );
}

#[test]
fn the_trace_written_during_the_run_is_the_one_written_from_stored_events() {
    // `--check-determinism` keeps the events and writes them after the run; without it a
    // text or JSON-lines trace on one CPU is written as the run goes. The bytes are the same.
    for s in userland::scenario::SHIPPED {
        let live = sim(&["run", s.name, "--trace", "jsonl"]);
        let stored = sim(&["run", s.name, "--trace", "jsonl", "--check-determinism"]);
        assert_eq!(live.status.code(), stored.status.code(), "{}", s.name);
        assert!(!live.stdout.is_empty(), "{}", s.name);
        assert!(live.stdout == stored.stdout, "{}: jsonl differs", s.name);

        let live = stdout(&sim(&["run", s.name]));
        let stored = stdout(&sim(&["run", s.name, "--check-determinism"]));
        let (trace, summary) = live.split_once("\n\n").expect("a trace, then the summary");
        let (stored_trace, stored_summary) = stored.split_once("\n\n").expect("the same");
        assert!(trace == stored_trace, "{}: text differs", s.name);
        assert_eq!(
            stored_summary.lines().skip(1).collect::<Vec<_>>(),
            summary.lines().collect::<Vec<_>>(),
            "{}: the same summary but the note on determinism",
            s.name
        );
    }
}

/// `sim ARGS` with stdout, and stderr too if `both`, writing to a full device.
#[cfg(target_os = "linux")]
fn sim_into_full(args: &[&str], both: bool) -> Output {
    let full = || std::fs::File::create("/dev/full").expect("/dev/full");
    let mut command = Command::new(env!("CARGO_BIN_EXE_sim"));
    command.args(args).stdout(full());
    if both {
        command.stderr(full());
    }
    command.output().expect("the sim binary runs")
}

#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error_and_never_a_panic() {
    let dir = scratch("full");
    let out_file = dir.join("trace.txt");
    let out_file = out_file.to_str().unwrap();
    let commands: [&[&str]; 12] = [
        &["run", "producers"],
        &["run", "producers", "--trace", "jsonl"],
        &["run", "producers", "--trace", "chrome"],
        &["run", "producers", "--trace", "gantt"],
        &["run", "producers", "--trace", "none", "--cpus", "2"],
        &["run", "producers", "--out", out_file],
        &["list"],
        &["check", "producers"],
        &["ps", "producers"],
        &["explain", "producers"],
        &["explore", "philosophers_deadlock", "--seeds", "0..3"],
        &["--help"],
    ];
    for args in commands {
        // Stdout full: the error is said on stderr, status 2 (it used to be 0 for a run).
        let out = sim_into_full(args, false);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("sim: cannot write the output: "),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
        // Both full: nowhere to say it, but still status 2 and no panic (it was 101).
        let out = sim_into_full(args, true);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // Only stderr full: the summary beside a JSON document is lost, quietly; the document
    // is whole and the run's own status stands.
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "producers", "--trace", "jsonl"])
        .stderr(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout,
        sim(&["run", "producers", "--trace", "jsonl"]).stdout
    );
    // A usage error with stderr full: status 2, nothing else to do.
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "--no-such-flag"])
        .stderr(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
