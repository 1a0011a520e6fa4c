#!/usr/bin/env bash
# dlclose after a multi-threaded call (hardening/unload_pinned.c): a call
# that starts pool workers pins the library, so dlclose leaves it mapped and
# it keeps working when opened again; with default options dlclose unmaps it.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/hardening/lib.sh"
cd "$ROOT"
need_apt gcc libc6-dev
libdir=$(hardening_lib)
bin="$HWORK/unload_pinned"
gcc -std=c11 -Wall -Wextra -Werror -O1 -g -I include -I testkit/c -I hardening hardening/unload_pinned.c -o "$bin" -ldl -pthread
"$bin" "$libdir/libbatch_dot.so.0" threads
"$bin" "$libdir/libbatch_dot.so.0" default
