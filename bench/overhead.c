/* Per-call overhead of the C ABI (case o of the benchmark suite):
 * 10^6 calls each of batch_dot_f32, batch_dot_bf16, batch_dot_f16,
 * batch_dot_s8, and through batch_dot_compute of (F32, F32, F32) and
 * (U8, S8, S32), on (1,4)·(1,4), contiguous, NULL options, validation
 * included; 9 rounds, the six calls interleaved in each; best and median
 * ns per call. The 16-bit and int8 rows are compared with their f32 twin
 * (the same kind of entry point: batch_dot_bf16, batch_dot_f16 and
 * batch_dot_s8 with batch_dot_f32, U8·S8 with f32 through
 * batch_dot_compute): the differences of the medians and of the bests,
 * target ≤ 10 ns on the median.
 *
 *   cargo build --release
 *   ln -sf libbatch_dot.so target/release/libbatch_dot.so.0   (the SONAME)
 *   cc -O2 bench/overhead.c -Iinclude -Ltarget/release -lbatch_dot \
 *      -Wl,-rpath,"$PWD/target/release" -o target/overhead
 *   taskset -c 0 target/overhead
 *
 * An optional argument sets the calls per round (default 10^6), e.g. for
 * instructions per call: each entry point's inclusive count ÷ 9·N (the
 * first call's one-time costs, a few thousand instructions, included):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out target/overhead 10000
 *   callgrind_annotate --inclusive=yes cg.out | grep -E ':batch_dot_(f32|bf16|f16|s8) '
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <batch_dot.h>

#define NF 6
#define ROUNDS 9

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void sort9(double *t) {
    for (int i = 0; i < ROUNDS; i++)
        for (int j = i + 1; j < ROUNDS; j++)
            if (t[j] < t[i]) {
                double s = t[i];
                t[i] = t[j];
                t[j] = s;
            }
}

int main(int argc, char **argv) {
    long calls = argc > 1 ? atol(argv[1]) : 1000000;
    if (calls <= 0) {
        fprintf(stderr, "usage: overhead [calls per round]\n");
        return 2;
    }
    int64_t s[2] = {1, 4}, os[2] = {1, 1};
    batch_dot_layout xl, ol;
    batch_dot_layout_init_contiguous(&xl, 2, s);
    batch_dot_layout_init_contiguous(&ol, 2, os);
    float x[4] = {1, 2, 3, 4}, y[4] = {5, 6, 7, 8}, o[1];
    /* The same values in bfloat16 and float16 bits, and in 8-bit integers. */
    uint16_t xb[4] = {0x3f80, 0x4000, 0x4040, 0x4080}, yb[4] = {0x40a0, 0x40c0, 0x40e0, 0x4100};
    uint16_t xh[4] = {0x3c00, 0x4000, 0x4200, 0x4400}, yh[4] = {0x4500, 0x4600, 0x4700, 0x4800};
    int8_t xs[4] = {1, 2, 3, 4}, ys[4] = {5, 6, 7, 8};
    uint8_t xu[4] = {1, 2, 3, 4};
    uint16_t o16[1];
    int32_t o32[1];
    volatile float acc = 0;
    volatile unsigned acci = 0;
    double ts[NF][ROUNDS];
    const char *names[NF] = {"f32", "bf16", "f16", "s8", "compute f32", "compute u8s8"};
    for (int r = 0; r < ROUNDS; r++) {
        for (int f = 0; f < NF; f++) {
            double t0 = now();
            for (long i = 0; i < calls; i++) {
                int32_t st;
                switch (f) {
                case 0:
                    st = batch_dot_f32(&xl, x, &xl, y, 1, 1, &ol, o, NULL);
                    acc += o[0];
                    break;
                case 1:
                    st = batch_dot_bf16(&xl, xb, &xl, yb, 1, 1, &ol, o16, NULL);
                    acci += o16[0];
                    break;
                case 2:
                    st = batch_dot_f16(&xl, xh, &xl, yh, 1, 1, &ol, o16, NULL);
                    acci += o16[0];
                    break;
                case 3:
                    st = batch_dot_s8(&xl, xs, &xl, ys, 1, 1, &ol, o32, NULL);
                    acci += (unsigned)o32[0];
                    break;
                case 4:
                    st = batch_dot_compute(BATCH_DOT_DTYPE_F32, &xl, x, BATCH_DOT_DTYPE_F32, &xl, y, 1, 1,
                                           BATCH_DOT_DTYPE_F32, &ol, o, NULL);
                    acc += o[0];
                    break;
                default:
                    st = batch_dot_compute(BATCH_DOT_DTYPE_U8, &xl, xu, BATCH_DOT_DTYPE_S8, &xl, ys, 1, 1,
                                           BATCH_DOT_DTYPE_S32, &ol, o32, NULL);
                    acci += (unsigned)o32[0];
                    break;
                }
                if (st != 0) {
                    fprintf(stderr, "%s: status %d\n", names[f], (int)st);
                    return 1;
                }
            }
            ts[f][r] = (now() - t0) * 1e9 / calls; /* ns per call */
        }
    }
    if (o32[0] != 70) {
        fprintf(stderr, "u8s8: got %d, want 70\n", (int)o32[0]);
        return 1;
    }
    for (int f = 0; f < NF; f++) {
        sort9(ts[f]);
        printf("%-12s per call: best %.1f ns, median %.1f ns\n", names[f], ts[f][0], ts[f][ROUNDS / 2]);
    }
    /* The 16-bit and int8 rows beside their f32 twins (target: within 10 ns). */
    const int rows[4][2] = {{1, 0}, {2, 0}, {3, 0}, {5, 4}};
    for (int q = 0; q < 4; q++) {
        int a = rows[q][0], b = rows[q][1];
        double d = ts[a][ROUNDS / 2] - ts[b][ROUNDS / 2];
        printf("%s - %s: %+.1f ns (median), %+.1f ns (best); target <= 10 ns: %s\n", names[a], names[b], d,
               ts[a][0] - ts[b][0], d <= 10.0 ? "met" : "missed");
    }
    return 0;
}
