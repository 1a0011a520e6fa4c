//! Fuzzes `batch_dot_dlpack`: DLTensors built from the bytes (shapes,
//! strides or NULL, byte offsets, dtypes, devices, ndim, NULL pointers)
//! over buffers of exactly the bytes they reach; see
//! `batch_dot_fuzz::dlpack`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    batch_dot_fuzz::dlpack::run_dlpack(data);
});
