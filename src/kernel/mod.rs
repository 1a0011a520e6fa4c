//! Kernels: execute a `Plan` on raw data pointers. This is where the
//! library's `unsafe` lives, next to the views in `ffi.rs`.

use core::ops::{Add, Mul};

use crate::error::Result;
use crate::plan::Plan;

/// The element types the library computes on.
pub trait Element:
    Copy + Send + Sync + 'static + PartialEq + Add<Output = Self> + Mul<Output = Self>
{
    /// +0.0: what every sum starts from.
    const ZERO: Self;
    /// Widens to f64 (exact).
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const ZERO: Self = 0.0;
    fn to_f64(self) -> f64 {
        self
    }
}

/// Executes `plan`.
///
/// # Safety
/// `plan` comes from `plan::build` on layouts that passed every check of
/// API.md for these very pointers: every element reached by
/// `x + x_off + loops·xs + i·x_ms + t·x_ks` (likewise y and out) lies inside
/// the caller's buffers, out does not overlap x or y, and out reaches no
/// element twice. `x` and `y` may be dangling only when `plan.k == 0`.
pub unsafe fn run<T: Element>(
    plan: &Plan,
    threads: usize,
    x: *const T,
    y: *const T,
    out: *mut T,
) -> Result<()> {
    let _ = threads;
    let total = plan.blocks();
    let mut idx = [0usize; crate::plan::MAX_LOOPS];
    let loops = &plan.loops[..plan.nloops];
    let (mut xo, mut yo, mut oo) = (plan.x_off, plan.y_off, plan.o_off);
    for _ in 0..total {
        // SAFETY: (xo, yo, oo) is the offset of one block of the plan, which
        // the caller guarantees lies inside the buffers.
        unsafe {
            block(
                plan,
                x.wrapping_offset(xo),
                y.wrapping_offset(yo),
                out.wrapping_offset(oo),
            )
        };
        // Odometer step, innermost loop first.
        for d in (0..loops.len()).rev() {
            let l = &loops[d];
            // Wrapping: one step past the last index may leave the
            // reached range; it is undone before any use.
            idx[d] += 1;
            xo = xo.wrapping_add(l.xs);
            yo = yo.wrapping_add(l.ys);
            oo = oo.wrapping_add(l.os);
            if idx[d] < l.ext {
                break;
            }
            let back = l.ext as isize;
            xo = xo.wrapping_sub(back.wrapping_mul(l.xs));
            yo = yo.wrapping_sub(back.wrapping_mul(l.ys));
            oo = oo.wrapping_sub(back.wrapping_mul(l.os));
            idx[d] = 0;
        }
    }
    Ok(())
}

/// One `m × n` block: a plain strided triple loop, summing each output in
/// ascending t from +0.0 without FMA.
///
/// # Safety
/// As `run`, for the block at these pointers.
unsafe fn block<T: Element>(p: &Plan, x: *const T, y: *const T, out: *mut T) {
    for i in 0..p.m {
        let xr = x.wrapping_offset(i as isize * p.x_ms);
        let orow = out.wrapping_offset(i as isize * p.o_ms);
        for j in 0..p.n {
            let yc = y.wrapping_offset(j as isize * p.y_ns);
            let mut acc = T::ZERO;
            for t in 0..p.k as isize {
                // SAFETY: (i, t) and (t, j) are elements of the block, inside
                // the buffers by the caller's guarantee.
                unsafe {
                    acc = acc + *xr.wrapping_offset(t * p.x_ks) * *yc.wrapping_offset(t * p.y_ks);
                }
            }
            // SAFETY: (i, j) is an output element of the block.
            unsafe { *orow.wrapping_offset(j as isize * p.o_ns) = acc };
        }
    }
}
