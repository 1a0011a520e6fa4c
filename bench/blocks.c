/* Batches of contiguous n×n·n×n products (cases d1, d2 of the suite) at
 * several batch sizes, so that the blocks sit in L2 or in L3: nanoseconds
 * per block, best of 9 interleaved rounds, for f32, bf16, f16 and U8·S8,
 * at 1 and 2 threads. The same time per block in L2 as in L3 means the
 * kernel, not the memory, sets the speed.
 *
 *   cargo build --release
 *   ln -sf libbatch_dot.so target/release/libbatch_dot.so.0   (the SONAME)
 *   cc -O2 bench/blocks.c -Iinclude -Ltarget/release -lbatch_dot \
 *      -Wl,-rpath,"$PWD/target/release" -o target/blocks
 *   taskset -c 1 target/blocks 8        # n = 8 (d2), 1 thread only
 *   target/blocks 4                     # n = 4 (d1), 1 and 2 threads
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <batch_dot.h>

#define ROUNDS 9
#define NDT 4

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* bfloat16 bits of v (v has at most 8 significant bits: exact). */
static uint16_t bf16_of(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return (uint16_t)(u >> 16);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 8;
    if (n < 1 || n > 64) {
        fprintf(stderr, "usage: blocks [n]\n");
        return 2;
    }
    const long batches[] = {500, 4000, 10000, 40000};
    const char *names[NDT] = {"f32", "bf16", "f16", "u8s8"};
    printf("# n = %d: ns per %dx%dx%d block, best of %d rounds\n", n, n, n, n, ROUNDS);
    printf("| batch | MB (f32) | threads | f32 | bf16 | f16 | u8s8 |\n|---|---|---|---|---|---|---|\n");
    for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++) {
        long b = batches[bi], e = b * n * n;
        int64_t shape[3] = {b, n, n};
        batch_dot_layout l;
        batch_dot_layout_init_contiguous(&l, 3, shape);
        float *x = malloc(e * 4), *y = malloc(e * 4), *o = malloc(e * 4);
        uint16_t *xb = malloc(e * 2), *yb = malloc(e * 2), *xh = malloc(e * 2), *yh = malloc(e * 2),
                 *o16 = malloc(e * 2);
        uint8_t *xu = malloc(e);
        int8_t *ys = malloc(e);
        int32_t *o32 = malloc(e * 4);
        if (!x || !y || !o || !xb || !yb || !xh || !yh || !o16 || !xu || !ys || !o32) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        srand(7);
        for (long i = 0; i < e; i++) {
            int p = rand() % 64 - 32, q = rand() % 64 - 32;
            x[i] = p / 16.0f;
            y[i] = q / 16.0f;
            xb[i] = bf16_of(x[i]);
            yb[i] = bf16_of(y[i]);
            /* float16: x = 1.0, y in [0.5, 1). */
            xh[i] = 0x3c00;
            yh[i] = (uint16_t)(0x3800 + (rand() & 0x3ff));
            xu[i] = (uint8_t)rand();
            ys[i] = (int8_t)rand();
        }
        for (int nt = 1; nt <= 2; nt++) {
            batch_dot_options opt;
            batch_dot_options_init(&opt);
            opt.num_threads = (uint32_t)nt;
            double best[NDT];
            long reps = 2000000 / b + 1;
            for (int d = 0; d < NDT; d++)
                best[d] = 1e30;
            for (int r = 0; r < ROUNDS; r++)
                for (int d = 0; d < NDT; d++) {
                    double t0 = now();
                    for (long i = 0; i < reps; i++) {
                        int32_t st;
                        switch (d) {
                        case 0:
                            st = batch_dot_f32(&l, x, &l, y, 2, 1, &l, o, &opt);
                            break;
                        case 1:
                            st = batch_dot_bf16(&l, xb, &l, yb, 2, 1, &l, o16, &opt);
                            break;
                        case 2:
                            st = batch_dot_f16(&l, xh, &l, yh, 2, 1, &l, o16, &opt);
                            break;
                        default:
                            st = batch_dot_compute(BATCH_DOT_DTYPE_U8, &l, xu, BATCH_DOT_DTYPE_S8, &l, ys, 2, 1,
                                                   BATCH_DOT_DTYPE_S32, &l, o32, &opt);
                            break;
                        }
                        if (st != 0) {
                            fprintf(stderr, "%s: status %d\n", names[d], (int)st);
                            return 1;
                        }
                    }
                    double t = (now() - t0) / reps / b * 1e9;
                    if (t < best[d])
                        best[d] = t;
                }
            printf("| %ld | %.1f | %d | %.2f | %.2f | %.2f | %.2f |\n", b, 3.0 * e * 4 / 1e6, nt, best[0],
                   best[1], best[2], best[3]);
        }
        free(x), free(y), free(o), free(xb), free(yb), free(xh), free(yh), free(o16), free(xu), free(ys),
            free(o32);
    }
    return 0;
}
