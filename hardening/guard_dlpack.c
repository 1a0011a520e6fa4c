/*
 * Guard pages for batch_dot_dlpack (docs/API.md, "DLPack"): every DLTensor
 * struct, its shape array and its strides array end exactly at a PROT_NONE
 * page, and so does each tensor's data (or it starts right after one);
 * the inputs are read-only. A DLTensor owns exactly what it reaches, so its
 * buffer holds exactly the elements from the lowest to the highest it
 * reaches: the library may touch nothing else.
 *
 *  - random calls of every row of docs/API.md's table (ranks 2-4, permuted,
 *    padded, reversed (negative strides), offset, broadcast inputs, junk
 *    strides on unit dimensions; NULL strides for compact tensors), each
 *    status against the test kit's oracle on the layout that owns the
 *    reach, each result exactly against the test kit's naive loop (small
 *    integers; for the int8 rows an int64 loop here);
 *  - ndim 0..16 with the arrays at the guard, and ndim 17 with 16 extents
 *    before the guard (INVALID_RANK, nothing read).
 *
 * Any touch outside kills the process with SIGSEGV, naming the case.
 * Usage: guard_dlpack [CASES [SEED]]   (default 3000). Prints
 * "N passed, N failed"; exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <dlpack/dlpack.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "batch_dot_dlpack.h"
#include "common.h"

static size_t PS;
static volatile long current_case = -1;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    char msg[200];
    int n = snprintf(msg, sizeof msg,
                     "\nguard_dlpack: signal %d at %p in case %ld: the library touched memory "
                     "it was not given\n0 passed, 1 failed\n",
                     sig, si->si_addr, current_case);
    if (write(2, msg, (size_t)n) < 0) {}
    _exit(2);
}

/* `bytes` between two PROT_NONE pages: at the end of its pages (`upper`) or
 * right after the lower guard. */
typedef struct {
    char *map;
    size_t maplen, np;
    void *data;
} gbuf;

static gbuf galloc(size_t bytes, int upper)
{
    gbuf b;
    b.np = (bytes + PS - 1) / PS;
    if (b.np == 0) b.np = 1;
    b.maplen = (b.np + 2) * PS;
    b.map = mmap(NULL, b.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b.map == MAP_FAILED) { perror("mmap"); exit(3); }
    if (mprotect(b.map, PS, PROT_NONE) || mprotect(b.map + (b.np + 1) * PS, PS, PROT_NONE)) {
        perror("mprotect");
        exit(3);
    }
    b.data = upper ? b.map + PS + b.np * PS - bytes : b.map + PS;
    return b;
}

static void gro(gbuf *b)
{
    if (mprotect(b->map + PS, b->np * PS, PROT_READ)) { perror("mprotect"); exit(3); }
}

static void gfree(gbuf *b) { munmap(b->map, b->maplen); }

/* A DLTensor, its shape and its strides, each ending at a guard page. */
typedef struct {
    gbuf st, sh, sd, data;
    DLTensor *t;
} gtensor;

static void gtensor_make(gtensor *g, int ndim, const int64_t *shape, const int64_t *strides,
                         int n_arrays)
{
    g->st = galloc(sizeof(DLTensor), 1);
    g->t = (DLTensor *)g->st.data;
    memset(g->t, 0, sizeof *g->t);
    g->sh = galloc((size_t)n_arrays * 8, 1);
    g->sd = galloc((size_t)n_arrays * 8, 1);
    if (n_arrays) memcpy(g->sh.data, shape, (size_t)n_arrays * 8);
    if (n_arrays && strides) memcpy(g->sd.data, strides, (size_t)n_arrays * 8);
    g->t->ndim = ndim;
    g->t->shape = n_arrays ? (int64_t *)g->sh.data : NULL;
    g->t->strides = strides && n_arrays ? (int64_t *)g->sd.data : NULL;
    g->t->device.device_type = kDLCPU;
    gro(&g->sh);
    gro(&g->sd);
    g->data.map = NULL;
}

/* The struct is read-only from here on. */
static void gtensor_seal(gtensor *g) { gro(&g->st); }

static void gtensor_free(gtensor *g)
{
    gfree(&g->st);
    gfree(&g->sh);
    gfree(&g->sd);
    if (g->data.map) gfree(&g->data);
}

/* The rows of docs/API.md's table as dtype codes (x, y, out). */
static const int32_t rows[8][3] = {{1, 1, 1}, {2, 2, 2}, {4, 4, 4}, {4, 4, 1},
                                   {3, 3, 3}, {3, 3, 1}, {5, 5, 7}, {6, 5, 7}};

static DLDataType dl_of_code(int32_t code)
{
    DLDataType d = {kDLInt, 8, 1};
    switch (code) {
    case 1: d.code = kDLFloat; d.bits = 32; break;
    case 2: d.code = kDLFloat; d.bits = 64; break;
    case 3: d.code = kDLFloat; d.bits = 16; break;
    case 4: d.code = kDLBfloat; d.bits = 16; break;
    case 6: d.code = kDLUInt; break;
    case 7: d.bits = 32; break;
    default: break;
    }
    return d;
}

static tk_dtype float_of(int32_t code)
{
    return code == 2 ? TK_F64 : code == 3 ? TK_F16 : code == 4 ? TK_BF16 : TK_F32;
}

/* Element i of a buffer of dtype `code`, and a store of a small integer. */
static int64_t int_get(int32_t code, const void *p, int64_t i)
{
    if (code == 5) return ((const int8_t *)p)[i];
    if (code == 6) return ((const uint8_t *)p)[i];
    int32_t v;
    memcpy(&v, (const char *)p + 4 * i, 4);
    return v;
}

static void set_small(int32_t code, void *p, int64_t i, int v)
{
    if (code == 5) ((int8_t *)p)[i] = (int8_t)v;
    else if (code == 6) ((uint8_t *)p)[i] = (uint8_t)(v + 4); /* 0..8 */
    else tk_set(float_of(code), p, i, (double)v);
}

/* The exact int64 sum of output element `oidx` of an integer row. */
static int64_t int_naive_at(const int32_t dt[3], const batch_dot_layout *x, const void *xd,
                            const batch_dot_layout *y, const void *yd, int a0, int a1,
                            const int64_t *oidx)
{
    int64_t xi[BATCH_DOT_MAX_NDIM], yi[BATCH_DOT_MAX_NDIM], s = 0;
    int d, j = 1;
    xi[0] = yi[0] = oidx[0];
    for (d = 1; d < x->ndim; d++)
        if (d != a0) xi[d] = oidx[j++];
    for (d = 1; d < y->ndim; d++)
        if (d != a1) yi[d] = oidx[j++];
    for (int64_t k = 0; k < x->shape[a0]; k++) {
        xi[a0] = k;
        yi[a1] = k;
        s += int_get(dt[0], xd, tk_elem_pos(x, xi)) * int_get(dt[1], yd, tk_elem_pos(y, yi));
    }
    return s;
}

/* One random call; returns 1 when it passed. */
static int run_case(tk_rng *r)
{
    tk_shapes s;
    int k = (int)tk_rng_range(r, 0, 7), ok = 1, i;
    const int32_t *dt = rows[k];
    int integer = dt[2] == 7;
    tk_gen_shapes(r, &s, 2, 4);
    const int nds[3] = {s.n, s.m, s.on};
    const int64_t *dims[3] = {s.x, s.y, s.o};
    batch_dot_layout l[3], own[3];
    gtensor g[3];
    for (i = 0; i < 3; i++) {
        size_t size = tk_dtype_code_size(dt[i]);
        l[i] = tk_arrange(r, nds[i], dims[i], i < 2);
        own[i] = l[i];
        int64_t n = tk_count(&l[i]);
        /* NULL strides for a compact tensor, now and then. */
        int compact = n > 0 && tk_rng_chance(r, 30);
        int64_t cs[BATCH_DOT_MAX_NDIM], c = 1;
        for (int d = nds[i] - 1; d >= 0; d--) {
            cs[d] = c;
            c *= dims[i][d] > 0 ? dims[i][d] : 1;
        }
        if (compact) {
            memcpy(own[i].strides, cs, sizeof cs);
            own[i].offset = 0;
        }
        int64_t lo = 0, hi = -1;
        if (n > 0) {
            tk_i128 lo128, hi128;
            tk_reach(&own[i], &lo128, &hi128);
            lo = (int64_t)lo128;
            hi = (int64_t)hi128;
        }
        own[i].offset -= lo; /* the buffer starts at the lowest element */
        own[i].len = hi - lo + 1;
        gtensor_make(&g[i], nds[i], dims[i], compact ? NULL : own[i].strides, nds[i]);
        g[i].data = galloc((size_t)own[i].len * size, tk_rng_chance(r, 50));
        if (n > 0) {
            int64_t idx[BATCH_DOT_MAX_NDIM] = {0};
            do {
                set_small(dt[i], g[i].data.data, tk_elem_pos(&own[i], idx),
                          i < 2 ? (int)tk_rng_range(r, -3, 3) : 0);
            } while (tk_next_index(nds[i], dims[i], idx));
        }
        g[i].t->data = n > 0 || tk_rng_chance(r, 50) ? g[i].data.data : NULL;
        g[i].t->byte_offset = n > 0 ? (uint64_t)own[i].offset * size : 0;
        g[i].t->dtype = dl_of_code(dt[i]);
        gtensor_seal(&g[i]);
        if (i < 2) gro(&g[i].data);
    }
    const batch_dot_layout *lp[3] = {&own[0], &own[1], &own[2]};
    const void *pp[3] = {g[0].t->data, g[1].t->data, g[2].t->data};
    int32_t want = tk_expect_dtyped(dt, lp, s.ax, s.ay, NULL, pp);
    int32_t got = batch_dot_dlpack(g[0].t, g[1].t, s.ax, s.ay, g[2].t, NULL);
    if (got != want) {
        char m[512];
        batch_dot_last_error_message(m, sizeof m);
        printf("FAILED case %ld: status %d, oracle %d: %s\n", current_case, (int)got, (int)want, m);
        ok = 0;
    } else if (got == BATCH_DOT_STATUS_OK) {
        int64_t n = tk_count(&own[2]);
        double *v = tk_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *v);
        int64_t *w = tk_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *w);
        if (integer && n > 0) {
            int64_t idx[BATCH_DOT_MAX_NDIM] = {0}, e = 0;
            do {
                v[e] = (double)int_naive_at(dt, &own[0], g[0].t->data, &own[1], g[1].t->data,
                                            s.a0, s.a1, idx);
                w[e++] = tk_elem_pos(&own[2], idx);
            } while (tk_next_index(own[2].ndim, own[2].shape, idx));
        } else {
            tk_naive(float_of(dt[0]), &own[0], g[0].t->data, &own[1], g[1].t->data, s.a0, s.a1,
                     &own[2], v, NULL, w);
        }
        for (int64_t e = 0; e < n && ok; e++) {
            int good = integer ? (double)int_get(7, g[2].t->data, w[e]) == v[e]
                               : tk_exact(float_of(dt[2]), tk_get(float_of(dt[2]), g[2].t->data, w[e]), v[e]);
            if (!good) {
                printf("FAILED case %ld: element %lld\n", current_case, (long long)e);
                ok = 0;
            }
        }
        free(v);
        free(w);
    }
    for (i = 0; i < 3; i++) gtensor_free(&g[i]);
    return ok;
}

/* ndim 0..16 with the arrays at the guard: no fault, whatever the status;
 * ndim 17 with 16 extents: INVALID_RANK. */
static int ndim_checks(void)
{
    int64_t shape[BATCH_DOT_MAX_NDIM], strides[BATCH_DOT_MAX_NDIM];
    int64_t ys[2] = {1, 1}, os[2] = {1, 1};
    int failed = 0;
    for (int d = 0; d < BATCH_DOT_MAX_NDIM; d++) {
        shape[d] = 1;
        strides[d] = 1;
    }
    float one[1] = {1.0f}, out[1] = {0.0f};
    for (int nd = 0; nd <= 17; nd++) {
        gtensor x, y, o;
        int arrays = nd > BATCH_DOT_MAX_NDIM ? BATCH_DOT_MAX_NDIM : nd;
        gtensor_make(&x, nd, shape, nd % 2 ? strides : NULL, arrays);
        gtensor_make(&y, 2, ys, NULL, 2);
        gtensor_make(&o, 2, os, NULL, 2);
        gtensor *g[3] = {&x, &y, &o};
        for (int i = 0; i < 3; i++) {
            g[i]->t->data = i == 2 ? (void *)out : (void *)one;
            g[i]->t->dtype = dl_of_code(1);
            gtensor_seal(g[i]);
        }
        int32_t s = batch_dot_dlpack(x.t, y.t, 1, 1, o.t, NULL);
        int32_t want = nd > BATCH_DOT_MAX_NDIM || nd < 2 ? BATCH_DOT_STATUS_INVALID_RANK
                       : nd <= 3                        ? BATCH_DOT_STATUS_OK
                                                        : BATCH_DOT_STATUS_OUTPUT_SHAPE;
        if (s != want) {
            printf("FAILED ndim %d: status %d, expected %d\n", nd, (int)s, (int)want);
            failed++;
        }
        gtensor_free(&x);
        gtensor_free(&y);
        gtensor_free(&o);
    }
    return failed;
}

int main(int argc, char **argv)
{
    long cases = argc > 1 ? atol(argv[1]) : 3000, c, passed = 0, failed = 0;
    tk_rng r = {argc > 2 ? strtoull(argv[2], NULL, 0) : 20261206};
    PS = (size_t)sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    int nf = ndim_checks();
    failed += nf;
    passed += 18 - nf;
    for (c = 0; c < cases; c++) {
        current_case = c;
        if (run_case(&r)) passed++;
        else if (++failed >= 20) break;
    }
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
