//! Compiles `harness.c` (the C test harness) against `include/batch_dot.h`
//! and the C test kit `testkit/c/testkit.h` into a static library that the
//! tests in `src/lib.rs` link with the `batch_dot` rlib, whose `extern "C"`
//! functions it calls. Modelled on libimagequant's `c_test` crate.

fn main() {
    println!("cargo:rerun-if-changed=harness.c");
    println!("cargo:rerun-if-changed=../include/batch_dot.h");
    println!("cargo:rerun-if-changed=../testkit/c/testkit.h");
    let mut b = cc::Build::new();
    b.file("harness.c")
        .include("../include")
        .include("../testkit/c")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true);
    // Strict C11 where the compiler takes GCC-style flags (gcc, clang).
    if !b.get_compiler().is_like_msvc() {
        b.flag("-std=c11").flag("-pedantic");
    }
    b.compile("batch_dot_c_harness");
}
