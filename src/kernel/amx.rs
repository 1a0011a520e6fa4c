//! AMX tiles (level `amx`): the tile configuration and the 32 × 32
//! microkernel that the int8 GEMM (`int8_amx.rs`) and the bfloat16 GEMM
//! (`bf16amx.rs`) share.
//!
//! A tile is 16 rows of 64 bytes; eight of them are configured (palette 1,
//! all 16 × 64). The microkernel keeps a 32 × 32 block of C in tiles 0–3
//! (two tiles of A in 4–5, two of B in 6–7): per step of K, A's 32 rows of
//! 64 bytes times B's 16 rows of 64 bytes (a row: 16 columns × 4 bytes, a
//! group of 4 int8 steps or a pair of bfloat16 steps), 4 tile products.
//! The tiles are configured before a thread's first GEMM block of a call
//! (`enter`: `ldtilecfg`, about 45 ns) and released after its share
//! (`leave`: `tilerelease`, which lets the core drop the tile state). AMX instructions are written as inline
//! assembly (the AMX intrinsics are not in stable Rust): the tile
//! registers are named in it and never touched by compiled code.

use core::arch::asm;

/// Tile configuration: palette 1, tiles 0–7 of 16 rows × 64 bytes.
#[repr(C, align(64))]
struct TileCfg([u8; 64]);

static CFG: TileCfg = {
    let mut b = [0u8; 64];
    b[0] = 1;
    let mut t = 0;
    while t < 8 {
        b[16 + 2 * t] = 64;
        b[48 + t] = 16;
        t += 1;
    }
    TileCfg(b)
};

/// Loads the tile configuration.
///
/// # Safety
/// The CPU has AMX-TILE and the process may use the tile data
/// (`isa::Isa::Amx`).
#[inline(always)]
pub(crate) unsafe fn enter() {
    // SAFETY: the caller's; CFG is 64 readable bytes.
    unsafe {
        asm!("ldtilecfg [{}]", in(reg) CFG.0.as_ptr(), options(nostack, readonly, preserves_flags))
    }
}

/// Releases the tiles (back to their initial state).
///
/// # Safety
/// As `enter`.
#[inline(always)]
pub(crate) unsafe fn leave() {
    // SAFETY: the caller's.
    unsafe { asm!("tilerelease", options(nostack, nomem, preserves_flags)) }
}

/// The tile product: int8 with (A unsigned, B unsigned) as named, or
/// bfloat16 pairs into f32.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Us,
    Ss,
    Su,
    Uu,
    Bf16,
}

/// A 32 (or 16, without `TWO`) × 32 block of C: Σ over `steps` tiles of
/// K of A's rows (`a`, `lda` bytes apart, 64 bytes per step) times the
/// panel's columns at `b` (`[group][64 columns][4 bytes]`: 256 bytes per
/// group of 4 int8 steps or pair of bfloat16 steps, 16 groups per step),
/// stored to `out` (32, or 16, rows of 32 i32 or f32, `ldo` bytes apart).
///
/// # Safety
/// A's 16 (`TWO`: 32) rows of `64·steps` bytes, the panel's
/// `16·steps` groups from `b` (128 bytes each) are readable, `out`'s rows
/// writable; `enter` ran on this thread.
#[inline(always)]
pub(crate) unsafe fn micro<const TWO: bool>(
    op: Op,
    steps: usize,
    a: *const u8,
    lda: usize,
    b: *const u8,
    out: *mut i32,
    ldo: isize,
) {
    // SAFETY: the caller's; each tile load reads 16 rows of 64 bytes at
    // its stride, inside the rows named above.
    unsafe {
        asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            options(nostack, nomem, preserves_flags)
        );
        let a2 = a.wrapping_add(16 * lda);
        macro_rules! run {
            ($op:literal) => {
                for s in 0..steps {
                    let (ap, bp) = (a.add(64 * s), b.add(16 * 256 * s));
                    if TWO {
                        asm!(
                            "tileloadd tmm4, [{a} + {lda}*1]",
                            "tileloadd tmm6, [{b} + {ldb}*1]",
                            "tileloadd tmm7, [{b} + {ldb}*1 + 64]",
                            "tileloadd tmm5, [{a2} + {lda}*1]",
                            concat!($op, " tmm0, tmm4, tmm6"),
                            concat!($op, " tmm1, tmm4, tmm7"),
                            concat!($op, " tmm2, tmm5, tmm6"),
                            concat!($op, " tmm3, tmm5, tmm7"),
                            a = in(reg) ap,
                            a2 = in(reg) a2.add(64 * s),
                            b = in(reg) bp,
                            lda = in(reg) lda,
                            ldb = in(reg) 256usize,
                            options(nostack, readonly, preserves_flags)
                        );
                    } else {
                        asm!(
                            "tileloadd tmm4, [{a} + {lda}*1]",
                            "tileloadd tmm6, [{b} + {ldb}*1]",
                            "tileloadd tmm7, [{b} + {ldb}*1 + 64]",
                            concat!($op, " tmm0, tmm4, tmm6"),
                            concat!($op, " tmm1, tmm4, tmm7"),
                            a = in(reg) ap,
                            b = in(reg) bp,
                            lda = in(reg) lda,
                            ldb = in(reg) 256usize,
                            options(nostack, readonly, preserves_flags)
                        );
                    }
                }
            };
        }
        match op {
            Op::Us => run!("tdpbusd"),
            Op::Ss => run!("tdpbssd"),
            Op::Su => run!("tdpbsud"),
            Op::Uu => run!("tdpbuud"),
            Op::Bf16 => run!("tdpbf16ps"),
        }
        asm!(
            "tilestored [{o} + {ld}*1], tmm0",
            "tilestored [{o} + {ld}*1 + 64], tmm1",
            o = in(reg) out,
            ld = in(reg) ldo,
            options(nostack, preserves_flags)
        );
        if TWO {
            asm!(
                "tilestored [{o} + {ld}*1], tmm2",
                "tilestored [{o} + {ld}*1 + 64], tmm3",
                o = in(reg) out.wrapping_byte_offset(16 * ldo),
                ld = in(reg) ldo,
                options(nostack, preserves_flags)
            );
        }
    }
}
