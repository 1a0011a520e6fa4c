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
    /// `count` contiguous `n×n·n×n` products (row-major
    /// blocks of `n²` elements, blocks `xs`, `ys`, `os` apart), each element
    /// an FMA chain from +0.0 in ascending t (the arithmetic of
    /// `gemm::micro`). Returns false, doing nothing, when the level has no
    /// kernel for that `n`.
    ///
    /// # Safety
    /// Every block lies inside its buffer; out overlaps neither input.
    #[inline(always)]
    unsafe fn tiny(
        _n: usize,
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

    /// The part of an `impl Simd` that is the same at every x86 level: the
    /// associated items and the methods that are one intrinsic each. The
    /// intrinsics come in the order `zero`, `bcast`, `load`, `store`,
    /// `store_m`, `fma`, `add`; `load_m` comes as `|p, m| call` (the
    /// argument order of the masked loads differs between the levels).
    macro_rules! simd_common {
        (
            $T:ty, $V:ty, $M:ty, $lanes:literal;
            $setzero:ident, $set1:ident, $loadu:ident, $storeu:ident, $mask_storeu:ident,
            $fmadd:ident, $add:ident;
            |$p:ident, $m:ident| $load_m:expr
        ) => {
            type T = $T;
            type V = $V;
            type M = $M;
            const LANES: usize = $lanes;
            #[inline(always)]
            unsafe fn zero() -> $V {
                // SAFETY: see the module note.
                unsafe { $setzero() }
            }
            #[inline(always)]
            unsafe fn bcast(p: *const $T) -> $V {
                // SAFETY: see the module note.
                unsafe { $set1(*p) }
            }
            #[inline(always)]
            unsafe fn load(p: *const $T) -> $V {
                // SAFETY: see the module note.
                unsafe { $loadu(p) }
            }
            #[inline(always)]
            unsafe fn load_m($p: *const $T, $m: $M) -> $V {
                // SAFETY: see the module note (the masked loads neither access
                // nor fault on masked-off lanes).
                unsafe { $load_m }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $T, v: $V) {
                // SAFETY: see the module note.
                unsafe { $storeu(p, v) }
            }
            #[inline(always)]
            unsafe fn store_m(p: *mut $T, v: $V, m: $M) {
                // SAFETY: see the module note.
                unsafe { $mask_storeu(p, m, v) }
            }
            #[inline(always)]
            unsafe fn fma(a: $V, b: $V, c: $V) -> $V {
                // SAFETY: see the module note.
                unsafe { $fmadd(a, b, c) }
            }
            #[inline(always)]
            unsafe fn add(a: $V, b: $V) -> $V {
                // SAFETY: see the module note.
                unsafe { $add(a, b) }
            }
        };
    }

    /// `impl Simd for $S` at the AVX-512F level: bit masks, a reduction
    /// that first adds the two 256-bit halves (`$lo(v) + $hi(v)`, then
    /// `$reduce256`), `pack_nt` by `$lanes`×`$lanes` register transposes
    /// (`$transpose`), and, where given, the tiny kernels (`tiny: n =>
    /// kernel, ...`). The intrinsics come in the order `zero`,
    /// `bcast`, `load`, `load_m`, `store`, `store_m`, `fma`, `add`.
    macro_rules! avx512_simd {
        (
            $S:ident: $T:ty, $V:ty, $M:ty, $lanes:literal;
            $setzero:ident, $set1:ident, $loadu:ident, $maskz_loadu:ident,
            $storeu:ident, $mask_storeu:ident, $fmadd:ident, $add:ident;
            reduce: $lo:ident, $hi:expr, $add256:ident, $reduce256:ident;
            pack_nt: $transpose:ident $(; tiny: $($n:literal => $kernel:ident),+)?
        ) => {
            impl Simd for $S {
                simd_common!(
                    $T, $V, $M, $lanes;
                    $setzero, $set1, $loadu, $storeu, $mask_storeu, $fmadd, $add;
                    |p, m| $maskz_loadu(m, p)
                );
                #[inline(always)]
                unsafe fn mask(n: usize) -> $M {
                    ((1u32 << n) - 1) as $M
                }
                #[inline(always)]
                unsafe fn reduce(v: $V) -> $T {
                    // SAFETY: see the module note.
                    unsafe {
                        let h = $add256($lo(v), $hi(v));
                        $reduce256(h)
                    }
                }
                $(
                    #[inline(always)]
                    unsafe fn tiny(
                        n: usize,
                        count: usize,
                        x: *const $T,
                        y: *const $T,
                        out: *mut $T,
                        strides: (isize, isize, isize),
                    ) -> bool {
                        // SAFETY: the method's contract; the CPU has avx512f
                        // (this level's contract).
                        unsafe {
                            match n {
                                $($n => $kernel(count, x, y, out, strides),)+
                                _ => return false,
                            }
                        }
                        true
                    }
                )?
                #[inline(always)]
                unsafe fn pack_nt(
                    src: *const $T,
                    kc: usize,
                    nr: usize,
                    cs: isize,
                    dst: *mut $T,
                    ld: usize,
                ) {
                    let (t0, j0) = (kc / $lanes * $lanes, nr / $lanes * $lanes);
                    // SAFETY: LANES×LANES tiles inside [0, t0) × [0, j0), then
                    // the rest element by element (the method's contract).
                    unsafe {
                        for jb in (0..j0).step_by($lanes) {
                            for tb in (0..t0).step_by($lanes) {
                                let mut r = [$setzero(); $lanes];
                                for (q, v) in r.iter_mut().enumerate() {
                                    *v = $loadu(
                                        src.wrapping_offset((jb + q) as isize * cs).add(tb),
                                    );
                                }
                                // The same block of the next LANES columns,
                                // so that their loads do not wait on L3
                                // (a2 3-6 % faster; docs/PERFORMANCE.md).
                                if jb + $lanes < j0 {
                                    for q in $lanes..2 * $lanes {
                                        let col = src.wrapping_offset((jb + q) as isize * cs);
                                        super::super::prefetch(col.wrapping_add(tb));
                                    }
                                }
                                let r = $transpose(r);
                                for (p, v) in r.iter().enumerate() {
                                    $storeu(dst.add((tb + p) * ld + jb), *v);
                                }
                            }
                        }
                        super::pack_nt_scalar(src, kc, nr, cs, dst, ld, t0, j0);
                    }
                }
            }
        };
    }

    /// `impl Simd for $S` at the AVX2 + FMA level: vector masks read from
    /// `$table` (`$lanes` all-ones lanes, then `$lanes` zero lanes), and the
    /// 256-bit reduction `$reduce256`. The intrinsics come in the order
    /// `zero`, `bcast`, `load`, `load_m`, `store`, `store_m`, `fma`, `add`.
    macro_rules! avx2_simd {
        (
            $S:ident: $T:ty, $V:ty, $lanes:literal, $table:ident;
            $setzero:ident, $set1:ident, $loadu:ident, $maskload:ident,
            $storeu:ident, $maskstore:ident, $fmadd:ident, $add:ident;
            reduce: $reduce256:ident
        ) => {
            impl Simd for $S {
                simd_common!(
                    $T, $V, __m256i, $lanes;
                    $setzero, $set1, $loadu, $storeu, $maskstore, $fmadd, $add;
                    |p, m| $maskload(p, m)
                );
                #[inline(always)]
                unsafe fn mask(n: usize) -> __m256i {
                    // SAFETY: n <= LANES, so the LANES lanes read from
                    // index LANES - n lie in the table's 2·LANES.
                    unsafe { _mm256_loadu_si256($table.as_ptr().add($lanes - n) as *const __m256i) }
                }
                #[inline(always)]
                unsafe fn reduce(v: $V) -> $T {
                    // SAFETY: see the module note.
                    unsafe { $reduce256(v) }
                }
            }
        };
    }

    avx512_simd!(Avx512F32: f32, __m512, __mmask16, 16;
        _mm512_setzero_ps, _mm512_set1_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps,
        _mm512_storeu_ps, _mm512_mask_storeu_ps, _mm512_fmadd_ps, _mm512_add_ps;
        reduce: _mm512_castps512_ps256, _mm512_extractf32x8_ps_f, _mm256_add_ps, reduce256_ps;
        pack_nt: transpose16; tiny: 4 => tiny444_f32, 8 => tiny888_f32);
    avx512_simd!(Avx512F64: f64, __m512d, __mmask8, 8;
        _mm512_setzero_pd, _mm512_set1_pd, _mm512_loadu_pd, _mm512_maskz_loadu_pd,
        _mm512_storeu_pd, _mm512_mask_storeu_pd, _mm512_fmadd_pd, _mm512_add_pd;
        reduce: _mm512_castpd512_pd256, _mm512_extractf64x4_pd::<1>, _mm256_add_pd, reduce256_pd;
        pack_nt: transpose8; tiny: 4 => tiny444_f64);
    avx2_simd!(Avx2F32: f32, __m256, 8, MASK32;
        _mm256_setzero_ps, _mm256_set1_ps, _mm256_loadu_ps, _mm256_maskload_ps,
        _mm256_storeu_ps, _mm256_maskstore_ps, _mm256_fmadd_ps, _mm256_add_ps;
        reduce: reduce256_ps);
    avx2_simd!(Avx2F64: f64, __m256d, 4, MASK64;
        _mm256_setzero_pd, _mm256_set1_pd, _mm256_loadu_pd, _mm256_maskload_pd,
        _mm256_storeu_pd, _mm256_maskstore_pd, _mm256_fmadd_pd, _mm256_add_pd;
        reduce: reduce256_pd);

    /// How far ahead, in bytes of contiguous blocks, the fixed-size kernels
    /// prefetch x and y. Measured on d1 and d2 (docs/PERFORMANCE.md): 5–7 %
    /// faster at 1 or 2 KiB ahead, less at 4 KiB.
    const TINY_AHEAD_BYTES: usize = 1024;

    /// Prefetches the block of `len` contiguous elements that lies
    /// `TINY_AHEAD_BYTES` of blocks (`stride` elements apart) past `p`.
    #[inline(always)]
    fn prefetch_block_ahead<T>(p: *const T, stride: isize, len: usize) {
        let blocks = (TINY_AHEAD_BYTES / (len * size_of::<T>())) as isize;
        super::super::prefetch_lines(p.wrapping_offset(blocks * stride), len);
    }

    /// `Simd::tiny` (n = 4) for f32 on AVX-512 (its own function, so that its
    /// loop has the registers to itself).
    ///
    /// # Safety
    /// `Simd::tiny`'s contract; the CPU has avx512f.
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
    unsafe fn tiny444_f64(
        count: usize,
        x: *const f64,
        y: *const f64,
        out: *mut f64,
        strides: (isize, isize, isize),
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
                    _mm512_storeu_pd(op.add(8 * j), c);
                }
                xp = xp.wrapping_offset(xs);
                yp = yp.wrapping_offset(ys);
                op = op.wrapping_offset(os);
            }
        }
    }

    /// `Simd::tiny` (n = 8) for f32 on AVX-512. Output rows 2j and 2j+1 share
    /// one vector (lanes 0..8 and 8..16); step t multiplies A[2j][t] and
    /// A[2j+1][t] (a permute of A's rows 2j, 2j+1, themselves one vector)
    /// by row t of B in both halves. Each element is an FMA chain from +0.0
    /// in ascending t, as in `gemm::micro`.
    ///
    /// # Safety
    /// `Simd::tiny`'s contract; the CPU has avx512f.
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
                prefetch_block_ahead(xp, xs, 64);
                prefetch_block_ahead(yp, ys, 64);
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
}
