#!/usr/bin/env bash
# The README's "build and run a C program" command: scripts/run-example.sh
# builds the library, compiles examples/c/seed_examples.c against it and runs
# it. Checks that it succeeds and prints the documentation's results.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
need_apt gcc binutils

out=$(bash scripts/run-example.sh)
printf '%s\n' "$out"
fail=0
for want in \
  'float32: [[17],[53]]' \
  'float64: [[17],[53]]' \
  'output_shape = (100, 30)' \
  'output_shape = (32, 1, 30)' \
  'BATCH_DOT_STATUS_CONTRACTION_MISMATCH: Cannot do batch_dot on inputs with shapes (2, 3) and (2, 4)' \
  'all seed examples OK'; do
  grep -qF -- "$want" <<<"$out" || { log "missing from the output: $want"; fail=1; }
done
# The README's Rust example (examples/ndarray_scores.rs) runs; its asserts
# check the values it shows.
if ! rust_out=$(cargo run --quiet --example ndarray_scores --features ndarray 2>&1); then
  printf '%s\n' "$rust_out"; log "the Rust example failed"; fail=1
fi
[ "$fail" -eq 0 ] && log "00-example: ok"
exit "$fail"
