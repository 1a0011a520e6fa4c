//! Vector primitives: a minimal vector abstraction, implemented once per
//! (instruction set, element type), and the cache hints (prefetches). Every
//! method is `#[inline(always)]`: the kernels are generic over `Simd` and
//! instantiated inside one `#[target_feature]` function per level (see
//! `dispatch.rs`), where all of it inlines into straight vector code. The
//! two level-specific kernels a level may bring (`tiny`, `pack_nt`) are
//! hooks here; their code is in `tiny.rs` and `pack.rs`.
//!
//! # Safety (all methods)
//! The caller runs on a CPU with the level's features (guaranteed by
//! `isa::active`), and every pointer passed is valid for the lanes the
//! method touches: all `LANES` lanes for `load`/`store`, the first `n` lanes
//! for the masked forms (masked-off lanes are never accessed), one element
//! for `bcast`.

use super::scale::Epi;
use super::tuning::LINE_BYTES;
use super::Element;

/// Hints the CPU to bring the cache line holding `p` into L1
/// (`HINT` = 3, PREFETCHT0) or L2 (`HINT` = 2, PREFETCHT1): the values of
/// `_MM_HINT_T0` and `_MM_HINT_T1`. A hint only: it never faults, whatever
/// `p` is.
#[inline(always)]
fn prefetch_into<const HINT: i32, T>(p: *const T) {
    // (Not under miri, which has nothing to prefetch into.)
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: PREFETCHT0/T1 are part of SSE (baseline on x86_64) and never
    // fault, even on an invalid address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<HINT>(p.cast::<i8>())
    };
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = p;
}

/// Hints the CPU to bring the cache line holding `p` into L1.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    prefetch_into::<3, T>(p);
}

/// Hints the CPU to bring the cache line holding `p` into L2 (not L1).
#[inline(always)]
pub(crate) fn prefetch_l2<T>(p: *const T) {
    prefetch_into::<2, T>(p);
}

/// `prefetch_into::<HINT>` for every cache line of the `len` contiguous
/// elements from `p`.
#[inline(always)]
fn lines_into<const HINT: i32, T>(p: *const T, len: usize) {
    for t in (0..len).step_by((LINE_BYTES / size_of::<T>()).max(1)) {
        prefetch_into::<HINT, T>(p.wrapping_add(t));
    }
}

/// `prefetch_l2` for every cache line of the `len` contiguous elements
/// from `p`.
#[inline(always)]
pub(crate) fn prefetch_lines_l2<T>(p: *const T, len: usize) {
    lines_into::<2, T>(p, len);
}

/// `prefetch` for every cache line of the `len` contiguous elements from `p`.
#[inline(always)]
pub(crate) fn prefetch_lines<T>(p: *const T, len: usize) {
    lines_into::<3, T>(p, len);
}

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
    /// `a * b`.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// The mask of the first `n` lanes, `n <= LANES`.
    unsafe fn mask(n: usize) -> Self::M;
    /// Sum of the lanes in a fixed order.
    unsafe fn reduce(v: Self::V) -> Self::T;
    /// `count` contiguous `n×n·n×n` products (row-major
    /// blocks of `n²` elements, blocks `xs`, `ys`, `os` apart), each element
    /// an FMA chain from +0.0 in ascending t (the arithmetic of
    /// `gemm::micro`), with a fixed-size kernel of `tiny.rs`, storing
    /// through `e` (the same epilogue as the microkernel's). Returns false,
    /// doing nothing, when the level has no kernel for that `n`.
    ///
    /// # Safety
    /// Every block lies inside its buffer; out overlaps neither input.
    #[inline(always)]
    unsafe fn tiny<E: Epi<Self::T>>(
        _n: usize,
        _count: usize,
        _x: *const Self::T,
        _y: *const Self::T,
        _out: *mut Self::T,
        _strides: (isize, isize, isize),
        _e: E,
    ) -> bool {
        false
    }
    /// Transposing copy `dst[t·ld + j] = src[j·cs + t]` for `t < kc`,
    /// `j < nr` (packs a B whose columns are contiguous; `pack.rs`).
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
        unsafe { super::pack::pack_nt_scalar(src, kc, nr, cs, dst, ld, 0, 0) }
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
    unsafe fn mul(a: [T; 4], b: [T; 4]) -> [T; 4] {
        [a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]]
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
    use super::super::{pack, tiny};
    use super::{Epi, Simd};
    use core::arch::x86_64::*;

    /// AVX-512F, f32: 16 lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512F32;
    /// AVX-512F, f32, on a CPU that also has AVX512_BF16 (and AVX512DQ):
    /// the vectors and arithmetic of `Avx512F32`; only the rounding of f32
    /// to bfloat16 differs in the instructions it uses (`half::Conv`).
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512Bf16F32;
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
            $fmadd:ident, $add:ident, $mul:ident;
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
            #[inline(always)]
            unsafe fn mul(a: $V, b: $V) -> $V {
                // SAFETY: see the module note.
                unsafe { $mul(a, b) }
            }
        };
    }

    /// `impl Simd for $S` at the AVX-512F level: bit masks, a reduction
    /// that first adds the two 256-bit halves (`$lo(v) + $hi(v)`, then
    /// `$reduce256`), `pack_nt` by the register transposes of `$pack_nt`,
    /// and, where given, the fixed-size kernels (`tiny: n => kernel, ...`).
    /// The intrinsics come in the order `zero`,
    /// `bcast`, `load`, `load_m`, `store`, `store_m`, `fma`, `add`.
    macro_rules! avx512_simd {
        (
            $S:ident: $T:ty, $V:ty, $M:ty, $lanes:literal;
            $setzero:ident, $set1:ident, $loadu:ident, $maskz_loadu:ident,
            $storeu:ident, $mask_storeu:ident, $fmadd:ident, $add:ident, $mul:ident;
            reduce: $lo:ident, $hi:expr, $add256:ident, $reduce256:ident;
            pack_nt: $pack_nt:path $(; tiny: $($n:literal => $kernel:path),+)?
        ) => {
            impl Simd for $S {
                simd_common!(
                    $T, $V, $M, $lanes;
                    $setzero, $set1, $loadu, $storeu, $mask_storeu, $fmadd, $add, $mul;
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
                    unsafe fn tiny<E: Epi<$T>>(
                        n: usize,
                        count: usize,
                        x: *const $T,
                        y: *const $T,
                        out: *mut $T,
                        strides: (isize, isize, isize),
                        e: E,
                    ) -> bool {
                        // SAFETY: the method's contract; the CPU has avx512f
                        // and avx512vl (this level's contract).
                        unsafe {
                            match n {
                                $($n => $kernel(count, x, y, out, strides, e),)+
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
                    // SAFETY: the method's contract.
                    unsafe { $pack_nt(src, kc, nr, cs, dst, ld) }
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
            $storeu:ident, $maskstore:ident, $fmadd:ident, $add:ident, $mul:ident;
            reduce: $reduce256:ident
        ) => {
            impl Simd for $S {
                simd_common!(
                    $T, $V, __m256i, $lanes;
                    $setzero, $set1, $loadu, $storeu, $maskstore, $fmadd, $add, $mul;
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
        _mm512_storeu_ps, _mm512_mask_storeu_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_mul_ps;
        reduce: _mm512_castps512_ps256, _mm512_extractf32x8_ps_f, _mm256_add_ps, reduce256_ps;
        pack_nt: pack::pack_nt_f32; tiny: 4 => tiny::tiny444_f32, 8 => tiny::tiny888_f32);
    avx512_simd!(Avx512Bf16F32: f32, __m512, __mmask16, 16;
        _mm512_setzero_ps, _mm512_set1_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps,
        _mm512_storeu_ps, _mm512_mask_storeu_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_mul_ps;
        reduce: _mm512_castps512_ps256, _mm512_extractf32x8_ps_f, _mm256_add_ps, reduce256_ps;
        pack_nt: pack::pack_nt_f32);
    avx512_simd!(Avx512F64: f64, __m512d, __mmask8, 8;
        _mm512_setzero_pd, _mm512_set1_pd, _mm512_loadu_pd, _mm512_maskz_loadu_pd,
        _mm512_storeu_pd, _mm512_mask_storeu_pd, _mm512_fmadd_pd, _mm512_add_pd, _mm512_mul_pd;
        reduce: _mm512_castpd512_pd256, _mm512_extractf64x4_pd::<1>, _mm256_add_pd, reduce256_pd;
        pack_nt: pack::pack_nt_f64; tiny: 4 => tiny::tiny444_f64);
    avx2_simd!(Avx2F32: f32, __m256, 8, MASK32;
        _mm256_setzero_ps, _mm256_set1_ps, _mm256_loadu_ps, _mm256_maskload_ps,
        _mm256_storeu_ps, _mm256_maskstore_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_mul_ps;
        reduce: reduce256_ps);
    avx2_simd!(Avx2F64: f64, __m256d, 4, MASK64;
        _mm256_setzero_pd, _mm256_set1_pd, _mm256_loadu_pd, _mm256_maskload_pd,
        _mm256_storeu_pd, _mm256_maskstore_pd, _mm256_fmadd_pd, _mm256_add_pd, _mm256_mul_pd;
        reduce: reduce256_pd);

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

    const MASK32: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
    const MASK64: [i64; 8] = [-1, -1, -1, -1, 0, 0, 0, 0];
}
