//! Random scenarios for the soak run (`make soak`, `testkit/examples/soak.rs`) and its tests.
//!
//! [`generate`] turns a seed into the *text* of a scenario file (so the soak exercises the
//! parser, the checker and the interpreter as well as the kernel) and the machine settings
//! it runs with. A scenario is one to four independent *motifs*, each a small group of
//! processes with mailboxes of its own:
//!
//! | motif | what it does | how it ends |
//! | --- | --- | --- |
//! | `queue` | producers (sometimes spawned by a boss) send through a mailbox to one consumer | exact count |
//! | `inbox` | senders send to a process's direct inbox; `receive any`, `from P`, `from sender` | exact count |
//! | `rpc` | clients `call` a server (mailbox or inbox) that replies | exact count |
//! | `timed_rpc` | clients `call ... timeout N`; the server gives up when idle | idle timeout |
//! | `pipeline` | a source and a chain of relays over mailboxes and inboxes | idle timeout, bounded tries |
//! | `ring` | tokens passed round a ring of copies (`node[wrap copy+1]`) | bounded hops, idle timeout |
//! | `handoff` | producers into a mailbox its owner transfers to an heir, who deletes it | exact count, then deletion |
//! | `scratch` | a process creates a mailbox, talks to itself, deletes it with messages left | straight line |
//!
//! Each motif picks its copies, capacities (rendezvous, 1 to 8, unbounded), wait modes
//! (blocking, `nonblocking`, `timeout N`), naming (mailbox, `any`, `from P`, `from sender`),
//! message padding and, for a bounded mailbox, an overflow policy. The settings pick a
//! policy with random settings, 1 to 4 CPUs with a run-queue layout, syscall and switch
//! costs of 0 to 2, sometimes priority inheritance or deadlock refusal, and sometimes a
//! small `memory_limit`, a small `max_mailbox_bytes`, or a `max_message` small enough for
//! one process to provoke `message_too_large`. [`Coverage`] counts what a soak used.
//!
//! Every generated scenario terminates (every process exits, code 0) within its tick limit,
//! under every policy, CPU count and memory limit the generator picks. The two families
//! of motifs get there differently:
//!
//! - **Exact** motifs (`queue`, `inbox`, `rpc`, `handoff`): each sender retries every send
//!   until it succeeds, and each receiver receives exactly the number of messages its
//!   senders will get through (in `handoff`, senders also stop when the mailbox is deleted,
//!   which happens only after its owners took their count). A refusal that leaves nothing
//!   behind (`would_block`, `timed_out`, `mailbox_full`, `out_of_memory`) is tried again,
//!   and an overflow policy that drops a message is never used here. Senders only send and
//!   receivers only receive (a `reply` never queues), so a message that holds kernel memory
//!   always sits in a queue whose receiver will take it: an `out_of_memory` refusal is
//!   always temporary. On a rendezvous (capacity 0) at least one side blocks, since a
//!   non-blocking sender and a polling receiver could miss each other for ever in a
//!   deterministic schedule.
//! - **Loose** motifs (`timed_rpc`, `pipeline`, `ring`) have processes that both receive and
//!   send, where retrying until success could wait in a circle. There every receive has a
//!   timeout and ends the loop when it fails (`if not ok { break }`), every send is tried
//!   a bounded number of times or has a timeout, and a sender whose peer is gone exits, so
//!   each process runs a bounded number of statements.
//!
//! Three more rules keep a retry from turning into a hang:
//!
//! - A retry sleeps first, for at least the generator's back-off, long enough that all the
//!   processes of a scenario retrying at once keep less than half a CPU busy. Policies that
//!   never run a process while a preferred one is ready (strict priorities, srtf, pct)
//!   would otherwise let pollers starve the process they wait for.
//! - The memory limit is at least a few of the longest messages, so one message always fits
//!   once the queues drain.
//! - A process whose inbox holds messages (capacity above 0) receives `init`'s `start` in a
//!   queue that costs memory, which a full memory limit (or a full inbox) would refuse,
//!   leaving the process waiting for ever. Such processes are declared first, so `init`
//!   releases them before the others, and none of them sends anything before a message
//!   from a process declared later reaches it: while `init` releases them, nothing but
//!   start messages is queued.
//!
//! The run itself is [`run`]: trace off and invariant checks off, as the soak wants them
//! (the tests that want checks turn them on in the configuration from [`config`]).

use kernel::sched::rng::Rng;
use sim::{MachineConfig, Outcome, Report};
use std::collections::BTreeMap;
use userland::scenario::Scenario;

/// What a process prints, once per message that met `out_of_memory`, so that a run with the
/// trace off still tells whether the memory limit was reached.
pub const OUT_OF_MEMORY_LINE: &str = "oom";

/// A generated scenario.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The seed it came from.
    pub seed: u64,
    /// The scenario file's text.
    pub text: String,
    /// What it uses: motif, capacity, mode and setting names, each once (see
    /// [`Coverage`]).
    pub features: Vec<String>,
    /// Whether it sets a memory limit small enough to be reached.
    pub small_memory: bool,
}

impl Generated {
    /// A file name for diagnostics: `soak-SEED.sim`.
    pub fn file_name(&self) -> String {
        format!("soak-{}.sim", self.seed)
    }
}

/// How many generated scenarios used each feature, by name (sorted, so printing it is
/// deterministic).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage(pub BTreeMap<String, u64>);

impl Coverage {
    /// Count the features of one scenario.
    pub fn add(&mut self, generated: &Generated) {
        for f in &generated.features {
            *self.0.entry(f.clone()).or_default() += 1;
        }
    }

    /// Whether some scenario used `feature`.
    pub fn has(&self, feature: &str) -> bool {
        self.0.contains_key(feature)
    }
}

/// Every feature name the generator can report, in the order [`Coverage`] sorts them: a
/// test checks that a few dozen seeds reach each.
pub fn all_features() -> Vec<String> {
    let mut all: Vec<String> = [
        "buffer_probe",
        "call blocking",
        "call timeout",
        "capacity 0",
        "capacity n",
        "capacity unbounded",
        "create",
        "delete",
        "max_mailbox_bytes small",
        "memory_limit small",
        "message_too_large",
        "naming any",
        "naming from",
        "naming from_sender",
        "naming mailbox",
        "overflow block",
        "overflow drop_newest",
        "overflow drop_oldest",
        "overflow fail",
        "priority_inheritance",
        "receive blocking",
        "receive nonblocking",
        "receive timeout",
        "refuse_deadlock",
        "send blocking",
        "send nonblocking",
        "send timeout",
        "spawn",
        "transfer",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(MOTIFS.iter().map(|m| format!("motif {m}")));
    all.extend(POLICIES.iter().map(|p| format!("policy {p}")));
    all.extend((1..=MAX_CPUS).map(|c| format!("cpus {c}")));
    all.extend(RUN_QUEUES.iter().map(|q| format!("run_queues {q}")));
    all.sort();
    all
}

/// The motifs, by name.
pub const MOTIFS: [&str; 8] = [
    "queue",
    "inbox",
    "rpc",
    "timed_rpc",
    "pipeline",
    "ring",
    "handoff",
    "scratch",
];

/// The policies the generator picks from (every policy `set policy` takes).
pub const POLICIES: [&str; 9] = [
    "rr", "fcfs", "sjf", "srtf", "priority", "mlfq", "lottery", "random", "pct",
];

/// The run-queue layouts, for machines with several CPUs.
const RUN_QUEUES: [&str; 3] = ["global", "per_cpu", "per_cpu_pinned"];

/// The most CPUs a generated machine has.
const MAX_CPUS: u64 = 4;

/// The seed of the `run`th scenario of a soak with seed `base`: distinct for distinct runs
/// of one soak, and the generator's SplitMix64 mixes neighbouring seeds thoroughly.
pub fn run_seed(base: u64, run: u64) -> u64 {
    base.wrapping_mul(1 << 32).wrapping_add(run)
}

/// A scenario from `seed` that sends about `messages` messages at most (fewer when limits
/// and timeouts get in the way; `init`'s start messages come on top).
pub fn generate(seed: u64, messages: u64) -> Generated {
    Gen::new(seed, false).scenario(messages.max(8))
}

/// A scenario whose memory, once it runs, stays the same however many messages it sends
/// (about `messages`): only the exact motifs `queue`, `inbox` and `rpc`, over rendezvous
/// and bounded queues, with no small limits, so nothing piles up (no queue grows past its
/// capacity and no `out_of_memory` line is printed). The soak runs one for millions of
/// messages, pausing to sample the memory, to find what grows inside one run, where
/// [`generate`]'s short runs would hide it.
pub fn generate_steady(seed: u64, messages: u64) -> Generated {
    Gen::new(seed, true).scenario(messages.max(8))
}

/// The motifs of [`generate_steady`].
const STEADY_MOTIFS: [&str; 3] = ["queue", "inbox", "rpc"];

/// The machine configuration a generated scenario runs with: its `set` lines applied, the
/// trace and the invariant checks off (a soak measures the simulator, not its trace).
pub fn config(scenario: &Scenario) -> MachineConfig {
    let mut config = sim::scenario::configure(scenario, MachineConfig::default());
    config.kernel.trace = false;
    config.kernel.check_invariants = false;
    config
}

/// Load and run a generated scenario with [`config`]. A scenario that does not load is a
/// generator bug: the error is the rendered diagnostics.
pub fn run(generated: &Generated) -> Result<Report, String> {
    let scenario = load(generated)?;
    let config = config(&scenario);
    sim::scenario::run(scenario, config).map_err(|e| format!("init did not boot: {e}"))
}

/// Parse and check a generated scenario (the diagnostics rendered on failure).
pub fn load(generated: &Generated) -> Result<Scenario, String> {
    let file = generated.file_name();
    sim::scenario::load(&file, &generated.text)
        .map_err(|d| sim::scenario::render_diagnostics(&file, &generated.text, &d))
}

/// Whether a run met the kernel's memory limit (some process printed
/// [`OUT_OF_MEMORY_LINE`]).
pub fn hit_memory_limit(report: &Report) -> bool {
    report.console.iter().any(|l| l.text == OUT_OF_MEMORY_LINE)
}

/// What is wrong with a generated scenario's run, if anything: the ledger must balance, the
/// run must complete (not deadlock, not reach its tick limit), every process must exit
/// with code 0, and the kernel's tables must be empty at the end (every process reaped,
/// every mailbox gone with its owner, nothing queued): what a run leaves in them is what
/// a longer run would leak.
pub fn problem(report: &Report) -> Option<String> {
    if !report.ledger_balances() {
        let l = report.ledger;
        return Some(format!(
            "the ledger does not balance: sent {} != received {} + dropped {} + queued {}",
            l.sent,
            l.received,
            l.dropped.total(),
            report.queued
        ));
    }
    match &report.outcome {
        Outcome::Completed => {}
        Outcome::TickLimit => return Some(format!("tick limit reached at {}", report.ticks)),
        Outcome::Deadlock(d) => return Some(format!("deadlock: {d:?}")),
        Outcome::Livelock(l) => return Some(format!("livelock: {l:?}")),
    }
    if let Some(e) = report.exited.iter().find(|e| e.code != 0) {
        return Some(format!(
            "{} exited with code {} ({:?}); console: {:?}",
            e.name,
            e.code,
            e.reason,
            report
                .console_text()
                .iter()
                .filter(|t| **t != OUT_OF_MEMORY_LINE)
                .collect::<Vec<_>>()
        ));
    }
    if !report.processes.is_empty() || !report.mailboxes.is_empty() || report.queued > 0 {
        return Some(format!(
            "the kernel's tables are not empty at the end: {} processes, {} mailboxes, {} \
             messages queued",
            report.processes.len(),
            report.mailboxes.len(),
            report.queued
        ));
    }
    None
}

/// The process's resident memory, as Linux reports it in `/proc/self/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size now (`VmRSS`), in KiB.
    pub rss_kib: u64,
    /// The most it has been (`VmHWM`), in KiB.
    pub peak_kib: u64,
}

/// The process's resident memory now; `None` where `/proc/self/status` does not exist or
/// does not say (not Linux).
pub fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// How a send or receive waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Blocking,
    NonBlocking,
    Timeout(u64),
}

impl Mode {
    /// The statement's suffix.
    fn suffix(self) -> String {
        match self {
            Mode::Blocking => String::new(),
            Mode::NonBlocking => " nonblocking".to_string(),
            Mode::Timeout(n) => format!(" timeout {n}"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Blocking => "blocking",
            Mode::NonBlocking => "nonblocking",
            Mode::Timeout(_) => "timeout",
        }
    }
}

/// A queue's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cap {
    Zero,
    Bounded(u64),
    Unbounded,
}

impl Cap {
    fn text(self) -> String {
        match self {
            Cap::Zero => "0".to_string(),
            Cap::Bounded(n) => n.to_string(),
            Cap::Unbounded => "unbounded".to_string(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cap::Zero => "capacity 0",
            Cap::Bounded(_) => "capacity n",
            Cap::Unbounded => "capacity unbounded",
        }
    }
}

/// One process declaration being written.
struct Proc {
    header: String,
    lines: Vec<String>,
    depth: usize,
    /// Its inbox holds messages: `init`'s start costs memory, so it is declared first (see
    /// the module comment).
    early: bool,
}

impl Proc {
    fn new(header: String) -> Proc {
        Proc {
            header,
            lines: Vec::new(),
            depth: 1,
            early: false,
        }
    }

    fn line(&mut self, text: impl AsRef<str>) {
        self.lines
            .push(format!("{}{}", "  ".repeat(self.depth), text.as_ref()));
    }

    /// `text {`, and the lines after it inside the block.
    fn open(&mut self, text: impl AsRef<str>) {
        self.line(format!("{} {{", text.as_ref()));
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth -= 1;
        self.line("}");
    }

    fn finish(self) -> String {
        let mut out = format!("{} {{\n", self.header);
        for l in self.lines {
            out.push_str(&l);
            out.push('\n');
        }
        out.push_str("}\n");
        out
    }
}

/// In a loose motif, stop the process once the peer it sends to is gone (exited, or its
/// mailbox deleted): every later try would fail too, and each would sleep first, which
/// would keep the scenario running long after its work is done.
fn gone_exit(p: &mut Proc) {
    for e in [
        "no_such_mailbox",
        "no_such_process",
        "mailbox_deleted",
        "peer_exited",
    ] {
        p.line(format!("if {e} {{ exit 0 }}"));
    }
}

/// The generator's state while it writes one scenario.
struct Gen {
    seed: u64,
    /// Writing a [`generate_steady`] scenario.
    steady: bool,
    rng: Rng,
    features: Vec<String>,
    mailboxes: Vec<String>,
    procs: Vec<Proc>,
    /// Processes (copies) so far, for the memory limit's floor.
    copies: u64,
    /// The memory limit is small enough to be reached.
    small_memory: bool,
    /// The longest padding a message gets.
    pad_max: u64,
    /// Whether the policy reads declared bursts (sjf, srtf).
    bursts: bool,
    /// Whether the policy reads priorities (priority, lottery).
    priorities: bool,
    /// The shortest sleep between two tries of a failed statement. A process retrying
    /// is ready for at most the ticks its failed syscall, its `sleep` and their context
    /// switches cost (`busy`) out of every `busy + sleep`; with the sleep at least
    /// `2 * busy * MAX_PROCESSES`, every process of a scenario retrying at once still keeps
    /// less than half of one CPU busy. So even a policy that never runs a process while a
    /// preferred one is ready (strict priorities, srtf, pct) leaves CPU time for the
    /// process the retriers wait for: without this, a few producers polling a full memory
    /// limit on two CPUs starved the consumer that would have freed it, for ever.
    backoff: u64,
}

/// The most processes a generated scenario has: four motifs of at most eight processes,
/// the `message_too_large` process and `init`.
const MAX_PROCESSES: u64 = 4 * 8 + 2;

impl Gen {
    fn new(seed: u64, steady: bool) -> Gen {
        Gen {
            seed,
            steady,
            rng: Rng::new(seed),
            features: Vec::new(),
            mailboxes: Vec::new(),
            procs: Vec::new(),
            copies: 0,
            small_memory: false,
            pad_max: 0,
            bursts: false,
            priorities: false,
            backoff: 1,
        }
    }

    fn feature(&mut self, name: impl Into<String>) {
        let name = name.into();
        if !self.features.contains(&name) {
            self.features.push(name);
        }
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.rng.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.chance(percent)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len() as u64) as usize]
    }

    /// A queue capacity: rendezvous, a few slots, or unbounded, about equally often (never
    /// unbounded in a steady scenario).
    fn capacity(&mut self) -> Cap {
        let kinds = if self.steady { 2 } else { 3 };
        let cap = match self.rng.below(kinds) {
            0 => Cap::Zero,
            1 => Cap::Bounded(self.range(1, 8)),
            _ => Cap::Unbounded,
        };
        self.feature(cap.name());
        cap
    }

    /// An ` overflow POLICY` clause for a mailbox of capacity `cap`, or nothing (the
    /// default, `block`). Only a bounded mailbox can overflow. `exact` motifs count every
    /// message that was accepted, so they never take a policy that drops one; loose motifs
    /// have few bounded mailboxes, so each gets a policy, to reach all four often.
    fn overflow(&mut self, cap: Cap, exact: bool) -> String {
        if !matches!(cap, Cap::Bounded(_)) || (exact && self.chance(50)) {
            return String::new();
        }
        let policies: &[&str] = if exact {
            &["block", "fail"]
        } else {
            &["block", "fail", "drop_newest", "drop_oldest"]
        };
        let policy = self.pick(policies);
        self.feature(format!("overflow {policy}"));
        format!(" overflow {policy}")
    }

    /// A wait mode for a `kind` ("send" or "receive") statement.
    fn mode(&mut self, kind: &str) -> Mode {
        let mode = match self.rng.below(3) {
            0 => Mode::Blocking,
            1 => Mode::NonBlocking,
            _ => Mode::Timeout(self.range(1, 20)),
        };
        self.feature(format!("{kind} {}", mode.name()));
        mode
    }

    /// A mode that gives up by itself (never blocks for ever), for loose motifs.
    fn bounded_mode(&mut self, kind: &str) -> Mode {
        let mode = if self.chance(50) {
            Mode::NonBlocking
        } else {
            Mode::Timeout(self.range(1, 30))
        };
        self.feature(format!("{kind} {}", mode.name()));
        mode
    }

    /// Modes for the two sides of an exact queue: on a rendezvous, at least one side blocks
    /// (a non-blocking or timed side could miss the other for ever).
    fn exact_modes(&mut self, cap: Cap) -> (Mode, Mode) {
        let send = self.mode("send");
        let mut receive = self.mode("receive");
        if cap == Cap::Zero && send != Mode::Blocking && receive != Mode::Blocking {
            receive = Mode::Blocking;
            self.feature("receive blocking");
        }
        (send, receive)
    }

    /// How long a process sleeps before it tries a failed statement again: at least
    /// [`Gen::backoff`].
    fn sleep_ticks(&mut self) -> u64 {
        self.range(self.backoff, 2 * self.backoff)
    }

    /// How long a loose motif's receiver waits for the next message before it stops: a few
    /// of its senders' back-offs, so that a sender retrying is usually not given up on.
    fn idle_ticks(&mut self) -> u64 {
        self.range(3 * self.backoff, 6 * self.backoff)
    }

    /// A message template: the sender's name, the outer loop's iteration, some padding.
    fn payload(&mut self, tag: &str) -> String {
        let pad = self.rng.below(self.pad_max + 1) as usize;
        format!("{tag} {{name}} {{i1}} {}", "x".repeat(pad))
    }

    /// `priority`, `burst` and `count` attributes for a declaration.
    fn header(&mut self, name: &str, count: u64, extra: &str) -> String {
        let mut h = format!("process {name}");
        if count > 1 {
            h.push_str(&format!(" count {count}"));
        }
        if self.priorities || self.chance(10) {
            h.push_str(&format!(" priority {}", self.rng.below(256)));
        }
        if self.bursts && self.chance(50) {
            h.push_str(&format!(" burst {}", self.range(1, 20)));
        }
        h.push_str(extra);
        self.copies += count;
        h
    }

    /// Sometimes a little CPU work or a yield, so that schedules differ.
    fn filler(&mut self, p: &mut Proc) {
        match self.rng.below(10) {
            0 => p.line(format!("compute {}", self.range(1, 6))),
            1 => p.line("yield"),
            _ => {}
        }
    }

    /// Send until it succeeds (or, when `stop` is given, until one of those errors says
    /// the target is gone). The first `out_of_memory` of this message prints
    /// [`OUT_OF_MEMORY_LINE`]; the retries after it do not, so the console stays as small
    /// as the message count.
    fn send_until_ok(
        &mut self,
        p: &mut Proc,
        verb: &str,
        target: &str,
        payload: &str,
        mode: Mode,
        stop: &[&str],
    ) {
        let s = self.sleep_ticks();
        let send = format!("{verb} {target} \"{payload}\"{}", mode.suffix());
        p.open("loop");
        p.line(&send);
        p.line("if ok { break }");
        for e in stop {
            p.line(format!("if {e} {{ break }}"));
        }
        p.open("if out_of_memory");
        p.line(format!("print \"{OUT_OF_MEMORY_LINE}\""));
        p.open("loop");
        p.line(format!("sleep {s}"));
        p.line(&send);
        p.line("if ok { break }");
        for e in stop {
            p.line(format!("if {e} {{ break }}"));
        }
        p.close();
        p.line("break");
        p.close();
        p.line(format!("sleep {s}"));
        p.close();
    }

    /// Receive until it succeeds, sleeping after each failure (nothing there, timed out,
    /// not the owner yet), even a timed one: a short timeout alone would make a poller.
    fn receive_until_ok(&mut self, p: &mut Proc, source: &str, mode: Mode) {
        let s = self.sleep_ticks();
        if self.chance(10) {
            // A buffer too short for any message here: `buffer_too_small` (or
            // `would_block`), and nothing is consumed.
            self.feature("buffer_probe");
            p.line(format!("receive {source} nonblocking buffer 1"));
        }
        p.open("loop");
        p.line(format!("receive {source}{}", mode.suffix()));
        p.line("if ok { break }");
        p.line(format!("sleep {s}"));
        p.close();
    }

    /// Split `total` into `n` shares of at least 4, at random.
    fn split(&mut self, total: u64, n: usize) -> Vec<u64> {
        let weights: Vec<u64> = (0..n).map(|_| self.range(1, 10)).collect();
        let sum: u64 = weights.iter().sum();
        weights.iter().map(|w| (total * w / sum).max(4)).collect()
    }

    /// Copies and messages per copy for a share of `budget` messages.
    fn copies_for(&mut self, budget: u64, most: u64) -> (u64, u64) {
        let c = self.range(1, most);
        (c, (budget / c).max(1))
    }

    fn scenario(mut self, messages: u64) -> Generated {
        let seed_line = self.rng.next_u64() % 1_000_000;
        self.small_memory = !self.steady && self.chance(40);
        if self.small_memory {
            self.feature("memory_limit small");
        }
        self.pad_max = self.pick(&[0, 8, 64, 300, 1500]);
        let mut settings = vec![format!("set seed {seed_line}")];
        settings.extend(self.policy());

        let motifs = self.range(1, 4) as usize;
        // A steady scenario is the soak's one long run: as long as it was asked to be.
        let total = if self.steady {
            messages
        } else {
            self.range(messages / 4, messages)
        };
        let shares = self.split(total, motifs);
        for (i, share) in shares.into_iter().enumerate() {
            let motif = if self.steady {
                self.pick(&STEADY_MOTIFS)
            } else {
                self.pick(&MOTIFS)
            };
            self.feature(format!("motif {motif}"));
            match motif {
                "queue" => self.queue(i, share),
                "inbox" => self.inbox(i, share),
                "rpc" => self.rpc(i, share),
                "timed_rpc" => self.timed_rpc(i, share),
                "pipeline" => self.pipeline(i, share),
                "ring" => self.ring(i, share),
                "handoff" => self.handoff(i, share),
                _ => self.scratch(i, share),
            }
        }

        // The longest text any statement sends: a tag, a name with its copy index, a loop
        // iteration, the padding, and the `re: ` of a reply.
        let longest = 40 + self.pad_max;
        let max_message = if !self.steady && self.chance(30) {
            // Small enough that one process can provoke `message_too_large`.
            self.feature("message_too_large");
            let max = longest.max(self.range(64, 256));
            self.too_large(max);
            max
        } else {
            self.range(longest, 4096.max(longest))
        };
        settings.push(format!("set max_message {max_message}"));
        // Small limits, on all queued bytes and on one queue's: each at least two of the
        // largest messages and every start message in flight at once, so that a message
        // always fits once the queues drain; at most eighteen of the largest messages more,
        // so that busy queues reach it.
        let cost = longest + 32;
        let floor = 2 * cost + 37 * (self.copies + 1);
        if self.small_memory {
            settings.push(format!(
                "set memory_limit {}",
                floor + self.rng.below(16 * cost)
            ));
        }
        if !self.steady && self.chance(25) {
            self.feature("max_mailbox_bytes small");
            settings.push(format!(
                "set max_mailbox_bytes {}",
                floor + self.rng.below(16 * cost)
            ));
        }
        // Far above what any generated scenario needs (the soak prints the largest seen):
        // a run that reaches it is a hang, and the tests say so.
        settings.push(format!(
            "set max_ticks {}",
            1_000_000 + 40 * self.backoff * total
        ));

        self.features.sort();
        let mut text = format!(
            "# soak scenario {}: {}\n\n",
            self.seed,
            self.features.join(", ")
        );
        for s in settings {
            text.push_str(&s);
            text.push('\n');
        }
        text.push('\n');
        if !self.mailboxes.is_empty() {
            for m in &self.mailboxes {
                text.push_str(m);
                text.push('\n');
            }
            text.push('\n');
        }
        // Processes with a buffering inbox first (see the module comment); otherwise in the
        // order the motifs made them.
        let (early, late): (Vec<Proc>, Vec<Proc>) = std::mem::take(&mut self.procs)
            .into_iter()
            .partition(|p| p.early);
        for p in early.into_iter().chain(late) {
            text.push_str(&p.finish());
        }
        Generated {
            seed: self.seed,
            text,
            features: self.features,
            small_memory: self.small_memory,
        }
    }

    /// The `set` lines of a random policy and machine.
    fn policy(&mut self) -> Vec<String> {
        let policy = self.pick(&POLICIES);
        self.feature(format!("policy {policy}"));
        let mut lines = vec![format!("set policy {policy}")];
        match policy {
            "rr" | "lottery" => {
                if self.chance(70) {
                    lines.push(format!("set quantum {}", self.range(1, 20)));
                }
                self.priorities = policy == "lottery";
            }
            "sjf" | "srtf" => {
                lines.push(format!("set alpha {}", self.range(0, 100)));
                lines.push(format!("set initial_estimate {}", self.range(1, 10)));
                self.bursts = true;
            }
            "priority" => {
                if self.chance(50) {
                    lines.push(format!("set quantum {}", self.range(1, 20)));
                }
                if self.chance(50) {
                    lines.push(format!("set aging {}", self.range(0, 50)));
                }
                self.priorities = true;
            }
            "mlfq" => {
                if self.chance(50) {
                    let levels = self.range(1, 4);
                    let quanta: Vec<String> =
                        (0..levels).map(|_| self.range(1, 16).to_string()).collect();
                    lines.push(format!("set quanta {}", quanta.join(" ")));
                } else {
                    lines.push(format!("set quantum {}", self.range(1, 8)));
                    lines.push(format!("set levels {}", self.range(1, 5)));
                }
                lines.push(format!("set boost {}", self.range(0, 200)));
            }
            "random" => lines.push(format!("set preempt {}", self.range(0, 60))),
            "pct" => {
                lines.push(format!("set depth {}", self.range(1, 5)));
                lines.push(format!("set steps {}", self.range(10, 100_000)));
            }
            _ => {}
        }
        let cpus = self.range(1, MAX_CPUS);
        self.feature(format!("cpus {cpus}"));
        lines.push(format!("set cpus {cpus}"));
        if cpus > 1 {
            let q = self.pick(&RUN_QUEUES);
            self.feature(format!("run_queues {q}"));
            lines.push(format!("set run_queues {q}"));
        }
        let (syscall, switch) = (self.range(0, 2), self.range(0, 2));
        lines.push(format!("set syscall_cost {syscall}"));
        lines.push(format!("set switch_cost {switch}"));
        // The failed try and the sleep, each a syscall after a context switch, and a tick
        // to spare.
        let busy = 2 * (syscall + switch) + 1;
        self.backoff = 2 * busy * MAX_PROCESSES;
        if self.chance(20) {
            self.feature("priority_inheritance");
            lines.push("set priority_inheritance on".to_string());
        }
        if self.chance(10) {
            self.feature("refuse_deadlock");
            lines.push("set refuse_deadlock on".to_string());
        }
        lines
    }

    /// Producers send through a mailbox to one consumer that takes exactly what they send.
    fn queue(&mut self, i: usize, budget: u64) {
        let (c, k) = self.copies_for(budget, 6);
        let cap = self.capacity();
        let overflow = self.overflow(cap, true);
        self.feature("naming mailbox");
        let (smode, rmode) = self.exact_modes(cap);
        let (bx, prod, cons) = (
            format!("q{i}_box"),
            format!("q{i}_prod"),
            format!("q{i}_cons"),
        );
        self.mailboxes.push(format!(
            "mailbox {bx} capacity {} owner {cons}{overflow}",
            cap.text()
        ));
        let spawned = self.chance(30);
        let h = self.header(&prod, c, if spawned { " spawned" } else { "" });
        let mut p = Proc::new(h);
        p.open(format!("repeat {k}"));
        let payload = self.payload("q");
        self.send_until_ok(&mut p, "send", &bx, &payload, smode, &[]);
        p.line("expect ok");
        self.filler(&mut p);
        p.close();
        self.procs.push(p);
        if spawned {
            self.feature("spawn");
            let h = self.header(&format!("q{i}_boss"), 1, "");
            let mut b = Proc::new(h);
            b.line(format!("spawn {prod}"));
            b.line("expect ok");
            self.procs.push(b);
        }
        let h = self.header(&cons, 1, "");
        let mut r = Proc::new(h);
        r.open(format!("repeat {}", c * k));
        self.receive_until_ok(&mut r, &bx, rmode);
        r.line(format!("expect sender {prod}"));
        self.filler(&mut r);
        r.close();
        self.procs.push(r);
    }

    /// Senders send to a process's direct inbox; it takes exactly what they send, from
    /// anyone, or (with one sender) by name or from the last sender.
    fn inbox(&mut self, i: usize, budget: u64) {
        let (c, k) = self.copies_for(budget, 6);
        let cap = self.capacity();
        let (smode, rmode) = self.exact_modes(cap);
        let (sink, src) = (format!("d{i}_sink"), format!("d{i}_src"));
        let h = self.header(&sink, 1, &format!(" inbox {}", cap.text()));
        let mut r = Proc::new(h);
        r.early = cap != Cap::Zero;
        let naming = if c == 1 { self.rng.below(3) } else { 0 };
        let mut count = c * k;
        let source = match naming {
            0 => {
                self.feature("naming any");
                "any".to_string()
            }
            1 => {
                self.feature("naming from");
                format!("from {src}")
            }
            _ => {
                // `from sender` needs a last message: the first comes from anyone.
                self.feature("naming any");
                self.feature("naming from_sender");
                self.receive_until_ok(&mut r, "any", rmode);
                r.line(format!("expect sender {src}"));
                count -= 1;
                "from sender".to_string()
            }
        };
        if count > 0 {
            r.open(format!("repeat {count}"));
            self.receive_until_ok(&mut r, &source, rmode);
            r.line(format!("expect sender {src}"));
            self.filler(&mut r);
            r.close();
        }
        self.procs.push(r);
        let h = self.header(&src, c, "");
        let mut p = Proc::new(h);
        p.open(format!("repeat {k}"));
        let payload = self.payload("d");
        self.send_until_ok(&mut p, "send", &sink, &payload, smode, &[]);
        p.line("expect ok");
        self.filler(&mut p);
        p.close();
        self.procs.push(p);
    }

    /// Clients `call` a server that answers each request; a call that fails only for want
    /// of memory is tried again, and each answer is checked.
    fn rpc(&mut self, i: usize, budget: u64) {
        let (c, k) = self.copies_for(budget, 6);
        let cap = self.capacity();
        let overflow = self.overflow(cap, true);
        let (srv, cli, svc) = (
            format!("r{i}_srv"),
            format!("r{i}_cli"),
            format!("r{i}_svc"),
        );
        self.feature("call blocking");
        // Calls block, so the server may poll even on a rendezvous.
        let rmode = self.mode("receive");
        let via_mailbox = self.chance(50);
        let (target, source, extra) = if via_mailbox {
            self.feature("naming mailbox");
            self.mailboxes.push(format!(
                "mailbox {svc} capacity {} owner {srv}{overflow}",
                cap.text()
            ));
            (svc.clone(), svc, String::new())
        } else {
            self.feature("naming any");
            (
                srv.clone(),
                "any".to_string(),
                format!(" inbox {}", cap.text()),
            )
        };
        let h = self.header(&srv, 1, &extra);
        let mut s = Proc::new(h);
        s.early = !via_mailbox && cap != Cap::Zero;
        s.open(format!("repeat {}", c * k));
        self.receive_until_ok(&mut s, &source, rmode);
        self.filler(&mut s);
        s.line("reply \"re: {msg}\"");
        s.line("expect ok");
        s.close();
        self.procs.push(s);
        let h = self.header(&cli, c, "");
        let mut p = Proc::new(h);
        p.open(format!("repeat {k}"));
        let payload = self.payload("r");
        self.send_until_ok(&mut p, "call", &target, &payload, Mode::Blocking, &[]);
        p.line(format!("expect bytes \"re: {payload}\""));
        p.close();
        self.procs.push(p);
    }

    /// Clients make timed calls; the server answers until it has waited too long for the
    /// next request. Calls that time out are not retried.
    fn timed_rpc(&mut self, i: usize, budget: u64) {
        let (c, k) = self.copies_for(budget, 6);
        let cap = self.capacity();
        let overflow = self.overflow(cap, false);
        let (srv, cli, svc) = (
            format!("t{i}_srv"),
            format!("t{i}_cli"),
            format!("t{i}_svc"),
        );
        self.feature("call timeout");
        self.feature("receive timeout");
        let via_mailbox = self.chance(50);
        let (target, source, extra) = if via_mailbox {
            self.feature("naming mailbox");
            self.mailboxes.push(format!(
                "mailbox {svc} capacity {} owner {srv}{overflow}",
                cap.text()
            ));
            (svc.clone(), svc, String::new())
        } else {
            self.feature("naming any");
            (
                srv.clone(),
                "any".to_string(),
                format!(" inbox {}", cap.text()),
            )
        };
        let idle = self.idle_ticks();
        let h = self.header(&srv, 1, &extra);
        let mut s = Proc::new(h);
        s.early = !via_mailbox && cap != Cap::Zero;
        s.open("loop");
        s.line(format!("receive {source} timeout {idle}"));
        s.line("if not ok { break }");
        self.filler(&mut s);
        s.line("reply \"re: {msg}\"");
        s.close();
        self.procs.push(s);
        let h = self.header(&cli, c, "");
        let mut p = Proc::new(h);
        let timeout = self.range(5, 200);
        let sleep = self.sleep_ticks();
        p.open(format!("repeat {k}"));
        let payload = self.payload("t");
        p.line(format!("call {target} \"{payload}\" timeout {timeout}"));
        p.open("if ok");
        p.line(format!("expect bytes \"re: {payload}\""));
        p.close();
        p.open("else");
        gone_exit(&mut p);
        p.line(format!("sleep {sleep}"));
        p.close();
        p.close();
        self.procs.push(p);
    }

    /// A source and a chain of relays; each link is a mailbox or an inbox. Relays stop when
    /// nothing comes for a while, and try each forward a bounded number of times.
    fn pipeline(&mut self, i: usize, budget: u64) {
        let stages = self.range(1, 4);
        let k = (budget / stages).max(1);
        let tries = self.range(1, 4);
        let names: Vec<String> = (0..stages).map(|j| format!("p{i}_st{j}")).collect();
        let src = format!("p{i}_src");
        // Each link: what the sender names, what the receiver receives from, and the
        // receiver's inbox capacity.
        let mut links = Vec::new();
        for (j, stage) in names.iter().enumerate() {
            let from = if j == 0 { &src } else { &names[j - 1] };
            if self.chance(50) {
                let bx = format!("p{i}_l{j}");
                let cap = self.capacity();
                let overflow = self.overflow(cap, false);
                self.feature("naming mailbox");
                self.mailboxes.push(format!(
                    "mailbox {bx} capacity {} owner {stage}{overflow}",
                    cap.text()
                ));
                links.push((bx.clone(), bx, Cap::Zero));
            } else {
                let cap = self.capacity();
                let source = if self.chance(50) {
                    self.feature("naming any");
                    "any".to_string()
                } else {
                    self.feature("naming from");
                    format!("from {from}")
                };
                links.push((stage.clone(), source, cap));
            }
        }
        for (j, stage) in names.iter().enumerate() {
            let idle = self.idle_ticks();
            let cap = links[j].2;
            let h = self.header(stage, 1, &format!(" inbox {}", cap.text()));
            let mut s = Proc::new(h);
            // A relay sends only what it received, so it can be released with the
            // processes whose inboxes buffer, before the source starts.
            s.early = cap != Cap::Zero;
            s.open("loop");
            s.line(format!("receive {} timeout {idle}", links[j].1));
            s.line("if not ok { break }");
            self.filler(&mut s);
            if let Some(next) = links.get(j + 1) {
                let mode = self.mode("send");
                s.open(format!("repeat {tries}"));
                s.line(format!("send {} \"{{msg}}\"{}", next.0, mode.suffix()));
                s.line("if ok { break }");
                gone_exit(&mut s);
                s.line(format!("sleep {}", self.sleep_ticks()));
                s.close();
            }
            s.close();
            self.procs.push(s);
        }
        let h = self.header(&src, 1, "");
        let mut p = Proc::new(h);
        let mode = self.mode("send");
        let payload = self.payload("p");
        p.open(format!("repeat {k}"));
        p.open(format!("repeat {tries}"));
        p.line(format!(
            "send {} \"{payload}\"{}",
            links[0].0,
            mode.suffix()
        ));
        p.line("if ok { break }");
        gone_exit(&mut p);
        p.line(format!("sleep {}", self.sleep_ticks()));
        p.close();
        p.close();
        self.procs.push(p);
    }

    /// Tokens passed round a ring of copies, each copy forwarding a bounded number of times
    /// with sends that give up by themselves, so a full ring cannot wait in a circle.
    fn ring(&mut self, i: usize, budget: u64) {
        let n = self.range(2, 6);
        let hops = (budget / n).max(1);
        let tokens = self.range(1, n + 2);
        let (node, head) = (format!("g{i}_node"), format!("g{i}_head"));
        let cap = self.capacity();
        self.feature("naming any");
        let idle = self.idle_ticks();
        let mode = self.bounded_mode("send");
        let h = self.header(&node, n, &format!(" inbox {}", cap.text()));
        let mut r = Proc::new(h);
        // A node forwards only tokens from the head (declared after it) or from another
        // node, so it can be released with the processes whose inboxes buffer.
        r.early = cap != Cap::Zero;
        r.open(format!("repeat {hops}"));
        r.line(format!("receive any timeout {idle}"));
        r.line("if not ok { break }");
        self.filler(&mut r);
        r.line(format!(
            "send {node}[wrap copy+1] \"{{msg}}\"{}",
            mode.suffix()
        ));
        r.close();
        self.procs.push(r);
        let h = self.header(&head, 1, "");
        let mut p = Proc::new(h);
        let payload = self.payload("g");
        let timeout = self.range(1, 50);
        p.open(format!("repeat {tokens}"));
        p.line(format!("send {node}[0] \"{payload}\" timeout {timeout}"));
        p.close();
        self.procs.push(p);
    }

    /// Producers send into a mailbox until it is deleted; its owner takes some messages,
    /// then deletes it or transfers it to an heir that takes some more and deletes it. What
    /// is still queued is dropped, and senders learn the mailbox is gone.
    fn handoff(&mut self, i: usize, budget: u64) {
        let (c, k) = self.copies_for(budget, 5);
        let cap = self.capacity();
        let overflow = self.overflow(cap, true);
        self.feature("naming mailbox");
        self.feature("delete");
        let (smode, rmode) = self.exact_modes(cap);
        let (bx, prod, own, heir) = (
            format!("h{i}_box"),
            format!("h{i}_prod"),
            format!("h{i}_own"),
            format!("h{i}_heir"),
        );
        self.mailboxes.push(format!(
            "mailbox {bx} capacity {} owner {own}{overflow}",
            cap.text()
        ));
        let total = c * k;
        // Never more than the producers will get through before the deletion: the owners
        // count on each of these.
        let first = self.range(1, total);
        let second = if self.chance(60) {
            Some(self.range(0, total - first))
        } else {
            None
        };
        let h = self.header(&prod, c, "");
        let mut p = Proc::new(h);
        p.open(format!("repeat {k}"));
        let payload = self.payload("h");
        self.send_until_ok(
            &mut p,
            "send",
            &bx,
            &payload,
            smode,
            &["mailbox_deleted", "no_such_mailbox"],
        );
        p.close();
        self.procs.push(p);
        let h = self.header(&own, 1, "");
        let mut o = Proc::new(h);
        o.open(format!("repeat {first}"));
        self.receive_until_ok(&mut o, &bx, rmode);
        o.close();
        match second {
            None => {
                o.line(format!("delete {bx}"));
                o.line("expect ok");
            }
            Some(second) => {
                self.feature("transfer");
                o.line(format!("transfer {bx} to {heir}"));
                o.line("expect ok");
                let h = self.header(&heir, 1, "");
                let mut r = Proc::new(h);
                // Before the transfer its receives (and its delete) fail with `not_owner`;
                // it sleeps and tries again.
                if second > 0 {
                    r.open(format!("repeat {second}"));
                    self.receive_until_ok(&mut r, &bx, rmode);
                    r.close();
                }
                let s = self.sleep_ticks();
                r.open("loop");
                r.line(format!("delete {bx}"));
                r.line("if ok { break }");
                r.line(format!("sleep {s}"));
                r.close();
                self.procs.push(r);
            }
        }
        self.procs.push(o);
    }

    /// A process creates a mailbox, sends itself messages and takes each back, then leaves
    /// some queued and deletes the mailbox (they are dropped).
    fn scratch(&mut self, i: usize, budget: u64) {
        self.feature("create");
        self.feature("delete");
        self.feature("naming mailbox");
        // A rendezvous would refuse every send: nobody else receives.
        let cap = match self.capacity() {
            Cap::Zero => Cap::Bounded(1),
            other => other,
        };
        let mode = self.bounded_mode("send");
        let k = budget.max(1);
        let left = self.range(0, 5).min(match cap {
            Cap::Bounded(n) => n - 1,
            _ => 5,
        });
        // One copy: the copies of a declaration share the scenario's directory, so a
        // second copy's `create` of the same name would meet `name_in_use`.
        let h = self.header(&format!("s{i}_self"), 1, "");
        let mut p = Proc::new(h);
        let bx = format!("s{i}_tmp");
        p.line(format!("create {bx} capacity {}", cap.text()));
        p.line("expect ok");
        p.open(format!("repeat {k}"));
        let payload = self.payload("s");
        p.line(format!("send {bx} \"{payload}\"{}", mode.suffix()));
        p.open("if ok");
        p.line(format!("receive {bx} nonblocking"));
        p.line("expect ok");
        p.close();
        p.close();
        if left > 0 {
            p.open(format!("repeat {left}"));
            p.line(format!("send {bx} \"left {{i1}}\" nonblocking"));
            p.close();
        }
        p.line(format!("delete {bx}"));
        p.line("expect ok");
        self.procs.push(p);
    }

    /// A process that sends one message longer than `max_message`: refused before anything
    /// else is looked at.
    fn too_large(&mut self, max_message: u64) {
        let h = self.header("z_big", 1, "");
        let mut p = Proc::new(h);
        p.line(format!(
            "send z_big \"{}\" nonblocking",
            "y".repeat(max_message as usize + 1)
        ));
        p.line("expect message_too_large");
        self.procs.push(p);
    }
}
