//! The checks of API.md, in its order, for a compute call, on values the FFI
//! layer has already copied out of the caller's memory. Pure safe Rust: data
//! pointers are plain addresses here. What passes comes out as a `Prepared`
//! call whose plan the kernels can run without further checks.

use crate::consts::BATCH_DOT_MAX_NDIM;
use crate::error::{Error, Result};
use crate::layout::{self, Reach};
use crate::plan::{self, Plan};
use crate::shape::{self, Tuple};
use crate::types::{batch_dot_layout, batch_dot_options};

/// Size of the first version of `batch_dot_options`.
pub const OPTIONS_V1_SIZE: usize = core::mem::size_of::<batch_dot_options>();
/// Largest `struct_size` accepted (Linux's extensible structs stop at a page).
pub const OPTIONS_MAX_SIZE: usize = 4096;

/// What the FFI layer read of a non-NULL `batch_dot_options`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawOptions {
    /// `struct_size` as given.
    pub struct_size: usize,
    /// `num_threads`, when `struct_size` covers it (else 0).
    pub num_threads: u32,
    /// `flags`, when `struct_size` covers it (else 0).
    pub flags: u32,
    /// Whether a byte in `[OPTIONS_V1_SIZE, struct_size)` is nonzero (read
    /// only when `struct_size` is at most `OPTIONS_MAX_SIZE`).
    pub tail_nonzero: bool,
}

/// The three data pointers of a call, as addresses.
#[derive(Clone, Copy, Debug)]
pub struct Addrs {
    /// x's data pointer.
    pub x: usize,
    /// y's data pointer.
    pub y: usize,
    /// out's data pointer.
    pub out: usize,
}

/// A call that passed every check.
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    /// The plan, or `None` when the output has no elements (nothing to do).
    pub plan: Option<Plan>,
    /// Threads the caller allows (>= 1).
    pub threads: usize,
}

fn need<'a>(name: &str, l: Option<&'a batch_dot_layout>) -> Result<&'a batch_dot_layout> {
    l.ok_or_else(|| Error::NullPointer(format!("{name} is NULL: a layout is required.")))
}

fn check_options(o: &RawOptions) -> Result<()> {
    if o.struct_size < OPTIONS_V1_SIZE {
        return Err(Error::InvalidArgument(format!(
            "options->struct_size = {} is below sizeof(batch_dot_options) = {OPTIONS_V1_SIZE}; \
             fill options with batch_dot_options_init().",
            o.struct_size
        )));
    }
    if o.struct_size > OPTIONS_MAX_SIZE {
        return Err(Error::InvalidArgument(format!(
            "options->struct_size = {} is above {OPTIONS_MAX_SIZE}.",
            o.struct_size
        )));
    }
    if o.flags != 0 {
        return Err(Error::InvalidArgument(format!(
            "options->flags = {:#x}: reserved, must be 0.",
            o.flags
        )));
    }
    if o.tail_nonzero {
        return Err(Error::InvalidArgument(format!(
            "options->struct_size = {} and a byte past the {OPTIONS_V1_SIZE} bytes this library \
             knows is nonzero: an option this version does not support was set.",
            o.struct_size
        )));
    }
    Ok(())
}

/// Threads to use for `num_threads` (0 = the process default).
fn threads(num_threads: u32) -> usize {
    if num_threads == 0 {
        crate::threads::default_threads()
    } else {
        num_threads as usize
    }
}

/// Runs checks 1–11 of API.md for a compute call on elements of
/// `elem_size` bytes (and alignment `elem_align`), and builds the plan.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    x: Option<&batch_dot_layout>,
    y: Option<&batch_dot_layout>,
    out: Option<&batch_dot_layout>,
    axis_x: i64,
    axis_y: i64,
    options: Option<&RawOptions>,
    addrs: Addrs,
    elem_size: usize,
    elem_align: usize,
) -> Result<Prepared> {
    // 1. NULL layouts.
    let (x, y, out) = (need("x", x)?, need("y", y)?, need("out", out)?);
    // 2. Reserved fields, struct_size, negative len.
    let all = [("x", x), ("y", y), ("out", out)];
    for (name, l) in all {
        layout::check_reserved(name, l)?;
    }
    if let Some(o) = options {
        check_options(o)?;
    }
    // 3. Ranks.
    for (name, l) in all {
        layout::check_ndim(name, l.ndim)?;
    }
    let (xd, yd, od) = (layout::dims(x), layout::dims(y), layout::dims(out));
    shape::check_input_ranks(xd, yd)?;
    // 4. Extents.
    for (name, l) in all {
        shape::check_extents(name, layout::dims(l), false)?;
    }
    // 5–6. SPEC.md §3, then the result rank.
    let c = shape::resolve(xd, yd, axis_x, axis_y)?;
    shape::check_result_rank(xd, yd, &c)?;
    // 7. The out layout's shape.
    if od != c.out.as_slice() {
        return Err(Error::OutputShape(format!(
            "out has shape {} (ndim {}), but batch_dot of inputs with shapes {} and {} with \
             axes=[{}, {}] has shape {} (ndim {}).",
            Tuple(od),
            od.len(),
            Tuple(xd),
            Tuple(yd),
            c.axis_x,
            c.axis_y,
            Tuple(c.out.as_slice()),
            c.out.ndim()
        )));
    }
    // 8. Element counts and reachable offsets.
    let mut reach: [Option<Reach>; 3] = [None; 3];
    for (r, (name, l)) in reach.iter_mut().zip(all) {
        *r = layout::reach(name, l, elem_size)?;
    }
    // 9. Data pointers of tensors with elements.
    let ptrs = [addrs.x, addrs.y, addrs.out];
    for ((name, l), (r, &p)) in all.iter().zip(reach.iter().zip(&ptrs)) {
        if r.is_none() {
            continue;
        }
        if p == 0 {
            return Err(Error::NullPointer(format!(
                "{name}_data is NULL, but {name} has shape {} ({} elements).",
                Tuple(layout::dims(l)),
                shape::checked_count(layout::dims(l)).unwrap_or(-1)
            )));
        }
        if p % elem_align != 0 {
            return Err(Error::InvalidArgument(format!(
                "{name}_data = {p:#x} is not aligned to {elem_align} bytes."
            )));
        }
    }
    // 10. Bounds.
    for ((name, l), r) in all.iter().zip(&reach) {
        if let Some(r) = r {
            layout::check_bounds(name, l, *r)?;
        }
    }
    // 11. Aliasing (only an output with elements is ever written).
    if let Some(ro) = reach[2] {
        layout::check_non_overlapping("out", out)?;
        let (o0, o1) = layout::byte_range(addrs.out, ro, elem_size);
        for (i, name) in [(0, "x"), (1, "y")] {
            if let Some(r) = reach[i] {
                let (a0, a1) = layout::byte_range(ptrs[i], r, elem_size);
                if a0 <= o1 && o0 <= a1 {
                    return Err(Error::Aliasing(format!(
                        "out's memory (bytes {o0:#x}..={o1:#x}) overlaps {name}'s \
                         (bytes {a0:#x}..={a1:#x}): out must not share memory with an input."
                    )));
                }
            }
        }
    }
    let threads = threads(options.map_or(0, |o| o.num_threads));
    // An input with no elements (K = 0 while out has elements) reaches
    // nothing, so its offset and strides were never checked and may be
    // anything (i64::MAX, say): the plan gets zeros instead, so that no
    // arithmetic on them can overflow (tests/hardening.rs,
    // k0_inputs_with_unchecked_strides).
    let checked = |l: &batch_dot_layout, r: &Option<Reach>| {
        let mut l = *l;
        if r.is_none() {
            l.offset = 0;
            l.strides = [0; BATCH_DOT_MAX_NDIM];
        }
        l
    };
    let (xc, yc) = (checked(x, &reach[0]), checked(y, &reach[1]));
    let plan = reach[2].map(|_| plan::build(&xc, &yc, out, &c));
    debug_assert!(od.len() <= BATCH_DOT_MAX_NDIM);
    Ok(Prepared { plan, threads })
}
