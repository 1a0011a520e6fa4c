//! Run-time choice of the instruction set the kernels use.
//!
//! The library is built for the baseline of its target (x86-64: SSE2) and
//! picks, once per process, the best level the CPU supports: AVX-512
//! (avx512f + avx2 + fma + f16c), AVX2 (avx2 + fma + f16c), or portable
//! scalar code. The
//! environment variable `BATCH_DOT_FORCE_ISA` (read once, at first need) caps
//! the level: `scalar`, `avx2`, `avx512` or `avx512bf16` (`auto` or anything
//! else: no cap). `avx512bf16` is AVX-512 with AVX512_BF16, which only the
//! bfloat16 GEMM uses (`bf16dp.rs`).
//! A cap above what the CPU supports falls back to the best supported level.
//! It exists for tests and for comparing the code paths; results may differ
//! in the last bits between levels (never between thread counts).

use std::sync::OnceLock;

/// An instruction-set level of the kernels, from the most portable up.
///
/// cbindgen:ignore
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable Rust, no explicit SIMD (the compiler may still use SSE2).
    Scalar,
    /// AVX2 + FMA, 256-bit vectors.
    Avx2,
    /// AVX-512F (+ AVX2, FMA), 512-bit vectors.
    Avx512,
    /// AVX-512 with AVX512_BF16: the bfloat16 GEMM on `vdpbf16ps`
    /// (`bf16dp.rs`, for the blocks it computes exactly); every other
    /// kernel is AVX-512's.
    Avx512Bf16,
}

/// cbindgen:ignore
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // the tests' view of the levels
impl Isa {
    /// Every level, from the most portable up.
    pub const ALL: [Isa; 4] = [Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Bf16];

    /// The name `BATCH_DOT_FORCE_ISA` uses for this level.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Avx512Bf16 => "avx512bf16",
        }
    }

    /// Whether this CPU can run kernels of this level.
    pub fn supported(self) -> bool {
        self <= detected()
    }
}

/// The best level this CPU supports (detected once).
pub fn detected() -> Isa {
    static D: OnceLock<Isa> = OnceLock::new();
    *D.get_or_init(detect)
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Isa {
    // (F16C, the binary16 conversions, comes with every AVX2 CPU; the
    // kernels for 16-bit inputs use it at both vector levels.)
    let avx2 = std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("f16c");
    if avx2 && std::is_x86_feature_detected!("avx512f") {
        if std::is_x86_feature_detected!("avx512bf16") && std::is_x86_feature_detected!("avx512bw")
        {
            Isa::Avx512Bf16
        } else {
            Isa::Avx512
        }
    } else if avx2 {
        Isa::Avx2
    } else {
        Isa::Scalar
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Isa {
    Isa::Scalar
}

/// Parses `BATCH_DOT_FORCE_ISA`: a level name (case-insensitive), else `None`.
pub fn parse_force(v: Option<&str>) -> Option<Isa> {
    match v?.trim().to_ascii_lowercase().as_str() {
        "scalar" => Some(Isa::Scalar),
        "avx2" => Some(Isa::Avx2),
        "avx512" => Some(Isa::Avx512),
        "avx512bf16" => Some(Isa::Avx512Bf16),
        _ => None,
    }
}

/// The level calls use: the detected one, capped by `BATCH_DOT_FORCE_ISA`.
pub fn active() -> Isa {
    static A: OnceLock<Isa> = OnceLock::new();
    *A.get_or_init(|| {
        let best = detected();
        match parse_force(std::env::var("BATCH_DOT_FORCE_ISA").ok().as_deref()) {
            Some(cap) => cap.min(best),
            None => best,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(parse_force(None), None);
        assert_eq!(parse_force(Some("auto")), None);
        assert_eq!(parse_force(Some(" AVX2 ")), Some(Isa::Avx2));
        assert_eq!(parse_force(Some("scalar")), Some(Isa::Scalar));
        assert_eq!(parse_force(Some("avx512")), Some(Isa::Avx512));
        assert!(Isa::Scalar.supported());
        assert!(active() <= detected());
    }
}
