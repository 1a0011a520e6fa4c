//! Packing: copies of B (and of A's row tiles) into contiguous panels for
//! the microkernel (`gemm.rs`), including the transposing copy of a B whose
//! columns are contiguous (`Simd::pack_nt`), done on AVX-512 by register
//! transposes of LANES×LANES tiles.

use super::simd::Simd;

/// Packs `B[0..kc, 0..nr]` (strides `rs`, `cs`) into `dst` with row stride
/// `ld` (columns past nr are left as they are: the kernel masks them).
///
/// # Safety
/// The source elements lie inside the y buffer; `dst` holds `kc·ld`
/// writable elements and does not overlap the source.
#[inline(always)]
pub(crate) unsafe fn pack_b<S: Simd>(
    src: *const S::T,
    kc: usize,
    nr: usize,
    rs: isize,
    cs: isize,
    dst: *mut S::T,
    ld: usize,
) {
    // SAFETY: reads stay on B[0..kc, 0..nr], writes on dst[0..kc·ld].
    unsafe {
        if cs == 1 {
            for t in 0..kc {
                let s = src.wrapping_offset(t as isize * rs);
                let d = dst.add(t * ld);
                let mut j = 0;
                while j + S::LANES <= nr {
                    S::store(d.add(j), S::load(s.wrapping_add(j)));
                    j += S::LANES;
                }
                if j < nr {
                    let m = S::mask(nr - j);
                    S::store_m(d.add(j), S::load_m(s.wrapping_add(j), m), m);
                }
            }
        } else if rs == 1 {
            S::pack_nt(src, kc, nr, cs, dst, ld);
        } else {
            for j in 0..nr {
                let s = src.wrapping_offset(j as isize * cs);
                for t in 0..kc {
                    *dst.add(t * ld + j) = *s.wrapping_offset(t as isize * rs);
                }
            }
        }
    }
}

/// The scalar part of `pack_nt`: everything outside `[0, t0) × [0, j0)`.
///
/// # Safety
/// As `Simd::pack_nt`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn pack_nt_scalar<T: Copy>(
    src: *const T,
    kc: usize,
    nr: usize,
    cs: isize,
    dst: *mut T,
    ld: usize,
    t0: usize,
    j0: usize,
) {
    for j in 0..nr {
        let s = src.wrapping_offset(j as isize * cs);
        let from = if j < j0 { t0 } else { 0 };
        for t in from..kc {
            // SAFETY: t < kc, j < nr (contract).
            unsafe { *dst.add(t * ld + j) = *s.add(t) };
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::*;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::simd::prefetch;
    use core::arch::x86_64::*;

    /// `pub(crate) unsafe fn $name`: `Simd::pack_nt` for `$T` on AVX-512, by
    /// `$lanes`×`$lanes` register transposes (`$transpose`) of the tiles
    /// inside `[0, t0) × [0, j0)`, then `pack_nt_scalar` for the rest.
    macro_rules! pack_nt_avx512 {
        (
            $name:ident, $T:ty, $lanes:literal;
            $setzero:ident, $loadu:ident, $storeu:ident, $transpose:ident
        ) => {
            #[doc = concat!("`Simd::pack_nt` for ", stringify!($T), " on AVX-512.")]
            ///
            /// # Safety
            /// `Simd::pack_nt`'s contract; the CPU has avx512f.
            #[inline(always)]
            pub(crate) unsafe fn $name(
                src: *const $T,
                kc: usize,
                nr: usize,
                cs: isize,
                dst: *mut $T,
                ld: usize,
            ) {
                let (t0, j0) = (kc / $lanes * $lanes, nr / $lanes * $lanes);
                // SAFETY: LANES×LANES tiles inside [0, t0) × [0, j0), then
                // the rest element by element (the method's contract).
                unsafe {
                    for jb in (0..j0).step_by($lanes) {
                        for tb in (0..t0).step_by($lanes) {
                            let mut r = [$setzero(); $lanes];
                            for (q, v) in r.iter_mut().enumerate() {
                                *v = $loadu(src.wrapping_offset((jb + q) as isize * cs).add(tb));
                            }
                            // The same block of the next LANES columns, so
                            // that their loads do not wait on L3 (see
                            // docs/PERFORMANCE.md).
                            if jb + $lanes < j0 {
                                for q in $lanes..2 * $lanes {
                                    let col = src.wrapping_offset((jb + q) as isize * cs);
                                    prefetch(col.wrapping_add(tb));
                                }
                            }
                            let r = $transpose(r);
                            for (p, v) in r.iter().enumerate() {
                                $storeu(dst.add((tb + p) * ld + jb), *v);
                            }
                        }
                    }
                    super::pack_nt_scalar(src, kc, nr, cs, dst, ld, t0, j0);
                }
            }
        };
    }

    pack_nt_avx512!(pack_nt_f32, f32, 16;
        _mm512_setzero_ps, _mm512_loadu_ps, _mm512_storeu_ps, transpose16);
    pack_nt_avx512!(pack_nt_f64, f64, 8;
        _mm512_setzero_pd, _mm512_loadu_pd, _mm512_storeu_pd, transpose8);

    /// 16×16 f32 transpose: out[p] lane q = in[q] lane p.
    #[inline(always)]
    pub(crate) unsafe fn transpose16(r: [__m512; 16]) -> [__m512; 16] {
        // SAFETY: avx512f (caller).
        unsafe {
            let mut t = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            let mut u = [_mm512_setzero_ps(); 16];
            for g in 0..4 {
                let b = 4 * g;
                u[b] = _mm512_shuffle_ps::<0x44>(t[b], t[b + 2]);
                u[b + 1] = _mm512_shuffle_ps::<0xEE>(t[b], t[b + 2]);
                u[b + 2] = _mm512_shuffle_ps::<0x44>(t[b + 1], t[b + 3]);
                u[b + 3] = _mm512_shuffle_ps::<0xEE>(t[b + 1], t[b + 3]);
            }
            let mut v = [_mm512_setzero_ps(); 16];
            for h in 0..2 {
                let b = 8 * h;
                for i in 0..4 {
                    v[b + i] = _mm512_shuffle_f32x4::<0x88>(u[b + i], u[b + 4 + i]);
                    v[b + 4 + i] = _mm512_shuffle_f32x4::<0xDD>(u[b + i], u[b + 4 + i]);
                }
            }
            let mut w = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                w[i] = _mm512_shuffle_f32x4::<0x88>(v[i], v[8 + i]);
                w[8 + i] = _mm512_shuffle_f32x4::<0xDD>(v[i], v[8 + i]);
            }
            w
        }
    }

    /// 8×8 f64 transpose: out[p] lane q = in[q] lane p.
    #[inline(always)]
    unsafe fn transpose8(r: [__m512d; 8]) -> [__m512d; 8] {
        // SAFETY: avx512f (caller).
        unsafe {
            let mut t = [_mm512_setzero_pd(); 8];
            for i in 0..4 {
                t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
            }
            let mut u = [_mm512_setzero_pd(); 8];
            for h in 0..2 {
                let b = 4 * h;
                u[b] = _mm512_shuffle_f64x2::<0x88>(t[b], t[b + 2]);
                u[b + 1] = _mm512_shuffle_f64x2::<0x88>(t[b + 1], t[b + 3]);
                u[b + 2] = _mm512_shuffle_f64x2::<0xDD>(t[b], t[b + 2]);
                u[b + 3] = _mm512_shuffle_f64x2::<0xDD>(t[b + 1], t[b + 3]);
            }
            let mut w = [_mm512_setzero_pd(); 8];
            for i in 0..4 {
                w[i] = _mm512_shuffle_f64x2::<0x88>(u[i], u[4 + i]);
                w[4 + i] = _mm512_shuffle_f64x2::<0xDD>(u[i], u[4 + i]);
            }
            w
        }
    }
}
