//! An independent re-statement of API.md's check order and SPEC.md §2–§3, in
//! i128 arithmetic, sharing no code with the library. It predicts the status
//! of every call the fuzzers make.

use batch_dot::{batch_dot_layout, BATCH_DOT_AXIS_DEFAULT};

/// Status values, restated from API.md's table (not imported, on purpose).
pub mod st {
    pub const OK: i32 = 0;
    pub const NULL_POINTER: i32 = 1;
    pub const INVALID_RANK: i32 = 2;
    pub const INVALID_AXES: i32 = 3;
    pub const BATCH_AXIS: i32 = 4;
    pub const BATCH_MISMATCH: i32 = 5;
    pub const CONTRACTION_MISMATCH: i32 = 6;
    pub const INVALID_SHAPE: i32 = 7;
    pub const OUTPUT_SHAPE: i32 = 8;
    pub const OUT_OF_BOUNDS: i32 = 9;
    pub const OVERFLOW: i32 = 10;
    pub const ALIASING: i32 = 11;
    pub const INVALID_ARGUMENT: i32 = 12;
    pub const ALLOCATION: i32 = 13;
    pub const INTERNAL: i32 = 14;
}

/// Size of the first version of `batch_dot_options` (size_t + 2 × uint32_t).
pub const OPTIONS_V1: usize = 16;
/// Largest `struct_size` the library reads (the header: "above 4096 bytes").
pub const OPTIONS_MAX: usize = 4096;

/// What a caller's options struct holds, as the oracle sees it.
#[derive(Clone, Debug)]
pub struct Opts {
    /// The bytes the caller owns (at least 8: the struct_size field).
    pub bytes: Vec<u8>,
}

impl Opts {
    /// struct_size as written.
    pub fn struct_size(&self) -> usize {
        usize::from_ne_bytes(self.bytes[..8].try_into().unwrap())
    }
    /// Status of check 2 for these options.
    pub fn valid(&self) -> bool {
        let s = self.struct_size();
        if !(OPTIONS_V1..=OPTIONS_MAX).contains(&s) {
            return false;
        }
        let flags = u32::from_ne_bytes(self.bytes[12..16].try_into().unwrap());
        flags == 0 && self.bytes[OPTIONS_V1..s].iter().all(|&b| b == 0)
    }
    /// num_threads, when the struct is valid.
    pub fn num_threads(&self) -> u32 {
        u32::from_ne_bytes(self.bytes[8..12].try_into().unwrap())
    }
}

/// The axes after SPEC.md §2, or the status of the first failing check of
/// step 5 (after the batch check, which the caller does).
pub fn normalise_axes(n: usize, m: usize, ax: i64, ay: i64) -> Result<(usize, usize), i32> {
    let d = BATCH_DOT_AXIS_DEFAULT;
    let (a0, a1): (i128, i128) = if ax == d && ay == d {
        (n as i128 - 1, if m == 2 { 1 } else { m as i128 - 2 })
    } else if ax == d || ay == d {
        return Err(st::INVALID_AXES);
    } else {
        let f = |a: i64, rank: usize| {
            if a < 0 {
                a as i128 + rank as i128
            } else {
                a as i128
            }
        };
        (f(ax, n), f(ay, m))
    };
    if a0 == 0 || a1 == 0 {
        return Err(st::BATCH_AXIS);
    }
    if !(1..n as i128).contains(&a0) || !(1..m as i128).contains(&a1) {
        return Err(st::INVALID_AXES);
    }
    Ok((a0 as usize, a1 as usize))
}

/// SPEC.md §1's result shape (rank may exceed 16; the caller checks).
pub fn result_shape(x: &[i64], y: &[i64], a0: usize, a1: usize, unknown: i64) -> Vec<i64> {
    let mut out = vec![if x[0] != unknown { x[0] } else { y[0] }];
    out.extend(
        x.iter()
            .enumerate()
            .skip(1)
            .filter(|&(i, _)| i != a0)
            .map(|(_, &d)| d),
    );
    out.extend(
        y.iter()
            .enumerate()
            .skip(1)
            .filter(|&(j, _)| j != a1)
            .map(|(_, &d)| d),
    );
    if out.len() == 1 {
        out.push(1);
    }
    out
}

/// SPEC.md §3 on two shapes of valid ranks (>= 2) and extents: step 5 and the
/// result shape. `unknown` is the extent that skips a check (-1 in shape
/// inference; a value no extent has in compute calls).
pub fn semantics(x: &[i64], y: &[i64], ax: i64, ay: i64, unknown: i64) -> Result<Vec<i64>, i32> {
    let known = |d: i64| d != unknown;
    if known(x[0]) && known(y[0]) && x[0] != y[0] {
        return Err(st::BATCH_MISMATCH);
    }
    let (a0, a1) = normalise_axes(x.len(), y.len(), ax, ay)?;
    if known(x[a0]) && known(y[a1]) && x[a0] != y[a1] {
        return Err(st::CONTRACTION_MISMATCH);
    }
    Ok(result_shape(x, y, a0, a1, unknown))
}

/// Product of the known (>= 0) extents, 0 when one is 0; None above i64::MAX.
pub fn count(dims: &[i64]) -> Option<i64> {
    if dims.contains(&0) {
        return Some(0);
    }
    let mut p: i128 = 1;
    for &d in dims.iter().filter(|&&d| d >= 0) {
        p *= d as i128;
        if p > i64::MAX as i128 {
            return None;
        }
    }
    Some(p as i64)
}

/// The status and (on success) the shape of `batch_dot_infer_shape`.
/// `x`/`y` are None for a NULL shape pointer.
pub fn infer_shape(
    xn: i32,
    x: Option<&[i64]>,
    yn: i32,
    y: Option<&[i64]>,
    ax: i64,
    ay: i64,
    out_ndim_null: bool,
    out_shape_null: bool,
) -> Result<Vec<i64>, i32> {
    // 1. NULL pointers.
    if (x.is_none() && xn > 0) || (y.is_none() && yn > 0) || out_ndim_null || out_shape_null {
        return Err(st::NULL_POINTER);
    }
    // 3. Ranks.
    let ok_ndim = |n: i32| (0..=16).contains(&n);
    if !ok_ndim(xn) || !ok_ndim(yn) || xn < 2 || yn < 2 {
        return Err(st::INVALID_RANK);
    }
    let (x, y) = (&x.unwrap()[..xn as usize], &y.unwrap()[..yn as usize]);
    // 4. Extents (-1 allowed here).
    if x.iter().chain(y).any(|&d| d < -1) {
        return Err(st::INVALID_SHAPE);
    }
    // 5.
    let out = semantics(x, y, ax, ay, -1)?;
    // 6.
    if out.len() > 16 {
        return Err(st::INVALID_RANK);
    }
    // 8. (the header: x, y or the result)
    if count(x).is_none() || count(y).is_none() || count(&out).is_none() {
        return Err(st::OVERFLOW);
    }
    Ok(out)
}

/// Inclusive element range `[lo, hi]` a layout with elements reaches, in i128.
pub fn reach(l: &batch_dot_layout) -> (i128, i128) {
    let n = l.ndim.clamp(0, 16) as usize;
    let (mut lo, mut hi) = (l.offset as i128, l.offset as i128);
    for i in 0..n {
        if l.shape[i] > 1 {
            // Saturating: exact for any layout that passed check 8 (the
            // sum stays far below i128's range); callers that pass garbage
            // only need a very large value.
            let span = (l.shape[i] as i128 - 1).saturating_mul(l.strides[i] as i128);
            if span < 0 {
                lo = lo.saturating_add(span)
            } else {
                hi = hi.saturating_add(span)
            }
        }
    }
    (lo, hi)
}

/// Whether a layout is non-overlapping by construction (API.md's definition).
pub fn non_overlapping(l: &batch_dot_layout) -> bool {
    let n = l.ndim as usize;
    let mut d: Vec<(i128, i128)> = (0..n)
        .filter(|&i| l.shape[i] > 1)
        .map(|i| ((l.strides[i] as i128).abs(), l.shape[i] as i128))
        .collect();
    d.sort();
    let mut span: i128 = 0;
    for (s, e) in d {
        if s <= span {
            return false;
        }
        span += (e - 1) * s;
    }
    true
}

/// What the oracle says of a compute call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComputeVerdict {
    /// Expected status.
    pub status: i32,
    /// The result shape, when step 5 passed.
    pub out_shape: Option<Vec<i64>>,
    /// Per layout: the reached range when it has elements and step 8 passed.
    pub reach: [Option<(i64, i64)>; 3],
}

/// The status of `batch_dot_f32`/`_f64` by API.md's check order, for data
/// pointers at addresses `ptrs` and elements of `size` bytes (alignment =
/// size for f32 and f64).
pub fn compute(
    layouts: [Option<&batch_dot_layout>; 3],
    ax: i64,
    ay: i64,
    opts: Option<&Opts>,
    ptrs: [usize; 3],
    size: usize,
) -> ComputeVerdict {
    let mut v = ComputeVerdict {
        status: st::OK,
        out_shape: None,
        reach: [None; 3],
    };
    let fail = |mut v: ComputeVerdict, s: i32| {
        v.status = s;
        v
    };
    // 1.
    let [Some(x), Some(y), Some(o)] = layouts else {
        return fail(v, st::NULL_POINTER);
    };
    let all = [x, y, o];
    // 2.
    if all.iter().any(|l| l.flags != 0 || l.len < 0) || opts.is_some_and(|o| !o.valid()) {
        return fail(v, st::INVALID_ARGUMENT);
    }
    // 3.
    if all.iter().any(|l| !(0..=16).contains(&l.ndim)) || x.ndim < 2 || y.ndim < 2 {
        return fail(v, st::INVALID_RANK);
    }
    let dims = |l: &batch_dot_layout| l.shape[..l.ndim as usize].to_vec();
    let (xd, yd, od) = (dims(x), dims(y), dims(o));
    // 4.
    if xd.iter().chain(&yd).chain(&od).any(|&d| d < 0) {
        return fail(v, st::INVALID_SHAPE);
    }
    // 5.
    let shape = match semantics(&xd, &yd, ax, ay, i64::MIN) {
        Ok(s) => s,
        Err(s) => return fail(v, s),
    };
    // 6.
    if shape.len() > 16 {
        return fail(v, st::INVALID_RANK);
    }
    v.out_shape = Some(shape.clone());
    // 7.
    if od != shape {
        return fail(v, st::OUTPUT_SHAPE);
    }
    // 8.
    let fits = |a: i128| a >= i64::MIN as i128 && a <= i64::MAX as i128;
    let mut reaches = [None; 3];
    for (i, l) in all.iter().enumerate() {
        match count(&dims(l)) {
            None => return fail(v, st::OVERFLOW),
            Some(0) => {}
            Some(_) => {
                let (lo, hi) = reach(l);
                let sz = size as i128;
                if !(fits(lo) && fits(hi) && fits(lo * sz) && fits((hi + 1) * sz)) {
                    return fail(v, st::OVERFLOW);
                }
                reaches[i] = Some((lo as i64, hi as i64));
            }
        }
    }
    v.reach = reaches;
    // 9.
    for i in 0..3 {
        if reaches[i].is_some() {
            if ptrs[i] == 0 {
                return fail(v, st::NULL_POINTER);
            }
            if !ptrs[i].is_multiple_of(size) {
                return fail(v, st::INVALID_ARGUMENT);
            }
        }
    }
    // 10.
    for i in 0..3 {
        if let Some((lo, hi)) = reaches[i] {
            if lo < 0 || hi >= all[i].len {
                return fail(v, st::OUT_OF_BOUNDS);
            }
        }
    }
    // 11.
    if let Some((lo, hi)) = reaches[2] {
        if !non_overlapping(o) {
            return fail(v, st::ALIASING);
        }
        let bytes = |p: usize, lo: i64, hi: i64| {
            let p = p as i128;
            (
                p + lo as i128 * size as i128,
                p + (hi as i128 + 1) * size as i128 - 1,
            )
        };
        let (o0, o1) = bytes(ptrs[2], lo, hi);
        for i in 0..2 {
            if let Some((l, h)) = reaches[i] {
                let (a0, a1) = bytes(ptrs[i], l, h);
                if a0 <= o1 && o0 <= a1 {
                    return fail(v, st::ALIASING);
                }
            }
        }
    }
    v
}
