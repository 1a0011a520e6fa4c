//! The library's error type: one variant per failure status of the C API,
//! each carrying the message that `batch_dot_last_error_message` returns.

use crate::consts::*;

/// A failed call: the status it maps to, and a message in Keras's manner that
/// names the argument and its values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// BATCH_DOT_STATUS_NULL_POINTER
    #[error("{0}")]
    NullPointer(String),
    /// BATCH_DOT_STATUS_INVALID_RANK
    #[error("{0}")]
    InvalidRank(String),
    /// BATCH_DOT_STATUS_INVALID_AXES
    #[error("{0}")]
    InvalidAxes(String),
    /// BATCH_DOT_STATUS_BATCH_AXIS
    #[error("{0}")]
    BatchAxis(String),
    /// BATCH_DOT_STATUS_BATCH_MISMATCH
    #[error("{0}")]
    BatchMismatch(String),
    /// BATCH_DOT_STATUS_CONTRACTION_MISMATCH
    #[error("{0}")]
    ContractionMismatch(String),
    /// BATCH_DOT_STATUS_INVALID_SHAPE
    #[error("{0}")]
    InvalidShape(String),
    /// BATCH_DOT_STATUS_OUTPUT_SHAPE
    #[error("{0}")]
    OutputShape(String),
    /// BATCH_DOT_STATUS_OUT_OF_BOUNDS
    #[error("{0}")]
    OutOfBounds(String),
    /// BATCH_DOT_STATUS_OVERFLOW
    #[error("{0}")]
    Overflow(String),
    /// BATCH_DOT_STATUS_ALIASING
    #[error("{0}")]
    Aliasing(String),
    /// BATCH_DOT_STATUS_INVALID_ARGUMENT
    #[error("{0}")]
    InvalidArgument(String),
    /// BATCH_DOT_STATUS_ALLOCATION
    #[error("{0}")]
    Allocation(String),
    /// BATCH_DOT_STATUS_INTERNAL
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The C status code of this error.
    pub fn status(&self) -> i32 {
        match self {
            Error::NullPointer(_) => BATCH_DOT_STATUS_NULL_POINTER,
            Error::InvalidRank(_) => BATCH_DOT_STATUS_INVALID_RANK,
            Error::InvalidAxes(_) => BATCH_DOT_STATUS_INVALID_AXES,
            Error::BatchAxis(_) => BATCH_DOT_STATUS_BATCH_AXIS,
            Error::BatchMismatch(_) => BATCH_DOT_STATUS_BATCH_MISMATCH,
            Error::ContractionMismatch(_) => BATCH_DOT_STATUS_CONTRACTION_MISMATCH,
            Error::InvalidShape(_) => BATCH_DOT_STATUS_INVALID_SHAPE,
            Error::OutputShape(_) => BATCH_DOT_STATUS_OUTPUT_SHAPE,
            Error::OutOfBounds(_) => BATCH_DOT_STATUS_OUT_OF_BOUNDS,
            Error::Overflow(_) => BATCH_DOT_STATUS_OVERFLOW,
            Error::Aliasing(_) => BATCH_DOT_STATUS_ALIASING,
            Error::InvalidArgument(_) => BATCH_DOT_STATUS_INVALID_ARGUMENT,
            Error::Allocation(_) => BATCH_DOT_STATUS_ALLOCATION,
            Error::Internal(_) => BATCH_DOT_STATUS_INTERNAL,
        }
    }
}

/// Result of the library's internal operations.
pub type Result<T> = core::result::Result<T, Error>;
