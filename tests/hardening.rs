//! Hardening tests (issue 4: no input crashes the library or makes it touch
//! memory it was not given). They call the C ABI exactly as C does, through
//! the functions the crate re-exports, on buffers of exactly the lengths the
//! layouts claim, so that under Miri (`scripts/suites/55-miri.sh`) any
//! access outside them is an error, too.
//!
//! - overflow: extents and strides near INT64_MAX, products that overflow
//!   (and would wrap to small or zero values), offsets plus strides that
//!   wrap, byte offsets that overflow only for 8-byte elements: each gets
//!   OVERFLOW or OUT_OF_BOUNDS, never a result;
//! - aliasing: out overlapping x or y, out with zero or self-overlapping
//!   strides, interleaved-but-disjoint views (rejected: the test is
//!   conservative), x == y (allowed), empty tensors that overlap (allowed);
//! - regressions for the bugs the fuzzers found;
//! - hostile pointers and options: nothing is read past a short options
//!   struct or a shape array whose ndim is out of range;
//! - a small randomized sweep of valid and invalid strided calls checked
//!   against the test kit's naive reference (reduced under Miri).

use batch_dot::testing::{active, compute_at, detected, Element, Isa};
use batch_dot::*;
use std::ptr::{null, null_mut};
use testkit::calls::{infer_shape, last_error, status_string, with_threads};
use testkit::elem::{all_sentinel, bits, exact, sentinel_buffer};
use testkit::layouts::{arranged_layout, lay, storage_positions, Arrangement};
use testkit::oracle::shapes;
use testkit::reference::{self, Strided};
use testkit::{SplitMix64, TestElem};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Row-major packed layout of a small shape.
fn packed(shape: &[i64]) -> batch_dot_layout {
    let mut l = batch_dot_layout::zeroed();
    let st =
        unsafe { batch_dot_layout_init_contiguous(&mut l, shape.len() as i32, shape.as_ptr()) };
    assert_eq!(st, BATCH_DOT_STATUS_OK);
    l
}

fn message() -> String {
    last_error()
}

fn name(s: i32) -> String {
    status_string(s)
}

const D: i64 = BATCH_DOT_AXIS_DEFAULT;

/// `#[test] fn $test`, which runs `$cases::<f32>()` and then `$cases::<f64>()`.
macro_rules! f32_and_f64 {
    ($test:ident, $cases:ident) => {
        #[test]
        fn $test() {
            $cases::<f32>();
            $cases::<f64>();
        }
    };
}

/// A buffer of exactly `n` elements (no spare capacity, so Miri and ASan
/// see its true end): 1, 2, 3, ... (small integers, so sums are exact).
fn data<T: TestElem>(n: usize) -> Vec<T> {
    exact((0..n).map(|i| T::from_f64((i % 7) as f64 - 3.0)).collect())
}

fn sentinels<T: TestElem>(n: usize) -> Vec<T> {
    sentinel_buffer(n)
}

/// Expects `status` from a call on buffers of `len` elements (at most 64),
/// with out untouched and a message set.
fn expect_fail<T: TestElem>(
    x: &batch_dot_layout,
    y: &batch_dot_layout,
    axes: (i64, i64),
    o: &batch_dot_layout,
    status: i32,
    what: &str,
) {
    let cap = |l: &batch_dot_layout| l.len.clamp(0, 64) as usize;
    let (xd, yd) = (data::<T>(cap(x)), data::<T>(cap(y)));
    let mut od = sentinels::<T>(cap(o));
    let got = unsafe { args(x, &xd, y, &yd, axes, o).call(od.as_mut_ptr(), null()) };
    assert_eq!(
        got,
        status,
        "{what}: got {} ({}), want {}",
        name(got),
        message(),
        name(status)
    );
    assert!(!message().is_empty(), "{what}: no message");
    assert!(all_sentinel(&od), "{what}: out written on error");
}

/// The operands of one call: x and y with their data, the axes, out's
/// layout (out's data is passed to each method).
struct Args<'a, T> {
    x: Strided<'a, T>,
    y: Strided<'a, T>,
    axes: (i64, i64),
    o: &'a batch_dot_layout,
}

/// [`Args`]: x, its data, y, its data, the axes, out's layout.
fn args<'a, T>(
    x: &'a batch_dot_layout,
    xd: &'a [T],
    y: &'a batch_dot_layout,
    yd: &'a [T],
    axes: (i64, i64),
    o: &'a batch_dot_layout,
) -> Args<'a, T> {
    let x = Strided {
        layout: x,
        data: xd,
    };
    let y = Strided {
        layout: y,
        data: yd,
    };
    Args { x, y, axes, o }
}

impl<T: TestElem> Args<'_, T> {
    /// `T::call` (`batch_dot_f32` / `_f64`) into `od` with options `opts`.
    ///
    /// # Safety
    /// As `T::call`, unless the call must be refused before it reads or
    /// writes anything (what the tests here check, on buffers of exactly the
    /// lengths given, so that Miri and ASan see any access past them).
    unsafe fn call(&self, od: *mut T, opts: *const batch_dot_options) -> i32 {
        let (x, y, (ax, ay)) = (self.x, self.y, self.axes);
        let (xd, yd) = (x.data.as_ptr(), y.data.as_ptr());
        unsafe { T::call(x.layout, xd, y.layout, yd, ax, ay, self.o, od, opts) }
    }

    /// Runs a valid call into `od`, checks every output element against
    /// the reference and every unreached output position for its old value.
    fn expect_ok(&self, od: &mut [T], what: &str) {
        let before = bits(od);
        let xs = bits(self.x.data);
        let got = unsafe { self.call(od.as_mut_ptr(), null()) };
        assert_eq!(
            got,
            BATCH_DOT_STATUS_OK,
            "{what}: {} ({})",
            name(got),
            message()
        );
        assert!(message().is_empty());
        assert_eq!(xs, bits(self.x.data), "{what}: input written");
        self.check_out(od, &before, what);
    }

    /// Checks a call's result `od` against the reference (and `-0.0`), and
    /// that positions out does not reach still hold their bits `before`.
    fn check_out(&self, od: &[T], before: &[u64], what: &str) {
        let want = reference::batch_dot(self.x, self.y, self.axes.0, self.axes.1).unwrap();
        let mut written = vec![false; od.len()];
        for (i, p) in storage_positions(self.o).into_iter().enumerate() {
            let g = od[p];
            written[p] = true;
            if let Err(e) = want.check(i, g) {
                panic!("{what}: out {e}");
            }
            assert!(
                g.to_f64() != 0.0 || g.to_f64().is_sign_positive(),
                "{what}: -0.0"
            );
        }
        for (p, w) in written.iter().enumerate() {
            if !w {
                assert_eq!(od[p].bits(), before[p], "{what}: padding at {p} written");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Regressions
// ---------------------------------------------------------------------------

/// Found by fuzzing (compute_f32): with K = 0 the inputs have no elements, so
/// their offsets and strides are never checked (docs/API.md: "A tensor with no
/// elements reaches nothing"), but the plan still multiplied x's free
/// strides by their extents: `i64::MAX * 2` overflowed, a panic in builds
/// with overflow checks (status INTERNAL instead of OK). Fixed in api.rs:
/// the plan gets zero strides and offset for an input with no elements.
fn k0_unchecked<T: TestElem>() {
    for (xs, xo) in [
        ([0, 5, i64::MAX, 1], 0),
        ([i64::MIN, i64::MAX, i64::MAX, i64::MIN], i64::MIN),
        ([1, -(1 << 62), 1 << 62, 7], i64::MAX),
    ] {
        let x = lay(&[1, 2, 2, 0], &xs, xo, 0);
        let y = lay(&[1, 0, 3], &[i64::MAX, i64::MIN, i64::MAX], i64::MAX, 0);
        let o = packed(&[1, 2, 2, 3]);
        let mut od = sentinels::<T>(12);
        let got = unsafe { T::call(&x, null(), &y, null(), 3, 1, &o, od.as_mut_ptr(), null()) };
        assert_eq!(got, BATCH_DOT_STATUS_OK, "{}", message());
        assert!(od.iter().all(|v| v.bits() == 0), "K = 0 gives +0.0: {od:?}");
    }
    // Batch 2 and threads allowed, too.
    let x = lay(&[2, 3, 0], &[i64::MAX, i64::MAX, i64::MAX], 5, 0);
    let y = lay(&[2, 0, 4], &[i64::MIN, 3, i64::MIN], -5, 0);
    let o = packed(&[2, 3, 4]);
    let mut od = sentinels::<T>(24);
    let opts = with_threads(4);
    let got = unsafe { T::call(&x, null(), &y, null(), D, D, &o, od.as_mut_ptr(), &opts) };
    assert_eq!(got, BATCH_DOT_STATUS_OK, "{}", message());
    assert!(od.iter().all(|v| v.bits() == 0));
}

f32_and_f64!(k0_inputs_with_unchecked_strides, k0_unchecked);

// ---------------------------------------------------------------------------
// Overflow
// ---------------------------------------------------------------------------

const MAX: i64 = i64::MAX;
const MIN: i64 = i64::MIN;

fn overflow_cases<T: TestElem>() {
    let size = std::mem::size_of::<T>() as i64;
    let y = packed(&[2, 3]);
    let o = packed(&[2, 1]);
    let ov = BATCH_DOT_STATUS_OVERFLOW;
    // Element counts that overflow, including products that wrap to 0, to
    // -1 and to 2 in 64-bit arithmetic.
    for (shape, why) in [
        (vec![2, 1 << 62, 3], "2^63 elements"),
        (vec![2, 1 << 32, 1 << 32], "2^65: wraps to 0"),
        (
            vec![2, (1 << 32) + 1, (1 << 32) - 1],
            "2^65 - 2: wraps to -2",
        ),
        (
            vec![2, 3, 3_074_457_345_618_258_603],
            "wraps to a small count",
        ),
        (vec![2, MAX, 3], "i64::MAX · 6"),
    ] {
        let mut s = shape.clone();
        s[2] = 3;
        let x = lay(&s, &[0; 3], 0, 6);
        let mut x2 = x;
        x2.shape[1] = shape[1];
        x2.shape[2] = shape[2];
        // Keep the shapes consistent: contract x's axis 1 with a y of that K.
        let yk = lay(&[2, shape[1], 1], &[0, 0, 0], 0, 1);
        let ok = lay(&[2, shape[2], 1], &[1, 1, 1], 0, MAX);
        expect_fail::<T>(&x2, &yk, (1, 1), &ok, ov, why);
    }
    // Reached offsets that overflow (as elements).
    for (x, why) in [
        (lay(&[2, 3], &[MAX, 1], 0, MAX), "stride i64::MAX"),
        (lay(&[2, 3], &[MIN, 1], MAX, MAX), "stride i64::MIN"),
        (lay(&[2, 3], &[3, 1], MAX, MAX), "offset i64::MAX + span"),
        (lay(&[2, 3], &[3, -1], MIN, MAX), "offset i64::MIN - span"),
        (lay(&[2, 3], &[2, 1], MAX - 1, MAX), "offset + stride wraps"),
        (
            lay(&[2, 3], &[1 << 62, 1 << 62], 0, MAX),
            "spans sum past i64::MAX",
        ),
        (
            lay(&[2, 3], &[-(1 << 62), -(1 << 62)], 0, MAX),
            "spans sum past i64::MIN",
        ),
        (
            lay(&[2, 3], &[1, MAX / 2 + 1], 0, MAX),
            "2 · stride wraps to i64::MIN",
        ),
        (
            lay(&[3, 3], &[1 << 62, 1], -(1 << 62), MAX),
            "wrapping would cancel",
        ),
    ] {
        let y3 = lay(&[x.shape[0], 3], &[3, 1], 0, x.shape[0] * 3);
        let o3 = packed(&[x.shape[0], 1]);
        expect_fail::<T>(&x, &y3, (1, 1), &o3, ov, why);
    }
    // Byte offsets that overflow although the element offsets fit: for
    // f64 (8 bytes) at 2^60 elements, for f32 only at 2^61.
    let hi = 1i64 << 60;
    let x = lay(&[2, 3], &[hi, 1], 0, MAX);
    let want = if size == 8 { ov } else { BATCH_DOT_STATUS_OK };
    if want == ov {
        expect_fail::<T>(&x, &y, (1, 1), &o, ov, "bytes overflow for f64");
    } else {
        // Fits as bytes: then bounds decide (len shorter than the reach).
        let x = lay(&[2, 3], &[hi, 1], 0, hi);
        expect_fail::<T>(
            &x,
            &y,
            (1, 1),
            &o,
            BATCH_DOT_STATUS_OUT_OF_BOUNDS,
            "f32: reach > len",
        );
    }
    let x = lay(&[2, 3], &[1i64 << 61, 1], 0, MAX);
    expect_fail::<T>(&x, &y, (1, 1), &o, ov, "bytes overflow");
    // The output's count and reach are checked too.
    let x = lay(&[2, 1 << 40, 3], &[0, 0, 0], 0, 1);
    let yy = lay(&[2, 3, 1 << 40], &[0, 0, 0], 0, 1);
    let oo = lay(&[2, 1 << 40, 1 << 40], &[1, 1, 1], 0, MAX);
    expect_fail::<T>(&x, &yy, (2, 1), &oo, ov, "out count 2^81");
    let oo = lay(&[2, 1], &[MAX, 1], 0, MAX);
    expect_fail::<T>(&packed(&[2, 3]), &y, (1, 1), &oo, ov, "out stride i64::MAX");
    // Extents near i64::MAX with a 0 elsewhere: no elements, nothing
    // reached, nothing checked past len >= 0: OK, and nothing touched.
    let x = lay(&[0, MAX, 5], &[MAX, MAX, MAX], MIN, 0);
    let yy = lay(&[0, 5, MAX], &[MIN, MIN, 1], MAX, 0);
    let oo = lay(&[0, MAX, MAX], &[MAX, MAX, MIN], MAX, 0);
    let got = unsafe { T::call(&x, null(), &yy, null(), 2, 1, &oo, null_mut(), null()) };
    assert_eq!(got, BATCH_DOT_STATUS_OK, "empty huge: {}", message());
}

f32_and_f64!(overflow_is_overflow_or_out_of_bounds, overflow_cases);

/// Strides and offsets just inside and just outside: the last valid element
/// is reached exactly; one more is OUT_OF_BOUNDS, never a read.
fn bounds_cases<T: TestElem>() {
    let y = packed(&[2, 3]);
    let o = packed(&[2, 1]);
    // x (2, 3) with strides (4, 1), offset 1: reaches 1..=7, len 8.
    let x = lay(&[2, 3], &[4, 1], 1, 8);
    let xd = data::<T>(8);
    let yd = data::<T>(6);
    let mut od = sentinels::<T>(2);
    args(&x, &xd, &y, &yd, (1, 1), &o).expect_ok(&mut od, "exact fit");
    let oob = BATCH_DOT_STATUS_OUT_OF_BOUNDS;
    for (x, why) in [
        (lay(&[2, 3], &[4, 1], 1, 7), "len one short"),
        (lay(&[2, 3], &[5, 1], 1, 8), "stride one too long"),
        (lay(&[2, 3], &[4, 1], 2, 8), "offset one too high"),
        (lay(&[2, 3], &[4, 1], -1, 8), "offset -1"),
        (lay(&[2, 3], &[-4, 1], 3, 8), "negative stride below 0"),
        (
            lay(&[2, 3], &[4, -1], 1, 8),
            "negative inner stride below 0",
        ),
        (lay(&[2, 3], &[4, 1], 0, 0), "len 0"),
    ] {
        expect_fail::<T>(&x, &y, (1, 1), &o, oob, why);
    }
    // Broadcast (stride 0) inputs and junk strides on unit dimensions.
    let x = lay(&[2, 1, 3], &[0, MIN, 1], 0, 3);
    let y3 = lay(&[2, 3, 1], &[3, 1, MAX], 0, 6);
    let o3 = packed(&[2, 1, 1]);
    let xd = data::<T>(3);
    let mut od = sentinels::<T>(2);
    args(&x, &xd, &y3, &yd, (2, 1), &o3).expect_ok(&mut od, "broadcast + junk unit strides");
}

f32_and_f64!(bounds_are_exact, bounds_cases);

#[test]
fn infer_shape_overflow() {
    let mut nd = 0i32;
    let mut sh = [0i64; 16];
    let call =
        |x: &[i64], y: &[i64], nd: &mut i32, sh: &mut [i64; 16]| infer_shape(x, y, (D, D), nd, sh);
    let ov = BATCH_DOT_STATUS_OVERFLOW;
    assert_eq!(
        call(&[2, 1 << 40, 3], &[2, 3, 1 << 40], &mut nd, &mut sh),
        ov
    );
    assert_eq!(
        call(&[2, 1 << 32, 1 << 32, 3], &[2, 3], &mut nd, &mut sh),
        ov
    );
    assert_eq!(call(&[MAX, 2, 3], &[MAX, 3], &mut nd, &mut sh), ov);
    assert_eq!(sh, [0; 16], "nothing written on error");
    // Unknown extents are not in the product.
    assert_eq!(
        call(&[-1, 1 << 40, 3], &[-1, 3, 1 << 20], &mut nd, &mut sh),
        0
    );
    assert_eq!(&sh[..nd as usize], &[-1, 1 << 40, 1 << 20]);
    // A zero extent makes the count 0, whatever the others.
    assert_eq!(call(&[0, MAX, 3], &[0, 3, MAX], &mut nd, &mut sh), 0);
    assert_eq!(&sh[..nd as usize], &[0, MAX, MAX]);
    // layout_init_contiguous: strides or count past i64::MAX.
    let mut l = batch_dot_layout::zeroed();
    for s in [
        &[1i64 << 32, 1 << 32][..],
        &[3, MAX],
        &[MAX, 2, 1],
        &[2, 0, MAX, MAX],
    ] {
        let st = unsafe { batch_dot_layout_init_contiguous(&mut l, s.len() as i32, s.as_ptr()) };
        assert_eq!(st, ov, "{s:?}");
    }
    assert_eq!(l, batch_dot_layout::zeroed(), "nothing written on error");
}

// ---------------------------------------------------------------------------
// Aliasing
// ---------------------------------------------------------------------------

fn aliasing_cases<T: TestElem>() {
    let al = BATCH_DOT_STATUS_ALIASING;
    let x = packed(&[2, 3]);
    let y = packed(&[2, 3, 2]);
    let o = packed(&[2, 2]);
    // One buffer of 40: x at 0..6, y at 8..20, out placed around them.
    let mut buf = data::<T>(40);
    let base = buf.as_mut_ptr();
    let run = |buf_ptr: *mut T, xo: usize, yo: usize, oo: usize, o: &batch_dot_layout| unsafe {
        T::call(
            &x,
            buf_ptr.add(xo),
            &y,
            buf_ptr.add(yo),
            D,
            D,
            o,
            buf_ptr.add(oo),
            null(),
        )
    };
    let snapshot = bits(&buf);
    let unchanged = |buf: &[T]| bits(buf) == snapshot;
    // out == x, out inside y, out ending on x's first element.
    for (oo, why) in [
        (0, "out == x"),
        (10, "out inside y"),
        (19, "out starts on y's last"),
    ] {
        let o4 = lay(&[2, 2], &[2, 1], 0, 4);
        assert_eq!(run(base, 0, 8, oo, &o4), al, "{why}: {}", message());
        assert!(unchanged(&buf), "{why}: written");
    }
    // Negative strides: out's range is [offset - span, offset].
    let oneg = lay(&[2, 2], &[-2, -1], 3, 4);
    assert_eq!(
        run(base, 0, 8, 4, &oneg),
        al,
        "negative out strides over x's end"
    );
    assert!(unchanged(&buf));
    // Interleaved but disjoint: x on the even elements 0, 2, ..., 10 and
    // out on the odd ones 1, 3, 5, 7. Never the same element, still
    // rejected: the test compares byte ranges (documented as conservative).
    let xe = lay(&[2, 3], &[6, 2], 0, 12);
    let oi = lay(&[2, 2], &[4, 2], 1, 12);
    let st = unsafe { T::call(&xe, base, &y, base.add(20), D, D, &oi, base, null()) };
    assert_eq!(st, al, "interleaved views: {}", message());
    assert!(unchanged(&buf));
    // Adjacent, not overlapping: out right after y's last element: OK.
    let o4 = packed(&[2, 2]);
    let (xv, yv) = (buf[0..6].to_vec(), buf[8..20].to_vec());
    assert_eq!(
        run(base, 0, 8, 20, &o4),
        BATCH_DOT_STATUS_OK,
        "{}",
        message()
    );
    let mut od = sentinels::<T>(4);
    args(&x, &xv, &y, &yv, (D, D), &o).expect_ok(&mut od, "reference for the adjacent case");
    assert_eq!(bits(&buf[20..24]), bits(&od));
    // Out that writes an element twice, whatever the buffers.
    for (s, why) in [
        ([0i64, 1], "stride 0"),
        ([1, 1], "equal strides"),
        ([1, 0], "inner stride 0"),
        ([-1, 1], "|-1| == 1"),
    ] {
        // On x, y of 6 and 12 elements, out of 4 (its len).
        expect_fail::<T>(&x, &y, (D, D), &lay(&[2, 2], &s, 1, 4), al, why);
    }
    let (x3, y3) = (packed(&[1, 3, 2]), packed(&[1, 2, 2]));
    let ol = lay(&[1, 3, 2], &[0, 1, 2], 0, 6); // (i, j) -> i + 2j: (2,0) == (0,1)
    expect_fail::<T>(
        &x3,
        &y3,
        (2, 1),
        &ol,
        al,
        "self-overlapping (3, 2) strides (1, 2)",
    );
    let ol = lay(&[1, 3, 2], &[0, 1, 3], 0, 6); // column-major-ish: fine
    let (xd, yd) = (data::<T>(6), data::<T>(4));
    let mut od = sentinels::<T>(6);
    args(&x3, &xd, &y3, &yd, (2, 1), &ol).expect_ok(&mut od, "strides (1, 3)");
    // x == y, and x and y overlapping partially (y = x shifted): allowed
    // (inputs may alias).
    let sq = packed(&[2, 3, 3]);
    let before = vec![T::sentinel().bits(); 18];
    for (len, shift, what) in [(18, 0, "x == y"), (20, 2, "x, y overlap")] {
        let d = data::<T>(len);
        let mut od = sentinels::<T>(18);
        let a = args(&sq, &d, &sq, &d[shift..], (2, 1), &sq);
        let st = unsafe { a.call(od.as_mut_ptr(), null()) };
        assert_eq!(st, BATCH_DOT_STATUS_OK, "{what}: {}", message());
        a.check_out(&od, &before, what);
    }
    // An input with no elements overlaps nothing: K = 0, x_data == out_data.
    let (xk, yk) = (lay(&[2, 0], &[1, 1], 0, 0), lay(&[2, 0], &[1, 1], 0, 0));
    let ok = packed(&[2, 1]);
    let mut od = sentinels::<T>(2);
    let p = od.as_mut_ptr();
    let st = unsafe { T::call(&xk, p, &yk, p, 1, 1, &ok, p, null()) };
    assert_eq!(st, BATCH_DOT_STATUS_OK, "{}", message());
    assert!(od.iter().all(|v| v.bits() == 0));
    // An empty out overlaps nothing and is not written.
    let (xb, yb, ob) = (packed(&[0, 3]), packed(&[0, 3]), packed(&[0, 1]));
    let d = data::<T>(4);
    let p = d.as_ptr();
    let st = unsafe { T::call(&xb, p, &yb, p, 1, 1, &ob, p as *mut T, null()) };
    assert_eq!(st, BATCH_DOT_STATUS_OK, "{}", message());
    assert_eq!(d, data::<T>(4));
}

f32_and_f64!(aliasing_gets_the_documented_status, aliasing_cases);

// ---------------------------------------------------------------------------
// Hostile pointers and options
// ---------------------------------------------------------------------------

#[test]
fn short_options_are_not_read_past_struct_size() {
    let (x, y, o) = (packed(&[2, 3]), packed(&[2, 3]), packed(&[2, 1]));
    let (xd, yd) = (data::<f32>(6), data::<f32>(6));
    let mut od = sentinels::<f32>(2);
    let a = args(&x, &xd, &y, &yd, (1, 1), &o);
    // Each options buffer holds exactly min(struct_size, 4096) bytes (at
    // least the 8 of struct_size itself): reading more is a Miri/ASan error.
    for (size, want) in [
        (0usize, BATCH_DOT_STATUS_INVALID_ARGUMENT),
        (8, BATCH_DOT_STATUS_INVALID_ARGUMENT),
        (15, BATCH_DOT_STATUS_INVALID_ARGUMENT),
        (16, BATCH_DOT_STATUS_OK),
        (17, BATCH_DOT_STATUS_OK),
        (4096, BATCH_DOT_STATUS_OK),
        (4097, BATCH_DOT_STATUS_INVALID_ARGUMENT),
        (usize::MAX, BATCH_DOT_STATUS_INVALID_ARGUMENT),
    ] {
        let n = size.clamp(8, 4096);
        let mut bytes = vec![0u64; n.div_ceil(8)];
        bytes[0] = size as u64;
        let mut v: Vec<u8> = bytes.iter().flat_map(|w| w.to_ne_bytes()).take(n).collect();
        v.shrink_to_fit();
        let opts = v.as_ptr() as *const batch_dot_options;
        let st = unsafe { a.call(od.as_mut_ptr(), opts) };
        assert_eq!(st, want, "struct_size {size}: {}", message());
        if size > 16 && size <= 4096 {
            // A nonzero byte past the known fields is refused.
            let mut w = v.clone();
            *w.last_mut().unwrap() = 1;
            let st = unsafe { a.call(od.as_mut_ptr(), w.as_ptr() as *const _) };
            assert_eq!(
                st, BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "struct_size {size} with a nonzero tail"
            );
        }
    }
}

#[test]
fn scale_flag_needs_alpha_and_beta_and_reads_no_further() {
    let (x, y, o) = (packed(&[2, 3]), packed(&[2, 3]), packed(&[2, 1]));
    let (xd, yd) = (data::<f32>(6), data::<f32>(6));
    let mut od = sentinels::<f32>(2);
    let a = args(&x, &xd, &y, &yd, (1, 1), &o);
    // Buffers of exactly struct_size bytes with BATCH_DOT_OPT_SCALE: below
    // 32 alpha and beta are not covered (INVALID_ARGUMENT, and nothing past
    // struct_size is read); at 32 they are read and the call runs.
    for size in [16usize, 17, 24, 31, 32] {
        let mut v = vec![0u8; size];
        v[..8].copy_from_slice(&size.to_ne_bytes());
        v[12..16].copy_from_slice(&BATCH_DOT_OPT_SCALE.to_ne_bytes());
        if size == 32 {
            v[16..24].copy_from_slice(&0.5f64.to_ne_bytes());
        }
        v.shrink_to_fit();
        let st = unsafe { a.call(od.as_mut_ptr(), v.as_ptr() as *const batch_dot_options) };
        let want = if size < 32 {
            BATCH_DOT_STATUS_INVALID_ARGUMENT
        } else {
            BATCH_DOT_STATUS_OK
        };
        assert_eq!(st, want, "struct_size {size} with the flag: {}", message());
        if size < 32 {
            assert!(message().contains("BATCH_DOT_OPT_SCALE"), "{}", message());
        }
    }
    // Flag bits other than BATCH_DOT_OPT_SCALE, with a full struct.
    for flags in [2u32, 3, 1 << 31] {
        let o = batch_dot_options {
            flags,
            ..Default::default()
        };
        let st = unsafe { a.call(od.as_mut_ptr(), &o) };
        assert_eq!(st, BATCH_DOT_STATUS_INVALID_ARGUMENT, "flags {flags:#x}");
    }
}

#[test]
fn shapes_of_out_of_range_ndim_are_not_read() {
    // One readable extent, ndim 17 (or negative): nothing may be read.
    let one = Box::new(3i64);
    let two = [2i64, 3];
    let mut nd = -5i32;
    let mut sh = [9i64; 16];
    for n in [17, 1000, i32::MAX, -1, i32::MIN] {
        let st = unsafe {
            batch_dot_infer_shape(n, &*one, 2, two.as_ptr(), D, D, &mut nd, sh.as_mut_ptr())
        };
        assert_eq!(st, BATCH_DOT_STATUS_INVALID_RANK, "ndim {n}");
        let st = unsafe {
            batch_dot_infer_shape(2, two.as_ptr(), n, &*one, D, D, &mut nd, sh.as_mut_ptr())
        };
        assert_eq!(st, BATCH_DOT_STATUS_INVALID_RANK, "ndim {n}");
        let mut l = batch_dot_layout::zeroed();
        let st = unsafe { batch_dot_layout_init_contiguous(&mut l, n, &*one) };
        assert_eq!(st, BATCH_DOT_STATUS_INVALID_RANK);
    }
    assert_eq!((nd, sh), (-5, [9; 16]));
    // NULL shapes with ndim 0 are fine to pass (rank error, not a crash).
    let st = unsafe { batch_dot_infer_shape(0, null(), 0, null(), D, D, &mut nd, sh.as_mut_ptr()) };
    assert_eq!(st, BATCH_DOT_STATUS_INVALID_RANK);
    // Misaligned shape and layout pointers are read without assuming alignment.
    let mut raw = [0u8; 8 * 3 + 1];
    for (i, v) in [2i64, 3, 4].iter().enumerate() {
        raw[1 + 8 * i..9 + 8 * i].copy_from_slice(&v.to_ne_bytes());
    }
    let st = unsafe {
        batch_dot_infer_shape(
            3,
            raw.as_ptr().add(1) as *const i64,
            2,
            two.as_ptr(),
            1,
            1,
            &mut nd,
            sh.as_mut_ptr(),
        )
    };
    assert_eq!(
        st,
        BATCH_DOT_STATUS_OK,
        "(2,3,4)·(2,3) axes (1,1): {}",
        message()
    );
    assert_eq!((nd, &sh[..2]), (2, &[2i64, 4][..]));
}

#[test]
fn misaligned_data_is_refused() {
    let (x, y, o) = (packed(&[2, 3]), packed(&[2, 3]), packed(&[2, 1]));
    let xd = data::<f64>(7);
    let yd = data::<f64>(6);
    let mut od = sentinels::<f64>(2);
    let mis = (xd.as_ptr() as *const u8).wrapping_add(4) as *const f64;
    let st = unsafe { batch_dot_f64(&x, mis, &y, yd.as_ptr(), 1, 1, &o, od.as_mut_ptr(), null()) };
    assert_eq!(st, BATCH_DOT_STATUS_INVALID_ARGUMENT, "{}", message());
    assert!(all_sentinel(&od));
}

// ---------------------------------------------------------------------------
// Randomized sweep (small; reduced under Miri)
// ---------------------------------------------------------------------------

/// A strided layout for `dims` from the test kit's generator: permuted
/// storage order, padding, negative and (inputs only) zero strides, junk
/// strides on unit dimensions, an offset; len exactly what it reaches.
fn arrange(r: &mut SplitMix64, dims: &[i64], input: bool) -> batch_dot_layout {
    let arr = Arrangement {
        permute: r.chance(0.5),
        pad: r.chance(0.5),
        reverse: r.chance(0.5),
        offset: r.chance(0.5),
        broadcast: input && r.chance(0.3),
        junk_unit_strides: r.chance(0.5),
        ..Arrangement::CONTIGUOUS
    };
    arranged_layout(dims, arr, r)
}

fn sweep<T: TestElem + Element>(cases: usize, seed: u64) {
    let mut r = SplitMix64::new(seed);
    let (mut ok, mut failed) = (0, 0);
    for case in 0..cases {
        let (n, m) = (2 + r.below(3) as usize, 2 + r.below(3) as usize);
        let ext = |r: &mut SplitMix64| [0, 1, 1, 2, 2, 3, 4, 5][r.below(8) as usize];
        let b = ext(&mut r);
        let mut xs: Vec<i64> = (0..n).map(|_| ext(&mut r)).collect();
        let mut ys: Vec<i64> = (0..m).map(|_| ext(&mut r)).collect();
        xs[0] = b;
        ys[0] = b;
        let (a0, a1) = (
            1 + r.below(n as u64 - 1) as usize,
            1 + r.below(m as u64 - 1) as usize,
        );
        let k = ext(&mut r);
        xs[a0] = k;
        ys[a1] = k;
        if r.below(3) == 0 {
            // SIMD widths and tails: one or two extents of 8..33 (the
            // contraction, a free dimension of x, one of y).
            let big = |r: &mut SplitMix64| {
                if cfg!(miri) {
                    [8, 9, 17][r.below(3) as usize] // Miri is slow
                } else {
                    [8, 9, 16, 17, 33][r.below(5) as usize]
                }
            };
            match r.below(3) {
                0 => {
                    let k = big(&mut r);
                    xs[a0] = k;
                    ys[a1] = k;
                }
                1 => {
                    if let Some(i) = (1..n).find(|&i| i != a0) {
                        xs[i] = big(&mut r);
                    }
                }
                _ => {
                    if let Some(j) = (1..m).rev().find(|&j| j != a1) {
                        ys[j] = big(&mut r);
                    }
                }
            }
        }
        let axes = (a0 as i64, a1 as i64 - m as i64);
        let os = shapes(&xs, &ys, axes.0, axes.1).expect("a valid call");
        let (mut x, y, mut o) = (
            arrange(&mut r, &xs, true),
            arrange(&mut r, &ys, true),
            arrange(&mut r, &os, false),
        );
        // Half of the cases: one step outside (len short, offset or a stride off by one).
        let broken = r.below(2) == 0;
        if broken {
            let l = if r.below(2) == 0 { &mut x } else { &mut o };
            match r.below(3) {
                0 => l.len -= 1,
                1 => l.offset -= 1,
                _ => {
                    let d = r.below(l.ndim as u64) as usize;
                    if l.shape[d] > 1 {
                        l.strides[d] += l.strides[d].signum().max(0) * 2 - 1;
                    }
                }
            }
        }
        let (xd, yd) = (
            data::<T>(x.len.max(0) as usize),
            data::<T>(y.len.max(0) as usize),
        );
        let mut od = sentinels::<T>(o.len.max(0) as usize);
        let before = bits(&od);
        let opts = with_threads(r.below(4) as u32);
        let a = args(&x, &xd, &y, &yd, axes, &o);
        let st = unsafe { a.call(od.as_mut_ptr(), &opts) };
        assert_ne!(st, BATCH_DOT_STATUS_INTERNAL, "case {case}: {}", message());
        if st == BATCH_DOT_STATUS_OK {
            let what = format!("case {case}");
            a.check_out(&od, &before, &what);
            every_isa(&a, &before, &what);
            ok += 1;
        } else {
            assert!(
                broken || o.len < 0 || x.len < 0,
                "case {case}: valid call refused: {} {}",
                name(st),
                message()
            );
            assert!(
                [
                    BATCH_DOT_STATUS_OUT_OF_BOUNDS,
                    BATCH_DOT_STATUS_INVALID_ARGUMENT,
                    BATCH_DOT_STATUS_ALIASING
                ]
                .contains(&st),
                "case {case}: {} {}",
                name(st),
                message()
            );
            assert_eq!(before, bits(&od), "case {case}: out written");
            failed += 1;
        }
    }
    assert!(
        ok >= cases / 4 && failed >= cases / 10,
        "{ok} ok, {failed} refused"
    );
}

/// Runs a validated call on every kernel level this CPU (or Miri, which
/// sees only the target features the build enables) supports, each on a
/// fresh output buffer of exactly out.len elements, and checks it.
fn every_isa<T: TestElem + Element>(a: &Args<T>, before: &[u64], what: &str) {
    let (x, xd, y, yd) = (a.x.layout, a.x.data, a.y.layout, a.y.data);
    let (axes, o) = (a.axes, a.o);
    let mut od: Vec<T> = before.iter().map(|_| T::sentinel()).collect();
    for isa in Isa::FLOAT.into_iter().filter(|i| i.supported()) {
        if cfg!(miri) && isa >= Isa::Avx512 {
            continue; // Miri implements few AVX-512 intrinsics
        }
        od.iter_mut().for_each(|v| *v = T::sentinel());
        compute_at(isa, x, xd, y, yd, axes.0, axes.1, o, &mut od, 1)
            .expect("the checks refuse a call the C ABI accepted");
        a.check_out(&od, before, &format!("{what}, {isa:?} kernel"));
    }
}

#[test]
fn randomized_strided_calls() {
    eprintln!(
        "kernel levels: active {:?}, detected {:?}",
        active(),
        detected()
    );
    let n = if cfg!(miri) { 24 } else { 3000 };
    sweep::<f32>(n, 1);
    sweep::<f64>(n, 2);
}
