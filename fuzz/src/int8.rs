//! The runner of the `compute_int8` target: the decoded call of
//! [`crate::run::decode_compute`] made with integer inputs, both rows of
//! docs/API.md's table (int8 · int8 and uint8 · int8 into int32; the row
//! from the case's seed), through `batch_dot_s8` or `batch_dot_compute`, on
//! buffers of exactly the bytes the layouts claim; every promise checked:
//!
//! - the status is the test kit's oracle's (`testkit::oracle`: 1-byte
//!   inputs at any address, a 4-byte out aligned to 4, each tensor's own
//!   size in byte overflow and aliasing, and the int32 rule for alpha and
//!   beta at check 2), with a message exactly when it is not OK;
//! - no byte outside the reached output elements changes (inputs included);
//! - `batch_dot_s8` and `batch_dot_compute` with (S8, S8, S32) give the
//!   same status, message and bytes;
//! - on success each output is the exact sum (i64, written here) modulo
//!   2^32, bit for bit; scaled with beta = 1, the old value plus it modulo
//!   2^32; with beta = 0 whatever out held is ignored; and the bytes are
//!   the same with one thread.
//!
//! Scaled calls: where the decoded options ask for `BATCH_DOT_OPT_SCALE`,
//! three times in four their alpha and beta become a pair an int32 output
//! takes ((1, 0), (1, −0), (1, 1)), so that most scaled calls run; the rest
//! keep the decoded values (mostly refused: INVALID_ARGUMENT).

use batch_dot::{batch_dot_layout, batch_dot_options};
use testkit::calls::last_error;
use testkit::layouts::storage_positions;
use testkit::oracle::{self, st, Opts};
use testkit::SplitMix64;

use crate::lowp::{dtypes_run, Buf};
use crate::run::{
    alloc_len, check_untouched, next_index, operand_indices, same_with_one_thread, too_much_work,
    ComputeCase, Place, CAP,
};

/// dtype codes of docs/API.md (restated).
const S8: i32 = 5;
/// uint8.
const U8: i32 = 6;
/// int32.
const S32: i32 = 7;

/// The out sentinel (the test kit's, testkit/c/testkit.h).
const SENTINEL: u32 = 0x5a5a_a5a5;

/// `v` modulo 2^32 as an int32, written out.
pub fn wrap(v: i64) -> i32 {
    let m = v.rem_euclid(1 << 32);
    if m >= 1 << 31 {
        (m - (1 << 32)) as i32
    } else {
        m as i32
    }
}

/// An input byte by the case's data mode: any byte, the extremes (±127,
/// −128 as int8; 255, 254, 128 as uint8: the largest products), or small
/// values (−4..=4 as int8).
fn value(rng: &mut SplitMix64, mode: u64) -> u8 {
    let v = rng.next_u64();
    match mode {
        0 => v as u8,
        1 => [0x80u8, 0x81, 0x7f, 0xff, 0xfe][(v >> 8) as usize % 5],
        _ => (((v >> 8) % 9) as i8 - 4) as u8,
    }
}

/// Makes the call `c` with integer inputs and checks it; returns its
/// status (None when the runner skipped a valid call too big for it).
/// Panics on any broken promise.
pub fn run_int8(c: &ComputeCase) -> Option<i32> {
    // The row: U8·S8 for one case in three.
    let unsigned = c.seed % 3 == 2;
    let row = if unsigned {
        [U8, S8, S32]
    } else {
        [S8, S8, S32]
    };
    // The call: batch_dot_s8 (dtypes None, the S8 row), or
    // batch_dot_compute where a combination this release runs stands for
    // the row under test and any other combination is passed as is
    // (UNSUPPORTED_DTYPE). U8·S8 has no typed function.
    let dtypes = match c.dtypes {
        Some(d) if dtypes_run(d) => Some(row),
        Some(d) => Some(d),
        None if unsigned => Some(row),
        None => None,
    };
    let sizes = [1usize, 1, 4];
    let mut rng = SplitMix64::new(c.seed);
    let mode = (c.seed >> 2) % 3;

    // Options: allowed pairs for most scaled calls.
    let mut opts = c.opts.clone();
    if let Some(o) = opts.as_mut() {
        if o.struct_size() >= 32 && o.bytes.len() >= 32 && o.flags() & oracle::OPT_SCALE != 0 {
            let pick = (c.seed >> 8) % 4;
            if pick < 3 {
                let (a, b) = [(1.0f64, 0.0f64), (1.0, -0.0), (1.0, 1.0)][pick as usize];
                o.bytes[16..24].copy_from_slice(&a.to_ne_bytes());
                o.bytes[24..32].copy_from_slice(&b.to_ne_bytes());
            }
        }
    }

    // Buffers: each tensor its own (exactly len elements), or one shared
    // (byte offsets: e for an input, 4e for out), or misaligned (inputs by
    // 1 byte, which 1-byte elements allow; out by 1, 2 or 3).
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
    let shared_off = |i: usize, e: usize| if i == 2 { 4 * e } else { e };
    let shared = (0..3)
        .filter_map(|i| match place[i] {
            Place::Shared(e) => Some(
                shared_off(i, e)
                    + sizes[i] * c.layouts[i].map_or(0, |l| l.len.clamp(0, CAP)) as usize,
            ),
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
                    Place::Misaligned if i == 2 => 1 + ((c.seed >> 4) % 3) as usize,
                    Place::Misaligned => 1,
                    _ => 0,
                };
                let b = Buf::new(n * sizes[i] + mis);
                ptrs[i] = b.ptr as usize + mis;
                at[i] = Some((bufs.len(), mis));
                bufs.push(b);
            }
            Place::Shared(e) => {
                ptrs[i] = bufs[0].ptr as usize + shared_off(i, e);
                at[i] = Some((0, shared_off(i, e)));
            }
        }
    }
    // Inputs (and a shared buffer) get values, an own out the sentinel.
    for (b, buf) in bufs.iter_mut().enumerate() {
        let is_out = at[2].is_some_and(|(ob, _)| ob == b) && !(b == 0 && shared.is_some());
        let s = buf.as_mut_slice();
        if is_out {
            for w in s.chunks_exact_mut(4) {
                w.copy_from_slice(&SENTINEL.to_ne_bytes());
            }
        } else {
            for v in s.iter_mut() {
                *v = value(&mut rng, mode);
            }
        }
    }
    let ls = [
        c.layouts[0].as_ref(),
        c.layouts[1].as_ref(),
        c.layouts[2].as_ref(),
    ];
    let verdict = match dtypes {
        None => oracle::compute_s8(ls, c.ax, c.ay, opts.as_ref(), ptrs),
        Some(d) => oracle::compute_dtyped(d, ls, c.ax, c.ay, opts.as_ref(), ptrs),
    };
    let want_status = verdict.status;
    let scale = opts.as_ref().and_then(Opts::scale);
    let mut out_pos: Vec<usize> = Vec::new();
    if want_status == st::OK {
        if truncated || too_much_work(c) {
            return None;
        }
        let o = c.layouts[2].unwrap();
        if verdict.reach[2].is_some() {
            out_pos = storage_positions(&o);
            // beta = 1 reads out: the reached elements get values (near
            // the int32 limits half the time, so that the sums wrap).
            if let (Some((_, beta)), Some((ob, off))) = (scale, at[2]) {
                if beta != 0.0 {
                    let s = bufs[ob].as_mut_slice();
                    for &p in &out_pos {
                        let v = rng.next_u64();
                        let w = match v % 4 {
                            0 => i32::MAX - (v >> 40) as i32 % 1000,
                            1 => i32::MIN + (v >> 40) as i32 % 1000,
                            _ => (v >> 16) as i32,
                        };
                        s[off + 4 * p..off + 4 * p + 4].copy_from_slice(&w.to_ne_bytes());
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
    let op = opts.as_ref().map_or(std::ptr::null(), |o| {
        o.bytes.as_ptr() as *const batch_dot_options
    });
    // SAFETY (both calls): every data pointer owns `len` elements of its
    // layout at its own element size (or, truncated, everything the layout
    // reaches), or the call is expected to fail before touching data; the
    // options own their struct_size bytes.
    let call_typed = |out: usize, op: *const batch_dot_options| unsafe {
        batch_dot::batch_dot_s8(
            lp(0),
            ptrs[0] as *const i8,
            lp(1),
            ptrs[1] as *const i8,
            c.ax,
            c.ay,
            lp(2),
            out as *mut i32,
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
            "int8 case {c:#?}\nrow {row:?} dtypes {dtypes:?}\nopts {:?}\nptrs {ptrs:x?}\nexpected \
             {want_status}, reach {:?}\nmessage {msg:?}",
            opts.as_ref()
                .map(|o| (o.struct_size(), o.flags(), o.scale())),
            verdict.reach
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
    check_untouched(&bufs, &snapshot, (ob, ooff), &out_pos, 4, got, ctx);
    // batch_dot_s8 and batch_dot_compute with (S8, S8, S32) agree, bit for
    // bit (out back as it was before the second call).
    if dtypes.is_none() {
        let first = (ob != usize::MAX).then(|| bufs[ob].as_slice().to_vec());
        if ob != usize::MAX {
            bufs[ob].as_mut_slice().copy_from_slice(&snapshot[ob]);
        }
        let again = call_compute(row, ptrs[2], op);
        let msg2 = last_error();
        assert!(
            again == got
                && msg2 == msg
                && first.as_deref().is_none_or(|f| bufs[ob].as_slice() == f),
            "batch_dot_compute ({again}, {msg2:?}) differs from batch_dot_s8: {}",
            ctx()
        );
    }
    if got != st::OK || out_pos.is_empty() {
        return Some(got);
    }

    // Values against the exact sum here.
    let (x, y, o) = (
        c.layouts[0].unwrap(),
        c.layouts[1].unwrap(),
        c.layouts[2].unwrap(),
    );
    let (a0, a1) = oracle::normalise_axes(x.ndim as usize, y.ndim as usize, c.ax, c.ay).unwrap();
    let k = x.shape[a0];
    let input = |i: usize, l: &batch_dot_layout, idx: &[i64]| -> i64 {
        let pos = l.offset as i128
            + (0..l.ndim as usize)
                .filter(|&d| l.shape[d] > 1)
                .map(|d| idx[d] as i128 * l.strides[d] as i128)
                .sum::<i128>();
        let (bi, off) = at[i].expect("an input with elements has a buffer");
        let b = bufs[bi].as_slice()[off + pos as usize];
        if i == 0 && unsigned {
            b as i64
        } else {
            b as i8 as i64
        }
    };
    let read = |s: &[u8], p: usize| {
        i32::from_ne_bytes(s[ooff + 4 * p..ooff + 4 * p + 4].try_into().unwrap())
    };
    let ond = o.ndim as usize;
    let mut oidx = vec![0i64; ond];
    for (e, &p) in out_pos.iter().enumerate() {
        let (mut xi, mut yi) = operand_indices(&oidx, (x.ndim as usize, y.ndim as usize), (a0, a1));
        let mut sum: i64 = 0;
        for t in 0..k {
            xi[a0] = t;
            yi[a1] = t;
            sum += input(0, &x, &xi) * input(1, &y, &yi);
        }
        let before = read(&snapshot[ob], p);
        let want = match scale {
            Some((_, beta)) if beta != 0.0 => wrap(before as i64 + sum),
            _ => wrap(sum),
        };
        let g = read(bufs[ob].as_slice(), p);
        assert_eq!(
            g,
            want,
            "out element {e} (position {p}): exact sum {sum} (K {k}, scale {scale:?}, before \
             {before}): {}",
            ctx()
        );
        next_index(&mut oidx, &o.shape[..ond]);
    }

    // Bitwise the same with one thread.
    let threads = opts.as_ref().map_or(0, |o| o.num_threads());
    let again = |op| call(ptrs[2], op);
    same_with_one_thread(&mut bufs, &snapshot, ob, (threads, scale), again, ctx);
    Some(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_values() {
        assert_eq!(wrap(1 << 31), i32::MIN);
        assert_eq!(wrap(-(1 << 31) - 1), i32::MAX);
        assert_eq!(wrap(16384 * 131_073), -2_147_467_264);
        let mut r = SplitMix64::new(1);
        for _ in 0..1000 {
            let v = value(&mut r, 2) as i8;
            assert!((-4..=4).contains(&v), "{v}");
        }
    }
}
