//! The C ABI. Each function is thin: it copies what it needs out of the
//! caller's pointers (the one checked conversion), runs the safe checks of
//! `api`/`shape` inside the panic boundary, and hands a proven plan to the
//! kernels.

use core::ffi::{c_char, c_void};
use core::mem::MaybeUninit;
use core::ptr;

use crate::api::{
    self, Addrs, Call, RawOptions, OPTIONS_MAX_SIZE, OPTIONS_V1_SIZE, OPTIONS_V2_SIZE,
};
use crate::consts::*;
use crate::dtype;
use crate::error::{Error, Result};
use crate::kernel::{self, Element};
use crate::last_error;
use crate::layout;
use crate::panic::{guard, guard_value};
use crate::plan::Plan;
use crate::shape;
use crate::types::{batch_dot_layout, batch_dot_options};

/// Copies a layout out of caller memory (any alignment) into `slot` and
/// returns it, or `None` for NULL. Part by part (header, shape, strides),
/// straight into `slot`, so that each copy is small enough to be inlined.
///
/// # Safety
/// `p` is NULL or points to a readable `batch_dot_layout`.
#[inline(always)]
unsafe fn read_layout(
    p: *const batch_dot_layout,
    slot: &mut MaybeUninit<batch_dot_layout>,
) -> Option<&batch_dot_layout> {
    if p.is_null() {
        return None;
    }
    const HEAD: usize = core::mem::offset_of!(batch_dot_layout, shape);
    const ARR: usize = core::mem::size_of::<[i64; BATCH_DOT_MAX_NDIM]>();
    const _: () = assert!(HEAD + 2 * ARR == core::mem::size_of::<batch_dot_layout>());
    let d = slot.as_mut_ptr();
    // SAFETY: `p` is non-NULL and readable by the caller's contract, `d` is
    // our own slot; the places are projected without references and the
    // byte copies tolerate any alignment. The three copies cover every byte
    // of the struct (it has no padding: asserted above), so it is
    // initialised afterwards.
    unsafe {
        ptr::copy_nonoverlapping(p as *const u8, d as *mut u8, HEAD);
        ptr::copy_nonoverlapping(
            &raw const (*p).shape as *const u8,
            &raw mut (*d).shape as *mut u8,
            ARR,
        );
        ptr::copy_nonoverlapping(
            &raw const (*p).strides as *const u8,
            &raw mut (*d).strides as *mut u8,
            ARR,
        );
        Some(slot.assume_init_ref())
    }
}

/// Copies `n <= BATCH_DOT_MAX_NDIM` extents out of caller memory.
///
/// # Safety
/// `p` points to `n` readable `int64_t` (it may be NULL only when `n == 0`).
unsafe fn read_extents(p: *const i64, n: usize) -> [i64; BATCH_DOT_MAX_NDIM] {
    let mut a = [0i64; BATCH_DOT_MAX_NDIM];
    for (i, v) in a.iter_mut().enumerate().take(n) {
        // SAFETY: i < n, readable by the caller's contract; any alignment.
        *v = unsafe { ptr::read_unaligned(p.add(i)) };
    }
    a
}

/// Reads a non-NULL options struct, extensible-struct style: nothing past
/// `struct_size` is read, and nothing at all past `OPTIONS_MAX_SIZE`.
/// `alpha` and `beta` are read only when `struct_size` covers them.
///
/// # Safety
/// `p` points to at least `min(struct_size, OPTIONS_MAX_SIZE)` readable bytes,
/// where `struct_size` is its first field.
pub(crate) unsafe fn read_options(p: *const batch_dot_options) -> RawOptions {
    let bytes = p as *const u8;
    // SAFETY: struct_size is the first field, which every caller has.
    let struct_size = unsafe { ptr::read_unaligned(p as *const usize) };
    let mut o = RawOptions {
        struct_size,
        tail_nonzero: false,
        ..RawOptions::defaults(0)
    };
    if (OPTIONS_V1_SIZE..=OPTIONS_MAX_SIZE).contains(&struct_size) {
        // SAFETY: struct_size >= OPTIONS_V1_SIZE, so the first 16 bytes are
        // readable; alpha and beta only when struct_size >= OPTIONS_V2_SIZE;
        // the tail up to struct_size is readable by contract. Field by
        // field, unaligned: the caller's struct may have any alignment.
        unsafe {
            o.num_threads = ptr::read_unaligned(&raw const (*p).num_threads);
            o.flags = ptr::read_unaligned(&raw const (*p).flags);
            let known = if struct_size >= OPTIONS_V2_SIZE {
                o.alpha = ptr::read_unaligned(&raw const (*p).alpha);
                o.beta = ptr::read_unaligned(&raw const (*p).beta);
                OPTIONS_V2_SIZE
            } else {
                OPTIONS_V1_SIZE
            };
            let tail = core::slice::from_raw_parts(bytes.add(known), struct_size - known);
            o.tail_nonzero = tail.iter().any(|&b| b != 0);
        }
    }
    o
}

/// The checks of a compute call whose tensors have elements of
/// `elem_size` bytes (x, y, out; aligned to their size), then `run` on the
/// proven plan with the threads and the scale, when the output has
/// elements.
///
/// # Safety
/// The layouts and `options` are NULL or readable.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn checked(
    x: *const batch_dot_layout,
    y: *const batch_dot_layout,
    out: *const batch_dot_layout,
    axis_x: i64,
    axis_y: i64,
    options: *const batch_dot_options,
    addrs: Addrs,
    elem_size: [usize; 3],
    int_out: bool,
    run: impl FnOnce(&Plan, usize, Option<(f64, f64)>) -> Result<()>,
) -> Result<()> {
    let (mut xs, mut ys, mut os) = (
        MaybeUninit::uninit(),
        MaybeUninit::uninit(),
        MaybeUninit::uninit(),
    );
    // SAFETY: the caller passes NULL or valid pointers.
    let (xl, yl, ol) = unsafe {
        (
            read_layout(x, &mut xs),
            read_layout(y, &mut ys),
            read_layout(out, &mut os),
        )
    };
    // SAFETY: as above; read only when the layouts are all there, so that a
    // NULL layout (check 1) wins over anything in the options (check 2).
    let opts = if xl.is_some() && yl.is_some() && ol.is_some() && !options.is_null() {
        Some(unsafe { read_options(options) })
    } else {
        None
    };
    let mut plan = Plan::new();
    let ready = api::prepare_into(
        &mut plan,
        Call {
            x: xl,
            y: yl,
            out: ol,
            axis_x,
            axis_y,
            options: opts.as_ref(),
            addrs,
            elem_size,
            elem_align: elem_size,
            int_out,
        },
    )?;
    match ready {
        Some(threads) => run(&plan, threads, opts.as_ref().and_then(RawOptions::scale)),
        None => Ok(()),
    }
}

/// The body of `batch_dot_f32` and `batch_dot_f64`.
///
/// # Safety
/// The caller's contract of those functions.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn compute<T: Element>(
    x: *const batch_dot_layout,
    x_data: *const T,
    y: *const batch_dot_layout,
    y_data: *const T,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut T,
    options: *const batch_dot_options,
) -> Result<()> {
    let addrs = Addrs {
        x: x_data as usize,
        y: y_data as usize,
        out: out_data as usize,
    };
    let size = core::mem::size_of::<T>();
    // SAFETY: the caller's contract; the closure runs only on a plan that
    // `prepare_into` proved: every element it reaches lies in [0, len) of
    // its non-NULL, aligned buffer, out reaches no element twice and shares
    // no byte with x or y.
    unsafe {
        checked(
            x,
            y,
            out,
            axis_x,
            axis_y,
            options,
            addrs,
            [size; 3],
            false,
            |plan, threads, scale| kernel::run(plan, threads, scale, x_data, y_data, out_data),
        )
    }
}

/// The element types of a call whose inputs are converted before they are
/// multiplied: what `compute_converted` needs to know of them.
#[derive(Clone, Copy)]
pub(crate) enum Converted {
    /// 16-bit floating x and y (`uint16_t` bits of `w.half`), out of
    /// `w.out` (`batch_dot_bf16`, `batch_dot_f16`, and those rows of
    /// `batch_dot_compute`).
    Wide(kernel::Wide),
    /// int8 y, x uint8 when `x_u8` else int8, int32 out (`batch_dot_s8`
    /// and the integer rows of `batch_dot_compute`).
    Int8 { x_u8: bool },
}

/// The body of the calls with converted inputs: those of `kind`.
///
/// # Safety
/// As `batch_dot_f32`, with x, y and out of the element types of `kind`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn compute_converted(
    kind: Converted,
    x: *const batch_dot_layout,
    x_data: *const u8,
    y: *const batch_dot_layout,
    y_data: *const u8,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut u8,
    options: *const batch_dot_options,
) -> Result<()> {
    let addrs = Addrs {
        x: x_data as usize,
        y: y_data as usize,
        out: out_data as usize,
    };
    let (elem_size, int_out) = match kind {
        Converted::Wide(w) => {
            let out_size = match w.out {
                kernel::OutTy::Same => 2,
                kernel::OutTy::F32 => 4,
            };
            ([2, 2, out_size], false)
        }
        Converted::Int8 { .. } => ([1, 1, 4], true),
    };
    // SAFETY: as in `compute`, with each tensor's own element size.
    unsafe {
        checked(
            x,
            y,
            out,
            axis_x,
            axis_y,
            options,
            addrs,
            elem_size,
            int_out,
            // (Inlined, so that each entry point keeps only its own arm:
            // one closure shared by every caller stays a call of its own.)
            #[inline(always)]
            |plan, threads, scale| match kind {
                Converted::Wide(w) => kernel::run_wide_at(
                    plan,
                    threads,
                    kernel::isa::active(),
                    scale,
                    w,
                    x_data.cast(),
                    y_data.cast(),
                    out_data,
                ),
                Converted::Int8 { x_u8 } => {
                    // Check 2 admitted only alpha = 1 and beta = 0 or 1.
                    let acc = scale.is_some_and(|(_, beta)| beta != 0.0);
                    kernel::run_int_at(
                        plan,
                        threads,
                        kernel::isa::active(),
                        x_u8,
                        acc,
                        x_data,
                        y_data,
                        out_data.cast(),
                    )
                }
            },
        )
    }
}

/// Output shape of `batch_dot(x, y, axes)` without touching data.
///
/// Keras's `axes=None` is `(BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT)`;
/// `axes=a` is `(a, a)`; negative axes count from the end of each operand
/// separately. Writes `*out_ndim` and `out_shape[0..*out_ndim)` only on
/// success; `out_shape` must hold BATCH_DOT_MAX_NDIM entries. An extent of
/// BATCH_DOT_DIM_UNKNOWN means "not known yet": it propagates to the result,
/// and the checks that need it are skipped, as in Keras's static shape
/// inference (the result's batch is x's, or y's when x's is unknown).
///
/// Statuses: OK; NULL_POINTER (`x_shape`/`y_shape` NULL with ndim > 0,
/// `out_ndim` or `out_shape` NULL); INVALID_RANK (ndim outside 0..16, an
/// input rank below 2, a result rank above 16); INVALID_SHAPE (an extent
/// below -1); BATCH_MISMATCH; INVALID_AXES; BATCH_AXIS;
/// CONTRACTION_MISMATCH; OVERFLOW (the product of the known extents of x, y
/// or the result exceeds INT64_MAX); INTERNAL.
///
/// # Safety
/// `x_shape` (`y_shape`) points to `x_ndim` (`y_ndim`) readable extents when
/// that ndim is in 1..16; `out_ndim` is writable; `out_shape` holds 16
/// writable extents.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_infer_shape(
    x_ndim: i32,
    x_shape: *const i64,
    y_ndim: i32,
    y_shape: *const i64,
    axis_x: i64,
    axis_y: i64,
    out_ndim: *mut i32,
    out_shape: *mut i64,
) -> i32 {
    guard(|| {
        for (arg, p, ndim) in [("x_shape", x_shape, x_ndim), ("y_shape", y_shape, y_ndim)] {
            if p.is_null() && ndim > 0 {
                return Err(Error::NullShape { arg, ndim });
            }
        }
        if out_ndim.is_null() {
            return Err(Error::NullArgument { arg: "out_ndim" });
        }
        if out_shape.is_null() {
            return Err(Error::NullArgument { arg: "out_shape" });
        }
        let xn = layout::check_ndim("x.ndim", x_ndim)?;
        let yn = layout::check_ndim("y.ndim", y_ndim)?;
        // SAFETY: non-NULL when the count is nonzero, readable by contract.
        let (xs, ys) = unsafe { (read_extents(x_shape, xn), read_extents(y_shape, yn)) };
        let s = shape::infer_shape(&xs[..xn], &ys[..yn], axis_x, axis_y)?;
        let dims = s.as_slice();
        // SAFETY: checked non-NULL; out_shape holds BATCH_DOT_MAX_NDIM entries
        // and infer_shape guarantees dims.len() <= BATCH_DOT_MAX_NDIM.
        unsafe {
            for (i, &d) in dims.iter().enumerate() {
                ptr::write_unaligned(out_shape.add(i), d);
            }
            ptr::write_unaligned(out_ndim, dims.len() as i32);
        }
        Ok(())
    })
}

/// `out = batch_dot(x, y, axes)` with Keras semantics, for float32 data of
/// any strides. The out layout must have exactly the inferred shape; its
/// strides are the caller's choice (non-overlapping). `options` may be NULL.
///
/// Each output is a float32 sum, from +0.0, of the K products; a contraction
/// of length 0 gives +0.0. Results are bitwise identical from run to run and
/// for every `num_threads`. Only the output elements the out layout reaches
/// are written, and nothing at all on error.
///
/// Statuses, in the order checked: NULL_POINTER (a layout); INVALID_ARGUMENT
/// (flags, len, options); INVALID_RANK; INVALID_SHAPE; BATCH_MISMATCH;
/// INVALID_AXES; BATCH_AXIS; CONTRACTION_MISMATCH; INVALID_RANK (result
/// rank); OUTPUT_SHAPE; OVERFLOW; NULL_POINTER (a data pointer of a tensor
/// with elements) or INVALID_ARGUMENT (one misaligned for its type);
/// OUT_OF_BOUNDS; ALIASING; ALLOCATION; INTERNAL.
///
/// # Safety
/// Each data pointer owns `len` elements of its layout; the layouts and
/// `options` are NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_f32(
    x: *const batch_dot_layout,
    x_data: *const f32,
    y: *const batch_dot_layout,
    y_data: *const f32,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut f32,
    options: *const batch_dot_options,
) -> i32 {
    // SAFETY: the caller's contract is compute's.
    guard(|| unsafe { compute(x, x_data, y, y_data, axis_x, axis_y, out, out_data, options) })
}

/// `out = batch_dot(x, y, axes)` for float64 data: as `batch_dot_f32`, with
/// float64 sums.
///
/// # Safety
/// As `batch_dot_f32`.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_f64(
    x: *const batch_dot_layout,
    x_data: *const f64,
    y: *const batch_dot_layout,
    y_data: *const f64,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut f64,
    options: *const batch_dot_options,
) -> i32 {
    // SAFETY: the caller's contract is compute's.
    guard(|| unsafe { compute(x, x_data, y, y_data, axis_x, axis_y, out, out_data, options) })
}

/// `out = batch_dot(x, y, axes)` for bfloat16 data (`uint16_t` bits, the
/// top half of a binary32), the result in bfloat16 too (Keras: the
/// inputs' dtype). Each output is the float32 sum of the products of the
/// exactly converted inputs, rounded once to the nearest bfloat16 (ties to
/// even; never truncated): ±Inf beyond bfloat16's range, NaN and Inf
/// propagate, +0 for a contraction of length 0; subnormal inputs are not
/// flushed. The sum is within 2(K+2)·2⁻²⁴·Σ|x·y| of the exact one before
/// that rounding. With BATCH_DOT_OPT_SCALE, alpha·sum + beta·out is
/// computed in float32 and rounded once. Results are bitwise identical
/// for every `num_threads`. Data pointers must be 2-byte aligned; every
/// other rule, status and check is `batch_dot_f32`'s.
///
/// # Safety
/// As `batch_dot_f32`, with 2-byte elements.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_bf16(
    x: *const batch_dot_layout,
    x_data: *const u16,
    y: *const batch_dot_layout,
    y_data: *const u16,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut u16,
    options: *const batch_dot_options,
) -> i32 {
    let w = kernel::Wide {
        half: kernel::Half::Bf16,
        out: kernel::OutTy::Same,
    };
    // SAFETY: the caller's contract is compute_converted's with `w`.
    guard(|| unsafe {
        compute_converted(
            Converted::Wide(w),
            x,
            x_data.cast(),
            y,
            y_data.cast(),
            axis_x,
            axis_y,
            out,
            out_data.cast(),
            options,
        )
    })
}

/// `out = batch_dot(x, y, axes)` for IEEE binary16 data (`uint16_t` bits),
/// the result in binary16: as `batch_dot_bf16`, with binary16 inputs
/// (converted exactly, subnormals included) and one rounding to the
/// nearest binary16 (±Inf from 65520 in magnitude).
///
/// # Safety
/// As `batch_dot_f32`, with 2-byte elements.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_f16(
    x: *const batch_dot_layout,
    x_data: *const u16,
    y: *const batch_dot_layout,
    y_data: *const u16,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut u16,
    options: *const batch_dot_options,
) -> i32 {
    let w = kernel::Wide {
        half: kernel::Half::F16,
        out: kernel::OutTy::Same,
    };
    // SAFETY: the caller's contract is compute_converted's with `w`.
    guard(|| unsafe {
        compute_converted(
            Converted::Wide(w),
            x,
            x_data.cast(),
            y,
            y_data.cast(),
            axis_x,
            axis_y,
            out,
            out_data.cast(),
            options,
        )
    })
}

/// `out = batch_dot(x, y, axes)` for int8 data, the result in int32:
/// exact, each sum taken modulo 2³² (two's-complement wrap, never
/// saturation; a sum leaves the int32 range only when K > 131071), the
/// same on every instruction-set level and for every `num_threads`. A
/// contraction of length 0 gives 0. With BATCH_DOT_OPT_SCALE, alpha must be
/// 1 and beta 0 or 1 (INVALID_ARGUMENT otherwise, check 2): beta = 1 adds
/// the product to out (modulo 2³²), beta = 0 does not read out. out_data
/// must be 4-byte aligned; every other rule, status and check is
/// `batch_dot_f32`'s.
///
/// # Safety
/// As `batch_dot_f32`, with 1-byte inputs and 4-byte outputs.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_s8(
    x: *const batch_dot_layout,
    x_data: *const i8,
    y: *const batch_dot_layout,
    y_data: *const i8,
    axis_x: i64,
    axis_y: i64,
    out: *const batch_dot_layout,
    out_data: *mut i32,
    options: *const batch_dot_options,
) -> i32 {
    // SAFETY: the caller's contract is compute_converted's with int8.
    guard(|| unsafe {
        compute_converted(
            Converted::Int8 { x_u8: false },
            x,
            x_data.cast(),
            y,
            y_data.cast(),
            axis_x,
            axis_y,
            out,
            out_data.cast(),
            options,
        )
    })
}

/// `out = batch_dot(x, y, axes)` for the element types given by dtype codes
/// (BATCH_DOT_DTYPE_*): each data pointer holds elements of its own dtype.
/// Every argument but the dtypes is as in `batch_dot_f32`, and so are the
/// checks, with each tensor's own element size for the byte offsets, the
/// alignment of its data pointer and the aliasing byte ranges.
///
/// The combinations of docs/API.md's table; this release runs
/// (F32, F32, F32), which is the call `batch_dot_f32` makes (bit for bit
/// the same results, statuses and messages), (F64, F64, F64), that of
/// `batch_dot_f64`, (BF16, BF16, BF16) and (F16, F16, F16), those of
/// `batch_dot_bf16` and `batch_dot_f16`, and (BF16, BF16, F32) and
/// (F16, F16, F32): the same float32 sums, stored unrounded in a float32
/// out (4-byte aligned), (S8, S8, S32), that of `batch_dot_s8`, and
/// (U8, S8, S32): uint8 x (the activations of a quantized engine), int8
/// y, exact int32 sums as `batch_dot_s8` computes them.
///
/// Statuses, in the order checked: NULL_POINTER (a layout);
/// UNSUPPORTED_DTYPE (an unknown code in x_dtype, y_dtype, out_dtype, in
/// that order, or a combination this build does not run); then those of
/// `batch_dot_f32`, from INVALID_ARGUMENT on.
///
/// # Safety
/// Each data pointer owns `len` elements of its layout, of its dtype; the
/// layouts and `options` are NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_compute(
    x_dtype: i32,
    x: *const batch_dot_layout,
    x_data: *const c_void,
    y_dtype: i32,
    y: *const batch_dot_layout,
    y_data: *const c_void,
    axis_x: i64,
    axis_y: i64,
    out_dtype: i32,
    out: *const batch_dot_layout,
    out_data: *mut c_void,
    options: *const batch_dot_options,
) -> i32 {
    // SAFETY: the caller's contract is compute_dtypes's.
    guard(|| unsafe {
        compute_dtypes(
            x_dtype, x, x_data, y_dtype, y, y_data, axis_x, axis_y, out_dtype, out, out_data,
            options,
        )
    })
}

/// The body of `batch_dot_compute` (and of the generic calls of
/// `batch_dot::ndarray`): the row of the dtype codes, or check 1b's error.
///
/// # Safety
/// As `batch_dot_compute`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn compute_dtypes(
    x_dtype: i32,
    x: *const batch_dot_layout,
    x_data: *const c_void,
    y_dtype: i32,
    y: *const batch_dot_layout,
    y_data: *const c_void,
    axis_x: i64,
    axis_y: i64,
    out_dtype: i32,
    out: *const batch_dot_layout,
    out_data: *mut c_void,
    options: *const batch_dot_options,
) -> Result<()> {
    const F32: i32 = BATCH_DOT_DTYPE_F32;
    const F64: i32 = BATCH_DOT_DTYPE_F64;
    const F16: i32 = BATCH_DOT_DTYPE_F16;
    const BF16: i32 = BATCH_DOT_DTYPE_BF16;
    const S8: i32 = BATCH_DOT_DTYPE_S8;
    const U8: i32 = BATCH_DOT_DTYPE_U8;
    const S32: i32 = BATCH_DOT_DTYPE_S32;
    use kernel::{Half, OutTy, Wide};
    // The rows with 16-bit floating inputs.
    let wide = |half, out| Wide { half, out };
    match (x_dtype, y_dtype, out_dtype) {
        // SAFETY: the caller's contract, with these dtypes, is compute's.
        (F32, F32, F32) => unsafe {
            compute::<f32>(
                x,
                x_data.cast(),
                y,
                y_data.cast(),
                axis_x,
                axis_y,
                out,
                out_data.cast(),
                options,
            )
        },
        // SAFETY: as above.
        (F64, F64, F64) => unsafe {
            compute::<f64>(
                x,
                x_data.cast(),
                y,
                y_data.cast(),
                axis_x,
                axis_y,
                out,
                out_data.cast(),
                options,
            )
        },
        (h @ (BF16 | F16), h2, o) if h2 == h && (o == h || o == F32) => {
            let half = if h == BF16 { Half::Bf16 } else { Half::F16 };
            let w = wide(half, if o == F32 { OutTy::F32 } else { OutTy::Same });
            // SAFETY: as above, compute_converted's with these dtypes.
            unsafe {
                compute_converted(
                    Converted::Wide(w),
                    x,
                    x_data.cast(),
                    y,
                    y_data.cast(),
                    axis_x,
                    axis_y,
                    out,
                    out_data.cast(),
                    options,
                )
            }
        }
        (xd @ (S8 | U8), S8, S32) => {
            // SAFETY: as above, compute_converted's with these dtypes.
            unsafe {
                compute_converted(
                    Converted::Int8 { x_u8: xd == U8 },
                    x,
                    x_data.cast(),
                    y,
                    y_data.cast(),
                    axis_x,
                    axis_y,
                    out,
                    out_data.cast(),
                    options,
                )
            }
        }
        // Check 1 (NULL layouts), then 1b, which fails.
        codes => dtype::check_rejected(
            [
                ("x", x.is_null()),
                ("y", y.is_null()),
                ("out", out.is_null()),
            ],
            [codes.0, codes.1, codes.2],
        ),
    }
}

/// Size in bytes of an element of a dtype (BATCH_DOT_DTYPE_*), 0 for an
/// unknown code. Leaves the last-error message alone.
#[no_mangle]
pub extern "C" fn batch_dot_dtype_size(dtype: i32) -> usize {
    guard_value(0, || dtype::info(dtype).map_or(0, |(size, _)| size))
}

/// Name of a dtype ("float32", "float64", "float16", "bfloat16", "int8",
/// "uint8", "int32"): a static NUL-terminated string, never NULL; "unknown"
/// for an unknown code. Leaves the last-error message alone.
#[no_mangle]
pub extern "C" fn batch_dot_dtype_name(dtype: i32) -> *const c_char {
    const UNKNOWN: &core::ffi::CStr = c"unknown";
    guard_value(UNKNOWN.as_ptr(), || {
        dtype::info(dtype).map_or(UNKNOWN.as_ptr(), |(_, n)| n.as_ptr())
    })
}

/// Fills `*layout` with a row-major packed layout: `strides[i]` = product of
/// `shape[i+1..]` with extents of 0 counted as 1, offset 0, len = product of
/// the extents, flags 0, entries past ndim zeroed. Writes `*layout` only on
/// success.
///
/// Statuses: OK; NULL_POINTER (`layout`, or `shape` with ndim > 0);
/// INVALID_RANK (ndim outside 0..16); INVALID_SHAPE (a negative extent);
/// OVERFLOW (a stride or the element count exceeds INT64_MAX); INTERNAL.
///
/// # Safety
/// `layout` is NULL or writable; `shape` points to `ndim` readable extents.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_layout_init_contiguous(
    layout: *mut batch_dot_layout,
    ndim: i32,
    shape: *const i64,
) -> i32 {
    guard(|| {
        if layout.is_null() {
            return Err(Error::NullArgument { arg: "layout" });
        }
        if shape.is_null() && ndim > 0 {
            return Err(Error::NullShape { arg: "shape", ndim });
        }
        let n = layout::check_ndim("layout.ndim", ndim)?;
        // SAFETY: non-NULL when n > 0, readable by contract.
        let dims = unsafe { read_extents(shape, n) };
        let l = contiguous(&dims[..n])?;
        // SAFETY: checked non-NULL, writable by contract; any alignment.
        unsafe { ptr::write_unaligned(layout, l) };
        Ok(())
    })
}

/// The row-major packed layout of `dims` (safe part of
/// `batch_dot_layout_init_contiguous`).
pub fn contiguous(dims: &[i64]) -> Result<batch_dot_layout> {
    shape::check_extents("shape", dims, false)?;
    let mut l = batch_dot_layout::zeroed();
    l.ndim = dims.len() as i32;
    let mut stride: i64 = 1;
    for i in (0..dims.len()).rev() {
        l.shape[i] = dims[i];
        l.strides[i] = stride;
        if i == 0 {
            break; // the product of all extents is no stride
        }
        stride = stride
            .checked_mul(dims[i].max(1))
            .ok_or_else(|| Error::PackedStridesOverflow { shape: dims.into() })?;
    }
    l.len = shape::checked_count(dims)
        .ok_or_else(|| Error::PackedCountOverflow { shape: dims.into() })?;
    Ok(l)
}

/// Fills `*layout` from explicit strides (in elements), offset and len:
/// `shape[0..ndim)`, `strides[0..ndim)`, `offset`, `len`, flags 0, entries
/// past ndim zeroed. Checks only what a layout alone can show; bounds,
/// overflow and aliasing are the compute call's. Writes `*layout` only on
/// success.
///
/// Statuses: OK; NULL_POINTER (`layout`, or `shape` or `strides` with
/// ndim > 0); INVALID_RANK (ndim outside 0..16); INVALID_SHAPE (a negative
/// extent); INVALID_ARGUMENT (a negative `len`); INTERNAL.
///
/// # Safety
/// `layout` is NULL or writable; `shape` and `strides` each point to `ndim`
/// readable values when ndim is in 1..16.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_layout_init_strided(
    layout: *mut batch_dot_layout,
    ndim: i32,
    shape: *const i64,
    strides: *const i64,
    offset: i64,
    len: i64,
) -> i32 {
    guard(|| {
        if layout.is_null() {
            return Err(Error::NullArgument { arg: "layout" });
        }
        for (arg, p) in [("shape", shape), ("strides", strides)] {
            if p.is_null() && ndim > 0 {
                return Err(Error::NullShape { arg, ndim });
            }
        }
        let n = layout::check_ndim("layout.ndim", ndim)?;
        // SAFETY: non-NULL when n > 0, readable by contract.
        let (dims, st) = unsafe { (read_extents(shape, n), read_extents(strides, n)) };
        let l = strided(&dims[..n], &st[..n], offset, len)?;
        // SAFETY: checked non-NULL, writable by contract; any alignment.
        unsafe { ptr::write_unaligned(layout, l) };
        Ok(())
    })
}

/// The layout of `batch_dot_layout_init_strided` (its safe part).
pub fn strided(dims: &[i64], strides: &[i64], offset: i64, len: i64) -> Result<batch_dot_layout> {
    debug_assert_eq!(dims.len(), strides.len());
    shape::check_extents("layout", dims, false)?;
    if len < 0 {
        return Err(Error::NegativeLen {
            name: "layout",
            len,
        });
    }
    let mut l = batch_dot_layout::zeroed();
    l.ndim = dims.len() as i32;
    l.shape[..dims.len()].copy_from_slice(dims);
    l.strides[..dims.len()].copy_from_slice(strides);
    l.offset = offset;
    l.len = len;
    Ok(l)
}

/// Fills `*options` with the defaults: `struct_size = sizeof(batch_dot_options)`
/// (32), `num_threads = 0`, `flags = 0`, `alpha = 1`, `beta = 0`. Does
/// nothing when `options` is NULL.
///
/// # Safety
/// `options` is NULL or points to a writable `batch_dot_options`.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_options_init(options: *mut batch_dot_options) {
    guard_value((), || {
        if !options.is_null() {
            // SAFETY: non-NULL, writable by contract; any alignment.
            unsafe { ptr::write_unaligned(options, batch_dot_options::default()) };
        }
    })
}

/// Message of the last failed call on this thread, snprintf-style: copies at
/// most `buf_len - 1` bytes plus a NUL (nothing when `buf` is NULL or
/// `buf_len` is 0) and returns the full length of the message. Every
/// function that returns a status clears the message on entry and sets it
/// on failure; the other functions leave it alone. A thread that has made no
/// call reads "".
///
/// # Safety
/// `buf` is NULL or holds `buf_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    guard_value(0, || {
        last_error::with(|msg| {
            if !buf.is_null() && buf_len > 0 {
                let n = msg.len().min(buf_len - 1);
                // SAFETY: buf holds buf_len >= n + 1 writable bytes; msg is
                // our own buffer, which cannot overlap the caller's.
                unsafe {
                    ptr::copy_nonoverlapping(msg.as_ptr(), buf as *mut u8, n);
                    *buf.add(n) = 0;
                }
            }
            msg.len()
        })
    })
}

/// Stable name of a status (e.g. "BATCH_DOT_STATUS_BATCH_MISMATCH"): a static
/// NUL-terminated string, never NULL; unknown values give
/// "BATCH_DOT_STATUS_UNKNOWN".
#[no_mangle]
pub extern "C" fn batch_dot_status_string(status: i32) -> *const c_char {
    const UNKNOWN: &core::ffi::CStr = c"BATCH_DOT_STATUS_UNKNOWN";
    guard_value(UNKNOWN.as_ptr(), || {
        status_cstr(status).map_or(UNKNOWN.as_ptr(), |s| s.as_ptr())
    })
}

// `status_cstr`: the name of each status, from the table in `status.rs`.
macro_rules! status_names {
    ($($(#[doc = $doc:literal])* $name:ident = $value:literal $(=> $($variant:ident),+)?;)*) => {
        fn status_cstr(status: i32) -> Option<&'static core::ffi::CStr> {
            match status {
                $($value => Some(const { cstr(concat!(stringify!($name), "\0")) }),)*
                _ => None,
            }
        }
    };
}
crate::status::status_table!(status_names);

/// A NUL-terminated string literal as a `CStr` (at compile time).
const fn cstr(s: &'static str) -> &'static core::ffi::CStr {
    match core::ffi::CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("not a NUL-terminated string without inner NULs"),
    }
}

/// Version of the loaded library (not of the header it was compiled
/// against): "MAJOR.MINOR.PATCH", static, never NULL.
#[no_mangle]
pub extern "C" fn batch_dot_version_string() -> *const c_char {
    const V: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"?",
    };
    guard_value(V.as_ptr(), || V.as_ptr())
}

/// Version of the loaded library: `(MAJOR << 16) | (MINOR << 8) | PATCH`.
#[no_mangle]
pub extern "C" fn batch_dot_version() -> u32 {
    const V: u32 =
        (BATCH_DOT_VERSION_MAJOR << 16) | (BATCH_DOT_VERSION_MINOR << 8) | BATCH_DOT_VERSION_PATCH;
    guard_value(V, || V)
}

/// ABI version of the loaded library; equals BATCH_DOT_ABI_VERSION of a
/// compatible header.
#[no_mangle]
pub extern "C" fn batch_dot_abi_version() -> u32 {
    guard_value(BATCH_DOT_ABI_VERSION, || BATCH_DOT_ABI_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every row of the status table, as (name, value, the constant).
    macro_rules! status_rows {
        ($($(#[doc = $doc:literal])* $name:ident = $value:literal $(=> $($variant:ident),+)?;)*) => {
            [$((stringify!($name), $value, $name)),*]
        };
    }

    #[test]
    fn status_names_agree() {
        let rows = crate::status::status_table!(status_rows);
        for (i, &(name, value, constant)) in rows.iter().enumerate() {
            // Values are 0, 1, 2, ... in the table's order: no gaps, no reuse.
            assert_eq!(value, i as i32, "{name}");
            assert_eq!(constant, value, "{name}");
            assert_eq!(status_cstr(value).unwrap().to_str().unwrap(), name);
            let s = unsafe { core::ffi::CStr::from_ptr(batch_dot_status_string(value)) };
            assert_eq!(s.to_str().unwrap(), name);
        }
        assert_eq!(rows[0].0, "BATCH_DOT_STATUS_OK");
        let past = rows.len() as i32;
        assert!(status_cstr(past).is_none());
        assert!(status_cstr(-1).is_none());
        for bad in [-1, past, 99, i32::MIN, i32::MAX] {
            let s = unsafe { core::ffi::CStr::from_ptr(batch_dot_status_string(bad)) };
            assert_eq!(s.to_str().unwrap(), "BATCH_DOT_STATUS_UNKNOWN");
        }
    }

    #[test]
    fn contiguous_strides_and_overflow() {
        let l = contiguous(&[1 << 40, 0, 1 << 40]).unwrap();
        assert_eq!(&l.strides[..3], &[1 << 40, 1 << 40, 1]);
        assert_eq!(l.len, 0);
        let l = contiguous(&[2, 3, 4]).unwrap();
        assert_eq!((&l.strides[..3], l.len), (&[12, 4, 1][..], 24));
        assert!(matches!(
            contiguous(&[2, 1 << 62, 4]),
            Err(Error::PackedStridesOverflow { .. })
        ));
        assert!(matches!(
            contiguous(&[1 << 32, 1 << 32]),
            Err(Error::PackedCountOverflow { .. })
        ));
        assert!(matches!(
            contiguous(&[1 << 32, 1 << 31]),
            Err(Error::PackedCountOverflow { .. })
        ));
        assert!(contiguous(&[1 << 32, 1 << 30]).is_ok());
    }

    #[test]
    fn soname_abi_matches_the_header() {
        let build_rs = include_str!("../build.rs");
        let line = format!("const ABI_VERSION: u32 = {BATCH_DOT_ABI_VERSION};");
        assert!(build_rs.contains(&line), "build.rs must say `{line}`");
        assert_eq!(batch_dot_abi_version(), BATCH_DOT_ABI_VERSION);
    }

    #[test]
    fn versions_match_the_crate() {
        let v = env!("CARGO_PKG_VERSION");
        let s = unsafe { core::ffi::CStr::from_ptr(batch_dot_version_string()) };
        assert_eq!(s.to_str().unwrap(), v);
        let parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(
            parts,
            [
                BATCH_DOT_VERSION_MAJOR,
                BATCH_DOT_VERSION_MINOR,
                BATCH_DOT_VERSION_PATCH
            ]
        );
        assert_eq!(
            batch_dot_version(),
            (parts[0] << 16) | (parts[1] << 8) | parts[2]
        );
    }
}
