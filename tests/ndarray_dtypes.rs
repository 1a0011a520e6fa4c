//! `batch_dot::ndarray` (feature `ndarray`) on the 16-bit and int8 rows of
//! docs/API.md's table ("Element types (version 0.2)"): `half::bf16` and
//! `half::f16` into the same type or `f32`, `i8`·`i8` and `u8`·`i8` into
//! `i32`, on contiguous, sliced, negative-stride and transposed views,
//! through `batch_dot` and into strided outputs with `batch_dot_into`
//! (every element outside the view left alone); against the test kit's
//! references (`testkit::int8`: exact int64 sums modulo 2^32;
//! `testkit::lowp`: the exact sum, rounded once); and errors.
//!
//!     cargo test --features ndarray --test ndarray_dtypes
#![cfg(feature = "ndarray")]

use ::ndarray::{s, Array, ArrayD, ArrayView, ArrayViewD, Dimension, IxDyn, ShapeBuilder};
use batch_dot::ndarray::{batch_dot, batch_dot_into, Axes, Dtype, Inputs, Row};
use batch_dot::*;
use half::{bf16, f16};
use testkit::int8;
use testkit::lowp::{self, Format};
use testkit::rng::SplitMix64;

/// An input element type of these tests, made from random bits.
trait In: Dtype + std::fmt::Debug {
    /// A random value of the type.
    fn random(rng: &mut SplitMix64) -> Self;
}

/// An output element type, checked by its bits.
trait Out: Dtype + std::fmt::Debug {
    /// Its bits, widened.
    fn bits(self) -> u32;
    /// The "not written" marker.
    fn sentinel() -> Self;
}

/// A 16-bit floating input type and its test kit format.
trait Half: In {
    const FMT: Format;
    fn to_bits16(self) -> u16;
}

impl In for bf16 {
    fn random(rng: &mut SplitMix64) -> Self {
        bf16::from_bits(lowp::random_value(lowp::BF16, rng))
    }
}
impl In for f16 {
    fn random(rng: &mut SplitMix64) -> Self {
        f16::from_bits(lowp::random_value(lowp::F16, rng))
    }
}
impl Half for bf16 {
    const FMT: Format = lowp::BF16;
    fn to_bits16(self) -> u16 {
        self.to_bits()
    }
}
impl Half for f16 {
    const FMT: Format = lowp::F16;
    fn to_bits16(self) -> u16 {
        self.to_bits()
    }
}
impl Out for bf16 {
    fn bits(self) -> u32 {
        self.to_bits() as u32
    }
    fn sentinel() -> Self {
        bf16::from_bits(lowp::sentinel(lowp::BF16) as u16)
    }
}
impl Out for f16 {
    fn bits(self) -> u32 {
        self.to_bits() as u32
    }
    fn sentinel() -> Self {
        f16::from_bits(lowp::sentinel(lowp::F16) as u16)
    }
}
impl Out for f32 {
    fn bits(self) -> u32 {
        self.to_bits()
    }
    fn sentinel() -> Self {
        f32::from_bits(lowp::sentinel(lowp::F32))
    }
}
impl Out for i32 {
    fn bits(self) -> u32 {
        self as u32
    }
    fn sentinel() -> Self {
        0x5a5a_5a5a
    }
}

/// An int8 input type: its byte and its row of the test kit.
trait Byte: In {
    fn byte(self) -> u8;
}
impl In for i8 {
    fn random(rng: &mut SplitMix64) -> Self {
        int8::random_value(rng) as i8
    }
}
impl In for u8 {
    fn random(rng: &mut SplitMix64) -> Self {
        int8::random_value(rng)
    }
}
impl Byte for i8 {
    fn byte(self) -> u8 {
        self as u8
    }
}
impl Byte for u8 {
    fn byte(self) -> u8 {
        self
    }
}

/// A random array of `shape`.
fn random<T: In, Sh: ShapeBuilder>(shape: Sh, seed: u64) -> Array<T, Sh::Dim> {
    let mut rng = SplitMix64::new(seed);
    Array::from_shape_simple_fn(shape, || T::random(&mut rng))
}

/// A view's elements in row-major order, with the packed layout that reads
/// them so: the test kit's references take layouts over buffers.
fn packed<T: Copy, U, D: Dimension>(
    v: &ArrayView<'_, T, D>,
    f: impl Fn(T) -> U,
) -> (batch_dot_layout, Vec<U>) {
    let mut l = batch_dot_layout::zeroed();
    l.ndim = v.ndim() as i32;
    let mut stride = 1i64;
    for d in (0..v.ndim()).rev() {
        l.shape[d] = v.shape()[d] as i64;
        l.strides[d] = stride;
        stride *= (v.shape()[d] as i64).max(1);
    }
    let data: Vec<U> = v.iter().map(|&e| f(e)).collect();
    l.len = data.len() as i64;
    (l, data)
}

fn c_axes(axes: Axes) -> (i64, i64) {
    match axes {
        Axes::Default => (BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT),
        Axes::Pair(a0, a1) => (a0, a1),
    }
}

/// The checker of one element: `(flat index, got)` to an error message.
type Checker = Box<dyn Fn(usize, u32) -> Result<(), String>>;

/// The int8 reference for `x`, `y`, `axes`: result shape and checker.
fn ref8<X: Byte, D1: Dimension, D2: Dimension>(
    x: &ArrayView<'_, X, D1>,
    y: &ArrayView<'_, i8, D2>,
    axes: Axes,
) -> (Vec<i64>, Checker) {
    let row = if X::DTYPE == int8::U8 {
        int8::Row::U8S8
    } else {
        int8::Row::S8S8
    };
    let (xl, xd) = packed(x, |e| e.byte());
    let (yl, yd) = packed(y, |e| e as u8);
    let (a0, a1) = c_axes(axes);
    let r = int8::batch_dot8(row, &xl, &xd, &yl, &yd, a0, a1).expect("a valid call");
    (
        r.shape.clone(),
        Box::new(move |i, got| int8::check(&r, i, got as i32)),
    )
}

/// The 16-bit reference for `x`, `y`, `axes` with an output of `out`.
fn ref16<H: Half, D1: Dimension, D2: Dimension>(
    x: &ArrayView<'_, H, D1>,
    y: &ArrayView<'_, H, D2>,
    axes: Axes,
    out: Format,
) -> (Vec<i64>, Checker) {
    let (xl, xd) = packed(x, |e| e.to_bits16());
    let (yl, yd) = packed(y, |e| e.to_bits16());
    let (a0, a1) = c_axes(axes);
    let r = lowp::batch_dot16(H::FMT, &xl, &xd, &yl, &yd, a0, a1).expect("a valid call");
    (
        r.shape.clone(),
        Box::new(move |i, got| lowp::check(&r, i, out, got)),
    )
}

/// Checks `got` (shape and every element, in row-major order) against a
/// reference.
fn check<O: Out, D: Dimension>(want: &(Vec<i64>, Checker), got: &ArrayView<'_, O, D>, what: &str) {
    let shape: Vec<usize> = want.0.iter().map(|&e| e as usize).collect();
    assert_eq!(got.shape(), &shape[..], "{what}: result shape");
    for (i, &v) in got.iter().enumerate() {
        if let Err(e) = (want.1)(i, v.bits()) {
            panic!("{what}: {e}");
        }
    }
}

/// `batch_dot_into` into a strided view (every other element, last axis
/// reversed) of a sentinel-filled buffer: checked, and nothing else
/// written.
fn into_strided<X, Y, O, D1, D2>(
    x: &ArrayView<'_, X, D1>,
    y: &ArrayView<'_, Y, D2>,
    axes: Axes,
    want: &(Vec<i64>, Checker),
    what: &str,
) where
    X: Row<Y, O>,
    Y: Dtype,
    O: Out,
    D1: Dimension,
    D2: Dimension,
{
    let shape: Vec<usize> = want.0.iter().map(|&e| e as usize).collect();
    let big: Vec<usize> = shape.iter().map(|&d| 2 * d + 1).collect();
    let mut buf = ArrayD::from_elem(IxDyn(&big), O::sentinel());
    let last = shape.len() - 1;
    let mut out = buf.slice_each_axis_mut(|ax| {
        let n = shape[ax.axis.index()] as isize;
        let step = if ax.axis.index() == last { -2 } else { 2 };
        ::ndarray::Slice::new(1, Some(2 * n), step)
    });
    batch_dot_into(x, y, axes, &mut out).unwrap();
    check(want, &out.view(), what);
    out.fill(O::sentinel());
    let s = O::sentinel().bits();
    assert!(
        buf.iter().all(|&v| v.bits() == s),
        "{what}: batch_dot_into wrote outside its view"
    );
}

/// A test body on one call's views: (x, y, axes, name).
type Run<X, Y> = dyn FnMut(ArrayViewD<'_, X>, ArrayViewD<'_, Y>, Axes, &str);

/// Runs `run` on every kind of view.
fn views<X: In, Y: In>(run: &mut Run<X, Y>) {
    // Contiguous.
    let x = random::<X, _>((3, 4, 37), 1);
    let y = random::<Y, _>((3, 37, 6), 2);
    run(
        x.view().into_dyn(),
        y.view().into_dyn(),
        Axes::Pair(2, 1),
        "contiguous",
    );
    let a = random::<X, _>((4, 7), 3);
    let b = random::<Y, _>((4, 7), 4);
    run(
        a.view().into_dyn(),
        b.view().into_dyn(),
        Axes::Default,
        "rank 2",
    );
    // Sliced.
    let bx = random::<X, _>((5, 9, 40), 5);
    let by = random::<Y, _>((5, 40, 11), 6);
    let xs = bx.slice(s![1..4, ..;2, 3..36]); // (3, 5, 33)
    let ys = by.slice(s![2..5, 3..36, ..;3]); // (3, 33, 4)
    run(xs.into_dyn(), ys.into_dyn(), Axes::Pair(2, 1), "sliced");
    // Negative strides.
    let xn = bx.slice(s![..3;-1, ..;-2, 1..34]); // (3, 5, 33)
    let yn = by.slice(s![1..4, ..33;-1, ..;-3]); // (3, 33, 4)
    run(
        xn.into_dyn(),
        yn.into_dyn(),
        Axes::Pair(2, 1),
        "negative strides",
    );
    // Transposed (Fortran order, permuted axes).
    let xt = random::<X, _>((3, 4, 21).f(), 7);
    let yt = random::<Y, _>((3, 6, 21), 8);
    let yt = yt.view().permuted_axes([0, 2, 1]); // (3, 21, 6)
    run(
        xt.view().into_dyn(),
        yt.into_dyn(),
        Axes::Pair(2, 1),
        "transposed",
    );
}

/// Both int8 rows' cases for x of `X`.
fn int8_cases<X: Byte + Row<i8, i32> + Inputs<i8, Out = i32>>() {
    views::<X, i8>(&mut |x, y, axes, what| {
        let want = ref8(&x, &y, axes);
        let r: ArrayD<i32> = batch_dot(&x, &y, axes).unwrap();
        assert!(r.is_standard_layout());
        check(&want, &r.view(), what);
        into_strided::<X, i8, i32, _, _>(&x, &y, axes, &want, what);
    });
}

/// A 16-bit row's cases: `batch_dot` (result of `H`), and `batch_dot_into`
/// an `H` and an `f32` out.
fn half_cases<H: Half + Out + Row<H, H> + Row<H, f32> + Inputs<H, Out = H>>() {
    views::<H, H>(&mut |x, y, axes, what| {
        let same = ref16(&x, &y, axes, H::FMT);
        let r: ArrayD<H> = batch_dot(&x, &y, axes).unwrap();
        assert!(r.is_standard_layout());
        check(&same, &r.view(), what);
        into_strided::<H, H, H, _, _>(&x, &y, axes, &same, what);
        let wide = ref16(&x, &y, axes, lowp::F32);
        into_strided::<H, H, f32, _, _>(&x, &y, axes, &wide, what);
    });
}

#[test]
fn s8_s8_views() {
    int8_cases::<i8>();
}

#[test]
fn u8_s8_views() {
    int8_cases::<u8>();
}

#[test]
fn bf16_views() {
    half_cases::<bf16>();
}

#[test]
fn f16_views() {
    half_cases::<f16>();
}

/// Extreme int8 values, and a contraction long enough that the sums leave
/// int32: the result wraps modulo 2^32 exactly.
#[test]
fn int8_extremes_wrap() {
    let x = Array::from_elem((1, 2, 140_000), 255u8);
    let y = Array::from_elem((1, 140_000, 1), -128i8);
    let want = ref8(&x.view(), &y.view(), Axes::Pair(2, 1));
    let r = batch_dot(&x.view(), &y.view(), (2, 1)).unwrap();
    check(&want, &r.view(), "u8 wrap");
    assert_eq!(r[[0, 0, 0]], (255i64 * -128 * 140_000) as i32);
    let xs = x.mapv(|_| -128i8);
    let r = batch_dot(&xs.view(), &y.view(), (2, 1)).unwrap();
    assert_eq!(r[[0, 1, 0]], (128i64 * 128 * 140_000) as i32);
}

/// Asserts an error's status and message.
fn fails(e: Error, status: i32, message: &str) {
    assert_eq!(e.status(), status, "{e}");
    assert_eq!(e.to_string(), message);
}

const MISMATCH: &str = "Cannot do batch_dot on inputs with different batch sizes. Received \
                        inputs with shapes (3, 4, 5) and (2, 5, 6).";

#[test]
fn errors_have_the_c_status_and_message() {
    let x = random::<bf16, _>((3, 4, 5), 1);
    let y = random::<bf16, _>((2, 5, 6), 2);
    let e = batch_dot(&x.view(), &y.view(), (2, 1)).unwrap_err();
    fails(e, BATCH_DOT_STATUS_BATCH_MISMATCH, MISMATCH);
    let mut out = Array::from_elem((3, 4, 6), f32::sentinel());
    let e = batch_dot_into(&x.view(), &y.view(), (2, 1), &mut out.view_mut()).unwrap_err();
    fails(e, BATCH_DOT_STATUS_BATCH_MISMATCH, MISMATCH);
    assert!(out.iter().all(|v| v.bits() == f32::sentinel().bits()));

    let x = random::<f16, _>((3, 4, 5), 3);
    let y = random::<f16, _>((2, 5, 6), 4);
    fails(
        batch_dot(&x.view(), &y.view(), (2, 1)).unwrap_err(),
        BATCH_DOT_STATUS_BATCH_MISMATCH,
        MISMATCH,
    );

    let y = random::<i8, _>((2, 5, 6), 5);
    let x = random::<i8, _>((3, 4, 5), 6);
    fails(
        batch_dot(&x.view(), &y.view(), (2, 1)).unwrap_err(),
        BATCH_DOT_STATUS_BATCH_MISMATCH,
        MISMATCH,
    );
    let x = random::<u8, _>((3, 4, 5), 7);
    let mut out = Array::from_elem((3, 4, 6), 17i32);
    let e = batch_dot_into(&x.view(), &y.view(), (2, 1), &mut out.view_mut()).unwrap_err();
    fails(e, BATCH_DOT_STATUS_BATCH_MISMATCH, MISMATCH);
    assert!(out.iter().all(|&v| v == 17));
}
