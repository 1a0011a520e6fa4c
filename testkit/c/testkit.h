/*
 * testkit/c/testkit.h: the C test kit of libbatch_dot, shared by the C test
 * harness (c_tests/harness.c) and the hardening programs (hardening/).
 * What a right result and a right status are is stated here once for C:
 *
 *   elements      tk_dtype (f32, f64, bf16, f16, s8, u8, s32), tk_esize,
 *                 tk_get, tk_set, tk_bits, tk_geti; the 16-bit formats
 *                 restated exactly:
 *                 tk_bf16_to_f32, tk_f16_to_f32, tk_round_bf16,
 *                 tk_round_f16 (to nearest even), tk_round_to
 *   PRNG          tk_rng (SplitMix64): tk_rng_next, _range, _chance, _real
 *   layouts       tk_count_of, tk_count, tk_reach, tk_elem_pos, tk_next_index
 *   generator     tk_gen_shapes, tk_gen_large (a valid call's shapes and
 *                 axes) and tk_arrange (a random strided layout for a shape)
 *   reference     tk_naive_at, tk_naive (an f64 loop over logical indices,
 *                 with the sum of |x*y|; compensated for 16-bit inputs),
 *                 tk_exact and tk_within_bound (the error bound of
 *                 docs/SEMANTICS.md §6), tk_lowp_ok and tk_lowp_scaled_ok
 *                 (docs/API.md's bound for the 16-bit paths), tk_naive_i32
 *                 and tk_wrap32 (the integer rows: an exact int64 sum
 *                 reduced modulo 2^32), tk_int_scale_ok (their alpha/beta)
 *   status oracle tk_axes, tk_result_shape, tk_expect_infer,
 *                 tk_expect_compute, tk_expect_dtyped (batch_dot_compute:
 *                 check 1b too, with tk_dtype_code_size, tk_dtype_code_name,
 *                 tk_dtypes_run): docs/API.md's check order restated in
 *                 128-bit arithmetic; it calls nothing in the library, so it
 *                 stays independent of the checks it judges
 *   buffers       tk_xmalloc, tk_xdup, sentinels (tk_fill_sentinel,
 *                 tk_is_sentinel, tk_first_touched), tk_process_threads
 *
 * Header-only: every function is static inline, so a program pays only for
 * what it uses and unused helpers draw no warning. C11 with GCC or Clang
 * (128-bit integers); warning-free under -Wall -Wextra -Werror -pedantic.
 * Needs include/ (batch_dot.h) and testkit/c/ on the include path.
 */
#ifndef BATCH_DOT_TESTKIT_H
#define BATCH_DOT_TESTKIT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_dot.h"

/* 128-bit integers for the oracle's arithmetic (no overflow on int64 data). */
__extension__ typedef __int128 tk_i128;

/* ---- elements ----------------------------------------------------------- */

/* The element types under test. The 16-bit ones are stored as uint16_t bits
 * (docs/API.md, "Element types (version 0.2)"): bfloat16 is the top half of
 * a binary32, float16 is IEEE binary16. */
typedef enum { TK_F32 = 0, TK_F64 = 1, TK_BF16 = 2, TK_F16 = 3, TK_S8 = 4, TK_U8 = 5, TK_S32 = 6 } tk_dtype;

static inline const char *tk_dtype_name(tk_dtype t)
{
    switch (t) {
    case TK_F64: return "f64";
    case TK_BF16: return "bf16";
    case TK_F16: return "f16";
    case TK_S8: return "s8";
    case TK_U8: return "u8";
    case TK_S32: return "s32";
    default: return "f32";
    }
}

static inline size_t tk_esize(tk_dtype t)
{
    switch (t) {
    case TK_F64: return sizeof(double);
    case TK_BF16: case TK_F16: return sizeof(uint16_t);
    case TK_S8: case TK_U8: return 1;
    default: return 4; /* f32, s32 */
    }
}

/* Whether t is one of the integer types (int8, uint8, int32). */
static inline int tk_is_int(tk_dtype t) { return t == TK_S8 || t == TK_U8 || t == TK_S32; }

/* Whether t is one of the 16-bit floating types. */
static inline int tk_is_16(tk_dtype t) { return t == TK_BF16 || t == TK_F16; }

/* The dtype code of docs/API.md, "Element types" (1 float32, 2 float64,
 * 3 float16, 4 bfloat16, 5 int8, 6 uint8, 7 int32), restated, not taken
 * from the header. */
static inline int32_t tk_dtype_code(tk_dtype t)
{
    switch (t) {
    case TK_F64: return 2;
    case TK_F16: return 3;
    case TK_BF16: return 4;
    case TK_S8: return 5;
    case TK_U8: return 6;
    case TK_S32: return 7;
    default: return 1;
    }
}

/* ---- bfloat16 and float16 (exact conversions, written from the formats) -- */

/* A bfloat16 as a float: its bits are the top half of the float's, so every
 * value (subnormals, NaN payloads, Inf) is exact. */
static inline float tk_bf16_to_f32(uint16_t h)
{
    uint32_t b = (uint32_t)h << 16;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* A float16 as a float, exactly: sign, 5-bit exponent (bias 15), 10-bit
 * fraction; exponent 0 is the subnormals m * 2^-24, exponent 31 Inf (m = 0)
 * or NaN (quieted, the top of its payload kept). */
static inline float tk_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31u, m = h & 1023u, b;
    float f;
    if (e == 31) {
        b = sign | 0x7f800000u | (m ? 0x00400000u | (m << 13) : 0u);
        memcpy(&f, &b, sizeof f);
        return f;
    }
    f = e == 0 ? ldexpf((float)m, -24) : ldexpf((float)(1024u + m), (int)e - 25);
    return sign ? -f : f;
}

/* Round to nearest, ties to even, of a double v to a binary format with p
 * significand bits (the leading one included), smallest normal exponent
 * emin and largest finite value vmax: the result's value as a double (exact:
 * both 16-bit formats and float fit in a double), +-Inf past the overflow
 * threshold, NaN for NaN. Done by hand on the scaled significand, so it
 * depends neither on the rounding mode nor on a conversion instruction. */
static inline double tk_round_fmt(double v, int p, int emin, double vmax)
{
    double a = fabs(v), q, t, n, f, r;
    int e;
    if (isnan(v)) {
        return v;
    }
    if (isinf(v) || a == 0.0) {
        return v;
    }
    (void)frexp(a, &e); /* a in [2^(e-1), 2^e) */
    e -= 1;
    if (e < emin) {
        e = emin;
    }
    q = ldexp(1.0, e - (p - 1)); /* the spacing of the format near a */
    t = a / q;                   /* < 2^p, exact (power-of-two scaling) */
    n = floor(t);
    f = t - n;
    if (f > 0.5 || (f == 0.5 && fmod(n, 2.0) != 0.0)) {
        n += 1.0;
    }
    r = n * q;
    if (r > vmax) {
        r = INFINITY;
    }
    return v < 0 ? -r : r;
}

/* The bfloat16 (8 significand bits, normal exponents from -126, largest
 * 0x1.fep127) and float16 (11 bits, from -14, largest 65504) nearest to v,
 * ties to even, as a double. */
static inline double tk_round_bf16_value(double v) { return tk_round_fmt(v, 8, -126, 0x1.fep127); }
static inline double tk_round_f16_value(double v) { return tk_round_fmt(v, 11, -14, 65504.0); }

/* The bits of a bfloat16 value (one tk_round_bf16_value gave: exact in a
 * float, low 16 bits zero). NaN becomes a quiet NaN with its sign and the
 * top of its payload. */
static inline uint16_t tk_bf16_bits_of(double r)
{
    float f = (float)r;
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    if (isnan(f)) {
        return (uint16_t)((b >> 16) | 0x0040u);
    }
    return (uint16_t)(b >> 16);
}

/* The bits of a float16 value (one tk_round_f16_value gave). */
static inline uint16_t tk_f16_bits_of(double r)
{
    uint16_t sign = signbit(r) ? 0x8000u : 0u;
    double a = fabs(r);
    int e;
    if (isnan(r)) {
        return (uint16_t)(sign | 0x7e00u);
    }
    if (isinf(r)) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (a < 0x1p-14) { /* subnormal or zero: a multiple of 2^-24 */
        return (uint16_t)(sign | (uint16_t)ldexp(a, 24));
    }
    (void)frexp(a, &e); /* a in [2^(e-1), 2^e) */
    return (uint16_t)(sign | (uint16_t)((e - 1 + 15) << 10) |
                      (uint16_t)(ldexp(a, 11 - e) - 1024.0));
}

/* RNE rounding of a float (or any double) to bfloat16 / float16 bits:
 * subnormals kept, overflow to +-Inf, NaN stays NaN. */
static inline uint16_t tk_round_bf16(double v) { return tk_bf16_bits_of(tk_round_bf16_value(v)); }
static inline uint16_t tk_round_f16(double v) { return tk_f16_bits_of(tk_round_f16_value(v)); }

/* v rounded to the type t (to nearest even), as a double. */
static inline double tk_round_to(tk_dtype t, double v)
{
    switch (t) {
    case TK_F64: return v;
    case TK_BF16: return tk_round_bf16_value(v);
    case TK_F16: return tk_round_f16_value(v);
    case TK_S8: case TK_U8: case TK_S32: return v; /* integers are exact */
    default: return (double)(float)v;
    }
}

/* Element i of a buffer of an integer type t, as an int64 (exact). */
static inline int64_t tk_geti(tk_dtype t, const void *p, int64_t i)
{
    int8_t s8;
    uint8_t u8;
    int32_t s32;
    switch (t) {
    case TK_S8:
        memcpy(&s8, (const unsigned char *)p + i, 1);
        return s8;
    case TK_U8:
        memcpy(&u8, (const unsigned char *)p + i, 1);
        return u8;
    default:
        memcpy(&s32, (const unsigned char *)p + (size_t)i * 4, 4);
        return s32;
    }
}

/* Element i of a buffer of type t, as a double (exact). */
static inline double tk_get(tk_dtype t, const void *p, int64_t i)
{
    uint16_t h;
    if (tk_is_int(t)) {
        return (double)tk_geti(t, p, i);
    }
    switch (t) {
    case TK_F64: return ((const double *)p)[i];
    case TK_BF16:
        memcpy(&h, (const unsigned char *)p + (size_t)i * 2, 2);
        return (double)tk_bf16_to_f32(h);
    case TK_F16:
        memcpy(&h, (const unsigned char *)p + (size_t)i * 2, 2);
        return (double)tk_f16_to_f32(h);
    default: return (double)((const float *)p)[i];
    }
}

/* Stores v (rounded to t, to nearest even) as element i; for an integer
 * type v must be one of its values. */
static inline void tk_set(tk_dtype t, void *p, int64_t i, double v)
{
    uint16_t h;
    int8_t s8;
    uint8_t u8;
    int32_t s32;
    switch (t) {
    case TK_S8:
        s8 = (int8_t)v;
        memcpy((unsigned char *)p + i, &s8, 1);
        return;
    case TK_U8:
        u8 = (uint8_t)v;
        memcpy((unsigned char *)p + i, &u8, 1);
        return;
    case TK_S32:
        s32 = (int32_t)v;
        memcpy((unsigned char *)p + (size_t)i * 4, &s32, 4);
        return;
    case TK_F64: ((double *)p)[i] = v; return;
    case TK_BF16:
        h = tk_round_bf16(v);
        memcpy((unsigned char *)p + (size_t)i * 2, &h, 2);
        return;
    case TK_F16:
        h = tk_round_f16(v);
        memcpy((unsigned char *)p + (size_t)i * 2, &h, 2);
        return;
    default: ((float *)p)[i] = (float)v; return;
    }
}

/* The raw bits of element i (widened), for bitwise comparisons. */
static inline uint64_t tk_bits(tk_dtype t, const void *p, int64_t i)
{
    size_t n = tk_esize(t);
    uint64_t b = 0;
    uint16_t h;
    uint32_t w;
    if (n == 1) {
        b = ((const unsigned char *)p)[i];
    } else if (n == 2) {
        memcpy(&h, (const unsigned char *)p + (size_t)i * 2, 2);
        b = h;
    } else if (n == 4) {
        memcpy(&w, (const unsigned char *)p + (size_t)i * 4, 4);
        b = w;
    } else {
        memcpy(&b, (const unsigned char *)p + (size_t)i * 8, 8);
    }
    return b;
}

/* ---- PRNG (SplitMix64) -------------------------------------------------- */

typedef struct {
    uint64_t s;
} tk_rng;

static inline uint64_t tk_rng_next(tk_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in lo..=hi (the modulo bias is irrelevant for tests). */
static inline int64_t tk_rng_range(tk_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(tk_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* 1 with the given probability in percent. */
static inline int tk_rng_chance(tk_rng *r, int percent) { return (int)(tk_rng_next(r) % 100) < percent; }

/* Uniform in [-1, 1) with a full 53-bit mantissa's worth of random bits. */
static inline double tk_rng_real(tk_rng *r) { return (double)(tk_rng_next(r) >> 11) * 0x1p-52 - 1.0; }

/* ---- layouts ------------------------------------------------------------ */

/* Product of the extents shape[0..nd): 0 when one is 0, -1 when it exceeds
 * INT64_MAX. Negative extents (BATCH_DOT_DIM_UNKNOWN) are skipped. */
static inline int64_t tk_count_of(int nd, const int64_t *shape)
{
    tk_i128 p = 1;
    int d;
    for (d = 0; d < nd; d++) {
        if (shape[d] == 0) {
            return 0;
        }
    }
    for (d = 0; d < nd; d++) {
        if (shape[d] > 0) {
            p *= shape[d];
            if (p > INT64_MAX) {
                return -1;
            }
        }
    }
    return (int64_t)p;
}

/* Element count of a layout (see tk_count_of). */
static inline int64_t tk_count(const batch_dot_layout *l) { return tk_count_of(l->ndim, l->shape); }

/* Inclusive element range [lo, hi] a layout with elements reaches (strides
 * of extents 0 and 1 ignored). Exact whenever it fits in int64; otherwise
 * saturated at +-2^120, far outside int64 (no 128-bit overflow). */
static inline void tk_reach(const batch_dot_layout *l, tk_i128 *lo, tk_i128 *hi)
{
    const tk_i128 big = (tk_i128)1 << 120;
    int d, nd = l->ndim < 0 ? 0 : l->ndim > BATCH_DOT_MAX_NDIM ? BATCH_DOT_MAX_NDIM : l->ndim;
    *lo = *hi = l->offset;
    for (d = 0; d < nd; d++) {
        if (l->shape[d] > 1) {
            tk_i128 span = (tk_i128)(l->shape[d] - 1) * l->strides[d];
            if (span < 0) {
                *lo += span;
                if (*lo < -big) {
                    *lo = -big;
                }
            } else {
                *hi += span;
                if (*hi > big) {
                    *hi = big;
                }
            }
        }
    }
}

/* Element offset of the logical index idx (valid layouts only). */
static inline int64_t tk_elem_pos(const batch_dot_layout *l, const int64_t *idx)
{
    int64_t p = l->offset;
    int d;
    for (d = 0; d < l->ndim; d++) {
        if (l->shape[d] > 1) {
            p += idx[d] * l->strides[d];
        }
    }
    return p;
}

/* Row-major odometer over shape[0..nd); returns 0 after the last index. */
static inline int tk_next_index(int nd, const int64_t *shape, int64_t *idx)
{
    int d;
    for (d = nd - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) {
            return 1;
        }
        idx[d] = 0;
    }
    return 0;
}

/* ---- shapes and axes (docs/SEMANTICS.md §1-§3) --------------------------- */

/* docs/SEMANTICS.md §2: the normalised axes, or the status of the first axes
 * check that fails (docs/API.md, check 5: a lone default is INVALID_AXES,
 * then an axis 0 is BATCH_AXIS, then one out of range is INVALID_AXES).
 * n, m are the ranks (>= 2). */
static inline int32_t tk_axes(int n, int m, int64_t ax, int64_t ay, int *a0, int *a1)
{
    tk_i128 x, y;
    if (ax == BATCH_DOT_AXIS_DEFAULT && ay == BATCH_DOT_AXIS_DEFAULT) {
        x = n - 1;
        y = m == 2 ? 1 : m - 2;
    } else if (ax == BATCH_DOT_AXIS_DEFAULT || ay == BATCH_DOT_AXIS_DEFAULT) {
        return BATCH_DOT_STATUS_INVALID_AXES;
    } else {
        x = ax < 0 ? (tk_i128)ax + n : (tk_i128)ax;
        y = ay < 0 ? (tk_i128)ay + m : (tk_i128)ay;
    }
    if (x == 0 || y == 0) {
        return BATCH_DOT_STATUS_BATCH_AXIS;
    }
    if (x < 1 || x >= n || y < 1 || y >= m) {
        return BATCH_DOT_STATUS_INVALID_AXES;
    }
    *a0 = (int)x;
    *a1 = (int)y;
    return BATCH_DOT_STATUS_OK;
}

/* docs/SEMANTICS.md §1 and §4: the result shape of x (n dims) . y (m dims)
 * contracted on a0, a1; returns its rank (up to 2 * BATCH_DOT_MAX_NDIM - 3,
 * so os holds 2 * BATCH_DOT_MAX_NDIM entries). The batch extent is x's, or
 * y's when x's is BATCH_DOT_DIM_UNKNOWN. */
static inline int tk_result_shape(int n, const int64_t *x, int m, const int64_t *y, int a0, int a1,
                                  int64_t *os)
{
    int k = 0, d;
    os[k++] = x[0] != BATCH_DOT_DIM_UNKNOWN ? x[0] : y[0];
    for (d = 1; d < n; d++) {
        if (d != a0) {
            os[k++] = x[d];
        }
    }
    for (d = 1; d < m; d++) {
        if (d != a1) {
            os[k++] = y[d];
        }
    }
    if (k == 1) {
        os[k++] = 1;
    }
    return k;
}

/* docs/API.md, check 5 (docs/SEMANTICS.md §3's order: batch, axes,
 * contraction) on shapes of ranks >= 2 with valid extents, then the result
 * shape. An extent equal to `unknown` skips the check that needs it
 * (BATCH_DOT_DIM_UNKNOWN in shape inference; INT64_MIN, which no valid
 * extent is, in compute calls). */
static inline int32_t tk_semantics(int n, const int64_t *x, int m, const int64_t *y, int64_t ax,
                                   int64_t ay, int64_t unknown, int *a0, int *a1, int *ond,
                                   int64_t *os)
{
    int32_t st;
    if (x[0] != unknown && y[0] != unknown && x[0] != y[0]) {
        return BATCH_DOT_STATUS_BATCH_MISMATCH;
    }
    st = tk_axes(n, m, ax, ay, a0, a1);
    if (st != BATCH_DOT_STATUS_OK) {
        return st;
    }
    if (x[*a0] != unknown && y[*a1] != unknown && x[*a0] != y[*a1]) {
        return BATCH_DOT_STATUS_CONTRACTION_MISMATCH;
    }
    *ond = tk_result_shape(n, x, m, y, *a0, *a1, os);
    return BATCH_DOT_STATUS_OK;
}

/* ---- the random layout generator ---------------------------------------- */

/* A valid call: x (n dims), y (m dims), the axes arguments ax, ay and their
 * normalised values a0, a1, the result shape o (on dims). */
typedef struct {
    int n, m, a0, a1, on;
    int64_t x[BATCH_DOT_MAX_NDIM], y[BATCH_DOT_MAX_NDIM], o[2 * BATCH_DOT_MAX_NDIM];
    int64_t ax, ay;
} tk_shapes;

/* A small extent: 0 (1 in 16), 1, 2, 3 or 4. */
static inline int64_t tk_small_extent(tk_rng *r)
{
    uint64_t v = tk_rng_next(r) % 16;
    return v == 0 ? 0 : v < 6 ? 1 : v < 11 ? 2 : v < 14 ? 3 : 4;
}

/* Random shapes of ranks min_rank..=max_rank and axes (default, positive or
 * negative), extents small so the work stays small; one call in five gets
 * bigger extents (SIMD widths, blocking, tails), the total still bounded. */
static inline void tk_gen_shapes(tk_rng *r, tk_shapes *s, int min_rank, int max_rank)
{
    int i, j;
    int64_t b, k;
    s->n = (int)tk_rng_range(r, min_rank, max_rank);
    s->m = (int)tk_rng_range(r, min_rank, max_rank);
    b = tk_small_extent(r);
    s->x[0] = s->y[0] = b;
    for (i = 1; i < s->n; i++) {
        s->x[i] = tk_small_extent(r);
    }
    for (j = 1; j < s->m; j++) {
        s->y[j] = tk_small_extent(r);
    }
    switch (tk_rng_next(r) % 3) {
    case 0: /* axes=None */
        s->a0 = s->n - 1;
        s->a1 = s->m == 2 ? 1 : s->m - 2;
        s->ax = s->ay = BATCH_DOT_AXIS_DEFAULT;
        break;
    default:
        s->a0 = (int)tk_rng_range(r, 1, s->n - 1);
        s->a1 = (int)tk_rng_range(r, 1, s->m - 1);
        s->ax = tk_rng_chance(r, 30) ? s->a0 - s->n : s->a0;
        s->ay = tk_rng_chance(r, 30) ? s->a1 - s->m : s->a1;
    }
    k = tk_small_extent(r);
    s->x[s->a0] = s->y[s->a1] = k;
    if (tk_rng_chance(r, 20)) {
        for (i = 1; i < s->n; i++) {
            if (tk_rng_chance(r, 35)) {
                s->x[i] = tk_rng_range(r, 5, 40);
            }
        }
        for (j = 1; j < s->m; j++) {
            if (tk_rng_chance(r, 35)) {
                s->y[j] = tk_rng_range(r, 5, 40);
            }
        }
        s->y[s->a1] = s->x[s->a0];
        for (;;) {
            int64_t cx = 1, cy = 1, *big = &s->x[0];
            for (i = 0; i < s->n; i++) {
                cx *= s->x[i];
            }
            for (j = 0; j < s->m; j++) {
                cy *= s->y[j];
            }
            if (cx <= 4096 && cy <= 4096 &&
                cx / (s->x[s->a0] ? s->x[s->a0] : 1) * cy <= 1 << 16) {
                break;
            }
            for (i = 0; i < s->n; i++) {
                if (s->x[i] > *big) {
                    big = &s->x[i];
                }
            }
            for (j = 0; j < s->m; j++) {
                if (s->y[j] > *big) {
                    big = &s->y[j];
                }
            }
            *big = (*big + 1) / 2;
            s->y[0] = s->x[0];
            s->y[s->a1] = s->x[s->a0] = s->x[s->a0] < s->y[s->a1] ? s->x[s->a0] : s->y[s->a1];
        }
    }
    s->on = tk_result_shape(s->n, s->x, s->m, s->y, s->a0, s->a1, s->o);
}

/* A large call, enough work for the library to use several threads:
 * x (B, M, K) . y (B, K, N), axes None or (2, 1) or (-1, -2). */
static inline void tk_gen_large(tk_rng *r, tk_shapes *s)
{
    int64_t b = tk_rng_range(r, 1, 4), m = tk_rng_range(r, 48, 160);
    int64_t k = tk_rng_range(r, 32, 128), n = tk_rng_range(r, 48, 160);
    s->n = s->m = 3;
    s->x[0] = s->y[0] = b;
    s->x[1] = m;
    s->x[2] = s->y[1] = k;
    s->y[2] = n;
    s->a0 = 2;
    s->a1 = 1;
    switch (tk_rng_next(r) % 3) {
    case 0:
        s->ax = s->ay = BATCH_DOT_AXIS_DEFAULT;
        break;
    case 1:
        s->ax = 2;
        s->ay = 1;
        break;
    default:
        s->ax = -1;
        s->ay = -2;
    }
    s->on = tk_result_shape(s->n, s->x, s->m, s->y, s->a0, s->a1, s->o);
}

/* A random layout for the logical shape dims[0..nd): random storage order,
 * padding, negative strides, stride 0 on inputs (broadcast, when `input`),
 * junk strides on extents 0 and 1, an offset; len is exactly one past the
 * highest element reached (tight), or 0..2 for an empty tensor. */
static inline batch_dot_layout tk_arrange(tk_rng *r, int nd, const int64_t *dims, int input)
{
    static const int64_t junk[] = {0, 1, -1, INT64_MAX, INT64_MIN, 12345};
    batch_dot_layout l;
    int order[BATCH_DOT_MAX_NDIM];
    int64_t cur = 1, off;
    tk_i128 lo, hi;
    int i, k, d;
    memset(&l, 0, sizeof l);
    l.ndim = nd;
    for (i = 0; i < nd; i++) {
        order[i] = nd - 1 - i; /* innermost first */
    }
    if (tk_rng_chance(r, 40)) {
        for (i = nd - 1; i > 0; i--) {
            int j = (int)tk_rng_range(r, 0, i), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
    for (k = 0; k < nd; k++) {
        int64_t e, pad;
        d = order[k];
        e = dims[d];
        l.shape[d] = e;
        if (e <= 1) {
            l.strides[d] = tk_rng_chance(r, 30) ? junk[tk_rng_next(r) % 6] : cur;
            continue;
        }
        if (input && tk_rng_chance(r, 10)) {
            l.strides[d] = 0;
            continue;
        }
        pad = tk_rng_chance(r, 25) ? tk_rng_range(r, 1, 2) : 0;
        l.strides[d] = cur;
        cur *= e + pad;
    }
    off = tk_rng_chance(r, 25) ? tk_rng_range(r, 1, 3) : 0;
    for (d = 0; d < nd; d++) {
        if (dims[d] > 1 && tk_rng_chance(r, 25)) {
            off += (dims[d] - 1) * l.strides[d];
            l.strides[d] = -l.strides[d];
        }
    }
    l.offset = off;
    if (tk_count(&l) == 0) {
        l.len = tk_rng_range(r, 0, 2);
        return l;
    }
    tk_reach(&l, &lo, &hi);
    l.len = (int64_t)hi + 1;
    return l;
}

/* ---- the naive reference (docs/SEMANTICS.md §1, §6) ---------------------- */

/* out[oidx] by the definition: the sum over t of x[b, .., t, ..] *
 * y[b, .., t, ..], in double, in ascending t from +0.0, x and y read
 * through their layouts at logical indices; a0, a1 are the normalised
 * axes. Stores the sum of |x*y| in *abs_sum when it is not NULL. For the
 * 16-bit types every product is exact in double (8- or 11-bit
 * significands, exponents far inside double's range), and the sum is
 * compensated (Neumaier): within about 2^-53 |sum| + K^2 2^-106 sum|x*y|
 * of the exact sum, far below the bounds it is compared with. */
static inline double tk_naive_at(tk_dtype t, const batch_dot_layout *x, const void *xd,
                                 const batch_dot_layout *y, const void *yd, int a0, int a1,
                                 const int64_t *oidx, double *abs_sum)
{
    int64_t xi[BATCH_DOT_MAX_NDIM], yi[BATCH_DOT_MAX_NDIM], k;
    int d, j = 1;
    double s = 0.0, a = 0.0, c = 0.0;
    xi[0] = yi[0] = oidx[0];
    for (d = 1; d < x->ndim; d++) {
        if (d != a0) {
            xi[d] = oidx[j++];
        }
    }
    for (d = 1; d < y->ndim; d++) {
        if (d != a1) {
            yi[d] = oidx[j++];
        }
    }
    for (k = 0; k < x->shape[a0]; k++) {
        double p;
        xi[a0] = k;
        yi[a1] = k;
        p = tk_get(t, xd, tk_elem_pos(x, xi)) * tk_get(t, yd, tk_elem_pos(y, yi));
        if (tk_is_16(t) && isfinite(p) && isfinite(s)) {
            double n = s + p; /* Neumaier's TwoSum step */
            c += fabs(s) >= fabs(p) ? (s - n) + p : (p - n) + s;
            s = n;
        } else {
            s += p;
        }
        a += fabs(p);
    }
    if (abs_sum) {
        *abs_sum = a;
    }
    return isfinite(s) ? s + c : s;
}

/* Every output of the call, in row-major order of out's logical index e:
 * value[e], abs_sum[e] (when not NULL) and where[e], the element offset
 * out's layout `o` gives it (when not NULL). The arrays hold tk_count(o). */
static inline void tk_naive(tk_dtype t, const batch_dot_layout *x, const void *xd,
                            const batch_dot_layout *y, const void *yd, int a0, int a1,
                            const batch_dot_layout *o, double *value, double *abs_sum,
                            int64_t *where)
{
    int64_t idx[BATCH_DOT_MAX_NDIM] = {0}, e = 0;
    if (tk_count(o) <= 0) {
        return;
    }
    do {
        value[e] = tk_naive_at(t, x, xd, y, yd, a0, a1, idx, abs_sum ? &abs_sum[e] : NULL);
        if (where) {
            where[e] = tk_elem_pos(o, idx);
        }
        e++;
    } while (tk_next_index(o->ndim, o->shape, idx));
}

/* ---- the integer rows (docs/API.md, "Element types (version 0.2)") ------ */

/* v modulo 2^32 as an int32 (two's complement), written out: the
 * representative in [0, 2^32), then shifted to [-2^31, 2^31). */
static inline int32_t tk_wrap32(int64_t v)
{
    int64_t m = v % ((int64_t)1 << 32);
    if (m < 0) {
        m += (int64_t)1 << 32;
    }
    if (m >= (int64_t)1 << 31) {
        m -= (int64_t)1 << 32;
    }
    return (int32_t)m;
}

/* The exact sum of out's logical element oidx for x of integer type tx and
 * y of type ty (int64: |x*y| <= 2^15, K < 2^48). */
static inline int64_t tk_naive_i64_at(tk_dtype tx, const batch_dot_layout *x, const void *xd,
                                      tk_dtype ty, const batch_dot_layout *y, const void *yd,
                                      int a0, int a1, const int64_t *oidx)
{
    int64_t xi[BATCH_DOT_MAX_NDIM], yi[BATCH_DOT_MAX_NDIM], k, s = 0;
    int d, j = 1;
    xi[0] = yi[0] = oidx[0];
    for (d = 1; d < x->ndim; d++) {
        if (d != a0) {
            xi[d] = oidx[j++];
        }
    }
    for (d = 1; d < y->ndim; d++) {
        if (d != a1) {
            yi[d] = oidx[j++];
        }
    }
    for (k = 0; k < x->shape[a0]; k++) {
        xi[a0] = k;
        yi[a1] = k;
        s += tk_geti(tx, xd, tk_elem_pos(x, xi)) * tk_geti(ty, yd, tk_elem_pos(y, yi));
    }
    return s;
}

/* Every output of an integer call (x of tx, y of ty: (S8, S8) or (U8, S8)),
 * in row-major order of out's logical index e: value[e] the exact sum
 * modulo 2^32 (tk_wrap32), exact[e] the sum itself (when not NULL),
 * where[e] its element offset in out's layout `o` (when not NULL). */
static inline void tk_naive_i32(tk_dtype tx, const batch_dot_layout *x, const void *xd,
                                tk_dtype ty, const batch_dot_layout *y, const void *yd, int a0,
                                int a1, const batch_dot_layout *o, int32_t *value, int64_t *exact,
                                int64_t *where)
{
    int64_t idx[BATCH_DOT_MAX_NDIM] = {0}, e = 0, s;
    if (tk_count(o) <= 0) {
        return;
    }
    do {
        s = tk_naive_i64_at(tx, x, xd, ty, y, yd, a0, a1, idx);
        value[e] = tk_wrap32(s);
        if (exact) {
            exact[e] = s;
        }
        if (where) {
            where[e] = tk_elem_pos(o, idx);
        }
        e++;
    } while (tk_next_index(o->ndim, o->shape, idx));
}

/* docs/API.md: with BATCH_DOT_OPT_SCALE an int32 output takes alpha = 1
 * and beta = 0 (either sign) or 1 only; NaN is neither. */
static inline int tk_int_scale_ok(double alpha, double beta)
{
    return alpha == 1.0 && (beta == 0.0 || beta == 1.0);
}

/* The comparison for sums that are exact (small integer data): got equals
 * the reference rounded to t, a zero has the reference's sign (+0.0), and
 * NaN matches NaN. */
static inline int tk_exact(tk_dtype t, double got, double want)
{
    double w = tk_round_to(t, want);
    if (isnan(w)) {
        return isnan(got);
    }
    return got == w && !signbit(got) == !signbit(w);
}

/* docs/SEMANTICS.md §6: a result of type t over a contraction of length k
 * is right when |got - want| <= (k + 1) * u * sum|x*y|, u the unit roundoff
 * of t (2^-24 for f32, 2^-53 for f64): k roundings in the sum plus the
 * rounding of the exact value to t. NaN must match NaN, and an infinity
 * must be matched exactly. f32 and f64 only (tk_lowp_ok is the check of
 * the 16-bit paths). */
static inline int tk_within_bound(tk_dtype t, double got, double want, double abs_sum, int64_t k)
{
    double u = t == TK_F32 ? 0x1p-24 : 0x1p-53;
    if (isnan(want)) {
        return isnan(got);
    }
    if (isinf(want)) {
        return got == want;
    }
    return fabs(got - want) <= ((double)k + 1.0) * u * abs_sum;
}

/* ---- the check of the 16-bit paths (docs/API.md, "Element types") ------ */

/* The error a 16-bit path (bfloat16 or float16 inputs, f32 products and
 * sums) may make before its final rounding, over a contraction of length k
 * whose products have the absolute sum abs_sum: docs/API.md's
 * 2(k+2) 2^-24 sum|x*y|, plus what no relative bound covers, f32's
 * underflow (each of the k+1 roundings of a sum below 2^-126 may lose up to
 * half its spacing, 2^-150), plus the reference's own error (tk_naive_at:
 * at most 2^-50 sum|x*y| for any k a test uses). */
static inline double tk_lowp_err(int64_t k, double abs_sum)
{
    return 2.0 * ((double)k + 2.0) * 0x1p-24 * abs_sum + ((double)k + 1.0) * 0x1p-149 +
           0x1p-50 * abs_sum;
}

/* Whether got, an output of type out (TK_BF16, TK_F16 or TK_F32, read
 * exactly), is right for a reference value want that the f32 computation
 * may miss by err before its final rounding:
 *   - NaN for NaN, the same infinity for an infinity (an Inf or NaN input);
 *   - an f32 output within err of want, or the infinity that want + err or
 *     want - err rounds to (overflow);
 *   - a 16-bit output equal to the rounding of some value within err of
 *     want: round(want - err) <= got <= round(want + err), since rounding
 *     to nearest even is monotonic (so overflow gives +-Inf, not the
 *     largest finite value, and a truncation shows as soon as err is
 *     below the rounding's half ulp);
 *   - when may_overflow (the f32 partial sums or the scaled value may pass
 *     FLT_MAX and meet Inf - Inf; never when an input makes the sum NaN),
 *     also any Inf or NaN. */
static inline int tk_lowp_check(tk_dtype out, double got, double want, double err,
                                int may_overflow)
{
    double lo, hi;
    if (may_overflow && (isnan(got) || isinf(got))) {
        return 1;
    }
    if (isnan(want)) {
        return isnan(got);
    }
    if (isinf(want)) {
        return got == want;
    }
    if (isnan(got)) {
        return 0;
    }
    lo = tk_round_to(out, want - err);
    hi = tk_round_to(out, want + err);
    if (out == TK_F32 && isfinite(got)) {
        return fabs(got - want) <= err;
    }
    return lo <= got && got <= hi;
}

/* The check of a plain (unscaled) output: want and abs_sum from tk_naive
 * (read with the inputs' 16-bit type), k the contraction length. A sum
 * whose products are all zeros (K = 0 included) is +0.0 exactly: the sum
 * starts from +0.0. */
static inline int tk_lowp_ok(tk_dtype out, double got, double want, double abs_sum, int64_t k)
{
    if (abs_sum == 0.0 && !isnan(want)) {
        return got == 0.0 && !signbit(got);
    }
    return tk_lowp_check(out, got, want, tk_lowp_err(k, abs_sum),
                         isfinite(want) && abs_sum >= 0x1p127);
}

/* The check of a scaled output (BATCH_DOT_OPT_SCALE): v = alpha*s +
 * beta*before computed in f32 with alpha and beta rounded to f32 (beta == 0:
 * before is not read, whatever it holds), within docs/API.md's
 * |alpha| 2(K+2) u sum|x*y| + 2u (|alpha*s| + |beta*before|) (u = 2^-24,
 * plus f32's underflow) before the rounding to out. */
static inline int tk_lowp_scaled_ok(tk_dtype out, double got, double want, double abs_sum,
                                    int64_t k, double alpha, double beta, double before)
{
    double a = tk_round_to(TK_F32, alpha), b = tk_round_to(TK_F32, beta);
    double as = a * want, bo = b == 0.0 ? 0.0 : b * before;
    double v = as + bo;
    double err = fabs(a) * tk_lowp_err(k, abs_sum) + 0x1p-23 * (fabs(as) + fabs(bo)) + 0x1p-148;
    int may_overflow = isfinite(want) && (abs_sum >= 0x1p127 || isinf(a) ||
                                          fabs(a) * abs_sum + fabs(bo) >= 0x1p127);
    if (isnan(err)) { /* 0 * Inf and the like: v is NaN too */
        err = 0.0;
    }
    return tk_lowp_check(out, got, v, err, may_overflow);
}

/* ---- the status oracle (docs/API.md, check order) ----------------------- */

/* Whether the n bytes at p are all zero. Never inlined: a compiler that
 * sees the caller's options object would flag the reads past its type's
 * size, which happen only when struct_size says the caller's buffer is
 * that much larger. */
__attribute__((noinline, unused)) static int tk_all_zero(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* Whether an options struct passes check 2 (docs/API.md, version 0.2):
 * struct_size from 16 (the first version's size) up to 4096 bytes; no flag
 * bit but BATCH_DOT_OPT_SCALE; below 32 (a caller that knows only the
 * first 16 bytes), every byte in [16, struct_size) zero and not the flag;
 * from 32, every byte in [32, struct_size) zero. Nothing past struct_size
 * is read (the caller's struct may be a 16-byte 0.1 one). */
static inline int tk_options_valid(const batch_dot_options *o)
{
    const unsigned char *b = (const unsigned char *)o;
    size_t size;
    uint32_t flags;
    memcpy(&size, b, sizeof size);
    if (size < 16 || size > 4096) {
        return 0;
    }
    memcpy(&flags, b + 12, sizeof flags);
    if ((flags & ~BATCH_DOT_OPT_SCALE) != 0) {
        return 0;
    }
    if (size < sizeof(batch_dot_options)) {
        return flags == 0 && tk_all_zero(b + 16, size - 16);
    }
    return tk_all_zero(b + sizeof(batch_dot_options), size - sizeof(batch_dot_options));
}

/* docs/API.md's "non-overlapping by construction": the dimensions of extent
 * > 1, by increasing |stride|, each |stride| above the span of the smaller. */
static inline int tk_non_overlapping(const batch_dot_layout *l)
{
    tk_i128 s[BATCH_DOT_MAX_NDIM], e[BATCH_DOT_MAX_NDIM], span = 0;
    int n = 0, i, j, d;
    for (d = 0; d < l->ndim; d++) {
        if (l->shape[d] > 1) {
            s[n] = l->strides[d] < 0 ? -(tk_i128)l->strides[d] : (tk_i128)l->strides[d];
            e[n++] = l->shape[d];
        }
    }
    for (i = 1; i < n; i++) { /* insertion sort by |stride| */
        for (j = i; j > 0 && s[j] < s[j - 1]; j--) {
            tk_i128 t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
            t = e[j];
            e[j] = e[j - 1];
            e[j - 1] = t;
        }
    }
    for (i = 0; i < n; i++) {
        if (s[i] <= span) {
            return 0;
        }
        span += (e[i] - 1) * s[i];
    }
    return 1;
}

/* The status batch_dot_infer_shape must return (docs/API.md, checks 1, 3-6
 * and 8), and on OK the result's rank and shape in *ond, os (2 *
 * BATCH_DOT_MAX_NDIM entries). ndim_null, shape_null: whether out_ndim and
 * out_shape are NULL. */
static inline int32_t tk_expect_infer(int32_t xn, const int64_t *xs, int32_t yn, const int64_t *ys,
                                      int64_t ax, int64_t ay, int ndim_null, int shape_null,
                                      int *ond, int64_t *os)
{
    int a0, a1, d;
    int32_t st;
    if ((xs == NULL && xn > 0) || (ys == NULL && yn > 0) || ndim_null || shape_null) {
        return BATCH_DOT_STATUS_NULL_POINTER; /* 1 */
    }
    if (xn < 2 || xn > BATCH_DOT_MAX_NDIM || yn < 2 || yn > BATCH_DOT_MAX_NDIM) {
        return BATCH_DOT_STATUS_INVALID_RANK; /* 3 */
    }
    for (d = 0; d < xn; d++) {
        if (xs[d] < BATCH_DOT_DIM_UNKNOWN) {
            return BATCH_DOT_STATUS_INVALID_SHAPE; /* 4 */
        }
    }
    for (d = 0; d < yn; d++) {
        if (ys[d] < BATCH_DOT_DIM_UNKNOWN) {
            return BATCH_DOT_STATUS_INVALID_SHAPE;
        }
    }
    st = tk_semantics(xn, xs, yn, ys, ax, ay, BATCH_DOT_DIM_UNKNOWN, &a0, &a1, ond, os); /* 5 */
    if (st != BATCH_DOT_STATUS_OK) {
        return st;
    }
    if (*ond > BATCH_DOT_MAX_NDIM) {
        return BATCH_DOT_STATUS_INVALID_RANK; /* 6 */
    }
    if (tk_count_of(xn, xs) < 0 || tk_count_of(yn, ys) < 0 || tk_count_of(*ond, os) < 0) {
        return BATCH_DOT_STATUS_OVERFLOW; /* 8: x, y or the result */
    }
    return BATCH_DOT_STATUS_OK;
}

/* docs/API.md, "Element types": the size in bytes of a dtype code's element
 * (1 float32, 2 float64, 3 float16, 4 bfloat16, 5 int8, 6 uint8, 7 int32),
 * 0 for a code that is none. Restated, not taken from the library. */
static inline size_t tk_dtype_code_size(int32_t code)
{
    static const size_t sizes[8] = {0, 4, 8, 2, 2, 1, 1, 4};
    return code >= 1 && code <= 7 ? sizes[code] : 0;
}

/* docs/API.md, "Element types": the name of a dtype code ("unknown" if none). */
static inline const char *tk_dtype_code_name(int32_t code)
{
    static const char *const names[8] = {"unknown", "float32", "float64", "float16",
                                         "bfloat16", "int8",    "uint8",   "int32"};
    return code >= 1 && code <= 7 ? names[code] : "unknown";
}

/* docs/API.md, "Element types": whether this release runs the combination
 * (x, y, out) of batch_dot_compute: (F32, F32, F32), (F64, F64, F64), the
 * 16-bit rows (BF16, BF16, BF16), (BF16, BF16, F32), (F16, F16, F16),
 * (F16, F16, F32) and the integer rows (S8, S8, S32), (U8, S8, S32): the
 * whole table. Anything else is UNSUPPORTED_DTYPE. */
static inline int tk_dtypes_run(int32_t x, int32_t y, int32_t out)
{
    if ((x == 5 || x == 6) && y == 5 && out == 7) {
        return 1;
    }
    if (x != y) {
        return 0;
    }
    switch (x) {
    case 1: return out == 1;
    case 2: return out == 2;
    case 3: return out == 3 || out == 1;
    case 4: return out == 4 || out == 1;
    default: return 0;
    }
}

/* The checks of docs/API.md, 1-11, with step 1b when dt is not NULL (the
 * dtype codes of a batch_dot_compute call), for elements of size[i] bytes
 * (aligned to their size) in tensor i. */
static inline int32_t tk_expect_sized(const batch_dot_layout *const l[3], int64_t ax, int64_t ay,
                                      const batch_dot_options *opt, const void *const p[3],
                                      const int32_t *dt, const size_t size[3])
{
    int64_t os[2 * BATCH_DOT_MAX_NDIM];
    tk_i128 lo[3], hi[3], sz[3];
    int has[3], i, d, a0, a1, ond;
    int32_t st;
    const tk_i128 mn = INT64_MIN, mx = INT64_MAX;
    for (i = 0; i < 3; i++) { /* 1 */
        sz[i] = (tk_i128)size[i];
        if (l[i] == NULL) {
            return BATCH_DOT_STATUS_NULL_POINTER;
        }
    }
    if (dt != NULL && !tk_dtypes_run(dt[0], dt[1], dt[2])) { /* 1b */
        return BATCH_DOT_STATUS_UNSUPPORTED_DTYPE;
    }
    for (i = 0; i < 3; i++) { /* 2 */
        if (l[i]->flags != 0 || l[i]->len < 0) {
            return BATCH_DOT_STATUS_INVALID_ARGUMENT;
        }
    }
    if (opt != NULL && !tk_options_valid(opt)) {
        return BATCH_DOT_STATUS_INVALID_ARGUMENT;
    }
    /* 2, last: an int32 output's alpha and beta, read only with the flag
     * (a valid struct with the flag has struct_size >= 32). */
    if (dt != NULL && dt[2] == 7 && opt != NULL && (opt->flags & BATCH_DOT_OPT_SCALE) != 0 &&
        !tk_int_scale_ok(opt->alpha, opt->beta)) {
        return BATCH_DOT_STATUS_INVALID_ARGUMENT;
    }
    for (i = 0; i < 3; i++) { /* 3 */
        if (l[i]->ndim < 0 || l[i]->ndim > BATCH_DOT_MAX_NDIM || (i < 2 && l[i]->ndim < 2)) {
            return BATCH_DOT_STATUS_INVALID_RANK;
        }
    }
    for (i = 0; i < 3; i++) { /* 4 */
        for (d = 0; d < l[i]->ndim; d++) {
            if (l[i]->shape[d] < 0) {
                return BATCH_DOT_STATUS_INVALID_SHAPE;
            }
        }
    }
    st = tk_semantics(l[0]->ndim, l[0]->shape, l[1]->ndim, l[1]->shape, ax, ay, INT64_MIN, &a0,
                      &a1, &ond, os); /* 5 */
    if (st != BATCH_DOT_STATUS_OK) {
        return st;
    }
    if (ond > BATCH_DOT_MAX_NDIM) { /* 6 */
        return BATCH_DOT_STATUS_INVALID_RANK;
    }
    if (l[2]->ndim != ond || memcmp(l[2]->shape, os, (size_t)ond * sizeof(int64_t)) != 0) {
        return BATCH_DOT_STATUS_OUTPUT_SHAPE; /* 7 */
    }
    for (i = 0; i < 3; i++) { /* 8 */
        int64_t c = tk_count(l[i]);
        if (c < 0) {
            return BATCH_DOT_STATUS_OVERFLOW;
        }
        has[i] = c > 0;
        if (!has[i]) {
            continue;
        }
        tk_reach(l[i], &lo[i], &hi[i]);
        if (lo[i] < mn || hi[i] > mx || lo[i] * sz[i] < mn || (hi[i] + 1) * sz[i] > mx) {
            return BATCH_DOT_STATUS_OVERFLOW;
        }
    }
    for (i = 0; i < 3; i++) { /* 9 */
        if (has[i] && p[i] == NULL) {
            return BATCH_DOT_STATUS_NULL_POINTER;
        }
        if (has[i] && (uintptr_t)p[i] % size[i] != 0) {
            return BATCH_DOT_STATUS_INVALID_ARGUMENT;
        }
    }
    for (i = 0; i < 3; i++) { /* 10 */
        if (has[i] && (lo[i] < 0 || hi[i] >= l[i]->len)) {
            return BATCH_DOT_STATUS_OUT_OF_BOUNDS;
        }
    }
    if (has[2]) { /* 11 */
        tk_i128 o0 = (tk_i128)(uintptr_t)p[2] + lo[2] * sz[2];
        tk_i128 o1 = (tk_i128)(uintptr_t)p[2] + (hi[2] + 1) * sz[2] - 1;
        if (!tk_non_overlapping(l[2])) {
            return BATCH_DOT_STATUS_ALIASING;
        }
        for (i = 0; i < 2; i++) {
            if (has[i]) {
                tk_i128 b0 = (tk_i128)(uintptr_t)p[i] + lo[i] * sz[i];
                tk_i128 b1 = (tk_i128)(uintptr_t)p[i] + (hi[i] + 1) * sz[i] - 1;
                if (b0 <= o1 && o0 <= b1) {
                    return BATCH_DOT_STATUS_ALIASING;
                }
            }
        }
    }
    return BATCH_DOT_STATUS_OK;
}

/* The status batch_dot_f32/_f64 must return (docs/API.md, checks 1-11) for
 * layouts l (NULL entries allowed), axes, options (NULL for defaults), data
 * pointers p and elements of `size` bytes (aligned to their size). */
static inline int32_t tk_expect_compute(const batch_dot_layout *const l[3], int64_t ax, int64_t ay,
                                        const batch_dot_options *opt, const void *const p[3],
                                        size_t size)
{
    const size_t sizes[3] = {size, size, size};
    return tk_expect_sized(l, ax, ay, opt, p, NULL, sizes);
}

/* The status batch_dot_compute must return (docs/API.md, checks 1, 1b, 2-11)
 * for the dtype codes dt[3]; each tensor's element size is its dtype's; an
 * int32 output takes only alpha = 1, beta = 0 or 1 (check 2). batch_dot_s8
 * is the row {5, 5, 7}. */
static inline int32_t tk_expect_dtyped(const int32_t dt[3], const batch_dot_layout *const l[3],
                                       int64_t ax, int64_t ay, const batch_dot_options *opt,
                                       const void *const p[3])
{
    const size_t sizes[3] = {tk_dtype_code_size(dt[0]), tk_dtype_code_size(dt[1]),
                             tk_dtype_code_size(dt[2])};
    return tk_expect_sized(l, ax, ay, opt, p, dt, sizes);
}

/* ---- buffers -------------------------------------------------------------- */

/* malloc that exits the program (status 2) when memory runs out; n may be 0. */
static inline void *tk_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "testkit: out of memory\n");
        exit(2);
    }
    return p;
}

/* A copy of n bytes (to check later that a buffer was not written). */
static inline void *tk_xdup(const void *src, size_t n)
{
    void *p = tk_xmalloc(n);
    if (n) {
        memcpy(p, src, n);
    }
    return p;
}

/* Sentinels: quiet NaNs with a payload no arithmetic produces, so an element
 * that still holds one was not written. */
#define TK_SENTINEL_F32 UINT32_C(0x7fc5a5a5)
#define TK_SENTINEL_F64 UINT64_C(0x7ff8a5a5a5a5a5a5)
#define TK_SENTINEL_BF16 UINT16_C(0x7fe5)
#define TK_SENTINEL_F16 UINT16_C(0x7e5a)
/* An int32 output's "not written" marker (a valid result too: a check that
 * relies on it knows that no reached output holds it). Inputs need none. */
#define TK_SENTINEL_S32 UINT32_C(0x5a5aa5a5)
#define TK_SENTINEL_I8 UINT8_C(0x80)

/* The sentinel of type t, widened. */
static inline uint64_t tk_sentinel_bits(tk_dtype t)
{
    switch (t) {
    case TK_F64: return TK_SENTINEL_F64;
    case TK_BF16: return TK_SENTINEL_BF16;
    case TK_F16: return TK_SENTINEL_F16;
    case TK_S32: return TK_SENTINEL_S32;
    case TK_S8: case TK_U8: return TK_SENTINEL_I8;
    default: return TK_SENTINEL_F32;
    }
}

/* Puts the sentinel in elements [0, n) of a buffer of type t. */
static inline void tk_fill_sentinel(tk_dtype t, void *buf, int64_t n)
{
    const uint64_t s64 = TK_SENTINEL_F64;
    const uint32_t s32 = (uint32_t)tk_sentinel_bits(t);
    const uint16_t s16 = (uint16_t)tk_sentinel_bits(t);
    const uint8_t s8 = (uint8_t)tk_sentinel_bits(t);
    size_t es = tk_esize(t);
    const void *s = es == 8   ? (const void *)&s64
                    : es == 4 ? (const void *)&s32
                    : es == 2 ? (const void *)&s16
                              : (const void *)&s8;
    int64_t i;
    for (i = 0; i < n; i++) {
        memcpy((unsigned char *)buf + (size_t)i * es, s, es);
    }
}

/* Whether element i still holds the sentinel (bit for bit). */
static inline int tk_is_sentinel(tk_dtype t, const void *buf, int64_t i)
{
    return tk_bits(t, buf, i) == tk_sentinel_bits(t);
}

/* The first element of [0, n) that a call had no right to write (reached[i]
 * is 0, or reached is NULL) but that lost its sentinel; -1 when none. */
static inline int64_t tk_first_touched(tk_dtype t, const void *buf, int64_t n,
                                       const unsigned char *reached)
{
    int64_t i;
    for (i = 0; i < n; i++) {
        if ((reached == NULL || !reached[i]) && !tk_is_sentinel(t, buf, i)) {
            return i;
        }
    }
    return -1;
}

/* Threads of this process (Linux: the Threads: line of /proc/self/status),
 * or -1 when that cannot be read. */
static inline int tk_process_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Threads:", 8) == 0) {
            n = atoi(line + 8);
        }
    }
    fclose(f);
    return n;
}

#endif /* BATCH_DOT_TESTKIT_H */
