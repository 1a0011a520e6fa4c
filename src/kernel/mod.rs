//! Kernels: execute a `Plan` on raw data pointers. This is where the
//! library's `unsafe` lives, next to the views in `ffi.rs`.
//!
//! A call is classified once, from the plan alone (never from the thread
//! count), into one of these regimes:
//! - `Zero`: K = 0, the output is filled with +0.0;
//! - `Dot`: row-wise dots (m = n = 1) along a contiguous K (`vecdot.rs`);
//! - `Gemv`: matrix-vector products (n = 1) along a contiguous K;
//! - `Gemm`: everything else, with the register-blocked microkernel of
//!   `gemm.rs` for any strides (B packed when its rows are not contiguous).
//!   Tiny products (m <= 8, one vector tile wide) run the microkernel
//!   directly in a loop over the innermost block dimension.
//!
//! Before that, the problem may be transposed (`out^T = y^T x^T`, which
//! swaps the roles of x and y) when that makes the vectorised dimension
//! contiguous. Each regime is compiled per instruction-set level (`isa.rs`)
//! inside one `#[target_feature]` function (`dispatch.rs`).
//!
//! Threads split the list of output blocks (and, when there are fewer blocks
//! than threads, row ranges of one block) into contiguous chunks. Every
//! output element is computed by the same code whichever chunk it falls in,
//! so results are bitwise identical for every thread count.

use core::ops::{Add, Mul};

use crate::error::{Error, Result};
use crate::plan::{LoopDim, Plan};

mod dispatch;
mod gemm;
pub mod isa;
mod simd;
mod vecdot;

/// Hints the CPU to bring the cache line holding `p` into L1
/// (`HINT` = 3, PREFETCHT0) or L2 (`HINT` = 2, PREFETCHT1): the values of
/// `_MM_HINT_T0` and `_MM_HINT_T1`. A hint only: it never faults, whatever
/// `p` is.
#[inline(always)]
fn prefetch_into<const HINT: i32, T>(p: *const T) {
    // (Not under miri, which has nothing to prefetch into.)
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: PREFETCHT0/T1 are part of SSE (baseline on x86_64) and never
    // fault, even on an invalid address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<HINT>(p.cast::<i8>())
    };
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = p;
}

/// Hints the CPU to bring the cache line holding `p` into L1.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    prefetch_into::<3, T>(p);
}

/// Hints the CPU to bring the cache line holding `p` into L2 (not L1).
#[inline(always)]
pub(crate) fn prefetch_l2<T>(p: *const T) {
    prefetch_into::<2, T>(p);
}

/// Bytes in a cache line (x86).
pub(crate) const LINE_BYTES: usize = 64;

/// `prefetch` for every cache line of the `len` contiguous elements from `p`.
#[inline(always)]
pub(crate) fn prefetch_lines<T>(p: *const T, len: usize) {
    for t in (0..len).step_by((LINE_BYTES / size_of::<T>()).max(1)) {
        prefetch(p.wrapping_add(t));
    }
}

pub use isa::Isa;

/// The element types the library computes on.
pub trait Element:
    Copy + Send + Sync + 'static + PartialEq + Add<Output = Self> + Mul<Output = Self>
{
    /// +0.0: what every sum starts from.
    const ZERO: Self;
    /// Widens to f64 (exact).
    fn to_f64(self) -> f64;
    /// Runs items `lo..hi` of `job` with the kernels of level `isa`.
    ///
    /// # Safety
    /// As `run`, for the job's plan and pointers; `isa` is supported by the
    /// CPU; `buf` is a private scratch buffer of `Job::buf_len()` elements
    /// when the job packs.
    #[doc(hidden)]
    unsafe fn exec_items(job: &Job<'_, Self>, isa: Isa, lo: usize, hi: usize, buf: *mut Self);
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    fn to_f64(self) -> f64 {
        self as f64
    }
    unsafe fn exec_items(job: &Job<'_, Self>, isa: Isa, lo: usize, hi: usize, buf: *mut Self) {
        // SAFETY: forwarded contract.
        unsafe { dispatch::exec_f32(job, isa, lo, hi, buf) }
    }
}

impl Element for f64 {
    const ZERO: Self = 0.0;
    fn to_f64(self) -> f64 {
        self
    }
    unsafe fn exec_items(job: &Job<'_, Self>, isa: Isa, lo: usize, hi: usize, buf: *mut Self) {
        // SAFETY: forwarded contract.
        unsafe { dispatch::exec_f64(job, isa, lo, hi, buf) }
    }
}

/// The regime a call runs in (see the module docs).
///
/// cbindgen:ignore
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub enum Kind {
    /// K = 0: fill with +0.0.
    Zero,
    /// m = n = 1, unit strides along K.
    Dot,
    /// n = 1, unit strides along K.
    Gemv,
    /// The general microkernel; `pack_b` when B's rows are not contiguous
    /// or several row tiles reuse them.
    Gemm {
        /// Whether B goes through packed panels.
        pack_b: bool,
    },
}

/// The scalar part of a plan, possibly transposed (`out^T = y^T · x^T`:
/// x and y swap roles, m and n too). Small, so it is cheap to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub struct Core {
    m: usize,
    n: usize,
    k: usize,
    x_ms: isize,
    x_ks: isize,
    y_ks: isize,
    y_ns: isize,
    o_ms: isize,
    o_ns: isize,
    x_off: isize,
    y_off: isize,
    o_off: isize,
}

impl Core {
    fn of(p: &Plan, swapped: bool) -> Core {
        if swapped {
            Core {
                m: p.n,
                n: p.m,
                k: p.k,
                x_ms: p.y_ns,
                x_ks: p.y_ks,
                y_ks: p.x_ks,
                y_ns: p.x_ms,
                o_ms: p.o_ns,
                o_ns: p.o_ms,
                x_off: p.y_off,
                y_off: p.x_off,
                o_off: p.o_off,
            }
        } else {
            Core {
                m: p.m,
                n: p.n,
                k: p.k,
                x_ms: p.x_ms,
                x_ks: p.x_ks,
                y_ks: p.y_ks,
                y_ns: p.y_ns,
                o_ms: p.o_ms,
                o_ns: p.o_ns,
                x_off: p.x_off,
                y_off: p.y_off,
                o_off: p.o_off,
            }
        }
    }
}

/// A classified call: the plan's loops, its (possibly transposed) core,
/// its regime and how its items (blocks × row parts) are numbered.
///
/// cbindgen:ignore
#[doc(hidden)]
pub struct Job<'a, T> {
    loops: &'a [LoopDim],
    swapped: bool,
    core: Core,
    kind: Kind,
    blocks: usize,
    /// Row parts per block (>= 1); item = block · parts + part.
    parts: usize,
    /// Rows per part (a multiple of 8 unless parts == 1).
    part_rows: usize,
    x: *const T,
    y: *const T,
    out: *mut T,
}

// SAFETY: a Job is shared between the threads of one call only. Its inputs
// are read-only, and distinct items write disjoint output elements (the out
// layout reaches no element twice); the caller keeps the buffers alive until
// every item has run.
unsafe impl<T: Element> Sync for Job<'_, T> {}

/// cbindgen:ignore
impl<T> Job<'_, T> {
    /// Scratch elements a thread needs (0: none), with 64 bytes of slack
    /// for alignment.
    fn buf_len(&self) -> usize {
        match self.kind {
            Kind::Gemm { pack_b: true } => gemm::scratch_len(self.core.n) + 64,
            _ => 0,
        }
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
    fn inner(&self) -> (usize, (isize, isize, isize)) {
        match self.loops.last() {
            Some(d) => (d.ext, self.strides(d)),
            None => (1, (0, 0, 0)),
        }
    }

    /// Element offsets of block `b` (in loop order, innermost fastest).
    fn offsets(&self, mut b: usize) -> (isize, isize, isize) {
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

    fn geom(&self) -> gemm::Geom {
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
        }
    }
}

/// Chooses the orientation and regime of a plan for elements of `elem`
/// bytes. Pure: depends on the plan only (never on threads). Returns
/// whether to transpose, and the regime.
#[doc(hidden)]
pub fn classify(p: &Plan, elem: usize) -> (bool, Kind) {
    if p.k == 0 {
        return (false, Kind::Zero);
    }
    let unit_k = p.x_ks == 1 && p.y_ks == 1;
    if p.m == 1 && p.n == 1 {
        let kind = if unit_k {
            Kind::Dot
        } else {
            Kind::Gemm { pack_b: false }
        };
        return (false, kind);
    }
    if unit_k && p.n == 1 {
        return (false, Kind::Gemv);
    }
    if unit_k && p.m == 1 {
        return (true, Kind::Gemv);
    }
    // Rows of B contiguous as they are, or after transposing?
    let b_ok = p.n == 1 || p.y_ns == 1;
    let bt_ok = p.m == 1 || p.x_ms == 1;
    let swap = match (b_ok, bt_ok) {
        (false, true) => true,
        (true, false) => false,
        // Both need packing: pack the smaller operand (fewer copies per flop).
        (false, false) => p.m < p.n,
        // Neither: prefer contiguous output rows.
        (true, true) => p.o_ns != 1 && p.o_ms == 1 && p.m > 1,
    };
    let q = Core::of(p, swap);
    // Pack B when its rows are not contiguous, and also when more than one
    // tile of rows reads it: the packed block stays in L2 and each panel
    // is read contiguously, while B's own rows may be far apart (cache-set
    // conflicts). Rows that are close together already are such a block:
    // there, B is read in place.
    let near = q.y_ns == 1 && q.y_ks.unsigned_abs() * elem <= IN_PLACE_ROW_BYTES;
    let pack_b = !(q.n == 1 || q.y_ns == 1) || (q.m > 8 && q.n > 1 && !near);
    (swap, Kind::Gemm { pack_b })
}

/// B's rows at most this many bytes apart (contiguous rows: one panel of
/// the AVX-512 microkernel, 64 f32 or 32 f64 columns) are read in place by
/// every row tile instead of being packed: the copy bought nothing there.
/// Measured (bench/ab.py, docs/PERFORMANCE.md): b 3.3 % faster (AVX2
/// 3.1 %), 64×64·64×64 products 5–6 %, 16×64·64×64 11 %, f64 unchanged
/// within 1.5 %. Rows 512 bytes apart (b in f64) read in place were 5 %
/// slower in most processes, and 1 KiB apart 7.5 % slower.
const IN_PLACE_ROW_BYTES: usize = 256;

/// Estimated single-thread time of a plan, in nanoseconds (for the thread
/// decision only: 100 GFLOP/s or 20 GB/s, whichever is slower).
fn estimate_ns<T>(p: &Plan, blocks: usize) -> f64 {
    let blocks = blocks as f64;
    let (m, n, k) = (p.m as f64, p.n as f64, p.k as f64);
    let flops = 2.0 * blocks * m * n * k;
    let bytes = core::mem::size_of::<T>() as f64 * blocks * (m * k + k * n + m * n);
    (flops / 100.0).max(bytes / 20.0)
}

/// Work below which a call does not use another thread, per extra thread.
const MIN_NS_PER_THREAD: f64 = 40_000.0;

/// Executes `plan`.
///
/// # Safety
/// `plan` comes from `plan::build` on layouts that passed every check of
/// API.md for these very pointers: every element reached by
/// `x + x_off + loops·xs + i·x_ms + t·x_ks` (likewise y and out) lies inside
/// the caller's buffers, out does not overlap x or y, and out reaches no
/// element twice. `x` and `y` may be dangling only when `plan.k == 0`.
pub unsafe fn run<T: Element>(
    plan: &Plan,
    threads: usize,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { run_with(plan, threads, isa::active(), x, y, out) }
}

/// `run` at a given instruction-set level (capped to what the CPU supports).
/// For tests and benchmarks that compare levels.
///
/// # Safety
/// As `run`.
#[doc(hidden)]
pub unsafe fn run_with<T: Element>(
    plan: &Plan,
    threads: usize,
    isa: Isa,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    let isa = isa.min(isa::detected());
    let blocks = plan.blocks();
    if blocks == 0 {
        return Ok(());
    }
    let (swapped, kind) = classify(plan, size_of::<T>());
    let core = Core::of(plan, swapped);
    let (x, y) = if swapped { (y, x) } else { (x, y) };
    // Threads: never more than the CPUs, nor than the work pays for.
    let mut nt = 1;
    if threads > 1 {
        let by_work = (estimate_ns::<T>(plan, blocks) / MIN_NS_PER_THREAD) as usize;
        nt = threads.min(crate::threads::cpus()).min(by_work.max(1));
    }
    // Items: whole blocks, or row parts of blocks when blocks are few.
    let (mut parts, mut part_rows) = (1, core.m);
    if nt > 1 && blocks < 4 * nt && kind != Kind::Dot && core.m >= 16 {
        let want = (4 * nt).div_ceil(blocks);
        part_rows = core.m.div_ceil(want).next_multiple_of(8);
        parts = core.m.div_ceil(part_rows);
    }
    let job = Job {
        loops: &plan.loops[..plan.nloops],
        swapped,
        core,
        kind,
        blocks,
        parts,
        part_rows,
        x,
        y,
        out,
    };
    let items = job.items();
    // Chunks are claimed dynamically (several per thread, so that a thread
    // slowed down by other work gets fewer); scratch buffers go by thread.
    let chunks = if nt > 1 { items.min(nt * 4) } else { 1 };
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
unsafe impl<T> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    fn get(&self) -> *mut T {
        self.0
    }
}
