//! Streaming kernels: dot products along a contiguous contraction, row-wise
//! dots (m = n = 1) and matrix-vector products (n = 1), vectorised along K,
//! one row after another, prefetching the rows ahead into L2 (they are
//! memory-bound).
//!
//! Numerics: each output is two vector accumulators from +0.0 — the even
//! and odd full vectors go to the first and second, a last full odd vector
//! to the first, a masked tail to the second — added lane-wise, then summed
//! across lanes in a fixed order. The same for every row.
//!
//! Access order: a mat-vec reads each row whole before the next. Several
//! rows at a time (sharing the vector's loads) interleave as many streams
//! inside each page, which the hardware prefetchers follow badly: 4 rows
//! of 1 KiB at a time read at 0.34–0.62 of a plain read's bytes/s, one row
//! at a time at 0.96–1.26 (docs/PERFORMANCE.md, "Streaming products").

use super::scale::Epi;
use super::simd::{prefetch_l2, Simd};
use super::tuning::{STREAM_PF_BYTES, STREAM_PF_EVERY_BYTES};

/// A sparse software prefetch for rows read one after another: on every
/// `mask + 1`-th row, one cache line of the row `rows` rows ahead, into L2
/// (`STREAM_PF_BYTES` ahead, at most one line per `STREAM_PF_EVERY_BYTES`).
/// It starts the page walk and the hardware prefetcher of each page early;
/// a prefetch of every line, into L1, left a third of the bandwidth unused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ahead {
    /// Rows ahead (0: no prefetch).
    rows: isize,
    /// Row indices with these bits clear prefetch (a power of two less one).
    mask: usize,
}

impl Ahead {
    /// No prefetch.
    pub(crate) const NONE: Ahead = Ahead { rows: 0, mask: 0 };

    /// For rows `stride` bytes apart on a level of `lanes` lanes (none when
    /// the rows are far apart, overlap, or the level is scalar).
    #[inline(always)]
    pub(crate) fn new(lanes: usize, stride: usize) -> Ahead {
        if lanes == 1 || stride == 0 || stride > STREAM_PF_BYTES {
            return Ahead::NONE;
        }
        let every = (STREAM_PF_EVERY_BYTES / stride).max(1);
        Ahead {
            rows: STREAM_PF_BYTES.div_ceil(stride) as isize,
            // The largest power of two not above `every`, less one.
            mask: (1usize << every.ilog2()) - 1,
        }
    }

    /// The rows ahead whose line row `i` prefetches, or 0.
    #[inline(always)]
    pub(crate) fn at(self, i: usize) -> isize {
        if i & self.mask == 0 {
            self.rows
        } else {
            0
        }
    }

    /// The prefetches of rows `i0..i0 + n` at once: for each of those rows
    /// that prefetches, the line `rows` rows ahead of each `(p, stride)`
    /// (row `i0`'s start, and the distance between rows in elements).
    #[inline(always)]
    pub(crate) fn prefetch_run<T, const N: usize>(
        self,
        i0: usize,
        n: usize,
        rows: [(*const T, isize); N],
    ) {
        for i in self.run_rows(i0, n) {
            let r = (i - i0) as isize;
            prefetch_rows(
                self.rows,
                rows.map(|(p, st)| (p.wrapping_offset(r * st), st)),
            );
        }
    }

    /// The rows of `i0..i0 + n` that prefetch (those `at` gives rows to).
    #[inline(always)]
    fn run_rows(self, i0: usize, n: usize) -> impl Iterator<Item = usize> {
        // The first row at or after i0 with the mask's bits clear.
        let first = if self.rows == 0 {
            i0 + n
        } else {
            (i0 + self.mask) & !self.mask
        };
        (first..i0 + n).step_by(self.mask + 1)
    }

    /// Row `i`'s prefetch: for each `(p, stride)` (row `i`'s start, and the
    /// distance between rows in elements), the first line of the row
    /// `rows` rows ahead, into L2 — when row `i` is one that prefetches.
    #[inline(always)]
    pub(crate) fn prefetch<T, const N: usize>(self, i: usize, rows: [(*const T, isize); N]) {
        prefetch_rows(self.at(i), rows);
    }
}

/// For each `(p, stride)` (a row's start, and the distance between rows in
/// elements), the first line of the row `d` rows ahead, into L2 (none when
/// `d` is 0): what `Ahead::prefetch` does with `d = Ahead::at(i)`.
#[inline(always)]
pub(crate) fn prefetch_rows<T, const N: usize>(d: isize, rows: [(*const T, isize); N]) {
    if d != 0 {
        for (p, stride) in rows {
            prefetch_l2(p.wrapping_offset(d * stride));
        }
    }
}

/// `Σ_t a[t] · b[t]` for `t < k`, unit strides.
///
/// # Safety
/// `a[0..k]` and `b[0..k]` are readable; the CPU supports `S`.
#[inline(always)]
pub(crate) unsafe fn dot_row<S: Simd>(k: usize, a: *const S::T, b: *const S::T) -> S::T {
    let l = S::LANES;
    // SAFETY: every load below covers elements t..t+l (or the masked
    // first k-t of them) with t + l <= k, inside the rows (contract).
    unsafe {
        let (mut acc0, mut acc1) = (S::zero(), S::zero());
        let mut t = 0;
        while t + 2 * l <= k {
            acc0 = S::fma(S::load(a.add(t)), S::load(b.add(t)), acc0);
            acc1 = S::fma(S::load(a.add(t + l)), S::load(b.add(t + l)), acc1);
            t += 2 * l;
        }
        if t + l <= k {
            acc0 = S::fma(S::load(a.add(t)), S::load(b.add(t)), acc0);
            t += l;
        }
        if t < k {
            let m = S::mask(k - t);
            acc1 = S::fma(S::load_m(a.add(t), m), S::load_m(b.add(t), m), acc1);
        }
        S::reduce(S::add(acc0, acc1))
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
    let size = core::mem::size_of::<S::T>();
    let ah = Ahead::new(S::LANES, xs.unsigned_abs().max(ys.unsigned_abs()) * size);
    for i in 0..count {
        let i_ = i as isize;
        let (xi, yi) = (x.wrapping_offset(i_ * xs), y.wrapping_offset(i_ * ys));
        ah.prefetch(i, [(xi, xs), (yi, ys)]);
        // SAFETY: dot i of the run (contract).
        unsafe { e.put(out.wrapping_offset(i_ * os), dot_row::<S>(k, xi, yi)) };
    }
}

/// Rows `r0..r1` of one matrix-vector product `out[i] = Σ_t a[i·a_rs + t] b[t]`,
/// one row after another, prefetching ahead.
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
    let ah = Ahead::new(S::LANES, a_rs.unsigned_abs() * core::mem::size_of::<S::T>());
    for i in r0..r1 {
        ah.prefetch(i, [(row(i), a_rs)]);
        // SAFETY: row i of the product (contract).
        unsafe {
            e.put(
                out.wrapping_offset(i as isize * o_rs),
                dot_row::<S>(k, row(i), b),
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::Ahead;

    #[test]
    fn ahead_prefetches_one_line_per_256_bytes_16_kib_ahead() {
        // e's rows (64 bytes): every 4th row, 256 rows ahead.
        let a = Ahead::new(16, 64);
        let hits: Vec<isize> = (0..9).map(|i| a.at(i)).collect();
        assert_eq!(hits, [256, 0, 0, 0, 256, 0, 0, 0, 256]);
        // f's rows (1 KiB): every row, 16 rows ahead.
        assert!((0..5).all(|i| Ahead::new(16, 1024).at(i) == 16));
        // 48-byte rows: every 256/48 = 5 rounded down to a power of two.
        let a = Ahead::new(8, 48);
        assert_eq!((a.at(0), a.at(3), a.at(4)), (342, 0, 342));
        // A run's prefetching rows are those `at` names, one by one.
        for (lanes, stride) in [(16, 64), (16, 1024), (8, 48), (16, 32), (1, 64)] {
            let a = Ahead::new(lanes, stride);
            for (i0, n) in [(0, 16), (3, 16), (16, 16), (5, 1), (7, 40), (9, 0)] {
                let want: Vec<usize> = (i0..i0 + n).filter(|&i| a.at(i) != 0).collect();
                assert_eq!(
                    a.run_rows(i0, n).collect::<Vec<_>>(),
                    want,
                    "{a:?} {i0} {n}"
                );
            }
        }
        // No prefetch: scalar level, overlapping rows, rows far apart.
        for (lanes, stride) in [(1, 64), (16, 0), (16, 16385)] {
            assert_eq!(Ahead::new(lanes, stride), Ahead::NONE);
            assert_eq!(Ahead::new(lanes, stride).at(0), 0);
        }
    }
}
