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

/// The smallest magnitude bits (`b & 0x7fff`, in the order of the values)
/// of the nonzero elements of `S[0..rows, 0..cols]` (u16 bfloat16 bits,
/// strides `rs`, `cs`), minus one: 0xffff when none is nonzero; below 0x7f
/// when one is subnormal. 32 elements per instruction where the inner
/// direction is contiguous or every other element.
///
/// # Safety
/// Those elements are readable; the CPU has avx512f and avx512bw.
#[inline(always)]
unsafe fn min_mag(src: *const u16, rows: usize, cols: usize, rs: isize, cs: isize) -> u16 {
    // The inner direction is the contiguous one when there is one (the
    // minimum of a set does not depend on the order).
    let (rows, cols, rs, cs) = if cs != 1 && rs == 1 {
        (cols, rows, cs, rs)
    } else {
        (rows, cols, rs, cs)
    };
    // (b & 0x7fff) - 1, wrapping: a zero becomes 0xffff, the largest.
    let one = |b: u16| (b & 0x7fff).wrapping_sub(1);
    let mut m = u16::MAX;
    // SAFETY: every access is to an element (r, c) of the contract; the
    // every-other-element loads read 64 elements from 2c while c + 32 <
    // cols, so inside the row.
    unsafe {
        let mag = _mm512_set1_epi16(0x7fff);
        let ones = _mm512_set1_epi16(1);
        let even = _mm512_set1_epi32(0xffff);
        let mut vm = _mm512_set1_epi16(-1);
        for r in 0..rows {
            let p = src.wrapping_offset(r as isize * rs);
            let mut c = 0;
            if cs == 1 {
                while c + 32 <= cols {
                    let v = _mm512_and_si512(_mm512_loadu_si512(p.add(c).cast()), mag);
                    vm = _mm512_min_epu16(vm, _mm512_sub_epi16(v, ones));
                    c += 32;
                }
            } else if cs == 2 {
                while c + 32 < cols {
                    for h in 0..2 {
                        let q = p.add(2 * c + 32 * h);
                        // The odd elements (not ours) become zeros: 0xffff.
                        let v = _mm512_and_si512(_mm512_loadu_si512(q.cast()), even);
                        let v = _mm512_and_si512(v, mag);
                        vm = _mm512_min_epu16(vm, _mm512_sub_epi16(v, ones));
                    }
                    c += 32;
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
        let ma = min_mag(x, g.m, g.k, g.a_rs, g.a_cs).wrapping_add(1);
        if ma == 0 {
            return true; // A is all zeros: every product is ±0 or NaN.
        }
        let mb = min_mag(y, g.k, g.n, g.b_rs, g.b_cs).wrapping_add(1);
        if mb == 0 {
            return true;
        }
        let (ea, eb) = ((ma >> 7) as u32, (mb >> 7) as u32);
        ea != 0 && eb != 0 && ea + eb >= 143
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
    /// Rows `0..rows` of the packed A (`a`, rows `lda` u16 apart, `kp`
    /// pairs) times the packed panels of B (`b`, `kp` pairs of 2NR u16 per
    /// panel) for columns `0..nc`, into C's f32 sums (`c`, rows `ldc`
    /// apart): stored, or added with `acc`.
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

/// Rows `r0..r1` of a bfloat16 product on pairs of steps (`K`'s kernel),
/// blocked as `wide::gemm` is (blocks of `K::KC` steps), the sums kept in
/// f32 in `buf` (`wide::scratch_len` elements) and stored once through
/// `store_out`. The B pairs and the A rows take u16 in the f32 regions of
/// `wide::gemm_parts` (sized for 128 steps), so `K::KC` may be up to 256.
///
/// `gemm::<Vdp>` runs on `vdpbf16ps`, `gemm::<bf16amx::Tiles>` on AMX.
///
/// # Safety
/// As `wide::run_items` for these rows; `w.half` is bfloat16; the CPU has
/// `K`'s features and avx512f, avx512dq, avx512bf16, avx2, fma and f16c.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512bf16,avx2,fma,f16c")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm<K: PairKernel>(
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
    debug_assert_eq!(w.half, Half::Bf16);
    debug_assert!(K::KC <= 2 * KC);
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
                let kc = K::KC.min(g.k - pc);
                let kp = kc.div_ceil(2).next_multiple_of(K::PAIRS);
                let lda = 2 * kp;
                // SAFETY: B[pc..pc+kc, jc..jc+nc] lies in y; each panel is
                // kp·2NR <= K::KC·NR u16, the panels end within b_len f32
                // (KC·nc); then rows ro..ro+rows_o of A by slabs of
                // lda·WIDE_RA <= K::KC·WIDE_RA u16 <= a_len; C's sums in
                // cb, rows_o × ldc.
                unsafe {
                    let src = y.wrapping_offset(pc as isize * g.b_rs + jc as isize * g.b_cs);
                    let mut j = 0;
                    while j < nc {
                        let c = NR.min(nc - j);
                        let s = src.wrapping_offset(j as isize * g.b_cs);
                        let dst = bb.add((j / NR) * kp * 2 * NR);
                        pack_b(s, kc, c, g.b_rs, g.b_cs, dst);
                        // Pairs past the packed ones: zeros.
                        let done = kc.div_ceil(2);
                        core::ptr::write_bytes(dst.add(done * 2 * NR), 0, (kp - done) * 2 * NR);
                        j += c;
                    }
                    let mut ra = 0;
                    while ra < rows_o {
                        let rows_a = WIDE_RA.min(rows_o - ra);
                        let a =
                            x.wrapping_offset((ro + ra) as isize * g.a_rs + pc as isize * g.a_cs);
                        pack_a(a, rows_a, kc, g.a_rs, g.a_cs, ab, lda);
                        K::rows(kp, ab, lda, rows_a, bb, nc, cb.add(ra * ldc), ldc, pc > 0);
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
        let g = |a_rs, a_cs, b_rs, b_cs| Geom {
            m,
            n,
            k,
            a_rs,
            a_cs,
            b_rs,
            b_cs,
            c_rs: n as isize,
            c_cs: 1,
            pack_b: false,
            acc: false,
        };
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
}
