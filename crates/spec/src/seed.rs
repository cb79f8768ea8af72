//! Seeds: every generated value in decoy comes from a `u64` seed, derived
//! here and nowhere else, so the mock, the runner and `decoy fake` agree and
//! stay stable across versions and platforms.
//!
//! ```
//! use decoy_spec::seed;
//! // The same resource path always gives the same seed...
//! assert_eq!(seed::derive(7, "/pets/1"), seed::derive(7, "/pets/1"));
//! // ...and another path or another run seed gives another.
//! assert_ne!(seed::derive(7, "/pets/1"), seed::derive(7, "/pets/2"));
//! assert_ne!(seed::derive(7, "/pets/1"), seed::derive(8, "/pets/1"));
//! ```

/// SplitMix64's finalizer: a well-mixed 64-bit value from any 64 bits.
pub const fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over bytes: fast, stable, and good enough once `splitmix`ed.
pub const fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

/// The seed of record `index` in a stream seeded with `seed`.
pub fn record(seed: u64, index: u64) -> u64 {
    splitmix(seed ^ splitmix(index))
}

/// A seed derived from a seed and a key (a resource path, a property
/// name): the same pair always gives the same seed.
pub fn derive(seed: u64, key: impl AsRef<[u8]>) -> u64 {
    derive_hashed(seed, hash(key.as_ref()))
}

/// [`derive()`] with the key's [`hash`] computed beforehand: a key used on
/// every request (a property name) is hashed once.
///
/// ```
/// use decoy_spec::seed;
/// assert_eq!(seed::derive_hashed(7, seed::hash(b"name")), seed::derive(7, "name"));
/// ```
pub const fn derive_hashed(seed: u64, key_hash: u64) -> u64 {
    splitmix(seed ^ key_hash)
}

/// A draw in `0..1` from a seed (53 bits, so every value is exact).
pub fn unit(seed: u64) -> f64 {
    (seed >> 11) as f64 / (1u64 << 53) as f64
}
