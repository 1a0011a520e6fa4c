/*
 * seed_examples.c: the examples of Keras's batch_dot documentation, run
 * through libbatch_dot's C API.
 *
 *   x = [[1, 2], [3, 4]], y = [[5, 6], [7, 8]]: batch_dot(x, y, axes=1) = [[17],[53]]
 *   (100, 20) . (100, 30, 20), axes (1, 2)  -> shape (100, 30)
 *   (32, 20, 1) . (32, 30, 20), axes (1, 2) -> shape (32, 1, 30)
 *
 * Every status is checked; the program exits 1 on the first unexpected one.
 * Build it against an installed library with
 *   cc seed_examples.c $(pkg-config --cflags --libs batch_dot) -o seed_examples
 * or run scripts/run-example.sh from the repository.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_dot.h"

/* Exits with the library's message when a call did not return `want`. */
static void expect_status(int32_t got, int32_t want, const char *what) {
    if (got == want) {
        return;
    }
    char msg[512];
    batch_dot_last_error_message(msg, sizeof msg);
    fprintf(stderr, "%s: got %s, expected %s: %s\n", what, batch_dot_status_string(got),
            batch_dot_status_string(want), msg);
    exit(1);
}

#define CHECK(call) expect_status((call), BATCH_DOT_STATUS_OK, #call)

/* Prints a shape as Python prints a tuple: (100, 30). */
static void print_shape(const int64_t *shape, int32_t ndim) {
    printf("(");
    for (int32_t i = 0; i < ndim; i++) {
        printf(i ? ", %" PRId64 : "%" PRId64, shape[i]);
    }
    printf(ndim == 1 ? ",)" : ")");
}

/* The documentation's worked example, in float32 and float64. */
static void docs_example(void) {
    const int64_t shape[2] = {2, 2};
    batch_dot_layout xl, yl, outl;
    CHECK(batch_dot_layout_init_contiguous(&xl, 2, shape));
    CHECK(batch_dot_layout_init_contiguous(&yl, 2, shape));

    int32_t out_ndim = 0;
    int64_t out_shape[BATCH_DOT_MAX_NDIM];
    CHECK(batch_dot_infer_shape(2, shape, 2, shape, 1, 1, &out_ndim, out_shape));
    CHECK(batch_dot_layout_init_contiguous(&outl, out_ndim, out_shape));

    const float xf[4] = {1, 2, 3, 4}, yf[4] = {5, 6, 7, 8};
    float outf[2] = {0, 0};
    CHECK(batch_dot_f32(&xl, xf, &yl, yf, 1, 1, &outl, outf, NULL));

    const double xd[4] = {1, 2, 3, 4}, yd[4] = {5, 6, 7, 8};
    double outd[2] = {0, 0};
    CHECK(batch_dot_f64(&xl, xd, &yl, yd, 1, 1, &outl, outd, NULL));

    printf("x = [[1, 2], [3, 4]], y = [[5, 6], [7, 8]]\n");
    printf("batch_dot(x, y, axes=1) has shape ");
    print_shape(out_shape, out_ndim);
    printf("\n");
    printf("float32: [[%g],[%g]]\n", (double)outf[0], (double)outf[1]);
    printf("float64: [[%g],[%g]]\n", outd[0], outd[1]);
    if (outf[0] != 17.0f || outf[1] != 53.0f || outd[0] != 17.0 || outd[1] != 53.0) {
        fprintf(stderr, "wrong result: expected [[17],[53]]\n");
        exit(1);
    }
}

/* A shape-inference example; with `compute`, also runs it on ones and checks
   that every output element is the contraction length. */
static void shape_example(int32_t x_ndim, const int64_t *x_shape, int32_t y_ndim,
                          const int64_t *y_shape, int64_t axis_x, int64_t axis_y,
                          int32_t want_ndim, const int64_t *want_shape, int compute) {
    int32_t out_ndim = 0;
    int64_t out_shape[BATCH_DOT_MAX_NDIM];
    CHECK(batch_dot_infer_shape(x_ndim, x_shape, y_ndim, y_shape, axis_x, axis_y, &out_ndim,
                                out_shape));
    printf("x.shape = ");
    print_shape(x_shape, x_ndim);
    printf(", y.shape = ");
    print_shape(y_shape, y_ndim);
    printf(", axes = (%" PRId64 ", %" PRId64 ") -> output_shape = ", axis_x, axis_y);
    print_shape(out_shape, out_ndim);
    printf("\n");
    if (out_ndim != want_ndim ||
        memcmp(out_shape, want_shape, (size_t)want_ndim * sizeof *out_shape) != 0) {
        fprintf(stderr, "wrong shape: expected ");
        print_shape(want_shape, want_ndim);
        fprintf(stderr, "\n");
        exit(1);
    }
    if (!compute) {
        return;
    }

    batch_dot_layout xl, yl, outl;
    CHECK(batch_dot_layout_init_contiguous(&xl, x_ndim, x_shape));
    CHECK(batch_dot_layout_init_contiguous(&yl, y_ndim, y_shape));
    CHECK(batch_dot_layout_init_contiguous(&outl, out_ndim, out_shape));
    float *x = malloc((size_t)xl.len * sizeof *x);
    float *y = malloc((size_t)yl.len * sizeof *y);
    float *out = malloc((size_t)outl.len * sizeof *out);
    if (!x || !y || !out) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < xl.len; i++) x[i] = 1.0f;
    for (int64_t i = 0; i < yl.len; i++) y[i] = 1.0f;

    batch_dot_options opts;
    batch_dot_options_init(&opts);
    opts.num_threads = 2;
    CHECK(batch_dot_f32(&xl, x, &yl, y, axis_x, axis_y, &outl, out, &opts));
    const float k = (float)x_shape[axis_x];
    for (int64_t i = 0; i < outl.len; i++) {
        if (out[i] != k) {
            fprintf(stderr, "wrong value at %" PRId64 ": %g, expected %g\n", i, (double)out[i],
                    (double)k);
            exit(1);
        }
    }
    printf("  on ones: all %" PRId64 " elements equal %g\n", outl.len, (double)k);
    free(x);
    free(y);
    free(out);
}

/* An error: the library reports a status and a Keras-style message. */
static void error_example(void) {
    const int64_t xs[2] = {2, 3}, ys[2] = {2, 4};
    int32_t out_ndim = 0;
    int64_t out_shape[BATCH_DOT_MAX_NDIM];
    int32_t st = batch_dot_infer_shape(2, xs, 2, ys, 1, 1, &out_ndim, out_shape);
    expect_status(st, BATCH_DOT_STATUS_CONTRACTION_MISMATCH, "infer_shape((2, 3), (2, 4), 1)");
    char msg[512];
    batch_dot_last_error_message(msg, sizeof msg);
    printf("(2, 3) . (2, 4), axes 1 -> %s: %s\n", batch_dot_status_string(st), msg);
}

int main(void) {
    printf("libbatch_dot %s (ABI %u), header %d.%d.%d\n", batch_dot_version_string(),
           (unsigned)batch_dot_abi_version(), BATCH_DOT_VERSION_MAJOR, BATCH_DOT_VERSION_MINOR,
           BATCH_DOT_VERSION_PATCH);
    if (batch_dot_abi_version() != BATCH_DOT_ABI_VERSION) {
        fprintf(stderr, "ABI mismatch: header %d, library %u\n", BATCH_DOT_ABI_VERSION,
                (unsigned)batch_dot_abi_version());
        return 1;
    }

    docs_example();

    const int64_t x1[2] = {100, 20}, y1[3] = {100, 30, 20}, o1[2] = {100, 30};
    shape_example(2, x1, 3, y1, 1, 2, 2, o1, 1);

    const int64_t x2[3] = {32, 20, 1}, y2[3] = {32, 30, 20}, o2[3] = {32, 1, 30};
    shape_example(3, x2, 3, y2, 1, 2, 3, o2, 1);

    error_example();
    printf("all seed examples OK\n");
    return 0;
}
