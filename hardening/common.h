/*
 * Shared helpers of the hardening programs (guard_pages.c, threads.c): a
 * PRNG, random layouts of small logical tensors, an independent naive
 * batch_dot in C, and an independent statement of API.md's checks 8, 10 and
 * 11 for calls whose shapes and axes are valid.
 */
#ifndef HARDENING_COMMON_H
#define HARDENING_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_dot.h"

/* ---- PRNG (SplitMix64) ------------------------------------------------- */

typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline int64_t rng_range(rng_t *r, int64_t lo, int64_t hi) { /* lo..=hi */
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}
static inline int rng_chance(rng_t *r, int percent) { return (int)(rng_next(r) % 100) < percent; }

/* ---- layouts ----------------------------------------------------------- */

typedef __int128 i128;

/* Inclusive element range a layout with elements reaches (i128, no overflow). */
static inline void reach(const batch_dot_layout *l, i128 *lo, i128 *hi) {
    *lo = *hi = l->offset;
    for (int d = 0; d < l->ndim; d++) {
        if (l->shape[d] > 1) {
            i128 span = (i128)(l->shape[d] - 1) * l->strides[d];
            if (span < 0) *lo += span; else *hi += span;
        }
    }
}

static inline int64_t count(const batch_dot_layout *l) {
    int64_t c = 1;
    for (int d = 0; d < l->ndim; d++) c *= l->shape[d]; /* small shapes only */
    return c;
}

/* A layout for dims: random storage order, padding, negative strides, stride
   0 on inputs (broadcast), junk strides on unit dims, an offset; len is
   exactly one past the highest element reached (tight). */
static inline batch_dot_layout arrange(rng_t *r, int nd, const int64_t *dims, int input) {
    batch_dot_layout l;
    memset(&l, 0, sizeof l);
    l.ndim = nd;
    int order[BATCH_DOT_MAX_NDIM];
    for (int i = 0; i < nd; i++) order[i] = nd - 1 - i; /* innermost first */
    if (rng_chance(r, 40))
        for (int i = nd - 1; i > 0; i--) {
            int j = (int)rng_range(r, 0, i);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
    int64_t cur = 1;
    for (int k = 0; k < nd; k++) {
        int d = order[k];
        int64_t e = dims[d];
        l.shape[d] = e;
        if (e <= 1) {
            static const int64_t junk[] = {0, 1, -1, INT64_MAX, INT64_MIN, 12345};
            l.strides[d] = rng_chance(r, 30) ? junk[rng_next(r) % 6] : cur;
            continue;
        }
        if (input && rng_chance(r, 10)) { l.strides[d] = 0; continue; }
        int64_t pad = rng_chance(r, 25) ? rng_range(r, 1, 2) : 0;
        l.strides[d] = cur;
        cur *= e + pad;
    }
    int64_t off = rng_chance(r, 25) ? rng_range(r, 1, 3) : 0;
    for (int d = 0; d < nd; d++)
        if (dims[d] > 1 && rng_chance(r, 25)) {
            off += (dims[d] - 1) * l.strides[d];
            l.strides[d] = -l.strides[d];
        }
    l.offset = off;
    if (count(&l) == 0) { l.len = rng_range(r, 0, 2); return l; }
    i128 lo, hi;
    reach(&l, &lo, &hi);
    l.len = (int64_t)hi + 1;
    return l;
}

/* ---- shapes and axes --------------------------------------------------- */

/* A valid call: x (n dims), y (m dims), axes args and their normalised
   values, the result shape. Extents small so the work stays small. */
typedef struct {
    int n, m, a0, a1, on;
    int64_t x[BATCH_DOT_MAX_NDIM], y[BATCH_DOT_MAX_NDIM], o[BATCH_DOT_MAX_NDIM];
    int64_t ax, ay;
} shapes_t;

static inline int64_t small_ext(rng_t *r) {
    uint64_t v = rng_next(r) % 16;
    return v == 0 ? 0 : v < 6 ? 1 : v < 11 ? 2 : v < 14 ? 3 : 4;
}

static inline void gen_shapes(rng_t *r, shapes_t *s, int min_rank, int max_rank) {
    s->n = (int)rng_range(r, min_rank, max_rank);
    s->m = (int)rng_range(r, min_rank, max_rank);
    int64_t b = small_ext(r);
    s->x[0] = s->y[0] = b;
    for (int i = 1; i < s->n; i++) s->x[i] = small_ext(r);
    for (int j = 1; j < s->m; j++) s->y[j] = small_ext(r);
    switch (rng_next(r) % 3) {
    case 0: /* axes=None */
        s->a0 = s->n - 1;
        s->a1 = s->m == 2 ? 1 : s->m - 2;
        s->ax = s->ay = BATCH_DOT_AXIS_DEFAULT;
        break;
    default:
        s->a0 = (int)rng_range(r, 1, s->n - 1);
        s->a1 = (int)rng_range(r, 1, s->m - 1);
        s->ax = rng_chance(r, 30) ? s->a0 - s->n : s->a0;
        s->ay = rng_chance(r, 30) ? s->a1 - s->m : s->a1;
    }
    int64_t k = small_ext(r);
    s->x[s->a0] = s->y[s->a1] = k;
    if (rng_chance(r, 20)) {
        /* Bigger extents (SIMD widths, blocking, tails), total kept small. */
        for (int i = 1; i < s->n; i++) if (rng_chance(r, 35)) s->x[i] = rng_range(r, 5, 40);
        for (int j = 1; j < s->m; j++) if (rng_chance(r, 35)) s->y[j] = rng_range(r, 5, 40);
        s->y[s->a1] = s->x[s->a0];
        for (;;) {
            int64_t cx = 1, cy = 1;
            for (int i = 0; i < s->n; i++) cx *= s->x[i];
            for (int j = 0; j < s->m; j++) cy *= s->y[j];
            if (cx <= 4096 && cy <= 4096 && cx / (s->x[s->a0] ? s->x[s->a0] : 1) * cy <= 1 << 16) break;
            int64_t *big = &s->x[0];
            for (int i = 0; i < s->n; i++) if (s->x[i] > *big) big = &s->x[i];
            for (int j = 0; j < s->m; j++) if (s->y[j] > *big) big = &s->y[j];
            *big = (*big + 1) / 2;
            s->y[0] = s->x[0];
            s->y[s->a1] = s->x[s->a0] = s->x[s->a0] < s->y[s->a1] ? s->x[s->a0] : s->y[s->a1];
        }
    }
    s->on = 0;
    s->o[s->on++] = s->x[0];
    for (int i = 1; i < s->n; i++) if (i != s->a0) s->o[s->on++] = s->x[i];
    for (int j = 1; j < s->m; j++) if (j != s->a1) s->o[s->on++] = s->y[j];
    if (s->on == 1) s->o[s->on++] = 1;
}

/* A large call, enough work for the library to use several threads:
   x (B, M, K) · y (B, K, N), axes None or (2, 1) or (-1, -2). */
static inline void gen_large(rng_t *r, shapes_t *s) {
    s->n = s->m = 3;
    int64_t b = rng_range(r, 1, 4), m = rng_range(r, 48, 160), k = rng_range(r, 32, 128), n = rng_range(r, 48, 160);
    s->x[0] = s->y[0] = b;
    s->x[1] = m;
    s->x[2] = s->y[1] = k;
    s->y[2] = n;
    s->a0 = 2;
    s->a1 = 1;
    switch (rng_next(r) % 3) {
    case 0: s->ax = s->ay = BATCH_DOT_AXIS_DEFAULT; break;
    case 1: s->ax = 2; s->ay = 1; break;
    default: s->ax = -1; s->ay = -2;
    }
    s->on = 3;
    s->o[0] = b;
    s->o[1] = m;
    s->o[2] = n;
}

/* Number of threads of this process (from /proc/self/status), or -1. */
static inline int process_threads(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Threads:", 8) == 0) n = atoi(line + 8);
    fclose(f);
    return n;
}

/* ---- naive batch_dot (SPEC.md §1) -------------------------------------- */

/* out[b, i..., j...] = sum_t x[b, i.. t ..] * y[b, t, j..], in double, on
   logical indices; `get` reads element `off` of a tensor. Calls `put` for
   every output element with its element offset in out's buffer. */
static inline int64_t elem_off(const batch_dot_layout *l, const int64_t *idx) {
    int64_t off = l->offset;
    for (int d = 0; d < l->ndim; d++) if (l->shape[d] > 1) off += idx[d] * l->strides[d];
    return off;
}

#define DEFINE_NAIVE(T)                                                                      \
    static inline void naive_##T(const shapes_t *s, const batch_dot_layout *xl, const T *xd, \
                                 const batch_dot_layout *yl, const T *yd,                    \
                                 const batch_dot_layout *ol, double *want, int64_t *where) { \
        int64_t oi[BATCH_DOT_MAX_NDIM] = {0}, xi[BATCH_DOT_MAX_NDIM], yi[BATCH_DOT_MAX_NDIM]; \
        int64_t total = count(ol), e = 0;                                                    \
        for (; e < total; e++) {                                                             \
            int p = 1;                                                                       \
            xi[0] = yi[0] = oi[0];                                                           \
            for (int i = 1; i < s->n; i++) if (i != s->a0) xi[i] = oi[p++];                  \
            for (int j = 1; j < s->m; j++) if (j != s->a1) yi[j] = oi[p++];                  \
            double acc = 0.0;                                                                \
            for (int64_t t = 0; t < s->x[s->a0]; t++) {                                      \
                xi[s->a0] = t; yi[s->a1] = t;                                                \
                acc += (double)xd[elem_off(xl, xi)] * (double)yd[elem_off(yl, yi)];          \
            }                                                                                \
            want[e] = acc;                                                                   \
            where[e] = elem_off(ol, oi);                                                     \
            for (int d = ol->ndim - 1; d >= 0; d--) {                                        \
                if (++oi[d] < ol->shape[d]) break;                                           \
                oi[d] = 0;                                                                   \
            }                                                                                \
        }                                                                                    \
    }
DEFINE_NAIVE(float)
DEFINE_NAIVE(double)

/* ---- API.md checks 8, 10, 11 for calls with valid shapes and axes ------ */

static inline int expect_status(const batch_dot_layout *l[3], const void *p[3], size_t size) {
    i128 lo[3], hi[3];
    int has[3];
    for (int i = 0; i < 3; i++) { /* 8: overflow (counts are small here) */
        has[i] = count(l[i]) > 0;
        if (!has[i]) continue;
        reach(l[i], &lo[i], &hi[i]);
        i128 mx = INT64_MAX, mn = INT64_MIN;
        if (lo[i] < mn || hi[i] > mx || lo[i] * (i128)size < mn || (hi[i] + 1) * (i128)size > mx)
            return BATCH_DOT_STATUS_OVERFLOW;
    }
    for (int i = 0; i < 3; i++) /* 9 */
        if (has[i] && p[i] == NULL) return BATCH_DOT_STATUS_NULL_POINTER;
    for (int i = 0; i < 3; i++) /* 10 */
        if (has[i] && (lo[i] < 0 || hi[i] >= l[i]->len)) return BATCH_DOT_STATUS_OUT_OF_BOUNDS;
    if (has[2]) { /* 11 */
        const batch_dot_layout *o = l[2];
        i128 s[BATCH_DOT_MAX_NDIM], e[BATCH_DOT_MAX_NDIM];
        int n = 0;
        for (int d = 0; d < o->ndim; d++)
            if (o->shape[d] > 1) {
                s[n] = o->strides[d] < 0 ? -(i128)o->strides[d] : o->strides[d];
                e[n++] = o->shape[d];
            }
        for (int i = 1; i < n; i++) /* insertion sort by |stride| */
            for (int j = i; j > 0 && s[j] < s[j - 1]; j--) {
                i128 t = s[j]; s[j] = s[j - 1]; s[j - 1] = t;
                t = e[j]; e[j] = e[j - 1]; e[j - 1] = t;
            }
        i128 span = 0;
        for (int i = 0; i < n; i++) {
            if (s[i] <= span) return BATCH_DOT_STATUS_ALIASING;
            span += (e[i] - 1) * s[i];
        }
        i128 o0 = (i128)(uintptr_t)p[2] + lo[2] * (i128)size;
        i128 o1 = (i128)(uintptr_t)p[2] + (hi[2] + 1) * (i128)size - 1;
        for (int i = 0; i < 2; i++) {
            if (!has[i]) continue;
            i128 a0 = (i128)(uintptr_t)p[i] + lo[i] * (i128)size;
            i128 a1 = (i128)(uintptr_t)p[i] + (hi[i] + 1) * (i128)size - 1;
            if (a0 <= o1 && o0 <= a1) return BATCH_DOT_STATUS_ALIASING;
        }
    }
    return BATCH_DOT_STATUS_OK;
}

#endif
