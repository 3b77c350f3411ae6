//! Hostile scenario text: whatever the input, loading it never panics, every mistake points
//! inside the text, and whatever loads runs to an outcome with the ledger balanced and no
//! kernel panic.
//!
//! Inputs are arbitrary strings, token soups built from the language's own words (which reach
//! much deeper into the parser than random bytes do), and shipped scenarios with random edits.
//! 500 cases each by default; `PROPTEST_CASES` to hunt longer.

use proptest::prelude::*;
use userland::scenario::SHIPPED;

fn cases() -> u32 {
    testkit::proptest_cases(500)
}

/// Load `text`; if it loads, run it briefly. Panics only on a broken promise. The checks
/// are the `scenario_parser` fuzz target's (`testkit::hostile::exercise_scenario`).
fn exercise(text: &str) {
    if let Err(broken) = testkit::hostile::exercise_scenario(text) {
        panic!("{broken}\ntext: {text:?}");
    }
}

const WORDS: &[&str] = &[
    "process",
    "mailbox",
    "set",
    "send",
    "call",
    "receive",
    "reply",
    "compute",
    "sleep",
    "yield",
    "create",
    "delete",
    "transfer",
    "to",
    "spawn",
    "spawned",
    "exit",
    "repeat",
    "loop",
    "if",
    "else",
    "break",
    "print",
    "let",
    "expect",
    "not",
    "ok",
    "bytes",
    "sender",
    "from",
    "any",
    "copy",
    "count",
    "priority",
    "inbox",
    "capacity",
    "owner",
    "unbounded",
    "nonblocking",
    "timeout",
    "buffer",
    "would_block",
    "timed_out",
    "multiple_of",
    "quantum",
    "policy",
    "rr",
    "fcfs",
    "memory_limit",
    "a",
    "b",
    "m",
    "w",
    "{",
    "}",
    "[",
    "]",
    "+",
    "-",
    "\n",
    ";",
    "0",
    "1",
    "2",
    "3",
    "\"x\"",
    "\"{i}\"",
    "\"{msg}\"",
    "\"{copy+1}\"",
    "\"{v}\"",
    "v",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..60).prop_map(|w| w.join(" "))
}

/// A shipped scenario with a few bytes replaced, removed or duplicated.
fn mutated_shipped() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SHIPPED),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..4),
    )
        .prop_map(|(s, edits)| {
            let mut chars: Vec<char> = s.source.chars().collect();
            for (at, how, c) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at.index(chars.len());
                match how {
                    0 => chars[i] = c,
                    1 => {
                        chars.remove(i);
                    }
                    _ => chars.insert(i, chars[i]),
                }
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics_the_loader(text in ".{0,300}") {
        exercise(&text);
    }

    #[test]
    fn token_soup_never_panics_the_loader_or_the_run(text in token_soup()) {
        exercise(&text);
    }

    #[test]
    fn edited_shipped_scenarios_never_panic_the_loader_or_the_run(text in mutated_shipped()) {
        exercise(&text);
    }
}
