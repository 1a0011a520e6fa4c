//! Keras's `batch_dot` on `ndarray` views, in safe Rust (feature `ndarray`).
//!
//! ```
//! use batch_dot::ndarray::batch_dot;
//! use ndarray::Array3;
//!
//! let q = Array3::<f32>::ones((8, 64, 32));
//! let k = Array3::<f32>::ones((8, 16, 32));
//! let scores = batch_dot(&q.view(), &k.view(), (2, 2))?; // shape (8, 64, 16)
//! assert_eq!(scores.shape(), &[8, 64, 16]);
//! assert!(scores.iter().all(|&s| s == 32.0));
//! # Ok::<(), batch_dot::Error>(())
//! ```
//!
//! The element types are the rows of `batch_dot_compute` (docs/API.md,
//! "Element types (version 0.2)"), as [`Row`] lists them: `f32`, `f64`,
//! `half::bf16` and `half::f16` (x, y and the result of one type, or an
//! `f32` out for the 16-bit inputs), and `i8` or `u8` x times `i8` y into
//! `i32`, exact modulo 2³². [`batch_dot`] returns the natural type
//! ([`Inputs::Out`]: the inputs' for the floating types, `i32` for int8);
//! [`batch_dot_into`] takes any out type of a row. Another combination
//! does not compile.
//!
//! ```
//! use batch_dot::ndarray::{batch_dot, batch_dot_into};
//! use half::bf16;
//! use ndarray::Array3;
//!
//! let x = Array3::from_elem((2, 3, 4), bf16::from_f32(0.5));
//! let y = Array3::from_elem((2, 4, 5), bf16::from_f32(1.5));
//! let z = batch_dot(&x.view(), &y.view(), (2, 1))?; // bfloat16, rounded once
//! assert!(z.iter().all(|&v| v == bf16::from_f32(3.0)));
//! let mut wide = Array3::<f32>::zeros((2, 3, 5)); // the f32 sums, unrounded
//! batch_dot_into(&x.view(), &y.view(), (2, 1), &mut wide.view_mut())?;
//!
//! let a = Array3::<u8>::from_elem((2, 3, 4), 255);
//! let b = Array3::<i8>::from_elem((2, 4, 5), -128);
//! let s = batch_dot(&a.view(), &b.view(), (2, 1))?; // int32, exact
//! assert!(s.iter().all(|&v| v == 4 * 255 * -128));
//! # Ok::<(), batch_dot::Error>(())
//! ```
//!
//! Views of any strides are taken as they are (sliced, negative strides,
//! transposed, broadcast with zero strides), without copies: each view
//! becomes a `batch_dot_layout` over its memory and the call runs the same
//! checks and kernels as `batch_dot_compute` with the dtype codes of the
//! element types ([`Dtype::DTYPE`]), with default options: on the
//! caller's thread, unless `BATCH_DOT_NUM_THREADS` says otherwise. A failure is a `batch_dot::Error` whose `status()` is the C
//! status and whose `Display` is the message C callers get; nothing is
//! written then. See docs/API.md for the checks and docs/SEMANTICS.md for
//! the result.
//!
//! Two cases differ from what a Rust borrow alone would allow: `out` must
//! not share a byte range with `x` or `y`, even interleaved without common
//! elements (`BATCH_DOT_STATUS_ALIASING`), and a bug inside the library
//! panics instead of returning `BATCH_DOT_STATUS_INTERNAL`.

use ::ndarray::{ArrayD, ArrayView, ArrayViewMut, Dimension, IxDyn};

use crate::consts::{BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_MAX_NDIM};
use crate::error::Error;
use crate::types::batch_dot_layout;

/// The contracted axes: Keras's `axes` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Keras's `axes=None`: the last axis of x with the second-to-last of y
    /// (the last, when y has rank 2).
    Default,
    /// `(axis of x, axis of y)`; negative axes count from the end of their
    /// own tensor.
    Pair(i64, i64),
}

impl From<i64> for Axes {
    /// Keras's `axes=a`: the same axis of both.
    fn from(a: i64) -> Self {
        Axes::Pair(a, a)
    }
}

impl From<(i64, i64)> for Axes {
    /// Keras's `axes=(a0, a1)`.
    fn from((a0, a1): (i64, i64)) -> Self {
        Axes::Pair(a0, a1)
    }
}

impl Axes {
    /// The C API's `(axis_x, axis_y)`.
    fn c_axes(self) -> (i64, i64) {
        match self {
            Axes::Default => (BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT),
            Axes::Pair(a0, a1) => (a0, a1),
        }
    }
}

mod sealed {
    /// Keeps the element traits to the types of the C API.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
    impl Sealed for i8 {}
    impl Sealed for u8 {}
    impl Sealed for i32 {}
}

/// A Rust element type of the C API with its dtype code
/// (`BATCH_DOT_DTYPE_*`): `f32`, `f64`, `half::f16`, `half::bf16`, `i8`,
/// `u8`, `i32` (sealed). Each has the size and alignment of its C type.
pub trait Dtype: sealed::Sealed + Copy + Default + 'static {
    /// The dtype code, as `batch_dot_compute` takes it.
    const DTYPE: i32;
}

macro_rules! dtype {
    ($($t:ty => $code:ident),*) => {$(
        impl Dtype for $t {
            const DTYPE: i32 = crate::consts::$code;
        }
    )*};
}
dtype!(
    f32 => BATCH_DOT_DTYPE_F32,
    f64 => BATCH_DOT_DTYPE_F64,
    half::f16 => BATCH_DOT_DTYPE_F16,
    half::bf16 => BATCH_DOT_DTYPE_BF16,
    i8 => BATCH_DOT_DTYPE_S8,
    u8 => BATCH_DOT_DTYPE_U8,
    i32 => BATCH_DOT_DTYPE_S32
);

/// `Self` as x's element type, `Y` as y's and `O` as out's is a row of
/// docs/API.md's table ("Element types (version 0.2)") that the library
/// runs: `batch_dot_into` takes only those, so another combination does
/// not compile.
///
/// | x | y | out |
/// |---|---|-----|
/// | `f32` | `f32` | `f32` |
/// | `f64` | `f64` | `f64` |
/// | `half::bf16` | `half::bf16` | `half::bf16` or `f32` |
/// | `half::f16` | `half::f16` | `half::f16` or `f32` |
/// | `i8` or `u8` | `i8` | `i32` |
///
/// ```compile_fail
/// use batch_dot::ndarray::batch_dot_into;
/// use ndarray::Array2;
///
/// let x = Array2::<i8>::zeros((2, 3));
/// let mut out = Array2::<f32>::zeros((2, 1)); // int8 sums go to i32 only
/// batch_dot_into(&x.view(), &x.view(), 1, &mut out.view_mut()).unwrap();
/// ```
pub trait Row<Y: Dtype, O: Dtype>: Dtype {}

/// `Self` as x's element type and `Y` as y's, with the result type
/// `batch_dot` allocates: the inputs' for the floating types (Keras's
/// rule), `i32` for int8.
pub trait Inputs<Y: Dtype>: Dtype {
    /// The element type of `batch_dot`'s result.
    type Out: Dtype;
}

macro_rules! rows {
    ($($x:ty, $y:ty => $natural:ty $(| $other:ty)?);*) => {$(
        impl Row<$y, $natural> for $x {}
        $(impl Row<$y, $other> for $x {})?
        impl Inputs<$y> for $x {
            type Out = $natural;
        }
    )*};
}
rows!(
    f32, f32 => f32;
    f64, f64 => f64;
    half::bf16, half::bf16 => half::bf16 | f32;
    half::f16, half::f16 => half::f16 | f32;
    i8, i8 => i32;
    u8, i8 => i32
);

/// A floating type whose x, y and result are all of that type: `f32`,
/// `f64`, `half::bf16`, `half::f16` (sealed). A bound for code generic
/// over them.
pub trait Element: Inputs<Self, Out = Self> + Row<Self, Self> {}
impl Element for f32 {}
impl Element for f64 {}
impl Element for half::bf16 {}
impl Element for half::f16 {}

/// A view as a C layout over its memory: the layout, and the pointer to the
/// lowest address the view reaches (its data pointer for the C API).
///
/// An ndarray view's pointer is its element `[0, ..., 0]`; with negative
/// strides other elements lie below it, so the base pointer moves down by
/// the negative part of the span and the layout's `offset` is that
/// distance. `len` is the span of the reached elements. A view with no
/// elements reaches nothing, and gets offset 0 and len 0 (the C API does
/// not look at its pointer).
fn c_layout<T>(
    arg: &'static str,
    shape: &[usize],
    strides: &[isize],
    first: *const T,
) -> Result<(batch_dot_layout, *const T), Error> {
    let ndim = crate::layout::check_ndim(arg, i32::try_from(shape.len()).unwrap_or(i32::MAX))?;
    debug_assert!(ndim <= BATCH_DOT_MAX_NDIM);
    let mut l = batch_dot_layout::zeroed();
    l.ndim = ndim as i32;
    for (i, (&e, &s)) in shape.iter().zip(strides).enumerate() {
        l.shape[i] = e as i64;
        l.strides[i] = s as i64;
    }
    if shape.contains(&0) {
        return Ok((l, first));
    }
    // Offsets from `first`; every element of a valid view lies in one
    // allocation of at most isize::MAX bytes, so they fit in i64.
    let (lo, hi) = crate::layout::span(0, &l.shape[..ndim], &l.strides[..ndim]);
    let (lo, hi) = (lo as i64, hi as i64);
    l.offset = -lo;
    l.len = hi - lo + 1;
    // Stays inside the view's allocation: `lo` is the offset of its lowest
    // element. (`wrapping_offset` needs no `unsafe`; it does not wrap here.)
    Ok((l, first.wrapping_offset(lo as isize)))
}

/// The call of `batch_dot_compute` with the dtype codes of `X`, `Y`, `O`
/// and default options (the library rejects a combination it does not run).
///
/// # Safety
/// `batch_dot_compute`'s contract: each data pointer owns the elements
/// `[0, len)` of its layout, of its type, x's and y's readable, out's
/// writable.
#[allow(clippy::too_many_arguments)]
unsafe fn compute<X: Dtype, Y: Dtype, O: Dtype>(
    x: &batch_dot_layout,
    x_data: *const X,
    y: &batch_dot_layout,
    y_data: *const Y,
    axis_x: i64,
    axis_y: i64,
    out: &batch_dot_layout,
    out_data: *mut O,
) -> Result<(), Error> {
    // SAFETY: the caller's contract is compute_dtypes's, with the dtype
    // codes of the pointers' element types; NULL options are the defaults.
    unsafe {
        crate::ffi::compute_dtypes(
            X::DTYPE,
            x,
            x_data.cast(),
            Y::DTYPE,
            y,
            y_data.cast(),
            axis_x,
            axis_y,
            O::DTYPE,
            out,
            out_data.cast(),
            core::ptr::null(),
        )
    }
}

/// `out = batch_dot(x, y, axes)` into an existing view of any strides, which
/// must have the result's shape exactly (docs/API.md, check 7). Only the
/// elements of `out` are written, and nothing on error.
///
/// ```
/// use batch_dot::ndarray::{batch_dot_into, Axes};
/// use ndarray::{s, Array2, Array3};
///
/// let x = Array3::<f64>::from_elem((2, 3, 4), 1.0);
/// let y = Array2::<f64>::from_elem((2, 4), 2.0);
/// let mut buf = Array3::<f64>::zeros((2, 6, 2));
/// let mut out = buf.slice_mut(s![.., ..;2, 0]); // (2, 3), strided
/// batch_dot_into(&x.view(), &y.view(), Axes::Default, &mut out)?;
/// assert!(out.iter().all(|&v| v == 8.0));
/// # Ok::<(), batch_dot::Error>(())
/// ```
pub fn batch_dot_into<X, Y, O, D1, D2, D3>(
    x: &ArrayView<'_, X, D1>,
    y: &ArrayView<'_, Y, D2>,
    axes: impl Into<Axes>,
    out: &mut ArrayViewMut<'_, O, D3>,
) -> Result<(), Error>
where
    X: Row<Y, O>,
    Y: Dtype,
    O: Dtype,
    D1: Dimension,
    D2: Dimension,
    D3: Dimension,
{
    let (axis_x, axis_y) = axes.into().c_axes();
    let (xl, xp) = c_layout("x.ndim", x.shape(), x.strides(), x.as_ptr())?;
    let (yl, yp) = c_layout("y.ndim", y.shape(), y.strides(), y.as_ptr())?;
    let first = out.as_mut_ptr();
    let (ol, op) = c_layout("out.ndim", out.shape(), out.strides(), first.cast_const())?;
    // SAFETY: each layout describes exactly the elements of its view, which
    // the view keeps alive and in place for this call, counted from the
    // lowest of them (`layout`); `out` is borrowed mutably, so nothing else
    // reads or writes its elements meanwhile, and the library checks that
    // its bytes are not x's or y's before writing.
    unsafe { compute(&xl, xp, &yl, yp, axis_x, axis_y, &ol, op.cast_mut()) }
}

/// `batch_dot(x, y, axes)` as a new C-contiguous array of Keras's result
/// shape (`[B] + x's free axes + y's free axes`, or `[B, 1]` for two rank-2
/// inputs).
///
/// ```
/// use batch_dot::ndarray::batch_dot;
/// use ndarray::Array3;
///
/// let x = Array3::<f32>::ones((4, 5, 6));
/// let y = Array3::<f32>::ones((3, 6, 7));
/// let e = batch_dot(&x.view(), &y.view(), (2, 1)).unwrap_err();
/// assert_eq!(e.status(), batch_dot::BATCH_DOT_STATUS_BATCH_MISMATCH);
/// assert_eq!(
///     e.to_string(),
///     "Cannot do batch_dot on inputs with different batch sizes. \
///      Received inputs with shapes (4, 5, 6) and (3, 6, 7)."
/// );
/// ```
pub fn batch_dot<X, Y, D1, D2>(
    x: &ArrayView<'_, X, D1>,
    y: &ArrayView<'_, Y, D2>,
    axes: impl Into<Axes>,
) -> Result<ArrayD<X::Out>, Error>
where
    X: Inputs<Y>,
    Y: Dtype,
    D1: Dimension,
    D2: Dimension,
{
    let axes = axes.into();
    let (axis_x, axis_y) = axes.c_axes();
    // The C caller's sequence: batch_dot_infer_shape (same checks, same
    // errors), allocate, then the call.
    let (xl, xp) = c_layout("x.ndim", x.shape(), x.strides(), x.as_ptr())?;
    let (yl, yp) = c_layout("y.ndim", y.shape(), y.strides(), y.as_ptr())?;
    let dims =
        crate::shape::infer_shape(&xl.shape[..x.ndim()], &yl.shape[..y.ndim()], axis_x, axis_y)?;
    // infer_shape checked that the count fits in i64.
    let n = dims.known_count().unwrap_or(i64::MAX);
    let no_memory = || {
        Error::Allocation(format!(
            "could not allocate {} bytes for the result.",
            n as u128 * core::mem::size_of::<X::Out>() as u128
        ))
    };
    let count = usize::try_from(n).map_err(|_| no_memory())?;
    let dims = dims
        .as_slice()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| no_memory()))
        .collect::<Result<Vec<usize>, Error>>()?;
    let mut data = Vec::new();
    data.try_reserve_exact(count).map_err(|_| no_memory())?;
    data.resize(count, X::Out::default());
    let mut result =
        ArrayD::from_shape_vec(IxDyn(&dims), data).expect("count is the product of dims");
    let mut out = result.view_mut();
    let first = out.as_mut_ptr();
    let (ol, op) = c_layout("out.ndim", out.shape(), out.strides(), first.cast_const())?;
    // SAFETY: as in `batch_dot_into`; `result` is our own new array.
    unsafe { compute(&xl, xp, &yl, yp, axis_x, axis_y, &ol, op.cast_mut()) }?;
    Ok(result)
}
