//! Safe wrappers of the C-ABI calls the tests, fuzz targets and benchmark
//! make often: shape inference on slices, options asking for a thread
//! count (and a scale), the last error message and a status's name, the
//! random shapes and axes of a call, and the status of a fixed
//! `batch_dot_compute` call at chosen byte offsets (checked against the
//! oracle). These call the library (they are what is tested); nothing here
//! decides whether a result is correct.

use std::ffi::CStr;
use std::ptr;

use batch_dot::{
    batch_dot_compute, batch_dot_infer_shape, batch_dot_last_error_message, batch_dot_options,
    batch_dot_options_init, batch_dot_status_string, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_MAX_NDIM,
    BATCH_DOT_OPT_SCALE,
};

use crate::layouts::lay;
use crate::oracle;
use crate::rng::SplitMix64;

/// `batch_dot_infer_shape` on the shapes `xs` and `ys` (their lengths are
/// the ranks), writing to `ndim` and `shape`; returns the status.
pub fn infer_shape(
    xs: &[i64],
    ys: &[i64],
    axes: (i64, i64),
    ndim: &mut i32,
    shape: &mut [i64; BATCH_DOT_MAX_NDIM],
) -> i32 {
    // SAFETY: each shape pointer is valid for its length, the rank passed
    // with it; out_shape has room for BATCH_DOT_MAX_NDIM extents.
    unsafe {
        batch_dot_infer_shape(
            xs.len() as i32,
            xs.as_ptr(),
            ys.len() as i32,
            ys.as_ptr(),
            axes.0,
            axes.1,
            ndim,
            shape.as_mut_ptr(),
        )
    }
}

/// Options from `batch_dot_options_init`, asking for `n` threads (0: the
/// default).
pub fn with_threads(n: u32) -> batch_dot_options {
    let mut o = std::mem::MaybeUninit::<batch_dot_options>::uninit();
    // SAFETY: the pointer is valid for writing one options struct, which
    // batch_dot_options_init fills entirely.
    let mut o = unsafe {
        batch_dot_options_init(o.as_mut_ptr());
        o.assume_init()
    };
    o.num_threads = n;
    o
}

/// Options with `threads` threads and, when `scale` is given,
/// `BATCH_DOT_OPT_SCALE` with that (alpha, beta).
pub fn options(threads: u32, scale: Option<(f64, f64)>) -> batch_dot_options {
    let mut o = with_threads(threads);
    if let Some((alpha, beta)) = scale {
        o.flags = BATCH_DOT_OPT_SCALE;
        o.alpha = alpha;
        o.beta = beta;
    }
    o
}

/// This thread's last error message (checked: its length is stable between
/// two reads, it is NUL-terminated and UTF-8).
pub fn last_error() -> String {
    // SAFETY: a NULL buffer of length 0 asks only for the length.
    let n = unsafe { batch_dot_last_error_message(std::ptr::null_mut(), 0) };
    let mut buf = vec![0u8; n + 1];
    // SAFETY: buf is valid for buf.len() bytes.
    let m = unsafe { batch_dot_last_error_message(buf.as_mut_ptr() as *mut _, buf.len()) };
    assert_eq!(m, n, "message length changed between two reads");
    assert_eq!(buf[n], 0, "message not NUL-terminated");
    String::from_utf8(buf[..n].to_vec()).expect("message is not UTF-8")
}

/// `batch_dot_status_string(s)`, e.g. "BATCH_DOT_STATUS_ALIASING".
pub fn status_string(s: i32) -> String {
    // SAFETY: the library returns a static NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(batch_dot_status_string(s)) }
        .to_string_lossy()
        .into_owned()
}

/// Random shapes and axes of a call: ranks 2..=4, extents in
/// 1..=`max_extent` (0 one time in 12.5), every axes form; the batch
/// extents usually match and so, when the axes are valid, do the
/// contracted ones, then in 0..=`max_k`. Usually (not always) a valid call.
pub fn random_call(
    rng: &mut SplitMix64,
    max_extent: i64,
    max_k: i64,
) -> (Vec<i64>, Vec<i64>, i64, i64) {
    let ext = |r: &mut SplitMix64| {
        if r.chance(0.08) {
            0
        } else {
            r.range_i64(1, max_extent)
        }
    };
    let n = rng.range_i64(2, 4) as usize;
    let m = rng.range_i64(2, 4) as usize;
    let mut xs: Vec<i64> = (0..n).map(|_| ext(rng)).collect();
    let mut ys: Vec<i64> = (0..m).map(|_| ext(rng)).collect();
    if !rng.chance(0.05) {
        ys[0] = xs[0];
    }
    let (ax, ay) = match rng.below(4) {
        0 => (BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT),
        1 => (-1, -1),
        _ => (
            rng.range_i64(1, n as i64 - 1),
            rng.range_i64(1, m as i64 - 1),
        ),
    };
    if !rng.chance(0.05) {
        if let Ok((a0, a1)) = oracle::normalise_axes(n, m, ax, ay) {
            xs[a0] = rng.range_i64(0, max_k);
            ys[a1] = xs[a0];
        }
    }
    (xs, ys, ax, ay)
}

/// Byte buffers for the status tests: 8-aligned, filled with 0xa5.
pub fn bytes(n: usize) -> Vec<u64> {
    vec![0xa5a5_a5a5_a5a5_a5a5; n.div_ceil(8)]
}

/// `batch_dot_compute` with dtypes `dt` on x (2, 3, 4) · y (2, 4, 5) at
/// byte offsets `offs` into their own buffers ([`bytes`]): the status
/// (checked against the oracle), the message, whether out's bytes are
/// unchanged.
pub fn status_at(dt: [i32; 3], offs: [usize; 3]) -> (i32, String, bool) {
    let (xl, yl, ol) = (
        lay(&[2, 3, 4], &[12, 4, 1], 0, 24),
        lay(&[2, 4, 5], &[20, 5, 1], 0, 40),
        lay(&[2, 3, 5], &[15, 5, 1], 0, 30),
    );
    let xb = bytes(24 * 8 + 8);
    let yb = bytes(40 * 8 + 8);
    let mut ob = bytes(30 * 8 + 8);
    let before = ob.clone();
    let at = |b: *const u64, off: usize| (b as *const u8).wrapping_add(off);
    let (xp, yp) = (at(xb.as_ptr(), offs[0]), at(yb.as_ptr(), offs[1]));
    let op = (ob.as_mut_ptr() as *mut u8).wrapping_add(offs[2]);
    // SAFETY: each buffer holds its layout's elements at up to 8 bytes
    // each from the offset (at most 8) on; misaligned pointers are refused
    // before any data is read.
    let s = unsafe {
        batch_dot_compute(
            dt[0],
            &xl,
            xp.cast(),
            dt[1],
            &yl,
            yp.cast(),
            2,
            1,
            dt[2],
            &ol,
            op.cast(),
            ptr::null(),
        )
    };
    let msg = last_error();
    let v = oracle::compute_dtyped(
        dt,
        [Some(&xl), Some(&yl), Some(&ol)],
        2,
        1,
        None,
        [xp as usize, yp as usize, op as usize],
    );
    assert_eq!(s, v.status, "{dt:?} at {offs:?}: the oracle ({msg})");
    (s, msg, ob == before)
}
