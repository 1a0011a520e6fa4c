//! Fuzzes `batch_dot_f64`: decoded layouts (valid and hostile), axes and
//! options, on buffers of exactly `len` elements; see `batch_dot_fuzz::run`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = batch_dot_fuzz::run::decode_compute(data);
    batch_dot_fuzz::run::run_compute::<f64>(&case);
});
