//! The 16-bit floating formats (bfloat16, IEEE binary16): exact conversion
//! to f32, one round-to-nearest-even back, per element and per vector of
//! each level (`Conv`), and the copies that convert whole tiles into f32
//! scratch memory (`widen`) and store finished f32 sums into an output of
//! any dtype and strides (`store_out`). `wide.rs` runs the f32 kernels
//! between the two.
//!
//! Conversions are exact both ways where they can be: every bfloat16 and
//! every binary16 value (subnormals included) is a binary32 value, so
//! widening never rounds and never flushes; narrowing rounds once, to
//! nearest even, overflowing to ±Inf, and keeps NaN a (quiet) NaN.

use super::scale::{Epi, Scaled};
use super::simd::{Scalar, Simd};

/// A 16-bit floating format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// bfloat16: the top half of a binary32.
    Bf16,
    /// IEEE binary16.
    F16,
}

/// The output type of a call with 16-bit inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutTy {
    /// The inputs' 16-bit format (rounded once from the f32 result).
    Same,
    /// f32 (the f32 result as it is).
    F32,
}

/// The element types of a call with 16-bit inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wide {
    /// Format of x and y.
    pub half: Half,
    /// Type of out.
    pub out: OutTy,
}

impl Half {
    /// The exact f32 value of `b`.
    #[inline(always)]
    pub(crate) fn to_f32(self, b: u16) -> f32 {
        match self {
            Half::Bf16 => bf16_to_f32(b),
            Half::F16 => f16_to_f32(b),
        }
    }

    /// `v` rounded once to this format (nearest, ties to even).
    #[inline(always)]
    pub(crate) fn round_f32(self, v: f32) -> u16 {
        match self {
            Half::Bf16 => f32_to_bf16(v),
            Half::F16 => f32_to_f16(v),
        }
    }
}

/// bfloat16 bits to f32 (exact: a shift).
#[inline(always)]
pub(crate) fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits((b as u32) << 16)
}

/// f32 to bfloat16, rounded to nearest even; NaN stays a quiet NaN with
/// the same sign and top payload bits.
#[inline(always)]
pub(crate) fn f32_to_bf16(v: f32) -> u16 {
    let b = v.to_bits();
    if b & 0x7fff_ffff > 0x7f80_0000 {
        return ((b >> 16) | 0x40) as u16;
    }
    (b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

/// binary16 bits to f32 (exact).
#[inline(always)]
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let mag = match exp {
        // Zero and subnormals: man · 2⁻²⁴ (exact in f32).
        0 => (man as f32 * (1.0 / 16_777_216.0)).to_bits(),
        // Inf, and NaN made quiet with its payload kept (as F16C does).
        31 if man == 0 => 0x7f80_0000,
        31 => 0x7fc0_0000 | (man << 13),
        _ => ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(sign | mag)
}

/// f32 to binary16, rounded to nearest even (subnormal results included);
/// at or above 65520 in magnitude, ±Inf; NaN stays a quiet NaN.
#[inline(always)]
pub(crate) fn f32_to_f16(v: f32) -> u16 {
    let b = v.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let a = b & 0x7fff_ffff;
    if a > 0x7f80_0000 {
        return sign | 0x7e00 | ((a >> 13) & 0x3ff) as u16;
    }
    if a >= 0x477f_f000 {
        // 65520 = 65504 + half an ulp, a tie that rounds (to even) up.
        return sign | 0x7c00;
    }
    if a >= 0x3880_0000 {
        // Normal results (>= 2⁻¹⁴): round at bit 13, then rebias the
        // exponent (127 - 15 = 112); a carry moves into the exponent.
        let r = a + 0xfff + ((a >> 13) & 1);
        return sign | ((r - 0x3800_0000) >> 13) as u16;
    }
    // Subnormal results: round v·2²⁴ (exact, below 2¹⁰) to an integer, to
    // nearest even, by adding and removing 2²³ (IEEE addition rounds so).
    let x = f32::from_bits(a) * 16_777_216.0;
    let r = (x + 8_388_608.0) - 8_388_608.0;
    sign | r as u16
}

/// The order `Conv::reduce16` takes its vectors in: lane `l` of the result
/// reduces `v[M16[l]]` (an involution: `M16[M16[l]] == l`).
pub(crate) const M16: [usize; 16] = [0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15];

/// Conversions of one vector of a level's f32 lanes.
///
/// # Safety (every method)
/// The CPU supports the level; the pointers are valid for `LANES`
/// elements (`widen_t`: for the tile it names).
pub(crate) trait Conv: Simd<T = f32> {
    /// `LANES` 16-bit values from `p`, converted exactly.
    unsafe fn widen_v(h: Half, p: *const u16) -> Self::V;
    /// `v` rounded once to `h`, stored at `p` (`LANES` elements).
    unsafe fn narrow_v(h: Half, v: Self::V, p: *mut u16);
    /// The first `r < LANES` elements from `x` and from `y`, converted
    /// exactly, and +0.0 in the other lanes: `widen_v` of zero-padded
    /// copies, bit for bit. Reads those `r` elements only (`x`, `y` valid
    /// for `r` elements).
    #[inline(always)]
    unsafe fn widen_tails(h: Half, x: *const u16, y: *const u16, r: usize) -> (Self::V, Self::V) {
        let (mut tx, mut ty) = ([0u16; 16], [0u16; 16]);
        // SAFETY: the method's contract; tx, ty hold r < LANES <= 16
        // elements.
        unsafe {
            for q in 0..r {
                tx[q] = *x.add(q);
                ty[q] = *y.add(q);
            }
            (Self::widen_v(h, tx.as_ptr()), Self::widen_v(h, ty.as_ptr()))
        }
    }
    /// `v` rounded once to `h`: `Half::round_f32`, bit for bit (the lane
    /// instruction of `narrow_v` where the level has one).
    #[inline(always)]
    unsafe fn narrow1(h: Half, v: f32) -> u16 {
        h.round_f32(v)
    }
    /// As `widen2_v`, reading only the `2·LANES − 1` elements up to the
    /// last one taken (the last vector of a row).
    #[inline(always)]
    unsafe fn widen2_end_v(h: Half, p: *const u16) -> Self::V {
        let mut t = [0u16; 16];
        // SAFETY: the method's contract; t holds LANES <= 16 elements.
        unsafe {
            for (i, v) in t.iter_mut().enumerate().take(Self::LANES) {
                *v = *p.add(2 * i);
            }
            Self::widen_v(h, t.as_ptr())
        }
    }
    /// `LANES` 16-bit values two elements apart from `p` (even indices of
    /// `2·LANES` elements, all of which are read), converted exactly.
    #[inline(always)]
    unsafe fn widen2_v(h: Half, p: *const u16) -> Self::V {
        // SAFETY: the method's contract covers `widen2_end_v`'s.
        unsafe { Self::widen2_end_v(h, p) }
    }
    /// Whether `reduce16` exists at this level.
    const REDUCE16: bool = false;
    /// Sixteen reductions at once: lane `l` is `Simd::reduce(v[M16[l]])`
    /// bit for bit (the same additions, in the same tree), for 16-lane
    /// vectors (`REDUCE16`).
    #[inline(always)]
    unsafe fn reduce16(_v: &[Self::V; 16]) -> Self::V {
        unreachable!("reduce16 at a level without it")
    }
    /// `a·b + c` on one element, with the rounding of `Simd::fma` (fused at
    /// the vector levels), for the scalar tails of `store_out`.
    fn fma1(a: f32, b: f32, c: f32) -> f32;
    /// The transposing tile `dst[r·ld + c] = src[r + c·cs]`, `r, c < LANES`.
    #[inline(always)]
    unsafe fn widen_t(h: Half, src: *const u16, cs: isize, dst: *mut f32, ld: usize) {
        let mut tmp = [0.0f32; 16 * 16];
        let l = Self::LANES;
        debug_assert!(l <= 16);
        // SAFETY: the method's contract; tmp holds l·l <= 256 elements.
        unsafe {
            for c in 0..l {
                let v = Self::widen_v(h, src.wrapping_offset(c as isize * cs));
                Self::store(tmp.as_mut_ptr().add(c * l), v);
            }
            for r in 0..l {
                for c in 0..l {
                    *dst.add(r * ld + c) = tmp[c * l + r];
                }
            }
        }
    }
}

impl Conv for Scalar<f32> {
    #[inline(always)]
    unsafe fn widen_v(h: Half, p: *const u16) -> [f32; 4] {
        // SAFETY: p is valid for 4 elements (trait contract).
        unsafe {
            [
                h.to_f32(*p),
                h.to_f32(*p.add(1)),
                h.to_f32(*p.add(2)),
                h.to_f32(*p.add(3)),
            ]
        }
    }
    #[inline(always)]
    unsafe fn narrow_v(h: Half, v: [f32; 4], p: *mut u16) {
        for (i, &x) in v.iter().enumerate() {
            // SAFETY: p is valid for 4 elements (trait contract).
            unsafe { *p.add(i) = h.round_f32(x) };
        }
    }
    #[inline(always)]
    fn fma1(a: f32, b: f32, c: f32) -> f32 {
        // As `Scalar::fma`: not fused.
        a * b + c
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::tiny_avx512;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{out_size, put_v, Conv, Half, OutTy, Scaled, Wide};
    use crate::kernel::pack::transpose16;
    use crate::kernel::simd::{Avx2F32, Avx512Bf16F32, Avx512F32, Simd};
    use core::arch::x86_64::*;

    // SAFETY (every unsafe block below): the trait contract: the CPU has the
    // level's features (AVX-512F, or AVX2 + FMA + F16C), and the pointers
    // are valid for the lanes touched.

    /// Sixteen 16-bit values converted exactly (AVX-512F).
    #[inline(always)]
    unsafe fn cvt16(h: Half, raw: __m256i) -> __m512 {
        // SAFETY: see the module note.
        unsafe {
            match h {
                Half::Bf16 => {
                    _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(raw)))
                }
                Half::F16 => _mm512_cvtph_ps(raw),
            }
        }
    }

    /// The even elements of 32 16-bit values (the low halves of the words),
    /// converted exactly.
    #[inline(always)]
    unsafe fn widen2_raw(h: Half, raw: __m512i) -> __m512 {
        // SAFETY: register operations (the callers have avx512f, avx512bw).
        unsafe {
            match h {
                Half::Bf16 => _mm512_castsi512_ps(_mm512_slli_epi32::<16>(raw)),
                Half::F16 => _mm512_cvtph_ps(_mm512_cvtepi32_epi16(raw)),
            }
        }
    }

    impl Conv for Avx512F32 {
        #[inline(always)]
        unsafe fn widen_v(h: Half, p: *const u16) -> __m512 {
            // SAFETY: see the module note.
            unsafe { cvt16(h, _mm256_loadu_si256(p.cast())) }
        }
        #[inline(always)]
        unsafe fn widen_tails(h: Half, x: *const u16, y: *const u16, r: usize) -> (__m512, __m512) {
            // SAFETY: see the module note (r < 16 elements read: 8 whole,
            // then `tails8`'s pieces).
            unsafe {
                let q = r & 8;
                let (tx, ty) = tails8(x.add(q), y.add(q), r & 7);
                let (rx, ry) = if q != 0 {
                    (
                        _mm256_set_m128i(tx, _mm_loadu_si128(x.cast())),
                        _mm256_set_m128i(ty, _mm_loadu_si128(y.cast())),
                    )
                } else {
                    (_mm256_zextsi128_si256(tx), _mm256_zextsi128_si256(ty))
                };
                (cvt16(h, rx), cvt16(h, ry))
            }
        }
        #[inline(always)]
        unsafe fn narrow1(h: Half, v: f32) -> u16 {
            // SAFETY: see the module note.
            unsafe { narrow1_f16c(h, v) }
        }
        #[inline(always)]
        unsafe fn narrow_v(h: Half, v: __m512, p: *mut u16) {
            // SAFETY: see the module note.
            unsafe {
                let r = match h {
                    Half::Bf16 => {
                        let b = _mm512_castps_si512(v);
                        let lsb =
                            _mm512_and_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(1));
                        let bias = _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff));
                        let rounded = _mm512_srli_epi32::<16>(_mm512_add_epi32(b, bias));
                        let nan =
                            _mm512_or_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(0x40));
                        let is_nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                        _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(is_nan, rounded, nan))
                    }
                    Half::F16 => {
                        _mm512_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(v)
                    }
                };
                _mm256_storeu_si256(p.cast(), r)
            }
        }
        #[inline(always)]
        fn fma1(a: f32, b: f32, c: f32) -> f32 {
            a.mul_add(b, c)
        }
        const REDUCE16: bool = true;
        #[inline(always)]
        unsafe fn reduce16(v: &[__m512; 16]) -> __m512 {
            // SAFETY: see the module note. The tree of `Simd::reduce`
            // (lanes i + i+8, then i + i+4, then i + i+2, then i + i+1),
            // run on 16 vectors at once with lane shuffles.
            unsafe {
                let mut w = [_mm512_setzero_ps(); 8];
                for j in 0..8 {
                    let (a, b) = (v[j], v[j + 8]);
                    w[j] = _mm512_add_ps(
                        _mm512_shuffle_f32x4::<0x44>(a, b),
                        _mm512_shuffle_f32x4::<0xEE>(a, b),
                    );
                }
                let mut u = [_mm512_setzero_ps(); 4];
                for j in 0..4 {
                    let (a, b) = (w[j], w[j + 4]);
                    u[j] = _mm512_add_ps(
                        _mm512_shuffle_f32x4::<0x88>(a, b),
                        _mm512_shuffle_f32x4::<0xDD>(a, b),
                    );
                }
                let mut t = [_mm512_setzero_ps(); 2];
                for j in 0..2 {
                    let (a, b) = (u[j], u[j + 2]);
                    t[j] = _mm512_add_ps(
                        _mm512_shuffle_ps::<0x44>(a, b),
                        _mm512_shuffle_ps::<0xEE>(a, b),
                    );
                }
                _mm512_add_ps(
                    _mm512_shuffle_ps::<0x88>(t[0], t[1]),
                    _mm512_shuffle_ps::<0xDD>(t[0], t[1]),
                )
            }
        }
        #[inline(always)]
        unsafe fn widen2_end_v(h: Half, p: *const u16) -> __m512 {
            // SAFETY: see the module note (31 elements read: 15 words by
            // a masked load, whose masked lane is neither read nor faulted
            // on, then element 30).
            unsafe {
                let raw = _mm512_maskz_loadu_epi32(0x7fff, p.cast());
                widen2_raw(
                    h,
                    _mm512_mask_set1_epi32(raw, 0x8000, i32::from(*p.add(30))),
                )
            }
        }
        #[inline(always)]
        unsafe fn widen2_v(h: Half, p: *const u16) -> __m512 {
            // SAFETY: see the module note (32 elements read).
            unsafe { widen2_raw(h, _mm512_loadu_si512(p.cast())) }
        }
        #[inline(always)]
        unsafe fn widen_t(h: Half, src: *const u16, cs: isize, dst: *mut f32, ld: usize) {
            // SAFETY: see the module note; 16 columns of 16 elements in,
            // 16 rows of 16 elements out.
            unsafe {
                let mut r = [_mm512_setzero_ps(); 16];
                for (c, v) in r.iter_mut().enumerate() {
                    *v = Self::widen_v(h, src.wrapping_offset(c as isize * cs));
                }
                let w = transpose16(r);
                for (q, v) in w.iter().enumerate() {
                    Self::store(dst.add(q * ld), *v);
                }
            }
        }
    }

    /// `Avx512F32`'s conversions, but for the rounding to bfloat16:
    /// `vcvtneps2bf16` (AVX512_BF16) rounds to nearest even and quiets a
    /// NaN exactly as `Half::round_f32` does, in one instruction where the
    /// integer sequence takes ten; it flushes subnormal inputs to zero
    /// (whatever MXCSR says), so a vector holding one takes that sequence
    /// instead, and every lane keeps the bits of `Half::round_f32`.
    impl Conv for Avx512Bf16F32 {
        #[inline(always)]
        unsafe fn widen_v(h: Half, p: *const u16) -> __m512 {
            // SAFETY: see the module note.
            unsafe { Avx512F32::widen_v(h, p) }
        }
        #[inline(always)]
        unsafe fn widen_tails(h: Half, x: *const u16, y: *const u16, r: usize) -> (__m512, __m512) {
            // SAFETY: see the module note; this type's CPUs have avx512bw
            // and avx512vl (`isa::detect`). A masked load reads only the
            // lanes of its mask (the others are zero, and never fault).
            unsafe {
                let m = ((1u32 << r) - 1) as __mmask16;
                (
                    cvt16(h, _mm256_maskz_loadu_epi16(m, x.cast())),
                    cvt16(h, _mm256_maskz_loadu_epi16(m, y.cast())),
                )
            }
        }
        #[inline(always)]
        unsafe fn narrow1(h: Half, v: f32) -> u16 {
            // SAFETY: see the module note.
            unsafe { Avx512F32::narrow1(h, v) }
        }
        #[inline(always)]
        unsafe fn narrow_v(h: Half, v: __m512, p: *mut u16) {
            // SAFETY: see the module note; this type's CPUs have
            // avx512bf16 and avx512dq (`isa::detect`). Class 0x20: a
            // subnormal lane.
            unsafe {
                if h == Half::Bf16 && _mm512_fpclass_ps_mask::<0x20>(v) == 0 {
                    let r: __m256i = core::mem::transmute(_mm512_cvtneps_pbh(v));
                    _mm256_storeu_si256(p.cast(), r)
                } else {
                    Avx512F32::narrow_v(h, v, p)
                }
            }
        }
        #[inline(always)]
        fn fma1(a: f32, b: f32, c: f32) -> f32 {
            Avx512F32::fma1(a, b, c)
        }
        const REDUCE16: bool = Avx512F32::REDUCE16;
        #[inline(always)]
        unsafe fn reduce16(v: &[__m512; 16]) -> __m512 {
            // SAFETY: see the module note.
            unsafe { Avx512F32::reduce16(v) }
        }
        #[inline(always)]
        unsafe fn widen2_v(h: Half, p: *const u16) -> __m512 {
            // SAFETY: see the module note.
            unsafe { Avx512F32::widen2_v(h, p) }
        }
        #[inline(always)]
        unsafe fn widen2_end_v(h: Half, p: *const u16) -> __m512 {
            // SAFETY: see the module note.
            unsafe { Avx512F32::widen2_end_v(h, p) }
        }
        #[inline(always)]
        unsafe fn widen_t(h: Half, src: *const u16, cs: isize, dst: *mut f32, ld: usize) {
            // SAFETY: see the module note.
            unsafe { Avx512F32::widen_t(h, src, cs, dst, ld) }
        }
    }

    /// Prefetches the block of `len` contiguous 16-bit elements that lies
    /// `TINY_AHEAD_BYTES` of blocks (`stride` elements apart) past `p`.
    #[inline(always)]
    fn prefetch_ahead(p: *const u16, stride: isize, len: usize) {
        use crate::kernel::simd::prefetch_lines;
        use crate::kernel::tuning::TINY_AHEAD_BYTES;
        let blocks = (TINY_AHEAD_BYTES / (len * 2)) as isize;
        prefetch_lines(p.wrapping_offset(blocks * stride), len);
    }

    /// `n×n·n×n` products (n = 4 or 8) of contiguous 16-bit blocks on
    /// AVX-512, `count` of them `strides` apart (x, y in elements, out in
    /// elements of `w.out`), converting in registers: the arithmetic of
    /// `tiny::tiny444_f32` / `tiny888_f32` (each element an FMA chain from
    /// +0.0 in ascending t), stored through `put_v`. Returns false, doing
    /// nothing, for another n.
    ///
    /// # Safety
    /// Every block lies inside its buffer; out overlaps neither input; the
    /// CPU has avx512f, avx512vl, avx2, fma, f16c (and what `S` needs).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn tiny_avx512<S: Conv<V = __m512>>(
        w: Wide,
        n: usize,
        count: usize,
        x: *const u16,
        y: *const u16,
        out: *mut u8,
        strides: (isize, isize, isize),
        scale: Option<Scaled<f32>>,
    ) -> bool {
        // One loop per input format, output type and with or without a
        // scale, each with its conversions fixed: a loop that chose them per
        // block took 1.1 times as long on d2 in float16.
        macro_rules! fixed {
            ($half:expr, $out:expr) => {{
                let w = Wide {
                    half: $half,
                    out: $out,
                };
                // SAFETY: forwarded contract.
                unsafe {
                    match scale {
                        None => tiny_fixed::<S>(w, n, count, x, y, out, strides, None),
                        Some(sc) => tiny_fixed::<S>(w, n, count, x, y, out, strides, Some(sc)),
                    }
                }
            }};
        }
        match (w.half, w.out) {
            (Half::Bf16, OutTy::Same) => fixed!(Half::Bf16, OutTy::Same),
            (Half::Bf16, OutTy::F32) => fixed!(Half::Bf16, OutTy::F32),
            (Half::F16, OutTy::Same) => fixed!(Half::F16, OutTy::Same),
            (Half::F16, OutTy::F32) => fixed!(Half::F16, OutTy::F32),
        }
    }

    /// `tiny_avx512`'s loops, for a `w` and `scale` known where it is
    /// inlined.
    ///
    /// # Safety
    /// As `tiny_avx512`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tiny_fixed<S: Conv<V = __m512>>(
        w: Wide,
        n: usize,
        count: usize,
        x: *const u16,
        y: *const u16,
        out: *mut u8,
        strides: (isize, isize, isize),
        scale: Option<Scaled<f32>>,
    ) -> bool {
        let (xs, ys, os) = strides;
        let h = w.half;
        let size = out_size(w);
        // SAFETY: each block is n² contiguous elements inside its buffer
        // (contract).
        unsafe {
            let (mut xp, mut yp, mut op) = (x, y, out);
            match n {
                4 => {
                    // B is converted into one of two f32 tiles a block
                    // ahead, and its rows are broadcast from there (loads):
                    // converting each row broadcast in a register (a
                    // conversion per row) took 1.2 times as long on d1.
                    // Lane (i, j) = 4i + j, as in `tiny444_f32`.
                    #[repr(align(64))]
                    struct Rows([f32; 16]);
                    let mut bt = [Rows([0.0; 16]), Rows([0.0; 16])];
                    if count > 0 {
                        S::store(bt[0].0.as_mut_ptr(), S::widen_v(h, yp));
                    }
                    for blk in 0..count {
                        prefetch_ahead(xp, xs, 16);
                        prefetch_ahead(yp, ys, 16);
                        if blk + 1 < count {
                            let next = S::widen_v(h, yp.wrapping_offset(ys));
                            S::store(bt[(blk + 1) & 1].0.as_mut_ptr(), next);
                        }
                        let a = S::widen_v(h, xp);
                        let bp = bt[blk & 1].0.as_ptr();
                        // (A macro: a closure would not inline into this
                        // function's target features.)
                        macro_rules! row {
                            ($t:expr) => {
                                _mm512_broadcast_f32x4(_mm_load_ps(bp.add(4 * $t)))
                            };
                        }
                        let z = _mm512_setzero_ps();
                        let c = _mm512_fmadd_ps(_mm512_shuffle_ps::<0x00>(a, a), row!(0), z);
                        let c = _mm512_fmadd_ps(_mm512_shuffle_ps::<0x55>(a, a), row!(1), c);
                        let c = _mm512_fmadd_ps(_mm512_shuffle_ps::<0xAA>(a, a), row!(2), c);
                        let c = _mm512_fmadd_ps(_mm512_shuffle_ps::<0xFF>(a, a), row!(3), c);
                        put_v::<S>(w, op, c, scale);
                        xp = xp.wrapping_offset(xs);
                        yp = yp.wrapping_offset(ys);
                        op = op.wrapping_offset(os * size);
                    }
                }
                8 => {
                    // One row of C per 8-lane vector, an FMA per element of
                    // A broadcast from memory (a load, not a lane shuffle).
                    // A is converted into one of two f32 tiles a block ahead:
                    // loads from a tile stored just before fail to forward
                    // from the store and wait for it (d2 1.8 times slower).
                    // float16 converts in 256-bit vectors only: a 512-bit
                    // instruction takes port 1's vector units from the
                    // FMAs while it is in flight (d2 takes 0.92 of the time
                    // of 512-bit conversions). bfloat16 keeps them: in
                    // 256-bit vectors, rounded by a 256-bit `vcvtneps2bf16`,
                    // its d2 took the same time (1.01).
                    let ymm_only = h == Half::F16;
                    #[repr(align(64))]
                    struct Tile([f32; 64]);
                    let mut at = [Tile([0.0; 64]), Tile([0.0; 64])];
                    // (A macro: a closure here would not inline into this
                    // function's target features.)
                    macro_rules! widen_a {
                        ($src:expr, $dst:expr) => {
                            if ymm_only {
                                for q in 0..8 {
                                    let v = cvt8(h, _mm_loadu_si128($src.add(8 * q).cast()));
                                    _mm256_store_ps($dst.add(8 * q), v);
                                }
                            } else {
                                for q in 0..4 {
                                    let v = S::widen_v(h, $src.add(16 * q));
                                    S::store($dst.add(16 * q), v);
                                }
                            }
                        };
                    }
                    if count > 0 {
                        widen_a!(xp, at[0].0.as_mut_ptr());
                    }
                    for blk in 0..count {
                        prefetch_ahead(xp, xs, 64);
                        prefetch_ahead(yp, ys, 64);
                        if blk + 1 < count {
                            widen_a!(xp.wrapping_offset(xs), at[(blk + 1) & 1].0.as_mut_ptr());
                        }
                        let mut b = [_mm256_setzero_ps(); 8];
                        for (t, bt) in b.iter_mut().enumerate() {
                            *bt = cvt8(h, _mm_loadu_si128(yp.add(8 * t).cast()));
                        }
                        let ap = at[blk & 1].0.as_ptr();
                        // From +0.0 (not a product: -0.0 · x must sum to +0.0).
                        let mut c = [_mm256_setzero_ps(); 8];
                        for (t, &bt) in b.iter().enumerate() {
                            for (i, ci) in c.iter_mut().enumerate() {
                                let a = _mm256_broadcast_ss(&*ap.add(8 * i + t));
                                *ci = _mm256_fmadd_ps(a, bt, *ci);
                            }
                        }
                        if ymm_only {
                            for (i, &ci) in c.iter().enumerate() {
                                let o = op.wrapping_offset(8 * i as isize * size);
                                put_v::<Avx2F32>(w, o, ci, scale);
                            }
                        } else {
                            for j in 0..4 {
                                let v = _mm512_insertf32x8::<1>(
                                    _mm512_castps256_ps512(c[2 * j]),
                                    c[2 * j + 1],
                                );
                                let o = op.wrapping_offset(16 * j as isize * size);
                                put_v::<S>(w, o, v, scale);
                            }
                        }
                        xp = xp.wrapping_offset(xs);
                        yp = yp.wrapping_offset(ys);
                        op = op.wrapping_offset(os * size);
                    }
                }
                _ => return false,
            }
        }
        true
    }

    /// Eight 16-bit values converted exactly (AVX2, F16C).
    #[inline(always)]
    unsafe fn cvt8(h: Half, raw: __m128i) -> __m256 {
        // SAFETY: see the module note.
        unsafe {
            match h {
                Half::Bf16 => {
                    _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(raw)))
                }
                Half::F16 => _mm256_cvtph_ps(raw),
            }
        }
    }

    /// The first `r < 8` elements from `x` and from `y`, zeros after them:
    /// read in pieces of 4, 2 and 1 elements, none past `r` (a masked load
    /// has 32-bit lanes, too wide for an odd `r`; a copy through memory
    /// costs element-wise inserts, or a failed store forwarding).
    #[inline(always)]
    unsafe fn tails8(x: *const u16, y: *const u16, r: usize) -> (__m128i, __m128i) {
        use core::ptr::read_unaligned;
        // SAFETY: each piece lies in the first r elements (contract of the
        // callers).
        unsafe {
            let q = r & 4;
            let (mut tx, mut ty) = (0u64, 0u64);
            if r & 2 != 0 {
                tx = read_unaligned(x.add(q).cast::<u32>()) as u64;
                ty = read_unaligned(y.add(q).cast::<u32>()) as u64;
            }
            if r & 1 != 0 {
                let (o, sh) = (q + (r & 2), 16 * (r & 2));
                tx |= (*x.add(o) as u64) << sh;
                ty |= (*y.add(o) as u64) << sh;
            }
            if q != 0 {
                (
                    _mm_set_epi64x(tx as i64, read_unaligned(x.cast::<i64>())),
                    _mm_set_epi64x(ty as i64, read_unaligned(y.cast::<i64>())),
                )
            } else {
                (_mm_cvtsi64_si128(tx as i64), _mm_cvtsi64_si128(ty as i64))
            }
        }
    }

    /// `f16`'s `narrow1` on F16C: the instruction of `narrow_v`.
    #[inline(always)]
    unsafe fn narrow1_f16c(h: Half, v: f32) -> u16 {
        // SAFETY: see the module note.
        unsafe {
            match h {
                Half::Bf16 => h.round_f32(v),
                Half::F16 => {
                    let r = _mm_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT }>(_mm_set_ss(v));
                    _mm_extract_epi16::<0>(r) as u16
                }
            }
        }
    }

    impl Conv for Avx2F32 {
        #[inline(always)]
        unsafe fn widen_v(h: Half, p: *const u16) -> __m256 {
            // SAFETY: see the module note.
            unsafe { cvt8(h, _mm_loadu_si128(p.cast())) }
        }
        #[inline(always)]
        unsafe fn widen_tails(h: Half, x: *const u16, y: *const u16, r: usize) -> (__m256, __m256) {
            // SAFETY: see the module note (r < 8 elements read).
            unsafe {
                let (tx, ty) = tails8(x, y, r);
                (cvt8(h, tx), cvt8(h, ty))
            }
        }
        #[inline(always)]
        unsafe fn narrow1(h: Half, v: f32) -> u16 {
            // SAFETY: see the module note.
            unsafe { narrow1_f16c(h, v) }
        }
        #[inline(always)]
        unsafe fn narrow_v(h: Half, v: __m256, p: *mut u16) {
            // SAFETY: see the module note.
            unsafe {
                let r = match h {
                    Half::Bf16 => {
                        let b = _mm256_castps_si256(v);
                        let lsb =
                            _mm256_and_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(1));
                        let bias = _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff));
                        let rounded = _mm256_srli_epi32::<16>(_mm256_add_epi32(b, bias));
                        let nan =
                            _mm256_or_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(0x40));
                        let is_nan = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_UNORD_Q>(v, v));
                        let r = _mm256_blendv_epi8(rounded, nan, is_nan);
                        // Every lane is below 2¹⁶: packing does not saturate.
                        _mm_packus_epi32(
                            _mm256_castsi256_si128(r),
                            _mm256_extracti128_si256::<1>(r),
                        )
                    }
                    Half::F16 => _mm256_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT }>(v),
                };
                _mm_storeu_si128(p.cast(), r)
            }
        }
        #[inline(always)]
        fn fma1(a: f32, b: f32, c: f32) -> f32 {
            a.mul_add(b, c)
        }
        #[inline(always)]
        unsafe fn widen2_v(h: Half, p: *const u16) -> __m256 {
            // SAFETY: see the module note (16 elements read).
            unsafe {
                let raw = _mm256_loadu_si256(p.cast());
                match h {
                    Half::Bf16 => _mm256_castsi256_ps(_mm256_slli_epi32::<16>(raw)),
                    Half::F16 => {
                        let lo = _mm256_and_si256(raw, _mm256_set1_epi32(0xffff));
                        let packed = _mm_packus_epi32(
                            _mm256_castsi256_si128(lo),
                            _mm256_extracti128_si256::<1>(lo),
                        );
                        _mm256_cvtph_ps(packed)
                    }
                }
            }
        }
    }
}

/// `dst[r·ld + c] = src[r·rs + c·cs]` converted to f32, `r < rows`,
/// `c < cols`: vectors along contiguous rows, transposed vector tiles for
/// contiguous columns, element by element otherwise.
///
/// # Safety
/// Those source elements are readable, those destination elements
/// writable, the two do not overlap, and the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn widen<S: Conv>(
    h: Half,
    src: *const u16,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
    dst: *mut f32,
    ld: usize,
) {
    let l = S::LANES;
    // SAFETY: every access is to an element (r, c) named in the contract.
    unsafe {
        if cs == 1 {
            for r in 0..rows {
                let s = src.wrapping_offset(r as isize * rs);
                let d = dst.add(r * ld);
                let mut c = 0;
                while c + l <= cols {
                    S::store(d.add(c), S::widen_v(h, s.add(c)));
                    c += l;
                }
                while c < cols {
                    *d.add(c) = h.to_f32(*s.add(c));
                    c += 1;
                }
            }
            return;
        }
        if cs == 2 {
            // Every other element (a view like x[..., ::2]): vectors of
            // 2·LANES elements, while they stay inside the row.
            for r in 0..rows {
                let s = src.wrapping_offset(r as isize * rs);
                let d = dst.add(r * ld);
                let mut c = 0;
                while c + l < cols {
                    S::store(d.add(c), S::widen2_v(h, s.add(2 * c)));
                    c += l;
                }
                if c + l == cols {
                    S::store(d.add(c), S::widen2_end_v(h, s.add(2 * c)));
                    c += l;
                }
                while c < cols {
                    *d.add(c) = h.to_f32(*s.add(2 * c));
                    c += 1;
                }
            }
            return;
        }
        let (r0, c0) = if rs == 1 {
            (rows / l * l, cols / l * l)
        } else {
            (0, 0)
        };
        for rb in (0..r0).step_by(l) {
            for cb in (0..c0).step_by(l) {
                S::widen_t(
                    h,
                    src.wrapping_offset(rb as isize + cb as isize * cs),
                    cs,
                    dst.add(rb * ld + cb),
                    ld,
                );
            }
        }
        // The rest, element by element: every column past c0, and the rows
        // past r0 of the first c0 columns.
        for c in 0..cols {
            let from = if c < c0 { r0 } else { 0 };
            let s = src.wrapping_offset(c as isize * cs);
            for r in from..rows {
                *dst.add(r * ld + c) = h.to_f32(*s.wrapping_offset(r as isize * rs));
            }
        }
    }
}

/// Stores `v` (an f32 sum) at `p`, an element of type `w.out`, through the
/// epilogue: `v`, or `alpha·v` (+ `beta·out`, with out read only when
/// `beta != 0`), rounded once to the output type.
///
/// # Safety
/// `p` is a writable (and, when read, readable) element of type `w.out`.
#[inline(always)]
pub(crate) unsafe fn put1<S: Conv>(w: Wide, p: *mut u8, v: f32, scale: Option<Scaled<f32>>) {
    // SAFETY: the function's contract.
    unsafe {
        let v = match scale {
            None => v,
            Some(s) if s.beta == 0.0 => s.alpha * v,
            Some(s) => {
                let old = match w.out {
                    OutTy::F32 => *p.cast::<f32>(),
                    OutTy::Same => w.half.to_f32(*p.cast::<u16>()),
                };
                S::fma1(s.alpha, v, s.beta * old)
            }
        };
        match w.out {
            OutTy::F32 => *p.cast::<f32>() = v,
            OutTy::Same => *p.cast::<u16>() = S::narrow1(w.half, v),
        }
    }
}

/// `put1` for `LANES` contiguous output elements from `p`.
///
/// # Safety
/// Those elements are writable (and readable when `beta != 0`); the CPU
/// supports `S`.
#[inline(always)]
pub(crate) unsafe fn put_v<S: Conv>(w: Wide, p: *mut u8, v: S::V, scale: Option<Scaled<f32>>) {
    // SAFETY: the function's contract.
    unsafe {
        let v = match scale {
            None => v,
            Some(sc) if sc.beta == 0.0 => S::mul(S::bcast(&sc.alpha), v),
            Some(sc) => {
                let old = match w.out {
                    OutTy::F32 => S::load(p.cast::<f32>()),
                    OutTy::Same => S::widen_v(w.half, p.cast::<u16>()),
                };
                S::fma(S::bcast(&sc.alpha), v, S::mul(S::bcast(&sc.beta), old))
            }
        };
        match w.out {
            OutTy::F32 => S::store(p.cast::<f32>(), v),
            OutTy::Same => S::narrow_v(w.half, v, p.cast::<u16>()),
        }
    }
}

/// The rounding of `store_out` (unscaled, to a 16-bit output: float16, or
/// bfloat16 with `BF16`) run by the f32 microkernel on its finished sums,
/// which then go to the output without a round trip through an f32 tile.
/// The kernel's C is a stand-in that is never dereferenced: its element
/// (i, j) is at `base + i·2^shift + j` (a power of two at least n wide),
/// which `at` maps to out's element (i, j). Only for sums of one block of
/// K (the kernel then never adds to C) and rows of whole vectors (n a
/// multiple of `C::LANES`: every mask is full).
///
/// The epilogue must stay straight: a branch on the output type and scale
/// made LLVM keep the accumulators in memory through the K loop (1.7 times
/// the time). bfloat16's integer rounding (about ten instructions a
/// vector) runs here since `micro` writes its rows out one by one (a
/// macro): under a loop over them, which LLVM left rolled, the
/// accumulators became an array indexed on the stack (1.6–1.8 times the
/// time at level `avx512`).
#[derive(Clone, Copy)]
pub(crate) struct Narrow<C, const BF16: bool> {
    base: usize,
    out: *mut u16,
    o_rs: isize,
    shift: u32,
    conv: core::marker::PhantomData<C>,
}

impl<C: Conv, const BF16: bool> Narrow<C, BF16> {
    /// The output's format.
    const H: Half = if BF16 { Half::Bf16 } else { Half::F16 };

    /// The epilogue for an output of `n` columns at `out` (rows `o_rs`
    /// apart, columns contiguous), with its stand-in C and that C's row
    /// stride.
    pub(crate) fn new(out: *mut u16, o_rs: isize, n: usize) -> (Self, *mut f32, isize) {
        let ldc = n.next_power_of_two();
        let base = core::ptr::NonNull::<f32>::dangling().as_ptr();
        let e = Narrow {
            base: base as usize,
            out,
            o_rs,
            shift: ldc.trailing_zeros(),
            conv: core::marker::PhantomData,
        };
        (e, base, ldc as isize)
    }

    /// Out's element for the stand-in's `p`.
    #[inline(always)]
    fn at(&self, p: *mut f32) -> *mut u16 {
        let off = (p as usize).wrapping_sub(self.base) / 4;
        let (i, j) = (off >> self.shift, off & ((1 << self.shift) - 1));
        let e = (i as isize)
            .wrapping_mul(self.o_rs)
            .wrapping_add(j as isize);
        self.out.wrapping_offset(e)
    }
}

impl<C: Conv, const BF16: bool> Epi<f32> for Narrow<C, BF16> {
    const PLAIN: bool = false;
    #[inline(always)]
    fn reads_out(self) -> bool {
        false
    }
    #[inline(always)]
    unsafe fn put(self, p: *mut f32, v: f32) {
        // SAFETY: the kernel's contract: p names an element of the tile,
        // which `at` maps to out's.
        unsafe { *self.at(p) = C::narrow1(Self::H, v) }
    }
    #[inline(always)]
    unsafe fn add(self, _p: *mut f32, _v: f32) {
        unreachable!("one block of K: the kernel never adds to C")
    }
    #[inline(always)]
    unsafe fn put_v<S: Simd<T = f32>>(self, p: *mut f32, v: S::V) {
        debug_assert_eq!(S::LANES, C::LANES);
        let mut t = [0f32; 16];
        // SAFETY: as `put`, for LANES <= 16 elements (S is C: the same
        // vector, through t, which the compiler removes).
        unsafe {
            S::store(t.as_mut_ptr(), v);
            C::narrow_v(Self::H, C::load(t.as_ptr()), self.at(p))
        }
    }
    #[inline(always)]
    unsafe fn put_vm<S: Simd<T = f32>>(self, p: *mut f32, v: S::V, _m: S::M) {
        // SAFETY: every mask is full (rows of whole vectors: the type's
        // contract), so this is `put_v`.
        unsafe { self.put_v::<S>(p, v) }
    }
    #[inline(always)]
    unsafe fn add_v<S: Simd<T = f32>>(self, _p: *mut f32, _v: S::V) {
        unreachable!("one block of K: the kernel never adds to C")
    }
    #[inline(always)]
    unsafe fn add_vm<S: Simd<T = f32>>(self, _p: *mut f32, _v: S::V, _m: S::M) {
        unreachable!("one block of K: the kernel never adds to C")
    }
}

/// Bytes of an element of `w`'s output type.
#[inline(always)]
pub(crate) fn out_size(w: Wide) -> isize {
    match w.out {
        OutTy::F32 => 4,
        OutTy::Same => 2,
    }
}

/// `out[i·o_rs + j·o_cs] = epilogue(src[i·ld + j])` for `i < rows`,
/// `j < cols`, `out` an array of `w.out` (strides in its elements); the
/// epilogue as `put1`. Vectors along contiguous output rows.
///
/// # Safety
/// `src` holds those f32 sums; those output elements are writable (and
/// readable when `beta != 0`) and do not overlap `src`; the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn store_out<S: Conv>(
    w: Wide,
    src: *const f32,
    rows: usize,
    cols: usize,
    ld: usize,
    out: *mut u8,
    o_rs: isize,
    o_cs: isize,
    scale: Option<Scaled<f32>>,
) {
    let size = out_size(w);
    let l = S::LANES;
    let at =
        |i: usize, j: usize| out.wrapping_offset((i as isize * o_rs + j as isize * o_cs) * size);
    // SAFETY: every access is to an element (i, j) named in the contract.
    unsafe {
        for i in 0..rows {
            let s = src.add(i * ld);
            let mut j = 0;
            if o_cs == 1 {
                while j + l <= cols {
                    put_v::<S>(w, at(i, j), S::load(s.add(j)), scale);
                    j += l;
                }
            }
            while j < cols {
                put1::<S>(w, at(i, j), *s.add(j), scale);
                j += 1;
            }
        }
    }
}

/// `count` row dots of 16-bit rows (m = n = 1, unit strides along K), dot
/// `i` reading `x + i·s.0`, `y + i·s.1` and storing at `out + i·s.2`
/// (elements of `w.out`) through the epilogue, converting in registers.
/// The arithmetic of `stream::dot_row` on the converted values (a
/// partial vector is zero-padded on both sides, so its padding adds +0).
///
/// # Safety
/// Every element named lies inside its buffer; the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn dots<S: Conv>(
    w: Wide,
    k: usize,
    count: usize,
    x: *const u16,
    y: *const u16,
    out: *mut u8,
    s: (isize, isize, isize),
    scale: Option<Scaled<f32>>,
) {
    use super::stream::Ahead;
    let (h, l) = (w.half, S::LANES);
    // Prefetch the rows ahead, as `stream::gemv` does (this is the mat-vec
    // kernel too: y's stride 0).
    let ah = Ahead::new(l, s.0.unsigned_abs().max(s.1.unsigned_abs()) * 2);
    let size = out_size(w);
    let mut i = 0isize;
    let vec_of = |i: isize| {
        let (xp, yp) = (x.wrapping_offset(i * s.0), y.wrapping_offset(i * s.1));
        (xp, yp, ah.at(i as usize), s)
    };
    // SAFETY: dot i of the run (contract); the outputs of dots i..i+16.
    unsafe {
        // Short dots, 16 at a time: their 16 reductions in one tree of lane
        // shuffles (`Conv::reduce16`, bit for bit the one-by-one sums).
        if S::REDUCE16 && k <= 4 * l {
            // The offsets of the dots of a group of 16, in row order.
            let offs: [(isize, isize); 16] =
                core::array::from_fn(|r| (r as isize * s.0, r as isize * s.1));
            while i + 16 <= count as isize {
                let mut v = [S::zero(); 16];
                // K of one, two or four whole vectors: unrolled (the same
                // arithmetic as `dot_vec`). Rows in ascending order, each
                // into the slot `reduce16` takes it from: in `M16`'s order
                // the jumps between rows defeated the hardware prefetchers
                // (K = 64: 1.5 times the time).
                macro_rules! fill {
                    ($n:literal) => {
                        for (r, &m) in M16.iter().enumerate() {
                            let (xp, yp, d, s) = vec_of(i + r as isize);
                            v[m] = dot_vec_n::<S, $n>(h, xp, yp, d, s);
                        }
                    };
                }
                match (k / l, k % l) {
                    // One vector per dot (e's rows): offsets from a table,
                    // the format fixed, the group's prefetches at once.
                    (1, 0) => {
                        let (xp, yp) = (x.wrapping_offset(i * s.0), y.wrapping_offset(i * s.1));
                        ah.prefetch_run(i as usize, 16, [(xp, s.0), (yp, s.1)]);
                        match h {
                            Half::Bf16 => fill_k1::<S, true>(xp, yp, s, &offs, &mut v),
                            Half::F16 => fill_k1::<S, false>(xp, yp, s, &offs, &mut v),
                        }
                    }
                    (2, 0) => fill!(2),
                    (4, 0) => fill!(4),
                    _ => {
                        for (r, &m) in M16.iter().enumerate() {
                            let (xp, yp, d, s) = vec_of(i + r as isize);
                            v[m] = dot_vec::<S>(h, k, xp, yp, d, s);
                        }
                    }
                }
                let r = S::reduce16(&v);
                if s.2 == 1 {
                    put_v::<S>(w, out.wrapping_offset(i * size), r, scale);
                } else {
                    let mut tmp = [0f32; 16];
                    S::store(tmp.as_mut_ptr(), r);
                    for (q, &val) in tmp.iter().enumerate() {
                        let o = out.wrapping_offset((i + q as isize) * s.2 * size);
                        put1::<S>(w, o, val, scale);
                    }
                }
                i += 16;
            }
        }
        // A mat-vec (every dot reads the same y): y converted once, into
        // f32 zero-padded to whole vectors; then each row is converted
        // alone. The same values, so the same sums as `dot_vec`.
        if s.1 == 0 && k <= MATVEC_Y_MAX && i < count as isize {
            let mut yf = core::mem::MaybeUninit::<[f32; MATVEC_Y_MAX + 16]>::uninit();
            let yp = yf.as_mut_ptr().cast::<f32>();
            let kv = k.div_ceil(l) * l;
            widen::<S>(h, y, 1, k, 0, 1, yp, kv);
            for t in k..kv {
                *yp.add(t) = 0.0;
            }
            while i < count as isize {
                let (xp, _, d, s) = vec_of(i);
                // Every line of the row ahead, not one: the converting loop
                // issues its loads late, and on a Xeon the hardware
                // prefetchers did not keep up (bf16 f 0.56–0.70 of the
                // time; the same change in the f32 mat-vec: 1.00).
                if d != 0 {
                    super::simd::prefetch_lines_l2(xp.wrapping_offset(d * s.0), k);
                }
                let v = S::reduce(dot_vec_from::<S, _>(h, k, xp, YF32(yp)));
                put1::<S>(w, out.wrapping_offset(i * s.2 * size), v, scale);
                i += 1;
            }
        }
        while i < count as isize {
            let (xp, yp, d, s) = vec_of(i);
            let v = S::reduce(dot_vec::<S>(h, k, xp, yp, d, s));
            put1::<S>(w, out.wrapping_offset(i * s.2 * size), v, scale);
            i += 1;
        }
    }
}

/// Sixteen dots of one vector each (K = LANES): `v[M16[r]]` is the dot at
/// offsets `offs[r]` from `x`, `y`, as `dot_vec_n::<S, 1>` computes it, in
/// the format `BF` names (bfloat16 or float16). The rows are read in the
/// order of `offs` (ascending: see `dots`).
///
/// # Safety
/// Each dot's rows are readable; the CPU supports `S`.
#[inline(always)]
unsafe fn fill_k1<S: Conv, const BF: bool>(
    x: *const u16,
    y: *const u16,
    s: (isize, isize, isize),
    offs: &[(isize, isize); 16],
    v: &mut [S::V; 16],
) {
    let h = if BF { Half::Bf16 } else { Half::F16 };
    for (&(ox, oy), &m) in offs.iter().zip(M16.iter()) {
        let (xp, yp) = (x.wrapping_offset(ox), y.wrapping_offset(oy));
        // SAFETY: the dot's rows (contract); d = 0: no prefetch.
        v[m] = unsafe {
            if BF {
                dot_vec_n::<S, 1>(h, xp, yp, 0, s)
            } else {
                // `dot_vec_n::<S, 1>` without its `+ (+0.0)`, which changes
                // nothing here: a product of two float16 values is exact in
                // f32 (22 bits, far from f32's subnormals), so the FMA from
                // +0.0 is never -0.0 (an exact -0.0 product plus +0.0 is
                // +0.0), and x + (+0.0) is x for every other x, NaN's bits
                // included.
                S::fma(S::widen_v(h, xp), S::widen_v(h, yp), S::zero())
            }
        };
    }
}

/// The longest y a mat-vec converts once (elements; 8 KiB of f32 on the
/// stack): longer ones are converted with each row.
const MATVEC_Y_MAX: usize = 2048;

/// `dots` for one dot (a tiny call's): the same arithmetic, in a function
/// of its own, without the loops' set-up (and without changing their code).
///
/// # Safety
/// `x[0..k]`, `y[0..k]` are readable, `out` is an element of `w.out` as
/// `put1` needs; the CPU supports `S`.
#[inline(always)]
pub(crate) unsafe fn dot1<S: Conv>(
    w: Wide,
    k: usize,
    x: *const u16,
    y: *const u16,
    out: *mut u8,
    scale: Option<Scaled<f32>>,
) {
    // SAFETY: the function's contract.
    unsafe {
        let v = S::reduce(dot_vec::<S>(w.half, k, x, y, 0, (0, 0, 0)));
        put1::<S>(w, out, v, scale);
    }
}

/// One 16-bit dot's two vector accumulators (even and odd vectors, a
/// zero-padded tail into the second) added lane-wise: what `Simd::reduce`
/// then sums. Prefetches a line of the rows `d` dots ahead (`s` apart), into L2.
///
/// # Safety
/// `xp[0..k]`, `yp[0..k]` are readable; the CPU supports `S`.
#[inline(always)]
unsafe fn dot_vec<S: Conv>(
    h: Half,
    k: usize,
    xp: *const u16,
    yp: *const u16,
    d: isize,
    s: (isize, isize, isize),
) -> S::V {
    super::stream::prefetch_rows(d, [(xp, s.0), (yp, s.1)]);
    // SAFETY: the function's contract.
    unsafe { dot_vec_from::<S, _>(h, k, xp, Y16(yp)) }
}

/// Where `dot_vec_from` takes y's vectors from: 16-bit elements converted
/// as they are read (`Y16`), or f32 converted before (`YF32`).
trait YVecs<S: Conv>: Copy {
    /// y's `LANES` elements from `t`, as f32.
    ///
    /// # Safety
    /// Those elements are readable.
    unsafe fn at(self, h: Half, t: usize) -> S::V;
    /// x's and y's `r < LANES` elements from `t`, zero-padded
    /// (`Conv::widen_tails`).
    ///
    /// # Safety
    /// `x[t..t + r]` and y's `r` elements (all `LANES` for `YF32`) are
    /// readable.
    unsafe fn tails(self, h: Half, x: *const u16, t: usize, r: usize) -> (S::V, S::V);
}

/// y as 16-bit elements.
#[derive(Clone, Copy)]
struct Y16(*const u16);

impl<S: Conv> YVecs<S> for Y16 {
    #[inline(always)]
    unsafe fn at(self, h: Half, t: usize) -> S::V {
        // SAFETY: the method's contract.
        unsafe { S::widen_v(h, self.0.add(t)) }
    }
    #[inline(always)]
    unsafe fn tails(self, h: Half, x: *const u16, t: usize, r: usize) -> (S::V, S::V) {
        // SAFETY: the method's contract.
        unsafe { S::widen_tails(h, x.add(t), self.0.add(t), r) }
    }
}

/// y already in f32, zero-padded to whole vectors (a mat-vec's, converted
/// once): the same values as `Y16` reads, so the same sums.
#[derive(Clone, Copy)]
struct YF32(*const f32);

impl<S: Conv> YVecs<S> for YF32 {
    #[inline(always)]
    unsafe fn at(self, _h: Half, t: usize) -> S::V {
        // SAFETY: the method's contract.
        unsafe { S::load(self.0.add(t)) }
    }
    #[inline(always)]
    unsafe fn tails(self, h: Half, x: *const u16, t: usize, r: usize) -> (S::V, S::V) {
        // SAFETY: the method's contract (x read as both: only its half is
        // kept; y's padding is already zero).
        unsafe {
            let (tx, _) = S::widen_tails(h, x.add(t), x.add(t), r);
            (tx, S::load(self.0.add(t)))
        }
    }
}

/// The body of `dot_vec`, y's vectors from `y`.
///
/// # Safety
/// `xp[0..k]` and y's elements `0..k` (`YVecs`) are readable; the CPU
/// supports `S`.
#[inline(always)]
unsafe fn dot_vec_from<S: Conv, Y: YVecs<S>>(h: Half, k: usize, xp: *const u16, y: Y) -> S::V {
    let l = S::LANES;
    // SAFETY: the loads stay in the rows; the tail's reads are the rows'
    // last k - t elements.
    unsafe {
        let (mut acc0, mut acc1) = (S::zero(), S::zero());
        let mut t = 0;
        while t + 2 * l <= k {
            acc0 = S::fma(S::widen_v(h, xp.add(t)), y.at(h, t), acc0);
            acc1 = S::fma(S::widen_v(h, xp.add(t + l)), y.at(h, t + l), acc1);
            t += 2 * l;
        }
        if t + l <= k {
            acc0 = S::fma(S::widen_v(h, xp.add(t)), y.at(h, t), acc0);
            t += l;
        }
        if t < k {
            let (tx, ty) = y.tails(h, xp, t, k - t);
            acc1 = S::fma(tx, ty, acc1);
        }
        S::add(acc0, acc1)
    }
}

/// `dot_vec` for K = `N`·LANES (N = 1, 2 or 4), unrolled: the same
/// accumulators, the same additions.
///
/// # Safety
/// As `dot_vec`.
#[inline(always)]
unsafe fn dot_vec_n<S: Conv, const N: usize>(
    h: Half,
    xp: *const u16,
    yp: *const u16,
    d: isize,
    s: (isize, isize, isize),
) -> S::V {
    let l = S::LANES;
    super::stream::prefetch_rows(d, [(xp, s.0), (yp, s.1)]);
    // SAFETY: as `dot_vec`, with k = N·LANES.
    unsafe {
        // (A macro, not a closure: closures do not take the caller's
        // target features, and the intrinsics would not inline.)
        macro_rules! prod {
            ($q:expr, $acc:expr) => {
                S::fma(
                    S::widen_v(h, xp.add($q * l)),
                    S::widen_v(h, yp.add($q * l)),
                    $acc,
                )
            };
        }
        match N {
            1 => S::add(prod!(0, S::zero()), S::zero()),
            2 => S::add(prod!(0, S::zero()), prod!(1, S::zero())),
            _ => S::add(prod!(2, prod!(0, S::zero())), prod!(3, prod!(1, S::zero()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the generic `check::<S>()` at every f32 level this CPU has.
    macro_rules! at_every_level {
        ($check:ident) => {{
            #[target_feature(enable = "avx2,fma,f16c")]
            unsafe fn avx2() {
                $check::<Avx2F32>();
            }
            #[target_feature(enable = "avx512f,avx512vl,avx2,fma,f16c")]
            unsafe fn avx512() {
                $check::<Avx512F32>();
            }
            #[target_feature(
                enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx2,fma,f16c"
            )]
            unsafe fn avx512bf16() {
                $check::<Avx512Bf16F32>();
            }
            // SAFETY: each level runs only on a CPU that supports it.
            unsafe {
                if detected() >= Isa::Avx2 {
                    avx2();
                }
                if detected() >= Isa::Avx512 {
                    avx512();
                }
                if detected() >= Isa::Avx512Bf16 {
                    avx512bf16();
                }
            }
            $check::<Scalar<f32>>();
        }};
    }

    /// Every binary16 value: f16 -> f32 -> f16 is the identity (NaNs stay
    /// NaN), and the f32 value is the one the format's definition gives.
    #[test]
    #[cfg_attr(miri, ignore)] // safe arithmetic, far too slow interpreted
    fn f16_round_trip_and_values() {
        for h in 0..=u16::MAX {
            let v = f16_to_f32(h);
            let exp = (h >> 10) & 0x1f;
            let man = (h & 0x3ff) as f64;
            let s = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
            if exp == 31 {
                assert_eq!(v.is_nan(), man != 0.0, "{h:#x}");
                assert!(v.is_nan() || v.is_infinite());
                assert_eq!(f32_to_f16(v), if man != 0.0 { h | 0x200 } else { h });
                continue;
            }
            let want = if exp == 0 {
                s * man * 2f64.powi(-24)
            } else {
                s * (1.0 + man / 1024.0) * 2f64.powi(exp as i32 - 15)
            };
            assert_eq!(v as f64, want, "{h:#x}");
            assert_eq!(f32_to_f16(v), h, "{h:#x}");
        }
    }

    /// f32 -> f16 rounds to nearest even: at the midpoints between
    /// neighbours (and just off them), and at the overflow threshold.
    #[test]
    #[cfg_attr(miri, ignore)] // safe arithmetic, far too slow interpreted
    fn f16_rounding() {
        for h in 0..0x7bffu16 {
            let (a, b) = (f16_to_f32(h) as f64, f16_to_f32(h + 1) as f64);
            let mid = ((a + b) / 2.0) as f32;
            assert_eq!(mid as f64, (a + b) / 2.0, "midpoint exact in f32");
            let even = if h % 2 == 0 { h } else { h + 1 };
            assert_eq!(f32_to_f16(mid), even, "{h:#x}");
            assert_eq!(f32_to_f16(f32::from_bits(mid.to_bits() - 1)), h);
            assert_eq!(f32_to_f16(f32::from_bits(mid.to_bits() + 1)), h + 1);
            assert_eq!(f32_to_f16(-mid), even | 0x8000);
        }
        assert_eq!(f32_to_f16(65519.996), 0x7bff);
        assert_eq!(f32_to_f16(65520.0), 0x7c00);
        assert_eq!(f32_to_f16(f32::MAX), 0x7c00);
        assert_eq!(f32_to_f16(-1e30), 0xfc00);
        assert_eq!(f32_to_f16(1e-30), 0);
        assert_eq!(f32_to_f16(-0.0), 0x8000);
    }

    /// bf16: exact widening; rounding to nearest even at midpoints;
    /// overflow to Inf; NaN stays NaN.
    #[test]
    #[cfg_attr(miri, ignore)] // safe arithmetic, far too slow interpreted
    fn bf16_rounding() {
        for h in 0..0x7f7fu16 {
            let (a, b) = (bf16_to_f32(h), bf16_to_f32(h + 1));
            assert_eq!(f32_to_bf16(a), h);
            let mid = f32::from_bits((a.to_bits() + b.to_bits()) / 2);
            assert_eq!(mid as f64, (a as f64 + b as f64) / 2.0);
            let even = if h % 2 == 0 { h } else { h + 1 };
            assert_eq!(f32_to_bf16(mid), even, "{h:#x}");
            assert_eq!(f32_to_bf16(f32::from_bits(mid.to_bits() + 1)), h + 1);
            assert_eq!(f32_to_bf16(f32::from_bits(mid.to_bits() - 1)), h);
        }
        assert_eq!(f32_to_bf16(f32::MAX), 0x7f80);
        assert!(bf16_to_f32(f32_to_bf16(f32::NAN)).is_nan());
        assert_eq!(f32_to_bf16(f32::from_bits(0x7f80_0001)) & 0x7fc0, 0x7fc0);
    }

    /// Row dots sixteen at a time (`reduce16`) give the bits of row dots
    /// one at a time, for every K up to the batched limit and beyond.
    #[test]
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    fn batched_dots_equal_single_dots() {
        use super::super::isa::{detected, Isa};
        use super::super::simd::Avx512F32;
        #[target_feature(enable = "avx512f,avx2,fma,f16c")]
        unsafe fn run(k: usize, count: usize, x: &[u16], y: &[u16], out: &mut [f32]) {
            let w = Wide {
                half: Half::Bf16,
                out: OutTy::F32,
            };
            let o = out.as_mut_ptr().cast::<u8>();
            let s = (k as isize, k as isize, 1);
            // SAFETY: count rows of k elements in x and y, count outputs.
            unsafe { dots::<Avx512F32>(w, k, count, x.as_ptr(), y.as_ptr(), o, s, None) }
        }
        if detected() < Isa::Avx512 {
            return;
        }
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            f32_to_bf16((seed >> 8) as f32 / 16_777_216.0 - 0.5)
        };
        for k in [1, 5, 16, 17, 31, 32, 33, 64, 65, 100] {
            let count = 37;
            let x: Vec<u16> = (0..k * count).map(|_| next()).collect();
            let y: Vec<u16> = (0..k * count).map(|_| next()).collect();
            let mut all = vec![0f32; count];
            // SAFETY: sizes as `run` needs; the CPU has AVX-512 (checked).
            unsafe { run(k, count, &x, &y, &mut all) };
            for i in 0..count {
                let mut one = [0f32; 1];
                // SAFETY: as above, one row.
                unsafe { run(k, 1, &x[i * k..], &y[i * k..], &mut one) };
                assert_eq!(one[0].to_bits(), all[i].to_bits(), "k {k} dot {i}");
            }
        }
    }

    /// The vector conversions of every level this CPU has agree with the
    /// scalar ones on every 16-bit pattern and on f32 values around every
    /// rounding boundary.
    #[test]
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    fn vector_conversions_agree() {
        use super::super::isa::{detected, Isa};
        use super::super::simd::{Avx2F32, Avx512Bf16F32, Avx512F32};
        fn check<S: Conv>() {
            let bits: Vec<u16> = (0..=u16::MAX).collect();
            let mut f = vec![0f32; bits.len()];
            let mut back = vec![0u16; bits.len()];
            for h in [Half::Bf16, Half::F16] {
                // SAFETY: in-bounds chunks of LANES; the level is supported.
                unsafe {
                    for i in (0..bits.len()).step_by(S::LANES) {
                        S::store(f.as_mut_ptr().add(i), S::widen_v(h, bits.as_ptr().add(i)));
                    }
                }
                for (i, &b) in bits.iter().enumerate() {
                    assert_eq!(f[i].to_bits(), h.to_f32(b).to_bits(), "{h:?} {b:#x}");
                }
                // Every other element.
                let mut f2 = vec![0f32; S::LANES];
                for i in (0..bits.len() - 2 * S::LANES).step_by(2 * S::LANES + 1) {
                    // SAFETY: 2·LANES elements from i are in bits.
                    unsafe { S::store(f2.as_mut_ptr(), S::widen2_v(h, bits.as_ptr().add(i))) };
                    for (q, v) in f2.iter().enumerate() {
                        assert_eq!(v.to_bits(), h.to_f32(bits[i + 2 * q]).to_bits(), "{h:?}");
                    }
                }
                // Values around every boundary: each f32 and its neighbours.
                let mut vals = Vec::new();
                for &x in &f {
                    let b = x.to_bits();
                    for d in [0u32, 1, 0x0fff, 0x1000, 0x7fff, 0x8000, 0x8001] {
                        vals.push(f32::from_bits(b.wrapping_add(d)));
                        vals.push(f32::from_bits(b.wrapping_sub(d)));
                    }
                }
                vals.truncate(vals.len() / S::LANES * S::LANES);
                back.resize(vals.len(), 0);
                // SAFETY: as above.
                unsafe {
                    for i in (0..vals.len()).step_by(S::LANES) {
                        S::narrow_v(h, S::load(vals.as_ptr().add(i)), back.as_mut_ptr().add(i));
                    }
                }
                for (i, &v) in vals.iter().enumerate() {
                    let want = h.round_f32(v);
                    // SAFETY: the level is supported.
                    let one = unsafe { S::narrow1(h, v) };
                    if v.is_nan() {
                        assert!(h.to_f32(back[i]).is_nan(), "{h:?} {v}");
                        assert!(h.to_f32(one).is_nan(), "{h:?} {v}");
                    } else {
                        assert_eq!(back[i], want, "{h:?} {:#x}", v.to_bits());
                        assert_eq!(one, want, "narrow1 {h:?} {:#x}", v.to_bits());
                    }
                }
            }
        }
        at_every_level!(check);
    }

    /// `widen_tails` at every level this CPU has, for every tail length
    /// `r < LANES` and both formats: bit for bit the lanes of `widen_v` on
    /// zero-padded copies, and it reads only the `r` elements (each row
    /// ends its own allocation, which the sanitizer and valgrind suites
    /// would catch a read past).
    #[test]
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    fn tails_are_padded_copies() {
        use super::super::isa::{detected, Isa};
        use super::super::simd::{Avx2F32, Avx512Bf16F32, Avx512F32};
        fn check<S: Conv>() {
            let mut seed = 0x9e37_79b9u32;
            let mut next = || {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 16) as u16
            };
            for h in [Half::Bf16, Half::F16] {
                for r in 0..S::LANES {
                    for _ in 0..64 {
                        let x: Vec<u16> = (0..r).map(|_| next()).collect();
                        let y: Vec<u16> = (0..r).map(|_| next()).collect();
                        let (mut px, mut py) = ([0u16; 16], [0u16; 16]);
                        px[..r].copy_from_slice(&x);
                        py[..r].copy_from_slice(&y);
                        let mut got = [[0f32; 16]; 2];
                        let mut want = [[0f32; 16]; 2];
                        // SAFETY: r elements in x and y, 16 in px, py and
                        // in each row of got, want; the level is supported.
                        unsafe {
                            let (a, b) = S::widen_tails(h, x.as_ptr(), y.as_ptr(), r);
                            S::store(got[0].as_mut_ptr(), a);
                            S::store(got[1].as_mut_ptr(), b);
                            S::store(want[0].as_mut_ptr(), S::widen_v(h, px.as_ptr()));
                            S::store(want[1].as_mut_ptr(), S::widen_v(h, py.as_ptr()));
                        }
                        for (g, w) in got.iter().zip(&want) {
                            for q in 0..S::LANES {
                                assert_eq!(g[q].to_bits(), w[q].to_bits(), "{h:?} r {r} lane {q}");
                            }
                        }
                    }
                }
            }
        }
        at_every_level!(check);
    }
}
