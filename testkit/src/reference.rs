//! The one naive reference: `batch_dot` by its definition
//! (docs/SEMANTICS.md §1), a loop over logical indices in f64, and the one
//! error bound a result is held to (docs/SEMANTICS.md §6).
//!
//! The axes and the result shape come from this kit's own normalisation
//! ([`crate::oracle`]); the library's checks, plan and kernels are not used.
//! Each output is the sum over the contraction in ascending order with
//! error-free transformations (the product's rounding error by a fused
//! multiply-add, the sum's by TwoSum, both carried along: Ogita, Rump and
//! Oishi's Dot2), so for f32 and f64 inputs it is the exact sum to within
//! about one f64 rounding; NaN and Inf propagate as in the naive IEEE sum.
//! Beside each value it keeps `Σ_t |x·y|`, the scale of the bound.

use batch_dot::batch_dot_layout;

use crate::elem::TestElem;
use crate::oracle;

/// A tensor seen through a layout: the layout and the caller's buffer (of
/// `len` elements).
#[derive(Clone, Copy, Debug)]
pub struct Strided<'a, T> {
    /// The layout.
    pub layout: &'a batch_dot_layout,
    /// The buffer the layout indexes.
    pub data: &'a [T],
}

impl<T: TestElem> Strided<'_, T> {
    /// The element at a logical index, in f64. Panics outside the buffer.
    pub fn at(&self, idx: &[usize]) -> f64 {
        let l = self.layout;
        let mut off = l.offset as i128;
        for (d, &i) in idx.iter().enumerate() {
            if l.shape[d] > 1 {
                off += i as i128 * l.strides[d] as i128;
            }
        }
        let off = usize::try_from(off).expect("reference: offset outside the buffer");
        self.data[off].to_f64()
    }

    /// The extents.
    pub fn dims(&self) -> &[i64] {
        &self.layout.shape[..self.layout.ndim as usize]
    }
}

/// The result of the reference, in row-major order of the result shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// The result shape (docs/SEMANTICS.md §1).
    pub shape: Vec<i64>,
    /// `out[b, i..., j...]`, the exact sum rounded to f64.
    pub value: Vec<f64>,
    /// `Σ_t |x[b, i.., t] · y[b, t, j..]|`.
    pub abs_sum: Vec<f64>,
    /// Whether every product of the element has a zero factor (then the
    /// result is +0.0, never -0.0: the sum starts from +0.0).
    pub zero_products: Vec<bool>,
    /// The contraction length K.
    pub k: usize,
}

/// docs/SEMANTICS.md §6's bound on `|got - exact|` for one output with
/// contraction length `k`, unit roundoff `u` and `Σ_t |x·y|` = `abs_sum`:
/// `(K + 1) · u · Σ|x·y|` (K roundings of the sum and products, one more for
/// the rounding of the exact value to the output type).
pub fn bound(k: usize, u: f64, abs_sum: f64) -> f64 {
    (k as f64 + 1.0) * u * abs_sum
}

/// docs/API.md ("Scale, accumulate, strided layouts")'s bound on
/// `|got - exact|` for one output of a scaled call (`BATCH_DOT_OPT_SCALE`),
/// `exact = alpha·Σ + beta·out`:
/// `|alpha|·2(K+2)·u·Σ|x·y| + 2u·(|alpha·Σ| + |beta·out|)`, where `Σ` is the
/// exact sum (`value`) and `out` what out held before the call.
pub fn scaled_bound(k: usize, u: f64, abs_sum: f64, alpha: f64, sum: f64, beta_out: f64) -> f64 {
    alpha.abs() * 2.0 * (k as f64 + 2.0) * u * abs_sum
        + 2.0 * u * ((alpha * sum).abs() + beta_out.abs())
}

/// The longest contraction the library scales as one sum: past it, the
/// GEMM adds `alpha·(partial sum)` per block of this many steps.
pub const SCALE_BLOCK_K: usize = 128;

/// `a·b + c·d` to within about one f64 rounding (error-free products and
/// sum, as in Dot2).
pub fn dot2(a: f64, b: f64, c: f64, d: f64) -> f64 {
    let (p, q) = (a * b, c * d);
    let (ep, eq) = (a.mul_add(b, -p), c.mul_add(d, -q));
    let (s, es) = two_sum(p, q);
    let r = s + (es + ep + eq);
    if r.is_finite() {
        r
    } else {
        p + q
    }
}

impl Reference {
    /// Whether `got` is correct for element `i` of a scaled call:
    /// `alpha·Σ + beta·before`, or `alpha·Σ` when `beta == 0` (out is not
    /// read: `before` is ignored, NaN included), with alpha and beta first
    /// rounded to `T` (docs/API.md: computed in the accumulation type):
    /// - when the IEEE value in f64 is NaN, `got` must be NaN; when it is
    ///   ±Inf, `got` must be the same Inf;
    /// - when every product has a zero factor (Σ = +0.0 exactly), `got` is
    ///   exactly what IEEE arithmetic gives for `alpha·(+0.0) + beta·before`
    ///   with alpha and beta rounded to `T` (signed zeros included);
    /// - otherwise within [`scaled_bound`], or the Inf of its sign when the
    ///   bound reaches past `T`'s largest value.
    pub fn check_scaled<T: TestElem>(
        &self,
        i: usize,
        alpha: f64,
        beta: f64,
        before: T,
        got: T,
    ) -> Result<(), String> {
        // The library computes in `T`: alpha and beta rounded to it first
        // (so a beta that rounds to 0 does not read out).
        let (alpha, beta) = (T::from_f64(alpha).to_f64(), T::from_f64(beta).to_f64());
        let (sum, g) = (self.value[i], got.to_f64());
        let b_out = if beta == 0.0 {
            0.0
        } else {
            beta * before.to_f64()
        };
        let naive = alpha * sum + b_out;
        let ok = if naive.is_nan() {
            g.is_nan()
        } else if self.zero_products[i] {
            let mut z = alpha * 0.0;
            if beta != 0.0 {
                z += T::from_f64(beta * before.to_f64()).to_f64();
            }
            let want = T::from_f64(z);
            got.bits() == want.bits() || (g.is_nan() && want.to_f64().is_nan())
        } else if naive.is_infinite() {
            // An infinite alpha times a sum whose sign the rounding of the
            // sum may change (or make zero), or times partial sums of more
            // than one block of K (docs/API.md: the GEMM scales each
            // block of KC = 128 steps, and Inf - Inf is NaN): any Inf, or
            // NaN, is right.
            let unsure = alpha.is_infinite()
                && (self.k > SCALE_BLOCK_K || sum.abs() <= bound(self.k, T::U, self.abs_sum[i]));
            g == naive || (unsure && (g.is_infinite() || g.is_nan()))
        } else {
            let want = if beta == 0.0 {
                alpha * sum
            } else {
                dot2(alpha, sum, beta, before.to_f64())
            };
            let bound = scaled_bound(self.k, T::U, self.abs_sum[i], alpha, sum, b_out);
            if g.is_infinite() {
                g.signum() == want.signum() && want.abs() + bound > T::MAX
            } else {
                (g - want).abs() <= bound
            }
        };
        if ok {
            return Ok(());
        }
        Err(format!(
            "element {i}: got {got:?}, reference {alpha:e}·{sum:e} + {beta:e}·{before:?} \
             (K = {}, Σ|x·y| = {:e}, bound {:e})",
            self.k,
            self.abs_sum[i],
            scaled_bound(self.k, T::U, self.abs_sum[i], alpha, sum, b_out)
        ))
    }

    /// Number of output elements.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether the result has no elements.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The row-major position of the logical index `idx` in [`Reference::value`].
    pub fn flat(&self, idx: &[usize]) -> usize {
        assert_eq!(idx.len(), self.shape.len(), "index rank");
        idx.iter()
            .zip(&self.shape)
            .fold(0, |f, (&i, &d)| f * d as usize + i)
    }

    /// Whether `got` (an output element of type `T`) is correct for element
    /// `i` (row-major):
    /// - an exact NaN must be a NaN; an exact ±Inf must be the same Inf;
    /// - a finite exact value must be within [`bound`] of `got`, or, when
    ///   the bound reaches past `T`'s largest value, `got` may be the Inf
    ///   of its sign (the sum overflowed);
    /// - when every product has a zero factor, `got` is +0.0 exactly.
    pub fn accepts<T: TestElem>(&self, i: usize, got: T) -> bool {
        let (want, g) = (self.value[i], got.to_f64());
        if want.is_nan() {
            return g.is_nan();
        }
        if self.zero_products[i] {
            return got.bits() == T::ZERO.bits();
        }
        if want.is_infinite() {
            return g == want;
        }
        let b = bound(self.k, T::U, self.abs_sum[i]);
        if g.is_infinite() {
            return g.signum() == want.signum() && want.abs() + b > T::MAX;
        }
        (g - want).abs() <= b
    }

    /// [`Reference::accepts`] with a message that says what is wrong.
    pub fn check<T: TestElem>(&self, i: usize, got: T) -> Result<(), String> {
        if self.accepts(i, got) {
            return Ok(());
        }
        let (want, a) = (self.value[i], self.abs_sum[i]);
        Err(format!(
            "element {i}: got {got:?}, reference {want:e} (K = {}, Σ|x·y| = {a:e}, bound {:e}{})",
            self.k,
            bound(self.k, T::U, a),
            if self.zero_products[i] {
                ", every product has a zero factor: +0.0"
            } else {
                ""
            }
        ))
    }
}

/// `batch_dot(x, y, (axis_x, axis_y))` by definition, on tensors given by
/// their extents and a function from a logical index to the element (in
/// f64). Returns the status the library must give (from [`oracle::shapes`])
/// when the shapes and axes are not a valid call.
pub fn batch_dot_by(
    xs: &[i64],
    x_at: impl Fn(&[usize]) -> f64,
    ys: &[i64],
    y_at: impl Fn(&[usize]) -> f64,
    axis_x: i64,
    axis_y: i64,
) -> Result<Reference, i32> {
    let shape = oracle::shapes(xs, ys, axis_x, axis_y)?;
    let (a0, a1) = oracle::normalise_axes(xs.len(), ys.len(), axis_x, axis_y)?;
    let k = xs[a0] as usize;
    let n: usize = shape.iter().map(|&d| d as usize).product();
    let mut r = Reference {
        shape,
        value: Vec::with_capacity(n),
        abs_sum: Vec::with_capacity(n),
        zero_products: Vec::with_capacity(n),
        k,
    };
    let xfree: Vec<usize> = (1..xs.len()).filter(|&i| i != a0).collect();
    let yfree: Vec<usize> = (1..ys.len()).filter(|&j| j != a1).collect();
    // The output's logical index, batch first; a rank-2·2 result has a
    // trailing 1 that maps to nothing.
    let dims: Vec<i64> = std::iter::once(xs[0])
        .chain(xfree.iter().map(|&i| xs[i]))
        .chain(yfree.iter().map(|&j| ys[j]))
        .collect();
    let mut idx = vec![0usize; dims.len()];
    let mut xi = vec![0usize; xs.len()];
    let mut yi = vec![0usize; ys.len()];
    for _ in 0..n {
        xi[0] = idx[0];
        yi[0] = idx[0];
        for (q, &i) in xfree.iter().enumerate() {
            xi[i] = idx[1 + q];
        }
        for (q, &j) in yfree.iter().enumerate() {
            yi[j] = idx[1 + xfree.len() + q];
        }
        let (mut naive, mut s, mut c, mut a) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut zero = true;
        for t in 0..k {
            xi[a0] = t;
            yi[a1] = t;
            let (u, v) = (x_at(&xi), y_at(&yi));
            let p = u * v;
            naive += p;
            a += p.abs();
            zero &= u == 0.0 || v == 0.0;
            // Dot2: the product's and the sum's rounding errors, exactly.
            let pe = u.mul_add(v, -p);
            let (s2, se) = two_sum(s, p);
            s = s2;
            c += pe + se;
        }
        let exact = s + c;
        r.value.push(if naive.is_finite() && exact.is_finite() {
            exact
        } else {
            naive // NaN and Inf propagate as in the IEEE sum
        });
        r.abs_sum.push(a);
        r.zero_products.push(zero && !naive.is_nan());
        for d in (0..dims.len()).rev() {
            idx[d] += 1;
            if (idx[d] as i64) < dims[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(r)
}

/// TwoSum (Knuth): `s = fl(a + b)` and the exact error `a + b - s`.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// [`batch_dot_by`] on tensors seen through layouts (any strides; a bad
/// layout panics).
pub fn batch_dot<T: TestElem>(
    x: Strided<'_, T>,
    y: Strided<'_, T>,
    axis_x: i64,
    axis_y: i64,
) -> Result<Reference, i32> {
    batch_dot_by(x.dims(), |i| x.at(i), y.dims(), |i| y.at(i), axis_x, axis_y)
}

/// [`batch_dot_by`] on logical tensors: extents and values in row-major order.
pub fn batch_dot_logical(
    xs: &[i64],
    x: &[f64],
    ys: &[i64],
    y: &[f64],
    axis_x: i64,
    axis_y: i64,
) -> Result<Reference, i32> {
    let at = |shape: &[i64], v: &[f64], idx: &[usize]| {
        let f = idx
            .iter()
            .zip(shape)
            .fold(0, |f, (&i, &d)| f * d as usize + i);
        v[f]
    };
    assert_eq!(x.len(), shape_len(xs), "x's values do not match its shape");
    assert_eq!(y.len(), shape_len(ys), "y's values do not match its shape");
    batch_dot_by(xs, |i| at(xs, x, i), ys, |i| at(ys, y, i), axis_x, axis_y)
}

fn shape_len(s: &[i64]) -> usize {
    s.iter().map(|&d| d.max(0) as usize).product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layouts::lay;
    use crate::oracle::st;

    const D: i64 = i64::MIN;

    /// The seed page's example, by hand: [[1,2],[3,4]]·[[5,6],[7,8]] with
    /// axes 1 is [[1·5+2·6], [3·7+4·8]] = [[17], [53]].
    #[test]
    fn seed_example_by_hand() {
        let r = batch_dot_logical(&[2, 2], &[1., 2., 3., 4.], &[2, 2], &[5., 6., 7., 8.], 1, 1)
            .unwrap();
        assert_eq!(r.shape, vec![2, 1]);
        assert_eq!(r.value, vec![17.0, 53.0]);
        assert_eq!(r.abs_sum, vec![17.0, 53.0]);
        assert_eq!(r.k, 2);
        assert_eq!(r.flat(&[1, 0]), 1);
    }

    /// x (1, 2, 3) · y (1, 3, 2) with default axes: x's last axis with y's
    /// axis 1, a plain matrix product; and with axes (1, 2), x's axis 1 with
    /// y's last: out[0, i, j] = Σ_t x[0, t, i] · y[0, j, t].
    #[test]
    fn rank3_by_hand() {
        let x = [1., 2., 3., 4., 5., 6.]; // [[1,2,3],[4,5,6]]
        let y = [1., -1., 2., 0., 0., 3.]; // [[1,-1],[2,0],[0,3]]
        let r = batch_dot_logical(&[1, 2, 3], &x, &[1, 3, 2], &y, D, D).unwrap();
        assert_eq!(r.shape, vec![1, 2, 2]);
        // [1+4+0, -1+0+9], [4+10+0, -4+0+18]
        assert_eq!(r.value, vec![5.0, 8.0, 14.0, 14.0]);
        assert_eq!(r.abs_sum, vec![5.0, 10.0, 14.0, 22.0]);
        let r = batch_dot_logical(&[1, 2, 3], &x, &[1, 3, 2], &y, 1, 2).unwrap();
        // out[0, i, j] = x[0,0,i]·y[0,j,0] + x[0,1,i]·y[0,j,1], i < 3, j < 3
        assert_eq!(r.shape, vec![1, 3, 3]);
        let want = [
            1. - 4.,
            2. + 0.,
            0. + 12.,
            2. - 5.,
            4. + 0.,
            0. + 15.,
            3. - 6.,
            6. + 0.,
            0. + 18.,
        ];
        assert_eq!(r.value, want);
    }

    #[test]
    fn invalid_calls_get_the_oracles_status() {
        let v = [0.0; 12];
        let r =
            |xs: &[i64], ys: &[i64], ax, ay| batch_dot_logical(xs, &v[..6], ys, &v[..6], ax, ay);
        assert_eq!(r(&[2, 3], &[3, 2], 1, 1), Err(st::BATCH_MISMATCH));
        assert_eq!(r(&[2, 3], &[2, 3], 0, 1), Err(st::BATCH_AXIS));
        assert_eq!(r(&[2, 3], &[2, 3], D, 1), Err(st::INVALID_AXES));
        assert_eq!(r(&[3, 2], &[3, 2], -3, -3), Err(st::INVALID_AXES));
        assert_eq!(r(&[6], &[6], 1, 1), Err(st::INVALID_RANK));
    }

    /// The same logical tensors through strided layouts (negative, zero and
    /// junk unit strides, an offset) give the same reference.
    #[test]
    fn strided_equals_logical() {
        // x (2, 3) stored column-major and reversed along axis 0, offset 1.
        let xb = [9.0f64, 4., 1., 5., 2., 6., 3.]; // x = [[1,2,3],[4,5,6]]
        let xl = lay(&[2, 3], &[-1, 2], 2, 7);
        // y (2, 3) = [[7,7,7],[8,8,8]] broadcast along axis 1.
        let yb = [7.0f64, 8.0];
        let yl = lay(&[2, 3], &[1, 0], 0, 2);
        let x = Strided {
            layout: &xl,
            data: &xb,
        };
        let y = Strided {
            layout: &yl,
            data: &yb,
        };
        let r = batch_dot(x, y, 1, 1).unwrap();
        let want = batch_dot_logical(
            &[2, 3],
            &[1., 2., 3., 4., 5., 6.],
            &[2, 3],
            &[7., 7., 7., 8., 8., 8.],
            1,
            1,
        )
        .unwrap();
        assert_eq!(r, want);
        assert_eq!(r.value, vec![42.0, 120.0]);
    }

    /// The sum is exact where a naive f64 loop is not: 1e16 + 1 - 1e16 is
    /// 0 in f64 but 1 exactly; and a product's rounding is kept.
    #[test]
    fn compensated_sum_is_exact() {
        let r = batch_dot_logical(&[1, 3], &[1e16, 1.0, -1e16], &[1, 3], &[1.0; 3], 1, 1).unwrap();
        assert_eq!(r.value, vec![1.0]);
        let e = 1.0 + f64::EPSILON;
        // (1+ε)² - (1+2ε) = ε², lost by a naive loop.
        let r = batch_dot_logical(
            &[1, 2],
            &[e, -(1.0 + 2.0 * f64::EPSILON)],
            &[1, 2],
            &[e, 1.0],
            1,
            1,
        )
        .unwrap();
        assert_eq!(r.value, vec![f64::EPSILON * f64::EPSILON]);
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

    /// The bound accepts what it must and rejects one step beyond it.
    #[test]
    fn bound_rejects_a_wrong_value() {
        // K = 1, Σ = 1: f32 bound 2·2^-24 = 2^-23.
        let r = one(1.0, 1.0, 1);
        assert_eq!(bound(1, f32::U, 1.0), f64::powi(2.0, -23));
        assert!(r.accepts(0, 1.0f32));
        assert!(r.accepts(0, 1.0f32 + f32::EPSILON)); // 1 + 2^-23: on the bound
        assert!(!r.accepts(0, 1.0f32 + 2.0 * f32::EPSILON));
        assert!(!r.accepts(0, 1.0f32 - 2.0 * f32::EPSILON));
        assert!(!r.accepts(0, 1.0f64 + 2.0 * f64::EPSILON * 2.0)); // f64: bound 2^-52
        assert!(r.accepts(0, 1.0f64 + f64::EPSILON));
        // K = 100, Σ = 1000: 101·2^-24·1000 ≈ 0.00602.
        let r = one(10.0, 1000.0, 100);
        assert!(r.accepts(0, 10.006f32));
        assert!(!r.accepts(0, 10.007f32));
        assert!(!r.accepts(0, 11.0f32));
        assert!(r.check(0, 11.0f32).unwrap_err().contains("K = 100"));
        // A wrong sign of zero where the products are zero.
        let mut r = one(0.0, 0.0, 3);
        assert!(r.accepts(0, 0.0f32));
        assert!(
            r.accepts(0, -0.0f32),
            "not all products zero: ±0 within the bound"
        );
        r.zero_products[0] = true;
        assert!(r.accepts(0, 0.0f32));
        assert!(!r.accepts(0, -0.0f32));
        assert!(!r.accepts(0, -0.0f64));
    }

    #[test]
    fn nan_and_inf_rules() {
        let nan = one(f64::NAN, f64::NAN, 2);
        assert!(nan.accepts(0, f32::NAN));
        assert!(!nan.accepts(0, 0.0f32));
        assert!(!nan.accepts(0, f32::INFINITY));
        let inf = one(f64::INFINITY, f64::INFINITY, 2);
        assert!(inf.accepts(0, f32::INFINITY));
        assert!(!inf.accepts(0, f32::NEG_INFINITY));
        assert!(!inf.accepts(0, f32::NAN));
        assert!(!inf.accepts(0, f32::MAX));
        // A finite exact value: an Inf only where the sum may overflow.
        let big = one(f32::MAX as f64, f32::MAX as f64, 2);
        assert!(big.accepts(0, f32::INFINITY));
        assert!(!big.accepts(0, f32::NEG_INFINITY));
        assert!(!big.accepts(0, f64::INFINITY), "far from f64's range");
        assert!(!one(1.0, 1.0, 2).accepts(0, f32::INFINITY));
        assert!(!one(1.0, 1.0, 2).accepts(0, f32::NAN));
        // From data: NaN in a pair, inf·0, inf + (-inf).
        let r = batch_dot_logical(
            &[3, 2],
            &[f64::NAN, 1., f64::INFINITY, 1., f64::INFINITY, -1.],
            &[3, 2],
            &[1., 1., 0., 1., 1., f64::INFINITY],
            1,
            1,
        )
        .unwrap();
        assert!(r.value.iter().all(|v| v.is_nan()), "{:?}", r.value);
        assert!(r.accepts(2, f32::NAN) && !r.zero_products[1]);
    }

    /// K = 0 and all-zero products give +0.0, which is what is accepted.
    #[test]
    fn zero_products_must_be_plus_zero() {
        let r = batch_dot_logical(&[2, 0], &[], &[2, 0], &[], 1, 1).unwrap();
        assert_eq!(
            (r.shape.clone(), r.value.clone(), r.k),
            (vec![2, 1], vec![0.0; 2], 0)
        );
        assert!(r.zero_products.iter().all(|&z| z));
        assert!(r.accepts(0, 0.0f64) && !r.accepts(0, -0.0f64) && !r.accepts(0, 1e-300f64));
        let r = batch_dot_logical(&[1, 2], &[-0.0, 0.0], &[1, 2], &[1.0, -3.0], 1, 1).unwrap();
        assert!(r.zero_products[0] && r.value[0].to_bits() == 0);
    }
}
