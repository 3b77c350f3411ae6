//! Traces written a chunk at a time: the one writer behind the streamed text trace and JSON
//! lines.
//!
//! This module owns the chunking and the sharing, not the bytes of a line: a line renderer
//! ([`LineWriter`]: the text trace's and the JSON lines') writes each event's line, and a
//! [`Stream`] gathers the lines into a chunk that it hands to its writer whenever the chunk
//! is full, so a long trace is never held whole in memory. A stream can be a run's trace
//! sink ([`Stream::into_sink`], `Machine::stream_trace`), so the run's events are never
//! stored at all. It never panics on a failed write: the first error is kept, nothing more is
//! written, and [`Stream::finish`] returns it.

use super::Names;
use kernel::trace::{Event, TraceSink};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// How much of a trace a stream gathers before it writes: big enough that a write is one
/// system call per many lines, small enough to stay in the cache.
pub const CHUNK: usize = 64 * 1024;

/// A renderer of one line per event, which learns what it needs (names) as events come.
pub trait LineWriter: Default {
    /// How long a line typically is, in bytes: what a whole trace reserves per event.
    const TYPICAL_LINE: usize;

    /// `event`'s line, newline included, appended to `out`.
    fn line(&mut self, out: &mut Vec<u8>, event: &Event);
}

/// `events` as one line each, by the line renderer `R`, as bytes.
pub(super) fn render_lines<R: LineWriter>(events: &[Event]) -> Vec<u8> {
    let mut lines = R::default();
    let mut out = Vec::with_capacity(events.len().saturating_mul(R::TYPICAL_LINE));
    for e in events {
        lines.line(&mut out, e);
    }
    out
}

/// `events` as one line each, by the line renderer `R`, written into `out` a chunk at a
/// time; the first error of a write, if one fails.
pub(super) fn write_lines<R: LineWriter, W: Write>(events: &[Event], out: W) -> io::Result<()> {
    let mut stream = Stream::<W, R>::new(out);
    for e in events {
        stream.line(e);
    }
    stream.finish().map(drop)
}

/// A trace written as events come, one line each by the line renderer `R`, a chunk at a
/// time into `W`.
pub struct Stream<W: Write, R: LineWriter> {
    lines: R,
    chunk: Vec<u8>,
    out: W,
    /// The first write that failed; nothing more is written after it.
    error: Option<io::Error>,
}

impl<W: Write, R: LineWriter> Stream<W, R> {
    /// A stream writing to `out`.
    pub fn new(out: W) -> Self {
        Stream {
            lines: R::default(),
            chunk: Vec::with_capacity(CHUNK + 1024),
            out,
            error: None,
        }
    }

    /// Render one more event.
    pub fn line(&mut self, e: &Event) {
        self.lines.line(&mut self.chunk, e);
        if self.chunk.len() >= CHUNK {
            self.write_chunk();
        }
    }

    fn write_chunk(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.chunk) {
                self.error = Some(e);
            }
        }
        self.chunk.clear();
    }

    /// Write what is left and flush; the writer back, or the first error.
    pub fn finish(self) -> io::Result<W> {
        self.finish_with_lines().map(|(out, _)| out)
    }

    /// [`Stream::finish`], with the line renderer and what it learnt.
    fn finish_with_lines(mut self) -> io::Result<(W, R)> {
        self.write_chunk();
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush().map(|()| (self.out, self.lines)),
        }
    }

    /// This stream shared between the kernel, which feeds it as its trace sink, and the
    /// caller, who finishes it after the run.
    pub fn into_sink(self) -> (SharedStream<W, R>, Box<dyn TraceSink>)
    where
        W: Send + 'static,
        R: Send + 'static,
    {
        let shared = SharedStream(Arc::new(Mutex::new(Some(self))));
        let sink = Box::new(SharedStream(Arc::clone(&shared.0)));
        (shared, sink)
    }
}

/// A [`Stream`] that the kernel feeds as its trace sink while the caller holds this handle
/// to finish it once the run is over.
///
/// The kernel is `Send`, so its sink is: the stream sits behind a mutex that only one side
/// takes at a time (the kernel while the run goes, the caller after it).
pub struct SharedStream<W: Write, R: LineWriter>(Arc<Mutex<Option<Stream<W, R>>>>);

impl<W: Write, R: LineWriter> SharedStream<W, R> {
    /// Finish the stream ([`Stream::finish`]), with the line renderer and what it learnt.
    /// Events that come after this are dropped.
    fn finish_with_lines(self) -> io::Result<(W, R)> {
        let stream = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        match stream {
            Some(stream) => stream.finish_with_lines(),
            None => Err(io::Error::other("the trace stream was already finished")),
        }
    }
}

impl<W: Write> SharedStream<W, super::text::TextLines> {
    /// Finish the stream ([`Stream::finish`]), with the names it learnt: a caller that
    /// streamed its trace has no events left to learn them from. Events that come after this
    /// are dropped.
    pub fn finish(self) -> io::Result<(W, Names)> {
        self.finish_with_lines()
            .map(|(out, lines)| (out, lines.into_names()))
    }
}

impl<W: Write> SharedStream<W, super::jsonl::Encoder> {
    /// Finish the stream ([`Stream::finish`]). Events that come after this are dropped.
    pub fn finish(self) -> io::Result<W> {
        self.finish_with_lines().map(|(out, _)| out)
    }
}

impl<W: Write + Send, R: LineWriter + Send> TraceSink for SharedStream<W, R> {
    fn record(&mut self, event: &Event) {
        if let Some(stream) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            stream.line(event);
        }
    }
}
