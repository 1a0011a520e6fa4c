#!/usr/bin/env bash
# Miri (issue 4): the library's unit tests (views, layouts, the thread pool)
# and tests/hardening.rs (boundary, overflow, aliasing, and small strided
# calls through every kernel level, on buffers of exactly their len) under
# `cargo +nightly miri test`, which reports any out-of-bounds access, use of
# freed memory, invalid alignment, data race or aliasing violation as an
# error. Built with AVX2+FMA+F16C enabled (Miri sees only compile-time target
# features), so both the scalar and the AVX2 kernels run; the AVX-512 ones
# are left to the fuzzers and guard pages (Miri implements few of their
# intrinsics). The pool's workers are never joined by design, hence
# -Zmiri-ignore-leaks.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/hardening/lib.sh"
cd "$ROOT"
need_nightly miri rust-src
triple=$(host_triple)
flags=""
case "$triple" in x86_64-*) flags="-C target-feature=+avx2,+fma,+f16c" ;; esac
log "cargo +nightly miri setup"
cargo +nightly miri setup >&2
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-ignore-leaks}"
# --target: RUSTFLAGS then apply to the interpreted code only, not to build
# scripts run natively.
RUSTFLAGS="$flags" cargo +nightly miri test -p batch_dot --features testing --target "$triple" --lib --test hardening
