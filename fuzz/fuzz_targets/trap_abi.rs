//! Arbitrary bytes as trap frames raised by 2–4 processes, on a machine that checks every
//! kernel invariant after every kernel entry (`testkit::hostile` decodes and checks;
//! `tests/tests/trap_fuzz.rs` runs the same code, bounded, in `make test`).
//!
//! A crash is a kernel or machine panic (an invariant violation is one), a process of the
//! trial that panics or faults, a ledger that does not balance, or return registers that
//! contradict `docs/abi.md`. A panic inside a process is caught by the machine and reported,
//! so it reaches here as a broken promise, not as a crash of its own.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = testkit::hostile::run_bytes(data) {
        panic!("{broken}");
    }
});
