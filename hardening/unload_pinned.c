#define _DEFAULT_SOURCE
/* Unloading after a multi-threaded call (issue 4, docs/API.md's dlclose rule).
 *
 * A call with num_threads > 1 and enough work starts the library's pool
 * workers, which run its code for the rest of the process. Before the first
 * worker starts the library pins itself (RTLD_NODELETE), so dlclose must then
 * leave it mapped, and the library must keep working when opened again.
 * With default options (the "default" mode) dlclose must unmap it.
 *
 *   unload_pinned LIB.so threads|default
 *
 * Prints one `N passed, N failed` line; exits nonzero on any failure. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_dot.h"
#include "common.h"

static int passed, failed;
#define CHECK(c, ...)                                                      \
    do {                                                                   \
        if (c) {                                                           \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
    } while (0)

typedef int32_t (*f32_fn)(const batch_dot_layout *, const float *, const batch_dot_layout *,
                          const float *, int64_t, int64_t, const batch_dot_layout *, float *,
                          const batch_dot_options *);
typedef int32_t (*init_fn)(batch_dot_layout *, int32_t, const int64_t *);
typedef void (*opts_fn)(batch_dot_options *);

/* One (64,128,128)·(64,128,128) call, axes (2,1); every output must be 128. */
static void call(void *h, uint32_t threads) {
    f32_fn f = (f32_fn)(uintptr_t)dlsym(h, "batch_dot_f32");
    init_fn init = (init_fn)(uintptr_t)dlsym(h, "batch_dot_layout_init_contiguous");
    opts_fn oinit = (opts_fn)(uintptr_t)dlsym(h, "batch_dot_options_init");
    CHECK(f && init && oinit, "dlsym");
    if (!f || !init || !oinit) return;
    const int64_t shape[3] = {64, 128, 128};
    const size_t n = 64 * 128 * 128;
    batch_dot_layout l;
    CHECK(init(&l, 3, shape) == BATCH_DOT_STATUS_OK, "init");
    float *x = malloc(n * sizeof *x), *o = malloc(n * sizeof *o);
    if (!x || !o) abort();
    for (size_t i = 0; i < n; i++) x[i] = 1.0f;
    batch_dot_options opt;
    oinit(&opt);
    opt.num_threads = threads;
    int32_t st = f(&l, x, &l, x, 2, 1, &l, o, &opt);
    CHECK(st == BATCH_DOT_STATUS_OK, "status %d", st);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += o[i] != 128.0f;
    CHECK(bad == 0, "%zu wrong outputs", bad);
    free(x);
    free(o);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIB.so threads|default\n", argv[0]);
        return 2;
    }
    int threaded = strcmp(argv[2], "threads") == 0;
    int tasks0 = tk_process_threads();
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen: %s", dlerror());
    if (!h) return 1;
    call(h, threaded ? 2 : 0);
    if (threaded)
        CHECK(tk_process_threads() > tasks0, "num_threads = 2 started no worker (%d tasks)", tk_process_threads());
    else
        CHECK(tk_process_threads() == tasks0, "default options started a thread (%d tasks)", tk_process_threads());
    CHECK(dlclose(h) == 0, "dlclose: %s", dlerror());
    usleep(50000);
    if (threaded) {
        CHECK(lib_mappings() > 0, "the library was unmapped under its running workers");
        /* Still usable: opening it again gives the pinned copy. */
        void *h2 = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        CHECK(h2 != NULL, "dlopen again: %s", dlerror());
        if (h2) {
            call(h2, 2);
            CHECK(dlclose(h2) == 0, "dlclose again");
        }
        usleep(50000);
        CHECK(lib_mappings() > 0, "unmapped after the second dlclose");
    } else {
        CHECK(lib_mappings() == 0, "still mapped after dlclose with default options (%d)", lib_mappings());
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
