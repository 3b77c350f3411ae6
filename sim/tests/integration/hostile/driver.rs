//! Running one hostile case: the `sim` binary under a memory bound, watched for a hang, its
//! output captured up to a cap, its peak memory sampled, and its result checked.

use super::cases::{Case, Ending};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The address space a case may take, in KiB (`ulimit -v`): an allocation past it fails,
/// and Rust aborts the process, which the check reports as an abort.
const ADDRESS_SPACE_KIB: u64 = 4 << 20;

/// How much of each output stream is kept for the checks; the rest is counted.
const KEEP_BYTES: usize = 1 << 20;

/// What a case did.
#[derive(Debug)]
pub struct Outcome {
    /// Its exit status; `None` when a signal ended it (an abort, or our own kill).
    pub status: Option<i32>,
    /// The start of its standard output and error, and their full lengths.
    pub stdout: String,
    pub stderr: String,
    pub stdout_len: usize,
    pub stderr_len: usize,
    /// The largest resident set sampled while it ran, in KiB (0 if never sampled).
    pub peak_kib: u64,
    /// We stopped it: it was still running at its stop time (a case that may never end by
    /// design), or at the hang guard.
    pub stopped: bool,
    pub took: Duration,
}

/// Run `case` in `dir`, stopping it at `hang` if it has not ended by then.
pub fn run(case: &Case, dir: &Path, hang: Duration) -> Outcome {
    std::fs::create_dir_all(dir).expect("the case's directory");
    for (name, bytes) in &case.files {
        std::fs::write(dir.join(name), bytes).expect("a case's file");
    }
    for (name, len) in &case.sparse {
        let f = std::fs::File::create(dir.join(name)).expect("a sparse file");
        f.set_len(*len).expect("its length");
    }
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{dir}", &dir.to_string_lossy()))
        .collect();
    let start = Instant::now();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_sim"))
        .args(&args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs the sim binary");
    let out = capture(child.stdout.take().expect("stdout"));
    let err = capture(child.stderr.take().expect("stderr"));
    let stop_at = match case.ending {
        Ending::Stops { after, .. } => after.min(hang),
        Ending::Status(_) => hang,
    };
    let (status, peak_kib, stopped) = watch(&mut child, stop_at);
    let (stdout, stdout_len) = out.join().expect("the stdout reader");
    let (stderr, stderr_len) = err.join().expect("the stderr reader");
    Outcome {
        status,
        stdout,
        stderr,
        stdout_len,
        stderr_len,
        peak_kib,
        stopped,
        took: start.elapsed(),
    }
}

/// Read a stream to its end on a thread, keeping its first [`KEEP_BYTES`].
fn capture(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<(String, usize)> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0;
        let mut buf = vec![0; 64 << 10];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
            let room = KEEP_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        (String::from_utf8_lossy(&kept).into_owned(), total)
    })
}

/// Wait for `child`, sampling its resident set, and kill it at `stop_at`: its exit status,
/// its peak, and whether it was stopped.
fn watch(child: &mut Child, stop_at: Duration) -> (Option<i32>, u64, bool) {
    let start = Instant::now();
    let mut peak = 0;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return (status.code(), peak, false);
        }
        peak = peak.max(high_water_kib(child.id()).unwrap_or(0));
        if start.elapsed() >= stop_at {
            let _ = child.kill();
            let _ = child.wait();
            return (None, peak, true);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// `VmHWM` of a running process, in KiB (Linux).
fn high_water_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What is wrong with what `case` did, if anything.
pub fn check(case: &Case, o: &Outcome) -> Result<(), String> {
    let text = format!("{}{}", o.stdout, o.stderr);
    if text.contains("panicked") {
        return Err(format!("it panicked:\n{}", tail(&o.stderr)));
    }
    match case.ending {
        Ending::Stops { max_kib, .. } => {
            if !o.stopped {
                // Ending early is fine if it ended as documented.
                if !matches!(o.status, Some(0..=2)) {
                    return Err(format!("it ended with {:?}", o.status));
                }
            }
            if o.peak_kib > max_kib {
                return Err(format!(
                    "its memory grew to {} KiB while it ran (bound {max_kib})",
                    o.peak_kib
                ));
            }
        }
        Ending::Status(expected) => {
            if o.stopped {
                return Err(format!("it did not end within {:?} (a hang)", o.took));
            }
            match o.status {
                None => return Err("a signal ended it (an abort?)".to_string()),
                Some(code) if !expected.contains(&code) => {
                    return Err(format!(
                        "exit status {code}, expected one of {expected:?}:\n{}\n{}",
                        tail(&o.stdout),
                        tail(&o.stderr)
                    ))
                }
                Some(_) => {}
            }
        }
    }
    for needle in &case.says {
        if !text.contains(needle.as_str()) {
            return Err(format!(
                "its output does not say {needle:?}:\n{}\n{}",
                tail(&o.stdout),
                tail(&o.stderr)
            ));
        }
    }
    if let Some(max) = case.max_output {
        let len = o.stdout_len + o.stderr_len;
        if len > max {
            return Err(format!("{len} bytes of output, bound {max}"));
        }
    }
    Ok(())
}

/// The last lines of an output, for a failure message.
fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}
