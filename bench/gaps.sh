#!/usr/bin/env bash
# Builds the library (release) and bench/gaps.c, finds Intel MKL's
# libmkl_rt if the `mkl` Python package is installed (pip install mkl), and
# runs the gap benchmark with the arguments given (see bench/gaps.c):
#
#   bench/gaps.sh                                  # every case and gap, with MKL if found
#   bench/gaps.sh --cases a,b --gaps b2b,idle2000  # a subset
#   MKL_RT=/path/libmkl_rt.so.2 bench/gaps.sh      # MKL from elsewhere
#   BATCH_DOT_LIBRARY=/tmp/other.so bench/gaps.sh  # another build of the library
#
# On a shared machine, start it when the machine is idle: other processes
# make the 2-thread figures meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${BATCH_DOT_LIBRARY:-}
if [ -z "$lib" ]; then
  cargo build --release --quiet
  lib=target/release/libbatch_dot.so
fi
mkdir -p target
cc -O2 -Wall -Wextra bench/gaps.c -Iinclude -ldl -lpthread -lm -o target/gaps
mkl=${MKL_RT:-}
if [ -z "$mkl" ] && command -v python3 >/dev/null; then
  mkl=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, sys
for d in [os.path.join(sys.prefix, "lib")] + sys.path:
    for f in sorted(glob.glob(os.path.join(d, "libmkl_rt.so*")), reverse=True):
        print(f)
        raise SystemExit
PY
)
fi
if [ -n "$mkl" ]; then
  exec target/gaps --lib "$lib" --mkl "$mkl" "$@"
fi
echo "MKL not found (pip install mkl): no MKL column" >&2
exec target/gaps --lib "$lib" "$@"
