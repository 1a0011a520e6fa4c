#!/usr/bin/env bash
# Builds libbatch_dot (release) and runs the C program examples/c/seed_examples.c
# against it, the way a C user would: the library is installed into
# build/run-example/prefix by scripts/install.sh, and the program is compiled
# with the installed header and linked to the installed shared library
# (SONAME libbatch_dot.so.0, found at run time through an rpath).
#
#   bash scripts/run-example.sh
#
# Needs cargo and a C compiler (CC, default cc). Any arguments are passed on to
# the compiler (e.g. -fsanitize=address).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cc=${CC:-cc}
out=$ROOT/build/run-example
prefix=$out/prefix

bash "$ROOT/scripts/install.sh" --prefix "$prefix" >&2
printf '==> %s\n' "$cc examples/c/seed_examples.c -> build/run-example/seed_examples" >&2
"$cc" -std=c11 -O2 -Wall -Wextra -Werror -pedantic "$@" \
  -I"$prefix/include" "$ROOT/examples/c/seed_examples.c" \
  -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lbatch_dot \
  -o "$out/seed_examples"
exec "$out/seed_examples"
