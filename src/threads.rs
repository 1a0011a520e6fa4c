//! Thread counts. With default options every call runs on the caller's
//! thread alone.

use std::sync::OnceLock;

/// The default thread count: 1, unless `BATCH_DOT_NUM_THREADS` holds a
/// positive integer. Read once, at first need.
pub fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| parse_threads(std::env::var("BATCH_DOT_NUM_THREADS").ok().as_deref()))
}

/// Parses `BATCH_DOT_NUM_THREADS`: a positive integer, else 1.
pub fn parse_threads(v: Option<&str>) -> usize {
    v.and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
        .min(1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parse() {
        use super::parse_threads as p;
        assert_eq!(p(None), 1);
        assert_eq!(p(Some("")), 1);
        assert_eq!(p(Some("0")), 1);
        assert_eq!(p(Some("-3")), 1);
        assert_eq!(p(Some("x")), 1);
        assert_eq!(p(Some(" 4 ")), 4);
        assert_eq!(p(Some("99999")), 1024);
    }
}
