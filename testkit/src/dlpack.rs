//! The status oracle of `batch_dot_dlpack` (docs/API.md, "DLPack"),
//! restated from the contract: DLPack's own checks in their place in the
//! check order, then [`oracle::compute_dtyped`] on layouts that own exactly
//! the elements each tensor reaches. A tensor is described by plain values
//! ([`Desc`]), not by the library's `DLTensor` mirror.

use batch_dot::batch_dot_layout;

use crate::oracle::{self, st, Opts, MAX_NDIM};

/// A `DLTensor` as the oracle sees it: its fields' values, with `None` for
/// a NULL `shape` or `strides`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desc {
    /// `data`, as an address.
    pub data: usize,
    /// `device.device_type`.
    pub device_type: i32,
    /// `ndim`.
    pub ndim: i32,
    /// `dtype` as (code, bits, lanes).
    pub dtype: (u8, u8, u16),
    /// The `ndim` extents, or `None` for a NULL `shape`.
    pub shape: Option<Vec<i64>>,
    /// The `ndim` strides, or `None` for NULL (compact row-major).
    pub strides: Option<Vec<i64>>,
    /// `byte_offset`.
    pub byte_offset: u64,
}

/// kDLCPU and kDLCUDAHost: the device types the contract accepts.
pub const HOST_DEVICES: [i32; 2] = [1, 3];

/// The contract's DLPack dtypes: `((code, bits, lanes), dtype code)`.
pub const DTYPES: [((u8, u8, u16), i32); 7] = [
    ((2, 32, 1), 1),
    ((2, 64, 1), 2),
    ((2, 16, 1), 3),
    ((4, 16, 1), 4),
    ((0, 8, 1), 5),
    ((1, 8, 1), 6),
    ((0, 32, 1), 7),
];

/// The dtype code of a DLPack dtype, `None` when the contract has none.
pub fn dtype_code(d: (u8, u8, u16)) -> Option<i32> {
    DTYPES.iter().find(|e| e.0 == d).map(|e| e.1)
}

/// The DLPack dtype of a dtype code.
pub fn dlpack_dtype(code: i32) -> (u8, u8, u16) {
    DTYPES.iter().find(|e| e.1 == code).expect("a dtype code").0
}

/// DLPack's compact row-major strides (a stride beyond int64 as 0: such a
/// tensor has no elements or too many to count).
pub fn compact(dims: &[i64]) -> Vec<i64> {
    let mut s = vec![0i64; dims.len()];
    let mut p: i128 = 1;
    for i in (0..dims.len()).rev() {
        s[i] = i64::try_from(p).unwrap_or(0);
        p = (p * dims[i].max(1) as i128).min(1 << 100);
    }
    s
}

/// The extents and strides when ndim is in 0..=16 (and shape given).
pub fn dims_strides(d: &Desc) -> Option<(Vec<i64>, Vec<i64>)> {
    if !(0..=MAX_NDIM as i32).contains(&d.ndim) {
        return None;
    }
    let n = d.ndim as usize;
    let dims = d.shape.as_ref().map_or(vec![], |s| s[..n].to_vec());
    let strides = match &d.strides {
        Some(s) => s[..n].to_vec(),
        None => compact(&dims),
    };
    Some((dims, strides))
}

/// `(lo, hi)`: the element offsets from element [0, ..., 0] that a tensor
/// with a valid ndim, extents >= 0, at least one element and a count that
/// fits in int64 reaches; `None` otherwise. (Each term fits in i128, but
/// their sum over many dimensions may not: the sums saturate, which is
/// still a span past int64.)
pub fn reach(d: &Desc) -> Option<(i128, i128)> {
    let (dims, strides) = dims_strides(d)?;
    if dims.iter().any(|&e| e <= 0) || oracle::count(&dims).is_none() {
        return None;
    }
    let (mut lo, mut hi) = (0i128, 0i128);
    for (&e, &s) in dims.iter().zip(&strides) {
        if e > 1 {
            let v = (e as i128 - 1) * s as i128;
            if v < 0 {
                lo = lo.saturating_add(v);
            } else {
                hi = hi.saturating_add(v);
            }
        }
    }
    Some((lo, hi))
}

/// The status `batch_dot_dlpack` returns for these tensors (`None`: NULL).
pub fn expect(ts: [Option<&Desc>; 3], ax: i64, ay: i64, opts: Option<&Opts>) -> i32 {
    // 1.
    let [Some(x), Some(y), Some(o)] = ts else {
        return st::NULL_POINTER;
    };
    let all = [x, y, o];
    if all.iter().any(|d| d.shape.is_none() && d.ndim > 0) {
        return st::NULL_POINTER;
    }
    // 1b.
    let mut codes = [0; 3];
    for (c, d) in codes.iter_mut().zip(all) {
        match dtype_code(d.dtype) {
            Some(v) => *c = v,
            None => return st::UNSUPPORTED_DTYPE,
        }
    }
    if !oracle::DTYPES_RUN.contains(&(codes[0], codes[1], codes[2])) {
        return st::UNSUPPORTED_DTYPE;
    }
    let sizes = codes.map(oracle::dtype_size);
    // 2. Devices and addresses, tensor by tensor; and the layouts that own
    // exactly what each tensor reaches.
    let mut layouts = [batch_dot_layout::zeroed(); 3];
    let mut ptrs = [0usize; 3];
    let mut span_overflow = false;
    for i in 0..3 {
        let (d, size) = (all[i], sizes[i] as i128);
        if !HOST_DEVICES.contains(&d.device_type) {
            return st::INVALID_ARGUMENT;
        }
        let base = d.data as i128 + d.byte_offset as i128;
        if d.byte_offset > i64::MAX as u64 || base > usize::MAX as i128 {
            return st::INVALID_ARGUMENT;
        }
        let l = &mut layouts[i];
        l.ndim = d.ndim;
        ptrs[i] = base as usize;
        let Some((dims, strides)) = dims_strides(d) else {
            continue;
        };
        l.shape[..dims.len()].copy_from_slice(&dims);
        l.strides[..dims.len()].copy_from_slice(&strides);
        let Some((lo, hi)) = reach(d) else {
            if d.data == 0 {
                ptrs[i] = 0;
            }
            continue;
        };
        // (Checked: a span near i128's range times the element size.)
        let bytes = hi
            .checked_sub(lo)
            .and_then(|d| d.checked_add(1))
            .and_then(|d| d.checked_mul(size));
        if bytes.is_none_or(|b| b > i64::MAX as i128) {
            span_overflow = true; // check 8
            continue;
        }
        l.offset = (-lo) as i64;
        l.len = (hi - lo + 1) as i64;
        if d.data == 0 {
            ptrs[i] = 0;
            continue;
        }
        let (first, last) = (base + lo * size, base + (hi + 1) * size - 1);
        if first < 0 || last > usize::MAX as i128 {
            return st::INVALID_ARGUMENT;
        }
        ptrs[i] = first as usize;
    }
    // 2 (options) to 11: batch_dot_compute's.
    let refs = [&layouts[0], &layouts[1], &layouts[2]];
    let v = oracle::compute_dtyped(codes, refs.map(Some), ax, ay, opts, ptrs);
    if span_overflow && v.out_shape.is_some() && v.status != st::OUTPUT_SHAPE {
        return st::OVERFLOW;
    }
    v.status
}
