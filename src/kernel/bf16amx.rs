//! bfloat16 GEMM on AMX tiles (`tdpbf16ps`), the `amx` level: `bf16dp.rs`'s
//! blocking and packing (B as pairs of contraction steps in panels of 64
//! columns, A's rows copied with K contiguous), the pairs padded with zeros
//! to whole tiles (16 pairs), blocks of 256 steps of K (`AKC`), and
//! `amx.rs`'s 32 × 32 microkernel.
//!
//! Numerics (the instruction's): per pair of steps, its two products are
//! added to the f32 sum, each addition rounded to nearest even; the tile
//! instruction, like `vdpbf16ps`, reads subnormal inputs as zero and
//! flushes subnormal results, so the level runs here only the blocks that
//! `bf16dp::exact` admits, and every other block takes the f32 path. The
//! sums of a K block are added to C's f32 sums block by block, as in
//! `bf16dp.rs`; they are a function of K and the block's values alone, not
//! of the threads, the tile or the slab an element falls in. The tiles are
//! configured and released per call of `gemm` (a block's rows).

use super::amx::{micro, Op};
use super::bf16dp::{pack_a, pack_b};
use super::gemm::Geom;
use super::half::{Half, Wide};
use super::scale::Scaled;
use super::tuning::{KC, NC, WIDE_RA, WIDE_RO};

use core::arch::x86_64::*;

/// Columns of a packed panel of B (`bf16dp.rs`'s).
const NR: usize = 64;

/// 32 × 32 f32 (a block of C from `micro`), 64-byte aligned.
#[repr(C, align(64))]
struct Tile([f32; 32 * 32]);

/// Steps of K per block: twice the f32 path's `KC`, since the u16 pairs
/// and rows take half of the f32 regions sized for `KC` (`wide::gemm_parts`).
/// Fewer blocks: each block's sums are stored from the tiles and added to
/// C's (c, K = 512: blocks of 128 steps took 1.2 times the time of 256).
const AKC: usize = 2 * KC;

/// 32 rows of up to `AKC` bfloat16 steps (A's last rows, zero-padded).
#[repr(C, align(64))]
struct Rows([u16; 32 * AKC]);

/// Rows `r0..r1` of a bfloat16 product on AMX tiles: `bf16dp::gemm`'s
/// contract, and the same blocking (f32 sums in `buf`, stored once
/// through `store_out`).
///
/// # Safety
/// As `bf16dp::gemm`; the CPU and the process have AMX (`Isa::Amx`).
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512bf16,avx2,fma,f16c")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm(
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
    let (b_len, a_len, _) = super::wide::gemm_parts(g.n, r1 - r0, NR);
    // The B pairs and the A rows take u16 in the f32 regions (half of each).
    let bb = buf.cast::<u16>();
    let ab = buf.wrapping_add(b_len).cast::<u16>();
    let cb = buf.wrapping_add(b_len + a_len);
    let ldc = g.n.min(NC);
    let size = super::half::out_size(w);
    let mut t = core::mem::MaybeUninit::<Tile>::uninit();
    let tp = t.as_mut_ptr().cast::<f32>();
    let mut tail = core::mem::MaybeUninit::<Rows>::uninit();
    let tl = tail.as_mut_ptr().cast::<u16>();
    // SAFETY: the contract: this level's CPUs and process have AMX.
    unsafe { super::amx::enter() };
    let mut ro = r0;
    while ro < r1 {
        let rows_o = WIDE_RO.min(r1 - ro);
        let mut jc = 0;
        while jc < g.n {
            let nc = NC.min(g.n - jc);
            let mut pc = 0;
            while pc < g.k {
                let kc = AKC.min(g.k - pc);
                // Pairs, padded to whole tiles of 16; A's rows hold them.
                let kp = kc.div_ceil(2).next_multiple_of(16);
                let lda = 2 * kp;
                // SAFETY: B[pc..pc+kc, jc..jc+nc] lies in y; each panel is
                // kp·2NR <= KC·NR u16 (kp <= AKC/2 = KC), so the panels end
                // within b_len = KC·nc f32; rows ro..ro+rows_o of A by
                // slabs of lda·WIDE_RA <= KC·WIDE_RA u16 <= a_len; C's
                // sums in cb, rows_o × ldc.
                unsafe {
                    let src = y.wrapping_offset(pc as isize * g.b_rs + jc as isize * g.b_cs);
                    let mut j = 0;
                    while j < nc {
                        let c = NR.min(nc - j);
                        let s = src.wrapping_offset(j as isize * g.b_cs);
                        let dst = bb.add((j / NR) * kp * 2 * NR);
                        pack_b(s, kc, c, g.b_rs, g.b_cs, dst);
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
                        let mut i = 0;
                        while i < rows_a {
                            let rows = (rows_a - i).min(32);
                            let two = rows > 16;
                            let need = if two { 32 } else { 16 };
                            let mut ai = ab.add(i * lda).cast_const();
                            if rows < need {
                                // The last rows: a tile would read past
                                // the slab. Copied, zero rows after.
                                core::ptr::copy_nonoverlapping(ai, tl, rows * lda);
                                core::ptr::write_bytes(tl.add(rows * lda), 0, (need - rows) * lda);
                                ai = tl;
                            }
                            let mut j0 = 0;
                            while j0 < nc {
                                let cols = (nc - j0).min(32);
                                let bp = bb.add((j0 / NR) * kp * 2 * NR + 2 * (j0 % NR));
                                let (a8, b8) = (ai.cast::<u8>(), bp.cast::<u8>());
                                let steps = kp / 16;
                                if two {
                                    micro::<true>(Op::Bf16, steps, a8, 2 * lda, b8, tp.cast(), 128);
                                } else {
                                    micro::<false>(
                                        Op::Bf16,
                                        steps,
                                        a8,
                                        2 * lda,
                                        b8,
                                        tp.cast(),
                                        128,
                                    );
                                }
                                let ci = cb.add((ra + i) * ldc + j0);
                                add_block(tp, ci, ldc, rows, cols, pc > 0);
                                j0 += cols;
                            }
                            i += rows;
                        }
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
    // SAFETY: as `enter`.
    unsafe { super::amx::leave() };
}

/// `C[0..rows, 0..cols] = t` (or `+= t` with `acc`): a block of `micro`'s
/// (rows 32 f32 apart) into C's f32 sums (rows `ldc` apart).
///
/// # Safety
/// `t`'s rows `0..rows`, columns `0..cols` (≤ 32) are initialized; C's are
/// writable; avx512f.
#[inline(always)]
unsafe fn add_block(t: *const f32, c: *mut f32, ldc: usize, rows: usize, cols: usize, acc: bool) {
    // SAFETY: the caller's; masked lanes are neither read nor written.
    unsafe {
        for r in 0..rows {
            let (tr, cr) = (t.add(32 * r), c.add(r * ldc));
            for h in 0..2 {
                let lo = 16 * h;
                if lo >= cols {
                    break;
                }
                let n = (cols - lo).min(16);
                let m = ((1u32 << n) - 1) as __mmask16;
                let v = _mm512_maskz_loadu_ps(m, tr.add(lo));
                let v = if acc {
                    _mm512_add_ps(_mm512_maskz_loadu_ps(m, cr.add(lo)), v)
                } else {
                    v
                };
                _mm512_mask_storeu_ps(cr.add(lo), m, v);
            }
        }
    }
}
