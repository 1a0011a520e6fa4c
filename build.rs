//! Build script: gives the shared library its SONAME (`libbatch_dot.so.<ABI>`),
//! so that programs linked against it record the ABI version they need.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    // Keep in sync with BATCH_DOT_ABI_VERSION in src/consts.rs (a test checks it).
    const ABI_VERSION: u32 = 0;
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbatch_dot.so.{ABI_VERSION}");
    }
}
