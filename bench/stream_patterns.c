/* The access patterns of the streaming kernels (row dots, mat-vec), as plain
 * C loops timed in interleaved rounds against a plain AVX-512 read of the
 * same bytes: which order of reads and which software prefetch reach the
 * memory's bandwidth (docs/PERFORMANCE.md, "Streaming products").
 *
 *   cc -O2 bench/stream_patterns.c -o target/stream_patterns
 *   target/stream_patterns [rounds]           # malloc'd buffers: 4 KiB pages
 *   HUGE=1 target/stream_patterns [rounds]    # madvise(MADV_HUGEPAGE)
 *   K=64 target/stream_patterns               # f's rows of K floats (default 256)
 *
 * f: 1024·(256·K) floats (268 MB at K = 256) times a vector per matrix;
 * e: 10⁶ dots of rows of 16 floats. Needs AVX-512F (it says so and exits
 * otherwise). Medians over the rounds; "× read" is the plain read's time
 * over the variant's (> 1: the variant moves the bytes faster).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static void *alloc(size_t n) {
    size_t a = 2u << 20, sz = (n + a - 1) / a * a;
    void *p = aligned_alloc(a, sz);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    if (getenv("HUGE")) madvise(p, sz, MADV_HUGEPAGE);
    return p;
}

static int B = 1024, M = 256, K = 256;  /* f: B matrices M×K */
static const size_t N = 1000000;        /* e: N dots of 16 */
static float *x, *y, *o, *ex, *ey, *eo;
static volatile float sink;

__attribute__((target("avx512f"))) static float red(__m512 v) { return _mm512_reduce_add_ps(v); }

/* A plain read of f's matrices (sum of every element). */
__attribute__((target("avx512f"))) static void f_read(void) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t n = (size_t)B * M * K;
    for (size_t i = 0; i < n; i += 64) {
        s0 = _mm512_add_ps(_mm512_load_ps(x + i), s0);
        s1 = _mm512_add_ps(_mm512_load_ps(x + i + 16), s1);
        s2 = _mm512_add_ps(_mm512_load_ps(x + i + 32), s2);
        s3 = _mm512_add_ps(_mm512_load_ps(x + i + 48), s3);
    }
    sink += red(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

/* Mat-vec, R rows at a time sharing the vector's loads; each step over two
 * vectors prefetches the same place PF bytes ahead in every row (0: none). */
#define ROWS(NAME, R, PF, HINT)                                                              \
    __attribute__((target("avx512f"))) static void NAME(void) {                             \
        for (int b = 0; b < B; b++) {                                                        \
            const float *a = x + (size_t)b * M * K, *v = y + (size_t)b * K;                  \
            for (int i = 0; i < M; i += R) {                                                 \
                __m512 a0[R], a1[R];                                                         \
                for (int r = 0; r < R; r++) a0[r] = a1[r] = _mm512_setzero_ps();             \
                for (int t = 0; t < K; t += 32) {                                            \
                    __m512 b0 = _mm512_loadu_ps(v + t), b1 = _mm512_loadu_ps(v + t + 16);    \
                    for (int r = 0; r < R; r++) {                                            \
                        const float *p = a + (size_t)(i + r) * K + t;                        \
                        if (PF) {                                                            \
                            _mm_prefetch((const char *)p + PF, HINT);                        \
                            _mm_prefetch((const char *)p + PF + 64, HINT);                   \
                        }                                                                    \
                        a0[r] = _mm512_fmadd_ps(_mm512_loadu_ps(p), b0, a0[r]);              \
                        a1[r] = _mm512_fmadd_ps(_mm512_loadu_ps(p + 16), b1, a1[r]);         \
                    }                                                                        \
                }                                                                            \
                for (int r = 0; r < R; r++) o[(size_t)b * M + i + r] = red(_mm512_add_ps(a0[r], a1[r])); \
            }                                                                                \
        }                                                                                    \
    }
ROWS(f4_l1_4k, 4, 4096, _MM_HINT_T0)
ROWS(f4_none, 4, 0, _MM_HINT_T0)
ROWS(f4_l2_16k, 4, 16384, _MM_HINT_T1)
ROWS(f1_none, 1, 0, _MM_HINT_T0)

/* Mat-vec one row at a time, one line per row prefetched PF bytes ahead. */
#define SPARSE(NAME, PF, HINT)                                                               \
    __attribute__((target("avx512f"))) static void NAME(void) {                             \
        for (int b = 0; b < B; b++) {                                                        \
            const float *a = x + (size_t)b * M * K, *v = y + (size_t)b * K;                  \
            for (int i = 0; i < M; i++) {                                                    \
                const float *p = a + (size_t)i * K;                                          \
                _mm_prefetch((const char *)p + PF, HINT);                                    \
                __m512 a0 = _mm512_setzero_ps(), a1 = a0;                                    \
                for (int t = 0; t < K; t += 32) {                                            \
                    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(p + t), _mm512_loadu_ps(v + t), a0); \
                    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(p + t + 16), _mm512_loadu_ps(v + t + 16), a1); \
                }                                                                            \
                o[(size_t)b * M + i] = red(_mm512_add_ps(a0, a1));                           \
            }                                                                                \
        }                                                                                    \
    }
SPARSE(f1_l2_16k, 16384, _MM_HINT_T1)
SPARSE(f1_l1_8k, 8192, _MM_HINT_T0)

/* A plain read of e's two inputs (their dot). */
__attribute__((target("avx512f"))) static void e_read(void) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    for (size_t i = 0; i < N * 16; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_load_ps(ex + i), _mm512_load_ps(ey + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_load_ps(ex + i + 16), _mm512_load_ps(ey + i + 16), s1);
    }
    sink += red(_mm512_add_ps(s0, s1));
}
/* Row dots; every EVERY-th row prefetches a line of x and y PF bytes ahead. */
#define DOTS(NAME, PF, HINT, EVERY)                                                          \
    __attribute__((target("avx512f"))) static void NAME(void) {                             \
        for (size_t i = 0; i < N; i++) {                                                     \
            const float *a = ex + i * 16, *b = ey + i * 16;                                  \
            if (PF && i % EVERY == 0) {                                                      \
                _mm_prefetch((const char *)a + PF, HINT);                                    \
                _mm_prefetch((const char *)b + PF, HINT);                                    \
            }                                                                                \
            eo[i] = red(_mm512_mul_ps(_mm512_loadu_ps(a), _mm512_loadu_ps(b)));              \
        }                                                                                    \
    }
DOTS(e_none, 0, _MM_HINT_T0, 1)
DOTS(e_l1_4k_each, 4096, _MM_HINT_T0, 1)
DOTS(e_l2_16k_every4, 16384, _MM_HINT_T1, 4)

typedef struct { const char *name, *what; void (*f)(void); int e; } Variant;
static const Variant V[] = {
    {"f_read", "f: plain read of the matrices", f_read, 0},
    {"f4_l1_4k", "f: 4 rows at a time, every line 4 KiB ahead into L1 (old kernel)", f4_l1_4k, 0},
    {"f4_none", "f: 4 rows at a time, no prefetch", f4_none, 0},
    {"f4_l2_16k", "f: 4 rows at a time, every line 16 KiB ahead into L2", f4_l2_16k, 0},
    {"f1_none", "f: one row at a time, no prefetch", f1_none, 0},
    {"f1_l1_8k", "f: one row at a time, a line per row 8 KiB ahead into L1", f1_l1_8k, 0},
    {"f1_l2_16k", "f: one row at a time, a line per row 16 KiB ahead into L2 (kept)", f1_l2_16k, 0},
    {"e_read", "e: plain read of x and y", e_read, 1},
    {"e_l1_4k_each", "e: a line of x and y per row 4 KiB ahead into L1 (old kernel)", e_l1_4k_each, 1},
    {"e_none", "e: no prefetch", e_none, 1},
    {"e_l2_16k_every4", "e: a line of x and y every 4 rows 16 KiB ahead into L2 (kept)", e_l2_16k_every4, 1},
};
#define NV (int)(sizeof V / sizeof V[0])

static int cmpd(const void *a, const void *b) {
    double p = *(const double *)a, q = *(const double *)b;
    return (p > q) - (p < q);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (rounds < 1 || rounds > 64) rounds = 7;
    if (!__builtin_cpu_supports("avx512f")) { fprintf(stderr, "needs AVX-512F\n"); return 0; }
    if (getenv("K")) K = atoi(getenv("K"));
    if (K < 32 || K % 32) { fprintf(stderr, "K: a multiple of 32\n"); return 2; }
    M = 256 * 256 / K;
    size_t nx = (size_t)B * M * K;
    x = alloc(nx * 4); y = alloc((size_t)B * K * 4); o = alloc((size_t)B * M * 4);
    ex = alloc(N * 64); ey = alloc(N * 64); eo = alloc(N * 4);
    for (size_t i = 0; i < nx; i++) x[i] = (float)(i % 7) * 0.25f;
    for (size_t i = 0; i < (size_t)B * K; i++) y[i] = (float)(i % 5) * 0.5f;
    for (size_t i = 0; i < N * 16; i++) { ex[i] = (float)(i % 7) * 0.25f; ey[i] = (float)(i % 5) * 0.5f; }
    static double t[NV][64];
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < NV; j++) {
            double t0 = now();
            V[j].f();
            t[j][r] = now() - t0;
        }
    double med[NV];
    for (int j = 0; j < NV; j++) { qsort(t[j], rounds, sizeof(double), cmpd); med[j] = t[j][rounds / 2]; }
    printf("# %s pages, f rows of %d floats, %d rounds: median ms, GB/s, × read\n", getenv("HUGE") ? "huge" : "4 KiB", K, rounds);
    for (int j = 0; j < NV; j++) {
        double bytes = V[j].e ? (double)N * 128 : (double)nx * 4, ref = med[V[j].e ? 7 : 0];
        printf("%-16s %8.2f ms %6.1f GB/s  %.2f  %s\n", V[j].name, med[j] * 1e3, bytes / med[j] / 1e9, ref / med[j], V[j].what);
    }
    return 0;
}
