//! A minimal vector abstraction, implemented once per (instruction set,
//! element type). Every method is `#[inline(always)]`: the kernels are
//! generic over `Simd` and instantiated inside one `#[target_feature]`
//! function per level (see `dispatch.rs`), where all of it inlines into
//! straight vector code.
//!
//! # Safety (all methods)
//! The caller runs on a CPU with the level's features (guaranteed by
//! `isa::active`), and every pointer passed is valid for the lanes the
//! method touches: all `LANES` lanes for `load`/`store`, the first `n` lanes
//! for the masked forms (masked-off lanes are never accessed), one element
//! for `bcast`.

use super::Element;

/// Vector operations on `LANES` elements of `T`.
pub(crate) trait Simd: Copy + 'static {
    /// Element type.
    type T: Element;
    /// A vector register.
    type V: Copy;
    /// A lane mask ("the first n lanes").
    type M: Copy;
    /// Lanes per vector.
    const LANES: usize;
    /// All lanes +0.0.
    unsafe fn zero() -> Self::V;
    /// One element, broadcast to every lane.
    unsafe fn bcast(p: *const Self::T) -> Self::V;
    /// `LANES` consecutive elements.
    unsafe fn load(p: *const Self::T) -> Self::V;
    /// The first lanes of `m` from memory, the others +0.0 (not accessed).
    unsafe fn load_m(p: *const Self::T, m: Self::M) -> Self::V;
    /// Stores all lanes.
    unsafe fn store(p: *mut Self::T, v: Self::V);
    /// Stores the lanes of `m` (the others are not accessed).
    unsafe fn store_m(p: *mut Self::T, v: Self::V, m: Self::M);
    /// `a * b + c` (fused where the level has FMA).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a + b`.
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// The mask of the first `n` lanes, `n <= LANES`.
    unsafe fn mask(n: usize) -> Self::M;
    /// Sum of the lanes in a fixed order.
    unsafe fn reduce(v: Self::V) -> Self::T;
    /// `count` contiguous 4×4·4×4 products (row-major blocks of 16
    /// elements, blocks `xs`, `ys`, `os` apart), each element an FMA chain
    /// from +0.0 in ascending t (the arithmetic of `gemm::micro`). Returns
    /// false, doing nothing, when the level has no such kernel.
    ///
    /// # Safety
    /// Every block lies inside its buffer; out overlaps neither input.
    #[inline(always)]
    unsafe fn tiny444(
        _count: usize,
        _x: *const Self::T,
        _y: *const Self::T,
        _out: *mut Self::T,
        _strides: (isize, isize, isize),
    ) -> bool {
        false
    }
    /// As `tiny444`, for contiguous 8×8·8×8 products (blocks of 64
    /// elements).
    ///
    /// # Safety
    /// As `tiny444`.
    #[inline(always)]
    unsafe fn tiny888(
        _count: usize,
        _x: *const Self::T,
        _y: *const Self::T,
        _out: *mut Self::T,
        _strides: (isize, isize, isize),
    ) -> bool {
        false
    }
    /// Transposing copy `dst[t·ld + j] = src[j·cs + t]` for `t < kc`,
    /// `j < nr` (packs a B whose columns are contiguous).
    ///
    /// # Safety
    /// Those source elements are readable, those destination elements
    /// writable, and the two do not overlap.
    #[inline(always)]
    unsafe fn pack_nt(
        src: *const Self::T,
        kc: usize,
        nr: usize,
        cs: isize,
        dst: *mut Self::T,
        ld: usize,
    ) {
        // SAFETY: the method's contract.
        unsafe { pack_nt_scalar(src, kc, nr, cs, dst, ld, 0, 0) }
    }
}

/// The scalar part of `pack_nt`: everything outside `[0, t0) × [0, j0)`.
///
/// # Safety
/// As `Simd::pack_nt`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn pack_nt_scalar<T: Copy>(
    src: *const T,
    kc: usize,
    nr: usize,
    cs: isize,
    dst: *mut T,
    ld: usize,
    t0: usize,
    j0: usize,
) {
    for j in 0..nr {
        let s = src.wrapping_offset(j as isize * cs);
        let from = if j < j0 { t0 } else { 0 };
        for t in from..kc {
            // SAFETY: t < kc, j < nr (contract).
            unsafe { *dst.add(t * ld + j) = *s.add(t) };
        }
    }
}

/// Portable "vectors" of 4 elements, plain Rust arithmetic (no FMA).
#[derive(Clone, Copy)]
pub(crate) struct Scalar<T>(core::marker::PhantomData<T>);

impl<T: Element> Simd for Scalar<T> {
    type T = T;
    type V = [T; 4];
    type M = usize;
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn zero() -> [T; 4] {
        [T::ZERO; 4]
    }
    #[inline(always)]
    unsafe fn bcast(p: *const T) -> [T; 4] {
        // SAFETY: p is valid for one element (trait contract).
        [unsafe { *p }; 4]
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> [T; 4] {
        // SAFETY: p is valid for 4 elements (trait contract).
        unsafe { [*p, *p.add(1), *p.add(2), *p.add(3)] }
    }
    #[inline(always)]
    unsafe fn load_m(p: *const T, m: usize) -> [T; 4] {
        let mut v = [T::ZERO; 4];
        for (i, l) in v.iter_mut().enumerate().take(m) {
            // SAFETY: p is valid for the first m <= 4 elements.
            *l = unsafe { *p.add(i) };
        }
        v
    }
    #[inline(always)]
    unsafe fn store(p: *mut T, v: [T; 4]) {
        for (i, l) in v.iter().enumerate() {
            // SAFETY: p is valid for 4 elements.
            unsafe { *p.add(i) = *l };
        }
    }
    #[inline(always)]
    unsafe fn store_m(p: *mut T, v: [T; 4], m: usize) {
        for (i, l) in v.iter().enumerate().take(m) {
            // SAFETY: p is valid for the first m <= 4 elements.
            unsafe { *p.add(i) = *l };
        }
    }
    #[inline(always)]
    unsafe fn fma(a: [T; 4], b: [T; 4], c: [T; 4]) -> [T; 4] {
        [
            a[0] * b[0] + c[0],
            a[1] * b[1] + c[1],
            a[2] * b[2] + c[2],
            a[3] * b[3] + c[3],
        ]
    }
    #[inline(always)]
    unsafe fn add(a: [T; 4], b: [T; 4]) -> [T; 4] {
        [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
    }
    #[inline(always)]
    unsafe fn mask(n: usize) -> usize {
        n
    }
    #[inline(always)]
    unsafe fn reduce(v: [T; 4]) -> T {
        (v[0] + v[1]) + (v[2] + v[3])
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::*;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Simd;
    use core::arch::x86_64::*;

    /// AVX-512F, f32: 16 lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512F32;
    /// AVX-512F, f64: 8 lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512F64;
    /// AVX2 + FMA, f32: 8 lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2F32;
    /// AVX2 + FMA, f64: 4 lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2F64;

    // SAFETY (every unsafe block below): the trait contract: the CPU has the
    // level's features, and the pointers are valid for the lanes touched
    // (masked lanes are neither read nor written by the masked forms).

    impl Simd for Avx512F32 {
        type T = f32;
        type V = __m512;
        type M = __mmask16;
        const LANES: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> __m512 {
            // SAFETY: see the module note.
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn bcast(p: *const f32) -> __m512 {
            // SAFETY: see the module note.
            unsafe { _mm512_set1_ps(*p) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m512 {
            // SAFETY: see the module note.
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn load_m(p: *const f32, m: __mmask16) -> __m512 {
            // SAFETY: see the module note.
            unsafe { _mm512_maskz_loadu_ps(m, p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m512) {
            // SAFETY: see the module note.
            unsafe { _mm512_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn store_m(p: *mut f32, v: __m512, m: __mmask16) {
            // SAFETY: see the module note.
            unsafe { _mm512_mask_storeu_ps(p, m, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
            // SAFETY: see the module note.
            unsafe { _mm512_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m512, b: __m512) -> __m512 {
            // SAFETY: see the module note.
            unsafe { _mm512_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mask(n: usize) -> __mmask16 {
            ((1u32 << n) - 1) as __mmask16
        }
        #[inline(always)]
        unsafe fn reduce(v: __m512) -> f32 {
            // SAFETY: see the module note.
            unsafe {
                let h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps_f(v));
                reduce256_ps(h)
            }
        }
        #[inline(always)]
        unsafe fn tiny444(
            count: usize,
            x: *const f32,
            y: *const f32,
            out: *mut f32,
            strides: (isize, isize, isize),
        ) -> bool {
            // SAFETY: the method's contract; the CPU has avx512f (this
            // level's contract).
            unsafe { tiny444_f32(count, x, y, out, strides) };
            true
        }
        #[inline(always)]
        unsafe fn tiny888(
            count: usize,
            x: *const f32,
            y: *const f32,
            out: *mut f32,
            strides: (isize, isize, isize),
        ) -> bool {
            // SAFETY: the method's contract; the CPU has avx512f (this
            // level's contract).
            unsafe { tiny888_f32(count, x, y, out, strides) };
            true
        }
        #[inline(always)]
        unsafe fn pack_nt(
            src: *const f32,
            kc: usize,
            nr: usize,
            cs: isize,
            dst: *mut f32,
            ld: usize,
        ) {
            let (t0, j0) = (kc / 16 * 16, nr / 16 * 16);
            // SAFETY: 16×16 tiles inside [0, t0) × [0, j0), then the rest
            // element by element (the method's contract).
            unsafe {
                for jb in (0..j0).step_by(16) {
                    for tb in (0..t0).step_by(16) {
                        let mut r = [_mm512_setzero_ps(); 16];
                        for (q, v) in r.iter_mut().enumerate() {
                            *v = _mm512_loadu_ps(
                                src.wrapping_offset((jb + q) as isize * cs).add(tb),
                            );
                        }
                        let r = transpose16(r);
                        for (p, v) in r.iter().enumerate() {
                            _mm512_storeu_ps(dst.add((tb + p) * ld + jb), *v);
                        }
                    }
                }
                super::pack_nt_scalar(src, kc, nr, cs, dst, ld, t0, j0);
            }
        }
    }

    /// `Simd::tiny444` for f32 on AVX-512 (its own function, so that its
    /// loop has the registers to itself).
    ///
    /// # Safety
    /// `Simd::tiny444`'s contract; the CPU has avx512f.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline(never)]
    unsafe fn tiny444_f32(
        count: usize,
        x: *const f32,
        y: *const f32,
        out: *mut f32,
        strides: (isize, isize, isize),
    ) {
        let (xs, ys, os) = strides;
        // SAFETY: each block is 16 contiguous elements inside its buffer
        // (contract).
        unsafe {
            // Lane (i, j) = i·4 + j. a_t picks A[i, t] (an in-lane shuffle);
            // b_t is row t of B repeated in every 128-bit lane.
            let block = |xp: *const f32, yp: *const f32, op: *mut f32| {
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
                _mm512_storeu_ps(op, c);
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

    /// `Simd::tiny888` for f32 on AVX-512. Output rows 2j and 2j+1 share
    /// one vector (lanes 0..8 and 8..16); step t multiplies A[2j][t] and
    /// A[2j+1][t] (a permute of A's rows 2j, 2j+1, themselves one vector)
    /// by row t of B in both halves. Each element is an FMA chain from +0.0
    /// in ascending t, as in `gemm::micro`.
    ///
    /// # Safety
    /// `Simd::tiny888`'s contract; the CPU has avx512f.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline(never)]
    unsafe fn tiny888_f32(
        count: usize,
        x: *const f32,
        y: *const f32,
        out: *mut f32,
        strides: (isize, isize, isize),
    ) {
        let (xs, ys, os) = strides;
        // SAFETY: each block is 64 contiguous elements inside its buffer
        // (contract).
        unsafe {
            // idx[t]: lanes 0..8 pick element t, lanes 8..16 element 8 + t.
            let base = _mm512_set_epi32(8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0);
            let mut idx = [base; 8];
            for (t, it) in idx.iter_mut().enumerate() {
                *it = _mm512_add_epi32(base, _mm512_set1_epi32(t as i32));
            }
            let (mut xp, mut yp, mut op) = (x, y, out);
            for _ in 0..count {
                let a = [
                    _mm512_loadu_ps(xp),
                    _mm512_loadu_ps(xp.add(16)),
                    _mm512_loadu_ps(xp.add(32)),
                    _mm512_loadu_ps(xp.add(48)),
                ];
                // From +0.0 (not a product: -0.0 · x must sum to +0.0).
                let mut c = [_mm512_setzero_ps(); 4];
                for (t, &it) in idx.iter().enumerate() {
                    let b = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(
                        _mm256_loadu_ps(yp.add(8 * t)),
                    )));
                    for j in 0..4 {
                        c[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(it, a[j]), b, c[j]);
                    }
                }
                for (j, &cj) in c.iter().enumerate() {
                    _mm512_storeu_ps(op.add(16 * j), cj);
                }
                xp = xp.wrapping_offset(xs);
                yp = yp.wrapping_offset(ys);
                op = op.wrapping_offset(os);
            }
        }
    }

    /// 16×16 f32 transpose: out[p] lane q = in[q] lane p.
    #[inline(always)]
    unsafe fn transpose16(r: [__m512; 16]) -> [__m512; 16] {
        // SAFETY: avx512f (caller).
        unsafe {
            let mut t = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            let mut u = [_mm512_setzero_ps(); 16];
            for g in 0..4 {
                let b = 4 * g;
                u[b] = _mm512_shuffle_ps::<0x44>(t[b], t[b + 2]);
                u[b + 1] = _mm512_shuffle_ps::<0xEE>(t[b], t[b + 2]);
                u[b + 2] = _mm512_shuffle_ps::<0x44>(t[b + 1], t[b + 3]);
                u[b + 3] = _mm512_shuffle_ps::<0xEE>(t[b + 1], t[b + 3]);
            }
            let mut v = [_mm512_setzero_ps(); 16];
            for h in 0..2 {
                let b = 8 * h;
                for i in 0..4 {
                    v[b + i] = _mm512_shuffle_f32x4::<0x88>(u[b + i], u[b + 4 + i]);
                    v[b + 4 + i] = _mm512_shuffle_f32x4::<0xDD>(u[b + i], u[b + 4 + i]);
                }
            }
            let mut w = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                w[i] = _mm512_shuffle_f32x4::<0x88>(v[i], v[8 + i]);
                w[8 + i] = _mm512_shuffle_f32x4::<0xDD>(v[i], v[8 + i]);
            }
            w
        }
    }

    /// The upper 256 bits of a zmm (avx512f only: via the f64x4 extract).
    #[inline(always)]
    unsafe fn _mm512_extractf32x8_ps_f(v: __m512) -> __m256 {
        // SAFETY: avx512f (trait contract of the caller).
        unsafe { _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v))) }
    }

    #[inline(always)]
    unsafe fn reduce256_ps(h: __m256) -> f32 {
        // SAFETY: avx (trait contract of the caller).
        unsafe {
            let q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps::<1>(h));
            let d = _mm_add_ps(q, _mm_movehl_ps(q, q));
            let s = _mm_add_ss(d, _mm_shuffle_ps::<1>(d, d));
            _mm_cvtss_f32(s)
        }
    }

    #[inline(always)]
    unsafe fn reduce256_pd(h: __m256d) -> f64 {
        // SAFETY: avx (trait contract of the caller).
        unsafe {
            let q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd::<1>(h));
            let s = _mm_add_sd(q, _mm_unpackhi_pd(q, q));
            _mm_cvtsd_f64(s)
        }
    }

    impl Simd for Avx512F64 {
        type T = f64;
        type V = __m512d;
        type M = __mmask8;
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> __m512d {
            // SAFETY: see the module note.
            unsafe { _mm512_setzero_pd() }
        }
        #[inline(always)]
        unsafe fn bcast(p: *const f64) -> __m512d {
            // SAFETY: see the module note.
            unsafe { _mm512_set1_pd(*p) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> __m512d {
            // SAFETY: see the module note.
            unsafe { _mm512_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn load_m(p: *const f64, m: __mmask8) -> __m512d {
            // SAFETY: see the module note.
            unsafe { _mm512_maskz_loadu_pd(m, p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f64, v: __m512d) {
            // SAFETY: see the module note.
            unsafe { _mm512_storeu_pd(p, v) }
        }
        #[inline(always)]
        unsafe fn store_m(p: *mut f64, v: __m512d, m: __mmask8) {
            // SAFETY: see the module note.
            unsafe { _mm512_mask_storeu_pd(p, m, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
            // SAFETY: see the module note.
            unsafe { _mm512_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m512d, b: __m512d) -> __m512d {
            // SAFETY: see the module note.
            unsafe { _mm512_add_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn mask(n: usize) -> __mmask8 {
            ((1u32 << n) - 1) as __mmask8
        }
        #[inline(always)]
        unsafe fn reduce(v: __m512d) -> f64 {
            // SAFETY: see the module note.
            unsafe {
                let h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd::<1>(v));
                reduce256_pd(h)
            }
        }
        #[inline(always)]
        unsafe fn pack_nt(
            src: *const f64,
            kc: usize,
            nr: usize,
            cs: isize,
            dst: *mut f64,
            ld: usize,
        ) {
            let (t0, j0) = (kc / 8 * 8, nr / 8 * 8);
            // SAFETY: 8×8 tiles inside [0, t0) × [0, j0), then the rest
            // element by element (the method's contract).
            unsafe {
                for jb in (0..j0).step_by(8) {
                    for tb in (0..t0).step_by(8) {
                        let mut r = [_mm512_setzero_pd(); 8];
                        for (q, v) in r.iter_mut().enumerate() {
                            *v = _mm512_loadu_pd(
                                src.wrapping_offset((jb + q) as isize * cs).add(tb),
                            );
                        }
                        let r = transpose8(r);
                        for (p, v) in r.iter().enumerate() {
                            _mm512_storeu_pd(dst.add((tb + p) * ld + jb), *v);
                        }
                    }
                }
                super::pack_nt_scalar(src, kc, nr, cs, dst, ld, t0, j0);
            }
        }
    }

    /// 8×8 f64 transpose: out[p] lane q = in[q] lane p.
    #[inline(always)]
    unsafe fn transpose8(r: [__m512d; 8]) -> [__m512d; 8] {
        // SAFETY: avx512f (caller).
        unsafe {
            let mut t = [_mm512_setzero_pd(); 8];
            for i in 0..4 {
                t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
            }
            let mut u = [_mm512_setzero_pd(); 8];
            for h in 0..2 {
                let b = 4 * h;
                u[b] = _mm512_shuffle_f64x2::<0x88>(t[b], t[b + 2]);
                u[b + 1] = _mm512_shuffle_f64x2::<0x88>(t[b + 1], t[b + 3]);
                u[b + 2] = _mm512_shuffle_f64x2::<0xDD>(t[b], t[b + 2]);
                u[b + 3] = _mm512_shuffle_f64x2::<0xDD>(t[b + 1], t[b + 3]);
            }
            let mut w = [_mm512_setzero_pd(); 8];
            for i in 0..4 {
                w[i] = _mm512_shuffle_f64x2::<0x88>(u[i], u[4 + i]);
                w[4 + i] = _mm512_shuffle_f64x2::<0xDD>(u[i], u[4 + i]);
            }
            w
        }
    }

    const MASK32: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
    const MASK64: [i64; 8] = [-1, -1, -1, -1, 0, 0, 0, 0];

    impl Simd for Avx2F32 {
        type T = f32;
        type V = __m256;
        type M = __m256i;
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> __m256 {
            // SAFETY: see the module note.
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn bcast(p: *const f32) -> __m256 {
            // SAFETY: see the module note.
            unsafe { _mm256_set1_ps(*p) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            // SAFETY: see the module note.
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn load_m(p: *const f32, m: __m256i) -> __m256 {
            // SAFETY: see the module note (maskload does not access
            // masked-off lanes and does not fault on them).
            unsafe { _mm256_maskload_ps(p, m) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m256) {
            // SAFETY: see the module note.
            unsafe { _mm256_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn store_m(p: *mut f32, v: __m256, m: __m256i) {
            // SAFETY: see the module note.
            unsafe { _mm256_maskstore_ps(p, m, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
            // SAFETY: see the module note.
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            // SAFETY: see the module note.
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mask(n: usize) -> __m256i {
            // SAFETY: 8 - n in 0..=8, so the 8 lanes read lie in MASK32.
            unsafe { _mm256_loadu_si256(MASK32.as_ptr().add(8 - n) as *const __m256i) }
        }
        #[inline(always)]
        unsafe fn reduce(v: __m256) -> f32 {
            // SAFETY: see the module note.
            unsafe { reduce256_ps(v) }
        }
    }

    impl Simd for Avx2F64 {
        type T = f64;
        type V = __m256d;
        type M = __m256i;
        const LANES: usize = 4;
        #[inline(always)]
        unsafe fn zero() -> __m256d {
            // SAFETY: see the module note.
            unsafe { _mm256_setzero_pd() }
        }
        #[inline(always)]
        unsafe fn bcast(p: *const f64) -> __m256d {
            // SAFETY: see the module note.
            unsafe { _mm256_set1_pd(*p) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> __m256d {
            // SAFETY: see the module note.
            unsafe { _mm256_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn load_m(p: *const f64, m: __m256i) -> __m256d {
            // SAFETY: see the module note.
            unsafe { _mm256_maskload_pd(p, m) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f64, v: __m256d) {
            // SAFETY: see the module note.
            unsafe { _mm256_storeu_pd(p, v) }
        }
        #[inline(always)]
        unsafe fn store_m(p: *mut f64, v: __m256d, m: __m256i) {
            // SAFETY: see the module note.
            unsafe { _mm256_maskstore_pd(p, m, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            // SAFETY: see the module note.
            unsafe { _mm256_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256d, b: __m256d) -> __m256d {
            // SAFETY: see the module note.
            unsafe { _mm256_add_pd(a, b) }
        }
        #[inline(always)]
        unsafe fn mask(n: usize) -> __m256i {
            // SAFETY: 4 - n in 0..=4, so the 4 lanes read lie in MASK64.
            unsafe { _mm256_loadu_si256(MASK64.as_ptr().add(4 - n) as *const __m256i) }
        }
        #[inline(always)]
        unsafe fn reduce(v: __m256d) -> f64 {
            // SAFETY: see the module note.
            unsafe { reduce256_pd(v) }
        }
    }
}
