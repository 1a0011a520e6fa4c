//! The library's error type. Each variant carries the values that describe
//! what was rejected; its `Display` is the message, in Keras's manner, that
//! `batch_dot_last_error_message` returns, and `status()` (generated from the
//! table in `status.rs`) is the C status. Messages are part of the contract
//! C callers see: the tests pin them byte for byte.
//!
//! Names (`name`, `arg`) are the C API's: a tensor is "x", "y" or "out" (or
//! "layout" in `batch_dot_layout_init_contiguous`), an argument is spelled as
//! in the C prototype. Shapes hold `BATCH_DOT_DIM_UNKNOWN` (-1) for an
//! unknown extent, shown as `None`.

use crate::api::{OPTIONS_MAX_SIZE, OPTIONS_V1_SIZE, OPTIONS_V2_SIZE};
use crate::consts::*;
use crate::shape::{AxisArg, Ints, Tuple};

/// A failed call: a message in Keras's manner that names the argument and
/// its values (`Display`), and the C status it maps to (`status()`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
// An 8-byte tag: every C call returns a `Result<(), Error>` through the panic
// boundary, which reads the tag back as 8 bytes; written as 1 byte (the
// default), that read cannot be store-forwarded and costs every call a stall.
#[repr(u64)]
pub enum Error {
    // BATCH_DOT_STATUS_NULL_POINTER
    /// A required pointer argument (`out_ndim`, `out_shape`, `layout`) is NULL.
    #[error("{arg} is NULL.")]
    NullArgument {
        /// The argument.
        arg: &'static str,
    },
    /// An extents pointer is NULL while its ndim is positive.
    #[error("{arg} is NULL, but ndim = {ndim}.")]
    NullShape {
        /// The argument (`x_shape`, `y_shape`, `shape`).
        arg: &'static str,
        /// The ndim passed with it.
        ndim: i32,
    },
    /// A layout pointer of a compute call is NULL.
    #[error("{name} is NULL: a layout is required.")]
    NullLayout {
        /// The tensor.
        name: &'static str,
    },
    /// The data pointer of a tensor with elements is NULL.
    #[error("{name}_data is NULL, but {name} has shape {} ({count} elements).", Tuple(.shape))]
    NullData {
        /// The tensor.
        name: &'static str,
        /// Its shape.
        shape: Box<[i64]>,
        /// Its number of elements.
        count: i64,
    },

    // BATCH_DOT_STATUS_INVALID_RANK
    /// An ndim outside `0..=BATCH_DOT_MAX_NDIM`.
    #[error("{arg} = {ndim} is outside 0..{max} (BATCH_DOT_MAX_NDIM).", max = BATCH_DOT_MAX_NDIM)]
    NdimOutOfRange {
        /// The argument (`x.ndim`, `x_ndim`, ...).
        arg: &'static str,
        /// The value passed.
        ndim: i64,
    },
    /// An input of rank below 2 (Keras's error).
    #[error(
        "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {} and {}.",
        Tuple(.x),
        Tuple(.y)
    )]
    InputRank {
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
    },
    /// The result would have more than `BATCH_DOT_MAX_NDIM` dimensions.
    #[error(
        "batch_dot of inputs with shapes {} and {} with axes=[{axis_x}, {axis_y}] has rank \
         {rank}, above BATCH_DOT_MAX_NDIM ({max}).",
        Tuple(.x),
        Tuple(.y),
        max = BATCH_DOT_MAX_NDIM
    )]
    ResultRank {
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
        /// The normalised axis of x.
        axis_x: usize,
        /// The normalised axis of y.
        axis_y: usize,
        /// The rank the result would have.
        rank: usize,
    },

    // BATCH_DOT_STATUS_INVALID_AXES
    /// `BATCH_DOT_AXIS_DEFAULT` for one axis only.
    #[error(
        "Invalid axes: axis_x = {} and axis_y = {}. Pass BATCH_DOT_AXIS_DEFAULT for both axes \
         (Keras's axes=None) or for neither.",
        AxisArg(*.axis_x),
        AxisArg(*.axis_y)
    )]
    LoneDefaultAxis {
        /// The axis of x, as passed.
        axis_x: i64,
        /// The axis of y, as passed.
        axis_y: i64,
    },
    /// An axis outside `1..rank` after normalising (Keras's error).
    #[error(
        "Invalid axes for inputs with shapes {} and {}: {arg} = {axis} is out of range for a \
         tensor of rank {rank} (valid: 1..{top} or -{top}..-1).",
        Tuple(.x),
        Tuple(.y),
        top = .rank - 1
    )]
    AxisOutOfRange {
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
        /// The axis argument (`axis_x` or `axis_y`).
        arg: &'static str,
        /// Its value, as passed.
        axis: i64,
        /// The rank of its tensor.
        rank: usize,
    },

    // BATCH_DOT_STATUS_BATCH_AXIS
    /// An axis is 0 after normalising (Keras's error).
    #[error(
        "Cannot perform batch_dot over axis 0 (axes=[{normalised_x}, {normalised_y}] after \
         normalising axis_x = {} and axis_y = {}, for inputs with shapes {} and {}). If your \
         inputs are not batched, add a dummy batch dimension to your inputs.",
        AxisArg(*.axis_x),
        AxisArg(*.axis_y),
        Tuple(.x),
        Tuple(.y)
    )]
    BatchAxis {
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
        /// The axis of x, as passed.
        axis_x: i64,
        /// The axis of y, as passed.
        axis_y: i64,
        /// The axis of x after normalising.
        normalised_x: i64,
        /// The axis of y after normalising.
        normalised_y: i64,
    },

    // BATCH_DOT_STATUS_BATCH_MISMATCH
    /// `x.shape[0] != y.shape[0]` (Keras's error).
    #[error(
        "Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes \
         {} and {}.",
        Tuple(.x),
        Tuple(.y)
    )]
    BatchMismatch {
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
    },

    // BATCH_DOT_STATUS_CONTRACTION_MISMATCH
    /// `x.shape[axis_x] != y.shape[axis_y]` (Keras's error).
    #[error(
        "Cannot do batch_dot on inputs with shapes {} and {} with axes=[{axis_x}, {axis_y}]. \
         x.shape[{axis_x}] != y.shape[{axis_y}] ({extent_x} != {extent_y}).",
        Tuple(.x),
        Tuple(.y)
    )]
    ContractionMismatch {
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
        /// The normalised axis of x.
        axis_x: usize,
        /// The normalised axis of y.
        axis_y: usize,
        /// `x.shape[axis_x]`.
        extent_x: i64,
        /// `y.shape[axis_y]`.
        extent_y: i64,
    },

    // BATCH_DOT_STATUS_INVALID_SHAPE
    /// A negative extent (other than `BATCH_DOT_DIM_UNKNOWN` where allowed).
    #[error(
        "{name}.shape[{index}] = {extent} in {name}.shape = {}: {}.",
        crate::shape::tuple(.shape, *.unknown_allowed),
        allowed_extents(*.unknown_allowed)
    )]
    NegativeExtent {
        /// The tensor (or `shape` in `batch_dot_layout_init_contiguous`).
        name: &'static str,
        /// The dimension.
        index: usize,
        /// Its extent.
        extent: i64,
        /// The whole shape.
        shape: Box<[i64]>,
        /// Whether `BATCH_DOT_DIM_UNKNOWN` was allowed (shape inference).
        unknown_allowed: bool,
    },

    // BATCH_DOT_STATUS_OUTPUT_SHAPE
    /// The out layout's shape is not the result's.
    #[error(
        "out has shape {} (ndim {}), but batch_dot of inputs with shapes {} and {} with \
         axes=[{axis_x}, {axis_y}] has shape {} (ndim {}).",
        Tuple(.out),
        .out.len(),
        Tuple(.x),
        Tuple(.y),
        Tuple(.expected),
        .expected.len()
    )]
    OutputShape {
        /// out's shape.
        out: Box<[i64]>,
        /// x's shape.
        x: Box<[i64]>,
        /// y's shape.
        y: Box<[i64]>,
        /// The normalised axis of x.
        axis_x: usize,
        /// The normalised axis of y.
        axis_y: usize,
        /// The result's shape.
        expected: Box<[i64]>,
    },

    // BATCH_DOT_STATUS_OUT_OF_BOUNDS
    /// A layout reaches an element outside `[0, len)`.
    #[error(
        "{name} reaches elements {lo}..={hi} (offset {offset}, shape {}, strides {}), outside \
         [0, {name}.len) = [0, {len}).",
        Tuple(.shape),
        Ints(.strides)
    )]
    OutOfBounds {
        /// The tensor.
        name: &'static str,
        /// Lowest element index reached.
        lo: i64,
        /// Highest element index reached.
        hi: i64,
        /// The layout's offset.
        offset: i64,
        /// The layout's shape.
        shape: Box<[i64]>,
        /// The layout's strides.
        strides: Box<[i64]>,
        /// The layout's len.
        len: i64,
    },

    // BATCH_DOT_STATUS_OVERFLOW
    /// A tensor's element count does not fit in int64.
    #[error(
        "The number of elements of {name}, shape {}, does not fit in int64.",
        Tuple(.shape)
    )]
    CountOverflow {
        /// The tensor ("x", "y", "out", or "the result").
        name: &'static str,
        /// Its shape.
        shape: Box<[i64]>,
    },
    /// The element offsets a layout reaches do not fit in int64, as elements
    /// or as bytes.
    #[error(
        "{name} reaches element offsets {} (offset {offset}, shape {}, strides {}), which do \
         not fit in int64 as elements or as bytes.",
        Offsets(*.offset, .shape, .strides),
        Tuple(.shape),
        Ints(.strides)
    )]
    ReachOverflow {
        /// The tensor.
        name: &'static str,
        /// The layout's offset.
        offset: i64,
        /// The layout's shape.
        shape: Box<[i64]>,
        /// The layout's strides.
        strides: Box<[i64]>,
    },
    /// The strides of a packed layout do not fit in int64.
    #[error(
        "The strides of a packed layout of shape {} do not fit in int64.",
        Tuple(.shape)
    )]
    PackedStridesOverflow {
        /// The shape.
        shape: Box<[i64]>,
    },
    /// The element count of a packed layout does not fit in int64.
    #[error("The number of elements of shape {} does not fit in int64.", Tuple(.shape))]
    PackedCountOverflow {
        /// The shape.
        shape: Box<[i64]>,
    },

    // BATCH_DOT_STATUS_ALIASING
    /// The out layout can reach an element twice.
    #[error(
        "{name} with shape {} and strides {} can write an element twice: it is not \
         non-overlapping by construction.",
        Tuple(.shape),
        Ints(.strides)
    )]
    OverlappingOut {
        /// The tensor.
        name: &'static str,
        /// Its shape.
        shape: Box<[i64]>,
        /// Its strides.
        strides: Box<[i64]>,
    },
    /// out's bytes overlap an input's.
    #[error(
        "out's memory (bytes {:#x}..={:#x}) overlaps {input}'s (bytes {:#x}..={:#x}): out must \
         not share memory with an input.",
        .out_bytes.0,
        .out_bytes.1,
        .input_bytes.0,
        .input_bytes.1
    )]
    SharedMemory {
        /// The input ("x" or "y").
        input: &'static str,
        /// out's first and last byte addresses.
        out_bytes: (i128, i128),
        /// The input's first and last byte addresses.
        input_bytes: (i128, i128),
    },

    // BATCH_DOT_STATUS_INVALID_ARGUMENT
    /// A layout's reserved `flags` is nonzero.
    #[error("{name}.flags = {flags:#x}: reserved, must be 0.")]
    LayoutFlags {
        /// The tensor.
        name: &'static str,
        /// The flags.
        flags: u32,
    },
    /// A layout's `len` is negative.
    #[error("{name}.len = {len}: must be >= 0.")]
    NegativeLen {
        /// The tensor.
        name: &'static str,
        /// The len.
        len: i64,
    },
    /// `options->struct_size` is below the first version's size.
    #[error(
        "options->struct_size = {struct_size} is below {v1}, the size of the first \
         batch_dot_options; fill options with batch_dot_options_init().",
        v1 = OPTIONS_V1_SIZE
    )]
    OptionsSizeBelow {
        /// The struct_size.
        struct_size: usize,
    },
    /// `options->struct_size` is above the largest accepted.
    #[error("options->struct_size = {struct_size} is above {max}.", max = OPTIONS_MAX_SIZE)]
    OptionsSizeAbove {
        /// The struct_size.
        struct_size: usize,
    },
    /// `options->flags` has a bit other than `BATCH_DOT_OPT_SCALE`.
    #[error(
        "options->flags = {flags:#x}: only BATCH_DOT_OPT_SCALE (0x1) is defined, the other bits \
         are reserved and must be 0."
    )]
    OptionsFlags {
        /// The flags.
        flags: u32,
    },
    /// A byte of the options past the fields this version knows is nonzero.
    #[error(
        "options->struct_size = {struct_size} and a byte past the {known} bytes it covers of \
         the fields this library knows is nonzero: an option this version does not support \
         was set.",
        known = if *struct_size < OPTIONS_V2_SIZE { OPTIONS_V1_SIZE } else { OPTIONS_V2_SIZE }
    )]
    OptionsUnknown {
        /// The struct_size.
        struct_size: usize,
    },
    /// `BATCH_DOT_OPT_SCALE` with a `struct_size` that does not cover
    /// `alpha` and `beta`.
    #[error(
        "options->flags has BATCH_DOT_OPT_SCALE but options->struct_size = {struct_size} does \
         not cover alpha and beta (it must be at least {v2}).",
        v2 = OPTIONS_V2_SIZE
    )]
    OptionsScaleShort {
        /// The struct_size.
        struct_size: usize,
    },
    /// A scaled call with an integer output and an alpha other than 1.
    #[error(
        "options->alpha = {}: an int32 output takes alpha = 1 only.",
        f64::from_bits(*alpha)
    )]
    IntAlpha {
        /// The alpha's bits.
        alpha: u64,
    },
    /// A scaled call with an integer output and a beta other than 0 or 1.
    #[error(
        "options->beta = {}: an int32 output takes beta = 0 or 1 only.",
        f64::from_bits(*beta)
    )]
    IntBeta {
        /// The beta's bits.
        beta: u64,
    },
    /// A data pointer is not aligned for its element type.
    #[error("{name}_data = {addr:#x} is not aligned to {align} bytes.")]
    Misaligned {
        /// The tensor.
        name: &'static str,
        /// The address.
        addr: usize,
        /// The alignment required.
        align: usize,
    },

    // BATCH_DOT_STATUS_UNSUPPORTED_DTYPE
    /// A dtype argument of `batch_dot_compute` is not a dtype code.
    #[error(
        "{arg} = {code} is not a dtype code (BATCH_DOT_DTYPE_F32 = 1 to BATCH_DOT_DTYPE_S32 = 7)."
    )]
    UnknownDtype {
        /// The argument (`x_dtype`, `y_dtype`, `out_dtype`).
        arg: &'static str,
        /// The code passed.
        code: i32,
    },
    /// Three known dtypes whose combination is not in the table of
    /// docs/API.md.
    #[error(
        "the combination (x {}, y {}, out {}) is not supported; supported: {}.",
        crate::dtype::name(*.x),
        crate::dtype::name(*.y),
        crate::dtype::name(*.out),
        crate::dtype::supported_list()
    )]
    UnsupportedDtypes {
        /// x's dtype code.
        x: i32,
        /// y's dtype code.
        y: i32,
        /// out's dtype code.
        out: i32,
    },
    /// A combination of the table of docs/API.md that this build does not
    /// run yet.
    #[error(
        "the combination (x {}, y {}, out {}) is not supported by this build of \
         libbatch_dot ({}); supported: {}.",
        crate::dtype::name(*.x),
        crate::dtype::name(*.y),
        crate::dtype::name(*.out),
        env!("CARGO_PKG_VERSION"),
        crate::dtype::supported_list()
    )]
    DtypesNotBuilt {
        /// x's dtype code.
        x: i32,
        /// y's dtype code.
        y: i32,
        /// out's dtype code.
        out: i32,
    },

    // batch_dot_dlpack (src/dlpack.rs): DLPack's own checks, statuses
    // NULL_POINTER, UNSUPPORTED_DTYPE and INVALID_ARGUMENT.
    /// A `DLTensor` pointer of `batch_dot_dlpack` is NULL.
    #[error("{name} is NULL: a DLTensor is required.")]
    NullTensor {
        /// The tensor.
        name: &'static str,
    },
    /// A DLPack dtype that maps to no dtype code.
    #[error(
        "{name}.dtype = {{code={code}, bits={bits}, lanes={lanes}}} is not a DLPack dtype \
         batch_dot_dlpack takes: {{kDLFloat, 16|32|64, 1}}, {{kDLBfloat, 16, 1}}, \
         {{kDLInt, 8|32, 1}}, {{kDLUInt, 8, 1}}."
    )]
    DlpackDtype {
        /// The tensor.
        name: &'static str,
        /// `dtype.code`.
        code: u8,
        /// `dtype.bits`.
        bits: u8,
        /// `dtype.lanes`.
        lanes: u16,
    },
    /// A `DLTensor` whose device is not host memory.
    #[error(
        "{name}.device.device_type = {device_type}: batch_dot_dlpack reads host memory only \
         (kDLCPU = 1 or kDLCUDAHost = 3)."
    )]
    DlpackDevice {
        /// The tensor.
        name: &'static str,
        /// `device.device_type`.
        device_type: i32,
    },
    /// A `DLTensor` whose `data + byte_offset` is not an address.
    #[error(
        "{name}.byte_offset = {byte_offset} with {name}.data = {data:#x}: element \
         [0, ..., 0] has no address (byte_offset must be at most INT64_MAX and \
         data + byte_offset at most UINTPTR_MAX)."
    )]
    DlpackByteOffset {
        /// The tensor.
        name: &'static str,
        /// `data`, as an address.
        data: usize,
        /// `byte_offset`.
        byte_offset: u64,
    },
    /// A `DLTensor` that reaches bytes below address 0 or above the last.
    #[error(
        "{name} reaches elements {lo}..={hi} of {size} bytes from {name}.data + \
         {name}.byte_offset = {base:#x}: outside the address space."
    )]
    DlpackAddress {
        /// The tensor.
        name: &'static str,
        /// `data + byte_offset`.
        base: usize,
        /// Lowest element offset reached (from element [0, ..., 0]).
        lo: i64,
        /// Highest element offset reached.
        hi: i64,
        /// Bytes per element.
        size: usize,
    },

    // BATCH_DOT_STATUS_ALLOCATION
    /// Memory could not be obtained (free text: what was being allocated).
    #[error("{0}")]
    Allocation(String),

    // BATCH_DOT_STATUS_INTERNAL
    /// A bug (free text).
    #[error("{0}")]
    Internal(String),
}

/// `lo..=hi`: the element offsets a layout reaches.
struct Offsets<'a>(i64, &'a [i64], &'a [i64]);

impl core::fmt::Display for Offsets<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (lo, hi) = crate::layout::span(self.0, self.1, self.2);
        write!(f, "{lo}..={hi}")
    }
}

/// The end of a `NegativeExtent` message.
fn allowed_extents(unknown_allowed: bool) -> &'static str {
    if unknown_allowed {
        "extents must be >= 0, or BATCH_DOT_DIM_UNKNOWN (-1)"
    } else {
        "extents must be >= 0"
    }
}

// `Error::status()`, from the table in `status.rs`.
macro_rules! error_status {
    ($($(#[doc = $doc:literal])* $name:ident = $value:literal $(=> $($variant:ident),+)?;)*) => {
        impl Error {
            /// The C status code of this error (never `BATCH_DOT_STATUS_OK`).
            pub fn status(&self) -> i32 {
                match self {
                    $($($(Error::$variant { .. } => $name,)+)?)*
                }
            }
        }
    };
}
crate::status::status_table!(error_status);

/// Result of the library's internal operations.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every variant, its status and its message, byte for
    /// byte as C callers have always read it.
    #[test]
    fn messages_and_statuses() {
        let v = |s: &[i64]| Box::<[i64]>::from(s);
        let cases: Vec<(Error, i32, &str)> = vec![
            (
                Error::NullArgument { arg: "out_ndim" },
                BATCH_DOT_STATUS_NULL_POINTER,
                "out_ndim is NULL.",
            ),
            (
                Error::NullShape {
                    arg: "x_shape",
                    ndim: 2,
                },
                BATCH_DOT_STATUS_NULL_POINTER,
                "x_shape is NULL, but ndim = 2.",
            ),
            (
                Error::NullLayout { name: "y" },
                BATCH_DOT_STATUS_NULL_POINTER,
                "y is NULL: a layout is required.",
            ),
            (
                Error::NullData {
                    name: "x",
                    shape: v(&[2, 3, 4]),
                    count: 24,
                },
                BATCH_DOT_STATUS_NULL_POINTER,
                "x_data is NULL, but x has shape (2, 3, 4) (24 elements).",
            ),
            (
                Error::NdimOutOfRange {
                    arg: "x.ndim",
                    ndim: 17,
                },
                BATCH_DOT_STATUS_INVALID_RANK,
                "x.ndim = 17 is outside 0..16 (BATCH_DOT_MAX_NDIM).",
            ),
            (
                Error::InputRank {
                    x: v(&[3]),
                    y: v(&[3, 4]),
                },
                BATCH_DOT_STATUS_INVALID_RANK,
                "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes (3,) \
                 and (3, 4).",
            ),
            (
                Error::ResultRank {
                    x: v(&[1; 16]),
                    y: v(&[1; 3]),
                    axis_x: 1,
                    axis_y: 2,
                    rank: 17,
                },
                BATCH_DOT_STATUS_INVALID_RANK,
                "batch_dot of inputs with shapes (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1) \
                 and (1, 1, 1) with axes=[1, 2] has rank 17, above BATCH_DOT_MAX_NDIM (16).",
            ),
            (
                Error::LoneDefaultAxis {
                    axis_x: BATCH_DOT_AXIS_DEFAULT,
                    axis_y: 1,
                },
                BATCH_DOT_STATUS_INVALID_AXES,
                "Invalid axes: axis_x = BATCH_DOT_AXIS_DEFAULT and axis_y = 1. Pass \
                 BATCH_DOT_AXIS_DEFAULT for both axes (Keras's axes=None) or for neither.",
            ),
            (
                Error::AxisOutOfRange {
                    x: v(&[3, 4, 5]),
                    y: v(&[3, 5, 5]),
                    arg: "axis_y",
                    axis: -5,
                    rank: 3,
                },
                BATCH_DOT_STATUS_INVALID_AXES,
                "Invalid axes for inputs with shapes (3, 4, 5) and (3, 5, 5): axis_y = -5 is out \
                 of range for a tensor of rank 3 (valid: 1..2 or -2..-1).",
            ),
            (
                Error::BatchAxis {
                    x: v(&[3, 4, 5]),
                    y: v(&[3, 4]),
                    axis_x: -3,
                    axis_y: -2,
                    normalised_x: 0,
                    normalised_y: 0,
                },
                BATCH_DOT_STATUS_BATCH_AXIS,
                "Cannot perform batch_dot over axis 0 (axes=[0, 0] after normalising axis_x = -3 \
                 and axis_y = -2, for inputs with shapes (3, 4, 5) and (3, 4)). If your inputs \
                 are not batched, add a dummy batch dimension to your inputs.",
            ),
            (
                Error::BatchMismatch {
                    x: v(&[3, 4]),
                    y: v(&[5, 4]),
                },
                BATCH_DOT_STATUS_BATCH_MISMATCH,
                "Cannot do batch_dot on inputs with different batch sizes. Received inputs with \
                 shapes (3, 4) and (5, 4).",
            ),
            (
                Error::ContractionMismatch {
                    x: v(&[-1, 4, 5]),
                    y: v(&[3, 6, -1]),
                    axis_x: 2,
                    axis_y: 1,
                    extent_x: 5,
                    extent_y: 6,
                },
                BATCH_DOT_STATUS_CONTRACTION_MISMATCH,
                "Cannot do batch_dot on inputs with shapes (None, 4, 5) and (3, 6, None) with \
                 axes=[2, 1]. x.shape[2] != y.shape[1] (5 != 6).",
            ),
            (
                Error::NegativeExtent {
                    name: "x",
                    index: 1,
                    extent: -2,
                    shape: v(&[3, -2]),
                    unknown_allowed: true,
                },
                BATCH_DOT_STATUS_INVALID_SHAPE,
                "x.shape[1] = -2 in x.shape = (3, -2): extents must be >= 0, or \
                 BATCH_DOT_DIM_UNKNOWN (-1).",
            ),
            (
                Error::NegativeExtent {
                    name: "y",
                    index: 1,
                    extent: -1,
                    shape: v(&[2, -1, 5]),
                    unknown_allowed: false,
                },
                BATCH_DOT_STATUS_INVALID_SHAPE,
                "y.shape[1] = -1 in y.shape = (2, -1, 5): extents must be >= 0.",
            ),
            (
                Error::OutputShape {
                    out: v(&[2, 15]),
                    x: v(&[2, 3, 4]),
                    y: v(&[2, 4, 5]),
                    axis_x: 2,
                    axis_y: 1,
                    expected: v(&[2, 3, 5]),
                },
                BATCH_DOT_STATUS_OUTPUT_SHAPE,
                "out has shape (2, 15) (ndim 2), but batch_dot of inputs with shapes (2, 3, 4) \
                 and (2, 4, 5) with axes=[2, 1] has shape (2, 3, 5) (ndim 3).",
            ),
            (
                Error::OutOfBounds {
                    name: "x",
                    lo: -9,
                    hi: 14,
                    offset: 3,
                    shape: v(&[2, 3, 4]),
                    strides: v(&[-12, 4, 1]),
                    len: 24,
                },
                BATCH_DOT_STATUS_OUT_OF_BOUNDS,
                "x reaches elements -9..=14 (offset 3, shape (2, 3, 4), strides (-12, 4, 1)), \
                 outside [0, x.len) = [0, 24).",
            ),
            (
                Error::CountOverflow {
                    name: "the result",
                    shape: v(&[2, 1 << 40, 1 << 40]),
                },
                BATCH_DOT_STATUS_OVERFLOW,
                "The number of elements of the result, shape (2, 1099511627776, 1099511627776), \
                 does not fit in int64.",
            ),
            (
                Error::ReachOverflow {
                    name: "y",
                    offset: 0,
                    shape: v(&[2, 2]),
                    strides: v(&[-2305843009213693952, 1]),
                },
                BATCH_DOT_STATUS_OVERFLOW,
                "y reaches element offsets -2305843009213693952..=1 (offset 0, shape (2, 2), \
                 strides (-2305843009213693952, 1)), which do not fit in int64 as elements or \
                 as bytes.",
            ),
            (
                Error::PackedStridesOverflow {
                    shape: v(&[2, 1 << 62, 4]),
                },
                BATCH_DOT_STATUS_OVERFLOW,
                "The strides of a packed layout of shape (2, 4611686018427387904, 4) do not fit \
                 in int64.",
            ),
            (
                Error::PackedCountOverflow {
                    shape: v(&[1 << 32, 1 << 31]),
                },
                BATCH_DOT_STATUS_OVERFLOW,
                "The number of elements of shape (4294967296, 2147483648) does not fit in int64.",
            ),
            (
                Error::OverlappingOut {
                    name: "out",
                    shape: v(&[2, 3, 5]),
                    strides: v(&[5, 5, 1]),
                },
                BATCH_DOT_STATUS_ALIASING,
                "out with shape (2, 3, 5) and strides (5, 5, 1) can write an element twice: it \
                 is not non-overlapping by construction.",
            ),
            (
                Error::SharedMemory {
                    input: "y",
                    out_bytes: (0x7f0f04000d7c, 0x7f0f04000df3),
                    input_bytes: (0x7f0f04000ce0, 0x7f0f04000d7f),
                },
                BATCH_DOT_STATUS_ALIASING,
                "out's memory (bytes 0x7f0f04000d7c..=0x7f0f04000df3) overlaps y's (bytes \
                 0x7f0f04000ce0..=0x7f0f04000d7f): out must not share memory with an input.",
            ),
            (
                Error::LayoutFlags {
                    name: "x",
                    flags: 0x10,
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "x.flags = 0x10: reserved, must be 0.",
            ),
            (
                Error::NegativeLen { name: "y", len: -4 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "y.len = -4: must be >= 0.",
            ),
            (
                Error::OptionsSizeBelow { struct_size: 8 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->struct_size = 8 is below 16, the size of the first batch_dot_options; \
                 fill options with batch_dot_options_init().",
            ),
            (
                Error::OptionsSizeAbove { struct_size: 4097 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->struct_size = 4097 is above 4096.",
            ),
            (
                Error::OptionsFlags { flags: 3 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->flags = 0x3: only BATCH_DOT_OPT_SCALE (0x1) is defined, the other bits \
                 are reserved and must be 0.",
            ),
            (
                Error::OptionsUnknown { struct_size: 64 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->struct_size = 64 and a byte past the 32 bytes it covers of the fields \
                 this library knows is nonzero: an option this version does not support was set.",
            ),
            (
                Error::OptionsUnknown { struct_size: 24 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->struct_size = 24 and a byte past the 16 bytes it covers of the fields \
                 this library knows is nonzero: an option this version does not support was set.",
            ),
            (
                Error::OptionsScaleShort { struct_size: 16 },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->flags has BATCH_DOT_OPT_SCALE but options->struct_size = 16 does not \
                 cover alpha and beta (it must be at least 32).",
            ),
            (
                Error::Misaligned {
                    name: "y",
                    addr: 0x7f0f04000ce1,
                    align: 4,
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "y_data = 0x7f0f04000ce1 is not aligned to 4 bytes.",
            ),
            (
                Error::UnknownDtype {
                    arg: "out_dtype",
                    code: -3,
                },
                BATCH_DOT_STATUS_UNSUPPORTED_DTYPE,
                "out_dtype = -3 is not a dtype code (BATCH_DOT_DTYPE_F32 = 1 to \
                 BATCH_DOT_DTYPE_S32 = 7).",
            ),
            (
                Error::UnsupportedDtypes { x: 4, y: 3, out: 1 },
                BATCH_DOT_STATUS_UNSUPPORTED_DTYPE,
                "the combination (x bfloat16, y float16, out float32) is not supported; \
                 supported: (float32, float32, float32), (float64, float64, float64), \
                 (bfloat16, bfloat16, bfloat16), (bfloat16, bfloat16, float32), (float16, \
                 float16, float16), (float16, float16, float32), (int8, int8, int32), (uint8, \
                 int8, int32).",
            ),
            (
                Error::DtypesNotBuilt { x: 5, y: 5, out: 7 },
                BATCH_DOT_STATUS_UNSUPPORTED_DTYPE,
                "the combination (x int8, y int8, out int32) is not supported by this build of \
                 libbatch_dot (0.1.0); supported: (float32, float32, float32), (float64, \
                 float64, float64), (bfloat16, bfloat16, bfloat16), (bfloat16, bfloat16, \
                 float32), (float16, float16, float16), (float16, float16, float32), (int8, \
                 int8, int32), (uint8, int8, int32).",
            ),
            (
                Error::IntAlpha {
                    alpha: 0.5f64.to_bits(),
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->alpha = 0.5: an int32 output takes alpha = 1 only.",
            ),
            (
                Error::IntBeta {
                    beta: f64::NAN.to_bits(),
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "options->beta = NaN: an int32 output takes beta = 0 or 1 only.",
            ),
            (
                Error::Allocation("could not allocate 64 bytes of scratch memory.".into()),
                BATCH_DOT_STATUS_ALLOCATION,
                "could not allocate 64 bytes of scratch memory.",
            ),
            (
                Error::Internal("a bug".into()),
                BATCH_DOT_STATUS_INTERNAL,
                "a bug",
            ),
        ];
        for (e, status, msg) in cases {
            // Small enough to return by value (clippy's result_large_err
            // stops at 128 bytes).
            assert!(core::mem::size_of_val(&e) <= 96, "{e:?}");
            assert_eq!(e.to_string(), msg, "{e:?}");
            assert_eq!(e.status(), status, "{e:?}");
        }
    }
}
