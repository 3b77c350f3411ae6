//! The `sim` crate's integration tests, one binary so that the crate and its dependencies
//! are linked once: the command line (`cli`, `livelock`, `explore`), the machine with
//! several CPUs (`cpus`), the process table and the plain-words explanation (`inspect`),
//! the trace formats (`render`, with the generated traces of `common::testgen`), the page
//! that steps through a run (`html`, with a headless-browser test `make browser-test`
//! runs), and hostile input through the command line (`hostile`; `make hostile` runs it at scale).
//!
//! Run one room with `cargo test -p sim --test integration render::`.

mod cli;
mod common;
mod cpus;
mod explore;
mod hostile;
mod html;
mod inspect;
mod livelock;
mod render;
