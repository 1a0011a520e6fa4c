//! Runs the C test harness, `c_tests/harness.c`, against the library linked
//! as a Rust dependency (with the `testing` feature, so the harness's panic
//! test runs too). The harness prints one line per failed check and a final
//! `N passed, N failed` line; the standalone builds of the same file run
//! under ASan/UBSan and valgrind in `scripts/suites/`.

#[cfg(test)]
mod tests {
    use std::os::raw::c_int;

    extern "C" {
        /// Runs every check; returns the number that failed.
        fn batch_dot_c_harness() -> c_int;
        /// 1 when the last run found the testing hook and ran the panic test.
        fn batch_dot_c_harness_panic_tested() -> c_int;
    }

    /// The message of the panics `batch_dot_testing_arm_panic` forces.
    const FORCED: &str = "panic forced by batch_dot_testing_arm_panic";

    #[test]
    fn c_harness() {
        // Name the testing hook from Rust: rustc links the batch_dot rlib
        // (whose symbols the C archive needs) only when Rust code uses it,
        // and the C side refers to the hook only weakly, which alone would
        // not pull its object out of the archive.
        let hook: extern "C" fn() = batch_dot::testing::batch_dot_testing_arm_panic;
        std::hint::black_box(hook);
        // The library catches the panics the harness forces; keep the
        // default hook from printing them (and only them).
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&FORCED) {
                default_hook(info);
            }
        }));
        // SAFETY: the harness takes no arguments and only calls the library.
        let failed = unsafe { batch_dot_c_harness() };
        let _ = std::panic::take_hook();
        assert_eq!(
            failed, 0,
            "the C harness reported failures (see its output)"
        );
        // SAFETY: as above.
        let panic_tested = unsafe { batch_dot_c_harness_panic_tested() };
        assert_eq!(
            panic_tested, 1,
            "the C harness did not find batch_dot_testing_arm_panic"
        );
    }
}
