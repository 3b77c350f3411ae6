//! Renderers: the one event model, shown in the forms people read.
//!
//! Every renderer reads the trace (and, for summaries, the run's [`Report`](crate::Report));
//! none of them reaches into the kernel. Each module owns one output format, but for
//! `bytes`: the integers, ids and JSON strings the byte-writing ones share.

pub(crate) mod bytes;
#[cfg(test)]
mod golden_source;
#[cfg(test)]
#[path = "../../tests/common/testgen.rs"]
pub(crate) mod testgen;
mod text;

pub mod chrome;
pub mod explain;
pub mod gantt;
pub mod jsonl;
pub mod ps;
pub mod stats;
pub mod svg;
pub mod timeline;

pub use text::{exit_reason, text, write_text, Names, SharedTextStream, TextStream};
