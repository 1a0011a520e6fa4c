//! The element types under test, f32 and f64, behind one trait
//! ([`TestElem`]) with their C entry points (`batch_dot_f32`,
//! `batch_dot_f64`), unit roundoff, bit patterns and the "not written"
//! sentinel; and helpers on buffers of them.

use std::fmt::Debug;

use batch_dot::{batch_dot_f32, batch_dot_f64, batch_dot_layout, batch_dot_options};

/// The type of `batch_dot_f32` / `batch_dot_f64` for elements `T`.
pub type EntryPoint<T> = unsafe extern "C" fn(
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

/// f32 or f64 for generic test code, with its C entry point.
pub trait TestElem: Copy + Debug + PartialEq + Send + Sync + 'static {
    /// Unit roundoff (2^-24, 2^-53), for the error bound of
    /// docs/SEMANTICS.md §6.
    const U: f64;
    /// The largest finite value, as f64 (where a sum overflows to ±Inf).
    const MAX: f64;
    /// +0.0.
    const ZERO: Self;
    /// Name, for messages.
    const NAME: &'static str;
    /// The C entry point: `batch_dot_f32` or `batch_dot_f64`.
    const ENTRY: EntryPoint<Self>;
    /// Widens to f64 (exact).
    fn to_f64(self) -> f64;
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
    /// As `batch_dot_f32`: every non-NULL pointer valid for what
    /// docs/API.md says the call reads or writes through it.
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

/// `impl TestElem for $t`, given its precision `$p` (unit roundoff 2^-p),
/// the unsigned integer of its width, the sentinel's bits and its C entry
/// point.
macro_rules! test_elem {
    ($t:ident, $p:literal, $uint:ty, $sentinel:literal, $entry:ident) => {
        impl TestElem for $t {
            const U: f64 = 1.0 / (1u64 << $p) as f64;
            const MAX: f64 = $t::MAX as f64;
            const ZERO: Self = 0.0;
            const NAME: &'static str = stringify!($t);
            const ENTRY: EntryPoint<$t> = $entry;
            fn to_f64(self) -> f64 {
                self as f64
            }
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

/// A buffer of exactly `len` copies of [`TestElem::sentinel`] (no spare
/// capacity, so Miri and AddressSanitizer see its true end).
pub fn sentinel_buffer<T: TestElem>(len: usize) -> Vec<T> {
    exact(vec![T::sentinel(); len])
}

/// `v` with its capacity cut to its length, so that any access past its
/// end is outside the allocation.
pub fn exact<T>(v: Vec<T>) -> Vec<T> {
    v.into_boxed_slice().into_vec()
}

/// The raw bits of each element (for bitwise comparisons: NaN payloads, -0.0).
pub fn bits<T: TestElem>(v: &[T]) -> Vec<u64> {
    v.iter().map(|e| e.bits()).collect()
}

/// Whether every element of `v` is still [`TestElem::sentinel`] ("not written").
pub fn all_sentinel<T: TestElem>(v: &[T]) -> bool {
    v.iter().all(|e| e.bits() == T::sentinel().bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values the tests rely on.
    #[test]
    fn element_constants() {
        assert_eq!(f32::sentinel().to_bits(), 0x7fc5_a5a5);
        assert_eq!(f64::sentinel().to_bits(), 0x7ff8_a5a5_a5a5_a5a5);
        assert!(f32::sentinel().is_nan() && f64::sentinel().is_nan());
        assert_eq!(
            (f32::U, f64::U),
            (1.0 / 16_777_216.0, 1.0 / 9_007_199_254_740_992.0)
        );
        assert_eq!(
            (<f32 as TestElem>::MAX, <f64 as TestElem>::MAX),
            (f32::MAX as f64, f64::MAX)
        );
        assert_eq!((f32::NAME, f64::NAME), ("f32", "f64"));
        assert_eq!(
            <f32 as TestElem>::from_bits(f32::sentinel().bits()).to_bits(),
            0x7fc5_a5a5
        );
        assert_eq!(<f32 as TestElem>::from_bits(0x3f80_0000), 1.0);
        assert_eq!(f32::from_f64(0.1), 0.1f32);
        assert_eq!(<f32 as TestElem>::ZERO.bits(), 0);
        assert!(all_sentinel(&sentinel_buffer::<f64>(3)));
        assert!(!all_sentinel(&[f64::sentinel(), 0.0]));
        assert_eq!(bits(&[-0.0f32]), vec![0x8000_0000]);
    }
}
