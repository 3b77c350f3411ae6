//! Renderers: the one event model, shown in the forms people read.
//!
//! Every renderer reads the trace (and, for summaries, the run's [`Report`](crate::Report));
//! none of them reaches into the kernel. Each module owns one output format, but for those
//! the formats share: `bytes` (integers, ids and JSON strings as bytes), [`Names`] (how an id
//! is shown), [`stream`] (a trace written a chunk at a time) and [`replay`] (the trace
//! replayed into spans, message flows and queue depths, which the pictures and the page
//! draw).

pub(crate) mod bytes;
mod names;
pub mod stream;
mod text;

pub mod chrome;
pub mod explain;
pub mod gantt;
pub mod html;
pub mod jsonl;
pub mod ps;
pub mod replay;
pub mod stats;
pub mod svg;
pub mod textbook;

pub use names::Names;
pub use stream::{LineWriter, SharedStream, Stream};
pub use text::{exit_reason, text, write_text, SharedTextStream, TextLines, TextStream};
