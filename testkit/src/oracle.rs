//! The independent status oracle: docs/API.md's check order and
//! docs/SEMANTICS.md §2-§3 restated from the documents, in i128 arithmetic,
//! sharing no code with the library (it uses only the `batch_dot_layout`
//! type). It predicts the status, and on success the result shape, of
//! every call the tests and fuzzers make: [`shapes`] for two shapes and
//! axes, [`infer_shape`] for `batch_dot_infer_shape`, [`compute`] for a whole
//! `batch_dot_f32` / `batch_dot_f64` call (layouts, options, pointers).

use batch_dot::{batch_dot_layout, batch_dot_options};

/// Keras's `axes=None` when passed for both axes (docs/API.md).
pub const AXIS_DEFAULT: i64 = i64::MIN;
/// Largest number of dimensions of a layout (docs/API.md).
pub const MAX_NDIM: usize = 16;

/// Status values, restated from docs/API.md's table (not imported, on purpose).
pub mod st {
    /// Success.
    pub const OK: i32 = 0;
    /// A required pointer is NULL.
    pub const NULL_POINTER: i32 = 1;
    /// A bad ndim, an input rank below 2 or a result rank above 16.
    pub const INVALID_RANK: i32 = 2;
    /// A lone default axis or an axis out of range.
    pub const INVALID_AXES: i32 = 3;
    /// An axis is the batch axis.
    pub const BATCH_AXIS: i32 = 4;
    /// `x.shape[0] != y.shape[0]`.
    pub const BATCH_MISMATCH: i32 = 5;
    /// The contracted extents differ.
    pub const CONTRACTION_MISMATCH: i32 = 6;
    /// A negative extent.
    pub const INVALID_SHAPE: i32 = 7;
    /// The out layout's shape is not the result's.
    pub const OUTPUT_SHAPE: i32 = 8;
    /// A reach outside `[0, len)`.
    pub const OUT_OF_BOUNDS: i32 = 9;
    /// A count or offset beyond int64.
    pub const OVERFLOW: i32 = 10;
    /// Out overlaps itself or an input.
    pub const ALIASING: i32 = 11;
    /// A reserved field, len, struct_size or alignment.
    pub const INVALID_ARGUMENT: i32 = 12;
    /// Memory could not be obtained.
    pub const ALLOCATION: i32 = 13;
    /// A caught panic: always a bug.
    pub const INTERNAL: i32 = 14;
    /// An unknown dtype code or an unsupported combination (check 1b).
    pub const UNSUPPORTED_DTYPE: i32 = 15;
}

/// docs/API.md's status names (without the `BATCH_DOT_STATUS_` prefix) and
/// values, restated.
pub const STATUSES: [(&str, i32); 16] = [
    ("OK", st::OK),
    ("NULL_POINTER", st::NULL_POINTER),
    ("INVALID_RANK", st::INVALID_RANK),
    ("INVALID_AXES", st::INVALID_AXES),
    ("BATCH_AXIS", st::BATCH_AXIS),
    ("BATCH_MISMATCH", st::BATCH_MISMATCH),
    ("CONTRACTION_MISMATCH", st::CONTRACTION_MISMATCH),
    ("INVALID_SHAPE", st::INVALID_SHAPE),
    ("OUTPUT_SHAPE", st::OUTPUT_SHAPE),
    ("OUT_OF_BOUNDS", st::OUT_OF_BOUNDS),
    ("OVERFLOW", st::OVERFLOW),
    ("ALIASING", st::ALIASING),
    ("INVALID_ARGUMENT", st::INVALID_ARGUMENT),
    ("ALLOCATION", st::ALLOCATION),
    ("INTERNAL", st::INTERNAL),
    ("UNSUPPORTED_DTYPE", st::UNSUPPORTED_DTYPE),
];

/// docs/API.md, "Element types": `(code, size in bytes, name)` of every
/// dtype code, restated.
pub const DTYPES: [(i32, usize, &str); 7] = [
    (1, 4, "float32"),
    (2, 8, "float64"),
    (3, 2, "float16"),
    (4, 2, "bfloat16"),
    (5, 1, "int8"),
    (6, 1, "uint8"),
    (7, 4, "int32"),
];

/// The size of a dtype code's element, 0 for a code that is none.
pub fn dtype_size(code: i32) -> usize {
    DTYPES.iter().find(|d| d.0 == code).map_or(0, |d| d.1)
}

/// The name of a dtype code, "unknown" for a code that is none.
pub fn dtype_name(code: i32) -> &'static str {
    DTYPES
        .iter()
        .find(|d| d.0 == code)
        .map_or("unknown", |d| d.2)
}

/// docs/API.md, "Element types": every combination `(x, y, out)` of its
/// table of supported combinations, in the table's order.
pub const DTYPES_TABLE: [(i32, i32, i32); 8] = [
    (1, 1, 1),
    (2, 2, 2),
    (4, 4, 4),
    (4, 4, 1),
    (3, 3, 3),
    (3, 3, 1),
    (5, 5, 7),
    (6, 5, 7),
];

/// The rows of [`DTYPES_TABLE`] that this release runs, in the table's
/// order: f32, f64, the floating 16-bit rows (bfloat16 and float16 inputs,
/// out of their own type or f32) and the integer rows (int8 · int8 and
/// uint8 · int8 into int32): the whole table. Any other combination is
/// `UNSUPPORTED_DTYPE`.
pub const DTYPES_RUN: [(i32, i32, i32); 8] = DTYPES_TABLE;

/// docs/API.md's dtype code of int32, the integer rows' output.
pub const DTYPE_S32: i32 = 7;

/// docs/API.md, "Scale, accumulate, strided layouts": whether `(alpha,
/// beta)` may scale an int32 output: alpha exactly 1, beta 0 (either
/// sign) or 1 (NaN is neither). Restated here, not taken from the
/// library or from [`crate::int8`].
pub fn int_scale_allowed(alpha: f64, beta: f64) -> bool {
    alpha == 1.0 && (beta == 0.0 || beta == 1.0)
}

/// The value of a status name of [`STATUSES`] (`None` if unknown).
pub fn status_value(name: &str) -> Option<i32> {
    STATUSES.iter().find(|&&(n, _)| n == name).map(|&(_, v)| v)
}

/// The name of a status value, or `status <value>` if unknown.
pub fn status_name(s: i32) -> String {
    match STATUSES.iter().find(|&&(_, v)| v == s) {
        Some(&(n, _)) => n.to_string(),
        None => format!("status {s}"),
    }
}

/// Size of the first version (0.1) of `batch_dot_options` (size_t + 2 ×
/// uint32_t).
pub const OPTIONS_V1: usize = 16;
/// Size of this version (0.2): `alpha` and `beta` (two doubles) added.
pub const OPTIONS_V2: usize = 32;
/// `BATCH_DOT_OPT_SCALE`, the one defined flag.
pub const OPT_SCALE: u32 = 1;
/// Largest `struct_size` the library reads (the header: "above 4096 bytes").
pub const OPTIONS_MAX: usize = 4096;

/// What a caller's options struct holds, as the oracle sees it.
#[derive(Clone, Debug)]
pub struct Opts {
    /// The bytes the caller owns (at least 8: the struct_size field).
    pub bytes: Vec<u8>,
}

impl Opts {
    /// The bytes of a caller's `batch_dot_options` (this version's, 32).
    pub fn of(o: &batch_dot_options) -> Opts {
        assert_eq!(std::mem::size_of::<batch_dot_options>(), OPTIONS_V2);
        // SAFETY: a plain-value struct of 32 bytes without padding on 64-bit
        // targets (asserted), read as its bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(o as *const batch_dot_options as *const u8, OPTIONS_V2)
                .to_vec()
        };
        Opts { bytes }
    }
    /// struct_size as written.
    pub fn struct_size(&self) -> usize {
        usize::from_ne_bytes(self.bytes[..8].try_into().unwrap())
    }
    /// Whether check 2 passes for these options (docs/API.md, "Scale,
    /// accumulate, strided layouts"): struct_size in 16..=4096; no flag bit
    /// but `BATCH_DOT_OPT_SCALE`; below 32, no nonzero byte in
    /// `[16, struct_size)` and not the flag; from 32, no nonzero byte in
    /// `[32, struct_size)`.
    pub fn valid(&self) -> bool {
        let s = self.struct_size();
        if !(OPTIONS_V1..=OPTIONS_MAX).contains(&s) {
            return false;
        }
        let flags = self.flags();
        if flags & !OPT_SCALE != 0 {
            return false;
        }
        if s < OPTIONS_V2 {
            flags == 0 && self.bytes[OPTIONS_V1..s].iter().all(|&b| b == 0)
        } else {
            self.bytes[OPTIONS_V2..s].iter().all(|&b| b == 0)
        }
    }
    /// flags as written (when struct_size covers them).
    pub fn flags(&self) -> u32 {
        u32::from_ne_bytes(self.bytes[12..16].try_into().unwrap())
    }
    /// `(alpha, beta)` when the valid options ask for scaling.
    pub fn scale(&self) -> Option<(f64, f64)> {
        if !self.valid() || self.flags() & OPT_SCALE == 0 {
            return None;
        }
        let f = |at: usize| f64::from_ne_bytes(self.bytes[at..at + 8].try_into().unwrap());
        Some((f(16), f(24)))
    }
    /// num_threads, when the struct is valid.
    pub fn num_threads(&self) -> u32 {
        u32::from_ne_bytes(self.bytes[8..12].try_into().unwrap())
    }
}

/// The axes after docs/SEMANTICS.md §2 for ranks `n` and `m` (both >= 2), or
/// the status of the first failing axes check of step 5 (after the batch
/// check, which the caller does): a lone default is INVALID_AXES, an axis 0
/// after normalising is BATCH_AXIS, one out of range (below -rank
/// included) INVALID_AXES.
pub fn normalise_axes(n: usize, m: usize, ax: i64, ay: i64) -> Result<(usize, usize), i32> {
    let d = AXIS_DEFAULT;
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

/// docs/SEMANTICS.md §1's result shape for normalised axes `(a0, a1)`:
/// `[B] + x's other free dims + y's other free dims`, or `[B, 1]` when that
/// has length 1. B is x's batch extent unless it is `unknown`, then y's.
/// The rank may exceed 16; the caller checks.
pub fn result_shape(x: &[i64], y: &[i64], a0: usize, a1: usize, unknown: i64) -> Vec<i64> {
    let mut out = vec![if x[0] != unknown { x[0] } else { y[0] }];
    out.extend((1..x.len()).filter(|&i| i != a0).map(|i| x[i]));
    out.extend((1..y.len()).filter(|&j| j != a1).map(|j| y[j]));
    if out.len() == 1 {
        out.push(1);
    }
    out
}

/// docs/SEMANTICS.md §3 on two shapes of valid ranks (>= 2) and extents:
/// step 5 and the result shape. `unknown` is the extent that skips a check
/// (-1 in shape inference; a value no extent has in compute calls).
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

/// The status a compute call gets from its two input shapes and axes alone
/// (steps 3-6 of docs/API.md: ranks, extents, docs/SEMANTICS.md §3, result
/// rank), or the result shape. Every other check (options, the out layout,
/// counts, bounds, pointers, aliasing) is [`compute`]'s.
pub fn shapes(x: &[i64], y: &[i64], ax: i64, ay: i64) -> Result<Vec<i64>, i32> {
    if x.len() < 2 || y.len() < 2 || x.len() > MAX_NDIM || y.len() > MAX_NDIM {
        return Err(st::INVALID_RANK);
    }
    if x.iter().chain(y).any(|&d| d < 0) {
        return Err(st::INVALID_SHAPE);
    }
    let out = semantics(x, y, ax, ay, i64::MIN)?;
    if out.len() > MAX_NDIM {
        return Err(st::INVALID_RANK);
    }
    Ok(out)
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
#[allow(clippy::too_many_arguments)]
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
    let ok_ndim = |n: i32| (0..=MAX_NDIM as i32).contains(&n);
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
    if out.len() > MAX_NDIM {
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
    let n = l.ndim.clamp(0, MAX_NDIM as i32) as usize;
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

/// Whether a layout is non-overlapping by construction (docs/API.md's
/// definition): its dimensions of extent > 1, in order of increasing
/// |stride|, each have a |stride| above the span of the smaller ones.
pub fn non_overlapping(l: &batch_dot_layout) -> bool {
    let n = l.ndim.clamp(0, MAX_NDIM as i32) as usize;
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
        span = span.saturating_add((e - 1).saturating_mul(s));
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

/// The status of `batch_dot_f32`/`_f64` by docs/API.md's check order, for
/// data pointers at addresses `ptrs` and elements of `size` bytes
/// (alignment = size for f32 and f64). `None` layouts and options are NULL
/// pointers.
pub fn compute(
    layouts: [Option<&batch_dot_layout>; 3],
    ax: i64,
    ay: i64,
    opts: Option<&Opts>,
    ptrs: [usize; 3],
    size: usize,
) -> ComputeVerdict {
    checks(layouts, ax, ay, opts, ptrs, None, [size; 3])
}

/// The status of `batch_dot_s8` (docs/API.md: int8 inputs of 1 byte, an
/// int32 output of 4, aligned to their sizes; the int32 rule for alpha and
/// beta at check 2): the (S8, S8, S32) row of [`compute_dtyped`], which
/// check 1b passes.
pub fn compute_s8(
    layouts: [Option<&batch_dot_layout>; 3],
    ax: i64,
    ay: i64,
    opts: Option<&Opts>,
    ptrs: [usize; 3],
) -> ComputeVerdict {
    compute_dtyped([5, 5, DTYPE_S32], layouts, ax, ay, opts, ptrs)
}

/// The status of `batch_dot_compute` with the dtype codes `dtypes` (x, y,
/// out) by docs/API.md's check order, step 1b included; each tensor's
/// element size (and alignment) is its own dtype's; an int32 output takes
/// only alpha = 1 and beta = 0 or 1 with `BATCH_DOT_OPT_SCALE` (check 2).
pub fn compute_dtyped(
    dtypes: [i32; 3],
    layouts: [Option<&batch_dot_layout>; 3],
    ax: i64,
    ay: i64,
    opts: Option<&Opts>,
    ptrs: [usize; 3],
) -> ComputeVerdict {
    let sizes = dtypes.map(dtype_size);
    checks(layouts, ax, ay, opts, ptrs, Some(dtypes), sizes)
}

/// Checks 1-11 (with 1b when `dtypes` is given) for elements of `sizes`
/// bytes in x, y, out.
fn checks(
    layouts: [Option<&batch_dot_layout>; 3],
    ax: i64,
    ay: i64,
    opts: Option<&Opts>,
    ptrs: [usize; 3],
    dtypes: Option<[i32; 3]>,
    sizes: [usize; 3],
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
    // 1b.
    if let Some([a, b, c]) = dtypes {
        if !DTYPES_RUN.contains(&(a, b, c)) {
            return fail(v, st::UNSUPPORTED_DTYPE);
        }
    }
    let all = [x, y, o];
    // 2.
    if all.iter().any(|l| l.flags != 0 || l.len < 0) || opts.is_some_and(|o| !o.valid()) {
        return fail(v, st::INVALID_ARGUMENT);
    }
    // 2, last: an int32 output's alpha and beta (only read with the flag).
    let int_out = dtypes.is_some_and(|d| d[2] == DTYPE_S32);
    if let (true, Some((alpha, beta))) = (int_out, opts.and_then(Opts::scale)) {
        if !int_scale_allowed(alpha, beta) {
            return fail(v, st::INVALID_ARGUMENT);
        }
    }
    // 3.
    if all.iter().any(|l| !(0..=MAX_NDIM as i32).contains(&l.ndim)) || x.ndim < 2 || y.ndim < 2 {
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
    if shape.len() > MAX_NDIM {
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
                let sz = sizes[i] as i128;
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
            if !ptrs[i].is_multiple_of(sizes[i]) {
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
        let bytes = |p: usize, lo: i64, hi: i64, size: usize| {
            let p = p as i128;
            (
                p + lo as i128 * size as i128,
                p + (hi as i128 + 1) * size as i128 - 1,
            )
        };
        let (o0, o1) = bytes(ptrs[2], lo, hi, sizes[2]);
        for i in 0..2 {
            if let Some((l, h)) = reaches[i] {
                let (a0, a1) = bytes(ptrs[i], l, h, sizes[i]);
                if a0 <= o1 && o0 <= a1 {
                    return fail(v, st::ALIASING);
                }
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = AXIS_DEFAULT;

    /// x's shape, y's shape, the axes and the result (a shape or a status).
    type Row<'a, R> = (&'a [i64], &'a [i64], (i64, i64), R);

    /// docs/SEMANTICS.md §7's rows, restated by hand.
    #[test]
    fn shapes_follow_the_edge_case_table() {
        let ok: &[Row<&[i64]>] = &[
            (&[3, 4], &[3, 4], (D, D), &[3, 1]),
            (&[3, 4], &[3, 4], (-1, -1), &[3, 1]),
            (&[3, 4], &[3, 4, 5], (D, D), &[3, 5]),
            (&[3, 4, 5], &[3, 5], (D, D), &[3, 4]),
            (&[3, 4, 5], &[3, 6, 5], (-1, -1), &[3, 4, 6]),
            (&[2, 3, 4, 5], &[2, 6, 5, 7], (D, D), &[2, 3, 4, 6, 7]),
            (&[1, 2, 1], &[1, 2, 1, 16], (2, 2), &[1, 2, 2, 16]),
            (&[3, 2, 0, 0], &[3, 0], (3, 1), &[3, 2, 0]),
            (&[0, 4], &[0, 4], (1, 1), &[0, 1]),
        ];
        for &(x, y, (ax, ay), want) in ok {
            assert_eq!(shapes(x, y, ax, ay).as_deref(), Ok(want), "{x:?}·{y:?}");
        }
        let err: &[Row<i32>] = &[
            (&[3, 4], &[3, 5, 4], (D, D), st::CONTRACTION_MISMATCH),
            (&[3, 4], &[3, 4], (0, 1), st::BATCH_AXIS),
            (&[3, 4], &[3, 4], (-2, -2), st::BATCH_AXIS),
            (&[3, 4], &[3, 4], (1, 2), st::INVALID_AXES),
            (&[3, 4], &[3, 4], (-3, -3), st::INVALID_AXES),
            (&[3, 5, 5], &[3, 5, 5], (1, -5), st::INVALID_AXES),
            (&[3, 4], &[3, 4], (D, 1), st::INVALID_AXES),
            // The batch is checked before the axes.
            (&[3, 4], &[5, 4], (0, 7), st::BATCH_MISMATCH),
            (&[3], &[3, 4], (1, 1), st::INVALID_RANK),
            (&[3, -1], &[3, 4], (1, 1), st::INVALID_SHAPE),
            // Result rank 2 + 15 + 14 - ... above 16.
            (&[1; 16], &[1; 5], (1, 1), st::INVALID_RANK),
        ];
        for &(x, y, (ax, ay), want) in err {
            assert_eq!(shapes(x, y, ax, ay), Err(want), "{x:?}·{y:?} ({ax}, {ay})");
        }
    }

    #[test]
    fn infer_shape_skips_unknown_extents() {
        let s = |x: &[i64], y: &[i64]| infer_shape(2, Some(x), 2, Some(y), 1, 1, false, false);
        assert_eq!(s(&[-1, 4], &[3, 4]), Ok(vec![3, 1]));
        assert_eq!(s(&[3, -1], &[3, 4]), Ok(vec![3, 1]));
        assert_eq!(s(&[3, -2], &[3, 4]), Err(st::INVALID_SHAPE));
        assert_eq!(s(&[3, 4], &[5, 4]), Err(st::BATCH_MISMATCH));
        let big = infer_shape(
            3,
            Some(&[2, 1 << 40, 3]),
            3,
            Some(&[2, 3, 1 << 40]),
            2,
            1,
            false,
            false,
        );
        assert_eq!(big, Err(st::OVERFLOW));
        let null = infer_shape(2, None, 2, Some(&[3, 4]), 1, 1, false, false);
        assert_eq!(null, Err(st::NULL_POINTER));
    }

    fn layout(shape: &[i64], strides: &[i64], offset: i64, len: i64) -> batch_dot_layout {
        let mut l = batch_dot_layout {
            ndim: shape.len() as i32,
            flags: 0,
            offset,
            len,
            shape: [0; MAX_NDIM],
            strides: [0; MAX_NDIM],
        };
        l.shape[..shape.len()].copy_from_slice(shape);
        l.strides[..strides.len()].copy_from_slice(strides);
        l
    }

    #[test]
    fn non_overlapping_by_construction() {
        assert!(non_overlapping(&layout(&[2, 3], &[3, 1], 0, 6)));
        assert!(non_overlapping(&layout(&[2, 3], &[1, 2], 0, 6)));
        assert!(non_overlapping(&layout(&[2, 3], &[-3, -1], 5, 6)));
        assert!(non_overlapping(&layout(&[2, 1], &[1, 0], 0, 6)));
        assert!(!non_overlapping(&layout(&[2, 3], &[2, 1], 0, 6)));
        assert!(!non_overlapping(&layout(&[2, 3], &[0, 1], 0, 6)));
        assert!(!non_overlapping(&layout(&[3, 3], &[2, 1], 0, 9)));
    }

    #[test]
    fn compute_follows_the_check_order() {
        let x = layout(&[2, 3], &[3, 1], 0, 6);
        let o = layout(&[2, 1], &[1, 1], 0, 2);
        let call = |x: &batch_dot_layout, o: &batch_dot_layout, ptrs: [usize; 3]| {
            compute([Some(x), Some(x), Some(o)], 1, 1, None, ptrs, 4).status
        };
        let apart = [0x1000, 0x1000, 0x2000];
        assert_eq!(call(&x, &o, apart), st::OK);
        assert_eq!(
            compute([Some(&x), None, Some(&o)], 1, 1, None, apart, 4).status,
            st::NULL_POINTER
        );
        // Reach one past len: OUT_OF_BOUNDS, unless out is too small first
        // (OUTPUT_SHAPE comes before bounds).
        let short = layout(&[2, 3], &[3, 1], 0, 5);
        assert_eq!(call(&short, &o, apart), st::OUT_OF_BOUNDS);
        assert_eq!(
            call(&short, &layout(&[2, 2], &[2, 1], 0, 4), apart),
            st::OUTPUT_SHAPE
        );
        // Out on x's bytes; out writing an element twice.
        assert_eq!(call(&x, &o, [0x1000, 0x1000, 0x1008]), st::ALIASING);
        assert_eq!(
            call(&x, &layout(&[2, 1], &[0, 1], 0, 2), apart),
            st::ALIASING
        );
        // Misaligned, then NULL (both step 9, in tensor order).
        assert_eq!(call(&x, &o, [0x1001, 0x1000, 0x2000]), st::INVALID_ARGUMENT);
        assert_eq!(call(&x, &o, [0, 0x1000, 0x2000]), st::NULL_POINTER);
        // A byte offset that overflows only for 8-byte elements.
        let far = layout(&[2, 3], &[1 << 60, 1], 0, 6);
        let v = |size| compute([Some(&far), Some(&x), Some(&o)], 1, 1, None, apart, size);
        assert_eq!(v(8).status, st::OVERFLOW);
        assert_eq!(v(4).status, st::OUT_OF_BOUNDS);
        // Bad options are step 2, before everything but NULL layouts.
        let mut bytes = vec![0u8; 16];
        bytes[..8].copy_from_slice(&8usize.to_ne_bytes());
        let bad = Opts { bytes };
        let v = compute([Some(&x), Some(&x), Some(&o)], 0, 0, Some(&bad), apart, 4);
        assert_eq!(v.status, st::INVALID_ARGUMENT);
    }

    /// The 16-bit rows run; each tensor's own element size decides its
    /// alignment, its byte overflow and its aliasing byte range.
    #[test]
    fn sixteen_bit_rows_use_each_tensors_size() {
        let x = layout(&[2, 3], &[3, 1], 0, 6); // 12 bytes of bfloat16
        let o = layout(&[2, 1], &[1, 1], 0, 2); // 8 bytes of f32
        let v = |dt: [i32; 3], ptrs: [usize; 3]| {
            compute_dtyped(dt, [Some(&x), Some(&x), Some(&o)], 1, 1, None, ptrs).status
        };
        let apart = [0x1000, 0x1000, 0x2000];
        for dt in [
            [4, 4, 4],
            [4, 4, 1],
            [3, 3, 3],
            [3, 3, 1],
            [1, 1, 1],
            [2, 2, 2],
            [5, 5, 7],
            [6, 5, 7],
        ] {
            assert_eq!(v(dt, apart), st::OK, "{dt:?}");
        }
        for dt in [
            [5, 5, 5],
            [6, 6, 7],
            [5, 6, 7],
            [5, 5, 1],
            [4, 3, 1],
            [3, 4, 3],
            [4, 4, 3],
            [3, 3, 2],
            [4, 4, 2],
        ] {
            assert_eq!(v(dt, apart), st::UNSUPPORTED_DTYPE, "{dt:?}");
        }
        // Odd addresses: misaligned for 2-byte elements; 2 mod 4: only out.
        assert_eq!(v([4, 4, 1], [0x1001, 0x1000, 0x2000]), st::INVALID_ARGUMENT);
        assert_eq!(v([3, 3, 3], [0x1000, 0x1003, 0x2000]), st::INVALID_ARGUMENT);
        assert_eq!(v([4, 4, 4], [0x1000, 0x1000, 0x2001]), st::INVALID_ARGUMENT);
        assert_eq!(v([4, 4, 4], [0x1002, 0x1006, 0x2002]), st::OK);
        assert_eq!(v([4, 4, 1], [0x1002, 0x1006, 0x2002]), st::INVALID_ARGUMENT);
        assert_eq!(v([3, 3, 1], [0x1002, 0x1006, 0x2004]), st::OK);
        // Aliasing by bytes: x's 12 bytes are 0x1000..=0x100b. Out at
        // 0x0ffc is apart as two bfloat16 (0x0ffc..=0x0fff) but overlaps
        // as two f32 (0x0ffc..=0x1003); from 0x100c both are apart.
        assert_eq!(v([4, 4, 4], [0x1000, 0x1000, 0x0ffc]), st::OK);
        assert_eq!(v([4, 4, 1], [0x1000, 0x1000, 0x0ffc]), st::ALIASING);
        assert_eq!(v([3, 3, 1], [0x2000, 0x1000, 0x0ffc]), st::ALIASING);
        assert_eq!(v([3, 3, 1], [0x2000, 0x1000, 0x0ff8]), st::OK);
        assert_eq!(v([4, 4, 1], [0x1000, 0x1000, 0x100c]), st::OK);
        assert_eq!(v([4, 4, 4], [0x1000, 0x1000, 0x100a]), st::ALIASING);
        // A byte offset that overflows for 4-byte elements but not for 2.
        let far = layout(&[2, 3], &[1 << 61, 1], 0, 6);
        let far_o = layout(&[2, 1], &[1 << 61, 1], 0, 2);
        let w = |dt: [i32; 3], xl: &batch_dot_layout, ol: &batch_dot_layout| {
            compute_dtyped(dt, [Some(xl), Some(&x), Some(ol)], 1, 1, None, apart).status
        };
        assert_eq!(w([4, 4, 4], &far, &o), st::OUT_OF_BOUNDS);
        assert_eq!(w([1, 1, 1], &far, &o), st::OVERFLOW);
        assert_eq!(w([4, 4, 4], &x, &far_o), st::OUT_OF_BOUNDS);
        assert_eq!(w([4, 4, 1], &x, &far_o), st::OVERFLOW);
        // Every run row is in the table.
        assert!(DTYPES_RUN.iter().all(|r| DTYPES_TABLE.contains(r)));
    }

    /// The integer rows: 1-byte inputs (any address), a 4-byte int32 out
    /// (aligned to 4), aliasing by bytes with those sizes, byte overflow
    /// with each size, and the int32 rule for alpha and beta at check 2
    /// (only with the flag; before check 3 on).
    #[test]
    fn integer_rows_use_each_tensors_size_and_the_int32_scale_rule() {
        let x = layout(&[2, 3], &[3, 1], 0, 6); // 6 bytes of int8
        let o = layout(&[2, 1], &[1, 1], 0, 2); // 8 bytes of int32
        let apart = [0x1000, 0x1000, 0x2000];
        let v = |dt: [i32; 3], ptrs: [usize; 3], opts: Option<&Opts>| {
            compute_dtyped(dt, [Some(&x), Some(&x), Some(&o)], 1, 1, opts, ptrs).status
        };
        for dt in [[5, 5, 7], [6, 5, 7]] {
            assert_eq!(v(dt, apart, None), st::OK);
            // Inputs at any byte; out at 4-byte multiples only.
            assert_eq!(v(dt, [0x1001, 0x1003, 0x2000], None), st::OK);
            for off in [1, 2, 3] {
                assert_eq!(
                    v(dt, [0x1000, 0x1000, 0x2000 + off], None),
                    st::INVALID_ARGUMENT
                );
            }
            // x's bytes 0x1000..=0x1005: out's 8 bytes at 0x0ff8 are apart,
            // at 0x0ffc they cover 0x1000..=0x1003 (2 bytes, as if out
            // were int8, would be apart); right after x's last byte, apart.
            assert_eq!(v(dt, [0x1000, 0x3000, 0x0ff8], None), st::OK);
            assert_eq!(v(dt, [0x1000, 0x3000, 0x0ffc], None), st::ALIASING);
            assert_eq!(v(dt, [0x1000, 0x3000, 0x1004], None), st::ALIASING);
            assert_eq!(v(dt, [0x1002, 0x3000, 0x1008], None), st::OK);
            // Misaligned and overlapping: check 9 first.
            assert_eq!(v(dt, [0x1000, 0x3000, 0x1001], None), st::INVALID_ARGUMENT);
            // alpha and beta: the flag and the rule.
            let ab = |a: f64, b: f64, flags: u32| {
                let t: Vec<u8> = [a, b].iter().flat_map(|v| v.to_ne_bytes()).collect();
                opts(32, flags, &t)
            };
            for (a, b) in [(1.0, 0.0), (1.0, -0.0), (1.0, 1.0)] {
                assert_eq!(v(dt, apart, Some(&ab(a, b, OPT_SCALE))), st::OK, "{a} {b}");
            }
            for (a, b) in [
                (2.0, 0.0),
                (1.0, 0.5),
                (f64::NAN, 0.0),
                (1.0, f64::NAN),
                (0.0, 1.0),
            ] {
                let op = ab(a, b, OPT_SCALE);
                assert_eq!(v(dt, apart, Some(&op)), st::INVALID_ARGUMENT, "{a} {b}");
                // Without the flag they are not read.
                assert_eq!(v(dt, apart, Some(&ab(a, b, 0))), st::OK, "{a} {b}");
                // Check 2: before a bad axis (5) and a misaligned out (9).
                let l = [Some(&x), Some(&x), Some(&o)];
                let bad = [0x1000, 0x1000, 0x2001];
                assert_eq!(
                    compute_dtyped(dt, l, 0, 7, Some(&op), bad).status,
                    st::INVALID_ARGUMENT
                );
                assert_eq!(
                    compute_dtyped(dt, l, 0, 7, None, bad).status,
                    st::BATCH_AXIS
                );
            }
            // A float row takes any alpha and beta.
            assert_eq!(v([1, 1, 1], apart, Some(&ab(2.0, 0.5, OPT_SCALE))), st::OK);
            assert_eq!(
                v([4, 4, 1], apart, Some(&ab(f64::NAN, 3.0, OPT_SCALE))),
                st::OK
            );
        }
        // batch_dot_s8 is the (S8, S8, S32) row.
        let l = [Some(&x), Some(&x), Some(&o)];
        assert_eq!(
            compute_s8(l, 1, 1, None, [0x1001, 0x1001, 0x2004]).status,
            st::OK
        );
        assert_eq!(
            compute_s8(l, 1, 1, None, [0x1001, 0x1001, 0x2006]).status,
            st::INVALID_ARGUMENT
        );
        // Byte overflow: out's last element at 2^61 fits at 1 byte, not 4.
        let far = layout(&[2, 3], &[1 << 61, 1], 0, 6);
        let far_o = layout(&[2, 1], &[1 << 61, 1], 0, 2);
        let w = |xl: &batch_dot_layout, ol: &batch_dot_layout| {
            compute_dtyped([5, 5, 7], [Some(xl), Some(&x), Some(ol)], 1, 1, None, apart).status
        };
        assert_eq!(w(&far, &o), st::OUT_OF_BOUNDS);
        assert_eq!(w(&x, &far_o), st::OVERFLOW);
        assert_eq!(DTYPES_RUN, DTYPES_TABLE);
    }

    /// Options bytes: struct_size, flags, and the bytes from 16 on.
    fn opts(size: usize, flags: u32, tail: &[u8]) -> Opts {
        let mut bytes = vec![0u8; size.max(16)];
        bytes[..8].copy_from_slice(&size.to_ne_bytes());
        bytes[12..16].copy_from_slice(&flags.to_ne_bytes());
        bytes[16..16 + tail.len()].copy_from_slice(tail);
        Opts { bytes }
    }

    #[test]
    fn options_rules_of_version_0_2() {
        let ab: Vec<u8> = [0.5f64, 2.0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        // A 0.1 caller: 16 bytes, no flag.
        assert!(opts(16, 0, &[]).valid());
        assert!(!opts(8, 0, &[]).valid());
        // 16..31: any nonzero byte past 16, or the flag, is invalid.
        assert!(opts(24, 0, &[]).valid());
        assert!(!opts(24, 0, &[0, 0, 1]).valid());
        assert!(!opts(16, OPT_SCALE, &[]).valid());
        assert!(!opts(31, OPT_SCALE, &[]).valid());
        // 32: alpha and beta are fields; the flag is valid.
        let o = opts(32, OPT_SCALE, &ab);
        assert!(o.valid());
        assert_eq!(o.scale(), Some((0.5, 2.0)));
        assert!(opts(32, 0, &ab).valid());
        assert_eq!(opts(32, 0, &ab).scale(), None);
        // Past 32: a nonzero byte there is invalid; zeros are fine.
        assert!(opts(40, OPT_SCALE, &ab).valid());
        let mut long = ab.clone();
        long.extend([0, 0, 0, 7]);
        assert!(!opts(40, OPT_SCALE, &long).valid());
        // Unknown flag bits, with or without the flag.
        assert!(!opts(32, 2, &ab).valid());
        assert!(!opts(32, 3, &ab).valid());
        assert!(!opts(32, 1 << 31, &[]).valid());
        // The cap.
        assert!(opts(4096, 0, &[]).valid());
        assert!(!opts(4097, 0, &[]).valid());
    }

    #[test]
    fn status_names() {
        assert_eq!(status_value("ALIASING"), Some(11));
        assert_eq!(status_value("NOPE"), None);
        assert_eq!(status_name(14), "INTERNAL");
        assert_eq!(status_name(99), "status 99");
        for (i, (_, v)) in STATUSES.iter().enumerate() {
            assert_eq!(*v, i as i32);
        }
    }
}
