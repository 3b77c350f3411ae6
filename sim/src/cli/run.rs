//! `sim run`: one run of a target, its trace in the format asked for, and the summary lines
//! every run ends with.
//!
//! This module owns what a run keeps of its trace (`Keep`), where the trace and the summary
//! go, `--check-determinism`, the summary's words (which `sim ps` shares) and the exit
//! status a report earns. It never draws a trace itself: `crate::render` does.

use super::arguments::{Format, RunArgs};
use super::explore;
use super::output::{
    self, cannot_write, write_file, write_stderr, write_stdout, write_trace_file,
    write_trace_stdout, Live, Streamed,
};
use super::target::Target;
use super::CliResult;
use crate::{Machine, MachineConfig, Outcome, Report};
use kernel::inspect::{ProcessInfo, StateInfo};
use kernel::LivelockCause;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use userland::ProgramTable;

/// What a run keeps of its trace: only what the output asked for needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Nothing: the kernel records no event. A run that shows no trace (`--trace none`,
    /// `console`, `sim ps`) would otherwise hold every event in memory to the end, growing
    /// without bound for a busy loop, to throw them away.
    Nothing,
    /// Each event handed to its renderer as it happens, which writes it out ([`Live`]): the
    /// text trace and JSON lines on one CPU.
    Stream,
    /// Every event, kept for the report: for a renderer that needs the whole trace (Chrome,
    /// Gantt, SVG, statistics), for `--check-determinism` (which compares two runs' events),
    /// for a replay (whose summary line compares the run's dispatches with the recording),
    /// and for text or JSON lines on several CPUs (whose idle steps the machine joins after
    /// the run, which a stream cannot).
    Store,
}

impl Keep {
    /// What a run of `sim run --trace format` on `config` keeps.
    fn of(format: Format, check_determinism: bool, config: &MachineConfig) -> Keep {
        if check_determinism || matches!(config.policy, crate::Policy::Replay(_)) {
            return Keep::Store;
        }
        match format {
            Format::None | Format::Console => Keep::Nothing,
            Format::Text | Format::Jsonl if config.cpu_count() == 1 => Keep::Stream,
            _ => Keep::Store,
        }
    }

    /// Set `config`'s kernel to record what this keeps.
    pub(crate) fn configure(self, config: &mut MachineConfig) {
        config.kernel.trace = self != Keep::Nothing;
    }
}

/// Open where the trace goes and have the machine feed it during the run. A file that
/// cannot be created is refused before anything runs. `None` if the machine would not
/// stream (several CPUs): the events are stored then, and rendered after the run.
fn start_live(
    how: Streamed,
    out: Option<&Path>,
    machine: &mut Machine,
) -> Result<Option<Live<Box<dyn Write + Send>>>, String> {
    let writer: Box<dyn Write + Send> = match out {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| cannot_write(path, &e))?),
        None => Box::new(std::io::stdout()),
    };
    let Some((live, sink)) = Live::start(how, writer) else {
        return Ok(None);
    };
    Ok(machine.stream_trace(sink).is_ok().then_some(live))
}

/// What `sim run` runs: the target, its machine configuration with the kernel recording only
/// what the output needs, and what that is.
fn configured(
    args: &RunArgs,
    programs: fn() -> ProgramTable,
) -> Result<(Target, MachineConfig, Keep), String> {
    let (target, mut config) = args.machine.resolve(programs)?;
    let keep = Keep::of(args.trace, args.check_determinism, &config);
    keep.configure(&mut config);
    Ok((target, config, keep))
}

/// Run `sim run` over the targets `programs` and the scenarios hold.
pub(crate) fn run(args: RunArgs, programs: fn() -> ProgramTable) -> CliResult {
    let (target, config, keep) = configured(&args, programs)?;
    let mut machine = target.machine(config.clone(), args.machine.arg.unwrap_or(0))?;
    let live = match (keep, args.trace) {
        (Keep::Stream, Format::Text) => {
            start_live(Streamed::Text, args.out.as_deref(), &mut machine)?
        }
        (Keep::Stream, Format::Jsonl) => {
            start_live(Streamed::Jsonl, args.out.as_deref(), &mut machine)?
        }
        _ => None,
    };
    let report = machine.run();
    let mut notes = explore::replay_note(&config, &report);
    if args.check_determinism {
        let again = target
            .machine(config.clone(), args.machine.arg.unwrap_or(0))?
            .run();
        match first_difference(&report, &again) {
            None => notes.push_str(&format!(
                "== deterministic: two runs gave the same {} events\n",
                report.events.len()
            )),
            Some(diff) => {
                write_stderr(&format!("== NOT deterministic: {diff}\n"));
                return Ok(ExitCode::from(1));
            }
        }
    }
    // The stats table already has a row per process; the summary need not repeat them.
    let per_process = args.trace != Format::Stats;
    let summary = format!(
        "{notes}{}",
        summary(&target.label(), &report, &config, per_process)
    );
    if let Some(live) = live {
        finish_live(&args, live, &summary)?;
        return Ok(status(&report));
    }
    let end = report.ticks;
    let shown = match args.trace {
        Format::Text => return run_streamed(&args, &report, &summary, Streamed::Text),
        Format::Jsonl => return run_streamed(&args, &report, &summary, Streamed::Jsonl),
        Format::Chrome => {
            return run_streamed(&args, &report, &summary, Streamed::Chrome { end });
        }
        Format::Gantt => crate::render::gantt::render(&report.events, end, args.width),
        Format::Svg => {
            crate::render::svg::render_titled(&report.events, end, Some(&target.label()))
        }
        Format::Html => crate::render::html::render(&report.events, end, &target.label()),
        Format::Stats => crate::render::stats::render(&report),
        Format::Textbook => crate::render::textbook::render(&report),
        Format::Console => report
            .console
            .iter()
            .map(|l| format!("{}\n", l.text))
            .collect(),
        Format::None => String::new(),
    };
    match &args.out {
        Some(path) => {
            write_file(path, &shown)?;
            write_stdout(&summary)?;
        }
        None if args.trace.is_machine_readable() => {
            write_stdout(&shown)?;
            write_stderr(&summary);
        }
        None => {
            let gap = if shown.is_empty() { "" } else { "\n" };
            write_stdout(&format!("{shown}{gap}{summary}"))?;
        }
    }
    Ok(status(&report))
}

/// The end of a run whose trace was written as it went ([`Keep::Stream`]): the trace's last
/// chunk, then the summary where [`run_streamed`] puts it, so the output is the same.
fn finish_live(
    args: &RunArgs,
    live: Live<Box<dyn Write + Send>>,
    summary: &str,
) -> Result<(), String> {
    let written = live.finish().map(|(_, bytes)| bytes);
    match &args.out {
        Some(path) => {
            written.map_err(|e| cannot_write(path, &e))?;
            write_stdout(summary)
        }
        None if args.trace.is_machine_readable() => {
            output::stdout_written(written)?;
            write_stderr(summary);
            Ok(())
        }
        None => {
            let bytes = output::stdout_written(written)?;
            let gap = if bytes == 0 { "" } else { "\n" };
            write_stdout(&format!("{gap}{summary}"))
        }
    }
}

/// The end of `sim run --trace text|jsonl|chrome` whose events were stored: the trace is
/// streamed where it goes, never built whole (a long run's trace has no bound but the tick limit). The
/// summary follows a text trace on stdout; beside a machine-readable one on stdout it goes to
/// stderr, so stdout holds nothing but the document.
fn run_streamed(args: &RunArgs, report: &Report, summary: &str, how: Streamed) -> CliResult {
    match &args.out {
        Some(path) => {
            write_trace_file(how, path, &report.events)?;
            write_stdout(summary)?;
        }
        None if args.trace.is_machine_readable() => {
            write_trace_stdout(how, &report.events)?;
            write_stderr(summary);
        }
        None => {
            write_trace_stdout(how, &report.events)?;
            let gap = if report.events.is_empty() { "" } else { "\n" };
            write_stdout(&format!("{gap}{summary}"))?;
        }
    }
    Ok(status(report))
}

/// How a run ended, in words; `processes` is the table at its end, which tells whether
/// daemons were left serving.
pub(crate) fn outcome_words(outcome: &Outcome, processes: &[ProcessInfo]) -> &'static str {
    let serving = processes
        .iter()
        .any(|p| p.daemon && !matches!(p.state, StateInfo::Zombie { .. }));
    match outcome {
        Outcome::Completed if serving => "every process exited but the idle daemons",
        Outcome::Completed => "every process exited",
        Outcome::Deadlock(_) => "deadlock",
        Outcome::Livelock(_) => "livelock",
        Outcome::TickLimit => "the tick limit",
    }
}

/// The exit status a run earns: 0 when every process exited 0, 1 otherwise.
pub(crate) fn status(report: &Report) -> ExitCode {
    if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Where two runs' traces first differ, if they do.
fn first_difference(a: &Report, b: &Report) -> Option<String> {
    let (ta, tb) = (a.trace_text(), b.trace_text());
    if a.events == b.events && ta == tb {
        return None;
    }
    let mut la = ta.lines();
    let mut lb = tb.lines();
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => {
                return Some(format!(
                    "the traces differ at line {n}\n  first run:  {}\n  second run: {}",
                    x.unwrap_or("(end of trace)"),
                    y.unwrap_or("(end of trace)")
                ))
            }
        }
    }
}

/// The names the summary shows, from the report's tables rather than its trace, which a run
/// that renders none does not keep: every process in the table or among the exits, every
/// live mailbox. That is everything a deadlock names: its processes are blocked, so alive,
/// and so are the mailboxes they wait on.
fn names_of(report: &Report) -> crate::render::Names {
    let mut names = crate::render::Names::default();
    for e in &report.exited {
        names.name_process(e.pid, &e.name);
    }
    for p in &report.processes {
        names.name_process(p.pid, &p.name);
    }
    for m in &report.mailboxes {
        if let Some(name) = &m.name {
            names.name_mailbox(m.id, name);
        }
    }
    names
}

/// The lines after the trace: totals, each process's end, and why the run failed. The run
/// was configured to stop at `tick_limit`.
pub(crate) fn summary(
    label: &str,
    report: &Report,
    config: &MachineConfig,
    per_process: bool,
) -> String {
    let tick_limit = config.max_ticks;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "== {label} on policy {} (seed {}): {} ticks, {} busy, {} idle, {} context switches",
        crate::policy::in_force(&config.policy),
        report.seed,
        report.ticks,
        report.machine.busy,
        report.machine.idle,
        report.machine.context_switches
    ));
    line(format!(
        "== messages: {} sent, {} received, {} dropped, {} still queued",
        report.ledger.sent,
        report.ledger.received,
        report.ledger.dropped.total(),
        report.queued
    ));
    for e in report.exited.iter().filter(|_| per_process) {
        let s = &e.stats;
        line(format!(
            "== {}:{} exited {} ({}): cpu={} ready={} blocked={} sleeping={} turnaround={} dispatches={} preempted={} syscalls={} sent={} received={}",
            e.pid,
            e.name,
            e.code,
            crate::render::exit_reason(&e.reason),
            s.cpu,
            s.ready,
            s.blocked,
            s.sleeping,
            s.exited_at.unwrap_or(report.ticks) - s.spawned_at,
            s.dispatches,
            s.preemptions,
            s.syscalls,
            s.sent,
            s.received
        ));
    }
    for e in report.exited.iter().filter(|e| report.expected_kill(e)) {
        line(format!("== killed as expected: {}:{}", e.pid, e.name));
    }
    for name in report.missed_kills() {
        line(format!(
            "== FAILED: {name} was expected to be killed (`expect killed`), and was not"
        ));
    }
    for e in report
        .exited
        .iter()
        .filter(|e| e.code != 0 && !report.expected_kill(e))
    {
        let why = report
            .console
            .iter()
            .rev()
            .find(|l| {
                l.pid == e.pid
                    && (l.text.starts_with("expect failed at ") || l.text.starts_with("error at "))
            })
            .map_or_else(|| crate::render::exit_reason(&e.reason), |l| l.text.clone());
        line(format!(
            "== FAILED: {}:{} exited {}: {why}",
            e.pid, e.name, e.code
        ));
    }
    match &report.outcome {
        Outcome::Completed => {
            let idle = report
                .processes
                .iter()
                .filter(|p| p.daemon && !matches!(p.state, StateInfo::Zombie { .. }));
            for p in idle {
                line(format!(
                    "== idle daemon: {}:{} ({})",
                    p.pid,
                    p.name,
                    crate::render::ps::describe(p)
                ));
            }
        }
        Outcome::Deadlock(d) => {
            line(format!(
                "== DEADLOCK: {} processes blocked forever",
                d.blocked.len()
            ));
            let names = names_of(report);
            if !d.cycle.is_empty() {
                let cycle: Vec<String> = d.cycle.iter().map(|p| names.pid(*p)).collect();
                line(format!(
                    "== wait-for cycle: {} -> {}",
                    cycle.join(" -> "),
                    cycle[0]
                ));
            }
            for w in &d.blocked {
                line(format!(
                    "==   {} waits on {} (held by {})",
                    names.pid(w.pid),
                    names.queue(w.queue),
                    w.holder.map_or("any sender".to_string(), |h| names.pid(h))
                ));
            }
            line("== the process table when the run stopped:".to_string());
            out.push_str(&crate::render::ps::render(
                &report.processes,
                &report.mailboxes,
                report.ticks,
            ));
        }
        Outcome::Livelock(l) => {
            let names = names_of(report);
            line(match l.cause {
                LivelockCause::Steps { steps } => format!(
                    "== LIVELOCK: {steps} kernel entries at tick {} without the clock moving",
                    report.ticks
                ),
                LivelockCause::Spinning { pid, steps } => format!(
                    "== LIVELOCK: {} ran {steps} steps of its own without a syscall",
                    names.pid(pid)
                ),
            });
            let busy: Vec<String> = l.processes.iter().map(|p| names.pid(*p)).collect();
            line(format!("== running or ready: {}", busy.join(", ")));
        }
        // The limit is the configured one, as the trace's `tick-limit` event says; the run
        // ends past it when a clock jump (`fault jump`) or a charge carries a clock over it.
        Outcome::TickLimit if report.ticks == tick_limit => {
            line(format!("== stopped at the tick limit {tick_limit}"))
        }
        Outcome::TickLimit => line(format!(
            "== stopped at the tick limit {tick_limit}, at tick {}",
            report.ticks
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::arguments::{Cli, Command};
    use super::*;
    use clap::Parser;

    use userland::programs::builtin;

    fn run_shipped(name: &str) -> Report {
        let s = userland::scenario::shipped(name).expect("shipped");
        let scenario = userland::scenario::load(s.path, s.source).expect("loads");
        crate::scenario::run(scenario, MachineConfig::default()).expect("boots")
    }

    /// `sim run` parsed from its words.
    fn run_args(words: &[&str]) -> RunArgs {
        let cli = Cli::try_parse_from(["sim", "run"].iter().chain(words)).expect("parses");
        match cli.command {
            Command::Run(args) => args,
            other => panic!("not a run: {other:?}"),
        }
    }

    /// Every shipped scenario and built-in program by name.
    fn every_target() -> Vec<String> {
        let programs = userland::programs::builtin();
        let programs = programs
            .iter()
            .filter(|p| !p.name.contains('.'))
            .map(|p| p.name.to_string());
        let scenarios = userland::scenario::SHIPPED
            .iter()
            .map(|s| s.name.to_string());
        programs.chain(scenarios).collect()
    }

    /// The run `sim run WORDS` makes, with the trace kept or not as it decides, but never
    /// streamed: the report as the summary reads it.
    fn configured_run(words: &[&str]) -> (Keep, Report, MachineConfig) {
        let (target, config, keep) = configured(&run_args(words), builtin).expect("configures");
        let report = target.machine(config.clone(), 0).expect("boots").run();
        (keep, report, config)
    }

    #[test]
    fn a_run_that_shows_no_trace_keeps_no_event_and_its_summary_is_the_same() {
        for name in every_target() {
            let (keep, quiet, limit) = configured_run(&[&name, "--trace", "none"]);
            assert_eq!(keep, Keep::Nothing, "{name}");
            assert!(
                quiet.events.is_empty(),
                "{name}: {} events",
                quiet.events.len()
            );
            let (_, console, _) = configured_run(&[&name, "--trace", "console"]);
            assert!(console.events.is_empty(), "{name}");
            assert_eq!(console.console_text(), quiet.console_text(), "{name}");
            // The same run with its trace kept: the summary (which names the processes of a
            // deadlock) does not depend on the trace.
            let (keep, traced, _) = configured_run(&[&name, "--trace", "gantt"]);
            assert_eq!(keep, Keep::Store, "{name}");
            assert!(!traced.events.is_empty(), "{name}");
            assert_eq!(
                summary(&name, &quiet, &limit, true),
                summary(&name, &traced, &limit, true),
                "{name}"
            );
        }
        // Explanations and determinism checks read the events; a replay's note too.
        let (keep, report, _) =
            configured_run(&["rendezvous", "--trace", "none", "--check-determinism"]);
        assert_eq!(keep, Keep::Store);
        assert!(!report.events.is_empty());
    }

    #[test]
    fn a_deadlock_summary_names_its_processes_and_queues_without_the_trace() {
        let (_, report, limit) = configured_run(&["philosophers_deadlock", "--trace", "none"]);
        assert!(report.events.is_empty());
        let text = summary("philosophers_deadlock", &report, &limit, false);
        assert!(
            text.contains("== wait-for cycle: p1:fork[0] -> p6:philosopher[0] -> "),
            "{text}"
        );
        assert!(
            text.contains(
                "==   p1:fork[0] waits on p6:philosopher[0].receivers_from (held by \
                 p6:philosopher[0])"
            ),
            "{text}"
        );
    }

    /// The trace of `sim run WORDS` written while the run goes, and rendered from the stored
    /// events of the same run.
    fn live_and_stored(words: &[&str], how: Streamed) -> (Vec<u8>, Vec<u8>) {
        let (target, mut config, keep) = configured(&run_args(words), builtin).expect("configures");
        assert_eq!(keep, Keep::Stream, "{words:?}");
        let mut machine = target.machine(config.clone(), 0).expect("boots");
        let (live, sink) = Live::start(how, Vec::new()).expect("streams");
        assert!(machine.stream_trace(sink).is_ok());
        let report = machine.run();
        assert!(report.events.is_empty(), "{words:?}: nothing stored");
        let (written, bytes) = live.finish().expect("writes");
        assert_eq!(bytes, written.len() as u64);
        Keep::Store.configure(&mut config);
        let stored = target.machine(config, 0).expect("boots").run();
        let mut rendered = Vec::new();
        match how {
            Streamed::Text => crate::render::write_text(&stored.events, &mut rendered),
            Streamed::Jsonl => crate::render::jsonl::write_jsonl(&stored.events, &mut rendered),
            Streamed::Chrome { .. } => unreachable!("never live"),
        }
        .expect("renders");
        (written, rendered)
    }

    #[test]
    fn a_trace_written_during_the_run_is_the_one_rendered_from_its_stored_events() {
        for name in every_target() {
            for (format, how) in [("text", Streamed::Text), ("jsonl", Streamed::Jsonl)] {
                let (live, stored) = live_and_stored(&[&name, "--trace", format], how);
                assert!(!live.is_empty(), "{name} {format}");
                assert!(
                    live == stored,
                    "{name} {format}: the streamed trace differs"
                );
            }
        }
        // Several CPUs: the idle steps are joined after the run, so the events are stored.
        let (_, _, keep) =
            configured(&run_args(&["producers", "--cpus", "2"]), builtin).expect("ok");
        assert_eq!(keep, Keep::Store);
    }

    #[test]
    fn two_different_traces_are_reported_at_their_first_different_line() {
        let a = run_shipped("rendezvous");
        assert_eq!(first_difference(&a, &run_shipped("rendezvous")), None);
        let b = run_shipped("producers");
        let diff = first_difference(&a, &b).expect("the traces differ");
        assert!(diff.starts_with("the traces differ at line "), "{diff}");
        assert!(
            diff.contains("first run:") && diff.contains("second run:"),
            "{diff}"
        );
    }
}
