//! Where the command line's output goes: stdout, stderr or a file, each written in one go.

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

/// Write `text` to the file at `path`, replacing it.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("sim: cannot write {}: {e}\n", path.display()))
}
