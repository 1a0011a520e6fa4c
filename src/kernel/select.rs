//! Selection: which regime a call runs in, in which orientation, and how it
//! is spread over threads. Pure functions of the plan (and, for the split,
//! of the thread count), unit-tested below; `exec.rs` and `dispatch.rs`
//! act on what they return.
//!
//! The regimes:
//! - `Zero`: K = 0, the output is filled with +0.0;
//! - `Dot`: row-wise dots (m = n = 1) along a contiguous K (`stream.rs`);
//! - `Gemv`: matrix-vector products (n = 1) along a contiguous K;
//! - `Gemm`: everything else, with the register-blocked microkernel of
//!   `gemm.rs` for any strides (B packed when its rows are not contiguous,
//!   or when they are far apart and several row tiles read them). Small
//!   products (`small_fits`) run as one loop of products along the innermost
//!   loop (`tiny.rs`), with a fixed-size kernel for contiguous n×n·n×n blocks
//!   (`fixed_square`) where the level has one.
//!
//! Before that, the problem may be transposed (`out^T = y^T x^T`, which
//! swaps the roles of x and y) when that makes the vectorised dimension
//! contiguous.
//!
//! The thread rule (`split`): a call uses no more threads than it is
//! allowed, than the CPUs, or than its estimated single-thread time pays
//! for. Threads split the list of output blocks (and, when there are fewer
//! blocks than threads, row ranges of one block) into contiguous chunks.
//! Every output element is computed by the same code whichever chunk it
//! falls in, so results are bitwise identical for every thread count.

use super::gemm::Geom;
use super::tuning::{
    CHUNKS_PER_THREAD, EST_BYTES_PER_NS, EST_FLOPS_PER_NS, IN_PLACE_MAX_ROWS, IN_PLACE_ROW_BYTES,
    ITEMS_PER_THREAD, KC, MIN_NS_PER_THREAD, PART_ROWS_MULTIPLE, SMALL_MAX_ROWS, SPLIT_MIN_ROWS,
};
use crate::plan::Plan;

/// The regime a call runs in (see the module docs).
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
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) x_ms: isize,
    pub(crate) x_ks: isize,
    pub(crate) y_ks: isize,
    pub(crate) y_ns: isize,
    pub(crate) o_ms: isize,
    pub(crate) o_ns: isize,
    pub(crate) x_off: isize,
    pub(crate) y_off: isize,
    pub(crate) o_off: isize,
}

impl Core {
    /// The core of `p`, transposed when `swapped`.
    pub(crate) fn of(p: &Plan, swapped: bool) -> Core {
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
    let pack_b = !(q.n == 1 || q.y_ns == 1) || (q.m > IN_PLACE_MAX_ROWS && q.n > 1 && !near);
    (swap, Kind::Gemm { pack_b })
}

/// Whether a run of blocks of a `Gemm { pack_b: false }` call goes through
/// the small-products loop (`tiny.rs`) at a level whose tile covers `nr`
/// columns: few rows, one tile wide, one block of K.
#[inline(always)]
pub(crate) fn small_fits(m: usize, n: usize, k: usize, nr: usize) -> bool {
    m <= SMALL_MAX_ROWS && n <= nr && k <= KC
}

/// Whether the products of `g` are contiguous n×n·n×n blocks (n = `g.m`),
/// the shape of the fixed-size kernels (`tiny.rs`; each level says for which
/// n it has one).
#[inline(always)]
pub(crate) fn fixed_square(g: &Geom) -> bool {
    let n = g.m;
    (g.n, g.k) == (n, n)
        && (g.a_rs, g.a_cs, g.b_rs, g.b_cs, g.c_rs, g.c_cs)
            == (n as isize, 1, n as isize, 1, n as isize, 1)
}

/// Estimated single-thread time of a plan, in nanoseconds, for elements of
/// `elem` bytes (for the thread decision only: compute- or memory-bound,
/// whichever is slower).
#[inline(always)]
fn estimate_ns(p: &Plan, elem: usize, blocks: usize) -> f64 {
    let blocks = blocks as f64;
    let (m, n, k) = (p.m as f64, p.n as f64, p.k as f64);
    let flops = 2.0 * blocks * m * n * k;
    let bytes = elem as f64 * blocks * (m * k + k * n + m * n);
    (flops / EST_FLOPS_PER_NS).max(bytes / EST_BYTES_PER_NS)
}

/// Whether a plan's work is surely below `estimate_ns` = `ns`, in integer
/// arithmetic (saturating: a huge plan is never "surely below"). Tiny calls
/// allowed several threads take this test only: the floating-point estimate
/// cost them about 15 ns (case o at num_threads = 2 against 1).
#[inline(always)]
fn surely_below(p: &Plan, elem: usize, blocks: usize, ns: f64) -> bool {
    let max_flops = (ns * EST_FLOPS_PER_NS) as u64;
    let max_bytes = (ns * EST_BYTES_PER_NS) as u64;
    let (b, m, n, k) = (blocks as u64, p.m as u64, p.n as u64, p.k as u64);
    let mnk = m.saturating_mul(n).saturating_mul(k);
    let flops = b.saturating_mul(mnk).saturating_mul(2);
    let per_block = m
        .saturating_mul(k)
        .saturating_add(k.saturating_mul(n))
        .saturating_add(m.saturating_mul(n));
    let bytes = b.saturating_mul(per_block).saturating_mul(elem as u64);
    flops < max_flops && bytes < max_bytes
}

/// How a call is spread over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// Threads that run it (>= 1), the caller's included.
    pub threads: usize,
    /// Row parts per block (>= 1); item = block · parts + part.
    pub parts: usize,
    /// Rows per part (a multiple of `PART_ROWS_MULTIPLE` unless parts == 1).
    pub part_rows: usize,
    /// Chunks of consecutive items handed out (1: all on the caller's thread).
    pub chunks: usize,
}

/// The thread rule: how a call of `blocks` blocks of `m` rows (in the
/// orientation chosen by `classify`), of regime `kind` and elements of
/// `elem` bytes, allowed `threads` threads, is split. `cpus` (the CPUs the
/// process may use) is asked only when `threads > 1`.
#[inline(always)]
pub(crate) fn split(
    p: &Plan,
    elem: usize,
    m: usize,
    kind: Kind,
    blocks: usize,
    threads: usize,
    cpus: impl FnOnce() -> usize,
) -> Split {
    // Threads: never more than the CPUs, nor than the work pays for.
    let mut nt = 1;
    if threads > 1 && !surely_below(p, elem, blocks, 2.0 * MIN_NS_PER_THREAD) {
        let by_work = (estimate_ns(p, elem, blocks) / MIN_NS_PER_THREAD) as usize;
        nt = threads.min(cpus()).min(by_work.max(1));
    }
    // Items: whole blocks, or row parts of blocks when blocks are few.
    let (mut parts, mut part_rows) = (1, m);
    if nt > 1 && blocks < ITEMS_PER_THREAD * nt && kind != Kind::Dot && m >= SPLIT_MIN_ROWS {
        let want = (ITEMS_PER_THREAD * nt).div_ceil(blocks);
        part_rows = m.div_ceil(want).next_multiple_of(PART_ROWS_MULTIPLE);
        parts = m.div_ceil(part_rows);
    }
    // Chunks are claimed dynamically (several per thread, so that a thread
    // slowed down by other work gets fewer).
    let items = blocks * parts;
    let chunks = if nt > 1 {
        items.min(nt * CHUNKS_PER_THREAD)
    } else {
        1
    };
    Split {
        threads: nt,
        parts,
        part_rows,
        chunks,
    }
}

/// Test-only record of the regimes that actually ran on this thread, noted
/// by the executor and the kernels' entry points (compiled in unit tests
/// only: the library proper has no trace of it).
#[cfg(test)]
pub(crate) mod record {
    use std::cell::RefCell;

    /// A regime as it ran.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Ran {
        /// The output filled with +0.0.
        Zero,
        /// Row-wise dots.
        Dot,
        /// Rows of a matrix-vector product.
        Gemv,
        /// Rows of the blocked GEMM.
        Gemm {
            /// With B packed.
            pack_b: bool,
        },
        /// A loop of small products with the microkernel.
        Small,
        /// A loop of small products with the fixed-size n×n·n×n kernel.
        Fixed(usize),
    }

    thread_local! {
        static RAN: RefCell<Vec<Ran>> = const { RefCell::new(Vec::new()) };
    }

    /// Notes that `r` ran (once per run of equal notes).
    pub(crate) fn note(r: Ran) {
        RAN.with(|v| {
            let mut v = v.borrow_mut();
            if v.last() != Some(&r) {
                v.push(r);
            }
        });
    }

    /// The notes so far on this thread, clearing them.
    pub(crate) fn take() -> Vec<Ran> {
        RAN.with(|v| core::mem::take(&mut *v.borrow_mut()))
    }
}

#[cfg(test)]
mod tests {
    use super::record::{self, Ran};
    use super::*;
    use crate::kernel::isa::Isa;
    use crate::kernel::{run_with, Element};
    use crate::plan::{self, Plan};
    use crate::types::batch_dot_layout;

    /// Row-major strides of `shape`.
    fn contiguous(shape: &[i64]) -> Vec<i64> {
        let mut s = vec![1i64; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            s[i] = s[i + 1] * shape[i + 1];
        }
        s
    }

    fn layout(shape: &[i64], strides: &[i64]) -> batch_dot_layout {
        let mut l = batch_dot_layout::zeroed();
        l.ndim = shape.len() as i32;
        l.shape[..shape.len()].copy_from_slice(shape);
        l.strides[..strides.len()].copy_from_slice(strides);
        // Elements reached (non-negative strides, offset 0).
        l.len = 1 + shape
            .iter()
            .zip(strides)
            .map(|(&e, &s)| (e - 1) * s)
            .sum::<i64>();
        l
    }

    /// A call: x, y and out as (shape, strides), contracted axes of x and y.
    struct Call {
        x: batch_dot_layout,
        y: batch_dot_layout,
        out: batch_dot_layout,
        ax: usize,
        ay: usize,
    }

    impl Call {
        /// x, y and out with the given strides (None: contiguous); out's
        /// shape is batch, x's free dimensions, then y's.
        fn new(
            (xs, xst): (&[i64], Option<&[i64]>),
            (ys, yst): (&[i64], Option<&[i64]>),
            ost: Option<&[i64]>,
            (ax, ay): (usize, usize),
        ) -> Call {
            let mut os = vec![xs[0]];
            os.extend((1..xs.len()).filter(|&i| i != ax).map(|i| xs[i]));
            os.extend((1..ys.len()).filter(|&i| i != ay).map(|i| ys[i]));
            if os.len() == 1 {
                os.push(1);
            }
            let st =
                |s: &[i64], given: Option<&[i64]>| given.map_or(contiguous(s), <[i64]>::to_vec);
            Call {
                x: layout(xs, &st(xs, xst)),
                y: layout(ys, &st(ys, yst)),
                out: layout(&os, &st(&os, ost)),
                ax,
                ay,
            }
        }

        fn contiguous(xs: &[i64], ys: &[i64], axes: (usize, usize)) -> Call {
            Call::new((xs, None), (ys, None), None, axes)
        }

        fn plan(&self) -> Plan {
            let mut p = Plan::new();
            plan::build(
                &mut p, &self.x, &self.y, &self.out, self.ax, self.ay, false, false,
            );
            p
        }

        /// Runs the call at `isa` on one thread (inputs 1, 2, 3, ...) and
        /// returns what ran.
        fn run<T: Element + From<u8>>(&self, isa: Isa) -> Vec<Ran> {
            let fill = |len: i64| -> Vec<T> { (0..len).map(|i| T::from((i % 7) as u8)).collect() };
            let (x, y) = (fill(self.x.len), fill(self.y.len));
            let mut out = vec![T::ZERO; self.out.len as usize];
            record::take();
            // SAFETY: the buffers hold exactly the elements the layouts
            // reach (non-negative strides, offset 0), out is a separate
            // buffer and its layout reaches no element twice.
            unsafe {
                run_with(
                    &self.plan(),
                    1,
                    isa,
                    x.as_ptr(),
                    y.as_ptr(),
                    out.as_mut_ptr(),
                )
            }
            .expect("run");
            record::take()
        }
    }

    /// The suite's cases (bench/bench_batch_dot.py), scaled down where the
    /// regime does not depend on the size.
    fn suite_case(id: &str) -> Call {
        match id {
            "a" => Call::contiguous(&[96, 64, 64], &[96, 64, 64], (2, 2)),
            "b" => Call::contiguous(&[96, 128, 128], &[96, 128, 64], (2, 1)),
            "c" => Call::contiguous(&[8, 512, 512], &[8, 512, 512], (2, 1)),
            "d1" => Call::contiguous(&[4096, 4, 4], &[4096, 4, 4], (2, 1)),
            "d2" => Call::contiguous(&[100, 8, 8], &[100, 8, 8], (2, 1)),
            "e" => Call::contiguous(&[1000, 16], &[1000, 16], (1, 1)),
            "f" => Call::contiguous(&[16, 256, 256], &[16, 256], (2, 1)),
            // x[:, ::2, :] of a (96, 128, 64) array.
            "g1" => Call::new(
                (&[96, 64, 64], Some(&[8192, 128, 1])),
                (&[96, 64, 64], None),
                None,
                (2, 2),
            ),
            // x.transpose(0, 2, 1) of an (8, 512, 512) array.
            "g2" => Call::new(
                (&[8, 512, 512], Some(&[262144, 1, 512])),
                (&[8, 512, 512], None),
                None,
                (2, 1),
            ),
            // x[:, :, ::2] of a (96, 64, 128) array.
            "g3" => Call::new(
                (&[96, 64, 64], Some(&[8192, 128, 2])),
                (&[96, 64, 64], None),
                None,
                (2, 2),
            ),
            _ => unreachable!("{id}"),
        }
    }

    const GEMM_PACKED: (bool, Kind) = (false, Kind::Gemm { pack_b: true });
    const GEMM_IN_PLACE: (bool, Kind) = (false, Kind::Gemm { pack_b: false });

    #[test]
    fn suite_regimes() {
        let want = [
            ("a", GEMM_PACKED),
            ("b", GEMM_IN_PLACE),
            ("c", GEMM_PACKED),
            ("d1", GEMM_IN_PLACE),
            ("d2", GEMM_IN_PLACE),
            ("e", (false, Kind::Dot)),
            ("f", (false, Kind::Gemv)),
            ("g1", GEMM_PACKED),
            ("g2", GEMM_PACKED),
            ("g3", GEMM_PACKED),
        ];
        for (id, w) in want {
            assert_eq!(classify(&suite_case(id).plan(), 4), w, "{id} f32");
        }
        // b in f64: B's rows are 512 bytes apart, too far to read in place.
        assert_eq!(classify(&suite_case("b").plan(), 8), GEMM_PACKED);
        for id in ["a", "c", "d1", "d2", "e", "f", "g1", "g2", "g3"] {
            let p = suite_case(id).plan();
            assert_eq!(classify(&p, 8), classify(&p, 4), "{id} f64");
        }
    }

    #[test]
    fn zero_and_vector_regimes() {
        // K = 0 whatever the rest.
        let c = Call::contiguous(&[3, 5, 0], &[3, 0, 7], (2, 1));
        assert_eq!(classify(&c.plan(), 4), (false, Kind::Zero));
        // m = n = 1: row dots along a contiguous K, else the microkernel.
        let c = Call::contiguous(&[10, 33], &[10, 33], (1, 1));
        assert_eq!(classify(&c.plan(), 4), (false, Kind::Dot));
        let c = Call::new((&[10, 33], Some(&[66, 2])), (&[10, 33], None), None, (1, 1));
        assert_eq!(classify(&c.plan(), 8), GEMM_IN_PLACE);
        // n = 1 along a contiguous K: mat-vec; m = 1: the transposed mat-vec.
        let c = Call::contiguous(&[4, 20, 30], &[4, 30], (2, 1));
        assert_eq!(classify(&c.plan(), 4), (false, Kind::Gemv));
        let c = Call::contiguous(&[4, 30], &[4, 20, 30], (1, 2));
        assert_eq!(classify(&c.plan(), 4), (true, Kind::Gemv));
        // n = 1 along a strided K: the microkernel.
        let c = Call::new(
            (&[4, 20, 30], None),
            (&[4, 30], Some(&[60, 2])),
            None,
            (2, 1),
        );
        assert_eq!(classify(&c.plan(), 4), GEMM_IN_PLACE);
    }

    #[test]
    fn orientation_and_packing() {
        // B's rows contiguous (y_ns = 1), A's not: as is.
        let c = Call::contiguous(&[2, 40, 30], &[2, 30, 100], (2, 1));
        assert_eq!(classify(&c.plan(), 4), GEMM_PACKED);
        // B^T's rows contiguous only (x's columns, x_ms = 1): transposed;
        // B^T's rows 100 f32 apart are packed, 40 apart read in place.
        let x_cols = |m: i64, y: (&[i64], Option<&[i64]>), out: Option<&[i64]>| {
            Call::new((&[2, m, 30], Some(&[30 * m, 1, m])), y, out, (2, 1))
        };
        let y_cols: (&[i64], Option<&[i64]>) = (&[2, 30, 50], Some(&[1500, 1, 30]));
        let c = x_cols(100, y_cols, None);
        assert_eq!(classify(&c.plan(), 4), (true, Kind::Gemm { pack_b: true }));
        let c = x_cols(40, y_cols, None);
        assert_eq!(classify(&c.plan(), 4), (true, Kind::Gemm { pack_b: false }));
        // Both contiguous: keep contiguous output rows; a column-major
        // output turns the problem around.
        let c = x_cols(100, (&[2, 30, 100], None), None);
        assert_eq!(classify(&c.plan(), 4), GEMM_PACKED);
        let c = x_cols(100, (&[2, 30, 100], None), Some(&[10000, 1, 100]));
        assert_eq!(classify(&c.plan(), 4), (true, Kind::Gemm { pack_b: true }));
        // Neither: pack the smaller operand (x here, after transposing).
        let c = Call::contiguous(&[2, 10, 30], &[2, 50, 30], (2, 2));
        assert_eq!(classify(&c.plan(), 4), (true, Kind::Gemm { pack_b: true }));
        let c = Call::contiguous(&[2, 50, 30], &[2, 10, 30], (2, 2));
        assert_eq!(classify(&c.plan(), 4), GEMM_PACKED);
        // Contiguous B rows 64 f32 apart (256 bytes): in place up to
        // IN_PLACE_ROW_BYTES, packed beyond, and always in place for few rows.
        let c = Call::contiguous(&[5, 16, 64], &[5, 64, 64], (2, 1));
        assert_eq!(classify(&c.plan(), 4), GEMM_IN_PLACE);
        assert_eq!(classify(&c.plan(), 8), GEMM_PACKED);
        let c = Call::contiguous(&[5, IN_PLACE_MAX_ROWS as i64, 64], &[5, 64, 512], (2, 1));
        assert_eq!(classify(&c.plan(), 8), GEMM_IN_PLACE);
        let c = Call::contiguous(
            &[5, IN_PLACE_MAX_ROWS as i64 + 1, 64],
            &[5, 64, 512],
            (2, 1),
        );
        assert_eq!(classify(&c.plan(), 8), GEMM_PACKED);
    }

    #[test]
    fn small_products_and_fixed_kernels() {
        // The AVX-512 f32 tile covers 64 columns, AVX2's 16.
        assert!(small_fits(SMALL_MAX_ROWS, 64, KC, 64));
        assert!(!small_fits(SMALL_MAX_ROWS + 1, 64, KC, 64));
        assert!(!small_fits(4, 17, KC, 16));
        assert!(!small_fits(4, 16, KC + 1, 16));
        let g = |m, n, k, a_rs, c_cs| Geom {
            m,
            n,
            k,
            a_rs,
            a_cs: 1,
            b_rs: n as isize,
            b_cs: 1,
            c_rs: n as isize,
            c_cs,
            pack_b: false,
            acc: false,
        };
        assert!(fixed_square(&g(4, 4, 4, 4, 1)));
        assert!(fixed_square(&g(8, 8, 8, 8, 1)));
        assert!(!fixed_square(&g(4, 4, 5, 5, 1)));
        assert!(!fixed_square(&g(4, 4, 4, 8, 1)));
        assert!(!fixed_square(&g(4, 4, 4, 4, 2)));
    }

    #[test]
    fn thread_rule() {
        let cpus = |n: usize| move || n;
        let never = || -> usize { panic!("cpus asked for a single-thread call") };
        let split_of = |c: &Call, elem: usize, threads: usize, ncpu: usize| {
            let p = c.plan();
            let (swapped, kind) = classify(&p, elem);
            let m = Core::of(&p, swapped).m;
            split(&p, elem, m, kind, p.blocks(), threads, cpus(ncpu))
        };
        let one = |m| Split {
            threads: 1,
            parts: 1,
            part_rows: m,
            chunks: 1,
        };
        // One thread allowed: never split, never asks for the CPUs.
        let c = suite_case("c");
        let p = c.plan();
        assert_eq!(split(&p, 4, 512, classify(&p, 4).1, 8, 1, never), one(512));
        // c (8 blocks of 512³, 2.7 ms each at 100 GFLOP/s): 4 chunks per
        // thread, of whole blocks while there are 4 blocks per thread, else
        // of row parts.
        let w = |threads, parts, part_rows, chunks| Split {
            threads,
            parts,
            part_rows,
            chunks,
        };
        assert_eq!(split_of(&c, 4, 2, 8), w(2, 1, 512, 8));
        assert_eq!(split_of(&c, 4, 8, 8), w(8, 4, 128, 32));
        // Never more threads than CPUs.
        assert_eq!(split_of(&c, 4, 8, 3), w(3, 2, 256, 12));
        // One block of 512³ on 4 threads: 16 row parts of 32 rows.
        let c1 = Call::contiguous(&[1, 512, 512], &[1, 512, 512], (2, 1));
        assert_eq!(split_of(&c1, 4, 4, 4), w(4, 16, 32, 16));
        // Parts are whole multiples of 8 rows: 100 rows on 2 threads, 8
        // parts wanted, of 16 rows (the last one 4).
        let c2 = Call::contiguous(&[1, 100, 512], &[1, 512, 512], (2, 1));
        assert_eq!(split_of(&c2, 4, 2, 2), w(2, 7, 16, 7));
        // Too few rows to split (m < 16): whole blocks only.
        let c3 = Call::contiguous(&[2, 15, 4096], &[2, 4096, 4096], (2, 1));
        let s = split_of(&c3, 4, 4, 4);
        assert_eq!((s.threads, s.parts, s.chunks), (4, 1, 2));
        // d1 (4096 blocks of 4×4×4 f32: 786 KB, 39 µs at 20 GB/s): under
        // 40 µs, one thread however many are allowed.
        assert_eq!(split_of(&suite_case("d1"), 4, 8, 8), one(4));
        // Row dots of 16: 10 000 (1.32 MB, 66 µs) take one thread, 20 000
        // (132 µs) three, in 4 chunks each.
        let e = Call::contiguous(&[10_000, 16], &[10_000, 16], (1, 1));
        assert_eq!(split_of(&e, 4, 8, 8), one(1));
        let e = Call::contiguous(&[20_000, 16], &[20_000, 16], (1, 1));
        assert_eq!(split_of(&e, 4, 8, 8), w(3, 1, 1, 12));
        // f64 moves twice the bytes: 10 000 dots take three threads.
        let e = Call::contiguous(&[10_000, 16], &[10_000, 16], (1, 1));
        assert_eq!(split_of(&e, 8, 8, 8), w(3, 1, 1, 12));
        // Two long row dots on 4 threads: one chunk per block.
        let d = Call::contiguous(&[2, 1 << 20], &[2, 1 << 20], (1, 1));
        assert_eq!(split_of(&d, 4, 4, 4), w(4, 1, 1, 2));
        // The integer pre-test never says "below" when the estimate is not.
        let o = Call::contiguous(&[1, 4], &[1, 4], (1, 1));
        let calls = ["a", "b", "c", "d1", "d2", "e", "f"].map(|id| (id, suite_case(id)));
        for (id, c) in calls.iter().chain([("o", o)].iter()) {
            let p = c.plan();
            for elem in [4, 8] {
                let est = estimate_ns(&p, elem, p.blocks());
                for ns in [1e3, 4e4, 8e4, 1e6, 1e7] {
                    if surely_below(&p, elem, p.blocks(), ns) {
                        assert!(est < ns, "{id}: {est} ns is not below {ns}");
                    }
                }
                assert!(!surely_below(&p, elem, p.blocks(), est));
            }
        }
        // Huge plans saturate instead of wrapping to "small".
        let h = Call::contiguous(&[1 << 20, 1 << 12, 1 << 12], &[1 << 20, 1 << 12, 1], (2, 1));
        assert!(!surely_below(&h.plan(), 4, 1 << 20, 8e4));
    }

    /// Every level this CPU supports.
    fn levels() -> impl Iterator<Item = Isa> {
        Isa::FLOAT.into_iter().filter(|l| l.supported())
    }

    #[test]
    fn the_selected_regime_runs() {
        // Small versions of the suite's regimes (unit tests run unoptimised).
        let packed = Call::contiguous(&[2, 16, 64], &[2, 64, 128], (2, 1));
        let near = Call::contiguous(&[2, 16, 64], &[2, 64, 64], (2, 1));
        let a = Call::contiguous(&[2, 16, 32], &[2, 16, 32], (2, 2));
        let dots = Call::contiguous(&[50, 16], &[50, 16], (1, 1));
        let gemv = Call::contiguous(&[2, 20, 30], &[2, 30], (2, 1));
        let gemv_t = Call::contiguous(&[4, 30], &[4, 20, 30], (1, 2));
        let d1 = Call::contiguous(&[20, 4, 4], &[20, 4, 4], (2, 1));
        let d2 = Call::contiguous(&[20, 8, 8], &[20, 8, 8], (2, 1));
        let zero = Call::contiguous(&[3, 5, 0], &[3, 0, 7], (2, 1));
        let rows9 = Call::contiguous(&[6, 9, 8], &[6, 8, 8], (2, 1));
        let gemm = |pack_b| vec![Ran::Gemm { pack_b }];
        for isa in levels() {
            for f64_ in [false, true] {
                let run = |c: &Call| {
                    if f64_ {
                        c.run::<f64>(isa)
                    } else {
                        c.run::<f32>(isa)
                    }
                };
                let what = format!("{isa:?} f64 {f64_}");
                assert_eq!(run(&packed), gemm(true), "{what}");
                assert_eq!(run(&near), gemm(f64_), "{what}");
                assert_eq!(run(&a), gemm(true), "{what}");
                assert_eq!(run(&dots), vec![Ran::Dot], "{what}");
                assert_eq!(run(&gemv), vec![Ran::Gemv], "{what}");
                assert_eq!(run(&gemv_t), vec![Ran::Gemv], "{what}");
                assert_eq!(run(&zero), vec![Ran::Zero], "{what}");
                // 9 rows: more than a small product, one block at a time.
                assert_eq!(run(&rows9), gemm(false), "{what}");
                // Fixed-size kernels: 4×4×4 at AVX-512 (f32 and f64),
                // 8×8×8 for f32 only; elsewhere the microkernel's loop of
                // small products.
                let avx512 = isa >= Isa::Avx512;
                let small = |fixed: Option<usize>| match fixed {
                    Some(n) => vec![Ran::Small, Ran::Fixed(n)],
                    None => vec![Ran::Small],
                };
                assert_eq!(run(&d1), small(avx512.then_some(4)), "{what}");
                assert_eq!(run(&d2), small((avx512 && !f64_).then_some(8)), "{what}");
            }
            // One tile wide at most for the loop of small products (f32).
            let nr = match isa {
                Isa::Avx512 | Isa::Avx512Vnni | Isa::Avx512Bf16 | Isa::Amx => 64,
                Isa::Avx2 | Isa::AvxVnni => 16,
                Isa::Scalar => 8,
            };
            let c = Call::contiguous(&[6, 4, 8], &[6, 8, nr], (2, 1));
            assert_eq!(c.run::<f32>(isa), vec![Ran::Small], "{isa:?}");
            let c = Call::contiguous(&[6, 4, 8], &[6, 8, nr + 1], (2, 1));
            assert_eq!(c.run::<f32>(isa), gemm(false), "{isa:?}");
        }
    }
}
