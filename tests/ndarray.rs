//! `batch_dot::ndarray` (feature `ndarray`) against the naive reference, on
//! views of every kind of strides: contiguous, sliced, negative, transposed,
//! broadcast (zero strides), dynamic rank; `batch_dot_into` on strided
//! outputs, which must leave every other element alone; f32 and f64; and
//! errors, with their status and message, and nothing written.
//!
//!     cargo test --features ndarray --test ndarray
#![cfg(feature = "ndarray")]

use ::ndarray::{s, Array, ArrayD, ArrayView, ArrayViewD, Dimension, IxDyn, ShapeBuilder};
use batch_dot::ndarray::{batch_dot, batch_dot_into, Axes, Element};
use batch_dot::*;
use testkit::reference;
use testkit::TestElem;

/// The element types: the library's and the test kit's.
trait Num: Element + TestElem + Into<f64> + std::fmt::Debug + PartialEq {}
impl Num for f32 {}
impl Num for f64 {}

/// A deterministic array of small values in [-1, 1) (xorshift).
fn random<T: Num, Sh: ShapeBuilder>(shape: Sh, seed: u64) -> Array<T, Sh::Dim> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    Array::from_shape_simple_fn(shape, || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        T::from_f64((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
    })
}

/// A view's shape as the reference takes it.
fn dims<T, D: Dimension>(v: &ArrayView<'_, T, D>) -> Vec<i64> {
    v.shape().iter().map(|&e| e as i64).collect()
}

/// Checks `got` against the test kit's reference for `x`, `y`, `axes`.
fn check<T: Num, D1: Dimension, D2: Dimension, D3: Dimension>(
    x: &ArrayView<'_, T, D1>,
    y: &ArrayView<'_, T, D2>,
    axes: Axes,
    got: &ArrayView<'_, T, D3>,
) {
    let (a0, a1) = match axes {
        Axes::Default => (BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT),
        Axes::Pair(a0, a1) => (a0, a1),
    };
    let (xv, yv) = (x.view().into_dyn(), y.view().into_dyn());
    let want = reference::batch_dot_by(
        &dims(x),
        |i| xv[IxDyn(i)].into(),
        &dims(y),
        |i| yv[IxDyn(i)].into(),
        a0,
        a1,
    )
    .expect("the reference accepts the call");
    let want_shape: Vec<usize> = want.shape.iter().map(|&e| e as usize).collect();
    assert_eq!(got.shape(), &want_shape[..], "result shape");
    // iter() walks the result in row-major order: the reference's flat index.
    for (i, &v) in got.iter().enumerate() {
        if let Err(e) = want.check(i, v) {
            panic!("{e} (x {:?}, y {:?}, {axes:?})", x.shape(), y.shape());
        }
    }
}

/// `batch_dot` on the views, checked, and `batch_dot_into` into a strided
/// view (every other element, last axis reversed) of a sentinel-filled
/// buffer, checked, with every element outside the view left alone.
fn both<T: Num, D1: Dimension, D2: Dimension>(
    x: &ArrayView<'_, T, D1>,
    y: &ArrayView<'_, T, D2>,
    axes: Axes,
) {
    let r = batch_dot(x, y, axes).unwrap();
    assert!(r.is_standard_layout(), "an owned result is C-contiguous");
    check(x, y, axes, &r.view());

    let sentinel = T::from_f64(-7.25);
    let big: Vec<usize> = r.shape().iter().map(|&d| 2 * d + 1).collect();
    let mut buf = ArrayD::from_elem(IxDyn(&big), sentinel);
    // Every other element from index 1; the last axis reversed.
    let last = r.ndim() - 1;
    let view = |ax: ::ndarray::AxisDescription| {
        let n = r.shape()[ax.axis.index()] as isize;
        if ax.axis.index() == last {
            ::ndarray::Slice::new(1, Some(2 * n), -2)
        } else {
            ::ndarray::Slice::new(1, Some(2 * n), 2)
        }
    };
    let mut out = buf.slice_each_axis_mut(view);
    assert_eq!(out.shape(), r.shape());
    batch_dot_into(x, y, axes, &mut out).unwrap();
    check(x, y, axes, &out.view());
    // Everything else is as it was.
    out.fill(sentinel);
    assert!(
        buf.iter().all(|&v| v == sentinel),
        "batch_dot_into wrote outside its view"
    );
}

fn cases<T: Num>() {
    // Contiguous, several ranks and axes.
    let x = random::<T, _>((3, 4, 5), 1);
    let y = random::<T, _>((3, 5, 6), 2);
    both(&x.view(), &y.view(), Axes::Pair(2, 1));
    both(&x.view(), &y.view(), Axes::Pair(-1, -2));
    let y2 = random::<T, _>((3, 6, 5), 3);
    both(&x.view(), &y.view(), Axes::Default); // x's axis 2, y's axis 1
    both(&x.view(), &y2.view(), 2.into());
    let a = random::<T, _>((4, 7), 4);
    let b = random::<T, _>((4, 7), 5);
    both(&a.view(), &b.view(), Axes::Default); // rank 2 · rank 2: (4, 1)
    let a4 = random::<T, _>((2, 3, 4, 5), 6);
    let b3 = random::<T, _>((2, 5, 3), 7);
    both(&a4.view(), &b3.view(), (3, 1).into());
    both(&a4.view(), &b3.view(), (1, 2).into());

    // Sliced views (offsets and steps).
    let big = random::<T, _>((5, 9, 11), 8);
    let xs = big.slice(s![1..4, ..;2, 2..7]); // (3, 5, 5)
    let ys = big.slice(s![2..5, 3..8, ..;3]); // (3, 5, 4)
    both(&xs, &ys, Axes::Pair(2, 1));

    // Negative strides.
    let xn = big.slice(s![..3;-1, ..;-2, 1..6]); // (3, 5, 5)
    let yn = big.slice(s![1..4, 2..7, ..;-3]); // (3, 5, 4)
    both(&xn, &yn, Axes::Pair(2, 1));
    both(&xn, &xn, Axes::Pair(1, 1));

    // Transposed (Fortran order, permuted axes).
    let xt = random::<T, _>((3, 4, 5).f(), 9);
    let yt = random::<T, _>((3, 6, 5), 10);
    let yt = yt.view().permuted_axes([0, 2, 1]); // (3, 5, 6)
    both(&xt.view(), &yt, Axes::Pair(2, 1));
    both(&yt, &xt.view(), Axes::Pair(1, 2));

    // Broadcast: zero strides on the batch axis and on an inner axis.
    let w = random::<T, _>((5, 6), 11);
    let wb = w.broadcast((3, 5, 6)).unwrap();
    both(&x.view(), &wb, Axes::Pair(2, 1));
    let row = random::<T, _>(5, 12);
    let rb = row.broadcast((3, 4, 5)).unwrap();
    both(&rb, &y.view(), Axes::Pair(2, 1));

    // Dynamic rank.
    let xd: ArrayViewD<'_, T> = x.view().into_dyn();
    both(&xd, &y.view(), Axes::Pair(2, 1));

    // Empty: batch 0, and a contraction of length 0 (zeros).
    let e0 = random::<T, _>((0, 4, 5), 13);
    let e1 = random::<T, _>((0, 5, 6), 14);
    assert_eq!(
        batch_dot(&e0.view(), &e1.view(), (2, 1)).unwrap().shape(),
        &[0, 4, 6]
    );
    let k0 = random::<T, _>((3, 4, 0), 15);
    let k1 = random::<T, _>((3, 0, 6), 16);
    let z = batch_dot(&k0.view(), &k1.view(), (2, 1)).unwrap();
    assert_eq!(z.shape(), &[3, 4, 6]);
    assert!(z.iter().all(|&v| v == T::from_f64(0.0)));
    both(&k0.view(), &k1.view(), Axes::Pair(2, 1));
}

#[test]
fn f32_views() {
    cases::<f32>();
}

#[test]
fn f64_views() {
    cases::<f64>();
}

#[test]
fn the_readme_example() {
    let q = ::ndarray::Array3::<f32>::ones((8, 64, 32));
    let k = ::ndarray::Array3::<f32>::ones((8, 16, 32));
    let scores = batch_dot(&q.view(), &k.view(), (2, 2)).unwrap();
    assert_eq!(scores.shape(), &[8, 64, 16]);
    assert!(scores.iter().all(|&v| v == 32.0));
}

#[test]
fn axes_conversions() {
    assert_eq!(Axes::from(2), Axes::Pair(2, 2));
    assert_eq!(Axes::from((1, -1)), Axes::Pair(1, -1));
}

/// Asserts an error's status and message.
fn fails(e: Error, status: i32, message: &str) {
    assert_eq!(e.status(), status, "{e}");
    assert_eq!(e.to_string(), message);
}

#[test]
fn errors_have_the_c_status_and_message() {
    let x = random::<f32, _>((3, 4, 5), 1);
    let y = random::<f32, _>((2, 5, 6), 2);
    let e = batch_dot(&x.view(), &y.view(), (2, 1)).unwrap_err();
    assert!(matches!(&e, Error::BatchMismatch { x, y } if **x == [3, 4, 5] && **y == [2, 5, 6]));
    fails(
        e,
        BATCH_DOT_STATUS_BATCH_MISMATCH,
        "Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes \
         (3, 4, 5) and (2, 5, 6).",
    );

    let y = random::<f32, _>((3, 6, 5), 3);
    fails(
        batch_dot(&x.view(), &y.view(), (2, 1)).unwrap_err(),
        BATCH_DOT_STATUS_CONTRACTION_MISMATCH,
        "Cannot do batch_dot on inputs with shapes (3, 4, 5) and (3, 6, 5) with axes=[2, 1]. \
         x.shape[2] != y.shape[1] (5 != 6).",
    );
    fails(
        batch_dot(&x.view(), &y.view(), (0, 1)).unwrap_err(),
        BATCH_DOT_STATUS_BATCH_AXIS,
        "Cannot perform batch_dot over axis 0 (axes=[0, 1] after normalising axis_x = 0 and \
         axis_y = 1, for inputs with shapes (3, 4, 5) and (3, 6, 5)). If your inputs are not \
         batched, add a dummy batch dimension to your inputs.",
    );
    fails(
        batch_dot(&x.view(), &y.view(), Axes::Pair(BATCH_DOT_AXIS_DEFAULT, 1)).unwrap_err(),
        BATCH_DOT_STATUS_INVALID_AXES,
        "Invalid axes: axis_x = BATCH_DOT_AXIS_DEFAULT and axis_y = 1. Pass \
         BATCH_DOT_AXIS_DEFAULT for both axes (Keras's axes=None) or for neither.",
    );
    let v = random::<f32, _>(3, 4);
    fails(
        batch_dot(&v.view(), &y.view(), (1, 1)).unwrap_err(),
        BATCH_DOT_STATUS_INVALID_RANK,
        "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes (3,) and \
         (3, 6, 5).",
    );
    let deep = ArrayD::<f32>::zeros(IxDyn(&[1; 17]));
    fails(
        batch_dot(&deep.view(), &y.view(), (1, 1)).unwrap_err(),
        BATCH_DOT_STATUS_INVALID_RANK,
        "x.ndim = 17 is outside 0..16 (BATCH_DOT_MAX_NDIM).",
    );
}

#[test]
fn into_errors_write_nothing() {
    let x = random::<f64, _>((3, 4, 5), 1);
    let y = random::<f64, _>((3, 5, 6), 2);

    // Wrong out shape.
    let mut buf = ::ndarray::Array3::<f64>::from_elem((3, 4, 7), 9.5);
    let e = batch_dot_into(&x.view(), &y.view(), (2, 1), &mut buf.view_mut()).unwrap_err();
    fails(
        e,
        BATCH_DOT_STATUS_OUTPUT_SHAPE,
        "out has shape (3, 4, 7) (ndim 3), but batch_dot of inputs with shapes (3, 4, 5) and \
         (3, 5, 6) with axes=[2, 1] has shape (3, 4, 6) (ndim 3).",
    );
    assert!(buf.iter().all(|&v| v == 9.5));

    // Batch mismatch, into a view of the right shape.
    let y3 = random::<f64, _>((2, 5, 6), 3);
    let mut out = ::ndarray::Array3::<f64>::from_elem((3, 4, 6), 9.5);
    let e = batch_dot_into(&x.view(), &y3.view(), (2, 1), &mut out.view_mut()).unwrap_err();
    assert_eq!(e.status(), BATCH_DOT_STATUS_BATCH_MISMATCH);
    assert!(out.iter().all(|&v| v == 9.5));

    // out interleaved with an input in one buffer: no common element, but
    // the bytes overlap, which the C contract rejects.
    let mut shared = random::<f64, _>((3, 8, 5), 4);
    let before = shared.clone();
    let (xa, mut oa) = shared.multi_slice_mut((s![.., ..;2, ..], s![.., 1..;2, ..1]));
    let w = random::<f64, _>((3, 5, 1), 5);
    let e = batch_dot_into(&xa.view(), &w.view(), (2, 1), &mut oa).unwrap_err();
    assert_eq!(e.status(), BATCH_DOT_STATUS_ALIASING, "{e}");
    assert!(matches!(e, Error::SharedMemory { input: "x", .. }));
    assert_eq!(shared, before);
}
