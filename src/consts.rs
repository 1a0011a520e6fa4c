//! Constants of the C API: limits, sentinels, versions and status codes.
//! Their values are ABI: never renumbered, never reused.

/// Largest number of dimensions a layout can describe (ABI: fixed once).
pub const BATCH_DOT_MAX_NDIM: usize = 16;

/// Keras's `axes=None`, when passed as both `axis_x` and `axis_y`.
/// Passing it for only one of the two axes is `BATCH_DOT_STATUS_INVALID_AXES`.
pub const BATCH_DOT_AXIS_DEFAULT: i64 = i64::MIN;

/// An extent that is not known yet (a dynamic batch, say). Accepted only by
/// `batch_dot_infer_shape`; everywhere else a negative extent is
/// `BATCH_DOT_STATUS_INVALID_SHAPE`.
pub const BATCH_DOT_DIM_UNKNOWN: i64 = -1;

/// Major version of the crate this header was generated from.
pub const BATCH_DOT_VERSION_MAJOR: u32 = 0;
/// Minor version of the crate this header was generated from.
pub const BATCH_DOT_VERSION_MINOR: u32 = 1;
/// Patch version of the crate this header was generated from.
pub const BATCH_DOT_VERSION_PATCH: u32 = 0;
/// ABI version: the SONAME suffix (`libbatch_dot.so.0`). Changes only when
/// the binary interface breaks.
pub const BATCH_DOT_ABI_VERSION: u32 = 0;

/// Success.
pub const BATCH_DOT_STATUS_OK: i32 = 0;
/// A required pointer is NULL (a data pointer may be NULL only when its
/// tensor has no elements).
pub const BATCH_DOT_STATUS_NULL_POINTER: i32 = 1;
/// An ndim outside 0..BATCH_DOT_MAX_NDIM, an input with ndim < 2, or a result
/// rank above BATCH_DOT_MAX_NDIM.
pub const BATCH_DOT_STATUS_INVALID_RANK: i32 = 2;
/// Only one of the two axes is BATCH_DOT_AXIS_DEFAULT, or an axis is out of
/// range for its tensor (below -rank included).
pub const BATCH_DOT_STATUS_INVALID_AXES: i32 = 3;
/// An axis, after normalising negatives, is 0: the batch axis.
pub const BATCH_DOT_STATUS_BATCH_AXIS: i32 = 4;
/// x.shape[0] != y.shape[0].
pub const BATCH_DOT_STATUS_BATCH_MISMATCH: i32 = 5;
/// x.shape[axis_x] != y.shape[axis_y].
pub const BATCH_DOT_STATUS_CONTRACTION_MISMATCH: i32 = 6;
/// A negative extent in a layout (BATCH_DOT_DIM_UNKNOWN is allowed only in
/// batch_dot_infer_shape).
pub const BATCH_DOT_STATUS_INVALID_SHAPE: i32 = 7;
/// The out layout's ndim or shape differs from the inferred one.
pub const BATCH_DOT_STATUS_OUTPUT_SHAPE: i32 = 8;
/// A layout reaches an element outside [0, len).
pub const BATCH_DOT_STATUS_OUT_OF_BOUNDS: i32 = 9;
/// An element count, or an offset a layout reaches (in bytes, too), does not
/// fit in int64.
pub const BATCH_DOT_STATUS_OVERFLOW: i32 = 10;
/// The out layout is not non-overlapping by construction, or its memory
/// overlaps x's or y's.
pub const BATCH_DOT_STATUS_ALIASING: i32 = 11;
/// A reserved field is nonzero, a len is negative, a struct_size is bad, or a
/// data pointer is not aligned for its element type.
pub const BATCH_DOT_STATUS_INVALID_ARGUMENT: i32 = 12;
/// Memory could not be obtained.
pub const BATCH_DOT_STATUS_ALLOCATION: i32 = 13;
/// A bug: a Rust panic was caught at the boundary.
pub const BATCH_DOT_STATUS_INTERNAL: i32 = 14;
