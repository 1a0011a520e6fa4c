//! `batch_dot_dlpack` (docs/API.md, "DLPack") through the Rust mirrors of
//! DLPack's structs (`batch_dot::dlpack`), no dlpack.h needed:
//! - every dtype row of the table on random shapes and layouts (NULL
//!   strides, byte offsets, negative, padded and permuted strides), each
//!   result against the test kit's reference, bytes the output does not
//!   reach untouched;
//! - statuses of random valid and broken tensors against the test kit's
//!   DLPack oracle (`testkit::dlpack`), nothing written on error;
//! - the contract's cases one by one, with their messages.

use std::ffi::c_void;
use std::ptr;

use batch_dot::dlpack::{batch_dot_dlpack, DLDataType, DLDevice, DLTensor};
use batch_dot::{batch_dot_layout, batch_dot_options, BATCH_DOT_AXIS_DEFAULT as D};
use testkit::calls::last_error;
use testkit::dlpack::{self as oracle_dl, Desc};
use testkit::layouts::{arranged_layout, Arrangement};
use testkit::lowp::{self, Format, BF16, F16, F32};
use testkit::oracle::{self, st};
use testkit::reference::{self, Reference};
use testkit::SplitMix64;

/// Bytes past the end of every buffer, so that a shifted (misaligned)
/// tensor still lies inside it.
const SLACK: usize = 64;

/// A tensor and the memory behind it: the buffer (8-byte aligned), the
/// extents and strides arrays its `DLTensor` points to.
struct Owned {
    buf: Vec<u64>,
    shape: Vec<i64>,
    strides: Option<Vec<i64>>,
    t: DLTensor,
}

impl Owned {
    /// The element layout of `l` (offset in elements) in a buffer of
    /// `l.len` elements of `size` bytes, plus SLACK; the byte offset is
    /// the layout's offset (0 for a tensor with no elements whose offset
    /// is junk), strides NULL when `null_strides`.
    fn new(l: &batch_dot_layout, code: i32, null_strides: bool) -> Owned {
        let size = oracle::dtype_size(code);
        let n = l.ndim as usize;
        let bytes = l.len.max(0) as usize * size + SLACK;
        let buf = vec![0u64; bytes.div_ceil(8)];
        let byte_offset = l
            .offset
            .checked_mul(size as i64)
            .filter(|&b| b >= 0 && (b as usize) < bytes)
            .unwrap_or(0) as u64;
        let (code, bits, lanes) = oracle_dl::dlpack_dtype(code);
        let mut o = Owned {
            buf,
            shape: l.shape[..n].to_vec(),
            strides: (!null_strides).then(|| l.strides[..n].to_vec()),
            t: DLTensor {
                data: ptr::null_mut(),
                device: DLDevice {
                    device_type: DLDevice::CPU,
                    device_id: 0,
                },
                ndim: n as i32,
                dtype: DLDataType { code, bits, lanes },
                shape: ptr::null_mut(),
                strides: ptr::null_mut(),
                byte_offset,
            },
        };
        o.fix();
        o
    }

    /// Points the tensor at this struct's own arrays (after a move).
    fn fix(&mut self) {
        self.t.data = self.buf.as_mut_ptr().cast();
        self.t.shape = self.shape.as_mut_ptr();
        self.t.strides = self
            .strides
            .as_mut()
            .map_or(ptr::null_mut(), |s| s.as_mut_ptr());
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: the buffer's own bytes.
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast(), self.buf.len() * 8) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above.
        unsafe { std::slice::from_raw_parts_mut(self.buf.as_mut_ptr().cast(), self.buf.len() * 8) }
    }

    /// The oracle's view of the tensor.
    fn desc(&self) -> Desc {
        let t = &self.t;
        Desc {
            data: t.data as usize,
            device_type: t.device.device_type,
            ndim: t.ndim,
            dtype: (t.dtype.code, t.dtype.bits, t.dtype.lanes),
            shape: (!t.shape.is_null()).then(|| self.shape.clone()),
            strides: (!t.strides.is_null()).then(|| self.strides.clone().unwrap()),
            byte_offset: t.byte_offset,
        }
    }

    /// The byte position of a logical index (dims of extent 1 ignored).
    fn pos(&self, idx: &[usize], size: usize) -> usize {
        let s = match &self.strides {
            Some(s) => s.clone(),
            None => oracle_dl::compact(&self.shape),
        };
        let mut e: i128 = 0;
        for (d, &i) in idx.iter().enumerate() {
            if self.shape[d] > 1 {
                e += i as i128 * s[d] as i128;
            }
        }
        (self.t.byte_offset as i128 + e * size as i128) as usize
    }

    /// The element at a logical index, as f64 (its dtype `code`).
    fn at(&self, idx: &[usize], code: i32) -> f64 {
        let size = oracle::dtype_size(code);
        let p = self.pos(idx, size);
        let b = &self.bytes()[p..p + size];
        match code {
            1 => f32::from_ne_bytes(b.try_into().unwrap()) as f64,
            2 => f64::from_ne_bytes(b.try_into().unwrap()),
            3 => F16.decode(u16::from_ne_bytes(b.try_into().unwrap()) as u32),
            4 => BF16.decode(u16::from_ne_bytes(b.try_into().unwrap()) as u32),
            5 => b[0] as i8 as f64,
            6 => b[0] as f64,
            7 => i32::from_ne_bytes(b.try_into().unwrap()) as f64,
            _ => unreachable!(),
        }
    }

    /// Writes a random value of dtype `code` at every reached element.
    fn fill(&mut self, code: i32, rng: &mut SplitMix64) {
        let size = oracle::dtype_size(code);
        let shape = self.shape.clone();
        for idx in indices(&shape) {
            let p = self.pos(&idx, size);
            let v: Vec<u8> = match code {
                1 => ((rng.range_i64(-8, 8) as f32) * 0.25)
                    .to_ne_bytes()
                    .to_vec(),
                2 => (rng.unit_f64() * 2.0 - 1.0).to_ne_bytes().to_vec(),
                3 => (lowp::random_value(F16, rng)).to_ne_bytes().to_vec(),
                4 => (lowp::random_value(BF16, rng)).to_ne_bytes().to_vec(),
                5 | 6 => vec![rng.next_u64() as u8],
                _ => unreachable!(),
            };
            self.bytes_mut()[p..p + size].copy_from_slice(&v);
        }
    }
}

/// Every logical index of `shape`, row-major.
fn indices(shape: &[i64]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().map(|&d| d.max(0) as usize).product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        out.push(idx.clone());
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] as usize {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// The rows of docs/API.md's table (x, y, out).
const ROWS: [[i32; 3]; 8] = [
    [1, 1, 1],
    [2, 2, 2],
    [4, 4, 4],
    [4, 4, 1],
    [3, 3, 3],
    [3, 3, 1],
    [5, 5, 7],
    [6, 5, 7],
];

/// Random shapes and axes: ranks 2..=4, small extents, usually a valid call.
fn random_call(rng: &mut SplitMix64) -> (Vec<i64>, Vec<i64>, i64, i64) {
    let ext = |r: &mut SplitMix64| if r.chance(0.06) { 0 } else { r.range_i64(1, 5) };
    let n = rng.range_i64(2, 4) as usize;
    let m = rng.range_i64(2, 4) as usize;
    let mut xs: Vec<i64> = (0..n).map(|_| ext(rng)).collect();
    let mut ys: Vec<i64> = (0..m).map(|_| ext(rng)).collect();
    if !rng.chance(0.03) {
        ys[0] = xs[0];
    }
    let (ax, ay) = match rng.below(4) {
        0 => (D, D),
        1 => (-1, -1),
        _ => (
            rng.range_i64(1, n as i64 - 1),
            rng.range_i64(1, m as i64 - 1),
        ),
    };
    if !rng.chance(0.03) {
        if let Ok((a0, a1)) = oracle::normalise_axes(n, m, ax, ay) {
            xs[a0] = rng.range_i64(0, 20);
            ys[a1] = xs[a0];
        }
    }
    (xs, ys, ax, ay)
}

/// Three tensors of a random call of dtypes `row`.
fn make(rng: &mut SplitMix64, row: [i32; 3]) -> ([Owned; 3], i64, i64) {
    let (xs, ys, ax, ay) = random_call(rng);
    let os = oracle::shapes(&xs, &ys, ax, ay).unwrap_or_else(|_| vec![2, 2]);
    let mut mk = |dims: &[i64], code: i32, input: bool| {
        let mut arr = Arrangement::random(rng, input);
        arr.broadcast &= input;
        let l = arranged_layout(dims, arr, rng);
        let compact = oracle_dl::compact(dims);
        let null = l.strides[..dims.len()] == compact[..] && l.offset == 0 && rng.chance(0.7);
        Owned::new(&l, code, null)
    };
    let mut x = mk(&xs, row[0], true);
    let mut y = mk(&ys, row[1], true);
    let o = mk(&os, row[2], false);
    x.fill(row[0], rng);
    y.fill(row[1], rng);
    ([x, y, o], ax, ay)
}

fn call(t: [&DLTensor; 3], ax: i64, ay: i64, opts: Option<&batch_dot_options>) -> i32 {
    // SAFETY: the tensors point into their Owned buffers, arrays and
    // shapes, which outlive the call.
    unsafe { batch_dot_dlpack(t[0], t[1], ax, ay, t[2], opts.map_or(ptr::null(), |o| o)) }
}

/// The reference of a call on these tensors (their own dtypes).
fn reference_of(ts: &[Owned; 3], row: [i32; 3], ax: i64, ay: i64) -> Result<Reference, i32> {
    reference::batch_dot_by(
        &ts[0].shape,
        |i| ts[0].at(i, row[0]),
        &ts[1].shape,
        |i| ts[1].at(i, row[1]),
        ax,
        ay,
    )
}

/// Whether out's element `i` (value read as bits of its dtype) is right.
fn check_element(r: &Reference, i: usize, row: [i32; 3], o: &Owned, idx: &[usize]) {
    let size = oracle::dtype_size(row[2]);
    let p = o.pos(idx, size);
    let b = &o.bytes()[p..p + size];
    let fmt = |c: i32| -> Format {
        match c {
            3 => F16,
            4 => BF16,
            _ => F32,
        }
    };
    match row {
        [1, 1, 1] => {
            let got = f32::from_ne_bytes(b.try_into().unwrap());
            assert!(
                r.accepts(i, got),
                "f32 element {i}: {got} vs {}",
                r.value[i]
            );
        }
        [2, 2, 2] => {
            let got = f64::from_ne_bytes(b.try_into().unwrap());
            assert!(
                r.accepts(i, got),
                "f64 element {i}: {got} vs {}",
                r.value[i]
            );
        }
        [h, _, out] if h == 3 || h == 4 => {
            let bits = if out == 1 {
                u32::from_ne_bytes(b.try_into().unwrap())
            } else {
                u16::from_ne_bytes(b.try_into().unwrap()) as u32
            };
            lowp::check(r, i, fmt(out), bits).unwrap_or_else(|e| panic!("{row:?}: {e}"));
        }
        _ => {
            // Integer rows: small K, so the f64 sum is exact and no wrap.
            let got = i32::from_ne_bytes(b.try_into().unwrap());
            assert_eq!(got as f64, r.value[i], "{row:?} element {i}");
        }
    }
}

/// Every row: random valid calls, results against the reference, bytes
/// out does not reach untouched; statuses against the oracle.
#[test]
fn every_row_against_the_reference() {
    let mut rng = SplitMix64::new(0xd1_9ac4);
    for row in ROWS {
        let mut ok = 0;
        for case in 0..300 {
            let (mut ts, ax, ay) = make(&mut rng, row);
            let sentinel = 0xa5u8;
            ts[2].bytes_mut().fill(sentinel);
            let descs = [ts[0].desc(), ts[1].desc(), ts[2].desc()];
            let want = oracle_dl::expect([&descs[0], &descs[1], &descs[2]].map(Some), ax, ay, None);
            let got = call([&ts[0].t, &ts[1].t, &ts[2].t], ax, ay, None);
            assert_eq!(
                got,
                want,
                "{row:?} case {case}: {} ({descs:?} axes {ax} {ay})",
                last_error()
            );
            if got != st::OK {
                assert!(
                    ts[2].bytes().iter().all(|&b| b == sentinel),
                    "written on error"
                );
                continue;
            }
            ok += 1;
            let r = reference_of(&ts, row, ax, ay).expect("a valid call");
            let size = oracle::dtype_size(row[2]);
            let mut reached = vec![false; ts[2].bytes().len()];
            for (i, idx) in indices(&r.shape).iter().enumerate() {
                check_element(&r, i, row, &ts[2], idx);
                let p = ts[2].pos(idx, size);
                reached[p..p + size].iter_mut().for_each(|b| *b = true);
            }
            for (p, &b) in ts[2].bytes().iter().enumerate() {
                assert!(reached[p] || b == sentinel, "{row:?}: byte {p} written");
            }
        }
        assert!(ok > 150, "{row:?}: only {ok} valid calls");
    }
}

/// An f32 call of shapes (2, 3, 4)·(2, 4, 5) with compact tensors.
fn f32_case() -> [Owned; 3] {
    let mut rng = SplitMix64::new(7);
    let mk = |dims: &[i64], code| {
        let l = testkit::layouts::contiguous_layout(dims);
        Owned::new(&l, code, true)
    };
    let mut ts = [mk(&[2, 3, 4], 1), mk(&[2, 4, 5], 1), mk(&[2, 3, 5], 1)];
    ts[0].fill(1, &mut rng);
    ts[1].fill(1, &mut rng);
    ts
}

/// Runs `ts` and checks the status against the oracle and, when given,
/// the message.
fn expect(ts: &[Owned; 3], want: i32, msg: Option<&str>) {
    let descs = [ts[0].desc(), ts[1].desc(), ts[2].desc()];
    assert_eq!(
        oracle_dl::expect([&descs[0], &descs[1], &descs[2]].map(Some), D, D, None),
        want,
        "oracle"
    );
    let got = call([&ts[0].t, &ts[1].t, &ts[2].t], D, D, None);
    assert_eq!(got, want, "{}", last_error());
    if let Some(m) = msg {
        assert_eq!(last_error(), m);
    }
}

#[test]
fn contract_cases() {
    // Valid as built.
    expect(&f32_case(), st::OK, None);
    // kDLCUDAHost is host memory.
    let mut ts = f32_case();
    ts[1].t.device.device_type = DLDevice::CUDA_HOST;
    expect(&ts, st::OK, None);
    // A device: step 2.
    let mut ts = f32_case();
    ts[1].t.device.device_type = DLDevice::CUDA;
    expect(
        &ts,
        st::INVALID_ARGUMENT,
        Some(
            "y.device.device_type = 2: batch_dot_dlpack reads host memory only (kDLCPU = 1 or \
             kDLCUDAHost = 3).",
        ),
    );
    // lanes = 2, bits 24: step 1b, named as DLPack dtypes; before the device.
    let mut ts = f32_case();
    ts[0].t.dtype.lanes = 2;
    ts[1].t.device.device_type = 2;
    expect(
        &ts,
        st::UNSUPPORTED_DTYPE,
        Some(
            "x.dtype = {code=2, bits=32, lanes=2} is not a DLPack dtype batch_dot_dlpack \
             takes: {kDLFloat, 16|32|64, 1}, {kDLBfloat, 16, 1}, {kDLInt, 8|32, 1}, \
             {kDLUInt, 8, 1}.",
        ),
    );
    let mut ts = f32_case();
    ts[2].t.dtype.bits = 24;
    expect(&ts, st::UNSUPPORTED_DTYPE, None);
    // A combination outside the table: batch_dot_compute's message.
    let mut ts = f32_case();
    ts[2].t.dtype.bits = 64;
    ts[1].t.device.device_type = 2;
    expect(&ts, st::UNSUPPORTED_DTYPE, None);
    assert!(last_error().starts_with("the combination (x float32, y float32, out float64)"));
    // ndim 17 (with a shape of 17 extents) and -1: step 3.
    let mut ts = f32_case();
    ts[0].shape = vec![1; 17];
    ts[0].t.ndim = 17;
    ts[0].fix();
    expect(
        &ts,
        st::INVALID_RANK,
        Some("x.ndim = 17 is outside 0..16 (BATCH_DOT_MAX_NDIM)."),
    );
    let mut ts = f32_case();
    ts[2].t.ndim = -1;
    expect(&ts, st::INVALID_RANK, None);
    // NULL shape with ndim > 0: step 1, before the dtype.
    let mut ts = f32_case();
    ts[1].t.shape = ptr::null_mut();
    ts[0].t.dtype.lanes = 4;
    expect(
        &ts,
        st::NULL_POINTER,
        Some("y.shape is NULL, but ndim = 3."),
    );
    // A NULL tensor.
    let ts = f32_case();
    // SAFETY: x and y point into ts.
    let s = unsafe { batch_dot_dlpack(&ts[0].t, &ts[1].t, D, D, ptr::null(), ptr::null()) };
    assert_eq!(s, st::NULL_POINTER);
    assert_eq!(last_error(), "out is NULL: a DLTensor is required.");
    // A misaligned byte_offset: step 9, after the shapes (step 7).
    let mut ts = f32_case();
    ts[0].t.byte_offset = 2;
    expect(&ts, st::INVALID_ARGUMENT, None);
    assert!(
        last_error().contains("is not aligned to 4 bytes"),
        "{}",
        last_error()
    );
    ts[2].shape[2] = 6;
    expect(&ts, st::OUTPUT_SHAPE, None);
    // byte_offset beyond int64, and data + byte_offset beyond the address
    // space: step 2.
    let mut ts = f32_case();
    ts[0].t.byte_offset = 1 << 63;
    expect(&ts, st::INVALID_ARGUMENT, None);
    assert!(last_error().starts_with("x.byte_offset = 9223372036854775808"));
    let mut ts = f32_case();
    ts[1].t.byte_offset = (i64::MAX as u64) & !7;
    ts[1].t.data = (usize::MAX - 1024) as *mut c_void;
    expect(&ts, st::INVALID_ARGUMENT, None);
    // A reach below address 0: step 2 (the tensor has no such memory).
    let mut ts = f32_case();
    ts[0].strides = Some(vec![-12, -4, -1]);
    ts[0].fix();
    ts[0].t.data = 64 as *mut c_void;
    ts[0].t.byte_offset = 0;
    expect(&ts, st::INVALID_ARGUMENT, None);
    assert!(
        last_error().starts_with("x reaches elements -23..=0 of 4 bytes from x.data"),
        "{}",
        last_error()
    );
    // NULL data with elements: step 9, whatever the byte_offset.
    let mut ts = f32_case();
    ts[1].t.data = ptr::null_mut();
    ts[1].t.byte_offset = 4096;
    expect(
        &ts,
        st::NULL_POINTER,
        Some("y_data is NULL, but y has shape (2, 4, 5) (40 elements)."),
    );
    // out aliasing an input: step 11.
    let mut ts = f32_case();
    ts[2].t.data = ts[0].t.data;
    expect(&ts, st::ALIASING, None);
    // An input aliasing the other is fine.
    let mut ts = f32_case();
    ts[1].t.data = ts[0].t.data; // 40 elements of x's 24 plus SLACK bytes
    expect(&ts, st::OK, None);
    // Offsets whose span does not fit in int64 bytes: OVERFLOW at step 8,
    // after the shapes.
    let mut ts = f32_case();
    ts[0].strides = Some(vec![1 << 61, -(1 << 61), 1]);
    ts[0].fix();
    expect(
        &ts,
        st::OVERFLOW,
        Some(
            "x reaches element offsets 0..=6917529027641081859 (offset 4611686018427387904, \
             shape (2, 3, 4), strides (2305843009213693952, -2305843009213693952, 1)), which \
             do not fit in int64 as elements or as bytes.",
        ),
    );
    let mut ts = f32_case();
    ts[0].strides = Some(vec![i64::MIN, 1, 1]);
    ts[0].fix();
    expect(&ts, st::OVERFLOW, None);
}

/// byte_offset and negative strides: element [0, ..., 0] at the end of the
/// buffer, read backwards; the same numbers as the compact copy.
#[test]
fn negative_strides_and_byte_offset() {
    let mut ts = f32_case();
    // x reversed along every dimension: element [0,0,0] is the last one.
    let compact = f32_case();
    let n = 24usize;
    {
        let src: Vec<u8> = compact[0].bytes()[..n * 4].to_vec();
        let x = &mut ts[0];
        for i in 0..n {
            let j = n - 1 - i;
            x.bytes_mut()[j * 4..j * 4 + 4].copy_from_slice(&src[i * 4..i * 4 + 4]);
        }
        x.strides = Some(vec![-12, -4, -1]);
        x.fix();
        x.t.byte_offset = ((n - 1) * 4) as u64;
    }
    let got = call([&ts[0].t, &ts[1].t, &ts[2].t], D, D, None);
    assert_eq!(got, st::OK, "{}", last_error());
    let c = compact;
    assert_eq!(call([&c[0].t, &c[1].t, &c[2].t], D, D, None), st::OK);
    assert_eq!(ts[2].bytes(), c[2].bytes());
    let rr = reference_of(&c, [1, 1, 1], D, D).unwrap();
    for (i, idx) in indices(&rr.shape).iter().enumerate() {
        check_element(&rr, i, [1, 1, 1], &ts[2], idx);
    }
}

/// Random broken tensors (each a mutation of a valid one) against the
/// oracle: every step of the order, nothing written on error.
#[test]
fn broken_tensors_against_the_oracle() {
    let mut rng = SplitMix64::new(0xb40c);
    let mut seen = std::collections::BTreeSet::new();
    for case in 0..3000 {
        let row = ROWS[rng.below(ROWS.len() as u64) as usize];
        let (mut ts, ax, ay) = make(&mut rng, row);
        for _ in 0..rng.range_i64(1, 2) {
            let k = rng.below(3) as usize;
            let t = &mut ts[k];
            match rng.below(12) {
                0 => t.t.device.device_type = rng.pick(&[0, 2, 4, 7, 13, -1, 3]),
                1 => t.t.dtype.lanes = rng.pick(&[0, 2, 4, 0xffff]),
                2 => t.t.dtype.bits = rng.pick(&[1, 7, 24, 128]),
                3 => t.t.dtype.code = rng.pick(&[0, 1, 2, 3, 4, 5, 6, 255]),
                4 => {
                    let v = rng.pick(&[-1, 17, i32::MIN, 0, 1]);
                    t.t.ndim = if !(0..=16).contains(&v) {
                        v
                    } else {
                        v.min(t.shape.len() as i32)
                    };
                }
                5 => t.t.shape = ptr::null_mut(),
                6 => t.t.byte_offset = t.t.byte_offset.wrapping_add(rng.range_i64(1, 7) as u64),
                7 => t.t.byte_offset = rng.pick(&[1u64 << 63, u64::MAX]),
                8 => t.t.data = ptr::null_mut(),
                9 => {
                    let other = ts[rng.below(2) as usize].t.data;
                    ts[2].t.data = other;
                }
                10 => {
                    if let Some(s) = t.strides.as_mut() {
                        if !s.is_empty() {
                            let d = rng.below(s.len() as u64) as usize;
                            s[d] = rng.pick(&[0, i64::MIN, i64::MAX, 1 << 62, -(1 << 62)]);
                        }
                    }
                    t.fix();
                }
                _ => {
                    if !t.shape.is_empty() {
                        let d = rng.below(t.shape.len() as u64) as usize;
                        t.shape[d] = rng.pick(&[-1, 0, 1 << 40, i64::MIN]);
                    }
                }
            }
        }
        // Memory the oracle might let the library reach must be owned: a
        // valid broken call keeps the buffers it had, shifted by at most
        // SLACK bytes; anything wider is an error status by then.
        ts[2].bytes_mut().fill(0x5a);
        let before = ts[2].bytes().to_vec();
        let descs = [ts[0].desc(), ts[1].desc(), ts[2].desc()];
        let want = oracle_dl::expect([&descs[0], &descs[1], &descs[2]].map(Some), ax, ay, None);
        if want == st::OK {
            continue; // a mutation that kept the call valid: covered above
        }
        let got = call([&ts[0].t, &ts[1].t, &ts[2].t], ax, ay, None);
        assert_eq!(
            got,
            want,
            "case {case} {row:?}: {} ({descs:?})",
            last_error()
        );
        assert_eq!(ts[2].bytes(), &before[..], "written on error");
        seen.insert(got);
    }
    for s in [
        st::NULL_POINTER,
        st::INVALID_RANK,
        st::INVALID_SHAPE,
        st::OUTPUT_SHAPE,
        st::OVERFLOW,
        st::ALIASING,
        st::INVALID_ARGUMENT,
        st::UNSUPPORTED_DTYPE,
    ] {
        assert!(seen.contains(&s), "no case gave {}", oracle::status_name(s));
    }
}

/// The options are batch_dot_compute's: a bad struct_size after the
/// devices, scaling applied.
#[test]
fn options_follow_the_devices() {
    let mut o = batch_dot_options {
        struct_size: 8,
        ..Default::default()
    };
    let mut ts = f32_case();
    ts[0].t.device.device_type = 2;
    assert_eq!(
        call([&ts[0].t, &ts[1].t, &ts[2].t], D, D, Some(&o)),
        st::INVALID_ARGUMENT
    );
    assert!(last_error().starts_with("x.device"));
    ts[0].t.device.device_type = 1;
    assert_eq!(
        call([&ts[0].t, &ts[1].t, &ts[2].t], D, D, Some(&o)),
        st::INVALID_ARGUMENT
    );
    assert!(last_error().starts_with("options->struct_size"));
    o = batch_dot_options {
        flags: batch_dot::BATCH_DOT_OPT_SCALE,
        alpha: 2.0,
        ..Default::default()
    };
    assert_eq!(call([&ts[0].t, &ts[1].t, &ts[2].t], D, D, Some(&o)), st::OK);
    let r = reference_of(&ts, [1, 1, 1], D, D).unwrap();
    for (i, idx) in indices(&r.shape).iter().enumerate() {
        let got = f32::from_ne_bytes(ts[2].bytes()[ts[2].pos(idx, 4)..][..4].try_into().unwrap());
        // Values are multiples of 1/4 below 2 in magnitude, K = 4: exact.
        assert_eq!(got as f64, 2.0 * r.value[i]);
    }
}
