//! The runner of the 16-bit targets (`compute_bf16`, `compute_f16`): the
//! decoded call of [`crate::run::decode_compute`] made with bfloat16 or
//! float16 inputs, through `batch_dot_bf16`/`batch_dot_f16` or
//! `batch_dot_compute` with a 16-bit or an f32 output (docs/API.md,
//! "Element types (version 0.2)"), on buffers of exactly the bytes the
//! layouts claim; every promise checked:
//!
//! - the status is the oracle's (docs/API.md's check order with each
//!   tensor's own element size: 2 bytes for bfloat16 and float16, 4 for an
//!   f32 output, in byte overflow, alignment and aliasing), with a message
//!   exactly when it is not OK;
//! - no byte outside the reached output elements changes (inputs included);
//! - the typed call and `batch_dot_compute` with its dtype codes give the
//!   same status, message and bytes;
//! - on success each output is within docs/API.md's bound of the exact
//!   sum, `2(K+2)·2⁻²⁴·Σ|x·y|` before one rounding to nearest even to the
//!   output type (scaled: `alpha·s + beta·out` in f32, within the scaled
//!   bound), and bitwise the same with one thread.
//!
//! The reference is written here, independent of the library and of the
//! test kit's f32/f64 reference: the 16-bit formats decoded exactly into
//! f64, products exact in f64, their sum exact (Shewchuk's expansion, as in
//! Python's `math.fsum`, then one rounding to f64), and rounding to
//! nearest even from f64 to bfloat16, float16 and f32 done by hand.

use batch_dot::{batch_dot_layout, batch_dot_options};
use testkit::calls::last_error;
use testkit::layouts::storage_positions;
use testkit::oracle::{self, st, Opts};
use testkit::SplitMix64;

use crate::run::{
    alloc_len, check_untouched, next_index, operand_indices, same_with_one_thread, too_much_work,
    ComputeCase, Place, CAP,
};

/// dtype codes of docs/API.md, "Element types" (restated).
pub const F32: i32 = 1;
/// float64.
pub const F64: i32 = 2;
/// IEEE binary16.
pub const F16: i32 = 3;
/// bfloat16.
pub const BF16: i32 = 4;

/// The 16-bit input type under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// bfloat16: the top half of a binary32.
    Bf16,
    /// IEEE binary16.
    F16,
}

impl Half {
    /// Its dtype code.
    pub fn code(self) -> i32 {
        match self {
            Half::Bf16 => BF16,
            Half::F16 => F16,
        }
    }
    /// The value of the bits `h`, exactly.
    pub fn decode(self, h: u16) -> f64 {
        match self {
            Half::Bf16 => bf16_to_f64(h),
            Half::F16 => f16_to_f64(h),
        }
    }
    /// The value nearest to `v`, ties to even (±Inf on overflow).
    pub fn round(self, v: f64) -> f64 {
        match self {
            Half::Bf16 => round_fmt(v, 8, -126, BF16_MAX),
            Half::F16 => round_fmt(v, 11, -14, 65504.0),
        }
    }
    /// The bits of `v` rounded to nearest even.
    pub fn encode(self, v: f64) -> u16 {
        let r = self.round(v);
        match self {
            Half::Bf16 => {
                let b = (r as f32).to_bits();
                if r.is_nan() {
                    ((b >> 16) as u16) | 0x0040
                } else {
                    (b >> 16) as u16
                }
            }
            Half::F16 => f16_bits(r),
        }
    }
    /// The "not written" sentinel: a quiet NaN with a payload no test puts
    /// in an input (the test kit's, testkit/c/testkit.h).
    pub fn sentinel(self) -> u16 {
        match self {
            Half::Bf16 => 0x7fe5,
            Half::F16 => 0x7e5a,
        }
    }
}

/// The largest finite bfloat16, 0x1.fep127.
pub const BF16_MAX: f64 = 3.3895313892515355e38;

/// bfloat16 bits to their value: the top half of an f32 (exact).
pub fn bf16_to_f64(h: u16) -> f64 {
    f32::from_bits((h as u32) << 16) as f64
}

/// binary16 bits to their value, exactly: exponent 0 the subnormals
/// m·2⁻²⁴, exponent 31 Inf or NaN.
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = ((h >> 10) & 31) as i32;
    let m = (h & 1023) as f64;
    let v = match e {
        0 => m * 2f64.powi(-24),
        31 if m == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + m) * 2f64.powi(e - 25),
    };
    sign * v
}

/// Round to nearest even of `v` to a binary format with `p` significand
/// bits, smallest normal exponent `emin` and largest finite value `max`:
/// the value (exact in f64), ±Inf past the overflow threshold, NaN for
/// NaN. On the scaled significand, so it depends on no conversion
/// instruction.
pub fn round_fmt(v: f64, p: i32, emin: i32, max: f64) -> f64 {
    if v.is_nan() || v.is_infinite() || v == 0.0 {
        return v;
    }
    let a = v.abs();
    // The exponent e with a in [2^e, 2^(e+1)), from the bits (a is normal
    // or subnormal in f64; the formats' ranges are far inside).
    let bits = a.to_bits();
    let be = ((bits >> 52) & 0x7ff) as i32;
    let e = if be == 0 {
        -1023 - (bits.leading_zeros() as i32 - 12) // subnormal f64
    } else {
        be - 1023
    };
    let q = 2f64.powi(e.max(emin) - (p - 1)); // the spacing near a
    let t = a / q; // < 2^p, exact
    let mut n = t.floor();
    let f = t - n;
    if f > 0.5 || (f == 0.5 && n % 2.0 != 0.0) {
        n += 1.0;
    }
    let mut r = n * q;
    if r > max {
        r = f64::INFINITY;
    }
    if v < 0.0 {
        -r
    } else {
        r
    }
}

/// `v` rounded to nearest even to f32 (by hand, as above), as f64.
pub fn round_f32(v: f64) -> f64 {
    round_fmt(v, 24, -126, f32::MAX as f64)
}

/// The binary16 bits of a value `round_fmt` gave for binary16.
fn f16_bits(r: f64) -> u16 {
    let sign: u16 = if r.is_sign_negative() { 0x8000 } else { 0 };
    if r.is_nan() {
        return sign | 0x7e00;
    }
    let a = r.abs();
    if a.is_infinite() {
        return sign | 0x7c00;
    }
    if a < 2f64.powi(-14) {
        return sign | (a * 2f64.powi(24)) as u16;
    }
    let e = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let m = (a / 2f64.powi(e) * 1024.0) as u16 - 1024;
    sign | (((e + 15) as u16) << 10) | m
}

/// The exact sum of `xs` (finite), rounded once to f64: Shewchuk's
/// non-overlapping partials (Python's `math.fsum`).
pub fn exact_sum(xs: &[f64]) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for &x0 in xs {
        let mut x = x0;
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        partials.push(x);
    }
    // Round the expansion to f64 (the largest partials last).
    let Some(mut hi) = partials.pop() else {
        return 0.0;
    };
    while let Some(y) = partials.pop() {
        let x = hi;
        hi = x + y;
        let lo = y - (hi - x);
        if lo != 0.0 {
            // Round half even across the remaining partials.
            if let Some(&next) = partials.last() {
                if (lo < 0.0 && next < 0.0) || (lo > 0.0 && next > 0.0) {
                    let y2 = lo * 2.0;
                    let x2 = hi + y2;
                    if y2 == x2 - hi {
                        hi = x2;
                    }
                }
            }
            break;
        }
    }
    hi
}

/// The error a 16-bit path may make before its final rounding, over a
/// contraction of length k with Σ|x·y| = `abs`: docs/API.md's
/// 2(K+2)·2⁻²⁴·Σ|x·y|, plus f32's underflow (half the smallest spacing,
/// 2⁻¹⁵⁰, for each of the k+1 roundings), which no relative bound covers.
pub fn lowp_err(k: usize, abs: f64) -> f64 {
    2.0 * (k as f64 + 2.0) * 2f64.powi(-24) * abs + (k as f64 + 1.0) * 2f64.powi(-149)
}

/// Whether `got` (an output of type `out`, read exactly) is right for the
/// value `want` that the f32 computation may miss by `err` before its one
/// rounding to `out`: NaN for NaN, the same infinity for an infinity; an
/// f32 output within err (or the infinity the interval rounds to); a
/// 16-bit output between the roundings of want − err and want + err (RNE
/// is monotonic, so a truncation or a double rounding shows as soon as err
/// is below half an ulp, and overflow must give ±Inf). With
/// `may_overflow` (f32 partial sums or the scaled value may pass f32::MAX
/// and meet Inf − Inf or Inf·0; the caller never says so when an input
/// makes the sum NaN) any Inf or NaN passes too.
pub fn check_value(out: Option<Half>, got: f64, want: f64, err: f64, may_overflow: bool) -> bool {
    if may_overflow && !got.is_finite() {
        return true;
    }
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() {
        return got == want;
    }
    if got.is_nan() {
        return false;
    }
    let round = |v: f64| out.map_or_else(|| round_f32(v), |h| h.round(v));
    if out.is_none() && got.is_finite() {
        return (got - want).abs() <= err;
    }
    round(want - err) <= got && got <= round(want + err)
}

/// Whether `batch_dot_compute` runs the dtype codes `d` (x, y, out):
/// docs/API.md's table, every row of version 0.2 (the integer rows, int8
/// or uint8 times int8 into int32, included).
pub fn dtypes_run([a, b, c]: [i32; 3]) -> bool {
    if (a == 5 || a == 6) && b == 5 && c == 7 {
        return true;
    }
    a == b
        && match a {
            F32 => c == F32,
            F64 => c == F64,
            F16 | BF16 => c == a || c == F32,
            _ => false,
        }
}

/// The status of the call, by docs/API.md's check order, with each tensor's
/// element size `sizes` (and `dtypes` for check 1b when the call is
/// `batch_dot_compute`). Checks 1b, 8, 9 and 11 are where sizes matter;
/// the rest uses the test kit's oracle helpers. Returns the status and the
/// reach of each tensor.
pub fn verdict(
    layouts: [Option<&batch_dot_layout>; 3],
    ax: i64,
    ay: i64,
    opts: Option<&Opts>,
    ptrs: [usize; 3],
    dtypes: Option<[i32; 3]>,
    sizes: [usize; 3],
) -> (i32, [Option<(i64, i64)>; 3]) {
    let none = [None; 3];
    // 1.
    let [Some(x), Some(y), Some(o)] = layouts else {
        return (st::NULL_POINTER, none);
    };
    // 1b.
    if dtypes.is_some_and(|d| !dtypes_run(d)) {
        return (st::UNSUPPORTED_DTYPE, none);
    }
    let all = [x, y, o];
    // 2.
    if all.iter().any(|l| l.flags != 0 || l.len < 0) || opts.is_some_and(|o| !o.valid()) {
        return (st::INVALID_ARGUMENT, none);
    }
    // 3.
    if all.iter().any(|l| !(0..=16).contains(&l.ndim)) || x.ndim < 2 || y.ndim < 2 {
        return (st::INVALID_RANK, none);
    }
    let dims = |l: &batch_dot_layout| l.shape[..l.ndim as usize].to_vec();
    let (xd, yd, od) = (dims(x), dims(y), dims(o));
    // 4.
    if xd.iter().chain(&yd).chain(&od).any(|&d| d < 0) {
        return (st::INVALID_SHAPE, none);
    }
    // 5.
    let shape = match oracle::semantics(&xd, &yd, ax, ay, i64::MIN) {
        Ok(s) => s,
        Err(s) => return (s, none),
    };
    // 6.
    if shape.len() > 16 {
        return (st::INVALID_RANK, none);
    }
    // 7.
    if od != shape {
        return (st::OUTPUT_SHAPE, none);
    }
    // 8.
    let fits = |a: i128| a >= i64::MIN as i128 && a <= i64::MAX as i128;
    let mut reach = [None; 3];
    for (i, l) in all.iter().enumerate() {
        match oracle::count(&dims(l)) {
            None => return (st::OVERFLOW, none),
            Some(0) => {}
            Some(_) => {
                let (lo, hi) = oracle::reach(l);
                let sz = sizes[i] as i128;
                if !(fits(lo) && fits(hi) && fits(lo * sz) && fits((hi + 1) * sz)) {
                    return (st::OVERFLOW, none);
                }
                reach[i] = Some((lo as i64, hi as i64));
            }
        }
    }
    // 9.
    for i in 0..3 {
        if reach[i].is_some() {
            if ptrs[i] == 0 {
                return (st::NULL_POINTER, reach);
            }
            if !ptrs[i].is_multiple_of(sizes[i]) {
                return (st::INVALID_ARGUMENT, reach);
            }
        }
    }
    // 10.
    for i in 0..3 {
        if let Some((lo, hi)) = reach[i] {
            if lo < 0 || hi >= all[i].len {
                return (st::OUT_OF_BOUNDS, reach);
            }
        }
    }
    // 11: byte ranges, each tensor with its own element size.
    if let Some((lo, hi)) = reach[2] {
        if !oracle::non_overlapping(o) {
            return (st::ALIASING, reach);
        }
        let bytes = |i: usize, lo: i64, hi: i64| {
            let p = ptrs[i] as i128;
            let s = sizes[i] as i128;
            (p + lo as i128 * s, p + (hi as i128 + 1) * s - 1)
        };
        let (o0, o1) = bytes(2, lo, hi);
        for i in 0..2 {
            if let Some((l, h)) = reach[i] {
                let (a0, a1) = bytes(i, l, h);
                if a0 <= o1 && o0 <= a1 {
                    return (st::ALIASING, reach);
                }
            }
        }
    }
    (st::OK, reach)
}

/// A byte buffer of exactly `bytes` bytes (8-aligned), so that
/// AddressSanitizer sees its true end.
pub(crate) struct Buf {
    pub(crate) ptr: *mut u8,
    pub(crate) bytes: usize,
}

impl Buf {
    pub(crate) fn new(bytes: usize) -> Buf {
        if bytes == 0 {
            return Buf {
                ptr: std::ptr::NonNull::<u64>::dangling().as_ptr().cast(),
                bytes,
            };
        }
        let layout = std::alloc::Layout::from_size_align(bytes, 8).expect("buffer layout");
        // SAFETY: a nonzero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!ptr.is_null(), "out of memory");
        Buf { ptr, bytes }
    }
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for `bytes` bytes (dangling only when 0).
        unsafe { std::slice::from_raw_parts(self.ptr, self.bytes) }
    }
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and the buffer is owned.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.bytes) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if self.bytes > 0 {
            let layout = std::alloc::Layout::from_size_align(self.bytes, 8).unwrap();
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(self.ptr, layout) };
        }
    }
}

/// An input value's bits, by the case's data mode: small integers and
/// halves (sums exact), full-precision reals of several magnitudes, or any
/// bits at all (huge, tiny, subnormal, NaN payloads); with `specials`
/// NaN, ±Inf and −0.0 sprinkled in.
fn value(h: Half, rng: &mut SplitMix64, mode: u64, specials: bool) -> u16 {
    let v = rng.next_u64();
    if specials && v.is_multiple_of(13) {
        return h.encode([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0][(v >> 8) as usize % 4]);
    }
    match mode {
        0 | 1 => {
            let i = ((v >> 16) % 17) as f64 - 8.0;
            h.encode(if v & 0x100 != 0 { i * 0.5 } else { i })
        }
        2 => {
            let r = ((v >> 11) as f64) * 2f64.powi(-52) - 1.0;
            h.encode(r * 2f64.powi(((v >> 3) % 13) as i32 - 6))
        }
        _ => {
            let b = (v >> 20) as u16;
            // No NaN with the sentinel's payload in an input.
            if b & 0x7fff == h.sentinel() {
                0
            } else {
                b
            }
        }
    }
}

/// An output's value from its bytes (16-bit of type `out`, or f32).
fn read_out(out: Option<Half>, b: &[u8], pos: usize) -> f64 {
    match out {
        Some(h) => h.decode(u16::from_ne_bytes([b[2 * pos], b[2 * pos + 1]])),
        None => f32::from_ne_bytes(b[4 * pos..4 * pos + 4].try_into().unwrap()) as f64,
    }
}

/// Makes the call `c` with inputs of type `h` and checks it; returns its
/// status (None when the runner skipped a valid call too big for it).
/// Panics on any broken promise.
pub fn run_lowp(h: Half, c: &ComputeCase) -> Option<i32> {
    // The call: the typed function (dtypes None), or batch_dot_compute
    // where a combination this release runs stands for one of the 16-bit
    // rows (an f32 out code: (h, h, F32); else (h, h, h)) and any other
    // combination is passed as is (UNSUPPORTED_DTYPE).
    let dtypes = c.dtypes.map(|d| match (dtypes_run(d), d[2]) {
        (true, F32) => [h.code(), h.code(), F32],
        (true, _) => [h.code(); 3],
        (false, _) => d,
    });
    let out_f32 = dtypes.is_some_and(|d| d[2] == F32);
    let out_t = if out_f32 { None } else { Some(h) };
    let osz = if out_f32 { 4 } else { 2 };
    let sizes = [2, 2, osz];
    let mut rng = SplitMix64::new(c.seed);
    let mode = c.seed % 4;

    // Buffers: each tensor its own (exactly len elements), or one shared
    // (element offsets in 2-byte units), or misaligned by 1 byte (or, for
    // an f32 out, 1 or 2 bytes).
    let mut bufs: Vec<Buf> = Vec::new();
    let mut at: [Option<(usize, usize)>; 3] = [None; 3]; // (buffer, byte offset)
    let mut ptrs = [0usize; 3];
    let mut truncated = false;
    let mut place = c.place;
    for (p, l) in place.iter_mut().zip(&c.layouts) {
        if matches!(p, Place::Shared(_)) && l.is_some_and(|l| l.len > CAP) {
            *p = Place::Own;
        }
    }
    let shared = (0..3)
        .filter_map(|i| match place[i] {
            Place::Shared(e) => {
                Some(2 * e + sizes[i] * c.layouts[i].map_or(0, |l| l.len.clamp(0, CAP)) as usize)
            }
            _ => None,
        })
        .max();
    if let Some(bytes) = shared {
        bufs.push(Buf::new(bytes));
    }
    for i in 0..3 {
        match place[i] {
            Place::Null => {}
            Place::Own | Place::Misaligned => {
                let n = alloc_len(c.layouts[i].as_ref()).unwrap_or_else(|| {
                    truncated = true;
                    0
                });
                let mis = match place[i] {
                    Place::Misaligned if i == 2 && out_f32 && c.seed & 0x10 != 0 => 2,
                    Place::Misaligned => 1,
                    _ => 0,
                };
                let b = Buf::new(n * sizes[i] + mis);
                ptrs[i] = b.ptr as usize + mis;
                if mis == 0 {
                    at[i] = Some((bufs.len(), 0));
                }
                bufs.push(b);
            }
            Place::Shared(e) => {
                ptrs[i] = bufs[0].ptr as usize + 2 * e;
                at[i] = Some((0, 2 * e));
            }
        }
    }
    // Inputs (and a shared buffer) get values, an own out the sentinel.
    for (b, buf) in bufs.iter_mut().enumerate() {
        let is_out = at[2].is_some_and(|(ob, _)| ob == b) && !(b == 0 && shared.is_some());
        let s = buf.as_mut_slice();
        if is_out {
            if out_f32 {
                for w in s.chunks_exact_mut(4) {
                    w.copy_from_slice(&0x7fc5_a5a5u32.to_ne_bytes());
                }
            } else {
                for w in s.chunks_exact_mut(2) {
                    w.copy_from_slice(&h.sentinel().to_ne_bytes());
                }
            }
        } else {
            for w in s.chunks_exact_mut(2) {
                w.copy_from_slice(&value(h, &mut rng, mode, c.specials).to_ne_bytes());
            }
        }
    }
    let ls = [
        c.layouts[0].as_ref(),
        c.layouts[1].as_ref(),
        c.layouts[2].as_ref(),
    ];
    let (want_status, reach) = verdict(ls, c.ax, c.ay, c.opts.as_ref(), ptrs, dtypes, sizes);
    if sizes[2] == 2 && dtypes.is_none() {
        // The test kit's oracle (uniform sizes) must agree.
        let v = oracle::compute(ls, c.ax, c.ay, c.opts.as_ref(), ptrs, 2);
        assert_eq!(v.status, want_status, "the two oracles differ: {c:#?}");
    }
    let scale = c.opts.as_ref().and_then(Opts::scale);
    let mut out_pos: Vec<usize> = Vec::new();
    if want_status == st::OK {
        if truncated || too_much_work(c) {
            return None;
        }
        let o = c.layouts[2].unwrap();
        if reach[2].is_some() {
            out_pos = storage_positions(&o);
            // A scaled call with beta != 0 reads out: give the reached
            // elements values (their bytes were the sentinel or, shared,
            // input values).
            if let (Some((_, beta)), Some((ob, off))) = (scale, at[2]) {
                if beta != 0.0 {
                    let s = bufs[ob].as_mut_slice();
                    for &p in &out_pos {
                        let v = h.decode(value(h, &mut rng, mode, c.specials));
                        if out_f32 {
                            let b = off + 4 * p;
                            s[b..b + 4].copy_from_slice(&(v as f32).to_ne_bytes());
                        } else {
                            let b = off + 2 * p;
                            s[b..b + 2].copy_from_slice(&h.encode(v).to_ne_bytes());
                        }
                    }
                }
            }
        }
    }
    let snapshot: Vec<Vec<u8>> = bufs.iter().map(|b| b.as_slice().to_vec()).collect();
    let lp = |i: usize| {
        c.layouts[i]
            .as_ref()
            .map_or(std::ptr::null(), |l| l as *const _)
    };
    let op = c.opts.as_ref().map_or(std::ptr::null(), |o| {
        o.bytes.as_ptr() as *const batch_dot_options
    });
    // SAFETY (both calls): every data pointer owns `len` elements of its
    // layout at its own element size (or, truncated, everything the layout
    // reaches), or the call is expected to fail before touching data; the
    // options own their struct_size bytes.
    let call_typed = |out: usize, op: *const batch_dot_options| unsafe {
        let f = match h {
            Half::Bf16 => batch_dot::batch_dot_bf16,
            Half::F16 => batch_dot::batch_dot_f16,
        };
        f(
            lp(0),
            ptrs[0] as *const u16,
            lp(1),
            ptrs[1] as *const u16,
            c.ax,
            c.ay,
            lp(2),
            out as *mut u16,
            op,
        )
    };
    let call_compute = |d: [i32; 3], out: usize, op: *const batch_dot_options| unsafe {
        batch_dot::batch_dot_compute(
            d[0],
            lp(0),
            ptrs[0] as *const _,
            d[1],
            lp(1),
            ptrs[1] as *const _,
            c.ax,
            c.ay,
            d[2],
            lp(2),
            out as *mut _,
            op,
        )
    };
    let call = |out: usize, op: *const batch_dot_options| match dtypes {
        None => call_typed(out, op),
        Some(d) => call_compute(d, out, op),
    };
    let got = call(ptrs[2], op);
    let msg = last_error();
    let ctx = || {
        format!(
            "{h:?} case {c:#?}\ndtypes {dtypes:?}\nptrs {ptrs:x?}\nexpected {want_status}, reach \
             {reach:?}\nmessage {msg:?}"
        )
    };
    assert_ne!(got, st::INTERNAL, "INTERNAL status: {}", ctx());
    assert_eq!(got, want_status, "status {got} != expected: {}", ctx());
    assert_eq!(
        msg.is_empty(),
        got == st::OK,
        "message for status {got}: {}",
        ctx()
    );

    // No byte changed but those of the reached output elements.
    let (ob, ooff) = at[2].unwrap_or((usize::MAX, 0));
    check_untouched(&bufs, &snapshot, (ob, ooff), &out_pos, osz, got, ctx);
    // The typed call and batch_dot_compute with (h, h, h) agree, bit for
    // bit (out back as it was before the second call).
    if dtypes.is_none() {
        let first = (ob != usize::MAX).then(|| bufs[ob].as_slice().to_vec());
        if ob != usize::MAX {
            bufs[ob].as_mut_slice().copy_from_slice(&snapshot[ob]);
        }
        let again = call_compute([h.code(); 3], ptrs[2], op);
        let msg2 = last_error();
        assert!(
            again == got
                && msg2 == msg
                && first.as_deref().is_none_or(|f| bufs[ob].as_slice() == f),
            "batch_dot_compute ({again}, {msg2:?}) differs from the typed call: {}",
            ctx()
        );
    }
    if got != st::OK || out_pos.is_empty() {
        return Some(got);
    }

    // Values against the reference here.
    let (x, y, o) = (
        c.layouts[0].unwrap(),
        c.layouts[1].unwrap(),
        c.layouts[2].unwrap(),
    );
    let (a0, a1) = oracle::normalise_axes(x.ndim as usize, y.ndim as usize, c.ax, c.ay).unwrap();
    let k = x.shape[a0] as usize;
    let input = |i: usize, l: &batch_dot_layout, idx: &[i64]| -> f64 {
        let pos = l.offset as i128
            + (0..l.ndim as usize)
                .filter(|&d| l.shape[d] > 1)
                .map(|d| idx[d] as i128 * l.strides[d] as i128)
                .sum::<i128>();
        let (bi, off) = at[i].expect("an input with elements has a buffer");
        let s = bufs[bi].as_slice();
        let b = off + 2 * pos as usize;
        h.decode(u16::from_ne_bytes([s[b], s[b + 1]]))
    };
    let before = |p: usize| -> f64 { read_out(out_t, &snapshot[ob][ooff..], p) };
    let ond = o.ndim as usize;
    let mut oidx = vec![0i64; ond];
    for (e, &p) in out_pos.iter().enumerate() {
        // x's and y's indices for out's logical index oidx.
        let (mut xi, mut yi) = operand_indices(&oidx, (x.ndim as usize, y.ndim as usize), (a0, a1));
        let mut prods = Vec::with_capacity(k);
        let mut abs = 0.0;
        let mut special = 0.0; // a NaN or Inf product, summed in IEEE order
        for t in 0..k as i64 {
            xi[a0] = t;
            yi[a1] = t;
            let pr = input(0, &x, &xi) * input(1, &y, &yi);
            if pr.is_finite() {
                prods.push(pr);
                abs += pr.abs();
            } else {
                special += pr;
            }
        }
        let sum = if special != 0.0 || special.is_nan() {
            special
        } else {
            exact_sum(&prods)
        };
        let g = read_out(out_t, &bufs[ob].as_slice()[ooff..], p);
        let ok = match scale {
            None => {
                if abs == 0.0 && sum == 0.0 {
                    // Every product ±0 (or K = 0): +0.0, the sum's start.
                    g == 0.0 && g.is_sign_positive()
                } else {
                    let may = abs >= 2f64.powi(127) && !sum.is_nan();
                    check_value(out_t, g, sum, lowp_err(k, abs), may)
                }
            }
            Some((alpha, beta)) => {
                let (a, b) = (round_f32(alpha), round_f32(beta));
                let bo = if b == 0.0 { 0.0 } else { b * before(p) };
                let asum = a * sum;
                let mut err = a.abs() * lowp_err(k, abs)
                    + 2f64.powi(-23) * (asum.abs() + bo.abs())
                    + 2f64.powi(-148);
                if err.is_nan() {
                    err = 0.0;
                }
                // An infinite alpha times an f32 sum that may be 0 (the
                // exact one within the bound of 0) or not: Inf or NaN.
                let may = !sum.is_nan()
                    && (abs >= 2f64.powi(127)
                        || a.abs() * abs + bo.abs() >= 2f64.powi(127)
                        || a.is_infinite());
                check_value(out_t, g, asum + bo, err, may)
            }
        };
        assert!(
            ok,
            "out element {e} (position {p}) = {g:e}, reference {sum:e} (sum|x*y| {abs:e}, K \
             {k}, scale {scale:?}, before {:e}, finite products {:?}): {}",
            before(p),
            &prods[..prods.len().min(8)],
            ctx()
        );
        next_index(&mut oidx, &o.shape[..ond]);
    }

    // Bitwise the same with one thread.
    let threads = c.opts.as_ref().map_or(0, |o| o.num_threads());
    let again = |op| call(ptrs[2], op);
    same_with_one_thread(&mut bufs, &snapshot, ob, (threads, scale), again, ctx);
    Some(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip_and_round_to_nearest_even() {
        for b in 0..=u16::MAX {
            for h in [Half::Bf16, Half::F16] {
                let v = h.decode(b);
                if !v.is_nan() {
                    assert_eq!(h.encode(v), b, "{h:?} {b:#x}");
                }
            }
        }
        assert_eq!(Half::Bf16.encode(1.0 + 2f64.powi(-8)), 0x3f80); // tie: even
        assert_eq!(Half::Bf16.encode(1.0 + 3.0 * 2f64.powi(-8)), 0x3f82);
        assert_eq!(Half::Bf16.encode(BF16_MAX + 2f64.powi(119)), 0x7f80); // tie: Inf
        assert_eq!(Half::Bf16.encode(2f64.powi(-133)), 0x0001);
        assert_eq!(Half::F16.encode(65520.0), 0x7c00);
        assert_eq!(Half::F16.encode(65519.0), 0x7bff);
        assert_eq!(Half::F16.encode(1.5 * 2f64.powi(-25)), 0x0001);
        assert_eq!(Half::F16.encode(2f64.powi(-25)), 0x0000);
        assert_eq!(round_f32(1.0 + 2f64.powi(-24)), 1.0);
        assert_eq!(round_f32(1.0 + 3.0 * 2f64.powi(-24)), 1.0 + 2f64.powi(-22));
        // Against the f32 conversion, which rounds to nearest even too.
        let mut r = SplitMix64::new(7);
        for _ in 0..100_000 {
            let v = f64::from_bits(r.next_u64());
            if v.is_finite() {
                assert_eq!(round_f32(v), v as f32 as f64, "{v:e}");
                let f = v as f32;
                assert_eq!(Half::Bf16.round(f as f64), {
                    let b = f.to_bits();
                    f32::from_bits(((b + 0x7fff + ((b >> 16) & 1)) >> 16) << 16) as f64
                });
            }
        }
    }

    #[test]
    fn exact_sum_is_exact() {
        let big = 2f64.powi(100);
        assert_eq!(exact_sum(&[big, 1.0, -big]), 1.0);
        assert_eq!(
            exact_sum(&[1.0, 2f64.powi(-60), -1.0, 2f64.powi(-70)]),
            2f64.powi(-60) + 2f64.powi(-70)
        );
        assert_eq!(exact_sum(&[]), 0.0);
        assert_eq!(exact_sum(&[0.1; 10]), 1.0);
    }

    #[test]
    fn the_check_rejects_truncation_and_a_missed_overflow() {
        let w = 1.0 + 3.0 * 2f64.powi(-9);
        let err = lowp_err(2, 2.0);
        assert!(check_value(
            Some(Half::Bf16),
            1.0 + 2f64.powi(-7),
            w,
            err,
            false
        ));
        assert!(!check_value(Some(Half::Bf16), 1.0, w, err, false));
        assert!(!check_value(
            Some(Half::Bf16),
            BF16_MAX,
            BF16_MAX + 2f64.powi(119),
            0.0,
            false
        ));
        assert!(check_value(
            Some(Half::F16),
            f64::INFINITY,
            65520.0,
            0.0,
            false
        ));
        assert!(!check_value(None, 1.0 + 2f64.powi(-10), 1.0, err, false));
    }
}
