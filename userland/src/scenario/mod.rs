//! Scenario files: a small language for describing processes and their IPC without Rust.
//!
//! A scenario (`.sim` file) declares mailboxes and processes and what each process does,
//! statement by statement. This module owns the whole path from text to running processes:
//! [`parse`] (form), [`check`] (meaning, before anything runs) and [`programs`] (the
//! interpreter, as ordinary userland programs that reach the kernel only through the syscall
//! stubs). It never formats diagnostics for a terminal: a [`Diagnostic`] carries byte spans
//! and words, and the front end draws the carets. The language reference is
//! `docs/scenarios.md`.
//!
//! Everything a scenario's author controls is bounded here, each bound a constant that
//! `docs/scenarios.md` gives: how deep blocks nest ([`MAX_NESTING`], a mistake the parser
//! reports) and how long a value grows while running ([`MAX_VALUE_BYTES`], a runtime error
//! of the process that exceeds it, as is arithmetic that leaves the 64-bit range).

pub mod ast;
mod check;
mod parse;
mod run;

pub use ast::{line_col, Scenario, SettingKey, SettingValue, Span};
pub use check::check;
pub use parse::{parse, parse_all};
pub use run::{capacity_text, programs, Directory, INIT, MAX_STEPS_WITHOUT_SYSCALL};

/// How deep blocks may nest, the process body counting as the first. The parser refuses the
/// `{` that would open one more, so every tree it builds is at most this deep, and every
/// walk over one (the checker's, the derived `Clone`, `Debug`, `PartialEq` and `Drop`)
/// recurses at most this far: the bound is what keeps them all off the end of the stack.
pub const MAX_NESTING: usize = 64;

/// The most terms (numbers, names and operators) one value's expression holds. The parser
/// refuses a longer one, so every walk over an expression tree (computing it, the derived
/// traits) recurses at most this far.
pub const MAX_EXPR_TERMS: usize = 256;

/// How deep parentheses and negations nest in one value (`-(-(x))` is 4 deep). Each level
/// is a few frames of the parser's descent and a node of the tree every walk recurses into:
/// the bound keeps them all within a small stack.
pub const MAX_VALUE_DEPTH: usize = 16;

/// The most mistakes of form the parser collects before it stops reading a file: each is
/// kept whole (its words, its notes), so a file of nothing but mistakes would otherwise
/// cost far more memory than the file. Mistakes of meaning are looked for only in a file
/// without any of these.
pub const MAX_FORM_MISTAKES: usize = 1_000;

/// The most bytes a value holds: a text once its placeholders are filled in (a message, a
/// reply, a printed line, a `let` binding, what `expect bytes` compares). The interpreter
/// computes a text's length before it builds it, so a text that would be longer never is:
/// the process stops with an error at the text instead.
pub const MAX_VALUE_BYTES: usize = 65_536;

/// A mistake in a scenario file: where, what, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// One line saying what is wrong.
    pub message: String,
    /// The bytes the mistake is at.
    pub span: Span,
    /// What the caret under the span says (usually what was expected).
    pub label: String,
    /// Other places that explain the mistake (a first declaration, say).
    pub related: Vec<(Span, String)>,
    /// Hints, each a sentence.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A mistake at `span`.
    pub fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            label: label.into(),
            related: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Add a hint.
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Point at another place that explains the mistake.
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }
}

/// Parse and check a scenario: every mistake, or a scenario that can run.
pub fn load(file: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let scenario = parse_all(file, source)?;
    let mistakes = check(&scenario);
    if mistakes.is_empty() {
        Ok(scenario)
    } else {
        Err(mistakes)
    }
}

/// A scenario shipped with the simulator.
#[derive(Clone, Copy, Debug)]
pub struct Shipped {
    /// Its name (the file name without `.sim`).
    pub name: &'static str,
    /// The path it is shipped at, relative to the repository.
    pub path: &'static str,
    /// Its text.
    pub source: &'static str,
}

impl Shipped {
    /// What it shows: its first comment line.
    pub fn about(&self) -> &'static str {
        self.source
            .lines()
            .find_map(|l| l.trim().strip_prefix('#'))
            .map_or("", str::trim)
    }
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        /// Every shipped scenario, one per concept of the model, in teaching order.
        pub const SHIPPED: &[Shipped] = &[$(Shipped {
            name: $name,
            path: concat!("userland/scenarios/", $name, ".sim"),
            source: include_str!(concat!("../../scenarios/", $name, ".sim")),
        },)*];
    };
}

shipped!(
    "rendezvous",
    "producers",
    "memory_limit",
    "polling",
    "timeouts",
    "naming",
    "ownership",
    "deletion",
    "client_server",
    "sieve",
    "philosophers_deadlock",
    "philosophers",
    "priority_inversion",
    "textbook_fcfs",
    "textbook_sjf",
    "textbook_rr",
    "textbook_srtf",
    "textbook_priority",
    "worker_pool",
    "multiplexer",
    "private_reply",
);

/// The shipped scenario called `name` (with or without `.sim`).
pub fn shipped(name: &str) -> Option<&'static Shipped> {
    let name = name.strip_suffix(".sim").unwrap_or(name);
    SHIPPED.iter().find(|s| s.name == name)
}
