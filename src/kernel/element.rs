//! The element trait: what the kernels need of f32 and f64, and the entry
//! from a generic call into the kernels compiled for that type
//! (`dispatch.rs`).

use core::ops::{Add, Mul};

use super::dispatch;
use super::exec::Job;
use super::isa::Isa;

/// The element types the library computes on.
pub trait Element:
    Copy + Send + Sync + 'static + PartialEq + Add<Output = Self> + Mul<Output = Self>
{
    /// +0.0: what every sum starts from.
    const ZERO: Self;
    /// `v` rounded to this type (alpha and beta of the options).
    fn round_from_f64(v: f64) -> Self;
    /// Runs items `lo..hi` of `job` with the kernels of level `isa`.
    ///
    /// # Safety
    /// As `run`, for the job's plan and pointers; `isa` is supported by the
    /// CPU; `buf` is a private scratch buffer of `Job::buf_len()` elements
    /// when the job packs.
    #[doc(hidden)]
    unsafe fn exec_items(job: &Job<'_, Self>, isa: Isa, lo: usize, hi: usize, buf: *mut Self);
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    fn round_from_f64(v: f64) -> Self {
        v as f32
    }
    unsafe fn exec_items(job: &Job<'_, Self>, isa: Isa, lo: usize, hi: usize, buf: *mut Self) {
        // SAFETY: forwarded contract (a job with 16-bit inputs runs the
        // f32 kernels through `wide.rs`).
        unsafe {
            if let Some(ij) = job.int() {
                return dispatch::exec_int(job, ij, isa, lo, hi, buf);
            }
            match job.wide() {
                Some(w) => dispatch::exec_wide(job, w, isa, lo, hi, buf),
                None => dispatch::exec_f32(job, isa, lo, hi, buf),
            }
        }
    }
}

impl Element for f64 {
    const ZERO: Self = 0.0;
    fn round_from_f64(v: f64) -> Self {
        v
    }
    unsafe fn exec_items(job: &Job<'_, Self>, isa: Isa, lo: usize, hi: usize, buf: *mut Self) {
        // SAFETY: forwarded contract.
        unsafe { dispatch::exec_f64(job, isa, lo, hi, buf) }
    }
}
