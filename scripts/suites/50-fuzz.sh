#!/usr/bin/env bash
# Fuzzing (issue 4): the cargo-fuzz targets in fuzz/ (infer_shape,
# compute_f32, compute_f64, compute_bf16, compute_f16, compute_int8,
# dlpack), built with AddressSanitizer, overflow checks and debug
# assertions, each run for a bounded time (FUZZ_SECONDS, default 32) from
# the committed seed corpus fuzz/corpus/<target>/ (read-only here: new
# inputs go to target/fuzz/corpus/). The default keeps the fuzzing time no
# larger than with five targets at 45 s (225 s): 7 x 32 s = 224 s, plus the
# build of two more binaries. A crash, a panic, a broken check or an ASan
# report fails the suite; the input is kept in target/fuzz/artifacts/.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/hardening/lib.sh"
cd "$ROOT"
need_nightly
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "cargo install --locked cargo-fuzz (takes a few minutes)"
  cargo install --locked cargo-fuzz >&2
fi

secs=${FUZZ_SECONDS:-32}
work="$ROOT/target/fuzz"
cd "$ROOT/fuzz"
log "cargo +nightly fuzz build"
cargo +nightly fuzz build >&2
bindir="$ROOT/fuzz/target/$(host_triple)/release"
fail=0
for t in infer_shape compute_f32 compute_f64 compute_bf16 compute_f16 compute_int8 dlpack; do
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  log "fuzzing $t for $secs s"
  # The binaries cargo fuzz built (what `cargo fuzz run` would start).
  if "$bindir/$t" "$work/corpus/$t" "$ROOT/fuzz/corpus/$t" \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$t/" >"$work/$t.log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$work/$t.log" >&2 || true
  else
    fail=1
    log "$t FAILED; the last lines of its log ($work/$t.log):"
    tail -60 "$work/$t.log" >&2
    log "reproduce: cd fuzz && cargo +nightly fuzz run $t <the crash file above>"
  fi
done
exit "$fail"
