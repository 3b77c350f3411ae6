//! The whole `sim` command line (`run`, `check`, `list`, `ps`, `explain`, `explore`) over
//! this crate's programs and the shipped scenarios:
//! `cargo run -p my-kernel-programs -- run client_server`.

use std::process::ExitCode;

fn main() -> ExitCode {
    sim::cli::main(my_kernel_programs::programs)
}
