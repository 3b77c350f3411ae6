//! The timeline as an SVG picture, for reports.
//!
//! This module owns the drawing: a title, a legend, one row per process (its `p3:name`
//! label, then a coloured bar for every state span, each with a tooltip), a time axis with
//! round, labelled ticks and faint grid lines, and an arrow per received message from the
//! sender's row at the send tick to the receiver's row at the receive tick. The output is a
//! standalone, well-formed SVG document (`viewBox`, `width` and `height` set; every name is
//! escaped); it uses no scripts, no external fonts and no CSS files. It never panics on any
//! event sequence.
//!
//! When the trace names more than one CPU, running bars take the colour of their CPU
//! ([`cpu_colour`]) and the legend has a swatch per CPU instead of the one for running.
//!
//! Elements carry classes so tools and tests can find them: `row-label` (one per process),
//! `state state-<name>` (bars; a running bar of a run on several CPUs also `cpu-<n>`), `msg`
//! (one per received message), `axis`, `legend`.

use super::replay::{Replay, State};
use super::Names;
use abi::Ticks;
use kernel::trace::{CpuId, Event, EventKind};
use std::fmt::Write;

/// Width of the time axis, in pixels.
const PLOT_W: f64 = 960.0;
/// Height of a process row.
const ROW_H: f64 = 30.0;
/// Height of a state bar inside its row.
const BAR_H: f64 = 16.0;
/// Approximate width of one character of the 12px monospace labels.
const CHAR_W: f64 = 7.3;
/// Where the rows start, below the title and the legend.
const TOP: f64 = 78.0;
/// Space right of the plot, for the last axis label.
const RIGHT: f64 = 40.0;
/// Space under the rows, for the axis.
const BOTTOM: f64 = 50.0;

/// The fill of running bars.
pub const RUNNING_FILL: &str = "#2e9e44";
/// The fill of ready bars.
pub const READY_FILL: &str = "#f6c343";
/// The fill of blocked bars.
pub const BLOCKED_FILL: &str = "#9fb3c8";
/// The fill of sleeping bars.
pub const SLEEPING_FILL: &str = "#9b7fd1";

/// The fill colour of a state's bars.
pub const fn colour(state: &State) -> &'static str {
    match state {
        State::Running { .. } => RUNNING_FILL,
        State::Ready => READY_FILL,
        State::Blocked { .. } => BLOCKED_FILL,
        State::Sleeping => SLEEPING_FILL,
    }
}

/// The fills of running bars by CPU, when a run used several: CPU 0 keeps the running green,
/// the others are hues apart from it and from the other states' fills; past the end the
/// list starts over.
pub const CPU_FILLS: [&str; 8] = [
    RUNNING_FILL,
    "#d1495b",
    "#00798c",
    "#e07a1f",
    "#3d5a80",
    "#8c564b",
    "#e377c2",
    "#17becf",
];

/// The fill of running bars on CPU `cpu`, in a picture of several CPUs.
pub fn cpu_colour(cpu: CpuId) -> &'static str {
    CPU_FILLS[cpu as usize % CPU_FILLS.len()]
}

/// The arrows' colour.
const ARROW: &str = "#1f3a93";

/// `text` escaped for XML character data and attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => s.push('?'),
            c => s.push(c),
        }
    }
    s
}

/// The smallest round step (1, 2 or 5 times a power of ten) of at least `raw` ticks.
fn nice_step(raw: f64) -> u64 {
    let mut magnitude: u64 = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if step as f64 >= raw {
                return step;
            }
        }
        match magnitude.checked_mul(10) {
            Some(next) => magnitude = next,
            None => return u64::MAX,
        }
    }
}

/// A number for an attribute: short, without trailing zeros.
fn num(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Render events of a run that ended at `end` as an SVG document, titled after the first
/// process's program.
pub fn render(events: &[Event], end: Ticks) -> String {
    render_titled(events, end, None)
}

/// [`render`] with the title's subject given (a scenario's file name, say) instead of the
/// first program's name.
pub fn render_titled(events: &[Event], end: Ticks, subject: Option<&str>) -> String {
    let tl = Replay::from_events(events, end);
    let names = Names::from_events(events);
    let rows = tl.rows();
    let span = tl.end.max(1);
    let labels: Vec<String> = tl.processes.iter().map(|p| p.label()).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(8);
    let left = (longest as f64 * CHAR_W + 24.0).max(120.0);
    let scale = PLOT_W / span as f64;
    let x = |t: Ticks| left + t as f64 * scale;
    let row_y = |row: usize| TOP + row as f64 * ROW_H;
    let rows_h = tl.processes.len().max(1) as f64 * ROW_H;
    let width = left + PLOT_W + RIGHT;
    let height = TOP + rows_h + BOTTOM;
    let received = tl.received_messages().count();

    let program = subject.map(str::to_string).or_else(|| {
        events.iter().find_map(|e| match &e.kind {
            EventKind::Spawn { program, .. } => Some(program.clone()),
            _ => None,
        })
    });
    let ending = events.iter().rev().find_map(|e| match e.kind {
        EventKind::Deadlock { .. } => Some(", ended in a deadlock"),
        EventKind::TickLimit { .. } => Some(", stopped at the tick limit"),
        _ => None,
    });
    let count = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let title = format!(
        "{}: {}, {} received, {}{}",
        program.as_deref().unwrap_or("empty trace"),
        count(tl.processes.len() as u64, "process", "processes"),
        count(received as u64, "message", "messages"),
        count(tl.end, "tick", "ticks"),
        ending.unwrap_or("")
    );

    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">"#,
        w = num(width),
        h = num(height)
    );
    let _ = writeln!(s, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        s,
        r##"<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{ARROW}"/></marker></defs>"##
    );
    let _ = writeln!(
        s,
        r#"<rect x="0" y="0" width="{}" height="{}" fill="white"/>"#,
        num(width),
        num(height)
    );
    let _ = writeln!(
        s,
        r#"<text class="title" x="16" y="26" font-size="16" font-weight="bold">{}</text>"#,
        escape(&title)
    );

    // Legend: one swatch per state (running: one per CPU when there are several), then the
    // arrow.
    let by_cpu = tl.cpus.len() > 1;
    let mut swatches: Vec<(&str, String)> = Vec::new();
    if by_cpu {
        // Short labels once the CPUs are many, so the legend stays on its line.
        for &cpu in &tl.cpus {
            let label = if tl.cpus.len() <= 4 {
                format!("running on cpu{cpu}")
            } else {
                format!("cpu{cpu}")
            };
            swatches.push((cpu_colour(cpu), label));
        }
    } else {
        swatches.push((RUNNING_FILL, "running".into()));
    }
    for (fill, label) in [
        (READY_FILL, "ready"),
        (BLOCKED_FILL, "blocked"),
        (SLEEPING_FILL, "sleeping"),
    ] {
        swatches.push((fill, label.into()));
    }
    let _ = writeln!(s, r#"<g class="legend" transform="translate(16,44)">"#);
    let mut lx = 0.0;
    for (fill, label) in &swatches {
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="0" width="14" height="14" fill="{fill}" stroke="#555" stroke-width="0.5"/><text x="{}" y="11">{label}</text>"##,
            num(lx),
            num(lx + 19.0)
        );
        lx += 19.0 + label.len() as f64 * 7.0 + 18.0;
    }
    let _ = writeln!(
        s,
        r#"<line x1="{}" y1="7" x2="{}" y2="7" stroke="{ARROW}" stroke-width="1.5" marker-end="url(#arrowhead)"/><text x="{}" y="11">message, send to receive</text>"#,
        num(lx),
        num(lx + 30.0),
        num(lx + 36.0)
    );
    let _ = writeln!(s, "</g>");

    // Rows: zebra background, label, state bars.
    for (row, label) in labels.iter().enumerate() {
        let y = row_y(row);
        if row % 2 == 0 {
            let _ = writeln!(
                s,
                r##"<rect x="0" y="{}" width="{}" height="{ROW_H}" fill="#f3f5f8"/>"##,
                num(y),
                num(width)
            );
        }
        let _ = writeln!(
            s,
            r#"<text class="row-label" x="{}" y="{}" text-anchor="end" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">{}</text>"#,
            num(left - 10.0),
            num(y + ROW_H / 2.0 + 4.0),
            escape(label)
        );
    }

    // Grid and axis.
    let axis_y = TOP + rows_h + 6.0;
    let step = nice_step(span as f64 * 70.0 / PLOT_W);
    let _ = writeln!(s, r#"<g class="axis">"#);
    let _ = writeln!(
        s,
        r##"<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#333"/>"##,
        l = num(left),
        r = num(left + PLOT_W),
        y = num(axis_y)
    );
    let mut ticks: Vec<Ticks> = Vec::new();
    let mut t: Ticks = 0;
    while t <= span {
        ticks.push(t);
        t = match t.checked_add(step) {
            Some(next) => next,
            None => break,
        };
    }
    // The end of the run gets a tick too, unless a round tick is too close to it.
    if ticks
        .last()
        .is_some_and(|&l| l != span && (span - l) as f64 * scale > 36.0)
    {
        ticks.push(span);
    }
    for &t in &ticks {
        let tx = num(x(t));
        let _ = writeln!(
            s,
            r##"<line x1="{tx}" y1="{}" x2="{tx}" y2="{}" stroke="#e1e4e8"/><line x1="{tx}" y1="{}" x2="{tx}" y2="{}" stroke="#333"/><text x="{tx}" y="{}" text-anchor="middle">{t}</text>"##,
            num(TOP),
            num(TOP + rows_h),
            num(axis_y),
            num(axis_y + 5.0),
            num(axis_y + 18.0)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">time (ticks)</text>"##,
        num(left + PLOT_W / 2.0),
        num(axis_y + 36.0)
    );
    let _ = writeln!(s, "</g>");

    // State bars, over the grid.
    for (row, p) in tl.processes.iter().enumerate() {
        let y = row_y(row) + (ROW_H - BAR_H) / 2.0;
        for sp in p.spans.iter().filter(|sp| sp.ticks() > 0) {
            let what = match sp.state {
                State::Running { cpu } => format!("running on cpu{cpu}"),
                State::Blocked { queue } => format!("blocked on {}", names.queue(queue)),
                other => other.name().to_string(),
            };
            let tip = format!(
                "{}: {what}, ticks {}..{} ({})",
                labels[row],
                sp.start,
                sp.end,
                count(sp.ticks(), "tick", "ticks")
            );
            let (fill, cpu_class) = match sp.state {
                State::Running { cpu } if by_cpu => (cpu_colour(cpu), format!(" cpu-{cpu}")),
                other => (colour(&other), String::new()),
            };
            let _ = writeln!(
                s,
                r#"<rect class="state state-{}{cpu_class}" x="{}" y="{}" width="{}" height="{BAR_H}" fill="{fill}"><title>{}</title></rect>"#,
                sp.state.name(),
                num(x(sp.start)),
                num(y),
                num((sp.ticks() as f64 * scale).max(0.5)),
                escape(&tip)
            );
        }
    }

    // Message arrows, on top of everything: from the edge of the sender's bar to the edge of
    // the receiver's, so the head stays visible.
    let _ = writeln!(
        s,
        r#"<g class="messages" stroke="{ARROW}" stroke-width="1.3" fill="none" opacity="0.75">"#
    );
    for (m, r) in tl.received_messages() {
        let (Some(&from), Some(&to)) = (rows.get(&m.from), rows.get(&r.by)) else {
            continue;
        };
        let (x1, x2) = (x(m.sent), x(r.tick));
        let tip = format!(
            "msg#{}: {} -> {} via {}, {} bytes, sent at {}, received at {}",
            m.msg,
            names.pid(m.from),
            names.pid(r.by),
            names.dest(m.via),
            m.len,
            m.sent,
            r.tick
        );
        let mid = |row: usize| row_y(row) + ROW_H / 2.0;
        if from == to {
            // A message to oneself: a small loop above the bar.
            let y = mid(from) - BAR_H / 2.0;
            let _ = writeln!(
                s,
                r#"<path class="msg" d="M {} {} C {} {}, {} {}, {} {}" marker-end="url(#arrowhead)"><title>{}</title></path>"#,
                num(x1),
                num(y),
                num(x1 + 4.0),
                num(y - 10.0),
                num(x2 + 10.0),
                num(y - 10.0),
                num(x2 + 1.0),
                num(y),
                escape(&tip)
            );
            continue;
        }
        let down = to > from;
        let edge = if down { BAR_H / 2.0 } else { -BAR_H / 2.0 };
        let _ = writeln!(
            s,
            r#"<line class="msg" x1="{}" y1="{}" x2="{}" y2="{}" marker-end="url(#arrowhead)"><title>{}</title></line>"#,
            num(x1),
            num(mid(from) + edge),
            num(x2),
            num(mid(to) - edge),
            escape(&tip)
        );
    }
    let _ = writeln!(s, "</g>");
    let _ = writeln!(s, "</svg>");
    s
}
