//! What a kernel does with a finished sum where it stores it (the
//! "epilogue"): store it as it is (`Plain`, the unscaled call), or
//! `alpha·sum + beta·out` (`Scaled`, `BATCH_DOT_OPT_SCALE`). The kernels are
//! generic over it, so the plain call compiles to exactly the code it had
//! before scaling existed, and the scaled call does its work where the
//! result is stored: no extra pass over out.
//!
//! Numerics of `Scaled` (in the element type, the accumulation type):
//! - the first (or only) block of K: `alpha·s` when `beta == 0` (out is not
//!   read), else `alpha·s + beta·out` (fused at the vector levels:
//!   `fma(alpha, s, beta·out)`);
//! - each later block of K (the GEMM adds its blocks' partial sums to out):
//!   `out + alpha·s` (fused at the vector levels).
//!
//! IEEE throughout: `alpha = 0` times a NaN or infinite sum is NaN, as in
//! the formula (BLAS skips the product then; this library does not).

use super::simd::Simd;
use super::Element;

/// What to do with a finished sum `v` at `p` (element or vector).
///
/// # Safety (every method)
/// `p` (the lanes of `m`, or `LANES` elements) is writable, and readable
/// when the method reads it; the CPU supports `S`.
pub(crate) trait Epi<T: Element>: Copy {
    /// Whether this is `Plain` (the kernels keep their plain epilogues).
    const PLAIN: bool;
    /// Whether `put` reads out (beta != 0).
    fn reads_out(self) -> bool;
    /// First block of K: `*p = f(v)`.
    unsafe fn put(self, p: *mut T, v: T);
    /// A later block of K: `*p = *p + g(v)`.
    unsafe fn add(self, p: *mut T, v: T);
    /// `put` for a full vector.
    unsafe fn put_v<S: Simd<T = T>>(self, p: *mut T, v: S::V);
    /// `put` for the lanes of `m`.
    unsafe fn put_vm<S: Simd<T = T>>(self, p: *mut T, v: S::V, m: S::M);
    /// `add` for a full vector.
    unsafe fn add_v<S: Simd<T = T>>(self, p: *mut T, v: S::V);
    /// `add` for the lanes of `m`.
    unsafe fn add_vm<S: Simd<T = T>>(self, p: *mut T, v: S::V, m: S::M);
}

/// The plain product: sums are stored as they are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plain;

/// `out = alpha·(x·y) + beta·out`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scaled<T> {
    pub alpha: T,
    pub beta: T,
}

impl<T: Element> Scaled<T> {
    /// From the options' doubles, rounded to the accumulation type.
    pub(crate) fn new(alpha: f64, beta: f64) -> Self {
        Scaled {
            alpha: T::round_from_f64(alpha),
            beta: T::round_from_f64(beta),
        }
    }
}

impl<T: Element> Epi<T> for Plain {
    const PLAIN: bool = true;
    #[inline(always)]
    fn reads_out(self) -> bool {
        false
    }
    #[inline(always)]
    unsafe fn put(self, p: *mut T, v: T) {
        // SAFETY: trait contract.
        unsafe { *p = v }
    }
    #[inline(always)]
    unsafe fn add(self, p: *mut T, v: T) {
        // SAFETY: trait contract.
        unsafe { *p = *p + v }
    }
    #[inline(always)]
    unsafe fn put_v<S: Simd<T = T>>(self, p: *mut T, v: S::V) {
        // SAFETY: trait contract.
        unsafe { S::store(p, v) }
    }
    #[inline(always)]
    unsafe fn put_vm<S: Simd<T = T>>(self, p: *mut T, v: S::V, m: S::M) {
        // SAFETY: trait contract.
        unsafe { S::store_m(p, v, m) }
    }
    #[inline(always)]
    unsafe fn add_v<S: Simd<T = T>>(self, p: *mut T, v: S::V) {
        // SAFETY: trait contract.
        unsafe { S::store(p, S::add(S::load(p), v)) }
    }
    #[inline(always)]
    unsafe fn add_vm<S: Simd<T = T>>(self, p: *mut T, v: S::V, m: S::M) {
        // SAFETY: trait contract.
        unsafe { S::store_m(p, S::add(S::load_m(p, m), v), m) }
    }
}

impl<T: Element> Epi<T> for Scaled<T> {
    const PLAIN: bool = false;
    #[inline(always)]
    fn reads_out(self) -> bool {
        self.beta != T::ZERO
    }
    #[inline(always)]
    unsafe fn put(self, p: *mut T, v: T) {
        // SAFETY: trait contract; out is read only when beta != 0.
        unsafe {
            *p = if !self.reads_out() {
                self.alpha * v
            } else {
                self.alpha * v + self.beta * *p
            }
        }
    }
    #[inline(always)]
    unsafe fn add(self, p: *mut T, v: T) {
        // SAFETY: trait contract.
        unsafe { *p = *p + self.alpha * v }
    }
    #[inline(always)]
    unsafe fn put_v<S: Simd<T = T>>(self, p: *mut T, v: S::V) {
        // SAFETY: trait contract; out is read only when beta != 0.
        unsafe {
            let a = S::bcast(&self.alpha);
            if !self.reads_out() {
                S::store(p, S::mul(a, v))
            } else {
                let b = S::bcast(&self.beta);
                S::store(p, S::fma(a, v, S::mul(b, S::load(p))))
            }
        }
    }
    #[inline(always)]
    unsafe fn put_vm<S: Simd<T = T>>(self, p: *mut T, v: S::V, m: S::M) {
        // SAFETY: trait contract; out is read only when beta != 0.
        unsafe {
            let a = S::bcast(&self.alpha);
            if !self.reads_out() {
                S::store_m(p, S::mul(a, v), m)
            } else {
                let b = S::bcast(&self.beta);
                S::store_m(p, S::fma(a, v, S::mul(b, S::load_m(p, m))), m)
            }
        }
    }
    #[inline(always)]
    unsafe fn add_v<S: Simd<T = T>>(self, p: *mut T, v: S::V) {
        // SAFETY: trait contract.
        unsafe { S::store(p, S::fma(S::bcast(&self.alpha), v, S::load(p))) }
    }
    #[inline(always)]
    unsafe fn add_vm<S: Simd<T = T>>(self, p: *mut T, v: S::V, m: S::M) {
        // SAFETY: trait contract.
        unsafe { S::store_m(p, S::fma(S::bcast(&self.alpha), v, S::load_m(p, m)), m) }
    }
}
