/* Per-call overhead of the C ABI (case o of the benchmark suite):
 * 10^6 calls of batch_dot_f32 on (1,4)·(1,4), contiguous, NULL options,
 * validation included; 9 rounds, best and median ns per call.
 *
 *   cargo build --release
 *   ln -sf libbatch_dot.so target/release/libbatch_dot.so.0   (the SONAME)
 *   cc -O2 bench/overhead.c -Iinclude -Ltarget/release -lbatch_dot \
 *      -Wl,-rpath,"$PWD/target/release" -o target/overhead
 *   taskset -c 0 target/overhead
 */
#include <batch_dot.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(void) {
    int64_t s[2] = {1, 4}, os[2] = {1, 1};
    batch_dot_layout xl, ol;
    batch_dot_layout_init_contiguous(&xl, 2, s);
    batch_dot_layout_init_contiguous(&ol, 2, os);
    float x[4] = {1, 2, 3, 4}, y[4] = {5, 6, 7, 8}, o[1];
    volatile float acc = 0;
    double best = 1e9, ts[9];
    for (int r = 0; r < 9; r++) {
        double t0 = now();
        for (int i = 0; i < 1000000; i++) {
            if (batch_dot_f32(&xl, x, &xl, y, 1, 1, &ol, o, NULL) != 0) return 1;
            acc += o[0];
        }
        ts[r] = (now() - t0) * 1e3; /* ns per call (1e6 calls) */
        if (ts[r] < best) best = ts[r];
    }
    for (int i = 0; i < 9; i++) for (int j = i + 1; j < 9; j++) if (ts[j] < ts[i]) { double t = ts[i]; ts[i] = ts[j]; ts[j] = t; }
    printf("per call: best %.1f ns, median %.1f ns\n", best, ts[4]);
    return 0;
}
