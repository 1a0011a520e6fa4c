#!/usr/bin/env bash
# batch_dot_dlpack from C (docs/API.md, "DLPack"): examples/c/dlpack_consumer.c,
# against Debian's <dlpack/dlpack.h> (libdlpack-dev) and the release
# libbatch_dot.so, built with AddressSanitizer and UndefinedBehaviorSanitizer
# and run: every dtype row against an int64 loop, NULL and negative strides,
# byte offsets, kDLCUDAHost, and the rejections. include/batch_dot_dlpack.h
# must also compile as C++17. A few seconds once the library is built.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
need_apt gcc g++ libc6-dev libdlpack-dev

lib=$(build_release)
work="$ROOT/target/dlpack"
link_lib "$lib/libbatch_dot.so" "$work/lib" >/dev/null

bin="$work/dlpack_consumer-asan-ubsan"
gcc -std=c11 -Wall -Wextra -Werror -pedantic \
  -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 \
  -I include examples/c/dlpack_consumer.c -o "$bin" \
  -L "$work/lib" -Wl,-rpath,"$work/lib" -lbatch_dot

printf '#include "batch_dot_dlpack.h"\nint main() { return batch_dot_dlpack(nullptr, nullptr, 1, 1, nullptr, nullptr) == BATCH_DOT_STATUS_NULL_POINTER ? 0 : 1; }\n' \
  >"$work/cxx_check.cpp"
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -I include "$work/cxx_check.cpp" -o "$work/cxx_check" \
  -L "$work/lib" -Wl,-rpath,"$work/lib" -lbatch_dot
"$work/cxx_check"

log "running $bin"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$bin"
