//! The register-blocked matrix product: an `R × NV·LANES` microkernel that
//! broadcasts A from memory (any strides) and loads rows of B as vectors
//! (from memory when B's rows are contiguous, else from a packed panel),
//! and the loops around it.
//!
//! Numerics: every output element is, for each block of `KC` contraction
//! steps in ascending order, an FMA chain from +0.0 over that block; the
//! blocks' partial sums are added to the output in ascending order. That is
//! a function of K and the level only: not of the tile an element falls in,
//! the rows or blocks a thread gets, or whether B was packed.

use super::simd::Simd;
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
    /// Whether B goes through a packed panel (B's rows are not contiguous).
    pub pack_b: bool,
    /// Whether blocks of A are packed (large products only; honoured when
    /// the level's tile height divides its vector length).
    pub pack_a: bool,
}

/// Contraction steps per block (fixed per level: it shapes the sums).
pub(crate) const KC: usize = 128;
/// Rows per block of A kept in L2 (loop order only; a multiple of the
/// slab heights 24 and 48).
pub(crate) const MC: usize = 240;
/// Scratch elements for a packed B panel (the widest tile is 64 lanes).
pub(crate) const B_BUF: usize = KC * 64;
/// Scratch elements for a packed block of A.
pub(crate) const A_BUF: usize = MC * KC;

/// `C[0..R, 0..nr] (+)= A[0..R, 0..kc] · B[0..kc, 0..nr]`, where
/// `nr = (NV-1)·LANES + popcount(mask)`; the first `NV-1` vectors of each B
/// row are full, the last is masked.
///
/// # Safety
/// Every element named above lies inside its buffer (A and B readable, C
/// writable), C overlaps neither A nor B, and the CPU supports `S`.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
pub(crate) unsafe fn micro<S: Simd, const R: usize, const NV: usize>(
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
) {
    // SAFETY: every access below is to an element of the tile described in
    // this function's contract: rows i < R, steps t < kc, columns j < nr
    // (the last vector masked to its valid lanes).
    unsafe {
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
                *slot = if v + 1 < NV {
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
        } else {
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
/// sized its tile for).
///
/// # Safety
/// As `micro`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_nv<S: Simd, const R: usize>(
    nv: usize,
    kc: usize,
    a: *const S::T,
    g: &Geom,
    b: *const S::T,
    b_rs: isize,
    mask: S::M,
    c: *mut S::T,
    nr: usize,
    accumulate: bool,
) {
    // SAFETY: forwarded contract.
    unsafe {
        match nv {
            1 => micro::<S, R, 1>(
                kc, a, g.a_rs, g.a_cs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate,
            ),
            2 => micro::<S, R, 2>(
                kc, a, g.a_rs, g.a_cs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate,
            ),
            3 => micro::<S, R, 3>(
                kc, a, g.a_rs, g.a_cs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate,
            ),
            _ => micro::<S, R, 4>(
                kc, a, g.a_rs, g.a_cs, b, b_rs, mask, c, g.c_rs, g.c_cs, nr, accumulate,
            ),
        }
    }
}

/// Rows `r0..r1` of a column panel: tiles of `MR` rows, then 8, 4, 2, 1.
///
/// # Safety
/// As `micro`, for every row in `r0..r1`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn panel_rows<S: Simd, const MR: usize>(
    g: &Geom,
    r0: usize,
    r1: usize,
    nv: usize,
    kc: usize,
    a: *const S::T,
    b: *const S::T,
    b_rs: isize,
    mask: S::M,
    c: *mut S::T,
    nr: usize,
    accumulate: bool,
) {
    let mut i = r0;
    while i < r1 {
        let rem = r1 - i;
        let ai = a.wrapping_offset(i as isize * g.a_rs);
        let ci = c.wrapping_offset(i as isize * g.c_rs);
        // SAFETY: rows i..i+step lie in r0..r1 (forwarded contract).
        let step = unsafe {
            if rem >= MR {
                micro_nv::<S, MR>(nv, kc, ai, g, b, b_rs, mask, ci, nr, accumulate);
                MR
            } else if rem >= 8 && MR > 8 {
                micro_nv::<S, 8>(nv, kc, ai, g, b, b_rs, mask, ci, nr, accumulate);
                8
            } else if rem >= 4 {
                micro_nv::<S, 4>(nv, kc, ai, g, b, b_rs, mask, ci, nr, accumulate);
                4
            } else if rem >= 2 {
                micro_nv::<S, 2>(nv, kc, ai, g, b, b_rs, mask, ci, nr, accumulate);
                2
            } else {
                micro_nv::<S, 1>(nv, kc, ai, g, b, b_rs, mask, ci, nr, accumulate);
                1
            }
        };
        i += step;
    }
}

/// Packs `B[0..kc, 0..nr]` (strides `rs`, `cs`) into `dst` with row stride
/// `ld` (columns past nr are left as they are: the kernel masks them).
///
/// # Safety
/// The source elements lie inside the y buffer; `dst` holds `kc·ld`
/// writable elements and does not overlap the source.
#[inline(always)]
pub(crate) unsafe fn pack_b<S: Simd>(
    src: *const S::T,
    kc: usize,
    nr: usize,
    rs: isize,
    cs: isize,
    dst: *mut S::T,
    ld: usize,
) {
    // SAFETY: reads stay on B[0..kc, 0..nr], writes on dst[0..kc·ld].
    unsafe {
        if cs == 1 {
            for t in 0..kc {
                let s = src.wrapping_offset(t as isize * rs);
                let d = dst.add(t * ld);
                let mut j = 0;
                while j + S::LANES <= nr {
                    S::store(d.add(j), S::load(s.wrapping_add(j)));
                    j += S::LANES;
                }
                if j < nr {
                    let m = S::mask(nr - j);
                    S::store_m(d.add(j), S::load_m(s.wrapping_add(j), m), m);
                }
            }
        } else if rs == 1 {
            S::pack_nt(src, kc, nr, cs, dst, ld);
        } else {
            for j in 0..nr {
                let s = src.wrapping_offset(j as isize * cs);
                for t in 0..kc {
                    *dst.add(t * ld + j) = *s.wrapping_offset(t as isize * rs);
                }
            }
        }
    }
}

/// Rows `r0..r1` of one product, with the cache blocking around `micro`.
///
/// With `g.pack_a`, each `MC × KC` block of A is first copied into slabs of
/// `SL = 3·LANES` rows (`slab[t·SL + i] = A[i, t]`), read by the microkernel
/// with strides (1, SL); the arithmetic is the same either way.
///
/// # Safety
/// Every element of A, B (rows r0..r1 of A and C) lies inside its buffer,
/// C overlaps neither input, `buf` is a private scratch buffer of `B_BUF`
/// elements when `g.pack_b`, plus `A_BUF` more when `g.pack_a`, and the
/// CPU supports `S`.
#[inline(always)]
pub(crate) unsafe fn block<S: Simd, const MR: usize, const NV: usize>(
    g: &Geom,
    a: *const S::T,
    b: *const S::T,
    c: *mut S::T,
    r0: usize,
    r1: usize,
    buf: *mut S::T,
) {
    let nrmax = NV * S::LANES;
    // Slabs of three vectors' worth of rows: a multiple of both the
    // transposes' tile (LANES) and the tile heights used (6, 4).
    let sl = 3 * S::LANES;
    // Slabs start at multiples of sl below MC, so each lies in A_BUF.
    debug_assert!(MC.is_multiple_of(sl));
    let pack_a = g.pack_a;
    let abuf = buf.wrapping_add(B_BUF);
    let gp = Geom {
        a_rs: 1,
        a_cs: sl as isize,
        ..*g
    };
    let mut pc = 0;
    while pc < g.k {
        let kc = KC.min(g.k - pc);
        let accumulate = pc > 0;
        let apc = a.wrapping_offset(pc as isize * g.a_cs);
        let bpc = b.wrapping_offset(pc as isize * g.b_rs);
        let mut ic = r0;
        while ic < r1 {
            let ie = (ic + MC).min(r1);
            if pack_a {
                let mut s0 = ic;
                while s0 < ie {
                    let rows = sl.min(ie - s0);
                    // SAFETY: rows s0..s0+rows, steps pc..pc+kc of A lie in x;
                    // the slab lies in buf's A part (MC·KC elements).
                    unsafe {
                        pack_b::<S>(
                            apc.wrapping_offset(s0 as isize * g.a_rs),
                            kc,
                            rows,
                            g.a_cs,
                            g.a_rs,
                            abuf.add((s0 - ic) * kc),
                            sl,
                        )
                    };
                    s0 += rows;
                }
            }
            let mut jc = 0;
            while jc < g.n {
                let nr = nrmax.min(g.n - jc);
                let nv = nr.div_ceil(S::LANES);
                // SAFETY: nr - (nv-1)·LANES is in 1..=LANES.
                let mask = unsafe { S::mask(nr - (nv - 1) * S::LANES) };
                let src = bpc.wrapping_offset(jc as isize * g.b_cs);
                let (bp, brs) = if g.pack_b {
                    // SAFETY: B[pc.., jc..][0..kc, 0..nr] lies in y; buf has
                    // KC·nrmax elements (caller's contract).
                    unsafe { pack_b::<S>(src, kc, nr, g.b_rs, g.b_cs, buf, nrmax) };
                    (buf as *const S::T, nrmax as isize)
                } else {
                    (src, g.b_rs)
                };
                let cj = c.wrapping_offset(jc as isize * g.c_cs);
                if pack_a {
                    let mut s0 = ic;
                    while s0 < ie {
                        let rows = sl.min(ie - s0);
                        // SAFETY: the slab's rows of the packed block, and
                        // the same rows of C (caller's contract).
                        unsafe {
                            panel_rows::<S, MR>(
                                &gp,
                                0,
                                rows,
                                nv,
                                kc,
                                abuf.add((s0 - ic) * kc),
                                bp,
                                brs,
                                mask,
                                cj.wrapping_offset(s0 as isize * g.c_rs),
                                nr,
                                accumulate,
                            )
                        };
                        s0 += rows;
                    }
                } else {
                    // SAFETY: rows ic..ie, steps pc..pc+kc and columns
                    // jc..jc+nr of the product (caller's contract).
                    unsafe {
                        panel_rows::<S, MR>(
                            g, ic, ie, nv, kc, apc, bp, brs, mask, cj, nr, accumulate,
                        )
                    };
                }
                jc += nr;
            }
            ic = ie;
        }
        pc += kc;
    }
}

/// Many small products at once (`m <= MR`... any m, `n <= NV·LANES`,
/// `k <= KC`, B rows contiguous): `count` products whose A, B, C start
/// `xs`, `ys`, `os` elements apart. Same arithmetic as `block`.
///
/// # Safety
/// As `block` for each of the `count` products.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn small_many<S: Simd, const MR: usize, const NV: usize>(
    g: &Geom,
    count: usize,
    a: *const S::T,
    b: *const S::T,
    c: *mut S::T,
    xs: isize,
    ys: isize,
    os: isize,
) {
    let nv = g.n.div_ceil(S::LANES);
    // SAFETY: n - (nv-1)·LANES is in 1..=LANES (n >= 1).
    let mask = unsafe { S::mask(g.n - (nv - 1) * S::LANES) };
    macro_rules! go {
        ($r:literal, $nv:literal) => {{
            for i in 0..count as isize {
                // SAFETY: product i of the run (caller's contract).
                unsafe {
                    micro::<S, $r, $nv>(
                        g.k,
                        a.wrapping_offset(i * xs),
                        g.a_rs,
                        g.a_cs,
                        b.wrapping_offset(i * ys),
                        g.b_rs,
                        mask,
                        c.wrapping_offset(i * os),
                        g.c_rs,
                        g.c_cs,
                        g.n,
                        false,
                    )
                }
            }
        }};
    }
    match (g.m, nv) {
        (1, 1) => go!(1, 1),
        (2, 1) => go!(2, 1),
        (4, 1) => go!(4, 1),
        (8, 1) => go!(8, 1),
        (1, 2) => go!(1, 2),
        (2, 2) => go!(2, 2),
        (4, 2) => go!(4, 2),
        (8, 2) => go!(8, 2),
        _ => {
            for i in 0..count as isize {
                // SAFETY: product i of the run (caller's contract); B is not
                // packed, so no buffer is needed.
                unsafe {
                    block::<S, MR, NV>(
                        g,
                        a.wrapping_offset(i * xs),
                        b.wrapping_offset(i * ys),
                        c.wrapping_offset(i * os),
                        0,
                        g.m,
                        core::ptr::null_mut(),
                    )
                }
            }
        }
    }
}
