//! Test-only hooks (Cargo feature `testing`; never in a release build): the
//! panic switch the C harness uses, and what the kernel tests need to run one
//! validated call at each instruction-set level. The library's internals
//! stay private; these few items are the tests' window onto them.

use core::cell::Cell;

use crate::api::{self, Addrs};
use crate::error::Result;
use crate::kernel;
use crate::plan::Plan;
use crate::types::{batch_dot_layout, batch_dot_options};

pub use crate::kernel::isa::{active, detected, parse_force, Isa};
pub use crate::kernel::Element;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Makes the next status-returning call on this thread panic inside its
/// boundary, which must then return BATCH_DOT_STATUS_INTERNAL.
///
/// cbindgen:ignore
#[no_mangle]
pub extern "C" fn batch_dot_testing_arm_panic() {
    ARMED.with(|a| a.set(true));
}

/// Panics if this thread armed a panic (called inside `panic::guard`).
pub(crate) fn maybe_panic() {
    if ARMED.with(|a| a.replace(false)) {
        panic!("panic forced by batch_dot_testing_arm_panic");
    }
}

/// One call of `batch_dot_f32`/`_f64` with the kernels of level `isa`
/// (capped to what the CPU supports) instead of the active one: the same
/// checks (`num_threads` as in `batch_dot_options`), then the kernels.
/// Panics when a layout's `len` exceeds its slice, which the checks would
/// otherwise trust.
#[allow(clippy::too_many_arguments)]
pub fn compute_at<T: Element>(
    isa: Isa,
    x: &batch_dot_layout,
    x_data: &[T],
    y: &batch_dot_layout,
    y_data: &[T],
    axis_x: i64,
    axis_y: i64,
    out: &batch_dot_layout,
    out_data: &mut [T],
    num_threads: u32,
) -> Result<()> {
    let o = batch_dot_options {
        num_threads,
        ..Default::default()
    };
    compute_opts_at(isa, x, x_data, y, y_data, axis_x, axis_y, out, out_data, &o)
}

/// One tensor of a call on slices: its layout, its slice's address and
/// length, and its element size (= alignment).
type Slice<'a> = (&'a batch_dot_layout, usize, usize, usize);

/// The checks of a call on slices, as the C entry points run them: asserts
/// that each layout's `len` fits its slice and that `struct_size` lies
/// inside the options struct, reads the options, and runs
/// `api::prepare_into` with each tensor's element size. `Some((plan,
/// threads, options))` when the output has elements.
fn prepare_slices(
    t: [Slice<'_>; 3],
    axis_x: i64,
    axis_y: i64,
    options: &batch_dot_options,
    int_out: bool,
) -> Result<Option<(Plan, usize, api::RawOptions)>> {
    for (name, (l, _, n, _)) in ["x", "y", "out"].into_iter().zip(t) {
        assert!(
            usize::try_from(l.len).is_ok_and(|len| len <= n),
            "{name}: len {} exceeds the slice ({n})",
            l.len
        );
    }
    assert!(
        options.struct_size <= core::mem::size_of::<batch_dot_options>(),
        "struct_size past the struct"
    );
    // An empty slice's pointer is dangling; the checks want an aligned,
    // non-NULL address for a tensor with elements, which an empty one is not.
    let addr = |(_, p, n, size): Slice<'_>| if n == 0 { size } else { p };
    // SAFETY: `options` is a whole struct, so its first struct_size bytes
    // (asserted above to lie inside it) are readable.
    let opts = unsafe { crate::ffi::read_options(options) };
    let mut plan = Plan::new();
    let run = api::prepare_into(
        &mut plan,
        api::Call {
            x: Some(t[0].0),
            y: Some(t[1].0),
            out: Some(t[2].0),
            axis_x,
            axis_y,
            options: Some(&opts),
            addrs: Addrs {
                x: addr(t[0]),
                y: addr(t[1]),
                out: addr(t[2]),
            },
            elem_size: t.map(|s| s.3),
            elem_align: t.map(|s| s.3),
            int_out,
        },
    )?;
    Ok(run.map(|threads| (plan, threads, opts)))
}

/// `compute_at` with a whole options struct (its first `struct_size`
/// bytes, as `batch_dot_f32` reads them): `flags`, `alpha`, `beta` too.
#[allow(clippy::too_many_arguments)]
pub fn compute_opts_at<T: Element>(
    isa: Isa,
    x: &batch_dot_layout,
    x_data: &[T],
    y: &batch_dot_layout,
    y_data: &[T],
    axis_x: i64,
    axis_y: i64,
    out: &batch_dot_layout,
    out_data: &mut [T],
    options: &batch_dot_options,
) -> Result<()> {
    let size = size_of::<T>();
    let run = prepare_slices(
        [
            (x, x_data.as_ptr() as usize, x_data.len(), size),
            (y, y_data.as_ptr() as usize, y_data.len(), size),
            (out, out_data.as_ptr() as usize, out_data.len(), size),
        ],
        axis_x,
        axis_y,
        options,
        false,
    )?;
    let Some((plan, threads, opts)) = run else {
        return Ok(());
    };
    // SAFETY: `prepare` proved that every element the plan reaches lies in
    // [0, len) of its layout, and each len is at most its slice's length
    // (asserted above); out is a unique borrow, so it aliases no input.
    unsafe {
        kernel::run_at(
            &plan,
            threads,
            isa,
            opts.scale(),
            x_data.as_ptr(),
            y_data.as_ptr(),
            out_data.as_mut_ptr(),
        )
    }
}

/// One call of `batch_dot_compute` with the dtype codes `dtypes` (x, y,
/// out) and the kernels of level `isa`: as `compute_opts_at`, for every
/// row this build runs (`X` and `O` must have the dtypes' sizes: `u16`
/// for bfloat16/float16, `f32`, `f64`; an element type of the right size
/// but another meaning, say `u32` for float32, is read as its bits). A
/// combination this build does not run gives its `UNSUPPORTED_DTYPE`
/// error. Panics when a size does not match a dtype, or a layout's `len`
/// exceeds its slice.
#[allow(clippy::too_many_arguments)]
pub fn compute_dtyped_at<X: Copy, O: Copy>(
    isa: Isa,
    dtypes: [i32; 3],
    x: &batch_dot_layout,
    x_data: &[X],
    y: &batch_dot_layout,
    y_data: &[X],
    axis_x: i64,
    axis_y: i64,
    out: &batch_dot_layout,
    out_data: &mut [O],
    options: &batch_dot_options,
) -> Result<()> {
    use crate::consts::*;
    use kernel::{Half, OutTy, Wide};
    let size = |code| crate::dtype::info(code).map(|(s, _)| s);
    let [xd, yd, od] = dtypes;
    let run = crate::dtype::COMBINATIONS
        .iter()
        .any(|c| (c.0, c.1, c.2, c.3) == (xd, yd, od, true));
    if !run {
        return Err(crate::dtype::reject(xd, yd, od));
    }
    assert_eq!(size(xd), Some(size_of::<X>()), "x's element size");
    assert_eq!(size(yd), Some(size_of::<X>()), "y's element size");
    assert_eq!(size(od), Some(size_of::<O>()), "out's element size");
    // (The casts below: the element types have the dtypes' sizes, asserted;
    // a slice of `X` of size 4 or 8 is aligned for f32 or f64 when `X` is
    // the f32/f64/u32/u64 the caller made it of, which is asserted too;
    // every bit pattern is a valid f32/f64.)
    let al = |p: usize, s: usize| p.is_multiple_of(s.min(8));
    assert!(
        al(x_data.as_ptr() as usize, size_of::<X>())
            && al(y_data.as_ptr() as usize, size_of::<X>())
            && al(out_data.as_ptr() as usize, size_of::<O>()),
        "element types less aligned than their dtypes"
    );
    match (xd, od) {
        (BATCH_DOT_DTYPE_F32, _) => {
            // SAFETY: as above.
            let (xs, ys, os) = unsafe {
                (
                    core::slice::from_raw_parts(x_data.as_ptr().cast::<f32>(), x_data.len()),
                    core::slice::from_raw_parts(y_data.as_ptr().cast::<f32>(), y_data.len()),
                    core::slice::from_raw_parts_mut(
                        out_data.as_mut_ptr().cast::<f32>(),
                        out_data.len(),
                    ),
                )
            };
            compute_opts_at(isa, x, xs, y, ys, axis_x, axis_y, out, os, options)
        }
        (BATCH_DOT_DTYPE_F64, _) => {
            // SAFETY: as above.
            let (xs, ys, os) = unsafe {
                (
                    core::slice::from_raw_parts(x_data.as_ptr().cast::<f64>(), x_data.len()),
                    core::slice::from_raw_parts(y_data.as_ptr().cast::<f64>(), y_data.len()),
                    core::slice::from_raw_parts_mut(
                        out_data.as_mut_ptr().cast::<f64>(),
                        out_data.len(),
                    ),
                )
            };
            compute_opts_at(isa, x, xs, y, ys, axis_x, axis_y, out, os, options)
        }
        _ => {
            let conv = if xd == BATCH_DOT_DTYPE_S8 || xd == BATCH_DOT_DTYPE_U8 {
                Conv::Int(xd == BATCH_DOT_DTYPE_U8)
            } else {
                Conv::Wide(Wide {
                    half: if xd == BATCH_DOT_DTYPE_BF16 {
                        Half::Bf16
                    } else {
                        Half::F16
                    },
                    out: if od == BATCH_DOT_DTYPE_F32 {
                        OutTy::F32
                    } else {
                        OutTy::Same
                    },
                })
            };
            converted_at(
                isa, conv, x, x_data, y, y_data, axis_x, axis_y, out, out_data, options,
            )
        }
    }
}

/// What a row of `compute_dtyped_at` other than f32/f64 computes in.
#[derive(Clone, Copy)]
enum Conv {
    /// 16-bit floating inputs.
    Wide(kernel::Wide),
    /// int8 inputs: x uint8 (`true`) or int8; out int32.
    Int(bool),
}

/// `compute_dtyped_at`'s 16-bit and int8 rows: the checks with each
/// tensor's own element size (and, for an int32 output, the rule on
/// alpha and beta), then the kernels of `isa`.
#[allow(clippy::too_many_arguments)]
fn converted_at<X: Copy, O: Copy>(
    isa: Isa,
    conv: Conv,
    x: &batch_dot_layout,
    x_data: &[X],
    y: &batch_dot_layout,
    y_data: &[X],
    axis_x: i64,
    axis_y: i64,
    out: &batch_dot_layout,
    out_data: &mut [O],
    options: &batch_dot_options,
) -> Result<()> {
    let (sx, so) = (size_of::<X>(), size_of::<O>());
    let run = prepare_slices(
        [
            (x, x_data.as_ptr() as usize, x_data.len(), sx),
            (y, y_data.as_ptr() as usize, y_data.len(), sx),
            (out, out_data.as_ptr() as usize, out_data.len(), so),
        ],
        axis_x,
        axis_y,
        options,
        matches!(conv, Conv::Int(_)),
    )?;
    let Some((plan, threads, opts)) = run else {
        return Ok(());
    };
    let (xp, yp) = (x_data.as_ptr().cast(), y_data.as_ptr().cast());
    // SAFETY: as in `compute_opts_at`: every reached element lies in its
    // slice, and out is a unique borrow.
    unsafe {
        match conv {
            Conv::Wide(w) => kernel::run_wide_at(
                &plan,
                threads,
                isa,
                opts.scale(),
                w,
                xp,
                yp,
                out_data.as_mut_ptr().cast(),
            ),
            Conv::Int(x_u8) => {
                // Check 2 admitted only alpha = 1 and beta = 0 or 1.
                let acc = opts.scale().is_some_and(|(_, beta)| beta != 0.0);
                kernel::run_int_at(
                    &plan,
                    threads,
                    isa,
                    x_u8,
                    acc,
                    xp.cast(),
                    yp.cast(),
                    out_data.as_mut_ptr().cast(),
                )
            }
        }
    }
}
