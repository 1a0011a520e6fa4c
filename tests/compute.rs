//! `batch_dot_compute`, the dtype codes and check 1b (docs/API.md, "Element
//! types (version 0.2)" and "Check order"): the (F32, F32, F32) and (F64,
//! F64, F64) rows are `batch_dot_f32`/`_f64` bit for bit (status, message,
//! every output byte) on random strided calls, valid and not; of every
//! combination of the codes 0..8, the rows this release runs (the test
//! kit's `oracle::DTYPES_RUN`: f32, f64 and the four floating 16-bit rows)
//! succeed and every other one is `UNSUPPORTED_DTYPE` and writes nothing;
//! check 1b sits after the NULL layouts and before everything else; the
//! codes' sizes and names. The statuses are the test kit's oracle's
//! (`testkit::oracle::compute_dtyped`), restated from docs/API.md. The
//! 16-bit rows' results, and their equality with `batch_dot_bf16` and
//! `batch_dot_f16`, are tests/lowp.rs's.

use std::ffi::{c_void, CStr};
use std::ptr;

use batch_dot::*;
use testkit::calls::{last_error, random_call, with_threads};
use testkit::elem::{all_sentinel, bits, sentinel_buffer};
use testkit::layouts::{arranged_layout, contiguous_layout, tensor, Arrangement};
use testkit::oracle::{self, dtype_name, dtype_size, st, Opts};
use testkit::{SplitMix64, TestElem};

/// The dtype code of a test element type.
fn code_of<T: TestElem>() -> i32 {
    match std::mem::size_of::<T>() {
        4 => BATCH_DOT_DTYPE_F32,
        8 => BATCH_DOT_DTYPE_F64,
        n => panic!("no dtype of {n} bytes under test"),
    }
}

/// `batch_dot_compute` with one dtype code per tensor.
///
/// # Safety
/// As `batch_dot_compute`.
#[allow(clippy::too_many_arguments)]
unsafe fn compute(
    dt: [i32; 3],
    x: *const batch_dot_layout,
    xd: *const c_void,
    y: *const batch_dot_layout,
    yd: *const c_void,
    ax: i64,
    ay: i64,
    o: *const batch_dot_layout,
    od: *mut c_void,
    opts: *const batch_dot_options,
) -> i32 {
    // SAFETY: the caller's.
    unsafe { batch_dot_compute(dt[0], x, xd, dt[1], y, yd, ax, ay, dt[2], o, od, opts) }
}

/// One random call through `batch_dot_f32`/`_f64` and through
/// `batch_dot_compute` with T's code: the same status and message, the
/// same output bytes, the status the oracle predicts. Returns the status.
fn same_as_typed<T: TestElem>(rng: &mut SplitMix64) -> i32 {
    let (xs, ys, ax, ay) = random_call(rng, 4, 5);
    let value = |r: &mut SplitMix64| T::from_f64(r.unit_f64() * 4.0 - 2.0);
    let x = tensor(&xs, Arrangement::random(rng, true), rng, value);
    let y = tensor(&ys, Arrangement::random(rng, true), rng, value);
    let oshape = oracle::shapes(&xs, &ys, ax, ay).unwrap_or_else(|_| vec![xs[0].max(0), 1]);
    let mut ol = arranged_layout(&oshape, Arrangement::random(rng, false), rng);
    match rng.below(12) {
        0 => ol.len = (ol.len - 1).max(0),
        1 => ol.flags = 1,
        2 => ol.shape[0] += 1,
        _ => {}
    }
    let olen = (ol.len.max(1)) as usize;
    let (mut o1, mut o2) = (sentinel_buffer::<T>(olen), sentinel_buffer::<T>(olen));
    let opts = with_threads(rng.below(3) as u32);
    let popts: *const batch_dot_options = if rng.chance(0.5) { &opts } else { ptr::null() };
    let code = code_of::<T>();
    // SAFETY: every buffer holds what its layout says it owns, `popts` is
    // NULL or live.
    let s1 = unsafe {
        T::call(
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
    // SAFETY: as above.
    let s2 = unsafe {
        compute(
            [code; 3],
            &x.layout,
            x.buf.as_ptr().cast(),
            &y.layout,
            y.buf.as_ptr().cast(),
            ax,
            ay,
            &ol,
            o2.as_mut_ptr().cast(),
            popts,
        )
    };
    let m2 = last_error();
    let what = format!("{} {xs:?}·{ys:?} axes ({ax}, {ay}) out {ol:?}", T::NAME);
    assert_eq!((s1, &m1), (s2, &m2), "{what}: status and message");
    assert_eq!(bits(&o1), bits(&o2), "{what}: output bytes");
    let ptrs = [
        x.buf.as_ptr() as usize,
        y.buf.as_ptr() as usize,
        o2.as_ptr() as usize,
    ];
    let o = (!popts.is_null()).then(|| Opts::of(&opts));
    let v = oracle::compute_dtyped(
        [code; 3],
        [Some(&x.layout), Some(&y.layout), Some(&ol)],
        ax,
        ay,
        o.as_ref(),
        ptrs,
    );
    assert_eq!(s2, v.status, "{what}: the oracle");
    if s2 != BATCH_DOT_STATUS_OK {
        assert!(all_sentinel(&o2), "{what}: written on error");
    }
    s2
}

#[test]
fn compute_is_the_typed_call_bit_for_bit() {
    let mut rng = SplitMix64::new(0xD7E5_0015);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..1500 {
        for s in [
            same_as_typed::<f32>(&mut rng),
            same_as_typed::<f64>(&mut rng),
        ] {
            if s == BATCH_DOT_STATUS_OK {
                ok += 1
            } else {
                err += 1
            }
        }
    }
    // Both outcomes are well covered.
    assert!(ok > 1000 && err > 300, "{ok} valid, {err} errors");
}

/// A valid call `(2,3,4)·(2,4,5)` on buffers large enough for any dtype,
/// with the dtype codes `dt`: its status, and that out is unwritten on
/// error.
fn status_of(dt: [i32; 3]) -> (i32, String) {
    let (xl, yl, ol) = (
        contiguous_layout(&[2, 3, 4]),
        contiguous_layout(&[2, 4, 5]),
        contiguous_layout(&[2, 3, 5]),
    );
    let xd = [1.0f64; 24];
    let yd = [1.0f64; 40];
    let mut od = [f64::from_bits(0x7ff8_a5a5_a5a5_a5a5); 30];
    let before = bits(&od);
    // SAFETY: every buffer holds its layout's elements at 8 bytes each
    // (the largest element size), 8-aligned.
    let s = unsafe {
        compute(
            dt,
            &xl,
            xd.as_ptr().cast(),
            &yl,
            yd.as_ptr().cast(),
            2,
            1,
            &ol,
            od.as_mut_ptr().cast(),
            ptr::null(),
        )
    };
    let msg = last_error();
    let ptrs = [
        xd.as_ptr() as usize,
        yd.as_ptr() as usize,
        od.as_ptr() as usize,
    ];
    let v = oracle::compute_dtyped(dt, [Some(&xl), Some(&yl), Some(&ol)], 2, 1, None, ptrs);
    assert_eq!(s, v.status, "dtypes {dt:?}: {msg}");
    if s != BATCH_DOT_STATUS_OK {
        assert_eq!(bits(&od), before, "dtypes {dt:?}: out written on error");
    } else {
        assert_eq!(msg, "", "dtypes {dt:?}");
    }
    (s, msg)
}

#[test]
fn every_combination_of_codes() {
    // The rows this release runs, in the table's order, as the messages
    // list them.
    let supported = oracle::DTYPES_RUN
        .iter()
        .map(|&(a, b, c)| format!("({}, {}, {})", dtype_name(a), dtype_name(b), dtype_name(c)))
        .collect::<Vec<_>>()
        .join(", ");
    for a in 0..=8 {
        for b in 0..=8 {
            for c in 0..=8 {
                let (s, msg) = status_of([a, b, c]);
                let runs = oracle::DTYPES_RUN.contains(&(a, b, c));
                let want = if runs {
                    BATCH_DOT_STATUS_OK
                } else {
                    BATCH_DOT_STATUS_UNSUPPORTED_DTYPE
                };
                assert_eq!(s, want, "({a}, {b}, {c}): {msg}");
                if runs {
                    continue;
                }
                // The message names the argument and the values.
                let first_bad = [("x_dtype", a), ("y_dtype", b), ("out_dtype", c)]
                    .into_iter()
                    .find(|&(_, v)| !(1..=7).contains(&v));
                let expected = match first_bad {
                    Some((arg, v)) => format!(
                        "{arg} = {v} is not a dtype code (BATCH_DOT_DTYPE_F32 = 1 to \
                         BATCH_DOT_DTYPE_S32 = 7)."
                    ),
                    None => {
                        let names = format!(
                            "(x {}, y {}, out {})",
                            dtype_name(a),
                            dtype_name(b),
                            dtype_name(c)
                        );
                        let in_table = oracle::DTYPES_TABLE.contains(&(a, b, c));
                        if in_table {
                            format!(
                                "the combination {names} is not supported by this build of \
                                 libbatch_dot ({}); supported: {supported}.",
                                env!("CARGO_PKG_VERSION")
                            )
                        } else {
                            format!(
                                "the combination {names} is not supported; supported: {supported}."
                            )
                        }
                    }
                };
                assert_eq!(msg, expected, "({a}, {b}, {c})");
            }
        }
    }
    for bad in [i32::MIN, -1, 9, 100, i32::MAX] {
        assert_eq!(status_of([1, 1, bad]).0, BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        assert_eq!(status_of([bad, 2, 2]).0, BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
    }
}

/// Check 1b's place: after the NULL layouts (check 1), before the flags and
/// options (check 2) and everything after.
#[test]
fn check_order_around_1b() {
    let (xl, yl, ol) = (
        contiguous_layout(&[2, 3, 4]),
        contiguous_layout(&[2, 4, 5]),
        contiguous_layout(&[2, 3, 5]),
    );
    let xd = [0f32; 24];
    let yd = [0f32; 40];
    let mut od = [0f32; 30];
    let mut flagged = xl;
    flagged.flags = 1;
    let mut bad_opts = with_threads(0);
    bad_opts.flags = 2;
    let mut wrong_out = ol;
    wrong_out.shape[2] = 6;
    let mut rank1 = yl;
    rank1.ndim = 1;
    let (x, y, o, op) = (
        xd.as_ptr().cast(),
        yd.as_ptr().cast(),
        od.as_mut_ptr().cast(),
        &bad_opts,
    );
    let null = ptr::null::<batch_dot_layout>();
    let f32s = [BATCH_DOT_DTYPE_F32; 3];
    type Case<'a> = (
        [i32; 3],
        *const batch_dot_layout,
        *const batch_dot_layout,
        *const batch_dot_layout,
        *const c_void,
        *const batch_dot_options,
        i32,
    );
    let cases: [Case; 13] = [
        // A NULL layout wins over a bad dtype.
        ([0, 1, 1], null, &yl, &ol, x, ptr::null(), st::NULL_POINTER),
        ([9, 9, 9], &xl, &yl, null, x, ptr::null(), st::NULL_POINTER),
        ([4, 4, 4], &xl, null, &ol, x, op, st::NULL_POINTER),
        // A bad dtype wins over a bad flag, options, rank, shape, pointer.
        (
            [0, 1, 1],
            &flagged,
            &yl,
            &ol,
            x,
            ptr::null(),
            st::UNSUPPORTED_DTYPE,
        ),
        ([3, 3, 2], &xl, &yl, &ol, x, op, st::UNSUPPORTED_DTYPE),
        // A 16-bit row passes 1b: its bad options are check 2's.
        ([3, 3, 3], &xl, &yl, &ol, x, op, st::INVALID_ARGUMENT),
        (
            [4, 4, 1],
            &flagged,
            &yl,
            &ol,
            x,
            ptr::null(),
            st::INVALID_ARGUMENT,
        ),
        (
            [1, 1, 2],
            &xl,
            &rank1,
            &ol,
            x,
            ptr::null(),
            st::UNSUPPORTED_DTYPE,
        ),
        (
            [1, 1, 8],
            &xl,
            &yl,
            &wrong_out,
            x,
            ptr::null(),
            st::UNSUPPORTED_DTYPE,
        ),
        (
            [5, 6, 7],
            &xl,
            &yl,
            &ol,
            ptr::null(),
            ptr::null(),
            st::UNSUPPORTED_DTYPE,
        ),
        // With good dtypes the rest of the order is the typed call's.
        (
            f32s,
            &flagged,
            &yl,
            &ol,
            x,
            ptr::null(),
            st::INVALID_ARGUMENT,
        ),
        (f32s, &xl, &yl, &ol, x, op, st::INVALID_ARGUMENT),
        (f32s, &xl, &yl, &wrong_out, x, ptr::null(), st::OUTPUT_SHAPE),
    ];
    for (i, &(dt, xl, yl, ol, xp, opts, want)) in cases.iter().enumerate() {
        // SAFETY: the layouts are NULL or live, the buffers hold their
        // layouts' f32 elements (the larger dtypes never reach the data:
        // their calls fail before).
        let s = unsafe { compute(dt, xl, xp, yl, y, 2, 1, ol, o, opts) };
        assert_eq!(s, want, "case {i}: {}", last_error());
        // The oracle agrees.
        // SAFETY: non-NULL layout pointers point to live layouts.
        let l = |p: *const batch_dot_layout| unsafe { p.as_ref() };
        let v = oracle::compute_dtyped(
            dt,
            [l(xl), l(yl), l(ol)],
            2,
            1,
            (!opts.is_null()).then(|| Opts::of(&bad_opts)).as_ref(),
            [xp as usize, y as usize, o as usize],
        );
        assert_eq!(v.status, want, "case {i}: the oracle");
    }
    // Element sizes come from the dtype: an f64 call on a 4-aligned pointer
    // is misaligned, where f32 is fine.
    let buf = [0f64; 64];
    let p4 = (buf.as_ptr() as usize + 4) as *const c_void;
    let mut out = [0f64; 40];
    // SAFETY: x reaches 24 elements from p4 (f32: 96 bytes, inside buf);
    // the f64 call fails at check 9 before touching data.
    let s = unsafe {
        compute(
            [2, 2, 2],
            &xl,
            p4,
            &yl,
            buf.as_ptr().cast(),
            2,
            1,
            &ol,
            out.as_mut_ptr().cast(),
            ptr::null(),
        )
    };
    assert_eq!(s, BATCH_DOT_STATUS_INVALID_ARGUMENT, "{}", last_error());
    assert!(last_error().contains("x_data") && last_error().contains("8 bytes"));
}

#[test]
fn dtype_sizes_and_names() {
    let codes = [
        i32::MIN,
        -100,
        -2,
        -1,
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        15,
        255,
        1 << 20,
        i32::MAX,
    ];
    // A message set by a failing call, which neither function touches.
    // SAFETY: NULL out pointers are what is tested.
    let s = unsafe {
        batch_dot_infer_shape(
            2,
            [3i64, 4].as_ptr(),
            2,
            [3i64, 4].as_ptr(),
            1,
            1,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    assert_eq!(s, BATCH_DOT_STATUS_NULL_POINTER);
    let msg = last_error();
    for c in codes {
        assert_eq!(batch_dot_dtype_size(c), dtype_size(c), "code {c}");
        let p = batch_dot_dtype_name(c);
        assert!(!p.is_null());
        // SAFETY: a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(p) }.to_str().unwrap();
        assert_eq!(name, dtype_name(c), "code {c}");
        assert_eq!(p, batch_dot_dtype_name(c), "code {c}: static");
    }
    assert_eq!(last_error(), msg);
    // The header's macros are docs/API.md's codes.
    let macros = [
        BATCH_DOT_DTYPE_F32,
        BATCH_DOT_DTYPE_F64,
        BATCH_DOT_DTYPE_F16,
        BATCH_DOT_DTYPE_BF16,
        BATCH_DOT_DTYPE_S8,
        BATCH_DOT_DTYPE_U8,
        BATCH_DOT_DTYPE_S32,
    ];
    assert_eq!(macros, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(BATCH_DOT_STATUS_UNSUPPORTED_DTYPE, st::UNSUPPORTED_DTYPE);
    // SAFETY: a static NUL-terminated string.
    let s = unsafe { CStr::from_ptr(batch_dot_status_string(15)) };
    assert_eq!(s.to_str().unwrap(), "BATCH_DOT_STATUS_UNSUPPORTED_DTYPE");
}
