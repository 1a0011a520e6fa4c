//! The int8 GEMM on AMX tiles (level `amx`).
//!
//! A tile is 16 rows of 64 bytes. `tdpb[su][su]d` multiplies a tile of A
//! (16 rows of 64 K-steps, bytes) by a tile of B in the VNNI layout (16
//! groups of 4 K-steps, each row 16 columns × 4 bytes) into a tile of C
//! (16 × 16 int32), adding every product in 32-bit two's-complement
//! arithmetic: no saturation, no rounding. The instruction takes each
//! operand as signed or unsigned (`tdpbusd`, `tdpbssd`, `tdpbsud`,
//! `tdpbuud`), so S8·S8 needs neither bias nor compensation; and since the
//! sums are exact modulo 2³², the results are bit for bit those of every
//! other level.
//!
//! The microkernel keeps a 32 × 32 block of C in tiles 0–3 (two tiles of A
//! in 4–5, two of B in 6–7) over the K block, then stores it straight into
//! C (a first write of whole rows) or to the stack, to be added into C or
//! cut to the rows and columns that exist. B is packed exactly as for 512-bit VNNI
//! (`[group][64 columns][4 bytes]`, `Vnni512`'s packing), its groups padded
//! with zeros to a multiple of 16, so that a tile of B is 16 groups of 16
//! columns, 256 bytes apart. A is read in place when its K steps are
//! contiguous and the K block is a multiple of 64; else (and for the last
//! rows of a block, which a tile would read past) it is packed row by row,
//! zero-padded to whole tiles.
//!
//! The tiles are configured before the first GEMM of a run of items
//! (`amx::enter`, from `run_items`) and released after it (`amx::leave`);
//! the tile code is `amx.rs`'s.

use super::x86::Vnni512;
use super::{pack_a, pack_b_panel, put, Dp, Geom, IntJob, KC, MC, NC, P};
use crate::kernel::amx::{micro, Op};

/// `C[0..rows, 0..cols] (+)= t` (a block of 32 × 32 from `micro`, rows
/// 32 i32 apart).
///
/// # Safety
/// `t`'s rows `0..rows`, columns `0..cols` are initialized;
/// C's elements `[0..rows, 0..cols]` (`c_rs`, `c_cs` apart) are writable
/// (and readable when `acc`); avx512f.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn write(
    t: *const i32,
    c: *mut i32,
    c_rs: isize,
    c_cs: isize,
    rows: usize,
    cols: usize,
    acc: bool,
) {
    type D = Vnni512;
    // SAFETY: the caller's.
    unsafe {
        for r in 0..rows {
            let ci = c.offset(r as isize * c_rs);
            let tr = t.add(32 * r);
            if cols == 32 && c_cs == 1 {
                for h in 0..2 {
                    let (p, v) = (ci.add(16 * h), D::load(tr.add(16 * h)));
                    if acc {
                        D::store(p, D::add(D::load(p), v));
                    } else {
                        D::store(p, v);
                    }
                }
            } else {
                for j in 0..cols {
                    put(ci.offset(j as isize * c_cs), *tr.add(j), acc);
                }
            }
        }
    }
}

/// Rows `r0..r1` of one block's GEMM on AMX tiles (`int8::gemm`'s
/// contract, with `enter` run on this thread).
///
/// # Safety
/// Every element of the block lies inside its buffer (the plan's proof);
/// `buf` holds `int8::scratch_len` f32 of private scratch, 64-byte
/// aligned; the CPU and the process have AMX (`enter` ran).
#[inline(always)]
pub(super) unsafe fn gemm(ij: IntJob, g: &Geom, p: P, r0: usize, r1: usize, buf: *mut f32) {
    type D = Vnni512;
    const NR: usize = 64;
    let op = match (ij.a_u8, ij.b_u8) {
        (true, false) => Op::Us,
        (false, false) => Op::Ss,
        (false, true) => Op::Su,
        (true, true) => Op::Uu,
    };
    // Bytes per packed row of A and per group row of B: K padded to whole
    // tiles (64 steps, 16 groups).
    let kc_max = g.k.min(KC).next_multiple_of(64);
    let nc_max = g.n.min(NC).next_multiple_of(NR);
    let bb = buf.cast::<u8>();
    let ab = bb.wrapping_add(kc_max * nc_max);
    let tail = ab.wrapping_add(kc_max * MC);
    let mut t = core::mem::MaybeUninit::<Tile>::uninit();
    let tp = t.as_mut_ptr().cast::<i32>();
    let mut jc = 0;
    while jc < g.n {
        let nc = (g.n - jc).min(NC);
        let panels = nc.div_ceil(NR);
        let mut pc = 0;
        while pc < g.k {
            let kc = (g.k - pc).min(KC);
            let (groups, kp) = (kc.div_ceil(4), kc.next_multiple_of(64));
            let steps = kp / 64;
            let first = pc == 0 && !ij.acc;
            // SAFETY: B's block [pc, pc+kc) × [jc, jc+nc) is the block's;
            // each panel's kp/4 groups of NR·4 bytes fit in the B region.
            unsafe {
                let bsrc =
                    p.b.wrapping_offset(pc as isize * g.b_rs + jc as isize * g.b_cs);
                for q in 0..panels {
                    let cols = (nc - q * NR).min(NR);
                    let dst = bb.add(q * kp * NR);
                    pack_b_panel::<D>(
                        bsrc.wrapping_offset((q * NR) as isize * g.b_cs),
                        g.b_rs,
                        g.b_cs,
                        kc,
                        cols,
                        NR,
                        ij.b_u8,
                        dst,
                    );
                    core::ptr::write_bytes(dst.add(groups * NR * 4), 0, (kp / 4 - groups) * NR * 4);
                }
            }
            // A in place: contiguous steps, whole tiles of K.
            let direct = g.a_cs == 1 && g.a_rs >= 0 && kc == kp;
            let mut ic = r0;
            while ic < r1 {
                let mc = (r1 - ic).min(MC);
                let asrc =
                    p.a.wrapping_offset(ic as isize * g.a_rs + pc as isize * g.a_cs);
                let (abase, lda) = if direct {
                    (asrc, g.a_rs as usize)
                } else {
                    // SAFETY: A's rows ic..ic+mc, steps pc..pc+kc, into
                    // mc rows of kp bytes of the A region, zero-padded.
                    unsafe { pack_rows(asrc, g, mc, kc, kp, ij.a_u8, ab) };
                    (ab.cast_const(), kp)
                };
                let mut i = 0;
                while i < mc {
                    let rows = (mc - i).min(32);
                    let two = rows > 16;
                    let need = if two { 32 } else { 16 };
                    let mut ap = abase.wrapping_add(i * lda);
                    let mut la = lda;
                    if direct && rows < need {
                        // The last rows: a tile would read past them.
                        // (Packed rows are zero-padded already.)
                        // SAFETY: A's rows ic+i..ic+i+rows, into the
                        // tail region (32 rows of kp bytes).
                        unsafe { pack_rows(ap, g, rows, kc, kp, ij.a_u8, tail) };
                        (ap, la) = (tail.cast_const(), kp);
                    }
                    for q in 0..panels {
                        for h in 0..2 {
                            let j0 = q * NR + 32 * h;
                            if j0 >= nc {
                                break;
                            }
                            let cols = (nc - j0).min(32);
                            // SAFETY: the A rows above (`need` of kp
                            // bytes), the packed panel q's columns
                            // 32h..32h+32 of kp/4 groups; C's rows
                            // ic+i.., columns jc+j0.. of this block.
                            unsafe {
                                let bp = bb.add(q * kp * NR + 128 * h);
                                let cp = p.c.wrapping_offset(
                                    (ic + i) as isize * g.c_rs + (jc + j0) as isize * g.c_cs,
                                );
                                // Whole rows of C written once: the
                                // tiles go straight there (no streaming
                                // stores: c 0.81 of the time of storing
                                // to the stack, then streaming to C).
                                let to_c = first && g.c_cs == 1 && rows == need && cols == 32;
                                let (o, ldo) = if to_c { (cp, 4 * g.c_rs) } else { (tp, 128) };
                                if two {
                                    micro::<true>(op, steps, ap, la, bp, o, ldo);
                                } else {
                                    micro::<false>(op, steps, ap, la, bp, o, ldo);
                                }
                                if !to_c {
                                    write(tp, cp, g.c_rs, g.c_cs, rows, cols, !first);
                                }
                            }
                        }
                    }
                    i += rows;
                }
                ic += mc;
            }
            pc += kc;
        }
        jc += nc;
    }
}

/// 32 × 32 i32, 64-byte aligned (the stores of `micro`).
#[repr(C, align(64))]
struct Tile([i32; 32 * 32]);

/// Packs A's `rows` rows (steps `0..kc`) into rows of `kp` bytes at `dst`,
/// zeros past kc, and zero rows up to the next multiple of 16 (at most
/// 32 rows in all past a multiple of 32).
///
/// # Safety
/// A's elements are readable; `dst` holds `rows.next_multiple_of(16)·kp`
/// bytes; avx512f.
#[inline(always)]
unsafe fn pack_rows(
    a: *const u8,
    g: &Geom,
    rows: usize,
    kc: usize,
    kp: usize,
    u: bool,
    dst: *mut u8,
) {
    // SAFETY: the caller's.
    unsafe {
        // Bytes written per row: kc, or whole groups of 4 (`pack_a`).
        let wrote = if g.a_rs == 1 && g.a_cs != 1 {
            transpose_rows(a, g.a_cs, rows, kc, dst, kp);
            kc
        } else {
            pack_a::<Vnni512>(a, g.a_rs, g.a_cs, rows, kc, u, false, dst, kp);
            kc.div_ceil(4) * 4
        };
        if wrote < kp {
            for r in 0..rows {
                core::ptr::write_bytes(dst.add(r * kp + wrote), 0, kp - wrote);
            }
        }
        let all = rows.next_multiple_of(16);
        core::ptr::write_bytes(dst.add(rows * kp), 0, (all - rows) * kp);
    }
}

/// `dst[i·kp + t] = a[t·cs + i]` for `i < rows`, `t < kc`: the rows of an
/// A whose rows are contiguous along m (a transposed x), made K-contiguous.
/// Blocks of 16 rows × 64 steps by vector code: 4 steps of 16 rows
/// interleaved into one group per row (`interleave4`), 16 groups, then a
/// 16×16 transpose of their 32-bit words gives each row's 64 steps; the
/// rest element by element.
///
/// # Safety
/// `a[t·cs + i]` is readable for those `i`, `t`; `dst` holds `rows·kp`
/// bytes, `kp ≥ kc`; avx512f.
#[inline(always)]
unsafe fn transpose_rows(a: *const u8, cs: isize, rows: usize, kc: usize, dst: *mut u8, kp: usize) {
    use core::arch::x86_64::*;
    let (r16, k64) = (rows / 16 * 16, kc / 64 * 64);
    let at = |t: usize, i: usize| a.wrapping_offset(t as isize * cs).wrapping_add(i);
    // SAFETY: every read is an element named in the contract (16 bytes at
    // row t from i, i + 16 <= r16, t < k64); every write is inside dst.
    unsafe {
        let mut tmp = [0u8; 16 * 64];
        for i in (0..r16).step_by(16) {
            for t0 in (0..k64).step_by(64) {
                for q in 0..16 {
                    let t = t0 + 4 * q;
                    super::x86::interleave4(
                        [at(t, i), at(t + 1, i), at(t + 2, i), at(t + 3, i)],
                        tmp.as_mut_ptr().add(64 * q),
                    );
                }
                let v: [__m512; 16] =
                    core::array::from_fn(|q| _mm512_loadu_ps(tmp.as_ptr().add(64 * q).cast()));
                let w = crate::kernel::pack::transpose16(v);
                for (r, x) in w.iter().enumerate() {
                    _mm512_storeu_ps(dst.add((i + r) * kp + t0).cast(), *x);
                }
            }
        }
        for i in 0..rows {
            let t_from = if i < r16 { k64 } else { 0 };
            for t in t_from..kc {
                *dst.add(i * kp + t) = *at(t, i);
            }
        }
    }
}
