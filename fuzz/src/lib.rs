//! Shared code of the fuzz targets: a byte decoder that turns fuzzer input
//! into calls of the C ABI (biased so that most inputs are VALID calls with
//! small extents, the rest hostile), and the runners that make the call on
//! buffers of exactly `len` elements and check everything the API
//! guarantees.
//!
//! What is expected comes from the test kit (`testkit`), which shares no
//! code with the library: the status of every call from its oracle
//! (`testkit::oracle`, docs/API.md's check order and docs/SEMANTICS.md
//! §2-§3 restated in i128 arithmetic), the values from its naive reference
//! (`testkit::reference`). Layouts come from its generator
//! (`testkit::layouts::arranged_layout`), driven by the fuzzer's bytes.
//!
//! The 16-bit targets (`compute_bf16`, `compute_f16`) use the same decoder
//! and their own runner, [`lowp`], with a reference of their own (the
//! 16-bit formats, an exact sum, rounding to nearest even, written there).
//!
//! The integer target (`compute_int8`) uses the same decoder too and its
//! runner, [`int8`], whose reference is an exact sum in i64 reduced modulo
//! 2^32, written there.
//!
//! Every failed expectation panics, which libFuzzer reports as a crash.

#![allow(clippy::too_many_arguments)]

pub mod dlpack;
pub mod int8;
pub mod lowp;
pub mod run;

use batch_dot::BATCH_DOT_AXIS_DEFAULT;
use testkit::Entropy;

/// Reads fuzzer bytes; past the end every read is 0, so any input decodes.
/// The decoders map 0 to the plain choice (valid, no mutation) wherever they
/// branch, so that a short input is a valid call.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    /// Next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    /// Next little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    /// Next little-endian u64.
    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for v in &mut b {
            *v = self.u8();
        }
        u64::from_le_bytes(b)
    }
    /// A value in `0..n` (n in 1..=256).
    pub fn below(&mut self, n: u32) -> u32 {
        self.u8() as u32 % n
    }
    /// True with probability about `num/256`.
    /// Past the end of the input (byte 0) this is always false, so a short
    /// input decodes to the plain, valid defaults.
    pub fn chance(&mut self, num: u32) -> bool {
        255 - (self.u8() as u32) < num
    }
    /// Whether bytes remain.
    pub fn more(&self) -> bool {
        self.pos < self.data.len()
    }
}

/// The test kit's layout generator draws from the fuzzer's bytes: a choice
/// of probability `p` is a byte above `255 - 256·p`, so past the end of the
/// input (byte 0) every choice is the plain one.
impl Entropy for Reader<'_> {
    fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        if n <= 256 {
            self.u8() as u64 % n
        } else {
            self.u64() % n
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        Reader::chance(self, (p * 256.0).round() as u32)
    }
}

/// Values where integer arithmetic on extents, strides and offsets goes
/// wrong: the limits, their neighbours, square roots, powers of two, and
/// values that overflow once multiplied by an element size.
pub const HOSTILE: [i64; 32] = [
    0,
    1,
    -1,
    2,
    -2,
    3,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    1 << 31,
    1 << 32,
    (1 << 32) + 1,
    1 << 62,
    -(1 << 62),
    1 << 61,
    (1 << 61) - 1,
    1 << 60,
    (1 << 60) - 1,
    -(1 << 61),
    i64::MAX / 2,
    i64::MAX / 2 + 1,
    i64::MAX / 3,
    i64::MAX / 4 + 1,
    i64::MAX / 8 + 1,
    3_037_000_499, // floor(sqrt(i64::MAX))
    3_037_000_500,
    4_294_967_295,
    65_536,
    -65_536,
    7,
    -7,
];

/// A hostile i64: mostly from the table, sometimes small, sometimes raw.
pub fn hostile_i64(r: &mut Reader) -> i64 {
    match r.below(8) {
        0..=3 => HOSTILE[r.below(HOSTILE.len() as u32) as usize],
        4 | 5 => r.below(9) as i64 - 4,
        6 => r.u16() as i64 - 32768,
        _ => r.u64() as i64,
    }
}

/// An axis argument: the default, small (valid-ish) values, or hostile ones.
pub fn axis_arg(r: &mut Reader) -> i64 {
    match r.below(16) {
        0..=2 => BATCH_DOT_AXIS_DEFAULT,
        3..=11 => r.below(41) as i64 - 20,
        12 => i64::MAX,
        13 => i64::MIN + 1,
        _ => hostile_i64(r),
    }
}
