//! Fuzzes `batch_dot_f16` and `batch_dot_compute` with float16 inputs (a
//! 16-bit or an f32 output): decoded layouts (valid and hostile), axes and
//! options, on buffers of exactly the bytes the layouts claim; see
//! `batch_dot_fuzz::lowp::run_lowp`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = batch_dot_fuzz::run::decode_compute(data);
    batch_dot_fuzz::lowp::run_lowp(batch_dot_fuzz::lowp::Half::F16, &case);
});
