//! Fuzzes `batch_dot_s8` and `batch_dot_compute` with the integer rows
//! (int8 · int8 and uint8 · int8 into int32), plain and scaled: decoded
//! layouts (valid and hostile), axes and options, on buffers of exactly the
//! bytes the layouts claim; see `batch_dot_fuzz::int8::run_int8`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = batch_dot_fuzz::run::decode_compute(data);
    batch_dot_fuzz::int8::run_int8(&case);
});
