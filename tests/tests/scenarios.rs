//! The scenario language end to end: every shipped scenario runs as its comments say (trace
//! under snapshot), every statement does what `docs/scenarios.md` says, and every mistake
//! is reported at its line and column before anything runs.

use sim::{Outcome, Report};
use testkit::config;
use userland::scenario::{self, SHIPPED};

/// Load (parse and check) a scenario, panicking with the drawn diagnostics if it has mistakes.
fn load(file: &str, text: &str) -> scenario::Scenario {
    match scenario::load(file, text) {
        Ok(s) => s,
        Err(d) => panic!(
            "{file} has mistakes:\n{}",
            sim::scenario::render_diagnostics(file, text, &d)
        ),
    }
}

/// Run a scenario with the test configuration (every invariant checked) and its settings.
fn run_text(file: &str, text: &str) -> Report {
    let s = load(file, text);
    let cfg = sim::scenario::configure(&s, config());
    let report = sim::scenario::run(s, cfg).expect("boots");
    assert!(
        report.ledger_balances(),
        "{file}: the ledger balances: {:?} with {} queued",
        report.ledger,
        report.queued
    );
    if let Err(e) = report.check_ledgers() {
        panic!("{file}: every endpoint's ledger balances: {e}");
    }
    assert_eq!(report.panics().count(), 0, "{file}: no process panicked");
    report
}

fn run_shipped(name: &str) -> Report {
    let s = scenario::shipped(name).expect("shipped");
    run_text(s.path, s.source)
}

/// The diagnostics for a text that must not load.
fn mistakes(text: &str) -> Vec<scenario::Diagnostic> {
    match scenario::load("bad.sim", text) {
        Ok(_) => panic!("expected a mistake in:\n{text}"),
        Err(d) => d,
    }
}

/// The first diagnostic, drawn, as the command line shows it.
fn drawn(text: &str) -> String {
    sim::scenario::render_diagnostics("bad.sim", text, &mistakes(text))
}

fn console(report: &Report) -> Vec<&str> {
    report.console_text()
}

#[test]
fn every_shipped_scenario_checks_runs_and_keeps_its_trace() {
    assert_eq!(
        SHIPPED.len(),
        21,
        "one scenario per concept, five textbook exercises"
    );
    for s in SHIPPED {
        assert!(!s.about().is_empty(), "{} says what it shows", s.name);
        let report = run_shipped(s.name);
        if s.name == "philosophers_deadlock" {
            assert!(matches!(report.outcome, Outcome::Deadlock(_)), "{}", s.name);
        } else {
            assert!(
                report.succeeded(),
                "{} succeeds: {:?}\n{:#?}\n{}",
                s.name,
                report.outcome,
                report.exited,
                report.trace_text()
            );
        }
        insta::assert_snapshot!(s.name, report.trace_text());
    }
}

#[test]
fn shipped_files_on_disk_are_the_ones_compiled_in() {
    for s in SHIPPED {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../").to_string() + s.path;
        let on_disk = std::fs::read_to_string(&path).expect("shipped file exists");
        assert_eq!(on_disk, s.source, "{path}");
    }
}

#[test]
fn rendezvous_hands_each_message_over_without_queueing() {
    let r = run_shipped("rendezvous");
    let text = r.trace_text();
    assert_eq!(text.matches("via mb0:meet").count(), 3, "{text}");
    assert!(
        !text.contains("queued"),
        "nothing is ever buffered:\n{text}"
    );
    assert!(text.contains("block      on mb0:meet.senders"));
}

#[test]
fn producers_fill_the_buffer_and_wait_in_arrival_order() {
    let r = run_shipped("producers");
    assert_eq!(
        r.ledger.received,
        12 + 4,
        "12 items and init's 4 start messages"
    );
    let text = r.trace_text();
    assert!(text.contains("block      on mb0:jobs.senders"), "{text}");
    assert!(!text.contains("depth=3"), "never more than 2 queued");
}

#[test]
fn memory_limit_refuses_the_eighth_record_and_recovers_after_the_drain() {
    let r = run_shipped("memory_limit");
    assert_eq!(
        console(&r),
        ["writer: the kernel refused record 7", "reader: drained"]
    );
    assert!(r.trace_text().contains("out_of_memory"));
    assert_eq!(
        r.ledger.received,
        8 + 2,
        "seven records, the last message and init's 2 start messages"
    );
}

#[test]
fn polling_fails_fast_with_would_block_and_still_gets_every_result() {
    let r = run_shipped("polling");
    assert_eq!(
        console(&r),
        [
            "poller got result 0",
            "poller got result 1",
            "poller got result 2"
        ]
    );
    let text = r.trace_text();
    assert!(text.matches("would_block").count() >= 3, "{text}");
    assert!(
        !text.contains("block      on mb0:results.receiver"),
        "the poller never blocks"
    );
}

#[test]
fn timeouts_expire_on_both_sides_and_leave_nothing_behind() {
    let r = run_shipped("timeouts");
    let text = r.trace_text();
    assert_eq!(
        text.matches("wake       by timer (timed_out)").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("abandon    send to mb1:inbox (timed_out)"),
        "{text}"
    );
    assert_eq!(r.ledger.dropped.total(), 0);
}

#[test]
fn naming_shows_symmetric_receive_passing_over_an_older_message() {
    let r = run_shipped("naming");
    assert!(r.succeeded(), "every expect holds");
    let text = r.trace_text();
    assert!(text.contains("receive(from p3:beta"), "{text}");
}

#[test]
fn ownership_moves_the_queue_with_the_mailbox() {
    let r = run_shipped("ownership");
    let text = r.trace_text();
    assert!(
        text.contains("transferred mb0:tasks to p2:second"),
        "{text}"
    );
    assert_eq!(text.matches("not_owner").count(), 2, "{text}");
}

#[test]
fn deletion_wakes_the_waiting_senders_and_drops_the_queued_order() {
    let r = run_shipped("deletion");
    assert_eq!(
        console(&r),
        [
            "customer[0]: order queued",
            "shop closed",
            "customer[1]: the shop closed before taking my order",
            "customer[2]: the shop closed before taking my order",
        ]
    );
    assert_eq!(r.ledger.dropped.total(), 1);
    assert!(r.trace_text().contains("dropped=1 woken=2"));
}

#[test]
fn worker_pool_gives_each_job_to_exactly_one_worker_and_deletion_wakes_the_waiting_ones() {
    let r = run_shipped("worker_pool");
    let mut took: Vec<String> = console(&r)
        .iter()
        .filter_map(|l| l.split_once(" took ").map(|(_, job)| job.to_string()))
        .collect();
    took.sort();
    assert_eq!(
        took,
        (0..6).map(|i| format!("job {i}")).collect::<Vec<_>>(),
        "each job read by exactly one worker"
    );
    let workers: std::collections::BTreeSet<&str> = console(&r)
        .iter()
        .filter_map(|l| l.split_once(" took ").map(|(w, _)| w))
        .collect();
    assert!(workers.len() > 1, "the jobs are spread: {workers:?}");
    let text = r.trace_text();
    assert!(
        text.contains("mailbox    created mb0:jobs capacity=0 receivers=fifo"),
        "{text}"
    );
    assert_eq!(text.matches("grant      receive mb0:jobs to").count(), 3);
    assert!(text.contains("(mailbox_deleted)"), "{text}");
}

#[test]
fn multiplexer_reads_every_message_of_every_endpoint_once() {
    let r = run_shipped("multiplexer");
    let mut got: Vec<String> = console(&r)
        .iter()
        .filter_map(|l| l.strip_prefix("mux got ").map(String::from))
        .collect();
    got.sort();
    let mut want: Vec<String> = (0..4)
        .map(|i| format!("chatty {i}"))
        .chain((0..2).map(|i| format!("quiet {i}")))
        .chain((0..3).map(|i| format!("direct {i}")))
        .collect();
    want.sort();
    assert_eq!(got, want, "each message read exactly once");
    let text = r.trace_text();
    assert!(text.contains("block      on p1:mux.select"), "{text}");
    for endpoint in 0..3 {
        assert!(
            text.contains(&format!("via endpoint {endpoint}")),
            "a message from endpoint {endpoint}: {text}"
        );
    }
}

#[test]
fn private_reply_moves_the_mailbox_inside_a_message_and_keeps_the_snoop_out() {
    let r = run_shipped("private_reply");
    let text = r.trace_text();
    assert!(
        text.contains("right      receive right on mb1:private moved with msg#"),
        "{text}"
    );
    assert!(text.contains("err no_send_right"), "{text}");
    assert_eq!(r.rights.carried, 1);
    assert_eq!(r.rights.transferred, 1);
    assert!(r.rights.balances(0));
}

#[test]
fn client_server_answers_each_caller_with_its_own_reply() {
    let r = run_shipped("client_server");
    assert_eq!(
        r.ledger.received,
        6 + 4,
        "6 requests and init's 4 start messages"
    );
    assert_eq!(r.trace_text().matches("syscall    reply(").count(), 6);
}

#[test]
fn sieve_prints_the_primes_below_31() {
    let r = run_shipped("sieve");
    let primes: Vec<String> = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
        .iter()
        .map(|p| format!("prime {p}"))
        .collect();
    assert_eq!(console(&r), primes);
}

#[test]
fn philosophers_deadlock_in_a_cycle_through_all_ten_and_the_fix_does_not() {
    let r = run_shipped("philosophers_deadlock");
    let Outcome::Deadlock(d) = &r.outcome else {
        panic!("deadlocks: {:?}", r.outcome)
    };
    assert_eq!(d.cycle.len(), 10, "five philosophers and five forks");
    assert_eq!(d.blocked.len(), 10);
    let fixed = run_shipped("philosophers");
    assert!(fixed.succeeded());
    assert_eq!(
        fixed.exited.len(),
        11,
        "init, five forks, five philosophers"
    );
}

#[test]
fn runs_are_deterministic() {
    for name in ["producers", "philosophers", "sieve"] {
        let a = run_shipped(name);
        let b = run_shipped(name);
        assert_eq!(a.events, b.events, "{name}");
    }
}

const LANGUAGE_TOUR: &str = r#"
set quantum 4
mailbox box capacity 2 owner worker[0]

process worker count 2 inbox unbounded {
  let base "{copy+10}"
  print "{name} is copy {copy} with base {base} and {base+1}"
  repeat 2 {
    repeat 2 {
      print "{name} {i1}.{i2} inner={i}"
    }
  }
  if not ok { exit 9 }
  loop {
    if ok { break }
  }
  receive any
  expect sender boss
  expect bytes "job for {name}"
  print "{name} got {msg} from {sender}"
  receive box timeout 3
  if timed_out { print "{name}: empty box" }
  else { expect not_owner }
}

process boss {
  send worker[1] "job for worker[1]"
  send worker[copy] "job for worker[0]"
  expect ok
  spawn helper
  expect ok
  create scratch capacity 1
  expect ok
  send scratch "12345678"
  receive scratch buffer 4
  expect buffer_too_small
  receive scratch
  expect bytes "12345678"
  delete scratch
  send scratch "x"
  expect no_such_mailbox
  exit 3
}

process helper spawned priority 3 {
  print "helper {pid} spawned"
  compute 2
  yield
  sleep 5
}
"#;

#[test]
fn the_language_tour_exercises_every_statement_as_documented() {
    let r = run_text("tour.sim", LANGUAGE_TOUR);
    let out = console(&r);
    for line in [
        "worker[0] is copy 0 with base 10 and 11",
        "worker[1] is copy 1 with base 11 and 12",
        "worker[0] 0.0 inner=0",
        "worker[0] 0.1 inner=1",
        "worker[0] 1.1 inner=1",
        "worker[0] got job for worker[0] from boss",
        "worker[1] got job for worker[1] from boss",
        "worker[0]: empty box",
    ] {
        assert!(out.contains(&line), "{line:?} in {out:#?}");
    }
    assert!(
        out.iter()
            .any(|l| l.starts_with("helper p") && l.ends_with(" spawned")),
        "{out:#?}"
    );
    assert_eq!(r.exit_named("boss").map(|e| e.code), Some(3));
    assert_eq!(r.exit_named("worker[1]").map(|e| e.code), Some(0));
    assert!(r.exit_named("helper").is_some(), "spawned and ran");
    let text = r.trace_text();
    assert!(
        text.contains("program=helper parent=p3:boss arg=0 inbox=0 priority=3"),
        "{text}"
    );
    assert!(
        text.contains("program=worker parent=p0:init arg=1 inbox=unbounded priority=0"),
        "{text}"
    );
    assert!(r.policy.contains("rr"));
}

#[test]
fn a_failed_expect_ends_the_process_naming_the_file_and_line() {
    let text = "mailbox m capacity 1 owner a\nprocess a {\n  receive m nonblocking\n  expect ok\n  print \"not reached\"\n}\n";
    let r = run_text("fails.sim", text);
    assert!(!r.succeeded());
    assert_eq!(r.exit_named("a").map(|e| e.code), Some(1));
    assert_eq!(
        console(&r),
        ["expect failed at fails.sim:4:10: expected ok, got would_block"]
    );
}

#[test]
fn mistakes_name_the_line_and_column_and_what_was_expected() {
    // (scenario, line:col of the mistake, words the message must contain)
    let cases: &[(&str, (usize, usize), &str)] = &[
        (
            "process a {\n  sned m \"x\"\n}\n",
            (2, 3),
            "unknown statement `sned`",
        ),
        (
            "process a {\n  send m \"x\"\n}\n",
            (2, 8),
            "no mailbox or process named `m`",
        ),
        (
            "process a {\n  send a \"x\" forever\n}\n",
            (2, 14),
            "expected the end of the statement",
        ),
        (
            "process a {\n  print \"oops\n}\n",
            (2, 9),
            "unterminated string",
        ),
        (
            "process a {\n  print \"{nope}\"\n}\n",
            (2, 9),
            "unknown placeholder `{nope}`",
        ),
        (
            "process a {\n  compute \"x\"\n}\n",
            (2, 11),
            "expected a number of ticks",
        ),
        ("process a {\n  compute 5\n", (1, 11), "never closed"),
        (
            "mailbox m capacity 2\nprocess a { yield }\n",
            (1, 9),
            "needs an owner",
        ),
        (
            "mailbox m owner a\nprocess a { yield }\nprocess b { receive m }\n",
            (3, 21),
            "can never receive from `m`",
        ),
        (
            "process w count 3 { yield }\nprocess a { send w \"x\" }\n",
            (2, 18),
            "has 3 copies: say which",
        ),
        (
            "process w count 3 { yield }\nprocess a { send w[3] \"x\" }\n",
            (2, 18),
            "has no copy 3",
        ),
        (
            "process a { yield }\nprocess a { yield }\n",
            (2, 9),
            "declared twice",
        ),
        ("process a { break }\n", (1, 13), "`break` outside a loop"),
        (
            "process a { expect ok }\n",
            (1, 20),
            "nothing to expect yet",
        ),
        ("process a { reply \"x\" }\n", (1, 13), "nobody to reply to"),
        ("process a { spawn a }\n", (1, 19), "starts at boot"),
        (
            "set speed 3\nprocess a { yield }\n",
            (1, 5),
            "unknown setting `speed`",
        ),
        (
            "process a { expect weird }\n",
            (1, 20),
            "not something to expect",
        ),
        ("process init { yield }\n", (1, 9), "reserved name"),
        ("process a spawned { yield }\n", (1, 9), "nothing starts"),
        (
            "process a { send a \"x\" timeout 99999999999999999999 }\n",
            (1, 32),
            "number too large",
        ),
        ("process a { yield } @\n", (1, 21), "unexpected character"),
    ];
    for (text, (line, col), words) in cases {
        let d = mistakes(text);
        let first = &d[0];
        let at = scenario::line_col(text, first.span.start);
        let all = drawn(text);
        assert!(
            first.message.contains(words) || first.label.contains(words),
            "{text:?}: expected {words:?}, got:\n{all}"
        );
        assert_eq!(at, (*line, *col), "{text:?}:\n{all}");
        assert!(
            all.contains(&format!("bad.sim:{line}:{col}")),
            "drawn with file:line:col:\n{all}"
        );
    }
}

#[test]
fn a_diagnostic_shows_the_line_with_a_caret_under_the_mistake() {
    let text = "mailbox jobs capacity 2 owner consumer\n\nprocess producer {\n  send jbos \"item\"\n}\n\nprocess consumer {\n  receive jobs\n}\n";
    insta::assert_snapshot!(drawn(text));
}

#[test]
fn every_mistake_in_a_file_is_reported_not_only_the_first() {
    let text =
        "process a {\n  send nowhere \"x\"\n  receive from nobody\n  transfer gone to a\n}\n";
    let d = mistakes(text);
    assert_eq!(d.len(), 3, "{}", drawn(text));
    let lines: Vec<usize> = d
        .iter()
        .map(|d| scenario::line_col(text, d.span.start).0)
        .collect();
    assert_eq!(lines, [2, 3, 4], "in file order");
}

#[test]
fn spawned_copies_can_name_each_other_at_once_even_with_a_quantum_of_one() {
    // With a 1-tick quantum the spawner is preempted right after each spawn; the copies
    // still wait for its start message, sent only once all three are bound.
    let text = "set quantum 1\nprocess boss {\n  spawn w\n  expect ok\n}\nprocess w spawned count 3 inbox 1 {\n  send w[wrap copy+1] \"hi from {name}\"\n  expect ok\n  receive any\n  expect sender w\n}\n";
    let r = run_text("spawned.sim", text);
    assert!(r.succeeded(), "{:#?}\n{}", r.console_text(), r.trace_text());
    assert_eq!(r.exited.len(), 5, "init, boss and three copies");
}

#[test]
fn a_mailbox_without_an_owner_goes_to_the_one_process_that_receives_from_it() {
    let text = "mailbox m capacity 1\nprocess reader {\n  receive m\n  expect bytes \"x\"\n}\nprocess writer {\n  send m \"x\"\n  expect ok\n}\n";
    let r = run_text("owner.sim", text);
    assert!(r.succeeded(), "{}", r.trace_text());
    assert!(r.trace_text().contains("transferred mb0:m to p1:reader"));
}

#[test]
fn a_declared_burst_orders_shortest_job_first() {
    // Init releases processes one at a time, so a job that must compete from the start
    // arrives with a `sleep`: all three arrive at tick 1, and sjf runs them shortest declared
    // burst first, whatever their order in the file.
    let text = "set policy sjf\nset syscall_cost 0\nset switch_cost 0\n\
                process long burst 9 {\n  sleep 1\n  compute 9\n  print \"long\"\n}\n\
                process short burst 2 {\n  sleep 1\n  compute 2\n  print \"short\"\n}\n\
                process middle burst 5 {\n  sleep 1\n  compute 5\n  print \"middle\"\n}\n";
    let s = sim::scenario::load("sjf.sim", text).expect("loads");
    let cfg = sim::scenario::configure(&s, config());
    let r = sim::scenario::run(s, cfg).expect("boots");
    assert!(r.succeeded());
    assert_eq!(console(&r), ["short", "middle", "long"]);
}

#[test]
fn priority_inheritance_ends_the_inversion_and_without_it_the_hog_runs_first() {
    let r = run_shipped("priority_inversion");
    assert_eq!(console(&r), ["client done", "hog done"]);
    let text = r.trace_text();
    assert!(
        text.contains("lend       priority 9 from p3:client"),
        "{text}"
    );
    assert!(
        text.contains("return     lent priority, back to 1"),
        "{text}"
    );

    let s = scenario::shipped("priority_inversion").expect("shipped");
    let off = s.source.replace(
        "set priority_inheritance on",
        "set priority_inheritance off",
    );
    let inverted = run_text("priority_inversion_off.sim", &off);
    assert_eq!(console(&inverted), ["hog done", "client done"]);
    assert!(!inverted.trace_text().contains("lend "));
}

#[test]
fn an_overflow_policy_drops_the_oldest_message_and_the_ledger_says_so() {
    let text = "mailbox q capacity 1 overflow drop_oldest owner r\n\
                process w {\n  send q \"a\"\n  send q \"b\"\n  expect ok\n}\n\
                process r {\n  sleep 30\n  receive q\n  expect bytes \"b\"\n  \
                create fresh capacity 1 overflow fail\n  send fresh \"x\"\n  \
                send fresh \"y\"\n  expect mailbox_full\n  receive fresh\n}\n";
    let r = run_text("overflow.sim", text);
    assert!(r.succeeded(), "{}", r.trace_text());
    assert_eq!(
        r.ledger.dropped.total(),
        1,
        "the oldest message, dropped for room"
    );
    assert!(r.trace_text().contains("overflow"), "{}", r.trace_text());
}

#[test]
fn a_killed_server_leaves_its_caller_with_peer_exited() {
    let text = "mailbox service owner server\n\
                process server {\n  receive service\n  sleep 100\n  reply \"late\"\n}\n\
                process client {\n  call service \"job\"\n  expect peer_exited\n  \
                print \"the server is gone\"\n}\n\
                fault kill server at tick 40\n";
    let r = run_text("kill.sim", text);
    assert_eq!(console(&r), ["the server is gone"]);
    let server = r.exit_named("server").expect("the server ended");
    assert_ne!(server.code, 0, "a killed process does not exit 0");
    assert!(r.trace_text().contains("fault"), "{}", r.trace_text());
    assert!(!r.succeeded(), "a kill is a failure of the killed process");
}

#[test]
fn a_fault_line_must_name_a_process() {
    let d = mistakes("process a { yield }\nfault kill nobody at tick 3\n");
    assert!(d[0].message.contains("no process named `nobody`"), "{d:?}");
    let d = mistakes("process a { yield }\nfault lose 150%\n");
    assert!(d[0].message.contains("150 is too large"), "{d:?}");
}

#[test]
fn losing_every_message_still_starts_every_process() {
    // Init's start messages are exempt from message faults; everything the scenario's own
    // processes send is lost, and the ledger still balances.
    let text = "set fault_seed 1\nfault lose 100%\n\
                mailbox m capacity 4 owner r\n\
                process w {\n  send m \"x\"\n  expect ok\n}\n\
                process r {\n  receive m timeout 30\n  expect timed_out\n  print \"nothing came\"\n}\n";
    let r = run_text("lose.sim", text);
    assert!(r.succeeded(), "{}", r.trace_text());
    assert_eq!(console(&r), ["nothing came"]);
    assert_eq!(r.ledger.dropped.total(), 1, "w's message, lost");
    assert!(
        r.trace_text().contains("fault      lose"),
        "{}",
        r.trace_text()
    );
}

// ----- values -----

/// The console lines of a scenario that must run to a clean end.
fn runs_clean(text: &str) -> Vec<String> {
    let report = run_text("values.sim", text);
    assert!(
        report.succeeded(),
        "{:?}: {:?}",
        report.outcome,
        report.console_text()
    );
    report
        .console_text()
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn integer_values_drive_ifs_whiles_repeats_targets_timeouts_capacities_and_spawns() {
    let text = "\
process main {
  let n = 3
  let total = 0
  let k = 0
  while k < n * 2 {
    let total = total + k
    let k = k + 1
  }
  print \"total {total} after {k}\"
  if total % 2 == 1 { print \"odd\" } else { print \"even\" }
  expect (total - 15) / 5 == 0
  repeat n - 1 { print \"again {i}\" }
  create box capacity n - 1
  expect ok
  send box \"a\" nonblocking
  send box \"b\" nonblocking
  expect ok
  send box \"c\" nonblocking
  expect would_block
  compute n
  sleep {n}
  spawn worker with n * 10
  expect ok
  send worker[n - 3] \"to zero\"
  send worker[wrap n] \"to one\"
  receive box timeout n * 2
  expect bytes \"a\"
}
process worker spawned count 2 {
  let me = arg + copy
  print \"worker {copy} has {arg} and {me}\"
  receive any timeout arg
  if ok { print \"{name} got {msg}\" }
}
";
    let mut got = runs_clean(text);
    // The two workers' last lines come in whichever order the schedule gives.
    got[6..].sort();
    assert_eq!(
        got,
        [
            "total 15 after 6",
            "odd",
            "again 0",
            "again 1",
            "worker 0 has 30 and 30",
            "worker 1 has 30 and 31",
            "worker[0] got to zero",
            "worker[1] got to one",
        ],
        "{got:?}"
    );
}

#[test]
fn arithmetic_that_overflows_or_divides_by_zero_stops_that_process_with_its_place() {
    for (line, why) in [
        (
            "let x = 9223372036854775807 + copy + 1",
            "9223372036854775807 + 1 is outside the 64-bit range",
        ),
        ("let x = 7 / (copy - copy)", "7 / 0 divides by zero"),
        ("let x = 7 % (copy * 0)", "7 % 0 divides by zero"),
        (
            "let x = -(-9223372036854775808 + copy)",
            "-(-9223372036854775808) is outside",
        ),
        ("compute copy - 1", "-1 ticks: a count cannot be negative"),
    ] {
        let text = format!("process p {{\n  print \"before\"\n  {line}\n  print \"after\"\n}}\nprocess q {{ print \"q runs\" }}\n");
        let report = run_text("arith.sim", &text);
        assert!(!report.succeeded(), "{line}");
        let console = console(&report);
        assert!(
            console.contains(&"before") && !console.contains(&"after"),
            "{console:?}"
        );
        assert!(
            console.contains(&"q runs"),
            "another process is not affected"
        );
        let error = console
            .iter()
            .find(|l| l.starts_with("error at arith.sim:3:"))
            .unwrap_or_else(|| panic!("{line}: {console:?}"));
        assert!(error.contains(why), "{error}");
    }
}

#[test]
fn a_copy_index_wraps_only_when_the_scenario_says_wrap() {
    // A static index past the copies is a mistake, with the way to wrap in a note.
    let found = mistakes("process w count 3 { send w[1 + 2] \"x\" }\n");
    assert_eq!(found[0].message, "`w` has no copy 3");
    assert!(
        found[0].notes.iter().any(|n| n.contains("[wrap ...]")),
        "{:?}",
        found[0]
    );
    // A computed one is a runtime error of the process that computed it: the last link of
    // a chain does not silently address the first.
    let chain = "process w count 3 inbox 1 {\n  send w[copy + 1] \"next\" nonblocking\n}\n";
    let report = run_text("chain.sim", chain);
    assert!(!report.succeeded());
    let console = console(&report);
    assert!(
        console
            .iter()
            .any(|l| l.starts_with("error at chain.sim:2:10: `w` has no copy 3")),
        "{console:?}"
    );
    // `wrap` makes a ring: every copy is sent to, none fails.
    let ring = "process w count 3 inbox 1 {\n  send w[wrap copy + 1] \"from {copy}\"\n  receive any\n  print \"{name} {msg}\"\n}\n";
    let mut got = runs_clean(ring);
    got.sort();
    assert_eq!(got, ["w[0] from 2", "w[1] from 0", "w[2] from 1"]);
}

#[test]
fn values_are_checked_before_running() {
    let found = mistakes("process p {\n  let count = 2\n  compute cuont\n  if cuont > 1 { yield }\n  let z = 1 / 0\n}\n");
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unknown value `cuont`",
            "unknown value `cuont`",
            "this value cannot be computed"
        ],
        "{found:?}"
    );
    assert!(found[0]
        .notes
        .contains(&"did you mean `count`?".to_string()));
    // A test of values needs a comparison, and a bare word keeps its old message.
    assert_eq!(
        mistakes("process p { let n = 1\n if n + 1 { yield } }\n")[0].message,
        "a test of values needs a comparison"
    );
    assert_eq!(
        mistakes("process p { send p \"x\" nonblocking\n expect okk }\n")[0].message,
        "`okk` is not something to expect"
    );
}

// ----- replies, lookup, wait -----

#[test]
fn a_client_sees_its_reply_apart_from_what_it_received_and_reply_to_names_the_caller() {
    let text = "\
mailbox service owner server
process server {
  receive service
  receive any
  print \"server: call from {sender}? no, last received {msg} from {sender}\"
  reply to client \"re: hello\"
  expect ok
}
process client {
  call service \"hello\"
  expect bytes \"re: hello\"
  print \"got [{reply}] from [{reply_sender}]; last received [{msg}] from [{sender}]\"
}
process notifier { send server \"note\" }
";
    let got = runs_clean(text);
    assert_eq!(
        got,
        [
            "server: call from notifier? no, last received note from notifier",
            "got [re: hello] from [server]; last received [] from []",
        ]
    );
    // `reply to` names a process, checked like any target.
    let found = mistakes(
        "process a { receive any\n reply to clinet \"x\" }\nprocess client { call a \"y\" }\n",
    );
    assert_eq!(found[0].message, "no process named `clinet`");
    assert!(found[0]
        .notes
        .contains(&"did you mean `client`?".to_string()));
}

#[test]
fn wait_collects_a_childs_exit_status_as_a_value() {
    let text = "\
process parent {
  spawn child with 2
  expect ok
  wait child
  expect ok
  print \"child exited with {status}\"
  if status == 7 { print \"seven\" }
  let twice = status * 2
  print \"twice {twice}\"
  wait child nonblocking
  expect no_such_process
}
process child spawned {
  compute arg
  exit arg * 3 + 1
}
";
    let report = run_text("wait.sim", text);
    assert_eq!(
        console(&report),
        ["child exited with 7", "seven", "twice 14"]
    );
    // The child's non-zero exit is its own; the parent collected it and went on.
    assert_eq!(report.exit_named("parent").map(|e| e.code), Some(0));
    // An exit code is a value too: a number is checked before running, a computed one
    // when it runs.
    assert_eq!(
        mistakes("process a { exit 2147483647 + 1 }\n")[0].message,
        "exit code out of range"
    );
    let huge = run_text("huge.sim", "process a {\n  exit copy + 2147483648\n}\n");
    assert_eq!(
        console(&huge),
        ["error at huge.sim:2:8: exit code 2147483648 is not a 32-bit code"]
    );
    // Only a process this one spawns can be waited for.
    let found = mistakes("process a { wait b }\nprocess b { yield }\n");
    assert_eq!(found[0].message, "`b` starts at boot: `init` is its parent");
    // `status` before any wait is a runtime error at its place.
    let early = run_text("early.sim", "process a {\n  let s = status + 1\n}\n");
    assert_eq!(
        console(&early),
        ["error at early.sim:2:11: `status` is read before any `wait` collected one"]
    );
}

#[test]
fn lookup_asks_the_kernel_for_the_live_mailbox_under_a_name() {
    let text = "\
process keeper {
  create box capacity 1
  delete box
  expect ok
  lookup box
  expect no_such_mailbox
  create box capacity 1
  lookup box
  expect ok
  send box \"x\"
  receive box nonblocking
  expect bytes \"x\"
  print \"found it\"
}
";
    assert_eq!(runs_clean(text), ["found it"]);
    let found = mistakes("process a { lookup bxo }\nprocess b { create box }\n");
    assert_eq!(found[0].message, "no mailbox named `bxo`");
}

// ----- daemons and expected kills -----

const SERVER: &str = "\
mailbox service owner server
process server daemon {
  loop {
    receive service
    reply \"re: {msg}\"
  }
}
process client count 2 {
  repeat 2 {
    call service \"hello {copy}\"
    expect ok
  }
}
";

#[test]
fn a_daemon_server_left_waiting_ends_the_run_as_completed_not_deadlocked() {
    let report = run_text("daemon.sim", SERVER);
    assert_eq!(report.outcome, Outcome::Completed);
    assert!(report.succeeded(), "exit status 0");
    let server = report
        .processes
        .iter()
        .find(|p| p.name == "server")
        .expect("the daemon is still there");
    assert!(server.daemon);
    assert_eq!(server.state.name(), "blocked", "idle in its receive");
    assert!(report.exit_named("server").is_none(), "it never exited");
    // The same server without `daemon` is the deadlock users met.
    let plain = run_text("plain.sim", &SERVER.replace("server daemon", "server"));
    assert!(
        matches!(plain.outcome, Outcome::Deadlock(_)),
        "{:?}",
        plain.outcome
    );
    // Daemons that poll with a timeout or sleep are idle too once the others have exited:
    // the run does not go on to its tick limit for them, on one CPU or several.
    let polling = "\
process server daemon {
  loop {
    receive any timeout 7
    if ok { reply \"re\" }
  }
}
process sleeper daemon { loop { sleep 50 } }
process client {
  call server \"hi\"
  expect ok
  compute 30
}
";
    for cpus in [1, 2] {
        let text = format!("set cpus {cpus}\n{polling}");
        let report = run_text("polling.sim", &text);
        assert_eq!(report.outcome, Outcome::Completed, "{cpus} cpus");
        assert!(report.succeeded());
        assert!(report.ticks < 200, "{cpus} cpus: ended at {}", report.ticks);
        let states: Vec<&str> = report
            .processes
            .iter()
            .filter(|p| p.daemon)
            .map(|p| p.state.name())
            .collect();
        assert_eq!(
            states.len(),
            2,
            "{cpus} cpus: both daemons left: {states:?}"
        );
    }
    // Daemons blocked on each other beside a non-daemon blocked too: still a deadlock.
    let stuck = "process a daemon { receive any }\nprocess b { receive any }\n";
    assert!(matches!(
        run_text("stuck.sim", stuck).outcome,
        Outcome::Deadlock(_)
    ));
}

const KILLED: &str = "\
mailbox service owner server
process server daemon {
  loop {
    receive service
    reply \"re: {msg}\"
  }
}
process client {
  repeat 5 {
    call service \"hello\" timeout 10
    if peer_exited { print \"server gone\"; break }
    sleep 5
  }
}
fault kill server at tick 30
";

#[test]
fn a_kill_the_scenario_expects_lets_the_run_pass_and_a_missed_one_fails_it() {
    let unexpected = run_text("kill.sim", KILLED);
    assert_eq!(unexpected.exit_named("server").map(|e| e.code), Some(137));
    assert!(!unexpected.succeeded(), "an unplanned kill fails the run");
    let expected = run_text("kill.sim", &format!("{KILLED}expect killed server\n"));
    assert!(expected.succeeded(), "{:?}", expected.console_text());
    assert_eq!(console(&expected), ["server gone"]);
    // A kill that never happens (its process has exited by then) fails a run that
    // expected it.
    let late = KILLED.replace("kill server at tick 30", "kill client at tick 100000");
    let missed = run_text("late.sim", &format!("{late}expect killed client\n"));
    assert_eq!(missed.exit_named("client").map(|e| e.code), Some(0));
    assert_eq!(missed.missed_kills().collect::<Vec<_>>(), ["client"]);
    assert!(!missed.succeeded());
    // Expecting a kill no `fault kill` line makes is a mistake.
    let found = mistakes(&format!("{KILLED}expect killed client\n"));
    assert_eq!(found[0].message, "nothing kills `client`");
}
