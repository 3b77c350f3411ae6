//! The kernel's one source of randomness: a small seeded pseudo-random generator.
//!
//! This module owns [`Rng`], a SplitMix64 generator (Steele, Lea and Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014): 64 bits of state, one addition and a
//! mixing function per draw, every seed (0 included) a full-period stream. Randomised
//! policies (lottery, exploration) draw only from an `Rng` built from the run's seed, so the
//! same seed gives the same choices on every machine: the determinism the traces rely on.
//! A part that needs a stream of its own (each CPU's run queue) takes a seed derived from the
//! run's ([`Rng::derive_seed`]).
//!
//! It never reads a clock, an address or the host's entropy, and never panics: `below(0)`
//! is 0, `chance` clamps its percentage. It is not cryptographic and makes no claim to be.

/// A seeded SplitMix64 generator.
///
/// ```
/// use kernel::sched::rng::Rng;
/// let mut a = Rng::new(7);
/// let mut b = Rng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(6) < 6);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// SplitMix64's increment: the golden ratio in 64-bit fixed point (odd, so the state
    /// walks through all 2^64 values before repeating).
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// A generator whose whole stream is fixed by `seed`.
    pub const fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The seed of stream `stream` derived from `seed`: one generator per part of the
    /// machine (a CPU's scheduler, say), each with a seed of its own, all fixed by the run's
    /// seed. SplitMix64's mixing of `seed ^ stream·γ`, so neighbouring seeds and streams
    /// give unrelated seeds.
    pub const fn derive_seed(seed: u64, stream: u64) -> u64 {
        mix(seed ^ stream.wrapping_mul(Self::GAMMA))
    }

    /// The next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::GAMMA);
        mix(self.state)
    }

    /// A uniform number in `0..n`; 0 when `n` is 0 (an empty range has no better answer,
    /// and a policy must not panic).
    ///
    /// Plain `next_u64() % n` would favour small results whenever `n` does not divide 2^64,
    /// so draws below `2^64 mod n` are rejected and redrawn: what is left is a whole number
    /// of copies of `0..n`. Fewer than one draw in two is rejected for any `n`, so the
    /// expected number of draws is below 2.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // 2^64 mod n, computed without 128-bit arithmetic: (2^64 - n) mod n.
        let threshold = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64();
            if x >= threshold {
                return x % n;
            }
        }
    }

    /// True with probability `percent`% (0 never, 100 or more always). Always consumes
    /// draws, whatever the percentage, so that changing a probability does not shift every
    /// later draw of the stream.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// SplitMix64's output function: a bijection of the 64-bit values that spreads every bit of
/// its input over the whole output.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_fixed_by_the_seed() {
        // The first outputs of SplitMix64 seeded with 0, as every reference implementation
        // gives them: the generator is the published one, not a look-alike.
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(r.next_u64(), 0x06c4_5d18_8009_454f);
        let a: alloc::vec::Vec<u64> = (0..8).map(|_| Rng::new(42).next_u64()).collect();
        assert!(a.iter().all(|x| *x == a[0]));
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn a_derived_seed_is_the_mixed_seed_and_stream() {
        // Stream 1 of seed 0 mixes γ, as the generator's first draw from seed 0 does.
        assert_eq!(Rng::derive_seed(0, 1), Rng::new(0).next_u64());
        assert_eq!(Rng::derive_seed(7, 1), 0xf75f_04cb_b5a1_a1dd);
        assert_ne!(Rng::derive_seed(7, 1), Rng::derive_seed(7, 2));
        assert_ne!(Rng::derive_seed(7, 1), Rng::derive_seed(8, 1));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::new(99);
        for n in [1u64, 2, 3, 7, 10, 100, 1 << 40, u64::MAX] {
            for _ in 0..1000 {
                assert!(r.below(n) < n, "below({n})");
            }
        }
        assert_eq!(r.below(0), 0);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            seen[r.below(6) as usize] += 1;
        }
        // Each face expects 1000; a fair generator stays well within 15% of that.
        assert!(seen.iter().all(|c| (850..=1150).contains(c)), "{seen:?}");
    }

    #[test]
    fn below_is_unbiased_where_modulo_would_not_be() {
        // n = 3 * 2^62: plain modulo would give 0..2^62 twice as often as the rest (half of
        // the draws would land in the low third). Rejection keeps each third at about 1/3.
        let n = 3u64 << 62;
        let mut r = Rng::new(5);
        let low = (0..3000).filter(|_| r.below(n) < (1u64 << 62)).count();
        assert!(
            (850..=1150).contains(&low),
            "{low} of 3000 in the low third"
        );
    }

    #[test]
    fn chance_clamps_and_roughly_matches_the_percentage() {
        let mut r = Rng::new(3);
        assert!((0..100).all(|_| !r.chance(0)));
        assert!((0..100).all(|_| r.chance(100)));
        assert!((0..100).all(|_| r.chance(250)));
        let hits = (0..10_000).filter(|_| r.chance(30)).count();
        assert!((2800..=3200).contains(&hits), "{hits}");
    }
}
