#!/usr/bin/env bash
# Runs every test of the project: `cargo test` over the workspace (Rust unit,
# integration, golden-file and C-harness tests), fmt and clippy, then each
# suite in scripts/suites/ in order (sanitizers, valgrind, install, bindings,
# fuzzing, ...). Installs what a suite needs when it is missing. Prints one
# closing line `suites: N passed, N failed` and fails if any step failed.
#
# Usage: scripts/test-all.sh [--quick]
#   --quick  the inner loop: only `cargo fmt --check`, clippy over the
#            workspace (all targets, -D warnings) and `cargo test
#            --workspace`; no fuzz clippy, no suites. Same closing line.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "test-all.sh: unknown argument '$arg' (usage: scripts/test-all.sh [--quick])" >&2; exit 2 ;;
  esac
done

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
step clippy cargo clippy --workspace --all-targets --features batch_dot/ndarray -- -D warnings
[ "$quick" -eq 1 ] || step clippy-fuzz cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
step cargo-test cargo test --workspace --features batch_dot/ndarray
if [ "$quick" -eq 0 ]; then
  for s in scripts/suites/*.sh; do
    [ -e "$s" ] || continue
    step "$(basename "$s" .sh)" bash "$s"
  done
fi

[ ${#failures[@]} -eq 0 ] || log "failed: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
