//! Turns a validated call into a compute plan: loops over independent output
//! blocks around one strided matrix product `out[i, j] = Σ_t x[i, t] · y[t, j]`
//! of size m × k × n. Pure safe Rust: strides and offsets are plain integers,
//! every one of them already proven to stay inside the caller's buffers.

use crate::shape::{Contraction, MAX_RESULT_NDIM};
use crate::types::batch_dot_layout;

/// Most loop dimensions a plan can have: every result dimension.
pub const MAX_LOOPS: usize = MAX_RESULT_NDIM;

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
    /// Number of `m × n` blocks: the product of the loop extents.
    pub fn blocks(&self) -> usize {
        self.loops[..self.nloops].iter().map(|d| d.ext).product()
    }
}

/// A free dimension of one operand: extent, stride in that operand, stride in out.
#[derive(Clone, Copy, Default)]
struct Free {
    ext: usize,
    s: isize,
    os: isize,
}

/// Drops extent-1 dimensions and merges neighbours whose strides in both the
/// operand and out are those of one larger dimension.
fn collapse(dims: &mut [Free; MAX_LOOPS], n: usize) -> usize {
    let mut w = 0;
    for i in 0..n {
        let d = dims[i];
        if d.ext == 1 {
            continue;
        }
        if w > 0 {
            let p = dims[w - 1];
            if p.s == d.s * d.ext as isize && p.os == d.os * d.ext as isize {
                dims[w - 1] = Free {
                    ext: p.ext * d.ext,
                    s: d.s,
                    os: d.os,
                };
                continue;
            }
        }
        dims[w] = d;
        w += 1;
    }
    w
}

/// Builds the plan of a validated call whose output has at least one element.
/// `x`, `y` and `out` have passed every check of API.md, `c` is their
/// contraction.
pub fn build(
    x: &batch_dot_layout,
    y: &batch_dot_layout,
    out: &batch_dot_layout,
    c: &Contraction,
) -> Plan {
    let (xn, yn) = (x.ndim as usize, y.ndim as usize);
    let mut o = 1; // next out dimension
    let mut xf = [Free::default(); MAX_LOOPS];
    let mut nx = 0;
    for i in (1..xn).filter(|&i| i != c.axis_x) {
        xf[nx] = Free {
            ext: x.shape[i] as usize,
            s: x.strides[i] as isize,
            os: out.strides[o] as isize,
        };
        nx += 1;
        o += 1;
    }
    let mut yf = [Free::default(); MAX_LOOPS];
    let mut ny = 0;
    for j in (1..yn).filter(|&j| j != c.axis_y) {
        yf[ny] = Free {
            ext: y.shape[j] as usize,
            s: y.strides[j] as isize,
            os: out.strides[o] as isize,
        };
        ny += 1;
        o += 1;
    }
    let nx = collapse(&mut xf, nx);
    let ny = collapse(&mut yf, ny);

    let mut plan = Plan {
        loops: [LoopDim::default(); MAX_LOOPS],
        nloops: 0,
        m: 1,
        n: 1,
        k: x.shape[c.axis_x] as usize,
        x_ms: 0,
        x_ks: x.strides[c.axis_x] as isize,
        y_ks: y.strides[c.axis_y] as isize,
        y_ns: 0,
        o_ms: 0,
        o_ns: 0,
        x_off: x.offset as isize,
        y_off: y.offset as isize,
        o_off: out.offset as isize,
    };
    if plan.k <= 1 {
        plan.x_ks = 0;
        plan.y_ks = 0;
    }
    let mut push = |d: LoopDim| {
        plan.loops[plan.nloops] = d;
        plan.nloops += 1;
    };
    let b = x.shape[0] as usize;
    if b > 1 {
        push(LoopDim {
            ext: b,
            xs: x.strides[0] as isize,
            ys: y.strides[0] as isize,
            os: out.strides[0] as isize,
        });
    }
    // x's free dimensions but the innermost are loops; the innermost is m.
    for d in &xf[..nx.saturating_sub(1)] {
        push(LoopDim {
            ext: d.ext,
            xs: d.s,
            ys: 0,
            os: d.os,
        });
    }
    for d in &yf[..ny.saturating_sub(1)] {
        push(LoopDim {
            ext: d.ext,
            xs: 0,
            ys: d.s,
            os: d.os,
        });
    }
    if nx > 0 {
        let d = xf[nx - 1];
        (plan.m, plan.x_ms, plan.o_ms) = (d.ext, d.s, d.os);
    }
    if ny > 0 {
        let d = yf[ny - 1];
        (plan.n, plan.y_ns, plan.o_ns) = (d.ext, d.s, d.os);
    }
    plan
}
