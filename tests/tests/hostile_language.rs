//! Hostile scenario text: whatever a user writes, `sim check` and `sim run` end with a clear
//! answer. Deep nesting is a mistake at its line, thousands of mistakes draw a bounded
//! report, checking and booting are linear, values and numbers have limits that are
//! runtime errors of the process that exceeds them, and two spawners of one declaration
//! never release each other's copies.

use sim::explore::{self, Options, Strategy, Target};
use sim::Report;
use testkit::config;
use userland::scenario::{self, Diagnostic, Scenario};

/// Load a scenario the way `sim check` and `sim run` do (both call this before anything
/// else), panicking with the drawn diagnostics if it has mistakes.
fn load(file: &str, text: &str) -> Scenario {
    match sim::scenario::load(file, text) {
        Ok(s) => s,
        Err(d) => panic!(
            "{file} has mistakes:\n{}",
            sim::scenario::render_diagnostics(file, text, &d)
        ),
    }
}

/// The mistakes of a text that must not load.
fn mistakes(file: &str, text: &str) -> Vec<Diagnostic> {
    match sim::scenario::load(file, text) {
        Ok(_) => panic!("expected {file} to have mistakes"),
        Err(d) => d,
    }
}

/// Run a scenario with the test configuration (every invariant checked) and its settings.
fn run(file: &str, text: &str) -> Report {
    let s = load(file, text);
    let cfg = sim::scenario::configure(&s, config());
    let report = sim::scenario::run(s, cfg).expect("it boots");
    assert!(report.ledger_balances(), "{file}: the ledger balances");
    assert_eq!(report.panics().count(), 0, "{file}: no process panicked");
    report
}

/// The exit code of the process labelled `name`.
fn exit_code(report: &Report, name: &str) -> i32 {
    report
        .exited
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} exited: {:#?}", report.exited))
        .code
}

// ----- nesting -----

/// `depth` blocks, one inside the other: the process body and `depth - 1` nested
/// statements cycling through every kind of block, each on its own line.
fn nested(depth: usize) -> String {
    let mut text = String::from("process a {\n  print \"start\"\n");
    for level in 1..depth {
        text.push_str(match level % 4 {
            0 => "repeat 1 {\n",
            1 => "loop {\n",
            2 => "if ok {\n",
            _ => "if not ok { yield } else {\n",
        });
    }
    text.push_str("print \"deep\"\n");
    for level in (1..depth).rev() {
        text.push_str(if level % 4 == 1 { "break\n}\n" } else { "}\n" });
    }
    text.push_str("}\n");
    text
}

#[test]
fn ten_thousand_nested_blocks_are_one_mistake_at_the_brace_that_goes_too_deep() {
    let text = nested(10_000);
    let found = mistakes("deep.sim", &text);
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d.message, "blocks nest at most 64 deep");
    // The process body is block 1 on line 1; block 65 opens on line 66 ("print" is line 2).
    assert_eq!(&text[d.span.start..d.span.end], "{");
    let (line, _) = scenario::line_col(&text, d.span.start);
    assert_eq!(line, 66);
    let drawn = sim::scenario::render_diagnostics("deep.sim", &text, &found);
    let (_, col) = scenario::line_col(&text, d.span.start);
    assert!(drawn.contains(&format!("deep.sim:66:{col}")), "{drawn}");
    assert!(drawn.contains("blocks nest at most 64 deep"), "{drawn}");
}

#[test]
fn blocks_nested_to_the_limit_check_run_and_drop() {
    let text = nested(64);
    let s = load("limit.sim", &text);
    // Every recursive walk of the tree (clone, compare, debug, drop) is bounded by the
    // limit: a stack a quarter of a thread's default 2 MiB is plenty, even for a debug
    // build, whose derived clone and compare keep a slot for every statement kind's fields
    // in each level's frame.
    let copy = s.clone();
    std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(move || {
            let again = copy.clone();
            assert_eq!(again, copy);
            assert!(format!("{again:?}").contains("Repeat"));
            assert!(scenario::check(&again).is_empty());
            drop(again);
        })
        .expect("a thread")
        .join()
        .expect("bounded recursion fits a small stack");
    let report = run("limit.sim", &text);
    assert!(report.succeeded(), "{:?}", report.outcome);
    assert_eq!(
        report.console_text(),
        ["start", "deep"],
        "the innermost statement ran"
    );
    // One more level is a mistake.
    assert_eq!(
        mistakes("over.sim", &nested(65))[0].message,
        "blocks nest at most 64 deep"
    );
}

// ----- diagnostics -----

#[test]
fn a_line_with_fifty_thousand_mistakes_draws_twenty_and_counts_the_rest() {
    // 2,000 first: before the renderer was bounded this already drew 50 MB.
    for n in [2_000, 50_000] {
        let text = format!("process a {{ {}}}\n", "send x \"1\"; ".repeat(n));
        let found = mistakes("bad.sim", &text);
        assert_eq!(found.len(), n, "check keeps every mistake");
        let drawn = sim::scenario::render_diagnostics("bad.sim", &text, &found);
        assert!(
            drawn.len() < 32 << 10,
            "{n} mistakes on one line draw {} bytes",
            drawn.len()
        );
        assert_eq!(
            drawn
                .matches("error: no mailbox or process named `x`")
                .count(),
            20
        );
        assert!(
            drawn.ends_with(&format!("... and {} more mistakes not shown\n", n - 20)),
            "{}",
            &drawn[drawn.len().saturating_sub(200)..]
        );
        // True positions, even far along the line: the 20th mistake's column.
        let (line, col) = scenario::line_col(&text, found[19].span.start);
        assert!(drawn.contains(&format!("bad.sim:{line}:{col}")), "{drawn}");
        for l in drawn.lines() {
            assert!(
                l.chars().count() <= 160,
                "a drawn line of {} chars",
                l.len()
            );
        }
    }
}

#[test]
fn a_mistake_far_along_a_long_line_is_drawn_in_a_window_at_its_true_column() {
    let filler = "yield; ".repeat(20_000);
    let text = format!("process a {{ print \"x\"; {filler}send nobdy \"hi\"; {filler}}}\n");
    let found = mistakes("long.sim", &text);
    assert_eq!(found.len(), 1, "{found:?}");
    let drawn = sim::scenario::render_diagnostics("long.sim", &text, &found);
    let (line, col) = scenario::line_col(&text, found[0].span.start);
    assert!(col > 100_000, "the mistake is far along the line");
    assert!(drawn.contains(&format!("long.sim:{line}:{col}")), "{drawn}");
    assert!(drawn.len() < 2_000, "{drawn}");
    // The window shows the mistake with the caret under it, and marks what it leaves out.
    let shown = drawn
        .lines()
        .find(|l| l.contains("send nobdy"))
        .unwrap_or_else(|| panic!("the line is shown: {drawn}"));
    assert!(
        shown.starts_with("1 │ …") && shown.ends_with('…'),
        "{shown}"
    );
    let at = shown[..shown.find("nobdy").expect("the name")]
        .chars()
        .count();
    let carets = drawn
        .lines()
        .find(|l| l.contains('^'))
        .expect("a caret line");
    assert_eq!(carets.chars().position(|c| c == '^'), Some(at), "{drawn}");
    assert!(
        carets.contains("^^^^^ expected a mailbox or process name"),
        "{drawn}"
    );
}

#[test]
fn a_long_name_in_a_message_is_cut_short() {
    let name = "n".repeat(100_000);
    let text = format!("process a {{ send {name} \"x\" }}\n");
    let found = mistakes("name.sim", &text);
    let drawn = sim::scenario::render_diagnostics("name.sim", &text, &found);
    assert!(drawn.len() < 4_000, "{} bytes", drawn.len());
    assert!(drawn.contains("name.sim:1:18"), "{drawn}");
}

// ----- linear checking -----

/// The work (`userland::work` steps) of `f` on the input of size `n` and of size `8 n`, the
/// second at most `bound` times the first: near-linear work takes about 8 times, work that
/// grows with the square of the input 64. Counted, not timed: a busy machine cannot blur it.
fn grows_linearly(what: &str, n: usize, bound: u64, f: impl Fn(usize) -> bool) {
    const { assert!(userland::work::COUNTING, "the system tests count work") };
    let mut steps = [0; 2];
    for (k, size) in [n, 8 * n].into_iter().enumerate() {
        userland::work::take();
        assert!(f(size), "{what} at {size}");
        steps[k] = userland::work::take();
    }
    assert!(steps[0] > 0, "{what} counts its work");
    assert!(
        steps[1] <= bound * steps[0],
        "{what}: 8 times the input took {:.1} times the work ({} against {})",
        steps[1] as f64 / steps[0] as f64,
        steps[1],
        steps[0]
    );
}

#[test]
fn checking_replies_is_linear() {
    // The checker once rescanned the body for every `reply` (100,000 took over 30 s).
    grows_linearly("checking replies", 10_000, 9, |n| {
        let text = format!(
            "mailbox m\nprocess a {{\n  receive m\n{}}}\n",
            "  reply \"r\"\n".repeat(n)
        );
        scenario::load("replies.sim", &text).is_ok()
    });
}

#[test]
fn checking_many_receives_sends_and_names_is_linear() {
    // Each statement resolves names, each receive asks who can own its mailbox, and each
    // unknown name looks for a close one: none of it may rescan the file.
    grows_linearly("checking processes that name each other", 2_500, 10, |n| {
        let mut text = String::from("mailbox m owner p0\n");
        for i in 0..n {
            text.push_str(&format!(
                "process p{i} {{ receive m; send p{} \"x\"; send q{i} \"y\" }}\n",
                (i + 1) % n
            ));
        }
        let found = scenario::load("many.sim", &text).map(|_| ()).err();
        // Every process but the owner receives from `m`, and every `q` is unknown.
        found.is_some_and(|f| f.len() == (n - 1) + n)
    });
}

#[test]
fn declarations_load_and_find_their_programs_in_linear_work() {
    // The program table once found a program by scanning its list (80,000 declarations
    // took 20 s to boot).
    grows_linearly(
        "loading declarations and finding their programs",
        10_000,
        10,
        |n| {
            let mut text = String::new();
            for i in 0..n {
                text.push_str(&format!("process p{i} {{ yield }}\n"));
            }
            let s = scenario::load("wide.sim", &text).expect("it loads");
            let programs = scenario::programs(s);
            (0..n).all(|i| programs.get(&format!("p{i}")).is_some())
                && programs.names().count() == n + 1
        },
    );
}

// ----- value size -----

/// The console line of process `name`.
fn console_of(report: &Report, name: &str) -> Vec<String> {
    let pid = report
        .exited
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.pid)
        .expect("it ran");
    report
        .console
        .iter()
        .filter(|l| l.pid == pid)
        .map(|l| l.text.clone())
        .collect()
}

#[test]
fn a_value_holds_at_most_64_kib() {
    // Doubling reaches exactly 65,536 bytes after 16 rounds: allowed, and sent whole.
    let text = "set max_message 70000\nmailbox m capacity 1\n\
                process a {\n  let s \"x\"\n  repeat 16 { let s \"{s}{s}\"; yield }\n  \
                send m \"{s}\"\n  expect ok\n  let t \"{s}y\"\n  print \"not reached\"\n}\n\
                process b {\n  receive m\n  let n \"{msg}\"\n  print \"got it\"\n}\n";
    let report = run("size.sim", text);
    assert_eq!(exit_code(&report, "b"), 0);
    assert_eq!(console_of(&report, "b"), ["got it"]);
    assert_eq!(exit_code(&report, "a"), 1, "the 65,537th byte is an error");
    assert_eq!(
        console_of(&report, "a"),
        ["error at size.sim:8:9: this text would be 65537 bytes; a value holds at most 65536 bytes"]
    );
}

#[test]
fn a_let_that_doubles_in_a_loop_stops_at_the_limit_not_at_a_gigabyte() {
    let text = "process a {\n  let s \"ab\"\n  loop {\n    let s \"{s}{s}\"\n    yield\n  }\n}\n";
    let report = run("double.sim", text);
    assert_eq!(exit_code(&report, "a"), 1);
    assert_eq!(
        console_of(&report, "a"),
        ["error at double.sim:4:11: this text would be 131072 bytes; a value holds at most 65536 bytes"]
    );
    assert!(
        report.ticks < 200,
        "it stops at once: {} ticks",
        report.ticks
    );
}

#[test]
fn exploration_names_a_runtime_error_by_its_statement() {
    let text = "process a {\n  let s \"ab\"\n  loop {\n    let s \"{s}{s}\"\n    yield\n  }\n}\n";
    let s = load("double.sim", text);
    let mut cfg = sim::scenario::configure(&s, config());
    cfg.kernel.check_invariants = false;
    let strategy = Strategy::Random {
        preempt_percent: explore::DEFAULT_PREEMPT_PERCENT,
    };
    let options = Options {
        jobs: 1,
        ..Options::default()
    };
    let r = explore::explore(&Target::scenario(s), &cfg, strategy, 0..4, &options);
    assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
    assert_eq!(r.failures[0].kind, explore::FailureKind::Error);
    assert_eq!(r.failures[0].signature, "error at double.sim:4:11");
    assert_eq!(r.failures[0].count, 4);
}

#[test]
fn every_text_is_held_to_the_limit_before_its_syscall() {
    for (statement, col) in [
        ("send m \"{s}{s}\"", 10),
        ("print \"{s}{s}\"", 9),
        ("expect bytes \"{s}{s}\"", 16),
        ("if not bytes \"{s}{s}\" { yield }", 16),
    ] {
        let text = format!(
            "mailbox m capacity 1 owner a\nprocess a {{\n  let s \"x\"\n  \
             repeat 16 {{ let s \"{{s}}{{s}}\" }}\n  print \"ready\"\n  {statement}\n}}\n"
        );
        let report = run("each.sim", &text);
        assert_eq!(exit_code(&report, "a"), 1, "{statement}");
        assert_eq!(
            console_of(&report, "a"),
            [
                "ready".to_string(),
                format!(
                    "error at each.sim:6:{col}: this text would be 131072 bytes; \
                     a value holds at most 65536 bytes"
                )
            ],
            "{statement}"
        );
        assert_eq!(
            report.ledger.sent, 1,
            "{statement}: only init's start was sent"
        );
    }
}

#[test]
fn a_text_too_long_before_it_is_filled_in_is_a_mistake() {
    let text = format!(
        "process a {{\n  print \"{}\"\n  print \"{}{{name}}\"\n}}\n",
        "x".repeat(70_000),
        "y".repeat(65_536)
    );
    let found = mistakes("literal.sim", &text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].message, "a text of 70000 bytes");
    assert_eq!(scenario::line_col(&text, found[0].span.start), (2, 9));
}

// ----- arithmetic -----

/// Run `body` as process `a`'s body after a `print` that gives `expect` a result.
fn run_body(body: &str) -> Report {
    run(
        "num.sim",
        &format!("process a {{\n  print \"go\"\n{body}\n}}\n"),
    )
}

#[test]
fn template_arithmetic_at_the_edges_of_the_range() {
    let fine = [
        (
            "let x \"9223372036854775806\"\n  print \"{x+1}\"",
            "9223372036854775807",
        ),
        (
            "let x \"-9223372036854775807\"\n  print \"{x-1}\"",
            "-9223372036854775808",
        ),
        (
            "let x \"5\"\n  print \"{x-9223372036854775807}\"",
            "-9223372036854775802",
        ),
        (
            "repeat 2 { print \"{i+9223372036854775806}\" }",
            "9223372036854775807",
        ),
        (
            "print \"{copy-9223372036854775807}\"",
            "-9223372036854775807",
        ),
        ("let x \"not a number\"\n  print \"{x+1}\"", "not a number"),
    ];
    for (body, last) in fine {
        let report = run_body(body);
        assert_eq!(exit_code(&report, "a"), 0, "{body}");
        assert_eq!(
            console_of(&report, "a").last().map(String::as_str),
            Some(last)
        );
    }
    let overflows = [
        (
            "let x \"9223372036854775807\"\n  print \"{x+1}\"",
            4,
            "9223372036854775807 + 1",
        ),
        (
            "let x \"-9223372036854775808\"\n  print \"{x-1}\"",
            4,
            "-9223372036854775808 - 1",
        ),
        (
            "let x \"-2\"\n  print \"{x-9223372036854775807}\"",
            4,
            "-2 - 9223372036854775807",
        ),
        (
            "let x \"-1\"\n  print \"{x+-9223372036854775808}\"",
            4,
            "-1 - 9223372036854775808",
        ),
        (
            "repeat 2 { print \"{i+9223372036854775807}\" }",
            3,
            "1 + 9223372036854775807",
        ),
    ];
    for (body, line, sum) in overflows {
        let report = run_body(body);
        assert_eq!(exit_code(&report, "a"), 1, "{body}");
        let console = console_of(&report, "a");
        let last = console.last().expect("a line");
        assert!(
            last.starts_with(&format!("error at num.sim:{line}:"))
                && last.ends_with(&format!("{sum} is outside the 64-bit range")),
            "{body}: {last}"
        );
    }
}

#[test]
fn an_offset_that_cannot_be_negated_is_a_mistake_not_a_panic() {
    let text = "process a { let x \"1\"; print \"{x--9223372036854775808}\" }\n";
    let found = mistakes("neg.sim", text);
    assert_eq!(found[0].message, "malformed offset", "{found:?}");
}

/// Whether process `a` passes `expect multiple_of "divisor"` on the message `n`.
fn multiple_of(n: &str, divisor: &str) -> Result<(), String> {
    let text = format!(
        "mailbox m capacity 1 owner a\nprocess a {{\n  send m \"{n}\"\n  receive m\n  \
         expect multiple_of \"{divisor}\"\n}}\n"
    );
    let report = run("mult.sim", &text);
    match exit_code(&report, "a") {
        0 => Ok(()),
        _ => Err(console_of(&report, "a").join("\n")),
    }
}

#[test]
fn multiple_of_is_exact_over_the_whole_range() {
    let (min, max) = (i64::MIN.to_string(), i64::MAX.to_string());
    assert_eq!(multiple_of(&min, "-1"), Ok(()), "i64::MIN % -1 is 0");
    assert_eq!(multiple_of(&min, "1"), Ok(()));
    assert_eq!(multiple_of(&min, &min), Ok(()));
    assert_eq!(multiple_of(&max, &max), Ok(()));
    assert_eq!(multiple_of(&max, "-1"), Ok(()));
    assert_eq!(multiple_of("0", &min), Ok(()));
    assert_eq!(multiple_of(&min, "2"), Ok(()));
    let not = |n: &str, d: &str| multiple_of(n, d).expect_err("not a multiple");
    assert!(not(&min, &max).ends_with(&format!("{min} is not a multiple of {max}")));
    assert!(not(&max, &min).ends_with(&format!("{max} is not a multiple of {min}")));
    assert!(not(&max, "2").contains("expect failed at mult.sim:5:10"));
    assert!(not(&max, "0").ends_with("\"0\" is not a non-zero number"));
    assert!(not("9223372036854775808", "1").ends_with("is not a number"));
}

// ----- spawn -----

/// Two boot processes spawn copies of one declaration at about the same time, and a
/// spawned process spawns in turn after its own declaration was spawned again.
const TWO_SPAWNERS: &str = "\
process left {
  spawn worker
  expect ok
  spawn boss
  expect ok
}
process right {
  spawn worker
  expect ok
  spawn boss
  expect ok
}
process worker spawned count 2 {
  print \"{name} runs\"
}
process boss spawned {
  spawn helper
  expect ok
}
process helper spawned {
  print \"helper runs\"
}
";

#[test]
fn two_spawners_of_one_declaration_each_release_their_own_copies() {
    let s = load("spawners.sim", TWO_SPAWNERS);
    let mut c = config();
    c.max_ticks = 20_000;
    let options = Options {
        jobs: 2,
        ..Options::default()
    };
    let strategy = Strategy::Random {
        preempt_percent: 30,
    };
    let found = explore::explore(&Target::scenario(s), &c, strategy, 0..1_000, &options);
    assert_eq!(found.seeds_run, 1_000);
    assert_eq!(found.failing_seeds, 0, "{}", found.render_text());

    // Every copy ran its body, in a run with a trace too.
    let report = run("spawners.sim", TWO_SPAWNERS);
    assert!(
        report.succeeded(),
        "{:?}\n{}",
        report.outcome,
        report.trace_text()
    );
    let console = report.console_text();
    assert_eq!(
        console.iter().filter(|l| l.ends_with(" runs")).count(),
        6,
        "{console:?}"
    );
}

// ----- values -----

#[test]
fn values_at_their_bounds_run_and_one_past_is_one_mistake_not_a_deep_tree() {
    let depth = scenario::MAX_VALUE_DEPTH;
    // At the bounds, every shape (a long sum, deep parentheses, a chain of negations)
    // parses, checks, clones and compares on a small stack, and runs.
    let sum = format!(
        "let x = {}1",
        "1 + ".repeat(scenario::MAX_EXPR_TERMS / 2 - 1)
    );
    let parens = format!("let x = {}1{}", "(".repeat(depth), ")".repeat(depth));
    let negs = format!("let x = {}1", "-".repeat(depth));
    for (line, value) in [(&sum, "128"), (&parens, "1"), (&negs, "1")] {
        let text = format!("process a {{\n  {line}\n  print \"{{x}}\"\n}}\n");
        let s = load("bound.sim", &text);
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let again = s.clone();
                assert_eq!(again, s);
                assert!(scenario::check(&again).is_empty());
            })
            .expect("a thread")
            .join()
            .expect("a value at the bounds fits a small stack");
        let report = run("bound.sim", &text);
        assert_eq!(console_of(&report, "a"), [value], "{line}");
    }
    // One past a bound, or a hundred thousand past: one mistake, on its line, found
    // without descending that deep.
    for (line, message) in [
        (
            format!("let x = {}1", "1 + ".repeat(scenario::MAX_EXPR_TERMS / 2)),
            format!("a value holds at most {} terms", scenario::MAX_EXPR_TERMS),
        ),
        (
            format!("compute {}1", "1 * ".repeat(100_000)),
            format!("a value holds at most {} terms", scenario::MAX_EXPR_TERMS),
        ),
        (
            format!(
                "let x = {}1{}",
                "(".repeat(depth + 1),
                ")".repeat(depth + 1)
            ),
            format!("a value nests at most {depth} deep"),
        ),
        (
            format!("let x = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
            format!("a value nests at most {depth} deep"),
        ),
        (
            format!("let x = {}1", "-".repeat(100_000)),
            format!("a value nests at most {depth} deep"),
        ),
    ] {
        let text = format!("process a {{\n  {line}\n}}\n");
        let found = mistakes("over.sim", &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].message, message);
        assert_eq!(scenario::line_col(&text, found[0].span.start).0, 2);
    }
}

#[test]
fn a_file_of_nothing_but_mistakes_of_form_stops_at_a_thousand_in_bounded_memory() {
    let max = scenario::MAX_FORM_MISTAKES;
    for (what, text) in [
        (
            "statements",
            format!("process a {{\n{}}}\n", "x; ".repeat(1 << 20)),
        ),
        ("declarations", "}\n".repeat(1 << 20)),
        (
            "characters",
            format!("process a {{ {} }}\n", "@".repeat(1 << 20)),
        ),
        (
            "mixed",
            "process a {\n  sned x\n  print \"open\n  @\n}\n".repeat(1 << 16),
        ),
    ] {
        let found = mistakes("junk.sim", &text);
        assert_eq!(found.len(), max + 1, "{what}");
        let last = found.last().expect("the stop");
        assert_eq!(
            last.message,
            format!("stopped reading after {max} mistakes"),
            "{what}"
        );
        assert!(
            found.windows(2).all(|w| w[0].span.start <= w[1].span.start),
            "{what}: file order"
        );
        let drawn = sim::scenario::render_diagnostics("junk.sim", &text, &found);
        assert!(drawn.ends_with(&format!(
            "... and {} more mistakes not shown\n",
            max + 1 - 20
        )));
    }
    // Below the bound, every mistake is there and nothing says it stopped.
    let some = format!("process a {{\n{}}}\n", "x\n".repeat(max - 1));
    let found = mistakes("some.sim", &some);
    assert_eq!(found.len(), max - 1);
    assert!(found.iter().all(|d| d.message == "unknown statement `x`"));
}
