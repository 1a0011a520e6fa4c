/*
 * Concurrency test (issue 4): 8 threads call batch_dot_f32/_f64,
 * batch_dot_bf16/_f16, batch_dot_s8, batch_dot_compute (the 16-bit rows:
 * bfloat16 or float16 inputs, a 16-bit or an f32 output; the integer rows:
 * int8 or uint8 times int8 into int32) and batch_dot_infer_shape at
 * the same time on a shared set of valid and
 * invalid cases (inputs shared between threads, each thread writing its own
 * output buffer), with num_threads 0-4, some scaled (alpha, beta), for a
 * bounded time. Every result must equal, bit for bit, the one the main thread got alone with num_threads = 1
 * before the threads started; every status must be the same; and each thread
 * must read back its OWN last-error message (the one its own call produced),
 * even while the other threads fail and succeed with other messages. The
 * lone statuses (and inferred shapes) must be the ones the test kit's status
 * oracle predicts (testkit/c/testkit.h).
 *
 * Meant to run under a race detector (scripts/suites/31-threads.sh).
 * Usage: threads [SECONDS [MAX_CALLS_PER_THREAD]]  (default 3 s, 1000000)
 * Prints "N passed, N failed" (N counts calls); exits non-zero on failure.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>

#include "common.h"

#define NTHREADS 8
#define NCASES 160

/* The element types of a compute case: x, y, output, and whether the
   call is the typed function (batch_dot_f32, _f64, _bf16, _f16, _s8) or
   batch_dot_compute. */
enum { K_F32, K_F64, K_BF16, K_BF16_F32, K_F16, K_F16_F32, K_S8, K_U8S8, K_COUNT };
static const tk_dtype kind_in[K_COUNT] = {TK_F32, TK_F64, TK_BF16, TK_BF16, TK_F16, TK_F16, TK_S8, TK_U8};
static const tk_dtype kind_y[K_COUNT] = {TK_F32, TK_F64, TK_BF16, TK_BF16, TK_F16, TK_F16, TK_S8, TK_S8};
static const tk_dtype kind_out[K_COUNT] = {TK_F32, TK_F64, TK_BF16, TK_F32, TK_F16, TK_F32, TK_S32, TK_S32};

typedef struct {
    int dk, typed;  /* element types (K_*), typed call or batch_dot_compute */
    int kind;       /* kind 0: compute, 1: infer_shape */
    batch_dot_layout l[3];
    int64_t ax, ay;
    uint32_t num_threads;
    int scaled;    /* BATCH_DOT_OPT_SCALE with alpha, beta */
    double alpha, beta;
    void *x, *y;   /* shared, never written */
    size_t olen;   /* out elements */
    int status;
    unsigned char *out; /* the lone result (olen elements) */
    char msg[1024];
    int32_t ondim;
    int64_t oshape[BATCH_DOT_MAX_NDIM];
} case_t;

static case_t cases[NCASES];
static double seconds = 3.0;
static long max_calls = 1000000;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int call(const case_t *c, void *out, uint32_t threads, int32_t *ondim, int64_t *oshape) {
    if (c->kind == 1) {
        int64_t xs[BATCH_DOT_MAX_NDIM], ys[BATCH_DOT_MAX_NDIM];
        memcpy(xs, c->l[0].shape, sizeof xs);
        memcpy(ys, c->l[1].shape, sizeof ys);
        return batch_dot_infer_shape(c->l[0].ndim, xs, c->l[1].ndim, ys, c->ax, c->ay, ondim, oshape);
    }
    batch_dot_options o;
    batch_dot_options_init(&o);
    o.num_threads = threads;
    if (c->scaled) {
        /* out starts as the same 0xA5 bytes in every call, so beta != 0
           reads the same values too. */
        o.flags = BATCH_DOT_OPT_SCALE;
        o.alpha = c->alpha;
        o.beta = c->beta;
    }
    if (c->typed) {
        switch (c->dk) {
        case K_F32: return batch_dot_f32(&c->l[0], c->x, &c->l[1], c->y, c->ax, c->ay, &c->l[2], out, &o);
        case K_F64: return batch_dot_f64(&c->l[0], c->x, &c->l[1], c->y, c->ax, c->ay, &c->l[2], out, &o);
        case K_BF16: return batch_dot_bf16(&c->l[0], c->x, &c->l[1], c->y, c->ax, c->ay, &c->l[2], out, &o);
        case K_F16: return batch_dot_f16(&c->l[0], c->x, &c->l[1], c->y, c->ax, c->ay, &c->l[2], out, &o);
        case K_S8: return batch_dot_s8(&c->l[0], c->x, &c->l[1], c->y, c->ax, c->ay, &c->l[2], out, &o);
        default: break;
        }
    }
    int32_t ci = tk_dtype_code(kind_in[c->dk]), cy = tk_dtype_code(kind_y[c->dk]);
    int32_t co = tk_dtype_code(kind_out[c->dk]);
    return batch_dot_compute(ci, &c->l[0], c->x, cy, &c->l[1], c->y, c->ax, c->ay, co, &c->l[2], out, &o);
}

static void make_case(case_t *c, tk_rng *r) {
    memset(c, 0, sizeof *c);
    tk_shapes s;
    if (tk_rng_chance(r, 10)) tk_gen_large(r, &s);
    else tk_gen_shapes(r, &s, 2, 4);
    c->dk = (int)(tk_rng_next(r) % K_COUNT);
    c->typed = (kind_in[c->dk] == kind_out[c->dk] || c->dk == K_S8) && tk_rng_chance(r, 50);
    c->kind = tk_rng_chance(r, 15);
    c->l[0] = tk_arrange(r, s.n, s.x, 1);
    c->l[1] = tk_arrange(r, s.m, s.y, 1);
    c->l[2] = tk_arrange(r, s.on, s.o, 0);
    c->ax = s.ax;
    c->ay = s.ay;
    c->num_threads = (uint32_t)tk_rng_range(r, 0, 4);
    if (tk_rng_chance(r, 30)) {
        static const double alphas[] = {0.5, -3, 0.1}, betas[] = {0, 1, -0.5};
        /* An int32 output: alpha 1, beta 0 or 1 (out + x.y modulo 2^32),
           now and then a refused pair (INVALID_ARGUMENT with its message). */
        int ints = tk_is_int(kind_out[c->dk]);
        c->scaled = 1;
        c->alpha = ints ? (tk_rng_chance(r, 15) ? 2 : 1) : alphas[tk_rng_next(r) % 3];
        c->beta = ints ? (double)(tk_rng_next(r) % 2) : betas[tk_rng_next(r) % 3];
    }
    /* Invalid ones, of many kinds (each gets its own message). */
    if (tk_rng_chance(r, 40)) {
        int t = (int)(tk_rng_next(r) % 3);
        switch (tk_rng_next(r) % 8) {
        case 0: c->l[t].len = c->l[t].len ? c->l[t].len - 1 : -1; break;
        case 1: c->l[t].offset -= 1; break;
        case 2: c->l[1].shape[0] += 1; break;                 /* batch mismatch */
        case 3: c->ax = 0; c->ay = 0; break;                  /* batch axis */
        case 4: c->ax = 7; break;                             /* out of range */
        case 5: c->l[2].shape[c->l[2].ndim - 1] += 1; break;  /* output shape */
        case 6: c->l[t].flags = 1; break;
        case 7: c->l[t].strides[0] = INT64_MAX; c->l[t].shape[0] += 2; c->l[(t + 1) % 3].shape[0] += 2; break;
        }
    }
    size_t osize = tk_esize(kind_out[c->dk]);
    for (int i = 0; i < 2; i++) {
        tk_dtype ti = i == 0 ? kind_in[c->dk] : kind_y[c->dk];
        int64_t len = c->l[i].len < 0 ? 0 : c->l[i].len > 100000 ? 0 : c->l[i].len;
        void *p = tk_xmalloc((size_t)len * tk_esize(ti) + 1);
        for (int64_t e = 0; e < len; e++) {
            double v = ti == TK_S8   ? (double)tk_rng_range(r, -128, 127)
                       : ti == TK_U8 ? (double)tk_rng_range(r, 0, 255)
                                     : (double)tk_rng_range(r, -8, 8) * 0.25;
            tk_set(ti, p, e, v);
        }
        if (i == 0) c->x = p; else c->y = p;
    }
    c->olen = c->l[2].len < 0 ? 0 : c->l[2].len > 100000 ? 0 : (size_t)c->l[2].len;
    c->out = tk_xmalloc(c->olen * osize + 1);
    memset(c->out, 0xA5, c->olen * osize);
    c->ondim = -7;
    for (int i = 0; i < BATCH_DOT_MAX_NDIM; i++) c->oshape[i] = -7;
    c->status = call(c, c->out, 1, &c->ondim, c->oshape);
    batch_dot_last_error_message(c->msg, sizeof c->msg);
}

/* Whether the lone call's status (and inferred shape) is the one the test
   kit's status oracle predicts. */
static int oracle_agrees(const case_t *c) {
    if (c->kind == 1) {
        int ond = 0;
        int64_t os[2 * BATCH_DOT_MAX_NDIM];
        int st = tk_expect_infer(c->l[0].ndim, c->l[0].shape, c->l[1].ndim, c->l[1].shape, c->ax, c->ay, 0, 0,
                                 &ond, os);
        return st == c->status &&
               (st != BATCH_DOT_STATUS_OK ||
                (ond == c->ondim && memcmp(os, c->oshape, (size_t)ond * sizeof(int64_t)) == 0));
    }
    batch_dot_options o;
    batch_dot_options_init(&o);
    o.num_threads = 1;
    if (c->scaled) {
        o.flags = BATCH_DOT_OPT_SCALE;
        o.alpha = c->alpha;
        o.beta = c->beta;
    }
    const batch_dot_layout *const l[3] = {&c->l[0], &c->l[1], &c->l[2]};
    const void *const p[3] = {c->x, c->y, c->out};
    const int32_t codes[3] = {tk_dtype_code(kind_in[c->dk]), tk_dtype_code(kind_y[c->dk]),
                              tk_dtype_code(kind_out[c->dk])};
    return tk_expect_dtyped(codes, l, c->ax, c->ay, &o, p) == c->status;
}

typedef struct {
    int id;
    long calls, failed;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    tk_rng r = {(uint64_t)w->id * 7919u + 1};
    size_t cap = 0;
    for (int i = 0; i < NCASES; i++)
        if (cases[i].olen * 8 > cap) cap = cases[i].olen * 8;
    unsigned char *out = tk_xmalloc(cap + 1);
    char msg[1024];
    double end = now() + seconds;
    while (w->calls < max_calls && now() < end) {
        const case_t *c = &cases[tk_rng_next(&r) % NCASES];
        size_t bytes = c->olen * tk_esize(kind_out[c->dk]);
        memset(out, 0xA5, bytes);
        int32_t ondim = -7;
        int64_t oshape[BATCH_DOT_MAX_NDIM];
        for (int i = 0; i < BATCH_DOT_MAX_NDIM; i++) oshape[i] = -7;
        /* Same inputs, any thread count: the result must not change. */
        int st = call(c, out, c->num_threads, &ondim, oshape);
        /* Other library calls that leave the message alone. */
        (void)batch_dot_status_string(st);
        (void)batch_dot_version();
        sched_yield();
        batch_dot_last_error_message(msg, sizeof msg);
        w->calls++;
        const char *why = NULL;
        if (st != c->status) why = "status";
        else if (strcmp(msg, c->msg) != 0) why = "last-error message";
        else if (c->kind == 0 && memcmp(out, c->out, bytes) != 0) why = "result bits";
        else if (c->kind == 1 && (ondim != c->ondim || memcmp(oshape, c->oshape, sizeof oshape) != 0))
            why = "inferred shape";
        if (why) {
            if (w->failed++ < 5)
                fprintf(stderr, "thread %d, case %ld: %s differs (status %d, alone %d)\n  got  \"%s\"\n  want \"%s\"\n",
                        w->id, (long)(c - cases), why, st, c->status, msg, c->msg);
        }
    }
    free(out);
    return NULL;
}

/* Self-test of the race detector: two threads write the SAME output buffer
   through the library, unsynchronised. A detector that instruments the
   library must report it (the suite expects that run to fail). */
static case_t race_case;
static void *race_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        batch_dot_options o;
        batch_dot_options_init(&o);
        o.num_threads = 1;
        batch_dot_f32(&race_case.l[0], race_case.x, &race_case.l[1], race_case.y, race_case.ax, race_case.ay,
                      &race_case.l[2], (float *)race_case.out, &o);
    }
    return NULL;
}
static int race_selftest(void) {
    int64_t xs[3] = {2, 40, 30}, ys[3] = {2, 30, 20}, os[3] = {2, 40, 20};
    batch_dot_layout_init_contiguous(&race_case.l[0], 3, xs);
    batch_dot_layout_init_contiguous(&race_case.l[1], 3, ys);
    batch_dot_layout_init_contiguous(&race_case.l[2], 3, os);
    race_case.ax = race_case.ay = BATCH_DOT_AXIS_DEFAULT;
    race_case.x = calloc(2400, sizeof(float));
    race_case.y = calloc(1200, sizeof(float));
    race_case.out = calloc(1600, sizeof(float));
    pthread_t a, b;
    pthread_create(&a, NULL, race_worker, NULL);
    pthread_create(&b, NULL, race_worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    fprintf(stderr, "race self-test: finished without a report from a race detector\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "race-selftest") == 0) return race_selftest();
    if (argc > 1) seconds = atof(argv[1]);
    if (argc > 2) max_calls = atol(argv[2]);
    tk_rng r = {4242};
    int hist[16] = {0};
    long oracle_failed = 0;
    for (int i = 0; i < NCASES; i++) {
        make_case(&cases[i], &r);
        hist[cases[i].status & 15]++;
        if (!oracle_agrees(&cases[i])) {
            fprintf(stderr, "case %d: status %s alone, not the oracle's\n", i,
                    batch_dot_status_string(cases[i].status));
            oracle_failed++;
        }
    }
    for (int i = 0; i < 16; i++)
        if (hist[i]) fprintf(stderr, "  %4d cases  %s\n", hist[i], batch_dot_status_string(i));
    pthread_t th[NTHREADS];
    worker_t w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker_t){.id = i};
        if (pthread_create(&th[i], NULL, worker, &w[i])) { perror("pthread_create"); return 3; }
    }
    long calls = 0, failed = oracle_failed;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        calls += w[i].calls;
        failed += w[i].failed;
    }
    /* The main thread's own message is still its own. */
    char msg[1024];
    batch_dot_last_error_message(msg, sizeof msg);
    if (strcmp(msg, cases[NCASES - 1].msg) != 0) {
        fprintf(stderr, "main thread's message changed: \"%s\"\n", msg);
        failed++;
    }
    for (int i = 0; i < NCASES; i++) {
        free(cases[i].x);
        free(cases[i].y);
        free(cases[i].out);
    }
    fprintf(stderr, "threads: %d threads, %ld calls; %d threads left in the process (the library's pool)\n",
            NTHREADS, calls, tk_process_threads() - 1);
    printf("%ld passed, %ld failed\n", calls - failed, failed);
    return failed ? 1 : 0;
}
