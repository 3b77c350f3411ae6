//! The Gantt chart: one row per process, time across, for the terminal.
//!
//! This module owns the text timeline: every line fits the requested width (labels
//! included), one character per cell shows the state the process spent most of that cell in,
//! a time axis with round tick marks sits under the rows, and a legend ends the chart. When
//! the trace names more than one CPU, a running cell shows the CPU it ran on most in that
//! cell ([`cpu_char`]: `0`-`9`, then `A`-`Z`) instead of [`RUNNING`]. It is
//! plain ASCII without colours (it goes into snapshots and pipes): names are shown with any
//! non-ASCII character replaced by `?`. A width below [`MIN_WIDTH`] (or above
//! [`MAX_WIDTH`]) is clamped, never an error; no event sequence makes it panic.

use super::replay::{ProcessLife, Replay, State};
use abi::Ticks;
use kernel::trace::{CpuId, Event};

/// The narrowest chart drawn; narrower requests get this width.
pub const MIN_WIDTH: usize = 40;
/// The widest chart drawn; wider requests get this width.
pub const MAX_WIDTH: usize = 4096;

/// The character for a running cell.
pub const RUNNING: char = '#';
/// The character for a ready cell.
pub const READY: char = '-';
/// The character for a blocked cell.
pub const BLOCKED: char = '.';
/// The character for a sleeping cell.
pub const SLEEPING: char = 'z';
/// The character for a cell where the process is not alive.
pub const NOT_ALIVE: char = ' ';

/// The character for a running cell on CPU `cpu`, in a chart of several CPUs: `0`-`9`, then
/// `A`-`Z` (upper case, so no CPU reads as a sleeping `z`), then `*` for any CPU past 35.
pub fn cpu_char(cpu: CpuId) -> char {
    match cpu {
        0..=9 => char::from(b'0' + cpu as u8),
        10..=35 => char::from(b'A' + (cpu - 10) as u8),
        _ => '*',
    }
}

/// Kinds of state a cell can show, in the order ties are broken (running wins).
const KINDS: [char; 4] = [RUNNING, BLOCKED, SLEEPING, READY];

fn kind_of(state: State) -> usize {
    match state {
        State::Running { .. } => 0,
        State::Blocked { .. } => 1,
        State::Sleeping => 2,
        State::Ready => 3,
    }
}

/// `text` with every character a terminal might not show as one ASCII column replaced.
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// `text` cut to `width` columns, marking a cut with `~`.
fn fit(text: &str, width: usize) -> String {
    if text.len() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('~');
    s
}

/// The smallest round step (1, 2 or 5 times a power of ten) of at least `raw` ticks.
fn nice_step(raw: u128) -> u128 {
    let mut magnitude: u128 = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if step >= raw.max(1) {
                return step;
            }
        }
        match magnitude.checked_mul(10) {
            Some(next) => magnitude = next,
            None => return u128::MAX,
        }
    }
}

/// One process's cells: `cells` columns covering ticks `[0, end)`; with `by_cpu`, a running
/// cell names its CPU.
fn row_cells(p: &ProcessLife, end: Ticks, cells: usize, by_cpu: bool) -> String {
    let (end, n) = (u128::from(end.max(1)), cells as u128);
    // Work in ticks scaled by the number of cells, so every boundary is an integer: cell i
    // covers [i * end, (i + 1) * end) and a span [s, e) covers [s * n, e * n).
    let mut out = String::with_capacity(cells);
    let mut first = 0;
    for i in 0..n {
        let (lo, hi) = (i * end, (i + 1) * end);
        let mut time = [0u128; 4];
        // Running time per CPU in this cell: a few entries at most, kept in CPU order.
        let mut on_cpu: Vec<(CpuId, u128)> = Vec::new();
        // Spans are in order: skip those that end before this cell, once and for all.
        while first < p.spans.len() && u128::from(p.spans[first].end) * n <= lo {
            first += 1;
        }
        for s in &p.spans[first..] {
            let (a, b) = (u128::from(s.start) * n, u128::from(s.end) * n);
            if a >= hi {
                break;
            }
            let overlap = b.min(hi).saturating_sub(a.max(lo));
            time[kind_of(s.state)] += overlap;
            if let (State::Running { cpu }, true) = (s.state, overlap > 0) {
                match on_cpu.binary_search_by_key(&cpu, |(c, _)| *c) {
                    Ok(i) => on_cpu[i].1 += overlap,
                    Err(i) => on_cpu.insert(i, (cpu, overlap)),
                }
            }
        }
        let best = (0..4).fold(None, |best: Option<usize>, k| match best {
            Some(b) if time[b] >= time[k] => Some(b),
            _ if time[k] > 0 => Some(k),
            _ => best,
        });
        let ch = match best {
            None => NOT_ALIVE,
            Some(0) if by_cpu => {
                // The CPU it ran on longest in this cell; ties go to the lowest id.
                let cpu = on_cpu
                    .iter()
                    .fold(None, |best: Option<(CpuId, u128)>, &(c, t)| match best {
                        Some((_, bt)) if bt >= t => best,
                        _ => Some((c, t)),
                    })
                    .map_or(0, |(c, _)| c);
                cpu_char(cpu)
            }
            Some(k) => KINDS[k],
        };
        out.push(ch);
    }
    out
}

/// Lay `items` out on lines of at most `width` columns, separated by two spaces.
fn wrap(items: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.len() + 2 + item.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str("  ");
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// Render events of a run that ended at `end` as a chart `width` columns wide.
pub fn render(events: &[Event], end: Ticks, width: usize) -> String {
    let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
    let tl = Replay::from_events(events, end);
    let end = tl.end;
    let by_cpu = tl.cpus.len() > 1;
    let labels: Vec<String> = tl.processes.iter().map(|p| ascii(&p.label())).collect();
    let longest = labels.iter().map(String::len).max().unwrap_or(0);
    // A row is `label |cells|`: the label takes at most a third of the width.
    let label_w = longest.clamp(1, width / 3);
    let cells = width - label_w - 3;
    let pad = " ".repeat(label_w + 1);

    let mut out = String::new();
    let span = end.max(1);
    let header = if end == 0 {
        "time 0..0 ticks: the run took no time".to_string()
    } else {
        let per_cell = format!("{:.2}", span as f64 / cells as f64);
        let per_cell = per_cell.trim_end_matches('0').trim_end_matches('.');
        format!("time 0..{end} ticks, 1 column = {per_cell} ticks")
    };
    out.push_str(&fit(&header, width));
    out.push('\n');
    if tl.processes.is_empty() {
        out.push_str(&fit("(no processes in the trace)", width));
        out.push('\n');
    }
    for (p, label) in tl.processes.iter().zip(&labels) {
        let row = format!(
            "{:<w$} |{}|",
            fit(label, label_w),
            row_cells(p, end, cells, by_cpu),
            w = label_w
        );
        out.push_str(&row);
        out.push('\n');
    }

    // The axis: `+` on the cell where each round tick falls, its value under it.
    let (n, e) = (cells as u128, u128::from(span));
    let digits = span.to_string().len() as u128;
    let step = nice_step((e * (digits + 3)).div_ceil(n));
    let mut axis: Vec<char> = std::iter::once('+')
        .chain(std::iter::repeat_n('-', cells))
        .chain(std::iter::once('+'))
        .collect();
    let mut values: Vec<char> = vec![' '; cells + 2];
    let mut t: u128 = 0;
    while t < e {
        // Tick 0 is the opening border; any other tick marks the cell it falls in.
        let col = if t == 0 { 0 } else { (t * n / e) as usize + 1 };
        let label = t.to_string();
        let free = values[col.saturating_sub(1)..]
            .iter()
            .take(label.len() + 1)
            .all(|c| *c == ' ');
        // A mark without room for its value is left out: every `+` is labelled.
        if col + label.len() <= values.len() && free {
            axis[col] = '+';
            for (k, ch) in label.chars().enumerate() {
                values[col + k] = ch;
            }
        }
        t = match t.checked_add(step) {
            Some(next) => next,
            None => break,
        };
    }
    // The end of the run, right-aligned under the closing border, if there is room.
    let end_label = end.to_string();
    let last = values.len();
    if end > 0 && end_label.len() < last {
        let from = last - end_label.len();
        if values[from.saturating_sub(1)..].iter().all(|c| *c == ' ') {
            for (k, ch) in end_label.chars().enumerate() {
                values[from + k] = ch;
            }
        }
    }
    out.push_str(&pad);
    out.push_str(&axis.iter().collect::<String>());
    out.push('\n');
    let values: String = values.iter().collect();
    out.push_str(&fit(&format!("{pad}{}", values.trim_end()), width));
    out.push('\n');

    let running = if by_cpu {
        let first = tl.cpus.iter().next().copied().unwrap_or(0);
        let last = tl.cpus.iter().next_back().copied().unwrap_or(0);
        format!("{}-{} running on that CPU", cpu_char(first), cpu_char(last))
    } else {
        format!("{RUNNING} running")
    };
    let legend = [
        "legend:".to_string(),
        running,
        format!("{READY} ready"),
        format!("{BLOCKED} blocked"),
        format!("{SLEEPING} sleeping"),
        "(blank) not alive".to_string(),
    ];
    for line in wrap(&legend, width) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
