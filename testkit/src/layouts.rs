//! Layouts: built by hand ([`lay`], [`blank_layout`], [`contiguous_layout`]),
//! the one random layout generator ([`arranged_layout`], driven by an
//! [`Arrangement`] and any [`Entropy`]), and the way between a *logical*
//! tensor (a shape plus its values in row-major order) and a buffer seen
//! through a layout ([`scatter`], [`gather`], [`materialize`],
//! [`written_output`]).
//!
//! Nothing here calls the library: a layout built here is checked by the
//! library, never by the library's own code.

use batch_dot::{batch_dot_layout, BATCH_DOT_MAX_NDIM};

use crate::elem::{exact, sentinel_buffer, TestElem};
use crate::rng::{pick, range_i64, shuffle, Entropy, SplitMix64};

/// `BATCH_DOT_MAX_NDIM` as a `usize`, whatever integer type the crate gives it.
#[allow(clippy::unnecessary_cast)]
pub const MAX_NDIM: usize = BATCH_DOT_MAX_NDIM as usize;

/// Number of elements of a logical tensor of `shape` (1 for rank 0).
pub fn num_elements(shape: &[i64]) -> usize {
    shape.iter().map(|&d| d as usize).product()
}

/// A layout with `ndim` and `shape` set and everything else zero.
pub fn blank_layout(shape: &[i64]) -> batch_dot_layout {
    assert!(shape.len() <= MAX_NDIM);
    let mut l = batch_dot_layout {
        ndim: shape.len() as i32,
        flags: 0,
        offset: 0,
        len: 0,
        shape: [0; MAX_NDIM],
        strides: [0; MAX_NDIM],
    };
    l.shape[..shape.len()].copy_from_slice(shape);
    l
}

/// A layout of `shape` with `strides` for its first `strides.len()`
/// dimensions (the rest 0), `offset` and `len` as given, flags 0. Nothing
/// is checked: hostile layouts are the point of some tests.
pub fn lay(shape: &[i64], strides: &[i64], offset: i64, len: i64) -> batch_dot_layout {
    let mut l = blank_layout(shape);
    l.strides[..strides.len()].copy_from_slice(strides);
    l.offset = offset;
    l.len = len;
    l
}

/// The packed row-major layout of `shape`, built by hand exactly as
/// docs/API.md defines `batch_dot_layout_init_contiguous`: `strides[i]` =
/// product of `shape[i+1..]` with extents of 0 counted as 1, offset 0, len =
/// number of elements. Panics if `shape.len() > BATCH_DOT_MAX_NDIM`.
pub fn contiguous_layout(shape: &[i64]) -> batch_dot_layout {
    let mut l = blank_layout(shape);
    let mut stride = 1i64;
    for d in (0..shape.len()).rev() {
        l.strides[d] = stride;
        stride *= shape[d].max(1);
    }
    l.len = num_elements(shape) as i64;
    l
}

/// Whether the tensor described by `layout` has no elements.
pub fn layout_is_empty(layout: &batch_dot_layout) -> bool {
    layout.shape[..layout.ndim as usize].contains(&0)
}

/// How [`arranged_layout`] lays a logical tensor out in memory. Each field
/// adds one kind of rearrangement; all off ([`Arrangement::CONTIGUOUS`]) is
/// the packed row-major layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arrangement {
    /// Random storage order of the dimensions (e.g. transposed storage).
    pub permute: bool,
    /// Gaps: sometimes an innermost stride of 2, and each stride a little
    /// (or, rarely, a whole row) larger than needed.
    pub pad: bool,
    /// Unused elements after the last element reached (len larger than
    /// needed).
    pub slack: bool,
    /// Negative strides on a random subset of the dimensions, with `offset`
    /// pointing at the element `[0,...,0]` (the last one along those dims).
    pub reverse: bool,
    /// Unused elements before the tensor (a nonzero `offset`).
    pub offset: bool,
    /// Zero strides (broadcast) on a random subset of the dimensions of
    /// extent > 1. For inputs only: such a layout reaches an element more
    /// than once, so a logical tensor cannot be [`scatter`]ed through it
    /// (use [`tensor`]), and an output with it is ALIASING.
    pub broadcast: bool,
    /// Arbitrary strides (0, `i64::MIN`, `i64::MAX`, ...) on dimensions of
    /// extent 0 or 1, which docs/API.md says are ignored.
    pub junk_unit_strides: bool,
    /// For a tensor with no elements: a small `len` (0..3) and a junk
    /// `offset` (docs/API.md: not checked beyond `len >= 0`). The caller
    /// may also pass a NULL pointer.
    pub junk_when_empty: bool,
    /// This dimension (if it has extent > 1) is stored innermost with
    /// stride +1, whatever else is rearranged (a contiguous contraction
    /// or row, for the kernels that need one).
    pub inner: Option<usize>,
}

impl Arrangement {
    /// The packed row-major layout.
    pub const CONTIGUOUS: Arrangement = Arrangement {
        permute: false,
        pad: false,
        slack: false,
        reverse: false,
        offset: false,
        broadcast: false,
        junk_unit_strides: false,
        junk_when_empty: false,
        inner: None,
    };
    /// Every rearrangement that keeps a layout valid for an output (all but
    /// `broadcast`).
    pub const ALL: Arrangement = Arrangement {
        permute: true,
        pad: true,
        slack: true,
        reverse: true,
        offset: true,
        broadcast: false,
        junk_unit_strides: true,
        junk_when_empty: true,
        inner: None,
    };

    /// A random arrangement: a quarter contiguous, the rest any mix;
    /// `broadcast` only when `input`.
    pub fn random<R: Entropy + ?Sized>(r: &mut R, input: bool) -> Arrangement {
        if r.chance(0.25) {
            return Arrangement::CONTIGUOUS;
        }
        Arrangement {
            permute: r.chance(0.5),
            pad: r.chance(0.5),
            slack: r.chance(0.3),
            reverse: r.chance(0.4),
            offset: r.chance(0.4),
            broadcast: input && r.chance(0.2),
            junk_unit_strides: r.chance(0.3),
            junk_when_empty: r.chance(0.3),
            inner: None,
        }
    }
}

/// The strides [`Arrangement::junk_unit_strides`] puts on unit dimensions.
pub const JUNK_STRIDES: [i64; 8] = [0, i64::MIN, i64::MAX, -7, 7, 12_345, 123_456_789, 1];

/// A random layout of the logical tensor `shape`, arranged as `arr` says,
/// with random choices drawn from `r`.
///
/// Without `broadcast` the layout is *non-overlapping by construction* in
/// docs/API.md's sense (sorted by |stride|, each stride exceeds the span of
/// the smaller ones), so it is valid for an output too. `len` covers exactly
/// what it reaches (plus the slack and offset asked for), so one element
/// less is OUT_OF_BOUNDS. Use [`scatter`] to fill a buffer of `layout.len`
/// elements. Strides saturate instead of overflowing (for fuzzer-made
/// shapes); any layout of fewer than 2^62 reachable elements is exact.
pub fn arranged_layout<R: Entropy + ?Sized>(
    shape: &[i64],
    arr: Arrangement,
    r: &mut R,
) -> batch_dot_layout {
    let nd = shape.len();
    let mut l = blank_layout(shape);
    // Storage order, innermost first.
    let mut order: Vec<usize> = (0..nd).rev().collect();
    if arr.permute {
        shuffle(r, &mut order);
    }
    let inner = arr.inner.filter(|&d| d < nd && shape[d] > 1);
    if let Some(d) = inner {
        order.retain(|&o| o != d);
        order.insert(0, d);
    }
    let mut stride: i64 = if arr.pad && inner.is_none() && r.chance(0.3) {
        2
    } else {
        1
    };
    for &d in &order {
        l.strides[d] = stride;
        let row = stride.saturating_mul(shape[d].max(1));
        let gap = if !arr.pad {
            0
        } else if r.chance(0.1) {
            row // a whole row of gap
        } else {
            range_i64(r, 0, 2)
        };
        stride = row.saturating_add(gap);
    }
    let keep = |d: usize| inner != Some(d) && shape[d] > 1;
    if arr.broadcast {
        for d in (0..nd).filter(|&d| keep(d)) {
            if r.chance(0.3) {
                l.strides[d] = 0;
            }
        }
    }
    // Negative strides: [0,..,0] sits at the highest address along those dims.
    let mut base = 0i64;
    if arr.reverse {
        for d in (0..nd).filter(|&d| keep(d)) {
            if r.chance(0.5) {
                base = base.saturating_add((shape[d] - 1).saturating_mul(l.strides[d]));
                l.strides[d] = -l.strides[d];
            }
        }
    }
    let lead = if arr.offset { range_i64(r, 1, 7) } else { 0 };
    l.offset = lead.saturating_add(base);
    let reach = (0..nd)
        .filter(|&d| shape[d] > 1)
        .map(|d| (shape[d] - 1).saturating_mul(l.strides[d].saturating_abs()))
        .fold(0i64, i64::saturating_add);
    let tail = if arr.slack { range_i64(r, 0, 2) } else { 0 };
    let empty = shape.contains(&0);
    l.len = if empty && lead == 0 && tail == 0 {
        0
    } else {
        lead.saturating_add(reach).saturating_add(1 + tail)
    };
    if arr.junk_unit_strides {
        for d in (0..nd).filter(|&d| shape[d] <= 1) {
            l.strides[d] = pick(r, &JUNK_STRIDES);
        }
    }
    if empty && arr.junk_when_empty {
        l.len = r.below(4) as i64;
        l.offset = pick(r, &[0, 5, -3, i64::MAX, i64::MIN]);
    }
    l
}

/// For each logical element, in row-major order, its index in the buffer:
/// `offset + Σ index[d] * strides[d]` (dimensions of extent 1 ignored).
/// Empty for a tensor with no elements. Panics if an index falls outside
/// `[0, len)`.
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
        let pos = layout.offset as i128
            + (0..nd)
                .filter(|&d| shape[d] > 1)
                .map(|d| idx[d] as i128 * layout.strides[d] as i128)
                .sum::<i128>();
        assert!(
            pos >= 0 && pos < layout.len as i128,
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

/// A layout arranged as `arr` (without `broadcast`) and a buffer holding
/// `logical` through it; the rest of the buffer is [`TestElem::sentinel`].
/// The buffer has at least one element so its pointer is never dangling.
pub fn materialize<T: TestElem, R: Entropy + ?Sized>(
    shape: &[i64],
    logical: &[T],
    arr: Arrangement,
    r: &mut R,
) -> (batch_dot_layout, Vec<T>) {
    assert!(
        !arr.broadcast,
        "a logical tensor cannot be scattered through a broadcast layout"
    );
    let layout = arranged_layout(shape, arr, r);
    let mut buf = sentinel_buffer::<T>((layout.len as usize).max(1));
    scatter(&layout, &mut buf, logical);
    (layout, buf)
}

/// A tensor for a call: its layout, its buffer, and its logical values
/// (row-major), which are what the layout reads from the buffer.
#[derive(Clone, Debug)]
pub struct Tensor<T> {
    /// The layout.
    pub layout: batch_dot_layout,
    /// The buffer (at least one element, exactly its length allocated).
    pub buf: Vec<T>,
    /// The values at the logical indices, in row-major order.
    pub logical: Vec<T>,
}

/// A random input tensor of `shape` arranged as `arr`, with values from
/// `value`. With `broadcast`, the whole buffer is filled with values and
/// the logical tensor is what the layout reads (elements repeat); without,
/// `value` gives the logical elements and the rest of the buffer is the
/// sentinel.
pub fn tensor<T: TestElem>(
    shape: &[i64],
    arr: Arrangement,
    rng: &mut SplitMix64,
    value: impl FnMut(&mut SplitMix64) -> T,
) -> Tensor<T> {
    tensor_with(shape, arr, rng, T::sentinel(), value)
}

/// [`tensor`] for any element type, with `fill` in the buffer's unreached
/// elements (the 16-bit dtypes' sentinels, say).
pub fn tensor_with<T: Copy>(
    shape: &[i64],
    arr: Arrangement,
    rng: &mut SplitMix64,
    fill: T,
    mut value: impl FnMut(&mut SplitMix64) -> T,
) -> Tensor<T> {
    if arr.broadcast {
        let layout = arranged_layout(shape, arr, rng);
        let len = (layout.len as usize).max(1);
        let buf: Vec<T> = exact((0..len).map(|_| value(rng)).collect());
        let logical = gather(&layout, &buf);
        return Tensor {
            layout,
            buf,
            logical,
        };
    }
    let logical: Vec<T> = (0..num_elements(shape)).map(|_| value(rng)).collect();
    let layout = arranged_layout(shape, arr, rng);
    let mut buf = exact(vec![fill; (layout.len as usize).max(1)]);
    scatter(&layout, &mut buf, &logical);
    Tensor {
        layout,
        buf,
        logical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle;

    #[test]
    fn contiguous_is_row_major() {
        let l = contiguous_layout(&[2, 0, 3]);
        assert_eq!(&l.strides[..3], &[3, 3, 1]);
        assert_eq!((l.offset, l.len), (0, 0));
        let l = contiguous_layout(&[2, 3, 4]);
        assert_eq!(&l.strides[..3], &[12, 4, 1]);
        assert_eq!(l.len, 24);
        assert_eq!(storage_positions(&l), (0..24).collect::<Vec<_>>());
    }

    /// Every arrangement keeps its promises: within `[0, len)` and one
    /// element more is outside (no slack, no broadcast), non-overlapping
    /// without broadcast, `inner` innermost with stride 1, the logical
    /// tensor read back as written.
    #[test]
    fn arranged_layouts_keep_their_promises() {
        let mut r = SplitMix64::new(3);
        let (mut zero, mut negative, mut permuted) = (0, 0, 0);
        for case in 0..3000 {
            let nd = 1 + r.below(5) as usize;
            let shape: Vec<i64> = (0..nd)
                .map(|_| {
                    if r.chance(0.05) {
                        0
                    } else {
                        1 + r.below(4) as i64
                    }
                })
                .collect();
            let input = r.chance(0.5);
            let mut arr = Arrangement::random(&mut r, input);
            if r.chance(0.2) {
                arr.inner = Some(r.below(nd as u64) as usize);
            }
            let l = arranged_layout(&shape, arr, &mut r);
            let what = format!("case {case}: {shape:?} {arr:?} {l:?}");
            assert_eq!(&l.shape[..nd], &shape[..], "{what}");
            let empty = shape.contains(&0);
            if !empty {
                let (lo, hi) = oracle::reach(&l);
                assert!(lo >= 0 && hi < l.len as i128, "{what}");
                if !arr.slack {
                    assert_eq!(hi + 1, l.len as i128, "{what}: len not exact");
                }
            }
            if !arr.broadcast {
                assert!(oracle::non_overlapping(&l), "{what}");
            }
            if let Some(d) = arr.inner.filter(|&d| shape[d] > 1) {
                assert_eq!(l.strides[d], 1, "{what}: inner");
                let outer = (0..nd)
                    .filter(|&e| e != d && shape[e] > 1 && l.strides[e] != 0)
                    .all(|e| l.strides[e].abs() >= shape[d]);
                assert!(outer, "{what}: inner is not innermost");
            }
            zero += (0..nd).any(|d| shape[d] > 1 && l.strides[d] == 0) as usize;
            negative += (0..nd).any(|d| shape[d] > 1 && l.strides[d] < 0) as usize;
            permuted +=
                (0..nd).any(|d| shape[d] > 1 && l.strides[d].abs() == 1 && d + 1 != nd) as usize;
            if !arr.broadcast && !empty {
                let logical: Vec<u32> = (0..num_elements(&shape) as u32).collect();
                let mut buf = vec![u32::MAX; l.len as usize];
                scatter(&l, &mut buf, &logical);
                assert_eq!(gather(&l, &buf), logical, "{what}");
                let pad = unreached_positions(&l, buf.len());
                assert!(pad.iter().all(|&p| buf[p] == u32::MAX), "{what}");
                assert_eq!(pad.len() + logical.len(), buf.len(), "{what}");
            }
        }
        assert!(
            zero > 100 && negative > 300 && permuted > 300,
            "{zero} {negative} {permuted}"
        );
    }

    #[test]
    fn written_output_finds_unwritten_and_padding() {
        let l = lay(&[2, 2], &[3, 1], 1, 7);
        let mut buf = sentinel_buffer::<f32>(7);
        for (p, v) in [(1, 1.0), (2, 2.0), (4, 3.0), (5, 4.0)] {
            buf[p] = v;
        }
        assert_eq!(written_output(&l, &buf), Ok(vec![1.0, 2.0, 3.0, 4.0]));
        buf[3] = 0.0;
        assert!(written_output(&l, &buf)
            .unwrap_err()
            .contains("padding element 3"));
        buf[3] = f32::sentinel();
        buf[5] = f32::sentinel();
        assert!(written_output(&l, &buf)
            .unwrap_err()
            .contains("element 3 not written"));
    }

    #[test]
    fn broadcast_tensors_read_repeated_elements() {
        let mut r = SplitMix64::new(5);
        let arr = Arrangement {
            broadcast: true,
            ..Arrangement::CONTIGUOUS
        };
        let mut seen = false;
        for _ in 0..50 {
            let t = tensor::<f64>(&[3, 4], arr, &mut r, |r| r.unit_f64());
            assert_eq!(t.logical, gather(&t.layout, &t.buf));
            if t.layout.strides[1] == 0 {
                assert!(t.logical[..4].iter().all(|&v| v == t.logical[0]));
                seen = true;
            }
        }
        assert!(seen);
    }
}
