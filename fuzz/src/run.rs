//! Decoders and runners: fuzzer bytes → a call of the C ABI on buffers of
//! exactly the lengths the layouts claim (so AddressSanitizer catches any
//! touch outside them) → every check the API promises.

use batch_dot::{
    batch_dot_layout, batch_dot_options, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_DTYPE_F32,
    BATCH_DOT_DTYPE_F64,
};
use testkit::calls::with_threads;
use testkit::layouts::{arranged_layout, blank_layout, storage_positions, Arrangement};
use testkit::oracle::{self, st, Opts};
use testkit::reference::{self, Strided};
use testkit::{SplitMix64, TestElem};

use crate::lowp::Buf;
use crate::{axis_arg, hostile_i64, Reader, HOSTILE};

/// This thread's last-error message (checked: stable length, NUL, UTF-8).
pub use testkit::calls::last_error;

/// Largest buffer (elements) the runner allocates for one tensor.
pub const CAP: i64 = 1 << 16;
/// Largest `out elements × max(K, 1)` of a valid call the runner makes.
pub const MAX_WORK: i128 = 1 << 18;

// ---------------------------------------------------------------------------
// Decoding a compute call
// ---------------------------------------------------------------------------

/// Where a tensor's data pointer points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Its own allocation of exactly `len` elements.
    Own,
    /// NULL.
    Null,
    /// One byte past the start of an allocation: misaligned.
    Misaligned,
    /// Element offset into one buffer shared by the tensors marked so.
    Shared(usize),
}

/// A decoded compute call.
#[derive(Clone, Debug)]
pub struct ComputeCase {
    /// x, y, out (None = NULL layout pointer).
    pub layouts: [Option<batch_dot_layout>; 3],
    /// axis_x.
    pub ax: i64,
    /// axis_y.
    pub ay: i64,
    /// None = NULL options.
    pub opts: Option<Opts>,
    /// Data pointers.
    pub place: [Place; 3],
    /// Seed of the data values.
    pub seed: u64,
    /// Whether NaN, ±Inf and -0.0 are sprinkled into the inputs.
    pub specials: bool,
    /// None: the typed call (`batch_dot_f32`/`_f64`); Some: the call through
    /// `batch_dot_compute` with these dtype codes, where a combination this
    /// build runs stands for the element type under test (so that the
    /// buffers always hold what the codes say).
    pub dtypes: Option<[i32; 3]>,
}

fn rank(r: &mut Reader) -> usize {
    if r.chance(24) {
        6 + r.below(5) as usize
    } else {
        2 + r.below(4) as usize
    }
}

fn small_ext(r: &mut Reader) -> i64 {
    match r.below(16) {
        0..=4 => 1,
        5..=9 => 2,
        10..=12 => 3,
        13 => 0,
        14 => 4 + r.below(4) as i64,
        _ => 8 + r.below(33) as i64, // SIMD widths and tails
    }
}

/// A hostile ndim: out of range (-1, 0, 1, 17, 100, i32::MIN, i32::MAX) or
/// the largest valid one, 16.
fn odd_ndim(r: &mut Reader) -> i32 {
    [-1, 0, 1, 17, 100, i32::MIN, i32::MAX, 16][r.below(8) as usize]
}

/// `ndim` changed to a hostile value or a neighbour.
fn mutated_ndim(ndim: i32, r: &mut Reader) -> i32 {
    [
        -1,
        0,
        1,
        17,
        i32::MIN,
        ndim.wrapping_add(1),
        ndim.wrapping_sub(1),
        16,
    ][r.below(8) as usize]
}

/// Extents of rank `n`: `first` (the batch extent), then `n - 1` of `ext`'s.
fn extents(first: i64, n: usize, r: &mut Reader, ext: fn(&mut Reader) -> i64) -> Vec<i64> {
    std::iter::once(first)
        .chain((1..n).map(|_| ext(r)))
        .collect()
}

/// Ranks `n` and `m` and the extents of x and y, drawn with `ext`: x's batch
/// extent `b` is `ext`'s, y's is `y_batch(b)`. Returns (n, m, x, y).
fn operands(
    r: &mut Reader,
    ext: fn(&mut Reader) -> i64,
    y_batch: fn(&mut Reader, i64) -> i64,
) -> (usize, usize, Vec<i64>, Vec<i64>) {
    let (n, m) = (rank(r), rank(r));
    let b = ext(r);
    let x = extents(b, n, r, ext);
    let yb = y_batch(r, b);
    let y = extents(yb, m, r, ext);
    (n, m, x, y)
}

/// The default axes of ranks `n` and `m` (x's last, y's second to last or
/// last): (axis of x, axis of y, axis_x, axis_y).
fn default_axes(n: usize, m: usize) -> (usize, usize, i64, i64) {
    let d = BATCH_DOT_AXIS_DEFAULT;
    (n - 1, if m == 2 { 1 } else { m - 2 }, d, d)
}

/// Random non-batch axes of ranks `n` and `m`, each passed as a positive or
/// (sometimes) negative index: (axis of x, axis of y, axis_x, axis_y).
fn random_axes(n: usize, m: usize, r: &mut Reader) -> (usize, usize, i64, i64) {
    let a0 = 1 + r.below(n as u32 - 1) as usize;
    let a1 = 1 + r.below(m as u32 - 1) as usize;
    let arg = |a: usize, n: usize, r: &mut Reader| {
        if r.chance(64) {
            a as i64 - n as i64
        } else {
            a as i64
        }
    };
    let ax = arg(a0, n, r);
    let ay = arg(a1, m, r);
    (a0, a1, ax, ay)
}

/// Shrinks extents (largest first) until the element count is at most `max`.
fn shrink(dims: &mut [&mut i64], max: i64) {
    loop {
        let c: i128 = dims.iter().map(|d| **d as i128).product();
        if c <= max as i128 {
            return;
        }
        let big = dims.iter_mut().max_by_key(|d| ***d).unwrap();
        **big = (**big + 1) / 2;
    }
}

/// A layout for `dims` from the test kit's generator, its choices read
/// from the fuzzer's bytes: a random storage order, padding, negative
/// strides, broadcast (stride 0, inputs only), junk strides on unit
/// dimensions, an offset, slack, junk offset and len for an empty tensor.
/// Past the end of the input it is the packed row-major layout.
pub fn arrange(dims: &[i64], input: bool, r: &mut Reader) -> batch_dot_layout {
    let arr = Arrangement {
        permute: r.chance(96),
        pad: r.chance(56),
        slack: r.chance(64),
        reverse: r.chance(96),
        offset: r.chance(64),
        broadcast: input && r.chance(48),
        junk_unit_strides: r.chance(64),
        junk_when_empty: r.chance(128),
        inner: None,
    };
    arranged_layout(dims, arr, r)
}

fn decode_options(r: &mut Reader) -> Option<Opts> {
    if !r.chance(146) {
        return None;
    }
    let threads = match r.below(16) {
        0..=3 => 0,
        4..=6 => 1,
        7..=9 => 2,
        10..=11 => 3,
        12..=13 => 4,
        14 => 64,
        _ => u32::MAX,
    };
    let mut flags = 0u32;
    // 0.2 callers (32 bytes, often scaling) and 0.1 callers (16 bytes).
    let mut size = if r.chance(128) {
        oracle::OPTIONS_V2
    } else {
        oracle::OPTIONS_V1
    };
    let mut tail_nonzero = false;
    let mut scale: Option<(f64, f64)> = None;
    if size == oracle::OPTIONS_V2 && r.chance(160) {
        flags = oracle::OPT_SCALE;
        const VALUES: [f64; 12] = [
            1.0,
            0.0,
            -0.0,
            0.125,
            -2.5,
            2.0,
            -1.0,
            0.5,
            3.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let pick = |r: &mut Reader| VALUES[r.below(VALUES.len() as u32) as usize];
        scale = Some((pick(r), pick(r)));
    }
    match r.below(64) {
        54 => size = 0,
        55 => size = 8,
        56 => size = 15,
        57 => size = 24,
        58 => {
            size = 24;
            tail_nonzero = true;
        }
        59 => size = 4096,
        60 => size = 4097,
        61 => size = usize::MAX,
        62 => flags |= 1 << r.below(32),
        63 => {
            size = 17 + r.below(64) as usize;
            tail_nonzero = r.chance(128);
        }
        _ => {}
    }
    let alloc = size.clamp(8, oracle::OPTIONS_MAX);
    let mut bytes = vec![0u8; alloc];
    bytes[..8].copy_from_slice(&size.to_ne_bytes());
    if alloc >= 16 {
        bytes[8..12].copy_from_slice(&threads.to_ne_bytes());
        bytes[12..16].copy_from_slice(&flags.to_ne_bytes());
    }
    if let (Some((alpha, beta)), true) = (scale, alloc >= oracle::OPTIONS_V2) {
        bytes[16..24].copy_from_slice(&alpha.to_ne_bytes());
        bytes[24..32].copy_from_slice(&beta.to_ne_bytes());
    }
    if tail_nonzero && alloc > 16 {
        // A nonzero byte past the fields the size covers (in alpha or beta
        // for a struct_size below 32).
        let known = if size >= oracle::OPTIONS_V2 {
            oracle::OPTIONS_V2
        } else {
            16
        };
        let i = known + r.below((alloc.saturating_sub(known)).clamp(1, 256) as u32) as usize;
        let i = i.min(alloc - 1);
        bytes[i] = 1 + r.below(255) as u8;
    }
    Some(Opts { bytes })
}

fn raw_layout(r: &mut Reader) -> batch_dot_layout {
    let mut l = blank_layout(&[]);
    l.ndim = match r.below(8) {
        7 => odd_ndim(r),
        _ => 2 + r.below(5) as i32,
    };
    l.flags = if r.chance(4) { 1 << r.below(32) } else { 0 };
    l.offset = if r.chance(128) {
        r.below(8) as i64
    } else {
        hostile_i64(r)
    };
    l.len = if r.chance(224) {
        r.below(64) as i64
    } else {
        hostile_i64(r)
    };
    for i in 0..16 {
        l.shape[i] = if r.chance(200) {
            r.below(5) as i64
        } else {
            hostile_i64(r)
        };
        l.strides[i] = if r.chance(100) {
            r.below(9) as i64 - 4
        } else {
            hostile_i64(r)
        };
    }
    l
}

fn pick_dim(l: &batch_dot_layout, r: &mut Reader) -> usize {
    let n = l.ndim.clamp(1, 16) as usize;
    r.below(n as u32) as usize
}

/// One hostile change to a case (most turn a valid call invalid; some keep
/// it valid in a new way).
fn mutate(c: &mut ComputeCase, r: &mut Reader) {
    let t = r.below(3) as usize;
    let kind = r.below(20);
    let Some(l) = c.layouts[t].as_mut() else {
        return;
    };
    let d = pick_dim(l, r);
    match kind {
        0 => l.len = l.len.wrapping_sub(1),
        1 => l.offset = l.offset.wrapping_add(r.below(5) as i64 - 2),
        2 | 3 => l.strides[d] = hostile_i64(r),
        4 => l.strides[d] = l.strides[d].wrapping_add(if r.chance(128) { 1 } else { -1 }),
        5 => l.shape[d] = hostile_i64(r),
        6 => l.shape[d] = l.shape[d].wrapping_add(if r.chance(128) { 1 } else { -1 }),
        7 => l.flags = 1 << r.below(32),
        8 => l.ndim = mutated_ndim(l.ndim, r),
        9 => l.len = hostile_i64(r),
        10 => c.layouts[t] = None,
        11 => c.place[t] = Place::Null,
        12 => c.place[t] = Place::Misaligned,
        13 => {
            if r.chance(128) {
                c.ax = axis_arg(r)
            } else {
                c.ay = axis_arg(r)
            }
        }
        14 => l.offset = hostile_i64(r),
        15 => {
            // Copy another dimension's stride: self-overlap for out.
            let e = pick_dim(l, r);
            l.strides[d] = l.strides[e];
        }
        16 => l.shape[d] = 0,
        17 => {
            // Step a stride to just past the end or just before the start.
            let (lo, hi) = oracle::reach(l);
            if l.shape[d] > 1 {
                let e = (l.shape[d] - 1) as i128;
                let s = l.strides[d] as i128;
                let want = if r.chance(128) {
                    (l.len as i128 - (hi - (e * s).max(0))) / e
                } else {
                    s - 1 - lo / e
                };
                l.strides[d] = want.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
            }
        }
        18 => l.len = l.len.saturating_add(hostile_i64(r).saturating_abs()),
        _ => share(c, r),
    }
}

/// Puts the tensors into one buffer: x == y, out overlapping an input, out
/// interleaved with an input, or all disjoint.
fn share(c: &mut ComputeCase, r: &mut Reader) {
    let len = |i: usize, c: &ComputeCase| c.layouts[i].map_or(0, |l| l.len.clamp(0, CAP)) as usize;
    let (lx, ly) = (len(0, c), len(1, c));
    let x_at = 0;
    let y_at = if r.chance(96) {
        0
    } else {
        lx + r.below(3) as usize
    };
    let o_at = match r.below(4) {
        0 => lx.max(y_at + ly) + r.below(3) as usize, // disjoint
        1 => r.below(lx.clamp(1, 256) as u32) as usize, // inside x
        2 => y_at + r.below(ly.clamp(1, 256) as u32) as usize, // inside y
        _ => r.below(3) as usize,                     // near the start
    };
    c.place = [
        Place::Shared(x_at),
        Place::Shared(y_at),
        Place::Shared(o_at),
    ];
    if let (Some(o), true) = (c.layouts[2].as_mut(), r.chance(64)) {
        // Interleave: out on the odd elements of x's range.
        if o.ndim == 2 && o.shape[1] > 1 {
            o.strides[1] = 2;
        }
    }
}

/// Decodes a compute call: about 3/4 start as a valid call with small
/// extents (half of those stay valid), the rest are raw hostile layouts.
pub fn decode_compute(data: &[u8]) -> ComputeCase {
    let mut r = Reader::new(data);
    let mode = r.u8();
    let mut c = if mode < 192 {
        let (n, m, mut x, mut y) = operands(&mut r, small_ext, |_, b| b);
        let (a0, a1, ax, ay) = match r.below(4) {
            0 => default_axes(n, m),
            1 | 2 => random_axes(n, m, &mut r),
            _ => {
                let lim = n.min(m) as u32 - 1;
                let k = 1 + r.below(lim) as usize;
                if r.chance(128) {
                    (k, k, k as i64, k as i64)
                } else {
                    (n - k, m - k, -(k as i64), -(k as i64))
                }
            }
        };
        let k = small_ext(&mut r);
        x[a0] = k;
        y[a1] = k;
        {
            // Keep the work small: shrink x's and y's free extents.
            let (xb, xr) = x.split_at_mut(1);
            let (_, yr) = y.split_at_mut(1);
            let mut all: Vec<&mut i64> = vec![&mut xb[0]];
            all.extend(
                xr.iter_mut()
                    .enumerate()
                    .filter(|(i, _)| i + 1 != a0)
                    .map(|(_, v)| v),
            );
            all.extend(
                yr.iter_mut()
                    .enumerate()
                    .filter(|(j, _)| j + 1 != a1)
                    .map(|(_, v)| v),
            );
            shrink(&mut all, 512);
            y[0] = x[0];
        }
        let o = oracle::result_shape(&x, &y, a0, a1, i64::MIN);
        let layouts = if o.len() <= 16 {
            [
                Some(arrange(&x, true, &mut r)),
                Some(arrange(&y, true, &mut r)),
                Some(arrange(&o, false, &mut r)),
            ]
        } else {
            [
                Some(arrange(&x, true, &mut r)),
                Some(arrange(&y, true, &mut r)),
                Some(arrange(&o[..16], false, &mut r)),
            ]
        };
        ComputeCase {
            layouts,
            ax,
            ay,
            opts: None,
            place: [Place::Own; 3],
            seed: 0,
            specials: false,
            dtypes: None,
        }
    } else {
        let layouts = [
            Some(raw_layout(&mut r)),
            Some(raw_layout(&mut r)),
            Some(raw_layout(&mut r)),
        ];
        ComputeCase {
            layouts,
            ax: axis_arg(&mut r),
            ay: axis_arg(&mut r),
            opts: None,
            place: [Place::Own; 3],
            seed: 0,
            specials: false,
            dtypes: None,
        }
    };
    c.opts = decode_options(&mut r);
    c.seed = r.u64();
    c.specials = r.chance(24);
    if r.chance(20) {
        share(&mut c, &mut r);
    }
    let muts = match r.u8() {
        0..=127 => 0,
        128..=207 => 1,
        208..=239 => 2,
        _ => 3,
    };
    for _ in 0..muts {
        mutate(&mut c, &mut r);
    }
    // Read last, so that the existing corpus decodes as before.
    if r.chance(96) {
        c.dtypes = Some(match r.below(4) {
            0 | 1 => [1; 3],
            2 => [0; 3].map(|_| r.below(9) as i32),
            _ => [0; 3].map(|_| r.u64() as i32),
        });
    }
    c
}

// ---------------------------------------------------------------------------
// Running a compute call
// ---------------------------------------------------------------------------

/// How many elements to allocate for a layout claiming `len`: exactly `len`
/// when it is at most CAP, else what it reaches when that is below CAP
/// (`None`: the call cannot be made safely unless it is expected to fail).
pub(crate) fn alloc_len(l: Option<&batch_dot_layout>) -> Option<usize> {
    let Some(l) = l else { return Some(0) };
    if l.len <= 0 {
        return Some(0);
    }
    if l.len <= CAP {
        return Some(l.len as usize);
    }
    if (0..=16).contains(&l.ndim) {
        let dims = &l.shape[..l.ndim as usize];
        if dims.iter().all(|&d| d >= 0) && oracle::count(dims).is_some_and(|c| c > 0) {
            let (lo, hi) = oracle::reach(l);
            if lo >= 0 && hi < CAP as i128 {
                return Some(hi as usize + 1);
            }
        }
    }
    None
}

fn value<T: TestElem>(rng: &mut SplitMix64, specials: bool) -> T {
    let v = rng.next_u64();
    if specials && v.is_multiple_of(13) {
        return T::from_f64(
            [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0][(v >> 8) as usize % 4],
        );
    }
    let i = ((v >> 16) % 17) as f64 - 8.0;
    T::from_f64(if v & 0x100 != 0 { i * 0.5 } else { i })
}

/// Makes the call `c` on element type `T` and checks it; returns its status
/// (None when the runner skipped a valid call too big for it). Panics on
/// any broken promise.
pub fn run_compute<T: TestElem>(c: &ComputeCase) -> Option<i32> {
    // Buffers: one per tensor, or one shared.
    let mut bufs: Vec<Vec<T>> = Vec::new();
    let mut map: [Option<(usize, usize)>; 3] = [None; 3];
    let mut ptrs: [*mut T; 3] = [std::ptr::null_mut(); 3];
    let mut truncated = false;
    let shared_len = (0..3)
        .filter_map(|i| match c.place[i] {
            Place::Shared(at) => {
                Some(at + c.layouts[i].map_or(0, |l| l.len.clamp(0, CAP)) as usize)
            }
            _ => None,
        })
        .max();
    let mut place = c.place;
    if let Some(total) = shared_len {
        // Shared tensors whose len exceeds CAP get their own allocation.
        for (p, l) in place.iter_mut().zip(&c.layouts) {
            if matches!(p, Place::Shared(_)) && l.is_some_and(|l| l.len > CAP) {
                *p = Place::Own;
            }
        }
        bufs.push(vec![T::ZERO; total]);
    }
    let mut rng = SplitMix64::new(c.seed);
    for i in 0..3 {
        match place[i] {
            Place::Null => {}
            Place::Own | Place::Misaligned => {
                let n = match alloc_len(c.layouts[i].as_ref()) {
                    Some(n) => n,
                    None => {
                        truncated = true;
                        0
                    }
                };
                let extra = usize::from(place[i] == Place::Misaligned);
                let mut v: Vec<T> = Vec::with_capacity(n + extra);
                for _ in 0..n + extra {
                    v.push(if i == 2 {
                        T::sentinel()
                    } else {
                        value(&mut rng, c.specials)
                    });
                }
                let mut v = v.into_boxed_slice().into_vec(); // capacity == len
                let p = v.as_mut_ptr();
                if place[i] == Place::Misaligned {
                    ptrs[i] = (p as *mut u8).wrapping_add(1) as *mut T;
                } else {
                    ptrs[i] = p;
                    map[i] = Some((bufs.len(), 0));
                }
                bufs.push(v);
            }
            Place::Shared(at) => {
                ptrs[i] = bufs[0].as_mut_ptr().wrapping_add(at);
                map[i] = Some((0, at));
            }
        }
    }
    if shared_len.is_some() {
        for v in bufs[0].iter_mut() {
            *v = value(&mut rng, c.specials);
        }
    }
    let addrs = [ptrs[0] as usize, ptrs[1] as usize, ptrs[2] as usize];
    let ls = [
        c.layouts[0].as_ref(),
        c.layouts[1].as_ref(),
        c.layouts[2].as_ref(),
    ];
    // The dtype codes of a call through batch_dot_compute: a combination
    // this build runs becomes T's own (docs/API.md, "Element types").
    let own = match core::mem::size_of::<T>() {
        4 => BATCH_DOT_DTYPE_F32,
        _ => BATCH_DOT_DTYPE_F64,
    };
    let dtypes = c.dtypes.map(|d| {
        if oracle::DTYPES_RUN.contains(&(d[0], d[1], d[2])) {
            [own; 3]
        } else {
            d
        }
    });
    let verdict = match dtypes {
        None => oracle::compute(
            ls,
            c.ax,
            c.ay,
            c.opts.as_ref(),
            addrs,
            core::mem::size_of::<T>(),
        ),
        Some(d) => oracle::compute_dtyped(d, ls, c.ax, c.ay, c.opts.as_ref(), addrs),
    };
    if verdict.status == st::OK {
        if truncated {
            return None; // would need more memory than the runner gives
        }
        if too_much_work(c) {
            return None;
        }
    }
    let snapshot: Vec<Vec<u64>> = bufs
        .iter()
        .map(|b| b.iter().map(|v| v.bits()).collect())
        .collect();
    let lp = |i: usize| {
        c.layouts[i]
            .as_ref()
            .map_or(std::ptr::null(), |l| l as *const _)
    };
    let op = c.opts.as_ref().map_or(std::ptr::null(), |o| {
        o.bytes.as_ptr() as *const batch_dot_options
    });
    // The call with out's data at `out` and options `op`.
    // SAFETY: every data pointer owns `len` elements of its layout (or, for
    // a truncated one, everything the layout reaches), or the call is
    // expected to fail before touching data. With dtype codes the buffers
    // hold T, which is what the codes say whenever the call gets past
    // check 1b.
    let call = |out: *mut T, op: *const batch_dot_options| unsafe {
        match dtypes {
            None => T::call(lp(0), ptrs[0], lp(1), ptrs[1], c.ax, c.ay, lp(2), out, op),
            Some(d) => batch_dot::batch_dot_compute(
                d[0],
                lp(0),
                ptrs[0].cast(),
                d[1],
                lp(1),
                ptrs[1].cast(),
                c.ax,
                c.ay,
                d[2],
                lp(2),
                out.cast(),
                op,
            ),
        }
    };
    let got = call(ptrs[2], op);
    let ctx = || {
        format!(
            "{} case {c:#?}\ndtypes {dtypes:?}\nptrs {addrs:x?}\nverdict {verdict:?}\nmessage {:?}",
            T::NAME,
            last_error()
        )
    };
    assert_ne!(got, st::INTERNAL, "INTERNAL status: {}", ctx());
    assert_eq!(
        got,
        verdict.status,
        "status {got} != expected {}: {}",
        verdict.status,
        ctx()
    );
    let msg = last_error();
    assert_eq!(
        msg.is_empty(),
        got == st::OK,
        "last error message {msg:?} for status {got}"
    );

    // Which buffer positions out may have written.
    let out_elems = if got == st::OK && verdict.reach[2].is_some() {
        storage_positions(c.layouts[2].as_ref().unwrap())
    } else {
        Vec::new()
    };
    let (ob, oat) = map[2].unwrap_or((usize::MAX, 0));
    let mut written = vec![false; if ob == usize::MAX { 0 } else { bufs[ob].len() }];
    for off in &out_elems {
        written[oat + off] = true;
    }
    for (b, (buf, snap)) in bufs.iter().zip(&snapshot).enumerate() {
        for (p, (v, s)) in buf.iter().zip(snap).enumerate() {
            if b == ob && written[p] {
                continue;
            }
            assert_eq!(
                v.bits(),
                *s,
                "buffer {b} position {p} changed (status {got}): {}",
                ctx()
            );
        }
    }
    if got != st::OK || out_elems.is_empty() {
        return Some(got);
    }

    // Values against the test kit's reference.
    let tensor = |i: usize| -> Strided<'_, T> {
        let (b, at) = map[i].unwrap_or((usize::MAX, 0));
        let data: &[T] = if b == usize::MAX { &[] } else { &bufs[b][at..] };
        Strided {
            layout: c.layouts[i].as_ref().unwrap(),
            data,
        }
    };
    // Inputs are unchanged (checked above), so bufs hold their values.
    let want = reference::batch_dot(tensor(0), tensor(1), c.ax, c.ay)
        .expect("reference rejects a valid call");
    let obuf = &bufs[ob];
    let scale = c.opts.as_ref().and_then(Opts::scale);
    for (i, off) in out_elems.iter().enumerate() {
        let g = obuf[oat + off];
        if let Some((alpha, beta)) = scale {
            // out = alpha·Σ + beta·(what out held before the call).
            let before = T::from_bits(snapshot[ob][oat + off]);
            if let Err(e) = want.check_scaled(i, alpha, beta, before, g) {
                panic!("out {e}: {}", ctx());
            }
            continue;
        }
        if let Err(e) = want.check(i, g) {
            panic!("out {e}: {}", ctx());
        }
        let gf = g.to_f64();
        assert!(
            !(gf == 0.0 && gf.is_sign_negative()),
            "out element {i} = -0.0: a sum from +0.0 is never -0.0: {}",
            ctx()
        );
    }

    // Bitwise the same with one thread.
    let threads = c.opts.as_ref().map_or(0, |o| o.num_threads());
    if threads != 1 {
        let first: Vec<u64> = obuf.iter().map(|v| v.bits()).collect();
        for (v, s) in bufs[ob].iter_mut().zip(&snapshot[ob]) {
            *v = T::from_bits(*s);
        }
        let mut one = with_threads(1);
        if let Some((alpha, beta)) = scale {
            one.flags = oracle::OPT_SCALE;
            one.alpha = alpha;
            one.beta = beta;
        }
        let again = call(bufs[ob].as_mut_ptr().wrapping_add(oat), &one);
        assert_eq!(again, st::OK, "one-thread rerun: {}", ctx());
        let second: Vec<u64> = bufs[ob].iter().map(|v| v.bits()).collect();
        assert!(
            first == second,
            "num_threads = {threads} and 1 differ bitwise: {}",
            ctx()
        );
    }
    Some(got)
}

/// Whether the valid call `c` is more work than a run may take (out's
/// elements times K above MAX_WORK): the runners skip it.
pub(crate) fn too_much_work(c: &ComputeCase) -> bool {
    let (x, y, o) = (
        c.layouts[0].unwrap(),
        c.layouts[1].unwrap(),
        c.layouts[2].unwrap(),
    );
    let (a0, _) = oracle::normalise_axes(x.ndim as usize, y.ndim as usize, c.ax, c.ay).unwrap();
    let work =
        oracle::count(&o.shape[..o.ndim as usize]).unwrap() as i128 * (x.shape[a0].max(1) as i128);
    work > MAX_WORK
}

// ---------------------------------------------------------------------------
// Shared by the runners on byte buffers (`int8`, `lowp`)
// ---------------------------------------------------------------------------

/// No byte of `bufs` changed from `snapshot` but, when the call
/// succeeded (status `got`), those of the output elements at `out_pos`
/// (of `size` bytes each) of out, at (buffer `ob`, byte offset `ooff`).
pub(crate) fn check_untouched(
    bufs: &[Buf],
    snapshot: &[Vec<u8>],
    (ob, ooff): (usize, usize),
    out_pos: &[usize],
    size: usize,
    got: i32,
    ctx: impl Fn() -> String,
) {
    let mut written = vec![false; if ob == usize::MAX { 0 } else { bufs[ob].bytes }];
    if got == st::OK {
        for &p in out_pos {
            for b in 0..size {
                written[ooff + size * p + b] = true;
            }
        }
    }
    for (b, (buf, snap)) in bufs.iter().zip(snapshot).enumerate() {
        for (p, (v, s)) in buf.as_slice().iter().zip(snap).enumerate() {
            assert!(
                (b == ob && written[p]) || v == s,
                "buffer {b} byte {p} changed (status {got}): {}",
                ctx()
            );
        }
    }
}

/// x's and y's logical indices (ranks `xn` and `yn`, contracted axes `a0`
/// and `a1`, left at 0) for out's logical index `oidx`.
pub(crate) fn operand_indices(
    oidx: &[i64],
    (xn, yn): (usize, usize),
    (a0, a1): (usize, usize),
) -> (Vec<i64>, Vec<i64>) {
    let mut xi = vec![0i64; xn];
    let mut yi = vec![0i64; yn];
    xi[0] = oidx[0];
    yi[0] = oidx[0];
    let mut j = 1;
    for (d, v) in xi.iter_mut().enumerate().skip(1) {
        if d != a0 {
            *v = oidx[j];
            j += 1;
        }
    }
    for (d, v) in yi.iter_mut().enumerate().skip(1) {
        if d != a1 {
            *v = oidx[j];
            j += 1;
        }
    }
    (xi, yi)
}

/// The next logical index after `idx` in row-major order over `shape`
/// (back to all 0 after the last).
pub(crate) fn next_index(idx: &mut [i64], shape: &[i64]) {
    for d in (0..idx.len()).rev() {
        idx[d] += 1;
        if idx[d] < shape[d] {
            break;
        }
        idx[d] = 0;
    }
}

/// Out (`bufs[ob]`) is bitwise the same when the call is made again
/// (`call`, with these options) with one thread on out as it was before
/// (`snapshot`), unless the options asked for one thread already
/// (`threads`); `scale` as the options asked.
pub(crate) fn same_with_one_thread(
    bufs: &mut [Buf],
    snapshot: &[Vec<u8>],
    ob: usize,
    (threads, scale): (u32, Option<(f64, f64)>),
    call: impl FnOnce(*const batch_dot_options) -> i32,
    ctx: impl Fn() -> String,
) {
    if threads != 1 {
        let first = bufs[ob].as_slice().to_vec();
        bufs[ob].as_mut_slice().copy_from_slice(&snapshot[ob]);
        let mut one = with_threads(1);
        if let Some((alpha, beta)) = scale {
            one.flags = oracle::OPT_SCALE;
            one.alpha = alpha;
            one.beta = beta;
        }
        let again = call(&one);
        assert_eq!(again, st::OK, "one-thread rerun: {}", ctx());
        assert!(
            bufs[ob].as_slice() == &first[..],
            "num_threads = {threads} and 1 differ bitwise: {}",
            ctx()
        );
    }
}

// ---------------------------------------------------------------------------
// Shape inference
// ---------------------------------------------------------------------------

/// A decoded `batch_dot_infer_shape` call.
#[derive(Clone, Debug)]
pub struct InferCase {
    /// x_ndim.
    pub xn: i32,
    /// x's extents (None: NULL pointer); as many as the buffer holds.
    pub x: Option<Vec<i64>>,
    /// y_ndim.
    pub yn: i32,
    /// y's extents.
    pub y: Option<Vec<i64>>,
    /// axis_x.
    pub ax: i64,
    /// axis_y.
    pub ay: i64,
    /// out_ndim is NULL.
    pub out_ndim_null: bool,
    /// out_shape is NULL.
    pub out_shape_null: bool,
}

fn infer_ext(r: &mut Reader) -> i64 {
    match r.below(32) {
        29..=31 => -1,
        28 => hostile_i64(r),
        27 => HOSTILE[r.below(HOSTILE.len() as u32) as usize].saturating_abs(),
        _ => small_ext(r),
    }
}

/// Decodes a shape-inference call: mostly valid ranks with small extents
/// (some unknown) and valid axes, then hostile changes.
pub fn decode_infer(data: &[u8]) -> InferCase {
    let mut r = Reader::new(data);
    let mode = r.u8();
    let mut c = if mode < 192 {
        let y_batch = |r: &mut Reader, b| if r.chance(24) { -1 } else { b };
        let (n, m, mut x, mut y) = operands(&mut r, infer_ext, y_batch);
        let (a0, a1, ax, ay) = match r.below(3) {
            0 => default_axes(n, m),
            _ => random_axes(n, m, &mut r),
        };
        let k = infer_ext(&mut r);
        x[a0] = k;
        y[a1] = if r.chance(24) { -1 } else { k };
        InferCase {
            xn: n as i32,
            x: Some(x),
            yn: m as i32,
            y: Some(y),
            ax,
            ay,
            out_ndim_null: false,
            out_shape_null: false,
        }
    } else {
        let nd = |r: &mut Reader| match r.below(8) {
            7 => odd_ndim(r),
            _ => 2 + r.below(8) as i32,
        };
        let (xn, yn) = (nd(&mut r), nd(&mut r));
        let ext = |n: i32, r: &mut Reader| {
            let k = if (1..=16).contains(&n) { n as usize } else { 0 };
            (0..k).map(|_| infer_ext(r)).collect::<Vec<_>>()
        };
        let x = Some(ext(xn, &mut r));
        let y = Some(ext(yn, &mut r));
        InferCase {
            xn,
            x,
            yn,
            y,
            ax: axis_arg(&mut r),
            ay: axis_arg(&mut r),
            out_ndim_null: false,
            out_shape_null: false,
        }
    };
    let muts = match r.u8() {
        0..=127 => 0,
        128..=223 => 1,
        _ => 2,
    };
    for _ in 0..muts {
        let on_x = r.chance(128);
        let (n, s) = if on_x {
            (&mut c.xn, &mut c.x)
        } else {
            (&mut c.yn, &mut c.y)
        };
        match r.below(20) {
            0 => *s = None,
            1 => *n = mutated_ndim(*n, &mut r),
            2..=4 => set_one(s, &mut r, hostile_i64),
            5 | 6 => {
                if on_x {
                    c.ax = axis_arg(&mut r)
                } else {
                    c.ay = axis_arg(&mut r)
                }
            }
            7 => c.out_ndim_null = true,
            8 => c.out_shape_null = true,
            9..=13 => set_one(s, &mut r, small_ext),
            14..=16 => {
                let d = BATCH_DOT_AXIS_DEFAULT;
                (c.ax, c.ay) = if r.chance(128) {
                    (d, d)
                } else {
                    let a = r.below(9) as i64 - 4;
                    (a, a)
                };
            }
            _ => set_one(s, &mut r, |_| -1),
        }
    }
    c
}

/// Sets a random one of the extents `s` (if any) to `value`'s.
fn set_one(s: &mut Option<Vec<i64>>, r: &mut Reader, value: fn(&mut Reader) -> i64) {
    if let Some(v) = s.as_mut().filter(|v| !v.is_empty()) {
        let i = r.below(v.len() as u32) as usize;
        v[i] = value(r);
    }
}

/// Makes the call `c` and checks it against the oracle; returns its status.
pub fn run_infer(c: &InferCase) -> i32 {
    // Shape buffers of exactly the extents the ndim says are readable
    // (none when the ndim is out of range: then nothing may be read).
    let buf = |n: i32, s: &Option<Vec<i64>>| -> Option<Vec<i64>> {
        s.as_ref().map(|v| {
            let k = if (1..=16).contains(&n) { n as usize } else { 0 };
            let mut b: Vec<i64> = (0..k).map(|i| v.get(i).copied().unwrap_or(1)).collect();
            b.shrink_to_fit();
            b
        })
    };
    let (xb, yb) = (buf(c.xn, &c.x), buf(c.yn, &c.y));
    const SENT: i64 = 0x5a5a_5a5a_5a5a_5a5a;
    let mut out_ndim: Box<i32> = Box::new(-77);
    let mut out_shape: Box<[i64; 16]> = Box::new([SENT; 16]);
    let want = oracle::infer_shape(
        c.xn,
        xb.as_deref(),
        c.yn,
        yb.as_deref(),
        c.ax,
        c.ay,
        c.out_ndim_null,
        c.out_shape_null,
    );
    let p = |b: &Option<Vec<i64>>| b.as_ref().map_or(std::ptr::null(), |v| v.as_ptr());
    let on = if c.out_ndim_null {
        std::ptr::null_mut()
    } else {
        &mut *out_ndim as *mut i32
    };
    let os = if c.out_shape_null {
        std::ptr::null_mut()
    } else {
        out_shape.as_mut_ptr()
    };
    // SAFETY: the shape buffers hold ndim extents when ndim is in 1..16.
    let got =
        unsafe { batch_dot::batch_dot_infer_shape(c.xn, p(&xb), c.yn, p(&yb), c.ax, c.ay, on, os) };
    let ctx = || format!("case {c:#?}\nwant {want:?}\nmessage {:?}", last_error());
    assert_ne!(got, st::INTERNAL, "INTERNAL: {}", ctx());
    let msg = last_error();
    assert_eq!(
        msg.is_empty(),
        got == st::OK,
        "last error message {msg:?} for status {got}"
    );
    match &want {
        Ok(shape) => {
            assert_eq!(got, st::OK, "{}", ctx());
            assert_eq!(*out_ndim as usize, shape.len(), "{}", ctx());
            assert_eq!(&out_shape[..shape.len()], &shape[..], "{}", ctx());
            assert!(
                out_shape[shape.len()..].iter().all(|&v| v == SENT),
                "wrote past out_ndim: {}",
                ctx()
            );
        }
        Err(s) => {
            assert_eq!(got, *s, "{}", ctx());
            assert_eq!(*out_ndim, -77, "out_ndim written on error: {}", ctx());
            assert!(
                out_shape.iter().all(|&v| v == SENT),
                "out_shape written on error: {}",
                ctx()
            );
        }
    }
    got
}
