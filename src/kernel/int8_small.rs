//! int8 kernels of the `avx512vnni` level for runs of tiny products, where
//! the GEMM (which packs per block) and one horizontal reduction per dot
//! cost more than the products themselves:
//! - runs of contiguous 4×4×4 and 8×8×8 blocks (`IntLevel::small`): one
//!   block's operands sit in one or two vectors, rearranged in registers
//!   into the groups of 4 steps `vpdpbusd` takes;
//! - runs of row dots of K = 16 (`IntLevel::dots`): four rows per vector,
//!   the lanes of 16 rows reduced together, 16 sums stored at once.
//!
//! S8·S8 biases A (`a ^ 0x80`, read as u8, is `a + 128`) and subtracts
//! `128·Σ b` per column (per dot), exact modulo 2³² like `int8.rs`.
//!
//! The 256-bit levels (`Madd`, `VnniVex`, `VnniEvex`) have `blocks256` for
//! the same runs of square blocks (on `vpmaddwd`); their row dots are
//! `int8.rs`'s general ones (`Small`'s default).

use super::x86::{Madd, Vnni512, VnniEvex, VnniVex};
use super::Geom;
use super::{dot, put, Dp, IntJob, P};

/// A level's kernels for runs of tiny products (the defaults: none, and
/// the general row dots).
pub(super) trait Small: Dp + Sized {
    /// As `IntLevel::dots`.
    ///
    /// # Safety
    /// As `IntLevel::dots`; the CPU supports the level.
    #[inline(always)]
    unsafe fn dots(ij: IntJob, k: usize, count: usize, p: P, s: (isize, isize, isize)) {
        // SAFETY: the caller's.
        unsafe { super::dots::<Self>(ij, k, count, p, s) }
    }

    /// As `IntLevel::small`.
    ///
    /// # Safety
    /// As `IntLevel::small`; the CPU supports the level.
    #[inline(always)]
    unsafe fn small(
        _ij: IntJob,
        _g: &Geom,
        _count: usize,
        _p: P,
        _s: (isize, isize, isize),
    ) -> bool {
        false
    }
}

/// The side (4 or 8) of a run of square blocks whose matrices are all
/// row-major and contiguous, the only blocks the kernels below take.
#[inline(always)]
fn square_side(g: &Geom) -> Option<usize> {
    let side = g.m;
    let fits = (side == 4 || side == 8)
        && g.n == side
        && g.k == side
        && g.a_cs == 1
        && g.b_cs == 1
        && g.c_cs == 1
        && g.a_rs == side as isize
        && g.b_rs == side as isize
        && g.c_rs == side as isize;
    fits.then_some(side)
}

/// The 256-bit levels' `small`: `blocks256`.
///
/// # Safety
/// As `IntLevel::small`; the CPU has AVX2.
#[inline(always)]
unsafe fn small256(ij: IntJob, g: &Geom, count: usize, p: P, s: (isize, isize, isize)) -> bool {
    match square_side(g) {
        // SAFETY: the caller's; the blocks are as `square_side` checked.
        Some(4) => unsafe { blocks256::run::<4>(ij, count, p, s) },
        // SAFETY: as above.
        Some(_) => unsafe { blocks256::run::<8>(ij, count, p, s) },
        None => return false,
    }
    true
}

/// The 256-bit levels (AVX2 with `vpmaddwd`, AVX-VNNI, AVX512_VNNI at 256
/// bits) share `blocks256` for runs of square blocks.
macro_rules! small_256 {
    ($($name:ty),*) => {$(
        impl Small for $name {
            #[inline(always)]
            unsafe fn small(
                ij: IntJob,
                g: &Geom,
                count: usize,
                p: P,
                s: (isize, isize, isize),
            ) -> bool {
                // SAFETY: the caller's (every 256-bit level has AVX2).
                unsafe { small256(ij, g, count, p, s) }
            }
        }
    )*};
}

small_256!(Madd, VnniVex, VnniEvex);

impl Small for Vnni512 {
    #[inline(always)]
    unsafe fn dots(ij: IntJob, k: usize, count: usize, p: P, s: (isize, isize, isize)) {
        // SAFETY: the caller's (AVX512_VNNI + BW).
        unsafe {
            if k == 16 {
                k16::dots16(ij, count, p, s);
            } else {
                super::dots::<Self>(ij, k, count, p, s);
            }
        }
    }

    #[inline(always)]
    unsafe fn small(ij: IntJob, g: &Geom, count: usize, p: P, s: (isize, isize, isize)) -> bool {
        // Square blocks of 4 or 8, every matrix row-major and contiguous.
        let Some(side) = square_side(g) else {
            return false;
        };
        // SAFETY: the caller's; the blocks are as `square_side` checked.
        unsafe {
            if side == 4 {
                blocks::run::<4>(ij, count, p, s);
            } else if vbmi() {
                blocks::run8_vbmi(ij, count, p, s);
            } else {
                blocks::run::<8>(ij, count, p, s);
            }
        }
        true
    }
}

/// Whether the CPU has AVX512_VBMI (`vpermb`), detected once.
fn vbmi() -> bool {
    static V: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *V.get_or_init(|| std::is_x86_feature_detected!("avx512vbmi"))
}

/// Calls `$f::<BU, BIAS, ACC>(ij, $args)` for the job's signedness and `acc`
/// (`BU`: B is the unsigned operand of `vpdpbusd`; `BIAS`: S8·S8).
macro_rules! by_job {
    ($ij:expr, $f:ident $(:: <$($g:tt),*>)?, ($($arg:expr),*)) => {{
        let ij: IntJob = $ij;
        let bias = !ij.a_u8 && !ij.b_u8;
        match (ij.b_u8, bias, ij.acc) {
            (true, _, false) => $f::<$($($g,)*)? true, false, false>(ij, $($arg),*),
            (true, _, true) => $f::<$($($g,)*)? true, false, true>(ij, $($arg),*),
            (false, false, false) => $f::<$($($g,)*)? false, false, false>(ij, $($arg),*),
            (false, false, true) => $f::<$($($g,)*)? false, false, true>(ij, $($arg),*),
            (false, true, false) => $f::<$($($g,)*)? false, true, false>(ij, $($arg),*),
            (false, true, true) => $f::<$($($g,)*)? false, true, true>(ij, $($arg),*),
        }
    }};
}

/// Runs of contiguous square blocks at the 256-bit levels: the bytes
/// widened to i16 (signed or unsigned as their dtype), pairs of steps
/// multiplied and added by `vpmaddwd` into i32 lanes, one per column. A
/// pair is at most 2·255·128 in magnitude, so nothing saturates and S8·S8
/// needs no bias; the sums wrap modulo 2³² as every int8 sum does.
mod blocks256 {
    use super::{IntJob, P};
    use core::arch::x86_64::*;

    /// `count` blocks of `S`×`S`×`S` (`S` = 4 or 8), row-major and
    /// contiguous, `s` apart.
    ///
    /// # Safety
    /// AVX2; every block's A, B (`S²` bytes) and C (`S²` i32) lie in their
    /// buffers.
    #[inline(always)]
    pub(super) unsafe fn run<const S: usize>(
        ij: IntJob,
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // The dtype combinations: S8·S8, U8·S8 and, with the operands
        // swapped, S8·U8 (no U8·U8: `by_job!` has the same six).
        macro_rules! go {
            ($f:ident) => {
                match (ij.a_u8 && !ij.b_u8, ij.b_u8, ij.acc) {
                    (false, false, false) => $f::<false, false, false>(count, p, s),
                    (false, false, true) => $f::<false, false, true>(count, p, s),
                    (true, _, false) => $f::<true, false, false>(count, p, s),
                    (true, _, true) => $f::<true, false, true>(count, p, s),
                    (false, true, false) => $f::<false, true, false>(count, p, s),
                    (false, true, true) => $f::<false, true, true>(count, p, s),
                }
            };
        }
        // SAFETY: the caller's.
        unsafe {
            if S == 4 {
                go!(run4)
            } else {
                go!(run8)
            }
        }
    }

    /// 16 bytes as 16 i16, unsigned (`U`) or signed.
    #[inline(always)]
    unsafe fn widen<const U: bool>(v: __m128i) -> __m256i {
        // SAFETY: AVX2 (the caller's).
        unsafe {
            if U {
                _mm256_cvtepu8_epi16(v)
            } else {
                _mm256_cvtepi8_epi16(v)
            }
        }
    }

    /// The start of 8 sums: C's (with `ACC`) or zeros.
    #[inline(always)]
    unsafe fn start<const ACC: bool>(c: *const i32) -> __m256i {
        // SAFETY: the caller's: 8 readable i32 at c when ACC.
        unsafe {
            if ACC {
                _mm256_loadu_si256(c.cast())
            } else {
                _mm256_setzero_si256()
            }
        }
    }

    /// 8×8×8 blocks: B as four vectors of pairs of rows (`2r`, `2r + 1`),
    /// column j in 32-bit lane j; two rows of A widened in one vector, each
    /// pair of steps broadcast by `vpermd`; a row of C per vector.
    ///
    /// # Safety
    /// As `run`.
    #[inline(always)]
    unsafe fn run8<const AU: bool, const BU: bool, const ACC: bool>(
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // SAFETY: the caller's; each block reads 64 + 64 bytes and C's 64
        // i32.
        unsafe {
            for t in 0..count as isize {
                let q = p.at((t * s.0, t * s.1, t * s.2));
                let mut bp = [_mm256_setzero_si256(); 4];
                for (r, v) in bp.iter_mut().enumerate() {
                    let two = _mm_loadu_si128(q.b.add(16 * r).cast());
                    *v = widen::<BU>(_mm_unpacklo_epi8(two, _mm_srli_si128::<8>(two)));
                }
                for i in (0..8).step_by(2) {
                    // Rows i (lanes 0–3: pairs of steps) and i + 1 (4–7).
                    let a = widen::<AU>(_mm_loadu_si128(q.a.add(8 * i).cast()));
                    let mut c0 = start::<ACC>(q.c.add(8 * i));
                    let mut c1 = start::<ACC>(q.c.add(8 * i + 8));
                    for (r, &b) in bp.iter().enumerate() {
                        let a0 = _mm256_permutevar8x32_epi32(a, _mm256_set1_epi32(r as i32));
                        let a1 = _mm256_permutevar8x32_epi32(a, _mm256_set1_epi32(r as i32 + 4));
                        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(a0, b));
                        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(a1, b));
                    }
                    _mm256_storeu_si256(q.c.add(8 * i).cast(), c0);
                    _mm256_storeu_si256(q.c.add(8 * i + 8).cast(), c1);
                }
            }
        }
    }

    /// 4×4×4 blocks: two rows of C per vector (row `2h` in lanes 0–3,
    /// `2h + 1` in 4–7); B's pairs of rows (0, 1) and (2, 3), column j in
    /// lane j of each half; A's pairs of steps broadcast to their row's
    /// half by `vpermd`.
    ///
    /// # Safety
    /// As `run`.
    #[inline(always)]
    unsafe fn run4<const AU: bool, const BU: bool, const ACC: bool>(
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // SAFETY: the caller's; each block reads 16 + 16 bytes and C's 16
        // i32.
        unsafe {
            for t in 0..count as isize {
                let q = p.at((t * s.0, t * s.1, t * s.2));
                let b = _mm_loadu_si128(q.b.cast());
                let b01 = _mm_unpacklo_epi8(b, _mm_srli_si128::<4>(b));
                let b23 = _mm_unpacklo_epi8(_mm_srli_si128::<8>(b), _mm_srli_si128::<12>(b));
                let b0 = widen::<BU>(_mm_unpacklo_epi64(b01, b01));
                let b1 = widen::<BU>(_mm_unpacklo_epi64(b23, b23));
                // Row i's pairs of steps in lanes 2i and 2i + 1.
                let a = widen::<AU>(_mm_loadu_si128(q.a.cast()));
                for h in 0..2i32 {
                    let (r0, r1) = (4 * h, 4 * h + 2);
                    let i0 = _mm256_setr_epi32(r0, r0, r0, r0, r1, r1, r1, r1);
                    let i1 = _mm256_add_epi32(i0, _mm256_set1_epi32(1));
                    let cp = q.c.add(8 * h as usize);
                    let mut c = start::<ACC>(cp);
                    c = _mm256_add_epi32(
                        c,
                        _mm256_madd_epi16(_mm256_permutevar8x32_epi32(a, i0), b0),
                    );
                    c = _mm256_add_epi32(
                        c,
                        _mm256_madd_epi16(_mm256_permutevar8x32_epi32(a, i1), b1),
                    );
                    _mm256_storeu_si256(cp.cast(), c);
                }
            }
        }
    }
}

/// Runs of contiguous square blocks.
mod blocks {
    use super::{IntJob, P};
    use core::arch::x86_64::*;

    /// `count` blocks of `S`×`S`×`S` (`S` = 4 or 8), row-major and
    /// contiguous, `s` apart.
    ///
    /// # Safety
    /// AVX512F/BW/VNNI; every block's A, B (`S²` bytes) and C (`S²` i32)
    /// lie in their buffers.
    #[inline(always)]
    pub(super) unsafe fn run<const S: usize>(
        ij: IntJob,
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // SAFETY: the caller's.
        unsafe {
            if S == 4 {
                by_job!(ij, run4, (count, p, s))
            } else {
                by_job!(ij, run8::<false>, (count, p, s))
            }
        }
    }

    /// `run::<8>` with `vpermb` for B.
    ///
    /// # Safety
    /// As `run`, and the CPU has AVX512_VBMI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx512vbmi,avx2,fma")]
    pub(super) unsafe fn run8_vbmi(ij: IntJob, count: usize, p: P, s: (isize, isize, isize)) {
        // SAFETY: the caller's.
        unsafe { by_job!(ij, run8::<true>, (count, p, s)) }
    }

    /// The start value of the sums: C (with `ACC`) minus the compensation.
    #[inline(always)]
    unsafe fn start<const BIAS: bool, const ACC: bool>(c: *const i32, neg: __m512i) -> __m512i {
        // SAFETY: the caller's: 16 readable i32 at c when ACC.
        unsafe {
            match (ACC, BIAS) {
                (true, true) => _mm512_add_epi32(_mm512_loadu_si512(c.cast()), neg),
                (true, false) => _mm512_loadu_si512(c.cast()),
                (false, true) => neg,
                (false, false) => _mm512_setzero_si512(),
            }
        }
    }

    /// `acc` + the dot of A's and B's groups, whichever is unsigned.
    #[inline(always)]
    unsafe fn dp<const BU: bool>(acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX512_VNNI (the caller's).
        unsafe {
            if BU {
                _mm512_dpbusd_epi32(acc, b, a)
            } else {
                _mm512_dpbusd_epi32(acc, a, b)
            }
        }
    }

    /// `−128·Σ` of B's groups, per lane (the compensation of a biased A).
    #[inline(always)]
    unsafe fn neg_comp(bs: &[__m512i]) -> __m512i {
        // SAFETY: AVX512_VNNI (the caller's).
        unsafe {
            let ones = _mm512_set1_epi8(-128);
            let mut c = _mm512_setzero_si512();
            for &b in bs {
                c = _mm512_dpbusd_epi32(c, ones, b);
            }
            _mm512_sub_epi32(_mm512_setzero_si512(), c)
        }
    }

    /// 4×4×4 blocks: C's 16 lanes are `4i + j`; A's row i and B's column
    /// j (4 bytes each) come from one 16-byte broadcast each and an
    /// in-lane byte shuffle.
    ///
    /// # Safety
    /// As `run`.
    #[inline(always)]
    unsafe fn run4<const BU: bool, const BIAS: bool, const ACC: bool>(
        _ij: IntJob,
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // SAFETY: the caller's; each block reads 16 + 16 bytes and C's 16
        // i32.
        unsafe {
            // A: 128-bit lane i holds row i (bytes 4i..4i+4) four times.
            let ia = _mm512_set_epi32(
                0x0f0e0d0c, 0x0f0e0d0c, 0x0f0e0d0c, 0x0f0e0d0c, 0x0b0a0908, 0x0b0a0908, 0x0b0a0908,
                0x0b0a0908, 0x07060504, 0x07060504, 0x07060504, 0x07060504, 0x03020100, 0x03020100,
                0x03020100, 0x03020100,
            );
            // B: dword j of every lane is column j (bytes j, 4+j, 8+j, 12+j).
            let ib = _mm512_broadcast_i32x4(_mm_set_epi32(
                0x0f0b0703, 0x0e0a0602, 0x0d090501, 0x0c080400,
            ));
            let flip = _mm512_set1_epi8(if BIAS { -128 } else { 0 });
            for t in 0..count as isize {
                let q = p.at((t * s.0, t * s.1, t * s.2));
                let a16 = _mm512_broadcast_i32x4(_mm_loadu_si128(q.a.cast()));
                let b16 = _mm512_broadcast_i32x4(_mm_loadu_si128(q.b.cast()));
                let av = _mm512_shuffle_epi8(_mm512_xor_si512(a16, flip), ia);
                let bv = _mm512_shuffle_epi8(b16, ib);
                let neg = if BIAS {
                    neg_comp(&[bv])
                } else {
                    _mm512_setzero_si512()
                };
                let r = dp::<BU>(start::<BIAS, ACC>(q.c, neg), av, bv);
                _mm512_storeu_si512(q.c.cast(), r);
            }
        }
    }

    /// B's two groups of 4 rows, each as 8 columns of 4 bytes, repeated in
    /// both 256-bit halves, with AVX512BW only.
    #[inline(always)]
    unsafe fn b_groups_bw(b: __m512i) -> (__m512i, __m512i) {
        // SAFETY: AVX512BW (the caller's).
        unsafe {
            // Lane q (rows 2q, 2q+1): word j = (B[2q, j], B[2q+1, j]).
            let il = _mm512_broadcast_i32x4(_mm_set_epi8(
                15, 7, 14, 6, 13, 5, 12, 4, 11, 3, 10, 2, 9, 1, 8, 0,
            ));
            let x = _mm512_shuffle_epi8(b, il);
            // Lanes 0 and 2 take lanes 1 and 3 (rows 2..4, 6..8).
            let y = _mm512_shuffle_i32x4::<0xF5>(x, x);
            // Lane 0: columns 0..4 (lo) or 4..8 (hi) of rows 0..4; lane
            // 2: of rows 4..8.
            let lo = _mm512_unpacklo_epi16(x, y);
            let hi = _mm512_unpackhi_epi16(x, y);
            // [lo0, lo2, hi0, hi2], then [lo0, hi0, lo0, hi0] and
            // [lo2, hi2, lo2, hi2].
            let t = _mm512_shuffle_i32x4::<0x88>(lo, hi);
            (
                _mm512_shuffle_i32x4::<0x88>(t, t),
                _mm512_shuffle_i32x4::<0xDD>(t, t),
            )
        }
    }

    /// `vpermb`'s indexes of B's groups: byte t of lane l of group g is
    /// B[4g + t, l mod 8].
    const B_GROUP: [[u8; 64]; 2] = {
        let mut ix = [[0u8; 64]; 2];
        let mut i = 0;
        while i < 128 {
            let (g, l, t) = (i / 64, i % 64 / 4, i % 4);
            ix[g][i % 64] = ((4 * g + t) * 8 + l % 8) as u8;
            i += 1;
        }
        ix
    };

    /// As `b_groups_bw`, with `vpermb`.
    #[inline(always)]
    unsafe fn b_groups_vbmi(b: __m512i) -> (__m512i, __m512i) {
        // SAFETY: AVX512_VBMI (the caller's).
        unsafe {
            let i0 = _mm512_loadu_si512(B_GROUP[0].as_ptr().cast());
            let i1 = _mm512_loadu_si512(B_GROUP[1].as_ptr().cast());
            (
                _mm512_permutexvar_epi8(i0, b),
                _mm512_permutexvar_epi8(i1, b),
            )
        }
    }

    /// 8×8×8 blocks: C in four vectors of two rows (lane `8r + j` of
    /// vector v is C[2v + r, j]); B's groups as in `b_groups_bw`, A's
    /// 4-byte groups spread by `vpermd`.
    ///
    /// # Safety
    /// As `run` (and AVX512_VBMI with `VBMI`).
    #[inline(always)]
    unsafe fn run8<const VBMI: bool, const BU: bool, const BIAS: bool, const ACC: bool>(
        _ij: IntJob,
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // SAFETY: the caller's; each block reads 64 + 64 bytes and C's 64
        // i32.
        unsafe {
            // A's dword 2i + g is row i's group g: vector v, group g takes
            // dword 4v + g in lanes 0..8 and 4v + 2 + g in lanes 8..16.
            let half = _mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0);
            let mut ia = [[half; 2]; 4];
            for (v, iv) in ia.iter_mut().enumerate() {
                for (g, i) in iv.iter_mut().enumerate() {
                    *i = _mm512_add_epi32(half, _mm512_set1_epi32((4 * v + g) as i32));
                }
            }
            let flip = _mm512_set1_epi8(if BIAS { -128 } else { 0 });
            for t in 0..count as isize {
                let q = p.at((t * s.0, t * s.1, t * s.2));
                let a = _mm512_xor_si512(_mm512_loadu_si512(q.a.cast()), flip);
                let b = _mm512_loadu_si512(q.b.cast());
                let (b0, b1) = if VBMI {
                    b_groups_vbmi(b)
                } else {
                    b_groups_bw(b)
                };
                let neg = if BIAS {
                    neg_comp(&[b0, b1])
                } else {
                    _mm512_setzero_si512()
                };
                for (v, iv) in ia.iter().enumerate() {
                    let c = q.c.add(16 * v);
                    let a0 = _mm512_permutexvar_epi32(iv[0], a);
                    let a1 = _mm512_permutexvar_epi32(iv[1], a);
                    let r = dp::<BU>(start::<BIAS, ACC>(c, neg), a0, b0);
                    _mm512_storeu_si512(c.cast(), dp::<BU>(r, a1, b1));
                }
            }
        }
    }
}

/// Row dots of K = 16.
mod k16 {
    use super::{dot, put, IntJob, Vnni512, P};
    use core::arch::x86_64::*;

    /// Rows `i..i+4`, 16 bytes each, `st` bytes apart, in one vector.
    #[inline(always)]
    unsafe fn rows4(p: *const u8, st: isize) -> __m512i {
        // SAFETY: the caller's: 16 readable bytes at p + r·st, r < 4.
        unsafe {
            if st == 16 {
                _mm512_loadu_si512(p.cast())
            } else {
                let r = |i: isize| _mm_loadu_si128(p.offset(i * st).cast());
                let v = _mm512_castsi128_si512(r(0));
                let v = _mm512_inserti32x4::<1>(v, r(1));
                let v = _mm512_inserti32x4::<2>(v, r(2));
                _mm512_inserti32x4::<3>(v, r(3))
            }
        }
    }

    /// `count` dots of 16 steps, `s` apart (as `IntLevel::dots`).
    ///
    /// # Safety
    /// AVX512F/BW/VNNI; as `IntLevel::dots`.
    #[inline(always)]
    pub(super) unsafe fn dots16(ij: IntJob, count: usize, p: P, s: (isize, isize, isize)) {
        // SAFETY: the caller's.
        unsafe { by_job!(ij, run, (count, p, s)) }
    }

    /// `dots16` for one signedness and `acc`.
    ///
    /// # Safety
    /// As `dots16`.
    #[inline(always)]
    unsafe fn run<const BU: bool, const BIAS: bool, const ACC: bool>(
        ij: IntJob,
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) {
        // SAFETY: the caller's: rows i < count are the run's.
        unsafe {
            let flip = _mm512_set1_epi8(if BIAS { -128 } else { 0 });
            let ones = _mm512_set1_epi8(-128);
            let zero = _mm512_setzero_si512();
            // r's lane 4L + q is row 4q + L (below): back to row order.
            let order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
            let full = count / 16;
            for t in 0..full as isize {
                let q = p.at((16 * t * s.0, 16 * t * s.1, 16 * t * s.2));
                let mut v = [zero; 4];
                for (i, vi) in v.iter_mut().enumerate() {
                    let o = 4 * i as isize;
                    let x = rows4(q.a.offset(o * s.0), s.0);
                    let y = rows4(q.b.offset(o * s.1), s.1);
                    *vi = if BIAS {
                        let d = _mm512_dpbusd_epi32(zero, _mm512_xor_si512(x, flip), y);
                        _mm512_sub_epi32(d, _mm512_dpbusd_epi32(zero, ones, y))
                    } else if BU {
                        _mm512_dpbusd_epi32(zero, y, x)
                    } else {
                        _mm512_dpbusd_epi32(zero, x, y)
                    };
                }
                // Vector q's lane L holds row 4q + L's four partial sums:
                // add them up (lane L of r: [row L, 4 + L, 8 + L, 12 + L]).
                let s01 = _mm512_add_epi32(
                    _mm512_unpacklo_epi32(v[0], v[1]),
                    _mm512_unpackhi_epi32(v[0], v[1]),
                );
                let s23 = _mm512_add_epi32(
                    _mm512_unpacklo_epi32(v[2], v[3]),
                    _mm512_unpackhi_epi32(v[2], v[3]),
                );
                let r = _mm512_add_epi32(
                    _mm512_unpacklo_epi64(s01, s23),
                    _mm512_unpackhi_epi64(s01, s23),
                );
                let r = _mm512_permutexvar_epi32(order, r);
                if s.2 == 1 {
                    let r = if ACC {
                        _mm512_add_epi32(r, _mm512_loadu_si512(q.c.cast()))
                    } else {
                        r
                    };
                    _mm512_storeu_si512(q.c.cast(), r);
                } else {
                    let mut o = [0i32; 16];
                    _mm512_storeu_si512(o.as_mut_ptr().cast(), r);
                    for (i, &oi) in o.iter().enumerate() {
                        put(q.c.offset(i as isize * s.2), oi, ACC);
                    }
                }
            }
            for t in (16 * full) as isize..count as isize {
                let q = p.at((t * s.0, t * s.1, t * s.2));
                put(q.c, dot::<Vnni512>(ij, 16, q.a, q.b), ACC);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether this CPU runs the kernels here.
    fn cpu() -> bool {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vnni")
    }

    /// Deterministic bytes covering 0..=255, extremes included.
    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match i % 11 {
                    0 => 0x80,
                    1 => 0xff,
                    2 => 0x7f,
                    _ => (x >> 24) as u8,
                }
            })
            .collect()
    }

    fn val(v: u8, u: bool) -> i64 {
        if u {
            v as i64
        } else {
            v as i8 as i64
        }
    }

    /// The signedness rows (A u8, B u8) of the jobs, with and without acc.
    fn jobs() -> Vec<IntJob> {
        let mut v = vec![];
        for (a_u8, b_u8) in [(false, false), (true, false), (false, true)] {
            for acc in [false, true] {
                v.push(IntJob {
                    a_u8,
                    b_u8,
                    acc,
                    stream: false,
                });
            }
        }
        v
    }

    /// `start` (+ if acc) the exact product, wrapped to 32 bits.
    fn want(ij: IntJob, sum: i64, start: i32) -> i32 {
        let s = if ij.acc { sum + start as i64 } else { sum };
        s as u64 as u32 as i32
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    unsafe fn small_at(ij: IntJob, g: &Geom, count: usize, p: P, s: (isize, isize, isize)) -> bool {
        // SAFETY: the caller's.
        unsafe { <Vnni512 as Small>::small(ij, g, count, p, s) }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    unsafe fn run8_bw(ij: IntJob, count: usize, p: P, s: (isize, isize, isize)) {
        // SAFETY: the caller's.
        unsafe { blocks::run::<8>(ij, count, p, s) }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    unsafe fn dots_at(ij: IntJob, k: usize, count: usize, p: P, s: (isize, isize, isize)) {
        // SAFETY: the caller's.
        unsafe { <Vnni512 as Small>::dots(ij, k, count, p, s) }
    }

    fn square(side: usize) -> Geom {
        Geom {
            m: side,
            n: side,
            k: side,
            a_rs: side as isize,
            a_cs: 1,
            b_rs: side as isize,
            b_cs: 1,
            c_rs: side as isize,
            c_cs: 1,
            pack_b: false,
            acc: false,
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn small_256(
        ij: IntJob,
        g: &Geom,
        count: usize,
        p: P,
        s: (isize, isize, isize),
    ) -> bool {
        // SAFETY: the caller's.
        unsafe { <Madd as Small>::small(ij, g, count, p, s) }
    }

    /// Which kernel of 8×8 blocks a case runs.
    #[derive(Clone, Copy, PartialEq)]
    enum Way {
        Hook,
        Bw,
        /// The 256-bit levels' (`blocks256`).
        Avx2,
    }

    /// `count` square blocks `gap` elements apart beyond their size
    /// (every operand), against the exact sums.
    fn check_blocks(side: usize, count: usize, gap: usize, way: Way) {
        let sq = side * side;
        let st = sq + gap;
        for (seed, ij) in jobs().into_iter().enumerate() {
            let a = bytes(count * st, 2 * seed as u64 + 1);
            let b = bytes(count * st, 2 * seed as u64 + 2);
            let start: Vec<i32> = bytes(4 * count * st, seed as u64 + 9)
                .chunks(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let mut c = start.clone();
            let g = square(side);
            let p = P {
                a: a.as_ptr(),
                b: b.as_ptr(),
                c: c.as_mut_ptr(),
            };
            let s = (st as isize, st as isize, st as isize);
            // SAFETY: every block lies in the vectors; the CPU has the
            // level (checked by the callers).
            unsafe {
                match way {
                    Way::Hook => assert!(small_at(ij, &g, count, p, s)),
                    Way::Bw => run8_bw(ij, count, p, s),
                    Way::Avx2 => assert!(small_256(ij, &g, count, p, s)),
                }
            }
            for t in 0..count {
                for i in 0..side {
                    for j in 0..side {
                        let sum: i64 = (0..side)
                            .map(|k| {
                                val(a[t * st + i * side + k], ij.a_u8)
                                    * val(b[t * st + k * side + j], ij.b_u8)
                            })
                            .sum();
                        let o = t * st + i * side + j;
                        assert_eq!(c[o], want(ij, sum, start[o]), "{ij:?} {side} {t} {i} {j}");
                    }
                }
                // The gaps stay as they were.
                for o in t * st + sq..(t + 1) * st {
                    assert_eq!(c[o], start[o]);
                }
            }
        }
    }

    #[test]
    fn blocks_4_and_8() {
        if !cpu() {
            return;
        }
        for count in [1, 2, 7] {
            for gap in [0, 3] {
                check_blocks(4, count, gap, Way::Hook);
                check_blocks(8, count, gap, Way::Hook);
                check_blocks(8, count, gap, Way::Bw);
            }
        }
    }

    /// The 256-bit levels' kernels, on any CPU with AVX2 (and under Miri,
    /// built with AVX2: fewer runs there).
    #[test]
    fn blocks_4_and_8_256() {
        if !std::is_x86_feature_detected!("avx2") {
            return;
        }
        let (counts, gaps): (&[usize], &[usize]) = if cfg!(miri) {
            (&[2], &[3])
        } else {
            (&[1, 2, 7], &[0, 3])
        };
        for &count in counts {
            for &gap in gaps {
                check_blocks(4, count, gap, Way::Avx2);
                check_blocks(8, count, gap, Way::Avx2);
            }
        }
    }

    #[test]
    fn blocks_decline_other_shapes() {
        if !cpu() {
            return;
        }
        let (a, b) = (vec![1u8; 256], vec![1u8; 256]);
        let mut c = vec![7i32; 256];
        let p = P {
            a: a.as_ptr(),
            b: b.as_ptr(),
            c: c.as_mut_ptr(),
        };
        let ij = IntJob {
            a_u8: false,
            b_u8: false,
            acc: false,
            stream: false,
        };
        let mut shapes = vec![];
        for side in [4, 8] {
            let g = square(side);
            shapes.push(Geom { a_cs: 2, ..g });
            shapes.push(Geom { a_rs: 16, ..g });
            shapes.push(Geom {
                b_rs: 1,
                b_cs: side as isize,
                ..g
            });
            shapes.push(Geom { c_rs: 9, ..g });
            shapes.push(Geom { c_cs: 2, ..g });
            shapes.push(Geom {
                n: 3,
                c_rs: 3,
                b_rs: 3,
                ..g
            });
        }
        shapes.push(Geom {
            m: 4,
            n: 8,
            k: 4,
            a_rs: 4,
            b_rs: 8,
            c_rs: 8,
            ..square(4)
        });
        shapes.push(square(2));
        shapes.push(square(16));
        for g in shapes {
            // SAFETY: declined before any access.
            assert!(!unsafe { small_at(ij, &g, 1, p, (0, 0, 0)) }, "{g:?}");
        }
        assert!(c.iter().all(|&v| v == 7));
    }

    /// `count` dots of `k` steps with row strides `sa`, `sb` (bytes, may be
    /// negative) and out stride `sc`, against the exact sums.
    fn check_dots(k: usize, count: usize, sa: isize, sb: isize, sc: isize) {
        let span = |st: isize, len: usize| {
            if count == 0 {
                (len, 0)
            } else {
                let n = (count - 1) * st.unsigned_abs() + len;
                (n, if st < 0 { n - len } else { 0 })
            }
        };
        let (na, oa) = span(sa, k);
        let (nb, ob) = span(sb, k);
        let (nc, oc) = span(sc, 1);
        for (seed, ij) in jobs().into_iter().enumerate() {
            let a = bytes(na, 3 * seed as u64 + 1);
            let b = bytes(nb, 3 * seed as u64 + 2);
            let start: Vec<i32> = (0..nc as i32)
                .map(|i| i.wrapping_mul(0x2345_6789) ^ i32::MIN)
                .collect();
            let mut c = start.clone();
            let p = P {
                a: a.as_ptr().wrapping_add(oa),
                b: b.as_ptr().wrapping_add(ob),
                c: c.as_mut_ptr().wrapping_add(oc),
            };
            // SAFETY: every row and output lies in the vectors; the CPU
            // has the level.
            unsafe { dots_at(ij, k, count, p, (sa, sb, sc)) };
            let mut hit = vec![false; nc];
            for t in 0..count as isize {
                let ra = (oa as isize + t * sa) as usize;
                let rb = (ob as isize + t * sb) as usize;
                let sum: i64 = (0..k)
                    .map(|i| val(a[ra + i], ij.a_u8) * val(b[rb + i], ij.b_u8))
                    .sum();
                let o = (oc as isize + t * sc) as usize;
                hit[o] = true;
                assert_eq!(c[o], want(ij, sum, start[o]), "{ij:?} k {k} row {t}");
            }
            for (o, h) in hit.iter().enumerate() {
                if !h {
                    assert_eq!(c[o], start[o]);
                }
            }
        }
    }

    #[test]
    fn dots_of_16() {
        if !cpu() {
            return;
        }
        for count in [0, 1, 15, 16, 17, 40, 64] {
            check_dots(16, count, 16, 16, 1);
            check_dots(16, count, 19, 16, 3);
            check_dots(16, count, 16, -32, -1);
            check_dots(16, count, -17, 48, 2);
        }
    }

    #[test]
    fn dots_of_other_k() {
        if !cpu() {
            return;
        }
        for k in [1, 4, 15, 17, 64, 100] {
            check_dots(k, 20, k as isize, k as isize + 1, 1);
        }
    }

    #[test]
    fn extremes_wrap_with_acc() {
        if !cpu() {
            return;
        }
        // −128·−128·16 = 262144 added to i32::MAX wraps; so do the blocks'.
        let a = vec![0x80u8; 64 * 16];
        let b = vec![0x80u8; 64 * 16];
        let mut c = vec![i32::MAX; 64 * 16];
        let p = P {
            a: a.as_ptr(),
            b: b.as_ptr(),
            c: c.as_mut_ptr(),
        };
        let ij = IntJob {
            a_u8: false,
            b_u8: false,
            acc: true,
            stream: false,
        };
        // SAFETY: 32 rows of 16 bytes and 32 outputs; the CPU has the level.
        unsafe { dots_at(ij, 16, 32, p, (16, 16, 1)) };
        assert!(c[..32]
            .iter()
            .all(|&v| v == i32::MAX.wrapping_add(16 * 16384)));
        // SAFETY: 16 blocks of 8×8; the CPU has the level.
        assert!(unsafe { small_at(ij, &square(8), 16, p, (64, 64, 64)) });
        assert!(c[..32]
            .iter()
            .all(|&v| v == i32::MAX.wrapping_add(24 * 16384)));
        assert!(c[32..1024]
            .iter()
            .all(|&v| v == i32::MAX.wrapping_add(8 * 16384)));
    }
}
