/*
 * c_tests/harness.c: the C test harness of libbatch_dot.
 *
 * Calls every function of include/batch_dot.h (and batch_dot_dlpack, of
 * include/batch_dot_dlpack.h) from C and checks every status the library
 * can return, docs/API.md's check order, that nothing is written on error
 * (canary values), last-error semantics, options, layouts, shape inference,
 * and results against the test kit's naive reference. Expected statuses are
 * written out case by case, and each one is also checked against the test
 * kit's status oracle (testkit/c/testkit.h), which the hardening programs
 * use on random layouts; the dlpack area's, which the oracle does not take
 * (it reads layouts, not DLTensors), are docs/API.md's alone.
 *
 * The checks are grouped in areas (the table `areas` at the end), each run
 * by batch_dot_c_harness_run_area(name). Built two ways:
 *   - by c_tests/build.rs (the `cc` crate) into the `batch_dot_c_tests`
 *     crate, whose Rust tests (c_tests/src/lib.rs) run one area each, so a
 *     failure names its area; they link the Rust rlib with the `testing`
 *     feature, so the panic area runs;
 *   - as a standalone program with -DBATCH_DOT_HARNESS_MAIN against
 *     libbatch_dot.so, by scripts/suites/10-c-harness-sanitizers.sh
 *     (ASan + UBSan) and scripts/suites/20-c-harness-valgrind.sh (memcheck),
 *     which runs every area in order (or the areas named on its command
 *     line).
 *
 * <dlpack/dlpack.h> is the system's (libdlpack-dev) where the compiler finds
 * it; both builds put c_tests/dlpack_standin/ (DLPack's ABI, the fields the
 * library reads) after the system directories (-idirafter) for machines
 * without it.
 *
 * Prints one line per failed check (file:line), SKIP lines for what cannot
 * run in this build, one line per area and a final `N passed, N failed`.
 */
#define _POSIX_C_SOURCE 200809L

#include "batch_dot.h"
#include "batch_dot_dlpack.h"
#include "testkit.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exported only by a library built with the Cargo feature `testing` (not in
 * the header): the next status-returning call on this thread panics inside
 * the library's boundary. Weak, so the harness also links against a release
 * build, where the panic area is skipped. */
extern void batch_dot_testing_arm_panic(void) __attribute__((weak));

/* What one area's run gave (c_tests/src/lib.rs has the same struct). */
typedef struct {
    int passed, failed, skipped;
} batch_dot_c_harness_result;

int batch_dot_c_harness(void);
int batch_dot_c_harness_area_count(void);
const char *batch_dot_c_harness_area_name(int i);
int batch_dot_c_harness_run_area(const char *name, batch_dot_c_harness_result *result);
const char *batch_dot_c_harness_failures(void);
int batch_dot_c_harness_panic_tested(void);

/* The ABI the header promises. */
_Static_assert(sizeof(batch_dot_layout) == 280, "batch_dot_layout is 280 bytes");
_Static_assert(offsetof(batch_dot_layout, ndim) == 0, "ndim offset");
_Static_assert(offsetof(batch_dot_layout, flags) == 4, "flags offset");
_Static_assert(offsetof(batch_dot_layout, offset) == 8, "offset offset");
_Static_assert(offsetof(batch_dot_layout, len) == 16, "len offset");
_Static_assert(offsetof(batch_dot_layout, shape) == 24, "shape offset");
_Static_assert(offsetof(batch_dot_layout, strides) == 24 + 8 * BATCH_DOT_MAX_NDIM,
               "strides offset");
_Static_assert(offsetof(batch_dot_options, struct_size) == 0, "struct_size offset");
_Static_assert(sizeof(batch_dot_options) == sizeof(size_t) + 24, "options size");
_Static_assert(offsetof(batch_dot_options, alpha) == 16, "alpha offset");
_Static_assert(offsetof(batch_dot_options, beta) == 24, "beta offset");
_Static_assert(BATCH_DOT_MAX_NDIM == 16, "BATCH_DOT_MAX_NDIM");
_Static_assert(BATCH_DOT_AXIS_DEFAULT == INT64_MIN, "BATCH_DOT_AXIS_DEFAULT");
_Static_assert(BATCH_DOT_DIM_UNKNOWN == -1, "BATCH_DOT_DIM_UNKNOWN");

/* ------------------------------------------------------------------------ */
/* Reporting                                                                */
/* ------------------------------------------------------------------------ */

/* Counts of the area being run. */
static int n_pass, n_fail, n_skip, panic_tested;
/* Bit s set once the library has returned status s to this harness (over
 * every area run in this process). */
static uint32_t seen_status;
/* The FAILED and SKIP lines of the area being run, for its Rust test. */
static char fail_log[16384];
static size_t fail_log_len;
/* The PRNG of the area being run, reseeded at its start: an area's data do
 * not depend on which areas ran before it. */
static tk_rng rng;

static void note_status(int32_t s)
{
    if (s >= 0 && s < 32) {
        seen_status |= (uint32_t)1 << s;
    }
}

/* Prints a line and keeps it in fail_log (truncated when full). */
static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
    char line[1024];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("%s\n", line);
    fflush(stdout);
    n = strlen(line);
    if (fail_log_len + n + 2 <= sizeof fail_log) {
        memcpy(fail_log + fail_log_len, line, n);
        fail_log_len += n;
        fail_log[fail_log_len++] = '\n';
        fail_log[fail_log_len] = '\0';
    }
}

static void fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(const char *file, int line, const char *fmt, ...)
{
    char what[900];
    va_list ap;
    n_fail++;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    log_line("%s:%d: FAILED: %s", file, line, what);
}

static int check_at(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        n_pass++;
    } else {
        fail_at(file, line, "%s", what);
    }
    return ok;
}

#define CHECK(c) check_at(!!(c), __FILE__, __LINE__, #c)

/* CHECK with details: CHECKF(cond, fmt, ...) prints `cond (details)`. */
static int checkf_at(int ok, const char *file, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int checkf_at(int ok, const char *file, int line, const char *what, const char *fmt, ...)
{
    char details[256];
    va_list ap;
    if (ok) {
        n_pass++;
        return 1;
    }
    va_start(ap, fmt);
    vsnprintf(details, sizeof details, fmt, ap);
    va_end(ap);
    fail_at(file, line, "%s (%s)", what, details);
    return 0;
}

#define CHECKF(c, ...) checkf_at(!!(c), __FILE__, __LINE__, #c, __VA_ARGS__)

static int check_status_at(int32_t got, int32_t want, const char *file, int line,
                           const char *what)
{
    char msg[512];
    note_status(got);
    if (got == want) {
        n_pass++;
        return 1;
    }
    batch_dot_last_error_message(msg, sizeof msg);
    fail_at(file, line, "%s: expected %s, got %s (message: \"%s\")", what,
            batch_dot_status_string(want), batch_dot_status_string(got), msg);
    return 0;
}

#define CHECK_STATUS(call, want) check_status_at((call), (want), __FILE__, __LINE__, #call)

static void skip(const char *what)
{
    n_skip++;
    log_line("SKIP: %s", what);
}

/* Length of this thread's last error message (and a copy of it). */
static size_t last_msg(char *buf, size_t n)
{
    return batch_dot_last_error_message(buf, n);
}

/* ------------------------------------------------------------------------ */
/* Calls and layouts                                                        */
/* ------------------------------------------------------------------------ */

/* t: TK_F32 or TK_F64 (the test kit's element types). */
static int32_t call_bd(int t, const batch_dot_layout *x, const void *xd, const batch_dot_layout *y,
                       const void *yd, int64_t ax, int64_t ay, const batch_dot_layout *o, void *od,
                       const batch_dot_options *opt)
{
    int32_t s;
    if (t == TK_F64) {
        s = batch_dot_f64(x, (const double *)xd, y, (const double *)yd, ax, ay, o, (double *)od,
                          opt);
    } else {
        s = batch_dot_f32(x, (const float *)xd, y, (const float *)yd, ax, ay, o, (float *)od,
                          opt);
    }
    note_status(s);
    return s;
}

/* Input layout kinds: every one describes the same logical tensor. */
enum { M_C, M_F, M_NEG, M_ZERO, M_PAD, M_MIX, M_COUNT };
static const char *const mode_name[M_COUNT] = {"C-contiguous", "transposed (F order)",
                                               "negative strides", "zero strides",
                                               "padded", "mixed signs, padded, F order"};
/* Out may not use zero strides (it would write an element twice). */
static const int out_modes[5] = {M_C, M_F, M_NEG, M_PAD, M_MIX};

/* A layout of the given kind with a tight len (the last element it reaches
 * is len - 1, or len - 4 for the padded kinds, which also start at 2). */
static batch_dot_layout make_layout(int nd, const int64_t *shape, int mode)
{
    batch_dot_layout l;
    int64_t ext[BATCH_DOT_MAX_NDIM];
    int64_t s = 1, lo = 0, hi = 0, count = 1, pad = 0;
    int i;
    memset(&l, 0, sizeof l);
    l.ndim = nd;
    for (i = 0; i < nd; i++) {
        l.shape[i] = shape[i];
        ext[i] = shape[i] > 0 ? shape[i] : 1;
        if (mode == M_PAD || mode == M_MIX) {
            ext[i] += 1;
        }
        count *= shape[i];
    }
    if (mode == M_ZERO && nd >= 2) {
        ext[1] = 1;
        ext[nd - 1] = 1;
    }
    if (mode == M_F || mode == M_MIX) {
        for (i = 0; i < nd; i++) {
            l.strides[i] = s;
            s *= ext[i];
        }
    } else {
        for (i = nd - 1; i >= 0; i--) {
            l.strides[i] = s;
            s *= ext[i];
        }
    }
    if (mode == M_ZERO && nd >= 2) {
        l.strides[1] = 0;
        l.strides[nd - 1] = 0;
    }
    for (i = 0; i < nd; i++) {
        if (mode == M_NEG || (mode == M_MIX && i % 2 == 1)) {
            l.strides[i] = -l.strides[i];
        }
        if (shape[i] > 1) {
            int64_t span = (shape[i] - 1) * l.strides[i];
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
    }
    if (mode == M_PAD || mode == M_MIX) {
        pad = 2;
    }
    l.offset = -lo + pad;
    l.len = count == 0 ? 0 : l.offset + hi + 1 + pad;
    return l;
}

static batch_dot_layout lay_c(int nd, const int64_t *shape) { return make_layout(nd, shape, M_C); }

/* A layout given field by field (offset 0), for shapes make_layout cannot
 * count without overflowing. */
static batch_dot_layout lay_raw(int nd, const int64_t *shape, const int64_t *strides, int64_t len)
{
    batch_dot_layout l;
    memset(&l, 0, sizeof l);
    l.ndim = nd;
    memcpy(l.shape, shape, (size_t)nd * sizeof(int64_t));
    memcpy(l.strides, strides, (size_t)nd * sizeof(int64_t));
    l.len = len;
    return l;
}

/* A small integer in [-4, 4]: every sum of products stays exact in f32. */
static double rnd_small(void) { return (double)tk_rng_range(&rng, -4, 4); }

/* ------------------------------------------------------------------------ */
/* Numeric checks against the reference                                      */
/* ------------------------------------------------------------------------ */

typedef struct {
    int n, m;
    int64_t xs[BATCH_DOT_MAX_NDIM], ys[BATCH_DOT_MAX_NDIM];
    int64_t ax, ay;
} shape_case;

/* Runs one product with the given layout kinds, checks OK, the values the
 * out layout reaches against the test kit's reference (exactly: the data are
 * small integers), that every other out element kept its sentinel, that the
 * inputs were not written, and that the message is "".
 * same_xy: y is x (same layout and pointer; needs a square contraction). */
static void numeric_at(const char *file, int line, int t, const shape_case *c, int xm, int ym,
                       int om, int same_xy, uint32_t nthreads)
{
    batch_dot_options opt;
    batch_dot_layout x = make_layout(c->n, c->xs, xm);
    batch_dot_layout y = same_xy ? x : make_layout(c->m, c->ys, ym);
    batch_dot_layout o;
    int64_t os[2 * BATCH_DOT_MAX_NDIM], infer_os[BATCH_DOT_MAX_NDIM];
    int32_t infer_nd = -1, st;
    int a0 = 1, a1 = 1, ond, bad = 0;
    size_t es = tk_esize(t);
    void *xd, *yd, *od, *xcopy, *ycopy;
    unsigned char *reached;
    double *want;
    int64_t *where, i, e, total, touched;
    char msg[256];

    (void)tk_axes(c->n, c->m, c->ax, c->ay, &a0, &a1);
    ond = tk_result_shape(c->n, c->xs, c->m, c->ys, a0, a1, os);
    st = batch_dot_infer_shape(c->n, c->xs, c->m, c->ys, c->ax, c->ay, &infer_nd, infer_os);
    note_status(st);
    if (st != BATCH_DOT_STATUS_OK || infer_nd != ond ||
        memcmp(infer_os, os, (size_t)ond * sizeof(int64_t)) != 0) {
        fail_at(file, line, "%s: infer_shape gave %s, ndim %d; expected OK, ndim %d",
                tk_dtype_name(t), batch_dot_status_string(st), (int)infer_nd, ond);
        return;
    }
    o = make_layout(ond, os, out_modes[om]);
    total = tk_count(&o);

    xd = tk_xmalloc((size_t)x.len * es);
    yd = same_xy ? xd : tk_xmalloc((size_t)y.len * es);
    od = tk_xmalloc((size_t)o.len * es);
    for (i = 0; i < x.len; i++) {
        tk_set(t, xd, i, rnd_small());
    }
    if (!same_xy) {
        for (i = 0; i < y.len; i++) {
            tk_set(t, yd, i, rnd_small());
        }
    }
    tk_fill_sentinel(t, od, o.len);
    xcopy = tk_xdup(xd, (size_t)x.len * es);
    ycopy = tk_xdup(yd, (size_t)y.len * es);
    reached = tk_xmalloc((size_t)o.len);
    memset(reached, 0, (size_t)o.len);
    want = tk_xmalloc((size_t)total * sizeof(double));
    where = tk_xmalloc((size_t)total * sizeof(int64_t));
    tk_naive(t, &x, xd, &y, yd, a0, a1, &o, want, NULL, where);

    batch_dot_options_init(&opt);
    opt.num_threads = nthreads;
    st = call_bd(t, &x, xd, &y, yd, c->ax, c->ay, &o, od, nthreads ? &opt : NULL);
    if (st != BATCH_DOT_STATUS_OK) {
        last_msg(msg, sizeof msg);
        fail_at(file, line, "%s: x %s, y %s, out %s, num_threads %u: expected OK, got %s (%s)",
                tk_dtype_name(t), mode_name[xm], mode_name[ym], mode_name[out_modes[om]],
                (unsigned)nthreads, batch_dot_status_string(st), msg);
        bad = 1;
    } else {
        for (e = 0; e < total; e++) {
            double got = tk_get(t, od, where[e]);
            reached[where[e]] = 1;
            if (!tk_exact(t, got, want[e])) {
                fail_at(file, line,
                        "%s: x %s, y %s, out %s, num_threads %u: out element %" PRId64
                        " (offset %" PRId64 ", batch %" PRId64 ") is %.17g, expected %.17g",
                        tk_dtype_name(t), mode_name[xm], mode_name[ym], mode_name[out_modes[om]],
                        (unsigned)nthreads, e, where[e], e / (total / os[0]), got, want[e]);
                bad = 1;
                break;
            }
        }
        touched = bad ? -1 : tk_first_touched(t, od, o.len, reached);
        if (touched >= 0) {
            fail_at(file, line, "%s: out %s: padding element %" PRId64 " was written",
                    tk_dtype_name(t), mode_name[out_modes[om]], touched);
            bad = 1;
        }
        if (!bad && last_msg(NULL, 0) != 0) {
            fail_at(file, line, "%s: message not cleared by a successful call", tk_dtype_name(t));
            bad = 1;
        }
    }
    if (!bad && (memcmp(xcopy, xd, (size_t)x.len * es) != 0 ||
                 memcmp(ycopy, yd, (size_t)y.len * es) != 0)) {
        fail_at(file, line, "%s: an input was written", tk_dtype_name(t));
        bad = 1;
    }
    if (!bad) {
        n_pass++;
    }
    free(want);
    free(where);
    free(reached);
    free(xcopy);
    free(ycopy);
    free(od);
    if (!same_xy) {
        free(yd);
    }
    free(xd);
}

#define NUMERIC(t, c, xm, ym, om) numeric_at(__FILE__, __LINE__, (t), (c), (xm), (ym), (om), 0, 0)

static shape_case sc(int n, const int64_t *xs, int m, const int64_t *ys, int64_t ax, int64_t ay)
{
    shape_case c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.m = m;
    memcpy(c.xs, xs, (size_t)n * sizeof(int64_t));
    memcpy(c.ys, ys, (size_t)m * sizeof(int64_t));
    c.ax = ax;
    c.ay = ay;
    return c;
}

#define S(...) ((const int64_t[]){__VA_ARGS__})
#define D BATCH_DOT_AXIS_DEFAULT

static void test_numeric_matrix(void)
{
    /* The seed examples (docs/SEMANTICS.md §1), §7's and §9's cases. */
    const shape_case cases[] = {
        sc(2, S(2, 2), 2, S(2, 2), 1, 1),
        sc(2, S(100, 20), 3, S(100, 30, 20), 1, 2),
        sc(3, S(32, 20, 1), 3, S(32, 30, 20), 1, 2),
        sc(4, S(8, 7, 4, 2), 4, S(8, 7, 2, 5), D, D),
        sc(4, S(2, 3, 4, 5), 4, S(2, 5, 6, 7), 3, 1),
        sc(3, S(4, 2, 3), 3, S(4, 5, 3), 2, 2),
        sc(2, S(4, 2), 3, S(4, 2, 3), 1, 1),
        sc(3, S(4, 2, 3), 2, S(4, 3), 2, 1),
        sc(3, S(3, 4, 5), 3, S(3, 6, 5), -1, -1),
        sc(4, S(2, 1, 2, 2), 4, S(2, 1, 2, 2), 2, 2),
        sc(3, S(1, 2, 1), 4, S(1, 2, 1, 16), 2, 2),
        sc(3, S(1, 3, 2), 4, S(1, 1, 2, 3), -2, -1),
        sc(5, S(2, 3, 2, 2, 3), 5, S(2, 2, 3, 2, 2), 2, 3),
        /* A rank-16 result. */
        sc(9, S(2, 2, 1, 2, 1, 1, 2, 1, 3), 10, S(2, 1, 3, 1, 2, 1, 1, 1, 1, 2), 8, 2),
    };
    size_t ci;
    int t, xm, ym;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        for (t = TK_F32; t <= TK_F64; t++) {
            for (xm = 0; xm < M_COUNT; xm++) {
                for (ym = 0; ym < M_COUNT; ym++) {
                    NUMERIC(t, &cases[ci], xm, ym, (xm * M_COUNT + ym) % 5);
                }
            }
        }
    }
    /* x == y: inputs may alias each other. */
    for (t = TK_F32; t <= TK_F64; t++) {
        shape_case sq = sc(3, S(2, 3, 3), 3, S(2, 3, 3), 2, 1);
        shape_case sq2 = sc(3, S(3, 4, 5), 3, S(3, 4, 5), 1, 1);
        numeric_at(__FILE__, __LINE__, t, &sq, M_C, M_C, 0, 1, 0);
        numeric_at(__FILE__, __LINE__, t, &sq, M_NEG, M_NEG, 3, 1, 0);
        numeric_at(__FILE__, __LINE__, t, &sq2, M_MIX, M_MIX, 1, 1, 0);
    }
}

/* [[1,2],[3,4]] . [[5,6],[7,8]], axes 1 -> [[17],[53]], for every way of
 * spelling axes=1 (docs/SEMANTICS.md §7's first row). */
static void test_seed_values(void)
{
    const int64_t axes[][2] = {{1, 1}, {D, D}, {-1, -1}, {1, -1}};
    int t;
    size_t a;
    for (t = TK_F32; t <= TK_F64; t++) {
        for (a = 0; a < sizeof axes / sizeof axes[0]; a++) {
            double xv[4] = {1, 2, 3, 4}, yv[4] = {5, 6, 7, 8};
            float xf[4] = {1, 2, 3, 4}, yf[4] = {5, 6, 7, 8};
            double od[2] = {-1, -1};
            float of[2] = {-1, -1};
            batch_dot_layout x = lay_c(2, S(2, 2)), o = lay_c(2, S(2, 1));
            const void *xd = t == TK_F64 ? (const void *)xv : (const void *)xf;
            const void *yd = t == TK_F64 ? (const void *)yv : (const void *)yf;
            void *out = t == TK_F64 ? (void *)od : (void *)of;
            CHECK_STATUS(call_bd(t, &x, xd, &x, yd, axes[a][0], axes[a][1], &o, out, NULL),
                         BATCH_DOT_STATUS_OK);
            CHECK(tk_get(t, out, 0) == 17.0 && tk_get(t, out, 1) == 53.0);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* IEEE: K = 0, signed zeros, NaN, Inf                                       */
/* ------------------------------------------------------------------------ */

/* x (B, K) . y (B, K), axes 1, from explicit values; writes out[0..B). */
static int32_t dot_rows(int t, int64_t b, int64_t k, const double *xv, const double *yv,
                        double *res)
{
    int64_t i;
    int32_t st;
    batch_dot_layout x = lay_c(2, S(b, k)), o = lay_c(2, S(b, 1));
    void *xd = tk_xmalloc((size_t)(b * k) * tk_esize(t)), *yd = tk_xmalloc((size_t)(b * k) * tk_esize(t));
    void *od = tk_xmalloc((size_t)b * tk_esize(t));
    for (i = 0; i < b * k; i++) {
        tk_set(t, xd, i, xv[i]);
        tk_set(t, yd, i, yv[i]);
    }
    st = call_bd(t, &x, xd, &x, yd, 1, 1, &o, od, NULL);
    for (i = 0; i < b; i++) {
        res[i] = tk_get(t, od, i);
    }
    free(xd);
    free(yd);
    free(od);
    return st;
}

static void test_ieee(void)
{
    int t;
    for (t = TK_F32; t <= TK_F64; t++) {
        /* K = 0 with NULL input data (empty inputs): +0.0 over a -0.0 canary. */
        {
            batch_dot_layout x = lay_c(2, S(3, 0)), o = lay_c(2, S(3, 1));
            double od[3];
            float of[3];
            void *out = t == TK_F64 ? (void *)od : (void *)of;
            int i, ok = 1;
            for (i = 0; i < 3; i++) {
                tk_set(t, out, i, -0.0);
            }
            CHECK_STATUS(call_bd(t, &x, NULL, &x, NULL, 1, 1, &o, out, NULL),
                         BATCH_DOT_STATUS_OK);
            for (i = 0; i < 3; i++) {
                double v = tk_get(t, out, i);
                ok = ok && v == 0.0 && !signbit(v);
            }
            CHECK(ok);
        }
        /* K = 0 in higher rank, input buffers given, and a padded out. */
        {
            batch_dot_layout x = lay_c(3, S(2, 3, 0)), y = lay_c(3, S(2, 0, 4));
            batch_dot_layout o = make_layout(3, S(2, 3, 4), M_PAD);
            double xd[1] = {7}, yd[1] = {7};
            float xf[1] = {7}, yf[1] = {7};
            void *out = tk_xmalloc((size_t)o.len * tk_esize(t));
            int64_t i, idx[3] = {0, 0, 0};
            int ok = 1;
            for (i = 0; i < o.len; i++) {
                tk_set(t, out, i, -0.0);
            }
            CHECK_STATUS(call_bd(t, &x, t == TK_F64 ? (void *)xd : (void *)xf, &y,
                                 t == TK_F64 ? (void *)yd : (void *)yf, 2, 1, &o, out, NULL),
                         BATCH_DOT_STATUS_OK);
            do {
                double v = tk_get(t, out, tk_elem_pos(&o, idx));
                ok = ok && v == 0.0 && !signbit(v);
            } while (tk_next_index(3, S(2, 3, 4), idx));
            CHECK(ok);
            CHECK(signbit(tk_get(t, out, 0)) && signbit(tk_get(t, out, o.len - 1)));
            free(out);
        }
        /* Every product -0: the sum starts from +0.0, so the result is +0. */
        {
            double xv[2] = {-0.0, -0.0}, yv[2] = {1, 1}, r[1] = {1};
            CHECK_STATUS(dot_rows(t, 1, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
            CHECK(r[0] == 0.0 && !signbit(r[0]));
        }
        /* NaN and Inf propagate. */
        {
            double xv[10] = {NAN, 1, INFINITY, 1, INFINITY, 1, INFINITY, -INFINITY, 1, -INFINITY};
            double yv[10] = {1, 1, 0, 1, 1, 1, 1, 1, 1, 2};
            double r[5];
            CHECK_STATUS(dot_rows(t, 5, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
            CHECK(isnan(r[0]));                 /* NaN * 1 */
            CHECK(isnan(r[1]));                 /* Inf * 0 */
            CHECK(isinf(r[2]) && r[2] > 0);     /* Inf + 1 */
            CHECK(isnan(r[3]));                 /* Inf + -Inf */
            CHECK(isinf(r[4]) && r[4] < 0);     /* 1 + -Inf */
        }
        /* A NaN in y reaches only the outputs that contract with it. */
        {
            double xv[4] = {1, 2, 3, 4}, yv[4] = {1, 1, NAN, 0}, r[2];
            CHECK_STATUS(dot_rows(t, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
            CHECK(r[0] == 3.0 && isnan(r[1]));
        }
    }
    /* Sums are in the element type: f32 overflows to Inf, f64 does not. */
    {
        double xv[2] = {3e38, 3e38}, yv[2] = {1, 1}, r[1];
        CHECK_STATUS(dot_rows(TK_F32, 1, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECK(isinf(r[0]) && r[0] > 0);
        CHECK_STATUS(dot_rows(TK_F64, 1, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECK(r[0] == 6e38);
    }
}

/* ------------------------------------------------------------------------ */
/* Strides the library must ignore, empty tensors                             */
/* ------------------------------------------------------------------------ */

static void test_ignored_fields_and_empty(void)
{
    int t;
    for (t = TK_F32; t <= TK_F64; t++) {
        /* Extent-1 strides are ignored, INT64_MIN included; entries past
         * ndim are ignored, negative shapes included. */
        {
            batch_dot_layout x = lay_c(3, S(2, 1, 4)), y = lay_c(3, S(2, 4, 3));
            batch_dot_layout o = lay_c(3, S(2, 1, 3));
            double xv[8], yv[24], od[6];
            float xf[8], yf[24], of[6];
            void *xd = t == TK_F64 ? (void *)xv : (void *)xf, *yd = t == TK_F64 ? (void *)yv : (void *)yf;
            void *out = t == TK_F64 ? (void *)od : (void *)of;
            int i, b, j, k, ok = 1;
            for (i = 0; i < 8; i++) {
                tk_set(t, xd, i, i + 1);
            }
            for (i = 0; i < 24; i++) {
                tk_set(t, yd, i, i % 5 - 2);
            }
            x.strides[1] = INT64_MIN;
            o.strides[1] = INT64_MIN;
            for (i = 3; i < BATCH_DOT_MAX_NDIM; i++) {
                x.shape[i] = -5;
                x.strides[i] = INT64_MAX;
                y.shape[i] = -7;
                o.shape[i] = INT64_MIN;
            }
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, 2, 1, &o, out, NULL), BATCH_DOT_STATUS_OK);
            for (b = 0; b < 2; b++) {
                for (j = 0; j < 3; j++) {
                    double s = 0;
                    for (k = 0; k < 4; k++) {
                        s += tk_get(t, xd, b * 4 + k) * tk_get(t, yd, b * 12 + k * 3 + j);
                    }
                    ok = ok && tk_get(t, out, b * 3 + j) == s;
                }
            }
            CHECK(ok);
        }
        /* Extent-1 batch and contraction axes with INT64_MIN strides. */
        {
            batch_dot_layout x = lay_c(3, S(1, 3, 1)), y = lay_c(3, S(1, 1, 4));
            batch_dot_layout o = lay_c(3, S(1, 3, 4));
            double xv[3] = {1, -2, 3}, yv[4] = {4, 0, -1, 2}, od[12];
            float xf[3] = {1, -2, 3}, yf[4] = {4, 0, -1, 2}, of[12];
            void *out = t == TK_F64 ? (void *)od : (void *)of;
            int i, j, ok = 1;
            x.strides[0] = INT64_MIN;
            x.strides[2] = INT64_MIN;
            y.strides[0] = INT64_MIN;
            y.strides[1] = INT64_MIN;
            o.strides[0] = INT64_MIN;
            CHECK_STATUS(call_bd(t, &x, t == TK_F64 ? (void *)xv : (void *)xf, &y,
                                 t == TK_F64 ? (void *)yv : (void *)yf, 2, 1, &o, out, NULL),
                         BATCH_DOT_STATUS_OK);
            for (i = 0; i < 3; i++) {
                for (j = 0; j < 4; j++) {
                    ok = ok && tk_get(t, out, i * 4 + j) == xv[i] * yv[j];
                }
            }
            CHECK(ok);
        }
        /* Empty everything: offsets, strides and data pointers unchecked. */
        {
            batch_dot_layout x = lay_c(2, S(0, 4)), o = lay_c(2, S(0, 1));
            x.offset = INT64_MIN;
            x.strides[0] = INT64_MAX;
            x.strides[1] = INT64_MIN;
            x.len = 0;
            o.offset = INT64_MAX;
            o.strides[0] = 0;
            o.len = 0;
            CHECK_STATUS(call_bd(t, &x, NULL, &x, NULL, 1, 1, &o, NULL, NULL),
                         BATCH_DOT_STATUS_OK);
            x.len = -1;
            CHECK_STATUS(call_bd(t, &x, NULL, &x, NULL, 1, 1, &o, NULL, NULL),
                         BATCH_DOT_STATUS_INVALID_ARGUMENT);
        }
        /* Empty output of non-empty x: out data NULL, nothing touched. */
        {
            batch_dot_layout x = lay_c(3, S(3, 2, 4)), y = lay_c(3, S(3, 4, 0));
            batch_dot_layout o = lay_c(3, S(3, 2, 0));
            double xv[24] = {0};
            float xf[24] = {0};
            const void *xd = t == TK_F64 ? (const void *)xv : (const void *)xf;
            CHECK_STATUS(call_bd(t, &x, xd, &y, NULL, 2, 1, &o, NULL, NULL), BATCH_DOT_STATUS_OK);
            /* x has elements, so its data pointer is still required. */
            CHECK_STATUS(call_bd(t, &x, NULL, &y, NULL, 2, 1, &o, NULL, NULL),
                         BATCH_DOT_STATUS_NULL_POINTER);
        }
        /* docs/SEMANTICS.md §5's zero-size case: (3,2,0,0) . (3,0), axes (3,1) -> (3,2,0). */
        {
            batch_dot_layout x = lay_c(4, S(3, 2, 0, 0)), y = lay_c(2, S(3, 0));
            batch_dot_layout o = lay_c(3, S(3, 2, 0));
            CHECK_STATUS(call_bd(t, &x, NULL, &y, NULL, 3, 1, &o, NULL, NULL),
                         BATCH_DOT_STATUS_OK);
        }
        /* An empty x may share out's pointer: it reaches nothing. */
        {
            batch_dot_layout x = lay_c(2, S(2, 0)), o = lay_c(2, S(2, 1));
            double od[2] = {5, 5};
            float of[2] = {5, 5};
            void *out = t == TK_F64 ? (void *)od : (void *)of;
            CHECK_STATUS(call_bd(t, &x, out, &x, out, 1, 1, &o, out, NULL), BATCH_DOT_STATUS_OK);
            CHECK(tk_get(t, out, 0) == 0.0 && tk_get(t, out, 1) == 0.0);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Error cases on a shared arena: status, check order, nothing written      */
/* ------------------------------------------------------------------------ */

#define ARENA_BYTES 32768
static _Alignas(16) unsigned char arena[ARENA_BYTES];
static unsigned char arena_copy[ARENA_BYTES];

#define NO_PTR (-1L)

typedef struct {
    batch_dot_layout x, y, o;
    int lx, ly, lo;    /* pass the layout (1) or NULL (0) */
    int64_t ax, ay;
    long xe, ye, oe;   /* data pointer: arena + this many elements, or NULL (NO_PTR) */
    size_t xmis;       /* bytes added to x's data pointer (misalignment) */
    const batch_dot_options *opt;
} oc_t;

/* A valid call: x (2,3,4) at element 0, y (2,4,5) at 256, out (2,3,5) at 512. */
static oc_t base_case(void)
{
    oc_t c;
    memset(&c, 0, sizeof c);
    c.x = lay_c(3, S(2, 3, 4));
    c.y = lay_c(3, S(2, 4, 5));
    c.o = lay_c(3, S(2, 3, 5));
    c.lx = c.ly = c.lo = 1;
    c.ax = 2;
    c.ay = 1;
    c.xe = 0;
    c.ye = 256;
    c.oe = 512;
    return c;
}

static void *arena_ptr(int t, long e, size_t mis)
{
    return e == NO_PTR ? NULL : (void *)(arena + (size_t)e * tk_esize(t) + mis);
}

/* Runs c for the element type t; expects want; on error, checks that not a
 * byte of the arena (x, y, out and the padding around them) changed and
 * that a message was set; on success, that the message is "". */
static void expect_case_t(const char *file, int line, const char *what, int t, const oc_t *c,
                          int32_t want)
{
    size_t i;
    int32_t st, oracle;
    char msg[512];
    size_t mlen;
    const batch_dot_layout *const l[3] = {c->lx ? &c->x : NULL, c->ly ? &c->y : NULL,
                                          c->lo ? &c->o : NULL};
    void *od = arena_ptr(t, c->oe, 0);
    const void *const p[3] = {arena_ptr(t, c->xe, c->xmis), arena_ptr(t, c->ye, 0), od};
    /* The case as written and the test kit's oracle must agree (a forced
     * panic aside: its inputs are valid). */
    oracle = tk_expect_compute(l, c->ax, c->ay, c->opt, p, tk_esize(t));
    if (oracle != (want == BATCH_DOT_STATUS_INTERNAL ? BATCH_DOT_STATUS_OK : want)) {
        fail_at(file, line, "%s (%s): the case expects %s, the test kit's oracle %s", what,
                tk_dtype_name(t), batch_dot_status_string(want), batch_dot_status_string(oracle));
        return;
    }
    for (i = 0; i < ARENA_BYTES; i++) {
        arena[i] = (unsigned char)(0x3Cu + i % 3u); /* finite as f32 and f64 */
    }
    memcpy(arena_copy, arena, ARENA_BYTES);
    st = call_bd(t, l[0], p[0], l[1], p[1], c->ax, c->ay, l[2], od, c->opt);
    mlen = last_msg(msg, sizeof msg);
    if (st != want) {
        fail_at(file, line, "%s (%s): expected %s, got %s (message: \"%s\")", what, tk_dtype_name(t),
                batch_dot_status_string(want), batch_dot_status_string(st), msg);
        return;
    }
    if (want != BATCH_DOT_STATUS_OK) {
        if (memcmp(arena, arena_copy, ARENA_BYTES) != 0) {
            fail_at(file, line, "%s (%s): %s, but memory was written", what, tk_dtype_name(t),
                    batch_dot_status_string(st));
            return;
        }
        if (mlen == 0 || strlen(msg) == 0) {
            fail_at(file, line, "%s (%s): %s with an empty message", what, tk_dtype_name(t),
                    batch_dot_status_string(st));
            return;
        }
    } else if (mlen != 0) {
        fail_at(file, line, "%s (%s): OK but the message is \"%s\"", what, tk_dtype_name(t), msg);
        return;
    }
    n_pass++;
}

static void expect_case_at(const char *file, int line, const char *what, const oc_t *c,
                           int32_t want32, int32_t want64)
{
    expect_case_t(file, line, what, TK_F32, c, want32);
    expect_case_t(file, line, what, TK_F64, c, want64);
}

#define EXPECT(what, c, want) expect_case_at(__FILE__, __LINE__, (what), &(c), (want), (want))

/* Makes c's x and y rank 16 with all extents 1 except the two given. */
static void rank16_inputs(oc_t *c, int64_t kx, int64_t ky)
{
    int64_t ones[BATCH_DOT_MAX_NDIM];
    int i;
    for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
        ones[i] = 1;
    }
    ones[0] = 2;
    ones[1] = kx;
    c->x = lay_c(BATCH_DOT_MAX_NDIM, ones);
    ones[1] = ky;
    c->y = lay_c(BATCH_DOT_MAX_NDIM, ones);
    c->ax = 1;
    c->ay = 1;
}

static void test_compute_statuses(void)
{
    oc_t c;

    c = base_case();
    EXPECT("the base case", c, BATCH_DOT_STATUS_OK);

    /* 1. NULL layouts. */
    c = base_case(); c.lx = 0; EXPECT("x NULL", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.ly = 0; EXPECT("y NULL", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.lo = 0; EXPECT("out NULL", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.lx = c.ly = c.lo = 0; c.xe = c.ye = c.oe = NO_PTR;
    EXPECT("everything NULL", c, BATCH_DOT_STATUS_NULL_POINTER);

    /* 2. Reserved flags, negative len. (Options: test_options.) */
    c = base_case(); c.x.flags = 1; EXPECT("x.flags", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.y.flags = 0x80000000u; EXPECT("y.flags", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.o.flags = 2; EXPECT("out.flags", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.x.len = -1; EXPECT("x.len < 0", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.y.len = INT64_MIN; EXPECT("y.len < 0", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.o.len = -30; EXPECT("out.len < 0", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);

    /* 3. Ranks. */
    c = base_case(); c.x.ndim = 17; EXPECT("x.ndim 17", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.y.ndim = -1; EXPECT("y.ndim -1", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.o.ndim = 17; EXPECT("out.ndim 17", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.o.ndim = INT32_MIN; EXPECT("out.ndim INT32_MIN", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.x = lay_c(1, S(2)); EXPECT("x rank 1", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.y = lay_c(0, NULL); EXPECT("y rank 0", c, BATCH_DOT_STATUS_INVALID_RANK);

    /* 4. Negative extents. */
    c = base_case(); c.x.shape[1] = -1; EXPECT("x extent -1", c, BATCH_DOT_STATUS_INVALID_SHAPE);
    c = base_case(); c.y.shape[2] = INT64_MIN; EXPECT("y extent INT64_MIN", c, BATCH_DOT_STATUS_INVALID_SHAPE);
    c = base_case(); c.o.shape[0] = -2; EXPECT("out extent -2", c, BATCH_DOT_STATUS_INVALID_SHAPE);

    /* 5. docs/SEMANTICS.md §3. */
    c = base_case(); c.y.shape[0] = 3; EXPECT("batch 2 vs 3", c, BATCH_DOT_STATUS_BATCH_MISMATCH);
    c = base_case(); c.ax = D; EXPECT("lone default (x)", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ay = D; EXPECT("lone default (y)", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ax = 0; EXPECT("axis_x 0", c, BATCH_DOT_STATUS_BATCH_AXIS);
    c = base_case(); c.ay = -3; EXPECT("axis_y -3 -> 0", c, BATCH_DOT_STATUS_BATCH_AXIS);
    c = base_case(); c.ax = 3; EXPECT("axis_x 3 of rank 3", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ay = -4; EXPECT("axis_y -4 of rank 3", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ax = INT64_MAX; EXPECT("axis_x INT64_MAX", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ay = INT64_MIN + 1; EXPECT("axis_y INT64_MIN+1", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ax = 1; EXPECT("K 3 vs 4", c, BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
    c = base_case(); c.ax = D; c.ay = D;   /* (2, 1): the base case's axes */
    EXPECT("axes default", c, BATCH_DOT_STATUS_OK);

    /* 6. Result rank above 16. */
    c = base_case(); rank16_inputs(&c, 3, 3); EXPECT("result rank 29", c, BATCH_DOT_STATUS_INVALID_RANK);

    /* 7. The out layout's shape. */
    c = base_case(); c.o.shape[2] = 4; EXPECT("out shape (2,3,4)", c, BATCH_DOT_STATUS_OUTPUT_SHAPE);
    c = base_case(); c.o = lay_c(2, S(2, 15)); EXPECT("out ndim 2", c, BATCH_DOT_STATUS_OUTPUT_SHAPE);
    c = base_case(); c.x = lay_c(2, S(2, 4)); c.ax = 1; c.ay = 1;
    c.o = lay_c(3, S(2, 1, 5)); EXPECT("out (2,1,5) for (2,5)", c, BATCH_DOT_STATUS_OUTPUT_SHAPE);

    /* 8. Overflow: element counts and reachable offsets, in bytes too. */
    c = base_case(); c.x.strides[0] = INT64_MAX; EXPECT("x reach overflows", c, BATCH_DOT_STATUS_OVERFLOW);
    c = base_case(); c.o.offset = INT64_MAX; EXPECT("out offset + span overflows", c, BATCH_DOT_STATUS_OVERFLOW);
    c = base_case(); c.y.strides[1] = INT64_MIN; EXPECT("y reach underflows", c, BATCH_DOT_STATUS_OVERFLOW);
    c = base_case();
    c.x = lay_raw(3, S(2, (int64_t)1 << 32, (int64_t)1 << 32), S(1, 1, 1), 0);
    c.y = lay_raw(3, S(2, (int64_t)1 << 32, 5), S(0, 0, 1), 5);
    c.o = lay_raw(3, S(2, (int64_t)1 << 32, 5), S(0, 1, 0), 1);
    EXPECT("x element count 2^65", c, BATCH_DOT_STATUS_OVERFLOW);
    /* hi = 2^60 + 11 elements: fits in bytes for f32 (then out of bounds),
     * not for f64; lo = -2^61 elements: -2^63 bytes for f32 fits. */
    c = base_case(); c.x.strides[0] = (int64_t)1 << 60;
    expect_case_at(__FILE__, __LINE__, "x reach 2^60 elements", &c, BATCH_DOT_STATUS_OUT_OF_BOUNDS,
                   BATCH_DOT_STATUS_OVERFLOW);
    c = base_case(); c.x.strides[0] = -((int64_t)1 << 61);
    expect_case_at(__FILE__, __LINE__, "x reach -2^61 elements", &c, BATCH_DOT_STATUS_OUT_OF_BOUNDS,
                   BATCH_DOT_STATUS_OVERFLOW);

    /* 9. NULL data pointers of tensors with elements; misaligned ones
     * (INVALID_ARGUMENT, as the header documents). */
    c = base_case(); c.xe = NO_PTR; EXPECT("x_data NULL", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.ye = NO_PTR; EXPECT("y_data NULL", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.oe = NO_PTR; EXPECT("out_data NULL", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.xmis = 2; EXPECT("x_data misaligned", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);

    /* 10. Bounds. */
    c = base_case(); c.x.len = 23; EXPECT("x.len one short", c, BATCH_DOT_STATUS_OUT_OF_BOUNDS);
    c = base_case(); c.y.offset = -1; c.y.len = 41; EXPECT("y below 0", c, BATCH_DOT_STATUS_OUT_OF_BOUNDS);
    c = base_case(); c.o.offset = 1; EXPECT("out past len", c, BATCH_DOT_STATUS_OUT_OF_BOUNDS);
    c = base_case(); c.o.offset = 1; c.o.len = 31; EXPECT("out offset 1, len 31", c, BATCH_DOT_STATUS_OK);
    c = base_case(); c.x.strides[0] = -12; c.x.offset = 12;
    EXPECT("x negative stride, offset at the end", c, BATCH_DOT_STATUS_OK);
    c = base_case(); c.x.strides[0] = -12;
    EXPECT("x negative stride, offset 0", c, BATCH_DOT_STATUS_OUT_OF_BOUNDS);
    c = base_case(); c.y.strides[0] = 0; c.y.len = 20;
    EXPECT("y broadcast over the batch", c, BATCH_DOT_STATUS_OK);

    /* 11. Aliasing. */
    c = base_case(); c.oe = 10; EXPECT("out inside x", c, BATCH_DOT_STATUS_ALIASING);
    c = base_case(); c.oe = 23; EXPECT("out's first element on x's last", c, BATCH_DOT_STATUS_ALIASING);
    c = base_case(); c.oe = 24; EXPECT("out right after x", c, BATCH_DOT_STATUS_OK);
    c = base_case(); c.oe = 256 - 30; EXPECT("out right before y", c, BATCH_DOT_STATUS_OK);
    c = base_case(); c.oe = 256 - 29; EXPECT("out's last element on y's first", c, BATCH_DOT_STATUS_ALIASING);
    c = base_case(); c.oe = 290; EXPECT("out inside y", c, BATCH_DOT_STATUS_ALIASING);
    c = base_case(); c.ye = 0; c.y = lay_c(3, S(2, 4, 5)); c.x = lay_c(3, S(2, 3, 4));
    EXPECT("x and y overlap (allowed)", c, BATCH_DOT_STATUS_OK);
    /* Interleaved but disjoint: rejected (the conservative test). */
    c = base_case(); c.x.strides[0] = 24; c.x.strides[1] = 8; c.x.strides[2] = 2; c.x.len = 48;
    c.o.strides[0] = 30; c.o.strides[1] = 10; c.o.strides[2] = 2; c.o.len = 60; c.oe = 1;
    EXPECT("out interleaved with x", c, BATCH_DOT_STATUS_ALIASING);
    /* Not non-overlapping by construction. */
    c = base_case(); c.o.strides[2] = 0; EXPECT("out stride 0", c, BATCH_DOT_STATUS_ALIASING);
    c = base_case(); c.o.strides[0] = 1; c.o.strides[1] = 1; c.o.strides[2] = 1; c.o.len = 8;
    EXPECT("out strides (1,1,1)", c, BATCH_DOT_STATUS_ALIASING);
    /* (2,3) with strides (3,2) reaches 0,2,4,3,5,7: no repeats, but not by
     * construction (|3| <= span 4 of the stride-2 axis). */
    c = base_case(); c.x = lay_c(2, S(2, 4)); c.y = lay_c(3, S(2, 4, 3)); c.ax = 1; c.ay = 1;
    c.o = lay_c(2, S(2, 3)); c.o.strides[0] = 3; c.o.strides[1] = 2; c.o.len = 8;
    EXPECT("out strides (3,2)", c, BATCH_DOT_STATUS_ALIASING);
    c.o.strides[0] = 5; c.o.len = 10; EXPECT("out strides (5,2)", c, BATCH_DOT_STATUS_OK);
    c.o.strides[0] = -5; c.o.strides[1] = -2; c.o.offset = 9;
    EXPECT("out strides (-5,-2)", c, BATCH_DOT_STATUS_OK);
    c.o.strides[0] = 3; c.o.strides[1] = -1; c.o.offset = 2; c.o.len = 6;
    EXPECT("out strides (3,-1)", c, BATCH_DOT_STATUS_OK);
    /* Extent-1 out dimensions may have any stride. */
    c = base_case(); c.x = lay_c(2, S(2, 4)); c.y = lay_c(2, S(2, 4)); c.ax = 1; c.ay = 1;
    c.o = lay_c(2, S(2, 1)); c.o.strides[1] = 0; EXPECT("out (2,1) strides (1,0)", c, BATCH_DOT_STATUS_OK);
    c.o.strides[1] = INT64_MIN; EXPECT("out (2,1) strides (1,INT64_MIN)", c, BATCH_DOT_STATUS_OK);

    printf("note: BATCH_DOT_STATUS_ALLOCATION (13) is not tested: the library's only "
           "fallible allocation is a scratch buffer of bounded size (per thread, whatever "
           "the shapes), so no input makes it fail; it is unreachable from C short of "
           "exhausting the process's memory.\n");
}

/* docs/API.md's check order: for each adjacent pair of its 11 steps (and inside
 * step 5, docs/SEMANTICS.md §3's order), an input that fails both gets the earlier
 * step's status. */
static void test_check_order(void)
{
    oc_t c;
    batch_dot_options bad;
    batch_dot_options_init(&bad);
    bad.struct_size = 1;

    /* 1 before 2 */
    c = base_case(); c.lx = 0; c.y.flags = 1; EXPECT("1<2: x NULL, y.flags", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.lo = 0; c.opt = &bad; EXPECT("1<2: out NULL, bad struct_size", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.ly = 0; c.x.len = -1; EXPECT("1<2: y NULL, x.len < 0", c, BATCH_DOT_STATUS_NULL_POINTER);
    /* 2 before 3 */
    c = base_case(); c.x.flags = 1; c.y.ndim = 17; EXPECT("2<3: x.flags, y.ndim 17", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.o.len = -1; c.x.ndim = 1; EXPECT("2<3: out.len < 0, x rank 1", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    c = base_case(); c.opt = &bad; c.o.ndim = -1; EXPECT("2<3: struct_size, out.ndim -1", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    /* 3 before 4 */
    c = base_case(); c.x.ndim = 17; c.y.shape[0] = -5; EXPECT("3<4: x.ndim 17, y extent -5", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.x.ndim = 1; c.x.shape[0] = -2; EXPECT("3<4: x rank 1 with extent -2", c, BATCH_DOT_STATUS_INVALID_RANK);
    c = base_case(); c.o.ndim = 17; c.x.shape[1] = -1; EXPECT("3<4: out.ndim 17, x extent -1", c, BATCH_DOT_STATUS_INVALID_RANK);
    /* 4 before 5 */
    c = base_case(); c.y.shape[0] = 3; c.o.shape[2] = -1; EXPECT("4<5: batch mismatch, out extent -1", c, BATCH_DOT_STATUS_INVALID_SHAPE);
    c = base_case(); c.ax = 0; c.x.shape[2] = -4; EXPECT("4<5: axis 0, x extent -4", c, BATCH_DOT_STATUS_INVALID_SHAPE);
    /* inside 5: batch, lone default, axis 0, out of range, contraction */
    c = base_case(); c.y.shape[0] = 3; c.ax = D; EXPECT("5: batch before lone default", c, BATCH_DOT_STATUS_BATCH_MISMATCH);
    c = base_case(); c.y.shape[0] = 3; c.ax = 0; c.ay = 0; EXPECT("5: batch before axis 0", c, BATCH_DOT_STATUS_BATCH_MISMATCH);
    c = base_case(); c.ax = D; c.ay = 0; EXPECT("5: lone default before axis 0", c, BATCH_DOT_STATUS_INVALID_AXES);
    c = base_case(); c.ax = 0; c.ay = 7; EXPECT("5: axis 0 before out of range", c, BATCH_DOT_STATUS_BATCH_AXIS);
    c = base_case(); c.ax = 7; c.ay = 0; EXPECT("5: axis 0 (y) before out of range (x)", c, BATCH_DOT_STATUS_BATCH_AXIS);
    c = base_case(); c.ax = 1; c.ay = 3; EXPECT("5: out of range before contraction", c, BATCH_DOT_STATUS_INVALID_AXES);
    /* 5 before 6 */
    c = base_case(); rank16_inputs(&c, 2, 3); EXPECT("5<6: contraction, result rank 29", c, BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
    c = base_case(); rank16_inputs(&c, 2, 2); c.y.shape[0] = 3; EXPECT("5<6: batch, result rank 29", c, BATCH_DOT_STATUS_BATCH_MISMATCH);
    /* 6 before 7 */
    c = base_case(); rank16_inputs(&c, 2, 2); EXPECT("6<7: result rank 29, out (2,3,5)", c, BATCH_DOT_STATUS_INVALID_RANK);
    /* 7 before 8 */
    c = base_case(); c.o.shape[1] = 4; c.x.strides[0] = INT64_MAX; EXPECT("7<8: out shape, x reach overflow", c, BATCH_DOT_STATUS_OUTPUT_SHAPE);
    /* 8 before 9 */
    c = base_case(); c.x.strides[0] = INT64_MAX; c.xe = NO_PTR; EXPECT("8<9: x overflow, x_data NULL", c, BATCH_DOT_STATUS_OVERFLOW);
    c = base_case(); c.o.offset = INT64_MAX; c.ye = NO_PTR; EXPECT("8<9: out overflow, y_data NULL", c, BATCH_DOT_STATUS_OVERFLOW);
    /* 9 before 10 */
    c = base_case(); c.xe = NO_PTR; c.y.len = 10; EXPECT("9<10: x_data NULL, y out of bounds", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.oe = NO_PTR; c.x.offset = 5; EXPECT("9<10: out_data NULL, x out of bounds", c, BATCH_DOT_STATUS_NULL_POINTER);
    c = base_case(); c.xmis = 1; c.y.len = 10; EXPECT("9<10: x misaligned, y out of bounds", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    /* 10 before 11 */
    c = base_case(); c.oe = 10; c.o.len = 5; EXPECT("10<11: out out of bounds and inside x", c, BATCH_DOT_STATUS_OUT_OF_BOUNDS);
    c = base_case(); c.o.strides[2] = 0; c.o.len = 3; EXPECT("10<11: out out of bounds, stride 0", c, BATCH_DOT_STATUS_OUT_OF_BOUNDS);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* A newer caller's options struct of up to a page. */
static union {
    batch_dot_options o;
    unsigned char bytes[4200];
} optbuf;

static void test_options(void)
{
    batch_dot_options o;
    struct {
        batch_dot_options o;
        unsigned char tail[16];
    } big;
    oc_t c;
    size_t i;

    /* options_init fills every field (32 bytes, alpha 1, beta 0), and only
     * sizeof(batch_dot_options) bytes. */
    memset(&big, 0xCD, sizeof big);
    batch_dot_options_init(&big.o);
    CHECK(big.o.struct_size == sizeof(batch_dot_options) && big.o.struct_size == 32);
    CHECK(big.o.num_threads == 0 && big.o.flags == 0);
    CHECK(big.o.alpha == 1.0 && big.o.beta == 0.0);
    for (i = 0; i < sizeof big.tail; i++) {
        if (big.tail[i] != 0xCD) {
            break;
        }
    }
    CHECK(i == sizeof big.tail);
    batch_dot_options_init(NULL); /* does nothing (a crash here fails the run) */

    c = base_case();
    c.opt = NULL; EXPECT("options NULL", c, BATCH_DOT_STATUS_OK);
    batch_dot_options_init(&o);
    c.opt = &o; EXPECT("options from init", c, BATCH_DOT_STATUS_OK);
    o.num_threads = 1; EXPECT("num_threads 1", c, BATCH_DOT_STATUS_OK);
    o.num_threads = 3; EXPECT("num_threads 3", c, BATCH_DOT_STATUS_OK);
    o.num_threads = 0;
    o.flags = BATCH_DOT_OPT_SCALE; EXPECT("options flags SCALE", c, BATCH_DOT_STATUS_OK);
    o.flags = 2; EXPECT("options flags 2 (unknown)", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    o.flags = 3; EXPECT("options flags 3 (SCALE + unknown)", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    o.flags = 0x80000000u; EXPECT("options flags bit 31", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    o.flags = 0;
    o.struct_size = 0; EXPECT("struct_size 0", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    o.struct_size = sizeof(size_t); EXPECT("struct_size 8", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    o.struct_size = 15; EXPECT("struct_size 15", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    /* 31: alpha = 1.0 has nonzero bytes in [16, 31), which a caller that
     * knows only 16 bytes cannot have set. */
    o.struct_size = sizeof o - 1; EXPECT("struct_size sizeof - 1", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    o.struct_size = sizeof o; EXPECT("struct_size sizeof", c, BATCH_DOT_STATUS_OK);

    /* A newer caller's larger struct: accepted when the tail is all zero. */
    memset(&big, 0, sizeof big);
    batch_dot_options_init(&big.o);
    big.o.struct_size = sizeof big;
    c.opt = &big.o; EXPECT("larger struct, zero tail", c, BATCH_DOT_STATUS_OK);
    big.tail[sizeof big.tail - 1] = 1; EXPECT("larger struct, last tail byte 1", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    big.tail[sizeof big.tail - 1] = 0; big.tail[0] = 0x80;
    EXPECT("larger struct, first tail byte 0x80", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    big.tail[0] = 0;
    big.o.struct_size = sizeof big.o + 1; big.tail[1] = 9;
    EXPECT("struct_size + 1: bytes past struct_size are not read", c, BATCH_DOT_STATUS_OK);
    big.tail[0] = 9; EXPECT("struct_size + 1, that byte nonzero", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);

    /* Up to a page (openat2's E2BIG limit, documented in the header). */
    memset(&optbuf, 0, sizeof optbuf);
    batch_dot_options_init(&optbuf.o);
    c.opt = &optbuf.o;
    optbuf.o.struct_size = 4096; EXPECT("struct_size 4096, zero tail", c, BATCH_DOT_STATUS_OK);
    optbuf.bytes[4095] = 1; EXPECT("struct_size 4096, byte 4095 set", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    optbuf.bytes[4095] = 0;
    optbuf.bytes[4096] = 1; EXPECT("struct_size 4096, byte 4096 set (not read)", c, BATCH_DOT_STATUS_OK);
    optbuf.o.struct_size = 4097; EXPECT("struct_size 4097", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    optbuf.bytes[4096] = 0;
    EXPECT("struct_size 4097, zero tail", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    optbuf.o.struct_size = SIZE_MAX; EXPECT("struct_size SIZE_MAX", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
}

/* A 0.1 caller's options: 16 bytes, no alpha or beta. */
typedef struct {
    size_t struct_size;
    uint32_t num_threads;
    uint32_t flags;
} options_v01;

/* Extensible-struct rules of version 0.2 (docs/API.md, check 2). */
static void test_options_versions(void)
{
    options_v01 v1;
    struct {
        options_v01 o;
        unsigned char tail[16];
    } v1t;
    batch_dot_options o;
    oc_t c = base_case();
    _Static_assert(sizeof(options_v01) == 16, "0.1 options size");
    memset(&v1, 0, sizeof v1);
    v1.struct_size = sizeof v1;
    c.opt = (const batch_dot_options *)&v1;
    EXPECT("0.1 options (16 bytes)", c, BATCH_DOT_STATUS_OK);
    v1.num_threads = 2; EXPECT("0.1 options, 2 threads", c, BATCH_DOT_STATUS_OK);
    v1.flags = BATCH_DOT_OPT_SCALE;
    EXPECT("0.1 options with the SCALE flag (short struct)", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    v1.flags = 2; EXPECT("0.1 options, unknown flag", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    v1.flags = 0;
    /* 16..31 bytes: a zero tail is fine, a nonzero byte or the flag is not. */
    memset(&v1t, 0, sizeof v1t);
    v1t.o.struct_size = 24;
    c.opt = (const batch_dot_options *)&v1t;
    EXPECT("struct_size 24, zero tail", c, BATCH_DOT_STATUS_OK);
    v1t.tail[7] = 1; EXPECT("struct_size 24, byte 23 set", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    v1t.tail[7] = 0; v1t.tail[8] = 1;
    EXPECT("struct_size 24, byte 24 set (not read)", c, BATCH_DOT_STATUS_OK);
    v1t.tail[8] = 0; v1t.o.flags = BATCH_DOT_OPT_SCALE;
    EXPECT("struct_size 24 with the SCALE flag", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    v1t.o.struct_size = 31; EXPECT("struct_size 31 with the SCALE flag", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    /* 32: alpha and beta are fields, read only with the flag. */
    batch_dot_options_init(&o);
    o.alpha = 7.0;
    o.beta = -3.0;
    c.opt = &o;
    EXPECT("alpha, beta set without the flag", c, BATCH_DOT_STATUS_OK);
    o.flags = BATCH_DOT_OPT_SCALE; EXPECT("the SCALE flag, 32 bytes", c, BATCH_DOT_STATUS_OK);
    o.alpha = NAN; o.beta = INFINITY;
    EXPECT("the SCALE flag, non-finite alpha and beta", c, BATCH_DOT_STATUS_OK);
    o.flags = BATCH_DOT_OPT_SCALE | 4u; EXPECT("SCALE and bit 2", c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
}

/* out = alpha*(x.y) + beta*out on small integers (every value exact), for
 * f32 and f64, on 1 and 2 threads: the exact formula, beta = 0 never reads
 * out (NaN there has no effect), and the plain call is alpha 1, beta 0. */
static void test_scale(void)
{
    static const double pairs[][2] = {{1, 0}, {0.125, 0}, {-2, 0}, {0.5, 2},
                                      {-1, 1}, {0, 1},    {0, 0},  {3, -0.5}};
    const int64_t xs[3] = {3, 5, 7}, ys[3] = {3, 7, 6};
    int t;
    size_t p;
    for (t = TK_F32; t <= TK_F64; t++) {
        batch_dot_layout x = lay_c(3, xs), y = lay_c(3, ys), o = lay_c(3, S(3, 5, 6));
        void *xd = tk_xmalloc((size_t)x.len * tk_esize(t));
        void *yd = tk_xmalloc((size_t)y.len * tk_esize(t));
        void *plain = tk_xmalloc((size_t)o.len * tk_esize(t));
        void *before = tk_xmalloc((size_t)o.len * tk_esize(t));
        void *od = tk_xmalloc((size_t)o.len * tk_esize(t));
        void *od2 = tk_xmalloc((size_t)o.len * tk_esize(t));
        int64_t i;
        for (i = 0; i < x.len; i++) tk_set(t, xd, i, rnd_small());
        for (i = 0; i < y.len; i++) tk_set(t, yd, i, rnd_small());
        CHECK_STATUS(call_bd(t, &x, xd, &y, yd, 2, 1, &o, plain, NULL), BATCH_DOT_STATUS_OK);
        for (p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            double alpha = pairs[p][0], beta = pairs[p][1];
            batch_dot_options opt;
            int ok = 1;
            batch_dot_options_init(&opt);
            opt.flags = BATCH_DOT_OPT_SCALE;
            opt.alpha = alpha;
            opt.beta = beta;
            for (i = 0; i < o.len; i++) tk_set(t, before, i, beta == 0 ? NAN : rnd_small());
            memcpy(od, before, (size_t)o.len * tk_esize(t));
            memcpy(od2, before, (size_t)o.len * tk_esize(t));
            opt.num_threads = 1;
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_OK);
            opt.num_threads = 2;
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, 2, 1, &o, od2, &opt), BATCH_DOT_STATUS_OK);
            for (i = 0; i < o.len; i++) {
                double want = alpha * tk_get(t, plain, i) + (beta == 0 ? 0 : beta * tk_get(t, before, i));
                ok &= tk_get(t, od, i) == want;
            }
            CHECKF(ok, "%s alpha %g beta %g", tk_dtype_name(t), alpha, beta);
            CHECKF(memcmp(od, od2, (size_t)o.len * tk_esize(t)) == 0, "%s alpha %g beta %g: 2 threads differ",
                   tk_dtype_name(t), alpha, beta);
            if (alpha == 1 && beta == 0) {
                CHECK(memcmp(od, plain, (size_t)o.len * tk_esize(t)) == 0);
            }
        }
        free(xd);
        free(yd);
        free(plain);
        free(before);
        free(od);
        free(od2);
    }
}

/* Products big enough for the library to use more than one thread when
 * allowed (more than ~80 microseconds of estimated work), in a few layouts:
 * many batches, and one batch (split by rows). */
static const struct {
    shape_case c;
    int xm, ym, om;
} big_cases[] = {
    {{3, 3, {4, 96, 300}, {4, 300, 64}, 2, 1}, M_C, M_C, 0},
    {{3, 3, {4, 96, 300}, {4, 300, 64}, 2, 1}, M_MIX, M_F, 3},
    {{3, 3, {1, 256, 300}, {1, 300, 64}, 2, 1}, M_C, M_NEG, 2},
    {{2, 3, {3, 300}, {3, 300, 200}, 1, 1}, M_C, M_C, 0},
};

/* With default options (and BATCH_DOT_NUM_THREADS unset) a call runs on the
 * caller's thread alone and starts no thread, however big. Runs before any
 * call that asks for threads. */
static void test_default_single_thread(void)
{
    const char *env = getenv("BATCH_DOT_NUM_THREADS");
    size_t bc;
    int before, after, t;
    batch_dot_options opt;
    if (env != NULL && env[0] != '\0') {
        skip("no-thread test: BATCH_DOT_NUM_THREADS is set");
        return;
    }
    before = tk_process_threads();
    if (before < 0) {
        skip("no-thread test: /proc/self/status is not readable");
        return;
    }
    batch_dot_options_init(&opt);
    for (bc = 0; bc < sizeof big_cases / sizeof big_cases[0]; bc++) {
        for (t = TK_F32; t <= TK_F64; t++) {
            const shape_case *c = &big_cases[bc].c;
            batch_dot_layout x = lay_c(c->n, c->xs), y = lay_c(c->m, c->ys), o;
            int64_t os[2 * BATCH_DOT_MAX_NDIM];
            int a0 = 1, a1 = 1, ond;
            void *xd = tk_xmalloc((size_t)x.len * tk_esize(t));
            void *yd = tk_xmalloc((size_t)y.len * tk_esize(t));
            void *od;
            (void)tk_axes(c->n, c->m, c->ax, c->ay, &a0, &a1);
            ond = tk_result_shape(c->n, c->xs, c->m, c->ys, a0, a1, os);
            o = lay_c(ond, os);
            od = tk_xmalloc((size_t)o.len * tk_esize(t));
            memset(xd, 0, (size_t)x.len * tk_esize(t));
            memset(yd, 0, (size_t)y.len * tk_esize(t));
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, c->ax, c->ay, &o, od, NULL),
                         BATCH_DOT_STATUS_OK);
            opt.num_threads = 0;
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, c->ax, c->ay, &o, od, &opt),
                         BATCH_DOT_STATUS_OK);
            opt.num_threads = 1;
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, c->ax, c->ay, &o, od, &opt),
                         BATCH_DOT_STATUS_OK);
            free(xd);
            free(yd);
            free(od);
        }
    }
    after = tk_process_threads();
    CHECKF(after == before, "threads before: %d, after: %d", before, after);
}

/* Results are right, and bitwise identical whatever num_threads is; with
 * full-mantissa data, within docs/SEMANTICS.md §6's error bound. */
static void test_threads_bitwise(void)
{
    size_t bc;
    int t;
    for (bc = 0; bc < sizeof big_cases / sizeof big_cases[0]; bc++) {
        const shape_case *c = &big_cases[bc].c;
        for (t = TK_F32; t <= TK_F64; t++) {
            batch_dot_layout x = make_layout(c->n, c->xs, big_cases[bc].xm);
            batch_dot_layout y = make_layout(c->m, c->ys, big_cases[bc].ym);
            batch_dot_layout o;
            int64_t os[2 * BATCH_DOT_MAX_NDIM];
            int a0 = 1, a1 = 1, ond;
            size_t es = tk_esize(t), on;
            void *xd, *yd;
            unsigned char *first, *out;
            const uint32_t nts[6] = {1, 2, 3, 4, 8, 64};
            int64_t i, total, outside_bound = -1;
            double *want, *abs_sum;
            int64_t *where;
            size_t k;
            batch_dot_options opt;

            /* Exact values: compare with the reference, with threads. */
            numeric_at(__FILE__, __LINE__, t, c, big_cases[bc].xm, big_cases[bc].ym,
                       big_cases[bc].om, 0, 4);
            /* Full-mantissa values: against the reference within the error
             * bound, then run against run. */
            (void)tk_axes(c->n, c->m, c->ax, c->ay, &a0, &a1);
            ond = tk_result_shape(c->n, c->xs, c->m, c->ys, a0, a1, os);
            o = make_layout(ond, os, out_modes[big_cases[bc].om]);
            on = (size_t)o.len * es;
            xd = tk_xmalloc((size_t)x.len * es);
            yd = tk_xmalloc((size_t)y.len * es);
            first = tk_xmalloc(on);
            out = tk_xmalloc(on);
            for (i = 0; i < x.len; i++) {
                tk_set(t, xd, i, tk_rng_real(&rng));
            }
            for (i = 0; i < y.len; i++) {
                tk_set(t, yd, i, tk_rng_real(&rng));
            }
            memset(first, 0, on);
            CHECK_STATUS(call_bd(t, &x, xd, &y, yd, c->ax, c->ay, &o, first, NULL),
                         BATCH_DOT_STATUS_OK);
            total = tk_count(&o);
            want = tk_xmalloc((size_t)total * sizeof(double));
            abs_sum = tk_xmalloc((size_t)total * sizeof(double));
            where = tk_xmalloc((size_t)total * sizeof(int64_t));
            tk_naive(t, &x, xd, &y, yd, a0, a1, &o, want, abs_sum, where);
            for (i = 0; i < total && outside_bound < 0; i++) {
                if (!tk_within_bound(t, tk_get(t, first, where[i]), want[i], abs_sum[i],
                                     c->xs[a0])) {
                    outside_bound = i;
                }
            }
            CHECKF(outside_bound < 0, "big case %d, %s: out element %" PRId64 " is %.17g, reference %.17g",
                   (int)bc, tk_dtype_name(t), outside_bound, outside_bound < 0 ? 0.0 : tk_get(t, first, where[outside_bound]),
                   outside_bound < 0 ? 0.0 : want[outside_bound]);
            free(want);
            free(abs_sum);
            free(where);
            batch_dot_options_init(&opt);
            for (k = 0; k < sizeof nts / sizeof nts[0]; k++) {
                opt.num_threads = nts[k];
                memset(out, 0, on);
                CHECK_STATUS(call_bd(t, &x, xd, &y, yd, c->ax, c->ay, &o, out, &opt),
                             BATCH_DOT_STATUS_OK);
                CHECKF(memcmp(first, out, on) == 0, "big case %d, %s, num_threads %u", (int)bc,
                       tk_dtype_name(t), (unsigned)nts[k]);
            }
            free(xd);
            free(yd);
            free(first);
            free(out);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* batch_dot_infer_shape                                                     */
/* ------------------------------------------------------------------------ */

#define OUT_NDIM_CANARY 0x5EED
#define OUT_SHAPE_CANARY ((int64_t)-777777)

static void infer_at(const char *file, int line, int xn, const int64_t *xs, int yn,
                     const int64_t *ys, int64_t ax, int64_t ay, int32_t want, int want_nd,
                     const int64_t *want_shape)
{
    int32_t nd = OUT_NDIM_CANARY, st, oracle;
    int64_t shape[BATCH_DOT_MAX_NDIM], oracle_shape[2 * BATCH_DOT_MAX_NDIM];
    char msg[512];
    size_t mlen;
    int i, ok = 1, oracle_nd = 0;
    /* The case as written and the test kit's oracle must agree. */
    oracle = tk_expect_infer(xn, xs, yn, ys, ax, ay, 0, 0, &oracle_nd, oracle_shape);
    if (oracle != want ||
        (want == BATCH_DOT_STATUS_OK &&
         (oracle_nd != want_nd ||
          memcmp(oracle_shape, want_shape, (size_t)want_nd * sizeof(int64_t)) != 0))) {
        fail_at(file, line, "infer_shape: the case expects %s (ndim %d), the test kit's oracle %s "
                "(ndim %d)", batch_dot_status_string(want), want_nd,
                batch_dot_status_string(oracle), oracle_nd);
        return;
    }
    for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
        shape[i] = OUT_SHAPE_CANARY;
    }
    st = batch_dot_infer_shape(xn, xs, yn, ys, ax, ay, &nd, shape);
    note_status(st);
    mlen = last_msg(msg, sizeof msg);
    if (st != want) {
        fail_at(file, line, "infer_shape: expected %s, got %s (message: \"%s\")",
                batch_dot_status_string(want), batch_dot_status_string(st), msg);
        return;
    }
    if (st != BATCH_DOT_STATUS_OK) {
        ok = nd == OUT_NDIM_CANARY && mlen > 0;
        for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
            ok = ok && shape[i] == OUT_SHAPE_CANARY;
        }
        if (!ok) {
            fail_at(file, line, "infer_shape: %s, but out_ndim/out_shape written or no message",
                    batch_dot_status_string(st));
            return;
        }
    } else {
        ok = nd == want_nd && mlen == 0;
        for (i = 0; ok && i < want_nd; i++) {
            ok = shape[i] == want_shape[i];
        }
        for (i = want_nd; ok && i < BATCH_DOT_MAX_NDIM; i++) {
            ok = shape[i] == OUT_SHAPE_CANARY;
        }
        if (!ok) {
            fail_at(file, line, "infer_shape: OK with ndim %d, wrong shape, entries past ndim "
                    "written, or a message", (int)nd);
            return;
        }
    }
    n_pass++;
}

#define INFER_OK(xn, xs, yn, ys, ax, ay, on, os) \
    infer_at(__FILE__, __LINE__, (xn), (xs), (yn), (ys), (ax), (ay), BATCH_DOT_STATUS_OK, (on), (os))
#define INFER_ERR(xn, xs, yn, ys, ax, ay, want) \
    infer_at(__FILE__, __LINE__, (xn), (xs), (yn), (ys), (ax), (ay), (want), 0, NULL)

static void test_infer_shape(void)
{
    const int64_t U = BATCH_DOT_DIM_UNKNOWN, G40 = (int64_t)1 << 40;
    int64_t ones16[BATCH_DOT_MAX_NDIM], big16[BATCH_DOT_MAX_NDIM], ones7[7];
    int i;
    int32_t nd = OUT_NDIM_CANARY;
    int64_t shape[BATCH_DOT_MAX_NDIM];
    for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
        ones16[i] = 1;
        big16[i] = 1;
    }
    big16[1] = G40;
    big16[2] = G40;
    for (i = 0; i < 7; i++) {
        ones7[i] = 1;
    }

    /* docs/SEMANTICS.md §1, §7, §9. */
    INFER_OK(2, S(2, 2), 2, S(2, 2), 1, 1, 2, S(2, 1));
    INFER_OK(2, S(100, 20), 3, S(100, 30, 20), 1, 2, 2, S(100, 30));
    INFER_OK(3, S(32, 20, 1), 3, S(32, 30, 20), 1, 2, 3, S(32, 1, 30));
    INFER_OK(4, S(8, 7, 4, 2), 4, S(8, 7, 2, 5), D, D, 5, S(8, 7, 4, 7, 5));
    INFER_OK(2, S(3, 4), 2, S(3, 4), D, D, 2, S(3, 1));
    INFER_OK(2, S(3, 4), 2, S(3, 4), -1, -1, 2, S(3, 1));
    INFER_OK(2, S(3, 4), 3, S(3, 4, 5), D, D, 2, S(3, 5));
    INFER_ERR(2, S(3, 4), 3, S(3, 5, 4), D, D, BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
    INFER_OK(3, S(3, 4, 5), 2, S(3, 5), D, D, 2, S(3, 4));
    INFER_ERR(3, S(3, 4, 5), 2, S(3, 4), D, D, BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
    INFER_OK(3, S(3, 4, 5), 2, S(3, 4), 1, 1, 2, S(3, 5));
    INFER_OK(3, S(3, 4, 5), 3, S(3, 6, 5), -1, -1, 3, S(3, 4, 6));
    INFER_OK(4, S(2, 3, 4, 5), 4, S(2, 5, 6, 7), 3, 1, 5, S(2, 3, 4, 6, 7));
    INFER_OK(4, S(2, 3, 4, 5), 4, S(2, 6, 5, 7), D, D, 5, S(2, 3, 4, 6, 7));
    INFER_OK(5, S(2, 3, 4, 5, 6), 5, S(2, 2, 3, 4, 5), 2, 3, 7, S(2, 3, 5, 6, 2, 3, 5));
    INFER_OK(4, S(2, 1, 2, 2), 4, S(2, 1, 2, 2), 2, 2, 5, S(2, 1, 2, 1, 2));
    INFER_OK(3, S(1, 2, 1), 4, S(1, 2, 1, 16), 2, 2, 4, S(1, 2, 2, 16));
    INFER_OK(4, S(1, 2, 6, 2), 4, S(1, 2, 2, 3), 3, 1, 5, S(1, 2, 6, 2, 3));
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 0, 0, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 0, 1, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 1, 0, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), -2, -2, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 2, 2, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 1, 2, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), -3, -3, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(3, S(3, 4, 5), 3, S(3, 5, 6), -4, -4, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(3, S(3, 5, 5), 3, S(3, 5, 5), 1, -5, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(2, S(3, 4), 2, S(5, 4), 1, 1, BATCH_DOT_STATUS_BATCH_MISMATCH);
    INFER_ERR(2, S(1, 4), 2, S(2, 4), 1, 1, BATCH_DOT_STATUS_BATCH_MISMATCH);
    INFER_ERR(1, S(3), 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_ERR(0, NULL, 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_ERR(2, S(3, 4), 0, NULL, D, D, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_OK(2, S(0, 4), 2, S(0, 4), 1, 1, 2, S(0, 1));
    INFER_OK(2, S(3, 0), 2, S(3, 0), 1, 1, 2, S(3, 1));
    INFER_OK(3, S(3, 0, 4), 3, S(3, 4, 5), D, D, 3, S(3, 0, 5));
    INFER_OK(4, S(3, 2, 0, 0), 2, S(3, 0), 3, 1, 3, S(3, 2, 0));
    INFER_OK(5, S(1, 1, 1, 1, 1), 5, S(1, 1, 1, 1, 1), 4, 4, 7, ones7);
    INFER_ERR(4, S(2, 3, 3, 3), 3, S(2, 3, 3), -3, -3, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_OK(4, S(2, 3, 4, 5), 3, S(2, 6, 5), -1, -1, 4, S(2, 3, 4, 6));
    INFER_OK(3, S(2, 20, 1), 3, S(2, 30, 20), 1, 2, 3, S(2, 1, 30));
    INFER_OK(3, S(4, 2, 3), 3, S(4, 5, 3), 2, 2, 3, S(4, 2, 5));
    INFER_OK(2, S(4, 2), 3, S(4, 2, 3), 1, 1, 2, S(4, 3));
    INFER_OK(3, S(4, 2, 3), 2, S(4, 3), 2, 1, 2, S(4, 2));
    INFER_OK(3, S(1, 3, 2), 4, S(1, 1, 2, 3), -2, -1, 4, S(1, 2, 1, 2));
    INFER_ERR(2, S(4, 5), 2, S(4, 6), -1, -1, BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), D, 1, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 1, D, BATCH_DOT_STATUS_INVALID_AXES);

    /* BATCH_DOT_DIM_UNKNOWN (Keras 2.3's placeholder tests, and more). */
    INFER_OK(4, S(U, 3, 4, 5), 4, S(U, 2, 3, 4), 2, 3, 5, S(U, 3, 5, 2, 3));
    INFER_OK(4, S(U, 3, 4, 5), 3, S(U, 2, 4), 2, 2, 4, S(U, 3, 5, 2));
    INFER_OK(3, S(U, 3, 4), 4, S(U, 2, 3, 4), 2, 3, 4, S(U, 3, 2, 3));
    INFER_OK(3, S(U, 4, 3), 3, S(U, 3, 5), 2, 1, 3, S(U, 4, 5));
    INFER_OK(2, S(U, 4), 3, S(U, 3, 4), 1, 2, 2, S(U, 3));
    INFER_OK(2, S(U, 4), 2, S(U, 4), D, D, 2, S(U, 1));
    INFER_OK(2, S(U, 4), 2, S(3, 4), 1, 1, 2, S(3, 1));
    INFER_OK(2, S(3, 4), 2, S(U, 4), 1, 1, 2, S(3, 1));
    INFER_OK(2, S(3, U), 2, S(3, 5), 1, 1, 2, S(3, 1));      /* contraction check skipped */
    INFER_OK(3, S(3, U, 4), 3, S(3, 4, 5), 2, 1, 3, S(3, U, 5));
    INFER_OK(3, S(U, 2, U), 3, S(U, U, U), 2, 1, 3, S(U, 2, U));
    INFER_ERR(2, S(-2, 4), 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_SHAPE);
    INFER_ERR(2, S(3, 4), 2, S(3, INT64_MIN), 1, 1, BATCH_DOT_STATUS_INVALID_SHAPE);
    INFER_ERR(2, S(U, 4), 2, S(U, 5), 1, 1, BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
    INFER_ERR(2, S(U, 4), 2, S(U, 4), 0, 0, BATCH_DOT_STATUS_BATCH_AXIS);

    /* Result rank, overflow. */
    INFER_ERR(BATCH_DOT_MAX_NDIM, ones16, BATCH_DOT_MAX_NDIM, ones16, 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_OK(10, ones16, 9, ones16, 1, 1, 16, ones16);
    INFER_ERR(3, S(2, G40, 7), 3, S(2, 7, G40), 2, 1, BATCH_DOT_STATUS_OVERFLOW);
    INFER_ERR(3, S(2, G40, 0), 3, S(2, 0, G40), 2, 1, BATCH_DOT_STATUS_OVERFLOW);
    INFER_OK(3, S(2, G40, 5), 3, S(2, 5, 0), 2, 1, 3, S(2, G40, 0));
    INFER_ERR(3, S(2, G40, G40), 2, S(2, G40), 2, 1, BATCH_DOT_STATUS_OVERFLOW);  /* x itself */
    INFER_ERR(3, S(U, G40, 7), 3, S(U, 7, G40), 2, 1, BATCH_DOT_STATUS_OVERFLOW);
    INFER_OK(3, S(U, (int64_t)1 << 31, 7), 3, S(U, 7, (int64_t)1 << 31), 2, 1, 3,
             S(U, (int64_t)1 << 31, (int64_t)1 << 31));
    INFER_OK(2, S(INT64_MAX, 1), 2, S(INT64_MAX, 1), 1, 1, 2, S(INT64_MAX, 1));

    /* NULL pointers and ndim. */
    INFER_ERR(2, NULL, 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_NULL_POINTER);
    INFER_ERR(2, S(3, 4), 2, NULL, 1, 1, BATCH_DOT_STATUS_NULL_POINTER);
    INFER_ERR(17, S(3, 4), 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_ERR(2, S(3, 4), -1, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_ERR(INT32_MIN, NULL, 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
        shape[i] = OUT_SHAPE_CANARY;
    }
    CHECK_STATUS(batch_dot_infer_shape(2, S(3, 4), 2, S(3, 4), 1, 1, NULL, shape),
                 BATCH_DOT_STATUS_NULL_POINTER);
    CHECK(shape[0] == OUT_SHAPE_CANARY && shape[1] == OUT_SHAPE_CANARY);
    CHECK_STATUS(batch_dot_infer_shape(2, S(3, 4), 2, S(3, 4), 1, 1, &nd, NULL),
                 BATCH_DOT_STATUS_NULL_POINTER);
    CHECK(nd == OUT_NDIM_CANARY);

    /* The check order, pairwise (docs/API.md's steps that apply to shapes). */
    CHECK_STATUS(batch_dot_infer_shape(17, S(3, 4), 2, S(3, 4), 1, 1, NULL, shape),
                 BATCH_DOT_STATUS_NULL_POINTER);
    CHECK_STATUS(batch_dot_infer_shape(2, NULL, 17, S(3, 4), 1, 1, &nd, shape),
                 BATCH_DOT_STATUS_NULL_POINTER);
    INFER_ERR(17, S(3, 4), 2, S(-5, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_ERR(1, S(-5), 2, S(3, 4), 1, 1, BATCH_DOT_STATUS_INVALID_RANK);
    INFER_ERR(2, S(3, 4), 2, S(5, -3), 1, 1, BATCH_DOT_STATUS_INVALID_SHAPE);
    INFER_ERR(2, S(3, 4), 2, S(5, 4), D, 1, BATCH_DOT_STATUS_BATCH_MISMATCH);
    INFER_ERR(2, S(3, 4), 2, S(5, 4), 0, 0, BATCH_DOT_STATUS_BATCH_MISMATCH);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), D, 0, BATCH_DOT_STATUS_INVALID_AXES);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 0, 7, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_ERR(2, S(3, 4), 2, S(3, 4), 7, 0, BATCH_DOT_STATUS_BATCH_AXIS);
    INFER_ERR(3, S(3, 4, 5), 2, S(3, 5), 3, 1, BATCH_DOT_STATUS_INVALID_AXES);
    {
        int64_t a[BATCH_DOT_MAX_NDIM], b[BATCH_DOT_MAX_NDIM];
        memcpy(a, ones16, sizeof a);
        memcpy(b, ones16, sizeof b);
        a[1] = 2;
        b[1] = 3;
        INFER_ERR(BATCH_DOT_MAX_NDIM, a, BATCH_DOT_MAX_NDIM, b, 1, 1,
                  BATCH_DOT_STATUS_CONTRACTION_MISMATCH); /* before result rank */
    }
    INFER_ERR(BATCH_DOT_MAX_NDIM, big16, BATCH_DOT_MAX_NDIM, ones16, 3, 1,
              BATCH_DOT_STATUS_INVALID_RANK); /* result rank before overflow */
    INFER_ERR(3, S(2, G40, G40), 3, S(2, 3, 1), 1, 1,
              BATCH_DOT_STATUS_CONTRACTION_MISMATCH); /* contraction before overflow */
}

/* ------------------------------------------------------------------------ */
/* batch_dot_layout_init_contiguous                                          */
/* ------------------------------------------------------------------------ */

static void fill_layout_canary(batch_dot_layout *l) { memset(l, 0x5A, sizeof *l); }

static int layout_is_canary(const batch_dot_layout *l)
{
    batch_dot_layout c;
    fill_layout_canary(&c);
    return memcmp(l, &c, sizeof c) == 0;
}

static void init_contig_at(const char *file, int line, int nd, const int64_t *shape,
                           int32_t want, const int64_t *want_strides, int64_t want_len)
{
    batch_dot_layout l;
    int32_t st;
    int i, ok = 1;
    fill_layout_canary(&l);
    st = batch_dot_layout_init_contiguous(&l, nd, shape);
    note_status(st);
    if (st != want) {
        char msg[256];
        last_msg(msg, sizeof msg);
        fail_at(file, line, "layout_init_contiguous: expected %s, got %s (%s)",
                batch_dot_status_string(want), batch_dot_status_string(st), msg);
        return;
    }
    if (st != BATCH_DOT_STATUS_OK) {
        if (!layout_is_canary(&l) || last_msg(NULL, 0) == 0) {
            fail_at(file, line, "layout_init_contiguous: %s, but *layout written or no message",
                    batch_dot_status_string(st));
            return;
        }
        n_pass++;
        return;
    }
    ok = l.ndim == nd && l.flags == 0 && l.offset == 0 && l.len == want_len &&
         last_msg(NULL, 0) == 0;
    for (i = 0; i < nd; i++) {
        ok = ok && l.shape[i] == shape[i] && l.strides[i] == want_strides[i];
    }
    for (i = nd; i < BATCH_DOT_MAX_NDIM; i++) {
        ok = ok && l.shape[i] == 0 && l.strides[i] == 0;
    }
    if (!ok) {
        fail_at(file, line, "layout_init_contiguous: wrong layout (ndim %d, len %" PRId64
                ", offset %" PRId64 ", flags %u)", (int)l.ndim, l.len, l.offset,
                (unsigned)l.flags);
        return;
    }
    /* It agrees with this harness's own C-order layouts. */
    if (tk_count_of(nd, shape) > 0) {
        batch_dot_layout mine = lay_c(nd, shape);
        if (memcmp(&mine, &l, sizeof l) != 0) {
            fail_at(file, line, "layout_init_contiguous differs from the harness's C layout");
            return;
        }
    }
    n_pass++;
}

#define CONTIG_OK(nd, shape, strides, len) \
    init_contig_at(__FILE__, __LINE__, (nd), (shape), BATCH_DOT_STATUS_OK, (strides), (len))
#define CONTIG_ERR(nd, shape, want) init_contig_at(__FILE__, __LINE__, (nd), (shape), (want), NULL, 0)

static void test_layout_init_contiguous(void)
{
    const int64_t G31 = (int64_t)1 << 31, G32 = (int64_t)1 << 32, G40 = (int64_t)1 << 40;
    int64_t ones[BATCH_DOT_MAX_NDIM + 1], onest[BATCH_DOT_MAX_NDIM + 1];
    batch_dot_layout l;
    int i;
    for (i = 0; i <= BATCH_DOT_MAX_NDIM; i++) {
        ones[i] = 1;
        onest[i] = 1;
    }
    CONTIG_OK(3, S(2, 3, 4), S(12, 4, 1), 24);
    CONTIG_OK(2, S(2, 2), S(2, 1), 4);
    CONTIG_OK(1, S(7), S(1), 7);
    CONTIG_OK(0, NULL, NULL, 1);
    CONTIG_OK(0, S(5), NULL, 1);
    CONTIG_OK(BATCH_DOT_MAX_NDIM, ones, onest, 1);
    /* Zero extents count as 1 in strides; len is 0. */
    CONTIG_OK(3, S(2, 0, 3), S(3, 3, 1), 0);
    CONTIG_OK(2, S(0, 5), S(5, 1), 0);
    CONTIG_OK(3, S(4, 5, 0), S(5, 1, 1), 0);
    CONTIG_OK(1, S(INT64_MAX), S(1), INT64_MAX);
    CONTIG_OK(2, S(INT64_MAX, 1), S(1, 1), INT64_MAX);
    CONTIG_OK(3, S(0, G31, G31 - 1), S((G31 - 1) * G31, G31 - 1, 1), 0);
    /* Every stride fits and len is 0: the product of all extents (zeros
     * counted as 1) is no stride and must not overflow the call. */
    CONTIG_OK(3, S(G40, 0, G40), S(G40, G40, 1), 0);
    /* Statuses. */
    CONTIG_ERR(-1, S(2), BATCH_DOT_STATUS_INVALID_RANK);
    CONTIG_ERR(-1, NULL, BATCH_DOT_STATUS_INVALID_RANK);
    CONTIG_ERR(17, ones, BATCH_DOT_STATUS_INVALID_RANK);
    CONTIG_ERR(INT32_MAX, ones, BATCH_DOT_STATUS_INVALID_RANK);
    CONTIG_ERR(1, NULL, BATCH_DOT_STATUS_NULL_POINTER);
    CONTIG_ERR(17, NULL, BATCH_DOT_STATUS_NULL_POINTER);   /* NULL before rank */
    CONTIG_ERR(2, S(2, -1), BATCH_DOT_STATUS_INVALID_SHAPE);
    CONTIG_ERR(1, S(INT64_MIN), BATCH_DOT_STATUS_INVALID_SHAPE);
    CONTIG_ERR(2, S(G32, G32), BATCH_DOT_STATUS_OVERFLOW);
    CONTIG_ERR(2, S(INT64_MAX, 2), BATCH_DOT_STATUS_OVERFLOW);
    CONTIG_ERR(3, S(0, INT64_MAX, INT64_MAX), BATCH_DOT_STATUS_OVERFLOW); /* a stride */
    CONTIG_ERR(3, S(G32, G32, -1), BATCH_DOT_STATUS_INVALID_SHAPE);       /* shape before overflow */
    CHECK_STATUS(batch_dot_layout_init_contiguous(NULL, 2, S(2, 3)), BATCH_DOT_STATUS_NULL_POINTER);
    CHECK_STATUS(batch_dot_layout_init_contiguous(NULL, 17, NULL), BATCH_DOT_STATUS_NULL_POINTER);
    CHECK_STATUS(batch_dot_layout_init_contiguous(NULL, 2, S(-1, 3)), BATCH_DOT_STATUS_NULL_POINTER);
    /* A layout it makes is accepted by the compute functions. */
    fill_layout_canary(&l);
    CHECK_STATUS(batch_dot_layout_init_contiguous(&l, 2, S(2, 2)), BATCH_DOT_STATUS_OK);
    {
        double xv[4] = {1, 2, 3, 4}, yv[4] = {5, 6, 7, 8}, od[2];
        batch_dot_layout o;
        CHECK_STATUS(batch_dot_layout_init_contiguous(&o, 2, S(2, 1)), BATCH_DOT_STATUS_OK);
        CHECK_STATUS(batch_dot_f64(&l, xv, &l, yv, 1, 1, &o, od, NULL), BATCH_DOT_STATUS_OK);
        CHECK(od[0] == 17.0 && od[1] == 53.0);
    }
}

/* batch_dot_layout_init_strided: the fields as given, entries past ndim
 * zeroed; only NULLs, ndim, negative extents and negative len are checked;
 * *layout is written only on success. */
#define STRIDED_ERR(nd, sh, st, off, len, want)                                                    \
    do {                                                                                           \
        batch_dot_layout l_;                                                                       \
        char m_[256];                                                                              \
        fill_layout_canary(&l_);                                                                   \
        CHECK_STATUS(batch_dot_layout_init_strided(&l_, (nd), (sh), (st), (off), (len)), (want));  \
        CHECK(layout_is_canary(&l_));                                                              \
        CHECK(last_msg(m_, sizeof m_) > 0);                                                        \
    } while (0)

static void test_layout_init_strided(void)
{
    batch_dot_layout l, h;
    int64_t sh[BATCH_DOT_MAX_NDIM + 1], st[BATCH_DOT_MAX_NDIM + 1];
    int i, ok = 1;
    char m[256];
    for (i = 0; i <= BATCH_DOT_MAX_NDIM; i++) {
        sh[i] = i + 1;
        st[i] = -3 * i;
    }
    fill_layout_canary(&l);
    CHECK_STATUS(batch_dot_layout_init_strided(&l, 3, S(2, 3, 4), S(1, -2, INT64_MIN), -7, 99),
                 BATCH_DOT_STATUS_OK);
    CHECK(l.ndim == 3 && l.flags == 0 && l.offset == -7 && l.len == 99);
    CHECK(l.shape[0] == 2 && l.shape[1] == 3 && l.shape[2] == 4);
    CHECK(l.strides[0] == 1 && l.strides[1] == -2 && l.strides[2] == INT64_MIN);
    for (i = 3; i < BATCH_DOT_MAX_NDIM; i++) {
        ok &= l.shape[i] == 0 && l.strides[i] == 0;
    }
    CHECK(ok);
    CHECK(last_msg(m, sizeof m) == 0);
    CHECK_STATUS(batch_dot_layout_init_strided(&l, BATCH_DOT_MAX_NDIM, sh, st, 0, 0), BATCH_DOT_STATUS_OK);
    CHECK(l.ndim == BATCH_DOT_MAX_NDIM && l.shape[15] == 16 && l.strides[15] == -45);
    CHECK_STATUS(batch_dot_layout_init_strided(&l, 0, NULL, NULL, 5, 1), BATCH_DOT_STATUS_OK);
    CHECK(l.ndim == 0 && l.offset == 5 && l.len == 1 && l.shape[0] == 0);
    CHECK_STATUS(batch_dot_layout_init_strided(&l, 2, S(0, 3), S(INT64_MAX, 1), INT64_MIN, 0),
                 BATCH_DOT_STATUS_OK);
    /* Statuses (bounds, overflow, aliasing are the compute call's). */
    CHECK_STATUS(batch_dot_layout_init_strided(NULL, 2, S(2, 3), S(3, 1), 0, 6), BATCH_DOT_STATUS_NULL_POINTER);
    STRIDED_ERR(2, NULL, S(3, 1), 0, 6, BATCH_DOT_STATUS_NULL_POINTER);
    STRIDED_ERR(2, S(2, 3), NULL, 0, 6, BATCH_DOT_STATUS_NULL_POINTER);
    STRIDED_ERR(17, NULL, NULL, 0, 6, BATCH_DOT_STATUS_NULL_POINTER); /* NULL before rank */
    STRIDED_ERR(17, sh, st, 0, 6, BATCH_DOT_STATUS_INVALID_RANK);
    STRIDED_ERR(-1, sh, st, 0, 6, BATCH_DOT_STATUS_INVALID_RANK);
    STRIDED_ERR(2, S(2, -1), S(3, 1), 0, 6, BATCH_DOT_STATUS_INVALID_SHAPE);
    STRIDED_ERR(1, S(INT64_MIN), S(1), 0, 6, BATCH_DOT_STATUS_INVALID_SHAPE);
    STRIDED_ERR(2, S(2, 3), S(3, 1), 0, -1, BATCH_DOT_STATUS_INVALID_ARGUMENT);
    STRIDED_ERR(2, S(2, -3), S(3, 1), 0, -1, BATCH_DOT_STATUS_INVALID_SHAPE); /* shape before len */
    /* The message of a negative extent shows -1 as -1 (not Keras's None). */
    fill_layout_canary(&l);
    CHECK_STATUS(batch_dot_layout_init_strided(&l, 2, S(2, -1), S(3, 1), 0, 6), BATCH_DOT_STATUS_INVALID_SHAPE);
    last_msg(m, sizeof m);
    CHECKF(strstr(m, "(2, -1)") != NULL && strstr(m, "None") == NULL, "%s", m);
    /* The same layout as one filled by hand: a transposed view (F order) of
     * a (2, 3) buffer, used by a compute call. */
    CHECK_STATUS(batch_dot_layout_init_strided(&l, 3, S(1, 2, 3), S(6, 1, 2), 0, 6), BATCH_DOT_STATUS_OK);
    memset(&h, 0, sizeof h);
    h.ndim = 3;
    h.len = 6;
    h.shape[0] = 1; h.shape[1] = 2; h.shape[2] = 3;
    h.strides[0] = 6; h.strides[1] = 1; h.strides[2] = 2;
    CHECK(memcmp(&l, &h, sizeof h) == 0);
    {
        double xv[6] = {1, 2, 3, 4, 5, 6}, yv[3] = {1, 10, 100}, od[2] = {0, 0};
        batch_dot_layout y, o;
        CHECK_STATUS(batch_dot_layout_init_strided(&y, 2, S(1, 3), S(3, 1), 0, 3), BATCH_DOT_STATUS_OK);
        CHECK_STATUS(batch_dot_layout_init_strided(&o, 2, S(1, 2), S(2, 1), 0, 2), BATCH_DOT_STATUS_OK);
        /* x[0, i, t] = xv[i + 2t]: rows (1, 3, 5) and (2, 4, 6). */
        CHECK_STATUS(batch_dot_f64(&l, xv, &y, yv, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_OK);
        CHECK(od[0] == 531.0 && od[1] == 642.0);
    }
}

/* ------------------------------------------------------------------------ */
/* last_error_message, status_string, versions                                */
/* ------------------------------------------------------------------------ */

static int32_t make_batch_error(int64_t bx, int64_t by)
{
    int32_t nd;
    int64_t shape[BATCH_DOT_MAX_NDIM];
    int64_t xs[2], ys[2];
    int32_t st;
    xs[0] = bx;
    xs[1] = 4;
    ys[0] = by;
    ys[1] = 4;
    st = batch_dot_infer_shape(2, xs, 2, ys, 1, 1, &nd, shape);
    return st;
}

typedef struct {
    size_t fresh_len;
    char fresh_buf[8];
    int32_t status;
    char msg[256];
    int32_t status_after_arm;
} thread_result;

static void *thread_fresh(void *p)
{
    thread_result *r = p;
    memset(r->fresh_buf, 'X', sizeof r->fresh_buf);
    r->fresh_len = batch_dot_last_error_message(r->fresh_buf, sizeof r->fresh_buf);
    r->status = make_batch_error(7, 8);
    batch_dot_last_error_message(r->msg, sizeof r->msg);
    return NULL;
}

static void test_last_error(void)
{
    const char *want = "Cannot do batch_dot on inputs with different batch sizes. Received "
                       "inputs with shapes (3, 4) and (5, 4).";
    size_t n = strlen(want), got;
    char buf[512], small[16];
    pthread_t th;
    thread_result r;
    int32_t nd;
    int64_t shape[BATCH_DOT_MAX_NDIM];
    oc_t c;
    batch_dot_layout l;

    /* A fresh thread reads "" (this one may have made calls already). */
    memset(&r, 0, sizeof r);
    CHECK(pthread_create(&th, NULL, thread_fresh, &r) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(r.fresh_len == 0 && r.fresh_buf[0] == '\0' && r.fresh_buf[1] == 'X');
    CHECK(r.status == BATCH_DOT_STATUS_BATCH_MISMATCH);
    CHECK(strcmp(r.msg, "Cannot do batch_dot on inputs with different batch sizes. Received "
                        "inputs with shapes (7, 4) and (8, 4).") == 0);

    /* The full message, in Keras's words. */
    CHECK_STATUS(make_batch_error(3, 5), BATCH_DOT_STATUS_BATCH_MISMATCH);
    memset(buf, 'X', sizeof buf);
    got = batch_dot_last_error_message(buf, sizeof buf);
    CHECK(got == n);
    CHECK(strcmp(buf, want) == 0);
    CHECK(buf[n + 1] == 'X');

    /* The message is per thread: another thread's error did not touch it,
     * and this thread's error does not show there (r.msg above). */
    memset(&r, 0, sizeof r);
    CHECK(pthread_create(&th, NULL, thread_fresh, &r) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(r.fresh_len == 0);
    got = batch_dot_last_error_message(buf, sizeof buf);
    CHECK(got == n && strcmp(buf, want) == 0);

    /* snprintf-style truncation. */
    CHECK(batch_dot_last_error_message(NULL, 0) == n);
    CHECK(batch_dot_last_error_message(NULL, 100) == n);
    memset(small, 'X', sizeof small);
    CHECK(batch_dot_last_error_message(small, 0) == n);
    CHECK(small[0] == 'X');
    CHECK(batch_dot_last_error_message(small, 1) == n);
    CHECK(small[0] == '\0' && small[1] == 'X');
    memset(small, 'X', sizeof small);
    CHECK(batch_dot_last_error_message(small, 5) == n);
    CHECK(memcmp(small, "Cann", 4) == 0 && small[4] == '\0' && small[5] == 'X');
    memset(buf, 'X', sizeof buf);
    CHECK(batch_dot_last_error_message(buf, n) == n);
    CHECK(strncmp(buf, want, n - 1) == 0 && buf[n - 1] == '\0' && buf[n] == 'X');
    memset(buf, 'X', sizeof buf);
    CHECK(batch_dot_last_error_message(buf, n + 1) == n);
    CHECK(strcmp(buf, want) == 0 && buf[n + 1] == 'X');

    /* Functions that return no status leave the message alone. */
    (void)batch_dot_status_string(BATCH_DOT_STATUS_OK);
    (void)batch_dot_status_string(99);
    (void)batch_dot_version_string();
    (void)batch_dot_version();
    (void)batch_dot_abi_version();
    {
        batch_dot_options o;
        batch_dot_options_init(&o);
        batch_dot_options_init(NULL);
    }
    got = batch_dot_last_error_message(buf, sizeof buf);
    CHECK(got == n && strcmp(buf, want) == 0);

    /* Every status-returning function clears it on success. */
    CHECK_STATUS(batch_dot_infer_shape(2, S(3, 4), 2, S(3, 4), 1, 1, &nd, shape),
                 BATCH_DOT_STATUS_OK);
    memset(buf, 'X', sizeof buf);
    CHECK(batch_dot_last_error_message(buf, sizeof buf) == 0 && buf[0] == '\0');
    CHECK_STATUS(make_batch_error(3, 5), BATCH_DOT_STATUS_BATCH_MISMATCH);
    CHECK_STATUS(batch_dot_layout_init_contiguous(&l, 2, S(3, 4)), BATCH_DOT_STATUS_OK);
    CHECK(batch_dot_last_error_message(NULL, 0) == 0);
    CHECK_STATUS(make_batch_error(3, 5), BATCH_DOT_STATUS_BATCH_MISMATCH);
    c = base_case();
    expect_case_t(__FILE__, __LINE__, "success after an error clears the message (f32)", TK_F32, &c,
                  BATCH_DOT_STATUS_OK);
    CHECK_STATUS(make_batch_error(3, 5), BATCH_DOT_STATUS_BATCH_MISMATCH);
    expect_case_t(__FILE__, __LINE__, "success after an error clears the message (f64)", TK_F64, &c,
                  BATCH_DOT_STATUS_OK);

    /* ... and replaces it on failure. */
    CHECK_STATUS(make_batch_error(3, 5), BATCH_DOT_STATUS_BATCH_MISMATCH);
    CHECK_STATUS(batch_dot_layout_init_contiguous(&l, 1, S(-3)), BATCH_DOT_STATUS_INVALID_SHAPE);
    got = batch_dot_last_error_message(buf, sizeof buf);
    CHECK(got > 0 && got == strlen(buf) && strstr(buf, "-3") != NULL &&
          strstr(buf, "batch sizes") == NULL);

    /* Messages name the values (docs/API.md's example, from both entries). */
    {
        const char *cm = "Cannot do batch_dot on inputs with shapes (2, 3) and (2, 4) with "
                         "axes=[1, 1]. x.shape[1] != y.shape[1] (3 != 4).";
        CHECK_STATUS(batch_dot_infer_shape(2, S(2, 3), 2, S(2, 4), 1, 1, &nd, shape),
                     BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
        batch_dot_last_error_message(buf, sizeof buf);
        CHECK(strcmp(buf, cm) == 0);
        c = base_case();
        c.x = lay_c(2, S(2, 3));
        c.y = lay_c(2, S(2, 4));
        c.o = lay_c(2, S(2, 1));
        c.ax = c.ay = 1;
        expect_case_t(__FILE__, __LINE__, "contraction mismatch", TK_F32, &c,
                      BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
        batch_dot_last_error_message(buf, sizeof buf);
        CHECK(strcmp(buf, cm) == 0);
        CHECK_STATUS(batch_dot_infer_shape(1, S(3), 2, S(3, 4), 1, 1, &nd, shape),
                     BATCH_DOT_STATUS_INVALID_RANK);
        batch_dot_last_error_message(buf, sizeof buf);
        CHECK(strcmp(buf, "Cannot do batch_dot on inputs with rank < 2. Received inputs with "
                          "shapes (3,) and (3, 4).") == 0);
        c = base_case();
        c.x.flags = 4;
        expect_case_t(__FILE__, __LINE__, "x.flags", TK_F64, &c, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        batch_dot_last_error_message(buf, sizeof buf);
        CHECK(strstr(buf, "flags") != NULL);
    }
}

static void test_status_strings_and_versions(void)
{
    static const struct {
        int32_t value;
        const char *name;
    } names[] = {
#define ST(x) {x, #x}
        ST(BATCH_DOT_STATUS_OK),
        ST(BATCH_DOT_STATUS_NULL_POINTER),
        ST(BATCH_DOT_STATUS_INVALID_RANK),
        ST(BATCH_DOT_STATUS_INVALID_AXES),
        ST(BATCH_DOT_STATUS_BATCH_AXIS),
        ST(BATCH_DOT_STATUS_BATCH_MISMATCH),
        ST(BATCH_DOT_STATUS_CONTRACTION_MISMATCH),
        ST(BATCH_DOT_STATUS_INVALID_SHAPE),
        ST(BATCH_DOT_STATUS_OUTPUT_SHAPE),
        ST(BATCH_DOT_STATUS_OUT_OF_BOUNDS),
        ST(BATCH_DOT_STATUS_OVERFLOW),
        ST(BATCH_DOT_STATUS_ALIASING),
        ST(BATCH_DOT_STATUS_INVALID_ARGUMENT),
        ST(BATCH_DOT_STATUS_ALLOCATION),
        ST(BATCH_DOT_STATUS_INTERNAL),
        ST(BATCH_DOT_STATUS_UNSUPPORTED_DTYPE),
#undef ST
    };
    const int32_t unknown[] = {16, 99, -1, INT32_MIN, INT32_MAX};
    char v[64];
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *s = batch_dot_status_string(names[i].value);
        CHECK(names[i].value == (int32_t)i); /* 0..15, never renumbered */
        CHECKF(s != NULL && strcmp(s, names[i].name) == 0, "status %d: \"%s\"",
               (int)names[i].value, s ? s : "(null)");
        CHECK(s == batch_dot_status_string(names[i].value)); /* static */
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = batch_dot_status_string(unknown[i]);
        CHECK(s != NULL && strcmp(s, "BATCH_DOT_STATUS_UNKNOWN") == 0);
    }

    snprintf(v, sizeof v, "%d.%d.%d", BATCH_DOT_VERSION_MAJOR, BATCH_DOT_VERSION_MINOR,
             BATCH_DOT_VERSION_PATCH);
    CHECK(batch_dot_version_string() != NULL && strcmp(batch_dot_version_string(), v) == 0);
    CHECK(batch_dot_version() == (((uint32_t)BATCH_DOT_VERSION_MAJOR << 16) |
                                  ((uint32_t)BATCH_DOT_VERSION_MINOR << 8) |
                                  (uint32_t)BATCH_DOT_VERSION_PATCH));
    CHECK(batch_dot_abi_version() == BATCH_DOT_ABI_VERSION);
}

/* ------------------------------------------------------------------------ */
/* Threads: concurrent calls, per-thread messages                             */
/* ------------------------------------------------------------------------ */

typedef struct {
    int id;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    int it, b, i, j, k;
    char msg[256], want[256];
    double xv[2 * 3 * 5], yv[2 * 5 * 4], od[2 * 3 * 4];
    batch_dot_layout x = lay_c(3, S(2, 3, 5)), y = lay_c(3, S(2, 5, 4)), o = lay_c(3, S(2, 3, 4));
    for (i = 0; i < 30; i++) {
        xv[i] = (i * (a->id + 3)) % 7 - 3;
    }
    for (i = 0; i < 40; i++) {
        yv[i] = (i + a->id) % 5 - 2;
    }
    for (it = 0; it < 40; it++) {
        int32_t st = make_batch_error(a->id + 2, a->id + 100);
        snprintf(want, sizeof want, "Cannot do batch_dot on inputs with different batch sizes. "
                 "Received inputs with shapes (%d, 4) and (%d, 4).", a->id + 2, a->id + 100);
        batch_dot_last_error_message(msg, sizeof msg);
        if (st != BATCH_DOT_STATUS_BATCH_MISMATCH || strcmp(msg, want) != 0) {
            a->failures++;
        }
        memset(od, 0, sizeof od);
        if (batch_dot_f64(&x, xv, &y, yv, 2, 1, &o, od, NULL) != BATCH_DOT_STATUS_OK ||
            batch_dot_last_error_message(NULL, 0) != 0) {
            a->failures++;
            continue;
        }
        for (b = 0; b < 2; b++) {
            for (i = 0; i < 3; i++) {
                for (j = 0; j < 4; j++) {
                    double s = 0;
                    for (k = 0; k < 5; k++) {
                        s += xv[b * 15 + i * 5 + k] * yv[b * 20 + k * 4 + j];
                    }
                    if (od[b * 12 + i * 4 + j] != s) {
                        a->failures++;
                    }
                }
            }
        }
    }
    return NULL;
}

static void test_threads(void)
{
    enum { NT = 4 };
    pthread_t th[NT];
    worker_arg args[NT];
    int i;
    for (i = 0; i < NT; i++) {
        args[i].id = i;
        args[i].failures = 0;
        CHECK(pthread_create(&th[i], NULL, worker, &args[i]) == 0);
    }
    for (i = 0; i < NT; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        CHECKF(args[i].failures == 0, "thread %d: %d failures", i, args[i].failures);
    }
}

/* ------------------------------------------------------------------------ */
/* A panic inside the library: BATCH_DOT_STATUS_INTERNAL                      */
/* ------------------------------------------------------------------------ */

static void *thread_call_ok(void *p)
{
    thread_result *r = p;
    int32_t nd;
    int64_t shape[BATCH_DOT_MAX_NDIM];
    r->status_after_arm = batch_dot_infer_shape(2, S(3, 4), 2, S(3, 4), 1, 1, &nd, shape);
    return NULL;
}

static void test_panic(void)
{
    char buf[512];
    int32_t nd;
    int64_t shape[BATCH_DOT_MAX_NDIM];
    int i, ok;
    oc_t c;
    batch_dot_layout l;
    pthread_t th;
    thread_result r;

    if (!batch_dot_testing_arm_panic) {
        skip("panic test: batch_dot_testing_arm_panic is absent (library built without the "
             "`testing` feature); BATCH_DOT_STATUS_INTERNAL not produced");
        return;
    }
    panic_tested = 1;
    /* The compute entries: INTERNAL, a message, nothing written. */
    c = base_case();
    batch_dot_testing_arm_panic();
    expect_case_t(__FILE__, __LINE__, "armed panic", TK_F32, &c, BATCH_DOT_STATUS_INTERNAL);
    batch_dot_last_error_message(buf, sizeof buf);
    CHECK(strstr(buf, "panic") != NULL);
    expect_case_t(__FILE__, __LINE__, "the next call after a panic", TK_F32, &c, BATCH_DOT_STATUS_OK);
    batch_dot_testing_arm_panic();
    expect_case_t(__FILE__, __LINE__, "armed panic", TK_F64, &c, BATCH_DOT_STATUS_INTERNAL);
    expect_case_t(__FILE__, __LINE__, "the next call after a panic", TK_F64, &c, BATCH_DOT_STATUS_OK);

    /* infer_shape: nothing written. */
    nd = OUT_NDIM_CANARY;
    for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
        shape[i] = OUT_SHAPE_CANARY;
    }
    batch_dot_testing_arm_panic();
    CHECK_STATUS(batch_dot_infer_shape(2, S(3, 4), 2, S(3, 4), 1, 1, &nd, shape),
                 BATCH_DOT_STATUS_INTERNAL);
    ok = nd == OUT_NDIM_CANARY;
    for (i = 0; i < BATCH_DOT_MAX_NDIM; i++) {
        ok = ok && shape[i] == OUT_SHAPE_CANARY;
    }
    CHECK(ok);
    CHECK(batch_dot_last_error_message(NULL, 0) > 0);

    /* layout_init_contiguous: *layout untouched. Functions that return no
     * status do not consume the armed panic. */
    batch_dot_testing_arm_panic();
    (void)batch_dot_status_string(1);
    (void)batch_dot_version();
    batch_dot_options_init(NULL);
    (void)batch_dot_last_error_message(NULL, 0);
    fill_layout_canary(&l);
    CHECK_STATUS(batch_dot_layout_init_contiguous(&l, 2, S(3, 4)), BATCH_DOT_STATUS_INTERNAL);
    CHECK(layout_is_canary(&l));
    CHECK_STATUS(batch_dot_layout_init_contiguous(&l, 2, S(3, 4)), BATCH_DOT_STATUS_OK);

    /* Arming is per thread. */
    batch_dot_testing_arm_panic();
    memset(&r, 0, sizeof r);
    r.status_after_arm = -1;
    CHECK(pthread_create(&th, NULL, thread_call_ok, &r) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(r.status_after_arm == BATCH_DOT_STATUS_OK);
    CHECK_STATUS(batch_dot_infer_shape(2, S(3, 4), 2, S(3, 4), 1, 1, &nd, shape),
                 BATCH_DOT_STATUS_INTERNAL);
}

/* ------------------------------------------------------------------------ */
/* Element types: dtype codes, batch_dot_compute, check 1b                  */
/* ------------------------------------------------------------------------ */

static int32_t call_compute(const int32_t dt[3], const batch_dot_layout *x, const void *xd,
                            const batch_dot_layout *y, const void *yd, int64_t ax, int64_t ay,
                            const batch_dot_layout *o, void *od, const batch_dot_options *opt)
{
    int32_t s = batch_dot_compute(dt[0], x, xd, dt[1], y, yd, ax, ay, dt[2], o, od, opt);
    note_status(s);
    return s;
}

/* docs/API.md, "Element types (version 0.2)": the codes, their sizes and
 * names (which leave the message alone), every combination of codes 0..8
 * (UNSUPPORTED_DTYPE but for the rows this release runs, nothing written;
 * the 16-bit rows have their own area, bf16_f16, and the integer rows
 * theirs, int8),
 * check 1b's place in the order, and batch_dot_compute with (F32, F32, F32)
 * and (F64, F64, F64) equal to batch_dot_f32/_f64 bit for bit (status,
 * message, output bytes) on random strided calls. */
static void test_dtypes(void)
{
    static const int32_t codes[] = {INT32_MIN, -7, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, INT32_MAX};
    static const int32_t f32s[3] = {BATCH_DOT_DTYPE_F32, BATCH_DOT_DTYPE_F32, BATCH_DOT_DTYPE_F32};
    size_t i;
    int a, b, c, t, iter;
    char msg[512], msg2[512];
    CHECK(BATCH_DOT_DTYPE_F32 == 1 && BATCH_DOT_DTYPE_F64 == 2 && BATCH_DOT_DTYPE_F16 == 3 &&
          BATCH_DOT_DTYPE_BF16 == 4 && BATCH_DOT_DTYPE_S8 == 5 && BATCH_DOT_DTYPE_U8 == 6 &&
          BATCH_DOT_DTYPE_S32 == 7 && BATCH_DOT_STATUS_UNSUPPORTED_DTYPE == 15);
    CHECK(strcmp(batch_dot_status_string(15), "BATCH_DOT_STATUS_UNSUPPORTED_DTYPE") == 0);

    /* Sizes and names; neither touches the message of the last failed call. */
    CHECK_STATUS(batch_dot_infer_shape(2, S(3, 4), 2, S(5, 4), 1, 1, NULL, NULL),
                 BATCH_DOT_STATUS_NULL_POINTER);
    last_msg(msg, sizeof msg);
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *name = batch_dot_dtype_name(codes[i]);
        CHECKF(batch_dot_dtype_size(codes[i]) == tk_dtype_code_size(codes[i]), "code %" PRId32,
               codes[i]);
        CHECKF(name != NULL && strcmp(name, tk_dtype_code_name(codes[i])) == 0, "code %" PRId32,
               codes[i]);
    }
    last_msg(msg2, sizeof msg2);
    CHECK(msg[0] != '\0' && strcmp(msg, msg2) == 0);

    /* Every combination of codes 0..8 on a valid call: (2,3,4).(2,4,5). */
    for (a = 0; a <= 8; a++) {
        for (b = 0; b <= 8; b++) {
            for (c = 0; c <= 8; c++) {
                const int32_t dt[3] = {a, b, c};
                static _Alignas(16) unsigned char xd[24 * 8], yd[40 * 8], od[30 * 8], before[30 * 8];
                batch_dot_layout x = lay_c(3, S(2, 3, 4)), y = lay_c(3, S(2, 4, 5));
                batch_dot_layout o = lay_c(3, S(2, 3, 5));
                const batch_dot_layout *const l[3] = {&x, &y, &o};
                const void *const p[3] = {xd, yd, od};
                int32_t want = tk_expect_dtyped(dt, l, 2, 1, NULL, p), st;
                memset(xd, 0, sizeof xd);
                memset(yd, 0, sizeof yd);
                for (i = 0; i < sizeof od; i++) {
                    od[i] = before[i] = (unsigned char)(0xA5u ^ i);
                }
                st = call_compute(dt, &x, xd, &y, yd, 2, 1, &o, od, NULL);
                last_msg(msg, sizeof msg);
                /* The rows this release runs, written out: (F32, F32, F32),
                 * (F64, F64, F64), (BF16, BF16, BF16 or F32), (F16, F16, F16
                 * or F32), (S8 or U8, S8, S32). */
                int runs = (a == b && ((a == 1 && c == 1) || (a == 2 && c == 2) ||
                                       ((a == 3 || a == 4) && (c == a || c == 1)))) ||
                           ((a == 5 || a == 6) && b == 5 && c == 7);
                CHECKF(st == want && want == (runs ? BATCH_DOT_STATUS_OK
                                                   : BATCH_DOT_STATUS_UNSUPPORTED_DTYPE),
                       "dtypes (%d, %d, %d): got %s, want %s (\"%s\")", a, b, c,
                       batch_dot_status_string(st), batch_dot_status_string(want), msg);
                if (want != BATCH_DOT_STATUS_OK) {
                    CHECKF(memcmp(od, before, sizeof od) == 0, "dtypes (%d, %d, %d) wrote out", a,
                           b, c);
                    CHECKF(strstr(msg, "dtype") != NULL || strstr(msg, "combination") != NULL,
                           "dtypes (%d, %d, %d): \"%s\"", a, b, c, msg);
                } else {
                    CHECKF(msg[0] == '\0', "dtypes (%d, %d, %d): \"%s\"", a, b, c, msg);
                }
            }
        }
    }
    /* The messages name the argument and the values. */
    {
        const int32_t bad[3] = {1, 9, 1}, mixed[3] = {4, 3, 1}, ints[3] = {5, 6, 7};
        batch_dot_layout x = lay_c(2, S(2, 3)), o = lay_c(2, S(2, 1));
        float xd[6] = {0}, od[2];
        CHECK_STATUS(call_compute(bad, &x, xd, &x, xd, 1, 1, &o, od, NULL),
                     BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        last_msg(msg, sizeof msg);
        CHECKF(strstr(msg, "y_dtype = 9") != NULL, "\"%s\"", msg);
        CHECK_STATUS(call_compute(mixed, &x, xd, &x, xd, 1, 1, &o, od, NULL),
                     BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        last_msg(msg, sizeof msg);
        CHECKF(strstr(msg, "(x bfloat16, y float16, out float32) is not supported;") != NULL,
               "\"%s\"", msg);
        CHECK_STATUS(call_compute(ints, &x, xd, &x, xd, 1, 1, &o, od, NULL),
                     BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        last_msg(msg, sizeof msg);
        CHECKF(strstr(msg, "(x int8, y uint8, out int32) is not supported;") != NULL &&
                   strstr(msg, "(uint8, int8, int32)") != NULL,
               "\"%s\"", msg);
    }

    /* Check 1b's place: a NULL layout wins over a bad dtype, a bad dtype
     * wins over everything from check 2 on. */
    {
        const int32_t bad[3] = {0, 1, 1}, s8[3] = {5, 5, 5}, s8s8[3] = {5, 5, 7};
        batch_dot_layout x = lay_c(3, S(2, 3, 4)), y = lay_c(3, S(2, 4, 5)), o = lay_c(3, S(2, 3, 5));
        batch_dot_layout xf = x, yr = lay_c(1, S(2)), on = o;
        batch_dot_options opt;
        float xd[24] = {0}, yd[40] = {0}, od[30];
        batch_dot_options_init(&opt);
        opt.flags = 2;
        xf.flags = 1;
        on.shape[2] = 6;
        CHECK_STATUS(call_compute(bad, NULL, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_compute(bad, &x, xd, &y, yd, 2, 1, NULL, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_compute(f32s, &x, xd, NULL, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_compute(bad, &xf, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        CHECK_STATUS(call_compute(s8, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        CHECK_STATUS(call_compute(s8, &x, xd, &yr, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        CHECK_STATUS(call_compute(s8, &x, xd, &y, yd, 0, 1, &on, od, NULL), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        CHECK_STATUS(call_compute(s8, &x, NULL, &y, yd, 2, 1, &o, od + 1, NULL), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
        /* An integer row passes 1b: the rest of the order is the typed call's. */
        CHECK_STATUS(call_compute(s8s8, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_compute(s8s8, &x, xd, &yr, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_INVALID_RANK);
        CHECK_STATUS(call_compute(s8s8, &x, xd, &y, yd, 2, 1, &on, od, NULL), BATCH_DOT_STATUS_OUTPUT_SHAPE);
        CHECK_STATUS(call_compute(s8s8, &x, NULL, &y, yd, 2, 1, &o, od + 1, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_compute(s8s8, &x, xd, &y, yd, 2, 1, &o, (char *)od + 2, NULL),
                     BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_compute(f32s, &xf, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_compute(f32s, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_compute(f32s, &x, xd, &y, yd, 2, 1, &on, od, NULL), BATCH_DOT_STATUS_OUTPUT_SHAPE);
        CHECK_STATUS(call_compute(f32s, &x, (const char *)xd + 2, &y, yd, 2, 1, &o, od, NULL),
                     BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_compute(f32s, &x, xd, &y, yd, 2, 1, &o, xd, NULL), BATCH_DOT_STATUS_ALIASING);
    }

    /* batch_dot_compute = batch_dot_f32/_f64: random strided calls (and
     * some broken ones), the same status, message and output bytes. */
    for (iter = 0; iter < 400; iter++) {
        for (t = TK_F32; t <= TK_F64; t++) {
            const int32_t code = t == TK_F64 ? BATCH_DOT_DTYPE_F64 : BATCH_DOT_DTYPE_F32;
            const int32_t dt[3] = {code, code, code};
            tk_shapes sh;
            batch_dot_layout x, y, o;
            size_t es = tk_esize(t), xb, yb, ob;
            unsigned char *xd, *yd, *o1, *o2;
            int32_t s1, s2;
            int64_t k;
            tk_gen_shapes(&rng, &sh, 2, 4);
            x = tk_arrange(&rng, sh.n, sh.x, 1);
            y = tk_arrange(&rng, sh.m, sh.y, 1);
            o = tk_arrange(&rng, sh.on, sh.o, 0);
            switch (tk_rng_range(&rng, 0, 9)) { /* now and then a broken call */
            case 0: o.len = o.len > 0 ? o.len - 1 : 0; break;
            case 1: x.ndim = 1; break;
            case 2: o.shape[0] += 1; break;
            default: break;
            }
            xb = (size_t)(x.len > 0 ? x.len : 1) * es;
            yb = (size_t)(y.len > 0 ? y.len : 1) * es;
            ob = (size_t)(o.len > 0 ? o.len : 1) * es;
            xd = tk_xmalloc(xb);
            yd = tk_xmalloc(yb);
            o1 = tk_xmalloc(ob);
            o2 = tk_xmalloc(ob);
            for (k = 0; k < (int64_t)(xb / es); k++) tk_set(t, xd, k, tk_rng_real(&rng));
            for (k = 0; k < (int64_t)(yb / es); k++) tk_set(t, yd, k, tk_rng_real(&rng));
            tk_fill_sentinel(t, o1, (int64_t)(ob / es));
            memcpy(o2, o1, ob);
            s1 = call_bd(t, &x, xd, &y, yd, sh.ax, sh.ay, &o, o1, NULL);
            last_msg(msg, sizeof msg);
            s2 = call_compute(dt, &x, xd, &y, yd, sh.ax, sh.ay, &o, o2, NULL);
            last_msg(msg2, sizeof msg2);
            CHECKF(s1 == s2 && strcmp(msg, msg2) == 0 && memcmp(o1, o2, ob) == 0,
                   "%s case %d: typed %s \"%s\", compute %s \"%s\"", tk_dtype_name(t), iter,
                   batch_dot_status_string(s1), msg, batch_dot_status_string(s2), msg2);
            {
                const batch_dot_layout *const l[3] = {&x, &y, &o};
                const void *const p[3] = {xd, yd, o2};
                int32_t want = tk_expect_dtyped(dt, l, sh.ax, sh.ay, NULL, p);
                CHECKF(s2 == want, "%s case %d: compute %s, the oracle %s", tk_dtype_name(t), iter,
                       batch_dot_status_string(s2), batch_dot_status_string(want));
            }
            free(xd);
            free(yd);
            free(o1);
            free(o2);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* bfloat16 and float16: batch_dot_bf16, batch_dot_f16, batch_dot_compute    */
/* ------------------------------------------------------------------------ */

/* The typed call of a 16-bit type: batch_dot_bf16 or batch_dot_f16. */
static int32_t call_typed16(tk_dtype t, const batch_dot_layout *x, const void *xd,
                            const batch_dot_layout *y, const void *yd, int64_t ax, int64_t ay,
                            const batch_dot_layout *o, void *od, const batch_dot_options *opt)
{
    int32_t s;
    if (t == TK_BF16) {
        s = batch_dot_bf16(x, (const uint16_t *)xd, y, (const uint16_t *)yd, ax, ay, o,
                           (uint16_t *)od, opt);
    } else {
        s = batch_dot_f16(x, (const uint16_t *)xd, y, (const uint16_t *)yd, ax, ay, o,
                          (uint16_t *)od, opt);
    }
    note_status(s);
    return s;
}

/* Inputs of type in, output of type out (in, or TK_F32): the typed function
 * when `typed` (and out is in), else batch_dot_compute. */
static int32_t call16(tk_dtype in, tk_dtype out, int typed, const batch_dot_layout *x,
                      const void *xd, const batch_dot_layout *y, const void *yd, int64_t ax,
                      int64_t ay, const batch_dot_layout *o, void *od,
                      const batch_dot_options *opt)
{
    const int32_t dt[3] = {tk_dtype_code(in), tk_dtype_code(in), tk_dtype_code(out)};
    if (typed && out == in) {
        return call_typed16(in, x, xd, y, yd, ax, ay, o, od, opt);
    }
    return call_compute(dt, x, xd, y, yd, ax, ay, o, od, opt);
}

/* The four combinations of the 16-bit rows: inputs, output. */
static const tk_dtype lowp_in[4] = {TK_BF16, TK_BF16, TK_F16, TK_F16};
static const tk_dtype lowp_out[4] = {TK_BF16, TK_F32, TK_F16, TK_F32};

/* A value for a 16-bit input (tk_set rounds it): full-mantissa reals of
 * magnitudes 2^-6..2^6, now and then (specials) NaN, +-Inf or -0.0. */
static double rnd16(int specials)
{
    uint64_t v = tk_rng_next(&rng);
    static const double sp[4] = {NAN, INFINITY, -INFINITY, -0.0};
    if (specials && v % 37 == 0) {
        return sp[(v >> 8) % 4];
    }
    return tk_rng_real(&rng) * ldexp(1.0, (int)((v >> 16) % 13) - 6);
}

/* The test kit's conversions on values worked out by hand (they are the
 * reference of everything below, so they are checked first). */
static void lowp_testkit_values(void)
{
    CHECK(tk_round_bf16(1.0) == 0x3f80 && tk_round_bf16(-2.0) == 0xc000);
    CHECK(tk_round_bf16(1.0 + 0x1p-8) == 0x3f80);       /* tie: to even */
    CHECK(tk_round_bf16(1.0 + 3 * 0x1p-8) == 0x3f82);   /* tie: to even */
    CHECK(tk_round_bf16(1.0 + 0x1p-8 + 0x1p-30) == 0x3f81);
    CHECK(tk_round_bf16(0x1.fep127) == 0x7f7f && tk_round_bf16(0x1.ffp127) == 0x7f80);
    CHECK(tk_round_bf16(-0x1.fffffep127) == 0xff80);
    CHECK(tk_round_bf16(0x1p-133) == 0x0001 && tk_round_bf16(0x1p-134) == 0x0000);
    CHECK(tk_round_bf16(0x1.8p-134) == 0x0001 && tk_round_bf16(-0x1p-200) == 0x8000);
    CHECK(tk_round_f16(65504.0) == 0x7bff && tk_round_f16(65520.0) == 0x7c00);
    CHECK(tk_round_f16(65519.0) == 0x7bff && tk_round_f16(-1e9) == 0xfc00);
    CHECK(tk_round_f16(0x1p-24) == 0x0001 && tk_round_f16(0x1p-25) == 0x0000);
    CHECK(tk_round_f16(0x1.8p-25) == 0x0001 && tk_round_f16(0x1p-14) == 0x0400);
    CHECK(tk_round_f16(1.0) == 0x3c00 && tk_round_f16(1.0 + 0x1p-11) == 0x3c00);
    CHECK(tk_round_f16(1.0 + 3 * 0x1p-11) == 0x3c02);
    CHECK(tk_bf16_to_f32(0x0001) == 0x1p-133f && tk_bf16_to_f32(0xff80) == -INFINITY);
    CHECK(tk_f16_to_f32(0x0001) == 0x1p-24f && tk_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(tk_f16_to_f32(0x03ff) == 0x1.ff8p-15f && tk_f16_to_f32(0xc000) == -2.0f);
    CHECK(isnan(tk_f16_to_f32(0x7c01)) && isnan(tk_bf16_to_f32(0x7f81)));
    CHECK(tk_round_f16(NAN) != tk_round_f16(INFINITY) && isnan(tk_f16_to_f32(tk_round_f16(NAN))));
    /* The check itself: a truncation that differs from the rounding by an
     * ulp fails it; the rounding passes; overflow must give Inf. */
    CHECK(tk_lowp_ok(TK_BF16, 1.0 + 0x1p-7, 1.0 + 3 * 0x1p-9, 2.0, 2));
    CHECK(!tk_lowp_ok(TK_BF16, 1.0, 1.0 + 3 * 0x1p-9, 2.0, 2));
    CHECK(!tk_lowp_check(TK_BF16, 0x1.fep127, 0x1.fffp127, 0x1p100, 0));
    CHECK(tk_lowp_check(TK_BF16, INFINITY, 0x1.fffp127, 0x1p100, 0));
    CHECK(tk_lowp_ok(TK_F16, INFINITY, 65520.0, 65520.0, 1));
    CHECK(!tk_lowp_ok(TK_F32, 1.0f + 0x1p-10f, 1.0, 1.0, 1));
    CHECK(!tk_lowp_ok(TK_F16, -0.0, 0.0, 0.0, 0) && tk_lowp_ok(TK_F16, 0.0, 0.0, 0.0, 0));
}

/* One random call of inputs `in` and output `out`: the status against the
 * oracle; batch_dot_compute and the typed call identical (status, message,
 * bytes); on success every reached output within docs/API.md's bound (or,
 * scaled, within the scaled bound), nothing else written, inputs
 * unchanged, num_threads 1 and 2 bitwise equal; on error nothing written. */
static void lowp_random_case(int iter, tk_dtype in, tk_dtype out, int large)
{
    static const double alphas[] = {1, 0.5, -3, 0.1, 0}, betas[] = {0, 1, -0.5, 2};
    tk_shapes sh;
    batch_dot_layout x, y, o;
    batch_dot_options opt;
    size_t oe = tk_esize(out), xb, yb, ob;
    unsigned char *xd, *yd, *o1, *o2, *o3, *before, *xc, *yc, *reached = NULL;
    int32_t want, s1, s2, s3;
    int64_t k, total, e, *where = NULL;
    int scaled, specials, broken, ok = 1;
    double alpha = 1, beta = 0, *ref = NULL, *abs_sum = NULL;
    char msg1[512], msg2[512];
    const char *what = "";
    if (large) { /* tails in M and N, K past one block of 128 */
        memset(&sh, 0, sizeof sh);
        sh.n = sh.m = 3;
        sh.x[0] = sh.y[0] = 2;
        sh.x[1] = 97;
        sh.x[2] = sh.y[1] = 160;
        sh.y[2] = 61;
        sh.a0 = 2;
        sh.a1 = 1;
        sh.ax = sh.ay = BATCH_DOT_AXIS_DEFAULT;
        sh.on = tk_result_shape(sh.n, sh.x, sh.m, sh.y, sh.a0, sh.a1, sh.o);
    } else {
        tk_gen_shapes(&rng, &sh, 2, 4);
    }
    x = tk_arrange(&rng, sh.n, sh.x, 1);
    y = tk_arrange(&rng, sh.m, sh.y, 1);
    o = tk_arrange(&rng, sh.on, sh.o, 0);
    broken = large ? 99 : (int)tk_rng_range(&rng, 0, 11);
    switch (broken) { /* now and then a broken call */
    case 0: o.len = o.len > 0 ? o.len - 1 : 0; break;
    case 1: x.ndim = 1; break;
    case 2: o.shape[0] += 1; break;
    case 3: y.offset -= 1; break;
    default: break;
    }
    scaled = tk_rng_chance(&rng, 30);
    specials = tk_rng_chance(&rng, 20);
    batch_dot_options_init(&opt);
    opt.num_threads = 1;
    if (scaled) {
        alpha = alphas[tk_rng_next(&rng) % 5];
        beta = betas[tk_rng_next(&rng) % 4];
        opt.flags = BATCH_DOT_OPT_SCALE;
        opt.alpha = alpha;
        opt.beta = beta;
    }
    xb = (size_t)(x.len > 0 ? x.len : 1) * 2;
    yb = (size_t)(y.len > 0 ? y.len : 1) * 2;
    ob = (size_t)(o.len > 0 ? o.len : 1) * oe;
    xd = tk_xmalloc(xb);
    yd = tk_xmalloc(yb);
    o1 = tk_xmalloc(ob);
    o2 = tk_xmalloc(ob);
    o3 = tk_xmalloc(ob);
    before = tk_xmalloc(ob);
    for (k = 0; k < (int64_t)(xb / 2); k++) tk_set(in, xd, k, rnd16(specials));
    for (k = 0; k < (int64_t)(yb / 2); k++) tk_set(in, yd, k, rnd16(specials));
    xc = tk_xdup(xd, xb);
    yc = tk_xdup(yd, yb);
    tk_fill_sentinel(out, before, (int64_t)(ob / oe));
    {
        const int32_t dt[3] = {tk_dtype_code(in), tk_dtype_code(in), tk_dtype_code(out)};
        const batch_dot_layout *const l[3] = {&x, &y, &o};
        const void *const p[3] = {xd, yd, o1};
        want = tk_expect_dtyped(dt, l, sh.ax, sh.ay, &opt, p);
    }
    total = want == BATCH_DOT_STATUS_OK ? tk_count(&o) : 0;
    if (total > 0) {
        ref = tk_xmalloc((size_t)total * sizeof(double));
        abs_sum = tk_xmalloc((size_t)total * sizeof(double));
        where = tk_xmalloc((size_t)total * sizeof(int64_t));
        reached = tk_xmalloc((size_t)o.len);
        memset(reached, 0, (size_t)o.len);
        tk_naive(in, &x, xd, &y, yd, sh.a0, sh.a1, &o, ref, abs_sum, where);
        if (scaled && beta != 0) { /* out is read: values where it is reached */
            for (e = 0; e < total; e++) {
                tk_set(out, before, where[e], rnd16(specials) * 4);
            }
        }
    }
    memcpy(o1, before, ob);
    memcpy(o2, before, ob);
    memcpy(o3, before, ob);
    s1 = call16(in, out, 0, &x, xd, &y, yd, sh.ax, sh.ay, &o, o1, &opt);
    last_msg(msg1, sizeof msg1);
    if (s1 != want) {
        ok = 0;
        what = "status differs from the oracle's";
    }
    if (ok && out == in) {
        s2 = call16(in, out, 1, &x, xd, &y, yd, sh.ax, sh.ay, &o, o2, &opt);
        last_msg(msg2, sizeof msg2);
        if (s2 != s1 || strcmp(msg1, msg2) != 0 || memcmp(o1, o2, ob) != 0) {
            ok = 0;
            what = "the typed call and batch_dot_compute differ";
        }
    }
    if (ok && s1 != BATCH_DOT_STATUS_OK && (memcmp(o1, before, ob) != 0 || msg1[0] == '\0')) {
        ok = 0;
        what = "out written on error, or no message";
    }
    if (ok && s1 == BATCH_DOT_STATUS_OK) {
        opt.num_threads = 2;
        s3 = call16(in, out, 0, &x, xd, &y, yd, sh.ax, sh.ay, &o, o3, &opt);
        if (s3 != BATCH_DOT_STATUS_OK || memcmp(o1, o3, ob) != 0) {
            ok = 0;
            what = "num_threads 2 differs from 1";
        }
        if (msg1[0] != '\0') {
            ok = 0;
            what = "a message after success";
        }
        for (e = 0; ok == 1 && e < total; e++) {
            double got = tk_get(out, o1, where[e]);
            int64_t kk = sh.x[sh.a0];
            reached[where[e]] = 1;
            if (!(scaled ? tk_lowp_scaled_ok(out, got, ref[e], abs_sum[e], kk, alpha, beta,
                                             tk_get(out, before, where[e]))
                         : tk_lowp_ok(out, got, ref[e], abs_sum[e], kk))) {
                fail_at(__FILE__, __LINE__,
                        "%s->%s case %d: out element %" PRId64 " is %a, reference %a (sum|x*y| "
                        "%a, K %" PRId64 ", alpha %g, beta %g, before %a)",
                        tk_dtype_name(in), tk_dtype_name(out), iter, e, got, ref[e], abs_sum[e],
                        kk, scaled ? alpha : 1.0, scaled ? beta : 0.0,
                        tk_get(out, before, where[e]));
                ok = -1;
            }
        }
        if (ok == 1 && total > 0 && tk_first_touched(out, o1, o.len, reached) >= 0) {
            ok = 0;
            what = "an element the out layout does not reach was written";
        }
    }
    if (ok == 1 && (memcmp(xc, xd, xb) != 0 || memcmp(yc, yd, yb) != 0)) {
        ok = 0;
        what = "an input was written";
    }
    if (ok == 0) {
        fail_at(__FILE__, __LINE__, "%s->%s case %d (broken %d, scaled %d): %s; status %s, "
                "oracle %s (\"%s\")", tk_dtype_name(in), tk_dtype_name(out), iter, broken,
                scaled, what, batch_dot_status_string(s1), batch_dot_status_string(want), msg1);
    } else if (ok == 1) {
        n_pass++;
    }
    free(ref);
    free(abs_sum);
    free(where);
    free(reached);
    free(xd);
    free(yd);
    free(xc);
    free(yc);
    free(o1);
    free(o2);
    free(o3);
    free(before);
}

/* x (b, k) . y (b, k), axes 1, from explicit values (rounded to in) through
 * the typed call (out == in) and batch_dot_compute, which must agree bit
 * for bit; res[i] is out element i, read exactly. */
static int32_t dot16(tk_dtype in, tk_dtype out, int64_t b, int64_t k, const double *xv,
                     const double *yv, double *res)
{
    batch_dot_layout x = lay_c(2, S(b, k)), o = lay_c(2, S(b, 1));
    size_t n = (size_t)(b * k > 0 ? b * k : 1);
    void *xd = tk_xmalloc(n * 2), *yd = tk_xmalloc(n * 2);
    void *od = tk_xmalloc((size_t)b * tk_esize(out)), *od2 = tk_xmalloc((size_t)b * tk_esize(out));
    int64_t i;
    int32_t st, st2;
    for (i = 0; i < b * k; i++) {
        tk_set(in, xd, i, xv[i]);
        tk_set(in, yd, i, yv[i]);
    }
    tk_fill_sentinel(out, od, b);
    tk_fill_sentinel(out, od2, b);
    st = call16(in, out, 0, &x, xd, &x, yd, 1, 1, &o, od, NULL);
    if (out == in) {
        st2 = call16(in, out, 1, &x, xd, &x, yd, 1, 1, &o, od2, NULL);
        CHECKF(st2 == st && memcmp(od, od2, (size_t)b * tk_esize(out)) == 0,
               "%s: typed %s, compute %s", tk_dtype_name(in), batch_dot_status_string(st2),
               batch_dot_status_string(st));
    }
    for (i = 0; i < b; i++) {
        res[i] = tk_get(out, od, i);
    }
    free(xd);
    free(yd);
    free(od);
    free(od2);
    return st;
}

/* Values worked out by hand: one rounding to nearest even (not
 * truncation, not twice), ties to even, overflow to Inf, subnormal inputs
 * read (not flushed) and subnormal results kept, NaN and Inf, K = 0 and
 * all-(-0) products giving +0. */
static void lowp_values(void)
{
    double r[6];
    int c;
    /* bfloat16: spacing 2^-7 at 1. 1 + 3 2^-9 rounds up (truncation would
     * give 1); 1 + 2^-8 is a tie (to 1, even); 1 + 3 2^-8 a tie (to
     * 1 + 2^-6, even). */
    {
        const double xv[6] = {1, 1, 1, 1, 1, 1}, yv[6] = {1, 3 * 0x1p-9, 1, 0x1p-8, 1, 3 * 0x1p-8};
        CHECK_STATUS(dot16(TK_BF16, TK_BF16, 3, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 1 + 0x1p-7 && r[1] == 1.0 && r[2] == 1 + 0x1p-6, "%a %a %a", r[0], r[1], r[2]);
        CHECK_STATUS(dot16(TK_BF16, TK_F32, 3, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 1 + 3 * 0x1p-9 && r[1] == 1 + 0x1p-8 && r[2] == 1 + 3 * 0x1p-8, "%a %a %a",
               r[0], r[1], r[2]);
    }
    /* float16: spacing 2^-10 at 1. */
    {
        const double xv[6] = {1, 1, 1, 1, 1, 1},
                     yv[6] = {1, 3 * 0x1p-12, 1, 0x1p-11, 1, 3 * 0x1p-11};
        CHECK_STATUS(dot16(TK_F16, TK_F16, 3, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 1 + 0x1p-10 && r[1] == 1.0 && r[2] == 1 + 0x1p-9, "%a %a %a", r[0], r[1], r[2]);
        CHECK_STATUS(dot16(TK_F16, TK_F32, 3, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 1 + 3 * 0x1p-12 && r[1] == 1 + 0x1p-11, "%a %a", r[0], r[1]);
    }
    /* Overflow of the output type: a finite f32 sum past the largest
     * 16-bit value becomes Inf (RNE, not the largest finite value). */
    {
        const double xv[4] = {0x1.fep127, 1, -0x1.fep127, 1}, yv[4] = {1, 0x1p119, 1, -0x1p118};
        CHECK_STATUS(dot16(TK_BF16, TK_BF16, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == INFINITY && r[1] == -0x1.fep127, "%a %a", r[0], r[1]);
        CHECK_STATUS(dot16(TK_BF16, TK_F32, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 0x1.ffp127 && r[1] == -0x1.fe8p127, "%a %a", r[0], r[1]);
    }
    {
        const double xv[4] = {65504, 16, -65504, 1}, yv[4] = {1, 1, 1, -15};
        CHECK_STATUS(dot16(TK_F16, TK_F16, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == INFINITY && r[1] == -65504.0, "%a %a", r[0], r[1]);
        CHECK_STATUS(dot16(TK_F16, TK_F32, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 65520.0 && r[1] == -65519.0, "%a %a", r[0], r[1]);
    }
    /* Subnormal inputs are read, subnormal results kept: bfloat16's
     * smallest 2^-133 times 2^100; 2^-70 * 2^-60 = 2^-130 (a bfloat16
     * subnormal); float16's 2^-24 * 2 and 2^-20 * 2^-3. */
    {
        const double xv[4] = {0x1p-133, 0, 0x1p-70, 0x1p-126}, yv[4] = {0x1p100, 0, 0x1p-60, 0};
        CHECK_STATUS(dot16(TK_BF16, TK_BF16, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 0x1p-33 && r[1] == 0x1p-130, "%a %a", r[0], r[1]);
        CHECK_STATUS(dot16(TK_BF16, TK_F32, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 0x1p-33 && r[1] == 0x1p-130, "%a %a", r[0], r[1]);
    }
    {
        const double xv[4] = {0x1p-24, 0x1p-24, 0x1p-20, 0}, yv[4] = {2, 1, 0x1p-3, 0};
        CHECK_STATUS(dot16(TK_F16, TK_F16, 2, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
        CHECKF(r[0] == 3 * 0x1p-24 && r[1] == 0x1p-23, "%a %a", r[0], r[1]);
    }
    for (c = 0; c < 4; c++) {
        tk_dtype in = lowp_in[c], out = lowp_out[c];
        /* NaN and Inf: NaN*1, Inf*0, Inf+1, Inf-Inf, 1-Inf. */
        {
            const double xv[10] = {NAN, 1, INFINITY, 1, INFINITY, 1, INFINITY, -INFINITY, 1, -INFINITY};
            const double yv[10] = {1, 1, 0, 1, 1, 1, 1, 1, 1, 2};
            CHECK_STATUS(dot16(in, out, 5, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
            CHECKF(isnan(r[0]) && isnan(r[1]) && r[2] == INFINITY && isnan(r[3]) && r[4] == -INFINITY,
                   "%s->%s: %g %g %g %g %g", tk_dtype_name(in), tk_dtype_name(out), r[0], r[1], r[2],
                   r[3], r[4]);
        }
        /* Every product -0: +0. K = 0: +0 over a -0 canary. */
        {
            const double xv[2] = {-0.0, -0.0}, yv[2] = {1, 1};
            CHECK_STATUS(dot16(in, out, 1, 2, xv, yv, r), BATCH_DOT_STATUS_OK);
            CHECK(r[0] == 0.0 && !signbit(r[0]));
        }
        {
            batch_dot_layout x = lay_c(2, S(3, 0)), o = lay_c(2, S(3, 1));
            /* 8 bytes an element: room for any type tk_set and tk_bits take. */
            _Alignas(16) unsigned char od[3 * 8];
            int i, okz = 1;
            for (i = 0; i < 3; i++) tk_set(out, od, i, -0.0);
            CHECK_STATUS(call16(in, out, 1, &x, NULL, &x, NULL, 1, 1, &o, od, NULL), BATCH_DOT_STATUS_OK);
            for (i = 0; i < 3; i++) okz &= tk_bits(out, od, i) == 0;
            CHECKF(okz, "%s->%s", tk_dtype_name(in), tk_dtype_name(out));
        }
        /* An Inf in one row of a product with tails in every dimension
         * (M 5, K 19, N 17): that row's outputs are Inf, no other output
         * is touched by it (no padding turns Inf*0 into NaN). */
        {
            batch_dot_layout x = lay_c(3, S(1, 5, 19)), y = lay_c(3, S(1, 19, 17));
            batch_dot_layout o = lay_c(3, S(1, 5, 17));
            /* 8 bytes an element: room for any type tk_set and tk_get take. */
            _Alignas(16) unsigned char xd[95 * 8], yd[323 * 8], od[85 * 8];
            int i, j, okinf = 1;
            for (i = 0; i < 95; i++) tk_set(in, xd, i, (i % 5) - 2);
            for (i = 0; i < 323; i++) tk_set(in, yd, i, 1 + (i % 3));
            tk_set(in, xd, 2 * 19 + 18, INFINITY); /* row 2, last k */
            CHECK_STATUS(call16(in, out, 0, &x, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_OK);
            for (i = 0; i < 5; i++) {
                for (j = 0; j < 17; j++) {
                    double v = tk_get(out, od, i * 17 + j);
                    okinf &= i == 2 ? v == INFINITY : isfinite(v);
                }
            }
            CHECKF(okinf, "%s->%s", tk_dtype_name(in), tk_dtype_name(out));
        }
    }
}

/* Scale on exact data (small integers, alpha and beta exact): the exact
 * formula rounded once, beta = 0 never reads out (a NaN there has no
 * effect), alpha 1 beta 0 is the plain call bit for bit; 1 and 2 threads. */
static void lowp_scale(void)
{
    static const double pairs[][2] = {{1, 0}, {0.125, 0}, {-2, 0}, {0.5, 2}, {-1, 1}, {0, 1}, {3, -0.5}};
    const int64_t xs[3] = {3, 5, 7}, ys[3] = {3, 7, 6};
    int c;
    size_t p;
    for (c = 0; c < 4; c++) {
        tk_dtype in = lowp_in[c], out = lowp_out[c];
        size_t oe = tk_esize(out);
        batch_dot_layout x = lay_c(3, xs), y = lay_c(3, ys), o = lay_c(3, S(3, 5, 6));
        _Alignas(16) unsigned char xd[105 * 2], yd[126 * 2], plain[90 * 4], before[90 * 4];
        _Alignas(16) unsigned char od[90 * 4], od2[90 * 4];
        double want[90];
        int64_t i;
        for (i = 0; i < x.len; i++) tk_set(in, xd, i, rnd_small());
        for (i = 0; i < y.len; i++) tk_set(in, yd, i, rnd_small());
        tk_naive(in, &x, xd, &y, yd, 2, 1, &o, want, NULL, NULL);
        CHECK_STATUS(call16(in, out, 1, &x, xd, &y, yd, 2, 1, &o, plain, NULL), BATCH_DOT_STATUS_OK);
        for (p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            double alpha = pairs[p][0], beta = pairs[p][1];
            batch_dot_options opt;
            int ok = 1;
            batch_dot_options_init(&opt);
            opt.flags = BATCH_DOT_OPT_SCALE;
            opt.alpha = alpha;
            opt.beta = beta;
            for (i = 0; i < o.len; i++) tk_set(out, before, i, beta == 0 ? NAN : rnd_small());
            memcpy(od, before, (size_t)o.len * oe);
            memcpy(od2, before, (size_t)o.len * oe);
            opt.num_threads = 1;
            CHECK_STATUS(call16(in, out, 1, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_OK);
            opt.num_threads = 2;
            CHECK_STATUS(call16(in, out, 0, &x, xd, &y, yd, 2, 1, &o, od2, &opt), BATCH_DOT_STATUS_OK);
            for (i = 0; i < o.len; i++) {
                /* beta = 0: no term at all (adding +0 would turn a -0 into +0). */
                double w = beta == 0 ? alpha * want[i] : alpha * want[i] + beta * tk_get(out, before, i);
                ok &= tk_exact(out, tk_get(out, od, i), w);
            }
            CHECKF(ok, "%s->%s alpha %g beta %g", tk_dtype_name(in), tk_dtype_name(out), alpha, beta);
            CHECKF(memcmp(od, od2, (size_t)o.len * oe) == 0, "%s->%s alpha %g beta %g: 2 threads differ",
                   tk_dtype_name(in), tk_dtype_name(out), alpha, beta);
            if (alpha == 1 && beta == 0) {
                CHECK(memcmp(od, plain, (size_t)o.len * oe) == 0);
            }
        }
    }
}

/* A status case on a byte arena: x (2,3,4) at byte xo, y (2,4,5) at byte yo,
 * out (2,3,5) at byte oo, of the dtype codes dt. The expected status as
 * written must be the oracle's; the call (batch_dot_compute, and the typed
 * call when dt is one of its rows) must return it, and on error leave
 * every byte of the arena as it was, with a message. */
#define ARENA16 4096
static _Alignas(16) unsigned char arena16[ARENA16], arena16_copy[ARENA16];

static void expect16_at(const char *file, int line, const char *what, const int32_t dt[3],
                        const batch_dot_layout *x, size_t xo, const batch_dot_layout *y, size_t yo,
                        const batch_dot_layout *o, size_t oo, int32_t want)
{
    const batch_dot_layout *const l[3] = {x, y, o};
    const void *const p[3] = {arena16 + xo, arena16 + yo, arena16 + oo};
    int32_t oracle = tk_expect_dtyped(dt, l, 2, 1, NULL, p), st;
    int typed;
    size_t i;
    char msg[512];
    if (oracle != want) {
        fail_at(file, line, "%s (%d, %d, %d): the case expects %s, the oracle %s", what, (int)dt[0],
                (int)dt[1], (int)dt[2], batch_dot_status_string(want), batch_dot_status_string(oracle));
        return;
    }
    for (typed = 0; typed < 2; typed++) {
        if (typed && !(dt[0] == dt[1] && dt[1] == dt[2] && (dt[0] == 3 || dt[0] == 4))) {
            continue;
        }
        for (i = 0; i < ARENA16; i++) {
            arena16[i] = (unsigned char)(0x3Cu + i * 7u);
        }
        memcpy(arena16_copy, arena16, ARENA16);
        if (typed) {
            st = call_typed16(dt[0] == 4 ? TK_BF16 : TK_F16, x, arena16 + xo, y, arena16 + yo, 2, 1,
                              o, arena16 + oo, NULL);
        } else {
            st = call_compute(dt, x, arena16 + xo, y, arena16 + yo, 2, 1, o, arena16 + oo, NULL);
        }
        last_msg(msg, sizeof msg);
        if (st != want) {
            fail_at(file, line, "%s (%d, %d, %d)%s: expected %s, got %s (\"%s\")", what, (int)dt[0],
                    (int)dt[1], (int)dt[2], typed ? " typed" : "", batch_dot_status_string(want),
                    batch_dot_status_string(st), msg);
            continue;
        }
        if (st != BATCH_DOT_STATUS_OK && (memcmp(arena16, arena16_copy, ARENA16) != 0 || msg[0] == '\0')) {
            fail_at(file, line, "%s (%d, %d, %d)%s: %s, but the arena changed or no message", what,
                    (int)dt[0], (int)dt[1], (int)dt[2], typed ? " typed" : "",
                    batch_dot_status_string(st));
            continue;
        }
        n_pass++;
    }
}

#define EXPECT16(what, dt, xo, yo, oo, want) \
    expect16_at(__FILE__, __LINE__, (what), (dt), &x, (xo), &y, (yo), &o, (oo), (want))

static void lowp_statuses(void)
{
    static const int32_t rows[4][3] = {{4, 4, 4}, {4, 4, 1}, {3, 3, 3}, {3, 3, 1}};
    static const int32_t unsupported[][3] = {{4, 3, 1}, {3, 4, 1}, {4, 3, 4}, {4, 4, 3}, {3, 3, 4},
                                             {4, 4, 2}, {3, 3, 2}, {1, 1, 4}, {1, 1, 3}, {4, 1, 1},
                                             {2, 2, 4}, {4, 4, 7}};
    batch_dot_layout x = lay_c(3, S(2, 3, 4)), y = lay_c(3, S(2, 4, 5)), o = lay_c(3, S(2, 3, 5));
    size_t r;
    /* x: bytes [0, 48); y: [256, 336); out at 512: 60 bytes (16-bit) or
     * 120 (f32). */
    for (r = 0; r < 4; r++) {
        const int32_t *dt = rows[r];
        int f32out = dt[2] == 1;
        EXPECT16("base", dt, 0, 256, 512, BATCH_DOT_STATUS_OK);
        /* Alignment: 2 bytes for 16-bit data, 4 for an f32 out. */
        EXPECT16("x at an odd address", dt, 1, 256, 512, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT16("y at an odd address", dt, 0, 257, 512, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT16("out at an odd address", dt, 0, 256, 513, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT16("x at 2 mod 4", dt, 2, 258, 512, BATCH_DOT_STATUS_OK);
        EXPECT16("out at 2 mod 4", dt, 0, 256, 514,
                 f32out ? BATCH_DOT_STATUS_INVALID_ARGUMENT : BATCH_DOT_STATUS_OK);
        EXPECT16("out at 4 mod 8", dt, 0, 256, 516, BATCH_DOT_STATUS_OK);
        /* Aliasing by bytes: out right after x's 48 bytes, or one element
         * (of out's size) earlier; right before y, or one element later. */
        EXPECT16("out right after x", dt, 0, 256, 48, BATCH_DOT_STATUS_OK);
        EXPECT16("out on x's last element", dt, 0, 256, f32out ? 44 : 46, BATCH_DOT_STATUS_ALIASING);
        EXPECT16("out right before y", dt, 0, 256, f32out ? 136 : 196, BATCH_DOT_STATUS_OK);
        EXPECT16("out's last element on y's first", dt, 0, 256, f32out ? 140 : 198,
                 BATCH_DOT_STATUS_ALIASING);
        /* Check 9 before 11: an f32 out at 2 mod 4 overlapping x. */
        EXPECT16("out misaligned and on x", dt, 0, 256, 46,
                 f32out ? BATCH_DOT_STATUS_INVALID_ARGUMENT : BATCH_DOT_STATUS_ALIASING);
        EXPECT16("x and y the same bytes", dt, 0, 0, 512, BATCH_DOT_STATUS_OK);
        /* Byte overflow with the tensor's own size: out's last element
         * 2^61 + 14 fits in bytes at 2 per element (then out of bounds),
         * not at 4. */
        {
            batch_dot_layout o2 = o;
            o2.strides[0] = (int64_t)1 << 61;
            expect16_at(__FILE__, __LINE__, "out reach 2^61 elements", dt, &x, 0, &y, 256, &o2, 512,
                        f32out ? BATCH_DOT_STATUS_OVERFLOW : BATCH_DOT_STATUS_OUT_OF_BOUNDS);
        }
        /* Reaches outside len, with 16-bit lengths. */
        {
            batch_dot_layout x2 = x;
            x2.len = 23;
            expect16_at(__FILE__, __LINE__, "x.len one short", dt, &x2, 0, &y, 256, &o, 512,
                        BATCH_DOT_STATUS_OUT_OF_BOUNDS);
        }
    }
    for (r = 0; r < sizeof unsupported / sizeof unsupported[0]; r++) {
        EXPECT16("unsupported combination", unsupported[r], 0, 256, 512,
                 BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
    }
    /* The typed calls: NULL pointers and broken layouts as the f32 call. */
    {
        uint16_t xd[24] = {0}, yd[40] = {0}, od[30];
        batch_dot_layout xf = x;
        xf.flags = 1;
        CHECK_STATUS(call_typed16(TK_BF16, NULL, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_typed16(TK_F16, &x, xd, &y, yd, 2, 1, NULL, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_typed16(TK_BF16, &x, NULL, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_typed16(TK_F16, &xf, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_typed16(TK_BF16, &x, xd, &y, yd, 0, 1, &o, od, NULL), BATCH_DOT_STATUS_BATCH_AXIS);
        CHECK_STATUS(call_typed16(TK_F16, &x, xd, &y, yd, 2, 1, &o, xd, NULL), BATCH_DOT_STATUS_ALIASING);
    }
}

/* docs/API.md, "Element types (version 0.2)": the bfloat16 and float16
 * paths: the test kit's conversions, hand-worked values, scale, statuses,
 * then random layouts of the four combinations. */
static void test_bf16_f16(void)
{
    int iter, c;
    lowp_testkit_values();
    lowp_values();
    lowp_scale();
    lowp_statuses();
    for (iter = 0; iter < 150; iter++) {
        for (c = 0; c < 4; c++) {
            lowp_random_case(iter, lowp_in[c], lowp_out[c], 0);
        }
    }
    for (c = 0; c < 4; c++) { /* big enough for several threads */
        lowp_random_case(1000 + c, lowp_in[c], lowp_out[c], 1);
    }
}

/* ------------------------------------------------------------------------ */
/* int8: batch_dot_s8 and batch_dot_compute's integer rows                  */
/* ------------------------------------------------------------------------ */

/* The integer rows: 0 is (S8, S8, S32), 1 is (U8, S8, S32). */
static const tk_dtype int8_x[2] = {TK_S8, TK_U8};
static const char *const int8_name[2] = {"s8*s8", "u8*s8"};

/* Row `row` through batch_dot_s8 (typed, row 0 only) or batch_dot_compute. */
static int32_t call_int8(int row, int typed, const batch_dot_layout *x, const void *xd,
                         const batch_dot_layout *y, const void *yd, int64_t ax, int64_t ay,
                         const batch_dot_layout *o, void *od, const batch_dot_options *opt)
{
    const int32_t dt[3] = {row ? BATCH_DOT_DTYPE_U8 : BATCH_DOT_DTYPE_S8, BATCH_DOT_DTYPE_S8,
                           BATCH_DOT_DTYPE_S32};
    int32_t s;
    if (typed && row == 0) {
        s = batch_dot_s8(x, (const int8_t *)xd, y, (const int8_t *)yd, ax, ay, o, (int32_t *)od, opt);
        note_status(s);
        return s;
    }
    return call_compute(dt, x, xd, y, yd, ax, ay, o, od, opt);
}

/* The test kit's integer reference on values worked out by hand (it is the
 * reference of everything below, so it is checked first). */
static void int8_testkit_values(void)
{
    const int8_t xs[4] = {-128, 127, 1, -1}, ys[4] = {-128, -128, 5, 7};
    const uint8_t xu[4] = {255, 128, 0, 1};
    batch_dot_layout l = lay_c(2, S(1, 4)), o = lay_c(2, S(1, 1));
    /* Neither start value is one the checks below expect, so an output the
     * reference did not write still fails them. */
    int32_t v = 0;
    int64_t e = -1;
    CHECK(tk_wrap32(0) == 0 && tk_wrap32(-1) == -1 && tk_wrap32(INT32_MAX) == INT32_MAX);
    CHECK(tk_wrap32((int64_t)INT32_MAX + 1) == INT32_MIN && tk_wrap32((int64_t)INT32_MIN - 1) == INT32_MAX);
    CHECK(tk_wrap32((int64_t)1 << 32) == 0 && tk_wrap32(-((int64_t)1 << 32) - 5) == -5);
    CHECK(tk_wrap32((int64_t)16384 * 131072) == INT32_MIN);
    CHECK(tk_wrap32((int64_t)-32640 * 65794) == 2147451136);
    tk_naive_i32(TK_S8, &l, xs, TK_S8, &l, ys, 1, 1, &o, &v, &e, NULL);
    CHECKF(v == 126 && e == 126, "%d", (int)v);
    tk_naive_i32(TK_U8, &l, xu, TK_S8, &l, ys, 1, 1, &o, &v, &e, NULL);
    CHECKF(v == -255 * 128 - 128 * 128 + 0 + 7 && e == v, "%d", (int)v);
    CHECK(tk_int_scale_ok(1, 0) && tk_int_scale_ok(1, -0.0) && tk_int_scale_ok(1, 1));
    CHECK(!tk_int_scale_ok(2, 0) && !tk_int_scale_ok(NAN, 0) && !tk_int_scale_ok(1, NAN) &&
          !tk_int_scale_ok(1, 0.5) && !tk_int_scale_ok(0, 1));
    CHECK(tk_dtypes_run(5, 5, 7) && tk_dtypes_run(6, 5, 7) && !tk_dtypes_run(5, 6, 7) &&
          !tk_dtypes_run(6, 6, 7) && !tk_dtypes_run(5, 5, 5) && !tk_dtypes_run(5, 5, 1));
}

/* x (b, k) . y (b, k), axes 1, every x byte xb and y byte yb (as the row
 * reads them), through batch_dot_compute with 1 and 2 threads and, row 0,
 * batch_dot_s8: they must agree bit for bit; every output must be
 * wrap(k * x * y) (computed here in int64) and the reference's. Returns
 * the status; res[0] is the first output. */
static int32_t int8_const_dot(int row, int64_t b, int64_t k, int xv, int yv, int32_t *res)
{
    batch_dot_layout x = lay_c(2, S(b, k)), o = lay_c(2, S(b, 1));
    size_t n = (size_t)(b * k > 0 ? b * k : 1);
    unsigned char *xd = tk_xmalloc(n), *yd = tk_xmalloc(n);
    int32_t *od = tk_xmalloc((size_t)b * 4), *od2 = tk_xmalloc((size_t)b * 4);
    int32_t *want = tk_xmalloc((size_t)b * 4);
    batch_dot_options opt;
    int64_t i;
    int32_t st, st2;
    int ok = 1;
    for (i = 0; i < b * k; i++) {
        tk_set(int8_x[row], xd, i, xv);
        tk_set(TK_S8, yd, i, yv);
    }
    tk_fill_sentinel(TK_S32, od, b);
    tk_fill_sentinel(TK_S32, od2, b);
    batch_dot_options_init(&opt);
    opt.num_threads = 1;
    st = call_int8(row, 0, &x, xd, &x, yd, 1, 1, &o, od, &opt);
    opt.num_threads = 2;
    st2 = call_int8(row, 1, &x, xd, &x, yd, 1, 1, &o, od2, &opt);
    CHECKF(st2 == st && memcmp(od, od2, (size_t)b * 4) == 0, "%s K %" PRId64 ": %s, %s",
           int8_name[row], k, batch_dot_status_string(st), batch_dot_status_string(st2));
    if (st == BATCH_DOT_STATUS_OK) {
        tk_naive_i32(int8_x[row], &x, xd, TK_S8, &x, yd, 1, 1, &o, want, NULL, NULL);
        for (i = 0; i < b; i++) {
            ok &= od[i] == want[i] && od[i] == tk_wrap32(k * (int64_t)xv * yv);
        }
        CHECKF(ok, "%s %d*%d K %" PRId64 ": got %" PRId32 ", want %" PRId32, int8_name[row], xv, yv, k,
               od[0], tk_wrap32(k * (int64_t)xv * yv));
    }
    *res = od[0];
    free(xd);
    free(yd);
    free(od);
    free(od2);
    free(want);
    return st;
}

/* Values worked out by hand: a 16-bit saturating pair sum (vpmaddubsw) or
 * accumulator, or an abs/sign trick that breaks on -128, gives other
 * numbers for -128*-128 (S8*S8) and 255*127, 255*-128 (U8*S8) over long
 * K; sums past int32 wrap modulo 2^32 (never saturate); K = 0 gives 0. */
static void int8_values(void)
{
    static const struct {
        int row, x, y;
        int64_t k;
        int32_t want;
    } rows[] = {
        {0, -128, -128, 4096, 67108864},
        {0, -128, 127, 4095, -66568320},
        {0, 127, 127, 31, 499999},
        {0, -128, -128, 131071, 2147467264},
        {0, -128, -128, 131072, INT32_MIN},
        {0, -128, -128, 131073, -2147467264},
        {1, 255, 127, 4096, 132648960},
        {1, 255, -128, 4096, -133693440},
        {1, 128, -128, 33, -540672},
        {1, 255, -128, 65793, -2147483520},
        {1, 255, -128, 65794, 2147451136},
        {1, 255, 127, 66312, -2147453176},
    };
    size_t i;
    int row;
    int32_t r;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_STATUS(int8_const_dot(rows[i].row, rows[i].k > 100000 ? 1 : 3, rows[i].k, rows[i].x,
                                    rows[i].y, &r),
                     BATCH_DOT_STATUS_OK);
        CHECKF(r == rows[i].want, "%s %d*%d K %" PRId64 ": %" PRId32 ", want %" PRId32,
               int8_name[rows[i].row], rows[i].x, rows[i].y, rows[i].k, r, rows[i].want);
    }
    for (row = 0; row < 2; row++) {
        /* K = 0: 0 over the sentinel. */
        batch_dot_layout x = lay_c(2, S(3, 0)), o = lay_c(2, S(3, 1));
        int32_t od[3];
        tk_fill_sentinel(TK_S32, od, 3);
        CHECK_STATUS(call_int8(row, 1, &x, NULL, &x, NULL, 1, 1, &o, od, NULL), BATCH_DOT_STATUS_OK);
        CHECKF(od[0] == 0 && od[1] == 0 && od[2] == 0, "%s", int8_name[row]);
    }
    /* A GEMM (tails in M, N and K) of extremes: every output K*x*y. */
    for (row = 0; row < 2; row++) {
        batch_dot_layout x = lay_c(3, S(1, 9, 1000)), y = lay_c(3, S(1, 1000, 7));
        batch_dot_layout o = lay_c(3, S(1, 9, 7));
        unsigned char *xd = tk_xmalloc(9000), *yd = tk_xmalloc(7000);
        int32_t od[63];
        int xv = row ? 255 : -128, yv = row ? 127 : -128, ok = 1, j;
        for (j = 0; j < 9000; j++) tk_set(int8_x[row], xd, j, xv);
        for (j = 0; j < 7000; j++) tk_set(TK_S8, yd, j, yv);
        CHECK_STATUS(call_int8(row, 0, &x, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_OK);
        for (j = 0; j < 63; j++) ok &= od[j] == 1000 * xv * yv;
        CHECKF(ok, "%s GEMM: %" PRId32 ", want %d", int8_name[row], od[0], 1000 * xv * yv);
        free(xd);
        free(yd);
    }
}

/* Scale on an int32 output: alpha = 1 with beta = 0 (either sign: out
 * not read, whatever it holds) or 1 (out + x.y modulo 2^32, out near
 * INT32_MAX and INT32_MIN); every other pair, NaN included, is
 * INVALID_ARGUMENT with nothing written and docs/API.md's message naming
 * the value; without the flag alpha and beta are not read. */
static void int8_scale(void)
{
    static const double ok_pairs[][2] = {{1, 0}, {1, -0.0}, {1, 1}};
    static const struct {
        double alpha, beta;
        const char *msg;
    } bad[] = {
        {2, 0, "options->alpha = 2: an int32 output takes alpha = 1 only."},
        {0.5, 1, "options->alpha = 0.5: an int32 output takes alpha = 1 only."},
        {0, 0, "options->alpha = 0: an int32 output takes alpha = 1 only."},
        {-1, 1, "options->alpha = -1: an int32 output takes alpha = 1 only."},
        {NAN, 0, "options->alpha = NaN: an int32 output takes alpha = 1 only."},
        {1, 0.5, "options->beta = 0.5: an int32 output takes beta = 0 or 1 only."},
        {1, -1, "options->beta = -1: an int32 output takes beta = 0 or 1 only."},
        {1, 2, "options->beta = 2: an int32 output takes beta = 0 or 1 only."},
        {1, NAN, "options->beta = NaN: an int32 output takes beta = 0 or 1 only."},
        {1, INFINITY, "options->beta = inf: an int32 output takes beta = 0 or 1 only."},
    };
    const int64_t xs[3] = {3, 5, 70}, ys[3] = {3, 70, 6};
    int row;
    size_t p;
    char msg[512];
    for (row = 0; row < 2; row++) {
        batch_dot_layout x = lay_c(3, xs), y = lay_c(3, ys), o = lay_c(3, S(3, 5, 6));
        unsigned char xd[1050], yd[1260];
        int32_t plain[90], before[90], od[90], od2[90], want[90];
        int64_t i;
        for (i = 0; i < x.len; i++) tk_set(int8_x[row], xd, i, row ? tk_rng_range(&rng, 0, 255) : tk_rng_range(&rng, -128, 127));
        for (i = 0; i < y.len; i++) tk_set(TK_S8, yd, i, tk_rng_range(&rng, -128, 127));
        tk_naive_i32(int8_x[row], &x, xd, TK_S8, &y, yd, 2, 1, &o, want, NULL, NULL);
        CHECK_STATUS(call_int8(row, 1, &x, xd, &y, yd, 2, 1, &o, plain, NULL), BATCH_DOT_STATUS_OK);
        CHECK(memcmp(plain, want, sizeof plain) == 0);
        for (p = 0; p < sizeof ok_pairs / sizeof ok_pairs[0]; p++) {
            double beta = ok_pairs[p][1];
            batch_dot_options opt;
            int ok = 1;
            batch_dot_options_init(&opt);
            opt.flags = BATCH_DOT_OPT_SCALE;
            opt.alpha = 1;
            opt.beta = beta;
            for (i = 0; i < 90; i++) {
                before[i] = i % 3 == 0 ? INT32_MAX - (int32_t)i : i % 3 == 1 ? INT32_MIN + (int32_t)i
                                                                           : (int32_t)tk_rng_next(&rng);
            }
            memcpy(od, before, sizeof od);
            memcpy(od2, before, sizeof od2);
            opt.num_threads = 1;
            CHECK_STATUS(call_int8(row, 1, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_OK);
            opt.num_threads = 2;
            CHECK_STATUS(call_int8(row, 0, &x, xd, &y, yd, 2, 1, &o, od2, &opt), BATCH_DOT_STATUS_OK);
            for (i = 0; i < 90; i++) {
                int64_t w = beta == 0 ? (int64_t)want[i] : (int64_t)before[i] + want[i];
                ok &= od[i] == tk_wrap32(w);
            }
            CHECKF(ok, "%s beta %g", int8_name[row], beta);
            CHECKF(memcmp(od, od2, sizeof od) == 0, "%s beta %g: 2 threads differ", int8_name[row], beta);
            if (beta == 0) {
                CHECK(memcmp(od, plain, sizeof od) == 0);
            }
        }
        for (p = 0; p < sizeof bad / sizeof bad[0]; p++) {
            batch_dot_options opt;
            int typed;
            batch_dot_options_init(&opt);
            opt.flags = BATCH_DOT_OPT_SCALE;
            opt.alpha = bad[p].alpha;
            opt.beta = bad[p].beta;
            for (typed = 0; typed < 2; typed++) {
                const int32_t dt[3] = {tk_dtype_code(int8_x[row]), 5, 7};
                const batch_dot_layout *const l[3] = {&x, &y, &o};
                const void *const ptr[3] = {xd, yd, od};
                tk_fill_sentinel(TK_S32, od, 90);
                CHECK(tk_expect_dtyped(dt, l, 2, 1, &opt, ptr) == BATCH_DOT_STATUS_INVALID_ARGUMENT);
                CHECK_STATUS(call_int8(row, typed, &x, xd, &y, yd, 2, 1, &o, od, &opt),
                             BATCH_DOT_STATUS_INVALID_ARGUMENT);
                last_msg(msg, sizeof msg);
                CHECKF(strcmp(msg, bad[p].msg) == 0, "%s: \"%s\", want \"%s\"", int8_name[row], msg,
                       bad[p].msg);
                CHECKF(tk_first_touched(TK_S32, od, 90, NULL) < 0, "%s: written on error", int8_name[row]);
            }
            /* Without the flag they are not read. */
            opt.flags = 0;
            CHECK_STATUS(call_int8(row, 1, &x, xd, &y, yd, 2, 1, &o, od, &opt), BATCH_DOT_STATUS_OK);
            CHECK(memcmp(od, plain, sizeof od) == 0);
        }
        /* Check 2 comes before check 5 (a batch axis) and 9 (a misaligned
         * out): the refusal wins. */
        {
            batch_dot_options opt;
            batch_dot_options_init(&opt);
            opt.flags = BATCH_DOT_OPT_SCALE;
            opt.beta = 3;
            CHECK_STATUS(call_int8(row, 1, &x, xd, &y, yd, 0, 1, &o, (char *)od + 1, &opt),
                         BATCH_DOT_STATUS_INVALID_ARGUMENT);
            last_msg(msg, sizeof msg);
            CHECKF(strstr(msg, "options->beta = 3") != NULL, "\"%s\"", msg);
        }
    }
}

/* A status case on a byte arena: x (2,3,4) at byte xo, y (2,4,5) at byte
 * yo, out (2,3,5) at byte oo, for integer row `row`; the expected status
 * as written must be the oracle's; batch_dot_compute (and batch_dot_s8 for
 * row 0) must return it, and on error leave every byte of the arena as it
 * was, with a message. */
static void expect8_at(const char *file, int line, const char *what, int row,
                       const batch_dot_layout *x, size_t xo, const batch_dot_layout *y, size_t yo,
                       const batch_dot_layout *o, size_t oo, int32_t want)
{
    const int32_t dt[3] = {row ? 6 : 5, 5, 7};
    const batch_dot_layout *const l[3] = {x, y, o};
    const void *const p[3] = {arena16 + xo, arena16 + yo, arena16 + oo};
    int32_t oracle = tk_expect_dtyped(dt, l, 2, 1, NULL, p), st;
    int typed;
    size_t i;
    char msg[512];
    if (oracle != want) {
        fail_at(file, line, "%s %s: the case expects %s, the oracle %s", what, int8_name[row],
                batch_dot_status_string(want), batch_dot_status_string(oracle));
        return;
    }
    for (typed = 0; typed < 2; typed++) {
        if (typed && row != 0) {
            continue;
        }
        for (i = 0; i < ARENA16; i++) {
            arena16[i] = (unsigned char)(0x3Cu + i * 7u);
        }
        memcpy(arena16_copy, arena16, ARENA16);
        st = call_int8(row, typed, x, arena16 + xo, y, arena16 + yo, 2, 1, o, arena16 + oo, NULL);
        last_msg(msg, sizeof msg);
        if (st != want) {
            fail_at(file, line, "%s %s%s: expected %s, got %s (\"%s\")", what, int8_name[row],
                    typed ? " typed" : "", batch_dot_status_string(want), batch_dot_status_string(st), msg);
            continue;
        }
        if (st != BATCH_DOT_STATUS_OK && (memcmp(arena16, arena16_copy, ARENA16) != 0 || msg[0] == '\0')) {
            fail_at(file, line, "%s %s%s: %s, but the arena changed or no message", what, int8_name[row],
                    typed ? " typed" : "", batch_dot_status_string(st));
            continue;
        }
        n_pass++;
    }
}

#define EXPECT8(what, xo, yo, oo, want) \
    expect8_at(__FILE__, __LINE__, (what), row, &x, (xo), &y, (yo), &o, (oo), (want))

static void int8_statuses(void)
{
    static const int32_t unsupported[][3] = {{5, 5, 5}, {6, 6, 7}, {5, 6, 7}, {5, 5, 1}, {6, 5, 1},
                                             {6, 6, 6}, {7, 7, 7}, {5, 5, 2}, {6, 5, 6}, {1, 1, 7},
                                             {4, 4, 7}, {5, 5, 3}};
    batch_dot_layout x = lay_c(3, S(2, 3, 4)), y = lay_c(3, S(2, 4, 5)), o = lay_c(3, S(2, 3, 5));
    size_t r;
    int row;
    /* x: bytes [0, 24); y: [256, 296); out at 512: 120 bytes. */
    for (row = 0; row < 2; row++) {
        EXPECT8("base", 0, 256, 512, BATCH_DOT_STATUS_OK);
        /* Alignment: 1 byte for int8 and uint8, 4 for the int32 out. */
        EXPECT8("x and y at odd addresses", 1, 257, 512, BATCH_DOT_STATUS_OK);
        EXPECT8("x and y at 3 mod 4", 3, 259, 512, BATCH_DOT_STATUS_OK);
        EXPECT8("out at 1 mod 4", 0, 256, 513, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT8("out at 2 mod 4", 0, 256, 514, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT8("out at 3 mod 4", 0, 256, 515, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT8("out at 4 mod 8", 0, 256, 516, BATCH_DOT_STATUS_OK);
        /* Aliasing by bytes: out right after x's 24 bytes, or its first
         * element on x's last bytes; right before y, or its last element on
         * y's first byte. */
        EXPECT8("out right after x", 0, 256, 24, BATCH_DOT_STATUS_OK);
        EXPECT8("out on x's last bytes", 0, 256, 20, BATCH_DOT_STATUS_ALIASING);
        EXPECT8("out right before y", 0, 256, 136, BATCH_DOT_STATUS_OK);
        EXPECT8("out's last element on y's first byte", 0, 256, 140, BATCH_DOT_STATUS_ALIASING);
        EXPECT8("x right after out", 632, 256, 512, BATCH_DOT_STATUS_OK);
        EXPECT8("x on out's last byte", 631, 256, 512, BATCH_DOT_STATUS_ALIASING);
        /* Check 9 before 11: a misaligned out on x. */
        EXPECT8("out misaligned and on x", 0, 256, 22, BATCH_DOT_STATUS_INVALID_ARGUMENT);
        EXPECT8("x and y the same bytes", 0, 0, 512, BATCH_DOT_STATUS_OK);
        /* Byte overflow with each tensor's own size: a reach of 2^62
         * elements fits at 1 byte (then out of bounds), not at 4. */
        {
            batch_dot_layout x2 = x, o2 = o;
            x2.strides[0] = (int64_t)1 << 62;
            o2.strides[0] = (int64_t)1 << 61;
            expect8_at(__FILE__, __LINE__, "x reach 2^62 bytes", row, &x2, 0, &y, 256, &o, 512,
                       BATCH_DOT_STATUS_OUT_OF_BOUNDS);
            expect8_at(__FILE__, __LINE__, "out reach 2^61 int32", row, &x, 0, &y, 256, &o2, 512,
                       BATCH_DOT_STATUS_OVERFLOW);
        }
        {
            batch_dot_layout x2 = x;
            x2.len = 23;
            expect8_at(__FILE__, __LINE__, "x.len one short", row, &x2, 0, &y, 256, &o, 512,
                       BATCH_DOT_STATUS_OUT_OF_BOUNDS);
        }
    }
    for (r = 0; r < sizeof unsupported / sizeof unsupported[0]; r++) {
        EXPECT16("unsupported integer combination", unsupported[r], 0, 256, 512,
                 BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
    }
    /* batch_dot_s8: NULL pointers and broken layouts as the f32 call. */
    {
        int8_t xd[24] = {0}, yd[40] = {0};
        int32_t od[30];
        batch_dot_layout xf = x;
        xf.flags = 1;
        CHECK_STATUS(call_int8(0, 1, NULL, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_int8(0, 1, &x, xd, &y, yd, 2, 1, NULL, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_int8(0, 1, &x, NULL, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_int8(0, 1, &x, xd, &y, NULL, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_int8(0, 1, &x, xd, &y, yd, 2, 1, &o, NULL, NULL), BATCH_DOT_STATUS_NULL_POINTER);
        CHECK_STATUS(call_int8(0, 1, &xf, xd, &y, yd, 2, 1, &o, od, NULL), BATCH_DOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(call_int8(0, 1, &x, xd, &y, yd, 0, 1, &o, od, NULL), BATCH_DOT_STATUS_BATCH_AXIS);
        CHECK_STATUS(call_int8(0, 1, &x, xd, &y, yd, 2, 1, &o, (int32_t *)(void *)xd, NULL),
                     BATCH_DOT_STATUS_ALIASING);
    }
}

/* A random value of an integer input: any byte, or (extremes) only
 * -128, -127, 127 for int8 and 255, 254, 128 for uint8. */
static int int8_rnd(tk_dtype t, int extremes)
{
    static const int s8[3] = {-128, -127, 127}, u8[3] = {255, 254, 128};
    if (extremes) {
        return t == TK_U8 ? u8[tk_rng_next(&rng) % 3] : s8[tk_rng_next(&rng) % 3];
    }
    return t == TK_U8 ? (int)tk_rng_range(&rng, 0, 255) : (int)tk_rng_range(&rng, -128, 127);
}

/* One random call of row `row`: the status against the test kit's oracle
 * (each tensor's own size; the int32 alpha/beta rule), batch_dot_s8 and
 * batch_dot_compute agreeing bit for bit (row 0), nothing written on error
 * (a message instead), on success every reached output the int64
 * reference modulo 2^32 (scaled: beta = 1 adds the old value modulo 2^32),
 * nothing else written, inputs unchanged, num_threads 1 and 2 bitwise
 * equal. `large`: a product big enough for several threads. */
static void int8_random_case(int iter, int row, int large)
{
    static const double pairs[][2] = {{1, 0}, {1, 1}, {1, -0.0}, {1, 1}, {2, 0}, {1, 0.5}};
    tk_shapes sh;
    batch_dot_layout x, y, o;
    batch_dot_options opt;
    size_t xb, yb, ob;
    unsigned char *xd, *yd, *xc, *yc, *reached = NULL;
    int32_t *o1, *o2, *o3, *before, *ref = NULL;
    int32_t want, s1, s2, s3;
    int64_t k, total, e, *where = NULL;
    int scaled, extremes, broken, ok = 1;
    double beta = 0;
    char msg1[512], msg2[512];
    const char *what = "";
    tk_dtype tx = int8_x[row];
    if (large) {
        tk_gen_large(&rng, &sh);
    } else {
        tk_gen_shapes(&rng, &sh, 2, 4);
    }
    x = tk_arrange(&rng, sh.n, sh.x, 1);
    y = tk_arrange(&rng, sh.m, sh.y, 1);
    o = tk_arrange(&rng, sh.on, sh.o, 0);
    broken = large ? 99 : (int)tk_rng_range(&rng, 0, 11);
    switch (broken) { /* now and then a broken call */
    case 0: o.len = o.len > 0 ? o.len - 1 : 0; break;
    case 1: x.ndim = 1; break;
    case 2: o.shape[0] += 1; break;
    case 3: y.offset -= 1; break;
    default: break;
    }
    scaled = tk_rng_chance(&rng, 35);
    extremes = tk_rng_chance(&rng, 30);
    batch_dot_options_init(&opt);
    opt.num_threads = 1;
    if (scaled) {
        size_t p = tk_rng_next(&rng) % (sizeof pairs / sizeof pairs[0]);
        opt.flags = BATCH_DOT_OPT_SCALE;
        opt.alpha = pairs[p][0];
        opt.beta = beta = pairs[p][1];
    }
    xb = (size_t)(x.len > 0 ? x.len : 1);
    yb = (size_t)(y.len > 0 ? y.len : 1);
    ob = (size_t)(o.len > 0 ? o.len : 1);
    xd = tk_xmalloc(xb);
    yd = tk_xmalloc(yb);
    o1 = tk_xmalloc(ob * 4);
    o2 = tk_xmalloc(ob * 4);
    o3 = tk_xmalloc(ob * 4);
    before = tk_xmalloc(ob * 4);
    for (k = 0; k < (int64_t)xb; k++) tk_set(tx, xd, k, int8_rnd(tx, extremes));
    for (k = 0; k < (int64_t)yb; k++) tk_set(TK_S8, yd, k, int8_rnd(TK_S8, extremes));
    xc = tk_xdup(xd, xb);
    yc = tk_xdup(yd, yb);
    tk_fill_sentinel(TK_S32, before, (int64_t)ob);
    {
        const int32_t dt[3] = {tk_dtype_code(tx), 5, 7};
        const batch_dot_layout *const l[3] = {&x, &y, &o};
        const void *const p[3] = {xd, yd, o1};
        want = tk_expect_dtyped(dt, l, sh.ax, sh.ay, &opt, p);
    }
    total = want == BATCH_DOT_STATUS_OK ? tk_count(&o) : 0;
    if (total > 0) {
        ref = tk_xmalloc((size_t)total * 4);
        where = tk_xmalloc((size_t)total * sizeof(int64_t));
        reached = tk_xmalloc((size_t)o.len);
        memset(reached, 0, (size_t)o.len);
        tk_naive_i32(tx, &x, xd, TK_S8, &y, yd, sh.a0, sh.a1, &o, ref, NULL, where);
        for (e = 0; e < total; e++) { /* out is read when beta = 1 */
            before[where[e]] = tk_rng_chance(&rng, 50) ? INT32_MAX - (int32_t)tk_rng_range(&rng, 0, 99)
                                                       : (int32_t)tk_rng_next(&rng);
        }
    }
    memcpy(o1, before, ob * 4);
    memcpy(o2, before, ob * 4);
    memcpy(o3, before, ob * 4);
    s1 = call_int8(row, 0, &x, xd, &y, yd, sh.ax, sh.ay, &o, o1, &opt);
    last_msg(msg1, sizeof msg1);
    if (s1 != want) {
        ok = 0;
        what = "status differs from the oracle's";
    }
    if (ok && row == 0) {
        s2 = call_int8(row, 1, &x, xd, &y, yd, sh.ax, sh.ay, &o, o2, &opt);
        last_msg(msg2, sizeof msg2);
        if (s2 != s1 || strcmp(msg1, msg2) != 0 || memcmp(o1, o2, ob * 4) != 0) {
            ok = 0;
            what = "batch_dot_s8 and batch_dot_compute differ";
        }
    }
    if (ok && s1 != BATCH_DOT_STATUS_OK && (memcmp(o1, before, ob * 4) != 0 || msg1[0] == '\0')) {
        ok = 0;
        what = "out written on error, or no message";
    }
    if (ok && s1 == BATCH_DOT_STATUS_OK) {
        opt.num_threads = 2;
        s3 = call_int8(row, 0, &x, xd, &y, yd, sh.ax, sh.ay, &o, o3, &opt);
        if (s3 != BATCH_DOT_STATUS_OK || memcmp(o1, o3, ob * 4) != 0) {
            ok = 0;
            what = "num_threads 2 differs from 1";
        }
        if (msg1[0] != '\0') {
            ok = 0;
            what = "a message after success";
        }
        for (e = 0; ok == 1 && e < total; e++) {
            int32_t w = scaled && beta == 1 ? tk_wrap32((int64_t)before[where[e]] + ref[e]) : ref[e];
            reached[where[e]] = 1;
            if (o1[where[e]] != w) {
                fail_at(__FILE__, __LINE__,
                        "%s case %d: out element %" PRId64 " is %" PRId32 ", want %" PRId32
                        " (reference %" PRId32 ", beta %g, before %" PRId32 ")",
                        int8_name[row], iter, e, o1[where[e]], w, ref[e], scaled ? beta : 0.0,
                        before[where[e]]);
                ok = -1;
            }
        }
        if (ok == 1 && total > 0 && tk_first_touched(TK_S32, o1, o.len, reached) >= 0) {
            ok = 0;
            what = "an element the out layout does not reach was written";
        }
    }
    if (ok == 1 && (memcmp(xc, xd, xb) != 0 || memcmp(yc, yd, yb) != 0)) {
        ok = 0;
        what = "an input was written";
    }
    if (ok == 0) {
        fail_at(__FILE__, __LINE__, "%s case %d (broken %d, scaled %d): %s; status %s, oracle %s (\"%s\")",
                int8_name[row], iter, broken, scaled, what, batch_dot_status_string(s1),
                batch_dot_status_string(want), msg1);
    } else if (ok == 1) {
        n_pass++;
    }
    free(ref);
    free(where);
    free(reached);
    free(xd);
    free(yd);
    free(xc);
    free(yc);
    free(o1);
    free(o2);
    free(o3);
    free(before);
}

/* docs/API.md, "Element types (version 0.2)": the integer rows, int8 *
 * int8 and uint8 * int8 into int32: the test kit's integer reference,
 * hand-worked values (saturation never, wrap modulo 2^32), the int32
 * alpha/beta rule, statuses (4-byte out alignment, 1-byte inputs, aliasing
 * by bytes), then random layouts of both rows. */
static void test_int8(void)
{
    int iter, row;
    int8_testkit_values();
    int8_values();
    int8_scale();
    int8_statuses();
    for (iter = 0; iter < 200; iter++) {
        for (row = 0; row < 2; row++) {
            int8_random_case(iter, row, 0);
        }
    }
    for (iter = 0; iter < 3; iter++) { /* big enough for several threads */
        for (row = 0; row < 2; row++) {
            int8_random_case(1000 + iter, row, 1);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* DLPack: batch_dot_dlpack (include/batch_dot_dlpack.h)                     */
/* ------------------------------------------------------------------------ */

/* What a C engine holds: DLTensor structs (<dlpack/dlpack.h>, the system's
 * or c_tests/dlpack_standin/), handed to batch_dot_dlpack as they are. The
 * expected statuses below are literals from docs/API.md, section "DLPack"
 * (its check order), not the oracle's; the expected values are the
 * harness's own loops over the tensors' shapes, strides and byte offsets. */

/* DLPack's ABI as include/batch_dot_dlpack.h reads it. */
_Static_assert(sizeof(void *) != 8 || sizeof(DLTensor) == 48, "DLTensor is 48 bytes");
_Static_assert(offsetof(DLTensor, data) == 0, "DLTensor.data");
_Static_assert(offsetof(DLTensor, device) == sizeof(void *), "DLTensor.device");
_Static_assert(sizeof(DLDataType) == 4, "DLDataType");
_Static_assert(sizeof(void *) != 8 || offsetof(DLTensor, byte_offset) == 40, "byte_offset");

/* docs/API.md's DLPack dtype table, by the test kit's type. */
static DLDataType dl_dtype(tk_dtype t)
{
    DLDataType d;
    d.lanes = 1;
    switch (t) {
    case TK_F64: d.code = (uint8_t)kDLFloat; d.bits = 64; break;
    case TK_F16: d.code = (uint8_t)kDLFloat; d.bits = 16; break;
    case TK_BF16: d.code = (uint8_t)kDLBfloat; d.bits = 16; break;
    case TK_S8: d.code = (uint8_t)kDLInt; d.bits = 8; break;
    case TK_U8: d.code = (uint8_t)kDLUInt; d.bits = 8; break;
    case TK_S32: d.code = (uint8_t)kDLInt; d.bits = 32; break;
    default: d.code = (uint8_t)kDLFloat; d.bits = 32; break;
    }
    return d;
}

/* A tensor in host memory (kDLCPU, device 0), byte_offset 0. */
static DLTensor dl_make(void *data, tk_dtype t, int32_t nd, int64_t *shape, int64_t *strides)
{
    DLTensor d;
    memset(&d, 0, sizeof d);
    d.data = data;
    d.device.device_type = kDLCPU;
    d.device.device_id = 0;
    d.ndim = nd;
    d.dtype = dl_dtype(t);
    d.shape = shape;
    d.strides = strides;
    d.byte_offset = 0;
    return d;
}

static int32_t call_dlpack(const DLTensor *x, const DLTensor *y, int64_t ax, int64_t ay,
                           const DLTensor *o, const batch_dot_options *opt)
{
    int32_t s = batch_dot_dlpack(x, y, ax, ay, o, opt);
    note_status(s);
    return s;
}

/* The rows of docs/API.md's dtype table: x, y, out. */
static const struct {
    tk_dtype x, y, o;
} dl_rows[8] = {
    {TK_F32, TK_F32, TK_F32},    /* 0 */
    {TK_F64, TK_F64, TK_F64},    /* 1 */
    {TK_F16, TK_F16, TK_F16},    /* 2 */
    {TK_F16, TK_F16, TK_F32},    /* 3 */
    {TK_BF16, TK_BF16, TK_BF16}, /* 4 */
    {TK_BF16, TK_BF16, TK_F32},  /* 5 */
    {TK_S8, TK_S8, TK_S32},      /* 6 */
    {TK_U8, TK_S8, TK_S32},      /* 7 */
};

/* How a tensor's elements lie: compact with strides NULL, the same strides
 * given, a transposed view (column-major strides), or a padded view with
 * every stride above the compact one and axis 1 reversed. */
enum { DL_NULL, DL_EXPLICIT, DL_TRANSPOSED, DL_STRIDED, DL_KINDS };
static const char *const dl_kind_name[DL_KINDS] = {"strides NULL", "explicit strides",
                                                   "transposed", "padded, axis 1 reversed"};
/* Where element [0, ..., 0] is: data pointing at it; data at the buffer's
 * start and a nonzero byte_offset; data one byte past the start (misaligned
 * for any element wider than a byte) and a byte_offset that realigns it. */
enum { DL_AT_DATA, DL_BYTE_OFFSET, DL_REALIGNED, DL_PLACES };

typedef struct {
    tk_dtype t;
    int nd;
    int64_t shape[4], strides[4];
    int64_t base, n;    /* element index of [0, ..., 0] in buf; elements of buf */
    unsigned char *buf; /* the span the tensor reaches (3 more before it, unless DL_AT_DATA) */
    DLTensor dl;
} dl_arg;

static void dl_arg_init(dl_arg *a, tk_dtype t, int nd, const int64_t *shape, int kind, int place)
{
    size_t es = tk_esize(t);
    int64_t lo = 0, hi = 0, s, front = place == DL_AT_DATA ? 0 : 3;
    int i;
    memset(a, 0, sizeof *a);
    a->t = t;
    a->nd = nd;
    memcpy(a->shape, shape, (size_t)nd * sizeof *shape);
    if (kind == DL_TRANSPOSED) {
        for (i = 0, s = 1; i < nd; i++) {
            a->strides[i] = s;
            s *= shape[i];
        }
    } else {
        int pad = kind == DL_STRIDED;
        for (i = nd - 1, s = pad ? 2 : 1; i >= 0; i--) {
            a->strides[i] = s;
            s = s * shape[i] + (pad ? 3 : 0);
        }
        if (pad) {
            a->strides[1] = -a->strides[1];
        }
    }
    for (i = 0; i < nd; i++) {
        int64_t span = (shape[i] - 1) * a->strides[i];
        if (shape[i] > 1) {
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
    }
    a->n = hi - lo + 1 + front;
    a->base = front - lo;
    a->buf = tk_xmalloc((size_t)a->n * es);
    a->dl = dl_make(a->buf + (size_t)a->base * es, t, nd, a->shape,
                    kind == DL_NULL ? NULL : a->strides);
    if (place == DL_BYTE_OFFSET) {
        a->dl.data = a->buf;
        a->dl.byte_offset = (uint64_t)a->base * es;
    } else if (place == DL_REALIGNED) {
        a->dl.data = a->buf + 1;
        a->dl.byte_offset = (uint64_t)a->base * es - 1;
    }
}

/* Element index in buf of the logical index idx. */
static int64_t dl_pos(const dl_arg *a, const int64_t *idx)
{
    int64_t p = a->base;
    int i;
    for (i = 0; i < a->nd; i++) {
        p += idx[i] * a->strides[i];
    }
    return p;
}

/* A value for an input: +-k/8 for k in 1..32 in the floating types (every
 * product and every partial sum of up to 6 of them is exact in f32, so the
 * library's result is the exact sum rounded once to out's type), any value
 * of int8 or uint8. */
static double dl_value(tk_dtype t)
{
    if (t == TK_S8) {
        return (double)tk_rng_range(&rng, -128, 127);
    }
    if (t == TK_U8) {
        return (double)tk_rng_range(&rng, 0, 255);
    }
    return (double)tk_rng_range(&rng, 1, 32) / 8.0 * (tk_rng_chance(&rng, 50) ? -1.0 : 1.0);
}

/* One call of row `row` on x (n dims, xs) and y (m dims, ys) with axes
 * (ax, ay), the tensors laid out as kinds[] and placed as places[] (x, y,
 * out), on device `device` (kDLCPU or kDLCUDAHost); scaled: alpha 0.5 and
 * beta 1 (floating out) or alpha 1 and beta 1 (int32 out). Checks the
 * status (OK), no message, every reached out element against the
 * reference (bit for bit), every other out element untouched, the inputs
 * unchanged. */
static void dl_values_at(const char *file, int line, int row, int n, const int64_t *xs, int m,
                         const int64_t *ys, int64_t ax, int64_t ay, const int kinds[3],
                         const int places[3], int device, int scaled)
{
    const tk_dtype tx = dl_rows[row].x, ty = dl_rows[row].y, to = dl_rows[row].o;
    dl_arg x, y, o;
    int64_t os[4], oi[4], xi[4] = {0}, yi[4] = {0}, e, k, kk;
    int a0, a1, on = 0, i, p, q, done, bad = 0;
    unsigned char *xc, *yc, *before, *reached;
    _Alignas(8) unsigned char want[8];
    batch_dot_options opt;
    int32_t st;
    char msg[512];
    /* Keras's axes (docs/SEMANTICS.md §2), and the result's shape (§1, §4). */
    if (ax == BATCH_DOT_AXIS_DEFAULT) {
        a0 = n - 1;
        a1 = m == 2 ? 1 : m - 2;
    } else {
        a0 = (int)(ax < 0 ? ax + n : ax);
        a1 = (int)(ay < 0 ? ay + m : ay);
    }
    for (i = 0; i < n; i++) {
        if (i != a0) {
            os[on++] = xs[i];
        }
    }
    for (i = 1; i < m; i++) {
        if (i != a1) {
            os[on++] = ys[i];
        }
    }
    if (n == 2 && m == 2) {
        os[on++] = 1;
    }
    kk = xs[a0];
    dl_arg_init(&x, tx, n, xs, kinds[0], places[0]);
    dl_arg_init(&y, ty, m, ys, kinds[1], places[1]);
    dl_arg_init(&o, to, on, os, kinds[2], places[2]);
    for (e = 0; e < x.n; e++) tk_set(tx, x.buf, e, dl_value(tx));
    for (e = 0; e < y.n; e++) tk_set(ty, y.buf, e, dl_value(ty));
    tk_fill_sentinel(to, o.buf, o.n);
    x.dl.device.device_type = (DLDeviceType)device;
    y.dl.device.device_type = (DLDeviceType)device;
    o.dl.device.device_type = (DLDeviceType)device;
    batch_dot_options_init(&opt);
    if (scaled) {
        opt.flags = BATCH_DOT_OPT_SCALE;
        opt.alpha = tk_is_int(to) ? 1.0 : 0.5;
        opt.beta = 1.0;
    }
    xc = tk_xdup(x.buf, (size_t)x.n * tk_esize(tx));
    yc = tk_xdup(y.buf, (size_t)y.n * tk_esize(ty));
    reached = tk_xmalloc((size_t)o.n);
    memset(reached, 0, (size_t)o.n);
    /* Scaled: out is read where it is reached, so give it values there. */
    memset(oi, 0, sizeof oi);
    for (done = 0; scaled && !done;) {
        tk_set(to, o.buf, dl_pos(&o, oi), tk_is_int(to) ? (double)tk_rng_range(&rng, -1000, 1000)
                                                        : dl_value(TK_F32) * 4);
        done = !tk_next_index(on, os, oi);
    }
    before = tk_xdup(o.buf, (size_t)o.n * tk_esize(to));
    st = call_dlpack(&x.dl, &y.dl, ax, ay, &o.dl, scaled ? &opt : NULL);
    last_msg(msg, sizeof msg);
    if (st != BATCH_DOT_STATUS_OK || msg[0] != '\0') {
        fail_at(file, line, "%s*%s->%s, %s/%s/%s, places %d/%d/%d: status %s (\"%s\")",
                tk_dtype_name(tx), tk_dtype_name(ty), tk_dtype_name(to), dl_kind_name[kinds[0]],
                dl_kind_name[kinds[1]], dl_kind_name[kinds[2]], places[0], places[1], places[2],
                batch_dot_status_string(st), msg);
        bad = 1;
    }
    /* The reference: each out element from its own loop over the
     * contraction, in int64 (exact) or double (exact for these values). */
    memset(oi, 0, sizeof oi);
    for (done = 0; !bad && !done; done = !tk_next_index(on, os, oi)) {
        double fsum = 0, got, ref;
        int64_t isum = 0, opos = dl_pos(&o, oi);
        for (k = 0; k < kk; k++) {
            for (i = 0, p = 0; i < n; i++) {
                xi[i] = i == a0 ? k : oi[p++];
            }
            yi[0] = oi[0];
            for (i = 1, q = n - 1; i < m; i++) {
                yi[i] = i == a1 ? k : oi[q++];
            }
            if (tk_is_int(tx)) {
                isum += tk_geti(tx, x.buf, dl_pos(&x, xi)) * tk_geti(ty, y.buf, dl_pos(&y, yi));
            } else {
                fsum += tk_get(tx, x.buf, dl_pos(&x, xi)) * tk_get(ty, y.buf, dl_pos(&y, yi));
            }
        }
        if (tk_is_int(to)) {
            isum += scaled ? tk_geti(to, before, opos) : 0;
            tk_set(to, want, 0, (double)tk_wrap32(isum));
            ref = (double)tk_wrap32(isum);
        } else {
            ref = scaled ? 0.5 * fsum + tk_get(to, before, opos) : fsum;
            tk_set(to, want, 0, ref); /* rounded once, to nearest even */
        }
        reached[opos] = 1;
        if (tk_bits(to, o.buf, opos) != tk_bits(to, want, 0)) {
            got = tk_get(to, o.buf, opos);
            fail_at(file, line,
                    "%s*%s->%s, %s/%s/%s, places %d/%d/%d%s: out element %" PRId64
                    " is %.17g, expected %.17g (exact %.17g)",
                    tk_dtype_name(tx), tk_dtype_name(ty), tk_dtype_name(to),
                    dl_kind_name[kinds[0]], dl_kind_name[kinds[1]], dl_kind_name[kinds[2]],
                    places[0], places[1], places[2], scaled ? ", scaled" : "", opos, got,
                    tk_get(to, want, 0), ref);
            bad = 1;
        }
    }
    if (!bad && tk_first_touched(to, o.buf, o.n, reached) >= 0) {
        fail_at(file, line, "%s*%s->%s: out element %" PRId64 ", not reached, was written",
                tk_dtype_name(tx), tk_dtype_name(ty), tk_dtype_name(to),
                tk_first_touched(to, o.buf, o.n, reached));
        bad = 1;
    }
    if (!bad && (memcmp(xc, x.buf, (size_t)x.n * tk_esize(tx)) != 0 ||
                 memcmp(yc, y.buf, (size_t)y.n * tk_esize(ty)) != 0)) {
        fail_at(file, line, "%s*%s->%s: an input was written", tk_dtype_name(tx),
                tk_dtype_name(ty), tk_dtype_name(to));
        bad = 1;
    }
    if (!bad) {
        n_pass++;
    }
    free(x.buf);
    free(y.buf);
    free(o.buf);
    free(xc);
    free(yc);
    free(before);
    free(reached);
}

/* Every row of the dtype table on ndim 2 and 3, default, explicit and
 * negative axes, each tensor in every layout kind and place in turn, on
 * kDLCPU and kDLCUDAHost; then scaled calls. */
static void dlpack_values(void)
{
    static const struct {
        int n;
        int64_t xs[3];
        int m;
        int64_t ys[3];
        int64_t ax, ay;
    } sh[] = {
        {2, {2, 3}, 2, {2, 3}, D, D},          /* (B, 1): docs/SEMANTICS.md §4 */
        {2, {3, 6}, 2, {3, 6}, 1, 1},
        {3, {3, 4, 5}, 3, {3, 5, 2}, D, D},    /* matmul-like */
        {3, {3, 4, 5}, 3, {3, 5, 2}, -1, -2},
        {3, {3, 4, 5}, 3, {3, 2, 5}, 2, 2},
        {3, {2, 5, 3}, 3, {2, 5, 4}, 1, 1},
        {2, {2, 4}, 3, {2, 4, 3}, D, D},
        {3, {2, 3, 4}, 2, {2, 4}, D, D},
    };
    size_t s;
    int row, v;
    for (s = 0; s < sizeof sh / sizeof sh[0]; s++) {
        for (row = 0; row < 8; row++) {
            for (v = 0; v < 4; v++) {
                const int kinds[3] = {v, (v + 1) % DL_KINDS, (v + 2) % DL_KINDS};
                const int places[3] = {v % DL_PLACES, (v + 1) % DL_PLACES, (v + 2) % DL_PLACES};
                dl_values_at(__FILE__, __LINE__, row, sh[s].n, sh[s].xs, sh[s].m, sh[s].ys,
                             sh[s].ax, sh[s].ay, kinds, places, v == 3 ? kDLCUDAHost : kDLCPU,
                             0);
            }
        }
    }
    for (row = 0; row < 8; row++) {
        if (dl_rows[row].o == TK_F32 || dl_rows[row].o == TK_S32) {
            const int kinds[3] = {DL_STRIDED, DL_TRANSPOSED, DL_STRIDED};
            const int places[3] = {DL_BYTE_OFFSET, DL_AT_DATA, DL_REALIGNED};
            dl_values_at(__FILE__, __LINE__, row, 3, sh[2].xs, 3, sh[2].ys, D, D, kinds, places,
                         kDLCPU, 1);
        }
    }
}

/* Calls whose values need no loop: K = 0 with NULL data (nothing reached,
 * so nothing checked; out all +0 / 0), and a stride of INT64_MIN on an
 * extent of 1 (ignored, as in a layout). */
static void dlpack_edge_values(void)
{
    int row;
    for (row = 0; row < 8; row++) {
        const tk_dtype tx = dl_rows[row].x, ty = dl_rows[row].y, to = dl_rows[row].o;
        int64_t xs[3] = {2, 3, 0}, ys[3] = {2, 0, 4}, os[3] = {2, 3, 4};
        _Alignas(8) unsigned char od[24 * 8];
        DLTensor x = dl_make(NULL, tx, 3, xs, NULL), y = dl_make(NULL, ty, 3, ys, NULL);
        DLTensor o = dl_make(od, to, 3, os, NULL);
        int64_t e, wrong = -1;
        x.byte_offset = 64;
        tk_fill_sentinel(to, od, 24);
        CHECK_STATUS(call_dlpack(&x, &y, D, D, &o, NULL), BATCH_DOT_STATUS_OK);
        for (e = 0; e < 24; e++) {
            if (tk_bits(to, od, e) != 0 && wrong < 0) {
                wrong = e;
            }
        }
        CHECKF(wrong < 0, "%s->%s, K = 0: out element %" PRId64 " is not +0", tk_dtype_name(tx),
               tk_dtype_name(to), wrong);
    }
    {
        float xd[8], yd[24], od[6];
        int64_t xs[3] = {2, 1, 4}, xst[3] = {4, INT64_MIN, 1}, ys[3] = {2, 4, 3};
        int64_t os[3] = {2, 1, 3}, ost[3] = {3, INT64_MIN, 1};
        DLTensor x = dl_make(xd, TK_F32, 3, xs, xst), y = dl_make(yd, TK_F32, 3, ys, NULL);
        DLTensor o = dl_make(od, TK_F32, 3, os, ost);
        int b, j, t, wrong = -1;
        for (t = 0; t < 8; t++) xd[t] = (float)(t - 3);
        for (t = 0; t < 24; t++) yd[t] = (float)(t % 7 - 2);
        CHECK_STATUS(call_dlpack(&x, &y, D, D, &o, NULL), BATCH_DOT_STATUS_OK);
        for (b = 0; b < 2; b++) {
            for (j = 0; j < 3; j++) {
                float ref = 0;
                for (t = 0; t < 4; t++) {
                    ref += xd[b * 4 + t] * yd[b * 12 + t * 3 + j];
                }
                if (od[b * 3 + j] != ref && wrong < 0) {
                    wrong = b * 3 + j;
                }
            }
        }
        CHECKF(wrong < 0, "strides INT64_MIN on extents of 1: out element %d differs", wrong);
    }
}

/* The error cases: x (2, 3, 4), y (2, 4, 5), out (2, 3, 5), compact
 * (strides NULL) in one arena, x at byte 0, y at 1024, out at 2048, default
 * axes, each case one change (or two, for the order) from that valid call. */
#define DL_ARENA 4096
enum { DL_XO = 0, DL_YO = 1024, DL_OO = 2048 };
static _Alignas(64) unsigned char dl_arena[DL_ARENA], dl_arena_copy[DL_ARENA];

typedef struct {
    DLTensor x, y, o;
    int64_t xs[4], ys[4], os[4], xst[4], yst[4], ost[4];
    const DLTensor *px, *py, *po;
    int64_t ax, ay;
    batch_dot_options opt;
    const batch_dot_options *popt;
} dl_call;

static void dl_base(dl_call *c, int row)
{
    const tk_dtype tx = dl_rows[row].x, ty = dl_rows[row].y, to = dl_rows[row].o;
    static const int64_t xs[3] = {2, 3, 4}, ys[3] = {2, 4, 5}, os[3] = {2, 3, 5};
    static const int64_t xst[3] = {12, 4, 1}, yst[3] = {20, 5, 1}, ost[3] = {15, 5, 1};
    memset(c, 0, sizeof *c);
    memcpy(c->xs, xs, sizeof xs);
    memcpy(c->ys, ys, sizeof ys);
    memcpy(c->os, os, sizeof os);
    memcpy(c->xst, xst, sizeof xst);
    memcpy(c->yst, yst, sizeof yst);
    memcpy(c->ost, ost, sizeof ost);
    c->x = dl_make(dl_arena + DL_XO, tx, 3, c->xs, NULL);
    c->y = dl_make(dl_arena + DL_YO, ty, 3, c->ys, NULL);
    c->o = dl_make(dl_arena + DL_OO, to, 3, c->os, NULL);
    c->px = &c->x;
    c->py = &c->y;
    c->po = &c->o;
    c->ax = c->ay = BATCH_DOT_AXIS_DEFAULT;
    batch_dot_options_init(&c->opt);
    c->popt = NULL;
}

/* How the message is checked: equal, starts with, or contains. */
enum { MSG_EQ, MSG_STARTS, MSG_HAS };

/* Runs the case: the status must be `want`; on error nothing in the arena
 * written (out holds its type's sentinel, x and y a pattern) and the
 * message as `how` and `text` say; on success no message. */
static void dl_expect_at(const char *file, int line, const char *what, dl_call *c, int32_t want,
                         int how, const char *text)
{
    char msg[1024];
    int32_t st;
    int ok;
    size_t i;
    tk_dtype to = TK_F32;
    int row;
    for (row = 0; row < 8; row++) { /* out's type, for its sentinel */
        DLDataType d = dl_dtype(dl_rows[row].o);
        if (c->po != NULL && c->o.dtype.code == d.code && c->o.dtype.bits == d.bits) {
            to = dl_rows[row].o;
        }
    }
    for (i = 0; i < DL_ARENA; i++) {
        dl_arena[i] = (unsigned char)(0x3Cu + i * 7u);
    }
    tk_fill_sentinel(to, dl_arena + DL_OO, (int64_t)((DL_ARENA - DL_OO) / tk_esize(to)));
    memcpy(dl_arena_copy, dl_arena, DL_ARENA);
    st = call_dlpack(c->px, c->py, c->ax, c->ay, c->po, c->popt);
    last_msg(msg, sizeof msg);
    if (st != want) {
        fail_at(file, line, "%s: expected %s, got %s (\"%s\")", what,
                batch_dot_status_string(want), batch_dot_status_string(st), msg);
        return;
    }
    if (want == BATCH_DOT_STATUS_OK) {
        CHECKF(msg[0] == '\0', "%s: a message after success: \"%s\"", what, msg);
        return;
    }
    if (memcmp(dl_arena, dl_arena_copy, DL_ARENA) != 0) {
        fail_at(file, line, "%s: %s, but memory was written", what, batch_dot_status_string(st));
        return;
    }
    switch (how) {
    case MSG_EQ: ok = strcmp(msg, text) == 0; break;
    case MSG_STARTS: ok = strncmp(msg, text, strlen(text)) == 0; break;
    default: ok = strstr(msg, text) != NULL; break;
    }
    if (!ok) {
        fail_at(file, line, "%s: the message \"%s\" %s \"%s\"", what, msg,
                how == MSG_EQ ? "is not" : how == MSG_STARTS ? "does not start with" : "lacks",
                text);
        return;
    }
    n_pass++;
}

#define DLX(what, want, how, text) \
    dl_expect_at(__FILE__, __LINE__, (what), &c, BATCH_DOT_STATUS_##want, (how), (text))

/* A DLPack dtype from its fields. */
static DLDataType dl_dt(int code, int bits, int lanes)
{
    DLDataType d;
    d.code = (uint8_t)code;
    d.bits = (uint8_t)bits;
    d.lanes = (uint16_t)lanes;
    return d;
}

static void dlpack_statuses(void)
{
    static const int bad_dtypes[][2] = {{2, 8},  {2, 128}, {2, 0},  {4, 32}, {4, 8},  {0, 16},
                                        {0, 64}, {0, 1},   {1, 16}, {1, 32}, {1, 64}, {3, 64},
                                        {5, 64}, {5, 128}, {6, 8},  {7, 8},  {255, 32}};
    static const int combos[][3] = {{0, 1, 0}, {1, 1, 0}, {0, 0, 2}, {4, 2, 0}, {2, 4, 0},
                                    {4, 4, 2}, {4, 5, 6}, {5, 5, 6}, {4, 4, 4}, {6, 6, 6},
                                    {0, 0, 6}, {4, 4, 0}, {1, 1, 6}, {2, 2, 3}};
    static const char *const dl_names[7] = {"float32", "float64", "bfloat16", "float16",
                                            "int8",    "uint8",   "int32"};
    static const int other_devices[] = {0, 2, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 1000};
    dl_call c;
    char text[512];
    size_t i;
    int row;

    dl_base(&c, 0);
    DLX("the base call", OK, MSG_EQ, "");

    /* 1. NULL tensors (x, y, out), then NULL shapes with ndim > 0. */
    dl_base(&c, 0);
    c.px = NULL;
    DLX("x NULL", NULL_POINTER, MSG_EQ, "x is NULL: a DLTensor is required.");
    dl_base(&c, 0);
    c.py = NULL;
    DLX("y NULL", NULL_POINTER, MSG_EQ, "y is NULL: a DLTensor is required.");
    dl_base(&c, 0);
    c.po = NULL;
    DLX("out NULL", NULL_POINTER, MSG_EQ, "out is NULL: a DLTensor is required.");
    dl_base(&c, 0);
    c.px = c.py = c.po = NULL;
    DLX("all NULL", NULL_POINTER, MSG_EQ, "x is NULL: a DLTensor is required.");
    dl_base(&c, 0);
    c.x.shape = NULL;
    DLX("x.shape NULL", NULL_POINTER, MSG_EQ, "x.shape is NULL, but ndim = 3.");
    dl_base(&c, 0);
    c.y.shape = NULL;
    DLX("y.shape NULL", NULL_POINTER, MSG_EQ, "y.shape is NULL, but ndim = 3.");
    dl_base(&c, 0);
    c.o.shape = NULL;
    DLX("out.shape NULL", NULL_POINTER, MSG_EQ, "out.shape is NULL, but ndim = 3.");
    dl_base(&c, 0);
    c.x.shape = NULL;
    c.po = NULL;
    DLX("order: NULL tensors before NULL shapes", NULL_POINTER, MSG_EQ,
        "out is NULL: a DLTensor is required.");
    dl_base(&c, 0);
    c.y.shape = NULL;
    c.x.dtype.lanes = 2;
    DLX("order: a NULL shape (1) before a dtype (1b)", NULL_POINTER, MSG_EQ,
        "y.shape is NULL, but ndim = 3.");
    dl_base(&c, 0);
    c.o.shape = NULL;
    c.x.device.device_type = kDLCUDA;
    DLX("order: a NULL shape (1) before a device (2)", NULL_POINTER, MSG_EQ,
        "out.shape is NULL, but ndim = 3.");
    dl_base(&c, 0);
    c.x.shape = NULL;
    c.x.ndim = 0;
    DLX("x.shape NULL with ndim 0 is not read", INVALID_RANK, MSG_EQ,
        "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes () and "
        "(2, 4, 5).");
    dl_base(&c, 0);
    c.y.shape = NULL;
    c.y.ndim = -4;
    DLX("y.shape NULL with ndim -4 is not read", INVALID_RANK, MSG_EQ,
        "y.ndim = -4 is outside 0..16 (BATCH_DOT_MAX_NDIM).");

    /* 1b. Each tensor's DLPack dtype, then the combination. */
    dl_base(&c, 0);
    c.x.dtype = dl_dt(kDLFloat, 16, 4);
    DLX("x lanes 4", UNSUPPORTED_DTYPE, MSG_STARTS,
        "x.dtype = {code=2, bits=16, lanes=4} is not a DLPack dtype batch_dot_dlpack takes: ");
    dl_base(&c, 0);
    c.y.dtype.lanes = 0;
    DLX("y lanes 0", UNSUPPORTED_DTYPE, MSG_STARTS,
        "y.dtype = {code=2, bits=32, lanes=0} is not a DLPack dtype batch_dot_dlpack takes: ");
    dl_base(&c, 6);
    c.o.dtype.lanes = 2;
    DLX("int32 out lanes 2", UNSUPPORTED_DTYPE, MSG_STARTS,
        "out.dtype = {code=0, bits=32, lanes=2} is not a DLPack dtype batch_dot_dlpack takes: ");
    for (i = 0; i < sizeof bad_dtypes / sizeof bad_dtypes[0]; i++) {
        dl_base(&c, 0);
        c.o.dtype = dl_dt(bad_dtypes[i][0], bad_dtypes[i][1], 1);
        snprintf(text, sizeof text,
                 "out.dtype = {code=%d, bits=%d, lanes=1} is not a DLPack dtype batch_dot_dlpack "
                 "takes: ",
                 bad_dtypes[i][0], bad_dtypes[i][1]);
        DLX("not a DLPack dtype batch_dot_dlpack takes", UNSUPPORTED_DTYPE, MSG_STARTS, text);
    }
    dl_base(&c, 0);
    c.x.dtype = dl_dt(kDLInt, 16, 1);
    c.y.dtype = dl_dt(kDLFloat, 32, 2);
    DLX("order: x's dtype before y's", UNSUPPORTED_DTYPE, MSG_STARTS,
        "x.dtype = {code=0, bits=16, lanes=1}");
    dl_base(&c, 0);
    c.x.dtype = dl_dt(kDLFloat, 64, 1);
    c.o.dtype = dl_dt(kDLFloat, 32, 2);
    DLX("order: every dtype before the combination", UNSUPPORTED_DTYPE, MSG_STARTS,
        "out.dtype = {code=2, bits=32, lanes=2}");
    for (i = 0; i < sizeof combos / sizeof combos[0]; i++) {
        const tk_dtype t[3] = {(tk_dtype)combos[i][0], (tk_dtype)combos[i][1],
                               (tk_dtype)combos[i][2]};
        dl_base(&c, 0);
        c.x.dtype = dl_dtype(t[0]);
        c.y.dtype = dl_dtype(t[1]);
        c.o.dtype = dl_dtype(t[2]);
        snprintf(text, sizeof text, "the combination (x %s, y %s, out %s) is not supported; supported: ",
                 dl_names[t[0]], dl_names[t[1]], dl_names[t[2]]);
        DLX("a combination not in the table", UNSUPPORTED_DTYPE, MSG_STARTS, text);
    }
    dl_base(&c, 0);
    c.o.dtype = dl_dtype(TK_S32);
    c.x.device.device_type = kDLCUDA;
    c.x.ndim = 17;
    DLX("order: the combination (1b) before a device (2) and ndim (3)", UNSUPPORTED_DTYPE,
        MSG_STARTS, "the combination (x float32, y float32, out int32) is not supported");

    /* 2. Devices, byte offsets, addresses; tensor by tensor, before the
     * options. */
    dl_base(&c, 0);
    c.y.device.device_type = kDLCUDA;
    DLX("y on kDLCUDA", INVALID_ARGUMENT, MSG_EQ,
        "y.device.device_type = 2: batch_dot_dlpack reads host memory only (kDLCPU = 1 or "
        "kDLCUDAHost = 3).");
    for (i = 0; i < sizeof other_devices / sizeof other_devices[0]; i++) {
        dl_base(&c, 0);
        c.o.device.device_type = (DLDeviceType)other_devices[i];
        snprintf(text, sizeof text,
                 "out.device.device_type = %d: batch_dot_dlpack reads host memory only (kDLCPU = "
                 "1 or kDLCUDAHost = 3).",
                 other_devices[i]);
        DLX("out on a device that is not host memory", INVALID_ARGUMENT, MSG_EQ, text);
    }
    dl_base(&c, 0);
    c.x.device.device_type = kDLCUDAHost;
    c.y.device.device_type = kDLCUDAHost;
    c.o.device.device_type = kDLCUDAHost;
    DLX("kDLCUDAHost is read in place", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.x.device.device_id = 7;
    c.o.device.device_id = -1;
    DLX("device_id is not read", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.y.device.device_type = kDLCUDA;
    c.o.device.device_type = kDLCUDA;
    DLX("order: y's device before out's", INVALID_ARGUMENT, MSG_STARTS,
        "y.device.device_type = 2:");
    dl_base(&c, 0);
    c.o.device.device_type = kDLCUDA;
    c.x.ndim = 17;
    c.ys[1] = -1;
    DLX("order: a device (2) before ndim (3) and extents (4)", INVALID_ARGUMENT, MSG_STARTS,
        "out.device.device_type = 2:");
    dl_base(&c, 0);
    c.o.device.device_type = kDLCUDA;
    c.opt.struct_size = 8;
    c.popt = &c.opt;
    DLX("order: a device before the options", INVALID_ARGUMENT, MSG_STARTS,
        "out.device.device_type = 2:");
    dl_base(&c, 0);
    c.opt.struct_size = 8;
    c.popt = &c.opt;
    DLX("options->struct_size 8", INVALID_ARGUMENT, MSG_STARTS,
        "options->struct_size = 8 is below 16");
    dl_base(&c, 6);
    c.opt.flags = BATCH_DOT_OPT_SCALE;
    c.opt.alpha = 0.5;
    c.popt = &c.opt;
    DLX("int32 out with alpha 0.5", INVALID_ARGUMENT, MSG_EQ,
        "options->alpha = 0.5: an int32 output takes alpha = 1 only.");
    dl_base(&c, 0);
    c.x.byte_offset = UINT64_MAX;
    c.x.ndim = 17;
    snprintf(text, sizeof text, "x.byte_offset = 18446744073709551615 with x.data = %#" PRIxPTR
             ": element [0, ..., 0] has no address", (uintptr_t)(dl_arena + DL_XO));
    DLX("x.byte_offset UINT64_MAX (before ndim)", INVALID_ARGUMENT, MSG_STARTS, text);
    dl_base(&c, 0);
    c.y.byte_offset = (uint64_t)1 << 63;
    c.ys[0] = 3;
    snprintf(text, sizeof text, "y.byte_offset = 9223372036854775808 with y.data = %#" PRIxPTR
             ": element [0, ..., 0] has no address", (uintptr_t)(dl_arena + DL_YO));
    DLX("y.byte_offset 2^63 (before the batch)", INVALID_ARGUMENT, MSG_STARTS, text);
    if (sizeof(void *) == 8) {
        /* A reach 2^62 bytes below element [0, 0, 0]: below address 0 on
         * any 64-bit address space (user addresses are below 2^57). */
        dl_base(&c, 0);
        c.xst[0] = -((int64_t)1 << 60);
        c.x.strides = c.xst;
        c.ys[0] = 3;
        snprintf(text, sizeof text,
                 "x reaches elements -1152921504606846976..=11 of 4 bytes from x.data + "
                 "x.byte_offset = %#" PRIxPTR ": outside the address space.",
                 (uintptr_t)(dl_arena + DL_XO));
        DLX("x reaching below address 0 (before the batch)", INVALID_ARGUMENT, MSG_EQ, text);
    } else {
        skip("dlpack: the address-space case needs 64-bit pointers");
    }

    /* 3. ndim; the arrays of such a tensor are not read (shape has 3). */
    dl_base(&c, 0);
    c.x.ndim = 17;
    DLX("x.ndim 17", INVALID_RANK, MSG_EQ, "x.ndim = 17 is outside 0..16 (BATCH_DOT_MAX_NDIM).");
    dl_base(&c, 0);
    c.y.ndim = -1;
    DLX("y.ndim -1", INVALID_RANK, MSG_EQ, "y.ndim = -1 is outside 0..16 (BATCH_DOT_MAX_NDIM).");
    dl_base(&c, 0);
    c.o.ndim = INT32_MAX;
    DLX("out.ndim INT32_MAX", INVALID_RANK, MSG_EQ,
        "out.ndim = 2147483647 is outside 0..16 (BATCH_DOT_MAX_NDIM).");
    dl_base(&c, 0);
    c.x.ndim = 1;
    DLX("x.ndim 1", INVALID_RANK, MSG_EQ,
        "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes (2,) and "
        "(2, 4, 5).");
    dl_base(&c, 0);
    c.o.ndim = 17;
    c.xs[1] = -3;
    DLX("order: ndim (3) before extents (4)", INVALID_RANK, MSG_EQ,
        "out.ndim = 17 is outside 0..16 (BATCH_DOT_MAX_NDIM).");

    /* 4. Negative extents. */
    dl_base(&c, 0);
    c.xs[1] = -3;
    DLX("x.shape[1] -3", INVALID_SHAPE, MSG_EQ,
        "x.shape[1] = -3 in x.shape = (2, -3, 4): extents must be >= 0.");
    dl_base(&c, 0);
    c.os[2] = -5;
    c.o.strides = c.ost;
    DLX("out.shape[2] -5, strides given", INVALID_SHAPE, MSG_EQ,
        "out.shape[2] = -5 in out.shape = (2, 3, -5): extents must be >= 0.");
    dl_base(&c, 0);
    c.ys[2] = INT64_MIN;
    c.xs[0] = 5;
    DLX("order: extents (4) before the batch (5)", INVALID_SHAPE, MSG_EQ,
        "y.shape[2] = -9223372036854775808 in y.shape = (2, 4, -9223372036854775808): extents "
        "must be >= 0.");

    /* 5-7. Batch, axes, contraction, out's shape. */
    dl_base(&c, 0);
    c.ys[0] = 3;
    DLX("batch 2 and 3", BATCH_MISMATCH, MSG_EQ,
        "Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes "
        "(2, 3, 4) and (3, 4, 5).");
    dl_base(&c, 0);
    c.xs[0] = 3;
    c.x.byte_offset = 2;
    c.y.data = NULL;
    c.xst[0] = (int64_t)1 << 62;
    c.x.strides = c.xst;
    DLX("order: the batch (5) before overflow (8), NULL data and alignment (9)", BATCH_MISMATCH,
        MSG_STARTS, "Cannot do batch_dot on inputs with different batch sizes.");
    dl_base(&c, 0);
    c.ys[1] = 5;
    DLX("contraction 4 and 5", CONTRACTION_MISMATCH, MSG_EQ,
        "Cannot do batch_dot on inputs with shapes (2, 3, 4) and (2, 5, 5) with axes=[2, 1]. "
        "x.shape[2] != y.shape[1] (4 != 5).");
    dl_base(&c, 0);
    c.ax = 0;
    c.ay = 1;
    DLX("axis_x 0", BATCH_AXIS, MSG_STARTS, "Cannot perform batch_dot over axis 0");
    dl_base(&c, 0);
    c.ay = 1;
    DLX("a lone default axis", INVALID_AXES, MSG_STARTS,
        "Invalid axes: axis_x = BATCH_DOT_AXIS_DEFAULT and axis_y = 1.");
    dl_base(&c, 0);
    c.ax = 3;
    c.ay = 1;
    DLX("axis_x 3 on rank 3", INVALID_AXES, MSG_STARTS,
        "Invalid axes for inputs with shapes (2, 3, 4) and (2, 4, 5): axis_x = 3 is out of range");
    dl_base(&c, 0);
    c.ax = 2;
    c.ay = 1;
    DLX("explicit axes (2, 1)", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.ax = -1;
    c.ay = -2;
    DLX("explicit axes (-1, -2)", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.os[2] = 6;
    DLX("out (2, 3, 6)", OUTPUT_SHAPE, MSG_EQ,
        "out has shape (2, 3, 6) (ndim 3), but batch_dot of inputs with shapes (2, 3, 4) and "
        "(2, 4, 5) with axes=[2, 1] has shape (2, 3, 5) (ndim 3).");
    dl_base(&c, 0);
    c.o.ndim = 2;
    DLX("out of rank 2", OUTPUT_SHAPE, MSG_STARTS, "out has shape (2, 3) (ndim 2), but ");

    /* 8. Overflow: strides whose reach does not fit in int64 bytes. */
    dl_base(&c, 0);
    c.xst[0] = (int64_t)1 << 62;
    c.x.strides = c.xst;
    DLX("x.strides[0] 2^62 (f32)", OVERFLOW, MSG_STARTS, "x reaches element offsets 0..=");
    dl_base(&c, 0);
    c.xst[0] = -((int64_t)1 << 62);
    c.x.strides = c.xst;
    DLX("x.strides[0] -2^62 (f32)", OVERFLOW, MSG_STARTS,
        "x reaches element offsets 0..=4611686018427387915 (offset 4611686018427387904, ");
    dl_base(&c, 0);
    c.yst[2] = INT64_MIN;
    c.y.strides = c.yst;
    DLX("y.strides[2] INT64_MIN", OVERFLOW, MSG_STARTS, "y reaches element offsets ");
    dl_base(&c, 0);
    c.ost[1] = (int64_t)1 << 61;
    c.o.strides = c.ost;
    DLX("out.strides[1] 2^61 (f32: 2^63 bytes)", OVERFLOW, MSG_STARTS,
        "out reaches element offsets 0..=");
    dl_base(&c, 1);
    c.yst[0] = (int64_t)1 << 60;
    c.y.strides = c.yst;
    DLX("y.strides[0] 2^60 (f64: 2^63 bytes)", OVERFLOW, MSG_STARTS,
        "y reaches element offsets 0..=");
    dl_base(&c, 0);
    c.xs[1] = (int64_t)1 << 62;
    c.os[1] = (int64_t)1 << 62;
    DLX("x with 2^65 elements", OVERFLOW, MSG_EQ,
        "The number of elements of x, shape (2, 4611686018427387904, 4), does not fit in int64.");
    dl_base(&c, 0);
    c.yst[0] = (int64_t)1 << 62;
    c.y.strides = c.yst;
    c.x.data = NULL;
    c.o.byte_offset = 1;
    DLX("order: overflow (8) before NULL data and alignment (9)", OVERFLOW, MSG_STARTS,
        "y reaches element offsets ");

    /* 9. NULL data of a tensor with elements; byte_offset breaking the
     * alignment (the address named is the lowest element's). */
    dl_base(&c, 0);
    c.y.data = NULL;
    DLX("y.data NULL", NULL_POINTER, MSG_EQ,
        "y_data is NULL, but y has shape (2, 4, 5) (40 elements).");
    dl_base(&c, 0);
    c.x.data = NULL;
    c.x.byte_offset = 64;
    DLX("x.data NULL, byte_offset 64", NULL_POINTER, MSG_EQ,
        "x_data is NULL, but x has shape (2, 3, 4) (24 elements).");
    for (row = 0; row < 8; row++) {
        const tk_dtype to = dl_rows[row].o, tx = dl_rows[row].x;
        int64_t xsz = (int64_t)tk_esize(tx);
        dl_base(&c, row);
        c.o.byte_offset = 2;
        snprintf(text, sizeof text, "out_data = %#" PRIxPTR " is not aligned to %d bytes.",
                 (uintptr_t)(dl_arena + DL_OO + 2), (int)tk_esize(to));
        if (tk_esize(to) > 2) {
            DLX("out.byte_offset 2", INVALID_ARGUMENT, MSG_EQ, text);
        } else {
            DLX("out.byte_offset 2, 2-byte out", OK, MSG_EQ, "");
        }
        /* x reversed along axis 1: element [0, 0, 0] at byte_offset
         * 8 sizes + 1 byte, the lowest one 1 byte past data. */
        dl_base(&c, row);
        c.xst[1] = -4;
        c.x.strides = c.xst;
        c.x.byte_offset = (uint64_t)(8 * xsz + 1);
        snprintf(text, sizeof text, "x_data = %#" PRIxPTR " is not aligned to %d bytes.",
                 (uintptr_t)(dl_arena + DL_XO + 1), (int)xsz);
        if (xsz > 1) {
            DLX("x reversed, byte_offset one byte past an element", INVALID_ARGUMENT, MSG_EQ,
                text);
        } else {
            DLX("x reversed, byte_offset odd, 1-byte x", OK, MSG_EQ, "");
        }
    }
    dl_base(&c, 0);
    c.x.data = dl_arena + DL_XO + 3;
    c.x.byte_offset = 1;
    DLX("data misaligned, byte_offset realigning it", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.x.byte_offset = 2;
    c.y.data = NULL;
    snprintf(text, sizeof text, "x_data = %#" PRIxPTR " is not aligned to 4 bytes.",
             (uintptr_t)(dl_arena + DL_XO + 2));
    DLX("order: x misaligned before y NULL (tensor by tensor)", INVALID_ARGUMENT, MSG_EQ, text);
    dl_base(&c, 0);
    c.x.data = NULL;
    c.y.byte_offset = 2;
    DLX("order: x NULL before y misaligned", NULL_POINTER, MSG_STARTS, "x_data is NULL");
    dl_base(&c, 0);
    c.o.byte_offset = 2;
    c.o.data = dl_arena + DL_XO;
    snprintf(text, sizeof text, "out_data = %#" PRIxPTR " is not aligned to 4 bytes.",
             (uintptr_t)(dl_arena + DL_XO + 2));
    DLX("order: alignment (9) before aliasing (11)", INVALID_ARGUMENT, MSG_EQ, text);

    /* 11. Aliasing: out writing an element twice, or sharing bytes with x
     * or y (byte ranges of the reached elements). */
    dl_base(&c, 0);
    c.o.data = dl_arena + DL_XO;
    snprintf(text, sizeof text,
             "out's memory (bytes %#" PRIxPTR "..=%#" PRIxPTR ") overlaps x's (bytes %#" PRIxPTR
             "..=%#" PRIxPTR "): out must not share memory with an input.",
             (uintptr_t)(dl_arena + DL_XO), (uintptr_t)(dl_arena + DL_XO + 119),
             (uintptr_t)(dl_arena + DL_XO), (uintptr_t)(dl_arena + DL_XO + 95));
    DLX("out on x", ALIASING, MSG_EQ, text);
    dl_base(&c, 0);
    c.o.data = dl_arena;
    c.o.byte_offset = DL_YO - 100;
    snprintf(text, sizeof text,
             "out's memory (bytes %#" PRIxPTR "..=%#" PRIxPTR ") overlaps y's (bytes %#" PRIxPTR
             "..=%#" PRIxPTR "): out must not share memory with an input.",
             (uintptr_t)(dl_arena + DL_YO - 100), (uintptr_t)(dl_arena + DL_YO + 19),
             (uintptr_t)(dl_arena + DL_YO), (uintptr_t)(dl_arena + DL_YO + 159));
    DLX("out's last elements on y's first, through byte_offset", ALIASING, MSG_EQ, text);
    dl_base(&c, 0);
    c.o.data = dl_arena;
    c.o.byte_offset = 96;
    DLX("out right after x", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.y.data = dl_arena + DL_XO;
    DLX("x and y on the same bytes", OK, MSG_EQ, "");
    dl_base(&c, 0);
    c.ost[1] = 0;
    c.o.strides = c.ost;
    DLX("out stride 0 on an extent of 3", ALIASING, MSG_EQ,
        "out with shape (2, 3, 5) and strides (15, 0, 1) can write an element twice: it is not "
        "non-overlapping by construction.");
    dl_base(&c, 6);
    c.o.data = dl_arena + DL_YO + 36;
    DLX("int32 out on int8 y's last 4 bytes", ALIASING, MSG_STARTS, "out's memory (bytes ");
    dl_base(&c, 6);
    c.o.data = dl_arena + DL_YO + 40;
    DLX("int32 out right after int8 y", OK, MSG_EQ, "");
}

/* docs/API.md, "DLPack (version 0.2)": batch_dot_dlpack as a C engine
 * calls it. Every row of the dtype table on compact tensors (strides NULL
 * and given), transposed and padded, reversed views, byte offsets, data
 * pointers realigned by byte_offset, kDLCUDAHost, ndim 2 and 3, default
 * and explicit axes, scaled, against the harness's own loops (exact); then
 * every DLPack status of the check order with its message, the expected
 * status written out from docs/API.md, nothing written on error. */
static void test_dlpack(void)
{
    dlpack_values();
    dlpack_edge_values();
    dlpack_statuses();
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */
/* ------------------------------------------------------------------------ */

/* Every status the library can return was produced by some area run before
 * this one in this process: run it last. */
static void test_status_coverage(void)
{
    int s;
    for (s = 0; s <= BATCH_DOT_STATUS_UNSUPPORTED_DTYPE; s++) {
        int seen = (seen_status >> s) & 1u;
        if (s == BATCH_DOT_STATUS_ALLOCATION) {
            continue; /* unreachable: see the note in compute_statuses */
        }
        if (s == BATCH_DOT_STATUS_INTERNAL && !batch_dot_testing_arm_panic) {
            continue; /* the panic area was skipped */
        }
        CHECKF(seen, "never produced: %s", batch_dot_status_string(s));
    }
}

/* The areas, in the order a full run takes them. */
static const struct {
    const char *name;
    void (*run)(void);
} areas[] = {
    /* First: before any call that asks for threads starts the pool. */
    {"default_single_thread", test_default_single_thread},
    {"status_strings_and_versions", test_status_strings_and_versions},
    {"last_error", test_last_error},
    {"options", test_options},
    {"layout_init_contiguous", test_layout_init_contiguous},
    {"layout_init_strided", test_layout_init_strided},
    {"options_versions", test_options_versions},
    {"scale", test_scale},
    {"infer_shape", test_infer_shape},
    {"compute_statuses", test_compute_statuses},
    {"check_order", test_check_order},
    {"seed_values", test_seed_values},
    {"numeric_matrix", test_numeric_matrix},
    {"ieee", test_ieee},
    {"ignored_fields_and_empty", test_ignored_fields_and_empty},
    {"threads_bitwise", test_threads_bitwise},
    {"threads", test_threads},
    {"panic", test_panic},
    {"dtypes", test_dtypes},
    {"bf16_f16", test_bf16_f16},
    {"int8", test_int8},
    {"dlpack", test_dlpack},
    /* Last: it checks what the others produced. */
    {"status_coverage", test_status_coverage},
};

#define N_AREAS ((int)(sizeof areas / sizeof areas[0]))

int batch_dot_c_harness_area_count(void) { return N_AREAS; }

/* Name of area i (0-based), or NULL past the last. */
const char *batch_dot_c_harness_area_name(int i)
{
    return i >= 0 && i < N_AREAS ? areas[i].name : NULL;
}

/* Runs one area (not thread-safe: one area at a time per process); fills
 * *result and returns 0, or returns -1 for an unknown name. */
int batch_dot_c_harness_run_area(const char *name, batch_dot_c_harness_result *result)
{
    int i;
    for (i = 0; i < N_AREAS; i++) {
        if (strcmp(areas[i].name, name) == 0) {
            break;
        }
    }
    if (i == N_AREAS) {
        return -1;
    }
    n_pass = n_fail = n_skip = 0;
    fail_log_len = 0;
    fail_log[0] = '\0';
    rng.s = 12345u;
    areas[i].run();
    result->passed = n_pass;
    result->failed = n_fail;
    result->skipped = n_skip;
    return 0;
}

/* The FAILED and SKIP lines of the last area run ("" when none). */
const char *batch_dot_c_harness_failures(void) { return fail_log; }

/* 1 once the panic area has run with the testing hook present. */
int batch_dot_c_harness_panic_tested(void) { return panic_tested; }

/* Runs the named areas (every area when names is NULL) in the table's
 * order, one line per area and a total; returns the number of failed
 * checks, or -1 when a name is unknown. */
static int run_areas(int count, char **names)
{
    int i, j, pass = 0, fail = 0, skipped = 0;
    for (j = 0; names != NULL && j < count; j++) {
        for (i = 0; i < N_AREAS && strcmp(areas[i].name, names[j]) != 0; i++) {
        }
        if (i == N_AREAS) {
            fprintf(stderr, "harness: no area \"%s\"; the areas are:", names[j]);
            for (i = 0; i < N_AREAS; i++) {
                fprintf(stderr, " %s", areas[i].name);
            }
            fprintf(stderr, "\n");
            return -1;
        }
    }
    seen_status = 0;
    panic_tested = 0;
    for (i = 0; i < N_AREAS; i++) {
        batch_dot_c_harness_result r = {0, 0, 0};
        int wanted = names == NULL;
        for (j = 0; !wanted && j < count; j++) {
            wanted = strcmp(areas[i].name, names[j]) == 0;
        }
        if (!wanted) {
            continue;
        }
        batch_dot_c_harness_run_area(areas[i].name, &r);
        printf("area %s: %d passed, %d failed%s\n", areas[i].name, r.passed, r.failed,
               r.skipped ? " (skipped parts: see SKIP)" : "");
        pass += r.passed;
        fail += r.failed;
        skipped += r.skipped;
    }
    if (skipped > 0) {
        printf("%d skipped (see the SKIP lines)\n", skipped);
    }
    printf("%d passed, %d failed\n", pass, fail);
    fflush(stdout);
    return fail;
}

/* Every area, in order. Returns the number of failed checks. */
int batch_dot_c_harness(void) { return run_areas(0, NULL); }

#ifdef BATCH_DOT_HARNESS_MAIN
/* harness [AREA...]: the named areas (default: all), in the table's order. */
int main(int argc, char **argv)
{
    return run_areas(argc - 1, argc > 1 ? argv + 1 : NULL) == 0 ? 0 : 1;
}
#endif
