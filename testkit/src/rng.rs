//! Randomness: [`SplitMix64`], the deterministic PRNG of every randomized
//! test, and [`Entropy`], the source the layout generator
//! ([`crate::layouts::arranged_layout`]) draws from, so the same generator
//! runs on a seeded PRNG in the tests and on fuzzer bytes in `fuzz/`.

/// A source of random choices.
pub trait Entropy {
    /// A uniform integer in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64;
    /// `true` with probability about `p`.
    fn chance(&mut self, p: f64) -> bool;
}

/// SplitMix64: a small, fast, deterministic PRNG (Steele, Lea, Flood 2014).
/// The same seed gives the same sequence on every platform.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`; the modulo bias is irrelevant for tests).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        self.next_u64() % n
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        range_i64(self, lo, hi)
    }

    /// A uniform float in `[0, 1)`: the top 53 bits of one draw, over 2^53.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit_f64() < p
    }

    /// A uniformly chosen element of `v` (not empty).
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        pick(self, v)
    }

    /// Fisher-Yates shuffle of `v`.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        shuffle(self, v)
    }
}

impl Entropy for SplitMix64 {
    fn below(&mut self, n: u64) -> u64 {
        SplitMix64::below(self, n)
    }
    fn chance(&mut self, p: f64) -> bool {
        SplitMix64::chance(self, p)
    }
}

/// A test's seed, from its name (FNV-1a), so that its cases do not change
/// when other tests are edited.
pub fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A uniform integer in `lo..=hi` drawn from `r`.
pub fn range_i64<R: Entropy + ?Sized>(r: &mut R, lo: i64, hi: i64) -> i64 {
    assert!(lo <= hi);
    lo + r.below((hi - lo) as u64 + 1) as i64
}

/// A uniformly chosen element of `v` (not empty), drawn from `r`.
pub fn pick<T: Copy, R: Entropy + ?Sized>(r: &mut R, v: &[T]) -> T {
    v[r.below(v.len() as u64) as usize]
}

/// Fisher-Yates shuffle of `v`, drawn from `r`.
pub fn shuffle<T, R: Entropy + ?Sized>(r: &mut R, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = r.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published SplitMix64 sequence for seed 0, so a change of the
    /// generator (and of every randomized test's cases) cannot go unnoticed.
    #[test]
    fn splitmix64_reference_values() {
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn ranges_and_shuffle() {
        let mut r = SplitMix64::new(9);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = r.range_i64(-3, 3);
            assert!((-3..=3).contains(&v));
            seen[(v + 3) as usize] = true;
            let u = r.unit_f64();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|&s| s), "range_i64 misses values");
        let mut v: Vec<u32> = (0..20).collect();
        r.shuffle(&mut v);
        assert_ne!(v, (0..20).collect::<Vec<_>>());
        v.sort();
        assert_eq!(v, (0..20).collect::<Vec<_>>());
    }
}
