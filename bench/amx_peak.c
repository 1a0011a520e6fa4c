// Peak of the AMX tile products on one core, beside nothing else: 4
// accumulating tiles (C), 2 of A, 2 of B, reloaded from L1 every step as a
// 2 x 2 microkernel does; tdpbusd (int8 -> int32) and tdpbf16ps (bfloat16
// pairs -> f32). Compare with lowp_peak-style f32 FMA figures measured in
// the same minutes. Linux only (the tile state is asked for with
// arch_prctl); exits with a message where the CPU or the kernel has no AMX.
//
//   cc -O2 bench/amx_peak.c -o target/amx_peak && taskset -c 1 target/amx_peak
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct cfg { uint8_t palette, start_row, reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; };
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int8_t A[2][16 * 64] __attribute__((aligned(64)));
static uint8_t B[2][16 * 64] __attribute__((aligned(64)));

__attribute__((target("amx-tile,amx-int8,amx-bf16"))) static void run(long it) {
  double t = now();
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  for (long k = 0; k < it; k++) {
    _tile_loadd(4, A[0], 64); _tile_loadd(5, A[1], 64); _tile_loadd(6, B[0], 64); _tile_loadd(7, B[1], 64);
    _tile_dpbusd(0, 4, 6); _tile_dpbusd(1, 4, 7); _tile_dpbusd(2, 5, 6); _tile_dpbusd(3, 5, 7);
  }
  t = now() - t;
  printf("amx int8 (tdpbusd) %.0f Gop/s | ", it * 4.0 * 16 * 16 * 64 * 2 / t / 1e9);
  t = now();
  for (long k = 0; k < it; k++) {
    _tile_loadd(4, A[0], 64); _tile_loadd(5, A[1], 64); _tile_loadd(6, B[0], 64); _tile_loadd(7, B[1], 64);
    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
  }
  t = now() - t;
  printf("amx bf16 (tdpbf16ps) %.0f GFLOP/s\n", it * 4.0 * 16 * 16 * 32 * 2 / t / 1e9);
}

// (Static: GCC's _tile_loadconfig does not tell the compiler that it reads
// the struct, and the stores to a local one were optimized away.)
static struct cfg c;

__attribute__((target("amx-tile"))) static void config(void) {
  memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int i = 0; i < 8; i++) { c.colsb[i] = 64; c.rows[i] = 16; }
  __asm__ volatile("" ::: "memory");
  _tile_loadconfig(&c);
}

__attribute__((target("amx-tile"))) static void release(void) { _tile_release(); }

int main(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("amx-int8") || !__builtin_cpu_supports("amx-bf16")) {
    puts("no AMX-INT8/AMX-BF16 on this CPU");
    return 0;
  }
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) != 0) {
    puts("the kernel refused the AMX tile state");
    return 0;
  }
  config();
  for (int r = 0; r < 3; r++) run(2000000);
  release();
  return 0;
}
