//! The 16-bit floating dtypes, bfloat16 and float16 (docs/API.md, "Element
//! types (version 0.2)"; docs/SEMANTICS.md §12), stated independently of
//! the library:
//!
//! - [`Format`]: a binary floating-point format by its exponent and
//!   fraction widths ([`BF16`], [`F16`], and [`F32`] for the accumulator),
//!   with [`Format::decode`] by the formula `sign·2^e·(1 + m/2^k)` and
//!   [`Format::encode`], an exact rounding of any f64 (to nearest even, or
//!   directed) in integer arithmetic, subnormals, overflow and NaN included;
//! - [`batch_dot16`]: the reference on 16-bit inputs (exact in f64, the
//!   compensated sum of [`crate::reference`], `Σ|x·y|`);
//! - [`check`] and [`check_scaled`]: whether an output is right. An f32
//!   output must lie within `2(K+2)·2^-24·Σ|x·y|` of the exact sum; a
//!   16-bit output must be the rounding to nearest even of *some* f32 value
//!   within that bound (docs/API.md: the f32 sum rounded once). Rounding is
//!   monotone, so that set is every value between the roundings of the two
//!   ends of the interval, which is what is tested;
//! - [`OutElem`]: the two output element types (`u16` bits, `f32`) with
//!   their "not written" sentinels, and [`tensor16`], a random 16-bit input
//!   tensor through the test kit's layout generator.
//!
//! Nothing here calls the library (not even Rust's own f16 support, which
//! is not stable): a conversion bug in the library cannot hide in its
//! reference.

use batch_dot::batch_dot_layout;

use crate::layouts::{tensor_with, Arrangement, Tensor};
use crate::reference::{self, Reference, SCALE_BLOCK_K};
use crate::rng::SplitMix64;

/// A binary floating-point format: `exp_bits` exponent bits (bias
/// `2^(exp_bits-1) - 1`), `frac_bits` fraction bits, one sign bit, stored
/// in the low `1 + exp_bits + frac_bits` bits of a `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Width of the exponent field.
    pub exp_bits: u32,
    /// Width of the fraction field (k: the precision is k + 1 bits).
    pub frac_bits: u32,
    /// docs/API.md's name of the dtype.
    pub name: &'static str,
    /// docs/API.md's dtype code.
    pub code: i32,
}

/// bfloat16: the top half of a binary32 (8 exponent bits, 7 fraction bits).
pub const BF16: Format = Format {
    exp_bits: 8,
    frac_bits: 7,
    name: "bfloat16",
    code: 4,
};
/// IEEE binary16 (5 exponent bits, 10 fraction bits).
pub const F16: Format = Format {
    exp_bits: 5,
    frac_bits: 10,
    name: "float16",
    code: 3,
};
/// IEEE binary32, the accumulation type (and an output type).
pub const F32: Format = Format {
    exp_bits: 8,
    frac_bits: 23,
    name: "float32",
    code: 1,
};

/// A rounding direction for [`Format::encode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// To nearest, ties to even (IEEE's default; the library's one rounding).
    Nearest,
    /// Toward +Inf: the smallest value of the format `>= v` (a negative
    /// value whose result is zero gives -0).
    Up,
    /// Toward -Inf: the largest value of the format `<= v`.
    Down,
}

/// `2^e` for `-1022 <= e <= 1023`, built from its bits.
fn pow2(e: i32) -> f64 {
    assert!((-1022..=1023).contains(&e), "pow2({e})");
    f64::from_bits(((e + 1023) as u64) << 52)
}

impl Format {
    /// The exponent bias, `2^(exp_bits-1) - 1`.
    pub fn bias(self) -> i32 {
        (1 << (self.exp_bits - 1)) - 1
    }
    /// The all-ones exponent field (Inf and NaN).
    fn exp_all(self) -> u32 {
        (1 << self.exp_bits) - 1
    }
    /// The sign bit.
    pub fn sign_bit(self) -> u32 {
        1 << (self.exp_bits + self.frac_bits)
    }
    /// +Inf's bits.
    pub fn inf(self) -> u32 {
        self.exp_all() << self.frac_bits
    }
    /// The quiet NaN this kit uses for inputs (the top fraction bit set).
    pub fn nan(self) -> u32 {
        self.inf() | 1 << (self.frac_bits - 1)
    }
    /// The largest finite value's bits.
    pub fn max_bits(self) -> u32 {
        self.inf() - 1
    }
    /// The largest finite value.
    pub fn max(self) -> f64 {
        self.decode(self.max_bits())
    }
    /// Whether `bits` is a NaN (exponent all ones, fraction not zero).
    pub fn is_nan(self, bits: u32) -> bool {
        let mag = bits & !self.sign_bit();
        mag > self.inf() && mag < self.sign_bit()
    }

    /// The value of `bits`: `sign·2^(e-bias)·(1 + m/2^k)` for an exponent
    /// field e in `1..all ones`, `sign·2^(1-bias)·(m/2^k)` for e = 0
    /// (subnormals and zeros), ±Inf or NaN for all ones. Exact (every
    /// format here fits in f64).
    pub fn decode(self, bits: u32) -> f64 {
        let k = self.frac_bits;
        let s = if bits & self.sign_bit() != 0 {
            -1.0
        } else {
            1.0
        };
        let e = (bits >> k) & self.exp_all();
        let m = bits & ((1 << k) - 1);
        if e == self.exp_all() {
            return if m == 0 { s * f64::INFINITY } else { f64::NAN };
        }
        // (2^k + m)·2^(e - bias - k), or m·2^(1 - bias - k): integers below
        // 2^24 times a power of two, exact.
        let (mant, exp) = if e == 0 {
            (m, 1 - self.bias() - k as i32)
        } else {
            (m | 1 << k, e as i32 - self.bias() - k as i32)
        };
        s * mant as f64 * pow2(exp)
    }

    /// `v` rounded to this format in direction `mode`, exactly: `v`'s
    /// significand is shifted to the quantum of its binade in this format
    /// (that of the subnormals below the smallest normal binade), rounded
    /// on the bits shifted out, and the carry may step into the next
    /// binade (or to Inf). Overflow gives ±Inf, or the largest finite
    /// value when rounding toward zero; a zero result keeps `v`'s sign; a
    /// NaN gives [`Format::nan`].
    pub fn encode(self, v: f64, mode: Rounding) -> u32 {
        if v.is_nan() {
            return self.nan();
        }
        let neg = v.is_sign_negative();
        let sign = if neg { self.sign_bit() } else { 0 };
        let a = v.abs();
        if a == f64::INFINITY {
            return sign | self.inf();
        }
        if a == 0.0 {
            return sign;
        }
        let k = self.frac_bits as i32;
        // a = m·2^ex with an integer m, and 2^e <= a < 2^(e+1).
        let b = a.to_bits();
        let (ef, fr) = ((b >> 52) as i32, b & ((1 << 52) - 1));
        let (m, ex) = if ef == 0 {
            (fr, -1074)
        } else {
            (fr | 1 << 52, ef - 1075)
        };
        let e = ex + 63 - m.leading_zeros() as i32;
        let emin = 1 - self.bias();
        // The quantum (value of the last fraction bit) of a's binade here.
        let q = e.max(emin) - k;
        let away = matches!((mode, neg), (Rounding::Up, false) | (Rounding::Down, true));
        let toward_zero = matches!((mode, neg), (Rounding::Up, true) | (Rounding::Down, false));
        let shift = q - ex;
        let r: u64 = if shift <= 0 {
            // a is a multiple of the quantum: exact (m has at most k + 1
            // significant bits here).
            m << -shift
        } else {
            let (r0, rem, half) = if shift >= 64 {
                (0, m, u64::MAX) // m < 2^53: below half a quantum
            } else {
                (m >> shift, m & ((1u64 << shift) - 1), 1u64 << (shift - 1))
            };
            let up = if toward_zero {
                false
            } else if away {
                rem != 0
            } else {
                rem > half || (rem == half && r0 & 1 == 1)
            };
            r0 + up as u64
        };
        // r units of 2^q, r <= 2^(k+1): the exponent field is e + bias for
        // r in [2^k, 2^(k+1)), and r's bit k carries into it (a subnormal
        // that rounds up to 2^k becomes the smallest normal, 2^(k+1) the
        // next binade).
        let field = (q + k + self.bias() - 1) as u64;
        let bits = (field << k) + r;
        if bits >= self.inf() as u64 {
            return sign
                | if toward_zero {
                    self.max_bits()
                } else {
                    self.inf()
                };
        }
        sign | bits as u32
    }

    /// `v` rounded to nearest, ties to even.
    pub fn round(self, v: f64) -> u32 {
        self.encode(v, Rounding::Nearest)
    }

    /// `v` rounded to nearest even in this format, as a value.
    pub fn round_value(self, v: f64) -> f64 {
        self.decode(self.round(v))
    }

    /// A key of `bits` whose order is the order of the values (-0 just
    /// below +0; ±Inf at the ends). Not for NaN.
    pub fn key(self, bits: u32) -> i64 {
        let mag = (bits & !self.sign_bit()) as i64;
        if bits & self.sign_bit() != 0 {
            -mag - 1
        } else {
            mag
        }
    }
}

/// The f32 value of a 16-bit `bits` (exact: every bfloat16 and float16
/// value, subnormals included, is a binary32 value).
pub fn to_f32(fmt: Format, bits: u16) -> f32 {
    f32::from_bits(F32.round(fmt.decode(bits as u32)))
}

/// An f32 value rounded once, to nearest even, to a 16-bit format: what
/// the library does with its f32 sum.
pub fn from_f32(fmt: Format, v: f32) -> u16 {
    fmt.round(F32.decode(v.to_bits())) as u16
}

/// An output element type: `u16` (bfloat16 or float16 bits) or `f32`.
pub trait OutElem: Copy + std::fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The element's bits, widened.
    fn bits32(self) -> u32;
    /// The element with bits `b`.
    fn from_bits32(b: u32) -> Self;
}

impl OutElem for u16 {
    fn bits32(self) -> u32 {
        self as u32
    }
    fn from_bits32(b: u32) -> Self {
        b as u16
    }
}

impl OutElem for f32 {
    fn bits32(self) -> u32 {
        self.to_bits()
    }
    fn from_bits32(b: u32) -> Self {
        f32::from_bits(b)
    }
}

/// The "not written" marker of an output of `fmt`: a NaN no test puts in
/// an input and the library never makes. For bfloat16 and float16 a
/// signalling NaN (arithmetic and conversions give quiet ones); for f32 the
/// test kit's f32 sentinel ([`crate::TestElem::sentinel`]).
pub fn sentinel(fmt: Format) -> u32 {
    match fmt {
        BF16 => 0x7f85,
        F16 => 0x7d5a,
        _ => 0x7fc5_a5a5,
    }
}

/// docs/API.md's bound on `|got - exact|` for a floating 16-bit path
/// before the final rounding: `2(K+2)·2^-24·Σ|x·y|`.
pub fn bound(k: usize, abs_sum: f64) -> f64 {
    2.0 * (k as f64 + 2.0) * F32_U * abs_sum
}

/// The unit roundoff of the f32 accumulation, 2^-24.
pub const F32_U: f64 = 1.0 / 16_777_216.0;

/// Whether `got` (bits of `out`) is the rounding to `out` of an f32 value
/// `v` with `|v - want| <= b` (an f32 sum beyond f32's range may be the
/// Inf of its sign). The ends of `[want - b, want + b]` are widened by one
/// f64 ulp (want is the exact sum to about that), rounded inward to f32,
/// then to `out`; `got` must lie between them.
pub fn in_rounded_interval(out: Format, want: f64, b: f64, got: u32) -> bool {
    if out.is_nan(got) || want.is_nan() || b.is_nan() {
        return false;
    }
    let (lo, hi) = ((want - b).next_down(), (want + b).next_up());
    let fmax = F32.max();
    let lo32 = if lo < -fmax {
        F32.sign_bit() | F32.inf()
    } else {
        F32.encode(lo, Rounding::Up)
    };
    let hi32 = if hi > fmax {
        F32.inf()
    } else {
        F32.encode(hi, Rounding::Down)
    };
    let lo = out.round(F32.decode(lo32));
    let hi = out.round(F32.decode(hi32));
    (out.key(lo)..=out.key(hi)).contains(&out.key(got))
}

/// The reference of `batch_dot(x, y, (axis_x, axis_y))` on 16-bit inputs
/// of `fmt` seen through layouts: each element decoded exactly
/// ([`Format::decode`]) and summed by [`reference::batch_dot_by`] (the
/// compensated sum in f64, `Σ|x·y|`, the NaN, Inf and zero rules). The
/// oracle's status when the call is not valid.
pub fn batch_dot16(
    fmt: Format,
    x: &batch_dot_layout,
    xd: &[u16],
    y: &batch_dot_layout,
    yd: &[u16],
    axis_x: i64,
    axis_y: i64,
) -> Result<Reference, i32> {
    let at =
        |l: &batch_dot_layout, d: &[u16], idx: &[usize]| fmt.decode(d[position(l, idx)] as u32);
    reference::batch_dot_by(
        &x.shape[..x.ndim as usize],
        |i| at(x, xd, i),
        &y.shape[..y.ndim as usize],
        |i| at(y, yd, i),
        axis_x,
        axis_y,
    )
}

/// The buffer index of the logical index `idx` (dimensions of extent 1
/// ignored). Panics outside the buffer's index range.
pub fn position(l: &batch_dot_layout, idx: &[usize]) -> usize {
    let mut off = l.offset as i128;
    for (d, &i) in idx.iter().enumerate() {
        if l.shape[d] > 1 {
            off += i as i128 * l.strides[d] as i128;
        }
    }
    usize::try_from(off).expect("offset outside the buffer")
}

/// Whether `got` (bits of an output of `out`: [`F32`], [`BF16`] or [`F16`])
/// is right for element `i` of `r`:
/// - an exact NaN must be a NaN; an exact ±Inf (an Inf input) the same Inf;
/// - when every product has a zero factor (K = 0 included), `+0` (bits 0);
/// - otherwise the rounding to `out` of an f32 value within [`bound`] of
///   the exact sum ([`in_rounded_interval`]): for an f32 output, a value
///   within the bound; a sum beyond `out`'s range is the Inf of its sign.
pub fn check(r: &Reference, i: usize, out: Format, got: u32) -> Result<(), String> {
    let want = r.value[i];
    let b = bound(r.k, r.abs_sum[i]);
    let ok = if want.is_nan() {
        out.is_nan(got)
    } else if r.zero_products[i] {
        got == 0
    } else if want.is_infinite() {
        out.decode(got) == want
    } else {
        in_rounded_interval(out, want, b, got)
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "element {i}: got {got:#x} = {:e} ({}), reference {want:e} (K = {}, Σ|x·y| = {:e}, \
         bound {b:e}; {})",
        out.decode(got),
        out.name,
        r.k,
        r.abs_sum[i],
        if r.zero_products[i] {
            "every product has a zero factor: +0".to_string()
        } else {
            format!(
                "{} rounds to {:#x}",
                out.name,
                out.round(F32.round_value(want))
            )
        }
    ))
}

/// Whether `got` (bits of an output of `out`) is right for element `i` of
/// a scaled call (`BATCH_DOT_OPT_SCALE`) on 16-bit inputs, when out held
/// `before` (bits of `out`): docs/API.md, `v = alpha·s + beta·out` with
/// alpha and beta rounded to f32, out read exactly, computed in f32 and
/// rounded once to `out`; `beta == 0` does not read out.
/// - when the IEEE value in f64 is NaN, `got` is NaN; when it is ±Inf, the
///   same Inf (with an infinite alpha and a sum whose sign or blocks are
///   uncertain, any Inf or NaN, as in [`Reference::check_scaled`]);
/// - when every product has a zero factor, exactly the IEEE value of
///   `alpha·(+0) + beta·out` in f32, rounded to `out`;
/// - otherwise the rounding to `out` of an f32 value within
///   `|alpha|·2(K+2)·2^-24·Σ|x·y| + 2·2^-24·(|alpha·Σ| + |beta·out|)` of
///   the exact value ([`reference::scaled_bound`] with u = 2^-24).
pub fn check_scaled(
    r: &Reference,
    i: usize,
    out: Format,
    alpha: f64,
    beta: f64,
    before: u32,
    got: u32,
) -> Result<(), String> {
    let (alpha, beta) = (F32.round_value(alpha), F32.round_value(beta));
    let sum = r.value[i];
    let bef = out.decode(before);
    let b_out = if beta == 0.0 { 0.0 } else { beta * bef };
    let naive = alpha * sum + b_out;
    let g = out.decode(got);
    let sb = reference::scaled_bound(r.k, F32_U, r.abs_sum[i], alpha, sum, b_out);
    let ok = if naive.is_nan() {
        out.is_nan(got)
    } else if r.zero_products[i] {
        // alpha·(+0) is ±0 (or NaN, caught above); beta·out is exact in
        // f64 and rounded once to f32 (a product or an FMA's addend).
        let mut z = alpha * 0.0;
        if beta != 0.0 {
            z += F32.round_value(beta * bef);
        }
        let want = out.round(z);
        got == want || (out.is_nan(got) && out.is_nan(want))
    } else if naive.is_infinite() {
        let unsure =
            alpha.is_infinite() && (r.k > SCALE_BLOCK_K || sum.abs() <= bound(r.k, r.abs_sum[i]));
        g == naive || (unsure && (g.is_infinite() || g.is_nan()))
    } else {
        let want = if beta == 0.0 {
            alpha * sum
        } else {
            reference::dot2(alpha, sum, beta, bef)
        };
        in_rounded_interval(out, want, sb, got)
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "element {i}: got {got:#x} = {g:e} ({}), reference {alpha:e}·{sum:e} + {beta:e}·{bef:e} \
         (K = {}, Σ|x·y| = {:e}, bound {sb:e})",
        out.name, r.k, r.abs_sum[i]
    ))
}

/// A random 16-bit input tensor of `shape`, arranged as `arr` by the test
/// kit's generator ([`tensor_with`]): values from `value`, the rest of the
/// buffer [`sentinel`] (with `broadcast`, values everywhere).
pub fn tensor16(
    fmt: Format,
    shape: &[i64],
    arr: Arrangement,
    rng: &mut SplitMix64,
    value: impl FnMut(&mut SplitMix64) -> u16,
) -> Tensor<u16> {
    tensor_with(shape, arr, rng, sentinel(fmt) as u16, value)
}

/// A random value of `fmt`: uniform in `[-scale, scale)` rounded to
/// nearest, `scale` a power of two from 2^-3 to 2^3 (so products and sums
/// of a few thousand terms stay far from float16's range and from f32's
/// subnormals).
pub fn random_value(fmt: Format, rng: &mut SplitMix64) -> u16 {
    let scale = pow2(rng.range_i64(-3, 3) as i32);
    fmt.round((rng.unit_f64() * 2.0 - 1.0) * scale) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoding by hand-checked values of each format.
    #[test]
    fn decode_known_values() {
        for (fmt, bits, v) in [
            (BF16, 0x3f80, 1.0),
            (BF16, 0xc000, -2.0),
            (BF16, 0x3f81, 1.0 + 1.0 / 128.0),
            (BF16, 0x7f7f, 3.389_531_389_251_535_5e38),
            (BF16, 0x0080, pow2(-126)),
            (BF16, 0x0001, pow2(-133)),
            (BF16, 0x8001, -pow2(-133)),
            (BF16, 0x007f, 127.0 * pow2(-133)),
            (F16, 0x3c00, 1.0),
            (F16, 0x3c01, 1.0 + 1.0 / 1024.0),
            (F16, 0x7bff, 65504.0),
            (F16, 0xfbff, -65504.0),
            (F16, 0x0400, pow2(-14)),
            (F16, 0x0001, pow2(-24)),
            (F16, 0x03ff, 1023.0 * pow2(-24)),
            (F16, 0x3555, 0.333_251_953_125),
            (F32, 0x3f80_0000, 1.0),
            (F32, 0x0000_0001, pow2(-149) * 1.0),
            (F32, 0x7f7f_ffff, f32::MAX as f64),
        ] {
            assert_eq!(fmt.decode(bits), v, "{} {bits:#x}", fmt.name);
        }
        for fmt in [BF16, F16, F32] {
            assert_eq!(fmt.decode(fmt.inf()), f64::INFINITY);
            assert_eq!(fmt.decode(fmt.sign_bit() | fmt.inf()), f64::NEG_INFINITY);
            assert!(fmt.decode(fmt.nan()).is_nan());
            assert!(fmt.is_nan(fmt.nan()) && fmt.is_nan(fmt.nan() | fmt.sign_bit()));
            assert!(fmt.is_nan(sentinel(fmt)));
            assert!(!fmt.is_nan(fmt.inf()) && !fmt.is_nan(fmt.max_bits()));
            assert_eq!(fmt.decode(fmt.sign_bit()).to_bits(), (-0.0f64).to_bits());
        }
        assert_eq!(F16.max(), 65504.0);
        assert_eq!(BF16.max(), 3.389_531_389_251_535_5e38);
        // The sentinels are signalling NaNs (top fraction bit clear).
        assert_eq!(sentinel(BF16) & 0x40, 0);
        assert_eq!(sentinel(F16) & 0x200, 0);
    }

    /// Every 16-bit pattern decodes to a value that encodes back to it
    /// (NaNs to the quiet NaN), and to the f32 whose top half it is
    /// (bfloat16).
    #[test]
    fn every_pattern_round_trips() {
        for b in 0..=u16::MAX {
            let b = b as u32;
            for fmt in [BF16, F16] {
                let v = fmt.decode(b);
                let back = fmt.round(v);
                if fmt.is_nan(b) {
                    assert_eq!(back, fmt.nan());
                } else {
                    assert_eq!(back, b, "{} {b:#x}", fmt.name);
                    assert_eq!(F32.round_value(v).to_bits(), v.to_bits(), "exact in f32");
                    for mode in [Rounding::Up, Rounding::Down] {
                        assert_eq!(fmt.encode(v, mode), b, "{} {b:#x} {mode:?}", fmt.name);
                    }
                }
            }
            let f = f32::from_bits(b << 16);
            if !f.is_nan() {
                assert_eq!(BF16.decode(b).to_bits(), (f as f64).to_bits(), "{b:#x}");
            }
        }
    }

    /// Midpoints between neighbours round to the even one, and anything
    /// off the midpoint to the nearer one; directed modes pick the
    /// neighbour on their side.
    #[test]
    fn rounding_between_neighbours() {
        for fmt in [BF16, F16] {
            for b in 0..fmt.max_bits() {
                let (a, c) = (fmt.decode(b), fmt.decode(b + 1));
                let mid = (a + c) / 2.0; // exact in f64
                let even = if b & 1 == 0 { b } else { b + 1 };
                assert_eq!(fmt.round(mid), even, "{} {b:#x}", fmt.name);
                assert_eq!(fmt.round(-mid), even | fmt.sign_bit());
                let (below, above) = (mid.next_down(), mid.next_up());
                assert_eq!(fmt.round(below), b);
                assert_eq!(fmt.round(above), b + 1);
                assert_eq!(fmt.encode(mid, Rounding::Up), b + 1);
                assert_eq!(fmt.encode(mid, Rounding::Down), b);
                assert_eq!(fmt.encode(-mid, Rounding::Up), b | fmt.sign_bit());
                assert_eq!(fmt.encode(-mid, Rounding::Down), (b + 1) | fmt.sign_bit());
            }
        }
    }

    /// Overflow, the edges of the subnormals, zeros.
    #[test]
    fn overflow_underflow_and_zeros() {
        // float16: 65504 + 16 (the midpoint to 65536) is Inf; just below, 65504.
        assert_eq!(F16.round(65519.999), 0x7bff);
        assert_eq!(F16.round(65520.0), 0x7c00);
        assert_eq!(F16.round(-65520.0), 0xfc00);
        assert_eq!(F16.round(1e300), 0x7c00);
        assert_eq!(F16.encode(1e300, Rounding::Down), 0x7bff);
        assert_eq!(F16.encode(-1e300, Rounding::Up), 0xfbff);
        assert_eq!(F16.encode(-1e300, Rounding::Down), 0xfc00);
        // bfloat16: max + half an ulp ties to even, which is Inf.
        let max = BF16.max();
        assert_eq!(BF16.round(max + pow2(119)), 0x7f80);
        assert_eq!(BF16.round(max + pow2(118)), 0x7f7f);
        assert_eq!(BF16.round(f32::MAX as f64), 0x7f80);
        // Subnormals: half the smallest rounds to 0 (even), more to it.
        assert_eq!(F16.round(pow2(-25)), 0x0000);
        assert_eq!(F16.round(pow2(-25) * 1.5), 0x0001);
        assert_eq!(F16.round(-pow2(-25)), 0x8000);
        assert_eq!(F16.round(pow2(-26)), 0);
        assert_eq!(F16.encode(pow2(-60), Rounding::Up), 0x0001);
        assert_eq!(F16.encode(-pow2(-60), Rounding::Up), 0x8000);
        assert_eq!(
            F16.round(pow2(-14) - pow2(-25)),
            0x0400,
            "rounds up to the smallest normal"
        );
        assert_eq!(BF16.round(pow2(-134)), 0x0000);
        assert_eq!(BF16.round(pow2(-134) * 3.0), 0x0002);
        assert_eq!(BF16.round(f64::MIN_POSITIVE / 1024.0), 0);
        assert_eq!(BF16.encode(5e-324, Rounding::Up), 1);
        assert_eq!(F32.encode(5e-324, Rounding::Up), 1);
        assert_eq!(F32.encode(-5e-324, Rounding::Up), 0x8000_0000);
        assert_eq!(F32.encode(-5e-324, Rounding::Down), 0x8000_0001);
        assert_eq!(BF16.round(0.0), 0);
        assert_eq!(BF16.round(-0.0), 0x8000);
        assert_eq!(F16.round(f64::NAN), 0x7e00);
        assert_eq!(BF16.round(f64::NEG_INFINITY), 0xff80);
        // RNE, not truncation: 1 + 3·2^-9 is 0x3f81 in bfloat16.
        assert_eq!(BF16.round(1.0 + 3.0 * pow2(-9)), 0x3f81);
        assert_eq!(BF16.round(1.0 + pow2(-8)), 0x3f80);
        assert_eq!(BF16.round(1.0 + 3.0 * pow2(-8)), 0x3f82);
    }

    /// Rounding to f32 agrees with the hardware's f64 -> f32 conversion
    /// (round to nearest even) on random values of every magnitude, and
    /// the directed modes bracket it; bfloat16 agrees with the well-known
    /// integer formula on f32 bits.
    #[test]
    fn agrees_with_hardware_f32() {
        let mut r = SplitMix64::new(16);
        for _ in 0..200_000 {
            let v = f64::from_bits(r.next_u64());
            if v.is_nan() {
                continue;
            }
            let hw = (v as f32).to_bits();
            assert_eq!(F32.round(v), hw, "{v:e}");
            let (up, down) = (F32.encode(v, Rounding::Up), F32.encode(v, Rounding::Down));
            let (fu, fd) = (F32.decode(up), F32.decode(down));
            assert!(fd <= v && v <= fu, "{v:e}: {fd:e} {fu:e}");
            if fu.is_finite() && fd.is_finite() && fu != fd {
                assert_eq!(F32.key(up) - F32.key(down), 1, "{v:e}: neighbours");
            }
            // bfloat16 from the f32 bits w: (w + 0x7fff + bit 16 of w) >> 16.
            let w = (v as f32).to_bits();
            if !f32::from_bits(w).is_nan() {
                let want = (w + 0x7fff + ((w >> 16) & 1)) >> 16;
                let got = from_f32(BF16, f32::from_bits(w));
                assert_eq!(got as u32, want, "{w:#x}");
            }
        }
    }

    /// f32 values near the float16 range: rounding from f32 once.
    #[test]
    fn float16_from_f32() {
        assert_eq!(from_f32(F16, 65520.0), 0x7c00);
        assert_eq!(from_f32(F16, 65519.996), 0x7bff);
        assert_eq!(from_f32(F16, 1.0 + 3.0 / 4096.0), 0x3c01);
        assert_eq!(from_f32(F16, 1.0 + 1.0 / 2048.0), 0x3c00);
        assert_eq!(from_f32(F16, 5.960_464_5e-8), 0x0001);
        assert_eq!(to_f32(F16, 0x0001), 5.960_464_5e-8);
        assert_eq!(to_f32(BF16, 0x0001).to_bits(), 0x0001_0000);
        assert_eq!(to_f32(F16, 0xfc00), f32::NEG_INFINITY);
    }

    fn one(value: f64, abs_sum: f64, k: usize) -> Reference {
        Reference {
            shape: vec![1, 1],
            value: vec![value],
            abs_sum: vec![abs_sum],
            zero_products: vec![false],
            k,
        }
    }

    /// The checks accept the rounding of values within the bound and
    /// reject one step beyond, for each output type.
    #[test]
    fn checks_accept_and_reject() {
        // K = 2, Σ = 1: bound 8·2^-24 = 2^-21.
        let r = one(1.0, 1.0, 2);
        assert_eq!(bound(2, 1.0), pow2(-21));
        // Above 1 the f32 spacing is 2^-23, below it 2^-24.
        for d in [0u32, 1, 2, 4] {
            assert!(check(&r, 0, F32, 0x3f80_0000 + d).is_ok(), "+{d}");
        }
        assert!(check(&r, 0, F32, 0x3f80_0005).is_err());
        assert!(check(&r, 0, F32, 0x3f7f_fff8).is_ok()); // 1 - 8·2^-24
        assert!(check(&r, 0, F32, 0x3f7f_fff7).is_err());
        assert!(check(&r, 0, BF16, 0x3f80).is_ok());
        assert!(check(&r, 0, BF16, 0x3f81).is_err());
        assert!(check(&r, 0, BF16, 0x3f7f).is_err());
        assert!(check(&r, 0, F16, 0x3c00).is_ok());
        assert!(check(&r, 0, F16, 0x3c01).is_err());
        // Near a bfloat16 midpoint, both neighbours are roundings of f32
        // values within the bound; away from it only one is.
        let mid = 1.0 + pow2(-8);
        let r = one(mid, 1.0, 2);
        assert!(check(&r, 0, BF16, 0x3f80).is_ok() && check(&r, 0, BF16, 0x3f81).is_ok());
        let r = one(mid + pow2(-15), 1.0, 2);
        assert!(check(&r, 0, BF16, 0x3f80).is_err() && check(&r, 0, BF16, 0x3f81).is_ok());
        // The bound grows with K and Σ|x·y|.
        let r = one(mid + pow2(-15), 1000.0, 2);
        assert!(check(&r, 0, BF16, 0x3f80).is_ok());
        // Truncation instead of rounding is caught: 1 + 3·2^-9.
        let r = one(1.0 + 3.0 * pow2(-9), 1.0, 4);
        assert!(check(&r, 0, BF16, 0x3f81).is_ok() && check(&r, 0, BF16, 0x3f80).is_err());
        // Overflow: only a sum that may round past the range is Inf.
        let r = one(65520.0, 65520.0, 2);
        assert!(check(&r, 0, F16, 0x7c00).is_ok() && check(&r, 0, F16, 0x7bff).is_ok());
        let r = one(70000.0, 70000.0, 2);
        assert!(check(&r, 0, F16, 0x7c00).is_ok() && check(&r, 0, F16, 0x7bff).is_err());
        assert!(check(&r, 0, F16, 0xfc00).is_err());
        assert!(check(&r, 0, F32, F32.round(70000.0)).is_ok());
        assert!(check(&r, 0, F32, F32.inf()).is_err());
        let r = one(-1e6, 1e6, 2);
        assert!(check(&r, 0, F16, 0xfc00).is_ok() && check(&r, 0, F16, 0x7c00).is_err());
        let big = one(3.4e38, 3.4e38, 1);
        assert!(check(&big, 0, BF16, 0x7f80).is_ok() && check(&big, 0, BF16, 0x7f7f).is_err());
        assert!(check(&big, 0, F32, F32.round(3.4e38)).is_ok());
        // NaN, Inf, zero products.
        let nan = one(f64::NAN, f64::NAN, 2);
        assert!(check(&nan, 0, BF16, 0x7fc0).is_ok() && check(&nan, 0, BF16, 0x7f80).is_err());
        let inf = one(f64::NEG_INFINITY, f64::INFINITY, 2);
        assert!(check(&inf, 0, F16, 0xfc00).is_ok() && check(&inf, 0, F16, 0xfe00).is_err());
        assert!(check(&inf, 0, F16, 0x7c00).is_err());
        let mut z = one(0.0, 0.0, 3);
        z.zero_products[0] = true;
        assert!(check(&z, 0, BF16, 0).is_ok() && check(&z, 0, BF16, 0x8000).is_err());
        assert!(check(&z, 0, F32, 0).is_ok() && check(&z, 0, F32, 0x8000_0000).is_err());
        // A tiny negative exact sum rounds to -0 in float16: both zeros
        // are roundings of f32 values within the bound of [-2^-30 ± ...].
        let r = one(-pow2(-30), pow2(-30), 1);
        assert!(check(&r, 0, F16, 0x8000).is_ok());
        assert!(
            check(&r, 0, F16, 0x0000).is_err(),
            "no f32 value >= 0 within the bound"
        );
        assert!(check(&r, 0, F16, 0x8001).is_err());
    }

    #[test]
    fn scaled_checks() {
        let r = one(2.0, 2.0, 3);
        // alpha 0.125, beta 0: 0.25, whatever out held (NaN).
        assert!(check_scaled(&r, 0, BF16, 0.125, 0.0, 0x7fc0, 0x3e80).is_ok());
        assert!(check_scaled(&r, 0, BF16, 0.125, 0.0, 0x7fc0, 0x3e81).is_err());
        // beta 1: 2 + 1.5 = 3.5.
        assert!(check_scaled(&r, 0, F16, 1.0, 1.0, 0x3e00, 0x4300).is_ok());
        assert!(check_scaled(&r, 0, F16, 1.0, 1.0, 0x3e00, 0x4000).is_err());
        // beta 1 with a NaN in out: NaN.
        assert!(check_scaled(&r, 0, F16, 1.0, 1.0, 0x7e00, 0x7e00).is_ok());
        assert!(check_scaled(&r, 0, F16, 1.0, 1.0, 0x7e00, 0x4000).is_err());
        // f32 out with f32 before.
        let before = F32.round(0.5);
        assert!(check_scaled(&r, 0, F32, 0.5, -2.0, before, F32.round(0.0)).is_ok());
        assert!(check_scaled(&r, 0, F32, 0.5, -2.0, before, F32.round(0.01)).is_err());
        // Zero products: alpha·(+0) + beta·out, signs included.
        let mut z = one(0.0, 0.0, 0);
        z.zero_products[0] = true;
        assert!(check_scaled(&z, 0, BF16, -1.0, 0.0, 0x7fc0, 0x8000).is_ok());
        assert!(check_scaled(&z, 0, BF16, -1.0, 0.0, 0x7fc0, 0x0000).is_err());
        assert!(check_scaled(&z, 0, BF16, 1.0, 1.0, 0x3f80, 0x3f80).is_ok());
        assert!(check_scaled(&z, 0, BF16, 1.0, 1.0, 0x8000, 0x0000).is_ok());
        // The result is rounded once to the output: 1 + 0.25·(2^-8 + 2^-10)
        // ... a sum and out whose f32 total rounds up in bfloat16.
        let r = one(1.0, 1.0, 1);
        let before = BF16.round(pow2(-8) + pow2(-10)); // past the tie once added
        assert_eq!(BF16.decode(before), pow2(-8) + pow2(-10));
        assert!(check_scaled(&r, 0, BF16, 1.0, 1.0, before, 0x3f81).is_ok());
        assert!(check_scaled(&r, 0, BF16, 1.0, 1.0, before, 0x3f80).is_err());
    }

    #[test]
    fn reference_on_16_bit_inputs() {
        use crate::layouts::lay;
        // x (1, 3) = [1, 2^-133 (bfloat16 subnormal), 65504 in float16 terms].
        let xl = lay(&[1, 3], &[3, 1], 0, 3);
        let yl = lay(&[1, 3], &[-1, -1], 2, 3); // reversed
        let xd = [0x3f80u16, 0x0001, 0x4000];
        let yd = [0x3f80u16, 0x3f80, 0x3f80];
        let r = batch_dot16(BF16, &xl, &xd, &yl, &yd, 1, 1).unwrap();
        assert_eq!(r.value, vec![3.0 + pow2(-133)]);
        assert_eq!(r.abs_sum, vec![3.0 + pow2(-133)]);
        assert!(check(&r, 0, F32, F32.round(3.0 + pow2(-133))).is_ok());
        assert!(check(&r, 0, BF16, 0x4040).is_ok());
        let xd = [0x7bffu16, 0x4c00, 0x0001]; // 65504, 16, 2^-24
        let yd = [0x3c00u16, 0x3c00, 0x3c00];
        let r = batch_dot16(F16, &xl, &xd, &yl, &yd, 1, 1).unwrap();
        assert_eq!(r.value, vec![65520.0 + pow2(-24)]);
        // The midpoint to Inf: the bound covers f32 values on both sides.
        assert!(check(&r, 0, F16, 0x7c00).is_ok() && check(&r, 0, F16, 0x7bff).is_ok());
        assert!(check(&r, 0, F16, 0x7bfe).is_err());
        assert!(check(&r, 0, F32, F32.round(65520.0)).is_ok());
    }

    #[test]
    fn random_values_are_in_range() {
        let mut r = SplitMix64::new(1);
        for fmt in [BF16, F16] {
            for _ in 0..1000 {
                let v = fmt.decode(random_value(fmt, &mut r) as u32);
                assert!(v.abs() <= 8.0, "{v}");
            }
        }
        let t = tensor16(F16, &[2, 3], Arrangement::ALL, &mut r, |r| {
            random_value(F16, r)
        });
        assert_eq!(crate::layouts::gather(&t.layout, &t.buf), t.logical);
    }
}
