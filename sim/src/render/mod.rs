//! Renderers: the one event model, shown in the forms people read.

mod text;

pub use text::{exit_reason, text, Names};
