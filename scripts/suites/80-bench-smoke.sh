#!/usr/bin/env bash
# Smoke run of the benchmarks (issue 3): every case of the suite on small
# sizes, f32 and f64, at 1 and 2 threads, with results checked against
# NumPy (bench/bench_batch_dot.py --smoke); the same for bf16 and f16 (16-bit
# and f32 outputs), checked against an exact float64 reference rounded to the
# output dtype (NumPy only: no ml_dtypes needed); the same for the int8 rows
# (U8·S8 and S8·S8, int32 out), checked bit for bit against the exact sum
# mod 2^32 (and MKL's cblas_gemm_s8u8s32 when installed); then a one-sample pass of
# the native benchmark (cargo bench --bench batch_dot). Timings are printed
# but never asserted: this only proves the benchmarks run and agree with the
# references.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

need_pip numpy=numpy
lib_dir=$(build_release)
export BATCH_DOT_LIBRARY="$lib_dir/libbatch_dot.so"

log "bench/bench_batch_dot.py --smoke (1 and 2 threads, f32 and f64)"
python3 bench/bench_batch_dot.py --smoke --dtype both --threads 1,2

log "bench/bench_batch_dot.py --smoke --dtype lowp (1 and 2 threads, bf16 and f16)"
python3 bench/bench_batch_dot.py --smoke --dtype lowp --threads 1,2

log "bench/bench_batch_dot.py --smoke --dtype int8 (1 and 2 threads, U8·S8 and S8·S8)"
python3 bench/bench_batch_dot.py --smoke --dtype int8 --threads 1,2

# The table of several runs (bench/table.py), both forms, on two short
# timed runs of three cases: one row per case and dtype (a in f32 and f64,
# d1, o), one per thread count too with --long.
log "bench/table.py on two short runs"
table_dir=$(mktemp -d)
trap 'rm -rf "$table_dir"' EXIT
for i in 1 2; do
  python3 bench/bench_batch_dot.py --cases a,d1,o --dtype auto --samples 1 --min-time 0.001 \
    --warmup 0.01 --json "$table_dir/$i.json" >/dev/null
done
table=$(python3 bench/table.py "$table_dir"/*.json)
echo "$table"
[ "$(grep -c '^| [a-z0-9]* .*| f[0-9]* |' <<<"$table")" = 4 ] || { echo "bench/table.py: expected 4 rows" >&2; exit 1; }
long=$(python3 bench/table.py --long "$table_dir"/*.json)
[ "$(grep -c '^| [a-z0-9]* | f[0-9]* | [12] |' <<<"$long")" = 8 ] || { echo "bench/table.py --long: expected 8 rows" >&2; exit 1; }

# The 16-bit rows' table: one short timed run of two cases (no NumPy
# float16, ml_dtypes or MKL columns), one row per case, dtype and thread.
log "bench/table.py on a short bf16/f16 run"
python3 bench/bench_batch_dot.py --cases a,o --dtype lowp --samples 1 --min-time 0.001 --warmup 0.01 \
  --no-numpy-time --no-mkl --json "$table_dir/lowp.json" >/dev/null
lowp_table=$(python3 bench/table.py "$table_dir/lowp.json")
echo "$lowp_table"
[ "$(grep -c '^| [a-z0-9]* | b\?f16 | [12] |' <<<"$lowp_table")" = 8 ] || { echo "bench/table.py: expected 8 bf16/f16 rows" >&2; exit 1; }

# The int8 rows' table: one short timed run of two cases (no MKL column),
# one row per case, row (U8·S8, S8·S8) and thread; the 2-thread rows carry
# 2T/1T from their own process.
log "bench/table.py on a short int8 run"
python3 bench/bench_batch_dot.py --cases a,o --dtype int8 --samples 1 --min-time 0.001 --warmup 0.01 \
  --no-mkl --json "$table_dir/int8.json" >/dev/null
int8_table=$(python3 bench/table.py "$table_dir/int8.json")
echo "$int8_table"
[ "$(grep -c '^| [a-z0-9]* | [SU]8·S8 | [12] |' <<<"$int8_table")" = 8 ] || { echo "bench/table.py: expected 8 int8 rows" >&2; exit 1; }
[ "$(grep -c '^| [a-z0-9]* | [SU]8·S8 | 2 |.* [0-9.]\+ |$' <<<"$int8_table")" = 4 ] || { echo "bench/table.py: expected 2T/1T on the 4 int8 2-thread rows" >&2; exit 1; }

log "cargo bench --bench batch_dot (one short sample per case)"
cargo bench --quiet --bench batch_dot -- o d1 a --threads 1,2 --samples 1 --min-ms 1

# The paired A/B comparison of builds, on the build against itself: it
# must run and find the outputs bitwise equal.
log "bench/ab.py (the build against itself)"
ab_out=$(python3 bench/ab.py --cases a,d1,o --rounds 2 --min-time 0.001 "$BATCH_DOT_LIBRARY" "$BATCH_DOT_LIBRARY")
echo "$ab_out"
[ "$(grep -c '| yes |$' <<<"$ab_out")" = 3 ] || { echo "bench/ab.py: expected 3 bitwise-equal rows" >&2; exit 1; }
ab_out=$(python3 bench/ab.py --dtype bf16 --cases a,o --rounds 2 --min-time 0.001 "$BATCH_DOT_LIBRARY" "$BATCH_DOT_LIBRARY")
echo "$ab_out"
[ "$(grep -c '| yes |$' <<<"$ab_out")" = 2 ] || { echo "bench/ab.py --dtype bf16: expected 2 bitwise-equal rows" >&2; exit 1; }
for dt in s8 u8s8; do
  ab_out=$(python3 bench/ab.py --dtype $dt --cases a,o --rounds 2 --min-time 0.001 "$BATCH_DOT_LIBRARY" "$BATCH_DOT_LIBRARY")
  echo "$ab_out"
  [ "$(grep -c '| yes |$' <<<"$ab_out")" = 2 ] || { echo "bench/ab.py --dtype $dt: expected 2 bitwise-equal rows" >&2; exit 1; }
done

# Every kernel level the CPU has, through the library (the level is read
# once per process from BATCH_DOT_FORCE_ISA).
for isa in scalar avx2 avx512; do
  log "bench smoke with BATCH_DOT_FORCE_ISA=$isa"
  BATCH_DOT_FORCE_ISA=$isa python3 bench/bench_batch_dot.py --smoke --threads 1 --cases a,b,d1,e,f,g2,o
  BATCH_DOT_FORCE_ISA=$isa python3 bench/bench_batch_dot.py --smoke --threads 1 --cases a,b,d1,e,f,g2,o \
    --dtype lowp --no-mkl
done
# The int8 kernels have two more levels (256- and 512-bit vpdpbusd).
for isa in scalar avx2 avxvnni avx512 avx512vnni amx; do
  log "bench int8 smoke with BATCH_DOT_FORCE_ISA=$isa"
  BATCH_DOT_FORCE_ISA=$isa python3 bench/bench_batch_dot.py --smoke --threads 1 --cases a,b,d1,e,f,g2,o \
    --dtype int8 --no-mkl
done

# The per-call overhead program (case o from C, int8 beside f32): it must build warning-free
# against the header and run; its timing is printed, not asserted.
log "bench/overhead.c"
bench_lib=$(link_lib "$lib_dir/libbatch_dot.so" "$ROOT/target/bench-lib")
cc -O2 -Wall -Wextra -Werror bench/overhead.c -Iinclude -L"$bench_lib" -lbatch_dot \
  -Wl,-rpath,"$bench_lib" -o "$ROOT/target/overhead"
"$ROOT/target/overhead"

# The gap benchmark (bench/gaps.c): calls with busy and idle gaps at 1 and 2
# threads, MKL's column when libmkl_rt is installed; built warning-free,
# run on small sizes for one round. Timings are printed, not asserted.
log "bench/gaps.c --smoke"
cc -O2 -Wall -Wextra -Werror bench/gaps.c -Iinclude -ldl -lpthread -lm -o "$ROOT/target/gaps"
"$ROOT/target/gaps" --smoke --lib "$lib_dir/libbatch_dot.so"

# The streaming access-pattern loops (bench/stream_patterns.c): built
# warning-free only (a run reads 400 MB several times; see
# docs/PERFORMANCE.md, "Streaming products").
log "bench/stream_patterns.c (build)"
cc -O2 -Wall -Wextra -Werror bench/stream_patterns.c -o "$ROOT/target/stream_patterns"

# The peak probes (bench/amx_peak.c, bench/int8_256_peak.c): built
# warning-free only (each runs for seconds and needs its instructions;
# see docs/PERFORMANCE.md, "AMX" and "int8").
if [ "$(uname -m)" = x86_64 ]; then
    log "bench/amx_peak.c, bench/int8_256_peak.c (build)"
    cc -O2 -Wall -Wextra -Werror bench/amx_peak.c -o "$ROOT/target/amx_peak"
    cc -O2 -Wall -Wextra -Werror -mavx2 -mfma -mavxvnni -mavx512f bench/int8_256_peak.c \
        -o "$ROOT/target/int8_256_peak"
fi
