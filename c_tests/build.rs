//! Compiles `harness.c` (the C test harness) against `include/batch_dot.h`,
//! `include/batch_dot_dlpack.h` and the C test kit `testkit/c/testkit.h`
//! into a static library that the tests in `src/lib.rs` link with the
//! `batch_dot` rlib, whose `extern "C"` functions it calls. Modelled on
//! libimagequant's `c_test` crate.
//!
//! `<dlpack/dlpack.h>` is the system's (libdlpack-dev) when the compiler
//! finds it; `dlpack_standin/` (DLPack's ABI, the fields the library reads)
//! comes after the system directories on the include path (`-idirafter`),
//! so it is used only on machines without it.

fn main() {
    println!("cargo:rerun-if-changed=harness.c");
    println!("cargo:rerun-if-changed=dlpack_standin/dlpack/dlpack.h");
    println!("cargo:rerun-if-changed=../include/batch_dot.h");
    println!("cargo:rerun-if-changed=../include/batch_dot_dlpack.h");
    println!("cargo:rerun-if-changed=../testkit/c/testkit.h");
    let standin =
        std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("dlpack_standin");
    let mut b = cc::Build::new();
    b.file("harness.c")
        .include("../include")
        .include("../testkit/c")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true);
    // Strict C11 where the compiler takes GCC-style flags (gcc, clang).
    if !b.get_compiler().is_like_msvc() {
        b.flag("-std=c11")
            .flag("-pedantic")
            .flag("-idirafter")
            .flag(standin.to_str().expect("a UTF-8 path"));
    } else {
        b.include(&standin);
    }
    b.compile("batch_dot_c_harness");
}
