#!/usr/bin/env bash
# Python binding (bindings/python, ctypes): pytest against np.einsum, the
# seed page's examples, errors, out= and the no-copy guarantee, with the
# release library named by BATCH_DOT_LIBRARY.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

need_pip numpy=numpy pytest=pytest
libdir=$(build_release)

export BATCH_DOT_LIBRARY="$libdir/libbatch_dot.so"
export PYTHONDONTWRITEBYTECODE=1
log "pytest bindings/python (BATCH_DOT_LIBRARY=$BATCH_DOT_LIBRARY)"
python3 -m pytest -q -p no:cacheprovider bindings/python/tests
