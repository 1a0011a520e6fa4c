//! The panic boundary: every `extern "C"` body runs inside `guard`, which
//! turns an `Err` into its status and message and a panic into
//! `BATCH_DOT_STATUS_INTERNAL`, so no unwind ever crosses into C. Modelled on
//! rustls-ffi's `ffi_panic_boundary`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::consts::{BATCH_DOT_STATUS_INTERNAL, BATCH_DOT_STATUS_OK};
use crate::error::Result;
use crate::last_error;

/// Runs `body` for a status-returning C function: clears this thread's
/// message on entry and sets it on failure.
pub fn guard(body: impl FnOnce() -> Result<()>) -> i32 {
    last_error::clear();
    // AssertUnwindSafe: after a caught panic nothing the body touched is used
    // again; the call reports INTERNAL and the caller's output is whatever
    // the body had written (only ever output elements).
    let r = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(feature = "testing")]
        crate::testing::maybe_panic();
        body()
    }));
    match r {
        Ok(Ok(())) => BATCH_DOT_STATUS_OK,
        Ok(Err(e)) => {
            last_error::set(&e.to_string());
            e.status()
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            last_error::set(&format!(
                "Internal error in libbatch_dot (a bug; please report it): {what}"
            ));
            BATCH_DOT_STATUS_INTERNAL
        }
    }
}

/// Runs `body` for a C function that returns a value and cannot fail; on a
/// panic it returns `fallback`. The last-error message is left alone.
pub fn guard_value<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}
