//! The bounds on the machine settings a user gives, on the command line or in a scenario's
//! `set` lines, and the one check of each: the flag and the `set` line share it, so they
//! accept the same values and say the same thing about the rest.
//!
//! This module owns the numbers and the wording; it never reports anything itself. The
//! command line turns a refusal into a usage error (exit status 2), the scenario loader into
//! a mistake at the `set` line (`file:line:col`). `docs/security.md` lists every limit.

use kernel::sched::pct::Pct;

/// The most CPUs a machine has. Each CPU costs memory and a turn of the machine loop, so a
/// wrong value (`--cpus 100000`) would abort on allocation or crawl for minutes; 64 is far
/// beyond what any scenario needs to show parallel scheduling.
pub const MAX_CPUS: u32 = 64;

/// The largest PCT bug depth (`--depth`, `set depth`): [`Pct::MAX_DEPTH`].
pub const MAX_PCT_DEPTH: u32 = Pct::MAX_DEPTH;

/// A CPU count as a user gave it, if the machine can have that many: 1 to [`MAX_CPUS`].
pub fn cpus(n: u64) -> Result<u32, String> {
    in_bounds(Some(n), MAX_CPUS).ok_or_else(|| cpus_refused(&n))
}

/// A PCT depth as a user gave it, if PCT takes it: 1 to [`MAX_PCT_DEPTH`].
pub fn pct_depth(n: u64) -> Result<u32, String> {
    in_bounds(Some(n), MAX_PCT_DEPTH).ok_or_else(|| depth_refused(&n))
}

/// [`cpus`] of a word on the command line (`--cpus`): a number too large for any integer
/// type gets the same message as any other count beyond the bound.
pub fn parse_cpus(word: &str) -> Result<u32, String> {
    in_bounds(parse(word)?, MAX_CPUS).ok_or_else(|| cpus_refused(&word))
}

/// [`pct_depth`] of a word on the command line (`--depth`).
pub fn parse_pct_depth(word: &str) -> Result<u32, String> {
    in_bounds(parse(word)?, MAX_PCT_DEPTH).ok_or_else(|| depth_refused(&word))
}

fn cpus_refused(shown: &dyn std::fmt::Display) -> String {
    format!("a machine has 1 to {MAX_CPUS} CPUs, not {shown}")
}

fn depth_refused(shown: &dyn std::fmt::Display) -> String {
    format!("`depth` must be 1 to {MAX_PCT_DEPTH}, not {shown}")
}

/// A word as a number: `None` for one too large for a `u64` (beyond every bound), an error
/// for one that is no number at all.
fn parse(word: &str) -> Result<Option<u64>, String> {
    match word.parse::<u64>() {
        Ok(n) => Ok(Some(n)),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Ok(None),
        Err(e) => Err(format!("`{word}` is not a number: {e}")),
    }
}

/// `n` if it is 1 to `max`.
fn in_bounds(n: Option<u64>, max: u32) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
        .filter(|n| (1..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_inclusive_and_everything_else_is_refused_with_the_bound_named() {
        assert_eq!(cpus(1), Ok(1));
        assert_eq!(cpus(64), Ok(64));
        assert_eq!(
            cpus(0),
            Err("a machine has 1 to 64 CPUs, not 0".to_string())
        );
        assert_eq!(
            cpus(u64::MAX),
            Err(format!("a machine has 1 to 64 CPUs, not {}", u64::MAX))
        );
        assert!(cpus(65).is_err());
        assert_eq!(pct_depth(1), Ok(1));
        assert_eq!(pct_depth(1_000), Ok(1_000));
        assert_eq!(
            pct_depth(1_001),
            Err("`depth` must be 1 to 1000, not 1001".to_string())
        );
        assert!(pct_depth(0).is_err());
        assert!(pct_depth(u64::from(u32::MAX) + 1).is_err());
        // The command line's words: the same checks, whatever the size of the number.
        assert_eq!(parse_cpus("64"), Ok(64));
        assert_eq!(
            parse_cpus("99999999999999999999999"),
            Err("a machine has 1 to 64 CPUs, not 99999999999999999999999".to_string())
        );
        assert_eq!(
            parse_pct_depth("1001"),
            Err("`depth` must be 1 to 1000, not 1001".to_string())
        );
        assert!(parse_cpus("two").unwrap_err().contains("not a number"));
    }
}
