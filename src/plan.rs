//! Turns a validated call into a compute plan: loops over independent output
//! blocks around one strided matrix product `out[i, j] = Σ_t x[i, t] · y[t, j]`
//! of size m × k × n. Pure safe Rust: strides and offsets are plain integers,
//! every one of them already proven to stay inside the caller's buffers.

use crate::consts::BATCH_DOT_MAX_NDIM;
use crate::types::batch_dot_layout;

/// Most loop dimensions a plan can have. A plan's loops are a subset of the
/// output's dimensions (the batch, and every free dimension but the
/// innermost of each operand), and the output has at most
/// `BATCH_DOT_MAX_NDIM` of them once the result rank is checked.
pub(crate) const MAX_LOOPS: usize = BATCH_DOT_MAX_NDIM;

/// One loop dimension of a plan: an extent and the stride (in elements) it
/// moves x, y and out by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopDim {
    /// Extent, >= 2 (dimensions of extent 1 are dropped).
    pub ext: usize,
    /// Stride in x (0 when the dimension is one of y's free dimensions).
    pub xs: isize,
    /// Stride in y (0 when the dimension is one of x's free dimensions).
    pub ys: isize,
    /// Stride in out.
    pub os: isize,
}

/// A compute plan. For every index of `loops` (outermost first), out block
/// `[m × n]` at `out + o` is `x block [m × k] · y block [k × n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Loop dimensions, outermost first; only `loops[..nloops]` are used.
    pub loops: [LoopDim; MAX_LOOPS],
    /// Number of loop dimensions.
    pub nloops: usize,
    /// Rows of each block (x's innermost free dimension, after merging), >= 1.
    pub m: usize,
    /// Columns of each block (y's innermost free dimension, after merging), >= 1.
    pub n: usize,
    /// Contraction length, >= 0. 0 means "fill the output with +0.0".
    pub k: usize,
    /// x stride along m.
    pub x_ms: isize,
    /// x stride along k.
    pub x_ks: isize,
    /// y stride along k.
    pub y_ks: isize,
    /// y stride along n.
    pub y_ns: isize,
    /// out stride along m.
    pub o_ms: isize,
    /// out stride along n.
    pub o_ns: isize,
    /// Element offset of x[0, ...] from the x data pointer.
    pub x_off: isize,
    /// Element offset of y[0, ...] from the y data pointer.
    pub y_off: isize,
    /// Element offset of out[0, ...] from the out data pointer.
    pub o_off: isize,
}

impl Plan {
    /// An empty plan (no loops, 1 × 0 × 1), to be filled by `build`.
    #[inline(always)]
    pub const fn new() -> Self {
        const D: LoopDim = LoopDim {
            ext: 0,
            xs: 0,
            ys: 0,
            os: 0,
        };
        Plan {
            loops: [D; MAX_LOOPS],
            nloops: 0,
            m: 1,
            n: 1,
            k: 0,
            x_ms: 0,
            x_ks: 0,
            y_ks: 0,
            y_ns: 0,
            o_ms: 0,
            o_ns: 0,
            x_off: 0,
            y_off: 0,
            o_off: 0,
        }
    }

    /// Number of `m × n` blocks: the product of the loop extents.
    pub fn blocks(&self) -> usize {
        self.loops[..self.nloops].iter().map(|d| d.ext).product()
    }

    fn push(&mut self, d: LoopDim) {
        self.loops[self.nloops] = d;
        self.nloops += 1;
    }
}

impl Default for Plan {
    fn default() -> Self {
        Plan::new()
    }
}

/// A free dimension of one operand: extent, stride in that operand, stride in out.
#[derive(Clone, Copy)]
struct Free {
    ext: usize,
    s: isize,
    os: isize,
}

/// Collapses one operand's free dimensions as they come (outermost first):
/// drops extent-1 dimensions and merges a dimension into the one before it
/// when their strides in both the operand and out are those of one larger
/// dimension. Every dimension but the last one kept becomes a loop of the
/// plan; the last one is returned (the block's rows or columns).
struct Collapser {
    last: Option<Free>,
}

impl Collapser {
    #[inline(always)]
    fn add(&mut self, d: Free, plan: &mut Plan, is_x: bool) {
        if d.ext == 1 {
            return;
        }
        if let Some(p) = self.last {
            // Strides and extents come from layouts whose reach (in bytes)
            // fits in i64, so these products cannot overflow; wrapping keeps
            // that a non-issue even so.
            let e = d.ext as isize;
            if p.s == d.s.wrapping_mul(e) && p.os == d.os.wrapping_mul(e) {
                self.last = Some(Free {
                    ext: p.ext * d.ext,
                    s: d.s,
                    os: d.os,
                });
                return;
            }
            let (xs, ys) = if is_x { (p.s, 0) } else { (0, p.s) };
            plan.push(LoopDim {
                ext: p.ext,
                xs,
                ys,
                os: p.os,
            });
        }
        self.last = Some(d);
    }
}

/// Builds into `plan` the plan of a validated call whose output has at least
/// one element. `x`, `y` and `out` have passed every check of docs/API.md, and
/// `axis_x`, `axis_y` are their normalised contracted axes.
///
/// An input with no elements (`x_empty`, `y_empty`: possible only when the
/// contraction is empty) reaches nothing, so its offset and strides were
/// never checked and may be anything (`i64::MAX`, say): the plan uses zeros
/// instead, so that no arithmetic on them can overflow (tests/hardening.rs,
/// `k0_inputs_with_unchecked_strides`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn build(
    plan: &mut Plan,
    x: &batch_dot_layout,
    y: &batch_dot_layout,
    out: &batch_dot_layout,
    axis_x: usize,
    axis_y: usize,
    x_empty: bool,
    y_empty: bool,
) {
    // All ones keeps a value, zero drops it.
    let xm: i64 = if x_empty { 0 } else { -1 };
    let ym: i64 = if y_empty { 0 } else { -1 };
    let k = x.shape[axis_x] as usize;
    let kmask = if k <= 1 { 0 } else { -1 };
    plan.nloops = 0;
    plan.m = 1;
    plan.n = 1;
    plan.k = k;
    plan.x_ms = 0;
    plan.x_ks = (x.strides[axis_x] & xm & kmask) as isize;
    plan.y_ks = (y.strides[axis_y] & ym & kmask) as isize;
    plan.y_ns = 0;
    plan.o_ms = 0;
    plan.o_ns = 0;
    plan.x_off = (x.offset & xm) as isize;
    plan.y_off = (y.offset & ym) as isize;
    plan.o_off = out.offset as isize;

    let b = x.shape[0] as usize;
    if b > 1 {
        plan.push(LoopDim {
            ext: b,
            xs: (x.strides[0] & xm) as isize,
            ys: (y.strides[0] & ym) as isize,
            os: out.strides[0] as isize,
        });
    }
    // x's free dimensions but the innermost are loops; the innermost is m.
    // Then y's, the innermost being n. (Their out dimensions follow the
    // batch: x's first, then y's.)
    let mut o = 1;
    if let Some(d) = free_dims(plan, x, axis_x, xm, out, &mut o, true) {
        (plan.m, plan.x_ms, plan.o_ms) = (d.ext, d.s, d.os);
    }
    if let Some(d) = free_dims(plan, y, axis_y, ym, out, &mut o, false) {
        (plan.n, plan.y_ns, plan.o_ns) = (d.ext, d.s, d.os);
    }
}

/// The free dimensions of one operand `l` (all but the batch and `axis`),
/// paired with out's dimensions from `*o` on (which advances past them):
/// pushes to `plan` every one but the last kept by the `Collapser`, which
/// it returns. `mask` is all ones, or zero for an empty operand.
#[inline(always)]
fn free_dims(
    plan: &mut Plan,
    l: &batch_dot_layout,
    axis: usize,
    mask: i64,
    out: &batch_dot_layout,
    o: &mut usize,
    is_x: bool,
) -> Option<Free> {
    let mut c = Collapser { last: None };
    for i in (1..l.ndim as usize).filter(|&i| i != axis) {
        let d = Free {
            ext: l.shape[i] as usize,
            s: (l.strides[i] & mask) as isize,
            os: out.strides[*o] as isize,
        };
        c.add(d, plan, is_x);
        *o += 1;
    }
    c.last
}
