//! Run-time choice of the instruction set the kernels use.
//!
//! The library is built for the baseline of its target (x86-64: SSE2) and
//! picks, once per process, the best level the CPU supports (`Isa`, from
//! portable scalar code up to AVX-512 with AVX512_BF16). The environment
//! variable `BATCH_DOT_FORCE_ISA` (read once, at first need) caps the
//! level: `scalar`, `avx2`, `avxvnni`, `avx512`, `avx512vnni`,
//! `avx512bf16` or `amx` (`auto` or anything else: no cap). The VNNI
//! levels differ from the level below them only in the int8 kernels
//! (`int8.rs`), `avx512bf16` only in the bfloat16 GEMM (`bf16dp.rs`), and
//! `amx` only in the int8 and bfloat16 GEMMs (`int8_amx.rs`,
//! `bf16amx.rs`, on AMX tiles).
//! A cap the CPU does not support falls back to the best supported level
//! below it (a CPU with AVX-512 VNNI but no AVX-VNNI, asked for `avxvnni`,
//! gets it through the 256-bit EVEX form of the same instruction; see
//! `Isa::AvxVnni`). It exists for tests and for comparing the code paths;
//! floating results may differ in the last bits between levels (never
//! between thread counts), integer results never differ.

use std::sync::OnceLock;

/// An instruction-set level of the kernels, from the most portable up.
///
/// cbindgen:ignore
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable Rust, no explicit SIMD (the compiler may still use SSE2).
    Scalar,
    /// AVX2 + FMA + F16C, 256-bit vectors.
    Avx2,
    /// AVX2 with 256-bit `vpdpbusd` for int8: AVX-VNNI (the VEX form), or
    /// on a CPU without it but with AVX512_VNNI + AVX512VL, the EVEX form
    /// of the same 256-bit instruction (same code, same results). Every
    /// other kernel is AVX2's.
    AvxVnni,
    /// AVX-512F and AVX512VL (+ AVX2, FMA, F16C), 512-bit vectors (and
    /// 256-bit ones with 32 registers, in the 8×8×8 kernels). int8 runs
    /// AVX2's kernels without VNNI.
    Avx512,
    /// AVX-512 with AVX512_VNNI and AVX512BW: 512-bit `vpdpbusd` for
    /// int8; every other kernel is AVX-512's.
    Avx512Vnni,
    /// AVX-512 with AVX512_BF16 (and AVX512_VNNI, AVX512BW, AVX512DQ): the
    /// bfloat16 GEMM on `vdpbf16ps` (`bf16dp.rs`, for the blocks it
    /// computes exactly) and the rounding to bfloat16 in `vcvtneps2bf16`;
    /// every other kernel is `Avx512Vnni`'s.
    Avx512Bf16,
    /// `Avx512Bf16` with AMX-TILE, AMX-INT8 and AMX-BF16, which the
    /// operating system lets this process use (Linux:
    /// `arch_prctl(ARCH_REQ_XCOMP_PERM)`, asked once, when a level at or
    /// above this one is first needed): the int8 GEMM on tiles (`tdpb*d`,
    /// `int8_amx.rs`) and the bfloat16 GEMM on tiles (`tdpbf16ps`,
    /// `bf16amx.rs`, for the blocks it computes exactly); every other
    /// kernel is `Avx512Bf16`'s.
    Amx,
}

/// cbindgen:ignore
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // the tests' view of the levels
impl Isa {
    /// Every level, from the most portable up.
    pub const ALL: [Isa; 7] = [
        Isa::Scalar,
        Isa::Avx2,
        Isa::AvxVnni,
        Isa::Avx512,
        Isa::Avx512Vnni,
        Isa::Avx512Bf16,
        Isa::Amx,
    ];

    /// The levels whose floating kernels differ (the VNNI levels run the
    /// floating kernels of the level below them).
    pub const FLOAT: [Isa; 5] = [
        Isa::Scalar,
        Isa::Avx2,
        Isa::Avx512,
        Isa::Avx512Bf16,
        Isa::Amx,
    ];

    /// The name `BATCH_DOT_FORCE_ISA` uses for this level.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::AvxVnni => "avxvnni",
            Isa::Avx512 => "avx512",
            Isa::Avx512Vnni => "avx512vnni",
            Isa::Avx512Bf16 => "avx512bf16",
            Isa::Amx => "amx",
        }
    }

    /// Whether this CPU can run kernels of this level.
    pub fn supported(self) -> bool {
        features().supports(self)
    }

    /// The level whose floating kernels this level runs.
    pub(crate) fn float(self) -> Isa {
        match self {
            Isa::AvxVnni => Isa::Avx2,
            Isa::Avx512Vnni => Isa::Avx512,
            l => l,
        }
    }

    /// The best level at or below `self` that this CPU supports.
    pub fn capped(self) -> Isa {
        let f = features();
        Isa::ALL
            .into_iter()
            .rev()
            .find(|&l| l <= self && f.supports(l))
            .unwrap_or(Isa::Scalar)
    }
}

/// What the CPU has of the features the levels need.
#[derive(Clone, Copy, Debug, Default)]
struct Features {
    avx2: bool,
    avx512: bool,
    /// 256-bit vpdpbusd: AVX-VNNI, or AVX512_VNNI + AVX512VL.
    vnni256: bool,
    /// AVX512_VNNI + AVX512BW.
    vnni512: bool,
    bf16: bool,
    /// AMX-TILE, AMX-INT8 and AMX-BF16 in the CPU (whether the process may use them
    /// is asked only when needed: `amx_permitted`).
    amx: bool,
}

impl Features {
    fn supports(self, l: Isa) -> bool {
        match l {
            Isa::Scalar => true,
            Isa::Avx2 => self.avx2,
            Isa::AvxVnni => self.avx2 && self.vnni256,
            Isa::Avx512 => self.avx512,
            Isa::Avx512Vnni => self.avx512 && self.vnni512,
            Isa::Avx512Bf16 => self.avx512 && self.vnni512 && self.bf16,
            Isa::Amx => self.avx512 && self.vnni512 && self.bf16 && self.amx && amx_permitted(),
        }
    }
}

/// The CPU's features (detected once).
fn features() -> Features {
    static F: OnceLock<Features> = OnceLock::new();
    *F.get_or_init(detect_features)
}

#[cfg(target_arch = "x86_64")]
fn detect_features() -> Features {
    use std::is_x86_feature_detected as has;
    // (F16C, the binary16 conversions, comes with every AVX2 CPU; the
    // kernels for 16-bit inputs use it at both vector levels.)
    let avx2 = has!("avx2") && has!("fma") && has!("f16c");
    let avx512 = avx2 && has!("avx512f") && has!("avx512vl");
    let vnni512 = avx512 && has!("avx512vnni") && has!("avx512bw");
    let bf16 = vnni512 && has!("avx512bf16") && has!("avx512dq");
    Features {
        avx2,
        avx512,
        vnni256: avx2 && (has!("avxvnni") || (vnni512 && has!("avx512vl"))),
        vnni512,
        bf16,
        // (Only asked of CPUs with AVX-512: Miri, which has none, never
        // runs cpuid.)
        amx: bf16 && amx_in_cpu(),
    }
}

/// CPUID.(7, 0):EDX bits 22 (AMX-BF16), 24 (AMX-TILE) and 25 (AMX-INT8),
/// and XCR0 bits 17 and 18 (the OS manages the tile state).
#[cfg(target_arch = "x86_64")]
fn amx_in_cpu() -> bool {
    use core::arch::x86_64::{__cpuid, __cpuid_count};
    // SAFETY: cpuid exists on every x86-64 CPU; leaf 7 is read only when
    // the maximum leaf reaches it; xgetbv only with OSXSAVE (CPUID.1:ECX
    // bit 27), which says the OS enabled it.
    unsafe {
        if __cpuid(0).eax < 7 || __cpuid(1).ecx & (1 << 27) == 0 {
            return false;
        }
        let edx = __cpuid_count(7, 0).edx;
        let want = (1 << 22) | (1 << 24) | (1 << 25);
        if edx & want != want {
            return false;
        }
        let (lo, _hi): (u32, u32);
        core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _hi,
            options(nomem, nostack, preserves_flags));
        lo & (3 << 17) == 3 << 17
    }
}

/// Whether this process may use the AMX tile data: on Linux it must ask
/// (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`, once; the
/// kernel refuses when a thread's signal stack is too small for the tile
/// state, and the library then keeps to `Avx512Bf16`). Elsewhere: no.
fn amx_permitted() -> bool {
    static P: OnceLock<bool> = OnceLock::new();
    *P.get_or_init(|| {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
            const XFEATURE_XTILEDATA: libc::c_long = 18;
            // SAFETY: a system call with integer arguments only.
            unsafe {
                libc::syscall(
                    libc::SYS_arch_prctl,
                    ARCH_REQ_XCOMP_PERM,
                    XFEATURE_XTILEDATA,
                ) == 0
            }
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            false
        }
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_features() -> Features {
    Features::default()
}

/// Whether the CPU has AVX-VNNI itself (the VEX form): `AvxVnni` then uses
/// it, else the EVEX form.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avxvnni() -> bool {
    static V: OnceLock<bool> = OnceLock::new();
    *V.get_or_init(|| std::is_x86_feature_detected!("avxvnni"))
}

/// The best level this CPU supports (detected once).
pub fn detected() -> Isa {
    static D: OnceLock<Isa> = OnceLock::new();
    *D.get_or_init(detect)
}

fn detect() -> Isa {
    Isa::Amx.capped()
}

/// Parses `BATCH_DOT_FORCE_ISA`: a level name (case-insensitive), else `None`.
pub fn parse_force(v: Option<&str>) -> Option<Isa> {
    match v?.trim().to_ascii_lowercase().as_str() {
        "scalar" => Some(Isa::Scalar),
        "avx2" => Some(Isa::Avx2),
        "avxvnni" => Some(Isa::AvxVnni),
        "avx512" => Some(Isa::Avx512),
        "avx512vnni" => Some(Isa::Avx512Vnni),
        "avx512bf16" => Some(Isa::Avx512Bf16),
        "amx" => Some(Isa::Amx),
        _ => None,
    }
}

/// The level calls use: the detected one, capped by `BATCH_DOT_FORCE_ISA`.
pub fn active() -> Isa {
    static A: OnceLock<Isa> = OnceLock::new();
    *A.get_or_init(|| {
        // A cap is applied before detection: a level above it is never
        // asked for (AMX's permission is then not requested).
        match parse_force(std::env::var("BATCH_DOT_FORCE_ISA").ok().as_deref()) {
            Some(cap) => cap.capped(),
            None => detected(),
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
        assert_eq!(parse_force(Some("AvxVnni")), Some(Isa::AvxVnni));
        assert!(active() <= detected());
        for l in Isa::ALL {
            let c = l.capped();
            assert!(c <= l && c.supported());
            assert_eq!(l.supported(), c == l);
        }
        assert_eq!(Isa::AvxVnni.float(), Isa::Avx2);
        assert_eq!(Isa::Avx512Vnni.float(), Isa::Avx512);
        assert_eq!(Isa::Amx.float(), Isa::Amx);
        assert_eq!(parse_force(Some("AMX")), Some(Isa::Amx));
    }
}
