//! `sim`: the command line over the built-in programs and the shipped scenarios. Everything
//! it does is `sim::cli`'s; a program table of your own gets the same command line with the
//! same line over it.

use std::process::ExitCode;

fn main() -> ExitCode {
    sim::cli::main(userland::programs::builtin)
}
