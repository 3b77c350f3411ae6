//! Scenario files on the machine: settings into a machine configuration, a run, and
//! diagnostics drawn for a terminal.
//!
//! The language itself (parser, checker, interpreter) lives in `userland::scenario`; this
//! module only connects it to the hardware and draws its diagnostics with carets. It never
//! interprets a statement.

use crate::policy::{parse as parse_policy, PolicySettings};
use crate::FaultAt;
use crate::{Machine, MachineConfig, Policy, Report, RunQueues};
use codespan_reporting::diagnostic::{Diagnostic as Drawn, Label, LabelStyle};
use codespan_reporting::files::Error as FilesError;
use codespan_reporting::term::{self, Config};
use std::collections::BTreeMap;
use userland::scenario::ast::{CopyIndex, FaultMoment, FaultSpec, ProcessDecl, Target};
use userland::scenario::{Diagnostic, Scenario, SettingKey, SettingValue, Span};

/// The scenario's `set` lines that choose a policy and its settings: the policy's name (when
/// `set policy` is given) and the settings, with the span of the first such line.
fn policy_lines(scenario: &Scenario) -> (Option<String>, PolicySettings, Option<Span>) {
    let mut settings = PolicySettings::default();
    let mut name = None;
    let mut first: Option<Span> = None;
    for set in &scenario.settings {
        let number = match &set.value {
            SettingValue::Number(n) => Some(*n),
            _ => None,
        };
        let used = match set.key {
            SettingKey::Policy => {
                if let SettingValue::Word(w) = &set.value {
                    name = Some(w.clone());
                }
                true
            }
            SettingKey::Quantum => {
                settings.quantum = number;
                true
            }
            SettingKey::Alpha => {
                settings.alpha_percent = number;
                true
            }
            SettingKey::InitialEstimate => {
                settings.initial_estimate = number;
                true
            }
            SettingKey::Aging => {
                settings.aging = number;
                true
            }
            SettingKey::Levels => {
                settings.levels = number;
                true
            }
            SettingKey::Quanta => {
                settings.quanta = match &set.value {
                    SettingValue::Numbers(list) => Some(list.clone()),
                    SettingValue::Number(n) => Some(vec![*n]),
                    SettingValue::Word(_) => None,
                };
                true
            }
            SettingKey::Boost => {
                settings.boost = number;
                true
            }
            SettingKey::Depth => {
                settings.depth = number;
                true
            }
            SettingKey::Steps => {
                settings.steps = number;
                true
            }
            SettingKey::Preempt => {
                settings.preempt_percent = number;
                true
            }
            SettingKey::PriorityOrder => {
                if let SettingValue::Word(w) = &set.value {
                    settings.priority_order = kernel::sched::PriorityOrder::from_name(w);
                }
                true
            }
            _ => false,
        };
        if used && first.is_none() {
            first = Some(set.span);
        }
    }
    (name, settings, first)
}

/// The policy a scenario's `set` lines choose (`None` when it sets none), or the mistake in
/// them, at the first of those lines.
pub fn policy(scenario: &Scenario) -> Result<Option<Policy>, Diagnostic> {
    let (name, settings, span) = policy_lines(scenario);
    let Some(span) = span else {
        return Ok(None);
    };
    let name = name.unwrap_or_else(|| "rr".to_string());
    parse_policy(&name, &settings).map(Some).map_err(|why| {
        // Point at the setting the complaint names, when it names one.
        let at = scenario
            .settings
            .iter()
            .find(|set| why.starts_with(&format!("`{}`", set.key.name())))
            .map_or(span, |set| set.span);
        Diagnostic::new(at, format!("the policy settings do not fit: {why}"), why)
            .note("docs/scheduling.md lists every policy and the settings it takes")
    })
}

/// The policy name and settings a scenario gives, for a command line that overrides some of
/// them.
pub fn policy_settings(scenario: &Scenario) -> (Option<String>, PolicySettings) {
    let (name, settings, _) = policy_lines(scenario);
    (name, settings)
}

/// Parse and check a scenario, including what only the machine can judge (that its policy
/// settings fit its policy, that the machine can have its CPUs): every mistake, or a
/// scenario that can run.
pub fn load(file: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let scenario = userland::scenario::load(file, source)?;
    let mut mistakes: Vec<Diagnostic> = policy(&scenario).err().into_iter().collect();
    mistakes.extend(machine_settings(&scenario));
    if mistakes.is_empty() {
        Ok(scenario)
    } else {
        Err(mistakes)
    }
}

/// The mistakes in the scenario's machine settings that only the machine can judge, each at
/// its `set` line: a CPU count outside [`crate::limits::cpus`] (the check `--cpus` makes, so
/// `set cpus 0` is refused as `--cpus 0` is, rather than taken as 1).
fn machine_settings(scenario: &Scenario) -> Vec<Diagnostic> {
    let mut mistakes = Vec::new();
    for set in &scenario.settings {
        if let (SettingKey::Cpus, SettingValue::Number(n)) = (set.key, &set.value) {
            if let Err(why) = crate::limits::cpus(*n) {
                mistakes.push(
                    Diagnostic::new(set.span, why, format!("expected 1 to {}", crate::MAX_CPUS))
                        .note("docs/security.md lists the limits"),
                );
            }
        }
    }
    let is =
        |key, word: &str| matches!(scenario.setting(key), Some(SettingValue::Word(w)) if w == word);
    // Inheritance lends the higher number; under the other order it would lend the less
    // urgent priority, so the two are refused together.
    if is(SettingKey::PriorityOrder, "lower_is_higher") && is(SettingKey::PriorityInheritance, "on")
    {
        if let Some(set) = scenario
            .settings
            .iter()
            .find(|set| set.key == SettingKey::PriorityInheritance)
        {
            mistakes.push(
                Diagnostic::new(
                    set.span,
                    "priority inheritance lends the higher number, which `priority_order \
                     lower_is_higher` makes the less urgent",
                    "expected `priority_inheritance off` with `priority_order lower_is_higher`",
                )
                .note(
                    "docs/scheduling.md: priority inheritance counts higher numbers as more urgent",
                ),
            );
        }
    }
    mistakes
}

/// `config` with the scenario's `set` lines applied. The scenario should have passed
/// [`load`]; policy settings that do not fit leave the policy as it was.
pub fn configure(scenario: &Scenario, mut config: MachineConfig) -> MachineConfig {
    let number = |key| match scenario.setting(key) {
        Some(SettingValue::Number(n)) => Some(*n),
        _ => None,
    };
    let word = |key| match scenario.setting(key) {
        Some(SettingValue::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    if let Ok(Some(policy)) = policy(scenario) {
        config.policy = policy;
    }
    let usize_of = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    if let Some(n) = number(SettingKey::MaxTicks) {
        config.max_ticks = n;
    }
    if let Some(n) = number(SettingKey::Seed) {
        config.seed = n;
    }
    if let Some(n) = number(SettingKey::MemoryLimit) {
        config.kernel.memory_limit = usize_of(n);
    }
    if let Some(n) = number(SettingKey::MaxMessage) {
        config.kernel.max_message = usize_of(n);
    }
    if let Some(n) = number(SettingKey::MaxProcesses) {
        config.kernel.max_processes = usize_of(n);
    }
    if let Some(n) = number(SettingKey::MaxMailboxes) {
        config.kernel.max_mailboxes = usize_of(n);
    }
    if let Some(n) = number(SettingKey::SyscallCost) {
        config.costs.syscall = n;
    }
    if let Some(n) = number(SettingKey::SwitchCost) {
        config.costs.context_switch = n;
    }
    if let Some(n) = number(SettingKey::Cpus) {
        // [`load`] refuses a count outside the bound; one that skipped it still never makes
        // a machine that cannot be built.
        config.cpus = u32::try_from(n)
            .unwrap_or(u32::MAX)
            .clamp(1, crate::MAX_CPUS);
    }
    if let Some(w) = word(SettingKey::RunQueues) {
        // The scenario language spells the names with `_`; the machine with `-`.
        if let Ok(q) = w.replace('_', "-").parse::<RunQueues>() {
            config.run_queues = q;
        }
    }
    if let Some(w) = word(SettingKey::PriorityInheritance) {
        config.kernel.priority_inheritance = w == "on";
    }
    if let Some(w) = word(SettingKey::RefuseDeadlock) {
        config.kernel.refuse_deadlock = w == "on";
    }
    if let Some(w) = word(SettingKey::Capabilities) {
        config.kernel.capabilities = w == "on";
    }
    if let Some(n) = number(SettingKey::MaxMailboxBytes) {
        config.kernel.max_mailbox_bytes = usize_of(n);
    }
    if let Some(n) = number(SettingKey::MaxStepsPerTick) {
        config.kernel.max_steps_per_tick = n;
    }
    if let Some(n) = number(SettingKey::FaultSeed) {
        config.fault_seed = n;
    }
    // Each process declaration by name, once: a file may hold many faults and many
    // declarations.
    let mut decls: BTreeMap<&str, &ProcessDecl> = BTreeMap::new();
    for p in &scenario.processes {
        decls.entry(p.name.name.as_str()).or_insert(p);
    }
    for f in &scenario.faults {
        config.faults.faults.push(fault(&decls, &f.kind));
    }
    for p in scenario.processes.iter().filter(|p| p.daemon) {
        let labels = (0..p.count).map(|copy| p.label(copy));
        config.kernel.daemons.extend(labels);
    }
    for t in &scenario.expected_kills {
        config.faults.expected_kills.push(kill_name(&decls, t));
    }
    // Init is the first process a fresh machine boots (slot 0, generation 0). Its start
    // messages are the scenario's scaffolding: a lost one would leave a process waiting
    // forever for a start that is not part of the scenario.
    config.kernel.fault_exempt = Some(abi::Pid::new(0, 0));
    config
}

/// The name a kill gives its target, as the trace does (`worker[1]`).
fn kill_name(decls: &BTreeMap<&str, &ProcessDecl>, target: &Target) -> String {
    decls
        .get(target.name.name.as_str())
        .map_or(target.name.name.clone(), |p| {
            let copy = match target.index {
                Some(CopyIndex::Fixed(n)) => n % p.count.max(1),
                _ => 0,
            };
            p.label(copy)
        })
}

/// A `fault` line as the machine's plan says it. A kill names the process as the trace
/// does (`worker[1]`), which is how the machine finds it.
fn fault(decls: &BTreeMap<&str, &ProcessDecl>, spec: &FaultSpec) -> FaultAt {
    match spec {
        FaultSpec::Kill { target, at } => {
            let name = kill_name(decls, target);
            match at {
                FaultMoment::Tick(t) => FaultAt::kill_at_tick(name, *t),
                FaultMoment::Syscall(n) => FaultAt::kill_at_syscall(name, *n),
            }
        }
        FaultSpec::Lose { percent } => FaultAt::loss(*percent),
        FaultSpec::Delay { percent, ticks } => FaultAt::delay(*percent, *ticks),
        FaultSpec::Jump { ticks, at } => FaultAt::clock_jump(*at, *ticks),
    }
}

/// A machine booted with the scenario's `init`, ready to run, or the kernel's reason it could
/// not boot it. `init` is always in the table the interpreter builds, but the kernel may
/// still refuse to create it: `set max_processes 0` leaves no room for it
/// (`out_of_memory`), and a machine that cannot start has nothing to run.
pub fn machine(scenario: Scenario, config: MachineConfig) -> Result<Machine, abi::Error> {
    let programs = userland::scenario::programs(scenario);
    let mut machine = Machine::new(config, programs);
    machine.boot(userland::scenario::INIT, 0)?;
    Ok(machine)
}

/// Run a checked scenario on a machine configured by `config` (apply [`configure`] first to
/// honour its `set` lines), or say why it could not boot ([`machine`]).
pub fn run(scenario: Scenario, config: MachineConfig) -> Result<Report, abi::Error> {
    Ok(machine(scenario, config)?.run())
}

/// The most diagnostics [`render_diagnostics`] draws; one line counts the rest.
pub const MAX_DRAWN: usize = 20;

/// The most characters of a source line a diagnostic shows: a longer line is shown as a
/// window of this many characters around the mistake, an ellipsis marking each cut end.
const WINDOW: usize = 120;

/// How many characters of a cut line the window shows before the mistake.
const LEAD: usize = 40;

/// The most characters of a message, label or note drawn: they can quote a name, and a name
/// can be as long as the file.
const MAX_TEXT: usize = 1_000;

/// Draw diagnostics the way compilers do: `file:line:col`, the line, a caret under the
/// mistake, and what was expected. No colour: the text goes to logs and tests as well.
///
/// The drawing is bounded whatever the input: at most [`MAX_DRAWN`] diagnostics (then
/// `... and N more mistakes not shown`), each source line at most `WINDOW` characters
/// around its mistake, each text at most `MAX_TEXT` characters, while the line and column
/// numbers stay those of the file. It reads the source once to find its lines, so it is
/// linear in the source and in the number of diagnostics drawn.
pub fn render_diagnostics(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let starts: Vec<usize> = codespan_reporting::files::line_starts(source).collect();
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics.iter().take(MAX_DRAWN) {
        let (excerpt, labels) = Excerpt::of(file, source, &starts, d);
        let drawn = Drawn::error()
            .with_message(clip(&d.message))
            .with_labels(labels)
            .with_notes(d.notes.iter().map(|n| clip(n)).collect());
        let mut buf = Vec::new();
        let mut writer = term::termcolor::NoColor::new(&mut buf);
        if term::emit(&mut writer, &config, &excerpt, &drawn).is_err() {
            // An excerpt the drawing refuses (a bug here) still gets its message out.
            let (line, col) = userland::scenario::line_col(source, d.span.start);
            out.push_str(&format!(
                "error: {}\n  --> {file}:{line}:{col}\n",
                clip(&d.message)
            ));
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    let hidden = diagnostics.len().saturating_sub(MAX_DRAWN);
    if hidden > 0 {
        let s = if hidden == 1 { "" } else { "s" };
        out.push_str(&format!("... and {hidden} more mistake{s} not shown\n"));
    }
    out
}

/// `text`, cut to `MAX_TEXT` characters with an ellipsis.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The largest char boundary of `text` at or before `at` (at most its length).
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The lines one diagnostic shows, each cut to its window, as a small file of their own
/// that keeps the true line and column numbers: what the drawing is handed instead of the
/// whole source, so that a diagnostic never costs more than the lines it points at.
struct Excerpt<'a> {
    name: &'a str,
    text: String,
    lines: Vec<Shown>,
}

/// One line of an [`Excerpt`].
struct Shown {
    /// Its bytes in the excerpt, newline included.
    range: std::ops::Range<usize>,
    /// Its line number in the file.
    number: usize,
    /// Where its window's first character is in the excerpt (after an ellipsis, if cut).
    content: usize,
    /// The file's column of that character.
    column: usize,
    /// The window's bytes in the file.
    window: std::ops::Range<usize>,
}

impl<'a> Excerpt<'a> {
    /// The excerpt for `d` and its labels, pointing into it.
    fn of(
        name: &'a str,
        source: &str,
        starts: &[usize],
        d: &Diagnostic,
    ) -> (Excerpt<'a>, Vec<Label<()>>) {
        use std::collections::BTreeMap;
        // The line a byte is on, and where that line's text ends (before its newline).
        let line_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
        let line_end = |line: usize| {
            starts
                .get(line + 1)
                .map_or(source.len(), |next| next.saturating_sub(1))
        };

        // Each span inside the text and on at most two lines (a mistake at a newline ends
        // on the next line); a longer one is cut at the end of its first line.
        let mut spans = Vec::new();
        let marks = std::iter::once((LabelStyle::Primary, d.span, d.label.as_str())).chain(
            d.related
                .iter()
                .map(|(span, text)| (LabelStyle::Secondary, *span, text.as_str())),
        );
        for (style, span, text) in marks {
            let start = floor_boundary(source, span.start);
            let mut end = floor_boundary(source, span.end.max(start));
            let (first, mut last) = (line_of(start), line_of(end));
            if last > first + 1 {
                end = line_end(first);
                last = first;
            }
            spans.push((style, start, end, first, last, text));
        }

        // The lines to show, each with the first byte its window must show.
        let mut focus: BTreeMap<usize, usize> = BTreeMap::new();
        for &(_, start, _, first, last, _) in &spans {
            let f = focus.entry(first).or_insert(start);
            *f = (*f).min(start);
            focus.entry(last).or_insert(starts[last]);
        }
        // The drawing shows the one line between two shown lines rather than a gap mark.
        let lines: Vec<usize> = focus.keys().copied().collect();
        for pair in lines.windows(2) {
            if pair[1] == pair[0] + 2 {
                focus.insert(pair[0] + 1, starts[pair[0] + 1]);
            }
        }

        let mut excerpt = Excerpt {
            name,
            text: String::new(),
            lines: Vec::new(),
        };
        // Excerpt line index of each shown file line.
        let mut index: BTreeMap<usize, usize> = BTreeMap::new();
        let mut previous: Option<usize> = None;
        for (&line, &from) in &focus {
            if previous.is_some_and(|p| line > p + 1) {
                // Two empty lines that are never drawn: a gap of more than one line in the
                // file stays one in the excerpt, which the drawing marks with `·`.
                for _ in 0..2 {
                    let at = excerpt.text.len();
                    excerpt.text.push('\n');
                    excerpt.lines.push(Shown {
                        range: at..at + 1,
                        number: line,
                        content: at,
                        column: 1,
                        window: starts[line]..starts[line],
                    });
                }
            }
            previous = Some(line);
            index.insert(line, excerpt.lines.len());
            excerpt.push_line(source, starts[line]..line_end(line), from, line + 1);
        }

        let labels = spans
            .iter()
            .map(|&(style, start, end, first, last, text)| {
                let from = excerpt.map(index[&first], start);
                let to = excerpt.map(index[&last], end).max(from);
                Label::new(style, (), from..to).with_message(clip(text))
            })
            .collect();
        (excerpt, labels)
    }

    /// Add line `number` of the file, its bytes `bytes` (without the newline), cut to a
    /// window that starts `LEAD` characters before the byte `from` when it is longer than
    /// `WINDOW` characters. A long line costs its length, once per diagnostic drawn.
    fn push_line(
        &mut self,
        source: &str,
        bytes: std::ops::Range<usize>,
        from: usize,
        number: usize,
    ) {
        let (start, end) = (bytes.start, bytes.end);
        let line = &source[bytes.clone()];
        let chars = line.chars().count();
        let (mut window, mut column) = (bytes, 1);
        if chars > WINDOW {
            let focus = line[..from.clamp(start, end) - start].chars().count();
            let first = focus.saturating_sub(LEAD).min(chars - WINDOW);
            let mut bytes = line.char_indices().map(|(i, _)| start + i).skip(first);
            let from_byte = bytes.next().unwrap_or(end);
            let to_byte = bytes.nth(WINDOW - 1).unwrap_or(end);
            window = from_byte..to_byte;
            column = first + 1;
        }
        let at = self.text.len();
        if window.start > start {
            self.text.push('…');
        }
        let content = self.text.len();
        self.text.push_str(&source[window.clone()]);
        if window.end < end {
            self.text.push('…');
        }
        self.text.push('\n');
        self.lines.push(Shown {
            range: at..self.text.len(),
            number,
            content,
            column,
            window,
        });
    }

    /// Where the file's byte `at`, on the line shown as excerpt line `line`, is in the
    /// excerpt: a byte outside the window goes to the window's nearer end.
    fn map(&self, line: usize, at: usize) -> usize {
        let shown = &self.lines[line];
        shown.content + at.clamp(shown.window.start, shown.window.end) - shown.window.start
    }
}

impl<'a> codespan_reporting::files::Files<'a> for Excerpt<'_> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), at: usize) -> Result<usize, FilesError> {
        Ok(self
            .lines
            .partition_point(|l| l.range.start <= at)
            .saturating_sub(1))
    }

    fn line_number(&'a self, (): (), line: usize) -> Result<usize, FilesError> {
        Ok(self.lines.get(line).map_or(line + 1, |l| l.number))
    }

    fn column_number(&'a self, (): (), line: usize, at: usize) -> Result<usize, FilesError> {
        let shown = self.lines.get(line).ok_or(FilesError::LineTooLarge {
            given: line,
            max: self.lines.len().saturating_sub(1),
        })?;
        let at = floor_boundary(&self.text, at.clamp(shown.content, shown.range.end));
        Ok(shown.column + self.text[shown.content..at].chars().count())
    }

    fn line_range(&'a self, (): (), line: usize) -> Result<std::ops::Range<usize>, FilesError> {
        self.lines
            .get(line)
            .map(|l| l.range.clone())
            .ok_or(FilesError::LineTooLarge {
                given: line,
                max: self.lines.len().saturating_sub(1),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_reaches_the_machine_configuration() {
        use crate::KernelConfig;
        let text = "set policy fcfs\nset max_ticks 500\nset seed 7\nset memory_limit 4096\n\
                    set max_message 64\nset max_processes 9\nset max_mailboxes 3\n\
                    set syscall_cost 2\nset switch_cost 5\nprocess a { yield }\n";
        let s = userland::scenario::load("all.sim", text).expect("loads");
        let c = configure(&s, MachineConfig::default());
        assert_eq!(c.policy, Policy::Fcfs);
        assert_eq!(c.max_ticks, 500);
        assert_eq!(c.seed, 7);
        assert_eq!(c.kernel.memory_limit, 4096);
        assert_eq!(c.kernel.max_message, 64);
        assert_eq!(c.kernel.max_processes, 9);
        assert_eq!(c.kernel.max_mailboxes, 3);
        assert_eq!(c.costs.syscall, 2);
        assert_eq!(c.costs.context_switch, 5);

        let text = "set max_mailbox_bytes 512\nset fault_seed 9\nprocess a { yield }\n\
                    fault kill a at syscall 2\nfault lose 5%\nfault delay 7% by 3\n\
                    fault jump 10 at tick 4\n";
        let s = load("faults.sim", text).expect("loads");
        let c = configure(&s, MachineConfig::default());
        assert_eq!(c.kernel.max_mailbox_bytes, 512);
        assert_eq!(c.fault_seed, 9);
        assert_eq!(
            c.faults.faults,
            [
                FaultAt::kill_at_syscall("a", 2),
                FaultAt::loss(5),
                FaultAt::delay(7, 3),
                FaultAt::clock_jump(4, 10),
            ]
        );

        let rr = userland::scenario::load("q.sim", "set quantum 3\nprocess a { yield }\n")
            .expect("loads");
        let c = configure(&rr, MachineConfig::default());
        assert_eq!(c.policy, Policy::RoundRobin { quantum: 3 });
        let untouched = configure(&rr, MachineConfig::default());
        let expected = KernelConfig {
            fault_exempt: Some(abi::Pid::new(0, 0)),
            ..MachineConfig::default().kernel
        };
        assert_eq!(untouched.kernel, expected, "only init's exemption is added");

        let text = "set policy mlfq\nset quanta 2 4 8\nset boost 50\nset cpus 2\n\
                    set run_queues per_cpu_pinned\nset priority_inheritance on\n\
                    set refuse_deadlock on\nprocess a { yield }\n";
        let s = load("new.sim", text).expect("loads");
        let c = configure(&s, MachineConfig::default());
        assert_eq!(Some(c.policy), Policy::mlfq(&[2, 4, 8], 50));
        assert_eq!(c.cpus, 2);
        assert_eq!(c.run_queues, RunQueues::PerCpu { migration: false });
        assert!(c.kernel.priority_inheritance && c.kernel.refuse_deadlock);
    }

    /// Spans the checker never makes (past the end, inside a character, over many lines)
    /// are still drawn at a true position, never a panic or an excerpt refused.
    #[test]
    fn odd_spans_are_drawn_inside_the_text() {
        let text = "process a {\n  print \"é\"\n  yield\n  yield\n}\n";
        let cases = [
            (Span::new(1_000, 2_000), "f.sim:6:1"),
            (Span::new(22, 23), "f.sim:2:10"),
            (Span::new(14, 40), "f.sim:2:3"),
            (Span::new(30, 12), "f.sim:3:6"),
        ];
        for (span, at) in cases {
            let d = Diagnostic::new(span, "odd", "here").related(Span::new(0, 7), "and here");
            let drawn = render_diagnostics("f.sim", text, &[d]);
            assert!(drawn.contains(at), "{span:?}: {drawn}");
            assert!(!drawn.contains("-->"), "drawn in full: {drawn}");
        }
        let one = Diagnostic::new(Span::new(0, 1), "one", "here");
        let drawn = render_diagnostics("f.sim", text, &vec![one; MAX_DRAWN + 1]);
        assert!(
            drawn.ends_with("\n... and 1 more mistake not shown\n"),
            "{drawn}"
        );
        assert_eq!(drawn.matches("error: one").count(), MAX_DRAWN);
    }

    #[test]
    fn a_scenario_whose_init_cannot_be_created_says_why_instead_of_running_nothing() {
        let s = load("none.sim", "set max_processes 0\nprocess a { yield }\n").expect("loads");
        let config = configure(&s, MachineConfig::default());
        assert_eq!(
            run(s.clone(), config.clone()).err(),
            Some(abi::Error::OutOfMemory)
        );
        assert!(machine(s, config).is_err());
        let one = load("one.sim", "set max_processes 2\nprocess a { yield }\n").expect("loads");
        let report = run(one.clone(), configure(&one, MachineConfig::default())).expect("boots");
        assert!(report.succeeded());
    }

    #[test]
    fn a_cpu_count_the_machine_cannot_have_is_a_mistake_at_its_line() {
        for n in [0, 65, 100_000] {
            let text = format!("process a {{ yield }}\nset cpus {n}\n");
            let mistakes = load("cpus.sim", &text).expect_err("outside 1 to 64");
            assert_eq!(mistakes.len(), 1);
            let at = userland::scenario::line_col(&text, mistakes[0].span.start);
            assert_eq!(at, (2, 1), "{:?}", mistakes[0]);
            assert_eq!(
                mistakes[0].message,
                format!("a machine has 1 to 64 CPUs, not {n}")
            );
        }
        assert!(load("cpus.sim", "set cpus 64\nprocess a { yield }\n").is_ok());
    }

    #[test]
    fn a_setting_the_policy_does_not_take_is_a_mistake_at_its_line() {
        let text = "set policy sjf\nset aging 4\nprocess a { yield }\n";
        let mistakes = load("bad.sim", text).expect_err("sjf takes no aging");
        let at = userland::scenario::line_col(text, mistakes[0].span.start);
        assert_eq!(at, (2, 1), "{:?}", mistakes[0]);
        assert!(mistakes[0].label.contains("`aging` does not apply to sjf"));
    }
}
