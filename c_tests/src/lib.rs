//! Runs the C test harness, `c_tests/harness.c`, against the library linked
//! as a Rust dependency (with the `testing` feature, so the harness's panic
//! area runs too), as one Rust test per area of the harness: `cargo test -p
//! batch_dot_c_tests` lists them as `c_harness::<area>`, and a failing test
//! names its area and prints the harness's FAILED lines for it. The
//! standalone builds of the same file run every area under ASan/UBSan and
//! valgrind in `scripts/suites/`.

#[cfg(test)]
mod c_harness {
    use std::collections::BTreeMap;
    use std::ffi::{c_char, c_int, CStr, CString};
    use std::process::Command;
    use std::sync::{Mutex, Once};

    /// `batch_dot_c_harness_result` of harness.c: one area's counts.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default)]
    struct AreaResult {
        passed: c_int,
        failed: c_int,
        skipped: c_int,
    }

    extern "C" {
        fn batch_dot_c_harness_area_count() -> c_int;
        fn batch_dot_c_harness_area_name(i: c_int) -> *const c_char;
        fn batch_dot_c_harness_run_area(name: *const c_char, result: *mut AreaResult) -> c_int;
        fn batch_dot_c_harness_failures() -> *const c_char;
        fn batch_dot_c_harness_panic_tested() -> c_int;
    }

    /// The message of the panics `batch_dot_testing_arm_panic` forces.
    const FORCED: &str = "panic forced by batch_dot_testing_arm_panic";

    /// The area that counts the process's threads: it needs a process in
    /// which no call has started the library's pool and no other test
    /// starts threads, so it runs in a fresh copy of this test binary.
    const FRESH_PROCESS_AREA: &str = "default_single_thread";
    /// Set in that fresh copy.
    const CHILD_ENV: &str = "BATCH_DOT_C_HARNESS_CHILD";

    /// What one area's run gave: its counts, its FAILED and SKIP lines, and
    /// whether the panic area found the testing hook.
    #[derive(Clone, Debug)]
    struct Run {
        result: AreaResult,
        log: String,
        panic_tested: bool,
    }

    /// The areas run so far in this process. The harness keeps its counts
    /// in globals, so areas run one at a time, under this lock, and each at
    /// most once (`status_coverage` runs the others first).
    static RUNS: Mutex<BTreeMap<String, Run>> = Mutex::new(BTreeMap::new());

    /// Runs `area` once in this process and returns what it gave.
    fn run(area: &str) -> Run {
        let mut runs = RUNS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = runs.get(area) {
            return r.clone();
        }
        quiet_forced_panics();
        let name = CString::new(area).expect("an area name has no NUL");
        let mut result = AreaResult::default();
        // SAFETY: `name` is NUL-terminated and `result` a valid out-pointer;
        // the lock keeps any other area from running meanwhile.
        let found = unsafe { batch_dot_c_harness_run_area(name.as_ptr(), &mut result) };
        assert_eq!(found, 0, "the C harness has no area `{area}`");
        // SAFETY: a NUL-terminated static buffer that only the next area
        // run rewrites (the lock is still held).
        let log = unsafe { CStr::from_ptr(batch_dot_c_harness_failures()) };
        // SAFETY: reads an int the harness sets when its panic area runs.
        let panic_tested = unsafe { batch_dot_c_harness_panic_tested() } == 1;
        let run = Run {
            result,
            log: log.to_string_lossy().into_owned(),
            panic_tested,
        };
        runs.insert(area.to_owned(), run.clone());
        run
    }

    /// Names the testing hook and keeps the forced panics quiet, once.
    fn quiet_forced_panics() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // Name the testing hook from Rust: rustc links the batch_dot
            // rlib (whose symbols the C archive needs) only when Rust code
            // uses it, and the C side refers to the hook only weakly, which
            // alone would not pull its object out of the archive.
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
        });
    }

    /// Fails, naming the area and quoting its FAILED lines, unless every
    /// check of `run` passed and it ran at least one (or skipped, saying why).
    fn assert_passed(area: &str, run: &Run) {
        let r = run.result;
        assert!(
            r.failed == 0,
            "C harness area `{area}`: {} of {} checks failed:\n{}",
            r.failed,
            r.passed + r.failed,
            run.log
        );
        assert!(
            r.passed > 0 || r.skipped > 0,
            "C harness area `{area}` ran no check"
        );
        println!(
            "C harness area `{area}`: {} checks passed, {} skipped{}",
            r.passed,
            r.skipped,
            if run.log.is_empty() { "" } else { ":\n" }
        );
        print!("{}", run.log);
    }

    /// The test of one area.
    fn check(area: &str) {
        if area == FRESH_PROCESS_AREA && std::env::var_os(CHILD_ENV).is_none() {
            return check_in_fresh_process(area);
        }
        if area == "status_coverage" {
            // It checks the statuses the other areas produced.
            for other in AREAS {
                if *other != area && *other != FRESH_PROCESS_AREA {
                    run(other);
                }
            }
        }
        let r = run(area);
        assert_passed(area, &r);
        if area == "panic" {
            assert!(
                r.panic_tested,
                "the C harness did not find batch_dot_testing_arm_panic"
            );
        }
    }

    /// Runs this area's test alone in a fresh copy of this test binary.
    fn check_in_fresh_process(area: &str) {
        let module = module_path!();
        let module = module.split_once("::").map_or(module, |(_, m)| m);
        let test = format!("{module}::{area}");
        let exe = std::env::current_exe().expect("the test binary's path");
        let out = Command::new(exe)
            .args([test.as_str(), "--exact", "--test-threads=1", "--nocapture"])
            .env(CHILD_ENV, "1")
            .output()
            .expect("run the test binary again");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("test result: ok. 1 passed"),
            "C harness area `{area}` (run alone in a fresh process) failed:\n{stdout}\n{stderr}"
        );
        for line in stdout
            .lines()
            .filter_map(|l| l.find("C harness area").map(|i| &l[i..]))
        {
            println!("{line} (in a fresh process)");
        }
    }

    /// One test per area of the harness, and `AREAS`, their names in the
    /// harness's order.
    macro_rules! area_tests {
        ($($area:ident),* $(,)?) => {
            const AREAS: &[&str] = &[$(stringify!($area)),*];
            $(
                #[test]
                fn $area() {
                    check(stringify!($area));
                }
            )*
        };
    }

    area_tests!(
        default_single_thread,
        status_strings_and_versions,
        last_error,
        options,
        layout_init_contiguous,
        layout_init_strided,
        options_versions,
        scale,
        infer_shape,
        compute_statuses,
        check_order,
        seed_values,
        numeric_matrix,
        ieee,
        ignored_fields_and_empty,
        threads_bitwise,
        threads,
        panic,
        dtypes,
        bf16_f16,
        int8,
        dlpack,
        status_coverage,
    );

    /// Every area of the harness has its test above, in the same order.
    #[test]
    fn every_area_has_a_test() {
        // SAFETY: takes no arguments and reads a constant table.
        let n = unsafe { batch_dot_c_harness_area_count() };
        let names: Vec<String> = (0..n)
            .map(|i| {
                // SAFETY: i is in range, so the pointer is a static string.
                let p = unsafe { batch_dot_c_harness_area_name(i) };
                assert!(!p.is_null(), "area {i} has no name");
                // SAFETY: as above.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(
            names, AREAS,
            "harness.c's areas and c_tests/src/lib.rs's tests differ"
        );
    }
}
