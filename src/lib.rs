//! libbatch_dot: Keras's `batch_dot` for f32 and f64 tensors of any strides,
//! behind a C ABI (`include/batch_dot.h`), by typed function or by dtype code.
//!
//! The C API is the product; its Rust items are re-exported here under their
//! C names so Rust tests, fuzzers and benchmarks call exactly what C calls.
//! Besides them the crate's public surface is `Error` (the structured error
//! behind every status) and, with the `ndarray` feature, the safe
//! [`ndarray`] API. Everything else is private (docs/DESIGN.md):
//! - `dtype`: dtype codes, their sizes and names, check 1b;
//! - `shape`: the semantics on shapes (axes, validation, result shape), pure;
//! - `layout`, `api`: the checks of docs/API.md on layouts and pointers, pure;
//! - `plan`: a validated call as loops around one strided matrix product;
//! - `kernel`: runs a plan (the `unsafe` code);
//! - `ffi`, `panic`, `last_error`: the thin C boundary.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod api;
mod consts;
pub mod dlpack;
mod dtype;
mod error;
mod ffi;
mod kernel;
mod last_error;
mod layout;
#[cfg(feature = "ndarray")]
pub mod ndarray;
mod panic;
mod plan;
mod shape;
mod status;
#[cfg(feature = "testing")]
pub mod testing;
mod threads;
mod types;

pub use consts::*;
pub use error::Error;
pub use ffi::*;
pub use types::*;
