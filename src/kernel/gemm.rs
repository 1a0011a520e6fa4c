//! Microkernels: the register-blocked matrix product, an `R × NV·LANES`
//! microkernel that broadcasts A from memory (any strides) and loads rows
//! of B as vectors (from memory when B's rows are contiguous, else from a
//! packed panel, `pack.rs`), and the cache-blocked loops around it.
//!
//! Numerics: every output element is, for each block of `KC` contraction
//! steps in ascending order, an FMA chain from +0.0 over that block; the
//! blocks' partial sums are added to the output in ascending order. That is
//! a function of K and the level only: not of the tile an element falls in,
//! the rows or blocks a thread gets, or whether B was packed.

use super::pack::pack_b;
use super::scale::Epi;
use super::simd::{prefetch_l2, prefetch_lines, Simd};
use super::tuning::{
    KC, LINE_BYTES, NC, PF_FIRST_LINE_VECTOR_BYTES, PF_GAPPED_ROW_BYTES, PF_ROW_BYTES,
};
use super::Element;

/// Geometry of one strided product `C[m × n] = A[m × k] · B[k × n]`
/// (element strides; `A[i, t] = a[i·a_rs + t·a_cs]`, and so on).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a_rs: isize,
    pub a_cs: isize,
    pub b_rs: isize,
    pub b_cs: isize,
    pub c_rs: isize,
    pub c_cs: isize,
    /// Whether B goes through packed panels (its rows are not contiguous,
    /// or many row tiles reuse them).
    pub pack_b: bool,
    /// Whether C already holds the sums of earlier blocks of K, so that
    /// the first block adds to it too (`wide.rs` runs a product's blocks
    /// of K one call at a time).
    pub acc: bool,
}

/// Tallest row tile of any level (scratch for one packed tile of A).
const MR_MAX: usize = 8;

/// Elements of the largest packed block of B for a product with `n`
/// columns (the B part of the scratch buffer; the A tile follows it).
fn b_block_len(n: usize) -> usize {
    KC * n.next_multiple_of(64).min(NC)
}

/// Scratch elements `block` needs when B is packed, for a product with `n`
/// columns: one packed block of B, then one packed tile of A.
pub(crate) fn scratch_len(n: usize) -> usize {
    b_block_len(n) + KC * MR_MAX
}

/// `C[0..R, 0..nr] (+)= A[0..R, 0..kc] · B[0..kc, 0..nr]`, where
/// `nr = (NV-1)·LANES + popcount(mask)`; the first `NV-1` vectors of each B
/// row are full, the last is masked. With `FULL`, every vector is full
/// (`nr = NV·LANES`) and C's rows are contiguous (`c_cs = 1`): the loop
/// loads B without a mask, which is faster on AVX-512 (see
/// docs/PERFORMANCE.md), and the epilogue for strided C is left out (kept
/// in, it made LLVM hold the f64 accumulators in memory).
///
/// # Safety
/// Every element named above lies inside its buffer (A and B readable, C
/// writable), C overlaps neither A nor B, the CPU supports `S`, and with
/// `FULL`, `nr = NV·LANES` and `c_cs = 1`.
#[inline(always)]
// (Two scaled epilogues are the same code on purpose: one per value of
// `e.reads_out()`, which each then inlines as a constant.)
#[allow(
    clippy::too_many_arguments,
    clippy::needless_range_loop,
    clippy::if_same_then_else
)]
pub(crate) unsafe fn micro<
    S: Simd,
    E: Epi<S::T>,
    const R: usize,
    const NV: usize,
    const FULL: bool,
>(
    kc: usize,
    a: *const S::T,
    a_rs: isize,
    a_cs: isize,
    b: *const S::T,
    b_rs: isize,
    mask: S::M,
    c: *mut S::T,
    c_rs: isize,
    c_cs: isize,
    nr: usize,
    accumulate: bool,
    e: E,
) {
    debug_assert!(!FULL || (nr == NV * S::LANES && c_cs == 1));
    // SAFETY: every access below is to an element of the tile described in
    // this function's contract: rows i < R, steps t < kc, columns j < nr
    // (the last vector masked to its valid lanes, or full with FULL).
    unsafe {
        // A scaled epilogue that reads out (beta != 0, first block of K)
        // fetches the tile of C while the K loop runs, so that its loads do
        // not wait on memory after it (hints only: never fault).
        if !E::PLAIN && !accumulate && e.reads_out() && c_cs == 1 {
            for i in 0..R {
                prefetch_lines(c.wrapping_offset(i as isize * c_rs), nr);
            }
        }
        let mut acc = [[S::zero(); NV]; R];
        // Rows are addressed in groups of four from one pointer per group
        // (p + {0, 1, 2, 3}·a_rs: base + index·scale addressing), so a step
        // costs one pointer increment per group, whatever the strides.
        // (The multiples are made opaque so that the optimizer keeps this
        // form instead of chaining the rows' addresses with adds.)
        const G: usize = 4;
        let rs1 = core::hint::black_box(a_rs);
        let rs2 = core::hint::black_box(a_rs.wrapping_mul(2));
        let rs3 = core::hint::black_box(a_rs.wrapping_mul(3));
        let mut ag = [a; 4];
        for (q, p) in ag.iter_mut().enumerate() {
            *p = a.wrapping_offset((q * G) as isize * a_rs);
        }
        let mut bp = b;
        for _ in 0..kc {
            let mut bv = [S::zero(); NV];
            for (v, slot) in bv.iter_mut().enumerate() {
                let p = bp.wrapping_add(v * S::LANES);
                *slot = if v + 1 < NV || FULL {
                    S::load(p)
                } else {
                    S::load_m(p, mask)
                };
            }
            for i in 0..R {
                let p = ag[i / G];
                let ai = match i % G {
                    0 => p,
                    1 => p.wrapping_offset(rs1),
                    2 => p.wrapping_offset(rs2),
                    _ => p.wrapping_offset(rs3),
                };
                let av = S::bcast(ai);
                for v in 0..NV {
                    acc[i][v] = S::fma(av, bv[v], acc[i][v]);
                }
            }
            for p in ag.iter_mut().take(R.div_ceil(G)) {
                *p = p.wrapping_offset(a_cs);
            }
            bp = bp.wrapping_offset(b_rs);
        }
        if !E::PLAIN {
            // The scaled epilogues: their own code after the loop (so the
            // plain ones below are unchanged), each straight-line as those
            // are (a branch inside them made LLVM keep the accumulators in
            // memory through the K loop).
            // The first two arms do the same work on purpose: `put_v`
            // branches on `reads_out()`, and testing it here lets each arm
            // inline a branch-free store (unswitched by hand).
            if c_cs == 1 && !accumulate && !e.reads_out() {
                // Rows written out one by one (a loop over them was left
                // rolled under a long epilogue, bfloat16's rounding: the
                // accumulators then lived on the stack). The second arm
                // (a scale that reads out: f32 sums only) keeps its loop,
                // which was not measured in this form.
                const { assert!(R <= MR_MAX) };
                macro_rules! each_row {
                    ($($i:literal)*) => {$(
                        if $i < R {
                            let cp = c.wrapping_offset($i * c_rs);
                            for v in 0..NV - 1 {
                                e.put_v::<S>(cp.wrapping_add(v * S::LANES), acc[$i][v]);
                            }
                            e.put_vm::<S>(
                                cp.wrapping_add((NV - 1) * S::LANES),
                                acc[$i][NV - 1],
                                mask,
                            );
                        }
                    )*};
                }
                each_row!(0 1 2 3 4 5 6 7);
            } else if c_cs == 1 && !accumulate {
                for i in 0..R {
                    let cp = c.wrapping_offset(i as isize * c_rs);
                    for v in 0..NV - 1 {
                        e.put_v::<S>(cp.wrapping_add(v * S::LANES), acc[i][v]);
                    }
                    e.put_vm::<S>(cp.wrapping_add((NV - 1) * S::LANES), acc[i][NV - 1], mask);
                }
            } else if c_cs == 1 {
                for i in 0..R {
                    let cp = c.wrapping_offset(i as isize * c_rs);
                    for v in 0..NV - 1 {
                        e.add_v::<S>(cp.wrapping_add(v * S::LANES), acc[i][v]);
                    }
                    e.add_vm::<S>(cp.wrapping_add((NV - 1) * S::LANES), acc[i][NV - 1], mask);
                }
            } else if !FULL {
                for (i, row) in acc.iter().enumerate() {
                    let cp = c.wrapping_offset(i as isize * c_rs);
                    let mut tmp = [<S::T as Element>::ZERO; 64];
                    for (v, &r) in row.iter().enumerate() {
                        S::store(tmp.as_mut_ptr().add(v * S::LANES), r);
                    }
                    for (j, &val) in tmp.iter().enumerate().take(nr) {
                        let p = cp.wrapping_offset(j as isize * c_cs);
                        if accumulate {
                            e.add(p, val);
                        } else {
                            e.put(p, val);
                        }
                    }
                }
            }
            return;
        }
        // Three straight-line epilogues (kept apart so that the
        // accumulators stay in registers).
        if c_cs == 1 && !accumulate {
            for i in 0..R {
                let cp = c.wrapping_offset(i as isize * c_rs);
                for v in 0..NV - 1 {
                    S::store(cp.wrapping_add(v * S::LANES), acc[i][v]);
                }
                S::store_m(cp.wrapping_add((NV - 1) * S::LANES), acc[i][NV - 1], mask);
            }
        } else if c_cs == 1 {
            for i in 0..R {
                let cp = c.wrapping_offset(i as isize * c_rs);
                for v in 0..NV - 1 {
                    let p = cp.wrapping_add(v * S::LANES);
                    S::store(p, S::add(S::load(p), acc[i][v]));
                }
                let p = cp.wrapping_add((NV - 1) * S::LANES);
                S::store_m(p, S::add(S::load_m(p, mask), acc[i][NV - 1]), mask);
            }
        } else if !FULL {
            for (i, row) in acc.iter().enumerate() {
                let cp = c.wrapping_offset(i as isize * c_rs);
                let mut tmp = [<S::T as Element>::ZERO; 64];
                for (v, &r) in row.iter().enumerate() {
                    S::store(tmp.as_mut_ptr().add(v * S::LANES), r);
                }
                for (j, &val) in tmp.iter().enumerate().take(nr) {
                    let p = cp.wrapping_offset(j as isize * c_cs);
                    *p = if accumulate { *p + val } else { val };
                }
            }
        }
    }
}

/// Calls `micro::<S, R, nv>` for `nv` in 1..=4 (must be <= what the caller
/// sized its tile for); A's strides are `ars`, `acs`, C's come from `g`.
///
/// # Safety
/// As `micro`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_nv<S: Simd, E: Epi<S::T>, const R: usize>(
    nv: usize,
    kc: usize,
    a: *const S::T,
    ars: isize,
    acs: isize,
    g: &Geom,
    b: *const S::T,
    b_rs: isize,
    mask: S::M,
    c: *mut S::T,
    nr: usize,
    accumulate: bool,
    e: E,
) {
    // SAFETY: forwarded contract.
    unsafe {
        match nv {
            1 => micro::<S, E, R, 1, false>(
                kc, a, ars, acs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate, e,
            ),
            2 => micro::<S, E, R, 2, false>(
                kc, a, ars, acs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate, e,
            ),
            3 => micro::<S, E, R, 3, false>(
                kc, a, ars, acs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate, e,
            ),
            _ => micro::<S, E, R, 4, false>(
                kc, a, ars, acs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate, e,
            ),
        }
    }
}

/// Where the column panels of one block of B are: panel `p` (columns
/// `p·nrmax..`) starts at `b + p·step`, with row stride `rs`.
#[derive(Clone, Copy)]
struct Panels<T> {
    b: *const T,
    step: isize,
    rs: isize,
}

/// One tile of `R` rows against every panel of a block of `nc` columns:
/// `C[0..R, 0..nc] (+)= A[0..R, 0..kc] · B[0..kc, 0..nc]`. With `F`, full
/// panels go through `micro`'s unmasked form when C's rows are contiguous
/// (only the full-height tile asks for it, to keep the code small). With
/// `abuf`, the tile of A is first copied there (`abuf[t·R + i] = A[i, t]`),
/// so that the panels after the first read it from L1 whatever A's strides.
///
/// # Safety
/// As `micro`, for each panel; `abuf`, when not null, holds `R·kc`
/// writable elements that overlap nothing else.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<S: Simd, E: Epi<S::T>, const R: usize, const NV: usize, const F: bool>(
    g: &Geom,
    kc: usize,
    a: *const S::T,
    abuf: *mut S::T,
    panels: Panels<S::T>,
    nc: usize,
    c: *mut S::T,
    accumulate: bool,
    e: E,
) {
    let nrmax = NV * S::LANES;
    let (ap, ars, acs) = if abuf.is_null() {
        (a, g.a_rs, g.a_cs)
    } else {
        // SAFETY: rows 0..R and steps 0..kc of A lie in x; abuf holds R·kc
        // elements (contract).
        unsafe { pack_b::<S>(a, kc, R, g.a_cs, g.a_rs, abuf, R) };
        (abuf as *const S::T, 1, R as isize)
    };
    // Whether full panels may take micro's unmasked form (its contract).
    let full_ok = F && g.c_cs == 1;
    let mut j = 0;
    let mut bp = panels.b;
    while j < nc {
        let nr = nrmax.min(nc - j);
        let nv = nr.div_ceil(S::LANES);
        // SAFETY: nr - (nv-1)·LANES is in 1..=LANES; the panel's columns
        // j..j+nr and the tile's rows lie in their buffers (contract).
        unsafe {
            let mask = S::mask(nr - (nv - 1) * S::LANES);
            let cj = c.wrapping_offset(j as isize * g.c_cs);
            if full_ok && nr == nrmax {
                micro::<S, E, R, NV, true>(
                    kc, ap, ars, acs, bp, panels.rs, mask, cj, g.c_rs, g.c_cs, nr, accumulate, e,
                );
            } else {
                micro_nv::<S, E, R>(
                    nv, kc, ap, ars, acs, g, bp, panels.rs, mask, cj, nr, accumulate, e,
                );
            }
        }
        j += nr;
        bp = bp.wrapping_offset(panels.step);
    }
}

/// Rows `r0..r1` of one product, with the cache blocking around `micro`
/// (the loop order of BLIS and OpenBLAS, with B as the vector operand):
/// for each block of `KC` contraction steps and `NC` columns, B is
/// packed once into contiguous `KC × NV·LANES` panels (L2), and each tile
/// of `MR` rows of A (L1) runs against every panel in turn. When A's rows
/// are not contiguous along K and several panels reuse a tile, the tile is
/// packed too. The arithmetic is that of `micro` either way.
///
/// # Safety
/// Every element of A, B (rows r0..r1 of A and C) lies inside its buffer,
/// C overlaps neither input, `buf` is a private scratch buffer of
/// `scratch_len(g.n)` elements when `g.pack_b` (it may be null
/// otherwise), and the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn block<S: Simd, E: Epi<S::T>, const MR: usize, const NV: usize>(
    g: &Geom,
    a: *const S::T,
    b: *const S::T,
    c: *mut S::T,
    r0: usize,
    r1: usize,
    buf: *mut S::T,
    e: E,
) {
    let nrmax = NV * S::LANES;
    debug_assert!(NC.is_multiple_of(nrmax) && 64 % nrmax == 0 && MR <= MR_MAX);
    // The packed tile of A goes after the largest block of B.
    let abuf_at = buf.wrapping_add(b_block_len(g.n));
    // The next A tile's prefetch (below): the first line of each row into
    // L2 with 512-bit vectors, every line into L1 otherwise.
    let pf_first_line = S::LANES * size_of::<S::T>() >= PF_FIRST_LINE_VECTOR_BYTES;
    let mut pc = 0;
    while pc < g.k {
        let kc = KC.min(g.k - pc);
        let accumulate = pc > 0 || g.acc;
        let apc = a.wrapping_offset(pc as isize * g.a_cs);
        let bpc = b.wrapping_offset(pc as isize * g.b_rs);
        let mut jc = 0;
        while jc < g.n {
            let nc = NC.min(g.n - jc);
            let src = bpc.wrapping_offset(jc as isize * g.b_cs);
            let panels = if g.pack_b {
                let mut j = 0;
                while j < nc {
                    let nr = nrmax.min(nc - j);
                    // SAFETY: B[pc..pc+kc, jc+j..jc+j+nr] lies in y; the
                    // panel ends at kc·(j + nrmax) <= KC·round_up(nc, 64),
                    // inside buf's B part (caller's contract).
                    unsafe {
                        pack_b::<S>(
                            src.wrapping_offset(j as isize * g.b_cs),
                            kc,
                            nr,
                            g.b_rs,
                            g.b_cs,
                            buf.add(j * kc),
                            nrmax,
                        )
                    };
                    j += nr;
                }
                Panels {
                    b: buf as *const S::T,
                    step: (kc * nrmax) as isize,
                    rs: nrmax as isize,
                }
            } else {
                Panels {
                    b: src,
                    step: nrmax as isize * g.b_cs,
                    rs: g.b_rs,
                }
            };
            // Pack tiles of A only when it pays: A's rows are strided along
            // K, and more than one panel reads each tile.
            let abuf = if g.pack_b && g.a_cs != 1 && nc > nrmax {
                abuf_at
            } else {
                core::ptr::null_mut()
            };
            let cj = c.wrapping_offset(jc as isize * g.c_cs);
            // Long rows of A read in place are prefetched one tile ahead:
            // the microkernel moves along each row a few bytes per step, too
            // slowly for the hardware prefetchers to run ahead of it when A
            // comes from L3. With 512-bit vectors, the first line of each
            // row into L2 starts the L2 streamer on it; the AVX2 kernel does
            // best with every line into L1. Shorter rows whose memory is not
            // one run (gaps between rows, as g1; elements a few apart, as
            // g3) get the first-line prefetch too. (Figures: see
            // docs/PERFORMANCE.md.)
            let a_step = g.a_cs.unsigned_abs();
            let span = kc * a_step * size_of::<S::T>();
            let pf_a = abuf.is_null()
                && if a_step == 1 {
                    span >= PF_ROW_BYTES
                        || (pf_first_line
                            && g.a_rs.unsigned_abs() != kc
                            && span >= PF_GAPPED_ROW_BYTES)
                } else {
                    pf_first_line
                        && a_step * size_of::<S::T>() < LINE_BYTES
                        && span >= PF_GAPPED_ROW_BYTES
                };
            let mut i = r0;
            while i < r1 {
                let rem = r1 - i;
                let ai = apc.wrapping_offset(i as isize * g.a_rs);
                if pf_a && rem > MR {
                    // The next full-height tile's rows (i + MR ..).
                    for r in MR..MR + MR.min(rem - MR) {
                        let row = ai.wrapping_offset(r as isize * g.a_rs);
                        if pf_first_line {
                            prefetch_l2(row);
                        } else {
                            prefetch_lines(row, kc);
                        }
                    }
                }
                let ci = cj.wrapping_offset(i as isize * g.c_rs);
                // SAFETY: rows i..i+step lie in r0..r1, columns jc..jc+nc
                // and steps pc..pc+kc in the product (caller's contract).
                let step = unsafe {
                    if rem >= MR {
                        tile::<S, E, MR, NV, true>(g, kc, ai, abuf, panels, nc, ci, accumulate, e);
                        MR
                    } else if rem >= 4 {
                        tile::<S, E, 4, NV, false>(g, kc, ai, abuf, panels, nc, ci, accumulate, e);
                        4
                    } else if rem >= 2 {
                        tile::<S, E, 2, NV, false>(g, kc, ai, abuf, panels, nc, ci, accumulate, e);
                        2
                    } else {
                        tile::<S, E, 1, NV, false>(g, kc, ai, abuf, panels, nc, ci, accumulate, e);
                        1
                    }
                };
                i += step;
            }
            jc += nc;
        }
        pc += kc;
    }
}
