//! Where the command line's output goes: stdout, stderr or a file, each written in one go,
//! except the text trace, which is streamed.

use kernel::trace::Event;
use std::io::Write as _;
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

/// Stream the text trace of `events` to stdout.
pub fn write_trace_stdout(events: &[Event]) {
    let mut stdout = std::io::stdout().lock();
    match sim::render::write_text(events, &mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("sim: cannot write the output: {e}"),
    }
}

/// Stream the text trace of `events` to the file at `path`, replacing it.
pub fn write_trace_file(path: &Path, events: &[Event]) -> Result<(), String> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut file = std::io::BufWriter::new(file);
        sim::render::write_text(events, &mut file)?;
        file.flush()
    });
    written.map_err(|e| format!("sim: cannot write {}: {e}\n", path.display()))
}

/// Write `text` to the file at `path`, replacing it.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("sim: cannot write {}: {e}\n", path.display()))
}
