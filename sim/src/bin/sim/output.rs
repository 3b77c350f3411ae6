//! Where the command line's output goes: stdout, stderr or a file, each written in one go,
//! except the text, JSON-lines and Chrome traces, which are streamed.

use abi::Ticks;
use kernel::trace::Event;
use std::io::Write;
use std::path::Path;

/// Write all of `text` to stdout. A closed pipe (`sim run ... | head`) is not an error: the
/// reader has all it wanted.
pub fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("sim: cannot write the output: {e}"),
    }
}

/// Write all of `text` to stderr.
pub fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A trace format the command line streams: rendered piece by piece into where it goes,
/// never built whole (a long run's trace is hundreds of megabytes).
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
            Streamed::Text => sim::render::write_text(events, out),
            Streamed::Jsonl => sim::render::jsonl::write_jsonl(events, out),
            Streamed::Chrome { end } => sim::render::chrome::write_chrome(events, end, out),
        }
    }
}

/// Stream the trace of `events` in format `how` to stdout.
pub fn write_trace_stdout(how: Streamed, events: &[Event]) {
    let mut stdout = std::io::stdout().lock();
    match how.write(events, &mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("sim: cannot write the output: {e}"),
    }
}

/// Stream the trace of `events` in format `how` to the file at `path`, replacing it.
pub fn write_trace_file(how: Streamed, path: &Path, events: &[Event]) -> Result<(), String> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut file = std::io::BufWriter::new(file);
        how.write(events, &mut file)?;
        file.flush()
    });
    written.map_err(|e| format!("sim: cannot write {}: {e}\n", path.display()))
}

/// Write `text` to the file at `path`, replacing it.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("sim: cannot write {}: {e}\n", path.display()))
}
