#!/usr/bin/env bash
# Unloading test (issue 4): hardening/unload.c dlopens the release library,
# calls it from the main thread and from a short-lived thread (default
# options), dlcloses it, 100 times; then the library must no longer be
# mapped. Run plain and under valgrind, where a definite leak fails the run.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/hardening/lib.sh"
cd "$ROOT"
need_apt gcc libc6-dev valgrind

libdir=$(hardening_lib)
bin="$HWORK/unload"
gcc -std=c11 -Wall -Wextra -Werror -O1 -g -I include -I testkit/c -I hardening hardening/unload.c -o "$bin" -ldl -pthread
so="$libdir/libbatch_dot.so.0"
log "unload: 100 dlopen/dlclose rounds"
"$bin" "$so" 100
log "unload under valgrind (definite leaks are errors)"
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 "$bin" "$so" 100
