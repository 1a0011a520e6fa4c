//! Element types by dtype code (docs/API.md, "Element types"): each code's
//! size and name, and check 1b, the dtypes of a `batch_dot_compute` call.
//! Pure: no memory is touched here.

use core::ffi::CStr;

use crate::consts::*;
use crate::error::{Error, Result};

/// `(size in bytes, name)` of a dtype code, `None` for an unknown one.
pub(crate) fn info(code: i32) -> Option<(usize, &'static CStr)> {
    Some(match code {
        BATCH_DOT_DTYPE_F32 => (4, c"float32"),
        BATCH_DOT_DTYPE_F64 => (8, c"float64"),
        BATCH_DOT_DTYPE_F16 => (2, c"float16"),
        BATCH_DOT_DTYPE_BF16 => (2, c"bfloat16"),
        BATCH_DOT_DTYPE_S8 => (1, c"int8"),
        BATCH_DOT_DTYPE_U8 => (1, c"uint8"),
        BATCH_DOT_DTYPE_S32 => (4, c"int32"),
        _ => return None,
    })
}

/// The name of a dtype code ("unknown" for an unknown one).
pub(crate) fn name(code: i32) -> &'static str {
    info(code).map_or("unknown", |(_, n)| n.to_str().unwrap_or("unknown"))
}

/// The combinations of docs/API.md's table, `(x, y, out, in this build)`.
/// A combination that is in the table but not built is still
/// `UNSUPPORTED_DTYPE`, with a message that says so.
pub(crate) const COMBINATIONS: [(i32, i32, i32, bool); 8] = [
    (
        BATCH_DOT_DTYPE_F32,
        BATCH_DOT_DTYPE_F32,
        BATCH_DOT_DTYPE_F32,
        true,
    ),
    (
        BATCH_DOT_DTYPE_F64,
        BATCH_DOT_DTYPE_F64,
        BATCH_DOT_DTYPE_F64,
        true,
    ),
    (
        BATCH_DOT_DTYPE_BF16,
        BATCH_DOT_DTYPE_BF16,
        BATCH_DOT_DTYPE_BF16,
        true,
    ),
    (
        BATCH_DOT_DTYPE_BF16,
        BATCH_DOT_DTYPE_BF16,
        BATCH_DOT_DTYPE_F32,
        true,
    ),
    (
        BATCH_DOT_DTYPE_F16,
        BATCH_DOT_DTYPE_F16,
        BATCH_DOT_DTYPE_F16,
        true,
    ),
    (
        BATCH_DOT_DTYPE_F16,
        BATCH_DOT_DTYPE_F16,
        BATCH_DOT_DTYPE_F32,
        true,
    ),
    (
        BATCH_DOT_DTYPE_S8,
        BATCH_DOT_DTYPE_S8,
        BATCH_DOT_DTYPE_S32,
        true,
    ),
    (
        BATCH_DOT_DTYPE_U8,
        BATCH_DOT_DTYPE_S8,
        BATCH_DOT_DTYPE_S32,
        true,
    ),
];

/// The combinations this build runs, as the messages list them.
pub(crate) fn supported_list() -> String {
    let mut s = String::new();
    for &(x, y, out, built) in &COMBINATIONS {
        if built {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(&format!("({}, {}, {})", name(x), name(y), name(out)));
        }
    }
    s
}

/// Check 1b for a combination the caller does not run: an unknown code (x,
/// y, out in that order), else a combination outside the table, else one
/// in the table that this build does not have. Always an error: the
/// combinations this build runs never reach it.
pub(crate) fn reject(x: i32, y: i32, out: i32) -> Error {
    for (arg, code) in [("x_dtype", x), ("y_dtype", y), ("out_dtype", out)] {
        if info(code).is_none() {
            return Error::UnknownDtype { arg, code };
        }
    }
    match COMBINATIONS.iter().find(|c| (c.0, c.1, c.2) == (x, y, out)) {
        None => Error::UnsupportedDtypes { x, y, out },
        Some(&(_, _, _, built)) => {
            debug_assert!(!built, "a combination this build runs was rejected");
            Error::DtypesNotBuilt { x, y, out }
        }
    }
}

/// Checks 1 and 1b of a `batch_dot_compute` call whose dtypes this build
/// does not run, given which layouts are NULL: the first failure.
pub(crate) fn check_rejected(layouts: [(&'static str, bool); 3], codes: [i32; 3]) -> Result<()> {
    // 1. NULL layouts.
    for (name, null) in layouts {
        if null {
            return Err(Error::NullLayout { name });
        }
    }
    // 1b. The dtypes.
    Err(reject(codes[0], codes[1], codes[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections() {
        assert_eq!(
            reject(1, 9, 0),
            Error::UnknownDtype {
                arg: "y_dtype",
                code: 9
            }
        );
        assert_eq!(
            reject(4, 3, 1),
            Error::UnsupportedDtypes { x: 4, y: 3, out: 1 }
        );
        assert_eq!(
            reject(5, 6, 7),
            Error::UnsupportedDtypes { x: 5, y: 6, out: 7 }
        );
        assert_eq!(
            supported_list(),
            "(float32, float32, float32), (float64, float64, float64), \
             (bfloat16, bfloat16, bfloat16), (bfloat16, bfloat16, float32), \
             (float16, float16, float16), (float16, float16, float32), \
             (int8, int8, int32), (uint8, int8, int32)"
        );
        assert_eq!(name(0), "unknown");
        assert_eq!(name(4), "bfloat16");
    }
}
