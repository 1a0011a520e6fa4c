//! Streaming kernels: dot products along a contiguous contraction, row-wise
//! dots (m = n = 1) and matrix-vector products (n = 1), vectorised along K,
//! prefetching the rows ahead (they are memory-bound).
//!
//! Numerics: each output is two vector accumulators from +0.0 — the even
//! and odd full vectors go to the first and second, a last full odd vector
//! to the first, a masked tail to the second — added lane-wise, then summed
//! across lanes in a fixed order. The same for every row, whichever group
//! of rows it is computed with.

use super::scale::Epi;
use super::simd::{prefetch, Simd};
use super::tuning::{LINE_BYTES, SHORT_ROW_BYTES, STREAM_PF_BYTES};

/// Rows ahead to prefetch for rows `stride` elements apart (0: none, when
/// the rows are far apart or the level is scalar).
#[inline(always)]
fn rows_ahead<S: Simd>(stride: isize) -> usize {
    let row = stride.unsigned_abs() * core::mem::size_of::<S::T>();
    if S::LANES == 1 || row == 0 || row > STREAM_PF_BYTES {
        0
    } else {
        STREAM_PF_BYTES.div_ceil(row)
    }
}

/// `out[r] = Σ_t a[r][t] · b[t]` for `R` rows at once, `t < k`, unit strides.
/// With `pf`, each step over two vectors also prefetches the same two
/// vectors' worth at `pf[r]` (rows further on; hints only, never read).
///
/// # Safety
/// `a[r][0..k]` and `b[0..k]` are readable; the CPU supports `S`.
#[inline(always)]
pub(crate) unsafe fn dot_rows<S: Simd, const R: usize>(
    k: usize,
    a: [*const S::T; R],
    b: *const S::T,
    pf: Option<[*const S::T; R]>,
) -> [S::T; R] {
    let l = S::LANES;
    // SAFETY: every load below covers elements t..t+l (or the masked
    // first k-t of them) with t + l <= k, inside the rows (contract).
    unsafe {
        let mut acc0 = [S::zero(); R];
        let mut acc1 = [S::zero(); R];
        let mut t = 0;
        while t + 2 * l <= k {
            let b0 = S::load(b.add(t));
            let b1 = S::load(b.add(t + l));
            for r in 0..R {
                if let Some(pf) = pf {
                    prefetch(pf[r].wrapping_add(t));
                    prefetch(pf[r].wrapping_add(t + l));
                }
                acc0[r] = S::fma(S::load(a[r].add(t)), b0, acc0[r]);
                acc1[r] = S::fma(S::load(a[r].add(t + l)), b1, acc1[r]);
            }
            t += 2 * l;
        }
        if t + l <= k {
            let b0 = S::load(b.add(t));
            for r in 0..R {
                acc0[r] = S::fma(S::load(a[r].add(t)), b0, acc0[r]);
            }
            t += l;
        }
        if t < k {
            let m = S::mask(k - t);
            let b1 = S::load_m(b.add(t), m);
            for r in 0..R {
                acc1[r] = S::fma(S::load_m(a[r].add(t), m), b1, acc1[r]);
            }
        }
        let mut out = [<S::T as super::Element>::ZERO; R];
        for r in 0..R {
            out[r] = S::reduce(S::add(acc0[r], acc1[r]));
        }
        out
    }
}

/// `count` row-wise dots (m = n = 1, unit strides along K): dot `i` reads
/// `x + i·xs`, `y + i·ys` and stores at `out + i·os` through `e`.
///
/// # Safety
/// Every element named lies inside its buffer; the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn dots<S: Simd, E: Epi<S::T>>(
    k: usize,
    count: usize,
    x: *const S::T,
    y: *const S::T,
    out: *mut S::T,
    xs: isize,
    ys: isize,
    os: isize,
    e: E,
) {
    // Short rows (the memory-bound case): prefetch the rows `d` ahead.
    let row_bytes = k * core::mem::size_of::<S::T>();
    let d = if row_bytes <= SHORT_ROW_BYTES {
        rows_ahead::<S>(xs).max(rows_ahead::<S>(ys)) as isize
    } else {
        0
    };
    let line = (LINE_BYTES / core::mem::size_of::<S::T>()).max(1);
    for i in 0..count as isize {
        // SAFETY: dot i of the run (contract); prefetches never fault.
        unsafe {
            if d > 0 {
                let (px, py) = (
                    x.wrapping_offset((i + d) * xs),
                    y.wrapping_offset((i + d) * ys),
                );
                let mut t = 0;
                while t < k {
                    prefetch(px.wrapping_add(t));
                    prefetch(py.wrapping_add(t));
                    t += line;
                }
            }
            let [v] = dot_rows::<S, 1>(
                k,
                [x.wrapping_offset(i * xs)],
                y.wrapping_offset(i * ys),
                None,
            );
            e.put(out.wrapping_offset(i * os), v);
        }
    }
}

/// Rows `r0..r1` of one matrix-vector product `out[i] = Σ_t a[i·a_rs + t] b[t]`.
///
/// # Safety
/// Every element named lies inside its buffer; the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemv<S: Simd, E: Epi<S::T>>(
    k: usize,
    a: *const S::T,
    a_rs: isize,
    b: *const S::T,
    out: *mut S::T,
    o_rs: isize,
    r0: usize,
    r1: usize,
    e: E,
) {
    let row = |i: usize| a.wrapping_offset(i as isize * a_rs);
    let d = rows_ahead::<S>(a_rs);
    let ahead = (d as isize).wrapping_mul(a_rs);
    let mut i = r0;
    // SAFETY: rows i.. of the product (contract); prefetches never fault.
    unsafe {
        while i + 4 <= r1 {
            let rows = [row(i), row(i + 1), row(i + 2), row(i + 3)];
            // (Two calls, so that each inlines with `pf` known.)
            let v = if d > 0 {
                dot_rows::<S, 4>(k, rows, b, Some(rows.map(|p| p.wrapping_offset(ahead))))
            } else {
                dot_rows::<S, 4>(k, rows, b, None)
            };
            for (r, &val) in v.iter().enumerate() {
                e.put(out.wrapping_offset((i + r) as isize * o_rs), val);
            }
            i += 4;
        }
        while i < r1 {
            let [v] = dot_rows::<S, 1>(k, [row(i)], b, None);
            e.put(out.wrapping_offset(i as isize * o_rs), v);
            i += 1;
        }
    }
}
