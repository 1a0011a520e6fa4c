#!/usr/bin/env bash
# Builds the C test harness (c_tests/harness.c) as a standalone program with
# AddressSanitizer and UndefinedBehaviorSanitizer against the release
# libbatch_dot.so, and runs it. Any sanitizer report, or any failed check
# (the harness's closing `N passed, N failed` line), fails the suite. The
# release library has no `testing` feature, so the harness skips its panic
# test (and says so). <dlpack/dlpack.h> is the system's where installed,
# else c_tests/dlpack_standin/ (-idirafter: searched after the system
# directories).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
need_apt gcc libc6-dev

lib=$(build_release)
work="$ROOT/target/c-harness"
link_lib "$lib/libbatch_dot.so" "$work/lib" >/dev/null

bin="$work/harness-asan-ubsan"
gcc -std=c11 -Wall -Wextra -Werror -pedantic -DBATCH_DOT_HARNESS_MAIN \
  -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 \
  -I include -I testkit/c -idirafter c_tests/dlpack_standin c_tests/harness.c -o "$bin" \
  -L "$work/lib" -Wl,-rpath,"$work/lib" -lbatch_dot -pthread -lm

log "running $bin"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$bin"
