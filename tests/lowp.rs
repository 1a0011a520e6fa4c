//! The floating 16-bit dtypes (docs/API.md, "Element types (version 0.2)";
//! docs/SEMANTICS.md §12): (BF16, BF16, BF16), (BF16, BF16, F32), (F16,
//! F16, F16) and (F16, F16, F32), at every instruction-set level this CPU
//! supports and with 1 and 2 threads, through `batch_dot::testing::
//! compute_dtyped_at`, against the test kit's independent reference
//! (`testkit::lowp`):
//!
//! - random layouts (permuted, padded, reversed, offset, broadcast inputs)
//!   in every regime: row dots with short and long K, mat-vec, vec-mat,
//!   the contiguous 4×4×4 and 8×8×8 blocks and strided tiny products, the
//!   GEMM with several K blocks, more than 512 columns or rows, transposed
//!   operands, rank 4, K = 0; each output within the bound of docs/API.md
//!   (a 16-bit output: the rounding of an f32 value within it), bitwise the
//!   same with 1 and 2 threads, nothing outside out's elements written;
//! - alpha/beta (`BATCH_DOT_OPT_SCALE`): beta 0 with NaN in out, beta 1,
//!   alpha 0.125, and (1, 0) bitwise the plain call;
//! - special values: Inf and NaN propagate, sums past float16's and
//!   bfloat16's range are ±Inf (f32 outputs keep them), subnormal inputs
//!   are exact, K = 0 is +0, rounding is once and to nearest even, an Inf
//!   next to a kernel's padded tail never becomes NaN;
//! - the C ABI: `batch_dot_compute` with (BF16, BF16, BF16) is
//!   `batch_dot_bf16` bit for bit (and F16), the statuses are the test
//!   kit's oracle's (unsupported combinations, alignment and aliasing by
//!   each tensor's own element size), nothing is written on error.

use std::ffi::c_void;
use std::ptr;

use batch_dot::testing::{compute_dtyped_at, Isa};
use batch_dot::*;
use testkit::calls::{bytes, last_error, options, random_call, status_at, with_threads};
use testkit::layouts::{arranged_layout, lay, storage_positions, unreached_positions};
use testkit::layouts::{Arrangement, Tensor};
use testkit::lowp::{self, Format, OutElem, BF16, F16, F32};
use testkit::oracle::{self, st, Opts};
use testkit::reference::Reference;
use testkit::rng::seed_of;
use testkit::SplitMix64;

const D: i64 = BATCH_DOT_AXIS_DEFAULT;

/// The instruction-set levels this CPU runs.
fn levels() -> Vec<Isa> {
    Isa::FLOAT.into_iter().filter(|i| i.supported()).collect()
}

/// What the inputs hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Values {
    /// Finite values of moderate size ([`lowp::random_value`]).
    Plain,
    /// Those, with zeros, ±Inf and NaN sprinkled in.
    Specials,
}

/// A random input element of `fmt`.
fn value(fmt: Format, vals: Values, rng: &mut SplitMix64) -> u16 {
    if vals == Values::Specials {
        match rng.below(400) {
            0 => return fmt.inf() as u16,
            1 => return (fmt.inf() | fmt.sign_bit()) as u16,
            2 => return fmt.nan() as u16,
            3..=30 => {
                return if rng.chance(0.5) {
                    0
                } else {
                    fmt.sign_bit() as u16
                }
            }
            _ => {}
        }
    }
    lowp::random_value(fmt, rng)
}

/// One call: x and y (16-bit tensors of one format), the axes and out's
/// layout.
struct Case {
    x: Tensor<u16>,
    y: Tensor<u16>,
    out: batch_dot_layout,
    ax: i64,
    ay: i64,
}

impl Case {
    fn describe(&self) -> String {
        let l = |t: &batch_dot_layout| {
            let n = t.ndim as usize;
            format!(
                "shape {:?} strides {:?} offset {} len {}",
                &t.shape[..n],
                &t.strides[..n],
                t.offset,
                t.len
            )
        };
        format!(
            "x {}; y {}; axes ({}, {}); out {}",
            l(&self.x.layout),
            l(&self.y.layout),
            self.ax,
            self.ay,
            l(&self.out)
        )
    }

    /// The test kit's reference on this case's inputs.
    fn reference(&self, fmt: Format) -> Reference {
        lowp::batch_dot16(
            fmt,
            &self.x.layout,
            &self.x.buf,
            &self.y.layout,
            &self.y.buf,
            self.ax,
            self.ay,
        )
        .expect("a valid call")
    }

    /// An out buffer of `out.len` sentinels of `out_fmt` (bits).
    fn blank(&self, out_fmt: Format) -> Vec<u32> {
        vec![lowp::sentinel(out_fmt); (self.out.len as usize).max(1)]
    }
}

/// Lays out a case: x and y of `fmt` with values `vals`, each arranged at
/// random by the test kit's generator (contiguous when `contiguous`) with
/// the given dimension (if any) stored innermost; out arranged at random
/// for the result shape the oracle gives.
fn lay_out(
    rng: &mut SplitMix64,
    fmt: Format,
    vals: Values,
    (xs, xin): (&[i64], Option<usize>),
    (ys, yin): (&[i64], Option<usize>),
    (ax, ay): (i64, i64),
    contiguous: bool,
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
    let ax_ = arr(rng, true, xin);
    let x = lowp::tensor16(fmt, xs, ax_, rng, |r| value(fmt, vals, r));
    let ay_ = arr(rng, true, yin);
    let y = lowp::tensor16(fmt, ys, ay_, rng, |r| value(fmt, vals, r));
    let oshape = oracle::shapes(xs, ys, ax, ay).expect("a valid call");
    let ao = arr(rng, false, None);
    let out = arranged_layout(&oshape, ao, rng);
    Case { x, y, out, ax, ay }
}

/// A random case in the regime `which`, with inputs of `fmt`.
fn make_case(rng: &mut SplitMix64, which: &str, fmt: Format, vals: Values) -> Case {
    let b = rng.pick(&[1i64, 2, 3]);
    let small = [1i64, 2, 3, 4, 5, 7, 8, 9, 16, 17];
    let mut contiguous = rng.chance(0.2);
    type Shapes = (Vec<i64>, Vec<i64>, i64, i64, Option<usize>, Option<usize>);
    let (xs, ys, ax, ay, xin, yin): Shapes = match which {
        // m = n = 1, short K, many rows.
        "dot_short" => {
            let k = rng.pick(&[1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 64]);
            let rows = rng.pick(&[1i64, 5, 16, 37]);
            (vec![rows, k], vec![rows, k], 1, 1, Some(1), Some(1))
        }
        // m = n = 1, long K.
        "dot_long" => {
            let k = rng.pick(&[100, 129, 257, 1000]);
            (vec![b * 2, k], vec![b * 2, k], -1, -1, Some(1), Some(1))
        }
        // n = 1: x (B, M, K) · y (B, K).
        "gemv" => {
            let (m, k) = (
                rng.pick(&small) + rng.below(20) as i64,
                // (Up to 2048, y is converted once per product; beyond,
                // with each row.)
                rng.pick(&[1, 5, 16, 33, 70, 140, 2048, 2100]),
            );
            (vec![b, m, k], vec![b, k], 2, 1, Some(2), Some(1))
        }
        // m = 1: x (B, K) · y (B, N, K).
        "vecmat" => {
            let (n, k) = (
                rng.pick(&small) + rng.below(20) as i64,
                rng.pick(&[1, 7, 16, 40]),
            );
            (vec![b, k], vec![b, n, k], 1, 2, Some(1), Some(2))
        }
        // The contiguous 4×4×4 and 8×8×8 blocks (and their neighbours),
        // many of them; strided a third of the time.
        "fixed" => {
            let (m, k, n) = rng.pick(&[
                (4i64, 4i64, 4i64),
                (4, 4, 4),
                (8, 8, 8),
                (8, 8, 8),
                (2, 2, 2),
                (4, 4, 1),
                (1, 4, 4),
            ]);
            contiguous = !rng.chance(0.33);
            let bb = rng.pick(&[1i64, 3, 17, 40]);
            (vec![bb, m, k], vec![bb, k, n], 2, 1, Some(2), Some(2))
        }
        // Tiny strided products.
        "tiny" => {
            let (m, k, n) = (rng.pick(&small), rng.pick(&small), rng.pick(&small));
            (vec![b * 5, m, k], vec![b * 5, k, n], D, D, None, None)
        }
        // The GEMM with several blocks of K (K > 128), NN or NT.
        "gemm_k" => {
            let m = rng.pick(&[9, 16, 17, 33]);
            let n = rng.pick(&[2, 17, 32, 33]);
            let k = rng.pick(&[129, 200, 300]);
            if rng.chance(0.5) {
                (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
            } else {
                (vec![1, m, k], vec![1, n, k], 2, 2, Some(2), Some(2))
            }
        }
        // One block of K (K <= 128) with rows of whole vectors at every
        // level (n a multiple of 16), out's rows contiguous half of the
        // time: the sums go straight to out, rounded in the kernel's
        // epilogue, where out allows. NN or NT.
        "one_block" => {
            let m = rng.pick(&[5, 12, 30, 49]);
            let n = rng.pick(&[16, 32, 64, 80, 128]);
            let k = rng.pick(&[1, 17, 64, 128]);
            contiguous = rng.chance(0.5);
            if rng.chance(0.5) {
                (vec![b, m, k], vec![b, k, n], 2, 1, None, None)
            } else {
                (vec![b, m, k], vec![b, n, k], 2, 2, Some(2), Some(2))
            }
        }
        // More than 512 columns (several column blocks).
        "wide" => {
            let m = rng.pick(&[2, 5, 9, 16]);
            let n = rng.pick(&[513, 530, 600]);
            let k = rng.pick(&[3, 17, 33]);
            (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
        }
        // More than 512 rows.
        "tall" => {
            let m = rng.pick(&[513, 530]);
            let n = rng.pick(&[2, 9, 17]);
            let k = rng.pick(&[5, 17, 40]);
            (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
        }
        // Transposed operands: x (B, K, M) contracts its axis 1 (x stored
        // as x.transpose), with y (B, K, N) or y (B, N, K).
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
            let x = vec![b, rng.pick(&s), rng.pick(&s) + 1, rng.pick(&[1, 4, 9])];
            let y = vec![b, rng.pick(&s), x[3], rng.pick(&s) + 2];
            (x, y, 3, 2, None, None)
        }
        // K = 0.
        "zero" => {
            let (m, n) = (rng.pick(&small), rng.pick(&small));
            if rng.chance(0.5) {
                (vec![b, m, 0], vec![b, 0, n], 2, 1, None, None)
            } else {
                (vec![b * 3, 0], vec![b * 3, 0], 1, 1, None, None)
            }
        }
        _ => unreachable!("{which}"),
    };
    let (kx, ky) = (rng.chance(0.8), rng.chance(0.8));
    lay_out(
        rng,
        fmt,
        vals,
        (&xs, xin.filter(|_| kx)),
        (&ys, yin.filter(|_| ky)),
        (ax, ay),
        contiguous,
    )
}

/// One call of `compute_dtyped_at` with out elements `O` on an out buffer
/// holding `before` (bits); the buffer's bits after it.
fn call_as<O: OutElem>(
    c: &Case,
    dt: [i32; 3],
    isa: Isa,
    opts: &batch_dot_options,
    before: &[u32],
) -> Result<Vec<u32>, batch_dot::Error> {
    let mut od: Vec<O> = before.iter().map(|&b| O::from_bits32(b)).collect();
    compute_dtyped_at(
        isa,
        dt,
        &c.x.layout,
        &c.x.buf,
        &c.y.layout,
        &c.y.buf,
        c.ax,
        c.ay,
        &c.out,
        &mut od,
        opts,
    )?;
    Ok(od.iter().map(|v| v.bits32()).collect())
}

/// The case with inputs of `fmt` and outputs of `out` at level `isa`.
fn run(
    c: &Case,
    fmt: Format,
    out: Format,
    isa: Isa,
    opts: &batch_dot_options,
    before: &[u32],
) -> Vec<u32> {
    let dt = [fmt.code, fmt.code, out.code];
    let r = if out == F32 {
        call_as::<f32>(c, dt, isa, opts, before)
    } else {
        call_as::<u16>(c, dt, isa, opts, before)
    };
    r.unwrap_or_else(|e| panic!("{dt:?} {isa:?}: {e} ({})", c.describe()))
}

/// Every output element of `od` is right for the reference `r`
/// (`lowp::check`), and every element out does not reach still holds
/// `before`'s bits.
fn check_out(c: &Case, r: &Reference, out: Format, od: &[u32], before: &[u32], what: &str) {
    for (i, p) in storage_positions(&c.out).into_iter().enumerate() {
        if let Err(e) = lowp::check(r, i, out, od[p]) {
            panic!("{what}: out {e}\n  {}", c.describe());
        }
    }
    for p in unreached_positions(&c.out, od.len()) {
        assert_eq!(od[p], before[p], "{what}: unreached out[{p}] written");
    }
}

/// `n` random cases of regime `which` per input format: every output type,
/// every level, 1 and 2 threads.
fn regime_test(which: &str, seed: u64, n: usize, vals: Values) {
    let mut rng = SplitMix64::new(seed);
    for case in 0..n {
        for fmt in [BF16, F16] {
            let c = make_case(&mut rng, which, fmt, vals);
            let r = c.reference(fmt);
            for out in [fmt, F32] {
                let before = c.blank(out);
                for isa in levels() {
                    let what = format!(
                        "{which} #{case} ({}, {}) {isa:?} {vals:?}",
                        fmt.name, out.name
                    );
                    let od = run(&c, fmt, out, isa, &options(1, None), &before);
                    check_out(&c, &r, out, &od, &before, &what);
                    let od2 = run(&c, fmt, out, isa, &options(2, None), &before);
                    assert!(od == od2, "{what}: 2 threads differ\n  {}", c.describe());
                }
            }
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
    dot_rows_short: "dot_short", 24, Plain;
    dot_rows_long: "dot_long", 10, Plain;
    gemv: "gemv", 20, Plain;
    vecmat: "vecmat", 16, Plain;
    fixed_blocks: "fixed", 24, Plain;
    tiny_strided: "tiny", 24, Plain;
    gemm_k_blocks: "gemm_k", 8, Plain;
    gemm_one_block: "one_block", 10, Plain;
    gemm_wide: "wide", 5, Plain;
    gemm_tall: "tall", 4, Plain;
    transposed: "trans", 16, Plain;
    rank4: "rank4", 20, Plain;
    zero_k: "zero", 12, Plain;
    specials_dot: "dot_short", 20, Specials;
    specials_gemv: "gemv", 12, Specials;
    specials_fixed: "fixed", 16, Specials;
    specials_tiny: "tiny", 16, Specials;
    specials_gemm: "gemm_k", 5, Specials;
    specials_one_block: "one_block", 6, Specials;
    specials_trans: "trans", 8, Specials;
}

/// (alpha, beta) of the scaled tests: the plain call, the attention scale
/// with NaN in out, accumulation, both, a negative alpha.
const SCALES: [(f64, f64); 5] = [
    (1.0, 0.0),
    (0.125, 0.0),
    (1.0, 1.0),
    (0.125, 1.0),
    (-2.0, 0.5),
];

/// Scaled calls in regime `which`: correct (`lowp::check_scaled`), out's
/// NaNs ignored when beta = 0, unreached elements untouched, 1 and 2
/// threads bitwise equal, (1, 0) bitwise the plain call.
fn scaled_test(which: &str, seed: u64, n: usize) {
    let mut rng = SplitMix64::new(seed);
    for case in 0..n {
        for fmt in [BF16, F16] {
            let c = make_case(&mut rng, which, fmt, Values::Plain);
            let r = c.reference(fmt);
            let reached = storage_positions(&c.out);
            for out in [fmt, F32] {
                let blank = c.blank(out);
                for isa in levels() {
                    let plain = run(&c, fmt, out, isa, &options(1, None), &blank);
                    for (alpha, beta) in SCALES {
                        let what = format!(
                            "{which} #{case} ({}, {}) {isa:?} alpha {alpha} beta {beta}",
                            fmt.name, out.name
                        );
                        let mut before = blank.clone();
                        for &p in &reached {
                            before[p] = if beta == 0.0 {
                                out.nan()
                            } else {
                                out.round(rng.unit_f64() * 4.0 - 2.0)
                            };
                        }
                        let s = Some((alpha, beta));
                        let od = run(&c, fmt, out, isa, &options(1, s), &before);
                        let od2 = run(&c, fmt, out, isa, &options(2, s), &before);
                        assert!(od == od2, "{what}: 2 threads differ");
                        for (i, &p) in reached.iter().enumerate() {
                            if let Err(e) =
                                lowp::check_scaled(&r, i, out, alpha, beta, before[p], od[p])
                            {
                                panic!("{what}: out {e}\n  {}", c.describe());
                            }
                            if (alpha, beta) == (1.0, 0.0) {
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
}

macro_rules! scaled_regimes {
    ($($name:ident: $which:literal, $n:expr;)*) => {$(
        #[test]
        fn $name() {
            scaled_test($which, seed_of(stringify!($name)), $n);
        }
    )*};
}

scaled_regimes! {
    scaled_dot_rows: "dot_short", 6;
    scaled_gemv: "gemv", 5;
    scaled_fixed: "fixed", 6;
    scaled_tiny: "tiny", 6;
    scaled_gemm_k_blocks: "gemm_k", 3;
    scaled_one_block: "one_block", 4;
    scaled_transposed: "trans", 4;
    scaled_zero_k: "zero", 4;
}

// ---------------------------------------------------------------------------
// Special values, by hand
// ---------------------------------------------------------------------------

/// A case from logical values (row-major) and shapes: x, y and out laid
/// out contiguously, or (`strided`) by the random generator without
/// broadcast. The inputs' unreached elements hold bfloat16's sentinel,
/// 0x7f85, a NaN in float16 too.
fn exact_case(
    rng: &mut SplitMix64,
    (xs, x): (&[i64], &[u16]),
    (ys, y): (&[i64], &[u16]),
    (ax, ay): (i64, i64),
    strided: bool,
) -> Case {
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
    let mut it = x.iter();
    let a = arr(rng);
    let xt = lowp::tensor16(BF16, xs, a, rng, |_| *it.next().unwrap());
    let mut it = y.iter();
    let a = arr(rng);
    let yt = lowp::tensor16(BF16, ys, a, rng, |_| *it.next().unwrap());
    let oshape = oracle::shapes(xs, ys, ax, ay).unwrap();
    let a = arr(rng);
    let out = arranged_layout(&oshape, a, rng);
    Case {
        x: xt,
        y: yt,
        out,
        ax,
        ay,
    }
}

/// Runs `c` (inputs of `fmt`) for both outputs at every level and 1 and 2
/// threads; checks every output against the reference; returns the
/// logical outputs of the first level's run of each output type, `[fmt's,
/// f32's]`.
fn run_all(c: &Case, fmt: Format, what: &str) -> [Vec<u32>; 2] {
    let r = c.reference(fmt);
    let mut got: [Vec<u32>; 2] = [vec![], vec![]];
    for (o, out) in [fmt, F32].into_iter().enumerate() {
        let before = c.blank(out);
        for isa in levels() {
            let w = format!("{what} ({}, {}) {isa:?}", fmt.name, out.name);
            let od = run(c, fmt, out, isa, &options(1, None), &before);
            check_out(c, &r, out, &od, &before, &w);
            let od2 = run(c, fmt, out, isa, &options(2, None), &before);
            assert!(od == od2, "{w}: 2 threads differ");
            if got[o].is_empty() {
                got[o] = storage_positions(&c.out).iter().map(|&p| od[p]).collect();
            }
        }
    }
    got
}

/// The (M, K, N) shapes of the products the special-value tests run: row
/// dots, mat-vec, the fixed blocks, tails of every vector width, several K
/// blocks.
const SHAPES: [(i64, i64, i64); 12] = [
    (1, 17, 1),
    (1, 130, 1),
    (17, 33, 1),
    (1, 33, 17),
    (4, 4, 4),
    (8, 8, 8),
    (5, 7, 9),
    (17, 17, 17),
    (33, 33, 33),
    (17, 130, 33),
    (33, 140, 17),
    (3, 20, 530),
];

/// x (B, M, K) · y (B, K, N) as a call (row dots and mat-vec as rank-2 y).
fn product_shapes(b: i64, (m, k, n): (i64, i64, i64)) -> (Vec<i64>, Vec<i64>) {
    let xs = if m == 1 && n == 1 {
        vec![b, k]
    } else {
        vec![b, m, k]
    };
    let ys = if n == 1 { vec![b, k] } else { vec![b, k, n] };
    (xs, ys)
}

/// The axes of [`product_shapes`]' call.
fn product_axes(xs: &[i64]) -> (i64, i64) {
    (xs.len() as i64 - 1, 1)
}

/// Inputs holding exactly representable sums whose roundings the checks
/// pin down: an Inf next to masked padding never becomes NaN; all inputs
/// positive, so every product is positive or +Inf and no output is NaN.
#[test]
fn inf_next_to_padding_stays_inf() {
    let mut rng = SplitMix64::new(71);
    for fmt in [BF16, F16] {
        for (s, &shape) in SHAPES.iter().enumerate() {
            let (m, k, n) = shape;
            for strided in [false, true] {
                let b = if m * n <= 64 { 3 } else { 1 };
                let (xs, ys) = product_shapes(b, shape);
                let pos = |r: &mut SplitMix64| fmt.round(0.5 + r.unit_f64() * 0.5) as u16;
                let mut x: Vec<u16> = (0..b * m * k).map(|_| pos(&mut rng)).collect();
                let mut y: Vec<u16> = (0..b * k * n).map(|_| pos(&mut rng)).collect();
                let inf = fmt.inf() as u16;
                // In x: the last valid row and column of each batch, and
                // [0, 0]; in y: the last valid column's last row.
                for bi in 0..b {
                    let xo = (bi * m * k) as usize;
                    x[xo + ((m - 1) * k + k - 1) as usize] = inf;
                    x[xo] = inf;
                    let yo = (bi * k * n) as usize;
                    y[yo + ((k - 1) * n + n - 1) as usize] = inf;
                }
                let c = exact_case(&mut rng, (&xs, &x), (&ys, &y), product_axes(&xs), strided);
                let what = format!("Inf by padding {shape:?} #{s} strided {strided}");
                let [h, f] = run_all(&c, fmt, &what);
                let r = c.reference(fmt);
                for (i, (&hv, &fv)) in h.iter().zip(&f).enumerate() {
                    assert!(!fmt.is_nan(hv) && !F32.is_nan(fv), "{what}: NaN at {i}");
                    if r.value[i].is_infinite() {
                        assert_eq!((hv, fv), (fmt.inf(), F32.inf()), "{what}: at {i}");
                    }
                }
                // Row M-1 and column N-1 of every batch are +Inf.
                assert!(r.value.iter().filter(|v| v.is_infinite()).count() >= (m + n - 1) as usize);
            }
        }
    }
}

/// Inf and NaN inputs propagate: Inf·finite is Inf, Inf·0 and NaN are NaN,
/// Inf − Inf is NaN, in every regime, for both outputs.
#[test]
fn inf_and_nan_propagate() {
    let mut rng = SplitMix64::new(72);
    for fmt in [BF16, F16] {
        let (inf, ninf, nan) = (
            fmt.inf() as u16,
            (fmt.inf() | fmt.sign_bit()) as u16,
            fmt.nan() as u16,
        );
        let one = fmt.round(1.0) as u16;
        for (s, &shape) in SHAPES.iter().enumerate() {
            let (m, k, n) = shape;
            if m * n > 600 {
                continue;
            }
            let (xs, ys) = product_shapes(4, shape);
            let mut x: Vec<u16> = (0..4 * m * k)
                .map(|_| lowp::random_value(fmt, &mut rng))
                .collect();
            let mut y: Vec<u16> = (0..4 * k * n)
                .map(|_| lowp::random_value(fmt, &mut rng))
                .collect();
            let (mk, kn) = ((m * k) as usize, (k * n) as usize);
            let last = (k - 1) as usize;
            // Batch 0: +Inf at x[0, m-1, k-1] and y[k-1, :] = 1: row m-1 is +Inf.
            x[(m as usize - 1) * k as usize + last] = inf;
            for j in 0..n as usize {
                y[last * n as usize + j] = one;
            }
            // Batch 1: NaN at x[1, 0, 0]: row 0 is NaN.
            x[mk] = nan;
            // Batch 2: -Inf at x[2, 0, k-1] times y[2, k-1, 0] = 0: NaN at [0, 0].
            x[2 * mk + last] = ninf;
            y[2 * kn + last * n as usize] = 0;
            // Batch 3: +Inf and -Inf in x's row 0, y's column 0 all 1: NaN;
            // with K = 1 they would share a place, so only +Inf.
            x[3 * mk] = inf;
            if k > 1 {
                x[3 * mk + last] = ninf;
            }
            for t in 0..k as usize {
                y[3 * kn + t * n as usize] = one;
            }
            for strided in [false, true] {
                let c = exact_case(&mut rng, (&xs, &x), (&ys, &y), product_axes(&xs), strided);
                let what = format!("specials {shape:?} #{s} strided {strided}");
                let [h, f] = run_all(&c, fmt, &what);
                let at = |bi: i64, i: i64, j: i64| ((bi * m + i) * n + j) as usize;
                // Spot checks on top of the reference's.
                assert_eq!(h[at(0, m - 1, 0)], fmt.inf(), "{what}");
                assert_eq!(f[at(0, m - 1, n - 1)], F32.inf(), "{what}");
                assert!(
                    fmt.is_nan(h[at(1, 0, 0)]) && F32.is_nan(f[at(1, 0, n - 1)]),
                    "{what}"
                );
                assert!(
                    fmt.is_nan(h[at(2, 0, 0)]) && F32.is_nan(f[at(2, 0, 0)]),
                    "{what}"
                );
                if k > 1 {
                    assert!(fmt.is_nan(h[at(3, 0, 0)]), "{what}");
                } else {
                    assert_eq!(f[at(3, 0, 0)], F32.inf(), "{what}");
                }
            }
        }
    }
}

/// Sums past the output's range: float16 gives ±Inf from 65520 on (the
/// midpoint to 65536, which ties to even) and 65504 below; bfloat16 gives
/// Inf from (2 − 2⁻⁸)·2¹²⁷ ≈ 3.3961e38 on, which f32 still holds; f32
/// outputs keep the exact value.
#[test]
fn sums_past_the_range_are_inf() {
    let mut rng = SplitMix64::new(73);
    let p2 = |e: i32| 2f64.powi(e);
    // (format, x row (K = 2), want in the format, want in f32)
    let rows: [(Format, [f64; 2], u32, u32); 10] = [
        (F16, [65504.0, 16.0], 0x7c00, F32.round(65520.0)),
        (F16, [65504.0, 15.0], 0x7bff, F32.round(65519.0)),
        (F16, [-65504.0, -16.0], 0xfc00, F32.round(-65520.0)),
        (F16, [65504.0, 65504.0], 0x7c00, F32.round(131_008.0)),
        (F16, [-32768.0, -32768.0], 0xfc00, F32.round(-65536.0)),
        (
            BF16,
            [BF16.max(), p2(119)],
            0x7f80,
            F32.round(BF16.max() + p2(119)),
        ),
        (
            BF16,
            [BF16.max(), p2(118)],
            0x7f7f,
            F32.round(BF16.max() + p2(118)),
        ),
        (
            BF16,
            [-BF16.max(), -p2(119)],
            0xff80,
            F32.round(-BF16.max() - p2(119)),
        ),
        // Past f32's range, too: the f32 sum overflows to Inf.
        (BF16, [BF16.max(), BF16.max()], 0x7f80, F32.inf()),
        // ± the same bfloat16 value (3e38 rounded): +0 exactly.
        (BF16, [3.0e38, -3.0e38], 0x0000, 0),
    ];
    for (fmt, row, want, want32) in rows {
        let x: Vec<u16> = row.iter().map(|&v| fmt.round(v) as u16).collect();
        let one = fmt.round(1.0) as u16;
        for (rows_, strided) in [(1i64, false), (5, true), (40, false)] {
            let xr: Vec<u16> = x.iter().copied().cycle().take(2 * rows_ as usize).collect();
            let c = exact_case(
                &mut rng,
                (&[rows_, 2], &xr),
                (&[rows_, 2], &vec![one; 2 * rows_ as usize]),
                (1, 1),
                strided,
            );
            let what = format!("{} {row:?} rows {rows_}", fmt.name);
            let [h, f] = run_all(&c, fmt, &what);
            assert!(
                h.iter().all(|&v| v == want),
                "{what}: {h:x?} want {want:#x}"
            );
            assert!(
                f.iter().all(|&v| v == want32),
                "{what}: {f:x?} want {want32:#x}"
            );
        }
    }
    // A GEMM whose every sum is 140·2·256 = 71680 > 65520: all +Inf in
    // float16, exact in f32.
    let (m, k, n) = (17i64, 140i64, 33i64);
    let x = vec![F16.round(2.0) as u16; (m * k) as usize];
    let y = vec![F16.round(256.0) as u16; (k * n) as usize];
    for strided in [false, true] {
        let c = exact_case(
            &mut rng,
            (&[1, m, k], &x),
            (&[1, k, n], &y),
            (2, 1),
            strided,
        );
        let [h, f] = run_all(&c, F16, "GEMM past float16's range");
        assert!(h.iter().all(|&v| v == 0x7c00));
        assert!(f.iter().all(|&v| v == F32.round(71680.0)));
    }
}

/// Subnormal inputs are exact, not flushed (docs/API.md: inputs converted
/// exactly to f32): each sum here is exact in f32, so every output is the
/// exact sum rounded once; a flushed input would lose it.
#[test]
fn subnormal_inputs_are_exact() {
    let mut rng = SplitMix64::new(74);
    for fmt in [BF16, F16] {
        for (s, &shape) in SHAPES.iter().enumerate() {
            let (m, k, n) = shape;
            if k > 64 || m * n > 600 {
                continue;
            }
            let b = 2;
            let (xs, ys) = product_shapes(b, shape);
            // x: subnormals of either sign (exponent field 0); y: 1, 2, 4 or 8.
            let x: Vec<u16> = (0..b * m * k)
                .map(|_| {
                    let mag = 1 + rng.below((1 << fmt.frac_bits) - 1) as u32;
                    (mag | if rng.chance(0.5) { fmt.sign_bit() } else { 0 }) as u16
                })
                .collect();
            let y: Vec<u16> = (0..b * k * n)
                .map(|_| fmt.round(rng.pick(&[1.0, 2.0, 4.0, 8.0])) as u16)
                .collect();
            for strided in [false, true] {
                let c = exact_case(&mut rng, (&xs, &x), (&ys, &y), product_axes(&xs), strided);
                let what = format!("subnormals {shape:?} #{s} strided {strided}");
                let [h, f] = run_all(&c, fmt, &what);
                let r = c.reference(fmt);
                for i in 0..r.len() {
                    assert_eq!(f[i], F32.round(r.value[i]), "{what}: f32 out {i}");
                    assert_eq!(h[i], fmt.round(r.value[i]), "{what}: {} out {i}", fmt.name);
                }
                assert!(r.value.iter().any(|&v| v != 0.0));
            }
        }
        // The smallest subnormal times 1 is itself, in both outputs.
        let one = fmt.round(1.0) as u16;
        let c = exact_case(&mut rng, (&[1, 1], &[1]), (&[1, 1], &[one]), (1, 1), false);
        let [h, f] = run_all(&c, fmt, "smallest subnormal");
        let tiny = fmt.decode(1);
        assert_eq!((h[0], f[0]), (1, F32.round(tiny)), "{}", fmt.name);
    }
}

/// float16 inputs with 9 significant bits (±257..=280, scaled by 2⁻¹⁰ in x
/// and 2⁻⁶ in y), K from 128 to 200: every product needs more than
/// bfloat16's 8 bits, and every partial sum is exact in f32 (below 2²⁴
/// units of 2⁻¹⁶), so each output is the exact sum rounded once, at every
/// level: the `amx` level's float16 GEMM, which splits each value into two
/// bfloat16 parts (docs/DESIGN.md), must add all four partial products of
/// every pair; a missing or doubled one is off by whole units.
#[test]
fn float16_split_products_are_exact() {
    let mut rng = SplitMix64::new(76);
    let fmt = F16;
    for (s, &(m, k, n)) in [
        (17i64, 128i64, 33i64),
        (33, 200, 17),
        (64, 130, 64),
        (9, 160, 70),
    ]
    .iter()
    .enumerate()
    {
        let (xs, ys) = product_shapes(1, (m, k, n));
        let val = |rng: &mut SplitMix64, scale: f64| {
            let v = 257.0 + rng.below(24) as f64;
            let v = if rng.chance(0.5) { -v } else { v };
            fmt.round(v * scale) as u16
        };
        let x: Vec<u16> = (0..m * k).map(|_| val(&mut rng, 2f64.powi(-10))).collect();
        let y: Vec<u16> = (0..k * n).map(|_| val(&mut rng, 2f64.powi(-6))).collect();
        for strided in [false, true] {
            let c = exact_case(&mut rng, (&xs, &x), (&ys, &y), product_axes(&xs), strided);
            let r = c.reference(fmt);
            for out in [fmt, F32] {
                let before = c.blank(out);
                for isa in levels() {
                    for threads in [1, 2] {
                        let what = format!(
                            "#{s} {m}x{k}x{n} strided {strided} {} {isa:?} {threads}T",
                            out.name
                        );
                        let od = run(&c, fmt, out, isa, &options(threads, None), &before);
                        for (i, p) in storage_positions(&c.out).into_iter().enumerate() {
                            assert_eq!(
                                od[p],
                                out.round(r.value[i]),
                                "{what}: out {i}\n  {}",
                                c.describe()
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The f32 sum is rounded once, to nearest even, never truncated and never
/// accumulated in the 16-bit type: 1 + 3·2⁻⁹ is 0x3f81 in bfloat16 (a
/// truncation gives 0x3f80, and so does a bfloat16 accumulator adding 2⁻⁹
/// three times); 1 + 3·2⁻¹² is 0x3c01 in float16; 1 + 2⁻⁸ ties to 0x3f80.
#[test]
fn rounded_once_to_nearest_even() {
    let mut rng = SplitMix64::new(75);
    let p2 = |e: i32| 2f64.powi(e);
    let rows: [(Format, Vec<f64>, u32); 6] = [
        (BF16, vec![1.0, p2(-9), p2(-9), p2(-9)], 0x3f81),
        (BF16, vec![1.0, p2(-8)], 0x3f80),
        (BF16, vec![1.0, p2(-7), p2(-8)], 0x3f82),
        (BF16, vec![-1.0, -p2(-9), -p2(-9), -p2(-9)], 0xbf81),
        (F16, vec![1.0, p2(-12), p2(-12), p2(-12)], 0x3c01),
        (F16, vec![1.0, p2(-11)], 0x3c00),
    ];
    for (fmt, row, want) in rows {
        let k = row.len() as i64;
        let x: Vec<u16> = row.iter().map(|&v| fmt.round(v) as u16).collect();
        let one = fmt.round(1.0) as u16;
        // As row dots, and as every row of a GEMM (M = 33, N = 17 and 600).
        for (m, n) in [(1i64, 1i64), (33, 17), (4, 4), (3, 600)] {
            let xs = vec![1, m, k];
            let xr: Vec<u16> = x.iter().copied().cycle().take((m * k) as usize).collect();
            let ys = vec![1, k, n];
            let yr = vec![one; (k * n) as usize];
            for strided in [false, true] {
                let c = exact_case(&mut rng, (&xs, &xr), (&ys, &yr), (2, 1), strided);
                let what = format!("{} {row:?} {m}x{n}", fmt.name);
                let [h, f] = run_all(&c, fmt, &what);
                let exact: f64 = row.iter().sum();
                assert!(
                    h.iter().all(|&v| v == want),
                    "{what}: {h:x?}, want {want:#x}"
                );
                assert!(f.iter().all(|&v| v == F32.round(exact)), "{what}");
            }
        }
    }
}

/// K = 0 gives +0 (bits 0) in both outputs, with out's contents ignored;
/// scaled, `alpha·(+0) + beta·out` (docs/API.md), so −0 for a negative
/// alpha.
#[test]
fn empty_contraction_is_plus_zero() {
    let mut rng = SplitMix64::new(76);
    for fmt in [BF16, F16] {
        for (xs, ys, ax, ay) in [
            (vec![3i64, 0], vec![3i64, 0], 1, 1),
            (vec![2, 5, 0], vec![2, 0, 17], 2, 1),
            (vec![2, 4, 0], vec![2, 0, 4], 2, 1),
            (vec![1, 0, 33], vec![1, 0, 530], 1, 1),
        ] {
            let c = exact_case(&mut rng, (&xs, &[]), (&ys, &[]), (ax, ay), true);
            let [h, f] = run_all(&c, fmt, &format!("K = 0 {xs:?}"));
            assert!(
                h.iter().all(|&v| v == 0) && f.iter().all(|&v| v == 0),
                "{xs:?}"
            );
            for out in [fmt, F32] {
                for isa in levels() {
                    let reached = storage_positions(&c.out);
                    let mut before = c.blank(out);
                    for &p in &reached {
                        before[p] = out.round(3.0);
                    }
                    let neg = run(&c, fmt, out, isa, &options(2, Some((-1.0, 0.0))), &before);
                    let acc = run(&c, fmt, out, isa, &options(2, Some((0.125, 1.0))), &before);
                    for &p in &reached {
                        assert_eq!(neg[p], out.sign_bit(), "{xs:?} {isa:?}: -0");
                        assert_eq!(acc[p], out.round(3.0), "{xs:?} {isa:?}: beta·out");
                    }
                }
            }
        }
    }
}

/// Calls big enough to be split between threads, through
/// `batch_dot_compute` at the active level with 1, 2 and 3 threads:
/// bitwise identical for every row; checked against the reference on a
/// slice (the first two batches, or the first 8 rows of a single one).
#[test]
fn threads_bitwise_identical() {
    let mut rng = SplitMix64::new(0x7e4d);
    /// x's shape, y's shape, the axes, whether laid out contiguously
    /// (else at random).
    type Call<'a> = (&'a [i64], &'a [i64], (i64, i64), bool);
    let calls: [Call; 6] = [
        (&[8, 48, 48], &[8, 48, 48], (2, 2), false),
        (&[1, 160, 140], &[1, 140, 100], (2, 1), false),
        // One block of K in row parts, rounded in the kernel's epilogue.
        (&[1, 512, 64], &[1, 64, 128], (2, 1), true),
        (&[2048, 4, 4], &[2048, 4, 4], (2, 1), false),
        (&[20000, 16], &[20000, 16], (1, 1), false),
        (&[32, 128, 96], &[32, 96], (2, 1), false),
    ];
    for (xs, ys, axes, contiguous) in calls {
        for fmt in [BF16, F16] {
            let c = lay_out(
                &mut rng,
                fmt,
                Values::Plain,
                (xs, None),
                (ys, None),
                axes,
                contiguous,
            );
            // The slice the reference sees.
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
            let r = part.reference(fmt);
            for out in [fmt, F32] {
                let before = c.blank(out);
                let mut first: Option<Vec<u32>> = None;
                for threads in [1u32, 2, 3] {
                    let mut od = before.clone();
                    let opts = options(threads, None);
                    let mut o16: Vec<u16> = od.iter().map(|&b| b as u16).collect();
                    let mut o32: Vec<f32> = od.iter().map(|&b| f32::from_bits(b)).collect();
                    let od_ptr: *mut c_void = if out == F32 {
                        o32.as_mut_ptr().cast()
                    } else {
                        o16.as_mut_ptr().cast()
                    };
                    // SAFETY: every buffer holds its layout's elements of
                    // its dtype (len checked by the call).
                    let s = unsafe {
                        batch_dot_compute(
                            fmt.code,
                            &c.x.layout,
                            c.x.buf.as_ptr().cast(),
                            fmt.code,
                            &c.y.layout,
                            c.y.buf.as_ptr().cast(),
                            c.ax,
                            c.ay,
                            out.code,
                            &c.out,
                            od_ptr,
                            &opts,
                        )
                    };
                    assert_eq!(s, st::OK, "{xs:?}: {}", last_error());
                    od = if out == F32 {
                        o32.iter().map(|v| v.to_bits()).collect()
                    } else {
                        o16.iter().map(|&v| v as u32).collect()
                    };
                    let what = format!(
                        "{xs:?}·{ys:?} ({}, {}) {threads} threads",
                        fmt.name, out.name
                    );
                    match &first {
                        None => {
                            for (i, p) in storage_positions(&part.out).into_iter().enumerate() {
                                if let Err(e) = lowp::check(&r, i, out, od[p]) {
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
}

// ---------------------------------------------------------------------------
// The C ABI
// ---------------------------------------------------------------------------

/// The type of `batch_dot_bf16` and `batch_dot_f16`.
type Typed16 = unsafe extern "C" fn(
    *const batch_dot_layout,
    *const u16,
    *const batch_dot_layout,
    *const u16,
    i64,
    i64,
    *const batch_dot_layout,
    *mut u16,
    *const batch_dot_options,
) -> i32;

/// One random call of `typed` (inputs and output of `fmt`) and of
/// `batch_dot_compute` with (fmt, fmt, fmt) and (fmt, fmt, F32): the typed
/// call and its compute row give the same status, message and output
/// bits; every status is the oracle's; nothing is written on error; a
/// result is right (`lowp::check`). Returns the status.
fn typed_and_compute(rng: &mut SplitMix64, fmt: Format, typed: Typed16) -> i32 {
    let (xs, ys, ax, ay) = random_call(rng, 5, 20);
    let vals = if rng.chance(0.2) {
        Values::Specials
    } else {
        Values::Plain
    };
    let ax_ = Arrangement::random(rng, true);
    let x = lowp::tensor16(fmt, &xs, ax_, rng, |r| value(fmt, vals, r));
    let ay_ = Arrangement::random(rng, true);
    let y = lowp::tensor16(fmt, &ys, ay_, rng, |r| value(fmt, vals, r));
    let oshape = oracle::shapes(&xs, &ys, ax, ay).unwrap_or_else(|_| vec![xs[0].max(0), 1]);
    let ao = Arrangement::random(rng, false);
    let mut ol = arranged_layout(&oshape, ao, rng);
    match rng.below(12) {
        0 => ol.len = (ol.len - 1).max(0),
        1 => ol.flags = 1,
        2 => ol.shape[0] += 1,
        _ => {}
    }
    let olen = ol.len.max(1) as usize;
    let s16 = lowp::sentinel(fmt) as u16;
    let (mut o1, mut o2) = (vec![s16; olen], vec![s16; olen]);
    let mut o3 = vec![f32::from_bits(lowp::sentinel(F32)); olen];
    let mut opts = with_threads(rng.below(3) as u32);
    if rng.chance(0.3) {
        opts.flags = BATCH_DOT_OPT_SCALE;
        opts.alpha = 0.125;
        opts.beta = 0.0;
    }
    let popts: *const batch_dot_options = if rng.chance(0.7) { &opts } else { ptr::null() };
    // SAFETY: each buffer holds what its layout says it owns (a layout
    // claiming more fails before any data is touched); popts is NULL or live.
    let s1 = unsafe {
        typed(
            &x.layout,
            x.buf.as_ptr(),
            &y.layout,
            y.buf.as_ptr(),
            ax,
            ay,
            &ol,
            o1.as_mut_ptr(),
            popts,
        )
    };
    let m1 = last_error();
    let compute = |out: Format, od: *mut c_void| {
        // SAFETY: as above; od holds olen elements of out's dtype.
        unsafe {
            batch_dot_compute(
                fmt.code,
                &x.layout,
                x.buf.as_ptr().cast(),
                fmt.code,
                &y.layout,
                y.buf.as_ptr().cast(),
                ax,
                ay,
                out.code,
                &ol,
                od,
                popts,
            )
        }
    };
    let s2 = compute(fmt, o2.as_mut_ptr().cast());
    let m2 = last_error();
    let s3 = compute(F32, o3.as_mut_ptr().cast());
    let what = format!("{} {xs:?}·{ys:?} axes ({ax}, {ay}) out {ol:?}", fmt.name);
    assert_eq!((s1, &m1), (s2, &m2), "{what}: status and message");
    assert_eq!(o1, o2, "{what}: output bits");
    let o = (!popts.is_null()).then(|| Opts::of(&opts));
    let ls = [Some(&x.layout), Some(&y.layout), Some(&ol)];
    let addr = |p: *const u8| p as usize;
    let v16 = oracle::compute_dtyped(
        [fmt.code, fmt.code, fmt.code],
        ls,
        ax,
        ay,
        o.as_ref(),
        [
            addr(x.buf.as_ptr().cast()),
            addr(y.buf.as_ptr().cast()),
            addr(o2.as_ptr().cast()),
        ],
    );
    let v32 = oracle::compute_dtyped(
        [fmt.code, fmt.code, F32.code],
        ls,
        ax,
        ay,
        o.as_ref(),
        [
            addr(x.buf.as_ptr().cast()),
            addr(y.buf.as_ptr().cast()),
            addr(o3.as_ptr().cast()),
        ],
    );
    assert_eq!(s2, v16.status, "{what}: the oracle ({m2})");
    assert_eq!(
        s3,
        v32.status,
        "{what}: the oracle, f32 out ({})",
        last_error()
    );
    let scale = o.as_ref().and_then(|o| o.scale());
    for (s, out, od) in [
        (s2, fmt, o2.iter().map(|&v| v as u32).collect::<Vec<_>>()),
        (s3, F32, o3.iter().map(|v| v.to_bits()).collect()),
    ] {
        if s != st::OK {
            assert!(
                od.iter().all(|&v| v == lowp::sentinel(out)),
                "{what}: written on error"
            );
            continue;
        }
        let r = lowp::batch_dot16(fmt, &x.layout, &x.buf, &y.layout, &y.buf, ax, ay).unwrap();
        for (i, p) in storage_positions(&ol).into_iter().enumerate() {
            let e = match scale {
                // beta = 0: out (the sentinel) is not read.
                Some((alpha, beta)) => {
                    lowp::check_scaled(&r, i, out, alpha, beta, lowp::sentinel(out), od[p])
                }
                None => lowp::check(&r, i, out, od[p]),
            };
            if let Err(e) = e {
                panic!("{what} out {}: {e}", out.name);
            }
        }
    }
    s2
}

#[test]
fn compute_is_the_typed_call_bit_for_bit() {
    let mut rng = SplitMix64::new(0x0b16_f16c);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..300 {
        for (fmt, typed) in [(BF16, batch_dot_bf16 as Typed16), (F16, batch_dot_f16)] {
            if typed_and_compute(&mut rng, fmt, typed) == st::OK {
                ok += 1;
            } else {
                err += 1;
            }
        }
    }
    assert!(ok > 300 && err > 100, "{ok} valid, {err} errors");
}

/// Unsupported combinations stay 15; a 16-bit
/// pointer at an odd address and an f32 out at 2 mod 4 are
/// INVALID_ARGUMENT; nothing is written on error.
#[test]
fn dtype_and_alignment_statuses() {
    let unsupported = [
        [5, 6, 7],
        [6, 6, 7],
        [5, 5, 1],
        [4, 3, 1],
        [3, 4, 1],
        [4, 3, 4],
        [4, 4, 3],
        [3, 3, 4],
        [4, 4, 2],
        [3, 3, 2],
        [1, 1, 4],
        [4, 1, 1],
        [2, 2, 3],
    ];
    for dt in unsupported {
        let (s, msg, clean) = status_at(dt, [0, 0, 0]);
        assert_eq!(s, st::UNSUPPORTED_DTYPE, "{dt:?}: {msg}");
        assert!(clean, "{dt:?}: out written");
    }
    for dt in oracle::DTYPES_RUN {
        let dt = [dt.0, dt.1, dt.2];
        let (s, msg, clean) = status_at(dt, [0, 0, 0]);
        assert_eq!(s, st::OK, "{dt:?}: {msg}");
        assert!(!clean, "{dt:?}: out not written");
    }
    // (dtypes, byte offsets, the argument the message names or None for OK)
    let cases: [([i32; 3], [usize; 3], Option<&str>); 12] = [
        ([4, 4, 4], [1, 0, 0], Some("x_data")),
        ([4, 4, 4], [0, 3, 0], Some("y_data")),
        ([4, 4, 4], [0, 0, 5], Some("out_data")),
        ([3, 3, 3], [7, 1, 1], Some("x_data")),
        ([3, 3, 1], [0, 0, 2], Some("out_data")),
        ([4, 4, 1], [0, 0, 6], Some("out_data")),
        ([4, 4, 1], [0, 0, 1], Some("out_data")),
        ([4, 4, 1], [2, 6, 4], None),
        ([4, 4, 4], [2, 6, 2], None),
        ([3, 3, 3], [6, 2, 6], None),
        ([3, 3, 1], [4, 2, 4], None),
        ([1, 1, 1], [0, 0, 2], Some("out_data")),
    ];
    for (dt, offs, bad) in cases {
        let (s, msg, clean) = status_at(dt, offs);
        match bad {
            Some(arg) => {
                assert_eq!(s, st::INVALID_ARGUMENT, "{dt:?} {offs:?}: {msg}");
                assert!(msg.contains(arg), "{dt:?} {offs:?}: {msg}");
                assert!(clean, "{dt:?} {offs:?}: written on error");
            }
            None => assert_eq!(s, st::OK, "{dt:?} {offs:?}: {msg}"),
        }
    }
    // The typed functions check alignment the same way.
    let l = lay(&[1, 2], &[2, 1], 0, 2);
    let o = lay(&[1, 1], &[1, 1], 0, 1);
    let buf = bytes(16);
    let mut ob = bytes(8);
    let before = ob.clone();
    let odd = (buf.as_ptr() as *const u8).wrapping_add(1) as *const u16;
    for typed in [batch_dot_bf16 as Typed16, batch_dot_f16] {
        // SAFETY: x is misaligned and refused before any data is read.
        let s = unsafe {
            typed(
                &l,
                odd,
                &l,
                buf.as_ptr().cast(),
                1,
                1,
                &o,
                ob.as_mut_ptr().cast(),
                ptr::null(),
            )
        };
        assert_eq!(s, st::INVALID_ARGUMENT, "{}", last_error());
        assert!(last_error().contains("x_data"));
        assert_eq!(ob, before);
    }
}

/// Aliasing compares byte ranges, each tensor with its own element size:
/// x (2, 3) of bfloat16 is 12 bytes; an out of two elements just before
/// it overlaps as f32 (8 bytes) and not as bfloat16 (4 bytes), and just
/// after it overlaps neither.
#[test]
fn aliasing_by_bytes() {
    let xl = lay(&[2, 3], &[3, 1], 0, 6);
    let ol = lay(&[2, 1], &[1, 1], 0, 2);
    let one = BF16.round(1.0) as u16;
    // (out dtype, out's byte offset, with x at byte 16 of the same buffer)
    for (out, off, alias) in [
        (F32, 12usize, true),
        (F32, 8, false),
        (BF16, 12, false),
        (BF16, 14, true),
        (F32, 28, false),
        (F32, 24, true),
        (BF16, 26, true),
        (BF16, 28, false),
    ] {
        let mut buf = bytes(64);
        let base = buf.as_mut_ptr() as *mut u8;
        let xp = base.wrapping_add(16) as *mut u16;
        // SAFETY: bytes 16..28 of the 64-byte buffer.
        unsafe { std::slice::from_raw_parts_mut(xp, 6).fill(one) };
        let yd = [one; 6];
        let op = base.wrapping_add(off);
        // SAFETY: x reads bytes 16..28, out writes at most 8 bytes from
        // `off` (< 56), all inside the buffer; y is its own vector.
        let s = unsafe {
            batch_dot_compute(
                BF16.code,
                &xl,
                xp as *const c_void,
                BF16.code,
                &xl,
                yd.as_ptr().cast(),
                1,
                1,
                out.code,
                &ol,
                op.cast(),
                ptr::null(),
            )
        };
        let v = oracle::compute_dtyped(
            [BF16.code, BF16.code, out.code],
            [Some(&xl), Some(&xl), Some(&ol)],
            1,
            1,
            None,
            [xp as usize, yd.as_ptr() as usize, op as usize],
        );
        let what = format!("out {} at byte {off}", out.name);
        assert_eq!(s, v.status, "{what}: the oracle ({})", last_error());
        let want = if alias { st::ALIASING } else { st::OK };
        assert_eq!(s, want, "{what}: {}", last_error());
        if !alias {
            // Each output is 1·1 + 1·1 + 1·1 = 3.
            // SAFETY: out's two elements, written by the call.
            let got: Vec<u32> = unsafe {
                if out == F32 {
                    std::slice::from_raw_parts(op as *const f32, 2)
                        .iter()
                        .map(|v| v.to_bits())
                        .collect()
                } else {
                    std::slice::from_raw_parts(op as *const u16, 2)
                        .iter()
                        .map(|&v| v as u32)
                        .collect()
                }
            };
            assert_eq!(got, vec![out.round(3.0); 2], "{what}");
        }
    }
}
