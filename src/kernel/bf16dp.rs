//! bfloat16 GEMM on the AVX512_BF16 dot-product instruction (`vdpbf16ps`),
//! the `avx512bf16` level: B packed as pairs of contraction steps (each
//! 32-bit lane holding `B[2p, j]`, `B[2p+1, j]`), A's rows copied with an
//! even stride so that a pair of A is one 32-bit broadcast, and a 6 × 64
//! microkernel of `vdpbf16ps` accumulating in f32. On the CPUs where this
//! level is detected it does two products per lane per instruction at the
//! f32 FMA's instruction rate or better (docs/PERFORMANCE.md has the
//! measurement).
//!
//! Numerics (the instruction's): each pair adds its odd product, then its
//! even one, to the f32 accumulator, each addition rounded to nearest even.
//! The instruction also reads subnormal inputs as zero and flushes
//! subnormal results to zero (it ignores MXCSR), which the library's
//! contract does not allow: so a block runs here only when `exact` shows
//! that neither can happen (no subnormal input, and every nonzero product
//! at least 2⁻¹¹¹, whose sums are multiples of 2⁻¹²⁵ and so never
//! subnormal); any other block takes the f32 path (`wide.rs`). Blocks of
//! `KC` steps as in `gemm::block`; a last odd step is paired with zeros, in
//! A and B both. The sums are a function of K and the block's values
//! alone: not of the threads, the tile or the slab an element falls in.

use super::gemm::Geom;
use super::half::{Half, Wide};
use super::scale::Scaled;
use super::tuning::{KC, NC, WIDE_RA, WIDE_RO};

use core::arch::x86_64::*;

/// Vectors per tile row, lanes per vector, tile columns, tile rows.
const NV: usize = 4;
const LANES: usize = 16;
const NR: usize = NV * LANES;
const MR: usize = 6;

/// `C[0..R, 0..nr] (+)= A[0..R, 0..2kp] · B[0..2kp, 0..nr]` on pairs: `a`
/// rows `a_rs` u16 apart (pairs contiguous), `b` a packed panel (`kp`
/// groups of `NR` pairs), C f32 rows `c_rs` apart, contiguous.
///
/// # Safety
/// Those elements lie in their buffers (the panel is `kp·2·NR` u16, its
/// columns past nr zero); the CPU has avx512f and avx512bf16.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn micro<const R: usize>(
    kp: usize,
    a: *const u16,
    a_rs: usize,
    b: *const u16,
    c: *mut f32,
    c_rs: usize,
    nr: usize,
    accumulate: bool,
) {
    // SAFETY: every access is inside the tile (contract); the pair reads
    // of A are unaligned 32-bit reads of two adjacent u16.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); NV]; R];
        let mut bp = b;
        for p in 0..kp {
            let mut bv = [_mm512_setzero_ps(); NV];
            for (v, slot) in bv.iter_mut().enumerate() {
                *slot = _mm512_loadu_ps(bp.add(v * 2 * LANES).cast());
            }
            for i in 0..R {
                let pair = core::ptr::read_unaligned(a.add(i * a_rs + 2 * p).cast::<i32>());
                let av: __m512bh = core::mem::transmute(_mm512_set1_epi32(pair));
                for v in 0..NV {
                    let b: __m512bh = core::mem::transmute(bv[v]);
                    acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, b);
                }
            }
            bp = bp.add(2 * NR);
        }
        for i in 0..R {
            let cp = c.add(i * c_rs);
            for v in 0..NV {
                let lo = v * LANES;
                if lo >= nr {
                    break;
                }
                let m: __mmask16 = if nr - lo >= LANES {
                    0xffff
                } else {
                    ((1u32 << (nr - lo)) - 1) as __mmask16
                };
                let p = cp.add(lo);
                let r = if accumulate {
                    _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), acc[i][v])
                } else {
                    acc[i][v]
                };
                _mm512_mask_storeu_ps(p, m, r);
            }
        }
    }
}

/// Packs `B[0..kc, 0..nr]` (u16, strides `rs`, `cs`) as pairs: `dst[p·2NR
/// + 2j + e] = B[2p + e, j]`, zero past `kc` and past `nr`.
///
/// # Safety
/// Those source elements are readable; `dst` holds `ceil(kc/2)·2NR` u16.
#[inline(always)]
pub(super) unsafe fn pack_b(
    src: *const u16,
    kc: usize,
    nr: usize,
    rs: isize,
    cs: isize,
    dst: *mut u16,
) {
    let kp = kc.div_ceil(2);
    // SAFETY: reads stay on B[0..kc, 0..nr], writes on dst (contract).
    unsafe {
        if cs == 1 && nr == NR {
            // Rows contiguous: interleave two rows, 8 columns at a time.
            for p in 0..kp {
                let r0 = src.wrapping_offset((2 * p) as isize * rs);
                let r1 = src.wrapping_offset((2 * p + 1) as isize * rs);
                let d = dst.add(p * 2 * NR);
                for j in (0..NR).step_by(8) {
                    let x0 = _mm_loadu_si128(r0.add(j).cast());
                    let x1 = if 2 * p + 1 < kc {
                        _mm_loadu_si128(r1.add(j).cast())
                    } else {
                        _mm_setzero_si128()
                    };
                    _mm_storeu_si128(d.add(2 * j).cast(), _mm_unpacklo_epi16(x0, x1));
                    _mm_storeu_si128(d.add(2 * j + 8).cast(), _mm_unpackhi_epi16(x0, x1));
                }
            }
        } else if rs == 1 && nr == NR && kc.is_multiple_of(2) && kc >= 32 {
            // Columns contiguous: a pair is one 32-bit word of a column;
            // 16 columns × 16 pairs by a register transpose of the words.
            let k0 = kc / 32 * 32;
            for jb in (0..NR).step_by(LANES) {
                for tb in (0..k0).step_by(32) {
                    let mut r = [_mm512_setzero_ps(); 16];
                    for (q, v) in r.iter_mut().enumerate() {
                        let col = src.wrapping_offset((jb + q) as isize * cs);
                        *v = _mm512_loadu_ps(col.add(tb).cast());
                    }
                    let w = super::pack::transpose16(r);
                    for (q, v) in w.iter().enumerate() {
                        _mm512_storeu_ps(dst.add((tb / 2 + q) * 2 * NR + 2 * jb).cast(), *v);
                    }
                }
                for p in k0 / 2..kp {
                    for q in 0..LANES {
                        let col = src.wrapping_offset((jb + q) as isize * cs);
                        let pair = core::ptr::read_unaligned(col.add(2 * p).cast::<u32>());
                        core::ptr::write_unaligned(
                            dst.add(p * 2 * NR + 2 * (jb + q)).cast::<u32>(),
                            pair,
                        );
                    }
                }
            }
        } else {
            for p in 0..kp {
                let d = dst.add(p * 2 * NR);
                for j in 0..NR {
                    let (mut e0, mut e1) = (0u16, 0u16);
                    if j < nr {
                        let s = src.wrapping_offset(j as isize * cs);
                        e0 = *s.wrapping_offset((2 * p) as isize * rs);
                        if 2 * p + 1 < kc {
                            e1 = *s.wrapping_offset((2 * p + 1) as isize * rs);
                        }
                    }
                    *d.add(2 * j) = e0;
                    *d.add(2 * j + 1) = e1;
                }
            }
        }
    }
}

/// Copies `A[0..rows, 0..kc]` (u16, strides `rs`, `cs`) to rows of `ld`
/// (even, >= kc) u16, zero past kc.
///
/// # Safety
/// Those source elements are readable; `dst` holds `rows·ld` u16.
#[inline(always)]
unsafe fn pack_a(
    src: *const u16,
    rows: usize,
    kc: usize,
    rs: isize,
    cs: isize,
    dst: *mut u16,
    ld: usize,
) {
    // SAFETY: reads stay on A[0..rows, 0..kc], writes on dst (contract).
    unsafe {
        for i in 0..rows {
            let s = src.wrapping_offset(i as isize * rs);
            let d = dst.add(i * ld);
            if cs == 1 {
                core::ptr::copy_nonoverlapping(s, d, kc);
            } else {
                for t in 0..kc {
                    *d.add(t) = *s.wrapping_offset(t as isize * cs);
                }
            }
            for t in kc..ld {
                *d.add(t) = 0;
            }
        }
    }
}

/// The smallest of `f(b)` over the elements `b` of `S[0..rows, 0..cols]`
/// (u16 bits of bfloat16 or float16, strides `rs`, `cs`), where `f(b)` is
/// the magnitude bits `b & 0x7fff` minus one (wrapping: 0xffff for a zero,
/// so the result is the smallest nonzero magnitude minus one, 0xffff when
/// none is nonzero) or, with `FLIP`, `0x7fff - (b & 0x7fff)` (the result
/// is 0x7fff minus the largest magnitude). 32 elements per instruction
/// where the inner direction is contiguous or every other element.
///
/// # Safety
/// Those elements are readable; the CPU has avx512f and avx512bw.
#[inline(always)]
unsafe fn min_mag<const FLIP: bool>(
    src: *const u16,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
) -> u16 {
    // The inner direction is the contiguous one when there is one (the
    // minimum of a set does not depend on the order).
    let (rows, cols, rs, cs) = if cs != 1 && rs == 1 {
        (cols, rows, cs, rs)
    } else {
        (rows, cols, rs, cs)
    };
    // (b & 0x7fff) - 1, wrapping: a zero becomes 0xffff, the largest; or
    // 0x7fff - (b & 0x7fff), a zero 0x7fff (never below a nonzero's).
    let one = |b: u16| {
        if FLIP {
            (b & 0x7fff) ^ 0x7fff
        } else {
            (b & 0x7fff).wrapping_sub(1)
        }
    };
    let mut m = u16::MAX;
    // SAFETY: every access is to an element (r, c) of the contract; the
    // vector loads are masked to the row's elements (the every-other-element
    // ones to the 2n − 1 from 2c up to the row's last).
    unsafe {
        let mag = _mm512_set1_epi16(0x7fff);
        let ones = _mm512_set1_epi16(1);
        let f = |v: __m512i| {
            if FLIP {
                _mm512_xor_si512(v, mag)
            } else {
                _mm512_sub_epi16(v, ones)
            }
        };
        let even = _mm512_set1_epi32(0xffff);
        let mut vm = _mm512_set1_epi16(-1);
        for r in 0..rows {
            let p = src.wrapping_offset(r as isize * rs);
            let mut c = 0;
            if cs == 1 {
                while c < cols {
                    // The last vector masked to the row (masked lanes are
                    // zeros, which never lower the minimum).
                    let n = (cols - c).min(32);
                    let m = (u64::MAX >> (64 - n)) as __mmask32;
                    let v = _mm512_and_si512(_mm512_maskz_loadu_epi16(m, p.add(c).cast()), mag);
                    vm = _mm512_min_epu16(vm, f(v));
                    c += n;
                }
            } else if cs == 2 {
                while c < cols {
                    // 2n − 1 elements from 2c: ours are the even ones; the
                    // odd ones and the masked lanes become zeros.
                    let n = (cols - c).min(32);
                    for h in 0..2 {
                        let lanes = (2 * n - 1).saturating_sub(32 * h).min(32);
                        if lanes == 0 {
                            break;
                        }
                        let m = (u64::MAX >> (64 - lanes)) as __mmask32;
                        let q = p.add(2 * c + 32 * h);
                        let v = _mm512_maskz_loadu_epi16(m, q.cast());
                        let v = _mm512_and_si512(_mm512_and_si512(v, even), mag);
                        vm = _mm512_min_epu16(vm, f(v));
                    }
                    c += n;
                }
            }
            while c < cols {
                m = m.min(one(*p.wrapping_offset(c as isize * cs)));
                c += 1;
            }
        }
        let mut lanes = [0u16; 32];
        _mm512_storeu_si512(lanes.as_mut_ptr().cast(), vm);
        m = lanes.iter().fold(m, |a, &b| a.min(b));
    }
    m
}

/// Whether the block's products are exact on `vdpbf16ps`: no subnormal
/// input, and the smallest nonzero product at least 2⁻¹¹¹ (exponent
/// fields summing to 143 or more), so that no partial sum is subnormal.
/// Scans all of A (`m × k`) and B (`k × n`), so that every row part of the
/// block decides alike.
///
/// # Safety
/// Those elements are readable; the CPU has avx512f.
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
#[inline(never)]
pub(crate) unsafe fn exact(g: &Geom, x: *const u16, y: *const u16) -> bool {
    // SAFETY: the whole A and B of one block (contract).
    unsafe {
        // Smallest magnitudes (+1 restores them): subnormal below 0x80.
        let ma = min_mag::<false>(x, g.m, g.k, g.a_rs, g.a_cs).wrapping_add(1);
        if ma == 0 {
            return true; // A is all zeros: every product is ±0 or NaN.
        }
        let mb = min_mag::<false>(y, g.k, g.n, g.b_rs, g.b_cs).wrapping_add(1);
        if mb == 0 {
            return true;
        }
        let (ea, eb) = ((ma >> 7) as u32, (mb >> 7) as u32);
        ea != 0 && eb != 0 && ea + eb >= 143
    }
}

/// Steps of K per block of `F16Split` (a multiple of 32: whole tiles of 16
/// pairs in each of its sections).
const SPLIT_KB: usize = 64;

/// Whether a float16 block may run split into bfloat16 pairs
/// (`F16Split`): K above both 2·`SPLIT_KB` (at least two blocks keep the
/// sums within the bound of docs/SEMANTICS.md §6) and `KC` (one block of
/// K is faster converted to f32, whose kernel then rounds in its
/// epilogue: b, K = 128, 0.96 of the split's time; a, K = 64, 0.80–0.86×
/// our f32 split against 0.88× converted, before that epilogue) and no
/// Inf or NaN in A
/// (`m × k`) or B (`k × n`), whose split parts would make NaN of a
/// product with a finite result. Scans all of A and B, so that every row
/// part of the block decides alike.
///
/// # Safety
/// Those elements are readable; the CPU has avx512f and avx512bw.
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
#[inline(never)]
pub(crate) unsafe fn split_admits(g: &Geom, x: *const u16, y: *const u16) -> bool {
    // Finite: a magnitude below 0x7c00, 0x7fff minus it above 0x3ff.
    // SAFETY: the whole A and B of one block (contract).
    g.k > KC.max(2 * SPLIT_KB)
        && unsafe {
            min_mag::<true>(x, g.m, g.k, g.a_rs, g.a_cs) > 0x3ff
                && min_mag::<true>(y, g.k, g.n, g.b_rs, g.b_cs) > 0x3ff
        }
}

/// How a 16-bit dtype's A and B become the pairs of a `PairKernel`:
/// `Bf16Pairs` (the values themselves) or `F16Split` (each float16 as two
/// bfloat16).
pub(crate) trait Operands {
    /// A's rows may be read where they are (`PairKernel::rows` on x
    /// itself) when their steps are contiguous and a block's pairs need
    /// no padding: the pairs are then A's own elements, in order.
    const IN_PLACE: bool;
    /// Steps of K per block, for a product of `k` steps on a kernel whose
    /// blocks take up to `kernel_kc`.
    fn block(k: usize, kernel_kc: usize) -> usize;
    /// Pairs of a block of `kc <= kb` steps, padded to a multiple of `pad`.
    fn pairs(kb: usize, kc: usize, pad: usize) -> usize;
    /// Packs `B[0..kc, 0..nr]` (u16, strides `rs`, `cs`) as a panel of `kp`
    /// pairs of `NR` columns (`dst[p·2NR + 2j + e]`), zeros past kc and nr.
    ///
    /// # Safety
    /// Those source elements are readable; `dst` holds `kp·2NR` u16; the
    /// CPU has avx512f, avx512bw, avx512bf16, avx2, fma, f16c.
    #[allow(clippy::too_many_arguments)]
    unsafe fn pack_b(
        src: *const u16,
        kb: usize,
        kc: usize,
        nr: usize,
        rs: isize,
        cs: isize,
        dst: *mut u16,
        kp: usize,
    );
    /// Packs `A[0..rows, 0..kc]` (u16, strides `rs`, `cs`) as rows of `lda`
    /// u16 (`lda / 2` pairs, the order of `pack_b`'s), zeros past kc.
    ///
    /// # Safety
    /// As `pack_b`; `dst` holds `rows·lda` u16.
    #[allow(clippy::too_many_arguments)]
    unsafe fn pack_a(
        src: *const u16,
        rows: usize,
        kb: usize,
        kc: usize,
        rs: isize,
        cs: isize,
        dst: *mut u16,
        lda: usize,
    );
}

/// bfloat16: the pairs are steps `2p` and `2p + 1` of A and B.
pub(crate) struct Bf16Pairs;

impl Operands for Bf16Pairs {
    const IN_PLACE: bool = true;
    #[inline(always)]
    fn block(_k: usize, kernel_kc: usize) -> usize {
        kernel_kc
    }
    #[inline(always)]
    fn pairs(_kb: usize, kc: usize, pad: usize) -> usize {
        kc.div_ceil(2).next_multiple_of(pad)
    }
    #[inline(always)]
    unsafe fn pack_b(
        src: *const u16,
        _kb: usize,
        kc: usize,
        nr: usize,
        rs: isize,
        cs: isize,
        dst: *mut u16,
        kp: usize,
    ) {
        // SAFETY: the trait's contract; pairs past the packed ones: zeros.
        unsafe {
            pack_b(src, kc, nr, rs, cs, dst);
            let done = kc.div_ceil(2);
            core::ptr::write_bytes(dst.add(done * 2 * NR), 0, (kp - done) * 2 * NR);
        }
    }
    #[inline(always)]
    unsafe fn pack_a(
        src: *const u16,
        rows: usize,
        _kb: usize,
        kc: usize,
        rs: isize,
        cs: isize,
        dst: *mut u16,
        lda: usize,
    ) {
        // SAFETY: the trait's contract.
        unsafe { pack_a(src, rows, kc, rs, cs, dst, lda) }
    }
}

/// float16 on bfloat16 tiles (level `amx`), exactly: each value `a`
/// (converted to f32) is `h + l`, `h` its f32 bits truncated to
/// bfloat16's 8 significant bits and `l = a − h`, which has at most 3
/// and is a bfloat16 as well (float16's smallest subnormal, 2⁻²⁴, is a
/// normal bfloat16). `a·b = h·h' + (h·l' + l·h') + l·l'`: four products,
/// each exact in f32, in 2·kb pairs per block of kb steps, in three
/// sections that the kernel runs in order: kb pairs `(h_t, l_t)·(l'_t,
/// h'_t)`, kb/2 pairs `(l_t, l_t+1)·(l'_t, l'_t+1)`, then kb/2 pairs `(h_t,
/// h_t+1)·(h'_t, h'_t+1)`. The small terms go first: with blocks of
/// `block` steps the sum's error stays within docs/SEMANTICS.md §6's
/// bound (docs/DESIGN.md gives the count). Every product and partial sum
/// is 0 or at least 2⁻⁴⁸ in magnitude, so nothing is subnormal and the
/// tiles flush nothing; Inf and NaN never come here (`split_admits`).
pub(crate) struct F16Split;

/// `v`'s f32 bits split: (`h`, `l`), each a bfloat16 in the upper half of
/// its 32 bits (the lower half zero).
#[inline(always)]
unsafe fn split(v: __m512) -> (__m512i, __m512i) {
    // SAFETY: register arithmetic (the caller has avx512f).
    unsafe {
        let h = _mm512_and_si512(
            _mm512_castps_si512(v),
            _mm512_set1_epi32(0xffff_0000u32 as i32),
        );
        let l = _mm512_sub_ps(v, _mm512_castsi512_ps(h));
        (h, _mm512_castps_si512(l))
    }
}

/// The pairs `(lo, hi)` of 16 lanes: `lo`'s upper half in the lower u16,
/// `hi`'s in the upper (both with lower halves zero).
#[inline(always)]
unsafe fn pair(lo: __m512i, hi: __m512i) -> __m512i {
    // SAFETY: register arithmetic (the caller has avx512f).
    unsafe { _mm512_or_si512(_mm512_srli_epi32::<16>(lo), hi) }
}

/// Rows of A widened at a time (`F16Split::pack_a`).
const SPLIT_ROWS: usize = 32;

/// 64-byte aligned f32 scratch on the stack for the split packings.
#[repr(C, align(64))]
struct F32s<const N: usize>([f32; N]);

impl Operands for F16Split {
    const IN_PLACE: bool = false;
    #[inline(always)]
    fn block(_k: usize, _kernel_kc: usize) -> usize {
        SPLIT_KB
    }
    #[inline(always)]
    fn pairs(kb: usize, _kc: usize, _pad: usize) -> usize {
        2 * kb
    }
    #[inline(always)]
    unsafe fn pack_b(
        src: *const u16,
        kb: usize,
        kc: usize,
        nr: usize,
        rs: isize,
        cs: isize,
        dst: *mut u16,
        kp: usize,
    ) {
        debug_assert!(kb <= 64 && kc <= kb && kp == 2 * kb && kb.is_multiple_of(32));
        let mut t = core::mem::MaybeUninit::<F32s<{ 64 * NR }>>::uninit();
        let tp = t.as_mut_ptr().cast::<f32>();
        // SAFETY: the trait's contract; t holds kb <= 64 rows of NR f32.
        unsafe {
            super::half::widen::<super::simd::Avx512Bf16F32>(
                Half::F16,
                src,
                kc,
                nr,
                rs,
                cs,
                tp,
                NR,
            );
            if nr < NR {
                for k in 0..kc {
                    core::ptr::write_bytes(tp.add(k * NR + nr), 0, NR - nr);
                }
            }
            core::ptr::write_bytes(tp.add(kc * NR), 0, (kb - kc) * NR);
            let at = |p: usize, q: usize| dst.add(p * 2 * NR + 2 * LANES * q).cast::<__m512i>();
            for k in (0..kb).step_by(2) {
                for q in 0..NV {
                    let (h0, l0) = split(_mm512_load_ps(tp.add(k * NR + LANES * q)));
                    let (h1, l1) = split(_mm512_load_ps(tp.add((k + 1) * NR + LANES * q)));
                    _mm512_storeu_si512(at(k, q), pair(l0, h0));
                    _mm512_storeu_si512(at(k + 1, q), pair(l1, h1));
                    _mm512_storeu_si512(at(kb + k / 2, q), pair(l0, l1));
                    _mm512_storeu_si512(at(kb + kb / 2 + k / 2, q), pair(h0, h1));
                }
            }
        }
    }
    #[inline(always)]
    unsafe fn pack_a(
        src: *const u16,
        rows: usize,
        kb: usize,
        kc: usize,
        rs: isize,
        cs: isize,
        dst: *mut u16,
        lda: usize,
    ) {
        debug_assert!(kb <= 64 && kc <= kb && lda == 4 * kb && kb.is_multiple_of(32));
        let mut t = core::mem::MaybeUninit::<F32s<{ SPLIT_ROWS * 64 }>>::uninit();
        let tp = t.as_mut_ptr().cast::<f32>();
        // One row's 16 values from f32 `v`: the pairs (h, l) at 2k, the l
        // at 2kb + k and the h at 3kb + k of the row `d`.
        let put = |d: *mut u16, k: usize, v: __m512| {
            // SAFETY: inside the row of 4kb u16 (k + 16 <= kb).
            unsafe {
                let (h, l) = split(v);
                _mm512_storeu_si512(d.add(2 * k).cast(), pair(h, l));
                let lo = _mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(l));
                let hi = _mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(h));
                _mm256_storeu_si256(d.add(2 * kb + k).cast(), lo);
                _mm256_storeu_si256(d.add(3 * kb + k).cast(), hi);
            }
        };
        if cs == 1 {
            // Rows contiguous: converted straight from the row, the last
            // vector masked (zeros past kc).
            // SAFETY: the trait's contract; the loads are masked to the
            // row's kc elements.
            unsafe {
                for r in 0..rows {
                    let s = src.wrapping_offset(r as isize * rs);
                    let d = dst.add(r * lda);
                    for k in (0..kb).step_by(LANES) {
                        let n = kc.saturating_sub(k).min(LANES);
                        let m = ((1u32 << n) - 1) as __mmask16;
                        let raw = _mm256_maskz_loadu_epi16(m, s.add(k).cast());
                        put(d, k, _mm512_cvtph_ps(raw));
                    }
                }
            }
            return;
        }
        // SAFETY: the trait's contract; t holds SPLIT_ROWS rows of kb <= 64
        // f32; each row of dst is 4kb u16: the pairs (h, l) at 0..2kb, the
        // l at 2kb..3kb and the h at 3kb..4kb.
        unsafe {
            let mut r0 = 0;
            while r0 < rows {
                let n = SPLIT_ROWS.min(rows - r0);
                let s = src.wrapping_offset(r0 as isize * rs);
                super::half::widen::<super::simd::Avx512Bf16F32>(
                    Half::F16,
                    s,
                    n,
                    kc,
                    rs,
                    cs,
                    tp,
                    kb,
                );
                for r in 0..n {
                    let tr = tp.add(r * kb);
                    if kc < kb {
                        core::ptr::write_bytes(tr.add(kc), 0, kb - kc);
                    }
                    let d = dst.add((r0 + r) * lda);
                    for k in (0..kb).step_by(LANES) {
                        put(d, k, _mm512_load_ps(tr.add(k)));
                    }
                }
                r0 += n;
            }
        }
    }
}

/// What differs between the bfloat16 GEMMs on pairs (`vdpbf16ps` here,
/// AMX tiles in `bf16amx.rs`) inside `gemm`'s common blocking.
pub(crate) trait PairKernel {
    /// Steps of K per block (the blocks' sums are added to C's one by one).
    const KC: usize;
    /// Pairs per block are padded (with zeros, in A and B) to a multiple
    /// of this.
    const PAIRS: usize;
    /// Rows `0..rows` of A (`a`, rows `lda` u16 apart, `kp` pairs: packed,
    /// or A itself, `Operands::IN_PLACE`) times the packed panels of B
    /// (`b`, `kp` pairs of 2NR u16 per panel) for columns `0..nc`, into
    /// C's f32 sums (`c`, rows `ldc` apart): stored, or added with `acc`.
    ///
    /// # Safety
    /// Those elements lie in their buffers; the CPU has the kernel's
    /// features (and `begin` ran).
    #[allow(clippy::too_many_arguments)]
    unsafe fn rows(
        kp: usize,
        a: *const u16,
        lda: usize,
        rows: usize,
        b: *const u16,
        nc: usize,
        c: *mut f32,
        ldc: usize,
        acc: bool,
    );
    /// Before a call's blocks (AMX: the tile configuration).
    #[inline(always)]
    unsafe fn begin() {}
    /// After them.
    #[inline(always)]
    unsafe fn end() {}
}

/// `vdpbf16ps`: 6-row tiles (then 4, 2, 1) of `micro`.
pub(crate) struct Vdp;

impl PairKernel for Vdp {
    const KC: usize = KC;
    const PAIRS: usize = 1;
    #[inline(always)]
    unsafe fn rows(
        kp: usize,
        a: *const u16,
        lda: usize,
        rows: usize,
        b: *const u16,
        nc: usize,
        c: *mut f32,
        ldc: usize,
        acc: bool,
    ) {
        // SAFETY: the trait's contract.
        unsafe {
            let mut i = 0;
            while i < rows {
                let rem = rows - i;
                let ai = a.add(i * lda);
                let ci = c.add(i * ldc);
                let step = if rem >= MR {
                    MR
                } else if rem >= 4 {
                    4
                } else if rem >= 2 {
                    2
                } else {
                    1
                };
                let mut j = 0;
                while j < nc {
                    let n = NR.min(nc - j);
                    let bp = b.add((j / NR) * kp * 2 * NR);
                    let cj = ci.add(j);
                    match step {
                        MR => micro::<MR>(kp, ai, lda, bp, cj, ldc, n, acc),
                        4 => micro::<4>(kp, ai, lda, bp, cj, ldc, n, acc),
                        2 => micro::<2>(kp, ai, lda, bp, cj, ldc, n, acc),
                        _ => micro::<1>(kp, ai, lda, bp, cj, ldc, n, acc),
                    }
                    j += n;
                }
                i += step;
            }
        }
    }
}

/// Rows `r0..r1` of a 16-bit product on pairs (`K`'s kernel, `O`'s
/// pairs), blocked as `wide::gemm` is (blocks of `O::block` steps), the
/// sums kept in f32 in `buf` (`wide::scratch_len` elements) and stored
/// once through `store_out`. The B pairs and the A rows take u16 in the
/// f32 regions of `wide::gemm_parts` (sized for 128 steps), so a block
/// may have up to 128 pairs.
///
/// `gemm::<Vdp, Bf16Pairs>` runs bfloat16 on `vdpbf16ps`,
/// `gemm::<bf16amx::Tiles, _>` bfloat16 or float16 (`F16Split`) on AMX.
///
/// # Safety
/// As `wide::run_items` for these rows; `w.half` is `O`'s; the CPU has
/// `K`'s features and avx512f, avx512bw, avx512dq, avx512vl, avx512bf16,
/// avx2, fma and f16c.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx2,fma,f16c")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm<K: PairKernel, O: Operands>(
    w: Wide,
    g: &Geom,
    x: *const u16,
    y: *const u16,
    out: *mut u8,
    r0: usize,
    r1: usize,
    buf: *mut f32,
    scale: Option<Scaled<f32>>,
) {
    debug_assert!(K::KC <= 2 * KC);
    let kb = O::block(g.k, K::KC);
    let (b_len, a_len, _) = super::wide::gemm_parts(g.n, r1 - r0, NR);
    // The B pairs and the A rows take u16 in the f32 regions (half of each
    // at K::KC = KC, all of them at 2·KC).
    let bb = buf.cast::<u16>();
    let ab = buf.wrapping_add(b_len).cast::<u16>();
    let cb = buf.wrapping_add(b_len + a_len);
    let ldc = g.n.min(NC);
    let size = super::half::out_size(w);
    // SAFETY: the contract.
    unsafe { K::begin() };
    let mut ro = r0;
    while ro < r1 {
        let rows_o = WIDE_RO.min(r1 - ro);
        let mut jc = 0;
        while jc < g.n {
            let nc = NC.min(g.n - jc);
            let mut pc = 0;
            while pc < g.k {
                let kc = kb.min(g.k - pc);
                let kp = O::pairs(kb, kc, K::PAIRS);
                let lda = 2 * kp;
                // SAFETY: B[pc..pc+kc, jc..jc+nc] lies in y; each panel is
                // kp·2NR u16 with kp <= KC pairs (K::KC / 2 of bfloat16,
                // 2·kb <= 128 split), so the panels end within b_len f32
                // (KC·nc); then rows ro..ro+rows_o of A by slabs of
                // lda·WIDE_RA <= 2·KC·WIDE_RA u16 = a_len f32; C's sums in
                // cb, rows_o × ldc.
                unsafe {
                    let src = y.wrapping_offset(pc as isize * g.b_rs + jc as isize * g.b_cs);
                    let mut j = 0;
                    while j < nc {
                        let c = NR.min(nc - j);
                        let s = src.wrapping_offset(j as isize * g.b_cs);
                        let dst = bb.add((j / NR) * kp * 2 * NR);
                        O::pack_b(s, kb, kc, c, g.b_rs, g.b_cs, dst, kp);
                        j += c;
                    }
                    let mut ra = 0;
                    while ra < rows_o {
                        let rows_a = WIDE_RA.min(rows_o - ra);
                        let a =
                            x.wrapping_offset((ro + ra) as isize * g.a_rs + pc as isize * g.a_cs);
                        // In place where the rows are already what the
                        // copy makes (contiguous, one after another): the
                        // copy was a call to memcpy per row, 14 % of
                        // bfloat16 b's time on tiles. (With the rows of
                        // c, 1 KB apart for blocks of 512 bytes, reading
                        // in place took 1.02-1.03 of the time.)
                        let whole = g.a_cs == 1 && g.a_rs == kc as isize && kc == 2 * kp;
                        let (ap, la) = if O::IN_PLACE && whole {
                            (a, kc)
                        } else {
                            O::pack_a(a, rows_a, kb, kc, g.a_rs, g.a_cs, ab, lda);
                            (ab.cast_const(), lda)
                        };
                        K::rows(kp, ap, la, rows_a, bb, nc, cb.add(ra * ldc), ldc, pc > 0);
                        ra += rows_a;
                    }
                }
                pc += kc;
            }
            // SAFETY: out's rows ro..ro+rows_o, columns jc..jc+nc (contract).
            unsafe {
                let o = out.wrapping_offset((ro as isize * g.c_rs + jc as isize * g.c_cs) * size);
                super::half::store_out::<super::simd::Avx512Bf16F32>(
                    w, cb, rows_o, nc, ldc, o, g.c_rs, g.c_cs, scale,
                );
            }
            jc += nc;
        }
        ro += rows_o;
    }
    // SAFETY: the contract.
    unsafe { K::end() };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An m × k · k × n block with these strides of A and B (C contiguous).
    fn geom((m, k, n): (usize, usize, usize), a: (isize, isize), b: (isize, isize)) -> Geom {
        Geom {
            m,
            n,
            k,
            a_rs: a.0,
            a_cs: a.1,
            b_rs: b.0,
            b_cs: b.1,
            c_rs: n as isize,
            c_cs: 1,
            pack_b: false,
            acc: false,
        }
    }

    /// `exact` takes the blocks the instruction computes exactly, and no
    /// other: not one with a subnormal input (anywhere in the block, in
    /// either direction of its strides), nor one whose products can fall
    /// below 2⁻¹¹¹.
    #[test]
    #[cfg(not(miri))]
    fn exact_blocks() {
        if !(std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512f"))
        {
            return;
        }
        let (m, k, n) = (7usize, 70usize, 9usize);
        let g = |a_rs, a_cs, b_rs, b_cs| geom((m, k, n), (a_rs, a_cs), (b_rs, b_cs));
        let bits = |v: f32| (v.to_bits() >> 16) as u16;
        // A stored with every other element (a_cs = 2), B transposed.
        let layouts = [
            g(k as isize, 1, n as isize, 1),
            g(2 * k as isize, 2, 1, k as isize),
        ];
        for (li, gg) in layouts.iter().enumerate() {
            let a_len = m * k * 2;
            let b_len = k * n;
            let run = |a: &[u16], b: &[u16]| {
                // SAFETY: the buffers hold every element the geometry
                // names; the CPU has avx512f and avx512bw (checked).
                unsafe { exact(gg, a.as_ptr(), b.as_ptr()) }
            };
            let a = vec![bits(1.5); a_len];
            let b = vec![bits(-0.25); b_len];
            assert!(run(&a, &b), "layout {li}: normal values");
            // Zeros do not count; an all-zero A is exact too.
            let mut z = a.clone();
            z[3] = 0;
            z[4] = 0x8000;
            assert!(run(&z, &b));
            assert!(run(&vec![0; a_len], &b));
            // One subnormal, at the end of A's last row (an element the
            // geometry names), or in B.
            let last = (m - 1) * gg.a_rs as usize + (k - 1) * gg.a_cs as usize;
            let mut s = a.clone();
            s[last] = 0x0001;
            assert!(!run(&s, &b), "layout {li}: subnormal in A");
            let mut sb = b.clone();
            sb[b_len - 1] = 0x8003;
            assert!(!run(&a, &sb), "layout {li}: subnormal in B");
            // Products of 2⁻⁶⁰·2⁻⁶⁰ = 2⁻¹²⁰ < 2⁻¹¹¹; 2⁻⁵⁵·2⁻⁵⁶ = 2⁻¹¹¹ is fine.
            let mut t = a.clone();
            t[last] = bits(2f32.powi(-60));
            let mut tb = b.clone();
            tb[0] = bits(2f32.powi(-60));
            assert!(!run(&t, &tb));
            t[last] = bits(2f32.powi(-55));
            tb[0] = bits(2f32.powi(-56));
            assert!(run(&t, &tb));
            // An element not in the block (A's odd elements) is ignored.
            if li == 1 {
                let mut o = a.clone();
                o[1] = 0x0001;
                assert!(run(&o, &b));
            }
        }
    }

    /// `split_admits` takes float16 blocks of K > 128 without Inf or NaN,
    /// and no other: an Inf or a NaN at the end of A's last row (either
    /// direction of its strides, every other element) or in B, or K = 128,
    /// is refused; an element outside the block is ignored.
    #[test]
    #[cfg(not(miri))]
    fn split_blocks() {
        if !(std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512f"))
        {
            return;
        }
        let (m, n) = (7usize, 9usize);
        for k in [128usize, 129, 150] {
            let g = |a_rs, a_cs, b_rs, b_cs| geom((m, k, n), (a_rs, a_cs), (b_rs, b_cs));
            let layouts = [
                g(k as isize, 1, n as isize, 1),
                g(2 * k as isize, 2, 1, k as isize),
                g(1, 2 * m as isize, 1, k as isize),
            ];
            for (li, gg) in layouts.iter().enumerate() {
                let a_len = m * k * 2;
                let b_len = k * n;
                let run = |a: &[u16], b: &[u16]| {
                    // SAFETY: the buffers hold every element the geometry
                    // names; the CPU has avx512f and avx512bw (checked).
                    unsafe { split_admits(gg, a.as_ptr(), b.as_ptr()) }
                };
                // 65504 (the largest finite), -1.5, subnormals and zeros.
                let mut a = vec![0x7bffu16; a_len];
                a[2] = 0xbe00;
                a[5] = 0x0001;
                a[6] = 0x8000;
                let b = vec![0xbe00u16; b_len];
                assert_eq!(run(&a, &b), k > 128, "layout {li}, K = {k}");
                if k <= 128 {
                    continue;
                }
                let last = (m - 1) * gg.a_rs as usize + (k - 1) * gg.a_cs as usize;
                for bad in [0x7c00u16, 0xfc00, 0x7e00, 0xfd01] {
                    let mut s = a.clone();
                    s[last] = bad;
                    assert!(!run(&s, &b), "layout {li}: {bad:#x} in A");
                    let mut sb = b.clone();
                    sb[b_len - 1] = bad;
                    assert!(!run(&a, &sb), "layout {li}: {bad:#x} in B");
                }
                // An element not in the block (A's odd elements) is ignored.
                if li == 1 {
                    let mut o = a.clone();
                    o[1] = 0x7c00;
                    assert!(run(&o, &b));
                }
            }
        }
    }
}
