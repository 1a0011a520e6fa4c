//! The status table: every status of the C API, once, with its value, its
//! documentation and the `Error` variants that map to it. A new status is
//! one row here (plus its variants in `error.rs`).
//!
//! `status_table!(then)` calls the macro `then!` with the rows, each
//! `/// doc` then `NAME = value;` or `NAME = value => Variant, ...;`.
//! Three readers expand it:
//! - `consts.rs`: the `BATCH_DOT_STATUS_*` constants, with these docs;
//! - `error.rs`: `Error::status()` (a variant without a row, or a row naming
//!   a variant that does not exist, does not compile);
//! - `ffi.rs`: the names `batch_dot_status_string` returns.
//!
//! cbindgen does not expand macros, so `tests/header.rs` compiles this file
//! too and writes the table's `#define`s into `include/batch_dot.h`. This
//! file therefore holds the table alone and names nothing else in the crate.
//!
//! Values are ABI: never renumbered, never reused.

macro_rules! status_table {
    ($then:ident) => {
        $then! {
            /// Success.
            BATCH_DOT_STATUS_OK = 0;
            /// A required pointer is NULL (a data pointer may be NULL only when its
            /// tensor has no elements).
            BATCH_DOT_STATUS_NULL_POINTER = 1 =>
                NullArgument, NullShape, NullLayout, NullData, NullTensor;
            /// An ndim outside 0..BATCH_DOT_MAX_NDIM, an input with ndim < 2, or a result
            /// rank above BATCH_DOT_MAX_NDIM.
            BATCH_DOT_STATUS_INVALID_RANK = 2 => NdimOutOfRange, InputRank, ResultRank;
            /// Only one of the two axes is BATCH_DOT_AXIS_DEFAULT, or an axis is out of
            /// range for its tensor (below -rank included).
            BATCH_DOT_STATUS_INVALID_AXES = 3 => LoneDefaultAxis, AxisOutOfRange;
            /// An axis, after normalising negatives, is 0: the batch axis.
            BATCH_DOT_STATUS_BATCH_AXIS = 4 => BatchAxis;
            /// x.shape[0] != y.shape[0].
            BATCH_DOT_STATUS_BATCH_MISMATCH = 5 => BatchMismatch;
            /// x.shape[axis_x] != y.shape[axis_y].
            BATCH_DOT_STATUS_CONTRACTION_MISMATCH = 6 => ContractionMismatch;
            /// A negative extent in a layout (BATCH_DOT_DIM_UNKNOWN is allowed only in
            /// batch_dot_infer_shape).
            BATCH_DOT_STATUS_INVALID_SHAPE = 7 => NegativeExtent;
            /// The out layout's ndim or shape differs from the inferred one.
            BATCH_DOT_STATUS_OUTPUT_SHAPE = 8 => OutputShape;
            /// A layout reaches an element outside [0, len).
            BATCH_DOT_STATUS_OUT_OF_BOUNDS = 9 => OutOfBounds;
            /// An element count, or an offset a layout reaches (in bytes, too), does not
            /// fit in int64.
            BATCH_DOT_STATUS_OVERFLOW = 10 =>
                CountOverflow, ReachOverflow, PackedStridesOverflow, PackedCountOverflow;
            /// The out layout is not non-overlapping by construction, or its memory
            /// overlaps x's or y's.
            BATCH_DOT_STATUS_ALIASING = 11 => OverlappingOut, SharedMemory;
            /// A reserved field is nonzero, a len is negative, a struct_size is bad, a
            /// scaled call with an int32 output has alpha != 1 or beta not 0 or 1, or a
            /// data pointer is not aligned for its element type.
            BATCH_DOT_STATUS_INVALID_ARGUMENT = 12 =>
                LayoutFlags, NegativeLen, OptionsSizeBelow, OptionsSizeAbove, OptionsFlags,
                OptionsUnknown, OptionsScaleShort, IntAlpha, IntBeta, Misaligned,
                DlpackDevice, DlpackByteOffset, DlpackAddress;
            /// Memory could not be obtained.
            BATCH_DOT_STATUS_ALLOCATION = 13 => Allocation;
            /// A bug: a Rust panic was caught at the boundary.
            BATCH_DOT_STATUS_INTERNAL = 14 => Internal;
            /// An unknown dtype code, or a combination of x, y and out dtypes that is
            /// not in the table of supported combinations (or not in this build).
            BATCH_DOT_STATUS_UNSUPPORTED_DTYPE = 15 =>
                UnknownDtype, UnsupportedDtypes, DtypesNotBuilt, DlpackDtype;
        }
    };
}
pub(crate) use status_table;
