#!/usr/bin/env bash
# Runs every test of the project: `cargo test` over the workspace (Rust unit,
# integration, golden-file and C-harness tests), fmt and clippy, then each
# suite in scripts/suites/ in order (sanitizers, valgrind, install, bindings,
# fuzzing, ...). Installs what a suite needs when it is missing. Prints one
# closing line `suites: N passed, N failed` and fails if any step failed.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  log "[$name]"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); log "[$name] ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); log "[$name] FAILED ($((SECONDS - t0)) s)"
  fi
}

step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step clippy-fuzz cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
step cargo-test cargo test --workspace
for s in scripts/suites/*.sh; do
  [ -e "$s" ] || continue
  step "$(basename "$s" .sh)" bash "$s"
done

[ ${#failures[@]} -eq 0 ] || log "failed: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
