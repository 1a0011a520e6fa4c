//! Helpers shared by the crate's tests, its fuzz targets (`fuzz/`) and its
//! benchmark: the element types with their C entry points, a deterministic
//! PRNG, a layout builder and a safe call of `batch_dot_infer_shape`. Not
//! part of the C API (nothing here is `extern "C"` or `#[repr(C)]`, so the
//! header does not change) and hidden from the docs; always compiled,
//! because the fuzz crate depends on the library without features.

use std::fmt::Debug;

use crate::consts::BATCH_DOT_MAX_NDIM;
use crate::ffi::{batch_dot_f32, batch_dot_f64, batch_dot_infer_shape};
use crate::kernel::Element;
use crate::types::{batch_dot_layout, batch_dot_options};

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

/// f32 or f64 for generic test code, with its C entry point.
pub trait TestElem: Element + Debug {
    /// Unit roundoff (2^-24, 2^-53), for the error bound of SPEC.md §6.
    const U: f64;
    /// Name, for messages.
    const NAME: &'static str;
    /// The C entry point: `batch_dot_f32` or `batch_dot_f64`.
    const ENTRY: EntryPoint<Self>;
    /// Rounds an f64 to this type.
    fn from_f64(v: f64) -> Self;
    /// The raw bits, widened to u64, for bitwise comparisons.
    fn bits(self) -> u64;
    /// The value whose bits `bits` returned.
    fn from_bits(b: u64) -> Self;
    /// A NaN with a payload that no test puts in an input, so the library
    /// never makes it (a NaN result carries an input's payload or the
    /// default one): "not written". Compare with [`TestElem::bits`], not `==`.
    fn sentinel() -> Self;
    /// Calls [`TestElem::ENTRY`] with its nine arguments.
    ///
    /// # Safety
    /// As `batch_dot_f32`: every non-NULL pointer valid for what API.md
    /// says the call reads or writes through it.
    #[allow(clippy::too_many_arguments)]
    unsafe fn call(
        x: *const batch_dot_layout,
        xd: *const Self,
        y: *const batch_dot_layout,
        yd: *const Self,
        ax: i64,
        ay: i64,
        o: *const batch_dot_layout,
        od: *mut Self,
        opts: *const batch_dot_options,
    ) -> i32 {
        // SAFETY: the caller keeps the contract of the entry point, which
        // this forwards unchanged.
        unsafe { (Self::ENTRY)(x, xd, y, yd, ax, ay, o, od, opts) }
    }
}

/// The type of `batch_dot_f32` / `batch_dot_f64` for elements `T`
/// (private, so cbindgen exports nothing new).
type EntryPoint<T> = unsafe extern "C" fn(
    *const batch_dot_layout,
    *const T,
    *const batch_dot_layout,
    *const T,
    i64,
    i64,
    *const batch_dot_layout,
    *mut T,
    *const batch_dot_options,
) -> i32;

/// `impl TestElem for $t`, given its precision `$p` (unit roundoff 2^-p),
/// the unsigned integer of its width, the sentinel's bits and its C entry
/// point.
macro_rules! test_elem {
    ($t:ident, $p:literal, $uint:ty, $sentinel:literal, $entry:ident) => {
        impl TestElem for $t {
            const U: f64 = 1.0 / (1u64 << $p) as f64;
            const NAME: &'static str = stringify!($t);
            const ENTRY: EntryPoint<$t> = $entry;
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn from_bits(b: u64) -> Self {
                $t::from_bits(b as $uint)
            }
            fn sentinel() -> Self {
                $t::from_bits($sentinel)
            }
        }
    };
}

test_elem!(f32, 24, u32, 0x7fc5_a5a5, batch_dot_f32);
test_elem!(f64, 53, u64, 0x7ff8_a5a5_a5a5_a5a5, batch_dot_f64);

// ---------------------------------------------------------------------------
// Deterministic PRNG
// ---------------------------------------------------------------------------

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
        assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
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
        v[self.below(v.len() as u64) as usize]
    }

    /// Fisher-Yates shuffle of `v`.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------

/// A layout of `shape` with `strides` for its first `strides.len()`
/// dimensions (the rest 0), `offset` and `len` as given, flags 0. Nothing
/// is checked: hostile layouts are the point of some tests.
pub fn lay(shape: &[i64], strides: &[i64], offset: i64, len: i64) -> batch_dot_layout {
    let mut l = batch_dot_layout::zeroed();
    l.ndim = shape.len() as i32;
    l.shape[..shape.len()].copy_from_slice(shape);
    l.strides[..strides.len()].copy_from_slice(strides);
    l.offset = offset;
    l.len = len;
    l
}

/// `batch_dot_infer_shape` on the shapes `xs` and `ys` (their lengths are
/// the ranks), writing to `ndim` and `shape`; returns the status.
pub fn infer_shape(
    xs: &[i64],
    ys: &[i64],
    axes: (i64, i64),
    ndim: &mut i32,
    shape: &mut [i64; BATCH_DOT_MAX_NDIM],
) -> i32 {
    // SAFETY: each shape pointer is valid for its length, the rank passed
    // with it; out_shape has room for BATCH_DOT_MAX_NDIM extents.
    unsafe {
        batch_dot_infer_shape(
            xs.len() as i32,
            xs.as_ptr(),
            ys.len() as i32,
            ys.as_ptr(),
            axes.0,
            axes.1,
            ndim,
            shape.as_mut_ptr(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values the tests rely on, as the per-test copies had them.
    #[test]
    fn element_constants() {
        assert_eq!(f32::sentinel().to_bits(), 0x7fc5_a5a5);
        assert_eq!(f64::sentinel().to_bits(), 0x7ff8_a5a5_a5a5_a5a5);
        assert!(f32::sentinel().is_nan() && f64::sentinel().is_nan());
        assert_eq!(
            (f32::U, f64::U),
            (1.0 / 16_777_216.0, 1.0 / 9_007_199_254_740_992.0)
        );
        assert_eq!((f32::NAME, f64::NAME), ("f32", "f64"));
        assert_eq!(
            <f32 as TestElem>::from_bits(f32::sentinel().bits()).to_bits(),
            0x7fc5_a5a5
        );
        assert_eq!(<f32 as TestElem>::from_bits(0x3f80_0000), 1.0);
        assert_eq!(f32::from_f64(0.1), 0.1f32);
    }
}
