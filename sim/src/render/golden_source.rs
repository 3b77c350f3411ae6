//! Writes the golden files of `sim/tests/render.rs` from the reference renderers, so the
//! goldens hold the bytes the renderers made before their rewrite. Run once, on purpose:
//! `GOLDEN_FROM_REFERENCE=1 cargo test -p sim --lib golden_source`.

use super::testgen::golden_traces;
use super::{chrome, jsonl, text};
use crate::{Machine, MachineConfig, Report};
use kernel::trace::Event;

fn write(name: &str, contents: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots");
    let path = format!("{dir}/render__{name}.snap");
    let body = format!(
        "---\nsource: sim/tests/render.rs\nexpression: rendered\n---\n{}\n",
        contents.trim_end()
    );
    std::fs::write(path, body).expect("writes");
}

fn pin(name: &str, events: &[Event], end: u64) {
    write(
        &format!("golden_{name}_text"),
        &text::reference::text(events),
    );
    write(
        &format!("golden_{name}_jsonl"),
        &jsonl::reference::render(events),
    );
    write(
        &format!("golden_{name}_chrome"),
        &chrome::reference::render(events, end),
    );
}

pub(crate) fn golden_runs() -> Vec<(String, Report)> {
    let mut runs = Vec::new();
    for cpus in [1, 2] {
        let base = MachineConfig {
            cpus,
            ..MachineConfig::default()
        };
        for (p, arg) in [
            ("bounded_buffer", 0),
            ("ping_pong", 0),
            ("rpc", 0),
            ("prime_sieve", 12),
            ("deadlock", 0),
            ("transfer", 0),
        ] {
            let r = Machine::run_program(base.clone(), userland::programs::builtin(), p, arg)
                .expect("built in");
            runs.push((format!("{p}_{cpus}cpu"), r));
        }
    }
    for name in [
        "deletion",
        "memory_limit",
        "naming",
        "ownership",
        "polling",
        "priority_inversion",
        "rendezvous",
        "timeouts",
    ] {
        let s = userland::scenario::shipped(name).expect("shipped");
        let scenario = crate::scenario::load(s.path, s.source).expect("loads");
        let config = crate::scenario::configure(&scenario, MachineConfig::default());
        let r = crate::scenario::run(scenario, config).expect("boots");
        runs.push((name.to_string(), r));
    }
    runs
}

#[test]
fn golden_source() {
    if std::env::var_os("GOLDEN_FROM_REFERENCE").is_none() {
        return;
    }
    for (name, events, end) in golden_traces() {
        pin(name, &events, end);
    }
    for (name, r) in golden_runs() {
        eprintln!("{name}: {} events", r.events.len());
        pin(&name, &r.events, r.ticks);
    }
}
