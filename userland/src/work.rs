//! Counts of the work done by the algorithms a user's input can make long: checking a
//! scenario, finding programs by name, and (in `sim`) a run's statistics.
//!
//! The tests that keep those algorithms near-linear run each on inputs of two sizes and
//! compare the counts, which, unlike time, a busy machine cannot blur: work that grows with
//! the square of the input shows at once. Each algorithm counts a step where it looks at
//! one piece of its input (a statement, a candidate name, a lookup), so a second pass over
//! the input counts again.
//!
//! Without the `count-work` feature, which only the tests turn on, [`step`] compiles to
//! nothing and [`take`] is always 0.

#[cfg(feature = "count-work")]
std::thread_local! {
    static STEPS: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}

/// Whether this build counts.
pub const COUNTING: bool = cfg!(feature = "count-work");

/// Count `n` steps of work on this thread.
#[inline(always)]
pub fn step(n: u64) {
    #[cfg(feature = "count-work")]
    STEPS.with(|s| s.set(s.get().saturating_add(n)));
    let _ = n;
}

/// The steps counted on this thread since the last `take`, and start again from 0.
pub fn take() -> u64 {
    #[cfg(feature = "count-work")]
    return STEPS.with(|s| s.replace(0));
    #[cfg(not(feature = "count-work"))]
    0
}
