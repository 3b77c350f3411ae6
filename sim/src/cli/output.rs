//! Where the command line's output goes: stdout, stderr or a file, each written in one go,
//! except the text, JSON-lines and Chrome traces, which are streamed: rendered from the
//! stored events after the run, or, for text and JSON lines, while the run goes ([`Live`]).
//!
//! Every write is checked. A write to stdout or to a file that fails is the user's error,
//! exit status 2, as a bad `--out` path is; but a closed pipe (`sim run ... | head`) is not:
//! the reader has all it wanted. A write to stderr that fails is ignored, as there is nowhere
//! left to say so; nothing here panics on a failed write (no `println!`, no `eprintln!`).

use crate::render::jsonl::{JsonlStream, SharedJsonlStream};
use crate::render::{SharedTextStream, TextStream};
use abi::Ticks;
use kernel::trace::{Event, TraceSink};
use std::io::Write;
use std::path::Path;

/// A write to stdout as the command line judges it: done, or a closed pipe (the reader
/// stopped reading, which is not an error), or the error message for exit status 2.
pub fn stdout_written<T: Default>(written: std::io::Result<T>) -> Result<T, String> {
    match written {
        Ok(value) => Ok(value),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(T::default()),
        Err(e) => Err(format!("sim: cannot write the output: {e}\n")),
    }
}

/// Write all of `text` to stdout.
pub fn write_stdout(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    stdout_written(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

/// Write all of `text` to stderr. A failure is ignored: stderr is where it would be told.
pub fn write_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// A trace format the command line streams from stored events: rendered piece by piece into
/// where it goes, never built whole (a long run's trace has no bound but the tick limit).
#[derive(Clone, Copy, Debug)]
pub enum Streamed {
    /// The text trace.
    Text,
    /// JSON lines.
    Jsonl,
    /// A Chrome trace-event document; the run ended at `end`.
    Chrome {
        /// When the run ended.
        end: Ticks,
    },
}

impl Streamed {
    /// Render `events` into `out`.
    fn write(self, events: &[Event], out: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Streamed::Text => crate::render::write_text(events, out),
            Streamed::Jsonl => crate::render::jsonl::write_jsonl(events, out),
            Streamed::Chrome { end } => crate::render::chrome::write_chrome(events, end, out),
        }
    }
}

/// Stream the trace of `events` in format `how` to stdout.
pub fn write_trace_stdout(how: Streamed, events: &[Event]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    stdout_written(how.write(events, &mut stdout).and_then(|()| stdout.flush()))
}

/// Stream the trace of `events` in format `how` to the file at `path`, replacing it.
pub fn write_trace_file(how: Streamed, path: &Path, events: &[Event]) -> Result<(), String> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut file = std::io::BufWriter::new(file);
        how.write(events, &mut file)?;
        file.flush()
    });
    written.map_err(|e| cannot_write(path, &e))
}

/// Write `text` to the file at `path`, replacing it.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| cannot_write(path, &e))
}

/// The error of a write to the file at `path` that failed.
pub fn cannot_write(path: &Path, e: &std::io::Error) -> String {
    format!("sim: cannot write {}: {e}\n", path.display())
}

/// A writer that counts what went through it: whether a streamed trace wrote anything, for
/// the blank line between a text trace and its summary.
pub struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A trace rendered while the run goes: the kernel hands each event to the renderer, which
/// writes it to its destination a chunk at a time, and no event is kept (`Machine::
/// stream_trace`, one CPU only). The text and the JSON lines are the same bytes as those
/// rendered from the stored events after the run (`write_text`, `write_jsonl`).
pub enum Live<W: Write + Send + 'static> {
    /// The text trace.
    Text(SharedTextStream<Counted<W>>),
    /// JSON lines.
    Jsonl(SharedJsonlStream<Counted<W>>),
}

impl<W: Write + Send + 'static> Live<W> {
    /// A trace in `how` (text or JSON lines) written into `out`, and the sink the machine
    /// feeds it through. `None` for a format that needs the whole trace first (Chrome).
    pub fn start(how: Streamed, out: W) -> Option<(Live<W>, Box<dyn TraceSink>)> {
        let out = Counted {
            inner: out,
            bytes: 0,
        };
        match how {
            Streamed::Text => {
                let (shared, sink) = TextStream::new(out).into_sink();
                Some((Live::Text(shared), sink))
            }
            Streamed::Jsonl => {
                let (shared, sink) = JsonlStream::new(out).into_sink();
                Some((Live::Jsonl(shared), sink))
            }
            Streamed::Chrome { .. } => None,
        }
    }

    /// Write what is left and flush, once the run is over: the writer back with the bytes
    /// written, or the first write error.
    pub fn finish(self) -> std::io::Result<(W, u64)> {
        let out = match self {
            Live::Text(shared) => shared.finish().map(|(out, _names)| out)?,
            Live::Jsonl(shared) => shared.finish()?,
        };
        Ok((out.inner, out.bytes))
    }
}
