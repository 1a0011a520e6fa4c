//! Execution: runs a plan. Classifies it (`select.rs`), splits it over
//! threads, allocates the scratch memory packing needs, and walks each
//! thread's items (runs of whole blocks, or row parts of blocks), handing
//! them to the kernels of the chosen level (`dispatch.rs`).

use super::dispatch::Level;
use super::gemm;
use super::half::Wide;
use super::int8::IntJob;
use super::isa::{self, Isa};
use super::scale::{Epi, Plain, Scaled};
use super::select::{self, Core, Kind};
use super::Element;
use crate::error::{Error, Result};
use crate::plan::{LoopDim, Plan};

#[cfg(test)]
use super::select::record::{self, Ran};

/// A classified call: the plan's loops, its (possibly transposed) core,
/// its regime and how its items (blocks × row parts) are numbered.
#[doc(hidden)]
pub struct Job<'a, T> {
    loops: &'a [LoopDim],
    swapped: bool,
    core: Core,
    kind: Kind,
    blocks: usize,
    /// Row parts per block (>= 1); item = block · parts + part.
    parts: usize,
    /// Rows per part (a multiple of `PART_ROWS_MULTIPLE` unless parts == 1).
    part_rows: usize,
    /// `BATCH_DOT_OPT_SCALE`'s alpha and beta (`None`: the plain product).
    scale: Option<Scaled<T>>,
    /// 16-bit inputs (`wide.rs`): then `T` is f32, the type the kernels
    /// compute in, and x, y, out point to elements of these types instead.
    wide: Option<Wide>,
    /// int8 inputs (`int8.rs`): then `T` is f32 only as a placeholder,
    /// and x, y point to 1-byte elements, out to int32.
    int: Option<IntJob>,
    x: *const T,
    y: *const T,
    out: *mut T,
}

// SAFETY: a Job is shared between the threads of one call only. Its inputs
// are read-only, and distinct items write disjoint output elements (the out
// layout reaches no element twice); the caller keeps the buffers alive until
// every item has run.
unsafe impl<T: Element> Sync for Job<'_, T> {}

impl<T: Copy> Job<'_, T> {
    /// Scratch elements a thread needs (0: none), with 64 bytes of slack
    /// for alignment.
    fn buf_len(&self) -> usize {
        if self.int.is_some() {
            return super::int8::scratch_len(self.kind, self.core.n, self.core.k);
        }
        if self.wide.is_some() {
            let rows = if self.parts > 1 {
                self.part_rows
            } else {
                self.core.m
            };
            return super::wide::scratch_len(
                self.kind,
                self.core.m,
                self.core.n,
                self.core.k,
                rows,
            );
        }
        match self.kind {
            Kind::Gemm { pack_b: true } => gemm::scratch_len(self.core.n) + 64,
            _ => 0,
        }
    }

    /// The 16-bit input types, if the job has them.
    pub(super) fn wide(&self) -> Option<Wide> {
        self.wide
    }

    /// The int8 signedness and accumulation, if the job has int8 inputs.
    pub(super) fn int(&self) -> Option<IntJob> {
        self.int
    }

    /// The regime.
    pub(super) fn kind(&self) -> Kind {
        self.kind
    }

    /// Row parts per block (1: items are whole blocks).
    pub(super) fn parts(&self) -> usize {
        self.parts
    }

    /// Rows per part.
    pub(super) fn part_rows(&self) -> usize {
        self.part_rows
    }

    /// The scale (alpha, beta), if any.
    pub(super) fn scale(&self) -> Option<Scaled<T>> {
        self.scale
    }

    /// The data pointers (x, y, out) in the job's orientation.
    pub(super) fn ptrs(&self) -> (*const T, *const T, *mut T) {
        (self.x, self.y, self.out)
    }

    /// Number of items (blocks × parts).
    fn items(&self) -> usize {
        self.blocks * self.parts
    }

    /// Strides of loop `d` in (x, y, out), in the job's orientation.
    fn strides(&self, d: &LoopDim) -> (isize, isize, isize) {
        if self.swapped {
            (d.ys, d.xs, d.os)
        } else {
            (d.xs, d.ys, d.os)
        }
    }

    /// The innermost loop (the one tiny kernels loop over): its extent and
    /// strides, or a unit loop.
    pub(super) fn inner(&self) -> (usize, (isize, isize, isize)) {
        match self.loops.last() {
            Some(d) => (d.ext, self.strides(d)),
            None => (1, (0, 0, 0)),
        }
    }

    /// Element offsets of block `b` (in loop order, innermost fastest).
    pub(super) fn offsets(&self, mut b: usize) -> (isize, isize, isize) {
        let c = &self.core;
        let (mut xo, mut yo, mut oo) = (c.x_off, c.y_off, c.o_off);
        for d in self.loops.iter().rev() {
            let i = (b % d.ext) as isize;
            b /= d.ext;
            let (xs, ys, os) = self.strides(d);
            xo = xo.wrapping_add(i.wrapping_mul(xs));
            yo = yo.wrapping_add(i.wrapping_mul(ys));
            oo = oo.wrapping_add(i.wrapping_mul(os));
        }
        (xo, yo, oo)
    }

    pub(super) fn geom(&self) -> gemm::Geom {
        let c = &self.core;
        gemm::Geom {
            m: c.m,
            n: c.n,
            k: c.k,
            a_rs: c.x_ms,
            a_cs: c.x_ks,
            b_rs: c.y_ks,
            b_cs: c.y_ns,
            c_rs: c.o_ms,
            c_cs: c.o_ns,
            pack_b: matches!(self.kind, Kind::Gemm { pack_b: true }),
            acc: false,
        }
    }
}

/// Executes `plan`.
///
/// # Safety
/// `plan` comes from `plan::build` on layouts that passed every check of
/// docs/API.md for these very pointers: every element reached by
/// `x + x_off + loops·xs + i·x_ms + t·x_ks` (likewise y and out) lies inside
/// the caller's buffers, out does not overlap x or y, and out reaches no
/// element twice. `x` and `y` may be dangling only when `plan.k == 0`.
pub unsafe fn run<T: Element>(
    plan: &Plan,
    threads: usize,
    scale: Option<(f64, f64)>,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { run_at(plan, threads, isa::active(), scale, x, y, out) }
}

/// `run` at a given instruction-set level (capped to what the CPU supports),
/// unscaled. For tests and benchmarks that compare levels.
///
/// # Safety
/// As `run`.
#[cfg(test)]
pub unsafe fn run_with<T: Element>(
    plan: &Plan,
    threads: usize,
    isa: Isa,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { run_at(plan, threads, isa, None, x, y, out) }
}

/// `run` at a given instruction-set level (capped to what the CPU supports).
/// With `scale = Some((alpha, beta))`, `out = alpha·(x·y) + beta·out`
/// (`BATCH_DOT_OPT_SCALE`).
///
/// # Safety
/// As `run`.
#[doc(hidden)]
pub unsafe fn run_at<T: Element>(
    plan: &Plan,
    threads: usize,
    isa: Isa,
    scale: Option<(f64, f64)>,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { run_job(plan, threads, isa, scale, None, None, x, y, out) }
}

/// `run_at` for 16-bit inputs: x and y hold elements of `w.half`, out of
/// `w.out` (`wide.rs`).
///
/// # Safety
/// As `run`, for elements of those types.
#[allow(clippy::too_many_arguments)]
pub unsafe fn run_wide_at(
    plan: &Plan,
    threads: usize,
    isa: Isa,
    scale: Option<(f64, f64)>,
    w: Wide,
    x: *const u16,
    y: *const u16,
    out: *mut u8,
) -> Result<()> {
    // SAFETY: forwarded contract; the f32 pointers only carry the
    // addresses (`wide.rs` reads and writes them as `w`'s types).
    unsafe {
        run_job::<f32>(
            plan,
            threads,
            isa,
            scale,
            Some(w),
            None,
            x.cast(),
            y.cast(),
            out.cast(),
        )
    }
}

/// `run_at` for int8 inputs: x holds uint8 (`x_u8`) or int8, y int8, out
/// int32; `acc`: out += x·y (beta = 1), else out = x·y; modulo 2³².
///
/// # Safety
/// As `run`, for elements of those types.
#[allow(clippy::too_many_arguments)]
pub unsafe fn run_int_at(
    plan: &Plan,
    threads: usize,
    isa: Isa,
    x_u8: bool,
    acc: bool,
    x: *const u8,
    y: *const u8,
    out: *mut i32,
) -> Result<()> {
    let outs = plan.blocks().saturating_mul(plan.m).saturating_mul(plan.n);
    let ij = IntJob {
        a_u8: x_u8,
        b_u8: false,
        acc,
        stream: outs >= super::int8::STREAM_BYTES / 4,
    };
    // SAFETY: forwarded contract; the f32 pointers only carry the
    // addresses (`int8.rs` reads and writes them as the int types).
    unsafe {
        run_job::<f32>(
            plan,
            threads,
            isa,
            None,
            None,
            Some(ij),
            x.cast(),
            y.cast(),
            out.cast(),
        )
    }
}

/// `run_at`, or `run_wide_at` with `wide` (then `T` is f32).
///
/// # Safety
/// As `run_at` / `run_wide_at`.
#[allow(clippy::too_many_arguments)]
unsafe fn run_job<T: Element>(
    plan: &Plan,
    threads: usize,
    isa: Isa,
    scale: Option<(f64, f64)>,
    wide: Option<Wide>,
    int: Option<IntJob>,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    let isa = isa.capped();
    let blocks = plan.blocks();
    if blocks == 0 {
        return Ok(());
    }
    // Element size of the inputs (what the regime and thread rules weigh).
    let elem = if int.is_some() {
        1
    } else if wide.is_some() {
        2
    } else {
        size_of::<T>()
    };
    let (swapped, kind) = select::classify(plan, elem);
    // The operands' signedness follows them when the job transposes.
    let int = int.map(|i| {
        if swapped {
            IntJob {
                a_u8: i.b_u8,
                b_u8: i.a_u8,
                ..i
            }
        } else {
            i
        }
    });
    let core = Core::of(plan, swapped);
    let (x, y) = if swapped { (y, x) } else { (x, y) };
    let split = select::split(
        plan,
        elem,
        core.m,
        kind,
        blocks,
        threads,
        crate::threads::cpus,
    );
    let nt = split.threads;
    let job = Job {
        loops: &plan.loops[..plan.nloops],
        swapped,
        core,
        kind,
        blocks,
        parts: split.parts,
        part_rows: split.part_rows,
        scale: scale.map(|(a, b)| Scaled::new(a, b)),
        wide,
        int,
        x,
        y,
        out,
    };
    let items = job.items();
    // Chunks are claimed dynamically; scratch buffers go by thread.
    let chunks = split.chunks;
    // Scratch buffers (only when packing), allocated before any write and
    // never read before written (so not initialised).
    let buf_len = job.buf_len();
    let mut scratch: Vec<T> = Vec::new();
    if buf_len > 0 {
        scratch.try_reserve_exact(buf_len * nt).map_err(|_| {
            Error::Allocation(format!(
                "could not allocate {} bytes of scratch memory.",
                buf_len * nt * core::mem::size_of::<T>()
            ))
        })?;
    }
    let base = SendPtr(scratch.as_mut_ptr());
    let buf_of = |slot: usize| -> *mut T {
        if buf_len > 0 {
            // 64-byte aligned start inside the slot's slice (64 elements of
            // slack), in the vector's reserved capacity.
            let p = base.get().wrapping_add(slot * buf_len);
            let mis = (p as usize % 64) / core::mem::size_of::<T>();
            p.wrapping_add(if mis == 0 {
                0
            } else {
                64 / core::mem::size_of::<T>() - mis
            })
        } else {
            core::ptr::null_mut()
        }
    };
    if chunks <= 1 {
        // SAFETY: the caller's contract covers every item; the buffer is ours.
        unsafe { T::exec_items(&job, isa, 0, items, buf_of(0)) };
    } else {
        let f = |c: usize, slot: usize| {
            let (lo, hi) = (items * c / chunks, items * (c + 1) / chunks);
            // SAFETY: chunks cover disjoint item ranges, hence disjoint
            // output elements; slot < nt is used by one thread at a time.
            unsafe { T::exec_items(&job, isa, lo, hi, buf_of(slot)) };
        };
        crate::threads::parallel(chunks, nt, &f);
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: only used to hand each chunk its own disjoint scratch slice.
unsafe impl<T> Sync for SendPtr<T> {}
// SAFETY: as for Sync: each thread only touches its own slice.
unsafe impl<T> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    fn get(&self) -> *mut T {
        self.0
    }
}

/// The x, y and out pointers of one block.
type Ptrs<T> = (*const T, *const T, *mut T);

/// `p`, each pointer moved by its element offset in `o` (x, y, out).
#[inline(always)]
fn at<T>(p: Ptrs<T>, o: (isize, isize, isize)) -> Ptrs<T> {
    (
        p.0.wrapping_offset(o.0),
        p.1.wrapping_offset(o.1),
        p.2.wrapping_offset(o.2),
    )
}

/// Items `lo..hi` of `job` at level `L`: runs of consecutive blocks along
/// the innermost loop (whole blocks), or single (block, row part) items.
///
/// # Safety
/// `Element::exec_items`, with the level `L` supported by the CPU.
#[inline(always)]
pub(super) unsafe fn run_items<L: Level>(
    job: &Job<'_, L::T>,
    lo: usize,
    hi: usize,
    buf: *mut L::T,
) {
    // SAFETY: forwarded contract.
    unsafe {
        match job.scale {
            None => run_items_with::<L, Plain>(job, lo, hi, buf, Plain),
            Some(s) => run_items_with::<L, Scaled<L::T>>(job, lo, hi, buf, s),
        }
    }
}

/// `run_items`, storing results through `e`.
///
/// # Safety
/// As `run_items`.
#[inline(always)]
unsafe fn run_items_with<L: Level, E: Epi<L::T>>(
    job: &Job<'_, L::T>,
    lo: usize,
    hi: usize,
    buf: *mut L::T,
    e: E,
) {
    let (ext, strides) = job.inner();
    let base = (job.x, job.y, job.out);
    // Whole row dots (every tiny call among them) on their own: the loop
    // below, with every regime inlined, sets up the others' constants
    // before it starts, which costs a tiny call more than its dot.
    if job.parts == 1 && matches!(job.kind, Kind::Dot) {
        let k = job.geom().k;
        let mut b = lo;
        while b < hi {
            let count = (ext - b % ext).min(hi - b);
            let (x, y, out) = at(base, job.offsets(b));
            #[cfg(test)]
            record::note(Ran::Dot);
            // SAFETY: blocks b..b+count, consecutive along the innermost
            // loop, all inside the buffers (contract).
            unsafe { L::dots(k, count, x, y, out, strides, e) };
            b += count;
        }
        return;
    }
    let g = job.geom();
    if job.parts == 1 {
        let mut b = lo;
        while b < hi {
            let count = (ext - b % ext).min(hi - b);
            // SAFETY: blocks b..b+count are consecutive along the innermost
            // loop, all inside the buffers (contract).
            unsafe {
                run_blocks::<L, E>(job, &g, count, at(base, job.offsets(b)), strides, buf, e)
            };
            b += count;
        }
    } else {
        for item in lo..hi {
            let (b, part) = (item / job.parts, item % job.parts);
            let r0 = part * job.part_rows;
            let r1 = (r0 + job.part_rows).min(g.m);
            // SAFETY: rows r0..r1 of block b (contract).
            unsafe { run_rows::<L, E>(job, &g, at(base, job.offsets(b)), r0, r1, buf, e) };
        }
    }
}

/// `count` whole blocks from `p`, `strides` apart (x, y, out).
///
/// # Safety
/// As `run_items`, for these blocks.
#[inline(always)]
unsafe fn run_blocks<L: Level, E: Epi<L::T>>(
    job: &Job<'_, L::T>,
    g: &gemm::Geom,
    count: usize,
    p: Ptrs<L::T>,
    strides: (isize, isize, isize),
    buf: *mut L::T,
    e: E,
) {
    let (x, y, out) = p;
    let (xs, ys, os) = strides;
    // SAFETY: every block i < count is one of the plan's (contract).
    unsafe {
        match job.kind {
            // (Row dots never come here: `run_items_with` runs them first.)
            Kind::Gemm { pack_b: false, .. } if select::small_fits(g.m, g.n, g.k, L::NR) => {
                #[cfg(test)]
                record::note(Ran::Small);
                L::small(g, count, x, y, out, strides, e)
            }
            _ => {
                for i in 0..count as isize {
                    run_rows::<L, E>(job, g, at(p, (i * xs, i * ys, i * os)), 0, g.m, buf, e);
                }
            }
        }
    }
}

/// Rows `r0..r1` of the block at `p`.
///
/// # Safety
/// As `run_items`, for these rows.
#[inline(always)]
unsafe fn run_rows<L: Level, E: Epi<L::T>>(
    job: &Job<'_, L::T>,
    g: &gemm::Geom,
    p: Ptrs<L::T>,
    r0: usize,
    r1: usize,
    buf: *mut L::T,
    e: E,
) {
    let (x, y, out) = p;
    #[cfg(test)]
    record::note(match job.kind {
        Kind::Zero => Ran::Zero,
        Kind::Dot => Ran::Dot,
        Kind::Gemv => Ran::Gemv,
        Kind::Gemm { pack_b } => Ran::Gemm { pack_b },
    });
    // SAFETY: rows r0..r1 of one block of the plan (contract).
    unsafe {
        match job.kind {
            Kind::Zero => {
                for i in r0..r1 {
                    let row = out.wrapping_offset(i as isize * g.c_rs);
                    for j in 0..g.n {
                        e.put(row.wrapping_offset(j as isize * g.c_cs), L::T::ZERO);
                    }
                }
            }
            Kind::Dot => L::dots(g.k, 1, x, y, out, (0, 0, 0), e),
            Kind::Gemv => L::gemv_rows(g, x, y, out, r0, r1, e),
            Kind::Gemm { .. } => L::gemm_rows(g, x, y, out, r0, r1, buf, e),
        }
    }
}
