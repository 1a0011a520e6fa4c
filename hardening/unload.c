/*
 * Unloading test (issue 4; docs/API.md: "the per-thread message is stored without
 * a destructor, so a plugin that loaded the library can dlclose it after
 * calls with default options"). 100 times: dlopen the library, call it from
 * the main thread and from a short-lived thread (a valid call, a failing call,
 * the thread's message read back, shape inference), join the thread, dlclose.
 * Afterwards the library must no longer be mapped (/proc/self/maps): a
 * registered TLS destructor, a thread left running or a NODELETE flag would
 * keep it. Run under valgrind (scripts/suites/32-unload.sh) for leaks.
 *
 * Usage: unload PATH_TO_LIBBATCH_DOT_SO [ROUNDS]   (default 100)
 * Prints "N passed, N failed" (N counts rounds, plus the final maps check).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_dot.h"
#include "common.h"

typedef int32_t (*f32_fn)(const batch_dot_layout *, const float *, const batch_dot_layout *, const float *,
                          int64_t, int64_t, const batch_dot_layout *, float *, const batch_dot_options *);
typedef int32_t (*infer_fn)(int32_t, const int64_t *, int32_t, const int64_t *, int64_t, int64_t, int32_t *,
                            int64_t *);
typedef int32_t (*init_fn)(batch_dot_layout *, int32_t, const int64_t *);
typedef size_t (*msg_fn)(char *, size_t);

typedef struct {
    f32_fn f32;
    infer_fn infer;
    init_fn init;
    msg_fn msg;
} api_t;

/* One round of calls; returns the number of failed checks. */
static int exercise(const api_t *a, const char *who) {
    int bad = 0;
    int64_t xs[2] = {2, 3}, ys[3] = {2, 3, 2}, os[2] = {2, 2};
    batch_dot_layout x, y, o;
    bad += a->init(&x, 2, xs) != BATCH_DOT_STATUS_OK;
    bad += a->init(&y, 3, ys) != BATCH_DOT_STATUS_OK;
    bad += a->init(&o, 2, os) != BATCH_DOT_STATUS_OK;
    float xd[6] = {1, 2, 3, 4, 5, 6}, yd[12] = {1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 1, 1}, od[4] = {0};
    /* Default options (NULL): the caller's thread alone, no pool. */
    int st = a->f32(&x, xd, &y, yd, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT, &o, od, NULL);
    /* out[0] = [1 2 3] . [[1 0][0 1][1 1]] = [4 5]; out[1] = [4 5 6] . [[2 0][0 2][1 1]] = [14 16] */
    if (st != BATCH_DOT_STATUS_OK || od[0] != 4 || od[1] != 5 || od[2] != 14 || od[3] != 16) {
        fprintf(stderr, "%s: valid call gave status %d, out %g %g %g %g\n", who, st, od[0], od[1], od[2], od[3]);
        bad++;
    }
    /* A failing call sets this thread's message. */
    y.shape[0] = 5;
    st = a->f32(&x, xd, &y, yd, 1, 1, &o, od, NULL);
    char m[512];
    size_t n = a->msg(m, sizeof m);
    if (st != BATCH_DOT_STATUS_BATCH_MISMATCH || n == 0 || strstr(m, "different batch sizes") == NULL) {
        fprintf(stderr, "%s: failing call gave status %d, message \"%s\"\n", who, st, m);
        bad++;
    }
    int32_t ond = 0;
    int64_t osh[BATCH_DOT_MAX_NDIM];
    st = a->infer(2, xs, 3, ys, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT, &ond, osh);
    if (st != BATCH_DOT_STATUS_OK || ond != 2 || osh[0] != 2 || osh[1] != 2) {
        fprintf(stderr, "%s: infer_shape gave status %d\n", who, st);
        bad++;
    }
    /* Leave a message set at thread exit / dlclose, on purpose. */
    a->infer(1, xs, 3, ys, 1, 1, &ond, osh);
    return bad;
}

static void *thread_main(void *arg) {
    return (void *)(intptr_t)exercise(arg, "thread");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_LIBBATCH_DOT_SO [ROUNDS]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 100;
    int passed = 0, failed = 0;
    if (lib_mappings() != 0) {
        fprintf(stderr, "libbatch_dot is mapped before the first dlopen: do not link the test against it\n");
        return 2;
    }
    for (int r = 0; r < rounds; r++) {
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "round %d: dlopen: %s\n", r, dlerror());
            failed++;
            break;
        }
        api_t a = {
            (f32_fn)(uintptr_t)dlsym(h, "batch_dot_f32"),
            (infer_fn)(uintptr_t)dlsym(h, "batch_dot_infer_shape"),
            (init_fn)(uintptr_t)dlsym(h, "batch_dot_layout_init_contiguous"),
            (msg_fn)(uintptr_t)dlsym(h, "batch_dot_last_error_message"),
        };
        int bad = 0;
        if (!a.f32 || !a.infer || !a.init || !a.msg) {
            fprintf(stderr, "round %d: dlsym failed\n", r);
            bad++;
        } else {
            bad += exercise(&a, "main");
            pthread_t t;
            void *ret = NULL;
            if (pthread_create(&t, NULL, thread_main, &a) != 0) {
                bad++;
            } else {
                pthread_join(t, &ret);
                bad += (int)(intptr_t)ret;
            }
        }
        if (dlclose(h) != 0) {
            fprintf(stderr, "round %d: dlclose: %s\n", r, dlerror());
            bad++;
        }
        if (bad) failed++;
        else passed++;
    }
    /* dlclose really unmapped it (nothing pinned the object). */
    int m = lib_mappings();
    if (m != 0) {
        fprintf(stderr, "libbatch_dot is still mapped after %d dlopen/dlclose rounds\n", rounds);
        failed++;
    } else {
        passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
