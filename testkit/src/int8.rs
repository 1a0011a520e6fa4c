//! The integer rows, (S8, S8, S32) and (U8, S8, S32) (docs/API.md,
//! "Element types (version 0.2)"; docs/SEMANTICS.md §12), stated
//! independently of the library:
//!
//! - [`Row`]: which row, the element value of an input byte (x's by the
//!   row, y's always int8);
//! - [`batch_dot8`]: the exact reference, a naive loop over logical indices
//!   summing `x·y` in i64 (no sum here can leave i64: |x·y| ≤ 2^15 and
//!   K < 2^48), then reduced modulo 2^32 to the int32 two's-complement
//!   value ([`wrap`]);
//! - [`check`] and [`check_scaled`]: whether an output is right, bit for
//!   bit: the wrapped sum, or with `BATCH_DOT_OPT_SCALE` and `beta = 1` the
//!   old out plus it modulo 2^32; [`scale_allowed`] is docs/API.md's rule
//!   for alpha and beta with an int32 output;
//! - [`tensor8`] and the generators: random bytes over the whole range of
//!   each type ([`random_value`]), extremes only (±127, −128 for int8; 255,
//!   254, 128 for uint8: [`extreme_value`]), and any constant.
//!
//! Nothing here calls the library: a wrong sum, a saturating kernel or a
//! wrong wrap cannot hide in its reference.

use batch_dot::batch_dot_layout;

use crate::layouts::{tensor_with, Arrangement, Tensor};
use crate::lowp::position;
use crate::oracle;
use crate::rng::SplitMix64;

/// docs/API.md's dtype code of int8.
pub const S8: i32 = 5;
/// docs/API.md's dtype code of uint8.
pub const U8: i32 = 6;
/// docs/API.md's dtype code of int32.
pub const S32: i32 = 7;

/// An integer row of docs/API.md's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// int8 · int8 → int32 (`batch_dot_s8`).
    S8S8,
    /// uint8 · int8 → int32 (only through `batch_dot_compute`).
    U8S8,
}

impl Row {
    /// Both rows.
    pub const ALL: [Row; 2] = [Row::S8S8, Row::U8S8];

    /// The dtype codes (x, y, out).
    pub fn codes(self) -> [i32; 3] {
        match self {
            Row::S8S8 => [S8, S8, S32],
            Row::U8S8 => [U8, S8, S32],
        }
    }
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Row::S8S8 => "s8·s8",
            Row::U8S8 => "u8·s8",
        }
    }
    /// Whether x is unsigned.
    pub fn x_unsigned(self) -> bool {
        self == Row::U8S8
    }
    /// The value of an x byte.
    pub fn x_value(self, b: u8) -> i64 {
        if self.x_unsigned() {
            b as i64
        } else {
            b as i8 as i64
        }
    }
    /// The value of a y byte (always int8).
    pub fn y_value(self, b: u8) -> i64 {
        b as i8 as i64
    }
    /// The largest K for which no sum can leave int32 (docs/API.md: a
    /// wrap is possible only past 131071 for S8·S8, 65793 for U8·S8):
    /// the extreme products are 2^14 (−128·−128) and −32640 (255·−128), so
    /// K of them stay within [−2^31, 2^31 − 1] up to these.
    pub fn max_exact_k(self) -> i64 {
        match self {
            // 2^14 · 131071 = 2^31 − 2^14 ≤ 2^31 − 1; 131072 · 2^14 = 2^31.
            Row::S8S8 => 131_071,
            // −32640 · 65793 = −2^31 + 128 ≥ −2^31; one more passes it.
            Row::U8S8 => 65_793,
        }
    }
}

/// `v` modulo 2^32 as an int32 (two's complement), written out: the
/// representative of `v` in `[0, 2^32)`, then shifted to `[−2^31, 2^31)`.
pub fn wrap(v: i64) -> i32 {
    let m = v.rem_euclid(1i64 << 32);
    if m >= 1i64 << 31 {
        (m - (1i64 << 32)) as i32
    } else {
        m as i32
    }
}

/// docs/API.md: with `BATCH_DOT_OPT_SCALE` and an int32 output, `alpha`
/// must be exactly 1 and `beta` 0 (either sign) or 1; NaN is neither.
pub fn scale_allowed(alpha: f64, beta: f64) -> bool {
    alpha == 1.0 && (beta == 0.0 || beta == 1.0)
}

/// The exact result of a call on integer inputs: per output element (in
/// row-major order of the result) the sum in i64 and its int32 value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exact {
    /// The result shape.
    pub shape: Vec<i64>,
    /// The exact sums.
    pub sum: Vec<i64>,
    /// The contraction length.
    pub k: usize,
}

impl Exact {
    /// Number of output elements.
    pub fn len(&self) -> usize {
        self.sum.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sum.is_empty()
    }
    /// Output element `i` as the library must store it: the sum modulo 2^32.
    pub fn value(&self, i: usize) -> i32 {
        wrap(self.sum[i])
    }
    /// Whether some sum does not fit in int32 (so the result wrapped).
    pub fn wraps(&self) -> bool {
        self.sum
            .iter()
            .any(|&s| s < i32::MIN as i64 || s > i32::MAX as i64)
    }
}

/// `batch_dot(x, y, (axis_x, axis_y))` on integer inputs of `row`, seen
/// through layouts (bytes; each read as its row's type): a naive loop over
/// logical indices in i64. The oracle's status when the shapes and axes
/// are not a valid call.
pub fn batch_dot8(
    row: Row,
    x: &batch_dot_layout,
    xd: &[u8],
    y: &batch_dot_layout,
    yd: &[u8],
    axis_x: i64,
    axis_y: i64,
) -> Result<Exact, i32> {
    let xs = &x.shape[..x.ndim as usize];
    let ys = &y.shape[..y.ndim as usize];
    let shape = oracle::shapes(xs, ys, axis_x, axis_y)?;
    let (a0, a1) = oracle::normalise_axes(xs.len(), ys.len(), axis_x, axis_y)?;
    let k = xs[a0] as usize;
    let n: usize = shape.iter().map(|&d| d as usize).product();
    let xfree: Vec<usize> = (1..xs.len()).filter(|&i| i != a0).collect();
    let yfree: Vec<usize> = (1..ys.len()).filter(|&j| j != a1).collect();
    let dims: Vec<i64> = std::iter::once(xs[0])
        .chain(xfree.iter().map(|&i| xs[i]))
        .chain(yfree.iter().map(|&j| ys[j]))
        .collect();
    let mut idx = vec![0usize; dims.len()];
    let mut xi = vec![0usize; xs.len()];
    let mut yi = vec![0usize; ys.len()];
    let mut sum = Vec::with_capacity(n);
    for _ in 0..n {
        xi[0] = idx[0];
        yi[0] = idx[0];
        for (q, &i) in xfree.iter().enumerate() {
            xi[i] = idx[1 + q];
        }
        for (q, &j) in yfree.iter().enumerate() {
            yi[j] = idx[1 + xfree.len() + q];
        }
        let mut s: i64 = 0;
        for t in 0..k {
            xi[a0] = t;
            yi[a1] = t;
            let u = row.x_value(xd[position(x, &xi)]);
            let v = row.y_value(yd[position(y, &yi)]);
            s += u * v;
        }
        sum.push(s);
        for d in (0..dims.len()).rev() {
            idx[d] += 1;
            if (idx[d] as i64) < dims[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(Exact { shape, sum, k })
}

/// Whether `got` is output element `i` of `r`, bit for bit.
pub fn check(r: &Exact, i: usize, got: i32) -> Result<(), String> {
    let want = r.value(i);
    if got == want {
        return Ok(());
    }
    Err(format!(
        "element {i}: got {got} ({:#010x}), want {want} ({:#010x}) = exact sum {} mod 2^32 (K = {})",
        got as u32, want as u32, r.sum[i], r.k
    ))
}

/// Whether `got` is output element `i` of a scaled call (`alpha` = 1, an
/// allowed `beta`) when out held `before`: beta = 0 ignores `before`
/// (whatever it was), beta = 1 adds it modulo 2^32 (in i64, then
/// [`wrap`]ped: not the library's wrapping add).
pub fn check_scaled(r: &Exact, i: usize, beta: f64, before: i32, got: i32) -> Result<(), String> {
    assert!(scale_allowed(1.0, beta), "beta {beta} is not allowed");
    let want = if beta == 0.0 {
        r.value(i)
    } else {
        wrap(before as i64 + r.sum[i])
    };
    if got == want {
        return Ok(());
    }
    Err(format!(
        "element {i}: got {got} ({:#010x}), want {want} ({:#010x}) = {} + exact sum {} mod 2^32 \
         (beta {beta}, K = {})",
        got as u32,
        want as u32,
        if beta == 0.0 { 0 } else { before as i64 },
        r.sum[i],
        r.k
    ))
}

/// The "not written" marker of an int32 output. Any int32 is a possible
/// result, so a test that relies on it must know that no output it reaches
/// holds it (the checks above catch a reached element left alone anyway).
pub const SENTINEL: i32 = 0x5a5a_a5a5;

/// The byte in an input buffer's unreached elements: −128 (int8) or 128
/// (uint8), the largest magnitude, so that reading one shows in the sum.
pub const INPUT_FILL: u8 = 0x80;

/// How input elements are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Any byte: the whole range of the type.
    Random,
    /// Only the extremes: ±127 and −128 for int8, 255, 254 and 128 for
    /// uint8 (largest products, sums nearest to int32's range).
    Extreme,
}

/// A random byte (any value).
pub fn random_value(rng: &mut SplitMix64) -> u8 {
    rng.next_u64() as u8
}

/// An extreme byte of an int8 (`unsigned` false: −128, −127 or 127) or a
/// uint8 (255, 254 or 128).
pub fn extreme_value(unsigned: bool, rng: &mut SplitMix64) -> u8 {
    let s8 = [0x80u8, 0x81, 0x7f];
    let u8_ = [0xffu8, 0xfe, 0x80];
    let i = rng.below(3) as usize;
    if unsigned {
        u8_[i]
    } else {
        s8[i]
    }
}

/// A value drawn as `vals` says, for an unsigned or a signed element.
pub fn value(vals: Values, unsigned: bool, rng: &mut SplitMix64) -> u8 {
    match vals {
        Values::Random => random_value(rng),
        Values::Extreme => extreme_value(unsigned, rng),
    }
}

/// A random integer input tensor of `shape`, arranged as `arr` by the test
/// kit's generator ([`tensor_with`]): values from `value`, the rest of the
/// buffer [`INPUT_FILL`] (with `broadcast`, values everywhere).
pub fn tensor8(
    shape: &[i64],
    arr: Arrangement,
    rng: &mut SplitMix64,
    value: impl FnMut(&mut SplitMix64) -> u8,
) -> Tensor<u8> {
    tensor_with(shape, arr, rng, INPUT_FILL, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layouts::{gather, lay};

    #[test]
    fn wrap_is_modulo_2_32() {
        assert_eq!(wrap(0), 0);
        assert_eq!(wrap(-1), -1);
        assert_eq!(wrap(i32::MAX as i64), i32::MAX);
        assert_eq!(wrap(i32::MAX as i64 + 1), i32::MIN);
        assert_eq!(wrap(i32::MIN as i64 - 1), i32::MAX);
        assert_eq!(wrap(1 << 32), 0);
        assert_eq!(wrap((1 << 32) + 5), 5);
        assert_eq!(wrap(-(1 << 32) - 5), -5);
        assert_eq!(wrap(3 << 31), i32::MIN);
        // 2^14 · 131072 = 2^31: the first S8·S8 sum that wraps.
        assert_eq!(wrap(16384 * 131_072), i32::MIN);
        assert_eq!(wrap(16384 * 131_071), i32::MAX - 16383);
        // Against Rust's own truncation (which this does not use).
        let mut r = SplitMix64::new(5);
        for _ in 0..10_000 {
            let v = r.next_u64() as i64 >> (r.below(40) as u32);
            assert_eq!(wrap(v), v as i32, "{v}");
        }
    }

    #[test]
    fn max_exact_k_is_the_edge() {
        for row in Row::ALL {
            let k = row.max_exact_k();
            // The largest and smallest products of the row.
            let (lo, hi) = match row {
                Row::S8S8 => (-128 * 127, 128 * 128),
                Row::U8S8 => (255 * -128, 255 * 127),
            };
            assert!(
                k * hi <= i32::MAX as i64 && k * lo >= i32::MIN as i64,
                "{row:?}"
            );
            let k1 = k + 1;
            assert!(
                k1 * hi > i32::MAX as i64 || k1 * lo < i32::MIN as i64,
                "{row:?}"
            );
        }
    }

    #[test]
    fn scale_rule() {
        assert!(scale_allowed(1.0, 0.0) && scale_allowed(1.0, -0.0) && scale_allowed(1.0, 1.0));
        for (a, b) in [
            (0.5, 0.0),
            (f64::NAN, 0.0),
            (1.0, f64::NAN),
            (1.0, 2.0),
            (1.0, -1.0),
            (-1.0, 1.0),
            (1.0 + f64::EPSILON, 0.0),
            (1.0, 1e-300),
            (f64::INFINITY, 1.0),
        ] {
            assert!(!scale_allowed(a, b), "{a} {b}");
        }
    }

    #[test]
    fn reference_by_hand() {
        // x (1, 3) = [-128, 127, 1], y (1, 3) reversed over [2, -1, -128].
        let xl = lay(&[1, 3], &[3, 1], 0, 3);
        let yl = lay(&[1, 3], &[-1, -1], 2, 3);
        let xd = [0x80u8, 0x7f, 0x01];
        let yd = [0x02u8, 0xff, 0x80]; // logical [-128, -1, 2]
        let r = batch_dot8(Row::S8S8, &xl, &xd, &yl, &yd, 1, 1).unwrap();
        assert_eq!(r.sum, vec![16384 - 127 + 2]);
        assert!(check(&r, 0, 16259).is_ok() && check(&r, 0, 16258).is_err());
        // uint8: 0x80 is 128, 0xff 255.
        let r = batch_dot8(Row::U8S8, &xl, &xd, &yl, &yd, 1, 1).unwrap();
        assert_eq!(r.sum, vec![128 * -128 - 127 + 2]);
        // A 16-bit saturating pair sum (vpmaddubsw) would give 32767 for
        // 255·127 + 255·127 = 64770: the check rejects it.
        let xl = lay(&[1, 2], &[2, 1], 0, 2);
        let r = batch_dot8(Row::U8S8, &xl, &[255, 255], &xl, &[127, 127], 1, 1).unwrap();
        assert_eq!(r.value(0), 64770);
        assert!(check(&r, 0, 32767).is_err());
        // Scaled: beta 1 adds modulo 2^32, beta 0 ignores out.
        assert!(check_scaled(&r, 0, 0.0, 77, 64770).is_ok());
        assert!(check_scaled(&r, 0, 1.0, i32::MAX, wrap(i32::MAX as i64 + 64770)).is_ok());
        assert!(check_scaled(&r, 0, 1.0, i32::MAX, i32::MAX).is_err());
        assert!(check_scaled(&r, 0, -0.0, i32::MAX, 64770).is_ok());
        // K = 0: 0.
        let e = lay(&[2, 0], &[0, 1], 0, 0);
        let r = batch_dot8(Row::S8S8, &e, &[], &e, &[], 1, 1).unwrap();
        assert_eq!(r.sum, vec![0, 0]);
        // Not a call: the oracle's status.
        assert_eq!(
            batch_dot8(Row::S8S8, &xl, &[0; 2], &e, &[], 1, 1),
            Err(oracle::st::BATCH_MISMATCH)
        );
    }

    #[test]
    fn generators() {
        let mut r = SplitMix64::new(3);
        let mut seen = [false; 256];
        for _ in 0..5000 {
            seen[random_value(&mut r) as usize] = true;
            let s = extreme_value(false, &mut r) as i8;
            assert!(s == -128 || s == -127 || s == 127, "{s}");
            let u = extreme_value(true, &mut r);
            assert!(u == 255 || u == 254 || u == 128, "{u}");
        }
        assert!(seen.iter().all(|&s| s), "every byte value");
        let t = tensor8(&[2, 3, 5], Arrangement::ALL, &mut r, random_value);
        assert_eq!(gather(&t.layout, &t.buf), t.logical);
    }
}
