/* Calls with gaps between them, as an engine makes them (docs/PERFORMANCE.md,
 * "Threads between calls"): median µs per batch_dot_f32 call (batch_dot_f64
 * for a64, b64, c64) at num_threads 1 and 2, back to back and after gaps of
 * 20 µs, 200 µs, 2 ms and 20 ms spent either computing on the calling
 * thread (busy) or asleep (idle, clock_nanosleep). The 1- and 2-thread
 * blocks alternate within each round, so both see the same machine. Only
 * the call itself is timed.
 *
 * Optional columns, in the same rounds:
 *   --mkl: Intel MKL (libmkl_rt, `pip install mkl`) at 1 and 2 threads,
 *          cblas_sgemm_batch_strided / cblas_sgemv_batch_strided
 *          (cblas_dgemm_batch_strided for a64, b64, c64; "–" if absent),
 *          back to back, against our back-to-back time, after a check that
 *          its output agrees with ours; left out when libmkl_rt cannot be
 *          loaded, and for g3 (a strided contraction axis, which BLAS cannot
 *          take) and o. MKL's OpenMP threads spin after a call, so every
 *          MKL block is followed by a 0.3 s pause.
 *   e and f: a plain streaming read of the same bytes (sum of x·y for e,
 *          sum of x and of y for f), on 1 and 2 threads.
 *   peak: the f32 FMA peak of one core (12 independent zmm FMA chains), for
 *          the "% of peak" of the compute cases (half of it for f64).
 *   f64 ÷ f32: for a64, b64, c64, the speed of f64 over that of the same
 *          case in f32 (a, b, c), back to back, at 1 and 2 threads: the
 *          f32 twin is timed in every round beside the f64 case, and the
 *          figure is the median over the rounds of the round's ratio
 *          (target: ≥ 0.45 at 1 thread).
 *
 * Cases: those of bench/bench_batch_dot.py (docs/PERFORMANCE.md, "The
 * benchmark suite"), f32; g1, g2 and g3 are views of a larger x buffer
 * (g1 base[:, ::2, :] of (96,128,64), g2 base.transpose(0,2,1) of
 * (8,512,512), g3 base[:, :, ::2] of (96,64,128)), given to the library
 * with their element strides; a64, b64 and c64 are a, b and c in f64.
 *
 * Build and run (the library is loaded with dlopen, so that any build can
 * be measured, and MKL is found at run time):
 *
 *   cargo build --release
 *   cc -O2 -Wall -Wextra bench/gaps.c -Iinclude -ldl -lpthread -lm -o target/gaps
 *   target/gaps                               # every case, every gap
 *   target/gaps --cases a,b --gaps b2b,idle200,idle2000 --rounds 7
 *   target/gaps --cases a64,b64,c64 --gaps b2b --rounds 11   # f64 ÷ f32
 *   target/gaps --lib other/libbatch_dot.so --mkl "$(python3 -c 'import sys;print(sys.prefix)')/lib/libmkl_rt.so.3"
 *   bench/gaps.sh [args]                      # builds both, finds MKL if installed
 *
 * Options: --lib PATH (default target/release/libbatch_dot.so), --cases
 * a,a2,b,c,d1,d2,e,f,g1,g2,g3,o,a64,b64,c64 (default: all, in this order),
 * --gaps b2b,busy20,...,idle20000 (µs), --rounds N (default 5), --budget
 * MS (time per block, default 40), --mkl PATH, --no-stream, --smoke (tiny
 * batches, 1 round, a block may be 1 call: checks that every case runs),
 * --max-others PCT: a round during which other processes used more than
 * PCT % of the machine's CPU time (from /proc/stat, minus this process's
 * own) is run again, up to 4 × rounds times (default 100: never).
 */
#define _GNU_SOURCE
#include <batch_dot.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <immintrin.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- the library, through dlopen ---- */
typedef int32_t (*f32_fn)(const batch_dot_layout *, const float *, const batch_dot_layout *, const float *,
                          int64_t, int64_t, const batch_dot_layout *, float *, const batch_dot_options *);
typedef int32_t (*f64_fn)(const batch_dot_layout *, const double *, const batch_dot_layout *, const double *,
                          int64_t, int64_t, const batch_dot_layout *, double *, const batch_dot_options *);
typedef int32_t (*init_fn)(batch_dot_layout *, int32_t, const int64_t *);
static f32_fn bd_f32;
static f64_fn bd_f64;
static init_fn bd_init;

/* ---- MKL (optional) ---- */
enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
typedef void (*sgemm_bs_fn)(int, int, int, int64_t, int64_t, int64_t, float, const float *, int64_t, int64_t,
                            const float *, int64_t, int64_t, float, float *, int64_t, int64_t, int64_t);
typedef void (*dgemm_bs_fn)(int, int, int, int64_t, int64_t, int64_t, double, const double *, int64_t, int64_t,
                            const double *, int64_t, int64_t, double, double *, int64_t, int64_t, int64_t);
typedef void (*sgemv_bs_fn)(int, int, int64_t, int64_t, float, const float *, int64_t, int64_t, const float *,
                            int64_t, int64_t, float, float *, int64_t, int64_t, int64_t);
typedef void (*mkl_threads_fn)(int);
static sgemm_bs_fn mkl_gemm;
static dgemm_bs_fn mkl_dgemm; /* optional: the f64 cases' column */
static sgemv_bs_fn mkl_gemv;
static mkl_threads_fn mkl_set_threads;

/* ---- cases ---- */
typedef struct {
    const char *id;
    int xn, yn;
    int64_t xs[3], ys[3];
    int64_t ax, ay;
    /* MKL form: gemm (m,n,k, transposed B) or gemv (m,n) */
    int kind; /* 0 gemm, 1 gemv, 2 none */
    int64_t m, n, k;
    int bt;
    int compute; /* GF/s (1) or GB/s (0) */
    int f64;     /* batch_dot_f64 (and cblas_dgemm_batch_strided) */
    /* x as a view of a larger base buffer (g1-g3): the base's shape (its
     * batch is xs[0]) and x's element strides in it; xb[0] == 0: x is
     * contiguous. For gemm, A's transposition, lda and batch stride
     * (at = 0, lda = 0: the packed m x k default). */
    int64_t xb[3], xst[3];
    int at;
    int64_t lda, sa;
} Case;

/* `.f64 = ...` ends each row: the fields after the ones given are 0 (and
 * -Wextra does not ask for them). */
static Case CASES[] = {
    {"a", 3, 3, {96, 64, 64}, {96, 64, 64}, 2, 2, 0, 64, 64, 64, 1, 1, .f64 = 0},
    {"a2", 3, 3, {96, 128, 64}, {96, 128, 64}, 2, 2, 0, 128, 128, 64, 1, 1, .f64 = 0},
    {"b", 3, 3, {96, 128, 128}, {96, 128, 64}, 2, 1, 0, 128, 64, 128, 0, 1, .f64 = 0},
    {"c", 3, 3, {8, 512, 512}, {8, 512, 512}, 2, 1, 0, 512, 512, 512, 0, 1, .f64 = 0},
    {"d1", 3, 3, {4096, 4, 4}, {4096, 4, 4}, 2, 1, 0, 4, 4, 4, 0, 0, .f64 = 0},
    {"d2", 3, 3, {10000, 8, 8}, {10000, 8, 8}, 2, 1, 0, 8, 8, 8, 0, 0, .f64 = 0},
    {"e", 2, 2, {1000000, 16}, {1000000, 16}, 1, 1, 0, 1, 1, 16, 1, 0, .f64 = 0},
    {"f", 3, 2, {1024, 256, 256}, {1024, 256}, 2, 1, 1, 256, 256, 0, 0, 0, .f64 = 0},
    /* g1: base[:, ::2, :]: rows 128 floats apart (lda 128) */
    {"g1", 3, 3, {96, 64, 64}, {96, 64, 64}, 2, 2, 0, 64, 64, 64, 1, 1,
     .xb = {96, 128, 64}, .xst = {128 * 64, 2 * 64, 1}, .lda = 128, .sa = 128 * 64},
    /* g2: base.transpose(0,2,1): A transposed, lda 512 */
    {"g2", 3, 3, {8, 512, 512}, {8, 512, 512}, 2, 1, 0, 512, 512, 512, 0, 1,
     .xb = {8, 512, 512}, .xst = {512 * 512, 1, 512}, .at = 1, .lda = 512, .sa = 512 * 512},
    /* g3: base[:, :, ::2]: the contraction axis is strided, no BLAS form */
    {"g3", 3, 3, {96, 64, 64}, {96, 64, 64}, 2, 2, 2, 0, 0, 0, 0, 1,
     .xb = {96, 64, 128}, .xst = {64 * 128, 128, 2}},
    {"o", 2, 2, {1, 4}, {1, 4}, 1, 1, 2, 0, 0, 0, 0, 0, .f64 = 0},
    {"a64", 3, 3, {96, 64, 64}, {96, 64, 64}, 2, 2, 0, 64, 64, 64, 1, 1, .f64 = 1},
    {"b64", 3, 3, {96, 128, 128}, {96, 128, 64}, 2, 1, 0, 128, 64, 128, 0, 1, .f64 = 1},
    {"c64", 3, 3, {8, 512, 512}, {8, 512, 512}, 2, 1, 0, 512, 512, 512, 0, 1, .f64 = 1},
};
#define NCASES (int)(sizeof CASES / sizeof CASES[0])

typedef struct {
    Case c;
    int64_t batch, xe, ye, oe; /* xe: x's buffer (its base for g1-g3) */
    size_t es;                 /* element size: 4 or 8 */
    void *x, *y, *o, *o2;
    batch_dot_layout xl, yl, ol;
    double flops, bytes;
} Prob;

static int64_t prod(const int64_t *s, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= s[i];
    return p;
}

static void *falloc(int64_t n, size_t es) {
    void *p = aligned_alloc(64, ((size_t)n * es + 63) / 64 * 64);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}
/* Element i of an f32 or f64 buffer. */
static double elem(const Prob *p, const void *v, int64_t i) {
    return p->es == 8 ? ((const double *)v)[i] : (double)((const float *)v)[i];
}
/* Pseudo-random values in [-1, 1), multiples of 1/512 (exact in f32). */
static void fill(void *v, int64_t n, size_t es, unsigned *s) {
    for (int64_t i = 0; i < n; i++) {
        *s = *s * 1103515245u + 12345u;
        float r = (float)((*s >> 9) & 1023) / 512.0f - 1.0f;
        if (es == 8) ((double *)v)[i] = r;
        else ((float *)v)[i] = r;
    }
}

static void setup(Prob *p, const Case *c, int smoke) {
    memset(p, 0, sizeof *p);
    p->c = *c;
    if (smoke && strcmp(c->id, "o") != 0) {
        p->c.xs[0] = p->c.ys[0] = c->xs[0] / 64 > 2 ? c->xs[0] / 64 : 2;
        if (c->xb[0]) p->c.xb[0] = p->c.xs[0];
    }
    Case *k = &p->c;
    p->batch = k->xs[0];
    p->es = k->f64 ? 8 : 4;
    p->xe = k->xb[0] ? prod(k->xb, k->xn) : prod(k->xs, k->xn);
    p->ye = prod(k->ys, k->yn);
    int64_t os[3];
    int on = 0;
    os[on++] = k->xs[0];
    for (int i = 1; i < k->xn; i++) if (i != k->ax) os[on++] = k->xs[i];
    for (int i = 1; i < k->yn; i++) if (i != k->ay) os[on++] = k->ys[i];
    if (on == 1) os[on++] = 1; /* Keras: rank-1 results become (batch, 1) */
    p->oe = prod(os, on);
    p->x = falloc(p->xe, p->es);
    p->y = falloc(p->ye, p->es);
    p->o = falloc(p->oe, p->es);
    p->o2 = falloc(p->oe, p->es);
    unsigned s = 12345;
    fill(p->x, p->xe, p->es, &s);
    fill(p->y, p->ye, p->es, &s);
    memset(p->o, 0, p->oe * p->es);
    memset(p->o2, 0, p->oe * p->es);
    if (bd_init(&p->xl, k->xn, k->xs) || bd_init(&p->yl, k->yn, k->ys) || bd_init(&p->ol, on, os)) {
        fprintf(stderr, "layout init failed for %s\n", k->id);
        exit(2);
    }
    if (k->xb[0]) {
        /* the view: x's shape, its strides in the base, the base's length */
        for (int i = 0; i < k->xn; i++) p->xl.strides[i] = k->xst[i];
        p->xl.len = p->xe;
    }
    int64_t kk = k->xs[k->ax];
    p->flops = 2.0 * (double)p->oe * (double)kk;
    p->bytes = (double)p->es * (double)(prod(k->xs, k->xn) + p->ye + p->oe);
}

static void freep(Prob *p) { free(p->x); free(p->y); free(p->o); free(p->o2); }

static void ours(Prob *p, unsigned nt) {
    /* Plain call; the zeroed tail (alpha, beta) is valid for any build. */
    batch_dot_options opt = {.struct_size = sizeof(batch_dot_options), .num_threads = nt};
    int32_t st = p->c.f64 ? bd_f64(&p->xl, p->x, &p->yl, p->y, p->c.ax, p->c.ay, &p->ol, p->o, &opt)
                          : bd_f32(&p->xl, p->x, &p->yl, p->y, p->c.ax, p->c.ay, &p->ol, p->o, &opt);
    if (st) {
        fprintf(stderr, "batch_dot_%s failed on %s: status %d\n", p->c.f64 ? "f64" : "f32", p->c.id, st);
        exit(1);
    }
}

static int has_mkl(const Prob *p) { return mkl_gemm && p->c.kind != 2 && (!p->c.f64 || mkl_dgemm); }

static void mkl(Prob *p) {
    const Case *c = &p->c;
    int64_t b = p->batch;
    if (c->kind == 0) {
        int64_t lda = c->lda ? c->lda : c->k, sa = c->sa ? c->sa : c->m * c->k;
        int64_t ldb = c->bt ? c->k : c->n, ldc = c->n;
        int ta = c->at ? Trans : NoTrans, tb = c->bt ? Trans : NoTrans;
        if (c->f64)
            mkl_dgemm(RowMajor, ta, tb, c->m, c->n, c->k, 1.0, p->x, lda, sa, p->y, ldb, c->k * c->n, 0.0, p->o2,
                      ldc, c->m * c->n, b);
        else
            mkl_gemm(RowMajor, ta, tb, c->m, c->n, c->k, 1.0f, p->x, lda, sa, p->y, ldb, c->k * c->n, 0.0f, p->o2,
                     ldc, c->m * c->n, b);
    } else {
        mkl_gemv(RowMajor, NoTrans, c->m, c->n, 1.0f, p->x, c->n, c->m * c->n, p->y, 1, c->n, 0.0f, p->o2, 1,
                 c->m, b);
    }
}

/* ---- a plain streaming read of the same bytes ---- */
__attribute__((target("avx512f"))) static float dot512(const float *a, const float *b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_load_ps(a + i), _mm512_load_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_load_ps(a + i + 16), _mm512_load_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_load_ps(a + i + 32), _mm512_load_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_load_ps(a + i + 48), _mm512_load_ps(b + i + 48), s3);
    }
    float r = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}
__attribute__((target("avx512f"))) static float sum512(const float *a, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_add_ps(_mm512_load_ps(a + i), s0);
        s1 = _mm512_add_ps(_mm512_load_ps(a + i + 16), s1);
        s2 = _mm512_add_ps(_mm512_load_ps(a + i + 32), s2);
        s3 = _mm512_add_ps(_mm512_load_ps(a + i + 48), s3);
    }
    float r = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    for (; i < n; i++) r += a[i];
    return r;
}
static float dotp(const float *a, const float *b, int64_t n) {
    if (__builtin_cpu_supports("avx512f")) return dot512(a, b, n);
    float r = 0;
    for (int64_t i = 0; i < n; i++) r += a[i] * b[i];
    return r;
}
static float sump(const float *a, int64_t n) {
    if (__builtin_cpu_supports("avx512f")) return sum512(a, n);
    float r = 0;
    for (int64_t i = 0; i < n; i++) r += a[i];
    return r;
}
static volatile float sink;
typedef struct { Prob *p; int part, parts; } Half;
/* Part `part` of `parts` of the read (split at multiples of 64 elements). */
static void read_part(Prob *p, int part, int parts) {
    const float *x = p->x, *y = p->y; /* e and f: f32 */
    if (!strcmp(p->c.id, "e")) {
        int64_t n = p->xe / 64, lo = n * part / parts * 64, hi = part + 1 == parts ? p->xe : n * (part + 1) / parts * 64;
        sink += dotp(x + lo, y + lo, hi - lo);
    } else {
        int64_t n = p->xe / 64, lo = n * part / parts * 64, hi = part + 1 == parts ? p->xe : n * (part + 1) / parts * 64;
        sink += sump(x + lo, hi - lo);
        n = p->ye / 64, lo = n * part / parts * 64, hi = part + 1 == parts ? p->ye : n * (part + 1) / parts * 64;
        sink += sump(y + lo, hi - lo);
    }
}
static void *read_thread(void *a) { Half *h = a; read_part(h->p, h->part, h->parts); return NULL; }
/* The read on nt threads (the second one started for the call: its start,
 * tens of µs, is counted, against 2-13 ms of reading). */
static void stream_read(Prob *p, int nt) {
    if (nt == 1) { read_part(p, 0, 1); return; }
    pthread_t t;
    Half h = {p, 1, 2};
    pthread_create(&t, NULL, read_thread, &h);
    read_part(p, 0, 2);
    pthread_join(t, NULL);
}

/* ---- FMA peak of one core ---- */
__attribute__((target("avx512f"), noinline)) static float fma512(long iters) {
    __m512 acc[12], a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}
static double peak_gflops(void) {
    if (!__builtin_cpu_supports("avx512f")) return 0;
    long it = 400000;
    double t0 = now();
    sink += fma512(it);
    return 2.0 * 16 * 12 * it / (now() - t0) / 1e9;
}

/* ---- how busy the machine was: CPU time of other processes ---- */
/* (busy jiffies of all CPUs, all jiffies) from /proc/stat, and this
 * process's CPU seconds; 0 if unavailable. */
static void cpu_sample(double *busy, double *total, double *self) {
    unsigned long long v[10] = {0};
    *busy = *total = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (f) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]) == 8) {
            for (int i = 0; i < 8; i++) *total += (double)v[i];
            *busy = *total - (double)v[3] - (double)v[4];
        }
        fclose(f);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *self = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* ---- gaps ---- */
typedef struct { const char *name; int busy; double us; } Gap;
static Gap GAPS[] = {
    {"b2b", 0, 0}, {"busy20", 1, 20}, {"busy200", 1, 200}, {"busy2000", 1, 2000}, {"busy20000", 1, 20000},
    {"idle20", 2, 20}, {"idle200", 2, 200}, {"idle2000", 2, 2000}, {"idle20000", 2, 20000},
};
#define NGAPS (int)(sizeof GAPS / sizeof GAPS[0])

static void gap(const Gap *g) {
    if (g->busy == 1) {
        /* other work on the calling thread: dependent arithmetic */
        double t_end = now() + g->us * 1e-6, v = 1.0;
        while (now() < t_end)
            for (int i = 0; i < 64; i++) v = v * 1.0000001 + 1e-9;
        sink += (float)v;
    } else if (g->busy == 2) {
        struct timespec ts = {0, (long)(g->us * 1000)};
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    }
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmpd);
    return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : NAN;
}

/* One block: `calls` samples of fn after a gap each; back to back, a
 * sample is `inner` calls. Appends µs per call to v. */
typedef void (*call_fn)(Prob *, unsigned);
static void mkl_call(Prob *p, unsigned nt) { (void)nt; mkl(p); }
static void read_call(Prob *p, unsigned nt) { stream_read(p, (int)nt); }
static void block(Prob *p, call_fn fn, unsigned nt, const Gap *g, int calls, int inner, double *v, int *nv) {
    for (int i = 0; i < calls; i++) {
        gap(g);
        double t0 = now();
        for (int j = 0; j < inner; j++) fn(p, nt);
        v[(*nv)++] = (now() - t0) * 1e6 / inner;
    }
}

static int listed(const char *list, const char *id) {
    if (!list) return 1;
    size_t n = strlen(id);
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == n && !strncmp(s, id, n)) return 1;
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *libpath = "target/release/libbatch_dot.so", *cases = NULL, *gaps = NULL, *mklpath = NULL;
    int rounds = 5, smoke = 0, stream = 1;
    double budget_ms = 40, max_others = 100;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--lib") && i + 1 < argc) libpath = argv[++i];
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = argv[++i];
        else if (!strcmp(argv[i], "--gaps") && i + 1 < argc) gaps = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--budget") && i + 1 < argc) budget_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--mkl") && i + 1 < argc) mklpath = argv[++i];
        else if (!strcmp(argv[i], "--max-others") && i + 1 < argc) max_others = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-stream")) stream = 0;
        else if (!strcmp(argv[i], "--smoke")) smoke = 1;
        else { fprintf(stderr, "unknown argument %s (see the comment at the top of bench/gaps.c)\n", argv[i]); return 2; }
    }
    if (rounds < 1) rounds = 1;
    if (smoke) { rounds = 1; budget_ms = 1; }
    prctl(PR_SET_TIMERSLACK, 1UL); /* idle gaps of the length asked for */
    void *h = dlopen(libpath, RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "cannot load %s: %s\n", libpath, dlerror()); return 2; }
    bd_f32 = (f32_fn)dlsym(h, "batch_dot_f32");
    bd_f64 = (f64_fn)dlsym(h, "batch_dot_f64");
    bd_init = (init_fn)dlsym(h, "batch_dot_layout_init_contiguous");
    if (!bd_f32 || !bd_f64 || !bd_init) { fprintf(stderr, "%s: symbols missing\n", libpath); return 2; }
    if (mklpath) {
        void *m = dlopen(mklpath, RTLD_NOW | RTLD_LOCAL);
        if (m) {
            mkl_gemm = (sgemm_bs_fn)dlsym(m, "cblas_sgemm_batch_strided");
            mkl_gemv = (sgemv_bs_fn)dlsym(m, "cblas_sgemv_batch_strided");
            mkl_set_threads = (mkl_threads_fn)dlsym(m, "MKL_Set_Num_Threads");
            mkl_dgemm = (dgemm_bs_fn)dlsym(m, "cblas_dgemm_batch_strided");
            if (!mkl_gemm || !mkl_gemv || !mkl_set_threads) mkl_gemm = NULL;
            else if (!mkl_dgemm) fprintf(stderr, "MKL: no cblas_dgemm_batch_strided: no column for the f64 cases\n");
        }
        if (!mkl_gemm) fprintf(stderr, "MKL not usable (%s): column left out\n", m ? "symbols missing" : dlerror());
    }
    int maxs = 4096;
    double *v1 = malloc(sizeof(double) * maxs * rounds), *v2 = malloc(sizeof(double) * maxs * rounds);
    double *m1 = malloc(sizeof(double) * 64 * rounds), *m2 = malloc(sizeof(double) * 64 * rounds);
    double *r1 = malloc(sizeof(double) * 64 * rounds), *r2 = malloc(sizeof(double) * 64 * rounds);
    double q1[64], q2[64]; /* f64 ÷ f32 speed, one per round */
    double pk[256];
    int npk = 0;
    printf("# bench/gaps.c: median µs per call, batch_dot_f32 (batch_dot_f64: a64, b64, c64), %d rounds, %s\n",
           rounds, libpath);
    printf("| case | gap | 1 thread µs | 2 threads µs | 2T speedup |\n|---|---|---|---|---|\n");
    fflush(stdout);
    char extra[64][320];
    int nextra = 0;
    for (int ci = 0; ci < NCASES; ci++) {
        if (!listed(cases, CASES[ci].id)) continue;
        Prob p, tw;
        setup(&p, &CASES[ci], smoke);
        /* an f64 case's f32 twin (its id without "64"), timed beside it */
        int twin = -1;
        for (int j = 0; p.c.f64 && j < NCASES; j++)
            if (!CASES[j].f64 && strlen(CASES[j].id) == strlen(p.c.id) - 2 &&
                !strncmp(CASES[j].id, p.c.id, strlen(CASES[j].id)))
                twin = j;
        if (twin >= 0) setup(&tw, &CASES[twin], smoke);
        double b0, t0_, s0;
        cpu_sample(&b0, &t0_, &s0);
        /* warm-up and a time estimate */
        double t0 = now();
        int w = 0;
        do { ours(&p, 1); ours(&p, 2); w++; } while (now() - t0 < (smoke ? 0.001 : 0.2));
        if (twin >= 0) { ours(&tw, 1); ours(&tw, 2); }
        double est_us = (now() - t0) * 1e6 / (2 * w);
        if (has_mkl(&p)) {
            mkl_set_threads(1);
            mkl(&p);
            double err = 0, ref = 0, tol = p.c.f64 ? 1e-9 : 1e-3;
            for (int64_t i = 0; i < p.oe; i++) {
                err = fmax(err, fabs(elem(&p, p.o, i) - elem(&p, p.o2, i)));
                ref = fmax(ref, fabs(elem(&p, p.o, i)));
            }
            if (err > tol * (ref + 1)) { fprintf(stderr, "%s: MKL and ours differ by %g\n", p.c.id, err); return 1; }
        }
        for (int gi = 0; gi < NGAPS; gi++) {
            const Gap *g = &GAPS[gi];
            if (!listed(gaps, g->name)) continue;
            int inner = 1, calls;
            if (!g->busy) inner = est_us < 50 ? (int)(50 / est_us) + 1 : 1;
            calls = (int)(budget_ms * 1e3 / (est_us * inner + g->us)) + 1;
            if (calls < (smoke ? 1 : 3)) calls = smoke ? 1 : 3; /* --smoke: does it run */
            if (calls > maxs) calls = maxs;
            int n1 = 0, n2 = 0, nm1 = 0, nm2 = 0, nr1 = 0, nr2 = 0, nq = 0;
            int do_ext = !g->busy && !g->us; /* MKL and the read: back to back only */
            int redo = 0;
            for (int r = 0; r < rounds; r++) {
                int k1 = n1, k2 = n2, km1 = nm1, km2 = nm2, kr1 = nr1, kr2 = nr2, kpk = npk, kq = nq;
                double rb0, rt0, rs0;
                cpu_sample(&rb0, &rt0, &rs0);
                if (do_ext && npk < 256) pk[npk++] = peak_gflops();
                block(&p, ours, 1, g, calls, inner, v1, &n1);
                block(&p, ours, 2, g, calls, inner, v2, &n2);
                if (do_ext && twin >= 0 && nq < 64) {
                    /* the f32 twin, same calls: this round's f64 ÷ f32 speed */
                    double tv[2][4096];
                    int t1n = 0, t2n = 0;
                    block(&tw, ours, 1, g, calls, inner, tv[0], &t1n);
                    block(&tw, ours, 2, g, calls, inner, tv[1], &t2n);
                    q1[nq] = median(tv[0], t1n) / median(v1 + k1, n1 - k1);
                    q2[nq++] = median(tv[1], t2n) / median(v2 + k2, n2 - k2);
                }
                if (do_ext && has_mkl(&p)) {
                    int mc = calls < 64 ? calls : 64;
                    mkl_set_threads(1);
                    block(&p, mkl_call, 1, g, mc, inner, m1, &nm1);
                    mkl_set_threads(2);
                    block(&p, mkl_call, 2, g, mc, inner, m2, &nm2);
                    mkl_set_threads(1);
                    struct timespec ts = {0, smoke ? 1000000 : 300000000};
                    nanosleep(&ts, NULL);
                }
                if (do_ext && stream && (!strcmp(p.c.id, "e") || !strcmp(p.c.id, "f"))) {
                    int rc = calls < 64 ? calls : 64;
                    block(&p, read_call, 1, g, rc, 1, r1, &nr1);
                    block(&p, read_call, 2, g, rc, 1, r2, &nr2);
                }
                double rb1, rt1, rs1;
                cpu_sample(&rb1, &rt1, &rs1);
                double busy_others = (rb1 - rb0) - (rs1 - rs0) * (double)sysconf(_SC_CLK_TCK);
                if (rt1 > rt0 && 100 * busy_others / (rt1 - rt0) > max_others && redo < 4 * rounds) {
                    /* other processes took CPU during this round: again */
                    n1 = k1, n2 = k2, nm1 = km1, nm2 = km2, nr1 = kr1, nr2 = kr2, npk = kpk, nq = kq;
                    redo++;
                    r--;
                }
            }
            if (redo) fprintf(stderr, "%s %s: %d round(s) re-run (others above %.0f %%)\n", p.c.id, g->name, redo, max_others);
            double a = median(v1, n1), b = median(v2, n2);
            printf(a < 10 ? "| %s | %s | %.3f | %.3f | %.2f× |\n" : "| %s | %s | %.1f | %.1f | %.2f× |\n", p.c.id, g->name, a, b, a / b);
            fflush(stdout);
            if (do_ext && nextra < 64) {
                double peak = npk ? median(pk, npk) : 0;
                if (p.c.f64) peak /= 2; /* half the lanes */
                char *s = extra[nextra++];
                const int L = (int)sizeof extra[0];
                int o = snprintf(s, L, "| %s | %.2f | %.2f |", p.c.id, a, b);
                if (nm1) {
                    double x1 = median(m1, nm1), x2 = median(m2, nm2);
                    o += snprintf(s + o, L - o, " %.2f | %.2f | %.2f× | %.2f× |", x1, x2, x1 / a, x2 / b);
                } else
                    o += snprintf(s + o, L - o, " – | – | – | – |");
                if (p.c.compute && peak > 0)
                    o += snprintf(s + o, L - o, " %.0f %% |", 100 * p.flops / (a * 1e3) / peak);
                else
                    o += snprintf(s + o, L - o, " %.1f GB/s |", p.bytes / (a * 1e3));
                if (nr1) {
                    double q1 = median(r1, nr1), q2 = median(r2, nr2);
                    double rb = 4.0 * (p.xe + p.ye);
                    o += snprintf(s + o, L - o, " read %.1f / %.1f GB/s: ours %.0f %% / %.0f %% |", rb / (q1 * 1e3),
                                  rb / (q2 * 1e3), 100 * q1 / a, 100 * q2 / b);
                } else
                    o += snprintf(s + o, L - o, " |");
                if (nq) {
                    /* median over the rounds of the round's f32 time ÷ f64 time */
                    double lo = q1[0], hi = q1[0];
                    for (int i = 1; i < nq; i++) lo = fmin(lo, q1[i]), hi = fmax(hi, q1[i]);
                    snprintf(s + o, L - o, " %.2f× (%.2f–%.2f) / %.2f× |", median(q1, nq), lo, hi, median(q2, nq));
                } else if (p.c.f64)
                    snprintf(s + o, L - o, " – |");
                else
                    snprintf(s + o, L - o, " |");
            }
        }
        double b1, t1_, s1;
        cpu_sample(&b1, &t1_, &s1);
        if (t1_ > t0_) {
            double hz = (double)sysconf(_SC_CLK_TCK), others = (b1 - b0) - (s1 - s0) * hz;
            printf("| %s | (others' CPU use during the case: %.0f %% of the machine) | | | |\n", p.c.id,
                   others > 0 ? 100 * others / (t1_ - t0_) : 0.0);
        }
        freep(&p);
        if (twin >= 0) freep(&tw);
    }
    if (nextra) {
        printf("\n# back to back, same rounds: MKL (ratio = MKL time / ours: > 1, we are faster), "
               "%% of the 1-core f32 FMA peak (median %.0f GFLOP/s in these rounds; f64 rows: of half of it) "
               "or GB/s at 1 thread, a plain read of the same bytes (ours as %% of its speed), and for f64 its "
               "speed ÷ that of the same case in f32 (target ≥ 0.45× at 1 thread)\n",
               npk ? median(pk, npk) : 0.0);
        printf("| case | ours 1T µs | ours 2T µs | MKL 1T µs | MKL 2T µs | MKL÷ours 1T | MKL÷ours 2T | ours 1T | "
               "read 1T / 2T | f64÷f32 speed 1T (rounds lowest–highest) / 2T |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < nextra; i++) printf("%s\n", extra[i]);
    }
    return 0;
}
