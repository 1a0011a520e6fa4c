// Peak of the 256-bit int8 dot products on one core, beside the 256-bit
// f32 FMA (and the 512-bit one) timed in the same run: what bounds int8 at
// the `avx2` level (vpmaddwd on operands widened to 16 bits, then vpaddd:
// 16 products a pair of instructions) and at `avxvnni` (vpdpbusd in its
// VEX form, 32 products an instruction). 12 independent accumulators, no
// memory operands. The ratios are to the 256-bit f32 FMA of the same run
// (ops: 2 per product or per FMA lane). Exits with a message where the CPU
// lacks AVX-VNNI or AVX-512F.
//
//   cc -O2 -mavx2 -mfma -mavxvnni -mavx512f bench/int8_256_peak.c -o target/int8_256_peak
//   taskset -c 1 target/int8_256_peak
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define R12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define FMA(i) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #i "\n"
#define FMA512(i) "vfmadd231ps %%zmm14, %%zmm15, %%zmm" #i "\n"
#define VNNI(i) "%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm" #i "\n"
/* Two temporaries, so that consecutive pairs do not wait on each other. */
#define MADD(i, t) "vpmaddwd %%ymm14, %%ymm15, %%ymm" #t "\n vpaddd %%ymm" #t ", %%ymm" #i ", %%ymm" #i "\n"
#define MADDS                                                                  \
    MADD(0, 13) MADD(1, 12) MADD(2, 13) MADD(3, 12) MADD(4, 13) MADD(5, 12)    \
    MADD(6, 13) MADD(7, 12) MADD(8, 13) MADD(9, 12) MADD(10, 13) MADD(11, 12)
#define LOOP(body)                                                             \
    ({                                                                         \
        double t0 = now();                                                     \
        long n = it;                                                           \
        __asm__ volatile("1:\n" body "dec %0\n jnz 1b\n"                       \
                         : "+r"(n)::"memory", "xmm0", "xmm1", "xmm2", "xmm3",  \
                           "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",     \
                           "xmm10", "xmm11", "xmm12", "xmm13");                \
        now() - t0;                                                            \
    })

int main(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avxvnni") || !__builtin_cpu_supports("avx512f")) {
        puts("no AVX-VNNI or no AVX-512F on this CPU");
        return 0;
    }
    long it = 100000000;
    for (int r = 0; r < 3; r++) {
        double f = LOOP(R12(FMA)), m = LOOP(MADDS), v = LOOP(R12(VNNI)), z = LOOP(R12(FMA512));
        double fr = it * 12 * 16 / f;
        printf("f32 FMA ymm %.0f GFLOP/s | vpmaddwd+vpaddd %.0f Gop/s (%.2fx) | "
               "vpdpbusd ymm %.0f Gop/s (%.2fx) | f32 FMA zmm %.0f GFLOP/s\n",
               fr / 1e9, it * 12 * 32 / m / 1e9, it * 12 * 32 / m / fr, it * 12 * 64 / v / 1e9,
               it * 12 * 64 / v / fr, it * 12 * 32 / z / 1e9);
    }
    return 0;
}
