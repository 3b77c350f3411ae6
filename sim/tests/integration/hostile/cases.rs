//! The hostile cases, by class, generated from a seed: each a scenario file (or another
//! file) and a command line, with what the command must do with it.
//!
//! The classes are the ways a user's input once hung or aborted the tools, or gave a wrong
//! answer (docs/security.md, "Limits"): runs that never end, inputs that abort the process,
//! wrong results and exit statuses, and work that grows faster than the input. Every case
//! varies with its seed (sizes, shapes, policies, CPUs), and [`Scale`] grows the sizes for
//! `make hostile`.

use std::fmt::Write as _;
use std::time::Duration;

/// How a case must end.
#[derive(Clone, Copy, Debug)]
pub enum Ending {
    /// With one of these exit statuses.
    Status(&'static [i32]),
    /// A run that, by design, may not end for ages (a tick limit of 2^64 ticks of real
    /// work): stopped after `after`, its memory must have stayed under `max_kib`.
    Stops { after: Duration, max_kib: u64 },
}

/// One hostile input and what the command line must make of it.
#[derive(Clone, Debug)]
pub struct Case {
    pub class: Class,
    /// What this instance is, for a failure message.
    pub name: String,
    /// Files to write in the case's directory, by name.
    pub files: Vec<(String, Vec<u8>)>,
    /// Files of this length made sparse (nothing written), by name.
    pub sparse: Vec<(String, u64)>,
    /// `sim`'s arguments; `{dir}` is the case's directory.
    pub args: Vec<String>,
    pub ending: Ending,
    /// Texts its output (stdout and stderr) must contain.
    pub says: Vec<String>,
    /// The most bytes of output it may write.
    pub max_output: Option<usize>,
}

/// The classes of hostile input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    NeverEnds,
    Aborts,
    WrongResult,
    GrowsFaster,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::NeverEnds,
        Class::Aborts,
        Class::WrongResult,
        Class::GrowsFaster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::NeverEnds => "runs that never end",
            Class::Aborts => "inputs that abort the process",
            Class::WrongResult => "wrong results and exit statuses",
            Class::GrowsFaster => "work that grows faster than the input",
        }
    }
}

/// How big the generated inputs get: 1 in `make test`, more in `make hostile`.
#[derive(Clone, Copy, Debug)]
pub struct Scale(pub u64);

/// A small seeded generator (SplitMix64): the cases are the same for a seed on any machine.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }

    fn flip(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

const FAILED: &[i32] = &[1];
const REFUSED: &[i32] = &[2];
const SUCCEEDED: &[i32] = &[0];

fn case(class: Class, name: String, scenario: String, args: &[&str], ending: Ending) -> Case {
    // `args` starts with the subcommand and its file, or is `run`'s flags alone.
    let mut all: Vec<String> = Vec::new();
    match args.first() {
        Some(&("check" | "explain" | "explore" | "ps" | "run")) => {}
        _ => all = vec!["run".to_string(), "{dir}/case.sim".to_string()],
    }
    all.extend(args.iter().map(|a| a.to_string()));
    Case {
        class,
        name,
        files: vec![("case.sim".to_string(), scenario.into_bytes())],
        sparse: Vec::new(),
        args: all,
        ending,
        says: Vec::new(),
        max_output: None,
    }
}

impl Case {
    fn says(mut self, text: &str) -> Case {
        self.says.push(text.to_string());
        self
    }

    fn output_at_most(mut self, bytes: usize) -> Case {
        self.max_output = Some(bytes);
        self
    }
}

/// Every case of seed `seed` at `scale`: one or more of each kind in each class.
pub fn generate(seed: u64, scale: Scale) -> Vec<Case> {
    let mut d = Draw(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5eed);
    let mut cases = Vec::new();
    cases.extend(never_ends(&mut d, scale));
    cases.extend(aborts(&mut d, scale));
    cases.extend(wrong_results(&mut d, scale));
    cases.extend(grows_faster(&mut d, scale));
    cases
}

/// A body that loops without ever making a syscall.
fn spinning_body(d: &mut Draw) -> (&'static str, String) {
    match d.range(0, 4) {
        0 => ("an empty loop", "  loop { }\n".to_string()),
        1 => (
            "a loop of lets",
            "  let x \"a\"\n  loop { let x \"{x}\" }\n".to_string(),
        ),
        2 => (
            "a loop of ifs",
            "  print \"start\"\n  loop {\n    if not ok { print \"never\" }\n  }\n".to_string(),
        ),
        3 => (
            "a huge repeat",
            format!(
                "  repeat {} {{ let y \"b\" }}\n  print \"after\"\n",
                d.range(1 << 40, 1 << 60)
            ),
        ),
        _ => (
            "nested loops",
            "  loop {\n    repeat 3 {\n      loop { break }\n    }\n  }\n".to_string(),
        ),
    }
}

fn never_ends(d: &mut Draw, _scale: Scale) -> Vec<Case> {
    let mut cases = Vec::new();
    // A process that loops without a syscall, beside others that work.
    let (what, body) = spinning_body(d);
    let spinners = d.range(1, 3);
    let cpus = d.range(1, 4);
    let policy = d.pick(&["rr", "fcfs", "priority", "mlfq", "lottery", "sjf"]);
    let mut s = format!("set cpus {cpus}\nset policy {policy}\n");
    let _ = writeln!(s, "process spinner count {spinners} {{\n{body}}}");
    let _ = writeln!(
        s,
        "process worker count {} {{\n  repeat 3 {{ compute 2 }}\n}}",
        d.range(0, 3).max(1)
    );
    let trace = d.pick(&["none", "text", "console", "stats"]);
    cases.push(
        case(
            Class::NeverEnds,
            format!("{what}, {spinners} spinners, {cpus} CPUs, {policy}, --trace {trace}"),
            s,
            &["--trace", trace],
            Ending::Status(FAILED),
        )
        .says("== LIVELOCK"),
    );
    // Syscalls that cost nothing, in a loop.
    let kind = d.pick(&["yield", "print \"x\"", "compute 0", "sleep 0"]);
    let n = d.range(1, 3);
    let cpus = d.range(1, 3);
    let s = format!(
        "set syscall_cost 0\nset switch_cost 0\nset cpus {cpus}\nprocess looper count {n} {{\n  loop {{ {kind} }}\n}}\n"
    );
    cases.push(
        case(
            Class::NeverEnds,
            format!("loop {{ {kind} }} at zero costs, {n} processes, {cpus} CPUs"),
            s,
            &["--trace", "none"],
            Ending::Status(FAILED),
        )
        .says("== LIVELOCK"),
    );
    // The largest tick limit there is, and a loop that makes time pass: the run goes on
    // for ages by design, and its memory must not grow with it.
    let trace = d.pick(&["none", "console"]);
    let s = "process a {\n  loop { yield }\n}\nprocess b {\n  loop { sleep 1 }\n}\n".to_string();
    cases.push(case(
        Class::NeverEnds,
        format!("max ticks 2^64 - 1, --trace {trace}"),
        s,
        &["--max-ticks", "18446744073709551615", "--trace", trace],
        Ending::Stops {
            after: Duration::from_secs(2),
            max_kib: 64 << 10,
        },
    ));
    cases
}

fn aborts(d: &mut Draw, scale: Scale) -> Vec<Case> {
    let mut cases = Vec::new();
    // Blocks nested deeper than the parser takes.
    let depth = d.range(65, 20_000 * scale.0);
    let opener = d.pick(&["repeat 1 {", "loop {", "if ok {"]);
    let mut s = String::from("process deep {\n  print \"x\"\n");
    for _ in 0..depth {
        s.push_str(opener);
        s.push('\n');
    }
    for _ in 0..depth {
        s.push_str("}\n");
    }
    s.push_str("}\n");
    let command = d.pick(&["check", "run"]);
    cases.push(
        case(
            Class::Aborts,
            format!("{depth} nested `{opener}`, sim {command}"),
            s,
            &[command, "{dir}/case.sim"],
            Ending::Status(REFUSED),
        )
        .says("nest at most 64 deep"),
    );
    // A value that doubles in a loop.
    let s = format!(
        "process doubler {{\n  let x \"{}\"\n  loop {{\n    let x \"{{x}}{{x}}\"\n    {}\n  }}\n}}\n",
        "ab".repeat(d.range(1, 50) as usize),
        d.pick(&["yield", "print \"more\"", "compute 1"])
    );
    cases.push(
        case(
            Class::Aborts,
            "a let that doubles its value".to_string(),
            s,
            &["--trace", "none"],
            Ending::Status(FAILED),
        )
        .says("error at"),
    );
    // CPUs beyond the machine's bound, as a flag and as a setting.
    let cpus = d.pick(&[0, 65, 100_000, u64::from(u32::MAX), u64::MAX]);
    let s = "process a {\n  yield\n}\n".to_string();
    cases.push(case(
        Class::Aborts,
        format!("--cpus {cpus}"),
        s.clone(),
        &["--cpus", &cpus.to_string()],
        Ending::Status(REFUSED),
    ));
    cases.push(
        case(
            Class::Aborts,
            format!("set cpus {cpus}"),
            format!("set cpus {cpus}\n{s}"),
            &[],
            Ending::Status(REFUSED),
        )
        .says("1 to 64"),
    );
    // One long line with many mistakes: the diagnostics stay linear and capped.
    let mistakes = d.range(1_000, 50_000 * scale.0);
    let mut line = String::from("process a { print \"x\"");
    for i in 0..mistakes {
        let _ = write!(line, "; send nobody{i} \"x\"");
    }
    line.push_str(" }\n");
    cases.push(
        case(
            Class::Aborts,
            format!("{mistakes} mistakes on one line"),
            line,
            &["check", "{dir}/case.sim"],
            Ending::Status(REFUSED),
        )
        .says("more")
        .output_at_most(64 << 10),
    );
    // A schedule to replay far larger than any schedule file.
    let mut c = case(
        Class::Aborts,
        "a 17 MiB-plus schedule to replay".to_string(),
        "process a {\n  yield\n}\n".to_string(),
        &["--replay", "{dir}/huge.schedule"],
        Ending::Status(REFUSED),
    )
    .says("16 MiB");
    c.sparse
        .push(("huge.schedule".to_string(), d.range(17 << 20, 1 << 40)));
    cases.push(c);
    // PCT with a huge depth (refused) and huge steps (fine: nothing grows with them).
    let s = "process a count 3 {\n  repeat 3 { yield }\n}\n".to_string();
    let depth = d.range(1_001, u64::from(u32::MAX));
    cases.push(case(
        Class::Aborts,
        format!("pct depth {depth}"),
        s.clone(),
        &["--policy", "pct", "--depth", &depth.to_string()],
        Ending::Status(REFUSED),
    ));
    let steps = d.range(1 << 40, u64::MAX);
    cases.push(case(
        Class::Aborts,
        format!("pct steps {steps}"),
        s,
        &[
            "--policy",
            "pct",
            "--steps",
            &steps.to_string(),
            "--trace",
            "none",
        ],
        Ending::Status(SUCCEEDED),
    ));
    cases
}

fn wrong_results(d: &mut Draw, _scale: Scale) -> Vec<Case> {
    let mut cases = Vec::new();
    // Two spawners of copies of the same declaration: each copy must be released by its
    // own spawner, on every explored schedule.
    let copies = d.range(1, 3);
    let s = format!(
        "process kid count {copies} spawned {{\n  print \"kid {{copy}}\"\n}}\n\
         process parent count 2 {{\n  spawn kid\n  expect ok\n}}\n"
    );
    cases.push(
        case(
            Class::WrongResult,
            format!("two spawners of {copies} copies, explored"),
            s,
            &[
                "explore",
                "{dir}/case.sim",
                "--seeds",
                "0..200",
                "--jobs",
                "1",
            ],
            Ending::Status(SUCCEEDED),
        )
        .says(": 0 failing, 0 distinct failures"),
    );
    // Arithmetic at the edges of the range: a clear error of the process, never a panic.
    let (what, body) = match d.range(0, 2) {
        0 => (
            "multiple_of at the edges",
            format!(
                "  send me \"{}\"\n  receive any\n  expect multiple_of \"{}\"\n",
                d.pick(&["-9223372036854775808", "9223372036854775807", "0"]),
                d.pick(&["-1", "0", "-9223372036854775808"])
            ),
        ),
        1 => (
            "an offset past the top of the range",
            "  let n \"9223372036854775807\"\n  print \"{n+1}\"\n".to_string(),
        ),
        _ => (
            "an offset past the bottom of the range",
            "  let n \"-9223372036854775808\"\n  print \"{n-1}\"\n".to_string(),
        ),
    };
    cases.push(case(
        Class::WrongResult,
        what.to_string(),
        format!("process me inbox 1 {{\n{body}}}\n"),
        &[],
        Ending::Status(&[0, 1]),
    ));
    // A kernel that cannot hold the first process.
    cases.push(
        case(
            Class::WrongResult,
            "set max_processes 0".to_string(),
            "set max_processes 0\nprocess a {\n  yield\n}\n".to_string(),
            &[],
            Ending::Status(REFUSED),
        )
        .says("could not boot"),
    );
    // Output that cannot be written.
    let mut c = case(
        Class::WrongResult,
        "output to a full device".to_string(),
        "process a {\n  repeat 3 { print \"hello\" }\n}\n".to_string(),
        &["--out", "/dev/full"],
        Ending::Status(REFUSED),
    )
    .says("cannot write");
    if d.flip() {
        c.args.truncate(2);
        c.args.push("--trace".to_string());
        c.args.push("text".to_string());
        c.name = "--trace text written to a full device".to_string();
        // stdout is a pipe here; the full device is the --out case.
        c.args.push("--out".to_string());
        c.args.push("/dev/full".to_string());
    }
    cases.push(c);
    // A clock jump past the tick limit: the summary and the trace say the same limit.
    let limit = d.range(50, 200);
    let s = format!(
        "set max_ticks {limit}\nprocess a {{\n  loop {{ yield }}\n}}\nfault jump {} at tick {}\n",
        d.range(500, 5_000),
        d.range(5, 40)
    );
    cases.push(
        case(
            Class::WrongResult,
            format!("a jump past the tick limit {limit}"),
            s,
            &["--trace", "none"],
            Ending::Status(FAILED),
        )
        .says(&format!("== stopped at the tick limit {limit}, at tick")),
    );
    cases
}

fn grows_faster(d: &mut Draw, scale: Scale) -> Vec<Case> {
    let mut cases = Vec::new();
    // Many replies in one body.
    let replies = d.range(5_000, 20_000 * scale.0);
    let mut s = String::from("process server inbox 1 {\n  receive any\n");
    for _ in 0..replies {
        s.push_str("  reply \"r\"\n");
    }
    s.push_str("}\nprocess client {\n  call server \"q\"\n}\n");
    cases.push(case(
        Class::GrowsFaster,
        format!("{replies} replies, sim check"),
        s,
        &["check", "{dir}/case.sim"],
        Ending::Status(SUCCEEDED),
    ));
    // Many declarations, each a program to look up by name at boot.
    let decls = d.range(100, 400 * scale.0);
    let mut s = String::new();
    for i in 0..decls {
        let _ = writeln!(s, "process p{i} {{\n  yield\n}}");
    }
    cases.push(case(
        Class::GrowsFaster,
        format!("{decls} process declarations, run"),
        s,
        &["--trace", "none"],
        Ending::Status(SUCCEEDED),
    ));
    // The statistics of many processes.
    let copies = d.range(100, 400 * scale.0);
    let s = format!("process w count {copies} {{\n  yield\n}}\n");
    cases.push(case(
        Class::GrowsFaster,
        format!("--trace stats of {copies} processes"),
        s,
        &["--trace", "stats"],
        Ending::Status(SUCCEEDED),
    ));
    cases
}
