//! `batch_dot_dlpack`: the compute call on DLPack `DLTensor`s
//! (docs/API.md, "DLPack"), declared by the hand-written
//! `include/batch_dot_dlpack.h`, not by the generated `batch_dot.h` (which
//! names no DLPack type: cbindgen.toml excludes this module's items).
//!
//! Each `DLTensor` is read once, field by field, and mapped onto a dtype
//! code, a `batch_dot_layout` and a data pointer; the call is then
//! `batch_dot_compute` itself, so every check from step 2's options on, and
//! every message, is that function's. What is DLPack's own is checked
//! here, in its place in docs/API.md's order: NULL tensors and shapes
//! (step 1), the DLPack dtype (1b, then the combination as
//! `batch_dot_compute` words it), the device and the addresses the tensor
//! describes (step 2, before the options).
//!
//! A `DLTensor` does not say how large its buffer is, so the layout owns
//! exactly what the tensor reaches: its data pointer is moved to the lowest
//! reached element (`data + byte_offset + lo·size`), `offset = -lo` puts
//! element `[0, ..., 0]` back at `data + byte_offset`, and `len = hi - lo + 1`.
//! Bounds then hold by construction; overflow (check 8), alignment and NULL
//! data (check 9) and aliasing (check 11) are proven as for any layout.

use core::ffi::c_void;
use core::ptr;

use crate::consts::{BATCH_DOT_MAX_NDIM, BATCH_DOT_STATUS_OK};
use crate::dtype;
use crate::error::{Error, Result};
use crate::ffi::batch_dot_compute;
use crate::panic::guard;
use crate::types::{batch_dot_layout, batch_dot_options};

/// DLPack's `DLDevice` (dlpack.h 0.6 to 1.x: two 32-bit ints).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLDevice {
    /// `DLDeviceType`, a C enum (an `int`).
    pub device_type: i32,
    /// The device's index; not read.
    pub device_id: i32,
}

impl DLDevice {
    /// `kDLCPU`: host memory.
    pub const CPU: i32 = 1;
    /// `kDLCUDA`: device memory (rejected).
    pub const CUDA: i32 = 2;
    /// `kDLCUDAHost`: pinned host memory (`cudaMallocHost`).
    pub const CUDA_HOST: i32 = 3;
}

/// DLPack's `DLDataType`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLDataType {
    /// `DLDataTypeCode` (`kDLInt`, `kDLUInt`, `kDLFloat`, `kDLBfloat`, ...).
    pub code: u8,
    /// Bits per lane.
    pub bits: u8,
    /// Lanes per element (1 for a scalar element).
    pub lanes: u16,
}

impl DLDataType {
    /// `kDLInt`.
    pub const INT: u8 = 0;
    /// `kDLUInt`.
    pub const UINT: u8 = 1;
    /// `kDLFloat`.
    pub const FLOAT: u8 = 2;
    /// `kDLBfloat`.
    pub const BFLOAT: u8 = 4;
}

/// DLPack's `DLTensor` (48 bytes on 64-bit targets).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DLTensor {
    /// The buffer's address (what the producer allocated, or any base).
    pub data: *mut c_void,
    /// Where the buffer lives.
    pub device: DLDevice,
    /// Number of dimensions.
    pub ndim: i32,
    /// Element type.
    pub dtype: DLDataType,
    /// `ndim` extents.
    pub shape: *mut i64,
    /// `ndim` strides in elements, or NULL: compact row-major.
    pub strides: *mut i64,
    /// Bytes from `data` to element `[0, ..., 0]`.
    pub byte_offset: u64,
}

const _: () =
    assert!(cfg!(not(target_pointer_width = "64")) || core::mem::size_of::<DLTensor>() == 48);

const NAMES: [&str; 3] = ["x", "y", "out"];

/// The dtype code of a DLPack dtype, `None` when the library has none.
pub(crate) fn dtype_code(t: DLDataType) -> Option<i32> {
    use crate::consts::*;
    if t.lanes != 1 {
        return None;
    }
    Some(match (t.code, t.bits) {
        (DLDataType::FLOAT, 32) => BATCH_DOT_DTYPE_F32,
        (DLDataType::FLOAT, 64) => BATCH_DOT_DTYPE_F64,
        (DLDataType::FLOAT, 16) => BATCH_DOT_DTYPE_F16,
        (DLDataType::BFLOAT, 16) => BATCH_DOT_DTYPE_BF16,
        (DLDataType::INT, 8) => BATCH_DOT_DTYPE_S8,
        (DLDataType::INT, 32) => BATCH_DOT_DTYPE_S32,
        (DLDataType::UINT, 8) => BATCH_DOT_DTYPE_U8,
        _ => return None,
    })
}

/// Whether this build runs the combination (the table's last column).
fn runs(codes: [i32; 3]) -> bool {
    dtype::COMBINATIONS
        .iter()
        .any(|&(x, y, out, built)| built && [x, y, out] == codes)
}

/// One tensor as `batch_dot_compute` takes it.
#[derive(Clone, Copy)]
struct Mapped {
    dtype: i32,
    layout: batch_dot_layout,
    data: *mut c_void,
}

/// Copies `n <= BATCH_DOT_MAX_NDIM` values out of caller memory.
///
/// # Safety
/// `p` points to `n` readable `int64_t` (any alignment).
unsafe fn read_i64s(p: *const i64, n: usize, into: &mut [i64; BATCH_DOT_MAX_NDIM]) {
    for (i, v) in into.iter_mut().enumerate().take(n) {
        // SAFETY: i < n, readable by the caller's contract; any alignment.
        *v = unsafe { ptr::read_unaligned(p.add(i)) };
    }
}

/// Compact row-major strides of `dims` (DLPack's meaning of NULL strides).
/// A stride that does not fit in int64 is left 0: the tensor then either
/// has no elements (strides unused) or more elements than int64 counts,
/// which check 8 reports from the shape alone.
fn compact_strides(dims: &[i64], into: &mut [i64; BATCH_DOT_MAX_NDIM]) {
    let mut stride = Some(1i64);
    for i in (0..dims.len()).rev() {
        into[i] = stride.unwrap_or(0);
        stride = stride.and_then(|s| s.checked_mul(dims[i].max(1)));
    }
}

/// Maps one tensor whose dtype (`size` bytes) and device passed: reads its
/// shape and strides, derives the layout that owns exactly its reach and
/// the data pointer of its lowest element. Fails only with step 2's
/// address errors; a layout the compute checks will reject (bad ndim,
/// negative extent, too many elements, offsets beyond int64) is passed on
/// for them to report in their order.
///
/// # Safety
/// `t.shape` (and `t.strides` when not NULL) hold `t.ndim` readable
/// extents when `t.ndim` is in 1..=16.
unsafe fn map_layout(name: &'static str, t: &DLTensor, size: usize, code: i32) -> Result<Mapped> {
    let data_addr = t.data as usize;
    // Step 2: element [0, ..., 0] has an address.
    let base = (data_addr as u128) + t.byte_offset as u128;
    if t.byte_offset > i64::MAX as u64 || base > usize::MAX as u128 {
        return Err(Error::DlpackByteOffset {
            name,
            data: data_addr,
            byte_offset: t.byte_offset,
        });
    }
    let mut l = batch_dot_layout::zeroed();
    l.ndim = t.ndim;
    let mut m = Mapped {
        dtype: code,
        layout: l,
        data: t.data,
    };
    if !(0..=BATCH_DOT_MAX_NDIM as i32).contains(&t.ndim) {
        return Ok(m); // check 3
    }
    let n = t.ndim as usize;
    // SAFETY: non-NULL when n > 0 (step 1), readable by contract.
    unsafe { read_i64s(t.shape, n, &mut m.layout.shape) };
    if t.strides.is_null() {
        compact_strides(&m.layout.shape[..n], &mut m.layout.strides);
    } else {
        // SAFETY: as above.
        unsafe { read_i64s(t.strides, n, &mut m.layout.strides) };
    }
    let (dims, strides) = (&m.layout.shape[..n], &m.layout.strides[..n]);
    if dims.iter().any(|&d| d < 0) || dims.contains(&0) {
        return Ok(m); // check 4, or no elements (nothing reached, nothing checked)
    }
    if dims
        .iter()
        .try_fold(1i64, |a, &d| a.checked_mul(d))
        .is_none()
    {
        return Ok(m); // check 8: the element count
    }
    // The reach from element [0, ..., 0], exactly.
    let (mut lo, mut hi) = (0i128, 0i128);
    for (&e, &s) in dims.iter().zip(strides) {
        if e > 1 {
            let span = (e as i128 - 1) * s as i128;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
    }
    if -lo > i64::MAX as i128 {
        // Check 8 must fail: with this offset the highest offset reached,
        // plus one, times the size, cannot fit (nor can any span from lo).
        m.layout.offset = i64::MAX;
        m.layout.len = i64::MAX;
        return Ok(m);
    }
    m.layout.offset = (-lo) as i64;
    let len = hi - lo + 1;
    if len * size as i128 > i64::MAX as i128 {
        m.layout.len = i64::MAX; // check 8 reports the reach
        return Ok(m);
    }
    m.layout.len = len as i64;
    if data_addr == 0 {
        m.data = ptr::null_mut(); // check 9: NULL whatever the byte_offset
        return Ok(m);
    }
    // Step 2: every reached byte has an address.
    let first = base as i128 + lo * size as i128;
    let last = base as i128 + (hi + 1) * size as i128 - 1;
    if first < 0 || last > usize::MAX as i128 {
        return Err(Error::DlpackAddress {
            name,
            base: base as usize,
            lo: lo as i64,
            hi: hi as i64,
            size,
        });
    }
    // The lowest element, keeping the provenance of the caller's pointer
    // (wrapping arithmetic: no reference is made, nothing is read here).
    let delta = (first - data_addr as i128) as usize;
    m.data = (t.data as *mut u8).wrapping_add(delta).cast();
    Ok(m)
}

/// Steps 1, 1b and DLPack's part of step 2, then the mapping.
///
/// # Safety
/// The tensors are NULL or readable, with their shape and strides arrays.
unsafe fn map_all(ts: [*const DLTensor; 3]) -> Result<[Mapped; 3]> {
    // 1. NULL tensors, then NULL shapes.
    for (name, p) in NAMES.into_iter().zip(ts) {
        if p.is_null() {
            return Err(Error::NullTensor { name });
        }
    }
    // SAFETY: non-NULL, readable by contract; copied field for field, any
    // alignment.
    let t = ts.map(|p| unsafe { ptr::read_unaligned(p) });
    for (arg, t) in ["x.shape", "y.shape", "out.shape"].into_iter().zip(&t) {
        if t.shape.is_null() && t.ndim > 0 {
            return Err(Error::NullShape { arg, ndim: t.ndim });
        }
    }
    // 1b. Each dtype, then the combination (as batch_dot_compute words it).
    let mut codes = [0i32; 3];
    for ((c, name), t) in codes.iter_mut().zip(NAMES).zip(&t) {
        *c = dtype_code(t.dtype).ok_or(Error::DlpackDtype {
            name,
            code: t.dtype.code,
            bits: t.dtype.bits,
            lanes: t.dtype.lanes,
        })?;
    }
    if !runs(codes) {
        return Err(dtype::reject(codes[0], codes[1], codes[2]));
    }
    // 2. Devices and addresses, tensor by tensor (the options are
    // batch_dot_compute's, after them).
    let mut out = [None; 3];
    for (i, name) in NAMES.into_iter().enumerate() {
        let dt = t[i].device.device_type;
        if dt != DLDevice::CPU && dt != DLDevice::CUDA_HOST {
            return Err(Error::DlpackDevice {
                name,
                device_type: dt,
            });
        }
        let size = dtype::info(codes[i]).map_or(1, |(s, _)| s);
        // SAFETY: the caller's contract on the arrays.
        out[i] = Some(unsafe { map_layout(name, &t[i], size, codes[i]) }?);
    }
    Ok(out.map(|m| m.expect("every tensor mapped")))
}

/// `out = batch_dot(x, y, axes)` on DLPack tensors in host memory; see
/// `include/batch_dot_dlpack.h` and docs/API.md, "DLPack". Not in
/// `batch_dot.h`.
///
/// # Safety
/// Each tensor pointer is NULL or points to a readable `DLTensor` whose
/// `shape` (and non-NULL `strides`) hold `ndim` readable values when ndim
/// is in 1..=16, and whose elements it reaches lie in memory its owner has
/// (readable for x and y, writable for out); `options` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn batch_dot_dlpack(
    x: *const DLTensor,
    y: *const DLTensor,
    axis_x: i64,
    axis_y: i64,
    out: *const DLTensor,
    options: *const batch_dot_options,
) -> i32 {
    let mut mapped = None;
    // SAFETY: the caller's contract.
    let status = guard(|| {
        mapped = Some(unsafe { map_all([x, y, out]) }?);
        Ok(())
    });
    let Some([mx, my, mo]) = mapped.filter(|_| status == BATCH_DOT_STATUS_OK) else {
        return status;
    };
    // SAFETY: each layout owns exactly the elements its tensor reaches,
    // from the tensor's own lowest element, which the caller's contract
    // says its owner has; the dtypes are the tensors' own. Everything else
    // is batch_dot_compute's to check (it sets the message itself).
    unsafe {
        batch_dot_compute(
            mx.dtype, &mx.layout, mx.data, my.dtype, &my.layout, my.data, axis_x, axis_y, mo.dtype,
            &mo.layout, mo.data, options,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::*;

    #[test]
    fn dtypes_map_as_the_contract_says() {
        let d = |code, bits, lanes| dtype_code(DLDataType { code, bits, lanes });
        assert_eq!(d(2, 32, 1), Some(BATCH_DOT_DTYPE_F32));
        assert_eq!(d(2, 64, 1), Some(BATCH_DOT_DTYPE_F64));
        assert_eq!(d(2, 16, 1), Some(BATCH_DOT_DTYPE_F16));
        assert_eq!(d(4, 16, 1), Some(BATCH_DOT_DTYPE_BF16));
        assert_eq!(d(0, 8, 1), Some(BATCH_DOT_DTYPE_S8));
        assert_eq!(d(0, 32, 1), Some(BATCH_DOT_DTYPE_S32));
        assert_eq!(d(1, 8, 1), Some(BATCH_DOT_DTYPE_U8));
        let mut accepted = 0;
        for code in 0..=255u8 {
            for bits in 0..=255u8 {
                for lanes in [0u16, 1, 2, 4, 0xffff] {
                    accepted += d(code, bits, lanes).is_some() as u32;
                }
            }
        }
        assert_eq!(accepted, 7);
    }

    #[test]
    fn compact_strides_count_zero_extents_as_one() {
        let mut s = [9; BATCH_DOT_MAX_NDIM];
        compact_strides(&[2, 3, 4], &mut s);
        assert_eq!(&s[..3], &[12, 4, 1]);
        compact_strides(&[2, 0, 4], &mut s);
        assert_eq!(&s[..3], &[4, 4, 1]);
        compact_strides(&[3, 1 << 62, 4], &mut s);
        assert_eq!(&s[..3], &[0, 4, 1]);
    }

    #[test]
    fn messages_and_statuses() {
        let cases = [
            (
                Error::NullTensor { name: "out" },
                BATCH_DOT_STATUS_NULL_POINTER,
                "out is NULL: a DLTensor is required.",
            ),
            (
                Error::DlpackDtype {
                    name: "x",
                    code: 2,
                    bits: 16,
                    lanes: 4,
                },
                BATCH_DOT_STATUS_UNSUPPORTED_DTYPE,
                "x.dtype = {code=2, bits=16, lanes=4} is not a DLPack dtype batch_dot_dlpack \
                 takes: {kDLFloat, 16|32|64, 1}, {kDLBfloat, 16, 1}, {kDLInt, 8|32, 1}, \
                 {kDLUInt, 8, 1}.",
            ),
            (
                Error::DlpackDevice {
                    name: "y",
                    device_type: 2,
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "y.device.device_type = 2: batch_dot_dlpack reads host memory only \
                 (kDLCPU = 1 or kDLCUDAHost = 3).",
            ),
            (
                Error::DlpackByteOffset {
                    name: "x",
                    data: 0x1000,
                    byte_offset: u64::MAX,
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "x.byte_offset = 18446744073709551615 with x.data = 0x1000: element \
                 [0, ..., 0] has no address (byte_offset must be at most INT64_MAX and \
                 data + byte_offset at most UINTPTR_MAX).",
            ),
            (
                Error::DlpackAddress {
                    name: "out",
                    base: 0x40,
                    lo: -32,
                    hi: 3,
                    size: 4,
                },
                BATCH_DOT_STATUS_INVALID_ARGUMENT,
                "out reaches elements -32..=3 of 4 bytes from out.data + out.byte_offset \
                 = 0x40: outside the address space.",
            ),
        ];
        for (e, status, msg) in cases {
            assert!(core::mem::size_of_val(&e) <= 96, "{e:?}");
            assert_eq!(e.to_string(), msg, "{e:?}");
            assert_eq!(e.status(), status, "{e:?}");
        }
    }
}
