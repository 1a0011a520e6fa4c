//! Calls with 16-bit floating inputs (bfloat16, float16): each regime
//! converts its operands to f32 while copying them into small scratch
//! tiles (`half::widen`, the "packing" of these dtypes), runs the f32
//! kernels of the same level on them, and stores the f32 sums through one
//! rounding to the output type (`half::store_out`; for a GEMM of one block
//! of K, in the f32 kernel's epilogue where it can: `gemm_one_block`). Row
//! dots and contiguous 4×4×4 / 8×8×8 blocks convert in registers instead
//! (`half::dots`, `half::tiny_avx512`), and at level `avx512bf16` the
//! bfloat16 GEMM runs on the dot-product instruction for the blocks it
//! computes exactly (`bf16dp.rs`).
//!
//! Why convert rather than compute in 16 bits: 16-bit FMAs would
//! accumulate in 16 bits, and a conversion is a shift (bf16) or one
//! instruction (f16) per 16 values, done once per tile and reused across
//! the tile's products (docs/PERFORMANCE.md has the figures).
//!
//! Numerics: those of the f32 kernels on the exactly converted inputs
//! (the same FMA chains, ascending blocks of `KC` steps in the GEMM), then
//! one rounding. With `BATCH_DOT_OPT_SCALE`, `alpha·s + beta·out` is
//! computed in f32 on the finished sum `s` (after every block of K) and
//! rounded once. None of it depends on the thread count.
//!
//! Scratch memory (per thread, in f32 elements) is `scratch_len`: tiles of
//! bounded size, whatever the problem's, except a mat-vec whose contraction
//! is longer than a tile, which takes two rows' worth; row dots take none.

use super::dispatch::WideLevel;
use super::exec::Job;
use super::gemm::Geom;
use super::half::{out_size, Half, OutTy, Wide};
use super::scale::{Plain, Scaled};
use super::select::{self, Kind};
use super::tuning::{KC, NC, WIDE_RA, WIDE_RA1, WIDE_RO, WIDE_SMALL_ELEMS};
use core::ptr::null_mut;

// `gemm_one_block`'s slabs fit the scratch `gemm_parts` sizes.
const _: () = assert!(WIDE_RA1 <= WIDE_RA && WIDE_RA1 <= WIDE_RO);

/// Scratch regions start at multiples of 16 f32 (64 bytes).
fn up16(n: usize) -> usize {
    n.next_multiple_of(16)
}

/// Products per chunk of the small-products loop.
fn small_chunk(m: usize, n: usize, k: usize) -> usize {
    (WIDE_SMALL_ELEMS / (m * k + k * n + m * n).max(1)).max(1)
}

/// The GEMM's scratch: (B panels, A slab, C rows) lengths for a product
/// with `n` columns and `rows` rows, at a level whose tile is `nr` wide.
pub(super) fn gemm_parts(n: usize, rows: usize, nr: usize) -> (usize, usize, usize) {
    let nc = n.min(NC);
    (
        up16(KC * nc.next_multiple_of(nr)),
        up16(WIDE_RA.min(rows) * KC),
        up16(WIDE_RO.min(rows) * nc),
    )
}

/// f32 elements of scratch one thread needs for `job` (0: none), with 16
/// elements of slack for alignment.
pub(super) fn scratch_len(kind: Kind, m: usize, n: usize, k: usize, rows: usize) -> usize {
    let len = match kind {
        Kind::Zero => 0,
        Kind::Dot | Kind::Gemv => 0,
        Kind::Gemm { .. } => {
            // The widest tile of any level (64 columns) bounds the padding.
            let (b, a, c) = gemm_parts(n, rows, 64);
            let s = small_chunk(m, n, k);
            (b + a + c).max(up16(s * m * k) + up16(s * k * n) + up16(s * m * n))
        }
    };
    if len == 0 {
        0
    } else {
        len + 16
    }
}

/// The job's pointers of one block (16-bit x and y, out as bytes).
#[derive(Clone, Copy)]
struct P {
    x: *const u16,
    y: *const u16,
    out: *mut u8,
}

impl P {
    /// The job's base pointers.
    #[inline(always)]
    fn of(job: &Job<'_, f32>) -> P {
        let (x, y, out) = job.ptrs();
        P {
            x: x.cast(),
            y: y.cast(),
            out: out.cast(),
        }
    }

    /// Moved by element offsets (x, y, out).
    #[inline(always)]
    fn at(self, w: Wide, o: (isize, isize, isize)) -> P {
        P {
            x: self.x.wrapping_offset(o.0),
            y: self.y.wrapping_offset(o.1),
            out: self.out.wrapping_offset(o.2.wrapping_mul(out_size(w))),
        }
    }
}

/// Items `lo..hi` of a job with 16-bit inputs at level `L`: the same items
/// as `exec::run_items` (runs of whole blocks, or row parts of blocks).
///
/// # Safety
/// `Element::exec_items` for `job`, whose x and y point to 16-bit elements
/// of `w.half` and out to elements of `w.out`; `buf` is a private, 64-byte
/// aligned scratch buffer of `scratch_len` elements for this job.
#[inline(always)]
pub(super) unsafe fn run_items<L: WideLevel>(
    job: &Job<'_, f32>,
    w: Wide,
    lo: usize,
    hi: usize,
    buf: *mut f32,
) {
    // Whole row dots (the tiny calls among them) first, on their own: the
    // loop below, with every regime inlined, sets up the others' constants
    // before it starts, which costs a tiny call more than its dot.
    if job.parts() == 1 && job.kind() == Kind::Dot {
        // SAFETY: forwarded contract.
        unsafe { dot_items::<L>(job, w, lo, hi) };
        return;
    }
    let g = job.geom();
    let (ext, strides) = job.inner();
    let base = P::of(job);
    let scale = job.scale();
    // SAFETY: each item is one of the job's (contract).
    unsafe {
        if job.parts() == 1 {
            let mut b = lo;
            while b < hi {
                let count = (ext - b % ext).min(hi - b);
                let p = base.at(w, job.offsets(b));
                // (Row dots never come here: `dot_items` runs them.)
                match job.kind() {
                    Kind::Gemm { .. } if select::small_fits(g.m, g.n, g.k, L::NR) => {
                        small::<L>(w, &g, count, p, strides, buf, scale)
                    }
                    _ => {
                        for i in 0..count as isize {
                            let o = (i * strides.0, i * strides.1, i * strides.2);
                            rows::<L>(job.kind(), w, &g, p.at(w, o), 0, g.m, buf, scale);
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
                let p = base.at(w, job.offsets(b));
                rows::<L>(job.kind(), w, &g, p, r0, r1, buf, scale);
            }
        }
    }
}

/// Items `lo..hi` of a row-dot job whose items are whole blocks: runs of
/// consecutive blocks along the innermost loop, as `run_items` walks them.
///
/// # Safety
/// As `run_items`.
#[inline(always)]
unsafe fn dot_items<L: WideLevel>(job: &Job<'_, f32>, w: Wide, lo: usize, hi: usize) {
    let k = job.geom().k;
    let (ext, strides) = job.inner();
    let base = P::of(job);
    let scale = job.scale();
    let mut b = lo;
    while b < hi {
        let count = (ext - b % ext).min(hi - b);
        let p = base.at(w, job.offsets(b));
        // SAFETY: blocks b..b+count, consecutive along the innermost loop
        // (contract).
        unsafe {
            if count == 1 {
                // One dot (every tiny call): straight, without the loop.
                L::dot16(w, k, p.x, p.y, p.out, scale)
            } else {
                L::dots16(w, k, count, p.x, p.y, p.out, strides, scale)
            }
        };
        b += count;
    }
}

/// Rows `r0..r1` of the block at `p`.
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn rows<L: WideLevel>(
    kind: Kind,
    w: Wide,
    g: &Geom,
    p: P,
    r0: usize,
    r1: usize,
    buf: *mut f32,
    scale: Option<Scaled<f32>>,
) {
    // SAFETY: rows r0..r1 of one block (contract).
    unsafe {
        match kind {
            Kind::Zero => {
                // K = 0: every sum is +0.0 (scaled, alpha·0 + beta·out).
                let zeros = [0.0f32; 64];
                for i in r0..r1 {
                    let mut j = 0;
                    while j < g.n {
                        let c = (g.n - j).min(64);
                        let o = p.out.wrapping_offset(
                            (i as isize * g.c_rs + j as isize * g.c_cs) * out_size(w),
                        );
                        L::store_out(w, zeros.as_ptr(), 1, c, 64, o, 0, g.c_cs, scale);
                        j += c;
                    }
                }
            }
            Kind::Dot => dots::<L>(w, g, 1, p, (0, 0, 0), scale),
            Kind::Gemv => gemv::<L>(w, g, p, r0, r1, scale),
            Kind::Gemm { .. } => gemm::<L>(w, g, p, r0, r1, buf, scale),
        }
    }
}

/// `count` row dots (m = n = 1, unit strides along K), `s` apart,
/// converted in registers (`half::dots`).
///
/// # Safety
/// As `run_items`, for these blocks.
#[inline(always)]
unsafe fn dots<L: WideLevel>(
    w: Wide,
    g: &Geom,
    count: usize,
    p: P,
    s: (isize, isize, isize),
    scale: Option<Scaled<f32>>,
) {
    // SAFETY: forwarded contract.
    unsafe { L::dots16(w, g.k, count, p.x, p.y, p.out, s, scale) }
}

/// Whether `count` blocks of `rows × cols` elements (strides `rs`, `cs`,
/// blocks `bs` apart) are one contiguous run of `count·rows·cols` elements.
fn one_run(rows: usize, cols: usize, rs: isize, cs: isize, bs: isize) -> bool {
    (cs == 1 || cols == 1) && (rs == cols as isize || rows == 1) && (bs == (rows * cols) as isize)
}

/// Many small products along one loop (few rows, one tile wide, one block
/// of K): chunks of them converted into contiguous blocks, `Level::small`
/// on those (whose fixed-size kernels then apply), then stored.
///
/// # Safety
/// As `run_items`, for these blocks.
#[inline(always)]
unsafe fn small<L: WideLevel>(
    w: Wide,
    g: &Geom,
    count: usize,
    p: P,
    s: (isize, isize, isize),
    buf: *mut f32,
    scale: Option<Scaled<f32>>,
) {
    let (m, n, k) = (g.m, g.n, g.k);
    // Contiguous n×n·n×n blocks: a kernel that converts in registers, where
    // the level has one.
    // SAFETY: forwarded contract (the blocks are contiguous, as checked).
    if select::fixed_square(g) && unsafe { L::tiny16(w, m, count, p.x, p.y, p.out, s, scale) } {
        return;
    }
    let chunk = small_chunk(m, n, k);
    let ab = buf;
    let bb = ab.wrapping_add(up16(chunk * m * k));
    let cb = bb.wrapping_add(up16(chunk * k * n));
    let flat_a = one_run(m, k, g.a_rs, g.a_cs, s.0);
    let flat_b = one_run(k, n, g.b_rs, g.b_cs, s.1);
    let flat_c = one_run(m, n, g.c_rs, g.c_cs, s.2);
    let cg = Geom {
        m,
        n,
        k,
        a_rs: k as isize,
        a_cs: 1,
        b_rs: n as isize,
        b_cs: 1,
        c_rs: n as isize,
        c_cs: 1,
        pack_b: false,
        acc: false,
    };
    let mut i = 0;
    while i < count {
        let c = chunk.min(count - i);
        let q = p.at(w, (i as isize * s.0, i as isize * s.1, i as isize * s.2));
        // SAFETY: products i..i+c of the run (contract); the scratch
        // regions hold c blocks each.
        unsafe {
            if flat_a {
                L::widen(w.half, q.x, 1, c * m * k, 0, 1, ab, 0);
            } else {
                for b in 0..c {
                    let src = q.x.wrapping_offset(b as isize * s.0);
                    L::widen(w.half, src, m, k, g.a_rs, g.a_cs, ab.add(b * m * k), k);
                }
            }
            if flat_b {
                L::widen(w.half, q.y, 1, c * k * n, 0, 1, bb, 0);
            } else {
                for b in 0..c {
                    let src = q.y.wrapping_offset(b as isize * s.1);
                    L::widen(w.half, src, k, n, g.b_rs, g.b_cs, bb.add(b * k * n), n);
                }
            }
            let st = ((m * k) as isize, (k * n) as isize, (m * n) as isize);
            L::small(&cg, c, ab, bb, cb, st, Plain);
            if flat_c {
                L::store_out(w, cb, 1, c * m * n, 0, q.out, 0, 1, scale);
            } else {
                for b in 0..c {
                    let o = q.out.wrapping_offset(b as isize * s.2 * out_size(w));
                    L::store_out(w, cb.add(b * m * n), m, n, n, o, g.c_rs, g.c_cs, scale);
                }
            }
        }
        i += c;
    }
}

/// Rows `r0..r1` of a mat-vec product (n = 1, unit strides along K): row
/// dots of each row with the vector (stride 0), converted in registers
/// (the vector once, when it has at most 2048 elements), one row after
/// another (the arithmetic of `stream::gemv`).
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
unsafe fn gemv<L: WideLevel>(
    w: Wide,
    g: &Geom,
    p: P,
    r0: usize,
    r1: usize,
    scale: Option<Scaled<f32>>,
) {
    let (x, out) = (
        p.x.wrapping_offset(r0 as isize * g.a_rs),
        p.out.wrapping_offset(r0 as isize * g.c_rs * out_size(w)),
    );
    // SAFETY: rows r0..r1 and the vector (contract).
    unsafe { L::dots16(w, g.k, r1 - r0, x, p.y, out, (g.a_rs, 0, g.c_rs), scale) }
}

/// `B[0..kc, 0..nc]` of the product `g` (from `src`) converted into the
/// packed panels `gemm::block` reads: panel q (columns q·nr..) at
/// `bb + q·nr·kc`, rows nr apart, for the level's `nr = L::NR`.
///
/// # Safety
/// Those elements of B lie in y; `bb` holds `kc·round_up(nc, nr)` f32.
#[inline(always)]
unsafe fn widen_panels<L: WideLevel>(
    w: Wide,
    g: &Geom,
    src: *const u16,
    kc: usize,
    nc: usize,
    bb: *mut f32,
) {
    let nr = L::NR;
    let mut j = 0;
    while j < nc {
        let c = nr.min(nc - j);
        let s = src.wrapping_offset(j as isize * g.b_cs);
        // SAFETY: columns j..j+c of the block, into panel j / nr (contract).
        unsafe { L::widen(w.half, s, kc, c, g.b_rs, g.b_cs, bb.add(j * kc), nr) };
        j += c;
    }
}

/// The geometry of `m` converted rows of A (`kc` apart) against the
/// panels of `widen_panels` (B read in place: panel q at
/// `q·nr·b_cs = q·nr·kc`), with sums into contiguous rows `n` apart.
fn tiles<L: WideLevel>(m: usize, n: usize, kc: usize) -> Geom {
    Geom {
        m,
        n,
        k: kc,
        a_rs: kc as isize,
        a_cs: 1,
        b_rs: L::NR as isize,
        b_cs: kc as isize,
        c_rs: n as isize,
        c_cs: 1,
        pack_b: false,
        acc: false,
    }
}

/// Rows `r0..r1` of a product, blocked as `gemm::block` is (blocks of `KC`
/// steps and `NC` columns): each block of B converted straight into the
/// packed panels `gemm::block` reads (`NV·LANES` columns wide), each slab
/// of `WIDE_RA` rows of A into contiguous rows, the sums of `WIDE_RO` rows
/// kept in f32 across the blocks of K, then stored once (a product of one
/// block of K: `gemm_one_block`).
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
unsafe fn gemm<L: WideLevel>(
    w: Wide,
    g: &Geom,
    p: P,
    r0: usize,
    r1: usize,
    buf: *mut f32,
    scale: Option<Scaled<f32>>,
) {
    // On the level's pair kernel (bfloat16's dot-product instruction or
    // tiles, float16 split on tiles), where it has one for these blocks.
    // SAFETY: forwarded contract.
    if unsafe { L::gemm_pairs(w, g, p.x, p.y, p.out, r0, r1, buf, scale) } {
        return;
    }
    let (b_len, a_len, _) = gemm_parts(g.n, r1 - r0, 64);
    let bb = buf;
    let ab = bb.wrapping_add(b_len);
    let cb = ab.wrapping_add(a_len);
    let ldc = g.n.min(NC);
    if g.k <= KC && g.n <= NC {
        // SAFETY: forwarded contract.
        unsafe { gemm_one_block::<L>(w, g, p, r0, r1, bb, ab, cb, scale) };
        return;
    }
    let mut ro = r0;
    while ro < r1 {
        let rows_o = WIDE_RO.min(r1 - ro);
        let mut jc = 0;
        while jc < g.n {
            let nc = NC.min(g.n - jc);
            let mut pc = 0;
            while pc < g.k {
                let kc = KC.min(g.k - pc);
                // SAFETY: B[pc..pc+kc, jc..jc+nc] lies in y; the panels end
                // at kc·round_up(nc, nr) <= b_len; then rows ro..ro+rows_o
                // of A (in x) by slabs into a_len, sums into rows_o·ldc.
                unsafe {
                    let src =
                        p.y.wrapping_offset(pc as isize * g.b_rs + jc as isize * g.b_cs);
                    widen_panels::<L>(w, g, src, kc, nc, bb);
                    let mut ra = 0;
                    while ra < rows_o {
                        let rows_a = WIDE_RA.min(rows_o - ra);
                        let a =
                            p.x.wrapping_offset((ro + ra) as isize * g.a_rs + pc as isize * g.a_cs);
                        L::widen(w.half, a, rows_a, kc, g.a_rs, g.a_cs, ab, kc);
                        let cg = Geom {
                            c_rs: ldc as isize,
                            acc: pc > 0,
                            ..tiles::<L>(rows_a, nc, kc)
                        };
                        let c = cb.add(ra * ldc);
                        L::gemm_rows(&cg, ab, bb, c, 0, rows_a, core::ptr::null_mut(), Plain);
                        ra += rows_a;
                    }
                }
                pc += kc;
            }
            // SAFETY: out's rows ro..ro+rows_o, columns jc..jc+nc (contract).
            unsafe {
                let o = p
                    .out
                    .wrapping_offset((ro as isize * g.c_rs + jc as isize * g.c_cs) * out_size(w));
                L::store_out(w, cb, rows_o, nc, ldc, o, g.c_rs, g.c_cs, scale);
            }
            jc += nc;
        }
        ro += rows_o;
    }
}

/// `gemm` for a product of one block of K and at most NC columns: B
/// converted once into the panels, then slabs of `WIDE_RA1` rows of A,
/// each converted, multiplied and stored at once (the general loop keeps
/// the sums of `WIDE_RO` rows until every block of K is done), the sums
/// straight into out where its layout allows.
///
/// # Safety
/// As `gemm`, with `bb`, `ab` and `cb` its scratch parts.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_one_block<L: WideLevel>(
    w: Wide,
    g: &Geom,
    p: P,
    r0: usize,
    r1: usize,
    bb: *mut f32,
    ab: *mut f32,
    cb: *mut f32,
    scale: Option<Scaled<f32>>,
) {
    let (kc, nc) = (g.k, g.n);
    let lanes = L::NR / L::NV;
    // SAFETY: B[0..kc, 0..nc] lies in y; the panels end at
    // kc·round_up(nc, nr) <= b_len; rows r0..r1 of A (in x) by slabs into
    // a_len, their sums into rows_a·nc <= c_len, stored into rows r0..r1
    // of out (contract).
    unsafe {
        widen_panels::<L>(w, g, p.y, kc, nc, bb);
        let mut ra = r0;
        while ra < r1 {
            let rows_a = WIDE_RA1.min(r1 - ra);
            let a = p.x.wrapping_offset(ra as isize * g.a_rs);
            L::widen(w.half, a, rows_a, kc, g.a_rs, g.a_cs, ab, kc);
            let cg = tiles::<L>(rows_a, nc, kc);
            let o = p.out.wrapping_offset(ra as isize * g.c_rs * out_size(w));
            // The sums straight into out where its rows are contiguous:
            // unrounded (f32 out) through the f32 epilogues, rounded by
            // `half::Narrow` (unscaled float16 out, rows of whole vectors);
            // else through an f32 tile and `store_out`.
            let oc = Geom { c_rs: g.c_rs, ..cg };
            match (w.out, scale) {
                (OutTy::F32, None) if g.c_cs == 1 => {
                    L::gemm_rows(&oc, ab, bb, o.cast(), 0, rows_a, null_mut(), Plain)
                }
                (OutTy::F32, Some(s)) if g.c_cs == 1 => {
                    L::gemm_rows(&oc, ab, bb, o.cast(), 0, rows_a, null_mut(), s)
                }
                (OutTy::Same, None) if g.c_cs == 1 && nc % lanes == 0 => match w.half {
                    Half::F16 => L::gemm_narrow::<false>(&cg, ab, bb, o.cast(), g.c_rs),
                    Half::Bf16 => L::gemm_narrow::<true>(&cg, ab, bb, o.cast(), g.c_rs),
                },
                _ => {
                    L::gemm_rows(&cg, ab, bb, cb, 0, rows_a, null_mut(), Plain);
                    L::store_out(w, cb, rows_a, nc, nc, o, g.c_rs, g.c_cs, scale);
                }
            }
            ra += rows_a;
        }
    }
}
