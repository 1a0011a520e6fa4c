#!/usr/bin/env bash
# Installs the library with scripts/install.sh into a fresh prefix and uses it
# the ways the README says a C or C++ program can:
#   * the installed files, symlinks and SONAME;
#   * examples/c/seed_examples.c built with pkg-config, against the shared
#     library (rpath, and LD_LIBRARY_PATH) and against libbatch_dot.a
#     (`pkg-config --static`);
#   * the C++ wrapper's test (bindings/cpp/test) built with CMake's
#     find_package(batch_dot) and run with ctest, linked once to
#     batch_dot::batch_dot and once to batch_dot::batch_dot_static, once more
#     in C++23 mode, and its DLTensor overload's test (libdlpack-dev);
#   * the README's examples: examples/c/minimal.c, examples/c/scores_bf16.c,
#     examples/c/scores_s8.c, examples/c/dlpack_minimal.c (the installed
#     batch_dot_dlpack.h with Debian's <dlpack/dlpack.h>) and
#     examples/cpp/hello.cpp with
#     pkg-config, and both with CMake (examples/cmake);
#   * batch_dotConfigVersion.cmake's compatibility policy;
#   * relocation: the prefix is moved and CMake and pkg-config still find it.
source "$(dirname "$0")/../lib.sh"
# (No `cmd | grep -q`: with pipefail, grep -q quitting early can fail the pipeline.)
cd "$ROOT"
need_apt cmake pkg-config gcc g++ binutils libdlpack-dev

work=$(mktemp -d "${TMPDIR:-/tmp}/batch_dot-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix/nested   # does not exist yet: install.sh creates it
cc=${CC:-cc}
cxx=${CXX:-c++}
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic)
jobs=${BATCH_DOT_JOBS:-2}

fail() { log "40-install: FAILED: $*"; exit 1; }

version=$(sed -n '/^\[package\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p}' Cargo.toml | head -n1)
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}; patch=${rest#*.}
abi=$(sed -n 's/^#define BATCH_DOT_ABI_VERSION \([0-9][0-9]*\)$/\1/p' include/batch_dot.h)
[ -n "$version" ] && [ -n "$abi" ] || fail "cannot read the version or the ABI version"

# --- the README quotes the examples verbatim ---------------------------------------
# Each example must appear as a whole fenced block in README.md or in
# docs/README-install-cpp.md, whichever exist.
docs=()
for d in README.md docs/README-install-cpp.md; do [ -f "$d" ] && docs+=("$d"); done
if [ ${#docs[@]} -gt 0 ]; then
  blocks=$work/blocks
  mkdir -p "$blocks"
  for d in "${docs[@]}"; do
    awk -v dir="$blocks" -v tag="$(basename "$d")" '
      /^```/ { if (inb) { inb = 0; close(f) } else { inb = 1; n++; f = dir "/" tag "." n; printf "" > f }; next }
      inb { print > f }' "$d"
  done
  for ex in examples/c/minimal.c examples/c/scores_bf16.c examples/c/scores_s8.c examples/c/dlpack_minimal.c examples/cpp/hello.cpp examples/cmake/CMakeLists.txt examples/ndarray_scores.rs; do
    found=
    for b in "$blocks"/*; do cmp -s "$ex" "$b" && { found=1; break; }; done
    if [ -z "$found" ]; then
      if grep -F -- "$ex" "${docs[@]}" >/dev/null; then
        fail "$ex is named in ${docs[*]} but its quoted copy differs from the file"
      fi
      log "note: $ex is not quoted in ${docs[*]}"
    fi
  done
fi

# --- install -----------------------------------------------------------------
log "install.sh --prefix $prefix"
bash scripts/install.sh --prefix "$prefix"
lib=$prefix/lib

for f in "lib/libbatch_dot.so.$version" lib/libbatch_dot.a include/batch_dot.h include/batch_dot_dlpack.h \
         include/batch_dot.hpp lib/pkgconfig/batch_dot.pc \
         lib/cmake/batch_dot/batch_dotConfig.cmake lib/cmake/batch_dot/batch_dotConfigVersion.cmake; do
  [ -f "$prefix/$f" ] && [ ! -L "$prefix/$f" ] || fail "missing file $f"
done
[ "$(readlink "$lib/libbatch_dot.so.$abi")" = "libbatch_dot.so.$version" ] ||
  fail "libbatch_dot.so.$abi -> $(readlink "$lib/libbatch_dot.so.$abi")"
[ "$(readlink "$lib/libbatch_dot.so")" = "libbatch_dot.so.$abi" ] ||
  fail "libbatch_dot.so -> $(readlink "$lib/libbatch_dot.so")"
soname=$(readelf -d "$lib/libbatch_dot.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "libbatch_dot.so.$abi" ] || fail "SONAME is '$soname'"
log "SONAME: $soname"
cmp -s include/batch_dot.h "$prefix/include/batch_dot.h" || fail "installed header differs"
cmp -s include/batch_dot_dlpack.h "$prefix/include/batch_dot_dlpack.h" || fail "installed DLPack header differs"
cmp -s bindings/cpp/batch_dot.hpp "$prefix/include/batch_dot.hpp" || fail "installed C++ header differs"
# The release library exports the API and not the test-only hook.
exports=$(nm -D --defined-only "$lib/libbatch_dot.so.$version" | awk '{ print $NF }')
for sym in batch_dot_f32 batch_dot_f64 batch_dot_infer_shape batch_dot_layout_init_contiguous \
           batch_dot_options_init batch_dot_last_error_message batch_dot_status_string \
           batch_dot_version_string batch_dot_version batch_dot_abi_version batch_dot_dlpack; do
  grep -qx "$sym" <<<"$exports" || fail "libbatch_dot.so does not export $sym"
done
! grep -q testing <<<"$exports" || fail "the installed library exports a testing symbol"
nm "$lib/libbatch_dot.a" 2>/dev/null | grep ' T batch_dot_f32$' >/dev/null || fail "libbatch_dot.a lacks batch_dot_f32"

# --- pkg-config: shared --------------------------------------------------------
export PKG_CONFIG_PATH=$lib/pkgconfig
[ "$(pkg-config --modversion batch_dot)" = "$version" ] || fail "pkg-config --modversion"
libdir=$(pkg-config --variable=libdir batch_dot)
[ "$(cd "$libdir" && pwd -P)" = "$(cd "$lib" && pwd -P)" ] || fail "pkg-config libdir $libdir"
private=$(sed -n 's/^native_static_libs=//p' "$lib/pkgconfig/batch_dot.pc")
[ -n "$private" ] || fail "batch_dot.pc has no native_static_libs"
log "Libs.private: $private"

log "C, pkg-config, shared (rpath)"
# shellcheck disable=SC2046  # pkg-config's output is meant to be split
"$cc" "${cflags[@]}" examples/c/seed_examples.c $(pkg-config --cflags --libs batch_dot) \
  -Wl,-rpath,"$libdir" -o "$work/seed_shared"
readelf -d "$work/seed_shared" | grep "NEEDED.*\[libbatch_dot.so.$abi\]" >/dev/null ||
  fail "seed_shared does not need libbatch_dot.so.$abi"
out=$(env -u LD_LIBRARY_PATH "$work/seed_shared") || fail "seed_shared failed: $out"
grep -qF 'float32: [[17],[53]]' <<<"$out" || fail "seed_shared printed: $out"
grep -qF 'output_shape = (32, 1, 30)' <<<"$out" || fail "seed_shared printed: $out"

log "C, pkg-config, shared (examples/c/minimal.c, the README's)"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" examples/c/minimal.c $(pkg-config --cflags --libs batch_dot) \
  -Wl,-rpath,"$(pkg-config --variable=libdir batch_dot)" -o "$work/minimal_pc"
[ "$("$work/minimal_pc")" = '[[17],[53]]' ] || fail "minimal_pc printed: $("$work/minimal_pc")"
log "C, pkg-config, shared (examples/c/scores_bf16.c, the README's)"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" examples/c/scores_bf16.c $(pkg-config --cflags --libs batch_dot) \
  -Wl,-rpath,"$(pkg-config --variable=libdir batch_dot)" -o "$work/scores_bf16"
[ "$("$work/scores_bf16")" = '1 2 0 2 0 6' ] || fail "scores_bf16 printed: $("$work/scores_bf16")"
log "C, pkg-config, shared (examples/c/scores_s8.c, the README's)"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" examples/c/scores_s8.c $(pkg-config --cflags --libs batch_dot) \
  -Wl,-rpath,"$(pkg-config --variable=libdir batch_dot)" -o "$work/scores_s8"
for isa in scalar avx2 avxvnni avx512 avx512vnni amx; do  # exact: the same line on every level
  [ "$(BATCH_DOT_FORCE_ISA=$isa "$work/scores_s8")" = '32258 -16768 17 127 -256 10' ] ||
    fail "scores_s8 (BATCH_DOT_FORCE_ISA=$isa) printed: $(BATCH_DOT_FORCE_ISA=$isa "$work/scores_s8")"
done

log "C, pkg-config, shared (examples/c/dlpack_minimal.c, the README's: the installed DLPack header)"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" examples/c/dlpack_minimal.c $(pkg-config --cflags --libs batch_dot) \
  -Wl,-rpath,"$(pkg-config --variable=libdir batch_dot)" -o "$work/dlpack_minimal"
[ "$("$work/dlpack_minimal")" = '4 5 10 11' ] || fail "dlpack_minimal printed: $("$work/dlpack_minimal")"

log "C, pkg-config, shared (LD_LIBRARY_PATH)"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" examples/c/seed_examples.c $(pkg-config --cflags --libs batch_dot) \
  -o "$work/seed_shared_nopath"
LD_LIBRARY_PATH=$libdir "$work/seed_shared_nopath" >/dev/null || fail "seed_shared_nopath failed"

log "C, pkg-config --static, libbatch_dot.a linked in"
static_libs=$(pkg-config --static --libs batch_dot)
for l in $private; do
  grep -qF -- "$l" <<<"$static_libs" || fail "pkg-config --static --libs lacks $l: $static_libs"
done
# -l:libbatch_dot.a makes the linker take the archive although the .so sits
# next to it; the native libraries stay dynamic (glibc has no static libgcc_s).
# shellcheck disable=SC2046,SC2001
"$cc" "${cflags[@]}" examples/c/seed_examples.c $(pkg-config --cflags batch_dot) \
  $(sed 's/-lbatch_dot\b/-l:libbatch_dot.a/' <<<"$static_libs") -o "$work/seed_static"
! readelf -d "$work/seed_static" | grep 'libbatch_dot' >/dev/null || fail "seed_static needs libbatch_dot.so"
nm "$work/seed_static" | grep ' T batch_dot_f32$' >/dev/null || fail "seed_static lacks batch_dot_f32"
out=$(env -u LD_LIBRARY_PATH "$work/seed_static") || fail "seed_static failed: $out"
grep -qF 'float64: [[17],[53]]' <<<"$out" || fail "seed_static printed: $out"

log "C++, pkg-config (examples/cpp/hello.cpp)"
# shellcheck disable=SC2046
"$cxx" -std=c++17 -Wall -Wextra -Werror -pedantic examples/cpp/hello.cpp \
  $(pkg-config --cflags --libs batch_dot) -Wl,-rpath,"$libdir" -o "$work/hello_pc"
out=$("$work/hello_pc") || fail "hello_pc failed: $out"
grep -qF 'shape (2, 1): [[17],[53]]' <<<"$out" || fail "hello_pc printed: $out"
grep -qF 'with y transposed: [[19],[50]]' <<<"$out" || fail "hello_pc printed: $out"
grep -qF 'BATCH_DOT_STATUS_BATCH_MISMATCH: Cannot do batch_dot' <<<"$out" || fail "hello_pc printed: $out"

# --- CMake -----------------------------------------------------------------
# cpp_test BUILD_DIR PREFIX [EXTRA]: configure, build and ctest bindings/cpp/test;
# EXTRA=OFF leaves out its C++23 and DLPack tests.
cpp_test() {
  local b=$1 p=$2 extra=${3:-ON}
  cmake -S bindings/cpp/test -B "$b" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_BUILD_TYPE=Release \
    -DBATCH_DOT_TEST_EXTRA="$extra" >"$b.log" 2>&1 ||
    { cat "$b.log" >&2; fail "cmake configure of bindings/cpp/test with prefix $p"; }
  cmake --build "$b" -j "$jobs" >>"$b.log" 2>&1 || { cat "$b.log" >&2; fail "cmake --build $b"; }
  (cd "$b" && ctest --output-on-failure) || fail "ctest in $b"
  readelf -d "$b/test_batch_dot_shared" | grep "NEEDED.*\[libbatch_dot.so.$abi\]" >/dev/null ||
    fail "test_batch_dot_shared does not need libbatch_dot.so.$abi"
  ! readelf -d "$b/test_batch_dot_static" | grep libbatch_dot >/dev/null ||
    fail "test_batch_dot_static needs libbatch_dot.so"
  if [ "$extra" = ON ] && [ -f include/batch_dot_dlpack.h ]; then
    [ -x "$b/test_batch_dot_dlpack" ] || fail "bindings/cpp/test did not build test_batch_dot_dlpack"
  fi
  if [ -x "$b/test_batch_dot_cxx23" ]; then
    log "  C++23: $("$b/test_batch_dot_cxx23" | grep -F 'std::bfloat16_t')"
  fi
}

log "C++ wrapper test, CMake find_package, shared and static"
cpp_test "$work/build-cpp" "$prefix"

log "README examples, CMake (examples/cmake)"
cmake -S examples/cmake -B "$work/build-examples" -DCMAKE_PREFIX_PATH="$prefix" >"$work/ex.log" 2>&1 ||
  { cat "$work/ex.log" >&2; fail "cmake configure of examples/cmake"; }
cmake --build "$work/build-examples" -j "$jobs" >>"$work/ex.log" 2>&1 ||
  { cat "$work/ex.log" >&2; fail "cmake --build examples/cmake"; }
[ "$("$work/build-examples/minimal")" = '[[17],[53]]' ] || fail "examples/cmake minimal"
readelf -d "$work/build-examples/minimal" | grep "NEEDED.*\[libbatch_dot.so.$abi\]" >/dev/null ||
  fail "examples/cmake minimal (shared) does not need libbatch_dot.so.$abi"
"$work/build-examples/hello_cpp" | grep -F '[[17],[53]]' >/dev/null || fail "examples/cmake hello_cpp"
! readelf -d "$work/build-examples/hello_cpp" | grep libbatch_dot >/dev/null || fail "hello_cpp (static) needs the .so"

# --- CMake version policy ------------------------------------------------------
log "batch_dotConfigVersion.cmake policy (installed $version)"
# find_version REQUEST: prints "found" or "not-found".
find_version() {
  local d=$work/ver
  rm -rf "$d"; mkdir -p "$d"
  cat >"$d/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.19)
project(v LANGUAGES NONE)
find_package(batch_dot $1 QUIET)
if(batch_dot_FOUND AND TARGET batch_dot::batch_dot AND TARGET batch_dot::batch_dot_static)
  message(STATUS "RESULT=found")
else()
  message(STATUS "RESULT=not-found")
endif()
EOF
  cmake -S "$d" -B "$d/b" -DCMAKE_PREFIX_PATH="$prefix" 2>&1 | sed -n 's/.*RESULT=//p'
}
expect_version() {
  local got
  got=$(find_version "$1")
  [ "$got" = "$2" ] || fail "find_package(batch_dot $1): $got, expected $2"
  log "  find_package(batch_dot $1): $got"
}
expect_version "" found
expect_version "$version" found
expect_version "$major.$minor" found
expect_version "$version EXACT" found
expect_version "$major.$minor.$((patch + 1))" not-found
expect_version "$major.$((minor + 1))" not-found
expect_version "$((major + 1))" not-found
expect_version "$major.$minor...$((major + 1)).0" found
expect_version "$major.$((minor + 1))...$((major + 2)).0" not-found
if [ "$major" -eq 0 ]; then
  # 0.x: the minor version must match (Cargo semver): 0.MINOR-1 is incompatible.
  [ "$minor" -gt 0 ] && expect_version "0.$((minor - 1))" not-found
  expect_version "0" "$([ "$minor" -eq 0 ] && echo found || echo not-found)"
else
  expect_version "$major" found
fi

# --- relocation ----------------------------------------------------------------
moved=$work/elsewhere/prefix-moved
mkdir -p "$(dirname "$moved")"
mv "$prefix" "$moved"
log "relocated the prefix to $moved"
cpp_test "$work/build-cpp-moved" "$moved" OFF   # the prefix is what is tested here
readelf -d "$work/build-cpp-moved/test_batch_dot_shared" | grep "$moved/lib" >/dev/null ||
  fail "the relocated build does not use $moved/lib"
grep -rqF "$prefix" "$moved" && fail "an installed file still names the old prefix $prefix"
export PKG_CONFIG_PATH=$moved/lib/pkgconfig
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" examples/c/seed_examples.c $(pkg-config --cflags --libs batch_dot) \
  -Wl,-rpath,"$(pkg-config --variable=libdir batch_dot)" -o "$work/seed_moved"
env -u LD_LIBRARY_PATH "$work/seed_moved" | grep -F 'all seed examples OK' >/dev/null || fail "seed_moved"

log "40-install: ok"
