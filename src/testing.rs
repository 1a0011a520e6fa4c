//! Test-only hooks (Cargo feature `testing`; never in a release build).

use core::cell::Cell;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Makes the next status-returning call on this thread panic inside its
/// boundary, which must then return BATCH_DOT_STATUS_INTERNAL.
///
/// cbindgen:ignore
#[no_mangle]
pub extern "C" fn batch_dot_testing_arm_panic() {
    ARMED.with(|a| a.set(true));
}

/// Panics if this thread armed a panic (called inside `panic::guard`).
pub(crate) fn maybe_panic() {
    if ARMED.with(|a| a.replace(false)) {
        panic!("panic forced by batch_dot_testing_arm_panic");
    }
}
