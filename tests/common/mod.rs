//! Helpers shared by the integration tests (`mod common;`).
//!
//! Everything here works on *logical* tensors: a shape plus its values in
//! row-major (C) order. The helpers put such a tensor into memory through an
//! arbitrary [`batch_dot_layout`] (permuted storage order, padding, negative
//! strides, an offset, junk strides on unit dimensions), read one back, and
//! compute a naive `batch_dot` in f64 to compare with. Nothing here calls the
//! library under test, so a test can use these helpers to check it.
//!
//! Only `std` and the crate's own types are used; the PRNG and the element
//! trait are the crate's `SplitMix64` and `TestElem`
//! (`batch_dot::test_support`, shared with the other tests and the fuzz
//! targets).

#![allow(dead_code)]

use batch_dot::{batch_dot_layout, batch_dot_options, BATCH_DOT_MAX_NDIM};

/// `BATCH_DOT_MAX_NDIM` as a `usize`, whatever integer type the crate gives it.
#[allow(clippy::unnecessary_cast)]
pub const MAX_NDIM: usize = BATCH_DOT_MAX_NDIM as usize;

// ---------------------------------------------------------------------------
// PRNG and element types
// ---------------------------------------------------------------------------

/// SplitMix64 and the element types (f32, f64: `TestElem`, with its
/// "not written" marker `TestElem::sentinel`), from the crate's shared test
/// helpers.
pub use batch_dot::test_support::{SplitMix64, TestElem};

// ---------------------------------------------------------------------------
// Shapes and layouts
// ---------------------------------------------------------------------------

/// Number of elements of a logical tensor of `shape` (1 for rank 0).
pub fn num_elements(shape: &[i64]) -> usize {
    shape.iter().map(|&d| d as usize).product()
}

/// The packed row-major layout of `shape`, built by hand exactly as API.md
/// defines `batch_dot_layout_init_contiguous`: `strides[i]` = product of
/// `shape[i+1..]` with extents of 0 counted as 1, offset 0, len = number of
/// elements. Panics if `shape.len() > BATCH_DOT_MAX_NDIM`.
pub fn contiguous_layout(shape: &[i64]) -> batch_dot_layout {
    assert!(shape.len() <= MAX_NDIM);
    let mut l = blank_layout(shape);
    let mut stride = 1i64;
    for d in (0..shape.len()).rev() {
        l.strides[d] = stride;
        stride *= shape[d].max(1);
    }
    l.len = num_elements(shape) as i64;
    l
}

/// A layout with `ndim` and `shape` set and everything else zero.
pub fn blank_layout(shape: &[i64]) -> batch_dot_layout {
    let mut shp = [0i64; 16];
    shp[..shape.len()].copy_from_slice(shape);
    batch_dot_layout {
        ndim: shape.len() as i32,
        flags: 0,
        offset: 0,
        len: 0,
        shape: shp,
        strides: [0i64; 16],
    }
}

/// How [`arranged_layout`] lays a logical tensor out in memory. Each flag
/// adds one kind of rearrangement; all off is the packed row-major layout.
#[derive(Clone, Copy, Debug, Default)]
pub struct Arrangement {
    /// Random storage order of the dimensions (e.g. transposed storage).
    pub permute: bool,
    /// Gaps between rows: each stride a little larger than needed, sometimes an
    /// innermost stride of 2, and slack after the last element.
    pub pad: bool,
    /// Negative strides on a random subset of the dimensions, with `offset`
    /// pointing at the element `[0,...,0]` (the last one along those dims).
    pub reverse: bool,
    /// Unused elements before the tensor (a nonzero `offset`).
    pub offset: bool,
    /// Arbitrary strides (0, `i64::MIN`, `i64::MAX`, ...) on dimensions of
    /// extent 0 or 1, which API.md says are ignored.
    pub junk_unit_strides: bool,
    /// For a tensor with no elements: `len` 0 and a junk `offset` (API.md: not
    /// checked beyond `len >= 0`). The caller may also pass a NULL pointer.
    pub junk_when_empty: bool,
}

impl Arrangement {
    /// The packed row-major layout.
    pub const CONTIGUOUS: Arrangement = Arrangement {
        permute: false,
        pad: false,
        reverse: false,
        offset: false,
        junk_unit_strides: false,
        junk_when_empty: false,
    };
    /// Every rearrangement at once.
    pub const ALL: Arrangement = Arrangement {
        permute: true,
        pad: true,
        reverse: true,
        offset: true,
        junk_unit_strides: true,
        junk_when_empty: true,
    };
}

/// A random layout of the logical tensor `shape`, arranged as `arr` says.
///
/// The layout is always *non-overlapping by construction* in API.md's sense
/// (sorted by |stride|, each stride exceeds the span of the smaller ones), so
/// it is valid for an output too, and `len` covers exactly what it reaches
/// (plus slack when `arr.pad`). Use [`scatter`] to fill a buffer of
/// `layout.len` elements.
pub fn arranged_layout(shape: &[i64], arr: Arrangement, rng: &mut SplitMix64) -> batch_dot_layout {
    let nd = shape.len();
    assert!(nd <= MAX_NDIM);
    let mut l = blank_layout(shape);
    // Storage order, innermost first.
    let mut order: Vec<usize> = (0..nd).rev().collect();
    if arr.permute {
        rng.shuffle(&mut order);
    }
    let mut stride: i64 = if arr.pad && rng.chance(0.3) { 2 } else { 1 };
    for &d in &order {
        l.strides[d] = stride;
        stride = stride * shape[d].max(1) + if arr.pad { rng.range_i64(0, 2) } else { 0 };
    }
    let empty = shape.contains(&0);
    // Negative strides: [0,..,0] sits at the highest address along those dims.
    let mut base = 0i64;
    if arr.reverse {
        for (&e, s) in shape.iter().zip(l.strides.iter_mut()) {
            if e > 1 && rng.chance(0.5) {
                base += (e - 1) * *s;
                *s = -*s;
            }
        }
    }
    let lead = if arr.offset { rng.range_i64(1, 7) } else { 0 };
    l.offset = lead + base;
    let reach: i64 = (0..nd)
        .map(|d| (shape[d].max(1) - 1) * l.strides[d].abs())
        .sum();
    let tail = if arr.pad { rng.range_i64(0, 3) } else { 0 };
    l.len = if empty && !arr.pad && !arr.offset {
        0
    } else {
        lead + reach + 1 + tail
    };
    if arr.junk_unit_strides {
        const JUNK: [i64; 6] = [0, i64::MIN, i64::MAX, -7, 123_456_789, 1];
        for (&e, s) in shape.iter().zip(l.strides.iter_mut()) {
            if e <= 1 {
                *s = JUNK[rng.below(JUNK.len() as u64) as usize];
            }
        }
    }
    if empty && arr.junk_when_empty {
        l.len = 0;
        l.offset = [0, 5, -3, i64::MAX, i64::MIN][rng.below(5) as usize];
    }
    l
}

/// Whether the tensor described by `layout` has no elements.
pub fn layout_is_empty(layout: &batch_dot_layout) -> bool {
    layout.shape[..layout.ndim as usize].contains(&0)
}

/// For each logical element, in row-major order, its index in the buffer:
/// `offset + Σ index[d] * strides[d]`. Empty for a tensor with no elements.
/// Panics if an index falls outside `[0, len)`.
pub fn storage_positions(layout: &batch_dot_layout) -> Vec<usize> {
    let nd = layout.ndim as usize;
    let shape = &layout.shape[..nd];
    let n = num_elements(shape);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut idx = vec![0i64; nd];
    for _ in 0..n {
        let pos = layout.offset
            + (0..nd)
                .filter(|&d| shape[d] > 1)
                .map(|d| idx[d] * layout.strides[d])
                .sum::<i64>();
        assert!(
            pos >= 0 && pos < layout.len,
            "position {pos} outside [0, {})",
            layout.len
        );
        out.push(pos as usize);
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// A buffer of `len` copies of [`TestElem::sentinel`].
pub fn sentinel_buffer<T: TestElem>(len: usize) -> Vec<T> {
    vec![T::sentinel(); len]
}

/// The raw bits of each element (for bitwise comparisons: NaN payloads, -0.0).
pub fn bits<T: TestElem>(v: &[T]) -> Vec<u64> {
    v.iter().map(|e| e.bits()).collect()
}

/// Whether every element of `v` is still [`TestElem::sentinel`] ("not written").
pub fn all_sentinel<T: TestElem>(v: &[T]) -> bool {
    v.iter().all(|e| e.bits() == T::sentinel().bits())
}

/// Checks an output buffer after a successful call through `layout`: every
/// position of `buf` the layout does not reach still holds the sentinel,
/// and no element it reaches does (the sentinel is in no input, so the
/// library never makes it, not even as a NaN result: every element was
/// written). Returns the logical output, or what is wrong.
pub fn written_output<T: TestElem>(layout: &batch_dot_layout, buf: &[T]) -> Result<Vec<T>, String> {
    for p in unreached_positions(layout, buf.len()) {
        if buf[p].bits() != T::sentinel().bits() {
            return Err(format!("padding element {p} of out was written"));
        }
    }
    let values = gather(layout, buf);
    if let Some(i) = values.iter().position(|e| e.bits() == T::sentinel().bits()) {
        return Err(format!("output element {i} not written"));
    }
    Ok(values)
}

/// Write the row-major `logical` values into `buf` through `layout`.
pub fn scatter<T: Copy>(layout: &batch_dot_layout, buf: &mut [T], logical: &[T]) {
    let pos = storage_positions(layout);
    assert_eq!(
        pos.len(),
        logical.len(),
        "logical data does not match the layout's shape"
    );
    for (p, &v) in pos.iter().zip(logical) {
        buf[*p] = v;
    }
}

/// Read the logical tensor of `layout` back from `buf`, in row-major order.
pub fn gather<T: Copy>(layout: &batch_dot_layout, buf: &[T]) -> Vec<T> {
    storage_positions(layout).iter().map(|&p| buf[p]).collect()
}

/// Buffer indices in `0..len` that `layout` does not reach (the padding).
pub fn unreached_positions(layout: &batch_dot_layout, len: usize) -> Vec<usize> {
    let mut reached = vec![false; len];
    for p in storage_positions(layout) {
        reached[p] = true;
    }
    (0..len).filter(|&i| !reached[i]).collect()
}

/// A layout and a buffer holding `logical` through it; the rest of the
/// buffer is [`TestElem::sentinel`]. The buffer has at least one element so
/// its pointer is never dangling.
pub fn materialize<T: TestElem>(
    shape: &[i64],
    logical: &[T],
    arr: Arrangement,
    rng: &mut SplitMix64,
) -> (batch_dot_layout, Vec<T>) {
    let layout = arranged_layout(shape, arr, rng);
    let mut buf = sentinel_buffer::<T>((layout.len as usize).max(1));
    scatter(&layout, &mut buf, logical);
    (layout, buf)
}

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

/// `batch_dot_infer_shape` on slices (from `batch_dot::test_support`, which
/// the kernel tests and the benchmark use too).
pub use batch_dot::test_support::infer_shape;

/// Options of the current size asking for `n` threads (0: the default).
pub fn with_threads(n: u32) -> batch_dot_options {
    batch_dot_options {
        num_threads: n,
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------
// The semantics, naively (SPEC.md §1-§2)
// ---------------------------------------------------------------------------

/// The C API's axes normalised as SPEC.md §2 says, for ranks `n` and `m`:
/// `(i64::MIN, i64::MIN)` is Keras's `axes=None`, a negative axis gets its
/// operand's rank added once. `None` when the result is not a valid pair
/// (`1 <= a0 < n`, `1 <= a1 < m`) or only one axis is the default.
pub fn normalize_axes(n: usize, m: usize, axis_x: i64, axis_y: i64) -> Option<(usize, usize)> {
    let (n, m) = (n as i64, m as i64);
    if n < 2 || m < 2 {
        return None;
    }
    let (a0, a1) = match (axis_x == i64::MIN, axis_y == i64::MIN) {
        (true, true) => (n - 1, if m == 2 { m - 1 } else { m - 2 }),
        (false, false) => (
            if axis_x < 0 { axis_x + n } else { axis_x },
            if axis_y < 0 { axis_y + m } else { axis_y },
        ),
        _ => return None,
    };
    if (1..n).contains(&a0) && (1..m).contains(&a1) {
        Some((a0 as usize, a1 as usize))
    } else {
        None
    }
}

/// The result shape of SPEC.md §1 for normalised axes `(a0, a1)`:
/// `[B] + x's other free dims + y's other free dims`, or `[B, 1]` when that
/// has length 1.
pub fn result_shape(xs: &[i64], ys: &[i64], a0: usize, a1: usize) -> Vec<i64> {
    let mut out = vec![xs[0]];
    out.extend((1..xs.len()).filter(|&i| i != a0).map(|i| xs[i]));
    out.extend((1..ys.len()).filter(|&j| j != a1).map(|j| ys[j]));
    if out.len() == 1 {
        out.push(1);
    }
    out
}

/// Row-major strides of a logical tensor (for indexing logical data).
fn logical_strides(shape: &[i64]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1].max(1) as usize;
    }
    s
}

/// A naive `batch_dot` in f64 over logical row-major data, for normalised
/// axes `(a0, a1)` (validated by the caller: equal batch and contraction
/// extents). Returns `(shape, values, abs_sums)`: each value is the sum over
/// the contraction, in ascending order, starting from +0.0; `abs_sums[i]` is
/// `Σ_t |x·y|` for that output, the scale of SPEC.md §6's error bound.
pub fn naive_batch_dot_f64(
    xs: &[i64],
    x: &[f64],
    ys: &[i64],
    y: &[f64],
    a0: usize,
    a1: usize,
) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    assert_eq!(xs[0], ys[0]);
    assert_eq!(xs[a0], ys[a1]);
    let shape = result_shape(xs, ys, a0, a1);
    let n = num_elements(&shape);
    let (xst, yst) = (logical_strides(xs), logical_strides(ys));
    let xfree: Vec<usize> = (1..xs.len()).filter(|&i| i != a0).collect();
    let yfree: Vec<usize> = (1..ys.len()).filter(|&j| j != a1).collect();
    let k = xs[a0] as usize;
    let mut vals = vec![0.0f64; n];
    let mut mags = vec![0.0f64; n];
    // Odometer over the output's logical index, batch first.
    let dims: Vec<i64> = std::iter::once(xs[0])
        .chain(xfree.iter().map(|&i| xs[i]))
        .chain(yfree.iter().map(|&j| ys[j]))
        .collect();
    let mut idx = vec![0i64; dims.len()];
    for o in 0..n {
        let b = idx[0] as usize;
        let mut xb = b * xst[0];
        for (q, &i) in xfree.iter().enumerate() {
            xb += idx[1 + q] as usize * xst[i];
        }
        let mut yb = b * yst[0];
        for (q, &j) in yfree.iter().enumerate() {
            yb += idx[1 + xfree.len() + q] as usize * yst[j];
        }
        let (mut acc, mut mag) = (0.0f64, 0.0f64);
        for t in 0..k {
            let p = x[xb + t * xst[a0]] * y[yb + t * yst[a1]];
            acc += p;
            mag += p.abs();
        }
        vals[o] = acc;
        mags[o] = mag;
        for d in (0..dims.len()).rev() {
            idx[d] += 1;
            if idx[d] < dims[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    (shape, vals, mags)
}

/// SPEC.md §6's float32 error bound `K · 2^-24 · Σ_t|x·y|` for one output.
pub fn f32_error_bound(k: usize, abs_sum: f64) -> f64 {
    k as f64 * f64::powi(2.0, -24) * abs_sum
}
