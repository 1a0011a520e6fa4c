//! Constants of the C API: limits, sentinels, versions and status codes
//! (the last generated from the table in `status.rs`). Their values are ABI:
//! never renumbered, never reused.

/// Largest number of dimensions a layout can describe (ABI: fixed once).
pub const BATCH_DOT_MAX_NDIM: usize = 16;

/// Keras's `axes=None`, when passed as both `axis_x` and `axis_y`.
/// Passing it for only one of the two axes is `BATCH_DOT_STATUS_INVALID_AXES`.
pub const BATCH_DOT_AXIS_DEFAULT: i64 = i64::MIN;

/// An extent that is not known yet (a dynamic batch, say). Accepted only by
/// `batch_dot_infer_shape`; everywhere else a negative extent is
/// `BATCH_DOT_STATUS_INVALID_SHAPE`.
pub const BATCH_DOT_DIM_UNKNOWN: i64 = -1;

/// `batch_dot_options.flags`: apply `alpha` and `beta`,
/// `out = alpha*(x.y) + beta*out` (needs `struct_size` >= 32).
pub const BATCH_DOT_OPT_SCALE: u32 = 1;

/// dtype code of IEEE binary32 (`float`) elements. Codes are ABI: never
/// renumbered; 0 is no dtype.
pub const BATCH_DOT_DTYPE_F32: i32 = 1;
/// dtype code of IEEE binary64 (`double`) elements.
pub const BATCH_DOT_DTYPE_F64: i32 = 2;
/// dtype code of IEEE binary16 elements, stored as `uint16_t` bits.
pub const BATCH_DOT_DTYPE_F16: i32 = 3;
/// dtype code of bfloat16 elements (the top half of a binary32), stored as
/// `uint16_t` bits.
pub const BATCH_DOT_DTYPE_BF16: i32 = 4;
/// dtype code of `int8_t` elements.
pub const BATCH_DOT_DTYPE_S8: i32 = 5;
/// dtype code of `uint8_t` elements.
pub const BATCH_DOT_DTYPE_U8: i32 = 6;
/// dtype code of `int32_t` elements (integer results).
pub const BATCH_DOT_DTYPE_S32: i32 = 7;

/// Major version of the crate this header was generated from.
pub const BATCH_DOT_VERSION_MAJOR: u32 = 0;
/// Minor version of the crate this header was generated from.
pub const BATCH_DOT_VERSION_MINOR: u32 = 2;
/// Patch version of the crate this header was generated from.
pub const BATCH_DOT_VERSION_PATCH: u32 = 0;
/// ABI version: the SONAME suffix (`libbatch_dot.so.0`). Changes only when
/// the binary interface breaks.
pub const BATCH_DOT_ABI_VERSION: u32 = 0;

// The status codes, `BATCH_DOT_STATUS_*`, from the one table in `status.rs`.
macro_rules! status_consts {
    ($($(#[doc = $doc:literal])* $name:ident = $value:literal $(=> $($variant:ident),+)?;)*) => {
        $($(#[doc = $doc])* pub const $name: i32 = $value;)*
    };
}
crate::status::status_table!(status_consts);
