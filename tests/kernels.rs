//! Kernel tests: every regime (tiny fixed tiles, row dots, GEMV, blocked
//! GEMM with and without packing, transposed problems, K = 0) at every
//! instruction-set level this CPU supports, on random shapes and strides
//! (permuted, padded, negative and zero), for f32 and f64, against the test
//! kit's reference (`testkit::reference`); plus bitwise equality across
//! thread counts.
//!
//! Buffers are exactly the elements a layout reaches (inputs) and the
//! output buffer's unreached elements hold a sentinel that must survive.

use batch_dot::testing::{
    active, compute_at, compute_opts_at, detected, parse_force, Element, Isa,
};
use batch_dot::{batch_dot_layout, batch_dot_options};
use testkit::calls::infer_shape;
use testkit::layouts::{arranged_layout, lay, storage_positions, Arrangement};
use testkit::reference::{self, Strided};
use testkit::{SplitMix64, TestElem};

/// A layout for `shape` from the test kit's generator: dimensions stored
/// in a random order, with random padding and signs, zero strides (inputs
/// only) and junk strides on unit dimensions; `inner` (if any) is stored
/// innermost with stride +1. `plain`: only the junk unit strides. The
/// buffer holds exactly the reached range.
fn make_layout(
    rng: &mut SplitMix64,
    shape: &[i64],
    input: bool,
    inner: Option<usize>,
    plain: bool,
) -> batch_dot_layout {
    let arr = if plain {
        Arrangement {
            junk_unit_strides: rng.chance(0.5),
            inner,
            ..Arrangement::CONTIGUOUS
        }
    } else {
        Arrangement {
            permute: rng.chance(0.5),
            pad: rng.chance(0.5),
            reverse: rng.chance(0.5),
            broadcast: input && rng.chance(0.3),
            junk_unit_strides: rng.chance(0.5),
            inner,
            ..Arrangement::CONTIGUOUS
        }
    };
    arranged_layout(shape, arr, rng)
}

/// `len` values uniform in [-1, 1).
fn fill<T: TestElem>(rng: &mut SplitMix64, len: i64) -> Vec<T> {
    (0..len)
        .map(|_| T::from_f64(rng.unit_f64() * 2.0 - 1.0))
        .collect()
}

struct Case {
    x: batch_dot_layout,
    y: batch_dot_layout,
    out: batch_dot_layout,
    ax: i64,
    ay: i64,
}

/// A random case in the regime `which`.
fn make_case(rng: &mut SplitMix64, which: &str) -> Case {
    let b = rng.pick(&[1i64, 2, 3, 5]);
    let small = [1i64, 2, 3, 4, 5, 7, 8, 9, 16, 17];
    let plain = rng.chance(0.3);
    // (x shape, y shape, axes, inner dims forced contiguous)
    let (xs, ys, ax, ay, xin, yin): (Vec<i64>, Vec<i64>, i64, i64, Option<usize>, Option<usize>) =
        match which {
            // m = n = 1: row dots (contiguous K), any K.
            "dot" => {
                let k = rng.pick(&[0, 1, 3, 15, 16, 17, 31, 32, 33, 64, 100]);
                (vec![b * 3, k], vec![b * 3, k], 1, 1, Some(1), Some(1))
            }
            // Many row dots (runs longer than any grouping + tails).
            "dotmany" => {
                let k = rng.pick(&[1, 5, 15, 16, 17, 32, 40, 64, 100]);
                let r = rng.pick(&[16i64, 17, 31, 32, 33, 48, 50, 100]);
                (vec![r, k], vec![r, k], 1, 1, Some(1), Some(1))
            }
            // n = 1: GEMV, x (B, M, K) · y (B, K).
            "gemv" => {
                let (m, k) = (
                    rng.pick(&small) + rng.below(6) as i64,
                    rng.pick(&[1, 5, 16, 33, 70]),
                );
                (vec![b, m, k], vec![b, k], 2, 1, Some(2), Some(1))
            }
            // m = 1 (transposed to GEMV): x (B, K) · y (B, N, K).
            "vecmat" => {
                let (n, k) = (rng.pick(&small), rng.pick(&[1, 7, 16, 40]));
                (vec![b, k], vec![b, n, k], 1, 2, Some(1), Some(2))
            }
            // Tiny products, many blocks.
            "tiny" => {
                let (m, k, n) = (rng.pick(&small), rng.pick(&small), rng.pick(&small));
                (
                    vec![b * 7, m, k],
                    vec![b * 7, k, n],
                    2,
                    1,
                    None,
                    if rng.chance(0.5) { Some(2) } else { None },
                )
            }
            // Larger products: several tiles, k-blocking (K > 128).
            "gemm" => {
                let m = rng.pick(&[9, 16, 24, 33, 64, 70]);
                let n = rng.pick(&[2, 17, 32, 33, 48, 65]);
                let k = rng.pick(&[1, 8, 63, 130, 257, 300]);
                if rng.chance(0.5) {
                    (vec![b, m, k], vec![b, k, n], 2, 1, None, None)
                } else {
                    // NT: both contract their last axis (B packed/transposed).
                    (vec![b, m, k], vec![b, n, k], 2, 2, Some(2), Some(2))
                }
            }
            // Large products: B packed in blocks of 512 (f32) or 256 (f64)
            // columns, tiles of A packed when strided along K.
            "large" => {
                let m = rng.pick(&[32, 41, 70]);
                let n = rng.pick(&[256, 300, 530]);
                let k = rng.pick(&[1, 17, 130]);
                if rng.chance(0.5) {
                    (vec![1, m, k], vec![1, k, n], 2, 1, None, None)
                } else {
                    (vec![1, k, m], vec![1, k, n], 1, 1, None, Some(2))
                }
            }
            // Rank 4 with several free dimensions on each side.
            "rank4" => {
                let s = [1i64, 2, 3, 4];
                let x = vec![b, rng.pick(&s), rng.pick(&s) + 1, rng.pick(&[1, 4, 9])];
                let y = vec![b, rng.pick(&s), x[3], rng.pick(&s) + 2];
                (x, y, 3, 2, None, None)
            }
            // Contiguous tiny blocks (the fixed 4×4×4 kernel and friends).
            "fixed" => {
                let (m, k, n) = rng.pick(&[
                    (4i64, 4i64, 4i64),
                    (4, 4, 4),
                    (8, 8, 8),
                    (2, 2, 2),
                    (4, 4, 1),
                    (1, 4, 4),
                ]);
                (vec![b * 9, m, k], vec![b * 9, k, n], 2, 1, Some(2), Some(2))
            }
            // K = 0.
            "zero" => {
                let (m, n) = (rng.pick(&small), rng.pick(&small));
                (vec![b, m, 0], vec![b, 0, n], 2, 1, None, None)
            }
            _ => unreachable!(),
        };
    let (kx, ky) = (rng.chance(0.8), rng.chance(0.8));
    lay_out(
        rng,
        (&xs, xin.filter(|_| kx)),
        (&ys, yin.filter(|_| ky)),
        (ax, ay),
        plain,
    )
}

/// The case for x's and y's shapes (each with the dimension `make_layout`
/// keeps contiguous, if any) and axes: x, y, then out for the result shape
/// `batch_dot_infer_shape` gives, each laid out by `make_layout`.
fn lay_out(
    rng: &mut SplitMix64,
    (xs, xin): (&[i64], Option<usize>),
    (ys, yin): (&[i64], Option<usize>),
    (ax, ay): (i64, i64),
    plain: bool,
) -> Case {
    let x = make_layout(rng, xs, true, xin, plain);
    let y = make_layout(rng, ys, true, yin, plain);
    let mut on = 0i32;
    let mut os = [0i64; 16];
    let (xn, yn) = (x.ndim as usize, y.ndim as usize);
    let st = infer_shape(&x.shape[..xn], &y.shape[..yn], (ax, ay), &mut on, &mut os);
    assert_eq!(st, 0);
    let out = make_layout(rng, &os[..on as usize], false, None, plain);
    Case { x, y, out, ax, ay }
}

/// Runs `case` through the checks and the kernels of level `isa` with
/// `threads`; returns the output buffer.
fn run_case<T: TestElem + Element>(
    c: &Case,
    xd: &[T],
    yd: &[T],
    isa: Isa,
    threads: usize,
) -> Vec<T> {
    let mut od = vec![T::sentinel(); c.out.len as usize];
    compute_at(
        isa,
        &c.x,
        xd,
        &c.y,
        yd,
        c.ax,
        c.ay,
        &c.out,
        &mut od,
        threads as u32,
    )
    .expect("run");
    od
}

fn check<T: TestElem>(c: &Case, xd: &[T], yd: &[T], od: &[T], what: &str) {
    let r = reference::batch_dot(
        Strided {
            layout: &c.x,
            data: xd,
        },
        Strided {
            layout: &c.y,
            data: yd,
        },
        c.ax,
        c.ay,
    )
    .expect("reference");
    let mut written = vec![false; od.len()];
    for (i, p) in storage_positions(&c.out).into_iter().enumerate() {
        let got = od[p];
        written[p] = true;
        if let Err(e) = r.check(i, got) {
            panic!(
                "{what}: out {e} (x {:?} {:?}, y {:?} {:?}, axes {} {})",
                &c.x.shape[..c.x.ndim as usize],
                &c.x.strides[..c.x.ndim as usize],
                &c.y.shape[..c.y.ndim as usize],
                &c.y.strides[..c.y.ndim as usize],
                c.ax,
                c.ay
            );
        }
        // +0.0 for K = 0 (never -0.0).
        if r.k == 0 {
            assert_eq!(got.bits(), 0, "{what}: K = 0 must give +0.0");
        }
    }
    for (i, v) in od.iter().enumerate() {
        if !written[i] {
            assert_eq!(
                v.bits(),
                T::sentinel().bits(),
                "{what}: unreached out[{i}] was written"
            );
        }
    }
}

fn levels() -> Vec<Isa> {
    Isa::FLOAT.into_iter().filter(|i| i.supported()).collect()
}

fn regime_test<T: TestElem + Element>(which: &str, seed: u64, n: usize) {
    let mut rng = SplitMix64::new(seed);
    for case in 0..n {
        let c = make_case(&mut rng, which);
        let xd: Vec<T> = fill(&mut rng, c.x.len);
        let yd: Vec<T> = fill(&mut rng, c.y.len);
        let mut first: Option<Vec<T>> = None;
        for isa in levels() {
            let od = run_case(&c, &xd, &yd, isa, 1);
            check(&c, &xd, &yd, &od, &format!("{which} #{case} {isa:?}"));
            // Threads never change the bits.
            let od2 = run_case(&c, &xd, &yd, isa, 2);
            assert!(
                od.iter().zip(&od2).all(|(a, b)| a.bits() == b.bits()),
                "{which} #{case} {isa:?}: 2 threads differ"
            );
            first.get_or_insert(od);
        }
    }
}

/// Added to the regimes' seeds: 360, the line the `regimes!` call below
/// stood at when its seeds were `line!()`-based, so the cases stay the
/// same whatever is edited above it.
const REGIME_SEED: u64 = 360;

macro_rules! regimes {
    ($($name:ident: $which:literal, $n:expr;)*) => {$(
        #[test]
        fn $name() {
            regime_test::<f32>($which, 0x1000 + REGIME_SEED, $n);
            regime_test::<f64>($which, 0x2000 + REGIME_SEED, $n);
        }
    )*};
}

regimes! {
    dot_rows: "dot", 60;
    dot_rows_grouped: "dotmany", 60;
    gemv: "gemv", 60;
    vecmat: "vecmat", 40;
    tiny_fixed: "tiny", 120;
    gemm_blocked: "gemm", 30;
    rank4_loops: "rank4", 80;
    zero_k: "zero", 30;
    fixed_tiny: "fixed", 60;
    gemm_large: "large", 10;
}

/// (alpha, beta) pairs of the scaled tests: every sign, 0, 1, the attention
/// scale 1/√64, and non-finite values.
const SCALES: [(f64, f64); 14] = [
    (1.0, 0.0),
    (0.125, 0.0),
    (-2.5, 0.0),
    (0.0, 0.0),
    (-0.0, -0.0),
    (0.5, 1.0),
    (1.0, 1.0),
    (-1.0, -0.75),
    (2.0, 2.0),
    (0.0, 1.0),
    (f64::INFINITY, 0.0),
    (f64::NAN, 1.0),
    (1.0, f64::NEG_INFINITY),
    (0.3, f64::NAN),
];

/// `c` with `BATCH_DOT_OPT_SCALE` (alpha, beta) on `before` (out's buffer
/// before the call), through the checks and the kernels of `isa`.
#[allow(clippy::too_many_arguments)]
fn run_scaled<T: TestElem + Element>(
    c: &Case,
    xd: &[T],
    yd: &[T],
    isa: Isa,
    threads: u32,
    (alpha, beta): (f64, f64),
    before: &[T],
) -> Vec<T> {
    let mut od = before.to_vec();
    let o = batch_dot_options {
        num_threads: threads,
        flags: batch_dot::BATCH_DOT_OPT_SCALE,
        alpha,
        beta,
        ..Default::default()
    };
    compute_opts_at(isa, &c.x, xd, &c.y, yd, c.ax, c.ay, &c.out, &mut od, &o).expect("run");
    od
}

/// The scaled call in regime `which` at every level, for every pair of
/// `SCALES`: correct against the reference (`check_scaled`), out holding NaN
/// has no effect when beta = 0, unreached elements untouched, 1 and 2
/// threads bitwise equal, and (alpha, beta) = (1, 0) bitwise the plain call.
fn scaled_test<T: TestElem + Element>(which: &str, seed: u64, n: usize) {
    let mut rng = SplitMix64::new(seed);
    for case in 0..n {
        let c = make_case(&mut rng, which);
        let xd: Vec<T> = fill(&mut rng, c.x.len);
        let yd: Vec<T> = fill(&mut rng, c.y.len);
        let r = reference::batch_dot(
            Strided {
                layout: &c.x,
                data: &xd,
            },
            Strided {
                layout: &c.y,
                data: &yd,
            },
            c.ax,
            c.ay,
        )
        .expect("reference");
        let reached = storage_positions(&c.out);
        for isa in levels() {
            let plain = run_case(&c, &xd, &yd, isa, 1);
            for &(alpha, beta) in &SCALES {
                let what = format!("{which} #{case} {isa:?} alpha {alpha} beta {beta}");
                let mut before = vec![T::sentinel(); c.out.len as usize];
                for &p in &reached {
                    before[p] = if beta == 0.0 {
                        T::from_f64(f64::NAN)
                    } else {
                        T::from_f64(rng.unit_f64() * 4.0 - 2.0)
                    };
                }
                let od = run_scaled(&c, &xd, &yd, isa, 1, (alpha, beta), &before);
                let od2 = run_scaled(&c, &xd, &yd, isa, 2, (alpha, beta), &before);
                assert!(
                    od.iter().zip(&od2).all(|(a, b)| a.bits() == b.bits()),
                    "{what}: 2 threads differ"
                );
                let mut written = vec![false; od.len()];
                for (i, &p) in reached.iter().enumerate() {
                    written[p] = true;
                    if let Err(e) = r.check_scaled(i, alpha, beta, before[p], od[p]) {
                        panic!("{what}: out {e}");
                    }
                    if (alpha, beta) == (1.0, 0.0) {
                        assert_eq!(od[p].bits(), plain[p].bits(), "{what}: not the plain call");
                    }
                }
                for (i, v) in od.iter().enumerate() {
                    if !written[i] {
                        assert_eq!(v.bits(), T::sentinel().bits(), "{what}: out[{i}] written");
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
            scaled_test::<f32>($which, 0x3000 + REGIME_SEED, $n);
            scaled_test::<f64>($which, 0x4000 + REGIME_SEED, $n);
        }
    )*};
}

scaled_regimes! {
    scaled_dot_rows: "dot", 12;
    scaled_dot_rows_grouped: "dotmany", 8;
    scaled_gemv: "gemv", 10;
    scaled_vecmat: "vecmat", 8;
    scaled_tiny: "tiny", 16;
    scaled_gemm_blocked: "gemm", 8;
    scaled_rank4_loops: "rank4", 12;
    scaled_zero_k: "zero", 8;
    scaled_fixed_tiny: "fixed", 12;
    scaled_gemm_large: "large", 3;
}

/// The suite's shapes (scaled down) through the C ABI at 1, 2, 3 and 8
/// threads: bitwise identical, and correct.
#[test]
fn threads_bitwise_identical() {
    let mut rng = SplitMix64::new(42);
    // (x shape, y shape, ax, ay): big enough that 2 threads are used.
    let shapes: Vec<(Vec<i64>, Vec<i64>, i64, i64)> = vec![
        (vec![24, 64, 64], vec![24, 64, 64], 2, 2),
        (vec![12, 128, 96], vec![12, 96, 64], 2, 1),
        (vec![1, 300, 260], vec![1, 260, 200], 2, 1),
        (vec![3, 200, 100], vec![3, 100, 90], 2, 1),
        (vec![10000, 8, 8], vec![10000, 8, 8], 2, 1),
        (vec![4096, 4, 4], vec![4096, 4, 4], 2, 1),
        (vec![200000, 16], vec![200000, 16], 1, 1),
        (vec![64, 256, 256], vec![64, 256], 2, 1),
        (vec![5, 7, 3, 40, 9], vec![5, 9, 4, 11], 4, 1),
    ];
    for (xs, ys, ax, ay) in shapes {
        for plain in [true, false] {
            let c = lay_out(&mut rng, (&xs, None), (&ys, None), (ax, ay), plain);
            let xd: Vec<f32> = fill(&mut rng, c.x.len);
            let yd: Vec<f32> = fill(&mut rng, c.y.len);
            let mut results: Vec<Vec<f32>> = vec![];
            for t in [1u32, 2, 3, 8] {
                let mut od = vec![f32::sentinel(); c.out.len as usize];
                let o = batch_dot_options {
                    num_threads: t,
                    ..Default::default()
                };
                let st = unsafe {
                    batch_dot::batch_dot_f32(
                        &c.x,
                        xd.as_ptr(),
                        &c.y,
                        yd.as_ptr(),
                        ax,
                        ay,
                        &c.out,
                        od.as_mut_ptr(),
                        &o,
                    )
                };
                assert_eq!(st, 0);
                results.push(od);
            }
            if xs[0] * xs[1] < 5000 {
                check(&c, &xd, &yd, &results[0], &format!("threads {xs:?}"));
            }
            for r in &results[1..] {
                assert!(
                    r.iter()
                        .zip(&results[0])
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{xs:?}·{ys:?}: results differ between thread counts"
                );
            }
        }
    }
}

/// NaN and infinities propagate; an all -0.0 product sum is +0.0.
#[test]
fn ieee_specials() {
    for isa in levels() {
        for k in [1usize, 3, 16, 40] {
            // x (2, k) · y (2, k): row 0 has a NaN, row 1 sums -0.0 products.
            let mut x = vec![1.0f32; 2 * k];
            let mut y = vec![2.0f32; 2 * k];
            x[k - 1] = f32::NAN;
            for t in 0..k {
                x[k + t] = -0.0;
                y[k + t] = 1.0;
            }
            let xl = lay(&[2, k as i64], &[k as i64, 1], 0, 2 * k as i64);
            let c = Case {
                x: xl,
                y: xl,
                out: lay(&[2, 1], &[1, 1], 0, 2),
                ax: 1,
                ay: 1,
            };
            let od = run_case(&c, &x, &y, isa, 1);
            // A NaN, and not the "not written" marker run_case fills with.
            assert!(
                od[0].is_nan() && od[0].bits() != f32::sentinel().bits(),
                "{isa:?} k={k}: want the NaN product's sum, got {:?}",
                od[0]
            );
            assert_eq!(
                od[1].to_bits(),
                0,
                "{isa:?} k={k}: want +0.0, got {:?}",
                od[1]
            );
        }
    }
}

/// Products that are all -0.0 sum to +0.0 in every product regime
/// (contiguous and strided tiny tiles, blocked GEMM, GEMV).
#[test]
fn negative_zero_products_sum_to_plus_zero() {
    for isa in levels() {
        for (b, m, k, n) in [
            (3i64, 4i64, 4i64, 4i64),
            (2, 8, 8, 8),
            (2, 5, 3, 7),
            (1, 40, 300, 33),
            (2, 9, 20, 1),
        ] {
            let mut yl = lay(&[b, k, n], &[k * n, n, 1], 0, b * k * n);
            if n == 1 {
                // y (b, k): its first two extents and strides, [b, k] and
                // [k, 1] (the unused third entries keep n and 1).
                yl.ndim = 2;
            }
            let out = if n == 1 {
                lay(&[b, m], &[m, 1], 0, b * m * n)
            } else {
                lay(&[b, m, n], &[m * n, n, 1], 0, b * m * n)
            };
            let c = Case {
                x: lay(&[b, m, k], &[m * k, k, 1], 0, b * m * k),
                y: yl,
                out,
                ax: 2,
                ay: 1,
            };
            let what = format!("{isa:?} {b}x{m}x{k}x{n}");
            all_plus_zero::<f32>(&c, isa, &what);
            all_plus_zero::<f64>(&c, isa, &what);
        }
    }
}

/// Runs `c` with x all -0.0 and y all 1.0 at `isa`: every output is +0.0.
fn all_plus_zero<T: TestElem + Element>(c: &Case, isa: Isa, what: &str) {
    let x = vec![T::from_f64(-0.0); c.x.len as usize];
    let y = vec![T::from_f64(1.0); c.y.len as usize];
    let od = run_case(c, &x, &y, isa, 1);
    assert!(
        od.iter().all(|v| v.bits() == 0),
        "{what} {}: {od:?}",
        T::NAME
    );
}

/// `BATCH_DOT_FORCE_ISA` caps the level; the tests above force each level
/// through `run_with`, and this checks the parser the library uses.
#[test]
fn force_isa_parsing() {
    assert_eq!(parse_force(Some("scalar")), Some(Isa::Scalar));
    assert_eq!(parse_force(Some("avx2")), Some(Isa::Avx2));
    assert_eq!(parse_force(Some("AVX512")), Some(Isa::Avx512));
    assert_eq!(parse_force(Some("auto")), None);
    assert!(active() <= detected());
}

/// Row dots of a many-row call are bit for bit the dots computed one row
/// per call, at every level, for every K (including a row whose products
/// underflow to -0.0): a row's result never depends on which run of rows
/// (or thread chunk) it falls in, whatever kernel a level groups rows with.
#[test]
fn grouped_dots_match_single_rows() {
    let mut rng = SplitMix64::new(77);
    for k in [1i64, 7, 16, 17, 33, 64] {
        let rows = 37i64;
        let xd: Vec<f32> = fill(&mut rng, rows * k);
        let mut yd: Vec<f32> = fill(&mut rng, rows * k);
        // Tiny products that underflow to -0.0 in one row.
        for t in 0..k as usize {
            yd[5 * k as usize + t] = -1e-30 * (t as f32 + 1.0);
        }
        let mut xd = xd;
        for t in 0..k as usize {
            xd[5 * k as usize + t] = 1e-20;
        }
        let all = Case {
            x: lay(&[rows, k], &[k, 1], 0, rows * k),
            y: lay(&[rows, k], &[k, 1], 0, rows * k),
            out: lay(&[rows, 1], &[1, 1], 0, rows),
            ax: 1,
            ay: 1,
        };
        for isa in levels() {
            let od = run_case(&all, &xd, &yd, isa, 1);
            for r in 0..rows {
                let one = Case {
                    x: lay(&[1, k], &[k, 1], r * k, rows * k),
                    y: lay(&[1, k], &[k, 1], r * k, rows * k),
                    out: lay(&[1, 1], &[1, 1], 0, 1),
                    ax: 1,
                    ay: 1,
                };
                let o1 = run_case(&one, &xd, &yd, isa, 1);
                assert_eq!(
                    o1[0].to_bits(),
                    od[r as usize].to_bits(),
                    "k {k} row {r} {isa:?}"
                );
            }
        }
    }
}

/// The fixed contiguous kernels compute exactly what the microkernel
/// computes: the same batches with x's rows one element apart more (so
/// that the fixed kernel does not apply) give bitwise the same output, at
/// every level, in f32 and f64.
#[test]
fn fixed_kernels_match_the_microkernel() {
    fn both<T: TestElem + Element>(rng: &mut SplitMix64, s: i64, b: i64) {
        let n = b * s * s;
        let xd: Vec<T> = fill(rng, n);
        let yd: Vec<T> = fill(rng, n);
        // The same x with each row followed by one unused element.
        let p = s + 1;
        let mut xpad = vec![T::sentinel(); (b * s * p) as usize];
        for (i, &v) in xd.iter().enumerate() {
            let (bi, r, t) = (i as i64 / (s * s), i as i64 / s % s, i as i64 % s);
            xpad[(bi * s * p + r * p + t) as usize] = v;
        }
        let dense = lay(&[b, s, s], &[s * s, s, 1], 0, n);
        let with_x = |x| Case {
            x,
            y: dense,
            out: dense,
            ax: 2,
            ay: 1,
        };
        let fixed = with_x(dense);
        let general = with_x(lay(&[b, s, s], &[s * p, p, 1], 0, b * s * p));
        for isa in levels() {
            let o1 = run_case(&fixed, &xd, &yd, isa, 1);
            let o2 = run_case(&general, &xpad, &yd, isa, 1);
            let what = format!("{} s {s} b {b} {isa:?}", std::any::type_name::<T>());
            check(&fixed, &xd, &yd, &o1, &what);
            assert!(
                o1.iter().zip(&o2).all(|(a, b)| a.bits() == b.bits()),
                "{what}: fixed kernel and microkernel differ"
            );
        }
    }
    let mut rng = SplitMix64::new(444);
    for s in [4i64, 8] {
        for b in [1i64, 3, 40] {
            both::<f32>(&mut rng, s, b);
            both::<f64>(&mut rng, s, b);
        }
    }
}

/// The fixed contiguous kernels (4×4×4 and 8×8×8 blocks) on plainly
/// contiguous batches, at every level, against the reference; and with
/// the batch running backwards (negative batch strides).
#[test]
fn fixed_contiguous_blocks() {
    let mut rng = SplitMix64::new(99);
    for s in [4i64, 8] {
        for b in [1i64, 2, 7, 33] {
            for back in [false, false, true] {
                let n = b * s * s;
                let (bs, off) = if back {
                    (-s * s, (b - 1) * s * s)
                } else {
                    (s * s, 0)
                };
                let x = lay(&[b, s, s], &[bs, s, 1], off, n);
                let y = lay(&[b, s, s], &[s * s, s, 1], 0, n);
                let out = lay(&[b, s, s], &[bs, s, 1], off, n);
                let c = Case {
                    x,
                    y,
                    out,
                    ax: 2,
                    ay: 1,
                };
                let xd: Vec<f32> = fill(&mut rng, n);
                let yd: Vec<f32> = fill(&mut rng, n);
                let xd64: Vec<f64> = xd.iter().map(|&v| v as f64).collect();
                let yd64: Vec<f64> = yd.iter().map(|&v| v as f64).collect();
                for isa in levels() {
                    let od = run_case(&c, &xd, &yd, isa, 1);
                    check(&c, &xd, &yd, &od, &format!("fixed {s} b {b} {isa:?}"));
                    let od = run_case(&c, &xd64, &yd64, isa, 1);
                    check(
                        &c,
                        &xd64,
                        &yd64,
                        &od,
                        &format!("fixed f64 {s} b {b} {isa:?}"),
                    );
                }
            }
        }
    }
}
