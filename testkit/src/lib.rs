//! The test kit of libbatch_dot: what a correct result is, stated once, for
//! the Rust tests (`tests/`), the fuzz targets (`fuzz/`) and the benchmark
//! (`benches/`).
//!
//! - [`reference`](mod@reference): the one naive reference, `batch_dot` by its definition
//!   (docs/SEMANTICS.md §1) in a loop over logical indices, in f64, with the
//!   one error bound (docs/SEMANTICS.md §6) and its NaN, Inf and zero rules;
//! - [`oracle`]: the one independent status oracle, docs/API.md's check order
//!   and docs/SEMANTICS.md §2-§3 restated in i128 arithmetic; it predicts the
//!   status (and result shape) of every call;
//! - [`layouts`]: building layouts by hand, the one random layout generator
//!   (permuted, padded, reversed, offset, broadcast, junk strides), and
//!   putting logical tensors into buffers through a layout and back;
//! - [`elem`]: the element types under test (f32, f64) with their C entry
//!   points, bit patterns and the "not written" sentinel;
//! - [`int8`]: the integer rows (int8 · int8 and uint8 · int8 into
//!   int32): the exact reference (i64, then modulo 2^32), bit-for-bit
//!   checks, the int32 alpha/beta rule, random and extreme inputs;
//! - [`lowp`]: bfloat16 and float16, converted and rounded independently of
//!   the library, the reference on 16-bit inputs and the checks of f32 and
//!   16-bit outputs (docs/API.md, "Element types (version 0.2)");
//! - [`rng`]: the deterministic PRNG (SplitMix64) and the randomness source
//!   the layout generator draws from;
//! - [`calls`]: small safe wrappers of C-ABI calls the tests make often.
//!
//! Independence: nothing in [`reference`](mod@reference), [`oracle`], [`lowp`], [`int8`] or [`layouts`] calls
//! the library. They use only its C types (`batch_dot_layout`) and constants;
//! the axes, result shape and statuses are computed here from the contract,
//! so a bug in the library's checks or kernels cannot hide in its own
//! reference. [`elem`] and [`calls`] call the C ABI: that is what is tested.

pub mod calls;
pub mod dlpack;
pub mod elem;
pub mod int8;
pub mod layouts;
pub mod lowp;
pub mod oracle;
pub mod reference;
pub mod rng;

pub use elem::TestElem;
pub use rng::{Entropy, SplitMix64};
