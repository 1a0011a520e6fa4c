//! An independent reference for tests: `batch_dot` by its definition
//! (SPEC.md §1), a naive loop over logical indices in f64, in safe Rust with
//! bounds-checked indexing. It shares only the shape semantics (`shape`)
//! with the library; none of the plan, layout merging or kernels.

use ndarray::{ArrayD, Dimension, IxDyn};

use crate::error::Result;
use crate::kernel::Element;
use crate::shape;
use crate::types::batch_dot_layout;

/// A logical tensor: a layout and the caller's buffer (of `len` elements).
#[derive(Clone, Copy)]
pub struct Tensor<'a, T> {
    /// The layout.
    pub layout: &'a batch_dot_layout,
    /// The buffer the layout indexes.
    pub data: &'a [T],
}

impl<T: Element> Tensor<'_, T> {
    /// The element at a logical index, in f64. Panics outside the buffer.
    pub fn at(&self, idx: &[usize]) -> f64 {
        let l = self.layout;
        let mut off = l.offset as i128;
        for (d, &i) in idx.iter().enumerate() {
            if l.shape[d] > 1 {
                off += i as i128 * l.strides[d] as i128;
            }
        }
        self.data[usize::try_from(off).expect("reference: negative offset")].to_f64()
    }

    fn dims(&self) -> &[i64] {
        &self.layout.shape[..self.layout.ndim as usize]
    }
}

/// The result of the reference: values and, per element, `Σ_t |x·y|`
/// (for the error bound of SPEC.md §6), both of the result shape.
pub struct Reference {
    /// `out[b, i..., j...]` in f64.
    pub value: ArrayD<f64>,
    /// `Σ_t |x[b, i.., t] · y[b, t, j..]|`.
    pub abs_sum: ArrayD<f64>,
    /// The contraction length K.
    pub k: usize,
}

/// Computes `batch_dot(x, y, (axis_x, axis_y))` by definition. Shapes and
/// axes are validated as the library does (SPEC.md §3); layouts are trusted
/// (a bad one panics).
pub fn batch_dot<T: Element>(
    x: Tensor<'_, T>,
    y: Tensor<'_, T>,
    axis_x: i64,
    axis_y: i64,
) -> Result<Reference> {
    let (xd, yd) = (x.dims(), y.dims());
    shape::check_input_ranks(xd, yd)?;
    let c = shape::resolve(xd, yd, axis_x, axis_y)?;
    shape::check_result_rank(xd, yd, &c)?;
    let out_dims: Vec<usize> = c.out.as_slice().iter().map(|&d| d as usize).collect();
    let k = xd[c.axis_x] as usize;
    let mut value = ArrayD::<f64>::zeros(IxDyn(&out_dims));
    let mut abs_sum = ArrayD::<f64>::zeros(IxDyn(&out_dims));
    let nxf = xd.len() - 2; // x's free dims
    let mut xi = vec![0usize; xd.len()];
    let mut yi = vec![0usize; yd.len()];
    for (idx, v) in value.indexed_iter_mut() {
        let idx = idx.slice();
        // out index = [b, x free..., y free...] (a rank-2·2 result has a
        // trailing 1 that maps to nothing).
        xi[0] = idx[0];
        yi[0] = idx[0];
        let mut p = 1;
        for (d, slot) in xi.iter_mut().enumerate().skip(1) {
            if d != c.axis_x {
                *slot = idx[p];
                p += 1;
            }
        }
        debug_assert_eq!(p, 1 + nxf);
        for (d, slot) in yi.iter_mut().enumerate().skip(1) {
            if d != c.axis_y {
                *slot = idx[p];
                p += 1;
            }
        }
        let (mut s, mut a) = (0.0f64, 0.0f64);
        for t in 0..k {
            xi[c.axis_x] = t;
            yi[c.axis_y] = t;
            let prod = x.at(&xi) * y.at(&yi);
            s += prod;
            a += prod.abs();
        }
        *v = s;
        abs_sum[IxDyn(idx)] = a;
    }
    Ok(Reference { value, abs_sum, k })
}

impl Reference {
    /// Whether `got` (a result of element type `T`, as f64) is within SPEC.md
    /// §6's bound of the exact value at `idx`: `|err| <= K·u·Σ|x·y|` with `u`
    /// the unit roundoff of `T` (2^-24 for f32, 2^-53 for f64), plus the
    /// rounding of the exact value to `T`. NaN must match NaN; infinities
    /// must match exactly.
    pub fn accepts(&self, idx: &[usize], got: f64, unit_roundoff: f64) -> bool {
        let want = self.value[idx];
        if want.is_nan() {
            return got.is_nan();
        }
        if want.is_infinite() {
            return got == want;
        }
        let bound = (self.k as f64 + 1.0) * unit_roundoff * self.abs_sum[idx];
        (got - want).abs() <= bound
    }
}
