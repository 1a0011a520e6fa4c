//! Tiny products: many small products along the innermost loop (few rows,
//! one tile wide, one block of K), run as one loop of the microkernel, or
//! of a fixed-size kernel for contiguous n×n·n×n blocks (AVX-512: 4×4×4 in
//! f32 and f64, 8×8×8 in f32). Same arithmetic either way: each element is
//! an FMA chain from +0.0 in ascending t, as in `gemm::micro`.

use super::gemm::{self, Geom};
use super::scale::Epi;
use super::select;
use super::simd::Simd;

#[cfg(test)]
use super::select::record::{self, Ran};

/// Many small products along one loop: the 4×4×4 or 8×8×8 kernel when the
/// blocks are contiguous and the level has one, else the microkernel per block
/// (same arithmetic either way, the same epilogue `e` too).
///
/// # Safety
/// As `dispatch::Level::small`.
#[inline(always)]
pub(crate) unsafe fn small_products<S: Simd, E: Epi<S::T>, const MR: usize, const NV: usize>(
    g: &Geom,
    count: usize,
    x: *const S::T,
    y: *const S::T,
    out: *mut S::T,
    s: (isize, isize, isize),
    e: E,
) {
    // The fixed-size kernels take contiguous n×n·n×n blocks; the level
    // says for which n it has one.
    let n = g.m;
    let fixed_size = select::fixed_square(g);
    // SAFETY: forwarded contract.
    unsafe {
        let fixed = fixed_size && S::tiny(n, count, x, y, out, s, e);
        #[cfg(test)]
        if fixed {
            record::note(Ran::Fixed(n));
        }
        if !fixed {
            small_many::<S, E, MR, NV>(g, count, x, y, out, s.0, s.1, s.2, e)
        }
    }
}

/// Many small products at once (`m <= MR`... any m, `n <= NV·LANES`,
/// `k <= KC`, B rows contiguous): `count` products whose A, B, C start
/// `xs`, `ys`, `os` elements apart. Same arithmetic as `gemm::block`.
///
/// # Safety
/// As `gemm::block` for each of the `count` products.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn small_many<S: Simd, E: Epi<S::T>, const MR: usize, const NV: usize>(
    g: &Geom,
    count: usize,
    a: *const S::T,
    b: *const S::T,
    c: *mut S::T,
    xs: isize,
    ys: isize,
    os: isize,
    e: E,
) {
    let nv = g.n.div_ceil(S::LANES);
    // SAFETY: n - (nv-1)·LANES is in 1..=LANES (n >= 1).
    let mask = unsafe { S::mask(g.n - (nv - 1) * S::LANES) };
    macro_rules! go {
        ($r:literal, $nv:literal) => {{
            for i in 0..count as isize {
                // SAFETY: product i of the run (caller's contract).
                unsafe {
                    gemm::micro::<S, E, $r, $nv, false>(
                        g.k,
                        a.wrapping_offset(i * xs),
                        g.a_rs,
                        g.a_cs,
                        b.wrapping_offset(i * ys),
                        g.b_rs,
                        mask,
                        c.wrapping_offset(i * os),
                        g.c_rs,
                        g.c_cs,
                        g.n,
                        false,
                        e,
                    )
                }
            }
        }};
    }
    match (g.m, nv) {
        (1, 1) => go!(1, 1),
        (2, 1) => go!(2, 1),
        (4, 1) => go!(4, 1),
        (8, 1) => go!(8, 1),
        (1, 2) => go!(1, 2),
        (2, 2) => go!(2, 2),
        (4, 2) => go!(4, 2),
        (8, 2) => go!(8, 2),
        _ => {
            for i in 0..count as isize {
                // SAFETY: product i of the run (caller's contract); B is not
                // packed, so no buffer is needed.
                unsafe {
                    gemm::block::<S, E, MR, NV>(
                        g,
                        a.wrapping_offset(i * xs),
                        b.wrapping_offset(i * ys),
                        c.wrapping_offset(i * os),
                        0,
                        g.m,
                        core::ptr::null_mut(),
                        e,
                    )
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::*;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::scale::Epi;
    use super::super::simd::{prefetch_lines, Avx2F32, Avx512F32, Avx512F64};
    use super::super::tuning::TINY_AHEAD_BYTES;
    use core::arch::x86_64::*;

    /// Prefetches the block of `len` contiguous elements that lies
    /// `TINY_AHEAD_BYTES` of blocks (`stride` elements apart) past `p`.
    #[inline(always)]
    fn prefetch_block_ahead<T>(p: *const T, stride: isize, len: usize) {
        let blocks = (TINY_AHEAD_BYTES / (len * size_of::<T>())) as isize;
        prefetch_lines(p.wrapping_offset(blocks * stride), len);
    }

    /// `Simd::tiny` (n = 4) for f32 on AVX-512 (its own function, so that its
    /// loop has the registers to itself).
    ///
    /// # Safety
    /// `Simd::tiny`'s contract; the CPU has avx512f.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline(never)]
    pub(crate) unsafe fn tiny444_f32<E: Epi<f32>>(
        count: usize,
        x: *const f32,
        y: *const f32,
        out: *mut f32,
        strides: (isize, isize, isize),
        e: E,
    ) {
        let (xs, ys, os) = strides;
        // SAFETY: each block is 16 contiguous elements inside its buffer
        // (contract).
        unsafe {
            // Lane (i, j) = i·4 + j. a_t picks A[i, t] (an in-lane shuffle);
            // b_t is row t of B repeated in every 128-bit lane.
            let block = |xp: *const f32, yp: *const f32, op: *mut f32| {
                prefetch_block_ahead(xp, xs, 16);
                prefetch_block_ahead(yp, ys, 16);
                let a = _mm512_loadu_ps(xp);
                // From +0.0 (not a product: -0.0 · x must sum to +0.0).
                let z = _mm512_setzero_ps();
                let c = _mm512_fmadd_ps(
                    _mm512_shuffle_ps::<0x00>(a, a),
                    _mm512_broadcast_f32x4(_mm_loadu_ps(yp)),
                    z,
                );
                let c = _mm512_fmadd_ps(
                    _mm512_shuffle_ps::<0x55>(a, a),
                    _mm512_broadcast_f32x4(_mm_loadu_ps(yp.add(4))),
                    c,
                );
                let c = _mm512_fmadd_ps(
                    _mm512_shuffle_ps::<0xAA>(a, a),
                    _mm512_broadcast_f32x4(_mm_loadu_ps(yp.add(8))),
                    c,
                );
                let c = _mm512_fmadd_ps(
                    _mm512_shuffle_ps::<0xFF>(a, a),
                    _mm512_broadcast_f32x4(_mm_loadu_ps(yp.add(12))),
                    c,
                );
                e.put_v::<Avx512F32>(op, c);
            };
            // Two blocks per iteration (fewer loop updates per block).
            let (mut xp, mut yp, mut op) = (x, y, out);
            for _ in 0..count / 2 {
                block(xp, yp, op);
                block(
                    xp.wrapping_offset(xs),
                    yp.wrapping_offset(ys),
                    op.wrapping_offset(os),
                );
                xp = xp.wrapping_offset(2 * xs);
                yp = yp.wrapping_offset(2 * ys);
                op = op.wrapping_offset(2 * os);
            }
            if count % 2 == 1 {
                block(xp, yp, op);
            }
        }
    }

    /// `Simd::tiny` (n = 4) for f64 on AVX-512. Output rows 2j and 2j+1 share
    /// one vector (256-bit halves); step t multiplies A[2j][t] and
    /// A[2j+1][t] (an in-half permute of A's rows 2j, 2j+1, themselves one
    /// vector) by row t of B in both halves. Each element is an FMA chain
    /// from +0.0 in ascending t, as in `gemm::micro`.
    ///
    /// # Safety
    /// `Simd::tiny`'s contract; the CPU has avx512f.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline(never)]
    pub(crate) unsafe fn tiny444_f64<E: Epi<f64>>(
        count: usize,
        x: *const f64,
        y: *const f64,
        out: *mut f64,
        strides: (isize, isize, isize),
        e: E,
    ) {
        let (xs, ys, os) = strides;
        // SAFETY: each block is 16 contiguous elements inside its buffer
        // (contract).
        unsafe {
            let (mut xp, mut yp, mut op) = (x, y, out);
            for _ in 0..count {
                prefetch_block_ahead(xp, xs, 16);
                prefetch_block_ahead(yp, ys, 16);
                let a = [_mm512_loadu_pd(xp), _mm512_loadu_pd(xp.add(8))];
                let b = [
                    _mm512_broadcast_f64x4(_mm256_loadu_pd(yp)),
                    _mm512_broadcast_f64x4(_mm256_loadu_pd(yp.add(4))),
                    _mm512_broadcast_f64x4(_mm256_loadu_pd(yp.add(8))),
                    _mm512_broadcast_f64x4(_mm256_loadu_pd(yp.add(12))),
                ];
                for (j, &aj) in a.iter().enumerate() {
                    // From +0.0 (not a product: -0.0 · x must sum to +0.0).
                    let c =
                        _mm512_fmadd_pd(_mm512_permutex_pd::<0x00>(aj), b[0], _mm512_setzero_pd());
                    let c = _mm512_fmadd_pd(_mm512_permutex_pd::<0x55>(aj), b[1], c);
                    let c = _mm512_fmadd_pd(_mm512_permutex_pd::<0xAA>(aj), b[2], c);
                    let c = _mm512_fmadd_pd(_mm512_permutex_pd::<0xFF>(aj), b[3], c);
                    e.put_v::<Avx512F64>(op.add(8 * j), c);
                }
                xp = xp.wrapping_offset(xs);
                yp = yp.wrapping_offset(ys);
                op = op.wrapping_offset(os);
            }
        }
    }

    /// `Simd::tiny` (n = 8) for f32 on AVX-512. Each row of C is one 256-bit
    /// vector (32 registers with AVX512VL: 8 of C, 8 of B's rows); step t
    /// multiplies A[i][t], broadcast from memory (a load: the 32 lane
    /// permutes of a layout with two rows per 512-bit vector made the
    /// loop shuffle-bound, 0.78 of its time here), by row t of B. Each
    /// element is an FMA chain from +0.0 in ascending t, as in
    /// `gemm::micro`.
    ///
    /// # Safety
    /// `Simd::tiny`'s contract; the CPU has avx512f and avx512vl.
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    #[inline(never)]
    pub(crate) unsafe fn tiny888_f32<E: Epi<f32>>(
        count: usize,
        x: *const f32,
        y: *const f32,
        out: *mut f32,
        strides: (isize, isize, isize),
        e: E,
    ) {
        let (xs, ys, os) = strides;
        // SAFETY: each block is 64 contiguous elements inside its buffer
        // (contract).
        unsafe {
            let (mut xp, mut yp, mut op) = (x, y, out);
            for _ in 0..count {
                prefetch_block_ahead(xp, xs, 64);
                prefetch_block_ahead(yp, ys, 64);
                let mut b = [_mm256_setzero_ps(); 8];
                for (t, bt) in b.iter_mut().enumerate() {
                    *bt = _mm256_loadu_ps(yp.add(8 * t));
                }
                // From +0.0 (not a product: -0.0 · x must sum to +0.0).
                let mut c = [_mm256_setzero_ps(); 8];
                for (t, &bt) in b.iter().enumerate() {
                    for (i, ci) in c.iter_mut().enumerate() {
                        *ci = _mm256_fmadd_ps(_mm256_broadcast_ss(&*xp.add(8 * i + t)), bt, *ci);
                    }
                }
                for (i, &ci) in c.iter().enumerate() {
                    e.put_v::<Avx2F32>(op.add(8 * i), ci);
                }
                xp = xp.wrapping_offset(xs);
                yp = yp.wrapping_offset(ys);
                op = op.wrapping_offset(os);
            }
        }
    }
}
