//! Scenario files on the machine: settings into a machine configuration, a run, and
//! diagnostics drawn for a terminal.
//!
//! The language itself (parser, checker, interpreter) lives in `userland::scenario`; this
//! module only connects it to the hardware and draws its diagnostics with carets. It never
//! interprets a statement.

use crate::{Machine, MachineConfig, Policy, Report};
use codespan_reporting::diagnostic::{Diagnostic as Drawn, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};
use userland::scenario::{Diagnostic, Scenario, SettingKey, SettingValue};

/// `config` with the scenario's `set` lines applied.
pub fn configure(scenario: &Scenario, mut config: MachineConfig) -> MachineConfig {
    let number = |key| match scenario.setting(key) {
        Some(SettingValue::Number(n)) => Some(*n),
        _ => None,
    };
    if let Some(SettingValue::Word(w)) = scenario.setting(SettingKey::Policy) {
        config.policy = match w.as_str() {
            "fcfs" => Policy::Fcfs,
            _ => match config.policy {
                Policy::RoundRobin { quantum } => Policy::RoundRobin { quantum },
                _ => Policy::RoundRobin {
                    quantum: Policy::DEFAULT_QUANTUM,
                },
            },
        };
    }
    if let Some(q) = number(SettingKey::Quantum) {
        if let Policy::RoundRobin { quantum } = &mut config.policy {
            *quantum = q.max(1);
        }
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
    config
}

/// A machine booted with the scenario's `init`, ready to run.
pub fn machine(scenario: Scenario, config: MachineConfig) -> Machine {
    let programs = userland::scenario::programs(scenario);
    let mut machine = Machine::new(config, programs);
    // `init` is always in the table the interpreter builds, so booting it cannot fail.
    let _ = machine.boot(userland::scenario::INIT, 0);
    machine
}

/// Run a checked scenario on a machine configured by `config` (apply [`configure`] first to
/// honour its `set` lines).
pub fn run(scenario: Scenario, config: MachineConfig) -> Report {
    machine(scenario, config).run()
}

/// Draw diagnostics the way compilers do: `file:line:col`, the line, a caret under the
/// mistake, and what was expected. No colour: the text goes to logs and tests as well.
pub fn render_diagnostics(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let files = SimpleFile::new(file, source);
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics {
        let mut labels = vec![Label::primary((), d.span.start..d.span.end).with_message(&d.label)];
        for (span, text) in &d.related {
            labels.push(Label::secondary((), span.start..span.end).with_message(text));
        }
        let drawn = Drawn::error()
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(d.notes.clone());
        let mut buf = Vec::new();
        let mut writer = term::termcolor::NoColor::new(&mut buf);
        if term::emit(&mut writer, &config, &files, &drawn).is_err() {
            // A span outside the text (a checker bug) still gets its message out.
            let (line, col) = userland::scenario::line_col(source, d.span.start);
            out.push_str(&format!(
                "error: {}\n  --> {file}:{line}:{col}\n",
                d.message
            ));
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_reaches_the_machine_configuration() {
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

        let rr = userland::scenario::load("q.sim", "set quantum 3\nprocess a { yield }\n")
            .expect("loads");
        let c = configure(&rr, MachineConfig::default());
        assert_eq!(c.policy, Policy::RoundRobin { quantum: 3 });
        let untouched = configure(&rr, MachineConfig::default());
        assert_eq!(untouched.kernel, MachineConfig::default().kernel);
    }
}
