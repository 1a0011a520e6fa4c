//! Fuzzes `batch_dot_infer_shape` against the oracle's re-statement of the
//! check order; see `batch_dot_fuzz::run`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = batch_dot_fuzz::run::decode_infer(data);
    batch_dot_fuzz::run::run_infer(&case);
});
