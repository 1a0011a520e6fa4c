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
//! configured and released per call of `bf16dp::gemm` (a block's rows).

use super::amx::{micro, Op};
use super::bf16dp::PairKernel;
use super::tuning::KC;

use core::arch::x86_64::*;

/// Steps of K per block: twice the f32 path's `KC`, since the u16 pairs
/// and rows take half of the f32 regions sized for `KC` (`wide::gemm_parts`).
/// Fewer blocks: each block's sums are stored from the tiles and added to
/// C's (c, K = 512: blocks of 128 steps took 1.2 times the time of 256).
const AKC: usize = 2 * KC;

/// 32 × 32 f32 (a block of C from `micro`), 64-byte aligned.
#[repr(C, align(64))]
struct Tile([f32; 32 * 32]);

/// 32 rows of up to `AKC` bfloat16 steps (A's last rows, zero-padded).
#[repr(C, align(64))]
struct Rows([u16; 32 * AKC]);

/// The tiles (`bf16dp::gemm::<Tiles>`): 32 × 32 blocks of C (16 × 32 for a last tile of 16 rows or
/// fewer), pairs padded to whole tiles of 16.
pub(crate) struct Tiles;

impl PairKernel for Tiles {
    const KC: usize = AKC;
    const PAIRS: usize = 16;
    #[inline(always)]
    unsafe fn rows(
        kp: usize,
        a: *const u16,
        lda: usize,
        rows_a: usize,
        b: *const u16,
        nc: usize,
        c: *mut f32,
        ldc: usize,
        acc: bool,
    ) {
        /// Columns of a packed panel of B (`bf16dp.rs`'s).
        const NR: usize = 64;
        let mut t = core::mem::MaybeUninit::<Tile>::uninit();
        let tp = t.as_mut_ptr().cast::<f32>();
        let mut tail = core::mem::MaybeUninit::<Rows>::uninit();
        let tl = tail.as_mut_ptr().cast::<u16>();
        // SAFETY: the trait's contract; the tail holds 32 rows of
        // lda <= AKC u16.
        unsafe {
            let mut i = 0;
            while i < rows_a {
                let rows = (rows_a - i).min(32);
                let two = rows > 16;
                let need = if two { 32 } else { 16 };
                let mut ai = a.add(i * lda);
                if rows < need {
                    // The last rows: a tile would read past them (past
                    // the slab, or past x read in place). Copied, zero
                    // rows after.
                    core::ptr::copy_nonoverlapping(ai, tl, rows * lda);
                    core::ptr::write_bytes(tl.add(rows * lda), 0, (need - rows) * lda);
                    ai = tl;
                }
                let mut j0 = 0;
                while j0 < nc {
                    let cols = (nc - j0).min(32);
                    let bp = b.add((j0 / NR) * kp * 2 * NR + 2 * (j0 % NR));
                    let (a8, b8) = (ai.cast::<u8>(), bp.cast::<u8>());
                    let steps = kp / 16;
                    if two {
                        micro::<true>(Op::Bf16, steps, a8, 2 * lda, b8, tp.cast(), 128);
                    } else {
                        micro::<false>(Op::Bf16, steps, a8, 2 * lda, b8, tp.cast(), 128);
                    }
                    add_block(tp, c.add(i * ldc + j0), ldc, rows, cols, acc);
                    j0 += cols;
                }
                i += rows;
            }
        }
    }
    #[inline(always)]
    unsafe fn begin() {
        // SAFETY: the contract: this level's CPUs and process have AMX.
        unsafe { super::amx::enter() }
    }
    #[inline(always)]
    unsafe fn end() {
        // SAFETY: as `begin`.
        unsafe { super::amx::leave() }
    }
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
