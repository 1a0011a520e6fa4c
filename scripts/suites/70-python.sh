#!/usr/bin/env bash
# Python binding (bindings/python): `pip install ./bindings/python` into a
# fresh virtual environment (the in-tree build backend runs
# `cargo build --release -p batch_dot` in the workspace's target directory,
# so the release build of the other suites is reused, and ships
# libbatch_dot.so in the wheel), then pytest from outside the source tree
# against the installed package and the library inside it: float32/64,
# float16, bfloat16 (ml_dtypes), int8/uint8, strided views, out=, errors,
# and DLPack (NumPy's capsules and JAX CPU arrays) against NumPy references.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

work=$(mktemp -d "${TMPDIR:-/tmp}/batch_dot-py.XXXXXX")
trap 'rm -rf "$work"' EXIT
venv="$work/venv"
py="$venv/bin/python"
pip=("$py" -m pip install -q --disable-pip-version-check)

log "python3 -m venv $venv"
python3 -m venv "$venv"
log "pip install numpy pytest ml_dtypes jax[cpu] (into the venv)"
"${pip[@]}" numpy pytest ml_dtypes "jax[cpu]"
log "pip install ./bindings/python"
"${pip[@]}" ./bindings/python

# Run from a copy of the tests, outside the source tree, without
# BATCH_DOT_LIBRARY: the package must load the library it ships.
cp -r bindings/python/tests "$work/tests"
cd "$work"
log "pytest (installed package, $("$py" -c 'import batch_dot, os; print(os.path.dirname(batch_dot.__file__))' 2>/dev/null || echo '?'))"
env -u BATCH_DOT_LIBRARY BATCH_DOT_TEST_INSTALLED=1 BATCH_DOT_REQUIRE_JAX=1 JAX_PLATFORMS=cpu \
  PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -q -p no:cacheprovider tests
