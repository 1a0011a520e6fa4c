//! Kernels: execute a `Plan` on raw data pointers. This is where the
//! library's `unsafe` lives, next to the views in `ffi.rs`.
//!
//! How a call runs: `exec::run` classifies the plan (`select.rs`: the
//! regime, the orientation and the thread rule), allocates scratch memory
//! when B is packed, and hands items to the kernels of the active
//! instruction-set level (`isa.rs`), each regime compiled per level inside
//! one `#[target_feature]` function (`dispatch.rs`).
//!
//! The files, by job:
//! - `select.rs`: regime and thread rule (pure, unit-tested);
//! - `exec.rs`: scratch memory, threads, walking a job's items;
//! - `dispatch.rs`: the per-level entry points;
//! - `isa.rs`: instruction-set detection and `BATCH_DOT_FORCE_ISA`;
//! - `gemm.rs`: the microkernel and the blocked GEMM around it;
//! - `pack.rs`: packing B (and A tiles), transposes;
//! - `tiny.rs`: many small products, fixed-size kernels;
//! - `stream.rs`: row dots and mat-vec products;
//! - `scale.rs`: the epilogue that stores results (plain, or alpha/beta);
//! - `simd.rs`: vector primitives per level, prefetches;
//! - `element.rs`: the element trait (f32, f64);
//! - `half.rs`: bfloat16 and float16 conversions, per element and vector;
//! - `wide.rs`: calls with 16-bit inputs, converted into f32 tiles;
//! - `int8.rs`: int8 products (S8·S8, U8·S8 → S32), exact modulo 2³²;
//! - `bf16dp.rs`: the bfloat16 GEMM on `vdpbf16ps` (level `avx512bf16`);
//! - `amx.rs`: AMX tiles (level `amx`): configuration and microkernel;
//! - `bf16amx.rs`: the bfloat16 GEMM on AMX tiles;
//! - `tuning.rs`: every tuning constant.

#[cfg(target_arch = "x86_64")]
mod amx;
#[cfg(target_arch = "x86_64")]
mod bf16amx;
#[cfg(target_arch = "x86_64")]
mod bf16dp;
mod dispatch;
mod element;
mod exec;
mod gemm;
mod half;
mod int8;
pub(crate) mod isa;
mod pack;
mod scale;
mod select;
mod simd;
mod stream;
mod tiny;
mod tuning;
mod wide;

pub use element::Element;
#[cfg(feature = "testing")]
pub use exec::run_at;
#[cfg(test)]
pub use exec::run_with;
pub use exec::{run, run_int_at, run_wide_at};
pub use half::{Half, OutTy, Wide};
