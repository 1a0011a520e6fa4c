//! Thousands of random calls through the C ABI, compared with the test
//! kit's naive reference (`testkit::reference`, which shares no code with
//! the library), on every axes form and random layouts (permuted, padded,
//! reversed, offset, broadcast zero strides, strided outputs), for f32 and
//! f64. Every case checks the status (against the kit's independent
//! restatement of docs/SEMANTICS.md §3's order, `testkit::oracle`), the
//! shape from `batch_dot_infer_shape`, the values within
//! docs/SEMANTICS.md §6's bound, that padding of the output is untouched,
//! and that nothing is written on error. Also: every example of the seed
//! page and every upstream case of docs/SEMANTICS.md §9.

use batch_dot::*;
use testkit::calls::{infer_shape, with_threads};
use testkit::elem::{all_sentinel, bits, sentinel_buffer};
use testkit::layouts::{
    arranged_layout, contiguous_layout, tensor, written_output, Arrangement, MAX_NDIM,
};
use testkit::oracle::{normalise_axes, shapes};
use testkit::reference;
use testkit::{SplitMix64, TestElem};

const D: i64 = BATCH_DOT_AXIS_DEFAULT;

fn random_value<T: TestElem>(rng: &mut SplitMix64, ints: bool, specials: bool) -> T {
    if specials && rng.chance(0.05) {
        let s = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0];
        return T::from_f64(s[rng.below(s.len() as u64) as usize]);
    }
    if ints {
        T::from_f64(rng.range_i64(-4, 4) as f64)
    } else {
        T::from_f64(rng.unit_f64() * 4.0 - 2.0)
    }
}

/// Runs one case for element type T; returns whether it was a valid call.
#[allow(clippy::too_many_arguments)]
fn check_case<T: TestElem>(
    xs: &[i64],
    ys: &[i64],
    ax: i64,
    ay: i64,
    rng: &mut SplitMix64,
    ints: bool,
    specials: bool,
    what: &str,
) -> bool {
    let expected = shapes(xs, ys, ax, ay);

    // Shape inference.
    let mut on = -7i32;
    let mut oshape = [-7i64; MAX_NDIM];
    let st = infer_shape(xs, ys, (ax, ay), &mut on, &mut oshape);
    match &expected {
        Ok(shape) => {
            assert_eq!(st, BATCH_DOT_STATUS_OK, "{what}: infer_shape status");
            assert_eq!(&oshape[..on as usize], &shape[..], "{what}: infer_shape");
        }
        Err(s) => {
            assert_eq!(st, *s, "{what}: infer_shape status");
            assert_eq!(
                (on, oshape),
                (-7, [-7; MAX_NDIM]),
                "{what}: written on error"
            );
        }
    }

    let value = |r: &mut SplitMix64| random_value::<T>(r, ints, specials);
    let arr = Arrangement::random(rng, true);
    let x = tensor(xs, arr, rng, value);
    let arr = Arrangement::random(rng, true);
    let y = tensor(ys, arr, rng, value);
    // The out layout: the expected shape, or a plausible one on error.
    let oshape: Vec<i64> = match &expected {
        Ok(s) => s.clone(),
        Err(_) => vec![xs.first().copied().unwrap_or(1).max(0), 1],
    };
    let olayout = arranged_layout(
        &oshape,
        Arrangement {
            permute: rng.chance(0.5),
            pad: rng.chance(0.5),
            slack: rng.chance(0.3),
            reverse: rng.chance(0.3),
            offset: rng.chance(0.3),
            junk_unit_strides: rng.chance(0.3),
            ..Arrangement::CONTIGUOUS
        },
        rng,
    );
    let olen = (olayout.len as usize).max(1);
    let mut obuf = sentinel_buffer::<T>(olen);
    let opts = with_threads(rng.below(4) as u32);
    // One call, x · y into `out` (a buffer for `olayout`) with `opts`.
    let call = |out: &mut [T], opts: *const batch_dot_options| {
        assert_eq!(out.len(), olen);
        // SAFETY: each buffer holds every element its layout reaches
        // (`tensor`, `arranged_layout`); `opts` is NULL or live.
        unsafe {
            T::call(
                &x.layout,
                x.buf.as_ptr(),
                &y.layout,
                y.buf.as_ptr(),
                ax,
                ay,
                &olayout,
                out.as_mut_ptr(),
                opts,
            )
        }
    };
    let st = call(&mut obuf, &opts);
    let shape = match expected {
        Err(s) => {
            assert_eq!(st, s, "{what}: status");
            assert!(all_sentinel(&obuf), "{what}: output written on error");
            return false;
        }
        Ok(shape) => shape,
    };
    assert_eq!(st, BATCH_DOT_STATUS_OK, "{what}: status");
    // Padding untouched, every output element written.
    let got = written_output(&olayout, &obuf).unwrap_or_else(|e| panic!("{what}: {e}"));
    // Values.
    let xl: Vec<f64> = x.logical.iter().map(|v| v.to_f64()).collect();
    let yl: Vec<f64> = y.logical.iter().map(|v| v.to_f64()).collect();
    let want = reference::batch_dot_logical(xs, &xl, ys, &yl, ax, ay)
        .unwrap_or_else(|s| panic!("{what}: reference status {s}"));
    assert_eq!(want.shape, shape);
    for (i, g) in got.iter().enumerate() {
        if let Err(e) = want.check(i, *g) {
            panic!("{what}: {e}");
        }
    }
    // Results do not depend on the thread count.
    let mut obuf1 = sentinel_buffer::<T>(olen);
    let st = call(&mut obuf1, core::ptr::null());
    assert_eq!(st, BATCH_DOT_STATUS_OK);
    assert!(
        bits(&obuf) == bits(&obuf1),
        "{what}: result depends on num_threads = {}",
        opts.num_threads
    );
    true
}

/// `check_case` without special values, for f32 and then for f64.
fn check_f32_f64(
    xs: &[i64],
    ys: &[i64],
    (ax, ay): (i64, i64),
    rng: &mut SplitMix64,
    ints: bool,
    what: &str,
) -> [bool; 2] {
    [
        check_case::<f32>(xs, ys, ax, ay, rng, ints, false, what),
        check_case::<f64>(xs, ys, ax, ay, rng, ints, false, what),
    ]
}

fn random_shapes(rng: &mut SplitMix64) -> (Vec<i64>, Vec<i64>, i64, i64) {
    let n = 2 + rng.below(5) as usize; // 2..=6
    let m = 2 + rng.below(5) as usize;
    let ext = |rng: &mut SplitMix64| {
        if rng.chance(0.06) {
            0
        } else {
            1 + rng.below(if n + m > 8 { 3 } else { 5 }) as i64
        }
    };
    let mut xs: Vec<i64> = (0..n).map(|_| ext(rng)).collect();
    let mut ys: Vec<i64> = (0..m).map(|_| ext(rng)).collect();
    if rng.chance(0.1) {
        xs[0] = 0;
    }
    ys[0] = xs[0];
    // Axes form.
    let (ax, ay) = match rng.below(10) {
        0 | 1 => (D, D),
        2 | 3 => {
            let a = rng.range_i64(-(n.min(m) as i64) + 1, n.min(m) as i64 - 1);
            let a = if a == 0 { 1 } else { a };
            (a, a)
        }
        4 => {
            // Anything, valid or not, including below -rank and a lone default.
            let pick = |rng: &mut SplitMix64, r: usize| match rng.below(8) {
                0 => D,
                1 => 0,
                2 => r as i64 + rng.below(3) as i64,
                3 => -(r as i64) - 1 - rng.below(3) as i64,
                _ => rng.range_i64(-(r as i64), r as i64),
            };
            (pick(rng, n), pick(rng, m))
        }
        _ => {
            let a0 = rng.range_i64(1, n as i64 - 1);
            let a1 = rng.range_i64(1, m as i64 - 1);
            (
                if rng.chance(0.3) { a0 - n as i64 } else { a0 },
                if rng.chance(0.3) { a1 - m as i64 } else { a1 },
            )
        }
    };
    // Make the contraction match (most of the time).
    if let Ok((a0, a1)) = normalise_axes(n, m, ax, ay) {
        if !rng.chance(0.05) {
            ys[a1] = xs[a0];
        }
    }
    if rng.chance(0.03) {
        ys[0] = xs[0] + 1; // batch mismatch
    }
    (xs, ys, ax, ay)
}

#[test]
fn random_cases_f32_and_f64() {
    let mut rng = SplitMix64::new(0x5eed_ba7c);
    let (mut valid, mut invalid) = (0, 0);
    for case in 0..4000 {
        let (xs, ys, ax, ay) = random_shapes(&mut rng);
        let ints = rng.chance(0.5);
        let specials = rng.chance(0.1);
        let what = format!("case {case}: {xs:?}·{ys:?} axes ({ax}, {ay})");
        let v = if case % 2 == 0 {
            check_case::<f32>(&xs, &ys, ax, ay, &mut rng, ints, specials, &what)
        } else {
            check_case::<f64>(&xs, &ys, ax, ay, &mut rng, ints, specials, &what)
        };
        if v {
            valid += 1
        } else {
            invalid += 1
        }
    }
    println!("random cases: {valid} valid, {invalid} invalid");
    assert!(
        valid > 2500 && invalid > 300,
        "{valid} valid, {invalid} invalid"
    );
}

/// The seed page's examples and docs/SEMANTICS.md §7 / §9's upstream cases, on random
/// data and random layouts, f32 and f64.
#[test]
fn seed_and_upstream_cases() {
    type Case<'a> = (&'a [i64], &'a [i64], (i64, i64), &'a [i64]);
    let cases: &[Case] = &[
        // seed page
        (&[2, 2], &[2, 2], (1, 1), &[2, 1]),
        (&[100, 20], &[100, 30, 20], (1, 2), &[100, 30]),
        (&[32, 20, 1], &[32, 30, 20], (1, 2), &[32, 1, 30]),
        // tf-keras backend_test.py::test_batch_dot
        (&[2, 3, 4, 5], &[2, 5, 6, 7], (3, 1), &[2, 3, 4, 6, 7]),
        (&[2, 20, 1], &[2, 30, 20], (1, 2), &[2, 1, 30]),
        (&[4, 2, 3], &[4, 5, 3], (2, 2), &[4, 2, 5]),
        (&[4, 2], &[4, 2, 3], (1, 1), &[4, 3]),
        (&[4, 2, 3], &[4, 3], (2, 1), &[4, 2]),
        // Keras 2.3 test_batch_dot_shape (batch 7)
        (&[7, 3, 4, 5], &[7, 2, 3, 4], (2, 3), &[7, 3, 5, 2, 3]),
        (&[7, 3, 4, 5], &[7, 2, 4], (2, 2), &[7, 3, 5, 2]),
        (&[7, 3, 4], &[7, 2, 3, 4], (2, 3), &[7, 3, 2, 3]),
        (&[7, 4, 3], &[7, 3, 5], (2, 1), &[7, 4, 5]),
        (&[7, 4], &[7, 3, 4], (1, 2), &[7, 3]),
        (&[7, 4], &[7, 4], (D, D), &[7, 1]),
        // Keras 2.3 test_linear_operations
        (&[32, 20], &[32, 20], (1, 1), &[32, 1]),
        // Keras 3 merging_test.py
        (&[2, 4], &[2, 4], (-1, -1), &[2, 1]),
        (&[2, 4, 5], &[2, 4, 5], (-1, -1), &[2, 4, 4]),
        (&[1, 3, 2], &[1, 1, 2, 3], (-2, -1), &[1, 2, 1, 2]),
        // docs/SEMANTICS.md §7
        (&[3, 4], &[3, 4, 5], (D, D), &[3, 5]),
        (&[3, 4, 5], &[3, 5], (D, D), &[3, 4]),
        (&[3, 4, 5], &[3, 4], (1, 1), &[3, 5]),
        (&[2, 3, 4, 5], &[2, 6, 5, 7], (D, D), &[2, 3, 4, 6, 7]),
        (
            &[2, 3, 4, 5, 6],
            &[2, 2, 3, 4, 5],
            (2, 3),
            &[2, 3, 5, 6, 2, 3, 5],
        ),
        (&[2, 1, 2, 2], &[2, 1, 2, 2], (2, 2), &[2, 1, 2, 1, 2]),
        (&[1, 2, 1], &[1, 2, 1, 16], (2, 2), &[1, 2, 2, 16]),
        (&[1, 2, 6, 2], &[1, 2, 2, 3], (3, 1), &[1, 2, 6, 2, 3]),
        (&[8, 7, 4, 2], &[8, 7, 2, 5], (D, D), &[8, 7, 4, 7, 5]),
        (&[0, 4], &[0, 4], (1, 1), &[0, 1]),
        (&[3, 0], &[3, 0], (1, 1), &[3, 1]),
        (&[3, 4, 0], &[3, 0, 5], (2, 1), &[3, 4, 5]),
        (&[3, 0, 4], &[3, 4, 5], (D, D), &[3, 0, 5]),
        (&[3, 0, 2, 4], &[3, 4, 0, 5], (3, 1), &[3, 0, 2, 0, 5]),
        (&[3, 2, 0, 0], &[3, 0], (3, 1), &[3, 2, 0]),
        (
            &[1, 1, 1, 1, 1],
            &[1, 1, 1, 1, 1],
            (4, 4),
            &[1, 1, 1, 1, 1, 1, 1],
        ),
    ];
    let mut rng = SplitMix64::new(42);
    for (xs, ys, (ax, ay), want) in cases {
        assert_eq!(shapes(xs, ys, *ax, *ay).as_deref(), Ok(*want));
        for rep in 0..6 {
            let what = format!("{xs:?}·{ys:?} axes ({ax}, {ay}) rep {rep}");
            let ints = rep % 2 == 0;
            let valid = check_f32_f64(xs, ys, (*ax, *ay), &mut rng, ints, &what);
            assert_eq!(valid, [true; 2], "{what}: f32, f64 valid");
        }
    }
}

/// The seed page's worked example, value by value.
#[test]
fn seed_example_values() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let y = [5.0f32, 6.0, 7.0, 8.0];
    let l = contiguous_layout(&[2, 2]);
    let ol = contiguous_layout(&[2, 1]);
    let mut out = [0.0f32; 2];
    let st = unsafe {
        batch_dot_f32(
            &l,
            x.as_ptr(),
            &l,
            y.as_ptr(),
            1,
            1,
            &ol,
            out.as_mut_ptr(),
            core::ptr::null(),
        )
    };
    assert_eq!(st, BATCH_DOT_STATUS_OK);
    assert_eq!(out, [17.0, 53.0]);
}

/// docs/SEMANTICS.md §7's error rows (those expressible in C), with their statuses.
#[test]
fn spec_error_rows() {
    type Row<'a> = (&'a [i64], &'a [i64], (i64, i64), i32);
    let rows: &[Row] = &[
        (
            &[3, 4],
            &[3, 5, 4],
            (D, D),
            BATCH_DOT_STATUS_CONTRACTION_MISMATCH,
        ),
        (
            &[3, 4, 5],
            &[3, 4],
            (D, D),
            BATCH_DOT_STATUS_CONTRACTION_MISMATCH,
        ),
        (&[3, 4], &[3, 4], (0, 0), BATCH_DOT_STATUS_BATCH_AXIS),
        (&[3, 4], &[3, 4], (0, 1), BATCH_DOT_STATUS_BATCH_AXIS),
        (&[3, 4], &[3, 4], (1, 0), BATCH_DOT_STATUS_BATCH_AXIS),
        (&[3, 4], &[3, 4], (-2, -2), BATCH_DOT_STATUS_BATCH_AXIS),
        (&[3, 4], &[3, 4], (2, 2), BATCH_DOT_STATUS_INVALID_AXES),
        (&[3, 4], &[3, 4], (1, 2), BATCH_DOT_STATUS_INVALID_AXES),
        (&[3, 4], &[3, 4], (-3, -3), BATCH_DOT_STATUS_INVALID_AXES),
        (
            &[3, 4, 5],
            &[3, 5, 6],
            (-4, -4),
            BATCH_DOT_STATUS_INVALID_AXES,
        ),
        (
            &[3, 5, 5],
            &[3, 5, 5],
            (1, -5),
            BATCH_DOT_STATUS_INVALID_AXES,
        ),
        (
            &[2, 2, 2],
            &[2, 2, 2],
            (-5, 1),
            BATCH_DOT_STATUS_INVALID_AXES,
        ),
        (&[3, 4], &[5, 4], (1, 1), BATCH_DOT_STATUS_BATCH_MISMATCH),
        (&[1, 4], &[2, 4], (1, 1), BATCH_DOT_STATUS_BATCH_MISMATCH),
        (&[3], &[3, 4], (1, 1), BATCH_DOT_STATUS_INVALID_RANK),
        (&[], &[3, 4], (1, 1), BATCH_DOT_STATUS_INVALID_RANK),
        (&[3, 4], &[3, 4], (D, 1), BATCH_DOT_STATUS_INVALID_AXES),
        (&[3, 4], &[3, 4], (1, D), BATCH_DOT_STATUS_INVALID_AXES),
    ];
    let mut rng = SplitMix64::new(7);
    for (xs, ys, (ax, ay), st) in rows {
        assert_eq!(shapes(xs, ys, *ax, *ay), Err(*st));
        let what = format!("{xs:?}·{ys:?} axes ({ax}, {ay})");
        let valid = check_f32_f64(xs, ys, (*ax, *ay), &mut rng, true, &what);
        assert_eq!(valid, [false; 2], "{what}: f32, f64 valid");
    }
}
