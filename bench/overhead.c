/* Per-call overhead of the C ABI (case o of the benchmark suite):
 * 10^6 calls each of batch_dot_f32, batch_dot_bf16 and batch_dot_f16 on
 * (1,4)·(1,4), contiguous, NULL options, validation included; 9 rounds,
 * the three functions interleaved in each; best and median ns per call.
 *
 *   cargo build --release
 *   ln -sf libbatch_dot.so target/release/libbatch_dot.so.0   (the SONAME)
 *   cc -O2 bench/overhead.c -Iinclude -Ltarget/release -lbatch_dot \
 *      -Wl,-rpath,"$PWD/target/release" -o target/overhead
 *   taskset -c 0 target/overhead
 */
#include <stdio.h>
#include <time.h>

#include <batch_dot.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void sort9(double *t) {
    for (int i = 0; i < 9; i++)
        for (int j = i + 1; j < 9; j++)
            if (t[j] < t[i]) {
                double s = t[i];
                t[i] = t[j];
                t[j] = s;
            }
}

int main(void) {
    int64_t s[2] = {1, 4}, os[2] = {1, 1};
    batch_dot_layout xl, ol;
    batch_dot_layout_init_contiguous(&xl, 2, s);
    batch_dot_layout_init_contiguous(&ol, 2, os);
    float x[4] = {1, 2, 3, 4}, y[4] = {5, 6, 7, 8}, o[1];
    /* The same values in bfloat16 and float16 bits. */
    uint16_t xb[4] = {0x3f80, 0x4000, 0x4040, 0x4080}, yb[4] = {0x40a0, 0x40c0, 0x40e0, 0x4100};
    uint16_t xh[4] = {0x3c00, 0x4000, 0x4200, 0x4400}, yh[4] = {0x4500, 0x4600, 0x4700, 0x4800};
    uint16_t o16[1];
    volatile float acc = 0;
    volatile unsigned acc16 = 0;
    double ts[3][9];
    const char *names[3] = {"f32", "bf16", "f16"};
    for (int r = 0; r < 9; r++) {
        for (int f = 0; f < 3; f++) {
            double t0 = now();
            for (int i = 0; i < 1000000; i++) {
                int32_t st;
                if (f == 0) {
                    st = batch_dot_f32(&xl, x, &xl, y, 1, 1, &ol, o, NULL);
                    acc += o[0];
                } else {
                    st = f == 1 ? batch_dot_bf16(&xl, xb, &xl, yb, 1, 1, &ol, o16, NULL)
                                : batch_dot_f16(&xl, xh, &xl, yh, 1, 1, &ol, o16, NULL);
                    acc16 += o16[0];
                }
                if (st != 0) return 1;
            }
            ts[f][r] = (now() - t0) * 1e3; /* ns per call (1e6 calls) */
        }
    }
    for (int f = 0; f < 3; f++) {
        sort9(ts[f]);
        printf("%-4s per call: best %.1f ns, median %.1f ns\n", names[f], ts[f][0], ts[f][4]);
    }
    return 0;
}
