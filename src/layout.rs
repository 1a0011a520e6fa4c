//! Checks on one `batch_dot_layout` taken by value: reserved fields, ranks,
//! extents, element counts, the range of elements it reaches, and whether an
//! output layout can write an element twice. Pure safe Rust: addresses are
//! plain integers here.

use crate::consts::BATCH_DOT_MAX_NDIM;
use crate::error::{Error, Result};
use crate::shape::checked_count;
use crate::types::batch_dot_layout;

/// The inclusive range of element indices `[lo, hi]` a non-empty layout
/// reaches, counted from its data pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// Lowest element index reached.
    pub lo: i64,
    /// Highest element index reached.
    pub hi: i64,
}

/// docs/API.md, check 2 for a layout: reserved flags and a negative `len`.
pub fn check_reserved(name: &'static str, l: &batch_dot_layout) -> Result<()> {
    if l.flags != 0 {
        return Err(Error::LayoutFlags {
            name,
            flags: l.flags,
        });
    }
    if l.len < 0 {
        return Err(Error::NegativeLen { name, len: l.len });
    }
    Ok(())
}

/// docs/API.md, check 3 for a layout: `ndim` in `0..=BATCH_DOT_MAX_NDIM`.
/// `arg` names the value in the message (`"x.ndim"`).
pub fn check_ndim(arg: &'static str, ndim: i32) -> Result<usize> {
    if ndim < 0 || ndim as usize > BATCH_DOT_MAX_NDIM {
        return Err(Error::NdimOutOfRange {
            arg,
            ndim: ndim.into(),
        });
    }
    Ok(ndim as usize)
}

/// The extents of a layout whose ndim was checked.
pub fn dims(l: &batch_dot_layout) -> &[i64] {
    &l.shape[..l.ndim as usize]
}

/// The strides of a layout whose ndim was checked.
pub fn strides(l: &batch_dot_layout) -> &[i64] {
    &l.strides[..l.ndim as usize]
}

/// docs/API.md, check 8 for a layout with valid extents: its element count
/// and the offsets it reaches, in elements and in bytes, fit in `i64`.
/// Returns the reached range, or `None` for a layout with no elements (which
/// reaches nothing).
pub fn reach(name: &'static str, l: &batch_dot_layout, elem_size: usize) -> Result<Option<Reach>> {
    let d = dims(l);
    let count = checked_count(d).ok_or_else(|| Error::CountOverflow {
        name,
        shape: d.into(),
    })?;
    if count == 0 {
        return Ok(None);
    }
    let (lo, hi) = span(l.offset, d, strides(l));
    let size = elem_size as i128;
    let fits = |v: i128| v >= i64::MIN as i128 && v <= i64::MAX as i128;
    if !(fits(lo) && fits(hi) && fits(lo * size) && fits((hi + 1) * size)) {
        return Err(Error::ReachOverflow {
            name,
            offset: l.offset,
            shape: d.into(),
            strides: strides(l).into(),
        });
    }
    Ok(Some(Reach {
        lo: lo as i64,
        hi: hi as i64,
    }))
}

/// The inclusive range of element offsets a non-empty layout with these
/// extents and strides reaches, exactly (extent-1 strides ignored).
pub fn span(offset: i64, dims: &[i64], strides: &[i64]) -> (i128, i128) {
    let (mut lo, mut hi) = (offset as i128, offset as i128);
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
    (lo, hi)
}

/// docs/API.md, check 10: every reached element lies in `[0, len)`.
pub fn check_bounds(name: &'static str, l: &batch_dot_layout, r: Reach) -> Result<()> {
    if r.lo < 0 || r.hi >= l.len {
        return Err(Error::OutOfBounds {
            name,
            lo: r.lo,
            hi: r.hi,
            offset: l.offset,
            shape: dims(l).into(),
            strides: strides(l).into(),
            len: l.len,
        });
    }
    Ok(())
}

/// docs/API.md, checks 4 and 8, fast path: for a layout with a checked ndim,
/// whether its extents are all >= 0, and its element count and reached
/// range, in `i64` arithmetic. `None` when an extent is negative or some
/// product or sum does not fit (`check_extents` and the exact `reach` then
/// decide); `Some(None)` for a layout with no elements.
#[inline(always)]
pub fn reach_fast(l: &batch_dot_layout, elem_size: usize) -> Option<Option<Reach>> {
    debug_assert!(l.ndim >= 0 && l.ndim as usize <= BATCH_DOT_MAX_NDIM);
    let d = dims(l);
    let s = &l.strides[..d.len()];
    let (mut count, mut lo, mut hi) = (1i64, l.offset, l.offset);
    let (mut sign, mut zero, mut ovf) = (0i64, false, false);
    // One pass. The spans of a layout with no elements are not needed, and
    // their overflow (a false alarm then) is ignored.
    for (&e, &st) in d.iter().zip(s) {
        sign |= e;
        zero |= e == 0;
        let (c, o1) = count.overflowing_mul(e);
        count = c;
        ovf |= o1;
        if e > 1 {
            let (span, o2) = (e - 1).overflowing_mul(st);
            let (v, o3) = if span < 0 {
                lo.overflowing_add(span)
            } else {
                hi.overflowing_add(span)
            };
            if span < 0 {
                lo = v;
            } else {
                hi = v;
            }
            ovf |= o2 | o3;
        }
    }
    if sign < 0 {
        return None;
    }
    if zero {
        return Some(None);
    }
    if ovf {
        return None;
    }
    let r = Reach { lo, hi };
    if !bytes_fit(r, elem_size) {
        return None;
    }
    Some(Some(r))
}

/// Whether the byte offsets `lo * elem_size` and `(hi + 1) * elem_size` of
/// a reached range fit in `i64` (the rest of check 8).
#[inline(always)]
fn bytes_fit(r: Reach, elem_size: usize) -> bool {
    // Division by a constant once inlined (elem_size is a type's size).
    let size = elem_size.max(1) as i64;
    let (lo_max, lo_min) = (i64::MAX / size, i64::MIN / size);
    r.lo >= lo_min && r.lo <= lo_max && r.hi < lo_max
}

/// Whether a layout is non-overlapping by construction: taking its
/// dimensions of extent > 1 in order of increasing |stride|, each |stride|
/// exceeds the span the smaller ones cover.
#[inline]
pub fn is_non_overlapping(l: &batch_dot_layout) -> bool {
    // Most layouts have at most two dimensions of extent > 1: no sort.
    let mut two = [(0u128, 0u128); 2];
    let mut n = 0;
    for (&e, &s) in dims(l).iter().zip(strides(l)) {
        if e > 1 {
            if n < 2 {
                two[n] = ((s as i128).unsigned_abs(), e as u128);
            }
            n += 1;
        }
    }
    match n {
        0 => true,
        1 => two[0].0 > 0,
        2 => {
            let (a, b) = if two[0].0 <= two[1].0 {
                (two[0], two[1])
            } else {
                (two[1], two[0])
            };
            a.0 > 0 && b.0 > (a.1 - 1) * a.0
        }
        _ => non_overlapping_sorted(l),
    }
}

/// `is_non_overlapping` for any number of dimensions of extent > 1.
#[inline(never)]
fn non_overlapping_sorted(l: &batch_dot_layout) -> bool {
    let mut ds: [(u128, u128); BATCH_DOT_MAX_NDIM] = [(0, 0); BATCH_DOT_MAX_NDIM];
    let mut n = 0;
    for (&e, &s) in dims(l).iter().zip(strides(l)) {
        if e > 1 {
            ds[n] = ((s as i128).unsigned_abs(), e as u128);
            n += 1;
        }
    }
    let ds = &mut ds[..n];
    ds.sort_unstable();
    let mut span: u128 = 0;
    for &(s, e) in ds.iter() {
        if s <= span {
            return false;
        }
        span += (e - 1) * s;
    }
    true
}

/// docs/API.md, check 11, first half: the out layout is non-overlapping by
/// construction (see `is_non_overlapping`).
pub fn check_non_overlapping(name: &'static str, l: &batch_dot_layout) -> Result<()> {
    if is_non_overlapping(l) {
        return Ok(());
    }
    Err(Error::OverlappingOut {
        name,
        shape: dims(l).into(),
        strides: strides(l).into(),
    })
}

/// The inclusive byte range `[first, last]` of a reached element range for
/// data at address `base`. `r` comes from `reach` (or `reach_fast`) for
/// this `elem_size`, which proved `r.lo * elem_size` and
/// `(r.hi + 1) * elem_size` fit in `i64`.
#[inline]
pub fn byte_range(base: usize, r: Reach, elem_size: usize) -> (i128, i128) {
    let size = elem_size as i64;
    let b = base as i128;
    (
        b + r.lo.wrapping_mul(size) as i128,
        b + (r.hi.wrapping_add(1)).wrapping_mul(size) as i128 - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout of `shape` with `strides`, `offset` and `len`, flags 0.
    fn lay(shape: &[i64], strides: &[i64], offset: i64, len: i64) -> batch_dot_layout {
        let mut l = batch_dot_layout::zeroed();
        l.ndim = shape.len() as i32;
        l.shape[..shape.len()].copy_from_slice(shape);
        l.strides[..strides.len()].copy_from_slice(strides);
        l.offset = offset;
        l.len = len;
        l
    }

    #[test]
    fn reach_and_bounds() {
        let l = lay(&[2, 3], &[3, 1], 0, 6);
        let r = reach("x", &l, 4).unwrap().unwrap();
        assert_eq!((r.lo, r.hi), (0, 5));
        check_bounds("x", &l, r).unwrap();
        let l = lay(&[2, 3], &[3, 1], 0, 5);
        assert!(check_bounds("x", &l, reach("x", &l, 4).unwrap().unwrap()).is_err());
        // negative stride, offset at the end
        let l = lay(&[2, 3], &[-3, 1], 3, 6);
        let r = reach("x", &l, 4).unwrap().unwrap();
        assert_eq!((r.lo, r.hi), (0, 5));
        // extent-1 strides ignored, even INT64_MIN
        let l = lay(&[1, 3], &[i64::MIN, 1], 0, 3);
        assert_eq!(reach("x", &l, 8).unwrap().unwrap().hi, 2);
        // empty tensors reach nothing
        let l = lay(&[0, 3], &[i64::MAX, i64::MAX], i64::MIN, 0);
        assert_eq!(reach("x", &l, 8).unwrap(), None);
    }

    #[test]
    fn overflow_in_elements_and_bytes() {
        let l = lay(&[2, 2], &[i64::MAX, 1], 0, i64::MAX);
        assert!(matches!(
            reach("x", &l, 4),
            Err(Error::ReachOverflow { .. })
        ));
        let l = lay(&[2], &[i64::MAX / 4], 0, i64::MAX);
        assert!(matches!(
            reach("x", &l, 8),
            Err(Error::ReachOverflow { .. })
        ));
        let l = lay(&[1 << 32, 1 << 32], &[1, 1], 0, i64::MAX);
        assert!(matches!(
            reach("x", &l, 4),
            Err(Error::CountOverflow { .. })
        ));
    }

    #[test]
    fn non_overlapping() {
        check_non_overlapping("out", &lay(&[2, 3], &[3, 1], 0, 6)).unwrap();
        check_non_overlapping("out", &lay(&[2, 3], &[1, 2], 0, 6)).unwrap();
        check_non_overlapping("out", &lay(&[2, 3], &[-3, -1], 5, 6)).unwrap();
        check_non_overlapping("out", &lay(&[2, 1], &[1, 0], 0, 6)).unwrap();
        assert!(check_non_overlapping("out", &lay(&[2, 3], &[2, 1], 0, 6)).is_err());
        assert!(check_non_overlapping("out", &lay(&[2, 3], &[0, 1], 0, 6)).is_err());
        assert!(check_non_overlapping("out", &lay(&[2, 3], &[3, -1], 2, 6)).is_ok());
        assert!(check_non_overlapping("out", &lay(&[3, 3], &[2, 1], 0, 9)).is_err());
    }

    #[test]
    // Pure safe Rust (no unsafe to check) and far too slow interpreted.
    #[cfg_attr(miri, ignore)]
    fn non_overlapping_fast_cases_agree_with_the_sort() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..100_000 {
            let n = next(5) as usize;
            let shape: Vec<i64> = (0..n).map(|_| next(4) as i64).collect();
            let strides: Vec<i64> = (0..n)
                .map(|_| match next(8) {
                    0 => i64::MIN,
                    1 => i64::MAX,
                    _ => next(13) as i64 - 6,
                })
                .collect();
            let l = lay(&shape, &strides, 0, 0);
            assert_eq!(
                is_non_overlapping(&l),
                non_overlapping_sorted(&l),
                "{shape:?} {strides:?}"
            );
        }
    }
}
