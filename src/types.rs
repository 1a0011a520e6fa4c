//! The two plain-value structs of the C API. They hold no pointers, so they
//! can be filled from Go (cgo), Julia (`isbits`) and Python ctypes alike.
#![allow(non_camel_case_types)]

use crate::consts::BATCH_DOT_MAX_NDIM;

/// Where a tensor's elements are, counted in elements from its data pointer
/// (280 bytes, no padding). Element `[i0, ..., i{ndim-1}]` is at
/// `data[offset + i0*strides[0] + ... + i{ndim-1}*strides[ndim-1]]`, and every
/// element the layout reaches must lie in `[0, len)`.
///
/// Strides of dimensions with extent 0 or 1 are ignored (any value,
/// INT64_MIN included). A tensor with no elements reaches nothing, so its
/// offset, len and data pointer are not checked beyond `len >= 0`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct batch_dot_layout {
    /// Number of dimensions, 0..BATCH_DOT_MAX_NDIM.
    pub ndim: i32,
    /// Reserved, must be 0.
    pub flags: u32,
    /// Element index of element [0, ..., 0], counted from the data pointer.
    pub offset: i64,
    /// Elements the caller owns from the data pointer on (>= 0).
    pub len: i64,
    /// Extents (>= 0); entries past ndim are ignored.
    pub shape: [i64; BATCH_DOT_MAX_NDIM],
    /// Strides in ELEMENTS; inputs may use 0 (broadcast) and negative strides.
    /// Entries past ndim are ignored.
    pub strides: [i64; BATCH_DOT_MAX_NDIM],
}

/// Options of a compute call (32 bytes). Fill it with
/// `batch_dot_options_init`, then set what you need; or pass NULL for the
/// defaults.
///
/// Extensible in the manner of Linux's `openat2`: later versions only append
/// fields. `struct_size` is BATCH_DOT_STATUS_INVALID_ARGUMENT below 16 (the
/// first version's size) and above 4096; from 16 to 31 (a caller that knows
/// only the first 16 bytes) when a byte in `[16, struct_size)` is nonzero or
/// BATCH_DOT_OPT_SCALE is set; from 32 on when a byte in `[32, struct_size)`
/// is nonzero. A flag bit other than BATCH_DOT_OPT_SCALE is
/// BATCH_DOT_STATUS_INVALID_ARGUMENT.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct batch_dot_options {
    /// sizeof(batch_dot_options) as the caller knows it.
    pub struct_size: usize,
    /// 0 = default: 1 thread, unless the environment variable
    /// BATCH_DOT_NUM_THREADS (read once, at first need) says otherwise;
    /// n = at most n threads, the caller's included.
    pub num_threads: u32,
    /// BATCH_DOT_OPT_SCALE, or 0; the other bits are reserved (must be 0).
    pub flags: u32,
    /// With BATCH_DOT_OPT_SCALE: `out = alpha*(x.y) + beta*out`, computed in
    /// the accumulation type (alpha rounded to it). Not read without the flag.
    pub alpha: f64,
    /// With BATCH_DOT_OPT_SCALE: see `alpha`. `beta == 0` means out is not
    /// read (whatever it holds, NaN included, has no effect).
    pub beta: f64,
}

impl batch_dot_layout {
    /// An all-zero layout (ndim 0).
    pub const fn zeroed() -> Self {
        batch_dot_layout {
            ndim: 0,
            flags: 0,
            offset: 0,
            len: 0,
            shape: [0; BATCH_DOT_MAX_NDIM],
            strides: [0; BATCH_DOT_MAX_NDIM],
        }
    }
}

impl Default for batch_dot_options {
    fn default() -> Self {
        batch_dot_options {
            struct_size: core::mem::size_of::<batch_dot_options>(),
            num_threads: 0,
            flags: 0,
            alpha: 1.0,
            beta: 0.0,
        }
    }
}
