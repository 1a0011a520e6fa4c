//! The checks of docs/API.md, in its order, for a compute call, on values the FFI
//! layer has already copied out of the caller's memory. Pure safe Rust: data
//! pointers are plain addresses here. What passes comes out as a `Prepared`
//! call whose plan the kernels can run without further checks.

use crate::consts::{BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_MAX_NDIM, BATCH_DOT_OPT_SCALE};
use crate::error::{Error, Result};
use crate::layout::{self, Reach};
use crate::plan::{self, Plan};
use crate::shape;
use crate::types::{batch_dot_layout, batch_dot_options};

/// Size of the first version (0.1) of `batch_dot_options`.
pub(crate) const OPTIONS_V1_SIZE: usize = 16;
/// Size of this version (0.2) of `batch_dot_options`: `alpha` and `beta`.
pub(crate) const OPTIONS_V2_SIZE: usize = core::mem::size_of::<batch_dot_options>();
const _: () = assert!(OPTIONS_V2_SIZE == 32);
/// Largest `struct_size` accepted (Linux's extensible structs stop at a page).
pub(crate) const OPTIONS_MAX_SIZE: usize = 4096;

/// What the FFI layer read of a non-NULL `batch_dot_options`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawOptions {
    /// `struct_size` as given.
    pub struct_size: usize,
    /// `num_threads`, when `struct_size` covers it (else 0).
    pub num_threads: u32,
    /// `flags`, when `struct_size` covers it (else 0).
    pub flags: u32,
    /// `alpha`, when `struct_size` covers it (else 1).
    pub alpha: f64,
    /// `beta`, when `struct_size` covers it (else 0).
    pub beta: f64,
    /// Whether a byte past the fields `struct_size` covers is nonzero: in
    /// `[OPTIONS_V1_SIZE, struct_size)` when `struct_size` is below
    /// `OPTIONS_V2_SIZE`, else in `[OPTIONS_V2_SIZE, struct_size)` (read
    /// only when `struct_size` is at most `OPTIONS_MAX_SIZE`).
    pub tail_nonzero: bool,
}

impl RawOptions {
    /// Options as `batch_dot_options_init` leaves them, with `num_threads`.
    pub fn defaults(num_threads: u32) -> Self {
        RawOptions {
            struct_size: OPTIONS_V2_SIZE,
            num_threads,
            flags: 0,
            alpha: 1.0,
            beta: 0.0,
            tail_nonzero: false,
        }
    }

    /// `(alpha, beta)` when the call scales (`BATCH_DOT_OPT_SCALE`).
    pub fn scale(&self) -> Option<(f64, f64)> {
        (self.flags & BATCH_DOT_OPT_SCALE != 0).then_some((self.alpha, self.beta))
    }

    /// Whether these options pass check 2 (the fast path's test).
    #[inline(always)]
    fn valid(&self) -> bool {
        (OPTIONS_V1_SIZE..=OPTIONS_MAX_SIZE).contains(&self.struct_size)
            && self.flags & !BATCH_DOT_OPT_SCALE == 0
            && !self.tail_nonzero
            && (self.flags == 0 || self.struct_size >= OPTIONS_V2_SIZE)
    }

    /// Whether a scaled call's alpha and beta suit an integer output
    /// (alpha = 1, beta = 0 or 1), or the call is not scaled.
    #[inline(always)]
    fn int_ok(&self) -> bool {
        self.flags & BATCH_DOT_OPT_SCALE == 0
            || (self.alpha == 1.0 && (self.beta == 0.0 || self.beta == 1.0))
    }
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

/// The arguments of a compute call, as the FFI layer copied them out of the
/// caller's memory (data pointers as addresses).
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// x's layout (`None`: NULL).
    pub x: Option<&'a batch_dot_layout>,
    /// y's layout (`None`: NULL).
    pub y: Option<&'a batch_dot_layout>,
    /// out's layout (`None`: NULL).
    pub out: Option<&'a batch_dot_layout>,
    /// The contracted axis of x, as passed.
    pub axis_x: i64,
    /// The contracted axis of y, as passed.
    pub axis_y: i64,
    /// The options (`None`: NULL).
    pub options: Option<&'a RawOptions>,
    /// The three data pointers.
    pub addrs: Addrs,
    /// Bytes per element of x, y and out (each tensor's own dtype).
    pub elem_size: [usize; 3],
    /// Alignment an element of x, y and out needs.
    pub elem_align: [usize; 3],
    /// Whether out is an integer (int32): then a scaled call takes only
    /// alpha = 1 and beta = 0 or 1 (check 2).
    pub int_out: bool,
}

fn need<'a>(name: &'static str, l: Option<&'a batch_dot_layout>) -> Result<&'a batch_dot_layout> {
    l.ok_or(Error::NullLayout { name })
}

fn check_options(o: &RawOptions, int_out: bool) -> Result<()> {
    if o.struct_size < OPTIONS_V1_SIZE {
        return Err(Error::OptionsSizeBelow {
            struct_size: o.struct_size,
        });
    }
    if o.struct_size > OPTIONS_MAX_SIZE {
        return Err(Error::OptionsSizeAbove {
            struct_size: o.struct_size,
        });
    }
    if o.flags & !BATCH_DOT_OPT_SCALE != 0 {
        return Err(Error::OptionsFlags { flags: o.flags });
    }
    if o.tail_nonzero {
        return Err(Error::OptionsUnknown {
            struct_size: o.struct_size,
        });
    }
    if o.flags & BATCH_DOT_OPT_SCALE != 0 && o.struct_size < OPTIONS_V2_SIZE {
        return Err(Error::OptionsScaleShort {
            struct_size: o.struct_size,
        });
    }
    if int_out && o.flags & BATCH_DOT_OPT_SCALE != 0 {
        if o.alpha != 1.0 {
            return Err(Error::IntAlpha {
                alpha: o.alpha.to_bits(),
            });
        }
        if !(o.beta == 0.0 || o.beta == 1.0) {
            return Err(Error::IntBeta {
                beta: o.beta.to_bits(),
            });
        }
    }
    debug_assert!(o.valid() && (!int_out || o.int_ok()));
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

/// What the checks of docs/API.md established about a call that passed them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checked<'a> {
    x: &'a batch_dot_layout,
    y: &'a batch_dot_layout,
    out: &'a batch_dot_layout,
    /// Normalised contracted axis of x.
    axis_x: usize,
    /// Normalised contracted axis of y.
    axis_y: usize,
    /// Whether x, y, out have no elements (and so reach nothing).
    x_empty: bool,
    y_empty: bool,
    out_empty: bool,
}

/// Runs checks 1–11 of docs/API.md for a compute call on elements of
/// `elem_size` bytes (and alignment `elem_align`), one of each per tensor
/// (check 1b, the dtypes, is the FFI layer's: it picks these sizes), in
/// docs/API.md's order (the first failure wins), and builds the plan into
/// `plan`. Returns the threads
/// the caller allows (>= 1), or `None` when the output has no elements
/// (nothing to do, `plan` untouched).
///
/// Every call first goes through a fast path that runs all the checks at
/// once, in `i64` arithmetic, and only says yes or "not sure"; anything it
/// does not accept (every error, and the rare valid call that needs wider
/// arithmetic) goes through `check_in_order`, which decides and words the
/// error. In debug builds every accepted call is checked by both.
#[inline(always)]
pub fn prepare_into(plan: &mut Plan, call: Call<'_>) -> Result<Option<usize>> {
    let c = match check_fast(&call) {
        Some(c) => {
            debug_assert_eq!(
                check_in_order(&call),
                Ok(c),
                "the fast checks accepted a call the ordered checks do not"
            );
            c
        }
        None => check_in_order(&call)?,
    };
    let threads = threads(call.options.map_or(0, |o| o.num_threads));
    if c.out_empty {
        return Ok(None);
    }
    plan::build(
        plan, c.x, c.y, c.out, c.axis_x, c.axis_y, c.x_empty, c.y_empty,
    );
    Ok(Some(threads))
}

/// `p % align == 0`, without a division for the usual power-of-two `align`.
#[inline(always)]
fn aligned(p: usize, align: usize) -> bool {
    if align.is_power_of_two() {
        p & (align - 1) == 0
    } else {
        p.is_multiple_of(align)
    }
}

/// Normalised axes when both are valid for ranks `n`, `m` (>= 2), else `None`.
#[inline(always)]
fn axes_fast(axis_x: i64, axis_y: i64, n: usize, m: usize) -> Option<(usize, usize)> {
    if axis_x == BATCH_DOT_AXIS_DEFAULT && axis_y == BATCH_DOT_AXIS_DEFAULT {
        return Some((n - 1, if m == 2 { 1 } else { m - 2 }));
    }
    // A lone default normalises far below 1: out of range, so `None`.
    let norm = |a: i64, r: usize| if a < 0 { a.wrapping_add(r as i64) } else { a };
    let (a0, a1) = (norm(axis_x, n), norm(axis_y, m));
    if a0 < 1 || a0 >= n as i64 || a1 < 1 || a1 >= m as i64 {
        return None;
    }
    Some((a0 as usize, a1 as usize))
}

/// Checks 1–11 all at once, for calls that pass them all: `Some` exactly
/// when `check_in_order` would succeed, with the same result, except that it
/// may say `None` ("not sure") for a valid call whose offsets need more
/// than `i64` arithmetic to check.
#[inline(always)]
fn check_fast<'a>(call: &Call<'a>) -> Option<Checked<'a>> {
    // 1.
    let (x, y, out) = (call.x?, call.y?, call.out?);
    // 2.
    if let Some(o) = call.options {
        if !o.valid() || (call.int_out && !o.int_ok()) {
            return None;
        }
    }
    if (x.flags | y.flags | out.flags) != 0 || (x.len | y.len | out.len) < 0 {
        return None;
    }
    // 3. (A negative ndim becomes huge.)
    let (xn, yn, on) = (
        x.ndim as u32 as usize,
        y.ndim as u32 as usize,
        out.ndim as u32 as usize,
    );
    if xn > BATCH_DOT_MAX_NDIM
        || yn > BATCH_DOT_MAX_NDIM
        || on > BATCH_DOT_MAX_NDIM
        || xn < 2
        || yn < 2
    {
        return None;
    }
    let (xd, yd, od) = (&x.shape[..xn], &y.shape[..yn], &out.shape[..on]);
    // 4. (Negative extents: with 8, below; until then they are only compared.)
    // 5.
    if xd[0] != yd[0] {
        return None;
    }
    let (ax, ay) = axes_fast(call.axis_x, call.axis_y, xn, yn)?;
    if xd[ax] != yd[ay] {
        return None;
    }
    // 6–7. The result rank is xn + yn - 3 (2 for rank-2 inputs); one above
    // 16 cannot equal out's.
    if on != (xn + yn - 3).max(2) || od[0] != xd[0] {
        return None;
    }
    let mut o = 1;
    for (i, &d) in xd.iter().enumerate().skip(1) {
        if i != ax {
            if od[o] != d {
                return None;
            }
            o += 1;
        }
    }
    for (j, &d) in yd.iter().enumerate().skip(1) {
        if j != ay {
            if od[o] != d {
                return None;
            }
            o += 1;
        }
    }
    if o == 1 && od[1] != 1 {
        return None;
    }
    // 4 and 8.
    let [sx, sy, so] = call.elem_size;
    let [align_x, align_y, align_o] = call.elem_align;
    let rx = layout::reach_fast(x, sx)?;
    let ry = layout::reach_fast(y, sy)?;
    let ro = layout::reach_fast(out, so)?;
    // 9–10.
    let ok = |r: Option<Reach>, p: usize, align: usize, l: &batch_dot_layout| match r {
        None => true,
        Some(r) => p != 0 && aligned(p, align) && r.lo >= 0 && r.hi < l.len,
    };
    if !(ok(rx, call.addrs.x, align_x, x)
        && ok(ry, call.addrs.y, align_y, y)
        && ok(ro, call.addrs.out, align_o, out))
    {
        return None;
    }
    // 11.
    if let Some(ro) = ro {
        if !layout::is_non_overlapping(out) {
            return None;
        }
        let (o0, o1) = layout::byte_range(call.addrs.out, ro, so);
        for (r, p, s) in [(rx, call.addrs.x, sx), (ry, call.addrs.y, sy)] {
            if let Some(r) = r {
                let (a0, a1) = layout::byte_range(p, r, s);
                if a0 <= o1 && o0 <= a1 {
                    return None;
                }
            }
        }
    }
    Some(Checked {
        x,
        y,
        out,
        axis_x: ax,
        axis_y: ay,
        x_empty: rx.is_none(),
        y_empty: ry.is_none(),
        out_empty: ro.is_none(),
    })
}

/// Checks 1–11 of docs/API.md one by one, in its order, with exact arithmetic:
/// the first failure is the call's error.
#[cold]
#[inline(never)]
fn check_in_order<'a>(call: &Call<'a>) -> Result<Checked<'a>> {
    let Call {
        x,
        y,
        out,
        axis_x,
        axis_y,
        options,
        addrs,
        elem_size,
        elem_align,
        int_out,
    } = *call;
    // 1. NULL layouts.
    let (x, y, out) = (need("x", x)?, need("y", y)?, need("out", out)?);
    // 2. Reserved fields, struct_size, negative len.
    let all = [("x", x), ("y", y), ("out", out)];
    for (name, l) in all {
        layout::check_reserved(name, l)?;
    }
    if let Some(o) = options {
        check_options(o, int_out)?;
    }
    // 3. Ranks.
    for (arg, l) in [("x.ndim", x), ("y.ndim", y), ("out.ndim", out)] {
        layout::check_ndim(arg, l.ndim)?;
    }
    let (xd, yd, od) = (layout::dims(x), layout::dims(y), layout::dims(out));
    shape::check_input_ranks(xd, yd)?;
    // 4. Extents.
    for (name, l) in all {
        shape::check_extents(name, layout::dims(l), false)?;
    }
    // 5–6. docs/SEMANTICS.md §3, then the result rank.
    let c = shape::resolve(xd, yd, axis_x, axis_y)?;
    shape::check_result_rank(xd, yd, &c)?;
    // 7. The out layout's shape.
    if od != c.out.as_slice() {
        return Err(Error::OutputShape {
            out: od.into(),
            x: xd.into(),
            y: yd.into(),
            axis_x: c.axis_x,
            axis_y: c.axis_y,
            expected: c.out.as_slice().into(),
        });
    }
    // 8. Element counts and reachable offsets.
    let mut reach: [Option<Reach>; 3] = [None; 3];
    for ((r, (name, l)), &size) in reach.iter_mut().zip(all).zip(&elem_size) {
        *r = layout::reach(name, l, size)?;
    }
    // 9. Data pointers of tensors with elements.
    let ptrs = [addrs.x, addrs.y, addrs.out];
    for (((name, l), (r, &p)), &align) in all.iter().zip(reach.iter().zip(&ptrs)).zip(&elem_align) {
        if r.is_none() {
            continue;
        }
        if p == 0 {
            return Err(Error::NullData {
                name,
                shape: layout::dims(l).into(),
                count: shape::checked_count(layout::dims(l)).unwrap_or(-1),
            });
        }
        if p % align != 0 {
            return Err(Error::Misaligned {
                name,
                addr: p,
                align,
            });
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
        let (o0, o1) = layout::byte_range(addrs.out, ro, elem_size[2]);
        for (i, name) in [(0, "x"), (1, "y")] {
            if let Some(r) = reach[i] {
                let (a0, a1) = layout::byte_range(ptrs[i], r, elem_size[i]);
                if a0 <= o1 && o0 <= a1 {
                    return Err(Error::SharedMemory {
                        input: name,
                        out_bytes: (o0, o1),
                        input_bytes: (a0, a1),
                    });
                }
            }
        }
    }
    Ok(Checked {
        x,
        y,
        out,
        axis_x: c.axis_x,
        axis_y: c.axis_y,
        x_empty: reach[0].is_none(),
        y_empty: reach[1].is_none(),
        out_empty: reach[2].is_none(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick(&mut self, v: &[i64]) -> i64 {
            v[self.below(v.len() as u64) as usize]
        }
    }

    const WILD: [i64; 12] = [
        i64::MIN,
        i64::MIN / 3,
        -(1 << 40),
        -7,
        -1,
        0,
        1,
        2,
        5,
        1 << 31,
        1 << 61,
        i64::MAX,
    ];

    fn layout(r: &mut Rng, ndim: i32, shape: &[i64]) -> batch_dot_layout {
        let mut l = batch_dot_layout::zeroed();
        l.ndim = ndim;
        for i in 0..BATCH_DOT_MAX_NDIM {
            l.shape[i] = if i < shape.len() {
                shape[i]
            } else {
                r.pick(&WILD)
            };
            l.strides[i] = match r.below(4) {
                0 => r.pick(&WILD),
                1 => -(r.below(9) as i64),
                _ => r.below(40) as i64,
            };
        }
        l.offset = if r.below(4) == 0 {
            r.pick(&WILD)
        } else {
            r.below(200) as i64
        };
        l.len = if r.below(8) == 0 {
            r.pick(&WILD)
        } else {
            r.below(400) as i64
        };
        if r.below(40) == 0 {
            l.flags = 1;
        }
        l
    }

    /// The fast checks accept exactly what the ordered checks accept, with
    /// the same result (they may only say "not sure" for valid calls).
    #[test]
    // Pure safe Rust (no unsafe to check) and far too slow interpreted.
    #[cfg_attr(miri, ignore)]
    fn fast_checks_agree_with_ordered_checks() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut fast_ok, mut ok) = (0, 0);
        for _ in 0..200_000 {
            let xn = r.below(5) as i32 + if r.below(30) == 0 { -2 } else { 1 };
            let yn = r.below(5) as i32 + 1;
            let ext = |r: &mut Rng| {
                if r.below(25) == 0 {
                    r.pick(&WILD)
                } else {
                    r.below(4) as i64
                }
            };
            let b = ext(&mut r);
            let mut xs: Vec<i64> = (0..xn.max(0)).map(|_| ext(&mut r)).collect();
            let mut ys: Vec<i64> = (0..yn).map(|_| ext(&mut r)).collect();
            if !xs.is_empty() && r.below(4) != 0 {
                xs[0] = b;
            }
            if r.below(4) != 0 {
                ys[0] = b;
            }
            let (ax, ay) = match r.below(6) {
                0 => (BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT),
                1 => (BATCH_DOT_AXIS_DEFAULT, 1),
                _ => (r.below(7) as i64 - 3, r.below(7) as i64 - 3),
            };
            let x = layout(&mut r, xn, &xs);
            let mut y = layout(&mut r, yn, &ys);
            if r.below(2) == 0 && xs.len() >= 2 && ys.len() >= 2 {
                // Often make the contraction match.
                let a0 = if ax < 0 { ax + xn as i64 } else { ax };
                let a1 = if ay < 0 { ay + yn as i64 } else { ay };
                if (0..xn as i64).contains(&a0) && (0..yn as i64).contains(&a1) {
                    y.shape[a1 as usize] = x.shape[a0 as usize];
                }
            }
            // out: often the inferred shape.
            let inferred = shape::infer_shape(&xs, &ys, ax, ay).ok();
            let od: Vec<i64> = match (&inferred, r.below(5)) {
                (Some(s), 0..=3) => s.as_slice().to_vec(),
                _ => (0..r.below(5)).map(|_| ext(&mut r)).collect(),
            };
            let mut o = layout(&mut r, od.len() as i32, &od);
            if r.below(2) == 0 {
                // A packed out layout, which passes more often.
                if let Ok(c) = crate::ffi::contiguous(&od) {
                    o.strides = c.strides;
                    o.offset = 0;
                    o.len = c.len;
                }
            }
            let opts = RawOptions {
                struct_size: match r.below(20) {
                    0 => 3,
                    1..=4 => OPTIONS_V1_SIZE,
                    5 => 24,
                    _ => OPTIONS_V2_SIZE,
                },
                num_threads: r.below(3) as u32,
                flags: match r.below(30) {
                    0 => 2,
                    1..=10 => 1,
                    _ => 0,
                },
                alpha: [0.5, 1.0][r.below(2) as usize],
                beta: [0.0, 1.0, 2.0][r.below(3) as usize],
                tail_nonzero: r.below(30) == 0,
            };
            let options = if r.below(2) == 0 { None } else { Some(&opts) };
            let addr = |r: &mut Rng| match r.below(12) {
                0 => 0,
                1 => 0x1002,
                2 => usize::MAX - 64,
                _ => 0x10_0000 * (1 + r.below(3) as usize),
            };
            let addrs = Addrs {
                x: addr(&mut r),
                y: addr(&mut r),
                out: addr(&mut r),
            };
            // Each tensor its own element size (the sizes of the dtypes).
            let mut size = [0; 3];
            for s in &mut size {
                *s = [2, 4, 8, 1][r.below(4) as usize];
            }
            let (xo, yo, oo) = match r.below(30) {
                0 => (None, Some(&y), Some(&o)),
                1 => (Some(&x), Some(&y), None),
                _ => (Some(&x), Some(&y), Some(&o)),
            };
            let call = Call {
                x: xo,
                y: yo,
                out: oo,
                axis_x: ax,
                axis_y: ay,
                options,
                addrs,
                elem_size: size,
                elem_align: size,
                int_out: size[2] == 4 && r.below(2) == 0,
            };
            let ordered = check_in_order(&call);
            ok += ordered.is_ok() as u32;
            if let Some(c) = check_fast(&call) {
                fast_ok += 1;
                assert_eq!(ordered, Ok(c), "{x:?} {y:?} {o:?} {ax} {ay} {addrs:?}");
            }
        }
        // The generator reaches both outcomes, and the fast path takes
        // nearly every valid call.
        assert!(ok > 1_000, "only {ok} valid calls");
        assert!(fast_ok * 100 >= ok * 95, "fast path took {fast_ok} of {ok}");
    }
}
