# Helpers of the hardening suites (scripts/suites/3x-*.sh, 50-fuzz.sh,
# 55-miri.sh); source it after scripts/lib.sh. Every installer is idempotent.

HWORK="$ROOT/target/hardening"

# hardening_lib: builds the release library (build_release) and gives the
# loader its SONAME in $HWORK/lib; prints that directory.
hardening_lib() {
  local lib
  lib=$(build_release)
  link_lib "$lib/libbatch_dot.so" "$HWORK/lib"
}

# need_nightly COMPONENT...: the nightly toolchain with these components.
need_nightly() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "rustup toolchain install nightly"
    rustup toolchain install nightly --profile minimal >&2
  fi
  local have
  have=$(rustup component list --toolchain nightly --installed 2>/dev/null)
  for c in "$@"; do
    if ! grep -q "^$c" <<<"$have"; then
      log "rustup component add --toolchain nightly $c"
      rustup component add --toolchain nightly "$c" >&2
    fi
  done
}

# host_triple: the host target triple (e.g. x86_64-unknown-linux-gnu).
host_triple() { rustc -vV | sed -n 's/^host: //p'; }
