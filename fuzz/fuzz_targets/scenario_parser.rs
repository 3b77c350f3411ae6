//! Arbitrary bytes as a scenario file, two ways:
//! - as the command line reads a file (`sim::cli::target`, the command line's own code): the
//!   bytes are written to a file and resolved; invalid UTF-8 must be refused as
//!   "not a text file", and valid text must be accepted exactly when the loader accepts it;
//! - as text (lossy UTF-8) through `testkit::hostile::exercise_scenario`, the check
//!   `tests/tests/scenario_properties.rs` runs bounded in `make test`: load, every mistake
//!   inside the text, and what loads runs briefly with the ledger balanced.

#![no_main]

use libfuzzer_sys::fuzz_target;
// The CLI's own file reading, not a copy of it: `Target::resolve` is what `sim run FILE`
// and `sim check FILE` call.
use sim::cli::target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One scratch file per fuzzing process (libFuzzer's `-fork`/`-jobs` run several).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("scenario-fuzz-{}.sim", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("the scratch file can be written");
    let shown = path.to_str().expect("a UTF-8 temp path");
    let via_cli = target::Target::resolve(shown, userland::programs::builtin);
    match std::str::from_utf8(data) {
        Err(_) => match via_cli {
            Err(message) => assert!(
                message.starts_with("sim: ") && message.contains("is not a text file"),
                "{message}"
            ),
            Ok(_) => panic!("the command line accepted bytes that are not UTF-8"),
        },
        Ok(text) => {
            let loads = sim::scenario::load(shown, text).is_ok();
            match via_cli {
                Ok(target::Target::Scenario { .. }) => assert!(loads, "accepted what load refuses"),
                Ok(target::Target::Program { .. }) => panic!("a file resolved to a program"),
                Err(message) => {
                    assert!(!loads, "refused what load accepts: {message}");
                    assert!(
                        message.ends_with('\n') && message.contains("nothing was run"),
                        "{message}"
                    );
                }
            }
        }
    }
    if let Err(broken) = testkit::hostile::exercise_scenario(&String::from_utf8_lossy(data)) {
        panic!("{broken}");
    }
});
