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

/// Options of a compute call. Fill it with `batch_dot_options_init`, then set
/// what you need; or pass NULL for the defaults.
///
/// Extensible in the manner of Linux's `openat2`: later versions only append
/// fields. A `struct_size` below this version's size is
/// BATCH_DOT_STATUS_INVALID_ARGUMENT; a larger one (a newer caller) is
/// accepted when every byte past the fields this library knows is zero, and
/// is BATCH_DOT_STATUS_INVALID_ARGUMENT otherwise (and above 4096 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct batch_dot_options {
    /// sizeof(batch_dot_options) as the caller knows it.
    pub struct_size: usize,
    /// 0 = default: 1 thread, unless the environment variable
    /// BATCH_DOT_NUM_THREADS (read once, at first need) says otherwise;
    /// n = at most n threads, the caller's included.
    pub num_threads: u32,
    /// Reserved, must be 0.
    pub flags: u32,
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
        }
    }
}
