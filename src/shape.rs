//! The semantics of `batch_dot` on shapes alone: axis normalisation, the
//! checks of docs/SEMANTICS.md §3 in TF's order, and the result shape. Pure
//! safe Rust; no memory is touched here.

use core::fmt;

use crate::consts::{BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_DIM_UNKNOWN, BATCH_DOT_MAX_NDIM};
use crate::error::{Error, Result};

/// Largest rank a result can have before the result-rank check:
/// `n + m - 3` with `n, m <= BATCH_DOT_MAX_NDIM`.
pub(crate) const MAX_RESULT_NDIM: usize = 2 * BATCH_DOT_MAX_NDIM - 3;

/// A shape of up to `MAX_RESULT_NDIM` extents, stored inline (no allocation).
/// Extents may be `BATCH_DOT_DIM_UNKNOWN` (-1) in shape inference.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    len: usize,
    dims: [i64; MAX_RESULT_NDIM],
}

impl Shape {
    /// The empty shape (rank 0).
    pub const fn new() -> Self {
        Shape {
            len: 0,
            dims: [0; MAX_RESULT_NDIM],
        }
    }

    fn push(&mut self, d: i64) {
        self.dims[self.len] = d;
        self.len += 1;
    }

    /// The extents.
    pub fn as_slice(&self) -> &[i64] {
        &self.dims[..self.len]
    }

    /// The rank.
    pub fn ndim(&self) -> usize {
        self.len
    }

    /// Number of elements, counting only known extents: 0 if any extent is 0,
    /// `None` if the product of the known extents exceeds `i64::MAX`.
    #[cfg_attr(not(feature = "ndarray"), allow(dead_code))]
    pub fn known_count(&self) -> Option<i64> {
        checked_count(self.as_slice())
    }
}

impl Default for Shape {
    fn default() -> Self {
        Shape::new()
    }
}

/// Number of elements of a shape: 0 if any extent is 0, otherwise the
/// product of the known (non-negative) extents, `None` on `i64` overflow.
pub fn checked_count(dims: &[i64]) -> Option<i64> {
    if dims.contains(&0) {
        return Some(0);
    }
    dims.iter()
        .filter(|&&d| d >= 0)
        .try_fold(1i64, |acc, &d| acc.checked_mul(d))
}

/// Formats extents like a Python tuple: `(3,)`, `(2, 3)`, `()`; unknown
/// extents print as `None`, as in Keras. Only for shapes where
/// `BATCH_DOT_DIM_UNKNOWN` means "unknown" (`batch_dot_infer_shape`, and
/// the messages of checks that run after negative extents were rejected).
pub struct Tuple<'a>(pub &'a [i64]);

/// Formats integers like a Python tuple, every value as it is (strides, and
/// shapes where -1 is just a negative extent).
pub struct Ints<'a>(pub &'a [i64]);

/// `Tuple` when -1 means unknown (`unknown`), else `Ints`.
pub(crate) fn tuple(dims: &[i64], unknown: bool) -> String {
    if unknown {
        Tuple(dims).to_string()
    } else {
        Ints(dims).to_string()
    }
}

fn write_tuple(f: &mut fmt::Formatter<'_>, dims: &[i64], unknown_as_none: bool) -> fmt::Result {
    f.write_str("(")?;
    for (i, d) in dims.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if unknown_as_none && *d == BATCH_DOT_DIM_UNKNOWN {
            f.write_str("None")?;
        } else {
            write!(f, "{d}")?;
        }
    }
    if dims.len() == 1 {
        f.write_str(",")?;
    }
    f.write_str(")")
}

impl fmt::Display for Tuple<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tuple(f, self.0, true)
    }
}

impl fmt::Display for Ints<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tuple(f, self.0, false)
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Tuple(self.as_slice()))
    }
}

/// Shows an axis argument as the caller passed it.
pub(crate) struct AxisArg(pub(crate) i64);

impl fmt::Display for AxisArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == BATCH_DOT_AXIS_DEFAULT {
            f.write_str("BATCH_DOT_AXIS_DEFAULT")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// What `resolve` found: the normalised axes and the result shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contraction {
    /// Contracted axis of x, in `1..rank(x)`.
    pub axis_x: usize,
    /// Contracted axis of y, in `1..rank(y)`.
    pub axis_y: usize,
    /// The result shape: `[B] + x's free extents + y's free extents`, or
    /// `[B, 1]` for rank-2 · rank-2. Its rank may still exceed
    /// `BATCH_DOT_MAX_NDIM`: see `check_result_rank`.
    pub out: Shape,
}

/// Checks that both inputs have rank >= 2 (docs/SEMANTICS.md §3 rule 1). The
/// ranks must already be known to lie in `0..=BATCH_DOT_MAX_NDIM`.
pub fn check_input_ranks(x: &[i64], y: &[i64]) -> Result<()> {
    if x.len() < 2 || y.len() < 2 {
        return Err(Error::InputRank {
            x: x.into(),
            y: y.into(),
        });
    }
    Ok(())
}

/// Checks the extents of one layout: every extent must be >= 0, or also
/// `BATCH_DOT_DIM_UNKNOWN` when `allow_unknown`.
pub fn check_extents(name: &'static str, dims: &[i64], allow_unknown: bool) -> Result<()> {
    for (i, &d) in dims.iter().enumerate() {
        let ok = d >= 0 || (allow_unknown && d == BATCH_DOT_DIM_UNKNOWN);
        if !ok {
            return Err(Error::NegativeExtent {
                name,
                index: i,
                extent: d,
                shape: dims.into(),
                unknown_allowed: allow_unknown,
            });
        }
    }
    Ok(())
}

/// Normalises one axis: a negative axis gets `+rank` once (docs/SEMANTICS.md
/// §2 rule 4); the result may still be negative, which `resolve` reports as
/// out of range.
fn normalise(axis: i64, rank: usize) -> i64 {
    if axis < 0 {
        // rank <= 16, axis > i64::MIN here, so this cannot overflow.
        axis + rank as i64
    } else {
        axis
    }
}

/// docs/SEMANTICS.md §2–§3: validates two input shapes (ranks >= 2 already
/// checked; extents >= 0 or unknown) and the axes, in TF's order: batch
/// mismatch, lone default, axis 0, axis out of range (below -rank included),
/// contraction mismatch. Returns the normalised axes and the result shape.
pub fn resolve(x: &[i64], y: &[i64], axis_x: i64, axis_y: i64) -> Result<Contraction> {
    let (n, m) = (x.len(), y.len());
    debug_assert!(n >= 2 && m >= 2 && n <= BATCH_DOT_MAX_NDIM && m <= BATCH_DOT_MAX_NDIM);

    let known = |d: i64| d != BATCH_DOT_DIM_UNKNOWN;
    if known(x[0]) && known(y[0]) && x[0] != y[0] {
        return Err(Error::BatchMismatch {
            x: x.into(),
            y: y.into(),
        });
    }

    let (a0, a1) = match (
        axis_x == BATCH_DOT_AXIS_DEFAULT,
        axis_y == BATCH_DOT_AXIS_DEFAULT,
    ) {
        (true, true) => (n as i64 - 1, if m == 2 { 1 } else { m as i64 - 2 }),
        (false, false) => (normalise(axis_x, n), normalise(axis_y, m)),
        _ => {
            return Err(Error::LoneDefaultAxis { axis_x, axis_y });
        }
    };

    if a0 == 0 || a1 == 0 {
        return Err(Error::BatchAxis {
            x: x.into(),
            y: y.into(),
            axis_x,
            axis_y,
            normalised_x: a0,
            normalised_y: a1,
        });
    }

    for (arg, axis, a, rank) in [("axis_x", axis_x, a0, n), ("axis_y", axis_y, a1, m)] {
        if a < 1 || a >= rank as i64 {
            return Err(Error::AxisOutOfRange {
                x: x.into(),
                y: y.into(),
                arg,
                axis,
                rank,
            });
        }
    }
    let (a0, a1) = (a0 as usize, a1 as usize);

    let (k0, k1) = (x[a0], y[a1]);
    if known(k0) && known(k1) && k0 != k1 {
        return Err(Error::ContractionMismatch {
            x: x.into(),
            y: y.into(),
            axis_x: a0,
            axis_y: a1,
            extent_x: k0,
            extent_y: k1,
        });
    }

    let mut out = Shape::new();
    out.push(if known(x[0]) { x[0] } else { y[0] });
    for (i, &d) in x.iter().enumerate().skip(1) {
        if i != a0 {
            out.push(d);
        }
    }
    for (j, &d) in y.iter().enumerate().skip(1) {
        if j != a1 {
            out.push(d);
        }
    }
    if out.ndim() == 1 {
        out.push(1);
    }
    Ok(Contraction {
        axis_x: a0,
        axis_y: a1,
        out,
    })
}

/// Checks that the result rank fits a layout (docs/API.md, check 6).
pub fn check_result_rank(x: &[i64], y: &[i64], c: &Contraction) -> Result<()> {
    if c.out.ndim() > BATCH_DOT_MAX_NDIM {
        return Err(Error::ResultRank {
            x: x.into(),
            y: y.into(),
            axis_x: c.axis_x,
            axis_y: c.axis_y,
            rank: c.out.ndim(),
        });
    }
    Ok(())
}

/// Full shape inference on plain shapes: the checks of docs/API.md, steps 3–6
/// and 8 for `batch_dot_infer_shape` (unknown extents allowed).
pub fn infer_shape(x: &[i64], y: &[i64], axis_x: i64, axis_y: i64) -> Result<Shape> {
    for (arg, s) in [("x_ndim", x), ("y_ndim", y)] {
        if s.len() > BATCH_DOT_MAX_NDIM {
            return Err(Error::NdimOutOfRange {
                arg,
                ndim: s.len() as i64,
            });
        }
    }
    check_input_ranks(x, y)?;
    check_extents("x", x, true)?;
    check_extents("y", y, true)?;
    let c = resolve(x, y, axis_x, axis_y)?;
    check_result_rank(x, y, &c)?;
    for (name, s) in [("x", x), ("y", y), ("the result", c.out.as_slice())] {
        if checked_count(s).is_none() {
            return Err(Error::CountOverflow {
                name,
                shape: s.into(),
            });
        }
    }
    Ok(c.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::BATCH_DOT_AXIS_DEFAULT as D;

    fn ok(x: &[i64], y: &[i64], a: (i64, i64)) -> Vec<i64> {
        infer_shape(x, y, a.0, a.1).unwrap().as_slice().to_vec()
    }
    fn err(x: &[i64], y: &[i64], a: (i64, i64)) -> i32 {
        infer_shape(x, y, a.0, a.1).unwrap_err().status()
    }

    #[test]
    fn tuple_formatting() {
        assert_eq!(Tuple(&[3]).to_string(), "(3,)");
        assert_eq!(Tuple(&[]).to_string(), "()");
        assert_eq!(Tuple(&[3, -1, 4]).to_string(), "(3, None, 4)");
        assert_eq!(Ints(&[3, -1, 4]).to_string(), "(3, -1, 4)");
        assert_eq!(Ints(&[7]).to_string(), "(7,)");
    }

    #[test]
    fn spec_section_7_shapes() {
        use crate::consts::*;
        for a in [(D, D), (1, 1), (-1, -1), (1, -1)] {
            assert_eq!(ok(&[3, 4], &[3, 4], a), [3, 1]);
        }
        assert_eq!(ok(&[3, 4], &[3, 4, 5], (D, D)), [3, 5]);
        assert_eq!(
            err(&[3, 4], &[3, 5, 4], (D, D)),
            BATCH_DOT_STATUS_CONTRACTION_MISMATCH
        );
        assert_eq!(ok(&[3, 4, 5], &[3, 5], (D, D)), [3, 4]);
        assert_eq!(
            err(&[3, 4, 5], &[3, 4], (D, D)),
            BATCH_DOT_STATUS_CONTRACTION_MISMATCH
        );
        assert_eq!(ok(&[3, 4, 5], &[3, 4], (1, 1)), [3, 5]);
        assert_eq!(ok(&[3, 4, 5], &[3, 6, 5], (-1, -1)), [3, 4, 6]);
        assert_eq!(ok(&[2, 3, 4, 5], &[2, 5, 6, 7], (3, 1)), [2, 3, 4, 6, 7]);
        assert_eq!(ok(&[2, 3, 4, 5], &[2, 6, 5, 7], (D, D)), [2, 3, 4, 6, 7]);
        assert_eq!(
            ok(&[2, 3, 4, 5, 6], &[2, 2, 3, 4, 5], (2, 3)),
            [2, 3, 5, 6, 2, 3, 5]
        );
        assert_eq!(ok(&[2, 1, 2, 2], &[2, 1, 2, 2], (2, 2)), [2, 1, 2, 1, 2]);
        assert_eq!(ok(&[1, 2, 1], &[1, 2, 1, 16], (2, 2)), [1, 2, 2, 16]);
        assert_eq!(ok(&[1, 2, 6, 2], &[1, 2, 2, 3], (3, 1)), [1, 2, 6, 2, 3]);
        for a in [(0, 0), (0, 1), (1, 0), (-2, -2)] {
            assert_eq!(err(&[3, 4], &[3, 4], a), BATCH_DOT_STATUS_BATCH_AXIS);
        }
        for a in [(2, 2), (1, 2), (-3, -3)] {
            assert_eq!(err(&[3, 4], &[3, 4], a), BATCH_DOT_STATUS_INVALID_AXES);
        }
        assert_eq!(
            err(&[3, 4, 5], &[3, 5, 6], (-4, -4)),
            BATCH_DOT_STATUS_INVALID_AXES
        );
        assert_eq!(
            err(&[3, 5, 5], &[3, 5, 5], (1, -5)),
            BATCH_DOT_STATUS_INVALID_AXES
        );
        assert_eq!(
            err(&[3, 4], &[5, 4], (1, 1)),
            BATCH_DOT_STATUS_BATCH_MISMATCH
        );
        assert_eq!(
            err(&[1, 4], &[2, 4], (1, 1)),
            BATCH_DOT_STATUS_BATCH_MISMATCH
        );
        assert_eq!(err(&[3], &[3, 4], (1, 1)), BATCH_DOT_STATUS_INVALID_RANK);
        assert_eq!(err(&[], &[3, 4], (1, 1)), BATCH_DOT_STATUS_INVALID_RANK);
        assert_eq!(ok(&[0, 4], &[0, 4], (1, 1)), [0, 1]);
        assert_eq!(ok(&[3, 0], &[3, 0], (1, 1)), [3, 1]);
        assert_eq!(ok(&[3, 0, 4], &[3, 4, 5], (D, D)), [3, 0, 5]);
        assert_eq!(ok(&[3, 2, 0, 0], &[3, 0], (3, 1)), [3, 2, 0]);
        assert_eq!(ok(&[1; 5], &[1; 5], (4, 4)), [1; 7]);
        assert_eq!(ok(&[-1, 4], &[3, 4], (1, 1)), [3, 1]);
        assert_eq!(err(&[3, 4], &[3, 4], (D, 1)), BATCH_DOT_STATUS_INVALID_AXES);
        // -3 with ranks 4 and 3 normalises to (1, 0): the batch-axis error.
        assert_eq!(
            err(&[2, 3, 3, 3], &[2, 3, 3], (-3, -3)),
            BATCH_DOT_STATUS_BATCH_AXIS
        );
        // -1 with ranks 4 and 3 gives (3, 2).
        assert_eq!(ok(&[2, 3, 4, 5], &[2, 6, 5], (-1, -1)), [2, 3, 4, 6]);
    }

    #[test]
    fn batch_checked_before_axes() {
        use crate::consts::*;
        assert_eq!(
            err(&[3, 4], &[5, 4], (0, 0)),
            BATCH_DOT_STATUS_BATCH_MISMATCH
        );
        // axis 0 is reported before an out-of-range axis
        assert_eq!(err(&[3, 4], &[3, 4], (0, 7)), BATCH_DOT_STATUS_BATCH_AXIS);
    }

    #[test]
    fn messages_match_keras() {
        let e = infer_shape(&[3, 4, 5], &[3, 6, 5], 2, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Cannot do batch_dot on inputs with shapes (3, 4, 5) and (3, 6, 5) with axes=[2, 1]. \
             x.shape[2] != y.shape[1] (5 != 6)."
        );
        let e = infer_shape(&[3], &[3, 4], 1, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes (3,) and (3, 4)."
        );
        let e = infer_shape(&[3, 4], &[5, 4], 1, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes (3, 4) and (5, 4)."
        );
    }

    #[test]
    fn result_rank_and_overflow() {
        use crate::consts::*;
        let x = [1i64; 16];
        assert_eq!(err(&x, &x, (1, 1)), BATCH_DOT_STATUS_INVALID_RANK);
        assert_eq!(ok(&x[..10], &x[..9], (1, 1)).len(), 16);
        let big = [2, 1 << 40, 7];
        let big2 = [2, 7, 1 << 40];
        assert_eq!(err(&big, &big2, (2, 1)), BATCH_DOT_STATUS_OVERFLOW);
        // K = 0 does not make a huge result small: (2, 2^40, 2^40) overflows.
        assert_eq!(
            err(&[2, 1 << 40, 0], &[2, 0, 1 << 40], (2, 1)),
            BATCH_DOT_STATUS_OVERFLOW
        );
        // A zero free extent does.
        assert_eq!(ok(&[2, 1 << 40, 5], &[2, 5, 0], (2, 1)), [2, 1 << 40, 0]);
    }
}
