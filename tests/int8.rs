//! The integer rows (docs/API.md, "Element types (version 0.2)";
//! docs/SEMANTICS.md §12): (S8, S8, S32) and (U8, S8, S32), at every
//! instruction-set level this CPU supports and with 1 and 2 threads,
//! through `batch_dot::testing::compute_dtyped_at`, against the test kit's
//! exact reference (`testkit::int8`: a naive loop in i64, reduced modulo
//! 2^32), bit for bit:
//!
//! - random layouts (permuted, padded, reversed, offset, broadcast inputs)
//!   in every regime: row dots with K = 16 and odd K, mat-vec, vec-mat,
//!   the 4×4×4 and 8×8×8 blocks and strided tiny products, GEMMs with K
//!   not a multiple of 4 or 64 and M, N not multiples of the tiles (the
//!   AMX tiles' edges too: M, N around 16 and 32, K around 64 and 512,
//!   a transposed x), more
//!   than 512 rows or columns, rank 4, K = 0 and K = 1; the benchmark's
//!   GEMM shapes a, a2, b and a c-like one (smaller batches), and its
//!   views g1 (every other row), g2 (transposed), g3 (every other element
//!   of the contraction) plus a negative-stride view; 1 and 2 threads
//!   bitwise equal, nothing outside out's elements written;
//! - saturation: −128·−128 (S8·S8) and 255·127, 255·−128 (U8·S8) with
//!   K up to 4096 in every regime, so that a kernel built on a 16-bit
//!   saturating pair sum (`vpmaddubsw`), a 16-bit accumulator or an
//!   abs/sign trick that breaks on −128 fails [`saturation_is_never_taken`]
//!   (and [`extreme_values_in_every_regime`]);
//! - wrap: sums past int32 (K > 131071 all −128·−128; K > 65793 with 255
//!   and −128 or 127) wrap modulo 2^32 and are the same on every level,
//!   with the exact edge K on both sides ([`sums_past_int32_wrap`]);
//! - scale: beta = 1 adds out modulo 2^32 (out near i32::MAX and
//!   i32::MIN), beta = 0 ignores a garbage out, (1, 0) is the plain call;
//!   alpha ≠ 1, beta ∉ {0, 1} and NaN are INVALID_ARGUMENT, nothing
//!   written, with docs/API.md's messages naming the values;
//! - the C ABI: `batch_dot_compute` with (S8, S8, S32) is `batch_dot_s8`
//!   bit for bit (status, message, output), the statuses are the oracle's
//!   (alignment of a 4-byte out, 1-byte inputs at any address, aliasing
//!   by bytes, the other integer combinations UNSUPPORTED_DTYPE), nothing
//!   is written on error; calls large enough to be split between threads
//!   give the same bits with 1, 2 and 3 threads.

use std::ptr;

use batch_dot::testing::{compute_dtyped_at, Isa};
use batch_dot::*;
use testkit::calls::{bytes, last_error, options, random_call, status_at, with_threads};
use testkit::int8::{self, Exact, Row, Values, SENTINEL};
use testkit::layouts::{arranged_layout, gather, lay, storage_positions, unreached_positions};
use testkit::layouts::{Arrangement, Tensor};
use testkit::oracle::{self, st, Opts};
use testkit::rng::seed_of;
use testkit::SplitMix64;

const D: i64 = BATCH_DOT_AXIS_DEFAULT;

/// The instruction-set levels this CPU runs.
fn levels() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|i| i.supported()).collect()
}

/// One call: x and y (bytes, read as the row's types), the axes and out's
/// layout.
struct Case {
    x: Tensor<u8>,
    y: Tensor<u8>,
    out: batch_dot_layout,
    ax: i64,
    ay: i64,
}

fn describe_layout(t: &batch_dot_layout) -> String {
    let n = t.ndim as usize;
    format!(
        "shape {:?} strides {:?} offset {} len {}",
        &t.shape[..n],
        &t.strides[..n],
        t.offset,
        t.len
    )
}

impl Case {
    fn describe(&self) -> String {
        format!(
            "x {}; y {}; axes ({}, {}); out {}",
            describe_layout(&self.x.layout),
            describe_layout(&self.y.layout),
            self.ax,
            self.ay,
            describe_layout(&self.out)
        )
    }

    /// The test kit's exact reference on this case's inputs.
    fn reference(&self, row: Row) -> Exact {
        int8::batch_dot8(
            row,
            &self.x.layout,
            &self.x.buf,
            &self.y.layout,
            &self.y.buf,
            self.ax,
            self.ay,
        )
        .expect("a valid call")
    }

    /// An out buffer of `out.len` sentinels.
    fn blank(&self) -> Vec<i32> {
        vec![SENTINEL; (self.out.len as usize).max(1)]
    }
}

/// One call of `compute_dtyped_at` with the row's codes on an out buffer
/// holding `before`.
fn try_run(
    c: &Case,
    row: Row,
    isa: Isa,
    opts: &batch_dot_options,
    before: &[i32],
) -> Result<Vec<i32>, batch_dot::Error> {
    let mut od = before.to_vec();
    call_into(c, row, isa, opts, &mut od)?;
    Ok(od)
}

/// One call of `compute_dtyped_at` with the row's codes into `od`.
fn call_into(
    c: &Case,
    row: Row,
    isa: Isa,
    opts: &batch_dot_options,
    od: &mut [i32],
) -> Result<(), batch_dot::Error> {
    compute_dtyped_at::<u8, i32>(
        isa,
        row.codes(),
        &c.x.layout,
        &c.x.buf,
        &c.y.layout,
        &c.y.buf,
        c.ax,
        c.ay,
        &c.out,
        od,
        opts,
    )
}

/// [`try_run`], which must succeed.
fn run(c: &Case, row: Row, isa: Isa, opts: &batch_dot_options, before: &[i32]) -> Vec<i32> {
    try_run(c, row, isa, opts, before)
        .unwrap_or_else(|e| panic!("{} {isa:?}: {e} ({})", row.name(), c.describe()))
}

/// Every reached output of `od` is the reference's, bit for bit, and
/// every element out does not reach still holds `before`'s.
fn check_out(c: &Case, r: &Exact, od: &[i32], before: &[i32], what: &str) {
    for (i, p) in storage_positions(&c.out).into_iter().enumerate() {
        if let Err(e) = int8::check(r, i, od[p]) {
            panic!("{what}: out {e}\n  {}", c.describe());
        }
    }
    for p in unreached_positions(&c.out, od.len()) {
        assert_eq!(od[p], before[p], "{what}: unreached out[{p}] written");
    }
}

/// Runs `c` for `row` at every level with 1 and 2 threads: every output
/// checked, 2 threads bitwise 1 thread's. Returns the logical output of
/// the first level.
fn run_all(c: &Case, row: Row, what: &str) -> Vec<i32> {
    let r = c.reference(row);
    let before = c.blank();
    let mut first = vec![];
    for isa in levels() {
        let w = format!("{what} {} {isa:?}", row.name());
        let od = run(c, row, isa, &options(1, None), &before);
        check_out(c, &r, &od, &before, &w);
        let od2 = run(c, row, isa, &options(2, None), &before);
        assert!(od == od2, "{w}: 2 threads differ\n  {}", c.describe());
        if first.is_empty() {
            first = storage_positions(&c.out).iter().map(|&p| od[p]).collect();
        }
    }
    first
}

/// Lays out a case: x and y with values from `xv` and `yv`, each arranged
/// at random (contiguous when `contiguous`) with the given dimension (if
/// any) stored innermost; out arranged at random for the result shape.
#[allow(clippy::too_many_arguments)]
fn lay_out(
    rng: &mut SplitMix64,
    (xs, xin): (&[i64], Option<usize>),
    (ys, yin): (&[i64], Option<usize>),
    (ax, ay): (i64, i64),
    contiguous: bool,
    mut xv: impl FnMut(&mut SplitMix64) -> u8,
    mut yv: impl FnMut(&mut SplitMix64) -> u8,
) -> Case {
    let arr = |rng: &mut SplitMix64, input: bool, inner: Option<usize>| {
        let mut a = if contiguous {
            Arrangement::CONTIGUOUS
        } else {
            Arrangement::random(rng, input)
        };
        a.inner = inner;
        a
    };
    let a = arr(rng, true, xin);
    let x = int8::tensor8(xs, a, rng, &mut xv);
    let a = arr(rng, true, yin);
    let y = int8::tensor8(ys, a, rng, &mut yv);
    let oshape = oracle::shapes(xs, ys, ax, ay).expect("a valid call");
    let a = arr(rng, false, None);
    let out = arranged_layout(&oshape, a, rng);
    Case { x, y, out, ax, ay }
}

/// Shapes of a case: x's, y's, the axes, the dimensions stored innermost.
type Shapes = (Vec<i64>, Vec<i64>, i64, i64, Option<usize>, Option<usize>);

/// Random shapes in the regime `which` (and whether to keep the inputs
/// contiguous).
fn regime_shapes(rng: &mut SplitMix64, which: &str) -> (Shapes, bool) {
    let b = rng.pick(&[1i64, 2, 3]);
    // Not multiples of the tiles (and some that are).
    let mn = [1i64, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33];
    let mut contiguous = rng.chance(0.2);
    let s: Shapes = match which {
        // m = n = 1, short K: 16, odd, around the vector widths.
        "dot_short" => {
            let k = rng.pick(&[1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65]);
            let rows = rng.pick(&[1i64, 5, 16, 37]);
            (vec![rows, k], vec![rows, k], 1, 1, Some(1), Some(1))
        }
        // m = n = 1, long K (several blocks of 64, tails).
        "dot_long" => {
            let k = rng.pick(&[100, 127, 129, 255, 257, 1000, 1027]);
            (vec![b * 2, k], vec![b * 2, k], -1, -1, Some(1), Some(1))
        }
        // n = 1: x (B, M, K) · y (B, K).
        "gemv" => {
            let m = rng.pick(&mn) + rng.below(20) as i64;
            let k = rng.pick(&[1, 3, 5, 16, 33, 64, 70, 129]);
            (vec![b, m, k], vec![b, k], 2, 1, Some(2), Some(1))
        }
        // m = 1: x (B, K) · y (B, N, K).
        "vecmat" => {
            let n = rng.pick(&mn) + rng.below(20) as i64;
            let k = rng.pick(&[1, 7, 16, 40, 65]);
            (vec![b, k], vec![b, n, k], 1, 2, Some(1), Some(2))
        }
        // The 4×4×4 and 8×8×8 blocks and their neighbours, many of them;
        // strided a third of the time.
        "fixed" => {
            let (m, k, n) = rng.pick(&[
                (4i64, 4i64, 4i64),
                (4, 4, 4),
                (8, 8, 8),
                (8, 8, 8),
                (2, 2, 2),
                (4, 4, 1),
                (1, 4, 4),
                (4, 8, 4),
                (8, 4, 8),
            ]);
            contiguous = !rng.chance(0.33);
            let bb = rng.pick(&[1i64, 3, 17, 40]);
            (vec![bb, m, k], vec![bb, k, n], 2, 1, Some(2), Some(2))
        }
        // Tiny strided products.
        "tiny" => {
            let s = [1i64, 2, 3, 4, 5, 7, 8, 9];
            let (m, k, n) = (rng.pick(&s), rng.pick(&s), rng.pick(&s));
            (vec![b * 5, m, k], vec![b * 5, k, n], D, D, None, None)
        }
        // The GEMM: M, N off the tiles, K not a multiple of 4 or 64 (and
        // some that are), NN or NT.
        "gemm" => {
            let m = rng.pick(&[9, 16, 17, 31, 33, 40]);
            let n = rng.pick(&[2, 17, 32, 33, 47]);
            let k = rng.pick(&[1, 3, 5, 63, 64, 65, 127, 129, 130, 257]);
            if rng.chance(0.5) {
                (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
            } else {
                (vec![1, m, k], vec![1, n, k], 2, 2, Some(2), Some(2))
            }
        }
        // Around the AMX tiles (16 rows of 64 steps, 32 × 32 blocks of
        // C) and the K blocks of 512: M, N, K on both sides of their
        // multiples; NN, NT and a transposed x (whose rows the `amx`
        // level transposes 16 × 64 at a time).
        "tiles" => {
            let m = rng.pick(&[15, 16, 17, 31, 32, 33, 48, 65, 97]);
            let n = rng.pick(&[16, 31, 32, 33, 64, 65, 100]);
            let k = rng.pick(&[60, 64, 65, 127, 128, 200, 512, 513, 600]);
            match rng.below(3) {
                0 => (vec![b, m, k], vec![b, k, n], 2, 1, None, None),
                1 => (vec![b, m, k], vec![b, n, k], 2, 2, Some(2), Some(2)),
                _ => (vec![b, k, m], vec![b, k, n], 1, 1, None, None),
            }
        }
        // More than 512 columns.
        "wide" => {
            let m = rng.pick(&[2, 5, 9, 16]);
            let n = rng.pick(&[513, 530]);
            let k = rng.pick(&[3, 17, 33, 68]);
            (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
        }
        // More than 512 rows.
        "tall" => {
            let m = rng.pick(&[513, 530]);
            let n = rng.pick(&[2, 9, 17]);
            let k = rng.pick(&[5, 17, 40, 67]);
            (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
        }
        // Transposed operands: x (B, K, M) contracts its axis 1.
        "trans" => {
            let m = rng.pick(&[3, 8, 17, 40]);
            let n = rng.pick(&[1, 4, 17, 33]);
            let k = rng.pick(&[4, 16, 33, 130]);
            if rng.chance(0.5) {
                (vec![b, k, m], vec![b, k, n], 1, 1, None, None)
            } else {
                (vec![b, k, m], vec![b, n, k], 1, 2, Some(1), None)
            }
        }
        // Rank 4 with several free dimensions on each side.
        "rank4" => {
            let s = [1i64, 2, 3, 4];
            let x = vec![b, rng.pick(&s), rng.pick(&s) + 1, rng.pick(&[1, 4, 9, 17])];
            let y = vec![b, rng.pick(&s), x[3], rng.pick(&s) + 2];
            (x, y, 3, 2, None, None)
        }
        // K = 0 and K = 1.
        "k01" => {
            let k = rng.pick(&[0i64, 1]);
            let (m, n) = (rng.pick(&mn), rng.pick(&mn));
            match rng.below(3) {
                0 => (vec![b, m, k], vec![b, k, n], 2, 1, None, None),
                1 => (vec![b * 3, k], vec![b * 3, k], 1, 1, None, None),
                _ => (vec![b, m, k], vec![b, k], 2, 1, None, None),
            }
        }
        _ => unreachable!("{which}"),
    };
    (s, contiguous)
}

/// A random case of regime `which` for `row`, its values drawn as `vals`.
fn make_case(rng: &mut SplitMix64, which: &str, row: Row, vals: Values) -> Case {
    let ((xs, ys, ax, ay, xin, yin), contiguous) = regime_shapes(rng, which);
    let (kx, ky) = (rng.chance(0.8), rng.chance(0.8));
    let un = row.x_unsigned();
    lay_out(
        rng,
        (&xs, xin.filter(|_| kx)),
        (&ys, yin.filter(|_| ky)),
        (ax, ay),
        contiguous,
        |r| int8::value(vals, un, r),
        |r| int8::value(vals, false, r),
    )
}

/// `n` random cases of regime `which` per row, every level, 1 and 2
/// threads.
fn regime_test(which: &str, seed: u64, n: usize, vals: Values) {
    let mut rng = SplitMix64::new(seed);
    for case in 0..n {
        for row in Row::ALL {
            let c = make_case(&mut rng, which, row, vals);
            run_all(&c, row, &format!("{which} #{case} {vals:?}"));
        }
    }
}

macro_rules! regimes {
    ($($name:ident: $which:literal, $n:expr, $vals:ident;)*) => {$(
        #[test]
        fn $name() {
            regime_test($which, seed_of(stringify!($name)), $n, Values::$vals);
        }
    )*};
}

regimes! {
    dot_rows_short: "dot_short", 24, Random;
    dot_rows_long: "dot_long", 8, Random;
    gemv: "gemv", 16, Random;
    vecmat: "vecmat", 12, Random;
    fixed_blocks: "fixed", 24, Random;
    tiny_strided: "tiny", 20, Random;
    gemm_tails: "gemm", 10, Random;
    gemm_tiles: "tiles", 12, Random;
    extreme_tiles: "tiles", 4, Extreme;
    gemm_wide: "wide", 3, Random;
    gemm_tall: "tall", 3, Random;
    transposed: "trans", 12, Random;
    rank4: "rank4", 16, Random;
    k_zero_and_one: "k01", 16, Random;
    extreme_dot_rows: "dot_short", 12, Extreme;
    extreme_dot_long: "dot_long", 4, Extreme;
    extreme_gemv: "gemv", 8, Extreme;
    extreme_fixed: "fixed", 12, Extreme;
    extreme_tiny: "tiny", 8, Extreme;
    extreme_gemm: "gemm", 6, Extreme;
    extreme_trans: "trans", 6, Extreme;
}

/// Extremes in every regime at once, one case each (the named regimes
/// above run more): see the module's note on saturation.
#[test]
fn extreme_values_in_every_regime() {
    let mut rng = SplitMix64::new(seed_of("extreme_values_in_every_regime"));
    for which in [
        "dot_short",
        "dot_long",
        "gemv",
        "vecmat",
        "fixed",
        "tiny",
        "gemm",
        "wide",
        "tall",
        "trans",
        "rank4",
        "k01",
    ] {
        for row in Row::ALL {
            let c = make_case(&mut rng, which, row, Values::Extreme);
            run_all(&c, row, &format!("{which} extremes"));
        }
    }
}

// ---------------------------------------------------------------------------
// The benchmark's shapes and views
// ---------------------------------------------------------------------------

/// A tensor seen through an explicit view (shape, strides, offset) of a
/// base buffer of `len` elements, all of them values.
fn view(
    shape: &[i64],
    strides: &[i64],
    offset: i64,
    len: i64,
    rng: &mut SplitMix64,
    mut v: impl FnMut(&mut SplitMix64) -> u8,
) -> Tensor<u8> {
    let layout = lay(shape, strides, offset, len);
    let buf: Vec<u8> = (0..len.max(1)).map(|_| v(rng)).collect();
    let logical = gather(&layout, &buf);
    Tensor {
        layout,
        buf,
        logical,
    }
}

/// Packed row-major strides of `shape`.
fn packed(shape: &[i64]) -> Vec<i64> {
    let mut s = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1].max(1);
    }
    s
}

/// A contiguous tensor of `shape`.
fn packed_tensor(
    shape: &[i64],
    rng: &mut SplitMix64,
    v: impl FnMut(&mut SplitMix64) -> u8,
) -> Tensor<u8> {
    let n: i64 = shape.iter().product();
    view(shape, &packed(shape), 0, n, rng, v)
}

/// The case of `id` (docs/PERFORMANCE.md's suite, batches cut so that a
/// debug build runs every level in seconds) for `row`, values `vals`.
fn bench_case(id: &str, row: Row, vals: Values, rng: &mut SplitMix64) -> Case {
    let un = row.x_unsigned();
    let xv = move |r: &mut SplitMix64| int8::value(vals, un, r);
    let yv = |r: &mut SplitMix64| int8::value(vals, false, r);
    let out_for = |xs: &[i64], ys: &[i64], ax: i64, ay: i64, rng: &mut SplitMix64| {
        let o = oracle::shapes(xs, ys, ax, ay).unwrap();
        let arr = if rng.chance(0.5) {
            Arrangement::CONTIGUOUS
        } else {
            Arrangement::random(rng, false)
        };
        arranged_layout(&o, arr, rng)
    };
    let (x, y, ax, ay) = match id {
        // a: q·kᵀ, (B, 64, 64)·(B, 64, 64), axes (2, 2).
        "a" => (
            packed_tensor(&[2, 64, 64], rng, xv),
            packed_tensor(&[2, 64, 64], rng, yv),
            2,
            2,
        ),
        // a2: BERT-base scores, (B, 128, 64)·(B, 128, 64), axes (2, 2).
        "a2" => (
            packed_tensor(&[1, 128, 64], rng, xv),
            packed_tensor(&[1, 128, 64], rng, yv),
            2,
            2,
        ),
        // b: P·V, (B, 128, 128)·(B, 128, 64), axes (2, 1).
        "b" => (
            packed_tensor(&[1, 128, 128], rng, xv),
            packed_tensor(&[1, 128, 64], rng, yv),
            2,
            1,
        ),
        // c-like: a large single GEMM, M, N, K off every tile.
        "c" => (
            packed_tensor(&[1, 100, 301], rng, xv),
            packed_tensor(&[1, 301, 90], rng, yv),
            2,
            1,
        ),
        // g1: base (B, 128, 64)[:, ::2, :] · (B, 64, 64), axes (2, 2).
        "g1" => (
            view(&[2, 64, 64], &[128 * 64, 128, 1], 0, 2 * 128 * 64, rng, xv),
            packed_tensor(&[2, 64, 64], rng, yv),
            2,
            2,
        ),
        // g2: base (1, K, M).transpose(0, 2, 1) · (1, K, N), axes (2, 1).
        "g2" => (
            view(&[1, 96, 130], &[130 * 96, 1, 96], 0, 130 * 96, rng, xv),
            packed_tensor(&[1, 130, 70], rng, yv),
            2,
            1,
        ),
        // g3: base (B, 64, 128)[:, :, ::2] · (B, 64, 64), axes (2, 2).
        "g3" => (
            view(&[2, 64, 64], &[64 * 128, 128, 2], 0, 2 * 64 * 128, rng, xv),
            packed_tensor(&[2, 64, 64], rng, yv),
            2,
            2,
        ),
        // neg: base (2, 40, 70)[:, ::-1, ::-1] · y (2, 70, 33)[::-1] (batch
        // reversed), axes (2, 1).
        "neg" => (
            view(&[2, 40, 70], &[2800, -70, -1], 2799, 5600, rng, xv),
            view(&[2, 70, 33], &[-2310, 33, 1], 2310, 4620, rng, yv),
            2,
            1,
        ),
        _ => unreachable!("{id}"),
    };
    let xs = x.layout.shape[..x.layout.ndim as usize].to_vec();
    let ys = y.layout.shape[..y.layout.ndim as usize].to_vec();
    let out = out_for(&xs, &ys, ax, ay, rng);
    Case { x, y, out, ax, ay }
}

#[test]
fn benchmark_shapes_and_views() {
    let mut rng = SplitMix64::new(seed_of("benchmark_shapes_and_views"));
    for id in ["a", "a2", "b", "c", "g1", "g2", "g3", "neg"] {
        for row in Row::ALL {
            // Random values, and (for the GEMM-sized ones) extremes.
            let c = bench_case(id, row, Values::Random, &mut rng);
            run_all(&c, row, &format!("bench {id} random"));
            if matches!(id, "a" | "b" | "g3" | "neg") {
                let c = bench_case(id, row, Values::Extreme, &mut rng);
                run_all(&c, row, &format!("bench {id} extremes"));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Saturation and wrap
// ---------------------------------------------------------------------------

/// A case from constant inputs: x (B, M, K) · y (B, K, N) (row dots for
/// M = N = 1, mat-vec for N = 1) with every x byte `xb` and y byte `yb`,
/// contiguous or (strided) arranged at random without broadcast.
fn constant_case(
    rng: &mut SplitMix64,
    (b, m, k, n): (i64, i64, i64, i64),
    (xb, yb): (u8, u8),
    strided: bool,
) -> Case {
    let xs = if m == 1 && n == 1 {
        vec![b, k]
    } else {
        vec![b, m, k]
    };
    let ys = if n == 1 { vec![b, k] } else { vec![b, k, n] };
    let ax = xs.len() as i64 - 1;
    let arr = |rng: &mut SplitMix64| {
        if strided {
            Arrangement {
                broadcast: false,
                ..Arrangement::random(rng, false)
            }
        } else {
            Arrangement::CONTIGUOUS
        }
    };
    let a = arr(rng);
    let x = int8::tensor8(&xs, a, rng, |_| xb);
    let a = arr(rng);
    let y = int8::tensor8(&ys, a, rng, |_| yb);
    let o = oracle::shapes(&xs, &ys, ax, 1).unwrap();
    let a = arr(rng);
    let out = arranged_layout(&o, a, rng);
    Case {
        x,
        y,
        out,
        ax,
        ay: 1,
    }
}

/// The (B, M, K, N) products of the saturation test: row dots, mat-vec,
/// vec-mat-like, the fixed blocks, tiny and GEMM shapes with tails; K long
/// enough that any 16-bit accumulation overflows many times.
const SAT_SHAPES: [(i64, i64, i64, i64); 9] = [
    (3, 1, 4096, 1),
    (2, 1, 4095, 1),
    (1, 5, 4096, 1),
    (1, 1, 4096, 9),
    (40, 4, 4, 4),
    (20, 8, 8, 8),
    (2, 3, 1000, 5),
    (1, 9, 4096, 7),
    (1, 17, 300, 33),
];

/// The inputs of a vpmaddubsw-style kernel's failures: S8·S8 −128·−128
/// (2·16384 = 32768 saturates a 16-bit pair sum; |−128| is not an int8
/// for an abs/sign trick) and its mixed signs; U8·S8 255·127 (pair
/// 64770) and 255·−128 (pair −65280). Every sum fits in int32 (K ≤ 4096).
/// A kernel that saturates, or accumulates in 16 bits, fails this test
/// at the level that runs it.
#[test]
fn saturation_is_never_taken() {
    let mut rng = SplitMix64::new(seed_of("saturation_is_never_taken"));
    let pairs: [(Row, u8, u8, i64); 7] = [
        (Row::S8S8, 0x80, 0x80, 16384),
        (Row::S8S8, 0x80, 0x7f, -16256),
        (Row::S8S8, 0x7f, 0x80, -16256),
        (Row::S8S8, 0x81, 0x81, 16129),
        (Row::U8S8, 0xff, 0x7f, 32385),
        (Row::U8S8, 0xff, 0x80, -32640),
        (Row::U8S8, 0x80, 0x80, -16384),
    ];
    for (row, xb, yb, prod) in pairs {
        for (s, &shape) in SAT_SHAPES.iter().enumerate() {
            let strided = s % 2 == 1;
            let c = constant_case(&mut rng, shape, (xb, yb), strided);
            let what = format!("{} {xb:#04x}·{yb:#04x} {shape:?}", row.name());
            let got = run_all(&c, row, &what);
            // On top of the reference: every output is K·prod exactly.
            let want = int8::wrap(shape.2 * prod);
            assert!(
                got.iter().all(|&v| v == want),
                "{what}: {got:?} want {want}"
            );
        }
    }
}

/// docs/API.md: a sum that does not fit in int32 wraps modulo 2^32, the
/// same on every level and thread count: S8·S8 all −128·−128 with K at
/// and past 131072 (2^14·K), U8·S8 255·−128 past 65793 and 255·127 past
/// 66311; and at the edge K the sum just fits. Small in memory: M = N = 1
/// (a row dot, 2 rows) and a 2×2 product with batch 1.
#[test]
fn sums_past_int32_wrap() {
    let mut rng = SplitMix64::new(seed_of("sums_past_int32_wrap"));
    let cases: [(Row, u8, u8, i64, i64); 8] = [
        (Row::S8S8, 0x80, 0x80, 16384, 131_071),
        (Row::S8S8, 0x80, 0x80, 16384, 131_072),
        (Row::S8S8, 0x80, 0x80, 16384, 131_075),
        (Row::S8S8, 0x80, 0x7f, -16256, 140_000),
        (Row::U8S8, 0xff, 0x80, -32640, 65_793),
        (Row::U8S8, 0xff, 0x80, -32640, 65_794),
        (Row::U8S8, 0xff, 0x7f, 32385, 66_312),
        (Row::U8S8, 0xff, 0x7f, 32385, 70_001),
    ];
    for (row, xb, yb, prod, k) in cases {
        let exact = prod * k;
        let fits = exact >= i32::MIN as i64 && exact <= i32::MAX as i64;
        if (xb, yb) == (0x80, 0x80) || (xb, yb) == (0xff, 0x80) {
            // The extreme products: docs/API.md's edges.
            assert_eq!(fits, k <= row.max_exact_k(), "{k}");
        }
        for shape in [(2, 1, k, 1), (1, 2, k, 2)] {
            let c = constant_case(&mut rng, shape, (xb, yb), false);
            let what = format!("{} {xb:#04x}·{yb:#04x} K {k} {shape:?}", row.name());
            let r = c.reference(row);
            assert_eq!(r.wraps(), !fits, "{what}");
            let got = run_all(&c, row, &what);
            let want = int8::wrap(exact);
            assert!(
                got.iter().all(|&v| v == want),
                "{what}: {got:?} want {want}"
            );
        }
    }
}

/// An out of at least 2 MiB, its rows 64-byte aligned (the GEMM then
/// writes whole tiles with streaming stores: docs/DESIGN.md, "The int8
/// path"), and the same call with out 16 bytes off that alignment: every
/// element the reference's, the row padding untouched, 1 and 2 threads
/// bitwise equal; beta = 1 adds to out on the same layouts.
#[test]
fn large_aligned_out() {
    let mut rng = SplitMix64::new(seed_of("large_aligned_out"));
    // (2, 256, 68)·(2, 68, 1030): 527,360 int32, rows of 1040 (a multiple
    // of 16), the last panel of 64 columns partial.
    let (b, m, k, n, ld) = (2i64, 256i64, 68i64, 1030i64, 1040i64);
    let len = b * m * ld + 32;
    for row in Row::ALL {
        let un = row.x_unsigned();
        let x = packed_tensor(&[b, m, k], &mut rng, |r| int8::value(Values::Random, un, r));
        let y = packed_tensor(&[b, k, n], &mut rng, |r| {
            int8::value(Values::Random, false, r)
        });
        for skew in [0usize, 16] {
            // The buffer is allocated first, so that the offset aligns it.
            let mut od = vec![SENTINEL; len as usize];
            let at = od.as_ptr() as usize;
            let off = ((64 - at % 64) % 64 + skew) / 4;
            let out = lay(&[b, m, n], &[m * ld, ld, 1], off as i64, len);
            let c = Case {
                x: x.clone(),
                y: y.clone(),
                out,
                ax: 2,
                ay: 1,
            };
            let r = c.reference(row);
            let reached = storage_positions(&c.out);
            for isa in levels() {
                for beta in [None, Some(1.0)] {
                    let what = format!("{} {isa:?} skew {skew} beta {beta:?}", row.name());
                    let before: Vec<i32> = (0..len)
                        .map(|i| {
                            if beta.is_some() {
                                (i as i32).wrapping_mul(40503)
                            } else {
                                SENTINEL
                            }
                        })
                        .collect();
                    let mut runs = vec![];
                    for threads in [1, 2] {
                        od.copy_from_slice(&before);
                        let o = options(threads, beta.map(|bt| (1.0, bt)));
                        call_into(&c, row, isa, &o, &mut od)
                            .unwrap_or_else(|e| panic!("{what}: {e}"));
                        runs.push(od.clone());
                    }
                    assert!(runs[0] == runs[1], "{what}: 2 threads differ");
                    for (i, &p) in reached.iter().enumerate() {
                        let got = runs[0][p];
                        let res = match beta {
                            None => int8::check(&r, i, got),
                            Some(bt) => int8::check_scaled(&r, i, bt, before[p], got),
                        };
                        if let Err(e) = res {
                            panic!("{what}: out {e}");
                        }
                    }
                    for p in unreached_positions(&c.out, od.len()) {
                        assert_eq!(runs[0][p], before[p], "{what}: out[{p}] written");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------

/// beta = 1 adds out modulo 2^32 (out near i32::MAX and i32::MIN, so the
/// sum wraps), beta = 0 (and −0) ignores a garbage out, alpha = 1 beta =
/// 0 is the plain call bit for bit; 1 and 2 threads; every regime.
#[test]
fn scale_accumulates_modulo_2_32() {
    let mut rng = SplitMix64::new(seed_of("scale_accumulates_modulo_2_32"));
    for which in [
        "dot_short",
        "dot_long",
        "gemv",
        "vecmat",
        "fixed",
        "tiny",
        "gemm",
        "trans",
        "rank4",
        "k01",
    ] {
        for row in Row::ALL {
            let vals = if rng.chance(0.5) {
                Values::Extreme
            } else {
                Values::Random
            };
            let c = make_case(&mut rng, which, row, vals);
            let r = c.reference(row);
            let reached = storage_positions(&c.out);
            let blank = c.blank();
            for isa in levels() {
                let plain = run(&c, row, isa, &options(1, None), &blank);
                for beta in [0.0, -0.0, 1.0] {
                    let what = format!("{which} {} {isa:?} beta {beta}", row.name());
                    let mut before = blank.clone();
                    for &p in &reached {
                        before[p] = match rng.below(4) {
                            0 => i32::MAX - rng.below(1000) as i32,
                            1 => i32::MIN + rng.below(1000) as i32,
                            2 => rng.next_u64() as i32,
                            _ => rng.below(7) as i32 - 3,
                        };
                    }
                    let s = Some((1.0, beta));
                    let od = run(&c, row, isa, &options(1, s), &before);
                    let od2 = run(&c, row, isa, &options(2, s), &before);
                    assert!(od == od2, "{what}: 2 threads differ");
                    for (i, &p) in reached.iter().enumerate() {
                        if let Err(e) = int8::check_scaled(&r, i, beta, before[p], od[p]) {
                            panic!("{what}: out {e}\n  {}", c.describe());
                        }
                        if beta == 0.0 {
                            assert_eq!(od[p], plain[p], "{what}: not the plain call");
                        }
                    }
                    for p in unreached_positions(&c.out, od.len()) {
                        assert_eq!(od[p], before[p], "{what}: out[{p}] written");
                    }
                }
            }
        }
    }
}

/// The (alpha, beta) pairs an int32 output refuses, and the message each
/// gives (docs/API.md: alpha's is checked first).
fn refused() -> Vec<(f64, f64)> {
    vec![
        (2.0, 0.0),
        (0.5, 1.0),
        (0.0, 0.0),
        (-1.0, 0.0),
        (f64::NAN, 0.0),
        (f64::INFINITY, 1.0),
        (1.0 + f64::EPSILON, 0.0),
        (1.0, 0.5),
        (1.0, -1.0),
        (1.0, 2.0),
        (1.0, f64::NAN),
        (1.0, f64::NEG_INFINITY),
        (1.0, 1e-300),
    ]
}

/// docs/API.md's message for a refused pair.
fn refusal_message(alpha: f64, beta: f64) -> String {
    if alpha != 1.0 {
        format!("options->alpha = {alpha}: an int32 output takes alpha = 1 only.")
    } else {
        format!("options->beta = {beta}: an int32 output takes beta = 0 or 1 only.")
    }
}

/// alpha ≠ 1, beta ∉ {0, 1} and NaN: INVALID_ARGUMENT (check 2), nothing
/// written, the message naming the value; through `batch_dot_s8`,
/// `batch_dot_compute` (both rows) and the testing hook at every level.
/// Without the flag, the same alpha and beta are not read.
#[test]
fn int32_scale_rule() {
    let mut rng = SplitMix64::new(seed_of("int32_scale_rule"));
    let c = make_case(&mut rng, "gemm", Row::S8S8, Values::Random);
    let r = c.reference(Row::S8S8);
    for (alpha, beta) in refused() {
        let want_msg = refusal_message(alpha, beta);
        let opts = options(1, Some((alpha, beta)));
        // The oracle agrees (from its own restatement of the rule).
        let o = Opts::of(&opts);
        for row in Row::ALL {
            let before = c.blank();
            let mut od = before.clone();
            let ls = [Some(&c.x.layout), Some(&c.y.layout), Some(&c.out)];
            let ptrs = [
                c.x.buf.as_ptr() as usize,
                c.y.buf.as_ptr() as usize,
                od.as_ptr() as usize,
            ];
            let v = oracle::compute_dtyped(row.codes(), ls, c.ax, c.ay, Some(&o), ptrs);
            assert_eq!(v.status, st::INVALID_ARGUMENT, "oracle {alpha} {beta}");
            let d = row.codes();
            // SAFETY: every buffer holds its layout's elements.
            let s = unsafe {
                batch_dot_compute(
                    d[0],
                    &c.x.layout,
                    c.x.buf.as_ptr().cast(),
                    d[1],
                    &c.y.layout,
                    c.y.buf.as_ptr().cast(),
                    c.ax,
                    c.ay,
                    d[2],
                    &c.out,
                    od.as_mut_ptr().cast(),
                    &opts,
                )
            };
            let what = format!("{} alpha {alpha} beta {beta}", row.name());
            assert_eq!(s, st::INVALID_ARGUMENT, "{what}: {}", last_error());
            assert_eq!(last_error(), want_msg, "{what}");
            assert_eq!(od, before, "{what}: written");
            if row == Row::S8S8 {
                // SAFETY: as above.
                let s = unsafe {
                    batch_dot_s8(
                        &c.x.layout,
                        c.x.buf.as_ptr().cast(),
                        &c.y.layout,
                        c.y.buf.as_ptr().cast(),
                        c.ax,
                        c.ay,
                        &c.out,
                        od.as_mut_ptr(),
                        &opts,
                    )
                };
                assert_eq!(s, st::INVALID_ARGUMENT, "{what} batch_dot_s8");
                assert_eq!(last_error(), want_msg, "{what} batch_dot_s8");
                assert_eq!(od, before, "{what}: written by batch_dot_s8");
            }
            for isa in levels() {
                let e = try_run(&c, row, isa, &opts, &before).expect_err(&what);
                assert_eq!(e.status(), st::INVALID_ARGUMENT, "{what} {isa:?}");
                assert_eq!(e.to_string(), want_msg, "{what} {isa:?}");
            }
            // Without the flag: not read, the plain product.
            let mut plain = options(2, Some((alpha, beta)));
            plain.flags = 0;
            for isa in levels() {
                let od = run(&c, row, isa, &plain, &before);
                let r = if row == Row::S8S8 {
                    r.clone()
                } else {
                    c.reference(row)
                };
                check_out(&c, &r, &od, &before, &format!("{what} without the flag"));
            }
        }
    }
    // Check 2 comes before the later checks: a refused beta with a batch
    // axis (step 5) and a misaligned out (step 9) is still this refusal.
    let mut od = vec![0i32; 64];
    let opts = options(0, Some((1.0, 3.0)));
    let xl = lay(&[2, 3], &[3, 1], 0, 6);
    let ol = lay(&[2, 1], &[1, 1], 0, 2);
    let xd = [1i8; 6];
    let op = (od.as_mut_ptr() as *mut u8).wrapping_add(1) as *mut i32;
    // SAFETY: the call fails at check 2, before any data is touched.
    let s = unsafe { batch_dot_s8(&xl, xd.as_ptr(), &xl, xd.as_ptr(), 0, 1, &ol, op, &opts) };
    assert_eq!(s, st::INVALID_ARGUMENT);
    assert_eq!(last_error(), refusal_message(1.0, 3.0));
    assert!(od.iter().all(|&v| v == 0));
}

// ---------------------------------------------------------------------------
// The C ABI
// ---------------------------------------------------------------------------

/// One random call of `batch_dot_s8` and of `batch_dot_compute` with (S8,
/// S8, S32): the same status, message and output bits; the status is the
/// oracle's; nothing is written on error; a result is the reference's.
/// Also (U8, S8, S32) on the same bytes, checked the same way. Returns the
/// status of the typed call.
fn typed_and_compute(rng: &mut SplitMix64) -> i32 {
    let (xs, ys, ax, ay) = random_call(rng, 5, 40);
    let vals = if rng.chance(0.3) {
        Values::Extreme
    } else {
        Values::Random
    };
    let a = Arrangement::random(rng, true);
    let x = int8::tensor8(&xs, a, rng, |r| int8::value(vals, false, r));
    let a = Arrangement::random(rng, true);
    let y = int8::tensor8(&ys, a, rng, |r| int8::value(vals, false, r));
    let oshape = oracle::shapes(&xs, &ys, ax, ay).unwrap_or_else(|_| vec![xs[0].max(0), 1]);
    let a = Arrangement::random(rng, false);
    let mut ol = arranged_layout(&oshape, a, rng);
    match rng.below(12) {
        0 => ol.len = (ol.len - 1).max(0),
        1 => ol.flags = 1,
        2 => ol.shape[0] += 1,
        _ => {}
    }
    let olen = ol.len.max(1) as usize;
    let mut opts = with_threads(rng.below(3) as u32);
    if rng.chance(0.3) {
        opts.flags = BATCH_DOT_OPT_SCALE;
        (opts.alpha, opts.beta) =
            rng.pick(&[(1.0, 0.0), (1.0, 1.0), (1.0, -0.0), (0.5, 0.0), (1.0, 2.0)]);
    }
    let popts: *const batch_dot_options = if rng.chance(0.7) { &opts } else { ptr::null() };
    let o = (!popts.is_null()).then(|| Opts::of(&opts));
    let scale = o.as_ref().and_then(Opts::scale);
    // Out's reached elements hold values (read when beta = 1), the rest
    // the sentinel.
    let mut before = vec![SENTINEL; olen];
    if oracle::shapes(&xs, &ys, ax, ay).as_deref() == Ok(&ol.shape[..ol.ndim as usize])
        && ol.flags == 0
        && oracle::reach(&ol).1 < ol.len as i128
    {
        for p in storage_positions(&ol) {
            before[p] = rng.next_u64() as i32;
        }
    }
    let (mut o1, mut o2, mut o3) = (before.clone(), before.clone(), before.clone());
    // SAFETY: each buffer holds what its layout says it owns (a layout
    // claiming more fails before any data is touched); popts is NULL or live.
    let s1 = unsafe {
        batch_dot_s8(
            &x.layout,
            x.buf.as_ptr().cast(),
            &y.layout,
            y.buf.as_ptr().cast(),
            ax,
            ay,
            &ol,
            o1.as_mut_ptr(),
            popts,
        )
    };
    let m1 = last_error();
    let compute = |row: Row, od: &mut [i32]| {
        let d = row.codes();
        // SAFETY: as above.
        unsafe {
            batch_dot_compute(
                d[0],
                &x.layout,
                x.buf.as_ptr().cast(),
                d[1],
                &y.layout,
                y.buf.as_ptr().cast(),
                ax,
                ay,
                d[2],
                &ol,
                od.as_mut_ptr().cast(),
                popts,
            )
        }
    };
    let s2 = compute(Row::S8S8, &mut o2);
    let m2 = last_error();
    let s3 = compute(Row::U8S8, &mut o3);
    let m3 = last_error();
    let what = format!(
        "{xs:?}·{ys:?} axes ({ax}, {ay}) out {} opts {:?}",
        describe_layout(&ol),
        o.as_ref().map(|o| (o.flags(), o.scale()))
    );
    assert_eq!((s1, &m1), (s2, &m2), "{what}: status and message");
    assert_eq!(o1, o2, "{what}: output bits");
    let ls = [Some(&x.layout), Some(&y.layout), Some(&ol)];
    let ptrs = |od: &[i32]| {
        [
            x.buf.as_ptr() as usize,
            y.buf.as_ptr() as usize,
            od.as_ptr() as usize,
        ]
    };
    let v_s8 = oracle::compute_s8(ls, ax, ay, o.as_ref(), ptrs(&o1));
    let v_u8 = oracle::compute_dtyped(Row::U8S8.codes(), ls, ax, ay, o.as_ref(), ptrs(&o3));
    assert_eq!(s1, v_s8.status, "{what}: the oracle ({m1})");
    assert_eq!(s3, v_u8.status, "{what}: the oracle, u8 ({m3})");
    for (s, row, od, msg) in [(s1, Row::S8S8, &o1, &m1), (s3, Row::U8S8, &o3, &m3)] {
        if s != st::OK {
            assert_eq!(*od, before, "{what} {}: written on error", row.name());
            assert!(!msg.is_empty(), "{what}: no message");
            continue;
        }
        assert!(msg.is_empty(), "{what}: a message on success: {msg}");
        let r = int8::batch_dot8(row, &x.layout, &x.buf, &y.layout, &y.buf, ax, ay).unwrap();
        for (i, p) in storage_positions(&ol).into_iter().enumerate() {
            let e = match scale {
                Some((_, beta)) => int8::check_scaled(&r, i, beta, before[p], od[p]),
                None => int8::check(&r, i, od[p]),
            };
            if let Err(e) = e {
                panic!("{what} {}: out {e}", row.name());
            }
        }
        for p in unreached_positions(&ol, od.len()) {
            assert_eq!(od[p], before[p], "{what} {}: out[{p}] written", row.name());
        }
    }
    s1
}

#[test]
fn compute_is_batch_dot_s8_bit_for_bit() {
    let mut rng = SplitMix64::new(0x5e8_c0de);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..600 {
        if typed_and_compute(&mut rng) == st::OK {
            ok += 1;
        } else {
            err += 1;
        }
    }
    assert!(ok > 300 && err > 100, "{ok} valid, {err} errors");
}

/// The other integer combinations stay UNSUPPORTED_DTYPE; 1-byte inputs
/// at any address; an int32 out at 1, 2 or 3 mod 4 is INVALID_ARGUMENT
/// naming out_data; nothing is written on error; `batch_dot_s8` checks
/// the same.
#[test]
fn dtype_and_alignment_statuses() {
    for dt in [
        [5, 5, 5],
        [6, 6, 7],
        [6, 6, 6],
        [5, 6, 7],
        [5, 5, 1],
        [6, 5, 1],
        [5, 5, 2],
        [7, 7, 7],
        [5, 5, 3],
        [1, 1, 7],
        [4, 4, 7],
        [6, 5, 6],
    ] {
        let (s, msg, clean) = status_at(dt, [0, 0, 0]);
        assert_eq!(s, st::UNSUPPORTED_DTYPE, "{dt:?}: {msg}");
        assert!(clean, "{dt:?}: out written");
    }
    for dt in [[5, 5, 7], [6, 5, 7]] {
        for offs in [[0, 0, 0], [1, 3, 4], [7, 5, 8], [3, 3, 0]] {
            let (s, msg, clean) = status_at(dt, offs);
            assert_eq!(s, st::OK, "{dt:?} {offs:?}: {msg}");
            assert!(!clean, "{dt:?}: out not written");
        }
        for off in [1, 2, 3, 5, 6] {
            let (s, msg, clean) = status_at(dt, [0, 0, off]);
            assert_eq!(s, st::INVALID_ARGUMENT, "{dt:?} out at {off}: {msg}");
            assert!(msg.contains("out_data"), "{dt:?} out at {off}: {msg}");
            assert!(clean, "{dt:?} out at {off}: written on error");
        }
    }
    // batch_dot_s8: the same checks, NULL pointers included.
    let l = lay(&[1, 2], &[2, 1], 0, 2);
    let o = lay(&[1, 1], &[1, 1], 0, 1);
    let xd = [3i8, -4];
    let mut ob = bytes(16);
    let base = ob.as_mut_ptr() as *mut u8;
    for (off, xp, want) in [
        (0usize, xd.as_ptr(), st::OK),
        (2, xd.as_ptr(), st::INVALID_ARGUMENT),
        (4, xd.as_ptr(), st::OK),
        (0, ptr::null(), st::NULL_POINTER),
    ] {
        let op = base.wrapping_add(off) as *mut i32;
        // SAFETY: out has 16 bytes from `base`; x and y are 2 int8 (or
        // NULL, refused before any data is read); misaligned out is refused
        // before anything is written.
        let s = unsafe { batch_dot_s8(&l, xp, &l, xd.as_ptr(), 1, 1, &o, op, ptr::null()) };
        assert_eq!(s, want, "out at {off}: {}", last_error());
        if want == st::OK {
            // SAFETY: the call wrote one aligned int32 there.
            assert_eq!(unsafe { op.read() }, 9 + 16);
        }
    }
    // A (2, 1) int32 out must not overlap x's bytes: x (2, 3) int8 at byte
    // 16 is bytes 16..=21; out (8 bytes) at 8 is apart, at 12 and 20 on x,
    // at 24 apart.
    let xl = lay(&[2, 3], &[3, 1], 0, 6);
    let ol = lay(&[2, 1], &[1, 1], 0, 2);
    for (off, alias) in [(8usize, false), (12, true), (20, true), (24, false)] {
        let mut buf = bytes(64);
        let base = buf.as_mut_ptr() as *mut u8;
        let xp = base.wrapping_add(16) as *mut i8;
        // SAFETY: bytes 16..22 of the 64-byte buffer.
        unsafe { std::slice::from_raw_parts_mut(xp, 6).fill(-2) };
        let yd = [3i8; 6];
        let op = base.wrapping_add(off) as *mut i32;
        // SAFETY: x reads bytes 16..22, out writes 8 bytes from `off`
        // (< 56), all inside the buffer; y is its own array.
        let s = unsafe { batch_dot_s8(&xl, xp, &xl, yd.as_ptr(), 1, 1, &ol, op, ptr::null()) };
        let v = oracle::compute_s8(
            [Some(&xl), Some(&xl), Some(&ol)],
            1,
            1,
            None,
            [xp as usize, yd.as_ptr() as usize, op as usize],
        );
        assert_eq!(s, v.status, "out at {off}: the oracle ({})", last_error());
        assert_eq!(s, if alias { st::ALIASING } else { st::OK }, "out at {off}");
        if !alias {
            // SAFETY: out's two elements, written by the call.
            let got = unsafe { std::slice::from_raw_parts(op, 2) };
            assert_eq!(got, [-18, -18]);
        }
    }
}

/// Calls big enough to be split between threads, through
/// `batch_dot_compute` at the active level with 1, 2 and 3 threads:
/// bitwise identical; checked against the reference on a slice (the first
/// two batches, or the first 8 rows of a single one).
#[test]
fn threads_bitwise_identical() {
    let mut rng = SplitMix64::new(0x7e4d_0008);
    type Call<'a> = (&'a [i64], &'a [i64], (i64, i64));
    let calls: [Call; 5] = [
        (&[8, 48, 48], &[8, 48, 48], (2, 2)),
        (&[1, 160, 140], &[1, 140, 100], (2, 1)),
        (&[2048, 4, 4], &[2048, 4, 4], (2, 1)),
        (&[20000, 16], &[20000, 16], (1, 1)),
        (&[32, 128, 96], &[32, 96], (2, 1)),
    ];
    for (xs, ys, axes) in calls {
        for row in Row::ALL {
            let un = row.x_unsigned();
            let c = lay_out(
                &mut rng,
                (xs, None),
                (ys, None),
                axes,
                false,
                |r| int8::value(Values::Random, un, r),
                |r| int8::value(Values::Random, false, r),
            );
            let mut part = Case {
                x: c.x.clone(),
                y: c.y.clone(),
                out: c.out,
                ax: c.ax,
                ay: c.ay,
            };
            if xs[0] > 1 {
                for l in [&mut part.x.layout, &mut part.y.layout, &mut part.out] {
                    l.shape[0] = 2;
                }
            } else {
                part.x.layout.shape[1] = 8;
                part.out.shape[1] = 8;
            }
            let r = part.reference(row);
            let before = c.blank();
            let mut first: Option<Vec<i32>> = None;
            for threads in [1u32, 2, 3] {
                let mut od = before.clone();
                let d = row.codes();
                // SAFETY: every buffer holds its layout's elements.
                let s = unsafe {
                    batch_dot_compute(
                        d[0],
                        &c.x.layout,
                        c.x.buf.as_ptr().cast(),
                        d[1],
                        &c.y.layout,
                        c.y.buf.as_ptr().cast(),
                        c.ax,
                        c.ay,
                        d[2],
                        &c.out,
                        od.as_mut_ptr().cast(),
                        &options(threads, None),
                    )
                };
                assert_eq!(s, st::OK, "{xs:?}: {}", last_error());
                let what = format!("{xs:?}·{ys:?} {} {threads} threads", row.name());
                match &first {
                    None => {
                        for (i, p) in storage_positions(&part.out).into_iter().enumerate() {
                            if let Err(e) = int8::check(&r, i, od[p]) {
                                panic!("{what}: out {e}\n  {}", c.describe());
                            }
                        }
                        for p in unreached_positions(&c.out, od.len()) {
                            assert_eq!(od[p], before[p], "{what}: out[{p}] written");
                        }
                        first = Some(od);
                    }
                    Some(f) => assert!(*f == od, "{what}: differs from 1 thread"),
                }
            }
        }
    }
}
