//! The `dlpack` target: `batch_dot_dlpack` on DLTensors built from the
//! fuzzer's bytes (docs/API.md, "DLPack"). Each tensor starts as a layout
//! of the test kit's generator ([`crate::run::arrange`]) over a buffer of
//! exactly the bytes it reaches (allocated to that size, so AddressSanitizer
//! sees one byte past it), its strides given or NULL when compact; then the
//! bytes may break any field: device, dtype (code, bits, lanes), ndim (-1,
//! 17, a rank the arrays are resized to), shape or data NULL, byte_offset
//! shifted (inside slack the buffer has) or beyond int64, strides hostile,
//! out pointed at x's buffer.
//!
//! Every status is `testkit::dlpack::expect`'s; nothing is written on
//! error; on success every output element is checked against the test
//! kit's reference and every other byte of out's buffer is untouched. A
//! broken tensor that the oracle says would pass but that reaches outside
//! its buffer (a caller describing memory it does not own, which the
//! contract says the library cannot catch) is not called.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr;

use batch_dot::dlpack::{batch_dot_dlpack, DLDataType, DLDevice, DLTensor};
use batch_dot::{batch_dot_layout, BATCH_DOT_AXIS_DEFAULT};
use testkit::dlpack::{self as odl, Desc};
use testkit::lowp::{self, BF16, F16, F32};
use testkit::oracle::{self, st};
use testkit::reference;

use crate::{axis_arg, hostile_i64, Reader};

/// The rows of docs/API.md's table.
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

/// Bytes of exactly the requested size (8-byte aligned), zeroed.
pub struct Buf {
    ptr: *mut u8,
    len: usize,
}

impl Buf {
    fn new(len: usize) -> Buf {
        let ptr = if len == 0 {
            ptr::null_mut()
        } else {
            // SAFETY: a nonzero size and a valid alignment.
            unsafe { alloc_zeroed(Layout::from_size_align(len, 8).unwrap()) }
        };
        assert!(len == 0 || !ptr.is_null(), "out of memory");
        Buf { ptr, len }
    }
    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: our own allocation of len bytes.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as above.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
    fn addr(&self) -> usize {
        self.ptr as usize
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: allocated in `new` with this layout.
            unsafe { dealloc(self.ptr, Layout::from_size_align(self.len, 8).unwrap()) };
        }
    }
}

/// One tensor: its buffer, arrays and fields.
pub struct Tensor {
    buf: Buf,
    shape: Vec<i64>,
    strides: Option<Vec<i64>>,
    shape_null: bool,
    /// `data` points at this buffer (else: NULL, or at another tensor's).
    data: Option<usize>,
    device_type: i32,
    ndim: i32,
    dtype: (u8, u8, u16),
    byte_offset: u64,
}

/// A decoded call.
pub struct DlpackCase {
    /// x, y, out.
    pub t: [Tensor; 3],
    /// The dtype codes the tensors were made for.
    pub row: [i32; 3],
    /// Axes.
    pub ax: i64,
    /// Axes.
    pub ay: i64,
    /// out's data is x's buffer.
    pub out_on_x: bool,
}

fn small(r: &mut Reader) -> i64 {
    match r.below(8) {
        0 => 0,
        1..=3 => 1 + r.below(3) as i64,
        _ => 2 + r.below(4) as i64,
    }
}

/// The tensor of `dims` for dtype `code`, arranged from the bytes, over a
/// buffer of exactly its reach plus `shift` bytes.
fn tensor(r: &mut Reader, dims: &[i64], code: i32, input: bool) -> Tensor {
    let size = oracle::dtype_size(code) as i128;
    let mut l: batch_dot_layout = crate::run::arrange(dims, input, r);
    let compact = odl::compact(dims);
    let null_strides = r.chance(64);
    if null_strides {
        l.strides[..dims.len()].copy_from_slice(&compact);
    }
    let shift = if r.chance(24) { r.below(8) as u64 } else { 0 };
    let mut t = Tensor {
        buf: Buf::new(0),
        shape: dims.to_vec(),
        strides: (!null_strides).then(|| l.strides[..dims.len()].to_vec()),
        shape_null: false,
        data: Some(0),
        device_type: DLDevice::CPU,
        ndim: dims.len() as i32,
        dtype: odl::dlpack_dtype(code),
        byte_offset: 0,
    };
    let (lo, hi) = odl::reach(&desc_of(&t, 0)).unwrap_or((0, -1));
    let bytes = ((hi - lo + 1) * size) as usize + shift as usize;
    t.buf = Buf::new(bytes);
    t.byte_offset = (-lo * size) as u64 + shift;
    if r.chance(32) {
        t.device_type = DLDevice::CUDA_HOST;
    }
    // Values: small integers (every dtype holds them exactly).
    let shape = t.shape.clone();
    let strides = t.strides.clone().unwrap_or(compact);
    if input && hi >= lo {
        let mut idx = vec![0i64; shape.len()];
        loop {
            let mut e = 0i128;
            for d in 0..shape.len() {
                if shape[d] > 1 {
                    e += idx[d] as i128 * strides[d] as i128;
                }
            }
            let p = (t.byte_offset as i128 + e * size) as usize;
            let v = r.below(9) as i32 - 4;
            let v = if code == 6 { v + 4 } else { v };
            put(code, &mut t.buf.bytes_mut()[p..], v);
            let mut d = shape.len();
            loop {
                if d == 0 {
                    break;
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
            }
            if idx.iter().all(|&i| i == 0) {
                break;
            }
        }
    }
    t
}

fn put(code: i32, b: &mut [u8], v: i32) {
    match code {
        1 => b[..4].copy_from_slice(&(v as f32).to_ne_bytes()),
        2 => b[..8].copy_from_slice(&(v as f64).to_ne_bytes()),
        3 => b[..2].copy_from_slice(&(F16.round(v as f64) as u16).to_ne_bytes()),
        4 => b[..2].copy_from_slice(&(BF16.round(v as f64) as u16).to_ne_bytes()),
        5 | 6 => b[0] = v as u8,
        _ => b[..4].copy_from_slice(&v.to_ne_bytes()),
    }
}

fn get(code: i32, b: &[u8]) -> f64 {
    match code {
        1 => f32::from_ne_bytes(b[..4].try_into().unwrap()) as f64,
        2 => f64::from_ne_bytes(b[..8].try_into().unwrap()),
        3 => F16.decode(u16::from_ne_bytes(b[..2].try_into().unwrap()) as u32),
        4 => BF16.decode(u16::from_ne_bytes(b[..2].try_into().unwrap()) as u32),
        5 => b[0] as i8 as f64,
        6 => b[0] as f64,
        _ => i32::from_ne_bytes(b[..4].try_into().unwrap()) as f64,
    }
}

/// The oracle's view of a tensor whose data is at `data`.
fn desc_of(t: &Tensor, data: usize) -> Desc {
    Desc {
        data,
        device_type: t.device_type,
        ndim: t.ndim,
        dtype: t.dtype,
        shape: (!t.shape_null).then(|| t.shape.clone()),
        strides: t.strides.clone(),
        byte_offset: t.byte_offset,
    }
}

/// Decodes a call: a valid one of a random row with small extents, then
/// up to three broken fields.
pub fn decode(data: &[u8]) -> DlpackCase {
    let mut r = Reader::new(data);
    let row = ROWS[r.below(8) as usize];
    let n = 2 + r.below(3) as usize;
    let m = 2 + r.below(3) as usize;
    let mut xs: Vec<i64> = (0..n).map(|_| small(&mut r)).collect();
    let mut ys: Vec<i64> = (0..m).map(|_| small(&mut r)).collect();
    ys[0] = xs[0];
    let (ax, ay) = if r.chance(200) {
        (BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT)
    } else {
        (axis_arg(&mut r), axis_arg(&mut r))
    };
    if let Ok((a0, a1)) = oracle::normalise_axes(n, m, ax, ay) {
        ys[a1] = xs[a0];
    }
    let os = oracle::shapes(&xs, &ys, ax, ay).unwrap_or_else(|_| vec![1, 1]);
    if r.chance(8) {
        xs[0] += 1; // a batch mismatch
    }
    let mut t = [
        tensor(&mut r, &xs, row[0], true),
        tensor(&mut r, &ys, row[1], true),
        tensor(&mut r, &os, row[2], false),
    ];
    let mut out_on_x = false;
    for _ in 0..r.below(4) {
        let k = r.below(3) as usize;
        let tk = &mut t[k];
        match r.below(12) {
            0 => tk.device_type = [0, 2, 4, 7, 13, -1, i32::MIN][r.below(7) as usize],
            1 => tk.dtype.2 = [0, 2, 4, 0xffff][r.below(4) as usize],
            2 => tk.dtype.1 = r.u8(),
            3 => tk.dtype.0 = r.u8() % 8,
            4 => {
                let v = [-1, 17, 18, i32::MIN, i32::MAX, 0, 1, 2, 3, 16][r.below(10) as usize];
                tk.ndim = v;
                if (0..=16).contains(&v) {
                    tk.shape.resize(v as usize, 1);
                    if let Some(s) = tk.strides.as_mut() {
                        s.resize(v as usize, 1);
                    }
                }
            }
            5 => tk.shape_null = true,
            6 => tk.data = None,
            7 => tk.byte_offset = tk.byte_offset.wrapping_add(1 + r.below(7) as u64),
            8 => tk.byte_offset = [1u64 << 63, u64::MAX, i64::MAX as u64][r.below(3) as usize],
            9 => out_on_x = true,
            10 => {
                if let Some(s) = tk.strides.as_mut().filter(|s| !s.is_empty()) {
                    let d = r.below(s.len() as u32) as usize;
                    s[d] = hostile_i64(&mut r);
                }
            }
            _ => {
                if !tk.shape.is_empty() {
                    let d = r.below(tk.shape.len() as u32) as usize;
                    tk.shape[d] = hostile_i64(&mut r);
                }
            }
        }
    }
    DlpackCase {
        t,
        row,
        ax,
        ay,
        out_on_x,
    }
}

/// The data address of tensor `i`.
fn data_of(c: &DlpackCase, i: usize) -> usize {
    let t = &c.t[i];
    match t.data {
        None => 0,
        Some(_) if i == 2 && c.out_on_x => c.t[0].buf.addr(),
        Some(_) => t.buf.addr(),
    }
}

/// Whether the bytes tensor `i` reaches (per the oracle's view) lie in
/// the buffer its data points to.
fn owned(c: &DlpackCase, i: usize, d: &Desc) -> bool {
    let Some(code) = odl::dtype_code(d.dtype) else {
        return true;
    };
    let Some((lo, hi)) = odl::reach(d) else {
        return true; // nothing reached
    };
    let size = oracle::dtype_size(code) as i128;
    let buf = if i == 2 && c.out_on_x {
        &c.t[0].buf
    } else {
        &c.t[i].buf
    };
    let first = d.byte_offset as i128 + lo * size;
    let end = d.byte_offset as i128 + (hi + 1) * size;
    d.data == 0 || (first >= 0 && end <= buf.len as i128)
}

/// Runs the call and checks it; returns the status (None: not called).
pub fn run(c: &mut DlpackCase) -> Option<i32> {
    let descs: Vec<Desc> = (0..3).map(|i| desc_of(&c.t[i], data_of(c, i))).collect();
    let want = odl::expect(
        [&descs[0], &descs[1], &descs[2]].map(Some),
        c.ax,
        c.ay,
        None,
    );
    if want == st::OK && !(0..3).all(|i| owned(c, i, &descs[i])) {
        return None;
    }
    let mut dl: Vec<DLTensor> = (0..3)
        .map(|i| {
            let t = &mut c.t[i];
            DLTensor {
                data: descs[i].data as *mut _,
                device: DLDevice {
                    device_type: t.device_type,
                    device_id: 0,
                },
                ndim: t.ndim,
                dtype: DLDataType {
                    code: t.dtype.0,
                    bits: t.dtype.1,
                    lanes: t.dtype.2,
                },
                shape: if t.shape_null {
                    ptr::null_mut()
                } else {
                    t.shape.as_mut_ptr()
                },
                strides: t
                    .strides
                    .as_mut()
                    .map_or(ptr::null_mut(), |s| s.as_mut_ptr()),
                byte_offset: t.byte_offset,
            }
        })
        .collect();
    let out_buf = if c.out_on_x { 0 } else { 2 };
    c.t[out_buf].buf.bytes_mut().fill(0xa5);
    let before = c.t[out_buf].buf.bytes().to_vec();
    let (x, rest) = dl.split_at_mut(1);
    // SAFETY: each tensor's arrays hold ndim values when ndim is in 0..=16
    // (resized with it), and what a tensor the oracle passes reaches lies
    // in the buffer its data points to (checked above).
    let got = unsafe { batch_dot_dlpack(&x[0], &rest[0], c.ax, c.ay, &rest[1], ptr::null()) };
    assert_eq!(
        got,
        want,
        "status (oracle's: {}): {}",
        oracle::status_name(want),
        testkit::calls::last_error()
    );
    let after = c.t[out_buf].buf.bytes();
    if got != st::OK {
        assert!(after == &before[..], "out written on error");
        return Some(got);
    }
    // The result against the reference; every other byte untouched. The
    // reference reads each tensor as the dtype it carries when called: a
    // broken field may have made a valid call of another row (int8 x
    // recoded as uint8, a bfloat16 out as float32).
    let row: [i32; 3] = [0, 1, 2].map(|i| {
        odl::dtype_code(c.t[i].dtype).expect("the oracle said OK, so a dtype of the table")
    });
    let at = |i: usize, idx: &[usize]| -> f64 {
        let t = &c.t[i];
        let size = oracle::dtype_size(row[i]);
        let strides = t.strides.clone().unwrap_or_else(|| odl::compact(&t.shape));
        let mut e = 0i128;
        for (dd, &v) in idx.iter().enumerate() {
            if t.shape[dd] > 1 {
                e += v as i128 * strides[dd] as i128;
            }
        }
        let p = (t.byte_offset as i128 + e * size as i128) as usize;
        get(row[i], &t.buf.bytes()[p..])
    };
    let r = reference::batch_dot_by(
        &c.t[0].shape,
        |i| at(0, i),
        &c.t[1].shape,
        |i| at(1, i),
        c.ax,
        c.ay,
    )
    .expect("the oracle said OK");
    let o = &c.t[2];
    let size = oracle::dtype_size(row[2]);
    let strides = o.strides.clone().unwrap_or_else(|| odl::compact(&o.shape));
    let mut reached = vec![false; after.len()];
    let n: usize = r.shape.iter().map(|&d| d as usize).product();
    let mut idx = vec![0usize; r.shape.len()];
    for i in 0..n {
        let mut e = 0i128;
        for (dd, &v) in idx.iter().enumerate() {
            if o.shape[dd] > 1 {
                e += v as i128 * strides[dd] as i128;
            }
        }
        let p = (o.byte_offset as i128 + e * size as i128) as usize;
        let b = &after[p..p + size];
        match row {
            [1, 1, 1] => assert!(r.accepts(i, f32::from_ne_bytes(b.try_into().unwrap()))),
            [2, 2, 2] => assert!(r.accepts(i, f64::from_ne_bytes(b.try_into().unwrap()))),
            [h, _, out] if h == 3 || h == 4 => {
                let (fmt, bits) = match out {
                    1 => (F32, u32::from_ne_bytes(b.try_into().unwrap())),
                    3 => (F16, u16::from_ne_bytes(b.try_into().unwrap()) as u32),
                    _ => (BF16, u16::from_ne_bytes(b.try_into().unwrap()) as u32),
                };
                lowp::check(&r, i, fmt, bits).unwrap();
            }
            _ => assert_eq!(get(7, b), r.value[i], "int32 element {i}"),
        }
        reached[p..p + size].iter_mut().for_each(|v| *v = true);
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < r.shape[d] as usize {
                break;
            }
            idx[d] = 0;
        }
    }
    for (p, (&a, &b)) in after.iter().zip(&before).enumerate() {
        assert!(
            reached[p] || a == b,
            "out byte {p} written outside the tensor"
        );
    }
    Some(got)
}

/// Decodes and runs one input.
pub fn run_dlpack(data: &[u8]) -> Option<i32> {
    let mut c = decode(data);
    run(&mut c)
}
