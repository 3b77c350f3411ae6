//! What the user asked to run: a scenario (a file, or one shipped with the simulator) or a
//! Rust program from the command's program table, resolved from one command-line word.
//!
//! This module owns that resolution, booting a machine on what it found, and reading the
//! files the command line is given ([`read_text`], with one size bound for all of them). It
//! is public so that the scenario fuzzer reads files exactly as the command line does. It
//! never runs a machine or writes output: its errors are messages for the caller to show.

use crate::{Machine, MachineConfig};
use std::path::Path;
use userland::scenario::{self, Scenario};
use userland::ProgramTable;

/// A resolved target.
pub enum Target {
    /// A checked scenario.
    Scenario {
        /// What it is called in the summary.
        label: String,
        /// The scenario.
        scenario: Scenario,
    },
    /// A program of the command's table.
    Program {
        /// Its name.
        name: String,
        /// Builds the table it is in: every machine gets a fresh one.
        programs: fn() -> ProgramTable,
    },
}

impl Target {
    /// Resolve `word`: an existing file, then a program of the tables `programs` builds,
    /// then a shipped scenario. A scenario with mistakes is an error carrying the drawn
    /// diagnostics.
    pub fn resolve(word: &str, programs: fn() -> ProgramTable) -> Result<Target, String> {
        let path = Path::new(word);
        if path.exists() {
            let source = read_text(path, FileKind::Scenario)?;
            return load(word, &source);
        }
        if programs().get(word).is_some() {
            return Ok(Target::Program {
                name: word.to_string(),
                programs,
            });
        }
        if let Some(shipped) = scenario::shipped(word) {
            return load(shipped.path, shipped.source);
        }
        let looks_like_file = word.ends_with(".sim") || word.contains('/');
        Err(if looks_like_file {
            format!("sim: cannot read {word}: no such file\n")
        } else {
            format!(
                "sim: no file, shipped scenario or built-in program named `{word}`; `sim list` shows them\n"
            )
        })
    }

    /// What the summary calls it.
    pub fn label(&self) -> String {
        match self {
            Target::Scenario { label, .. } => label.clone(),
            Target::Program { name, .. } => name.clone(),
        }
    }

    /// A fresh machine booted with it. Every call builds new programs, so two machines never
    /// share a scenario's directory. A machine whose kernel refuses to create the first
    /// process (`set max_processes 0`, a memory limit too small for it) is an error that
    /// gives the kernel's reason: nothing can run.
    pub fn machine(&self, config: MachineConfig, arg: u64) -> Result<Machine, String> {
        let refused = |what: &str, e: userland::Error| {
            let hint = match e {
                userland::Error::OutOfMemory => {
                    "; the kernel's limits (max_processes, memory_limit) leave no room for it"
                }
                _ => "",
            };
            format!(
                "sim: could not boot {what}: {e} ({}){hint}; nothing was run\n",
                e.description()
            )
        };
        match self {
            Target::Scenario { label, scenario } => {
                crate::scenario::machine(scenario.clone(), config)
                    .map_err(|e| refused(&format!("{label} (its init)"), e))
            }
            Target::Program { name, programs } => {
                let mut machine = Machine::new(config, programs());
                machine.boot(name, arg).map_err(|e| refused(name, e))?;
                Ok(machine)
            }
        }
    }
}

fn load(file: &str, source: &str) -> Result<Target, String> {
    match crate::scenario::load(file, source) {
        Ok(scenario) => Ok(Target::Scenario {
            label: file.to_string(),
            scenario,
        }),
        Err(mistakes) => {
            let mut text = crate::scenario::render_diagnostics(file, source, &mistakes);
            let n = mistakes.len();
            text.push_str(&format!(
                "sim: {file}: {n} mistake{} found; nothing was run\n",
                if n == 1 { "" } else { "s" }
            ));
            Err(text)
        }
    }
}

/// The largest file `sim` reads: a scenario, or a schedule to replay. The largest shipped
/// scenario is a few KiB, and a saved schedule is a line per decision (a long run's is a few
/// MiB); the limit only keeps a wrong argument (a disk image, a log, `/dev/zero`) from being
/// read whole into memory before it is refused.
const MAX_FILE_BYTES: u64 = 16 << 20;

/// What a file read by [`read_text`] should hold, for its error messages.
#[derive(Clone, Copy, Debug)]
pub enum FileKind {
    /// A scenario (`sim run FILE`, `sim check FILE`).
    Scenario,
    /// A schedule saved by `sim explore --save-schedule` (`--replay FILE`).
    Schedule,
}

impl FileKind {
    fn expected(self) -> &'static str {
        match self {
            FileKind::Scenario => "a .sim file",
            FileKind::Schedule => "a schedule saved by `sim explore --save-schedule`",
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Scenario => "scenario",
            FileKind::Schedule => "schedule",
        }
    }
}

/// The file's text, or a clear error: a directory, an unreadable file, a file larger than
/// `MAX_FILE_BYTES` and a file that is not UTF-8 text each say so. Every file the command
/// line reads comes through here, so each has the same bound.
pub fn read_text(path: &Path, kind: FileKind) -> Result<String, String> {
    use std::io::Read;
    let shown = path.display();
    if path.is_dir() {
        return Err(format!(
            "sim: {shown} is a directory; expected {}\n",
            kind.expected()
        ));
    }
    let too_large = |size: String| {
        format!(
            "sim: {shown} is {size}; the largest {} file read is 16 MiB\n",
            kind.name()
        )
    };
    let cannot = |e: std::io::Error| format!("sim: cannot read {shown}: {e}\n");
    let file = std::fs::File::open(path).map_err(cannot)?;
    // A regular file says its size up front, so a huge one is refused without reading it.
    let size = file.metadata().map_err(cannot)?.len();
    if size > MAX_FILE_BYTES {
        return Err(too_large(format!("{size} bytes")));
    }
    // A device or a pipe reports no size: read at most one byte past the limit to find out.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large("more than 16 MiB".into()));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "sim: {shown} is not a text file (invalid UTF-8 at byte {})\n",
            e.utf8_error().valid_up_to()
        )
    })
}
