//! Uniform draws for the hot paths, inlined: the same numbers, from the
//! same RNG words, as `rand`'s `random_range(0..n)`, so every seed keeps
//! generating the same bytes (the snapshots hold that), but without
//! `rand`'s out-of-line call and its range checks per character of an id.

use rand::Rng as _;

use crate::Rng;

/// `rng.random_range(0..n)` for `0 < n <= u32::MAX`: rand samples a `usize`
/// range that fits 32 bits as a `u32`, by a widening multiply, with one
/// extra word drawn when the low half lands in the last `n` values
/// (rand's `UniformInt::sample_single_inclusive`, its default, biased by at
/// most 2^-32 and much faster than rejection).
#[inline(always)]
pub(crate) fn below(rng: &mut Rng, n: u32) -> u32 {
    debug_assert!(n > 0);
    let wide = u64::from(rng.next_u32()) * u64::from(n);
    let (mut hi, lo) = ((wide >> 32) as u32, wide as u32);
    if lo > n.wrapping_neg() {
        let next_hi = ((u64::from(rng.next_u32()) * u64::from(n)) >> 32) as u32;
        hi += u32::from(lo.checked_add(next_hi).is_none());
    }
    hi
}

/// One item of a non-empty slice (of fewer than 2^32), uniformly, as
/// `items[rng.random_range(0..items.len())]` picks it.
#[inline(always)]
pub(crate) fn item<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[below(rng, items.len() as u32) as usize]
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;

    /// The same answers and the same RNG state as rand, for small ranges
    /// (ids, word lists) and for ranges near 2^32, where the extra draw is
    /// common rather than one in millions.
    #[test]
    fn below_draws_as_rand_does() {
        let ranges = (1..=300u32).chain([62, 1 << 20, (1 << 31) + 7, u32::MAX - 1, u32::MAX]);
        for n in ranges {
            for seed in 0..4u64 {
                let mut ours = Rng::seed_from_u64(seed);
                let mut theirs = Rng::seed_from_u64(seed);
                for i in 0..500 {
                    let want = theirs.random_range(0..n as usize);
                    assert_eq!(
                        below(&mut ours, n) as usize,
                        want,
                        "n {n} seed {seed} draw {i}"
                    );
                }
                assert_eq!(
                    ours.next_u64(),
                    theirs.next_u64(),
                    "n {n} seed {seed}: state"
                );
            }
        }
    }
}
