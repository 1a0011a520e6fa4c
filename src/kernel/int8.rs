//! int8 products (S8·S8 → S32 and U8·S8 → S32): exact, modulo 2³².
//!
//! Every sum is computed in 32-bit two's-complement arithmetic, which is
//! associative and commutative: any order of the products, any blocking of
//! K, any split over threads gives the same wrapped value. So, unlike the
//! floating paths, the kernels here are free to reorder.
//!
//! The vector levels (`Dp`):
//! - `vpdpbusd` (AVX512_VNNI, 16 lanes; AVX-VNNI or AVX512_VNNI+VL, 8
//!   lanes): four u8·s8 products added to each 32-bit lane, without
//!   saturation. One operand must be unsigned: for U8·S8 it is the u8
//!   tensor; for S8·S8 the operand `a` is biased by 128 (`a ^ 0x80` read as
//!   u8 is `a + 128`) and `128·Σ b` subtracted again (the "compensation"),
//!   exact modulo 2³².
//! - `vpmaddwd` (AVX2 without VNNI): both operands widened to 16 bits
//!   (sign- or zero-extended), two products per lane, exact (no product
//!   pair reaches 2³¹). Never `vpmaddubsw`, whose 16-bit sums saturate.
//!
//! Layouts: a "group" is the `KG` contraction steps one 32-bit lane takes
//! (4 bytes for VNNI, 2 words for `vpmaddwd`). The GEMM packs B into
//! panels of `NR` columns, group by group (`[group][column][4 bytes]`),
//! and broadcasts A's groups from row-major rows (A itself when its K is
//! contiguous and needs no bias or widening, else a packed copy).

use super::exec::Job;
use super::gemm::Geom;
use super::select::Kind;

/// Signedness of the job's operands, in its orientation (A = the job's x,
/// B = its y, after any transposition), and whether out accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntJob {
    /// A holds uint8 (else int8).
    pub a_u8: bool,
    /// B holds uint8 (else int8).
    pub b_u8: bool,
    /// `beta = 1`: out += the product (modulo 2³²); else out = it.
    pub acc: bool,
    /// The call's whole out exceeds the caches worth keeping it in: the
    /// GEMM writes whole aligned tiles with streaming stores.
    pub stream: bool,
}

/// The bytes of a call's out from which the GEMM streams its stores.
pub(super) const STREAM_BYTES: usize = 1 << 21;

/// K steps per block of the GEMM (a multiple of 4).
const KC: usize = 512;
/// Columns of B packed at once (a multiple of every level's `NR`).
const NC: usize = 256;
/// Rows of A packed at once.
const MC: usize = 96;

/// Bytes of scratch one thread needs for a job (as f32 elements, what the
/// job's buffer is counted in), with 64 bytes of slack for alignment.
pub(super) fn scratch_len(kind: Kind, n: usize, k: usize) -> usize {
    let bytes = match kind {
        Kind::Gemm { .. } => {
            // (K padded to whole AMX tiles of 64 steps: `int8_amx.rs`.)
            let kc = k.min(KC).next_multiple_of(64);
            // B panels (+ one compensation row per panel), an A block.
            let nc = n.min(NC).next_multiple_of(64);
            2 * kc * nc + 4 * nc + 2 * MC * kc + 256
        }
        _ => 0,
    };
    if bytes == 0 {
        0
    } else {
        bytes.div_ceil(4) + 16
    }
}

/// The job's pointers of one block.
#[derive(Clone, Copy)]
struct P {
    a: *const u8,
    b: *const u8,
    c: *mut i32,
}

impl P {
    #[inline(always)]
    fn at(self, o: (isize, isize, isize)) -> P {
        P {
            a: self.a.wrapping_offset(o.0),
            b: self.b.wrapping_offset(o.1),
            c: self.c.wrapping_offset(o.2),
        }
    }
}

/// The value of one input byte as its dtype says.
#[inline(always)]
fn val(v: u8, u: bool) -> i32 {
    if u {
        v as i32
    } else {
        v as i8 as i32
    }
}

/// Stores `v` to `*c` (or adds it, modulo 2³²).
///
/// # Safety
/// `c` is writable (and readable when `acc`).
#[inline(always)]
unsafe fn put(c: *mut i32, v: i32, acc: bool) {
    // SAFETY: the caller's.
    unsafe {
        if acc {
            *c = (*c).wrapping_add(v);
        } else {
            *c = v;
        }
    }
}

/// The operations of one vector level of the int8 kernels.
///
/// # Safety (every method)
/// The CPU supports the level; pointers name readable (writable) memory
/// for the bytes each method says.
pub(super) trait Dp {
    /// A vector of 32-bit lanes.
    type V: Copy;
    /// 32-bit lanes per vector.
    const LANES: usize;
    /// Contraction steps per lane (4: bytes, VNNI; 2: words, vpmaddwd).
    const KG: usize;
    /// Whether S8·S8 needs the bias and compensation (VNNI).
    const BIAS: bool;
    unsafe fn zero() -> Self::V;
    /// `LANES` i32 from `p` (unaligned).
    unsafe fn load(p: *const i32) -> Self::V;
    unsafe fn store(p: *mut i32, v: Self::V);
    /// The 4 bytes at `p` in every lane.
    unsafe fn bcast(p: *const u8) -> Self::V;
    /// `acc` + the lane-wise dot of the groups of `u` and `s`, where `u`
    /// is the unsigned operand of VNNI (both are already widened for
    /// `vpmaddwd`).
    unsafe fn dp(acc: Self::V, u: Self::V, s: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    /// Every byte xor 0x80 (the bias).
    unsafe fn flip(v: Self::V) -> Self::V;
    /// The contraction steps of one vector (`LANES·KG`) from `n` bytes at
    /// `p` (zeros past `n`), as `dp` takes them: bytes for VNNI, words
    /// (signed or unsigned per `u`) for vpmaddwd.
    unsafe fn load_k(p: *const u8, n: usize, u: bool) -> Self::V;
    /// The sum of the lanes (modulo 2³²).
    unsafe fn reduce(v: Self::V) -> i32;
    /// Whether `stream` bypasses the caches (else it is `store`).
    const STREAM: bool = false;
    /// `store` to a `4·LANES`-byte aligned `p`, bypassing the caches
    /// where the level can; `fence` then orders it before what follows.
    #[inline(always)]
    unsafe fn stream(p: *mut i32, v: Self::V) {
        // SAFETY: the caller's.
        unsafe { Self::store(p, v) }
    }
    /// Orders the `stream` stores before every later store and load.
    #[inline(always)]
    unsafe fn fence() {}
    /// The sums of the lanes of 16 vectors, in the lanes of one vector
    /// (`LANES` = 16), where the level has a reduction tree for them.
    #[inline(always)]
    unsafe fn sums16(_v: &[Self::V; 16]) -> Option<Self::V> {
        None
    }
    /// Packs A's rows `0..rows` (contiguous: row stride 1), steps `0..kc`
    /// (stride `cs`) as a panel `[group][ld][4 bytes]`, biased with
    /// `flip`, where the level has vector code for it; false: nothing
    /// done.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn pack_a_panel(
        a: *const u8,
        cs: isize,
        kc: usize,
        rows: usize,
        ld: usize,
        flip: bool,
        dst: *mut u8,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if Self::VNNI_PACK.is_some() {
            // SAFETY: the caller's; a VNNI level has SSE2.
            return unsafe { x86::vnni_a_panel(a, cs, kc, rows, ld, flip, dst) };
        }
        let _ = (a, cs, kc, rows, ld, flip, dst);
        false
    }
    /// Whether `load_k2` is vector code.
    const HAS_K2: bool = false;
    /// As `load_k`, for steps 2 bytes apart: the bytes `p[2t]`, `t < n`
    /// (reading no byte past `p[2n - 2]`).
    #[inline(always)]
    unsafe fn load_k2(p: *const u8, n: usize, u: bool) -> Self::V {
        let mut t = [0u8; 64];
        for (i, v) in t.iter_mut().enumerate().take(n.min(64)) {
            // SAFETY: the caller's.
            *v = unsafe { *p.add(2 * i) };
        }
        // SAFETY: 64 readable bytes.
        unsafe { Self::load_k(t.as_ptr(), n, u) }
    }
    /// The VNNI levels' vector packing (`Some(wide)`: 16×16 transposes
    /// for a B with contiguous K at AVX-512, else 8×8 ones), or none.
    const VNNI_PACK: Option<bool> = None;
    /// `pack_b_panel` by vector code where the level has it for these
    /// strides (`rs` or `cs` = 1); false: nothing done.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn pack_panel(
        b: *const u8,
        rs: isize,
        cs: isize,
        kc: usize,
        cols: usize,
        nr: usize,
        _u: bool,
        dst: *mut u8,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(wide) = Self::VNNI_PACK {
            // SAFETY: the caller's; a VNNI level has AVX2 (and avx512f
            // with `wide`).
            return unsafe { x86::vnni_panel(b, rs, cs, kc, cols, nr, dst, wide) };
        }
        let _ = (b, rs, cs, kc, cols, nr, dst);
        false
    }
}

/// A packed group of one row or column: 4 bytes (VNNI) or 2 words.
///
/// # Safety
/// `src` reaches `src + t·step` for `t < take` (≤ KG).
#[inline(always)]
unsafe fn group<D: Dp>(src: *const u8, step: isize, take: usize, u: bool, flip: bool) -> [u8; 4] {
    let mut out = [0u8; 4];
    // SAFETY: the caller's.
    unsafe {
        if D::KG == 4 {
            for (t, o) in out.iter_mut().enumerate().take(take) {
                let v = *src.offset(t as isize * step);
                *o = if flip { v ^ 0x80 } else { v };
            }
        } else {
            for t in 0..take {
                let v = val(*src.offset(t as isize * step), u) as i16;
                out[2 * t..2 * t + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
    }
    out
}

/// Packs A rows `0..rows`, steps `0..kc`, into row-major groups (`ld`
/// bytes per row, zero groups past kc).
///
/// # Safety
/// A's elements are readable; `dst` holds `rows·ld` bytes.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn pack_a<D: Dp>(
    a: *const u8,
    rs: isize,
    cs: isize,
    rows: usize,
    kc: usize,
    u: bool,
    flip: bool,
    dst: *mut u8,
    ld: usize,
) {
    let groups = kc.div_ceil(D::KG);
    if cs == 1 || (cs == 2 && D::HAS_K2) {
        // Whole vectors of steps (bytes, or words widened from them);
        // the tail group's missing steps are zeros.
        let step = D::LANES * D::KG;
        let wb = 4 / D::KG; // bytes per step in the packed row
        for i in 0..rows {
            let row = a.wrapping_offset(i as isize * rs);
            let d = dst.wrapping_add(i * ld);
            let mut t = 0;
            while t < kc {
                let n = (kc - t).min(step);
                // SAFETY: steps t..t+n of row i; the packed row holds
                // 4·groups bytes.
                unsafe {
                    let mut v = if cs == 1 {
                        D::load_k(row.add(t), n, u)
                    } else {
                        D::load_k2(row.add(2 * t), n, u)
                    };
                    if flip {
                        v = D::flip(v);
                    }
                    if n == step {
                        D::store(d.add(t * wb).cast(), v);
                    } else {
                        let mut tmp = [0i32; 16];
                        D::store(tmp.as_mut_ptr(), v);
                        let len = (groups * 4 - t * wb).min(step * wb);
                        // Steps past kc in the tail group: zeros (not the
                        // flipped zeros of the vector).
                        let tb = tmp.as_mut_ptr().cast::<u8>();
                        core::ptr::write_bytes(tb.add(n * wb), 0, len - n * wb);
                        core::ptr::copy_nonoverlapping(tb, d.add(t * wb), len);
                    }
                }
                t += n;
            }
        }
        return;
    }
    for i in 0..rows {
        let row = a.wrapping_offset(i as isize * rs);
        for g in 0..groups {
            let take = (kc - g * D::KG).min(D::KG);
            // SAFETY: the caller's.
            unsafe {
                let v = group::<D>(
                    row.wrapping_offset((g * D::KG) as isize * cs),
                    cs,
                    take,
                    u,
                    flip,
                );
                core::ptr::copy_nonoverlapping(v.as_ptr(), dst.add(i * ld + 4 * g), 4);
            }
        }
    }
}

/// Packs B steps `0..kc`, columns `0..cols` into one panel of `nr`
/// columns (`[group][nr][4 bytes]`, zeros past cols and kc).
///
/// # Safety
/// B's elements are readable; `dst` holds `groups·nr·4` bytes.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn pack_b_panel<D: Dp>(
    b: *const u8,
    rs: isize,
    cs: isize,
    kc: usize,
    cols: usize,
    nr: usize,
    u: bool,
    dst: *mut u8,
) {
    // SAFETY: the caller's.
    if unsafe { D::pack_panel(b, rs, cs, kc, cols, nr, u, dst) } {
        return;
    }
    let groups = kc.div_ceil(D::KG);
    for g in 0..groups {
        let take = (kc - g * D::KG).min(D::KG);
        let src = b.wrapping_offset((g * D::KG) as isize * rs);
        for j in 0..nr {
            let v = if j < cols {
                // SAFETY: the caller's.
                unsafe { group::<D>(src.wrapping_offset(j as isize * cs), rs, take, u, false) }
            } else {
                [0; 4]
            };
            // SAFETY: the caller's.
            unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), dst.add((g * nr + j) * 4), 4) };
        }
    }
}

/// `−128·Σ` of each column of a packed VNNI panel (the compensation of a
/// biased A), into `comp[0..nr]`.
///
/// # Safety
/// The panel holds `groups·nr·4` bytes; `comp` holds `nr` i32.
#[inline(always)]
unsafe fn compensation<D: Dp>(panel: *const u8, groups: usize, nr: usize, comp: *mut i32) {
    let nv = nr / D::LANES;
    // SAFETY: the caller's.
    unsafe {
        let ones = D::bcast([0x80u8; 4].as_ptr());
        for v in 0..nv {
            let mut s = D::zero();
            for g in 0..groups {
                let b = D::load(panel.add((g * nr + v * D::LANES) * 4).cast());
                s = D::dp(s, ones, b);
            }
            D::store(comp.add(v * D::LANES), D::sub(D::zero(), s));
        }
    }
}

/// The `R × NV·LANES` microkernel: `C[0..rows, 0..cols] (+)=` Σ over
/// `groups` of A's row groups (`a + i·lda + g·a_gs`, broadcast) times the
/// panel's, plus `comp` (a column's compensation, or none) or `rcomp`
/// (a row's). With `BU`, B is the
/// unsigned operand of `dp`, else A is. `acc`: add to C, else store.
///
/// # Safety
/// A's rows `0..R` (rows past `rows` repeat the last one) hold `4·groups`
/// readable bytes; the panel `groups·NV·LANES·4`; C's elements
/// `[0..rows, 0..cols]` are writable; the CPU supports `D`.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
#[inline(always)]
unsafe fn micro<D: Dp, const R: usize, const NV: usize, const BU: bool>(
    groups: usize,
    a: *const u8,
    lda: usize,
    a_gs: usize,
    panel: *const u8,
    comp: Option<*const i32>,
    rcomp: Option<*const i32>,
    c: *mut i32,
    c_rs: isize,
    c_cs: isize,
    rows: usize,
    cols: usize,
    acc: bool,
    nt: bool,
) {
    let nr = NV * D::LANES;
    // SAFETY: the caller's.
    unsafe {
        let mut s = [[D::zero(); NV]; R];
        if let Some(rp) = rcomp {
            for (i, si) in s.iter_mut().enumerate() {
                let v = D::bcast(rp.add(i.min(rows - 1)).cast());
                *si = [v; NV];
            }
        }
        if let Some(cp) = comp {
            for v in 0..NV {
                let cv = D::load(cp.add(v * D::LANES));
                for i in 0..R {
                    s[i][v] = cv;
                }
            }
        }
        let mut ap = [a; R];
        for (i, p) in ap.iter_mut().enumerate() {
            *p = a.wrapping_add(i.min(rows - 1) * lda);
        }
        let mut bp = panel;
        for g in 0..groups {
            let mut bv = [D::zero(); NV];
            for v in 0..NV {
                bv[v] = D::load(bp.add(v * D::LANES * 4).cast());
            }
            for i in 0..R {
                let av = D::bcast(ap[i].add(a_gs * g));
                for v in 0..NV {
                    s[i][v] = if BU {
                        D::dp(s[i][v], bv[v], av)
                    } else {
                        D::dp(s[i][v], av, bv[v])
                    };
                }
            }
            bp = bp.add(nr * 4);
        }
        if cols == nr && c_cs == 1 {
            if nt && !acc && rows == R && (c as usize).is_multiple_of(4 * D::LANES) {
                for i in 0..R {
                    let ci = c.offset(i as isize * c_rs);
                    for v in 0..NV {
                        D::stream(ci.add(v * D::LANES), s[i][v]);
                    }
                }
            } else {
                // Whole vectors, row by row (constant indices into `s`).
                for i in 0..R {
                    if i < rows {
                        let ci = c.offset(i as isize * c_rs);
                        for v in 0..NV {
                            let p = ci.add(v * D::LANES);
                            let r = if acc {
                                D::add(D::load(p), s[i][v])
                            } else {
                                s[i][v]
                            };
                            D::store(p, r);
                        }
                    }
                }
            }
        } else {
            // Constant indices into `s` (all R rows spilled), so that the
            // accumulators stay registers on the fast path above.
            let mut t = [[0i32; 64]; R];
            for i in 0..R {
                for v in 0..NV {
                    D::store(t[i].as_mut_ptr().add(v * D::LANES), s[i][v]);
                }
            }
            for i in 0..rows {
                let ci = c.offset(i as isize * c_rs);
                for j in 0..cols {
                    put(ci.offset(j as isize * c_cs), t[i][j], acc);
                }
            }
        }
    }
}

/// Every byte of a packed panel xor 0x80 (B's bias).
///
/// # Safety
/// `n` (a multiple of `4·LANES`) bytes at `p`.
#[inline(always)]
unsafe fn flip_panel<D: Dp>(p: *mut u8, n: usize) {
    let step = 4 * D::LANES;
    let mut i = 0;
    while i < n {
        // SAFETY: the caller's.
        unsafe { D::store(p.add(i).cast(), D::flip(D::load(p.add(i).cast()))) };
        i += step;
    }
}

/// `−128·Σ_t a[i, t]` over `t < kc` (contiguous) for rows `0..rows`.
///
/// # Safety
/// The rows' bytes are readable.
#[inline(always)]
unsafe fn row_comp<D: Dp>(a: *const u8, rs: isize, rows: usize, kc: usize, out: &mut [i32; MC]) {
    let step = D::LANES * D::KG;
    // SAFETY: the caller's.
    unsafe {
        let ones = D::bcast([0x80u8; 4].as_ptr());
        // 16 rows at a time, their lanes summed by one tree.
        let mut i0 = 0;
        while D::LANES == 16 && i0 + 16 <= rows {
            let mut c = [D::zero(); 16];
            let mut t = 0;
            while t < kc {
                let n = (kc - t).min(step);
                for (r, cr) in c.iter_mut().enumerate() {
                    let row = a.wrapping_offset((i0 + r) as isize * rs);
                    *cr = D::dp(*cr, ones, D::load_k(row.add(t), n, false));
                }
                t += n;
            }
            let Some(v) = D::sums16(&c) else { break };
            D::store(out.as_mut_ptr().add(i0), D::sub(D::zero(), v));
            i0 += 16;
        }
        for (i, o) in out.iter_mut().enumerate().take(rows).skip(i0) {
            let row = a.wrapping_offset(i as isize * rs);
            let mut c = D::zero();
            let mut t = 0;
            while t < kc {
                let n = (kc - t).min(step);
                c = D::dp(c, ones, D::load_k(row.add(t), n, false));
                t += n;
            }
            *o = D::reduce(c).wrapping_neg();
        }
    }
}

/// Rows `r0..r1` of one block's GEMM at level `D` with `R × NV` tiles.
///
/// # Safety
/// Every element of the block lies inside its buffer (the plan's proof);
/// `buf` holds `scratch_len` f32 of private scratch, 64-byte aligned.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn gemm<D: Dp, const R: usize, const NV: usize>(
    ij: IntJob,
    g: &Geom,
    p: P,
    r0: usize,
    r1: usize,
    buf: *mut f32,
) {
    let nr = NV * D::LANES;
    debug_assert!(nr <= 64 && NC.is_multiple_of(nr));
    // The unsigned operand of dp: B when B is u8 (A then is s8), else A
    // (u8, or s8 biased when both are s8: then `comp`).
    let mut bu = ij.b_u8;
    let mut bias = D::BIAS && !ij.a_u8 && !ij.b_u8;
    // S8·S8 with A read in place: B is biased instead (flipped in its
    // panels, the unsigned operand), and each row of A compensated
    // (`−128·Σ a` over the block of K): the microkernel then broadcasts A
    // as the signed operand, which vpdpbusd takes straight from memory.
    let bias_b = bias && D::KG == 4 && g.a_cs == 1 && g.a_rs >= 0 && g.k.is_multiple_of(4);
    if bias_b {
        bias = false;
        bu = true;
    }
    let mut rows_comp = [0i32; MC];
    let kc_max = g.k.min(KC);
    let groups_max = kc_max.div_ceil(D::KG);
    let nc_max = g.n.min(NC).next_multiple_of(nr);
    let bb = buf.cast::<u8>();
    let comp = bb.wrapping_add(groups_max * 4 * nc_max).cast::<i32>();
    let ab = comp.wrapping_add(nc_max).cast::<u8>();
    let lda_p = groups_max * 4;
    // A straight from memory: K contiguous, whole groups, no change of
    // its bytes.
    let direct_a = D::KG == 4 && g.a_cs == 1 && g.a_rs >= 0 && g.k.is_multiple_of(4) && !bias;
    // A whose rows are contiguous along m (a transposed x): packed as a
    // panel of MC rows, group by group (`[group][MC][4 bytes]`).
    let a_panel = g.a_rs == 1 && g.a_cs != 1;
    // A large out is written with streaming stores on its first write
    // (rows 64-byte aligned): each line then goes to memory once, without
    // being read for ownership first.
    let nt =
        D::STREAM && ij.stream && g.c_cs == 1 && g.c_rs.unsigned_abs().is_multiple_of(D::LANES);
    let mut jc = 0;
    while jc < g.n {
        let nc = (g.n - jc).min(NC);
        let panels = nc.div_ceil(nr);
        let mut pc = 0;
        while pc < g.k {
            let kc = (g.k - pc).min(KC);
            let groups = kc.div_ceil(D::KG);
            let first = pc == 0 && !ij.acc;
            // SAFETY: B's block [pc, pc+kc) × [jc, jc+nc) is the block's.
            unsafe {
                let bsrc =
                    p.b.wrapping_offset(pc as isize * g.b_rs + jc as isize * g.b_cs);
                for q in 0..panels {
                    let cols = (nc - q * nr).min(nr);
                    let dst = bb.add(q * groups * nr * 4);
                    pack_b_panel::<D>(
                        bsrc.wrapping_offset((q * nr) as isize * g.b_cs),
                        g.b_rs,
                        g.b_cs,
                        kc,
                        cols,
                        nr,
                        ij.b_u8,
                        dst,
                    );
                    if bias {
                        compensation::<D>(dst, groups, nr, comp.add(q * nr));
                    }
                    if bias_b {
                        flip_panel::<D>(dst, groups * nr * 4);
                    }
                }
            }
            let mut ic = r0;
            while ic < r1 {
                // A packed copy goes one row tile at a time, so that its
                // loads overlap the products of the tile before it.
                let mc = (r1 - ic).min(if direct_a || bias_b || a_panel { MC } else { R });
                let asrc =
                    p.a.wrapping_offset(ic as isize * g.a_rs + pc as isize * g.a_cs);
                if bias_b {
                    // SAFETY: A's rows ic..ic+mc, steps pc..pc+kc.
                    unsafe { row_comp::<D>(asrc, g.a_rs, mc, kc, &mut rows_comp) };
                }
                let (abase, lda, a_gs) = if direct_a || bias_b {
                    (asrc, g.a_rs as usize, 4)
                } else if a_panel
                    // SAFETY: A's rows ic..ic+mc, steps pc..pc+kc, into
                    // groups·MC·4 bytes of the A region.
                    && unsafe { D::pack_a_panel(asrc, g.a_cs, kc, mc, MC, bias, ab) }
                {
                    (ab.cast_const(), 4, 4 * MC)
                } else {
                    // SAFETY: A's rows ic..ic+mc, steps pc..pc+kc.
                    unsafe { pack_a::<D>(asrc, g.a_rs, g.a_cs, mc, kc, ij.a_u8, bias, ab, lda_p) };
                    (ab.cast_const(), lda_p, 4)
                };
                for q in 0..panels {
                    let cols = (nc - q * nr).min(nr);
                    let panel = bb.wrapping_add(q * groups * nr * 4);
                    let cq = bias.then(|| comp.wrapping_add(q * nr).cast_const());
                    let mut i = 0;
                    while i < mc {
                        let rows = (mc - i).min(R);
                        let cp = p.c.wrapping_offset(
                            (ic + i) as isize * g.c_rs + (jc + q * nr) as isize * g.c_cs,
                        );
                        let ap = abase.wrapping_add(i * lda);
                        let rq = bias_b.then(|| rows_comp[i..].as_ptr());
                        // A last tile of fewer rows runs a tile of 4 or 2
                        // rows where that covers it (R = 6).
                        let tr = if R == 6 && rows <= 2 {
                            2
                        } else if R == 6 && rows <= 4 {
                            4
                        } else {
                            R
                        };
                        macro_rules! tile {
                            ($r:expr, $bu:expr) => {
                                micro::<D, { $r }, NV, { $bu }>(
                                    groups, ap, lda, a_gs, panel, cq, rq, cp, g.c_rs, g.c_cs, rows,
                                    cols, !first, nt,
                                )
                            };
                        }
                        // SAFETY: rows i..i+rows of this A block, the
                        // packed panel, and C's tile, all the block's.
                        unsafe {
                            match (tr, bu) {
                                (2, true) => tile!(2, true),
                                (2, false) => tile!(2, false),
                                (4, true) => tile!(4, true),
                                (4, false) => tile!(4, false),
                                (_, true) => tile!(R, true),
                                (_, false) => tile!(R, false),
                            }
                        }
                        i += rows;
                    }
                }
                ic += mc;
            }
            pc += kc;
        }
        jc += nc;
    }
    if nt {
        // SAFETY: the level's features.
        unsafe { D::fence() };
    }
}

/// One dot of `k` unit-stride steps at level `D`: `Σ a·b` (the job's
/// signedness).
///
/// # Safety
/// `a` and `b` hold `k` readable bytes.
#[inline(always)]
unsafe fn dot<D: Dp>(ij: IntJob, k: usize, a: *const u8, b: *const u8) -> i32 {
    let step = D::LANES * D::KG;
    let bias = D::BIAS && !ij.a_u8 && !ij.b_u8;
    // SAFETY: the caller's.
    unsafe {
        let ones = D::bcast([0x80u8; 4].as_ptr());
        let (mut s, mut c) = (D::zero(), D::zero());
        let mut t = 0;
        while t < k {
            let n = (k - t).min(step);
            let av = D::load_k(a.add(t), n, ij.a_u8);
            let bv = D::load_k(b.add(t), n, ij.b_u8);
            if bias {
                s = D::dp(s, D::flip(av), bv);
                c = D::dp(c, ones, bv);
            } else if ij.b_u8 {
                s = D::dp(s, bv, av);
            } else {
                s = D::dp(s, av, bv);
            }
            t += n;
        }
        // (Zero bytes past k flipped are 0x80: their products with b's
        // zeros are 0, and c counts only b.)
        D::reduce(D::sub(s, c))
    }
}

/// `count` row dots (m = n = 1, unit strides along K), `s` apart.
///
/// # Safety
/// As `run_items`, for these blocks.
#[inline(always)]
unsafe fn dots<D: Dp>(ij: IntJob, k: usize, count: usize, p: P, s: (isize, isize, isize)) {
    for i in 0..count as isize {
        let q = p.at((i * s.0, i * s.1, i * s.2));
        // SAFETY: block i of the run.
        unsafe { put(q.c, dot::<D>(ij, k, q.a, q.b), ij.acc) };
    }
}

/// Rows `r0..r1` of a mat-vec product (n = 1, unit strides along K): for
/// S8·S8 on VNNI the compensation `128·Σ b` once, then each row's dot of
/// its biased bytes with b.
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
unsafe fn gemv<D: Dp>(ij: IntJob, g: &Geom, p: P, r0: usize, r1: usize) {
    let bias = D::BIAS && !ij.a_u8 && !ij.b_u8;
    if !bias {
        for i in r0..r1 {
            let a = p.a.wrapping_offset(i as isize * g.a_rs);
            // SAFETY: row i and the vector.
            unsafe {
                put(
                    p.c.wrapping_offset(i as isize * g.c_rs),
                    dot::<D>(ij, g.k, a, p.b),
                    ij.acc,
                )
            };
        }
        return;
    }
    let step = D::LANES * D::KG;
    // SAFETY: the vector's k bytes, then each row's.
    unsafe {
        let ones = D::bcast([0x80u8; 4].as_ptr());
        let mut c = D::zero();
        let mut t = 0;
        while t < g.k {
            let n = (g.k - t).min(step);
            c = D::dp(c, ones, D::load_k(p.b.add(t), n, false));
            t += n;
        }
        let comp = D::reduce(c);
        // One row after another (as `stream::gemv`: several rows at a time
        // interleave streams the hardware prefetchers follow badly).
        let mut i = r0;
        while i < r1 {
            let a = p.a.wrapping_offset(i as isize * g.a_rs);
            let mut s = D::zero();
            let mut t = 0;
            while t < g.k {
                let n = (g.k - t).min(step);
                let bv = D::load_k(p.b.add(t), n, false);
                s = D::dp(s, D::flip(D::load_k(a.add(t), n, false)), bv);
                t += n;
            }
            put(
                p.c.wrapping_offset(i as isize * g.c_rs),
                D::reduce(s).wrapping_sub(comp),
                ij.acc,
            );
            i += 1;
        }
    }
}

/// Rows `r0..r1` of one block in portable code: the plain triple loop.
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
unsafe fn portable(ij: IntJob, g: &Geom, p: P, r0: usize, r1: usize) {
    for i in r0..r1 {
        for j in 0..g.n {
            let mut s = 0i32;
            for t in 0..g.k {
                // SAFETY: A[i, t] and B[t, j] are the block's.
                let (a, b) = unsafe {
                    (
                        *p.a.wrapping_offset(i as isize * g.a_rs + t as isize * g.a_cs),
                        *p.b.wrapping_offset(t as isize * g.b_rs + j as isize * g.b_cs),
                    )
                };
                s = s.wrapping_add(val(a, ij.a_u8).wrapping_mul(val(b, ij.b_u8)));
            }
            // SAFETY: C[i, j] is the block's.
            unsafe {
                put(
                    p.c.wrapping_offset(i as isize * g.c_rs + j as isize * g.c_cs),
                    s,
                    ij.acc,
                )
            };
        }
    }
}

/// The regimes of one level (each compiled with the level's features by
/// `int_level!` in `dispatch.rs`).
///
/// # Safety (every method)
/// As `run_items`; the CPU supports the level.
pub(super) trait IntLevel {
    unsafe fn dots(
        ij: IntJob,
        k: usize,
        count: usize,
        a: *const u8,
        b: *const u8,
        c: *mut i32,
        s: (isize, isize, isize),
    );
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemv(
        ij: IntJob,
        g: &Geom,
        a: *const u8,
        b: *const u8,
        c: *mut i32,
        r0: usize,
        r1: usize,
    );
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        ij: IntJob,
        g: &Geom,
        a: *const u8,
        b: *const u8,
        c: *mut i32,
        r0: usize,
        r1: usize,
        buf: *mut f32,
    );
    /// `count` whole small blocks (`g`'s m × k × n, any strides), `s`
    /// apart, where the level has a kernel for them (`int8_small.rs`);
    /// false: none, nothing done.
    #[allow(clippy::too_many_arguments)]
    unsafe fn small(
        _ij: IntJob,
        _g: &Geom,
        _count: usize,
        _a: *const u8,
        _b: *const u8,
        _c: *mut i32,
        _s: (isize, isize, isize),
    ) -> bool {
        false
    }
    /// Prepares this thread for the level's GEMM, before the first one of
    /// a run of items (AMX: loads the tile configuration).
    #[inline(always)]
    unsafe fn enter() {}
    /// Undoes `enter`, after the run, where it ran (AMX: releases the
    /// tiles).
    #[inline(always)]
    unsafe fn leave() {}
}

/// The portable level.
pub(super) struct Portable;

impl IntLevel for Portable {
    unsafe fn dots(
        ij: IntJob,
        k: usize,
        count: usize,
        a: *const u8,
        b: *const u8,
        c: *mut i32,
        s: (isize, isize, isize),
    ) {
        let g = unit(k);
        for i in 0..count as isize {
            let q = P { a, b, c }.at((i * s.0, i * s.1, i * s.2));
            // SAFETY: the contract.
            unsafe { portable(ij, &g, q, 0, 1) };
        }
    }
    unsafe fn gemv(
        ij: IntJob,
        g: &Geom,
        a: *const u8,
        b: *const u8,
        c: *mut i32,
        r0: usize,
        r1: usize,
    ) {
        // SAFETY: the contract.
        unsafe { portable(ij, g, P { a, b, c }, r0, r1) }
    }
    unsafe fn gemm(
        ij: IntJob,
        g: &Geom,
        a: *const u8,
        b: *const u8,
        c: *mut i32,
        r0: usize,
        r1: usize,
        _buf: *mut f32,
    ) {
        // SAFETY: the contract.
        unsafe { portable(ij, g, P { a, b, c }, r0, r1) }
    }
}

/// A 1 × k × 1 geometry with unit strides along K.
fn unit(k: usize) -> Geom {
    Geom {
        m: 1,
        n: 1,
        k,
        a_rs: 0,
        a_cs: 1,
        b_rs: 1,
        b_cs: 0,
        c_rs: 0,
        c_cs: 0,
        pack_b: false,
        acc: false,
    }
}

/// `IntLevel` for a `Dp` level with `R × NV` tiles, its methods compiled
/// with `$feat`.
macro_rules! int_level {
    ($name:ident, $D:ty, $r:expr, $nv:expr, $feat:literal) => {
        int_level!($name, $D, $r, $nv, $feat; gemm::<$D, { $r }, { $nv }>);
    };
    // With `tiles`, the GEMM is `$gemm` (same arguments as `gemm`), run
    // between `amx::enter` and `amx::leave`.
    ($name:ident, $D:ty, $r:expr, $nv:expr, $feat:literal; tiles: $gemm:path) => {
        int_level!($name, $D, $r, $nv, $feat; $gemm; tiles);
    };
    ($name:ident, $D:ty, $r:expr, $nv:expr, $feat:literal; $gemm:path $(; $tiles:ident)?) => {
        pub(crate) struct $name;
        impl IntLevel for $name {
            #[target_feature(enable = $feat)]
            unsafe fn dots(
                ij: IntJob,
                k: usize,
                count: usize,
                a: *const u8,
                b: *const u8,
                c: *mut i32,
                s: (isize, isize, isize),
            ) {
                // SAFETY: the contract.
                unsafe { <$D as small::Small>::dots(ij, k, count, P { a, b, c }, s) }
            }
            #[target_feature(enable = $feat)]
            unsafe fn small(
                ij: IntJob,
                g: &Geom,
                count: usize,
                a: *const u8,
                b: *const u8,
                c: *mut i32,
                s: (isize, isize, isize),
            ) -> bool {
                // SAFETY: the contract.
                unsafe { <$D as small::Small>::small(ij, g, count, P { a, b, c }, s) }
            }
            #[target_feature(enable = $feat)]
            unsafe fn gemv(
                ij: IntJob,
                g: &Geom,
                a: *const u8,
                b: *const u8,
                c: *mut i32,
                r0: usize,
                r1: usize,
            ) {
                // SAFETY: the contract.
                unsafe { gemv::<$D>(ij, g, P { a, b, c }, r0, r1) }
            }
            #[target_feature(enable = $feat)]
            unsafe fn gemm(
                ij: IntJob,
                g: &Geom,
                a: *const u8,
                b: *const u8,
                c: *mut i32,
                r0: usize,
                r1: usize,
                buf: *mut f32,
            ) {
                // SAFETY: the contract (with `tiles`, `run_items` ran
                // `enter`).
                unsafe { $gemm(ij, g, P { a, b, c }, r0, r1, buf) }
            }
            $(
            unsafe fn enter() {
                let _ = stringify!($tiles);
                // SAFETY: the contract: the CPU and the process have AMX.
                unsafe { crate::kernel::amx::enter() }
            }
            unsafe fn leave() {
                // SAFETY: as `enter`.
                unsafe { crate::kernel::amx::leave() }
            }
            )?
        }
    };
}

#[cfg(target_arch = "x86_64")]
pub(super) use x86::*;

/// Kernels of runs of tiny products (`IntLevel::small`, K = 16 dots).
#[cfg(target_arch = "x86_64")]
#[path = "int8_small.rs"]
mod small;

/// The GEMM on AMX tiles (level `amx`).
#[cfg(target_arch = "x86_64")]
#[path = "int8_amx.rs"]
mod amx;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;
    use core::arch::x86_64::*;

    /// 16 bytes into a zeroed vector: `n` (≤ 64) bytes from `p`.
    #[inline(always)]
    unsafe fn partial<const N: usize>(p: *const u8, n: usize) -> [u8; N] {
        let mut t = [0u8; N];
        // SAFETY: the caller's: n readable bytes at p, n ≤ N.
        unsafe { core::ptr::copy_nonoverlapping(p, t.as_mut_ptr(), n.min(N)) };
        t
    }

    /// Zero bytes standing in for B's rows past kc in a tail group.
    static ZEROS: [u8; 16] = [0; 16];

    /// Row `t` of B's group at `src` (steps past `kc - k0` are the zero
    /// row), column `j` on.
    #[inline(always)]
    fn row_at(src: *const u8, rs: isize, t: usize, left: usize, j: usize) -> *const u8 {
        if t < left {
            src.wrapping_offset(t as isize * rs).wrapping_add(j)
        } else {
            ZEROS.as_ptr()
        }
    }

    /// 16 columns of 4 rows (bytes) interleaved into 16 groups of 4.
    ///
    /// # Safety
    /// 16 readable bytes at each row, 64 writable at `dst`; SSE2.
    #[inline(always)]
    pub(super) unsafe fn interleave4(r: [*const u8; 4], dst: *mut u8) {
        // SAFETY: the caller's.
        unsafe {
            let a = _mm_loadu_si128(r[0].cast());
            let b = _mm_loadu_si128(r[1].cast());
            let c = _mm_loadu_si128(r[2].cast());
            let d = _mm_loadu_si128(r[3].cast());
            let (ab0, ab1) = (_mm_unpacklo_epi8(a, b), _mm_unpackhi_epi8(a, b));
            let (cd0, cd1) = (_mm_unpacklo_epi8(c, d), _mm_unpackhi_epi8(c, d));
            _mm_storeu_si128(dst.cast(), _mm_unpacklo_epi16(ab0, cd0));
            _mm_storeu_si128(dst.add(16).cast(), _mm_unpackhi_epi16(ab0, cd0));
            _mm_storeu_si128(dst.add(32).cast(), _mm_unpacklo_epi16(ab1, cd1));
            _mm_storeu_si128(dst.add(48).cast(), _mm_unpackhi_epi16(ab1, cd1));
        }
    }

    /// A VNNI panel of a B whose rows are contiguous (`cs = 1`): groups
    /// of 4 rows interleaved, 16 columns at a time.
    ///
    /// # Safety
    /// As `pack_b_panel`; SSE2.
    #[inline(always)]
    unsafe fn panel_rows4(
        b: *const u8,
        rs: isize,
        kc: usize,
        cols: usize,
        nr: usize,
        dst: *mut u8,
    ) {
        for g in 0..kc.div_ceil(4) {
            let src = b.wrapping_offset((4 * g) as isize * rs);
            let left = kc - 4 * g;
            let d = dst.wrapping_add(g * nr * 4);
            let mut j = 0;
            while j + 16 <= cols {
                let r = core::array::from_fn(|t| row_at(src, rs, t, left, j));
                // SAFETY: columns j..j+16 of rows 4g.. (or zeros).
                unsafe { interleave4(r, d.add(j * 4)) };
                j += 16;
            }
            for jj in j..nr {
                let mut v = [0u8; 4];
                if jj < cols {
                    for (t, o) in v.iter_mut().enumerate().take(left.min(4)) {
                        // SAFETY: B[4g + t, jj].
                        *o = unsafe { *src.wrapping_offset(t as isize * rs).add(jj) };
                    }
                }
                // SAFETY: the panel's group g, column jj.
                unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), d.add(jj * 4), 4) };
            }
        }
    }

    /// `n` bytes at `p` xor 0x80 (the bias), 16 at a time.
    ///
    /// # Safety
    /// `n` writable bytes at `p`; SSE2.
    #[inline(always)]
    unsafe fn flip_bytes(p: *mut u8, n: usize) {
        let mut i = 0;
        // SAFETY: the caller's.
        unsafe {
            let m = _mm_set1_epi8(-128);
            while i + 16 <= n {
                let v = _mm_loadu_si128(p.add(i).cast());
                _mm_storeu_si128(p.add(i).cast(), _mm_xor_si128(v, m));
                i += 16;
            }
            while i < n {
                *p.add(i) ^= 0x80;
                i += 1;
            }
        }
    }

    /// A VNNI panel of a B whose columns are contiguous (`rs = 1`): each
    /// group is 4 bytes of a column, copied as one 32-bit word.
    ///
    /// # Safety
    /// As `pack_b_panel`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn panel_cols_words(
        b: *const u8,
        cs: isize,
        kc: usize,
        cols: usize,
        nr: usize,
        dst: *mut u8,
        g0: usize,
        j0: usize,
    ) {
        let groups = kc.div_ceil(4);
        for j in 0..nr {
            let col = b.wrapping_offset(j as isize * cs);
            let from = if j < j0 { g0 } else { 0 };
            for g in from..groups {
                let mut v = [0u8; 4];
                if j < cols {
                    let take = (kc - 4 * g).min(4);
                    // SAFETY: B[4g..4g+take, j]. (A whole group is one
                    // unaligned word: a copy of `take` bytes is a call
                    // to memcpy, 29 % of case a's time at `avxvnni`.)
                    unsafe {
                        if take == 4 {
                            v = core::ptr::read_unaligned(col.add(4 * g).cast());
                        } else {
                            core::ptr::copy_nonoverlapping(col.add(4 * g), v.as_mut_ptr(), take);
                        }
                    }
                }
                // SAFETY: the panel's group g, column j.
                unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), dst.add((g * nr + j) * 4), 4) };
            }
        }
    }

    /// `panel_cols_words` by W×W transposes of 32-bit words (W to a vector
    /// of type V: load, store, transpose) for the whole groups of whole
    /// W-column blocks; the rest word by word.
    macro_rules! panel_cols_by {
        ($(#[$doc:meta])* $name:ident, $w:literal, $V:ty, $load:ident, $store:ident, $tr:path) => {
            $(#[$doc])*
            #[inline(always)]
            unsafe fn $name(b: *const u8, cs: isize, kc: usize, cols: usize, nr: usize, dst: *mut u8) {
                let g0 = kc / 4 / $w * $w;
                let j0 = cols / $w * $w;
                // SAFETY: W·4 bytes = groups gb..gb+W (whole, inside kc)
                // of columns jb..jb+W (inside cols); the panel's groups
                // and columns.
                unsafe {
                    for jb in (0..j0).step_by($w) {
                        for gb in (0..g0).step_by($w) {
                            let r: [$V; $w] = core::array::from_fn(|q| {
                                $load(b.wrapping_offset((jb + q) as isize * cs).add(4 * gb).cast())
                            });
                            for (p, v) in $tr(r).iter().enumerate() {
                                $store(dst.add(((gb + p) * nr + jb) * 4).cast(), *v);
                            }
                        }
                    }
                    panel_cols_words(b, cs, kc, cols, nr, dst, g0, j0);
                }
            }
        };
    }

    panel_cols_by!(
        /// In 16×16 blocks (512-bit vectors).
        ///
        /// # Safety
        /// As `pack_b_panel`; avx512f.
        panel_cols16,
        16,
        __m512,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        super::super::pack::transpose16
    );
    panel_cols_by!(
        /// In 8×8 blocks (256-bit vectors): at `avxvnni`, case a (B's
        /// columns contiguous) in 0.80 of the time of word by word.
        ///
        /// # Safety
        /// As `pack_b_panel`; AVX2.
        panel_cols8,
        8,
        __m256,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        transpose8x8
    );

    /// 8×8 transpose of 32-bit words: out[p] lane q = r[q] lane p.
    ///
    /// # Safety
    /// AVX.
    #[inline(always)]
    unsafe fn transpose8x8(r: [__m256; 8]) -> [__m256; 8] {
        // SAFETY: AVX (caller).
        unsafe {
            let t: [__m256; 8] = core::array::from_fn(|i| {
                let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
                if i % 2 == 0 {
                    _mm256_unpacklo_ps(a, b)
                } else {
                    _mm256_unpackhi_ps(a, b)
                }
            });
            // u[4h + 2s + w]: groups 2s + w (+ 4 in the high lane) of
            // rows 4h..4h+4.
            let u: [__m256; 8] = core::array::from_fn(|i| {
                let (h, s, w) = (i / 4, i / 2 % 2, i % 2);
                let (a, b) = (t[4 * h + s], t[4 * h + 2 + s]);
                if w == 0 {
                    _mm256_shuffle_ps::<0x44>(a, b)
                } else {
                    _mm256_shuffle_ps::<0xEE>(a, b)
                }
            });
            core::array::from_fn(|p| {
                if p < 4 {
                    _mm256_permute2f128_ps::<0x20>(u[p], u[4 + p])
                } else {
                    _mm256_permute2f128_ps::<0x31>(u[p - 4], u[p])
                }
            })
        }
    }

    /// A `vpmaddwd` panel of a B whose rows are contiguous: pairs of rows
    /// widened to words and interleaved, 8 columns at a time.
    ///
    /// # Safety
    /// As `pack_b_panel`; SSE4.1.
    #[inline(always)]
    unsafe fn panel_rows2w(
        b: *const u8,
        rs: isize,
        kc: usize,
        cols: usize,
        nr: usize,
        u: bool,
        dst: *mut u8,
    ) {
        for g in 0..kc.div_ceil(2) {
            let src = b.wrapping_offset((2 * g) as isize * rs);
            let left = kc - 2 * g;
            let d = dst.wrapping_add(g * nr * 4);
            let mut j = 0;
            while j + 8 <= cols {
                // SAFETY: 8 bytes of rows 2g, 2g+1 (or zeros), 32 bytes
                // of the panel.
                unsafe {
                    let l0 = _mm_loadl_epi64(row_at(src, rs, 0, left, j).cast());
                    let l1 = _mm_loadl_epi64(row_at(src, rs, 1, left, j).cast());
                    let (w0, w1) = if u {
                        (_mm_cvtepu8_epi16(l0), _mm_cvtepu8_epi16(l1))
                    } else {
                        (_mm_cvtepi8_epi16(l0), _mm_cvtepi8_epi16(l1))
                    };
                    _mm_storeu_si128(d.add(j * 4).cast(), _mm_unpacklo_epi16(w0, w1));
                    _mm_storeu_si128(d.add(j * 4 + 16).cast(), _mm_unpackhi_epi16(w0, w1));
                }
                j += 8;
            }
            for jj in j..nr {
                let mut v = [0u8; 4];
                if jj < cols {
                    for t in 0..left.min(2) {
                        // SAFETY: B[2g + t, jj].
                        let x =
                            val(unsafe { *src.wrapping_offset(t as isize * rs).add(jj) }, u) as i16;
                        v[2 * t..2 * t + 2].copy_from_slice(&x.to_le_bytes());
                    }
                }
                // SAFETY: the panel's group g, column jj.
                unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), d.add(jj * 4), 4) };
            }
        }
    }

    /// `Dp::pack_panel` of the VNNI levels: rows of B interleaved when
    /// they are contiguous, else columns copied as words (by 16×16
    /// transposes with `wide`, AVX-512, else by 8×8 ones, AVX2).
    ///
    /// # Safety
    /// As `pack_b_panel`; AVX2, and avx512f with `wide`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) unsafe fn vnni_panel(
        b: *const u8,
        rs: isize,
        cs: isize,
        kc: usize,
        cols: usize,
        nr: usize,
        dst: *mut u8,
        wide: bool,
    ) -> bool {
        // SAFETY: the caller's.
        unsafe {
            if cs == 1 {
                panel_rows4(b, rs, kc, cols, nr, dst);
            } else if rs == 1 && wide {
                panel_cols16(b, cs, kc, cols, nr, dst);
            } else if rs == 1 {
                panel_cols8(b, cs, kc, cols, nr, dst);
            } else {
                return false;
            }
        }
        true
    }

    /// `Dp::pack_a_panel` of the VNNI levels.
    ///
    /// # Safety
    /// As `Dp::pack_a_panel`; SSE2.
    #[inline(always)]
    pub(super) unsafe fn vnni_a_panel(
        a: *const u8,
        cs: isize,
        kc: usize,
        rows: usize,
        ld: usize,
        flip: bool,
        dst: *mut u8,
    ) -> bool {
        // SAFETY: the caller's.
        unsafe {
            panel_rows4(a, cs, kc, rows, ld, dst);
            if flip {
                flip_bytes(dst, kc.div_ceil(4) * ld * 4);
            }
        }
        true
    }

    /// The methods of `Dp` that are one intrinsic each (the vector type,
    /// then zero, unaligned load and store, broadcast, add, subtract).
    macro_rules! dp_basics {
        ($V:ty, $zero:ident, $load:ident, $store:ident, $set1:ident, $add:ident, $sub:ident) => {
            #[inline(always)]
            unsafe fn zero() -> $V {
                // SAFETY: the level's features.
                unsafe { $zero() }
            }
            #[inline(always)]
            unsafe fn load(p: *const i32) -> $V {
                // SAFETY: the caller's.
                unsafe { $load(p.cast()) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut i32, v: $V) {
                // SAFETY: the caller's.
                unsafe { $store(p.cast(), v) }
            }
            #[inline(always)]
            unsafe fn bcast(p: *const u8) -> $V {
                // SAFETY: the caller's: 4 readable bytes.
                unsafe { $set1(core::ptr::read_unaligned(p.cast::<i32>())) }
            }
            #[inline(always)]
            unsafe fn add(a: $V, b: $V) -> $V {
                // SAFETY: the level's features.
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            unsafe fn sub(a: $V, b: $V) -> $V {
                // SAFETY: the level's features.
                unsafe { $sub(a, b) }
            }
        };
    }

    /// 512-bit `vpdpbusd` (AVX512_VNNI + AVX512BW).
    pub(crate) struct Vnni512;

    impl Dp for Vnni512 {
        type V = __m512i;
        const LANES: usize = 16;
        const KG: usize = 4;
        const BIAS: bool = true;
        dp_basics!(
            __m512i,
            _mm512_setzero_si512,
            _mm512_loadu_si512,
            _mm512_storeu_si512,
            _mm512_set1_epi32,
            _mm512_add_epi32,
            _mm512_sub_epi32
        );
        #[inline(always)]
        unsafe fn dp(acc: __m512i, u: __m512i, s: __m512i) -> __m512i {
            // SAFETY: the level's features.
            unsafe { _mm512_dpbusd_epi32(acc, u, s) }
        }
        const STREAM: bool = true;
        #[inline(always)]
        unsafe fn stream(p: *mut i32, v: __m512i) {
            // SAFETY: the caller's: 64 writable bytes, 64-byte aligned.
            unsafe { _mm512_stream_si512(p.cast(), v) }
        }
        #[inline(always)]
        unsafe fn fence() {
            // SAFETY: SSE.
            unsafe { _mm_sfence() }
        }
        #[inline(always)]
        unsafe fn sums16(v: &[__m512i; 16]) -> Option<__m512i> {
            // SAFETY: the level's features.
            unsafe {
                // Pairs of vectors: each 128-bit lane holds the two halves'
                // sums of both, then of four vectors (one per 32 bits).
                let mut p = [_mm512_setzero_si512(); 8];
                for (j, pj) in p.iter_mut().enumerate() {
                    let (a, b) = (v[2 * j], v[2 * j + 1]);
                    *pj =
                        _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
                }
                let mut q = [_mm512_setzero_si512(); 4];
                for (j, qj) in q.iter_mut().enumerate() {
                    let (a, b) = (p[2 * j], p[2 * j + 1]);
                    *qj =
                        _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
                }
                // q[j]'s 128-bit lanes hold vectors 4j..4j+4's partial
                // sums: add the four lanes, in vector order.
                macro_rules! h {
                    ($a:expr, $b:expr) => {{
                        let (a, b) = ($a, $b);
                        _mm512_add_epi32(
                            _mm512_shuffle_i32x4::<0b10_00_10_00>(a, b),
                            _mm512_shuffle_i32x4::<0b11_01_11_01>(a, b),
                        )
                    }};
                }
                Some(h!(h!(q[0], q[1]), h!(q[2], q[3])))
            }
        }
        #[inline(always)]
        unsafe fn flip(v: __m512i) -> __m512i {
            // SAFETY: the level's features.
            unsafe { _mm512_xor_si512(v, _mm512_set1_epi8(-128)) }
        }
        #[inline(always)]
        unsafe fn load_k(p: *const u8, n: usize, _u: bool) -> __m512i {
            // SAFETY: n readable bytes; masked-off bytes are not read.
            unsafe {
                if n >= 64 {
                    _mm512_loadu_si512(p.cast())
                } else {
                    let m: __mmask64 = (1u64 << n) - 1;
                    _mm512_maskz_loadu_epi8(m, p.cast())
                }
            }
        }
        #[inline(always)]
        unsafe fn reduce(v: __m512i) -> i32 {
            // SAFETY: the level's features.
            unsafe { _mm512_reduce_add_epi32(v) }
        }
        const HAS_K2: bool = true;
        #[inline(always)]
        unsafe fn load_k2(p: *const u8, n: usize, _u: bool) -> __m512i {
            // SAFETY: bytes p[0..2n-1] are readable; masked-off bytes are
            // not read. The even bytes are the low bytes of the words.
            unsafe {
                let len = 2 * n - 1;
                let m = |l: usize| -> __mmask64 {
                    if l >= 64 {
                        !0
                    } else {
                        (1u64 << l) - 1
                    }
                };
                let lo = _mm512_maskz_loadu_epi8(m(len), p.cast());
                let hi = if len > 64 {
                    _mm512_maskz_loadu_epi8(m(len - 64), p.add(64).cast())
                } else {
                    _mm512_setzero_si512()
                };
                let lo = _mm512_cvtepi16_epi8(lo);
                let hi = _mm512_cvtepi16_epi8(hi);
                _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi)
            }
        }
        const VNNI_PACK: Option<bool> = Some(true);
    }

    /// `dp_basics!` of the 256-bit levels.
    macro_rules! dp_basics_256 {
        () => {
            dp_basics!(
                __m256i,
                _mm256_setzero_si256,
                _mm256_loadu_si256,
                _mm256_storeu_si256,
                _mm256_set1_epi32,
                _mm256_add_epi32,
                _mm256_sub_epi32
            );
        };
    }

    /// 256-bit `vpdpbusd`: `$intr` is the VEX (AVX-VNNI) or the EVEX
    /// (AVX512_VNNI + VL) intrinsic.
    macro_rules! vnni256 {
        ($name:ident, $intr:ident) => {
            pub(crate) struct $name;
            impl Dp for $name {
                type V = __m256i;
                const LANES: usize = 8;
                const KG: usize = 4;
                const BIAS: bool = true;
                dp_basics_256!();
                #[inline(always)]
                unsafe fn dp(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
                    // SAFETY: the level's features.
                    unsafe { $intr(acc, u, s) }
                }
                #[inline(always)]
                unsafe fn flip(v: __m256i) -> __m256i {
                    // SAFETY: the level's features.
                    unsafe { _mm256_xor_si256(v, _mm256_set1_epi8(-128)) }
                }
                #[inline(always)]
                unsafe fn load_k(p: *const u8, n: usize, _u: bool) -> __m256i {
                    // SAFETY: n readable bytes.
                    unsafe {
                        if n >= 32 {
                            _mm256_loadu_si256(p.cast())
                        } else if n >= 16 {
                            // 16 bytes loaded, the rest (if any) copied:
                            // a copy of all n bytes to the stack, then a
                            // wider load, took e (K = 16) 20 ns a row.
                            let lo = _mm_loadu_si128(p.cast());
                            let hi = if n == 16 {
                                _mm_setzero_si128()
                            } else {
                                let t = partial::<16>(p.add(16), n - 16);
                                _mm_loadu_si128(t.as_ptr().cast())
                            };
                            _mm256_set_m128i(hi, lo)
                        } else {
                            let t = partial::<32>(p, n);
                            _mm256_loadu_si256(t.as_ptr().cast())
                        }
                    }
                }
                #[inline(always)]
                unsafe fn reduce(v: __m256i) -> i32 {
                    // SAFETY: the level's features.
                    unsafe { hsum256(v) }
                }
                const HAS_K2: bool = true;
                #[inline(always)]
                unsafe fn load_k2(p: *const u8, n: usize, _u: bool) -> __m256i {
                    // SAFETY: bytes p[0..2n-1] are readable.
                    unsafe {
                        if n >= 32 {
                            // p[0..32) and p[31..63): the even bytes of
                            // the first, the odd bytes of the second
                            // (p[32..63) by twos), packed in each lane,
                            // then the quarters put in order.
                            let lo = _mm256_loadu_si256(p.cast());
                            let hi = _mm256_loadu_si256(p.add(31).cast());
                            let lo = _mm256_and_si256(lo, _mm256_set1_epi16(0xff));
                            let hi = _mm256_srli_epi16::<8>(hi);
                            _mm256_permute4x64_epi64::<0xD8>(_mm256_packus_epi16(lo, hi))
                        } else {
                            // (A byte loop: a copy of n bytes is a call
                            // to memcpy.)
                            let mut t = [0u8; 32];
                            for (i, v) in t.iter_mut().enumerate().take(n) {
                                *v = *p.add(2 * i);
                            }
                            _mm256_loadu_si256(t.as_ptr().cast())
                        }
                    }
                }
                const VNNI_PACK: Option<bool> = Some(false);
            }
        };
    }

    /// The sum of 8 i32 lanes.
    #[inline(always)]
    unsafe fn hsum256(v: __m256i) -> i32 {
        // SAFETY: AVX2 (every level that calls it has it).
        unsafe {
            let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
            _mm_cvtsi128_si32(s)
        }
    }

    vnni256!(VnniVex, _mm256_dpbusd_avx_epi32);
    vnni256!(VnniEvex, _mm256_dpbusd_epi32);

    /// AVX2 without VNNI: `vpmaddwd` on operands widened to 16 bits.
    pub(crate) struct Madd;

    impl Dp for Madd {
        type V = __m256i;
        const LANES: usize = 8;
        const KG: usize = 2;
        const BIAS: bool = false;
        dp_basics_256!();
        #[inline(always)]
        unsafe fn dp(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
            // SAFETY: AVX2. Each pair sums two products of at most
            // 255·128 in magnitude: no overflow of the 32-bit lane.
            unsafe { _mm256_add_epi32(acc, _mm256_madd_epi16(u, s)) }
        }
        #[inline(always)]
        unsafe fn flip(v: __m256i) -> __m256i {
            v
        }
        #[inline(always)]
        unsafe fn load_k(p: *const u8, n: usize, u: bool) -> __m256i {
            // SAFETY: n readable bytes.
            unsafe {
                let b = if n >= 16 {
                    _mm_loadu_si128(p.cast())
                } else {
                    let t = partial::<16>(p, n);
                    _mm_loadu_si128(t.as_ptr().cast())
                };
                if u {
                    _mm256_cvtepu8_epi16(b)
                } else {
                    _mm256_cvtepi8_epi16(b)
                }
            }
        }
        #[inline(always)]
        unsafe fn reduce(v: __m256i) -> i32 {
            // SAFETY: AVX2.
            unsafe { hsum256(v) }
        }
        #[inline(always)]
        unsafe fn pack_panel(
            b: *const u8,
            rs: isize,
            cs: isize,
            kc: usize,
            cols: usize,
            nr: usize,
            u: bool,
            dst: *mut u8,
        ) -> bool {
            if cs != 1 {
                return false;
            }
            // SAFETY: the caller's; AVX2 (SSE4.1).
            unsafe { panel_rows2w(b, rs, kc, cols, nr, u, dst) };
            true
        }
    }

    int_level!(
        Vnni512L,
        Vnni512,
        6,
        4,
        "avx512f,avx512bw,avx512vnni,avx2,fma"
    );
    int_level!(
        VnniEvexL,
        VnniEvex,
        6,
        2,
        "avx512f,avx512vl,avx512vnni,avx2,fma"
    );
    int_level!(VnniVexL, VnniVex, 6, 2, "avxvnni,avx2,fma");
    int_level!(MaddL, Madd, 6, 2, "avx2,fma");

    // Level `amx`: the GEMM on AMX tiles (`int8_amx.rs`), every other
    // regime `Vnni512L`'s.
    int_level!(
        AmxL,
        Vnni512,
        6,
        4,
        "avx512f,avx512bw,avx512vnni,avx2,fma";
        tiles: amx_gemm
    );

    /// The `amx` level's GEMM. The rows a tile reads are packed by vector
    /// code from an A with K steps contiguous or 2 apart, or with rows
    /// contiguous (a transposed x, g2); any other A would be packed byte
    /// by byte, and the VNNI GEMM, which broadcasts it group by group, is
    /// faster there.
    ///
    /// # Safety
    /// As `gemm`; `amx::enter` ran on this thread.
    #[inline(always)]
    unsafe fn amx_gemm(ij: IntJob, g: &Geom, p: P, r0: usize, r1: usize, buf: *mut f32) {
        // SAFETY: the contract.
        unsafe {
            if g.a_cs == 1 || (g.a_cs == 2 && <Vnni512 as Dp>::HAS_K2) || g.a_rs == 1 {
                super::amx::gemm(ij, g, p, r0, r1, buf)
            } else {
                gemm::<Vnni512, 6, 4>(ij, g, p, r0, r1, buf)
            }
        }
    }
}

/// Items `lo..hi` of an int8 job at level `L` (the items of
/// `exec::run_items`: runs of whole blocks, or row parts of blocks).
///
/// # Safety
/// As `Element::exec_items` for `job`, whose x and y point to int8/uint8
/// elements and out to int32; `buf` is a private, 64-byte aligned scratch
/// buffer of `scratch_len` f32 for this job.
#[inline(always)]
pub(super) unsafe fn run_items<L: IntLevel>(
    job: &Job<'_, f32>,
    ij: IntJob,
    lo: usize,
    hi: usize,
    buf: *mut f32,
) {
    let g = job.geom();
    let (ext, strides) = job.inner();
    let (x, y, out) = job.ptrs();
    let base = P {
        a: x.cast(),
        b: y.cast(),
        c: out.cast(),
    };
    // Whether `L::enter` ran on this thread (at the first GEMM: it costs
    // about 45 ns at AMX, which a tiny call must not pay).
    let mut ready = false;
    // SAFETY: each item is one of the job's (contract).
    unsafe {
        if job.parts() == 1 {
            let mut b = lo;
            while b < hi {
                let count = (ext - b % ext).min(hi - b);
                let p = base.at(job.offsets(b));
                match job.kind() {
                    Kind::Dot => L::dots(ij, g.k, count, p.a, p.b, p.c, strides),
                    Kind::Gemm { .. } if L::small(ij, &g, count, p.a, p.b, p.c, strides) => {}
                    kind => {
                        for i in 0..count as isize {
                            let q = p.at((i * strides.0, i * strides.1, i * strides.2));
                            rows::<L>(kind, ij, &g, q, 0, g.m, buf, &mut ready);
                        }
                    }
                }
                b += count;
            }
        } else {
            let (parts, part_rows) = (job.parts(), job.part_rows());
            for item in lo..hi {
                let (b, part) = (item / parts, item % parts);
                let r0 = part * part_rows;
                let r1 = (r0 + part_rows).min(g.m);
                rows::<L>(
                    job.kind(),
                    ij,
                    &g,
                    base.at(job.offsets(b)),
                    r0,
                    r1,
                    buf,
                    &mut ready,
                );
            }
        }
        if ready {
            L::leave();
        }
    }
}

/// Rows `r0..r1` of the block at `p`; `ready`: whether `L::enter` ran
/// (a GEMM runs it first).
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn rows<L: IntLevel>(
    kind: Kind,
    ij: IntJob,
    g: &Geom,
    p: P,
    r0: usize,
    r1: usize,
    buf: *mut f32,
    ready: &mut bool,
) {
    // SAFETY: rows r0..r1 of one block (contract).
    unsafe {
        match kind {
            Kind::Zero => {
                // K = 0: every sum is 0 (with beta = 1, out stays).
                if !ij.acc {
                    for i in r0..r1 {
                        for j in 0..g.n {
                            *p.c.wrapping_offset(i as isize * g.c_rs + j as isize * g.c_cs) = 0;
                        }
                    }
                }
            }
            Kind::Dot => L::dots(ij, g.k, 1, p.a, p.b, p.c, (0, 0, 0)),
            Kind::Gemv => L::gemv(ij, g, p.a, p.b, p.c, r0, r1),
            Kind::Gemm { .. } => {
                if !*ready {
                    L::enter();
                    *ready = true;
                }
                L::gemm(ij, g, p.a, p.b, p.c, r0, r1, buf)
            }
        }
    }
}
